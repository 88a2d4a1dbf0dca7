/*
 * align.c - passage alignment by seed, extend and chain (see align.h and
 * docs/alignment.md for the algorithm, its parameters and its costs).
 *
 * Coordinates: A positions are i, B positions j, both token indices. A
 * "run" is a maximal stretch of equal tokens along one diagonal j - i; a
 * "passage" is a chain of runs, each starting at most max_gap tokens after
 * the previous one ends on each side. Everything lives in flat arrays owned
 * by one `aligner` for the duration of a call:
 *
 *   table      B's seed n-grams: open-addressing slots (key, count, start)
 *              and one array of positions grouped by key, each group in
 *              increasing order (so lookups are order-stable whatever the
 *              hash seed is, and the output deterministic);
 *   diags      per diagonal, the A range of the last run found on it, so a
 *              seed hit inside a known run costs O(1) to skip;
 *   pas        the passages found so far;
 *   active     indices of kept passages whose A range reaches the current
 *              position: a seed inside one of their rectangles (A range x
 *              B range) is skipped, which is what stops repetitive text
 *              from producing one overlapping passage per seed.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "align/align.h"
#include "core/util.h"
#include "text/doc.h"

/* Most tokens a side may have: indices and the diagonal array use 32 bits. */
#define MAX_TOKENS ((size_t)UINT32_MAX - 1)

/* How many positions ahead seed_all() prefetches table slots. */
#define PREFETCH 8

/* One slot of the seed table: 16 bytes, so a probe touches one line. */
typedef struct slot {
    uint64_t key;   /* n-gram hash */
    uint32_t count; /* occurrences in B; 0 marks an empty slot */
    uint32_t start; /* first index into table.pos of the slot's group */
} slot;

typedef struct table {
    slot *slots;   /* open addressing, linear probing, load <= 1/2 */
    uint32_t *pos; /* B positions, grouped by slot, increasing */
    size_t mask;   /* number of slots - 1 (a power of two minus one) */
    uint64_t seed; /* mixed into slot selection against crafted input */
} table;

/* What the aligner knows about one diagonal: the A range of the last run
 * found on it (empty when lo == hi). */
typedef struct diag_run {
    uint32_t lo, hi;
} diag_run;

typedef struct aligner {
    const uint64_t *a, *b; /* token hashes */
    uint32_t na, nb;       /* token counts */
    unsigned k;            /* seed n-gram length */
    unsigned gap;          /* max_gap */
    unsigned min_words;    /* least matched tokens per passage */
    unsigned max_occ;      /* frequent-gram threshold and per-seed cap */
    unsigned chain_min;    /* shortest run a chain steps onto */
    table t;
    diag_run *diags; /* per diagonal, index j - i + na */
    dp_match *pas;   /* passages found */
    size_t npas, cappas;
    uint32_t *active; /* indices into pas; see the file comment */
    size_t nactive, capactive;
    uint32_t a_reach; /* largest a_end of any kept passage */
} aligner;

void dpi_align_opts_init(dp_align_opts *opts)
{
    assert(opts);
    opts->min_words = DP_ALIGN_MIN_WORDS;
    opts->max_gap = DP_ALIGN_MAX_GAP;
    opts->seed_words = DP_ALIGN_SEED_WORDS;
    opts->max_occ = DP_ALIGN_MAX_OCC;
    opts->chain_min = DP_ALIGN_CHAIN_MIN;
}

/* splitmix64's finaliser: a bijection with good avalanche. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Hash of the n-gram t[i .. i+k). Order-sensitive; not seeded (the table
 * seeds slot selection instead). */
static uint64_t gram_hash(const uint64_t *t, size_t i, unsigned k)
{
    uint64_t h = 0x243f6a8885a308d3ULL;
    unsigned u;
    for (u = 0; u < k; u++) {
        h ^= t[i + u];
        h *= 0x9e3779b97f4a7c15ULL;
        h ^= h >> 32;
    }
    return h;
}

/* Where the probe for @key starts. */
static size_t table_home(const table *t, uint64_t key)
{
    return (size_t)mix64(key ^ t->seed) & t->mask;
}

/* The slot holding @key, or the empty slot where it would go. */
static size_t table_slot(const table *t, uint64_t key)
{
    size_t s = table_home(t, key);
    while (t->slots[s].count && t->slots[s].key != key)
        s = (s + 1) & t->mask;
    return s;
}

