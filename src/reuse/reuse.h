/*
 * reuse.h - internals of the reuse module shared with the JSON writers
 * (src/report/reuse_json.c) and the unit tests.
 *
 * The module (reuse.c) keeps, per document, only what finding and
 * printing passages needs: the token hashes and original spans in two
 * flat arrays, and id, text and source back to back in one byte buffer.
 * Runs build the n-gram table, the candidate pairs, the passages and the
 * clusters from those arrays alone.
 */
#ifndef DP_REUSE_REUSE_H
#define DP_REUSE_REUSE_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* Defaults (docs/reuse.md says how they were chosen). */
#define DP_REUSE_NGRAM           5
#define DP_REUSE_MAX_DF          64
#define DP_REUSE_BOILERPLATE     20.0
#define DP_REUSE_BOILERPLATE_MIN 10

/* dpi_reuse_opts - the options @r runs with (ngram and max_df resolved). */
const dp_reuse_opts *dpi_reuse_opts(const dp_reuse *r);

/*
 * dpi_reuse_join - whether two token intervals of one document, [b1, e1)
 * and [b2, e2), are one place of a cluster: they overlap by at least 80%
 * of the longer one. A short quote inside a long copied passage stays a
 * cluster of its own (else one whole-article copy would chain every quote
 * and set phrase it holds into one giant cluster: at half of the shorter,
 * Reuters' largest cluster had 5,070 documents chained through "with the
 * Securities and Exchange Commission"), and adjacent passages stay apart.
 */
static inline int dpi_reuse_join(uint32_t b1, uint32_t e1, uint32_t b2,
                                 uint32_t e2)
{
    uint32_t lo = b1 > b2 ? b1 : b2, hi = e1 < e2 ? e1 : e2;
    uint32_t s1 = e1 - b1, s2 = e2 - b2;
    if (hi <= lo)
        return 0;
    return 5 * (uint64_t)(hi - lo) >= 4 * (uint64_t)(s1 > s2 ? s1 : s2);
}

/* How many earlier places of a document (by start) a place is compared
 * with for joining. */
#define DP_REUSE_JOIN_WINDOW 32

#endif /* DP_REUSE_REUSE_H */
