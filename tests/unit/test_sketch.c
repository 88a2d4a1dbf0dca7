/* test_sketch.c - the sketch layer and the work context: a sketch equals
 * the pipeline run stage by stage, a reused work context gives the same
 * results as a fresh one, and dp_doc_create_in() the same documents as
 * dp_doc_create(). */
#include <stdlib.h>

#include "../test.h"
#include "doppel.h"
#include "sketch/minhash.h"
#include "sketch/shingle.h"
#include "sketch/sketch.h"
#include "text/work.h"

static const char *texts[] = {
    "The harbour authority said on Tuesday that the entrance channel would "
    "stay closed until divers had checked it for debris.",
    "Short one.",
    "",
    "Ünïcödé ﬁne “quotes” — and CJK 東京都 text, with numbers 1,234.5 too.",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h",
    "Another text, longer than the short one but shorter than the first, "
    "to make the scratch arrays shrink and grow between documents.",
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* The signature the old way: a full document, its shingles, MinHash. */
static dp_status reference(const dp_minhash *mh, unsigned k, const char *t,
                           uint32_t *sig, size_t *words)
{
    dp_doc *doc = NULL;
    uint64_t *h, sh;
    size_t n, i;
    dp_status rc = dp_doc_create(t, strlen(t), NULL, &doc, NULL);
    if (rc)
        return rc;
    n = dp_doc_words(doc);
    *words = n;
    if (n == 0) {
        dp_doc_free(doc);
        return DP_EEMPTY;
    }
    h = malloc(n * sizeof *h);
    for (i = 0; i < n; i++) {
        dp_token tok;
        dp_doc_token(doc, i, &tok);
        h[i] = tok.hash;
    }
    dp_doc_free(doc);
    if (n < k) {
        sh = dpi_minhash_short_shingle(h, n);
        rc = dpi_minhash_signature(mh, &sh, 1, sig);
    } else {
        uint64_t *s = malloc((n - k + 1) * sizeof *s);
        dpi_shingle_hash(h, n, k, s);
        rc = dpi_minhash_signature(mh, s, n - k + 1, sig);
        free(s);
    }
    free(h);
    return rc;
}

TEST(sketch_equals_stage_by_stage_and_work_reuse_is_invisible)
{
    dp_minhash *mh = NULL;
    dp_work *reused = NULL;
    uint32_t a[128], b[128], c[128], words;
    size_t i, round, refw;

    REQUIRE(dpi_minhash_create(NULL, &mh) == DP_OK);
    REQUIRE(dp_work_create(&reused) == DP_OK);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < NTEXTS; i++) {
            dp_work *fresh = NULL;
            const uint64_t *set;
            size_t nset;
            dp_status want = reference(mh, 5, texts[i], a, &refw);
            REQUIRE(dp_work_create(&fresh) == DP_OK);
            CHECK_EQ(dpi_sketch_doc(fresh, mh, 5, NULL, texts[i],
                                    strlen(texts[i]), b, &words, NULL, NULL,
                                    NULL),
                     want);
            CHECK_EQ(dpi_sketch_doc(reused, mh, 5, NULL, texts[i],
                                    strlen(texts[i]), c, &words, &set, &nset,
                                    NULL),
                     want);
            CHECK_EQ(words, refw);
            if (want == DP_OK) {
                size_t x;
                CHECK(memcmp(a, b, sizeof a) == 0);
                CHECK(memcmp(a, c, sizeof a) == 0);
                CHECK(nset >= 1);
                for (x = 1; x < nset; x++)
                    CHECK(set[x - 1] < set[x]);
            }
            dp_work_free(fresh);
        }
    }
    dp_work_free(reused);
    dpi_minhash_free(mh);
}

TEST(sketch_reports_utf8_errors_with_the_byte)
{
    dp_minhash *mh = NULL;
    dp_work *w = NULL;
    dp_error err;
    uint32_t sig[128], words;
    const char bad[] = "valid words then \xff bad";
    dp_text_opts o;

    REQUIRE(dpi_minhash_create(NULL, &mh) == DP_OK);
    REQUIRE(dp_work_create(&w) == DP_OK);
    memset(&err, 0, sizeof err);
    CHECK_EQ(dpi_sketch_doc(w, mh, 5, NULL, bad, sizeof bad - 1, sig, &words,
                            NULL, NULL, &err),
             DP_EUTF8);
    CHECK_EQ(err.offset, 17);
    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    CHECK_EQ(dpi_sketch_doc(w, mh, 5, &o, bad, sizeof bad - 1, sig, &words,
                            NULL, NULL, NULL),
             DP_OK);
    CHECK_EQ(words, 4); /* U+FFFD is not a word */
    dp_work_free(w);
    dpi_minhash_free(mh);
}

