/*
 * write.c - the writers of a persistent index: dp_index_add (a batch of
 * documents, with optional streaming dedup) and dp_index_remove. Every
 * call is exactly one LMDB transaction.
 *
 * dp_index_add in steps: check and sketch every document before the
 * write lock is taken (sketch.c, on threads); then, in one write
 * transaction, for each document look up its id, with dedup find its
 * best earlier match (query.c), delete the old version of a re-added id,
 * and write the new one under the next seq; build the caller's results;
 * and only then commit. So after the commit nothing can fail: a call that
 * committed returns DP_OK, and a failure (DP_ENOMEM for the results
 * included) leaves the index as it was. A write that meets MDB_MAP_FULL
 * aborts, grows the map and replays the batch from the same signatures.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/util.h"
#include "index/index_int.h"

unsigned dpi_index_test_faults;

void dp_index_add_opts_init(dp_index_add_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dedup = DP_INDEX_DEDUP_OFF;
    dp_text_opts_init(&o->text);
}

dp_status dpi_index_doc_check(const dp_index_doc *d)
{
    if (!d->id || d->id_len == 0 || memchr(d->id, '\0', d->id_len))
        return DP_EINVAL;
    if (d->id_len > DP_INDEX_MAX_ID || d->text_len > DP_MAX_DOC_BYTES ||
        (d->meta && d->meta_len > DP_INDEX_MAX_META))
        return DP_ETOOBIG;
    if (!d->text && d->text_len)
        return DP_EINVAL;
    if (d->meta) {
        json_error_t jerr;
        json_t *j = json_loadb(d->meta, d->meta_len, 0, &jerr);
        int ok = json_is_object(j);
        json_decref(j);
        if (!j && json_error_code(&jerr) == json_error_out_of_memory)
            return DP_ENOMEM; /* fails the batch, not the document */
        if (!ok)
            return DP_EJSON;
    }
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Single documents inside a write transaction                        */
/* ------------------------------------------------------------------ */

/* Delete a stored value; absent is fine (no set, no text, a band key
 * the document holds twice). */
static dp_status del_maybe(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v,
                           dp_error *err)
{
    dp_status st =
        dpi_index_mdb(mdb_del(txn, dbi, k, v), err, "removing a document");
    return st == DP_ENOTFOUND ? DP_OK : st;
}

/* Delete every entry of document @seq (its id entry excepted). */
static dp_status remove_seq(dp_index *ix, MDB_txn *txn, uint64_t seq,
                            dpi_index_scratch *s, dp_error *err)
{
    dp_index_rec r;
    unsigned char kb[8];
    MDB_val k = {8, kb};
    unsigned b;
    dp_status st = dpi_index_rec_get(ix, txn, seq, &r, err);
    if (st == DP_ENOTFOUND)
        return dpi_index_corrupt(err, "ids: seq %llu has no record", seq);
    if (st)
        return st;
    dpi_index_rec_sig(&r, s->sig); /* copy: the page changes below */
    dpi_lsh_band_keys(&ix->lsh, s->sig, s->keys);
    dpi_index_seq_key(seq, kb);
    for (b = 0; b < ix->p.bands; b++) {
        MDB_val bk = {8, &s->keys[b]}, bv = {8, kb};
        if ((st = del_maybe(txn, ix->bands, &bk, &bv, err)))
            return st;
    }
    st = dpi_index_mdb(mdb_del(txn, ix->docs, &k, NULL), err,
                       "removing a document");
    if (st == DP_ENOTFOUND) /* read a moment ago */
        return DP_EINTERNAL;
    if (!st)
        st = del_maybe(txn, ix->sets, &k, NULL, err);
    if (!st)
        st = del_maybe(txn, ix->texts, &k, NULL, err);
    return st;
}

static dp_status put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v,
                     unsigned flags, dp_error *err)
{
    return dpi_index_mdb(mdb_put(txn, dbi, k, v, flags), err,
                         "adding documents");
}

