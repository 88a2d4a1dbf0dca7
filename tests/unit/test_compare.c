/*
 * test_compare.c - the public comparison API (src/story/compare.c):
 * defaults, argument errors, accessors and their ranges, the order of
 * passages, empty documents, and speed on two 100,000-word documents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "doppel.h"

static dp_doc *mkdoc(const char *text)
{
    dp_doc *d = NULL;
    if (dp_doc_create(text, strlen(text), NULL, &d, NULL) != DP_OK)
        return NULL;
    return d;
}

TEST(compare_opts_defaults)
{
    dp_compare_opts o;
    memset(&o, 0xAB, sizeof o);
    dp_compare_opts_init(&o);
    CHECK_EQ(o.shingle_k, 5);
    CHECK_EQ(o.min_words, 8);
    CHECK_EQ(o.max_gap, 4);
    CHECK_NEAR(o.rewrite_min, 0.3, 1e-12);
}

TEST(compare_invalid_arguments)
{
    dp_doc *a = mkdoc("One two three four.");
    dp_comparison *c = (dp_comparison *)&c; /* must be reset to NULL */
    dp_compare_opts o;
    REQUIRE(a);
    CHECK_EQ(dp_compare(NULL, a, NULL, &c), DP_EINVAL);
    CHECK(c == NULL);
    CHECK_EQ(dp_compare(a, NULL, NULL, &c), DP_EINVAL);
    CHECK_EQ(dp_compare(a, a, NULL, NULL), DP_EINVAL);
    dp_compare_opts_init(&o);
    o.rewrite_min = 1.5;
    CHECK_EQ(dp_compare(a, a, &o, &c), DP_EINVAL);
    o.rewrite_min = -0.1;
    CHECK_EQ(dp_compare(a, a, &o, &c), DP_EINVAL);
    CHECK(c == NULL);
    dp_comparison_free(NULL); /* accepts NULL */
    dp_doc_free(a);
}

TEST(compare_accessors_and_ranges)
{
    const char *ta = "The river burst its banks overnight near the old mill "
                     "and flooded twenty homes. Firefighters rescued a family "
                     "of four from a roof at dawn.";
    const char *tb = "Firefighters rescued a family of four from a roof at "
                     "dawn. The river burst its banks overnight near the old "
                     "mill and flooded twenty homes. Schools stay closed.";
    dp_doc *a = mkdoc(ta), *b = mkdoc(tb);
    dp_comparison *c = NULL;
    size_t i, n;
    REQUIRE(a && b);
    REQUIRE(dp_compare(a, b, NULL, &c) == DP_OK);
    n = dp_comparison_passages(c);
    CHECK(n >= 2); /* both sentences, found in swapped order */
    for (i = 0; i < n; i++) {
        const dp_passage *p = dp_comparison_passage(c, i);
        REQUIRE(p);
        CHECK(p->words >= 8);
        CHECK(p->a.end <= strlen(ta) && p->b.end <= strlen(tb));
        if (i)
            CHECK(dp_comparison_passage(c, i - 1)->a.start <= p->a.start);
    }
    CHECK(dp_comparison_passage(c, n) == NULL);
    CHECK(dp_comparison_sentence(c, 0, dp_doc_sentences(a)) == NULL);
    CHECK(dp_comparison_sentence(c, 1, dp_doc_sentences(b)) == NULL);
    CHECK(dp_comparison_sentence(c, 2, 0) == NULL);
    CHECK(dp_comparison_sentence(c, -1, 0) == NULL);
    CHECK(dp_comparison_sentence(NULL, 0, 0) == NULL);
    CHECK(dp_comparison_passage(NULL, 0) == NULL);
    REQUIRE(dp_doc_sentences(a) == 2 && dp_doc_sentences(b) == 3);
    CHECK_EQ(dp_comparison_sentence(c, 0, 0)->partner, 1);
    CHECK_EQ(dp_comparison_sentence(c, 0, 1)->partner, 0);
    CHECK_EQ(dp_comparison_sentence(c, 1, 2)->status, DP_SENT_UNIQUE);
    {
        const dp_scores *s = dp_comparison_scores(c);
        CHECK(s->jaccard > 0.5 && s->jaccard < 1.0);
        CHECK(s->containment_a_in_b >
              0.8); /* all but the 4 shingles across the sentence joint */
        CHECK(s->same_story > 0.9);
    }
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
}

