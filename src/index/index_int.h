/*
 * index_int.h - what the files of the persistent index (the dp_index_*
 * API) share: the handle, the LMDB status mapping, transactions and the
 * map, single-entry table access, the parameter record, candidate
 * scoring, and the one entry point to the text pipeline.
 *
 * The module, one job per file (docs/index.md, "Source layout"):
 *
 *   env.c     the LMDB environment: opening and closing a handle, the
 *             LMDB-to-dp_status mapping, transactions, map growth and
 *             adoption of a map another process grew
 *   table.c   the six tables: opening them (creating them and writing
 *             the parameter record in a new index), single-entry lookups
 *   params.c  the parameters: defaults, validation, matching, and the
 *             on-disk parameter record (JSON)
 *   sketch.c  signatures, word counts and shingle sets of texts, through
 *             the sketch layer (src/sketch/sketch.h) on the core pool
 *   write.c   dp_index_add, dp_index_remove
 *   query.c   dp_index_query_text, dp_index_query_id: candidates, scores,
 *             hits
 *   read.c    dp_index_get, dp_index_each, dp_index_stats_get
 *   check.c   dp_index_check, dp_index_compact
 *   record.c  the value formats and their checked decoders (record.h)
 *
 * Status rule: every function here returns dp_status (or cannot fail).
 * An LMDB return code becomes a dp_status through dpi_index_mdb() (or
 * dpi_index_status_of_mdb()) at the call that produced it; no helper
 * hands an LMDB code, or -1, to its caller.
 */
#ifndef DP_INDEX_INT_H
#define DP_INDEX_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "doppel.h"
#include "index/record.h"
#include "sketch/lsh.h"
#include "sketch/minhash.h"

#define DPI_INDEX_DEFAULT_MAP  ((size_t)64 << 20)
#define DPI_INDEX_MAX_MAP_STEP ((size_t)1 << 30)
#define DPI_INDEX_MAX_BUCKET   10000u
#define DPI_INDEX_MAX_READERS  126u
#define DPI_INDEX_FORMAT       1
#define DPI_INDEX_NO_SEQ       UINT64_MAX

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

/* ------------------------------------------------------------ env.c */

/*
 * dpi_index_status_of_mdb - the status for an LMDB return code: 0 ->
 * DP_OK, MDB_NOTFOUND -> DP_ENOTFOUND, MDB_MAP_FULL -> DP_EFULL,
 * MDB_TXN_FULL -> DP_ETOOBIG, MDB_READERS_FULL -> DP_EBUSY, damage
 * (MDB_INVALID, MDB_CORRUPTED, ...) -> DP_ECORRUPT, MDB_VERSION_MISMATCH
 * -> DP_EMISMATCH, errno values through dpi_status_of_errno(), any other
 * LMDB code DP_EIO. The one LMDB mapping of the library. Cannot fail.
 */
dp_status dpi_index_status_of_mdb(int rc);

/*
 * dpi_index_mdb - dpi_index_status_of_mdb(@rc), and on failure a message
 * "@what: ..." in @err. MDB_NOTFOUND and MDB_MAP_FULL leave @err alone:
 * they are outcomes the caller handles (an absent key; a map to grow and
 * a batch to replay), and dp_error is only filled on a failure the call
 * returns. @return the status.
 */
dp_status dpi_index_mdb(int rc, dp_error *err, const char *what);

/* dpi_index_corrupt - DP_ECORRUPT with the message @fmt, which formats
 * the one number @a with %llu. */
dp_status dpi_index_corrupt(dp_error *err, const char *fmt, uint64_t a);

/*
 * dpi_index_txn_begin - begin a transaction (@write: read-write) holding
 * map_lock for reading; adopts a map another process grew. End it with
 * dpi_index_txn_commit() or dpi_index_txn_abort().
 * @return DP_OK, DP_EACCES (write on a read-only handle), DP_EBUSY
 *         (reader slots full), DP_EIO, DP_ENOMEM.
 */
dp_status dpi_index_txn_begin(dp_index *ix, int write, MDB_txn **txn,
                              dp_error *err);

/* dpi_index_txn_commit - commit @txn and release map_lock. @return DP_OK,
 * DP_EFULL (the map is full: grow it and replay), or as dpi_index_mdb(). */
dp_status dpi_index_txn_commit(dp_index *ix, MDB_txn *txn, dp_error *err,
                               const char *what);

/* dpi_index_txn_abort - abort @txn and release map_lock. Cannot fail. */
void dpi_index_txn_abort(dp_index *ix, MDB_txn *txn);

/*
 * dpi_index_map_grow - grow the map after MDB_MAP_FULL (double it, at
 * most +1 GiB, never past map_max), or, with @adopt, take the size
 * another process gave the file. Waits until no transaction of this
 * process is open. @return DP_OK; DP_EFULL (at map_max); DP_EIO.
 */