TEST(sketch_batch_matches_single_documents_on_any_thread_count)
{
    dp_minhash *mh = NULL;
    dp_sketcher sk;
    dp_sketch_item items[NTEXTS];
    uint32_t sigs[NTEXTS * 128], one[128];
    size_t i, w;
    unsigned threads;

    REQUIRE(dpi_minhash_create(NULL, &mh) == DP_OK);
    for (threads = 1; threads <= 3; threads++) {
        dpi_sketcher_init(&sk, mh, 5, NULL, threads);
        for (i = 0; i < NTEXTS; i++) {
            items[i].text = texts[i];
            items[i].len = strlen(texts[i]);
            items[i].status = i == 1 ? DP_EINVAL : DP_OK; /* skipped */
        }
        REQUIRE(dpi_sketch_batch(&sk, items, NTEXTS, sigs, 1) == DP_OK);
        for (i = 0; i < NTEXTS; i++) {
            if (i == 1) {
                CHECK_EQ(items[i].status, DP_EINVAL);
                CHECK(items[i].set == NULL);
                continue;
            }
            CHECK_EQ(items[i].status, reference(mh, 5, texts[i], one, &w));
            if (items[i].status == DP_OK)
                CHECK(memcmp(one, sigs + i * 128, sizeof one) == 0);
            free(items[i].set);
        }
        dpi_sketcher_fini(&sk);
    }
    dpi_minhash_free(mh);
}

/* Every token and sentence of two documents agree. */
static int same_doc(const dp_doc *x, const dp_doc *y)
{
    size_t i, nx, ny;
    const char *a = dp_doc_normalised(x, &nx), *b = dp_doc_normalised(y, &ny);
    if (nx != ny || memcmp(a, b, nx) || dp_doc_words(x) != dp_doc_words(y) ||
        dp_doc_sentences(x) != dp_doc_sentences(y))
        return 0;
    for (i = 0; i < dp_doc_words(x); i++) {
        dp_token s, t;
        dp_doc_token(x, i, &s);
        dp_doc_token(y, i, &t);
        if (memcmp(&s, &t, sizeof s))
            return 0;
    }
    for (i = 0; i < dp_doc_sentences(x); i++) {
        dp_span s, t;
        dp_doc_sentence(x, i, &s, NULL, NULL);
        dp_doc_sentence(y, i, &t, NULL, NULL);
        if (s.start != t.start || s.end != t.end)
            return 0;
    }
    return 1;
}

TEST(work_doc_create_in_equals_doc_create_across_languages)
{
    static const char *langs[] = {"english", "french", "english", "german"};
    dp_work *w = NULL;
    size_t i, l;
    dp_text_opts o;
    dp_error err;

    REQUIRE(dp_work_create(&w) == DP_OK);
    dp_text_opts_init(&o);
    for (l = 0; l < 4; l++) {
        o.language = langs[l];
        for (i = 0; i < NTEXTS; i++) {
            dp_doc *x = NULL, *y = NULL;
            REQUIRE(dp_doc_create(texts[i], strlen(texts[i]), &o, &x, NULL) ==
                    DP_OK);
            REQUIRE(dp_doc_create_in(w, texts[i], strlen(texts[i]), &o, &y,
                                     NULL) == DP_OK);
            CHECK(same_doc(x, y));
            dp_doc_free(x);
            dp_doc_free(y);
        }
    }
    o.language = "klingon";
    {
        dp_doc *z = NULL;
        CHECK_EQ(dp_doc_create_in(w, "a", 1, &o, &z, &err), DP_ESTEM);
        CHECK(z == NULL);
        CHECK_EQ(dp_doc_create_in(NULL, "a", 1, NULL, &z, NULL), DP_EINVAL);
    }
    dp_work_free(w);
    dp_work_free(NULL);
    CHECK_EQ(dp_work_create(NULL), DP_EINVAL);
}
