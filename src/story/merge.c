/*
 * merge.c - dp_story_merge(): the merged story of a same-story cluster.
 *
 * The members are compared pairwise (all pairs up to DP_STORY_ALL_PAIRS
 * members, else each with the primary and its DP_STORY_NEIGHBOURS next
 * members). Every copied or rewritten sentence pair of a comparison joins
 * the two sentences into one unit (union-find over the sentences of all
 * members). The units are then laid out in story order: the primary's
 * sentences in its order, then each other member's sentences in member
 * order, a sentence not yet placed going right after the unit of that
 * member's previous placed sentence (or before its next one when it has
 * none before). From the units come what each member alone adds, the
 * conflicts between partner sentences (numbers, dates, names that differ
 * in the same slot) and, with the members' dates and the comparisons'
 * containment, the provenance of each compared pair. quote.c adds the
 * quotes. Rules and reasons: docs/merged-story.md.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "dedup/dedup.h"
#include "story/merge.h"
#include "story/story.h"

/* Content provenance needs each side's share of own sentences to differ
 * by at least this much, and the containment to lean the same way. */
#define PROV_OWN_MIN  0.2
#define PROV_CONT_MIN 0.05
/* The most confidence content evidence gives (a date gives 1). */
#define PROV_CONTENT_MAX 0.5
/* Partner sentences are checked for conflicts when copied or at least
 * this alike (dp_sentence_diff.similarity). */
#define CONFLICT_MIN_SIM 0.5
/* Sentences with fewer words than this besides numbers and month or day
 * names (datelines, timestamps) are not checked for conflicts. */
#define CONFLICT_MIN_WORDS 5
/* Units with more carriers than this get an origin from dates only. */
#define ORIGIN_MAX_CARRIERS 32
/* Carriers of one unit checked pairwise for conflicts (the first ones). */
#define CONFLICT_MAX_CARRIERS 16

static char *dup_str(const char *p)
{
    size_t n;
    char *q;
    if (!p)
        return NULL;
    n = strlen(p);
    q = malloc(n + 1);
    if (q)
        memcpy(q, p, n + 1);
    return q;
}

void dp_story_free(dp_story *s)
{
    size_t i;
    if (!s)
        return;
    if (s->strs)
        for (i = 0; i < 4 * s->n; i++)
            free(s->strs[i]);
    for (i = 0; i < s->npairs; i++)
        dp_comparison_free(s->pairs[i].cmp);
    free(s->strs);
    free(s->pairs);
    free(s->members);
    free(s->sbase);
    free(s->unit_of);
    free(s->link);
    free(s->units);
    free(s->carriers);
    free(s->adds);
    free(s->adds_beg);
    free(s->details);
    free(s->details_beg);
    free(s->quotes);
    free(s->qcarriers);
    free(s->qchanged);
    free(s->conflicts);
    free(s->edges);
    free(s);
}

