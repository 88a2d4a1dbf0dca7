/*
 * test_reuse.c - the reuse module: passages and reuse clusters of a small
 * hand-written corpus checked offset by offset (one quote carried by four
 * documents, one of them changing a word of it), boilerplate flagged and
 * dropped, same-source pairs skipped, the seeds' passages equal to
 * compare's, the JSON lines, and identical results for any thread count
 * on a slice of Reuters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doppel.h"
#include "reuse/reuse.h"
#include "test.h"

#define QUOTE                                                                  \
    "We will rebuild the harbour wall before the winter storms reach the "     \
    "northern coast"
#define QUOTE_CHANGED                                                          \
    "We will rebuild the harbour wall before the autumn storms reach the "     \
    "northern coast"

static const char *const quote_texts[] = {
    "Mayor Alma Quist spoke on Monday. \"" QUOTE
    ",\" she told the council. Funding comes from the regional budget.",
    "In a statement her office quoted her: " QUOTE
    ". Residents were sceptical about cost overruns.",
    "Quist said: " QUOTE_CHANGED " according to local radio reports.",
    "Coverage elsewhere focused on traffic. The mayor promised: " QUOTE
    ". Nothing else was announced today.",
    ("Completely unrelated text about growing tomatoes and cucumbers in "
     "small greenhouses during the spring months."),
};
static const char *const quote_dates[] = {"2024-03-05", "2024-03-04", NULL,
                                          "2024-03-02T08:00", "2024-03-01"};

/* The byte span of the quote (either version) in quote_texts[i]. */
static dp_span quote_span(size_t i)
{
    const char *t = quote_texts[i];
    const char *q = strstr(t, "We will rebuild");
    const char *e = strstr(t, "northern coast");
    dp_span s = {0, 0};
    if (q && e) {
        s.start = (size_t)(q - t);
        s.end = (size_t)(e - t) + strlen("northern coast");
    }
    return s;
}

static dp_reuse *quote_corpus(unsigned threads, const char *const *sources)
{
    dp_reuse_opts o;
    dp_reuse *r = NULL;
    dp_reuse_doc d[5];
    dp_status st[5];
    char ids[5][8];
    size_t i;

    dp_reuse_opts_init(&o);
    o.threads = threads;
    o.ignore_same_source = sources != NULL;
    if (dp_reuse_create(&o, &r))
        return NULL;
    for (i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "q%zu", i);
        d[i].id = ids[i];
        d[i].id_len = strlen(ids[i]);
        d[i].text = quote_texts[i];
        d[i].text_len = strlen(quote_texts[i]);
        d[i].date = quote_dates[i];
        d[i].date_len = quote_dates[i] ? strlen(quote_dates[i]) : 0;
        d[i].source = sources ? sources[i] : NULL;
        d[i].source_len = sources && sources[i] ? strlen(sources[i]) : 0;
    }
    if (dp_reuse_add(r, d, 5, st) || dp_reuse_run(r)) {
        dp_reuse_free(r);
        return NULL;
    }
    for (i = 0; i < 5; i++)
        CHECK_EQ(st[i], DP_OK);
    return r;
}

