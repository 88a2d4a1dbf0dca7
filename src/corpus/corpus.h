/*
 * corpus.h - internal interfaces of the corpus reader (dp_reader_*).
 *
 * The reader is split by job, each file with one:
 *
 *   reader.c  the public dp_reader_* API: options, the serial loop that
 *             ties the others together (dpi_reader_produce), locations
 *             and error reporting (dpi_reader_report);
 *   walk.c    which input comes next: the path list and the recursive
 *             directory walk (dpi_walk_*);
 *   source.c  one open input: a file, stdin or memory, read in CHUNK
 *             pieces through zlib or libzstd by magic bytes, BOM and
 *             format detection, and cut into lines (dpi_source_*);
 *   jsonl.c   JSON records: one JSONL line, or a whole JSON document
 *             (an object or an array of objects), parsed by jansson with
 *             the rules of docs/inputs.md (dpi_jsonl_*);
 *   csv.c     CSV/TSV with a header row, parsed by libcsv (dpi_csv_*);
 *   ahead.c   parse-ahead threads for JSONL (dpi_ahead_*).
 *
 * struct dp_reader is defined here because all of them work on it; each
 * field says which file owns it. Nothing here is exported.
 */
#ifndef DP_CORPUS_CORPUS_H
#define DP_CORPUS_CORPUS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>
#include <zstd.h>

#include "core/util.h"

/* Bytes asked of a file (or produced by a decompressor) per read. */
#define DPI_CHUNK ((size_t)1 << 20)

/* A buffer larger than this is released when its input is closed, so one
 * huge document does not pin its memory for the rest of the run. */
#define DPI_KEEP_BUF ((size_t)4 * DPI_CHUNK)

/* Most parse threads a reader starts. */
#define DPI_MAX_THREADS 64u

typedef enum dp_codec { DP_CODEC_NONE, DP_CODEC_GZIP, DP_CODEC_ZSTD } dp_codec;

/* One directory being walked: its path and its sorted visible entries. */
typedef struct dp_dir_frame {
    char *path;   /* the directory, as given or joined (owned) */
    char **names; /* entry names, strcmp order, hidden ones left out */
    size_t n;     /* number of names */
    size_t i;     /* next name to visit */
    dev_t dev;    /* device and inode, to recognise symlink loops */
    ino_t ino;
} dp_dir_frame;

/* What the JSON parser needs to know; read-only while threads parse. */
typedef struct dp_json_cfg {
    const char *id_field;   /* JSON field holding the id */
    const char *text_field; /* JSON field holding the text */
    const char *date_field; /* surfaced as dp_record.date, or NULL */
    dp_utf8_mode utf8;      /* invalid UTF-8: DP_EUTF8 or repaired */
    int keep_meta;          /* build dp_record.meta */
} dp_json_cfg;

/*
 * What parsing one JSON record gives: the object and the fields the
 * record points into, or what was wrong. Self-contained, so parse threads
 * can fill one each (idnum/datenum hold integer ids and dates as text).
 */
typedef struct dp_parsed {
    json_t *json;     /* the parsed value (owned), or NULL */
    const char *id;   /* into json or idnum */
    size_t id_len;    /* bytes in id */
    const char *text; /* into json */
    size_t text_len;  /* bytes in text */
    const char *date; /* into json or datenum, or NULL */
    size_t date_len;  /* bytes in date */
    char *meta;       /* the other fields as compact JSON (malloc'd), or
                         NULL: none, or keep_meta is 0 */
    size_t meta_len;  /* bytes in meta */
    char idnum[24];   /* an integer id in decimal (int64: <= 20 chars) */
    char datenum[24]; /* an integer date in decimal */
    size_t err_at;    /* on error: the fault's byte offset in the line */
    char detail[200]; /* on error: what is wrong */
} dp_parsed;

