/* test_dedup.c - the dp_dedup API: clusters, keep policies, short
 * documents, determinism across thread counts, dates, explain. */
#include <stdlib.h>

#include "../test.h"
#include "dedup/dedup.h"
#include "doppel.h"

static const char *base =
    "The harbour authority said on Tuesday that the entrance channel would "
    "stay closed until divers had checked it for debris left by the storm, "
    "and that about forty vessels were waiting outside the breakwater for "
    "permission to enter the port before the weekend.";

static dp_dedup *make(unsigned threads, dp_keep_policy keep)
{
    dp_dedup_opts o;
    dp_dedup *d = NULL;
    dp_dedup_opts_init(&o);
    o.threads = threads;
    o.keep = keep;
    if (dp_dedup_create(&o, &d))
        return NULL;
    return d;
}

static dp_dedup_doc doc(const char *id, const char *text, const char *date)
{
    dp_dedup_doc x = {id,           strlen(id), text,
                      strlen(text), date,       date ? strlen(date) : 0};
    return x;
}

TEST(dedup_groups_a_copy_and_leaves_unrelated_alone)
{
    char edited[512];
    dp_dedup *d = make(2, DP_KEEP_FIRST);
    dp_dedup_doc docs[3];
    dp_status st[3];
    const uint32_t *m;
    const float *sim;
    size_t n;
    REQUIRE(d);
    /* One word changed near the end: 5 of ~46 shingles differ. */
    snprintf(edited, sizeof edited, "%s", base);
    memcpy(strstr(edited, "weekend"), "holiday", 7);
    docs[0] = doc("a", base, NULL);
    docs[1] = doc("b",
                  "A completely different text about the price of grain "
                  "in the northern provinces and the farmers who grow it.",
                  NULL);
    docs[2] = doc("c", edited, NULL);
    REQUIRE(dp_dedup_add(d, docs, 3, st) == DP_OK);
    CHECK_EQ(st[0], DP_OK);
    CHECK_EQ(st[2], DP_OK);
    REQUIRE(dp_dedup_run(d) == DP_OK);
    REQUIRE(dp_dedup_clusters(d) == 1);
    REQUIRE(dp_dedup_cluster(d, 0, &m, &sim, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK_EQ(m[0], 0);
    CHECK_EQ(m[1], 2);
    CHECK(sim[1] >= 0.8f && sim[1] < 1.0f);
    CHECK_EQ(dp_dedup_cluster_of(d, 1), -1);
    CHECK_EQ(dp_dedup_is_dropped(d, 2), 1);
    CHECK_EQ(dp_dedup_is_dropped(d, 0), 0);
    dp_dedup_free(d);
}

TEST(dedup_short_documents_are_not_merged_together)
{
    dp_dedup *d = make(1, DP_KEEP_FIRST);
    dp_dedup_doc docs[4] = {
        doc("1", "Hello there.", NULL), doc("2", "Goodbye now.", NULL),
        doc("3", "hello  THERE", NULL), doc("4", "   ", NULL)};
    dp_status st[4];
    REQUIRE(d);
    REQUIRE(dp_dedup_add(d, docs, 4, st) == DP_OK);
    CHECK_EQ(st[3], DP_EEMPTY); /* no words: refused, not a document */
    CHECK_EQ(dp_dedup_docs(d), 3);
    REQUIRE(dp_dedup_run(d) == DP_OK);
    /* "Hello there." and "hello THERE" are the same words; "Goodbye now."
     * is not grouped with them although all three are under 5 words. */
    CHECK_EQ(dp_dedup_clusters(d), 1);
    CHECK_EQ(dp_dedup_cluster_of(d, 0), dp_dedup_cluster_of(d, 2));
    CHECK_EQ(dp_dedup_cluster_of(d, 1), -1);
    dp_dedup_free(d);
}

TEST(dedup_keep_longest_and_earliest)
{
    char longer[600];
    dp_dedup_doc docs[3];
    dp_dedup *d;
    const uint32_t *m;
    size_t n;
    snprintf(longer, sizeof longer, "%s It was the second closure this year.",
             base);
    docs[0] = doc("x", base, "2022-10-09");
    docs[1] = doc("y", longer, "26-FEB-1987 15:01:01.79");
    docs[2] = doc("z", base, "2022-10-08T23:59:00Z");

    d = make(1, DP_KEEP_LONGEST);
    REQUIRE(d);
    REQUIRE(dp_dedup_add(d, docs, 3, NULL) == DP_OK);
    REQUIRE(dp_dedup_run(d) == DP_OK);
    REQUIRE(dp_dedup_clusters(d) == 1);
    dp_dedup_cluster(d, 0, &m, NULL, &n);
    CHECK_EQ(m[0], 1); /* the longest */
    dp_dedup_free(d);

    d = make(1, DP_KEEP_EARLIEST);
    REQUIRE(d);
    REQUIRE(dp_dedup_add(d, docs, 3, NULL) == DP_OK);
    REQUIRE(dp_dedup_run(d) == DP_OK);
    REQUIRE(dp_dedup_clusters(d) == 1);
    dp_dedup_cluster(d, 0, &m, NULL, &n);
    CHECK_EQ(m[0], 1); /* 1987 */
    CHECK_EQ(m[1], 2); /* then 2022-10-08 */
    CHECK_EQ(m[2], 0);
    dp_dedup_free(d);
}

TEST(dedup_parse_date_formats)
{
    int64_t t;
    CHECK_EQ(dpi_dedup_parse_date("1970-01-02", 10, &t), 0);
    CHECK_EQ(t, 86400);
    CHECK_EQ(dpi_dedup_parse_date("2000-03-01T01:02:03Z", 20, &t), 0);
    CHECK_EQ(t, 951872523);
    CHECK_EQ(dpi_dedup_parse_date("26-FEB-1987 15:01:01.79", 23, &t), 0);
    CHECK_EQ(t, 541350061);
    /* Reuters writes days below 10 with one digit */
    CHECK_EQ(dpi_dedup_parse_date("1-MAR-1987 01:30:29.50", 22, &t), 0);
    CHECK_EQ(t, 541560629);
    CHECK_EQ(dpi_dedup_parse_date("1-XYZ-1987", 10, &t), -1);
    CHECK_EQ(dpi_dedup_parse_date("yesterday", 9, &t), -1);
    CHECK_EQ(dpi_dedup_parse_date("2022-13-01", 10, &t), -1);
}

TEST(dedup_duplicate_ids_are_counted_and_found)
{
    dp_dedup *d = make(1, DP_KEEP_FIRST);
    dp_dedup_doc docs[3] = {
        doc("same", base, NULL),
        doc("other", "Some other words entirely here.", NULL),
        doc("same", "And a third text, not like others.", NULL)};
    dp_dedup_stats s;
    REQUIRE(d);
    REQUIRE(dp_dedup_add(d, docs, 3, NULL) == DP_OK);
    dp_dedup_stats_get(d, &s);
    CHECK_EQ(s.dup_ids, 1);
    CHECK_EQ(dp_dedup_id_repeats(d, 2), 1);
    CHECK_EQ(dp_dedup_id_repeats(d, 0), 0);
    CHECK_EQ(dp_dedup_find(d, "same", 4), 0);
    CHECK_EQ(dp_dedup_find(d, "other", 5), 1);
    CHECK_EQ(dp_dedup_find(d, "none", 4), -1);
    dp_dedup_free(d);
}

/* Clusters of the first 3000 Reuters articles: one thread vs two. */
static char *reuters_cluster_signature(unsigned threads, size_t *ndocs)
{
    char path[1024];
    const char *in[1];
    dp_reader *r = NULL;
    dp_record rec;
    dp_dedup *d = make(threads, DP_KEEP_FIRST);
    size_t i, cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    snprintf(path, sizeof path, "%s/data/reuters21578/reuters.jsonl",
             dp_test_shared());
    in[0] = path;
    if (!d || !out || dp_reader_open(in, 1, NULL, &r, NULL))
        return NULL;
    for (i = 0; i < 3000 && dp_reader_next(r, &rec, NULL) == DP_OK; i++) {
        dp_dedup_doc x = {rec.id, rec.id_len, rec.text, rec.text_len, NULL, 0};
        dp_dedup_add(d, &x, 1, NULL);
    }
    dp_reader_free(r);
    dp_dedup_run(d);
    *ndocs = dp_dedup_docs(d);
    for (i = 0; i < dp_dedup_docs(d); i++) {
        if (len + 32 > cap)
            out = realloc(out, cap *= 2);
        len += (size_t)snprintf(out + len, cap - len, "%ld,",
                                dp_dedup_cluster_of(d, i));
    }
    dp_dedup_free(d);
    return out;
}

TEST(dedup_same_clusters_for_one_and_two_threads)
{
    size_t n1 = 0, n2 = 0;
    char *a = reuters_cluster_signature(1, &n1);
    char *b = reuters_cluster_signature(2, &n2);
    REQUIRE(a && b);
    CHECK_EQ(n1, 3000);
    CHECK_EQ(n1, n2);
    CHECK(strcmp(a, b) == 0);
    CHECK(strstr(a, ",0,") || strncmp(a, "0,", 2) == 0); /* some cluster */
    free(a);
    free(b);
}

TEST(dedup_explain_reports_bands_and_jaccard)
{
    dp_dedup *d = make(1, DP_KEEP_FIRST);
    dp_dedup_doc docs[2] = {doc("a", base, NULL), doc("b", base, NULL)};
    dp_dedup_explain e;
    REQUIRE(d);
    REQUIRE(dp_dedup_add(d, docs, 2, NULL) == DP_OK);
    REQUIRE(dp_dedup_run(d) == DP_OK);
    REQUIRE(dp_dedup_explain_pair(d, 0, 1, &e) == DP_OK);
    CHECK_NEAR(e.estimated, 1.0, 1e-9);
    CHECK_NEAR(e.exact, 1.0, 1e-9);
    CHECK_EQ(e.bands_shared, e.bands);
    CHECK(e.grouped);
    CHECK_EQ(dp_dedup_explain_pair(d, 0, 5, &e), DP_EINVAL);
    dp_dedup_free(d);
}

TEST(dedup_rejects_bad_options)
{
    dp_dedup_opts o;
    dp_dedup *d = (dp_dedup *)1;
    dp_dedup_opts_init(&o);
    o.threshold = 1.5;
    CHECK_EQ(dp_dedup_create(&o, &d), DP_EINVAL);
    CHECK(d == NULL);
    dp_dedup_opts_init(&o);
    o.bands = 20;
    o.rows = 10; /* 200 > 128 perms */
    CHECK_EQ(dp_dedup_create(&o, &d), DP_EINVAL);
    dp_dedup_opts_init(&o);
    o.text.language = "klingon";
    CHECK_EQ(dp_dedup_create(&o, &d), DP_ESTEM);
}
