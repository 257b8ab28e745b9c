/* Keys, the practice code word, and activation/reset codes. */
#ifndef SECRETS_H
#define SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_HASH_BYTES 32
/* Hex of the key's fingerprint, NUL included. */
#define KEY_FINGERPRINT_SIZE 65

/* Subkeys derived from the master key file; lives in sodium_malloc'd memory. */
struct keys;

/*
 * Loads the 32-byte master key from path, creating it (mode 0600, random)
 * when it does not exist. Refuses a key file that is readable or writable by
 * group or others (-EPERM) or of the wrong size (-EINVAL).
 */
int keys_load(const char *path, struct keys **ret);
/* The same, but a missing file is -ENOENT: nothing is created. */
int keys_read(const char *path, struct keys **ret);
void keys_free(struct keys *k);
/*
 * What the database records to tell its key from another: a keyed BLAKE2b
 * of a constant under a subkey of its own, so it reveals nothing of the key.
 */
const char *keys_fingerprint(const struct keys *k);

/* A NUL-terminated string in sodium_malloc'd memory, wiped when freed. */
char *secret_strdup(const char *s);
void secret_free(char *s);

/* Encrypts the code word (secretbox); *ret is base64 of nonce || box, malloc'd. */
int codeword_seal(const struct keys *k, const char *codeword, char **ret);
/* Decrypts; *ret is a secret string (secret_free). -EBADMSG when tampered. */
int codeword_open(const struct keys *k, const char *sealed, char **ret);
/* A new memorable code word such as "amber-harbor-lantern-42"; *ret is a secret string. */
int codeword_generate(char **ret);
/* Checks a code word an administrator chose: 6 to 128 bytes after trimming, printable. */
int codeword_check(const char *codeword, const char **why);
/* Constant-time comparison after trimming surrounding white space and ASCII case folding. */
bool codeword_matches(const char *given, const char *expected);

/*
 * A new activation or reset code: 140 random bits as 28 Crockford base32
 * characters in groups of four, e.g. "7KQ2-M9XD-...". *ret is a secret string.
 */
int token_generate(char **ret);
/*
 * The keyed BLAKE2b hash under which a code is stored. The code is
 * normalised first (case, dashes and spaces ignored, O->0, I/L->1);
 * -EINVAL when it cannot be a code.
 */
int token_hash(const struct keys *k, const char *code, unsigned char out[TOKEN_HASH_BYTES]);

#endif
