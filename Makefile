# SPDX-License-Identifier: GPL-2.0
# xdp-fastpath: one flat Makefile. `make V=1` shows the commands.

.DELETE_ON_ERROR:
.SUFFIXES:

OUT      := build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Recursive on purpose: evaluated only when a recipe needs them, so that
# `make test` can install the packages before anything asks pkg-config.
PKGS     = libbpf libxdp libnl-3.0 libnl-route-3.0 json-c
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(OUT) -Imaps -Iloader \
	     $(PKG_CFLAGS) $(SAN_FLAGS)
LDLIBS   = $(PKG_LIBS) -lelf -lz

ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
endif

BPF_CFLAGS := -g -O2 --target=bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	      $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))

LOADER_SRCS := $(filter-out loader/main.c,$(wildcard loader/*.c))
LOADER_OBJS := $(LOADER_SRCS:loader/%.c=$(OUT)/loader/%.o)
TEST_SRCS   := $(wildcard tests/test_*.c)
TEST_BINS   := $(TEST_SRCS:tests/%.c=$(OUT)/tests/%)
HEADERS     := $(wildcard maps/*.h loader/*.h) $(OUT)/fastpath.skel.h

.PHONY: all unit selftest test demo check install uninstall clean deps-ok bench

all: $(OUT)/fastpath $(OUT)/fastpath.bpf.o $(OUT)/tapwire

# One line naming what is missing, instead of a compiler error later.
deps-ok:
	@for t in $(CLANG) $(BPFTOOL) pkg-config; do \
		command -v $$t >/dev/null || { echo "missing tool: $$t (run scripts/deps.sh as root)" >&2; exit 1; }; \
	done; \
	for p in $(PKGS); do \
		pkg-config --exists $$p || { echo "missing library: $$p (run scripts/deps.sh as root)" >&2; exit 1; }; \
	done

$(OUT) $(OUT)/loader $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/fastpath.bpf.o: bpf/fastpath.bpf.c $(wildcard bpf/*.h) maps/fastpath.h | $(OUT) deps-ok
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/fastpath.skel.h: $(OUT)/fastpath.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name fastpath > $@

$(OUT)/loader/%.o: loader/%.c $(HEADERS) | $(OUT)/loader deps-ok
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/libfastpath.a: $(LOADER_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUT)/fastpath: $(OUT)/loader/main.o $(OUT)/libfastpath.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tapwire: selftests/tapwire.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror $< -o $@

$(OUT)/tests/%: tests/%.c tests/*.h $(OUT)/libfastpath.a $(HEADERS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $< $(OUT)/libfastpath.a $(LDLIBS) -lcmocka -o $@

unit: all $(TEST_BINS)
	$(Q)scripts/run-unit.sh $(TEST_BINS)

selftest: all
	$(Q)selftests/run.sh

# The README's test command: installs what it needs, then runs everything.
test:
	$(Q)scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory selftest

demo:
	$(Q)scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

FORMAT_SRCS = $(wildcard bpf/*.c bpf/*.h maps/*.h loader/*.c loader/*.h tests/*.c tests/*.h selftests/*.c)

check: all $(TEST_BINS)
	$(call msg,FORMAT,sources)
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)
	$(call msg,CPPCHECK,loader tests)
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -Imaps -Iloader \
		loader tests selftests/tapwire.c
	$(call msg,TIDY,loader)
	$(Q)clang-tidy --quiet --warnings-as-errors='*' \
		--checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition' \
		$(wildcard loader/*.c) -- $(ALL_CFLAGS) 2>&1 | grep -v 'warnings generated' || true; \
		clang-tidy --quiet --warnings-as-errors='*' \
		--checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition' \
		$(wildcard loader/*.c) -- $(ALL_CFLAGS) >/dev/null 2>&1
	$(call msg,SHCHECK,scripts selftests)
	$(Q)shellcheck -x -S warning scripts/*.sh selftests/*.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/bpf
	install -m 0755 $(OUT)/fastpath $(DESTDIR)$(PREFIX)/sbin/fastpath
	install -m 0644 $(OUT)/fastpath.bpf.o $(DESTDIR)$(PREFIX)/lib/bpf/fastpath.bpf.o

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/fastpath $(DESTDIR)$(PREFIX)/lib/bpf/fastpath.bpf.o

clean:
	rm -rf $(OUT)
