/*
 * test_utf8.c - strict UTF-8 decoding (white box) and how dp_doc_create()
 * rejects or repairs invalid input, NUL bytes and oversized documents.
 */
#include <stdlib.h>

#include "../test.h"
#include "text/text.h"

#define U(s) ((const uint8_t *)(s))

static int dec(const char *s, size_t n, int32_t *cp)
{
    return dpi_utf8_decode(U(s), n, cp);
}

TEST(utf8_decodes_valid_sequences)
{
    int32_t cp = -1;
    CHECK_EQ(dec("A", 1, &cp), 1);
    CHECK_EQ(cp, 'A');
    CHECK_EQ(dec("\xC3\xA9", 2, &cp), 2);
    CHECK_EQ(cp, 0xE9);
    CHECK_EQ(dec("\xE2\x82\xAC", 3, &cp), 3);
    CHECK_EQ(cp, 0x20AC);
    CHECK_EQ(dec("\xF0\x9F\x98\x80", 4, &cp), 4);
    CHECK_EQ(cp, 0x1F600);
    CHECK_EQ(dec("\xF4\x8F\xBF\xBF", 4, &cp), 4); /* U+10FFFF */
    CHECK_EQ(cp, 0x10FFFF);
    CHECK_EQ(dec("\xED\x9F\xBF", 3, &cp), 3); /* U+D7FF, below surrogates */
    CHECK_EQ(cp, 0xD7FF);
    CHECK_EQ(dec("\xEE\x80\x80", 3, &cp), 3); /* U+E000, above them */
    CHECK_EQ(cp, 0xE000);
    CHECK_EQ(dec("\xC2\x80", 2, &cp), 2); /* smallest 2-byte form */
    CHECK_EQ(cp, 0x80);
}

TEST(utf8_rejects_overlongs)
{
    int32_t cp;
    CHECK_EQ(dec("\xC0\x80", 2, &cp), -1);
    CHECK_EQ(dec("\xC1\xBF", 2, &cp), -1);
    CHECK_EQ(dec("\xE0\x80\x80", 3, &cp), -1);
    CHECK_EQ(dec("\xE0\x9F\xBF", 3, &cp), -1);
    CHECK_EQ(dec("\xF0\x80\x80\x80", 4, &cp), -1);
    CHECK_EQ(dec("\xF0\x8F\xBF\xBF", 4, &cp), -1);
}

TEST(utf8_rejects_surrogates_and_beyond_max)
{
    int32_t cp;
    CHECK_EQ(dec("\xED\xA0\x80", 3, &cp), -1);     /* U+D800 */
    CHECK_EQ(dec("\xED\xBF\xBF", 3, &cp), -1);     /* U+DFFF */
    CHECK_EQ(dec("\xF4\x90\x80\x80", 4, &cp), -1); /* U+110000 */
    CHECK_EQ(dec("\xF5\x80\x80\x80", 4, &cp), -1);
    CHECK_EQ(dec("\xFF", 1, &cp), -1);
    CHECK_EQ(dec("\xFE", 1, &cp), -1);
}

TEST(utf8_truncated_and_stray_bytes)
{
    int32_t cp;
    CHECK_EQ(dec("\x80", 1, &cp), -1); /* stray continuation */
    CHECK_EQ(dec("\xC3", 1, &cp), -1); /* cut at end */
    CHECK_EQ(dec("\xC3"
                 "A",
                 2, &cp),
             -1);                          /* lead then ASCII */
    CHECK_EQ(dec("\xE2\x82", 2, &cp), -2); /* 2 of 3 bytes */
    CHECK_EQ(dec("\xE2\x82"
                 "A",
                 3, &cp),
             -2);
    CHECK_EQ(dec("\xF0\x9F\x98", 3, &cp), -3); /* 3 of 4 bytes */
    CHECK_EQ(dec("\xF0\x9F\x98"
                 "A",
                 4, &cp),
             -3);
}