static void table_free(table *t)
{
    free(t->slots);
    free(t->pos);
    memset(t, 0, sizeof *t);
}

/* Index every k-gram of b[0 .. nb). Requires nb >= k. */
static dp_status table_build(table *t, const uint64_t *b, uint32_t nb,
                             unsigned k)
{
    size_t ng = (size_t)nb - k + 1, nslots = 16, s, j, total, bytes;
    uint32_t *where; /* slot of each n-gram, so the second pass need not
                        hash and probe again */
    uint64_t local;

    assert(nb >= k && k >= 1);
    while (nslots / 2 < ng)
        nslots *= 2; /* cannot wrap: ng < 2^32 and size_t is wider or the
                        multiplication check below fails first */
    if (dpi_mul_overflow(ng, sizeof *t->pos, &bytes) ||
        dpi_mul_overflow(nslots, sizeof *t->slots, &total))
        return DP_ETOOBIG;
    t->mask = nslots - 1;
    t->slots = calloc(nslots, sizeof *t->slots);
    t->pos = malloc(bytes);
    where = malloc(bytes);
    if (!t->slots || !t->pos || !where) {
        free(where);
        table_free(t);
        return DP_ENOMEM;
    }
    /* A per-call seed from addresses (randomised by ASLR and the
     * allocator): slot placement only, so the output does not depend on
     * it, but crafted input cannot aim at one probe chain. */
    t->seed =
        mix64((uint64_t)(uintptr_t)t->slots ^
              ((uint64_t)(uintptr_t)&local << 17) ^ 0x6a09e667f3bcc909ULL);

    for (j = 0; j < ng; j++) {
        uint64_t h = gram_hash(b, j, k);
        s = table_slot(t, h);
        t->slots[s].key = h;
        t->slots[s].count++;
        where[j] = (uint32_t)s;
    }
    /* start = end of the slot's group; filling backwards leaves it at the
     * group's beginning with positions in increasing order. */
    total = 0;
    for (s = 0; s < nslots; s++) {
        total += t->slots[s].count;
        t->slots[s].start = (uint32_t)total;
    }
    for (j = ng; j-- > 0;)
        t->pos[--t->slots[where[j]].start] = (uint32_t)j;
    free(where);
    return DP_OK;
}

static diag_run *diag_of(const aligner *al, uint32_t i, uint32_t j)
{
    return &al->diags[(size_t)j + al->na - i];
}

/* Is (i, j) on the last run recorded for its diagonal? */
static int on_known_run(const aligner *al, uint32_t i, uint32_t j)
{
    const diag_run *d = diag_of(al, i, j);
    return d->lo <= i && i < d->hi;
}

/* Record run @r on its diagonal unless a run further along is recorded:
 * seeds arrive in increasing i, so the furthest run is the useful one. */
static void mark_run(aligner *al, const dp_match *r)
{
    diag_run *d = diag_of(al, r->a_begin, r->b_begin);
    if (r->a_end > d->hi) {
        d->lo = r->a_begin;
        d->hi = r->a_end;
    }
}

/* The maximal run through the matching pair (i, j). */
static void run_through(const aligner *al, uint32_t i, uint32_t j, dp_match *r)
{
    const uint64_t *a = al->a, *b = al->b;
    uint32_t a0 = i, b0 = j, a1 = i, b1 = j;

    assert(a[i] == b[j]);
    while (a0 > 0 && b0 > 0 && a[a0 - 1] == b[b0 - 1])
        a0--, b0--;
    while (a1 < al->na && b1 < al->nb && a[a1] == b[b1])
        a1++, b1++;
    r->a_begin = a0;
    r->a_end = a1;
    r->b_begin = b0;
    r->b_end = b1;
}

/*
 * The next run of a chain after @last: the matching pair (ii, jj) with
 * ii - a_end <= gap and jj - b_end <= gap that starts a run of at least
 * chain_min tokens, nearest first (fewest skipped tokens, then the least
 * diagonal shift, then the smaller ii). The run is followed forward only,
 * so it never overlaps @last. Returns 0 when there is none, or when the
 * best one already belongs to a run found before (another passage's).
 */
