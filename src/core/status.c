/*
 * status.c - status codes, the version string, error details, and the
 * growable-array helper every module uses.
 */
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

dp_status dpi_error_set(dp_error *err, dp_status code, size_t offset,
                       const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
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
