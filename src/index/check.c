/*
 * check.c - the whole-index maintenance calls: dp_index_check (every
 * table walked in one read transaction, the first fault named) and
 * dp_index_compact (LMDB's compacting copy, renamed over data.mdb).
 *
 * The check, in steps: ids -> docs (every id leads to a record that
 * carries it); docs -> ids, bands, sets, texts (every record leads back
 * to its seq, is below next_seq, has all the band keys its signature
 * gives, a well-formed shingle set, and a text that gives again its
 * signature, word count and set); the number of band entries equals the
 * number found from the documents (so none is an orphan); no set or text
 * belongs to a missing seq.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/util.h"
#include "index/index_int.h"

/* ------------------------------------------------------------------ */
/* Check                                                              */
/* ------------------------------------------------------------------ */

/* Working state of one check. */
typedef struct check_ctx {
    dp_index *ix;
    MDB_txn *txn;
    MDB_cursor *bc;              /* on bands */
    uint64_t next;               /* next_seq */
    uint64_t nids, ndocs, found; /* ids, records, band entries found */
    uint32_t *sig;               /* perms */
    uint32_t *sig2;              /* perms: a stored text's signature again */
    uint64_t *keys;              /* bands */
    dp_work *work;               /* the text pipeline's scratch, reused */
} check_ctx;

/* A stored text must give the stored signature, word count and set:
 * recompute them (UTF-8 repair and NUL bytes allowed: for any text that
 * was accepted, the same result as the options it was added with). */
static dp_status check_text(check_ctx *c, uint64_t seq, const dp_index_rec *r,
                            const MDB_val *text, dp_error *err)
{
    dp_index *ix = c->ix;
    dp_text_opts to;
    uint32_t words = 0;
    uint64_t *set = NULL;
    size_t nset = 0;
    int bad;
    dp_status st;

    dp_text_opts_init(&to);
    to.utf8 = DP_UTF8_REPLACE;
    to.allow_binary = 1;
    st = dpi_index_sketch_one(ix, c->work, &to, text->mv_data, text->mv_size,
                              c->sig2, &words, &set, &nset);
    if (st == DP_ENOMEM)
        return st;
    bad = st || words != r->words ||
          memcmp(c->sig, c->sig2, (size_t)ix->p.perms * sizeof *c->sig2);
    if (!bad && !(ix->p.flags & DP_INDEX_NO_SETS)) {
        MDB_val v;
        bad = dpi_index_set_get(ix, c->txn, seq, &v, NULL) ||
              v.mv_size != nset * 8 || memcmp(v.mv_data, set, v.mv_size);
    }
    free(set);
    if (bad)
        return dpi_index_corrupt(err,
                                 "texts: seq %llu's signature, word count or "
                                 "shingle set does not match its stored text",
                                 seq);
    return DP_OK;
}

/* ids -> docs: every id leads to a record that carries that id. */
static dp_status check_ids(check_ctx *c, dp_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    dp_status st = DP_OK;
    int rc;

    if ((rc = mdb_cursor_open(c->txn, c->ix->ids, &cur)))
        return dpi_index_mdb(rc, err, "check");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !st && rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        dp_index_rec r;
        uint64_t seq;
        c->nids++;
        if (v.mv_size != 8) {
            st = dpi_index_corrupt(err, "ids: entry %llu has a malformed seq",
                                   c->nids);
            break;
        }
        seq = dpi_index_seq_of(v.mv_data);
        if (dpi_index_rec_get(c->ix, c->txn, seq, &r, NULL))
            st = dpi_index_corrupt(err,
                                   "ids: an id points to seq %llu, which has "
                                   "no valid record",
                                   seq);
        else if (r.id_len != k.mv_size || memcmp(r.id, k.mv_data, k.mv_size))
            st = dpi_index_corrupt(err, "ids: seq %llu's record has another id",
                                   seq);
    }
    mdb_cursor_close(cur);
    if (!st && rc != MDB_NOTFOUND)
        st = dpi_index_mdb(rc, err, "check");
    return st;
}

/* Every distinct band key of the signature in c->sig is in bands with
 * @seq; counts them in c->found. */
static dp_status check_bands_of(check_ctx *c, uint64_t seq, dp_error *err)
{
    unsigned b, i;
    dpi_lsh_band_keys(&c->ix->lsh, c->sig, c->keys);
    for (b = 0; b < c->ix->p.bands; b++) {
        unsigned char kb[8];
        MDB_val bk = {8, &c->keys[b]}, bv = {8, kb};
        int repeat = 0;
        for (i = 0; i < b; i++)
            repeat |= c->keys[i] == c->keys[b];
        if (repeat)
            continue;
        dpi_index_seq_key(seq, kb);
        if (mdb_cursor_get(c->bc, &bk, &bv, MDB_GET_BOTH))
            return dpi_index_corrupt(err,
                                     "bands: document seq %llu lacks a band "
                                     "key",
                                     seq);
        c->found++;
    }
    return DP_OK;
}

