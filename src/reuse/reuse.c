/*
 * reuse.c - every passage shared between any two documents of a corpus,
 * and the reuse clusters they form: the dp_reuse_* API.
 *
 * The data's path: dp_reuse_add() runs the token-only pipeline over each
 * text on the core pool and keeps the token hashes and original spans
 * (flat arrays, 16 bytes a word) plus id, text and source. dp_reuse_run()
 *
 *   1. hashes every word n-gram into (hash, doc << 32 | pos) records and
 *      sorts them (one radix sort);
 *   2. walks the runs of equal hashes: an n-gram held by 2..max_df
 *      documents pairs them all, a more frequent one links each of its
 *      documents to the first that has it (a star, linear in its
 *      documents); the pairs are sorted and made unique;
 *   3. aligns every candidate pair with the passage aligner on the pool
 *      (align.h, the aligner compare uses), in fixed chunks whose results
 *      are concatenated in pair order;
 *   4. joins the passages into clusters: both sides of a passage are one
 *      cluster, and two passage sides in one document that overlap by at
 *      least half the shorter are one place (union-find); each cluster's
 *      places in a document are merged into one member span.
 *
 * Determinism: documents are numbered in the order they are added; every
 * parallel step writes only its own slots, so the result is identical for
 * every thread count.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "align/align.h"
#include "core/pool.h"
#include "core/sort.h"
#include "core/util.h"
#include "dedup/dedup.h"
#include "reuse/reuse.h"
#include "sketch/shingle.h"
#include "text/work.h"

#define MAX_DOCS   ((size_t)1 << 31)
#define MAX_TOKS   ((size_t)UINT32_MAX)
#define NO_DATE    INT64_MIN
#define DOC_CHUNK  64  /* documents per n-gram job */
#define PAIR_CHUNK 128 /* candidate pairs per alignment job */

struct dp_reuse {
    dp_reuse_opts o;
    dp_work *work[DP_POOL_MAX_THREADS]; /* one per pool worker, or NULL */

    size_t ndocs, cap;  /* documents, and capacity of the arrays below */
    uint64_t *tok_off;  /* cap + 1 offsets into hashes / spans */
    uint64_t *str_off;  /* 3 per document: id, text, source offsets into
                           strs; a fourth past the end (str_off[3 * i + 3]
                           is the next document's id) */
    int64_t *date;      /* parsed date, or NO_DATE */
    uint64_t *src_hash; /* XXH3 of the source, 0 when it has none */
    uint64_t *hashes;   /* token hashes of every document, back to back */
    uint32_t *spans;    /* 2 per token: original start, end */
    size_t ntok, tok_cap, span_cap;
    char *strs; /* id, text, source of each document, NUL-terminated */
    size_t strs_len, strs_cap;

    /* Results of the last run. */
    dp_reuse_passage *pass;
    dp_match *pm; /* parallel to pass: token ranges */
    size_t npass;
    dp_reuse_member *mem; /* members, cluster by cluster */
    uint32_t *mtb, *mte;  /* parallel to mem: token ranges */
    size_t nmem;
    size_t *cl_start; /* nclusters + 1 offsets into mem */
    dp_reuse_cluster *cl;
    size_t ncl;
    dp_reuse_stats st;
};

/* ------------------------------------------------------------------ */
/* Options, create, free, accessors                                   */
/* ------------------------------------------------------------------ */

void dp_reuse_opts_init(dp_reuse_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->min_words = DP_ALIGN_MIN_WORDS;
    o->max_gap = DP_ALIGN_MAX_GAP;
    o->boilerplate = DP_REUSE_BOILERPLATE;
    o->boilerplate_min = DP_REUSE_BOILERPLATE_MIN;
    dp_text_opts_init(&o->text);
}

const dp_reuse_opts *dpi_reuse_opts(const dp_reuse *r)
{
    return &r->o;
}

dp_status dp_reuse_create(const dp_reuse_opts *opts, dp_reuse **out)
{
    dp_reuse *r;
    dp_doc *probe = NULL;
    dp_status rc;

    if (!out)
        return DP_EINVAL;
    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return DP_ENOMEM;
    if (opts)
        r->o = *opts;
    else
        dp_reuse_opts_init(&r->o);
    if (r->o.min_words < 2 || r->o.max_gap > DP_ALIGN_GAP_LIMIT ||
        !(r->o.boilerplate >= 0.0 && r->o.boilerplate <= 100.0)) {
        free(r);
        return DP_EINVAL;
    }
    if (r->o.ngram == 0)
        r->o.ngram = DP_REUSE_NGRAM;
    r->o.ngram = DP_MIN(r->o.ngram, r->o.min_words);
    r->o.ngram = DP_MIN(r->o.ngram, DP_ALIGN_SEED_LIMIT);
    if (r->o.max_df == 0)
        r->o.max_df = DP_REUSE_MAX_DF;
    if (r->o.max_df < 2)
        r->o.max_df = 2;
    if (r->o.min_shared == 0)
        r->o.min_shared = 1;
    r->o.threads = dpi_pool_threads(r->o.threads);
    /* Fail early on an unknown language rather than on every document. */
    rc = dp_doc_create("probe", 5, &r->o.text, &probe, NULL);
    dp_doc_free(probe);
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    return DP_OK;
}

