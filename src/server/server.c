/*
 * server.c - dp_server_*: the HTTP server of `doppel serve` on
 * libmicrohttpd, and everything about a request that is not an endpoint:
 * the listening socket, the worker threads, reading bodies with a hard
 * cap, early rejections, the access log and the graceful stop.
 *
 * Threads: libmicrohttpd's internal polling with a pool of worker threads,
 * each with its own epoll set and its own share of the connections; the
 * endpoints (route.c) run on the worker that owns the connection. The
 * index handle is shared (it is thread-safe; writes serialise inside it).
 *
 * A request's life: the URI callback allocates its state (start time,
 * raw path and query, for the log); the first call of the access handler
 * decides everything that does not need the body - unknown path (404),
 * wrong method (405), wrong content type (415), a Content-Length over the
 * limit (413), too many bytes buffered server-wide (503) - and answers at
 * once, before a byte of the body is read (so curl's "Expect: 100-continue"
 * gets the error instead of a go-ahead). Otherwise the body is appended
 * to a buffer that never grows past max_body; a chunked body that crosses
 * the limit is dropped as it arrives and answered 413 at its end. The last
 * call hands the whole request to dpi_http_handle(). The completion
 * callback writes the access-log line and frees the state.
 *
 * Stop: stop accepting (quiesce the listening socket), mark the server
 * draining (every response from then on carries "Connection: close", so
 * kept-alive clients leave after their current request), wait for the
 * requests in flight to finish - every request whose response is being
 * made or sent, and uploads still moving (one silent for a second is not
 * waited for: its client may be gone) - then stop the daemon.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "server/http.h"

/* Bytes of the raw path (and query) kept for the access log. */
#define LOG_PATH_MAX 256

/* A stop does not wait for uploads silent this long (ns). */
#define UPLOAD_IDLE_NS ((int64_t)1000000000)

/* The most bytes all request bodies may hold at once, server-wide. */
#define BUFFER_BUDGET_MIN ((size_t)256 << 20)

struct dp_server {
    struct MHD_Daemon *daemon;
    dp_http_ctx ctx;      /* what the endpoints see */
    int log_fd;           /* access log descriptor, or -1 */
    int listen_fd;        /* our listening socket, or -1 */
    int quiesced_fd;      /* the socket MHD gave back when quiescing */
    unsigned port;        /* the bound port */
    unsigned threads;     /* worker threads */
    size_t max_body;      /* per-request body limit */
    size_t budget;        /* all bodies together */
    double drain_seconds; /* how long stop waits for requests */
    /* Shared counters (atomic builtins). */
    size_t buffered;     /* body bytes held by all requests */
    uint64_t uploading;  /* requests past their headers, body coming */
    uint64_t answering;  /* requests with a response being made or sent */
    int64_t last_upload; /* CLOCK_MONOTONIC ns of the last body bytes */
    int draining;        /* 1 once stop has begun */
};

/* One request's state (MHD's con_cls). */
typedef struct request {
    dp_server *srv;
    struct timespec wall; /* when it began (realtime, for the log) */
    struct timespec mono; /* when it began (monotonic, for the duration) */
    int started;          /* the access handler has seen it */
    int phase;            /* 0 headers, 1 uploading, 2 answering (which
                             counter of the server holds it) */
    int answered;         /* a response is queued */
    int too_big;          /* the body crossed max_body: dropping it */
    int over_budget;      /* the server-wide budget ran out: dropping */
    dp_http_route route;
    unsigned status;           /* the status sent (0: none) */
    size_t bytes;              /* body bytes of the response */
    char *body;                /* the request body so far */
    size_t len, cap;           /* its length and capacity (counted in budget) */
    char *query;               /* raw query string, or NULL */
    char method[16];           /* for the log */
    char target[LOG_PATH_MAX]; /* raw request target, for the log */
} request;

/* ------------------------------------------------------------ helpers */

