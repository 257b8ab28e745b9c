/* The text of docs/io.practice.Staff.varlink, compiled in by the Makefile. */
#ifndef INTERFACE_H
#define INTERFACE_H

extern const char staff_interface_description[];

#endif
