/*
 * test_doc.c - the public document API: options, argument checks,
 * accessors, ownership, and offsets that print back the original text on
 * the seeds and on multi-byte, curly-quoted, CRLF input.
 */
#include <stdlib.h>

#include "../test.h"
#include "doppel.h"
#include "text/doc.h"

TEST(doc_opts_defaults)
{
    dp_text_opts o;
    memset(&o, 0x55, sizeof o);
    dp_text_opts_init(&o);
    CHECK_EQ(o.utf8, DP_UTF8_REJECT);
    CHECK_STR(o.language, "english");
    CHECK_EQ(o.allow_binary, 0);
    dp_text_opts_init(NULL); /* harmless */
}

TEST(doc_bad_arguments)
{
    dp_doc *doc = (dp_doc *)1;
    dp_text_opts o;
    dp_error err;
    CHECK_EQ(dp_doc_create("x", 1, NULL, NULL, NULL), DP_EINVAL);
    CHECK_EQ(dp_doc_create(NULL, 3, NULL, &doc, &err), DP_EINVAL);
    CHECK(doc == NULL);
    CHECK_EQ(err.code, DP_EINVAL);
    dp_text_opts_init(&o);
    o.utf8 = (dp_utf8_mode)7;
    CHECK_EQ(dp_doc_create("x", 1, &o, &doc, NULL), DP_EINVAL);
    /* NULL text with zero length is an empty document. */
    REQUIRE(dp_doc_create(NULL, 0, NULL, &doc, NULL) == DP_OK);
    CHECK_EQ(dp_doc_words(doc), 0);
    dp_doc_free(doc);
    dp_doc_free(NULL);
}

TEST(doc_accessors_and_ranges)
{
    static const char text[] = "Hello there. General Kenobi!";
    dp_doc *doc;
    dp_token t;
    dp_span sp;
    size_t len, b, e;
    const char *s;

    REQUIRE(dp_doc_create(text, sizeof text - 1, NULL, &doc, NULL) == DP_OK);
    s = dp_doc_text(doc, &len);
    CHECK_MEM(s, len, text);
    CHECK_EQ(s[len], '\0');
    s = dp_doc_normalised(doc, &len);
    CHECK_MEM(s, len, "hello there. general kenobi!");
    CHECK_EQ(dp_doc_words(doc), 4);
    CHECK_EQ(dp_doc_sentences(doc), 2);
    CHECK_EQ(dp_doc_token(doc, 4, &t), DP_EINVAL);
    CHECK_EQ(dp_doc_token(doc, 0, NULL), DP_EINVAL);
    REQUIRE(dp_doc_token(doc, 3, &t) == DP_OK);
    CHECK_MEM(text + t.span.start, t.span.end - t.span.start, "Kenobi");
    CHECK(t.flags & DP_TOK_WORD);
    CHECK(t.flags & DP_TOK_CAPITAL);
    CHECK_EQ(dp_doc_sentence(doc, 2, &sp, &b, &e), DP_EINVAL);
    REQUIRE(dp_doc_sentence(doc, 1, &sp, &b, &e) == DP_OK);
    CHECK_MEM(text + sp.start, sp.end - sp.start, "General Kenobi!");
    CHECK_EQ(b, 2);
    CHECK_EQ(e, 4);
    CHECK_EQ(dp_doc_sentence(doc, 0, NULL, NULL, NULL), DP_OK);
    CHECK_EQ(dp_doc_orig_offset(doc, 1000), sizeof text - 1);
    CHECK_EQ(dp_doc_replaced(doc), 0);
    dp_doc_free(doc);
    /* NULL handles are safe in accessors. */
    CHECK_EQ(dp_doc_words(NULL), 0);
    CHECK_EQ(dp_doc_sentences(NULL), 0);
    CHECK(dp_doc_text(NULL, &len) == NULL);
    CHECK_EQ(len, 0);
}

