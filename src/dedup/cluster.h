/*
 * cluster.h - near-duplicate clusters from verified pairs, with a guard
 * against chaining.
 *
 * Plain union-find over the verified pairs would chain: A~B and B~C join
 * A and C although they may be far apart. Instead the pairs form a graph
 * and clusters are stars: documents are visited in keep-policy order; an
 * unassigned document becomes a representative (the kept one) and every
 * still unassigned neighbour in the graph joins its cluster. Every member
 * of a cluster is therefore a verified pair with the cluster's kept
 * document: within the threshold of it, by construction. O(E log E), no
 * extra similarity computations. Deterministic: ties break by index.
 */
#ifndef DP_DEDUP_CLUSTER_H
#define DP_DEDUP_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* A verified pair of documents (i < j) with its similarity. */
typedef struct dp_pair {
    uint32_t i, j;
    float sim;
} dp_pair;

/* The result: cluster of each document, and for each cluster its kept
 * document and its members (sorted by rank). */
typedef struct dp_clusters {
    uint32_t ndocs;
    uint32_t nclusters; /* clusters of 2 or more documents */
    uint32_t *cluster;  /* ndocs entries: cluster id, or UINT32_MAX for
                           a document in no cluster */
    uint32_t *start;    /* nclusters + 1 offsets into members[] */
    uint32_t *members;  /* members, cluster by cluster; the first of
                           each cluster is its kept document */
    float *sim;         /* parallel to members[]: similarity to the kept
                           document (1 for the kept one itself) */
} dp_clusters;

/*
 * dpi_cluster_build - cluster @ndocs documents from @npairs verified pairs
 * (each at or above the threshold; i != j; duplicates allowed).
 * @rank:  ndocs entries; lower rank = preferred to keep (the keep policy).
 *         Ties break by index.
 * @out:   OUT: filled; release with dpi_cluster_free().
 * Clusters are numbered in order of their kept document's index.
 * @return DP_OK, DP_ENOMEM, DP_EINVAL.
 */
dp_status dpi_cluster_build(uint32_t ndocs, const dp_pair *pairs, size_t npairs,
                            const uint64_t *rank, dp_clusters *out);

/* dpi_cluster_free - release what dpi_cluster_build() allocated. */
void dpi_cluster_free(dp_clusters *c);

#endif /* DP_DEDUP_CLUSTER_H */
