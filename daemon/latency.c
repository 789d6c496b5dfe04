/*
 * Log-linear latency histograms (see latency.h).  Bucket 0 holds samples
 * under 1 us; above that, bucket 1 + 8*e + s holds [2^e * (1 + s/8),
 * 2^e * (1 + (s+1)/8)) microseconds.  Integer arithmetic only (no libm),
 * since a sample is added for every job.
 */
#include "latency.h"

static unsigned latency_index(double seconds)
{
	uint64_t us;
	unsigned e, s;

	if (seconds < 1e-6)
		return 0;
	if (seconds >= 1e-6 * (double)(1ULL << LATENCY_POWERS))
		return LATENCY_BUCKETS - 1;
	us = (uint64_t)(seconds * 1e6);
	e = 63u - (unsigned)__builtin_clzll(us);
	s = (unsigned)(e >= 3 ? us >> (e - 3) : us << (3 - e)) & (LATENCY_SUB - 1);
	return 1 + e * LATENCY_SUB + s;
}

/* Upper bound, in seconds, of bucket i. */
static double latency_upper(unsigned i)
{
	unsigned e, s;

	if (i == 0)
		return 1e-6;
	e = (i - 1) / LATENCY_SUB;
	s = (i - 1) % LATENCY_SUB;
	return (double)(1ULL << e) * (1.0 + (double)(s + 1) / LATENCY_SUB) * 1e-6;
}

void latency_add(struct latency *l, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	l->bucket[latency_index(seconds)]++;
	l->count++;
	l->sum += seconds;
	if (seconds > l->max)
		l->max = seconds;
}

double latency_quantile(const struct latency *l, double q)
{
	double exact = q * (double)l->count, up;
	uint64_t want = (uint64_t)exact, seen = 0;
	unsigned i;

	if (l->count == 0)
		return 0;
	if ((double)want < exact || want == 0)
		want++;
	for (i = 0; i < LATENCY_BUCKETS - 1; i++) {
		seen += l->bucket[i];
		if (seen >= want)
			break;
	}
	up = latency_upper(i);
	return up < l->max ? up : l->max;
}
