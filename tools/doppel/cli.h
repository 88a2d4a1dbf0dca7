/*
 * cli.h - what the doppel subcommands share: exit codes, the colour
 * decision, and reading one input document with a good error message.
 *
 * The CLI is built on the public API (doppel.h) only.
 */
#ifndef DOPPEL_CLI_H
#define DOPPEL_CLI_H

#include <stdio.h>

#include "doppel.h"

/* Exit codes, documented in docs/cli.md and doppel(1). */
enum {
    EXIT_OK = 0,       /* the job ran */
    EXIT_USAGE = 2,    /* bad command line */
    EXIT_FILE = 3,     /* an input could not be read: missing, unreadable,
                          a directory, over the size limit */
    EXIT_INPUT = 4,    /* an input was read but is not usable text: invalid
                          UTF-8 (under --invalid-utf8=reject), binary, or
                          without a single word */
    EXIT_INTERNAL = 5  /* out of memory or an internal error */
};

/* Colour choice for a stream: --color=auto|always|never plus NO_COLOR. */
typedef enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } cli_color;

/* Parse "auto|always|never"; returns -1 on anything else. */
int cli_color_parse(const char *s, cli_color *out);

/* Decide whether to colour @f: always/never as asked; auto means only when
 * @f is a terminal and the NO_COLOR environment variable is unset. */
int cli_use_color(cli_color mode, FILE *f);

/* Options that shape how an input file becomes a document. */
typedef struct cli_input_opts {
    dp_text_opts text;  /* UTF-8 mode, language */
    size_t max_bytes;   /* largest file accepted */
} cli_input_opts;

/*
 * cli_load_doc - read @path ("-" is stdin) and build its document. On any
 * failure prints "doppel: PATH: what went wrong [at byte N]" on stderr and
 * returns the exit code to use; on success returns EXIT_OK and sets *out.
 * A document with no words is an error (EXIT_INPUT). Under
 * DP_UTF8_REPLACE, a note says how many sequences were replaced.
 */
int cli_load_doc(const char *path, const cli_input_opts *opts, dp_doc **out);

/* Print "doppel CMD: invalid value 'VAL' for --OPT"; returns EXIT_USAGE. */
int cli_bad_value(const char *cmd, const char *opt, const char *val);

/* Parse a number in [lo, hi]; returns 0 on success, -1 otherwise. */
int cli_parse_double(const char *s, double lo, double hi, double *out);

/* Why records of a corpus were skipped, counted for a run's summary. */
typedef struct cli_skips {
    size_t json, field, utf8, binary, empty, toobig, io, compress, other;
} cli_skips;

/* cli_skipped_total - all records skipped, whatever the reason. */
size_t cli_skipped_total(const cli_skips *s);

/* cli_grow - make room for @need elements of @elem bytes in *@p (capacity
 * *@cap, doubled from 1024). Returns 0, or -1 when out of memory (then
 * nothing changed). */
int cli_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Seconds on the monotonic clock, for timing runs. */
double cli_now(void);

/* Parse a non-negative integer option value; returns 0 on success. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/*
 * report_compare_text - the readable report of a comparison: the scores,
 * the shared passages, the rewritten pairs and what each side adds.
 * @color: nonzero to use ANSI colours.
 */
void report_compare_text(FILE *f, const dp_doc *a, const dp_doc *b,
                         const dp_comparison *c, const char *name_a,
                         const char *name_b, int color);

/* Subcommands. */
int cmd_compare(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif /* DOPPEL_CLI_H */
