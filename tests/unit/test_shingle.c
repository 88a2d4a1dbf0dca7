/*
 * test_shingle.c - k-word shingle hashes: counts, known answers, and
 * equality across case, quote and dash variants of one text.
 */
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../test.h"
#include "sketch/shingle.h"

static dp_doc *mk(const char *s)
{
    dp_doc *doc = NULL;
    if (dp_doc_create(s, strlen(s), NULL, &doc, NULL) != DP_OK)
        return NULL;
    return doc;
}

TEST(shingle_count_is_words_minus_k_plus_one)
{
    dp_doc *doc = mk("one two three four five six seven");
    uint64_t *sh;
    size_t n;
    unsigned k;
    REQUIRE(doc);
    for (k = 1; k <= 7; k++) {
        REQUIRE(dp_doc_shingles(doc, k, &sh, &n) == DP_OK);
        CHECK_EQ(n, 7 - k + 1);
        CHECK(sh != NULL);
        dp_free(sh);
    }
    REQUIRE(dp_doc_shingles(doc, 8, &sh, &n) == DP_OK);
    CHECK_EQ(n, 0);
    CHECK(sh == NULL);
    CHECK_EQ(dp_doc_shingles(doc, 0, &sh, &n), DP_EINVAL);
    CHECK_EQ(dp_doc_shingles(NULL, 3, &sh, &n), DP_EINVAL);
    CHECK_EQ(dp_doc_shingles(doc, 3, NULL, &n), DP_EINVAL);
    dp_doc_free(doc);
    CHECK_EQ(dpi_shingle_count(5, 0), 0);
    CHECK_EQ(dpi_shingle_count(0, 1), 0);
    CHECK_EQ(dpi_shingle_count(10, 10), 1);
}

TEST(shingle_empty_doc)
{
    dp_doc *doc = mk("");
    uint64_t *sh = (uint64_t *)1;
    size_t n = 99;
    REQUIRE(doc);
    REQUIRE(dp_doc_shingles(doc, 1, &sh, &n) == DP_OK);
    CHECK_EQ(n, 0);
    CHECK(sh == NULL);
    dp_doc_free(doc);
}

TEST(shingle_known_answer)
{
    /* Shingle i = XXH3-64 over token hashes i..i+k as little-endian u64. */
    uint64_t h[3], out[3];
    uint8_t flat[16];
    size_t i, j;
    h[0] = XXH3_64bits("a", 1);
    h[1] = XXH3_64bits("b", 1);
    h[2] = XXH3_64bits("c", 1);
    dpi_shingle_hash(h, 3, 2, out);
    for (i = 0; i < 2; i++) {
        for (j = 0; j < 8; j++) {
            flat[j] = (uint8_t)(h[i] >> (8 * j));
            flat[8 + j] = (uint8_t)(h[i + 1] >> (8 * j));
        }
        CHECK(out[i] == XXH3_64bits(flat, 16));
    }
    /* k = 1 rehashes each token hash. */
    dpi_shingle_hash(h, 3, 1, out);
    for (j = 0; j < 8; j++)
        flat[j] = (uint8_t)(h[0] >> (8 * j));
    CHECK(out[0] == XXH3_64bits(flat, 8));
}

TEST(shingle_doc_matches_flat_function)
{
    dp_doc *doc = mk("the quick brown fox jumps over the lazy dog");
    uint64_t *sh, h[9], flat[5];
    size_t n, i;
    REQUIRE(doc);
    REQUIRE(dp_doc_words(doc) == 9);
    for (i = 0; i < 9; i++) {
        dp_token t;
        dp_doc_token(doc, i, &t);
        h[i] = t.hash;
    }
    dpi_shingle_hash(h, 9, 5, flat);
    REQUIRE(dp_doc_shingles(doc, 5, &sh, &n) == DP_OK);
    REQUIRE(n == 5);
    for (i = 0; i < 5; i++)
        CHECK(sh[i] == flat[i]);
    dp_free(sh);
    dp_doc_free(doc);
}

/* Shingle arrays of two texts, equal or not. */
static int same_shingles(const char *a, const char *b, unsigned k)
{
    dp_doc *da = mk(a), *db = mk(b);
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    int same = 0;
    if (da && db && dp_doc_shingles(da, k, &sa, &na) == DP_OK &&
        dp_doc_shingles(db, k, &sb, &nb) == DP_OK)
        same = na == nb && (na == 0 || memcmp(sa, sb, na * sizeof *sa) == 0);
    dp_free(sa);
    dp_free(sb);
    dp_doc_free(da);
    dp_doc_free(db);
    return same;
}

TEST(shingle_equal_texts_equal_shingles)
{
    CHECK(same_shingles("a b c d e f g", "a b c d e f g", 3));
    CHECK(!same_shingles("a b c d e f g", "a b c d e g f", 3));
    CHECK(!same_shingles("a b c d", "a b c d e", 2));
}

TEST(shingle_variants_equal_shingles)
{
    /* Case, curly vs straight quotes, dashes, spacing, NBSP, ligature and
     * decomposed accents do not change the shingles. */
    CHECK(same_shingles("\xE2\x80\x9CThe Taliban\xE2\x80\x99s caf\xC3\xA9 "
                        "\xE2\x80\x94 al-Qaeda\xE2\x80\x9D, "
                        "he said \xEF\xAC\x81nally.",
                        "\"the TALIBAN's  cafe\xCC\x81 - al qaeda\",\xC2\xA0he "
                        "said\r\nfinally!",
                        3));
    CHECK(same_shingles("US officials met the Taliban",
                        "us OFFICIALS met THE taliban", 2));
}