static void free_results(dp_reuse *r)
{
    free(r->pass);
    free(r->pm);
    free(r->mem);
    free(r->mtb);
    free(r->mte);
    free(r->cl_start);
    free(r->cl);
    r->pass = NULL;
    r->pm = NULL;
    r->mem = NULL;
    r->mtb = r->mte = NULL;
    r->cl_start = NULL;
    r->cl = NULL;
    r->npass = r->nmem = r->ncl = 0;
}

void dp_reuse_free(dp_reuse *r)
{
    unsigned t;
    if (!r)
        return;
    for (t = 0; t < DP_POOL_MAX_THREADS; t++)
        dp_work_free(r->work[t]);
    free_results(r);
    free(r->tok_off);
    free(r->str_off);
    free(r->date);
    free(r->src_hash);
    free(r->hashes);
    free(r->spans);
    free(r->strs);
    free(r);
}

size_t dp_reuse_docs(const dp_reuse *r)
{
    return r ? r->ndocs : 0;
}

/* String @k (0 id, 1 text, 2 source) of document @i. */
static const char *str_at(const dp_reuse *r, size_t i, int k, size_t *len)
{
    size_t a, b;
    if (len)
        *len = 0;
    if (!r || i >= r->ndocs)
        return NULL;
    a = r->str_off[3 * i + k];
    b = r->str_off[3 * i + k + 1];
    if (k == 2 && r->src_hash[i] == 0)
        return NULL;
    if (len)
        *len = b - a - 1;
    return r->strs + a;
}

const char *dp_reuse_id(const dp_reuse *r, size_t i, size_t *len)
{
    return str_at(r, i, 0, len);
}

const char *dp_reuse_text(const dp_reuse *r, size_t i, size_t *len)
{
    return str_at(r, i, 1, len);
}

const char *dp_reuse_source(const dp_reuse *r, size_t i, size_t *len)
{
    return str_at(r, i, 2, len);
}

int dp_reuse_date(const dp_reuse *r, size_t i, int64_t *out)
{
    if (!r || i >= r->ndocs || r->date[i] == NO_DATE)
        return -1;
    if (out)
        *out = r->date[i];
    return 0;
}

void dp_reuse_stats_get(const dp_reuse *r, dp_reuse_stats *out)
{
    if (!out)
        return;
    if (!r) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = r->st;
    out->docs = r->ndocs;
    out->words = r->ntok;
    out->memory = r->ndocs * (3 * 8 + 8 + 8 + 8) +
                  r->ntok * (sizeof *r->hashes + 2 * sizeof *r->spans) +
                  r->strs_len;
}

size_t dp_reuse_passages(const dp_reuse *r)
{
    return r ? r->npass : 0;
}

const dp_reuse_passage *dp_reuse_passage_at(const dp_reuse *r, size_t i)
{
    return r && i < r->npass ? &r->pass[i] : NULL;
}

size_t dp_reuse_clusters(const dp_reuse *r)
{
    return r ? r->ncl : 0;
}