/* Write one document under @seq (ids, docs, sets, texts, bands). */
static dp_status put_doc(dp_index *ix, MDB_txn *txn, const dp_index_doc *d,
                         const dpi_index_pending *p, const uint32_t *sig,
                         uint64_t seq, dpi_index_scratch *s, dp_error *err)
{
    unsigned char kb[8];
    MDB_val k = {8, kb}, v = {8, kb};
    MDB_val ik = {d->id_len, (void *)d->id};
    size_t meta_len = d->meta ? d->meta_len : 0;
    size_t size = dpi_index_rec_size(d->id_len, meta_len, ix->p.perms);
    unsigned b;
    dp_status st;

    assert(size);
    dpi_index_seq_key(seq, kb);
    if ((st = put(txn, ix->ids, &ik, &v, 0, err)))
        return st;
    v.mv_size = size;
    v.mv_data = NULL;
    if ((st = put(txn, ix->docs, &k, &v, MDB_APPEND | MDB_RESERVE, err)))
        return st;
    dpi_index_rec_encode(v.mv_data, d->id, d->id_len, d->meta, meta_len, sig,
                         ix->p.perms, p->words);
    if (!(ix->p.flags & DP_INDEX_NO_SETS)) {
        v.mv_size = p->nset * 8;
        v.mv_data = p->set;
        if ((st = put(txn, ix->sets, &k, &v, MDB_APPEND, err)))
            return st;
    }
    if (ix->p.flags & DP_INDEX_STORE_TEXT) {
        v.mv_size = d->text_len;
        v.mv_data = (void *)(d->text ? d->text : "");
        if ((st = put(txn, ix->texts, &k, &v, MDB_APPEND, err)))
            return st;
    }
    dpi_lsh_band_keys(&ix->lsh, sig, s->keys);
    for (b = 0; b < ix->p.bands; b++) {
        MDB_val bk = {8, &s->keys[b]}, bv = {8, kb};
        if ((st = put(txn, ix->bands, &bk, &bv, 0, err)))
            return st;
    }
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Adding a batch                                                     */
/* ------------------------------------------------------------------ */

/* Per-document outcome while the transaction runs. */
typedef struct outcome {
    int replaced, duplicate, skipped, has_dup;
    size_t dup_off, dup_len; /* into the dup-id arena */
    double dup_score;
} outcome;

typedef struct add_ctx {
    dp_index *ix;
    const dp_index_doc *docs;
    size_t n;
    dp_index_add_opts o;
    double threshold;      /* duplicate at or above */
    dpi_index_pending *pd; /* n: sketch results */
    uint32_t *sigs;        /* n * perms */
    outcome *oc;           /* n */
    char *ids;             /* dup-id arena, NUL-separated */
    size_t ids_len, ids_cap;
    dpi_index_scratch s;
} add_ctx;

/* Options and arguments of dp_index_add; fills a->o. */
static dp_status add_args(add_ctx *a, dp_index *ix, const dp_index_doc *docs,
                          size_t n, const dp_index_add_opts *opts,
                          dp_error *err)
{
    if (!ix || (!docs && n))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (opts)
        a->o = *opts;
    else
        dp_index_add_opts_init(&a->o);
    if (a->o.dedup > DP_INDEX_DEDUP_SKIP ||
        !(a->o.threshold >= 0 && a->o.threshold <= 1))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "bad add options");
    if (ix->rdonly)
        return dpi_error_set(err, DP_EACCES, (size_t)-1,
                             "index opened read-only");
    a->ix = ix;
    a->docs = docs;
    a->n = n;
    a->threshold = a->o.threshold > 0 ? a->o.threshold : ix->p.threshold;
    return DP_OK;
}

/* Allocate the batch's memory, then check and sketch every document
 * (no lock held). A failure of the whole batch: DP_ENOMEM, DP_ESTEM. */
static dp_status add_prepare(add_ctx *a, dp_error *err)
{
    dp_index *ix = a->ix;
    size_t i, bytes;

    if (dpi_mul_overflow(a->n, (size_t)ix->p.perms * sizeof *a->sigs, &bytes))
        return DP_ENOMEM;
    a->pd = calloc(a->n + 1, sizeof *a->pd);
    a->oc = calloc(a->n + 1, sizeof *a->oc);
    a->sigs = malloc(bytes + 4);
    if (!a->pd || !a->oc || !a->sigs || dpi_index_scratch_init(&a->s, ix))
        return DP_ENOMEM;
    dpi_index_sketch_batch(ix, a->docs, a->n, &a->o.text, a->o.threads, a->pd,
                           a->sigs);
    for (i = 0; i < a->n; i++)
        if (a->pd[i].status == DP_ENOMEM || a->pd[i].status == DP_ESTEM)
            return dpi_error_set(err, a->pd[i].status, (size_t)-1, "%s",
                                 dp_strerror(a->pd[i].status));
    return DP_OK;
}

