/*
 * cmd_stories.c - `doppel stories`: group a corpus into same-story
 * clusters (copied or rewritten reports of one event; two events of one
 * kind stay apart), each with a stable id, its members' sources, dates
 * and titles, and its primary article.
 *
 * The inputs stream through the shared corpus loop (cli_corpus_read) into
 * batches that dp_stories_add() turns into features on all threads; bad
 * records are reported with PATH:LINE and skipped. Then one
 * dp_stories_run() and the outputs: the readable report (stdout), --json,
 * --clusters JSONL, --explain. One cluster is printed by one function per
 * format (print_cluster_text, print_cluster_json), with the merged story
 * of the cluster (dp_story_merge, report_story_text / dp_story_json).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel stories [options] INPUT...\n"
    "\n"
    "Group the documents of a corpus into same-story clusters: reports of\n"
    "one event, copied or rewritten, while two events of one kind (two\n"
    "earthquakes, two arrests years apart) stay apart. INPUT: text files,\n"
    "directories, JSONL, CSV/TSV (as dedup), .gz/.zst, or - for stdin.\n"
    "JSONL/CSV fields 'source' and 'title' are shown when present.\n"
    "\n"
    "  --threshold T       least average same-story score between two\n"
    "                      groups for them to merge (default 0.15, the\n"
    "                      calibrated cut; higher is stricter)\n"
    "  --link-min S        a document joins a story only when one of its\n"
    "                      pairs scores S or more (default 0.30; 0: off)\n"
    "  --idf FILE          background term statistics (doppel idf build)\n"
    "                      added to the corpus's own counts\n"
    "  --min-size N        report only clusters of N or more (default 1:\n"
    "                      singletons too)\n"
    "  --threads N         worker threads (default: all cores)\n"
    "  --id-field F        JSONL id field (default id)\n"
    "  --text-field F      JSONL text field (default text)\n"
    "  --date-field F      JSONL date field (default date)\n"
    "  --invalid-utf8 MODE reject (default) or replace\n"
    "  --strict            stop at the first bad record (exit 3 or 4)\n"
    "  --clusters FILE     clusters as JSONL, one per line (- for stdout)\n"
    "  --json              the result as one JSON object on stdout\n"
    "  --explain ID1 ID2   why two documents are or are not one story\n"
    "  --no-story          no merged story per cluster (the text report and\n"
    "                      --json show one for clusters of 2 to 50; never\n"
    "                      in --clusters)\n"
    "  --color WHEN        auto (default: on a terminal), always, never\n"
    "  --progress WHEN     auto (default: on a terminal), always, never\n"
    "  -q, --quiet         no progress line\n"
    "  -h, --help          show this help\n"
    "\n"
    "A later record with an id already read is reported and skipped.\n"
    "Exit codes: 0 done (bad records skipped and counted); 1 --explain id\n"
    "not found; 2 usage; 3 an input could not be read; 4 with --strict, a\n"
    "bad record; 5 internal. Scores and calibration: docs/stories.md.\n";

static const char synopsis[] = "doppel stories [options] INPUT...";

enum {
    OPT_THRESHOLD = 256,
    OPT_LINK_MIN,
    OPT_IDF,
    OPT_MIN_SIZE,
    OPT_THREADS,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_DATE_FIELD,
    OPT_UTF8,
    OPT_STRICT,
    OPT_CLUSTERS,
    OPT_JSON,
    OPT_EXPLAIN,
    OPT_COLOR,
    OPT_PROGRESS,
    OPT_NO_STORY
};

static const struct option options[] = {
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"link-min", required_argument, NULL, OPT_LINK_MIN},
    {"idf", required_argument, NULL, OPT_IDF},
    {"min-size", required_argument, NULL, OPT_MIN_SIZE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"date-field", required_argument, NULL, OPT_DATE_FIELD},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"clusters", required_argument, NULL, OPT_CLUSTERS},
    {"json", no_argument, NULL, OPT_JSON},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"no-story", no_argument, NULL, OPT_NO_STORY},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define BATCH_DOCS  4096
#define BATCH_BYTES ((size_t)32 << 20)

/* Field offsets of one batch entry inside the batch arena. */
enum { B_ID = 0, B_TEXT, B_DATE, B_SOURCE, B_TITLE, B_PATH, B_NF };