static int chain_next(const aligner *al, const dp_match *last, dp_match *nx)
{
    const uint64_t *a = al->a, *b = al->b;
    unsigned best_cost = ~0u, best_skew = ~0u, da, db;
    uint32_t bi = 0, bj = 0, e, f;

    for (da = 0; da <= al->gap; da++) {
        uint32_t ii = last->a_end + da;
        if (ii >= al->na)
            break;
        for (db = 0; db <= al->gap; db++) {
            uint32_t jj = last->b_end + db;
            unsigned cost = da + db, skew = da > db ? da - db : db - da, n;
            if (jj >= al->nb)
                break;
            if ((!da && !db) || a[ii] != b[jj])
                continue;
            if (cost > best_cost || (cost == best_cost && skew >= best_skew))
                continue;
            n = 1;
            while (n < al->chain_min && ii + n < al->na && jj + n < al->nb &&
                   a[ii + n] == b[jj + n])
                n++;
            if (n < al->chain_min)
                continue;
            best_cost = cost;
            best_skew = skew;
            bi = ii;
            bj = jj;
        }
    }
    if (best_cost == ~0u || on_known_run(al, bi, bj))
        return 0;
    e = bi;
    f = bj;
    while (e < al->na && f < al->nb && a[e] == b[f])
        e++, f++;
    nx->a_begin = bi;
    nx->a_end = e;
    nx->b_begin = bj;
    nx->b_end = f;
    return 1;
}

/* The mirror image of chain_next(): the run ending at most gap tokens
 * before @first on each side, followed backward only. */
static int chain_prev(const aligner *al, const dp_match *first, dp_match *pv)
{
    const uint64_t *a = al->a, *b = al->b;
    unsigned best_cost = ~0u, best_skew = ~0u, da, db;
    uint32_t bi = 0, bj = 0, s, t;

    for (da = 0; da <= al->gap; da++) {
        uint32_t ii;
        if (first->a_begin < da + 1)
            break;
        ii = first->a_begin - 1 - da;
        for (db = 0; db <= al->gap; db++) {
            uint32_t jj;
            unsigned cost = da + db, skew = da > db ? da - db : db - da, n;
            if (first->b_begin < db + 1)
                break;
            jj = first->b_begin - 1 - db;
            if ((!da && !db) || a[ii] != b[jj])
                continue;
            if (cost > best_cost || (cost == best_cost && skew >= best_skew))
                continue;
            n = 1;
            while (n < al->chain_min && ii >= n && jj >= n &&
                   a[ii - n] == b[jj - n])
                n++;
            if (n < al->chain_min)
                continue;
            best_cost = cost;
            best_skew = skew;
            bi = ii;
            bj = jj;
        }
    }
    if (best_cost == ~0u || on_known_run(al, bi, bj))
        return 0;
    s = bi;
    t = bj;
    while (s > 0 && t > 0 && a[s - 1] == b[t - 1])
        s--, t--;
    pv->a_begin = s;
    pv->a_end = bi + 1;
    pv->b_begin = t;
    pv->b_end = bj + 1;
    return 1;
}

/* Is (i, j) inside the rectangle of a kept passage? Every passage starts at
 * or before the current i, so active ones need only the end checked. */
static int in_active(const aligner *al, uint32_t i, uint32_t j)
{
    size_t u;
    for (u = 0; u < al->nactive; u++) {
        const dp_match *p = &al->pas[al->active[u]];
        if (i < p->a_end && p->b_begin <= j && j < p->b_end)
            return 1;
    }
    return 0;
}

/* Drop active passages that end at or before i (order kept). */
static void prune_active(aligner *al, uint32_t i)
{
    size_t u, w = 0;
    for (u = 0; u < al->nactive; u++)
        if (al->pas[al->active[u]].a_end > i)
            al->active[w++] = al->active[u];
    al->nactive = w;
}

/* Build the passage through the seed pair (i, j) and keep it if long
 * enough. */
