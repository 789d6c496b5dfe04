/*
 * The results registry (results.h).  Two chained hash tables share one
 * size: by id and by key (a job without a key is not in the second).
 * Records sit on one of two lists: live in accept order, ended in end
 * order, so the oldest ended record is always at the head and expiry is
 * O(1) per record dropped.  The tables double when they hold more
 * records than heads and never shrink: their size follows the peak of
 * keep + live jobs, a bound, not the number of jobs ever seen.
 */
#include <stdlib.h>
#include <string.h>

#include "results.h"

static const char *const results_names[RESULT_NSTATES] = {
    [RESULT_QUEUED] = "queued",       [RESULT_RUNNING] = "running",
    [RESULT_DONE] = "done",           [RESULT_FAILED] = "failed",
    [RESULT_TIMEDOUT] = "timed out",  [RESULT_BURIED] = "buried",
    [RESULT_CANCELLED] = "cancelled", [RESULT_SCHEDULED] = "scheduled",
    [RESULT_RETRYING] = "retrying",
};

const char *results_state_name(enum result_state st)
{
	return st < RESULT_NSTATES ? results_names[st] : "unknown";
}

int results_state_by_name(const char *name)
{
	int i;

	for (i = 0; i < RESULT_NSTATES; i++)
		if (strcmp(name, results_names[i]) == 0 ||
		    (i == RESULT_TIMEDOUT && strcmp(name, "timed_out") == 0))
			return i;
	return -1;
}

/* Ids are handed out in order, so the records held at one time have ids
 * close together: the id itself spreads them over the heads, one a head
 * while the ids held span fewer than the table's size. */
static size_t results_hash_id(uint64_t id)
{
	return (size_t)id;
}

/* FNV-1a. */
static size_t results_hash_key(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
	return (size_t)h;
}

void results_init(struct results *r, size_t keep, double max_age)
{
	memset(r, 0, sizeof(*r));
	r->output_max = RESULTS_OUTPUT_DEFAULT;
	results_configure(r, keep, max_age);
}

void results_output_bound(struct results *r, size_t bytes)
{
	r->output_max = bytes;
}

void results_configure(struct results *r, size_t keep, double max_age)
{
	r->keep = keep;
	r->max_age = max_age;
}

static void results_link(struct results *r, struct result *res)
{
	size_t h = results_hash_id(res->id) & r->mask;

	res->hnext = r->ids[h];
	r->ids[h] = res;
	if (res->key != NULL) {
		h = results_hash_key(res->key, strlen(res->key)) & r->mask;
		res->knext = r->keys[h];
		r->keys[h] = res;
	}
}

/* Doubles both tables (or makes them); -1 when out of memory.  Out of
 * line: inlined, its loops cost results_add registers saved per job. */
__attribute__((cold, noinline)) static int results_grow(struct results *r)
{
	size_t n = r->ids == NULL ? 64 : 2 * (r->mask + 1), i;
	struct result **ids = calloc(n, sizeof(*ids)), **keys = calloc(n, sizeof(*keys));
	struct result *res, *next;
	struct result **old = r->ids;
	size_t old_n = r->ids == NULL ? 0 : r->mask + 1;

	if (ids == NULL || keys == NULL) {
		free(ids);
		free(keys);
		return -1;
	}
	free(r->keys);
	r->ids = ids;
	r->keys = keys;
	r->mask = n - 1;
	for (i = 0; i < old_n; i++)
		for (res = old[i]; res != NULL; res = next) {
			next = res->hnext;
			results_link(r, res);
		}
	free(old);
	return 0;
}

/* Unlinks res from the chain that starts at *pp (through hnext or knext). */
static void results_unchain(struct result **pp, struct result *res, bool by_key)
{
	while (*pp != NULL && *pp != res)
		pp = by_key ? &(*pp)->knext : &(*pp)->hnext;
	if (*pp != NULL)
		*pp = by_key ? res->knext : res->hnext;
}

