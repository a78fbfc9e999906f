# tandem: top-level build. `make` builds, `make deps` installs build and test
# dependencies (Debian packages), `make check` runs every test tier.
PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
DESTDIR   ?=
BUILD     ?= build

CC        ?= gcc
PKGS      := libqb jansson liburing libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 \
             -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) -Itarget $(PKG_CFLAGS) -MMD -MP
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDLIBS    := $(PKG_LIBS) -pthread

# Engine sources by layer; daemon/main.c is the only one outside the library.
ENGINE_SRC := $(sort $(wildcard target/common/*.c target/backstore/*.c \
                target/scsi/*.c target/iscsi/*.c) \
                $(filter-out target/daemon/main.c,$(wildcard target/daemon/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(ENGINE_SRC))
SAN_OBJ  := $(patsubst %.c,$(BUILD)/san/%.o,$(ENGINE_SRC))
# Objects are linked directly, not through an archive: ar keeps only base
# names, and two layers may well both have a worker.c.
LIB      := $(OBJ)
SAN_LIB  := $(SAN_OBJ)
TANDEMD  := $(BUILD)/tandemd
SAN_TANDEMD := $(BUILD)/tandemd-san
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
SAN_UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/unit-san/%,$(UNIT_SRC))

.PHONY: all deps check check-unit check-conformance check-fuzz check-interop check-policy check-robustness check-protocol check-pr config \
        install clean bench demo check-failover image sanitize fuzz
all: $(TANDEMD) $(SAN_TANDEMD) $(UNIT_BIN) $(SAN_UNIT_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(TANDEMD): $(BUILD)/obj/target/daemon/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
$(SAN_TANDEMD): $(BUILD)/san/target/daemon/main.o $(SAN_LIB)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

# test_crc32c includes crc32c.c itself to compare its two static
# implementations, so it links alone.
$(BUILD)/unit/test_crc32c: $(BUILD)/obj/tests/unit/test_crc32c.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/unit-san/test_crc32c: $(BUILD)/san/tests/unit/test_crc32c.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/unit-san/%: $(BUILD)/san/tests/unit/%.o $(SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

sanitize: $(SAN_TANDEMD) $(SAN_UNIT_BIN)

deps:
	bash tests/lib/deps.sh

# Every tier writes build/results/TIER ("passed N failed M"); the summary
# line sums them, and the exit code is non-zero on any failure.
check: all
	@rm -rf $(BUILD)/results; mkdir -p $(BUILD)/results
	-@$(MAKE) --no-print-directory check-unit
	-@$(MAKE) --no-print-directory check-fuzz
	-@$(MAKE) --no-print-directory check-conformance
	-@$(MAKE) --no-print-directory check-interop
	-@$(MAKE) --no-print-directory check-robustness
	-@$(MAKE) --no-print-directory check-protocol
	-@$(MAKE) --no-print-directory check-policy
	-@$(MAKE) --no-print-directory check-pr
	-@$(MAKE) --no-print-directory check-verifier
	-@$(MAKE) --no-print-directory check-ctl
	-@$(MAKE) --no-print-directory check-agents
	-@$(MAKE) --no-print-directory check-lab
	-@$(MAKE) --no-print-directory check-failover-short
	@bash tests/lib/summary.sh $(BUILD)/results

check-unit: $(UNIT_BIN) $(SAN_UNIT_BIN)
	@bash tests/unit/run.sh $(BUILD)
check-conformance: $(TANDEMD) $(SAN_TANDEMD)
	@bash tests/conformance/run.sh $(BUILD)
check-interop: $(TANDEMD)
	@bash tests/interop/run.sh $(BUILD)
check-fuzz:
	@bash tests/fuzz/run.sh $(BUILD)
check-policy:
	@bash tests/policy/run.sh $(BUILD)
check-robustness: $(TANDEMD) $(SAN_TANDEMD)
	@bash tests/robustness/run.sh $(BUILD)
check-protocol: $(TANDEMD) $(SAN_TANDEMD)
	@bash tests/protocol/run.sh $(BUILD)
check-pr: $(TANDEMD) $(SAN_TANDEMD)
	@bash tests/pr/run.sh $(BUILD)

# Generates every cluster file from one description (cluster-config/README.md).
CLUSTER ?= cluster-config/examples/two-node.ini
config:
	cluster-config/tandem-config generate $(CLUSTER) -o $(BUILD)/cluster-config

install: $(TANDEMD)
	install -D -m 0755 $(TANDEMD) $(DESTDIR)$(SBINDIR)/tandemd

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d)

# tandemctl (target/ctl), the OCF agents (ocf-agents/), the benchmarks.
include target/ctl/ctl.mk
include ocf-agents/agents.mk
include tests/bench/bench.mk
include tests/failover/failover.mk

# The appliance image, the User-Mode Linux lab and `make demo`.
include image/image.mk
