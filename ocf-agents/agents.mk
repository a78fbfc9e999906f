# The OCF resource agents ocf:tandem:{target,lun,portal} (ocf-agents/),
# included by the top-level Makefile. They speak to tandemd through the
# control-socket client (target/ctl/client.c, and target/ctl/update.c for
# the read-modify-write cycle they share with tandemctl) and never link the
# engine.
OCF_DIR      := $(BUILD)/ocf
OCF_RA_DIR   ?= /usr/lib/ocf/resource.d/tandem
OCF_PKGS     := libqb jansson libnl-route-3.0
OCF_CFLAGS   := $(shell pkg-config --cflags $(OCF_PKGS) 2>/dev/null)
OCF_LIBS     := $(shell pkg-config --libs $(OCF_PKGS) 2>/dev/null)

OCF_LIB_SRC    := ocf-agents/ocf_main.c ocf-agents/ocf_params.c ocf-agents/ocf_exec.c
OCF_CTL_SRC    := ocf-agents/ctlops.c target/ctl/client.c target/ctl/update.c
OCF_PORTAL_SRC := ocf-agents/portal.c ocf-agents/netaddr.c ocf-agents/announce.c \
                  ocf-agents/conns.c ocf-agents/gate.c ocf-agents/record.c
OCF_TARGET_SRC := ocf-agents/target.c ocf-agents/target_config.c ocf-agents/daemon_ctl.c \
                  ocf-agents/netaddr.c
OCF_LUN_SRC    := ocf-agents/lun.c ocf-agents/lun_config.c ocf-agents/drbd.c

ocf_obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
OCF_ALL_OBJ := $(call ocf_obj,$(sort $(wildcard ocf-agents/*.c)) target/ctl/client.c \
                target/ctl/update.c)
OCF_AGENTS  := $(OCF_DIR)/target $(OCF_DIR)/lun $(OCF_DIR)/portal

$(OCF_ALL_OBJ): ALL_CFLAGS += $(OCF_CFLAGS) -Iocf-agents

$(OCF_DIR)/portal: $(call ocf_obj,$(OCF_PORTAL_SRC) $(OCF_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(OCF_LIBS)
$(OCF_DIR)/target: $(call ocf_obj,$(OCF_TARGET_SRC) $(OCF_CTL_SRC) $(OCF_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(OCF_LIBS)
$(OCF_DIR)/lun: $(call ocf_obj,$(OCF_LUN_SRC) $(OCF_CTL_SRC) $(OCF_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(OCF_LIBS)

all: $(OCF_AGENTS)

.PHONY: agents check-agents install-agents
agents: $(OCF_AGENTS)

install: install-agents
install-agents: $(OCF_AGENTS)
	install -d $(DESTDIR)$(OCF_RA_DIR)
	install -m 0755 $(OCF_AGENTS) $(DESTDIR)$(OCF_RA_DIR)/

check-agents: $(OCF_AGENTS) $(TANDEMD)
	@bash tests/agents/run.sh $(BUILD)

-include $(OCF_ALL_OBJ:.o=.d)
check-policy: $(OCF_AGENTS)
