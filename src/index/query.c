/*
 * query.c - similarity queries on a persistent index: dp_index_query_text
 * and dp_index_query_id, and the candidate scoring they share with
 * add --dedup (dpi_index_find_similar).
 *
 * A query's band keys select the candidates: every document sharing one
 * (at most max_bucket per key, the earliest indexed). Each candidate is
 * scored by the exact Jaccard of the two shingle sets when the index
 * keeps them, else by the MinHash estimate; hits at or above the
 * threshold (with dedup's 1e-9 tolerance) come back best first: score
 * descending, then seq ascending. Each query is one read transaction.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "index/index_int.h"

void dp_index_query_opts_init(dp_index_query_opts *o)
{
    memset(o, 0, sizeof *o);
    dp_text_opts_init(&o->text);
}

dp_status dpi_index_scratch_init(dpi_index_scratch *s, const dp_index *ix)
{
    memset(s, 0, sizeof *s);
    s->sig = malloc((size_t)ix->p.perms * sizeof *s->sig);
    s->keys = malloc((size_t)ix->p.bands * sizeof *s->keys);
    return s->sig && s->keys ? DP_OK : DP_ENOMEM;
}

void dpi_index_scratch_free(dpi_index_scratch *s)
{
    free(s->seqs);
    free(s->hits);
    free(s->set);
    free(s->sig);
    free(s->keys);
}

static int cmp_hit(const void *a, const void *b)
{
    const dpi_index_cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Append to s->seqs the seqs under band key @key (at most @max_bucket,
 * the earliest indexed: duplicates are sorted). */
static dp_status bucket_seqs(MDB_cursor *cur, uint64_t *key, size_t max_bucket,
                             dpi_index_scratch *s, dp_error *err)
{
    MDB_val k = {8, key}, v;
    size_t taken = 0;
    dp_status st;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    for (; rc == 0 && taken < max_bucket; taken++) {
        if (v.mv_size != 8)
            return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                                 "bands: an entry holds a malformed seq");
        if ((st = DP_RESERVE(s->seqs, s->cap_seqs, s->nseqs + 1)))
            return st;
        s->seqs[s->nseqs++] = dpi_index_seq_of(v.mv_data);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
    }
    st = dpi_index_mdb(rc, err, "reading band keys");
    return st == DP_ENOTFOUND ? DP_OK : st;
}

/* The seqs of every document sharing a band key of @sig (at most
 * @max_bucket per key), sorted, unique, without @exclude, in s->seqs. */
static dp_status collect_candidates(dp_index *ix, MDB_txn *txn,
                                    const uint32_t *sig, size_t max_bucket,
                                    uint64_t exclude, dpi_index_scratch *s,
                                    dp_error *err)
{
    MDB_cursor *cur = NULL;
    dp_status st = DP_OK;
    size_t i, k = 0;
    unsigned b;
    int rc;

    s->nseqs = 0;
    dpi_lsh_band_keys(&ix->lsh, sig, s->keys);
    if ((rc = mdb_cursor_open(txn, ix->bands, &cur)))
        return dpi_index_mdb(rc, err, "reading band keys");
    for (b = 0; !st && b < ix->p.bands; b++)
        st = bucket_seqs(cur, &s->keys[b], max_bucket, s, err);
    mdb_cursor_close(cur);
    if (st)
        return st;
    s->nseqs = dpi_sort_unique_u64(s->seqs, s->nseqs);
    for (i = 0; i < s->nseqs; i++)
        if (s->seqs[i] != exclude)
            s->seqs[k++] = s->seqs[i];
    s->nseqs = k;
    return DP_OK;
}

/* Candidate @c's exact Jaccard against @set: its stored set, copied to
 * aligned memory (LMDB values are only 2-byte aligned). */
static dp_status exact_score(dp_index *ix, MDB_txn *txn, dpi_index_cand *c,
                             const uint64_t *set, size_t nset,
                             dpi_index_scratch *s, dp_error *err)
{
    MDB_val v;
    size_t n;
    dp_status st = dpi_index_set_get(ix, txn, c->seq, &v, err);
    if (st == DP_ENOTFOUND || st == DP_ECORRUPT)
        return dpi_index_corrupt(err,
                                 "shingle set of seq %llu missing or "
                                 "malformed",
                                 c->seq);
    if (st)
        return st;
    n = v.mv_size / 8;
    if ((st = DP_RESERVE(s->set, s->cap_set, n)))
        return st;
    memcpy(s->set, v.mv_data, v.mv_size);
    c->score = dpi_set_jaccard(set, nset, s->set, n);
    return DP_OK;
}

