/*
 * doppel.h - the public interface of libdoppel.
 *
 * libdoppel finds what two or more documents share: similarity scores,
 * the exact passages they have in common (with byte offsets into both
 * originals), and a sentence-level "story diff" saying, for every sentence,
 * whether it was copied, rewritten, or appears only on its own side.
 *
 * This header is the manual. Conventions that hold everywhere:
 *
 *   - Every fallible function returns a dp_status; DP_OK is 0, so callers
 *     write `if (rc) return rc;`. dp_strerror() names every code.
 *   - Functions that create a handle write it through a `**out` parameter
 *     and leave *out NULL on failure. The caller owns the handle and frees
 *     it with the matching *_free(); every *_free() accepts NULL.
 *   - Where the user needs to know *where* input went wrong, a function
 *     takes an optional dp_error* (may be NULL) and fills it with the byte
 *     offset and a human-readable message.
 *   - Offsets are byte offsets into the original, unnormalised input; ends
 *     are exclusive. A span printed from its offsets is the original text.
 *   - Pointers returned by accessors borrow from the handle and stay valid
 *     until that handle is freed. The accessors of a document and of a
 *     comparison (dp_doc_*, dp_comparison_*) given a NULL handle return
 *     NULL, 0 or DP_EINVAL (as their type allows) and never crash; the
 *     *_opts_init() functions ignore NULL. Other NULL arguments are
 *     programming errors: debug builds stop on an assert, release builds
 *     (asserts compiled out) return DP_EINVAL where a status is returned.
 *   - Thread safety: handles are not locked. Distinct handles may be used
 *     from distinct threads freely; a const handle (a dp_doc once created,
 *     a dp_comparison once computed) may be read from many threads at once.
 */
#ifndef DOPPEL_H
#define DOPPEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DOPPEL_BUILDING) && defined(__GNUC__)
#define DP_API __attribute__((visibility("default")))
#else
#define DP_API
#endif

/* ---------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------- */

typedef enum dp_status {
    DP_OK = 0,         /* success */
    DP_ENOMEM = 1,     /* an allocation failed */
    DP_EINVAL = 2,     /* an argument was invalid (NULL handle, bad option) */
    DP_EIO = 3,        /* reading or writing a file failed (see errno) */
    DP_EUTF8 = 4,      /* input is not valid UTF-8 (no repair was asked for) */
    DP_EBINARY = 5,    /* input looks binary (contains NUL bytes) */
    DP_EEMPTY = 6,     /* input holds no words at all */
    DP_ETOOBIG = 7,    /* input exceeds a size limit (DP_MAX_DOC_BYTES) */
    DP_EISDIR = 8,     /* a path names a directory where a file was expected */
    DP_ENOENT = 9,     /* a file does not exist */
    DP_EACCES = 10,    /* a file exists but may not be read */
    DP_ESTEM = 11,     /* the requested stemming language is not available */
    DP_EINTERNAL = 12, /* a "cannot happen" check failed; please report it */
    DP_EJSON = 13,     /* a JSON line or CSV record is malformed */
    DP_EFIELD = 14,    /* a JSON or CSV record lacks a required field, or it
                          has the wrong type */
    DP_ECOMPRESS = 15, /* a compressed stream is corrupt or truncated */
    DP_EOF = 16,       /* not an error: the input has no more records */
    DP_EMISMATCH = 17, /* an index was built with other parameters (or
                          another DP_NORM_VERSION) than asked for */
    DP_ENOTFOUND = 18, /* no document with that id in the index */
    DP_EEXIST = 19,    /* the index (or file) to create already exists */
    DP_EFULL = 20,     /* the index reached its maximum map size */
    DP_EBUSY = 21,     /* the index is in use by another handle or process */
    DP_ECORRUPT = 22   /* the index holds a malformed or inconsistent record,
                          or the path is not a doppel index */
} dp_status;

/* Largest document the library accepts: offsets are kept in 32 bits. */
#define DP_MAX_DOC_BYTES ((size_t)0xFFFFFFF0u)

/*
 * dp_strerror - a one-line, static, English description of a status code.
 * @return never NULL; unknown codes give "unknown error".
 */
DP_API const char *dp_strerror(dp_status code);

/*
 * dp_version - the library version as "MAJOR.MINOR.PATCH".
 * @return a static string.
 */
DP_API const char *dp_version(void);

/*
 * dp_free - release memory the library handed to the caller as a raw
 * buffer (for instance the text from dp_comparison_json()). Accepts NULL.
 */
DP_API void dp_free(void *p);

/*
 * Where an error happened. Functions that take a dp_error* fill it on
 * failure (never on success). `offset` is a byte offset into the input the
 * function was given, or (size_t)-1 when no single offset applies.
 */
typedef struct dp_error {
    dp_status code;    /* the status the function returned */
    size_t offset;     /* byte offset into the input, or (size_t)-1 */
    char message[256]; /* human-readable detail, NUL-terminated */
} dp_error;

/* ---------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------- */

/*
 * dp_file_read - read one whole file into memory, decompressed as the
 * corpus reader decompresses (gzip or zstd recognised by their magic
 * bytes, concatenated members and frames allowed; a .gz/.zst/.zstd name
 * that holds no such data is DP_ECOMPRESS). The bytes are not otherwise
 * changed (a BOM is kept, UTF-8 is not checked), so offsets into them are
 * offsets into the decompressed file. `doppel compare` and `doppel index
 * query FILE` read their inputs with it.
 * @path:  the file to read; "-" reads standard input.
 * @out:   OUT: a malloc'd buffer holding the bytes plus a terminating NUL
 *         (not counted in *len); free it with dp_free().
 * @len:   OUT: the number of bytes read.
 * @max:   refuse more than this many (decompressed) bytes (DP_ETOOBIG);
 *         at most DP_MAX_DOC_BYTES is used.
 * @err:   optional detail on failure; the message does not name the path.
 * @return DP_OK, DP_ENOENT, DP_EACCES, DP_EISDIR, DP_ETOOBIG, DP_EIO,
 *         DP_ECOMPRESS, DP_ENOMEM or DP_EINVAL (a NULL argument). On
 *         failure *out is NULL.
 */
DP_API dp_status dp_file_read(const char *path, char **out, size_t *len,
                              size_t max, dp_error *err);

/* ---------------------------------------------------------------------
 * Documents: the text pipeline
 *
 * dp_doc_create() runs the whole pipeline once: UTF-8 validation (reject
 * or repair), Unicode normalisation (NFKC + case folding, quotes, dashes
 * and apostrophes unified) with a map back to original offsets, word and
 * number tokens with their original byte spans, sentence spans, content
 * terms (stopwords dropped, Snowball stems), and per-token hashes (XXH3).
 * ------------------------------------------------------------------- */

typedef struct dp_doc dp_doc;

typedef enum dp_utf8_mode {
    DP_UTF8_REJECT = 0, /* invalid UTF-8 fails with DP_EUTF8 and its offset */
    DP_UTF8_REPLACE = 1 /* each invalid sequence reads as U+FFFD */
} dp_utf8_mode;

typedef struct dp_text_opts {
    dp_utf8_mode utf8;    /* default DP_UTF8_REJECT */
    const char *language; /* Snowball language for stems and stopwords;
                             default "english" */
    int allow_binary;     /* nonzero: accept NUL bytes (treated as spaces);
                             default 0 rejects them with DP_EBINARY */
} dp_text_opts;

/* dp_text_opts_init - fill *opts with the defaults above. Cannot fail. */
DP_API void dp_text_opts_init(dp_text_opts *opts);

/*
 * dp_stem_languages - the Snowball languages dp_text_opts.language may
 * name (libstemmer's list), as a NULL-terminated array of static strings.
 * @return never NULL. Cannot fail; safe from any thread.
 */
DP_API const char *const *dp_stem_languages(void);

/*
 * dp_doc_create - run the text pipeline over one document.
 * @text:  the original bytes; need not be NUL-terminated. The document
 *         keeps its own copy, so @text may be freed afterwards.
 * @len:   number of bytes; at most DP_MAX_DOC_BYTES.
 * @opts:  options, or NULL for the defaults.
 * @out:   OUT: the new document; free with dp_doc_free().
 * @err:   optional detail (offset of the first invalid byte or NUL).
 * @return DP_OK; DP_EUTF8 (invalid UTF-8 under DP_UTF8_REJECT); DP_EBINARY;
 *         DP_ETOOBIG; DP_ESTEM (unknown language); DP_ENOMEM; DP_EINVAL.
 *         An empty or wordless text is *not* an error here: it gives a
 *         document with zero words (the CLI decides how to report it).
 */
DP_API dp_status dp_doc_create(const char *text, size_t len,
                               const dp_text_opts *opts, dp_doc **out,
                               dp_error *err);

/*
 * Work contexts. A dp_work holds what one thread reuses from document to
 * document: the Snowball stemmer and its cache of stems, the
 * normaliser's scratch and caches, and the token and shingle arrays of
 * the passes that keep only hashes (signatures). dp_doc_create() makes a
 * short-lived one per call; a caller turning many texts into documents
 * (a server thread, a Python worker, an MPI rank's threads) keeps one per
 * thread and calls dp_doc_create_in(), which gives identical documents
 * without re-opening the stemmer for each.
 *
 * Thread safety: a dp_work is used by one thread at a time; any number of
 * dp_work may be used at once. Documents made with one do not depend on it
 * afterwards (they own their arrays and may outlive it).
 */
typedef struct dp_work dp_work;

/*
 * dp_work_create - an empty work context (buffers are allocated on first
 * use and grow to the largest document seen).
 * @out:   OUT: the context; free with dp_work_free().
 * @return DP_OK, DP_ENOMEM, DP_EINVAL (@out NULL).
 */
DP_API dp_status dp_work_create(dp_work **out);

/* dp_work_free - release @w and everything it caches. Accepts NULL. */
DP_API void dp_work_free(dp_work *w);

/*
 * dp_doc_create_in - dp_doc_create() using the stemmer and scratch of @w.
 * The document is the same as dp_doc_create() gives; errors likewise
 * (DP_EINVAL when @w is NULL).
 */
DP_API dp_status dp_doc_create_in(dp_work *w, const char *text, size_t len,
                                  const dp_text_opts *opts, dp_doc **out,
                                  dp_error *err);

/* dp_doc_free - release a document and everything it owns. Accepts NULL. */
DP_API void dp_doc_free(dp_doc *doc);

/* dp_doc_text - the original bytes (NUL-terminated copy) and their length. */
DP_API const char *dp_doc_text(const dp_doc *doc, size_t *len);

/*
 * dp_doc_normalised - the normalised text (NFKC, case-folded, quotes and
 * dashes unified; invalid bytes replaced by U+FFFD) and its length.
 */
DP_API const char *dp_doc_normalised(const dp_doc *doc, size_t *len);

/*
 * dp_doc_orig_offset - map a byte offset in the normalised text back to
 * the original. Offsets inside the expansion of one original character
 * map to that character's start; @norm_off == normalised length maps to the
 * original length.
 */
DP_API size_t dp_doc_orig_offset(const dp_doc *doc, size_t norm_off);

/* dp_doc_replaced - how many invalid UTF-8 sequences were replaced. */
DP_API size_t dp_doc_replaced(const dp_doc *doc);

/* A byte range [start, end) in the original text. */
typedef struct dp_span {
    size_t start;
    size_t end;
} dp_span;

/* Token kinds, as bit flags in dp_token.flags. */
enum {
    DP_TOK_WORD = 1u << 0,    /* letters (any script) */
    DP_TOK_NUMBER = 1u << 1,  /* digits, possibly with internal . or , */
    DP_TOK_CAPITAL = 1u << 2, /* original starts with an upper-case letter */
    DP_TOK_STOP = 1u << 3     /* a stopword of the document's language */
};

/* One token, as the public API reports it. */
typedef struct dp_token {
    dp_span span;   /* original byte range */
    uint64_t hash;  /* XXH3-64 of the normalised token text */
    uint64_t term;  /* XXH3-64 of the stem; 0 for stopwords */
    unsigned flags; /* DP_TOK_* bits */
} dp_token;

/* dp_doc_words - number of tokens (words and numbers). */
DP_API size_t dp_doc_words(const dp_doc *doc);

/* dp_doc_token - token @i (< dp_doc_words()). Returns 0, or DP_EINVAL. */
DP_API dp_status dp_doc_token(const dp_doc *doc, size_t i, dp_token *out);

/* dp_doc_sentences - number of sentences. */
DP_API size_t dp_doc_sentences(const dp_doc *doc);

