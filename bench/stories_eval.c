/*
 * stories_eval.c - quality of the stories engine against labels (run by
 * bench/stories; not a test). Reads a labels JSONL file (one object per
 * line with "file" and "event", and optionally "topic") and the files it
 * names, runs dp_stories at the given settings, and prints BCubed
 * precision, recall and F1, pair-counting precision/recall/F1, and the AUC
 * of the same-story score (corpus IDF) for same-event pairs against
 * same-topic other-event pairs. Weights can be overridden for calibration
 * (--set NAME=VALUE, names as in dp_story_weights).
 *
 * Usage: stories_eval [--threshold T] [--threads N] [--set NAME=VALUE]...
 *                     [--pair-only] [--dump] LABELS.jsonl DIR
 *        stories_eval [--set NAME=VALUE]... --corpus REUTERS.jsonl
 * --pair-only: the AUC of dp_compare()'s pair-only same_story instead.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doppel.h"
#include "story/stories.h"

typedef struct lab {
    char *file;
    char *event;
    long topic;
    long cl;
} lab;

typedef struct sp {
    double score;
    int pos;
} sp;

static int sp_cmp(const void *a, const void *b)
{
    double x = ((const sp *)a)->score, y = ((const sp *)b)->score;
    return x < y ? -1 : x > y;
}

static int set_weight(dp_story_weights *w, const char *kv)
{
    const char *eq = strchr(kv, '=');
    double v;
    if (!eq)
        return -1;
    v = atof(eq + 1);
#define W(name)                                                                \
    if ((size_t)(eq - kv) == strlen(#name) && !strncmp(kv, #name, eq - kv)) {  \
        w->name = v;                                                           \
        return 0;                                                              \
    }
    W(name_boost)
    W(num_boost)
    W(idf_pow)
    W(tf_pow)
    W(b0)
    W(b_terms)
    W(b_numbers)
    W(b_names)
    W(b_date)
    W(date_near)
    W(date_far)
    W(b_years)
    W(field_near)
    W(field_far)
#undef W
    if (!strncmp(kv, "use_title=", 10)) {
        w->use_title = (int)v;
        return 0;
    }
    if (!strncmp(kv, "min_numbers=", 12)) {
        w->min_numbers = (unsigned)v;
        return 0;
    }
    return -1;
}

/*
 * --corpus FILE.jsonl: a Reuters-style corpus (id, text, date, topics):
 * run at the settings and print the share of pairs inside clusters whose
 * topics labels are both present and disjoint (a proxy for false merges).
 */
static int corpus_proxy(dp_stories *s, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n = 0, c, i, j, tot = 0, bad = 0;
    json_t **topics = NULL;
    if (!f)
        return 1;
    while (getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        dp_stories_doc d;
        json_t *dt;
        if (!o)
            continue;
        memset(&d, 0, sizeof d);
        d.id = json_string_value(json_object_get(o, "id"));
        d.id_len = strlen(d.id);
        d.text = json_string_value(json_object_get(o, "text"));
        d.text_len = strlen(d.text);
        if (json_is_string(json_object_get(o, "title"))) {
            d.title = json_string_value(json_object_get(o, "title"));
            d.title_len = strlen(d.title);
        }
        dt = json_object_get(o, "date");
        if (json_is_string(dt)) {
            d.date = json_string_value(dt);
            d.date_len = strlen(d.date);
        }
        {
            dp_status st;
            if (dp_stories_add(s, &d, 1, &st) == DP_OK && st == DP_OK) {
                topics = realloc(topics, (n + 1) * sizeof *topics);
                topics[n++] = json_incref(json_object_get(o, "topics"));
            }
        }
        json_decref(o);
    }
    fclose(f);
    free(line);
    if (dp_stories_run(s))
        return 1;
    for (c = 0; c < dp_stories_clusters(s); c++) {
        dp_stories_cluster cl;
        dp_stories_cluster_get(s, c, &cl);
        for (i = 0; i < cl.n; i++)
            for (j = i + 1; j < cl.n; j++) {
                json_t *a = topics[cl.members[i]], *b = topics[cl.members[j]];
                size_t x, y;
                int common = 0;
                if (!json_array_size(a) || !json_array_size(b))
                    continue;
                for (x = 0; x < json_array_size(a); x++)
                    for (y = 0; y < json_array_size(b); y++)
                        common |= json_equal(json_array_get(a, x),
                                             json_array_get(b, y));
                tot++;
                bad += !common;
            }
    }
    {
        dp_stories_stats st;
        dp_stories_stats_get(s, &st);
        printf("topic_disjoint %zu of %zu (%.4f) grouped %zu in_groups %zu\n",
               bad, tot, tot ? (double)bad / (double)tot : 0.0, st.grouped,
               st.in_groups);
    }
    for (i = 0; i < n; i++)
        json_decref(topics[i]);
    free(topics);
    return 0;
}

