/*
 * index.c - the persistent index (the dp_index_* API): documents, MinHash
 * signatures, LSH band keys, shingle sets and texts in one LMDB
 * environment, written in batched transactions and queried by many
 * threads at once.
 *
 * Layout (docs/index.md has the full story). The environment is a
 * directory: data.mdb, lock.mdb (LMDB's reader table), doppel.lock (a
 * flock: shared by every open handle, exclusive while compacting). Six
 * named tables:
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
 * Re-adding an id deletes the old seq's entries (record, band keys, set,
 * text) and adds the document under a new seq, in the same transaction.
 *
 * Crash safety is LMDB's: no MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP,
 * so a committed transaction is on disk and an interrupted one is
 * invisible. Every write API call is exactly one transaction.
 *
 * Map size. LMDB's map is fixed per process; growing it (after
 * MDB_MAP_FULL in our writer, or adopting another process's growth after
 * MDB_MAP_RESIZED) remaps the file, which is only safe while no
 * transaction of this process is open. So every transaction holds
 * map_lock for reading and a remap takes it for writing (the lock prefers
 * writers so a stream of queries cannot starve a remap). A writer that
 * meets MDB_MAP_FULL aborts, grows the map, and replays the batch from
 * its precomputed signatures.
 *
 * Signatures are made by dpi_dedup_sketch() with the same MinHash family
 * and the same recall-first banding rule as dp_dedup, so queries find
 * exactly the pairs dedup would verify.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>

#include "core/util.h"
#include "dedup/dedup.h"
#include "sketch/lsh.h"
#include "index/record.h"
#include "sketch/minhash.h"

#define DEFAULT_MAP_SIZE   ((size_t)64 << 20)
#define MAX_MAP_STEP       ((size_t)1 << 30)
#define DEFAULT_MAX_BUCKET 10000u
#define INDEX_FORMAT       1
#define NO_SEQ             UINT64_MAX

struct dp_index {
    MDB_env *env;
    MDB_dbi meta, ids, docs, bands, sets, texts;
    pthread_rwlock_t map_lock; /* read: a transaction is open; write: remap */
    int lock_fd;               /* doppel.lock, flock'ed shared; -1 if none */
    int rdonly;
    int broken; /* a failed compact closed the environment */
    char *path;
    dp_index_opts o;
    dp_index_params p; /* complete: every field filled */
    dp_minhash *mh;
    dp_lsh_params lsh;
};

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

static dp_status status_of_mdb(int rc)
{
    switch (rc) {
    case 0: return DP_OK;
    case ENOMEM: return DP_ENOMEM;
    case EACCES:
    case EROFS:
    case EPERM: return DP_EACCES;
    case ENOENT: return DP_ENOENT;
    case MDB_MAP_FULL: return DP_EFULL;
    case MDB_TXN_FULL: return DP_ETOOBIG;
    case MDB_READERS_FULL: return DP_EBUSY;
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INCOMPATIBLE:
    case MDB_BAD_VALSIZE:
    case MDB_BAD_DBI: return DP_ECORRUPT;
    case MDB_VERSION_MISMATCH: return DP_EMISMATCH;
    default: return DP_EIO;
    }
}

static dp_status mdb_fail(dp_error *err, int rc, const char *what)
{
    dp_status st = status_of_mdb(rc);
    if (rc == MDB_TXN_FULL)
        return dpi_error_set(err, st, (size_t)-1,
                            "%s: batch too large for one transaction "
                            "(add fewer or smaller documents at once)",
                            what);
    if (rc == MDB_READERS_FULL)
        return dpi_error_set(err, st, (size_t)-1,
                            "%s: all reader slots in use (max_readers)", what);
    return dpi_error_set(err, st, (size_t)-1, "%s: %s", what, mdb_strerror(rc));
}

static dp_status corrupt(dp_error *err, const char *fmt, uint64_t a)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, (unsigned long long)a);
    return dpi_error_set(err, DP_ECORRUPT, (size_t)-1, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

void dp_index_params_init(dp_index_params *p)
{
    memset(p, 0, sizeof *p);
}

void dp_index_opts_init(dp_index_opts *o)
{
    memset(o, 0, sizeof *o);
}

void dp_index_add_opts_init(dp_index_add_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dedup = DP_INDEX_DEDUP_OFF;
    dp_text_opts_init(&o->text);
}

void dp_index_query_opts_init(dp_index_query_opts *o)
{
    memset(o, 0, sizeof *o);
    dp_text_opts_init(&o->text);
}

void dp_index_params_get(const dp_index *ix, dp_index_params *out)
{
    assert(ix && out);
    *out = ix->p;
}

/* Range checks shared by create and open (0 = default / any). */
static dp_status params_check(const dp_index_params *p, dp_error *err)
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

/* Complete @p for a new index: defaults, then the banding. */
static dp_status params_complete(dp_index_params *p, dp_error *err)
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

static char *params_json(const dp_index_params *p)
{
    char seed[2][24];
    json_t *o = json_object();
    char *s;
    if (!o)
        return NULL;
    snprintf(seed[0], sizeof seed[0], "%016llx",
             (unsigned long long)DP_MINHASH_DEFAULT_SEED);
    snprintf(seed[1], sizeof seed[1], "%016llx",
             (unsigned long long)DP_LSH_DEFAULT_SEED);
    json_object_set_new(o, "format", json_integer(INDEX_FORMAT));
    json_object_set_new(o, "norm_version", json_integer(p->norm_version));
    json_object_set_new(o, "shingle_k", json_integer(p->shingle_k));
    json_object_set_new(o, "perms", json_integer(p->perms));
    json_object_set_new(o, "threshold", json_real(p->threshold));
    json_object_set_new(o, "bands", json_integer(p->bands));
    json_object_set_new(o, "rows", json_integer(p->rows));
    json_object_set_new(o, "store_text",
                        json_boolean(p->flags & DP_INDEX_STORE_TEXT));
    json_object_set_new(o, "shingle_sets",
                        json_boolean(!(p->flags & DP_INDEX_NO_SETS)));
    json_object_set_new(o, "minhash", json_string("kperm"));
    json_object_set_new(o, "minhash_seed", json_string(seed[0]));
    json_object_set_new(o, "lsh_seed", json_string(seed[1]));
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                          JSON_REAL_PRECISION(17));
    json_decref(o);
    return s;
}

static int json_uint(json_t *o, const char *k, unsigned max, unsigned *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (json_int_t)max)
        return -1;
    *out = (unsigned)json_integer_value(v);
    return 0;
}

/* Parse and check the stored parameters; a doppel index of another
 * format, normalisation or hash family is a mismatch, not corruption. */
