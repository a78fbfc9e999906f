/* Persistent reservations in memory (pr_store none): every PERSISTENT
 * RESERVE OUT service action, what each reservation type lets holders,
 * registrants and strangers do, the unit attentions and who gets them, the
 * generation, APTPL, TransportIDs, PERSISTENT RESERVE IN's data, and SPC-2
 * RESERVE/RELEASE with their interplay. Nexuses: a (fixture nexus), b
 * (nexus2), c (never registered), a2 (a through a second target port). */
#include "test_pr_fixture.h"

static int setup(void **state)
{
	struct fx *f;

	fx_setup(state);
	f = *state;
	pr_extra_nexuses(f);
	assert_int_equal(scsi_lu_add_port(f->lu, &f->tport), 0);
	assert_int_equal(scsi_lu_add_port(f->lu, &pr_tport2), 0);
	fx_clear_ua(f, &f->nexus2);
	fx_clear_ua(f, &pr_nexus_c);
	fx_clear_ua(f, &pr_nexus_a2);
	return 0;
}

static const uint8_t tur[6];
static const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
static const uint8_t rcap10[10] = { 0x25 };
static const uint8_t msense6[6] = { 0x1a, 0, 0x3f, 0, 255, 0 };
static const uint8_t sync10[10] = { 0x35 };
static const uint8_t reserve6[6] = { 0x16 };
static const uint8_t release6[6] = { 0x17 };
static const uint8_t reserve10[10] = { 0x56 };
static const uint8_t release10[10] = { 0x57 };
static const uint8_t req_sense[6] = { 0x03, 0, 0, 0, 18, 0 };

static uint8_t run(struct fx *f, const struct scsi_nexus *n, const uint8_t *cdb,
		   size_t len)
{
	return fx_run_on(f, n, 0, cdb, len, NULL, 0);
}

/* Every command the core implements has a row in the conflict table. */
static void test_every_opcode_classified(void **state)
{
	(void)state;
	for (unsigned op = 0; op < 256; op++) {
		const struct scsi_op *o = &scsi_optab[op];
		unsigned n = o->sa_tab ? o->n_sa : (o->exec ? 1 : 0);
		for (unsigned i = 0; i < n; i++) {
			uint8_t cdb[16] = { (uint8_t)op };
			if (o->sa_tab)
				cdb[1] = (uint8_t)o->sa_tab[i].sa;
			if (!(pr_class(cdb) & PRC_SET))
				fail_msg("opcode 0x%02x/%u has no reservation class", op, cdb[1]);
		}
	}
}

