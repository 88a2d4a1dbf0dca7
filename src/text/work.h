/*
 * work.h - the per-thread work context (dp_work) of the text pipeline and
 * the sketch path.
 *
 * One dp_work belongs to one thread at a time and carries everything that
 * thread reuses from one document to the next:
 *
 *   stem    the Snowball stemmer of the language last asked for, with its
 *           cache of stems (opening one costs more than stemming a short
 *           text, and the cache is what makes stemming cheap);
 *   norm    the normaliser's segment buffers and code-point cache;
 *   doc     a scratch document for the token-only pass: the original text
 *           is borrowed, and the normalised text, offset map and token
 *           arrays keep their capacity, so that pass allocates nothing in
 *           steady state (reset = lengths to zero);
 *   hashes, shingles
 *           the sketch path's arrays (token hashes, shingle hashes).
 *
 * The arrays grow to the largest document the thread has seen and are
 * kept until dp_work_free(): the flat-array equivalent of an arena reset
 * per document. Stages whose size is unknown in advance grow their own
 * array in place, which a bump arena could not do without copying.
 */
#ifndef DP_TEXT_WORK_H
#define DP_TEXT_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"
#include "text/doc.h"
#include "text/text.h"

struct dp_work {
    dp_stemmer *stem;      /* or NULL until a full document is made */
    dp_norm_scratch *norm; /* or NULL until first use */
    struct dp_doc doc;     /* the token-only scratch document */
    uint64_t *hashes;      /* token hashes, hashes_cap entries */
    size_t hashes_cap;
    uint64_t *shingles; /* shingle hashes, shingles_cap entries */
    size_t shingles_cap;
};

/*
 * dpi_work_stemmer - the stemmer of @language in @w, opened (and the
 * previous one closed) when the language changes. Borrowed from @w.
 * @return DP_OK, DP_ESTEM, DP_ENOMEM.
 */
dp_status dpi_work_stemmer(dp_work *w, const char *language, dp_stemmer **out,
                           dp_error *err);

/*
 * dpi_work_tokens - the text pipeline up to the tokens, into @w's scratch
 * document: spans and hashes exactly those of dp_doc_create(), terms 0,
 * no DP_TOK_STOP, no sentences; the language is not looked at.
 * @out: OUT: the scratch document, borrowed from @w until the next call
 *       on @w; its orig points into @text (not copied).
 * @return the errors of dp_doc_create() except DP_ESTEM.
 */
dp_status dpi_work_tokens(dp_work *w, const char *text, size_t len,
                          const dp_text_opts *opts, const dp_doc **out,
                          dp_error *err);

#endif /* DP_TEXT_WORK_H */