TEST(reuse_quote_cluster_offsets)
{
    dp_reuse *r = quote_corpus(2, NULL);
    dp_reuse_cluster cl;
    dp_reuse_stats s;
    size_t i, len;
    REQUIRE(r);
    CHECK_EQ(dp_reuse_docs(r), 5);
    /* every pair of the four carriers shares the quote, once */
    REQUIRE(dp_reuse_passages(r) == 6);
    REQUIRE(dp_reuse_clusters(r) == 1);
    REQUIRE(dp_reuse_cluster_get(r, 0, &cl) == DP_OK);
    CHECK_EQ(cl.docs, 4);
    CHECK_EQ(cl.nmembers, 4);
    CHECK_EQ(cl.passages, 6);
    CHECK_EQ(cl.boilerplate, 0);
    /* q3 is dated earliest among the members (q4 is earlier but is not
     * one); q2 has no date */
    CHECK_EQ(cl.earliest, 3);
    for (i = 0; i < 4 && i < cl.nmembers; i++) {
        dp_span q = quote_span(i);
        const char *t = dp_reuse_text(r, cl.members[i].doc, &len);
        CHECK_EQ(cl.members[i].doc, i);
        CHECK_EQ(cl.members[i].span.start, q.start);
        CHECK_EQ(cl.members[i].span.end, q.end);
        CHECK_EQ(cl.members[i].words, 14);
        /* a passage printed from its offsets is the original text */
        CHECK(strncmp(t + q.start, i == 2 ? QUOTE_CHANGED : QUOTE,
                      q.end - q.start) == 0);
    }
    for (i = 0; i < dp_reuse_passages(r); i++) {
        const dp_reuse_passage *p = dp_reuse_passage_at(r, i);
        dp_span qa = quote_span(p->a), qb = quote_span(p->b);
        CHECK(p->a < p->b && p->b < 4);
        CHECK_EQ(p->a_span.start, qa.start);
        CHECK_EQ(p->a_span.end, qa.end);
        CHECK_EQ(p->b_span.start, qb.start);
        CHECK_EQ(p->b_span.end, qb.end);
        CHECK_EQ(p->cluster, 0);
        CHECK_EQ(p->words, 14);
    }
    CHECK(dp_reuse_passage_at(r, 6) == NULL);
    CHECK(dp_reuse_cluster_get(r, 1, &cl) == DP_EINVAL);
    dp_reuse_stats_get(r, &s);
    CHECK_EQ(s.docs, 5);
    CHECK_EQ(s.pairs, 6);
    CHECK_EQ(s.clusters, 1);
    CHECK(s.memory > 0);
    dp_reuse_free(r);
}

TEST(reuse_quote_json)
{
    dp_reuse *r = quote_corpus(1, NULL);
    char *j = NULL;
    size_t len;
    REQUIRE(r);
    REQUIRE(dp_reuse_cluster_json(r, 0, &j, &len) == DP_OK);
    CHECK(strstr(j, "\"docs\":4") != NULL);
    CHECK(strstr(j, "\"earliest\":3") != NULL);
    CHECK(strstr(j, "\"text\":\"We will rebuild the harbour wall before the "
                    "autumn storms") != NULL);
    CHECK(strstr(j, "\"date\":\"2024-03-02T08:00:00Z\"") != NULL);
    CHECK_EQ(strlen(j), len);
    dp_free(j);
    /* the passage q1-q2 carries the changed word on its b side */
    REQUIRE(dp_reuse_passage_json(r, 3, &j, &len) == DP_OK);
    CHECK(strstr(j, "\"a\":\"q1\",\"b\":\"q2\"") != NULL);
    CHECK(strstr(j, "\"b_text\":\"We will rebuild the harbour wall before the "
                    "autumn") != NULL);
    dp_free(j);
    REQUIRE(dp_reuse_summary_json(r, 1, &j, NULL) == DP_OK);
    CHECK(strstr(j, "\"documents\":5") != NULL);
    CHECK(strstr(j, "\"passages\":6") != NULL);
    CHECK(strstr(j, "\"cluster_list\":[{") != NULL);
    dp_free(j);
    CHECK(dp_reuse_passage_json(r, 6, &j, NULL) == DP_EINVAL);
    CHECK(j == NULL);
    dp_reuse_free(r);
}

