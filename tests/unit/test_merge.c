/*
 * test_merge.c - the merged story of a cluster (src/story/merge.c,
 * src/story/quote.c, src/report/story_json.c) through the public API:
 * the seed pair (two outlets on one meeting: what both carry, what each
 * adds, the quotes carried by both), a corpus of texts written here in
 * which one quote is carried by four documents at known offsets (one
 * changing a word, one with a conflicting number, one in ``...'' marks),
 * story order, provenance by date, the pairwise cap, and argument errors.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "doppel.h"

static dp_doc *mkdoc(const char *text, size_t len)
{
    dp_doc *d = NULL;
    if (dp_doc_create(text, len, NULL, &d, NULL) != DP_OK)
        return NULL;
    return d;
}

/* Whether the span @sp of member @m's text contains @needle. */
static int span_has(const dp_story *s, size_t m, dp_span sp, const char *needle)
{
    const char *t = dp_doc_text(dp_story_member_at(s, m)->doc, NULL);
    size_t n = strlen(needle), i;
    for (i = sp.start; i + n <= sp.end; i++)
        if (memcmp(t + i, needle, n) == 0)
            return 1;
    return 0;
}

/* The unit one of whose carriers holds @needle, or -1; *count gets how
 * many units do. */
static long unit_with(const dp_story *s, const char *needle, size_t *count)
{
    size_t u, k;
    long found = -1;
    *count = 0;
    for (u = 0; u < dp_story_units(s); u++) {
        const dp_story_unit *un = dp_story_unit_at(s, u);
        for (k = 0; k < un->ncarriers; k++)
            if (span_has(s, un->carriers[k].member, un->carriers[k].span,
                         needle)) {
                if (found < 0)
                    found = (long)u;
                (*count)++;
                break;
            }
    }
    return found;
}

/* The quote one of whose carriers holds @needle, or -1 (*count likewise). */
static long quote_with(const dp_story *s, const char *needle, size_t *count)
{
    size_t q, k;
    long found = -1;
    *count = 0;
    for (q = 0; q < dp_story_quotes(s); q++) {
        const dp_story_quote *sq = dp_story_quote_at(s, q);
        for (k = 0; k < sq->ncarriers; k++)
            if (span_has(s, sq->carriers[k].member, sq->carriers[k].span,
                         needle)) {
                if (found < 0)
                    found = (long)q;
                (*count)++;
                break;
            }
    }
    return found;
}

/* Whether the quote's carriers are exactly members 0 and 1, once each. */
static int carried_by_both(const dp_story_quote *q)
{
    return q->ncarriers == 2 && q->carriers[0].member == 0 &&
           q->carriers[1].member == 1;
}

static int in_adds(const dp_story *s, size_t m, size_t unit)
{
    const size_t *us;
    size_t n = dp_story_adds(s, m, &us), k;
    for (k = 0; k < n; k++)
        if (us[k] == unit)
            return 1;
    return 0;
}

static int load_seeds(dp_doc **a, dp_doc **b)
{
    char path[1024], *ta, *tb;
    size_t la, lb;
    snprintf(path, sizeof path, "%s/seeds/000_150493159232f54a.txt",
             dp_test_shared());
    ta = dp_test_slurp(path, &la);
    snprintf(path, sizeof path, "%s/seeds/001_64c48dc445758d8a.txt",
             dp_test_shared());
    tb = dp_test_slurp(path, &lb);
    *a = ta ? mkdoc(ta, la) : NULL;
    *b = tb ? mkdoc(tb, lb) : NULL;
    free(ta);
    free(tb);
    return *a && *b;
}

