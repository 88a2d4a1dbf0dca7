/* test_api.c - the NULL behaviours doppel.h promises for every accessor
 * and free function (they must hold in release builds, where asserts are
 * compiled out, and in debug builds, where asserts are on). */
#include "../test.h"
#include "doppel.h"

TEST(api_free_functions_accept_null)
{
    dp_free(NULL);
    dp_work_free(NULL);
    dp_doc_free(NULL);
    dp_comparison_free(NULL);
    dp_reader_free(NULL);
    dp_dedup_free(NULL);
    dp_index_close(NULL);
    dp_server_stop(NULL);
    CHECK(1);
}

TEST(api_doc_accessors_on_null)
{
    size_t len = 7, b = 9, e = 9;
    dp_token t;
    dp_span sp;
    CHECK(dp_doc_text(NULL, &len) == NULL);
    CHECK_EQ(len, 0);
    len = 7;
    CHECK(dp_doc_normalised(NULL, &len) == NULL);
    CHECK_EQ(len, 0);
    CHECK_EQ(dp_doc_orig_offset(NULL, 3), 0);
    CHECK_EQ(dp_doc_replaced(NULL), 0);
    CHECK_EQ(dp_doc_words(NULL), 0);
    CHECK_EQ(dp_doc_token(NULL, 0, &t), DP_EINVAL);
    CHECK_EQ(dp_doc_sentences(NULL), 0);
    CHECK_EQ(dp_doc_sentence(NULL, 0, &sp, &b, &e), DP_EINVAL);
}

TEST(api_comparison_accessors_on_null)
{
    CHECK(dp_comparison_scores(NULL) == NULL);
    CHECK_EQ(dp_comparison_passages(NULL), 0);
    CHECK(dp_comparison_passage(NULL, 0) == NULL);
    CHECK(dp_comparison_sentence(NULL, 0, 0) == NULL);
    CHECK(dp_comparison_sentence(NULL, 1, 0) == NULL);
}

TEST(api_opts_init_ignore_null)
{
    dp_compare_opts_init(NULL);
    dp_text_opts_init(NULL);
    CHECK(1);
}

TEST(api_comparison_accessors_in_range)
{
    dp_doc *a = NULL, *b = NULL;
    dp_comparison *c = NULL;
    const char *t = "The harbour authority said the channel would stay "
                    "closed until divers had checked it for debris.";
    REQUIRE(dp_doc_create(t, strlen(t), NULL, &a, NULL) == DP_OK);
    REQUIRE(dp_doc_create(t, strlen(t), NULL, &b, NULL) == DP_OK);
    REQUIRE(dp_compare(a, b, NULL, &c) == DP_OK);
    REQUIRE(dp_comparison_scores(c) != NULL);
    CHECK_NEAR(dp_comparison_scores(c)->jaccard, 1.0, 1e-9);
    CHECK_EQ(dp_comparison_passages(c), 1);
    CHECK(dp_comparison_passage(c, 1) == NULL);
    CHECK(dp_comparison_sentence(c, 2, 0) == NULL);
    CHECK(dp_comparison_sentence(c, 0, 99) == NULL);
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
}
