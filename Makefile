# Practice staff directory: staffd, staffctl, pam_practice.
#
#   make            build everything into $(O)/
#   make check      install build dependencies if missing, then run the unit,
#                   fuzz-corpus and integration tests twice: plain and under
#                   AddressSanitizer + UndefinedBehaviorSanitizer; then the
#                   system tests (make check-system)
#   make check-system  the packages under systemd as PID 1 in a container (root)
#   make run        start staffd in the foreground on ./run/ (nothing installed)
#   make fuzz       build and run the libFuzzer targets for FUZZ_SECONDS each
#   make fuzz-long  the same for 10 million executions each (hours; see below)
#   make bench      build optimised and run the benchmarks under bench/
#   make install    DESTDIR= PREFIX= (see README)
#   make package-test  build, install, run and purge the Debian packages (root)

O ?= build
SAN ?=
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
RUNSTATEDIR ?= /run
VERSION := 0.1.0

CC ?= cc
WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wformat=2 -Wconversion
OPT ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilib -Istaffd -I$(O)/gen \
	-DSTAFF_VERSION='"$(VERSION)"' \
	-DSTAFFD_DEFAULT_CONFIG='"$(SYSCONFDIR)/staffd/staffd.conf"' \
	-DSTAFFD_DEFAULT_SOCKET='"$(RUNSTATEDIR)/staffd/io.practice.Staff"' \
	-DSTAFFD_DEFAULT_STATE_DIR='"$(LOCALSTATEDIR)/lib/staffd"'
CFLAGS += $(WARN) $(OPT) -fPIC -fstack-protector-strong -pthread
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
LDFLAGS += -pthread -Wl,-z,relro,-z,now

LIBS := -llmdb -lsodium -ljansson -lsystemd -lzxcvbn
TEST_LIBS := -lcmocka -lpam

