/*
 * doc.h - the internal layout of a dp_doc and the stages that fill it.
 *
 * A document is built once by dp_doc_create() or dp_doc_create_in()
 * (doc.c), which runs:
 *   utf8.c  validate or repair
 *   norm.c  NFKC + casefold + quote/dash unification, with an offset map
 *   tok.c   tokens with original and normalised spans
 *   stop.c / stem.c  content terms
 *   sent.c  sentence spans
 * Everything derived lives in flat arrays owned by the document.
 */
#ifndef DP_TEXT_DOC_H
#define DP_TEXT_DOC_H

#include <stdint.h>

#include "doppel.h"

/* One token. Spans are end-exclusive byte offsets. */
typedef struct dp_tok {
    uint32_t start, end;   /* in the original text */
    uint32_t nstart, nend; /* in the normalised text */
    uint64_t hash;         /* XXH3-64 of the normalised token bytes */
    uint64_t term;         /* XXH3-64 of the stem; 0 for stopwords */
    uint32_t flags;        /* DP_TOK_* bits from doppel.h */
    uint32_t xflags;       /* internal DP_TOKX_* bits (text/text.h) */
} dp_tok;

/* One sentence: its original byte span and its tokens [tok_begin, tok_end). */
typedef struct dp_sent {
    uint32_t start, end;
    uint32_t tok_begin, tok_end;
} dp_sent;

/*
 * A document. Every array belongs to the document; the capacities let a
 * work context's scratch document (work.h) keep its arrays from one text
 * to the next, so the token-only pass allocates nothing in steady state.
 */
struct dp_doc {
    const char *orig; /* the original bytes: orig_buf, or (scratch
                         document only) the caller's text, borrowed */
    char *orig_buf;   /* our NUL-terminated copy, or NULL */
    size_t orig_len;
    char *norm; /* normalised text, NUL-terminated */
    size_t norm_len, norm_cap;
    uint32_t *map; /* norm_len + 1 entries: original offset of each
                      normalised byte; map[norm_len] == orig_len */
    size_t map_cap;
    size_t replaced; /* invalid UTF-8 sequences replaced by U+FFFD */
    dp_tok *toks;
    size_t ntoks, toks_cap;
    dp_sent *sents;
    size_t nsents, sents_cap;
};

#endif /* DP_TEXT_DOC_H */