dp_status dpi_index_map_grow(dp_index *ix, int adopt, dp_error *err);

/*
 * dpi_index_env_open - create ix->env, configure it (tables, readers,
 * @map_size) and open it on ix->path with @flags (MDB_NOTLS is added),
 * then clear the reader slots of killed processes. On failure ix->env is
 * NULL. @return DP_OK, DP_ECORRUPT (not an LMDB file), or as
 * dpi_index_mdb().
 */
dp_status dpi_index_env_open(dp_index *ix, size_t map_size, unsigned flags,
                             dp_error *err);

/* dpi_index_path_join - "@dir/@name", malloc'd; NULL when out of memory. */
char *dpi_index_path_join(const char *dir, const char *name);

/* ---------------------------------------------------------- table.c */

/*
 * dpi_index_tables_open - open the six tables in ix->env and read the
 * parameter record into ix->p (checked against @want, which may be
 * NULL); with @may_create on an empty environment, create the tables and
 * write the record of @want completed with the defaults.
 * @return DP_OK; DP_ECORRUPT (not a doppel index); DP_EMISMATCH;
 *         DP_EINVAL; DP_ENOMEM; or as dpi_index_mdb().
 */
dp_status dpi_index_tables_open(dp_index *ix, int may_create,
                                const dp_index_params *want, dp_error *err);

/* dpi_index_seq_get - the seq of id @id. @return DP_OK, DP_ENOTFOUND
 * (@err untouched), DP_ECORRUPT (a malformed ids value), or as
 * dpi_index_mdb(). */
dp_status dpi_index_seq_get(dp_index *ix, MDB_txn *txn, const char *id,
                            size_t len, uint64_t *seq, dp_error *err);

/* dpi_index_seq_find - as dpi_index_seq_get() for an id the caller
 * asked for: DP_ENOTFOUND says "no document with id '...'" in @err (also
 * for an id longer than any indexed one). */
dp_status dpi_index_seq_find(dp_index *ix, MDB_txn *txn, const char *id,
                             size_t len, uint64_t *seq, dp_error *err);

/* dpi_index_next_seq_get / _put - the "next_seq" counter in meta.
 * @return DP_OK; get: DP_ECORRUPT when missing or malformed. */
dp_status dpi_index_next_seq_get(dp_index *ix, MDB_txn *txn, uint64_t *seq,
                                 dp_error *err);
dp_status dpi_index_next_seq_put(dp_index *ix, MDB_txn *txn, uint64_t seq,
                                 dp_error *err);

/* dpi_index_rec_get - fetch and decode the record of @seq (pointers into
 * the map, valid until the transaction ends or writes). @return DP_OK,
 * DP_ENOTFOUND (@err untouched), DP_ECORRUPT (does not decode). */
dp_status dpi_index_rec_get(dp_index *ix, MDB_txn *txn, uint64_t seq,
                            dp_index_rec *r, dp_error *err);

/* dpi_index_set_get - the stored shingle set of @seq, raw (maybe
 * unaligned: copy before use). @return DP_OK, DP_ENOTFOUND (@err
 * untouched), DP_ECORRUPT (not a whole, nonempty number of values). */
dp_status dpi_index_set_get(dp_index *ix, MDB_txn *txn, uint64_t seq,
                            MDB_val *set, dp_error *err);

/* --------------------------------------------------------- params.c */

/* dpi_index_params_check - range checks shared by create and open (0
 * fields are defaults / any). @return DP_OK or DP_EINVAL. */
dp_status dpi_index_params_check(const dp_index_params *p, dp_error *err);

/* dpi_index_params_complete - fill the defaults of a new index, then its
 * banding and norm_version. @return DP_OK or DP_EINVAL (no banding). */
dp_status dpi_index_params_complete(dp_index_params *p, dp_error *err);

/* dpi_index_params_match - the asked parameters (nonzero fields of
 * @want, which may be NULL) against the stored @have. @return DP_OK or
 * DP_EMISMATCH naming both values. */
dp_status dpi_index_params_match(const dp_index_params *have,
                                 const dp_index_params *want, dp_error *err);

/*
 * dpi_index_params_encode - the on-disk parameter record of @p (complete)
 * as JSON text (docs/index.md): format, norm_version, the parameters as
 * dp_index_params_json() writes them, and the hash family. Every jansson
 * write is checked: on any failure nothing is returned.
 * @out: OUT: malloc'd NUL-terminated text (free()); NULL on failure.
 * @return DP_OK or DP_ENOMEM.
 */
dp_status dpi_index_params_encode(const dp_index_params *p, char **out);