static dp_status params_parse(const char *s, size_t len, dp_index_params *p,
                              dp_error *err)
{
    json_t *o = json_loadb(s, len, 0, NULL), *v;
    unsigned fmt = 0, nv = 0;
    char seed[2][24];
    dp_status rc = DP_OK;

    memset(p, 0, sizeof *p);
    if (!json_is_object(o)) {
        json_decref(o);
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                            "index parameters are not JSON");
    }
    snprintf(seed[0], sizeof seed[0], "%016llx",
             (unsigned long long)DP_MINHASH_DEFAULT_SEED);
    snprintf(seed[1], sizeof seed[1], "%016llx",
             (unsigned long long)DP_LSH_DEFAULT_SEED);
    if (json_uint(o, "format", 1000000, &fmt) ||
        json_uint(o, "norm_version", 1000000, &nv)) {
        rc = dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                          "index parameters lack format/norm_version");
        goto done;
    }
    if (fmt != INDEX_FORMAT) {
        rc = dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                          "index format %u, this library reads format %d", fmt,
                          INDEX_FORMAT);
        goto done;
    }
    if (nv != DP_NORM_VERSION) {
        rc = dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                          "index built with normalisation version %u, this "
                          "library has %d: rebuild the index",
                          nv, DP_NORM_VERSION);
        goto done;
    }
    p->norm_version = nv;
    v = json_object_get(o, "threshold");
    if (json_uint(o, "shingle_k", 64, &p->shingle_k) || !p->shingle_k ||
        json_uint(o, "perms", DP_MINHASH_MAX_PERMS, &p->perms) || !p->perms ||
        json_uint(o, "bands", DP_LSH_MAX_BANDS, &p->bands) || !p->bands ||
        json_uint(o, "rows", DP_MINHASH_MAX_PERMS, &p->rows) || !p->rows ||
        (uint64_t)p->bands * p->rows > p->perms || !json_is_number(v) ||
        !(json_number_value(v) > 0 && json_number_value(v) <= 1) ||
        !json_is_boolean(json_object_get(o, "store_text")) ||
        !json_is_boolean(json_object_get(o, "shingle_sets"))) {
        rc = dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                          "index parameters malformed");
        goto done;
    }
    p->threshold = json_number_value(v);
    if (json_is_true(json_object_get(o, "store_text")))
        p->flags |= DP_INDEX_STORE_TEXT;
    if (json_is_false(json_object_get(o, "shingle_sets")))
        p->flags |= DP_INDEX_NO_SETS;
    v = json_object_get(o, "minhash");
    if (!json_is_string(v) || strcmp(json_string_value(v), "kperm") ||
        !json_is_string(json_object_get(o, "minhash_seed")) ||
        strcmp(json_string_value(json_object_get(o, "minhash_seed")),
               seed[0]) ||
        !json_is_string(json_object_get(o, "lsh_seed")) ||
        strcmp(json_string_value(json_object_get(o, "lsh_seed")), seed[1]))
        rc = dpi_error_set(err, DP_EMISMATCH, (size_t)-1,
                          "index built with another MinHash/LSH hash family");
done:
    json_decref(o);
    return rc;
}

/* The asked parameters (nonzero fields) against the stored ones. */
static dp_status params_match(const dp_index_params *have,
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

/* ------------------------------------------------------------------ */
/* Transactions and the map                                           */
/* ------------------------------------------------------------------ */

/* Grow the map (after MDB_MAP_FULL) or adopt another process's size
 * (@adopt). Takes map_lock for writing: no transaction of ours is open. */
static dp_status map_grow(dp_index *ix, int adopt, dp_error *err)
{
    MDB_envinfo info;
    size_t cur, next;
    int rc;

    pthread_rwlock_wrlock(&ix->map_lock);
    if (adopt) {
        rc = mdb_env_set_mapsize(ix->env, 0);
        pthread_rwlock_unlock(&ix->map_lock);
        return rc ? mdb_fail(err, rc, "adopting the map size") : DP_OK;
    }
    mdb_env_info(ix->env, &info);
    cur = info.me_mapsize;
    next = cur + DP_MIN(cur, MAX_MAP_STEP);
    if (next < cur)
        next = SIZE_MAX;
    if (ix->o.map_max && next > ix->o.map_max)
        next = ix->o.map_max;
    if (next <= cur) {
        pthread_rwlock_unlock(&ix->map_lock);
        return dpi_error_set(err, DP_EFULL, (size_t)-1,
                            "index map is full at its maximum of %zu bytes "
                            "(raise map_max / --map-max)",
                            cur);
    }
    rc = mdb_env_set_mapsize(ix->env, next);
    pthread_rwlock_unlock(&ix->map_lock);
    return rc ? mdb_fail(err, rc, "growing the map") : DP_OK;
}

/* Begin a transaction holding map_lock for reading; adopts a map grown
 * by another process. End it with txn_end(). */
static dp_status txn_begin(dp_index *ix, int write, MDB_txn **txn,
                           dp_error *err)
{
    int rc;
    dp_status st;
    if (ix->broken)
        return dpi_error_set(err, DP_EIO, (size_t)-1,
                            "index handle unusable after a failed compact");
    if (write && ix->rdonly)
        return dpi_error_set(err, DP_EACCES, (size_t)-1,
                            "index opened read-only");
    for (;;) {
        pthread_rwlock_rdlock(&ix->map_lock);
        rc = mdb_txn_begin(ix->env, NULL, write ? 0 : MDB_RDONLY, txn);
        if (rc == 0)
            return DP_OK;
        pthread_rwlock_unlock(&ix->map_lock);
        if (rc != MDB_MAP_RESIZED)
            return mdb_fail(err, rc, "starting a transaction");
        if ((st = map_grow(ix, 1, err)))
            return st;
    }
}

/* Commit (@commit) or abort @txn and release map_lock. */
static int txn_end(dp_index *ix, MDB_txn *txn, int commit)
{
    int rc = 0;
    if (commit)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    pthread_rwlock_unlock(&ix->map_lock);
    return rc;
}

static int get_seq(dp_index *ix, MDB_txn *txn, const char *id, size_t len,
                   uint64_t *seq)
{
    MDB_val k = {len, (void *)id}, v;
    int rc = mdb_get(txn, ix->ids, &k, &v);
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *seq = dpi_index_seq_of(v.mv_data);
    return 0;
}

static int get_next_seq(dp_index *ix, MDB_txn *txn, uint64_t *seq)
{
    MDB_val k = {8, "next_seq"}, v;
    int rc = mdb_get(txn, ix->meta, &k, &v);
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *seq = dpi_index_seq_of(v.mv_data);
    return 0;
}

static int put_next_seq(dp_index *ix, MDB_txn *txn, uint64_t seq)
{
    unsigned char b[8];
    MDB_val k = {8, "next_seq"}, v = {8, b};
    dpi_index_seq_key(seq, b);
    return mdb_put(txn, ix->meta, &k, &v, 0);
}

/* Fetch and decode the record of @seq. MDB_NOTFOUND when absent,
 * MDB_CORRUPTED when it does not decode. */
static int get_rec(dp_index *ix, MDB_txn *txn, uint64_t seq, dp_index_rec *r)
{
    unsigned char kb[8];
    MDB_val k = {8, kb}, v;
    int rc;
    dpi_index_seq_key(seq, kb);
    rc = mdb_get(txn, ix->docs, &k, &v);
    if (rc)
        return rc;
    if (dpi_index_rec_decode(v.mv_data, v.mv_size, ix->p.perms, r))
        return MDB_CORRUPTED;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                     */
/* ------------------------------------------------------------------ */

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (s) {
        memcpy(s, dir, a);
        s[a] = '/';
        memcpy(s + a + 1, name, b + 1);
    }
    return s;
}

static int file_exists(const char *dir, const char *name)
{
    char *p = join(dir, name);
    struct stat st;
    int ok = p && stat(p, &st) == 0;
    free(p);
    return ok;
}

/* A directory we may create an index in: empty but for our own files. */
static int dir_usable(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int ok = 1;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, "lock.mdb") &&
            strcmp(n, "doppel.lock") && strcmp(n, "data.mdb.compact"))
            ok = 0;
    }
    closedir(d);
    return ok;
}

