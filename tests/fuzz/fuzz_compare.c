/*
 * fuzz_compare.c - libFuzzer target for alignment, scores, the story diff
 * and the JSON writer: the input is split at its first 0xFF byte (or in
 * half) into two documents, read with invalid UTF-8 replaced.
 *
 * Checks: scores lie in [0, 1]; passages lie inside both texts; each
 * sentence's partner indexes the other side; the JSON output parses back
 * as one object (via the replay of its first and last byte: '{' and '}').
 */
#include <stdlib.h>
#include <string.h>

#include "doppel.h"

#define INVARIANT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static int in01(double x)
{
    return x >= 0.0 && x <= 1.0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_text_opts o;
    dp_compare_opts co;
    dp_doc *a = NULL, *b = NULL;
    dp_comparison *c = NULL;
    const uint8_t *cut = memchr(data, 0xFF, size);
    size_t la = cut ? (size_t)(cut - data) : size / 2;
    size_t lb = size - la - (cut ? 1 : 0), i, la2, lb2;
    const dp_scores *s;
    char *json = NULL;
    size_t jlen = 0;
    int side;

    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    o.allow_binary = 1;
    dp_compare_opts_init(&co);
    co.min_words = 2 + (size % 7);
    co.max_gap = size % 5;
    INVARIANT(dp_doc_create((const char *)data, la, &o, &a, NULL) == DP_OK);
    INVARIANT(dp_doc_create((const char *)data + size - lb, lb, &o, &b, NULL) ==
              DP_OK);
    INVARIANT(dp_compare(a, b, &co, &c) == DP_OK);
    s = dp_comparison_scores(c);
    INVARIANT(in01(s->jaccard) && in01(s->containment_a_in_b) &&
              in01(s->containment_b_in_a) && in01(s->same_story));
    dp_doc_text(a, &la2);
    dp_doc_text(b, &lb2);
    for (i = 0; i < dp_comparison_passages(c); i++) {
        const dp_passage *p = dp_comparison_passage(c, i);
        INVARIANT(p->a.start < p->a.end && p->a.end <= la2);
        INVARIANT(p->b.start < p->b.end && p->b.end <= lb2);
    }
    for (side = 0; side < 2; side++) {
        size_t n = dp_doc_sentences(side ? b : a);
        size_t nother = dp_doc_sentences(side ? a : b);
        for (i = 0; i < n; i++) {
            const dp_sentence_diff *sd = dp_comparison_sentence(c, side, i);
            INVARIANT(sd != NULL);
            INVARIANT(sd->partner >= -1 && sd->partner < (long)nother);
            INVARIANT(in01(sd->similarity));
        }
        INVARIANT(dp_comparison_sentence(c, side, n) == NULL);
    }
    INVARIANT(dp_comparison_json(c, "a", "b", &json, &jlen) == DP_OK);
    INVARIANT(jlen >= 2 && json[0] == '{' && json[jlen - 1] == '}');
    INVARIANT(strlen(json) == jlen);
    dp_free(json);
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
    return 0;
}
