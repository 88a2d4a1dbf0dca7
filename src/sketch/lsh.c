/*
 * lsh.c - LSH banding for MinHash signatures: parameter choice by weighted
 * false-positive / false-negative area, seeded band keys, and the batch
 * bucket table.
 *
 * The table keeps, per band, two flat arrays (64-bit key, 32-bit document
 * index) filled by inserts. Building sorts each band by (key, doc) with an
 * LSD radix sort, so every bucket becomes a run of equal keys whose members
 * are in ascending document order. Candidate pairs are read off the runs,
 * packed as (a << 32 | b) in one growing array that is sorted and stripped
 * of repeats whenever it doubles and once at the end: the result is every
 * pair exactly once, in (a, b) order, whatever the insertion order, with
 * memory proportional to the number of distinct pairs. No hash table of
 * vectors anywhere; the only per-document cost is 12 bytes per band.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/sort.h"
#include "core/util.h"
#include "sketch/lsh.h"

/* Intervals of the composite Simpson rule (even). With 512 intervals the
 * areas of every (b, r) with b*r <= 1024 are exact to about 1e-9, far
 * below the gaps between neighbouring choices. */
#define SIMPSON_N 512

/* Stream constant for per-band seeds. */
#define BAND_STREAM UINT64_C(0x9e3779b97f4a7c15)

/* One band's bucket arrays: key[i] and doc[i] belong together. */
typedef struct band {
    uint64_t *key; /* band keys, sorted after a build */
    uint32_t *doc; /* document indices, parallel to key */
} band;

struct dp_lsh_table {
    unsigned bands;    /* keys per document */
    size_t max_bucket; /* larger buckets emit a star of pairs */
    size_t n;          /* inserts so far (entries per band) */
    size_t cap;        /* capacity of every band array, in entries */
    band *b;           /* bands entries */
    uint32_t max_doc;  /* largest document index inserted */
    int doc_ordered;   /* no insert came below max_doc: a stable sort by
                          key alone then orders every bucket by doc */
    int built;         /* sorted since the last insert */
};

/* ---------------------------------------------------------------------
 * Parameter choice
 * ------------------------------------------------------------------- */

double dpi_lsh_candidate_prob(double s, unsigned bands, unsigned rows)
{
    if (!(s > 0.0))
        return 0.0;
    if (s >= 1.0)
        return 1.0;
    return 1.0 - pow(1.0 - pow(s, (double)rows), (double)bands);
}

double dpi_lsh_threshold(unsigned bands, unsigned rows)
{
    assert(bands >= 1 && rows >= 1);
    return pow(1.0 / bands, 1.0 / rows);
}

/* Composite Simpson sum of samples f[0..SIMPSON_N] spaced h apart. */
static double simpson(const double *f, double h)
{
    double odd = 0.0, even = 0.0;
    int k;

    for (k = 1; k < SIMPSON_N; k += 2)
        odd += f[k];
    for (k = 2; k < SIMPSON_N; k += 2)
        even += f[k];
    return h / 3.0 * (f[0] + f[SIMPSON_N] + 4.0 * odd + 2.0 * even);
}

/* The sample points lo + k*h, k = 0..SIMPSON_N; the last is exactly hi. */
static double grid(double lo, double hi, double *s)
{
    double h = (hi - lo) / SIMPSON_N;
    int k;

    for (k = 0; k < SIMPSON_N; k++)
        s[k] = lo + k * h;
    s[SIMPSON_N] = hi;
    return h;
}

double dpi_lsh_fp_area(double t, unsigned bands, unsigned rows)
{
    double s[SIMPSON_N + 1], f[SIMPSON_N + 1], h;
    int k;

    assert(bands >= 1 && rows >= 1);
    if (!(t > 0.0))
        return 0.0;
    if (t > 1.0)
        t = 1.0;
    h = grid(0.0, t, s);
    for (k = 0; k <= SIMPSON_N; k++)
        f[k] = dpi_lsh_candidate_prob(s[k], bands, rows);
    return simpson(f, h);
}

double dpi_lsh_fn_area(double t, unsigned bands, unsigned rows)
{
    double s[SIMPSON_N + 1], f[SIMPSON_N + 1], h;
    int k;

    assert(bands >= 1 && rows >= 1);
    if (!(t < 1.0))
        return 0.0;
    if (t < 0.0)
        t = 0.0;
    h = grid(t, 1.0, s);
    for (k = 0; k <= SIMPSON_N; k++)
        f[k] = 1.0 - dpi_lsh_candidate_prob(s[k], bands, rows);
    return simpson(f, h);
}

