/*
 * test_align.c - passage alignment (src/align): known answers on small
 * token arrays, edits inside copies, moved and repeated blocks, the caps
 * against repetitive input, and a property test with planted blocks.
 *
 * Tokens here are plain integers standing in for token hashes; "filler"
 * for A, B and the copied blocks comes from disjoint ranges so that no
 * match happens by accident unless a test wants one.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../test.h"
#include "align/align.h"

/* xorshift64*: a small deterministic generator for the tests. */
static uint64_t rng_state;
static void rng_seed(uint64_t s)
{
    rng_state = s ? s : 1;
}
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Fill t[0..n) with distinct tokens base, base+1, ... */
static void fill_seq(uint64_t *t, size_t n, uint64_t base)
{
    size_t i;
    for (i = 0; i < n; i++)
        t[i] = base + i;
}

/* Every passage must be non-empty and begin and end on matching tokens. */
static int valid(const uint64_t *a, const uint64_t *b, const dp_match *m,
                 size_t n)
{
    size_t u;
    for (u = 0; u < n; u++) {
        if (m[u].a_end <= m[u].a_begin || m[u].b_end <= m[u].b_begin)
            return 0;
        if (a[m[u].a_begin] != b[m[u].b_begin] ||
            a[m[u].a_end - 1] != b[m[u].b_end - 1])
            return 0;
        if (u && (m[u - 1].a_begin > m[u].a_begin ||
                  (m[u - 1].a_begin == m[u].a_begin &&
                   m[u - 1].b_begin > m[u].b_begin)))
            return 0; /* not sorted */
    }
    return 1;
}

static int has(const dp_match *m, size_t n, uint32_t a0, uint32_t a1,
               uint32_t b0, uint32_t b1)
{
    size_t u;
    for (u = 0; u < n; u++)
        if (m[u].a_begin == a0 && m[u].a_end == a1 && m[u].b_begin == b0 &&
            m[u].b_end == b1)
            return 1;
    return 0;
}

TEST(align_identical_one_passage)
{
    uint64_t a[100];
    dp_match *m;
    size_t n;
    fill_seq(a, 100, 1000);
    REQUIRE(dpi_align_tokens(a, 100, a, 100, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 0, 100, 0, 100));
    free(m);
}

TEST(align_changed_word_one_passage)
{
    /* A: 10 filler, 30 copied, 10 filler; B: 20 filler, the copy with its
     * 15th word changed, 5 filler. */
    uint64_t a[50], b[55];
    dp_match *m;
    size_t n;
    fill_seq(a, 10, 100);
    fill_seq(a + 10, 30, 1000);
    fill_seq(a + 40, 10, 200);
    fill_seq(b, 20, 300);
    fill_seq(b + 20, 30, 1000);
    fill_seq(b + 50, 5, 400);
    b[20 + 14] = 9999;
    REQUIRE(dpi_align_tokens(a, 50, b, 55, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 10, 40, 20, 50));
    CHECK(valid(a, b, m, n));
    free(m);
}

TEST(align_insert_delete_one_passage)
{
    unsigned k;
    for (k = 1; k <= 3; k++) {
        uint64_t a[40], b[45];
        dp_match *m;
        size_t n;
        /* Insertion in B: a = copy(40); b = copy[0..20) + k new + copy[20..40)
         */
        fill_seq(a, 40, 1000);
        fill_seq(b, 20, 1000);
        fill_seq(b + 20, k, 5000);
        fill_seq(b + 20 + k, 20, 1020);
        REQUIRE(dpi_align_tokens(a, 40, b, 40 + k, NULL, &m, &n) == DP_OK);
        CHECK_EQ(n, 1);
        CHECK(has(m, n, 0, 40, 0, 40 + k));
        free(m);
        /* Deletion from B: the same the other way round. */
        REQUIRE(dpi_align_tokens(b, 40 + k, a, 40, NULL, &m, &n) == DP_OK);
        CHECK_EQ(n, 1);
        CHECK(has(m, n, 0, 40 + k, 0, 40));
        free(m);
    }
    /* Both at once: a word dropped early, two inserted late. */
    {
        uint64_t a[60], b[61];
        dp_match *m;
        size_t n;
        fill_seq(a, 60, 1000);
        fill_seq(b, 10, 1000);      /* a[0..10) */
        fill_seq(b + 10, 39, 1011); /* a[11..50): a[10] dropped */
        b[49] = 7001;               /* two inserted */
        b[50] = 7002;
        fill_seq(b + 51, 10, 1050); /* a[50..60) */
        REQUIRE(dpi_align_tokens(a, 60, b, 61, NULL, &m, &n) == DP_OK);
        CHECK_EQ(n, 1);
        CHECK(has(m, n, 0, 60, 0, 61));
        free(m);
    }
}

