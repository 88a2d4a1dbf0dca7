/*
 * sketch.h - the per-document path from text to sketch, shared by dedup,
 * the index and everything built on them.
 *
 *   text --dpi_work_tokens--> token hashes --dpi_shingle_hash--> k-word
 *   shingle hashes --dpi_minhash_signature--> signature (perms x 32 bit)
 *                  --dpi_sort_unique_u64--> the shingle set (for exact
 *                                           verification)
 *
 * A document with 1..k-1 words has the single shingle
 * dpi_minhash_short_shingle() of all its words; one with no words has no
 * sketch (DP_EEMPTY). LSH band keys follow from the signature (lsh.h).
 *
 * Cost per document: one pass of the normaliser and tokenizer (the bulk),
 * O(words) to shingle, O(words x perms) for the signature (vectorised),
 * O(s log s) to sort the set when asked for. Memory: the work context's
 * arrays (work.h), which grow to the largest document and are reused, so
 * in steady state a sketch allocates nothing.
 *
 * A dp_sketcher fixes the parameters (MinHash family, k, text options) and
 * keeps one work context per pool worker, created on first use, for
 * batches signed on many threads.
 */
#ifndef DP_SKETCH_SKETCH_H
#define DP_SKETCH_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "doppel.h"
#include "sketch/minhash.h"

/*
 * dpi_sketch_doc - the sketch of one text, using @w's scratch.
 * @mh, @k:  the MinHash family and shingle length.
 * @topts:   how text becomes words (NULL: defaults).
 * @sig:     OUT: dpi_minhash_perms(@mh) values, caller-allocated.
 * @words:   OUT: the word count (also set when DP_EEMPTY).
 * @set, @nset: OUT, optional (@set may be NULL): the sorted distinct
 *           shingle hashes, borrowed from @w until its next use.
 * @err:     optional detail (offsets of UTF-8 / NUL errors).
 * @return DP_OK; DP_EEMPTY (no words); DP_EUTF8, DP_EBINARY, DP_ETOOBIG
 *         as dp_doc_create(); DP_ENOMEM.
 */
dp_status dpi_sketch_doc(dp_work *w, const dp_minhash *mh, unsigned k,
                         const dp_text_opts *topts, const char *text,
                         size_t len, uint32_t *sig, uint32_t *words,
                         const uint64_t **set, size_t *nset, dp_error *err);

/* Fixed parameters and per-worker contexts for batches. */
typedef struct dp_sketcher {
    const dp_minhash *mh; /* borrowed; outlives the sketcher */
    unsigned k;           /* words per shingle */
    dp_text_opts text;    /* copied (language borrowed) */
    unsigned threads;     /* workers a batch uses (dpi_pool_threads) */
    dp_work *work[DP_POOL_MAX_THREADS]; /* one per pool worker, or NULL */
} dp_sketcher;

/* One document of a batch. */
typedef struct dp_sketch_item {
    const char *text; /* IN: the text, @len bytes (borrowed) */
    size_t len;
    dp_status status; /* IN: DP_OK to sketch it, anything else to skip
                         it; OUT: the result of dpi_sketch_doc() */
    uint32_t words;   /* OUT */
    uint64_t *set;    /* OUT when sets are asked for: malloc'd sorted
                         distinct shingles (caller frees), else NULL */
    size_t nset;
} dp_sketch_item;

/* dpi_sketcher_init - fill @s; @threads 0 means all cores. Cannot fail. */
void dpi_sketcher_init(dp_sketcher *s, const dp_minhash *mh, unsigned k,
                       const dp_text_opts *topts, unsigned threads);

/* dpi_sketcher_fini - free the work contexts. */
void dpi_sketcher_fini(dp_sketcher *s);

/*
 * dpi_sketch_batch - sketch @n items on the sketcher's threads (the
 * core pool: a thread that cannot start leaves its items to the others).
 * Item i's signature goes to @sigs + i * perms. With @want_sets each
 * sketched item gets its own copy of its shingle set. Items are
 * independent: the results are the same for any thread count.
 * @return DP_OK (per-item results in status; an item gets DP_ENOMEM when
 *         its context or set could not be allocated).
 */
dp_status dpi_sketch_batch(dp_sketcher *s, dp_sketch_item *items, size_t n,
                           uint32_t *sigs, int want_sets);

#endif /* DP_SKETCH_SKETCH_H */
