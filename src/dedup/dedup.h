/*
 * dedup.h - internals of the dedup module shared with other modules (the
 * index reuses the per-document sketch so both agree on a document).
 */
#ifndef DP_DEDUP_DEDUP_H
#define DP_DEDUP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"
#include "sketch/minhash.h"

/*
 * dpi_dedup_sketch - a document's MinHash signature: the text pipeline of
 * dp_doc_create() up to the tokens (dpi_doc_create_tokens()), k-word shingles
 * of the token hashes (a document with 1..k-1 words gets the single
 * dpi_minhash_short_shingle()), the signature.
 * @sig:    OUT: dpi_minhash_perms(@mh) values, caller-allocated.
 * @words:  OUT: the document's word count.
 * @set, @nset: OUT, optional (@set may be NULL): the sorted, unique
 *          shingle hashes, malloc'd (free with free()).
 * @return DP_OK; DP_EEMPTY (no words); the errors of dp_doc_create();
 *         DP_ENOMEM.
 */
dp_status dpi_dedup_sketch(const dp_minhash *mh, unsigned k,
                           const dp_text_opts *topts, const char *text,
                           size_t len, uint32_t *sig, uint32_t *words,
                           uint64_t **set, size_t *nset);

/*
 * dpi_dedup_parse_date - seconds since 1970-01-01 (UTC assumed) of
 * "YYYY-MM-DD[(T| )HH:MM[:SS]...]" or "DD-MON-YYYY[ HH:MM:SS...]".
 * @return 0 and *out set, or -1 when @s is neither.
 */
int dpi_dedup_parse_date(const char *s, size_t len, int64_t *out);

/* dpi_dedup_threads - @asked, or the number of online cores when 0
 * (at most 256). */
unsigned dpi_dedup_threads(unsigned asked);

#endif /* DP_DEDUP_DEDUP_H */
