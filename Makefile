# ldap2imocha: one hand-written GNU Makefile (see STYLE.md).
#   make            build ./build/ldap2imocha
#   make check      unit and integration tests; ends with "N passed, N failed, N skipped"
#   make check SANITIZE=1   the same under AddressSanitizer + UBSan (in build-san/)
#   make check SERVERS="openldap ad-ou" T=servers/   a part of the server matrix
#   make demo       a full sync against a throwaway slapd and a local iMocha stand-in
#   make install DESTDIR=... PREFIX=...   (also SYSCONFDIR, UNITDIR, MANDIR...)
#   make deb, make rpm   packages, in build/deb/ and build/rpm/ (packaging/)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DATADIR  ?= $(PREFIX)/share/ldap2imocha
SYSCONFDIR ?= /etc
MANDIR   ?= $(PREFIX)/share/man
# systemd's search paths include /usr/local/lib/...; Debian 12 wants
# UNITDIR=/lib/systemd/system (packaging/debian/rules says so).
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
VERSION  := 0.1.0

# The server matrix (tests/integration/servers, tests/lib/directory.sh):
# every setup in the plain build; OpenLDAP plus one setup of each other
# family under the sanitizers and valgrind, which are slower.
SERVERS_ALL := openldap 389 389-ipa 389-nosync ad-ou ad-root
SERVERS_SAN := openldap 389 ad-root

SANITIZE ?=
ifeq ($(SANITIZE),1)
SERVERS  ?= $(SERVERS_SAN)
BUILD    ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      ?= -O1 -g
else
SERVERS  ?= $(SERVERS_ALL)
BUILD    ?= build
SANFLAGS :=
OPT      ?= -O2 -g
endif

PKGS     := ldap lber libcurl sqlite3 libcjson inih krb5 krb5-gssapi
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?=
CFLAGS   += -std=c11 -pthread -D_DEFAULT_SOURCE -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) \
	    -DL2I_VERSION='"$(VERSION)"' -MMD -MP -Isrc -I$(BUILD) $(PKG_CFLAGS)
LDFLAGS  += -pie -Wl,-z,relro,-z,now -pthread $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm

