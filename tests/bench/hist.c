#include "hist.h"

#include <math.h>

/* Below HIST_SUB a value is its own bucket; above, the top HIST_SUB_BITS
 * bits after the leading one pick a step within its power of two. */
static unsigned bucket_of(uint64_t v)
{
	unsigned msb;

	if (v >= (UINT64_C(1) << HIST_MAX_BIT))
		v = (UINT64_C(1) << HIST_MAX_BIT) - 1;
	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return (msb - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned)((v >> (msb - HIST_SUB_BITS)) - HIST_SUB);
}

static uint64_t bucket_low(unsigned i)
{
	unsigned group = i / HIST_SUB;

	if (group == 0)
		return i;
	return (uint64_t)(HIST_SUB + i % HIST_SUB) << (group - 1);
}

static uint64_t bucket_width(unsigned i)
{
	unsigned group = i / HIST_SUB;

	return group == 0 ? 1 : UINT64_C(1) << (group - 1);
}

void hist_add(struct hist *h, uint64_t value)
{
	h->bucket[bucket_of(value)]++;
	h->count++;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return bucket_low(i) + bucket_width(i) / 2;
	}
	return bucket_low(HIST_BUCKETS - 1);
}
