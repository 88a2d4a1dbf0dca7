/*
 * diff.c - the story diff: every sentence of both documents is marked
 * copied (mostly inside shared passages), rewritten (the same content said
 * differently, with its partner sentence and a similarity) or unique, and
 * a sentence with a partner lists what it adds over it (names, numbers,
 * content words, as original byte spans).
 *
 * The method (docs/story-diff.md has the reasoning):
 *
 *   1. Coverage: a token is covered when it lies inside a passage and its
 *      word occurs in the passage's other side (words a passage bridges
 *      over are not copied). A sentence with at least COPY_MIN of its
 *      tokens covered is copied; its partner is the sentence on the other
 *      side that receives most of its covered tokens. The sentence a copy
 *      points back at is that copy's partner too (rewritten when less than
 *      COPY_MIN of it is covered). A word-for-word repeat of an earlier
 *      sentence of the same side takes that sentence's verdict.
 *   2. Features: each sentence's distinct content keys (stems, names,
 *      numbers), weighted by IDF over the sentences of both documents.
 *      Similarity is a weighted Ochiai coefficient (cosine of weighted
 *      sets) where a shared name or number counts SHARED_BOOST times.
 *      A rewrite is judged on what was said outside passages: a key held
 *      only inside passages is left out, and a key one side holds outside
 *      passages while the other holds it only inside a passage (copied
 *      from elsewhere) is neutral.
 *   3. Candidates: an inverted index of keys to sentences of B, skipping
 *      keys too frequent to be telling, gives each sentence of A its best
 *      few partners; their exact similarity is then computed.
 *   4. Assignment, one to one: first the heaviest chain of pairs that
 *      keeps story order on both sides (a weighted longest increasing
 *      subsequence, each pair weighing its similarity above a floor, the
 *      copied pairs as anchors), as in sentence alignment; then the
 *      remaining pairs greedily by similarity; then 1:2 splits (a free
 *      sentence next to a paired one joins its partner when reading the
 *      two as one is at least as similar) and free sentences that are
 *      partly copied join the sentence their copied words point at.
 *   5. What a sentence with a partner adds: its names (a run of
 *      capitalised words is one name), numbers and content words outside
 *      passages that neither its partner nor the sentences naming it as
 *      their partner hold.
 *
 * Cost: sorting the tokens' keys plus, per sentence, its features times
 * the postings of its rarer keys: about linear in the two lengths.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "story/story.h"

/* A sentence whose share of tokens inside passages is at least this is
 * copied. */
#define COPY_MIN 0.5
/* A name or number both sentences hold counts this many times its IDF;
 * an unshared one counts once, like any word (docs/story-diff.md). */
#define SHARED_BOOST 2.0
/* Keys held by more sentences of B than this do not generate candidates
 * (they still count in the similarity of the candidates found). */
#define CAND_MAX_DF 256
/* Pairs down to this fraction of rewrite_min take part in the story-order
 * chain (they count for order, but are not reported). */
#define CHAIN_FLOOR 0.5
/* Candidates kept per sentence of A for the exact similarity. */
#define CAND_PER_SENT 16

/* One distinct key of one sentence. */
typedef struct feat {
    uint64_t key;
    double w;     /* IDF over the sentences of both documents */
    double boost; /* SHARED_BOOST for names and numbers, else 1 */
    uint32_t grp; /* index of the key among all distinct keys */
    uint8_t rest; /* 1 when some occurrence lies outside passages */
} feat;

/* Per-sentence state during the assignment. */
enum {
    S_FREE = 0,     /* not decided yet */
    S_COPIED = 1,   /* mostly inside passages */
    S_PAIRED = 2,   /* rewritten, one-to-one partner */
    S_ATTACHED = 3, /* rewritten, shares a paired neighbour's partner */
    S_REPEAT = 4    /* repeats an earlier sentence of its side word for
                       word; takes that sentence's verdict */
};

/* Everything derived for one side. */
typedef struct side {
    const dp_doc *d;
    const uint8_t *cls; /* token classes */
    size_t ntok, nsent;
    int32_t *pid;      /* per token: covering passage, or -1 */
    uint32_t *sent_of; /* per token: its sentence, or UINT32_MAX */
    double *cover;     /* per sentence: share of tokens covered */
    long *vote;        /* per sentence: partner by passage votes, or -1 */
    size_t *fbeg;      /* nsent + 1: each sentence's features in feat[] */
    feat *feat;
    double *nrest;  /* per sentence: summed weight of the features
                       outside passages (candidate ranking) */
    uint8_t *state; /* S_* */
    long *partner;
    double *sim;
    uint32_t *repeat_of; /* per sentence: the earlier sentence it repeats */
} side;

/* A candidate (or anchor) pair: sentence i of A, j of B. */
typedef struct cand {
    uint32_t i, j;
    double w;
    int anchor;
} cand;

/* Token range of one passage on both sides. */
typedef struct ptoks {
    size_t b[2], e[2];
} ptoks;

static void side_free(side *s)
{
    free(s->pid);
    free(s->sent_of);
    free(s->cover);
    free(s->vote);
    free(s->fbeg);
    free(s->feat);
    free(s->nrest);
    free(s->state);
    free(s->partner);
    free(s->sim);
    free(s->repeat_of);
}

static dp_status side_alloc(side *s, const dp_doc *d, const uint8_t *cls)
{
    size_t nt = d->ntoks ? d->ntoks : 1, ns = d->nsents ? d->nsents : 1;
    memset(s, 0, sizeof *s);
    s->d = d;
    s->cls = cls;
    s->ntok = d->ntoks;
    s->nsent = d->nsents;
    s->pid = malloc(nt * sizeof *s->pid);
    s->sent_of = malloc(nt * sizeof *s->sent_of);
    s->cover = calloc(ns, sizeof *s->cover);
    s->vote = malloc(ns * sizeof *s->vote);
    s->fbeg = calloc(ns + 1, sizeof *s->fbeg);
    s->nrest = calloc(ns, sizeof *s->nrest);
    s->state = calloc(ns, sizeof *s->state);
    s->partner = malloc(ns * sizeof *s->partner);
    s->sim = calloc(ns, sizeof *s->sim);
    s->repeat_of = malloc(ns * sizeof *s->repeat_of);
    if (!s->repeat_of || !s->pid || !s->sent_of || !s->cover || !s->vote ||
        !s->fbeg || !s->nrest || !s->state || !s->partner || !s->sim)
        return DP_ENOMEM;
    return DP_OK;
}

