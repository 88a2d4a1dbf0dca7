/*
 * dedup.c - near-duplicate detection over a corpus: the dp_dedup_* API.
 *
 * The data's path: dp_dedup_add() turns each text into a document (the
 * same pipeline as compare), hashes its k-word shingles, and keeps only a
 * MinHash signature, an id, a keep-policy rank and, while exact
 * verification is on, the sorted set of shingle hashes. dp_dedup_run()
 * computes LSH band keys from the signatures, lets the bucket table emit
 * candidate pairs, verifies every pair (exact Jaccard or the signature
 * estimate) on all threads, and builds star clusters (cluster.c).
 *
 * Determinism: documents are numbered in the order they are added; each
 * worker writes only its own documents' slots and pairs are verified in
 * fixed index ranges whose results are concatenated in order, so the
 * result is identical for every thread count.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/util.h"
#include "dedup/cluster.h"
#include "core/date.h"
#include "dedup/dedup.h"
#include "sketch/lsh.h"
#include "core/pool.h"
#include "sketch/minhash.h"
#include "sketch/sketch.h"
#include "text/work.h"

#define NO_DOC   UINT32_MAX
#define MAX_DOCS ((size_t)1 << 31)

struct dp_dedup {
    dp_dedup_opts o;
    dp_minhash *mh;
    unsigned perms;
    dp_lsh_params lsh;
    dp_sketcher sk; /* text -> signature on the pool's threads */
    int keep_sets;  /* shingle sets are being kept (exact) */

    size_t ndocs, cap; /* documents, and capacity of the arrays below */
    uint32_t *sigs;    /* ndocs * perms signature values */
    uint64_t *rank;    /* keep-policy rank; lower is kept first */
    uint64_t *id_off;  /* cap + 1 offsets into ids */
    uint8_t *repeat;   /* 1 when the id was used before */
    char *ids;         /* every id, NUL-terminated, back to back */
    size_t ids_len, ids_cap;
    uint64_t *sets; /* sorted unique shingle hashes, back to back */
    size_t sets_len, sets_cap;
    uint64_t *set_off; /* cap + 1 offsets into sets (when keep_sets) */

    uint32_t *idtab;  /* open addressing: first document of an id */
    size_t idtab_cap; /* power of two, or 0 */
    uint64_t id_seed; /* seeds the id table against crafted ids */

    int ran; /* a run's results are current */
    dp_clusters cl;
    dp_dedup_stats st;
};

/* ------------------------------------------------------------------ */
/* Dates for the "earliest" keep policy                               */
/* ------------------------------------------------------------------ */

