/* api_orders.c: /api/orders (api.h, docs/api.md). POST /api/orders: the web shop's orders.
 * The shop authenticates with its partner key (the profile must accept web-order); the body
 * is a web order (weborder.h), checked at once so that the shop hears about a mistake while
 * the customer is still at the screen; then the raw bytes go into the content store and the
 * message (channel "api", the shop's partner id, format "JSON web order") with its history
 * and its first job "identify" is recorded in one transaction before 202 is answered. The
 * same body posted again (a retry after a lost answer) gives the message already recorded.
 * POST /api/orders/{id}/despatch and /api/orders/{id}/invoice (the ERP key) record what the
 * supplier despatched and invoiced (orders_despatch, orders_invoice in gateway/orders.h);
 * the partner's DESADV, DISPATCHNOTIFICATION or invoice follows through the "answer" step;
 * an invoice request without `seller` members takes them from the configuration's <seller>.
 * GET /api/orders and /api/orders/{id} show orders to the ERP and to a customer's users (their
 * own customer's only: another customer's order is "not found", so ids cannot be probed).
 * Decisions on held orders (order_holds.h): a customer user approves or rejects the approval
 * an order waits for; the seller's staff, with the ERP key, release or reject an order a
 * check held. Each decision is one transaction with its events and the "answer" job. */
#include "api.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "config.h"
#include "edi_buf.h"
#include "mapping.h"
#include "order_holds.h"
#include "orders.h"
#include "store_orders.h"
#include "weborder.h"

/* The order number of a canonical order ("" when it has none). */
static void order_number(xmlDocPtr doc, char *out, size_t n)
{
    out[0] = '\0';
    for (xmlNodePtr c = xmlDocGetRootElement(doc)->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST "number")) {
            xmlChar *t = xmlNodeGetContent(c);
            snprintf(out, n, "%s", t ? (const char *)t : "");
            xmlFree(t);
            return;
        }
}

/* The findings as [{field, error}] (errors only, or every one with `all`). */
static json_t *problems(const doc_findings *f, bool all)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < f->count; i++)
        if (all || f->items[i].severity == DOC_ERROR)
            json_array_append_new(a, json_pack("{s:s,s:s}", "field", f->items[i].where,
                                               all ? "warning" : "error", f->items[i].text));
    return a;
}

typedef struct {
    const char *content_id;
    store_id found;
} dup_search;

static int same_content(void *vctx, const store_message *m)
{
    dup_search *d = vctx;
    if (!strcmp(m->channel, "api") && !strcmp(m->content_id, d->content_id)) {
        d->found = m->id;
        return 1;
    }
    return 0;
}

/* Is `user_id` an active user of `customer_id`? False after answering 422 (or 503). */
static bool user_checked(const api_context *ctx, const char *user_id, const char *customer_id,
                         http_response *rs)
{
    char why[640] = "";
    store_user u;
    approval_user au;
    store *s = api_lock(ctx);
    edi_result r = store_user_get(s, user_id, &u, why, sizeof why);
    if (r == EDI_OK)
        r = store_user_as_approver(s, user_id, &au, NULL, why, sizeof why);
    api_unlock(ctx);
    if (r == EDI_E_NOT_FOUND) {
        api_error(rs, 422, "user_id", "there is no customer user %s; send the id of the user who "
                  "placed the order as the supplier knows it", user_id);
        return false;
    }
    if (r != EDI_OK) {
        api_error(rs, api_status(r), NULL, "%s", why);
        return false;
    }
    if (strcmp(u.customer_id, customer_id) != 0) {
        api_error(rs, 422, "user_id", "user %s belongs to customer %s, not to customer %s",
                  user_id, u.customer_id, customer_id);
        return false;
    }
    if (!au.active) {
        api_error(rs, 422, "user_id", "user %s is deactivated and cannot place orders; ask an "
                  "admin of customer %s", user_id, customer_id);
        return false;
    }
    return true;
}

