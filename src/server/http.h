/*
 * http.h - the HTTP layer of `doppel serve`, inside the library: the
 * request router and its JSON endpoints (route.c) and the libmicrohttpd
 * glue (server.c) that feeds it whole requests.
 *
 * The router never sees a socket: it takes a request already read (method,
 * raw path, query arguments it needs, content type, body) and produces a
 * status and a JSON body built with jansson. That keeps the endpoints
 * testable and fuzzable without a network (tests/fuzz/fuzz_http.c), and
 * keeps libmicrohttpd confined to server.c. Only dp_server_* (doppel.h)
 * is exported; everything here is internal, with the dp_http_ prefix.
 */
#ifndef DP_SERVER_HTTP_H
#define DP_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/* Default largest request body, in bytes (dp_server_opts.max_body). */
#define DP_HTTP_DEFAULT_MAX_BODY ((size_t)16 << 20)

/* Most hits a query returns when it asks for no limit (limit 0 / none). */
#define DP_HTTP_MAX_LIMIT 10000

/* Most documents one POST /documents batch may hold. */
#define DP_HTTP_MAX_BATCH 100000

/* Which endpoint a path names. */
typedef enum dp_http_route {
    DP_HTTP_ROUTE_NONE = 0,  /* no such path: 404 */
    DP_HTTP_ROUTE_HEALTH,    /* /health */
    DP_HTTP_ROUTE_STATS,     /* /stats */
    DP_HTTP_ROUTE_QUERY,     /* /query */
    DP_HTTP_ROUTE_COMPARE,   /* /compare */
    DP_HTTP_ROUTE_DOCUMENTS, /* /documents */
    DP_HTTP_ROUTE_DOCUMENT   /* /documents/{id} */
} dp_http_route;

/* The body formats a POST accepts (bit set), from its Content-Type. */
enum {
    DP_HTTP_CT_JSON = 1u << 0,  /* application/json */
    DP_HTTP_CT_NDJSON = 1u << 1 /* application/x-ndjson, application/jsonl */
};

/* Shared, read-mostly state of one server: what every request sees. */
typedef struct dp_http_ctx {
    dp_index *index;        /* borrowed; NULL: the index endpoints answer 503 */
    int read_only;          /* nonzero: writes answer 403 */
    size_t max_body;        /* the body limit (for messages and /stats) */
    unsigned threads;       /* worker threads (for /stats) */
    double started;         /* CLOCK_MONOTONIC seconds at start (for uptime) */
    const char *id_field;   /* POST /documents fields (NULL: the reader's */
    const char *text_field; /* defaults), borrowed from dp_server_opts */
    dp_utf8_mode utf8;      /* and its UTF-8 policy */
    /* Counters, updated with atomic builtins from every worker. */
    uint64_t requests;   /* requests answered */
    uint64_t errors_4xx; /* of which 4xx */
    uint64_t errors_5xx; /* of which 5xx */
} dp_http_ctx;

/* A request as the router sees it. Pointers are borrowed for the call. */
typedef struct dp_http_request {
    const char *method;       /* "GET", "POST"... (case-sensitive) */
    const char *path;         /* raw path, still %-encoded, no query part */
    const char *content_type; /* the Content-Type header, or NULL */
    const char *query;        /* raw query string (after '?'), or NULL */
    const char *body;         /* the body (need not be NUL-terminated) */
    size_t body_len;
} dp_http_request;

/* A response: status, a malloc'd JSON body, and an Allow value for 405. */
typedef struct dp_http_response {
    unsigned status;   /* HTTP status code */
    char *body;        /* malloc'd JSON text ending in "\n"; free() it */
    size_t body_len;   /* bytes in body */
    const char *allow; /* static Allow header value (405), or NULL */
} dp_http_response;

/*
 * dpi_http_route_of - which endpoint @path (raw, %-encoded) names.
 * @id_start:  OUT (may be NULL): for DP_HTTP_ROUTE_DOCUMENT, the offset of
 *             the encoded id inside @path.
 * Cannot fail; unknown paths give DP_HTTP_ROUTE_NONE.
 */
dp_http_route dpi_http_route_of(const char *path, size_t *id_start);

/*
 * dpi_http_allowed - the Allow header value for @route ("GET, HEAD",
 * "POST"...), and whether @method is one of them (*ok set to 1 or 0).
 * For DP_HTTP_ROUTE_NONE returns NULL and sets *ok to 0.
 */
const char *dpi_http_allowed(dp_http_route route, const char *method, int *ok);

/*
 * dpi_http_content_types - the DP_HTTP_CT_* bits @route accepts for a body
 * (0: the route takes no body and ignores the content type).
 */
unsigned dpi_http_content_types(dp_http_route route);

/*
 * dpi_http_content_type_parse - classify a Content-Type header value:
 * media type compared case-insensitively, parameters allowed, a charset
 * parameter must be utf-8. @return a DP_HTTP_CT_* bit, or 0 for anything
 * else (missing, other type, other charset, malformed).
 */
unsigned dpi_http_content_type_parse(const char *value);

/*
 * dpi_http_url_decode - %-decode @n bytes of @src into @dst (at least @n
 * bytes). '+' stays '+' (this is a path, not a form).
 * @return the decoded length, or (size_t)-1 on a malformed escape or a
 *         decoded NUL byte.
 */
size_t dpi_http_url_decode(const char *src, size_t n, char *dst);

/*
 * dpi_http_handle - answer one complete request.
 * @ctx:   the server state (its counters are not touched here).
 * @resp:  OUT: status and body; on DP_OK the caller owns resp->body.
 * @return DP_OK (every HTTP outcome, errors included, is a response);
 *         DP_ENOMEM when even the error response could not be built.
 * Thread safety: any number of threads at once on one @ctx.
 */
dp_status dpi_http_handle(dp_http_ctx *ctx, const dp_http_request *req,
                          dp_http_response *resp);

/*
 * dpi_http_error - fill @resp with the JSON error
 * {"error": {"status": N, "message": "..."}} and status @status.
 * @return DP_OK or DP_ENOMEM.
 */
dp_status dpi_http_error(dp_http_response *resp, unsigned status,
                         const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * dpi_http_reason - the reason phrase of a status ("Not Found"), for
 * messages; "Unknown" for codes it does not know.
 */
const char *dpi_http_reason(unsigned status);

/*
 * dpi_http_server_start_on - as dp_server_start(), on a socket the caller
 * already bound and made listen (any stream family: the fuzz target
 * serves on a Unix-domain socket, with no ports or TIME_WAIT involved).
 * opts->bind and opts->port are ignored; the server takes over
 * @listen_fd. @return DP_OK, DP_EIO, DP_EINVAL or DP_ENOMEM.
 */
dp_status dpi_http_server_start_on(dp_index *ix, const dp_server_opts *opts,
                                   int listen_fd, dp_server **out);

#endif /* DP_SERVER_HTTP_H */