static double ts_diff_us(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e6 +
           (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

static void budget_release(request *r)
{
    if (r->cap) {
        __atomic_sub_fetch(&r->srv->buffered, r->cap, __ATOMIC_RELAXED);
        r->cap = 0;
    }
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* Grow @r's body buffer to hold @need bytes (need <= max_body), charging
 * the server-wide budget. Returns 0, or 1 when the budget is spent or
 * memory runs out. */
static int body_reserve(request *r, size_t need)
{
    dp_server *s = r->srv;
    size_t ncap, extra, now;
    char *nb;

    if (need <= r->cap)
        return 0;
    ncap = r->cap ? r->cap : 4096;
    while (ncap < need && ncap <= s->max_body / 2)
        ncap *= 2;
    if (ncap > s->max_body)
        ncap = s->max_body;
    if (ncap < need)
        ncap = need;
    extra = ncap - r->cap;
    now = __atomic_add_fetch(&s->buffered, extra, __ATOMIC_RELAXED);
    if (now > s->budget) {
        __atomic_sub_fetch(&s->buffered, extra, __ATOMIC_RELAXED);
        return 1;
    }
    nb = realloc(r->body, ncap);
    if (!nb) {
        __atomic_sub_fetch(&s->buffered, extra, __ATOMIC_RELAXED);
        return 1;
    }
    r->body = nb;
    r->cap = ncap;
    return 0;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Move @r to @phase, keeping the server's counters (what the graceful
 * stop waits for) in step. */
static void set_phase(request *r, int phase)
{
    dp_server *s = r->srv;

    if (r->phase == phase)
        return;
    /* Count the new phase before uncounting the old one, so the stop
     * never sees a moving request in neither. */
    if (phase == 1) {
        __atomic_store_n(&s->last_upload, mono_ns(), __ATOMIC_RELAXED);
        __atomic_add_fetch(&s->uploading, 1, __ATOMIC_SEQ_CST);
    } else if (phase == 2) {
        __atomic_add_fetch(&s->answering, 1, __ATOMIC_SEQ_CST);
    }
    if (r->phase == 1)
        __atomic_sub_fetch(&s->uploading, 1, __ATOMIC_SEQ_CST);
    else if (r->phase == 2)
        __atomic_sub_fetch(&s->answering, 1, __ATOMIC_SEQ_CST);
    r->phase = phase;
}

/* Copy @src into @dst (@cap bytes), escaping bytes outside printable
 * ASCII and spaces as %XX so a log line stays one line of fields. */
static void log_escape(char *dst, size_t cap, const char *src)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t m = 0;

    assert(cap > 4);
    for (; *src && m + 4 < cap; src++) {
        unsigned char c = (unsigned char)*src;
        if (c <= 0x20 || c >= 0x7F || c == '"') {
            dst[m++] = '%';
            dst[m++] = hex[c >> 4];
            dst[m++] = hex[c & 15];
        } else {
            dst[m++] = (char)c;
        }
    }
    dst[m] = '\0';
}

/* "ADDR:PORT" of the client, or "-". */
static void client_name(struct MHD_Connection *con, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;
    char host[INET6_ADDRSTRLEN];

    snprintf(out, cap, "-");
    ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
            snprintf(out, cap, "%s:%u", host, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host))
            snprintf(out, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        snprintf(out, cap, "unix");
    }
}

/* Write one whole line to the log (a single write(2): lines from several
 * workers never interleave). */
static void log_line(dp_server *s, const char *line, size_t len)
{
    size_t off = 0;

    if (s->log_fd < 0)
        return;
    while (off < len) {
        ssize_t w = write(s->log_fd, line + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* a log that cannot be written must not stop serving */
        }
        off += (size_t)w;
    }
}

/* libmicrohttpd's own diagnostics, into the log with a marker. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    dp_server *s = cls;
    char msg[512], line[600];
    size_t n;
    int k;

    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    k = snprintf(line, sizeof line, "doppel serve: libmicrohttpd: %s\n", msg);
    if (k > 0)
        log_line(s, line,
                 (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
}

/* --------------------------------------------------------- callbacks */

/* MHD must not %-decode paths: route.c decodes ids itself, refusing %00
 * (MHD's decoder would let a NUL cut an id short). */
static size_t no_unescape(void *cls, struct MHD_Connection *con, char *s)
{
    DP_UNUSED(cls);
    DP_UNUSED(con);
    return strlen(s);
}

/* A request begins: allocate its state (NULL on out of memory: the
 * access handler then answers 503 without one). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    dp_server *s = cls;
    request *r;
    const char *q;

    DP_UNUSED(con);
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = s;
    clock_gettime(CLOCK_REALTIME, &r->wall);
    clock_gettime(CLOCK_MONOTONIC, &r->mono);
    log_escape(r->target, sizeof r->target, uri ? uri : "");
    q = uri ? strchr(uri, '?') : NULL;
    if (q && q[1])
        r->query = strdup(q + 1); /* NULL on failure: no query arguments */
    return r;
}