static dp_status open_lock(dp_index *ix, dp_error *err)
{
    char *p = join(ix->path, "doppel.lock");
    if (!p)
        return DP_ENOMEM;
    ix->lock_fd =
        open(p, (ix->rdonly ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0666);
    if (ix->lock_fd < 0 && ix->rdonly) {
        free(p); /* a read-only directory without the file: no flock */
        return DP_OK;
    }
    if (ix->lock_fd < 0) {
        dp_status st = errno == EACCES || errno == EROFS ? DP_EACCES : DP_EIO;
        dpi_error_set(err, st, (size_t)-1, "%s: %s", p, strerror(errno));
        free(p);
        return st;
    }
    free(p);
    while (flock(ix->lock_fd, LOCK_SH) != 0)
        if (errno != EINTR)
            return dpi_error_set(err, DP_EIO, (size_t)-1, "flock: %s",
                                strerror(errno));
    return DP_OK;
}

static int dbi_open(MDB_txn *txn, const char *name, unsigned flags,
                    MDB_dbi *dbi)
{
    return mdb_dbi_open(txn, name, flags, dbi);
}

/* Open the tables and read (or, on a new index, write) the parameters. */
static dp_status open_tables(dp_index *ix, int may_create,
                             const dp_index_params *want, dp_error *err)
{
    static const unsigned bflags = MDB_DUPSORT | MDB_DUPFIXED;
    MDB_txn *txn = NULL;
    MDB_val k = {6, "params"}, v;
    unsigned cf = 0;
    int rc, fresh = 0;
    dp_status st;

    if (may_create) {
        MDB_stat ms;
        MDB_dbi main_dbi;
        if ((st = txn_begin(ix, 1, &txn, err)))
            return st;
        rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
        if (!rc)
            rc = mdb_stat(txn, main_dbi, &ms);
        if (rc)
            goto lmdb;
        rc = dbi_open(txn, "meta", 0, &ix->meta);
        if (rc == MDB_NOTFOUND) {
            if (ms.ms_entries != 0) {
                txn_end(ix, txn, 0);
                return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                                    "%s holds an LMDB database that is not "
                                    "a doppel index",
                                    ix->path);
            }
            fresh = 1;
            cf = MDB_CREATE;
        } else if (rc) {
            goto lmdb;
        }
    } else {
        if ((st = txn_begin(ix, 0, &txn, err)))
            return st;
    }
    if ((rc = dbi_open(txn, "meta", cf, &ix->meta)) ||
        (rc = dbi_open(txn, "ids", cf, &ix->ids)) ||
        (rc = dbi_open(txn, "docs", cf, &ix->docs)) ||
        (rc = dbi_open(txn, "bands", cf | bflags, &ix->bands)) ||
        (rc = dbi_open(txn, "sets", cf, &ix->sets)) ||
        (rc = dbi_open(txn, "texts", cf, &ix->texts))) {
        if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
            txn_end(ix, txn, 0);
            return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                                "%s is not a doppel index (tables missing)",
                                ix->path);
        }
        goto lmdb;
    }
    if (fresh) {
        char *js;
        ix->p = want ? *want : ix->p;
        if ((st = params_complete(&ix->p, err))) {
            txn_end(ix, txn, 0);
            return st;
        }
        js = params_json(&ix->p);
        if (!js) {
            txn_end(ix, txn, 0);
            return DP_ENOMEM;
        }
        v.mv_size = strlen(js);
        v.mv_data = js;
        rc = mdb_put(txn, ix->meta, &k, &v, 0);
        free(js);
        if (!rc)
            rc = put_next_seq(ix, txn, 0);
        if (rc)
            goto lmdb;
        rc = txn_end(ix, txn, 1);
        if (rc)
            return mdb_fail(err, rc, "creating the index");
        return DP_OK;
    }
    rc = mdb_get(txn, ix->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        txn_end(ix, txn, 0);
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                            "%s is not a doppel index (no parameters)",
                            ix->path);
    }
    if (rc)
        goto lmdb;
    st = params_parse(v.mv_data, v.mv_size, &ix->p, err);
    if (!st)
        st = params_match(&ix->p, want, err);
    rc = txn_end(ix, txn, 1); /* keeps the table handles */
    if (!st && rc)
        st = mdb_fail(err, rc, "opening the tables");
    return st;
lmdb:
    txn_end(ix, txn, 0);
    return mdb_fail(err, rc, "opening the tables");
}

/* The map to start with: asked, else 64 MiB, never over map_max. */
static size_t initial_map(const dp_index_opts *o)
{
    size_t m = o->map_size ? o->map_size : DEFAULT_MAP_SIZE;
    if (o->map_max && m > o->map_max)
        m = o->map_max;
    return m;
}

dp_status dp_index_open(const char *path, const dp_index_opts *opts,
                        const dp_index_params *params, dp_index **out,
                        dp_error *err)
{
    dp_index *ix;
    dp_index_opts o;
    struct stat sb;
    pthread_rwlockattr_t ra;
    dp_minhash_opts mo;
    dp_status st;
    int rc, exists, dead;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    *out = NULL;
    if (!path || !*path)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no index path");
    if (opts)
        o = *opts;
    else
        dp_index_opts_init(&o);
    if (params && (st = params_check(params, err)))
        return st;
    if (o.flags &
            ~(unsigned)(DP_INDEX_CREATE | DP_INDEX_EXCL | DP_INDEX_RDONLY) ||
        ((o.flags & DP_INDEX_RDONLY) && (o.flags & DP_INDEX_CREATE)) ||
        (o.map_max && o.map_size > o.map_max))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                            "conflicting index open options");

    if (stat(path, &sb) != 0) {
        if (errno != ENOENT)
            return dpi_error_set(err, errno == EACCES ? DP_EACCES : DP_EIO,
                                (size_t)-1, "%s: %s", path, strerror(errno));
        if (!(o.flags & DP_INDEX_CREATE))
            return dpi_error_set(err, DP_ENOENT, (size_t)-1, "%s: no such index",
                                path);
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return dpi_error_set(err, errno == EACCES ? DP_EACCES : DP_EIO,
                                (size_t)-1, "%s: cannot create: %s", path,
                                strerror(errno));
    } else if (!S_ISDIR(sb.st_mode)) {
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                            "%s is not a doppel index (an index is a "
                            "directory)",
                            path);
    }
    exists = file_exists(path, "data.mdb");
    if (exists && (o.flags & DP_INDEX_CREATE) && (o.flags & DP_INDEX_EXCL))
        return dpi_error_set(err, DP_EEXIST, (size_t)-1,
                            "%s: an index already exists", path);
    if (!exists && !(o.flags & DP_INDEX_CREATE))
        return dpi_error_set(err, DP_ENOENT, (size_t)-1,
                            "%s: no index in this directory", path);
    if (!exists && !dir_usable(path))
        return dpi_error_set(err, DP_EEXIST, (size_t)-1,
                            "%s: directory is not empty and holds no index",
                            path);

    ix = calloc(1, sizeof *ix);
    if (!ix)
        return DP_ENOMEM;
    ix->lock_fd = -1;
    ix->o = o;
    ix->rdonly = (o.flags & DP_INDEX_RDONLY) != 0;
    pthread_rwlockattr_init(&ra);
#ifdef __GLIBC__
    pthread_rwlockattr_setkind_np(&ra,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&ix->map_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    ix->path = strdup(path);
    if (!ix->path) {
        st = DP_ENOMEM;
        goto fail;
    }
    if ((st = open_lock(ix, err)))
        goto fail;
    if ((rc = mdb_env_create(&ix->env)) ||
        (rc = mdb_env_set_maxdbs(ix->env, 8)) ||
        (rc = mdb_env_set_maxreaders(ix->env,
                                     o.max_readers ? o.max_readers : 126)) ||
        (rc = mdb_env_set_mapsize(ix->env, initial_map(&o)))) {
        st = mdb_fail(err, rc, path);
        goto fail;
    }
    rc = mdb_env_open(ix->env, path, MDB_NOTLS | (ix->rdonly ? MDB_RDONLY : 0),
                      0666);
    if (rc) {
        st = mdb_fail(err, rc, path);
        if (rc == MDB_INVALID)
            dpi_error_set(err, st, (size_t)-1,
                         "%s is not a doppel index (not an LMDB file)", path);
        goto fail;
    }
    mdb_reader_check(ix->env, &dead); /* slots of killed readers */
    if ((st = open_tables(ix, (o.flags & DP_INDEX_CREATE) != 0, params, err)))
        goto fail;
    dpi_minhash_opts_init(&mo);
    mo.perms = ix->p.perms;
    if ((st = dpi_minhash_create(&mo, &ix->mh)))
        goto fail;
    if ((st =
             dpi_lsh_params_set(ix->p.bands, ix->p.rows, ix->p.perms, &ix->lsh)))
        goto fail;
    *out = ix;
    return DP_OK;
fail:
    dp_index_close(ix);
    return st;
}

void dp_index_close(dp_index *ix)
{
    if (!ix)
        return;
    if (ix->env)
        mdb_env_close(ix->env);
    if (ix->lock_fd >= 0)
        close(ix->lock_fd);
    pthread_rwlock_destroy(&ix->map_lock);
    dpi_minhash_free(ix->mh);
    free(ix->path);
    free(ix);
}