/* Read exactly @n digits at *@p; returns -1 when they are not there. */
static long digits(const char **p, const char *end, int n)
{
    long v = 0;
    int i;
    for (i = 0; i < n; i++) {
        if (*p >= end || (**p < '0' || **p > '9'))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

static int month_of(const char *s)
{
    static const char names[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    int i;
    for (i = 0; i < 12; i++) {
        int k, ok = 1;
        for (k = 0; k < 3; k++)
            ok &= (s[k] & ~0x20) == names[i * 3 + k];
        if (ok)
            return i + 1;
    }
    return 0;
}

int dpi_dedup_parse_date(const char *s, size_t len, int64_t *out)
{
    const char *p = s, *end = s + len;
    long y, mo, d, h = 0, mi = 0, se = 0;

    if (!s)
        return -1;
    if ((len >= 11 && s[2] == '-' && s[6] == '-') ||
        (len >= 10 && s[1] == '-' && s[5] == '-')) {
        /* 26-FEB-1987 ..., or 1-MAR-1987 (Reuters writes days < 10 so) */
        int w = s[1] == '-' ? 1 : 2;
        d = digits(&p, end, w);
        mo = month_of(s + w + 1);
        p = s + w + 5;
        y = digits(&p, end, 4);
        if (d < 0 || y < 0 || mo == 0)
            return -1;
    } else { /* 2022-10-08 ... */
        y = digits(&p, end, 4);
        if (y < 0 || p >= end || *p++ != '-')
            return -1;
        mo = digits(&p, end, 2);
        if (mo < 0 || p >= end || *p++ != '-')
            return -1;
        d = digits(&p, end, 2);
        if (d < 0)
            return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    if (p < end && (*p == 'T' || *p == ' ')) {
        const char *q = p + 1;
        long hh = digits(&q, end, 2), mm = -1, ss = 0;
        if (hh >= 0 && q < end && *q == ':') {
            q++;
            mm = digits(&q, end, 2);
            if (mm >= 0 && q < end && *q == ':') {
                q++;
                ss = digits(&q, end, 2);
            }
        }
        if (hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 61) {
            h = hh, mi = mm, se = ss;
        }
    }
    *out = (int64_t)dpi_date_days((int)y, (unsigned)mo, (unsigned)d) * 86400 +
           h * 3600 + mi * 60 + se;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Options, create, free                                              */
/* ------------------------------------------------------------------ */

void dp_dedup_opts_init(dp_dedup_opts *o)
{
    memset(o, 0, sizeof *o);
    o->shingle_k = 5;
    o->perms = DP_MINHASH_DEFAULT_PERMS;
    o->threshold = 0.8;
    o->verify = DP_VERIFY_AUTO;
    o->exact_max_docs = 200000;
    o->keep = DP_KEEP_FIRST;
    dp_text_opts_init(&o->text);
}

dp_status dp_dedup_create(const dp_dedup_opts *opts, dp_dedup **out)
{
    dp_dedup *d;
    dp_minhash_opts mo;
    dp_status rc;
    dp_doc *probe = NULL;

    if (!out)
        return DP_EINVAL;
    *out = NULL;
    d = calloc(1, sizeof *d);
    if (!d)
        return DP_ENOMEM;
    if (opts)
        d->o = *opts;
    else
        dp_dedup_opts_init(&d->o);
    if (d->o.shingle_k < 1 || d->o.shingle_k > 64 || d->o.perms < 1 ||
        d->o.perms > DP_MINHASH_MAX_PERMS || !(d->o.threshold > 0.0) ||
        d->o.threshold > 1.0 || d->o.keep > DP_KEEP_EARLIEST ||
        d->o.verify > DP_VERIFY_ESTIMATE) {
        rc = DP_EINVAL;
        goto fail;
    }
    d->o.threads = dpi_pool_threads(d->o.threads);
    /* Fail early on an unknown language rather than on every document. */
    rc = dp_doc_create("probe", 5, &d->o.text, &probe, NULL);
    dp_doc_free(probe);
    if (rc)
        goto fail;
    dpi_minhash_opts_init(&mo);
    mo.perms = d->o.perms;
    rc = dpi_minhash_create(&mo, &d->mh);
    if (rc)
        goto fail;
    d->perms = d->o.perms;
    dpi_sketcher_init(&d->sk, d->mh, d->o.shingle_k, &d->o.text, d->o.threads);
    if (d->o.bands || d->o.rows)
        rc = dpi_lsh_params_set(d->o.bands, d->o.rows, d->perms, &d->lsh);
    else if (d->o.fp_weight > 0 || d->o.fn_weight > 0)
        rc = dpi_lsh_params_choose(d->o.threshold, d->perms, d->o.fp_weight,
                                   d->o.fn_weight, &d->lsh);
    else
        rc = dpi_lsh_params_recall_first(d->o.threshold, d->perms, &d->lsh);
    if (rc)
        goto fail;
    d->keep_sets = d->o.verify != DP_VERIFY_ESTIMATE;
    d->id_seed = XXH3_64bits(&d, sizeof d) ^ (uint64_t)getpid();
    *out = d;
    return DP_OK;
fail:
    dp_dedup_free(d);
    return rc;
}

void dp_dedup_free(dp_dedup *d)
{
    if (!d)
        return;
    dpi_sketcher_fini(&d->sk);
    dpi_minhash_free(d->mh);
    free(d->sigs);
    free(d->rank);
    free(d->id_off);
    free(d->repeat);
    free(d->ids);
    free(d->sets);
    free(d->set_off);
    free(d->idtab);
    dpi_cluster_free(&d->cl);
    free(d);
}

/* ------------------------------------------------------------------ */
/* Ids                                                                */
/* ------------------------------------------------------------------ */

static const char *id_at(const dp_dedup *d, size_t i)
{
    return d->ids + d->id_off[i];
}

static size_t id_slot(const dp_dedup *d, const char *id, size_t len,
                      uint32_t *found)
{
    size_t mask = d->idtab_cap - 1;
    size_t s = (size_t)XXH3_64bits_withSeed(id, len, d->id_seed) & mask;
    for (;; s = (s + 1) & mask) {
        uint32_t doc = d->idtab[s];
        if (doc == NO_DOC) {
            *found = NO_DOC;
            return s;
        }
        if (d->id_off[doc + 1] - d->id_off[doc] == len + 1 &&
            memcmp(id_at(d, doc), id, len) == 0) {
            *found = doc;
            return s;
        }
    }
}

static dp_status idtab_grow(dp_dedup *d, size_t need)
{
    size_t ncap = d->idtab_cap ? d->idtab_cap : 1024, i;
    uint32_t *old = d->idtab, found;
    size_t old_cap = d->idtab_cap;

    while (ncap < need * 2)
        ncap *= 2;
    if (ncap == d->idtab_cap)
        return DP_OK;
    d->idtab = malloc(ncap * sizeof *d->idtab);
    if (!d->idtab) {
        d->idtab = old;
        return DP_ENOMEM;
    }
    memset(d->idtab, 0xff, ncap * sizeof *d->idtab);
    d->idtab_cap = ncap;
    for (i = 0; i < old_cap; i++) {
        uint32_t doc = old[i];
        if (doc != NO_DOC) {
            const char *id = id_at(d, doc);
            size_t len = d->id_off[doc + 1] - d->id_off[doc] - 1;
            d->idtab[id_slot(d, id, len, &found)] = doc;
        }
    }
    free(old);
    return DP_OK;
}

long dp_dedup_find(const dp_dedup *d, const char *id, size_t id_len)
{
    uint32_t found;
    if (!d || !id || d->idtab_cap == 0)
        return -1;
    id_slot(d, id, id_len, &found);
    return found == NO_DOC ? -1 : (long)found;
}

/* ------------------------------------------------------------------ */
/* Adding documents                                                   */
/* ------------------------------------------------------------------ */

/* A batch being added: the sketches of its documents. */
typedef struct batch {
    const dp_dedup_doc *docs;
    size_t n;
    dp_sketch_item *items; /* n: status, words, shingle set */
    uint32_t *sigs;        /* n * perms */
} batch;

static dp_status reserve_docs(dp_dedup *d, size_t need)
{
    size_t ncap = d->cap ? d->cap : 1024;
    void *p;
    if (need <= d->cap)
        return DP_OK;
    if (need > MAX_DOCS)
        return DP_ETOOBIG;
    while (ncap < need)
        ncap *= 2;
    if (!(p = realloc(d->sigs, ncap * d->perms * sizeof *d->sigs)))
        return DP_ENOMEM;
    d->sigs = p;
    if (!(p = realloc(d->rank, ncap * sizeof *d->rank)))
        return DP_ENOMEM;
    d->rank = p;
    if (!(p = realloc(d->id_off, (ncap + 1) * sizeof *d->id_off)))
        return DP_ENOMEM;
    d->id_off = p;
    if (!(p = realloc(d->repeat, ncap)))
        return DP_ENOMEM;
    d->repeat = p;
    if (d->keep_sets) {
        if (!(p = realloc(d->set_off, (ncap + 1) * sizeof *d->set_off)))
            return DP_ENOMEM;
        d->set_off = p;
    }
    if (d->ndocs == 0) {
        d->id_off[0] = 0;
        if (d->keep_sets)
            d->set_off[0] = 0;
    }
    d->cap = ncap;
    return DP_OK;
}

static uint64_t rank_of(const dp_dedup *d, const dp_dedup_doc *doc,
                        uint32_t words, size_t index)
{
    int64_t t;
    switch (d->o.keep) {
    case DP_KEEP_LONGEST: return (uint64_t)(UINT32_MAX - words);
    case DP_KEEP_EARLIEST:
        if (doc->date &&
            dpi_dedup_parse_date(doc->date, doc->date_len, &t) == 0)
            return (uint64_t)t ^ (UINT64_C(1) << 63); /* order-preserving */
        return UINT64_MAX;
    default: return index;
    }
}

/* Stop keeping shingle sets (DP_VERIFY_AUTO past exact_max_docs). */
static void drop_sets(dp_dedup *d)
{
    free(d->sets);
    free(d->set_off);
    d->sets = NULL;
    d->set_off = NULL;
    d->sets_len = d->sets_cap = 0;
    d->keep_sets = 0;
}

/*
 * Make room for every document of @b that was sketched, so that appending
 * them cannot fail: the all-or-nothing half of dp_dedup_add().
 */
static dp_status reserve_batch(dp_dedup *d, const batch *b)
{
    size_t i, ndoc = 0, idb = 0, setn = 0;
    dp_status rc;

    for (i = 0; i < b->n; i++) {
        if (b->items[i].status != DP_OK)
            continue;
        ndoc++;
        idb += b->docs[i].id_len + 1;
        setn += b->items[i].nset;
    }
    if (ndoc == 0)
        return DP_OK;
    if ((rc = reserve_docs(d, d->ndocs + ndoc)))
        return rc;
    if ((rc = idtab_grow(d, d->ndocs + ndoc)))
        return rc;
    if ((rc = DP_RESERVE(d->ids, d->ids_cap, d->ids_len + idb)))
        return rc;
    if (d->keep_sets &&
        (rc = DP_RESERVE(d->sets, d->sets_cap, d->sets_len + setn)))
        return rc;
    return DP_OK;
}

/* Append document @i of batch @b as the next document of @d; the room is
 * reserved (reserve_batch), so this cannot fail. */
static void append_doc(dp_dedup *d, const batch *b, size_t i)
{
    const dp_dedup_doc *doc = &b->docs[i];
    const dp_sketch_item *it = &b->items[i];
    size_t n = d->ndocs, sl;
    uint32_t found;

    if (d->keep_sets) {
        memcpy(d->sets + d->sets_len, it->set, it->nset * sizeof *it->set);
        d->sets_len += it->nset;
        d->set_off[n + 1] = d->sets_len;
    }
    memcpy(d->sigs + n * d->perms, b->sigs + i * d->perms,
           d->perms * sizeof *d->sigs);
    memcpy(d->ids + d->ids_len, doc->id, doc->id_len);
    d->ids_len += doc->id_len;
    d->ids[d->ids_len++] = '\0';
    d->id_off[n + 1] = d->ids_len;
    d->rank[n] = rank_of(d, doc, it->words, n);
    sl = id_slot(d, doc->id, doc->id_len, &found);
    d->repeat[n] = found != NO_DOC;
    if (found == NO_DOC)
        d->idtab[sl] = (uint32_t)n;
    else
        d->st.dup_ids++;
    d->ndocs = n + 1;
}

dp_status dp_dedup_add(dp_dedup *d, const dp_dedup_doc *docs, size_t n,
                       dp_status *status)
{
    batch b;
    size_t i;
    dp_status rc;

    if (!d || (!docs && n))
        return DP_EINVAL;
    if (n == 0)
        return DP_OK;
    b.docs = docs;
    b.n = n;
    b.items = calloc(n, sizeof *b.items);
    b.sigs = malloc(n * d->perms * sizeof *b.sigs);
    if (!b.items || !b.sigs) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        b.items[i].text = docs[i].text;
        b.items[i].len = docs[i].text_len;
        b.items[i].status = DP_OK;
    }
    rc = dpi_sketch_batch(&d->sk, b.items, n, b.sigs, d->keep_sets);
    /* An allocation failure inside the batch fails the whole call. */
    for (i = 0; rc == DP_OK && i < n; i++)
        if (b.items[i].status == DP_ENOMEM)
            rc = DP_ENOMEM;
    if (!rc)
        rc = reserve_batch(d, &b);
    if (rc)
        goto done;
    d->ran = 0;
    for (i = 0; i < n; i++) {
        if (status)
            status[i] = b.items[i].status;
        if (b.items[i].status != DP_OK)
            continue;
        append_doc(d, &b, i);
        if (d->keep_sets && d->o.verify == DP_VERIFY_AUTO &&
            d->ndocs > d->o.exact_max_docs)
            drop_sets(d);
    }
done:
    if (rc && status)
        for (i = 0; i < n; i++)
            status[i] = rc;
    for (i = 0; b.items && i < n; i++)
        free(b.items[i].set);
    free(b.items);
    free(b.sigs);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Running: LSH, verification, clusters                               */
/* ------------------------------------------------------------------ */

static double exact_jaccard(const dp_dedup *d, uint32_t a, uint32_t b)
{
    const uint64_t *x = d->sets + d->set_off[a], *y = d->sets + d->set_off[b];
    size_t nx = d->set_off[a + 1] - d->set_off[a];
    size_t ny = d->set_off[b + 1] - d->set_off[b];
    return dpi_set_jaccard(x, nx, y, ny);
}

static double pair_sim(const dp_dedup *d, uint32_t a, uint32_t b)
{
    if (d->keep_sets)
        return exact_jaccard(d, a, b);
    return dpi_minhash_jaccard(d->sigs + (size_t)a * d->perms,
                               d->sigs + (size_t)b * d->perms, d->perms);
}

typedef struct verify_job {
    const dp_dedup *d;
    const dp_lsh_pair *pairs;
    size_t lo, hi;
    dp_pair *out; /* hi - lo slots */
    size_t nout;
} verify_job;

/* Pool job @k: verify the pairs of range @k (its own output slots). */
static void verify_range(void *arg, unsigned worker, size_t k)
{
    verify_job *j = (verify_job *)arg + k;
    size_t p;
    DP_UNUSED(worker);
    for (p = j->lo; p < j->hi; p++) {
        double s = pair_sim(j->d, j->pairs[p].a, j->pairs[p].b);
        /* A tiny tolerance keeps exact fractions like 4/5 on the right
         * side of a threshold given as 0.8. */
        if (s + 1e-9 >= j->d->o.threshold)
            j->out[j->nout++] =
                (dp_pair){j->pairs[p].a, j->pairs[p].b, (float)s};
    }
}

dp_status dp_dedup_run(dp_dedup *d)
{
    dp_lsh_table *t = NULL;
    dp_lsh_pair *cand = NULL;
    dp_pair *ver = NULL;
    verify_job jobs[DP_POOL_MAX_THREADS];
    uint64_t *keys = NULL;
    size_t ncand = 0, nver = 0, i;
    unsigned nt, k;
    dp_status rc;

    if (!d)
        return DP_EINVAL;
    dpi_cluster_free(&d->cl);
    d->ran = 0;
    rc = dpi_lsh_table_create(d->lsh.bands, DP_LSH_DEFAULT_MAX_BUCKET, &t);
    if (!rc)
        rc = dpi_lsh_table_reserve(t, d->ndocs);
    keys = malloc(((size_t)d->lsh.bands + 1) * sizeof *keys);
    if (!rc && !keys)
        rc = DP_ENOMEM;
    for (i = 0; !rc && i < d->ndocs; i++) {
        dpi_lsh_band_keys(&d->lsh, d->sigs + i * d->perms, keys);
        rc = dpi_lsh_table_insert(t, (uint32_t)i, keys);
    }
    if (!rc)
        rc = dpi_lsh_table_build(t);
    if (!rc)
        rc = dpi_lsh_table_pairs(t, &cand, &ncand, NULL);
    dpi_lsh_table_free(t);
    free(keys);
    if (rc)
        goto done;

    /* Verify in fixed ranges, concatenated in order: deterministic. */
    nt = DP_MIN(d->o.threads, DP_POOL_MAX_THREADS);
    ver = malloc((ncand + 1) * sizeof *ver);
    if (!ver) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (k = 0; k < nt; k++) {
        jobs[k].d = d;
        jobs[k].pairs = cand;
        jobs[k].lo = ncand * k / nt;
        jobs[k].hi = ncand * (k + 1) / nt;
        jobs[k].out = ver + jobs[k].lo;
        jobs[k].nout = 0;
    }
    dpi_pool_run(nt, verify_range, jobs, nt);
    for (k = 0; k < nt; k++) {
        memmove(ver + nver, jobs[k].out, jobs[k].nout * sizeof *ver);
        nver += jobs[k].nout;
    }
    rc = dpi_cluster_build((uint32_t)d->ndocs, ver, nver, d->rank, &d->cl);
    if (rc)
        goto done;
    d->st.docs = d->ndocs;
    d->st.bands = d->lsh.bands;
    d->st.rows = d->lsh.rows;
    d->st.exact = d->keep_sets;
    d->st.candidates = ncand;
    d->st.verified = nver;
    d->st.clusters = d->cl.nclusters;
    d->st.duplicates =
        d->cl.nclusters ? d->cl.start[d->cl.nclusters] - d->cl.nclusters : 0;
    d->ran = 1;
done:
    free(cand);
    free(ver);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Results                                                            */
/* ------------------------------------------------------------------ */

void dp_dedup_stats_get(const dp_dedup *d, dp_dedup_stats *out)
{
    if (!d || !out)
        return;
    *out = d->st;
    out->docs = d->ndocs;
    out->memory = d->cap * ((size_t)d->perms * 4 + 8 + 8 + 1) + d->ids_cap +
                  d->idtab_cap * 4 + d->sets_cap * 8 +
                  (d->set_off ? d->cap * 8 : 0);
    if (!d->ran) {
        out->candidates = out->verified = out->clusters = 0;
        out->duplicates = 0;
        out->bands = d->lsh.bands;
        out->rows = d->lsh.rows;
        out->exact = d->keep_sets;
    }
}

size_t dp_dedup_docs(const dp_dedup *d)
{
    return d ? d->ndocs : 0;
}

const char *dp_dedup_id(const dp_dedup *d, size_t i, size_t *len)
{
    if (!d || i >= d->ndocs)
        return NULL;
    if (len)
        *len = d->id_off[i + 1] - d->id_off[i] - 1;
    return id_at(d, i);
}

int dp_dedup_id_repeats(const dp_dedup *d, size_t i)
{
    return d && i < d->ndocs && d->repeat[i];
}

size_t dp_dedup_clusters(const dp_dedup *d)
{
    return d && d->ran ? d->cl.nclusters : 0;
}

dp_status dp_dedup_cluster(const dp_dedup *d, size_t c,
                           const uint32_t **members, const float **similarity,
                           size_t *n)
{
    if (!d || !d->ran || c >= d->cl.nclusters || !members || !n)
        return DP_EINVAL;
    *members = d->cl.members + d->cl.start[c];
    if (similarity)
        *similarity = d->cl.sim + d->cl.start[c];
    *n = d->cl.start[c + 1] - d->cl.start[c];
    return DP_OK;
}

long dp_dedup_cluster_of(const dp_dedup *d, size_t i)
{
    if (!d || !d->ran || i >= d->ndocs || d->cl.cluster[i] == NO_DOC)
        return -1;
    return (long)d->cl.cluster[i];
}

int dp_dedup_is_dropped(const dp_dedup *d, size_t i)
{
    long c = dp_dedup_cluster_of(d, i);
    return c >= 0 && d->cl.members[d->cl.start[c]] != i;
}

dp_status dp_dedup_explain_pair(const dp_dedup *d, size_t i, size_t j,
                                dp_dedup_explain *out)
{
    uint64_t *ka, *kb;
    if (!d || !out || i >= d->ndocs || j >= d->ndocs)
        return DP_EINVAL;
    ka = malloc(2 * (size_t)d->lsh.bands * sizeof *ka);
    if (!ka)
        return DP_ENOMEM;
    kb = ka + d->lsh.bands;
    dpi_lsh_band_keys(&d->lsh, d->sigs + i * d->perms, ka);
    dpi_lsh_band_keys(&d->lsh, d->sigs + j * d->perms, kb);
    out->bands_shared = dpi_lsh_bands_shared(ka, kb, d->lsh.bands);
    out->bands = d->lsh.bands;
    free(ka);
    out->estimated = dpi_minhash_jaccard(d->sigs + i * d->perms,
                                         d->sigs + j * d->perms, d->perms);
    out->exact =
        d->keep_sets ? exact_jaccard(d, (uint32_t)i, (uint32_t)j) : -1.0;
    out->cluster_a = dp_dedup_cluster_of(d, i);
    out->cluster_b = dp_dedup_cluster_of(d, j);
    out->grouped = out->cluster_a >= 0 && out->cluster_a == out->cluster_b;
    return DP_OK;
}