/* A request ends (answered, or its connection dropped): log and free. */
static void on_done(void *cls, struct MHD_Connection *con, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    dp_server *s = cls;
    request *r = *con_cls;
    struct timespec end, tm_wall;
    struct tm tm;
    char client[80], line[LOG_PATH_MAX + 256], status[16];
    int k;

    DP_UNUSED(toe);
    if (!r)
        return;
    *con_cls = NULL;
    if (s->log_fd >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &end);
        tm_wall = r->wall;
        gmtime_r(&tm_wall.tv_sec, &tm);
        client_name(con, client, sizeof client);
        if (r->status)
            snprintf(status, sizeof status, "%u", r->status);
        else
            snprintf(status, sizeof status, "-");
        k = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s %s %zu "
                     "%.0f\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, tm_wall.tv_nsec / 1000000L, client,
                     r->method[0] ? r->method : "-", r->target, status,
                     r->bytes, ts_diff_us(&r->mono, &end));
        if (k > 0)
            log_line(s, line,
                     (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
    }
    budget_release(r);
    free(r->query);
    set_phase(r, 0);
    free(r);
}

/* Queue @resp (its body is taken over by MHD) on @con. */
static enum MHD_Result send_response(dp_server *s, request *r,
                                     struct MHD_Connection *con,
                                     dp_http_response *resp)
{
    struct MHD_Response *mr;
    enum MHD_Result ret;

    mr = MHD_create_response_from_buffer(resp->body_len, resp->body,
                                         MHD_RESPMEM_MUST_FREE);
    if (!mr) {
        free(resp->body);
        resp->body = NULL;
        return MHD_NO;
    }
    resp->body = NULL; /* MHD frees it */
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    if (resp->allow)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, resp->allow);
    if (__atomic_load_n(&s->draining, __ATOMIC_SEQ_CST))
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(con, resp->status, mr);
    MHD_destroy_response(mr);
    if (r) {
        set_phase(r, 2);
        r->answered = 1;
        r->status = resp->status;
        r->bytes = strcmp(r->method, "HEAD") == 0 ? 0 : resp->body_len;
    }
    __atomic_add_fetch(&s->ctx.requests, 1, __ATOMIC_RELAXED);
    if (resp->status >= 500)
        __atomic_add_fetch(&s->ctx.errors_5xx, 1, __ATOMIC_RELAXED);
    else if (resp->status >= 400)
        __atomic_add_fetch(&s->ctx.errors_4xx, 1, __ATOMIC_RELAXED);
    return ret;
}

