/* orders.c: the order service (orders.h). */
#include "orders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "edi_buf.h"
#include "mailer.h"
#include "store_master.h"

#define CANONICAL_NS "urn:edi-gateway:canonical:1"

/* Approvers asked for one approval at most (a customer's users beyond are not looked at). */
#define APPROVERS_MAX 64

static const char *const state_names[ORDER_STATE_COUNT] = {
    [ORDER_RECEIVED] = "received",   [ORDER_HELD] = "held",
    [ORDER_ACCEPTED] = "accepted",   [ORDER_REJECTED] = "rejected",
    [ORDER_CONFIRMED] = "confirmed", [ORDER_DESPATCHED] = "despatched",
    [ORDER_INVOICED] = "invoiced",
};

const char *order_state_name(order_state s)
{
    return s >= 0 && s < ORDER_STATE_COUNT ? state_names[s] : "unknown";
}

bool order_state_parse(const char *name, order_state *out)
{
    for (int i = 0; name && i < ORDER_STATE_COUNT; i++)
        if (!strcmp(name, state_names[i])) {
            *out = (order_state)i;
            return true;
        }
    return false;
}

bool orders_move_allowed(order_state from, order_state to)
{
    switch (from) {
    case ORDER_RECEIVED:
        return to == ORDER_HELD || to == ORDER_ACCEPTED || to == ORDER_REJECTED;
    case ORDER_HELD:
        return to == ORDER_ACCEPTED || to == ORDER_REJECTED;
    case ORDER_ACCEPTED:
        return to == ORDER_CONFIRMED;
    case ORDER_CONFIRMED:
        return to == ORDER_DESPATCHED;
    case ORDER_DESPATCHED:
        return to == ORDER_INVOICED;
    default:
        return false;
    }
}

edi_result orders_move(store *s, store_order *o, order_state to, const char *actor,
                       const char *detail, const char *answer, char *why, size_t why_n)
{
    order_state from;
    if (!s || !o || !order_state_parse(o->state, &from) || !orders_move_allowed(from, to)) {
        edi_say(why, why_n, "order %s (%" PRId64 ") is %s and cannot become %s",
                o ? o->number : "?", o ? o->id : 0, o ? o->state : "?", order_state_name(to));
        return EDI_E_ARG;
    }
    edi_result r = store_order_set_state(s, o->id, o->state, order_state_name(to), NULL, NULL,
                                         answer, why, why_n);
    if (r == EDI_OK)
        r = store_order_event_add(s, o->id, order_state_name(to), actor, detail, why, why_n);
    if (r == EDI_OK && to == ORDER_ACCEPTED && o->customer_id[0]) {
        r = store_order_number_record(s, o->customer_id, o->number, o->message_id, why, why_n);
        if (r == EDI_OK)
            r = store_credit_set(s, o->customer_id, STORE_CREDIT_ORDER, o->number,
                                 o->amount[0] ? o->amount : "0", o->currency[0] ? o->currency
                                                                               : NULL,
                                 o->message_id, why, why_n);
    }
    if (r == EDI_OK && to == ORDER_REJECTED && o->customer_id[0]) {
        char ignored[256];
        edi_result rr = store_credit_release(s, o->customer_id, STORE_CREDIT_ORDER, o->number,
                                             ignored, sizeof ignored);
        r = rr == EDI_E_NOT_FOUND ? EDI_OK : rr;
        if (r != EDI_OK)
            edi_say(why, why_n, "%s", ignored);
    }
    if (r == EDI_OK) {
        snprintf(o->state, sizeof o->state, "%s", order_state_name(to));
        if (answer)
            snprintf(o->answer, sizeof o->answer, "%s", answer);
    }
    return r;
}

orders_verdict orders_verdict_of(order_action outcome, bool approval_needed)
{
    if (outcome == ORDER_ACTION_REJECT)
        return ORDERS_REJECT;
    if (outcome == ORDER_ACTION_HOLD)
        return ORDERS_HOLD;
    return approval_needed ? ORDERS_APPROVAL : ORDERS_ACCEPT;
}

edi_result orders_answer_plan(const order_check_result *cr, bool rejected, char *out, size_t n)
{
    json_t *lines = json_object();
    bool changed = false;
    for (size_t i = 0; cr && lines && i < cr->count; i++) {
        const order_finding *f = &cr->items[i];
        if (f->action != ORDER_ACTION_AMEND)
            continue;
        changed = true;
        if (f->line[0] && !rejected)
            json_object_set_new(lines, f->line, json_string("changed"));
    }
    json_t *plan = lines ? json_pack("{s:s,s:o}", "type",
                                     rejected ? "rejected" : changed ? "changed" : "accepted",
                                     "lines", lines)
                         : NULL;
    char *text = plan ? json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(plan);
    if (!text)
        return EDI_E_NOMEM;
    edi_result r = strlen(text) < n ? EDI_OK : EDI_E_LIMIT;
    if (r == EDI_OK)
        memcpy(out, text, strlen(text) + 1);
    free(text);
    return r;
}

