/*
 * test_json.c - dp_comparison_json() (src/report/json.c): the output is
 * parsed back with jansson and every field is checked, by type and value,
 * against the accessors it reports; also NULL names, argument errors,
 * rounding, and names or added text that are not valid UTF-8.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "doppel.h"

typedef struct fixture {
    char *text[2];
    size_t len[2];
    dp_doc *doc[2];
    dp_comparison *c;
} fixture;

static int fx_make(fixture *f, char *a, size_t la, char *b, size_t lb,
                   const dp_text_opts *o)
{
    memset(f, 0, sizeof *f);
    f->text[0] = a;
    f->text[1] = b;
    f->len[0] = la;
    f->len[1] = lb;
    return a && b && dp_doc_create(a, la, o, &f->doc[0], NULL) == DP_OK &&
           dp_doc_create(b, lb, o, &f->doc[1], NULL) == DP_OK &&
           dp_compare(f->doc[0], f->doc[1], NULL, &f->c) == DP_OK;
}

static void fx_free(fixture *f)
{
    int w;
    dp_comparison_free(f->c);
    for (w = 0; w < 2; w++) {
        dp_doc_free(f->doc[w]);
        free(f->text[w]);
    }
}

static int fx_seeds(fixture *f)
{
    char pa[1024], pb[1024];
    size_t la = 0, lb = 0;
    char *a, *b;
    snprintf(pa, sizeof pa, "%s/seeds/000_150493159232f54a.txt",
             dp_test_shared());
    snprintf(pb, sizeof pb, "%s/seeds/001_64c48dc445758d8a.txt",
             dp_test_shared());
    a = dp_test_slurp(pa, &la);
    b = dp_test_slurp(pb, &lb);
    return fx_make(f, a, la, b, lb, NULL);
}

/* The value rounded as the schema says. */
static double r4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

static int is_int(const json_t *o, const char *k, long long want)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) == want;
}

static int is_num(const json_t *o, const char *k, double want)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) && fabs(json_number_value(v) - r4(want)) < 1e-9;
}