/* ------------------------------------------------------------------ */
/* Candidates and scores                                              */
/* ------------------------------------------------------------------ */

/* One scored candidate; id points into the map (valid in the txn). */
typedef struct cand {
    uint64_t seq;
    double score, est;
    uint32_t words;
    const char *id;
    size_t id_len;
} cand;

/* Per-call working memory. */
typedef struct scratch {
    uint64_t *seqs;
    size_t nseqs, cap_seqs;
    cand *hits;
    size_t nhits, cap_hits;
    uint32_t *sig;  /* perms: a candidate's signature, aligned */
    uint64_t *keys; /* bands */
} scratch;

static dp_status scratch_init(scratch *s, const dp_index *ix)
{
    memset(s, 0, sizeof *s);
    s->sig = malloc((size_t)ix->p.perms * sizeof *s->sig);
    s->keys = malloc((size_t)ix->p.bands * sizeof *s->keys);
    return s->sig && s->keys ? DP_OK : DP_ENOMEM;
}

static void scratch_free(scratch *s)
{
    free(s->seqs);
    free(s->hits);
    free(s->sig);
    free(s->keys);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_hit(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Score every document sharing a band key with @keys: the signature
 * estimate, and the exact Jaccard against @set (raw bytes, @nset values)
 * when the index keeps sets. Keeps those scoring >= @threshold (all when
 * @threshold <= 0) in s->hits, best first. Skips @exclude.
 */
static dp_status find_similar(dp_index *ix, MDB_txn *txn, const uint32_t *sig,
                              const void *set, size_t nset, double threshold,
                              size_t max_bucket, uint64_t exclude, scratch *s,
                              dp_error *err)
{
    MDB_cursor *cur = NULL;
    unsigned b;
    size_t i, k = 0;
    int rc, exact = !(ix->p.flags & DP_INDEX_NO_SETS);
    dp_status st;

    s->nseqs = s->nhits = 0;
    dpi_lsh_band_keys(&ix->lsh, sig, s->keys);
    if ((rc = mdb_cursor_open(txn, ix->bands, &cur)))
        return mdb_fail(err, rc, "reading band keys");
    for (b = 0; b < ix->p.bands; b++) {
        MDB_val key = {8, &s->keys[b]}, val;
        size_t taken = 0;
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
        while (rc == 0 && taken < max_bucket) {
            if (val.mv_size != 8) {
                rc = MDB_CORRUPTED;
                break;
            }
            if ((st = DP_RESERVE(s->seqs, s->cap_seqs, s->nseqs + 1))) {
                mdb_cursor_close(cur);
                return st;
            }
            s->seqs[s->nseqs++] = dpi_index_seq_of(val.mv_data);
            taken++;
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT_DUP);
        }
        if (rc && rc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return mdb_fail(err, rc, "reading band keys");
        }
    }
    mdb_cursor_close(cur);
    if (s->nseqs > 1)
        qsort(s->seqs, s->nseqs, sizeof *s->seqs, cmp_u64);
    for (i = 0; i < s->nseqs; i++)
        if ((i == 0 || s->seqs[i] != s->seqs[i - 1]) && s->seqs[i] != exclude)
            s->seqs[k++] = s->seqs[i];
    s->nseqs = k;
    if ((st = DP_RESERVE(s->hits, s->cap_hits, s->nseqs + 1)))
        return st;
    for (i = 0; i < s->nseqs; i++) {
        dp_index_rec r;
        cand *c = &s->hits[s->nhits];
        rc = get_rec(ix, txn, s->seqs[i], &r);
        if (rc == MDB_NOTFOUND)
            return corrupt(err,
                           "band entry points to missing document "
                           "seq %llu",
                           s->seqs[i]);
        if (rc)
            return mdb_fail(err, rc, "reading a document record");
        dpi_index_rec_sig(&r, s->sig);
        c->seq = s->seqs[i];
        c->est = dpi_minhash_jaccard(sig, s->sig, ix->p.perms);
        c->score = c->est;
        if (exact) {
            unsigned char kb[8];
            MDB_val key = {8, kb}, val;
            dpi_index_seq_key(c->seq, kb);
            rc = mdb_get(txn, ix->sets, &key, &val);
            if (rc || val.mv_size % 8 || val.mv_size == 0)
                return corrupt(err,
                               "shingle set of seq %llu missing or "
                               "malformed",
                               c->seq);
            c->score =
                dpi_index_set_jaccard(set, nset, val.mv_data, val.mv_size / 8);
        }
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

/* ------------------------------------------------------------------ */
/* Adding                                                             */
/* ------------------------------------------------------------------ */

/* What the sketch phase computed for one document of a batch. */
typedef struct pending {
    dp_status status;
    uint32_t words;
    uint64_t *set; /* sorted unique shingle hashes (malloc'd) */
    size_t nset;
} pending;

/* Per-document outcome while the transaction runs. */
typedef struct outcome {
    int replaced, duplicate, skipped, has_dup;
    size_t dup_off, dup_len; /* into the dup-id arena */
    double dup_score;
} outcome;

typedef struct sketch_job {
    dp_index *ix;
    const dp_index_doc *docs;
    const dp_text_opts *text;
    pending *pd;
    uint32_t *sigs;
    size_t n;
    atomic_size_t next;
} sketch_job;

/* Refusals that need no text pipeline. */
static dp_status doc_check(const dp_index_doc *d)
{
    if (!d->id || d->id_len == 0 || memchr(d->id, '\0', d->id_len))
        return DP_EINVAL;
    if (d->id_len > DP_INDEX_MAX_ID || d->text_len > DP_MAX_DOC_BYTES ||
        (d->meta && d->meta_len > DP_INDEX_MAX_META))
        return DP_ETOOBIG;
    if (!d->text && d->text_len)
        return DP_EINVAL;
    if (d->meta) {
        json_t *j = json_loadb(d->meta, d->meta_len, 0, NULL);
        int ok = json_is_object(j);
        json_decref(j);
        if (!ok)
            return DP_EJSON;
    }
    return DP_OK;
}

static void *sketch_worker(void *arg)
{
    sketch_job *j = arg;
    dp_index *ix = j->ix;
    int sets = !(ix->p.flags & DP_INDEX_NO_SETS);
    size_t i;
    while ((i = atomic_fetch_add(&j->next, 1)) < j->n) {
        const dp_index_doc *d = &j->docs[i];
        pending *p = &j->pd[i];
        p->status = doc_check(d);
        if (p->status)
            continue;
        p->status = dpi_dedup_sketch(ix->mh, ix->p.shingle_k, j->text,
                                    d->text ? d->text : "", d->text_len,
                                    j->sigs + i * ix->p.perms, &p->words,
                                    sets ? &p->set : NULL, &p->nset);
    }
    return NULL;
}

static void run_sketches(sketch_job *j, unsigned threads)
{
    pthread_t tid[64];
    unsigned t, started = 0;
    threads = dpi_dedup_threads(threads);
    if (threads > 64)
        threads = 64;
    if (threads > j->n)
        threads = j->n ? (unsigned)j->n : 1;
    for (t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, sketch_worker, j) != 0)
            break;
        started++;
    }
    sketch_worker(j);
    for (t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
}

/* Delete every entry of document @seq (its id entry excepted). */
static int remove_seq(dp_index *ix, MDB_txn *txn, uint64_t seq, scratch *s)
{
    dp_index_rec r;
    unsigned char kb[8];
    MDB_val k = {8, kb};
    unsigned b;
    int rc = get_rec(ix, txn, seq, &r);
    if (rc)
        return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
    dpi_index_rec_sig(&r, s->sig); /* copy: the page changes below */
    dpi_lsh_band_keys(&ix->lsh, s->sig, s->keys);
    dpi_index_seq_key(seq, kb);
    for (b = 0; b < ix->p.bands; b++) {
        MDB_val bk = {8, &s->keys[b]}, bv = {8, kb};
        rc = mdb_del(txn, ix->bands, &bk, &bv);
        if (rc && rc != MDB_NOTFOUND) /* a repeated key: already gone */
            return rc;
    }
    if ((rc = mdb_del(txn, ix->docs, &k, NULL)))
        return rc;
    rc = mdb_del(txn, ix->sets, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    rc = mdb_del(txn, ix->texts, &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    return 0;
}

/* Write one document under @seq (ids, docs, sets, texts, bands). */
static int put_doc(dp_index *ix, MDB_txn *txn, const dp_index_doc *d,
                   const pending *p, const uint32_t *sig, uint64_t seq,
                   scratch *s)
{
    unsigned char kb[8];
    MDB_val k = {8, kb}, v;
    MDB_val ik = {d->id_len, (void *)d->id};
    size_t size =
        dpi_index_rec_size(d->id_len, d->meta ? d->meta_len : 0, ix->p.perms);
    unsigned b;
    int rc;

    assert(size);
    dpi_index_seq_key(seq, kb);
    v.mv_size = 8;
    v.mv_data = kb;
    if ((rc = mdb_put(txn, ix->ids, &ik, &v, 0)))
        return rc;
    v.mv_size = size;
    v.mv_data = NULL;
    if ((rc = mdb_put(txn, ix->docs, &k, &v, MDB_APPEND | MDB_RESERVE)))
        return rc;
    dpi_index_rec_encode(v.mv_data, d->id, d->id_len, d->meta,
                        d->meta ? d->meta_len : 0, sig, ix->p.perms, p->words);
    if (!(ix->p.flags & DP_INDEX_NO_SETS)) {
        v.mv_size = p->nset * 8;
        v.mv_data = p->set;
        if ((rc = mdb_put(txn, ix->sets, &k, &v, MDB_APPEND)))
            return rc;
    }
    if (ix->p.flags & DP_INDEX_STORE_TEXT) {
        v.mv_size = d->text_len;
        v.mv_data = (void *)(d->text ? d->text : "");
        if ((rc = mdb_put(txn, ix->texts, &k, &v, MDB_APPEND)))
            return rc;
    }
    dpi_lsh_band_keys(&ix->lsh, sig, s->keys);
    for (b = 0; b < ix->p.bands; b++) {
        MDB_val bk = {8, &s->keys[b]}, bv = {8, kb};
        if ((rc = mdb_put(txn, ix->bands, &bk, &bv, 0)))
            return rc;
    }
    return 0;
}

typedef struct add_ctx {
    dp_index *ix;
    const dp_index_doc *docs;
    size_t n;
    const dp_index_add_opts *o;
    double threshold;
    pending *pd;
    uint32_t *sigs;
    outcome *oc;
    char *ids; /* dup-id arena */
    size_t ids_len, ids_cap;
    scratch s;
} add_ctx;

/* One attempt at the batch's transaction. Returns an LMDB code (the
 * caller retries MDB_MAP_FULL after growing the map), or -1 with *st set
 * for a doppel failure. */
static int add_txn(add_ctx *a, MDB_txn *txn, dp_status *st, dp_error *err)
{
    dp_index *ix = a->ix;
    uint64_t next, old;
    size_t i;
    int rc;

    a->ids_len = 0;
    memset(a->oc, 0, a->n * sizeof *a->oc);
    if ((rc = get_next_seq(ix, txn, &next)))
        return rc;
    for (i = 0; i < a->n; i++) {
        const dp_index_doc *d = &a->docs[i];
        outcome *oc = &a->oc[i];
        const uint32_t *sig = a->sigs + i * ix->p.perms;
        int have_old;

        if (a->pd[i].status)
            continue;
        rc = get_seq(ix, txn, d->id, d->id_len, &old);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
        have_old = rc == 0;
        if (a->o->dedup != DP_INDEX_DEDUP_OFF) {
            *st = find_similar(ix, txn, sig, a->pd[i].set, a->pd[i].nset, 0,
                               DEFAULT_MAX_BUCKET, have_old ? old : NO_SEQ,
                               &a->s, err);
            if (*st)
                return -1;
            if (a->s.nhits) {
                const cand *c = &a->s.hits[0];
                *st =
                    DP_RESERVE(a->ids, a->ids_cap, a->ids_len + c->id_len + 1);
                if (*st)
                    return -1;
                memcpy(a->ids + a->ids_len, c->id, c->id_len);
                a->ids[a->ids_len + c->id_len] = '\0';
                oc->has_dup = 1;
                oc->dup_off = a->ids_len;
                oc->dup_len = c->id_len;
                oc->dup_score = c->score;
                oc->duplicate = c->score + 1e-9 >= a->threshold;
                a->ids_len += c->id_len + 1;
            }
            if (oc->duplicate && a->o->dedup == DP_INDEX_DEDUP_SKIP) {
                oc->skipped = 1;
                continue;
            }
        }
        if (have_old) {
            if ((rc = remove_seq(ix, txn, old, &a->s)))
                return rc;
            oc->replaced = 1;
        }
        if ((rc = put_doc(ix, txn, d, &a->pd[i], sig, next, &a->s)))
            return rc;
        next++;
    }
    return put_next_seq(ix, txn, next);
}

/* The caller's result block: n results, then the dup ids. */
static dp_status add_results(add_ctx *a, dp_index_add_result **out)
{
    dp_index_add_result *r;
    char *ids;
    size_t i, head;
    if (dpi_mul_overflow(a->n, sizeof *r, &head) || head + a->ids_len + 1 < head)
        return DP_ENOMEM;
    r = malloc(head + a->ids_len + 1);
    if (!r)
        return DP_ENOMEM;
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

dp_status dp_index_add(dp_index *ix, const dp_index_doc *docs, size_t n,
                       const dp_index_add_opts *opts,
                       dp_index_add_result **results, dp_error *err)
{
    dp_index_add_opts o;
    add_ctx a;
    sketch_job job;
    MDB_txn *txn;
    dp_status st = DP_OK;
    size_t i, bytes;
    int rc;

    if (results)
        *results = NULL;
    if (!ix || (!docs && n))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (opts)
        o = *opts;
    else
        dp_index_add_opts_init(&o);
    if (o.dedup > DP_INDEX_DEDUP_SKIP ||
        !(o.threshold >= 0 && o.threshold <= 1))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "bad add options");
    if (ix->rdonly)
        return dpi_error_set(err, DP_EACCES, (size_t)-1,
                            "index opened read-only");
    if (n == 0) {
        if (results && !(*results = malloc(1)))
            return DP_ENOMEM;
        return DP_OK;
    }
    memset(&a, 0, sizeof a);
    a.ix = ix;
    a.docs = docs;
    a.n = n;
    a.o = &o;
    a.threshold = o.threshold > 0 ? o.threshold : ix->p.threshold;
    if (dpi_mul_overflow(n, (size_t)ix->p.perms * sizeof *a.sigs, &bytes)) {
        st = DP_ENOMEM;
        goto done;
    }
    a.pd = calloc(n + 1, sizeof *a.pd);
    a.oc = calloc(n + 1, sizeof *a.oc);
    a.sigs = malloc(bytes + 4);
    if (!a.pd || !a.oc || !a.sigs || scratch_init(&a.s, ix)) {
        st = DP_ENOMEM;
        goto done;
    }
    memset(&job, 0, sizeof job);
    job.ix = ix;
    job.docs = docs;
    job.text = &o.text;
    job.pd = a.pd;
    job.sigs = a.sigs;
    job.n = n;
    atomic_init(&job.next, 0);
    run_sketches(&job, o.threads);
    for (i = 0; i < n; i++)
        if (a.pd[i].status == DP_ENOMEM || a.pd[i].status == DP_ESTEM) {
            st = dpi_error_set(err, a.pd[i].status, (size_t)-1, "%s",
                              dp_strerror(a.pd[i].status));
            goto done;
        }
    for (;;) {
        if ((st = txn_begin(ix, 1, &txn, err)))
            goto done;
        rc = add_txn(&a, txn, &st, err);
        if (rc == 0) {
            rc = txn_end(ix, txn, 1);
            if (rc == 0)
                break;
        } else {
            txn_end(ix, txn, 0);
        }
        if (rc == -1)
            goto done;
        if (rc != MDB_MAP_FULL) {
            st = mdb_fail(err, rc, "adding documents");
            goto done;
        }
        if ((st = map_grow(ix, 0, err)))
            goto done;
    }
    if (results)
        st = add_results(&a, results);
done:
    if (a.pd)
        for (i = 0; i < n; i++)
            free(a.pd[i].set);
    free(a.pd);
    free(a.oc);
    free(a.sigs);
    free(a.ids);
    scratch_free(&a.s);
    return st;
}

/* ------------------------------------------------------------------ */
/* Remove and get                                                     */
/* ------------------------------------------------------------------ */

dp_status dp_index_remove(dp_index *ix, const char *id, size_t id_len,
                          dp_error *err)
{
    MDB_txn *txn;
    scratch s;
    uint64_t seq = 0;
    dp_status st;
    int rc;

    if (!ix || !id || id_len == 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no id");
    if (id_len > DP_INDEX_MAX_ID)
        return dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                            "no document with that id");
    if (scratch_init(&s, ix)) {
        scratch_free(&s);
        return DP_ENOMEM;
    }
    for (;;) {
        if ((st = txn_begin(ix, 1, &txn, err)))
            break;
        rc = get_seq(ix, txn, id, id_len, &seq);
        if (rc == MDB_NOTFOUND) {
            txn_end(ix, txn, 0);
            st = dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                              "no document with id '%.*s'",
                              (int)DP_MIN(id_len, 200), id);
            break;
        }
        if (!rc)
            rc = remove_seq(ix, txn, seq, &s);
        if (!rc) {
            MDB_val k = {id_len, (void *)id};
            rc = mdb_del(txn, ix->ids, &k, NULL);
        }
        if (!rc)
            rc = txn_end(ix, txn, 1);
        else
            txn_end(ix, txn, 0);
        if (rc == MDB_MAP_FULL) { /* deletes can split pages too */
            if ((st = map_grow(ix, 0, err)))
                break;
            continue;
        }
        st = rc ? mdb_fail(err, rc, "removing a document") : DP_OK;
        break;
    }
    scratch_free(&s);
    return st;
}

dp_status dp_index_get(dp_index *ix, const char *id, size_t id_len,
                       int with_text, dp_index_entry **out, dp_error *err)
{
    MDB_txn *txn;
    dp_index_rec r;
    MDB_val tv = {0, NULL};
    uint64_t seq = 0;
    dp_index_entry *e;
    char *p;
    size_t size;
    dp_status st;
    int rc;

    if (out)
        *out = NULL;
    if (!ix || !id || !out || id_len == 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (id_len > DP_INDEX_MAX_ID)
        return dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                            "no document with that id");
    if ((st = txn_begin(ix, 0, &txn, err)))
        return st;
    rc = get_seq(ix, txn, id, id_len, &seq);
    if (rc == MDB_NOTFOUND) {
        txn_end(ix, txn, 0);
        return dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                            "no document with id '%.*s'",
                            (int)DP_MIN(id_len, 200), id);
    }
    if (!rc)
        rc = get_rec(ix, txn, seq, &r);
    if (!rc && with_text && (ix->p.flags & DP_INDEX_STORE_TEXT)) {
        unsigned char kb[8];
        MDB_val k = {8, kb};
        dpi_index_seq_key(seq, kb);
        rc = mdb_get(txn, ix->texts, &k, &tv);
    }
    if (rc) {
        txn_end(ix, txn, 0);
        if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED)
            return corrupt(err, "record of seq %llu missing or malformed", seq);
        return mdb_fail(err, rc, "reading a document");
    }
    size = sizeof *e + r.id_len + 1 + r.meta_len + 1 + tv.mv_size + 1;
    e = malloc(size);
    if (!e) {
        txn_end(ix, txn, 0);
        return DP_ENOMEM;
    }
    memset(e, 0, sizeof *e);
    p = (char *)(e + 1);
    memcpy(p, r.id, r.id_len);
    p[r.id_len] = '\0';
    e->id = p;
    e->id_len = r.id_len;
    p += r.id_len + 1;
    if (r.meta) {
        memcpy(p, r.meta, r.meta_len);
        p[r.meta_len] = '\0';
        e->meta = p;
        e->meta_len = r.meta_len;
        p += r.meta_len + 1;
    }
    if (tv.mv_data) {
        memcpy(p, tv.mv_data, tv.mv_size);
        p[tv.mv_size] = '\0';
        e->text = p;
        e->text_len = tv.mv_size;
    }
    e->words = r.words;
    e->seq = seq;
    txn_end(ix, txn, 0);
    *out = e;
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Queries                                                            */
/* ------------------------------------------------------------------ */

/* Copy the hits (best first, at most @limit) out of the transaction. */
static dp_status hits_out(const scratch *s, size_t limit, dp_index_hit **out,
                          size_t *nout)
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
        const cand *c = &s->hits[i];
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
        o->max_bucket = DEFAULT_MAX_BUCKET;
    return DP_OK;
}

dp_status dp_index_query_text(dp_index *ix, const char *text, size_t len,
                              const dp_index_query_opts *opts,
                              dp_index_hit **hits, size_t *nhits, dp_error *err)
{
    dp_index_query_opts o;
    scratch s;
    uint32_t *sig = NULL, words;
    uint64_t *set = NULL;
    size_t nset = 0;
    MDB_txn *txn;
    dp_status st;

    if (hits)
        *hits = NULL;
    if (nhits)
        *nhits = 0;
    if (!ix || !hits || !nhits || (!text && len))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = query_opts(ix, opts, &o, err)))
        return st;
    if (len > DP_MAX_DOC_BYTES)
        return dpi_error_set(err, DP_ETOOBIG, (size_t)-1, "text too large");
    sig = malloc((size_t)ix->p.perms * sizeof *sig);
    if (!sig || scratch_init(&s, ix)) {
        free(sig);
        scratch_free(&s);
        return DP_ENOMEM;
    }
    st = dpi_dedup_sketch(ix->mh, ix->p.shingle_k, &o.text, text ? text : "",
                         len, sig, &words,
                         (ix->p.flags & DP_INDEX_NO_SETS) ? NULL : &set, &nset);
    if (st) {
        dpi_error_set(err, st, (size_t)-1, "query text: %s",
                     st == DP_EEMPTY ? "no words" : dp_strerror(st));
        goto done;
    }
    if ((st = txn_begin(ix, 0, &txn, err)))
        goto done;
    st = find_similar(ix, txn, sig, set, nset, o.threshold, o.max_bucket,
                      NO_SEQ, &s, err);
    if (!st)
        st = hits_out(&s, o.limit, hits, nhits);
    txn_end(ix, txn, 0);