TEST(merge_seeds_pair)
{
    static const char *const sanner[] = {
        "struggling to prevent ISIS-K attacks",
        "is likely to deliver a firm message",
        "ISIS-K now poses an internal Afghan threat"};
    dp_doc *a, *b;
    dp_story_member m[2];
    dp_story *s = NULL;
    size_t cnt, i;
    long u, q;
    REQUIRE(load_seeds(&a, &b));
    memset(m, 0, sizeof m);
    m[0].doc = a;
    m[0].id = "000";
    m[1].doc = b;
    m[1].id = "001";
    REQUIRE(dp_story_merge(m, 2, 0, NULL, &s) == DP_OK);
    CHECK_EQ(dp_story_members(s), 2);
    CHECK_STR(dp_story_member_at(s, 1)->id, "001");
    CHECK(dp_story_comparison(s, 0, 1) != NULL);

    /* Beth Sanner's quotes: each once, carried by both */
    for (i = 0; i < 3; i++) {
        q = quote_with(s, sanner[i], &cnt);
        REQUIRE(q >= 0);
        CHECK_EQ(cnt, 1);
        CHECK(dp_story_quote_at(s, (size_t)q)->kind == DP_QUOTE_MARKED);
        CHECK(carried_by_both(dp_story_quote_at(s, (size_t)q)));
        CHECK_EQ(dp_story_quote_at(s, (size_t)q)->carriers[1].nchanged, 0);
        u = unit_with(s, sanner[i], &cnt);
        REQUIRE(u >= 0);
        CHECK_EQ(cnt, 1);
        CHECK_EQ(dp_story_unit_at(s, (size_t)u)->nmembers, 2);
    }
    /* the Haqqani safe-house detail only in 000 */
    u = unit_with(s, "safe house", &cnt);
    REQUIRE(u >= 0);
    CHECK_EQ(dp_story_unit_at(s, (size_t)u)->nmembers, 1);
    CHECK_EQ(dp_story_unit_at(s, (size_t)u)->carriers[0].member, 0);
    CHECK(in_adds(s, 0, (size_t)u));
    u = unit_with(s, "Sirajuddin Haqqani", &cnt);
    REQUIRE(u >= 0);
    CHECK(in_adds(s, 0, (size_t)u));
    /* Tom West and the UN Secretary-General's report only in 001 */
    u = unit_with(s, "Tom West", &cnt);
    REQUIRE(u >= 0);
    CHECK_EQ(cnt, 1);
    CHECK(in_adds(s, 1, (size_t)u));
    CHECK(!in_adds(s, 0, (size_t)u));
    u = unit_with(s, "Secretary-General", &cnt);
    REQUIRE(u >= 0);
    CHECK(in_adds(s, 1, (size_t)u));
    CHECK_EQ(dp_story_unit_at(s, (size_t)u)->carriers[0].member, 1);
    /* the "work in progress" sentence carried by both, copied */
    u = unit_with(s, "work in progress", &cnt);
    REQUIRE(u >= 0);
    CHECK_EQ(cnt, 1);
    {
        const dp_story_unit *un = dp_story_unit_at(s, (size_t)u);
        CHECK_EQ(un->nmembers, 2);
        CHECK(un->carriers[0].status == DP_SENT_COPIED);
        CHECK(!in_adds(s, 0, (size_t)u) && !in_adds(s, 1, (size_t)u));
    }
    /* who speaks, as each carrier says it */
    q = quote_with(s, sanner[0], &cnt);
    REQUIRE(q >= 0);
    {
        const dp_story_quote *sq = dp_story_quote_at(s, (size_t)q);
        const char *ta = dp_doc_text(a, NULL), *tb = dp_doc_text(b, NULL);
        dp_span s0 = sq->carriers[0].speaker, s1 = sq->carriers[1].speaker;
        CHECK_EQ(s0.end - s0.start, strlen("Beth Sanner"));
        CHECK(memcmp(ta + s0.start, "Beth Sanner", 11) == 0);
        CHECK_EQ(s1.end - s1.start, strlen("Beth Sanner"));
        CHECK(memcmp(tb + s1.start, "Beth Sanner", 11) == 0);
    }
    q = quote_with(s, sanner[1], &cnt);
    REQUIRE(q >= 0);
    {
        const dp_story_quote *sq = dp_story_quote_at(s, (size_t)q);
        const char *ta = dp_doc_text(a, NULL);
        dp_span s0 = sq->carriers[0].speaker, s1 = sq->carriers[1].speaker;
        CHECK_EQ(s0.end - s0.start, strlen("Sanner"));
        CHECK(memcmp(ta + s0.start, "Sanner", 6) == 0);
        CHECK(s1.start == s1.end); /* "he added": no name */
    }
    q = quote_with(s, "a work in progress", &cnt);
    REQUIRE(q >= 0);
    CHECK(carried_by_both(dp_story_quote_at(s, (size_t)q)));
    /* no dates, two similar shares of own sentences: no direction */
    REQUIRE(dp_story_edges(s) == 1);
    CHECK(dp_story_edge_at(s, 0)->basis == DP_PROV_UNDETERMINED);
    CHECK_EQ(dp_story_conflicts(s), 0);

    /* the JSON says the same */
    {
        char *txt = NULL;
        size_t len = 0, k, found = 0;
        json_t *root, *quotes, *adds1, *sents;
        json_error_t err;
        REQUIRE(dp_story_json(s, &txt, &len) == DP_OK);
        CHECK_EQ(len, strlen(txt));
        root = json_loads(txt, 0, &err);
        REQUIRE(root);
        CHECK(json_array_size(json_object_get(root, "units")) ==
              dp_story_units(s));
        quotes = json_object_get(root, "quotes");
        for (k = 0; k < json_array_size(quotes); k++) {
            json_t *qq = json_array_get(quotes, k);
            const char *t = json_string_value(json_object_get(qq, "text"));
            if (t && strstr(t, "making them look feckless")) {
                json_t *cs = json_object_get(qq, "carriers");
                found++;
                CHECK_STR(json_string_value(json_object_get(qq, "kind")),
                          "quoted");
                CHECK_EQ(json_array_size(cs), 2);
                CHECK_STR(json_string_value(
                              json_object_get(json_array_get(cs, 1), "id")),
                          "001");
            }
        }
        CHECK_EQ(found, 1);
        adds1 = json_array_get(json_object_get(root, "adds"), 1);
        sents = json_object_get(adds1, "sentences");
        found = 0;
        for (k = 0; k < json_array_size(sents); k++) {
            const char *t = json_string_value(
                json_object_get(json_array_get(sents, k), "text"));
            found += t && strstr(t, "Tom West");
        }
        CHECK_EQ(found, 1);
        CHECK_STR(json_string_value(json_object_get(
                      json_array_get(json_object_get(root, "provenance"), 0),
                      "confidence")),
                  "undetermined");
        CHECK(strstr(txt, "\"conflicts\":[]") != NULL);
        CHECK(strstr(txt, "\"compared\":[[0,1]]") != NULL);
        json_decref(root);
        dp_free(txt);
    }
    dp_story_free(s);
    dp_doc_free(a);
    dp_doc_free(b);
}

