/*
 * cmd_serve.c - `doppel serve DB`: the index over HTTP/JSON.
 *
 * Opens the index once, starts dp_server (the library's HTTP layer, see
 * docs/api.md) and waits for SIGTERM or SIGINT; then stops gracefully:
 * no new connections, the requests in flight answered, the index closed,
 * exit status 0. The signals are blocked before any thread starts, so the
 * server's workers inherit the mask and only sigwait() here sees them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: doppel serve [options] DB\n"
    "\n"
    "Serve the index DB over HTTP/JSON until SIGTERM or SIGINT (then stop\n"
    "gracefully: requests in flight are answered, the index is closed and\n"
    "the exit status is 0). Endpoints (docs/api.md):\n"
    "  POST /documents          add one JSON document or a JSONL batch\n"
    "  GET|DELETE /documents/ID fetch or remove a document\n"
    "  POST /query              documents similar to {\"text\"} or {\"id\"}\n"
    "  POST /compare            {\"a\", \"b\"}: as doppel compare --json\n"
    "  GET /stats, GET /health\n"
    "\n"
    "options:\n"
    "  --bind ADDR          address to listen on (default 127.0.0.1:\n"
    "                       loopback only; 0.0.0.0 or :: for every\n"
    "                       interface)\n"
    "  --port N             TCP port (default 8080; 0 picks a free one)\n"
    "  --threads N          worker threads (default: online cores)\n"
    "  --max-body BYTES     largest request body, with an optional K, M or\n"
    "                       G suffix (default 16M); bigger ones get 413\n"
    "  --log FILE           append the access log to FILE instead of\n"
    "                       stderr; --log - keeps stderr, --no-log drops it\n"
    "  --no-log             no access log\n"
    "  --timeout SECONDS    close idle connections after this long\n"
    "                       (default 30)\n"
    "  --read-only          open the index read-only: adds and deletes\n"
    "                       answer 403\n"
    "  --create             create DB (default parameters) if it does not\n"
    "                       exist\n"
    "  --id-field F, --text-field F\n"
    "                       the fields of POST /documents bodies holding\n"
    "                       the id and the text (default id, text)\n"
    "  --invalid-utf8 MODE  reject (default) or replace invalid UTF-8 in\n"
    "                       POST /documents bodies, as doppel index add\n"
    "  -h, --help           show this help\n"
    "\n"
    "The listening address is printed on stderr as\n"
    "\"doppel serve: listening on http://ADDR:PORT\".\n"
    "\n"
    "exit codes: 0 stopped by a signal; 2 usage (parameters of another\n"
    "text-pipeline version included); 3 the index, the log or the address\n"
    "could not be opened (missing, busy, port in use); 4 the directory is\n"
    "not a doppel index or it is damaged; 5 internal error. The table for\n"
    "every command: doppel(1).\n";

static const char synopsis[] = "doppel serve [options] DB";

enum {
    OPT_BIND = 256,
    OPT_PORT,
    OPT_THREADS,
    OPT_MAX_BODY,
    OPT_LOG,
    OPT_NO_LOG,
    OPT_TIMEOUT,
    OPT_READ_ONLY,
    OPT_CREATE,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_UTF8
};

static const struct option options[] = {
    {"bind", required_argument, NULL, OPT_BIND},
    {"port", required_argument, NULL, OPT_PORT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"log", required_argument, NULL, OPT_LOG},
    {"no-log", no_argument, NULL, OPT_NO_LOG},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"read-only", no_argument, NULL, OPT_READ_ONLY},
    {"create", no_argument, NULL, OPT_CREATE},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"invalid-utf8", required_argument, NULL, OPT_UTF8},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad_value(const char *opt, const char *val)
{
    return cli_bad_value("serve", opt, val);
}

/* BYTES with an optional K/M/G (binary) suffix. Returns 0 on success. */
static int parse_size(const char *s, size_t max, size_t *out)
{
    char num[32];
    size_t n = strlen(s), mult = 1;
    unsigned long v;

    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, s, n + 1);
    switch (num[n - 1]) {
    case 'k':
    case 'K': mult = (size_t)1 << 10; break;
    case 'm':
    case 'M': mult = (size_t)1 << 20; break;
    case 'g':
    case 'G': mult = (size_t)1 << 30; break;
    default: break;
    }
    if (mult > 1)
        num[--n] = '\0';
    if (cli_parse_uint(num, max, &v) || v == 0 || v > max / mult)
        return -1;
    *out = (size_t)v * mult;
    return 0;
}

/* What the command line asked for. */
typedef struct serve_args {
    dp_server_opts so;
    const char *log_path; /* --log FILE, or NULL */
    int no_log;           /* --no-log */
    int create;           /* --create */
    const char *db;       /* the index directory */
} serve_args;

