/*
 * test_lsh.c - LSH banding: the parameter search (against hand-computed
 * integrals and a brute-force search), the S-curve against empirical
 * candidate rates on synthetic signatures, band keys, and the bucket
 * table's pairs (each once, in order, capped buckets) and queries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "sketch/lsh.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Integrals worked by hand. Simpson's rule is exact for polynomials up to
 * degree 3 (so to rounding: 1e-12), and within 1e-11 for degree 5. */
TEST(lsh_areas_match_hand_computed_integrals)
{
    /* b=1, r=1: P(s) = s. FP = t^2/2, FN = (1-t)^2/2. */
    CHECK_NEAR(dpi_lsh_fp_area(0.5, 1, 1), 0.125, 1e-12);
    CHECK_NEAR(dpi_lsh_fn_area(0.5, 1, 1), 0.125, 1e-12);
    CHECK_NEAR(dpi_lsh_fp_area(0.8, 1, 1), 0.32, 1e-12);
    CHECK_NEAR(dpi_lsh_fn_area(0.8, 1, 1), 0.02, 1e-12);
    /* b=2, r=1: P = 2s - s^2. FP = t^2 - t^3/3; FN = (1-t)^3/3. */
    CHECK_NEAR(dpi_lsh_fp_area(0.5, 2, 1), 0.25 - 0.125 / 3, 1e-12);
    CHECK_NEAR(dpi_lsh_fn_area(0.5, 2, 1), 0.125 / 3, 1e-12);
    /* b=1, r=2: P = s^2. FP = t^3/3; FN = (1-t) - (1-t^3)/3. */
    CHECK_NEAR(dpi_lsh_fp_area(0.5, 1, 2), 1.0 / 24, 1e-12);
    CHECK_NEAR(dpi_lsh_fn_area(0.5, 1, 2), 0.5 - 0.875 / 3, 1e-12);
    /* b=3, r=2: P = 3s^2 - 3s^4 + s^6. FP(0.6) = t^3 - 3t^5/5 + t^7/7. */
    CHECK_NEAR(dpi_lsh_fp_area(0.6, 3, 2),
               0.216 - 0.6 * 0.07776 + 0.0279936 / 7, 1e-12);
    /* b=1, r=5: FP(0.8) = 0.8^6/6; Simpson's error bound is
     * t/180 h^4 max|f^(4)| = 2.5e-12 here. */
    CHECK_NEAR(dpi_lsh_fp_area(0.8, 1, 5), 0.262144 / 6, 1e-11);
    /* FP + FN relation: FP(t) - FN(t) = integral_0^1 P - (1 - t). */
    CHECK_NEAR(dpi_lsh_fp_area(0.7, 9, 13) - dpi_lsh_fn_area(0.7, 9, 13),
               dpi_lsh_fp_area(1.0, 9, 13) - 0.3, 1e-9);
    /* Edges. */
    CHECK_NEAR(dpi_lsh_fp_area(0.0, 4, 4), 0.0, 0.0);
    CHECK_NEAR(dpi_lsh_fn_area(1.0, 4, 4), 0.0, 0.0);
    CHECK_NEAR(dpi_lsh_candidate_prob(0.0, 9, 13), 0.0, 0.0);
    CHECK_NEAR(dpi_lsh_candidate_prob(1.0, 9, 13), 1.0, 0.0);
    CHECK_NEAR(dpi_lsh_candidate_prob(0.5, 2, 1), 0.75, 1e-15);
    CHECK_NEAR(dpi_lsh_threshold(4, 2), 0.5, 1e-15);
}

/* The t = 0.8, 128-permutation default: (9, 13), as datasketch chooses;
 * and its S-curve sits where it should. */
