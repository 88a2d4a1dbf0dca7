/*
 * cluster.c - star clustering of verified near-duplicate pairs (see
 * cluster.h for why stars and not connected components).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "dedup/cluster.h"

#define NONE UINT32_MAX

/* A document with its keep rank, sorted by (rank, index). */
typedef struct {
    uint64_t rank;
    uint32_t doc;
    float sim;
} ranked;

static int by_rank(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

typedef struct {
    uint32_t doc;
    float sim;
} edge;

static int edge_by_doc(const void *x, const void *y)
{
    uint32_t a = ((const edge *)x)->doc, b = ((const edge *)y)->doc;
    return a < b ? -1 : a > b;
}

void dpi_cluster_free(dp_clusters *c)
{
    if (!c)
        return;
    free(c->cluster);
    free(c->start);
    free(c->members);
    free(c->sim);
    memset(c, 0, sizeof *c);
}

/* Adjacency of the pairs in CSR form, both directions, each list sorted
 * by document: @off (ndocs + 1) and @adj (2 * npairs), malloc'd here.
 * *@nlinked: documents with at least one pair. */
static dp_status build_adjacency(uint32_t ndocs, const dp_pair *pairs,
                                 size_t npairs, size_t **off_out,
                                 edge **adj_out, size_t *nlinked)
{
    size_t *off, i, sum = 0;
    edge *adj;

    *off_out = off = calloc((size_t)ndocs + 1, sizeof *off);
    *adj_out = adj = malloc((2 * npairs + 1) * sizeof *adj);
    if (!off || !adj)
        return DP_ENOMEM;
    for (i = 0; i < npairs; i++) {
        if (pairs[i].i >= ndocs || pairs[i].j >= ndocs ||
            pairs[i].i == pairs[i].j)
            return DP_EINVAL;
        off[pairs[i].i]++;
        off[pairs[i].j]++;
    }
    *nlinked = 0;
    for (i = 0; i < ndocs; i++) {
        size_t d = off[i];
        off[i] = sum;
        sum += d;
        *nlinked += d > 0;
    }
    off[ndocs] = sum;
    for (i = 0; i < npairs; i++) {
        adj[off[pairs[i].i]++] = (edge){pairs[i].j, pairs[i].sim};
        adj[off[pairs[i].j]++] = (edge){pairs[i].i, pairs[i].sim};
    }
    for (i = ndocs; i > 0; i--) /* shift back: off[i] = start of i */
        off[i] = off[i - 1];
    off[0] = 0;
    for (i = 0; i < ndocs; i++)
        qsort(adj + off[i], off[i + 1] - off[i], sizeof *adj, edge_by_doc);
    return DP_OK;
}

/*
 * Visit linked documents by keep rank (@order, sorted here); each one not
 * yet assigned becomes the representative of its unassigned neighbours:
 * kept_of[m] = representative of m (NONE: in no cluster). Counts the
 * clusters and their members.
 */
static void assign_stars(uint32_t ndocs, const size_t *off, const edge *adj,
                         ranked *order, size_t nlinked, uint32_t *kept_of,
                         size_t *nclusters, size_t *nmem)
{
    size_t i, e;

    qsort(order, nlinked, sizeof *order, by_rank);
    for (i = 0; i < ndocs; i++)
        kept_of[i] = NONE;
    *nclusters = *nmem = 0;
    for (i = 0; i < nlinked; i++) {
        uint32_t r = order[i].doc;
        size_t joined = 0;
        if (kept_of[r] != NONE)
            continue;
        for (e = off[r]; e < off[r + 1]; e++) {
            uint32_t m = adj[e].doc;
            if (kept_of[m] == NONE && m != r) {
                kept_of[m] = r;
                joined++;
            }
        }
        if (joined) {
            kept_of[r] = r;
            (*nclusters)++;
            *nmem += joined + 1;
        }
    }
}

/* Write the clusters into @out, numbered by their kept document's index,
 * members in keep-rank order (@order is scratch of at least the largest
 * cluster's size). */
static void write_clusters(uint32_t ndocs, const size_t *off, const edge *adj,
                           const uint32_t *kept_of, const uint64_t *rank,
                           ranked *order, dp_clusters *out)
{
    uint32_t c = 0;
    size_t pos = 0, i, e, q;

    for (i = 0; i < ndocs; i++)
        out->cluster[i] = NONE;
    for (i = 0; i < ndocs; i++) {
        size_t nm = 0;
        if (kept_of[i] != i)
            continue;
        out->start[c] = (uint32_t)pos;
        out->cluster[i] = c;
        out->members[pos] = (uint32_t)i;
        out->sim[pos++] = 1.0f;
        for (e = off[i]; e < off[i + 1]; e++) {
            uint32_t m = adj[e].doc;
            if (kept_of[m] == i && out->cluster[m] == NONE) {
                out->cluster[m] = c;
                order[nm++] = (ranked){rank[m], m, adj[e].sim};
            }
        }
        qsort(order, nm, sizeof *order, by_rank);
        for (q = 0; q < nm; q++) {
            out->members[pos] = order[q].doc;
            out->sim[pos++] = order[q].sim;
        }
        c++;
    }
    out->start[c] = (uint32_t)pos;
    out->nclusters = c;
}

dp_status dpi_cluster_build(uint32_t ndocs, const dp_pair *pairs, size_t npairs,
                            const uint64_t *rank, dp_clusters *out)
{
    size_t *off = NULL, i, nlinked = 0, nmem = 0, nclusters = 0;
    edge *adj = NULL;
    ranked *order = NULL;
    uint32_t *kept_of = NULL, k;
    dp_status rc;

    assert(out && (rank || ndocs == 0) && (pairs || npairs == 0));
    memset(out, 0, sizeof *out);
    out->ndocs = ndocs;
    if (npairs > SIZE_MAX / 2 / sizeof(edge))
        return DP_ETOOBIG;
    rc = build_adjacency(ndocs, pairs, npairs, &off, &adj, &nlinked);
    if (rc)
        goto fail;
    rc = DP_ENOMEM;
    order = malloc((nlinked + 1) * sizeof *order);
    kept_of = malloc(((size_t)ndocs + 1) * sizeof *kept_of);
    out->cluster = malloc(((size_t)ndocs + 1) * sizeof *out->cluster);
    if (!order || !kept_of || !out->cluster)
        goto fail;
    for (i = 0, k = 0; i < ndocs; i++)
        if (off[i + 1] > off[i])
            order[k++] = (ranked){rank[i], (uint32_t)i, 0.0f};
    assign_stars(ndocs, off, adj, order, nlinked, kept_of, &nclusters, &nmem);
    out->start = malloc((nclusters + 1) * sizeof *out->start);
    out->members = malloc((nmem + 1) * sizeof *out->members);
    out->sim = malloc((nmem + 1) * sizeof *out->sim);
    if (!out->start || !out->members || !out->sim)
        goto fail;
    /* the order array is free again and large enough for any cluster */
    write_clusters(ndocs, off, adj, kept_of, rank, order, out);
    rc = DP_OK;
fail:
    free(off);
    free(adj);
    free(order);
    free(kept_of);
    if (rc)
        dpi_cluster_free(out);
    return rc;
}