/* Four reports of one flood, written for this test. */
static const char *const flood[] = {
    "Flood waters swept through the river town of Marlow on Tuesday night. "
    "Officials said 12 people died in the floods that followed the storm. "
    "\"We have never seen the water rise this fast in our lifetime,\" said "
    "mayor Ellen Park. Rescue teams worked through the night to reach "
    "stranded families.",

    "Rescuers in Marlow searched flooded homes on Wednesday morning after "
    "the storm. Officials said 12 people died in the floods that followed "
    "the storm. Mayor Ellen Park told reporters: \xE2\x80\x9CWe have never "
    "seen the water rise this fast in our lifetime.\xE2\x80\x9D Schools in "
    "the district stayed closed.",

    "Officials said 15 people died in the floods that followed the storm. "
    "\xE2\x80\x9CWe have never seen the water climb this fast in our "
    "lifetime,\xE2\x80\x9D Park said. The regional government promised "
    "emergency funds for rebuilding the bridge.",

    "``We have never seen the water rise this fast in our lifetime,'' the "
    "mayor said on Tuesday. Volunteers filled sandbags along the river "
    "bank until dawn."};

static size_t off_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    return p ? (size_t)(p - text) : (size_t)-1;
}

TEST(merge_quote_carriers_changed_word_and_conflict)
{
    static const char *const dates[] = {"2024-03-05 21:00", "2024-03-06",
                                        "07-MAR-2024 09:30:00.00", NULL};
    dp_doc *d[4];
    dp_story_member m[4];
    dp_story *s = NULL;
    const dp_story_quote *q = NULL;
    size_t i, k, cnt, found;
    long qi;
    memset(m, 0, sizeof m);
    for (i = 0; i < 4; i++) {
        d[i] = mkdoc(flood[i], strlen(flood[i]));
        REQUIRE(d[i]);
        m[i].doc = d[i];
        m[i].date = dates[i];
    }
    REQUIRE(dp_story_merge(m, 4, 0, NULL, &s) == DP_OK);

    /* the quote: one group, four carriers, at the offsets in the texts
     * (from the first word to the last, marks and the final , or .
     * excluded) */
    qi = quote_with(s, "never seen the water", &cnt);
    REQUIRE(qi >= 0);
    CHECK_EQ(cnt, 1);
    q = dp_story_quote_at(s, (size_t)qi);
    CHECK(q->kind == DP_QUOTE_MARKED);
    REQUIRE(q->ncarriers == 4);
    for (k = 0; k < 4; k++) {
        const dp_quote_carrier *c = &q->carriers[k];
        size_t start = off_of(flood[k], "We have never");
        size_t end = off_of(flood[k], "lifetime") + strlen("lifetime");
        CHECK_EQ(c->member, k);
        CHECK_EQ(c->span.start, start);
        CHECK_EQ(c->span.end, end);
        if (k == 2) {
            /* the one carrier that changed a word */
            REQUIRE(c->nchanged == 1);
            CHECK_EQ(c->changed[0].start, off_of(flood[2], "climb"));
            CHECK_EQ(c->changed[0].end, off_of(flood[2], "climb") + 5);
        } else {
            CHECK_EQ(c->nchanged, 0);
        }
    }
    /* speakers: "said mayor Ellen Park", "Mayor Ellen Park told
     * reporters: "...", "..., Park said", "the mayor said" (none) */
    {
        static const char *const who[] = {"Ellen Park", "Mayor Ellen Park",
                                          "Park", NULL};
        for (k = 0; k < 4; k++) {
            dp_span sp = q->carriers[k].speaker;
            if (!who[k]) {
                CHECK(sp.start == sp.end);
                continue;
            }
            CHECK_EQ(sp.end - sp.start, strlen(who[k]));
            CHECK(memcmp(flood[k] + sp.start, who[k], strlen(who[k])) == 0);
        }
    }
    /* explicit figures for the primary: the opening mark is byte 139 */
    CHECK_EQ(flood[0][139], '"');
    CHECK_EQ(q->carriers[0].span.start, 140);
    CHECK_EQ(q->carriers[0].span.end, 199);
    CHECK_EQ(flood[0][199], ',');

    /* the conflict: 12 dead in members 0 and 1, 15 in member 2 */
    found = 0;
    for (i = 0; i < dp_story_conflicts(s); i++) {
        const dp_story_conflict *c = dp_story_conflict_at(s, i);
        const char *t0 = flood[c->member[0]], *t1 = flood[c->member[1]];
        if (c->kind != DP_CONFLICT_NUMBER)
            continue;
        CHECK(c->member[0] != c->member[1]);
        if (c->member[1] == 2 && c->member[0] <= 1) {
            CHECK_EQ(c->value[0].end - c->value[0].start, 2);
            CHECK(memcmp(t0 + c->value[0].start, "12", 2) == 0);
            CHECK(memcmp(t1 + c->value[1].start, "15", 2) == 0);
            CHECK_EQ(c->span[1].start, 0);
            CHECK(span_has(s, c->member[0], c->span[0], "people died"));
            found++;
        }
    }
    CHECK_EQ(found, 2); /* 0 vs 2 and 1 vs 2 */
    /* the sentence all three dated members carry was first in member 0 */
    {
        long u = unit_with(s, "people died", &cnt);
        REQUIRE(u >= 0);
        CHECK_EQ(dp_story_unit_at(s, (size_t)u)->nmembers, 3);
        CHECK_EQ(dp_story_unit_at(s, (size_t)u)->origin, 0);
    }
    /* no number conflict between the two that agree */
    for (i = 0; i < dp_story_conflicts(s); i++) {
        const dp_story_conflict *c = dp_story_conflict_at(s, i);
        CHECK(!(c->member[0] == 0 && c->member[1] == 1));
    }

    /* provenance by date: 0 before 1 before 2 (Reuters-style date) */
    found = 0;
    for (i = 0; i < dp_story_edges(s); i++) {
        const dp_story_edge *e = dp_story_edge_at(s, i);
        if (e->to == 3 || e->from == 3) {
            CHECK(e->basis != DP_PROV_DATE);
            continue;
        }
        CHECK(e->basis == DP_PROV_DATE);
        CHECK(e->from < e->to);
        CHECK_NEAR(e->confidence, 1.0, 1e-9);
        found++;
    }
    CHECK_EQ(found, 3);

    /* JSON: the changed word and the conflict's values */
    {
        char *txt = NULL;
        REQUIRE(dp_story_json(s, &txt, NULL) == DP_OK);
        CHECK(strstr(txt, "\"changed\":[\"climb\"]") != NULL);
        CHECK(strstr(txt, "\"kind\":\"number\"") != NULL);
        CHECK(strstr(txt, "\"value\":\"15\"") != NULL);
        CHECK(strstr(txt, "\"basis\":\"date\"") != NULL);
        dp_free(txt);
    }
    dp_story_free(s);
    for (i = 0; i < 4; i++)
        dp_doc_free(d[i]);
}

