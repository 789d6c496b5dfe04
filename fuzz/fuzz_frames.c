/*
 * libFuzzer harness for the master-worker frame decoders of common/proto.c,
 * over the input taken as what arrives on a pipe.  Byte 0 picks the
 * direction: even is a task pipe (proto_task_decode, as worker/worker.c
 * reads it), odd a completion pipe (proto_done_decode, as
 * daemon/dispatch.c reads it); bytes 0.. are also the chunk script of
 * fuzz.h (byte 0 & 7 size bytes follow), and the stream starts after it.
 *
 * Two passes.  The first decodes the stream in place, frame after frame,
 * from libFuzzer's exact-size buffer, so a read past the input is an ASan
 * report.  The second reads the stream in chunks into a buffer shaped like
 * the reader's, keeps the partial frame as the reader does, and must see
 * the same frames and the same end.  Invariants: a frame's length is its
 * header plus len and lies within what was there; len is within the
 * limit; re-encoding the decoded frame (its attempt number included)
 * gives back its bytes; a partial frame left over fits the reader's
 * buffer; -1 only for a header no honest peer sends.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

/* The reader's buffers: worker.c's `in`, and what dispatch.c reads into
 * after the slot's partial record (slot `in`, then MASTER_READ_SIZE). */
#define TASK_BUF_SIZE      (64 * 1024 + PROTO_FRAME_MAX)
#define DONE_PARTIAL_SIZE  PROTO_DONE_MAX
#define DONE_READ_SIZE     (64 * 1024)
#define FRAMES_MAX_RECORDS 4096

/* What the first pass found, for the second to compare with. */
struct frames {
	size_t n;                       /* whole frames */
	size_t len[FRAMES_MAX_RECORDS]; /* their lengths */
	int end;                        /* the last decoder result: 0 or -1 */
};

/* Decodes one frame at buf and checks what the decoder says about it. */
static long decode_one(bool done, const char *buf, size_t avail)
{
	char again[PROTO_FRAME_MAX > PROTO_DONE_MAX ? PROTO_FRAME_MAX : PROTO_DONE_MAX];
	struct proto_task t = {0};
	struct proto_done d = {0};
	const char *body = NULL;
	long n;
	size_t hlen = sizeof(t), blen;

	if (done) {
		n = proto_done_decode(buf, avail, &d, &body);
		blen = (size_t)d.len + d.out_len; /* message, then output */
	} else {
		n = proto_task_decode(buf, avail, &t, &body);
		blen = t.len;
	}
	FUZZ_CHECK(n >= -1);
	if (n == 0) {
		/* A header is there only if its length fits; then what is left
		 * must fit the reader's buffer too. */
		FUZZ_CHECK(avail < hlen ||
		           ((done ? d.len <= PROTO_MSG_MAX && d.out_len <= PROTO_OUT_MAX
		                  : blen <= PROTO_ARGS_MAX) &&
		            avail < hlen + blen));
		return 0;
	}
	FUZZ_CHECK(avail >= hlen);
	if (n == -1) {
		FUZZ_CHECK(done ? (d.len > PROTO_MSG_MAX || d.out_len > PROTO_OUT_MAX ||
		                   (d.status != PROTO_OK && d.status != PROTO_FAILED &&
		                    d.status != PROTO_TIMEDOUT && d.status != PROTO_HELLO) ||
		                   (d.status == PROTO_HELLO &&
		                    (d.len != sizeof(struct proto_hello) || d.out_len != 0)))
		                : t.len > PROTO_ARGS_MAX);
		return -1;
	}
	FUZZ_CHECK((size_t)n == hlen + blen && (size_t)n <= avail);
	FUZZ_CHECK(body == buf + hlen);
	FUZZ_CHECK(blen <= (done ? PROTO_MSG_MAX + PROTO_OUT_MAX : PROTO_ARGS_MAX));
	if (done)
		FUZZ_CHECK(proto_done_encode_out(again, sizeof(again), d.id, d.status, body, d.len,
		                                 body + d.len, d.out_len) == (size_t)n);
	else
		FUZZ_CHECK(proto_job_encode(again, sizeof(again), t.code, t.id, t.attempt, body,
		                            t.len) == (size_t)n);
	FUZZ_CHECK(memcmp(again, buf, (size_t)n) == 0);
	return n;
}

