/*
 * table.c - the six tables of a persistent index: opening them (and, in
 * a new index, creating them and writing the parameter record), and the
 * single-entry reads and writes every other file of the module uses.
 *
 *   meta   "params" -> the parameters as JSON text; "next_seq" -> uint64
 *   ids    id bytes -> seq (8-byte big-endian)
 *   docs   seq -> document record (record.h: signature, id, metadata)
 *   bands  band key (uint64) -> seq, MDB_DUPSORT | MDB_DUPFIXED
 *   sets   seq -> sorted unique shingle hashes (uint64[]), unless
 *          DP_INDEX_NO_SETS
 *   texts  seq -> original text, with DP_INDEX_STORE_TEXT
 *
 * A seq is a per-index counter: every added document gets the next one,
 * so seq order is insertion order and docs/sets/texts are appended to.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "index/index_int.h"

static const MDB_val params_key = {6, "params"};
static const MDB_val next_seq_key = {8, "next_seq"};

/* ------------------------------------------------------------------ */
/* Opening                                                            */
/* ------------------------------------------------------------------ */

/* In a write transaction: whether the environment is empty (a new
 * index: *@fresh = 1), holds a doppel index (0), or something else. */
static dp_status probe_fresh(dp_index *ix, MDB_txn *txn, int *fresh,
                             dp_error *err)
{
    MDB_stat ms;
    MDB_dbi main_dbi, meta;
    int rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    if (!rc)
        rc = mdb_stat(txn, main_dbi, &ms);
    if (rc)
        return dpi_index_mdb(rc, err, "opening the tables");
    rc = mdb_dbi_open(txn, "meta", 0, &meta);
    *fresh = rc == MDB_NOTFOUND;
    if (*fresh && ms.ms_entries != 0)
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "%s holds an LMDB database that is not "
                             "a doppel index",
                             ix->path);
    return *fresh ? DP_OK : dpi_index_mdb(rc, err, "opening the tables");
}

static dp_status open_dbis(dp_index *ix, MDB_txn *txn, unsigned cf,
                           dp_error *err)
{
    static const unsigned bflags = MDB_DUPSORT | MDB_DUPFIXED;
    int rc;
    if ((rc = mdb_dbi_open(txn, "meta", cf, &ix->meta)) ||
        (rc = mdb_dbi_open(txn, "ids", cf, &ix->ids)) ||
        (rc = mdb_dbi_open(txn, "docs", cf, &ix->docs)) ||
        (rc = mdb_dbi_open(txn, "bands", cf | bflags, &ix->bands)) ||
        (rc = mdb_dbi_open(txn, "sets", cf, &ix->sets)) ||
        (rc = mdb_dbi_open(txn, "texts", cf, &ix->texts))) {
        if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
            return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                                 "%s is not a doppel index (tables missing)",
                                 ix->path);
        return dpi_index_mdb(rc, err, "opening the tables");
    }
    return DP_OK;
}

/* A new index: the completed parameters and next_seq 0. Every write is
 * checked before the caller commits; on failure nothing is committed. */
static dp_status write_params(dp_index *ix, MDB_txn *txn,
                              const dp_index_params *want, dp_error *err)
{
    MDB_val v;
    char *js = NULL;
    dp_status st;
    int rc;

    if (want)
        ix->p = *want;
    if ((st = dpi_index_params_complete(&ix->p, err)))
        return st;
    if ((st = dpi_index_params_encode(&ix->p, &js)))
        return dpi_error_set(err, st, (size_t)-1,
                             "writing the index parameters: %s",
                             dp_strerror(st));
    v.mv_size = strlen(js);
    v.mv_data = js;
    rc = mdb_put(txn, ix->meta, (MDB_val *)&params_key, &v, 0);
    free(js);
    if ((st = dpi_index_mdb(rc, err, "creating the index")))
        return st;
    return dpi_index_next_seq_put(ix, txn, 0, err);
}

static dp_status read_params(dp_index *ix, MDB_txn *txn,
                             const dp_index_params *want, dp_error *err)
{
    MDB_val v;
    dp_status st;
    int rc = mdb_get(txn, ix->meta, (MDB_val *)&params_key, &v);
    if (rc == MDB_NOTFOUND)
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "%s is not a doppel index (no parameters)",
                             ix->path);
    if ((st = dpi_index_mdb(rc, err, "opening the tables")))
        return st;
    if ((st = dpi_index_params_decode(v.mv_data, v.mv_size, &ix->p, err)))
        return st;
    return dpi_index_params_match(&ix->p, want, err);
}

