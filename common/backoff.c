/*
 * Retry back-off (issue 14): exponential, bounded, with jitter.  Attempt
 * n (1 for the first retry) waits d = min(cap, base * 2^(n-1)), then a
 * random point of [d/2, d] ("equal jitter"): never less than half the
 * exponential step, so retries do not come back at once, and spread so
 * that jobs that failed together do not retry together.  The random
 * numbers are splitmix64 from a seed the caller keeps (printed by tests).
 */
#include "backoff.h"

uint64_t backoff_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double backoff_delay(unsigned attempt, double base, double cap, uint64_t *state)
{
	double d = base, u;
	unsigned i;

	for (i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	u = (double)(backoff_rand(state) >> 11) / 9007199254740992.0; /* [0, 1) */
	return d / 2 + u * (d / 2);
}