LIB_SRCS := $(wildcard lib/*.c)
STAFFD_SRCS := $(filter-out staffd/main.c,$(wildcard staffd/*.c))
STAFFCTL_SRCS := $(filter-out staffctl/main.c,$(wildcard staffctl/*.c))
PAM_SRCS := $(wildcard pam_practice/*.c)
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
MAN_SRCS := $(wildcard docs/man/*.scd)

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
STAFFD_OBJS := $(STAFFD_SRCS:%.c=$(O)/%.o) $(O)/gen/interface.o
STAFFCTL_OBJS := $(STAFFCTL_SRCS:%.c=$(O)/%.o)
PAM_OBJS := $(PAM_SRCS:%.c=$(O)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/tests/fuzz/replay-%)
MANS := $(MAN_SRCS:docs/man/%.scd=$(O)/man/%)

PROGRAMS := $(O)/bin/staffd $(O)/bin/staffctl $(if $(PAM_SRCS),$(O)/pam_practice.so)

all: $(PROGRAMS) $(MANS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The interface description staffd serves through GetInterfaceDescription.
$(O)/gen/interface.c: docs/io.practice.Staff.varlink
	@mkdir -p $(@D)
	{ echo '#include "interface.h"'; echo 'const char staff_interface_description[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@
$(O)/gen/interface.o: $(O)/gen/interface.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/libcommon.a: $(LIB_OBJS)
	$(AR) rcs $@ $^
$(O)/libstaffd.a: $(STAFFD_OBJS)
	$(AR) rcs $@ $^
$(O)/libstaffctl.a: $(STAFFCTL_OBJS)
	$(AR) rcs $@ $^
$(O)/libpampractice.a: $(PAM_OBJS)
	$(AR) rcs $@ $^

# The PAM module exports only pam_sm_* (version script); it carries its own
# copy of the client code and nothing of the daemon. Built for libFuzzer, it
# takes the sanitizer and coverage runtime from the fuzzer that loads it
# (MODULE_LDFLAGS empty).
MODULE_LDFLAGS ?= -Wl,--no-undefined
$(O)/pam_practice.so: $(PAM_OBJS) $(LIB_OBJS) pam_practice/pam_practice.map
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=pam_practice/pam_practice.map $(MODULE_LDFLAGS) \
		-o $@ $(PAM_OBJS) $(LIB_OBJS) -ljansson -lpam

$(O)/bin/staffd: $(O)/staffd/main.o $(O)/libstaffd.a $(O)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(O)/bin/staffctl: $(O)/staffctl/main.o $(O)/libstaffctl.a $(O)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/libstaffd.a $(O)/libstaffctl.a $(if $(PAM_SRCS),$(O)/libpampractice.a) $(O)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# Fuzz targets double as corpus replayers: tests/fuzz/replay.c supplies main().
# fixture.c is the socketless staffd the targets that dispatch calls share.
FUZZ_LIBS := $(O)/tests/fuzz/libfixture.a $(O)/libstaffd.a $(if $(PAM_SRCS),$(O)/libpampractice.a) $(O)/libcommon.a
$(O)/tests/fuzz/replay-%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/replay.o $(FUZZ_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lpam
$(O)/tests/fuzz/libfixture.a: $(O)/tests/fuzz/fixture.o
	$(AR) rcs $@ $^
$(O)/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/man/%: docs/man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@

# A raw Varlink client for the integration tests.
$(O)/tests/vcall: $(O)/tests/tools/vcall.o $(O)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# A hostile local client for tests/security: many connections, pipelined or looped calls.
$(O)/tests/flood: $(O)/tests/tools/flood.o
	$(CC) $(LDFLAGS) -o $@ $^

# Plants raw records in a data.mdb and finds a table's pages, for the tests of damaged state.
$(O)/tests/store-raw: $(O)/tests/tools/store-raw.o
	$(CC) $(LDFLAGS) -o $@ $^ -llmdb

# Drives the PAM module in-process with a scripted conversation. libcrypt is
# loaded from the start: pam_unix brings it in by dlopen, too late for the
# sanitizer's crypt interceptors, which then call a null pointer.
$(O)/tests/pam-driver: $(O)/tests/pam/pam-driver.o
	$(CC) $(LDFLAGS) -o $@ $^ -lpam -Wl,--no-as-needed -lcrypt -Wl,--as-needed

tests: $(UNIT_BINS) $(REPLAY_BINS) $(O)/tests/vcall $(O)/tests/flood $(O)/tests/store-raw \
	$(if $(wildcard tests/pam/pam-driver.c),$(O)/tests/pam-driver)

# Runs every test once against the binaries in $(O).
test: all tests
	O=$(O) SAN=$(SAN) tests/run

deps:
	tools/install-deps

check: deps
	$(MAKE) O=build test
	$(MAKE) O=build-san SAN=1 OPT='-O1 -g' test
	$(MAKE) check-system

# Debian 12 with systemd as PID 1 in a container, the packages installed
# inside (tests/system/run; skips with the reason where the machine cannot).
check-system:
	tests/system/run

# make fuzz: each target for FUZZ_SECONDS. make fuzz-long: each target for at
# least FUZZ_RUNS executions (10 million, DESIGN 14), with FUZZ_LONG_SECONDS
# per target as a safety net: the targets that dispatch calls run tens to
# hundreds of executions a second (fuzz-record, a battery of calls per input,
# is the slowest and may stop at the time limit first). New inputs go to
# build-fuzz/corpus/NAME; crashes to build-fuzz/crash-*. A target's
# dictionary, tests/fuzz/NAME.dict, is used when there is one.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 10000000
FUZZ_LONG_SECONDS ?= 36000
FUZZ_TARGETS := $(FUZZ_SRCS:tests/fuzz/%.c=%)
fuzz: deps
	$(MAKE) fuzz-run FUZZ_ARGS='-max_total_time=$(FUZZ_SECONDS)'
fuzz-long: deps
	$(MAKE) fuzz-run FUZZ_ARGS='-runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_LONG_SECONDS)'
fuzz-run:
	$(MAKE) O=build-fuzz CC=clang OPT='-O1 -g -fsanitize=fuzzer-no-link,address,undefined' MODULE_LDFLAGS= fuzz-build
	for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus/$$t; \
		dict=tests/fuzz/$${t#fuzz-}.dict; [ -f $$dict ] && dict=-dict=$$dict || dict=; \
		echo "== $$t"; \
		PAM_MODULE=$(CURDIR)/build-fuzz/pam_practice.so build-fuzz/tests/fuzz/$$t $(FUZZ_ARGS) -max_len=70000 \
			-artifact_prefix=build-fuzz/ $$dict build-fuzz/corpus/$$t tests/fuzz/corpus/$${t#fuzz-} || exit 1; \
	done
fuzz-build: $(FUZZ_LIBS) $(if $(PAM_SRCS),$(O)/pam_practice.so)
	for t in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/tests/fuzz; \
		$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $(O)/tests/fuzz/$$t tests/fuzz/$$t.c \
			$(FUZZ_LIBS) $(LIBS) -lpam || exit 1; \
	done

bench: deps
	$(MAKE) O=build-bench OPT='-O2 -g' all
	O=build-bench bench/run

RUN_DIR ?= $(CURDIR)/run
# USERDB=yes (as root) also serves staff as OS users through nss-systemd while it runs.
RUN_USERDB := $(if $(filter yes,$(USERDB)),/run/systemd/userdb/io.practice.staff)
run: all
	@mkdir -p $(RUN_DIR)
	@sed -e 's|@STATE_DIR@|$(RUN_DIR)/state|' \
		-e 's|@SOCKET@|$(RUN_DIR)/staffd.sock|' \
		-e 's|@MAIL_COMMAND@|$(CURDIR)/tools/mail-to-dir $(RUN_DIR)/mail|' \
		-e 's|@USERDB_SOCKET@|$(RUN_USERDB)|' \
		conf/staffd-run.conf.in > $(RUN_DIR)/staffd.conf
	@echo "staffd: socket $(RUN_DIR)/staffd.sock; in another terminal:"
	@echo "  export STAFFD_SOCKET=$(RUN_DIR)/staffd.sock; $(CURDIR)/$(O)/bin/staffctl status"
	$(O)/bin/staffd --config $(RUN_DIR)/staffd.conf

# Debian keeps PAM modules in the multiarch directory of the C library.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
PAMDIR ?= /lib/$(MULTIARCH)/security
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/staffd
DOCDIR = $(PREFIX)/share/doc/staffd
# systemd units, sysusers.d and tmpfiles.d: where systemd.pc says for PREFIX=/usr,
# else under PREFIX/lib (systemd also reads /usr/local/lib).
systemd_dir = $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config --variable=$(1) systemd 2>/dev/null),$(2)),$(PREFIX)/lib/$(3))
UNITDIR ?= $(call systemd_dir,systemdsystemunitdir,/lib/systemd/system,systemd/system)
SYSUSERSDIR ?= $(call systemd_dir,sysusersdir,/usr/lib/sysusers.d,sysusers.d)
TMPFILESDIR ?= $(call systemd_dir,tmpfilesdir,/usr/lib/tmpfiles.d,tmpfiles.d)
UNITS := staffd.service staffd.socket

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PAMDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(DOCDIR)/examples/pam.d $(DESTDIR)$(SYSCONFDIR)/staffd \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(O)/bin/staffd $(DESTDIR)$(SBINDIR)/staffd
	install -m 0755 $(O)/bin/staffctl $(DESTDIR)$(BINDIR)/staffctl
	$(if $(PAM_SRCS),install -m 0644 $(O)/pam_practice.so $(DESTDIR)$(PAMDIR)/pam_practice.so)
	for m in $(MANS); do n=$${m##*/}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${n##*.}/$$n; done
	install -m 0644 docs/io.practice.Staff.varlink $(DESTDIR)$(DATADIR)/io.practice.Staff.varlink
	for f in conf/pam.d/*; do [ -f "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(DOCDIR)/examples/pam.d/; done; true
	for u in $(UNITS); do \
		sed 's|^ExecStart=/usr/sbin/staffd|ExecStart=$(SBINDIR)/staffd|' conf/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 conf/sysusers.d/staffd.conf $(DESTDIR)$(SYSUSERSDIR)/staffd.conf
	install -m 0644 conf/tmpfiles.d/staffd.conf $(DESTDIR)$(TMPFILESDIR)/staffd.conf
	# The administrator's configuration is never overwritten.
	test -e $(DESTDIR)$(SYSCONFDIR)/staffd/staffd.conf || \
		install -m 0644 conf/staffd.conf $(DESTDIR)$(SYSCONFDIR)/staffd/staffd.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/staffd $(DESTDIR)$(BINDIR)/staffctl $(DESTDIR)$(PAMDIR)/pam_practice.so
	for m in $(MANS); do n=$${m##*/}; rm -f $(DESTDIR)$(MANDIR)/man$${n##*.}/$$n; done
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/staffd.conf $(DESTDIR)$(TMPFILESDIR)/staffd.conf
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/staffd/staffd.conf and the state directory"

clean:
	rm -rf build build-san build-fuzz build-bench

.PHONY: all tests test deps check check-system fuzz fuzz-long fuzz-run fuzz-build bench run install uninstall clean

# ---- Running under systemd and from Debian packages ----
# Receives sd_notify and journal datagrams for the integration tests.
$(O)/tests/notify-listen: $(O)/tests/tools/notify-listen.o
	$(CC) $(LDFLAGS) -o $@ $^
tests: $(O)/tests/notify-listen

# Builds the Debian packages, installs them, runs staffd from them and purges
# them again (slow, root, changes the system while it runs; not in "make check").
package-test:
	STAFF_PACKAGE_TEST=1 tests/integ/debian-package.sh

.PHONY: package-test

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# Test objects are not intermediates to throw away: keep them for incremental builds.
.SECONDARY:
