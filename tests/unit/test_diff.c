/*
 * test_diff.c - the story diff (src/story/diff.c): the seed acceptance
 * items (quotes shared, sentences unique, the CNN sentence rewritten with
 * the right partner despite a longer shared fragment elsewhere, the "work
 * in progress" pair, Tom West added), identical and disjoint documents,
 * splits and repeats, what rewritten sentences add, and exact byte offsets
 * on text with multi-byte characters, curly quotes and CRLF line ends.
 */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "doppel.h"

/* A comparison with the texts it was made from. */
typedef struct pair {
    char *text[2];
    size_t len[2];
    dp_doc *doc[2];
    dp_comparison *c;
} pair;

static void pair_free(pair *p)
{
    int w;
    dp_comparison_free(p->c);
    for (w = 0; w < 2; w++) {
        dp_doc_free(p->doc[w]);
        free(p->text[w]);
    }
    memset(p, 0, sizeof *p);
}

/* Compare two buffers (taken over by @p); returns 0 on failure. */
static int pair_make(pair *p, char *a, size_t la, char *b, size_t lb)
{
    memset(p, 0, sizeof *p);
    p->text[0] = a;
    p->text[1] = b;
    p->len[0] = la;
    p->len[1] = lb;
    if (!a || !b)
        return 0;
    if (dp_doc_create(a, la, NULL, &p->doc[0], NULL) != DP_OK ||
        dp_doc_create(b, lb, NULL, &p->doc[1], NULL) != DP_OK)
        return 0;
    return dp_compare(p->doc[0], p->doc[1], NULL, &p->c) == DP_OK;
}

static int pair_texts(pair *p, const char *a, const char *b)
{
    return pair_make(p, strdup(a), strlen(a), strdup(b), strlen(b));
}

static int pair_seeds(pair *p)
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
    return pair_make(p, a, la, b, lb);
}

static size_t nsent(const pair *p, int side)
{
    return dp_doc_sentences(p->doc[side]);
}

static const dp_sentence_diff *sent(const pair *p, int side, size_t i)
{
    return dp_comparison_sentence(p->c, side, i);
}

/* Index of the first sentence of @side whose text contains @needle, or -1. */
static long find_sent(const pair *p, int side, const char *needle)
{
    size_t i, n = strlen(needle);
    for (i = 0; i < nsent(p, side); i++) {
        const dp_span *s = &sent(p, side, i)->span;
        const char *t = p->text[side] + s->start;
        size_t len = s->end - s->start, k;
        for (k = 0; k + n <= len; k++)
            if (memcmp(t + k, needle, n) == 0)
                return (long)i;
    }
    return -1;
}

/* Whether sentence @i of @side lists @word (exact original text) as added. */
static int has_added(const pair *p, int side, long i, const char *word)
{
    const dp_sentence_diff *d;
    size_t k, n = strlen(word);
    if (i < 0)
        return 0;
    d = sent(p, side, (size_t)i);
    for (k = 0; k < d->nadded; k++)
        if (d->added[k].end - d->added[k].start == n &&
            memcmp(p->text[side] + d->added[k].start, word, n) == 0)
            return 1;
    return 0;
}

/* Byte range of the text from @head to the end of @tail on @side. */
static int locate(const pair *p, int side, const char *head, const char *tail,
                  size_t *s, size_t *e)
{
    const char *t = p->text[side], *h = strstr(t, head), *x;
    if (!h)
        return 0;
    x = strstr(h, tail);
    if (!x)
        return 0;
    *s = (size_t)(h - t);
    *e = (size_t)(x - t) + strlen(tail);
    return 1;
}

/* Largest share of [s, e) on @side that one passage covers. */
static double covered(const pair *p, int side, size_t s, size_t e)
{
    size_t i;
    double best = 0.0;
    for (i = 0; i < dp_comparison_passages(p->c); i++) {
        const dp_passage *q = dp_comparison_passage(p->c, i);
        const dp_span *sp = side ? &q->b : &q->a;
        size_t lo = sp->start > s ? sp->start : s;
        size_t hi = sp->end < e ? sp->end : e;
        if (e > s && hi > lo && (double)(hi - lo) / (double)(e - s) > best)
            best = (double)(hi - lo) / (double)(e - s);
    }
    return best;
}

/* ---- the seeds ------------------------------------------------------ */

TEST(diff_seed_quotes_are_shared_passages)
{
    static const char *q[3][2] = {
        {"The Taliban are struggling", "particularly in Kabul"},
        {"[Cohen] is likely", "or its allies"},
        {"ISIS-K now poses", "unable to contain them"}};
    pair p;
    int k, w;
    REQUIRE(pair_seeds(&p));
    for (k = 0; k < 3; k++)
        for (w = 0; w < 2; w++) {
            size_t s = 0, e = 0;
            CHECK(locate(&p, w, q[k][0], q[k][1], &s, &e));
            CHECK(covered(&p, w, s, e) >= 0.9);
        }
    pair_free(&p);
}

TEST(diff_seed_unique_sentences)
{
    static const char *a[] = {
        "He was found to be residing in a safe house",
        "US officials had claimed that the home belonged"};
    static const char *b[] = {
        "Last month, the United Nations raised",
        "The concerns were raised in the latest quarterly",
        "The security situation reveals", "It said the Taliban's commitment"};
    pair p;
    size_t k;
    REQUIRE(pair_seeds(&p));
    for (k = 0; k < 2; k++) {
        long i = find_sent(&p, 0, a[k]);
        CHECK(i >= 0);
        if (i >= 0) {
            CHECK_EQ(sent(&p, 0, (size_t)i)->status, DP_SENT_UNIQUE);
            CHECK_EQ(sent(&p, 0, (size_t)i)->partner, -1);
        }
    }
    for (k = 0; k < 4; k++) {
        long i = find_sent(&p, 1, b[k]);
        CHECK(i >= 0);
        if (i >= 0)
            CHECK_EQ(sent(&p, 1, (size_t)i)->status, DP_SENT_UNIQUE);
    }
    pair_free(&p);
}

TEST(diff_seed_cnn_sentence_rewritten_with_first_meeting)
{
    /* A's CNN sentence shares an 11-word passage with B's opening
     * sentence, but says what B's second sentence says. */
    pair p;
    long i, j, lead, head;
    REQUIRE(pair_seeds(&p));
    i = find_sent(&p, 0, "According to CNN, this was the first meeting");
    j = find_sent(&p, 1,
                  "This is the first in-person meeting between the two sides");
    lead =
        find_sent(&p, 1, "Washington: More than two months after the killing");
    head =
        find_sent(&p, 0, "US officials hold first in-person meet with Taliban");
    REQUIRE(i >= 0 && j >= 0 && lead >= 0 && head >= 0);
    CHECK_EQ(sent(&p, 0, (size_t)i)->status, DP_SENT_REWRITTEN);
    CHECK_EQ(sent(&p, 0, (size_t)i)->partner, j);
    CHECK_EQ(sent(&p, 1, (size_t)j)->partner, i);
    CHECK(sent(&p, 0, (size_t)i)->similarity >= 0.3);
    /* B's lead pairs with A's headline (printed twice in A: both copies) */
    CHECK_EQ(sent(&p, 1, (size_t)lead)->status, DP_SENT_REWRITTEN);
    CHECK_EQ(sent(&p, 1, (size_t)lead)->partner, head);
    CHECK_EQ(sent(&p, 0, (size_t)head)->partner, lead);
    CHECK_EQ(sent(&p, 0, (size_t)head + 1)->partner, lead);
    pair_free(&p);
}

TEST(diff_seed_work_in_progress_pair)
{
    pair p;
    long i, j;
    REQUIRE(pair_seeds(&p));
    i = find_sent(&p, 0, "a work in progress");
    j = find_sent(&p, 1, "a work in progress");
    REQUIRE(i >= 0 && j >= 0);
    CHECK(sent(&p, 0, (size_t)i)->status != DP_SENT_UNIQUE);
    CHECK(sent(&p, 1, (size_t)j)->status != DP_SENT_UNIQUE);
    CHECK_EQ(sent(&p, 0, (size_t)i)->partner, j);
    CHECK_EQ(sent(&p, 1, (size_t)j)->partner, i);
    /* B's version adds its attribution */
    CHECK(has_added(&p, 1, j, "CNN"));
    pair_free(&p);
}

TEST(diff_seed_tom_west_added)
{
    pair p;
    long j, i, k;
    REQUIRE(pair_seeds(&p));
    j = find_sent(&p, 1, "Tom West");
    i = find_sent(&p, 0,
                  "The meeting that took place on Saturday saw the presence");
    REQUIRE(j >= 0 && i >= 0);
    CHECK_EQ(sent(&p, 1, (size_t)j)->status, DP_SENT_REWRITTEN);
    CHECK_EQ(sent(&p, 1, (size_t)j)->partner, i);
    CHECK(has_added(&p, 1, j, "Tom West"));
    CHECK(has_added(&p, 1, j, "David Cohen"));
    CHECK(has_added(&p, 1, j, "Biden"));
    /* a name is one span, never split or glued to its neighbour */
    CHECK(!has_added(&p, 1, j, "Tom"));
    CHECK(!has_added(&p, 1, j, "West"));
    CHECK(!has_added(&p, 1, j, "Afghanistan, Tom West"));
    /* the other half of the split: B's Wasiq sentence rewrites the same A
     * sentence, and A's sentence adds nothing that those two both hold */
    k = find_sent(&p, 1, "Whereas the Taliban delegation");
    REQUIRE(k >= 0);
    CHECK_EQ(sent(&p, 1, (size_t)k)->partner, i);
    CHECK(!has_added(&p, 0, i, "Abdul Haq Wasiq"));
    CHECK(!has_added(&p, 0, i, "deputy"));
    pair_free(&p);
}

TEST(diff_seed_added_spans_lie_in_their_sentence)
{
    pair p;
    int w;
    size_t i, k;
    REQUIRE(pair_seeds(&p));
    for (w = 0; w < 2; w++)
        for (i = 0; i < nsent(&p, w); i++) {
            const dp_sentence_diff *d = sent(&p, w, i);
            if (d->status == DP_SENT_UNIQUE) {
                CHECK_EQ(d->partner, -1);
                CHECK_EQ(d->nadded, 0);
                CHECK(d->similarity == 0.0);
            } else {
                CHECK(d->partner >= 0 && (size_t)d->partner < nsent(&p, !w));
            }
            if (d->status == DP_SENT_REWRITTEN)
                CHECK(d->similarity >= 0.3 && d->similarity <= 1.0);
            CHECK(d->coverage >= 0.0 && d->coverage <= 1.0);
            for (k = 0; k < d->nadded; k++) {
                const dp_span *a = &d->added[k];
                CHECK(a->start >= d->span.start && a->end <= d->span.end);
                CHECK(a->end > a->start);
                CHECK(p.text[w][a->start] != ' ' &&
                      p.text[w][a->end - 1] != ' ');
            }
        }
    pair_free(&p);
}

/* ---- small documents ------------------------------------------------ */

TEST(diff_identical_documents_all_copied)
{
    const char *t = "The council approved the new budget on Tuesday after a "
                    "long debate. Mayor Ann Lee said 42 projects would start "
                    "in May across the city. Critics called the plan too "
                    "expensive for a small town of this size.";
    pair p;
    size_t i;
    REQUIRE(pair_texts(&p, t, t));
    REQUIRE(nsent(&p, 0) == 3 && nsent(&p, 1) == 3);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(sent(&p, 0, i)->status, DP_SENT_COPIED);
        CHECK_EQ(sent(&p, 0, i)->partner, (long)i);
        CHECK_EQ(sent(&p, 1, i)->partner, (long)i);
        CHECK_NEAR(sent(&p, 0, i)->coverage, 1.0, 1e-12);
        CHECK_NEAR(sent(&p, 0, i)->similarity, 1.0, 1e-9);
        CHECK_EQ(sent(&p, 0, i)->nadded, 0);
    }
    pair_free(&p);
}

