/*
 * store-raw: writes, deletes and locates raw records in a staffd data.mdb
 * with LMDB directly, so that the tests can plant what staffd itself never
 * writes (an empty or damaged record) and find a table's pages to damage.
 *
 *   store-raw DIR put TABLE KEY VALUE   (VALUE may be empty)
 *   store-raw DIR del TABLE KEY
 *   store-raw DIR get TABLE KEY         prints the value (exit 1 when there is none)
 *   store-raw DIR root TABLE            prints the page number of TABLE's root
 *   store-raw DIR root :main            the same for LMDB's list of tables
 *   store-raw DIR root :free            and for its list of free pages
 *   store-raw DIR leaves TABLE          prints the page numbers of TABLE's leaves
 *
 * A KEY written hex:0011... is taken as those bytes (audit keys are 8-byte
 * big-endian numbers).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lmdb.h>

/* LMDB's record of a named table in its main table (MDB_db in mdb.c): the
 * root page number comes after a 32-bit pad, two 16-bit fields and four
 * page or entry counts. */
#define ROOT_OFFSET (4 + 2 + 2 + 4 * sizeof(size_t))

/*
 * LMDB's own two tables have their roots in the meta pages (pages 0 and 1;
 * the one with the higher transaction id counts): after the 16-byte page
 * header, magic, version, address and map size come the free-page table's
 * MDB_db (whose pad holds the page size) and the main table's.
 */
#define META_DBS (16 + 4 + 4 + 2 * sizeof(size_t))
#define MDB_DB_SIZE (ROOT_OFFSET + sizeof(size_t))
#define META_TXNID (META_DBS + 2 * MDB_DB_SIZE + sizeof(size_t))

static size_t meta_root_of(const char *dir, int which, uint32_t *ret_psize);

static int meta_root(const char *dir, int which)
{
	size_t root = meta_root_of(dir, which, NULL);

	if (root == 0)
		return 1;
	printf("%zu\n", root);
	return 0;
}

/* 0 on failure: page 0 is a meta page, never a root. */
static size_t meta_root_of(const char *dir, int which, uint32_t *ret_psize)
{
	unsigned char meta[2][256];
	size_t root[2], txnid[2];
	uint32_t psize;
	char path[4096];
	int fd, best;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, meta[0], sizeof(meta[0]), 0) != (ssize_t)sizeof(meta[0])) {
		perror(path);
		return 0;
	}
	memcpy(&psize, meta[0] + META_DBS, sizeof(psize));
	if (pread(fd, meta[1], sizeof(meta[1]), psize) != (ssize_t)sizeof(meta[1])) {
		perror(path);
		return 0;
	}
	close(fd);
	for (int i = 0; i < 2; i++) {
		memcpy(&root[i], meta[i] + META_DBS + (size_t)which * MDB_DB_SIZE + ROOT_OFFSET, sizeof(size_t));
		memcpy(&txnid[i], meta[i] + META_TXNID, sizeof(size_t));
	}
	best = txnid[1] > txnid[0];
	if (ret_psize)
		*ret_psize = psize;
	return root[best];
}

/*
 * Every key lies on the leaf page that holds it, and the map starts on a
 * page boundary: the page of the main table's first key (its root, from the
 * meta page) gives the map's address, and from it each key's page number.
 */
static int leaves(MDB_env *env, MDB_txn *txn, const char *dir, const char *table)
{
	uint32_t psize = 0;
	size_t main_root = meta_root_of(dir, 1, &psize), last = 0;
	uintptr_t base;
	MDB_cursor *cur;
	MDB_dbi main, dbi;
	MDB_val k, v;
	int rc;

	(void)env;
	if (main_root == 0 || psize == 0)
		return MDB_INVALID;
	rc = mdb_dbi_open(txn, NULL, 0, &main);
	if (!rc)
		rc = mdb_cursor_open(txn, main, &cur);
	if (!rc) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
		mdb_cursor_close(cur);
	}
	if (rc)
		return rc;
	base = ((uintptr_t)k.mv_data & ~((uintptr_t)psize - 1)) - main_root * psize;
	rc = mdb_dbi_open(txn, table, 0, &dbi);
	if (!rc)
		rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		size_t page = ((uintptr_t)k.mv_data - base) / psize;

		if (page != last)
			printf("%zu\n", page);
		last = page;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* KEY as given, or the bytes of hex:... decoded in place. */
