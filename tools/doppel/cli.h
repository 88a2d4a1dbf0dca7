/*
 * cli.h - what the doppel subcommands share: exit codes, the colour
 * decision, and reading one input document with a good error message.
 *
 * The CLI is built on the public API (doppel.h) only.
 */
#ifndef DOPPEL_CLI_H
#define DOPPEL_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "doppel.h"

/*
 * Exit codes: one table for every subcommand (cli_exit_of() maps each
 * dp_status to one of them), printed in docs/cli.md and doppel(1).
 */
enum {
    EXIT_OK = 0,       /* the job ran (bad records of a corpus skipped and
                          counted, unless --strict) */
    EXIT_NOTFOUND = 1, /* no document with that id (index get, remove,
                          query --id) */
    EXIT_USAGE = 2,    /* bad command line: unknown command or option, bad
                          value, wrong number of arguments, unknown
                          language; parameters that do not match the
                          index; an index to create that exists */
    EXIT_FILE = 3,     /* an input or the index could not be read or
                          written: missing, unreadable, a directory, over
                          a size limit, a corrupt compressed stream, the
                          index full or busy */
    EXIT_INPUT = 4,    /* an input was read but is not usable: invalid
                          UTF-8 (under --invalid-utf8 reject), binary, no
                          words, bad JSON or fields; a damaged index */
    EXIT_INTERNAL = 5  /* out of memory or an internal error */
};

/* cli_exit_of - the exit code of a library status (the table above). */
int cli_exit_of(dp_status st);

/*
 * cli_msg - print one message on stderr: "doppel CMD: PATH:LINE: what"
 * (@line > 0), "doppel CMD: PATH: what" (@line 0) or "doppel CMD: what"
 * (@path NULL). A location the text already starts with is not repeated.
 */
void cli_msg(const char *cmd, const char *path, uint64_t line, const char *fmt,
             ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/*
 * cli_fail - report a library failure with cli_msg(): what = @err's message
 * (or dp_strerror(@st), "at byte N" when @err has an offset), then the
 * remedy for @st when @remedy is nonzero (cli_remedy()), then @tail (may be
 * NULL). @path "-" is shown as "(stdin)". Returns cli_exit_of(@st).
 */
int cli_fail(const char *cmd, const char *path, uint64_t line, dp_status st,
             const dp_error *err, int remedy, const char *tail);

/* cli_remedy - what the user can do about @st, as " (...)", or "". */
const char *cli_remedy(dp_status st);

/*
 * cli_usage_error - "doppel CMD: what", then "usage: SYNOPSIS" and
 * "try 'doppel CMD --help'", on stderr. Returns EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *synopsis, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* cli_try_help - "try 'doppel CMD --help'" on stderr. */
void cli_try_help(const char *cmd);

/* cli_s - "s" unless @n is 1, for plurals. */
const char *cli_s(size_t n);

/* Colour choice for a stream: --color=auto|always|never plus NO_COLOR. */
typedef enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } cli_color;

/* Parse "auto|always|never"; returns -1 on anything else. */
int cli_color_parse(const char *s, cli_color *out);

/* Decide whether to colour @f: always/never as asked; auto means only when
 * @f is a terminal and the NO_COLOR environment variable is unset. */
int cli_use_color(cli_color mode, FILE *f);

/* Options that shape how an input file becomes a document. */
typedef struct cli_input_opts {
    dp_text_opts text; /* UTF-8 mode, language */
    size_t max_bytes;  /* largest file accepted */
} cli_input_opts;

/*
 * cli_load_doc - read @path ("-" is stdin) and build its document. On any
 * failure prints "doppel compare: PATH: what went wrong" (cli_fail()) on
 * stderr and returns the exit code to use; on success returns EXIT_OK and sets
 * *out. A document with no words is an error (EXIT_INPUT). Under
 * DP_UTF8_REPLACE, a note says how many sequences were replaced.
 */
int cli_load_doc(const char *path, const cli_input_opts *opts, dp_doc **out);

/* Print "doppel CMD: invalid value 'VAL' for --OPT"; returns EXIT_USAGE. */
int cli_bad_value(const char *cmd, const char *opt, const char *val);

/* cli_check_language - EXIT_OK when @lang is a Snowball language; else
 * says which there are and returns EXIT_USAGE. */
int cli_check_language(const char *cmd, const char *lang);

/* Parse a number in [lo, hi]; returns 0 on success, -1 otherwise. */
int cli_parse_double(const char *s, double lo, double hi, double *out);

/* Why records of a corpus were skipped, counted for a run's summary
 * (dupid: dedup's later records of an id already read). */
typedef struct cli_skips {
    size_t json, field, utf8, binary, empty, toobig, io, compress, other;
    size_t dupid;
} cli_skips;

/* cli_skip_count - count one skipped record by the reason @st. */
void cli_skip_count(cli_skips *s, dp_status st);

/* cli_skips_add - add every count of @from to @to. */
void cli_skips_add(cli_skips *to, const cli_skips *from);

/* cli_skips_line - the skip counts as "[invalid UTF-8 17, no words 1]"
 * (only the nonzero ones) into @buf; "" when nothing was skipped. */