TEST(reuse_ignore_same_source)
{
    static const char *const src[] = {"Gazette", "Gazette", "Herald", "Herald",
                                      NULL};
    dp_reuse *r = quote_corpus(2, src);
    dp_reuse_cluster cl;
    dp_reuse_stats s;
    size_t i;
    REQUIRE(r);
    /* q0-q1 and q2-q3 are one source each: four cross-source passages */
    CHECK_EQ(dp_reuse_passages(r), 4);
    for (i = 0; i < dp_reuse_passages(r); i++) {
        const dp_reuse_passage *p = dp_reuse_passage_at(r, i);
        CHECK((p->a < 2) != (p->b < 2));
    }
    REQUIRE(dp_reuse_clusters(r) == 1);
    dp_reuse_cluster_get(r, 0, &cl);
    CHECK_EQ(cl.docs, 4);
    dp_reuse_stats_get(r, &s);
    CHECK(s.same_source >= 2);
    CHECK(strcmp(dp_reuse_source(r, 2, NULL), "Herald") == 0);
    CHECK(dp_reuse_source(r, 4, NULL) == NULL);
    dp_reuse_free(r);
}

/* 12 documents, each its own body and the same 17-word footer; two of
 * them also share a quote inside the body. */
static dp_reuse *footer_corpus_src(int drop, int same_source, unsigned max_df,
                                   int mixed)
{
    static const char footer[] =
        " This article was produced by the Northfield Gazette newsroom and "
        "may not be reproduced without written permission.";
    dp_reuse_opts o;
    dp_reuse *r = NULL;
    dp_reuse_doc d[12];
    char text[12][1024], id[12][8];
    size_t i, k, n;

    dp_reuse_opts_init(&o);
    o.drop_boilerplate = drop;
    o.ignore_same_source = same_source;
    o.max_df = max_df;
    if (dp_reuse_create(&o, &r))
        return NULL;
    for (i = 0; i < 12; i++) {
        n = 0;
        for (k = 0; k < 30; k++) {
            n += (size_t)snprintf(text[i] + n, sizeof text[i] - n, "b%zux%zu ",
                                  i, k);
            if (k == 15 && (i == 4 || i == 9))
                n += (size_t)snprintf(text[i] + n, sizeof text[i] - n, "%s. ",
                                      QUOTE);
        }
        snprintf(text[i] + n, sizeof text[i] - n, "%s", footer);
        snprintf(id[i], sizeof id[i], "f%zu", i);
        memset(&d[i], 0, sizeof d[i]);
        d[i].id = id[i];
        d[i].id_len = strlen(id[i]);
        d[i].text = text[i];
        d[i].text_len = strlen(text[i]);
        /* mixed: three from the Gazette, then Herald and Post in turn */
        d[i].source = !mixed || i < 3 ? "Gazette" : i % 2 ? "Herald" : "Post";
        d[i].source_len = strlen(d[i].source);
    }
    if (dp_reuse_add(r, d, 12, NULL) || dp_reuse_run(r)) {
        dp_reuse_free(r);
        return NULL;
    }
    return r;
}

static dp_reuse *footer_corpus(int drop, int same_source)
{
    return footer_corpus_src(drop, same_source, 0, 0);
}

TEST(reuse_frequent_ngrams_star_other_source)
{
    /* max_df 4: the footer's n-grams (in 12 documents) are frequent and
     * link through a hub; the hub's own source hangs on another one */
    dp_reuse *r = footer_corpus_src(0, 1, 4, 1);
    dp_reuse_cluster cl;
    dp_reuse_stats s;
    REQUIRE(r);
    dp_reuse_stats_get(r, &s);
    CHECK(s.frequent > 0);
    REQUIRE(dp_reuse_clusters(r) >= 1);
    dp_reuse_cluster_get(r, 0, &cl);
    CHECK_EQ(cl.docs, 12);
    dp_reuse_free(r);
    /* without sources: a star around f0 (eleven passages) plus f4-f9,
     * paired by their quote, whose footers align too */
    r = footer_corpus_src(0, 0, 4, 0);
    REQUIRE(r);
    dp_reuse_cluster_get(r, 0, &cl);
    CHECK_EQ(cl.docs, 12);
    CHECK_EQ(cl.passages, 12);
    dp_reuse_free(r);
}

