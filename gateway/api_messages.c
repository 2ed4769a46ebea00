/* api_messages.c: GET /api/messages (filtered by status, partner, order number, time,
 * direction) and GET /api/messages/{id} with its history, orders and (?tree=1) parsed tree,
 * for support staff and the ERP (api.h, docs/api.md): the JSON twin of `gateway messages
 * list|show`. */
#include "api.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "mapping.h"
#include "message_tree.h"
#include "store_orders.h"

/* Unix milliseconds as ISO 8601 UTC with milliseconds. */
static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* `since`: Unix milliseconds, or YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] (UTC without an
 * offset). False when it is neither. */
static bool parse_since(const char *s, int64_t *ms)
{
    size_t n = strlen(s);
    if (n > 0 && n <= 15 && strspn(s, "0123456789") == n) {
        *ms = strtoll(s, NULL, 10);
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int used = 0, y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0;
    char sign = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
        return false;
    const char *p = s + 10;
    if (*p == 'T') {
        if (sscanf(p, "T%2d:%2d%n", &h, &mi, &used) != 2 || used != 6)
            return false;
        p += 6;
        if (*p == ':') {
            if (sscanf(p, ":%2d%n", &se, &used) != 1 || used != 3)
                return false;
            p += 3;
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5)
                return false;
            p += 6;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    int64_t t = (int64_t)timegm(&tm);
    int64_t offset = (int64_t)(oh * 3600 + om * 60);
    t += sign == '+' ? -offset : sign == '-' ? offset : 0;
    *ms = t * 1000;
    return true;
}

static json_t *message_json(const store_message *m)
{
    char created[32], updated[32];
    iso_time(m->created_ms, created);
    iso_time(m->updated_ms, updated);
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
                          (json_int_t)m->id, "direction", m->direction == STORE_IN ? "in" : "out",
                          "partner", m->partner, "channel", m->channel, "filename", m->filename,
                          "content_id", m->content_id, "size", (json_int_t)m->size, "format",
                          m->format, "status", m->status, "status_reason", m->status_reason,
                          "reference", m->reference, "created", created, "updated", updated);
    if (j && m->parent_id)
        json_object_set_new(j, "parent_id", json_integer((json_int_t)m->parent_id));
    return j;
}

static int add_message(void *ctx, const store_message *m)
{
    return json_array_append_new(ctx, message_json(m)) != 0;
}

static int add_event(void *ctx, const store_event *e)
{
    char at[32];
    iso_time(e->at_ms, at);
    return json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)e->id,
                                                "at", at, "event", e->event, "actor", e->actor,
                                                "detail", e->detail)) != 0;
}

static int add_order(void *ctx, const store_order *o)
{
    return json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
                                                (json_int_t)o->id, "number", o->number, "state",
                                                o->state, "customer_id", o->customer_id,
                                                "requester_user_id", o->requester_user_id,
                                                "amount", o->amount, "currency",
                                                o->currency)) != 0;
}

static void list(const api_context *ctx, const http_request *rq, http_response *rs)
{
    store_message_filter f = { .direction = -1, .limit = 100 };
    f.status = http_request_arg(rq, "status");
    f.partner = http_request_arg(rq, "partner");
    f.reference = http_request_arg(rq, "order");
    const char *since = http_request_arg(rq, "since");
    const char *limit = http_request_arg(rq, "limit");
    const char *direction = http_request_arg(rq, "direction");
    if (since && *since && !parse_since(since, &f.since_ms)) {
        api_error(rs, 422, "since", "since \"%.40s\" is not a time; write 2026-11-26, "
                  "2026-11-26T14:00:00Z or Unix milliseconds", since);
        return;
    }
    if (limit && *limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*end || v < 1 || v > 1000) {
            api_error(rs, 422, "limit", "limit must be a whole number from 1 to 1000");
            return;
        }
        f.limit = (size_t)v;
    }
    if (direction && *direction) {
        if (strcmp(direction, "in") && strcmp(direction, "out")) {
            api_error(rs, 422, "direction", "direction must be in or out");
            return;
        }
        f.direction = strcmp(direction, "in") ? STORE_OUT : STORE_IN;
    }
    json_t *a = json_array();
    char why[640] = "";
    store *s = api_lock(ctx);
    edi_result r = store_message_list(s, &f, add_message, a, why, sizeof why);
    api_unlock(ctx);
    if (r != EDI_OK) {
        json_decref(a);
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    http_respond_json(rs, 200, json_pack("{s:o}", "messages", a));
}

/* The tree a request gets at most, and with full=1: never unbounded, so that the
 * daemon's memory stays bounded (message_tree.h: the parse bounds apply). */
#define API_TREE_MAX ((size_t)1 << 20)
#define API_TREE_FULL_MAX ((size_t)64 << 20)

/* ?tree=: 1, true or xml (EDIFACT as EDIFACT-XML), segments (one line per segment); NULL
 * and "0" ask for none. False for anything else. */
static bool tree_wanted(const char *arg, bool *want, message_tree_style *style)
{
    *want = arg && *arg && strcmp(arg, "0") && strcmp(arg, "false");
    *style = MESSAGE_TREE_XML;
    if (!*want)
        return true;
    return !strcmp(arg, "1") || !strcmp(arg, "true") || message_tree_style_parse(arg, style);
}

