/* Latency histograms (loadgen.h: hist): log-linear buckets over
 * nanoseconds, exact below 256 ns, then 128 buckets per power of two (under
 * 0.8% error), so that adding a sample costs a few instructions and no
 * allocation, whatever the number of samples. */
#include "loadgen.h"

#include <math.h>

static unsigned h_index(uint64_t v)
{
    if (v < 256)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 8..63 */
    uint64_t m = v >> (e - 7);                       /* 128..255 */
    return 256u + (e - 8u) * 128u + (unsigned)(m - 128u);
}

static uint64_t h_value(unsigned i) /* the middle of bucket i */
{
    if (i < 256)
        return i;
    unsigned k = i - 256u, e = k / 128u + 8u;
    uint64_t m = k % 128u + 128u;
    uint64_t lo = m << (e - 7), hi = ((m + 1) << (e - 7)) - 1;
    return lo + (hi - lo) / 2;
}

void h_add(hist *h, uint64_t v)
{
    h->c[h_index(v)]++;
    h->n++;
    if (v > h->max)
        h->max = v;
}

uint64_t h_pct(const hist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), acc = 0;
    if (want < 1)
        want = 1;
    for (unsigned i = 0; i < H_N; i++) {
        acc += h->c[i];
        if (acc >= want) {
            uint64_t v = h_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}
