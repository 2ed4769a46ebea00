/* http_server.c: the HTTP server on libmicrohttpd (http_server.h). */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

typedef struct {
    char *prefix;
    size_t prefix_len;
    bool needs_key;
    http_handler handler;
    http_body_limit limit;
    void *ctx;
} route;

struct http_server {
    route *routes;
    size_t n_routes, cap;
    http_auth_hook auth;
    void *auth_ctx;
    struct MHD_Daemon *mhd;
    unsigned port;
    char *tls_cert, *tls_key; /* PEM, NULL: plain HTTP */
};

/* What MHD keeps per connection while the body arrives. */
typedef struct {
    char *body;
    size_t len, cap;
    size_t limit;          /* the route's limit for this request */
    bool too_large;
    bool answered;         /* refused before its body: what still comes is dropped */
} upload;

http_server *http_server_new(void)
{
    return calloc(1, sizeof(http_server));
}

edi_result http_server_route(http_server *srv, const char *prefix, bool needs_key,
                             http_handler handler, void *ctx)
{
    if (!srv || !prefix || prefix[0] != '/' || !handler || srv->mhd)
        return EDI_E_ARG;
    if (srv->n_routes == srv->cap) {
        size_t cap = srv->cap ? srv->cap * 2 : 8;
        route *r = realloc(srv->routes, cap * sizeof *r);
        if (!r)
            return EDI_E_NOMEM;
        srv->routes = r;
        srv->cap = cap;
    }
    route *r = &srv->routes[srv->n_routes];
    if (!(r->prefix = strdup(prefix)))
        return EDI_E_NOMEM;
    r->prefix_len = strlen(prefix);
    r->needs_key = needs_key;
    r->handler = handler;
    r->limit = NULL;
    r->ctx = ctx;
    srv->n_routes++;
    return EDI_OK;
}

edi_result http_server_route_limit(http_server *srv, const char *prefix, http_body_limit limit)
{
    for (size_t i = 0; srv && prefix && i < srv->n_routes; i++)
        if (!strcmp(srv->routes[i].prefix, prefix)) {
            srv->routes[i].limit = limit;
            return EDI_OK;
        }
    return EDI_E_NOT_FOUND;
}

static void free_secret(char *secret)
{
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}

/* The whole file at `path`, NUL-terminated (malloc'd), or NULL with errno set. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = b;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    bool bad = ferror(f) || len == 0;
    fclose(f);
    if (bad) {
        free(buf);
        errno = len ? EIO : ENODATA;
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

edi_result http_server_set_tls(http_server *srv, const char *cert_file, const char *key_file,
                               char *why, size_t why_n)
{
    if (!srv || !cert_file || !key_file || srv->mhd)
        return EDI_E_ARG;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        edi_say(why, why_n, "this libmicrohttpd has no TLS: HTTPS cannot be served");
        return EDI_E_ARG;
    }
    char *cert = slurp(cert_file);
    if (!cert) {
        edi_say(why, why_n, "the TLS certificate %s cannot be read: %s", cert_file,
                strerror(errno));
        return EDI_E_IO;
    }
    char *key = slurp(key_file);
    if (!key) {
        edi_say(why, why_n, "the TLS key %s cannot be read: %s", key_file, strerror(errno));
        free(cert);
        return EDI_E_IO;
    }
    free(srv->tls_cert);
    if (srv->tls_key)
        free_secret(srv->tls_key);
    srv->tls_cert = cert;
    srv->tls_key = key;
    return EDI_OK;
}

void http_server_set_auth(http_server *srv, http_auth_hook hook, void *ctx)
{
    srv->auth = hook;
    srv->auth_ctx = ctx;
}

const char *http_request_arg(const http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_request_header(const http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->connection, MHD_HEADER_KIND, name);
}

char *http_request_take_body(const http_request *rq, size_t *len)
{
    upload *up = rq->upload;
    char *body = up ? up->body : NULL;
    *len = body ? up->len : 0;
    if (up) {
        up->body = NULL;
        up->len = up->cap = 0;
    }
    return body;
}

void http_respond_json(http_response *rs, unsigned status, json_t *json)
{
    rs->status = status;
    rs->content_type = "application/json";
    free(rs->body);
    rs->body = json ? json_dumps(json, JSON_COMPACT) : NULL;
    rs->body_len = rs->body ? strlen(rs->body) : 0;
    if (!rs->body)
        rs->status = 500;
    json_decref(json);
}

void http_respond_error(http_response *rs, unsigned status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    http_respond_json(rs, status, json_pack("{s:s}", "error", text));
}

/* The longest prefix that matches `path` at a segment boundary. */
static const route *find_route(const http_server *srv, const char *path)
{
    const route *best = NULL;
    for (size_t i = 0; i < srv->n_routes; i++) {
        const route *r = &srv->routes[i];
        if (strncmp(path, r->prefix, r->prefix_len))
            continue;
        char next = path[r->prefix_len];
        if (next != '\0' && next != '/' && r->prefix[r->prefix_len - 1] != '/')
            continue;
        if (!best || r->prefix_len > best->prefix_len)
            best = r;
    }
    return best;
}

