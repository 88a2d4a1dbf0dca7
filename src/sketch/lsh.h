/*
 * lsh.h - locality-sensitive hashing over MinHash signatures: the choice of
 * bands and rows for a Jaccard threshold, band keys, and a batch bucket
 * table that turns band keys into candidate pairs.
 *
 * A signature of `perms` values is cut into `bands` bands of `rows`
 * consecutive values (bands * rows <= perms; the values past the last band
 * only serve the Jaccard estimate). Two documents are candidates when all
 * rows of at least one band agree, which for Jaccard similarity s happens
 * with probability P(s) = 1 - (1 - s^rows)^bands, an S-curve rising near
 * (1/bands)^(1/rows). Each band is reduced to one 64-bit key, XXH3 of its
 * values under a seed of its own (derived from dp_lsh_params.seed), so keys
 * of different bands never mix and buckets resist crafted collisions when a
 * secret seed is used.
 *
 * The bucket table is built for batches: insert every document's band keys,
 * build once (a radix sort per band), then enumerate candidate pairs (each
 * once, sorted) or query the documents sharing a band with given keys.
 * Memory is 12 bytes per document per band, in flat arrays. A bucket with
 * more than `max_bucket` members emits only the pairs (first member, other
 * member) instead of all pairs; see dpi_lsh_table_pairs(). Details and
 * measurements: docs/minhash-lsh.md.
 *
 * Thread safety: the parameter and key functions are pure. A table is not
 * locked: insert and build need exclusive access; once built, any number of
 * threads may call dpi_lsh_table_query() and dpi_lsh_table_pairs() on it at
 * once (they only read it and write caller-owned buffers).
 */
#ifndef DP_SKETCH_LSH_H
#define DP_SKETCH_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

#define DP_LSH_DEFAULT_SEED       UINT64_C(0x646f7070656c4c53) /* "doppelLS" */
#define DP_LSH_DEFAULT_THRESHOLD  0.8
#define DP_LSH_DEFAULT_MAX_BUCKET 64u
#define DP_LSH_MAX_BANDS          1024u

/* The banding of a signature. */
typedef struct dp_lsh_params {
    unsigned bands; /* number of bands b, >= 1 */
    unsigned rows;  /* signature values per band r, >= 1 */
    uint64_t seed;  /* seeds the band-key hashes; keys are comparable only
                       between documents keyed with the same seed */
} dp_lsh_params;

/*
 * dpi_lsh_params_set - bands and rows given by hand.
 * @bands, @rows:  both >= 1, bands <= DP_LSH_MAX_BANDS, bands*rows <= @perms.
 * @perms:         the signature length.
 * @out:           OUT: the parameters, with seed DP_LSH_DEFAULT_SEED.
 * @return DP_OK or DP_EINVAL (then *out is untouched).
 */
dp_status dpi_lsh_params_set(unsigned bands, unsigned rows, unsigned perms,
                             dp_lsh_params *out);

/*
 * dpi_lsh_params_choose - the (bands, rows) with bands*rows <= @perms that
 * minimise  fp_weight * FP(t) + fn_weight * FN(t), where
 *   FP(t) = integral_0^t P(s) ds        (pairs below t that become
 *                                         candidates),
 *   FN(t) = integral_t^1 (1 - P(s)) ds  (pairs above t that do not),
 * integrated numerically (dpi_lsh_fp_area(), dpi_lsh_fn_area()). Ties go to
 * the fewest bands, then the fewest rows, so the choice is deterministic.
 * @threshold:  t, in (0, 1).
 * @perms:      signature length, 1..(any); bands are capped at
 *              DP_LSH_MAX_BANDS.
 * @fp_weight, @fn_weight: >= 0, not both 0 (datasketch's default is
 *              0.5 / 0.5; only their ratio matters).
 * @out:        OUT: the parameters, with seed DP_LSH_DEFAULT_SEED.
 * @return DP_OK or DP_EINVAL (then *out is untouched). Takes a few ms for
 *         perms = 128 (it tries every pair, about 700 of them).
 */
dp_status dpi_lsh_params_choose(double threshold, unsigned perms,
                                double fp_weight, double fn_weight,
                                dp_lsh_params *out);

