/* api.c: registering the JSON API and what its handlers share (api.h). */
#include "api.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api_auth.h"

void api_error(http_response *rs, unsigned status, const char *field, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:s}", "error", text);
    if (j && field)
        json_object_set_new(j, "field", json_string(field));
    http_respond_json(rs, status, j);
}

unsigned api_status(edi_result r)
{
    switch (r) {
    case EDI_OK: return 200;
    case EDI_E_ARG: return 422;
    case EDI_E_NOT_FOUND: return 404;
    case EDI_E_CONFLICT: return 409;
    case EDI_E_LIMIT: return 413;
    case EDI_E_SYNTAX: return 400;
    case EDI_E_STORE: return 503;
    default: return 500;
    }
}

store *api_lock(const api_context *ctx)
{
    pthread_mutex_lock(ctx->store_lock);
    return ctx->store;
}

void api_unlock(const api_context *ctx)
{
    pthread_mutex_unlock(ctx->store_lock);
}

bool api_authenticate(const api_context *ctx, const http_request *rq, http_response *rs,
                      api_principal *who)
{
    if (!rq->api_key) {
        api_error(rs, 401, NULL, "%s needs an API key: send it in the X-API-Key header (or as "
                  "Authorization: Bearer)", rq->path);
        return false;
    }
    char why[512] = "";
    if (api_auth_identify(ctx, rq->api_key, who, why, sizeof why) != EDI_OK) {
        api_error(rs, 503, NULL, "the key cannot be checked now: %s; try again later", why);
        return false;
    }
    if (who->who == API_NOBODY || (who->who == API_USER && !who->active)) {
        api_error(rs, 401, NULL, "the API key is not accepted: no partner, administrator or "
                  "active customer user has it");
        return false;
    }
    return true;
}

bool api_require_admin(const api_principal *who, http_response *rs)
{
    if (who->who == API_ADMIN)
        return true;
    api_error(rs, 403, NULL, "this needs the ERP/administrator key; the key sent is %s's",
              who->name);
    return false;
}

json_t *api_body(const http_request *rq, http_response *rs, size_t max)
{
    if (rq->body_len > max) {
        api_error(rs, 413, NULL, "the request body has %zu bytes; at most %zu are taken",
                  rq->body_len, max);
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        api_error(rs, 400, NULL, "the body is not valid JSON: %s (line %d, column %d)", err.text,
                  err.line, err.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_error(rs, 400, NULL, "the body must be one JSON object { ... }");
        return NULL;
    }
    return j;
}

int api_segments(const char *rest, char (*seg)[MD_ID_MAX], int max)
{
    int n = 0;
    const char *p = rest;
    while (*p) {
        if (*p++ != '/')
            return -1;
        if (!*p)
            break; /* a trailing slash */
        size_t len = strcspn(p, "/");
        if (len == 0 || len >= MD_ID_MAX || n == max)
            return -1;
        memcpy(seg[n], p, len);
        seg[n][len] = '\0';
        n++;
        p += len;
    }
    return n;
}

void api_method_not_allowed(http_response *rs, const char *path, const char *allowed)
{
    api_error(rs, 405, NULL, "%s takes %s", path, allowed);
}

edi_result api_routes_register(http_server *srv, const api_context *ctx, char *why,
                               size_t why_n)
{
    if (!srv || !ctx || !ctx->store || !ctx->store_lock || !ctx->content) {
        edi_say(why, why_n, "the API needs a server, a store with its lock and a content store");
        return EDI_E_ARG;
    }
    if (ctx->admin_key && *ctx->admin_key && strlen(ctx->admin_key) < API_KEY_MIN) {
        edi_say(why, why_n, "the ERP/admin API key is shorter than %d characters; use a long "
                "random key", API_KEY_MIN);
        return EDI_E_ARG;
    }
    static const struct {
        const char *prefix;
        http_handler handler;
    } routes[] = {
        { "/api/customers", api_customers_route }, { "/api/articles", api_articles_route },
        { "/api/contracts", api_contracts_route }, { "/api/orders", api_orders_route },
        { "/api/messages", api_messages_route },
    };
    void *c = (void *)(uintptr_t)ctx; /* handlers only read it */
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        edi_result r = http_server_route(srv, routes[i].prefix, false, routes[i].handler, c);
        if (r != EDI_OK) {
            edi_say(why, why_n, "the route %s cannot be registered: %s", routes[i].prefix,
                    edi_result_str(r));
            return r;
        }
    }
    http_server_set_auth(srv, api_auth_hook, c);
    return EDI_OK;
}