static void post_order(const api_context *ctx, const partner *shop, const http_request *rq,
                       http_response *rs)
{
    size_t max = ctx->max_order_bytes ? ctx->max_order_bytes : API_ORDER_MAX_BYTES;
    if (rq->body_len > max) {
        api_error(rs, 413, NULL, "the web order has %zu bytes; at most %zu are taken",
                  rq->body_len, max);
        return;
    }
    doc_findings f;
    doc_findings_init(&f);
    xmlDocPtr doc = NULL;
    char user[65], customer[65], why[1024] = "", number[256];
    edi_result r = weborder_to_canonical(rq->body, rq->body_len, &doc, user, customer, &f, why,
                                         sizeof why);
    if (r != EDI_OK) {
        unsigned status = api_status(r);
        json_t *j = json_pack("{s:s}", "error", why);
        if (j && r == EDI_E_ARG && f.count) {
            json_object_set_new(j, "field", json_string(f.items[0].where));
            json_object_set_new(j, "problems", problems(&f, false));
        }
        http_respond_json(rs, status, j);
        doc_findings_free(&f);
        return;
    }
    order_number(doc, number, sizeof number);
    xmlFreeDoc(doc);
    json_t *warnings = problems(&f, true);
    doc_findings_free(&f);
    if (shop->customer[0] && strcmp(shop->customer, customer) != 0) {
        json_decref(warnings);
        api_error(rs, 422, "customer_id", "partner %s orders only for customer %s, not %s",
                  shop->id, shop->customer, customer);
        return;
    }
    if (!user_checked(ctx, user, customer, rs)) {
        json_decref(warnings);
        return;
    }
    char content_id[CONTENT_ID_SIZE];
    r = content_store_put(ctx->content, rq->body, rq->body_len, content_id, why, sizeof why);
    if (r != EDI_OK) {
        json_decref(warnings);
        api_error(rs, 503, NULL, "the order cannot be stored now: %s; send it again later", why);
        return;
    }
    store_message m;
    memset(&m, 0, sizeof m);
    m.direction = STORE_IN;
    snprintf(m.partner, sizeof m.partner, "%.63s", shop->id);
    snprintf(m.channel, sizeof m.channel, "api");
    snprintf(m.content_id, sizeof m.content_id, "%s", content_id);
    m.size = (int64_t)rq->body_len;
    snprintf(m.format, sizeof m.format, "%s", WEBORDER_FORMAT);
    snprintf(m.status, sizeof m.status, "%s", STORE_STATUS_RECEIVED);
    snprintf(m.reference, sizeof m.reference, "%.95s", number);
    dup_search d = { content_id, 0 };
    store_message_filter filter = { .partner = shop->id, .reference = m.reference,
                                    .direction = STORE_IN, .limit = 1000 };
    store_id id = 0;
    store *s = api_lock(ctx);
    r = store_begin(s, why, sizeof why);
    if (r == EDI_OK)
        r = store_message_list(s, &filter, same_content, &d, why, sizeof why);
    if (r == EDI_OK && !d.found)
        r = store_message_insert(s, &m, "identify", &id, why, sizeof why);
    if (r == EDI_OK)
        r = store_commit(s, why, sizeof why);
    else
        store_rollback(s);
    api_unlock(ctx);
    if (r != EDI_OK) {
        json_decref(warnings);
        api_error(rs, 503, NULL, "the order cannot be recorded now: %s; send it again later",
                  why);
        return;
    }
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:o}", "message_id",
                          (json_int_t)(d.found ? d.found : id), "status",
                          d.found ? "already received" : STORE_STATUS_RECEIVED, "order_number",
                          number, "customer_id", customer, "user_id", user, "duplicate",
                          d.found != 0, "warnings", warnings);
    http_respond_json(rs, d.found ? 200 : 202, j);
}

/* The findings as [{severity, rule, where, text}]. */
static json_t *findings_json(const doc_findings *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < f->count; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "severity",
                                           f->items[i].severity == DOC_ERROR ? "error"
                                                                             : "warning",
                                           "rule", f->items[i].rule, "where", f->items[i].where,
                                           "text", f->items[i].text));
    return a;
}

/* Set `member` of object `obj` to `value` unless it has it. */
static edi_result default_member(json_t *obj, const char *member, const char *value)
{
    if (!value || json_object_get(obj, member))
        return EDI_OK;
    return json_object_set_new(obj, member, json_string(value)) ? EDI_E_NOMEM : EDI_OK;
}

