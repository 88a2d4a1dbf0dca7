/*
 * sort.c - the library's sorts (sort.h): LSD radix sorts on 64-bit keys.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"
#include "core/util.h"

/* ---------------------------------------------------------------------
 * Arrays of keys or of key + payload records: stable LSD radix sort; 8-bit
 * digits, or 11-bit digits for large arrays (6 passes instead of 8, counts
 * still in L1); passes where every key has the same digit are skipped;
 * insertion sort for short arrays.
 * ------------------------------------------------------------------- */

#define RADIX_SMALL 32                /* insertion sort up to this length */
#define RADIX_WIDE  ((size_t)1 << 16) /* 11-bit digits from this length */

#define KEY_OF_U64(x) (x)
#define KEY_OF_KV(x)  ((x).key)

#define DEFINE_RADIX(name, type, KEY)                                          \
    static dp_status name(type *a, size_t n)                                   \
    {                                                                          \
        type *tmp, *src = a, *dst;                                             \
        size_t *count, ndig, i;                                                \
        unsigned shift, bits;                                                  \
        if (n <= RADIX_SMALL) {                                                \
            for (i = 1; i < n; i++) {                                          \
                type x = a[i];                                                 \
                size_t j = i;                                                  \
                while (j > 0 && KEY(a[j - 1]) > KEY(x)) {                      \
                    a[j] = a[j - 1];                                           \
                    j--;                                                       \
                }                                                              \
                a[j] = x;                                                      \
            }                                                                  \
            return DP_OK;                                                      \
        }                                                                      \
        bits = n >= RADIX_WIDE ? 11 : 8;                                       \
        ndig = (size_t)1 << bits;                                              \
        tmp = malloc(n * sizeof *tmp);                                         \
        count = malloc(ndig * sizeof *count);                                  \
        if (!tmp || !count) {                                                  \
            free(tmp);                                                         \
            free(count);                                                       \
            return DP_ENOMEM;                                                  \
        }                                                                      \
        dst = tmp;                                                             \
        for (shift = 0; shift < 64; shift += bits) {                           \
            size_t sum = 0, mask = ndig - 1;                                   \
            memset(count, 0, ndig * sizeof *count);                            \
            for (i = 0; i < n; i++)                                            \
                count[(KEY(src[i]) >> shift) & mask]++;                        \
            if (count[(KEY(src[0]) >> shift) & mask] == n)                     \
                continue; /* one digit everywhere: order unchanged */          \
            for (i = 0; i < ndig; i++) {                                       \
                size_t c = count[i];                                           \
                count[i] = sum;                                                \
                sum += c;                                                      \
            }                                                                  \
            for (i = 0; i < n; i++)                                            \
                dst[count[(KEY(src[i]) >> shift) & mask]++] = src[i];          \
            {                                                                  \
                type *t = src;                                                 \
                src = dst;                                                     \
                dst = t;                                                       \
            }                                                                  \
        }                                                                      \
        if (src != a)                                                          \
            memcpy(a, src, n * sizeof *a);                                     \
        free(tmp);                                                             \
        free(count);                                                           \
        return DP_OK;                                                          \
    }

DEFINE_RADIX(radix_u64, uint64_t, KEY_OF_U64)
DEFINE_RADIX(radix_kv, dp_kv, KEY_OF_KV)

dp_status dpi_sort_u64(uint64_t *a, size_t n)
{
    assert(a || n == 0);
    return radix_u64(a, n);
}

dp_status dpi_sort_kv(dp_kv *a, size_t n)
{
    assert(a || n == 0);
    return radix_kv(a, n);
}

/* ---------------------------------------------------------------------
 * Key and document columns (the LSH bucket table)
 * ------------------------------------------------------------------- */

/* The (key, doc) columns sort of sort.h: one byte per pass, of @n records
 * key[i] (with doc[i] carried along when @doc is non-NULL). With @by_doc the
 * records are ordered by (key, doc), otherwise by key alone (stable). Passes
 * whose byte is the same in every record are skipped. @tk and @td are scratch
 * of @n entries (@td unused without @doc). The result is back in key/doc.
 */
void dpi_sort_keys(uint64_t *key, uint32_t *doc, size_t n, int by_doc,
                   uint64_t *tk, uint32_t *td)
{
    enum { DIGITS = 12 };     /* 4 doc bytes, then 8 key bytes */
    size_t hist[DIGITS][256]; /* counts, then start offsets */
    uint64_t *sk = key, *dk = tk, *swk;
    uint32_t *sd = doc, *dd = td, *swd;
    size_t i;
    int d, x;

    assert(!by_doc || doc);
    if (n < 2)
        return;
    memset(hist, 0, sizeof hist);
    for (i = 0; i < n; i++) {
        for (d = 0; d < 8; d++)
            hist[4 + d][(key[i] >> (8 * d)) & 0xff]++;
        if (by_doc)
            for (d = 0; d < 4; d++)
                hist[d][(doc[i] >> (8 * d)) & 0xff]++;
    }
    for (d = by_doc ? 0 : 4; d < DIGITS; d++) {
        size_t sum = 0, c;
        int skip = 0;
        for (x = 0; x < 256; x++) {
            skip |= hist[d][x] == n;
            c = hist[d][x];
            hist[d][x] = sum;
            sum += c;
        }
        if (skip) /* every record has the same byte here */
            continue;
        for (i = 0; i < n; i++) {
            unsigned byte = d < 4 ? (sd[i] >> (8 * d)) & 0xffu
                                  : (unsigned)(sk[i] >> (8 * (d - 4))) & 0xffu;
            size_t to = hist[d][byte]++;
            dk[to] = sk[i];
            if (doc)
                dd[to] = sd[i];
        }
        swk = sk, sk = dk, dk = swk;
        swd = sd, sd = dd, dd = swd;
    }
    if (sk != key) {
        memcpy(key, sk, n * sizeof *key);
        if (doc)
            memcpy(doc, sd, n * sizeof *doc);
    }
}