done:
    free(sig);
    free(set);
    scratch_free(&s);
    return st;
}

dp_status dp_index_query_id(dp_index *ix, const char *id, size_t id_len,
                            const dp_index_query_opts *opts,
                            dp_index_hit **hits, size_t *nhits, dp_error *err)
{
    dp_index_query_opts o;
    scratch s;
    uint32_t *sig = NULL;
    uint64_t seq = 0;
    MDB_txn *txn;
    MDB_val sv = {0, NULL};
    dp_index_rec r;
    dp_status st;
    int rc;

    if (hits)
        *hits = NULL;
    if (nhits)
        *nhits = 0;
    if (!ix || !hits || !nhits || !id || id_len == 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = query_opts(ix, opts, &o, err)))
        return st;
    if (id_len > DP_INDEX_MAX_ID)
        return dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                            "no document with that id");
    sig = malloc((size_t)ix->p.perms * sizeof *sig);
    if (!sig || scratch_init(&s, ix)) {
        free(sig);
        scratch_free(&s);
        return DP_ENOMEM;
    }
    if ((st = txn_begin(ix, 0, &txn, err)))
        goto done;
    rc = get_seq(ix, txn, id, id_len, &seq);
    if (rc == MDB_NOTFOUND) {
        st = dpi_error_set(err, DP_ENOTFOUND, (size_t)-1,
                          "no document with id '%.*s'",
                          (int)DP_MIN(id_len, 200), id);
        goto end;
    }
    if (!rc)
        rc = get_rec(ix, txn, seq, &r);
    if (!rc && !(ix->p.flags & DP_INDEX_NO_SETS)) {
        unsigned char kb[8];
        MDB_val k = {8, kb};
        dpi_index_seq_key(seq, kb);
        rc = mdb_get(txn, ix->sets, &k, &sv);
        if (!rc && (sv.mv_size % 8 || sv.mv_size == 0))
            rc = MDB_CORRUPTED;
    }
    if (rc) {
        st = rc == MDB_NOTFOUND || rc == MDB_CORRUPTED
                 ? corrupt(err, "record of seq %llu missing or malformed", seq)
                 : mdb_fail(err, rc, "reading a document");
        goto end;
    }
    dpi_index_rec_sig(&r, sig);
    st = find_similar(ix, txn, sig, sv.mv_data, sv.mv_size / 8, o.threshold,
                      o.max_bucket, o.include_self ? NO_SEQ : seq, &s, err);
    if (!st)
        st = hits_out(&s, o.limit, hits, nhits);
