/*
 * reader.c - the streaming corpus reader: turns a list of inputs (plain
 * text files, directories walked recursively, JSONL, gzip or zstd
 * compressed, standard input, or a memory buffer) into a sequence of
 * records (id, text, location, raw line, date).
 *
 * The data path has three layers, all inside one dp_reader:
 *
 *   inputs   the path list and a stack of directory frames (each holding
 *            the sorted entry names of one directory) decide which input
 *            is opened next (next_input);
 *   source   one open input: a file descriptor or a memory buffer, read
 *            in CHUNK-sized pieces, passed through zlib or libzstd when
 *            its magic bytes say so (src_read). A source error is stored
 *            and reported once the complete lines before it are used up;
 *   records  a growable buffer of decompressed bytes cut into lines at
 *            '\n' and parsed with jansson (next_jsonl), or read whole as
 *            one document (next_text). The buffer holds at most one line
 *            (or document) plus a chunk, and a line longer than the cap
 *            is skipped without being stored.
 *
 * Errors never end the stream: each is reported by one dp_reader_next()
 * call, with the path and line in the message, and the next call resumes
 * at the following line or input. See docs/inputs.md.
 *
 * With opts.threads > 1 a fourth layer sits on top ("parse-ahead"): the
 * same serial code (produce) leaves JSONL lines unparsed and its output
 * is cut into batches in a ring; parse threads, and the caller's thread
 * while it waits, parse whole batches and copy out the fields; the items
 * are handed out in their original order, so the stream is identical to
 * the serial one.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "core/util.h"

/* Bytes asked of a file (or produced by a decompressor) per read. */
#define CHUNK ((size_t)1 << 20)

/* A buffer larger than this is released when its input is closed, so one
 * huge document does not pin its memory for the rest of the run. */
#define KEEP_BUF ((size_t)4 * CHUNK)

typedef enum codec { CODEC_NONE, CODEC_GZIP, CODEC_ZSTD } codec;

/* One directory being walked: its path and its sorted visible entries. */
typedef struct dir_frame {
    char *path;   /* the directory, as given or joined (owned) */
    char **names; /* entry names, strcmp order, hidden ones left out */
    size_t n;     /* number of names */
    size_t i;     /* next name to visit */
    dev_t dev;    /* device and inode, to recognise symlink loops */
    ino_t ino;
} dir_frame;

/*
 * What parsing one JSONL line gives: the object and the fields the record
 * points into, or what was wrong. Self-contained, so parse threads can
 * fill one each (idnum/datenum hold integer ids and dates as text).
 */
typedef struct parsed {
    json_t *json;   /* the parsed value (owned), or NULL */
    const char *id; /* into json or idnum */
    size_t id_len;
    const char *text; /* into json */
    size_t text_len;
    const char *date; /* into json or datenum, or NULL */
    size_t date_len;
    char idnum[24];   /* an integer id in decimal (int64: <= 20 chars) */
    char datenum[24]; /* an integer date in decimal */
    size_t err_at;    /* on error: the fault's byte in the line */
    char detail[200]; /* on error: what is wrong */
} parsed;

/* Parse-ahead (opts.threads > 1): the reader thread cuts the input into
 * batches of items (raw lines to parse, plain-text documents, errors),
 * parse threads turn lines into records, and dp_reader_next() hands the
 * items out in their original order. */
#define BATCH_BYTES ((size_t)1 << 20) /* a batch closes past this... */
#define BATCH_ITEMS ((size_t)1024)    /* ...or at this many items */
#define MAX_THREADS 64u

typedef enum item_kind { ITEM_LINE, ITEM_TEXT, ITEM_ERROR } item_kind;

/* One record or error waiting in a batch. Offsets point into the batch's
 * `arena` (input side: paths, raw lines, texts) or `out` (what the parse
 * extracted), each string followed by a NUL. */
typedef struct item {
    item_kind kind;
    dp_status rc;          /* DP_OK, or the error to hand out */
    char *msg;             /* the error's full message (malloc'd), or NULL */
    size_t err_offset;     /* the error's dp_error.offset */
    size_t path;           /* arena: the input's path */
    size_t data, len;      /* arena: the raw line or the plain text */
    uint64_t line;         /* record line, or dp_reader_line() of the error */
    uint64_t offset;       /* record offset in the decompressed input */
    size_t id, id_len;     /* out: ITEM_LINE id */
    size_t text, text_len; /* out: ITEM_LINE text */
    size_t date, date_len; /* out: ITEM_LINE date, or (size_t)-1 */
    size_t fld, nfld;      /* ITEM_LINE: its string fields, flds[fld..+nfld) */
} item;

/* A top-level string field of a parsed line, for dp_reader_field(). */
typedef struct field {
    size_t key;      /* out: the name */
    size_t val, len; /* out: the value */
} field;

enum { BATCH_BUILT, BATCH_RUNNING, BATCH_DONE };

/* A run of consecutive items and the bytes they point into. The reader
 * thread fills `items` and `arena`; one parse thread then fills `out` and
 * `flds` and frees every JSON value it made (so no memory moves between
 * threads' allocator arenas); the reader thread hands the items out. */
typedef struct batch {
    item *items; /* BATCH_ITEMS slots, allocated once */
    size_t n;    /* items filled */
    size_t next; /* next item to hand out */
    char *arena; /* copies of paths, lines and texts */
    size_t arena_len, arena_cap;
    char *out; /* ids, texts, dates and fields parsed */
    size_t out_len, out_cap;
    field *flds; /* string fields of the parsed lines */
    size_t nflds, capflds;
    size_t path_off;        /* arena offset of the last path copied */
    unsigned long path_gen; /* which path that was (dp_reader.path_gen) */
    int state;              /* BATCH_*; guarded by dp_reader.mu */
} batch;

struct dp_reader {
    /* Options (field names copied). */
    char *id_field;               /* JSONL id field name */
    char *text_field;             /* JSONL text field name */
    char *date_field;             /* JSONL date field name, or NULL */
    dp_input_format format;       /* for named files */
    dp_input_format stdin_format; /* for "-" and memory input */
    dp_utf8_mode utf8;            /* plain-text UTF-8 policy */
    size_t max_record;            /* longest line or document, bytes */

    /* The inputs still to come. */
    char **paths;             /* copies of the paths given */
    size_t npaths;            /* number of paths */
    size_t next_path;         /* index of the next path to open */
    const unsigned char *mem; /* memory input (borrowed), or NULL */
    size_t mem_len;           /* its length */
    int mem_pending;          /* the memory input is yet to be read */
    dir_frame *dirs;          /* directory stack, innermost last */
    size_t ndirs, capdirs;    /* its depth and capacity */

    /* The open input ("source"). */
    int active;              /* an input is open */
    int fd;                  /* its descriptor, or -1 for memory */
    int own_fd;              /* close fd at the end (not stdin) */
    char *path;              /* path of the current or last input */
    int jsonl;               /* 1: JSONL, 0: one plain-text document */
    int text_done;           /* plain text: the document was handed out */
    codec codec;             /* decompression in use */
    z_stream z;              /* gzip state, when codec == CODEC_GZIP */
    int z_live;              /* z was initialised (inflateEnd due) */
    int member_done;         /* gzip: the last member ended cleanly */
    unsigned long members;   /* gzip: members ended before this one */
    ZSTD_DCtx *zd;           /* zstd state, kept across inputs */
    size_t zst_ret;          /* last ZSTD_decompressStream() result:
                                0 when a frame ended cleanly */
    const unsigned char *in; /* compressed (raw) bytes */
    size_t in_pos, in_len;   /* unread raw bytes are in[in_pos..in_len) */
    unsigned char *in_buf;   /* CHUNK-byte storage behind in (files) */
    int in_eof;              /* no raw bytes after in_len */
    int src_eof;             /* the source gives no more bytes */
    dp_status src_rc;        /* why it stopped, when not a clean end */
    char src_msg[160];       /* and what happened */