/*
 * dp_doc_sentence - sentence @i: its original byte span and the half-open
 * range of token indices [*tok_begin, *tok_end) it holds (either may be
 * NULL). Returns DP_OK, or DP_EINVAL when @i is out of range.
 */
DP_API dp_status dp_doc_sentence(const dp_doc *doc, size_t i, dp_span *span,
                                 size_t *tok_begin, size_t *tok_end);

/*
 * dp_doc_shingles - the hashes of every k-word shingle (k consecutive
 * tokens), in document order, duplicates included.
 * @k:     shingle width in words, >= 1.
 * @out:   OUT: malloc'd array; free with dp_free(). NULL when *n == 0.
 * @n:     OUT: number of shingles: words - k + 1, or 0 for shorter docs.
 * @return DP_OK, DP_EINVAL, DP_ENOMEM.
 */
DP_API dp_status dp_doc_shingles(const dp_doc *doc, unsigned k, uint64_t **out,
                                 size_t *n);

/* ---------------------------------------------------------------------
 * Comparison of two documents
 * ------------------------------------------------------------------- */

typedef struct dp_comparison dp_comparison;

typedef struct dp_compare_opts {
    unsigned shingle_k;       /* words per shingle for the Jaccard scores; 5 */
    unsigned min_words;       /* shortest passage reported, in words; 8 */
    unsigned max_gap;         /* most unmatched words bridged inside one
                                 passage on either side; 4 */
    double rewrite_min;       /* least similarity for a "rewritten" pair; 0.3 */
    const struct dp_idf *idf; /* background term statistics for the
                                 same-story score (dp_idf_read()), or NULL
                                 for the pair-only score; borrowed, must
                                 outlive the comparison */
} dp_compare_opts;

/* dp_compare_opts_init - fill *opts with the defaults above. */
DP_API void dp_compare_opts_init(dp_compare_opts *opts);

/* The scores of a comparison, each in [0, 1]. */
typedef struct dp_scores {
    double jaccard; /* |S(A) ∩ S(B)| / |S(A) ∪ S(B)|, S = shingle set */
    double containment_a_in_b; /* |S(A) ∩ S(B)| / |S(A)| */
    double containment_b_in_a; /* |S(A) ∩ S(B)| / |S(B)| */
    double same_story;         /* see docs/scores.md */
} dp_scores;

/* One passage the two documents share. */
typedef struct dp_passage {
    dp_span a;    /* original byte range in A */
    dp_span b;    /* original byte range in B */
    size_t words; /* words in the passage (the larger of the two sides) */
} dp_passage;

typedef enum dp_sentence_status {
    DP_SENT_UNIQUE = 0,   /* only in this document */
    DP_SENT_COPIED = 1,   /* (mostly) inside aligned passages */
    DP_SENT_REWRITTEN = 2 /* same content said differently; see partner */
} dp_sentence_status;

/* The story-diff verdict for one sentence. */
typedef struct dp_sentence_diff {
    dp_span span; /* original byte range of the sentence */
    dp_sentence_status status;
    long partner;         /* index into the other side's sentences, or
                             -1 when there is none */
    double similarity;    /* to the partner, in [0, 1]; 0 without one */
    double coverage;      /* fraction of its words inside passages */
    size_t nadded;        /* number of entries in added[] */
    const dp_span *added; /* names, numbers and content words this
                             sentence has that its partner lacks, as
                             original byte spans (a multi-word name is
                             one span); NULL when nadded == 0 */
} dp_sentence_diff;

/*
 * dp_compare - compare two documents.
 * @a, @b:  documents from dp_doc_create(); they must outlive the result.
 * @opts:   options, or NULL for the defaults.
 * @out:    OUT: the comparison; free with dp_comparison_free().
 * @return  DP_OK, DP_EINVAL, DP_ENOMEM.
 * Cost: about linear in the two lengths plus the number of seed matches.
 */
DP_API dp_status dp_compare(const dp_doc *a, const dp_doc *b,
                            const dp_compare_opts *opts, dp_comparison **out);

/* dp_comparison_free - release a comparison. Accepts NULL. */
DP_API void dp_comparison_free(dp_comparison *c);

/* dp_comparison_scores - the scores; borrowed from @c. NULL when @c is
 * NULL. */
DP_API const dp_scores *dp_comparison_scores(const dp_comparison *c);

/* dp_comparison_passages - number of passages; ordered by a_start. 0 when
 * @c is NULL. */
DP_API size_t dp_comparison_passages(const dp_comparison *c);

/* dp_comparison_passage - passage @i, borrowed from @c; NULL if out of
 * range (or @c is NULL). */
DP_API const dp_passage *dp_comparison_passage(const dp_comparison *c,
                                               size_t i);

/*
 * dp_comparison_sentence - the verdict on sentence @i of side @side
 * (0 = A, 1 = B), borrowed from @c; NULL if out of range. The sentence
 * count of each side is dp_doc_sentences() of that document.
 */
DP_API const dp_sentence_diff *dp_comparison_sentence(const dp_comparison *c,
                                                      int side, size_t i);

/*
 * dp_comparison_json - the comparison as one JSON object (schema in
 * docs/json.md), without a trailing newline.
 * @name_a, @name_b:  the "path" values to report (may be NULL: null).
 * @out:   OUT: malloc'd NUL-terminated text; free with dp_free().
 * @len:   OUT (may be NULL): its length.
 * @return DP_OK, DP_EINVAL, DP_ENOMEM.
 */
DP_API dp_status dp_comparison_json(const dp_comparison *c, const char *name_a,
                                    const char *name_b, char **out,
                                    size_t *len);

/* ---------------------------------------------------------------------
 * The merged story of a cluster
 *
 * Given the documents of one same-story cluster (however it was found:
 * `doppel stories`, a query, a hand-made list), dp_story_merge() lays the
 * cluster's sentences out once, in story order, and says for each which
 * members carry it (copied or rewritten) and what each rewrite adds; what
 * each member alone adds; the quotes and who carries them, with the words
 * a carrier changed; the partner sentences whose numbers, dates or names
 * disagree; and, for each pair of members, the likely direction of
 * copying with its evidence. The decisions (story order, what counts as a
 * quote, the conflict and provenance rules, the caps) and the JSON schema
 * are in docs/merged-story.md.
 *
 * Cost: one dp_compare() per compared pair of members. Up to
 * DP_STORY_ALL_PAIRS members every pair is compared; above that each
 * member is compared with the primary and with the DP_STORY_NEIGHBOURS
 * members that follow it in the given order, so a cluster of n members
 * costs at most n * (DP_STORY_NEIGHBOURS + 1) comparisons. Runs on the
 * caller's thread.
 *
 * Thread safety: a finished dp_story is read-only and may be read from
 * many threads at once.
 * ------------------------------------------------------------------- */

/* Clusters up to this size compare every pair of members. */
#define DP_STORY_ALL_PAIRS 8
/* Above DP_STORY_ALL_PAIRS, the later members each member is compared
 * with (besides the primary). */
#define DP_STORY_NEIGHBOURS 4

typedef struct dp_story dp_story;

/* One member of a cluster, as the caller gives it. */
typedef struct dp_story_member {
    const dp_doc *doc;  /* the document; borrowed, must outlive the story */
    const char *id;     /* how reports name it (NULL: its index) */
    const char *source; /* publisher or outlet, or NULL */
    const char *date;   /* "YYYY-MM-DD[ HH:MM[:SS]]" or Reuters'
                           "DD-MON-YYYY HH:MM:SS", or NULL; other forms
                           are kept for display but give no date evidence */
    const char *title;  /* or NULL */
} dp_story_member;

/* One member's sentence that carries a unit of the merged story. */
typedef struct dp_story_carrier {
    size_t member;             /* index into the members */
    size_t sentence;           /* sentence index in that member's document */
    dp_span span;              /* its original byte range */
    dp_sentence_status status; /* DP_SENT_COPIED or DP_SENT_REWRITTEN
                                  against member `vs`; DP_SENT_UNIQUE when
                                  the unit has no other member */
    long vs;                   /* the member it was matched against (the
                                  primary when possible), or -1 */
    long vs_sentence;          /* that member's partner sentence, or -1 */
    double similarity;         /* to the partner (dp_sentence_diff) */
    size_t nadded;             /* names, numbers and words this sentence */
    const dp_span *added;      /* has that its partner lacks (spans in this
                                  member's text); NULL when nadded == 0 */
} dp_story_carrier;

/* One unit of the merged story: a sentence and its carriers. */
typedef struct dp_story_unit {
    size_t ncarriers;
    const dp_story_carrier *carriers; /* primary first, then by member;
                                         carriers[0] is the text shown */
    size_t nmembers;                  /* distinct members among the carriers */
    long origin; /* the member that likely had it first (earliest
                    date, else the determined provenance, for units of
                    at most 32 carriers), or -1 */
} dp_story_unit;

/* Kinds of quotes. */
typedef enum dp_quote_kind {
    DP_QUOTE_MARKED = 0,  /* text between quotation marks */
    DP_QUOTE_REPORTED = 1 /* a sentence of attributed speech without marks
                             ("X said", "told", "according to") */
} dp_quote_kind;

/* One member's copy of a quote. */
typedef struct dp_quote_carrier {
    size_t member;
    dp_span span;           /* the quoted words, marks excluded (for a
                               reported quote, its sentence) */
    size_t nchanged;        /* words this copy has in place of the first
                               carrier's (inside the quote, not before or
                               after it); NULL when nchanged == 0 */
    const dp_span *changed; /* original byte spans in this member */
    dp_span speaker;        /* who this copy says is speaking: the name
                               beside a speech verb outside the quote in
                               its sentence ("..., Sanner said"); start ==
                               end when none was found */
} dp_quote_carrier;

typedef struct dp_story_quote {
    dp_quote_kind kind;
    size_t ncarriers;
    const dp_quote_carrier *carriers; /* marked copies first, then
                                         reported ones; each the primary
                                         first, then by member;
                                         carriers[0] is the reference */
} dp_story_quote;

typedef enum dp_conflict_kind {
    DP_CONFLICT_NUMBER = 0, /* 12 dead in one, 15 in another */
    DP_CONFLICT_DATE = 1,   /* a number next to a month or weekday name */
    DP_CONFLICT_NAME = 2    /* different names in the same slot */
} dp_conflict_kind;

/* Two partner sentences that disagree. */
typedef struct dp_story_conflict {
    dp_conflict_kind kind;
    size_t unit;        /* the unit both sentences carry */
    size_t member[2];   /* the two members */
    size_t sentence[2]; /* their sentences */
    dp_span span[2];    /* the sentences' byte ranges */
    dp_span value[2];   /* the disagreeing values' byte ranges */
} dp_story_conflict;

typedef enum dp_prov_basis {
    DP_PROV_UNDETERMINED = 0, /* the evidence is too weak to say */
    DP_PROV_DATE = 1,         /* the earlier date came first */
    DP_PROV_CONTENT = 2       /* `to` holds `from`'s sentences plus its own */
} dp_prov_basis;

/* The likely direction of copying between two compared members. */
typedef struct dp_story_edge {
    size_t from, to; /* when undetermined, from < to (no direction) */
    dp_prov_basis basis;
    double confidence;   /* in [0, 1]; 0 when undetermined */
    double contained[2]; /* shingle containment of from in to, of to in
                            from */
    size_t shared[2];    /* sentences of from, of to with a partner in
                            the other */
    size_t own[2];       /* sentences of from, of to without one */
    int dated;           /* both dates parsed */
    int64_t date[2];     /* seconds since 1970 when dated */
} dp_story_edge;

/*
 * dp_story_merge - the merged story of a cluster.
 * @members: @n members; their documents and strings are borrowed while
 *           the call runs, and the documents must outlive the story (the
 *           strings are copied).
 * @n:       at least 1.
 * @primary: index of the primary member (the story order follows it).
 * @opts:    compare options, or NULL for the defaults.
 * @out:     OUT: the story; free with dp_story_free().
 * @return DP_OK, DP_EINVAL (@n == 0, @primary >= @n, a NULL document, bad
 *         options), DP_ENOMEM, DP_ETOOBIG.
 */
DP_API dp_status dp_story_merge(const dp_story_member *members, size_t n,
                                size_t primary, const dp_compare_opts *opts,
                                dp_story **out);

/* dp_story_free - release a story. Accepts NULL. */
DP_API void dp_story_free(dp_story *s);

/* The accessors below borrow from @s; they return 0 or NULL for a NULL
 * @s or an index out of range. */

/* dp_story_members - number of members; dp_story_member_at - member @i
 * (its strings are the story's copies). */
