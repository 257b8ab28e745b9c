/* A jansson allocator that wipes every block it frees, so that secrets
 * parsed from or encoded into JSON do not linger in freed memory. */
#ifndef JSON_WIPE_H
#define JSON_WIPE_H

/* Installs it for the whole process: programs only, never a PAM module. */
void json_wipe_install(void);

/* Frees text from json_dumps() with jansson's own free function. */
void json_text_free(char *text);

#endif