TEST(utf8_invalid_run_joins_subparts)
{
    CHECK_EQ(dpi_utf8_invalid_run(U("\xFF\xFE\x80"
                                    "A"),
                                  4),
             3);
    CHECK_EQ(dpi_utf8_invalid_run(U("\xE2\x82\xC3\xA9"), 4), 2); /* then é */
    CHECK_EQ(dpi_utf8_invalid_run(U("\xF0\x9F\x98"), 3), 3);
}

TEST(utf8_validate_finds_first_bad_byte)
{
    char buf[300];
    size_t i;
    CHECK_EQ(dpi_utf8_validate(U(""), 0), 0);
    CHECK_EQ(dpi_utf8_validate(U("plain ascii"), 11), 11);
    CHECK_EQ(dpi_utf8_validate(U("caf\xC3\xA9 \xE2\x80\x94 ok"), 12), 12);
    CHECK_EQ(dpi_utf8_validate(U("abc\xE2\x82"), 5), 3);
    CHECK_EQ(dpi_utf8_validate(U("ab\xC3\xA9\xC0\x80"), 6), 4);
    /* Past the 8-byte ASCII fast path, at every alignment. */
    for (i = 0; i < 40; i++) {
        memset(buf, 'x', sizeof buf);
        buf[200 + i] = (char)0x80;
        CHECK_EQ(dpi_utf8_validate(U(buf), sizeof buf), 200 + i);
    }
}

TEST(utf8_encode_roundtrips)
{
    static const int32_t cps[] = {0,      0x41,   0x7F,    0x80,
                                  0x7FF,  0x800,  0xD7FF,  0xE000,
                                  0xFFFD, 0xFFFF, 0x10000, 0x10FFFF};
    size_t i;
    for (i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        uint8_t b[4];
        int32_t back = -1;
        int n = dpi_utf8_encode(cps[i], b);
        CHECK_EQ(dpi_utf8_decode(b, (size_t)n, &back), n);
        CHECK_EQ(back, cps[i]);
    }
}

TEST(utf8_reject_mode_reports_offset)
{
    static const char text[] = "good text\xC3\xA9 then \xC0\x80 bad";
    dp_doc *doc = (dp_doc *)1;
    dp_error err;
    memset(&err, 0, sizeof err);
    CHECK_EQ(dp_doc_create(text, sizeof text - 1, NULL, &doc, &err), DP_EUTF8);
    CHECK(doc == NULL);
    CHECK_EQ(err.code, DP_EUTF8);
    CHECK_EQ(err.offset, 17);
    CHECK(strstr(err.message, "at byte 17 ") != NULL);
}

TEST(utf8_reject_mode_truncated_at_end)
{
    static const char text[] = "ends in \xE2\x82";
    dp_doc *doc;
    dp_error err;
    CHECK_EQ(dp_doc_create(text, sizeof text - 1, NULL, &doc, &err), DP_EUTF8);
    CHECK_EQ(err.offset, 8);
}

TEST(utf8_replace_mode_counts_and_maps)
{
    /* Three invalid runs: FF FE (one run), C3 before '(', E2 82 at end. */
    static const char text[] = "a\xFF\xFE"
                               "b\xC3(c\xE2\x82";
    dp_text_opts o;
    dp_doc *doc;
    const char *norm;
    size_t nlen;
    dp_token t;

    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    REQUIRE(dp_doc_create(text, sizeof text - 1, &o, &doc, NULL) == DP_OK);
    CHECK_EQ(dp_doc_replaced(doc), 3);
    norm = dp_doc_normalised(doc, &nlen);
    CHECK_MEM(norm, nlen,
              "a\xEF\xBF\xBD"
              "b\xEF\xBF\xBD(c\xEF\xBF\xBD");
    /* Each U+FFFD maps to the first byte of its invalid run. */
    CHECK_EQ(dp_doc_orig_offset(doc, 1), 1);
    CHECK_EQ(dp_doc_orig_offset(doc, 3), 1);
    CHECK_EQ(dp_doc_orig_offset(doc, 4), 3);
    CHECK_EQ(dp_doc_orig_offset(doc, 5), 4);
    CHECK_EQ(dp_doc_orig_offset(doc, 12), 7);
    CHECK_EQ(dp_doc_orig_offset(doc, nlen), sizeof text - 1);
    /* U+FFFD is not a letter: it splits words. */
    CHECK_EQ(dp_doc_words(doc), 3);
    REQUIRE(dp_doc_token(doc, 2, &t) == DP_OK);
    CHECK_EQ(t.span.start, 6);
    CHECK_EQ(t.span.end, 7);
    dp_doc_free(doc);
}