TEST(doc_keeps_its_own_copy)
{
    char *text = strdup("Copied words stay.");
    dp_doc *doc;
    size_t len;
    REQUIRE(text);
    REQUIRE(dp_doc_create(text, strlen(text), NULL, &doc, NULL) == DP_OK);
    memset(text, 'x', strlen(text));
    free(text);
    CHECK_MEM(dp_doc_text(doc, NULL), 18, "Copied words stay.");
    CHECK_MEM(dp_doc_normalised(doc, &len), 18, "copied words stay.");
    dp_doc_free(doc);
}

TEST(doc_need_not_be_nul_terminated)
{
    static const char text[] = "two words and more";
    dp_doc *doc;
    REQUIRE(dp_doc_create(text, 9, NULL, &doc, NULL) == DP_OK);
    CHECK_EQ(dp_doc_words(doc), 2);
    dp_doc_free(doc);
}

/* Every token and sentence span prints back the text it claims. */
static void check_offsets(const dp_doc *doc, const char *file, int line)
{
    size_t i, len, nlen;
    const char *orig = dp_doc_text(doc, &len);
    const char *norm = dp_doc_normalised(doc, &nlen);
    for (i = 0; i < dp_doc_words(doc); i++) {
        dp_token t;
        dp_doc *one = NULL;
        dp_doc_token(doc, i, &t);
        if (t.span.end <= t.span.start || t.span.end > len) {
            dp_test_fail(file, line, "token %zu has a bad span", i);
            return;
        }
        /* The original bytes of a token, alone, are that same token. */
        if (dp_doc_create(orig + t.span.start, t.span.end - t.span.start, NULL,
                          &one, NULL) != DP_OK ||
            dp_doc_words(one) != 1) {
            dp_test_fail(file, line, "token %zu (\"%.*s\") does not reparse", i,
                         (int)(t.span.end - t.span.start), orig + t.span.start);
        } else {
            dp_token u;
            dp_doc_token(one, 0, &u);
            if (u.hash != t.hash)
                dp_test_fail(file, line, "token %zu reparses differently", i);
        }
        dp_doc_free(one);
    }
    for (i = 0; i < dp_doc_sentences(doc); i++) {
        dp_span sp;
        size_t b, e;
        dp_token first, last;
        dp_doc_sentence(doc, i, &sp, &b, &e);
        dp_doc_token(doc, b, &first);
        dp_doc_token(doc, e - 1, &last);
        if (sp.start > first.span.start || sp.end < last.span.end ||
            sp.end > len)
            dp_test_fail(file, line, "sentence %zu does not hold its tokens",
                         i);
        /* No sentence starts or ends with whitespace. */
        if (strchr(" \t\r\n", orig[sp.start]) ||
            strchr(" \t\r\n", orig[sp.end - 1]))
            dp_test_fail(file, line, "sentence %zu has edge whitespace", i);
    }
    (void)norm;
}

TEST(doc_offsets_on_seeds)
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
        CHECK(dp_doc_words(doc) > 350);
        CHECK(dp_doc_sentences(doc) > 10);
        check_offsets(doc, __FILE__, __LINE__);
        dp_doc_free(doc);
        free(text);
    }
}

TEST(doc_offsets_multibyte_curly_crlf)
{
    static const char text[] =
        "\xE2\x80\x9C"
        "Caf\xC3\xA9 ow\xC3\xB1"
        "er\xE2\x80\x99s ca\xC3\xB1"
        "on,\xE2\x80\x9D "
        "she said.\r\n\r\nThe \xEF\xAC\x81nal \xE2\x80\x94 e\xCC\x81t\xC3\xA9 "
        "\xE6\x9D\xB1\xE4\xBA\xAC! "
        "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 "
        "(\xCE\xB1\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1).\r\nEnd\xE2\x80\xA6\r\n";
    dp_doc *doc;
    dp_span sp;
    REQUIRE(dp_doc_create(text, sizeof text - 1, NULL, &doc, NULL) == DP_OK);
    check_offsets(doc, __FILE__, __LINE__);
    REQUIRE(dp_doc_sentences(doc) == 4);
    dp_doc_sentence(doc, 0, &sp, NULL, NULL);
    CHECK_MEM(text + sp.start, sp.end - sp.start,
              "\xE2\x80\x9C"
              "Caf\xC3\xA9 ow\xC3\xB1"
              "er\xE2\x80\x99s ca\xC3\xB1"
              "on,\xE2\x80\x9D "
              "she said.");
    dp_doc_sentence(doc, 1, &sp, NULL, NULL);
    CHECK_MEM(text + sp.start, sp.end - sp.start,
              "The \xEF\xAC\x81nal \xE2\x80\x94 e\xCC\x81t\xC3\xA9 "
              "\xE6\x9D\xB1\xE4\xBA\xAC!");
    dp_doc_sentence(doc, 2, &sp, NULL, NULL);
    CHECK_MEM(text + sp.start, sp.end - sp.start,
              "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 "
              "(\xCE\xB1\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1).");
    dp_doc_sentence(doc, 3, &sp, NULL, NULL);
    CHECK_MEM(text + sp.start, sp.end - sp.start, "End\xE2\x80\xA6");
    dp_doc_free(doc);
}