TEST(compare_options_change_the_passages)
{
    const char *ta = "alpha bravo charlie delta echo foxtrot golf hotel india";
    const char *tb = "zulu alpha bravo charlie delta echo foxtrot yankee";
    dp_doc *a = mkdoc(ta), *b = mkdoc(tb);
    dp_comparison *c = NULL;
    dp_compare_opts o;
    REQUIRE(a && b);
    dp_compare_opts_init(&o);
    REQUIRE(dp_compare(a, b, &o, &c) == DP_OK);
    CHECK_EQ(dp_comparison_passages(c), 0); /* 6 words < 8 */
    dp_comparison_free(c);
    o.min_words = 4;
    o.shingle_k = 3;
    REQUIRE(dp_compare(a, b, &o, &c) == DP_OK);
    REQUIRE(dp_comparison_passages(c) == 1);
    CHECK_EQ(dp_comparison_passage(c, 0)->words, 6);
    /* k = 3: A has 7 shingles, B 6, sharing 4 */
    CHECK_NEAR(dp_comparison_scores(c)->containment_a_in_b, 4.0 / 7.0, 1e-12);
    CHECK_NEAR(dp_comparison_scores(c)->containment_b_in_a, 4.0 / 6.0, 1e-12);
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
}

TEST(compare_empty_documents)
{
    dp_doc *a = mkdoc(""), *b = mkdoc("Some words here.");
    dp_comparison *c = NULL;
    REQUIRE(a && b);
    REQUIRE(dp_compare(a, b, NULL, &c) == DP_OK);
    CHECK_EQ(dp_comparison_passages(c), 0);
    CHECK(dp_comparison_sentence(c, 0, 0) == NULL);
    CHECK(dp_comparison_sentence(c, 1, 0) != NULL);
    CHECK_EQ(dp_comparison_sentence(c, 1, 0)->status, DP_SENT_UNIQUE);
    CHECK(dp_comparison_scores(c)->same_story == 0.0);
    dp_comparison_free(c);
    REQUIRE(dp_compare(a, a, NULL, &c) == DP_OK);
    CHECK(dp_comparison_scores(c)->jaccard == 0.0);
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
}

/* ---- speed --------------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Append a sentence of 8..27 words from a 5,000-word vocabulary (with a
 * Zipf-like skew, capitals and numbers) to @buf at *@n. */
static void sentence(char *buf, size_t *n)
{
    static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "sa",
                                "ti", "vo", "pe", "da", "gu", "fe"};
    size_t words = 8 + rng() % 20, w;
    for (w = 0; w < words; w++) {
        uint64_t r = rng() % 5000, k;
        if (rng() % 3 == 0)
            r %= 50; /* frequent words */
        if (w)
            buf[(*n)++] = ' ';
        if (rng() % 40 == 0) {
            *n += (size_t)sprintf(buf + *n, "%u", (unsigned)(rng() % 10000));
            continue;
        }
        for (k = 0; k < 3; k++) {
            const char *s = syl[(r >> (k * 4)) % 12];
            buf[(*n)++] = (char)(k == 0 && rng() % 10 == 0 ? s[0] - 32 : s[0]);
            buf[(*n)++] = s[1];
        }
    }
    buf[(*n)++] = '.';
    buf[(*n)++] = ' ';
}

TEST(compare_two_100k_word_documents_fast)
{
    /* B: a third of A's sentences (some in a new order), a third of them
     * lightly edited, and new sentences. */
    size_t cap = 2000000, na = 0, nb = 0, i;
    char *a = malloc(cap), *b = malloc(cap);
    size_t *starts = malloc(sizeof *starts * 12000);
    size_t ns = 0, words;
    dp_doc *da = NULL, *db = NULL;
    dp_comparison *c = NULL;
    clock_t t0;
    double secs;
    REQUIRE(a && b && starts);
    while (na < 700000) {
        starts[ns++] = na;
        sentence(a, &na);
    }
    starts[ns] = na;
    for (i = 0; i < ns && nb < 700000; i++) {
        size_t pick = (i % 3 == 0) ? (i * 7919) % ns : ns;
        if (pick < ns) {
            size_t len = starts[pick + 1] - starts[pick];
            memcpy(b + nb, a + starts[pick], len);
            if (i % 9 == 0 && len > 20)
                b[nb + len / 2] = 'z'; /* an edited word */
            nb += len;
        } else {
            sentence(b, &nb);
        }
    }
    REQUIRE(dp_doc_create(a, na, NULL, &da, NULL) == DP_OK);
    REQUIRE(dp_doc_create(b, nb, NULL, &db, NULL) == DP_OK);
    words = dp_doc_words(da);
    CHECK(words >= 90000);
    t0 = clock();
    REQUIRE(dp_compare(da, db, NULL, &c) == DP_OK);
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(dp_comparison_passages(c) > 100);
    CHECK(dp_comparison_scores(c)->containment_b_in_a > 0.2);
    /* well under a second in an optimised build; sanitizer builds run
     * several times slower, so the bound here is generous */
    CHECK(secs < 5.0);
    if (getenv("DOPPEL_TEST_VERBOSE"))
        printf("     compare of %zu + %zu words: %.3f s\n", words,
               dp_doc_words(db), secs);
    dp_comparison_free(c);
    dp_doc_free(da);
    dp_doc_free(db);
    free(a);
    free(b);
    free(starts);
}