typedef struct run {
    dp_stories *s;
    int strict;
    /* the current batch: copies of the records */
    size_t off[BATCH_DOCS][B_NF]; /* SIZE_MAX: absent */
    size_t len[BATCH_DOCS][B_NF];
    uint64_t line[BATCH_DOCS];
    size_t nbatch;
    char *arena;
    size_t arena_len, arena_cap;
    dp_stories_doc docs[BATCH_DOCS];
    dp_status status[BATCH_DOCS];
    cli_skips refused; /* documents the library refused (no words...) */
} run;

static size_t put(run *r, const char *p, size_t n)
{
    size_t off = r->arena_len;
    memcpy(r->arena + off, p, n);
    r->arena[off + n] = '\0';
    r->arena_len += n + 1;
    return off;
}

static int flush(run *r)
{
    size_t i;
    dp_status rc;
    if (r->nbatch == 0)
        return EXIT_OK;
    for (i = 0; i < r->nbatch; i++) {
        dp_stories_doc *d = &r->docs[i];
        const char *p[B_NF];
        int f;
        for (f = 0; f < B_NF; f++)
            p[f] = r->off[i][f] == SIZE_MAX ? NULL : r->arena + r->off[i][f];
        d->id = p[B_ID];
        d->id_len = r->len[i][B_ID];
        d->text = p[B_TEXT];
        d->text_len = r->len[i][B_TEXT];
        d->date = p[B_DATE];
        d->date_len = r->len[i][B_DATE];
        d->source = p[B_SOURCE];
        d->source_len = r->len[i][B_SOURCE];
        d->title = p[B_TITLE];
        d->title_len = r->len[i][B_TITLE];
    }
    rc = dp_stories_add(r->s, r->docs, r->nbatch, r->status);
    if (rc)
        return cli_fail("stories", NULL, 0, rc, NULL, 0, NULL);
    for (i = 0; i < r->nbatch; i++) {
        const char *path = r->arena + r->off[i][B_PATH];
        int code;
        if (r->status[i] == DP_OK)
            continue;
        code = cli_refused("stories", path, r->line[i], r->docs[i].id,
                           r->status[i], &r->refused);
        if (r->strict)
            return code;
    }
    r->nbatch = 0;
    r->arena_len = 0;
    return EXIT_OK;
}

