/*
 * cmd_reuse.c - `doppel reuse`: every passage any two documents of a
 * corpus share, and the reuse clusters they form (one quote carried by
 * twelve documents is one cluster of twelve places, with byte offsets).
 *
 * The inputs stream through the shared corpus loop (cli_corpus_read) into
 * batches that dp_reuse_add() tokenises on all threads; bad records are
 * reported with file and line and skipped. Then one dp_reuse_run() and the
 * outputs: the readable clusters and a summary on stdout, or --json; the
 * passages and clusters as JSONL files.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel reuse [options] INPUT...\n"
    "\n"
    "Find every passage of at least --min-words words that two documents\n"
    "of a corpus share (without comparing all pairs), with byte offsets in\n"
    "both, and group the passages that travel across many documents into\n"
    "reuse clusters: one quote carried by twelve documents is one cluster\n"
    "of twelve places. INPUT: text files, directories, JSONL, CSV/TSV, .gz\n"
    "or .zst, - for stdin (as doppel dedup reads them).\n"
    "\n"
    "passages:\n"
    "  --min-words N       shortest passage, in matched words (default 8)\n"
    "  --max-gap N         unmatched words bridged inside a passage (4)\n"
    "  --min-shared N      align only pairs sharing N distinct rare 5-word\n"
    "                      n-grams (default 1: every pair that can share a\n"
    "                      passage; 2 or 3 is faster, misses short edited\n"
    "                      passages)\n"
    "  --boilerplate PCT   a cluster in more than PCT%% of the documents\n"
    "                      (and in at least 10) is boilerplate (default 20)\n"
    "  --drop-boilerplate  leave boilerplate clusters out (default: flag)\n"
    "  --ignore-same-source\n"
    "                      do not compare documents with the same source\n"
    "                      field (a publisher's own boilerplate)\n"
    "  --threads N         worker threads (default: all cores)\n"
    "\n"
    "input:\n"
    "  --id-field F        JSONL id field (default id)\n"
    "  --text-field F      JSONL text field (default text)\n"
    "  --date-field F      JSONL date field: each cluster's earliest place\n"
    "                      (default date)\n"
    "  --source-field F    JSONL source field (default source)\n"
    "  --invalid-utf8 MODE reject (default) or replace\n"
    "  --strict            stop at the first bad record (exit 3 or 4)\n"
    "\n"
    "output:\n"
    "  --json              the summary and every cluster as one JSON object\n"
    "  --passages FILE     every passage as JSONL (docs/reuse.md)\n"
    "  --clusters FILE     every cluster as JSONL (docs/reuse.md)\n"
    "  --color WHEN        auto (default), always, never\n"
    "  -q, --quiet         no progress line\n"
    "  -h, --help          show this help\n"
    "\n"
    "stdout: the clusters, largest first, then a summary (or --json).\n"
    "Exit codes: 0 done (bad records skipped and counted); 2 usage; 3 an\n"
    "input could not be read; with --strict, 3 or 4 at the first bad\n"
    "record; 5 internal. The table for every command: doppel(1).\n";

static const char synopsis[] = "doppel reuse [options] INPUT...";

enum {
    OPT_MIN_WORDS = 256,
    OPT_MAX_GAP,
    OPT_MIN_SHARED,
    OPT_BOILER,
    OPT_DROP_BOILER,
    OPT_SAME_SOURCE,
    OPT_THREADS,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_DATE_FIELD,
    OPT_SOURCE_FIELD,
    OPT_UTF8,
    OPT_STRICT,
    OPT_JSON,
    OPT_PASSAGES,
    OPT_CLUSTERS,
    OPT_COLOR
};

static const struct option options[] = {
    {"min-words", required_argument, NULL, OPT_MIN_WORDS},
    {"max-gap", required_argument, NULL, OPT_MAX_GAP},
    {"min-shared", required_argument, NULL, OPT_MIN_SHARED},
    {"boilerplate", required_argument, NULL, OPT_BOILER},
    {"drop-boilerplate", no_argument, NULL, OPT_DROP_BOILER},
    {"ignore-same-source", no_argument, NULL, OPT_SAME_SOURCE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"date-field", required_argument, NULL, OPT_DATE_FIELD},
    {"source-field", required_argument, NULL, OPT_SOURCE_FIELD},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"json", no_argument, NULL, OPT_JSON},
    {"passages", required_argument, NULL, OPT_PASSAGES},
    {"clusters", required_argument, NULL, OPT_CLUSTERS},
    {"color", required_argument, NULL, OPT_COLOR},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define BATCH_DOCS  4096
#define BATCH_BYTES ((size_t)32 << 20)
#define SHOW_BYTES  600 /* longest passage text the report prints */