/* One record (key @k, value @v): its seq, id, band keys, set, text. */
static dp_status check_doc(check_ctx *c, const MDB_val *k, const MDB_val *v,
                           uint64_t prev, dp_error *err)
{
    dp_index *ix = c->ix;
    dp_index_rec r;
    uint64_t seq, s2;
    MDB_val x;
    dp_status st;

    if (k->mv_size != 8)
        return dpi_index_corrupt(err, "docs: malformed key after seq %llu",
                                 prev);
    seq = dpi_index_seq_of(k->mv_data);
    if (seq >= c->next)
        return dpi_index_corrupt(err, "docs: seq %llu is not below next_seq",
                                 seq);
    if (dpi_index_rec_decode(v->mv_data, v->mv_size, ix->p.perms, &r))
        return dpi_index_corrupt(err, "docs: record of seq %llu is malformed",
                                 seq);
    dpi_index_rec_sig(&r, c->sig);
    if (dpi_index_seq_get(ix, c->txn, r.id, r.id_len, &s2, NULL) || s2 != seq)
        return dpi_index_corrupt(
            err, "docs: seq %llu's id does not lead back to it", seq);
    if ((st = check_bands_of(c, seq, err)))
        return st;
    if (!(ix->p.flags & DP_INDEX_NO_SETS) &&
        (dpi_index_set_get(ix, c->txn, seq, &x, NULL) ||
         dpi_index_set_check(x.mv_data, x.mv_size)))
        return dpi_index_corrupt(err,
                                 "sets: seq %llu's shingle set is missing "
                                 "or malformed",
                                 seq);
    if (ix->p.flags & DP_INDEX_STORE_TEXT) {
        x.mv_size = 8;
        x.mv_data = k->mv_data;
        if (mdb_get(c->txn, ix->texts, &x, &x))
            return dpi_index_corrupt(err, "texts: seq %llu has no text", seq);
        return check_text(c, seq, &r, &x, err);
    }
    return DP_OK;
}

/* docs -> ids, bands, sets, texts, then the counts. */
static dp_status check_docs(check_ctx *c, dp_error *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t prev = 0;
    dp_status st = DP_OK;
    int rc;

    if ((rc = mdb_cursor_open(c->txn, c->ix->docs, &cur)))
        return dpi_index_mdb(rc, err, "check");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !st && rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        c->ndocs++;
        st = check_doc(c, &k, &v, prev, err);
        prev = k.mv_size == 8 ? dpi_index_seq_of(k.mv_data) : prev;
    }
    mdb_cursor_close(cur);
    if (!st && rc != MDB_NOTFOUND)
        st = dpi_index_mdb(rc, err, "check");
    if (!st && c->ndocs != c->nids)
        st = dpi_index_corrupt(err,
                               "ids and docs differ in count (%llu "
                               "documents)",
                               c->ndocs);
    return st;
}

/* bands: every entry was found from its document above. */
static dp_status check_band_count(check_ctx *c, dp_error *err)
{
    MDB_val k, v;
    uint64_t nbands = 0;
    int rc;

    for (rc = mdb_cursor_get(c->bc, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c->bc, &k, &v, MDB_NEXT)) {
        nbands++;
        if (k.mv_size != 8 || v.mv_size != 8)
            return dpi_index_corrupt(err, "bands: malformed entry %llu",
                                     nbands);
    }
    if (rc != MDB_NOTFOUND)
        return dpi_index_mdb(rc, err, "check");
    if (nbands != c->found)
        return dpi_index_corrupt(err,
                                 "bands: %llu entries belong to no document "
                                 "(or to a document that lacks that key)",
                                 nbands - c->found);
    return DP_OK;
}

/* sets and texts: no entry for a missing seq. */
static dp_status check_orphans(check_ctx *c, dp_error *err)
{
    unsigned t;
    for (t = 0; t < 2; t++) {
        MDB_cursor *cur;
        MDB_val k, v, x;
        dp_status st = DP_OK;
        int rc;
        if ((rc =
                 mdb_cursor_open(c->txn, t ? c->ix->texts : c->ix->sets, &cur)))
            return dpi_index_mdb(rc, err, "check");
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !st && rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (k.mv_size != 8 || mdb_get(c->txn, c->ix->docs, &k, &x))
                st = dpi_index_corrupt(
                    err,
                    t ? "texts: entry for missing seq %llu"
                      : "sets: entry for missing seq %llu",
                    k.mv_size == 8 ? dpi_index_seq_of(k.mv_data) : 0);
        mdb_cursor_close(cur);
        if (!st && rc != MDB_NOTFOUND)
            st = dpi_index_mdb(rc, err, "check");
        if (st)
            return st;
    }
    return DP_OK;
}