/* The configuration's seller (`seller`, config_seller_names order) under the request's
 * `seller`, member by member: what the request names wins. The GLN becomes the seller's
 * electronic address (EAS 0088) when the request gives none. A `seller` that is not an
 * object is left for orders_invoice to refuse. */
static edi_result seller_defaults(json_t *body, char *const *seller)
{
    static const char *const member[CONFIG_SELLER_FIELDS] = {
        [CONFIG_SELLER_NAME] = "name",         [CONFIG_SELLER_VAT_ID] = "vat_id",
        [CONFIG_SELLER_STREET] = "street",     [CONFIG_SELLER_POSTCODE] = "postcode",
        [CONFIG_SELLER_CITY] = "city",         [CONFIG_SELLER_COUNTRY] = "country",
        [CONFIG_SELLER_IBAN] = "iban",         [CONFIG_SELLER_BIC] = "bic",
        [CONFIG_SELLER_CONTACT_NAME] = "name", [CONFIG_SELLER_CONTACT_PHONE] = "phone",
        [CONFIG_SELLER_CONTACT_EMAIL] = "email",
    };
    bool any = false;
    for (size_t i = 0; i < CONFIG_SELLER_FIELDS; i++)
        any = any || seller[i];
    json_t *sel = json_object_get(body, "seller");
    if (!any || (sel && !json_is_object(sel)))
        return EDI_OK;
    if (!sel) {
        sel = json_object();
        if (!sel || json_object_set_new(body, "seller", sel))
            return EDI_E_NOMEM;
    }
    edi_result r = EDI_OK;
    for (size_t i = 0; r == EDI_OK && i < CONFIG_SELLER_CONTACT_NAME; i++)
        if (member[i])
            r = default_member(sel, member[i], seller[i]);
    const char *gln = seller[CONFIG_SELLER_GLN];
    if (r == EDI_OK && gln && !json_object_get(sel, "electronic_address"))
        r = json_object_set_new(sel, "electronic_address", json_string(gln)) ||
                    json_object_set_new(sel, "electronic_address_scheme", json_string("0088"))
                ? EDI_E_NOMEM
                : EDI_OK;
    bool contact = seller[CONFIG_SELLER_CONTACT_NAME] || seller[CONFIG_SELLER_CONTACT_PHONE] ||
                   seller[CONFIG_SELLER_CONTACT_EMAIL];
    json_t *c = json_object_get(sel, "contact");
    if (r != EDI_OK || !contact || (c && !json_is_object(c)))
        return r;
    if (!c) {
        c = json_object();
        if (!c || json_object_set_new(sel, "contact", c))
            return EDI_E_NOMEM;
    }
    for (size_t i = CONFIG_SELLER_CONTACT_NAME; r == EDI_OK && i < CONFIG_SELLER_FIELDS; i++)
        r = default_member(c, member[i], seller[i]);
    return r;
}

/* POST /api/orders/{id}/despatch|invoice with the ERP key. */
static void post_document(const api_context *ctx, const api_principal *who, store_id id,
                          bool invoice, const http_request *rq, http_response *rs)
{
    if (!api_require_admin(who, rs))
        return;
    json_t *body = api_body(rq, rs, API_BODY_MAX_BYTES);
    if (!body)
        return;
    if (invoice && ctx->seller && seller_defaults(body, ctx->seller) != EDI_OK) {
        json_decref(body);
        api_error(rs, 500, NULL, "out of memory adding the configured seller");
        return;
    }
    orders_document_result res;
    char why[1024] = "";
    store *s = api_lock(ctx);
    edi_result r = invoice ? orders_invoice(s, ctx->content, ctx->partners, id, body, who->name,
                                            &res, why, sizeof why)
                           : orders_despatch(s, ctx->content, id, body, who->name, &res, why,
                                             sizeof why);
    api_unlock(ctx);
    json_decref(body);
    if (r != EDI_OK) {
        json_t *j = json_pack("{s:s}", "error", why);
        if (j && res.field[0])
            json_object_set_new(j, "field", json_string(res.field));
        if (j && res.findings.count)
            json_object_set_new(j, "findings", findings_json(&res.findings));
        http_respond_json(rs, api_status(r), j);
        doc_findings_free(&res.findings);
        return;
    }
    json_t *j = json_pack("{s:I,s:I,s:s,s:s,s:s}", "order_id", (json_int_t)id, "document_id",
                          (json_int_t)res.document_id, invoice ? "invoice_number"
                                                               : "delivery_note",
                          res.number, "state", res.state, "answer", "queued");
    if (j && invoice) {
        json_object_set_new(j, "amount_due", json_string(res.amount));
        json_object_set_new(j, "currency", json_string(res.currency));
        json_object_set_new(j, "format", json_string(res.target));
        json_object_set_new(j, "warnings", findings_json(&res.findings));
    } else if (j) {
        json_object_set_new(j, "complete", json_boolean(res.complete));
        json_object_set_new(j, "duplicate", json_boolean(res.duplicate));
    }
    doc_findings_free(&res.findings);
    http_respond_json(rs, res.duplicate ? 200 : 201, j);
}