/* ---- the order response --------------------------------------------------------------- */

static bool is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNodePtr element(xmlDocPtr doc, xmlNsPtr ns, const char *name, const char *content)
{
    xmlNodePtr n = xmlNewDocNode(doc, ns, BAD_CAST name, NULL);
    if (n && content)
        xmlNodeAddContent(n, BAD_CAST content);
    return n;
}

static void set_text(xmlNodePtr n, const char *content)
{
    xmlNodeSetContent(n, NULL);
    xmlNodeAddContent(n, BAD_CAST content);
}

/* Whether a document child comes after the customer_order reference in the schema's order. */
static bool after_references(xmlNodePtr n)
{
    static const char *const later[] = { "reference", "text", "paymentTerms", "paymentMeans",
                                         "party", "tax", "allowanceCharge", "package", "line",
                                         "totals", "extension", NULL };
    for (size_t i = 0; later[i]; i++)
        if (is(n, later[i]))
            return true;
    return false;
}

static edi_result respond_lines(xmlDocPtr doc, xmlNodePtr root, const char *type,
                                json_t *lines)
{
    for (xmlNodePtr line = root->children; line; line = line->next) {
        if (!is(line, "line"))
            continue;
        xmlNodePtr number = NULL;
        for (xmlNodePtr c = line->children, next; c; c = next) {
            next = c->next;
            if (is(c, "number") && !number)
                number = c;
            else if (is(c, "status")) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
        }
        if (!number)
            return EDI_E_ARG;
        xmlChar *num = xmlNodeGetContent(number);
        const char *status = !strcmp(type, "rejected") ? "rejected" : "accepted";
        json_t *named = num && lines ? json_object_get(lines, (const char *)num) : NULL;
        if (json_is_string(named) && strcmp(type, "rejected"))
            status = json_string_value(named);
        xmlFree(num);
        xmlNodePtr st = element(doc, root->ns, "status", status);
        if (!st || !xmlAddNextSibling(number, st))
            return EDI_E_NOMEM;
    }
    return EDI_OK;
}

