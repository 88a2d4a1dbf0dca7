/* test_cluster.c - star clustering of verified pairs. */
#include <stdlib.h>

#include "../test.h"
#include "dedup/cluster.h"

TEST(cluster_chain_is_cut_at_the_representative)
{
    /* 0~1 and 1~2 verified, 0 and 2 not: with 0 kept first, 2 must not
     * join 0's cluster through 1. */
    dp_pair p[] = {{0, 1, 0.9f}, {1, 2, 0.85f}};
    uint64_t rank[] = {0, 1, 2};
    dp_clusters c;
    REQUIRE(dpi_cluster_build(3, p, 2, rank, &c) == DP_OK);
    CHECK_EQ(c.nclusters, 1);
    CHECK_EQ(c.cluster[0], 0);
    CHECK_EQ(c.cluster[1], 0);
    CHECK_EQ(c.cluster[2], UINT32_MAX);
    CHECK_EQ(c.members[c.start[0]], 0);
    CHECK_EQ(c.start[1] - c.start[0], 2);
    CHECK_NEAR(c.sim[c.start[0] + 1], 0.9, 1e-6);
    dpi_cluster_free(&c);
}

TEST(cluster_middle_ranked_first_takes_both_neighbours)
{
    dp_pair p[] = {{0, 1, 0.9f}, {1, 2, 0.85f}};
    uint64_t rank[] = {5, 1, 7};
    dp_clusters c;
    REQUIRE(dpi_cluster_build(3, p, 2, rank, &c) == DP_OK);
    CHECK_EQ(c.nclusters, 1);
    CHECK_EQ(c.members[0], 1); /* kept */
    CHECK_EQ(c.members[1], 0); /* then by rank: 0 (5) before 2 (7) */
    CHECK_EQ(c.members[2], 2);
    CHECK_NEAR(c.sim[2], 0.85, 1e-6);
    dpi_cluster_free(&c);
}

TEST(cluster_numbering_follows_kept_index_and_duplicates_are_ignored)
{
    /* Two groups {4,5} and {1,3}; pair (5,4) given twice. */
    dp_pair p[] = {{4, 5, 1.0f}, {5, 4, 1.0f}, {1, 3, 0.8f}};
    uint64_t rank[] = {0, 1, 2, 3, 4, 5, 6};
    dp_clusters c;
    REQUIRE(dpi_cluster_build(7, p, 3, rank, &c) == DP_OK);
    CHECK_EQ(c.nclusters, 2);
    CHECK_EQ(c.cluster[1], 0);
    CHECK_EQ(c.cluster[3], 0);
    CHECK_EQ(c.cluster[4], 1);
    CHECK_EQ(c.cluster[5], 1);
    CHECK_EQ(c.cluster[0], UINT32_MAX);
    CHECK_EQ(c.start[2], 4);
    dpi_cluster_free(&c);
}

TEST(cluster_every_member_is_a_verified_pair_with_its_kept_document)
{
    /* Random graph: the star property must hold for every member. */
    enum { N = 400, E = 1500 };
    dp_pair p[E];
    uint64_t rank[N];
    unsigned seed = 12345, e, i;
    dp_clusters c;
    for (i = 0; i < N; i++)
        rank[i] = (i * 7919u) % N;
    for (e = 0; e < E; e++) {
        uint32_t a, b;
        do {
            seed = seed * 1103515245u + 12345u;
            a = (seed >> 8) % N;
            seed = seed * 1103515245u + 12345u;
            b = (seed >> 8) % N;
        } while (a == b);
        p[e] = (dp_pair){a, b, 0.8f};
    }
    REQUIRE(dpi_cluster_build(N, p, E, rank, &c) == DP_OK);
    for (i = 0; i < c.nclusters; i++) {
        uint32_t kept = c.members[c.start[i]], m;
        CHECK(c.start[i + 1] - c.start[i] >= 2);
        for (m = c.start[i] + 1; m < c.start[i + 1]; m++) {
            uint32_t d = c.members[m];
            int found = 0;
            for (e = 0; e < E; e++)
                found |= (p[e].i == kept && p[e].j == d) ||
                         (p[e].j == kept && p[e].i == d);
            CHECK(found);
            CHECK(rank[d] >= rank[kept]);
            CHECK_EQ(c.cluster[d], i);
        }
    }
    dpi_cluster_free(&c);
}

TEST(cluster_rejects_bad_pairs)
{
    dp_pair p[] = {{0, 9, 1.0f}};
    uint64_t rank[] = {0, 1};
    dp_clusters c;
    CHECK_EQ(dpi_cluster_build(2, p, 1, rank, &c), DP_EINVAL);
    CHECK(c.cluster == NULL && c.members == NULL);
}
