/*
 * cmd_idf.c - `doppel idf build INPUT... -o FILE` counts in how many
 * documents of a corpus each content term occurs and writes the table
 * (docs/idf.md) that `compare --idf` and `stories --idf` weigh terms by;
 * `doppel idf show FILE [WORD...]` says what a table holds.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel idf build [options] INPUT... -o FILE\n"
    "       doppel idf show FILE [WORD...]\n"
    "\n"
    "build: count, over a corpus, how many documents hold each content\n"
    "term (the stem of every word that is not a stopword, and every\n"
    "number) and write the table to FILE, so that a pair (compare --idf)\n"
    "or a small corpus (stories --idf) weighs terms by their rarity in a\n"
    "large one. Inputs are read as dedup reads them: files, directories,\n"
    "JSONL, CSV/TSV, .gz/.zst, - for stdin.\n"
    "show: the table's documents, terms and language, and for each WORD\n"
    "its stem's document frequency and weight.\n"
    "\n"
    "options (build):\n"
    "  -o, --output FILE      the table to write (replaced atomically)\n"
    "  --language LANG        Snowball stemmer and stopwords (default\n"
    "                         english)\n"
    "  --id-field NAME        JSONL field / CSV column of the id (id)\n"
    "  --text-field NAME      JSONL field / CSV column of the text (text)\n"
    "  --invalid-utf8 MODE    reject (default: skip such records, naming\n"
    "                         the byte) or replace (read as U+FFFD)\n"
    "  --strict               stop at the first bad record\n"
    "  --quiet                no progress line or summary\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit codes: 0 written (bad records skipped and counted); 2 usage;\n"
    "3 an input could not be read (the rest is still counted) or FILE\n"
    "could not be written; 4 a record is not usable (with --strict) or\n"
    "FILE is not an IDF table (show); 5 internal error. Table: doppel(1).\n";

static const char synopsis[] = "doppel idf build [options] INPUT... -o FILE";

enum {
    OPT_LANGUAGE = 256,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_UTF8,
    OPT_STRICT,
    OPT_QUIET
};

static const struct option options[] = {
    {"output", required_argument, NULL, 'o'},
    {"language", required_argument, NULL, OPT_LANGUAGE},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the read callback needs. */
typedef struct build {
    dp_idf *idf;
    dp_work *work;
    dp_text_opts text;
    size_t empty; /* documents without a word (counted in N all the same) */
} build;

static int count_record(void *ctx, dp_reader *rd, const dp_record *rec,
                        uint64_t line)
{
    build *b = ctx;
    dp_doc *doc = NULL;
    dp_error err;
    dp_status rc;

    memset(&err, 0, sizeof err);
    rc = dp_doc_create_in(b->work, rec->text, rec->text_len, &b->text, &doc,
                          &err);
    if (rc == DP_OK) {
        b->empty += dp_doc_words(doc) == 0;
        rc = dp_idf_add(b->idf, doc);
        dp_doc_free(doc);
    }
    if (rc == DP_ENOMEM || rc == DP_EINTERNAL)
        return cli_fail("idf build", NULL, 0, rc, NULL, 0, NULL);
    if (rc) /* the reader checked the text: cannot happen, but say so */
        return cli_fail("idf build", dp_reader_path(rd), line, rc, &err, 0,
                        NULL);
    return EXIT_OK;
}