/*
 * dpi_lsh_params_for_recall - the recall-first choice: among the (bands,
 * rows) with bands*rows <= @perms whose candidate probability at
 * similarity @s_min is at least @recall, the one with the least
 * false-positive area FP(@threshold) (fewest candidates to verify below
 * the threshold). Use it when every pair above @s_min must be found with
 * high probability, e.g. threshold 0.8, s_min 0.85, recall 0.999 gives
 * (bands, rows) = (18, 7): P(0.85) = 0.9990, P(0.8) = 0.986.
 * Ties go to the fewest bands, then rows.
 * @return DP_OK; DP_EINVAL for arguments out of range (threshold and
 *         recall in (0, 1), s_min in (0, 1]) or when no (bands, rows)
 *         reaches @recall at @s_min (then *out is untouched).
 */
dp_status dpi_lsh_params_for_recall(double threshold, unsigned perms,
                                    double s_min, double recall,
                                    dp_lsh_params *out);

/*
 * dpi_lsh_params_recall_first - doppel's default banding for a threshold
 * (dedup and the index both use it, so they agree): the least
 * false-positive area among the bandings that make a pair at @threshold +
 * 0.05 a candidate with probability >= 0.999 (dpi_lsh_params_for_recall);
 * where none reaches that (a threshold near 1, few permutations), margin
 * 0.1; else the weighted-area rule with recall weighted 9:1. A threshold
 * of 1 is treated as 0.999.
 * @return DP_OK or DP_EINVAL (threshold outside (0, 1], perms 0).
 */
dp_status dpi_lsh_params_recall_first(double threshold, unsigned perms,
                                      dp_lsh_params *out);

/* dpi_lsh_candidate_prob - P(s) = 1 - (1 - s^rows)^bands, for s in [0, 1]. */
double dpi_lsh_candidate_prob(double s, unsigned bands, unsigned rows);

/* dpi_lsh_fp_area - integral of P(s) over [0, t] (composite Simpson rule). */
double dpi_lsh_fp_area(double t, unsigned bands, unsigned rows);

/* dpi_lsh_fn_area - integral of 1 - P(s) over [t, 1] (Simpson rule). */
double dpi_lsh_fn_area(double t, unsigned bands, unsigned rows);

/* dpi_lsh_threshold - the S-curve's approximate threshold (1/b)^(1/r). */
double dpi_lsh_threshold(unsigned bands, unsigned rows);

/*
 * dpi_lsh_band_keys - one 64-bit key per band of @sig.
 * @p:     the banding (@p->bands * @p->rows values of @sig are read).
 * @sig:   a MinHash signature (dpi_minhash_signature()).
 * @keys:  OUT: @p->bands keys, caller-allocated.
 * Key j is XXH3-64 of values [j*rows, (j+1)*rows) as little-endian uint32,
 * with a seed derived from (@p->seed, j): equal on every platform. Pure;
 * cannot fail.
 */
void dpi_lsh_band_keys(const dp_lsh_params *p, const uint32_t *sig,
                       uint64_t *keys);

/*
 * dpi_lsh_bands_shared - how many of @bands keys agree between two
 * documents (0 means they are not candidates). Pure; cannot fail.
 */
unsigned dpi_lsh_bands_shared(const uint64_t *a, const uint64_t *b,
                              unsigned bands);

/* ---------------------------------------------------------------------
 * The batch bucket table
 * ------------------------------------------------------------------- */

typedef struct dp_lsh_table dp_lsh_table;

/* A candidate pair of document indices, a < b. */
typedef struct dp_lsh_pair {
    uint32_t a;
    uint32_t b;
} dp_lsh_pair;

/* What dpi_lsh_table_pairs() met on the way (all counts over all bands). */
typedef struct dp_lsh_stats {
    size_t buckets; /* buckets with two or more distinct documents */
    size_t capped;  /* of those, buckets larger than max_bucket */
    size_t largest; /* members of the largest bucket */
    size_t emitted; /* pairs emitted before removing repeats */
} dp_lsh_stats;

/*
 * dpi_lsh_table_create - an empty table.
 * @bands:       keys per document (dp_lsh_params.bands), 1..DP_LSH_MAX_BANDS.
 * @max_bucket:  buckets with more members than this emit a star of pairs
 *               instead of all pairs; >= 2 (DP_LSH_DEFAULT_MAX_BUCKET).
 * @out:         OUT: the table; free with dpi_lsh_table_free(). NULL on error.
 * @return DP_OK, DP_EINVAL, DP_ENOMEM.
 */