TEST(reuse_boilerplate_flagged_and_dropped)
{
    dp_reuse *r = footer_corpus(0, 0);
    dp_reuse_cluster cl;
    dp_reuse_stats s;
    const dp_reuse_passage *p;
    size_t len;
    const char *t;
    REQUIRE(r);
    REQUIRE(dp_reuse_clusters(r) == 2);
    /* the footer: in all 12 documents, more than 20% and at least 10 */
    dp_reuse_cluster_get(r, 0, &cl);
    CHECK_EQ(cl.docs, 12);
    CHECK_EQ(cl.boilerplate, 1);
    CHECK_EQ(cl.earliest, -1);
    t = dp_reuse_text(r, cl.members[0].doc, &len);
    CHECK(strncmp(t + cl.members[0].span.start, "This article was produced",
                  25) == 0);
    CHECK_EQ(cl.members[0].span.end, len - 1); /* before the final '.' */
    dp_reuse_cluster_get(r, 1, &cl);
    CHECK_EQ(cl.docs, 2);
    CHECK_EQ(cl.boilerplate, 0);
    CHECK_EQ(cl.members[0].doc, 4);
    CHECK_EQ(cl.members[1].doc, 9);
    dp_reuse_stats_get(r, &s);
    CHECK_EQ(s.boilerplate, 1);
    dp_reuse_free(r);

    r = footer_corpus(1, 0);
    REQUIRE(r);
    REQUIRE(dp_reuse_clusters(r) == 1);
    dp_reuse_cluster_get(r, 0, &cl);
    CHECK_EQ(cl.docs, 2);
    REQUIRE(dp_reuse_passages(r) == 1);
    p = dp_reuse_passage_at(r, 0);
    CHECK_EQ(p->a, 4);
    CHECK_EQ(p->b, 9);
    CHECK_EQ(p->cluster, 0);
    dp_reuse_stats_get(r, &s);
    CHECK_EQ(s.boilerplate, 1);
    CHECK(s.dropped >= 11); /* at least a star around one document */
    dp_reuse_free(r);

    /* all from one source: nothing is compared */
    r = footer_corpus(0, 1);
    REQUIRE(r);
    CHECK_EQ(dp_reuse_clusters(r), 0);
    CHECK_EQ(dp_reuse_passages(r), 0);
    dp_reuse_free(r);
}

TEST(reuse_seeds_match_compare)
{
    char path[2][1024];
    char *text[2];
    size_t len[2], i;
    dp_doc *doc[2] = {NULL, NULL};
    dp_comparison *c = NULL;
    dp_reuse *r = NULL;
    dp_reuse_doc d[2];
    static const char *const names[2] = {"000_150493159232f54a.txt",
                                         "001_64c48dc445758d8a.txt"};

    for (i = 0; i < 2; i++) {
        snprintf(path[i], sizeof path[i], "%s/seeds/%s", dp_test_shared(),
                 names[i]);
        text[i] = dp_test_slurp(path[i], &len[i]);
        REQUIRE(text[i]);
        REQUIRE(dp_doc_create(text[i], len[i], NULL, &doc[i], NULL) == DP_OK);
        memset(&d[i], 0, sizeof d[i]);
        d[i].id = names[i];
        d[i].id_len = strlen(names[i]);
        d[i].text = text[i];
        d[i].text_len = len[i];
    }
    REQUIRE(dp_compare(doc[0], doc[1], NULL, &c) == DP_OK);
    REQUIRE(dp_reuse_create(NULL, &r) == DP_OK);
    REQUIRE(dp_reuse_add(r, d, 2, NULL) == DP_OK);
    REQUIRE(dp_reuse_run(r) == DP_OK);
    /* the seeds share Beth Sanner's quotes: the same passages as compare */
    CHECK(dp_reuse_passages(r) >= 3);
    CHECK_EQ(dp_reuse_passages(r), dp_comparison_passages(c));
    for (i = 0; i < dp_reuse_passages(r) && i < dp_comparison_passages(c);
         i++) {
        const dp_reuse_passage *p = dp_reuse_passage_at(r, i);
        const dp_passage *q = dp_comparison_passage(c, i);
        CHECK_EQ(p->a_span.start, q->a.start);
        CHECK_EQ(p->a_span.end, q->a.end);
        CHECK_EQ(p->b_span.start, q->b.start);
        CHECK_EQ(p->b_span.end, q->b.end);
    }
    {
        int sanner = 0;
        for (i = 0; i < dp_reuse_passages(r); i++) {
            const dp_reuse_passage *p = dp_reuse_passage_at(r, i);
            char *piece = strndup(text[0] + p->a_span.start,
                                  p->a_span.end - p->a_span.start);
            sanner |=
                piece && strstr(piece, "ISIS-K now poses an internal Afghan "
                                       "threat") != NULL;
            free(piece);
        }
        CHECK(sanner);
    }
    dp_reuse_free(r);
    dp_comparison_free(c);
    for (i = 0; i < 2; i++) {
        dp_doc_free(doc[i]);
        free(text[i]);
    }
}