DP_API size_t dp_story_members(const dp_story *s);
DP_API const dp_story_member *dp_story_member_at(const dp_story *s, size_t i);
DP_API size_t dp_story_primary(const dp_story *s);

/* dp_story_comparison - the comparison of members @i and @j (A = the
 * smaller index), or NULL when the pair was not compared (the caps). */
DP_API const dp_comparison *dp_story_comparison(const dp_story *s, size_t i,
                                                size_t j);

/* dp_story_units / dp_story_unit_at - the units in story order. */
DP_API size_t dp_story_units(const dp_story *s);
DP_API const dp_story_unit *dp_story_unit_at(const dp_story *s, size_t i);

/*
 * dp_story_adds - what member @m alone adds: the indices of the units it
 * is the only carrier of, in story order.
 * @units: OUT: borrowed array (NULL when the count is 0).
 * @return the count.
 */
DP_API size_t dp_story_adds(const dp_story *s, size_t m, const size_t **units);

/* A name or number one member's rewrite adds to a shared sentence. */
typedef struct dp_story_detail {
    size_t unit;  /* the unit whose carrier adds it */
    dp_span span; /* its original byte range in the member's text */
} dp_story_detail;

/*
 * dp_story_details - the names and numbers member @m adds inside shared
 * sentences: the added spans of its carriers (units other members carry
 * too) that are names or numbers and occur in the text of no member it
 * was compared with, each text once, in story order.
 * @details: OUT: borrowed array (NULL when the count is 0).
 * @return the count.
 */
DP_API size_t dp_story_details(const dp_story *s, size_t m,
                               const dp_story_detail **details);

/* dp_story_quotes / dp_story_quote_at - the quotes, in the story order
 * of their reference carrier. */
DP_API size_t dp_story_quotes(const dp_story *s);
DP_API const dp_story_quote *dp_story_quote_at(const dp_story *s, size_t i);

/* dp_story_conflicts / dp_story_conflict_at - the conflicts, by unit. */
DP_API size_t dp_story_conflicts(const dp_story *s);
DP_API const dp_story_conflict *dp_story_conflict_at(const dp_story *s,
                                                     size_t i);

/* dp_story_edges / dp_story_edge_at - one provenance edge per compared
 * pair that shares at least one sentence. */
DP_API size_t dp_story_edges(const dp_story *s);
DP_API const dp_story_edge *dp_story_edge_at(const dp_story *s, size_t i);

/*
 * dp_story_json - the merged story as one JSON object (schema in
 * docs/merged-story.md), without a trailing newline.
 * @out:   OUT: malloc'd NUL-terminated text; free with dp_free().
 * @len:   OUT (may be NULL): its length.
 * @return DP_OK, DP_EINVAL, DP_ENOMEM.
 */
DP_API dp_status dp_story_json(const dp_story *s, char **out, size_t *len);

/* ---------------------------------------------------------------------
 * Background term statistics (IDF tables)
 *
 * A dp_idf counts, over a corpus, in how many documents each content key
 * occurs: the Snowball stem of every non-stopword, and every number (the
 * keys the same-story score compares, dpi_story_key()). From it comes the
 * inverse document frequency of a key,
 *
 *     idf(t) = ln((N + 1) / (df(t) + 1)) + 1,   N = documents counted,
 *
 * (smoothed: a key never seen weighs as one seen in no document, ln(N+1)+1;
 * a key in every document weighs 1). `doppel idf build` writes a table to
 * a file so that a pair (`compare --idf`) or a small corpus (`stories
 * --idf`) gets the footing of a large one; `stories` and `reuse` count
 * their own corpus's table in their first pass. File format and decisions:
 * docs/idf.md. A table is tied to DP_NORM_VERSION and to the stemming
 * language it was counted with: reading one built under another version
 * gives DP_EMISMATCH.
 *
 * Thread safety: building (dp_idf_add*) is for one thread at a time; a
 * table that is no longer being added to may be read from any number of
 * threads at once.
 * ------------------------------------------------------------------- */

typedef struct dp_idf dp_idf;

/*
 * dp_idf_create - an empty table, counting documents of @language.
 * @language: the Snowball language of the documents (NULL: "english");
 *            copied. Recorded in the file; not checked against documents.
 * @out:      OUT: the table; free with dp_idf_free().
 * @return DP_OK, DP_EINVAL (@out NULL), DP_ENOMEM.
 */
DP_API dp_status dp_idf_create(const char *language, dp_idf **out);

/*
 * dp_idf_add - count one document: N grows by one and df by one for each
 * distinct content key of @doc (a document without content words still
 * counts in N).
 * @return DP_OK, DP_EINVAL, DP_ENOMEM (then the table is unchanged).
 */
DP_API dp_status dp_idf_add(dp_idf *idf, const dp_doc *doc);

/*
 * dp_idf_add_keys - count one document given as its content keys.
 * @keys:  @n keys, any order, duplicates allowed (each distinct key counts
 *         once); 0 is not a key and is ignored. Borrowed for the call.
 * @return as dp_idf_add().
 */
DP_API dp_status dp_idf_add_keys(dp_idf *idf, const uint64_t *keys, size_t n);

/*
 * dp_idf_merge - add every count of @src into @dst (N and df summed), for
 * tables counted on separate threads or machines.
 * @return DP_OK, DP_EINVAL (NULL, or different languages), DP_ENOMEM
 *         (then @dst is unchanged).
 */
DP_API dp_status dp_idf_merge(dp_idf *dst, const dp_idf *src);

/* dp_idf_docs - N, the number of documents counted. 0 for NULL. */
DP_API uint64_t dp_idf_docs(const dp_idf *idf);

/* dp_idf_keys - the number of distinct keys counted. 0 for NULL. */
DP_API size_t dp_idf_keys(const dp_idf *idf);

/* dp_idf_df - the document frequency of @key (0 when never seen). */
DP_API uint64_t dp_idf_df(const dp_idf *idf, uint64_t key);

/* dp_idf_weight - idf(@key) by the formula above; 1.0 for a NULL table. */
DP_API double dp_idf_weight(const dp_idf *idf, uint64_t key);

/*
 * dp_idf_token_key - the key token @i of @doc is counted under: the stem
 * of a word that is not a stopword, a number's stem or hash; 0 for a
 * stopword (or @i out of range), which no table counts.
 */
DP_API uint64_t dp_idf_token_key(const dp_doc *doc, size_t i);

/* dp_idf_language - the language the table was counted with (borrowed). */
DP_API const char *dp_idf_language(const dp_idf *idf);

/*
 * dp_idf_write - write the table to @path (docs/idf.md), atomically: a
 * temporary file beside it renamed into place, so a reader never sees a
 * half-written table.
 * @return DP_OK, DP_EINVAL, DP_EIO/DP_EACCES/DP_ENOENT/DP_EISDIR (the
 *         file could not be written; @err says why), DP_ENOMEM.
 */
DP_API dp_status dp_idf_write(const dp_idf *idf, const char *path,
                              dp_error *err);

/*
 * dp_idf_read - read a table written by dp_idf_write().
 * @out:   OUT: the table; free with dp_idf_free().
 * @return DP_OK; DP_ENOENT, DP_EACCES, DP_EISDIR, DP_EIO; DP_ECORRUPT (not
 *         an IDF table, truncated, or its checksum does not match: @err
 *         gives the byte offset); DP_EMISMATCH (another format or
 *         DP_NORM_VERSION); DP_ENOMEM; DP_EINVAL.
 */
DP_API dp_status dp_idf_read(const char *path, dp_idf **out, dp_error *err);

/* dp_idf_free - release a table. Accepts NULL. */
DP_API void dp_idf_free(dp_idf *idf);

/* ---------------------------------------------------------- end of idf */

/* ---------------------------------------------------------------------
 * Corpus readers
 *
 * A dp_reader streams documents ("records") out of any mix of inputs:
 *
 *   - plain-text files: one document each; its id is the path;
 *   - directories: walked recursively, entries in byte order of their
 *     names (strcmp), hidden entries (names starting with '.') skipped,
 *     only regular files read, symbolic links followed except those that
 *     lead back into a directory being walked (a loop);
 *   - JSONL (".jsonl", ".ndjson", ".json"): one JSON object per line with
 *     an id and a text field (names configurable); every line is parsed
 *     by jansson, duplicate keys refused; blank lines are skipped; CRLF
 *     endings and a UTF-8 BOM at the start are accepted;
 *   - CSV (".csv") and TSV (".tsv") with a header row naming the id, text
 *     and other columns, parsed by libcsv (quoted fields may hold commas
 *     and newlines);
 *   - gzip (".gz", concatenated members allowed) and zstd (".zst",
 *     concatenated frames allowed) compression of either of the above;
 *     compression is recognised by its magic bytes, so a misnamed or
 *     unnamed compressed stream (stdin) is still read;
 *   - "-": standard input (never closed by the reader).
 *
 * Reading is streaming: inputs are read in 1 MiB chunks, and memory is
 * bounded by the longest line (JSONL) or document (plain text), which is
 * capped by dp_reader_opts.max_record_bytes. The reader does not look
 * for duplicate ids: that is the caller's job (dedup reports them).
 * Details and decisions: docs/inputs.md.
 *
 * Errors are per record: dp_reader_next() returns an error for one bad
 * line, file or directory entry, and the next call goes on with the
 * following line or input; nothing after the bad spot is lost.
 *
 * Thread safety: a reader is not locked; use one reader per thread.
 * Distinct readers may run in distinct threads (but only one may read
 * standard input). opts.threads > 1 makes the reader parse ahead in
 * threads of its own; its API is still called from one thread.
 * ------------------------------------------------------------------- */

typedef struct dp_reader dp_reader;

/* How an input is interpreted. */
typedef enum dp_input_format {
    DP_FORMAT_AUTO = 0,  /* files: by the name, less a .gz/.zst suffix:
                            .jsonl, .ndjson, .json -> JSONL; .csv -> CSV;
                            .tsv -> TSV; anything else plain text. stdin
                            and memory: JSONL if the first non-space byte
                            is '{'; CSV (TSV) if the first line is a
                            comma- (tab-) separated header naming both the
                            id and the text field; else plain text */
    DP_FORMAT_JSONL = 1, /* one JSON object per line */
    DP_FORMAT_TEXT = 2,  /* the whole input is one document */
    DP_FORMAT_CSV = 3,   /* comma-separated values with a header row */
    DP_FORMAT_TSV = 4,   /* tab-separated values with a header row */
    DP_FORMAT_JSON = 5   /* the whole input is one JSON value: an object
                            (one record) or an array of objects (one record
                            each); for request bodies */
} dp_input_format;

typedef struct dp_reader_opts {
    const char *id_field;         /* JSONL field or CSV column holding the id;
                                     "id" */
    const char *text_field;       /* JSONL field or CSV column holding the text;
                                     "text" */
    const char *date_field;       /* field or column surfaced as dp_record.date;
                                     "date"; NULL or "" surfaces none */
    dp_input_format format;       /* for named files and directory entries;
                                     DP_FORMAT_AUTO */
    dp_input_format stdin_format; /* for "-" and dp_reader_open_memory();
                                     DP_FORMAT_AUTO */
    dp_utf8_mode utf8;            /* invalid UTF-8, in every format:
                                     DP_UTF8_REJECT (the default) fails the
                                     record (JSONL line, CSV line, plain-text
                                     document) with DP_EUTF8 and the byte;
                                     DP_UTF8_REPLACE repairs JSONL and CSV
                                     lines before parsing (each maximal invalid
                                     run becomes U+FFFD, as dp_doc_create()
                                     reads it) and passes plain-text bytes on
                                     unchecked, for dp_doc_create() to repair */
    size_t max_record_bytes;      /* longest JSONL line, CSV record or
                                     plain-text document, in bytes after
                                     decompression; 64 MiB
                                     (DP_READER_MAX_RECORD); at most
                                     DP_MAX_DOC_BYTES */
    unsigned threads;             /* JSONL parse threads, the caller's included;
                                     1 (the default) or 0: parse inside
                                     dp_reader_next(); N > 1: N - 1 threads of
                                     the reader parse batches of lines ahead
                                     while the caller works (same records, same
                                     errors, same order); at most 64 */
    int keep_meta;                /* nonzero: fill dp_record.meta (costs a JSON
                                     serialisation per record); default 0 */
} dp_reader_opts;

#define DP_READER_MAX_RECORD ((size_t)64 << 20)

/* dp_reader_opts_init - fill *opts with the defaults above. Cannot fail. */
DP_API void dp_reader_opts_init(dp_reader_opts *opts);