/* ---- reading orders ------------------------------------------------------------------ */

/* Unix milliseconds as ISO 8601 UTC with milliseconds. */
static void iso_ms(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* Seconds as ISO 8601 UTC; "" for 0 (not yet). */
static void iso_s(int64_t s, char out[32])
{
    out[0] = '\0';
    if (!s)
        return;
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The order id in a path segment; false after answering 404. */
static bool order_id_of(const char *text, const char *path, store_id *id, http_response *rs)
{
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (!isdigit((unsigned char)text[0]) || !end || *end || v <= 0) {
        api_error(rs, 404, NULL, "there is no order %s at %s: orders are named by their id in "
                  "the gateway (GET /api/orders)", text, path);
        return false;
    }
    *id = (store_id)v;
    return true;
}

/* The answer for an order the caller may not see, or that does not exist: the same 404. */
static void no_order(http_response *rs, store_id id)
{
    api_error(rs, 404, NULL, "there is no order %" PRId64, id);
}

/* May `who` see orders of customer `customer_id`? The ERP key all, a user its customer's. */
static bool may_see(const api_principal *who, const char *customer_id)
{
    return who->who == API_ADMIN ||
           (who->who == API_USER && !strcmp(who->user.customer_id, customer_id));
}

static json_t *order_summary(const store_order *o, order_hold_kind held)
{
    char created[32], updated[32];
    iso_ms(o->created_ms, created);
    iso_ms(o->updated_ms, updated);
    json_t *j = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id",
                          (json_int_t)o->id, "message_id", (json_int_t)o->message_id, "number",
                          o->number, "state", o->state, "customer_id", o->customer_id, "partner",
                          o->partner, "requester_user_id", o->requester_user_id, "amount",
                          o->amount, "currency", o->currency, "created", created, "updated",
                          updated);
    if (j && held != ORDER_HOLD_NONE)
        json_object_set_new(j, "held_for", json_string(order_hold_kind_name(held)));
    return j;
}

typedef struct {
    store *s;
    json_t *list;
    edi_result r;
    char *why;
    size_t why_n;
} list_ctx;

static int add_summary(void *vctx, const store_order *o)
{
    list_ctx *l = vctx;
    order_hold_kind held = ORDER_HOLD_NONE;
    l->r = order_holds_kind(l->s, o, &held, NULL, l->why, l->why_n);
    if (l->r != EDI_OK)
        return 1;
    return json_array_append_new(l->list, order_summary(o, held)) != 0;
}

/* GET /api/orders?state=&customer=&partner=&before=&limit= */
static void list_orders(const api_context *ctx, const api_principal *who,
                        const http_request *rq, http_response *rs)
{
    store_order_filter f = { .limit = 100 };
    f.state = http_request_arg(rq, "state");
    f.customer_id = http_request_arg(rq, "customer");
    f.partner = http_request_arg(rq, "partner");
    const char *limit = http_request_arg(rq, "limit"), *before = http_request_arg(rq, "before");
    order_state st;
    if (f.state && *f.state && !order_state_parse(f.state, &st)) {
        api_error(rs, 422, "state", "state \"%.40s\" is not an order state; write received, "
                  "held, accepted, rejected, confirmed, despatched or invoiced", f.state);
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
    if (before && *before) {
        char *end;
        long long v = strtoll(before, &end, 10);
        if (*end || v < 1) {
            api_error(rs, 422, "before", "before must be an order id (the last id of the page "
                      "before)");
            return;
        }
        f.before = (store_id)v;
    }
    if (who->who == API_USER) {
        if (f.customer_id && *f.customer_id && strcmp(f.customer_id, who->user.customer_id)) {
            api_error(rs, 403, "customer", "user %s sees the orders of customer %s only",
                      who->user.id, who->user.customer_id);
            return;
        }
        f.customer_id = who->user.customer_id;
    }
    char why[640] = "";
    list_ctx l = { .list = json_array(), .r = EDI_OK, .why = why, .why_n = sizeof why };
    if (!l.list) {
        api_error(rs, 500, NULL, "out of memory");
        return;
    }
    l.s = api_lock(ctx);
    edi_result r = store_order_list(l.s, &f, add_summary, &l, why, sizeof why);
    api_unlock(ctx);
    if (r == EDI_OK)
        r = l.r;
    if (r != EDI_OK) {
        json_decref(l.list);
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    http_respond_json(rs, 200, json_pack("{s:o}", "orders", l.list));
}

/* The text of child element `name` of `n` ("" when none); its attribute `attr` (may be
 * NULL) into `av`. */
static void child_value(xmlNodePtr n, const char *name, char *out, size_t size,
                        const char *attr, char *av, size_t av_n)
{
    out[0] = '\0';
    if (av)
        av[0] = '\0';
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name)) {
            xmlChar *t = xmlNodeGetContent(c);
            snprintf(out, size, "%s", t ? (const char *)t : "");
            xmlFree(t);
            if (attr && av) {
                xmlChar *a = xmlGetProp(c, BAD_CAST attr);
                snprintf(av, av_n, "%s", a ? (const char *)a : "");
                xmlFree(a);
            }
            return;
        }
}

/* The lines of the canonical order `content_id` as JSON; NULL with a sentence when it
 * cannot be read. */
static json_t *order_lines(content_store *cs, const char *content_id, char *why, size_t why_n)
{
    edi_buf raw = { 0 };
    xmlDocPtr doc = NULL;
    if (content_store_get(cs, content_id, &raw, why, why_n) != EDI_OK ||
        mapping_parse_xml(raw.p, raw.len, &doc, why, why_n) != EDI_OK) {
        edi_buf_free(&raw);
        return NULL;
    }
    edi_buf_free(&raw);
    json_t *lines = json_array();
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr l = root ? root->children : NULL; lines && l; l = l->next) {
        if (l->type != XML_ELEMENT_NODE || xmlStrcmp(l->name, BAD_CAST "line"))
            continue;
        char num[64], gtin[64], sup[128], buy[128], desc[512], qty[64], unit[16], price[64],
            basis[64];
        child_value(l, "number", num, sizeof num, NULL, NULL, 0);
        child_value(l, "gtin", gtin, sizeof gtin, NULL, NULL, 0);
        child_value(l, "supplierArticle", sup, sizeof sup, NULL, NULL, 0);
        child_value(l, "buyerArticle", buy, sizeof buy, NULL, NULL, 0);
        child_value(l, "description", desc, sizeof desc, NULL, NULL, 0);
        child_value(l, "quantity", qty, sizeof qty, "unit", unit, sizeof unit);
        child_value(l, "netPrice", price, sizeof price, "basisQuantity", basis, sizeof basis);
        json_array_append_new(lines, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "number",
                                               num, "gtin", gtin, "supplier_article", sup,
                                               "buyer_article", buy, "description", desc,
                                               "quantity", qty, "unit", unit, "net_price",
                                               price, "price_basis", basis));
    }
    xmlFreeDoc(doc);
    return lines;
}