/* The first @max Reuters articles into a collection run on @threads. */
static dp_reuse *reuters(unsigned threads, size_t max)
{
    char path[1024];
    const char *inputs[1];
    dp_reader *rd = NULL;
    dp_record rec;
    dp_reuse_opts o;
    dp_reuse *r = NULL;
    size_t n = 0;

    snprintf(path, sizeof path, "%s/data/reuters21578/reuters.jsonl",
             dp_test_shared());
    inputs[0] = path;
    dp_reuse_opts_init(&o);
    o.threads = threads;
    if (dp_reader_open(inputs, 1, NULL, &rd, NULL) || dp_reuse_create(&o, &r))
        goto fail;
    while (n < max && dp_reader_next(rd, &rec, NULL) == DP_OK) {
        dp_reuse_doc d;
        memset(&d, 0, sizeof d);
        d.id = rec.id;
        d.id_len = rec.id_len;
        d.text = rec.text;
        d.text_len = rec.text_len;
        d.date = rec.date;
        d.date_len = rec.date_len;
        if (dp_reuse_add(r, &d, 1, NULL))
            goto fail;
        n++;
    }
    dp_reader_free(rd);
    if (n < max || dp_reuse_run(r))
        goto fail2;
    return r;
fail:
    dp_reader_free(rd);
fail2:
    dp_reuse_free(r);
    return NULL;
}

TEST(reuse_threads_deterministic)
{
    dp_reuse *r1 = reuters(1, 1500), *r3 = reuters(3, 1500);
    size_t i, k;
    REQUIRE(r1 && r3);
    CHECK(dp_reuse_passages(r1) > 100);
    REQUIRE(dp_reuse_passages(r1) == dp_reuse_passages(r3));
    REQUIRE(dp_reuse_clusters(r1) == dp_reuse_clusters(r3));
    for (i = 0; i < dp_reuse_passages(r1); i++) {
        const dp_reuse_passage *p = dp_reuse_passage_at(r1, i);
        const dp_reuse_passage *q = dp_reuse_passage_at(r3, i);
        CHECK(p->a == q->a && p->b == q->b && p->cluster == q->cluster);
        CHECK(p->a_span.start == q->a_span.start &&
              p->a_span.end == q->a_span.end &&
              p->b_span.start == q->b_span.start &&
              p->b_span.end == q->b_span.end && p->words == q->words);
    }
    for (i = 0; i < dp_reuse_clusters(r1); i++) {
        dp_reuse_cluster a, b;
        dp_reuse_cluster_get(r1, i, &a);
        dp_reuse_cluster_get(r3, i, &b);
        CHECK_EQ(a.nmembers, b.nmembers);
        CHECK_EQ(a.earliest, b.earliest);
        for (k = 0; a.nmembers == b.nmembers && k < a.nmembers; k++) {
            CHECK_EQ(a.members[k].doc, b.members[k].doc);
            CHECK_EQ(a.members[k].span.start, b.members[k].span.start);
            CHECK_EQ(a.members[k].span.end, b.members[k].span.end);
        }
    }
    /* every passage's text is the original bytes of both documents */
    for (i = 0; i < dp_reuse_passages(r1); i += 17) {
        const dp_reuse_passage *p = dp_reuse_passage_at(r1, i);
        size_t la, lb;
        const char *ta = dp_reuse_text(r1, p->a, &la);
        const char *tb = dp_reuse_text(r1, p->b, &lb);
        CHECK(p->a_span.end <= la && p->b_span.end <= lb);
        CHECK(p->words >= 8);
        CHECK(ta[p->a_span.start] != ' ' && tb[p->b_span.start] != ' ');
    }
    dp_reuse_free(r1);
    dp_reuse_free(r3);
}