static void key_of(char *arg, MDB_val *k)
{
	size_t n = 0;

	k->mv_data = arg;
	k->mv_size = strlen(arg);
	if (strncmp(arg, "hex:", 4) != 0)
		return;
	for (const char *p = arg + 4; p[0] && p[1]; p += 2) {
		unsigned v;

		if (sscanf(p, "%2x", &v) != 1)
			break;
		arg[n++] = (char)v;
	}
	k->mv_size = n;
}

static int usage(void)
{
	fputs("usage: store-raw DIR put TABLE KEY VALUE | DIR del|get TABLE KEY | DIR root TABLE|:main|:free | "
	      "DIR leaves TABLE\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_val k, v;
	const char *op;
	int rc;

	if (argc < 4)
		return usage();
	op = argv[2];
	if (strcmp(op, "root") == 0 && argc == 4 && strcmp(argv[3], ":free") == 0)
		return meta_root(argv[1], 0);
	if (strcmp(op, "root") == 0 && argc == 4 && strcmp(argv[3], ":main") == 0)
		return meta_root(argv[1], 1);
	if (!((strcmp(op, "put") == 0 && argc == 6) || (strcmp(op, "del") == 0 && argc == 5) ||
	      (strcmp(op, "get") == 0 && argc == 5) ||
	      (strcmp(op, "root") == 0 && argc == 4) || (strcmp(op, "leaves") == 0 && argc == 4)))
		return usage();
	rc = mdb_env_create(&env);
	if (!rc)
		rc = mdb_env_set_maxdbs(env, 32);
	/* Map size 0: the one the file records. */
	if (!rc)
		rc = mdb_env_open(env, argv[1], strcmp(op, "put") && strcmp(op, "del") ? MDB_RDONLY : 0, 0600);
	if (!rc)
		rc = mdb_txn_begin(env, NULL, strcmp(op, "put") && strcmp(op, "del") ? MDB_RDONLY : 0, &txn);
	if (!rc && strcmp(op, "leaves") == 0) {
		rc = leaves(env, txn, argv[1], argv[3]);
		mdb_txn_abort(txn);
		txn = NULL;
	} else if (!rc && strcmp(op, "root") == 0) {
		rc = mdb_dbi_open(txn, NULL, 0, &dbi);
		k.mv_data = argv[3];
		k.mv_size = strlen(argv[3]);
		if (!rc)
			rc = mdb_get(txn, dbi, &k, &v);
		if (!rc && v.mv_size < ROOT_OFFSET + sizeof(size_t))
			rc = MDB_CORRUPTED;
		if (!rc) {
			size_t root;

			memcpy(&root, (const char *)v.mv_data + ROOT_OFFSET, sizeof(root));
			printf("%zu\n", root);
		}
		mdb_txn_abort(txn);
		txn = NULL;
	} else if (!rc && strcmp(op, "get") == 0) {
		rc = mdb_dbi_open(txn, argv[3], 0, &dbi);
		key_of(argv[4], &k);
		if (!rc)
			rc = mdb_get(txn, dbi, &k, &v);
		if (!rc)
			printf("%.*s\n", (int)v.mv_size, (const char *)v.mv_data);
		mdb_txn_abort(txn);
		txn = NULL;
	} else if (!rc) {
		rc = mdb_dbi_open(txn, argv[3], 0, &dbi);
		key_of(argv[4], &k);
		if (!rc && strcmp(op, "put") == 0) {
			v.mv_data = argv[5];
			v.mv_size = strlen(argv[5]);
			rc = mdb_put(txn, dbi, &k, &v, 0);
		} else if (!rc)
			rc = mdb_del(txn, dbi, &k, NULL);
		if (!rc)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		txn = NULL;
	}
	if (env)
		mdb_env_close(env);
	if (rc) {
		fprintf(stderr, "store-raw: %s %s: %s\n", argv[1], op, mdb_strerror(rc));
		return 1;
	}
	return 0;
}
