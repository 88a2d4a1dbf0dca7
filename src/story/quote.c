/*
 * quote.c - the quotes of a merged story: text between quotation marks
 * (straight "...", curly “...” or „...“, and the ``...'' of LaTeX-style
 * corpora) and sentences of attributed speech without marks ("X said",
 * "told", "according to"), grouped across members and with the words
 * each copy changed.
 *
 * Finding: a scan of each member's original bytes pairs opening and
 * closing marks (a straight mark opens outside a quote and closes inside
 * one; an opening mark inside a quote restarts it; a blank line ends an
 * unclosed quote, as in multi-paragraph quotes). A quote needs at least
 * QUOTE_MIN_WORDS words, so scare quotes of one or two words are not
 * quotes. A sentence that holds no marked quote and has a speech verb is
 * a reported quote.
 *
 * Grouping (only between the quotes of compared members, so the pairwise
 * caps of merge.c bound this work too): two marked quotes are one when their
 * longest common subsequence of words is at least QUOTE_MIN_WORDS and at
 * least half the shorter; a reported quote joins any quote whose sentence
 * is in the same story unit. The first carrier (marked before reported,
 * then the primary first, then by member) is the reference; another marked
 * copy's changed words are its words outside the common subsequence that lie
 * between its first and last matched word (so a shorter or longer excerpt
 * changes nothing); a copy where either side is reported speech reports the
 * words its sentence adds over its partner (the story diff's added spans).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "story/merge.h"
#include "story/story.h"

#define QUOTE_MIN_WORDS 3
/* Words of a quote the subsequence looks at (the rest is not compared). */
#define LCS_MAX 400

typedef struct rawq {
    size_t member;
    dp_span span;    /* reported span */
    dp_span speaker; /* marked quotes: find_speaker() */
    size_t tb, te;   /* tokens */
    size_t sent;     /* sentence holding the start */
    dp_quote_kind kind;
    long unit; /* the unit of that sentence */
} rawq;

typedef struct qlist {
    rawq *q;
    size_t n, cap;
} qlist;

/* The quotation mark at @p (bytes left @n): 1 opens, 2 closes, 3 either;
 * its length in *len. 0 when none. */
static int mark_at(const unsigned char *p, size_t n, size_t *len)
{
    if (p[0] == '"') {
        *len = 1;
        return 3;
    }
    if (n >= 2 && p[0] == '`' && p[1] == '`') {
        *len = 2;
        return 1;
    }
    if (n >= 2 && p[0] == '\'' && p[1] == '\'') {
        *len = 2;
        return 2;
    }
    if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80) {
        *len = 3;
        if (p[2] == 0x9C || p[2] == 0x9E) /* “ „ */
            return 1;
        if (p[2] == 0x9D) /* ” */
            return 2;
    }
    return 0;
}

