/* A small persistent reservation client on libiscsi's synchronous API, for
 * tests/pr/run.sh: sg_persist needs a local SCSI device, this talks to a
 * target directly. One command a run; it prints the SCSI status (and what
 * the command returned) and exits 0 whenever the command got a status.
 *
 *   prclient [-i INITIATOR] [-q ISID] URL COMMAND [ARGS]
 *
 * URL is iscsi://127.0.0.1:PORT/TARGET-IQN/LUN. The ISID is fixed (type
 * random, value 0x23d000 + the qualifier -q), so a run names the same
 * initiator port as the run before it, as a real initiator reconnecting
 * after a failover does. Commands (keys in hex, types as numbers):
 *   register KEY [aptpl]     REGISTER AND IGNORE EXISTING KEY
 *   unregister KEY           REGISTER with service action key 0
 *   reserve KEY TYPE         release KEY TYPE       clear KEY
 *   preempt KEY SARK TYPE
 *   keys                     READ KEYS: generation and keys
 *   reservation              READ RESERVATION
 *   fullstatus               READ FULL STATUS: generation, then one line
 *                            a registration
 *   write LBA | read LBA     one 512-byte block
 *   capacity                 READ CAPACITY(16): number of blocks
 * The first commands of a new session are TEST UNIT READYs until GOOD, to
 * take the unit attentions every new I_T nexus sees first. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

static struct iscsi_context *iscsi;
static int lun;

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Prints the status; returns 1 when it is GOOD. */
static int status(struct scsi_task *t)
{
	if (!t) {
		fprintf(stderr, "prclient: %s\n", iscsi_get_error(iscsi));
		exit(3);
	}
	switch (t->status) {
	case SCSI_STATUS_GOOD:
		printf("GOOD\n");
		return 1;
	case SCSI_STATUS_RESERVATION_CONFLICT:
		printf("RESERVATION_CONFLICT\n");
		return 0;
	case SCSI_STATUS_BUSY:
		printf("BUSY\n");
		return 0;
	case SCSI_STATUS_CHECK_CONDITION:
		printf("CHECK_CONDITION %s %s\n", scsi_sense_key_str(t->sense.key),
		       scsi_sense_ascq_str(t->sense.ascq));
		return 0;
	default:
		printf("STATUS 0x%02x\n", t->status);
		return 0;
	}
}

static struct scsi_task *prout(int sa, int type, uint64_t rk, uint64_t sark,
			       int aptpl)
{
	struct scsi_persistent_reserve_out_basic p = {
		.reservation_key = rk, .service_action_reservation_key = sark,
		.aptpl = (uint8_t)aptpl,
	};

	return iscsi_persistent_reserve_out_sync(iscsi, lun, sa,
						 SCSI_PERSISTENT_RESERVE_SCOPE_LU,
						 type, &p);
}

static void full_status(void)
{
	struct scsi_task *t = iscsi_persistent_reserve_in_sync(iscsi, lun,
			SCSI_PERSISTENT_RESERVE_READ_FULL_STATUS, 8192);

	if (!status(t))
		return;
	const unsigned char *d = t->datain.data;
	size_t n = (size_t)t->datain.size, off = 8;
	if (n < 8) {
		printf("short response: %zu bytes\n", n);
		return;
	}
	printf("generation %" PRIu32 "\n", be32(d));
	while (off + 24 <= n) {
		const unsigned char *e = d + off;
		uint32_t tlen = be32(e + 20);
		if (off + 24 + tlen > n || tlen < 24)
			break;
		printf("key 0x%016" PRIx64 " holder %d type %d all_tg_pt %d rtpi %u tid %.*s\n",
		       be64(e), e[12] & 1, e[12] & 1 ? e[13] & 0x0f : 0,
		       (e[12] >> 1) & 1, (unsigned)(e[18] << 8 | e[19]),
		       (int)strnlen((const char *)e + 28, tlen - 4), e + 28);
		off += 24 + tlen;
	}
}

static void read_keys(void)
{
	struct scsi_task *t = iscsi_persistent_reserve_in_sync(iscsi, lun,
			SCSI_PERSISTENT_RESERVE_READ_KEYS, 8192);

	if (!status(t) || t->datain.size < 8)
		return;
	const unsigned char *d = t->datain.data;
	uint32_t len = be32(d + 4);
	printf("generation %" PRIu32 "\n", be32(d));
	for (uint32_t o = 0; o + 8 <= len && 8 + o + 8 <= (uint32_t)t->datain.size; o += 8)
		printf("key 0x%016" PRIx64 "\n", be64(d + 8 + o));
}

