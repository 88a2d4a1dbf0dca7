/*
 * test_score.c - the scores of a comparison (src/story/score.c): known
 * answers for shingle Jaccard and containment worked out by hand, set
 * semantics, documents shorter than k, empty and identical documents, and
 * the same-story score on real data: the seeds against unrelated Reuters
 * articles, and the Clough & Stevenson categories in order.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "doppel.h"

static dp_doc *mkdoc(const char *text)
{
    dp_doc *d = NULL;
    if (dp_doc_create(text, strlen(text), NULL, &d, NULL) != DP_OK)
        return NULL;
    return d;
}

/* Compare two texts with shingle width @k; fills *s. Returns 0 on failure. */
static int scores_of(const char *a, const char *b, unsigned k, dp_scores *s)
{
    dp_doc *da = mkdoc(a), *db = mkdoc(b);
    dp_comparison *c = NULL;
    dp_compare_opts o;
    int ok = 0;
    dp_compare_opts_init(&o);
    o.shingle_k = k;
    if (da && db && dp_compare(da, db, &o, &c) == DP_OK) {
        *s = *dp_comparison_scores(c);
        ok = 1;
    }
    dp_comparison_free(c);
    dp_doc_free(da);
    dp_doc_free(db);
    return ok;
}

TEST(score_jaccard_known_answer)
{
    /* A: 6 words -> shingles {a..e, b..f}; B: 7 words -> {a..e, b..e+g,
     * c..h}. One shared: J = 1/4, A in B = 1/2, B in A = 1/3. */
    dp_scores s;
    REQUIRE(scores_of("alpha bravo charlie delta echo foxtrot",
                      "alpha bravo charlie delta echo golf hotel", 5, &s));
    CHECK_NEAR(s.jaccard, 0.25, 1e-12);
    CHECK_NEAR(s.containment_a_in_b, 0.5, 1e-12);
    CHECK_NEAR(s.containment_b_in_a, 1.0 / 3.0, 1e-12);
}

TEST(score_shingles_are_sets)
{
    /* A repeats one bigram pair: S(A) = {xy, yx}; S(B) = {xy}. */
    dp_scores s;
    REQUIRE(scores_of("kiwi mango kiwi mango kiwi mango kiwi mango",
                      "kiwi mango", 2, &s));
    CHECK_NEAR(s.jaccard, 0.5, 1e-12);
    CHECK_NEAR(s.containment_a_in_b, 0.5, 1e-12);
    CHECK_NEAR(s.containment_b_in_a, 1.0, 1e-12);
}

TEST(score_k1_is_word_set_jaccard)
{
    /* k = 1: word sets {a,b,c} and {b,c,d}: J = 2/4. Case and curly
     * quotes do not matter (normalised tokens). */
    dp_scores s;
    REQUIRE(scores_of("Apple banana cherry", "banana CHERRY date", 1, &s));
    CHECK_NEAR(s.jaccard, 0.5, 1e-12);
    CHECK_NEAR(s.containment_a_in_b, 2.0 / 3.0, 1e-12);
}

TEST(score_short_document_uses_its_length)
{
    /* A has 2 words < k = 5: both sides are shingled with k' = 2, so A
     * (one bigram) lies wholly inside B (five bigrams). */
    dp_scores s;
    REQUIRE(
        scores_of("alpha bravo", "zulu alpha bravo charlie delta echo", 5, &s));
    CHECK_NEAR(s.containment_a_in_b, 1.0, 1e-12);
    CHECK_NEAR(s.containment_b_in_a, 0.2, 1e-12);
    CHECK_NEAR(s.jaccard, 0.2, 1e-12);
    /* and a short text not in the other scores 0, not NaN */
    REQUIRE(scores_of("alpha zulu", "alpha bravo charlie delta echo", 5, &s));
    CHECK_NEAR(s.jaccard, 0.0, 0.0);
    CHECK(s.same_story >= 0.0 && s.same_story <= 1.0);
}