static dp_status passage_from(aligner *al, uint32_t i, uint32_t j)
{
    dp_match r, first, last, nx;
    size_t matched;
    dp_status rc;

    run_through(al, i, j, &r);
    mark_run(al, &r);
    matched = r.a_end - r.a_begin;
    first = last = r;
    /* Each step moves strictly forward (backward) on both sides, so the
     * loops end; their total cost is bounded by the passage length. */
    while (chain_next(al, &last, &nx)) {
        mark_run(al, &nx);
        matched += nx.a_end - nx.a_begin;
        last = nx;
    }
    while (chain_prev(al, &first, &nx)) {
        mark_run(al, &nx);
        matched += nx.a_end - nx.a_begin;
        first = nx;
    }
    if (matched < al->min_words)
        return DP_OK;

    rc = DP_RESERVE(al->pas, al->cappas, al->npas + 1);
    if (rc)
        return rc;
    rc = DP_RESERVE(al->active, al->capactive, al->nactive + 1);
    if (rc)
        return rc;
    al->pas[al->npas].a_begin = first.a_begin;
    al->pas[al->npas].a_end = last.a_end;
    al->pas[al->npas].b_begin = first.b_begin;
    al->pas[al->npas].b_end = last.b_end;
    al->active[al->nactive++] = (uint32_t)al->npas;
    al->npas++;
    if (last.a_end > al->a_reach)
        al->a_reach = last.a_end;
    return DP_OK;
}

/* Seed from every n-gram of A, in order. */
static dp_status seed_all(aligner *al)
{
    const table *t = &al->t;
    uint32_t i;

    uint64_t ahead[PREFETCH]; /* n-gram hashes of positions i .. i+7 */
    uint32_t ngrams = al->na - al->k + 1;

    for (i = 0; i < PREFETCH && i < ngrams; i++)
        ahead[i] = gram_hash(al->a, i, al->k);
    for (i = 0; i < ngrams; i++) {
        uint64_t h = ahead[i % PREFETCH];
        size_t s;
        uint32_t cnt, lim, u;
        const uint32_t *list;
        int frequent;

        /* The table outgrows the cache on long inputs: ask now for the
         * slot needed PREFETCH positions ahead. */
        if (i + PREFETCH < ngrams) {
            uint64_t g = gram_hash(al->a, i + PREFETCH, al->k);
            ahead[i % PREFETCH] = g;
            __builtin_prefetch(&t->slots[table_home(t, g)]);
        }
        s = table_slot(t, h);
        cnt = t->slots[s].count;
        if (!cnt)
            continue;
        list = t->pos + t->slots[s].start;
        frequent = cnt > al->max_occ;
        /* A frequent gram inside a passage already found is repetition of
         * it: skipping it is what keeps repetitive input linear. */
        if (frequent && i < al->a_reach)
            continue;
        prune_active(al, i);
        lim = frequent ? al->max_occ : cnt;
        for (u = 0; u < lim; u++) {
            uint32_t j =
                frequent ? list[(size_t)((uint64_t)u * cnt / lim)] : list[u];
            dp_status rc;
            if (on_known_run(al, i, j) || al->a[i] != al->b[j] ||
                in_active(al, i, j))
                continue;
            rc = passage_from(al, i, j);
            if (rc)
                return rc;
        }
    }
    return DP_OK;
}

/* Output order: a_begin, b_begin, a_end, b_end, all ascending. */
static int by_position(const void *x, const void *y)
{
    const dp_match *p = x, *q = y;
    if (p->a_begin != q->a_begin)
        return p->a_begin < q->a_begin ? -1 : 1;
    if (p->b_begin != q->b_begin)
        return p->b_begin < q->b_begin ? -1 : 1;
    if (p->a_end != q->a_end)
        return p->a_end < q->a_end ? -1 : 1;
    if (p->b_end != q->b_end)
        return p->b_end < q->b_end ? -1 : 1;
    return 0;
}

/* Size of a passage: tokens on both sides. */
static uint64_t extent(const dp_match *p)
{
    return (uint64_t)(p->a_end - p->a_begin) + (p->b_end - p->b_begin);
}

/*
 * Does q (at output index qi) make p (at pi) redundant? When q is at least
 * as large (ties go to the earlier one) and lies over p on both sides:
 * contains p's range on one side and overlaps it on the other. That covers
 * duplicates, containment, and the shifted copies a phrase repeated inside
 * one passage produces; two copies of a text at distinct places of B do
 * not overlap in B, so both stay.
 */
static int dominates(const dp_match *q, size_t qi, const dp_match *p, size_t pi)
{
    uint64_t sq = extent(q), sp = extent(p);
    int a_in, b_in, a_ov, b_ov;
    if (sq < sp || (sq == sp && qi > pi))
        return 0;
    a_in = q->a_begin <= p->a_begin && p->a_end <= q->a_end;
    b_in = q->b_begin <= p->b_begin && p->b_end <= q->b_end;
    a_ov = q->a_begin < p->a_end && p->a_begin < q->a_end;
    b_ov = q->b_begin < p->b_end && p->b_begin < q->b_end;
    return (a_in && b_ov) || (b_in && a_ov);
}

