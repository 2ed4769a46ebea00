/* http_server.h: the gateway's one HTTP server (libmicrohttpd, its own thread pool; TLS when
 * given a certificate). It owns listening, reading a request (headers, a body up to the
 * route's limit, with Content-Length or chunked, "100 Continue" only for a body that may
 * come), choosing the route by the longest matching path prefix, asking the API-key hook
 * before every route that needs a key, and writing the handler's response. What a route does is its handler's business:
 * handlers run on the server's threads, so anything they share must be theirs to lock. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "edi_result.h"

/* The largest request body accepted unless the route sets its own limit; a larger one gets
 * 413. */
#define HTTP_MAX_BODY ((size_t)16 << 20)

/* One request, valid during the handler call. */
typedef struct {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* the URL path, without the query */
    const char *rest;          /* what follows the route's prefix in `path` */
    const char *body;          /* NUL-terminated (not counted in body_len); "" when none */
    size_t body_len;
    const char *api_key;       /* the X-API-Key header, else "Authorization: Bearer ..."; NULL */
    const char *principal;     /* who the auth hook says the key belongs to; NULL for
                                  routes without a key */
    void *connection;          /* for http_request_arg */
    void *upload;              /* for http_request_take_body; NULL in the body-limit hook */
} http_request;

/* Take the request's body away from the server: the caller owns it from now on (free() it;
 * NUL-terminated, *len gets its length) and the server will not keep or free it, so a large
 * body can be freed as soon as the handler no longer needs it. rq->body still points at it:
 * it must not be used once the caller has freed it. NULL (and *len 0) when there is no body
 * or it was taken already. */
char *http_request_take_body(const http_request *rq, size_t *len);

/* A query argument of the request (?name=value), or NULL. */
const char *http_request_arg(const http_request *rq, const char *name);

/* A request header by its name (any case; folded lines joined), or NULL. */
const char *http_request_header(const http_request *rq, const char *name);

/* What a handler answers. Zero-initialised it is "500, no body"; the server frees body and
 * headers. */
typedef struct {
    unsigned status;
    char *body;                /* malloc'd; the server frees it */
    size_t body_len;
    const char *content_type;  /* static; NULL: application/json, unless `headers` has one */
    char *headers;             /* malloc'd "Name: value\r\n" lines added to the response (a
                                  Content-Type among them replaces content_type); NULL none */
} http_response;

/* Answer with `json` (stolen: the response takes the reference). */
void http_respond_json(http_response *rs, unsigned status, json_t *json);
/* Answer {"error": sentence} with `status`. */
void http_respond_error(http_response *rs, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef void (*http_handler)(void *ctx, const http_request *rq, http_response *rs);

/* The API-key hook: true when `key` (never NULL) is accepted; then `principal` (size n)
 * names who it belongs to (a partner, a shop, a user). Without a hook, every route that
 * needs a key answers 401. */
typedef bool (*http_auth_hook)(void *ctx, const char *key, char *principal, size_t n);

typedef struct http_server http_server;

/* A server without routes; NULL when out of memory. Free with http_server_free. */
http_server *http_server_new(void);

/* Route every request whose path starts with `prefix` ("/api/health") to `handler` with
 * `ctx`. With `needs_key` the hook must accept the request's API key first (401 without a
 * key, 403 for a key it refuses). Routes are added before http_server_start. */
edi_result http_server_route(http_server *srv, const char *prefix, bool needs_key,
                             http_handler handler, void *ctx);

/* A route's limit on the request body, asked once the request's headers are there (rq has
 * no body yet: body "" and body_len 0): the largest body accepted for this request, in
 * bytes. A request whose Content-Length is larger is answered 413 at once (before "100
 * Continue" when the client waits for it); a chunked one as soon as it grows past it. */
typedef size_t (*http_body_limit)(void *ctx, const http_request *rq);

/* Give the route added with exactly `prefix` its body limit hook (before
 * http_server_start). EDI_E_NOT_FOUND when there is no such route. */
edi_result http_server_route_limit(http_server *srv, const char *prefix, http_body_limit limit);

/* Serve HTTPS with the PEM certificate (chain) and private key in these files (before
 * http_server_start; read at once). EDI_E_IO with a sentence when a file cannot be read,
 * EDI_E_ARG when this libmicrohttpd has no TLS. */
edi_result http_server_set_tls(http_server *srv, const char *cert_file, const char *key_file,
                               char *why, size_t why_n);

/* Set the API-key hook (before http_server_start). */
void http_server_set_auth(http_server *srv, http_auth_hook hook, void *ctx);

/* Listen on `address` (an IPv4 or IPv6 literal) and `port` (0: any free port) with
 * `threads` threads. EDI_E_ARG for an address that is not a literal, EDI_E_IO when the port
 * cannot be had; `why` says which. */
edi_result http_server_start(http_server *srv, const char *address, unsigned port,
                             unsigned threads, char *why, size_t why_n);

/* The port the server listens on (useful after asking for 0); 0 when not started. */
unsigned http_server_port(const http_server *srv);

/* Stop listening (requests being answered are finished first) and free the server. */
void http_server_free(http_server *srv);

#endif