TEST(merge_story_order_inserts_after_predecessor)
{
    static const char *p =
        "The council approved the new budget for the northern district "
        "after a long debate. The vote passed with a clear majority of "
        "members in favour of the plan. Work on the new roads will begin "
        "in the spring of next year as planned.";
    static const char *o =
        "The council approved the new budget for the northern district "
        "after a long debate. Residents had asked for safer crossings near "
        "the two schools for many years. Work on the new roads will begin "
        "in the spring of next year as planned.";
    dp_doc *a = mkdoc(p, strlen(p)), *b = mkdoc(o, strlen(o));
    dp_story_member m[2];
    dp_story *s = NULL;
    size_t cnt;
    long u1, ux, u2, u3;
    REQUIRE(a && b);
    memset(m, 0, sizeof m);
    m[0].doc = a;
    m[1].doc = b;
    REQUIRE(dp_story_merge(m, 2, 0, NULL, &s) == DP_OK);
    u1 = unit_with(s, "approved the new budget", &cnt);
    u2 = unit_with(s, "clear majority", &cnt);
    ux = unit_with(s, "safer crossings", &cnt);
    u3 = unit_with(s, "new roads", &cnt);
    CHECK_EQ(dp_story_units(s), 4);
    CHECK(u1 == 0);
    CHECK(ux == u1 + 1); /* right after the sentence it follows */
    CHECK(u2 > ux && u3 > u2);
    CHECK_EQ(dp_story_unit_at(s, (size_t)u1)->nmembers, 2);
    CHECK_EQ(dp_story_unit_at(s, (size_t)u3)->nmembers, 2);
    CHECK(in_adds(s, 1, (size_t)ux));
    CHECK(in_adds(s, 0, (size_t)u2));
    dp_story_free(s);
    dp_doc_free(a);
    dp_doc_free(b);
}

