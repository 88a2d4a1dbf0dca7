/*
 * stories.c - same-story clusters over a corpus: the dp_stories_* API.
 *
 * The data's path: dp_stories_add() turns each text into a document on
 * the pool's threads (one dp_work per worker) and keeps only its flat
 * features (features.c: sorted content keys with tf and class, dates)
 * and copies of its bytes and metadata. dp_stories_run():
 *
 *   1. corpus document frequencies of every key (one sort of all keys),
 *      plus the background table when given; each document's key weights
 *      idf(t) (features.c);
 *   2. candidates: each document posts its CAND_KEYS most specific keys
 *      (highest idf, df >= 2, df within the posting cap) to an inverted
 *      index; two documents become a candidate pair when they share at
 *      least two posted keys (one when either posts fewer than four).
 *      Keys in more than the posting cap of documents post nothing, so
 *      the work is about linear in the corpus, never all pairs;
 *   3. the same-story score of every candidate pair (features.c), on the
 *      pool's threads over fixed ranges;
 *   4. clusters: average-linkage agglomeration over the sparse graph of
 *      scored pairs (nearest-neighbour chain; pairs never scored count
 *      0) merges two groups only while their average link is at least
 *      the threshold.
 *
 * Determinism: every per-document and per-pair result is written to its
 * own slot; pairs are sorted; the chain starts from the smallest
 * document still open and breaks ties by group number; cluster ids
 * and order come from the member ids. So the result is the same for any
 * thread count, and a cluster's id does not depend on the run.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/pool.h"
#include "core/sort.h"
#include "core/util.h"
#include "story/stories.h"
#include "story/story.h"
#include "text/doc.h"

#define MAX_DOCS     ((size_t)1 << 31)
#define NFIELDS      5 /* id, text, date, source, title */
#define NO_STR       UINT64_MAX
#define CAND_KEYS    24  /* keys each document posts */
#define POST_CAP_MIN 16  /* a key in at most max(MIN, N/DIV, ...) */
#define POST_CAP_DIV 20  /* ... documents posts */
#define POST_CAP_MAX 100 /* ... and never more than this */
#define SAME_ALL     64  /* identical documents: all pairs up to this */

enum { F_ID = 0, F_TEXT, F_DATE, F_SOURCE, F_TITLE };

struct dp_stories {
    dp_stories_opts o;
    dp_story_weights w;
    dp_work *work[DP_POOL_MAX_THREADS];
    unsigned nthreads;

    size_t ndocs, cap;
    uint64_t *str_off; /* NFIELDS per document, NO_STR when absent */
    uint64_t *str_len; /* NFIELDS per document */
    char *strs;        /* every string, NUL-terminated, back to back */
    size_t strs_len, strs_cap;
    uint64_t *key_off; /* cap + 1 offsets into keys/tc */
    uint64_t *keys;
    uint32_t *tc;
    size_t nkeys, keys_cap;
    dp_story_dates *dates;
    uint64_t *body; /* per document: hash of its body's features */

    /* run results */
    int ran;
    uint64_t *ck; /* corpus keys, ascending, and their df */
    uint32_t *cdf;
    size_t nck;
    float *kw;       /* nkeys: key weight of each document key */
    float *vw;       /* nkeys: its vector weight */
    double *idfv;    /* nkeys: idf of each document key (during a run) */
    double *sums;    /* 3 per document: tw, nw, mw (dp_story_feat) */
    uint32_t *nnum;  /* per document: distinct numbers */
    uint64_t *pairs; /* candidate pairs a << 32 | b (a < b), ascending */
    float *pscore;   /* their scores */
    size_t npairs;
    uint32_t *cl_of;   /* ndocs: the cluster of each document */
    uint32_t *members; /* ndocs: members of every cluster, back to back */
    size_t *cl_off;    /* nclusters + 1 */
    char (*cl_id)[18]; /* "s" + 16 hex */
    double *cl_coh;    /* cohesion */
    size_t nclusters;
    dp_stories_stats st;
};

/* ------------------------------------------------------------------ */
/* Options, create, free                                              */
/* ------------------------------------------------------------------ */

void dp_stories_opts_init(dp_stories_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->threshold = DP_STORIES_THRESHOLD;
    o->link_min = DP_STORIES_LINK_MIN;
    o->threads = 0;
    dp_text_opts_init(&o->text);
    o->idf = NULL;
}

dp_status dp_stories_create(const dp_stories_opts *opts, dp_stories **out)
{
    dp_stories *s;
    if (!out)
        return DP_EINVAL;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return DP_ENOMEM;
    if (opts)
        s->o = *opts;
    else
        dp_stories_opts_init(&s->o);
    if (!(s->o.threshold > 0.0 && s->o.threshold < 1.0) ||
        !(s->o.link_min >= 0.0 && s->o.link_min < 1.0)) {
        free(s);
        return DP_EINVAL;
    }
    dpi_story_weights_init(&s->w);
    s->nthreads = dpi_pool_threads(s->o.threads);
    *out = s;
    return DP_OK;
}

static void free_run(dp_stories *s)
{
    free(s->ck);
    free(s->cdf);
    free(s->kw);
    free(s->vw);
    free(s->idfv);
    free(s->sums);
    free(s->nnum);
    free(s->pairs);
    free(s->pscore);
    free(s->cl_of);
    free(s->members);
    free(s->cl_off);
    free(s->cl_id);
    free(s->cl_coh);
    s->ck = NULL;
    s->cdf = NULL;
    s->kw = NULL;
    s->vw = NULL;
    s->idfv = NULL;
    s->sums = NULL;
    s->nnum = NULL;
    s->pairs = NULL;
    s->pscore = NULL;
    s->cl_of = NULL;
    s->members = NULL;
    s->cl_off = NULL;
    s->cl_id = NULL;
    s->cl_coh = NULL;
    s->nck = s->npairs = s->nclusters = 0;
    s->ran = 0;
    memset(&s->st, 0, sizeof s->st);
}

void dp_stories_free(dp_stories *s)
{
    unsigned t;
    if (!s)
        return;
    free_run(s);
    for (t = 0; t < DP_POOL_MAX_THREADS; t++)
        dp_work_free(s->work[t]);
    free(s->str_off);
    free(s->str_len);
    free(s->strs);
    free(s->key_off);
    free(s->keys);
    free(s->tc);
    free(s->dates);
    free(s->body);
    free(s);
}

dp_story_weights *dpi_stories_weights(dp_stories *s)
{
    return s ? &s->w : NULL;
}

/* ------------------------------------------------------------------ */
/* Adding documents                                                   */
/* ------------------------------------------------------------------ */

typedef struct item {
    dp_status status;
    uint64_t body; /* hash of the body's features */
    uint64_t *keys;
    uint32_t *tc;
    size_t n;
    dp_story_dates dates;
} item;

typedef struct batch {
    dp_stories *s;
    const dp_stories_doc *docs;
    item *items;
} batch;

