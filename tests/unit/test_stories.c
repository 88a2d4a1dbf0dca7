/* test_stories.c - the dp_stories API: the seeds in one story, two events
 * of one kind kept apart, ids stable across thread counts and input
 * order, explain values, dates, and the same score through dp_compare()
 * with a background table. The small corpus below is written for these
 * tests. */
#include <stdlib.h>

#include "../test.h"
#include "doppel.h"
#include "story/stories.h"

/* Two bank robberies years apart (A in Millbrook 2019, B in Oakdale
 * 2023), three rewritten reports of each, and one unrelated text. */
static const char *const texts[7] = {
    "Two masked men robbed the First Harbor Bank branch on Elm Street in "
    "Millbrook on Monday morning and escaped with about 12,000 dollars, "
    "police said. Chief Laura Benning said the men threatened a teller "
    "with a handgun and fled in a grey van toward Route 9. No one was "
    "hurt. Detectives are reviewing footage from the bank's cameras.",

    "Police in Millbrook are searching for two masked robbers who held up "
    "the First Harbor Bank on Elm Street on Monday. The men showed a "
    "handgun to a teller, took roughly 12,000 dollars and drove off in a "
    "grey van toward Route 9, Chief Laura Benning told reporters. Nobody "
    "was injured in the robbery.",

    "A grey van seen leaving the First Harbor Bank in Millbrook after "
    "Monday's armed robbery has been found burned out near Route 9, Chief "
    "Laura Benning said on Tuesday. The two masked suspects, who took "
    "about 12,000 dollars from a teller at gunpoint, are still at large. "
    "Detectives asked residents along Elm Street for camera footage.",

    "A man wearing a hard hat robbed the Granite Savings bank on Cedar "
    "Avenue in Oakdale on Friday afternoon, handing a teller a note that "
    "demanded cash, police said. Sergeant Omar Quintero said the robber "
    "left with an undisclosed amount on a blue bicycle. No weapon was "
    "seen and no one was hurt.",

    "Oakdale police are looking for a robber in a hard hat who passed a "
    "teller a demand note at the Granite Savings branch on Cedar Avenue "
    "on Friday and rode away on a blue bicycle, Sergeant Omar Quintero "
    "said. The amount taken was not disclosed. No weapon was shown and "
    "nobody was injured.",

    "Sergeant Omar Quintero said on Saturday that a blue bicycle found "
    "behind a bakery in Oakdale belonged to the man in a hard hat who "
    "robbed the Granite Savings bank on Cedar Avenue on Friday with a "
    "demand note. Police released a sketch of the robber and asked "
    "anyone who saw him to call.",

    "The county fair opens on Thursday with a pumpkin contest, a pie "
    "table and the usual tractor pull. Organisers expect record crowds "
    "if the weather holds, and the parking field behind the school will "
    "open at seven.",
};
static const char *const ids[7] = {"a1", "a2", "a3", "b1", "b2", "b3", "fair"};
static const char *const dates[7] = {"2019-03-04", "2019-03-04", "2019-03-05",
                                     "2023-08-18", "2023-08-18", "2023-08-19",
                                     "2023-09-01"};

static dp_stories *run_corpus(unsigned threads, int reverse, int with_dates)
{
    dp_stories_opts o;
    dp_stories *s = NULL;
    dp_stories_doc d[7];
    dp_status st[7];
    size_t i;
    dp_stories_opts_init(&o);
    o.threads = threads;
    if (dp_stories_create(&o, &s))
        return NULL;
    memset(d, 0, sizeof d);
    for (i = 0; i < 7; i++) {
        size_t k = reverse ? 6 - i : i;
        d[i].id = ids[k];
        d[i].id_len = strlen(ids[k]);
        d[i].text = texts[k];
        d[i].text_len = strlen(texts[k]);
        if (with_dates) {
            d[i].date = dates[k];
            d[i].date_len = strlen(dates[k]);
        }
        d[i].source = "test";
        d[i].source_len = 4;
    }
    if (dp_stories_add(s, d, 7, st) || dp_stories_run(s)) {
        dp_stories_free(s);
        return NULL;
    }
    for (i = 0; i < 7; i++)
        if (st[i]) {
            dp_stories_free(s);
            return NULL;
        }
    return s;
}

/* The cluster id of the document with id @id. */
static const char *cluster_id_of(const dp_stories *s, const char *id)
{
    long i = dp_stories_find(s, id, strlen(id));
    dp_stories_cluster c;
    if (i < 0 || dp_stories_cluster_get(
                     s, (size_t)dp_stories_cluster_of(s, (size_t)i), &c))
        return NULL;
    return c.id;
}