/* ---------------------------------------------------------------------
 * 1. Coverage and copied sentences
 * ------------------------------------------------------------------- */

/*
 * Mark covered tokens, the sentence of each token and each sentence's
 * coverage. A token is covered by a passage when it lies in the passage's
 * span on its side and its word also occurs in the passage's span on the
 * other side: the words a passage bridges over ("Only 80 passengers took"
 * between two matched runs) are not copied text.
 */
static dp_status cover_side(side *s, const side *o, const ptoks *pt, size_t np,
                            int which)
{
    const dp_doc *d = s->d;
    uint64_t *h = NULL;
    size_t i, p, cap = 0;
    dp_status rc = DP_OK;

    for (i = 0; i < s->ntok; i++) {
        s->pid[i] = -1;
        s->sent_of[i] = UINT32_MAX;
    }
    for (p = 0; p < np; p++) {
        size_t ob = pt[p].b[!which], oe = pt[p].e[!which], n = oe - ob;
        rc = DP_RESERVE(h, cap, n + 1);
        if (rc)
            goto done;
        for (i = 0; i < n; i++)
            h[i] = o->d->toks[ob + i].hash;
        rc = dpi_sort_u64(h, n);
        if (rc)
            goto done;
        for (i = pt[p].b[which]; i < pt[p].e[which]; i++)
            if (dpi_sorted_has(h, n, d->toks[i].hash))
                s->pid[i] = (int32_t)p;
    }
    for (i = 0; i < s->nsent; i++) {
        size_t t, n = 0, tb = d->sents[i].tok_begin, te = d->sents[i].tok_end;
        if (te > s->ntok)
            te = s->ntok;
        for (t = tb; t < te; t++) {
            s->sent_of[t] = (uint32_t)i;
            n += s->pid[t] >= 0;
        }
        s->cover[i] = te > tb ? (double)n / (double)(te - tb) : 0.0;
        s->vote[i] = -1;
        s->partner[i] = -1;
    }
done:
    free(h);
    return rc;
}

/*
 * The partner by passages of every partly covered sentence: each covered
 * token is carried proportionally through its passage to the other side;
 * the sentence there receiving most tokens wins (ties: the earlier one).
 */
static dp_status vote_side(side *s, const side *o, const ptoks *pt, int which)
{
    dp_story_kv *v = NULL;
    size_t cap = 0, i;
    dp_status rc = DP_OK;

    for (i = 0; i < s->nsent; i++) {
        const dp_sent *st = &s->d->sents[i];
        size_t t, nv = 0, k, best_n = 0;
        long best = -1;
        if (s->cover[i] <= 0.0)
            continue;
        for (t = st->tok_begin; t < st->tok_end && t < s->ntok; t++) {
            int32_t p = s->pid[t];
            size_t own_b, own_n, ob, on, m;
            uint32_t os;
            if (p < 0)
                continue;
            own_b = pt[p].b[which];
            own_n = pt[p].e[which] - own_b;
            ob = pt[p].b[!which];
            on = pt[p].e[!which] - ob;
            if (own_n == 0 || on == 0)
                continue;
            m = ob + (size_t)((uint64_t)(t - own_b) * on / own_n);
            if (m >= ob + on)
                m = ob + on - 1;
            os = o->sent_of[m];
            if (os == UINT32_MAX)
                continue;
            if (nv && v[nv - 1].key == os) {
                v[nv - 1].val++;
                continue;
            }
            rc = DP_RESERVE(v, cap, nv + 1);
            if (rc)
                goto done;
            v[nv].key = os;
            v[nv].val = 1;
            nv++;
        }
        rc = dpi_sort_kv(v, nv);
        if (rc)
            goto done;
        for (k = 0; k < nv;) {
            size_t n = 0, k0 = k;
            while (k < nv && v[k].key == v[k0].key)
                n += v[k++].val;
            if (n > best_n) {
                best_n = n;
                best = (long)v[k0].key;
            }
        }
        s->vote[i] = best;
    }
done:
    free(v);
    return rc;
}

/*
 * Exact repeats within one side (a headline printed twice): a free
 * sentence whose tokens equal an earlier sentence's is one piece of
 * content with it, so it stays out of the assignment and takes the
 * earlier sentence's verdict.
 */
static dp_status find_repeats(side *s)
{
    dp_story_kv *kv;
    size_t i, n = 0;
    dp_status rc;

    kv = malloc((s->nsent ? s->nsent : 1) * sizeof *kv);
    if (!kv)
        return DP_ENOMEM;
    for (i = 0; i < s->nsent; i++) {
        const dp_sent *st = &s->d->sents[i];
        uint64_t h = 0x243F6A8885A308D3ull;
        size_t t;
        s->repeat_of[i] = (uint32_t)i;
        if (st->tok_end <= st->tok_begin)
            continue;
        for (t = st->tok_begin; t < st->tok_end && t < s->ntok; t++)
            h = (h ^ s->d->toks[t].hash) * 0x100000001B3ull +
                (uint64_t)(st->tok_end - st->tok_begin);
        kv[n].key = h;
        kv[n].val = i;
        n++;
    }
    rc = dpi_sort_kv(kv, n); /* stable: earliest first in a group */
    if (!rc) {
        for (i = 1; i < n; i++) {
            size_t x = kv[i].val, first = s->repeat_of[kv[i - 1].val];
            const dp_sent *sx = &s->d->sents[x], *sf = &s->d->sents[first];
            size_t len = sx->tok_end - sx->tok_begin, t;
            int same = kv[i].key == kv[i - 1].key &&
                       len == (size_t)(sf->tok_end - sf->tok_begin);
            for (t = 0; same && t < len; t++)
                same = s->d->toks[sx->tok_begin + t].hash ==
                       s->d->toks[sf->tok_begin + t].hash;
            if (same) {
                s->repeat_of[x] = (uint32_t)first;
                if (s->state[x] == S_FREE)
                    s->state[x] = S_REPEAT;
            }
        }
    }
    free(kv);
    return rc;
}

