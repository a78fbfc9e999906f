# `make bench`: tandemd beside tgt and istgt, same client, same run
# (tests/bench/run.sh; docs/performance.md). BENCH_SECONDS sets the length
# of each measured cell.
BENCH_DIR      := $(BUILD)/bench
BENCH_BIN      := $(BENCH_DIR)/tandem-bench
BENCH_LOOPBACK := $(BENCH_DIR)/tandem-loopback
BENCH_SRC      := tests/bench/bench.c tests/bench/session.c tests/bench/hist.c \
                  tests/bench/procstat.c
BENCH_OBJ      := $(patsubst tests/bench/%.c,$(BENCH_DIR)/obj/%.o,$(BENCH_SRC))
BENCH_LOOP_OBJ := $(BENCH_DIR)/obj/loopback.o
# Not the engine's flags: -Itarget would make <iscsi/iscsi.h> the engine's
# own header instead of libiscsi's.
BENCH_CFLAGS   := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) \
                  $(shell pkg-config --cflags libiscsi 2>/dev/null) -MMD -MP
BENCH_LIBS     := $(shell pkg-config --libs libiscsi 2>/dev/null || echo -liscsi) -lm -pthread

$(BENCH_DIR)/obj/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $^ $(BENCH_LIBS)
$(BENCH_LOOPBACK): $(BENCH_LOOP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $^

-include $(BENCH_OBJ:.o=.d) $(BENCH_LOOP_OBJ:.o=.d)

# Built with everything else, so that a change in libiscsi or in the
# flags breaks `make`, not the next benchmark run.
all: bench-tools
bench-tools: $(BENCH_BIN) $(BENCH_LOOPBACK)

# istgt is only needed here, so a missing one is installed here too
# (`make deps` installs it with the rest).
BENCH_SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
bench: $(TANDEMD) bench-tools
	@command -v istgt >/dev/null || { echo "bench: installing istgt"; \
		$(BENCH_SUDO) apt-get update -qq && $(BENCH_SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends istgt >/dev/null; }
	@bash tests/bench/run.sh $(BUILD)

# tandemd's hot spots under 4 KiB random reads at QD32 (perf).
bench-profile: $(TANDEMD) bench-tools
	@bash tests/bench/profile.sh $(BUILD)

.PHONY: bench-tools bench-profile
