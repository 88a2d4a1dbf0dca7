/*
 * env.c - the LMDB environment of a persistent index: opening a handle
 * (the directory, doppel.lock, the environment, then the tables through
 * table.c) and closing it, the one mapping from LMDB codes to dp_status,
 * transactions, and the map size.
 *
 * The environment is a directory: data.mdb, lock.mdb (LMDB's reader
 * table), doppel.lock (a flock: shared by every open handle, exclusive
 * while compacting). Crash safety is LMDB's: no MDB_NOSYNC,
 * MDB_NOMETASYNC or MDB_WRITEMAP, so a committed transaction is on disk
 * and an interrupted one is invisible.
 *
 * Map size. LMDB's map is fixed per process; growing it (after
 * MDB_MAP_FULL in our writer, or adopting another process's growth after
 * MDB_MAP_RESIZED) remaps the file, which is only safe while no
 * transaction of this process is open. So every transaction holds
 * map_lock for reading and a remap takes it for writing (the lock prefers
 * writers so a stream of queries cannot starve a remap). A writer that
 * meets MDB_MAP_FULL aborts, grows the map (dpi_index_map_grow), and
 * replays its batch (write.c).
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "index/index_int.h"

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

dp_status dpi_index_status_of_mdb(int rc)
{
    switch (rc) {
    case 0: return DP_OK;
    case MDB_NOTFOUND: return DP_ENOTFOUND;
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
    default: return rc > 0 ? dpi_status_of_errno(rc) : DP_EIO;
    }
}

dp_status dpi_index_mdb(int rc, dp_error *err, const char *what)
{
    dp_status st = dpi_index_status_of_mdb(rc);
    if (rc == 0 || rc == MDB_NOTFOUND || rc == MDB_MAP_FULL)
        return st;
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

dp_status dpi_index_corrupt(dp_error *err, const char *fmt, uint64_t a)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, (unsigned long long)a);
    return dpi_error_set(err, DP_ECORRUPT, (size_t)-1, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Transactions and the map                                           */
/* ------------------------------------------------------------------ */

dp_status dpi_index_map_grow(dp_index *ix, int adopt, dp_error *err)
{
    MDB_envinfo info;
    size_t cur, next;
    int rc;

    pthread_rwlock_wrlock(&ix->map_lock);
    if (adopt) {
        rc = mdb_env_set_mapsize(ix->env, 0);
        pthread_rwlock_unlock(&ix->map_lock);
        return dpi_index_mdb(rc, err, "adopting the map size");
    }
    mdb_env_info(ix->env, &info);
    cur = info.me_mapsize;
    next = cur + DP_MIN(cur, DPI_INDEX_MAX_MAP_STEP);
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
    return dpi_index_mdb(rc, err, "growing the map");
}

dp_status dpi_index_txn_begin(dp_index *ix, int write, MDB_txn **txn,
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
            return dpi_index_mdb(rc, err, "starting a transaction");
        if ((st = dpi_index_map_grow(ix, 1, err)))
            return st;
    }
}

dp_status dpi_index_txn_commit(dp_index *ix, MDB_txn *txn, dp_error *err,
                               const char *what)
{
    int rc = mdb_txn_commit(txn);
    pthread_rwlock_unlock(&ix->map_lock);
    return dpi_index_mdb(rc, err, what);
}

void dpi_index_txn_abort(dp_index *ix, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&ix->map_lock);
}

/* ------------------------------------------------------------------ */
/* Open and close                                                     */
/* ------------------------------------------------------------------ */

void dp_index_opts_init(dp_index_opts *o)
{
    memset(o, 0, sizeof *o);
}