TEST(merge_caps_pairs_for_big_clusters)
{
    dp_doc *d[12];
    dp_story_member m[12];
    dp_story *s = NULL;
    size_t i;
    memset(m, 0, sizeof m);
    for (i = 0; i < 12; i++) {
        d[i] = mkdoc(flood[i % 4], strlen(flood[i % 4]));
        REQUIRE(d[i]);
        m[i].doc = d[i];
    }
    REQUIRE(dp_story_merge(m, 12, 0, NULL, &s) == DP_OK);
    CHECK(dp_story_comparison(s, 0, 11) != NULL); /* with the primary */
    CHECK(dp_story_comparison(s, 11, 0) != NULL);
    CHECK(dp_story_comparison(s, 3, 7) != NULL);  /* neighbours */
    CHECK(dp_story_comparison(s, 1, 11) == NULL); /* beyond the cap */
    CHECK(dp_story_comparison(s, 5, 5) == NULL);
    dp_story_free(s);
    /* up to DP_STORY_ALL_PAIRS members every pair */
    REQUIRE(dp_story_merge(m, DP_STORY_ALL_PAIRS, 3, NULL, &s) == DP_OK);
    CHECK(dp_story_comparison(s, 0, DP_STORY_ALL_PAIRS - 1) != NULL);
    CHECK_EQ(dp_story_primary(s), 3);
    dp_story_free(s);
    for (i = 0; i < 12; i++)
        dp_doc_free(d[i]);
}