/*
 * One document as the reader hands it out. Every pointer borrows from the
 * reader and stays valid only until the next dp_reader_next() or
 * dp_reader_free() on that reader: copy what you keep.
 */
typedef struct dp_record {
    const char *id;     /* JSONL: the id field (a string, or an integer
                           within 64 bits written in decimal); CSV: the
                           id column; plain text: the path
                           ("-" for stdin). NUL-terminated, never NULL,
                           never empty, no NUL inside */
    size_t id_len;      /* strlen(id) */
    const char *text;   /* the document text: JSONL the decoded text field
                           (valid UTF-8, no NUL inside); plain text the
                           file's bytes less a leading UTF-8 BOM (under
                           DP_UTF8_REJECT valid UTF-8 without NUL bytes:
                           a NUL before any invalid byte is DP_EBINARY,
                           as dp_doc_create() says it; under
                           DP_UTF8_REPLACE unchecked). NUL-terminated,
                           never NULL */
    size_t text_len;    /* bytes in text, without the terminating NUL */
    const char *source; /* the input it came from: a path as given or as
                           joined under a directory ("dir/sub/file"), "-"
                           for stdin, or the name given to
                           dp_reader_open_memory() */
    uint64_t line;      /* 1-based line of the record in the decompressed
                           input: for CSV the line its first field starts
                           on; plain text 1; DP_FORMAT_JSON the element's
                           1-based position in the array */
    uint64_t offset;    /* byte offset of that line in the decompressed
                           input (plain text: 0, or 3 after a BOM) */
    const char *raw;    /* JSONL: the original line, without its line
                           ending (and without a BOM), NUL-terminated, so
                           kept records can be written back in the input's
                           own format (under DP_UTF8_REPLACE the bytes as
                           read, unrepaired); CSV, JSON, plain text: NULL */
    size_t raw_len;     /* bytes in raw; 0 for plain text */
    const char *date;   /* the date field's value when it is a string, or
                           an integer written in decimal; else NULL */
    size_t date_len;    /* bytes in date; 0 when date is NULL */
    const char *meta;   /* with opts.keep_meta: every field but the id and
                           text ones as one compact JSON object, in input
                           order (JSON: their values as parsed; CSV: the
                           other columns, strings); NULL when there are
                           none, for plain text, or without keep_meta */
    size_t meta_len;    /* bytes in meta; 0 when meta is NULL */
} dp_record;

/*
 * dp_reader_open - start reading a list of inputs, in order.
 * @paths:  @npaths paths: files, directories, or "-" for standard input.
 *          The reader copies them; they may be freed after the call.
 *          Inputs are opened lazily, one at a time, so a missing file is
 *          reported by dp_reader_next() in its turn, not here.
 * @opts:   options (copied, field names included), or NULL for defaults.
 * @out:    OUT: the reader; free with dp_reader_free(). NULL on failure.
 * @err:    optional detail on failure.
 * @return  DP_OK; DP_EINVAL (NULL @out, NULL @paths with @npaths > 0, a
 *          NULL path, an empty field name, max_record_bytes over
 *          DP_MAX_DOC_BYTES); DP_ENOMEM.
 */
DP_API dp_status dp_reader_open(const char *const *paths, size_t npaths,
                                const dp_reader_opts *opts, dp_reader **out,
                                dp_error *err);

/*
 * dp_reader_open_memory - read records from a buffer, as if it were one
 * input named @name (for instance a request body, or a fuzz input).
 * @data:   @len bytes, borrowed: they must stay valid and unchanged until
 *          dp_reader_free(). May be gzip or zstd compressed. NULL only
 *          when @len is 0.
 * @name:   what dp_record.source and error messages call it (copied);
 *          NULL means "(memory)". Its suffix is not looked at: the format
 *          comes from opts->stdin_format.
 * @return  as dp_reader_open().
 */
DP_API dp_status dp_reader_open_memory(const void *data, size_t len,
                                       const char *name,
                                       const dp_reader_opts *opts,
                                       dp_reader **out, dp_error *err);

/*
 * dp_reader_next - read the next record.
 * @rec:  OUT: on DP_OK the record, its pointers borrowed until the next
 *        call (see dp_record). On any other return it is zeroed.
 * @err:  optional detail on an error. Its message says what is wrong and
 *        never starts with the path or line: the caller prefixes them
 *        from dp_reader_path() and dp_reader_line() ("PATH:LINE: what",
 *        or "PATH: what" when the line is 0). A byte offset in a message
 *        is written "byte N", N 0-based from the start of the
 *        decompressed input (file, stdin or memory buffer), and appears
 *        once. err->offset is that 0-based offset of the fault, or
 *        (size_t)-1 when no single byte applies.
 * @return
 *   DP_OK         one record in *rec;
 *   DP_EOF        every input has been read (and again on later calls);
 *   DP_EJSON      a JSONL line is not a JSON object (syntax, a duplicate
 *                 key, \u0000, a lone surrogate escape, a top-level array
 *                 or string...), jansson's message kept; or a CSV record
 *                 is malformed (a stray or unclosed quote);
 *   DP_EFIELD     the id or text field (or CSV column) is missing, or
 *                 the id is not a non-empty string or an integer within
 *                 64 bits, or the text not a string; a CSV header without
 *                 the id or text column (the rest of that input is
 *                 skipped), or a CSV record with another number of fields
 *                 than the header;
 *   DP_EUTF8      invalid UTF-8 under DP_UTF8_REJECT: in a JSONL or CSV
 *                 line (that record is skipped) or in a plain-text
 *                 document (skipped); offset of the first bad byte;
 *   DP_ETOOBIG    a line, record or document is longer than
 *                 max_record_bytes (it is skipped);
 *   DP_ENOENT, DP_EACCES, DP_EISDIR, DP_EIO
 *                 an input or directory entry could not be opened or read
 *                 (the rest of it is skipped);
 *   DP_ECOMPRESS  a compressed input is corrupt or truncated: the records
 *                 before the fault were returned, the rest of that input
 *                 is skipped;
 *   DP_ENOMEM     memory ran out for this record (it is skipped);
 *   DP_EINVAL     @r or @rec is NULL.
 * After any error but DP_EINVAL the caller may call again: reading goes on
 * with the next line, entry or input.
 *
 * Location contract: after every return but DP_EINVAL, also with
 * parse-ahead threads, dp_reader_path() names the input of that record or
 * error, and dp_reader_line() its 1-based line (for a CSV record the line
 * it starts on; for an error inside a record, the line where it was
 * found), or 0 when the error concerns a whole input (it could not be
 * opened, a plain-text document is invalid, a compressed stream failed
 * between lines).
 */
DP_API dp_status dp_reader_next(dp_reader *r, dp_record *rec, dp_error *err);

/*
 * dp_reader_path - the input of the last record or error (as in
 * dp_record.source); NULL before the first dp_reader_next(). Borrowed
 * until the next dp_reader_next() or dp_reader_free().
 */
DP_API const char *dp_reader_path(const dp_reader *r);

/*
 * dp_reader_line - the 1-based line of the last record or error in its
 * input (a CSV record: the line it starts on; DP_FORMAT_JSON: the
 * element's position); 0 when the error concerns the whole input (it
 * could not be opened, a plain-text document is invalid, a compressed
 * stream failed between lines) or before the first call. See the location
 * contract at dp_reader_next().
 */
DP_API uint64_t dp_reader_line(const dp_reader *r);

/*
 * dp_reader_field - a top-level string field of the last JSON record, or
 * a column of the last CSV record (for instance "title" or "url"),
 * decoded, NUL-terminated.
 * @len:   OUT (may be NULL): its length in bytes.
 * @return the value, borrowed until the next dp_reader_next() or
 *         dp_reader_free(); NULL when the last call did not return a JSON
 *         or CSV record, or it has no such field, or the field is not a
 *         string (dp_record.meta has every field, whatever its type).
 */
DP_API const char *dp_reader_field(const dp_reader *r, const char *name,
                                   size_t *len);

/* dp_reader_free - close the current input and release the reader.
 * Accepts NULL. Standard input is left open. */
DP_API void dp_reader_free(dp_reader *r);

/* ------------------------------------------------------ end of readers */

/* ---------------------------------------------------------------------
 * Near-duplicate detection over a corpus (dedup)
 *
 * A dp_dedup collects documents (in batches, signatures computed on
 * several threads), then finds every group of near-duplicates: MinHash
 * signatures over k-word shingles, LSH banding tuned to the threshold,
 * every candidate pair verified, and star clusters around the document
 * the keep policy prefers (every member is within the threshold of its
 * cluster's kept document; no chaining). Documents are numbered in the
 * order they were added; results do not depend on the thread count.
 * Formulas and decisions: docs/dedup.md.
 *
 * Thread safety: one dp_dedup is used by one thread at a time (it runs
 * its own worker threads inside dp_dedup_add() and dp_dedup_run()).
 * ------------------------------------------------------------------- */

typedef struct dp_dedup dp_dedup;

typedef enum dp_keep_policy {
    DP_KEEP_FIRST = 0,   /* the document added first */
    DP_KEEP_LONGEST = 1, /* the one with the most words (ties: first) */
    DP_KEEP_EARLIEST = 2 /* the one with the earliest date (documents
                            without a parseable date come last; ties:
                            first) */
} dp_keep_policy;

typedef enum dp_verify_mode {
    DP_VERIFY_AUTO = 0,    /* exact up to exact_max_docs documents, else
                              estimate */
    DP_VERIFY_EXACT = 1,   /* exact Jaccard of the shingle sets (keeps
                              every document's shingle set in memory) */
    DP_VERIFY_ESTIMATE = 2 /* Jaccard estimated from the full signatures */
} dp_verify_mode;

typedef struct dp_dedup_opts {
    unsigned shingle_k;   /* words per shingle; 5 */
    unsigned perms;       /* MinHash signature length; 128 */
    double threshold;     /* Jaccard at or above which two documents are
                             near-duplicates; 0.8 */
    unsigned bands, rows; /* LSH banding by hand; 0 and 0 (default)
                             choose them from the threshold: */
    double fp_weight;     /* with fn_weight > 0: the banding minimising
                             fp_weight * FP area + fn_weight * FN area
                             (datasketch's rule; its default is 0.5/0.5);
                             both 0 (default): the banding with the least
                             FP area among those that make a pair at
                             threshold + 0.05 a candidate with
                             probability >= 0.999 (docs/dedup.md) */
    double fn_weight;
    dp_verify_mode verify; /* DP_VERIFY_AUTO */
    size_t exact_max_docs; /* DP_VERIFY_AUTO switches to estimates above
                              this many documents; 200000 */
    dp_keep_policy keep;   /* DP_KEEP_FIRST */
    unsigned threads;      /* worker threads; 0 = all online cores */
    dp_text_opts text;     /* how texts become words (dp_text_opts_init) */
} dp_dedup_opts;

/* dp_dedup_opts_init - fill *opts with the defaults above. */
DP_API void dp_dedup_opts_init(dp_dedup_opts *opts);

/*
 * dp_dedup_create - an empty collection.
 * @return DP_OK; DP_EINVAL (a bad option: k 0, perms 0 or > 1024,
 *         threshold outside (0, 1], bands*rows > perms); DP_ESTEM;
 *         DP_ENOMEM. *out is NULL on failure.
 */
DP_API dp_status dp_dedup_create(const dp_dedup_opts *opts, dp_dedup **out);

/* dp_dedup_free - release everything. Accepts NULL. */
DP_API void dp_dedup_free(dp_dedup *d);

/* One document handed to dp_dedup_add(); all pointers are borrowed for
 * the duration of the call only (the collection copies the id). */
typedef struct dp_dedup_doc {
    const char *id; /* identifier, @id_len bytes (need not be unique:
                       dp_dedup_add reports repeats) */
    size_t id_len;
    const char *text; /* the text, @text_len bytes */
    size_t text_len;
    const char *date; /* optional date (ISO 8601 "2022-10-08[T12:00:00]"
                         or "26-FEB-1987 15:01:01.79"), @date_len bytes;
                         NULL when absent */
    size_t date_len;
} dp_dedup_doc;

