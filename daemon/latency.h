/*
 * Latency histograms: log-linear buckets (8 per power of two, from 1
 * microsecond to about 18 hours), so adding a sample is O(1) with no
 * allocation and a quantile is read to within 9%.  Pure code: no libev,
 * no master state, so it is tested alone.
 */
#ifndef POOLD_LATENCY_H
#define POOLD_LATENCY_H

#include <stdint.h>

#define LATENCY_SUB     8
#define LATENCY_POWERS  36
#define LATENCY_BUCKETS (LATENCY_SUB * LATENCY_POWERS + 1)

struct latency {
	uint64_t count;
	double sum; /* seconds */
	double max; /* seconds */
	uint64_t bucket[LATENCY_BUCKETS];
};

/* Adds one sample of `seconds` (negative counts as 0). */
void latency_add(struct latency *l, double seconds);

/*
 * The q-quantile (0 < q <= 1) in seconds: the upper bound of the bucket
 * holding it, capped at the largest sample seen; 0 when empty.
 */
double latency_quantile(const struct latency *l, double q);

#endif