dp_status dpi_lsh_params_set(unsigned bands, unsigned rows, unsigned perms,
                             dp_lsh_params *out)
{
    if (!out || bands == 0 || rows == 0 || bands > DP_LSH_MAX_BANDS ||
        (uint64_t)bands * rows > perms)
        return DP_EINVAL;
    out->bands = bands;
    out->rows = rows;
    out->seed = DP_LSH_DEFAULT_SEED;
    return DP_OK;
}

/*
 * The search behind both choosers: over every (b, r) with b*r <= perms,
 * minimise fp_weight * FP(t) + fn_weight * FN(t), counting only the pairs
 * whose candidate probability at @s_min is at least @recall (pass recall 0
 * for no constraint). Rows run in the outer loop so that, at each sample
 * s, the miss probability (1 - s^r)^b is carried from b to b+1 by one
 * multiply instead of a pow() per (b, r, s): the whole search is a few
 * hundred thousand multiplies. The areas it compares are the same Simpson
 * sums dpi_lsh_fp_area() and dpi_lsh_fn_area() give (up to rounding).
 * Returns DP_EINVAL when no pair meets the constraint.
 */
static dp_status search(double t, unsigned perms, double fp_weight,
                        double fn_weight, double s_min, double recall,
                        dp_lsh_params *out)
{
    double s0[SIMPSON_N + 1], s1[SIMPSON_N + 1];
    double q0[SIMPSON_N + 1], q1[SIMPSON_N + 1];
    double m0[SIMPSON_N + 1], m1[SIMPSON_N + 1];
    double f0[SIMPSON_N + 1], f1[SIMPSON_N + 1];
    double h0, h1, best = HUGE_VAL;
    unsigned r, b, bb = 0, br = 0, maxb;
    int k;

    h0 = grid(0.0, t, s0);
    h1 = grid(t, 1.0, s1);
    for (r = 1; r <= perms; r++) {
        double qs = 1.0 - pow(s_min, (double)r), ms = 1.0;
        for (k = 0; k <= SIMPSON_N; k++) {
            q0[k] = 1.0 - pow(s0[k], (double)r); /* miss prob. of one band */
            q1[k] = 1.0 - pow(s1[k], (double)r);
            m0[k] = 1.0; /* miss prob. of b bands */
            m1[k] = 1.0;
        }
        maxb = DP_MIN(perms / r, DP_LSH_MAX_BANDS);
        for (b = 1; b <= maxb; b++) {
            double err;
            for (k = 0; k <= SIMPSON_N; k++) {
                m0[k] *= q0[k];
                m1[k] *= q1[k];
                f0[k] = 1.0 - m0[k]; /* P(candidate) below t */
                f1[k] = m1[k];       /* 1 - P(candidate) above t */
            }
            ms *= qs;
            if (1.0 - ms < recall)
                continue;
            err = fp_weight * simpson(f0, h0) + fn_weight * simpson(f1, h1);
            if (err < best ||
                (err == best && (b < bb || (b == bb && r < br)))) {
                best = err;
                bb = b;
                br = r;
            }
        }
    }
    if (bb == 0)
        return DP_EINVAL;
    out->bands = bb;
    out->rows = br;
    out->seed = DP_LSH_DEFAULT_SEED;
    return DP_OK;
}

dp_status dpi_lsh_params_choose(double threshold, unsigned perms,
                                double fp_weight, double fn_weight,
                                dp_lsh_params *out)
{
    double wsum;

    if (!out || perms == 0 || !(threshold > 0.0 && threshold < 1.0) ||
        !isfinite(fp_weight) || !isfinite(fn_weight) || fp_weight < 0.0 ||
        fn_weight < 0.0 || !(fp_weight + fn_weight > 0.0))
        return DP_EINVAL;
    wsum = fp_weight + fn_weight;
    /* recall 0: every (b, r) qualifies, and (1, 1) always exists. */
    return search(threshold, perms, fp_weight / wsum, fn_weight / wsum, 1.0,
                  0.0, out);
}

dp_status dpi_lsh_params_for_recall(double threshold, unsigned perms,
                                    double s_min, double recall,
                                    dp_lsh_params *out)
{
    if (!out || perms == 0 || !(threshold > 0.0 && threshold < 1.0) ||
        !(s_min > 0.0 && s_min <= 1.0) || !(recall > 0.0 && recall < 1.0))
        return DP_EINVAL;
    return search(threshold, perms, 1.0, 0.0, s_min, recall, out);
}