/* Answer with an error at once. */
static enum MHD_Result send_error(dp_server *s, request *r,
                                  struct MHD_Connection *con, unsigned status,
                                  const char *allow, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

static enum MHD_Result send_error(dp_server *s, request *r,
                                  struct MHD_Connection *con, unsigned status,
                                  const char *allow, const char *fmt, ...)
{
    dp_http_response resp;
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memset(&resp, 0, sizeof resp);
    if (dpi_http_error(&resp, status, "%s", msg))
        return MHD_NO;
    resp.allow = allow;
    return send_response(s, r, con, &resp);
}

/*
 * The first look at a request, before its body: answer what can be
 * answered now. Returns 1 when an answer was queued (*ret set).
 */
static int early_checks(dp_server *s, request *r, struct MHD_Connection *con,
                        const char *url, const char *method,
                        enum MHD_Result *ret)
{
    const char *allow, *ct, *cl;
    unsigned types;
    int ok;

    r->route = dpi_http_route_of(url, NULL);
    if (r->route == DP_HTTP_ROUTE_NONE) {
        *ret =
            send_error(s, r, con, 404, NULL, "no such endpoint: %.200s", url);
        return 1;
    }
    allow = dpi_http_allowed(r->route, method, &ok);
    if (!ok) {
        *ret = send_error(s, r, con, 405, allow,
                          "method %.32s not allowed here; allowed: %s", method,
                          allow);
        return 1;
    }
    types = dpi_http_content_types(r->route);
    ct = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_TYPE);
    if (types && !(dpi_http_content_type_parse(ct) & types)) {
        *ret = send_error(s, r, con, 415, NULL,
                          "Content-Type must be %s (got %.100s)",
                          types & DP_HTTP_CT_NDJSON
                              ? "application/json or application/x-ndjson"
                              : "application/json",
                          ct ? ct : "none");
        return 1;
    }
    cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n;
        errno = 0;
        n = strtoull(cl, &end, 10);
        if (errno || end == cl || n > (unsigned long long)s->max_body) {
            *ret = send_error(s, r, con, 413, NULL,
                              "request body over %zu bytes", s->max_body);
            return 1;
        }
        if (n > 0 && body_reserve(r, (size_t)n)) {
            *ret = send_error(s, r, con, 503, NULL,
                              "server busy: too many large request bodies "
                              "in flight; retry later");
            return 1;
        }
    }
    return 0;
}