end:
    txn_end(ix, txn, 0);
done:
    free(sig);
    scratch_free(&s);
    return st;
}

/* ------------------------------------------------------------------ */
/* Walks, stats, check                                                */
/* ------------------------------------------------------------------ */

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
    if ((st = txn_begin(ix, 0, &txn, err)))
        return st;
    if ((rc = mdb_cursor_open(txn, ix->docs, &cur))) {
        txn_end(ix, txn, 0);
        return mdb_fail(err, rc, "walking the documents");
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        dp_index_rec rec;
        if (k.mv_size != 8 ||
            dpi_index_rec_decode(v.mv_data, v.mv_size, ix->p.perms, &rec)) {
            rc = MDB_CORRUPTED;
            break;
        }
        r = fn(ctx, rec.id, rec.id_len, rec.meta, rec.meta_len, rec.words,
               dpi_index_seq_of(k.mv_data));
        if (r)
            break;
    }
    mdb_cursor_close(cur);
    txn_end(ix, txn, 0);
    if (r)
        return (dp_status)r;
    if (rc == MDB_CORRUPTED)
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                            "malformed document record");
    if (rc != MDB_NOTFOUND)
        return mdb_fail(err, rc, "walking the documents");
    return DP_OK;
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
    int rc;

    if (!ix || !out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    memset(out, 0, sizeof *out);
    if ((st = txn_begin(ix, 0, &txn, err)))
        return st;
    {
        MDB_dbi all[6] = {ix->meta,  ix->ids,  ix->docs,
                          ix->bands, ix->sets, ix->texts};
        size_t i;
        for (i = 0; i < 6; i++) {
            if ((rc = mdb_stat(txn, all[i], &ms)))
                goto fail;
            out->data_bytes += (size_t)(ms.ms_branch_pages + ms.ms_leaf_pages +
                                        ms.ms_overflow_pages) *
                               ms.ms_psize;
        }
    }
    if ((rc = mdb_stat(txn, ix->ids, &ms)))
        goto fail;
    out->docs = ms.ms_entries;
    if ((rc = mdb_stat(txn, ix->bands, &ms)))
        goto fail;
    out->band_entries = ms.ms_entries;
    if ((rc = mdb_stat(txn, ix->texts, &ms)))
        goto fail;
    out->texts = ms.ms_entries;
    if ((rc = get_next_seq(ix, txn, &out->next_seq)))
        goto fail;
    mdb_env_info(ix->env, &info);
    mdb_env_stat(ix->env, &ms);
    out->txn_id = info.me_last_txnid;
    out->map_size = info.me_mapsize;
    out->used_bytes = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
    out->readers = info.me_numreaders;
    mdb_env_get_maxreaders(ix->env, &mr);
    out->max_readers = mr;
    out->params = ix->p;
    txn_end(ix, txn, 0);
    data = join(ix->path, "data.mdb");
    if (data && stat(data, &sb) == 0)
        out->file_bytes = (size_t)sb.st_size;
    free(data);
    return DP_OK;
fail:
    txn_end(ix, txn, 0);
    return mdb_fail(err, rc, "reading statistics");
}

