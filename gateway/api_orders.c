/* api_orders.c: POST /api/orders, the web shop's orders (api.h, docs/api.md). The shop
 * authenticates with its partner key (the profile must accept web-order); the body is a web
 * order (weborder.h), checked at once so that the shop hears about a mistake while the
 * customer is still at the screen; then the raw bytes go into the content store and the
 * message (channel "api", the shop's partner id, format "JSON web order") with its history
 * and its first job "identify" is recorded in one transaction before 202 is answered. The
 * same body posted again (a retry after a lost answer) gives the message already recorded.
 * POST /api/orders/{id}/despatch and /api/orders/{id}/invoice (the ERP key) record what the
 * supplier despatched and invoiced (orders_despatch, orders_invoice in gateway/orders.h);
 * the partner's DESADV, DISPATCHNOTIFICATION or invoice follows through the "answer" step. */
#include "api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* POST /api/orders/{id}/despatch|invoice with the ERP key. */
static void post_document(const api_context *ctx, const api_principal *who, store_id id,
                          bool invoice, const http_request *rq, http_response *rs)
{
    if (!api_require_admin(who, rs))
        return;
    json_t *body = api_body(rq, rs, API_BODY_MAX_BYTES);
    if (!body)
        return;
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

void api_orders_route(void *vctx, const http_request *rq, http_response *rs)
{
    const api_context *ctx = vctx;
    api_principal who;
    if (!api_authenticate(ctx, rq, rs, &who))
        return;
    char seg[2][MD_ID_MAX];
    int n = rq->rest[0] && strcmp(rq->rest, "/") ? api_segments(rq->rest, seg, 2) : 0;
    if (n == 2 && (!strcmp(seg[1], "despatch") || !strcmp(seg[1], "invoice"))) {
        char *end = NULL;
        long long id = strtoll(seg[0], &end, 10);
        if (!end || *end || id <= 0) {
            api_error(rs, 404, NULL, "there is no order %s: orders are named by their number "
                      "in the gateway (the order_id of GET /api/messages/{id})", seg[0]);
            return;
        }
        if (strcmp(rq->method, "POST")) {
            api_method_not_allowed(rs, rq->path, "POST");
            return;
        }
        post_document(ctx, &who, (store_id)id, !strcmp(seg[1], "invoice"), rq, rs);
        return;
    }
    if (rq->rest[0] && strcmp(rq->rest, "/")) {
        api_error(rs, 404, NULL, "there is nothing at %s", rq->path);
        return;
    }
    if (strcmp(rq->method, "POST")) {
        api_method_not_allowed(rs, rq->path, "POST");
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
