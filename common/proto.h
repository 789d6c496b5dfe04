/*
 * The master-worker frame format: the one header that owns it.
 *
 * Master -> worker, on the worker's task pipe: a struct proto_task header
 * followed by `len` bytes of arguments, at most PROTO_ARGS_MAX: the
 * arguments of the longest control line (CTL_LINE_MAX less its newline, a
 * one-character task and its blank), so every line a client may write
 * fits in a frame.  A frame may thus exceed PIPE_BUF; that is fine: the
 * master is the only writer of each task pipe, so frames are a plain byte
 * stream there that the worker reassembles; the master may put many
 * frames in one write.
 *
 * Worker -> master, on the worker's own completion pipe: a struct
 * proto_done header followed by `len` bytes of message (the reason of a
 * failure, or what a successful job found), then `out_len` bytes of the
 * job's kept output (operator kinds: the last bytes of stdout and stderr,
 * or a resident handler's message; 0 for every built-in kind, so the
 * header of a noop record stays 16 bytes).  The master never trusts a
 * length from a worker: proto_done_decode rejects a len over
 * PROTO_MSG_MAX or an out_len over PROTO_OUT_MAX, and the master kills a
 * worker that sends it.
 *
 * All integers are in host byte order: both ends are the same binary on
 * the same machine.  Decoders copy with memcpy, so buffers need no
 * alignment.
 */
#ifndef POOLD_PROTO_H
#define POOLD_PROTO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct proto_task {
	uint32_t code;    /* job kind (worker/jobs.c) or PROTO_CODE_* */
	uint16_t len;     /* bytes of arguments that follow */
	uint16_t attempt; /* 1 the first time a job is sent, 2 after a worker died... */
	uint64_t id;      /* job id, 0 for control frames */
};

#define PROTO_ARGS_MAX  4093 /* CTL_LINE_MAX - 3, checked in worker/jobs.c */
#define PROTO_FRAME_MAX (sizeof(struct proto_task) + PROTO_ARGS_MAX)

/* Control frames: never jobs, never answered. */
#define PROTO_CODE_REOPEN 0xffffff01u /* every kind's reopen hook (SIGUSR1) */

struct proto_done {
	uint64_t id;      /* job id; 0 with PROTO_HELLO */
	uint32_t status;  /* enum proto_status */
	uint16_t len;     /* bytes of message that follow */
	uint16_t out_len; /* bytes of output after the message */
};

#define PROTO_MSG_MAX  256
#define PROTO_OUT_MAX  4096 /* the last bytes of a job's output sent back */
#define PROTO_DONE_MAX (sizeof(struct proto_done) + PROTO_MSG_MAX + PROTO_OUT_MAX)

/*
 * The message of a PROTO_HELLO record, exactly this size (the decoder
 * rejects any other length).  A worker says hello once every kind's init
 * has run: refused has bit i set for each kind index i (worker/kinds/
 * jobs.c) whose init said this worker cannot run its jobs (a module whose
 * init failed); the master then gives those jobs to other workers.
 */
struct proto_hello {
	uint32_t refused;
	uint32_t reserved; /* 0 */
};

enum proto_status {
	PROTO_OK = 0,
	PROTO_FAILED = 1,
	PROTO_TIMEDOUT = 2,
	/* Failed, and may work if tried again later (exit 75 of an operator
	 * kind, a refused connection): a queue's `retry` retries it.  5, as
	 * the master's own outcomes take 3 and 4 (master.h). */
	PROTO_TEMPFAIL = 5,
	PROTO_HELLO = 100, /* first record of a worker: it is up (struct proto_hello) */
};

/*
 * Encodes one task frame into buf (capacity cap).  Returns the number of
 * bytes written, or 0 if len > PROTO_ARGS_MAX or cap is too small.
 */
size_t proto_task_encode(void *buf, size_t cap, uint32_t code, uint64_t id, const void *args,
                         size_t len);
/* The same with the job's attempt number (proto_task_encode sends 0). */
size_t proto_job_encode(void *buf, size_t cap, uint32_t code, uint64_t id, unsigned attempt,
                        const void *args, size_t len);

/*
 * Decodes the frame at the start of buf (avail bytes).  Returns the frame
 * length and fills *hdr and *args (pointing into buf) when a whole frame is
 * there; 0 when more bytes are needed; -1 when the header is invalid (len
 * over PROTO_ARGS_MAX).
 */
long proto_task_decode(const void *buf, size_t avail, struct proto_task *hdr, const char **args);

/* The same two for completion records; len is capped at PROTO_MSG_MAX (a
 * longer message is truncated by the encoder, rejected by the decoder).
 * proto_done_encode sends no output; proto_done_encode_out sends the last
 * out_len bytes of out, at most PROTO_OUT_MAX (the first ones are cut).
 * The decoder's output, if any, is the hdr->out_len bytes at
 * *msg + hdr->len. */
size_t proto_done_encode(void *buf, size_t cap, uint64_t id, uint32_t status, const char *msg,
                         size_t len);
size_t proto_done_encode_out(void *buf, size_t cap, uint64_t id, uint32_t status, const char *msg,
                             size_t len, const char *out, size_t out_len);
long proto_done_decode(const void *buf, size_t avail, struct proto_done *hdr, const char **msg);

#endif