/* Add the handler's "Name: value\r\n" lines to `resp`; true when one is Content-Type. */
static bool add_headers(struct MHD_Response *resp, char *lines)
{
    bool has_type = false;
    for (char *line = lines; line && *line;) {
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : line + strlen(line);
        if (end) {
            *end = '\0';
            if (end > line && end[-1] == '\r')
                end[-1] = '\0';
        }
        char *colon = strchr(line, ':');
        if (colon && colon > line) {
            *colon = '\0';
            const char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            if (!strcasecmp(line, MHD_HTTP_HEADER_CONTENT_TYPE))
                has_type = true;
            MHD_add_response_header(resp, line, value);
        }
        line = next;
    }
    return has_type;
}

static enum MHD_Result send_response(struct MHD_Connection *c, http_response *rs)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        rs->body_len, rs->body ? rs->body : (void *)"", rs->body ? MHD_RESPMEM_MUST_FREE
                                                                  : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(rs->body);
        free(rs->headers);
        return MHD_NO;
    }
    rs->body = NULL;
    bool has_type = add_headers(resp, rs->headers);
    free(rs->headers);
    rs->headers = NULL;
    if (!has_type || rs->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                rs->content_type ? rs->content_type : "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, rs->status ? rs->status : 500, resp);
    MHD_destroy_response(resp);
    return ret;
}

