# ldap2imocha: one hand-written GNU Makefile (see STYLE.md).
#   make            build ./build/ldap2imocha
#   make check      unit and integration tests; ends with "N passed, N failed, N skipped"
#   make check SANITIZE=1   the same under AddressSanitizer + UBSan (in build-san/)
#   make demo       a full sync against a throwaway slapd and a local iMocha stand-in
#   make install DESTDIR=... PREFIX=...

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DATADIR  ?= $(PREFIX)/share/ldap2imocha
SYSCONFDIR ?= /etc
VERSION  := 0.1.0

SANITIZE ?=
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      ?= -O1 -g
else
BUILD    ?= build
SANFLAGS :=
OPT      ?= -O2 -g
endif

PKGS     := ldap lber libcurl sqlite3 libcjson inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?=
CFLAGS   += -std=c11 -pthread -D_DEFAULT_SOURCE -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) \
	    -DL2I_VERSION='"$(VERSION)"' -MMD -MP -Isrc -I$(BUILD) $(PKG_CFLAGS)
LDFLAGS  += -pie -Wl,-z,relro,-z,now -pthread $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm

# The modules, one concern each (STYLE.md).  main.c is the CLI only.
LIB_SRCS := $(filter-out src/main.c,$(sort $(wildcard src/*.c)))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/schema.o
SQL_FILES := $(sort $(wildcard sql/*.sql))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/ldap2imocha

$(BUILD)/ldap2imocha: $(BUILD)/main.o $(BUILD)/libl2i.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libl2i.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

# The schema files are compiled in: the binary never looks for them at run time.
$(BUILD)/schema.c: $(SQL_FILES) tools/embed-sql.sh | $(BUILD)
	sh tools/embed-sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the real modules; a test that needs a seam provides its
# own fake (tests/unit/fake_*.c), linked ahead of the archive so the fake's
# symbols win.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libl2i.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(wildcard tests/unit/fake_$(*:test_%=%).c) $(BUILD)/libl2i.a $(LDLIBS)

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

unit: $(UNIT_BINS)

# check and demo install what they need first (README: two commands on a
# fresh machine), then run make again so pkg-config sees the new packages.
check: deps
	@$(MAKE) --no-print-directory tests-run

tests-run: all unit
	@BUILD=$(BUILD) sh tests/run $(T)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)/ldap2imocha

deps:
	@sh tools/install-deps.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(SYSCONFDIR)/ldap2imocha
	install -m 0755 $(BUILD)/ldap2imocha $(DESTDIR)$(BINDIR)/ldap2imocha
	install -m 0644 $(SQL_FILES) $(DESTDIR)$(DATADIR)/sql/
	install -m 0640 etc/ldap2imocha.ini.sample $(DESTDIR)$(SYSCONFDIR)/ldap2imocha/ldap2imocha.ini.sample

clean:
	rm -rf build build-san

.PHONY: all unit check tests-run demo deps install clean

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