static void test_register(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_generation(f), 0);
	assert_int_equal(pr_nkeys(f), 0);
	/* Unregistered: key must be 0; SA key 0 does nothing. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_B, KEY_A, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(pr_generation(f), 0);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_A, 0), SAM_STAT_GOOD);
	assert_int_equal(pr_generation(f), 1);
	assert_true(pr_has_key(f, KEY_A));
	/* Registered: the key must be the registered one. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_C, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_A, KEY_C, 0), SAM_STAT_GOOD);
	assert_false(pr_has_key(f, KEY_A));
	assert_true(pr_has_key(f, KEY_C));
	assert_int_equal(pr_generation(f), 2);
	/* REGISTER AND IGNORE EXISTING KEY does not look at the key. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER_IGNORE, 0, 0x1234, KEY_A, 0),
			 SAM_STAT_GOOD);
	assert_true(pr_has_key(f, KEY_A));
	assert_int_equal(pr_nkeys(f), 1);
	/* Unregister. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_A, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 0);
	assert_int_equal(pr_generation(f), 4);
	/* The same key for two nexuses is allowed. */
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 2);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	uint8_t p[32] = { 0 };
	uint8_t cdb[10] = { 0x5f, PRO_REGISTER };

	/* Parameter list length: 24 except with TransportIDs. */
	put32(cdb + 5, 0);
	assert_int_equal(fx_run_on(f, &f->nexus, 0, cdb, 10, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	assert_int_equal(pr_out_list(f, &f->nexus, PRO_REGISTER, 0, p, 23),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	assert_int_equal(pr_out_list(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE, p, 28),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	put64(p + 8, KEY_A);
	assert_int_equal(pr_out_list(f, &f->nexus, PRO_REGISTER, 0, p, 28),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	put32(cdb + 5, PR_OUT_MAX_LEN + 1);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 10), -1);
	fx_assert_check(f, 0x5, 0x1a00);
	/* SPEC_I_PT only with REGISTER. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER_IGNORE, 0, 0, KEY_A, PF_SPEC_I_PT),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	/* APTPL cannot be honoured without a store. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_A, PF_APTPL),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(pr_nkeys(f), 0);
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	/* Scope and type. */
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, 0x10 | PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, 0x2, KEY_A, 0, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(prout(f, &f->nexus, 0x08, 0, KEY_A, 0, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	assert_int_equal(prin(f, &f->nexus, 0x04, 64), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2400);
	/* PREEMPT with service action key 0 and no all-registrants
	 * reservation. */
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	/* Every action but REGISTER* needs a registered sender with its key. */
	for (uint8_t sa = PRO_RESERVE; sa <= PRO_REGISTER_AND_MOVE; sa++) {
		if (sa == PRO_REGISTER_IGNORE || sa == PRO_REGISTER_AND_MOVE)
			continue;
		assert_int_equal(prout(f, &pr_nexus_c, sa, PR_TYPE_WE, 0, KEY_C, 0),
				 SAM_STAT_RESERVATION_CONFLICT);
		assert_int_equal(prout(f, &f->nexus, sa, PR_TYPE_WE, KEY_B, KEY_C, 0),
				 SAM_STAT_RESERVATION_CONFLICT);
	}
	assert_int_equal(pr_generation(f), 1);
}

/* Expected results for the non-holders b (registered) and c (not):
 * read, write. */
struct access {
	uint8_t type;
	bool b_read, b_write, c_read, c_write;
};

static void test_conflict_matrix(void **state)
{
	static const struct access rows[] = {
		{ PR_TYPE_WE, true, false, true, false },
		{ PR_TYPE_EA, false, false, false, false },
		{ PR_TYPE_WE_RO, true, true, true, false },
		{ PR_TYPE_EA_RO, true, true, false, false },
		{ PR_TYPE_WE_AR, true, true, true, false },
		{ PR_TYPE_EA_AR, true, true, false, false },
	};
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct access *e = &rows[r];
		const uint8_t ok = SAM_STAT_GOOD, no = SAM_STAT_RESERVATION_CONFLICT;

		assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, e->type, KEY_A, 0, 0), ok);
		/* The holder does everything. */
		assert_int_equal(media_read(f, &f->nexus), ok);
		assert_int_equal(media_write(f, &f->nexus), ok);
		assert_int_equal(run(f, &f->nexus, sync10, 10), ok);
		assert_int_equal(media_read(f, &f->nexus2), e->b_read ? ok : no);
		assert_int_equal(media_write(f, &f->nexus2), e->b_write ? ok : no);
		assert_int_equal(media_read(f, &pr_nexus_c), e->c_read ? ok : no);
		assert_int_equal(media_write(f, &pr_nexus_c), e->c_write ? ok : no);
		/* MODE SENSE is a read, SYNCHRONIZE CACHE a write. */
		assert_int_equal(run(f, &pr_nexus_c, msense6, 6), e->c_read ? ok : no);
		assert_int_equal(run(f, &pr_nexus_c, sync10, 10), e->c_write ? ok : no);
		/* Allowed through every type. */
		assert_int_equal(run(f, &pr_nexus_c, tur, 6), ok);
		assert_int_equal(run(f, &pr_nexus_c, inquiry, 6), ok);
		assert_int_equal(run(f, &pr_nexus_c, rcap10, 10), ok);
		assert_int_equal(prin(f, &pr_nexus_c, PRI_READ_RESERVATION, 64), ok);
		/* Conflicting status carries no sense. */
		if (!e->c_write) {
			media_write(f, &pr_nexus_c);
			assert_int_equal(f->cmd.sense_len, 0);
		}
		assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, e->type, KEY_A, 0, 0), ok);
		/* Registrants-only and all-registrants releases are told to
		 * the other registrants. */
		if (e->type == PR_TYPE_WE || e->type == PR_TYPE_EA)
			pr_expect_no_ua(f, &f->nexus2);
		else
			pr_expect_ua(f, &f->nexus2, 0x2a04);
		pr_expect_no_ua(f, &pr_nexus_c);
		assert_int_equal(media_write(f, &pr_nexus_c), ok);
		assert_int_equal(media_read(f, &f->nexus2), ok);
	}
	/* Registrations alone restrict nothing. */
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_GOOD);
	/* RESERVE and RELEASE change no generation. */
	assert_int_equal(pr_generation(f), 2);
}