dp_status dp_reuse_cluster_get(const dp_reuse *r, size_t c,
                               dp_reuse_cluster *out)
{
    if (!r || !out || c >= r->ncl)
        return DP_EINVAL;
    *out = r->cl[c];
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Adding documents                                                   */
/* ------------------------------------------------------------------ */

/* One document of a batch, tokenised. */
typedef struct item {
    const dp_reuse_doc *doc;
    dp_status status;
    size_t ntok;
    uint64_t *h;  /* ntok hashes, malloc'd */
    uint32_t *sp; /* 2 * ntok span ends, malloc'd */
} item;

typedef struct add_batch {
    dp_reuse *r;
    item *items;
} add_batch;

static void tokenise_job(void *arg, unsigned worker, size_t i)
{
    add_batch *b = arg;
    dp_reuse *r = b->r;
    item *it = &b->items[i];
    const dp_doc *doc;
    size_t k;

    /* Each worker touches only its own slot: no lock. */
    if (!r->work[worker] && dp_work_create(&r->work[worker])) {
        it->status = DP_ENOMEM;
        return;
    }
    it->status = dpi_work_tokens(r->work[worker], it->doc->text,
                                 it->doc->text_len, &r->o.text, &doc, NULL);
    if (it->status)
        return;
    if (doc->ntoks == 0) {
        it->status = DP_EEMPTY;
        return;
    }
    it->h = malloc(doc->ntoks * sizeof *it->h);
    it->sp = malloc(doc->ntoks * 2 * sizeof *it->sp);
    if (!it->h || !it->sp) {
        it->status = DP_ENOMEM;
        return;
    }
    for (k = 0; k < doc->ntoks; k++) {
        it->h[k] = doc->toks[k].hash;
        it->sp[2 * k] = doc->toks[k].start;
        it->sp[2 * k + 1] = doc->toks[k].end;
    }
    it->ntok = doc->ntoks;
}

static dp_status reserve_docs(dp_reuse *r, size_t need)
{
    size_t ncap = r->cap ? r->cap : 1024;
    void *p;
    if (need <= r->cap)
        return DP_OK;
    if (need > MAX_DOCS)
        return DP_ETOOBIG;
    while (ncap < need)
        ncap *= 2;
    if (!(p = realloc(r->tok_off, (ncap + 1) * sizeof *r->tok_off)))
        return DP_ENOMEM;
    r->tok_off = p;
    if (!(p = realloc(r->str_off, (3 * ncap + 1) * sizeof *r->str_off)))
        return DP_ENOMEM;
    r->str_off = p;
    if (!(p = realloc(r->date, ncap * sizeof *r->date)))
        return DP_ENOMEM;
    r->date = p;
    if (!(p = realloc(r->src_hash, ncap * sizeof *r->src_hash)))
        return DP_ENOMEM;
    r->src_hash = p;
    if (r->ndocs == 0) {
        r->tok_off[0] = 0;
        r->str_off[0] = 0;
    }
    r->cap = ncap;
    return DP_OK;
}

/* Room for every tokenised document of the batch, so appending cannot
 * fail: the all-or-nothing half of dp_reuse_add(). */
static dp_status reserve_batch(dp_reuse *r, const item *items, size_t n)
{
    size_t i, nd = 0, nt = 0, nb = 0;
    dp_status rc;
    for (i = 0; i < n; i++) {
        const dp_reuse_doc *d = items[i].doc;
        if (items[i].status)
            continue;
        nd++;
        nt += items[i].ntok;
        nb += d->id_len + d->text_len + (d->source ? d->source_len : 0) + 3;
    }
    if (nd == 0)
        return DP_OK;
    if (nt > MAX_TOKS - r->ntok)
        return DP_ETOOBIG;
    if ((rc = reserve_docs(r, r->ndocs + nd)))
        return rc;
    if ((rc = DP_RESERVE(r->hashes, r->tok_cap, r->ntok + nt)))
        return rc;
    if ((rc = DP_RESERVE(r->spans, r->span_cap, 2 * (r->ntok + nt))))
        return rc;
    return DP_RESERVE(r->strs, r->strs_cap, r->strs_len + nb);
}

static void push_str(dp_reuse *r, const char *s, size_t n)
{
    if (n)
        memcpy(r->strs + r->strs_len, s, n);
    r->strs_len += n;
    r->strs[r->strs_len++] = '\0';
}

static void append_doc(dp_reuse *r, const item *it)
{
    const dp_reuse_doc *d = it->doc;
    size_t n = r->ndocs;
    size_t slen = d->source ? d->source_len : 0;
    int64_t t;

    memcpy(r->hashes + r->ntok, it->h, it->ntok * sizeof *it->h);
    memcpy(r->spans + 2 * r->ntok, it->sp, 2 * it->ntok * sizeof *it->sp);
    r->ntok += it->ntok;
    r->tok_off[n + 1] = r->ntok;
    push_str(r, d->id, d->id_len);
    r->str_off[3 * n + 1] = r->strs_len;
    push_str(r, d->text, d->text_len);
    r->str_off[3 * n + 2] = r->strs_len;
    push_str(r, d->source, slen);
    r->str_off[3 * n + 3] = r->strs_len;
    r->date[n] = d->date && dpi_dedup_parse_date(d->date, d->date_len, &t) == 0
                     ? t
                     : NO_DATE;
    /* 0 means "no source": a real hash of 0 reads as 1. */
    r->src_hash[n] = slen ? (XXH3_64bits(d->source, slen) | 1) : 0;
    r->ndocs = n + 1;
}

dp_status dp_reuse_add(dp_reuse *r, const dp_reuse_doc *docs, size_t n,
                       dp_status *status)
{
    add_batch b;
    item *items;
    size_t i;
    dp_status rc;

    if (!r || (!docs && n))
        return DP_EINVAL;
    if (n == 0)
        return DP_OK;
    items = calloc(n, sizeof *items);
    if (!items)
        return DP_ENOMEM;
    for (i = 0; i < n; i++) {
        items[i].doc = &docs[i];
        if (!docs[i].id || !docs[i].text)
            items[i].status = DP_EINVAL;
    }
    b.r = r;
    b.items = items;
    dpi_pool_run(r->o.threads, tokenise_job, &b, n);
    rc = reserve_batch(r, items, n);
    for (i = 0; i < n; i++) {
        if (!rc && items[i].status == DP_OK)
            append_doc(r, &items[i]);
        if (status)
            status[i] = rc ? rc : items[i].status;
        free(items[i].h);
        free(items[i].sp);
    }
    free(items);
    if (!rc) { /* the last run's results no longer describe the corpus */
        free_results(r);
        memset(&r->st, 0, sizeof r->st);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Candidate pairs                                                    */
/* ------------------------------------------------------------------ */

typedef struct gram_job {
    const dp_reuse *r;
    dp_kv *ng;          /* the n-gram records */
    const size_t *off;  /* per document: its first record */
    uint64_t **scratch; /* per worker: shingle hashes, or NULL */
    size_t *scap;
    dp_status *fail;
} gram_job;

static void grams_job(void *arg, unsigned worker, size_t job)
{
    gram_job *g = arg;
    const dp_reuse *r = g->r;
    size_t d, d0 = job * DOC_CHUNK, d1 = DP_MIN(r->ndocs, d0 + DOC_CHUNK);
    unsigned k = r->o.ngram;

    for (d = d0; d < d1; d++) {
        size_t nt = r->tok_off[d + 1] - r->tok_off[d];
        size_t m = dpi_shingle_count(nt, k), p;
        dp_kv *out = g->ng + g->off[d];
        if (m == 0)
            continue;
        if (DP_RESERVE(g->scratch[worker], g->scap[worker], m)) {
            g->fail[job] = DP_ENOMEM;
            return;
        }
        dpi_shingle_hash(r->hashes + r->tok_off[d], nt, k, g->scratch[worker]);
        for (p = 0; p < m; p++) {
            out[p].key = g->scratch[worker][p];
            out[p].val = ((uint64_t)d << 32) | p;
        }
    }
}

/* Every n-gram of every document, sorted by hash (then document and
 * position: the sort is stable and records are made in that order). */
static dp_status build_grams(dp_reuse *r, dp_kv **out, size_t *nout)
{
    size_t *off, total = 0, d, njobs = (r->ndocs + DOC_CHUNK - 1) / DOC_CHUNK;
    uint64_t *scratch[DP_POOL_MAX_THREADS] = {0};
    size_t scap[DP_POOL_MAX_THREADS] = {0};
    dp_status *fail = NULL, rc = DP_OK;
    dp_kv *ng = NULL;
    gram_job g;
    unsigned t;

    *out = NULL;
    *nout = 0;
    off = malloc((r->ndocs + 1) * sizeof *off);
    if (!off)
        return DP_ENOMEM;
    for (d = 0; d < r->ndocs; d++) {
        off[d] = total;
        total +=
            dpi_shingle_count(r->tok_off[d + 1] - r->tok_off[d], r->o.ngram);
    }
    off[r->ndocs] = total;
    if (total == 0)
        goto done;
    ng = malloc(total * sizeof *ng);
    fail = calloc(njobs, sizeof *fail);
    if (!ng || !fail) {
        rc = DP_ENOMEM;
        goto done;
    }
    g.r = r;
    g.ng = ng;
    g.off = off;
    g.scratch = scratch;
    g.scap = scap;
    g.fail = fail;
    dpi_pool_run(r->o.threads, grams_job, &g, njobs);
    for (d = 0; d < njobs && !rc; d++)
        rc = fail[d];
    if (!rc)
        rc = dpi_sort_kv(ng, total);
done:
    for (t = 0; t < DP_POOL_MAX_THREADS; t++)
        free(scratch[t]);
    free(fail);
    free(off);
    if (rc) {
        free(ng);
        return rc;
    }
    *out = ng;
    *nout = total;
    return DP_OK;
}

/* Append pair (a, b), a < b, unless the sources say to skip it. */
static dp_status emit(dp_reuse *r, uint32_t a, uint32_t b, uint64_t **pk,
                      size_t *n, size_t *cap)
{
    dp_status rc;
    if (r->o.ignore_same_source && r->src_hash[a] &&
        r->src_hash[a] == r->src_hash[b]) {
        r->st.same_source++;
        return DP_OK;
    }
    if (*n == *cap && (rc = DP_RESERVE(*pk, *cap, *n + 1)))
        return rc;
    (*pk)[(*n)++] = ((uint64_t)a << 32) | b;
    return DP_OK;
}

/*
 * The candidate pairs from the sorted n-grams, sorted and unique, each
 * sharing at least min_shared distinct n-grams (every n-gram emits a pair
 * once, so a run of equal pairs is their count of shared n-grams).
 * Long because the walk over hash runs, the distinct documents of each
 * run and its two emission rules (all pairs, or a star) belong together.
 */
static dp_status build_pairs(dp_reuse *r, const dp_kv *ng, size_t n,
                             uint64_t **out, size_t *nout)
{
    uint64_t *pk = NULL;
    size_t np = 0, cap = 0, i = 0, j, u;
    uint32_t *docs = NULL;
    size_t dcap = 0;
    dp_status rc = DP_OK;

    while (i < n && !rc) {
        size_t nd = 0;
        j = i;
        while (j < n && ng[j].key == ng[i].key)
            j++;
        if (j - i >= 2) {
            for (u = i; u < j; u++) {
                uint32_t d = (uint32_t)(ng[u].val >> 32);
                if (nd && docs[nd - 1] == d)
                    continue;
                if (nd == dcap && (rc = DP_RESERVE(docs, dcap, nd + 1)))
                    break;
                docs[nd++] = d;
            }
        }
        if (!rc && nd >= 2) {
            if (nd <= r->o.max_df) {
                size_t x, y;
                for (x = 0; x < nd && !rc; x++)
                    for (y = x + 1; y < nd && !rc; y++)
                        rc = emit(r, docs[x], docs[y], &pk, &np, &cap);
            } else {
                /* A star around the first document; under
                 * ignore_same_source the documents of the hub's own
                 * source hang on the first one of another source. */
                size_t y, alt = 0;
                r->st.frequent++;
                if (r->o.ignore_same_source && r->src_hash[docs[0]])
                    for (alt = 1; alt < nd; alt++)
                        if (r->src_hash[docs[alt]] != r->src_hash[docs[0]])
                            break;
                for (y = 1; y < nd && !rc; y++) {
                    uint32_t hub = docs[0];
                    if (alt && alt < nd && y != alt &&
                        r->src_hash[docs[y]] == r->src_hash[hub])
                        hub = docs[alt];
                    rc = hub < docs[y] ? emit(r, hub, docs[y], &pk, &np, &cap)
                                       : emit(r, docs[y], hub, &pk, &np, &cap);
                }
            }
        }
        i = j;
    }
    free(docs);
    if (!rc && np)
        rc = dpi_sort_u64(pk, np);
    if (rc) {
        free(pk);
        return rc;
    }
    {
        size_t a = 0, b, w = 0;
        size_t need = r->o.min_shared;
        while (a < np) {
            b = a;
            while (b < np && pk[b] == pk[a])
                b++;
            if (b - a >= need)
                pk[w++] = pk[a];
            a = b;
        }
        *nout = w;
    }
    *out = pk;
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Alignment of the candidate pairs                                   */
/* ------------------------------------------------------------------ */

typedef struct align_job {
    const dp_reuse *r;
    const uint64_t *pairs;
    size_t npairs;
    dp_align_opts ao;
    dp_match **m;    /* per job: the passages of its pairs, in order */
    uint32_t **pidx; /* per job: the pair of each passage */
    size_t *nm;      /* per job: how many */
    dp_status *fail; /* per job */
} align_job;

static void pairs_job(void *arg, unsigned worker, size_t job)
{
    align_job *a = arg;
    const dp_reuse *r = a->r;
    size_t p, p0 = job * PAIR_CHUNK, p1 = DP_MIN(a->npairs, p0 + PAIR_CHUNK);
    size_t n = 0, cap = 0, pcap = 0, k;
    dp_match *acc = NULL;
    uint32_t *pid = NULL;
    dp_status rc = DP_OK;

    DP_UNUSED(worker);
    for (p = p0; p < p1 && !rc; p++) {
        uint32_t da = (uint32_t)(a->pairs[p] >> 32);
        uint32_t db = (uint32_t)a->pairs[p];
        dp_match *m = NULL;
        size_t nm = 0;
        rc = dpi_align_tokens(
            r->hashes + r->tok_off[da], r->tok_off[da + 1] - r->tok_off[da],
            r->hashes + r->tok_off[db], r->tok_off[db + 1] - r->tok_off[db],
            &a->ao, &m, &nm);
        if (!rc && nm) {
            if ((rc = DP_RESERVE(acc, cap, n + nm)) ||
                (rc = DP_RESERVE(pid, pcap, n + nm))) {
                free(m);
                break;
            }
            memcpy(acc + n, m, nm * sizeof *m);
            for (k = 0; k < nm; k++)
                pid[n + k] = (uint32_t)p;
            n += nm;
        }
        free(m);
    }
    a->m[job] = acc;
    a->pidx[job] = pid;
    a->nm[job] = n;
    a->fail[job] = rc;
}

/* Align every pair; the passages land in r->pass / r->pm in pair order. */
static dp_status align_pairs(dp_reuse *r, const uint64_t *pairs, size_t np)
{
    size_t njobs = (np + PAIR_CHUNK - 1) / PAIR_CHUNK, j, total = 0, k;
    align_job a;
    dp_status rc = DP_OK;
    uint32_t last = UINT32_MAX;

    if (np == 0)
        return DP_OK;
    memset(&a, 0, sizeof a);
    a.r = r;
    a.pairs = pairs;
    a.npairs = np;
    dpi_align_opts_init(&a.ao);
    a.ao.min_words = r->o.min_words;
    a.ao.max_gap = r->o.max_gap;
    a.m = calloc(njobs, sizeof *a.m);
    a.pidx = calloc(njobs, sizeof *a.pidx);
    a.nm = calloc(njobs, sizeof *a.nm);
    a.fail = calloc(njobs, sizeof *a.fail);
    if (!a.m || !a.pidx || !a.nm || !a.fail) {
        rc = DP_ENOMEM;
        goto done;
    }
    dpi_pool_run(r->o.threads, pairs_job, &a, njobs);
    for (j = 0; j < njobs; j++) {
        if (a.fail[j] && !rc)
            rc = a.fail[j];
        total += a.nm[j];
    }
    if (rc || total == 0)
        goto done;
    r->pass = malloc(total * sizeof *r->pass);
    r->pm = malloc(total * sizeof *r->pm);
    if (!r->pass || !r->pm) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (j = 0; j < njobs; j++) {
        for (k = 0; k < a.nm[j]; k++) {
            uint32_t p = a.pidx[j][k];
            uint32_t da = (uint32_t)(pairs[p] >> 32), db = (uint32_t)pairs[p];
            const dp_match *m = &a.m[j][k];
            const uint32_t *sa = r->spans + 2 * r->tok_off[da];
            const uint32_t *sb = r->spans + 2 * r->tok_off[db];
            dp_reuse_passage *o = &r->pass[r->npass];
            o->a = da;
            o->b = db;
            o->a_span.start = sa[2 * m->a_begin];
            o->a_span.end = sa[2 * (m->a_end - 1) + 1];
            o->b_span.start = sb[2 * m->b_begin];
            o->b_span.end = sb[2 * (m->b_end - 1) + 1];
            o->words = DP_MAX(m->a_end - m->a_begin, m->b_end - m->b_begin);
            o->cluster = 0;
            r->pm[r->npass++] = *m;
            if (p != last)
                r->st.pairs++, last = p;
        }
    }
done:
    for (j = 0; a.m && j < njobs; j++) {
        free(a.m[j]);
        free(a.pidx[j]);
    }
    free(a.m);
    free(a.pidx);
    free(a.nm);
    free(a.fail);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Clusters                                                           */
/* ------------------------------------------------------------------ */

static uint32_t uf_find(uint32_t *up, uint32_t x)
{
    while (up[x] != x) {
        up[x] = up[up[x]];
        x = up[x];
    }
    return x;
}

static void uf_union(uint32_t *up, uint32_t x, uint32_t y)
{
    x = uf_find(up, x);
    y = uf_find(up, y);
    if (x < y)
        up[y] = x;
    else if (y < x)
        up[x] = y;
}

/* Passage side @v (2i: side a of passage i, 2i + 1: side b). */
static void side(const dp_reuse *r, uint32_t v, uint32_t *doc, uint32_t *tb,
                 uint32_t *te)
{
    const dp_reuse_passage *p = &r->pass[v / 2];
    const dp_match *m = &r->pm[v / 2];
    if (v & 1) {
        *doc = p->b, *tb = m->b_begin, *te = m->b_end;
    } else {
        *doc = p->a, *tb = m->a_begin, *te = m->a_end;
    }
}

/* Fill cluster @c's summary fields from its members. */
static void finish_cluster(dp_reuse *r, size_t c, size_t npass)
{
    dp_reuse_cluster *cl = &r->cl[c];
    size_t i, b = r->cl_start[c], e = r->cl_start[c + 1];
    int64_t best = NO_DATE;

    cl->members = r->mem + b;
    cl->nmembers = e - b;
    cl->docs = 0;
    cl->passages = npass;
    cl->earliest = -1;
    for (i = b; i < e; i++) {
        uint32_t d = r->mem[i].doc;
        if (i == b || r->mem[i - 1].doc != d)
            cl->docs++;
        if (r->date[d] != NO_DATE && (best == NO_DATE || r->date[d] < best)) {
            best = r->date[d];
            cl->earliest = (long)(i - b);
        }
    }
    cl->boilerplate =
        cl->docs >= r->o.boilerplate_min &&
        (double)cl->docs * 100.0 > r->o.boilerplate * (double)r->ndocs;
}

/*
 * Union-find over the passage sides, then members per component.
 * Long because the three sorts (sides by place, sides by component,
 * clusters by size) and the member merge share their arrays.
 */
static dp_status build_clusters(dp_reuse *r)
{
    size_t nv = 2 * r->npass, i, ncomp = 0, c;
    uint32_t *up = NULL, *comp = NULL, *cpass = NULL;
    dp_kv *byplace = NULL, *bycomp = NULL, *order = NULL;
    dp_reuse_member *mem = NULL;
    uint32_t *mtb = NULL, *mte = NULL, *final = NULL;
    size_t *start = NULL;
    dp_status rc = DP_ENOMEM;

    if (r->npass == 0)
        return DP_OK;
    if (nv > UINT32_MAX) /* places are numbered in 32 bits */
        return DP_ETOOBIG;
    up = malloc(nv * sizeof *up);
    comp = malloc(nv * sizeof *comp);
    byplace = malloc(nv * sizeof *byplace);
    bycomp = malloc(nv * sizeof *bycomp);
    if (!up || !comp || !byplace || !bycomp)
        goto done;
    for (i = 0; i < nv; i++) {
        uint32_t d, tb, te;
        up[i] = (uint32_t)i;
        side(r, (uint32_t)i, &d, &tb, &te);
        byplace[i].key = ((uint64_t)d << 32) | tb;
        byplace[i].val = i;
    }
    for (i = 0; i < r->npass; i++)
        uf_union(up, (uint32_t)(2 * i), (uint32_t)(2 * i + 1));
    if ((rc = dpi_sort_kv(byplace, nv)))
        goto done;
    /* Join the places of one document that overlap enough: each is
     * compared with the DP_REUSE_JOIN_WINDOW places before it (by start)
     * in the same document. */
    for (i = 1; i < nv; i++) {
        uint32_t v = (uint32_t)byplace[i].val, d, tb, te;
        size_t k, lo = i > DP_REUSE_JOIN_WINDOW ? i - DP_REUSE_JOIN_WINDOW : 0;
        side(r, v, &d, &tb, &te);
        for (k = i; k-- > lo;) {
            uint32_t w = (uint32_t)byplace[k].val, d2, b2, e2;
            side(r, w, &d2, &b2, &e2);
            if (d2 != d)
                break;
            if (dpi_reuse_join(b2, e2, tb, te))
                uf_union(up, w, v);
        }
    }
    /* Components numbered by their first place (document, start). */
    rc = DP_ENOMEM;
    for (i = 0; i < nv; i++)
        comp[i] = UINT32_MAX;
    {
        uint32_t *num = malloc(nv * sizeof *num);
        if (!num)
            goto done;
        for (i = 0; i < nv; i++)
            num[i] = UINT32_MAX;
        for (i = 0; i < nv; i++) {
            uint32_t v = (uint32_t)byplace[i].val, root = uf_find(up, v);
            if (num[root] == UINT32_MAX)
                num[root] = (uint32_t)ncomp++;
            comp[v] = num[root];
            bycomp[i].key = comp[v];
            bycomp[i].val = v;
        }
        free(num);
    }
    if ((rc = dpi_sort_kv(bycomp, nv)))
        goto done;
    rc = DP_ENOMEM;
    /* Members: each component's places per document, merged. */
    mem = malloc(nv * sizeof *mem);
    mtb = malloc(nv * sizeof *mtb);
    mte = malloc(nv * sizeof *mte);
    start = malloc((ncomp + 1) * sizeof *start);
    cpass = calloc(ncomp, sizeof *cpass);
    order = malloc(ncomp * sizeof *order);
    final = malloc(ncomp * sizeof *final);
    if (!mem || !mtb || !mte || !start || !cpass || !order || !final)
        goto done;
    {
        size_t nm = 0, cur = SIZE_MAX;
        for (i = 0; i < nv; i++) {
            uint32_t v = (uint32_t)bycomp[i].val, d, tb, te;
            size_t cc = (size_t)bycomp[i].key;
            side(r, v, &d, &tb, &te);
            if (cc != cur) {
                start[cc] = nm;
                cur = cc;
            } else if (mem[nm - 1].doc == d && tb < mte[nm - 1]) {
                if (te > mte[nm - 1])
                    mte[nm - 1] = te;
                continue;
            }
            mem[nm].doc = d;
            mtb[nm] = tb;
            mte[nm] = te;
            nm++;
        }
        start[ncomp] = nm;
        for (i = 0; i < r->npass; i++)
            cpass[comp[2 * i]]++;
        /* Largest first; ties keep the order of the first place. */
        for (c = 0; c < ncomp; c++) {
            size_t nd = 0, k;
            for (k = start[c]; k < start[c + 1]; k++)
                nd += k == start[c] || mem[k].doc != mem[k - 1].doc;
            order[c].key = (uint64_t)(SIZE_MAX - nd);
            order[c].val = c;
        }
        if ((rc = dpi_sort_kv(order, ncomp)))
            goto done;
        rc = DP_ENOMEM;
        /* Lay the members out in the final cluster order. */
        r->mem = malloc(DP_MAX(nm, 1) * sizeof *r->mem);
        r->mtb = malloc(DP_MAX(nm, 1) * sizeof *r->mtb);
        r->mte = malloc(DP_MAX(nm, 1) * sizeof *r->mte);
        r->cl_start = malloc((ncomp + 1) * sizeof *r->cl_start);
        r->cl = calloc(ncomp, sizeof *r->cl);
        if (!r->mem || !r->mtb || !r->mte || !r->cl_start || !r->cl)
            goto done;
        r->nmem = 0;
        for (c = 0; c < ncomp; c++) {
            size_t oc = (size_t)order[c].val, k;
            final[oc] = (uint32_t)c;
            r->cl_start[c] = r->nmem;
            for (k = start[oc]; k < start[oc + 1]; k++) {
                const uint32_t *sp = r->spans + 2 * r->tok_off[mem[k].doc];
                dp_reuse_member *m = &r->mem[r->nmem];
                m->doc = mem[k].doc;
                m->span.start = sp[2 * mtb[k]];
                m->span.end = sp[2 * (mte[k] - 1) + 1];
                m->words = mte[k] - mtb[k];
                r->mtb[r->nmem] = mtb[k];
                r->mte[r->nmem] = mte[k];
                r->nmem++;
            }
        }
        r->cl_start[ncomp] = r->nmem;
        r->ncl = ncomp;
        for (c = 0; c < ncomp; c++)
            finish_cluster(r, c, cpass[order[c].val]);
        for (i = 0; i < r->npass; i++)
            r->pass[i].cluster = final[comp[2 * i]];
    }
    rc = DP_OK;
done:
    free(up);
    free(comp);
    free(cpass);
    free(byplace);
    free(bycomp);
    free(order);
    free(mem);
    free(mtb);
    free(mte);
    free(start);
    free(final);
    return rc;
}

/* Drop the boilerplate clusters and their passages, renumbering the rest
 * (their order is kept). */
static dp_status drop_boilerplate(dp_reuse *r)
{
    size_t c, nc = 0, nm = 0, i, np = 0;
    size_t *newid = malloc(DP_MAX(r->ncl, 1) * sizeof *newid);
    if (!newid)
        return DP_ENOMEM;
    for (c = 0; c < r->ncl; c++) {
        size_t b = r->cl_start[c], e = r->cl_start[c + 1];
        if (r->cl[c].boilerplate) {
            newid[c] = SIZE_MAX;
            r->st.boilerplate++;
            continue;
        }
        newid[c] = nc;
        memmove(r->mem + nm, r->mem + b, (e - b) * sizeof *r->mem);
        memmove(r->mtb + nm, r->mtb + b, (e - b) * sizeof *r->mtb);
        memmove(r->mte + nm, r->mte + b, (e - b) * sizeof *r->mte);
        r->cl[nc] = r->cl[c];
        r->cl_start[nc] = nm;
        nm += e - b;
        nc++;
    }
    r->cl_start[nc] = nm;
    for (c = 0; c < nc; c++)
        r->cl[c].members = r->mem + r->cl_start[c];
    for (i = 0; i < r->npass; i++) {
        size_t id = newid[r->pass[i].cluster];
        if (id == SIZE_MAX) {
            r->st.dropped++;
            continue;
        }
        r->pass[np] = r->pass[i];
        r->pass[np].cluster = id;
        r->pm[np++] = r->pm[i];
    }
    r->npass = np;
    r->ncl = nc;
    r->nmem = nm;
    free(newid);
    return DP_OK;
}

dp_status dp_reuse_run(dp_reuse *r)
{
    dp_kv *ng = NULL;
    uint64_t *pairs = NULL;
    size_t nng = 0, np = 0, c;
    dp_status rc;

    if (!r)
        return DP_EINVAL;
    free_results(r);
    memset(&r->st, 0, sizeof r->st);
    rc = build_grams(r, &ng, &nng);
    if (rc)
        return rc;
    r->st.ngrams = nng;
    rc = build_pairs(r, ng, nng, &pairs, &np);
    free(ng);
    if (rc)
        return rc;
    r->st.candidates = np;
    rc = align_pairs(r, pairs, np);
    free(pairs);
    if (!rc)
        rc = build_clusters(r);
    if (rc) {
        free_results(r);
        return rc;
    }
    if (r->o.drop_boilerplate) {
        if ((rc = drop_boilerplate(r))) {
            free_results(r);
            return rc;
        }
    } else {
        for (c = 0; c < r->ncl; c++)
            r->st.boilerplate += (size_t)r->cl[c].boilerplate;
    }
    r->st.passages = r->npass;
    r->st.clusters = r->ncl;
    return DP_OK;
}