/* ---------------------------------------------------------------------
 * 2. Features
 * ------------------------------------------------------------------- */

#define V_SIDE(v) ((int)((v) >> 62))
#define V_SENT(v) ((size_t)(((v) >> 16) & (((uint64_t)1 << 46) - 1)))
#define V_REST(v) ((int)(((v) >> 8) & 1))
#define V_CLS(v)  ((uint8_t)((v)&0xFF))

/*
 * Build both sides' feature lists (each key-sorted) and the postings of
 * B: for each distinct key, the free sentences of B holding it outside
 * passages.
 */
/* One entry per classified token in a sentence: key, then (side,
 * sentence, "outside passages", class) packed in val. */
static dp_status gather_entries(const side s[2], dp_story_kv **out,
                                size_t *nout)
{
    dp_story_kv *e;
    size_t n = 0, i;
    int w;

    *out = e = malloc((s[0].ntok + s[1].ntok + 1) * sizeof *e);
    if (!e)
        return DP_ENOMEM;
    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].ntok; i++) {
            uint8_t c = s[w].cls[i];
            uint32_t st = s[w].sent_of[i];
            if (c == DP_CLS_NONE || st == UINT32_MAX)
                continue;
            e[n].key = dpi_story_key(&s[w].d->toks[i], c);
            e[n].val = ((uint64_t)w << 62) | ((uint64_t)st << 16) |
                       ((uint64_t)(s[w].pid[i] < 0) << 8) | c;
            n++;
        }
    *nout = n;
    /* stable: within a key, entries stay in (side, sentence) order */
    return dpi_sort_kv(e, n);
}

/* Count features per sentence (one per distinct key per sentence) into
 * fbeg; returns the number of distinct keys (groups). */
static size_t count_features(side s[2], const dp_story_kv *e, size_t n)
{
    size_t i, ngrp = 0;

    for (i = 0; i < n;) {
        size_t j = i;
        while (j < n && e[j].key == e[i].key) {
            size_t k = j;
            while (k < n && e[k].key == e[i].key &&
                   (e[k].val >> 16) == (e[j].val >> 16))
                k++;
            s[V_SIDE(e[j].val)].fbeg[V_SENT(e[j].val) + 1]++;
            j = k;
        }
        i = j;
        ngrp++;
    }
    return ngrp;
}

/*
 * Fill the features of group @g, the entries of one key starting at @i:
 * weight log((sentences + 1) / sentences holding the key), the name boost,
 * the "outside passages" bit; B's sentences with such a feature go to the
 * key's posting list. Returns the index after the group.
 */
static size_t fill_group(side s[2], const dp_story_kv *e, size_t n, size_t i,
                         size_t g, size_t *const fill[2], uint32_t *post,
                         size_t *npost)
{
    size_t j, df = 0, nsent_all = s[0].nsent + s[1].nsent;
    uint8_t cls = 0;
    double wt;

    for (j = i; j < n && e[j].key == e[i].key; j++) {
        if (j == i || (e[j].val >> 16) != (e[j - 1].val >> 16))
            df++;
        if (V_CLS(e[j].val) > cls)
            cls = V_CLS(e[j].val);
    }
    wt = log((double)(nsent_all + 1) / (double)df);
    for (j = i; j < n && e[j].key == e[i].key;) {
        size_t k = j;
        int sd = V_SIDE(e[j].val);
        size_t st = V_SENT(e[j].val);
        uint8_t rest = 0;
        feat *f;
        while (k < n && e[k].key == e[i].key &&
               (e[k].val >> 16) == (e[j].val >> 16))
            rest |= (uint8_t)V_REST(e[k++].val);
        f = &s[sd].feat[fill[sd][st]++];
        f->key = e[i].key;
        f->w = wt;
        f->boost = cls >= DP_CLS_NAME ? SHARED_BOOST : 1.0;
        f->grp = (uint32_t)g;
        f->rest = rest;
        if (rest)
            s[sd].nrest[st] += wt;
        if (sd == 1 && rest)
            post[(*npost)++] = (uint32_t)st;
        j = k;
    }
    return j;
}

static dp_status build_features(side s[2], size_t **post_beg_out,
                                uint32_t **post_out, size_t *ngrp_out)
{
    dp_story_kv *e = NULL;
    size_t n = 0, i, g, ngrp;
    size_t *fill[2] = {NULL, NULL}, *post_beg = NULL;
    uint32_t *post = NULL;
    size_t npost = 0;
    int w;
    dp_status rc;

    *post_beg_out = NULL;
    *post_out = NULL;
    *ngrp_out = 0;
    rc = gather_entries(s, &e, &n);
    if (rc)
        goto done;
    ngrp = count_features(s, e, n);
    for (w = 0; w < 2; w++) {
        size_t tot = 0;
        for (i = 0; i < s[w].nsent; i++) {
            tot += s[w].fbeg[i + 1];
            s[w].fbeg[i + 1] = tot;
        }
        s[w].feat = malloc((tot ? tot : 1) * sizeof *s[w].feat);
        fill[w] = malloc((s[w].nsent ? s[w].nsent : 1) * sizeof *fill[w]);
        if (!s[w].feat || !fill[w]) {
            rc = DP_ENOMEM;
            goto done;
        }
        if (s[w].nsent)
            memcpy(fill[w], s[w].fbeg, s[w].nsent * sizeof *fill[w]);
    }
    post_beg = calloc(ngrp + 1, sizeof *post_beg);
    post = malloc((s[1].fbeg[s[1].nsent] + 1) * sizeof *post);
    if (!post_beg || !post) {
        rc = DP_ENOMEM;
        goto done;
    }
    /* Keys arrive in sorted order, so each feature list is key-sorted. */
    for (i = 0, g = 0; i < n; g++) {
        post_beg[g] = npost;
        i = fill_group(s, e, n, i, g, fill, post, &npost);
    }
    post_beg[ngrp] = npost;
    *post_beg_out = post_beg;
    *post_out = post;
    *ngrp_out = ngrp;
    post_beg = NULL;
    post = NULL;
done:
    free(e);
    free(fill[0]);
    free(fill[1]);
    free(post_beg);
    free(post);
    return rc;
}