/* Whether a blank line starts at @i (a newline, blanks, a newline). */
static int blank_line(const char *t, size_t n, size_t i)
{
    size_t k;
    if (t[i] != '\n')
        return 0;
    for (k = i + 1; k < n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\r'); k++)
        ;
    return k < n && t[k] == '\n';
}

static size_t sent_of(const dp_doc *d, size_t off)
{
    size_t lo = 0, hi = d->nsents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->sents[mid].end <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nsents ? lo : d->nsents - 1;
}

static dp_status push(const dp_story *s, qlist *l, size_t m, size_t a, size_t b,
                      dp_quote_kind kind)
{
    const dp_doc *d = s->members[m].doc;
    const char *t = d->orig;
    rawq *q;
    size_t tb, te;
    dp_status rc;
    while (a < b &&
           (t[a] == ' ' || t[a] == '\n' || t[a] == '\t' || t[a] == '\r'))
        a++;
    while (b > a && strchr(" \n\t\r,.;:", t[b - 1]))
        b--;
    tb = dpi_story_tok_at(d, a);
    te = dpi_story_tok_at(d, b);
    if (te < tb + QUOTE_MIN_WORDS || d->nsents == 0)
        return DP_OK;
    rc = DP_RESERVE(l->q, l->cap, l->n + 1);
    if (rc)
        return rc;
    q = &l->q[l->n++];
    q->member = m;
    q->span.start = a;
    q->span.end = b;
    q->tb = tb;
    q->te = te;
    q->kind = kind;
    q->speaker.start = q->speaker.end = 0;
    q->sent = sent_of(d, a);
    q->unit = s->unit_of[s->sbase[m] + q->sent];
    return DP_OK;
}

static dp_status find_marked(const dp_story *s, size_t m, qlist *l)
{
    const dp_doc *d = s->members[m].doc;
    const unsigned char *t = (const unsigned char *)d->orig;
    size_t n = d->orig_len, i = 0, qs = 0, len;
    int inside = 0;
    dp_status rc;
    while (i < n) {
        int k;
        if (inside && blank_line(d->orig, n, i)) {
            rc = push(s, l, m, qs, i, DP_QUOTE_MARKED);
            if (rc)
                return rc;
            inside = 0;
            i++;
            continue;
        }
        k = mark_at(t + i, n - i, &len);
        if (!k) {
            i++;
            continue;
        }
        if (!inside && (k & 1)) {
            inside = 1;
            qs = i + len;
        } else if (inside && (k & 2)) {
            rc = push(s, l, m, qs, i, DP_QUOTE_MARKED);
            if (rc)
                return rc;
            inside = 0;
        } else if (inside) {
            qs = i + len;
        }
        i += len;
    }
    if (inside)
        return push(s, l, m, qs, n, DP_QUOTE_MARKED);
    return DP_OK;
}

static int speech_verb(const dp_doc *d, const dp_tok *t)
{
    static const char *const verbs[] = {
        "said",     "says",      "say",       "saying",    "told",
        "tells",    "added",     "stated",    "according", "quoted",
        "reported", "announced", "explained", "claimed",   "warned",
        "insisted", "noted",     "declared",  "confirmed"};
    size_t n = t->nend - t->nstart, i;
    for (i = 0; i < sizeof verbs / sizeof *verbs; i++)
        if (strlen(verbs[i]) == n &&
            memcmp(d->norm + t->nstart, verbs[i], n) == 0)
            return 1;
    return 0;
}

/* The first run of capitalised words in tokens [b, e) that are neither
 * stopwords nor speech verbs; start == end when none. */
static dp_span name_run(const dp_doc *d, size_t b, size_t e)
{
    dp_span sp = {0, 0};
    size_t k;
    for (k = b; k < e; k++) {
        const dp_tok *t = &d->toks[k];
        int cap = (t->flags & DP_TOK_CAPITAL) && !(t->flags & DP_TOK_STOP) &&
                  !speech_verb(d, t);
        if (cap) {
            if (sp.start == sp.end)
                sp.start = t->start;
            sp.end = t->end;
        } else if (sp.start != sp.end) {
            break;
        }
    }
    return sp;
}

/* The first speech verb among tokens [b, e), or e. */
static size_t verb_in(const dp_doc *d, size_t b, size_t e)
{
    size_t k;
    for (k = b; k < e; k++)
        if (speech_verb(d, &d->toks[k]))
            return k;
    return e;
}

/*
 * The speaker of marked quote @q: after the quote, in the sentence
 * holding its end, the first name between the quote and a speech verb
 * ("...," Beth Sanner, a former ..., was quoted), else the name right
 * after the verb, or after one title word ("said Smith", "said mayor
 * Ellen Park"); failing that, before the quote in the
 * sentence holding its start, the first name of a clause that has a
 * speech verb before the quote ("Beth Sanner ... told CNN, "..."). A
 * pronoun ("he added") gives none.
 */
static dp_span find_speaker(const dp_doc *d, const rawq *q)
{
    dp_span none = {0, 0}, sp;
    size_t se = sent_of(d, q->span.end), ss = q->sent, v;
    size_t after_b = q->te, after_e = d->sents[se].tok_end;
    size_t before_b = d->sents[ss].tok_begin, before_e = q->tb;
    if (after_b < after_e) {
        v = verb_in(d, after_b, after_e);
        if (v < after_e) {
            sp = name_run(d, after_b, v);
            if (sp.start != sp.end)
                return sp;
            /* "said Smith", "said spokesman John Smith"; not "said on
             * Tuesday" (a stopword between) */
            sp = name_run(d, v + 1, v + 5 < after_e ? v + 5 : after_e);
            if (sp.start != sp.end &&
                (d->toks[v + 1].start == sp.start ||
                 (v + 2 < after_e && d->toks[v + 2].start == sp.start &&
                  !(d->toks[v + 1].flags & DP_TOK_STOP))))
                return sp;
        }
    }
    if (before_b < before_e && verb_in(d, before_b, before_e) < before_e)
        return name_run(d, before_b, verb_in(d, before_b, before_e));
    return none;
}

/* Reported speech: sentences with a speech verb and no marked quote
 * (the marked ones of member @m are l->q[from..]). */
static dp_status find_reported(const dp_story *s, size_t m, qlist *l,
                               size_t from)
{
    const dp_doc *d = s->members[m].doc;
    size_t k, q, t, nmarked = l->n;
    for (k = 0; k < d->nsents; k++) {
        const dp_sent *se = &d->sents[k];
        int verb = 0, marked = 0;
        for (t = se->tok_begin; t < se->tok_end && !verb; t++)
            verb = speech_verb(d, &d->toks[t]);
        if (!verb)
            continue;
        for (q = from; q < nmarked && !marked; q++)
            marked =
                l->q[q].span.start < se->end && l->q[q].span.end > se->start;
        if (!marked) {
            dp_status rc = push(s, l, m, se->start, se->end, DP_QUOTE_REPORTED);
            if (rc)
                return rc;
        }
    }
    return DP_OK;
}

/* Longest common subsequence of the word hashes of two quotes; with
 * @match non-NULL, marks match[k] = 1 for the matched words of @b. */
static size_t lcs(const dp_doc *da, const rawq *a, const dp_doc *db,
                  const rawq *b, uint8_t *match, uint16_t *tab)
{
    size_t la = a->te - a->tb, lb = b->te - b->tb, i, j, r;
    if (la > LCS_MAX)
        la = LCS_MAX;
    if (lb > LCS_MAX)
        lb = LCS_MAX;
    for (j = 0; j <= lb; j++)
        tab[j] = 0;
    for (i = 1; i <= la; i++) {
        tab[i * (lb + 1)] = 0;
        for (j = 1; j <= lb; j++) {
            uint16_t *c = &tab[i * (lb + 1) + j];
            if (da->toks[a->tb + i - 1].hash == db->toks[b->tb + j - 1].hash)
                *c = tab[(i - 1) * (lb + 1) + j - 1] + 1;
            else {
                uint16_t up = tab[(i - 1) * (lb + 1) + j],
                         left = tab[i * (lb + 1) + j - 1];
                *c = up > left ? up : left;
            }
        }
    }
    r = tab[la * (lb + 1) + lb];
    if (match) {
        memset(match, 0, lb);
        i = la;
        j = lb;
        while (i > 0 && j > 0) {
            if (da->toks[a->tb + i - 1].hash == db->toks[b->tb + j - 1].hash) {
                match[j - 1] = 1;
                i--;
                j--;
            } else if (tab[(i - 1) * (lb + 1) + j] >=
                       tab[i * (lb + 1) + j - 1]) {
                i--;
            } else {
                j--;
            }
        }
    }
    return r;
}

static size_t qfind(size_t *p, size_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

static void qunion(size_t *p, size_t a, size_t b)
{
    a = qfind(p, a);
    b = qfind(p, b);
    if (a != b)
        p[a > b ? a : b] = a < b ? a : b;
}

/* Whether quotes @a and @b (of different members) are one quote. */
static int same_quote(const dp_story *s, const rawq *a, const rawq *b,
                      uint16_t *tab)
{
    size_t la, lb, mn, r;
    if (a->kind == DP_QUOTE_REPORTED || b->kind == DP_QUOTE_REPORTED) {
        if (a->unit < 0 || a->unit != b->unit)
            return 0;
        return s->units[a->unit].nmembers > 1;
    }
    la = a->te - a->tb;
    lb = b->te - b->tb;
    mn = la < lb ? la : lb;
    if (mn > LCS_MAX)
        mn = LCS_MAX;
    r = lcs(s->members[a->member].doc, a, s->members[b->member].doc, b, NULL,
            tab);
    return r >= QUOTE_MIN_WORDS && 2 * r >= mn;
}

typedef struct qkey {
    size_t group, prim, member, start, idx;
} qkey;

static int by_qkey(const void *x, const void *y)
{
    const qkey *a = x, *b = y;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->prim != b->prim)
        return a->prim < b->prim ? -1 : 1;
    if (a->member != b->member)
        return a->member < b->member ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return 0;
}

typedef struct gorder {
    size_t unit, member, start, group;
} gorder;

static int by_gorder(const void *x, const void *y)
{
    const gorder *a = x, *b = y;
    if (a->unit != b->unit)
        return a->unit < b->unit ? -1 : 1;
    if (a->member != b->member)
        return a->member < b->member ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->group < b->group ? -1 : a->group > b->group;
}

/* The added spans of the sentence holding quote @q (its story-diff
 * verdict against the member its unit links it to). */
static void sentence_added(const dp_story *s, const rawq *q, size_t *n,
                           const dp_span **spans)
{
    const dp_story_link *l = &s->link[s->sbase[q->member] + q->sent];
    *n = 0;
    *spans = NULL;
    if (l->sd) {
        *n = l->sd->nadded;
        *spans = l->sd->added;
    }
}

/* Fill the changed words of carrier @c (quote @q) against reference @r. */
static dp_status changed_words(dp_story *s, const rawq *r, const rawq *q,
                               size_t *cap, uint16_t *tab, uint8_t *match,
                               size_t *first, size_t *count)
{
    const dp_doc *dq = s->members[q->member].doc;
    size_t k, lb, lo = SIZE_MAX, hi = 0;
    dp_status rc;
    *first = s->nqchanged;
    *count = 0;
    if (q->kind == DP_QUOTE_REPORTED || r->kind == DP_QUOTE_REPORTED) {
        size_t n;
        const dp_span *sp;
        sentence_added(s, q, &n, &sp);
        for (k = 0; k < n; k++) {
            rc = DP_RESERVE(s->qchanged, *cap, s->nqchanged + 1);
            if (rc)
                return rc;
            s->qchanged[s->nqchanged++] = sp[k];
            (*count)++;
        }
        return DP_OK;
    }
    lcs(s->members[r->member].doc, r, dq, q, match, tab);
    lb = q->te - q->tb;
    if (lb > LCS_MAX)
        lb = LCS_MAX;
    for (k = 0; k < lb; k++)
        if (match[k]) {
            if (lo == SIZE_MAX)
                lo = k;
            hi = k;
        }
    if (lo == SIZE_MAX)
        return DP_OK;
    for (k = lo; k <= hi; k++) {
        const dp_tok *t = &dq->toks[q->tb + k];
        if (match[k])
            continue;
        if (k > lo && !match[k - 1] && *count) {
            s->qchanged[s->nqchanged - 1].end = t->end; /* one run */
            continue;
        }
        rc = DP_RESERVE(s->qchanged, *cap, s->nqchanged + 1);
        if (rc)
            return rc;
        s->qchanged[s->nqchanged].start = t->start;
        s->qchanged[s->nqchanged].end = t->end;
        s->nqchanged++;
        (*count)++;
    }
    return DP_OK;
}

/*
 * Group the raw quotes and lay out quotes, carriers and changed spans.
 * Long because grouping, ordering and the changed-word pass share their
 * scratch and are one pass over the groups.
 */
static dp_status group(dp_story *s, qlist *l, const size_t *qbeg)
{
    size_t n = l->n, i, j, p, ng = 0, qcap = 0, *parent, *gid, *gpos;
    uint16_t *tab;
    uint8_t *match;
    qkey *keys;
    dp_status rc = DP_ENOMEM;
    size_t *cfirst, *ccount;

    parent = malloc((n + 1) * sizeof *parent);
    gid = malloc((n + 1) * sizeof *gid);
    gpos = malloc((n + 1) * sizeof *gpos);
    keys = malloc((n + 1) * sizeof *keys);
    cfirst = malloc((n + 1) * sizeof *cfirst);
    ccount = malloc((n + 1) * sizeof *ccount);
    tab = malloc((size_t)(LCS_MAX + 1) * (LCS_MAX + 1) * sizeof *tab);
    match = malloc(LCS_MAX + 1);
    s->quotes = calloc(n + 1, sizeof *s->quotes);
    s->qcarriers = calloc(n + 1, sizeof *s->qcarriers);
    if (!parent || !gid || !gpos || !keys || !cfirst || !ccount || !tab ||
        !match || !s->quotes || !s->qcarriers)
        goto done;
    for (i = 0; i < n; i++)
        parent[i] = i;
    /* each compared pair of members: their quotes against each other */
    for (p = 0; p < s->npairs; p++) {
        size_t mi = s->pairs[p].i, mj = s->pairs[p].j;
        for (i = qbeg[mi]; i < qbeg[mi + 1]; i++)
            for (j = qbeg[mj]; j < qbeg[mj + 1]; j++) {
                if (qfind(parent, i) == qfind(parent, j))
                    continue;
                if (same_quote(s, &l->q[i], &l->q[j], tab))
                    qunion(parent, i, j);
            }
    }
    /* groups ordered by the story position of their first quote found:
     * the smallest (unit, start) of the primary's copies, else of any */
    for (i = 0; i < n; i++)
        gid[i] = SIZE_MAX;
    for (i = 0; i < n; i++) {
        size_t r = qfind(parent, i);
        if (gid[r] == SIZE_MAX)
            gid[r] = ng++;
    }
    for (i = 0; i < n; i++) {
        keys[i].group = gid[qfind(parent, i)];
        /* the reference: marked copies before reported ones, then the
         * primary's, then by member */
        keys[i].prim = (l->q[i].kind == DP_QUOTE_REPORTED ? 2 : 0) +
                       (l->q[i].member == s->primary ? 0 : 1);
        keys[i].member = l->q[i].member;
        keys[i].start = l->q[i].span.start;
        keys[i].idx = i;
    }
    qsort(keys, n, sizeof *keys, by_qkey);
    /* the reference of each group is its first key; order groups by the
     * reference's unit, then member and offset */
    {
        gorder *order = malloc((ng + 1) * sizeof *order);
        size_t g = 0;
        if (!order)
            goto done;
        for (i = 0; i < n; i++)
            if (i == 0 || keys[i].group != keys[i - 1].group) {
                const rawq *r = &l->q[keys[i].idx];
                order[g].unit = r->unit < 0 ? SIZE_MAX : (size_t)r->unit;
                order[g].member = r->member;
                order[g].start = r->span.start;
                order[g].group = keys[i].group;
                g++;
            }
        qsort(order, ng, sizeof *order, by_gorder);
        for (i = 0; i < ng; i++)
            gpos[order[i].group] = i;
        free(order);
    }
    for (i = 0; i < n; i++)
        keys[i].group = gpos[keys[i].group];
    qsort(keys, n, sizeof *keys, by_qkey);
    for (i = 0; i < n; i++) {
        size_t ref = i;
        const rawq *q = &l->q[keys[i].idx];
        while (ref > 0 && keys[ref - 1].group == keys[i].group)
            ref--;
        cfirst[i] = ccount[i] = 0;
        if (ref != i) {
            rc = changed_words(s, &l->q[keys[ref].idx], q, &qcap, tab, match,
                               &cfirst[i], &ccount[i]);
            if (rc)
                goto done;
        }
    }
    for (i = 0; i < n; i++) {
        const rawq *q = &l->q[keys[i].idx];
        dp_quote_carrier *c = &s->qcarriers[i];
        dp_story_quote *sq = &s->quotes[keys[i].group];
        c->member = q->member;
        c->span = q->span;
        c->speaker = q->speaker;
        c->nchanged = ccount[i];
        c->changed = ccount[i] ? s->qchanged + cfirst[i] : NULL;
        if (sq->ncarriers == 0) {
            sq->carriers = c;
            sq->kind = q->kind;
        } else if (q->kind == DP_QUOTE_MARKED) {
            sq->kind = DP_QUOTE_MARKED; /* marked by anyone: marked */
        }
        sq->ncarriers++;
    }
    s->nquotes = ng;
    s->nqcarriers = n;
    rc = DP_OK;
done:
    free(parent);
    free(gid);
    free(gpos);
    free(keys);
    free(cfirst);
    free(ccount);
    free(tab);
    free(match);
    return rc;
}

dp_status dpi_story_quotes(dp_story *s)
{
    qlist l = {NULL, 0, 0};
    size_t m, *qbeg = malloc((s->n + 1) * sizeof *qbeg);
    dp_status rc = qbeg ? DP_OK : DP_ENOMEM;
    for (m = 0; m < s->n && !rc; m++) {
        size_t from = l.n, k;
        qbeg[m] = from;
        rc = find_marked(s, m, &l);
        for (k = from; !rc && k < l.n; k++)
            l.q[k].speaker = find_speaker(s->members[m].doc, &l.q[k]);
        if (!rc)
            rc = find_reported(s, m, &l, from);
    }
    if (!rc) {
        qbeg[s->n] = l.n;
        rc = group(s, &l, qbeg);
    }
    free(qbeg);
    free(l.q);
    return rc;
}
