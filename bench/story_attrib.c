/*
 * story_attrib.c - driver for bench/attribution and for looking at merged
 * stories by hand; links libdoppel and uses the public API only.
 *
 *   story_attrib show [--json] [--repeat N] FILE...
 *       merge the files (the first is the primary), print the merged
 *       story (text, or JSON with --json) and, on stderr, the time per
 *       dp_story_merge() over N repeats (default 1).
 *   story_attrib cs DIR
 *       Clough-Stevenson: for every answer listed in DIR/labels.csv,
 *       merge it with its source article and print one line
 *       "file category share containment coverage" (docs/merged-story.md gives
 * the share's formula), then the category means and the Spearman correlation of
 * share and of containment with the category order (cut 3, light 2, heavy 1,
 * non 0).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "doppel.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    if (!f)
        return NULL;
    for (;;) {
        if (n + 4096 > cap) {
            char *nb = realloc(buf, cap = 2 * cap + 8192);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return buf;
}

static dp_doc *load(const char *path)
{
    size_t len;
    char *t = slurp(path, &len);
    dp_text_opts o;
    dp_doc *d = NULL;
    dp_status rc;
    if (!t) {
        fprintf(stderr, "story_attrib: %s: cannot read\n", path);
        return NULL;
    }
    dp_text_opts_init(&o);
    o.utf8 = DP_UTF8_REPLACE;
    rc = dp_doc_create(t, len, &o, &d, NULL);
    free(t);
    if (rc)
        fprintf(stderr, "story_attrib: %s: %s\n", path, dp_strerror(rc));
    return d;
}

static int show(int argc, char **argv)
{
    int json = 0, i, ok = 1;
    long repeat = 1, r;
    dp_story_member *m = calloc((size_t)argc, sizeof *m);
    size_t n = 0, k;
    dp_story *s = NULL;
    double t0, t1;
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
            repeat = atol(argv[++i]);
        } else {
            const char *base = strrchr(argv[i], '/');
            m[n].doc = load(argv[i]);
            m[n].id = base ? base + 1 : argv[i];
            if (!m[n].doc)
                ok = 0;
            n++;
        }
    }
    if (!ok || n == 0)
        return 1;
    t0 = now();
    for (r = 0; r < (repeat < 1 ? 1 : repeat); r++) {
        dp_story_free(s);
        s = NULL;
        if (dp_story_merge(m, n, 0, NULL, &s)) {
            fprintf(stderr, "story_attrib: merge failed\n");
            return 1;
        }
    }
    t1 = now();
    fprintf(stderr, "members %zu  units %zu  merge %.3f ms\n", n,
            dp_story_units(s), (t1 - t0) * 1000.0 / (double)repeat);
    if (json) {
        char *txt;
        if (dp_story_json(s, &txt, NULL))
            return 1;
        puts(txt);
        dp_free(txt);
    } else {
        report_story_text(stdout, s, 0);
    }
    dp_story_free(s);
    for (k = 0; k < n; k++)
        dp_doc_free((dp_doc *)m[k].doc);
    free(m);
    return 0;
}

/*
 * The share of the answer (member @a) attributed to the source: over the
 * answer's sentences, words weighted by how closely the source carries
 * each: a sentence in a unit the source also carries counts
 * max(coverage, similarity) of its words, any other sentence its
 * coverage (the words of it inside passages shared with the source).
 */
static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* mark[t] = 1 when token t of @d lies in a @k-word shingle that @o also
 * has (the word was copied unchanged, with at least k-1 neighbours). */
static char *verbatim_marks(const dp_doc *d, const dp_doc *o, unsigned k)
{
    uint64_t *sd = NULL, *so = NULL;
    size_t nd = 0, no = 0, i, j;
    char *mark = calloc(dp_doc_words(d) + 1, 1);
    if (!mark || dp_doc_shingles(d, k, &sd, &nd) ||
        dp_doc_shingles(o, k, &so, &no)) {
        free(mark);
        dp_free(sd);
        return NULL;
    }
    if (no)
        qsort(so, no, sizeof *so, cmp_u64);
    for (i = 0; i < nd; i++)
        if (no && bsearch(&sd[i], so, no, sizeof *so, cmp_u64))
            for (j = i; j < i + k; j++)
                mark[j] = 1;
    dp_free(sd);
    dp_free(so);
    return mark;
}

/*
 * The share of the answer (member @a of the two-member story @s)
 * attributed to the source (docs/merged-story.md):
 *
 *   share = sum_s n_s (c_s v_s)^2 / sum_s n_s
 *
 * over the answer's sentences s with n_s words, where c_s is the share of
 * its words inside passages shared with the source (the story diff's
 * coverage) and v_s the share inside verbatim 5-word runs the source
 * has. *cover gets the plain coverage share sum n_s c_s / sum n_s.
 */