/*
 * The similarity of two key-sorted feature lists: a weighted Ochiai
 * coefficient (cosine of set vectors), shared weight / sqrt(weight of A *
 * weight of B), where a key's weight is its IDF, times SHARED_BOOST when
 * it is a name or number both hold.
 *
 * With @rest, only what was said outside passages counts: keys both hold
 * outside passages match; a key one side holds outside passages and the
 * other only inside (copied from elsewhere) is neutral, left out of both
 * weights; keys held only inside passages are ignored.
 */
static double cosine_lists(const feat *fa, const feat *ea, const feat *fb,
                           const feat *eb, int rest)
{
    double dot = 0.0, na = 0.0, nb = 0.0;

    while (fa < ea || fb < eb) {
        if (fb == eb || (fa < ea && fa->key < fb->key)) {
            if (!rest || fa->rest)
                na += fa->w;
            fa++;
        } else if (fa == ea || fb->key < fa->key) {
            if (!rest || fb->rest)
                nb += fb->w;
            fb++;
        } else {
            if (!rest || (fa->rest && fb->rest)) {
                double w = fa->w * fa->boost;
                dot += w;
                na += w;
                nb += w;
            }
            fa++;
            fb++;
        }
    }
    if (na <= 0.0 || nb <= 0.0)
        return 0.0;
    dot /= sqrt(na * nb);
    return dot > 1.0 ? 1.0 : dot;
}

/* Cosine of sentences i (side A) and j (side B). */
static double cosine(const side *a, size_t i, const side *b, size_t j, int rest)
{
    return cosine_lists(a->feat + a->fbeg[i], a->feat + a->fbeg[i + 1],
                        b->feat + b->fbeg[j], b->feat + b->fbeg[j + 1], rest);
}

/* ---------------------------------------------------------------------
 * 3. Candidates
 * ------------------------------------------------------------------- */

static dp_status find_candidates(side s[2], const size_t *post_beg,
                                 const uint32_t *post, double min_sim,
                                 cand **out, size_t *nout, size_t *capout)
{
    side *a = &s[0], *b = &s[1];
    double *acc = NULL;
    uint32_t *touched = NULL;
    uint8_t *mark = NULL;
    size_t i, ntouched, cap = *capout, n = *nout;
    cand *c = *out;
    dp_status rc = DP_OK;

    if (a->nsent == 0 || b->nsent == 0)
        return DP_OK;
    acc = calloc(b->nsent, sizeof *acc);
    touched = malloc(b->nsent * sizeof *touched);
    mark = calloc(b->nsent, 1);
    if (!acc || !touched || !mark) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (i = 0; i < a->nsent; i++) {
        size_t f, k, top[CAND_PER_SENT], ntop = 0;
        double topsc[CAND_PER_SENT];
        if (a->state[i] != S_FREE || a->nrest[i] <= 0.0)
            continue;
        ntouched = 0;
        for (f = a->fbeg[i]; f < a->fbeg[i + 1]; f++) {
            const feat *ft = &a->feat[f];
            size_t p, pb = post_beg[ft->grp], pe = post_beg[ft->grp + 1];
            if (!ft->rest || pe - pb > CAND_MAX_DF)
                continue;
            for (p = pb; p < pe; p++) {
                uint32_t j = post[p];
                if (b->state[j] != S_FREE)
                    continue;
                if (!mark[j]) {
                    mark[j] = 1;
                    touched[ntouched++] = j;
                }
                acc[j] += ft->w * ft->boost;
            }
        }
        /* keep the best few by partial score (insertion into a short
         * descending list) */
        for (k = 0; k < ntouched; k++) {
            uint32_t j = touched[k];
            double sc = acc[j] / sqrt(b->nrest[j] > 0.0 ? b->nrest[j] : 1.0);
            size_t q;
            if (ntop == CAND_PER_SENT && sc <= topsc[ntop - 1])
                continue;
            if (ntop < CAND_PER_SENT)
                ntop++;
            for (q = ntop - 1; q > 0 && topsc[q - 1] < sc; q--) {
                top[q] = top[q - 1];
                topsc[q] = topsc[q - 1];
            }
            top[q] = j;
            topsc[q] = sc;
        }
        for (k = 0; k < ntop; k++) {
            size_t j = top[k];
            double sim = cosine(a, i, b, j, 1);
            if (sim < min_sim || sim <= 0.0)
                continue;
            rc = DP_RESERVE(c, cap, n + 1);
            if (rc)
                goto done;
            c[n].i = (uint32_t)i;
            c[n].j = (uint32_t)j;
            c[n].w = sim;
            c[n].anchor = 0;
            n++;
        }
        for (k = 0; k < ntouched; k++) {
            acc[touched[k]] = 0.0;
            mark[touched[k]] = 0;
        }
    }
done:
    free(acc);
    free(touched);
    free(mark);
    *out = c;
    *nout = n;
    *capout = cap;
    return rc;
}

/* ---------------------------------------------------------------------
 * 4. Assignment
 * ------------------------------------------------------------------- */

static void pair_up(side s[2], size_t i, size_t j, double sim)
{
    s[0].state[i] = S_PAIRED;
    s[0].partner[i] = (long)j;
    s[0].sim[i] = sim;
    s[1].state[j] = S_PAIRED;
    s[1].partner[j] = (long)i;
    s[1].sim[j] = sim;
}

/*
 * Story order: the heaviest chain of pairs increasing in both i and j (a
 * weighted longest increasing subsequence over sparse pairs, with a
 * Fenwick tree of prefix maxima over j). A pair weighs its similarity
 * above @floor, so weak pairs count little but still vote for an order;
 * copied pairs are anchors. The pairs on the chain with similarity at
 * least @min_sim are assigned.
 */