/*
 * dpi_index_params_decode - parse and check a stored parameter record;
 * a doppel index of another format, normalisation or hash family is a
 * mismatch, not corruption. @return DP_OK, DP_ECORRUPT, DP_EMISMATCH.
 */
dp_status dpi_index_params_decode(const char *s, size_t len, dp_index_params *p,
                                  dp_error *err);

/* --------------------------------------------------------- sketch.c */

/* What the sketch phase computed for one document of a batch. */
typedef struct dpi_index_pending {
    dp_status status; /* DP_OK, or the refusal of this document */
    uint32_t words;
    uint64_t *set; /* sorted unique shingle hashes (malloc'd); NULL in a
                      DP_INDEX_NO_SETS index */
    size_t nset;
} dpi_index_pending;

/*
 * dpi_index_sketch_one - a text's signature (ix->p.perms values into
 * @sig), word count and, when the index keeps sets, its shingle set
 * (*@set malloc'd, caller frees; else NULL and 0), made exactly as
 * dp_dedup makes them, with the caller's work context @w (NULL: one is
 * made for the call). @return DP_OK; DP_EEMPTY (no words); DP_EUTF8,
 * DP_EBINARY, DP_ETOOBIG; DP_ENOMEM.
 */
dp_status dpi_index_sketch_one(const dp_index *ix, dp_work *w,
                               const dp_text_opts *o, const char *text,
                               size_t len, uint32_t *sig, uint32_t *words,
                               uint64_t **set, size_t *nset);

/*
 * dpi_index_sketch_batch - dpi_index_doc_check() and then
 * dpi_index_sketch_one() for each of @n documents, on @threads threads
 * (0: all online cores): pd[i] gets the status, words and set of
 * docs[i], and sigs[i * perms ...] its signature. Cannot fail as a whole:
 * failures are per document in pd[i].status.
 */
void dpi_index_sketch_batch(const dp_index *ix, const dp_index_doc *docs,
                            size_t n, const dp_text_opts *text,
                            unsigned threads, dpi_index_pending *pd,
                            uint32_t *sigs);

/* ---------------------------------------------------------- write.c */

/* dpi_index_doc_check - the refusals that need no text pipeline (see
 * dp_index_add_result.status). @return DP_OK, DP_EINVAL, DP_ETOOBIG,
 * DP_EJSON, DP_ENOMEM (parsing the metadata). Thread-safe. */
dp_status dpi_index_doc_check(const dp_index_doc *d);

/*
 * Test-only fault injection (tests/unit/test_index.c): while a bit is
 * set, the named step fails with DP_ENOMEM as if malloc had returned
 * NULL. Never set outside the unit tests (not thread-safe: set it while
 * no other thread uses the library); costs one load per result block.
 */
enum {
    DPI_INDEX_TEST_FAULT_RESULTS = 1u << 0 /* the dp_index_add result block */
};
extern unsigned dpi_index_test_faults;

/* ---------------------------------------------------------- query.c */

/* One scored candidate; id points into the map (valid in the txn). */
typedef struct dpi_index_cand {
    uint64_t seq;
    double score, est;
    uint32_t words;
    const char *id;
    size_t id_len;
} dpi_index_cand;

/* Per-call working memory of queries, dedup and removals. */
typedef struct dpi_index_scratch {
    uint64_t *seqs; /* candidate seqs */
    size_t nseqs, cap_seqs;
    dpi_index_cand *hits; /* scored candidates, best first */
    size_t nhits, cap_hits;
    uint64_t *set; /* a candidate's shingle set, aligned */
    size_t cap_set;
    uint32_t *sig;  /* perms: a candidate's signature, aligned */
    uint64_t *keys; /* bands: band keys */
} dpi_index_scratch;

/* dpi_index_scratch_init - zero @s and allocate its fixed parts.
 * @return DP_OK or DP_ENOMEM; dpi_index_scratch_free() either way. */
dp_status dpi_index_scratch_init(dpi_index_scratch *s, const dp_index *ix);
void dpi_index_scratch_free(dpi_index_scratch *s);

/*
 * dpi_index_find_similar - score every document sharing a band key with
 * @sig: the signature estimate, and the exact Jaccard against @set
 * (@nset sorted values, aligned) when the index keeps sets. Keeps those
 * scoring >= @threshold (all when @threshold <= 0) in s->hits, best
 * first (score descending, then seq); reads at most @max_bucket seqs per
 * band key; skips @exclude. @return DP_OK, DP_ECORRUPT, DP_ENOMEM, or as
 * dpi_index_mdb().
 */
dp_status dpi_index_find_similar(dp_index *ix, MDB_txn *txn,
                                 const uint32_t *sig, const uint64_t *set,
                                 size_t nset, double threshold,
                                 size_t max_bucket, uint64_t exclude,
                                 dpi_index_scratch *s, dp_error *err);

#endif /* DP_INDEX_INT_H */