static void test_reserve(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE, KEY_B, 0, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	/* Again by the holder: fine; another type, or another nexus: no. */
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA, KEY_A, 0, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_WE, KEY_B, 0, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* The same initiator port through another target port is another
	 * I_T nexus: not registered, not the holder. */
	assert_int_equal(media_write(f, &pr_nexus_a2), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	/* All registrants: every registrant holds it. */
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA_AR, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_EA_AR, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_WE_AR, KEY_B, 0, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 64), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf + 4), 16);
	assert_int_equal(get64(f->cmd.buf + 8), 0);	/* key 0 for all-registrants */
	assert_int_equal(f->cmd.buf[21], PR_TYPE_EA_AR);
	/* Released by any registrant, the others told. */
	assert_int_equal(prout(f, &f->nexus2, PRO_RELEASE, PR_TYPE_EA_AR, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	pr_expect_ua(f, &f->nexus, 0x2a04);
	pr_expect_no_ua(f, &f->nexus2);
	pr_expect_no_ua(f, &pr_nexus_c);
}

static void test_release(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	/* Nothing reserved: GOOD. */
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE_RO, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	/* A non-holder's RELEASE does nothing and succeeds. */
	assert_int_equal(prout(f, &f->nexus2, PRO_RELEASE, PR_TYPE_WE_RO, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
	/* The holder must name the type. */
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2604);
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE_RO, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	/* Registrants only: the other registrants hear of it, nobody else. */
	pr_expect_ua(f, &f->nexus2, 0x2a04);
	pr_expect_no_ua(f, &f->nexus);
	pr_expect_no_ua(f, &pr_nexus_c);
	/* Write Exclusive: nobody is told. */
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	pr_expect_no_ua(f, &f->nexus2);
	assert_int_equal(pr_generation(f), 2);
}

static void test_unregister_holder(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA_RO, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_A, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(media_read(f, &pr_nexus_c), SAM_STAT_GOOD);
	pr_expect_ua(f, &f->nexus2, 0x2a04);
	/* Exclusive Access: released in silence. */
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_A, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(media_read(f, &pr_nexus_c), SAM_STAT_GOOD);
	pr_expect_no_ua(f, &f->nexus2);
	/* All registrants: it stays until the last registrant leaves. */
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE_AR, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_A, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(media_write(f, &f->nexus2), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_REGISTER, 0, KEY_B, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_GOOD);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 64), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf + 4), 0);
}

static void test_clear(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_EA, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &pr_nexus_c, PRO_CLEAR, 0, 0, 0, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* Any registrant may clear, even one the reservation shuts out. */
	assert_int_equal(prout(f, &f->nexus, PRO_CLEAR, 0, KEY_A, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 0);
	assert_int_equal(pr_generation(f), 3);
	assert_int_equal(media_read(f, &pr_nexus_c), SAM_STAT_GOOD);
	pr_expect_ua(f, &f->nexus2, 0x2a03);
	pr_expect_no_ua(f, &f->nexus);
	pr_expect_no_ua(f, &pr_nexus_c);
}

static void test_preempt_registrations(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &pr_nexus_a2, KEY_B), SAM_STAT_GOOD);
	/* A key nobody has. */
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_WE, KEY_A, KEY_C, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* No reservation: registrations with the key go, none is made. */
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_WE, KEY_A, KEY_B, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 1);
	assert_int_equal(pr_generation(f), 4);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 64), SAM_STAT_GOOD);
	assert_int_equal(get32(f->cmd.buf + 4), 0);
	pr_expect_ua(f, &f->nexus2, 0x2a05);
	pr_expect_ua(f, &pr_nexus_a2, 0x2a05);
	pr_expect_no_ua(f, &f->nexus);
	pr_expect_no_ua(f, &pr_nexus_c);
	/* A reservation held under another key stays where it is. */
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_WE, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_EA, KEY_A, KEY_C, 0),
			 SAM_STAT_GOOD);
	assert_false(pr_has_key(f, KEY_C));
	assert_int_equal(media_write(f, &f->nexus2), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_RESERVATION_CONFLICT);
}

