/*
 * params.c - the parameters of a persistent index (dp_index_params):
 * defaults and the banding of a new index, range checks, matching the
 * asked parameters against the stored ones, and the on-disk parameter
 * record, JSON text in the meta table under "params":
 *
 *   {"format":1,"norm_version":1,"shingle_k":5,"perms":128,
 *    "threshold":0.8,"bands":18,"rows":7,"store_text":false,
 *    "shingle_sets":true,"minhash":"kperm",
 *    "minhash_seed":"646f7070656c4d48","lsh_seed":"646f7070656c4c53"}
 *
 * The fields from shingle_k to shingle_sets are written by the same code
 * as dp_index_params_json() (src/report/index_json.c). Another format,
 * norm_version or hash family is a mismatch ("rebuild the index"), not
 * corruption.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/util.h"
#include "index/index_int.h"
#include "report/report.h"

/* The record keeps reals exactly (17 significant digits). */
#define RECORD_FLAGS                                                           \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

void dp_index_params_init(dp_index_params *p)
{
    memset(p, 0, sizeof *p);
}

void dp_index_params_get(const dp_index *ix, dp_index_params *out)
{
    assert(ix && out);
    *out = ix->p;
}

dp_status dpi_index_params_check(const dp_index_params *p, dp_error *err)
{
    if (p->shingle_k > 64 || p->perms > DP_MINHASH_MAX_PERMS ||
        !(p->threshold >= 0.0 && p->threshold <= 1.0) ||
        p->bands > DP_LSH_MAX_BANDS ||
        (p->flags & ~(unsigned)(DP_INDEX_STORE_TEXT | DP_INDEX_NO_SETS)))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "index parameter out of range");
    if ((p->bands == 0) != (p->rows == 0))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "bands and rows go together");
    if (p->bands && (uint64_t)p->bands * p->rows >
                        (p->perms ? p->perms : DP_MINHASH_DEFAULT_PERMS))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "bands * rows (%u * %u) exceeds the permutations",
                             p->bands, p->rows);
    return DP_OK;
}

dp_status dpi_index_params_complete(dp_index_params *p, dp_error *err)
{
    dp_lsh_params l;
    dp_status rc;
    if (!p->shingle_k)
        p->shingle_k = 5;
    if (!p->perms)
        p->perms = DP_MINHASH_DEFAULT_PERMS;
    if (!(p->threshold > 0.0))
        p->threshold = 0.8;
    if (p->bands)
        rc = dpi_lsh_params_set(p->bands, p->rows, p->perms, &l);
    else
        rc = dpi_lsh_params_recall_first(p->threshold, p->perms, &l);
    if (rc)
        return dpi_error_set(err, rc, (size_t)-1,
                             "no LSH banding for threshold %g and %u "
                             "permutations",
                             p->threshold, p->perms);
    p->bands = l.bands;
    p->rows = l.rows;
    p->norm_version = DP_NORM_VERSION;
    return DP_OK;
}

dp_status dpi_index_params_match(const dp_index_params *have,
                                 const dp_index_params *want, dp_error *err)
{
    if (!want)
        return DP_OK;
    if (want->shingle_k && want->shingle_k != have->shingle_k)
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index built with shingle size %u, not %u",
                             have->shingle_k, want->shingle_k);
    if (want->perms && want->perms != have->perms)
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index built with %u permutations, not %u",
                             have->perms, want->perms);
    if (want->threshold > 0 && fabs(want->threshold - have->threshold) > 1e-12)
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index built with threshold %g, not %g",
                             have->threshold, want->threshold);
    if (want->bands && (want->bands != have->bands || want->rows != have->rows))
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index built with %u bands x %u rows, not "
                             "%u x %u",
                             have->bands, have->rows, want->bands, want->rows);
    return DP_OK;
}

/* The hash family's seeds as the record writes them. */
static void seed_text(char seed[2][24])
{
    snprintf(seed[0], sizeof seed[0], "%016llx",
             (unsigned long long)DP_MINHASH_DEFAULT_SEED);
    snprintf(seed[1], sizeof seed[1], "%016llx",
             (unsigned long long)DP_LSH_DEFAULT_SEED);
}

/* ------------------------------------------------------------------ */
/* Encoding                                                           */
/* ------------------------------------------------------------------ */