typedef struct {
    json_t *events, *findings;
} event_lists;

static int add_order_event(void *vctx, const store_order_event *e)
{
    event_lists *l = vctx;
    char at[32];
    iso_ms(e->at_ms, at);
    if (!strcmp(e->event, "finding")) {
        json_t *f = json_loads(e->detail, 0, NULL);
        if (json_is_object(f))
            json_array_append(l->findings, f);
        json_decref(f);
    }
    return json_array_append_new(l->events, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id",
                                                      (json_int_t)e->id, "at", at, "event",
                                                      e->event, "actor", e->actor, "detail",
                                                      e->detail)) != 0;
}

static int add_document(void *vctx, const store_order_document *d)
{
    char created[32];
    iso_ms(d->created_ms, created);
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)d->id, "kind",
                          d->kind, "number", d->number, "state", d->state, "amount", d->amount,
                          "currency", d->currency, "created", created);
    if (j && d->message_id)
        json_object_set_new(j, "message_id", json_integer((json_int_t)d->message_id));
    if (j && d->note[0])
        json_object_set_new(j, "note", json_string(d->note));
    return json_array_append_new(vctx, j) != 0;
}

static json_t *approval_json(const approval *a)
{
    char created[32], expires[32], decided[32];
    iso_s(a->created_at, created);
    iso_s(a->expires_at, expires);
    iso_s(a->decided_at, decided);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", a->id, "state",
                     approval_state_name(a->state), "reason", a->reason, "requester_id",
                     a->requester_id, "created", created, "expires", expires, "decided_by",
                     a->decided_by, "decided", decided, "comment", a->comment);
}

