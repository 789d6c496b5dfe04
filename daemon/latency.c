/*
 * Log-linear latency histograms (see latency.h).  Bucket 0 holds samples
 * under 1 us; above that, with S = LATENCY_SUB (32), bucket 1 + S*e + s
 * holds [2^e * (1 + s/S), 2^e * (1 + (s+1)/S)) microseconds (below 2^5 us,
 * where a microsecond is finer than that, some buckets stay empty).
 * Integer arithmetic only (no libm), since a sample is added for every job.
 */
#include "latency.h"

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

double latency_quantile(const struct latency *l, double q)
{
	double exact = q * (double)latency_count(l), up;
	uint64_t want = (uint64_t)exact, seen = 0;
	unsigned i;

	if (latency_count(l) == 0)
		return 0;
	if ((double)want < exact || want == 0)
		want++;
	for (i = 0; i < LATENCY_BUCKETS - 1; i++) {
		seen += latency_bucket(l, i);
		if (seen >= want)
			break;
	}
	up = latency_upper(i);
	return up < l->max ? up : l->max;
}