/* The parsed tree of message `m` into `j`: `tree` (a string; the object itself for JSON),
 * `tree_format`, `tree_truncated`, `tree_lines`, `tree_error` when it does not parse or has
 * no tree, `tree_findings` for EDIFACT. */
static void add_tree(const api_context *ctx, const store_message *m, message_tree_style style,
                     bool full, json_t *j)
{
    edi_buf raw = { 0 };
    char why[640] = "";
    if (content_store_get(ctx->content, m->content_id, &raw, why, sizeof why) != EDI_OK) {
        json_object_set_new(j, "tree_error", json_string(why));
        return;
    }
    message_tree_options o = {
        .format = mapping_detect(raw.p, raw.len, NULL, 0),
        .style = style,
        .max_bytes = full ? API_TREE_FULL_MAX : API_TREE_MAX,
    };
    if (o.format == MAPPING_FORMAT_JSON && raw.len <= o.max_bytes) {
        json_error_t err;
        json_t *doc = json_loadb(raw.p, raw.len, JSON_DECODE_ANY, &err);
        edi_buf_free(&raw);
        json_object_set_new(j, "tree_format", json_string("json"));
        if (doc)
            json_object_set_new(j, "tree", doc);
        else
            json_object_set_new(j, "tree_error", json_sprintf("line %d, column %d: %s", err.line,
                                                              err.column, err.text));
        return;
    }
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s/edifact",
             ctx->formats_dir ? ctx->formats_dir : config_default_formats_dir());
    const partner *p = m->direction == STORE_IN ? partner_set_by_id(ctx->partners, m->partner)
                                                : NULL;
    edi_directory *dir = o.format == MAPPING_FORMAT_EDIFACT ? edi_directory_open(dirpath) : NULL;
    o.directory = dir;
    o.charset_override = p ? p->charset : NULL;
    message_tree t;
    edi_result r = message_tree_render(raw.p, raw.len, &o, &t, why, sizeof why);
    edi_directory_free(dir);
    edi_buf_free(&raw);
    if (r != EDI_OK) {
        json_object_set_new(j, "tree_error", json_string(why));
        message_tree_free(&t);
        return;
    }
    json_object_set_new(j, "tree_format",
                        json_string(t.format == MAPPING_FORMAT_EDIFACT
                                        ? (style == MESSAGE_TREE_XML ? "edifact-xml"
                                                                     : "edifact-segments")
                                    : t.format == MAPPING_FORMAT_JSON ? "json" : "xml"));
    json_object_set_new(j, "tree", json_stringn(t.text.p, t.text.len));
    json_object_set_new(j, "tree_truncated", json_boolean(t.truncated));
    json_object_set_new(j, "tree_lines", json_integer((json_int_t)t.total_lines));
    if (t.stopped)
        json_object_set_new(j, "tree_error", json_string(t.stop));
    if (t.format == MAPPING_FORMAT_EDIFACT)
        json_object_set_new(j, "tree_findings",
                            json_pack("{s:I,s:I,s:s%}", "errors", (json_int_t)t.errors,
                                      "warnings", (json_int_t)t.warnings, "listed",
                                      t.findings.len ? t.findings.p : "", t.findings.len));
    message_tree_free(&t);
}

static void show(const api_context *ctx, const http_request *rq, const char *idtext,
                 http_response *rs)
{
    char *end;
    long long id = strtoll(idtext, &end, 10);
    if (*end || id <= 0 || !isdigit((unsigned char)idtext[0])) {
        api_error(rs, 404, NULL, "\"%s\" is not a message id; ids are whole numbers", idtext);
        return;
    }
    bool want_tree = false;
    message_tree_style style;
    const char *full = http_request_arg(rq, "full");
    if (!tree_wanted(http_request_arg(rq, "tree"), &want_tree, &style)) {
        api_error(rs, 422, "tree", "tree must be 1 (EDIFACT as EDIFACT-XML), xml or segments");
        return;
    }
    store_message m;
    json_t *history = json_array(), *orders = json_array();
    char why[640] = "";
    store *s = api_lock(ctx);
    edi_result r = store_message_get(s, (store_id)id, &m, why, sizeof why);
    if (r == EDI_OK)
        r = store_history_list(s, (store_id)id, add_event, history, why, sizeof why);
    if (r == EDI_OK)
        r = store_order_list_message(s, (store_id)id, add_order, orders, why, sizeof why);
    api_unlock(ctx);
    if (r != EDI_OK) {
        json_decref(history);
        json_decref(orders);
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    json_t *j = message_json(&m);
    json_object_set_new(j, "history", history);
    json_object_set_new(j, "orders", orders);
    if (want_tree)
        add_tree(ctx, &m, style, full && (!strcmp(full, "1") || !strcmp(full, "true")), j);
    http_respond_json(rs, 200, j);
}

void api_messages_route(void *vctx, const http_request *rq, http_response *rs)
{
    const api_context *ctx = vctx;
    api_principal who;
    if (!api_authenticate(ctx, rq, rs, &who) || !api_require_admin(&who, rs))
        return;
    if (strcmp(rq->method, "GET")) {
        api_method_not_allowed(rs, rq->path, "GET");
        return;
    }
    char seg[2][MD_ID_MAX];
    int n = api_segments(rq->rest, seg, 2);
    if (n == 0)
        list(ctx, rq, rs);
    else if (n == 1)
        show(ctx, rq, seg[0], rs);
    else
        api_error(rs, 404, NULL, "there is nothing at %s", rq->path);
}
