# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lbxdp build, after libbpf-bootstrap: everything lands in .output/,
# quiet lines unless V=1.

OUTPUT ?= .output
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PREFIX ?= /usr/local
# systemd's unit directory for units of a local install.
UNITDIR ?= /etc/systemd/system
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CFLAGS ?= -O2 -g
# As bpftool: every handler of a command table takes (cli, argc, argv).
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
# -iquote: user/sched.h must not hide libc's <sched.h>.
INCLUDES := -Iinclude -iquote user -I$(OUTPUT)
LIBS := -lbpf -lelf -lz -lmnl -ljson-c -lm -lsystemd -lssl -lcrypto -lcrypt \
	-lmicrohttpd
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -Iinclude -I$(ARCH_INC) \
	$(BPF_EXTRA_CFLAGS)
# cppcheck does not read system headers: tell it libbpf's opts macro.
CPPCHECK_DEFS := '-DLIBBPF_OPTS(T,N,...)=struct T N = { .sz = sizeof(struct T), __VA_ARGS__ }'
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# The bench's loop reads tests/bench/bench.h: its skeleton is the bench's.
USER_SKELS := $(filter-out $(OUTPUT)/bench_loop.skel.h,$(SKELS))
LIB_SRCS := $(filter-out user/main.c,$(wildcard user/*.c)) \
	$(wildcard user/daemon/*.c)
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
CONF_SRCS := $(wildcard user/daemon/conf*.c)
PURE_SRCS := user/sched.c user/parse.c $(CONF_SRCS) user/daemon/policy.c \
	user/daemon/health.c user/daemon/loop.c user/daemon/vrrp_pkt.c \
	user/daemon/vrrp_fsm.c user/daemon/vrrp_group.c user/daemon/fsync_pkt.c \
	user/daemon/smtp.c user/daemon/stats_model.c user/daemon/stats_auth.c \
	user/daemon/stats_render.c user/daemon/stats_prom.c
USER_HDRS := $(wildcard user/*.h user/daemon/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/*.c)
BENCH_SRCS := $(wildcard tests/bench/*.c)

.PHONY: all help test check bench demo demo-down install clean deps unit \
	format tidy mutate soak fuzz deb profile
.DEFAULT_GOAL := all

all: $(OUTPUT)/lbxdp

help:
	@echo 'make [V=1] TARGET'
	@echo '  all        build .output/lbxdp (BPF object embedded)'
	@echo '  demo       DR lab in network namespaces with real traffic (root)'
	@echo '  demo-down  remove what a killed demo left'
	@echo '  test       every suite: unit, bpf, e2e (root for bpf and e2e)'
	@echo '  check      clang-format, shellcheck, cppcheck, unit tests (ASan/UBSan)'
	@echo '  fuzz       libFuzzer, FUZZ_TIME=60 seconds each of FUZZ_TARGETS="conf vrrp fsync"'
	@echo '             (conf: the config parser; vrrp: the VRRP advert decoder;'
	@echo '             fsync: the flow sync datagram decoder)'
	@echo '  mutate     break each guard of tests/mutate/mutations in a copy, say which test caught it (root)'
	@echo '  soak       the model test over seeds SOAK_FIRST..SOAK_LAST (2000..2099), each alone (root)'
	@echo '  bench      benchmark against a MAC-swap baseline, writes BENCHMARKS.md'
	@echo '  profile    ROW=TEXT: where the XDP program spends a pps row of bench (root, perf)'
	@echo '  install    install lbxdp and its man page under PREFIX=$(PREFIX)'
	@echo '  deb        Debian package (debhelper) in $(OUTPUT)/deb/'
	@echo '  deps       install the Debian packages needed to build and test'
	@echo '  clean      remove .output/'

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/user/daemon $(OUTPUT)/unit $(OUTPUT)/tests \
		$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/lbxdp/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(wildcard include/lbxdp/*.h) $(USER_SKELS) | $(OUTPUT)/user $(OUTPUT)/user/daemon
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(INCLUDES) -DLBXDP_VERSION='"$(VERSION)"' -c $< -o $@

$(OUTPUT)/liblbxdp.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/lbxdp: $(OUTPUT)/user/main.o $(OUTPUT)/liblbxdp.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

# Unit tests: pure code, built with the sanitizers.
$(OUTPUT)/unit/%: tests/unit/%.c $(PURE_SRCS) $(USER_HDRS) \
		  $(wildcard include/lbxdp/*.h) | $(OUTPUT)/unit
	$(call msg,CC-UNIT,$@)
	$(Q)$(CC) -O1 -g $(SAN) $(WARN) $(INCLUDES) $< $(PURE_SRCS) -lcmocka -lcrypto -lcrypt -ljson-c -o $@

unit: $(UNIT_BINS)

# libFuzzer, FUZZ_TIME seconds for each of FUZZ_TARGETS: the config parser
# seeded with the unit test configs, the VRRP advert decoder with the
# keepalived captures; what they find lands in $(OUTPUT)/fuzz/ (keep
# crashers as unit cases).
FUZZ_TIME ?= 60
FUZZ_TARGETS ?= conf vrrp fsync
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer \
	-DCONF_MAX_WORK=20000 -DCONF_MAX_TOTAL='(256 << 10)' \
	-DCONF_MAX_EXPAND='(1 << 20)'
$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(PURE_SRCS) $(USER_HDRS) | $(OUTPUT)/fuzz
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(WARN) $(INCLUDES) $< $(PURE_SRCS) -lcrypto -lcrypt -ljson-c -o $@

fuzz: deps $(FUZZ_TARGETS:%=$(OUTPUT)/fuzz/fuzz_%)
ifneq ($(filter conf,$(FUZZ_TARGETS)),)
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus
	$(Q)cp tests/unit/conf/*.conf $(OUTPUT)/fuzz/corpus/
	$(Q)$(OUTPUT)/fuzz/fuzz_conf -max_total_time=$(FUZZ_TIME) -max_len=8192 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz/ $(OUTPUT)/fuzz/corpus
endif
ifneq ($(filter vrrp,$(FUZZ_TARGETS)),)
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus-vrrp
	$(Q)for f in tests/unit/vrrp/*.hex; do \
		grep -v '^#' $$f | tr -d ' \n' | tr a-f A-F | basenc --base16 -d \
			>$(OUTPUT)/fuzz/corpus-vrrp/$$(basename $$f .hex); \
	done
	$(Q)$(OUTPUT)/fuzz/fuzz_vrrp -max_total_time=$(FUZZ_TIME) -max_len=2048 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz/vrrp- $(OUTPUT)/fuzz/corpus-vrrp
endif
ifneq ($(filter fsync,$(FUZZ_TARGETS)),)
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus-fsync
	$(Q)for f in tests/fuzz/fsync/*.hex; do \
		grep -v '^#' $$f | tr -d ' \n' | tr a-f A-F | basenc --base16 -d \
			>$(OUTPUT)/fuzz/corpus-fsync/$$(basename $$f .hex); \
	done
	$(Q)$(OUTPUT)/fuzz/fuzz_fsync -max_total_time=$(FUZZ_TIME) -max_len=2048 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz/fsync- $(OUTPUT)/fuzz/corpus-fsync
endif

$(OUTPUT)/tests/bpf_test: $(BPFT_SRCS) $(wildcard tests/bpf/*.h) $(OUTPUT)/liblbxdp.a | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) -Itests/bpf $(BPFT_SRCS) $(OUTPUT)/liblbxdp.a $(LIBS) -o $@

# The killed-writer test's view of a pin directory (tests/e2e/test_killed.sh).
$(OUTPUT)/tests/kt: tests/killed/kt.c tests/bpf/frames.c tests/bpf/frames.h $(OUTPUT)/liblbxdp.a | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) -Itests/bpf tests/killed/kt.c tests/bpf/frames.c $(OUTPUT)/liblbxdp.a $(LIBS) -o $@

# The VRRP codec and sockets on the wire (tests/e2e/test_vrrp_wire.sh).
$(OUTPUT)/tests/vrrp_probe: tests/vrrp/vrrp_probe.c $(OUTPUT)/liblbxdp.a | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) $< $(OUTPUT)/liblbxdp.a $(LIBS) -o $@

# The checkers against servers on 127.0.0.1 (tests/run.sh's "checks"),
# with the sanitizers.
CHECKS_SRCS := $(wildcard user/daemon/check*.c) user/daemon/loop.c \
	user/daemon/health.c user/daemon/conf_cred.c user/log.c
$(OUTPUT)/tests/checks_test: tests/checks/test_checks.c $(CHECKS_SRCS) $(wildcard user/daemon/*.h) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(SAN) $(WARN) $(INCLUDES) $< $(CHECKS_SRCS) -lssl -lcrypto -lcmocka -o $@

$(OUTPUT)/bench_loop.bpf.o: tests/bench/bench.h

$(OUTPUT)/tests/bench: $(BENCH_SRCS) $(wildcard tests/bench/*.h) $(OUTPUT)/liblbxdp.a \
		$(OUTPUT)/bench_loop.skel.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) $(BENCH_SRCS) $(OUTPUT)/liblbxdp.a $(LIBS) -lm -o $@

$(OUTPUT)/tests/jitdump: tests/profile/jitdump.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $< -lbpf -o $@

# jitdump is make profile's, built here so that CI compiles it.
test: deps
	$(Q)$(MAKE) --no-print-directory all unit $(OUTPUT)/tests/bpf_test \
		$(OUTPUT)/tests/kt $(OUTPUT)/tests/checks_test \
		$(OUTPUT)/tests/vrrp_probe $(OUTPUT)/tests/jitdump
	$(Q)OUTPUT=$(OUTPUT) bash tests/run.sh

check: deps
	$(Q)$(MAKE) --no-print-directory unit
	$(call msg,FORMAT,*.c *.h)
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')
	$(call msg,SHELLCHK,scripts tests)
	$(Q)shellcheck -x $$(git ls-files '*.sh') .ci/run
	$(call msg,CPPCHECK,user tests)
	$(Q)cppcheck -q --error-exitcode=1 --inline-suppr --enable=warning,portability \
		--std=c11 -Iinclude -Iuser -I$(OUTPUT) $(CPPCHECK_DEFS) user tests
	$(Q)set -e; for t in $(UNIT_BINS); do $$t; done

# Not in CI: it rebuilds a copy of the tree for every mutation.
mutate: deps
	$(Q)bash tests/mutate/run.sh

# The model test over seeds it does not run by default (root).
SOAK_FIRST ?= 2000
SOAK_LAST ?= 2099
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/tests/bpf_test
	$(Q)OUTPUT=$(OUTPUT) bash tests/bpf/soak.sh $(SOAK_FIRST) $(SOAK_LAST)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/tests/bench \
		$(OUTPUT)/tests/vrrp_probe
	$(Q)OUTPUT=$(OUTPUT) bash tests/bench/run.sh
	$(Q)OUTPUT=$(OUTPUT) bash tests/bench/daemon.sh
	$(Q)OUTPUT=$(OUTPUT) bash tests/bench/stats.sh
	$(Q)OUTPUT=$(OUTPUT) bash tests/bench/vrrp.sh

# Not in CI: samples one bench row with perf (linux-perf).
profile: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/tests/bench \
		$(OUTPUT)/tests/jitdump
	$(Q)OUTPUT=$(OUTPUT) bash tests/profile/profile.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/demo.sh

demo-down:
	$(Q)bash scripts/lab.sh down

deps:
	$(Q)bash scripts/deps.sh

install: all
	$(Q)install -D -m 0755 $(OUTPUT)/lbxdp $(DESTDIR)$(PREFIX)/sbin/lbxdp
	$(Q)install -D -m 0644 docs/lbxdp.8 $(DESTDIR)$(PREFIX)/share/man/man8/lbxdp.8
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)sed 's#@SBINDIR@#$(PREFIX)/sbin#' scripts/lbxdp.service.in \
		> $(DESTDIR)$(UNITDIR)/lbxdp.service

# The Debian package (debian/), built from a copy of the tree's files so
# that dpkg-buildpackage's output (written to ..) and debhelper's scratch
# land in $(OUTPUT)/deb/. Its version: the changelog's, +gitN.HASH of the
# commit (outside git, as in make mutate's copies, the changelog's alone);
# the copy's make starts afresh (no OUTPUT or flags of this one).
DEB_DIR := $(OUTPUT)/deb
DEB_GIT := $(shell git rev-parse -q --verify HEAD >/dev/null 2>&1 && \
	echo +git$$(git rev-list --count HEAD).$$(git rev-parse --short HEAD))
deb: deps
	$(call msg,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/lbxdp
	$(Q)if [ -n "$(DEB_GIT)" ]; then \
		git ls-files -z -co --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else \
		tar --exclude=./.output --exclude='./$(OUTPUT)' -cf - .; \
	fi | tar -xf - -C $(DEB_DIR)/lbxdp
	$(Q)sed -i '1s/^lbxdp (\([^)]*\))/lbxdp (\1$(DEB_GIT))/' \
		$(DEB_DIR)/lbxdp/debian/changelog
	$(Q)cd $(DEB_DIR)/lbxdp && env -u OUTPUT -u MAKEFLAGS -u MFLAGS \
		-u MAKELEVEL dpkg-buildpackage -b -uc -us -jauto \
		>../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	$(Q)ls $(DEB_DIR)/*.deb

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

.DELETE_ON_ERROR:
.SECONDARY:
