/*
 * test_norm.c - NFKC + casefold, quote/dash/space unification, and the
 * map from every normalised byte back to the original offset.
 */
#include <stdlib.h>

#include "../test.h"
#include "text/text.h"

static dp_doc *mk(const char *s)
{
    dp_doc *doc = NULL;
    if (dp_doc_create(s, strlen(s), NULL, &doc, NULL) != DP_OK)
        return NULL;
    return doc;
}

/* Check the normalised text and the whole map (norm_len + 1 entries). */
static void check_norm(const char *in, const char *want, const uint32_t *map,
                       const char *file, int line)
{
    dp_doc *doc = mk(in);
    size_t i, n = strlen(want);
    if (!doc) {
        dp_test_fail(file, line, "dp_doc_create failed on \"%s\"", in);
        return;
    }
    if (doc->norm_len != n || memcmp(doc->norm, want, n) != 0)
        dp_test_fail(file, line, "normalised \"%s\": got \"%.*s\", want \"%s\"",
                     in, (int)doc->norm_len, doc->norm, want);
    else if (map) {
        for (i = 0; i <= n; i++)
            if (doc->map[i] != map[i]) {
                dp_test_fail(file, line, "map[%zu] = %u, want %u", i,
                             doc->map[i], map[i]);
                break;
            }
    }
    if (doc->map[doc->norm_len] != doc->orig_len)
        dp_test_fail(file, line, "map[norm_len] != orig_len");
    dp_doc_free(doc);
}
#define NORM(in, want, map) check_norm(in, want, map, __FILE__, __LINE__)