static dp_status order_chain(side s[2], cand *c, size_t n, double floor,
                             double min_sim)
{
    dp_story_kv *ord = NULL;
    double *best = NULL, *fv = NULL;
    long *prev = NULL, *fi = NULL;
    size_t nb = s[1].nsent, k, g;
    long top = -1;
    double topv = 0.0;
    dp_status rc = DP_OK;

    if (n == 0)
        return DP_OK;
    ord = malloc(n * sizeof *ord);
    best = malloc(n * sizeof *best);
    prev = malloc(n * sizeof *prev);
    fv = calloc(nb + 1, sizeof *fv);
    fi = malloc((nb + 1) * sizeof *fi);
    if (!ord || !best || !prev || !fv || !fi) {
        rc = DP_ENOMEM;
        goto done;
    }
    for (k = 0; k <= nb; k++)
        fi[k] = -1;
    for (k = 0; k < n; k++) {
        ord[k].key = ((uint64_t)c[k].i << 32) | c[k].j;
        ord[k].val = k;
    }
    rc = dpi_sort_kv(ord, n);
    if (rc)
        goto done;
    for (k = 0; k < n; k = g) {
        size_t q;
        for (g = k; g < n && (ord[g].key >> 32) == (ord[k].key >> 32); g++) {
            size_t idx = ord[g].val;
            size_t x = c[idx].j; /* prefix [0, j-1] is Fenwick [1, j] */
            double bv = 0.0;
            long bi = -1;
            for (; x > 0; x -= x & (~x + 1))
                if (fi[x] >= 0 && fv[x] > bv) {
                    bv = fv[x];
                    bi = fi[x];
                }
            best[idx] = bv + (c[idx].w - floor);
            prev[idx] = bi;
            if (best[idx] > topv) {
                topv = best[idx];
                top = (long)idx;
            }
        }
        for (q = k; q < g; q++) {
            size_t idx = ord[q].val, x;
            for (x = c[idx].j + 1; x <= nb; x += x & (~x + 1))
                if (fi[x] < 0 || best[idx] > fv[x]) {
                    fv[x] = best[idx];
                    fi[x] = (long)idx;
                }
        }
    }
    for (; top >= 0; top = prev[top]) {
        const cand *p = &c[top];
        if (!p->anchor && p->w >= min_sim && s[0].state[p->i] == S_FREE &&
            s[1].state[p->j] == S_FREE)
            pair_up(s, p->i, p->j, p->w);
    }
done:
    free(ord);
    free(best);
    free(prev);
    free(fv);
    free(fi);
    return rc;
}

static int by_weight_desc(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->w != b->w)
        return a->w < b->w ? 1 : -1;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    return a->j < b->j ? -1 : (a->j > b->j);
}

/* Remaining candidates of at least @min_sim, best first, while both
 * sentences are free. */
static void greedy(side s[2], cand *c, size_t n, double min_sim)
{
    size_t k;
    if (n == 0)
        return;
    qsort(c, n, sizeof *c, by_weight_desc);
    for (k = 0; k < n; k++)
        if (!c[k].anchor && c[k].w >= min_sim && s[0].state[c[k].i] == S_FREE &&
            s[1].state[c[k].j] == S_FREE)
            pair_up(s, c[k].i, c[k].j, c[k].w);
}

/* Cosine over all features, with @x on side @w and @y on the other. */
static double full_cosine(side s[2], int w, size_t x, size_t y)
{
    return w == 0 ? cosine(&s[0], x, &s[1], y, 0)
                  : cosine(&s[0], y, &s[1], x, 0);
}

/*
 * Cosine of the union of sentences @x and @n (side @me) with sentence @y
 * of side @o: the two sentences read as one. @buf is scratch space.
 */
static dp_status union_cosine(const side *me, size_t x, size_t n, const side *o,
                              size_t y, int rest, feat **buf, size_t *cap,
                              double *out)
{
    const feat *p = me->feat + me->fbeg[x], *pe = me->feat + me->fbeg[x + 1];
    const feat *q = me->feat + me->fbeg[n], *qe = me->feat + me->fbeg[n + 1];
    size_t m = 0;
    dp_status rc =
        DP_RESERVE(*buf, *cap, (size_t)(pe - p) + (size_t)(qe - q) + 1);
    if (rc)
        return rc;
    while (p < pe || q < qe) {
        feat f;
        if (q == qe || (p < pe && p->key < q->key))
            f = *p++;
        else if (p == pe || q->key < p->key)
            f = *q++;
        else {
            f = *p++;
            f.rest |= q->rest;
            q++;
        }
        (*buf)[m++] = f;
    }
    *out = cosine_lists(*buf, *buf + m, o->feat + o->fbeg[y],
                        o->feat + o->fbeg[y + 1], rest);
    return DP_OK;
}

/*
 * 1:2 splits, as in sentence alignment: a free sentence x next to a
 * sentence n paired before this step joins n's partner y when x alone is
 * similar enough to y (a headline and the lead it sums up both rewrite
 * one sentence), or when x shares something with y and reading x and n as
 * one sentence is at least as similar to y as n alone (a sentence split
 * in two). Similarities are of the pair's kind: outside passages for a
 * rewritten pair, over all words for a copied one. y keeps its own
 * partner. Then a free sentence partly inside passages may take its
 * partner by passage votes when similar enough to it.
 */
