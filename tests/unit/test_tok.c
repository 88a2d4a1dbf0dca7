/*
 * test_tok.c - the tokenizer: which runs are tokens, their original and
 * normalised spans, hashes and flags, on any script.
 */
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../test.h"
#include "text/text.h"

static dp_doc *mk(const char *s)
{
    dp_doc *doc = NULL;
    if (dp_doc_create(s, strlen(s), NULL, &doc, NULL) != DP_OK)
        return NULL;
    return doc;
}

/*
 * Check that @doc has exactly the tokens in @want (NULL-terminated), each
 * given as the ORIGINAL bytes its span must cover.
 */
static void check_spans(const dp_doc *doc, const char *const *want,
                        const char *file, int line)
{
    size_t i, n = 0;
    while (want[n])
        n++;
    if (dp_doc_words(doc) != n) {
        dp_test_fail(file, line, "%zu tokens, want %zu", dp_doc_words(doc), n);
        for (i = 0; i < dp_doc_words(doc); i++) {
            dp_token t;
            dp_doc_token(doc, i, &t);
            printf("    token %zu: \"%.*s\"\n", i,
                   (int)(t.span.end - t.span.start), doc->orig + t.span.start);
        }
        return;
    }
    for (i = 0; i < n; i++) {
        dp_token t;
        dp_doc_token(doc, i, &t);
        if (t.span.end - t.span.start != strlen(want[i]) ||
            memcmp(doc->orig + t.span.start, want[i], strlen(want[i])) != 0)
            dp_test_fail(file, line, "token %zu is \"%.*s\", want \"%s\"", i,
                         (int)(t.span.end - t.span.start),
                         doc->orig + t.span.start, want[i]);
    }
}
#define SPANS(doc, ...)                                                        \
    check_spans(doc, (const char *const[]){__VA_ARGS__, NULL}, __FILE__,       \
                __LINE__)

/* Normalised text of token @i. */
static void check_norm_tok(const dp_doc *doc, size_t i, const char *want,
                           const char *file, int line)
{
    const dp_tok *t;
    if (i >= doc->ntoks) {
        dp_test_fail(file, line, "no token %zu", i);
        return;
    }
    t = &doc->toks[i];
    if (t->nend - t->nstart != strlen(want) ||
        memcmp(doc->norm + t->nstart, want, strlen(want)) != 0)
        dp_test_fail(file, line, "token %zu normalised \"%.*s\", want \"%s\"",
                     i, (int)(t->nend - t->nstart), doc->norm + t->nstart,
                     want);
    if (t->hash != XXH3_64bits(want, strlen(want)))
        dp_test_fail(file, line, "token %zu hash is not XXH3 of \"%s\"", i,
                     want);
}
#define NTOK(doc, i, want) check_norm_tok(doc, i, want, __FILE__, __LINE__)

TEST(tok_ascii_words)
{
    dp_doc *doc = mk("  Hello, world!  How are you?");
    REQUIRE(doc);
    SPANS(doc, "Hello", "world", "How", "are", "you");
    NTOK(doc, 0, "hello");
    CHECK_EQ(doc->toks[0].nstart, 2);
    CHECK_EQ(doc->toks[0].nend, 7);
    dp_doc_free(doc);
}

TEST(tok_empty_and_wordless)
{
    dp_doc *doc = mk("");
    REQUIRE(doc);
    CHECK_EQ(dp_doc_words(doc), 0);
    CHECK_EQ(dp_doc_sentences(doc), 0);
    dp_doc_free(doc);
    doc = mk(" \n\t ... --- !!! \xE2\x80\x9C\xE2\x80\x9D ");
    REQUIRE(doc);
    CHECK_EQ(dp_doc_words(doc), 0);
    CHECK_EQ(dp_doc_sentences(doc), 0);
    dp_doc_free(doc);
}

