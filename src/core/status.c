/*
 * status.c - status codes, the version string, error details, and the
 * growable-array helper every module uses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

const char *dp_strerror(dp_status code)
{
    switch (code) {
    case DP_OK: return "success";
    case DP_ENOMEM: return "out of memory";
    case DP_EINVAL: return "invalid argument";
    case DP_EIO: return "input/output error";
    case DP_EUTF8: return "invalid UTF-8";
    case DP_EBINARY: return "binary data (NUL bytes) in text input";
    case DP_EEMPTY: return "no words in input";
    case DP_ETOOBIG: return "input too large";
    case DP_EISDIR: return "is a directory";
    case DP_ENOENT: return "no such file";
    case DP_EACCES: return "permission denied";
    case DP_ESTEM: return "unsupported stemming language";
    case DP_EINTERNAL: return "internal error";
    case DP_EJSON: return "malformed JSON";
    case DP_EFIELD: return "missing or mistyped field";
    case DP_ECOMPRESS: return "corrupt compressed data";
    case DP_EOF: return "end of input";
    case DP_EMISMATCH: return "index parameters do not match";
    case DP_ENOTFOUND: return "no such document in the index";
    case DP_EEXIST: return "already exists";
    case DP_EFULL: return "index map size limit reached";
    case DP_EBUSY: return "index in use by another handle or process";
    case DP_ECORRUPT: return "corrupt or foreign index";
    }
    return "unknown error";
}

const char *dp_version(void)
{
    return DOPPEL_VERSION;
}

void dp_free(void *p)
{
    free(p);
}

dp_status dpi_error_vset(dp_error *err, dp_status code, size_t offset,
                         const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        err->offset = offset;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return code;
}

dp_status dpi_error_set(dp_error *err, dp_status code, size_t offset,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dpi_error_vset(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

dp_status dpi_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t ncap, bytes;
    void *np;

    if (need <= *cap)
        return DP_OK;
    if (need > DP_VEC_MAX_ELEMS)
        return DP_ETOOBIG;
    ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    if (ncap > DP_VEC_MAX_ELEMS)
        ncap = DP_VEC_MAX_ELEMS;
    if (dpi_mul_overflow(ncap, elem, &bytes))
        return DP_ETOOBIG;
    np = realloc(*p, bytes);
    if (!np)
        return DP_ENOMEM;
    *p = np;
    *cap = ncap;
    return DP_OK;
}

dp_status dpi_status_of_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return DP_ENOENT;
    case EACCES:
    case EPERM:
    case EROFS: return DP_EACCES;
    case EISDIR: return DP_EISDIR;
    case ENOMEM: return DP_ENOMEM;
    default: return DP_EIO;
    }
}

size_t dpi_set_intersect(const uint64_t *a, size_t na, const uint64_t *b,
                         size_t nb)
{
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else
            n++, i++, j++;
    }
    return n;
}

double dpi_set_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
                       size_t nb)
{
    size_t inter = dpi_set_intersect(a, na, b, nb);
    size_t uni = na + nb - inter;
    return uni ? (double)inter / (double)uni : 1.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t dpi_sort_unique_u64(uint64_t *v, size_t n)
{
    size_t i, k = 0;
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u64);
    for (i = 0; i < n; i++)
        if (k == 0 || v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}