static void results_list_remove(struct result **first, struct result **last, struct result *res)
{
	if (res->prev != NULL)
		res->prev->next = res->next;
	else
		*first = res->next;
	if (res->next != NULL)
		res->next->prev = res->prev;
	else
		*last = res->prev;
	res->prev = res->next = NULL;
}

static void results_list_append(struct result **first, struct result **last, struct result *res)
{
	res->next = NULL;
	res->prev = *last;
	if (*last != NULL)
		(*last)->next = res;
	else
		*first = res;
	*last = res;
}

#define RESULTS_SMALL_SIZE (sizeof(struct result) + RESULTS_SMALL_TEXT)

_Static_assert(RESULTS_SMALL_SIZE % _Alignof(struct result) == 0, "records of a block are aligned");

/* The records the blocks hold at most, and the blocks' and the other
 * spare records together: keep + RESULTS_SPARE_MAX (results.h). */
static size_t results_slab_max(const struct results *r)
{
	return r->keep + RESULTS_SPARE_MAX;
}

/* A never used small record: from the newest block, or from a new one
 * while the blocks hold fewer than results_slab_max, else calloc'd.
 * Its blocks' pointers are NULL (results_add sets the other fields).
 * Out of line: once the registry holds keep + the live jobs, records
 * come from the spare list. */
__attribute__((noinline)) static struct result *results_alloc_small(struct results *r)
{
	struct slab_block *b;
	struct result *res =
	    slab_take(&r->slab, RESULTS_SMALL_SIZE, RESULTS_SLAB, results_slab_max(r), &b);

	if (res == NULL)
		return calloc(1, RESULTS_SMALL_SIZE);
	res->reason = res->output = NULL;
	res->tries = NULL;
	res->blocks = false;
	res->slab = b;
	return res;
}

/* A record with room for `text` bytes of text: a spare one if it fits
 * (its fields still the last job's, but for the blocks results_release
 * freed: results_add sets every one), else a new one. */
static struct result *results_alloc(struct results *r, size_t text)
{
	struct result *res = r->spare;

	if (text > RESULTS_SMALL_TEXT)
		return calloc(1, sizeof(*res) + text);
	if (res == NULL)
		return results_alloc_small(r);
	r->spare = res->next;
	r->nspare--;
	if (!res->slab)
		r->nspare_heap--;
	return res;
}

/* Frees a record, or keeps it for the next add (its fields are zeroed
 * there).  Most records hold none of the three blocks: no call then. */
static void results_release(struct results *r, struct result *res)
{
	if (res->blocks) {
		free(res->reason);
		free(res->output);
		free(res->tries);
		res->reason = res->output = NULL;
		res->tries = NULL;
		res->blocks = false;
	}
	if (!res->slab) {
		if (!res->small || r->nspare_heap + r->slab.made >= results_slab_max(r) ||
		    r->count + r->nspare > r->mask) {
			free(res);
			return;
		}
		r->nspare_heap++;
	}
	res->next = r->spare;
	r->spare = res;
	r->nspare++;
}

/* Zeroes what results_add does not set, field by field: cheaper than
 * clearing the whole record, text included, for every job.  The lists'
 * and the id chain's links are set when the record is linked; reason,
 * output and tries are NULL already (calloc, results_release). */
static void results_clear(struct result *res)
{
	res->knext = NULL;
	res->attempt = 0;
	res->state = RESULT_QUEUED;
	res->cancel = false;
	res->worker = 0;
	res->started = res->ended = res->due = 0;
	res->output_len = 0;
	res->output_dropped = false;
	res->key = res->ref = NULL;
	res->ntries = 0;
	res->again = 0;
}