TEST(tok_multibyte_spans)
{
    /* Zoë’s café — naïve Ωμέγα Москва */
    dp_doc *doc =
        mk("Zo\xC3\xAB\xE2\x80\x99s caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve "
           "\xCE\xA9\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1 "
           "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
    REQUIRE(doc);
    SPANS(doc, "Zo\xC3\xAB\xE2\x80\x99s", "caf\xC3\xA9", "na\xC3\xAFve",
          "\xCE\xA9\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1",
          "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
    NTOK(doc, 0, "zo\xC3\xAB's");
    NTOK(doc, 3, "\xCF\x89\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1");
    NTOK(doc, 4, "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
    dp_doc_free(doc);
}

TEST(tok_curly_quotes_spans)
{
    /* “Hello,” she said. ‘Fine’ */
    dp_doc *doc = mk("\xE2\x80\x9CHello,\xE2\x80\x9D she said. "
                     "\xE2\x80\x98"
                     "Fine\xE2\x80\x99");
    REQUIRE(doc);
    SPANS(doc, "Hello", "she", "said", "Fine");
    CHECK_EQ(doc->toks[0].start, 3);
    dp_doc_free(doc);
}

TEST(tok_crlf_spans)
{
    dp_doc *doc = mk("One two\r\nthree\r\n\r\nfo\xC3\xBCr\r\n");
    REQUIRE(doc);
    SPANS(doc, "One", "two", "three", "fo\xC3\xBCr");
    CHECK_EQ(doc->toks[2].start, 9);
    CHECK_EQ(doc->toks[3].start, 18);
    CHECK_EQ(doc->toks[3].end, 23);
    dp_doc_free(doc);
}

TEST(tok_cjk_one_per_character)
{
    /* 我爱北京 Tokyo東京タワー, and a Hangul word stays whole */
    dp_doc *doc =
        mk("\xE6\x88\x91\xE7\x88\xB1\xE5\x8C\x97\xE4\xBA\xAC Tokyo"
           "\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x82\xBF\xE3\x83\xAF\xE3\x83\xBC "
           "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4");
    REQUIRE(doc);
    SPANS(doc, "\xE6\x88\x91", "\xE7\x88\xB1", "\xE5\x8C\x97", "\xE4\xBA\xAC",
          "Tokyo", "\xE6\x9D\xB1", "\xE4\xBA\xAC", "\xE3\x82\xBF",
          "\xE3\x83\xAF", "\xE3\x83\xBC",
          "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4");
    CHECK(doc->toks[0].xflags & DP_TOKX_CJK);
    CHECK(!(doc->toks[4].xflags & DP_TOKX_CJK));
    CHECK(doc->toks[0].flags & DP_TOK_WORD);
    /* The two 京 are the same token. */
    CHECK(doc->toks[3].hash == doc->toks[6].hash);
    CHECK(doc->toks[3].term == doc->toks[6].term);
    dp_doc_free(doc);
}

TEST(tok_cjk_ranges)
{
    CHECK(dpi_tok_is_cjk(0x3042)); /* hiragana a */
    CHECK(dpi_tok_is_cjk(0x30FC)); /* prolonged sound mark */
    CHECK(dpi_tok_is_cjk(0x3400));
    CHECK(dpi_tok_is_cjk(0x4E00));
    CHECK(dpi_tok_is_cjk(0x9FFF));
    CHECK(dpi_tok_is_cjk(0xF900));
    CHECK(dpi_tok_is_cjk(0x20000));
    CHECK(dpi_tok_is_cjk(0x2FFFF));
    CHECK(!dpi_tok_is_cjk(0xAC00)); /* Hangul */
    CHECK(!dpi_tok_is_cjk(0x3002)); /* 。 */
    CHECK(!dpi_tok_is_cjk('a'));
}

TEST(tok_numbers)
{
    dp_doc *doc = mk("3.5 1,000 2022. 4,a v2.0 1.2.3 3rd $12.50, -7");
    REQUIRE(doc);
    SPANS(doc, "3.5", "1,000", "2022", "4", "a", "v2.0", "1.2.3", "3rd",
          "12.50", "7");
    CHECK(doc->toks[0].flags & DP_TOK_NUMBER);
    CHECK(!(doc->toks[0].flags & DP_TOK_WORD));
    CHECK(doc->toks[1].flags & DP_TOK_NUMBER);
    CHECK(doc->toks[2].flags & DP_TOK_NUMBER);
    CHECK(doc->toks[4].flags & DP_TOK_WORD);
    CHECK(doc->toks[5].flags & DP_TOK_WORD);
    CHECK(doc->toks[7].flags & DP_TOK_WORD);
    CHECK(doc->toks[8].flags & DP_TOK_NUMBER);
    /* Numbers are their own term. */
    CHECK(doc->toks[0].term == doc->toks[0].hash);
    dp_doc_free(doc);
}

TEST(tok_hyphens_split)
{
    dp_doc *a = mk("al-Qaeda ISIS\xE2\x80\x93K"), *b = mk("al Qaeda isis k");
    size_t i;
    REQUIRE(a && b);
    SPANS(a, "al", "Qaeda", "ISIS", "K");
    REQUIRE(dp_doc_words(b) == 4);
    for (i = 0; i < 4; i++)
        CHECK(a->toks[i].hash == b->toks[i].hash);
    dp_doc_free(a);
    dp_doc_free(b);
}

TEST(tok_apostrophes)
{
    dp_doc *doc = mk("don't rock'n'roll 'quoted' dogs' 90's l'homme ''x");
    REQUIRE(doc);
    SPANS(doc, "don't", "rock'n'roll", "quoted", "dogs", "90", "s", "l'homme",
          "x");
    dp_doc_free(doc);
}

TEST(tok_capital_flag_from_original)
{
    /* Apple apple ÉCOLE école ǅemal (U+01C5 is title case) 3D */
    dp_doc *doc = mk("Apple apple \xC3\x89"
                     "COLE \xC3\xA9"
                     "cole \xC7\x85"
                     "emal 3D");
    REQUIRE(doc);
    REQUIRE(dp_doc_words(doc) == 6);
    CHECK(doc->toks[0].flags & DP_TOK_CAPITAL);
    CHECK(!(doc->toks[1].flags & DP_TOK_CAPITAL));
    CHECK(doc->toks[1].xflags & DP_TOKX_LOWER);
    CHECK(doc->toks[2].flags & DP_TOK_CAPITAL);
    CHECK(!(doc->toks[3].flags & DP_TOK_CAPITAL));
    CHECK(doc->toks[4].flags & DP_TOK_CAPITAL);
    CHECK(!(doc->toks[5].flags & DP_TOK_CAPITAL));
    CHECK(!(doc->toks[5].xflags & DP_TOKX_LOWER));
    CHECK(doc->toks[0].hash == doc->toks[1].hash);
    CHECK(doc->toks[2].hash == doc->toks[3].hash);
    dp_doc_free(doc);
}

TEST(tok_possessive_shares_term)
{
    dp_doc *doc = mk("Taliban's Taliban Taliban\xE2\x80\x99s TALIBAN");
    REQUIRE(doc);
    REQUIRE(dp_doc_words(doc) == 4);
    CHECK(doc->toks[0].term == doc->toks[1].term);
    CHECK(doc->toks[2].term == doc->toks[1].term);
    CHECK(doc->toks[3].term == doc->toks[1].term);
    CHECK(doc->toks[0].hash != doc->toks[1].hash);
    CHECK(doc->toks[0].hash == doc->toks[2].hash);
    CHECK(doc->toks[1].term != 0);
    dp_doc_free(doc);
}

TEST(tok_stems_share_terms)
{
    dp_doc *doc = mk("running runs run meeting meetings connection connected");
    REQUIRE(doc);
    REQUIRE(dp_doc_words(doc) == 7);
    CHECK(doc->toks[0].term == doc->toks[1].term);
    CHECK(doc->toks[1].term == doc->toks[2].term);
    CHECK(doc->toks[3].term == doc->toks[4].term);
    CHECK(doc->toks[5].term == doc->toks[6].term);
    CHECK(doc->toks[2].term == XXH3_64bits("run", 3));
    CHECK(doc->toks[0].term != doc->toks[3].term);
    dp_doc_free(doc);
}

TEST(tok_stopword_flags)
{
    dp_doc *doc =
        mk("The cat and THE hat, isn\xE2\x80\x99t it? US officials told us");
    dp_token t;
    REQUIRE(doc);
    REQUIRE(dp_doc_words(doc) == 11);
    REQUIRE(dp_doc_token(doc, 0, &t) == DP_OK);
    CHECK(t.flags & DP_TOK_STOP);
    CHECK(t.flags & DP_TOK_CAPITAL);
    CHECK_EQ(t.term, 0);
    CHECK(!(doc->toks[1].flags & DP_TOK_STOP));
    CHECK(doc->toks[1].term != 0);
    CHECK(doc->toks[2].flags & DP_TOK_STOP);
    CHECK(doc->toks[3].flags & DP_TOK_STOP);
    CHECK(doc->toks[5].flags & DP_TOK_STOP); /* isn't */
    CHECK(doc->toks[6].flags & DP_TOK_STOP);
    /* "US" the country is a content word; "us" the pronoun is not. */
    CHECK(!(doc->toks[7].flags & DP_TOK_STOP));
    CHECK(doc->toks[7].term != 0);
    CHECK(doc->toks[10].flags & DP_TOK_STOP);
    CHECK_EQ(doc->toks[10].term, 0);
    dp_doc_free(doc);
}

TEST(tok_long_word_keeps_own_term)
{
    size_t n = 1 << 20;
    char *buf = malloc(n);
    dp_doc *doc = NULL;
    REQUIRE(buf);
    memset(buf, 'a', n);
    REQUIRE(dp_doc_create(buf, n, NULL, &doc, NULL) == DP_OK);
    CHECK_EQ(dp_doc_words(doc), 1);
    CHECK_EQ(doc->toks[0].end, n);
    CHECK(doc->toks[0].term == doc->toks[0].hash);
    CHECK_EQ(dp_doc_sentences(doc), 1);
    dp_doc_free(doc);
    free(buf);
}

TEST(tok_other_language_has_no_stopwords)
{
    dp_text_opts o;
    dp_doc *doc;
    dp_error err;
    dp_text_opts_init(&o);
    o.language = "french";
    REQUIRE(dp_doc_create("les chats et le chat", 20, &o, &doc, NULL) == DP_OK);
    REQUIRE(dp_doc_words(doc) == 5);
    CHECK(!(doc->toks[0].flags & DP_TOK_STOP));
    CHECK(doc->toks[0].term != 0);
    CHECK(doc->toks[1].term == doc->toks[4].term); /* chats ~ chat */
    dp_doc_free(doc);

    o.language = "klingon";
    CHECK_EQ(dp_doc_create("x", 1, &o, &doc, &err), DP_ESTEM);
    CHECK(doc == NULL);
    CHECK(strstr(err.message, "klingon") != NULL);
}

TEST(tok_spans_reparse_to_same_token)
{
    /* Every token's original bytes, tokenised alone, give that token. */
    static const char in[] =
        "\xE2\x80\x9C\xEF\xAC\x81nal\xE2\x80\x9D Stra\xC3\x9F"
        "e\r\n"
        "e\xCC\x81t\xC3\xA9 \xEF\xBC\xA1\xEF\xBC\xA2 1,000.5 \xE6\x9D\xB1"
        "\xE4\xBA\xAC \xE2\x80\x98q\xE2\x80\x99 x\xC2\xB2 l\xE2\x80\x99"
        "eau";
    dp_doc *doc = mk(in);
    size_t i;
    REQUIRE(doc);
    CHECK_EQ(dp_doc_words(doc), 10);
    for (i = 0; i < doc->ntoks; i++) {
        dp_doc *one = NULL;
        const dp_tok *t = &doc->toks[i];
        REQUIRE(dp_doc_create(doc->orig + t->start, t->end - t->start, NULL,
                              &one, NULL) == DP_OK);
        CHECK_EQ(dp_doc_words(one), 1);
        if (dp_doc_words(one) == 1) {
            CHECK(one->toks[0].hash == t->hash);
            CHECK_EQ(one->toks[0].start, 0);
            CHECK_EQ(one->toks[0].end, t->end - t->start);
        }
        dp_doc_free(one);
    }
    dp_doc_free(doc);
}

TEST(tok_never_splits_one_original_character)
{
    /* ½ expands to "1⁄2": one token, not two sharing one span. ⑴ expands
     * to "(1)": the token is "1" and its span is the whole ⑴. */
    dp_doc *doc = mk("\xC2\xBD cup \xE2\x91\xB4 item \xE6\x9D\xB1\xE1\x85\xA1");
    REQUIRE(doc);
    SPANS(doc, "\xC2\xBD", "cup", "\xE2\x91\xB4", "item", "\xE6\x9D\xB1",
          "\xE1\x85\xA1");
    NTOK(doc, 0,
         "1\xE2\x81\x84"
         "2");
    NTOK(doc, 2, "1");
    dp_doc_free(doc);
}