TEST(diff_disjoint_documents_all_unique)
{
    pair p;
    size_t i;
    int w;
    REQUIRE(pair_texts(&p,
                       "Glaciers retreat quickly in the Alps. Skiers "
                       "notice thinner snow every winter.",
                       "Penguins swim far south. Their chicks hatch in "
                       "colonies on the ice."));
    CHECK_EQ(dp_comparison_passages(p.c), 0);
    for (w = 0; w < 2; w++)
        for (i = 0; i < nsent(&p, w); i++) {
            CHECK_EQ(sent(&p, w, i)->status, DP_SENT_UNIQUE);
            CHECK_EQ(sent(&p, w, i)->partner, -1);
            CHECK(sent(&p, w, i)->coverage == 0.0);
        }
    pair_free(&p);
}

TEST(diff_rewritten_sentence_adds_names_and_numbers)
{
    pair p;
    long i, j;
    REQUIRE(pair_texts(
        &p,
        "Storms hit the coast. Police arrested two men in Leeds on Friday "
        "after the robbery. The shop reopened on Monday.",
        "Storms hit the coast. Two men were detained by police in Leeds on "
        "Friday after the robbery, said Inspector Sarah Jones, adding that "
        "3 cars were seized. The shop reopened on Monday."));
    i = find_sent(&p, 0, "Police arrested");
    j = find_sent(&p, 1, "Two men were detained");
    REQUIRE(i >= 0 && j >= 0);
    CHECK_EQ(sent(&p, 1, (size_t)j)->status, DP_SENT_REWRITTEN);
    CHECK_EQ(sent(&p, 1, (size_t)j)->partner, i);
    CHECK_EQ(sent(&p, 0, (size_t)i)->partner, j);
    CHECK(has_added(&p, 1, j, "Inspector Sarah Jones"));
    CHECK(has_added(&p, 1, j, "3"));
    CHECK(has_added(&p, 1, j, "cars"));
    CHECK(!has_added(&p, 1, j, "Leeds"));
    CHECK(!has_added(&p, 1, j, "police"));
    CHECK(has_added(&p, 0, i, "arrested"));
    pair_free(&p);
}

TEST(diff_headline_and_lead_share_a_partner)
{
    /* A's headline and lead both say what B's first sentence says */
    pair p;
    REQUIRE(pair_texts(
        &p,
        "Storm shuts Lisburn ferry port for a second day\n\n"
        "Lisburn's ferry port stayed shut on Tuesday after gales tore two "
        "cranes from the pier overnight, the port authority said.\n\n"
        "No one was injured.",
        "The ferry port at Lisburn remained shut for a second day on "
        "Tuesday, after gales ripped two cranes off the pier on Monday "
        "night.\n\nRepairs could take a month, engineers said."));
    REQUIRE(nsent(&p, 0) == 3 && nsent(&p, 1) == 2);
    CHECK_EQ(sent(&p, 0, 0)->status, DP_SENT_REWRITTEN);
    CHECK_EQ(sent(&p, 0, 0)->partner, 0);
    CHECK_EQ(sent(&p, 0, 1)->status, DP_SENT_REWRITTEN);
    CHECK_EQ(sent(&p, 0, 1)->partner, 0);
    CHECK(sent(&p, 1, 0)->partner == 0 || sent(&p, 1, 0)->partner == 1);
    CHECK_EQ(sent(&p, 0, 2)->status, DP_SENT_UNIQUE);
    CHECK_EQ(sent(&p, 1, 1)->status, DP_SENT_UNIQUE);
    CHECK(has_added(&p, 1, 0, "Monday"));
    CHECK(!has_added(&p, 1, 0, "Tuesday"));
    pair_free(&p);
}

