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
	uint64_t count;
	double sum;      /* seconds */
	double max;      /* seconds */
	double last;     /* the last sample (seconds) and its bucket: jobs of a */
	unsigned last_i; /* batch often share one (zeroed: 0 s, bucket 0) */
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

/* Adds one sample of `seconds` (negative counts as 0).  The jobs of one
 * read or one dispatch pass share their times, so a sample is often the
 * one before: its bucket is not worked out again. */
static inline void latency_add(struct latency *l, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds != l->last) {
		l->last = seconds;
		l->last_i = latency_index(seconds);
	}
	l->bucket[l->last_i]++;
	l->count++;
	l->sum += seconds;
	if (seconds > l->max)
		l->max = seconds;
}

/*
 * The q-quantile (0 < q <= 1) in seconds: the upper bound of the bucket
 * holding it, capped at the largest sample seen; 0 when empty.
 */
double latency_quantile(const struct latency *l, double q);

#endif
