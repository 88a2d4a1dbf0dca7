/*
 * text.h - internal interfaces between the stages of the text pipeline.
 *
 * dp_doc_create() (doc.c) calls the stages in this order, each filling
 * part of a struct dp_doc (doc.h):
 *
 *   utf8.c  dp_utf8_*   strict decoding and validation (first bad offset)
 *   norm.c  dp_norm_*   NFKC + casefold + quote/dash/space unification,
 *                       per segment, with doc->map back to the original
 *   tok.c   dp_tok_*    tokens: spans, hashes, WORD/NUMBER/CAPITAL flags
 *   stop.c  dp_stop_*   the English stopword set (DP_TOK_STOP)
 *   stem.c  dp_stem_*   content terms: Snowball stems hashed with XXH3
 *   sent.c  dp_sent_*   sentence spans over the token stream
 *
 * Nothing here is exported from the library.
 */
#ifndef DP_TEXT_TEXT_H
#define DP_TEXT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"
#include "text/doc.h"

/* ---- doc.c ----------------------------------------------------------- */

/*
 * dpi_doc_create_tokens - dp_doc_create() up to the tokens only: spans and
 * hashes are exactly those of a full document, but terms are 0, no token
 * is flagged DP_TOK_STOP and there are no sentences. For callers that need
 * only the words (dedup signatures), at a fraction of the cost. Errors as
 * dp_doc_create(), except that the language is not looked at.
 */
dp_status dpi_doc_create_tokens(const char *text, size_t len,
                                const dp_text_opts *opts, dp_doc **out,
                                dp_error *err);

/*
 * dpi_text_advise_huge - hint the kernel to back the large array @p
 * (@bytes long) with transparent huge pages. Per-document arrays of many
 * megabytes are written once, front to back, and 4 KiB page faults then
 * cost more than the pipeline itself. A no-op for small arrays or where
 * madvise(MADV_HUGEPAGE) does not exist; never fails.
 */
void dpi_text_advise_huge(void *p, size_t bytes);

/* ---- utf8.c ---------------------------------------------------------- */

/*
 * dpi_utf8_decode - decode one code point at @s (@len > 0 bytes available).
 * @cp:   OUT: the code point when the sequence is valid.
 * @return the byte length (1-4) of a valid sequence; or minus the length
 *         (-1..-3) of the maximal invalid subpart starting at @s (overlong
 *         forms, surrogates, > U+10FFFF, stray continuation bytes and
 *         truncated sequences are all invalid). Never 0. Cannot fail.
 */
int dpi_utf8_decode(const uint8_t *s, size_t len, int32_t *cp);

/*
 * dpi_utf8_invalid_run - length of the maximal run of invalid bytes starting
 * at @s (which must start with an invalid subpart): consecutive invalid
 * subparts are one run, read as one U+FFFD. Linear in the run length.
 */
size_t dpi_utf8_invalid_run(const uint8_t *s, size_t len);

/*
 * dpi_utf8_validate - offset of the first byte that does not start or
 * continue a valid UTF-8 sequence, or @len when all of @s is valid.
 * ASCII is checked eight bytes at a time. Cannot fail.
 */
size_t dpi_utf8_validate(const uint8_t *s, size_t len);

/*
 * dpi_utf8_repair - a copy of @s (@len bytes) with each maximal run of
 * invalid bytes replaced by one U+FFFD, as the normaliser reads it (and
 * with @nul each NUL byte too), malloc'd and NUL-terminated (free with
 * free()). The one repair of the library: JSON writers use it for text
 * that may not be valid UTF-8.
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG (@len * 3 overflows).
 */
dp_status dpi_utf8_repair(const uint8_t *s, size_t len, int nul, char **out,
                          size_t *out_len);

/* dpi_utf8_encode - write @cp (valid scalar value) to @out; return 1-4. */
int dpi_utf8_encode(int32_t cp, uint8_t out[4]);

/* ---- norm.c ---------------------------------------------------------- */

/*
 * dpi_norm_segment - length in bytes of the normalisation segment that
 * starts at original offset @i: a starter plus the combining marks that
 * follow it (at most DP_NORM_MAX_NONSTARTERS of them), or one maximal run
 * of invalid bytes. The normaliser cuts the text with exactly this
 * function, so it also gives the original end of any segment in doc->map.
 */
#define DP_NORM_MAX_NONSTARTERS 30
size_t dpi_norm_segment(const uint8_t *s, size_t len, size_t i);