TEST(stories_two_events_of_one_kind_stay_apart)
{
    dp_stories *s = run_corpus(2, 0, 1);
    dp_stories_stats st;
    REQUIRE(s);
    dp_stories_stats_get(s, &st);
    CHECK_EQ(st.docs, 7);
    CHECK_EQ(st.clusters, 3);
    CHECK_EQ(st.grouped, 2);
    CHECK_STR(cluster_id_of(s, "a1"), cluster_id_of(s, "a2"));
    CHECK_STR(cluster_id_of(s, "a1"), cluster_id_of(s, "a3"));
    CHECK_STR(cluster_id_of(s, "b1"), cluster_id_of(s, "b3"));
    CHECK(strcmp(cluster_id_of(s, "a1"), cluster_id_of(s, "b1")) != 0);
    CHECK(strcmp(cluster_id_of(s, "fair"), cluster_id_of(s, "b1")) != 0);
    dp_stories_free(s);
}

TEST(stories_primary_is_earliest_and_members_ordered)
{
    dp_stories *s = run_corpus(1, 1, 1);
    dp_stories_cluster c;
    dp_stories_doc d;
    long i;
    REQUIRE(s);
    i = dp_stories_find(s, "a3", 2);
    REQUIRE(i >= 0);
    REQUIRE(dp_stories_cluster_get(
                s, (size_t)dp_stories_cluster_of(s, (size_t)i), &c) == DP_OK);
    REQUIRE(c.n == 3);
    CHECK(c.primary == c.members[0]);
    REQUIRE(dp_stories_doc_get(s, c.primary, &d) == DP_OK);
    CHECK_STR(d.id, "a1"); /* 2019-03-04, first by id among the earliest */
    REQUIRE(dp_stories_doc_get(s, c.members[2], &d) == DP_OK);
    CHECK_STR(d.id, "a3"); /* the day after */
    CHECK_STR(d.source, "test");
    CHECK_STR(d.date, "2019-03-05");
    CHECK(c.cohesion >= 0.15 && c.cohesion <= 1.0);
    dp_stories_free(s);
}

TEST(stories_ids_stable_across_threads_and_order)
{
    dp_stories *s1 = run_corpus(1, 0, 1), *s4 = run_corpus(4, 0, 1),
               *sr = run_corpus(3, 1, 1);
    size_t k;
    REQUIRE(s1 && s4 && sr);
    CHECK_EQ(dp_stories_clusters(s1), dp_stories_clusters(s4));
    CHECK_EQ(dp_stories_clusters(s1), dp_stories_clusters(sr));
    for (k = 0; k < 7; k++) {
        CHECK_STR(cluster_id_of(s1, ids[k]), cluster_id_of(s4, ids[k]));
        CHECK_STR(cluster_id_of(s1, ids[k]), cluster_id_of(sr, ids[k]));
    }
    /* clusters come in the same order: by size, then id */
    for (k = 0; k < dp_stories_clusters(s1); k++) {
        dp_stories_cluster a, b;
        REQUIRE(dp_stories_cluster_get(s1, k, &a) == DP_OK);
        REQUIRE(dp_stories_cluster_get(sr, k, &b) == DP_OK);
        CHECK_STR(a.id, b.id);
        CHECK_EQ(a.n, b.n);
        CHECK(a.id[0] == 's' && strlen(a.id) == 17);
    }
    dp_stories_free(s1);
    dp_stories_free(s4);
    dp_stories_free(sr);
}