static void add_ctx_free(add_ctx *a)
{
    size_t i;
    if (a->pd)
        for (i = 0; i < a->n; i++)
            free(a->pd[i].set);
    free(a->pd);
    free(a->oc);
    free(a->sigs);
    free(a->ids);
    dpi_index_scratch_free(&a->s);
}

/* With dedup: document @i's best earlier match (its old version @old
 * excluded), kept in the dup-id arena and a->oc[i]. */
static dp_status add_dedup(add_ctx *a, MDB_txn *txn, size_t i, uint64_t old,
                           dp_error *err)
{
    const dpi_index_pending *p = &a->pd[i];
    const uint32_t *sig = a->sigs + i * a->ix->p.perms;
    outcome *oc = &a->oc[i];
    const dpi_index_cand *c;
    dp_status st;

    st = dpi_index_find_similar(a->ix, txn, sig, p->set, p->nset, 0,
                                DPI_INDEX_MAX_BUCKET, old, &a->s, err);
    if (st || a->s.nhits == 0)
        return st;
    c = &a->s.hits[0];
    if ((st = DP_RESERVE(a->ids, a->ids_cap, a->ids_len + c->id_len + 1)))
        return st;
    memcpy(a->ids + a->ids_len, c->id, c->id_len);
    a->ids[a->ids_len + c->id_len] = '\0';
    oc->has_dup = 1;
    oc->dup_off = a->ids_len;
    oc->dup_len = c->id_len;
    oc->dup_score = c->score;
    oc->duplicate = c->score + 1e-9 >= a->threshold;
    a->ids_len += c->id_len + 1;
    return DP_OK;
}

/* Document @i inside the transaction: dedup, replace, write. */
static dp_status add_doc(add_ctx *a, MDB_txn *txn, size_t i, uint64_t *next,
                         dp_error *err)
{
    dp_index *ix = a->ix;
    const dp_index_doc *d = &a->docs[i];
    outcome *oc = &a->oc[i];
    uint64_t old = DPI_INDEX_NO_SEQ;
    dp_status st;

    st = dpi_index_seq_get(ix, txn, d->id, d->id_len, &old, err);
    if (st == DP_ENOTFOUND)
        old = DPI_INDEX_NO_SEQ;
    else if (st)
        return st;
    if (a->o.dedup != DP_INDEX_DEDUP_OFF) {
        if ((st = add_dedup(a, txn, i, old, err)))
            return st;
        if (oc->duplicate && a->o.dedup == DP_INDEX_DEDUP_SKIP) {
            oc->skipped = 1;
            return DP_OK;
        }
    }
    if (old != DPI_INDEX_NO_SEQ) {
        if ((st = remove_seq(ix, txn, old, &a->s, err)))
            return st;
        oc->replaced = 1;
    }
    st = put_doc(ix, txn, d, &a->pd[i], a->sigs + i * ix->p.perms, *next, &a->s,
                 err);
    if (!st)
        ++*next;
    return st;
}

/* One attempt at the batch's writes (the caller commits or aborts). */
static dp_status add_txn(add_ctx *a, MDB_txn *txn, dp_error *err)
{
    uint64_t next;
    size_t i;
    dp_status st;

    a->ids_len = 0;
    memset(a->oc, 0, a->n * sizeof *a->oc);
    if ((st = dpi_index_next_seq_get(a->ix, txn, &next, err)))
        return st;
    for (i = 0; i < a->n; i++)
        if (!a->pd[i].status && (st = add_doc(a, txn, i, &next, err)))
            return st;
    return dpi_index_next_seq_put(a->ix, txn, next, err);
}

/* The caller's result block: n results, then the dup ids. Built while
 * the transaction is still open, so its failure commits nothing. */