dp_status dpi_index_tables_open(dp_index *ix, int may_create,
                                const dp_index_params *want, dp_error *err)
{
    MDB_txn *txn = NULL;
    int fresh = 0;
    dp_status st;

    if ((st = dpi_index_txn_begin(ix, may_create, &txn, err)))
        return st;
    if (may_create && (st = probe_fresh(ix, txn, &fresh, err)))
        goto fail;
    if ((st = open_dbis(ix, txn, fresh ? MDB_CREATE : 0, err)))
        goto fail;
    st = fresh ? write_params(ix, txn, want, err)
               : read_params(ix, txn, want, err);
    if (st)
        goto fail;
    /* Committing keeps the table handles (also after a read). */
    return dpi_index_txn_commit(
        ix, txn, err, fresh ? "creating the index" : "opening the tables");
fail:
    dpi_index_txn_abort(ix, txn);
    return st;
}

/* ------------------------------------------------------------------ */
/* Single entries                                                     */
/* ------------------------------------------------------------------ */

dp_status dpi_index_seq_get(dp_index *ix, MDB_txn *txn, const char *id,
                            size_t len, uint64_t *seq, dp_error *err)
{
    MDB_val k = {len, (void *)id}, v;
    dp_status st = dpi_index_mdb(mdb_get(txn, ix->ids, &k, &v), err,
                                 "reading the id table");
    if (st)
        return st;
    if (v.mv_size != 8)
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "ids: an entry holds a malformed seq");
    *seq = dpi_index_seq_of(v.mv_data);
    return DP_OK;
}

dp_status dpi_index_seq_find(dp_index *ix, MDB_txn *txn, const char *id,
                             size_t len, uint64_t *seq, dp_error *err)
{
    dp_status st = len > DP_INDEX_MAX_ID
                       ? DP_ENOTFOUND /* could not have been added */
                       : dpi_index_seq_get(ix, txn, id, len, seq, err);
    if (st == DP_ENOTFOUND)
        return dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                             "no document with id '%.*s'",
                             (int)DP_MIN(len, 200), id);
    return st;
}

dp_status dpi_index_next_seq_get(dp_index *ix, MDB_txn *txn, uint64_t *seq,
                                 dp_error *err)
{
    MDB_val v;
    int rc = mdb_get(txn, ix->meta, (MDB_val *)&next_seq_key, &v);
    if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size != 8))
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "meta: next_seq missing or malformed");
    if (rc)
        return dpi_index_mdb(rc, err, "reading next_seq");
    *seq = dpi_index_seq_of(v.mv_data);
    return DP_OK;
}

dp_status dpi_index_next_seq_put(dp_index *ix, MDB_txn *txn, uint64_t seq,
                                 dp_error *err)
{
    unsigned char b[8];
    MDB_val v = {8, b};
    dpi_index_seq_key(seq, b);
    return dpi_index_mdb(
        mdb_put(txn, ix->meta, (MDB_val *)&next_seq_key, &v, 0), err,
        "writing next_seq");
}

dp_status dpi_index_rec_get(dp_index *ix, MDB_txn *txn, uint64_t seq,
                            dp_index_rec *r, dp_error *err)
{
    unsigned char kb[8];
    MDB_val k = {8, kb}, v;
    dp_status st;
    dpi_index_seq_key(seq, kb);
    st = dpi_index_mdb(mdb_get(txn, ix->docs, &k, &v), err,
                       "reading a document record");
    if (st)
        return st;
    if (dpi_index_rec_decode(v.mv_data, v.mv_size, ix->p.perms, r))
        return dpi_index_corrupt(err, "docs: record of seq %llu is malformed",
                                 seq);
    return DP_OK;
}

dp_status dpi_index_set_get(dp_index *ix, MDB_txn *txn, uint64_t seq,
                            MDB_val *set, dp_error *err)
{
    unsigned char kb[8];
    MDB_val k = {8, kb};
    dp_status st;
    dpi_index_seq_key(seq, kb);
    st = dpi_index_mdb(mdb_get(txn, ix->sets, &k, set), err,
                       "reading a shingle set");
    if (st)
        return st;
    if (set->mv_size == 0 || set->mv_size % 8)
        return dpi_index_corrupt(err, "sets: seq %llu's set is malformed", seq);
    return DP_OK;
}
