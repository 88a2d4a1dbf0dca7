/*
 * main.c - the doppel command: dispatches to one subcommand, and holds the
 * helpers every subcommand shares (input loading, colour, numbers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel <command> [options] [args]\n"
    "\n"
    "Find documents that tell the same story, their near-duplicates, and the\n"
    "exact passages they share.\n"
    "\n"
    "commands:\n"
    "  compare A B   scores, shared passages with byte offsets in both, and\n"
    "                a sentence-by-sentence story diff of two documents\n"
    "  dedup INPUT.. near-duplicate groups of a corpus (MinHash + LSH,\n"
    "                verified, clustered) and what to keep\n"
    "  stories INPUT.. same-story clusters of a corpus: reports of one\n"
    "                event, copied or rewritten, with sources and dates\n"
    "  index CMD DB  a persistent, crash-safe index: create, add, remove,\n"
    "                get, query, list, stats, check, compact\n"
    "  serve DB      the index over HTTP/JSON (docs/api.md)\n"
    "  idf build|show  background term statistics: how many documents of a\n"
    "                corpus hold each term, for compare/stories --idf\n"
    "  reuse INPUT.. every passage two documents of a corpus share, with\n"
    "                offsets, grouped into reuse clusters\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (or `doppel <command> --help`)\n"
    "  -V, --version  print the version\n"
    "\n"
    "exit codes (every command): 0 ok; 1 no such id; 2 usage; 3 an input\n"
    "or the index cannot be read or written; 4 an input is not usable text\n"
    "or the index is damaged; 5 internal error. See doppel(1), docs/cli.md.\n";

int cli_color_parse(const char *s, cli_color *out)
{
    if (strcmp(s, "auto") == 0)
        *out = COLOR_AUTO;
    else if (strcmp(s, "always") == 0)
        *out = COLOR_ALWAYS;
    else if (strcmp(s, "never") == 0)
        *out = COLOR_NEVER;
    else
        return -1;
    return 0;
}

int cli_use_color(cli_color mode, FILE *f)
{
    const char *nc;
    if (mode != COLOR_AUTO)
        return mode == COLOR_ALWAYS;
    nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    return isatty(fileno(f));
}

int cli_check_language(const char *cmd, const char *lang)
{
    const char *const *l = dp_stem_languages();
    size_t i;
    for (i = 0; l[i]; i++)
        if (strcmp(l[i], lang) == 0)
            return EXIT_OK;
    fprintf(stderr,
            "doppel %s: unknown language '%s' for --language; there are:", cmd,
            lang);
    for (i = 0; l[i]; i++)
        fprintf(stderr, "%s %s", i ? "," : "", l[i]);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

int cli_bad_value(const char *cmd, const char *opt, const char *val)
{
    fprintf(stderr, "doppel %s: invalid value '%s' for --%s\n", cmd, val, opt);
    return EXIT_USAGE;
}

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;
    if (!s || !*s)
        return -1;
    v = strtod(s, &end);
    if (*end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

size_t cli_skipped_total(const cli_skips *s)
{
    return s->json + s->field + s->utf8 + s->binary + s->empty + s->toobig +
           s->io + s->compress + s->other + s->dupid;
}

int cli_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 1024;
    void *q;
    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cli_parse_utf8(const char *s, dp_utf8_mode *out)
{
    if (strcmp(s, "reject") == 0)
        *out = DP_UTF8_REJECT;
    else if (strcmp(s, "replace") == 0)
        *out = DP_UTF8_REPLACE;
    else
        return -1;
    return 0;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

void cli_skip_count(cli_skips *s, dp_status st)
{
    switch (st) {
    case DP_EJSON: s->json++; break;
    case DP_EFIELD: s->field++; break;
    case DP_EUTF8: s->utf8++; break;
    case DP_EBINARY: s->binary++; break;
    case DP_EEMPTY: s->empty++; break;
    case DP_ETOOBIG: s->toobig++; break;
    case DP_ECOMPRESS: s->compress++; break;
    case DP_EIO:
    case DP_ENOENT:
    case DP_EACCES:
    case DP_EISDIR: s->io++; break;
    default: s->other++; break;
    }
}

void cli_skips_add(cli_skips *to, const cli_skips *from)
{
    to->json += from->json;
    to->field += from->field;
    to->utf8 += from->utf8;
    to->binary += from->binary;
    to->empty += from->empty;
    to->toobig += from->toobig;
    to->io += from->io;
    to->compress += from->compress;
    to->other += from->other;
    to->dupid += from->dupid;
}

void cli_skips_line(const cli_skips *s, char *buf, size_t size)
{
    const struct {
        const char *what;
        size_t n;
    } r[] = {
        {"malformed JSON", s->json},
        {"missing field", s->field},
        {"invalid UTF-8", s->utf8},
        {"binary", s->binary},
        {"no words", s->empty},
        {"too big", s->toobig},
        {"unreadable", s->io + s->compress},
        {"duplicate id", s->dupid},
        {"other", s->other},
    };
    size_t i, len = 0;
    buf[0] = '\0';
    for (i = 0; i < sizeof r / sizeof r[0] && len + 1 < size; i++) {
        if (!r[i].n)
            continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s %zu",
                                len ? ", " : " [", r[i].what, r[i].n);
    }
    if (len && len + 1 < size)
        snprintf(buf + len, size - len, "]");
}

const char *cli_skips_hint(const cli_skips *s)
{
    return s->utf8 ? "  to read the documents skipped for invalid UTF-8, "
                     "use --invalid-utf8 replace\n"
                   : "";
}

int cli_load_doc(const char *path, const cli_input_opts *opts, dp_doc **out)
{
    char *buf = NULL;
    size_t len = 0;
    dp_error err;
    dp_status rc;
    const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;

    *out = NULL;
    memset(&err, 0, sizeof err);
    err.offset = (size_t)-1;
    rc = dp_file_read(path, &buf, &len, opts->max_bytes, &err);
    if (rc)
        return cli_fail("compare", name, 0, rc, &err, 1, NULL);
    if (len == 0) {
        dp_free(buf);
        cli_msg("compare", name, 0, "empty file, nothing to compare");
        return cli_exit_of(DP_EEMPTY);
    }
    memset(&err, 0, sizeof err);
    err.offset = (size_t)-1;
    rc = dp_doc_create(buf, len, &opts->text, out, &err);
    dp_free(buf);
    if (rc)
        return cli_fail("compare", name, 0, rc, &err, 1, NULL);
    if (dp_doc_replaced(*out) > 0)
        cli_msg("compare", name, 0,
                "replaced %zu invalid UTF-8 sequence%s with U+FFFD",
                dp_doc_replaced(*out), cli_s(dp_doc_replaced(*out)));
    if (dp_doc_words(*out) == 0) {
        dp_doc_free(*out);
        *out = NULL;
        cli_msg("compare", name, 0,
                "no words in %zu byte%s, nothing to compare", len, cli_s(len));
        return cli_exit_of(DP_EEMPTY);
    }
    return EXIT_OK;
}

/* The subcommands, in the order `doppel --help` lists them. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"compare", cmd_compare}, {"dedup", cmd_dedup}, {"stories", cmd_stories},
    {"index", cmd_index},     {"serve", cmd_serve}, {"idf", cmd_idf},
    {"reuse", cmd_reuse},
};

int main(int argc, char **argv)
{
    const char *cmd;
    size_t i;

    if (argc < 2) {
        fputs("doppel: no command\nusage: doppel <command> [options] "
              "[args]\ntry 'doppel --help'\n",
              stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("doppel %s\n", dp_version());
        return EXIT_OK;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "doppel: unknown command '%s' (commands:", cmd);
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
    fprintf(stderr, ")\ntry 'doppel --help'\n");
    return EXIT_USAGE;
}