TEST(score_empty_documents_are_zero_not_nan)
{
    dp_scores s;
    REQUIRE(scores_of("", "alpha bravo charlie", 5, &s));
    CHECK_NEAR(s.jaccard, 0.0, 0.0);
    CHECK_NEAR(s.containment_a_in_b, 0.0, 0.0);
    CHECK_NEAR(s.containment_b_in_a, 0.0, 0.0);
    CHECK_NEAR(s.same_story, 0.0, 0.0);
    REQUIRE(scores_of("...", "!!!", 5, &s));
    CHECK_NEAR(s.jaccard, 0.0, 0.0);
    CHECK_NEAR(s.same_story, 0.0, 0.0);
}

TEST(score_identical_and_disjoint)
{
    const char *t = "The council approved the new budget on Tuesday. "
                    "Mayor Ann Lee said 42 projects would start in May.";
    dp_scores s;
    REQUIRE(scores_of(t, t, 5, &s));
    CHECK_NEAR(s.jaccard, 1.0, 1e-12);
    CHECK_NEAR(s.containment_a_in_b, 1.0, 1e-12);
    CHECK_NEAR(s.containment_b_in_a, 1.0, 1e-12);
    CHECK(s.same_story > 0.99);
    REQUIRE(scores_of(t,
                      "Glaciers retreat quickly. Penguins swim far "
                      "south every winter.",
                      5, &s));
    CHECK_NEAR(s.jaccard, 0.0, 0.0);
    CHECK(s.same_story < 0.1);
}

/* ---- real data ---------------------------------------------------- */

static char *seed(int which, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/seeds/%s", dp_test_shared(),
             which ? "001_64c48dc445758d8a.txt" : "000_150493159232f54a.txt");
    return dp_test_slurp(path, len);
}

/* The text of Reuters article @id from the shared JSONL (malloc'd). */
static char *reuters(const char *id)
{
    char path[1024], needle[64], *line = NULL, *out = NULL;
    size_t cap = 0;
    FILE *f;
    snprintf(path, sizeof path, "%s/data/reuters21578/reuters.jsonl",
             dp_test_shared());
    snprintf(needle, sizeof needle, "\"id\": \"%s\"", id);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    while (getline(&line, &cap, f) > 0) {
        json_t *j;
        if (!strstr(line, needle))
            continue;
        j = json_loads(line, 0, NULL);
        if (j && json_is_string(json_object_get(j, "text")))
            out = strdup(json_string_value(json_object_get(j, "text")));
        json_decref(j);
        break;
    }
    free(line);
    fclose(f);
    return out;
}

static double same_story(const char *a, size_t la, const char *b, size_t lb)
{
    dp_doc *da = NULL, *db = NULL;
    dp_comparison *c = NULL;
    double s = -1.0;
    if (dp_doc_create(a, la, NULL, &da, NULL) == DP_OK &&
        dp_doc_create(b, lb, NULL, &db, NULL) == DP_OK &&
        dp_compare(da, db, NULL, &c) == DP_OK)
        s = dp_comparison_scores(c)->same_story;
    dp_comparison_free(c);
    dp_doc_free(da);
    dp_doc_free(db);
    return s;
}

TEST(score_same_story_seeds_above_unrelated_news)
{
    /* unrelated Reuters articles: cocoa, grain, a company result, oil,
     * money markets */
    static const char *ids[] = {"reuters-1", "reuters-5", "reuters-9",
                                "reuters-28", "reuters-1008"};
    size_t la, lb, i;
    char *a = seed(0, &la), *b = seed(1, &lb);
    double ab, worst = 0.0;
    REQUIRE(a && b);
    ab = same_story(a, la, b, lb);
    CHECK(ab >= 0.9);
    for (i = 0; i < sizeof ids / sizeof *ids; i++) {
        char *r = reuters(ids[i]);
        double x, y;
        CHECK(r != NULL);
        if (!r)
            continue;
        x = same_story(a, la, r, strlen(r));
        y = same_story(b, lb, r, strlen(r));
        CHECK(x >= 0.0 && y >= 0.0);
        worst = x > worst ? x : worst;
        worst = y > worst ? y : worst;
        free(r);
    }
    CHECK(worst < 0.2);
    CHECK(ab >= worst + 0.6);
    free(a);
    free(b);
}