static dp_status attach(side s[2], double min_sim)
{
    feat *buf = NULL;
    size_t cap = 0;
    int w;
    dp_status rc = DP_OK;

    for (w = 0; w < 2; w++) {
        side *me = &s[w], *o = &s[!w];
        size_t x;
        for (x = 0; x < me->nsent; x++) {
            double bs = 0.0;
            long by = -1;
            int q;
            if (me->state[x] != S_FREE || me->fbeg[x + 1] == me->fbeg[x])
                continue;
            for (q = 0; q < 2; q++) {
                size_t n;
                long y;
                int rest;
                double one, both, mine;
                if ((q == 0 && x == 0) || (q == 1 && x + 1 >= me->nsent))
                    continue;
                n = q == 0 ? x - 1 : x + 1;
                if (me->state[n] != S_PAIRED && me->state[n] != S_COPIED)
                    continue;
                y = me->partner[n];
                rest = me->state[n] == S_PAIRED;
                one = w == 0 ? cosine(&s[0], n, &s[1], (size_t)y, rest)
                             : cosine(&s[0], (size_t)y, &s[1], n, rest);
                mine = w == 0 ? cosine(&s[0], x, &s[1], (size_t)y, rest)
                              : cosine(&s[0], (size_t)y, &s[1], x, rest);
                if (mine <= 0.0)
                    continue;
                if (mine >= min_sim) {
                    /* a rewrite of y on its own (a headline and its lead) */
                    if (mine > bs) {
                        bs = mine;
                        by = y;
                    }
                    continue;
                }
                rc = union_cosine(me, x, n, o, (size_t)y, rest, &buf, &cap,
                                  &both);
                if (rc)
                    goto done;
                if (both >= one && both >= min_sim && both > bs) {
                    bs = both;
                    by = y;
                }
            }
            if (by < 0 && me->vote[x] >= 0) {
                double sc = full_cosine(s, w, x, (size_t)me->vote[x]);
                if (sc >= min_sim) {
                    bs = sc;
                    by = me->vote[x];
                }
            }
            if (by >= 0) {
                me->state[x] = S_ATTACHED;
                me->partner[x] = by;
                me->sim[x] = bs;
            }
        }
    }
done:
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------
 * What a sentence adds over its partner
 * ------------------------------------------------------------------- */

/* Whether any of the sentences @ys[0..@ny) of side @o holds @key. */
static int partner_has(const side *o, const uint32_t *ys, size_t ny,
                       uint64_t key)
{
    size_t k;
    for (k = 0; k < ny; k++) {
        size_t y = ys[k], lo = o->fbeg[y], hi = o->fbeg[y + 1];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (o->feat[mid].key < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < o->fbeg[y + 1] && o->feat[lo].key == key)
            return 1;
    }
    return 0;
}

/* The end of token @t without a possessive "'s" or "’s" ("CIA’s" reads
 * "CIA"), unless that would leave nothing. */
static size_t bare_end(const dp_doc *d, size_t t)
{
    size_t s = d->toks[t].start, e = d->toks[t].end;
    const char *o = d->orig;
    if (e - s > 2 && (o[e - 1] == 's' || o[e - 1] == 'S') && o[e - 2] == '\'')
        return e - 2;
    if (e - s > 4 && (o[e - 1] == 's' || o[e - 1] == 'S') &&
        (unsigned char)o[e - 4] == 0xE2 && (unsigned char)o[e - 3] == 0x80 &&
        (unsigned char)o[e - 2] == 0x99)
        return e - 4;
    return e;
}

/* Whether the bytes between tokens @i and @i + 1 join them into one name:
 * spaces only, or a single hyphen ("al-Zawahiri"); a possessive ends a
 * name ("the Taliban’s Abdul Haq Wasiq" holds two). */
static int name_joint(const dp_doc *d, size_t i)
{
    size_t p, from = d->toks[i].end, to = d->toks[i + 1].start;
    if (bare_end(d, i) != from)
        return 0;
    if (to - from == 1 && d->orig[from] == '-')
        return 1;
    if (to == from)
        return 0;
    for (p = from; p < to; p++)
        if (d->orig[p] != ' ')
            return 0;
    return 1;
}

/* A lowercase particle joined by a hyphen to a following name
 * ("al-Zawahiri") belongs to the name. */
static int particle(const side *me, size_t t, size_t te)
{
    const dp_doc *d = me->d;
    return t + 1 < te && (d->toks[t].flags & DP_TOK_WORD) &&
           !(d->toks[t].flags & DP_TOK_CAPITAL) &&
           me->cls[t + 1] == DP_CLS_NAME &&
           d->toks[t + 1].start - d->toks[t].end == 1 &&
           d->orig[d->toks[t].end] == '-';
}

typedef struct addv {
    dp_story_kv *kv; /* key, index into spans */
    dp_span *sp;
    size_t n, capkv, capsp;
} addv;

static dp_status add_one(addv *v, uint64_t key, size_t start, size_t end)
{
    dp_status rc = DP_RESERVE(v->kv, v->capkv, v->n + 1);
    if (!rc)
        rc = DP_RESERVE(v->sp, v->capsp, v->n + 1);
    if (rc)
        return rc;
    v->kv[v->n].key = key;
    v->kv[v->n].val = v->n;
    v->sp[v->n].start = start;
    v->sp[v->n].end = end;
    v->n++;
    return DP_OK;
}

static uint64_t mix(uint64_t h, uint64_t k)
{
    h ^= k + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

/*
 * The name run starting at token @t (names and the particles inside them)
 * of a sentence ending at @te: added whole when most of its names are new
 * (not in the partner sentences @ys), else its new sub-runs of two or
 * more tokens ("State Department's Special Representative"). *@next is
 * the token after the run.
 */
static dp_status added_name_run(const side *me, size_t t, size_t te,
                                const side *o, const uint32_t *ys, size_t ny,
                                addv *v, size_t *next)
{
    const dp_doc *d = me->d;
    size_t r = t, nnew = 0, len = 0, sub = SIZE_MAX, q;
    uint64_t rk = 0;
    dp_status rc = DP_OK;

    while (r < te && (me->cls[r] == DP_CLS_NAME || particle(me, r, te))) {
        len++;
        rk = mix(rk, d->toks[r].hash);
        if (me->cls[r] == DP_CLS_NAME &&
            !partner_has(o, ys, ny, dpi_story_key(&d->toks[r], me->cls[r])) &&
            me->pid[r] < 0)
            nnew++;
        if (r + 1 < te && name_joint(d, r))
            r++;
        else {
            r++;
            break;
        }
    }
    *next = r;
    if (nnew * 2 > len)
        return add_one(v, rk, d->toks[t].start, bare_end(d, r - 1));
    if (nnew < 2)
        return DP_OK;
    for (q = t; q <= r && !rc; q++) {
        int isnew =
            q < r && me->cls[q] == DP_CLS_NAME && me->pid[q] < 0 &&
            !partner_has(o, ys, ny, dpi_story_key(&d->toks[q], me->cls[q]));
        if (isnew && sub == SIZE_MAX)
            sub = q;
        if (!isnew && sub != SIZE_MAX) {
            if (q - sub >= 2) {
                uint64_t sk = 0;
                size_t z;
                for (z = sub; z < q; z++)
                    sk = mix(sk, d->toks[z].hash);
                rc = add_one(v, sk, d->toks[sub].start, bare_end(d, q - 1));
            }
            sub = SIZE_MAX;
        }
    }
    return rc;
}

/*
 * The names, numbers and content words of sentence @x (side @me) that its
 * counterparts @ys[0..@ny) on side @o (its partner and the sentences that
 * name it as theirs) all lack, outside passages, first occurrence only, in
 * text order; appended to *pool.
 */
static dp_status added_for(const side *me, size_t x, const side *o,
                           const uint32_t *ys, size_t ny, addv *v,
                           dp_span **pool, size_t *npool, size_t *cappool)
{
    const dp_doc *d = me->d;
    size_t tb = d->sents[x].tok_begin, te = d->sents[x].tok_end, t, k;
    uint8_t *dup = NULL;
    dp_status rc = DP_OK;

    if (te > me->ntok)
        te = me->ntok;
    v->n = 0;
    for (t = tb; t < te && !rc;) {
        uint8_t c = me->cls[t];
        uint64_t key;
        if (c == DP_CLS_NAME || particle(me, t, te)) {
            rc = added_name_run(me, t, te, o, ys, ny, v, &t);
            continue;
        }
        if (c == DP_CLS_NONE || me->pid[t] >= 0) {
            t++;
            continue;
        }
        key = dpi_story_key(&d->toks[t], c);
        if (!partner_has(o, ys, ny, key))
            rc = add_one(v, key, d->toks[t].start, bare_end(d, t));
        t++;
    }
    if (rc || v->n == 0)
        goto done;
    /* first occurrence of each key only */
    dup = calloc(v->n, 1);
    if (!dup) {
        rc = DP_ENOMEM;
        goto done;
    }
    rc = dpi_sort_kv(v->kv, v->n);
    if (rc)
        goto done;
    for (k = 1; k < v->n; k++)
        if (v->kv[k].key == v->kv[k - 1].key)
            dup[v->kv[k].val] = 1;
    for (k = 0; k < v->n; k++) {
        if (dup[k])
            continue;
        rc = DP_RESERVE(*pool, *cappool, *npool + 1);
        if (rc)
            goto done;
        (*pool)[(*npool)++] = v->sp[k];
    }
done:
    free(dup);
    return rc;
}

/* ---------------------------------------------------------------------
 * The whole diff
 * ------------------------------------------------------------------- */

/* Step 1: coverage by passages, copied sentences and their partners. */
static dp_status copied_sentences(dp_comparison *c, side s[2])
{
    ptoks *pt;
    size_t p, i;
    int w;
    dp_status rc = DP_OK;

    pt = malloc((c->npassages ? c->npassages : 1) * sizeof *pt);
    if (!pt)
        return DP_ENOMEM;
    for (p = 0; p < c->npassages; p++)
        for (w = 0; w < 2; w++)
            dpi_story_passage_toks(c->doc[w], &c->passages[p], w, &pt[p].b[w],
                                   &pt[p].e[w]);
    for (w = 0; w < 2 && !rc; w++)
        rc = cover_side(&s[w], &s[!w], pt, c->npassages, w);
    for (w = 0; w < 2 && !rc; w++) {
        size_t n = 0;
        rc = vote_side(&s[w], &s[!w], pt, w);
        if (rc)
            break;
        for (i = 0; i < s[w].ntok; i++)
            n += s[w].pid[i] >= 0;
        c->coverage[w] = s[w].ntok ? (double)n / (double)s[w].ntok : 0.0;
        for (i = 0; i < s[w].nsent; i++)
            if (s[w].cover[i] >= COPY_MIN && s[w].vote[i] >= 0) {
                s[w].state[i] = S_COPIED;
                s[w].partner[i] = s[w].vote[i];
            }
    }
    for (w = 0; w < 2 && !rc; w++)
        rc = find_repeats(&s[w]);
    free(pt);
    return rc;
}

/* The other half of a copied pair: a sentence its copy points back at is
 * that copy's partner even when less than COPY_MIN of it is copied. */
static void attach_copy_halves(side s[2], double min_sim)
{
    size_t i;
    int w;

    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++) {
            long v = s[w].vote[i];
            double sc;
            if (s[w].state[i] != S_FREE || v < 0 ||
                s[!w].state[v] != S_COPIED || s[!w].partner[v] != (long)i)
                continue;
            sc = full_cosine(s, w, i, (size_t)v);
            if (sc >= min_sim) {
                s[w].state[i] = S_ATTACHED;
                s[w].partner[i] = v;
                s[w].sim[i] = sc;
            }
        }
}

/* Copied and attached pairs join the candidates as chain anchors. */
static dp_status add_anchors(const side s[2], cand **cd, size_t *ncd,
                             size_t *capcd)
{
    size_t i;
    int w;
    dp_status rc;

    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++) {
            cand *x;
            if (s[w].state[i] != S_COPIED && s[w].state[i] != S_ATTACHED)
                continue;
            rc = DP_RESERVE(*cd, *capcd, *ncd + 1);
            if (rc)
                return rc;
            x = &(*cd)[(*ncd)++];
            x->i = (uint32_t)(w == 0 ? i : (size_t)s[w].partner[i]);
            x->j = (uint32_t)(w == 0 ? (size_t)s[w].partner[i] : i);
            x->w = 1.0;
            x->anchor = 1;
        }
    return DP_OK;
}

