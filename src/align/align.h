/*
 * align.h - passage alignment: every maximal passage two token sequences
 * share, in any order, across small edits.
 *
 * The aligner works on plain arrays of 64-bit token hashes, so it can be
 * tested without the text pipeline; dpi_align_docs() is the thin layer that
 * takes two dp_docs and reports original byte spans. The algorithm
 * (docs/alignment.md):
 *
 *   1. seeds: every n-gram of `seed_words` tokens of B goes into a seeded
 *      hash table (flat arrays: unique keys, then positions grouped by key,
 *      each group in increasing order);
 *   2. for each position i of A in order and each occurrence j of A's
 *      n-gram at i in B, unless (i, j) already lies on a run or inside a
 *      passage found before: extend exactly backward and forward along the
 *      diagonal j - i, then chain forward (and backward) to the nearest
 *      next exact run whose start lies at most `max_gap` unmatched tokens
 *      away on each side (so a changed, inserted or dropped word does not
 *      split a passage, and the diagonal may shift);
 *   3. keep the chains that match at least `min_words` tokens; drop any
 *      passage that a larger one lies over on both sides (contains it on
 *      one side, overlaps it on the other: duplicates, containment, and
 *      the shifted self-matches of text repeated inside a passage); sort.
 *
 * Work is capped per seed: an n-gram occurring more than `max_occ` times in
 * B is "frequent"; it seeds only at A positions not already inside a
 * passage, and then only from `max_occ` of its occurrences, evenly spread.
 * So one word repeated 100,000 times on both sides gives one passage in
 * linear time instead of 10^10 seed pairs.
 *
 * Thread safety: the functions keep no global state (each call has its own
 * tables) and may run concurrently on distinct outputs.
 */
#ifndef DP_ALIGN_ALIGN_H
#define DP_ALIGN_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* Defaults (docs/alignment.md explains how they were chosen). */
#define DP_ALIGN_MIN_WORDS  8
#define DP_ALIGN_MAX_GAP    4
#define DP_ALIGN_SEED_WORDS 4
#define DP_ALIGN_MAX_OCC    64
#define DP_ALIGN_CHAIN_MIN  3

/* Larger values are clamped to these: a chain step examines
 * (max_gap + 1)^2 pairs, a seed hash seed_words tokens. */
#define DP_ALIGN_GAP_LIMIT  64
#define DP_ALIGN_SEED_LIMIT 32

/* Alignment options. dpi_align_opts_init() fills the defaults; a NULL
 * options pointer means the defaults. */
typedef struct dp_align_opts {
    unsigned min_words;  /* least matched tokens in a reported passage; 8.
                            0 reads as 1 */
    unsigned max_gap;    /* most unmatched tokens bridged between two exact
                            runs of one passage, on each side; 4. 0 joins
                            nothing: every passage is one exact run.
                            At most DP_ALIGN_GAP_LIMIT (64) */
    unsigned seed_words; /* seed n-gram length in tokens; 0 = default (4).
                            Clamped to min_words and to 32 */
    unsigned max_occ;    /* an n-gram with more occurrences than this in B
                            is frequent (see above); 0 = default (64) */
    unsigned chain_min;  /* shortest exact run (tokens) a chain may step
                            onto across a gap; 0 = default (3) */
} dp_align_opts;

/* A shared passage as token-index ranges, ends exclusive. a_begin/b_begin
 * and a_end-1/b_end-1 are always matching tokens. */
typedef struct dp_match {
    uint32_t a_begin, a_end;
    uint32_t b_begin, b_end;
} dp_match;

/* dpi_align_opts_init - fill *opts with the defaults. Cannot fail. */
void dpi_align_opts_init(dp_align_opts *opts);

/*
 * dpi_align_tokens - all maximal passages two token sequences share.
 * @a, @na:  the token hashes of A (may be NULL when na == 0).
 * @b, @nb:  the token hashes of B (may be NULL when nb == 0).
 * @opts:    options, or NULL for the defaults.
 * @out:     OUT: malloc'd array of passages, sorted by a_begin, then
 *           b_begin, then a_end, b_end; free with free(). NULL when *nout
 *           is 0.
 * @nout:    OUT: number of passages.
 * @return DP_OK; DP_EINVAL (NULL out/nout, or NULL array with nonzero
 *         length); DP_ETOOBIG (a side has 2^32 - 1 tokens or more);
 *         DP_ENOMEM. On failure *out is NULL and *nout 0.
 * Cost: O(na + nb) memory; time about linear in na + nb plus the seed hits,
 * at most max_occ per position of A.
 */
dp_status dpi_align_tokens(const uint64_t *a, size_t na, const uint64_t *b,
                           size_t nb, const dp_align_opts *opts, dp_match **out,
                           size_t *nout);

/*
 * dpi_align_docs - the shared passages of two documents, as original byte
 * spans. Each passage runs from the first byte of its first token to the
 * last byte of its last token on each side; `words` is the larger of the
 * two sides' token counts. Sorted by a.start, then b.start.
 * @a, @b:   documents from dp_doc_create().
 * @opts:    options, or NULL for the defaults.
 * @out:     OUT: malloc'd array; free with free(). NULL when *nout is 0.
 * @nout:    OUT: number of passages.
 * @return as dpi_align_tokens().
 */
dp_status dpi_align_docs(const dp_doc *a, const dp_doc *b,
                         const dp_align_opts *opts, dp_passage **out,
                         size_t *nout);

#endif /* DP_ALIGN_ALIGN_H */
