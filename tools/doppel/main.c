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
    "  index CMD DB  a persistent, crash-safe index: create, add, remove,\n"
    "                get, query, list, stats, check, compact\n"
    "  serve DB      the index over HTTP/JSON (docs/api.md)\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (or `doppel <command> --help`)\n"
    "  -V, --version  print the version\n"
    "\n"
    "exit codes: 0 ok, 2 usage, 3 unreadable input, 4 unusable input text,\n"
    "5 internal error. See doppel(1) and docs/cli.md.\n";

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
           s->io + s->compress + s->other;
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

static int exit_for(dp_status rc)
{
    switch (rc) {
    case DP_ENOENT: case DP_EACCES: case DP_EISDIR: case DP_ETOOBIG:
    case DP_EIO:
        return EXIT_FILE;
    case DP_EUTF8: case DP_EBINARY: case DP_EEMPTY:
        return EXIT_INPUT;
    case DP_ESTEM: case DP_EINVAL:
        return EXIT_USAGE;
    default:
        return EXIT_INTERNAL;
    }
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
    rc = dp_file_read(path, &buf, &len, opts->max_bytes, &err);
    if (rc) {
        fprintf(stderr, "doppel: %s: %s\n", name,
                err.message[0] ? err.message : dp_strerror(rc));
        return exit_for(rc);
    }
    if (len == 0) {
        dp_free(buf);
        fprintf(stderr, "doppel: %s: empty file, nothing to compare\n", name);
        return EXIT_INPUT;
    }
    rc = dp_doc_create(buf, len, &opts->text, out, &err);
    dp_free(buf);
    if (rc) {
        if (err.offset != (size_t)-1 && (rc == DP_EUTF8 || rc == DP_EBINARY))
            fprintf(stderr, "doppel: %s: byte %zu: %s%s\n", name, err.offset,
                    err.message[0] ? err.message : dp_strerror(rc),
                    rc == DP_EUTF8 ? " (use --invalid-utf8=replace to "
                                     "read it anyway)"
                                   : " (not a text file?)");
        else
            fprintf(stderr, "doppel: %s: %s\n", name,
                    err.message[0] ? err.message : dp_strerror(rc));
        return exit_for(rc);
    }
    if (dp_doc_replaced(*out) > 0)
        fprintf(stderr,
                "doppel: %s: replaced %zu invalid UTF-8 sequence%s with "
                "U+FFFD\n",
                name, dp_doc_replaced(*out),
                dp_doc_replaced(*out) == 1 ? "" : "s");
    if (dp_doc_words(*out) == 0) {
        dp_doc_free(*out);
        *out = NULL;
        fprintf(stderr, "doppel: %s: no words in %zu bytes, nothing to "
                        "compare\n", name, len);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        fputs(usage, stderr);
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
    if (strcmp(cmd, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "dedup") == 0)
        return cmd_dedup(argc - 1, argv + 1);
    if (strcmp(cmd, "index") == 0)
        return cmd_index(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    fprintf(stderr, "doppel: unknown command '%s' (try doppel --help)\n", cmd);
    return EXIT_USAGE;
}