/* A stored text must give the stored signature, word count and set:
 * recompute them (UTF-8 repair and NUL bytes allowed: for any text that
 * was accepted, the same result as the options it was added with). */
static dp_status check_text(dp_index *ix, MDB_txn *txn, uint64_t seq,
                            const dp_index_rec *r, const uint32_t *sig,
                            const MDB_val *text, dp_error *err)
{
    dp_text_opts to;
    uint32_t *sig2, words = 0;
    uint64_t *set = NULL;
    size_t nset = 0;
    int sets = !(ix->p.flags & DP_INDEX_NO_SETS), bad;
    dp_status st;

    sig2 = malloc((size_t)ix->p.perms * sizeof *sig2);
    if (!sig2)
        return DP_ENOMEM;
    dp_text_opts_init(&to);
    to.utf8 = DP_UTF8_REPLACE;
    to.allow_binary = 1;
    st =
        dpi_dedup_sketch(ix->mh, ix->p.shingle_k, &to, text->mv_data,
                        text->mv_size, sig2, &words, sets ? &set : NULL, &nset);
    if (st == DP_ENOMEM) {
        free(sig2);
        return st;
    }
    bad = st || words != r->words ||
          memcmp(sig, sig2, (size_t)ix->p.perms * sizeof *sig);
    if (!bad && sets) {
        unsigned char kb[8];
        MDB_val k = {8, kb}, v;
        dpi_index_seq_key(seq, kb);
        bad = mdb_get(txn, ix->sets, &k, &v) || v.mv_size != nset * 8 ||
              memcmp(v.mv_data, set, v.mv_size);
    }
    free(sig2);
    free(set);
    if (bad)
        return corrupt(err,
                       "texts: seq %llu's signature, word count or "
                       "shingle set does not match its stored text",
                       seq);
    return DP_OK;
}

