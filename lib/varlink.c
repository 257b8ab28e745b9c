/* Varlink message framing, decoding and encoding (no I/O, no globals). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "varlink.h"

int varlink_frame_next(const char *buf, size_t len, size_t max, size_t *frame_len)
{
	size_t scan = len < max ? len : max;
	const char *nul;

	if (buf && scan > 0) {
		nul = memchr(buf, '\0', scan);
		if (nul) {
			*frame_len = (size_t)(nul - buf) + 1;
			return 1;
		}
	}
	return len >= max ? -EMSGSIZE : 0;
}

static bool is_alpha(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_alnum(char ch)
{
	return is_alpha(ch) || (ch >= '0' && ch <= '9');
}

/* One interface segment: [A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])? */
static bool segment_valid(const char *s, size_t len)
{
	if (len == 0 || !is_alpha(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool varlink_name_valid(const char *name, size_t len)
{
	size_t dot, start, segments = 0;

	if (!name || len == 0)
		return false;
	for (dot = len; dot > 0 && name[dot - 1] != '.'; dot--)
		;
	if (dot < 2 || dot == len)
		return false;

	/* Member: [A-Z][A-Za-z0-9]* */
	if (name[dot] < 'A' || name[dot] > 'Z')
		return false;
	for (size_t i = dot + 1; i < len; i++)
		if (!is_alnum(name[i]))
			return false;

	/* Interface: everything before the last dot, two segments or more. */
	start = 0;
	for (size_t i = 0; i <= dot - 1; i++) {
		if (i == dot - 1 || name[i] == '.') {
			if (!segment_valid(name + start, i - start))
				return false;
			segments++;
			start = i + 1;
		}
	}
	return segments >= 2;
}

static const char *load_error(const json_error_t *err)
{
	switch (json_error_code(err)) {
	case json_error_duplicate_key:
		return "duplicate key";
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "NUL character in string";
	case json_error_numeric_overflow:
		return "number out of range";
	case json_error_end_of_input_expected:
		return "trailing data after message";
	case json_error_premature_end_of_input:
		return "truncated message";
	case json_error_wrong_type:
		return "message is not an object";
	case json_error_stack_overflow:
		return "nesting too deep";
	case json_error_out_of_memory:
		return "out of memory";
	default:
		return "invalid JSON";
	}
}

/* Parses a whole frame that must be one JSON object; -EBADMSG or -ENOMEM. */
static int load_object(const char *frame, size_t len, json_t **ret, const char **why)
{
	json_error_t err;
	json_t *root;

	if (!frame && len > 0) {
		*why = "no message";
		return -EBADMSG;
	}
	root = json_loadb(frame ? frame : "", len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		*why = load_error(&err);
		return json_error_code(&err) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*why = "message is not an object";
		return -EBADMSG;
	}
	*ret = root;
	return 0;
}

int varlink_call_decode(const char *frame, size_t len, struct varlink_call *call, const char **bad)
{
	const char *why = NULL, *key;
	json_t *root = NULL, *value, *method = NULL, *params = NULL;
	bool more = false, oneway = false;
	char *m = NULL;
	int r;

	r = load_object(frame, len, &root, &why);
	if (r < 0)
		goto out;
	r = -EBADMSG;

	json_object_foreach(root, key, value) {
		if (strcmp(key, "method") == 0) {
			if (!json_is_string(value)) {
				why = "'method' must be a string";
				goto out;
			}
			method = value;
		} else if (strcmp(key, "parameters") == 0) {
			if (!json_is_object(value)) {
				why = "'parameters' must be an object";
				goto out;
			}
			params = value;
		} else if (strcmp(key, "more") == 0) {
			if (!json_is_boolean(value)) {
				why = "'more' must be a boolean";
				goto out;
			}
			more = json_is_true(value);
		} else if (strcmp(key, "oneway") == 0) {
			if (!json_is_boolean(value)) {
				why = "'oneway' must be a boolean";
				goto out;
			}
			oneway = json_is_true(value);
		} else if (strcmp(key, "upgrade") == 0) {
			if (!json_is_boolean(value)) {
				why = "'upgrade' must be a boolean";
				goto out;
			}
			if (json_is_true(value)) {
				why = "'upgrade' is not supported";
				goto out;
			}
		} else {
			why = "unknown field in call";
			goto out;
		}
	}
	if (!method) {
		why = "'method' is missing";
		goto out;
	}
	if (!varlink_name_valid(json_string_value(method), json_string_length(method))) {
		why = "'method' is not a valid qualified name";
		goto out;
	}
	if (more && oneway) {
		why = "'more' and 'oneway' are mutually exclusive";
		goto out;
	}

	m = strdup(json_string_value(method));
	params = params ? json_incref(params) : json_object();
	if (!m || !params) {
		free(m);
		json_decref(params);
		why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	*call = (struct varlink_call){ .method = m, .parameters = params, .more = more, .oneway = oneway };
	r = 0;
out:
	json_decref(root);
	if (r < 0 && bad)
		*bad = why;
	return r;
}

void varlink_call_clear(struct varlink_call *call)
{
	if (!call)
		return;
	free(call->method);
	json_decref(call->parameters);
	*call = (struct varlink_call){ 0 };
}

int varlink_reply_decode(const char *frame, size_t len, struct varlink_reply *reply, const char **bad)
{
	const char *why = NULL, *key;
	json_t *root = NULL, *value, *error = NULL, *params = NULL;
	bool continues = false;
	char *e = NULL;
	int r;

	r = load_object(frame, len, &root, &why);
	if (r < 0)
		goto out;
	r = -EBADMSG;

	json_object_foreach(root, key, value) {
		if (strcmp(key, "parameters") == 0) {
			if (!json_is_object(value)) {
				why = "'parameters' must be an object";
				goto out;
			}
			params = value;
		} else if (strcmp(key, "error") == 0) {
			if (!json_is_string(value)) {
				why = "'error' must be a string";
				goto out;
			}
			error = value;
		} else if (strcmp(key, "continues") == 0) {
			if (!json_is_boolean(value)) {
				why = "'continues' must be a boolean";
				goto out;
			}
			continues = json_is_true(value);
		} else {
			why = "unknown field in reply";
			goto out;
		}
	}
	if (error && !varlink_name_valid(json_string_value(error), json_string_length(error))) {
		why = "'error' is not a valid qualified name";
		goto out;
	}
	/* An error ends the call; a "continuing" error has no meaning. */
	if (error && continues) {
		why = "'error' and 'continues' are mutually exclusive";
		goto out;
	}

	if (error) {
		e = strdup(json_string_value(error));
		if (!e) {
			why = "out of memory";
			r = -ENOMEM;
			goto out;
		}
	}
	params = params ? json_incref(params) : json_object();
	if (!params) {
		free(e);
		why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	*reply = (struct varlink_reply){ .error = e, .parameters = params, .continues = continues };
	r = 0;
out:
	json_decref(root);
	if (r < 0 && bad)
		*bad = why;
	return r;
}

void varlink_reply_clear(struct varlink_reply *reply)
{
	if (!reply)
		return;
	free(reply->error);
	json_decref(reply->parameters);
	*reply = (struct varlink_reply){ 0 };
}

/*
 * Dumps straight into one exact-size allocation: no intermediate buffer is
 * grown and freed, so secrets in the parameters leave no stray copies and
 * the caller can wipe the single result.
 */
static char *dump_frame(const json_t *msg, size_t *len)
{
	const size_t flags = JSON_COMPACT;
	size_t cap = 4096, need;
	char *buf;

	/* One pass for the usual small message; a second only when it did not fit. */
	buf = malloc(cap);
	if (!buf)
		return NULL;
	need = json_dumpb(msg, buf, cap - 1, flags);
	if (need == 0) {
		free(buf);
		return NULL;
	}
	if (need > cap - 1) {
		explicit_bzero(buf, cap);
		free(buf);
		buf = malloc(need + 1);
		if (!buf)
			return NULL;
		if (json_dumpb(msg, buf, need, flags) != need) {
			explicit_bzero(buf, need + 1);
			free(buf);
			return NULL;
		}
	}
	buf[need] = '\0';
	*len = need + 1;
	return buf;
}

static int set_parameters(json_t *msg, json_t *parameters)
{
	if (parameters)
		return json_is_object(parameters) ? json_object_set(msg, "parameters", parameters) : -1;
	return json_object_set_new(msg, "parameters", json_object());
}

char *varlink_call_encode(const char *method, json_t *parameters, bool more, bool oneway, size_t *len)
{
	json_t *msg;
	char *buf = NULL;

	if (!method || !len)
		return NULL;
	msg = json_object();
	if (!msg)
		return NULL;
	if (json_object_set_new(msg, "method", json_string(method)) < 0 ||
	    set_parameters(msg, parameters) < 0 ||
	    (more && json_object_set_new(msg, "more", json_true()) < 0) ||
	    (oneway && json_object_set_new(msg, "oneway", json_true()) < 0))
		goto out;
	buf = dump_frame(msg, len);
out:
	json_decref(msg);
	return buf;
}

char *varlink_reply_encode(const char *error, json_t *parameters, bool continues, size_t *len)
{
	json_t *msg;
	char *buf = NULL;

	if (!len)
		return NULL;
	msg = json_object();
	if (!msg)
		return NULL;
	if ((error && json_object_set_new(msg, "error", json_string(error)) < 0) ||
	    set_parameters(msg, parameters) < 0 ||
	    (continues && json_object_set_new(msg, "continues", json_true()) < 0))
		goto out;
	buf = dump_frame(msg, len);
out:
	json_decref(msg);
	return buf;
}