dp_status dpi_index_find_similar(dp_index *ix, MDB_txn *txn,
                                 const uint32_t *sig, const uint64_t *set,
                                 size_t nset, double threshold,
                                 size_t max_bucket, uint64_t exclude,
                                 dpi_index_scratch *s, dp_error *err)
{
    int exact = !(ix->p.flags & DP_INDEX_NO_SETS);
    dp_status st;
    size_t i;

    s->nhits = 0;
    if ((st = collect_candidates(ix, txn, sig, max_bucket, exclude, s, err)))
        return st;
    if ((st = DP_RESERVE(s->hits, s->cap_hits, s->nseqs + 1)))
        return st;
    for (i = 0; i < s->nseqs; i++) {
        dp_index_rec r;
        dpi_index_cand *c = &s->hits[s->nhits];
        st = dpi_index_rec_get(ix, txn, s->seqs[i], &r, err);
        if (st == DP_ENOTFOUND)
            return dpi_index_corrupt(err,
                                     "band entry points to missing document "
                                     "seq %llu",
                                     s->seqs[i]);
        if (st)
            return st;
        dpi_index_rec_sig(&r, s->sig);
        c->seq = s->seqs[i];
        c->est = dpi_minhash_jaccard(sig, s->sig, ix->p.perms);
        c->score = c->est;
        if (exact && (st = exact_score(ix, txn, c, set, nset, s, err)))
            return st;
        /* The tolerance of dedup's verification: 4/5 stays >= 0.8. */
        if (threshold > 0 && c->score + 1e-9 < threshold)
            continue;
        c->words = r.words;
        c->id = r.id;
        c->id_len = r.id_len;
        s->nhits++;
    }
    if (s->nhits > 1)
        qsort(s->hits, s->nhits, sizeof *s->hits, cmp_hit);
    return DP_OK;
}

/* Copy the hits (best first, at most @limit) out of the transaction:
 * one block, the hits then their ids. */
static dp_status hits_out(const dpi_index_scratch *s, size_t limit,
                          dp_index_hit **out, size_t *nout)
{
    size_t n = limit && limit < s->nhits ? limit : s->nhits, i, ids = 0;
    dp_index_hit *h;
    char *p;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return DP_OK;
    for (i = 0; i < n; i++)
        ids += s->hits[i].id_len + 1;
    h = malloc(n * sizeof *h + ids);
    if (!h)
        return DP_ENOMEM;
    p = (char *)(h + n);
    for (i = 0; i < n; i++) {
        const dpi_index_cand *c = &s->hits[i];
        memcpy(p, c->id, c->id_len);
        p[c->id_len] = '\0';
        h[i].id = p;
        h[i].id_len = c->id_len;
        h[i].score = c->score;
        h[i].estimate = c->est;
        h[i].words = c->words;
        h[i].seq = c->seq;
        p += c->id_len + 1;
    }
    *out = h;
    *nout = n;
    return DP_OK;
}

static dp_status query_opts(const dp_index *ix, const dp_index_query_opts *in,
                            dp_index_query_opts *o, dp_error *err)
{
    if (in)
        *o = *in;
    else
        dp_index_query_opts_init(o);
    if (!(o->threshold >= 0 && o->threshold <= 1))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "query threshold outside [0, 1]");
    if (o->threshold == 0)
        o->threshold = ix->p.threshold;
    if (o->max_bucket == 0)
        o->max_bucket = DPI_INDEX_MAX_BUCKET;
    return DP_OK;
}

/* One query's state, from query_start() to query_end(). */
typedef struct query {
    dp_index *ix;
    dp_index_query_opts o; /* completed */
    dpi_index_scratch s;
    uint32_t *sig; /* the query's signature (perms) */
    uint64_t *set; /* its shingle set, aligned, malloc'd; or NULL */
    size_t nset;
    uint64_t exclude; /* a seq left out of the hits */
} query;

/* The common start of both queries: clear the outputs, check the
 * arguments and options, allocate the signature and the scratch. End
 * with query_end() whatever it returns. */