TEST(merge_single_member_and_errors)
{
    dp_doc *a = mkdoc(flood[0], strlen(flood[0]));
    dp_story_member m[2];
    dp_story *s = (dp_story *)&s;
    const size_t *us;
    REQUIRE(a);
    memset(m, 0, sizeof m);
    m[0].doc = a;
    CHECK_EQ(dp_story_merge(m, 0, 0, NULL, &s), DP_EINVAL);
    CHECK(s == NULL);
    CHECK_EQ(dp_story_merge(m, 1, 1, NULL, &s), DP_EINVAL);
    CHECK_EQ(dp_story_merge(m, 2, 0, NULL, &s), DP_EINVAL); /* NULL doc */
    CHECK_EQ(dp_story_merge(NULL, 1, 0, NULL, &s), DP_EINVAL);
    REQUIRE(dp_story_merge(m, 1, 0, NULL, &s) == DP_OK);
    CHECK_EQ(dp_story_units(s), dp_doc_sentences(a));
    CHECK_EQ(dp_story_adds(s, 0, &us), dp_doc_sentences(a));
    CHECK_EQ(dp_story_edges(s), 0);
    /* the marked quote, and "Officials said ..." as reported speech */
    REQUIRE(dp_story_quotes(s) == 2);
    CHECK(dp_story_quote_at(s, 0)->kind == DP_QUOTE_REPORTED);
    CHECK(dp_story_quote_at(s, 1)->kind == DP_QUOTE_MARKED);
    CHECK(dp_story_unit_at(s, 0)->carriers[0].status == DP_SENT_UNIQUE);
    CHECK(dp_story_unit_at(s, 99) == NULL);
    CHECK(dp_story_quote_at(s, 99) == NULL);
    CHECK_EQ(dp_story_adds(s, 5, &us), 0);
    CHECK(us == NULL);
    dp_story_free(s);
    dp_story_free(NULL);
    CHECK_EQ(dp_story_units(NULL), 0);
    CHECK(dp_story_member_at(NULL, 0) == NULL);
    dp_doc_free(a);
}