/* One line cut from the decompressed stream (source.c). */
typedef struct dp_line {
    char *p;      /* the line, NUL-terminated, without '\n' or "\r\n" */
    size_t len;   /* bytes in p */
    uint64_t no;  /* its 1-based line number */
    uint64_t off; /* its offset in the decompressed input */
    int crlf;     /* it ended with "\r\n" (one '\r' dropped) */
    int nl;       /* it ended with a newline (not the end of the input) */
} dp_line;

typedef struct dp_csv dp_csv;     /* csv.c */
typedef struct dp_batch dp_batch; /* ahead.c */
typedef struct dp_item dp_item;   /* ahead.c */

/* The input formats the reader handles internally (dp_input_format plus
 * the ones only the reader picks). */
enum { DPI_FMT_TEXT, DPI_FMT_JSONL, DPI_FMT_JSON, DPI_FMT_CSV, DPI_FMT_TSV };

struct dp_reader {
    /* Options (reader.c; field names copied). */
    dp_json_cfg cfg;              /* JSON and CSV field rules */
    char *id_field;               /* storage behind cfg.id_field */
    char *text_field;             /* storage behind cfg.text_field */
    char *date_field;             /* storage behind cfg.date_field or NULL */
    dp_input_format format;       /* for named files */
    dp_input_format stdin_format; /* for "-" and memory input */
    size_t max_record;            /* longest line or document, bytes */
    int keep_bom;                 /* dp_file_read(): bytes as they are */

    /* The inputs still to come (walk.c). */
    char **paths;             /* copies of the paths given */
    size_t npaths;            /* number of paths */
    size_t next_path;         /* index of the next path to open */
    const unsigned char *mem; /* memory input (borrowed), or NULL */
    size_t mem_len;           /* its length */
    int mem_pending;          /* the memory input is yet to be read */
    dp_dir_frame *dirs;       /* directory stack, innermost last */
    size_t ndirs, capdirs;    /* its depth and capacity */

    /* The open input (source.c). */
    int active;              /* an input is open */
    int fd;                  /* its descriptor, or -1 for memory */
    int own_fd;              /* close fd at the end (not stdin) */
    char *path;              /* path of the current or last input */
    int fmt;                 /* DPI_FMT_* of the open input */
    int text_done;           /* whole-input formats: it was read */
    dp_codec codec;          /* decompression in use */
    z_stream z;              /* gzip state, when codec == DP_CODEC_GZIP */
    int z_live;              /* z was initialised (inflateEnd due) */
    int member_done;         /* gzip: the last member ended cleanly */
    unsigned long members;   /* gzip: members ended before this one */
    ZSTD_DCtx *zd;           /* zstd state, kept across inputs */
    size_t zst_ret;          /* last ZSTD_decompressStream() result:
                                0 when a frame ended cleanly */
    const unsigned char *in; /* compressed (raw) bytes */
    size_t in_pos, in_len;   /* unread raw bytes are in[in_pos..in_len) */
    unsigned char *in_buf;   /* DPI_CHUNK-byte storage behind in (files) */
    int in_eof;              /* no raw bytes after in_len */
    int src_eof;             /* the source gives no more bytes */
    dp_status src_rc;        /* why it stopped, when not a clean end */
    char src_msg[160];       /* and what happened */

    /* Decompressed bytes, cut into lines (source.c). */
    char *buf;              /* bytes buf[start..end) are unconsumed */
    size_t cap, start, end; /* capacity (> end, room for a NUL) */
    size_t scan;            /* buf[start..scan) holds no '\n' */
    uint64_t lineno;        /* line number of the line at buf[start] */
    uint64_t lineoff;       /* its offset in the decompressed input */
    int skip_line;          /* discarding the rest of a long line */

    /* Whole JSON documents (jsonl.c). */
    json_t *doc;      /* the parsed document (an array), or NULL */
    size_t doc_next;  /* next element to hand out */
    int doc_overflow; /* it held an integer too big for 64 bits */