/* Parse the options into @a. Returns -1 to go on, else the exit code. */
static int parse_args(serve_args *a, int argc, char **argv)
{
    unsigned long v;
    int c;

    memset(a, 0, sizeof *a);
    dp_server_opts_init(&a->so);
    argv[0] = (char *)"doppel serve"; /* getopt's messages */
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_BIND:
            if (!*optarg)
                return bad_value("bind", optarg);
            a->so.bind = optarg;
            break;
        case OPT_PORT:
            if (cli_parse_uint(optarg, 65535, &v))
                return bad_value("port", optarg);
            a->so.port = (unsigned)v;
            break;
        case OPT_THREADS:
            if (cli_parse_uint(optarg, 1024, &v) || v < 1)
                return bad_value("threads", optarg);
            a->so.threads = (unsigned)v;
            break;
        case OPT_MAX_BODY:
            if (parse_size(optarg, DP_MAX_DOC_BYTES, &a->so.max_body))
                return bad_value("max-body", optarg);
            break;
        case OPT_LOG:
            a->log_path = optarg;
            a->no_log = 0;
            break;
        case OPT_NO_LOG:
            a->no_log = 1;
            a->log_path = NULL;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_uint(optarg, 86400, &v))
                return bad_value("timeout", optarg);
            a->so.timeout = (unsigned)v;
            break;
        case OPT_READ_ONLY: a->so.read_only = 1; break;
        case OPT_CREATE: a->create = 1; break;
        case OPT_ID_FIELD:
            if (!*optarg)
                return bad_value("id-field", optarg);
            a->so.id_field = optarg;
            break;
        case OPT_TEXT_FIELD:
            if (!*optarg)
                return bad_value("text-field", optarg);
            a->so.text_field = optarg;
            break;
        case OPT_UTF8:
            if (cli_parse_utf8(optarg, &a->so.utf8))
                return bad_value("invalid-utf8", optarg);
            break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: cli_try_help("serve"); return EXIT_USAGE;
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("serve", synopsis,
                               "expected one index directory, got %d",
                               argc - optind);
    if (a->so.read_only && a->create)
        return cli_usage_error("serve", synopsis,
                               "--create and --read-only do not go together");
    a->db = argv[optind];
    return -1;
}

/* Where the request log goes: nowhere, stderr, or appended to a file
 * (*@logf, closed by the caller). Returns -1 to go on, else the exit
 * code. */
static int open_log(serve_args *a, FILE **logf)
{
    *logf = NULL;
    if (a->no_log) {
        a->so.log = NULL;
    } else if (a->log_path && strcmp(a->log_path, "-") != 0) {
        *logf = fopen(a->log_path, "a");
        if (!*logf) {
            cli_msg("serve", a->log_path, 0, "cannot append to the log: %s",
                    strerror(errno));
            return EXIT_FILE;
        }
        a->so.log = *logf;
    } else {
        a->so.log = stderr;
    }
    return -1;
}

/* Open the index, start the server, wait for SIGTERM or SIGINT (blocked
 * in @set), stop. Returns the exit code. */
static int run(serve_args *a, sigset_t *set)
{
    dp_index_opts io;
    dp_index *ix = NULL;
    dp_server *srv = NULL;
    dp_index_stats st;
    dp_error err;
    dp_status st_rc;
    int sig = 0, rc = EXIT_OK;
    const char *bind = a->so.bind;

    dp_index_opts_init(&io);
    io.flags = a->so.read_only ? DP_INDEX_RDONLY
               : a->create     ? DP_INDEX_CREATE
                               : 0;
    memset(&err, 0, sizeof err);
    st_rc = dp_index_open(a->db, &io, NULL, &ix, &err);
    if (st_rc)
        return cli_fail("serve", a->db, 0, st_rc, &err, 1,
                        st_rc == DP_ENOENT ? " (create it with doppel index "
                                             "create, or serve --create)"
                                           : NULL);
    memset(&err, 0, sizeof err);
    st_rc = dp_server_start(ix, &a->so, &srv, &err);
    if (st_rc) {
        rc = cli_fail("serve", NULL, 0, st_rc, &err, 0, NULL);
        dp_index_close(ix);
        return rc;
    }
    memset(&st, 0, sizeof st);
    dp_index_stats_get(ix, &st, NULL);
    fprintf(stderr,
            "doppel serve: listening on http://%s%s%s:%u (%s, %llu "
            "document%s%s)\n",
            strchr(bind, ':') ? "[" : "", bind, strchr(bind, ':') ? "]" : "",
            dp_server_port(srv), a->db, (unsigned long long)st.docs,
            cli_s((size_t)st.docs), a->so.read_only ? ", read-only" : "");
    while (sigwait(set, &sig) != 0)
        ;
    fprintf(stderr,
            "doppel serve: %s: stopping (answering requests in "
            "flight)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    dp_server_stop(srv);
    fprintf(stderr, "doppel serve: stopped\n");
    dp_index_close(ix);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    serve_args a;
    sigset_t set;
    FILE *logf = NULL;
    int rc;

    if ((rc = parse_args(&a, argc, argv)) >= 0)
        return rc;
    /* Before any thread exists: the workers inherit this mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = open_log(&a, &logf)) >= 0)
        return rc;
    rc = run(&a, &set);
    if (logf && fclose(logf) != 0 && rc == EXIT_OK) {
        cli_msg("serve", a.log_path, 0, "writing the log: %s", strerror(errno));
        rc = cli_exit_of(DP_EIO);
    }
    return rc;
}