/*
 * dp_dedup_add - add @n documents, computing their signatures on the
 * collection's threads. Document numbers continue from the previous call.
 * @status: OUT, optional: @n entries, one per document: DP_OK (added);
 *          DP_EEMPTY (no words: not added, gets no number); DP_EUTF8 /
 *          DP_EBINARY / DP_ETOOBIG (per the text options: not added).
 *          A repeated id is still added; dp_dedup_stats_get() counts
 *          repeats in dup_ids and dp_dedup_id_repeats() tells which.
 * @return DP_OK (even when some documents were refused: see @status);
 *         DP_ENOMEM or DP_ETOOBIG (over 2^31 documents): all or nothing,
 *         the collection then holds exactly the documents added before
 *         the call and every @status entry is that code.
 *
 * Signatures are computed on the core thread pool with one work context
 * per worker, kept by the collection from one call to the next; when a
 * worker thread cannot be created its documents are signed by the others
 * (ultimately by the calling thread), never skipped.
 */
DP_API dp_status dp_dedup_add(dp_dedup *d, const dp_dedup_doc *docs, size_t n,
                              dp_status *status);

/*
 * dp_dedup_run - find the near-duplicate clusters of everything added so
 * far. May be called again after more dp_dedup_add() calls.
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG.
 */
DP_API dp_status dp_dedup_run(dp_dedup *d);

/* What a run did and found. */
typedef struct dp_dedup_stats {
    size_t docs;          /* documents added */
    size_t dup_ids;       /* documents whose id repeats an earlier one */
    unsigned bands, rows; /* the banding used */
    int exact;            /* 1 when pairs were verified exactly */
    size_t candidates;    /* candidate pairs from LSH */
    size_t verified;      /* of those, at or above the threshold */
    size_t clusters;      /* clusters of two or more documents */
    size_t duplicates;    /* documents in clusters but not kept */
    size_t memory;        /* bytes held per the collection's own
                             accounting (signatures, ids, shingle sets) */
} dp_dedup_stats;

/* dp_dedup_stats_get - the counts above (run fields are 0 before a run). */
DP_API void dp_dedup_stats_get(const dp_dedup *d, dp_dedup_stats *out);

/* dp_dedup_docs - number of documents added. */
DP_API size_t dp_dedup_docs(const dp_dedup *d);

/* dp_dedup_id - the id of document @i (NUL-terminated, borrowed until
 * dp_dedup_free()), or NULL when out of range. */
DP_API const char *dp_dedup_id(const dp_dedup *d, size_t i, size_t *len);

/* dp_dedup_id_repeats - 1 when document @i's id was already used by an
 * earlier document, else 0. */
DP_API int dp_dedup_id_repeats(const dp_dedup *d, size_t i);

/* dp_dedup_find - the first document with id @id, or -1. O(1). */
DP_API long dp_dedup_find(const dp_dedup *d, const char *id, size_t id_len);

/* dp_dedup_clusters - number of clusters found by the last run. */
DP_API size_t dp_dedup_clusters(const dp_dedup *d);

/*
 * dp_dedup_cluster - members of cluster @c (< dp_dedup_clusters()): the
 * kept document first, then the others in keep order, with each one's
 * similarity to the kept one (1 for itself). Arrays borrowed until the
 * next dp_dedup_add(), dp_dedup_run() or dp_dedup_free().
 * @return DP_OK or DP_EINVAL (out of range, or no run yet).
 */
DP_API dp_status dp_dedup_cluster(const dp_dedup *d, size_t c,
                                  const uint32_t **members,
                                  const float **similarity, size_t *n);

/* dp_dedup_cluster_of - the cluster of document @i, or -1 when it is in
 * none (a unique document). */
DP_API long dp_dedup_cluster_of(const dp_dedup *d, size_t i);

/* dp_dedup_is_dropped - 1 when document @i is a duplicate the keep policy
 * drops (in a cluster, not its kept document), else 0. */
DP_API int dp_dedup_is_dropped(const dp_dedup *d, size_t i);

/* Why two documents were or were not grouped. */
typedef struct dp_dedup_explain {
    double estimated;      /* Jaccard estimated from the signatures */
    double exact;          /* exact Jaccard of the shingle sets, or -1
                              when the sets were not kept */
    unsigned bands_shared; /* LSH bands whose keys agree (0: never a
                              candidate pair) */
    unsigned bands;        /* bands in all */
    long cluster_a;        /* dp_dedup_cluster_of() of each */
    long cluster_b;
    int grouped; /* 1 when both are in the same cluster */
} dp_dedup_explain;

/* dp_dedup_explain_pair - the figures above for documents @i and @j
 * (after a run). @return DP_OK or DP_EINVAL. */
DP_API dp_status dp_dedup_explain_pair(const dp_dedup *d, size_t i, size_t j,
                                       dp_dedup_explain *out);

/* ---------------------------------------------------------------------
 * Same-story clusters (stories)
 *
 * A dp_stories collects documents (features computed in batches on
 * several threads), then groups them into same-story clusters: documents
 * telling one story, copied or rewritten, while two different events of
 * one kind (two earthquakes, one celebrity's two stays in rehab years
 * apart) stay apart. Each document keeps only flat features (its sorted
 * content keys with term frequency and class, its dates) and its original
 * bytes and metadata, which the merged-story stage needs.
 *
 * dp_stories_run(): document frequencies over the corpus (plus the
 * background table when one is given), candidate pairs from an inverted
 * index over each document's most specific keys (capped posting lists:
 * never all pairs), the same-story score of every candidate pair (the
 * corpus form of dp_compare()'s score, docs/stories.md), then average-
 * linkage clustering over the scored pairs: two documents join only when
 * their pair scores at least the threshold and every merge keeps the
 * average link between the two groups at or above it (precision first).
 *
 * Results do not depend on the thread count. A cluster's id follows from
 * its members' ids (a hash of the sorted ids), not from run order.
 * Clusters are ordered by size (largest first), then id. Every document
 * is in exactly one cluster (singletons are clusters of one).
 *
 * Thread safety: one dp_stories is used by one thread at a time (it runs
 * its own worker threads inside dp_stories_add() and dp_stories_run()).
 * Formulas, weights and their calibration: docs/stories.md.
 * ------------------------------------------------------------------- */

typedef struct dp_stories dp_stories;

typedef struct dp_stories_opts {
    double threshold;         /* least same-story score of a pair, and least
                                 average link between two groups, to merge;
                                 DP_STORIES_THRESHOLD */
    double link_min;          /* least score of a document's best pair for
                                 it to join any story: a document whose
                                 strongest link is thinner stays alone
                                 (precision first); DP_STORIES_LINK_MIN.
                                 0 turns the guard off */
    unsigned threads;         /* worker threads; 0 = all online cores */
    dp_text_opts text;        /* how texts become words (dp_text_opts_init) */
    const struct dp_idf *idf; /* background term statistics added to the
                                 corpus's own counts, or NULL; borrowed,
                                 must outlive the collection */
} dp_stories_opts;

/* The default threshold (calibrated on ECB+, docs/stories.md). */
#define DP_STORIES_THRESHOLD 0.15
#define DP_STORIES_LINK_MIN  0.30

/* dp_stories_opts_init - fill *opts with the defaults above. */
DP_API void dp_stories_opts_init(dp_stories_opts *opts);

/*
 * dp_stories_create - an empty collection.
 * @opts:  options (copied), or NULL for the defaults.
 * @return DP_OK; DP_EINVAL (threshold outside (0, 1), @out NULL);
 *         DP_ESTEM; DP_ENOMEM. *out is NULL on failure.
 */
DP_API dp_status dp_stories_create(const dp_stories_opts *opts,
                                   dp_stories **out);

/* dp_stories_free - release everything. Accepts NULL. */
DP_API void dp_stories_free(dp_stories *s);

/* One document for dp_stories_add(); every pointer is borrowed for the
 * call only (the collection copies what it keeps). Optional fields are
 * NULL (length ignored) when absent. */
typedef struct dp_stories_doc {
    const char *id; /* identifier (ids should be unique: a cluster id is
                       made from its members' ids) */
    size_t id_len;
    const char *text; /* the text */
    size_t text_len;
    const char *date; /* optional: the date field as read (ISO 8601,
                         "26-FEB-1987 15:01:01.79", "May 3, 2013") */
    size_t date_len;
    const char *source; /* optional: the outlet or input it came from */
    size_t source_len;
    const char *title; /* optional */
    size_t title_len;
} dp_stories_doc;

/*
 * dp_stories_add - add @n documents, computing their features on the
 * collection's threads (one work context per worker). Document numbers
 * continue from the previous call, in the order given.
 * @status: OUT, optional: @n entries: DP_OK (added); DP_EEMPTY (no words:
 *          not added); DP_EUTF8 / DP_EBINARY / DP_ETOOBIG (per the text
 *          options: not added).
 * @return DP_OK (even when some documents were refused: see @status);
 *         DP_ENOMEM or DP_ETOOBIG (over 2^31 documents): all or nothing,
 *         the collection then holds exactly what it held before and every
 *         @status entry is that code. DP_EINVAL for NULL arguments.
 */
DP_API dp_status dp_stories_add(dp_stories *s, const dp_stories_doc *docs,
                                size_t n, dp_status *status);

/*
 * dp_stories_run - cluster everything added so far. May be called again
 * after more dp_stories_add() calls (the whole corpus is clustered anew).
 * @return DP_OK, DP_ENOMEM, DP_EINVAL.
 */
DP_API dp_status dp_stories_run(dp_stories *s);

/* What a run did and found. */
typedef struct dp_stories_stats {
    size_t docs;       /* documents added */
    size_t candidates; /* candidate pairs scored */
    size_t linked;     /* of those, scoring at least the threshold */
    size_t clusters;   /* clusters, singletons included */
    size_t grouped;    /* clusters of two or more */
    size_t in_groups;  /* documents in clusters of two or more */
    long best_a;       /* the highest-scoring pair whose documents are in */
    long best_b;       /* different clusters (-1, -1 when none) ... */
    double best_score; /* ... and its score (0 when none) */
    size_t memory;     /* bytes held per the collection's accounting */
} dp_stories_stats;

/* dp_stories_stats_get - the counts above (run fields are 0 before a
 * run). */
DP_API void dp_stories_stats_get(const dp_stories *s, dp_stories_stats *out);

/* dp_stories_docs - number of documents added. */
DP_API size_t dp_stories_docs(const dp_stories *s);

/*
 * dp_stories_doc_get - document @i as it was added: every pointer
 * (NUL-terminated copies; NULL for absent optional fields) is borrowed
 * until dp_stories_free(). @return DP_OK or DP_EINVAL (out of range).
 */
DP_API dp_status dp_stories_doc_get(const dp_stories *s, size_t i,
                                    dp_stories_doc *out);

/* dp_stories_find - the first document with id @id, or -1. */
DP_API long dp_stories_find(const dp_stories *s, const char *id, size_t id_len);

/* dp_stories_clusters - number of clusters found by the last run (every
 * document is in one; 0 before a run). */
DP_API size_t dp_stories_clusters(const dp_stories *s);

/* One cluster, borrowed from the collection until the next add, run or
 * free. */
typedef struct dp_stories_cluster {
    const char *id;          /* stable id: "s" + 16 hex digits of a hash
                                of the sorted member ids */
    const uint32_t *members; /* document numbers, primary first, then by
                                date (undated last), then id */
    size_t n;                /* members */
    uint32_t primary;        /* == members[0]: the earliest by date, else
                                the one the others score highest with */
    double cohesion;         /* average score over member pairs (1 for a
                                singleton) */
} dp_stories_cluster;

/* dp_stories_cluster_get - cluster @c (< dp_stories_clusters()).
 * @return DP_OK or DP_EINVAL. */
DP_API dp_status dp_stories_cluster_get(const dp_stories *s, size_t c,
                                        dp_stories_cluster *out);

/* dp_stories_cluster_of - the cluster of document @i, or -1 (out of
 * range, or no run yet). */
DP_API long dp_stories_cluster_of(const dp_stories *s, size_t i);

/* dp_stories_day - document @i's reference day (days since 1970-01-01:
 * its date field, else a date in its opening), or INT32_MIN when it has
 * none. */
DP_API int32_t dp_stories_day(const dp_stories *s, size_t i);

/* dp_date_format - a day (days since 1970-01-01, as dp_stories_day gives)
 * as "YYYY-MM-DD" into @buf (11 bytes hold it), or "undated" for
 * INT32_MIN. Writes nothing when @buf is NULL or @size 0. */
DP_API void dp_date_format(int32_t day, char *buf, size_t size);

/* Why two documents are or are not in one story. The strings are
 * NUL-terminated inside the struct (truncated with "..." when long). */