edi_result orders_build_response(xmlDocPtr order, const char *plan, const char *response_number,
                                 const char *date, xmlDocPtr *out, char *why, size_t why_n)
{
    *out = NULL;
    xmlNodePtr oroot = order ? xmlDocGetRootElement(order) : NULL;
    if (!is(oroot, "order") || !oroot->ns || strcmp((const char *)oroot->ns->href, CANONICAL_NS)) {
        edi_say(why, why_n, "an order response is built from a canonical order, and this "
                "document is none");
        return EDI_E_ARG;
    }
    json_error_t err;
    json_t *p = plan ? json_loads(plan, 0, &err) : NULL;
    const char *type = p ? json_string_value(json_object_get(p, "type")) : NULL;
    if (!type ||
        (strcmp(type, "accepted") && strcmp(type, "changed") && strcmp(type, "rejected"))) {
        json_decref(p);
        edi_say(why, why_n, "the order's answer plan \"%.80s\" names no response type "
                "(accepted, changed or rejected)", plan ? plan : "");
        return EDI_E_ARG;
    }
    xmlDocPtr doc = xmlCopyDoc(order, 1);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    edi_result r = root ? EDI_OK : EDI_E_NOMEM;
    if (r == EDI_OK) {
        xmlNodeSetName(root, BAD_CAST "orderResponse");
        xmlUnsetProp(root, BAD_CAST "source");
    }
    xmlNodePtr kind = NULL, number = NULL, refs_before = NULL;
    bool dated = false;
    for (xmlNodePtr c = root ? root->children : NULL, next; r == EDI_OK && c; c = next) {
        next = c->next;
        if (is(c, "kind")) {
            kind = c;
            set_text(c, "order_response");
        } else if (is(c, "type")) {
            xmlNodePtr t = element(doc, root->ns, "type", type);
            if (!t)
                r = EDI_E_NOMEM;
            else {
                xmlReplaceNode(c, t);
                xmlFreeNode(c);
            }
        } else if (is(c, "number")) {
            number = c;
            set_text(c, response_number);
        } else if (is(c, "date")) {
            xmlChar *role = xmlGetProp(c, BAD_CAST "role");
            if (role && !strcmp((const char *)role, "document")) {
                xmlNodePtr d = element(doc, root->ns, "date", date);
                if (!d || !xmlSetProp(d, BAD_CAST "role", BAD_CAST "document"))
                    r = EDI_E_NOMEM;
                else {
                    xmlReplaceNode(c, d);
                    xmlFreeNode(c);
                    dated = true;
                }
            }
            xmlFree(role);
        } else if (is(c, "extension")) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (!refs_before && after_references(c)) {
            refs_before = c;
        }
    }
    if (r == EDI_OK && (!kind || !number)) {
        edi_say(why, why_n, "the canonical order has no kind or number");
        r = EDI_E_ARG;
    }
    if (r == EDI_OK && !dated) {
        xmlNodePtr d = element(doc, root->ns, "date", date);
        if (!d || !xmlSetProp(d, BAD_CAST "role", BAD_CAST "document") ||
            !xmlAddNextSibling(number, d))
            r = EDI_E_NOMEM;
    }
    if (r == EDI_OK) {
        xmlChar *num = NULL;
        /* The order's own number, from the original (the copy's was replaced). */
        for (xmlNodePtr c = oroot->children; c && !num; c = c->next)
            if (is(c, "number"))
                num = xmlNodeGetContent(c);
        xmlNodePtr ref = element(doc, root->ns, "reference", num ? (const char *)num : "");
        xmlFree(num);
        if (!ref || !xmlSetProp(ref, BAD_CAST "kind", BAD_CAST "customer_order"))
            r = EDI_E_NOMEM;
        else if (refs_before)
            xmlAddPrevSibling(refs_before, ref);
        else
            xmlAddChild(root, ref);
    }
    if (r == EDI_OK) {
        r = respond_lines(doc, root, type, json_object_get(p, "lines"));
        if (r == EDI_E_ARG)
            edi_say(why, why_n, "a line of the canonical order has no number");
    }
    json_decref(p);
    if (r != EDI_OK) {
        if (r == EDI_E_NOMEM)
            edi_say(why, why_n, "out of memory building an order response");
        xmlFreeDoc(doc);
        return r;
    }
    *out = doc;
    return EDI_OK;
}

/* ---- approvals ------------------------------------------------------------------------ */