static dp_status add_results(const add_ctx *a, dp_index_add_result **out,
                             dp_error *err)
{
    dp_index_add_result *r = NULL;
    char *ids;
    size_t i, head;

    if (!dpi_mul_overflow(a->n, sizeof *r, &head) &&
        head + a->ids_len + 1 > head &&
        !(dpi_index_test_faults & DPI_INDEX_TEST_FAULT_RESULTS))
        r = malloc(head + a->ids_len + 1);
    if (!r)
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1,
                             "no memory for the results; nothing added");
    ids = (char *)r + head;
    if (a->ids_len)
        memcpy(ids, a->ids, a->ids_len);
    for (i = 0; i < a->n; i++) {
        const outcome *oc = &a->oc[i];
        memset(&r[i], 0, sizeof r[i]);
        r[i].status = a->pd[i].status;
        r[i].replaced = oc->replaced;
        r[i].duplicate = oc->duplicate;
        r[i].skipped = oc->skipped;
        if (oc->has_dup) {
            r[i].dup_id = ids + oc->dup_off;
            r[i].dup_id_len = oc->dup_len;
            r[i].dup_score = oc->dup_score;
        }
    }
    *out = r;
    return DP_OK;
}

/* The write transaction, replayed after growing a full map: writes,
 * results (when asked for), commit. *@results is set only on DP_OK. */
static dp_status add_commit(add_ctx *a, dp_index_add_result **results,
                            dp_error *err)
{
    dp_index_add_result *r = NULL;
    MDB_txn *txn;
    dp_status st;

    for (;;) {
        if ((st = dpi_index_txn_begin(a->ix, 1, &txn, err)))
            return st;
        st = add_txn(a, txn, err);
        if (!st && results)
            st = add_results(a, &r, err);
        if (st)
            dpi_index_txn_abort(a->ix, txn);
        else
            st = dpi_index_txn_commit(a->ix, txn, err, "adding documents");
        if (!st) {
            if (results)
                *results = r;
            return DP_OK;
        }
        free(r);
        r = NULL;
        if (st != DP_EFULL)
            return st;
        if ((st = dpi_index_map_grow(a->ix, 0, err)))
            return st;
    }
}

dp_status dp_index_add(dp_index *ix, const dp_index_doc *docs, size_t n,
                       const dp_index_add_opts *opts,
                       dp_index_add_result **results, dp_error *err)
{
    add_ctx a;
    dp_status st;

    if (results)
        *results = NULL;
    memset(&a, 0, sizeof a);
    if ((st = add_args(&a, ix, docs, n, opts, err)))
        return st;
    if (n == 0) {
        if (results && !(*results = malloc(1)))
            return DP_ENOMEM;
        return DP_OK;
    }
    st = add_prepare(&a, err);
    if (!st)
        st = add_commit(&a, results, err);
    add_ctx_free(&a);
    return st;
}

/* ------------------------------------------------------------------ */
/* Removing                                                           */
/* ------------------------------------------------------------------ */

/* One attempt: look up @id, delete its entries and its id. */
static dp_status remove_txn(dp_index *ix, MDB_txn *txn, const char *id,
                            size_t id_len, dpi_index_scratch *s, dp_error *err)
{
    MDB_val k = {id_len, (void *)id};
    uint64_t seq = 0;
    dp_status st = dpi_index_seq_find(ix, txn, id, id_len, &seq, err);
    if (st)
        return st;
    st = remove_seq(ix, txn, seq, s, err);
    if (!st)
        st = dpi_index_mdb(mdb_del(txn, ix->ids, &k, NULL), err,
                           "removing a document");
    return st == DP_ENOTFOUND ? DP_EINTERNAL : st; /* the id was there */
}

dp_status dp_index_remove(dp_index *ix, const char *id, size_t id_len,
                          dp_error *err)
{
    MDB_txn *txn;
    dpi_index_scratch s;
    dp_status st;

    if (!ix || !id || id_len == 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no id");
    if (dpi_index_scratch_init(&s, ix)) {
        dpi_index_scratch_free(&s);
        return DP_ENOMEM;
    }
    for (;;) {
        if ((st = dpi_index_txn_begin(ix, 1, &txn, err)))
            break;
        st = remove_txn(ix, txn, id, id_len, &s, err);
        if (st)
            dpi_index_txn_abort(ix, txn);
        else
            st = dpi_index_txn_commit(ix, txn, err, "removing a document");
        /* Deletes can split pages too: grow a full map and retry. */
        if (st != DP_EFULL || (st = dpi_index_map_grow(ix, 0, err)))
            break;
    }
    dpi_index_scratch_free(&s);
    return st;
}