TEST(diff_added_lists_each_word_once)
{
    pair p;
    long j;
    const dp_sentence_diff *d;
    size_t k, n = 0;
    REQUIRE(pair_texts(
        &p, "The mayor of Springfield opened the new bridge on Sunday morning.",
        "The mayor of Springfield opened the new bridge on Sunday, and the "
        "bridge toll, the bridge lights and Governor Kim Park, Governor Kim "
        "Park again, were praised."));
    j = find_sent(&p, 1, "Governor Kim Park");
    REQUIRE(j >= 0);
    d = sent(&p, 1, (size_t)j);
    for (k = 0; k < d->nadded; k++)
        n +=
            d->added[k].end - d->added[k].start == 16 &&
            memcmp(p.text[1] + d->added[k].start, "Governor Kim Park", 16) == 0;
    CHECK(has_added(&p, 1, j, "Governor Kim Park"));
    CHECK(n <= 1);
    CHECK(!has_added(&p, 1, j, "bridge"));
    pair_free(&p);
}

TEST(diff_possessive_ends_a_name)
{
    pair p;
    long j;
    REQUIRE(pair_texts(
        &p, "Officials met in Doha on Saturday to discuss security.",
        "Officials met in Doha on Saturday to discuss security with the "
        "Taliban’s Abdul Haq Wasiq and NATO's Mark Rutte."));
    j = find_sent(&p, 1, "Abdul Haq Wasiq");
    REQUIRE(j >= 0);
    CHECK(has_added(&p, 1, j, "Abdul Haq Wasiq"));
    CHECK(has_added(&p, 1, j, "Taliban"));
    CHECK(has_added(&p, 1, j, "Mark Rutte"));
    CHECK(!has_added(&p, 1, j, "Taliban’s Abdul Haq Wasiq"));
    pair_free(&p);
}

TEST(diff_moved_paragraph_still_copied)
{
    /* the copied sentence sits at the start of A and the end of B */
    const char *q = "The central bank raised its main interest rate by half a "
                    "point to 4.5 percent, citing stubborn inflation.";
    char a[1024], b[1024];
    pair p;
    long i, j;
    snprintf(a, sizeof a,
             "%s Farmers in the north expect a poor harvest. "
             "Rain has not fallen for eleven weeks.",
             q);
    snprintf(b, sizeof b,
             "Tourism numbers rose sharply in July. Hotels on "
             "the coast were full. %s",
             q);
    REQUIRE(pair_texts(&p, a, b));
    i = find_sent(&p, 0, "The central bank");
    j = find_sent(&p, 1, "The central bank");
    REQUIRE(i == 0 && j >= 2);
    CHECK_EQ(sent(&p, 0, 0)->status, DP_SENT_COPIED);
    CHECK_EQ(sent(&p, 0, 0)->partner, j);
    CHECK_EQ(sent(&p, 1, (size_t)j)->partner, 0);
    CHECK_EQ(sent(&p, 0, 1)->status, DP_SENT_UNIQUE);
    pair_free(&p);
}

TEST(diff_rewrite_threshold_is_an_option)
{
    /* a weak paraphrase is rewritten only under a low rewrite_min */
    const char *a = "Heavy rain flooded the old market square on Tuesday.";
    const char *b = "On Tuesday the square near the market stood under water "
                    "after a storm, residents said.";
    dp_doc *da = NULL, *db = NULL;
    dp_comparison *c = NULL;
    dp_compare_opts o;
    REQUIRE(dp_doc_create(a, strlen(a), NULL, &da, NULL) == DP_OK);
    REQUIRE(dp_doc_create(b, strlen(b), NULL, &db, NULL) == DP_OK);
    dp_compare_opts_init(&o);
    o.rewrite_min = 0.05;
    REQUIRE(dp_compare(da, db, &o, &c) == DP_OK);
    CHECK_EQ(dp_comparison_sentence(c, 0, 0)->status, DP_SENT_REWRITTEN);
    dp_comparison_free(c);
    c = NULL;
    o.rewrite_min = 0.99;
    REQUIRE(dp_compare(da, db, &o, &c) == DP_OK);
    CHECK_EQ(dp_comparison_sentence(c, 0, 0)->status, DP_SENT_UNIQUE);
    dp_comparison_free(c);
    dp_doc_free(da);
    dp_doc_free(db);
}

/* ---- offsets ----------------------------------------------------------- */

/* Whether byte @i of @t starts a UTF-8 character (or is the end). */
static int at_char(const char *t, size_t len, size_t i)
{
    return i == len || ((unsigned char)t[i] & 0xC0) != 0x80;
}