/* Repeats take the verdict of the sentence they repeat; copied sentences
 * get their similarity over all their words. */
static void settle_repeats_and_copies(side s[2])
{
    size_t i;
    int w;

    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++) {
            size_t r = s[w].repeat_of[i];
            if (s[w].state[i] != S_REPEAT)
                continue;
            s[w].state[i] = s[w].state[r] == S_REPEAT ? S_FREE : s[w].state[r];
            s[w].partner[i] = s[w].partner[r];
            s[w].sim[i] = s[w].sim[r];
        }
    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++)
            if (s[w].state[i] == S_COPIED)
                s[w].sim[i] = full_cosine(s, w, i, (size_t)s[w].partner[i]);
}

/*
 * Counterparts of each sentence: its partner and the sentences of the
 * other side that name it as their partner (split halves), as lists
 * links[w][lbeg[w][i] .. lbeg[w][i + 1]) (both arrays malloc'd here).
 */
static dp_status build_links(const side s[2], size_t *lbeg[2],
                             uint32_t *links[2])
{
    size_t i;
    int w;

    for (w = 0; w < 2; w++) {
        lbeg[w] = calloc(s[w].nsent + 2, sizeof *lbeg[w]);
        links[w] = malloc((s[0].nsent + s[1].nsent + 1) * sizeof *links[w]);
        if (!lbeg[w] || !links[w])
            return DP_ENOMEM;
    }
    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++)
            if (s[w].state[i] != S_FREE && s[w].partner[i] >= 0) {
                lbeg[w][i + 2]++;
                lbeg[!w][(size_t)s[w].partner[i] + 2]++;
            }
    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++)
            lbeg[w][i + 2] += lbeg[w][i + 1];
    for (w = 0; w < 2; w++)
        for (i = 0; i < s[w].nsent; i++)
            if (s[w].state[i] != S_FREE && s[w].partner[i] >= 0) {
                size_t y = (size_t)s[w].partner[i];
                links[w][lbeg[w][i + 1]++] = (uint32_t)y;
                links[!w][lbeg[!w][y + 1]++] = (uint32_t)i;
            }
    return DP_OK;
}

