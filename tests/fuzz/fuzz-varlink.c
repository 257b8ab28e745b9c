/*
 * Fuzz target for the Varlink framing and decoders: splits the input into
 * frames and decodes each as a call and as a reply. Whatever decodes must
 * survive an encode/decode round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varlink.h"
#include "staff-protocol.h"

#define FUZZ_INPUT_MAX 70000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip_call(const struct varlink_call *call)
{
	struct varlink_call again = { 0 };
	size_t len = 0;
	char *buf = varlink_call_encode(call->method, call->parameters, call->more, call->oneway, &len);

	if (!buf)
		abort();
	if (len == 0 || buf[len - 1] != '\0' || strlen(buf) + 1 != len)
		abort();
	if (varlink_call_decode(buf, len - 1, &again, NULL) < 0)
		abort();
	if (strcmp(again.method, call->method) != 0 || again.more != call->more ||
	    again.oneway != call->oneway || !json_equal(again.parameters, call->parameters))
		abort();
	varlink_call_clear(&again);
	free(buf);
}

static void round_trip_reply(const struct varlink_reply *reply)
{
	struct varlink_reply again = { 0 };
	size_t len = 0;
	char *buf = varlink_reply_encode(reply->error, reply->parameters, reply->continues, &len);

	if (!buf)
		abort();
	if (len == 0 || buf[len - 1] != '\0' || strlen(buf) + 1 != len)
		abort();
	if (varlink_reply_decode(buf, len - 1, &again, NULL) < 0)
		abort();
	if ((reply->error == NULL) != (again.error == NULL) ||
	    (reply->error && strcmp(reply->error, again.error) != 0) ||
	    again.continues != reply->continues || !json_equal(again.parameters, reply->parameters))
		abort();
	varlink_reply_clear(&again);
	free(buf);
}

static void decode_both(const char *frame, size_t len)
{
	struct varlink_call call = { 0 };
	struct varlink_reply reply = { 0 };
	const char *bad = NULL;

	if (varlink_call_decode(frame, len, &call, &bad) == 0) {
		if (!call.method || !json_is_object(call.parameters) || (call.more && call.oneway))
			abort();
		round_trip_call(&call);
		varlink_call_clear(&call);
	} else if (!bad) {
		abort();
	}
	bad = NULL;
	if (varlink_reply_decode(frame, len, &reply, &bad) == 0) {
		if (!json_is_object(reply.parameters) || (reply.error && reply.continues))
			abort();
		round_trip_reply(&reply);
		varlink_reply_clear(&reply);
	} else if (!bad) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	while (off < size) {
		size_t frame_len = 0;
		int r = varlink_frame_next(buf + off, size - off, STAFF_FRAME_MAX, &frame_len);

		if (r < 0)
			break;
		if (r == 0) {
			/* No NUL left: the decoders still take any bytes. */
			decode_both(buf + off, size - off);
			break;
		}
		if (frame_len == 0 || frame_len > size - off || buf[off + frame_len - 1] != '\0')
			abort();
		decode_both(buf + off, frame_len - 1);
		off += frame_len;
	}
	return 0;
}
