/*
 * Latency histograms: log-linear buckets (32 per power of two, from 1
 * microsecond to about 18 hours), so adding a sample is O(1) with no
 * allocation and a quantile is read to within 3.2% (near 100 us, buckets
 * 2 us wide, so a target of 100 us is not decided by one bucket edge).  Pure code: no libev,
 * no master state, so it is tested alone.
 */
#ifndef POOLD_LATENCY_H
#define POOLD_LATENCY_H

#include <stdint.h>

#define LATENCY_SUB_BITS 5
#define LATENCY_SUB      (1u << LATENCY_SUB_BITS)
#define LATENCY_POWERS   36
#define LATENCY_BUCKETS  (LATENCY_SUB * LATENCY_POWERS + 1)

struct latency {
	uint64_t count;  /* samples, but for the pending ones */
	double sum;      /* seconds */
	double max;      /* seconds */
	double last;     /* the last sample (seconds) and its bucket: jobs of a */
	unsigned last_i; /* batch often share one (zeroed: 0 s, bucket 0) */
	uint64_t pend;   /* samples equal to last not yet in count and bucket[last_i] */
	uint64_t bucket[LATENCY_BUCKETS];
};

/* Bucket of a sample (latency.c has the layout); inline, since a sample
 * is added for every job. */
static inline unsigned latency_index(double seconds)
{
	uint64_t us;
	unsigned e, s;

	if (seconds < 1e-6)
		return 0;
	if (seconds >= 1e-6 * (double)(1ULL << LATENCY_POWERS))
		return LATENCY_BUCKETS - 1;
	us = (uint64_t)(seconds * 1e6);
	e = 63u - (unsigned)__builtin_clzll(us);
	s = (unsigned)(e >= LATENCY_SUB_BITS ? us >> (e - LATENCY_SUB_BITS)
	                                     : us << (LATENCY_SUB_BITS - e)) &
	    (LATENCY_SUB - 1);
	return 1 + e * LATENCY_SUB + s;
}

/* A sample other than the last one: the pending ones are counted, and it
 * becomes the last (pending, its bucket worked out). */
static inline void latency_new(struct latency *l, double seconds)
{
	l->bucket[l->last_i] += l->pend;
	l->count += l->pend;
	l->pend = 1;
	l->last = seconds;
	l->last_i = latency_index(seconds);
	if (seconds > l->max)
		l->max = seconds;
}

/* Adds one sample of `seconds` (negative counts as 0).  The jobs of one
 * read or one dispatch pass share their times, so a sample is often the
 * one before: it is only counted as pending, its bucket and the count
 * get the run of equal samples at once (at the next other sample, or
 * when read: latency_count, latency_bucket).  The sum adds every sample
 * in turn, exactly as before. */
static inline void latency_add(struct latency *l, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	l->sum += seconds;
	if (seconds == l->last)
		l->pend++;
	else
		latency_new(l, seconds);
}

/* Samples added, and those in bucket i, pending ones included. */
static inline uint64_t latency_count(const struct latency *l)
{
	return l->count + l->pend;
}

static inline uint64_t latency_bucket(const struct latency *l, unsigned i)
{
	return l->bucket[i] + (i == l->last_i ? l->pend : 0);
}

/*
 * The q-quantile (0 < q <= 1) in seconds: the upper bound of the bucket
 * holding it, capped at the largest sample seen; 0 when empty.
 */
double latency_quantile(const struct latency *l, double q);

#endif
