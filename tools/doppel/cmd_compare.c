/*
 * cmd_compare.c - `doppel compare A B`: how two documents relate.
 *
 * Reads both inputs, runs the comparison and prints either the readable
 * report (report_text.c) or the JSON object of docs/json.md.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel compare [options] A B\n"
    "\n"
    "Compare two documents: similarity scores, every passage they share\n"
    "(with byte offsets in both), and a story diff marking each sentence\n"
    "copied, rewritten (with its partner and what it adds) or unique.\n"
    "A or B may be - for standard input (not both).\n"
    "\n"
    "options:\n"
    "  --json                 print one JSON object (schema: docs/json.md)\n"
    "  --min-words N          shortest shared passage reported, in words\n"
    "                         (default 8)\n"
    "  --max-gap N            unmatched words bridged inside a passage on\n"
    "                         either side (default 4)\n"
    "  --shingle K            words per shingle for the Jaccard and\n"
    "                         containment scores (default 5)\n"
    "  --invalid-utf8 MODE    reject (default): invalid UTF-8 is an error\n"
    "                         naming its byte offset; replace: read each\n"
    "                         invalid sequence as U+FFFD and say how many\n"
    "  --language LANG        Snowball stemmer and stopwords (default\n"
    "                         english)\n"
    "  --max-bytes N          refuse inputs larger than N bytes (default\n"
    "                         1073741824)\n"
    "  --idf FILE             background term statistics (doppel idf\n"
    "                         build): same_story becomes the corpus form\n"
    "                         of the score, as doppel stories computes it\n"
    "                         (docs/stories.md)\n"
    "  --color WHEN           auto (default: only on a terminal, unless\n"
    "                         NO_COLOR is set), always or never\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit codes: 0 compared (whatever the scores); 2 usage (an unknown\n"
    "--language included); 3 an input could not be read (missing,\n"
    "unreadable, a directory, over --max-bytes); 4 an input is not usable\n"
    "text (invalid UTF-8, binary, empty or without words); 5 internal\n"
    "error. The table for every command: doppel(1).\n";

static const char synopsis[] = "doppel compare [options] A B";

enum {
    OPT_JSON = 256,
    OPT_MIN_WORDS,
    OPT_MAX_GAP,
    OPT_SHINGLE,
    OPT_UTF8,
    OPT_LANGUAGE,
    OPT_MAX_BYTES,
    OPT_COLOR,
    OPT_IDF
};

static const struct option options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"min-words", required_argument, NULL, OPT_MIN_WORDS},
    {"max-gap", required_argument, NULL, OPT_MAX_GAP},
    {"shingle", required_argument, NULL, OPT_SHINGLE},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"language", required_argument, NULL, OPT_LANGUAGE},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"idf", required_argument, NULL, OPT_IDF},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad_value(const char *opt, const char *val)
{
    return cli_bad_value("compare", opt, val);
}

/* Long because it is the command: options, the background table, the two
 * inputs, the comparison and its report. */
int cmd_compare(int argc, char **argv)
{
    dp_compare_opts copts;
    cli_input_opts in;
    cli_color color = COLOR_AUTO;
    int json = 0, c, rc;
    unsigned long v;
    dp_doc *a = NULL, *b = NULL;
    dp_comparison *cmp = NULL;
    dp_idf *idf = NULL;
    const char *idf_path = NULL;
    dp_status st;

    dp_compare_opts_init(&copts);
    dp_text_opts_init(&in.text);
    in.max_bytes = (size_t)1 << 30;

    argv[0] = (char *)"doppel compare"; /* getopt's messages */
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_MIN_WORDS:
            if (cli_parse_uint(optarg, 1000000, &v) || v < 1)
                return bad_value("min-words", optarg);
            copts.min_words = (unsigned)v;
            break;
        case OPT_MAX_GAP:
            if (cli_parse_uint(optarg, 1000, &v))
                return bad_value("max-gap", optarg);
            copts.max_gap = (unsigned)v;
            break;
        case OPT_SHINGLE:
            if (cli_parse_uint(optarg, 64, &v) || v < 1)
                return bad_value("shingle", optarg);
            copts.shingle_k = (unsigned)v;
            break;
        case OPT_UTF8:
            if (cli_parse_utf8(optarg, &in.text.utf8))
                return bad_value("invalid-utf8", optarg);
            break;
        case OPT_LANGUAGE: in.text.language = optarg; break;
        case OPT_MAX_BYTES:
            if (cli_parse_uint(optarg, DP_MAX_DOC_BYTES, &v) || v < 1)
                return bad_value("max-bytes", optarg);
            in.max_bytes = v;
            break;
        case OPT_COLOR:
            if (cli_color_parse(optarg, &color))
                return bad_value("color", optarg);
            break;
        case OPT_IDF: idf_path = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cli_try_help("compare"); return EXIT_USAGE;
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("compare", synopsis,
                               "expected two inputs, got %d", argc - optind);
    if (in.text.language &&
        (rc = cli_check_language("compare", in.text.language)))
        return rc;
    if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0) {
        return cli_usage_error("compare", synopsis,
                               "only one input may be - (stdin)");
    }

    if (idf_path) {
        dp_error err;
        memset(&err, 0, sizeof err);
        if ((st = dp_idf_read(idf_path, &idf, &err)))
            return cli_fail("compare", idf_path, 0, st, &err, 1, NULL);
        copts.idf = idf;
    }
    rc = cli_load_doc(argv[optind], &in, &a);
    if (rc == EXIT_OK)
        rc = cli_load_doc(argv[optind + 1], &in, &b);
    if (rc != EXIT_OK)
        goto done;

    st = dp_compare(a, b, &copts, &cmp);
    if (st) {
        rc = cli_fail("compare", NULL, 0, st, NULL, 0, NULL);
        goto done;
    }
    if (json) {
        char *text = NULL;
        size_t len = 0;
        st = dp_comparison_json(cmp, argv[optind], argv[optind + 1], &text,
                                &len);
        if (st) {
            rc = cli_fail("compare", NULL, 0, st, NULL, 0, NULL);
            goto done;
        }
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
        dp_free(text);
    } else {
        report_compare_text(stdout, a, b, cmp, argv[optind], argv[optind + 1],
                            cli_use_color(color, stdout));
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        rc = cli_fail("compare", "(stdout)", 0, DP_EIO, NULL, 0, NULL);
    }
done:
    dp_comparison_free(cmp);
    dp_doc_free(a);
    dp_doc_free(b);
    dp_idf_free(idf);
    return rc;
}