static int on_record(void *ctx, dp_reader *rd, const dp_record *rec,
                     uint64_t line)
{
    run *r = ctx;
    size_t slen = 0, tlen = 0, need, k;
    const char *src = dp_reader_field(rd, "source", &slen);
    const char *title = dp_reader_field(rd, "title", &tlen);
    const char *path = rec->source ? rec->source : "-";
    int ex;

    need = rec->id_len + rec->text_len + rec->date_len + slen + tlen +
           strlen(path) + B_NF;
    if (r->nbatch == BATCH_DOCS ||
        (r->nbatch && r->arena_len + need > BATCH_BYTES))
        if ((ex = flush(r)))
            return ex;
    if (cli_grow((void **)&r->arena, &r->arena_cap, r->arena_len + need, 1))
        return cli_fail("stories", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    k = r->nbatch;
    r->off[k][B_ID] = put(r, rec->id, rec->id_len);
    r->len[k][B_ID] = rec->id_len;
    r->off[k][B_TEXT] = put(r, rec->text, rec->text_len);
    r->len[k][B_TEXT] = rec->text_len;
    r->off[k][B_DATE] = rec->date ? put(r, rec->date, rec->date_len) : SIZE_MAX;
    r->len[k][B_DATE] = rec->date_len;
    r->off[k][B_SOURCE] = src ? put(r, src, slen) : SIZE_MAX;
    r->len[k][B_SOURCE] = slen;
    r->off[k][B_TITLE] = title ? put(r, title, tlen) : SIZE_MAX;
    r->len[k][B_TITLE] = tlen;
    r->off[k][B_PATH] = put(r, path, strlen(path));
    r->len[k][B_PATH] = strlen(path);
    r->line[k] = line;
    r->nbatch++;
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Output                                                             */
/* ------------------------------------------------------------------ */

typedef struct style {
    const char *bold, *dim, *hi, *off;
} style;

static void day_str(int32_t day, char *buf, size_t size)
{
    /* padded, so the columns line up */
    char d[16];
    dp_date_format(day, d, sizeof d);
    snprintf(buf, size, "%-10s", d);
}

/* The merged story of cluster @c (dp_story_merge over its members, the
 * primary first), or NULL for a singleton, above STORY_MAX members, or
 * when it cannot be built (a note on stderr). Free the documents in
 * @docs (cl.n entries, allocated here) with free_docs(). */
#define STORY_MAX 50

typedef struct merged {
    dp_story *story;
    dp_doc **docs;
    size_t n;
} merged;

static void merged_free(merged *m)
{
    size_t i;
    dp_story_free(m->story);
    for (i = 0; m->docs && i < m->n; i++)
        dp_doc_free(m->docs[i]);
    free(m->docs);
    memset(m, 0, sizeof *m);
}

static void merge_cluster(const dp_stories *s, size_t c,
                          const dp_text_opts *text, merged *out)
{
    dp_stories_cluster cl;
    dp_story_member *mem = NULL;
    size_t i;
    dp_status rc = DP_OK;

    memset(out, 0, sizeof *out);
    if (dp_stories_cluster_get(s, c, &cl) || cl.n < 2 || cl.n > STORY_MAX)
        return;
    out->docs = calloc(cl.n, sizeof *out->docs);
    mem = calloc(cl.n, sizeof *mem);
    if (!out->docs || !mem) {
        rc = DP_ENOMEM;
        goto done;
    }
    out->n = cl.n;
    for (i = 0; i < cl.n && !rc; i++) {
        dp_stories_doc d;
        dp_stories_doc_get(s, cl.members[i], &d);
        rc = dp_doc_create(d.text, d.text_len, text, &out->docs[i], NULL);
        mem[i].doc = out->docs[i];
        mem[i].id = d.id;
        mem[i].source = d.source;
        mem[i].date = d.date;
        mem[i].title = d.title;
    }
    if (!rc)
        rc = dp_story_merge(mem, cl.n, 0, NULL, &out->story);
done:
    if (rc) {
        cli_msg("stories", NULL, 0, "story %s: no merged story: %s", cl.id,
                dp_strerror(rc));
        merged_free(out);
    }
    free(mem);
}

/* One cluster, readable: its id and size, then one line per member
 * (primary marked) with date, id, source and title, then its merged
 * story when @text is given. */
static void print_cluster_text(FILE *f, const dp_stories *s, size_t c,
                               const style *st, const dp_text_opts *text,
                               int color)
{
    dp_stories_cluster cl;
    size_t i;
    if (dp_stories_cluster_get(s, c, &cl))
        return;
    if (cl.n == 1)
        fprintf(f, "%sstory %s%s  (1 document, no other report)\n", st->bold,
                cl.id, st->off);
    else
        fprintf(f, "%sstory %s%s  (%zu documents, cohesion %.2f)\n", st->bold,
                cl.id, st->off, cl.n, cl.cohesion < 0 ? 0.0 : cl.cohesion);
    for (i = 0; i < cl.n; i++) {
        dp_stories_doc d;
        char day[16];
        if (dp_stories_doc_get(s, cl.members[i], &d))
            continue;
        day_str(dp_stories_day(s, cl.members[i]), day, sizeof day);
        fprintf(f, "  %s %s%s%s  %s%s%s", i == 0 ? "*" : " ", st->dim, day,
                st->off, st->hi, d.id, st->off);
        if (d.source && strcmp(d.source, d.id) != 0)
            fprintf(f, "  [%s]", d.source);
        if (d.title)
            fprintf(f, "  %s%s%s", st->dim, d.title, st->off);
        fputc('\n', f);
    }
    if (text) {
        merged m;
        merge_cluster(s, c, text, &m);
        if (m.story) {
            fputc('\n', f);
            report_story_text(f, m.story, color);
        }
        merged_free(&m);
    }
}

/* One cluster as JSON (dp_stories_cluster_json), no newline; with @text,
 * its merged story (dp_story_json) as a "story" member (null for a
 * singleton or above STORY_MAX members). */
static int print_cluster_json(FILE *f, const dp_stories *s, size_t c,
                              const dp_text_opts *text)
{
    char *js = NULL, *sj = NULL;
    size_t len = 0;
    dp_status rc = dp_stories_cluster_json(s, c, &js, &len);
    merged m;
    if (rc)
        return cli_fail("stories", NULL, 0, rc, NULL, 0, NULL);
    if (!text || len < 2) {
        fputs(js, f);
        dp_free(js);
        return EXIT_OK;
    }
    merge_cluster(s, c, text, &m);
    if (m.story && (rc = dp_story_json(m.story, &sj, NULL))) {
        merged_free(&m);
        dp_free(js);
        return cli_fail("stories", NULL, 0, rc, NULL, 0, NULL);
    }
    /* the cluster object, less its closing brace, then the story */
    fwrite(js, 1, len - 1, f);
    fprintf(f, ",\"story\":%s}", sj ? sj : "null");
    dp_free(sj);
    dp_free(js);
    merged_free(&m);
    return EXIT_OK;
}

static int explain(const dp_stories *s, char *const ids[2], int json)
{
    long i = dp_stories_find(s, ids[0], strlen(ids[0]));
    long j = dp_stories_find(s, ids[1], strlen(ids[1]));
    dp_stories_evidence ev;
    dp_status rc;
    if (i < 0 || j < 0) {
        cli_msg("stories", NULL, 0, "--explain: no document with id '%s'",
                i < 0 ? ids[0] : ids[1]);
        return EXIT_NOTFOUND;
    }
    if ((rc = dp_stories_explain(s, (size_t)i, (size_t)j, &ev)))
        return cli_fail("stories", NULL, 0, rc, NULL, 0, NULL);
    if (json) {
        char *js = NULL;
        if ((rc = dp_stories_evidence_json(s, (size_t)i, (size_t)j, &ev, &js,
                                           NULL)))
            return cli_fail("stories", NULL, 0, rc, NULL, 0, NULL);
        puts(js);
        dp_free(js);
        return EXIT_OK;
    }
    printf("%s and %s: %s\n", ids[0], ids[1],
           ev.grouped ? "one story" : "different stories");
    printf("  why:            %s\n", ev.reason);
    printf("  score           %.3f (threshold %.2f)\n", ev.score, ev.threshold);
    printf("  terms           %.3f (%zu shared content terms)\n", ev.terms,
           ev.shared_terms);
    printf("  passages        %zu shared verbatim (%zu words); containment "
           "%.2f / %.2f\n",
           ev.passages, ev.passage_words, ev.containment[0], ev.containment[1]);
    if (ev.passages) {
        dp_stories_doc a;
        dp_stories_doc_get(s, (size_t)i, &a);
        printf("  longest         [%zu, %zu) / [%zu, %zu): \"",
               ev.longest[0].start, ev.longest[0].end, ev.longest[1].start,
               ev.longest[1].end);
        cli_put_excerpt(stdout, a.text, ev.longest[0], 200);
        printf("\"\n");
    }
    printf("  names           %.3f (%zu shared)%s%s\n", ev.names,
           ev.shared_names, ev.names_text[0] ? ": " : "", ev.names_text);
    printf("  numbers         %.3f (%zu shared)%s%s\n", ev.numbers,
           ev.shared_numbers, ev.numbers_text[0] ? ": " : "", ev.numbers_text);
    if (ev.dates_text[0])
        printf("  dates           %s%s\n", ev.dates_text,
               ev.day_gap >= 0 ? "" : " (only one dated)");
    if (ev.day_gap >= 0)
        printf("  days apart      %ld\n", ev.day_gap);
    if (ev.years_disjoint)
        printf("  years           the years they mention do not overlap\n");
    printf("  compared        %s\n",
           ev.candidate ? "yes (a candidate pair)"
                        : "no (too few specific terms in common)");
    return EXIT_OK;
}

/* Why nothing was grouped, or the closest pair left apart. */
static void summary_text(FILE *f, const dp_stories *s, double threshold,
                         size_t shown, size_t min_size,
                         const cli_corpus_stats *cs, const cli_skips *refused,
                         double secs)
{
    dp_stories_stats st;
    char why[256];
    size_t skipped = cli_skipped_total(&cs->skips) + cli_skipped_total(refused);
    dp_stories_stats_get(s, &st);
    fprintf(f,
            "%zu document%s, %zu stor%s: %zu with two or more documents "
            "(%zu documents), %zu single%s; %zu shown (--min-size %zu); "
            "threshold %.2f; %zu candidate pair%s; %.2f s\n",
            st.docs, cli_s(st.docs), st.clusters,
            st.clusters == 1 ? "y" : "ies", st.grouped, st.in_groups,
            st.clusters - st.grouped, st.clusters - st.grouped == 1 ? "" : "s",
            shown, min_size, threshold, st.candidates, cli_s(st.candidates),
            secs);
    if (st.best_a >= 0) {
        dp_stories_doc a, b;
        dp_stories_doc_get(s, (size_t)st.best_a, &a);
        dp_stories_doc_get(s, (size_t)st.best_b, &b);
        fprintf(f,
                "%s: %s and %s, score %.3f (threshold %.2f; --explain shows "
                "the evidence)\n",
                st.grouped ? "closest pair left apart"
                           : "nothing grouped; the closest pair",
                a.id, b.id, st.best_score, threshold);
    } else if (!st.grouped && st.docs > 1)
        fprintf(f, "nothing grouped: no two documents share enough specific "
                   "terms (names, numbers, rare words) to be compared\n");
    if (skipped) {
        cli_skips all = cs->skips;
        all.empty += refused->empty;
        all.utf8 += refused->utf8;
        all.binary += refused->binary;
        all.toobig += refused->toobig;
        all.other += refused->other;
        cli_skips_line(&all, why, sizeof why);
        fprintf(f, "%zu record%s skipped%s\n", skipped, cli_s(skipped), why);
    }
}

static int write_clusters(const char *path, const dp_stories *s,
                          size_t min_size)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    size_t c;
    int ex = EXIT_OK;
    if (!f) {
        cli_msg("stories", path, 0, "cannot write: %s", strerror(errno));
        return EXIT_FILE;
    }
    for (c = 0; c < dp_stories_clusters(s) && !ex; c++) {
        dp_stories_cluster cl;
        dp_stories_cluster_get(s, c, &cl);
        if (cl.n < min_size)
            continue;
        ex = print_cluster_json(f, s, c, NULL);
        fputc('\n', f);
    }
    if (f != stdout && fclose(f) != 0 && !ex) {
        cli_msg("stories", path, 0, "cannot write: %s", strerror(errno));
        ex = EXIT_FILE;
    }
    return ex;
}

static int print_json(const dp_stories *s, double threshold, size_t min_size,
                      const cli_corpus_stats *cs, const cli_skips *refused,
                      const dp_text_opts *text)
{
    dp_stories_stats st;
    size_t c, shown = 0;
    int ex = EXIT_OK;
    dp_stories_stats_get(s, &st);
    printf("{\"threshold\":%.4g,\"min_size\":%zu,\"documents\":%zu,"
           "\"skipped\":%zu,\"candidates\":%zu,\"stories\":%zu,"
           "\"grouped\":%zu,\"in_groups\":%zu,\"memory\":%zu,"
           "\"closest_apart\":",
           threshold, min_size, st.docs,
           cli_skipped_total(&cs->skips) + cli_skipped_total(refused),
           st.candidates, st.clusters, st.grouped, st.in_groups, st.memory);
    if (st.best_a >= 0) {
        /* the closest pair left apart, with its evidence */
        dp_stories_evidence ev;
        char *js = NULL;
        if (dp_stories_explain(s, (size_t)st.best_a, (size_t)st.best_b, &ev) ==
                DP_OK &&
            dp_stories_evidence_json(s, (size_t)st.best_a, (size_t)st.best_b,
                                     &ev, &js, NULL) == DP_OK) {
            fputs(js, stdout);
            dp_free(js);
        } else
            fputs("null", stdout);
    } else
        fputs("null", stdout);
    fputs(",\"clusters\":[", stdout);
    for (c = 0; c < dp_stories_clusters(s) && !ex; c++) {
        dp_stories_cluster cl;
        dp_stories_cluster_get(s, c, &cl);
        if (cl.n < min_size)
            continue;
        if (shown++)
            fputc(',', stdout);
        ex = print_cluster_json(stdout, s, c, text);
    }
    fputs("]}\n", stdout);
    return ex;
}

/* Long because it is the command: options, the read, the run, and the
 * choice of outputs. */
int cmd_stories(int argc, char **argv)
{
    cli_corpus_opts o;
    cli_corpus_stats cs;
    dp_stories_opts so;
    run *r = NULL;
    dp_idf *idf = NULL;
    const char *idf_path = NULL, *clusters_path = NULL;
    char *explain_ids[2] = {NULL, NULL};
    int c, json = 0, quiet = 0, ex = EXIT_OK, progress = -1, use_color;
    int story = 1;
    cli_color color = COLOR_AUTO, prog = COLOR_AUTO;
    unsigned long ul;
    size_t min_size = 1, shown = 0, k;
    double t0 = cli_now();
    dp_status rc;
    style st = {"", "", "", ""};

    cli_corpus_opts_init(&o);
    o.unique_ids = 1;
    dp_stories_opts_init(&so);
    argv[0] = (char *)"doppel stories";
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", options, NULL)) != -1) {
        switch (c) {
        case OPT_THRESHOLD:
            if (cli_parse_double(optarg, 1e-9, 1 - 1e-9, &so.threshold))
                return cli_bad_value("stories", "threshold", optarg);
            break;
        case OPT_LINK_MIN:
            if (cli_parse_double(optarg, 0, 1 - 1e-9, &so.link_min))
                return cli_bad_value("stories", "link-min", optarg);
            break;
        case OPT_IDF: idf_path = optarg; break;
        case OPT_MIN_SIZE:
            if (cli_parse_uint(optarg, 1u << 31, &ul) || ul == 0)
                return cli_bad_value("stories", "min-size", optarg);
            min_size = ul;
            break;
        case OPT_THREADS:
            if (cli_parse_uint(optarg, 256, &ul))
                return cli_bad_value("stories", "threads", optarg);
            so.threads = (unsigned)ul;
            break;
        case OPT_ID_FIELD: o.reader.id_field = optarg; break;
        case OPT_TEXT_FIELD: o.reader.text_field = optarg; break;
        case OPT_DATE_FIELD: o.reader.date_field = optarg; break;
        case OPT_UTF8:
            if (cli_parse_utf8(optarg, &o.reader.utf8))
                return cli_bad_value("stories", "invalid-utf8", optarg);
            so.text.utf8 = o.reader.utf8;
            break;
        case OPT_STRICT: o.strict = 1; break;
        case OPT_CLUSTERS: clusters_path = optarg; break;
        case OPT_JSON: json = 1; break;
        case OPT_EXPLAIN:
            if (optind >= argc)
                return cli_usage_error("stories", synopsis,
                                       "--explain needs two ids");
            explain_ids[0] = optarg;
            explain_ids[1] = argv[optind++];
            break;
        case OPT_COLOR:
            if (cli_color_parse(optarg, &color))
                return cli_bad_value("stories", "color", optarg);
            break;
        case OPT_PROGRESS:
            if (cli_color_parse(optarg, &prog))
                return cli_bad_value("stories", "progress", optarg);
            progress = prog == COLOR_ALWAYS ? 1 : prog == COLOR_NEVER ? 0 : -1;
            break;
        case OPT_NO_STORY: story = 0; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cli_try_help("stories"); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("stories", synopsis, "no input given");
    if (idf_path) {
        dp_error err;
        memset(&err, 0, sizeof err);
        if ((rc = dp_idf_read(idf_path, &idf, &err)))
            return cli_fail("stories", idf_path, 0, rc, &err, 1, NULL);
        so.idf = idf;
    }
    o.progress = quiet           ? 0
                 : progress >= 0 ? progress
                                 : cli_use_color(COLOR_AUTO, stderr);
    use_color = cli_use_color(color, stdout);
    if (use_color) {
        st.bold = "\033[1m";
        st.dim = "\033[2m";
        st.hi = "\033[36m";
        st.off = "\033[0m";
    }
    r = calloc(1, sizeof *r);
    if (!r || (rc = dp_stories_create(&so, &r->s))) {
        free(r);
        dp_idf_free(idf);
        return cli_fail("stories", NULL, 0, r ? rc : DP_ENOMEM, NULL, 0, NULL);
    }
    r->strict = o.strict;
    ex = cli_corpus_read("stories", argv + optind, (size_t)(argc - optind), &o,
                         on_record, r, &cs);
    if (!ex)
        ex = flush(r);
    if (!ex && (rc = dp_stories_run(r->s)))
        ex = cli_fail("stories", NULL, 0, rc, NULL, 0, NULL);
    if (!ex && explain_ids[0])
        ex = explain(r->s, explain_ids, json);
    else if (!ex) {
        if (clusters_path)
            ex = write_clusters(clusters_path, r->s, min_size);
        if (!ex && json)
            ex = print_json(r->s, so.threshold, min_size, &cs, &r->refused,
                            story ? &so.text : NULL);
        else if (!ex && !clusters_path) {
            for (k = 0; k < dp_stories_clusters(r->s); k++) {
                dp_stories_cluster cl;
                dp_stories_cluster_get(r->s, k, &cl);
                if (cl.n < min_size)
                    continue;
                print_cluster_text(stdout, r->s, k, &st,
                                   story ? &so.text : NULL, use_color);
                fputc('\n', stdout);
                shown++;
            }
            summary_text(stdout, r->s, so.threshold, shown, min_size, &cs,
                         &r->refused, cli_now() - t0);
        } else if (!ex && !quiet) {
            for (k = 0; k < dp_stories_clusters(r->s); k++) {
                dp_stories_cluster cl;
                dp_stories_cluster_get(r->s, k, &cl);
                shown += cl.n >= min_size;
            }
            summary_text(stderr, r->s, so.threshold, shown, min_size, &cs,
                         &r->refused, cli_now() - t0);
        }
    }
    fputs(cli_skips_hint(&cs.skips), stderr);
    dp_stories_free(r->s);
    free(r->arena);
    free(r);
    dp_idf_free(idf);
    return cli_corpus_exit(ex, &cs);
}
