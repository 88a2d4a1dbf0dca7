/*
 * sort.h - the library's sorts: stable LSD radix sorts on 64-bit keys.
 *
 * Two shapes of data, one technique: arrays of keys or of (key, payload)
 * records (the story module's term lists, the LSH pair lists), and the
 * separate key and document columns of the LSH bucket table. Every pass
 * counts one digit, turns counts into offsets and scatters; a pass whose
 * digit is the same for every element is skipped, so small key ranges
 * cost fewer passes. O(n) per pass, at most 8 passes (6 with 11-bit
 * digits for large arrays); short arrays use insertion sort.
 */
#ifndef DP_CORE_SORT_H
#define DP_CORE_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* A 64-bit key with a payload, for sorting. */
typedef struct dp_kv {
    uint64_t key;
    uint64_t val;
} dp_kv;

/* dpi_sort_u64 / dpi_sort_kv - sort by key ascending, stable. Allocate
 * scratch of n elements. @return DP_OK or DP_ENOMEM (the array is then
 * unchanged). */
dp_status dpi_sort_u64(uint64_t *a, size_t n);
dp_status dpi_sort_kv(dp_kv *a, size_t n);

/*
 * dpi_sort_keys - sort the @n records (key[i], doc[i]) (doc may be NULL:
 * keys alone), by (key, doc) with @by_doc, else by key alone (stable),
 * one byte per pass. @tk and @td are caller scratch of @n entries (@td
 * unused without @doc). The result is back in key/doc. Cannot fail.
 */
void dpi_sort_keys(uint64_t *key, uint32_t *doc, size_t n, int by_doc,
                   uint64_t *tk, uint32_t *td);

#endif /* DP_CORE_SORT_H */
