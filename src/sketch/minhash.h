/*
 * minhash.h - MinHash signatures of shingle sets and the Jaccard estimate
 * between two signatures.
 *
 * A signature is `perms` 32-bit values: value i is the minimum over the
 * document's shingles of a per-index hash function h_i. Two signatures
 * agree at index i with probability J, the Jaccard similarity of the two
 * shingle sets, so the fraction of equal values estimates J with standard
 * deviation sqrt(J(1-J)/perms). Input is the flat array of 64-bit shingle
 * hashes from dpi_shingle_hash() (duplicates and order do not matter); the
 * text itself is never needed. Formulas, the short-document rule and
 * measured speed are in docs/minhash-lsh.md.
 *
 * Thread safety: a dp_minhash is immutable once created, so one handle may
 * be shared by any number of threads computing signatures at once; every
 * other function here is pure. Signatures are written into caller-owned
 * buffers.
 *
 * Reproducibility: the hash functions come from a fixed 64-bit seed through
 * a fixed generator and use only integer arithmetic, so a given (seed,
 * perms, mode) gives bit-identical signatures on every run, machine and
 * SIMD level (the kernel is compiled for several instruction sets and the
 * best one is picked at load time; all of them compute the same values).
 */
#ifndef DP_SKETCH_MINHASH_H
#define DP_SKETCH_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* Defaults and limits. */
#define DP_MINHASH_DEFAULT_PERMS 128u
#define DP_MINHASH_MAX_PERMS     1024u
#define DP_MINHASH_DEFAULT_SEED  UINT64_C(0x646f7070656c4d48) /* "doppelMH" */

/* How the `perms` values are derived from the shingle hashes. */
typedef enum dp_minhash_mode {
    /* Classic MinHash: `perms` independent hash functions
     * h_i(x) = high32(a_i * mix(x) + b_i) (mod 2^64), each minimised over
     * all shingles. Cost O(n * perms), vectorised. The default. */
    DP_MINHASH_KPERM = 0,
    /* One-permutation hashing with optimal densification (Shrivastava
     * 2017): each shingle is hashed once into one of `perms` bins and the
     * bin keeps its minimum; empty bins borrow from a non-empty bin along a
     * fixed pseudo-random probe sequence. Cost O(n + perms^2 / filled
     * bins). Unbiased; as accurate as KPERM once documents have more
     * shingles than bins, up to ~20% larger s.d. for much shorter ones.
     * About 3x faster than KPERM when all documents are long, but slower
     * on newswire, where short documents make densification dominate (see
     * docs/minhash-lsh.md). Not comparable with KPERM signatures. */
    DP_MINHASH_OPH = 1
} dp_minhash_mode;

/* Options for dpi_minhash_create(). */
typedef struct dp_minhash_opts {
    unsigned perms;       /* signature length, 1..DP_MINHASH_MAX_PERMS;
                             default 128 (512 bytes per signature) */
    uint64_t seed;        /* selects the hash functions; default
                             DP_MINHASH_DEFAULT_SEED. Signatures are only
                             comparable when made with the same seed,
                             perms and mode. */
    dp_minhash_mode mode; /* default DP_MINHASH_KPERM */
} dp_minhash_opts;

/* The MinHash hash-function family: coefficients for `perms` functions. */
typedef struct dp_minhash dp_minhash;

/* dpi_minhash_opts_init - fill *opts with the defaults above. Cannot fail. */
void dpi_minhash_opts_init(dp_minhash_opts *opts);

/*
 * dpi_minhash_create - derive the hash functions for @opts.
 * @opts:  options, or NULL for the defaults.
 * @out:   OUT: the new family; free with dpi_minhash_free(). NULL on error.
 * @return DP_OK; DP_EINVAL (NULL @out, perms 0 or > DP_MINHASH_MAX_PERMS,
 *         unknown mode); DP_ENOMEM.
 */
dp_status dpi_minhash_create(const dp_minhash_opts *opts, dp_minhash **out);

/* dpi_minhash_free - release a family. Accepts NULL. */
void dpi_minhash_free(dp_minhash *mh);

/* dpi_minhash_perms - the signature length of @mh. */
unsigned dpi_minhash_perms(const dp_minhash *mh);

/* dpi_minhash_mode_of - the mode @mh was created with. */
dp_minhash_mode dpi_minhash_mode_of(const dp_minhash *mh);

/*
 * dpi_minhash_signature - the signature of the set of shingle hashes
 * @hashes[0 .. n). Order and repetitions in the array do not change the
 * result. Pure; safe to call from many threads on one @mh.
 * @mh:     the hash family.
 * @hashes: the shingle hashes (from dpi_shingle_hash()); may be NULL when
 *          @n == 0.
 * @n:      number of hashes.
 * @sig:    OUT: dpi_minhash_perms(@mh) values, caller-allocated.
 * @return  DP_OK; DP_EINVAL (NULL @mh or @sig, or NULL @hashes with n > 0);
 *          DP_EEMPTY when @n == 0: a document with no shingles has no
 *          signature and @sig is left untouched. Do not invent one (all
 *          such documents would then look identical); use
 *          dpi_minhash_short_shingle() for documents shorter than k words,
 *          and treat documents with no words at all separately (see
 *          docs/minhash-lsh.md, "Short documents").
 */
dp_status dpi_minhash_signature(const dp_minhash *mh, const uint64_t *hashes,
                                size_t n, uint32_t *sig);

/*
 * dpi_minhash_short_shingle - the single stand-in shingle for a document
 * that has at least one but fewer than k words: a 64-bit hash of all its
 * token hashes in order (XXH3 over them as little-endian uint64 values,
 * with a seed of its own so it never coincides with a k-shingle hash).
 * Pass the result as a one-element array to dpi_minhash_signature(): two
 * short documents then get equal signatures exactly when their normalised
 * words are equal, and an estimated Jaccard near 0 otherwise.
 * @tokens: the token hashes (dp_token.hash), in document order.
 * @ntok:   how many; may be 0 (then the hash of the empty sequence, which
 *          callers should not need: see DP_EEMPTY above).
 * @return  the hash. Pure; cannot fail.
 */
uint64_t dpi_minhash_short_shingle(const uint64_t *tokens, size_t ntok);

/*
 * dpi_minhash_matches - number of indices i < @perms where @a[i] == @b[i].
 * Pure; cannot fail.
 */
size_t dpi_minhash_matches(const uint32_t *a, const uint32_t *b,
                           unsigned perms);

/*
 * dpi_minhash_jaccard - the Jaccard estimate between two signatures made by
 * the same family: dpi_minhash_matches() / @perms, in [0, 1]. Returns 0 when
 * @perms is 0. Pure; cannot fail.
 */
double dpi_minhash_jaccard(const uint32_t *a, const uint32_t *b,
                           unsigned perms);

#endif /* DP_SKETCH_MINHASH_H */