    /* Decompressed bytes, cut into lines. */
    char *buf;              /* bytes buf[start..end) are unconsumed */
    size_t cap, start, end; /* capacity (> end, room for a NUL) */
    size_t scan;            /* buf[start..scan) holds no '\n' */
    uint64_t lineno;        /* line number of the line at buf[start] */
    uint64_t lineoff;       /* its offset in the decompressed input */
    int skip_line;          /* discarding the rest of a long line */

    /* The last record or error. */
    json_t *json;            /* parsed object of the last JSONL record
                                (owned, serial mode) */
    const json_t *fields;    /* object dp_reader_field() looks in */
    const batch *view_batch; /* parse-ahead: where the last record's */
    const item *view_item;   /* fields are (dp_reader_field()) */
    parsed one;              /* the serial mode's parse */
    unsigned long path_gen;  /* bumped each time path changes */

    /* Parse-ahead, when threads > 1. */
    unsigned threads;       /* parse threads, the caller's included */
    int defer;              /* next_jsonl leaves lines unparsed */
    pthread_t *workers;     /* threads - 1 of them, or fewer */
    unsigned nworkers;      /* how many were started */
    pthread_mutex_t mu;     /* guards claim, tail, stop, states */
    pthread_cond_t work_cv; /* a batch was queued, or stop */
    pthread_cond_t done_cv; /* a batch was parsed */
    int stop;               /* workers must exit */
    batch *ring;            /* nring batch slots */
    size_t nring;
    uint64_t head;         /* oldest batch not yet handed out */
    uint64_t claim;        /* next batch to parse */
    uint64_t tail;         /* next batch slot to build */
    int prod_eof;          /* the inputs are used up */
    const char *view_path; /* path of the last item handed out */
    int started;           /* dp_reader_next() was called */
    int workers_tried;     /* workers_start() ran */
    uint64_t loc_line;     /* its line, 0 for a whole input */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static dp_status errno_status(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return DP_ENOENT;
    case EACCES:
    case EPERM: return DP_EACCES;
    case EISDIR: return DP_EISDIR;
    case ENOMEM: return DP_ENOMEM;
    default: return DP_EIO;
    }
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* dir + "/" + name, without doubling a trailing slash of dir. */
static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + (size_t)slash + b + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + (size_t)slash, name, b + 1);
    return p;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/*
 * Report an error at the reader's current path: the message reads
 * "PATH:LINE: detail", or "PATH: detail" when @line is 0. Records the
 * location for dp_reader_path()/dp_reader_line(). Returns @code.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static dp_status
report(dp_reader *r, dp_error *err, dp_status code, uint64_t line,
       size_t offset, const char *fmt, ...)
{
    char detail[224];
    va_list ap;
    const char *path = r->path ? r->path : "(no input)";

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    r->loc_line = line;
    if (line)
        return dpi_error_set(err, code, offset, "%s:%" PRIu64 ": %s", path, line,
                            detail);
    return dpi_error_set(err, code, offset, "%s: %s", path, detail);
}

/* Replace the current path (the old one is freed: record pointers into it
 * were valid only until this call). */
static dp_status set_path(dp_reader *r, char *owned)
{
    free(r->path);
    r->path = owned;
    r->path_gen++;
    return owned ? DP_OK : DP_ENOMEM;
}

/*
 * Offset of the first byte of @s that does not begin a well-formed UTF-8
 * sequence (RFC 3629: no overlongs, no surrogates, nothing past
 * U+10FFFF), or @n when all of it is valid.
 */
static size_t utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            /* ASCII fast path: eight bytes at a time. */
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                i += 8;
            }
            while (i < n && s[i] < 0x80)
                i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return i;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
            unsigned hi = c == 0xED ? 0x9F : 0xBF;
            if (i + 2 >= n || s[i + 1] < lo || s[i + 1] > hi ||
                (s[i + 2] & 0xC0) != 0x80)
                return i;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned lo = c == 0xF0 ? 0x90 : 0x80;
            unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
            if (i + 3 >= n || s[i + 1] < lo || s[i + 1] > hi ||
                (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80)
                return i;
            i += 4;
        } else {
            return i;
        }
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Source: raw bytes, decompressed                                       */
/* ------------------------------------------------------------------ */

/* Stop the source with an error, reported once the buffered lines are
 * used up. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
src_fail(dp_reader *r, dp_status code, const char *fmt, ...)
{
    va_list ap;
    if (r->src_eof)
        return;
    va_start(ap, fmt);
    vsnprintf(r->src_msg, sizeof r->src_msg, fmt, ap);
    va_end(ap);
    r->src_rc = code;
    r->src_eof = 1;
}

/*
 * Refill the raw buffer once it is used up. Files only; a memory input is
 * all in `in` from the start. Returns 0, or -1 after src_fail().
 */
static int raw_fill(dp_reader *r)
{
    ssize_t n;

    assert(r->in_pos == r->in_len);
    if (r->fd < 0 || r->in_eof) {
        r->in_eof = 1;
        return 0;
    }
    for (;;) {
        n = read(r->fd, r->in_buf, CHUNK);
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n < 0) {
        int e = errno;
        src_fail(r, errno_status(e), "read failed: %s", strerror(e));
        return -1;
    }
    r->in = r->in_buf;
    r->in_pos = 0;
    r->in_len = (size_t)n;
    if (n == 0)
        r->in_eof = 1;
    return 0;
}

static size_t read_plain(dp_reader *r, char *dst, size_t room)
{
    ssize_t n;

    if (r->in_pos < r->in_len) {
        size_t k = DP_MIN(room, r->in_len - r->in_pos);
        memcpy(dst, r->in + r->in_pos, k);
        r->in_pos += k;
        return k;
    }
    if (r->fd < 0 || r->in_eof) {
        r->src_eof = 1;
        return 0;
    }
    /* The raw buffer is drained: read straight into the line buffer. */
    for (;;) {
        n = read(r->fd, dst, room);
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n < 0) {
        int e = errno;
        src_fail(r, errno_status(e), "read failed: %s", strerror(e));
        return 0;
    }
    if (n == 0)
        r->src_eof = 1;
    return (size_t)n;
}

