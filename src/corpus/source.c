/*
 * source.c - one open input of the corpus reader: a file, standard input
 * or a memory buffer, read in DPI_CHUNK pieces, passed through zlib or
 * libzstd when its magic bytes say so, a leading UTF-8 BOM skipped, its
 * format decided (by name, or by its first byte for stdin and memory),
 * and the decompressed bytes cut into lines or held whole.
 *
 * A source error (a read failure, corrupt or truncated compressed data)
 * is stored and reported once the complete lines before it are used up,
 * so nothing decoded before the fault is lost. See docs/inputs.md.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd_errors.h>

#include "corpus/corpus.h"

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

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
        n = read(r->fd, r->in_buf, DPI_CHUNK);
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n < 0) {
        int e = errno;
        src_fail(r, dpi_status_of_errno(e), "read failed: %s", strerror(e));
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
        src_fail(r, dpi_status_of_errno(e), "read failed: %s", strerror(e));
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
    case DP_CODEC_GZIP: return read_gzip(r, dst, room);
    case DP_CODEC_ZSTD: return read_zstd(r, dst, room);
    case DP_CODEC_NONE: break;
    }
    return read_plain(r, dst, room);
}

/*
 * Read more decompressed bytes into the line buffer, first moving the
 * unconsumed part to the front and growing the buffer if the part fills
 * most of it. Returns DP_OK (check src_eof for the end) or a growth
 * failure (DP_ENOMEM / DP_ETOOBIG).
 */
dp_status dpi_source_fill(dp_reader *r)
{
    size_t n, want = DPI_CHUNK;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    /* An uncompressed memory input needs no more room than it has left
     * (small request bodies and fuzz inputs stay small). */
    if (r->fd < 0 && r->codec == DP_CODEC_NONE)
        want = DP_MIN(DPI_CHUNK, r->in_len - r->in_pos + 1);
    if (r->cap < r->end + 1 + want / 4 + 1) {
        dp_status rc =
            dpi_grow((void **)&r->buf, &r->cap, r->end + 1 + want, 1);
        if (rc)
            return rc;
    }
    n = src_read(r, r->buf + r->end, r->cap - r->end - 1);
    r->end += n;
    return DP_OK;
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                  */
/* ------------------------------------------------------------------ */

void dpi_source_close(dp_reader *r)
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
    dpi_json_close(r);
    dpi_csv_close(r);
    if (r->cap > DPI_KEEP_BUF) {
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
    }
}