static int is_space(char c)
{
    return c == ' ' || c == '\r' || c == '\n' || c == '\t';
}

TEST(diff_offsets_exact_on_multibyte_curly_quotes_crlf)
{
    const char *a =
        "Café owner Zoë Müller said “the harbour will reopen on Monday at "
        "9 a.m. sharp” to reporters in Nantes.\r\n"
        "The ferry to Île-d’Yeu carried 120 passengers on Sunday.\r\n"
        "Officials in Nantes confirmed the figures — late on Sunday.\r\n";
    const char *b =
        "Le port rouvre: café owner Zoë Müller said “the harbour will reopen "
        "on Monday at 9 a.m. sharp” to reporters in Nantes.\r\n\r\n"
        "Only 80 passengers took the ferry to Île-d’Yeu on Sunday, said "
        "Jean-Luc Dupré.\r\n";
    pair p;
    size_t i, k;
    int w;
    REQUIRE(pair_texts(&p, a, b));
    REQUIRE(dp_comparison_passages(p.c) >= 1);
    for (i = 0; i < dp_comparison_passages(p.c); i++) {
        const dp_passage *q = dp_comparison_passage(p.c, i);
        size_t la = q->a.end - q->a.start, lb = q->b.end - q->b.start;
        CHECK(q->a.end <= p.len[0] && q->b.end <= p.len[1]);
        CHECK(la > 0 && lb > 0);
        CHECK(at_char(p.text[0], p.len[0], q->a.start) &&
              at_char(p.text[0], p.len[0], q->a.end));
        CHECK(at_char(p.text[1], p.len[1], q->b.start) &&
              at_char(p.text[1], p.len[1], q->b.end));
        /* the quote is verbatim on both sides: same bytes */
        if (la == lb)
            CHECK(memcmp(p.text[0] + q->a.start, p.text[1] + q->b.start, la) ==
                  0);
    }
    {
        size_t s = 0, e = 0;
        REQUIRE(locate(&p, 0, "the harbour", "sharp", &s, &e));
        CHECK(covered(&p, 0, s, e) >= 0.99);
        REQUIRE(locate(&p, 1, "the harbour", "sharp", &s, &e));
        CHECK(covered(&p, 1, s, e) >= 0.99);
    }
    for (w = 0; w < 2; w++) {
        size_t prev = 0;
        for (i = 0; i < nsent(&p, w); i++) {
            const dp_sentence_diff *d = sent(&p, w, i);
            dp_span sp;
            REQUIRE(dp_doc_sentence(p.doc[w], i, &sp, NULL, NULL) == DP_OK);
            CHECK(d->span.start == sp.start && d->span.end == sp.end);
            CHECK(d->span.start >= prev && d->span.end > d->span.start);
            CHECK(d->span.end <= p.len[w]);
            CHECK(at_char(p.text[w], p.len[w], d->span.start));
            CHECK(at_char(p.text[w], p.len[w], d->span.end));
            CHECK(!is_space(p.text[w][d->span.start]));
            CHECK(!is_space(p.text[w][d->span.end - 1]));
            prev = d->span.end;
            for (k = 0; k < d->nadded; k++) {
                CHECK(at_char(p.text[w], p.len[w], d->added[k].start));
                CHECK(at_char(p.text[w], p.len[w], d->added[k].end));
            }
        }
    }
    /* the first sentences pair up; B's last sentence adds the numbers and
     * the name, spelled as in the original */
    CHECK(sent(&p, 0, 0)->status == DP_SENT_COPIED);
    {
        long j = find_sent(&p, 1, "Only 80 passengers");
        REQUIRE(j >= 0);
        CHECK_EQ(sent(&p, 1, (size_t)j)->status, DP_SENT_REWRITTEN);
        CHECK(has_added(&p, 1, j, "80"));
        CHECK(has_added(&p, 1, j, "Jean-Luc Dupré"));
        CHECK(!has_added(&p, 1, j, "Île-d’Yeu"));
    }
    pair_free(&p);
}