TEST(align_gap_larger_than_max_gap_two_passages)
{
    /* 40 copied words with 5 consecutive words changed in B (> max_gap 4). */
    uint64_t a[40], b[40];
    dp_match *m;
    size_t n;
    dp_align_opts o;
    fill_seq(a, 40, 1000);
    fill_seq(b, 40, 1000);
    fill_seq(b + 15, 5, 8000);
    REQUIRE(dpi_align_tokens(a, 40, b, 40, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK(has(m, n, 0, 15, 0, 15));
    CHECK(has(m, n, 20, 40, 20, 40));
    free(m);
    /* With max_gap 5 the same edit is bridged. */
    dpi_align_opts_init(&o);
    o.max_gap = 5;
    REQUIRE(dpi_align_tokens(a, 40, b, 40, &o, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 0, 40, 0, 40));
    free(m);
    /* With max_gap 0 every passage is one exact run. */
    o.max_gap = 0;
    b[15] = 1015;
    b[16] = 1016;
    b[17] = 1017;
    b[19] = 1019; /* only b[18] differs */
    REQUIRE(dpi_align_tokens(a, 40, b, 40, &o, &m, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK(has(m, n, 0, 18, 0, 18));
    CHECK(has(m, n, 19, 40, 19, 40));
    free(m);
}

TEST(align_moved_block_found)
{
    /* A = P1 P2 P3, B = P2 P3 P1: A's first paragraph is at B's end. */
    uint64_t a[120], b[120];
    dp_match *m;
    size_t n;
    fill_seq(a, 120, 1000);
    fill_seq(b, 80, 1040);
    fill_seq(b + 80, 40, 1000);
    REQUIRE(dpi_align_tokens(a, 120, b, 120, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK(has(m, n, 0, 40, 80, 120));
    CHECK(has(m, n, 40, 120, 0, 80));
    CHECK(valid(a, b, m, n));
    free(m);
}

TEST(align_repeated_block_found_twice)
{
    /* A = X P Y; B = U P V P W. */
    uint64_t a[70], b[110];
    dp_match *m;
    size_t n;
    fill_seq(a, 20, 100);
    fill_seq(a + 20, 30, 1000);
    fill_seq(a + 50, 20, 200);
    fill_seq(b, 10, 300);
    fill_seq(b + 10, 30, 1000);
    fill_seq(b + 40, 30, 400);
    fill_seq(b + 70, 30, 1000);
    fill_seq(b + 100, 10, 500);
    REQUIRE(dpi_align_tokens(a, 70, b, 110, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK(has(m, n, 20, 50, 10, 40));
    CHECK(has(m, n, 20, 50, 70, 100));
    free(m);
    /* And the other way round: twice in A, once in B. */
    REQUIRE(dpi_align_tokens(b, 110, a, 70, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK(has(m, n, 10, 40, 20, 50));
    CHECK(has(m, n, 70, 100, 20, 50));
    free(m);
}

TEST(align_below_min_words_not_reported)
{
    uint64_t a[30], b[30];
    dp_match *m;
    size_t n;
    dp_align_opts o;
    fill_seq(a, 30, 100);
    fill_seq(b, 30, 200);
    fill_seq(a + 5, 7, 1000); /* a 7-word copy */
    fill_seq(b + 12, 7, 1000);
    REQUIRE(dpi_align_tokens(a, 30, b, 30, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 0);
    CHECK(m == NULL);
    /* Eight words are enough. */
    a[12] = b[19] = 1007;
    REQUIRE(dpi_align_tokens(a, 30, b, 30, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 5, 13, 12, 20));
    free(m);
    /* min_words is configurable both ways. */
    dpi_align_opts_init(&o);
    o.min_words = 9;
    REQUIRE(dpi_align_tokens(a, 30, b, 30, &o, &m, &n) == DP_OK);
    CHECK_EQ(n, 0);
    o.min_words = 2;
    a[8] = 56; /* runs of 3 and 4 words: a[5..8) | a[9..13) */
    REQUIRE(dpi_align_tokens(a, 30, b, 30, &o, &m, &n) == DP_OK);
    CHECK_EQ(n, 1); /* chained across the one changed word */
    CHECK(has(m, n, 5, 13, 12, 20));
    free(m);
    /* A run shorter than chain_min is not stepped onto: with a[7] changed
     * too, a[5..7) is left out and, being 2 words, is not reported. */
    a[7] = 57;
    o.min_words = 3;
    REQUIRE(dpi_align_tokens(a, 30, b, 30, &o, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 9, 13, 16, 20));
    free(m);
}

TEST(align_no_matches_zero)
{
    uint64_t a[50], b[50];
    dp_match *m = (dp_match *)1;
    size_t n = 99;
    fill_seq(a, 50, 100);
    fill_seq(b, 50, 200);
    REQUIRE(dpi_align_tokens(a, 50, b, 50, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 0);
    CHECK(m == NULL);
    /* Empty sides and sides shorter than a seed. */
    REQUIRE(dpi_align_tokens(NULL, 0, b, 50, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 0);
    REQUIRE(dpi_align_tokens(a, 2, a, 2, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 0);
}

TEST(align_invalid_arguments)
{
    uint64_t a[4] = {1, 2, 3, 4};
    dp_match *m;
    size_t n;
    CHECK_EQ(dpi_align_tokens(a, 4, a, 4, NULL, NULL, &n), DP_EINVAL);
    CHECK_EQ(dpi_align_tokens(a, 4, a, 4, NULL, &m, NULL), DP_EINVAL);
    CHECK_EQ(dpi_align_tokens(NULL, 4, a, 4, NULL, &m, &n), DP_EINVAL);
    CHECK(m == NULL);
    CHECK_EQ(n, 0);
    CHECK_EQ(dpi_align_tokens(a, 4, NULL, 1, NULL, &m, &n), DP_EINVAL);
    CHECK_EQ(dpi_align_docs(NULL, NULL, NULL, NULL, NULL), DP_EINVAL);
}

TEST(align_extreme_options)
{
    /* Out-of-range options are clamped or harmless: no hang, valid output. */
    uint64_t a[200], b[200];
    dp_align_opts o;
    dp_match *m;
    size_t n;
    fill_seq(a, 200, 1000);
    fill_seq(b, 200, 1000);
    b[50] = 1;
    dpi_align_opts_init(&o);
    o.max_gap = ~0u;
    o.seed_words = ~0u;
    o.chain_min = ~0u;
    o.max_occ = 1;
    o.min_words = 100;
    REQUIRE(dpi_align_tokens(a, 200, b, 200, &o, &m, &n) == DP_OK);
    CHECK_EQ(
        n, 1); /* a[51..200) only: runs shorter than chain_min are not joined */
    CHECK(has(m, n, 51, 200, 51, 200));
    free(m);
    o.min_words = 0; /* reads as 1; seeds of 1 token */
    o.chain_min = 1;
    o.max_gap = 0;
    REQUIRE(dpi_align_tokens(a, 200, b, 200, &o, &m, &n) == DP_OK);
    CHECK_EQ(n, 2);
    CHECK(has(m, n, 0, 50, 0, 50));
    CHECK(has(m, n, 51, 200, 51, 200));
    free(m);
}

TEST(align_one_word_repeated_100k)
{
    /* The pathological case: 10^10 seed pairs if nothing caps them. */
    size_t N = 100000, n, u;
    uint64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    dp_match *m;
    REQUIRE(a && b);
    for (u = 0; u < N; u++)
        a[u] = b[u] = 42;
    REQUIRE(dpi_align_tokens(a, N, b, N, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 0, (uint32_t)N, 0, (uint32_t)N));
    free(m);
    /* Lopsided: 100k copies in A against 50 in B gives 2,000 passages
     * tiling A, each the whole of B. */
    REQUIRE(dpi_align_tokens(a, N, b, 50, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, N / 50);
    for (u = 0; u < n && u < N / 50; u++) {
        CHECK_EQ(m[u].a_begin, 50 * u);
        CHECK_EQ(m[u].a_end, 50 * u + 50);
        CHECK_EQ(m[u].b_begin, 0);
        CHECK_EQ(m[u].b_end, 50);
    }
    free(m);
    /* And the mirror image. */
    REQUIRE(dpi_align_tokens(a, 50, b, N, NULL, &m, &n) == DP_OK);
    CHECK(n >= 1);
    CHECK(valid(a, b, m, n));
    free(m);
    free(a);
    free(b);
}

TEST(align_repetitive_boilerplate_capped)
{
    /* A: a 40-word footer once; B: the same footer 5,000 times. Every
     * footer n-gram is frequent; the result is capped, valid, and still
     * finds the footer. Then a short period (a b c a b c ...) on both
     * sides, which gives one passage. */
    size_t reps = 5000, nb = 40 * reps, n, u;
    uint64_t a[60], *b = malloc(nb * sizeof *b);
    dp_match *m;
    REQUIRE(b);
    fill_seq(a, 10, 100);
    fill_seq(a + 10, 40, 1000);
    fill_seq(a + 50, 10, 200);
    for (u = 0; u < reps; u++)
        fill_seq(b + 40 * u, 40, 1000);
    REQUIRE(dpi_align_tokens(a, 60, b, nb, NULL, &m, &n) == DP_OK);
    CHECK(n >= 1);
    CHECK(n <= DP_ALIGN_MAX_OCC);
    CHECK(valid(a, b, m, n));
    for (u = 0; u < n; u++) {
        CHECK_EQ(m[u].a_begin, 10);
        CHECK_EQ(m[u].a_end, 50);
        CHECK_EQ(m[u].b_end - m[u].b_begin, 40);
    }
    free(m);
    for (u = 0; u < nb; u++)
        b[u] = u % 3;
    REQUIRE(dpi_align_tokens(b, nb, b, nb, NULL, &m, &n) == DP_OK);
    CHECK_EQ(n, 1);
    CHECK(has(m, n, 0, (uint32_t)nb, 0, (uint32_t)nb));
    free(m);
    free(b);
}

TEST(align_random_planted_blocks)
{
    /* Property: blocks copied from A into random places of B (in shuffled
     * order, some twice) are each found exactly, as one passage each; and
     * nothing else is reported. Fillers are disjoint, so the only matches
     * are the planted ones. */
    int round;
    rng_seed(12345);
    for (round = 0; round < 50; round++) {
        enum { NA = 3000, NB = 4000, MAXB = 12 };
        static uint64_t a[NA], b[NB];
        uint32_t a0[MAXB], len[MAXB], b0[MAXB * 2], owner[MAXB * 2];
        size_t nblocks = 1 + rng() % 8, nplant = 0, u, n, found;
        uint32_t next_a = 0, next_b = 0;
        dp_match *m;

        for (u = 0; u < NA; u++)
            a[u] = ((uint64_t)1 << 40) + (rng() & 0xffffffffu);
        for (u = 0; u < NB; u++)
            b[u] = ((uint64_t)2 << 40) + (rng() & 0xffffffffu);
        /* Non-overlapping blocks of 8..200 tokens in A. */
        for (u = 0; u < nblocks; u++) {
            len[u] = 8 + (uint32_t)(rng() % 193);
            a0[u] = next_a + (uint32_t)(rng() % 100);
            if (a0[u] + len[u] > NA)
                break;
            next_a = a0[u] + len[u] + 1;
        }
        nblocks = u;
        /* Plant them in B at random non-overlapping spots, order by a
         * random permutation; every third block twice. */
        {
            uint32_t order[MAXB * 2];
            size_t np = 0, x;
            for (u = 0; u < nblocks; u++) {
                order[np++] = (uint32_t)u;
                if (u % 3 == 2)
                    order[np++] = (uint32_t)u;
            }
            for (x = np; x > 1; x--) {
                size_t y = rng() % x;
                uint32_t t = order[x - 1];
                order[x - 1] = order[y];
                order[y] = t;
            }
            for (x = 0; x < np; x++) {
                uint32_t bl = order[x],
                         at = next_b + (uint32_t)(rng() % 50) + 1;
                if (at + len[bl] > NB)
                    break;
                memcpy(b + at, a + a0[bl], len[bl] * sizeof *b);
                b0[nplant] = at;
                owner[nplant++] = bl;
                next_b = at + len[bl];
            }
        }
        REQUIRE(dpi_align_tokens(a, NA, b, NB, NULL, &m, &n) == DP_OK);
        CHECK(valid(a, b, m, n));
        found = 0;
        for (u = 0; u < nplant; u++) {
            uint32_t bl = owner[u];
            if (has(m, n, a0[bl], a0[bl] + len[bl], b0[u], b0[u] + len[bl]))
                found++;
            else
                dp_test_fail(__FILE__, __LINE__,
                             "round %d: block a[%u,+%u) at b %u not found",
                             round, a0[bl], len[bl], b0[u]);
        }
        CHECK_EQ(n, nplant);
        CHECK_EQ(found, nplant);
        free(m);
    }
}

TEST(align_noisy_planted_blocks)
{
    /* The same with a tiny shared vocabulary, so short chance matches are
     * everywhere, and with one changed word in every copy: each block is
     * still covered by exactly one passage that contains it, reaching at
     * most max_gap + 2 words past it. */
    int round;
    rng_seed(777);
    for (round = 0; round < 30; round++) {
        enum { NA = 2000, NB = 2000, V = 40 };
        static uint64_t a[NA], b[NB];
        uint32_t a0[4], len[4], b0[4];
        size_t nbl = 0, u, v, n;
        dp_match *m;
        for (u = 0; u < NA; u++)
            a[u] = rng() % V;
        for (u = 0; u < NB; u++)
            b[u] = rng() % V;
        for (u = 0; u < 4; u++) {
            len[u] = 30 + (uint32_t)(rng() % 100);
            a0[u] = (uint32_t)(u * 500 + rng() % 300);
            b0[u] = (uint32_t)((3 - u) * 500 + rng() % 300); /* reversed */
            memcpy(b + b0[u], a + a0[u], len[u] * sizeof *b);
            b[b0[u] + len[u] / 2] = 1000 + u; /* a changed word */
            nbl++;
        }
        REQUIRE(dpi_align_tokens(a, NA, b, NB, NULL, &m, &n) == DP_OK);
        CHECK(valid(a, b, m, n));
        for (u = 0; u < nbl; u++) {
            size_t cover = 0;
            for (v = 0; v < n; v++) {
                if (m[v].a_begin <= a0[u] && m[v].a_end >= a0[u] + len[u] &&
                    m[v].b_begin <= b0[u] && m[v].b_end >= b0[u] + len[u]) {
                    cover++;
                    CHECK(a0[u] - m[v].a_begin <= DP_ALIGN_MAX_GAP + 2);
                    CHECK(m[v].a_end - (a0[u] + len[u]) <=
                          DP_ALIGN_MAX_GAP + 2);
                }
            }
            if (cover != 1)
                dp_test_fail(__FILE__, __LINE__,
                             "round %d block %zu covered %zu times", round, u,
                             cover);
        }
        free(m);
    }
}

TEST(align_deterministic)
{
    /* Same input, same output, whatever the hash table's seed. */
    enum { N = 5000 };
    static uint64_t a[N], b[N];
    dp_match *m1, *m2;
    size_t n1, n2, u;
    rng_seed(99);
    for (u = 0; u < N; u++) {
        a[u] = rng() % 30;
        b[u] = rng() % 30;
    }
    memcpy(b + 1000, a + 2000, 300 * sizeof *a);
    REQUIRE(dpi_align_tokens(a, N, b, N, NULL, &m1, &n1) == DP_OK);
    REQUIRE(dpi_align_tokens(a, N, b, N, NULL, &m2, &n2) == DP_OK);
    CHECK_EQ(n1, n2);
    CHECK(n1 >= 1);
    CHECK(n1 == n2 && memcmp(m1, m2, n1 * sizeof *m1) == 0);
    free(m1);
    free(m2);
}

/* ------------------------------------------------------------------
 * Document level: byte spans through the text pipeline
 * ------------------------------------------------------------------ */

#include "doppel.h"

static dp_doc *doc_of(const char *text)
{
    dp_doc *d = NULL;
    if (dp_doc_create(text, strlen(text), NULL, &d, NULL))
        return NULL;
    return d;
}

/* Byte range of the first occurrence of @s in @hay, from its start to the
 * end of @last found after it; 0 when either is missing. */
static int span_of(const char *hay, const char *s, const char *last,
                   size_t *start, size_t *end)
{
    const char *p = strstr(hay, s), *q;
    if (!p)
        return 0;
    q = strstr(p, last);
    if (!q)
        return 0;
    *start = (size_t)(p - hay);
    *end = (size_t)(q - hay) + strlen(last);
    return 1;
}

TEST(align_docs_byte_spans_exact)
{
    /* Multi-byte letters, curly against straight quotes and apostrophes,
     * CRLF inside the copied text on one side, and a dropped comma. */
    const char *ta =
        "Intro line one.\r\n"
        "She said, \xe2\x80\x9c\xc3\x87"
        "a va tr\xc3\xa8s bien \xe2\x80\x94 "
        "the caf\xc3\xa9\xe2\x80\x99s na\xc3\xafve cr\xc3\xa8me,\r\n"
        "br\xc3\xbbl\xc3\xa9"
        "e is d\xc3\xa9licieux,\xe2\x80\x9d and left.\r\n"
        "End.\r\n";
    const char *tb = "Other words here.\r\n"
                     "\"\xc3\x87"
                     "a va tr\xc3\xa8s bien - the caf\xc3\xa9's na\xc3\xafve "
                     "cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
                     "e is d\xc3\xa9licieux\" she said.\r\n";
    const char *want_a =
        "\xc3\x87"
        "a va tr\xc3\xa8s bien \xe2\x80\x94 the caf\xc3\xa9\xe2\x80\x99s "
        "na\xc3\xafve cr\xc3\xa8me,\r\nbr\xc3\xbbl\xc3\xa9"
        "e is d\xc3\xa9licieux";
    const char *want_b =
        "\xc3\x87"
        "a va tr\xc3\xa8s bien - the caf\xc3\xa9's na\xc3\xafve "
        "cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
        "e is d\xc3\xa9licieux";
    dp_doc *a = doc_of(ta), *b = doc_of(tb);
    dp_passage *p = NULL;
    size_t n = 0;
    const char *oa, *ob;

    REQUIRE(a && b);
    REQUIRE(dpi_align_docs(a, b, NULL, &p, &n) == DP_OK);
    CHECK_EQ(n, 1);
    if (n == 1) {
        oa = dp_doc_text(a, NULL);
        ob = dp_doc_text(b, NULL);
        CHECK_MEM(oa + p[0].a.start, p[0].a.end - p[0].a.start, want_a);
        CHECK_MEM(ob + p[0].b.start, p[0].b.end - p[0].b.start, want_b);
        CHECK_EQ(p[0].words, 11);
    }
    free(p);
    dp_doc_free(a);
    dp_doc_free(b);
}

TEST(align_docs_every_passage_is_its_text)
{
    /* Property through the pipeline: for every passage, the two original
     * spans hold the same words (compared on the documents' own token
     * hashes inside the spans, the first and last exactly). */
    char *ta, *tb;
    size_t la, lb, n = 0, u;
    char path[1024];
    dp_doc *a = NULL, *b = NULL;
    dp_passage *p = NULL;

    snprintf(path, sizeof path, "%s/seeds/000_150493159232f54a.txt",
             dp_test_shared());
    ta = dp_test_slurp(path, &la);
    snprintf(path, sizeof path, "%s/seeds/001_64c48dc445758d8a.txt",
             dp_test_shared());
    tb = dp_test_slurp(path, &lb);
    REQUIRE(ta && tb);
    REQUIRE(dp_doc_create(ta, la, NULL, &a, NULL) == DP_OK);
    REQUIRE(dp_doc_create(tb, lb, NULL, &b, NULL) == DP_OK);
    REQUIRE(dpi_align_docs(a, b, NULL, &p, &n) == DP_OK);
    CHECK(n >= 3);
    for (u = 0; u < n; u++) {
        size_t i, j, na = dp_doc_words(a), nb = dp_doc_words(b);
        dp_token t;
        size_t fa = na, la_ = 0, fb = nb, lb_ = 0;
        CHECK(p[u].a.end <= la && p[u].b.end <= lb);
        CHECK(p[u].a.start < p[u].a.end && p[u].b.start < p[u].b.end);
        if (u)
            CHECK(p[u - 1].a.start <= p[u].a.start);
        /* Tokens spanned on each side. */
        for (i = 0; i < na; i++) {
            REQUIRE(dp_doc_token(a, i, &t) == DP_OK);
            if (t.span.start >= p[u].a.start && t.span.end <= p[u].a.end) {
                if (fa == na)
                    fa = i;
                la_ = i;
            }
        }
        for (j = 0; j < nb; j++) {
            REQUIRE(dp_doc_token(b, j, &t) == DP_OK);
            if (t.span.start >= p[u].b.start && t.span.end <= p[u].b.end) {
                if (fb == nb)
                    fb = j;
                lb_ = j;
            }
        }
        REQUIRE(fa < na && fb < nb);
        {
            dp_token x, y;
            dp_doc_token(a, fa, &x);
            dp_doc_token(b, fb, &y);
            CHECK_EQ(x.span.start, p[u].a.start); /* starts on a token */
            CHECK_EQ(y.span.start, p[u].b.start);
            CHECK(x.hash == y.hash);
            dp_doc_token(a, la_, &x);
            dp_doc_token(b, lb_, &y);
            CHECK_EQ(x.span.end, p[u].a.end); /* ends on a token */
            CHECK_EQ(y.span.end, p[u].b.end);
            CHECK(x.hash == y.hash);
        }
        CHECK_EQ(p[u].words, la_ - fa > lb_ - fb ? la_ - fa + 1 : lb_ - fb + 1);
    }
    free(p);
    dp_doc_free(a);
    dp_doc_free(b);
    free(ta);
    free(tb);
}

/* Is [s, e) of A and [t, f) of B inside one passage? */
static int covered_by_one(const dp_passage *p, size_t n, size_t s, size_t e,
                          size_t t, size_t f)
{
    size_t u;
    for (u = 0; u < n; u++)
        if (p[u].a.start <= s && e <= p[u].a.end && p[u].b.start <= t &&
            f <= p[u].b.end)
            return 1;
    return 0;
}

TEST(align_docs_seeds_quotes_and_progress)
{
    /* The first real case: each of Beth Sanner's three quotes lies inside
     * a passage on both sides, and the two "a work in progress" sentences
     * are covered by one passage. */
    static const char *const quote[][2] = {
        {"The Taliban are struggling", "particularly in Kabul"},
        {"Cohen] is likely", "or its allies"},
        {"ISIS-K now poses", "unable to contain them"},
        {"comes after the White House", "a work in progress"},
    };
    char *ta, *tb, path[1024];
    size_t la, lb, n = 0, q;
    dp_doc *a = NULL, *b = NULL;
    dp_passage *p = NULL;

    snprintf(path, sizeof path, "%s/seeds/000_150493159232f54a.txt",
             dp_test_shared());
    ta = dp_test_slurp(path, &la);
    snprintf(path, sizeof path, "%s/seeds/001_64c48dc445758d8a.txt",
             dp_test_shared());
    tb = dp_test_slurp(path, &lb);
    REQUIRE(ta && tb);
    REQUIRE(dp_doc_create(ta, la, NULL, &a, NULL) == DP_OK);
    REQUIRE(dp_doc_create(tb, lb, NULL, &b, NULL) == DP_OK);
    REQUIRE(dpi_align_docs(a, b, NULL, &p, &n) == DP_OK);
    for (q = 0; q < sizeof quote / sizeof quote[0]; q++) {
        size_t s, e, t, f;
        REQUIRE(span_of(ta, quote[q][0], quote[q][1], &s, &e));
        REQUIRE(span_of(tb, quote[q][0], quote[q][1], &t, &f));
        if (!covered_by_one(p, n, s, e, t, f))
            dp_test_fail(__FILE__, __LINE__, "not one passage: \"%s ... %s\"",
                         quote[q][0], quote[q][1]);
    }
    /* Nothing of 000's safe-house sentence is shared. */
    {
        size_t s, e, u;
        REQUIRE(
            span_of(ta, "He was found to be residing", "the Taliban.", &s, &e));
        for (u = 0; u < n; u++)
            CHECK(p[u].a.end <= s || p[u].a.start >= e);
    }
    free(p);
    dp_doc_free(a);
    dp_doc_free(b);
    free(ta);
    free(tb);
}