static size_t read_gzip(dp_reader *r, char *dst, size_t room)
{
    z_stream *z = &r->z;

    if (room > UINT_MAX)
        room = UINT_MAX;
    for (;;) {
        size_t avail, made;
        int ret;

        if (r->in_pos == r->in_len && !r->in_eof && raw_fill(r))
            return 0;
        avail = r->in_len - r->in_pos;
        if (r->member_done) {
            if (avail == 0) {
                r->src_eof = 1; /* clean end after the last member */
                return 0;
            }
            /* Another member follows (gzip allows concatenation). */
            if (inflateReset(z) != Z_OK) {
                src_fail(r, DP_EINTERNAL, "inflateReset failed");
                return 0;
            }
            r->member_done = 0;
            r->members++;
        }
        if (avail == 0) {
            src_fail(r, DP_ECOMPRESS, "gzip data is truncated");
            return 0;
        }
        z->next_in = (Bytef *)(uintptr_t)(r->in + r->in_pos);
        z->avail_in = (uInt)DP_MIN(avail, (size_t)UINT_MAX);
        z->next_out = (Bytef *)dst;
        z->avail_out = (uInt)room;
        ret = inflate(z, Z_NO_FLUSH);
        made = room - z->avail_out;
        if (ret == Z_BUF_ERROR && made == 0 &&
            z->next_in == r->in + r->in_pos) {
            /* No progress with input and room on both sides. */
            src_fail(r, DP_ECOMPRESS, "corrupt gzip data: inflate stalled");
            return 0;
        }
        r->in_pos = (size_t)(z->next_in - r->in);
        if (ret == Z_STREAM_END) {
            r->member_done = 1;
        } else if (ret == Z_MEM_ERROR) {
            src_fail(r, DP_ENOMEM, "out of memory decompressing gzip");
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            const char *m = z->msg ? z->msg : "inflate failed";
            if (r->members > 0 && z->total_out == 0 &&
                strcmp(m, "incorrect header check") == 0)
                src_fail(r, DP_ECOMPRESS,
                         "trailing bytes after the last gzip member are "
                         "not gzip data (%s)",
                         m);
            else if (strcmp(m, "incorrect data check") == 0)
                src_fail(r, DP_ECOMPRESS,
                         "corrupt gzip data: incorrect data check (CRC "
                         "mismatch: the lines read from this member may be "
                         "damaged)");
            else
                src_fail(r, DP_ECOMPRESS, "corrupt gzip data: %s", m);
        }
        if (made > 0 || r->src_eof)
            return made;
    }
}

static size_t read_zstd(dp_reader *r, char *dst, size_t room)
{
    for (;;) {
        ZSTD_inBuffer zin;
        ZSTD_outBuffer zout;
        size_t ret;

        if (r->in_pos == r->in_len) {
            if (!r->in_eof && raw_fill(r))
                return 0;
            if (r->in_pos == r->in_len) {
                if (r->zst_ret != 0)
                    src_fail(r, DP_ECOMPRESS, "zstd data is truncated");
                else
                    r->src_eof = 1;
                return 0;
            }
        }
        zin.src = r->in;
        zin.size = r->in_len;
        zin.pos = r->in_pos;
        zout.dst = dst;
        zout.size = room;
        zout.pos = 0;
        ret = ZSTD_decompressStream(r->zd, &zout, &zin);
        r->in_pos = zin.pos;
        if (ZSTD_isError(ret)) {
            if (ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation)
                src_fail(r, DP_ENOMEM, "out of memory decompressing zstd");
            else
                src_fail(r, DP_ECOMPRESS, "corrupt zstd data: %s",
                         ZSTD_getErrorName(ret));
            return zout.pos;
        }
        r->zst_ret = ret;
        if (zout.pos > 0)
            return zout.pos;
    }
}

/* Decompressed bytes into dst[0..room); 0 at the end or on an error
 * (then src_eof is set and src_rc says which). */
static size_t src_read(dp_reader *r, char *dst, size_t room)
{
    if (r->src_eof)
        return 0;
    switch (r->codec) {
    case CODEC_GZIP: return read_gzip(r, dst, room);
    case CODEC_ZSTD: return read_zstd(r, dst, room);
    case CODEC_NONE: break;
    }
    return read_plain(r, dst, room);
}

/*
 * Read more decompressed bytes into the line buffer, first moving the
 * unconsumed part to the front and growing the buffer if the part fills
 * most of it. Returns DP_OK (check src_eof for the end) or a growth
 * failure (DP_ENOMEM / DP_ETOOBIG).
 */
static dp_status fill(dp_reader *r)
{
    size_t n, want = CHUNK;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    /* An uncompressed memory input needs no more room than it has left
     * (small request bodies and fuzz inputs stay small). */
    if (r->fd < 0 && r->codec == CODEC_NONE)
        want = DP_MIN(CHUNK, r->in_len - r->in_pos + 1);
    if (r->cap < r->end + 1 + want / 4 + 1) {
        dp_status rc = dpi_grow((void **)&r->buf, &r->cap, r->end + 1 + want, 1);
        if (rc)
            return rc;
    }
    n = src_read(r, r->buf + r->end, r->cap - r->end - 1);
    r->end += n;
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Opening and closing inputs                                           */
/* ------------------------------------------------------------------ */

static void close_input(dp_reader *r)
{
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->own_fd = 0;
    if (r->z_live)
        inflateEnd(&r->z);
    r->z_live = 0;
    r->active = 0;
    r->in = NULL;
    r->in_pos = r->in_len = 0;
    r->start = r->end = r->scan = 0;
    if (r->cap > KEEP_BUF) {
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
    }
}

/* Is @fmt acceptable as a dp_input_format value? */
static int format_ok(dp_input_format fmt)
{
    return fmt == DP_FORMAT_AUTO || fmt == DP_FORMAT_JSONL ||
           fmt == DP_FORMAT_TEXT;
}

/*
 * Start reading the input r->path from descriptor @fd (-1: the memory
 * buffer). @named: a path was given (format and expected compression from
 * its name) rather than stdin or memory. On failure the input is closed
 * and the error reported.
 */
static dp_status open_source(dp_reader *r, int fd, int own_fd, int named,
                             dp_error *err)
{
    const char *p = r->path;
    size_t plen = strlen(p);
    codec want = CODEC_NONE;
    dp_input_format fmt = named ? r->format : r->stdin_format;
    dp_status rc;

    r->active = 1;
    r->fd = fd;
    r->own_fd = own_fd;
    r->text_done = 0;
    r->src_eof = 0;
    r->src_rc = DP_OK;
    r->src_msg[0] = '\0';
    r->in_eof = 0;
    r->member_done = 0;
    r->members = 0;
    r->zst_ret = 1;
    r->skip_line = 0;
    r->lineno = 1;
    r->lineoff = 0;
    r->start = r->end = r->scan = 0;

    if (named) {
        if (ends_with(p, plen, ".gz")) {
            want = CODEC_GZIP;
            plen -= 3;
        } else if (ends_with(p, plen, ".zst")) {
            want = CODEC_ZSTD;
            plen -= 4;
        } else if (ends_with(p, plen, ".zstd")) {
            want = CODEC_ZSTD;
            plen -= 5;
        }
    }
    if (fmt == DP_FORMAT_AUTO && named)
        fmt = ends_with(p, plen, ".jsonl") || ends_with(p, plen, ".ndjson") ||
                      ends_with(p, plen, ".json")
                  ? DP_FORMAT_JSONL
                  : DP_FORMAT_TEXT;

    /* Raw bytes: enough to see a magic number. */
    if (fd >= 0) {
        if (!r->in_buf) {
            r->in_buf = malloc(CHUNK);
            if (!r->in_buf) {
                close_input(r);
                return report(r, err, DP_ENOMEM, 0, (size_t)-1,
                              "out of memory");
            }
        }
        r->in = r->in_buf;
        r->in_pos = r->in_len = 0;
        while (r->in_len < 4) {
            ssize_t n = read(fd, r->in_buf + r->in_len, CHUNK - r->in_len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                int e = errno;
                close_input(r);
                return report(r, err, errno_status(e), 0, (size_t)-1,
                              "cannot read: %s", strerror(e));
            }
            if (n == 0) {
                r->in_eof = 1;
                break;
            }
            r->in_len += (size_t)n;
        }
    } else {
        r->in = r->mem;
        r->in_pos = 0;
        r->in_len = r->mem_len;
        r->in_eof = 1;
    }

    /* Compression by magic bytes; a name that promises it must keep it. */
    if (r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b)
        r->codec = CODEC_GZIP;
    else if (r->in_len >= 4 &&
             ((r->in[0] == 0x28 && r->in[1] == 0xb5 && r->in[2] == 0x2f &&
               r->in[3] == 0xfd) ||
              /* a skippable frame (magic 0x184D2A5?) may come first */
              ((r->in[0] & 0xf0) == 0x50 && r->in[1] == 0x2a &&
               r->in[2] == 0x4d && r->in[3] == 0x18)))
        r->codec = CODEC_ZSTD;
    else
        r->codec = CODEC_NONE;
    if (want != CODEC_NONE && r->codec == CODEC_NONE) {
        close_input(r);
        return report(r, err, DP_ECOMPRESS, 0, 0, "not %s data",
                      want == CODEC_GZIP ? "gzip" : "zstd");
    }
    if (r->codec == CODEC_GZIP) {
        memset(&r->z, 0, sizeof r->z);
        if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
            close_input(r);
            return report(r, err, DP_ENOMEM, 0, (size_t)-1,
                          "cannot start gzip decompression");
        }
        r->z_live = 1;
    } else if (r->codec == CODEC_ZSTD) {
        if (!r->zd)
            r->zd = ZSTD_createDCtx();
        if (!r->zd ||
            ZSTD_isError(ZSTD_DCtx_reset(r->zd, ZSTD_reset_session_only))) {
            close_input(r);
            return report(r, err, DP_ENOMEM, 0, (size_t)-1,
                          "cannot start zstd decompression");
        }
    }

    /* A UTF-8 byte order mark at the start is not content. */
    while (r->end < 3 && !r->src_eof) {
        rc = fill(r);
        if (rc) {
            close_input(r);
            return report(r, err, rc, 0, (size_t)-1, "out of memory");
        }
    }
    if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
        r->start = r->scan = 3;
        r->lineoff = 3;
    }

    /* Stdin and memory: JSONL when the first non-space byte is '{'. */
    if (fmt == DP_FORMAT_AUTO) {
        size_t i = r->start;
        for (;;) {
            while (i < r->end && strchr(" \t\r\n", r->buf[i]) &&
                   r->buf[i] != '\0')
                i++;
            if (i < r->end || r->src_eof || r->end - r->start > r->max_record)
                break;
            i -= r->start;
            rc = fill(r);
            i += r->start;
            if (rc) {
                close_input(r);
                return report(r, err, rc, 0, (size_t)-1, "out of memory");
            }
        }
        /* All blank (or empty): no documents, read as JSONL. */
        fmt =
            i == r->end || r->buf[i] == '{' ? DP_FORMAT_JSONL : DP_FORMAT_TEXT;
    }
    r->jsonl = fmt == DP_FORMAT_JSONL;
    return DP_OK;
}

