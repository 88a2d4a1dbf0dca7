/*
 * read.c - the plain reads of a persistent index: one document by id
 * (dp_index_get), every document in seq order (dp_index_each), and the
 * figures of dp_index_stats_get. Each is one read transaction; nothing
 * here scores similarity (query.c does).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "index/index_int.h"

/* The entry block: the struct, then id, meta and text, each with a NUL. */
static dp_index_entry *entry_new(const dp_index_rec *r, const MDB_val *tv,
                                 uint64_t seq)
{
    size_t size = sizeof(dp_index_entry) + r->id_len + 1 + r->meta_len + 1 +
                  tv->mv_size + 1;
    dp_index_entry *e = malloc(size);
    char *p;
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    p = (char *)(e + 1);
    memcpy(p, r->id, r->id_len);
    p[r->id_len] = '\0';
    e->id = p;
    e->id_len = r->id_len;
    p += r->id_len + 1;
    if (r->meta) {
        memcpy(p, r->meta, r->meta_len);
        p[r->meta_len] = '\0';
        e->meta = p;
        e->meta_len = r->meta_len;
        p += r->meta_len + 1;
    }
    if (tv->mv_data) {
        memcpy(p, tv->mv_data, tv->mv_size);
        p[tv->mv_size] = '\0';
        e->text = p;
        e->text_len = tv->mv_size;
    }
    e->words = r->words;
    e->seq = seq;
    return e;
}

/* Inside the read transaction: the entry of @id. */
static dp_status get_txn(dp_index *ix, MDB_txn *txn, const char *id,
                         size_t id_len, int with_text, dp_index_entry **out,
                         dp_error *err)
{
    dp_index_rec r;
    MDB_val tv = {0, NULL};
    uint64_t seq = 0;
    dp_status st = dpi_index_seq_find(ix, txn, id, id_len, &seq, err);
    if (st)
        return st;
    st = dpi_index_rec_get(ix, txn, seq, &r, err);
    if (!st && with_text && (ix->p.flags & DP_INDEX_STORE_TEXT)) {
        unsigned char kb[8];
        MDB_val k = {8, kb};
        dpi_index_seq_key(seq, kb);
        st = dpi_index_mdb(mdb_get(txn, ix->texts, &k, &tv), err,
                           "reading a document");
    }
    if (st == DP_ENOTFOUND || st == DP_ECORRUPT)
        return dpi_index_corrupt(err, "record of seq %llu missing or malformed",
                                 seq);
    if (st)
        return st;
    if (!(*out = entry_new(&r, &tv, seq)))
        return DP_ENOMEM;
    return DP_OK;
}

dp_status dp_index_get(dp_index *ix, const char *id, size_t id_len,
                       int with_text, dp_index_entry **out, dp_error *err)
{
    MDB_txn *txn;
    dp_status st;

    if (out)
        *out = NULL;
    if (!ix || !id || !out || id_len == 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = dpi_index_txn_begin(ix, 0, &txn, err)))
        return st;
    st = get_txn(ix, txn, id, id_len, with_text, out, err);
    dpi_index_txn_abort(ix, txn);
    return st;
}

dp_status dp_index_each(dp_index *ix,
                        int (*fn)(void *ctx, const char *id, size_t id_len,
                                  const char *meta, size_t meta_len,
                                  uint32_t words, uint64_t seq),
                        void *ctx, dp_error *err)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    dp_status st;
    int rc, r = 0;

    if (!ix || !fn)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = dpi_index_txn_begin(ix, 0, &txn, err)))
        return st;
    if ((rc = mdb_cursor_open(txn, ix->docs, &cur))) {
        dpi_index_txn_abort(ix, txn);
        return dpi_index_mdb(rc, err, "walking the documents");
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        dp_index_rec rec;
        if (k.mv_size != 8 ||
            dpi_index_rec_decode(v.mv_data, v.mv_size, ix->p.perms, &rec)) {
            st = dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                               "malformed document record");
            break;
        }
        r = fn(ctx, rec.id, rec.id_len, rec.meta, rec.meta_len, rec.words,
               dpi_index_seq_of(k.mv_data));
        if (r)
            break;
    }
    mdb_cursor_close(cur);
    dpi_index_txn_abort(ix, txn);
    if (r)
        return (dp_status)r;
    if (st)
        return st;
    return rc == MDB_NOTFOUND ? DP_OK
                              : dpi_index_mdb(rc, err, "walking the documents");
}

/* The table counts and the pages of live data. */
static dp_status stats_tables(dp_index *ix, MDB_txn *txn, dp_index_stats *out,
                              dp_error *err)
{
    MDB_dbi all[6] = {ix->meta,  ix->ids,  ix->docs,
                      ix->bands, ix->sets, ix->texts};
    MDB_stat ms;
    size_t i;
    int rc;

    for (i = 0; i < 6; i++) {
        if ((rc = mdb_stat(txn, all[i], &ms)))
            return dpi_index_mdb(rc, err, "reading statistics");
        out->data_bytes += (size_t)(ms.ms_branch_pages + ms.ms_leaf_pages +
                                    ms.ms_overflow_pages) *
                           ms.ms_psize;
        if (all[i] == ix->ids)
            out->docs = ms.ms_entries;
        else if (all[i] == ix->bands)
            out->band_entries = ms.ms_entries;
        else if (all[i] == ix->texts)
            out->texts = ms.ms_entries;
    }
    return dpi_index_next_seq_get(ix, txn, &out->next_seq, err);
}

dp_status dp_index_stats_get(dp_index *ix, dp_index_stats *out, dp_error *err)
{
    MDB_txn *txn;
    MDB_stat ms;
    MDB_envinfo info;
    struct stat sb;
    char *data;
    dp_status st;
    unsigned mr = 0;

    if (!ix || !out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    memset(out, 0, sizeof *out);
    if ((st = dpi_index_txn_begin(ix, 0, &txn, err)))
        return st;
    if ((st = stats_tables(ix, txn, out, err))) {
        dpi_index_txn_abort(ix, txn);
        return st;
    }
    mdb_env_info(ix->env, &info);
    mdb_env_stat(ix->env, &ms);
    out->txn_id = info.me_last_txnid;
    out->map_size = info.me_mapsize;
    out->used_bytes = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
    out->readers = info.me_numreaders;
    mdb_env_get_maxreaders(ix->env, &mr);
    out->max_readers = mr;
    out->params = ix->p;
    dpi_index_txn_abort(ix, txn);
    data = dpi_index_path_join(ix->path, "data.mdb");
    if (data && stat(data, &sb) == 0)
        out->file_bytes = (size_t)sb.st_size;
    free(data);
    return DP_OK;
}