/* One record waiting in the batch: offsets into the batch's bytes. */
typedef struct pending {
    size_t id, id_len, text, text_len, date, date_len, src, src_len;
    size_t where; /* its input's path, NUL-terminated */
    uint64_t line;
    int has_date, has_src;
} pending;

typedef struct run {
    dp_reuse_opts ro;
    dp_reuse *r;
    const char *source_field;
    pending *pend;
    size_t npend, pend_cap;
    char *bytes;
    size_t nbytes, bytes_cap;
    dp_reuse_doc *docs;
    dp_status *status;
    size_t docs_cap;
    cli_corpus_stats *st;
    size_t refused; /* records the library refused (no words...) */
    int strict;     /* --strict: a refused record stops the run too */
} run;

static int keep(run *u, const char *s, size_t n, size_t *off)
{
    if (cli_grow((void **)&u->bytes, &u->bytes_cap, u->nbytes + n + 1, 1))
        return -1;
    if (n)
        memcpy(u->bytes + u->nbytes, s, n);
    *off = u->nbytes;
    u->nbytes += n;
    u->bytes[u->nbytes++] = '\0';
    return 0;
}

/* Hand the batch to the library; report the records it refused. */
static int flush(run *u)
{
    size_t i;
    dp_status rc;

    if (u->npend == 0)
        return EXIT_OK;
    if (cli_grow((void **)&u->docs, &u->docs_cap, u->npend, sizeof *u->docs))
        return cli_fail("reuse", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    free(u->status);
    u->status = malloc(u->npend * sizeof *u->status);
    if (!u->status)
        return cli_fail("reuse", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    for (i = 0; i < u->npend; i++) {
        const pending *p = &u->pend[i];
        dp_reuse_doc *d = &u->docs[i];
        d->id = u->bytes + p->id;
        d->id_len = p->id_len;
        d->text = u->bytes + p->text;
        d->text_len = p->text_len;
        d->date = p->has_date ? u->bytes + p->date : NULL;
        d->date_len = p->date_len;
        d->source = p->has_src ? u->bytes + p->src : NULL;
        d->source_len = p->src_len;
    }
    rc = dp_reuse_add(u->r, u->docs, u->npend, u->status);
    if (rc)
        return cli_fail("reuse", NULL, 0, rc, NULL, 0, NULL);
    for (i = 0; i < u->npend; i++) {
        int code;
        if (u->status[i] == DP_OK)
            continue;
        code =
            cli_refused("reuse", u->bytes + u->pend[i].where, u->pend[i].line,
                        u->bytes + u->pend[i].id, u->status[i], &u->st->skips);
        u->refused++;
        if (u->strict)
            return code;
    }
    u->npend = 0;
    u->nbytes = 0;
    return EXIT_OK;
}

static int take_record(void *ctx, dp_reader *rd, const dp_record *rec,
                       uint64_t line)
{
    run *u = ctx;
    pending *p;
    const char *src = NULL, *where = dp_reader_path(rd);
    size_t slen = 0;

    if (cli_grow((void **)&u->pend, &u->pend_cap, u->npend + 1,
                 sizeof *u->pend))
        return cli_fail("reuse", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    p = &u->pend[u->npend];
    memset(p, 0, sizeof *p);
    /* kept always: the report names each place's outlet */
    src = dp_reader_field(rd, u->source_field, &slen);
    p->has_date = rec->date != NULL;
    p->has_src = src != NULL && slen > 0;
    p->id_len = rec->id_len;
    p->text_len = rec->text_len;
    p->date_len = rec->date_len;
    p->src_len = p->has_src ? slen : 0;
    p->line = line;
    if (keep(u, rec->id, rec->id_len, &p->id) ||
        keep(u, rec->text, rec->text_len, &p->text) ||
        keep(u, rec->date, rec->date_len, &p->date) ||
        keep(u, src, p->src_len, &p->src) ||
        keep(u, where ? where : "-", where ? strlen(where) : 1, &p->where))
        return cli_fail("reuse", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    u->npend++;
    if (u->npend >= BATCH_DOCS || u->nbytes >= BATCH_BYTES)
        return flush(u);
    return EXIT_OK;
}

/* Print @n bytes of passage text on one line: whitespace runs as one
 * space, cut (at a character boundary) after SHOW_BYTES. */
static void show_text(FILE *f, const char *s, size_t n)
{
    size_t i, shown = 0;
    int space = 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
            space = 1;
            continue;
        }
        if (shown >= SHOW_BYTES && (ch & 0xC0) != 0x80) {
            fputs(" [...]", f);
            return;
        }
        if (space && shown)
            fputc(' ', f), shown++;
        space = 0;
        fputc(ch, f);
        shown++;
    }
}

/* Whether two spans' texts differ other than in whitespace. */
static int differs(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < na &&
               (a[i] == ' ' || a[i] == '\n' || a[i] == '\t' || a[i] == '\r'))
            i++;
        while (j < nb &&
               (b[j] == ' ' || b[j] == '\n' || b[j] == '\t' || b[j] == '\r'))
            j++;
        if (i == na || j == nb)
            return i != na || j != nb;
        if (a[i++] != b[j++])
            return 1;
    }
}