    /* CSV/TSV (csv.c). */
    dp_csv *csv; /* parser state of the open CSV input, or NULL */

    /* The last record or error (reader.c). */
    const json_t *fields;       /* object dp_reader_field() looks in */
    const dp_batch *view_batch; /* parse-ahead: where the last record's */
    const dp_item *view_item;   /* fields are (dp_reader_field()) */
    dp_parsed one;              /* the last JSON record's parse (owns its
                                   value); in parse-ahead the builder's */
    unsigned long path_gen;     /* bumped each time path changes */
    const char *view_path;      /* path of the last item handed out */
    int started;                /* dp_reader_next() was called */
    uint64_t loc_line;          /* its line, 0 for a whole input */

    /* Parse-ahead, when threads > 1 (ahead.c). */
    unsigned threads;       /* parse threads, the caller's included */
    int defer;              /* JSONL lines come back unparsed */
    pthread_t *workers;     /* threads - 1 of them, or fewer */
    unsigned nworkers;      /* how many were started */
    pthread_mutex_t mu;     /* guards claim, tail, stop, states */
    pthread_cond_t work_cv; /* a batch was queued, or stop */
    pthread_cond_t done_cv; /* a batch was parsed */
    int stop;               /* workers must exit */
    dp_batch *ring;         /* nring batch slots */
    size_t nring;           /* number of slots */
    uint64_t head;          /* oldest batch not yet handed out */
    uint64_t claim;         /* next batch to parse */
    uint64_t tail;          /* next batch slot to build */
    int prod_eof;           /* the inputs are used up */
    int workers_tried;      /* the threads were started (or tried) */
};

/* ---- reader.c ------------------------------------------------------ */

/*
 * dpi_reader_report - fill @err with @code, @offset and the message (what
 * is wrong, without the path: the caller adds the location from
 * dp_reader_path()/dp_reader_line()), and record @line (0: the whole
 * input) as the location. Returns @code.
 */