static void test_preempt_reservation(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_WE, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	uint32_t gen = pr_generation(f);
	/* The holder's key: its registration goes and a holds the type it
	 * names; c, whose registration stays, hears the type changed. */
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT_AND_ABORT, PR_TYPE_EA_RO,
				KEY_A, KEY_B, 0), SAM_STAT_GOOD);
	assert_int_equal(pr_generation(f), gen + 1);
	assert_false(pr_has_key(f, KEY_B));
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 64), SAM_STAT_GOOD);
	assert_int_equal(get64(f->cmd.buf + 8), KEY_A);
	assert_int_equal(f->cmd.buf[21], PR_TYPE_EA_RO);
	pr_expect_ua(f, &f->nexus2, 0x2a05);
	pr_expect_ua(f, &pr_nexus_c, 0x2a04);
	pr_expect_no_ua(f, &f->nexus);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(media_read(f, &pr_nexus_c), SAM_STAT_GOOD);
	/* The holder may preempt itself to change the type; same type: no
	 * unit attention for the others. */
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_EA_RO, KEY_A, KEY_A, 0),
			 SAM_STAT_GOOD);
	pr_expect_no_ua(f, &pr_nexus_c);
	assert_int_equal(pr_nkeys(f), 2);
	/* All registrants, SA key 0: everybody else goes, a holds. */
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_EA_RO, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	pr_expect_ua(f, &pr_nexus_c, 0x2a04);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_WE_AR, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 1);
	pr_expect_ua(f, &f->nexus2, 0x2a05);
	pr_expect_ua(f, &pr_nexus_c, 0x2a05);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus2), SAM_STAT_RESERVATION_CONFLICT);
	/* All registrants, SA key given: only those go; it stays. */
	assert_int_equal(prout(f, &f->nexus, PRO_RELEASE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &pr_nexus_c, KEY_C), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA_AR, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, PR_TYPE_EA_AR, KEY_A, KEY_C, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 2);
	pr_expect_ua(f, &pr_nexus_c, 0x2a05);
	pr_expect_no_ua(f, &f->nexus2);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_GOOD);
	assert_int_equal(media_read(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
}

/* An iSCSI TransportID, format 01b when isid is set. */
static size_t tid(uint8_t *p, const char *name, const char *isid)
{
	char s[300];
	size_t len, addl;

	snprintf(s, sizeof(s), isid ? "%s,i,0x%s" : "%s", name, isid);
	len = strlen(s) + 1;
	addl = (len + 3) & ~(size_t)3;
	if (addl < 20)
		addl = 20;
	memset(p, 0, 4 + addl);
	p[0] = (uint8_t)((isid ? 0x40 : 0) | 0x05);
	put16(p + 2, (uint16_t)addl);
	memcpy(p + 4, s, len - 1);
	return 4 + addl;
}

static uint8_t register_tids(struct fx *f, const struct scsi_nexus *n,
			     uint64_t rk, const uint8_t *tids, size_t len)
{
	uint8_t p[1024] = { 0 };

	put64(p, rk);
	put64(p + 8, KEY_A);
	p[20] = PF_SPEC_I_PT;
	put32(p + 24, (uint32_t)len);
	memcpy(p + 28, tids, len);
	return pr_out_list(f, n, PRO_REGISTER, 0, p, (uint32_t)(28 + len));
}

static void test_spec_i_pt(void **state)
{
	struct fx *f = *state;
	uint8_t t[800];
	size_t n = 0;

	/* b by port (uppercase ISID digits), c by name, a itself (skipped). */
	n += tid(t + n, "iqn.1994-05.com.example:b", "23D000000002");
	n += tid(t + n, "iqn.1994-05.com.example:c", NULL);
	n += tid(t + n, "iqn.1994-05.com.example:a", "23d000000001");
	assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 3);
	assert_int_equal(pr_generation(f), 1);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_WE_RO, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus2), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &pr_nexus_c), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &pr_nexus_a2), SAM_STAT_RESERVATION_CONFLICT);
	/* READ FULL STATUS gives them back: b as a port, c by name. */
	assert_int_equal(prin(f, &f->nexus, PRI_READ_FULL_STATUS, 4096), SAM_STAT_GOOD);
	const uint8_t *d = f->cmd.buf + 8;
	uint32_t total = get32(f->cmd.buf + 4), seen = 0;
	bool by_port = false, by_name = false;
	while (seen < total) {
		uint32_t tl = get32(d + 20);
		const char *name = (const char *)d + 28;
		if (!strcmp(name, "iqn.1994-05.com.example:b,i,0x23d000000002"))
			by_port = (d[24] & 0xc0) == 0x40;
		if (!strcmp(name, "iqn.1994-05.com.example:c"))
			by_name = (d[24] & 0xc0) == 0;
		assert_int_equal(get16(d + 18), 3);
		seen += 24 + tl;
		d += 24 + tl;
	}
	assert_int_equal(seen, total);
	assert_true(by_port && by_name);
	assert_int_equal(prout(f, &f->nexus, PRO_CLEAR, 0, KEY_A, 0, 0), SAM_STAT_GOOD);

	/* A bad TransportID anywhere registers nothing. */
	static const char *const bad[] = {
		"\x01", /* protocol 1 */ "\x85", /* format 10b */
	};
	for (unsigned i = 0; i < 2; i++) {
		n = tid(t, "iqn.1994-05.com.example:b", NULL);
		t[0] = (uint8_t)bad[i][0];
		assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_CHECK_CONDITION);
		fx_assert_check(f, 0x5, 0x2600);
	}
	n = tid(t, "iqn.1994-05.com.example:b", "23d00000000g");
	assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_CHECK_CONDITION);
	n = tid(t, "iqn.1994-05.com.example:b", NULL);
	put16(t + 2, 22);				/* not a multiple of 4 */
	assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_CHECK_CONDITION);
	n = tid(t, "iqn.1994-05.com.example:b", NULL);
	memset(t + 4, 'x', n - 4);			/* no NUL */
	assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_CHECK_CONDITION);
	n = tid(t, "iqn.1994-05.com.example:b", NULL);
	put16(t + 2, 400);				/* past the list */
	assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(pr_nkeys(f), 0);
	/* A port that is registered already. */
	pr_expect_ua(f, &f->nexus2, 0x2a03);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	n = tid(t, "iqn.1994-05.com.example:b", NULL);
	assert_int_equal(register_tids(f, &f->nexus, 0, t, n), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(pr_nkeys(f), 1);
	/* Registered senders may not use SPEC_I_PT. */
	assert_int_equal(register_tids(f, &f->nexus2, KEY_B, t, 0), SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
}

static void test_all_tg_pt(void **state)
{
	struct fx *f = *state;

	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_A, PF_ALL_TG_PT),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &pr_nexus_a2, PRO_RESERVE, PR_TYPE_WE, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	/* Registered through both ports, holding through the second only. */
	assert_int_equal(media_write(f, &pr_nexus_a2), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_FULL_STATUS, 4096), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.buf[8 + 12], 0x03);	/* ALL_TG_PT, R_HOLDER */
	/* It covers a's port on the first target port: registering there
	 * again is a re-registration. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_B, 0),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* Unregistering through either port ends it for both, and the
	 * holder's reservation with it. */
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, KEY_A, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 0);
	/* ALL_TG_PT over a port registered already: refused. */
	assert_int_equal(pr_register(f, &pr_nexus_a2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_A, PF_ALL_TG_PT),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(prout(f, &f->nexus, PRO_REGISTER, 0, 0, KEY_A, 0), SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 2);
}