struct result *results_add(struct results *r, uint64_t id, uint16_t kind, const char *args,
                           size_t len, const char *key, size_t key_len, const char *ref, double now)
{
	size_t keep_args = len > RESULTS_TEXT_MAX ? RESULTS_TEXT_MAX : len;
	size_t ref_len = ref != NULL ? strnlen(ref, RESULTS_TEXT_MAX) : 0;
	struct result *res;
	char *p;

	/* Full at mask + 1 records; with no tables yet (mask 0), at once. */
	if (r->count >= r->mask + (r->ids != NULL) && results_grow(r) == -1 && r->ids == NULL)
		return NULL;
	res = results_alloc(r, keep_args + key_len + 1 + ref_len + 1);
	if (res == NULL)
		return NULL;
	results_clear(res);
	res->id = id;
	res->kind = kind;
	res->small = keep_args + key_len + 1 + ref_len + 1 <= RESULTS_SMALL_TEXT;
	res->accepted = now;
	res->args_len = (uint32_t)keep_args;
	res->args_cut = keep_args < len;
	if (keep_args > 0)
		memcpy(res->text, args, keep_args);
	p = res->text + keep_args;
	if (key != NULL) {
		memcpy(p, key, key_len);
		res->key = p;
	}
	p[key_len] = '\0';
	p += key_len + 1;
	if (ref != NULL) {
		memcpy(p, ref, ref_len);
		res->ref = p;
	}
	p[ref_len] = '\0';
	results_link(r, res);
	results_list_append(&r->live_first, &r->live_last, res);
	r->count++;
	return res;
}

/* Sets a state, keeping the count of retrying records. */
static void results_set(struct results *r, struct result *res, enum result_state st)
{
	if (res->state == RESULT_RETRYING || st == RESULT_RETRYING) /* rare: a branch, no sums */
		r->nretrying += (size_t)(st == RESULT_RETRYING) - (res->state == RESULT_RETRYING);
	res->state = (uint8_t)st;
}

void results_started(struct results *r, struct result *res, unsigned worker, unsigned attempt,
                     double now)
{
	results_set(r, res, RESULT_RUNNING);
	res->worker = worker;
	res->attempt = (uint16_t)attempt;
	res->started = now;
}

void results_requeued(struct results *r, struct result *res)
{
	results_set(r, res, RESULT_QUEUED);
}

void results_retrying(struct results *r, struct result *res)
{
	results_set(r, res, RESULT_RETRYING);
}

void results_tried(struct result *res, double at, const char *reason, size_t len)
{
	struct result_try *t;

	if (res->tries == NULL && (res->tries = calloc(RESULTS_TRIES_MAX, sizeof(*t))) == NULL)
		return;
	res->blocks = true;
	t = &res->tries[res->ntries % RESULTS_TRIES_MAX];
	if (len >= sizeof(t->reason))
		len = sizeof(t->reason) - 1;
	t->at = at;
	memcpy(t->reason, reason, len);
	t->reason[len] = '\0';
	if (res->ntries < UINT16_MAX)
		res->ntries++;
}

const struct result_try *results_try_at(const struct result *res, unsigned i)
{
	unsigned kept = res->ntries < RESULTS_TRIES_MAX ? res->ntries : RESULTS_TRIES_MAX;

	if (res->tries == NULL || i >= kept)
		return NULL;
	return &res->tries[(res->ntries - kept + i) % RESULTS_TRIES_MAX];
}

void results_scheduled(struct results *r, struct result *res, double due)
{
	results_set(r, res, RESULT_SCHEDULED);
	res->due = due;
}

/* Unlinks res from the key table.  Out of line: most records have no
 * key, and the hash's loop would cost every drop registers saved. */
__attribute__((cold, noinline)) static void results_unchain_key(struct results *r,
                                                                struct result *res)
{
	results_unchain(&r->keys[results_hash_key(res->key, strlen(res->key)) & r->mask], res,
	                true);
}