/* Does the request announce a body (a length over 0, or chunks)? */
static int has_body(struct MHD_Connection *con)
{
    const char *cl = MHD_lookup_connection_value(
        con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return 1;
    return cl && strspn(cl, "0") != strlen(cl);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    dp_server *s = cls;
    request *r = *con_cls;
    dp_http_request req;
    dp_http_response resp;
    enum MHD_Result ret;

    DP_UNUSED(version);
    if (!r) /* on_uri ran out of memory */
        return send_error(s, NULL, con, 503, NULL, "out of memory");
    if (!r->started) {
        /* Its headers are in: from now on it is "in flight" (a request
         * still sending its headers is not waited for by the stop). */
        r->started = 1;
        set_phase(r, 1);
        snprintf(r->method, sizeof r->method, "%s", method);
        /* Without a body there is nothing to save by answering early,
         * and answering later keeps the connection alive. */
        if (has_body(con) && early_checks(s, r, con, url, method, &ret))
            return ret;
        return MHD_YES;
    }
    if (r->answered) {
        /* Answered early: drop whatever body still arrives. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        __atomic_store_n(&s->last_upload, mono_ns(), __ATOMIC_RELAXED);
        if (r->too_big || r->over_budget)
            return MHD_YES;
        if (n > s->max_body - r->len) {
            r->too_big = 1;
            budget_release(r);
            return MHD_YES;
        }
        if (body_reserve(r, r->len + n)) {
            r->over_budget = 1;
            budget_release(r);
            return MHD_YES;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    /* The whole request is in. */
    if (r->too_big)
        return send_error(s, r, con, 413, NULL, "request body over %zu bytes",
                          s->max_body);
    if (r->over_budget)
        return send_error(s, r, con, 503, NULL,
                          "server busy: too many large request bodies in "
                          "flight; retry later");
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.content_type = MHD_lookup_connection_value(
        con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.query = r->query;
    req.body = r->body;
    req.body_len = r->len;
    if (dpi_http_handle(&s->ctx, &req, &resp))
        return MHD_NO; /* not even an error could be built: drop it */
    budget_release(r);
    return send_response(s, r, con, &resp);
}

/* ------------------------------------------------------------ start */

void dp_server_opts_init(dp_server_opts *o)
{
    assert(o);
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->port = 8080;
    o->threads = 0;
    o->max_body = DP_HTTP_DEFAULT_MAX_BODY;
    o->log = NULL;
    o->timeout = 30;
    o->max_connections = 1024;
    o->drain_seconds = 30.0;
}

/* Create, bind and listen on @bind:@port; sets *fd and *family. */
static dp_status open_listener(const char *bind_addr, unsigned port, int *fd,
                               int *family, dp_error *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[16];
    int e, s = -1, one = 1, saved = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%u", port);
    e = getaddrinfo(bind_addr, portstr, &hints, &res);
    if (e)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "cannot use bind address '%s': %s", bind_addr,
                             gai_strerror(e));
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                   ai->ai_protocol);
        if (s < 0) {
            saved = errno;
            continue;
        }
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(s, ai->ai_addr, ai->ai_addrlen) == 0 && listen(s, 1024) == 0) {
            *family = ai->ai_family;
            break;
        }
        saved = errno;
        close(s);
        s = -1;
    }
    freeaddrinfo(res);
    if (s < 0)
        return dpi_error_set(err, saved == EACCES ? DP_EACCES : DP_EIO,
                             (size_t)-1, "cannot listen on %s port %u: %s",
                             bind_addr, port,
                             saved ? strerror(saved) : "no usable address");
    if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK) < 0) {
        saved = errno;
        close(s);
        return dpi_error_set(err, DP_EIO, (size_t)-1,
                             "cannot listen on %s port %u: %s", bind_addr, port,
                             strerror(saved));
    }
    *fd = s;
    return DP_OK;
}

static unsigned bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* Start the daemon on @listen_fd (taken over) with a pool of @threads
 * workers. */
static dp_status start_daemon(dp_server *s, int listen_fd, int family,
                              const dp_server_opts *o, dp_error *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem opts[16];
    size_t n = 0;

    /* The logger first: MHD logs with its own until it has seen it. */
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                        (intptr_t)(void *)mhd_logger, s};
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL};
    if (s->threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                            (intptr_t)s->threads, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        (intptr_t)o->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        (intptr_t)o->timeout, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                        (intptr_t)(void *)on_done, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
                                        (intptr_t)(void *)on_uri, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK,
                                        (intptr_t)(void *)no_unescape, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    assert(n <= sizeof opts / sizeof opts[0]);

    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->daemon)
        return dpi_error_set(err, DP_EIO, (size_t)-1,
                             "the HTTP daemon did not start (%s)",
                             errno ? strerror(errno) : "unknown reason");
    return DP_OK;
}

static unsigned online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

