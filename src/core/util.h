/*
 * util.h - small internal helpers shared by every module: checked size
 * arithmetic, growable arrays with a hard cap, and error-detail filling.
 *
 * Nothing here is exported. Functions are static inline where they are
 * tiny; the rest live in status.c.
 */
#ifndef DP_CORE_UTIL_H
#define DP_CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "doppel.h"

#define DP_UNUSED(x) ((void)(x))
#define DP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hard cap for any growable array: 2^31 elements. Input cannot grow a
 * buffer past it; the push fails with DP_ETOOBIG instead. */
#define DP_VEC_MAX_ELEMS ((size_t)1 << 31)

/*
 * dpi_grow - make room for at least @need elements of @elem bytes in the
 * array *@p whose capacity is *@cap (elements). Doubles the capacity.
 * @return DP_OK, DP_ETOOBIG (past DP_VEC_MAX_ELEMS or size overflow) or
 *         DP_ENOMEM; on failure *@p and *@cap are unchanged.
 */
dp_status dpi_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Grow typed array `arr` (with size_t fields len/cap named by the caller). */
#define DP_RESERVE(arr, cap, need)                                             \
    dpi_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/*
 * dpi_error_set - fill @err (if non-NULL) with @code, @offset and a printf
 * formatted message. Returns @code so callers can `return dpi_error_set(..)`.
 */
dp_status dpi_error_set(dp_error *err, dp_status code, size_t offset,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* dpi_error_vset - dpi_error_set() with a va_list. */
dp_status dpi_error_vset(dp_error *err, dp_status code, size_t offset,
                         const char *fmt, va_list ap);

/*
 * dpi_status_of_errno - the status for an errno value from open(), read(),
 * stat() and friends: ENOENT/ENOTDIR -> DP_ENOENT, EACCES/EPERM/EROFS ->
 * DP_EACCES, EISDIR -> DP_EISDIR, ENOMEM -> DP_ENOMEM, anything else
 * DP_EIO. The one errno mapping of the library. Cannot fail.
 */
dp_status dpi_status_of_errno(int e);

/*
 * dpi_set_intersect - the size of the intersection of two sorted arrays
 * of distinct 64-bit values. O(na + nb). Cannot fail.
 */
size_t dpi_set_intersect(const uint64_t *a, size_t na, const uint64_t *b,
                         size_t nb);

/*
 * dpi_set_jaccard - |a & b| / |a | b| of two sorted arrays of distinct
 * values; 1.0 when both are empty. Cannot fail.
 */
double dpi_set_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
                       size_t nb);

/*
 * dpi_sort_unique_u64 - sort @v (@n values) ascending and drop repeats in
 * place; returns the number of distinct values. Cannot fail.
 */
size_t dpi_sort_unique_u64(uint64_t *v, size_t n);

/*
 * dpi_lower_bound_u64 - the first index i of sorted @a (@n values) with
 * a[i] >= @key, or @n. Binary search, O(log n). Cannot fail.
 */
static inline size_t dpi_lower_bound_u64(const uint64_t *a, size_t n,
                                         uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* dpi_sorted_has - whether sorted @a (@n values) holds @key. */
static inline int dpi_sorted_has(const uint64_t *a, size_t n, uint64_t key)
{
    size_t i = dpi_lower_bound_u64(a, n, key);
    return i < n && a[i] == key;
}

/* Checked multiplication: returns 0 and sets *out, or 1 on overflow. */
static inline int dpi_mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

#endif /* DP_CORE_UTIL_H */