static void feat_job(void *arg, unsigned worker, size_t i)
{
    batch *b = arg;
    dp_stories *s = b->s;
    const dp_stories_doc *d = &b->docs[i];
    item *it = &b->items[i];
    dp_doc *doc = NULL;
    int32_t day = DP_NO_DAY;

    if (!s->work[worker] && dp_work_create(&s->work[worker])) {
        it->status = DP_ENOMEM;
        return;
    }
    it->status =
        dp_doc_create_in(s->work[worker], d->text ? d->text : "",
                         d->text ? d->text_len : 0, &s->o.text, &doc, NULL);
    if (it->status)
        return;
    if (doc->ntoks == 0) {
        it->status = DP_EEMPTY;
        dp_doc_free(doc);
        return;
    }
    it->status = dpi_story_feat_build(doc, &it->keys, &it->tc, &it->n);
    /* the body's features, before the title joins them: identical bodies
     * are always compared (same_features) */
    it->body = it->n ? XXH3_64bits(it->keys, it->n * sizeof *it->keys) ^
                           XXH3_64bits(it->tc, it->n * sizeof *it->tc)
                     : 0;
    if (!it->status && s->w.use_title && d->title && d->title_len) {
        dp_doc *t = NULL;
        /* a title that is not valid text is not evidence: skipped */
        if (dp_doc_create_in(s->work[worker], d->title, d->title_len,
                             &s->o.text, &t, NULL) == DP_OK)
            it->status = dpi_story_feat_title(t, &it->keys, &it->tc, &it->n);
        dp_doc_free(t);
    }
    if (d->date && d->date_len)
        (void)dpi_date_parse(d->date, d->date_len, &day);
    dpi_date_scan(doc, day, &it->dates);
    dp_doc_free(doc);
}

static dp_status reserve(dp_stories *s, const batch *b, size_t n)
{
    size_t i, need_docs = s->ndocs, need_keys = s->nkeys,
              need_strs = s->strs_len;
    dp_status rc;
    for (i = 0; i < n; i++) {
        const dp_stories_doc *d = &b->docs[i];
        if (b->items[i].status)
            continue;
        need_docs++;
        need_keys += b->items[i].n;
        need_strs += d->id_len + 1 + d->text_len + 1;
        need_strs += d->date ? d->date_len + 1 : 0;
        need_strs += d->source ? d->source_len + 1 : 0;
        need_strs += d->title ? d->title_len + 1 : 0;
    }
    if (need_docs > MAX_DOCS)
        return DP_ETOOBIG;
    if (need_docs > s->cap) {
        size_t cap = s->cap ? s->cap : 256, c;
        while (cap < need_docs)
            cap *= 2;
        c = s->cap * NFIELDS;
        if ((rc = dpi_grow((void **)&s->str_off, &c, cap * NFIELDS,
                           sizeof *s->str_off)))
            return rc;
        c = s->cap * NFIELDS;
        if ((rc = dpi_grow((void **)&s->str_len, &c, cap * NFIELDS,
                           sizeof *s->str_len)))
            return rc;
        c = s->cap ? s->cap + 1 : 0;
        if ((rc = dpi_grow((void **)&s->key_off, &c, cap + 1,
                           sizeof *s->key_off)))
            return rc;
        c = s->cap;
        if ((rc = dpi_grow((void **)&s->dates, &c, cap, sizeof *s->dates)))
            return rc;
        c = s->cap;
        if ((rc = dpi_grow((void **)&s->body, &c, cap, sizeof *s->body)))
            return rc;
        s->cap = cap;
    }
    if (need_keys > s->keys_cap) {
        size_t c1 = s->keys_cap, c2 = s->keys_cap;
        if ((rc = dpi_grow((void **)&s->keys, &c1, need_keys, sizeof *s->keys)))
            return rc;
        if ((rc = dpi_grow((void **)&s->tc, &c2, need_keys, sizeof *s->tc)))
            return rc;
        s->keys_cap = DP_MIN(c1, c2);
    }
    return DP_RESERVE(s->strs, s->strs_cap, need_strs);
}

static void put_str(dp_stories *s, size_t doc, int f, const char *p, size_t n,
                    int present)
{
    s->str_off[doc * NFIELDS + f] = present ? s->strs_len : NO_STR;
    s->str_len[doc * NFIELDS + f] = present ? n : 0;
    if (!present)
        return;
    if (n)
        memcpy(s->strs + s->strs_len, p, n);
    s->strs[s->strs_len + n] = '\0';
    s->strs_len += n + 1;
}