/* Ask the approvers of approval `a` of order `o` (a reminder when `reminder`). */
static edi_result ask(store *s, content_store *cs, const orders_settings *set,
                      const store_order *o, const approval *a, bool reminder, int64_t now,
                      const char *actor, size_t *asked, char *why, size_t why_n)
{
    *asked = 0;
    char detail[1024];
    if (!set || !set->keys || !set->keys->current.len || !set->mail_from || !set->link_base) {
        snprintf(detail, sizeof detail, "Nobody was asked to approve: the gateway has no "
                 "approval mail configured (<orders><mail> and <approval> with a link key in "
                 "the configuration). %s", a->reason);
        return store_order_event_add(s, o->id, "approval-stuck", actor, detail, why, why_n);
    }
    approval_user *users = calloc(APPROVERS_MAX, sizeof *users);
    size_t chosen[APPROVERS_MAX];
    size_t n = 0, n_chosen = 0;
    md_customer customer;
    char requester[APPROVAL_NAME_MAX] = "";
    edi_buf mail = { 0 };
    edi_result r = users ? EDI_OK : EDI_E_NOMEM;
    if (r == EDI_OK)
        r = store_customer_approval_users(s, o->customer_id, users, APPROVERS_MAX, &n, why,
                                          why_n);
    if (r == EDI_OK)
        r = store_customer_get(s, o->customer_id, &customer, why, why_n);
    if (r == EDI_OK && o->requester_user_id[0]) {
        for (size_t i = 0; i < n; i++)
            if (!strcmp(users[i].id, o->requester_user_id))
                snprintf(requester, sizeof requester, "%s", users[i].name);
    }
    if (r == EDI_OK) {
        char sentence[512];
        if (approval_choose_approvers(users, n, o->requester_user_id, chosen, APPROVERS_MAX,
                                      &n_chosen, sentence, sizeof sentence) != EDI_OK) {
            snprintf(detail, sizeof detail, "Nobody was asked to approve: %s", sentence);
            r = store_order_event_add(s, o->id, "approval-stuck", actor, detail, why, why_n);
            free(users);
            return r;
        }
    }
    char names[1024] = "";
    for (size_t k = 0; r == EDI_OK && k < n_chosen; k++) {
        const approval_user *u = &users[chosen[k]];
        char token[APPROVAL_LINK_TOKEN_MAX], url[1200], content[CONTENT_ID_SIZE];
        r = approval_link_make(set->keys, a->id, u->id, APPROVAL_LINK_DECIDE, a->expires_at,
                               token, sizeof token, why, why_n);
        if (r != EDI_OK)
            break;
        snprintf(url, sizeof url, "%s/api/approvals/%s", set->link_base, token);
        approval_mail am = { .order_number = o->number, .customer_name = customer.name,
                             .requester_name = requester, .approver_name = u->name,
                             .amount = o->amount[0] ? o->amount : "0",
                             .currency = o->currency[0] ? o->currency : customer.currency,
                             .reason = a->reason, .approve_url = url, .reject_url = NULL,
                             .expires_at = a->expires_at };
        mail_message env = { .from = set->mail_from, .from_name = set->mail_from_name,
                             .to = u->email, .to_name = u->name };
        mail.len = 0;
        r = mailer_compose_approval(&am, &env, now, &mail, why, why_n);
        if (r == EDI_OK)
            r = content_store_put(cs, mail.p, mail.len, content, why, why_n);
        store_id mid = 0;
        if (r == EDI_OK) {
            store_message m;
            memset(&m, 0, sizeof m);
            m.direction = STORE_OUT;
            snprintf(m.partner, sizeof m.partner, "%s", o->partner);
            snprintf(m.channel, sizeof m.channel, "mail");
            snprintf(m.filename, sizeof m.filename, "approval-%" PRId64 "-%.60s%s.eml", o->id,
                     u->id, reminder ? "-reminder" : "");
            memcpy(m.content_id, content, CONTENT_ID_SIZE);
            m.size = (int64_t)mail.len;
            snprintf(m.format, sizeof m.format, "%s",
                     reminder ? "approval reminder mail" : "approval mail");
            snprintf(m.status, sizeof m.status, "%s", STORE_STATUS_QUEUED);
            snprintf(m.reference, sizeof m.reference, "%.95s", o->number);
            m.parent_id = o->message_id;
            r = store_message_insert(s, &m, "mail", &mid, why, why_n);
        }
        if (r == EDI_OK)
            r = store_mail_envelope_set(s, mid, set->mail_from, u->email, why, why_n);
        if (r == EDI_OK)
            r = store_approval_request_add(s, a->id, u->id, reminder, mid, why, why_n);
        if (r == EDI_OK) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s (%s, mail message %" PRId64 ")",
                     used ? ", " : "", u->name, u->id, mid);
            (*asked)++;
        }
    }
    if (r == EDI_OK && *asked) {
        snprintf(detail, sizeof detail, "%s %s: %.700s", reminder ? "Reminded" : "Asked",
                 *asked == 1 ? "one approver" : "the approvers", names);
        r = store_order_event_add(s, o->id, reminder ? "approval-reminder" : "approval-asked",
                                  actor, detail, why, why_n);
        if (r == EDI_OK)
            r = store_history_add(s, o->message_id, reminder ? "approval-reminder"
                                                             : "approval-asked",
                                  actor, detail, why, why_n);
    }
    edi_buf_free(&mail);
    free(users);
    return r;
}

edi_result orders_start_approval(store *s, content_store *cs, const orders_settings *set,
                                 const store_order *o, const char *reason, int64_t now,
                                 const char *actor, size_t *asked, char *why, size_t why_n)
{
    size_t n_asked = 0;
    approval a;
    char id[APPROVAL_ID_MAX], order_id[APPROVAL_ID_MAX];
    snprintf(id, sizeof id, "A%" PRId64, o->id);
    snprintf(order_id, sizeof order_id, "%" PRId64, o->id);
    edi_result r = approval_start(&a, id, order_id, o->customer_id, o->requester_user_id,
                                  reason, o->fingerprint, now,
                                  set && set->lifetime_s > 0 ? set->lifetime_s : 7 * 86400,
                                  why, why_n);
    if (r == EDI_OK)
        r = store_approval_insert(s, &a, why, why_n);
    if (r == EDI_OK)
        r = ask(s, cs, set, o, &a, false, now, actor, &n_asked, why, why_n);
    if (asked)
        *asked = n_asked;
    return r;
}

static const char rejected_plan[] = "{\"lines\":{},\"type\":\"rejected\"}";