/* ---------------------------------------------------------------------
 * Band keys
 * ------------------------------------------------------------------- */

/* The seed of band @j: a splitmix64 step of (seed, j), so every band of
 * every seed hashes with its own XXH3 seed. */
static uint64_t band_seed(uint64_t seed, unsigned j)
{
    uint64_t z = seed + BAND_STREAM * ((uint64_t)j + 1);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void dpi_lsh_band_keys(const dp_lsh_params *p, const uint32_t *sig,
                       uint64_t *keys)
{
    unsigned j, i;
    size_t bytes;

    assert(p && sig && keys && p->bands >= 1 && p->rows >= 1);
    bytes = (size_t)p->rows * sizeof *sig;
    for (j = 0; j < p->bands; j++) {
        const uint32_t *v = sig + (size_t)j * p->rows;
        uint64_t seed = band_seed(p->seed, j);
        if (XXH_CPU_LITTLE_ENDIAN) {
            keys[j] = XXH3_64bits_withSeed(v, bytes, seed);
        } else {
            XXH3_state_t st;
            XXH3_64bits_reset_withSeed(&st, seed);
            for (i = 0; i < p->rows; i++) {
                uint32_t le = XXH_swap32(v[i]);
                XXH3_64bits_update(&st, &le, sizeof le);
            }
            keys[j] = XXH3_64bits_digest(&st);
        }
    }
}

unsigned dpi_lsh_bands_shared(const uint64_t *a, const uint64_t *b,
                              unsigned bands)
{
    unsigned j, same = 0;

    assert((a && b) || bands == 0);
    for (j = 0; j < bands; j++)
        same += a[j] == b[j];
    return same;
}

/* ---------------------------------------------------------------------
 * Radix sort
 * ------------------------------------------------------------------- */

/* ---------------------------------------------------------------------
 * The bucket table
 * ------------------------------------------------------------------- */

dp_status dpi_lsh_table_create(unsigned bands, size_t max_bucket,
                               dp_lsh_table **out)
{
    dp_lsh_table *t;

    if (!out)
        return DP_EINVAL;
    *out = NULL;
    if (bands == 0 || bands > DP_LSH_MAX_BANDS || max_bucket < 2)
        return DP_EINVAL;
    t = calloc(1, sizeof *t);
    if (!t)
        return DP_ENOMEM;
    t->b = calloc(bands, sizeof *t->b);
    if (!t->b) {
        free(t);
        return DP_ENOMEM;
    }
    t->bands = bands;
    t->max_bucket = max_bucket;
    t->doc_ordered = 1;
    t->built = 1; /* an empty table is trivially sorted */
    *out = t;
    return DP_OK;
}

void dpi_lsh_table_free(dp_lsh_table *t)
{
    unsigned j;

    if (!t)
        return;
    for (j = 0; j < t->bands; j++) {
        free(t->b[j].key);
        free(t->b[j].doc);
    }
    free(t->b);
    free(t);
}

/* Reallocate every band's arrays to exactly @newcap entries. An array that
 * grew before a later one failed keeps its larger block; harmless, since
 * t->cap only changes when all succeeded. */
static dp_status resize(dp_lsh_table *t, size_t newcap)
{
    size_t kb, db;
    unsigned j;

    if (newcap > DP_VEC_MAX_ELEMS)
        return DP_ETOOBIG;
    if (dpi_mul_overflow(newcap, sizeof(uint64_t), &kb) ||
        dpi_mul_overflow(newcap, sizeof(uint32_t), &db))
        return DP_ETOOBIG;
    for (j = 0; j < t->bands; j++) {
        void *k = realloc(t->b[j].key, kb), *d;
        if (!k)
            return DP_ENOMEM;
        t->b[j].key = k;
        d = realloc(t->b[j].doc, db);
        if (!d)
            return DP_ENOMEM;
        t->b[j].doc = d;
    }
    t->cap = newcap;
    return DP_OK;
}

dp_status dpi_lsh_table_reserve(dp_lsh_table *t, size_t ndocs)
{
    if (!t)
        return DP_EINVAL;
    if (ndocs <= t->cap)
        return DP_OK;
    return resize(t, ndocs);
}

dp_status dpi_lsh_table_insert(dp_lsh_table *t, uint32_t doc,
                               const uint64_t *keys)
{
    unsigned j;
    dp_status rc;

    if (!t || !keys)
        return DP_EINVAL;
    if (t->n == t->cap) { /* double, as dpi_grow() would, capped */
        size_t want = t->cap < 16 ? 16 : t->cap * 2;
        if (want > DP_VEC_MAX_ELEMS)
            want = DP_VEC_MAX_ELEMS;
        if (t->n + 1 > want)
            return DP_ETOOBIG;
        rc = resize(t, want);
        if (rc)
            return rc;
    }
    for (j = 0; j < t->bands; j++) {
        t->b[j].key[t->n] = keys[j];
        t->b[j].doc[t->n] = doc;
    }
    if (t->n > 0 && doc < t->max_doc)
        t->doc_ordered = 0;
    if (t->n == 0 || doc > t->max_doc)
        t->max_doc = doc;
    t->n++;
    t->built = 0;
    return DP_OK;
}

size_t dpi_lsh_table_size(const dp_lsh_table *t)
{
    assert(t);
    return t->n;
}

dp_status dpi_lsh_table_build(dp_lsh_table *t)
{
    uint64_t *tk;
    uint32_t *td;
    unsigned j;

    if (!t)
        return DP_EINVAL;
    if (t->built)
        return DP_OK;
    if (t->n < 2) {
        t->built = 1;
        return DP_OK;
    }
    tk = malloc(t->n * sizeof *tk);
    td = malloc(t->n * sizeof *td);
    if (!tk || !td) {
        free(tk);
        free(td);
        return DP_ENOMEM;
    }
    /* Inserts in document order only need a stable sort by key; otherwise
     * the document bytes are sorted first so runs end up in doc order. */
    for (j = 0; j < t->bands; j++)
        dpi_sort_keys(t->b[j].key, t->b[j].doc, t->n, !t->doc_ordered, tk, td);
    free(tk);
    free(td);
    t->doc_ordered = 1; /* sorted now; a later insert re-checks */
    t->built = 1;
    return DP_OK;
}

/* A growing array of packed pairs (a << 32 | b). */
typedef struct pairvec {
    uint64_t *v;    /* the pairs */
    size_t len;     /* used */
    size_t cap;     /* allocated */
    size_t clean;   /* length after the last sort-and-unique */
    size_t emitted; /* pushes in all */
} pairvec;

static dp_status pair_push(pairvec *pv, uint32_t a, uint32_t b)
{
    if (pv->len == pv->cap) {
        dp_status rc = DP_RESERVE(pv->v, pv->cap, pv->len + 1);
        if (rc)
            return rc;
    }
    pv->v[pv->len++] = (uint64_t)a << 32 | b;
    pv->emitted++;
    return DP_OK;
}

/* Sort the pairs and drop repeats. */
static dp_status pair_compact(pairvec *pv)
{
    size_t i, w;

    if (pv->len > 1) {
        if (dpi_sort_u64(pv->v, pv->len))
            return DP_ENOMEM;
        for (i = 1, w = 1; i < pv->len; i++)
            if (pv->v[i] != pv->v[w - 1])
                pv->v[w++] = pv->v[i];
        pv->len = w;
    }
    pv->clean = pv->len;
    return DP_OK;
}

/* Emit the pairs of one bucket: docs d[0..m) ascending, repeats adjacent. */
static dp_status bucket_pairs(const uint32_t *d, size_t m, size_t max_bucket,
                              pairvec *pv, dp_lsh_stats *st)
{
    size_t x, y, distinct = 1;
    dp_status rc;

    for (x = 1; x < m; x++)
        distinct += d[x] != d[x - 1];
    if (distinct < 2)
        return DP_OK;
    st->buckets++;
    if (distinct > st->largest)
        st->largest = distinct;
    if (distinct > max_bucket) {
        /* A star around the smallest index: distinct - 1 pairs. */
        st->capped++;
        for (y = 1; y < m; y++) {
            if (d[y] == d[y - 1])
                continue;
            rc = pair_push(pv, d[0], d[y]);
            if (rc)
                return rc;
        }
        return DP_OK;
    }
    for (x = 0; x < m; x++) {
        if (x > 0 && d[x] == d[x - 1])
            continue;
        for (y = x + 1; y < m; y++) {
            if (d[y] == d[y - 1]) /* a repeat, or d[x] itself */
                continue;
            rc = pair_push(pv, d[x], d[y]);
            if (rc)
                return rc;
        }
    }
    return DP_OK;
}

dp_status dpi_lsh_table_pairs(const dp_lsh_table *t, dp_lsh_pair **out,
                              size_t *n, dp_lsh_stats *stats)
{
    pairvec pv = {0};
    dp_lsh_stats st = {0};
    dp_lsh_pair *res;
    dp_status rc = DP_OK;
    unsigned j;
    size_t i, s;

    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!t || !out || !n || !t->built)
        return DP_EINVAL;
    for (j = 0; j < t->bands && !rc; j++) {
        const uint64_t *key = t->b[j].key;
        const uint32_t *doc = t->b[j].doc;
        for (s = 0; s < t->n && !rc; s = i) {
            for (i = s + 1; i < t->n && key[i] == key[s]; i++)
                ;
            if (i - s >= 2)
                rc = bucket_pairs(doc + s, i - s, t->max_bucket, &pv, &st);
        }
        /* Keep repeats from piling up: compact when the array doubled. */
        if (!rc && pv.len > 2 * pv.clean + 4096)
            rc = pair_compact(&pv);
    }
    if (!rc)
        rc = pair_compact(&pv);
    if (rc) {
        free(pv.v);
        return rc;
    }
    st.emitted = pv.emitted;
    if (stats)
        *stats = st;
    if (pv.len == 0) {
        free(pv.v);
        return DP_OK;
    }
    /* Unpack in place: each slot is read as a packed pair, then rewritten
     * as a dp_lsh_pair of the same size. */
    _Static_assert(sizeof(dp_lsh_pair) == sizeof(uint64_t),
                   "dp_lsh_pair must pack into 8 bytes");
    for (i = 0; i < pv.len; i++) {
        uint64_t v = pv.v[i];
        dp_lsh_pair p;
        p.a = (uint32_t)(v >> 32);
        p.b = (uint32_t)v;
        memcpy((char *)pv.v + i * sizeof p, &p, sizeof p);
    }
    res = realloc(pv.v, pv.len * sizeof *res);
    *out = res ? res : (dp_lsh_pair *)(void *)pv.v;
    *n = pv.len;
    return DP_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

dp_status dpi_lsh_table_query(const dp_lsh_table *t, const uint64_t *keys,
                              uint32_t **buf, size_t *cap, size_t *n)
{
    unsigned j;
    size_t len = 0, i, w;

    if (n)
        *n = 0;
    if (!t || !keys || !buf || !cap || !n || !t->built)
        return DP_EINVAL;
    for (j = 0; j < t->bands; j++) {
        const uint64_t *key = t->b[j].key;
        const uint32_t *doc = t->b[j].doc;
        size_t lo = dpi_lower_bound_u64(key, t->n, keys[j]), taken = 0;
        for (i = lo; i < t->n && key[i] == keys[j] && taken < t->max_bucket;
             i++) {
            if (i > lo && doc[i] == doc[i - 1])
                continue;
            if (len == *cap) {
                dp_status rc =
                    dpi_grow((void **)buf, cap, len + 1, sizeof **buf);
                if (rc)
                    return rc;
            }
            (*buf)[len++] = doc[i];
            taken++;
        }
    }
    if (len > 1) {
        qsort(*buf, len, sizeof **buf, cmp_u32);
        for (i = 1, w = 1; i < len; i++)
            if ((*buf)[i] != (*buf)[w - 1])
                (*buf)[w++] = (*buf)[i];
        len = w;
    }
    *n = len;
    return DP_OK;
}

size_t dpi_lsh_table_memory(const dp_lsh_table *t)
{
    if (!t)
        return 0;
    return sizeof *t + t->bands * sizeof *t->b +
           t->bands * t->cap * (sizeof(uint64_t) + sizeof(uint32_t));
}

dp_status dpi_lsh_params_recall_first(double threshold, unsigned perms,
                                      dp_lsh_params *out)
{
    static const double margin[] = {0.05, 0.1};
    double t = threshold >= 1.0 ? 0.999 : threshold;
    size_t i;

    if (!out || !(threshold > 0.0) || threshold > 1.0 || perms == 0)
        return DP_EINVAL;
    for (i = 0; i < sizeof margin / sizeof margin[0]; i++)
        if (t + margin[i] <= 1.0 &&
            dpi_lsh_params_for_recall(t, perms, t + margin[i], 0.999, out) ==
                DP_OK)
            return DP_OK;
    return dpi_lsh_params_choose(t, perms, 0.1, 0.9, out);
}
