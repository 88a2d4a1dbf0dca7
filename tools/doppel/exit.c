/*
 * exit.c - the one way out of every doppel subcommand: the table that
 * turns a library status into an exit code, and the one function that
 * prints every error, warning and skipped record.
 *
 * Messages read "doppel CMD: PATH:LINE: what" for a record of a
 * line-based input, "doppel CMD: PATH: what" for a whole file or an index
 * directory, and "doppel CMD: what" when no file is involved. Offsets are
 * 0-based file offsets, written "byte N" inside `what`. The table is
 * printed in doppel(1) and docs/cli.md; tests/cli/exits.sh provokes every
 * code of it through the binary.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"

int cli_exit_of(dp_status st)
{
    switch (st) {
    case DP_OK: return EXIT_OK;
    case DP_ENOTFOUND: return EXIT_NOTFOUND;
    case DP_EINVAL:
    case DP_ESTEM:
    case DP_EMISMATCH:
    case DP_EEXIST: return EXIT_USAGE;
    case DP_ENOENT:
    case DP_EACCES:
    case DP_EISDIR:
    case DP_EIO:
    case DP_ETOOBIG:
    case DP_ECOMPRESS:
    case DP_EFULL:
    case DP_EBUSY: return EXIT_FILE;
    case DP_EUTF8:
    case DP_EBINARY:
    case DP_EEMPTY:
    case DP_EJSON:
    case DP_EFIELD:
    case DP_ECORRUPT: return EXIT_INPUT;
    case DP_ENOMEM:
    case DP_EINTERNAL:
    case DP_EOF:
    default: return EXIT_INTERNAL;
    }
}

const char *cli_s(size_t n)
{
    return n == 1 ? "" : "s";
}

/* Skip a location the message itself starts with ("PATH: " or
 * "PATH:LINE: "), so that it is never printed twice. */
static const char *without_location(const char *msg, const char *path)
{
    size_t n;
    const char *p;
    if (!path || !*path)
        return msg;
    n = strlen(path);
    if (strncmp(msg, path, n) != 0 || msg[n] != ':')
        return msg;
    p = msg + n + 1;
    if (*p >= '0' && *p <= '9') {
        const char *q = p;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q == ':')
            p = q + 1;
    }
    while (*p == ' ')
        p++;
    return *p ? p : msg;
}

static void vput(const char *cmd, const char *path, uint64_t line,
                 const char *fmt, va_list ap)
{
    char what[1024];
    vsnprintf(what, sizeof what, fmt, ap);
    if (path && line)
        fprintf(stderr, "doppel %s: %s:%" PRIu64 ": %s\n", cmd, path, line,
                without_location(what, path));
    else if (path)
        fprintf(stderr, "doppel %s: %s: %s\n", cmd, path,
                without_location(what, path));
    else
        fprintf(stderr, "doppel %s: %s\n", cmd, what);
}

void cli_msg(const char *cmd, const char *path, uint64_t line, const char *fmt,
             ...)
{
    va_list ap;
    va_start(ap, fmt);
    vput(cmd, path, line, fmt, ap);
    va_end(ap);
}

const char *cli_remedy(dp_status st)
{
    switch (st) {
    case DP_EUTF8: return " (use --invalid-utf8 replace to read it anyway)";
    case DP_EMISMATCH:
        return " (leave the parameter out to use the index's own, or build "
               "a new index)";
    default: return "";
    }
}

int cli_fail(const char *cmd, const char *path, uint64_t line, dp_status st,
             const dp_error *err, int remedy, const char *tail)
{
    char what[512];
    const char *p = path && strcmp(path, "-") == 0 ? "(stdin)" : path;
    if (err && err->message[0])
        snprintf(what, sizeof what, "%s", without_location(err->message, path));
    else if (err && err->offset != (size_t)-1)
        snprintf(what, sizeof what, "%s at byte %zu", dp_strerror(st),
                 err->offset);
    else
        snprintf(what, sizeof what, "%s", dp_strerror(st));
    cli_msg(cmd, p, line, "%s%s%s", what, remedy ? cli_remedy(st) : "",
            tail ? tail : "");
    return cli_exit_of(st);
}

int cli_usage_error(const char *cmd, const char *synopsis, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vput(cmd, NULL, 0, fmt, ap);
    va_end(ap);
    fprintf(stderr, "usage: %s\ntry 'doppel %s --help'\n", synopsis, cmd);
    return EXIT_USAGE;
}

void cli_try_help(const char *cmd)
{
    fprintf(stderr, "try 'doppel %s --help'\n", cmd);
}