typedef struct dp_stories_evidence {
    double score;          /* the pair's same-story score */
    double threshold;      /* the run's threshold */
    double terms;          /* weighted content-term overlap */
    double names;          /* weighted name overlap */
    double numbers;        /* weighted number overlap */
    size_t shared_terms;   /* distinct content keys both have */
    size_t shared_names;   /* distinct names both have */
    size_t shared_numbers; /* distinct numbers both have */
    long day_gap;          /* days between their reference dates, or -1 */
    int years_disjoint;    /* both mention years and none in common */
    int candidate;         /* the pair was scored by the run (shares
                              specific keys) */
    long cluster_a;        /* dp_stories_cluster_of() of each */
    long cluster_b;
    int grouped;            /* in one cluster */
    char names_text[256];   /* the shared names as they read in A,
                               comma-separated, rarest first */
    char numbers_text[128]; /* the shared numbers likewise */
    char dates_text[128];   /* "2013-05-03 / 2008-09-16" or "" */
    size_t passages;        /* verbatim passages the two share (compare's
                               aligner at its defaults: 8+ words) */
    size_t passage_words;   /* words in them */
    dp_span longest[2];     /* the longest passage's byte span in each
                               text ({0, 0} without one) */
    double containment[2];  /* 5-word shingle containment of each in
                               the other (a in b, b in a) */
    char reason[256];       /* why (not): "score 0.31 below threshold
                               0.50", "dates 1,800 days apart", ... */
} dp_stories_evidence;

/*
 * dp_stories_explain - the evidence for documents @i and @j (after a run;
 * the texts are rebuilt to name the shared names and numbers).
 * @return DP_OK, DP_EINVAL (out of range, no run), DP_ENOMEM.
 */
DP_API dp_status dp_stories_explain(const dp_stories *s, size_t i, size_t j,
                                    dp_stories_evidence *out);

/*
 * dp_stories_cluster_json - cluster @c as one JSON object (schema in
 * docs/json.md: id, size, primary, cohesion, members with id, source,
 * date, title), no trailing newline; one line of --clusters JSONL.
 * @out: OUT: malloc'd NUL-terminated text; free with dp_free().
 * @return DP_OK, DP_EINVAL, DP_ENOMEM.
 */
DP_API dp_status dp_stories_cluster_json(const dp_stories *s, size_t c,
                                         char **out, size_t *len);

/*
 * dp_stories_evidence_json - @ev for documents @i and @j as one JSON
 * object, no trailing newline. @return DP_OK, DP_EINVAL, DP_ENOMEM.
 */
DP_API dp_status dp_stories_evidence_json(const dp_stories *s, size_t i,
                                          size_t j,
                                          const dp_stories_evidence *ev,
                                          char **out, size_t *len);

/* ------------------------------------------------------ end of stories */

/* ---------------------------------------------------------------------
 * Text reuse across a corpus (reuse)
 *
 * A dp_reuse collects documents (in batches, tokenised on several
 * threads) and finds every passage of at least opts.min_words words that
 * two of them share, without comparing all pairs: the word n-grams of
 * every document are hashed into one flat array and sorted; an n-gram
 * held by two to opts.max_df documents makes each pair of them a
 * candidate, a more frequent one (boilerplate, set phrases) only links
 * each of its documents to the first that holds it; each candidate pair
 * is then aligned by compare's passage aligner (same passages, same
 * offsets as `doppel compare` on that pair). Passages that overlap in a
 * document are joined into reuse clusters: one quote carried by twelve
 * documents is one cluster of twelve members, each with its byte span.
 * Documents are numbered in the order they were added; results do not
 * depend on the thread count. Algorithm, costs and decisions:
 * docs/reuse.md.
 *
 * Thread safety: one dp_reuse is used by one thread at a time (it runs
 * its own worker threads inside dp_reuse_add() and dp_reuse_run()).
 * ------------------------------------------------------------------- */

typedef struct dp_reuse dp_reuse;

typedef struct dp_reuse_opts {
    unsigned min_words;       /* shortest passage reported, in matched words;
                                 8; at least 2 */
    unsigned max_gap;         /* most unmatched words bridged inside one
                                 passage on either side (as compare); 4 */
    unsigned ngram;           /* candidate n-gram length in words; 0 = the
                                 default, 5 (never more than min_words) */
    unsigned max_df;          /* an n-gram in more documents than this is
                                 frequent: it links its documents to one hub
                                 instead of pairing them all; 0 = 64 */
    unsigned min_shared;      /* a candidate pair shares at least this many
                                 distinct n-grams; 0 = 1 (every pair the
                                 aligner could find a passage in, whose
                                 n-grams are not all frequent) */
    double boilerplate;       /* a cluster in more than this percentage of the
                                 documents (and in at least boilerplate_min
                                 of them) is boilerplate; 20 */
    unsigned boilerplate_min; /* see above; 10 */
    int drop_boilerplate;     /* nonzero: boilerplate clusters and their
                                 passages are dropped from the results
                                 (counted in the stats); 0 flags them */
    int ignore_same_source;   /* nonzero: pairs of documents with the same
                                 (non-empty) source are not compared */
    unsigned threads;         /* worker threads; 0 = all online cores */
    dp_text_opts text;        /* how texts become words (dp_text_opts_init) */
} dp_reuse_opts;

/* dp_reuse_opts_init - fill *opts with the defaults above. Cannot fail. */
DP_API void dp_reuse_opts_init(dp_reuse_opts *opts);

/*
 * dp_reuse_create - an empty collection.
 * @return DP_OK; DP_EINVAL (min_words < 2, max_gap > 64, boilerplate
 *         outside [0, 100], NULL @out); DP_ESTEM; DP_ENOMEM. *out is NULL
 *         on failure.
 */
DP_API dp_status dp_reuse_create(const dp_reuse_opts *opts, dp_reuse **out);

/* dp_reuse_free - release everything. Accepts NULL. */
DP_API void dp_reuse_free(dp_reuse *r);

/* One document handed to dp_reuse_add(); pointers borrowed for the call
 * only (the collection copies id, text and source). */
typedef struct dp_reuse_doc {
    const char *id; /* identifier, @id_len bytes (need not be unique) */
    size_t id_len;
    const char *text; /* the text, @text_len bytes */
    size_t text_len;
    const char *date; /* optional date, as dp_dedup_doc.date; NULL when
                         absent. Gives each cluster its earliest member */
    size_t date_len;
    const char *source; /* optional publisher or outlet, for
                           ignore_same_source; NULL when absent */
    size_t source_len;
} dp_reuse_doc;

/*
 * dp_reuse_add - add @n documents, tokenised on the collection's threads.
 * Document numbers continue from the previous call.
 * @status: OUT, optional: @n entries: DP_OK (added); DP_EEMPTY (no words:
 *          not added, no number); DP_EUTF8 / DP_EBINARY / DP_ETOOBIG (per
 *          the text options: not added); DP_ENOMEM (this one not added);
 *          DP_EINVAL (a NULL id or text: not added).
 * @return DP_OK (even when some documents were refused: see @status);
 *         DP_ENOMEM or DP_ETOOBIG (over 2^31 documents or 2^32 words in
 *         all): the collection then holds exactly the documents added
 *         before the call; DP_EINVAL.
 * Memory kept per document: its text, id and source, 16 bytes per word
 * (token hash and original span) and 48 bytes of bookkeeping.
 */
DP_API dp_status dp_reuse_add(dp_reuse *r, const dp_reuse_doc *docs, size_t n,
                              dp_status *status);

/*
 * dp_reuse_run - find the passages and clusters of everything added so
 * far (a later call after more dp_reuse_add() starts over).
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG.
 * Cost: one sort of all n-grams (16 bytes each, twice, while it runs),
 * then one alignment per candidate pair, on all threads.
 */
DP_API dp_status dp_reuse_run(dp_reuse *r);

/* What a run did and found. */
typedef struct dp_reuse_stats {
    size_t docs;        /* documents added */
    size_t words;       /* their words */
    size_t ngrams;      /* candidate n-grams hashed */
    size_t frequent;    /* distinct n-grams over max_df documents */
    size_t candidates;  /* candidate pairs aligned */
    size_t pairs;       /* of them, pairs sharing at least one passage */
    size_t passages;    /* passages kept */
    size_t clusters;    /* clusters kept */
    size_t boilerplate; /* clusters flagged (or, dropping, dropped) as
                           boilerplate */
    size_t dropped;     /* passages dropped with boilerplate clusters */
    size_t same_source; /* candidate pairs skipped: same source */
    size_t memory;      /* bytes of document state kept */
} dp_reuse_stats;

/* dp_reuse_stats_get - the counts above (run fields are 0 before a run). */
DP_API void dp_reuse_stats_get(const dp_reuse *r, dp_reuse_stats *out);

/* dp_reuse_docs - number of documents added. */
DP_API size_t dp_reuse_docs(const dp_reuse *r);

/* dp_reuse_id / dp_reuse_text / dp_reuse_source - document @i's id, text
 * (original bytes) or source (NULL when it had none), NUL-terminated,
 * borrowed until dp_reuse_free(); NULL when @i is out of range. @len may
 * be NULL. */
DP_API const char *dp_reuse_id(const dp_reuse *r, size_t i, size_t *len);
DP_API const char *dp_reuse_text(const dp_reuse *r, size_t i, size_t *len);
DP_API const char *dp_reuse_source(const dp_reuse *r, size_t i, size_t *len);

/* dp_reuse_date - document @i's date as seconds since 1970 (UTC), or -1
 * when it had none that parses. Returns 0 and sets *out, or -1. */
DP_API int dp_reuse_date(const dp_reuse *r, size_t i, int64_t *out);

/* One passage two documents share. */
typedef struct dp_reuse_passage {
    uint32_t a, b;  /* the documents, a < b */
    dp_span a_span; /* original byte range in a */
    dp_span b_span; /* original byte range in b */
    size_t words;   /* the larger side's word count */
    size_t cluster; /* the cluster it belongs to */
} dp_reuse_passage;

/* dp_reuse_passages - number of passages found by the last run, ordered
 * by (a, b, a_span.start). */
DP_API size_t dp_reuse_passages(const dp_reuse *r);

/* dp_reuse_passage_at - passage @i, borrowed until the next dp_reuse_add(),
 * dp_reuse_run() or dp_reuse_free(); NULL when out of range. */
DP_API const dp_reuse_passage *dp_reuse_passage_at(const dp_reuse *r, size_t i);

/* One place a reuse cluster's text occurs. */
typedef struct dp_reuse_member {
    uint32_t doc; /* the document */
    dp_span span; /* original byte range (the union of the overlapping
                     passages of this cluster in the document) */
    size_t words; /* words in the span */
} dp_reuse_member;

/* A reuse cluster. */
typedef struct dp_reuse_cluster {
    size_t nmembers;                /* members (>= 2) */
    const dp_reuse_member *members; /* by document, then start */
    size_t docs;                    /* distinct documents */
    size_t passages;                /* passages joined into it */
    long earliest;   /* index into members of the earliest dated member
                        (ties: the first), or -1 when none is dated */
    int boilerplate; /* 1 when in more than the boilerplate share */
} dp_reuse_cluster;

/* dp_reuse_clusters - number of clusters found by the last run, largest
 * first (documents descending, then first member). */
DP_API size_t dp_reuse_clusters(const dp_reuse *r);

/* dp_reuse_cluster_get - cluster @c into *@out (members borrowed as
 * dp_reuse_passage_at()). @return DP_OK or DP_EINVAL (out of range). */
DP_API dp_status dp_reuse_cluster_get(const dp_reuse *r, size_t c,
                                      dp_reuse_cluster *out);

/*
 * JSON of a run (shapes in docs/reuse.md, "JSON"): compact text, keys in
 * the order shown there, no trailing newline; @out malloc'd (free with
 * dp_free()), NULL on failure; @len may be NULL.
 * @return DP_OK, DP_EINVAL (NULL argument, out of range), DP_ENOMEM.
 */

/* dp_reuse_passage_json - passage @i as one JSONL line's object. */
DP_API dp_status dp_reuse_passage_json(const dp_reuse *r, size_t i, char **out,
                                       size_t *len);

/* dp_reuse_cluster_json - cluster @c as one JSONL line's object. */
DP_API dp_status dp_reuse_cluster_json(const dp_reuse *r, size_t c, char **out,
                                       size_t *len);

/* dp_reuse_summary_json - the run's options and counts as one object;
 * with @with_clusters every cluster in a "clusters" array. */
DP_API dp_status dp_reuse_summary_json(const dp_reuse *r, int with_clusters,
                                       char **out, size_t *len);

/* ---------------------------------------------------------- end of reuse */