TEST(doc_error_detail_untouched_on_success)
{
    dp_error err;
    dp_doc *doc;
    memset(&err, 0x7A, sizeof err);
    REQUIRE(dp_doc_create("fine", 4, NULL, &doc, &err) == DP_OK);
    CHECK_EQ(err.code, 0x7A7A7A7A);
    dp_doc_free(doc);
}

/* A tiny deterministic generator for the property test below. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

TEST(doc_random_input_keeps_invariants)
{
    /* Random mixes of ASCII, punctuation, quotes, marks, CJK, invalid
     * bytes and NULs, in replace + allow_binary mode: the pipeline must
     * accept them all, with a monotonic map, spans inside the text that
     * reparse to the same token, and sentences that partition the tokens. */
    static const char *const pieces[] = {"a",
                                         "B",
                                         "z",
                                         "7",
                                         " ",
                                         "  ",
                                         "\n",
                                         "\r\n",
                                         "\n\n",
                                         ".",
                                         "!",
                                         "?",
                                         "'",
                                         "\"",
                                         "(",
                                         ")",
                                         ",",
                                         "-",
                                         "Mr.",
                                         "U.S.",
                                         "3.5",
                                         "\xE2\x80\x9C",
                                         "\xE2\x80\x9D",
                                         "\xE2\x80\x99",
                                         "\xE2\x80\x94",
                                         "\xC3\xA9",
                                         "\xCC\x81",
                                         "\xEF\xAC\x81",
                                         "\xE6\x9D\xB1",
                                         "\xE3\x80\x82",
                                         "\xC2\xA0",
                                         "\xC2\xAD",
                                         "\xFF",
                                         "\xE2\x82",
                                         "\xC0\x80",
                                         "\xED\xA0\x80",
                                         "\0",
                                         "\xE2\x80\xA6",
                                         "\xEF\xBC\xA1",
                                         "\xE1\x84\x92",
                                         "\xE1\x85\xA1",
                                         "\xD0\x96"};
    size_t npieces = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 12345;
    char buf[600];
    int round;
    dp_text_opts o;

    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    o.allow_binary = 1;
    for (round = 0; round < 400; round++) {
        size_t len = 0, i, prev_end = 0, next_tok = 0;
        dp_doc *doc = NULL;
        while (len < 500) {
            size_t k = lcg(&seed) % npieces;
            size_t pl = (k == 36) ? 1 : strlen(pieces[k]); /* "\0" */
            memcpy(buf + len, pieces[k], pl);
            len += pl;
        }
        REQUIRE(dp_doc_create(buf, len, &o, &doc, NULL) == DP_OK);
        for (i = 0; i < doc->norm_len; i++)
            if (doc->map[i] > doc->map[i + 1]) {
                dp_test_fail(__FILE__, __LINE__, "round %d: map goes back",
                             round);
                break;
            }
        CHECK_EQ(doc->map[doc->norm_len], len);
        for (i = 0; i < doc->ntoks; i++) {
            const dp_tok *t = &doc->toks[i];
            dp_doc *one = NULL;
            if (t->start >= t->end || t->end > len ||
                (i > 0 && t->start < doc->toks[i - 1].end)) {
                dp_test_fail(__FILE__, __LINE__, "round %d: token %zu span",
                             round, i);
                break;
            }
            REQUIRE(dp_doc_create(buf + t->start, t->end - t->start, &o, &one,
                                  NULL) == DP_OK);
            if (dp_doc_words(one) != 1 || one->toks[0].hash != t->hash)
                dp_test_fail(__FILE__, __LINE__,
                             "round %d: token %zu \"%.*s\" reparses to %zu",
                             round, i, (int)(t->end - t->start), buf + t->start,
                             dp_doc_words(one));
            dp_doc_free(one);
        }
        for (i = 0; i < doc->nsents; i++) {
            const dp_sent *s = &doc->sents[i];
            if (s->tok_begin != next_tok || s->tok_end <= s->tok_begin ||
                s->start < prev_end || s->start >= s->end ||
                s->start > doc->toks[s->tok_begin].start ||
                s->end < doc->toks[s->tok_end - 1].end) {
                dp_test_fail(__FILE__, __LINE__, "round %d: sentence %zu",
                             round, i);
                break;
            }
            next_tok = s->tok_end;
            prev_end = s->end;
        }
        CHECK_EQ(next_tok, doc->ntoks);
        dp_doc_free(doc);
    }
}