char *dpi_index_path_join(const char *dir, const char *name)
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
    char *p = dpi_index_path_join(dir, name);
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
    char *p = dpi_index_path_join(ix->path, "doppel.lock");
    if (!p)
        return DP_ENOMEM;
    ix->lock_fd =
        open(p, (ix->rdonly ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0666);
    if (ix->lock_fd < 0 && ix->rdonly) {
        free(p); /* a read-only directory without the file: no flock */
        return DP_OK;
    }
    if (ix->lock_fd < 0) {
        dp_status st = dpi_status_of_errno(errno);
        if (st != DP_EACCES)
            st = DP_EIO;
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

dp_status dpi_index_env_open(dp_index *ix, size_t map_size, unsigned flags,
                             dp_error *err)
{
    unsigned readers =
        ix->o.max_readers ? ix->o.max_readers : DPI_INDEX_MAX_READERS;
    int rc, dead;
    dp_status st;

    assert(!ix->env);
    rc = mdb_env_create(&ix->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(ix->env, 8);
    if (!rc)
        rc = mdb_env_set_maxreaders(ix->env, readers);
    if (!rc)
        rc = mdb_env_set_mapsize(ix->env, map_size);
    if (!rc)
        rc = mdb_env_open(ix->env, ix->path, MDB_NOTLS | flags, 0666);
    if (rc) {
        st = dpi_index_mdb(rc, err, ix->path);
        if (rc == MDB_INVALID)
            dpi_error_set(err, st, (size_t)-1,
                          "%s is not a doppel index (not an LMDB file)",
                          ix->path);
        if (ix->env)
            mdb_env_close(ix->env);
        ix->env = NULL;
        return st;
    }
    mdb_reader_check(ix->env, &dead); /* slots of killed readers */
    return DP_OK;
}

/* The map to start with: asked, else 64 MiB, never over map_max. */
static size_t initial_map(const dp_index_opts *o)
{
    size_t m = o->map_size ? o->map_size : DPI_INDEX_DEFAULT_MAP;
    if (o->map_max && m > o->map_max)
        m = o->map_max;
    return m;
}

/* Argument and option checks of dp_index_open; fills *@o. */
static dp_status open_args(const char *path, const dp_index_opts *opts,
                           const dp_index_params *params, dp_index_opts *o,
                           dp_error *err)
{
    dp_status st;
    if (!path || !*path)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no index path");
    if (opts)
        *o = *opts;
    else
        dp_index_opts_init(o);
    if (params && (st = dpi_index_params_check(params, err)))
        return st;
    if (o->flags &
            ~(unsigned)(DP_INDEX_CREATE | DP_INDEX_EXCL | DP_INDEX_RDONLY) ||
        ((o->flags & DP_INDEX_RDONLY) && (o->flags & DP_INDEX_CREATE)) ||
        (o->map_max && o->map_size > o->map_max))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "conflicting index open options");
    return DP_OK;
}

/* The directory: made when missing (with CREATE), and holding an index
 * or, with CREATE, nothing but our own files. */
static dp_status open_dir(const char *path, const dp_index_opts *o,
                          dp_error *err)
{
    struct stat sb;
    int exists, create = (o->flags & DP_INDEX_CREATE) != 0;

    if (stat(path, &sb) != 0) {
        if (errno != ENOENT)
            return dpi_error_set(err, dpi_status_of_errno(errno), (size_t)-1,
                                 "%s: %s", path, strerror(errno));
        if (!create)
            return dpi_error_set(err, DP_ENOENT, (size_t)-1,
                                 "%s: no such index", path);
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return dpi_error_set(err, dpi_status_of_errno(errno), (size_t)-1,
                                 "%s: cannot create: %s", path,
                                 strerror(errno));
    } else if (!S_ISDIR(sb.st_mode)) {
        return dpi_error_set(err, DP_ECORRUPT, (size_t)-1,
                             "%s is not a doppel index (an index is a "
                             "directory)",
                             path);
    }
    exists = file_exists(path, "data.mdb");
    if (exists && create && (o->flags & DP_INDEX_EXCL))
        return dpi_error_set(err, DP_EEXIST, (size_t)-1,
                             "%s: an index already exists", path);
    if (!exists && !create)
        return dpi_error_set(err, DP_ENOENT, (size_t)-1,
                             "%s: no index in this directory", path);
    if (!exists && !dir_usable(path))
        return dpi_error_set(err, DP_EEXIST, (size_t)-1,
                             "%s: directory is not empty and holds no index",
                             path);
    return DP_OK;
}

/* A zeroed handle with its lock initialised (writer-preferring). */
static dp_index *handle_new(const char *path, const dp_index_opts *o)
{
    pthread_rwlockattr_t ra;
    dp_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->lock_fd = -1;
    ix->o = *o;
    ix->rdonly = (o->flags & DP_INDEX_RDONLY) != 0;
    pthread_rwlockattr_init(&ra);
#ifdef __GLIBC__
    pthread_rwlockattr_setkind_np(&ra,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&ix->map_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    ix->path = strdup(path);
    if (!ix->path) {
        dp_index_close(ix);
        return NULL;
    }
    return ix;
}

dp_status dp_index_open(const char *path, const dp_index_opts *opts,
                        const dp_index_params *params, dp_index **out,
                        dp_error *err)
{
    dp_index *ix;
    dp_index_opts o;
    dp_minhash_opts mo;
    dp_status st;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "NULL argument");
    *out = NULL;
    if ((st = open_args(path, opts, params, &o, err)) ||
        (st = open_dir(path, &o, err)))
        return st;
    if (!(ix = handle_new(path, &o)))
        return DP_ENOMEM;
    if ((st = open_lock(ix, err)) ||
        (st = dpi_index_env_open(ix, initial_map(&o),
                                 ix->rdonly ? MDB_RDONLY : 0, err)) ||
        (st = dpi_index_tables_open(ix, (o.flags & DP_INDEX_CREATE) != 0,
                                    params, err)))
        goto fail;
    dpi_minhash_opts_init(&mo);
    mo.perms = ix->p.perms;
    if ((st = dpi_minhash_create(&mo, &ix->mh)) ||
        (st = dpi_lsh_params_set(ix->p.bands, ix->p.rows, ix->p.perms,
                                 &ix->lsh)))
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