/* Open the file r->path (already stat'ed as not a directory). */
static dp_status open_file(dp_reader *r, dp_error *err)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;

    if (fd < 0) {
        int e = errno;
        return report(r, err, errno_status(e), 0, (size_t)-1, "%s",
                      strerror(e));
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return report(r, err, DP_EISDIR, 0, (size_t)-1,
                      "is a directory, not a file");
    }
    return open_source(r, fd, 1, 1, err);
}

static int by_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_frame(dir_frame *f)
{
    size_t i;
    for (i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    free(f->path);
}

/* Push the directory r->path (stat'ed as @st) on the walk stack, reading
 * and sorting its visible entries. */
static dp_status push_dir(dp_reader *r, const struct stat *st, dp_error *err)
{
    dir_frame f;
    size_t capn = 0;
    DIR *d;
    struct dirent *de;
    dp_status rc;

    memset(&f, 0, sizeof f);
    f.dev = st->st_dev;
    f.ino = st->st_ino;
    d = opendir(r->path);
    if (!d) {
        int e = errno;
        return report(r, err, errno_status(e), 0, (size_t)-1,
                      "cannot open directory: %s", strerror(e));
    }
    for (;;) {
        char *name;
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) {
                int e = errno;
                closedir(d);
                free_frame(&f);
                return report(r, err, errno_status(e), 0, (size_t)-1,
                              "cannot list directory: %s", strerror(e));
            }
            break;
        }
        if (de->d_name[0] == '.')
            continue; /* hidden, and "." and ".." */
        rc = DP_RESERVE(f.names, capn, f.n + 1);
        name = rc ? NULL : dup_str(de->d_name);
        if (!name) {
            closedir(d);
            free_frame(&f);
            return report(r, err, DP_ENOMEM, 0, (size_t)-1,
                          "out of memory listing the directory");
        }
        f.names[f.n++] = name;
    }
    closedir(d);
    if (f.n > 1)
        qsort(f.names, f.n, sizeof *f.names, by_strcmp);
    f.path = dup_str(r->path);
    rc = f.path ? DP_RESERVE(r->dirs, r->capdirs, r->ndirs + 1) : DP_ENOMEM;
    if (rc) {
        free_frame(&f);
        return report(r, err, DP_ENOMEM, 0, (size_t)-1, "out of memory");
    }
    r->dirs[r->ndirs++] = f;
    return DP_OK;
}

/* Is (dev, ino) a directory on the walk stack already (a symlink loop)? */
static int on_stack(const dp_reader *r, const struct stat *st)
{
    size_t i;
    for (i = 0; i < r->ndirs; i++)
        if (r->dirs[i].dev == st->st_dev && r->dirs[i].ino == st->st_ino)
            return 1;
    return 0;
}

/*
 * Open the next input: the next entry of the innermost directory, else
 * the next path. Returns DP_OK (an input is open), DP_EOF (none left) or
 * the error of an input that could not be opened (already reported; the
 * walk moves past it).
 */
static dp_status next_input(dp_reader *r, dp_error *err)
{
    struct stat st;

    r->loc_line = 0;
    for (;;) {
        if (r->ndirs > 0) {
            dir_frame *f = &r->dirs[r->ndirs - 1];
            if (f->i == f->n) {
                free_frame(f);
                r->ndirs--;
                continue;
            }
            if (set_path(r, join_path(f->path, f->names[f->i++])))
                return report(r, err, DP_ENOMEM, 0, (size_t)-1,
                              "out of memory");
            if (stat(r->path, &st) != 0) {
                int e = errno;
                return report(r, err, errno_status(e), 0, (size_t)-1, "%s",
                              strerror(e));
            }
            if (S_ISDIR(st.st_mode)) {
                dp_status rc;
                if (on_stack(r, &st))
                    continue; /* a symlink back into the walk: a loop */
                rc = push_dir(r, &st, err);
                if (rc)
                    return rc;
                continue;
            }
            if (!S_ISREG(st.st_mode))
                continue; /* fifos, sockets, devices inside directories */
            return open_file(r, err);
        }
        if (r->mem_pending) {
            r->mem_pending = 0;
            return open_source(r, -1, 0, 0, err);
        }
        if (r->next_path == r->npaths)
            return DP_EOF;
        if (set_path(r, dup_str(r->paths[r->next_path++])))
            return report(r, err, DP_ENOMEM, 0, (size_t)-1, "out of memory");
        if (strcmp(r->path, "-") == 0)
            return open_source(r, STDIN_FILENO, 0, 0, err);
        if (stat(r->path, &st) != 0) {
            int e = errno;
            return report(r, err, errno_status(e), 0, (size_t)-1, "%s",
                          strerror(e));
        }
        if (S_ISDIR(st.st_mode)) {
            dp_status rc = push_dir(r, &st, err);
            if (rc)
                return rc;
            continue;
        }
        return open_file(r, err);
    }
}

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* The error that stopped the source, once its complete lines are used.
 * Closes the input. */