static void reservation(void)
{
	struct scsi_task *t = iscsi_persistent_reserve_in_sync(iscsi, lun,
			SCSI_PERSISTENT_RESERVE_READ_RESERVATION, 8192);

	if (!status(t) || t->datain.size < 8)
		return;
	const unsigned char *d = t->datain.data;
	printf("generation %" PRIu32 "\n", be32(d));
	if (be32(d + 4) >= 16 && t->datain.size >= 24)
		printf("key 0x%016" PRIx64 " type %d\n", be64(d + 8), d[21] & 0x0f);
	else
		printf("not reserved\n");
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*end) {
		fprintf(stderr, "prclient: %s: not a number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *iname = "iqn.2026-11.org.tandem:prclient";
	unsigned qual = 1;
	struct iscsi_url *url;
	unsigned char block[512];
	int c;

	while ((c = getopt(argc, argv, "i:q:")) != -1) {
		switch (c) {
		case 'i':
			iname = optarg;
			break;
		case 'q':
			qual = (unsigned)num(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: prclient [-i INITIATOR] [-q ISID] URL COMMAND [ARGS]\n");
		return 2;
	}
	const char *cmd = argv[optind + 1];
	char **a = argv + optind + 2;
	int na = argc - optind - 2;

	iscsi = iscsi_create_context(iname);
	url = iscsi ? iscsi_parse_full_url(iscsi, argv[optind]) : NULL;
	if (!url) {
		fprintf(stderr, "prclient: %s: bad URL\n", argv[optind]);
		return 2;
	}
	iscsi_set_isid_random(iscsi, 0x23d000 + qual, 0);
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_targetname(iscsi, url->target);
	lun = url->lun;
	if (iscsi_full_connect_sync(iscsi, url->portal, url->lun) != 0) {
		fprintf(stderr, "prclient: connect %s: %s\n", argv[optind], iscsi_get_error(iscsi));
		return 3;
	}
	for (int i = 0; i < 10; i++) {
		struct scsi_task *t = iscsi_testunitready_sync(iscsi, lun);
		int good = t && t->status == SCSI_STATUS_GOOD;
		scsi_free_scsi_task(t);
		if (good)
			break;
	}

	if (!strcmp(cmd, "register") && na >= 1)
		status(prout(SCSI_PERSISTENT_RESERVE_REGISTER_AND_IGNORE_EXISTING_KEY, 0,
			     0, num(a[0]), na > 1 && !strcmp(a[1], "aptpl")));
	else if (!strcmp(cmd, "unregister") && na == 1)
		status(prout(SCSI_PERSISTENT_RESERVE_REGISTER, 0, num(a[0]), 0, 0));
	else if (!strcmp(cmd, "reserve") && na == 2)
		status(prout(SCSI_PERSISTENT_RESERVE_RESERVE, (int)num(a[1]), num(a[0]), 0, 0));
	else if (!strcmp(cmd, "release") && na == 2)
		status(prout(SCSI_PERSISTENT_RESERVE_RELEASE, (int)num(a[1]), num(a[0]), 0, 0));
	else if (!strcmp(cmd, "clear") && na == 1)
		status(prout(SCSI_PERSISTENT_RESERVE_CLEAR, 0, num(a[0]), 0, 0));
	else if (!strcmp(cmd, "preempt") && na == 3)
		status(prout(SCSI_PERSISTENT_RESERVE_PREEMPT, (int)num(a[2]), num(a[0]),
			     num(a[1]), 0));
	else if (!strcmp(cmd, "fullstatus") && na == 0)
		full_status();
	else if (!strcmp(cmd, "keys") && na == 0)
		read_keys();
	else if (!strcmp(cmd, "reservation") && na == 0)
		reservation();
	else if (!strcmp(cmd, "write") && na == 1) {
		memset(block, 0xa5, sizeof(block));
		status(iscsi_write10_sync(iscsi, lun, (uint32_t)num(a[0]), block,
					  sizeof(block), 512, 0, 0, 0, 0, 0));
	} else if (!strcmp(cmd, "read") && na == 1)
		status(iscsi_read10_sync(iscsi, lun, (uint32_t)num(a[0]), 512, 512,
					 0, 0, 0, 0, 0));
	else if (!strcmp(cmd, "capacity") && na == 0) {
		struct scsi_task *t = iscsi_readcapacity16_sync(iscsi, lun);
		if (status(t) && t->datain.size >= 12)
			printf("blocks %" PRIu64 "\n", be64(t->datain.data) + 1);
	} else {
		fprintf(stderr, "prclient: unknown command or arguments: %s\n", cmd);
		return 2;
	}
	/* The process ends here: tasks and the context go with it. */
	iscsi_logout_sync(iscsi);
	return 0;
}