TEST(reuse_refusals_and_options)
{
    dp_reuse_opts o;
    dp_reuse *r = NULL;
    dp_reuse_doc d[3];
    dp_status st[3];
    dp_reuse_stats s;

    dp_reuse_opts_init(&o);
    o.min_words = 1;
    CHECK(dp_reuse_create(&o, &r) == DP_EINVAL);
    CHECK(r == NULL);
    dp_reuse_opts_init(&o);
    o.boilerplate = 101;
    CHECK(dp_reuse_create(&o, &r) == DP_EINVAL);
    dp_reuse_opts_init(&o);
    o.text.language = "klingon";
    CHECK(dp_reuse_create(&o, &r) == DP_ESTEM);
    REQUIRE(dp_reuse_create(NULL, &r) == DP_OK);
    memset(d, 0, sizeof d);
    d[0].id = "empty";
    d[0].id_len = 5;
    d[0].text = " ... ";
    d[0].text_len = 5;
    d[1].id = "bad";
    d[1].id_len = 3;
    d[1].text = "caf\xe9 ole";
    d[1].text_len = 8;
    d[2].id = "ok";
    d[2].id_len = 2;
    d[2].text = "one two three";
    d[2].text_len = 13;
    REQUIRE(dp_reuse_add(r, d, 3, st) == DP_OK);
    CHECK_EQ(st[0], DP_EEMPTY);
    CHECK_EQ(st[1], DP_EUTF8);
    CHECK_EQ(st[2], DP_OK);
    CHECK_EQ(dp_reuse_docs(r), 1);
    CHECK(strcmp(dp_reuse_id(r, 0, NULL), "ok") == 0);
    CHECK(dp_reuse_id(r, 1, NULL) == NULL);
    REQUIRE(dp_reuse_run(r) == DP_OK);
    CHECK_EQ(dp_reuse_passages(r), 0);
    CHECK_EQ(dp_reuse_clusters(r), 0);
    dp_reuse_stats_get(r, &s);
    CHECK_EQ(s.docs, 1);
    CHECK_EQ(s.words, 3);
    CHECK_EQ(s.ngrams, 0);
    dp_reuse_free(r);
    dp_reuse_free(NULL);
}

TEST(reuse_join_rule)
{
    /* 80% of the longer must overlap */
    CHECK(dpi_reuse_join(0, 10, 2, 12));
    CHECK(!dpi_reuse_join(0, 10, 3, 13));
    CHECK(dpi_reuse_join(0, 10, 0, 10));
    CHECK(dpi_reuse_join(1, 9, 0, 10));
    CHECK(!dpi_reuse_join(0, 10, 2, 6)); /* a short one inside */
    CHECK(!dpi_reuse_join(0, 10, 8, 20));
    CHECK(!dpi_reuse_join(0, 10, 10, 20));
}
