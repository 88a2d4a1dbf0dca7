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

dp_status dpi_cluster_build(uint32_t ndocs, const dp_pair *pairs, size_t npairs,
                            const uint64_t *rank, dp_clusters *out)
{
    size_t *off = NULL, i, nlinked = 0, nmem = 0;
    edge *adj = NULL;
    ranked *order = NULL;
    uint32_t *kept_of = NULL, k;
    size_t nclusters = 0;
    dp_status rc = DP_ENOMEM;

    assert(out && (rank || ndocs == 0) && (pairs || npairs == 0));
    memset(out, 0, sizeof *out);
    out->ndocs = ndocs;
    if (npairs > SIZE_MAX / 2 / sizeof(edge))
        return DP_ETOOBIG;

    /* Adjacency in CSR form, both directions. */
    off = calloc((size_t)ndocs + 1, sizeof *off);
    adj = malloc((2 * npairs + 1) * sizeof *adj);
    out->cluster = malloc(((size_t)ndocs + 1) * sizeof *out->cluster);
    if (!off || !adj || !out->cluster)
        goto fail;
    for (i = 0; i < npairs; i++) {
        if (pairs[i].i >= ndocs || pairs[i].j >= ndocs ||
            pairs[i].i == pairs[i].j) {
            rc = DP_EINVAL;
            goto fail;
        }
        off[pairs[i].i]++;
        off[pairs[i].j]++;
    }
    {
        size_t sum = 0;
        for (i = 0; i < ndocs; i++) {
            size_t d = off[i];
            off[i] = sum;
            sum += d;
            nlinked += d > 0;
        }
        off[ndocs] = sum;
    }
    for (i = 0; i < npairs; i++) {
        adj[off[pairs[i].i]++] = (edge){pairs[i].j, pairs[i].sim};
        adj[off[pairs[i].j]++] = (edge){pairs[i].i, pairs[i].sim};
    }
    for (i = ndocs; i > 0; i--) /* shift back: off[i] = start of i */
        off[i] = off[i - 1];
    off[0] = 0;
    for (i = 0; i < ndocs; i++)
        qsort(adj + off[i], off[i + 1] - off[i], sizeof *adj, edge_by_doc);

    /* Visit linked documents by keep rank; each unassigned one becomes a
     * representative of its still unassigned neighbours. */
    order = malloc((nlinked + 1) * sizeof *order);
    kept_of = malloc(((size_t)ndocs + 1) * sizeof *kept_of);
    if (!order || !kept_of)
        goto fail;
    for (i = 0, k = 0; i < ndocs; i++)
        if (off[i + 1] > off[i])
            order[k++] = (ranked){rank[i], (uint32_t)i, 0.0f};
    qsort(order, nlinked, sizeof *order, by_rank);
    for (i = 0; i < ndocs; i++)
        out->cluster[i] = NONE;

    /* First pass: assign members to representatives (kept_of), count. */
    for (i = 0; i < ndocs; i++)
        kept_of[i] = NONE;
    for (i = 0; i < nlinked; i++) {
        uint32_t r = order[i].doc;
        size_t e, joined = 0;
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
            nclusters++;
            nmem += joined + 1;
        }
    }

    /* Clusters numbered by their kept document's index. */
    out->start = malloc((nclusters + 1) * sizeof *out->start);
    out->members = malloc((nmem + 1) * sizeof *out->members);
    out->sim = malloc((nmem + 1) * sizeof *out->sim);
    if (!out->start || !out->members || !out->sim)
        goto fail;
    {
        uint32_t c = 0;
        size_t pos = 0;
        for (i = 0; i < ndocs; i++) {
            size_t e;
            if (kept_of[i] != i)
                continue;
            out->start[c] = (uint32_t)pos;
            out->cluster[i] = c;
            out->members[pos] = (uint32_t)i;
            out->sim[pos++] = 1.0f;
            /* Members in keep-rank order: collect, then sort (the
             * order array is free again and large enough). */
            {
                size_t nm = 0, q;
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
            }
            c++;
        }
        out->start[c] = (uint32_t)pos;
        out->nclusters = c;
    }
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