TEST(lsh_params_default_threshold)
{
    dp_lsh_params p;
    double pt;

    REQUIRE(dpi_lsh_params_choose(0.8, 128, 0.5, 0.5, &p) == DP_OK);
    CHECK_EQ(p.bands, 9);
    CHECK_EQ(p.rows, 13);
    CHECK(p.bands * p.rows <= 128);
    CHECK(p.seed == DP_LSH_DEFAULT_SEED);
    pt = dpi_lsh_candidate_prob(0.8, p.bands, p.rows);
    CHECK(pt > 0.3 && pt < 0.7); /* the steep part of the S-curve */
    CHECK_NEAR(dpi_lsh_threshold(p.bands, p.rows), 0.8, 0.06);
    /* Well above t nearly always candidates, well below nearly never. */
    CHECK(dpi_lsh_candidate_prob(0.95, p.bands, p.rows) > 0.99);
    CHECK(dpi_lsh_candidate_prob(0.5, p.bands, p.rows) < 0.01);
}

TEST(lsh_params_follow_threshold)
{
    static const double ts[] = {0.5, 0.7, 0.8, 0.9};
    dp_lsh_params p;
    double prev_thr = 0.0;
    unsigned prev_rows = 0;
    size_t i;

    for (i = 0; i < 4; i++) {
        double thr;
        REQUIRE(dpi_lsh_params_choose(ts[i], 128, 0.5, 0.5, &p) == DP_OK);
        thr = dpi_lsh_threshold(p.bands, p.rows);
        CHECK(p.bands * p.rows <= 128);
        CHECK(p.bands * p.rows >= 112); /* (9, 13) leaves 11 unused */
        CHECK_NEAR(thr, ts[i], 0.06);
        CHECK(thr > prev_thr);
        CHECK(p.rows > prev_rows);
        prev_thr = thr;
        prev_rows = p.rows;
    }
    /* Weighting false negatives more lowers the effective threshold. */
    {
        dp_lsh_params fn, fp;
        REQUIRE(dpi_lsh_params_choose(0.8, 128, 0.1, 0.9, &fn) == DP_OK);
        REQUIRE(dpi_lsh_params_choose(0.8, 128, 0.9, 0.1, &fp) == DP_OK);
        CHECK(dpi_lsh_threshold(fn.bands, fn.rows) <
              dpi_lsh_threshold(fp.bands, fp.rows));
    }
}

/* The fast search agrees with a brute-force search built on the public
 * area functions. */
TEST(lsh_params_match_brute_force)
{
    static const double ts[] = {0.3, 0.65, 0.85};
    static const unsigned perms[] = {16, 40, 128};
    size_t i, k;

    for (i = 0; i < 3; i++) {
        for (k = 0; k < 3; k++) {
            dp_lsh_params p;
            unsigned b, r, bb = 0, br = 0;
            double best = 1e300;
            for (b = 1; b <= perms[k]; b++)
                for (r = 1; b * r <= perms[k]; r++) {
                    double e = 0.5 * dpi_lsh_fp_area(ts[i], b, r) +
                               0.5 * dpi_lsh_fn_area(ts[i], b, r);
                    if (e < best - 1e-12) {
                        best = e;
                        bb = b;
                        br = r;
                    }
                }
            REQUIRE(dpi_lsh_params_choose(ts[i], perms[k], 1, 1, &p) == DP_OK);
            CHECK_EQ(p.bands, bb);
            CHECK_EQ(p.rows, br);
        }
    }
}

/* The recall-first chooser: the constraint holds, and among the (b, r)
 * meeting it none has a smaller false-positive area (brute force). */