void cli_skips_line(const cli_skips *s, char *buf, size_t size);

/* cli_skips_hint - the hint a run's summary ends with, once: how to read
 * the records skipped for invalid UTF-8; "" when none was. */
const char *cli_skips_hint(const cli_skips *s);

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

/* Parse an --invalid-utf8 value ("reject" or "replace"); returns 0 on
 * success, and *out is untouched otherwise. */
int cli_parse_utf8(const char *s, dp_utf8_mode *out);

/*
 * Reading a corpus: the one loop the corpus commands (idf build, stories,
 * reuse) share. It opens one dp_reader over the inputs, hands every good
 * record to a callback, and for every bad one prints
 * "doppel CMD: PATH:LINE: what, skipped" and counts it by reason; an input
 * that cannot be read at all is remembered (the command exits EXIT_FILE
 * at the end, after processing the rest). Optionally refuses a later
 * record whose id was read before ("first wins", as dedup), and shows a
 * progress line on stderr.
 */
typedef struct cli_corpus_opts {
    dp_reader_opts reader; /* how inputs are read (fields, UTF-8, threads) */
    int strict;            /* stop at the first bad record, with its code */
    int progress;          /* nonzero: a progress line on stderr */
    int unique_ids;        /* nonzero: skip (and report) repeated ids */
    int (*on_bad)(void *ctx, dp_status st); /* optional: called (with the
                              callback's ctx) after each bad record or input
                              is reported and counted, for commands that
                              number every record; returns EXIT_OK to go on,
                              else an exit code that stops the read */
} cli_corpus_opts;

/* What a read saw. */
typedef struct cli_corpus_stats {
    size_t records;  /* records handed to the callback */
    size_t bytes;    /* their text bytes */
    size_t dated;    /* of them, with a date field */
    cli_skips skips; /* records skipped, by reason */
    int unreadable;  /* an input could not be read (exit EXIT_FILE) */
} cli_corpus_stats;

/*
 * cli_record_fn - called once per good record, in input order.
 * @rd:    the reader, for dp_reader_field() (a "title" or "source" field);
 *         borrowed for the call only.
 * @rec:   the record, borrowed for the call only.
 * @line:  its line for messages (0 for a whole-file document).
 * @return EXIT_OK to go on; any other exit code stops the read with it.
 */
typedef int (*cli_record_fn)(void *ctx, dp_reader *rd, const dp_record *rec,
                             uint64_t line);

/*
 * cli_corpus_read - read @inputs (paths, "-" for stdin) with @o, calling
 * @fn for each good record. Fills *@st (zeroed first).
 * @return EXIT_OK when every input was read (bad records skipped, and
 *         st->unreadable set when an input could not be read); else the
 *         code that stopped it (the callback's, a --strict record's,
 *         EXIT_INTERNAL when memory ran out).
 */
int cli_corpus_read(const char *cmd, char *const *inputs, size_t ninputs,
                    const cli_corpus_opts *o, cli_record_fn fn, void *ctx,
                    cli_corpus_stats *st);

/*
 * cli_refused - report one document the library refused after the reader
 * passed it (no words, say): "doppel CMD: PATH:LINE: id 'ID': what,
 * skipped", or "doppel CMD: PATH: what, skipped" for a whole-file document
 * (@line 0: its id is its path, not said twice); counted in @skips.
 * Returns the exit code of @st, for a command that stops under --strict.
 */
int cli_refused(const char *cmd, const char *path, uint64_t line,
                const char *id, dp_status st, cli_skips *skips);

/* cli_corpus_opts_init - defaults: dp_reader_opts_init(), not strict, no
 * progress, ids not checked. */
void cli_corpus_opts_init(cli_corpus_opts *o);

/* cli_corpus_exit - the exit code a finished corpus command ends with:
 * @ex if nonzero, else EXIT_FILE when an input was unreadable, else
 * EXIT_OK. */
int cli_corpus_exit(int ex, const cli_corpus_stats *st);

/*
 * cli_put_excerpt - print @text[@s.start, @s.end) on one line: whitespace
 * runs as one space, cut after @max bytes (at a UTF-8 character boundary)
 * with " … (N more bytes)".
 */
void cli_put_excerpt(FILE *f, const char *text, dp_span s, size_t max);

/*
 * report_compare_text - the readable report of a comparison: the scores,
 * the shared passages, the rewritten pairs and what each side adds.
 * @color: nonzero to use ANSI colours.
 */
void report_compare_text(FILE *f, const dp_doc *a, const dp_doc *b,
                         const dp_comparison *c, const char *name_a,
                         const char *name_b, int color);

/*
 * report_story_text - the readable report of a merged story: members,
 * the story (each sentence once, with its carriers and what each rewrite
 * adds), what each member adds, quotes, conflicts and provenance.
 * @color: nonzero to use ANSI colours.
 */
void report_story_text(FILE *f, const dp_story *s, int color);

/* Subcommands. */
int cmd_compare(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_idf(int argc, char **argv);
int cmd_stories(int argc, char **argv);
int cmd_reuse(int argc, char **argv);

#endif /* DOPPEL_CLI_H */