static void show_date(FILE *f, const dp_reuse *r, uint32_t d)
{
    int64_t t;
    long long days;
    if (dp_reuse_date(r, d, &t))
        return;
    /* civil date from days since 1970 (Howard Hinnant's algorithm) */
    days = (long long)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
    {
        long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long long y = (long long)yoe + era * 400;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153, dd = doy - (153 * mp + 2) / 5 + 1;
        unsigned mm = mp < 10 ? mp + 3 : mp - 9;
        fprintf(f, "  %04lld-%02u-%02u", y + (mm <= 2), mm, dd);
    }
}

static void report_cluster(FILE *f, const dp_reuse *r, size_t c, int color)
{
    dp_reuse_cluster cl;
    const dp_reuse_member *rep;
    const char *rt, *id;
    size_t k, n;

    dp_reuse_cluster_get(r, c, &cl);
    rep = &cl.members[cl.earliest >= 0 ? cl.earliest : 0];
    rt = dp_reuse_text(r, rep->doc, &n);
    fprintf(f, "%scluster %zu%s: %zu document%s, %zu passage%s%s\n",
            color ? "\033[1m" : "", c + 1, color ? "\033[0m" : "", cl.docs,
            cli_s(cl.docs), cl.passages, cli_s(cl.passages),
            cl.boilerplate ? ", boilerplate" : "");
    fputs("  ", f);
    if (color)
        fputs("\033[36m", f);
    fputc('"', f);
    show_text(f, rt + rep->span.start, rep->span.end - rep->span.start);
    fputc('"', f);
    if (color)
        fputs("\033[0m", f);
    fputc('\n', f);
    for (k = 0; k < cl.nmembers; k++) {
        const dp_reuse_member *m = &cl.members[k];
        const char *t = dp_reuse_text(r, m->doc, &n);
        id = dp_reuse_id(r, m->doc, NULL);
        fprintf(f, "    %s%s  [%zu, %zu)  %zu words", id,
                (long)k == cl.earliest ? " (earliest)" : "", m->span.start,
                m->span.end, m->words);
        show_date(f, r, m->doc);
        fputc('\n', f);
        if (m != rep &&
            differs(t + m->span.start, m->span.end - m->span.start,
                    rt + rep->span.start, rep->span.end - rep->span.start)) {
            fputs("      here: \"", f);
            show_text(f, t + m->span.start, m->span.end - m->span.start);
            fputs("\"\n", f);
        }
    }
    fputc('\n', f);
}