static double share_of(const dp_story *s, size_t a, double *cover)
{
    const dp_doc *d = dp_story_member_at(s, a)->doc;
    const dp_comparison *c = dp_story_comparison(s, 0, 1);
    size_t i, b, e, t;
    double num = 0.0, cnum = 0.0, den = 0.0;
    int side = a == 0 ? 0 : 1;
    char *vb = verbatim_marks(d, dp_story_member_at(s, 1 - a)->doc, 5);
    *cover = 0.0;
    if (!vb)
        return 0.0;
    for (i = 0; i < dp_doc_sentences(d); i++) {
        const dp_sentence_diff *sd = dp_comparison_sentence(c, side, i);
        double n, v = 0.0, w;
        dp_doc_sentence(d, i, NULL, &b, &e);
        if (!sd || e == b)
            continue;
        n = (double)(e - b);
        for (t = b; t < e; t++)
            v += vb[t];
        w = sd->coverage * (v / n);
        num += n * w * w;
        cnum += n * sd->coverage;
        den += n;
    }
    free(vb);
    *cover = den > 0.0 ? cnum / den : 0.0;
    return den > 0.0 ? num / den : 0.0;
}

/* Average ranks (ties share their mean rank). */
static void ranks(const double *x, size_t n, double *r)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        double less = 0.0, eq = 0.0;
        for (j = 0; j < n; j++) {
            if (x[j] < x[i])
                less++;
            else if (x[j] == x[i])
                eq++;
        }
        r[i] = less + (eq + 1.0) / 2.0;
    }
}

static double spearman(const double *x, const double *y, size_t n)
{
    double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    size_t i;
    if (!rx || !ry)
        return 0.0;
    ranks(x, n, rx);
    ranks(y, n, ry);
    for (i = 0; i < n; i++) {
        mx += rx[i] / (double)n;
        my += ry[i] / (double)n;
    }
    for (i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    free(rx);
    free(ry);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0.0;
}

static int cs(const char *dir)
{
    static const char *const cats[] = {"non", "heavy", "light", "cut"};
    char path[4096], line[1024];
    FILE *f;
    double share[256], cont[256], cov[256], cat[256], sum[4][3] = {{0}};
    double t0, tm = 0;
    size_t prov[3] = {0, 0, 0}; /* source first, answer first, neither */
    size_t n = 0, cnt[4] = {0}, i;
    snprintf(path, sizeof path, "%s/labels.csv", dir);
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "story_attrib: %s: cannot read\n", path);
        return 1;
    }
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return 1;
    }
    while (n < 256 && fgets(line, sizeof line, f)) {
        char *file = strtok(line, ","), *task, *category;
        int c;
        dp_story_member m[2];
        dp_story *s = NULL;
        const dp_comparison *cmp;
        strtok(NULL, ",");
        strtok(NULL, ",");
        task = strtok(NULL, ",");
        category = strtok(NULL, ",");
        if (!file || !task || !category)
            continue;
        for (c = 0; c < 4 && strcmp(category, cats[c]); c++)
            ;
        if (c == 4)
            continue;
        memset(m, 0, sizeof m);
        snprintf(path, sizeof path, "%s/corpus-20090418/%s", dir, file);
        m[0].doc = load(path);
        m[0].id = file;
        snprintf(path, sizeof path, "%s/corpus-20090418/orig_task%s.txt", dir,
                 task);
        m[1].doc = load(path);
        m[1].id = "source";
        if (!m[0].doc || !m[1].doc)
            return 1;
        t0 = now();
        if (dp_story_merge(m, 2, 1, NULL, &s))
            return 1;
        tm += now() - t0;
        cmp = dp_story_comparison(s, 0, 1);
        if (dp_story_edges(s) == 0 ||
            dp_story_edge_at(s, 0)->basis == DP_PROV_UNDETERMINED)
            prov[2]++;
        else
            prov[dp_story_edge_at(s, 0)->from == 1 ? 0 : 1]++;
        share[n] = share_of(s, 0, &cov[n]);
        cont[n] = dp_comparison_scores(cmp)->containment_a_in_b;
        cat[n] = c;
        sum[c][0] += share[n];
        sum[c][1] += cont[n];
        sum[c][2] += cov[n];
        cnt[c]++;
        printf("%s %s %.4f %.4f %.4f\n", file, category, share[n], cont[n],
               cov[n]);
        dp_story_free(s);
        dp_doc_free((dp_doc *)m[0].doc);
        dp_doc_free((dp_doc *)m[1].doc);
        n++;
    }
    fclose(f);
    printf("\nanswers %zu, %.2f ms per merge\n", n, tm * 1000.0 / (double)n);
    printf("%-6s %5s %8s %12s %9s\n", "cat", "n", "share", "containment",
           "coverage");
    for (i = 4; i-- > 0;)
        printf("%-6s %5zu %8.4f %12.4f %9.4f\n", cats[i], cnt[i],
               cnt[i] ? sum[i][0] / (double)cnt[i] : 0.0,
               cnt[i] ? sum[i][1] / (double)cnt[i] : 0.0,
               cnt[i] ? sum[i][2] / (double)cnt[i] : 0.0);
    printf("provenance (no dates): source first %zu, answer first %zu, "
           "undetermined %zu\n",
           prov[0], prov[1], prov[2]);
    printf("spearman share %.4f  containment %.4f  coverage %.4f\n",
           spearman(share, cat, n), spearman(cont, cat, n),
           spearman(cov, cat, n));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return show(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "cs"))
        return cs(argv[2]);
    fprintf(stderr, "usage: story_attrib show [--json] [--repeat N] FILE...\n"
                    "       story_attrib cs DIR\n");
    return 2;
}