/* same_story of two Reuters articles, or -1. */
static double same_story_ids(const char *ia, const char *ib)
{
    char *x = reuters(ia), *y = reuters(ib);
    double s = -1.0;
    if (x && y)
        s = same_story(x, strlen(x), y, strlen(y));
    free(x);
    free(y);
    return s;
}

TEST(score_same_story_same_topic_different_story)
{
    /* Same topic (crude oil; acquisitions), months apart: low. A re-filed
     * earnings report (same title, same day, rewritten table: few shared
     * shingles) shares its figures: high. */
    double crude = same_story_ids("reuters-8288", "reuters-21502");
    double crude2 = same_story_ids("reuters-16607", "reuters-3342");
    double acq = same_story_ids("reuters-17837", "reuters-19760");
    double refiled = same_story_ids("reuters-21300", "reuters-21447");
    double jac;
    CHECK(crude >= 0.0 && crude < 0.1);
    CHECK(crude2 >= 0.0 && crude2 < 0.1);
    CHECK(acq >= 0.0 && acq < 0.1);
    CHECK(refiled > 0.9);
    {
        char *x = reuters("reuters-21300"), *y = reuters("reuters-21447");
        dp_scores s;
        REQUIRE(x && y);
        REQUIRE(scores_of(x, y, 5, &s));
        jac = s.jaccard;
        free(x);
        free(y);
    }
    CHECK(jac < 0.1); /* few shingles match, yet the same story */
}

TEST(score_clough_stevenson_order)
{
    /* Each answer against its source: mean containment of the answer in
     * the source orders cut > light > heavy > non; same_story separates
     * the three derived categories from the independent ones. */
    static const char *cats[] = {"cut", "light", "heavy", "non"};
    double cont[4] = {0}, ss[4] = {0};
    int n[4] = {0}, k;
    char path[1024], line[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/data/clough-stevenson/labels.csv",
             dp_test_shared());
    f = fopen(path, "r");
    REQUIRE(f != NULL);
    while (fgets(line, sizeof line, f)) {
        char file[128], task[8], cat[16];
        char pa[1024], pb[1024], *ta, *tb;
        size_t la, lb;
        dp_doc *da = NULL, *db = NULL;
        dp_comparison *c = NULL;
        if (sscanf(line, "%127[^,],%*[^,],%*[^,],%7[^,],%15[^,]", file, task,
                   cat) != 3 ||
            strcmp(file, "File") == 0)
            continue;
        snprintf(pa, sizeof pa, "%s/data/clough-stevenson/corpus-20090418/%s",
                 dp_test_shared(), file);
        snprintf(pb, sizeof pb,
                 "%s/data/clough-stevenson/corpus-20090418/orig_task%s.txt",
                 dp_test_shared(), task);
        ta = dp_test_slurp(pa, &la);
        tb = dp_test_slurp(pb, &lb);
        for (k = 0; k < 4; k++)
            if (strcmp(cat, cats[k]) == 0)
                break;
        if (ta && tb && k < 4) {
            dp_text_opts o;
            dp_text_opts_init(&o);
            o.utf8 = DP_UTF8_REPLACE;
            if (dp_doc_create(ta, la, &o, &da, NULL) == DP_OK &&
                dp_doc_create(tb, lb, &o, &db, NULL) == DP_OK &&
                dp_compare(da, db, NULL, &c) == DP_OK) {
                cont[k] += dp_comparison_scores(c)->containment_a_in_b;
                ss[k] += dp_comparison_scores(c)->same_story;
                n[k]++;
            }
        }
        dp_comparison_free(c);
        dp_doc_free(da);
        dp_doc_free(db);
        free(ta);
        free(tb);
    }
    fclose(f);
    for (k = 0; k < 4; k++) {
        REQUIRE(n[k] > 0);
        cont[k] /= n[k];
        ss[k] /= n[k];
    }
    CHECK(cont[0] > cont[1]);
    CHECK(cont[1] > cont[2]);
    CHECK(cont[2] > cont[3]);
    for (k = 0; k < 3; k++)
        CHECK(ss[k] > ss[3] + 0.5);
    CHECK(ss[3] < 0.2);
}