static uint8_t move(struct fx *f, const struct scsi_nexus *n, uint64_t rk,
		    uint64_t sark, uint16_t rtpi, bool unreg, const char *name,
		    const char *isid)
{
	uint8_t p[512] = { 0 };
	size_t tl = tid(p + 24, name, isid);

	put64(p, rk);
	put64(p + 8, sark);
	p[17] = unreg ? 0x02 : 0;
	put16(p + 18, rtpi);
	put32(p + 20, (uint32_t)tl);
	return pr_out_list(f, n, PRO_REGISTER_AND_MOVE, 0, p, (uint32_t)(24 + tl));
}

static void test_register_and_move(void **state)
{
	struct fx *f = *state;
	const char *b = "iqn.1994-05.com.example:b";

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	/* Only a holder may move. */
	assert_int_equal(move(f, &f->nexus, KEY_A, KEY_B, 3, false, b, "23d000000002"),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(move(f, &f->nexus, KEY_A, 0, 3, false, b, "23d000000002"),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x2600);
	assert_int_equal(move(f, &f->nexus, KEY_A, KEY_B, 9, false, b, "23d000000002"),
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(move(f, &f->nexus, KEY_A, KEY_B, 3, false,
			      "iqn.1994-05.com.example:a", "23d000000001"),
			 SAM_STAT_CHECK_CONDITION);
	/* The TransportID length must match the list. */
	uint8_t p[64] = { 0 };
	put64(p, KEY_A);
	put64(p + 8, KEY_B);
	put16(p + 18, 3);
	put32(p + 20, 40);
	assert_int_equal(pr_out_list(f, &f->nexus, PRO_REGISTER_AND_MOVE, 0, p, 48),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x5, 0x1a00);
	uint32_t gen = pr_generation(f);
	assert_int_equal(move(f, &f->nexus, KEY_A, KEY_B, 3, false, b, "23d000000002"),
			 SAM_STAT_GOOD);
	assert_int_equal(pr_generation(f), gen + 1);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_GOOD);
	assert_int_equal(media_read(f, &f->nexus), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 64), SAM_STAT_GOOD);
	assert_int_equal(get64(f->cmd.buf + 8), KEY_B);
	assert_int_equal(f->cmd.buf[21], PR_TYPE_EA);
	/* Onwards to a's port on the second target port, b unregistering. */
	assert_int_equal(move(f, &f->nexus2, KEY_B, KEY_C, 4, true,
			      "iqn.1994-05.com.example:a", "23d000000001"), SAM_STAT_GOOD);
	assert_false(pr_has_key(f, KEY_B));
	assert_int_equal(pr_nkeys(f), 2);
	assert_int_equal(media_read(f, &pr_nexus_a2), SAM_STAT_GOOD);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_RESERVATION_CONFLICT);
	/* Not for an all-registrants reservation. */
	assert_int_equal(prout(f, &pr_nexus_a2, PRO_RELEASE, PR_TYPE_EA, KEY_C, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, &pr_nexus_a2, PRO_RESERVE, PR_TYPE_WE_AR, KEY_C, 0, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(move(f, &pr_nexus_a2, KEY_C, KEY_B, 3, false, b, "23d000000002"),
			 SAM_STAT_RESERVATION_CONFLICT);
}

static void test_read_data(void **state)
{
	struct fx *f = *state;

	assert_int_equal(prin(f, &f->nexus, PRI_REPORT_CAPABILITIES, 64), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 8);
	assert_int_equal(get16(f->cmd.buf), 8);
	assert_int_equal(f->cmd.buf[2], 0x1c);		/* CRH, SIP_C, ATP_C; no PTPL_C */
	assert_int_equal(f->cmd.buf[3], 0x90);		/* TMV, ALLOW COMMANDS 1 */
	assert_int_equal(get16(f->cmd.buf + 4), 0xea01);
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, PR_TYPE_WE_RO, KEY_B, 0, 0),
			 SAM_STAT_GOOD);
	/* Cut at the allocation length; the lengths say what there is. */
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 12), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 12);
	assert_int_equal(get32(f->cmd.buf), 2);
	assert_int_equal(get32(f->cmd.buf + 4), 16);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 0), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 0);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 100), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 24);
	assert_int_equal(get64(f->cmd.buf + 8), KEY_A);
	assert_int_equal(get64(f->cmd.buf + 16), KEY_B);
	assert_int_equal(prin(f, &f->nexus, PRI_READ_RESERVATION, 100), SAM_STAT_GOOD);
	assert_int_equal(f->cmd.data_len, 24);
	assert_int_equal(get64(f->cmd.buf + 8), KEY_B);
	assert_int_equal(f->cmd.buf[21], PR_TYPE_WE_RO);
	/* Full status: a (not holding), then b holding; TransportIDs of
	 * format 01b, padded to a multiple of 4. */
	assert_int_equal(prin(f, &f->nexus, PRI_READ_FULL_STATUS, 4096), SAM_STAT_GOOD);
	const uint8_t *d = f->cmd.buf + 8;
	const char *a_port = "iqn.1994-05.com.example:a,i,0x23d000000001";
	uint32_t tl = get32(d + 20);
	assert_int_equal(get64(d), KEY_A);
	assert_int_equal(d[12], 0);
	assert_int_equal(d[13], 0);
	assert_int_equal(get16(d + 18), 3);
	assert_int_equal(tl, ((strlen(a_port) + 1 + 3) & ~3u) + 4);
	assert_int_equal(d[24], 0x45);
	assert_int_equal(get16(d + 26), tl - 4);
	assert_string_equal((const char *)d + 28, a_port);
	d += 24 + tl;
	assert_int_equal(get64(d), KEY_B);
	assert_int_equal(d[12], 0x01);
	assert_int_equal(d[13], PR_TYPE_WE_RO);
	assert_int_equal(get32(f->cmd.buf + 4), (uint32_t)(d + 24 + get32(d + 20) - f->cmd.buf - 8));
}

