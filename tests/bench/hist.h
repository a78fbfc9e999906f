/* Log-linear latency histogram: 64 linear steps per power of two, so any
 * value is recorded within 1/64 (1.6 %) of itself with no allocation. */
#ifndef TANDEM_BENCH_HIST_H
#define TANDEM_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Values are clamped to 2^40 ns (about 18 minutes). */
#define HIST_MAX_BIT 40
#define HIST_BUCKETS ((HIST_MAX_BIT - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_add(struct hist *h, uint64_t value);
void hist_merge(struct hist *into, const struct hist *from);
/* The value below which a fraction q (0..1) of the samples lie, as the
 * middle of its bucket; 0 when the histogram is empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif
