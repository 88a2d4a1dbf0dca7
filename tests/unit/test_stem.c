/*
 * test_stem.c - Snowball stems, the possessive rule, the English stopword
 * set and the term each token gets.
 */
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../test.h"
#include "text/text.h"

static void check_stem(dp_stemmer *st, const char *w, const char *want,
                       const char *file, int line)
{
    const char *s = NULL;
    size_t n = 0;
    if (dpi_stem_word(st, w, strlen(w), &s, &n) != DP_OK) {
        dp_test_fail(file, line, "dpi_stem_word(\"%s\") failed", w);
        return;
    }
    if (n != strlen(want) || memcmp(s, want, n) != 0)
        dp_test_fail(file, line, "stem(\"%s\") = \"%.*s\", want \"%s\"", w,
                     (int)n, s, want);
}
#define STEM(st, w, want) check_stem(st, w, want, __FILE__, __LINE__)

TEST(stem_english_words)
{
    dp_stemmer *st = NULL;
    REQUIRE(dpi_stem_open("english", &st, NULL) == DP_OK);
    STEM(st, "running", "run");
    STEM(st, "meetings", "meet");
    STEM(st, "officials", "offici");
    STEM(st, "taliban's", "taliban");
    STEM(st, "taliban", "taliban");
    STEM(st, "zawahiri's", "zawahiri");
    STEM(st, "s", "s");
    STEM(st, "caf\xC3\xA9s", "caf\xC3\xA9");
    dpi_stem_close(st);
}

TEST(stem_default_language_is_english)
{
    dp_stemmer *st = NULL;
    REQUIRE(dpi_stem_open(NULL, &st, NULL) == DP_OK);
    STEM(st, "connected", "connect");
    dpi_stem_close(st);
    REQUIRE(dpi_stem_open("en", &st, NULL) == DP_OK);
    STEM(st, "connections", "connect");
    dpi_stem_close(st);
}

TEST(stem_other_languages)
{
    dp_stemmer *st = NULL;
    REQUIRE(dpi_stem_open("german", &st, NULL) == DP_OK);
    STEM(st, "h\xC3\xA4user", "haus");
    dpi_stem_close(st);
    REQUIRE(dpi_stem_open("french", &st, NULL) == DP_OK);
    STEM(st, "chats", "chat");
    /* No possessive rule outside English. */
    STEM(st, "l'homme", "l'homm");
    dpi_stem_close(st);
}

TEST(stem_unknown_language_is_estem)
{
    dp_stemmer *st = (dp_stemmer *)1;
    dp_error err;
    CHECK_EQ(dpi_stem_open("klingon", &st, &err), DP_ESTEM);
    CHECK(st == NULL);
    CHECK_EQ(err.code, DP_ESTEM);
    dpi_stem_close(NULL);
}

TEST(stem_stop_list_size_and_lookup)
{
    static const char *const stop[] = {
        "the",   "a",    "and",   "of",      "is",    "s", "t",
        "don't", "it's", "we're", "himself", "would", NULL};
    static const char *const content[] = {"taliban", "cat",    "meeting", "us2",
                                          "kabul",   "report", "",        NULL};
    size_t i;
    CHECK(dpi_stop_count() >= 150 && dpi_stop_count() <= 200);
    for (i = 0; stop[i]; i++)
        CHECK(dpi_stop_english(XXH3_64bits(stop[i], strlen(stop[i]))));
    for (i = 0; content[i]; i++)
        CHECK(!dpi_stop_english(XXH3_64bits(content[i], strlen(content[i]))));
    CHECK(!dpi_stop_english(0));
}

TEST(stem_terms_cache_agrees_with_direct)
{
    /* The same word many times, mixed with others, keeps one term. */
    static const char text[] = "Meeting meeting MEETINGS the meeting us US "
                               "meeting 42 42";
    dp_doc *doc;
    size_t i;
    REQUIRE(dp_doc_create(text, sizeof text - 1, NULL, &doc, NULL) == DP_OK);
    REQUIRE(dp_doc_words(doc) == 10);
    for (i = 1; i < 8; i++)
        if (i != 3 && i != 5 && i != 6)
            CHECK(doc->toks[i].term == doc->toks[0].term);
    CHECK(doc->toks[0].term == XXH3_64bits("meet", 4));
    CHECK_EQ(doc->toks[3].term, 0);
    CHECK_EQ(doc->toks[5].term, 0);
    CHECK(doc->toks[6].term == XXH3_64bits("us", 2));
    CHECK(doc->toks[8].term == XXH3_64bits("42", 2));
    CHECK(doc->toks[9].term == doc->toks[8].term);
    dp_doc_free(doc);
}

TEST(stem_many_distinct_words)
{
    /* Enough distinct words to make the term cache grow several times. */
    size_t n = 20000, i, len = 0;
    char *buf = malloc(n * 12);
    dp_doc *doc;
    REQUIRE(buf);
    for (i = 0; i < n; i++) {
        size_t j, v = i;
        buf[len++] = 'w';
        for (j = 0; j < 4; j++) {
            buf[len++] = (char)('a' + v % 26);
            v /= 26;
        }
        buf[len++] = 's';
        buf[len++] = ' ';
    }
    REQUIRE(dp_doc_create(buf, len, NULL, &doc, NULL) == DP_OK);
    REQUIRE(dp_doc_words(doc) == n);
    for (i = 0; i < n; i += 997) {
        const char *s;
        size_t sl;
        dp_stemmer *st;
        const dp_tok *t = &doc->toks[i];
        REQUIRE(dpi_stem_open("english", &st, NULL) == DP_OK);
        REQUIRE(dpi_stem_word(st, doc->norm + t->nstart, t->nend - t->nstart,
                              &s, &sl) == DP_OK);
        CHECK(t->term == XXH3_64bits(s, sl));
        dpi_stem_close(st);
    }
    dp_doc_free(doc);
    free(buf);
}