static void test_spc2(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, &f->nexus, reserve6, 6), SAM_STAT_GOOD);
	assert_int_equal(run(f, &f->nexus, reserve6, 6), SAM_STAT_GOOD);
	assert_int_equal(media_write(f, &f->nexus), SAM_STAT_GOOD);
	/* Another nexus: only the few inquiry commands pass. */
	assert_int_equal(run(f, &f->nexus2, reserve10, 10), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(run(f, &f->nexus2, tur, 6), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(run(f, &f->nexus2, msense6, 6), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(run(f, &f->nexus2, inquiry, 6), SAM_STAT_GOOD);
	assert_int_equal(run(f, &f->nexus2, req_sense, 6), SAM_STAT_GOOD);
	assert_int_equal(run(f, &f->nexus2, release6, 6), SAM_STAT_GOOD);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_RESERVATION_CONFLICT);
	/* Persistent reservation commands conflict for everybody. */
	assert_int_equal(prin(f, &f->nexus, PRI_READ_KEYS, 64), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_RESERVATION_CONFLICT);
	/* RELEASE by the holder; then b may reserve. */
	assert_int_equal(run(f, &f->nexus, release10, 10), SAM_STAT_GOOD);
	assert_int_equal(run(f, &f->nexus2, reserve6, 6), SAM_STAT_GOOD);
	/* A LU reset ends it; so does the holder's I_T nexus loss. */
	scsi_lu_reset(f->lu, NULL);
	pr_expect_ua(f, &f->nexus2, 0x2903);
	pr_expect_ua(f, &f->nexus, 0x2903);
	assert_int_equal(media_read(f, &f->nexus), SAM_STAT_GOOD);
	assert_int_equal(run(f, &f->nexus, reserve6, 6), SAM_STAT_GOOD);
	scsi_lu_nexus_gone(f->lu, &f->nexus);
	assert_int_equal(media_read(f, &f->nexus2), SAM_STAT_GOOD);
	/* A registration makes RESERVE and RELEASE conflict. */
	fx_clear_ua(f, &f->nexus);
	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(run(f, &f->nexus, reserve6, 6), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(run(f, &f->nexus2, release6, 6), SAM_STAT_RESERVATION_CONFLICT);
	/* CDB fields of third-party reservations are refused. */
	const uint8_t third[10] = { 0x56, 0x10 };
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, third, 10), -1);
	fx_assert_check(f, 0x5, 0x2400);
}

/* A persistent reservation does not survive a LU reset in anything but
 * its unit attention; registrations survive a nexus that goes. */
static void test_reset_and_nexus_loss(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_RESERVE, PR_TYPE_EA, KEY_A, 0, 0),
			 SAM_STAT_GOOD);
	scsi_lu_reset(f->lu, NULL);
	scsi_lu_nexus_gone(f->lu, &f->nexus);
	fx_clear_ua(f, &f->nexus);
	assert_int_equal(media_read(f, &f->nexus), SAM_STAT_GOOD);
	pr_expect_ua(f, &pr_nexus_c, 0x2903);
	assert_int_equal(media_read(f, &pr_nexus_c), SAM_STAT_RESERVATION_CONFLICT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_opcode_classified),
		cmocka_unit_test_setup_teardown(test_register, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conflict_matrix, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reserve, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unregister_holder, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_preempt_registrations, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_preempt_reservation, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_spec_i_pt, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_all_tg_pt, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_register_and_move, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_read_data, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_spc2, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_nexus_loss, setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