/* Pass 1: the stream as one buffer. */
static void pass_whole(bool done, const uint8_t *s, size_t size, struct frames *fr)
{
	size_t off = 0;
	long n;

	fr->n = 0;
	while ((n = decode_one(done, (const char *)s + off, size - off)) > 0) {
		if (fr->n < FRAMES_MAX_RECORDS)
			fr->len[fr->n] = (size_t)n;
		fr->n++;
		off += (size_t)n;
	}
	fr->end = (int)n;
}

/* Decodes what buf holds; returns the bytes used or -1, counting frames. */
static long drain(bool done, const char *buf, size_t len, const struct frames *fr, size_t *seen)
{
	size_t off = 0;
	long n;

	while ((n = decode_one(done, buf + off, len - off)) > 0) {
		FUZZ_CHECK(*seen < fr->n);
		if (*seen < FRAMES_MAX_RECORDS)
			FUZZ_CHECK(fr->len[*seen] == (size_t)n);
		(*seen)++;
		off += (size_t)n;
	}
	return n == -1 ? -1 : (long)off;
}

/* Pass 2, task pipe: worker.c reads into the free end of one buffer and
 * moves the partial frame to the front. */
static void pass_task(const uint8_t *s, size_t size, struct fuzz_chunks *ch,
                      const struct frames *fr)
{
	static char in[TASK_BUF_SIZE];
	size_t in_len = 0, have = 0, seen = 0, k;
	long used = 0;

	while (have < size) {
		FUZZ_CHECK(in_len < sizeof(in));
		k = fuzz_chunks_next(ch, sizeof(in) - in_len, size - have);
		memcpy(in + in_len, s + have, k);
		in_len += k;
		have += k;
		used = drain(false, in, in_len, fr, &seen);
		if (used < 0)
			break;
		memmove(in, in + used, in_len - (size_t)used);
		in_len -= (size_t)used;
		FUZZ_CHECK(in_len < PROTO_FRAME_MAX);
	}
	FUZZ_CHECK(seen == fr->n);
	FUZZ_CHECK((used < 0 ? -1 : 0) == fr->end);
}

/* Pass 2, completion pipe: dispatch.c puts the slot's partial record in
 * front of each read and keeps the new partial in the slot. */
static void pass_done(const uint8_t *s, size_t size, struct fuzz_chunks *ch,
                      const struct frames *fr)
{
	static char buf[DONE_PARTIAL_SIZE + DONE_READ_SIZE];
	char partial[DONE_PARTIAL_SIZE];
	size_t partial_len = 0, have = 0, seen = 0, k, len;
	long used = 0;

	while (have < size) {
		memcpy(buf, partial, partial_len);
		k = fuzz_chunks_next(ch, DONE_READ_SIZE, size - have);
		memcpy(buf + partial_len, s + have, k);
		have += k;
		len = partial_len + k;
		used = drain(true, buf, len, fr, &seen);
		if (used < 0)
			break;
		partial_len = len - (size_t)used;
		FUZZ_CHECK(partial_len <= sizeof(partial));
		memcpy(partial, buf + used, partial_len);
	}
	FUZZ_CHECK(seen == fr->n);
	FUZZ_CHECK((used < 0 ? -1 : 0) == fr->end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frames fr;
	struct fuzz_chunks ch;
	bool done = size > 0 && (data[0] & 1);

	/* A short input may hold one byte of script and nothing else. */
	fuzz_chunks_init(&ch, &data, &size);
	pass_whole(done, data, size, &fr);
	if (size == 0)
		return 0;
	if (done)
		pass_done(data, size, &ch, &fr);
	else
		pass_task(data, size, &ch, &fr);
	return 0;
}