dp_status dpi_reader_report(dp_reader *r, dp_error *err, dp_status code,
                            uint64_t line, size_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* dpi_reader_set_path - replace the current path by @owned (freed later);
 * DP_ENOMEM when @owned is NULL. */
dp_status dpi_reader_set_path(dp_reader *r, char *owned);

/* dpi_reader_strdup - a malloc'd copy of @s, or NULL. */
char *dpi_reader_strdup(const char *s);

/*
 * dpi_reader_produce - the serial core: the next record or error from
 * whatever input comes next. With r->defer set, JSONL lines come back
 * unparsed (raw only, id and text NULL).
 */
dp_status dpi_reader_produce(dp_reader *r, dp_record *rec, dp_error *err);

/* ---- walk.c -------------------------------------------------------- */

/*
 * dpi_walk_next - open the next input: the next entry of the innermost
 * directory, else the memory input or the next path. DP_OK (an input is
 * open), DP_EOF (none left), or the reported error of an input that could
 * not be opened (the walk has moved past it).
 */
dp_status dpi_walk_next(dp_reader *r, dp_error *err);

/* dpi_walk_free - release the directory stack. */
void dpi_walk_free(dp_reader *r);

/* ---- source.c ------------------------------------------------------ */

/*
 * dpi_source_open - start reading r->path from descriptor @fd (-1: the
 * memory buffer); @named: a path was given (format and expected
 * compression from its name). Detects compression, skips a BOM, decides
 * r->fmt. On failure the input is closed and the error reported.
 */
dp_status dpi_source_open(dp_reader *r, int fd, int own_fd, int named,
                          dp_error *err);

/* dpi_source_open_file - open the file r->path and dpi_source_open() it. */
dp_status dpi_source_open_file(dp_reader *r, dp_error *err);

/* dpi_source_close - close the open input (its buffers stay for reuse). */
void dpi_source_close(dp_reader *r);

/* dpi_source_free - release what dpi_source_close() keeps. */
void dpi_source_free(dp_reader *r);

/*
 * dpi_source_fill - read more decompressed bytes into r->buf. DP_OK
 * (check r->src_eof for the end) or a growth failure.
 */
dp_status dpi_source_fill(dp_reader *r);

/*
 * dpi_source_line - the next line of the open input, blank ones included.
 * DP_OK with *line; DP_EOF at the end of a clean input (the caller closes
 * it); DP_ETOOBIG (a line over max_record, skipped) or the source's
 * error, both reported.
 */
dp_status dpi_source_line(dp_reader *r, dp_line *line, dp_error *err);

/*
 * dpi_source_all - the whole rest of the open input in r->buf (from
 * r->start to r->end, NUL-terminated). DP_OK, or the reported error
 * (DP_ETOOBIG, DP_ENOMEM, the source's); the input is then closed.
 */
dp_status dpi_source_all(dp_reader *r, dp_error *err);

/* ---- jsonl.c ------------------------------------------------------- */

/*
 * dpi_jsonl_parse - parse one JSON line (@len bytes, NUL-terminated) into
 * *@p (zeroed by the caller; @off is the line's offset in the input,
 * for the error offsets): UTF-8 checked or repaired per cfg->utf8,
 * duplicate keys refused, id, text and date taken, meta built. Touches no
 * reader state, so parse threads may call it at once on distinct lines.
 * On error p->detail and p->err_at say what and where; p->json and
 * p->meta may still need freeing (dpi_jsonl_clear()).
 */
dp_status dpi_jsonl_parse(const dp_json_cfg *cfg, const char *line, size_t len,
                          uint64_t off, dp_parsed *p);

/* dpi_jsonl_clear - free what *@p owns and zero it. */
void dpi_jsonl_clear(dp_parsed *p);

/* dpi_jsonl_next - the next record of a JSONL input; DP_EOF at its end. */
dp_status dpi_jsonl_next(dp_reader *r, dp_record *rec, dp_error *err);

/* dpi_json_next - the next record of a whole-JSON input (an object, or an
 * array of objects); DP_EOF at its end. */
dp_status dpi_json_next(dp_reader *r, dp_record *rec, dp_error *err);

/* dpi_json_close - forget the document of a whole-JSON input. */
void dpi_json_close(dp_reader *r);

/* ---- csv.c --------------------------------------------------------- */

/* dpi_csv_next - the next record of a CSV/TSV input; DP_EOF at its end. */
dp_status dpi_csv_next(dp_reader *r, dp_record *rec, dp_error *err);

/* dpi_csv_field - column @name of the last CSV record, or NULL. */
const char *dpi_csv_field(const dp_reader *r, const char *name, size_t *len);

/* dpi_csv_nfields - how many fields the last CSV record has (0: none). */
size_t dpi_csv_nfields(const dp_reader *r);

/* dpi_csv_field_at - field @i (< dpi_csv_nfields()) of the last record:
 * its value, column *@name and length *@len. */
const char *dpi_csv_field_at(const dp_reader *r, size_t i, const char **name,
                             size_t *len);

/* dpi_csv_close - free the CSV state of the closed input. */
void dpi_csv_close(dp_reader *r);

/* ---- ahead.c ------------------------------------------------------- */

/* dpi_ahead_start - set up parse-ahead with @threads parse threads (the
 * caller's included); the threads start with the second batch. */
dp_status dpi_ahead_start(dp_reader *r, unsigned threads);

/* dpi_ahead_next - dp_reader_next() in parse-ahead mode. */
dp_status dpi_ahead_next(dp_reader *r, dp_record *rec, dp_error *err);

/* dpi_ahead_field - dp_reader_field() of the last parse-ahead record. */
const char *dpi_ahead_field(const dp_reader *r, const char *name, size_t *len);

/* dpi_ahead_stop - stop and join the threads; free the ring. */
void dpi_ahead_stop(dp_reader *r);

#endif /* DP_CORPUS_CORPUS_H */