/* Forgets the oldest ended record. */
static void results_drop_oldest(struct results *r)
{
	struct result *res = r->ended_first;

	if (r->output_from == res)
		r->output_from = res->next;
	r->output_bytes -= res->output_len;
	/* The head of the ended list: no previous one to relink. */
	r->ended_first = res->next;
	if (res->next != NULL)
		res->next->prev = NULL;
	else
		r->ended_last = NULL;
	results_unchain(&r->ids[results_hash_id(res->id) & r->mask], res, false);
	if (res->key != NULL)
		results_unchain_key(r, res);
	r->nended--;
	r->count--;
	results_release(r, res);
}

void results_output(const struct results *r, struct result *res, const char *out, size_t len)
{
	if (len > r->output_max) { /* its last bytes, as the worker cut it */
		out += len - r->output_max;
		len = r->output_max;
	}
	free(res->output);
	res->output = len > 0 ? malloc(len) : NULL;
	res->blocks |= res->output != NULL;
	res->output_len = res->output != NULL ? (uint32_t)len : 0;
	if (res->output != NULL)
		memcpy(res->output, out, len);
}

/* Drops the output of the oldest ended jobs holding some while the ended
 * jobs hold more than output_max bytes of it.  Outputs go in end order,
 * so output_from only moves forward: O(1) per output dropped. */
static void results_output_trim(struct results *r)
{
	struct result *res = r->output_from != NULL ? r->output_from : r->ended_first;

	while (r->output_bytes > r->output_max && res != NULL) {
		if (res->output != NULL) {
			r->output_bytes -= res->output_len;
			free(res->output);
			res->output = NULL;
			res->output_len = 0;
			res->output_dropped = true;
		}
		res = res->next;
	}
	r->output_from = res != NULL ? res : r->ended_last;
}

/* results_expire, inlined where a job ends (no call, no saved registers
 * once a job). */
static inline __attribute__((always_inline)) void results_bound(struct results *r, double now)
{
	while (r->nended > r->keep)
		results_drop_oldest(r);
	while (r->max_age > 0 && r->ended_first != NULL && now - r->ended_first->ended > r->max_age)
		results_drop_oldest(r);
}

void results_ended(struct results *r, struct result *res, enum result_state st, const char *reason,
                   size_t len, double now)
{
	if (len > RESULTS_TEXT_MAX)
		len = RESULTS_TEXT_MAX;
	results_set(r, res, st);
	res->ended = now;
	if (len > 0) {
		res->reason = strndup(reason, len);
		res->blocks = true;
	}
	results_list_remove(&r->live_first, &r->live_last, res);
	results_list_append(&r->ended_first, &r->ended_last, res);
	r->nended++;
	r->output_bytes += res->output_len;
	results_bound(r, now);
	if (r->output_bytes > r->output_max) /* else output_from stays a valid start */
		results_output_trim(r);
}

void results_expire(struct results *r, double now)
{
	results_bound(r, now);
}

struct result *results_find(const struct results *r, uint64_t id)
{
	struct result *res;

	if (r->ids == NULL)
		return NULL;
	for (res = r->ids[results_hash_id(id) & r->mask]; res != NULL; res = res->hnext)
		if (res->id == id)
			return res;
	return NULL;
}

struct result *results_find_key(const struct results *r, const char *key, size_t len)
{
	struct result *res, *best = NULL;

	if (r->keys == NULL)
		return NULL;
	for (res = r->keys[results_hash_key(key, len) & r->mask]; res != NULL; res = res->knext)
		if (strlen(res->key) == len && memcmp(res->key, key, len) == 0 &&
		    (best == NULL || res->id > best->id))
			best = res;
	return best;
}

void results_free(struct results *r)
{
	struct result *res, *next;
	struct result *lists[3] = {r->live_first, r->ended_first, r->spare};
	int i;

	for (i = 0; i < 3; i++)
		for (res = lists[i]; res != NULL; res = next) {
			next = res->next;
			free(res->reason);
			free(res->output);
			free(res->tries);
			if (res->slab != NULL)
				slab_put(res->slab);
			else
				free(res);
		}
	slab_clear(&r->slab);
	free(r->ids);
	free(r->keys);
	memset(r, 0, sizeof(*r));
}