/* Walk every table; see doppel.h for what is checked. */
static dp_status check_txn(dp_index *ix, MDB_txn *txn, dp_error *err)
{
    check_ctx c;
    dp_status st;
    int rc;

    memset(&c, 0, sizeof c);
    c.ix = ix;
    c.txn = txn;
    if ((st = dpi_index_next_seq_get(ix, txn, &c.next, err)))
        return st;
    c.sig = malloc((size_t)ix->p.perms * sizeof *c.sig);
    c.sig2 = malloc((size_t)ix->p.perms * sizeof *c.sig2);
    c.keys = malloc((size_t)ix->p.bands * sizeof *c.keys);
    if (!c.sig || !c.sig2 || !c.keys || dp_work_create(&c.work))
        st = DP_ENOMEM;
    else if ((rc = mdb_cursor_open(txn, ix->bands, &c.bc)))
        st = dpi_index_mdb(rc, err, "check");
    if (!st)
        st = check_ids(&c, err);
    if (!st)
        st = check_docs(&c, err);
    if (!st)
        st = check_band_count(&c, err);
    if (!st)
        st = check_orphans(&c, err);
    if (c.bc)
        mdb_cursor_close(c.bc);
    free(c.sig);
    free(c.sig2);
    free(c.keys);
    dp_work_free(c.work);
    return st;
}

dp_status dp_index_check(dp_index *ix, dp_error *err)
{
    MDB_txn *txn;
    dp_status st;
    if (!ix)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = dpi_index_txn_begin(ix, 0, &txn, err)))
        return st;
    st = check_txn(ix, txn, err);
    dpi_index_txn_abort(ix, txn);
    return st;
}

/* ------------------------------------------------------------------ */
/* Compact                                                            */
/* ------------------------------------------------------------------ */

static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)fsync(fd); /* best effort: the rename itself is done */
    close(fd);
}

/* Back to the shared flock every open handle holds. */
static void relock_shared(dp_index *ix)
{
    while (flock(ix->lock_fd, LOCK_SH) != 0 && errno == EINTR)
        ;
}

/* The exclusive flock: no other handle has the index open. */
static dp_status lock_alone(dp_index *ix, dp_error *err)
{
    int e;
    if (flock(ix->lock_fd, LOCK_EX | LOCK_NB) == 0)
        return DP_OK;
    e = errno;
    relock_shared(ix);
    if (e == EWOULDBLOCK)
        return dpi_error_set(err, DP_EBUSY, (size_t)-1,
                             "%s is open in another process or handle; "
                             "compact needs it alone",
                             ix->path);
    return dpi_error_set(err, DP_EIO, (size_t)-1, "flock: %s", strerror(e));
}

/* LMDB's compacting copy into @tmp, synced. On failure @tmp is gone. */
static dp_status copy_compact(dp_index *ix, const char *tmp, dp_error *err)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666), rc;
    if (fd < 0)
        return dpi_error_set(err, dpi_status_of_errno(errno), (size_t)-1,
                             "%s: %s", tmp, strerror(errno));
    pthread_rwlock_wrlock(&ix->map_lock);
    rc = mdb_env_copyfd2(ix->env, fd, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&ix->map_lock);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && rc == 0)
        rc = errno;
    if (rc) {
        unlink(tmp);
        return dpi_index_mdb(rc, err, "compacting");
    }
    return DP_OK;
}

/* Close the environment, rename @tmp over @data, reopen. A crash leaves
 * the old or the new file, each whole; a failed reopen leaves the handle
 * broken (every later call DP_EIO). */
static dp_status swap_and_reopen(dp_index *ix, const char *tmp,
                                 const char *data, dp_error *err)
{
    MDB_envinfo info;
    dp_status st = DP_OK, st2;

    mdb_env_info(ix->env, &info);
    mdb_env_close(ix->env);
    ix->env = NULL;
    if (rename(tmp, data) != 0) {
        st = dpi_error_set(err, DP_EIO, (size_t)-1, "rename %s: %s", tmp,
                           strerror(errno));
        unlink(tmp);
    } else {
        fsync_dir(ix->path);
    }
    st2 = dpi_index_env_open(ix, info.me_mapsize, 0, err);
    if (!st2)
        st2 = dpi_index_tables_open(ix, 0, NULL, err);
    if (st2) {
        ix->broken = 1;
        return st2;
    }
    return st;
}

dp_status dp_index_compact(dp_index *ix, dp_error *err)
{
    char *tmp = NULL, *data = NULL;
    dp_status st;

    if (!ix)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (ix->broken)
        return dpi_error_set(err, DP_EIO, (size_t)-1,
                             "index handle unusable after a failed compact");
    if (ix->rdonly || ix->lock_fd < 0)
        return dpi_error_set(err, DP_EACCES, (size_t)-1,
                             "index opened read-only");
    if ((st = lock_alone(ix, err)))
        return st;
    tmp = dpi_index_path_join(ix->path, "data.mdb.compact");
    data = dpi_index_path_join(ix->path, "data.mdb");
    if (!tmp || !data)
        st = DP_ENOMEM;
    if (!st)
        st = copy_compact(ix, tmp, err);
    if (!st)
        st = swap_and_reopen(ix, tmp, data, err);
    relock_shared(ix);
    free(tmp);
    free(data);
    return st;
}
