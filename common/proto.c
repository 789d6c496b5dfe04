/*
 * Encoding and decoding of the master-worker frames described in proto.h.
 * Pure functions over byte buffers: no I/O, no allocation, so the frame
 * decoder can be fuzzed on its own.
 */
#include <string.h>

#include "proto.h"

_Static_assert(PROTO_ARGS_MAX <= 0xffff, "a frame's length fits its 16 bits");
_Static_assert(PROTO_MSG_MAX <= 0xffff && PROTO_OUT_MAX <= 0xffff,
               "a record's lengths fit their 16 bits");

size_t proto_task_encode(void *buf, size_t cap, uint32_t code, uint64_t id, const void *args,
                         size_t len)
{
	return proto_job_encode(buf, cap, code, id, 0, args, len);
}

size_t proto_job_encode(void *buf, size_t cap, uint32_t code, uint64_t id, unsigned attempt,
                        const void *args, size_t len)
{
	struct proto_task hdr = {.code = code,
	                         .len = (uint16_t)len,
	                         .attempt = (uint16_t)(attempt > 0xffff ? 0xffff : attempt),
	                         .id = id};

	if (len > PROTO_ARGS_MAX || cap < sizeof(hdr) + len)
		return 0;
	memcpy(buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy((char *)buf + sizeof(hdr), args, len);
	return sizeof(hdr) + len;
}

long proto_task_decode(const void *buf, size_t avail, struct proto_task *hdr, const char **args)
{
	if (avail < sizeof(*hdr))
		return 0;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len > PROTO_ARGS_MAX)
		return -1;
	if (avail < sizeof(*hdr) + hdr->len)
		return 0;
	*args = (const char *)buf + sizeof(*hdr);
	return (long)(sizeof(*hdr) + hdr->len);
}

size_t proto_done_encode(void *buf, size_t cap, uint64_t id, uint32_t status, const char *msg,
                         size_t len)
{
	return proto_done_encode_out(buf, cap, id, status, msg, len, NULL, 0);
}

size_t proto_done_encode_out(void *buf, size_t cap, uint64_t id, uint32_t status, const char *msg,
                             size_t len, const char *out, size_t out_len)
{
	struct proto_done hdr = {.id = id, .status = status};

	if (len > PROTO_MSG_MAX)
		len = PROTO_MSG_MAX;
	if (out_len > PROTO_OUT_MAX) {
		out += out_len - PROTO_OUT_MAX;
		out_len = PROTO_OUT_MAX;
	}
	hdr.len = (uint16_t)len;
	hdr.out_len = (uint16_t)out_len;
	if (cap < sizeof(hdr) + len + out_len)
		return 0;
	memcpy(buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy((char *)buf + sizeof(hdr), msg, len);
	if (out_len > 0)
		memcpy((char *)buf + sizeof(hdr) + len, out, out_len);
	return sizeof(hdr) + len + out_len;
}

long proto_done_decode(const void *buf, size_t avail, struct proto_done *hdr, const char **msg)
{
	if (avail < sizeof(*hdr))
		return 0;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len > PROTO_MSG_MAX || hdr->out_len > PROTO_OUT_MAX)
		return -1;
	if (hdr->status != PROTO_OK && hdr->status != PROTO_FAILED &&
	    hdr->status != PROTO_TIMEDOUT && hdr->status != PROTO_TEMPFAIL &&
	    hdr->status != PROTO_HELLO)
		return -1;
	if (hdr->status == PROTO_HELLO &&
	    (hdr->len != sizeof(struct proto_hello) || hdr->out_len != 0))
		return -1;
	if (avail < sizeof(*hdr) + hdr->len + hdr->out_len)
		return 0;
	*msg = (const char *)buf + sizeof(*hdr);
	return (long)(sizeof(*hdr) + hdr->len + hdr->out_len);
}
