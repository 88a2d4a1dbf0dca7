/*
 * shingle.c - k-word shingle hashes over a document's tokens.
 *
 * A shingle is k consecutive tokens; its hash is XXH3-64 over the k token
 * hashes (XXH3 of each normalised token) laid out flat as little-endian
 * uint64 values. Since token hashes come from normalised text, two texts
 * that differ only in case, quote style, dashes or Unicode form give the
 * same shingles. dpi_shingle_hash() is the flat-array core; dp_doc_shingles()
 * is the public wrapper over a dp_doc.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/util.h"
#include "sketch/shingle.h"
#include "text/doc.h"

void dpi_shingle_hash(const uint64_t *hashes, size_t n, unsigned k,
                      uint64_t *out)
{
    size_t i, m = dpi_shingle_count(n, k);

    assert(k >= 1);
    assert(hashes || m == 0);
    assert(out || m == 0);
    if (XXH_CPU_LITTLE_ENDIAN) {
        for (i = 0; i < m; i++)
            out[i] = XXH3_64bits(hashes + i, (size_t)k * sizeof *hashes);
    } else {
        /* Hash the little-endian bytes so values match across platforms. */
        for (i = 0; i < m; i++) {
            XXH3_state_t st;
            unsigned j;
            XXH3_64bits_reset(&st);
            for (j = 0; j < k; j++) {
                uint64_t v = XXH_swap64(hashes[i + j]);
                XXH3_64bits_update(&st, &v, sizeof v);
            }
            out[i] = XXH3_64bits_digest(&st);
        }
    }
}

dp_status dp_doc_shingles(const dp_doc *doc, unsigned k, uint64_t **out,
                          size_t *n)
{
    uint64_t *h, *res;
    size_t m, i;

    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!doc || !out || !n || k == 0)
        return DP_EINVAL;
    m = dpi_shingle_count(doc->ntoks, k);
    if (m == 0)
        return DP_OK;
    h = malloc(doc->ntoks * sizeof *h);
    res = malloc(m * sizeof *res);
    if (!h || !res) {
        free(h);
        free(res);
        return DP_ENOMEM;
    }
    for (i = 0; i < doc->ntoks; i++)
        h[i] = doc->toks[i].hash;
    dpi_shingle_hash(h, doc->ntoks, k, res);
    free(h);
    *out = res;
    *n = m;
    return DP_OK;
}