static void report_summary(FILE *f, const run *u, const dp_reuse_stats *s,
                           double secs)
{
    fprintf(f,
            "%zu document%s read (%zu words), %zu candidate pair%s, %zu pair%s "
            "sharing passages, %zu passage%s of %u+ words, %zu cluster%s",
            s->docs, cli_s(s->docs), s->words, s->candidates,
            cli_s(s->candidates), s->pairs, cli_s(s->pairs), s->passages,
            cli_s(s->passages), u->ro.min_words, s->clusters,
            cli_s(s->clusters));
    if (u->ro.drop_boilerplate)
        fprintf(f, " (%zu boilerplate cluster%s dropped, %zu passages)",
                s->boilerplate, cli_s(s->boilerplate), s->dropped);
    else
        fprintf(f, " (%zu boilerplate)", s->boilerplate);
    if (u->ro.ignore_same_source)
        fprintf(f, "; %zu same-source pair%s not compared", s->same_source,
                cli_s(s->same_source));
    fprintf(f, "; %.2f s\n", secs);
    if (s->passages == 0) {
        if (s->docs < 2)
            fprintf(f,
                    "nothing found: %zu document%s read, reuse needs at "
                    "least two\n",
                    s->docs, cli_s(s->docs));
        else
            fprintf(f,
                    "nothing found: no two of the %zu documents share a "
                    "passage of %u or more words (--min-words)%s\n",
                    s->docs, u->ro.min_words,
                    s->same_source ? " between different sources" : "");
    }
}

/* Write every passage (or cluster) as JSONL to @path ("-": stdout). */
static int write_jsonl(const dp_reuse *r, const char *path, int clusters)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    size_t i, n = clusters ? dp_reuse_clusters(r) : dp_reuse_passages(r);
    int bad = 0;
    if (!f) {
        cli_msg("reuse", path, 0, "cannot write: %s", strerror(errno));
        return EXIT_FILE;
    }
    for (i = 0; i < n && !bad; i++) {
        char *j = NULL;
        size_t len;
        dp_status rc = clusters ? dp_reuse_cluster_json(r, i, &j, &len)
                                : dp_reuse_passage_json(r, i, &j, &len);
        if (rc) {
            if (f != stdout)
                fclose(f);
            return cli_fail("reuse", NULL, 0, rc, NULL, 0, NULL);
        }
        bad |= fwrite(j, 1, len, f) != len || fputc('\n', f) == EOF;
        dp_free(j);
    }
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad) {
        cli_msg("reuse", path, 0, "write failed: %s", strerror(errno));
        return EXIT_FILE;
    }
    return EXIT_OK;
}

/* The outputs of a finished run. */
static int outputs(run *u, int json, const char *passages, const char *clusters,
                   int color, double t0)
{
    dp_reuse_stats s;
    size_t c;
    int ex = EXIT_OK;

    dp_reuse_stats_get(u->r, &s);
    if (passages && (ex = write_jsonl(u->r, passages, 0)))
        return ex;
    if (clusters && (ex = write_jsonl(u->r, clusters, 1)))
        return ex;
    if (json) {
        char *j = NULL;
        size_t len;
        dp_status rc = dp_reuse_summary_json(u->r, 1, &j, &len);
        if (rc)
            return cli_fail("reuse", NULL, 0, rc, NULL, 0, NULL);
        fwrite(j, 1, len, stdout);
        fputc('\n', stdout);
        dp_free(j);
        return EXIT_OK;
    }
    if ((passages && !strcmp(passages, "-")) ||
        (clusters && !strcmp(clusters, "-"))) {
        report_summary(stderr, u, &s, cli_now() - t0);
        return EXIT_OK;
    }
    for (c = 0; c < dp_reuse_clusters(u->r); c++)
        report_cluster(stdout, u->r, c, color);
    report_summary(stdout, u, &s, cli_now() - t0);
    return EXIT_OK;
}

