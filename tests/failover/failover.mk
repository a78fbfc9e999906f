# tandem-verify (tests/failover/verify/): the verifying I/O client of the
# failover tests, and `make check-verifier`, its local test tier
# (tests/failover/local.sh; docs/failover.md, "The verifying client").
VERIFY_DIR  := $(BUILD)/verify
VERIFY_BIN  := $(BUILD)/tandem-verify
VERIFY_SRC  := $(sort $(wildcard tests/failover/verify/*.c))
VERIFY_OBJ  := $(patsubst tests/failover/verify/%.c,$(VERIFY_DIR)/obj/%.o,$(VERIFY_SRC))
# Not the engine's flags: -Itarget would make <iscsi/iscsi.h> the engine's
# own header instead of libiscsi's.
VERIFY_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) \
                 $(shell pkg-config --cflags libiscsi 2>/dev/null) -MMD -MP
VERIFY_LIBS   := $(shell pkg-config --libs libiscsi 2>/dev/null || echo -liscsi) -pthread

$(VERIFY_DIR)/obj/%.o: tests/failover/verify/%.c
	@mkdir -p $(dir $@)
	$(CC) $(VERIFY_CFLAGS) -c $< -o $@

$(VERIFY_BIN): $(VERIFY_OBJ)
	$(CC) $(VERIFY_CFLAGS) -o $@ $^ $(VERIFY_LIBS)

-include $(VERIFY_OBJ:.o=.d)

.PHONY: check-verifier install-verify
all: $(VERIFY_BIN)
install: install-verify

# A client tool, not a daemon: bin, not sbin.
install-verify: $(VERIFY_BIN)
	install -D -m 0755 $(VERIFY_BIN) $(DESTDIR)$(PREFIX)/bin/tandem-verify

check-verifier: $(VERIFY_BIN) $(TANDEMD)
	@bash tests/failover/local.sh $(BUILD)

# The failover suite in the User-Mode Linux lab (tests/failover/run.sh,
# docs/failover.md): `make check` runs each scenario once (tier
# "failover"); check-failover runs the full suite, 5 runs of each and the
# knobs, and writes the results into docs/failover.md.
.PHONY: check-failover check-failover-short
check-failover-short: all
	@bash tests/failover/run.sh $(BUILD)
check-failover: all
	@bash tests/lib/deps.sh
	@bash tests/failover/run.sh $(BUILD) --full