TEST(lsh_params_for_recall)
{
    static const double ts[] = {0.5, 0.8, 0.9};
    dp_lsh_params p = {3, 4, 5};
    size_t i;

    REQUIRE(dpi_lsh_params_for_recall(0.8, 128, 0.85, 0.999, &p) == DP_OK);
    CHECK_EQ(p.bands, 18);
    CHECK_EQ(p.rows, 7);
    for (i = 0; i < 3; i++) {
        unsigned b, r, bb = 0, br = 0;
        double best = 1e300, s = ts[i] + 0.05;
        REQUIRE(dpi_lsh_params_for_recall(ts[i], 128, s, 0.99, &p) == DP_OK);
        CHECK(dpi_lsh_candidate_prob(s, p.bands, p.rows) >= 0.99);
        CHECK(p.bands * p.rows <= 128);
        for (b = 1; b <= 128; b++)
            for (r = 1; b * r <= 128; r++) {
                double e = dpi_lsh_fp_area(ts[i], b, r);
                if (dpi_lsh_candidate_prob(s, b, r) >= 0.99 &&
                    e < best - 1e-12) {
                    best = e;
                    bb = b;
                    br = r;
                }
            }
        CHECK_EQ(p.bands, bb);
        CHECK_EQ(p.rows, br);
    }
    /* Out of reach: 4 permutations cannot find s = 0.1 with 99.9%. */
    p.bands = 3;
    CHECK_EQ(dpi_lsh_params_for_recall(0.5, 4, 0.1, 0.999, &p), DP_EINVAL);
    CHECK_EQ(p.bands, 3);
    CHECK_EQ(dpi_lsh_params_for_recall(0.8, 128, 0.85, 1.0, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_for_recall(0.8, 128, 0.0, 0.9, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_for_recall(0.8, 0, 0.85, 0.9, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_for_recall(0.8, 128, 0.85, 0.9, NULL), DP_EINVAL);
}

TEST(lsh_params_invalid_arguments)
{
    dp_lsh_params p = {3, 4, 5};

    CHECK_EQ(dpi_lsh_params_choose(0.0, 128, 0.5, 0.5, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_choose(1.0, 128, 0.5, 0.5, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_choose(NAN, 128, 0.5, 0.5, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_choose(0.8, 0, 0.5, 0.5, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_choose(0.8, 128, -1, 0.5, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_choose(0.8, 128, 0, 0, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_choose(0.8, 128, 0.5, 0.5, NULL), DP_EINVAL);
    CHECK_EQ(p.bands, 3); /* untouched on failure */
    CHECK_EQ(dpi_lsh_params_set(16, 8, 128, &p), DP_OK);
    CHECK_EQ(p.bands, 16);
    CHECK_EQ(p.rows, 8);
    CHECK_EQ(dpi_lsh_params_set(16, 9, 128, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_set(0, 9, 128, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_set(9, 0, 128, &p), DP_EINVAL);
    /* perms = 1: the only choice is one band of one row. */
    CHECK_EQ(dpi_lsh_params_choose(0.8, 1, 0.5, 0.5, &p), DP_OK);
    CHECK_EQ(p.bands, 1);
    CHECK_EQ(p.rows, 1);
}

TEST(lsh_band_keys_seeded_per_band)
{
    uint32_t sig[128];
    uint64_t k1[16], k2[16], k3[16];
    dp_lsh_params p;
    unsigned i;

    REQUIRE(dpi_lsh_params_set(16, 8, 128, &p) == DP_OK);
    for (i = 0; i < 128; i++)
        sig[i] = 7; /* every band holds the same values */
    dpi_lsh_band_keys(&p, sig, k1);
    dpi_lsh_band_keys(&p, sig, k2);
    CHECK(memcmp(k1, k2, sizeof k1) == 0);
    for (i = 1; i < 16; i++)
        CHECK(k1[i] != k1[0]); /* same content, other band, other key */
    p.seed = 12345;
    dpi_lsh_band_keys(&p, sig, k3);
    CHECK(k3[0] != k1[0]);
    CHECK_EQ(dpi_lsh_bands_shared(k1, k2, 16), 16);
    CHECK_EQ(dpi_lsh_bands_shared(k1, k3, 16), 0);
    /* One changed value changes exactly its band's key. */
    p.seed = DP_LSH_DEFAULT_SEED;
    sig[20] = 8;
    dpi_lsh_band_keys(&p, sig, k2);
    CHECK_EQ(dpi_lsh_bands_shared(k1, k2, 16), 15);
    CHECK(k2[2] != k1[2]);
    /* Pinned: keys stored in an index must stay comparable. */
    CHECK(k1[0] == UINT64_C(0x865368b4bea7dc8e));
}

/* Synthetic signature pair: each slot agrees with probability s, and
 * otherwise differs (a nonzero random offset). */
static void pair_sigs(double s, uint64_t *rs, uint32_t *a, uint32_t *b)
{
    unsigned i;
    for (i = 0; i < 128; i++) {
        uint64_t r = rng_next(rs);
        a[i] = (uint32_t)r;
        if ((double)(rng_next(rs) >> 11) * 0x1.0p-53 < s)
            b[i] = a[i];
        else
            b[i] = a[i] + ((uint32_t)(r >> 32) | 1u);
    }
}

/*
 * Empirical candidate rate vs the S-curve 1 - (1 - s^r)^b. N = 2000 pairs
 * per s: the binomial s.d. is at most 0.011, and the check allows 0.045
 * (four s.d.); the seed is fixed. The same pairs go through the bucket
 * table, which must report exactly the pairs the band keys say.
 */
TEST(lsh_candidate_rate_matches_s_curve)
{
    static const double ss[] = {0.3, 0.6, 0.75, 0.8, 0.85, 0.9, 0.97};
    enum { N = 2000 };
    dp_lsh_params p;
    uint64_t rs = 77;
    size_t k;

    REQUIRE(dpi_lsh_params_choose(0.8, 128, 0.5, 0.5, &p) == DP_OK);
    for (k = 0; k < sizeof ss / sizeof *ss; k++) {
        dp_lsh_table *t = NULL;
        dp_lsh_pair *pairs = NULL;
        size_t npairs = 0, hits = 0, i, tab_ok = 1;
        unsigned char *cand = calloc(N, 1);
        double rate, want;
        REQUIRE(cand);
        REQUIRE(dpi_lsh_table_create(p.bands, 64, &t) == DP_OK);
        for (i = 0; i < N; i++) {
            uint32_t a[128], b[128];
            uint64_t ka[16], kb[16];
            pair_sigs(ss[k], &rs, a, b);
            dpi_lsh_band_keys(&p, a, ka);
            dpi_lsh_band_keys(&p, b, kb);
            cand[i] = dpi_lsh_bands_shared(ka, kb, p.bands) > 0;
            hits += cand[i];
            REQUIRE(dpi_lsh_table_insert(t, (uint32_t)(2 * i), ka) == DP_OK);
            REQUIRE(dpi_lsh_table_insert(t, (uint32_t)(2 * i + 1), kb) ==
                    DP_OK);
        }
        rate = (double)hits / N;
        want = dpi_lsh_candidate_prob(ss[k], p.bands, p.rows);
        CHECK_NEAR(rate, want, 0.045);
        REQUIRE(dpi_lsh_table_build(t) == DP_OK);
        REQUIRE(dpi_lsh_table_pairs(t, &pairs, &npairs, NULL) == DP_OK);
        CHECK_EQ(npairs, hits);
        for (i = 0; i < npairs; i++) {
            uint32_t d = pairs[i].a;
            if (d % 2 != 0 || pairs[i].b != d + 1 || !cand[d / 2])
                tab_ok = 0;
        }
        CHECK(tab_ok);
        free(pairs);
        free(cand);
        dpi_lsh_table_free(t);
    }
}

/* Helper: a table of bands=3 from rows of keys; docs inserted in @order. */
static dp_lsh_table *table_of(const uint64_t (*keys)[3], const uint32_t *order,
                              size_t n, size_t max_bucket)
{
    dp_lsh_table *t = NULL;
    size_t i;
    if (dpi_lsh_table_create(3, max_bucket, &t))
        return NULL;
    for (i = 0; i < n; i++)
        if (dpi_lsh_table_insert(t, order[i], keys[order[i]])) {
            dpi_lsh_table_free(t);
            return NULL;
        }
    if (dpi_lsh_table_build(t)) {
        dpi_lsh_table_free(t);
        return NULL;
    }
    return t;
}

TEST(lsh_table_pairs_once_in_order)
{
    /* doc: band0 band1 band2 */
    static const uint64_t keys[7][3] = {
        {100, 200, 300}, /* 0 */
        {100, 200, 301}, /* 1: shares bands 0 and 1 with 0 -> (0,1) once */
        {102, 202, 302}, /* 2 */
        {103, 203, 302}, /* 3: band 2 with 2 and 4 */
        {104, 204, 302}, /* 4 */
        {105, 200, 305}, /* 5: band 1 with 0 and 1 */
        {106, 206, 306}, /* 6: alone */
    };
    static const uint32_t in_order[7] = {0, 1, 2, 3, 4, 5, 6};
    static const uint32_t shuffled[7] = {4, 6, 1, 5, 0, 3, 2};
    static const dp_lsh_pair want[6] = {{0, 1}, {0, 5}, {1, 5},
                                        {2, 3}, {2, 4}, {3, 4}};
    int pass;

    for (pass = 0; pass < 2; pass++) {
        dp_lsh_table *t = table_of(keys, pass ? shuffled : in_order, 7, 64);
        dp_lsh_pair *pairs = NULL;
        dp_lsh_stats st;
        size_t n = 0, i;
        REQUIRE(t);
        CHECK_EQ(dpi_lsh_table_size(t), 7);
        REQUIRE(dpi_lsh_table_pairs(t, &pairs, &n, &st) == DP_OK);
        REQUIRE(n == 6);
        for (i = 0; i < 6; i++) {
            CHECK_EQ(pairs[i].a, want[i].a);
            CHECK_EQ(pairs[i].b, want[i].b);
        }
        CHECK_EQ(st.buckets, 3); /* {0,1} in band 0, {0,1,5}, {2,3,4} */
        CHECK_EQ(st.emitted, 7); /* (0,1) twice before removing repeats */
        CHECK_EQ(st.capped, 0);
        CHECK_EQ(st.largest, 3);
        free(pairs);
        dpi_lsh_table_free(t);
    }
}

/* Random tables: the same pairs whatever the insertion order, and exactly
 * the pairs a brute-force scan of the keys finds. */
TEST(lsh_table_pairs_match_brute_force)
{
    enum { N = 400 };
    static uint64_t keys[N][3];
    static uint32_t order[N];
    uint64_t rs = 5;
    dp_lsh_table *t1, *t2;
    dp_lsh_pair *p1 = NULL, *p2 = NULL;
    size_t n1 = 0, n2 = 0, i, j, want = 0, k;

    for (i = 0; i < N; i++) {
        for (j = 0; j < 3; j++)
            keys[i][j] = rng_next(&rs) % 60; /* many small buckets */
        order[i] = (uint32_t)i;
    }
    for (i = N - 1; i > 0; i--) { /* Fisher-Yates */
        size_t r = rng_next(&rs) % (i + 1);
        uint32_t tmp = order[i];
        order[i] = order[r];
        order[r] = tmp;
    }
    for (i = 0; i < N; i++)
        for (j = i + 1; j < N; j++)
            for (k = 0; k < 3; k++)
                if (keys[i][k] == keys[j][k]) {
                    want++;
                    break;
                }
    t1 = table_of((const uint64_t(*)[3])keys, order, N, 1000);
    for (i = 0; i < N; i++)
        order[i] = (uint32_t)i;
    t2 = table_of((const uint64_t(*)[3])keys, order, N, 1000);
    REQUIRE(t1 && t2);
    REQUIRE(dpi_lsh_table_pairs(t1, &p1, &n1, NULL) == DP_OK);
    REQUIRE(dpi_lsh_table_pairs(t2, &p2, &n2, NULL) == DP_OK);
    CHECK_EQ(n1, want);
    REQUIRE(n1 == n2);
    CHECK(memcmp(p1, p2, n1 * sizeof *p1) == 0);
    for (i = 1; i < n1; i++)
        CHECK(p1[i - 1].a < p1[i].a ||
              (p1[i - 1].a == p1[i].a && p1[i - 1].b < p1[i].b));
    for (i = 0; i < n1; i++) {
        CHECK(p1[i].a < p1[i].b);
        CHECK(dpi_lsh_bands_shared(keys[p1[i].a], keys[p1[i].b], 3) > 0);
    }
    free(p1);
    free(p2);
    dpi_lsh_table_free(t1);
    dpi_lsh_table_free(t2);
}

/* A bucket of 1000 documents with cap 64 gives 999 star pairs around its
 * smallest index, not 499500; a bucket of exactly 64 gives all 2016. */
TEST(lsh_table_caps_huge_buckets)
{
    enum { BIG = 1000, SMALL = 64 };
    dp_lsh_table *t = NULL;
    dp_lsh_pair *pairs = NULL;
    dp_lsh_stats st;
    size_t n = 0, i, star = 0, small = 0, ok = 1;
    uint64_t k[1];

    REQUIRE(dpi_lsh_table_create(1, 64, &t) == DP_OK);
    REQUIRE(dpi_lsh_table_reserve(t, BIG + SMALL) == DP_OK);
    for (i = 0; i < BIG + SMALL; i++) {
        /* Inserted from the top down: the star centre is the smallest
         * index, not the first inserted. */
        uint32_t doc = (uint32_t)(BIG + SMALL - 1 - i);
        k[0] = doc < BIG ? 1 : 2;
        REQUIRE(dpi_lsh_table_insert(t, doc, k) == DP_OK);
    }
    REQUIRE(dpi_lsh_table_build(t) == DP_OK);
    REQUIRE(dpi_lsh_table_pairs(t, &pairs, &n, &st) == DP_OK);
    CHECK_EQ(n, (BIG - 1) + SMALL * (SMALL - 1) / 2);
    for (i = 0; i < n; i++) {
        if (pairs[i].b < BIG) {
            star++;
            ok &= pairs[i].a == 0;
        } else {
            small++;
            ok &= pairs[i].a >= BIG;
        }
    }
    CHECK(ok);
    CHECK_EQ(star, BIG - 1);
    CHECK_EQ(small, SMALL * (SMALL - 1) / 2);
    CHECK_EQ(st.buckets, 2);
    CHECK_EQ(st.capped, 1);
    CHECK_EQ(st.largest, BIG);
    CHECK(dpi_lsh_table_memory(t) >= (BIG + SMALL) * 12);
    free(pairs);
    dpi_lsh_table_free(t);
}

TEST(lsh_table_query_sorted_and_capped)
{
    static const uint64_t keys[7][3] = {
        {100, 200, 300}, {100, 200, 301}, {102, 202, 302}, {103, 203, 302},
        {104, 204, 302}, {105, 200, 305}, {106, 206, 306},
    };
    static const uint32_t order[7] = {6, 5, 4, 3, 2, 1, 0};
    static const uint64_t q1[3] = {100, 999, 302}; /* 0,1 and 2,3,4 */
    static const uint64_t q2[3] = {7, 8, 9};       /* nothing */
    dp_lsh_table *t = table_of(keys, order, 7, 64);
    dp_lsh_table *c = table_of(keys, order, 7, 2);
    uint32_t *buf = NULL;
    size_t cap = 0, n = 0;

    REQUIRE(t && c);
    REQUIRE(dpi_lsh_table_query(t, q1, &buf, &cap, &n) == DP_OK);
    REQUIRE(n == 5);
    CHECK(buf[0] == 0 && buf[1] == 1 && buf[2] == 2 && buf[3] == 3 &&
          buf[4] == 4);
    REQUIRE(dpi_lsh_table_query(t, keys[5], &buf, &cap, &n) == DP_OK);
    REQUIRE(n == 3); /* itself, and 0 and 1 through band 1 */
    CHECK(buf[0] == 0 && buf[1] == 1 && buf[2] == 5);
    REQUIRE(dpi_lsh_table_query(t, q2, &buf, &cap, &n) == DP_OK);
    CHECK_EQ(n, 0);
    /* With max_bucket 2 the bucket {2,3,4} contributes only 2 and 3. */
    REQUIRE(dpi_lsh_table_query(c, q1, &buf, &cap, &n) == DP_OK);
    REQUIRE(n == 4);
    CHECK(buf[0] == 0 && buf[1] == 1 && buf[2] == 2 && buf[3] == 3);
    free(buf);
    dpi_lsh_table_free(t);
    dpi_lsh_table_free(c);
}

TEST(lsh_table_repeats_and_edges)
{
    dp_lsh_table *t = NULL;
    dp_lsh_pair *pairs = (dp_lsh_pair *)&t;
    uint32_t *buf = NULL;
    size_t n = 7, cap = 0;
    uint64_t k1[2] = {1, 2}, k2[2] = {1, 3};

    CHECK_EQ(dpi_lsh_table_create(0, 64, &t), DP_EINVAL);
    CHECK_EQ(dpi_lsh_table_create(2, 1, &t), DP_EINVAL);
    CHECK_EQ(dpi_lsh_table_create(2, 64, NULL), DP_EINVAL);
    REQUIRE(dpi_lsh_table_create(2, 64, &t) == DP_OK);
    /* Empty: no pairs, NULL array. */
    CHECK_EQ(dpi_lsh_table_pairs(t, &pairs, &n, NULL), DP_OK);
    CHECK(pairs == NULL);
    CHECK_EQ(n, 0);
    /* A document inserted twice is never paired with itself. */
    REQUIRE(dpi_lsh_table_insert(t, 3, k1) == DP_OK);
    REQUIRE(dpi_lsh_table_insert(t, 3, k1) == DP_OK);
    /* Not built after an insert. */
    CHECK_EQ(dpi_lsh_table_pairs(t, &pairs, &n, NULL), DP_EINVAL);
    CHECK_EQ(dpi_lsh_table_query(t, k1, &buf, &cap, &n), DP_EINVAL);
    REQUIRE(dpi_lsh_table_build(t) == DP_OK);
    CHECK_EQ(dpi_lsh_table_pairs(t, &pairs, &n, NULL), DP_OK);
    CHECK_EQ(n, 0);
    REQUIRE(dpi_lsh_table_query(t, k1, &buf, &cap, &n) == DP_OK);
    CHECK_EQ(n, 1);
    /* Inserting after a build: a lower index, then build again. */
    REQUIRE(dpi_lsh_table_insert(t, 1, k2) == DP_OK);
    REQUIRE(dpi_lsh_table_build(t) == DP_OK);
    REQUIRE(dpi_lsh_table_pairs(t, &pairs, &n, NULL) == DP_OK);
    REQUIRE(n == 1);
    CHECK(pairs[0].a == 1 && pairs[0].b == 3);
    free(pairs);
    CHECK_EQ(dpi_lsh_table_insert(t, 1, NULL), DP_EINVAL);
    CHECK_EQ(dpi_lsh_table_insert(NULL, 1, k1), DP_EINVAL);
    CHECK_EQ(dpi_lsh_table_build(NULL), DP_EINVAL);
    free(buf);
    dpi_lsh_table_free(t);
    dpi_lsh_table_free(NULL);
}

TEST(lsh_recall_first_banding_finds_pairs_above_threshold)
{
    dp_lsh_params p;
    REQUIRE(dpi_lsh_params_recall_first(0.8, 128, &p) == DP_OK);
    CHECK_EQ(p.bands, 18);
    CHECK_EQ(p.rows, 7);
    CHECK(dpi_lsh_candidate_prob(0.85, p.bands, p.rows) >= 0.999);
    /* Near 1 the margin cannot be 0.05; a banding is still chosen. */
    REQUIRE(dpi_lsh_params_recall_first(1.0, 128, &p) == DP_OK);
    CHECK(p.bands * p.rows <= 128);
    CHECK_EQ(dpi_lsh_params_recall_first(0.0, 128, &p), DP_EINVAL);
    CHECK_EQ(dpi_lsh_params_recall_first(0.8, 0, &p), DP_EINVAL);
}