dp_status dpi_lsh_table_create(unsigned bands, size_t max_bucket,
                               dp_lsh_table **out);

/* dpi_lsh_table_free - release a table. Accepts NULL. */
void dpi_lsh_table_free(dp_lsh_table *t);

/*
 * dpi_lsh_table_reserve - make room for exactly @ndocs documents in all
 * (no spare capacity: 12 bytes per band each), so inserts up to that count
 * do not reallocate. Optional; without it the arrays double as they fill.
 * @return DP_OK, DP_ETOOBIG, DP_ENOMEM.
 */
dp_status dpi_lsh_table_reserve(dp_lsh_table *t, size_t ndocs);

/*
 * dpi_lsh_table_insert - add document @doc with its band keys (from
 * dpi_lsh_band_keys(); the table copies them). Documents may come in any
 * order; each index should be inserted once (a repeat behaves as one
 * document holding both key sets; it is never paired with itself).
 * Inserting after a build makes the table unbuilt again.
 * @return DP_OK; DP_EINVAL (NULL argument); DP_ETOOBIG (more than 2^31
 *         documents); DP_ENOMEM. On failure the table is unchanged.
 */
dp_status dpi_lsh_table_insert(dp_lsh_table *t, uint32_t doc,
                               const uint64_t *keys);

/* dpi_lsh_table_size - the number of inserts so far. */
size_t dpi_lsh_table_size(const dp_lsh_table *t);

/*
 * dpi_lsh_table_build - sort every band by (key, doc) so buckets are runs.
 * Needs 12 bytes per document of scratch for the duration of the call.
 * @return DP_OK, DP_EINVAL, DP_ENOMEM (the table stays valid and unbuilt).
 */
dp_status dpi_lsh_table_build(dp_lsh_table *t);

/*
 * dpi_lsh_table_pairs - every candidate pair, once, sorted by (a, b).
 * A bucket (documents sharing one band's key) of m distinct documents
 * emits all m(m-1)/2 pairs when m <= max_bucket, and otherwise only the
 * m-1 pairs joining its smallest document index to each other member: a
 * run of thousands of copies of one boilerplate text then costs thousands
 * of pairs, not millions, and union-find still connects them all. A pair
 * that shares several bands appears once.
 * @t:      a built table.
 * @out:    OUT: malloc'd array of pairs (free with free()); NULL when
 *          *n == 0.
 * @n:      OUT: the number of pairs.
 * @stats:  OUT, optional (may be NULL): what the enumeration met.
 * @return DP_OK; DP_EINVAL (NULL argument or table not built); DP_ETOOBIG
 *         (more than 2^31 pairs); DP_ENOMEM. On failure *out is NULL.
 */
dp_status dpi_lsh_table_pairs(const dp_lsh_table *t, dp_lsh_pair **out,
                              size_t *n, dp_lsh_stats *stats);

/*
 * dpi_lsh_table_query - the documents sharing at least one band key with
 * @keys, sorted ascending, without repeats. A bucket with more than
 * max_bucket members contributes only its max_bucket smallest document
 * indices. If the querying document is itself in the table it is part of
 * the answer; drop it if unwanted.
 * @t:      a built table.
 * @keys:   the query's band keys (t's bands of them).
 * @buf:    IN/OUT: a buffer the caller reuses across queries (*buf may be
 *          NULL with *cap 0); grown as needed; free it with free().
 * @cap:    IN/OUT: the capacity of *buf in elements.
 * @n:      OUT: the number of documents written to *buf.
 * @return DP_OK; DP_EINVAL (NULL argument or table not built); DP_ENOMEM
 *         (*buf stays valid, *n is 0).
 */
dp_status dpi_lsh_table_query(const dp_lsh_table *t, const uint64_t *keys,
                              uint32_t **buf, size_t *cap, size_t *n);

/*
 * dpi_lsh_table_memory - bytes held by the table (keys, document indices,
 * spare capacity), for reporting memory per document.
 */
size_t dpi_lsh_table_memory(const dp_lsh_table *t);

#endif /* DP_SKETCH_LSH_H */