static int build_main(int argc, char **argv)
{
    cli_corpus_opts o;
    cli_corpus_stats st;
    build b;
    const char *out = NULL;
    int c, quiet = 0, ex;
    double t0 = cli_now();
    dp_error err;
    dp_status rc;
    char why[256];

    memset(&b, 0, sizeof b);
    cli_corpus_opts_init(&o);
    o.unique_ids = 0; /* a repeated id is still one more document */
    dp_text_opts_init(&b.text);
    argv[0] = (char *)"doppel idf build";
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_LANGUAGE: b.text.language = optarg; break;
        case OPT_ID_FIELD: o.reader.id_field = optarg; break;
        case OPT_TEXT_FIELD: o.reader.text_field = optarg; break;
        case OPT_UTF8:
            if (cli_parse_utf8(optarg, &o.reader.utf8))
                return cli_bad_value("idf build", "invalid-utf8", optarg);
            b.text.utf8 = o.reader.utf8;
            break;
        case OPT_STRICT: o.strict = 1; break;
        case OPT_QUIET: quiet = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cli_try_help("idf"); return EXIT_USAGE;
        }
    }
    if (!out)
        return cli_usage_error("idf build", synopsis,
                               "the table to write is missing (-o FILE)");
    if (optind >= argc)
        return cli_usage_error("idf build", synopsis, "no input given");
    if (b.text.language &&
        (ex = cli_check_language("idf build", b.text.language)))
        return ex;
    o.progress = !quiet && cli_use_color(COLOR_AUTO, stderr);
    if (dp_idf_create(b.text.language, &b.idf) || dp_work_create(&b.work)) {
        dp_idf_free(b.idf);
        return cli_fail("idf build", NULL, 0, DP_ENOMEM, NULL, 0, NULL);
    }
    ex = cli_corpus_read("idf build", argv + optind, (size_t)(argc - optind),
                         &o, count_record, &b, &st);
    if (ex == EXIT_OK) {
        memset(&err, 0, sizeof err);
        if ((rc = dp_idf_write(b.idf, out, &err)))
            ex = cli_fail("idf build", out, 0, rc, &err, 0, NULL);
    }
    if (ex == EXIT_OK && !quiet) {
        cli_skips_line(&st.skips, why, sizeof why);
        fprintf(stderr,
                "doppel idf build: %" PRIu64 " document%s, %zu term%s -> %s "
                "(%.1f s); %zu record%s skipped%s\n",
                dp_idf_docs(b.idf), cli_s(dp_idf_docs(b.idf)),
                dp_idf_keys(b.idf), cli_s(dp_idf_keys(b.idf)), out,
                cli_now() - t0, cli_skipped_total(&st.skips),
                cli_s(cli_skipped_total(&st.skips)), why);
        fputs(cli_skips_hint(&st.skips), stderr);
    }
    dp_work_free(b.work);
    dp_idf_free(b.idf);
    return cli_corpus_exit(ex, &st);
}

/* The weight of each word's stem: made a document of its own, so a word
 * is stemmed (and a stopword dropped) exactly as in the corpus. */
static int show_word(const dp_idf *idf, const char *word)
{
    dp_text_opts t;
    dp_doc *doc = NULL;
    dp_token tok;
    dp_status rc;
    size_t i;

    dp_text_opts_init(&t);
    t.language = dp_idf_language(idf);
    t.utf8 = DP_UTF8_REPLACE;
    if ((rc = dp_doc_create(word, strlen(word), &t, &doc, NULL)))
        return cli_fail("idf show", NULL, 0, rc, NULL, 0, NULL);
    for (i = 0; i < dp_doc_words(doc); i++) {
        uint64_t key = dp_idf_token_key(doc, i);
        dp_doc_token(doc, i, &tok);
        if (!key)
            printf("%-20.*s  stopword\n", (int)(tok.span.end - tok.span.start),
                   word + tok.span.start);
        else
            printf("%-20.*s  df %" PRIu64 "  idf %.3f\n",
                   (int)(tok.span.end - tok.span.start), word + tok.span.start,
                   dp_idf_df(idf, key), dp_idf_weight(idf, key));
    }
    dp_doc_free(doc);
    return EXIT_OK;
}

static int show_main(int argc, char **argv)
{
    dp_idf *idf = NULL;
    dp_error err;
    dp_status rc;
    int i, ex = EXIT_OK;

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc < 2)
        return cli_usage_error("idf show", "doppel idf show FILE [WORD...]",
                               "the table to show is missing");
    memset(&err, 0, sizeof err);
    if ((rc = dp_idf_read(argv[1], &idf, &err)))
        return cli_fail("idf show", argv[1], 0, rc, &err, 0, NULL);
    printf("documents %" PRIu64 "\nterms %zu\nlanguage %s\n", dp_idf_docs(idf),
           dp_idf_keys(idf), dp_idf_language(idf));
    for (i = 2; i < argc && ex == EXIT_OK; i++)
        ex = show_word(idf, argv[i]);
    dp_idf_free(idf);
    return ex;
}

int cmd_idf(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "build"))
        return build_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return show_main(argc - 1, argv + 1);
    return cli_usage_error("idf", "doppel idf build|show ...",
                           "unknown subcommand '%s'", argv[1]);
}