/* Walk every table; see doppel.h for what is checked. */
static dp_status check_txn(dp_index *ix, MDB_txn *txn, dp_error *err)
{
    MDB_cursor *cur = NULL, *bc = NULL;
    MDB_val k, v;
    uint64_t next, ndocs = 0, nids = 0, nbands = 0, found = 0, seq, prev = 0;
    uint32_t *sig = NULL;
    uint64_t *keys = NULL;
    int rc, sets = !(ix->p.flags & DP_INDEX_NO_SETS);
    int texts = (ix->p.flags & DP_INDEX_STORE_TEXT) != 0;
    dp_status st = DP_OK;
    unsigned b, c;

    if ((rc = get_next_seq(ix, txn, &next)))
        return rc == MDB_NOTFOUND || rc == MDB_CORRUPTED
                   ? dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                                  "meta: next_seq missing or malformed")
                   : mdb_fail(err, rc, "check");
    sig = malloc((size_t)ix->p.perms * sizeof *sig);
    keys = malloc((size_t)ix->p.bands * sizeof *keys);
    if (!sig || !keys) {
        st = DP_ENOMEM;
        goto done;
    }
    /* ids -> docs */
    if ((rc = mdb_cursor_open(txn, ix->ids, &cur)))
        goto lmdb;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        dp_index_rec r;
        nids++;
        if (v.mv_size != 8) {
            st = corrupt(err, "ids: entry %llu has a malformed seq", nids);
            goto done;
        }
        seq = dpi_index_seq_of(v.mv_data);
        rc = get_rec(ix, txn, seq, &r);
        if (rc) {
            st = corrupt(err,
                         "ids: an id points to seq %llu, which has no "
                         "valid record",
                         seq);
            goto done;
        }
        if (r.id_len != k.mv_size || memcmp(r.id, k.mv_data, k.mv_size)) {
            st = corrupt(err, "ids: seq %llu's record has another id", seq);
            goto done;
        }
    }
    if (rc != MDB_NOTFOUND)
        goto lmdb;
    mdb_cursor_close(cur);
    cur = NULL;
    /* docs -> ids, bands, sets, texts */
    if ((rc = mdb_cursor_open(txn, ix->docs, &cur)) ||
        (rc = mdb_cursor_open(txn, ix->bands, &bc)))
        goto lmdb;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        dp_index_rec r;
        uint64_t s2;
        MDB_val x;
        if (k.mv_size != 8) {
            st = corrupt(err, "docs: malformed key after seq %llu", prev);
            goto done;
        }
        seq = dpi_index_seq_of(k.mv_data);
        prev = seq;
        ndocs++;
        if (seq >= next) {
            st = corrupt(err, "docs: seq %llu is not below next_seq", seq);
            goto done;
        }
        if (dpi_index_rec_decode(v.mv_data, v.mv_size, ix->p.perms, &r)) {
            st = corrupt(err, "docs: record of seq %llu is malformed", seq);
            goto done;
        }
        dpi_index_rec_sig(&r, sig);
        rc = get_seq(ix, txn, r.id, r.id_len, &s2);
        if (rc || s2 != seq) {
            st = corrupt(err, "docs: seq %llu's id does not lead back to it",
                         seq);
            goto done;
        }
        dpi_lsh_band_keys(&ix->lsh, sig, keys);
        for (b = 0; b < ix->p.bands; b++) {
            unsigned char kb[8];
            MDB_val bk = {8, &keys[b]}, bv = {8, kb};
            int repeat = 0;
            for (c = 0; c < b; c++)
                repeat |= keys[c] == keys[b];
            if (repeat)
                continue;
            dpi_index_seq_key(seq, kb);
            rc = mdb_cursor_get(bc, &bk, &bv, MDB_GET_BOTH);
            if (rc) {
                st = corrupt(err,
                             "bands: document seq %llu lacks a band "
                             "key",
                             seq);
                goto done;
            }
            found++;
        }
        if (sets) {
            x.mv_size = 8;
            x.mv_data = k.mv_data;
            rc = mdb_get(txn, ix->sets, &x, &x);
            if (rc || dpi_index_set_check(x.mv_data, x.mv_size)) {
                st = corrupt(err,
                             "sets: seq %llu's shingle set is missing "
                             "or malformed",
                             seq);
                goto done;
            }
        }
        if (texts) {
            x.mv_size = 8;
            x.mv_data = k.mv_data;
            if (mdb_get(txn, ix->texts, &x, &x)) {
                st = corrupt(err, "texts: seq %llu has no text", seq);
                goto done;
            }
            if ((st = check_text(ix, txn, seq, &r, sig, &x, err)))
                goto done;
        }
    }
    if (rc != MDB_NOTFOUND)
        goto lmdb;
    if (ndocs != nids) {
        st = corrupt(err, "ids and docs differ in count (%llu documents)",
                     ndocs);
        goto done;
    }
    /* bands: every entry was found from its document above */
    for (rc = mdb_cursor_get(bc, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(bc, &k, &v, MDB_NEXT)) {
        nbands++;
        if (k.mv_size != 8 || v.mv_size != 8) {
            st = corrupt(err, "bands: malformed entry %llu", nbands);
            goto done;
        }
    }
    if (rc != MDB_NOTFOUND)
        goto lmdb;
    if (nbands != found) {
        st = corrupt(err,
                     "bands: %llu entries belong to no document (or to "
                     "a document that lacks that key)",
                     nbands - found);
        goto done;
    }
    mdb_cursor_close(cur);
    cur = NULL;
    /* sets and texts: no orphans */
    for (b = 0; b < 2; b++) {
        MDB_dbi dbi = b ? ix->texts : ix->sets;
        if ((rc = mdb_cursor_open(txn, dbi, &cur)))
            goto lmdb;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            MDB_val x;
            if (k.mv_size != 8 || mdb_get(txn, ix->docs, &k, &x)) {
                st = corrupt(err,
                             b ? "texts: entry for missing seq %llu"
                               : "sets: entry for missing seq %llu",
                             k.mv_size == 8 ? dpi_index_seq_of(k.mv_data) : 0);
                goto done;
            }
        }
        if (rc != MDB_NOTFOUND)
            goto lmdb;
        mdb_cursor_close(cur);
        cur = NULL;
    }
    goto done;
lmdb:
    st = mdb_fail(err, rc, "check");
done:
    if (cur)
        mdb_cursor_close(cur);
    if (bc)
        mdb_cursor_close(bc);
    free(sig);
    free(keys);
    return st;
}

dp_status dp_index_check(dp_index *ix, dp_error *err)
{
    MDB_txn *txn;
    dp_status st;
    if (!ix)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if ((st = txn_begin(ix, 0, &txn, err)))
        return st;
    st = check_txn(ix, txn, err);
    txn_end(ix, txn, 0);
    return st;
}

/* ------------------------------------------------------------------ */
/* Compact                                                            */
/* ------------------------------------------------------------------ */

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

dp_status dp_index_compact(dp_index *ix, dp_error *err)
{
    char *tmp = NULL, *data = NULL;
    MDB_envinfo info;
    dp_status st = DP_OK;
    int fd = -1, rc, dead;
    size_t mapsize;

    if (!ix)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    if (ix->broken)
        return dpi_error_set(err, DP_EIO, (size_t)-1,
                            "index handle unusable after a failed compact");
    if (ix->rdonly || ix->lock_fd < 0)
        return dpi_error_set(err, DP_EACCES, (size_t)-1,
                            "index opened read-only");
    if (flock(ix->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        while (flock(ix->lock_fd, LOCK_SH) != 0 && errno == EINTR)
            ;
        if (e == EWOULDBLOCK)
            return dpi_error_set(err, DP_EBUSY, (size_t)-1,
                                "%s is open in another process or handle; "
                                "compact needs it alone",
                                ix->path);
        return dpi_error_set(err, DP_EIO, (size_t)-1, "flock: %s", strerror(e));
    }
    tmp = join(ix->path, "data.mdb.compact");
    data = join(ix->path, "data.mdb");
    if (!tmp || !data) {
        st = DP_ENOMEM;
        goto relock;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        st = dpi_error_set(err, errno == EACCES ? DP_EACCES : DP_EIO, (size_t)-1,
                          "%s: %s", tmp, strerror(errno));
        goto relock;
    }
    pthread_rwlock_wrlock(&ix->map_lock);
    rc = mdb_env_copyfd2(ix->env, fd, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&ix->map_lock);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && rc == 0)
        rc = errno;
    fd = -1;
    if (rc) {
        unlink(tmp);
        st = mdb_fail(err, rc, "compacting");
        goto relock;
    }
    /* Past this point the old environment is closed: swap the files,
     * then reopen. A crash leaves the old or the new file, each whole. */
    mdb_env_info(ix->env, &info);
    mapsize = info.me_mapsize;
    mdb_env_close(ix->env);
    ix->env = NULL;
    if (rename(tmp, data) != 0) {
        st = dpi_error_set(err, DP_EIO, (size_t)-1, "rename %s: %s", tmp,
                          strerror(errno));
        unlink(tmp);
    } else {
        fsync_dir(ix->path);
    }
    rc = mdb_env_create(&ix->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(ix->env, 8);
    if (!rc)
        rc = mdb_env_set_maxreaders(
            ix->env, ix->o.max_readers ? ix->o.max_readers : 126);
    if (!rc)
        rc = mdb_env_set_mapsize(ix->env, mapsize);
    if (!rc)
        rc = mdb_env_open(ix->env, ix->path, MDB_NOTLS, 0666);
    if (rc) {
        if (ix->env)
            mdb_env_close(ix->env);
        ix->env = NULL;
        ix->broken = 1;
        st = mdb_fail(err, rc, "reopening after compact");
    } else {
        dp_status st2;
        mdb_reader_check(ix->env, &dead);
        if ((st2 = open_tables(ix, 0, NULL, err))) {
            ix->broken = 1;
            st = st2;
        }
    }
relock:
    while (flock(ix->lock_fd, LOCK_SH) != 0 && errno == EINTR)
        ;
    if (fd >= 0)
        close(fd);
    free(tmp);
    free(data);
    return st;
}