static dp_status source_error(dp_reader *r, dp_error *err, size_t partial)
{
    dp_status rc = r->src_rc;
    uint64_t line = partial ? r->lineno : 0;
    size_t off = r->lineoff + partial;

    close_input(r);
    if (partial)
        return report(r, err, rc, line, off,
                      "%s (the input is not read "
                      "past this line)",
                      r->src_msg);
    return report(r, err, rc, 0, off, "%s", r->src_msg);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static dp_status
parse_fail(parsed *p, dp_status code, size_t at, const char *fmt, ...)
{
    va_list ap;
    p->err_at = at;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    return code;
}

/*
 * Parse one JSONL line into *p (which the caller zeroed). Touches no
 * reader state, so it may run in several threads at once on distinct
 * lines. On error, p->json may still hold a value to release.
 */
static dp_status parse_record(const dp_reader *r, const char *line, size_t len,
                              parsed *p)
{
    json_error_t je;
    json_t *j, *v;

    j = json_loadb(line, len, 0, &je);
    if (!j && json_error_code(&je) == json_error_numeric_overflow)
        /* A huge integer somewhere: keep the record, as reals. */
        j = json_loadb(line, len, JSON_DECODE_INT_AS_REAL, &je);
    if (!j)
        return parse_fail(p, DP_EJSON, (size_t)je.position,
                          "malformed JSON at byte %d: %s%s", je.position,
                          json_error_code(&je) == json_error_invalid_utf8
                              ? "invalid UTF-8: "
                              : "",
                          je.text);
    p->json = j;
    if (!json_is_object(j))
        return parse_fail(p, DP_EJSON, 0, "expected a JSON object, found %s",
                          type_name(j));

    v = json_object_get(j, r->id_field);
    if (!v)
        return parse_fail(p, DP_EFIELD, 0, "no \"%s\" (id) field", r->id_field);
    if (json_is_string(v)) {
        p->id = json_string_value(v);
        p->id_len = json_string_length(v);
        if (p->id_len == 0)
            return parse_fail(p, DP_EFIELD, 0, "the \"%s\" (id) field is empty",
                              r->id_field);
    } else if (json_is_integer(v)) {
        int n = snprintf(p->idnum, sizeof p->idnum, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
        p->id = p->idnum;
        p->id_len = (size_t)n;
    } else {
        return parse_fail(p, DP_EFIELD, 0,
                          "the \"%s\" (id) field is %s, not a string or an "
                          "integer",
                          r->id_field, type_name(v));
    }

    v = json_object_get(j, r->text_field);
    if (!v)
        return parse_fail(p, DP_EFIELD, 0, "no \"%s\" (text) field",
                          r->text_field);
    if (!json_is_string(v))
        return parse_fail(p, DP_EFIELD, 0,
                          "the \"%s\" (text) field is %s, not a string",
                          r->text_field, type_name(v));
    p->text = json_string_value(v);
    p->text_len = json_string_length(v);

    v = r->date_field ? json_object_get(j, r->date_field) : NULL;
    if (v && json_is_string(v)) {
        p->date = json_string_value(v);
        p->date_len = json_string_length(v);
    } else if (v && json_is_integer(v)) {
        int n = snprintf(p->datenum, sizeof p->datenum, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
        p->date = p->datenum;
        p->date_len = (size_t)n;
    }
    return DP_OK;
}

/* Copy a successful parse into the record. */
static void parsed_to_record(const parsed *p, dp_record *rec)
{
    rec->id = p->id;
    rec->id_len = p->id_len;
    rec->text = p->text;
    rec->text_len = p->text_len;
    rec->date = p->date;
    rec->date_len = p->date_len;
}

/* Parse one JSONL line (NUL-terminated at line[len]) into *rec, in the
 * calling thread. */
static dp_status parse_line(dp_reader *r, char *line, size_t len, uint64_t lnum,
                            uint64_t off, dp_record *rec, dp_error *err)
{
    parsed *p = &r->one;
    dp_status rc;

    memset(p, 0, offsetof(parsed, detail) + 1);
    rc = parse_record(r, line, len, p);
    r->json = p->json;
    if (rc)
        return report(r, err, rc, lnum, off + p->err_at, "%s", p->detail);
    parsed_to_record(p, rec);
    rec->source = r->path;
    rec->line = lnum;
    rec->offset = off;
    rec->raw = line;
    rec->raw_len = len;
    r->loc_line = lnum;
    return DP_OK;
}

/*
 * The next record of a JSONL input: DP_OK, a per-line error, or DP_EOF
 * when the input is used up (the caller then closes it).
 */
static dp_status next_jsonl(dp_reader *r, dp_record *rec, dp_error *err)
{
    for (;;) {
        char *line, *nl;
        size_t len, used, i;
        uint64_t lnum, off;
        dp_status rc;

        nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        if (r->skip_line) {
            /* Discard the rest of an over-long line. */
            if (!nl) {
                r->lineoff += r->end - r->start;
                r->start = r->scan = r->end;
                if (r->src_eof) {
                    r->skip_line = 0;
                    continue;
                }
                rc = fill(r);
                if (rc) {
                    close_input(r);
                    return report(r, err, rc, 0, (size_t)-1, "out of memory");
                }
                continue;
            }
            used = (size_t)(nl + 1 - (r->buf + r->start));
            r->lineoff += used;
            r->lineno++;
            r->start = r->scan = r->start + used;
            r->skip_line = 0;
            continue;
        }
        if (!nl) {
            r->scan = r->end;
            if (r->end - r->start > r->max_record + 1) {
                rc = report(r, err, DP_ETOOBIG, r->lineno, r->lineoff,
                            "line is longer than the %zu-byte limit",
                            r->max_record);
                r->skip_line = 1;
                return rc;
            }
            if (!r->src_eof) {
                rc = fill(r);
                if (rc) {
                    /* The line cannot be held: skip it. */
                    r->skip_line = 1;
                    return report(r, err, rc, r->lineno, r->lineoff,
                                  "no memory for a %zu-byte line",
                                  r->end - r->start);
                }
                continue;
            }
            if (r->src_rc)
                return source_error(r, err, r->end - r->start);
            if (r->start == r->end)
                return DP_EOF;
            /* The last line has no newline. */
            line = r->buf + r->start;
            len = r->end - r->start;
            used = len;
        } else {
            line = r->buf + r->start;
            len = (size_t)(nl - line);
            used = len + 1;
        }
        lnum = r->lineno++;
        off = r->lineoff;
        r->lineoff += used;
        r->start += used;
        r->scan = r->start;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        line[len] = '\0'; /* cap > end keeps room for this at EOF */

        for (i = 0; i < len; i++)
            if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                break;
        if (i == len)
            continue; /* blank line */
        if (len > r->max_record)
            return report(r, err, DP_ETOOBIG, lnum, off,
                          "line is longer than the %zu-byte limit",
                          r->max_record);
        if (r->defer) {
            /* Parse-ahead: a parse thread will parse the line. */
            rec->source = r->path;
            rec->line = lnum;
            rec->offset = off;
            rec->raw = line;
            rec->raw_len = len;
            r->loc_line = lnum;
            return DP_OK;
        }
        return parse_line(r, line, len, lnum, off, rec, err);
    }
}

/* The one document of a plain-text input, or DP_EOF once handed out. */
static dp_status next_text(dp_reader *r, dp_record *rec, dp_error *err)
{
    size_t len, bad;

    if (r->text_done)
        return DP_EOF;
    while (!r->src_eof) {
        dp_status rc;
        if (r->end - r->start > r->max_record) {
            close_input(r);
            return report(r, err, DP_ETOOBIG, 0, (size_t)-1,
                          "document is longer than the %zu-byte limit",
                          r->max_record);
        }
        rc = fill(r);
        if (rc) {
            close_input(r);
            return report(r, err, rc, 0, (size_t)-1,
                          "no memory to hold the document");
        }
    }
    if (r->src_rc)
        return source_error(r, err, 0);
    len = r->end - r->start;
    if (len > r->max_record) {
        close_input(r);
        return report(r, err, DP_ETOOBIG, 0, (size_t)-1,
                      "document is longer than the %zu-byte limit",
                      r->max_record);
    }
    r->buf[r->end] = '\0';
    if (r->utf8 == DP_UTF8_REJECT) {
        const unsigned char *t = (const unsigned char *)r->buf + r->start;
        bad = utf8_check(t, len);
        if (bad < len) {
            uint64_t line = 1;
            size_t i, col = bad;
            for (i = 0; i < bad; i++) {
                if (t[i] == '\n') {
                    line++;
                    col = bad - i - 1;
                }
            }
            close_input(r);
            return report(r, err, DP_EUTF8, line, r->lineoff + bad,
                          "invalid UTF-8 at byte %" PRIu64
                          " of the input (byte %zu of the line)",
                          (uint64_t)(r->lineoff + bad), col + 1);
        }
    }
    r->text_done = 1;
    rec->id = r->path;
    rec->id_len = strlen(r->path);
    rec->text = r->buf + r->start;
    rec->text_len = len;
    rec->source = r->path;
    rec->line = 1;
    rec->offset = r->lineoff;
    r->loc_line = 1;
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

void dp_reader_opts_init(dp_reader_opts *opts)
{
    assert(opts);
    memset(opts, 0, sizeof *opts);
    opts->id_field = "id";
    opts->text_field = "text";
    opts->date_field = "date";
    opts->format = DP_FORMAT_AUTO;
    opts->stdin_format = DP_FORMAT_AUTO;
    opts->utf8 = DP_UTF8_REJECT;
    opts->max_record_bytes = DP_READER_MAX_RECORD;
    opts->threads = 1;
}

static dp_status threads_start(dp_reader *r, unsigned threads);
static void workers_start(dp_reader *r);

/* A reader with options set and no inputs yet. */
static dp_status reader_new(const dp_reader_opts *opts, dp_reader **out,
                            dp_error *err)
{
    dp_reader_opts d;
    dp_reader *r;

    if (!opts) {
        dp_reader_opts_init(&d);
        opts = &d;
    }
    if ((opts->id_field && !opts->id_field[0]) ||
        (opts->text_field && !opts->text_field[0]))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                            "empty id or text field name");
    if (!format_ok(opts->format) || !format_ok(opts->stdin_format) ||
        (opts->utf8 != DP_UTF8_REJECT && opts->utf8 != DP_UTF8_REPLACE))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                            "unknown input format or UTF-8 mode");
    if (opts->max_record_bytes > DP_MAX_DOC_BYTES)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                            "max_record_bytes is over %zu",
                            (size_t)DP_MAX_DOC_BYTES);
    if (opts->threads > MAX_THREADS)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "threads is over %u",
                            MAX_THREADS);
    r = calloc(1, sizeof *r);
    if (!r)
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    r->fd = -1;
    r->format = opts->format;
    r->stdin_format = opts->stdin_format;
    r->utf8 = opts->utf8;
    r->max_record =
        opts->max_record_bytes ? opts->max_record_bytes : DP_READER_MAX_RECORD;
    r->id_field = dup_str(opts->id_field ? opts->id_field : "id");
    r->text_field = dup_str(opts->text_field ? opts->text_field : "text");
    if (opts->date_field && opts->date_field[0])
        r->date_field = dup_str(opts->date_field);
    if (!r->id_field || !r->text_field ||
        (opts->date_field && opts->date_field[0] && !r->date_field) ||
        (opts->threads > 1 && threads_start(r, opts->threads))) {
        dp_reader_free(r);
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    }
    *out = r;
    return DP_OK;
}