/* Check the whole JSON document against the accessors of @f. */
static void check_against(const fixture *f, const char *text, const char *na,
                          const char *nb)
{
    json_error_t err;
    json_t *root = json_loads(text, 0, &err), *x;
    const dp_scores *s = dp_comparison_scores(f->c);
    size_t i, k;
    int w;

    REQUIRE(root != NULL);
    REQUIRE(json_is_object(root));
    for (w = 0; w < 2; w++) {
        const char *name = w ? nb : na;
        json_t *d = json_object_get(root, w ? "b" : "a");
        REQUIRE(json_is_object(d));
        if (name)
            CHECK_STR(json_string_value(json_object_get(d, "path")), name);
        else
            CHECK(json_is_null(json_object_get(d, "path")));
        CHECK(is_int(d, "bytes", (long long)f->len[w]));
        CHECK(is_int(d, "words", (long long)dp_doc_words(f->doc[w])));
        CHECK(is_int(d, "sentences", (long long)dp_doc_sentences(f->doc[w])));
    }
    x = json_object_get(root, "scores");
    REQUIRE(json_is_object(x));
    CHECK(is_num(x, "jaccard", s->jaccard));
    CHECK(is_num(x, "containment_a_in_b", s->containment_a_in_b));
    CHECK(is_num(x, "containment_b_in_a", s->containment_b_in_a));
    CHECK(is_num(x, "same_story", s->same_story));

    x = json_object_get(root, "passages");
    REQUIRE(json_is_array(x));
    CHECK_EQ(json_array_size(x), dp_comparison_passages(f->c));
    for (i = 0; i < json_array_size(x); i++) {
        const json_t *p = json_array_get(x, i);
        const dp_passage *q = dp_comparison_passage(f->c, i);
        REQUIRE(q && json_is_object(p));
        CHECK(is_int(p, "a_start", (long long)q->a.start));
        CHECK(is_int(p, "a_end", (long long)q->a.end));
        CHECK(is_int(p, "b_start", (long long)q->b.start));
        CHECK(is_int(p, "b_end", (long long)q->b.end));
        CHECK(is_int(p, "words", (long long)q->words));
    }

    x = json_object_get(root, "sentences");
    REQUIRE(json_is_object(x));
    for (w = 0; w < 2; w++) {
        const json_t *arr = json_object_get(x, w ? "b" : "a");
        REQUIRE(json_is_array(arr));
        CHECK_EQ(json_array_size(arr), dp_doc_sentences(f->doc[w]));
        for (i = 0; i < json_array_size(arr); i++) {
            const json_t *o = json_array_get(arr, i), *part, *added, *spans;
            const dp_sentence_diff *d = dp_comparison_sentence(f->c, w, i);
            static const char *names[] = {"unique", "copied", "rewritten"};
            REQUIRE(d && json_is_object(o));
            CHECK(is_int(o, "start", (long long)d->span.start));
            CHECK(is_int(o, "end", (long long)d->span.end));
            CHECK_STR(json_string_value(json_object_get(o, "status")),
                      names[d->status]);
            part = json_object_get(o, "partner");
            if (d->partner < 0)
                CHECK(json_is_null(part));
            else
                CHECK(json_is_integer(part) &&
                      json_integer_value(part) == d->partner);
            CHECK(is_num(o, "similarity", d->similarity));
            CHECK(is_num(o, "coverage", d->coverage));
            added = json_object_get(o, "added");
            spans = json_object_get(o, "added_spans");
            REQUIRE(json_is_array(added) && json_is_array(spans));
            CHECK_EQ(json_array_size(added), d->nadded);
            CHECK_EQ(json_array_size(spans), d->nadded);
            for (k = 0; k < d->nadded && k < json_array_size(added); k++) {
                const json_t *str = json_array_get(added, k);
                const json_t *sp = json_array_get(spans, k);
                const dp_span *a = &d->added[k];
                REQUIRE(json_is_string(str) && json_is_array(sp));
                CHECK(json_integer_value(json_array_get(sp, 0)) ==
                      (json_int_t)a->start);
                CHECK(json_integer_value(json_array_get(sp, 1)) ==
                      (json_int_t)a->end);
                CHECK_MEM(f->text[w] + a->start, a->end - a->start,
                          json_string_value(str));
            }
        }
    }
    /* no "text" fields: offsets only */
    CHECK(strstr(text, "\"text\"") == NULL);
    json_decref(root);
}

TEST(json_round_trip_seeds)
{
    fixture f;
    char *out = NULL;
    size_t len = 0;
    REQUIRE(fx_seeds(&f));
    REQUIRE(dp_comparison_json(f.c, "seeds/000.txt", "seeds/001.txt", &out,
                               &len) == DP_OK);
    REQUIRE(out != NULL);
    CHECK_EQ(len, strlen(out));
    CHECK(len > 0 && out[len - 1] == '}'); /* no trailing newline */
    check_against(&f, out, "seeds/000.txt", "seeds/001.txt");
    /* the reader's view: Tom West appears as a string in "added" */
    CHECK(strstr(out, "\"Tom West\"") != NULL);
    dp_free(out);
    fx_free(&f);
}

TEST(json_null_names_and_small_docs)
{
    fixture f;
    char *out = NULL;
    const char *a = "Alpha bravo charlie delta echo foxtrot golf hotel.";
    const char *b = "Zulu. Alpha bravo charlie delta echo foxtrot golf hotel.";
    REQUIRE(fx_make(&f, strdup(a), strlen(a), strdup(b), strlen(b), NULL));
    REQUIRE(dp_comparison_json(f.c, NULL, NULL, &out, NULL) == DP_OK);
    check_against(&f, out, NULL, NULL);
    dp_free(out);
    fx_free(&f);
}