static dp_status query_start(query *q, dp_index *ix,
                             const dp_index_query_opts *opts,
                             dp_index_hit **hits, size_t *nhits, dp_error *err)
{
    dp_status st;
    memset(q, 0, sizeof *q);
    q->ix = ix;
    q->exclude = DPI_INDEX_NO_SEQ;
    if (hits)
        *hits = NULL;
    if (nhits)
        *nhits = 0;
    if (!ix || !hits || !nhits)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = query_opts(ix, opts, &q->o, err)))
        return st;
    q->sig = malloc((size_t)ix->p.perms * sizeof *q->sig);
    if (!q->sig || dpi_index_scratch_init(&q->s, ix))
        return DP_ENOMEM;
    return DP_OK;
}

/* In @txn: the documents similar to q->sig and q->set, copied out. */
static dp_status query_run(query *q, MDB_txn *txn, dp_index_hit **hits,
                           size_t *nhits, dp_error *err)
{
    dp_status st = dpi_index_find_similar(q->ix, txn, q->sig, q->set, q->nset,
                                          q->o.threshold, q->o.max_bucket,
                                          q->exclude, &q->s, err);
    return st ? st : hits_out(&q->s, q->o.limit, hits, nhits);
}

/* Free the query's memory; returns @st. */
static dp_status query_end(query *q, dp_status st)
{
    free(q->sig);
    free(q->set);
    dpi_index_scratch_free(&q->s);
    return st;
}

/* The query text's signature and set, through the text pipeline. */
static dp_status sketch_text(query *q, const char *text, size_t len,
                             dp_error *err)
{
    uint32_t words;
    dp_status st;
    if (!text && len)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (len > DP_MAX_DOC_BYTES)
        return dpi_error_set(err, DP_ETOOBIG, (size_t)-1, "text too large");
    st = dpi_index_sketch_one(q->ix, NULL, &q->o.text, text, len, q->sig,
                              &words, &q->set, &q->nset);
    if (st)
        dpi_error_set(err, st, (size_t)-1, "query text: %s",
                      st == DP_EEMPTY ? "no words" : dp_strerror(st));
    return st;
}

dp_status dp_index_query_text(dp_index *ix, const char *text, size_t len,
                              const dp_index_query_opts *opts,
                              dp_index_hit **hits, size_t *nhits, dp_error *err)
{
    query q;
    MDB_txn *txn;
    dp_status st = query_start(&q, ix, opts, hits, nhits, err);
    if (!st)
        st = sketch_text(&q, text, len, err);
    if (!st && !(st = dpi_index_txn_begin(ix, 0, &txn, err))) {
        st = query_run(&q, txn, hits, nhits, err);
        dpi_index_txn_abort(ix, txn);
    }
    return query_end(&q, st);
}

/* The stored signature (into @sig) and, when the index keeps sets, an
 * aligned copy of the stored set (*@set, malloc'd) of @seq. */
static dp_status stored_sketch(dp_index *ix, MDB_txn *txn, uint64_t seq,
                               uint32_t *sig, uint64_t **set, size_t *nset,
                               dp_error *err)
{
    dp_index_rec r;
    MDB_val v = {0, NULL};
    dp_status st = dpi_index_rec_get(ix, txn, seq, &r, err);
    if (!st && !(ix->p.flags & DP_INDEX_NO_SETS))
        st = dpi_index_set_get(ix, txn, seq, &v, err);
    if (st == DP_ENOTFOUND || st == DP_ECORRUPT)
        return dpi_index_corrupt(err, "record of seq %llu missing or malformed",
                                 seq);
    if (st)
        return st;
    dpi_index_rec_sig(&r, sig);
    *nset = v.mv_size / 8;
    if (*nset) {
        if (!(*set = malloc(v.mv_size)))
            return DP_ENOMEM;
        memcpy(*set, v.mv_data, v.mv_size);
    }
    return DP_OK;
}

dp_status dp_index_query_id(dp_index *ix, const char *id, size_t id_len,
                            const dp_index_query_opts *opts,
                            dp_index_hit **hits, size_t *nhits, dp_error *err)
{
    query q;
    uint64_t seq = 0;
    MDB_txn *txn;
    dp_status st = query_start(&q, ix, opts, hits, nhits, err);
    if (!st && (!id || id_len == 0))
        st = dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (!st && !(st = dpi_index_txn_begin(ix, 0, &txn, err))) {
        st = dpi_index_seq_find(ix, txn, id, id_len, &seq, err);
        if (!st)
            st = stored_sketch(ix, txn, seq, q.sig, &q.set, &q.nset, err);
        if (!q.o.include_self)
            q.exclude = seq;
        if (!st)
            st = query_run(&q, txn, hits, nhits, err);
        dpi_index_txn_abort(ix, txn);
    }
    return query_end(&q, st);
}
