/* Questions on the terminal: visible answers, and secrets read without echo. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>

#include "staff-protocol.h"
#include "staffctl.h"

#define CTL_SECRET_TRIES 3

int ctl_secret_new(size_t cap, struct ctl_secret **ret)
{
	struct ctl_secret *s;

	/* sodium_malloc needs the library set up; repeated calls are cheap. */
	if (sodium_init() < 0)
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->buf = sodium_malloc(cap + 1);
	if (!s->buf) {
		free(s);
		return -ENOMEM;
	}
	s->buf[0] = '\0';
	s->cap = cap;
	*ret = s;
	return 0;
}

void ctl_secret_free(struct ctl_secret *s)
{
	if (!s)
		return;
	sodium_free(s->buf);	/* wipes */
	free(s);
}

static void secret_clear(struct ctl_secret *s)
{
	sodium_memzero(s->buf, s->cap + 1);
	s->len = 0;
	s->over = 0;
}

void ctl_line_keys_default(struct ctl_line_keys *k)
{
	*k = (struct ctl_line_keys){
		.erase = 0x7f, .kill = 0x15, .intr = 0x03, .quit = 0x1c, .eof = 0x04, .werase = 0x17,
	};
}

/* A key the terminal has disabled reads as NUL and must match nothing. */
static bool is_key(unsigned char c, unsigned char key)
{
	return key != 0 && c == key;
}

static void erase_char(struct ctl_secret *s)
{
	if (s->over > 0) {
		s->over--;
		return;
	}
	/* A whole UTF-8 character: continuation bytes, then its lead byte. */
	while (s->len > 0 && ((unsigned char)s->buf[s->len - 1] & 0xc0) == 0x80)
		s->buf[--s->len] = '\0';
	if (s->len > 0)
		s->buf[--s->len] = '\0';
}

static void erase_word(struct ctl_secret *s)
{
	s->over = 0;
	while (s->len > 0 && s->buf[s->len - 1] == ' ')
		s->buf[--s->len] = '\0';
	while (s->len > 0 && s->buf[s->len - 1] != ' ')
		s->buf[--s->len] = '\0';
}

int ctl_line_feed(struct ctl_secret *s, const struct ctl_line_keys *k, unsigned char c)
{
	if (c == '\n' || c == '\r')
		return s->over ? -E2BIG : 1;
	if (is_key(c, k->intr) || is_key(c, k->quit))
		return -ECANCELED;
	if (is_key(c, k->eof)) {
		if (s->len == 0 && s->over == 0)
			return -ENODATA;
		return 0;
	}
	if (is_key(c, k->erase) || c == 0x7f || c == 0x08) {
		erase_char(s);
		return 0;
	}
	if (is_key(c, k->kill)) {
		secret_clear(s);
		return 0;
	}
	if (is_key(c, k->werase)) {
		erase_word(s);
		return 0;
	}
	if (c < 0x20)
		return 0;	/* other control keys mean nothing in a secret */
	if (s->len < s->cap) {
		s->buf[s->len++] = (char)c;
		s->buf[s->len] = '\0';
	} else
		s->over++;
	return 0;
}

int ctl_secret_read_fd(int fd, struct ctl_secret *s)
{
	bool any = false;
	unsigned char c = 0;
	int r;

	secret_clear(s);
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0) {
			r = any ? 0 : -ENODATA;
			break;
		}
		any = true;
		if (c == '\n') {
			r = 0;
			break;
		}
		if (c == '\0') {
			r = -EINVAL;
			goto out;
		}
		if (s->len < s->cap) {
			s->buf[s->len++] = (char)c;
			s->buf[s->len] = '\0';
		} else
			s->over++;
	}
	if (r == 0 && s->over) {
		r = -E2BIG;
		goto out;
	}
	if (r == 0 && s->len > 0 && s->buf[s->len - 1] == '\r')
		s->buf[--s->len] = '\0';
out:
	c = 0;
	if (r < 0)
		secret_clear(s);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_tty(const char *tty, const char *prompt, struct ctl_secret *s)
{
	struct termios old, raw;
	struct ctl_line_keys k;
	unsigned char c = 0;
	bool changed = false;
	int fd, r;

	secret_clear(s);
	fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &old) < 0) {
		r = -errno;
		goto out;
	}
	k = (struct ctl_line_keys){
		.erase = old.c_cc[VERASE], .kill = old.c_cc[VKILL], .intr = old.c_cc[VINTR],
		.quit = old.c_cc[VQUIT], .eof = old.c_cc[VEOF], .werase = old.c_cc[VWERASE],
	};
	/*
	 * Signals off too: the interrupt key arrives as a byte, so the
	 * terminal is restored before the program stops, without a handler.
	 */
	raw = old;
	raw.c_lflag &= (tcflag_t)~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if ((r = write_all(fd, prompt, strlen(prompt))) < 0)
		goto out;
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0) {
		r = -errno;
		goto out;
	}
	changed = true;
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0) {
			r = -ENODATA;
			break;
		}
		r = ctl_line_feed(s, &k, c);
		if (r != 0)
			break;
	}
	if (r == 1)
		r = 0;