/* GET /api/orders/{id} */
static void show_order(const api_context *ctx, const api_principal *who, store_id id,
                       http_response *rs)
{
    store_order o;
    approval a;
    order_hold_kind held = ORDER_HOLD_NONE;
    event_lists ev = { json_array(), json_array() };
    json_t *docs = json_array();
    char why[640] = "";
    store *s = api_lock(ctx);
    edi_result r = store_order_get(s, id, &o, why, sizeof why);
    bool visible = r == EDI_OK && may_see(who, o.customer_id);
    if (visible)
        r = order_holds_kind(s, &o, &held, &a, why, sizeof why);
    if (visible && r == EDI_OK)
        r = store_order_event_list(s, id, add_order_event, &ev, why, sizeof why);
    if (visible && r == EDI_OK)
        r = store_order_document_list(s, id, add_document, docs, why, sizeof why);
    api_unlock(ctx);
    json_t *lines = visible && r == EDI_OK ? order_lines(ctx->content, o.content_id, why,
                                                         sizeof why)
                                           : NULL;
    json_t *j = lines ? order_summary(&o, held) : NULL;
    if (j) {
        json_t *plan = json_loads(o.answer, 0, NULL);
        json_object_set_new(j, "answer", plan ? plan : json_null());
        if (o.response_message_id)
            json_object_set_new(j, "response_message_id",
                                json_integer((json_int_t)o.response_message_id));
        json_object_set_new(j, "lines", lines);
        json_object_set(j, "findings", ev.findings);
        json_object_set(j, "events", ev.events);
        json_object_set_new(j, "approval", a.id[0] ? approval_json(&a) : json_null());
        json_object_set(j, "documents", docs);
    }
    json_decref(ev.events);
    json_decref(ev.findings);
    json_decref(docs);
    if (r == EDI_E_NOT_FOUND || (r == EDI_OK && !visible))
        no_order(rs, id);
    else if (r != EDI_OK)
        api_error(rs, api_status(r), NULL, "%s", why);
    else if (!j)
        api_error(rs, 500, NULL, "order %" PRId64 " cannot be shown: %s", id,
                  why[0] ? why : "out of memory");
    else
        http_respond_json(rs, 200, j);
}

/* ---- decisions ------------------------------------------------------------------------- */

/* The decision body: optional members `comment` and (the ERP's) `by`, strings; nothing
 * else. An empty body is {}. NULL after answering 400, 413 or 422. */
static json_t *decision_body(const http_request *rq, http_response *rs, bool with_by)
{
    json_t *body = rq->body_len ? api_body(rq, rs, API_BODY_MAX_BYTES) : json_object();
    if (!body)
        return NULL;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        bool known = !strcmp(key, "comment") || (with_by && !strcmp(key, "by"));
        if (!known) {
            api_error(rs, 422, key, "%s is not a member of a decision; send {\"comment\": "
                      "\"...\"%s}", key, with_by ? ", \"by\": \"the staff member\"" : "");
            json_decref(body);
            return NULL;
        }
        if (!json_is_string(v)) {
            api_error(rs, 422, key, "%s must be a JSON string", key);
            json_decref(body);
            return NULL;
        }
    }
    return body;
}

