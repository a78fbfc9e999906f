# tandemctl (target/ctl): a client of tandemd's control socket only; it
# links libqb, jansson and libedit, never the engine objects.
CTL_PKGS    := libqb jansson libedit
CTL_CFLAGS  := $(shell pkg-config --cflags $(CTL_PKGS) 2>/dev/null)
CTL_LIBS    := $(shell pkg-config --libs $(CTL_PKGS) 2>/dev/null)
CTL_SRC     := $(sort $(wildcard target/ctl/*.c))
CTL_OBJ     := $(patsubst %.c,$(BUILD)/ctl/%.o,$(CTL_SRC))
TANDEMCTL   := $(BUILD)/tandemctl
# The unit test drives the tree editing and completion on plain JSON: all
# of tandemctl but its main().
CTL_TEST_OBJ := $(filter-out $(BUILD)/ctl/target/ctl/main.o,$(CTL_OBJ))
CTL_TEST    := $(BUILD)/ctl/test_ctl_tree
# The same under ASan+UBSan (the tests run both).
CTL_SAN_OBJ := $(patsubst %.c,$(BUILD)/ctl-san/%.o,$(CTL_SRC))
CTL_SAN_TEST_OBJ := $(filter-out $(BUILD)/ctl-san/target/ctl/main.o,$(CTL_SAN_OBJ))
SAN_TANDEMCTL := $(BUILD)/tandemctl-san
CTL_SAN_TEST := $(BUILD)/ctl-san/test_ctl_tree

.PHONY: check-ctl install-ctl
all: $(TANDEMCTL) $(CTL_TEST) $(SAN_TANDEMCTL) $(CTL_SAN_TEST)
install: install-ctl

$(BUILD)/ctl/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CTL_CFLAGS) -c $< -o $@
$(BUILD)/ctl-san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CTL_CFLAGS) -c $< -o $@

$(TANDEMCTL): $(CTL_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CTL_LIBS)
$(SAN_TANDEMCTL): $(CTL_SAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(CTL_LIBS)

$(CTL_TEST): $(BUILD)/ctl/tests/ctl/test_ctl_tree.o $(CTL_TEST_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CTL_LIBS) -lcmocka
$(CTL_SAN_TEST): $(BUILD)/ctl-san/tests/ctl/test_ctl_tree.o $(CTL_SAN_TEST_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(CTL_LIBS) -lcmocka

install-ctl: $(TANDEMCTL)
	install -D -m 0755 $(TANDEMCTL) $(DESTDIR)$(SBINDIR)/tandemctl
	install -D -m 0644 docs/tandemctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/tandemctl.8

# tests/ctl/daemon/ (run by tests/ctl/run.sh) also runs the sanitizer build.
check-ctl: $(TANDEMCTL) $(CTL_TEST) $(SAN_TANDEMCTL) $(CTL_SAN_TEST) $(TANDEMD) $(SAN_TANDEMD)
	@bash tests/ctl/run.sh $(BUILD)

-include $(CTL_OBJ:.o=.d) $(CTL_SAN_OBJ:.o=.d)