TEST(stories_explain_gives_the_evidence)
{
    dp_stories *s = run_corpus(2, 0, 1);
    dp_stories_evidence ev;
    char *js = NULL;
    REQUIRE(s);
    REQUIRE(dp_stories_explain(s, 0, 1, &ev) == DP_OK);
    CHECK(ev.grouped);
    CHECK(ev.candidate);
    CHECK(ev.score >= ev.threshold);
    CHECK_NEAR(ev.threshold, DP_STORIES_THRESHOLD, 1e-12);
    CHECK(ev.shared_names >= 3);
    CHECK(strstr(ev.names_text, "Benning") != NULL);
    CHECK(strstr(ev.names_text, "Millbrook") != NULL);
    CHECK(strstr(ev.numbers_text, "12,000") != NULL ||
          strstr(ev.numbers_text, "9") != NULL);
    CHECK_EQ(ev.day_gap, 0);
    CHECK(strstr(ev.reason, "at or above threshold") != NULL);
    /* a1 and b1: the same kind of event four years apart */
    REQUIRE(dp_stories_explain(s, 0, 3, &ev) == DP_OK);
    CHECK(!ev.grouped);
    CHECK(ev.score < ev.threshold);
    CHECK(ev.day_gap > 1500);
    CHECK(strstr(ev.reason, "days apart") != NULL);
    CHECK(strstr(ev.dates_text, "2019-03-04") != NULL);
    REQUIRE(dp_stories_evidence_json(s, 0, 3, &ev, &js, NULL) == DP_OK);
    CHECK(strstr(js, "\"grouped\":false") != NULL);
    CHECK(strstr(js, "\"a\":\"a1\"") != NULL);
    dp_free(js);
    REQUIRE(dp_stories_cluster_json(s, 0, &js, NULL) == DP_OK);
    CHECK(strstr(js, "\"size\":3") != NULL);
    CHECK(strstr(js, "\"members\":[") != NULL);
    dp_free(js);
    CHECK(dp_stories_explain(s, 0, 99, &ev) == DP_EINVAL);
    dp_stories_free(s);
}

TEST(stories_without_dates_still_uses_the_text)
{
    /* no date fields: names and terms alone keep the events apart */
    dp_stories *s = run_corpus(2, 0, 0);
    REQUIRE(s);
    CHECK(strcmp(cluster_id_of(s, "a1"), cluster_id_of(s, "b1")) != 0);
    CHECK_STR(cluster_id_of(s, "a1"), cluster_id_of(s, "a2"));
    CHECK_STR(cluster_id_of(s, "b1"), cluster_id_of(s, "b2"));
    CHECK_EQ(dp_stories_day(s, 0), INT32_MIN);
    dp_stories_free(s);
}

TEST(stories_refuses_wordless_and_bad_options)
{
    dp_stories_opts o;
    dp_stories *s = NULL;
    dp_stories_doc d[2];
    dp_status st[2];
    dp_stories_stats stt;
    dp_stories_opts_init(&o);
    o.threshold = 1.5;
    CHECK(dp_stories_create(&o, &s) == DP_EINVAL);
    CHECK(s == NULL);
    REQUIRE(dp_stories_create(NULL, &s) == DP_OK);
    memset(d, 0, sizeof d);
    d[0].id = "x";
    d[0].id_len = 1;
    d[0].text = " ... ";
    d[0].text_len = 5;
    d[1].id = "y";
    d[1].id_len = 1;
    d[1].text = texts[0];
    d[1].text_len = strlen(texts[0]);
    REQUIRE(dp_stories_add(s, d, 2, st) == DP_OK);
    CHECK(st[0] == DP_EEMPTY);
    CHECK(st[1] == DP_OK);
    CHECK_EQ(dp_stories_docs(s), 1);
    CHECK_EQ(dp_stories_clusters(s), 0); /* before a run */
    REQUIRE(dp_stories_run(s) == DP_OK);
    dp_stories_stats_get(s, &stt);
    CHECK_EQ(stt.clusters, 1);
    CHECK_EQ(stt.grouped, 0);
    CHECK_EQ(stt.best_a, -1);
    CHECK(dp_stories_add(s, NULL, 1, st) == DP_EINVAL);
    dp_stories_free(s);
    dp_stories_free(NULL);
}

TEST(stories_seeds_are_one_story)
{
    char path[2][1024];
    char *text[2];
    size_t len[2], k;
    dp_stories *s = NULL;
    dp_stories_doc d[2];
    dp_stories_stats st;
    snprintf(path[0], sizeof path[0], "%s/seeds/000_150493159232f54a.txt",
             dp_test_shared());
    snprintf(path[1], sizeof path[1], "%s/seeds/001_64c48dc445758d8a.txt",
             dp_test_shared());
    REQUIRE(dp_stories_create(NULL, &s) == DP_OK);
    memset(d, 0, sizeof d);
    for (k = 0; k < 2; k++) {
        text[k] = dp_test_slurp(path[k], &len[k]);
        REQUIRE(text[k]);
        d[k].id = path[k];
        d[k].id_len = strlen(path[k]);
        d[k].text = text[k];
        d[k].text_len = len[k];
    }
    REQUIRE(dp_stories_add(s, d, 2, NULL) == DP_OK);
    REQUIRE(dp_stories_run(s) == DP_OK);
    dp_stories_stats_get(s, &st);
    CHECK_EQ(st.clusters, 1);
    CHECK_EQ(st.in_groups, 2);
    free(text[0]);
    free(text[1]);
    dp_stories_free(s);
}