static const char *member_text(json_t *body, const char *name)
{
    const char *v = json_string_value(json_object_get(body, name));
    return v ? v : "";
}

/* The HTTP status of a refused approval decision. */
static unsigned refusal_status(approval_refusal r)
{
    switch (r) {
    case APPROVAL_REFUSED_OWN_ORDER:
    case APPROVAL_REFUSED_NOT_APPROVER:
        return 403;
    case APPROVAL_REFUSED_COMMENT:
        return 422;
    default:
        return 409;
    }
}

static void wake(const api_context *ctx)
{
    if (ctx->wake)
        ctx->wake(ctx->wake_ctx);
}

/* POST /api/orders/{id}/approve|reject by a customer user. */
static void decide_approval(const api_context *ctx, const api_principal *who, store_id id,
                            bool approve, const http_request *rq, http_response *rs)
{
    json_t *body = decision_body(rq, rs, false);
    if (!body)
        return;
    orders_decision *d = calloc(1, sizeof *d);
    if (!d) {
        json_decref(body);
        api_error(rs, 500, NULL, "out of memory");
        return;
    }
    char why[640] = "";
    store_order o;
    store *s = api_lock(ctx);
    edi_result r = store_begin(s, why, sizeof why);
    bool visible = false;
    if (r == EDI_OK)
        r = store_order_get(s, id, &o, why, sizeof why);
    if (r == EDI_OK && (visible = may_see(who, o.customer_id)))
        r = order_holds_decide(s, id, who->user.id, approve, member_text(body, "comment"),
                               (int64_t)time(NULL), d, why, sizeof why);
    if (r == EDI_OK && visible)
        r = store_commit(s, why, sizeof why);
    else
        store_rollback(s);
    api_unlock(ctx);
    json_decref(body);
    if (r == EDI_E_NOT_FOUND || (r == EDI_OK && !visible)) {
        no_order(rs, id);
    } else if (r == EDI_OK) {
        wake(ctx);
        http_respond_json(rs, 200, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "order_id",
                                             (json_int_t)id, "number", d->order.number,
                                             "state", d->order.state, "approval",
                                             approval_state_name(d->decided.state),
                                             "decided_by", d->decided.decided_by, "comment",
                                             d->decided.comment, "answer", "queued"));
    } else if (d->refusal != APPROVAL_REFUSED_NONE) {
        api_error(rs, refusal_status(d->refusal),
                  d->refusal == APPROVAL_REFUSED_COMMENT ? "comment" : NULL,
                  "the decision is refused: %s", why);
    } else {
        api_error(rs, api_status(r), NULL, "%s", why);
    }
    free(d);
}

/* POST /api/orders/{id}/release|reject by the seller's staff (the ERP key). */
static void decide_hold(const api_context *ctx, store_id id, bool release,
                        const http_request *rq, http_response *rs)
{
    json_t *body = decision_body(rq, rs, true);
    if (!body)
        return;
    const char *by = member_text(body, "by"), *comment = member_text(body, "comment");
    if (!*by || (!release && !*comment)) {
        api_error(rs, 422, *by ? "comment" : "by", "%s", *by
                  ? "a rejection needs a comment: the customer must learn why"
                  : "name the staff member who decides in \"by\"");
        json_decref(body);
        return;
    }
    order_holds_outcome *out = calloc(1, sizeof *out);
    if (!out) {
        json_decref(body);
        api_error(rs, 500, NULL, "out of memory");
        return;
    }
    char why[640] = "", actor[64];
    snprintf(actor, sizeof actor, "staff:%.56s", by);
    store *s = api_lock(ctx);
    edi_result r = store_begin(s, why, sizeof why);
    if (r == EDI_OK)
        r = release ? order_holds_release(s, ctx->content, ctx->partners, ctx->approvals, id, by,
                                          comment, actor, (int64_t)time(NULL), out, why,
                                          sizeof why)
                    : order_holds_reject(s, id, by, comment, actor, out, why, sizeof why);
    if (r == EDI_OK)
        r = store_commit(s, why, sizeof why);
    else
        store_rollback(s);
    api_unlock(ctx);
    if (r == EDI_E_NOT_FOUND) {
        no_order(rs, id);
    } else if (r != EDI_OK) {
        api_error(rs, api_status(r), NULL, "%s", why);
    } else {
        wake(ctx);
        json_t *j = json_pack("{s:I,s:s,s:s,s:s}", "order_id", (json_int_t)id, "number",
                              out->order.number, "state", out->order.state, "decided_by", by);
        if (j && out->approval) {
            json_object_set_new(j, "held_for", json_string("approval"));
            json_object_set_new(j, "reason", json_string(out->reason));
            json_object_set_new(j, "approvers_asked", json_integer((json_int_t)out->asked));
            json_object_set_new(j, "answer", json_string("after the customer's approval"));
        } else if (j) {
            json_object_set_new(j, "answer", json_string("queued"));
        }
        http_respond_json(rs, 200, j);
    }
    json_decref(body);
    free(out);
}