/*
 * dpi_norm_run - fill doc->norm, doc->norm_len, doc->map and doc->replaced
 * from doc->orig / doc->orig_len. The text must already have passed the
 * UTF-8 and NUL checks the options ask for; remaining invalid sequences
 * become U+FFFD and NUL bytes become spaces.
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG (normalised text past 32-bit
 *         offsets), DP_EINTERNAL (utf8proc refused a valid segment).
 */
typedef struct dp_norm_scratch dp_norm_scratch;

/* dpi_norm_scratch_create - scratch for dpi_norm_run(): segment buffers
 * and a cache of single-code-point results, kept across documents (the
 * results are a pure function of the code point). @return DP_OK or
 * DP_ENOMEM. */
dp_status dpi_norm_scratch_create(dp_norm_scratch **out);
void dpi_norm_scratch_free(dp_norm_scratch *sc);

dp_status dpi_norm_run(dp_doc *doc, dp_norm_scratch *sc, dp_error *err);

/*
 * dpi_norm_orig_end - the original offset where the normalised character
 * ending at @nend (exclusive) ends: the end of its whole segment.
 * @nend == 0 gives 0.
 */
size_t dpi_norm_orig_end(const dp_doc *doc, size_t nend);

/* ---- tok.c ----------------------------------------------------------- */

/* Internal token bits kept in dp_tok.xflags (never in dp_tok.flags). */
enum {
    DP_TOKX_LOWER = 1u << 0, /* original first character is lower case */
    DP_TOKX_CJK = 1u << 1,   /* a single Han/Hiragana/Katakana character */
    DP_TOKX_SINGLE = 1u << 2 /* exactly one letter (an initial: "J") */
};

/* dpi_tok_is_cjk - 1 when @cp is tokenised one character at a time. */
int dpi_tok_is_cjk(int32_t cp);

/*
 * dpi_tok_run - split doc->norm into tokens: doc->toks / doc->ntoks with
 * both spans, hash, DP_TOK_WORD / DP_TOK_NUMBER / DP_TOK_CAPITAL and the
 * DP_TOKX_* bits. term and DP_TOK_STOP are left for dpi_stem_terms().
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG.
 */
dp_status dpi_tok_run(dp_doc *doc);

/* ---- stop.c ---------------------------------------------------------- */

/*
 * dpi_stop_english - 1 when @hash (XXH3-64 of a normalised token) is an
 * English stopword. The set is built once, thread-safely, on first use.
 */
int dpi_stop_english(uint64_t hash);

/* dpi_stop_count - number of words in the English list (for tests). */
size_t dpi_stop_count(void);

/* ---- stem.c ---------------------------------------------------------- */

/* Stemmed words longer than this many bytes keep their own text as term. */
#define DP_STEM_MAX_WORD 64

typedef struct dp_stemmer dp_stemmer;

/*
 * dpi_stem_open - a stemmer for Snowball language @language ("english",
 * "french", ... or an ISO code libstemmer knows). English also turns on
 * the stopword list. One dp_stemmer per thread.
 * @return DP_OK, DP_ESTEM (unknown language; *out NULL), DP_ENOMEM.
 */
dp_status dpi_stem_open(const char *language, dp_stemmer **out, dp_error *err);

/* dpi_stem_close - free @st and its cache. Accepts NULL. */
void dpi_stem_close(dp_stemmer *st);

/* dpi_stem_language - the language name @st was opened with. */
const char *dpi_stem_language(const dp_stemmer *st);

/*
 * dpi_stem_word - the stem of normalised word @w (@n bytes) into *@stem /
 * *@stem_len, borrowed from @st until the next call. English drops a
 * final possessive 's first. @return DP_OK or DP_ENOMEM.
 */
dp_status dpi_stem_word(dp_stemmer *st, const char *w, size_t n,
                        const char **stem, size_t *stem_len);

/*
 * dpi_stem_terms - set term and DP_TOK_STOP on every token of @doc: 0 for
 * stopwords, XXH3 of the text for numbers and CJK characters, XXH3 of
 * the stem otherwise. Results are cached per distinct token.
 * @return DP_OK or DP_ENOMEM.
 */
dp_status dpi_stem_terms(dp_stemmer *st, dp_doc *doc);

/* ---- sent.c ---------------------------------------------------------- */

/* Longest sentence, in tokens, before it is cut without a boundary. */
#define DP_SENT_MAX_TOKENS 256

/*
 * dpi_sent_run - split the tokens of @doc into sentences (doc->sents).
 * Needs doc->toks with xflags and DP_TOK_STOP set. Linear time.
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG.
 */
dp_status dpi_sent_run(dp_doc *doc);

#endif /* DP_TEXT_TEXT_H */