static const char *api_key_of(struct MHD_Connection *c)
{
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
    if (key && *key)
        return key;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && !strncmp(auth, "Bearer ", 7) && auth[7])
        return auth + 7;
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *data_size, void **con_cls)
{
    (void)version;
    http_server *srv = cls;
    upload *up = *con_cls;
    if (!up) {
        /* First call: only the headers are here. A body announced larger than the route's
         * limit is refused now, so a client waiting for "100 Continue" never sends it. */
        if (!(up = calloc(1, sizeof *up)))
            return MHD_NO;
        *con_cls = up;
        up->limit = HTTP_MAX_BODY;
        const route *r = find_route(srv, url);
        if (r && r->limit) {
            http_request head = { .method = method, .path = url, .rest = url + r->prefix_len,
                                  .body = "", .api_key = api_key_of(c), .connection = c };
            up->limit = r->limit(r->ctx, &head);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        char *end = NULL;
        unsigned long long announced = cl ? strtoull(cl, &end, 10) : 0;
        if (cl && end != cl && announced > up->limit) {
            up->too_large = up->answered = true;
            http_response rs = { 0 };
            http_respond_error(&rs, 413, "the request body of %llu bytes is larger than the "
                               "%zu bytes accepted here", announced, up->limit);
            return send_response(c, &rs);
        }
        /* A known length is allocated once: no doubling of large bodies. */
        if (cl && end != cl && announced > 0 && announced < SIZE_MAX) {
            if (!(up->body = malloc((size_t)announced + 1)))
                return MHD_NO;
            up->cap = (size_t)announced + 1;
        }
        return MHD_YES;
    }
    if (up->answered) {
        *data_size = 0;
        return MHD_YES;
    }
    if (*data_size) {
        if (!up->too_large && up->len + *data_size <= up->limit) {
            if (up->len + *data_size + 1 > up->cap) {
                size_t cap = (up->len + *data_size + 1) * 2;
                char *b = realloc(up->body, cap);
                if (!b)
                    return MHD_NO;
                up->body = b;
                up->cap = cap;
            }
            memcpy(up->body + up->len, data, *data_size);
            up->len += *data_size;
            up->body[up->len] = '\0';
        } else {
            up->too_large = true;
        }
        *data_size = 0;
        return MHD_YES;
    }

    http_response rs = { 0 };
    const route *r = find_route(srv, url);
    if (up->too_large) {
        http_respond_error(&rs, 413, "the request body is larger than %zu bytes", up->limit);
        return send_response(c, &rs);
    }
    if (!r) {
        http_respond_error(&rs, 404, "there is nothing at %s", url);
        return send_response(c, &rs);
    }
    http_request rq = {
        .method = method, .path = url, .rest = url + r->prefix_len,
        .body = up->body ? up->body : "", .body_len = up->len,
        .api_key = api_key_of(c), .connection = c, .upload = up,
    };
    char principal[128] = "";
    if (r->needs_key) {
        if (!rq.api_key) {
            http_respond_error(&rs, 401, "%s needs an API key (header X-API-Key)", r->prefix);
            return send_response(c, &rs);
        }
        if (!srv->auth || !srv->auth(srv->auth_ctx, rq.api_key, principal, sizeof principal)) {
            http_respond_error(&rs, 403, "the API key is not accepted");
            return send_response(c, &rs);
        }
        rq.principal = principal;
    }
    r->handler(r->ctx, &rq, &rs);
    return send_response(c, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload *up = *con_cls;
    if (up) {
        free(up->body);
        free(up);
        *con_cls = NULL;
    }
}

edi_result http_server_start(http_server *srv, const char *address, unsigned port,
                             unsigned threads, char *why, size_t why_n)
{
    if (!srv || srv->mhd || port > 65535) {
        edi_say(why, why_n, "the HTTP server cannot be started twice or on port %u", port);
        return EDI_E_ARG;
    }
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    const struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (srv->tls_cert)
        flags |= MHD_USE_TLS;
    if (inet_pton(AF_INET, address, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, address, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        edi_say(why, why_n, "the HTTP address \"%s\" is not an IPv4 or IPv6 address", address);
        return EDI_E_ARG;
    }
    srv->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, srv,
                                MHD_OPTION_SOCK_ADDR, sa,
                                MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 1,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                srv->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
                                srv->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
                                MHD_OPTION_END);
    if (!srv->mhd) {
        edi_say(why, why_n, "the HTTP server cannot listen on %s port %u (in use, or not "
                "allowed); choose another <http> address or port in the configuration",
                address, port);
        return EDI_E_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    return EDI_OK;
}

unsigned http_server_port(const http_server *srv)
{
    return srv && srv->mhd ? srv->port : 0;
}

void http_server_free(http_server *srv)
{
    if (!srv)
        return;
    if (srv->mhd)
        MHD_stop_daemon(srv->mhd);
    for (size_t i = 0; i < srv->n_routes; i++)
        free(srv->routes[i].prefix);
    free(srv->routes);
    free(srv->tls_cert);
    if (srv->tls_key)
        free_secret(srv->tls_key);
    free(srv);
}