/* /api/orders/{id}/{action} */
static void act_on_order(const api_context *ctx, const api_principal *who, store_id id,
                         const char *action, const http_request *rq, http_response *rs)
{
    bool despatch = !strcmp(action, "despatch"), invoice = !strcmp(action, "invoice");
    bool approve = !strcmp(action, "approve"), reject = !strcmp(action, "reject");
    bool release = !strcmp(action, "release");
    if (!despatch && !invoice && !approve && !reject && !release) {
        api_error(rs, 404, NULL, "there is nothing at %s", rq->path);
        return;
    }
    if (strcmp(rq->method, "POST")) {
        api_method_not_allowed(rs, rq->path, "POST");
        return;
    }
    if (despatch || invoice) {
        post_document(ctx, who, id, invoice, rq, rs);
    } else if (who->who == API_ADMIN && (release || reject)) {
        decide_hold(ctx, id, release, rq, rs);
    } else if (who->who == API_USER && (approve || reject)) {
        decide_approval(ctx, who, id, approve, rq, rs);
    } else {
        api_error(rs, 403, NULL, "%s", release
                  ? "the seller's staff release held orders with the ERP key"
                  : approve ? "an approval is decided by the customer's approver with their "
                              "own token; the seller releases held orders with .../release"
                            : "orders are rejected by the customer's approver (their token) "
                              "or the seller's staff (the ERP key)");
    }
}

void api_orders_route(void *vctx, const http_request *rq, http_response *rs)
{
    const api_context *ctx = vctx;
    api_principal who;
    if (!api_authenticate(ctx, rq, rs, &who))
        return;
    char seg[2][MD_ID_MAX];
    int n = rq->rest[0] && strcmp(rq->rest, "/") ? api_segments(rq->rest, seg, 2) : 0;
    if (n < 0) {
        api_error(rs, 404, NULL, "there is nothing at %s", rq->path);
        return;
    }
    store_id id = 0;
    if (n > 0 && !order_id_of(seg[0], rq->path, &id, rs))
        return;
    if (n == 2) {
        act_on_order(ctx, &who, id, seg[1], rq, rs);
        return;
    }
    bool get = !strcmp(rq->method, "GET");
    if (get && who.who != API_ADMIN && who.who != API_USER) {
        api_error(rs, 403, NULL, "orders are read with the ERP key or a customer user's token; "
                  "the key sent is %s's", who.name);
        return;
    }
    if (n == 1) {
        if (get)
            show_order(ctx, &who, id, rs);
        else
            api_method_not_allowed(rs, rq->path, "GET");
        return;
    }
    if (get) {
        list_orders(ctx, &who, rq, rs);
        return;
    }
    if (strcmp(rq->method, "POST")) {
        api_method_not_allowed(rs, rq->path, "GET, POST");
        return;
    }
    if (who.who != API_PARTNER) {
        api_error(rs, 403, NULL, "web orders are posted with the web shop's partner key; the "
                  "key sent is %s's", who.name);
        return;
    }
    if (!partner_accepts(who.partner, "web-order", NULL)) {
        api_error(rs, 403, NULL, "partner %s does not accept web orders; add <accept "
                  "format=\"web-order\"/> to its profile", who.partner->id);
        return;
    }
    post_order(ctx, who.partner, rq, rs);
}