typedef struct edge {
    uint32_t from, to; /* passage `from` dominates passage `to` */
} edge;

typedef struct ranked {
    uint64_t size;
    uint32_t idx;
} ranked;

static int by_to(const void *x, const void *y)
{
    const edge *p = x, *q = y;
    if (p->to != q->to)
        return p->to < q->to ? -1 : 1;
    return p->from < q->from ? -1 : p->from > q->from;
}

/* Largest first; equal sizes in output order. */
static int by_size(const void *x, const void *y)
{
    const ranked *p = x, *q = y;
    if (p->size != q->size)
        return p->size > q->size ? -1 : 1;
    return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/*
 * Sort the passages for output and remove the redundant ones (see
 * dominates()). Pairs that overlap in A are found by a sweep in a_begin
 * order with the list of passages still open; each dominance is an edge.
 * Then, largest first, a passage survives unless a surviving passage
 * dominates it (so removing q never also removes what only q covered).
 * Cost: O(P log P + E), E = pairs overlapping in A, which the seed caps
 * keep near P.
 */
static dp_status drop_redundant(aligner *al)
{
    size_t P = al->npas, nopen = 0, nedge = 0, capedge = 0, u, v, w;
    uint32_t *open = NULL, *first = NULL;
    unsigned char *gone = NULL;
    ranked *rank = NULL;
    edge *e = NULL;
    dp_status rc = DP_ENOMEM;

    if (P == 0)
        return DP_OK;
    qsort(al->pas, P, sizeof *al->pas, by_position);
    open = malloc(P * sizeof *open);
    first = malloc((P + 1) * sizeof *first);
    gone = calloc(P, 1);
    rank = malloc(P * sizeof *rank);
    if (!open || !first || !gone || !rank)
        goto done;

    for (u = 0; u < P; u++) {
        const dp_match *p = &al->pas[u];
        size_t o = 0;
        for (v = 0; v < nopen; v++) {
            const dp_match *q = &al->pas[open[v]];
            edge ed;
            if (q->a_end <= p->a_begin)
                continue; /* closed for good: later ones start later */
            open[o++] = open[v];
            if (dominates(q, open[v], p, u)) {
                ed.from = open[v];
                ed.to = (uint32_t)u;
            } else if (dominates(p, u, q, open[v])) {
                ed.from = (uint32_t)u;
                ed.to = open[v];
            } else {
                continue;
            }
            rc = DP_RESERVE(e, capedge, nedge + 1);
            if (rc)
                goto done;
            e[nedge++] = ed;
        }
        nopen = o;
        open[nopen++] = (uint32_t)u;
    }

    /* Incoming edges per passage, as ranges of e sorted by target. */
    if (nedge)
        qsort(e, nedge, sizeof *e, by_to);
    for (u = 0, v = 0; u <= P; u++) {
        while (v < nedge && e[v].to < u)
            v++;
        first[u] = (uint32_t)v;
    }
    for (u = 0; u < P; u++) {
        rank[u].size = extent(&al->pas[u]);
        rank[u].idx = (uint32_t)u;
    }
    qsort(rank, P, sizeof *rank, by_size);
    /* Dominators rank before what they dominate, so their fate is known. */
    for (u = 0; u < P; u++) {
        uint32_t p = rank[u].idx;
        for (v = first[p]; v < first[p + 1]; v++)
            if (!gone[e[v].from]) {
                gone[p] = 1;
                break;
            }
    }
    for (u = 0, w = 0; u < P; u++)
        if (!gone[u])
            al->pas[w++] = al->pas[u];
    al->npas = w;
    rc = DP_OK;
done:
    free(open);
    free(first);
    free(gone);
    free(rank);
    free(e);
    return rc;
}

static void aligner_free(aligner *al)
{
    table_free(&al->t);
    free(al->diags);
    free(al->pas);
    free(al->active);
}

dp_status dpi_align_tokens(const uint64_t *a, size_t na, const uint64_t *b,
                           size_t nb, const dp_align_opts *opts, dp_match **out,
                           size_t *nout)
{
    dp_align_opts def;
    aligner al;
    dp_status rc;
    size_t ndiag;

    if (out)
        *out = NULL;
    if (nout)
        *nout = 0;
    if (!out || !nout || (!a && na) || (!b && nb))
        return DP_EINVAL;
    if (na > MAX_TOKENS || nb > MAX_TOKENS)
        return DP_ETOOBIG;
    if (!opts) {
        dpi_align_opts_init(&def);
        opts = &def;
    }

    memset(&al, 0, sizeof al);
    al.a = a;
    al.b = b;
    al.na = (uint32_t)na;
    al.nb = (uint32_t)nb;
    al.min_words = opts->min_words ? opts->min_words : 1;
    al.gap = DP_MIN(opts->max_gap, DP_ALIGN_GAP_LIMIT);
    al.k = opts->seed_words ? opts->seed_words : DP_ALIGN_SEED_WORDS;
    al.k = DP_MIN(al.k, DP_ALIGN_SEED_LIMIT);
    if (al.k > al.min_words)
        al.k = al.min_words;
    al.max_occ = opts->max_occ ? opts->max_occ : DP_ALIGN_MAX_OCC;
    al.chain_min = opts->chain_min ? opts->chain_min : DP_ALIGN_CHAIN_MIN;
    if (na < al.k || nb < al.k)
        return DP_OK; /* no seed fits: nothing of min_words can match */

    rc = table_build(&al.t, b, al.nb, al.k);
    if (rc)
        return rc;
    ndiag = na + nb + 1;
    al.diags = calloc(ndiag, sizeof *al.diags);
    if (!al.diags) {
        aligner_free(&al);
        return DP_ENOMEM;
    }
    rc = seed_all(&al);
    if (rc) {
        aligner_free(&al);
        return rc;
    }
    rc = drop_redundant(&al);
    if (rc) {
        aligner_free(&al);
        return rc;
    }
    *nout = al.npas;
    if (al.npas) {
        *out = al.pas;
        al.pas = NULL;
    }
    aligner_free(&al);
    return DP_OK;
}

dp_status dpi_align_docs(const dp_doc *a, const dp_doc *b,
                         const dp_align_opts *opts, dp_passage **out,
                         size_t *nout)
{
    uint64_t *ha = NULL, *hb = NULL;
    dp_match *m = NULL;
    dp_passage *p = NULL;
    size_t nm = 0, u;
    dp_status rc;

    if (out)
        *out = NULL;
    if (nout)
        *nout = 0;
    if (!a || !b || !out || !nout)
        return DP_EINVAL;
    if (a->ntoks > MAX_TOKENS || b->ntoks > MAX_TOKENS)
        return DP_ETOOBIG;
    if (dpi_mul_overflow(a->ntoks, sizeof *ha, &u) ||
        dpi_mul_overflow(b->ntoks, sizeof *hb, &u))
        return DP_ETOOBIG;
    if (a->ntoks)
        ha = malloc(a->ntoks * sizeof *ha);
    if (b->ntoks)
        hb = malloc(b->ntoks * sizeof *hb);
    if ((a->ntoks && !ha) || (b->ntoks && !hb)) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (u = 0; u < a->ntoks; u++)
        ha[u] = a->toks[u].hash;
    for (u = 0; u < b->ntoks; u++)
        hb[u] = b->toks[u].hash;
    rc = dpi_align_tokens(ha, a->ntoks, hb, b->ntoks, opts, &m, &nm);
    if (rc || nm == 0)
        goto done;
    p = calloc(nm, sizeof *p);
    if (!p) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (u = 0; u < nm; u++) {
        size_t wa = m[u].a_end - m[u].a_begin, wb = m[u].b_end - m[u].b_begin;
        assert(m[u].a_end > m[u].a_begin && m[u].b_end > m[u].b_begin);
        p[u].a.start = a->toks[m[u].a_begin].start;
        p[u].a.end = a->toks[m[u].a_end - 1].end;
        p[u].b.start = b->toks[m[u].b_begin].start;
        p[u].b.end = b->toks[m[u].b_end - 1].end;
        p[u].words = DP_MAX(wa, wb);
    }
    *out = p;
    *nout = nm;
done:
    free(ha);
    free(hb);
    free(m);
    return rc;
}
