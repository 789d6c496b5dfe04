/*
 * Writes the binary seeds of fuzz/corpus/ with the project's own
 * encoders, so the seeds are what the daemon really sends and stores:
 * frame streams from proto_job_encode and proto_done_encode, journal
 * files from journal_accept and journal_end (daemon/journal.c, into its
 * buffer only; nothing is opened).  Run by fuzz/make_seeds.sh; not part
 * of the daemon or of the fuzz build.
 *
 * Usage: seedgen frames DIR | seedgen journal DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "master.h"
#include "proto.h"

/* A growing byte buffer for one seed. */
struct seed {
	char *p;
	size_t len, cap;
};

static void seed_put(struct seed *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = 2 * (s->len + n);
		s->p = realloc(s->p, s->cap);
		if (s->p == NULL) {
			perror("seedgen");
			exit(1);
		}
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

/* Writes the seed to DIR/NAME and empties it. */
static void seed_write(struct seed *s, const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(s->p, 1, s->len, f) != s->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	s->len = 0;
}

/* A task frame as dispatch.c sends it: jobs carry their attempt (1 the
 * first time), control frames 0. */
static void task_try(struct seed *s, uint32_t code, uint64_t id, unsigned attempt, const char *args,
                     size_t len)
{
	char buf[PROTO_FRAME_MAX];
	size_t n = proto_job_encode(buf, sizeof(buf), code, id, attempt, args, len);

	if (n == 0) {
		fprintf(stderr, "seedgen: task frame of %zu bytes refused\n", len);
		exit(1);
	}
	seed_put(s, buf, n);
}

static void task(struct seed *s, uint32_t code, uint64_t id, const char *args, size_t len)
{
	task_try(s, code, id, code == PROTO_CODE_REOPEN ? 0 : 1, args, len);
}

static void done_raw(struct seed *s, uint64_t id, uint32_t status, const char *msg, size_t len)
{
	char buf[PROTO_FRAME_MAX];

	seed_put(s, buf, proto_done_encode(buf, sizeof(buf), id, status, msg, len));
}

static void done(struct seed *s, uint64_t id, uint32_t status, const char *msg)
{
	done_raw(s, id, status, msg, strlen(msg));
}

/* A worker's hello (it refuses no kind). */
static void hello(struct seed *s)
{
	struct proto_hello h = {0};

	done_raw(s, 0, PROTO_HELLO, (const char *)&h, sizeof(h));
}

/* A record with an operator kind's output after its message. */
static void done_out(struct seed *s, uint64_t id, uint32_t status, const char *msg, const char *out,
                     size_t out_len)
{
	char buf[PROTO_DONE_MAX];

	seed_put(
	    s, buf,
	    proto_done_encode_out(buf, sizeof(buf), id, status, msg, strlen(msg), out, out_len));
}

/* The jobs of a typical FIFO read, as the master frames them. */
static void tasks_typical(struct seed *s)
{
	task(s, 1, 1, "", 0);
	task(s, 2, 2, "hello world", 11);
	task(s, 3, 3, "/etc/hosts", 10);
	task(s, 4, 4, "127.0.0.1:22", 12);
	task(s, 4, 5, "[::1]:631", 9);
	task(s, PROTO_CODE_REOPEN, 0, "", 0);
}

/* One frame of each kind alone, and streams read a byte at a time. */
static void frames_more(struct seed *s, const char *dir)
{
	static const char *const args[] = {"", "one line", "/srv/data", "[2001:db8::1]:443"};
	char name[32];
	uint32_t code;
	int i;

	for (code = 1; code <= 4; code++) {
		seed_put(s, "\x00", 1);
		task(s, code, code, args[code - 1], strlen(args[code - 1]));
		snprintf(name, sizeof(name), "task-kind-%u", (unsigned)code);
		seed_write(s, dir, name);
	}
	seed_put(s, "\x00", 1);
	task(s, PROTO_CODE_REOPEN, 0, "", 0);
	seed_write(s, dir, "task-reopen");

	seed_put(s, "\x02\x00\x00", 3); /* k = 2, both one byte */
	tasks_typical(s);
	seed_write(s, dir, "task-bytewise");

	/* Jobs sent again after their worker died, up to the clamp. */
	seed_put(s, "\x00", 1);
	task_try(s, 2, 1, 2, "again", 5);
	task_try(s, 3, 2, 3, "/etc", 4);
	task_try(s, 1, 3, 0xffff, "", 0);
	seed_write(s, dir, "task-attempts");

	seed_put(s, "\x01\xff", 2);
	hello(s);
	seed_write(s, dir, "done-hello");

	seed_put(s, "\x01\x00", 2);
	hello(s);
	done(s, 1, PROTO_OK, "");
	done(s, 2, PROTO_FAILED, "no such file");
	seed_write(s, dir, "done-bytewise");

	seed_put(s, "\x03\x05\x90\x20", 4);
	for (i = 1; i <= 100; i++)
		done(s, (uint64_t)i, i % 7 == 0 ? PROTO_FAILED : PROTO_OK,
		     i % 7 == 0 ? "failed" : "");
	seed_write(s, dir, "done-many");
}

static void frames(const char *dir)
{
	static char big[PROTO_ARGS_MAX + 1];
	struct seed s = {0};
	struct proto_task bad = {.code = 2, .len = PROTO_ARGS_MAX + 1, .id = 9};
	struct proto_done badd = {.id = 7, .status = 5, .len = 3};
	int i;

	memset(big, 'x', PROTO_ARGS_MAX);

	/* Task pipe: byte 0 even; its low bits also give the read sizes. */
	seed_put(&s, "\x00", 1);
	tasks_typical(&s);
	seed_write(&s, dir, "task-typical");

	seed_put(&s, "\x02\x00\x05", 3);
	tasks_typical(&s);
	seed_write(&s, dir, "task-small-reads");

	seed_put(&s, "\x00", 1);
	task(&s, 2, 1, big, PROTO_ARGS_MAX);
	task(&s, 1, 2, "", 0);
	seed_write(&s, dir, "task-largest");

	seed_put(&s, "\x04\x81\x10\x00\x7f", 5);
	for (i = 1; i <= 200; i++)
		task(&s, 1, (uint64_t)i, "", 0);
	seed_write(&s, dir, "task-many");

	seed_put(&s, "\x00", 1);
	tasks_typical(&s);
	s.len -= 5; /* the last frame torn */
	seed_write(&s, dir, "task-partial");

	seed_put(&s, "\x00", 1);
	task(&s, 1, 1, "", 0);
	seed_put(&s, &bad, sizeof(bad));
	seed_write(&s, dir, "task-len-over-limit");

	/* Completion pipe: byte 0 odd. */
	seed_put(&s, "\x01\xff", 2);
	hello(&s);
	done(&s, 1, PROTO_OK, "");
	done(&s, 2, PROTO_OK, "copied 3 files, 12 KiB");
	done(&s, 3, PROTO_FAILED, "open /etc/shadow: Permission denied");
	done(&s, 4, PROTO_TIMEDOUT, "connect 10.0.0.1:80: timed out");
	seed_write(&s, dir, "done-typical");

	seed_put(&s, "\x03\x00\x10\x85", 4);
	hello(&s);
	done(&s, 1, PROTO_FAILED, big); /* cut to PROTO_MSG_MAX by the encoder */
	done(&s, 2, PROTO_OK, "ok");
	seed_write(&s, dir, "done-longest-small-reads");

	seed_put(&s, "\x01\xff", 2);
	done(&s, 1, PROTO_OK, "");
	seed_put(&s, &badd, sizeof(badd));
	seed_put(&s, "abc", 3);
	seed_write(&s, dir, "done-bad-status");

	badd.status = PROTO_OK;
	badd.len = PROTO_MSG_MAX + 1;
	seed_put(&s, "\x01\xff", 2);
	seed_put(&s, &badd, sizeof(badd));
	seed_write(&s, dir, "done-len-over-limit");

	seed_put(&s, "\x02\x40", 2);
	done_out(&s, 1, PROTO_OK, "", "out line\nerr line\n", 18);
	done(&s, 2, PROTO_OK, "");
	done_out(&s, 3, PROTO_FAILED, "exit 3: it broke", big, sizeof(big) - 1);
	done_out(&s, 4, PROTO_OK, "", "bad \xff\x1b utf8", 15);
	seed_write(&s, dir, "done-output");

	badd.len = 0;
	badd.out_len = PROTO_OUT_MAX + 1;
	seed_put(&s, "\x01\xff", 2);
	seed_put(&s, &badd, sizeof(badd));
	seed_write(&s, dir, "done-out-len-over-limit");
	badd.out_len = 0;

	seed_put(&s, "\x01\x7f", 2);
	done(&s, 1, PROTO_OK, "partial record");
	s.len -= 4;
	seed_write(&s, dir, "done-partial");

	frames_more(&s, dir);
	free(s.p);
}

/* Journal seeds: byte 0 is the harness's flags (0: the bytes as they are). */
static struct master *jm;

/* An ACCEPT with the option text opts after the arguments, as
 * admit.c journals a job given "key=K". */
static void jaccept_opts(uint64_t id, uint32_t code, const char *args, const char *opts)
{
	struct job *j =
	    job_new_opts(code, (uint16_t)(code - 1), args, strlen(args), opts, strlen(opts));

	if (j == NULL)
		exit(1);
	j->id = id;
	journal_accept(jm, j);
	job_free(j);
}

static void jaccept(uint64_t id, uint32_t code, const char *args)
{
	struct job *j = job_new(code, (uint16_t)(code - 1), args, strlen(args));

	if (j == NULL)
		exit(1);
	j->id = id;
	journal_accept(jm, j);
	job_free(j);
}

static void jend(uint64_t id)
{
	struct job j = {.id = id};

	journal_end(jm, &j);
}

/* Writes flags, the magic and the records gathered, and starts afresh. */
static void journal_seed(const char *dir, const char *name, char flags, size_t cut)
{
	struct seed s = {0};

	seed_put(&s, &flags, 1);
	if (!(flags & 2))
		seed_put(&s, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1);
	seed_put(&s, jm->journal.buf, jm->journal.len - cut);
	seed_write(&s, dir, name);
	jm->journal.len = 0;
	free(s.p);
}

/* Appends a record with a right sum: one journal_put would never write,
 * or an IDS reservation (journal_put is static, and journal_next_id
 * would write to the file). */
static void jraw_opt(uint8_t type, uint32_t code, uint64_t id, const char *args, uint16_t optlen)
{
	struct journal_rec r = {
	    .type = type, .optlen = optlen, .len = (uint32_t)strlen(args), .code = code, .id = id};
	struct seed s = {.p = jm->journal.buf, .len = jm->journal.len, .cap = jm->journal.cap};

	r.sum = journal_sum(&r, args);
	seed_put(&s, &r, sizeof(r));
	seed_put(&s, args, r.len);
	jm->journal.buf = s.p;
	jm->journal.len = s.len;
	jm->journal.cap = s.cap;
}

static void jraw(uint8_t type, uint32_t code, uint64_t id, const char *args)
{
	jraw_opt(type, code, id, args, 0);
}

/* Ids reserved by IDS records, and options kept after the arguments. */
static void journal_ids_opts(const char *dir)
{
	jraw(JOURNAL_IDS, 0, 4096, "");
	jaccept(1, 2, "first");
	jaccept(2, 3, "/etc");
	jend(1);
	jraw(JOURNAL_IDS, 0, 8191, "");
	journal_seed(dir, "ids", 0, 0);

	jraw(JOURNAL_IDS, 0, 4096, "");
	jaccept_opts(1, 3, "/etc", "key=nightly");
	jaccept_opts(2, 1, "", "key=a.b_c:d/e@f+g-0");
	jaccept_opts(3, 2, "text", "key=nightly");
	jaccept(4, 2, "no options");
	jend(3);
	journal_seed(dir, "options", 0, 0);

	/* pri=N: replayed by priority, in file order within one. */
	jaccept(1, 2, "default");
	jaccept_opts(2, 2, "low", "pri=1");
	jaccept_opts(3, 2, "high", "key=h pri=9");
	jaccept_opts(4, 2, "low again", "pri=1");
	jaccept_opts(5, 3, "/etc", "pri=0");
	journal_seed(dir, "priorities", 0, 0);

	/* Option text that does not read: the job is replayed without it. */
	jaccept_opts(1, 2, "x", "key=a!b");
	jaccept_opts(2, 2, "y", "prio=1");
	jaccept_opts(3, 2, "z", "key=a key=b");
	jraw_opt(JOURNAL_ACCEPT, 2, 4, "all option", 10);
	journal_seed(dir, "options-bad-text", 0, 0);

	/* optlen over len: no record, damage. */
	jaccept(1, 2, "a");
	jraw_opt(JOURNAL_ACCEPT, 2, 2, "key=x", 6);
	jaccept(3, 2, "c");
	journal_seed(dir, "optlen-over-len", 0, 0);
}

/* Orders, ids and tails a running master does not write, but a file may
 * hold after a bug, a disk error or a hand edit. */
static void journal_more(const char *dir)
{
	uint64_t i;

	jend(1);
	jend(2);
	journal_seed(dir, "ends-only", 0, 0);

	jend(1);
	jaccept(1, 2, "ended before it was accepted");
	jaccept(2, 2, "live");
	journal_seed(dir, "end-before-accept", 0, 0);

	jaccept(1, 1, "");
	jaccept(2, 2, "text");
	jaccept(3, 3, "/etc");
	jaccept(4, 4, "[::1]:22");
	journal_seed(dir, "every-kind", 0, 0);

	jaccept(0, 2, "id zero");
	jaccept(UINT64_MAX, 2, "largest id");
	jend(0);
	journal_seed(dir, "extreme-ids", 0, 0);

	jaccept(1, 2, "good");
	jraw('X', 2, 2, "unknown type");
	jaccept(3, 2, "after the bad record");
	journal_seed(dir, "bad-type", 0, 0);

	jaccept(1, 2, "good");
	jraw(JOURNAL_ACCEPT, 2, 2, "");
	jm->journal.buf[jm->journal.len - sizeof(struct journal_rec)] ^= 1; /* sum off by one bit */
	journal_seed(dir, "bad-sum", 0, 0);

	jaccept(1, 2, "a");
	jaccept(2, 2, "b");
	journal_seed(dir, "torn-header", 0, 10);

	/* One byte damaged in the second of five records: the walk skips it
	 * and resynchronises on the third. */
	for (i = 1; i <= 5; i++)
		jaccept(i, 2, "mid-file damage");
	jm->journal.buf[sizeof(struct journal_rec) + 15 + 10] ^= 0x40;
	journal_seed(dir, "mid-damage", 0, 0);
}

static void journal(const char *dir)
{
	static char big[PROTO_ARGS_MAX + 1];
	uint64_t i;

	jm = calloc(1, sizeof(*jm));
	if (jm == NULL)
		return;
	jm->journal.fd = 1; /* "open": journal_put only fills the buffer */
	journal_seed(dir, "empty", 0, 0);

	jaccept(1, 2, "hello");
	jaccept(2, 3, "/etc/hosts");
	jaccept(3, 1, "");
	jaccept(4, 4, "127.0.0.1:22");
	jend(1);
	jend(3);
	journal_seed(dir, "typical", 0, 0);

	jaccept(1, 2, "a");
	jaccept(2, 2, "b");
	jend(2);
	jaccept(3, 2, "c");
	journal_seed(dir, "torn-tail", 0, 3);

	jaccept(1, 2, "a");
	jaccept(2, 99, "unknown kind");
	jaccept(3, 1, "");
	journal_seed(dir, "unknown-kind", 0, 0);

	for (i = 1; i <= 300; i++) {
		jaccept(i, 2, "line");
		if (i % 3 != 0)
			jend(i);
	}
	journal_seed(dir, "many", 0, 0);

	memset(big, 'b', PROTO_ARGS_MAX);
	jaccept(7, 2, big);
	jaccept(8, 3, "/srv/data");
	jend(8);
	journal_seed(dir, "largest", 0, 0);

	jaccept(5, 2, "again");
	jaccept(5, 2, "again");
	jend(6);
	jend(5);
	jaccept(5, 2, "after");
	journal_seed(dir, "duplicate-ids", 0, 0);

	/* Flag 2: the harness puts the magic in front; 1: it fixes sums. */
	jaccept(1, 2, "x");
	jaccept(2, 2, "y");
	jend(1);
	journal_seed(dir, "fix-sums-magic", 3, 0);

	jaccept(1, 2, "x");
	journal_seed(dir, "fix-sums", 1, 0);

	journal_more(dir);
	journal_ids_opts(dir);
	free(jm->journal.buf);
	free(jm);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "frames") == 0)
		frames(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "journal") == 0)
		journal(argv[2]);
	else {
		fprintf(stderr, "usage: seedgen frames DIR | seedgen journal DIR\n");
		return 2;
	}
	return 0;
}