# The modules, one concern each (STYLE.md), in one folder per layer of
# src/ (README.md, "Source map").  LAYERS lists the folders bottom first: a
# folder uses only its own headers and those of folders before it here, so
# no include runs back up and there is no circle (make lint checks it:
# tools/lint/layout.sh).  cli/main.c is the command line only.
LAYERS   := util model config state imocha ldap plan report sync cli
LIB_SRCS := $(filter-out src/cli/main.c,$(sort $(wildcard src/*/*.c)))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/schema.o
SQL_FILES := $(sort $(wildcard sql/*.sql))

UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/ldap2imocha

$(BUILD)/ldap2imocha: $(BUILD)/cli/main.o $(BUILD)/libl2i.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libl2i.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The schema files are compiled in: the binary never looks for them at run time.
$(BUILD)/schema.c: $(SQL_FILES) tools/embed-sql.sh | $(BUILD)
	sh tools/embed-sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the real modules; a test that needs a seam provides its
# own fake (tests/unit/LAYER/fake_*.c), linked ahead of the archive so the
# fake's symbols win.  $* is LAYER/test_NAME.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libl2i.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< \
	    $(wildcard tests/unit/$(dir $*)fake_$(patsubst test_%,%,$(notdir $*)).c) $(BUILD)/libl2i.a $(LDLIBS)

$(BUILD):
	mkdir -p $@

unit: $(UNIT_BINS)

# check and demo install what they need first (README: two commands on a
# fresh machine), then run make again so pkg-config sees the new packages.
check: deps
	@$(MAKE) --no-print-directory tests-run

tests-run: all unit
	@BUILD=$(BUILD) L2I_SERVERS="$(SERVERS)" sh tests/run $(T)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)/ldap2imocha

deps:
	@sh tools/install-deps.sh

# Installs; starts and enables nothing.  The units name the installed
# binary and config directory, whatever BINDIR and SYSCONFDIR are.
UNITS    := ldap2imocha.service ldap2imocha-sync.service ldap2imocha-sync.timer
UNIT_SED := -e 's|/usr/bin/ldap2imocha|$(BINDIR)/ldap2imocha|g' \
	    -e 's|/etc/ldap2imocha|$(SYSCONFDIR)/ldap2imocha|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(SYSCONFDIR)/ldap2imocha \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/ldap2imocha $(DESTDIR)$(BINDIR)/ldap2imocha
	install -m 0644 $(SQL_FILES) $(DESTDIR)$(DATADIR)/sql/
	install -m 0640 etc/ldap2imocha.ini.sample $(DESTDIR)$(SYSCONFDIR)/ldap2imocha/ldap2imocha.ini.sample
	for u in $(UNITS); do \
		sed $(UNIT_SED) packaging/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 packaging/systemd/ldap2imocha.sysusers $(DESTDIR)$(SYSUSERSDIR)/ldap2imocha.conf
	install -m 0644 packaging/systemd/ldap2imocha.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ldap2imocha.conf
	install -m 0644 man/ldap2imocha.8 $(DESTDIR)$(MANDIR)/man8/ldap2imocha.8
	install -m 0644 man/ldap2imocha.ini.5 $(DESTDIR)$(MANDIR)/man5/ldap2imocha.ini.5

# Packages, built from a copy under build/ so the tree stays clean
# (dpkg-buildpackage writes into the parent directory).
deb:
	sh packaging/build-deb.sh $(VERSION)

rpm:
	sh packaging/build-rpm.sh $(VERSION)

clean:
	rm -rf build build-san

.PHONY: all unit check tests-run demo deps install deb rpm clean

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/tests/*/*.d)

# --- Hardening: fuzzing, static checks, valgrind (see tests/fuzz, tools/lint) ---
# make fuzz [FUZZ_SECONDS=60]  each libFuzzer target (clang, ASan+UBSan) for
#                              FUZZ_SECONDS on a scratch copy of its corpus
# make lint                    cppcheck, clang-tidy (.clang-tidy), banned calls
# make valgrind                unit tests and VALGRIND_TESTS under memcheck
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

# The modules are rebuilt with clang and coverage instrumentation in
# build/fuzz (a make of its own, so BUILD points there); each target links
# them through the archive, main.c never.
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" \
	    WARN="-Wall -Wextra" SANFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_fixture.h $(FUZZ_BUILD)/libl2i.a
	$(CC) $(CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	    $(FUZZ_BUILD)/libl2i.a $(LDLIBS)

# New inputs go to a scratch directory, never into tests/fuzz/corpus; a
# crashing input is kept as build/fuzz/crash-TARGET-*.
fuzz: fuzz-build
	@n=0; for t in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d) && cp -R tests/fuzz/corpus/$$t/. "$$work"/ || exit 1; \
		echo "== fuzz $$t: $(FUZZ_SECONDS) s"; \
		if ! $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		    -close_fd_mask=3 -print_final_stats=1 \
		    -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- "$$work" \
		    >$(FUZZ_BUILD)/fuzz_$$t.log 2>&1; then \
			tail -n 80 $(FUZZ_BUILD)/fuzz_$$t.log; rm -rf "$$work"; \
			echo "not ok - fuzz $$t: a finding (input in $(FUZZ_BUILD)/crash-$$t-*)"; \
			exit 1; \
		fi; \
		grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_BUILD)/fuzz_$$t.log; \
		rm -rf "$$work"; \
		echo "ok - fuzz $$t"; n=$$((n + 1)); \
	done; echo "fuzz: $$n passed, 0 failed"

.PHONY: fuzz fuzz-build

# make bench [N=100000] [RUNS=5] [RUNS5=5]: timings and peak RSS against a
# throwaway slapd with N users and the fake iMocha; prints one table and
# writes it to BENCHMARKS.md (bench/run.sh says what each row measures).
# Then the per-server rows (bench/servers.sh: SERVERS, SERVER_N; alone:
# SERVERS_ONLY=1) and the scope-by-group rows (bench/groups.sh: GROUP_N
# users, GROUP_COUNT groups; alone: GROUPS_ONLY=1).
bench: all
	@L2I_BIN=$(CURDIR)/$(BUILD)/ldap2imocha N="$(N)" RUNS="$(RUNS)" RUNS5="$(RUNS5)" sh bench/run.sh

# make bench-own [OWN_N="20000 1000000"] [OWN_ROUNDS=100]: a change's own
# cost (rows 4b and 4c above a run with nothing changed) at each N, the N
# interleaved round by round, to the precision #17's 20 % needs
# (bench/own.sh says how); one section of BENCHMARKS.md.
bench-own: all
	@L2I_BIN=$(CURDIR)/$(BUILD)/ldap2imocha OWN_N="$(OWN_N)" OWN_ROUNDS="$(OWN_ROUNDS)" \
	    sh bench/own.sh

.PHONY: bench bench-own

# Static checks over src/ (tools/lint/README.md says what and why).
LINT_SRCS := $(sort $(wildcard src/*/*.c))
LINT_DEFS := -D_DEFAULT_SOURCE -D_GNU_SOURCE -DL2I_VERSION='"$(VERSION)"' -Isrc
lint:
	cppcheck --enable=warning,style,performance,portability --inline-suppr \
	    --error-exitcode=1 -q --std=c11 $(LINT_DEFS) \
	    --suppressions-list=tools/lint/cppcheck.supp $(LINT_SRCS)
	@echo "cppcheck: clean"
	@out=$$(clang-tidy -quiet $(LINT_SRCS) -- -std=c11 $(LINT_DEFS) -pthread $(PKG_CFLAGS) 2>&1); \
	    rc=$$?; printf '%s\n' "$$out" | grep -v 'warnings\{0,1\} generated\.$$'; \
	    [ $$rc -eq 0 ] && echo "clang-tidy: clean"; exit $$rc
	sh tools/lint/banned.sh
	sh tools/lint/layout.sh

.PHONY: lint

# Memcheck over the plain build: every unit test and the integration tests
# of sync, lifecycle (saved plans), the daemon and the SASL and client
# certificate binds and scope by group, lifecycle and the daemon also on the
# server matrix's SERVERS_SAN; test_stage's random rounds cut from 300 to 60
# (each costs about 20 times more here).  Reports land beside the
# sanitizer logs of tests/run (an empty log is a clean run); suppressions,
# each naming one third-party frame, are in tools/valgrind.supp.
VALGRIND_TESTS ?= unit/ sync_basic lifecycle daemon bind_ groups
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--num-callers=40 --suppressions=$(CURDIR)/tools/valgrind.supp \
	--log-file=%q{L2I_VGLOG}/valgrind.%p
valgrind: all unit
	@BUILD=$(BUILD) L2I_WRAP="$(VALGRIND)" L2I_TIMEOUT=600 L2I_SERVERS="$(SERVERS_SAN)" \
	    L2I_STAGE_ROUNDS=60 \
	    sh tests/run "$(VALGRIND_TESTS)"

.PHONY: valgrind
