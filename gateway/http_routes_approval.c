/* http_routes_approval.c: /api/approvals/{token} (http_routes_approval.h). */
#include "http_routes_approval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libxml/tree.h>
#include <microhttpd.h>

#include "edi_buf.h"
#include "mapping.h"
#include "orders.h"
#include "store_master.h"
#include "store_orders.h"

/* The HTTP status for a link that was refused. */
static unsigned link_status(approval_link_verdict v)
{
    switch (v) {
    case APPROVAL_LINK_EXPIRED:
    case APPROVAL_LINK_USED:
        return 410;
    case APPROVAL_LINK_ERROR:
        return 503;
    default:
        return 403;
    }
}

/* The HTTP status for a decision that was refused. */
static unsigned refusal_status(approval_refusal r)
{
    switch (r) {
    case APPROVAL_REFUSED_OWN_ORDER:
    case APPROVAL_REFUSED_NOT_APPROVER:
        return 403;
    case APPROVAL_REFUSED_EXPIRED:
        return 410;
    case APPROVAL_REFUSED_DECIDED:
    case APPROVAL_REFUSED_CHANGED:
        return 409;
    case APPROVAL_REFUSED_COMMENT:
        return 400;
    default:
        return 500;
    }
}

static const char *child_text(xmlNodePtr n, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name)) {
            xmlChar *v = xmlNodeGetContent(c);
            snprintf(out, size, "%s", v ? (const char *)v : "");
            xmlFree(v);
            xmlChar *unit = xmlGetProp(c, BAD_CAST "unit");
            if (unit && !strcmp(name, "quantity")) {
                size_t used = strlen(out);
                snprintf(out + used, size - used, " %s", (const char *)unit);
            }
            xmlFree(unit);
            break;
        }
    return out;
}

/* The canonical order's lines as JSON (number, article, description, quantity, price). */
static json_t *order_lines(content_store *cs, const char *content_id)
{
    json_t *lines = json_array();
    edi_buf raw = { 0 };
    xmlDocPtr doc = NULL;
    if (!lines || content_store_get(cs, content_id, &raw, NULL, 0) != EDI_OK ||
        mapping_parse_xml(raw.p, raw.len, &doc, NULL, 0) != EDI_OK) {
        edi_buf_free(&raw);
        return lines;
    }
    edi_buf_free(&raw);
    for (xmlNodePtr l = xmlDocGetRootElement(doc)->children; l; l = l->next) {
        if (l->type != XML_ELEMENT_NODE || strcmp((const char *)l->name, "line"))
            continue;
        char num[64], gtin[64], art[96], desc[256], qty[64], price[64];
        child_text(l, "number", num, sizeof num);
        child_text(l, "gtin", gtin, sizeof gtin);
        child_text(l, "supplierArticle", art, sizeof art);
        child_text(l, "description", desc, sizeof desc);
        child_text(l, "quantity", qty, sizeof qty);
        child_text(l, "netPrice", price, sizeof price);
        json_array_append_new(lines, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "number", num,
                                               "gtin", gtin, "supplier_article", art,
                                               "description", desc, "quantity", qty,
                                               "net_price", price));
    }
    xmlFreeDoc(doc);
    return lines;
}

/* The summary a GET shows, under the lock. NULL with a status and sentence when the
 * approval or order is gone. */
static json_t *summary(approval_routes *ar, const approval_link_claims *c, unsigned *status,
                       char *why, size_t why_n)
{
    approval a;
    store_order o;
    md_customer customer;
    approval_user approver, requester;
    memset(&requester, 0, sizeof requester);
    memset(&approver, 0, sizeof approver);
    edi_result r = store_approval_get(ar->store, c->approval_id, &a, why, why_n);
    if (r == EDI_OK)
        r = store_order_get(ar->store, strtoll(a.order_id, NULL, 10), &o, why, why_n);
    if (r != EDI_OK) {
        *status = r == EDI_E_NOT_FOUND ? 404 : 503;
        return NULL;
    }
    if (store_customer_get(ar->store, a.customer_id, &customer, NULL, 0) != EDI_OK)
        snprintf(customer.name, sizeof customer.name, "%s", a.customer_id);
    store_user_as_approver(ar->store, c->approver_id, &approver, NULL, NULL, 0);
    if (a.requester_id[0])
        store_user_as_approver(ar->store, a.requester_id, &requester, NULL, NULL, 0);
    return json_pack("{s:{s:s,s:s,s:s,s:I,s:s,s:I,s:s},s:{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
                     "s:o},s:{s:s,s:s}}",
                     "approval", "id", a.id, "state", approval_state_name(a.state), "reason",
                     a.reason, "expires_at", (json_int_t)a.expires_at, "decided_by",
                     a.decided_by, "decided_at", (json_int_t)a.decided_at, "comment", a.comment,
                     "order", "id", (json_int_t)o.id, "number", o.number, "state", o.state,
                     "partner", o.partner, "customer_id", o.customer_id, "customer_name",
                     customer.name, "requester", requester.name, "amount", o.amount,
                     "lines", order_lines(ar->content, o.content_id),
                     "approver", "id", approver.id, "name", approver.name);
}

