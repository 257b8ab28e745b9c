/*
 * Keys, the practice code word and activation/reset codes.
 *
 * One master key file in the state directory; two subkeys are derived from
 * it so that the code word box and the token hashes never share a key, and
 * the master key itself is wiped as soon as they exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secrets.h"
#include "staff-protocol.h"

#define MASTER_KEY_BYTES crypto_kdf_KEYBYTES
#define KDF_CONTEXT "staffd__"
#define KDF_ID_CODEWORD 1
#define KDF_ID_TOKEN 2
#define KDF_ID_FINGERPRINT 3
#define FINGERPRINT_INPUT "staffd.key fingerprint"

#define SEAL_VARIANT sodium_base64_VARIANT_ORIGINAL
#define SEAL_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
/* Longest base64 text codeword_seal writes, NUL excluded. */
#define SEALED_MAX (sodium_base64_ENCODED_LEN(SEAL_OVERHEAD + STAFF_SECRET_MAX, SEAL_VARIANT) - 1)

#define CODEWORD_MIN 6
#define CODEWORD_MAX 128
#define CODEWORD_WORDS 3
#define CODEWORD_WORD_MAX 7
/* Three words, their dashes, "-NN" and the NUL. */
#define CODEWORD_GENERATED_SIZE (CODEWORD_WORDS * (CODEWORD_WORD_MAX + 1) + 2 + 1)

#define TOKEN_CHARS 28
#define TOKEN_GROUP 4
#define TOKEN_SIZE (TOKEN_CHARS + TOKEN_CHARS / TOKEN_GROUP - 1 + 1)