TEST(stories_dates_parse_and_scan)
{
    int32_t day = 0;
    dp_doc *doc = NULL;
    dp_story_dates dt;
    const char *t = "Lohan checks in\n\nMay 03, 2013\n\nShe was there from "
                    "September 2010 to January 2011. It may rain on June 8.";
    CHECK(dpi_date_parse("2013-05-03", 10, &day) == 0);
    CHECK_EQ(day, dpi_date_days(2013, 5, 3));
    CHECK(dpi_date_parse("3-MAY-2013 10:00:00.00", 22, &day) == 0);
    CHECK_EQ(day, dpi_date_days(2013, 5, 3));
    CHECK(dpi_date_parse("May 3, 2013", 11, &day) == 0);
    CHECK_EQ(day, dpi_date_days(2013, 5, 3));
    CHECK(dpi_date_parse("Tuesday, 3 May 2013", 19, &day) == 0);
    CHECK_EQ(day, dpi_date_days(2013, 5, 3));
    CHECK(dpi_date_parse("soon", 4, &day) == -1);
    CHECK_EQ(dpi_date_days(1970, 1, 1), 0);
    REQUIRE(dp_doc_create(t, strlen(t), NULL, &doc, NULL) == DP_OK);
    dpi_date_scan(doc, DP_NO_DAY, &dt);
    CHECK_EQ(dt.ref_day, dpi_date_days(2013, 5, 3));
    CHECK(!dt.from_field);
    CHECK(dt.years[(2010 - DP_DATE_YEAR0) / 64] &
          ((uint64_t)1 << ((2010 - DP_DATE_YEAR0) % 64)));
    CHECK(dt.years[(2011 - DP_DATE_YEAR0) / 64] &
          ((uint64_t)1 << ((2011 - DP_DATE_YEAR0) % 64)));
    CHECK(!(dt.years[(2012 - DP_DATE_YEAR0) / 64] &
            ((uint64_t)1 << ((2012 - DP_DATE_YEAR0) % 64))));
    dp_doc_free(doc);
}

TEST(stories_compare_with_idf_gives_the_stories_score)
{
    dp_idf *idf = NULL;
    dp_doc *a = NULL, *b = NULL, *c = NULL;
    dp_compare_opts co;
    dp_comparison *cmp = NULL, *plain = NULL;
    dp_stories_opts so;
    dp_stories *s = NULL;
    dp_stories_doc d[2];
    dp_stories_evidence ev;
    REQUIRE(dp_idf_create(NULL, &idf) == DP_OK);
    REQUIRE(dp_doc_create(texts[6], strlen(texts[6]), NULL, &c, NULL) == 0);
    REQUIRE(dp_idf_add(idf, c) == DP_OK);
    REQUIRE(dp_doc_create(texts[0], strlen(texts[0]), NULL, &a, NULL) == 0);
    REQUIRE(dp_doc_create(texts[1], strlen(texts[1]), NULL, &b, NULL) == 0);
    dp_compare_opts_init(&co);
    REQUIRE(dp_compare(a, b, &co, &plain) == DP_OK);
    co.idf = idf;
    REQUIRE(dp_compare(a, b, &co, &cmp) == DP_OK);
    dp_stories_opts_init(&so);
    so.idf = idf;
    REQUIRE(dp_stories_create(&so, &s) == DP_OK);
    memset(d, 0, sizeof d);
    d[0].id = "a";
    d[0].id_len = 1;
    d[0].text = texts[0];
    d[0].text_len = strlen(texts[0]);
    d[1].id = "b";
    d[1].id_len = 1;
    d[1].text = texts[1];
    d[1].text_len = strlen(texts[1]);
    REQUIRE(dp_stories_add(s, d, 2, NULL) == DP_OK);
    REQUIRE(dp_stories_run(s) == DP_OK);
    REQUIRE(dp_stories_explain(s, 0, 1, &ev) == DP_OK);
    /* one formula: compare --idf and stories --idf agree on the pair
     * (stories stores weights as floats) */
    CHECK_NEAR(dp_comparison_scores(cmp)->same_story, ev.score, 1e-4);
    CHECK(dp_comparison_scores(cmp)->same_story > 0.5);
    /* without a table, the pair-only score, which differs */
    CHECK(fabs(dp_comparison_scores(plain)->same_story - ev.score) > 1e-6);
    dp_comparison_free(cmp);
    dp_comparison_free(plain);
    dp_stories_free(s);
    dp_doc_free(a);
    dp_doc_free(b);
    dp_doc_free(c);
    dp_idf_free(idf);
}
