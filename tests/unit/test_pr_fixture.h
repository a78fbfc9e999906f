/* Shared by the test_pr_*.c suites: PERSISTENT RESERVE IN/OUT, RESERVE and
 * media commands sent through the core as a fabric would (on the fixture
 * of test_scsi_fixture.h), a third nexus that is never registered, and a
 * second target port. */
#ifndef TANDEM_TEST_PR_FIXTURE_H
#define TANDEM_TEST_PR_FIXTURE_H

#include "test_scsi_fixture.h"

#include "scsi/pr.h"

#define KEY_A 0xaaaa0000000000a1ULL
#define KEY_B 0xbbbb0000000000b2ULL
#define KEY_C 0xcccc0000000000c3ULL

#define PF_APTPL 0x01
#define PF_ALL_TG_PT 0x04
#define PF_SPEC_I_PT 0x08

/* Nexuses with static storage: the LU keeps pointers to the nexuses that
 * addressed it until they are gone, as the fabric's sessions outlive them. */
static struct scsi_tport pr_tport2;
static struct scsi_nexus pr_nexus_c, pr_nexus_a2;

/* c: an initiator that never registers; a2: initiator a's port through a
 * second target port (relative port 4) of the same target. */
static inline void pr_extra_nexuses(struct fx *f)
{
	pr_tport2 = f->tport;
	strcpy(pr_tport2.name, "iqn.2003-01.org.example:t1,t,0x0002");
	pr_tport2.rtpi = 4;
	pr_nexus_c = f->nexus;
	strcpy(pr_nexus_c.i_name, "iqn.1994-05.com.example:c");
	strcpy(pr_nexus_c.i_port, "iqn.1994-05.com.example:c,i,0x23d000000003");
	pr_nexus_c.id = 3;
	pr_nexus_a2 = f->nexus;
	pr_nexus_a2.tport = &pr_tport2;
	pr_nexus_a2.id = 4;
	/* nexus2 of the fixture is initiator b. */
	strcpy(f->nexus2.i_name, "iqn.1994-05.com.example:b");
}

static inline uint8_t pr_out_list(struct fx *f, const struct scsi_nexus *n,
				  uint8_t sa, uint8_t type, const uint8_t *p,
				  uint32_t len)
{
	uint8_t cdb[10] = { 0x5f, sa, type };

	put32(cdb + 5, len);
	return fx_run_on(f, n, 0, cdb, 10, p, len);
}

static inline uint8_t prout(struct fx *f, const struct scsi_nexus *n,
			     uint8_t sa, uint8_t type, uint64_t rk,
			     uint64_t sark, uint8_t flags)
{
	uint8_t p[24] = { 0 };

	put64(p, rk);
	put64(p + 8, sark);
	p[20] = flags;
	return pr_out_list(f, n, sa, type, p, sizeof(p));
}

static inline uint8_t pr_register(struct fx *f, const struct scsi_nexus *n,
				  uint64_t key)
{
	return prout(f, n, PRO_REGISTER_IGNORE, 0, 0, key, 0);
}

/* Runs PERSISTENT RESERVE IN; the response is in f->cmd.buf. */
static inline uint8_t prin(struct fx *f, const struct scsi_nexus *n,
			    uint8_t sa, uint16_t alloc)
{
	uint8_t cdb[10] = { 0x5e, sa };

	put16(cdb + 7, alloc);
	return fx_run_on(f, n, 0, cdb, 10, NULL, 0);
}

static inline uint32_t pr_generation(struct fx *f)
{
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 8), SAM_STAT_GOOD);
	return get32(f->cmd.buf);
}

static inline unsigned pr_nkeys(struct fx *f)
{
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 8), SAM_STAT_GOOD);
	return get32(f->cmd.buf + 4) / 8;
}

static inline bool pr_has_key(struct fx *f, uint64_t key)
{
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 4096), SAM_STAT_GOOD);
	uint32_t n = get32(f->cmd.buf + 4) / 8;
	for (uint32_t i = 0; i < n; i++)
		if (get64(f->cmd.buf + 8 + 8 * i) == key)
			return true;
	return false;
}

static inline uint8_t media_read(struct fx *f, const struct scsi_nexus *n)
{
	static const uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
	return fx_run_on(f, n, 0, rd, 10, NULL, 0);
}

static inline uint8_t media_write(struct fx *f, const struct scsi_nexus *n)
{
	static const uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
	static const uint8_t data[FX_BLOCK];
	return fx_run_on(f, n, 0, wr, 10, data, sizeof(data));
}

/* The sense of the last command is a unit attention with this ASC. */
static inline void pr_expect_ua(struct fx *f, const struct scsi_nexus *n,
				uint16_t asc)
{
	static const uint8_t tur[6];
	assert_int_equal(fx_run_on(f, n, 0, tur, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, asc);
}

static inline void pr_expect_no_ua(struct fx *f, const struct scsi_nexus *n)
{
	static const uint8_t tur[6];
	assert_int_equal(fx_run_on(f, n, 0, tur, 6, NULL, 0), SAM_STAT_GOOD);
}

#endif