/* Allocate a server with @o's settings (no daemon yet). */
static dp_status server_new(dp_index *ix, const dp_server_opts *o,
                            dp_server **out, dp_error *err)
{
    dp_server *s;
    struct timespec ts;

    if (o->max_body == 0 || o->max_body > DP_MAX_DOC_BYTES)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "max_body must be 1..%zu bytes",
                             (size_t)DP_MAX_DOC_BYTES);
    if (o->threads > 1024 || o->max_connections == 0 ||
        !(o->drain_seconds >= 0.0))
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "bad server option (threads over 1024, no "
                             "connections, or negative drain time)");
    s = calloc(1, sizeof *s);
    if (!s)
        return DP_ENOMEM;
    s->log_fd = -1;
    s->listen_fd = -1;
    s->quiesced_fd = -1;
    s->threads = o->threads ? o->threads : online_cores();
    s->max_body = o->max_body;
    s->budget = o->max_body * 2 > BUFFER_BUDGET_MIN ? o->max_body * 2
                                                    : BUFFER_BUDGET_MIN;
    s->drain_seconds = o->drain_seconds;
    if (o->log) {
        fflush(o->log);
        s->log_fd = fileno(o->log);
    }
    s->ctx.index = ix;
    s->ctx.read_only = o->read_only;
    s->ctx.id_field = o->id_field;
    s->ctx.text_field = o->text_field;
    s->ctx.utf8 = o->utf8;
    s->ctx.max_body = o->max_body;
    s->ctx.threads = s->threads;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s->ctx.started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    *out = s;
    return DP_OK;
}

dp_status dp_server_start(dp_index *ix, const dp_server_opts *opts,
                          dp_server **out, dp_error *err)
{
    dp_server_opts defaults;
    dp_server *s = NULL;
    int family = AF_INET;
    dp_status rc;

    if (!out)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no output handle");
    *out = NULL;
    if (!opts) {
        dp_server_opts_init(&defaults);
        opts = &defaults;
    }
    if (!opts->bind || !*opts->bind || opts->port > 65535)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1,
                             "bad bind address or port");
    rc = server_new(ix, opts, &s, err);
    if (rc)
        return rc;
    rc = open_listener(opts->bind, opts->port, &s->listen_fd, &family, err);
    if (rc) {
        free(s);
        return rc;
    }
    s->port = bound_port(s->listen_fd);
    rc = start_daemon(s, s->listen_fd, family, opts, err);
    if (rc) {
        close(s->listen_fd);
        free(s);
        return rc;
    }
    *out = s;
    return DP_OK;
}

unsigned dp_server_port(const dp_server *s)
{
    return s ? s->port : 0;
}

void dp_server_stop(dp_server *s)
{
    struct timespec t0, now, nap = {0, 5 * 1000 * 1000};

    if (!s)
        return;
    if (s->daemon) {
        __atomic_store_n(&s->draining, 1, __ATOMIC_SEQ_CST);
        if (s->listen_fd >= 0) {
            int fd = MHD_quiesce_daemon(s->daemon);
            if (fd != MHD_INVALID_SOCKET)
                s->quiesced_fd = fd;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            /* Done when nothing is being answered and no body has moved
             * for UPLOAD_IDLE_NS (a stalled upload is not waited for:
             * its client may be gone without a word). */
            if (__atomic_load_n(&s->answering, __ATOMIC_SEQ_CST) == 0 &&
                (__atomic_load_n(&s->uploading, __ATOMIC_SEQ_CST) == 0 ||
                 mono_ns() -
                         __atomic_load_n(&s->last_upload, __ATOMIC_RELAXED) >
                     UPLOAD_IDLE_NS))
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (ts_diff_us(&t0, &now) >= s->drain_seconds * 1e6)
                break;
            nanosleep(&nap, NULL);
        }
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
    }
    if (s->quiesced_fd >= 0)
        close(s->quiesced_fd);
    free(s);
}

/* ------------------------------- internal: on a given listening socket */

dp_status dpi_http_server_start_on(dp_index *ix, const dp_server_opts *opts,
                                   int listen_fd, dp_server **out)
{
    dp_server *s = NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    dp_status rc;

    assert(opts && out && listen_fd >= 0);
    *out = NULL;
    if (getsockname(listen_fd, (struct sockaddr *)&ss, &len) != 0 ||
        fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0)
        return DP_EIO;
    rc = server_new(ix, opts, &s, NULL);
    if (rc)
        return rc;
    s->listen_fd = listen_fd;
    s->port = bound_port(listen_fd);
    rc = start_daemon(s, listen_fd, ss.ss_family, opts, NULL);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return DP_OK;
}