out:
	c = 0;
	if (changed) {
		tcsetattr(fd, TCSANOW, &old);
		(void)write_all(fd, "\n", 1);
	}
	close(fd);
	if (r < 0)
		secret_clear(s);
	return r;
}

static bool same_secret(const struct ctl_secret *a, const struct ctl_secret *b)
{
	return a->len == b->len && sodium_memcmp(a->buf, b->buf, a->len) == 0;
}

static int secret_failure(struct ctl *ctl, const char *what, int r)
{
	switch (r) {
	case -ENODATA:
		return ctl_usage_error(ctl, "no %s given", what);
	case -E2BIG:
		return ctl_usage_error(ctl, "%s too long", what);
	case -EINVAL:
		return ctl_usage_error(ctl, "%s contains a NUL byte", what);
	case -ECANCELED:
		/* As if the key had interrupted us directly, now that echo is back. */
		raise(SIGINT);
		fputs("staffctl: cancelled\n", ctl->err);
		return CTL_E_LOCAL;
	default:
		if (ctl->interactive)
			return ctl_local_error(ctl, r, "cannot read %s from %s", what, ctl->tty);
		return ctl_local_error(ctl, r, "cannot read %s from standard input", what);
	}
}

int ctl_ask_secret(struct ctl *ctl, const char *prompt, const char *confirm, struct ctl_secret **ret)
{
	struct ctl_secret *a = NULL, *b = NULL;
	const char *what;
	char name[64];
	int r;

	/* "New PIN: " names the secret "new PIN" in messages. */
	snprintf(name, sizeof(name), "%s", prompt);
	name[strcspn(name, ":")] = '\0';
	if (name[0] >= 'A' && name[0] <= 'Z' && !(name[1] >= 'A' && name[1] <= 'Z'))
		name[0] = (char)(name[0] - 'A' + 'a');
	what = name;

	if ((r = ctl_secret_new(STAFF_SECRET_MAX, &a)) < 0 ||
	    (r = ctl_secret_new(STAFF_SECRET_MAX, &b)) < 0) {
		r = ctl_local_error(ctl, r, "cannot allocate secure memory");
		goto out;
	}
	if (!ctl->interactive) {
		r = ctl_secret_read_fd(ctl->in_fd, a);
		if (r < 0) {
			r = secret_failure(ctl, what, r);
			goto out;
		}
		goto done;
	}
	for (int i = 0; i < CTL_SECRET_TRIES; i++) {
		if ((r = read_tty(ctl->tty, prompt, a)) < 0) {
			r = secret_failure(ctl, what, r);
			goto out;
		}
		if (!confirm)
			goto done;
		if ((r = read_tty(ctl->tty, confirm, b)) < 0) {
			r = secret_failure(ctl, what, r);
			goto out;
		}
		if (same_secret(a, b))
			goto done;
		fprintf(ctl->err, "staffctl: the two entries do not match%s\n",
			i + 1 < CTL_SECRET_TRIES ? "; try again" : "");
	}
	r = ctl_usage_error(ctl, "%s not confirmed", what);
	goto out;
done:
	*ret = a;
	a = NULL;
	r = 0;
out:
	ctl_secret_free(a);
	ctl_secret_free(b);
	return r;
}

int ctl_prompt_line(FILE *in, FILE *err, const char *prompt, char **ret)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, err);
	fflush(err);
	n = getline(&line, &cap, in);
	if (n < 0) {
		int r = feof(in) ? -ENODATA : -EIO;
		free(line);
		fputc('\n', err);
		return r;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	*ret = line;
	return 0;
}

int ctl_require(struct ctl *ctl, const char *cmd, const char *given, const char *name,
		const char *question, char **ret)
{
	char *v = NULL;
	int r;

	if (given) {
		v = strdup(given);
		if (!v)
			return ctl_local_error(ctl, -ENOMEM, "%s", cmd);
		*ret = v;
		return 0;
	}
	if (!ctl->interactive)
		return ctl_usage_error(ctl, "%s: missing %s", cmd, name);
	for (;;) {
		char prompt[128];

		snprintf(prompt, sizeof(prompt), "%s: ", question);
		r = ctl_prompt_line(ctl->in, ctl->err, prompt, &v);
		if (r == -ENODATA)
			return ctl_usage_error(ctl, "%s: missing %s", cmd, name);
		if (r < 0)
			return ctl_local_error(ctl, r, "cannot read the answer");
		if (v[strspn(v, " \t")] != '\0')
			break;
		free(v);
		v = NULL;
	}
	*ret = v;
	return 0;
}