TEST(utf8_replace_mode_valid_text_replaces_nothing)
{
    static const char text[] = "caf\xC3\xA9 na\xC3\xAFve";
    dp_text_opts o;
    dp_doc *doc;
    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    REQUIRE(dp_doc_create(text, sizeof text - 1, &o, &doc, NULL) == DP_OK);
    CHECK_EQ(dp_doc_replaced(doc), 0);
    CHECK_EQ(dp_doc_words(doc), 2);
    dp_doc_free(doc);
}

TEST(utf8_nul_is_binary_with_offset)
{
    static const char text[] = "abc\0def";
    dp_doc *doc;
    dp_error err;
    dp_text_opts o;
    size_t nlen;

    CHECK_EQ(dp_doc_create(text, 7, NULL, &doc, &err), DP_EBINARY);
    CHECK(doc == NULL);
    CHECK_EQ(err.offset, 3);
    CHECK(strstr(err.message, "at byte 3:") != NULL);

    dp_text_opts_init(&o);
    o.allow_binary = 1;
    REQUIRE(dp_doc_create(text, 7, &o, &doc, &err) == DP_OK);
    {
        const char *norm = dp_doc_normalised(doc, &nlen);
        CHECK_MEM(norm, nlen, "abc def");
    }
    CHECK_EQ(dp_doc_words(doc), 2);
    dp_doc_free(doc);
}

TEST(utf8_nul_reported_before_bad_utf8)
{
    static const char text[] = "\xFF"
                               "ab\0";
    dp_doc *doc;
    dp_error err;
    CHECK_EQ(dp_doc_create(text, 4, NULL, &doc, &err), DP_EBINARY);
    CHECK_EQ(err.offset, 3);
}

TEST(utf8_too_big_is_refused_before_reading)
{
    dp_doc *doc;
    dp_error err;
    /* The length alone decides; the bytes are never touched. */
    CHECK_EQ(dp_doc_create("x", DP_MAX_DOC_BYTES + 1, NULL, &doc, &err),
             DP_ETOOBIG);
    CHECK(doc == NULL);
    CHECK_EQ(err.code, DP_ETOOBIG);
}

TEST(utf8_repair_replaces_each_invalid_run_once)
{
    char *out = NULL;
    size_t n = 0;
    /* "a", a run of three invalid bytes, "b", a truncated 3-byte
     * sequence at the end. */
    REQUIRE(dpi_utf8_repair((const uint8_t *)"a\xff\xfe\x80"
                                             "b\xe2\x82",
                            7, 0, &out, &n) == DP_OK);
    CHECK_MEM(out, n,
              "a\xEF\xBF\xBD"
              "b\xEF\xBF\xBD");
    free(out);
    /* NUL kept, or replaced on request; valid text unchanged. */
    REQUIRE(dpi_utf8_repair((const uint8_t *)"x\0y", 3, 0, &out, &n) == DP_OK);
    CHECK_EQ(n, 3);
    CHECK(memcmp(out, "x\0y", 3) == 0);
    free(out);
    REQUIRE(dpi_utf8_repair((const uint8_t *)"x\0y", 3, 1, &out, &n) == DP_OK);
    CHECK_MEM(out, n, "x\xEF\xBF\xBDy");
    free(out);
    REQUIRE(dpi_utf8_repair((const uint8_t *)"caf\xc3\xa9", 5, 1, &out, &n) ==
            DP_OK);
    CHECK_MEM(out, n, "caf\xc3\xa9");
    free(out);
}