dp_status dp_stories_add(dp_stories *s, const dp_stories_doc *docs, size_t n,
                         dp_status *status)
{
    batch b;
    size_t i;
    dp_status rc = DP_OK;

    if (!s || (!docs && n))
        return DP_EINVAL;
    if (n == 0)
        return DP_OK;
    for (i = 0; i < n; i++)
        if (!docs[i].id || !docs[i].id_len ||
            (!docs[i].text && docs[i].text_len))
            return DP_EINVAL;
    b.s = s;
    b.docs = docs;
    b.items = calloc(n, sizeof *b.items);
    if (!b.items) {
        rc = DP_ENOMEM;
        goto done;
    }
    dpi_pool_run(s->nthreads, feat_job, &b, n);
    for (i = 0; i < n; i++)
        if (b.items[i].status == DP_ENOMEM)
            rc = DP_ENOMEM;
    if (!rc)
        rc = reserve(s, &b, n);
    if (rc)
        goto done;
    free_run(s);
    if (s->ndocs == 0 && s->key_off)
        s->key_off[0] = 0;
    for (i = 0; i < n; i++) {
        const dp_stories_doc *d = &docs[i];
        item *it = &b.items[i];
        size_t k = s->ndocs;
        if (status)
            status[i] = it->status;
        if (it->status)
            continue;
        put_str(s, k, F_ID, d->id, d->id_len, 1);
        put_str(s, k, F_TEXT, d->text, d->text_len, 1);
        put_str(s, k, F_DATE, d->date, d->date_len, d->date != NULL);
        put_str(s, k, F_SOURCE, d->source, d->source_len, d->source != NULL);
        put_str(s, k, F_TITLE, d->title, d->title_len, d->title != NULL);
        if (it->n) {
            memcpy(s->keys + s->nkeys, it->keys, it->n * sizeof *s->keys);
            memcpy(s->tc + s->nkeys, it->tc, it->n * sizeof *s->tc);
        }
        s->nkeys += it->n;
        s->key_off[k + 1] = s->nkeys;
        s->dates[k] = it->dates;
        s->body[k] = it->body;
        s->ndocs = k + 1;
    }
done:
    if (rc && status)
        for (i = 0; i < n; i++)
            status[i] = rc;
    for (i = 0; b.items && i < n; i++) {
        free(b.items[i].keys);
        free(b.items[i].tc);
    }
    free(b.items);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                          */
/* ------------------------------------------------------------------ */

static const char *str_of(const dp_stories *s, size_t doc, int f, size_t *len)
{
    uint64_t off = s->str_off[doc * NFIELDS + f];
    if (len)
        *len = off == NO_STR ? 0 : (size_t)s->str_len[doc * NFIELDS + f];
    return off == NO_STR ? NULL : s->strs + off;
}

size_t dp_stories_docs(const dp_stories *s)
{
    return s ? s->ndocs : 0;
}

dp_status dp_stories_doc_get(const dp_stories *s, size_t i, dp_stories_doc *out)
{
    if (!s || !out || i >= s->ndocs)
        return DP_EINVAL;
    out->id = str_of(s, i, F_ID, &out->id_len);
    out->text = str_of(s, i, F_TEXT, &out->text_len);
    out->date = str_of(s, i, F_DATE, &out->date_len);
    out->source = str_of(s, i, F_SOURCE, &out->source_len);
    out->title = str_of(s, i, F_TITLE, &out->title_len);
    return DP_OK;
}

long dp_stories_find(const dp_stories *s, const char *id, size_t id_len)
{
    size_t i;
    if (!s || !id)
        return -1;
    for (i = 0; i < s->ndocs; i++) {
        size_t n;
        const char *p = str_of(s, i, F_ID, &n);
        if (n == id_len && memcmp(p, id, n) == 0)
            return (long)i;
    }
    return -1;
}

int32_t dp_stories_day(const dp_stories *s, size_t i)
{
    if (!s || i >= s->ndocs)
        return INT32_MIN;
    return s->dates[i].ref_day;
}

size_t dp_stories_clusters(const dp_stories *s)
{
    return s && s->ran ? s->nclusters : 0;
}

dp_status dp_stories_cluster_get(const dp_stories *s, size_t c,
                                 dp_stories_cluster *out)
{
    if (!s || !out || !s->ran || c >= s->nclusters)
        return DP_EINVAL;
    out->id = s->cl_id[c];
    out->members = s->members + s->cl_off[c];
    out->n = s->cl_off[c + 1] - s->cl_off[c];
    out->primary = out->members[0];
    out->cohesion = s->cl_coh[c];
    return DP_OK;
}

long dp_stories_cluster_of(const dp_stories *s, size_t i)
{
    if (!s || !s->ran || i >= s->ndocs)
        return -1;
    return (long)s->cl_of[i];
}

void dp_stories_stats_get(const dp_stories *s, dp_stories_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->best_a = out->best_b = -1;
    if (!s)
        return;
    if (s->ran)
        *out = s->st;
    out->docs = s->ndocs;
    out->memory =
        s->cap * (NFIELDS * 16 + 8 + sizeof *s->dates) + s->keys_cap * 12 +
        s->strs_cap +
        (s->ran ? s->nkeys * 8 + s->npairs * 12 + s->nck * 12 + s->ndocs * 40
                : 0);
}

void dpi_stories_feat(const dp_stories *s, size_t i, dp_story_feat *f)
{
    memset(f, 0, sizeof *f);
    f->n = (size_t)(s->key_off[i + 1] - s->key_off[i]);
    if (s->keys) { /* NULL while no document has a key */
        f->keys = s->keys + s->key_off[i];
        f->tc = s->tc + s->key_off[i];
    }
    f->dates = s->dates[i];
    if (s->kw && s->sums && s->keys) {
        f->kw = s->kw + s->key_off[i];
        f->vw = s->vw + s->key_off[i];
        f->tw = s->sums[3 * i];
        f->nw = s->sums[3 * i + 1];
        f->mw = s->sums[3 * i + 2];
        f->nnum = s->nnum[i];
    }
}

/* ------------------------------------------------------------------ */
/* Run: document frequencies and weights                              */
/* ------------------------------------------------------------------ */

static dp_status corpus_df(dp_stories *s)
{
    uint64_t *all;
    size_t i, m = 0;
    dp_status rc;
    all = malloc((s->nkeys ? s->nkeys : 1) * sizeof *all);
    if (!all)
        return DP_ENOMEM;
    if (s->nkeys)
        memcpy(all, s->keys, s->nkeys * sizeof *all);
    rc = dpi_sort_u64(all, s->nkeys);
    if (rc) {
        free(all);
        return rc;
    }
    s->cdf = malloc((s->nkeys ? s->nkeys : 1) * sizeof *s->cdf);
    if (!s->cdf) {
        free(all);
        return DP_ENOMEM;
    }
    for (i = 0; i < s->nkeys;) {
        size_t j = i;
        while (j < s->nkeys && all[j] == all[i])
            j++;
        all[m] = all[i];
        s->cdf[m] = (uint32_t)(j - i);
        m++;
        i = j;
    }
    s->ck = all;
    s->nck = m;
    return DP_OK;
}

typedef struct run_ctx {
    dp_stories *s;
    dp_story_idf idf;
    size_t njobs;
    /* candidate postings */
    dp_kv *post;   /* key, doc */
    size_t *npost; /* per document: posted keys */
    uint32_t cap_df;
} run_ctx;

static void weight_job(void *arg, unsigned worker, size_t job)
{
    run_ctx *r = arg;
    dp_stories *s = r->s;
    size_t lo = s->ndocs * job / r->njobs, hi = s->ndocs * (job + 1) / r->njobs;
    size_t d, k;
    DP_UNUSED(worker);
    for (d = lo; d < hi; d++) {
        size_t a = (size_t)s->key_off[d], b = (size_t)s->key_off[d + 1];
        dp_kv cand[CAND_KEYS];
        size_t nc = 0;
        for (k = a; k < b; k++) {
            double w = dpi_story_idf_weight(&r->idf, s->keys[k]);
            unsigned c = s->tc[k] & 3;
            double spec;
            size_t lo2 = 0, hi2 = s->nck;
            uint32_t df;
            s->idfv[k] = w;
            /* corpus df of this key, for the posting cap */
            while (lo2 < hi2) {
                size_t mid = lo2 + (hi2 - lo2) / 2;
                if (s->ck[mid] < s->keys[k])
                    lo2 = mid + 1;
                else
                    hi2 = mid;
            }
            df = s->cdf[lo2];
            if (df < 2 || df > r->cap_df)
                continue;
            /* keep the CAND_KEYS most characteristic keys, by the weight
             * the score gives them (ties: smaller key): insertion */
            spec = w * sqrt(1.0 + log((double)(s->tc[k] >> 2))) *
                   (c == DP_CLS_NAME     ? s->w.name_boost
                    : c == DP_CLS_NUMBER ? s->w.num_boost
                                         : 1.0);
            {
                dp_kv e;
                size_t p;
                e.key = UINT64_MAX - (uint64_t)(spec * 1e6);
                e.val = s->keys[k];
                if (nc == CAND_KEYS &&
                    (cand[nc - 1].key < e.key ||
                     (cand[nc - 1].key == e.key && cand[nc - 1].val < e.val)))
                    continue;
                if (nc < CAND_KEYS)
                    nc++;
                p = nc - 1;
                while (p > 0 &&
                       (cand[p - 1].key > e.key || (cand[p - 1].key == e.key &&
                                                    cand[p - 1].val > e.val))) {
                    cand[p] = cand[p - 1];
                    p--;
                }
                cand[p] = e;
            }
        }
        {
            dp_story_feat f;
            dpi_stories_feat(s, d, &f);
            dpi_story_feat_weigh(&s->w, &f, s->idfv + a, s->kw + a, s->vw + a);
            s->sums[3 * d] = f.tw;
            s->sums[3 * d + 1] = f.nw;
            s->sums[3 * d + 2] = f.mw;
            s->nnum[d] = (uint32_t)f.nnum;
        }
        for (k = 0; k < nc; k++) {
            r->post[d * CAND_KEYS + k].key = cand[k].val;
            r->post[d * CAND_KEYS + k].val = d;
        }
        r->npost[d] = nc;
    }
}

/* ------------------------------------------------------------------ */
/* Run: candidate pairs and their scores                              */
/* ------------------------------------------------------------------ */

/* Pairs of documents whose bodies have identical features (titles
 * aside), appended to *@pairs
 * (then sorted, duplicates dropped): every pair of a group of up to
 * SAME_ALL, else each member with the group's first. */
static dp_status same_features(dp_stories *s, uint64_t **pairs, size_t *cap,
                               size_t *n)
{
    dp_kv *h = malloc((s->ndocs ? s->ndocs : 1) * sizeof *h);
    size_t i, m = 0;
    dp_status rc = DP_OK;
    if (!h)
        return DP_ENOMEM;
    for (i = 0; i < s->ndocs; i++) {
        h[i].key = s->body[i];
        h[i].val = i;
    }
    if ((rc = dpi_sort_kv(h, s->ndocs)))
        goto done;
    for (i = 0; i < s->ndocs;) {
        size_t j = i, x, y;
        while (j < s->ndocs && h[j].key == h[i].key)
            j++;
        for (x = i; x < j; x++)
            for (y = x + 1; y < j && (x == i || j - i <= SAME_ALL); y++) {
                uint64_t a = DP_MIN(h[x].val, h[y].val),
                         b = DP_MAX(h[x].val, h[y].val);
                if ((rc = DP_RESERVE(*pairs, *cap, *n + 1)))
                    goto done;
                (*pairs)[(*n)++] = a << 32 | b;
                m++;
            }
        i = j;
    }
    if (m)
        *n = dpi_sort_unique_u64(*pairs, *n);
done:
    free(h);
    return rc;
}

/* Long because it gathers the postings, sorts them, emits the pairs of
 * every posting list and keeps those sharing enough keys. */
static dp_status candidates(run_ctx *r)
{
    dp_stories *s = r->s;
    dp_kv *post = NULL;
    uint64_t *pairs = NULL;
    size_t np = 0, i, npairs = 0, pcap = 0, out = 0;
    dp_status rc = DP_OK;

    post = malloc((s->ndocs ? s->ndocs * CAND_KEYS : 1) * sizeof *post);
    if (!post)
        return DP_ENOMEM;
    for (i = 0; i < s->ndocs; i++) {
        memmove(post + np, r->post + i * CAND_KEYS, r->npost[i] * sizeof *post);
        np += r->npost[i];
    }
    if ((rc = dpi_sort_kv(post, np)))
        goto done;
    for (i = 0; i < np;) {
        size_t j = i, a, b;
        while (j < np && post[j].key == post[i].key)
            j++;
        if ((rc = DP_RESERVE(pairs, pcap, npairs + (j - i) * (j - i - 1) / 2)))
            goto done;
        for (a = i; a < j; a++)
            for (b = a + 1; b < j; b++) {
                uint64_t x = post[a].val, y = post[b].val;
                pairs[npairs++] = x < y ? x << 32 | y : y << 32 | x;
            }
        i = j;
    }
    if ((rc = dpi_sort_u64(pairs, npairs)))
        goto done;
    for (i = 0; i < npairs;) {
        size_t j = i, need;
        uint32_t a, b;
        while (j < npairs && pairs[j] == pairs[i])
            j++;
        a = (uint32_t)(pairs[i] >> 32);
        b = (uint32_t)pairs[i];
        need = (r->npost[a] < 4 || r->npost[b] < 4) ? 1 : 2;
        if (j - i >= need)
            pairs[out++] = pairs[i];
        i = j;
    }
    /* documents with the same features (identical bodies; a short formula
     * whose every key is too common to post) are always compared */
    if ((rc = same_features(s, &pairs, &pcap, &out)))
        goto done;
    s->pairs = pairs;
    pairs = NULL;
    s->npairs = out;
done:
    free(pairs);
    free(post);
    return rc;
}

/*
 * Whether documents @a and @b have byte-identical texts: a copy is one
 * story with its original whatever the dates say (a re-filed item, or one
 * template text put out twice: the text is the story the reader sees).
 * Only pairs whose body features hash alike are looked at.
 */
static int same_text(const dp_stories *s, size_t a, size_t b)
{
    size_t la, lb;
    const char *ta, *tb;
    if (s->body[a] != s->body[b] || !s->body[a])
        return 0;
    ta = str_of(s, a, F_TEXT, &la);
    tb = str_of(s, b, F_TEXT, &lb);
    return ta && tb && la == lb && memcmp(ta, tb, la) == 0;
}

static void score_job(void *arg, unsigned worker, size_t job)
{
    run_ctx *r = arg;
    dp_stories *s = r->s;
    size_t lo = s->npairs * job / r->njobs,
           hi = s->npairs * (job + 1) / r->njobs;
    size_t p;
    DP_UNUSED(worker);
    for (p = lo; p < hi; p++) {
        dp_story_feat fa, fb;
        dp_story_pair sp;
        dpi_stories_feat(s, (size_t)(s->pairs[p] >> 32), &fa);
        dpi_stories_feat(s, (size_t)(uint32_t)s->pairs[p], &fb);
        dpi_story_pair_score(&s->w, &fa, &fb, &sp);
        s->pscore[p] = (float)sp.score;
        if (same_text(s, (size_t)(s->pairs[p] >> 32),
                      (size_t)(uint32_t)s->pairs[p]))
            s->pscore[p] = 1.0f;
    }
}

/* ------------------------------------------------------------------ */
/* Run: clustering                                                    */
/* ------------------------------------------------------------------ */

static size_t pair_find(const dp_stories *s, uint32_t a, uint32_t b)
{
    uint64_t key = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
    size_t lo = dpi_lower_bound_u64(s->pairs, s->npairs, key);
    return lo < s->npairs && s->pairs[lo] == key ? lo : (size_t)-1;
}

static double pair_score_of(const dp_stories *s, uint32_t a, uint32_t b)
{
    size_t p = pair_find(s, a, b);
    return p == (size_t)-1 ? 0.0 : (double)s->pscore[p];
}

/* Order of clusters and members */
static int id_cmp(const dp_stories *s, uint32_t a, uint32_t b)
{
    size_t na, nb;
    const char *pa = str_of(s, a, F_ID, &na), *pb = str_of(s, b, F_ID, &nb);
    int c = memcmp(pa, pb, DP_MIN(na, nb));
    if (c)
        return c;
    return na < nb ? -1 : na > nb;
}

/* Member order: by reference day (undated last), then id. */
static int member_less(const dp_stories *s, uint32_t a, uint32_t b)
{
    int32_t da = s->dates[a].ref_day, db = s->dates[b].ref_day;
    if (da != db) {
        if (da == DP_NO_DAY)
            return 0;
        if (db == DP_NO_DAY)
            return 1;
        return da < db;
    }
    return id_cmp(s, a, b) < 0;
}

/* Sort @v (@n document numbers) by member_less(); @tmp: n entries. */
static void sort_members(const dp_stories *s, uint32_t *v, size_t n,
                         uint32_t *tmp)
{
    size_t w, i;
    /* bottom-up merge sort */
    for (w = 1; w < n; w *= 2) {
        for (i = 0; i < n; i += 2 * w) {
            size_t l = i, mid = DP_MIN(i + w, n), r = mid,
                   e = DP_MIN(i + 2 * w, n), k = i;
            while (l < mid && r < e)
                tmp[k++] = member_less(s, v[r], v[l]) ? v[r++] : v[l++];
            while (l < mid)
                tmp[k++] = v[l++];
            while (r < e)
                tmp[k++] = v[r++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

static void id_sort(const dp_stories *s, uint32_t *v, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        uint32_t x = v[i];
        for (j = i; j > 0 && id_cmp(s, x, v[j - 1]) < 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Long because it lays out the final groups: members in order, the
 * primary chosen, the id hashed, and the clusters sorted. */
static dp_status finish_clusters(dp_stories *s, uint32_t *group)
{
    size_t n = s->ndocs, i, c;
    uint32_t *cnt = NULL, *tmp = NULL, *byid = NULL, *ord = NULL;
    size_t *off = NULL;
    uint32_t *mem = NULL, *gidx = NULL;
    dp_status rc = DP_ENOMEM;
    size_t ng = 0;

    cnt = calloc(n + 1, sizeof *cnt);
    gidx = malloc((n + 1) * sizeof *gidx);
    tmp = malloc((n + 1) * sizeof *tmp);
    byid = malloc((n + 1) * sizeof *byid);
    mem = malloc((n + 1) * sizeof *mem);
    if (!cnt || !gidx || !tmp || !byid || !mem)
        goto done;
    /* number groups by their smallest document */
    for (i = 0; i < n; i++)
        gidx[i] = UINT32_MAX;
    for (i = 0; i < n; i++) {
        uint32_t g = group[i];
        if (gidx[g] == UINT32_MAX)
            gidx[g] = (uint32_t)ng++;
        cnt[gidx[g]]++;
    }
    off = malloc((ng + 1) * sizeof *off);
    s->cl_off = malloc((ng + 1) * sizeof *s->cl_off);
    s->cl_id = malloc((ng ? ng : 1) * sizeof *s->cl_id);
    s->cl_coh = malloc((ng ? ng : 1) * sizeof *s->cl_coh);
    s->cl_of = malloc((n ? n : 1) * sizeof *s->cl_of);
    ord = malloc((ng ? ng : 1) * sizeof *ord);
    if (!off || !s->cl_off || !s->cl_id || !s->cl_coh || !s->cl_of || !ord)
        goto done;
    off[0] = 0;
    for (c = 0; c < ng; c++)
        off[c + 1] = off[c] + cnt[c];
    memset(cnt, 0, (n + 1) * sizeof *cnt);
    for (i = 0; i < n; i++) {
        uint32_t g = gidx[group[i]];
        mem[off[g] + cnt[g]++] = (uint32_t)i;
    }
    /* per group: id, primary, member order, cohesion */
    {
        double *coh = malloc((ng ? ng : 1) * sizeof *coh);
        char(*ids)[18] = malloc((ng ? ng : 1) * sizeof *ids);
        if (!coh || !ids) {
            free(coh);
            free(ids);
            goto done;
        }
        for (c = 0; c < ng; c++) {
            uint32_t *v = mem + off[c];
            size_t m = off[c + 1] - off[c], a, b, best = 0;
            double sum = 0, bestdraw = -1;
            XXH3_state_t st;
            memcpy(byid, v, m * sizeof *v);
            id_sort(s, byid, m);
            XXH3_64bits_reset(&st);
            for (a = 0; a < m; a++) {
                size_t len;
                const char *p = str_of(s, byid[a], F_ID, &len);
                XXH3_64bits_update(&st, p, len + 1);
            }
            snprintf(ids[c], sizeof ids[c], "s%016llx",
                     (unsigned long long)XXH3_64bits_digest(&st));
            sort_members(s, v, m, tmp);
            /* primary: the earliest dated; undated groups: the one the
             * others score highest with (ties: id order) */
            if (m > 1 && s->dates[v[0]].ref_day == DP_NO_DAY) {
                for (a = 0; a < m; a++) {
                    double draw = 0;
                    for (b = 0; b < m; b++)
                        if (a != b)
                            draw += pair_score_of(s, byid[a], byid[b]);
                    if (draw > bestdraw) {
                        bestdraw = draw;
                        best = a;
                    }
                }
                for (a = 0; a < m; a++)
                    if (v[a] == byid[best]) {
                        uint32_t x = v[a];
                        memmove(v + 1, v, a * sizeof *v);
                        v[0] = x;
                        break;
                    }
            }
            if (m > 1 && m <= 400) {
                for (a = 0; a < m; a++)
                    for (b = a + 1; b < m; b++)
                        sum += pair_score_of(s, v[a], v[b]);
                coh[c] = sum / ((double)m * (double)(m - 1) / 2.0);
            } else
                coh[c] = m > 1 ? -1.0 : 1.0;
            if (m > 1) {
                s->st.grouped++;
                s->st.in_groups += m;
            }
        }
        /* order: size descending, then id */
        for (c = 0; c < ng; c++)
            ord[c] = (uint32_t)c;
        for (c = 1; c < ng; c++) {
            uint32_t x = ord[c];
            size_t k = c;
            size_t nx = off[x + 1] - off[x];
            while (k > 0) {
                uint32_t y = ord[k - 1];
                size_t ny = off[y + 1] - off[y];
                if (ny > nx || (ny == nx && strcmp(ids[y], ids[x]) < 0))
                    break;
                ord[k] = y;
                k--;
            }
            ord[k] = x;
        }
        s->cl_off[0] = 0;
        s->members = malloc((n ? n : 1) * sizeof *s->members);
        if (!s->members) {
            free(coh);
            free(ids);
            goto done;
        }
        for (c = 0; c < ng; c++) {
            uint32_t g = ord[c];
            size_t m = off[g + 1] - off[g], k;
            memcpy(s->members + s->cl_off[c], mem + off[g], m * sizeof *mem);
            for (k = 0; k < m; k++)
                s->cl_of[mem[off[g] + k]] = (uint32_t)c;
            s->cl_off[c + 1] = s->cl_off[c] + m;
            memcpy(s->cl_id[c], ids[g], sizeof ids[g]);
            s->cl_coh[c] = coh[g];
        }
        free(coh);
        free(ids);
    }
    s->nclusters = ng;
    s->st.clusters = ng;
    rc = DP_OK;
done:
    free(cnt);
    free(gidx);
    free(tmp);
    free(byid);
    free(mem);
    free(off);
    free(ord);
    return rc;
}

/*
 * Average linkage over the sparse graph of scored pairs by the
 * nearest-neighbour chain. Each group keeps a list of its neighbours
 * sorted by group number, each with the sum of the pair scores between
 * the two groups; the average link is that sum over the product of the
 * sizes (pairs never scored count 0). Two groups merge only when each is
 * the other's nearest neighbour at an average link of at least the
 * threshold; a group whose best link is below it can never merge again
 * (an average-linkage merge never raises a link), so it leaves the chain
 * for good. Ties go to the previous chain element, then to the smaller
 * group number: the result depends only on the pairs and their scores.
 */
typedef struct nbr {
    uint32_t g; /* neighbouring group */
    double sum; /* sum of pair scores between the two groups */
} nbr;

typedef struct adj {
    nbr *v;
    uint32_t n, cap;
} adj;

/* Entry of @g in @a, or the place it would go. */
static uint32_t adj_find(const adj *a, uint32_t g)
{
    uint32_t lo = 0, hi = a->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a->v[mid].g < g)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* In @k's list, fold the entry of @b into that of @a (b's group was
 * merged into a's), adding @sum. */
static dp_status adj_fold(adj *k, uint32_t a, uint32_t b, double sum)
{
    uint32_t pb = adj_find(k, b), pa;
    if (pb < k->n && k->v[pb].g == b) {
        memmove(k->v + pb, k->v + pb + 1, (k->n - pb - 1) * sizeof *k->v);
        k->n--;
    }
    pa = adj_find(k, a);
    if (pa < k->n && k->v[pa].g == a) {
        k->v[pa].sum += sum;
        return DP_OK;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap;
        dp_status rc =
            dpi_grow((void **)&k->v, &cap, (size_t)k->n + 1, sizeof *k->v);
        if (rc)
            return rc;
        k->cap = (uint32_t)DP_MIN(cap, (size_t)UINT32_MAX);
    }
    memmove(k->v + pa + 1, k->v + pa, (k->n - pa) * sizeof *k->v);
    k->v[pa].g = a;
    k->v[pa].sum = sum;
    k->n++;
    return DP_OK;
}

/* Merge group @b into @a: a's list becomes the union (sums added) less
 * a and b, and every neighbour's list is told. */
static dp_status merge_groups(adj *L, uint32_t *size, uint32_t a, uint32_t b)
{
    adj *x = &L[a], *y = &L[b];
    nbr *v = malloc(((size_t)x->n + y->n + 1) * sizeof *v);
    uint32_t i = 0, j = 0, n = 0;
    dp_status rc;
    if (!v)
        return DP_ENOMEM;
    while (i < x->n || j < y->n) {
        nbr e;
        if (j >= y->n || (i < x->n && x->v[i].g < y->v[j].g))
            e = x->v[i++];
        else if (i >= x->n || y->v[j].g < x->v[i].g)
            e = y->v[j++];
        else {
            e = x->v[i++];
            e.sum += y->v[j++].sum;
        }
        if (e.g != a && e.g != b)
            v[n++] = e;
    }
    /* tell the neighbours: their entries for a and b become one for a */
    for (i = 0; i < n; i++) {
        adj *k = &L[v[i].g];
        uint32_t pb = adj_find(k, b);
        double add = pb < k->n && k->v[pb].g == b ? k->v[pb].sum : 0.0;
        if ((rc = adj_fold(k, a, b, add)))
            goto fail;
    }
    free(x->v);
    free(y->v);
    x->v = v;
    x->n = x->cap = n;
    y->v = NULL;
    y->n = y->cap = 0;
    size[a] += size[b];
    size[b] = 0;
    return DP_OK;
fail:
    free(v);
    return rc;
}

/* Each document's strongest pair score (malloc'd, n entries; NULL when
 * out of memory). */
static float *best_links(const dp_stories *s)
{
    float *best = calloc(s->ndocs ? s->ndocs : 1, sizeof *best);
    size_t p;
    for (p = 0; best && p < s->npairs; p++) {
        uint32_t a = (uint32_t)(s->pairs[p] >> 32), b = (uint32_t)s->pairs[p];
        best[a] = DP_MAX(best[a], s->pscore[p]);
        best[b] = DP_MAX(best[b], s->pscore[p]);
    }
    return best;
}

/* Whether pair @p takes part in the clustering: it scored, and both its
 * documents have a link of at least link_min somewhere (a document whose
 * strongest link is thin evidence stays alone: two short items of one
 * kind sharing one rare number are not a story; docs/stories.md). */
static int usable(const dp_stories *s, const float *strong, size_t p)
{
    uint32_t a = (uint32_t)(s->pairs[p] >> 32), b = (uint32_t)s->pairs[p];
    return s->pscore[p] > 0.0f && (double)strong[a] >= s->o.link_min &&
           (double)strong[b] >= s->o.link_min;
}

/* Long because it builds the neighbour lists from the pairs and runs the
 * chain; the merge itself is merge_groups(). */
static dp_status cluster(dp_stories *s, uint32_t *group)
{
    size_t n = s->ndocs, i, p, nchain = 0, next = 0;
    adj *L = NULL;
    uint32_t *size = NULL, *chain = NULL, *deg = NULL, *rep = NULL;
    uint8_t *active = NULL;
    double t = s->o.threshold;
    float *strong = NULL;
    dp_status rc = DP_ENOMEM;

    L = calloc(n ? n : 1, sizeof *L);
    strong = best_links(s);
    size = malloc((n ? n : 1) * sizeof *size);
    chain = malloc((n ? n : 1) * sizeof *chain);
    deg = calloc(n ? n : 1, sizeof *deg);
    rep = malloc((n ? n : 1) * sizeof *rep);
    active = malloc(n ? n : 1);
    if (!L || !strong || !size || !chain || !deg || !active || !rep)
        goto done;
    for (p = 0; p < s->npairs; p++) {
        if ((double)s->pscore[p] >= t)
            s->st.linked++;
        if (!usable(s, strong, p))
            continue;
        deg[s->pairs[p] >> 32]++;
        deg[(uint32_t)s->pairs[p]]++;
    }
    for (i = 0; i < n; i++) {
        size[i] = 1;
        active[i] = 1;
        rep[i] = (uint32_t)i;
        if (deg[i]) {
            L[i].v = malloc(deg[i] * sizeof *L[i].v);
            if (!L[i].v)
                goto done;
            L[i].cap = deg[i];
        }
    }
    /* pairs are sorted by (a, b): each list fills in ascending order for
     * the larger side; the smaller side's entries (b < a) come first in
     * pair order too, so appending keeps every list sorted */
    for (p = 0; p < s->npairs; p++) {
        uint32_t a = (uint32_t)(s->pairs[p] >> 32), b = (uint32_t)s->pairs[p];
        if (!usable(s, strong, p))
            continue;
        L[a].v[L[a].n].g = b;
        L[a].v[L[a].n++].sum = s->pscore[p];
        L[b].v[L[b].n].g = a;
        L[b].v[L[b].n++].sum = s->pscore[p];
    }
    for (;;) {
        uint32_t top, best = UINT32_MAX, k;
        double bs = -1.0;
        if (nchain == 0) {
            while (next < n && !active[next])
                next++;
            if (next >= n)
                break;
            chain[nchain++] = (uint32_t)next;
        }
        top = chain[nchain - 1];
        for (k = 0; k < L[top].n; k++) {
            uint32_t g = L[top].v[k].g;
            double v;
            if (!active[g])
                continue;
            v = L[top].v[k].sum / ((double)size[top] * (double)size[g]);
            if (v > bs || (v == bs && nchain >= 2 && g == chain[nchain - 2])) {
                bs = v;
                best = g;
            }
        }
        if (best == UINT32_MAX || bs < t) {
            active[top] = 0; /* final */
            nchain--;
            continue;
        }
        if (nchain >= 2 && chain[nchain - 2] == best) {
            uint32_t a = top < best ? top : best, b = top < best ? best : top;
            if ((rc = merge_groups(L, size, a, b)))
                goto done;
            active[b] = 0;
            rep[b] = a;
            nchain -= 2;
            continue;
        }
        chain[nchain++] = best;
    }
    for (i = 0; i < n; i++) {
        uint32_t g = (uint32_t)i;
        while (rep[g] != g)
            g = rep[g];
        group[i] = g;
    }
    rc = DP_OK;
done:
    for (i = 0; L && i < n; i++)
        free(L[i].v);
    free(L);
    free(size);
    free(chain);
    free(deg);
    free(rep);
    free(strong);
    free(active);
    return rc;
}

dp_status dp_stories_run(dp_stories *s)
{
    run_ctx r;
    uint32_t *group = NULL;
    dp_status rc;
    size_t p;

    if (!s)
        return DP_EINVAL;
    free_run(s);
    memset(&r, 0, sizeof r);
    r.s = s;
    if ((rc = corpus_df(s)))
        goto fail;
    r.idf.keys = s->ck;
    r.idf.df = s->cdf;
    r.idf.n = s->nck;
    r.idf.ndocs = s->ndocs;
    r.idf.bg = s->o.idf;
    r.cap_df =
        (uint32_t)DP_MIN((size_t)POST_CAP_MAX,
                         DP_MAX((size_t)POST_CAP_MIN, s->ndocs / POST_CAP_DIV));
    s->kw = malloc((s->nkeys ? s->nkeys : 1) * sizeof *s->kw);
    s->vw = malloc((s->nkeys ? s->nkeys : 1) * sizeof *s->vw);
    s->idfv = malloc((s->nkeys ? s->nkeys : 1) * sizeof *s->idfv);
    s->sums = malloc((s->ndocs ? s->ndocs : 1) * 3 * sizeof *s->sums);
    s->nnum = malloc((s->ndocs ? s->ndocs : 1) * sizeof *s->nnum);
    r.post = malloc((s->ndocs ? s->ndocs : 1) * CAND_KEYS * sizeof *r.post);
    r.npost = malloc((s->ndocs ? s->ndocs : 1) * sizeof *r.npost);
    if (!s->kw || !s->vw || !s->idfv || !s->sums || !s->nnum || !r.post ||
        !r.npost) {
        rc = DP_ENOMEM;
        goto fail;
    }
    r.njobs = DP_MAX((size_t)1, DP_MIN(s->ndocs, (size_t)s->nthreads * 8));
    dpi_pool_run(s->nthreads, weight_job, &r, r.njobs);
    free(s->idfv);
    s->idfv = NULL;
    if ((rc = candidates(&r)))
        goto fail;
    free(r.post);
    r.post = NULL;
    s->pscore = malloc((s->npairs ? s->npairs : 1) * sizeof *s->pscore);
    if (!s->pscore) {
        rc = DP_ENOMEM;
        goto fail;
    }
    r.njobs = DP_MAX((size_t)1, DP_MIN(s->npairs, (size_t)s->nthreads * 8));
    dpi_pool_run(s->nthreads, score_job, &r, r.njobs);
    s->st.candidates = s->npairs;
    group = malloc((s->ndocs ? s->ndocs : 1) * sizeof *group);
    if (!group) {
        rc = DP_ENOMEM;
        goto fail;
    }
    if ((rc = cluster(s, group)))
        goto fail;
    if ((rc = finish_clusters(s, group)))
        goto fail;
    /* the closest pair left apart */
    s->st.best_a = s->st.best_b = -1;
    for (p = 0; p < s->npairs; p++) {
        uint32_t a = (uint32_t)(s->pairs[p] >> 32), b = (uint32_t)s->pairs[p];
        if (s->cl_of[a] != s->cl_of[b] &&
            (double)s->pscore[p] > s->st.best_score) {
            s->st.best_score = s->pscore[p];
            s->st.best_a = a;
            s->st.best_b = b;
        }
    }
    s->st.docs = s->ndocs;
    free(group);
    free(r.npost);
    s->ran = 1;
    return DP_OK;
fail:
    free(group);
    free(r.post);
    free(r.npost);
    free_run(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Explain                                                            */
/* ------------------------------------------------------------------ */

/* Append @p (n bytes) to @buf as a list item, "..." when full. */
static void list_add(char *buf, size_t size, const char *p, size_t n)
{
    size_t len = strlen(buf);
    if (len + 4 >= size)
        return;
    if (len + n + 3 + 4 >= size) {
        snprintf(buf + len, size - len, "%s...", len ? ", " : "");
        return;
    }
    snprintf(buf + len, size - len, "%s%.*s", len ? ", " : "", (int)n, p);
}

/* The shared names and numbers of @a and @b as text, rarest first. */
/* The verbatim evidence of a pair: the two texts rebuilt and compared
 * (one-off, for explain), the passages and containment kept. */
static dp_status shared_passages(const dp_stories *s, size_t i, size_t j,
                                 dp_stories_evidence *out)
{
    dp_doc *d[2] = {NULL, NULL};
    dp_comparison *c = NULL;
    size_t k, len[2], best = 0;
    const char *t[2];
    dp_status rc = DP_OK;

    t[0] = str_of(s, i, F_TEXT, &len[0]);
    t[1] = str_of(s, j, F_TEXT, &len[1]);
    if ((rc = dp_doc_create(t[0] ? t[0] : "", len[0], &s->o.text, &d[0],
                            NULL)) ||
        (rc = dp_doc_create(t[1] ? t[1] : "", len[1], &s->o.text, &d[1],
                            NULL)) ||
        (rc = dp_compare(d[0], d[1], NULL, &c)))
        goto done;
    out->passages = dp_comparison_passages(c);
    for (k = 0; k < out->passages; k++) {
        const dp_passage *p = dp_comparison_passage(c, k);
        out->passage_words += p->words;
        if (p->words > best) {
            best = p->words;
            out->longest[0] = p->a;
            out->longest[1] = p->b;
        }
    }
    out->containment[0] = dp_comparison_scores(c)->containment_a_in_b;
    out->containment[1] = dp_comparison_scores(c)->containment_b_in_a;
done:
    dp_comparison_free(c);
    dp_doc_free(d[0]);
    dp_doc_free(d[1]);
    /* a text the pipeline refuses now was accepted when added */
    return rc == DP_ENOMEM ? rc : DP_OK;
}

static dp_status shared_text(const dp_stories *s, size_t i, size_t j,
                             dp_stories_evidence *out)
{
    dp_doc *doc = NULL;
    dp_story_feat fa, fb;
    dp_kv *sh = NULL; /* (rank, key) */
    size_t nsh = 0, x = 0, y = 0, k;
    dp_status rc;
    size_t tlen;
    const char *text = str_of(s, i, F_TEXT, &tlen);

    dpi_stories_feat(s, i, &fa);
    dpi_stories_feat(s, j, &fb);
    sh = malloc((fa.n ? fa.n : 1) * sizeof *sh);
    if (!sh)
        return DP_ENOMEM;
    while (x < fa.n && y < fb.n) {
        if (fa.keys[x] < fb.keys[y])
            x++;
        else if (fa.keys[x] > fb.keys[y])
            y++;
        else {
            unsigned c = DP_MAX(fa.tc[x] & 3, fb.tc[y] & 3);
            if (c == DP_CLS_NAME || c == DP_CLS_NUMBER) {
                /* rank: class, then idf descending (as an integer) */
                double w = fa.kw ? (double)fa.kw[x] : 1.0;
                sh[nsh].key =
                    (uint64_t)c << 40 | (uint64_t)(1e6 / (w > 1e-6 ? w : 1e-6));
                sh[nsh].val = fa.keys[x];
                nsh++;
            }
            x++;
            y++;
        }
    }
    rc = dpi_sort_kv(sh, nsh);
    if (!rc)
        rc = dp_doc_create(text, tlen, &s->o.text, &doc, NULL);
    if (rc) {
        free(sh);
        return rc;
    }
    {
        const dp_doc *dd[2] = {doc, doc};
        uint8_t *cls[2] = {NULL, NULL};
        rc = dpi_story_classify(dd, cls);
        if (rc)
            goto done;
        for (k = 0; k < nsh; k++) {
            size_t t;
            for (t = 0; t < doc->ntoks; t++) {
                if (cls[0][t] != DP_CLS_NONE &&
                    dpi_story_key(&doc->toks[t], cls[0][t]) == sh[k].val) {
                    int num = (sh[k].key >> 40) == DP_CLS_NUMBER;
                    list_add(num ? out->numbers_text : out->names_text,
                             num ? sizeof out->numbers_text
                                 : sizeof out->names_text,
                             doc->orig + doc->toks[t].start,
                             doc->toks[t].end - doc->toks[t].start);
                    break;
                }
            }
        }
        free(cls[0]);
        free(cls[1]);
    }
done:
    dp_doc_free(doc);
    free(sh);
    return rc;
}

/* Long because it states each reason a pair is or is not one story, in
 * the order a reader would check them. */
dp_status dp_stories_explain(const dp_stories *s, size_t i, size_t j,
                             dp_stories_evidence *out)
{
    dp_story_feat fa, fb;
    dp_story_pair sp;
    dp_status rc;
    double t;
    float *strong = NULL;
    size_t idn;

    if (!s || !out || !s->ran || i >= s->ndocs || j >= s->ndocs)
        return DP_EINVAL;
    memset(out, 0, sizeof *out);
    t = s->o.threshold;
    dpi_stories_feat(s, i, &fa);
    dpi_stories_feat(s, j, &fb);
    dpi_story_pair_score(&s->w, &fa, &fb, &sp);
    out->score = i == j || same_text(s, i, j) ? 1.0 : sp.score;
    out->threshold = t;
    out->terms = sp.terms;
    out->names = sp.names;
    out->numbers = sp.numbers;
    out->shared_terms = sp.shared_terms;
    out->shared_names = sp.shared_names;
    out->shared_numbers = sp.shared_numbers;
    out->day_gap = sp.day_gap;
    out->years_disjoint = sp.years_both && !sp.years_overlap;
    out->candidate =
        i != j && pair_find(s, (uint32_t)i, (uint32_t)j) != (size_t)-1;
    out->cluster_a = (long)s->cl_of[i];
    out->cluster_b = (long)s->cl_of[j];
    out->grouped = out->cluster_a == out->cluster_b;
    if (fa.dates.ref_day != DP_NO_DAY || fb.dates.ref_day != DP_NO_DAY) {
        char da[16] = "undated", db[16] = "undated";
        if (fa.dates.ref_day != DP_NO_DAY)
            dpi_date_text(fa.dates.ref_day, da, sizeof da);
        if (fb.dates.ref_day != DP_NO_DAY)
            dpi_date_text(fb.dates.ref_day, db, sizeof db);
        snprintf(out->dates_text, sizeof out->dates_text, "%s / %s", da, db);
    }
    if ((rc = shared_text(s, i, j, out)) ||
        (rc = shared_passages(s, i, j, out)))
        return rc;
    if (i == j)
        snprintf(out->reason, sizeof out->reason, "the same document");
    else if (same_text(s, i, j))
        snprintf(out->reason, sizeof out->reason,
                 "identical texts: a copy is one story with its original");
    else if (out->grouped && out->score >= t)
        snprintf(out->reason, sizeof out->reason,
                 "score %.2f at or above threshold %.2f, and the average "
                 "link holds",
                 out->score, t);
    else if (out->grouped)
        snprintf(out->reason, sizeof out->reason,
                 "score %.2f below threshold %.2f, joined through other "
                 "members (average link at or above the threshold)",
                 out->score, t);
    else if (sp.day_gap > (long)s->w.date_near && out->score < t)
        snprintf(out->reason, sizeof out->reason,
                 "dates %ld days apart (score %.2f below threshold %.2f)",
                 sp.day_gap, out->score, t);
    else if (out->years_disjoint && out->score < t)
        snprintf(out->reason, sizeof out->reason,
                 "the years they mention differ (score %.2f below "
                 "threshold %.2f)",
                 out->score, t);
    else if (!out->candidate && out->score < t)
        snprintf(out->reason, sizeof out->reason,
                 "score %.2f below threshold %.2f (too few specific terms "
                 "in common to be compared)",
                 out->score, t);
    else if (out->score < t)
        snprintf(out->reason, sizeof out->reason,
                 "score %.2f below threshold %.2f", out->score, t);
    else if (!out->candidate)
        snprintf(out->reason, sizeof out->reason,
                 "score %.2f at or above threshold %.2f, but they share too "
                 "few specific terms to be compared",
                 out->score, t);
    else if ((strong = best_links(s)) && ((double)strong[i] < s->o.link_min ||
                                          (double)strong[j] < s->o.link_min))
        snprintf(
            out->reason, sizeof out->reason,
            "score %.2f at or above threshold %.2f, but %s's strongest "
            "link is %.2f, below the %.2f a document needs to join a "
            "story (thin evidence)",
            out->score, t,
            str_of(s, (double)strong[i] < s->o.link_min ? i : j, F_ID, &idn),
            (double)DP_MIN(strong[i], strong[j]), s->o.link_min);
    else
        snprintf(out->reason, sizeof out->reason,
                 "score %.2f at or above threshold %.2f, but the average "
                 "link to the cluster is too low",
                 out->score, t);
    free(strong);
    return DP_OK;
}
