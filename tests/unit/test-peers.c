/* Per-uid shares of connections and worker calls: the limits for a
 * descriptor budget, and who gets in when one uid takes all it can. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "peers.h"

#define NOBODY 65534
#define ALICE 20001
#define DAEMON_UID 998

static void test_limits_for_descriptors(void **state)
{
	static const struct {
		unsigned long nofile;
		unsigned conns, per_uid, untrusted;
	} cases[] = {
		/* The unit's LimitNOFILE=65536 and anything above: the fixed maximum. */
		{ 65536, PEERS_CONN_MAX, PEERS_CONN_MAX / PEERS_UID_SHARE, PEERS_CONN_MAX * 3 / 4 },
		{ 1048576, 4096, 128, 3072 },
		/* The default soft limit: two descriptors per connection after the reserve. */
		{ 1024, 480, 15, 360 },
		/* Tiny limits: never fewer than the minimums. */
		{ 64, PEERS_CONN_MIN, PEERS_UID_CONN_MIN, 6 },
		{ 10, PEERS_CONN_MIN, PEERS_UID_CONN_MIN, 6 },
		{ 0, PEERS_CONN_MIN, PEERS_UID_CONN_MIN, 6 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct peers_limits l;

		peers_limits_for(cases[i].nofile, &l);
		if (l.conns != cases[i].conns || l.conns_per_uid != cases[i].per_uid ||
		    l.conns_untrusted != cases[i].untrusted)
			fail_msg("nofile %lu: %u/%u/%u, wanted %u/%u/%u", cases[i].nofile, l.conns, l.conns_per_uid,
				 l.conns_untrusted, cases[i].conns, cases[i].per_uid, cases[i].untrusted);
		/* Connections, two descriptors each, fit the budget whenever it is above the minimum. */
		if (l.conns > PEERS_CONN_MIN)
			assert_true(PEERS_FD_RESERVE + 2UL * l.conns <= cases[i].nofile);
		assert_true(l.conns_per_uid <= l.conns_untrusted);
		assert_true(l.conns_untrusted < l.conns);
		assert_int_equal(l.calls_per_uid, PEERS_UID_CALLS);
	}
}

static void test_trusted(void **state)
{
	(void)state;
	assert_true(peers_trusted(0, DAEMON_UID));
	assert_true(peers_trusted(DAEMON_UID, DAEMON_UID));
	assert_false(peers_trusted(NOBODY, DAEMON_UID));
	/* A daemon left running as root trusts only root. */
	assert_true(peers_trusted(0, 0));
	assert_false(peers_trusted(ALICE, 0));
}

static struct peers *make(unsigned long nofile)
{
	struct peers_limits l;
	struct peers *p = NULL;

	peers_limits_for(nofile, &l);
	assert_int_equal(peers_new(&l, &p), 0);
	return p;
}

/* One uid fills its share; the others, root first, still get in. */
static void test_one_uid_takes_its_share(void **state)
{
	struct peers *p = make(65536);
	const struct peers_limits *l = peers_limits(p);

	(void)state;
	for (unsigned i = 0; i < l->conns_per_uid; i++)
		assert_int_equal(peers_conn_open(p, NOBODY, false), 0);
	assert_int_equal(peers_conns_of(p, NOBODY), l->conns_per_uid);
	assert_int_equal(peers_conn_open(p, NOBODY, false), -EUSERS);
	assert_int_equal(peers_conn_open(p, NOBODY, false), -EUSERS);
	assert_int_equal(peers_conns_of(p, NOBODY), l->conns_per_uid);
	assert_int_equal(peers_conn_open(p, ALICE, false), 0);
	assert_int_equal(peers_conn_open(p, 0, true), 0);
	/* One closed: one more may open. */
	peers_conn_close(p, NOBODY);
	assert_int_equal(peers_conn_open(p, NOBODY, false), 0);
	assert_int_equal(peers_conn_open(p, NOBODY, false), -EUSERS);
	peers_free(p);
}

/* Untrusted uids together leave room for root; root alone may fill the rest. */
static void test_room_kept_for_root(void **state)
{
	struct peers *p = make(64);
	const struct peers_limits *l = peers_limits(p);
	unsigned opened = 0;

	(void)state;
	/* Enough uids that their shares together exceed what untrusted uids may hold. */
	for (uid_t uid = 20000; opened < l->conns_untrusted; uid++)
		for (unsigned i = 0; i < l->conns_per_uid && opened < l->conns_untrusted; i++, opened++)
			assert_int_equal(peers_conn_open(p, uid, false), 0);
	assert_int_equal(peers_conn_open(p, 30000, false), -ENFILE);
	for (unsigned i = opened; i < l->conns; i++)
		assert_int_equal(peers_conn_open(p, i % 2 ? 0 : DAEMON_UID, true), 0);
	assert_int_equal(peers_conn_open(p, 0, true), -ENFILE);
	peers_conn_close(p, 0);
	assert_int_equal(peers_conn_open(p, 30000, false), -ENFILE);
	assert_int_equal(peers_conn_open(p, 0, true), 0);
	peers_free(p);
}