_Static_assert(MASTER_KEY_BYTES == 32, "the key file holds 32 bytes");
_Static_assert(sizeof(KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES, "KDF context size");
_Static_assert(crypto_secretbox_KEYBYTES >= crypto_kdf_BYTES_MIN &&
	       crypto_secretbox_KEYBYTES <= crypto_kdf_BYTES_MAX, "secretbox key size");
_Static_assert(crypto_generichash_KEYBYTES >= crypto_kdf_BYTES_MIN &&
	       crypto_generichash_KEYBYTES <= crypto_kdf_BYTES_MAX, "token key size");
_Static_assert(TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
	       TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX, "token hash size");

struct keys {
	unsigned char codeword_key[crypto_secretbox_KEYBYTES];
	unsigned char token_key[crypto_generichash_KEYBYTES];
	char fingerprint[KEY_FINGERPRINT_SIZE];
};

/* Crockford base32: no I, L, O or U, so codes survive being read aloud. */
static const char token_alphabet[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * Common, concrete, easily spelt words with no homophones (no "pear",
 * "knight", "plane"), no US/UK spelling variants and nothing medical, so a
 * code word can be said across a front desk and typed without doubt.
 */
static const char *const codeword_words[] = {
	"acorn", "airport", "album", "almond", "alpine", "amber", "anchor", "anvil",
	"apple", "apricot", "apron", "arrow", "aspen", "atlas", "attic", "autumn",
	"avocado", "badger", "bagel", "bakery", "ballet", "balloon", "bamboo", "banana",
	"banjo", "banner", "barley", "barrel", "basil", "basket", "beacon", "beaver",
	"beetle", "bench", "bicycle", "blanket", "blossom", "bonnet", "bottle", "bramble",
	"branch", "breeze", "brick", "bridge", "brook", "bubble", "bucket", "buckle",
	"buffalo", "bugle", "bunny", "butter", "button", "cabbage", "cabin", "cactus",
	"camel", "camera", "candle", "candy", "canoe", "canvas", "canyon", "captain",
	"caramel", "cargo", "carpet", "carton", "cashew", "castle", "cedar", "cello",
	"cheddar", "cheese", "cherry", "chess", "chimney", "chorus", "cider", "cinema",
	"circle", "citrus", "clock", "clover", "cobalt", "cocoa", "coconut", "coffee",
	"comet", "compass", "cookie", "copper", "cottage", "cotton", "cowboy", "cracker",
	"cradle", "crane", "crayon", "cricket", "crimson", "crystal", "cupcake", "custard",
	"daisy", "denim", "diamond", "dinner", "dolphin", "domino", "donkey", "dragon",
	"drum", "dune", "eagle", "easel", "ember", "emerald", "engine", "fabric",
	"falcon", "feather", "fern", "fiddle", "finch", "flannel", "fleece", "flute",
	"forest", "fossil", "frost", "gadget", "galaxy", "garden", "garlic", "garnet",
	"gazelle", "gecko", "ginger", "giraffe", "glacier", "glider", "globe", "glove",
	"goblet", "golden", "goose", "granite", "grape", "gravel", "green", "grove",
	"guitar", "hammer", "hammock", "hamster", "harp", "harvest", "hazel", "hedge",
	"helmet", "heron", "hickory", "honey", "horizon", "hornet", "iceberg", "igloo",
	"indigo", "island", "ivory", "jacket", "jaguar", "jasmine", "jelly", "jigsaw",
	"journal", "jungle", "juniper", "kayak", "kazoo", "kettle", "kite", "kitten",
	"kiwi", "koala", "ladder", "ladle", "lagoon", "lake", "lamp", "lantern",
	"lava", "lemon", "lemur", "lentil", "library", "lilac", "linen", "lizard",
	"lobster", "locket", "lotus", "magnet", "magpie", "mammoth", "mango", "maple",
	"marble", "market", "marlin", "maroon", "meadow", "melody", "melon", "meteor",
	"mint", "mirror", "mitten", "mocha", "monsoon", "mosaic", "moss", "motor",
	"muffin", "mural", "museum", "napkin", "nectar", "noodle", "nutmeg", "oasis",
	"oatmeal", "oboe", "ocean", "olive", "onion", "opal", "orange", "orbit",
	"orca", "orchid", "origami", "ostrich", "otter", "oyster", "paddle", "palace",
	"pancake", "panda", "pantry", "papaya", "paprika", "parade", "parcel", "parrot",
	"parsley", "pasta", "pastry", "peach", "peanut", "pebble", "pelican", "pencil",
	"penguin", "pepper", "petal", "piano", "pigeon", "pillow", "pilot", "pizza",
	"planet", "plaza", "plume", "pocket", "pond", "pony", "poodle", "popcorn",
	"poppy", "potato", "pretzel", "pudding", "puffin", "pumpkin", "purple", "puzzle",
	"quail", "quill", "quilt", "rabbit", "radar", "radio", "radish", "raft",
	"rainbow", "raven", "reef", "ribbon", "riddle", "river", "robin", "robot",
	"rocket", "rodeo", "saddle", "saffron", "sailor", "salad", "sandal", "sardine",
	"satin", "scarf", "scarlet", "scooter", "scroll", "seagull", "shadow", "shampoo",
	"shell", "shovel", "shrimp", "silver", "sketch", "slipper", "snail", "sparrow",
	"spinach", "spiral", "sponge", "spoon", "spring", "spruce", "stamp", "station",
	"statue", "stone", "storm", "studio", "sugar", "summer", "summit", "sunrise",
	"sunset", "swan", "syrup", "table", "tadpole", "tango", "teacup", "teapot",
	"tennis", "thimble", "thistle", "thread", "thunder", "ticket", "tiger", "toast",
	"toffee", "tomato", "topaz", "torch", "toucan", "tractor", "trail", "travel",
	"trophy", "truffle", "trumpet", "tuba", "tugboat", "tulip", "tundra", "tunnel",
	"turnip", "turtle", "unicorn", "valley", "vanilla", "velvet", "village", "violet",
	"violin", "voyage", "waffle", "wagon", "walnut", "walrus", "wheat", "whistle",
	"willow", "window", "winter", "wizard", "wombat", "yellow", "zebra",
};

#define CODEWORD_WORD_COUNT (sizeof(codeword_words) / sizeof(codeword_words[0]))
_Static_assert(CODEWORD_WORD_COUNT >= 256, "at least 8 bits per word");

static bool is_ascii_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Returns s without surrounding ASCII white space; its length goes to *ret_len. */
static const char *trim(const char *s, size_t len, size_t *ret_len)
{
	while (len > 0 && is_ascii_space((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_ascii_space((unsigned char)s[len - 1]))
		len--;
	*ret_len = len;
	return s;
}

static int read_full(int fd, unsigned char *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EINVAL;	/* shrank after fstat */
		done += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const unsigned char *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(fd, buf + done, size - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Makes a new directory entry durable. */
static int fsync_parent(const char *path)
{
	char *copy;
	int fd = -1, r = 0;

	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fsync(fd) < 0)
		r = -errno;
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

static int master_read(const char *path, unsigned char master[MASTER_KEY_BYTES])
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK so that a FIFO planted at the path cannot hang the daemon. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		r = -EPERM;
		goto out;
	}
	if (st.st_size != MASTER_KEY_BYTES) {
		r = -EINVAL;
		goto out;
	}
	r = read_full(fd, master, MASTER_KEY_BYTES);
out:
	close(fd);
	return r;
}

/* -EEXIST when another process created the file first. */
static int master_create(const char *path, unsigned char master[MASTER_KEY_BYTES])
{
	int fd, r;

	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	randombytes_buf(master, MASTER_KEY_BYTES);
	r = write_full(fd, master, MASTER_KEY_BYTES);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0)
		r = fsync_parent(path);
	if (r < 0)
		unlink(path);	/* a partial file would be refused at every later start */
	return r;
}

/* The fingerprint's own subkey is used once and wiped. */
static int fingerprint(const unsigned char master[MASTER_KEY_BYTES], char hex[KEY_FINGERPRINT_SIZE])
{
	unsigned char sub[crypto_generichash_KEYBYTES], h[(KEY_FINGERPRINT_SIZE - 1) / 2];
	int r = -EIO;

	if (crypto_kdf_derive_from_key(sub, sizeof(sub), KDF_ID_FINGERPRINT, KDF_CONTEXT, master) == 0 &&
	    crypto_generichash(h, sizeof(h), (const unsigned char *)FINGERPRINT_INPUT, strlen(FINGERPRINT_INPUT), sub,
			       sizeof(sub)) == 0) {
		sodium_bin2hex(hex, KEY_FINGERPRINT_SIZE, h, sizeof(h));
		r = 0;
	}
	sodium_memzero(sub, sizeof(sub));
	return r;
}

static int keys_get(const char *path, bool create, struct keys **ret)
{
	unsigned char *master = NULL;
	struct keys *k = NULL;
	int r;

	if (!path || !ret)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;

	master = sodium_malloc(MASTER_KEY_BYTES);
	k = sodium_malloc(sizeof(*k));
	if (!master || !k) {
		r = -ENOMEM;
		goto out;
	}

	r = master_read(path, master);
	if (r == -ENOENT && create) {
		r = master_create(path, master);
		if (r == -EEXIST)
			r = master_read(path, master);
	}
	if (r < 0)
		goto out;

	if (crypto_kdf_derive_from_key(k->codeword_key, sizeof(k->codeword_key),
				       KDF_ID_CODEWORD, KDF_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(k->token_key, sizeof(k->token_key),
				       KDF_ID_TOKEN, KDF_CONTEXT, master) != 0 ||
	    fingerprint(master, k->fingerprint) < 0) {
		r = -EIO;
		goto out;
	}
	/* Nothing writes the subkeys again; a stray write now faults. */
	if (sodium_mprotect_readonly(k) != 0) {
		r = -errno;
		goto out;
	}
	*ret = k;
	k = NULL;
	r = 0;
out:
	sodium_free(master);
	sodium_free(k);
	return r;
}

int keys_load(const char *path, struct keys **ret)
{
	return keys_get(path, true, ret);
}

int keys_read(const char *path, struct keys **ret)
{
	return keys_get(path, false, ret);
}

void keys_free(struct keys *k)
{
	sodium_free(k);
}

const char *keys_fingerprint(const struct keys *k)
{
	return k->fingerprint;
}

char *secret_strdup(const char *s)
{
	size_t len;
	char *copy;

	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	len = strlen(s);
	copy = sodium_malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len + 1);
	return copy;
}

void secret_free(char *s)
{
	sodium_free(s);
}

int codeword_seal(const struct keys *k, const char *codeword, char **ret)
{
	unsigned char *bin = NULL;
	char *b64 = NULL;
	size_t len, bin_len, b64_size;
	int r;

	if (!k || !codeword || !ret)
		return -EINVAL;
	len = strnlen(codeword, STAFF_SECRET_MAX + 1);
	if (len > STAFF_SECRET_MAX)
		return -EINVAL;

	bin_len = SEAL_OVERHEAD + len;
	b64_size = sodium_base64_ENCODED_LEN(bin_len, SEAL_VARIANT);
	bin = malloc(bin_len);
	b64 = malloc(b64_size);
	if (!bin || !b64) {
		r = -ENOMEM;
		goto out;
	}
	randombytes_buf(bin, crypto_secretbox_NONCEBYTES);
	if (crypto_secretbox_easy(bin + crypto_secretbox_NONCEBYTES,
				  (const unsigned char *)codeword, len, bin,
				  k->codeword_key) != 0) {
		r = -EIO;
		goto out;
	}
	sodium_bin2base64(b64, b64_size, bin, bin_len, SEAL_VARIANT);
	*ret = b64;
	b64 = NULL;
	r = 0;
out:
	free(bin);
	free(b64);
	return r;
}

int codeword_open(const struct keys *k, const char *sealed, char **ret)
{
	unsigned char *bin = NULL, *plain = NULL;
	size_t len, bin_size, bin_len, plain_len;
	int r;

	if (!k || !sealed || !ret)
		return -EINVAL;
	len = strnlen(sealed, SEALED_MAX + 1);
	if (len > SEALED_MAX)
		return -EBADMSG;	/* longer than anything codeword_seal writes */

	bin_size = len / 4 * 3 + 3;
	bin = malloc(bin_size);
	if (!bin)
		return -ENOMEM;
	if (sodium_base642bin(bin, bin_size, sealed, len, NULL, &bin_len, NULL,
			      SEAL_VARIANT) != 0 || bin_len < SEAL_OVERHEAD) {
		r = -EBADMSG;
		goto out;
	}
	plain_len = bin_len - SEAL_OVERHEAD;
	plain = sodium_malloc(plain_len + 1);
	if (!plain) {
		r = -ENOMEM;
		goto out;
	}
	if (crypto_secretbox_open_easy(plain, bin + crypto_secretbox_NONCEBYTES,
				       bin_len - crypto_secretbox_NONCEBYTES, bin,
				       k->codeword_key) != 0 ||
	    memchr(plain, '\0', plain_len)) {
		r = -EBADMSG;
		goto out;
	}
	plain[plain_len] = '\0';
	*ret = (char *)plain;
	plain = NULL;
	r = 0;
out:
	sodium_free(plain);
	free(bin);
	return r;
}

int codeword_generate(char **ret)
{
	uint32_t pick[CODEWORD_WORDS], digits;
	char *s;
	size_t n = 0;

	if (!ret)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	s = sodium_malloc(CODEWORD_GENERATED_SIZE);
	if (!s)
		return -ENOMEM;

	for (size_t i = 0; i < CODEWORD_WORDS; i++) {
		bool repeated;

		/* Distinct words: "amber-amber-..." reads like a typo. */
		do {
			pick[i] = randombytes_uniform((uint32_t)CODEWORD_WORD_COUNT);
			repeated = false;
			for (size_t j = 0; j < i; j++)
				repeated |= pick[j] == pick[i];
		} while (repeated);

		const char *w = codeword_words[pick[i]];
		size_t wl = strlen(w);

		memcpy(s + n, w, wl);
		n += wl;
		s[n++] = '-';
	}
	digits = randombytes_uniform(100);
	s[n++] = (char)('0' + digits / 10);
	s[n++] = (char)('0' + digits % 10);
	s[n] = '\0';

	sodium_memzero(pick, sizeof(pick));
	sodium_memzero(&digits, sizeof(digits));
	*ret = s;
	return 0;
}

int codeword_check(const char *codeword, const char **why)
{
	const char *msg = NULL, *p;
	size_t len;

	if (!codeword) {
		msg = "must be given";
		goto out;
	}
	p = trim(codeword, strlen(codeword), &len);
	if (len < CODEWORD_MIN) {
		msg = "must be at least 6 characters long";
		goto out;
	}
	if (len > CODEWORD_MAX) {
		msg = "must be at most 128 bytes long";
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f) {
			msg = "must not contain control characters such as tabs or line breaks";
			goto out;
		}
	}
out:
	if (!msg)
		return 0;
	if (why)
		*why = msg;
	return -EINVAL;
}

/* Trims and ASCII-lowercases s (len bytes) into out; returns the length written. */
static size_t codeword_fold(const char *s, size_t len, char out[STAFF_SECRET_MAX])
{
	const char *p = trim(s, len, &len);

	for (size_t i = 0; i < len; i++)
		out[i] = ascii_lower(p[i]);
	return len;
}

bool codeword_matches(const char *given, const char *expected)
{
	char g[STAFF_SECRET_MAX], e[STAFF_SECRET_MAX];
	unsigned char hg[crypto_generichash_BYTES], he[crypto_generichash_BYTES];
	size_t gl, el;
	bool same;

	if (!given || !expected)
		return false;
	gl = strnlen(given, STAFF_SECRET_MAX + 1);
	el = strnlen(expected, STAFF_SECRET_MAX + 1);
	if (gl > STAFF_SECRET_MAX || el > STAFF_SECRET_MAX)
		return false;

	gl = codeword_fold(given, gl, g);
	el = codeword_fold(expected, el, e);
	/*
	 * Comparing digests of equal size keeps the time independent of where
	 * or whether the lengths differ.
	 */
	crypto_generichash(hg, sizeof(hg), (const unsigned char *)g, gl, NULL, 0);
	crypto_generichash(he, sizeof(he), (const unsigned char *)e, el, NULL, 0);
	same = sodium_memcmp(hg, he, sizeof(hg)) == 0;

	sodium_memzero(g, sizeof(g));
	sodium_memzero(e, sizeof(e));
	sodium_memzero(hg, sizeof(hg));
	sodium_memzero(he, sizeof(he));
	/* An empty code word (none set yet) must not let an empty answer in. */
	return same && gl > 0 && el > 0;
}

int token_generate(char **ret)
{
	char *s;
	size_t n = 0;

	if (!ret)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	s = sodium_malloc(TOKEN_SIZE);
	if (!s)
		return -ENOMEM;
	/* 28 independent draws of 5 bits each: 140 bits. */
	for (size_t i = 0; i < TOKEN_CHARS; i++) {
		if (i > 0 && i % TOKEN_GROUP == 0)
			s[n++] = '-';
		s[n++] = token_alphabet[randombytes_uniform(sizeof(token_alphabet))];
	}
	s[n] = '\0';
	*ret = s;
	return 0;
}

int token_hash(const struct keys *k, const char *code, unsigned char out[TOKEN_HASH_BYTES])
{
	char norm[TOKEN_CHARS];
	unsigned char h[TOKEN_HASH_BYTES];
	size_t n = 0;
	int r;

	if (!k || !code || !out)
		return -EINVAL;

	for (const char *p = code; *p; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		c = ascii_upper(c);
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (n == TOKEN_CHARS || !memchr(token_alphabet, c, sizeof(token_alphabet))) {
			r = -EINVAL;
			goto out;
		}
		norm[n++] = c;
	}
	if (n != TOKEN_CHARS) {
		r = -EINVAL;
		goto out;
	}
	if (crypto_generichash(h, sizeof(h), (const unsigned char *)norm, n,
			       k->token_key, sizeof(k->token_key)) != 0) {
		r = -EIO;
		goto out;
	}
	memcpy(out, h, sizeof(h));
	r = 0;
out:
	sodium_memzero(norm, sizeof(norm));
	sodium_memzero(h, sizeof(h));
	return r;
}
