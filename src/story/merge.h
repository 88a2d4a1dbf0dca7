/*
 * merge.h - internal layout of a dp_story (the merged story of a cluster)
 * and the passes that fill it: merge.c builds the units, the adds, the
 * conflicts and the provenance from the pairwise comparisons; quote.c
 * finds the quotes and groups them across members; report/story_json.c
 * writes the JSON. Everything is computed once by dp_story_merge() and is
 * read-only afterwards.
 *
 * Nodes: every sentence of every member is one node, numbered member by
 * member (node = sbase[member] + sentence). Units are sets of nodes.
 */
#ifndef DP_STORY_MERGE_H
#define DP_STORY_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* The best match a sentence (node) found in another member. */
typedef struct dp_story_link {
    long vs;                    /* other member, or -1 */
    long vs_sentence;           /* its sentence */
    const dp_sentence_diff *sd; /* this node's verdict in that comparison */
    int rank; /* higher is better (primary first, copied, sim) */
} dp_story_link;

/* One compared pair of members. */
typedef struct dp_story_pair {
    size_t i, j;        /* members, i < j */
    dp_comparison *cmp; /* A = i, B = j; owned */
} dp_story_pair;

struct dp_story {
    dp_story_member *members; /* n entries; strings are copies below */
    char **strs;              /* 4 * n owned strings (or NULL) */
    size_t n, primary;
    dp_story_pair *pairs; /* the compared pairs, sorted by (i, j), i < j */
    size_t npairs;
    size_t *sbase; /* n + 1: first node of each member */
    size_t nnodes;
    long *unit_of;       /* per node: its unit, or -1 (empty sentence) */
    dp_story_link *link; /* per node */

    dp_story_unit *units;
    size_t nunits;
    dp_story_carrier *carriers; /* the units point into this */
    size_t ncarriers;

    size_t *adds;             /* unit indices, member by member */
    size_t *adds_beg;         /* n + 1 */
    dp_story_detail *details; /* member by member */
    size_t *details_beg;      /* n + 1 */
    size_t ndetails, details_cap;

    dp_story_quote *quotes;
    size_t nquotes;
    dp_quote_carrier *qcarriers;
    size_t nqcarriers;
    dp_span *qchanged;
    size_t nqchanged;

    dp_story_conflict *conflicts;
    size_t nconflicts, conflicts_cap;

    dp_story_edge *edges;
    size_t nedges;
};

/* dpi_story_cmp - the comparison of members i and j (any order) with the
 * side of @i in it (*side_i), or NULL when the pair was not compared.
 * Binary search over s->pairs. */
const dp_comparison *dpi_story_cmp(const dp_story *s, size_t i, size_t j,
                                   int *side_i);

/*
 * dpi_story_quotes - find the quotes of every member and group them
 * across compared members; fills s->quotes, s->qcarriers, s->qchanged.
 * Needs the units (reported speech is grouped by unit).
 * @return DP_OK, DP_ENOMEM, DP_ETOOBIG.
 */
dp_status dpi_story_quotes(dp_story *s);

#endif /* DP_STORY_MERGE_H */