/* The verdicts and added spans into @c (c->sents, c->added). */
static dp_status write_verdicts(dp_comparison *c, const side s[2],
                                size_t *const lbeg[2], uint32_t *const links[2])
{
    size_t *aoff[2] = {NULL, NULL}, i, npool = 0, cappool = 0;
    dp_span *pool = NULL;
    addv av = {NULL, NULL, 0, 0, 0};
    int w;
    dp_status rc = DP_OK;

    for (w = 0; w < 2 && !rc; w++) {
        c->nsents[w] = s[w].nsent;
        c->sents[w] = calloc(s[w].nsent ? s[w].nsent : 1, sizeof *c->sents[w]);
        aoff[w] = calloc(s[w].nsent + 1, sizeof *aoff[w]);
        if (!c->sents[w] || !aoff[w]) {
            rc = DP_ENOMEM;
            break;
        }
        for (i = 0; i < s[w].nsent && !rc; i++) {
            dp_sentence_diff *sd = &c->sents[w][i];
            sd->span.start = c->doc[w]->sents[i].start;
            sd->span.end = c->doc[w]->sents[i].end;
            sd->coverage = s[w].cover[i];
            sd->partner = -1;
            sd->status = DP_SENT_UNIQUE;
            aoff[w][i] = npool;
            if (s[w].state[i] == S_FREE)
                continue;
            sd->status =
                s[w].state[i] == S_COPIED ? DP_SENT_COPIED : DP_SENT_REWRITTEN;
            sd->partner = s[w].partner[i];
            sd->similarity = s[w].sim[i];
            rc = added_for(&s[w], i, &s[!w], links[w] + lbeg[w][i],
                           lbeg[w][i + 1] - lbeg[w][i], &av, &pool, &npool,
                           &cappool);
        }
        if (!rc)
            aoff[w][s[w].nsent] = npool;
    }
    /* the pool has stopped moving: point the sentences into it */
    for (w = 0; w < 2 && !rc; w++)
        for (i = 0; i < s[w].nsent; i++) {
            dp_sentence_diff *sd = &c->sents[w][i];
            sd->nadded = aoff[w][i + 1] - aoff[w][i];
            sd->added = sd->nadded ? pool + aoff[w][i] : NULL;
        }
    if (!rc) {
        c->added = pool;
        c->nadded = npool;
        pool = NULL;
    }
    free(aoff[0]);
    free(aoff[1]);
    free(pool);
    free(av.kv);
    free(av.sp);
    return rc;
}

/*
 * The whole diff, step by step: copied sentences (passage coverage),
 * features and rewrite candidates, the chain in story order anchored on
 * copied pairs, greedy pairing of the rest, attachment of split halves,
 * then the verdicts with what each sentence adds.
 */
dp_status dpi_story_diff(dp_comparison *c, uint8_t *const cls[2])
{
    side s[2];
    cand *cd = NULL;
    size_t ncd = 0, capcd = 0, *post_beg = NULL, ngrp = 0;
    uint32_t *post = NULL, *links[2] = {NULL, NULL};
    size_t *lbeg[2] = {NULL, NULL};
    double min_sim;
    dp_status rc;

    assert(c && c->doc[0] && c->doc[1] && cls);
    memset(s, 0, sizeof s);
    min_sim = c->opts.rewrite_min;
    if (!(min_sim > 0.0))
        min_sim = 1e-9; /* a rewrite shares at least something */
    rc = side_alloc(&s[0], c->doc[0], cls[0]);
    if (!rc)
        rc = side_alloc(&s[1], c->doc[1], cls[1]);
    if (!rc)
        rc = copied_sentences(c, s);
    if (!rc)
        rc = build_features(s, &post_beg, &post, &ngrp);
    if (rc)
        goto done;
    attach_copy_halves(s, min_sim);
    rc = find_candidates(s, post_beg, post, min_sim * CHAIN_FLOOR, &cd, &ncd,
                         &capcd);
    if (!rc)
        rc = add_anchors(s, &cd, &ncd, &capcd);
    if (!rc)
        rc = order_chain(s, cd, ncd, min_sim * CHAIN_FLOOR, min_sim);
    if (rc)
        goto done;
    greedy(s, cd, ncd, min_sim);
    rc = attach(s, min_sim);
    if (rc)
        goto done;
    settle_repeats_and_copies(s);
    rc = build_links(s, lbeg, links);
    if (!rc)
        rc = write_verdicts(c, s, lbeg, links);
done:
    side_free(&s[0]);
    side_free(&s[1]);
    free(cd);
    free(post_beg);
    free(post);
    free(lbeg[0]);
    free(lbeg[1]);
    free(links[0]);
    free(links[1]);
    return rc;
}