const dp_comparison *dpi_story_cmp(const dp_story *s, size_t i, size_t j,
                                   int *side_i)
{
    if (i == j || i >= s->n || j >= s->n)
        return NULL;
    size_t lo = 0, hi = s->npairs, a = i < j ? i : j, b = i < j ? j : i;
    if (side_i)
        *side_i = i < j ? 0 : 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dp_story_pair *p = &s->pairs[mid];
        if (p->i < a || (p->i == a && p->j < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->npairs && s->pairs[lo].i == a && s->pairs[lo].j == b)
        return s->pairs[lo].cmp;
    return NULL;
}

/* Whether the caps compare members i < j. */
static int compared_pair(size_t n, size_t primary, size_t i, size_t j)
{
    if (n <= DP_STORY_ALL_PAIRS)
        return 1;
    if (i == primary || j == primary)
        return 1;
    return j - i <= DP_STORY_NEIGHBOURS;
}

static dp_status copy_members(dp_story *s, const dp_story_member *m)
{
    size_t i;
    s->members = calloc(s->n, sizeof *s->members);
    s->strs = calloc(4 * s->n, sizeof *s->strs);
    if (!s->members || !s->strs)
        return DP_ENOMEM;
    for (i = 0; i < s->n; i++) {
        const char *src[4] = {m[i].id, m[i].source, m[i].date, m[i].title};
        int k;
        for (k = 0; k < 4; k++) {
            s->strs[4 * i + k] = dup_str(src[k]);
            if (src[k] && !s->strs[4 * i + k])
                return DP_ENOMEM;
        }
        s->members[i].doc = m[i].doc;
        s->members[i].id = s->strs[4 * i];
        s->members[i].source = s->strs[4 * i + 1];
        s->members[i].date = s->strs[4 * i + 2];
        s->members[i].title = s->strs[4 * i + 3];
    }
    return DP_OK;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* Whether sentence @i of @d holds any token. */
static int has_words(const dp_doc *d, size_t i)
{
    return d->sents[i].tok_end > d->sents[i].tok_begin;
}

/* Record @sd (node @node's verdict against member @vs) as the node's
 * link when it ranks above the one it has. */
static void offer_link(dp_story *s, size_t node, size_t vs,
                       const dp_sentence_diff *sd, int with_primary)
{
    dp_story_link *l = &s->link[node];
    int rank = (with_primary ? 4000 : 0) +
               (sd->status == DP_SENT_COPIED ? 2000 : 0) +
               (int)(sd->similarity * 1000.0);
    if (l->vs >= 0 && l->rank >= rank)
        return;
    l->vs = (long)vs;
    l->vs_sentence = sd->partner;
    l->sd = sd;
    l->rank = rank;
}

/* One partner pair of a comparison, as a candidate join of two nodes. */
typedef struct edge {
    double w;    /* copied pairs 2 + similarity, rewritten similarity */
    size_t a, b; /* nodes, a of the earlier member */
    size_t ma, mb;
    const dp_sentence_diff *sa, *sb; /* each side's verdict (sb may be
                                        NULL when b does not point back) */
} edge;

static int by_weight(const void *x, const void *y)
{
    const edge *p = x, *q = y;
    if (p->w != q->w)
        return p->w > q->w ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* Whether the sets of roots @ra and @rb (rings through @ring) hold a
 * common member; @mark is all zero on entry and on return. */
static int share_member(const size_t *ring, size_t ra, size_t rb,
                        const size_t *member_of, uint8_t *mark)
{
    size_t x = ra;
    int common = 0;
    do {
        mark[member_of[x]] = 1;
        x = ring[x];
    } while (x != ra);
    x = rb;
    do {
        common |= mark[member_of[x]];
        x = ring[x];
    } while (x != rb);
    x = ra;
    do {
        mark[member_of[x]] = 0;
        x = ring[x];
    } while (x != ra);
    return common;
}

static void merge_sets(size_t *parent, size_t *ring, size_t ra, size_t rb)
{
    size_t t = ring[ra];
    ring[ra] = ring[rb];
    ring[rb] = t;
    if (ra < rb)
        parent[rb] = ra;
    else
        parent[ra] = rb;
}

/* Whether sentences @i and @j of @d hold the same words. */
static int same_words(const dp_doc *d, size_t i, size_t j)
{
    size_t bi = d->sents[i].tok_begin, bj = d->sents[j].tok_begin, k;
    size_t n = d->sents[i].tok_end - bi;
    if (n != d->sents[j].tok_end - bj)
        return 0;
    for (k = 0; k < n; k++)
        if (d->toks[bi + k].hash != d->toks[bj + k].hash)
            return 0;
    return 1;
}

/* Join the word-for-word repeated sentences of member @m (sentences
 * sorted by a hash of their words; equal hashes checked word by word). */
static dp_status join_repeats(dp_story *s, size_t m, size_t *parent,
                              size_t *ring)
{
    const dp_doc *d = s->members[m].doc;
    dp_kv *kv;
    size_t k, t, n = 0;
    dp_status rc;
    if (d->nsents < 2)
        return DP_OK;
    kv = malloc(d->nsents * sizeof *kv);
    if (!kv)
        return DP_ENOMEM;
    for (k = 0; k < d->nsents; k++) {
        uint64_t h = 0x9E3779B97F4A7C15ull;
        if (!has_words(d, k))
            continue;
        for (t = d->sents[k].tok_begin; t < d->sents[k].tok_end; t++)
            h = (h ^ d->toks[t].hash) * 0x100000001B3ull;
        kv[n].key = h;
        kv[n].val = k;
        n++;
    }
    rc = dpi_sort_kv(kv, n);
    for (k = 1; !rc && k < n; k++) {
        size_t f = k - 1;
        /* the first sentence of the run of equal hashes */
        while (f > 0 && kv[f - 1].key == kv[k].key)
            f--;
        if (kv[f].key == kv[k].key &&
            same_words(d, (size_t)kv[f].val, (size_t)kv[k].val)) {
            size_t ra = uf_find(parent, s->sbase[m] + (size_t)kv[f].val);
            size_t rb = uf_find(parent, s->sbase[m] + (size_t)kv[k].val);
            if (ra != rb)
                merge_sets(parent, ring, ra, rb);
        }
    }
    free(kv);
    return rc;
}

/*
 * Join the partner sentences of every comparison into units: first each
 * member's word-for-word repeats, then the partner pairs, strongest
 * first, a pair joining two units only when they hold no member in
 * common (so rewrites cannot chain different sentences of one member into
 * one unit). Then each node's link is its best partner inside its unit.
 * Long because collecting, ordering and applying the joins are one pass.
 */
static dp_status join_pairs(dp_story *s, size_t *parent)
{
    size_t i, j, k, pi, ne = 0, cap = 0, N = s->nnodes;
    size_t *ring = malloc((N + 1) * sizeof *ring);
    size_t *member_of = malloc((N + 1) * sizeof *member_of);
    uint8_t *mark = calloc(s->n + 1, 1);
    edge *e = NULL;
    int side;
    dp_status rc = DP_ENOMEM;
    if (!ring || !member_of || !mark)
        goto done;
    for (i = 0; i < s->n; i++)
        for (k = s->sbase[i]; k < s->sbase[i + 1]; k++)
            member_of[k] = i;
    for (k = 0; k < N; k++)
        ring[k] = k;
    rc = DP_OK;
    for (i = 0; i < s->n && !rc; i++)
        rc = join_repeats(s, i, parent, ring);
    if (rc)
        goto done;
    for (pi = 0; pi < s->npairs; pi++) {
        const dp_comparison *c = s->pairs[pi].cmp;
        i = s->pairs[pi].i;
        j = s->pairs[pi].j;
        for (side = 0; side < 2; side++) {
            size_t me = side ? j : i, other = side ? i : j;
            for (k = 0; k < c->nsents[side]; k++) {
                const dp_sentence_diff *sd = &c->sents[side][k];
                size_t p;
                if (sd->status == DP_SENT_UNIQUE || sd->partner < 0)
                    continue;
                p = (size_t)sd->partner;
                if (!has_words(s->members[me].doc, k) ||
                    !has_words(s->members[other].doc, p))
                    continue;
                rc = DP_RESERVE(e, cap, ne + 1);
                if (rc)
                    goto done;
                e[ne].w =
                    (sd->status == DP_SENT_COPIED ? 2.0 : 0.0) + sd->similarity;
                e[ne].a = s->sbase[me] + k;
                e[ne].b = s->sbase[other] + p;
                e[ne].ma = me;
                e[ne].mb = other;
                e[ne].sa = sd;
                ne++;
            }
        }
    }
    if (ne > 1)
        qsort(e, ne, sizeof *e, by_weight);
    for (k = 0; k < ne; k++) {
        size_t ra = uf_find(parent, e[k].a), rb = uf_find(parent, e[k].b);
        if (ra == rb || share_member(ring, ra, rb, member_of, mark))
            continue;
        merge_sets(parent, ring, ra, rb);
    }
    for (k = 0; k < ne; k++)
        if (uf_find(parent, e[k].a) == uf_find(parent, e[k].b))
            offer_link(s, e[k].a, e[k].mb, e[k].sa,
                       e[k].ma == s->primary || e[k].mb == s->primary);
    rc = DP_OK;
done:
    free(ring);
    free(member_of);
    free(mark);
    free(e);
    return rc;
}

/*
 * Lay the roots out in story order as a doubly linked list (sentinel =
 * nnodes) and return the order as an array of roots in *order.
 * Long because the member walk, the insertion rule and the list are one
 * piece of logic.
 */
static dp_status lay_out(dp_story *s, size_t *parent, size_t **order,
                         size_t *norder)
{
    size_t N = s->nnodes, *next, *prev, *out, mi, k, cnt = 0;
    uint8_t *placed;
    next = malloc((N + 1) * sizeof *next);
    prev = malloc((N + 1) * sizeof *prev);
    placed = calloc(N + 1, 1);
    out = malloc((N + 1) * sizeof *out);
    if (!next || !prev || !placed || !out) {
        free(next);
        free(prev);
        free(placed);
        free(out);
        return DP_ENOMEM;
    }
    next[N] = prev[N] = N;
    for (mi = 0; mi < s->n; mi++) {
        /* the primary first, then the others in member order */
        size_t m = mi == 0 ? s->primary : (mi <= s->primary ? mi - 1 : mi);
        const dp_doc *d = s->members[m].doc;
        size_t last = N + 1; /* none yet */
        for (k = 0; k < d->nsents; k++) {
            size_t r, at;
            if (!has_words(d, k))
                continue;
            r = uf_find(parent, s->sbase[m] + k);
            if (placed[r]) {
                last = r;
                continue;
            }
            if (last <= N) {
                at = last; /* insert after it */
            } else {
                /* before the member's next placed sentence, else at the
                 * end */
                size_t k2, before = N;
                for (k2 = k + 1; k2 < d->nsents; k2++) {
                    size_t r2;
                    if (!has_words(d, k2))
                        continue;
                    r2 = uf_find(parent, s->sbase[m] + k2);
                    if (placed[r2]) {
                        before = r2;
                        break;
                    }
                }
                at = prev[before];
            }
            next[r] = next[at];
            prev[r] = at;
            prev[next[at]] = r;
            next[at] = r;
            placed[r] = 1;
            last = r;
        }
    }
    for (k = next[N]; k != N; k = next[k])
        out[cnt++] = k;
    free(next);
    free(prev);
    free(placed);
    *order = out;
    *norder = cnt;
    return DP_OK;
}

/* Carriers sort: the primary first, then by member, then by sentence. */
typedef struct carrier_key {
    size_t unit, prim, member, sentence;
} carrier_key;

static int by_carrier(const void *x, const void *y)
{
    const carrier_key *a = x, *b = y;
    if (a->unit != b->unit)
        return a->unit < b->unit ? -1 : 1;
    if (a->prim != b->prim)
        return a->prim < b->prim ? -1 : 1;
    if (a->member != b->member)
        return a->member < b->member ? -1 : 1;
    if (a->sentence != b->sentence)
        return a->sentence < b->sentence ? -1 : 1;
    return 0;
}

/* Build units and carriers from the roots' order. */
static dp_status build_units(dp_story *s, size_t *parent)
{
    size_t *order = NULL, norder = 0, *unit_of_root, m, k, i, nk = 0;
    carrier_key *keys;
    dp_status rc = lay_out(s, parent, &order, &norder);
    if (rc)
        return rc;
    unit_of_root = malloc((s->nnodes + 1) * sizeof *unit_of_root);
    keys = malloc((s->nnodes + 1) * sizeof *keys);
    s->units = calloc(norder + 1, sizeof *s->units);
    s->carriers = calloc(s->nnodes + 1, sizeof *s->carriers);
    if (!unit_of_root || !keys || !s->units || !s->carriers) {
        free(order);
        free(unit_of_root);
        free(keys);
        return DP_ENOMEM;
    }
    for (i = 0; i < norder; i++)
        unit_of_root[order[i]] = i;
    s->nunits = norder;
    for (m = 0; m < s->n; m++) {
        const dp_doc *d = s->members[m].doc;
        for (k = 0; k < d->nsents; k++) {
            size_t node = s->sbase[m] + k;
            if (!has_words(d, k)) {
                s->unit_of[node] = -1;
                continue;
            }
            keys[nk].unit = unit_of_root[uf_find(parent, node)];
            keys[nk].prim = m == s->primary ? 0 : 1;
            keys[nk].member = m;
            keys[nk].sentence = k;
            s->unit_of[node] = (long)keys[nk].unit;
            nk++;
        }
    }
    qsort(keys, nk, sizeof *keys, by_carrier);
    for (i = 0; i < nk; i++) {
        dp_story_carrier *c = &s->carriers[i];
        const dp_doc *d = s->members[keys[i].member].doc;
        const dp_story_link *l =
            &s->link[s->sbase[keys[i].member] + keys[i].sentence];
        dp_story_unit *u = &s->units[keys[i].unit];
        c->member = keys[i].member;
        c->sentence = keys[i].sentence;
        c->span.start = d->sents[c->sentence].start;
        c->span.end = d->sents[c->sentence].end;
        c->status = DP_SENT_UNIQUE;
        c->vs = c->vs_sentence = -1;
        if (l->vs >= 0 && l->sd) {
            c->status = l->sd->status;
            c->vs = l->vs;
            c->vs_sentence = l->vs_sentence;
            c->similarity = l->sd->similarity;
            c->nadded = l->sd->nadded;
            c->added = l->sd->added;
        }
        if (u->ncarriers == 0) {
            u->carriers = c;
            u->nmembers = 1;
        } else if (c->member != c[-1].member) {
            u->nmembers++;
        }
        u->ncarriers++;
    }
    s->ncarriers = nk;
    /* a unit of one member has no partner, whatever its links say */
    for (i = 0; i < s->nunits; i++)
        if (s->units[i].nmembers == 1)
            for (k = 0; k < s->units[i].ncarriers; k++) {
                dp_story_carrier *c =
                    (dp_story_carrier *)&s->units[i].carriers[k];
                c->status = DP_SENT_UNIQUE;
                c->vs = c->vs_sentence = -1;
                c->similarity = 0.0;
                c->nadded = 0;
                c->added = NULL;
            }
    free(order);
    free(unit_of_root);
    free(keys);
    return DP_OK;
}

static dp_status build_adds(dp_story *s)
{
    size_t i, m, cnt = 0;
    s->adds_beg = calloc(s->n + 1, sizeof *s->adds_beg);
    s->adds = malloc((s->nunits + 1) * sizeof *s->adds);
    if (!s->adds_beg || !s->adds)
        return DP_ENOMEM;
    for (m = 0; m < s->n; m++) {
        s->adds_beg[m] = cnt;
        for (i = 0; i < s->nunits; i++)
            if (s->units[i].nmembers == 1 &&
                s->units[i].carriers[0].member == m)
                s->adds[cnt++] = i;
    }
    s->adds_beg[s->n] = cnt;
    return DP_OK;
}

/* Sentences of @side in @c with and without a partner (non-empty only). */
static void count_shared(const dp_comparison *c, int side, size_t *shared,
                         size_t *own)
{
    size_t k;
    *shared = *own = 0;
    for (k = 0; k < c->nsents[side]; k++) {
        if (!has_words(c->doc[side], k))
            continue;
        if (c->sents[side][k].status != DP_SENT_UNIQUE &&
            c->sents[side][k].partner >= 0)
            (*shared)++;
        else
            (*own)++;
    }
}

static void swap_edge(dp_story_edge *e)
{
    size_t t;
    double x;
    int64_t d;
    t = e->from, e->from = e->to, e->to = t;
    x = e->contained[0], e->contained[0] = e->contained[1], e->contained[1] = x;
    t = e->shared[0], e->shared[0] = e->shared[1], e->shared[1] = t;
    t = e->own[0], e->own[0] = e->own[1], e->own[1] = t;
    d = e->date[0], e->date[0] = e->date[1], e->date[1] = d;
}

/* The provenance edge of members i < j (compared by @c). */
static void judge_pair(const dp_story *s, size_t i, size_t j,
                       const dp_comparison *c, dp_story_edge *e)
{
    const char *di = s->members[i].date, *dj = s->members[j].date;
    double oi, oj, asym, ownd;
    memset(e, 0, sizeof *e);
    e->from = i;
    e->to = j;
    e->contained[0] = c->scores.containment_a_in_b;
    e->contained[1] = c->scores.containment_b_in_a;
    count_shared(c, 0, &e->shared[0], &e->own[0]);
    count_shared(c, 1, &e->shared[1], &e->own[1]);
    e->dated = di && dj &&
               dpi_dedup_parse_date(di, strlen(di), &e->date[0]) == 0 &&
               dpi_dedup_parse_date(dj, strlen(dj), &e->date[1]) == 0;
    if (e->dated && e->date[0] != e->date[1]) {
        e->basis = DP_PROV_DATE;
        e->confidence = 1.0;
        if (e->date[1] < e->date[0])
            swap_edge(e);
        return;
    }
    /* content: `to` holds `from`'s sentences plus its own */
    oi = (double)e->own[0] / (double)(e->own[0] + e->shared[0] + 1e-9);
    oj = (double)e->own[1] / (double)(e->own[1] + e->shared[1] + 1e-9);
    asym = e->contained[0] - e->contained[1];
    ownd = oj - oi;
    if (ownd >= PROV_OWN_MIN && asym >= PROV_CONT_MIN) {
        e->basis = DP_PROV_CONTENT;
    } else if (-ownd >= PROV_OWN_MIN && -asym >= PROV_CONT_MIN) {
        e->basis = DP_PROV_CONTENT;
        swap_edge(e);
        ownd = -ownd;
        asym = -asym;
    } else {
        return; /* undetermined */
    }
    /* at most PROV_CONTENT_MAX: an excerpt looks the same as an
     * expansion (docs/merged-story.md) */
    e->confidence =
        PROV_CONTENT_MAX * (0.5 * ownd + 0.5 * asym / (asym + 0.25));
}

static dp_status build_edges(dp_story *s)
{
    size_t i, cnt = 0;
    s->edges = calloc(s->npairs + 1, sizeof *s->edges);
    if (!s->edges)
        return DP_ENOMEM;
    for (i = 0; i < s->npairs; i++) {
        dp_story_edge e;
        judge_pair(s, s->pairs[i].i, s->pairs[i].j, s->pairs[i].cmp, &e);
        if (e.shared[0] == 0 && e.shared[1] == 0)
            continue;
        s->edges[cnt++] = e;
    }
    s->nedges = cnt;
    return DP_OK;
}

/* The edge between members @a and @b (either direction), or NULL. The
 * edges are in the order of the pairs, sorted by (smaller, larger). */
static const dp_story_edge *edge_between(const dp_story *s, size_t a, size_t b)
{
    size_t lo = 0, hi = s->nedges, x = a < b ? a : b, y = a < b ? b : a;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dp_story_edge *e = &s->edges[mid];
        size_t ex = e->from < e->to ? e->from : e->to;
        size_t ey = e->from < e->to ? e->to : e->from;
        if (ex < x || (ex == x && ey < y))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->nedges) {
        const dp_story_edge *e = &s->edges[lo];
        if ((e->from == x && e->to == y) || (e->from == y && e->to == x))
            return e;
    }
    return NULL;
}

/* The member that had unit @u first: the unique earliest date among its
 * members; else a member every other carrier's member has a determined
 * edge from; else -1. */
static long unit_origin(const dp_story *s, const dp_story_unit *u)
{
    size_t k;
    long best = -1;
    int64_t bd = 0;
    int tie = 0, all_dated = 1;
    if (u->nmembers < 2)
        return -1;
    for (k = 0; k < u->ncarriers; k++) {
        const char *d = s->members[u->carriers[k].member].date;
        int64_t t;
        if (!d || dpi_dedup_parse_date(d, strlen(d), &t) != 0) {
            all_dated = 0;
            break;
        }
        if (best < 0 || t < bd) {
            best = (long)u->carriers[k].member;
            bd = t;
            tie = 0;
        } else if (t == bd && (long)u->carriers[k].member != best) {
            tie = 1;
        }
    }
    if (all_dated && !tie)
        return best;
    if (u->ncarriers > ORIGIN_MAX_CARRIERS)
        return -1;
    for (k = 0; k < u->ncarriers; k++) {
        size_t cand = u->carriers[k].member, k2;
        int ok = 1;
        for (k2 = 0; ok && k2 < u->ncarriers; k2++) {
            size_t other = u->carriers[k2].member;
            const dp_story_edge *e;
            if (other == cand)
                continue;
            e = edge_between(s, cand, other);
            ok = e && e->basis != DP_PROV_UNDETERMINED && e->from == cand;
        }
        if (ok)
            return (long)cand;
    }
    return -1;
}

/* ---- conflicts ---- */

static int is_month_or_day(const dp_doc *d, const dp_tok *t)
{
    static const char *const names[] = {
        "january", "february", "march",     "april",    "may",      "june",
        "july",    "august",   "september", "october",  "november", "december",
        "jan",     "feb",      "mar",       "apr",      "jun",      "jul",
        "aug",     "sep",      "sept",      "oct",      "nov",      "dec",
        "monday",  "tuesday",  "wednesday", "thursday", "friday",   "saturday",
        "sunday"};
    size_t n = t->nend - t->nstart, i;
    for (i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n &&
            memcmp(d->norm + t->nstart, names[i], n) == 0)
            return 1;
    return 0;
}

/* A run of tokens of one class inside a sentence, with its neighbours. */
typedef struct run {
    size_t b, e;         /* tokens [b, e) */
    uint64_t prev, next; /* hashes of the neighbour tokens, 0 at edges */
    int date;            /* a neighbour or member is a month or day */
} run;

#define MAX_RUNS 64

static size_t find_runs(const dp_doc *d, const uint8_t *cls, size_t sent,
                        uint8_t want, run *out)
{
    size_t b = d->sents[sent].tok_begin, e = d->sents[sent].tok_end, k, n = 0;
    for (k = b; k < e && n < MAX_RUNS;) {
        size_t k2;
        if (cls[k] != want) {
            k++;
            continue;
        }
        for (k2 = k + 1; k2 < e && cls[k2] == want; k2++)
            ;
        out[n].b = k;
        out[n].e = k2;
        out[n].prev = k > b ? d->toks[k - 1].hash : 0;
        out[n].next = k2 < e ? d->toks[k2].hash : 0;
        out[n].date = (k > b && is_month_or_day(d, &d->toks[k - 1])) ||
                      (k2 < e && is_month_or_day(d, &d->toks[k2]));
        n++;
        k = k2;
    }
    return n;
}

/* Whether the tokens of run @r of @d occur, in a row, in sentence @sent
 * of @o (the same value: "52-3, 46" against "53-3, 47" is not). */
static int run_in(const dp_doc *d, const run *r, const dp_doc *o, size_t sent)
{
    size_t n = r->e - r->b, q, k;
    size_t ob = o->sents[sent].tok_begin, oe = o->sents[sent].tok_end;
    for (q = ob; q + n <= oe; q++) {
        for (k = 0; k < n && o->toks[q + k].hash == d->toks[r->b + k].hash; k++)
            ;
        if (k == n)
            return 1;
    }
    return 0;
}

/* Whether any token of run @r of @d occurs in sentence @sent of @o (a
 * name run sharing a word with the other sentence is not a different
 * name: "IBF, WBO" against "IBF, IBO" is a list in another order). */
static int any_in(const dp_doc *d, const run *r, const dp_doc *o, size_t sent)
{
    size_t k, q;
    for (k = r->b; k < r->e; k++)
        for (q = o->sents[sent].tok_begin; q < o->sents[sent].tok_end; q++)
            if (o->toks[q].hash == d->toks[k].hash)
                return 1;
    return 0;
}

/* Words of sentence @i of @d that are neither numbers nor month or day
 * names (a dateline or timestamp has few). */
static size_t story_words(const dp_doc *d, size_t i)
{
    size_t k, n = 0;
    for (k = d->sents[i].tok_begin; k < d->sents[i].tok_end; k++)
        if (!(d->toks[k].flags & DP_TOK_NUMBER) &&
            !is_month_or_day(d, &d->toks[k]))
            n++;
    return n;
}

/* Whether two runs read the same once only letters and digits are kept
 * ("KOs" and "KO's", "U.S." and "US"). */
static int same_letters(const dp_doc *da, const run *ra, const dp_doc *db,
                        const run *rb)
{
    const char *p = da->norm + da->toks[ra->b].nstart;
    const char *pe = da->norm + da->toks[ra->e - 1].nend;
    const char *q = db->norm + db->toks[rb->b].nstart;
    const char *qe = db->norm + db->toks[rb->e - 1].nend;
    for (;;) {
        while (p < pe &&
               !((unsigned char)*p >= 0x80 || (*p >= 'a' && *p <= 'z') ||
                 (*p >= '0' && *p <= '9')))
            p++;
        while (q < qe &&
               !((unsigned char)*q >= 0x80 || (*q >= 'a' && *q <= 'z') ||
                 (*q >= '0' && *q <= '9')))
            q++;
        if (p == pe || q == qe)
            return p == pe && q == qe;
        if (*p++ != *q++)
            return 0;
    }
}

static dp_status add_conflict(dp_story *s, dp_conflict_kind kind, size_t unit,
                              const dp_story_carrier *a,
                              const dp_story_carrier *b, const dp_doc *da,
                              const run *ra, const dp_doc *db, const run *rb)
{
    dp_story_conflict *c;
    dp_status rc =
        DP_RESERVE(s->conflicts, s->conflicts_cap, s->nconflicts + 1);
    if (rc)
        return rc;
    c = &s->conflicts[s->nconflicts++];
    c->kind = kind;
    c->unit = unit;
    c->member[0] = a->member;
    c->member[1] = b->member;
    c->sentence[0] = a->sentence;
    c->sentence[1] = b->sentence;
    c->span[0] = a->span;
    c->span[1] = b->span;
    c->value[0].start = da->toks[ra->b].start;
    c->value[0].end = da->toks[ra->e - 1].end;
    c->value[1].start = db->toks[rb->b].start;
    c->value[1].end = db->toks[rb->e - 1].end;
    return DP_OK;
}

/* Conflicts between carriers @a and @b of unit @unit. A number (or name)
 * run of one with no token in the other sentence conflicts with such a
 * run of the other when they share a neighbour (numbers: either; names:
 * both). One conflict per run of @a. */
static dp_status pair_conflicts(dp_story *s, size_t unit,
                                const dp_story_carrier *a,
                                const dp_story_carrier *b, uint8_t *const *cls)
{
    const dp_doc *da = s->members[a->member].doc;
    const dp_doc *db = s->members[b->member].doc;
    run ra[MAX_RUNS], rb[MAX_RUNS];
    int pass;
    for (pass = 0; pass < 2; pass++) {
        uint8_t want = pass ? DP_CLS_NAME : DP_CLS_NUMBER;
        size_t na = find_runs(da, cls[a->member], a->sentence, want, ra);
        size_t nb = find_runs(db, cls[b->member], b->sentence, want, rb);
        size_t x, y;
        for (x = 0; x < na; x++) {
            if (pass ? any_in(da, &ra[x], db, b->sentence)
                     : run_in(da, &ra[x], db, b->sentence))
                continue;
            for (y = 0; y < nb; y++) {
                int match;
                dp_status rc;
                if (pass ? any_in(db, &rb[y], da, a->sentence)
                         : run_in(db, &rb[y], da, a->sentence))
                    continue;
                if (pass == 0)
                    match = (ra[x].prev && ra[x].prev == rb[y].prev) ||
                            (ra[x].next && ra[x].next == rb[y].next);
                else
                    match = ra[x].prev && ra[x].next &&
                            ra[x].prev == rb[y].prev &&
                            ra[x].next == rb[y].next;
                if (!match || (pass && same_letters(da, &ra[x], db, &rb[y])))
                    continue;
                rc = add_conflict(s,
                                  pass ? DP_CONFLICT_NAME
                                  : (ra[x].date || rb[y].date)
                                      ? DP_CONFLICT_DATE
                                      : DP_CONFLICT_NUMBER,
                                  unit, a, b, da, &ra[x], db, &rb[y]);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    return DP_OK;
}

/* Whether the tokens [b, e) of @d occur, in a row, in @o. */
static int seq_in(const dp_doc *d, size_t b, size_t e, const dp_doc *o)
{
    size_t i, k;
    if (e <= b || o->ntoks < e - b)
        return 0;
    for (i = 0; i + (e - b) <= o->ntoks; i++) {
        for (k = 0; k < e - b && o->toks[i + k].hash == d->toks[b + k].hash;
             k++)
            ;
        if (k == e - b)
            return 1;
    }
    return 0;
}

/* Whether two spans of @d hold the same bytes. */
static int same_bytes(const dp_doc *d, dp_span a, dp_span b)
{
    return a.end - a.start == b.end - b.start &&
           memcmp(d->orig + a.start, d->orig + b.start, a.end - a.start) == 0;
}

/* The names and numbers each member's rewrites add (dp_story_details). */
static dp_status build_details(dp_story *s, uint8_t *const *cls)
{
    size_t m, u, k, a, o, q;
    dp_status rc;
    s->details_beg = calloc(s->n + 1, sizeof *s->details_beg);
    if (!s->details_beg)
        return DP_ENOMEM;
    for (m = 0; m < s->n; m++) {
        const dp_doc *d = s->members[m].doc;
        s->details_beg[m] = s->ndetails;
        for (u = 0; u < s->nunits; u++) {
            const dp_story_unit *un = &s->units[u];
            if (un->nmembers < 2)
                continue;
            for (k = 0; k < un->ncarriers; k++) {
                const dp_story_carrier *c = &un->carriers[k];
                if (c->member != m)
                    continue;
                for (a = 0; a < c->nadded; a++) {
                    size_t tb = dpi_story_tok_at(d, c->added[a].start);
                    size_t te = dpi_story_tok_at(d, c->added[a].end);
                    int fresh = tb < te && (cls[m][tb] == DP_CLS_NAME ||
                                            cls[m][tb] == DP_CLS_NUMBER);
                    for (o = 0; fresh && o < s->n; o++)
                        if (o != m && dpi_story_cmp(s, m, o, NULL) &&
                            seq_in(d, tb, te, s->members[o].doc))
                            fresh = 0;
                    for (q = s->details_beg[m]; fresh && q < s->ndetails; q++)
                        if (same_bytes(d, s->details[q].span, c->added[a]))
                            fresh = 0;
                    if (!fresh)
                        continue;
                    rc =
                        DP_RESERVE(s->details, s->details_cap, s->ndetails + 1);
                    if (rc)
                        return rc;
                    s->details[s->ndetails].unit = u;
                    s->details[s->ndetails].span = c->added[a];
                    s->ndetails++;
                }
            }
        }
    }
    s->details_beg[s->n] = s->ndetails;
    return DP_OK;
}

/* Whether carriers @a and @b (of different members, each with at least
 * CONFLICT_MIN_WORDS story words) are each other's partners in their
 * comparison, copied or at least CONFLICT_MIN_SIM
 * alike: sentences that say the same thing, so a different number in the
 * same place is a disagreement rather than another fact. */
static int close_partners(const dp_story *s, const dp_story_carrier *a,
                          const dp_story_carrier *b)
{
    int side;
    const dp_comparison *c;
    const dp_sentence_diff *da, *db;
    if (a->member == b->member ||
        story_words(s->members[a->member].doc, a->sentence) <
            CONFLICT_MIN_WORDS ||
        story_words(s->members[b->member].doc, b->sentence) <
            CONFLICT_MIN_WORDS)
        return 0;
    c = dpi_story_cmp(s, a->member, b->member, &side);
    if (!c)
        return 0;
    da = dp_comparison_sentence(c, side, a->sentence);
    db = dp_comparison_sentence(c, 1 - side, b->sentence);
    if (!da || !db)
        return 0;
    if (da->partner == (long)b->sentence)
        return da->status == DP_SENT_COPIED ||
               da->similarity >= CONFLICT_MIN_SIM;
    if (db->partner == (long)a->sentence)
        return db->status == DP_SENT_COPIED ||
               db->similarity >= CONFLICT_MIN_SIM;
    return 0;
}

static dp_status build_conflicts(dp_story *s)
{
    uint8_t **cls = calloc(s->n, sizeof *cls);
    size_t m, u, x, y;
    dp_status rc = DP_OK;
    if (!cls)
        return DP_ENOMEM;
    for (m = 0; m < s->n && !rc; m++) {
        const dp_doc *d2[2] = {s->members[m].doc, s->members[m].doc};
        uint8_t *c2[2];
        rc = dpi_story_classify(d2, c2);
        if (rc)
            break;
        cls[m] = c2[0];
        free(c2[1]);
        if (!cls[m] && s->members[m].doc->ntoks)
            rc = DP_ENOMEM;
    }
    for (u = 0; !rc && u < s->nunits; u++) {
        const dp_story_unit *un = &s->units[u];
        size_t nc = un->ncarriers < CONFLICT_MAX_CARRIERS
                        ? un->ncarriers
                        : CONFLICT_MAX_CARRIERS;
        if (un->nmembers < 2)
            continue;
        for (x = 0; !rc && x < nc; x++)
            for (y = x + 1; !rc && y < nc; y++)
                if (close_partners(s, &un->carriers[x], &un->carriers[y]))
                    rc = pair_conflicts(s, u, &un->carriers[x],
                                        &un->carriers[y], cls);
    }
    if (!rc)
        rc = build_details(s, cls);
    for (m = 0; m < s->n; m++)
        free(cls[m]);
    free(cls);
    return rc;
}

/* Compare the pairs the caps allow, in (i, j) order. */
static dp_status compare_members(dp_story *s, const dp_compare_opts *opts)
{
    size_t i, j, cap = 0;
    dp_status rc;
    for (i = 0; i < s->n; i++)
        for (j = i + 1; j < s->n; j++) {
            dp_story_pair *p;
            if (!compared_pair(s->n, s->primary, i, j))
                continue;
            rc = DP_RESERVE(s->pairs, cap, s->npairs + 1);
            if (rc)
                return rc;
            p = &s->pairs[s->npairs];
            p->i = i;
            p->j = j;
            p->cmp = NULL;
            rc =
                dp_compare(s->members[i].doc, s->members[j].doc, opts, &p->cmp);
            if (rc)
                return rc;
            s->npairs++;
        }
    return DP_OK;
}

dp_status dp_story_merge(const dp_story_member *members, size_t n,
                         size_t primary, const dp_compare_opts *opts,
                         dp_story **out)
{
    dp_story *s;
    size_t i, *parent = NULL;
    dp_status rc;

    if (out)
        *out = NULL;
    if (!members || !out || n == 0 || primary >= n)
        return DP_EINVAL;
    for (i = 0; i < n; i++)
        if (!members[i].doc)
            return DP_EINVAL;
    if (n > ((size_t)1 << 16))
        return DP_ETOOBIG;
    s = calloc(1, sizeof *s);
    if (!s)
        return DP_ENOMEM;
    s->n = n;
    s->primary = primary;
    rc = copy_members(s, members);
    if (rc)
        goto fail;
    rc = DP_ENOMEM;
    s->sbase = calloc(n + 1, sizeof *s->sbase);
    if (!s->sbase)
        goto fail;
    for (i = 0; i < n; i++)
        s->sbase[i + 1] = s->sbase[i] + members[i].doc->nsents;
    s->nnodes = s->sbase[n];
    s->unit_of = malloc((s->nnodes + 1) * sizeof *s->unit_of);
    s->link = malloc((s->nnodes + 1) * sizeof *s->link);
    parent = malloc((s->nnodes + 1) * sizeof *parent);
    if (!s->unit_of || !s->link || !parent)
        goto fail;
    for (i = 0; i < s->nnodes; i++) {
        parent[i] = i;
        s->link[i].vs = s->link[i].vs_sentence = -1;
        s->link[i].sd = NULL;
        s->link[i].rank = 0;
    }
    rc = compare_members(s, opts);
    if (rc)
        goto fail;
    rc = join_pairs(s, parent);
    if (!rc)
        rc = build_units(s, parent);
    if (!rc)
        rc = build_adds(s);
    if (!rc)
        rc = build_edges(s);
    if (rc)
        goto fail;
    for (i = 0; i < s->nunits; i++)
        s->units[i].origin = unit_origin(s, &s->units[i]);
    rc = dpi_story_quotes(s);
    if (!rc)
        rc = build_conflicts(s);
    if (rc)
        goto fail;
    free(parent);
    *out = s;
    return DP_OK;
fail:
    free(parent);
    dp_story_free(s);
    return rc;
}

size_t dp_story_members(const dp_story *s)
{
    return s ? s->n : 0;
}

const dp_story_member *dp_story_member_at(const dp_story *s, size_t i)
{
    return s && i < s->n ? &s->members[i] : NULL;
}

size_t dp_story_primary(const dp_story *s)
{
    return s ? s->primary : 0;
}

const dp_comparison *dp_story_comparison(const dp_story *s, size_t i, size_t j)
{
    return s ? dpi_story_cmp(s, i, j, NULL) : NULL;
}

size_t dp_story_units(const dp_story *s)
{
    return s ? s->nunits : 0;
}

const dp_story_unit *dp_story_unit_at(const dp_story *s, size_t i)
{
    return s && i < s->nunits ? &s->units[i] : NULL;
}

size_t dp_story_adds(const dp_story *s, size_t m, const size_t **units)
{
    size_t cnt;
    if (units)
        *units = NULL;
    if (!s || m >= s->n)
        return 0;
    cnt = s->adds_beg[m + 1] - s->adds_beg[m];
    if (units && cnt)
        *units = s->adds + s->adds_beg[m];
    return cnt;
}

size_t dp_story_details(const dp_story *s, size_t m,
                        const dp_story_detail **details)
{
    size_t cnt;
    if (details)
        *details = NULL;
    if (!s || m >= s->n)
        return 0;
    cnt = s->details_beg[m + 1] - s->details_beg[m];
    if (details && cnt)
        *details = s->details + s->details_beg[m];
    return cnt;
}

size_t dp_story_quotes(const dp_story *s)
{
    return s ? s->nquotes : 0;
}

const dp_story_quote *dp_story_quote_at(const dp_story *s, size_t i)
{
    return s && i < s->nquotes ? &s->quotes[i] : NULL;
}

size_t dp_story_conflicts(const dp_story *s)
{
    return s ? s->nconflicts : 0;
}

const dp_story_conflict *dp_story_conflict_at(const dp_story *s, size_t i)
{
    return s && i < s->nconflicts ? &s->conflicts[i] : NULL;
}

size_t dp_story_edges(const dp_story *s)
{
    return s ? s->nedges : 0;
}

const dp_story_edge *dp_story_edge_at(const dp_story *s, size_t i)
{
    return s && i < s->nedges ? &s->edges[i] : NULL;
}
