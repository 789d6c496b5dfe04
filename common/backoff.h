/* Retry back-off: exponential, bounded, with jitter (backoff.c). */
#ifndef POOLD_BACKOFF_H
#define POOLD_BACKOFF_H

#include <stdint.h>

/* The next splitmix64 number of *state. */
uint64_t backoff_rand(uint64_t *state);

/* Seconds before retry number `attempt` (1 = the first): a random point
 * of [d/2, d] with d = min(cap, base * 2^(attempt-1)). */
double backoff_delay(unsigned attempt, double base, double cap, uint64_t *state);

#endif