/* ---- threads: documents built concurrently equal those built alone ---- */

#include <pthread.h>

typedef struct thread_job {
    const char *text;
    size_t len;
    const dp_doc *ref_en; /* reference built in the main thread */
    const dp_doc *ref_fr;
    int bad;
} thread_job;

static int same_doc(const dp_doc *a, const dp_doc *b)
{
    size_t i;
    if (a->ntoks != b->ntoks || a->nsents != b->nsents)
        return 0;
    for (i = 0; i < a->ntoks; i++)
        if (a->toks[i].hash != b->toks[i].hash ||
            a->toks[i].term != b->toks[i].term ||
            a->toks[i].flags != b->toks[i].flags ||
            a->toks[i].start != b->toks[i].start)
            return 0;
    for (i = 0; i < a->nsents; i++)
        if (a->sents[i].start != b->sents[i].start ||
            a->sents[i].end != b->sents[i].end)
            return 0;
    return 1;
}

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    dp_text_opts o;
    int i;
    dp_text_opts_init(&o);
    for (i = 0; i < 30; i++) {
        dp_doc *doc = NULL;
        o.language = (i % 3 == 2) ? "french" : "english";
        if (dp_doc_create(job->text, job->len, &o, &doc, NULL) != DP_OK ||
            !same_doc(doc, (i % 3 == 2) ? job->ref_fr : job->ref_en))
            job->bad++;
        dp_doc_free(doc);
    }
    return NULL;
}

TEST(doc_concurrent_creation_is_consistent)
{
    char path[4096];
    size_t len;
    char *text;
    dp_doc *en = NULL, *fr = NULL;
    dp_text_opts o;
    thread_job jobs[4];
    pthread_t th[4];
    int i;

    snprintf(path, sizeof path, "%s/seeds/000_150493159232f54a.txt",
             dp_test_shared());
    text = dp_test_slurp(path, &len);
    REQUIRE(text);
    dp_text_opts_init(&o);
    REQUIRE(dp_doc_create(text, len, &o, &en, NULL) == DP_OK);
    o.language = "french";
    REQUIRE(dp_doc_create(text, len, &o, &fr, NULL) == DP_OK);
    CHECK(!same_doc(en, fr)); /* different stems and stopwords */
    for (i = 0; i < 4; i++) {
        jobs[i].text = text;
        jobs[i].len = len;
        jobs[i].ref_en = en;
        jobs[i].ref_fr = fr;
        jobs[i].bad = 0;
        REQUIRE(pthread_create(&th[i], NULL, thread_main, &jobs[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(jobs[i].bad, 0);
    }
    dp_doc_free(en);
    dp_doc_free(fr);
    free(text);
}