dp_status dp_reader_open(const char *const *paths, size_t npaths,
                         const dp_reader_opts *opts, dp_reader **out,
                         dp_error *err)
{
    dp_reader *r;
    dp_status rc;
    size_t i;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no output handle");
    *out = NULL;
    if (npaths > 0 && !paths)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no paths given");
    for (i = 0; i < npaths; i++)
        if (!paths[i])
            return dpi_error_set(err, DP_EINVAL, (size_t)-1, "path %zu is NULL",
                                i);
    rc = reader_new(opts, &r, err);
    if (rc)
        return rc;
    if (npaths > 0) {
        r->paths = calloc(npaths, sizeof *r->paths);
        if (!r->paths)
            goto nomem;
        for (i = 0; i < npaths; i++) {
            r->paths[i] = dup_str(paths[i]);
            if (!r->paths[i])
                goto nomem;
            r->npaths = i + 1;
        }
    }
    *out = r;
    return DP_OK;
nomem:
    dp_reader_free(r);
    return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
}

dp_status dp_reader_open_memory(const void *data, size_t len, const char *name,
                                const dp_reader_opts *opts, dp_reader **out,
                                dp_error *err)
{
    dp_reader *r;
    dp_status rc;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no output handle");
    *out = NULL;
    if (!data && len > 0)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no data given");
    rc = reader_new(opts, &r, err);
    if (rc)
        return rc;
    r->mem = data ? data : (const void *)"";
    r->mem_len = len;
    r->mem_pending = 1;
    r->path = dup_str(name ? name : "(memory)");
    if (!r->path) {
        dp_reader_free(r);
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
    }
    *out = r;
    return DP_OK;
}

/*
 * The serial core: the next record or error, from whatever input comes
 * next. With r->defer set, JSONL lines come back unparsed (raw only).
 */
static dp_status produce(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_status rc;

    for (;;) {
        if (!r->active) {
            rc = next_input(r, err);
            if (rc == DP_EOF) {
                r->loc_line = 0;
                return DP_EOF;
            }
            if (rc)
                return rc;
            if (!r->active)
                continue; /* a directory was pushed */
        }
        rc = r->jsonl ? next_jsonl(r, rec, err) : next_text(r, rec, err);
        if (rc == DP_EOF) {
            close_input(r);
            continue;
        }
        return rc;
    }
}

/* ---- parse-ahead ---------------------------------------------------- */

/* Append @len bytes and a NUL to the buffer *@buf (length *@blen,
 * capacity *@bcap); the offset, or (size_t)-1 when memory runs out. */