/* Long because it is the option parser: one case per option. */
int cmd_reuse(int argc, char **argv)
{
    run u;
    cli_corpus_opts o;
    cli_corpus_stats st;
    cli_color cmode = COLOR_AUTO;
    const char *passages = NULL, *clusters = NULL;
    unsigned long v;
    double pct, t0 = cli_now();
    int c, json = 0, quiet = 0, ex;
    dp_status rc;
    char why[256];

    memset(&u, 0, sizeof u);
    dp_reuse_opts_init(&u.ro);
    cli_corpus_opts_init(&o);
    u.source_field = "source";
    argv[0] = (char *)"doppel reuse";
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", options, NULL)) != -1) {
        switch (c) {
        case OPT_MIN_WORDS:
            if (cli_parse_uint(optarg, 100000, &v) || v < 2)
                return cli_bad_value("reuse", "min-words", optarg);
            u.ro.min_words = (unsigned)v;
            break;
        case OPT_MAX_GAP:
            if (cli_parse_uint(optarg, 64, &v))
                return cli_bad_value("reuse", "max-gap", optarg);
            u.ro.max_gap = (unsigned)v;
            break;
        case OPT_MIN_SHARED:
            if (cli_parse_uint(optarg, 1000000, &v) || v < 1)
                return cli_bad_value("reuse", "min-shared", optarg);
            u.ro.min_shared = (unsigned)v;
            break;
        case OPT_BOILER:
            if (cli_parse_double(optarg, 0, 100, &pct))
                return cli_bad_value("reuse", "boilerplate", optarg);
            u.ro.boilerplate = pct;
            break;
        case OPT_DROP_BOILER: u.ro.drop_boilerplate = 1; break;
        case OPT_SAME_SOURCE: u.ro.ignore_same_source = 1; break;
        case OPT_THREADS:
            if (cli_parse_uint(optarg, 256, &v))
                return cli_bad_value("reuse", "threads", optarg);
            u.ro.threads = (unsigned)v;
            break;
        case OPT_ID_FIELD: o.reader.id_field = optarg; break;
        case OPT_TEXT_FIELD: o.reader.text_field = optarg; break;
        case OPT_DATE_FIELD: o.reader.date_field = optarg; break;
        case OPT_SOURCE_FIELD: u.source_field = optarg; break;
        case OPT_UTF8:
            if (cli_parse_utf8(optarg, &o.reader.utf8))
                return cli_bad_value("reuse", "invalid-utf8", optarg);
            u.ro.text.utf8 = o.reader.utf8;
            break;
        case OPT_STRICT: o.strict = u.strict = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_PASSAGES: passages = optarg; break;
        case OPT_CLUSTERS: clusters = optarg; break;
        case OPT_COLOR:
            if (cli_color_parse(optarg, &cmode))
                return cli_bad_value("reuse", "color", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cli_try_help("reuse"); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("reuse", synopsis, "no input given");
    if (!*u.source_field)
        return cli_bad_value("reuse", "source-field", u.source_field);
    o.progress = !quiet && cli_use_color(COLOR_AUTO, stderr);
    /* JSON parsing (jansson) runs ahead on the reader's own threads while
     * the previous batch is being tokenised. */
    o.reader.threads =
        u.ro.threads ? u.ro.threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (o.reader.threads > 64)
        o.reader.threads = 64;
    if ((rc = dp_reuse_create(&u.ro, &u.r)))
        return cli_fail("reuse", NULL, 0, rc, NULL, 0, NULL);
    u.st = &st;
    ex = cli_corpus_read("reuse", argv + optind, (size_t)(argc - optind), &o,
                         take_record, &u, &st);
    if (ex == EXIT_OK)
        ex = flush(&u);
    if (ex == EXIT_OK) {
        if (o.progress)
            fputs("doppel reuse: finding passages...\r", stderr);
        if ((rc = dp_reuse_run(u.r)))
            ex = cli_fail("reuse", NULL, 0, rc, NULL, 0, NULL);
        if (o.progress)
            fputs("\033[K", stderr);
    }
    if (ex == EXIT_OK)
        ex = outputs(&u, json, passages, clusters, cli_use_color(cmode, stdout),
                     t0);
    if (ex == EXIT_OK && cli_skipped_total(&st.skips)) {
        cli_skips_line(&st.skips, why, sizeof why);
        cli_msg("reuse", NULL, 0, "%zu record%s skipped %s",
                cli_skipped_total(&st.skips),
                cli_s(cli_skipped_total(&st.skips)), why);
        fputs(cli_skips_hint(&st.skips), stderr);
    }
    dp_reuse_free(u.r);
    free(u.pend);
    free(u.bytes);
    free(u.docs);
    free(u.status);
    return cli_corpus_exit(ex, &st);
}
