/* Aborting other nexuses' tasks (scsi/abort.c, scsi/pr_abort.c): which
 * nexuses a LOGICAL UNIT RESET and a PREEMPT AND ABORT ask, through their
 * scsi_nexus_ops, and that the starter goes on only once every one of them
 * has released its hold, on its own thread (the release is posted to its
 * inbox, delivered here by running the loop). */
#include "test_pr_fixture.h"

#include "common/evloop.h"

#define MAX_CALLS 8

static struct {
	unsigned n;
	const struct scsi_nexus *nexus[MAX_CALLS];
	const struct scsi_cmd *spare[MAX_CALLS];
	struct scsi_abort *a[MAX_CALLS];
} calls;

/* The fabric's side: records the request and holds the wait, as a fabric
 * does until the nexus's tasks are gone. */
static void fake_abort_tasks(const struct scsi_nexus *n, struct scsi_lu *lu,
			     const struct scsi_cmd *spare, struct scsi_abort *a)
{
	(void)lu;
	assert_true(calls.n < MAX_CALLS);
	calls.nexus[calls.n] = n;
	calls.spare[calls.n] = spare;
	calls.a[calls.n] = a;
	calls.n++;
	scsi_abort_hold(a);
}

static const struct scsi_nexus_ops fake_ops_nexus = { .abort_tasks = fake_abort_tasks };

struct ctx {
	struct fx *f;
	struct evloop loop;
	struct evloop_inbox inbox;
	unsigned done;
};

static struct ctx *ctx_of(void **state)
{
	return *state;
}

static int setup(void **state)
{
	struct ctx *x = calloc(1, sizeof(*x));
	char err[128];

	assert_non_null(x);
	assert_int_equal(fx_setup((void **)&x->f), 0);
	assert_int_equal(evloop_init(&x->loop, err, sizeof(err)), 0);
	assert_int_equal(evloop_inbox_init(&x->loop, &x->inbox, err, sizeof(err)), 0);
	pr_extra_nexuses(x->f);
	x->f->nexus.ops = x->f->nexus2.ops = pr_nexus_c.ops = &fake_ops_nexus;
	x->f->nexus.inbox = x->f->nexus2.inbox = pr_nexus_c.inbox = &x->inbox;
	fx_clear_ua(x->f, &x->f->nexus2);
	fx_clear_ua(x->f, &pr_nexus_c);
	memset(&calls, 0, sizeof(calls));
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *x = *state;

	evloop_inbox_destroy(&x->loop, &x->inbox);
	evloop_destroy(&x->loop);
	fx_teardown((void **)&x->f);
	free(x);
	return 0;
}

static struct ctx *done_ctx;

static void reset_done(struct scsi_abort *a)
{
	(void)a;
	done_ctx->done++;
}

static void release_all(void)
{
	for (unsigned i = 0; i < calls.n; i++)
		scsi_abort_release(calls.a[i]);
}

static void test_lu_reset_asks_every_other_nexus(void **state)
{
	struct ctx *x = ctx_of(state);
	struct fx *f = x->f;
	struct scsi_abort a;

	done_ctx = x;
	scsi_abort_init(&a, &x->inbox, reset_done);
	scsi_lu_reset_abort(f->lu, &f->nexus, true, &a);
	/* b and c have addressed the LU; a, the one resetting, is spared. */
	assert_int_equal(calls.n, 2);
	for (unsigned i = 0; i < calls.n; i++) {
		assert_ptr_not_equal(calls.nexus[i], &f->nexus);
		assert_null(calls.spare[i]);
	}
	assert_false(scsi_abort_arm(&a));
	release_all();
	assert_int_equal(x->done, 0);		/* posted, not called */
	evloop_run_once(&x->loop, 1000);
	assert_int_equal(x->done, 1);
	/* The others then see the reset. */
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, (const uint8_t[6]){ 0 }, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2903);
}

static void test_nothing_to_wait_for(void **state)
{
	struct ctx *x = ctx_of(state);
	struct fx *f = x->f;
	struct scsi_abort a;

	done_ctx = x;
	f->nexus2.ops = pr_nexus_c.ops = NULL;	/* fabrics without the hook */
	scsi_abort_init(&a, &x->inbox, reset_done);
	scsi_lu_reset_abort(f->lu, &f->nexus, true, &a);
	assert_int_equal(calls.n, 0);
	assert_true(scsi_abort_arm(&a));	/* the starter goes on at once */
	evloop_run_once(&x->loop, 0);
	assert_int_equal(x->done, 0);
}

static void test_preempt_and_abort(void **state)
{
	struct ctx *x = ctx_of(state);
	struct fx *f = x->f;
	uint8_t cdb[10] = { 0x5f, PRO_PREEMPT_AND_ABORT, 0x01 }, p[24] = { 0 };

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus2, PRO_RESERVE, 0x01, KEY_B, 0, 0), SAM_STAT_GOOD);
	assert_int_equal(calls.n, 0);

	put64(p, KEY_A);
	put64(p + 8, KEY_B);
	put32(cdb + 5, sizeof(p));
	f->next_edtl = sizeof(p);
	assert_int_equal(fx_setup_cmd(f, &f->nexus, 0, cdb, 10), 0);
	memcpy(f->cmd.buf, p, sizeof(p));
	scsi_cmd_execute(&f->cmd);
	/* Only b, whose registration went, is asked; the command is spared
	 * and waits. c, never registered, keeps its tasks. */
	assert_int_equal(calls.n, 1);
	assert_ptr_equal(calls.nexus[0], &f->nexus2);
	assert_ptr_equal(calls.spare[0], &f->cmd);
	assert_int_equal(f->done, 0);
	release_all();
	assert_int_equal(f->done, 0);
	evloop_run_once(&x->loop, 1000);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->cmd.status, SAM_STAT_GOOD);
	assert_int_equal(pr_nkeys(f), 1);
	/* b learns why from its unit attention. */
	assert_int_equal(fx_run_on(f, &f->nexus2, 0, (const uint8_t[6]){ 0 }, 6, NULL, 0),
			 SAM_STAT_CHECK_CONDITION);
	fx_assert_check(f, 0x6, 0x2a05);
}

static void test_plain_preempt_aborts_nothing(void **state)
{
	struct ctx *x = ctx_of(state);
	struct fx *f = x->f;

	assert_int_equal(pr_register(f, &f->nexus, KEY_A), SAM_STAT_GOOD);
	assert_int_equal(pr_register(f, &f->nexus2, KEY_B), SAM_STAT_GOOD);
	assert_int_equal(prout(f, &f->nexus, PRO_PREEMPT, 0x01, KEY_A, KEY_B, 0), SAM_STAT_GOOD);
	assert_int_equal(calls.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lu_reset_asks_every_other_nexus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_wait_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preempt_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_preempt_aborts_nothing, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