static void put(edi_buf *b, const char *s)
{
    edi_buf_append(b, s, strlen(s));
}

/* Append `s` HTML-escaped. */
static void html_text(edi_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': put(b, "&lt;"); break;
        case '>': put(b, "&gt;"); break;
        case '&': put(b, "&amp;"); break;
        case '"': put(b, "&quot;"); break;
        default: edi_buf_append(b, s, 1);
        }
    }
}

static void html_row(edi_buf *b, const char *label, const char *value)
{
    put(b, "<tr><th>");
    html_text(b, label);
    put(b, "</th><td>");
    html_text(b, value);
    put(b, "</td></tr>\n");
}

static void respond_html(http_response *rs, json_t *j, const char *token)
{
    json_t *ord = json_object_get(j, "order"), *ap = json_object_get(j, "approval");
    edi_buf b = { 0 };
    const char *head = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>Approve order</title></head><body>\n<h1>Order ";
    edi_buf_append(&b, head, strlen(head));
    html_text(&b, json_string_value(json_object_get(ord, "number")));
    put(&b, "</h1>\n<table>\n");
    html_row(&b, "Customer", json_string_value(json_object_get(ord, "customer_name")));
    html_row(&b, "Placed by", json_string_value(json_object_get(ord, "requester")));
    html_row(&b, "Amount", json_string_value(json_object_get(ord, "amount")));
    html_row(&b, "Why", json_string_value(json_object_get(ap, "reason")));
    html_row(&b, "Approval", json_string_value(json_object_get(ap, "state")));
    put(&b, "</table>\n<table><tr><th>Line</th><th>Article</th><th>Quantity</th>"
                       "<th>Price</th></tr>\n");
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(ord, "lines"), i, l) {
        put(&b, "<tr><td>");
        html_text(&b, json_string_value(json_object_get(l, "number")));
        put(&b, "</td><td>");
        const char *art = json_string_value(json_object_get(l, "supplier_article"));
        html_text(&b, art && *art ? art : json_string_value(json_object_get(l, "gtin")));
        put(&b, "</td><td>");
        html_text(&b, json_string_value(json_object_get(l, "quantity")));
        put(&b, "</td><td>");
        html_text(&b, json_string_value(json_object_get(l, "net_price")));
        put(&b, "</td></tr>\n");
    }
    put(&b, "</table>\n");
    if (!strcmp(json_string_value(json_object_get(ap, "state")), "pending")) {
        const char *form = "<form method=\"post\" action=\"/api/approvals/";
        edi_buf_append(&b, form, strlen(form));
        html_text(&b, token);
        const char *rest = "\"><p><label>Comment (needed to reject)<br><textarea name=\"comment\""
                           " rows=\"3\" cols=\"60\"></textarea></label></p><p><button name="
                           "\"decision\" value=\"approve\">Approve</button> <button name="
                           "\"decision\" value=\"reject\">Reject</button></p></form>\n";
        edi_buf_append(&b, rest, strlen(rest));
    }
    put(&b, "</body></html>\n");
    rs->status = 200;
    rs->body = b.p;
    rs->body_len = b.len;
    rs->content_type = "text/html; charset=utf-8";
}