static size_t buf_put(char **buf, size_t *blen, size_t *bcap, const char *data,
                      size_t len)
{
    size_t at = *blen, need;

    if (__builtin_add_overflow(at, len, &need) ||
        __builtin_add_overflow(need, 1, &need) ||
        dpi_grow((void **)buf, bcap, need, 1))
        return (size_t)-1;
    memcpy(*buf + at, data, len);
    (*buf)[at + len] = '\0';
    *blen = need;
    return at;
}

static size_t arena_put(batch *b, const char *data, size_t len)
{
    return buf_put(&b->arena, &b->arena_len, &b->arena_cap, data, len);
}

/* Arena offset of the reader's current path, copied once per input. */
static size_t arena_path(dp_reader *r, batch *b)
{
    const char *p = r->path ? r->path : "(no input)";
    if (b->path_gen != r->path_gen || b->path_off == (size_t)-1) {
        b->path_off = arena_put(b, p, strlen(p));
        b->path_gen = r->path_gen;
    }
    return b->path_off;
}

/* Release what the items of @b own, leaving the slot ready for reuse. */
static void batch_clear(batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        free(b->items[i].msg);
    b->n = b->next = 0;
    b->arena_len = b->out_len = b->nflds = 0;
    b->path_off = (size_t)-1;
    if (b->arena_cap > KEEP_BUF) { /* after a huge line or document */
        free(b->arena);
        b->arena = NULL;
        b->arena_cap = 0;
    }
    if (b->out_cap > KEEP_BUF) {
        free(b->out);
        b->out = NULL;
        b->out_cap = 0;
    }
}

/* Fill @b with the next items, up to BATCH_ITEMS or about BATCH_BYTES.
 * Sets r->prod_eof when the inputs are used up. */
static void batch_build(dp_reader *r, batch *b)
{
    batch_clear(b);
    while (b->n < BATCH_ITEMS && b->arena_len < BATCH_BYTES) {
        dp_record rec;
        dp_error e;
        dp_status rc;
        item *it;
        size_t path;

        memset(&rec, 0, sizeof rec);
        e.message[0] = '\0';
        e.offset = (size_t)-1;
        rc = produce(r, &rec, &e);
        if (rc == DP_EOF) {
            r->prod_eof = 1;
            break;
        }
        it = &b->items[b->n++];
        memset(it, 0, sizeof *it);
        it->line = r->loc_line;
        path = arena_path(r, b);
        it->path = path;
        if (rc == DP_OK) {
            it->kind = rec.raw ? ITEM_LINE : ITEM_TEXT;
            it->offset = rec.offset;
            it->len = rec.raw ? rec.raw_len : rec.text_len;
            it->data = arena_put(b, rec.raw ? rec.raw : rec.text, it->len);
            if (path != (size_t)-1 && it->data != (size_t)-1)
                continue;
            rc = DP_ENOMEM;
            snprintf(e.message, sizeof e.message,
                     "%s:%" PRIu64 ": no memory to queue this record",
                     r->path ? r->path : "(no input)", it->line);
        }
        /* An error, kept with its message for its turn. */
        it->kind = ITEM_ERROR;
        it->rc = rc;
        it->err_offset = e.offset;
        it->msg = dup_str(e.message);
    }
}

/* Parse line @it of @b and copy out what the record needs; the JSON
 * value is freed here, in the thread that made it. */
static void item_parse(const dp_reader *r, batch *b, item *it)
{
    parsed p;
    const char *path =
        it->path == (size_t)-1 ? "(no input)" : b->arena + it->path;
    const char *key;
    json_t *v;
    char msg[sizeof((dp_error *)0)->message];

    memset(&p, 0, offsetof(parsed, detail) + 1);
    it->rc = parse_record(r, b->arena + it->data, it->len, &p);
    if (it->rc == DP_OK) {
        it->id = buf_put(&b->out, &b->out_len, &b->out_cap, p.id, p.id_len);
        it->id_len = p.id_len;
        it->text =
            buf_put(&b->out, &b->out_len, &b->out_cap, p.text, p.text_len);
        it->text_len = p.text_len;
        it->date = p.date ? buf_put(&b->out, &b->out_len, &b->out_cap, p.date,
                                    p.date_len)
                          : (size_t)-1;
        it->date_len = p.date_len;
        it->fld = b->nflds;
        json_object_foreach(p.json, key, v)
        {
            field *f;
            if (!json_is_string(v))
                continue;
            if (DP_RESERVE(b->flds, b->capflds, b->nflds + 1)) {
                it->id = (size_t)-1;
                break;
            }
            f = &b->flds[b->nflds];
            f->key =
                buf_put(&b->out, &b->out_len, &b->out_cap, key, strlen(key));
            f->val = buf_put(&b->out, &b->out_len, &b->out_cap,
                             json_string_value(v), json_string_length(v));
            f->len = json_string_length(v);
            if (f->key == (size_t)-1 || f->val == (size_t)-1) {
                it->id = (size_t)-1;
                break;
            }
            b->nflds++;
        }
        it->nfld = b->nflds - it->fld;
        if (it->id == (size_t)-1 || it->text == (size_t)-1 ||
            (p.date && it->date == (size_t)-1)) {
            it->rc = DP_ENOMEM;
            it->err_offset = it->offset;
            snprintf(msg, sizeof msg,
                     "%s:%" PRIu64 ": no memory for this record", path,
                     it->line);
            it->msg = dup_str(msg);
        }
    } else {
        it->err_offset = it->offset + p.err_at;
        snprintf(msg, sizeof msg, "%s:%" PRIu64 ": %s", path, it->line,
                 p.detail);
        it->msg = dup_str(msg);
    }
    if (p.json)
        json_decref(p.json);
}

/* Parse the lines of @b; runs in a parse thread or the caller's. */
static void batch_parse(const dp_reader *r, batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        if (b->items[i].kind == ITEM_LINE)
            item_parse(r, b, &b->items[i]);
}