TEST(norm_ascii_casefold_maps_offsets)
{
    static const uint32_t map[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    NORM("Hello, WORLD", "hello, world", map);
    NORM("", "", (const uint32_t[]){0});
}

TEST(norm_backtick_is_apostrophe)
{
    NORM("`quoted'", "'quoted'", NULL);
}

TEST(norm_precomposed_accent)
{
    /* "Café": é is two bytes, both map to offset 3. */
    static const uint32_t map[] = {0, 1, 2, 3, 3, 5};
    NORM("Caf\xC3\xA9", "caf\xC3\xA9", map);
    NORM("\xC3\x89T\xC3\x89", "\xC3\xA9t\xC3\xA9", NULL); /* ÉTÉ */
}

TEST(norm_decomposed_accent_composes)
{
    /* e + U+0301 becomes é; the segment "e\xCC\x81" starts at 3. */
    static const uint32_t map[] = {0, 1, 2, 3, 3, 6, 7};
    NORM("Cafe\xCC\x81!", "caf\xC3\xA9!", map);
    /* Upper case base with a mark goes the slow path too. */
    NORM("E\xCC\x81t\xC3\xA9", "\xC3\xA9t\xC3\xA9", NULL);
}

TEST(norm_decomposed_and_precomposed_tokens_equal)
{
    dp_doc *a = mk("caf\xC3\xA9 au lait"), *b = mk("cafe\xCC\x81 au lait");
    dp_token ta, tb;
    REQUIRE(a && b);
    REQUIRE(dp_doc_token(a, 0, &ta) == DP_OK);
    REQUIRE(dp_doc_token(b, 0, &tb) == DP_OK);
    CHECK(ta.hash == tb.hash);
    CHECK_EQ(tb.span.start, 0);
    CHECK_EQ(tb.span.end, 6); /* includes the combining mark */
    dp_doc_free(a);
    dp_doc_free(b);
}

TEST(norm_ligature_expands)
{
    /* U+FB01 (3 bytes) becomes "fi": both bytes map to 0. */
    static const uint32_t map[] = {0, 0, 3, 4, 5};
    NORM("\xEF\xAC\x81ne", "fine", map);
}

TEST(norm_fullwidth_letters_and_digits)
{
    static const uint32_t map[] = {0, 3, 6, 9, 12, 15};
    NORM("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92",
         "abc12", map);
}

TEST(norm_sharp_s_casefolds)
{
    static const uint32_t map[] = {0, 1, 2, 3, 4, 4, 6, 7};
    NORM("Stra\xC3\x9F"
         "e",
         "strasse", map);
    NORM("STRASSE", "strasse", NULL);
}

TEST(norm_single_quotes_unified)
{
    /* U+2018 U+2019 U+201A U+201B U+2032 U+02BC U+0060 U+00B4 */
    NORM("\xE2\x80\x98"
         "\xE2\x80\x99"
         "\xE2\x80\x9A"
         "\xE2\x80\x9B"
         "\xE2\x80\xB2"
         "\xCA\xBC"
         "`"
         "\xC2\xB4",
         "''''''''", NULL);
}

TEST(norm_double_quotes_unified)
{
    /* U+201C U+201D U+201E U+201F U+00AB U+00BB U+2033 */
    static const uint32_t map[] = {0, 3, 6, 9, 12, 14, 16, 19};
    NORM("\xE2\x80\x9C"
         "\xE2\x80\x9D"
         "\xE2\x80\x9E"
         "\xE2\x80\x9F"
         "\xC2\xAB"
         "\xC2\xBB"
         "\xE2\x80\xB3",
         "\"\"\"\"\"\"\"", map);
}

TEST(norm_dashes_unified)
{
    /* U+2010..U+2015, U+2212, U+FE58, U+FE63, U+FF0D */
    NORM("\xE2\x80\x90\xE2\x80\x91\xE2\x80\x92\xE2\x80\x93\xE2\x80\x94"
         "\xE2\x80\x95\xE2\x88\x92\xEF\xB9\x98\xEF\xB9\xA3\xEF\xBC\x8D",
         "----------", NULL);
}

TEST(norm_curly_text_maps_back)
{
    /* “Don’t” – she said */
    static const char in[] = "\xE2\x80\x9C"
                             "Don\xE2\x80\x99t"
                             "\xE2\x80\x9D"
                             " \xE2\x80\x93 she";
    static const uint32_t map[] = {0,  3,  4,  5,  6,  9,  10,
                                   13, 14, 17, 18, 19, 20, 21};
    NORM(in, "\"don't\" - she", map);
}

TEST(norm_whitespace_variants)
{
    /* NBSP, em space, ideographic space, narrow NBSP, ZWSP -> ' ';
     * line separator -> '\n'; tab, CR, LF kept. */
    NORM("a\xC2\xA0"
         "b\xE2\x80\x83"
         "c\xE3\x80\x80"
         "d\xE2\x80\xAF"
         "e\xE2\x80\x8B"
         "f\xE2\x80\xA8"
         "g\t\r\nh",
         "a b c d e f\ng\t\r\nh", NULL);
}

TEST(norm_ignorables_dropped)
{
    /* Soft hyphen inside a word vanishes, so the word stays whole; the
     * BOM at the start vanishes too. */
    static const char in[] = "\xEF\xBB\xBF"
                             "co\xC2\xAD"
                             "operate";
    dp_doc *doc = mk(in);
    dp_token t;
    REQUIRE(doc);
    CHECK_MEM(doc->norm, doc->norm_len, "cooperate");
    CHECK_EQ(dp_doc_words(doc), 1);
    REQUIRE(dp_doc_token(doc, 0, &t) == DP_OK);
    CHECK_EQ(t.span.start, 3);
    CHECK_EQ(t.span.end, sizeof in - 1);
    dp_doc_free(doc);
}

TEST(norm_hangul_jamo_compose)
{
    /* Conjoining jamo U+1112 U+1161 U+11AB form one syllable U+D55C. */
    static const uint32_t map[] = {0, 0, 0, 9};
    NORM("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", "\xED\x95\x9C", map);
    NORM("\xED\x95\x9C\xEA\xB5\xAD", "\xED\x95\x9C\xEA\xB5\xAD", NULL);
}

TEST(norm_compatibility_forms)
{
    NORM("\xE2\x91\xA0", "1", NULL);            /* circled one */
    NORM("x\xC2\xB2", "x2", NULL);              /* superscript two */
    NORM("\xE2\x80\xA6", "...", NULL);          /* ellipsis */
    NORM("\xEF\xBD\xB1", "\xE3\x82\xA2", NULL); /* halfwidth katakana A */
    NORM("\xCE\xA3\xCE\xB1\xCF\x82", "\xCF\x83\xCE\xB1\xCF\x83",
         NULL); /* Σας */
}

TEST(norm_segment_caps_nonstarters)
{
    /* "a" + 40 combining acutes: one segment of a + 30 marks. */
    uint8_t buf[1 + 80];
    size_t i;
    buf[0] = 'a';
    for (i = 0; i < 40; i++) {
        buf[1 + 2 * i] = 0xCC;
        buf[2 + 2 * i] = 0x81;
    }
    CHECK_EQ(dpi_norm_segment(buf, sizeof buf, 0),
             1 + 2 * DP_NORM_MAX_NONSTARTERS);
    CHECK_EQ(dpi_norm_segment(buf, sizeof buf, 61), 2 * 10);
    CHECK_EQ(dpi_norm_segment((const uint8_t *)"ab", 2, 0), 1);
    CHECK_EQ(dpi_norm_segment((const uint8_t *)"\xFF\xFF"
                                               "a",
                              3, 0),
             2);
}

TEST(norm_only_combining_marks_is_linear)
{
    size_t n = 200000, i;
    char *buf = malloc(2 * n);
    dp_doc *doc = NULL;
    REQUIRE(buf);
    for (i = 0; i < n; i++) {
        buf[2 * i] = (char)0xCC;
        buf[2 * i + 1] = (char)(0x80 + i % 0x30); /* varied classes */
    }
    CHECK_EQ(dp_doc_create(buf, 2 * n, NULL, &doc, NULL), DP_OK);
    if (doc) {
        CHECK(doc->norm_len > 0);
        CHECK_EQ(doc->map[doc->norm_len], 2 * n);
        CHECK_EQ(dp_doc_words(doc), 0);
    }
    dp_doc_free(doc);
    free(buf);
}

/* The map never goes back and always lands on a character start. */
static void check_map(const dp_doc *doc)
{
    size_t i;
    for (i = 0; i < doc->norm_len; i++) {
        uint32_t m = doc->map[i];
        if (m > doc->map[i + 1] || m >= doc->orig_len ||
            ((unsigned char)doc->orig[m] & 0xC0) == 0x80) {
            dp_test_fail(__FILE__, __LINE__, "bad map at %zu", i);
            return;
        }
    }
    CHECK_EQ(doc->map[doc->norm_len], doc->orig_len);
}

TEST(norm_map_monotonic_on_seeds)
{
    static const char *const seeds[] = {"000_150493159232f54a.txt",
                                        "001_64c48dc445758d8a.txt"};
    size_t k;
    for (k = 0; k < 2; k++) {
        char path[4096];
        size_t len;
        char *text;
        dp_doc *doc;
        snprintf(path, sizeof path, "%s/seeds/%s", dp_test_shared(), seeds[k]);
        text = dp_test_slurp(path, &len);
        REQUIRE(text);
        REQUIRE(dp_doc_create(text, len, NULL, &doc, NULL) == DP_OK);
        check_map(doc);
        dp_doc_free(doc);
        free(text);
    }
}

TEST(norm_map_monotonic_mixed_scripts)
{
    static const char in[] = "\xEF\xAC\x81 Stra\xC3\x9F"
                             "e e\xCC\x81\xCC\xA3 \xE6\x9D\xB1\xE4\xBA\xAC "
                             "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 "
                             "\xE2\x80\x9Cq\xE2\x80\x9D "
                             "\xEF\xB7\xBA \xE3\x8D\xBF";
    dp_doc *doc = mk(in);
    REQUIRE(doc);
    check_map(doc);
    dp_doc_free(doc);
}

TEST(norm_orig_offset_accessor)
{
    dp_doc *doc = mk("\xEF\xAC\x81x");
    REQUIRE(doc);
    CHECK_EQ(dp_doc_orig_offset(doc, 0), 0);
    CHECK_EQ(dp_doc_orig_offset(doc, 1), 0); /* inside the ligature */
    CHECK_EQ(dp_doc_orig_offset(doc, 2), 3);
    CHECK_EQ(dp_doc_orig_offset(doc, 3), 4);
    CHECK_EQ(dp_doc_orig_offset(doc, 99), 4);
    CHECK_EQ(dpi_norm_orig_end(doc, 1), 3); /* the whole ligature */
    CHECK_EQ(dpi_norm_orig_end(doc, 0), 0);
    dp_doc_free(doc);
}