/* ---------------------------------------------------------------------
 * Persistent index
 *
 * A dp_index is an on-disk, incremental, crash-safe collection of
 * documents that answers "what is already indexed that is similar to
 * this?". It keeps, per document, its id, optional metadata (a JSON
 * object), its word count, its MinHash signature, its LSH band keys, and
 * optionally its sorted shingle set (for exact Jaccard scores) and its
 * original text (for passages). Signatures, band keys and scores are made
 * exactly as dp_dedup makes them (same text pipeline, shingles, short-
 * document rule, MinHash family and recall-first banding), so a query
 * finds what dedup would pair on the same corpus.
 *
 * Storage: one LMDB environment, a directory holding data.mdb, lock.mdb
 * and doppel.lock. Layout and record formats: docs/index.md.
 *
 * Durability: every write call (dp_index_add, dp_index_remove) is one
 * LMDB transaction, committed with fsync before it returns: after a crash
 * or kill -9 at any moment, the index opens and holds exactly the
 * transactions that committed. A batch is all or nothing.
 *
 * Concurrency (LMDB's model):
 *   - Open each index ONCE per process and share the handle between
 *     threads (LMDB forbids opening one environment twice in a process).
 *   - A dp_index handle is thread-safe: any number of threads may call
 *     dp_index_query_*, dp_index_get, dp_index_each, dp_index_stats_get and
 *     dp_index_check at once; readers never block each other and never wait
 *     for a writer (they see the last committed state as of their call).
 *   - Writes are serialised: dp_index_add/dp_index_remove from several
 *     threads, or several processes on the same index, run one after the
 *     other (each waits for the write lock).
 *   - Several processes may open the same index at once (readers and one
 *     writer at a time), except for dp_index_compact (see there).
 *   - Readers per index at one moment: 126 by default
 *     (dp_index_opts.max_readers), over all processes; past that a read
 *     fails with DP_EBUSY.
 *
 * Map size: LMDB maps the file into memory at a fixed size. The index
 * starts at dp_index_opts.map_size (64 MiB by default, or the file's own
 * larger size) and doubles it automatically when a write needs more
 * (up to 1 GiB per step), pausing this process's readers for the moment of
 * the remap. dp_index_opts.map_max caps the growth: a write that would
 * need more fails with DP_EFULL and the index keeps its earlier contents.
 * ------------------------------------------------------------------- */

typedef struct dp_index dp_index;

/* The text-pipeline version the index records. It changes whenever the
 * pipeline (normalisation, tokens, shingles, short-document rule) changes
 * the signature of some text; an index built under another version is
 * refused with DP_EMISMATCH (rebuild it). */
#define DP_NORM_VERSION 1

/* Longest document id the index accepts, in bytes (LMDB's key limit). */
#define DP_INDEX_MAX_ID 511

/* Largest metadata text accepted per document, in bytes. */
#define DP_INDEX_MAX_META ((size_t)1 << 20)

/* Index properties (dp_index_params.flags), fixed at creation. */
enum {
    DP_INDEX_STORE_TEXT = 1u << 0, /* keep each document's original text
                                      (needed for passages) */
    DP_INDEX_NO_SETS = 1u << 1     /* do not keep shingle sets: scores are
                                      MinHash estimates only (smaller
                                      index; dedup's DP_VERIFY_ESTIMATE) */
};

/*
 * The parameters an index is built with; recorded in it at creation and
 * checked on every open. When creating, a 0 field takes the default
 * given; when opening an existing index, a 0 field means "whatever the
 * index has" and a nonzero one must equal the recorded value, else
 * DP_EMISMATCH. flags are only read when creating.
 */
typedef struct dp_index_params {
    unsigned shingle_k;    /* words per shingle; 5 */
    unsigned perms;        /* MinHash signature length, 1..1024; 128 */
    double threshold;      /* Jaccard threshold the banding is tuned to, and
                              the default query/dedup threshold; 0.8 */
    unsigned bands, rows;  /* LSH banding; 0 and 0: dedup's recall-first
                              choice for the threshold (18 x 7 at 0.8) */
    unsigned flags;        /* DP_INDEX_STORE_TEXT, DP_INDEX_NO_SETS; 0 */
    unsigned norm_version; /* out only: DP_NORM_VERSION of the index */
} dp_index_params;

/* dp_index_params_init - all fields 0 (defaults / "any"). Cannot fail. */
DP_API void dp_index_params_init(dp_index_params *p);

/* How to open (dp_index_opts.flags). */
enum {
    DP_INDEX_CREATE = 1u << 0, /* create the index when it does not exist
                                  (a new directory, or an empty one) */
    DP_INDEX_EXCL = 1u << 1,   /* with CREATE: fail with DP_EEXIST when
                                  an index is already there */
    DP_INDEX_RDONLY = 1u << 2  /* read-only: writes fail with DP_EACCES;
                                  works on a read-only directory */
};

typedef struct dp_index_opts {
    unsigned flags;       /* DP_INDEX_* open flags; 0 */
    size_t map_size;      /* initial map size in bytes; 0 = 64 MiB (or the
                             existing file's size when larger) */
    size_t map_max;       /* never grow the map past this; 0 = no limit */
    unsigned max_readers; /* concurrent read transactions; 0 = 126 */
} dp_index_opts;

/* dp_index_opts_init - all fields 0 (the defaults). Cannot fail. */
DP_API void dp_index_opts_init(dp_index_opts *o);

/*
 * dp_index_open - open (or create) the index at directory @path.
 * @opts:    open options, or NULL (open an existing index read-write).
 * @params:  with DP_INDEX_CREATE and no index there: the parameters of
 *           the new index (NULL: defaults). Opening an existing index: the
 *           parameters it must have (NULL or zero fields: any).
 * @out:     OUT: the handle; close with dp_index_close(). NULL on failure.
 * @err:     optional detail ("index built with shingle_k 5, not 4").
 * @return DP_OK; DP_ENOENT (no index there and no DP_INDEX_CREATE);
 *         DP_EEXIST (CREATE|EXCL and an index exists); DP_EMISMATCH
 *         (parameters or DP_NORM_VERSION differ); DP_ECORRUPT (the path
 *         holds something that is not a doppel index, or a bad record);
 *         DP_EACCES; DP_EINVAL (bad parameter: k 0 or > 64, perms 0 or
 *         > 1024, threshold outside (0, 1], bands*rows > perms); DP_EIO;
 *         DP_ENOMEM.
 * Cost: one LMDB open and a read of the parameters; do it once per
 * process and share the handle.
 */
DP_API dp_status dp_index_open(const char *path, const dp_index_opts *opts,
                               const dp_index_params *params, dp_index **out,
                               dp_error *err);

/*
 * dp_index_close - close the index. No other thread may be using the
 * handle. Committed data is already on disk; nothing is lost by closing
 * (or by not closing). Accepts NULL.
 */
DP_API void dp_index_close(dp_index *ix);

/* dp_index_params_get - the parameters the index was built with (all
 * fields filled, norm_version included). Cannot fail on a valid handle. */
DP_API void dp_index_params_get(const dp_index *ix, dp_index_params *out);

/* One document handed to dp_index_add(); pointers borrowed for the call. */
typedef struct dp_index_doc {
    const char *id; /* 1..DP_INDEX_MAX_ID bytes, no NUL inside */
    size_t id_len;
    const char *text; /* the text, @text_len bytes */
    size_t text_len;
    const char *meta; /* optional metadata: a JSON object, as text (it is
                         validated and stored as given); NULL for none */
    size_t meta_len;
} dp_index_doc;

/* What dp_index_add() should do about near-duplicates (streaming dedup). */
typedef enum dp_index_dedup_mode {
    DP_INDEX_DEDUP_OFF = 0,    /* just add */
    DP_INDEX_DEDUP_REPORT = 1, /* add, and report for each document its
                                  best match among the documents indexed
                                  before it (earlier documents of the same
                                  batch included; its own id excluded) */
    DP_INDEX_DEDUP_SKIP = 2    /* as REPORT, but a duplicate is not added */
} dp_index_dedup_mode;

typedef struct dp_index_add_opts {
    dp_index_dedup_mode dedup; /* DP_INDEX_DEDUP_OFF */
    double threshold;          /* duplicate when score >= this; 0 = the
                                  index's threshold */
    unsigned threads;          /* threads computing signatures; 0 = all
                                  online cores; 1 = the caller's only */
    dp_text_opts text;         /* UTF-8 mode etc. (dp_text_opts_init) */
} dp_index_add_opts;

/* dp_index_add_opts_init - fill *o with the defaults above. */
DP_API void dp_index_add_opts_init(dp_index_add_opts *o);

/* The outcome for one document of a dp_index_add() batch. */
typedef struct dp_index_add_result {
    dp_status status;   /* DP_OK: added (or skipped as a duplicate, see
                           below). Per-document refusals, the document
                           not added and the rest of the batch going on:
                           DP_EEMPTY (no words), DP_EUTF8, DP_EBINARY,
                           DP_ETOOBIG (text over DP_MAX_DOC_BYTES, id
                           over DP_INDEX_MAX_ID, meta over
                           DP_INDEX_MAX_META), DP_EINVAL (empty id, or
                           a NUL inside), DP_EJSON (meta is not a JSON
                           object) */
    int replaced;       /* 1: the id was indexed before (in an earlier
                           transaction or earlier in this batch); that
                           version and its band keys were removed */
    int duplicate;      /* with dedup: 1 when dup_id scores at or above
                           the threshold */
    int skipped;        /* 1: DP_INDEX_DEDUP_SKIP left it out */
    const char *dup_id; /* with dedup: the best-scoring earlier document
                           (highest score, ties: earliest indexed), or
                           NULL when no candidate shares a band;
                           NUL-terminated */
    size_t dup_id_len;
    double dup_score; /* its score (see dp_index_hit.score); 0 when
                         dup_id is NULL */
} dp_index_add_result;

/*
 * dp_index_add - add (or replace) @n documents in ONE transaction: after
 * a crash either all of them are in the index or none.
 * @docs:     @n documents; an id already indexed is replaced (its old band
 *            keys removed); an id repeated inside the batch: the last one
 *            wins, as if added one after the other.
 * @opts:     options, or NULL for the defaults.
 * @results:  OUT, optional: a malloc'd array of @n results (free it with
 *            dp_free(); dup_id strings live inside that same block). NULL
 *            when the call fails.
 * @err:      optional detail on failure.
 * @return DP_OK (the batch committed, even if some documents were refused:
 *         see the results); DP_EACCES (read-only handle); DP_EFULL (the map
 *         reached map_max; nothing of the batch was written); DP_ETOOBIG
 *         (the batch is too large for one LMDB transaction: split it);
 *         DP_ESTEM (unknown language in @opts->text); DP_EIO (LMDB or
 *         disk error; nothing written); DP_ENOMEM (nothing written: the
 *         results are built before the transaction commits, so a call
 *         that committed always returns DP_OK); DP_EINVAL.
 * Thread safety: serialised with other writers; readers go on meanwhile
 * and see the batch only after it commits. Cost: the text pipeline (on
 * @opts->threads threads) plus about bands + 3 B-tree writes per document
 * and one fsync per call, so batches of ~1000 are much faster than single
 * documents.
 */
DP_API dp_status dp_index_add(dp_index *ix, const dp_index_doc *docs, size_t n,
                              const dp_index_add_opts *opts,
                              dp_index_add_result **results, dp_error *err);

/*
 * dp_index_remove - remove the document @id (and its band keys, shingle
 * set and text) in one transaction.
 * @return DP_OK; DP_ENOTFOUND (no such id; nothing changes); DP_EACCES;
 *         DP_EIO; DP_EINVAL.
 */
DP_API dp_status dp_index_remove(dp_index *ix, const char *id, size_t id_len,
                                 dp_error *err);

/* One stored document, as dp_index_get() returns it. */
typedef struct dp_index_entry {
    const char *id; /* NUL-terminated */
    size_t id_len;
    const char *meta; /* the metadata JSON text, NUL-terminated, or
                         NULL when the document has none */
    size_t meta_len;
    const char *text; /* the original text, NUL-terminated, when the
                         index stores text and it was asked for;
                         else NULL */
    size_t text_len;
    uint32_t words; /* word count */
    uint64_t seq;   /* the order it was (last) added in: larger is
                       later; unique within the index */
} dp_index_entry;

/*
 * dp_index_get - fetch one document by id.
 * @with_text: nonzero to copy the stored text too (if the index has it).
 * @out:       OUT: a malloc'd entry (one block, strings inside it); free
 *             with dp_free(). NULL on failure.
 * @return DP_OK; DP_ENOTFOUND; DP_ECORRUPT (its record is malformed);
 *         DP_EIO; DP_ENOMEM; DP_EINVAL.
 */