edi_result orders_decide_approval(store *s, const char *approval_id, const char *user_id,
                                  bool approve, const char *comment, int64_t now,
                                  orders_decision *out, char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    approval *a = &out->decided;
    store_order *o = &out->order;
    approval_user u;
    char customer[APPROVAL_ID_MAX] = "";
    edi_result r = store_approval_get(s, approval_id, a, why, why_n);
    if (r != EDI_OK)
        return r;
    r = store_order_get(s, strtoll(a->order_id, NULL, 10), o, why, why_n);
    if (r != EDI_OK)
        return r;
    r = store_user_as_approver(s, user_id, &u, customer, why, why_n);
    if (r == EDI_E_NOT_FOUND || (r == EDI_OK && strcmp(customer, a->customer_id))) {
        out->refusal = APPROVAL_REFUSED_NOT_APPROVER;
        edi_say(why, why_n, "%s is not one of customer %s's users and cannot decide its "
                "orders", user_id, a->customer_id);
        return EDI_E_ARG;
    }
    if (r != EDI_OK)
        return r;
    r = approval_decide(a, approve, &u, o->fingerprint, comment, now, &out->refusal, why, why_n);
    if (r != EDI_OK)
        return r;
    r = store_approval_update(s, a, why, why_n);
    char detail[1024];
    snprintf(detail, sizeof detail, "%s by %s (%s)%s%.800s", approve ? "Approved" : "Rejected",
             u.name, u.id, comment && *comment ? ": " : "", comment ? comment : "");
    if (r == EDI_OK)
        r = orders_move(s, o, approve ? ORDER_ACCEPTED : ORDER_REJECTED, u.id, detail,
                        approve ? NULL : rejected_plan, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(s, o->message_id, approve ? "approved" : "rejected", u.id, detail,
                              why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, "answer", o->message_id, 0, why, why_n);
    return r;
}

typedef struct {
    char (*ids)[APPROVAL_ID_MAX];
    size_t n, cap;
} id_list;

static int collect(void *ctx, const approval *a)
{
    id_list *l = ctx;
    if (l->n == l->cap)
        return 1;
    memcpy(l->ids[l->n++], a->id, APPROVAL_ID_MAX);
    return 0;
}

/* One approval's expiry or reminder, in its own transaction. */
static edi_result tick_one(store *s, content_store *cs, const orders_settings *set,
                           const char *id, int64_t now, const char *actor, bool *changed,
                           char *why, size_t why_n)
{
    *changed = false;
    edi_result r = store_begin(s, why, why_n);
    if (r != EDI_OK)
        return r;
    approval a;
    store_order o;
    r = store_approval_get(s, id, &a, why, why_n);
    if (r == EDI_OK)
        r = store_order_get(s, strtoll(a.order_id, NULL, 10), &o, why, why_n);
    if (r == EDI_OK && approval_expire(&a, now)) {
        *changed = true;
        r = store_approval_update(s, &a, why, why_n);
        const char *detail = "The approval expired before an approver decided; the order is "
                             "rejected and the customer must order again.";
        if (r == EDI_OK && !strcmp(o.state, "held"))
            r = orders_move(s, &o, ORDER_REJECTED, actor, detail, rejected_plan, why, why_n);
        if (r == EDI_OK)
            r = store_history_add(s, o.message_id, "approval-expired", actor, detail, why, why_n);
        if (r == EDI_OK)
            r = store_job_enqueue(s, "answer", o.message_id, 0, why, why_n);
    } else if (r == EDI_OK && approval_reminder_due(&a, now, set->reminder_lead_s)) {
        size_t asked = 0;
        *changed = true;
        approval_mark_reminded(&a, now);
        r = ask(s, cs, set, &o, &a, true, now, actor, &asked, why, why_n);
        if (r == EDI_OK)
            r = store_approval_update(s, &a, why, why_n);
    }
    if (r == EDI_OK && *changed)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}

edi_result orders_approval_tick(store *s, content_store *cs, const orders_settings *set,
                                int64_t now, const char *actor, size_t *changed, char *why,
                                size_t why_n)
{
    if (changed)
        *changed = 0;
    id_list l = { .cap = 256 };
    l.ids = calloc(l.cap, sizeof *l.ids);
    if (!l.ids)
        return EDI_E_NOMEM;
    int64_t lead = set && set->reminder_lead_s > 0 ? set->reminder_lead_s : 0;
    edi_result r = store_approval_list_pending(s, now + lead, collect, &l, why, why_n);
    for (size_t i = 0; r == EDI_OK && i < l.n; i++) {
        bool did = false;
        r = tick_one(s, cs, set, l.ids[i], now, actor, &did, why, why_n);
        if (did && changed)
            (*changed)++;
    }
    free(l.ids);
    return r;
}