TEST(json_key_order_and_shape)
{
    fixture f;
    char *out = NULL;
    const char *a = "The mayor opened the bridge on Sunday in Springfield.";
    REQUIRE(fx_make(&f, strdup(a), strlen(a), strdup(a), strlen(a), NULL));
    REQUIRE(dp_comparison_json(f.c, "x", "y", &out, NULL) == DP_OK);
    /* keys in the documented order; compact output */
    CHECK(strncmp(out, "{\"a\":{\"path\":\"x\",\"bytes\":", 25) == 0);
    CHECK(strstr(out, "\"scores\":{\"jaccard\":1.0,") != NULL);
    CHECK(strstr(out, "\"status\":\"copied\",\"partner\":0,") != NULL);
    CHECK(strstr(out, "\n") == NULL);
    dp_free(out);
    fx_free(&f);
}

TEST(json_scores_rounded_to_four_decimals)
{
    fixture f;
    char *out = NULL;
    json_t *root;
    double j;
    REQUIRE(fx_make(&f, strdup("alpha bravo charlie delta echo foxtrot"), 38,
                    strdup("alpha bravo charlie delta echo golf hotel"), 41,
                    NULL));
    REQUIRE(dp_comparison_json(f.c, "a", "b", &out, NULL) == DP_OK);
    CHECK(strstr(out, "\"containment_b_in_a\":0.3333,") != NULL);
    root = json_loads(out, 0, NULL);
    REQUIRE(root);
    j = json_real_value(
        json_object_get(json_object_get(root, "scores"), "jaccard"));
    CHECK(j == 0.25);
    json_decref(root);
    dp_free(out);
    fx_free(&f);
}

TEST(json_invalid_utf8_is_replaced_not_dropped)
{
    /* a document read with replacement, and a file name in Latin-1 */
    static const char a[] =
        "The caf\xE9 owner Marie D\xFCpont opened on Sunday.";
    static const char b[] = "Nothing in common at all here.";
    dp_text_opts o;
    fixture f;
    char *out = NULL;
    json_t *root;
    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    REQUIRE(fx_make(&f, strdup(a), strlen(a), strdup(b), strlen(b), &o));
    REQUIRE(dp_comparison_json(f.c, "caf\xE9.txt", "b.txt", &out, NULL) ==
            DP_OK);
    root = json_loads(out, 0, NULL);
    REQUIRE(root != NULL);
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(root, "a"), "path")),
        "caf\xEF\xBF\xBD.txt");
    json_decref(root);
    dp_free(out);
    fx_free(&f);
}

TEST(json_added_text_with_invalid_utf8)
{
    static const char a[] = "Police said the old bridge closed on Sunday after "
                            "the storm.";
    static const char b[] = "Police said the old bridge closed on Sunday after "
                            "the storm, according to Marie D\xFCpont.";
    dp_text_opts o;
    fixture f;
    char *out = NULL;
    const dp_sentence_diff *d;
    json_t *root;
    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    REQUIRE(fx_make(&f, strdup(a), strlen(a), strdup(b), strlen(b), &o));
    d = dp_comparison_sentence(f.c, 1, 0);
    REQUIRE(d && d->partner == 0);
    REQUIRE(dp_comparison_json(f.c, "a", "b", &out, NULL) == DP_OK);
    /* U+FFFD ends a token, so an added span never holds the bad byte;
     * the output stays valid JSON either way */
    CHECK(strstr(out, "\"Marie\"") != NULL);
    root = json_loads(out, 0, NULL);
    CHECK(root != NULL);
    json_decref(root);
    check_against(&f, out, "a", "b");
    dp_free(out);
    fx_free(&f);
}

TEST(json_invalid_arguments)
{
    char *out = (char *)"sentinel";
    size_t len = 7;
    CHECK_EQ(dp_comparison_json(NULL, "a", "b", &out, &len), DP_EINVAL);
    CHECK(out == NULL);
    CHECK_EQ(len, 0);
}