static void *worker_main(void *arg)
{
    dp_reader *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        batch *b;
        while (!r->stop && r->claim == r->tail)
            pthread_cond_wait(&r->work_cv, &r->mu);
        if (r->stop)
            break;
        b = &r->ring[r->claim++ % r->nring];
        b->state = BATCH_RUNNING;
        pthread_mutex_unlock(&r->mu);
        batch_parse(r, b);
        pthread_mutex_lock(&r->mu);
        b->state = BATCH_DONE;
        pthread_cond_broadcast(&r->done_cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Build batches into the free ring slots and queue them for parsing. */
static void ring_fill(dp_reader *r)
{
    while (!r->prod_eof && r->tail - r->head < r->nring) {
        batch *b = &r->ring[r->tail % r->nring];
        if (!b->items) { /* first use of this slot */
            b->items = malloc(BATCH_ITEMS * sizeof *b->items);
            if (!b->items)
                break;
        }
        batch_build(r, b);
        if (b->n == 0)
            break;
        pthread_mutex_lock(&r->mu);
        b->state = BATCH_BUILT;
        r->tail++;
        pthread_cond_signal(&r->work_cv);
        pthread_mutex_unlock(&r->mu);
        if (!r->workers_tried && r->tail - r->head > 1)
            workers_start(r);
    }
}

/* Wait until @b (the oldest batch) is parsed. Rather than sleep, the
 * caller's thread parses whichever queued batch no thread has taken yet,
 * oldest first, so it is one of the parse threads. */
static void batch_wait(dp_reader *r, batch *b)
{
    pthread_mutex_lock(&r->mu);
    while (b->state != BATCH_DONE) {
        if (r->claim < r->tail) {
            batch *c = &r->ring[r->claim++ % r->nring];
            c->state = BATCH_RUNNING;
            pthread_mutex_unlock(&r->mu);
            batch_parse(r, c);
            pthread_mutex_lock(&r->mu);
            c->state = BATCH_DONE;
            pthread_cond_broadcast(&r->done_cv);
            continue;
        }
        pthread_cond_wait(&r->done_cv, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Hand out item @it of @b as a record or an error. */
static dp_status item_yield(dp_reader *r, batch *b, item *it, dp_record *rec,
                            dp_error *err)
{
    const char *path =
        it->path == (size_t)-1 ? "(no input)" : b->arena + it->path;

    r->view_path = path;
    r->loc_line = it->line;
    if (it->rc)
        return dpi_error_set(err, it->rc, it->err_offset, "%s",
                            it->msg ? it->msg : "out of memory");
    rec->source = path;
    rec->line = it->line;
    rec->offset = it->offset;
    if (it->kind == ITEM_TEXT) {
        rec->id = path;
        rec->id_len = strlen(path);
        rec->text = b->arena + it->data;
        rec->text_len = it->len;
        return DP_OK;
    }
    if (it->kind != ITEM_LINE)
        return dpi_error_set(err, DP_EINTERNAL, (size_t)-1, "bad queued item");
    rec->id = b->out + it->id;
    rec->id_len = it->id_len;
    rec->text = b->out + it->text;
    rec->text_len = it->text_len;
    if (it->date != (size_t)-1) {
        rec->date = b->out + it->date;
        rec->date_len = it->date_len;
    }
    rec->raw = b->arena + it->data;
    rec->raw_len = it->len;
    r->view_batch = b;
    r->view_item = it;
    return DP_OK;
}

static dp_status next_threaded(dp_reader *r, dp_record *rec, dp_error *err)
{
    batch *b;

    if (r->head < r->tail) {
        b = &r->ring[r->head % r->nring];
        if (b->n > 0 && b->next == b->n) {
            batch_clear(b); /* every item handed out: free the slot */
            r->head++;
        }
    }
    ring_fill(r);
    if (r->head == r->tail && !r->prod_eof)
        /* Not even one batch could be allocated; nothing is lost yet. */
        return dpi_error_set(err, DP_ENOMEM, (size_t)-1,
                            "%s: out of memory queueing records",
                            r->path ? r->path : "(no input)");
    if (r->head == r->tail) {
        r->view_path = r->path;
        r->loc_line = 0;
        return DP_EOF;
    }
    b = &r->ring[r->head % r->nring];
    batch_wait(r, b);
    assert(b->next < b->n);
    return item_yield(r, b, &b->items[b->next++], rec, err);
}

/* Stop and join the parse threads; free the ring. */
static void threads_stop(dp_reader *r)
{
    size_t i;

    if (r->workers) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->work_cv);
        pthread_mutex_unlock(&r->mu);
        for (i = 0; i < r->nworkers; i++)
            pthread_join(r->workers[i], NULL);
        free(r->workers);
        r->workers = NULL;
    }
    if (r->ring) {
        for (i = 0; i < r->nring; i++) {
            batch_clear(&r->ring[i]);
            free(r->ring[i].items);
            free(r->ring[i].arena);
            free(r->ring[i].out);
            free(r->ring[i].flds);
        }
        free(r->ring);
        r->ring = NULL;
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->work_cv);
        pthread_cond_destroy(&r->done_cv);
    }
}

/* Set up parse-ahead with @threads parse threads (the caller counts as
 * one). If threads cannot be started, the caller's thread parses alone:
 * slower, same results. */
static dp_status threads_start(dp_reader *r, unsigned threads)
{
    size_t i;

    r->nring = (size_t)threads + 2;
    r->ring = calloc(r->nring, sizeof *r->ring);
    if (!r->ring)
        return DP_ENOMEM;
    if (pthread_mutex_init(&r->mu, NULL)) {
        free(r->ring);
        r->ring = NULL;
        return DP_ENOMEM;
    }
    pthread_cond_init(&r->work_cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    for (i = 0; i < r->nring; i++)
        r->ring[i].path_off = (size_t)-1; /* items come at first use */
    r->threads = threads;
    r->defer = 1;
    json_object_seed(0); /* seed jansson's hash before threads race to */
    r->workers = calloc(threads - 1, sizeof *r->workers);
    if (!r->workers)
        return DP_ENOMEM;
    return DP_OK; /* the threads start with the second batch */
}

/* Start the parse threads, once the input proves longer than one batch
 * (a small input, such as a request body, never pays for threads). */
static void workers_start(dp_reader *r)
{
    unsigned i;

    r->workers_tried = 1;
    for (i = 0; i + 1 < r->threads; i++) {
        if (pthread_create(&r->workers[i], NULL, worker_main, r))
            break;
        r->nworkers++;
    }
}

dp_status dp_reader_next(dp_reader *r, dp_record *rec, dp_error *err)
{
    dp_status rc;

    if (rec)
        memset(rec, 0, sizeof *rec);
    if (!r || !rec)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no reader or record");
    if (r->json) {
        json_decref(r->json);
        r->json = NULL;
    }
    r->fields = NULL;
    r->view_item = NULL;
    r->started = 1;
    if (r->defer)
        rc = next_threaded(r, rec, err);
    else
        rc = produce(r, rec, err);
    if (rc == DP_OK && !r->defer)
        r->fields = r->json;
    if (rc) {
        if (r->json) {
            json_decref(r->json);
            r->json = NULL;
        }
        r->fields = NULL;
        r->view_item = NULL;
        memset(rec, 0, sizeof *rec);
    }
    return rc;
}

const char *dp_reader_path(const dp_reader *r)
{
    if (!r || !r->started)
        return NULL;
    return r->defer ? r->view_path : r->path;
}

uint64_t dp_reader_line(const dp_reader *r)
{
    return r ? r->loc_line : 0;
}

const char *dp_reader_field(const dp_reader *r, const char *name, size_t *len)
{
    json_t *v;

    if (len)
        *len = 0;
    if (r && name && r->view_item) {
        const batch *b = r->view_batch;
        const item *it = r->view_item;
        size_t i;
        for (i = it->fld; i < it->fld + it->nfld; i++) {
            if (strcmp(b->out + b->flds[i].key, name) == 0) {
                if (len)
                    *len = b->flds[i].len;
                return b->out + b->flds[i].val;
            }
        }
        return NULL;
    }
    if (!r || !name || !r->fields)
        return NULL;
    v = json_object_get(r->fields, name);
    if (!v || !json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

void dp_reader_free(dp_reader *r)
{
    size_t i;

    if (!r)
        return;
    threads_stop(r);
    close_input(r);
    if (r->json)
        json_decref(r->json);
    for (i = 0; i < r->ndirs; i++)
        free_frame(&r->dirs[i]);
    free(r->dirs);
    for (i = 0; i < r->npaths; i++)
        free(r->paths[i]);
    free(r->paths);
    ZSTD_freeDCtx(r->zd);
    free(r->in_buf);
    free(r->buf);
    free(r->path);
    free(r->id_field);
    free(r->text_field);
    free(r->date_field);
    free(r);
}