void dpi_source_free(dp_reader *r)
{
    dpi_source_close(r);
    ZSTD_freeDCtx(r->zd);
    r->zd = NULL;
    free(r->in_buf);
    r->in_buf = NULL;
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* The format a named input has by its name (@plen bytes of r->path, less
 * a compression suffix), under DP_FORMAT_AUTO. */
static int format_by_name(const char *p, size_t plen)
{
    if (ends_with(p, plen, ".jsonl") || ends_with(p, plen, ".ndjson") ||
        ends_with(p, plen, ".json"))
        return DPI_FMT_JSONL;
    if (ends_with(p, plen, ".csv"))
        return DPI_FMT_CSV;
    if (ends_with(p, plen, ".tsv"))
        return DPI_FMT_TSV;
    return DPI_FMT_TEXT;
}

/* The internal format of an explicit dp_input_format, or -1 for AUTO. */
static int format_of(dp_input_format f)
{
    switch (f) {
    case DP_FORMAT_JSONL: return DPI_FMT_JSONL;
    case DP_FORMAT_TEXT: return DPI_FMT_TEXT;
    case DP_FORMAT_CSV: return DPI_FMT_CSV;
    case DP_FORMAT_TSV: return DPI_FMT_TSV;
    case DP_FORMAT_JSON: return DPI_FMT_JSON;
    case DP_FORMAT_AUTO: break;
    }
    return -1;
}

/* Read raw bytes until there are enough to see a magic number (files
 * only; a memory input is all there). Returns 0 or an errno value. */
static int sniff_raw(dp_reader *r, int fd)
{
    if (fd < 0) {
        r->in = r->mem;
        r->in_pos = 0;
        r->in_len = r->mem_len;
        r->in_eof = 1;
        return 0;
    }
    if (!r->in_buf) {
        r->in_buf = malloc(DPI_CHUNK);
        if (!r->in_buf)
            return ENOMEM;
    }
    r->in = r->in_buf;
    r->in_pos = r->in_len = 0;
    while (r->in_len < 4) {
        ssize_t n = read(fd, r->in_buf + r->in_len, DPI_CHUNK - r->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0) {
            r->in_eof = 1;
            break;
        }
        r->in_len += (size_t)n;
    }
    return 0;
}

/* Compression by magic bytes; start the decoder. Returns DP_OK or the
 * reported error (a name that promised compression, @want, must keep
 * it). */
static dp_status start_codec(dp_reader *r, dp_codec want, dp_error *err)
{
    const unsigned char *m = r->in;

    if (r->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        r->codec = DP_CODEC_GZIP;
    else if (r->in_len >= 4 &&
             ((m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
              /* a skippable frame (magic 0x184D2A5?) may come first */
              ((m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d &&
               m[3] == 0x18)))
        r->codec = DP_CODEC_ZSTD;
    else
        r->codec = DP_CODEC_NONE;
    if (want != DP_CODEC_NONE && r->codec == DP_CODEC_NONE)
        return dpi_reader_report(r, err, DP_ECOMPRESS, 0, 0, "not %s data",
                                 want == DP_CODEC_GZIP ? "gzip" : "zstd");
    if (r->codec == DP_CODEC_GZIP) {
        memset(&r->z, 0, sizeof r->z);
        if (inflateInit2(&r->z, 15 + 16) != Z_OK)
            return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                     "cannot start gzip decompression");
        r->z_live = 1;
    } else if (r->codec == DP_CODEC_ZSTD) {
        if (!r->zd)
            r->zd = ZSTD_createDCtx();
        if (!r->zd ||
            ZSTD_isError(ZSTD_DCtx_reset(r->zd, ZSTD_reset_session_only)))
            return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                     "cannot start zstd decompression");
    }
    return DP_OK;
}

/* Skip a UTF-8 byte order mark at the start (it is not content; offsets
 * still count it). */
static dp_status skip_bom(dp_reader *r)
{
    while (r->end < 3 && !r->src_eof) {
        dp_status rc = dpi_source_fill(r);
        if (rc)
            return rc;
    }
    if (!r->keep_bom && r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
        r->start = r->scan = 3;
        r->lineoff = 3;
    }
    return DP_OK;
}

/* Does the line @p (@n bytes) list @name as one of its @delim-separated
 * cells (optionally in double quotes, spaces around it)? */
static int header_has(const char *p, size_t n, char delim, const char *name)
{
    size_t k = strlen(name), i = 0;
    while (i <= n) {
        size_t j = i, a, b;
        while (j < n && p[j] != delim)
            j++;
        a = i;
        b = j;
        while (a < b && p[a] == ' ')
            a++;
        while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\r'))
            b--;
        if (b - a >= 2 && p[a] == '"' && p[b - 1] == '"') {
            a++;
            b--;
        }
        if (b - a == k && memcmp(p + a, name, k) == 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* A first line that is a CSV (or TSV) header naming both the id and the
 * text column: the input is read as CSV (TSV), never as one document. */
static int sniff_csv(const dp_reader *r, size_t i)
{
    const char *p = r->buf + i;
    const char *nl = memchr(p, '\n', r->end - i);
    size_t n = nl ? (size_t)(nl - p) : r->end - i;
    if (header_has(p, n, '\t', r->cfg.id_field) &&
        header_has(p, n, '\t', r->cfg.text_field) && memchr(p, '\t', n))
        return DPI_FMT_TSV;
    if (header_has(p, n, ',', r->cfg.id_field) &&
        header_has(p, n, ',', r->cfg.text_field) && memchr(p, ',', n))
        return DPI_FMT_CSV;
    return DPI_FMT_TEXT;
}

/* Stdin and memory under DP_FORMAT_AUTO: JSONL when the first byte that
 * is not a space, tab, CR or LF is '{' (or there is none); CSV or TSV
 * when the first line is a header naming the id and text columns; else
 * text. */
static dp_status sniff_format(dp_reader *r, int *fmt)
{
    size_t i = r->start;
    for (;;) {
        dp_status rc;
        while (i < r->end && (r->buf[i] == ' ' || r->buf[i] == '\t' ||
                              r->buf[i] == '\r' || r->buf[i] == '\n'))
            i++;
        if (i < r->end || r->src_eof || r->end - r->start > r->max_record)
            break;
        i -= r->start;
        rc = dpi_source_fill(r);
        i += r->start;
        if (rc)
            return rc;
    }
    if (i == r->end || r->buf[i] == '{') {
        *fmt = DPI_FMT_JSONL;
        return DP_OK;
    }
    while (i > r->start && r->buf[i - 1] != '\n')
        i--; /* the start of the first line that is not blank */
    *fmt = sniff_csv(r, i);
    return DP_OK;
}

/* Reset the per-input state for a new input on @fd. */
static void source_reset(dp_reader *r, int fd, int own_fd)
{
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
}

dp_status dpi_source_open(dp_reader *r, int fd, int own_fd, int named,
                          dp_error *err)
{
    const char *p = r->path;
    size_t plen = strlen(p);
    dp_codec want = DP_CODEC_NONE;
    int fmt = format_of(named ? r->format : r->stdin_format), e;
    dp_status rc;

    source_reset(r, fd, own_fd);
    if (named) {
        if (ends_with(p, plen, ".gz")) {
            want = DP_CODEC_GZIP;
            plen -= 3;
        } else if (ends_with(p, plen, ".zst")) {
            want = DP_CODEC_ZSTD;
            plen -= 4;
        } else if (ends_with(p, plen, ".zstd")) {
            want = DP_CODEC_ZSTD;
            plen -= 5;
        }
        if (fmt < 0)
            fmt = format_by_name(p, plen);
    }
    e = sniff_raw(r, fd);
    if (e) {
        dpi_source_close(r);
        return dpi_reader_report(r, err, dpi_status_of_errno(e), 0, (size_t)-1,
                                 "cannot read: %s", strerror(e));
    }
    rc = start_codec(r, want, err);
    if (rc) {
        dpi_source_close(r);
        return rc;
    }
    rc = skip_bom(r);
    if (!rc && fmt < 0)
        rc = sniff_format(r, &fmt);
    if (rc) {
        dpi_source_close(r);
        return dpi_reader_report(r, err, rc, 0, (size_t)-1, "out of memory");
    }
    r->fmt = fmt;
    return DP_OK;
}

dp_status dpi_source_open_file(dp_reader *r, dp_error *err)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;

    if (fd < 0) {
        int e = errno;
        return dpi_reader_report(r, err, dpi_status_of_errno(e), 0, (size_t)-1,
                                 "%s", strerror(e));
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return dpi_reader_report(r, err, DP_EISDIR, 0, (size_t)-1,
                                 "is a directory, not a file");
    }
    return dpi_source_open(r, fd, 1, 1, err);
}

/* ------------------------------------------------------------------ */
/* Lines and whole inputs                                               */
/* ------------------------------------------------------------------ */

/* The error that stopped the source, once its complete lines are used
 * (@partial bytes of a cut line are left). Closes the input. */
static dp_status source_error(dp_reader *r, dp_error *err, size_t partial)
{
    dp_status rc = r->src_rc;
    uint64_t line = partial ? r->lineno : 0;
    size_t off = r->lineoff + partial;

    dpi_source_close(r);
    if (partial)
        return dpi_reader_report(r, err, rc, line, off,
                                 "%s (the input is not read past this line)",
                                 r->src_msg);
    return dpi_reader_report(r, err, rc, 0, off, "%s", r->src_msg);
}

/* Discard the rest of an over-long line. Returns DP_OK once it is gone
 * (or the input ended), or a reported growth failure. */
static dp_status skip_long(dp_reader *r, dp_error *err)
{
    while (r->skip_line) {
        char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        size_t used;
        if (!nl) {
            dp_status rc;
            r->lineoff += r->end - r->start;
            r->start = r->scan = r->end;
            if (r->src_eof) {
                r->skip_line = 0;
                break;
            }
            rc = dpi_source_fill(r);
            if (rc) {
                dpi_source_close(r);
                return dpi_reader_report(r, err, rc, 0, (size_t)-1,
                                         "out of memory");
            }
            continue;
        }
        used = (size_t)(nl + 1 - (r->buf + r->start));
        r->lineoff += used;
        r->lineno++;
        r->start = r->scan = r->start + used;
        r->skip_line = 0;
    }
    return DP_OK;
}

/* Take the line of @len bytes (@used with its newline) at r->start. */
static void take_line(dp_reader *r, dp_line *ln, size_t len, size_t used)
{
    ln->p = r->buf + r->start;
    ln->no = r->lineno++;
    ln->off = r->lineoff;
    ln->nl = used > len;
    r->lineoff += used;
    r->start += used;
    r->scan = r->start;
    ln->crlf = len > 0 && ln->p[len - 1] == '\r';
    if (ln->crlf)
        len--;
    ln->p[len] = '\0'; /* cap > end keeps room for this at the end */
    ln->len = len;
}

dp_status dpi_source_line(dp_reader *r, dp_line *ln, dp_error *err)
{
    for (;;) {
        char *nl;
        dp_status rc = skip_long(r, err);
        if (rc)
            return rc;
        if (!r->active)
            return DP_EOF;
        nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        if (nl) {
            size_t len = (size_t)(nl - (r->buf + r->start));
            take_line(r, ln, len, len + 1);
            break;
        }
        r->scan = r->end;
        if (r->end - r->start > r->max_record + 1) {
            r->skip_line = 1;
            return dpi_reader_report(r, err, DP_ETOOBIG, r->lineno, r->lineoff,
                                     "line is longer than the %zu-byte limit",
                                     r->max_record);
        }
        if (!r->src_eof) {
            rc = dpi_source_fill(r);
            if (rc) { /* the line cannot be held: skip it */
                r->skip_line = 1;
                return dpi_reader_report(r, err, rc, r->lineno, r->lineoff,
                                         "no memory for a %zu-byte line",
                                         r->end - r->start);
            }
            continue;
        }
        if (r->src_rc)
            return source_error(r, err, r->end - r->start);
        if (r->start == r->end)
            return DP_EOF;
        take_line(r, ln, r->end - r->start, r->end - r->start);
        break;
    }
    if (ln->len > r->max_record)
        return dpi_reader_report(r, err, DP_ETOOBIG, ln->no, ln->off,
                                 "line is longer than the %zu-byte limit",
                                 r->max_record);
    return DP_OK;
}

dp_status dpi_source_all(dp_reader *r, dp_error *err)
{
    while (!r->src_eof) {
        dp_status rc;
        if (r->end - r->start > r->max_record)
            break;
        rc = dpi_source_fill(r);
        if (rc) {
            dpi_source_close(r);
            return dpi_reader_report(r, err, rc, 0, (size_t)-1,
                                     "no memory to hold the document");
        }
    }
    if (r->src_rc && r->src_eof)
        return source_error(r, err, 0);
    if (r->end - r->start > r->max_record) {
        dpi_source_close(r);
        return dpi_reader_report(r, err, DP_ETOOBIG, 0, (size_t)-1,
                                 "document is longer than the %zu-byte limit",
                                 r->max_record);
    }
    r->buf[r->end] = '\0';
    return DP_OK;
}