static void test_worker_calls(void **state)
{
	struct peers *p = make(65536);

	(void)state;
	for (unsigned i = 0; i < PEERS_UID_CALLS; i++)
		assert_int_equal(peers_call_begin(p, NOBODY, false), 0);
	assert_int_equal(peers_call_begin(p, NOBODY, false), -EBUSY);
	/* Another uid is not refused for nobody's calls ... */
	assert_int_equal(peers_call_begin(p, ALICE, false), 0);
	/* ... and root never is. */
	for (unsigned i = 0; i < 10 * PEERS_UID_CALLS; i++)
		assert_int_equal(peers_call_begin(p, 0, true), 0);
	peers_call_end(p, NOBODY);
	assert_int_equal(peers_call_begin(p, NOBODY, false), 0);
	assert_int_equal(peers_call_begin(p, NOBODY, false), -EBUSY);
	peers_free(p);
}

/* Connections and calls are counted apart; an entry goes when it holds neither. */
static void test_counts_independent(void **state)
{
	struct peers *p = make(65536);
	uid_t uid;

	(void)state;
	assert_int_equal(peers_largest(p, &uid), -ENOENT);
	assert_int_equal(peers_call_begin(p, NOBODY, false), 0);
	assert_int_equal(peers_conns_of(p, NOBODY), 0);
	assert_int_equal(peers_largest(p, &uid), -ENOENT);
	assert_int_equal(peers_conn_open(p, NOBODY, false), 0);
	peers_call_end(p, NOBODY);
	assert_int_equal(peers_conns_of(p, NOBODY), 1);
	peers_conn_close(p, NOBODY);
	assert_int_equal(peers_conns_of(p, NOBODY), 0);
	/* Closing or ending what is not there changes nothing. */
	peers_conn_close(p, NOBODY);
	peers_call_end(p, ALICE);
	assert_int_equal(peers_conn_open(p, ALICE, false), 0);
	assert_int_equal(peers_conns_of(p, ALICE), 1);
	peers_free(p);
}

/* Who loses a connection when the daemon runs out of descriptors: the untrusted uid holding the most. */
static void test_largest(void **state)
{
	struct peers *p = make(65536);
	uid_t uid = 0;

	(void)state;
	for (int i = 0; i < 50; i++)
		assert_int_equal(peers_conn_open(p, 0, true), 0);
	assert_int_equal(peers_largest(p, &uid), -ENOENT);
	assert_int_equal(peers_conn_open(p, ALICE, false), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(peers_conn_open(p, NOBODY, false), 0);
	assert_int_equal(peers_largest(p, &uid), 0);
	assert_int_equal(uid, NOBODY);
	for (int i = 0; i < 3; i++)
		peers_conn_close(p, NOBODY);
	assert_int_equal(peers_largest(p, &uid), 0);
	assert_int_equal(uid, ALICE);
	peers_free(p);
}

/* Many uids at once: the table grows and keeps every count apart. */
static void test_many_uids(void **state)
{
	struct peers *p = make(65536);

	(void)state;
	for (uid_t uid = 1000; uid < 1100; uid++)
		for (uid_t i = 0; i <= uid % 3; i++)
			assert_int_equal(peers_conn_open(p, uid, false), 0);
	for (uid_t uid = 1000; uid < 1100; uid++)
		assert_int_equal(peers_conns_of(p, uid), uid % 3 + 1);
	for (uid_t uid = 1000; uid < 1100; uid += 2)
		while (peers_conns_of(p, uid) > 0)
			peers_conn_close(p, uid);
	for (uid_t uid = 1001; uid < 1100; uid += 2)
		assert_int_equal(peers_conns_of(p, uid), uid % 3 + 1);
	peers_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_for_descriptors),
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_one_uid_takes_its_share),
		cmocka_unit_test(test_room_kept_for_root),
		cmocka_unit_test(test_worker_calls),
		cmocka_unit_test(test_counts_independent),
		cmocka_unit_test(test_largest),
		cmocka_unit_test(test_many_uids),
	};

	return cmocka_run_group_tests_name("peers", tests, NULL, NULL);
}
