/*
 * shingle.h - k-word shingles: one 64-bit hash per window of k tokens.
 *
 * The fast path works on a flat array of token hashes (dp_tok.hash) so
 * dedup and alignment can reuse it on their own buffers.
 */
#ifndef DP_SKETCH_SHINGLE_H
#define DP_SKETCH_SHINGLE_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* Number of k-shingles over @n tokens: n - k + 1, or 0 when n < k. */
static inline size_t dpi_shingle_count(size_t n, unsigned k)
{
    return (k == 0 || n < k) ? 0 : n - k + 1;
}

/*
 * dpi_shingle_hash - out[i] = XXH3-64 of hashes[i .. i+k) laid out flat as
 * k little-endian uint64 values, for every i < dpi_shingle_count(n, k).
 * @out must hold that many values. Equal token-hash windows give equal
 * shingles on every platform. Cannot fail; k >= 1 asserted.
 */
void dpi_shingle_hash(const uint64_t *hashes, size_t n, unsigned k,
                      uint64_t *out);

#endif /* DP_SKETCH_SHINGLE_H */