DP_API dp_status dp_index_get(dp_index *ix, const char *id, size_t id_len,
                              int with_text, dp_index_entry **out,
                              dp_error *err);

typedef struct dp_index_query_opts {
    double threshold;  /* report hits scoring at least this; 0 = the
                          index's threshold. Below it, recall drops: only
                          documents sharing a band key are scored */
    size_t limit;      /* at most this many hits (the best); 0 = all */
    size_t max_bucket; /* documents read per band key (a huge bucket is
                          boilerplate repeated thousands of times); the
                          earliest indexed are read; 0 = 10000 */
    int include_self;  /* query by id: 1 lists the document itself (score
                          1); default 0 leaves it out */
    dp_text_opts text; /* for query by text (dp_text_opts_init) */
} dp_index_query_opts;

/* dp_index_query_opts_init - fill *o with the defaults above. */
DP_API void dp_index_query_opts_init(dp_index_query_opts *o);

/* One query answer. */
typedef struct dp_index_hit {
    const char *id; /* NUL-terminated */
    size_t id_len;
    double score;    /* the similarity: exact Jaccard of the two
                        shingle sets, or, in a DP_INDEX_NO_SETS index,
                        the MinHash estimate (as dedup's verification
                        under DP_VERIFY_EXACT / DP_VERIFY_ESTIMATE) */
    double estimate; /* the MinHash estimate, always */
    uint32_t words;  /* the hit's word count */
    uint64_t seq;    /* as dp_index_entry.seq */
} dp_index_hit;

/*
 * dp_index_query_text - the indexed documents similar to a text.
 * @text, @len:  the query document (same pipeline as indexing).
 * @opts:        options, or NULL for the defaults.
 * @hits:        OUT: malloc'd array, best first (score descending, then
 *               seq ascending), ids inside the same block; free with
 *               dp_free(). NULL when *nhits is 0.
 * @nhits:       OUT: the number of hits.
 * @return DP_OK (possibly zero hits); DP_EEMPTY (no words); DP_EUTF8,
 *         DP_EBINARY, DP_ETOOBIG (the text); DP_EIO; DP_ENOMEM; DP_EINVAL.
 * Thread safety: any number of threads at once, alongside a writer.
 * Cost: the text pipeline, then one read transaction: bands lookups and
 * one record (plus shingle set) read per candidate.
 */
DP_API dp_status dp_index_query_text(dp_index *ix, const char *text, size_t len,
                                     const dp_index_query_opts *opts,
                                     dp_index_hit **hits, size_t *nhits,
                                     dp_error *err);

/*
 * dp_index_query_id - as dp_index_query_text() for a document already in
 * the index (its stored signature and shingle set are used; no text
 * needed). @return as above, plus DP_ENOTFOUND for an unknown id.
 */
DP_API dp_status dp_index_query_id(dp_index *ix, const char *id, size_t id_len,
                                   const dp_index_query_opts *opts,
                                   dp_index_hit **hits, size_t *nhits,
                                   dp_error *err);

/*
 * dp_index_each - call @fn for every document in seq order (oldest
 * first), inside one read transaction (a consistent snapshot). @id and
 * @meta (NULL when absent) are NOT NUL-terminated (use the lengths) and
 * are valid only during the call. A nonzero
 * return from @fn stops the walk and is returned as the status.
 * @return DP_OK, @fn's nonzero value, DP_ECORRUPT, DP_EIO, DP_EINVAL.
 */
DP_API dp_status dp_index_each(dp_index *ix,
                               int (*fn)(void *ctx, const char *id,
                                         size_t id_len, const char *meta,
                                         size_t meta_len, uint32_t words,
                                         uint64_t seq),
                               void *ctx, dp_error *err);

typedef struct dp_index_stats {
    uint64_t docs;         /* documents */
    uint64_t band_entries; /* (band key, document) pairs */
    uint64_t texts;        /* documents with stored text */
    uint64_t next_seq;     /* the seq the next added document gets */
    uint64_t txn_id;       /* LMDB's last committed transaction id */
    size_t file_bytes;     /* size of data.mdb on disk */
    size_t used_bytes;     /* the file's extent in pages (last page *
                              page size): data plus free pages that
                              later writes reuse */
    size_t map_size;       /* this handle's current map size */
    unsigned readers;      /* reader slots in use (all processes) */
    unsigned max_readers;
    dp_index_params params; /* as dp_index_params_get() */
    size_t data_bytes;      /* pages holding the tables' live data (B-tree
                               and overflow pages), without free pages */
} dp_index_stats;

/* dp_index_stats_get - the figures above (one read transaction).
 * @return DP_OK, DP_EIO, DP_EINVAL. */
DP_API dp_status dp_index_stats_get(dp_index *ix, dp_index_stats *out,
                                    dp_error *err);

/*
 * dp_index_check - verify the whole index in one read transaction: every
 * record decodes, ids and records correspond one to one, every
 * document's band keys (recomputed from its signature) are present, no
 * band entry points to a missing document or holds a key the document
 * does not have, shingle sets and texts belong to existing documents, seq
 * numbers are below next_seq; with stored texts, each text gives again the
 * stored signature, word count and shingle set. Cost: a full scan (plus
 * the text pipeline per document when texts are stored).
 * @return DP_OK (consistent); DP_ECORRUPT with the first fault in @err;
 *         DP_EIO; DP_ENOMEM; DP_EINVAL.
 */
DP_API dp_status dp_index_check(dp_index *ix, dp_error *err);

/*
 * dp_index_compact - rewrite the index without free pages (LMDB's
 * compacting copy into DIR/data.mdb.compact, fsync, then an atomic rename
 * over data.mdb) and reopen it. A crash at any moment leaves either the
 * old or the new file, both complete.
 * Needs exclusive use: no other thread may use @ix during the call, and no
 * other handle (in any process) may have the index open: then DP_EBUSY and
 * nothing changes. @return DP_OK, DP_EBUSY, DP_EACCES (read-only), DP_EIO,
 * DP_ENOMEM. On a DP_EIO after the rename the handle is closed
 * internally and further calls return DP_EIO.
 */
DP_API dp_status dp_index_compact(dp_index *ix, dp_error *err);

/*
 * The index as JSON: one writer of each object for every program that
 * prints it (`doppel index create|query|stats --json` and `doppel serve`
 * print exactly these objects; shapes in docs/index.md, "JSON"). Each
 * writes compact JSON text, keys in the order shown, reals with 17
 * significant digits (they parse back to the same double; re-dump to show
 * fewer), without a trailing newline.
 * @out:   OUT: malloc'd NUL-terminated text; free it with dp_free(). NULL
 *         on failure.
 * @len:   OUT (may be NULL): its length.
 * @return DP_OK, DP_EINVAL (NULL argument), DP_ENOMEM (nothing partial is
 *         returned). Thread-safe; reads only its arguments.
 */

/* dp_index_params_json - {"shingle_k", "perms", "threshold", "bands",
 * "rows", "store_text", "shingle_sets", "norm_version"}. */
DP_API dp_status dp_index_params_json(const dp_index_params *p, char **out,
                                      size_t *len);

/* dp_index_hits_json - the @n hits of a query, best first as given:
 * [{"id", "score", "estimate", "words"}, ...]; an id that is not valid
 * UTF-8 is written with U+FFFD for each invalid run. */
DP_API dp_status dp_index_hits_json(const dp_index_hit *hits, size_t n,
                                    char **out, size_t *len);

/* dp_index_stats_json - {"docs", "band_entries", "texts", "next_seq",
 * "txn_id", "file_bytes", "used_bytes", "data_bytes", "map_size",
 * "bytes_per_doc", "readers", "max_readers", "params": (as
 * dp_index_params_json)}. */
DP_API dp_status dp_index_stats_json(const dp_index_stats *s, char **out,
                                     size_t *len);

/* ----------------------------------------------- end of persistent index */

/* ---------------------------------------------------------------------
 * HTTP server
 *
 * dp_server serves an index over HTTP/JSON (the API of `doppel serve`,
 * documented with examples in docs/api.md): POST /documents, GET and
 * DELETE /documents/{id}, POST /query, POST /compare, GET /stats and
 * GET /health. Every answer, errors included, is a JSON object built with
 * jansson; errors are {"error": {"status": N, "message": "..."}}.
 *
 * It runs on libmicrohttpd: an internal thread pool (opts.threads
 * workers, each with its own epoll set) accepts, reads and answers; the
 * endpoints run on those workers and share the index handle (which is
 * thread-safe). The HTTP layer itself (routing, parsing, limits, the
 * access log) is internal to the library; only this section is exported,
 * so the doppel CLI serves through it like any other program would.
 *
 * Limits: a request body over opts.max_body is refused with 413 before
 * it is read when it declares its length, and dropped as it arrives (never
 * buffered past the limit) when it is chunked; all bodies buffered at once
 * are capped at max(2 x max_body, 256 MiB) (503 past it); headers are
 * capped by libmicrohttpd (32 KiB per connection); idle connections close
 * after opts.timeout seconds.
 * ------------------------------------------------------------------- */

typedef struct dp_server dp_server;

typedef struct dp_server_opts {
    const char *bind;         /* address or host name to listen on (IPv4 or
                                 IPv6); "127.0.0.1": loopback only */
    unsigned port;            /* TCP port; 8080. 0 picks a free port: see
                                 dp_server_port() */
    unsigned threads;         /* worker threads; 0 = online cores */
    size_t max_body;          /* largest request body, bytes; 16 MiB; at most
                                 DP_MAX_DOC_BYTES */
    FILE *log;                /* access log: one line per request (time,
                                 client, method, target, status, bytes,
                                 microseconds; see docs/api.md), written with
                                 one write(2) per line; NULL = none. Must stay
                                 open until dp_server_stop() returns */
    unsigned timeout;         /* seconds before an idle connection is closed;
                                 30; 0 = never */
    unsigned max_connections; /* open connections at once; 1024 */
    double drain_seconds;     /* how long dp_server_stop() waits for requests
                                 in flight; 30 */
    int read_only;            /* nonzero: POST /documents and DELETE answer 403
                                 (for an index opened DP_INDEX_RDONLY); 0 */
    const char *id_field;     /* POST /documents: the field holding the id;
                                 NULL = "id" (borrowed until
                                 dp_server_stop()) */
    const char *text_field;   /* ... and the text; NULL = "text" */
    dp_utf8_mode utf8;        /* invalid UTF-8 in POST /documents bodies, as
                                 dp_reader_opts.utf8; DP_UTF8_REJECT */
} dp_server_opts;

/* dp_server_opts_init - fill *o with the defaults above. Cannot fail. */
DP_API void dp_server_opts_init(dp_server_opts *o);

/*
 * dp_server_start - listen on opts->bind:opts->port and serve @ix from
 * worker threads until dp_server_stop(). Returns once the socket listens.
 * @ix:    the index, borrowed: it must stay open until dp_server_stop()
 *         returns. NULL serves without one (/health and /compare work,
 *         the index endpoints answer 503).
 * @opts:  options, or NULL for the defaults (copied; opts->log borrowed).
 * @out:   OUT: the server; stop and free it with dp_server_stop().
 * @err:   optional detail ("cannot listen on 127.0.0.1 port 8080:
 *         Address already in use").
 * @return DP_OK; DP_EINVAL (bad option or bind address); DP_EACCES (a
 *         privileged port); DP_EIO (the socket or daemon failed);
 *         DP_ENOMEM.
 * Signals: the server installs no handlers; block SIGTERM/SIGINT in the
 * calling thread before starting (the workers inherit the mask) and wait
 * for them with sigwait(), as `doppel serve` does. SIGPIPE is not raised
 * by the server's sockets.
 */
DP_API dp_status dp_server_start(dp_index *ix, const dp_server_opts *opts,
                                 dp_server **out, dp_error *err);

/* dp_server_port - the port the server listens on (the one picked when
 * opts.port was 0); 0 for NULL. */
DP_API unsigned dp_server_port(const dp_server *s);

/*
 * dp_server_stop - stop gracefully and free: stop accepting connections,
 * answer every request whose headers have arrived (responses from then on
 * carry "Connection: close"; an upload that stalls for a second is not
 * waited for), wait up to opts.drain_seconds for them, then stop the
 * workers and close every connection. The index is not closed (it is the
 * caller's). Accepts NULL. Not to be called from a request.
 */
DP_API void dp_server_stop(dp_server *s);

/* -------------------------------------------------- end of HTTP server */

#ifdef __cplusplus
}
#endif
#endif /* DOPPEL_H */
