/*
 * fuzz_doc.c - libFuzzer target for the text pipeline (UTF-8 validation,
 * normalisation, tokens, sentences, shingles) through dp_doc_create().
 *
 * Beyond "no crash", it checks the invariants every later stage relies on:
 * token and sentence spans lie inside the input, are ordered and do not
 * overlap; every token belongs to exactly one sentence; the normalised to
 * original offset map is monotone; shingle counts match the word count.
 */
#include <stdlib.h>
#include <string.h>

#include "doppel.h"

#define INVARIANT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static void check_doc(const dp_doc *d, size_t len)
{
    size_t i, nw = dp_doc_words(d), ns = dp_doc_sentences(d), prev_end = 0;
    size_t next_tok = 0, nlen, prev_off = 0;
    uint64_t *sh = NULL;
    size_t nsh = 0;

    for (i = 0; i < nw; i++) {
        dp_token t;
        INVARIANT(dp_doc_token(d, i, &t) == DP_OK);
        INVARIANT(t.span.start < t.span.end && t.span.end <= len);
        INVARIANT(t.span.start >= prev_end);
        prev_end = t.span.end;
    }
    prev_end = 0;
    for (i = 0; i < ns; i++) {
        dp_span s;
        size_t tb, te;
        INVARIANT(dp_doc_sentence(d, i, &s, &tb, &te) == DP_OK);
        INVARIANT(s.start < s.end && s.end <= len && s.start >= prev_end);
        INVARIANT(tb == next_tok && te > tb && te <= nw);
        next_tok = te;
        prev_end = s.end;
    }
    INVARIANT(next_tok == nw);
    dp_doc_normalised(d, &nlen);
    for (i = 0; i <= nlen; i++) {
        size_t o = dp_doc_orig_offset(d, i);
        INVARIANT(o >= prev_off && o <= len);
        prev_off = o;
    }
    INVARIANT(dp_doc_orig_offset(d, nlen) == len);
    INVARIANT(dp_doc_shingles(d, 3, &sh, &nsh) == DP_OK);
    INVARIANT(nsh == (nw >= 3 ? nw - 2 : 0));
    dp_free(sh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_text_opts o;
    dp_doc *d = NULL;
    dp_error err;
    dp_status rc;

    dp_text_opts_init(&o);
    rc = dp_doc_create((const char *)data, size, &o, &d, &err);
    if (rc == DP_OK) {
        check_doc(d, size);
        dp_doc_free(d);
    } else {
        INVARIANT(d == NULL);
        INVARIANT(rc == DP_EUTF8 || rc == DP_EBINARY);
        INVARIANT(err.offset < size);
    }
    o.utf8 = DP_UTF8_REPLACE;
    o.allow_binary = 1;
    rc = dp_doc_create((const char *)data, size, &o, &d, NULL);
    INVARIANT(rc == DP_OK);
    check_doc(d, size);
    dp_doc_free(d);
    return 0;
}