dp_status dpi_index_params_encode(const dp_index_params *p, char **out)
{
    char seed[2][24];
    json_t *o;
    int bad;

    assert(p && out);
    *out = NULL;
    if (!(o = json_object()))
        return DP_ENOMEM;
    seed_text(seed);
    bad = dpi_report_put(o, "format", json_integer(DPI_INDEX_FORMAT));
    bad |= dpi_report_put(o, "norm_version", json_integer(p->norm_version));
    bad |= dpi_report_index_params_fields(o, p) != DP_OK;
    bad |= dpi_report_put(o, "minhash", json_string("kperm"));
    bad |= dpi_report_put(o, "minhash_seed", json_string(seed[0]));
    bad |= dpi_report_put(o, "lsh_seed", json_string(seed[1]));
    if (!bad)
        *out = json_dumps(o, RECORD_FLAGS);
    json_decref(o);
    return *out ? DP_OK : DP_ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                           */
/* ------------------------------------------------------------------ */

/* An integer field in 0..@max. @return DP_OK or DP_ECORRUPT. */
static dp_status json_uint(json_t *o, const char *k, unsigned max,
                           unsigned *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (json_int_t)max)
        return DP_ECORRUPT;
    *out = (unsigned)json_integer_value(v);
    return DP_OK;
}

/* format and norm_version: the ones this library reads. */
static dp_status decode_version(json_t *o, dp_index_params *p, dp_error *err)
{
    unsigned fmt = 0, nv = 0;
    if (json_uint(o, "format", 1000000, &fmt) ||
        json_uint(o, "norm_version", 1000000, &nv))
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "index parameters lack format/norm_version");
    if (fmt != DPI_INDEX_FORMAT)
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index format %u, this library reads format %d",
                             fmt, DPI_INDEX_FORMAT);
    if (nv != DP_NORM_VERSION)
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index built with normalisation version %u, this "
                             "library has %d: rebuild the index",
                             nv, DP_NORM_VERSION);
    p->norm_version = nv;
    return DP_OK;
}

/* The parameters proper, each in range and consistent. */
static dp_status decode_fields(json_t *o, dp_index_params *p, dp_error *err)
{
    json_t *v = json_object_get(o, "threshold");
    if (json_uint(o, "shingle_k", 64, &p->shingle_k) || !p->shingle_k ||
        json_uint(o, "perms", DP_MINHASH_MAX_PERMS, &p->perms) || !p->perms ||
        json_uint(o, "bands", DP_LSH_MAX_BANDS, &p->bands) || !p->bands ||
        json_uint(o, "rows", DP_MINHASH_MAX_PERMS, &p->rows) || !p->rows ||
        (uint64_t)p->bands * p->rows > p->perms || !json_is_number(v) ||
        !(json_number_value(v) > 0 && json_number_value(v) <= 1) ||
        !json_is_boolean(json_object_get(o, "store_text")) ||
        !json_is_boolean(json_object_get(o, "shingle_sets")))
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "index parameters malformed");
    p->threshold = json_number_value(v);
    if (json_is_true(json_object_get(o, "store_text")))
        p->flags |= DP_INDEX_STORE_TEXT;
    if (json_is_false(json_object_get(o, "shingle_sets")))
        p->flags |= DP_INDEX_NO_SETS;
    return DP_OK;
}

/* Whether string field @k of @o is @want. */
static int string_is(json_t *o, const char *k, const char *want)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* The MinHash family and the seeds: this library's. */
static dp_status decode_family(json_t *o, dp_error *err)
{
    char seed[2][24];
    seed_text(seed);
    if (!string_is(o, "minhash", "kperm") ||
        !string_is(o, "minhash_seed", seed[0]) ||
        !string_is(o, "lsh_seed", seed[1]))
        return dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                             "index built with another MinHash/LSH hash "
                             "family");
    return DP_OK;
}

dp_status dpi_index_params_decode(const char *s, size_t len, dp_index_params *p,
                                  dp_error *err)
{
    json_error_t jerr;
    json_t *o = json_loadb(s, len, 0, &jerr);
    dp_status st;

    memset(p, 0, sizeof *p);
    /* (jansson 2.14 names only some of its allocation failures) */
    if (!o && json_error_code(&jerr) == json_error_out_of_memory)
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1,
                             "reading the index parameters: out of memory");
    if (!json_is_object(o)) {
        json_decref(o);
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "index parameters are not JSON");
    }
    if (!(st = decode_version(o, p, err)) && !(st = decode_fields(o, p, err)))
        st = decode_family(o, err);
    json_decref(o);
    return st;
}
