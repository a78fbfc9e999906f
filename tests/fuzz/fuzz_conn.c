/* libFuzzer target for everything an initiator's bytes reach: the PDU
 * reader, login and key negotiation, CHAP, text requests, task management
 * and the SCSI command path down to a ramdisk. The input is written into a
 * connected socket and the fabric's own event loop runs it.
 *
 * The first input byte picks a canned login to prepend (none, a normal
 * session, a discovery session), so the fuzzer reaches full feature phase
 * without having to learn the login first. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backstore/backstore.h"
#include "common/evloop.h"
#include "iscsi/conn.h"
#include "iscsi/iscsi.h"
#include "iscsi/pdu.h"
#include "scsi/scsi.h"

#define TARGET_NAME "iqn.2026-11.org.tandem:fuzz"

static struct evloop loop;
static struct evloop_inbox inbox;
static struct bs_ring *ring;
static struct iscsi_worker worker;
static struct iscsi_registry reg;
static struct iscsi_target target;
static struct iscsi_tpg tpg;
static struct iscsi_portal portal;
static struct scsi_lun_entry lun0;

static void setup(void)
{
	char err[256];
	struct bs_config bc = { .kind = BS_RAMDISK, .size = 1 << 20 };
	struct scsi_lu_config lc = { .vendor = "TANDEM", .product = "FUZZ",
				     .revision = "1", .serial = "fuzz0",
				     .naa = { 0x60, 0x01, 0x40, 0x50 },
				     .emulate_tpu = true, .emulate_tpws = true };
	struct sockaddr_in a = { .sin_family = AF_INET };

	snprintf(bc.name, sizeof(bc.name), "ram0");
	snprintf(lc.name, sizeof(lc.name), "ram0");
	struct backstore *bs = bs_open(&bc, err, sizeof(err));
	struct scsi_lu *lu = bs ? scsi_lu_create(bs, &lc, err, sizeof(err)) : NULL;
	if (!lu || evloop_init(&loop, err, sizeof(err)) ||
	    evloop_inbox_init(&loop, &inbox, err, sizeof(err)) ||
	    !(ring = bs_ring_create(64, err, sizeof(err)))) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		abort();
	}
	iscsi_worker_init(&worker, 0, &loop, &inbox, ring);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(3260);
	memcpy(&portal.addr, &a, sizeof(a));
	portal.addrlen = sizeof(a);

	lun0.lun = 0;
	lun0.lu = lu;
	snprintf(target.name, sizeof(target.name), TARGET_NAME);
	target.tpgs = &tpg;
	target.ntpgs = 1;
	tpg.target = &target;
	tpg.tag = 1;
	tpg.enabled = true;
	tpg.auth_none_allowed = true;
	tpg.auth_chap_allowed = true;
	tpg.demo_mode = true;
	snprintf(tpg.auth.userid, sizeof(tpg.auth.userid), "user");
	snprintf(tpg.auth.password, sizeof(tpg.auth.password), "secretsecret");
	iscsi_limits_default(&tpg.limits);
	snprintf(tpg.tport.target_name, sizeof(tpg.tport.target_name), TARGET_NAME);
	snprintf(tpg.tport.name, sizeof(tpg.tport.name), TARGET_NAME ",t,0x0001");
	tpg.tport.rtpi = 1;
	tpg.tport.tpg_id = 1;
	tpg.luns.count = 1;
	tpg.luns.ent = &lun0;
	tpg.portals = &portal;
	tpg.nportals = 1;
	reg.targets = &target;
	reg.ntargets = 1;
	iscsi_set_registry(&reg);
}

/* A login request PDU going straight to full feature phase. */
static size_t canned_login(uint8_t *out, bool discovery)
{
	char text[512];
	int tl = discovery ?
		snprintf(text, sizeof(text), "InitiatorName=iqn.2026-11.org.tandem:i%c"
			 "SessionType=Discovery%cAuthMethod=None%c", 0, 0, 0) :
		snprintf(text, sizeof(text), "InitiatorName=iqn.2026-11.org.tandem:i%c"
			 "TargetName=" TARGET_NAME "%cSessionType=Normal%c"
			 "AuthMethod=None%cImmediateData=Yes%cInitialR2T=No%c"
			 "MaxRecvDataSegmentLength=65536%c", 0, 0, 0, 0, 0, 0, 0);
	uint32_t len = (uint32_t)tl;

	memset(out, 0, ISCSI_BHS_LEN);
	out[0] = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
	out[1] = ISCSI_LOGIN_TRANSIT | (ISCSI_STAGE_OPERATIONAL << 2) | ISCSI_STAGE_FFP;
	put_be24(out + 5, len);
	out[8] = 0x40;		/* ISID: random format */
	put_be32(out + 16, 1);	/* ITT */
	put_be32(out + 24, 1);	/* CmdSN */
	memcpy(out + ISCSI_BHS_LEN, text, len);
	len += iscsi_pad(len);
	return ISCSI_BHS_LEN + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint8_t login[ISCSI_BHS_LEN + 512 + 4];
	size_t llen = 0;
	char sink[65536];

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	if (data[0] % 3)
		llen = canned_login(login, data[0] % 3 == 2);
	data++;
	size--;

	/* A socketpair, not TCP: hundreds of thousands of runs would leave as
	 * many connections in TIME-WAIT and run loopback out of ports. The
	 * connection is told it arrived on the portal, as a TCP one would be,
	 * so that logins find the TPG. */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("fuzz harness: socketpair");
		abort();
	}
	int cfd = sv[0], sfd = sv[1];
	if (fcntl(sfd, F_SETFL, O_NONBLOCK) < 0)
		abort();
	iscsi_conn_accept(&worker, sfd);
	struct iscsi_conn *c = list_entry(worker.conns.prev, struct iscsi_conn, wlink);
	memcpy(&c->local, &portal.addr, portal.addrlen);
	c->locallen = portal.addrlen;
	if ((llen && write(cfd, login, llen) != (ssize_t)llen) ||
	    (size && write(cfd, data, size) < 0))
		abort();
	shutdown(cfd, SHUT_WR);
	/* Run until the target has closed the connection (it sees EOF). */
	for (int i = 0; i < 200 && !list_empty(&worker.conns); i++) {
		evloop_run_once(&loop, 10);
		while (recv(cfd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	if (!list_empty(&worker.conns)) {
		fprintf(stderr, "connection still open after EOF\n");
		abort();
	}
	close(cfd);
	return 0;
}