static bool wants_html(const http_request *rq)
{
    const char *accept = MHD_lookup_connection_value(rq->connection, MHD_HEADER_KIND, "Accept");
    return accept && strstr(accept, "text/html");
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The value of `name` in a form-urlencoded body, decoded, malloc'd; NULL when absent. */
static char *form_value(const char *body, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            char *out = malloc(len - nl);
            if (!out)
                return NULL;
            size_t k = 0;
            for (size_t i = nl + 1; i < len; i++) {
                if (p[i] == '+')
                    out[k++] = ' ';
                else if (p[i] == '%' && i + 2 < len && hexval(p[i + 1]) >= 0 &&
                         hexval(p[i + 2]) >= 0) {
                    out[k++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
                    i += 2;
                } else
                    out[k++] = p[i];
            }
            out[k] = '\0';
            return out;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static edi_result nonce_used(void *ctx, const char *nonce, int64_t expires_at, char *why,
                             size_t why_n)
{
    return store_nonce_use(ctx, nonce, expires_at, why, why_n);
}

static void decide(approval_routes *ar, const http_request *rq, http_response *rs,
                   const char *token)
{
    char *decision = NULL, *comment = NULL;
    json_error_t err;
    json_t *body = rq->body_len && rq->body[0] == '{' ? json_loadb(rq->body, rq->body_len, 0, &err)
                                                      : NULL;
    if (body) {
        const char *d = json_string_value(json_object_get(body, "decision"));
        const char *c = json_string_value(json_object_get(body, "comment"));
        decision = d ? strdup(d) : NULL;
        comment = strdup(c ? c : "");
        json_decref(body);
    } else if (rq->body_len && rq->body[0] != '{') {
        decision = form_value(rq->body, "decision");
        comment = form_value(rq->body, "comment");
        if (!comment)
            comment = strdup("");
    }
    bool approve = decision && !strcmp(decision, "approve");
    if (!decision || !comment || (!approve && strcmp(decision, "reject"))) {
        http_respond_error(rs, 400, "send {\"decision\": \"approve\" or \"reject\", \"comment\": "
                           "\"...\"} (a rejection needs a comment)");
        free(decision);
        free(comment);
        return;
    }
    char why[640] = "";
    int64_t now = (int64_t)time(NULL);
    approval_link_claims claims;
    approval_link_verdict verdict = APPROVAL_LINK_ERROR;
    orders_decision *dec = calloc(1, sizeof *dec);
    if (!dec) {
        http_respond_error(rs, 500, "out of memory");
        free(decision);
        free(comment);
        return;
    }
    pthread_mutex_lock(ar->lock);
    approval_link_nonces nonces = { .ctx = ar->store, .mark_used = nonce_used };
    edi_result r = store_begin(ar->store, why, sizeof why);
    if (r == EDI_OK) {
        r = approval_link_verify(ar->keys, token, NULL, NULL,
                                 approve ? APPROVAL_LINK_APPROVE : APPROVAL_LINK_REJECT, now,
                                 &nonces, &claims, &verdict, why, sizeof why);
        if (r != EDI_OK) {
            store_rollback(ar->store);
            pthread_mutex_unlock(ar->lock);
            http_respond_error(rs, link_status(verdict), "The link is refused: %s.", why);
            goto out;
        }
        r = orders_decide_approval(ar->store, claims.approval_id, claims.approver_id, approve,
                                   comment, now, dec, why, sizeof why);
        if (r == EDI_OK)
            r = store_commit(ar->store, why, sizeof why);
        else
            store_rollback(ar->store);
    }
    pthread_mutex_unlock(ar->lock);
    if (r == EDI_OK) {
        if (ar->wake)
            ar->wake(ar->wake_ctx);
        http_respond_json(rs, 200, json_pack("{s:s,s:s,s:{s:I,s:s,s:s}}", "approval",
                                             approval_state_name(dec->decided.state),
                                             "decided_by", dec->decided.decided_by, "order",
                                             "id", (json_int_t)dec->order.id, "number",
                                             dec->order.number, "state", dec->order.state));
    } else if (dec->refusal != APPROVAL_REFUSED_NONE) {
        http_respond_error(rs, refusal_status(dec->refusal), "The decision is refused: %s.", why);
    } else {
        http_respond_error(rs, r == EDI_E_NOT_FOUND ? 404 : 503, "%s", why);
    }
out:
    free(dec);
    free(decision);
    free(comment);
}

static void handle(void *ctx, const http_request *rq, http_response *rs)
{
    approval_routes *ar = ctx;
    const char *token = rq->rest;
    while (*token == '/')
        token++;
    if (!*token || strchr(token, '/')) {
        http_respond_error(rs, 404, "an approval link is /api/approvals/<token>, as in the mail");
        return;
    }
    if (!strcmp(rq->method, "POST")) {
        decide(ar, rq, rs, token);
        return;
    }
    if (strcmp(rq->method, "GET")) {
        http_respond_error(rs, 405, "an approval link takes GET (to look) or POST (to decide)");
        return;
    }
    char why[640] = "";
    approval_link_claims claims;
    approval_link_verdict verdict = APPROVAL_LINK_ERROR;
    if (approval_link_verify(ar->keys, token, NULL, NULL, APPROVAL_LINK_DECIDE,
                             (int64_t)time(NULL), NULL, &claims, &verdict, why,
                             sizeof why) != EDI_OK) {
        http_respond_error(rs, link_status(verdict), "The link is refused: %s.", why);
        return;
    }
    unsigned status = 500;
    pthread_mutex_lock(ar->lock);
    json_t *j = summary(ar, &claims, &status, why, sizeof why);
    pthread_mutex_unlock(ar->lock);
    if (!j) {
        http_respond_error(rs, status, "%s", why[0] ? why : "the approval cannot be shown");
        return;
    }
    if (wants_html(rq)) {
        respond_html(rs, j, token);
        json_decref(j);
        return;
    }
    http_respond_json(rs, 200, j);
}

edi_result http_routes_approval_register(http_server *srv, approval_routes *ctx)
{
    return http_server_route(srv, "/api/approvals/", false, handle, ctx);
}