/* Long because it is the whole benchmark: read, run, and three measures. */
int main(int argc, char **argv)
{
    dp_stories_opts o;
    dp_stories *s = NULL;
    lab *L = NULL;
    size_t n = 0, cap = 0, i, j;
    const char *sets[32];
    size_t nsets = 0;
    int a = 1, dump = 0, pair_only = 0;
    dp_doc **docs = NULL;
    const char *corpus = NULL;
    FILE *f;
    char line[4096];
    double bp = 0, br = 0, tp = 0, fp = 0, fn = 0;
    sp *pairs = NULL;
    size_t np = 0, npos = 0;

    dp_stories_opts_init(&o);
    for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
        if (!strcmp(argv[a], "--threshold") && a + 1 < argc)
            o.threshold = atof(argv[++a]);
        else if (!strcmp(argv[a], "--threads") && a + 1 < argc)
            o.threads = (unsigned)atoi(argv[++a]);
        else if (!strcmp(argv[a], "--corpus") && a + 1 < argc)
            corpus = argv[++a];
        else if (!strcmp(argv[a], "--pair-only"))
            pair_only = 1;
        else if (!strcmp(argv[a], "--dump"))
            dump = 1;
        else if (!strcmp(argv[a], "--set") && a + 1 < argc && nsets < 32)
            sets[nsets++] = argv[++a];
        else
            break;
    }
    if (corpus) {
        if (dp_stories_create(&o, &s))
            return 1;
        for (i = 0; i < nsets; i++)
            if (set_weight(dpi_stories_weights(s), sets[i]))
                return 2;
        i = (size_t)corpus_proxy(s, corpus);
        dp_stories_free(s);
        return (int)i;
    }
    if (argc - a != 2) {
        fprintf(stderr, "usage: stories_eval [--threshold T] [--set K=V]... "
                        "LABELS DIR\n");
        return 2;
    }
    f = fopen(argv[a], "r");
    if (!f) {
        perror(argv[a]);
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        json_t *fl, *ev, *tp2;
        if (!j)
            continue;
        fl = json_object_get(j, "file");
        ev = json_object_get(j, "event");
        tp2 = json_object_get(j, "topic");
        if (json_is_string(fl) && (json_is_string(ev) || json_is_integer(ev))) {
            char buf[64];
            if (n == cap) {
                cap = cap ? cap * 2 : 512;
                L = realloc(L, cap * sizeof *L);
            }
            L[n].file = strdup(json_string_value(fl));
            if (json_is_string(ev))
                L[n].event = strdup(json_string_value(ev));
            else {
                snprintf(buf, sizeof buf, "%lld",
                         (long long)json_integer_value(ev));
                L[n].event = strdup(buf);
            }
            L[n].topic =
                json_is_integer(tp2) ? (long)json_integer_value(tp2) : 0;
            n++;
        }
        json_decref(j);
    }
    fclose(f);
    if (dp_stories_create(&o, &s))
        return 1;
    for (i = 0; i < nsets; i++)
        if (set_weight(dpi_stories_weights(s), sets[i])) {
            fprintf(stderr, "unknown weight %s\n", sets[i]);
            return 2;
        }
    for (i = 0; i < n; i++) {
        char path[4096];
        char *text = NULL;
        size_t len = 0;
        dp_stories_doc d;
        dp_status st;
        snprintf(path, sizeof path, "%s/%s", argv[a + 1], L[i].file);
        if (dp_file_read(path, &text, &len, (size_t)1 << 30, NULL)) {
            fprintf(stderr, "cannot read %s\n", path);
            return 1;
        }
        memset(&d, 0, sizeof d);
        d.id = L[i].file;
        d.id_len = strlen(L[i].file);
        d.text = text;
        d.text_len = len;
        if (dp_stories_add(s, &d, 1, &st) || st) {
            fprintf(stderr, "%s: %s\n", path, dp_strerror(st));
            return 1;
        }
        if (pair_only) {
            docs = realloc(docs, (i + 1) * sizeof *docs);
            if (dp_doc_create(text, len, NULL, &docs[i], NULL))
                return 1;
        }
        dp_free(text);
    }
    if (dp_stories_run(s))
        return 1;
    for (i = 0; i < n; i++)
        L[i].cl = dp_stories_cluster_of(s, i);
    for (i = 0; i < n; i++) {
        size_t same_cl = 0, same_ev = 0, both = 0;
        for (j = 0; j < n; j++) {
            int c = L[i].cl == L[j].cl, e = !strcmp(L[i].event, L[j].event);
            same_cl += c;
            same_ev += e;
            both += c && e;
            if (j > i) {
                tp += c && e;
                fp += c && !e;
                fn += !c && e;
            }
        }
        bp += (double)both / (double)same_cl;
        br += (double)both / (double)same_ev;
    }
    bp /= (double)n;
    br /= (double)n;
    /* AUC over same-topic pairs */
    pairs = malloc(n * n / 2 * sizeof *pairs + sizeof *pairs);
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++) {
            dp_story_feat fa, fb;
            dp_story_pair p;
            if (L[i].topic != L[j].topic)
                continue;
            dpi_stories_feat(s, i, &fa);
            dpi_stories_feat(s, j, &fb);
            dpi_story_pair_score(dpi_stories_weights(s), &fa, &fb, &p);
            pairs[np].score = p.z;
            if (pair_only) {
                /* dp_compare's pair-only same_story instead */
                dp_comparison *cmp = NULL;
                if (dp_compare(docs[i], docs[j], NULL, &cmp))
                    return 1;
                pairs[np].score = dp_comparison_scores(cmp)->same_story;
                dp_comparison_free(cmp);
            }
            pairs[np].pos = !strcmp(L[i].event, L[j].event);
            npos += (size_t)pairs[np].pos;
            if (dump)
                printf("pair %s %s pos %d z %.3f terms %.3f names %.3f "
                       "gap %ld yb %d yo %d\n",
                       L[i].file, L[j].file, pairs[np].pos, p.z, p.terms,
                       p.names, p.day_gap, p.years_both, p.years_overlap);
            np++;
        }
    qsort(pairs, np, sizeof *pairs, sp_cmp);
    {
        double ranksum = 0, auc;
        size_t k = 0;
        while (k < np) {
            size_t e = k, q, pos = 0;
            while (e < np && pairs[e].score == pairs[k].score)
                e++;
            for (q = k; q < e; q++)
                pos += (size_t)pairs[q].pos;
            ranksum += (double)pos * ((double)(k + 1 + e) / 2.0);
            k = e;
        }
        auc = (ranksum - (double)npos * (double)(npos + 1) / 2.0) /
              ((double)npos * (double)(np - npos));
        {
            dp_stories_stats st;
            double pp = tp / (tp + fp > 0 ? tp + fp : 1),
                   pr = tp / (tp + fn > 0 ? tp + fn : 1);
            dp_stories_stats_get(s, &st);
            printf("bcubed_p %.4f bcubed_r %.4f bcubed_f1 %.4f pair_p %.4f "
                   "pair_r %.4f pair_f1 %.4f auc %.4f clusters %zu "
                   "grouped %zu candidates %zu\n",
                   bp, br, 2 * bp * br / (bp + br), pp, pr,
                   pp + pr > 0 ? 2 * pp * pr / (pp + pr) : 0, auc, st.clusters,
                   st.grouped, st.candidates);
        }
    }
    if (dump) {
        size_t c;
        for (c = 0; c < dp_stories_clusters(s); c++) {
            dp_stories_cluster cl;
            dp_stories_cluster_get(s, c, &cl);
            if (cl.n < 2)
                continue;
            printf("cluster %s n %zu:", cl.id, cl.n);
            for (i = 0; i < cl.n; i++)
                printf(" %s", L[cl.members[i]].event);
            printf("\n");
        }
    }
    free(pairs);
    for (i = 0; docs && i < n; i++)
        dp_doc_free(docs[i]);
    free(docs);
    for (i = 0; i < n; i++) {
        free(L[i].file);
        free(L[i].event);
    }
    free(L);
    dp_stories_free(s);
    return 0;
}
