/* orders.c: the order service (orders.h). */
#include "orders.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "canonical_totals.h"
#include "edi_buf.h"
#include "en16931.h"
#include "en16931_rules.h"
#include "mailer.h"
#include "mapping.h"
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
        /* Despatched before (or without) an order response: a partner that wants none. */
        return to == ORDER_CONFIRMED || to == ORDER_DESPATCHED;
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
    json_t *plan = json_object(), *lines = json_object();
    bool changed = false, ok = plan && lines;
    for (size_t i = 0; ok && cr && !rejected && i < cr->count; i++) {
        const order_finding *f = &cr->items[i];
        if (f->action != ORDER_ACTION_AMEND)
            continue;
        changed = true;
        bool has_value = f->field != ORDER_FIELD_NONE && f->value[0];
        const char *name = order_field_name(f->field);
        if (!f->line[0]) {
            /* An order-level amend: only the currency has a place in the order. */
            if (has_value && f->field == ORDER_FIELD_CURRENCY)
                ok = json_object_set_new(plan, name, json_string(f->value)) == 0;
            continue;
        }
        json_t *line = json_object_get(lines, f->line);
        if (!line) {
            line = json_pack("{s:s}", "status", "changed");
            ok = line && json_object_set_new(lines, f->line, line) == 0;
        }
        if (ok && has_value && f->field != ORDER_FIELD_CURRENCY)
            ok = json_object_set_new(line, name, json_string(f->value)) == 0;
        /* A price per 1 needs no basis (the canonical netPrice's absent basisQuantity). */
        if (ok && has_value && f->field == ORDER_FIELD_PRICE && f->basis[0] &&
            strcmp(f->basis, "1") != 0)
            ok = json_object_set_new(line, "basis", json_string(f->basis)) == 0;
    }
    if (ok)
        ok = json_object_set_new(plan, "type", json_string(rejected ? "rejected"
                                                          : changed ? "changed"
                                                                    : "accepted")) == 0;
    if (ok) {
        ok = json_object_set_new(plan, "lines", lines) == 0;
        lines = NULL;
    }
    char *text = ok ? json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(lines);
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
        /* Older plans name the status; newer ones hold an object with it and the values. */
        if (json_is_object(named))
            named = json_object_get(named, "status");
        if (json_is_string(named) && strcmp(type, "rejected"))
            status = json_string_value(named);
        xmlFree(num);
        xmlNodePtr st = element(doc, root->ns, "status", status);
        if (!st || !xmlAddNextSibling(number, st))
            return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* ---- the answer plan's amendments ---------------------------------------------------- */

/* The children of a canonical document and line that follow the one inserted, in the
 * schema's order. */
static const char *const after_currency[] = { "taxCurrency", "reference", "text",
                                              "paymentTerms", "paymentMeans", "party", "tax",
                                              "allowanceCharge", "package", "line", "totals",
                                              "extension", NULL };
static const char *const after_net_price[] = { "grossPrice", "lineAmount", "tax",
                                               "allowanceCharge", "date", "reference", "text",
                                               "packageRef", "extension", NULL };

static bool is_one_of(xmlNodePtr n, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (is(n, names[i]))
            return true;
    return false;
}

/* `n` into `parent` before its first child named in `followers`, else as the last child. */
static bool insert_in_order(xmlNodePtr parent, xmlNodePtr n, const char *const *followers)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is_one_of(c, followers))
            return xmlAddPrevSibling(c, n) != NULL;
    return xmlAddChild(parent, n) != NULL;
}

static xmlNodePtr first_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is(c, name))
            return c;
    return NULL;
}

static void remove_children(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children, next; c; c = next) {
        next = c->next;
        if (is(c, name)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
}

/* Digits with an optional point and digits (DecimalText without a sign), above zero unless
 * `zero_ok`. */
static bool plain_decimal(const char *s, bool zero_ok)
{
    size_t i = 0, digits = 0;
    bool nonzero = false;
    for (; s[i] >= '0' && s[i] <= '9'; i++, digits++)
        nonzero |= s[i] != '0';
    if (!digits)
        return false;
    if (s[i] == '.') {
        size_t frac = 0;
        for (i++; s[i] >= '0' && s[i] <= '9'; i++, frac++)
            nonzero |= s[i] != '0';
        if (!frac)
            return false;
    }
    return s[i] == '\0' && (zero_ok || nonzero);
}

static bool code_text(const char *s, size_t min, size_t max, bool upper_only)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!(isupper((unsigned char)s[i]) || (!upper_only && isdigit((unsigned char)s[i]))))
            return false;
    return n >= min && n <= max;
}

/* What a value of the plan must look like. */
typedef enum {
    PLAN_PRICE,          /* a decimal of zero or more */
    PLAN_QUANTITY,       /* a decimal above zero (quantities, price bases) */
    PLAN_UNIT,           /* a Rec 20 code: 1 to 8 capitals and digits */
    PLAN_CURRENCY,       /* an ISO 4217 code: 3 capitals */
} plan_value;

/* The values a line's plan entry may carry besides its status. */
static const char *const plan_line_values[] = { "unit", "quantity", "price", "basis", NULL };

/* The plan's member `key` of `obj` as text into *out: absent leaves *out NULL; a member that
 * is not a string of the `kind` asked for is refused with a sentence. */
static bool plan_member(json_t *obj, const char *key, const char *line, plan_value kind,
                        const char **out, char *why, size_t why_n)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    const char *t = json_string_value(v);
    bool ok = false;
    if (t) {
        switch (kind) {
        case PLAN_PRICE:
            ok = plain_decimal(t, true);
            break;
        case PLAN_QUANTITY:
            ok = plain_decimal(t, false);
            break;
        case PLAN_UNIT:
            ok = code_text(t, 1, 8, false);
            break;
        case PLAN_CURRENCY:
            ok = code_text(t, 3, 3, true);
            break;
        }
    }
    if (!ok) {
        edi_say(why, why_n, "the answer plan's %s%s%s is not a usable %s", key,
                line ? " of line " : "", line ? line : "", key);
        return false;
    }
    *out = t;
    return true;
}

/* Amend one canonical line by its plan entry `a` (an object): the unit of its quantity, its
 * quantity (in a response the one ordered kept as orderedQuantity), its net price. A line
 * whose price or quantity changed loses its line amount and computed allowance or charge
 * amounts (canonical_totals computes them again from the new values); *amounts says so. */
static edi_result amend_line(xmlDocPtr doc, xmlNodePtr line, const char *no, json_t *a,
                             bool response, bool *amounts, char *why, size_t why_n)
{
    const char *unit, *quantity, *price, *basis;
    if (!plan_member(a, "unit", no, PLAN_UNIT, &unit, why, why_n) ||
        !plan_member(a, "quantity", no, PLAN_QUANTITY, &quantity, why, why_n) ||
        !plan_member(a, "price", no, PLAN_PRICE, &price, why, why_n) ||
        !plan_member(a, "basis", no, PLAN_QUANTITY, &basis, why, why_n))
        return EDI_E_ARG;
    xmlNodePtr q = first_child(line, "quantity");
    if ((unit || quantity) && !q) {
        edi_say(why, why_n, "the answer plan amends the quantity of line %s, which has none", no);
        return EDI_E_ARG;
    }
    if (unit) {
        xmlUnsetProp(q, BAD_CAST "unitAsSent");
        if (!xmlSetProp(q, BAD_CAST "unit", BAD_CAST unit))
            return EDI_E_NOMEM;
    }
    if (quantity) {
        if (response && !first_child(line, "orderedQuantity")) {
            xmlNodePtr ordered = xmlCopyNode(q, 1);
            if (!ordered)
                return EDI_E_NOMEM;
            xmlNodeSetName(ordered, BAD_CAST "orderedQuantity");
            if (!xmlAddNextSibling(q, ordered)) {
                xmlFreeNode(ordered);
                return EDI_E_NOMEM;
            }
        }
        set_text(q, quantity);
    }
    if (price) {
        remove_children(line, "netPrice");
        xmlNodePtr np = element(doc, line->ns, "netPrice", price);
        if (!np || (basis && !xmlSetProp(np, BAD_CAST "basisQuantity", BAD_CAST basis)) ||
            !insert_in_order(line, np, after_net_price)) {
            xmlFreeNode(np);
            return EDI_E_NOMEM;
        }
    }
    if (price || quantity) {
        *amounts = true;
        remove_children(line, "lineAmount");
        for (xmlNodePtr ac = line->children; ac; ac = ac->next) {
            if (!is(ac, "allowanceCharge"))
                continue;
            xmlNodePtr amount = first_child(ac, "amount");
            xmlChar *computed = amount ? xmlGetProp(amount, BAD_CAST "computed") : NULL;
            if (computed && !strcmp((const char *)computed, "true")) {
                xmlUnlinkNode(amount);
                xmlFreeNode(amount);
            }
            xmlFree(computed);
        }
    }
    return EDI_OK;
}

/* Apply the plan `p` (parsed) to the canonical document under `root`: its currency, and
 * each line named in p.lines with an object that amends it. A plan entry with values for a
 * line the document does not have is refused. */
static edi_result amend_document(xmlDocPtr doc, xmlNodePtr root, json_t *p, bool response,
                                 char *why, size_t why_n)
{
    const char *currency;
    if (!plan_member(p, "currency", NULL, PLAN_CURRENCY, &currency, why, why_n))
        return EDI_E_ARG;
    if (currency) {
        remove_children(root, "currency");
        xmlNodePtr c = element(doc, root->ns, "currency", currency);
        if (!c || !insert_in_order(root, c, after_currency)) {
            xmlFreeNode(c);
            return EDI_E_NOMEM;
        }
    }
    json_t *lines = json_object_get(p, "lines");
    if (lines && !json_is_object(lines)) {
        edi_say(why, why_n, "the answer plan's lines are not an object");
        return EDI_E_ARG;
    }
    json_t *done = json_object();
    if (!done)
        return EDI_E_NOMEM;
    bool amounts = false;
    edi_result r = EDI_OK;
    for (xmlNodePtr line = root->children; r == EDI_OK && line; line = line->next) {
        xmlNodePtr number = is(line, "line") ? first_child(line, "number") : NULL;
        xmlChar *num = number ? xmlNodeGetContent(number) : NULL;
        json_t *a = num && lines ? json_object_get(lines, (const char *)num) : NULL;
        if (json_is_object(a)) {
            r = amend_line(doc, line, (const char *)num, a, response, &amounts, why, why_n);
            if (r == EDI_OK && json_object_set_new(done, (const char *)num, json_true()))
                r = EDI_E_NOMEM;
        }
        xmlFree(num);
    }
    const char *key;
    json_t *a;
    json_object_foreach(lines, key, a) {
        if (r != EDI_OK)
            break;
        bool values = false;
        for (size_t i = 0; json_is_object(a) && plan_line_values[i]; i++)
            values |= json_object_get(a, plan_line_values[i]) != NULL;
        if (values && !json_object_get(done, key)) {
            edi_say(why, why_n, "the answer plan amends line %s, which the order does not have",
                    key);
            r = EDI_E_ARG;
        }
    }
    json_decref(done);
    /* The amounts of the amended lines and their total are computed again from the new
     * values, as the map step computed them from the received ones. */
    xmlNodePtr totals = amounts && r == EDI_OK ? first_child(root, "totals") : NULL;
    if (totals)
        remove_children(totals, "lineAmountTotal");
    if (amounts && r == EDI_OK)
        return canonical_totals_complete(doc, NULL, 0, why, why_n);
    if (r == EDI_E_NOMEM)
        edi_say(why, why_n, "out of memory applying the answer plan");
    return r;
}

/* The plan text parsed, its type checked; NULL with a sentence when it is none. */
static json_t *plan_parse(const char *plan, const char **type, char *why, size_t why_n)
{
    json_error_t err;
    json_t *p = plan ? json_loads(plan, 0, &err) : NULL;
    *type = p ? json_string_value(json_object_get(p, "type")) : NULL;
    if (!*type ||
        (strcmp(*type, "accepted") && strcmp(*type, "changed") && strcmp(*type, "rejected"))) {
        json_decref(p);
        edi_say(why, why_n, "the order's answer plan \"%.80s\" names no response type "
                "(accepted, changed or rejected)", plan ? plan : "");
        return NULL;
    }
    return p;
}

edi_result orders_apply_plan(xmlDocPtr order, const char *plan, char *why, size_t why_n)
{
    xmlNodePtr root = order ? xmlDocGetRootElement(order) : NULL;
    if (!is(root, "order") || !root->ns || strcmp((const char *)root->ns->href, CANONICAL_NS)) {
        edi_say(why, why_n, "an answer plan applies to a canonical order, and this document is "
                "none");
        return EDI_E_ARG;
    }
    const char *type;
    json_t *p = plan_parse(plan, &type, why, why_n);
    if (!p)
        return EDI_E_ARG;
    edi_result r = amend_document(order, root, p, false, why, why_n);
    json_decref(p);
    return r;
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
    const char *type;
    json_t *p = plan_parse(plan, &type, why, why_n);
    if (!p)
        return EDI_E_ARG;
    xmlDocPtr doc = xmlCopyDoc(order, 1);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    edi_result r = root ? EDI_OK : EDI_E_NOMEM;
    if (r == EDI_OK) {
        xmlNodeSetName(root, BAD_CAST "orderResponse");
        xmlUnsetProp(root, BAD_CAST "source");
    }
    xmlNodePtr kind = NULL, number = NULL, refs_before = NULL;
    bool dated = false, typed = false;
    for (xmlNodePtr c = root ? root->children : NULL, next; r == EDI_OK && c; c = next) {
        next = c->next;
        if (is(c, "kind")) {
            kind = c;
            set_text(c, "order_response");
        } else if (is(c, "type")) {
            typed = true;
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
    if (r == EDI_OK && !typed) {
        /* An order without a type (it is optional) still gets the response's. */
        xmlNodePtr t = element(doc, root->ns, "type", type);
        if (!t || !xmlAddNextSibling(kind, t))
            r = EDI_E_NOMEM;
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
    bool said = false;
    if (r == EDI_OK && strcmp(type, "rejected")) {
        r = amend_document(doc, root, p, true, why, why_n);
        said = r != EDI_OK;
    }
    if (r == EDI_OK) {
        r = respond_lines(doc, root, type, json_object_get(p, "lines"));
        if (r == EDI_E_ARG)
            edi_say(why, why_n, "a line of the canonical order has no number");
    }
    json_decref(p);
    if (r != EDI_OK) {
        if (r == EDI_E_NOMEM && !said)
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

/* ---- notices to the customer user who placed an order ------------------------------ */

typedef struct {
    const char *event;
    bool seen;
} event_seek;

static int seek_event(void *ctx, const store_order_event *e)
{
    event_seek *k = ctx;
    if (!strcmp(e->event, k->event))
        k->seen = true;
    return 0;
}

/* How many lines canonical order `o` has; 0 when it cannot be read. */
static size_t order_lines(content_store *cs, const store_order *o)
{
    edi_buf raw = { 0 };
    xmlDocPtr doc = NULL;
    char why[256];
    size_t n = 0;
    if (content_store_get(cs, o->content_id, &raw, why, sizeof why) == EDI_OK &&
        mapping_parse_xml(raw.p, raw.len, &doc, why, sizeof why) == EDI_OK) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
            n += is(c, "line");
    }
    xmlFreeDoc(doc);
    edi_buf_free(&raw);
    return n;
}

/* Record the notice's outcome on the order and its message. */
static edi_result notice_event(store *s, const store_order *o, const char *event,
                               const char *actor, const char *detail, char *why, size_t why_n)
{
    edi_result r = store_order_event_add(s, o->id, event, actor, detail, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(s, o->message_id, event, actor, detail, why, why_n);
    return r;
}

edi_result orders_notify_requester(store *s, content_store *cs, const orders_settings *set,
                                   const store_order *o, const char *reason, int64_t now,
                                   const char *actor, char *why, size_t why_n)
{
    bool held = !strcmp(o->state, order_state_name(ORDER_HELD));
    if (!o->requester_user_id[0] ||
        (!held && strcmp(o->state, order_state_name(ORDER_ACCEPTED)) &&
         strcmp(o->state, order_state_name(ORDER_REJECTED))))
        return EDI_OK;
    char event[32], detail[1024];
    snprintf(event, sizeof event, "notice-%s", o->state);
    event_seek seek = { .event = event };
    edi_result r = store_order_event_list(s, o->id, seek_event, &seek, why, why_n);
    if (r != EDI_OK || seek.seen)
        return r;
    store_user u;
    r = store_user_get(s, o->requester_user_id, &u, why, why_n);
    if (r == EDI_E_NOT_FOUND || (r == EDI_OK && !u.email[0])) {
        snprintf(detail, sizeof detail, "No notice to the customer: user %.64s, who placed "
                 "order %.200s, is not in the master data or has no e-mail address.",
                 o->requester_user_id, o->number);
        return notice_event(s, o, event, actor, detail, why, why_n);
    }
    if (r != EDI_OK)
        return r;
    if (!set || !set->mail_from) {
        snprintf(detail, sizeof detail, "No notice to %.64s (%.255s) that order %.200s is %s: "
                 "the gateway has no mail configured (<orders><mail> in its configuration).",
                 u.id, u.email, o->number, o->state);
        return notice_event(s, o, event, actor, detail, why, why_n);
    }
    const char *state_text = held ? "waiting for approval by your purchasing" : o->state;
    char subject[400], text[2048];
    snprintf(subject, sizeof subject, "Your order %.200s: %s", o->number, state_text);
    int len = snprintf(text, sizeof text,
                       "Hello %s,\n\nyour order %s is %s.\n\n"
                       "Order:  %s\nState:  %s\nLines:  %zu\nAmount: %s %s\n",
                       u.name[0] ? u.name : u.id, o->number, state_text, o->number,
                       state_text, order_lines(cs, o), o->amount[0] ? o->amount : "0",
                       o->currency);
    if (len > 0 && (size_t)len < sizeof text && reason && *reason)
        snprintf(text + len, sizeof text - (size_t)len, "%s %.900s\n",
                 held ? "Held because:" : "Reason:", reason);
    mail_message m = { .from = set->mail_from, .from_name = set->mail_from_name,
                       .to = u.email, .to_name = u.name[0] ? u.name : NULL,
                       .subject = subject, .text = text };
    edi_buf mail = { 0 };
    char content[CONTENT_ID_SIZE];
    store_id mid = 0;
    r = mailer_compose(&m, now, &mail, why, why_n);
    if (r == EDI_OK)
        r = content_store_put(cs, mail.p, mail.len, content, why, why_n);
    if (r == EDI_OK) {
        store_message msg;
        memset(&msg, 0, sizeof msg);
        msg.direction = STORE_OUT;
        snprintf(msg.partner, sizeof msg.partner, "%s", o->partner);
        snprintf(msg.channel, sizeof msg.channel, "mail");
        snprintf(msg.filename, sizeof msg.filename, "notice-%" PRId64 "-%s.eml", o->id,
                 o->state);
        memcpy(msg.content_id, content, CONTENT_ID_SIZE);
        msg.size = (int64_t)mail.len;
        snprintf(msg.format, sizeof msg.format, "order notice mail");
        snprintf(msg.status, sizeof msg.status, "%s", STORE_STATUS_QUEUED);
        snprintf(msg.reference, sizeof msg.reference, "%.95s", o->number);
        msg.parent_id = o->message_id;
        r = store_message_insert(s, &msg, "mail", &mid, why, why_n);
    }
    edi_buf_free(&mail);
    if (r == EDI_OK)
        r = store_mail_envelope_set(s, mid, set->mail_from, u.email, why, why_n);
    if (r == EDI_OK) {
        snprintf(detail, sizeof detail, "Told %.200s (%.64s, %.255s) that order %.200s is %s "
                 "(mail message %" PRId64 ").", u.name, u.id, u.email, o->number, o->state,
                 mid);
        r = notice_event(s, o, event, actor, detail, why, why_n);
    }
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
            r = orders_notify_requester(s, cs, set, &o, detail, now, actor, why, why_n);
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

/* ---- despatch advices and invoices ---------------------------------------------------- */

unsigned orders_invoice_rules(const char *target)
{
    unsigned rules = EN16931_RULES_CORE;
    if (target && !strncmp(target, "xrechnung-", 10))
        rules |= EN16931_RULES_XRECHNUNG;
    else if (target && !strcmp(target, "peppol"))
        rules |= EN16931_RULES_PEPPOL;
    return rules;
}

/* A refused request: the member in `field`, the sentence in `why`; EDI_E_ARG. */
static edi_result refuse(char *field, size_t field_n, const char *member, char *why,
                         size_t why_n, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static edi_result refuse(char *field, size_t field_n, const char *member, char *why,
                         size_t why_n, const char *fmt, ...)
{
    snprintf(field, field_n, "%s", member);
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    edi_say(why, why_n, "%s: %s", member, text);
    return EDI_E_ARG;
}

/* The first canonical child `name` of `parent`, NULL when none. */
static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is(c, name))
            return c;
    return NULL;
}

static void content_of(xmlNodePtr n, char *buf, size_t size)
{
    xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
    snprintf(buf, size, "%s", t ? (const char *)t : "");
    xmlFree(t);
}

/* A new child `name` with text `content` (escaped) at the end of `parent`. */
static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *content)
{
    return xmlNewTextChild(parent, parent->ns, BAD_CAST name, content ? BAD_CAST content : NULL);
}

static xmlNodePtr add_with(xmlNodePtr parent, const char *name, const char *content,
                           const char *attr, const char *value)
{
    xmlNodePtr n = add(parent, name, content);
    if (n && attr && value && *value)
        xmlSetProp(n, BAD_CAST attr, BAD_CAST value);
    return n;
}

/* A copy of `n` appended to `parent`. */
static void copy_into(xmlNodePtr parent, xmlNodePtr n)
{
    xmlNodePtr c = xmlDocCopyNode(n, parent->doc, 1);
    if (c)
        xmlAddChild(parent, c);
}

/* A string member: true with *out (NULL when absent and not required); false after
 * refusing a member of another type or a missing required one. */
static bool member_text(json_t *obj, const char *key, const char *path, bool required,
                        const char **out, char *field, size_t field_n, char *why, size_t why_n)
{
    *out = NULL;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    char member[ORDERS_FIELD_MAX];
    snprintf(member, sizeof member, "%s%s%s", path, path[0] ? "." : "", key);
    if (!v || json_is_null(v)) {
        if (required)
            refuse(field, field_n, member, why, why_n, "is missing");
        return !required;
    }
    if (!json_is_string(v) || !json_string_length(v)) {
        refuse(field, field_n, member, why, why_n, "must be a non-empty JSON string%s",
               json_is_number(v) ? " (amounts and quantities are strings such as \"12.50\", "
                                   "so that no reader turns them into floating point)"
                                 : "");
        return false;
    }
    *out = json_string_value(v);
    return true;
}

/* A decimal member above zero (or zero or more with `zero_ok`). */
static bool member_decimal(json_t *obj, const char *key, const char *path, bool required,
                           bool zero_ok, const char **text, decimal *out, char *field,
                           size_t field_n, char *why, size_t why_n)
{
    if (!member_text(obj, key, path, required, text, field, field_n, why, why_n))
        return false;
    if (!*text)
        return true;
    char member[ORDERS_FIELD_MAX], sentence[256];
    snprintf(member, sizeof member, "%s%s%s", path, path[0] ? "." : "", key);
    if (decimal_parse(*text, out, sentence, sizeof sentence) != EDI_OK || strchr(*text, ',')) {
        refuse(field, field_n, member, why, why_n, "\"%s\" is not a decimal with a point: %s",
               *text, sentence);
        return false;
    }
    if (decimal_cmp(*out, (decimal){ 0, 0 }) < (zero_ok ? 0 : 1)) {
        refuse(field, field_n, member, why, why_n, "must be %s 0, not %s",
               zero_ok ? "at least" : "more than", *text);
        return false;
    }
    return true;
}

/* YYYY-MM-DD, with `with_time` also THH:MM[:SS][Z|+HH:MM]. */
static bool iso_date_ok(const char *s, bool with_time)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return false;
    int month = (s[5] - '0') * 10 + s[6] - '0', day = (s[8] - '0') * 10 + s[9] - '0';
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    if (!s[10])
        return true;
    if (!with_time || s[10] != 'T')
        return false;
    const char *t = s + 11;
    if (!isdigit((unsigned char)t[0]) || !isdigit((unsigned char)t[1]) || t[2] != ':' ||
        !isdigit((unsigned char)t[3]) || !isdigit((unsigned char)t[4]))
        return false;
    t += 5;
    if (t[0] == ':' && isdigit((unsigned char)t[1]) && isdigit((unsigned char)t[2]))
        t += 3;
    if (!strcmp(t, "Z") || !*t)
        return true;
    return (t[0] == '+' || t[0] == '-') && isdigit((unsigned char)t[1]) &&
           isdigit((unsigned char)t[2]) && t[3] == ':' && isdigit((unsigned char)t[4]) &&
           isdigit((unsigned char)t[5]) && !t[6];
}

static bool member_date(json_t *obj, const char *key, bool required, bool with_time,
                        const char **out, char *field, size_t field_n, char *why, size_t why_n)
{
    if (!member_text(obj, key, "", required, out, field, field_n, why, why_n))
        return false;
    if (*out && !iso_date_ok(*out, with_time)) {
        refuse(field, field_n, key, why, why_n, "\"%s\" is not a date; write YYYY-MM-DD%s",
               *out, with_time ? ", optionally with THH:MM" : "");
        return false;
    }
    return true;
}

/* An SSCC: 18 digits whose last is the GS1 check digit of the others. */
static bool sscc_ok(const char *s)
{
    if (strlen(s) != 18)
        return false;
    int sum = 0;
    for (int i = 0; i < 18; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        if (i < 17)
            sum += (s[i] - '0') * ((17 - i) % 2 ? 3 : 1);
    }
    return (10 - sum % 10) % 10 == s[17] - '0';
}

/* The canonical root `name` of `doc`, NULL when it is none. */
static xmlNodePtr canonical_root(xmlDocPtr doc, const char *name)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!is(root, name) || !root->ns || strcmp((const char *)root->ns->href, CANONICAL_NS))
        return NULL;
    return root;
}

/* The order line numbered `number`, NULL when none. */
static xmlNodePtr order_line(xmlNodePtr oroot, const char *number)
{
    char buf[STORE_ORDER_NUMBER_MAX];
    for (xmlNodePtr l = oroot->children; l; l = l->next) {
        if (!is(l, "line"))
            continue;
        content_of(child(l, "number"), buf, sizeof buf);
        if (!strcmp(buf, number))
            return l;
    }
    return NULL;
}

/* The decimal of member `key` of `sums` ({"line": "quantity"}); 0 when absent. */
static decimal sum_of(json_t *sums, const char *key)
{
    decimal d = { 0, 0 };
    const char *t = sums ? json_string_value(json_object_get(sums, key)) : NULL;
    if (t)
        decimal_parse(t, &d, NULL, 0);
    return d;
}

/* A new canonical document `root_name` of kind `kind` numbered `number`. */
static xmlDocPtr new_document(const char *root_name, const char *kind, xmlNodePtr *root)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr r = doc ? xmlNewDocNode(doc, NULL, BAD_CAST root_name, NULL) : NULL;
    xmlNsPtr ns = r ? xmlNewNs(r, BAD_CAST CANONICAL_NS, NULL) : NULL;
    if (!ns) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlSetNs(r, ns);
    xmlDocSetRootElement(doc, r);
    add(r, "kind", kind);
    *root = r;
    return doc;
}

/* The article identification of order line `from` copied into `line` in schema order, with
 * `description` (may be NULL) when the order line has none. */
static void copy_article(xmlNodePtr line, xmlNodePtr from, const char *description)
{
    static const char *const names[] = { "gtin", "supplierArticle", "buyerArticle",
                                         "manufacturerArticle", "description", "classification",
                                         "originCountry", "attribute", NULL };
    for (size_t i = 0; names[i]; i++) {
        bool copied = false;
        for (xmlNodePtr c = from->children; c; c = c->next)
            if (is(c, names[i])) {
                copy_into(line, c);
                copied = true;
            }
        if (!copied && description && !strcmp(names[i], "description"))
            add(line, "description", description);
    }
}

static void add_quantity(xmlNodePtr line, const char *name, const char *value, xmlNodePtr like)
{
    xmlChar *unit = like ? xmlGetProp(like, BAD_CAST "unit") : NULL;
    add_with(line, name, value, "unit", unit ? (const char *)unit : NULL);
    xmlFree(unit);
}

static void add_line_reference(xmlNodePtr line, const char *order_number, const char *line_no)
{
    xmlNodePtr ref = add_with(line, "reference", order_number, "kind", "customer_order");
    if (ref)
        xmlSetProp(ref, BAD_CAST "line", BAD_CAST line_no);
}

/* The despatch request's packages: a package element each, the package of each line in
 * `pkg_of` ({"line": "P1"}). */
static edi_result despatch_packages(xmlNodePtr root, json_t *req, json_t *wanted, json_t *pkg_of,
                                    char *field, size_t field_n, char *why, size_t why_n)
{
    json_t *pkgs = json_object_get(req, "packages");
    if (!pkgs)
        return EDI_OK;
    if (!json_is_array(pkgs))
        return refuse(field, field_n, "packages", why, why_n, "must be an array of "
                      "{\"sscc\": \"...\", \"type\": \"201\", \"lines\": [\"1\", ...]}");
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p) {
        char path[48], id[32];
        snprintf(path, sizeof path, "packages[%zu]", i);
        snprintf(id, sizeof id, "P%zu", i + 1);
        const char *sscc, *type;
        if (!json_is_object(p))
            return refuse(field, field_n, path, why, why_n, "must be an object");
        if (!member_text(p, "sscc", path, true, &sscc, field, field_n, why, why_n) ||
            !member_text(p, "type", path, false, &type, field, field_n, why, why_n))
            return EDI_E_ARG;
        if (!sscc_ok(sscc)) {
            char member[ORDERS_FIELD_MAX];
            snprintf(member, sizeof member, "%s.sscc", path);
            return refuse(field, field_n, member, why, why_n, "\"%s\" is no SSCC: 18 digits "
                          "whose last is the GS1 check digit", sscc);
        }
        xmlNodePtr pkg = add_with(root, "package", NULL, "id", id);
        add(pkg, "sscc", sscc);
        if (type)
            add(pkg, "type", type);
        json_t *lines = json_object_get(p, "lines"), *l;
        size_t k;
        if (lines && !json_is_array(lines))
            return refuse(field, field_n, path, why, why_n, "lines must be an array of the "
                          "order line numbers the package holds");
        json_array_foreach(lines, k, l) {
            char member[ORDERS_FIELD_MAX];
            snprintf(member, sizeof member, "%s.lines[%zu]", path, k);
            const char *no = json_string_value(l);
            if (!no || !json_object_get(wanted, no))
                return refuse(field, field_n, member, why, why_n, "names no line of this "
                              "despatch; name the order line numbers given in lines");
            if (json_object_get(pkg_of, no))
                return refuse(field, field_n, member, why, why_n, "line %s is already in "
                              "another package; a line is packed in one package", no);
            json_object_set_new(pkg_of, no, json_string(id));
        }
    }
    return EDI_OK;
}

/* Serialise a JSON object into lines[STORE_DOC_LINES_MAX]. */
static edi_result lines_text(json_t *obj, char *lines, char *why, size_t why_n)
{
    char *t = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    edi_result r = !t ? EDI_E_NOMEM : strlen(t) < STORE_DOC_LINES_MAX ? EDI_OK : EDI_E_LIMIT;
    if (r == EDI_OK)
        memcpy(lines, t, strlen(t) + 1);
    else
        edi_say(why, why_n, "%s", r == EDI_E_NOMEM ? "out of memory" : "too many lines for "
                "one document");
    free(t);
    return r;
}

edi_result orders_build_despatch(xmlDocPtr order, json_t *req, json_t *before,
                                 const char *number, xmlDocPtr *out, char *lines,
                                 bool *complete, char *field, size_t field_n, char *why,
                                 size_t why_n)
{
    *out = NULL;
    *complete = false;
    field[0] = '\0';
    xmlNodePtr oroot = canonical_root(order, "order");
    if (!oroot || !json_is_object(req) || !number || !*number) {
        edi_say(why, why_n, "a despatch advice is built from a canonical order, a request "
                "object and a number");
        return EDI_E_ARG;
    }
    const char *despatch_date, *delivery_date;
    if (!member_date(req, "despatch_date", true, true, &despatch_date, field, field_n, why,
                     why_n) ||
        !member_date(req, "delivery_date", false, true, &delivery_date, field, field_n, why,
                     why_n))
        return EDI_E_ARG;
    json_t *req_lines = json_object_get(req, "lines");
    if (!json_is_array(req_lines) || !json_array_size(req_lines))
        return refuse(field, field_n, "lines", why, why_n, "is missing or empty; send "
                      "[{\"line\": \"1\", \"quantity\": \"48\"}, ...] with the order's line "
                      "numbers");
    char order_number[STORE_ORDER_NUMBER_MAX];
    content_of(child(oroot, "number"), order_number, sizeof order_number);

    json_t *wanted = json_object(), *pkg_of = json_object();
    xmlNodePtr root = NULL;
    xmlDocPtr doc = wanted && pkg_of ? new_document("despatchAdvice", "despatch_advice", &root)
                                     : NULL;
    edi_result r = doc ? EDI_OK : EDI_E_NOMEM;
    /* The quantities first: every line named once, none beyond what was ordered. */
    size_t i;
    json_t *l;
    json_array_foreach(req_lines, i, l) {
        if (r != EDI_OK)
            break;
        char path[48];
        snprintf(path, sizeof path, "lines[%zu]", i);
        const char *no, *qty;
        decimal q;
        if (!json_is_object(l)) {
            r = refuse(field, field_n, path, why, why_n, "must be {\"line\": \"1\", "
                       "\"quantity\": \"48\"}");
            break;
        }
        if (!member_text(l, "line", path, true, &no, field, field_n, why, why_n) ||
            !member_decimal(l, "quantity", path, true, false, &qty, &q, field, field_n, why,
                            why_n)) {
            r = EDI_E_ARG;
            break;
        }
        char member[ORDERS_FIELD_MAX];
        snprintf(member, sizeof member, "%s.line", path);
        xmlNodePtr ol = order_line(oroot, no);
        if (!ol) {
            r = refuse(field, field_n, member, why, why_n, "order %s has no line %s",
                       order_number, no);
            break;
        }
        if (json_object_get(wanted, no)) {
            r = refuse(field, field_n, member, why, why_n, "line %s is named twice; send one "
                       "entry per line with the quantity despatched", no);
            break;
        }
        decimal ordered, total;
        xmlNodePtr oq = child(ol, "quantity");
        char oq_text[DECIMAL_TEXT_MAX] = "";
        content_of(oq, oq_text, sizeof oq_text);
        if (decimal_add(sum_of(before, no), q, &total) != EDI_OK) {
            r = EDI_E_LIMIT;
            break;
        }
        if (oq && decimal_parse(oq_text, &ordered, NULL, 0) == EDI_OK &&
            decimal_cmp(total, ordered) > 0) {
            char earlier[DECIMAL_TEXT_MAX];
            decimal_format(sum_of(before, no), earlier, sizeof earlier);
            snprintf(member, sizeof member, "%s.quantity", path);
            r = refuse(field, field_n, member, why, why_n, "%s would despatch more of line %s "
                       "than the %s ordered (%s despatched before)", qty, no, oq_text, earlier);
            break;
        }
        json_object_set_new(wanted, no, json_string(qty));
    }
    if (r == EDI_OK)
        r = despatch_packages(root, req, wanted, pkg_of, field, field_n, why, why_n);
    if (r == EDI_OK) {
        /* The header in schema order, before the packages already added. */
        xmlNodePtr head = xmlNewDocNode(doc, root->ns, BAD_CAST "number", BAD_CAST "");
        xmlNodeAddContent(head, BAD_CAST number);
        xmlAddNextSibling(child(root, "kind"), head);
        char day[11];
        snprintf(day, sizeof day, "%.10s", despatch_date);
        xmlNodePtr at = head;
        const char *dates[][2] = { { "document", day }, { "despatch", despatch_date },
                                   { "delivery", delivery_date } };
        for (size_t k = 0; k < 3; k++) {
            if (!dates[k][1])
                continue;
            xmlNodePtr d = xmlNewDocNode(doc, root->ns, BAD_CAST "date", NULL);
            xmlNodeAddContent(d, BAD_CAST dates[k][1]);
            xmlSetProp(d, BAD_CAST "role", BAD_CAST dates[k][0]);
            at = xmlAddNextSibling(at, d);
        }
        xmlNodePtr ref = xmlNewDocNode(doc, root->ns, BAD_CAST "reference", NULL);
        xmlNodeAddContent(ref, BAD_CAST order_number);
        xmlSetProp(ref, BAD_CAST "kind", BAD_CAST "customer_order");
        at = xmlAddNextSibling(at, ref);
        for (xmlNodePtr c = oroot->children; c; c = c->next)
            if (is(c, "party")) {
                xmlNodePtr p = xmlDocCopyNode(c, doc, 1);
                at = p ? xmlAddNextSibling(at, p) : at;
            }
        json_array_foreach(req_lines, i, l) {
            const char *no = json_string_value(json_object_get(l, "line"));
            xmlNodePtr ol = order_line(oroot, no);
            xmlNodePtr line = add(root, "line", NULL);
            add(line, "number", no);
            copy_article(line, ol, NULL);
            xmlNodePtr oq = child(ol, "quantity");
            add_quantity(line, "quantity", json_string_value(json_object_get(wanted, no)), oq);
            if (oq) {
                char oq_text[DECIMAL_TEXT_MAX];
                content_of(oq, oq_text, sizeof oq_text);
                add_quantity(line, "orderedQuantity", oq_text, oq);
            }
            add_line_reference(line, order_number, no);
            const char *pkg = json_string_value(json_object_get(pkg_of, no));
            if (pkg)
                add(line, "packageRef", pkg);
        }
        /* Complete when every ordered line is despatched in full. */
        bool all = true;
        for (xmlNodePtr ol = oroot->children; ol; ol = ol->next) {
            if (!is(ol, "line") || !child(ol, "quantity"))
                continue;
            char no[STORE_ORDER_NUMBER_MAX], oq_text[DECIMAL_TEXT_MAX];
            content_of(child(ol, "number"), no, sizeof no);
            content_of(child(ol, "quantity"), oq_text, sizeof oq_text);
            decimal ordered, total;
            if (decimal_parse(oq_text, &ordered, NULL, 0) != EDI_OK ||
                decimal_add(sum_of(before, no), sum_of(wanted, no), &total) != EDI_OK ||
                decimal_cmp(total, ordered) < 0)
                all = false;
        }
        *complete = all;
        r = lines_text(wanted, lines, why, why_n);
    }
    json_decref(wanted);
    json_decref(pkg_of);
    if (r != EDI_OK) {
        if (r == EDI_E_NOMEM)
            edi_say(why, why_n, "out of memory building a despatch advice");
        xmlFreeDoc(doc);
        return r;
    }
    *out = doc;
    return EDI_OK;
}

/* A party `role` in schema order from the order's party `from` (may be NULL) with the
 * request's `over` (may be NULL): name, vat_id, tax_number, electronic_address (+ _scheme),
 * street, postcode, city, country, contact {name, phone, email}. Without an electronic
 * address the party's GLN is used (EAS 0088). */
static xmlNodePtr build_party(xmlNodePtr root, const char *role, xmlNodePtr from, json_t *over)
{
    xmlNodePtr p = add_with(root, "party", NULL, "role", role);
    if (!p)
        return NULL;
    const char *vat = json_string_value(json_object_get(over, "vat_id"));
    const char *taxno = json_string_value(json_object_get(over, "tax_number"));
    char gln[32] = "";
    for (xmlNodePtr c = from ? from->children : NULL; c; c = c->next) {
        if (!is(c, "id"))
            continue;
        xmlChar *scheme = xmlGetProp(c, BAD_CAST "scheme");
        bool replaced = scheme && ((vat && !strcmp((const char *)scheme, "vat")) ||
                                   (taxno && !strcmp((const char *)scheme, "tax_number")));
        if (scheme && !strcmp((const char *)scheme, "gln"))
            content_of(c, gln, sizeof gln);
        xmlFree(scheme);
        if (!replaced)
            copy_into(p, c);
    }
    if (vat)
        add_with(p, "id", vat, "scheme", "vat");
    if (taxno)
        add_with(p, "id", taxno, "scheme", "tax_number");
    const char *name = json_string_value(json_object_get(over, "name"));
    for (xmlNodePtr c = from ? from->children : NULL; c; c = c->next)
        if ((is(c, "name") && !name) || is(c, "tradingName"))
            copy_into(p, c);
    if (name) {
        xmlNodePtr n = xmlNewDocNode(p->doc, p->ns, BAD_CAST "name", NULL);
        xmlNodeAddContent(n, BAD_CAST name);
        xmlNodePtr first_name = child(p, "name"), trading = child(p, "tradingName");
        if (trading)
            xmlAddPrevSibling(trading, n);
        else if (first_name)
            xmlAddPrevSibling(first_name, n);
        else
            xmlAddChild(p, n);
    }
    const char *address = json_string_value(json_object_get(over, "electronic_address"));
    const char *scheme = json_string_value(json_object_get(over, "electronic_address_scheme"));
    if (address)
        add_with(p, "electronicAddress", address, "scheme", scheme ? scheme : "EM");
    else if (child(from, "electronicAddress"))
        copy_into(p, child(from, "electronicAddress"));
    else if (gln[0])
        add_with(p, "electronicAddress", gln, "scheme", "0088");
    if (child(from, "department"))
        copy_into(p, child(from, "department"));
    const char *street = json_string_value(json_object_get(over, "street"));
    for (xmlNodePtr c = from ? from->children : NULL; c && !street; c = c->next)
        if (is(c, "street"))
            copy_into(p, c);
    if (street)
        add(p, "street", street);
    static const char *const simple[][2] = { { "postcode", "postcode" }, { "city", "city" },
                                             { "countrySubdivision", NULL },
                                             { "country", "country" } };
    for (size_t i = 0; i < 4; i++) {
        const char *v = simple[i][1] ? json_string_value(json_object_get(over, simple[i][1]))
                                     : NULL;
        if (v)
            add(p, simple[i][0], v);
        else if (child(from, simple[i][0]))
            copy_into(p, child(from, simple[i][0]));
    }
    json_t *contact = json_object_get(over, "contact");
    if (json_is_object(contact)) {
        xmlNodePtr c = add(p, "contact", NULL);
        static const char *const parts[] = { "name", "phone", "email" };
        for (size_t i = 0; i < 3; i++) {
            const char *v = json_string_value(json_object_get(contact, parts[i]));
            if (v)
                add(c, parts[i], v);
        }
    } else {
        for (xmlNodePtr c = from ? from->children : NULL; c; c = c->next)
            if (is(c, "contact"))
                copy_into(p, c);
    }
    return p;
}

/* The party of the order with role `role`, NULL when none. */
static xmlNodePtr order_party(xmlNodePtr oroot, const char *role)
{
    for (xmlNodePtr c = oroot->children; c; c = c->next) {
        if (!is(c, "party"))
            continue;
        xmlChar *r = xmlGetProp(c, BAD_CAST "role");
        bool match = r && !strcmp((const char *)r, role);
        xmlFree(r);
        if (match)
            return c;
    }
    return NULL;
}

/* Every member of `obj` must be a string (a nested object only where `nested` allows). */
static bool strings_only(json_t *obj, const char *path, const char *nested, char *field,
                         size_t field_n, char *why, size_t why_n)
{
    if (!obj)
        return true;
    if (!json_is_object(obj)) {
        refuse(field, field_n, path, why, why_n, "must be an object");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char member[ORDERS_FIELD_MAX];
        snprintf(member, sizeof member, "%s.%s", path, key);
        if (nested && !strcmp(key, nested)) {
            if (!strings_only(v, member, NULL, field, field_n, why, why_n))
                return false;
        } else if (!json_is_string(v) || !json_string_length(v)) {
            refuse(field, field_n, member, why, why_n, "must be a non-empty JSON string");
            return false;
        }
    }
    return true;
}

/* The invoice line for order line `ol`: quantity `qty`, the request line `rl` (may be
 * NULL) for its price and VAT, else the request's `vat`. */
static edi_result invoice_line(xmlNodePtr root, xmlNodePtr ol, const char *no, const char *qty,
                               json_t *rl, const char *rl_path, json_t *vat,
                               const char *order_number, char *field, size_t field_n, char *why,
                               size_t why_n)
{
    const char *price = NULL, *cat = NULL, *rate = NULL, *description = NULL;
    decimal d;
    if (rl && (!member_decimal(rl, "net_price", rl_path, false, true, &price, &d, field, field_n,
                               why, why_n) ||
               !member_text(rl, "description", rl_path, false, &description, field, field_n,
                            why, why_n) ||
               !member_text(rl, "vat_category", rl_path, false, &cat, field, field_n, why,
                            why_n) ||
               !member_decimal(rl, "vat_rate", rl_path, false, true, &rate, &d, field, field_n,
                               why, why_n)))
        return EDI_E_ARG;
    if (!cat)
        cat = json_string_value(json_object_get(vat, "category"));
    if (!rate)
        rate = json_string_value(json_object_get(vat, "rate"));
    xmlNodePtr otax = NULL;
    for (xmlNodePtr c = ol->children; c && !otax; c = c->next)
        if (is(c, "tax"))
            otax = c;
    if (!cat && !otax)
        return refuse(field, field_n, "vat", why, why_n, "line %s has no VAT category; send "
                      "\"vat\": {\"category\": \"S\", \"rate\": \"19\"} for every line, or "
                      "vat_category and vat_rate on the line", no);
    if (!price && !child(ol, "netPrice"))
        return refuse(field, field_n, rl ? rl_path : "lines", why, why_n, "order line %s has "
                      "no net price; send it as net_price of that line", no);
    xmlNodePtr line = add(root, "line", NULL);
    add(line, "number", no);
    copy_article(line, ol, description);
    add_quantity(line, "quantity", qty, child(ol, "quantity"));
    if (price)
        add(line, "netPrice", price);
    else
        copy_into(line, child(ol, "netPrice"));
    if (cat) {
        xmlNodePtr t = add_with(line, "tax", NULL, "type", "VAT");
        add(t, "category", cat);
        if (rate)
            add(t, "ratePercent", rate);
    } else {
        copy_into(line, otax);
    }
    add_line_reference(line, order_number, no);
    return EDI_OK;
}

edi_result orders_build_invoice(xmlDocPtr order, json_t *req, json_t *despatched,
                                const char *number, const char *default_terms, unsigned rules,
                                xmlDocPtr *out, char *lines, char *amount,
                                doc_findings *findings, char *field, size_t field_n, char *why,
                                size_t why_n)
{
    *out = NULL;
    field[0] = '\0';
    amount[0] = '\0';
    xmlNodePtr oroot = canonical_root(order, "order");
    if (!oroot || !json_is_object(req) || !number || !*number || !findings) {
        edi_say(why, why_n, "an invoice is built from a canonical order, a request object, a "
                "number and a findings list");
        return EDI_E_ARG;
    }
    const char *inv_date, *due, *delivery, *terms, *buyer_ref, *currency;
    json_t *seller = json_object_get(req, "seller"), *buyer = json_object_get(req, "buyer");
    json_t *vat = json_object_get(req, "vat"), *req_lines = json_object_get(req, "lines");
    if (!member_date(req, "invoice_date", true, false, &inv_date, field, field_n, why, why_n) ||
        !member_date(req, "due_date", false, false, &due, field, field_n, why, why_n) ||
        !member_date(req, "delivery_date", false, false, &delivery, field, field_n, why,
                     why_n) ||
        !member_text(req, "payment_terms", "", false, &terms, field, field_n, why, why_n) ||
        !member_text(req, "buyer_reference", "", false, &buyer_ref, field, field_n, why,
                     why_n) ||
        !member_text(req, "currency", "", false, &currency, field, field_n, why, why_n) ||
        !strings_only(seller, "seller", "contact", field, field_n, why, why_n) ||
        !strings_only(buyer, "buyer", NULL, field, field_n, why, why_n) ||
        !strings_only(vat, "vat", NULL, field, field_n, why, why_n))
        return EDI_E_ARG;
    if (req_lines && (!json_is_array(req_lines) || !json_array_size(req_lines)))
        return refuse(field, field_n, "lines", why, why_n, "must be a non-empty array, or left "
                      "out to invoice what was despatched");
    char order_number[STORE_ORDER_NUMBER_MAX], order_currency[8];
    content_of(child(oroot, "number"), order_number, sizeof order_number);
    content_of(child(oroot, "currency"), order_currency, sizeof order_currency);
    if (!currency && !order_currency[0])
        return refuse(field, field_n, "currency", why, why_n, "order %s names no currency; "
                      "send the invoice's (ISO 4217, e.g. EUR)", order_number);

    json_t *invoiced = json_object();
    xmlNodePtr root = NULL;
    xmlDocPtr doc = invoiced ? new_document("invoice", "invoice", &root) : NULL;
    if (!doc) {
        json_decref(invoiced);
        edi_say(why, why_n, "out of memory building an invoice");
        return EDI_E_NOMEM;
    }
    add_with(root, "type", "invoice", "code", "380");
    /* BT-24 and BT-23 of the rules it must pass (the stylesheets write their own). */
    if (rules & EN16931_RULES_XRECHNUNG)
        add(root, "specification",
            "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0");
    else if (rules & EN16931_RULES_PEPPOL)
        add(root, "specification",
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0");
    else
        add(root, "specification", "urn:cen.eu:en16931:2017");
    if (rules & (EN16931_RULES_XRECHNUNG | EN16931_RULES_PEPPOL))
        add(root, "process", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0");
    add(root, "number", number);
    add_with(root, "date", inv_date, "role", "document");
    if (due)
        add_with(root, "date", due, "role", "due");
    if (delivery)
        add_with(root, "date", delivery, "role", "delivery");
    add(root, "currency", currency ? currency : order_currency);
    if (buyer_ref)
        add_with(root, "reference", buyer_ref, "kind", "buyer_reference");
    for (xmlNodePtr c = oroot->children; c; c = c->next) {
        xmlChar *kind = is(c, "reference") ? xmlGetProp(c, BAD_CAST "kind") : NULL;
        if (kind && ((!buyer_ref && !strcmp((const char *)kind, "buyer_reference")) ||
                     !strcmp((const char *)kind, "contract") ||
                     !strcmp((const char *)kind, "project")))
            copy_into(root, c);
        xmlFree(kind);
    }
    add_with(root, "reference", order_number, "kind", "customer_order");
    const char *terms_text = terms ? terms : default_terms && *default_terms ? default_terms
                                                                             : NULL;
    if (terms_text)
        add(add(root, "paymentTerms", NULL), "text", terms_text);
    const char *iban = json_string_value(json_object_get(seller, "iban"));
    if (iban) {
        xmlNodePtr pm = add_with(root, "paymentMeans", NULL, "code", "58");
        add(pm, "remittance", number);
        xmlNodePtr acc = add(pm, "account", NULL);
        add(acc, "iban", iban);
        const char *holder = json_string_value(json_object_get(seller, "account_name"));
        const char *bic = json_string_value(json_object_get(seller, "bic"));
        if (holder || json_string_value(json_object_get(seller, "name")))
            add(acc, "name", holder ? holder : json_string_value(json_object_get(seller, "name")));
        if (bic)
            add(acc, "bic", bic);
    }
    build_party(root, "supplier", order_party(oroot, "supplier"), seller);
    build_party(root, "buyer", order_party(oroot, "buyer"), buyer);
    if (order_party(oroot, "delivery"))
        copy_into(root, order_party(oroot, "delivery"));

    edi_result r = EDI_OK;
    if (req_lines) {
        size_t i;
        json_t *l;
        json_array_foreach(req_lines, i, l) {
            char path[48], member[ORDERS_FIELD_MAX];
            snprintf(path, sizeof path, "lines[%zu]", i);
            const char *no, *qty;
            decimal q;
            if (!json_is_object(l) ||
                !member_text(l, "line", path, true, &no, field, field_n, why, why_n) ||
                !member_decimal(l, "quantity", path, true, false, &qty, &q, field, field_n,
                                why, why_n)) {
                r = json_is_object(l) ? EDI_E_ARG
                                      : refuse(field, field_n, path, why, why_n, "must be an "
                                               "object {\"line\", \"quantity\"}");
                break;
            }
            snprintf(member, sizeof member, "%s.line", path);
            xmlNodePtr ol = order_line(oroot, no);
            if (!ol) {
                r = refuse(field, field_n, member, why, why_n, "order %s has no line %s",
                           order_number, no);
                break;
            }
            if (json_object_get(invoiced, no)) {
                r = refuse(field, field_n, member, why, why_n, "line %s is named twice", no);
                break;
            }
            json_object_set_new(invoiced, no, json_string(qty));
            r = invoice_line(root, ol, no, qty, l, path, vat, order_number, field, field_n, why,
                             why_n);
            if (r != EDI_OK)
                break;
        }
    } else {
        for (xmlNodePtr ol = oroot->children; r == EDI_OK && ol; ol = ol->next) {
            if (!is(ol, "line"))
                continue;
            char no[STORE_ORDER_NUMBER_MAX], qty[DECIMAL_TEXT_MAX];
            content_of(child(ol, "number"), no, sizeof no);
            decimal d = sum_of(despatched, no);
            if (decimal_cmp(d, (decimal){ 0, 0 }) <= 0 ||
                decimal_format(d, qty, sizeof qty) != EDI_OK)
                continue;
            json_object_set_new(invoiced, no, json_string(qty));
            r = invoice_line(root, ol, no, qty, NULL, "", vat, order_number, field, field_n,
                             why, why_n);
        }
        if (r == EDI_OK && !json_object_size(invoiced))
            r = refuse(field, field_n, "lines", why, why_n, "nothing of order %s was "
                       "despatched; send the lines to invoice", order_number);
    }
    if (r == EDI_OK)
        r = en16931_complete(doc, findings, why, why_n);
    if (r == EDI_OK)
        r = en16931_check(doc, rules, findings, why, why_n);
    if (r == EDI_OK && doc_findings_count(findings, DOC_ERROR)) {
        const doc_finding *e = NULL;
        for (size_t i = 0; i < findings->count && !e; i++)
            if (findings->items[i].severity == DOC_ERROR)
                e = &findings->items[i];
        edi_say(why, why_n, "the invoice breaks %zu rule(s), first %s (%s): %s",
                doc_findings_count(findings, DOC_ERROR), e->rule, e->where, e->text);
        r = EDI_E_ARG;
    }
    if (r == EDI_OK) {
        content_of(child(child(root, "totals"), "payableAmount"), amount, DECIMAL_TEXT_MAX);
        r = lines_text(invoiced, lines, why, why_n);
    }
    json_decref(invoiced);
    if (r != EDI_OK) {
        amount[0] = '\0';
        xmlFreeDoc(doc);
        return r;
    }
    *out = doc;
    return EDI_OK;
}

/* The order's documents of one kind: their quantities added up per line into `sums`, the
 * newest document number in `last`, the id of the one numbered `number` in *found. */
typedef struct {
    const char *kind;
    const char *number;
    json_t *sums;
    size_t count;
    store_id found;
    char last[STORE_ORDER_NUMBER_MAX];
    edi_result r;
} doc_sums;

static int add_document(void *ctx, const store_order_document *d)
{
    doc_sums *ds = ctx;
    if (strcmp(d->kind, ds->kind))
        return 0;
    ds->count++;
    snprintf(ds->last, sizeof ds->last, "%s", d->number);
    if (ds->number && !strcmp(ds->number, d->number))
        ds->found = d->id;
    json_t *lines = json_loads(d->lines, 0, NULL);
    const char *key;
    json_t *v;
    json_object_foreach(lines, key, v) {
        decimal q, total;
        char text[DECIMAL_TEXT_MAX];
        if (!json_is_string(v) || decimal_parse(json_string_value(v), &q, NULL, 0) != EDI_OK ||
            decimal_add(sum_of(ds->sums, key), q, &total) != EDI_OK ||
            decimal_format(total, text, sizeof text) != EDI_OK) {
            ds->r = EDI_E_CORRUPT;
            continue;
        }
        json_object_set_new(ds->sums, key, json_string(text));
    }
    json_decref(lines);
    return 0;
}

/* The canonical order of `o` from the content store, amended by its answer plan. */
static edi_result read_order(content_store *cs, const store_order *o, xmlDocPtr *doc, char *why,
                             size_t why_n)
{
    edi_buf raw = { 0 };
    char sentence[512] = "";
    edi_result r = content_store_get(cs, o->content_id, &raw, why, why_n);
    if (r == EDI_OK && mapping_parse_xml(raw.p, raw.len, doc, sentence, sizeof sentence) != EDI_OK) {
        edi_say(why, why_n, "the canonical order of order %" PRId64 " cannot be read: %s", o->id,
                sentence);
        r = EDI_E_CORRUPT;
    }
    edi_buf_free(&raw);
    /* The order as agreed: with the values its answer plan supplied (price, unit, ...). */
    if (r == EDI_OK && o->answer[0] &&
        orders_apply_plan(*doc, o->answer, sentence, sizeof sentence) != EDI_OK) {
        edi_say(why, why_n, "the answer plan of order %" PRId64 " cannot be applied: %s", o->id,
                sentence);
        xmlFreeDoc(*doc);
        *doc = NULL;
        r = EDI_E_CORRUPT;
    }
    return r;
}

/* `doc` into the content store, its id in content_id. */
static edi_result put_document(content_store *cs, xmlDocPtr doc, char *content_id, char *why,
                               size_t why_n)
{
    xmlChar *bytes = NULL;
    int len = 0;
    xmlDocDumpFormatMemoryEnc(doc, &bytes, &len, "UTF-8", 1);
    if (!bytes) {
        edi_say(why, why_n, "out of memory writing a document");
        return EDI_E_NOMEM;
    }
    edi_result r = content_store_put(cs, bytes, (size_t)len, content_id, why, why_n);
    xmlFree(bytes);
    return r;
}

/* Start: the transaction and the order, which must be in one of `states`. */
static edi_result begin_order(store *s, store_id order_id, const order_state *states, size_t n,
                              const char *what, store_order *o, char *why, size_t why_n)
{
    edi_result r = store_begin(s, why, why_n);
    if (r != EDI_OK)
        return r;
    r = store_order_get(s, order_id, o, why, why_n);
    order_state st = ORDER_RECEIVED;
    bool allowed = false;
    if (r == EDI_OK && order_state_parse(o->state, &st))
        for (size_t i = 0; i < n; i++)
            allowed = allowed || st == states[i];
    if (r == EDI_OK && !allowed) {
        edi_say(why, why_n, "order %s (%" PRId64 ") is %s; only %s orders can be %s",
                o->number, o->id, o->state,
                n > 1 ? "accepted, confirmed or partly despatched" : order_state_name(states[0]),
                what);
        r = EDI_E_CONFLICT;
    }
    if (r != EDI_OK)
        store_rollback(s);
    return r;
}

static void today(char *out, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, n, "%Y-%m-%d", &tm);
}

/* The end: commit on EDI_OK, else roll back. */
static edi_result end_order(store *s, edi_result r, char *why, size_t why_n)
{
    if (r == EDI_OK)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}

edi_result orders_despatch(store *s, content_store *cs, store_id order_id, json_t *req,
                           const char *actor, orders_document_result *out, char *why,
                           size_t why_n)
{
    memset(out, 0, sizeof *out);
    doc_findings_init(&out->findings);
    if (!s || !cs || !json_is_object(req)) {
        edi_say(why, why_n, "orders_despatch needs a store, a content store and a request");
        return EDI_E_ARG;
    }
    static const order_state from[] = { ORDER_ACCEPTED, ORDER_CONFIRMED };
    store_order o;
    edi_result r = begin_order(s, order_id, from, 2, "despatched", &o, why, why_n);
    if (r != EDI_OK)
        return r;
    const char *note = json_string_value(json_object_get(req, "delivery_note"));
    if (json_object_get(req, "delivery_note") && (!note || !*note)) {
        snprintf(out->field, sizeof out->field, "delivery_note");
        edi_say(why, why_n, "delivery_note: must be a non-empty JSON string");
        return end_order(s, EDI_E_ARG, why, why_n);
    }
    doc_sums ds = { .kind = "despatch", .number = note, .sums = json_object(), .r = EDI_OK };
    r = ds.sums ? store_order_document_list(s, o.id, add_document, &ds, why, why_n) : EDI_E_NOMEM;
    if (r == EDI_OK && ds.r != EDI_OK) {
        edi_say(why, why_n, "the despatched quantities recorded for order %" PRId64 " cannot be "
                "read", o.id);
        r = ds.r;
    }
    if (r == EDI_OK && ds.found) {
        /* The ERP sent the same delivery note again (a retry after a lost answer). */
        out->duplicate = true;
        out->document_id = ds.found;
        snprintf(out->number, sizeof out->number, "%s", note);
        snprintf(out->state, sizeof out->state, "%s", o.state);
        json_decref(ds.sums);
        store_rollback(s);
        return EDI_OK;
    }
    if (note)
        snprintf(out->number, sizeof out->number, "%s", note);
    else
        snprintf(out->number, sizeof out->number, "DES-%" PRId64 "-%zu", o.id, ds.count + 1);
    json_t *copy = json_copy(req);
    char day[16];
    today(day, sizeof day);
    if (copy && !json_object_get(copy, "despatch_date"))
        json_object_set_new(copy, "despatch_date", json_string(day));
    xmlDocPtr order = NULL, desadv = NULL;
    store_order_document d;
    memset(&d, 0, sizeof d);
    if (r == EDI_OK && !copy)
        r = EDI_E_NOMEM;
    if (r == EDI_OK)
        r = read_order(cs, &o, &order, why, why_n);
    if (r == EDI_OK)
        r = orders_build_despatch(order, copy, ds.sums, out->number, &desadv, d.lines,
                                  &out->complete, out->field, sizeof out->field, why, why_n);
    if (r == EDI_OK)
        r = put_document(cs, desadv, d.content_id, why, why_n);
    store_id doc_id = 0;
    if (r == EDI_OK) {
        d.order_id = o.id;
        snprintf(d.kind, sizeof d.kind, "despatch");
        snprintf(d.number, sizeof d.number, "%s", out->number);
        r = store_order_document_insert(s, &d, &doc_id, why, why_n);
    }
    char detail[1024];
    snprintf(detail, sizeof detail, "Despatched under delivery note %.200s: %.600s%s",
             out->number, d.lines, out->complete ? "; nothing is left to despatch"
                                                 : "; more is to follow");
    if (r == EDI_OK && out->complete)
        r = orders_move(s, &o, ORDER_DESPATCHED, actor, detail, NULL, why, why_n);
    else if (r == EDI_OK)
        r = store_order_event_add(s, o.id, "partly-despatched", actor, detail, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(s, o.message_id, "despatched", actor, detail, why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, "answer", o.message_id, 0, why, why_n);
    out->document_id = doc_id;
    snprintf(out->state, sizeof out->state, "%s", o.state);
    xmlFreeDoc(desadv);
    xmlFreeDoc(order);
    json_decref(copy);
    json_decref(ds.sums);
    return end_order(s, r, why, why_n);
}

/* Order lines without a description get the article's name from the master data (by GTIN,
 * then the supplier's article number): an invoice line needs an item name (BT-153). */
static void describe_lines(store *s, const store_order *o, xmlDocPtr order)
{
    store_master_ctx mctx;
    md_lookup md;
    store_master_lookup(s, o->message_id, &mctx, &md);
    for (xmlNodePtr l = xmlDocGetRootElement(order)->children; l; l = l->next) {
        if (!is(l, "line") || child(l, "description"))
            continue;
        char gtin[MD_ID_MAX], number[MD_ID_MAX];
        content_of(child(l, "gtin"), gtin, sizeof gtin);
        content_of(child(l, "supplierArticle"), number, sizeof number);
        md_article a;
        memset(&a, 0, sizeof a);
        bool found = (gtin[0] && md.article_by_gtin &&
                      md.article_by_gtin(md.ctx, gtin, &a, NULL, 0) == EDI_OK) ||
                     (number[0] && md.article_by_supplier_number &&
                      md.article_by_supplier_number(md.ctx, number, &a, NULL, 0) == EDI_OK);
        if (!found || !a.name[0])
            continue;
        static const char *const later[] = { "classification", "originCountry", "attribute",
                                             "quantity", "orderedQuantity", "netPrice",
                                             "grossPrice", "lineAmount", "tax", "allowanceCharge",
                                             "date", "reference", "text", "packageRef",
                                             "extension", NULL };
        xmlNodePtr before = NULL;
        for (xmlNodePtr c = l->children; c && !before; c = c->next)
            for (size_t i = 0; later[i] && !before; i++)
                if (is(c, later[i]))
                    before = c;
        xmlNodePtr d = xmlNewDocNode(order, l->ns, BAD_CAST "description", NULL);
        xmlNodeAddContent(d, BAD_CAST a.name);
        if (before)
            xmlAddPrevSibling(before, d);
        else
            xmlAddChild(l, d);
    }
}

edi_result orders_invoice(store *s, content_store *cs, const partner_set *ps, store_id order_id,
                          json_t *req, const char *actor, orders_document_result *out,
                          char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    doc_findings_init(&out->findings);
    if (!s || !cs || !json_is_object(req)) {
        edi_say(why, why_n, "orders_invoice needs a store, a content store and a request");
        return EDI_E_ARG;
    }
    static const order_state from[] = { ORDER_DESPATCHED };
    store_order o;
    edi_result r = begin_order(s, order_id, from, 1, "invoiced", &o, why, why_n);
    if (r != EDI_OK)
        return r;
    const partner *who = ps && o.partner[0] ? partner_set_by_id(ps, o.partner) : NULL;
    const char *target = who ? partner_answer_target(who, PARTNER_ANSWER_INVOICE) : "";
    snprintf(out->target, sizeof out->target, "%s", target ? target : "");
    doc_sums ds = { .kind = "despatch", .sums = json_object(), .r = EDI_OK };
    r = ds.sums ? store_order_document_list(s, o.id, add_document, &ds, why, why_n) : EDI_E_NOMEM;
    md_customer customer;
    memset(&customer, 0, sizeof customer);
    if (r == EDI_OK && o.customer_id[0] &&
        store_customer_get(s, o.customer_id, &customer, NULL, 0) != EDI_OK)
        memset(&customer, 0, sizeof customer);
    json_t *copy = r == EDI_OK ? json_copy(req) : NULL;
    char day[16];
    today(day, sizeof day);
    if (copy && !json_object_get(copy, "invoice_date"))
        json_object_set_new(copy, "invoice_date", json_string(day));
    const char *inv_date = copy ? json_string_value(json_object_get(copy, "invoice_date")) : NULL;
    if (r == EDI_OK && !copy)
        r = EDI_E_NOMEM;
    if (r == EDI_OK && (!inv_date || !iso_date_ok(inv_date, false))) {
        snprintf(out->field, sizeof out->field, "invoice_date");
        edi_say(why, why_n, "invoice_date: must be a date YYYY-MM-DD");
        r = EDI_E_ARG;
    }
    int64_t seq = 0;
    if (r == EDI_OK)
        r = store_invoice_number_next(s, atoi(inv_date), &seq, why, why_n);
    if (r == EDI_OK)
        snprintf(out->number, sizeof out->number, "INV-%.4s-%06" PRId64, inv_date, seq);
    xmlDocPtr order = NULL, inv = NULL;
    store_order_document d;
    memset(&d, 0, sizeof d);
    if (r == EDI_OK)
        r = read_order(cs, &o, &order, why, why_n);
    if (r == EDI_OK)
        describe_lines(s, &o, order);
    if (r == EDI_OK)
        r = orders_build_invoice(order, copy, ds.sums, out->number, customer.payment_terms,
                                 orders_invoice_rules(target), &inv, d.lines, d.amount,
                                 &out->findings, out->field, sizeof out->field, why, why_n);
    if (r == EDI_OK)
        r = put_document(cs, inv, d.content_id, why, why_n);
    if (r == EDI_OK) {
        xmlChar *cur = NULL;
        for (xmlNodePtr c = xmlDocGetRootElement(inv)->children; c && !cur; c = c->next)
            if (is(c, "currency"))
                cur = xmlNodeGetContent(c);
        snprintf(d.currency, sizeof d.currency, "%s", cur ? (const char *)cur : "");
        xmlFree(cur);
        d.order_id = o.id;
        snprintf(d.kind, sizeof d.kind, "invoice");
        snprintf(d.number, sizeof d.number, "%s", out->number);
        r = store_order_document_insert(s, &d, &out->document_id, why, why_n);
    }
    char detail[1024];
    snprintf(detail, sizeof detail, "Invoiced as %.100s: %s %s due%s%s", out->number, d.amount,
             d.currency, target && *target ? ", to be sent as " : ", no invoice format in the "
                                                                  "partner's profile",
             target ? target : "");
    if (r == EDI_OK)
        r = orders_move(s, &o, ORDER_INVOICED, actor, detail, NULL, why, why_n);
    if (r == EDI_OK && o.customer_id[0]) {
        char ignored[256];
        edi_result rr = store_credit_release(s, o.customer_id, STORE_CREDIT_ORDER, o.number,
                                             ignored, sizeof ignored);
        r = rr == EDI_E_NOT_FOUND ? EDI_OK : rr;
        if (r != EDI_OK)
            edi_say(why, why_n, "%s", ignored);
        if (r == EDI_OK)
            r = store_credit_set(s, o.customer_id, STORE_CREDIT_INVOICE, out->number, d.amount,
                                 d.currency, o.message_id, why, why_n);
    }
    if (r == EDI_OK)
        r = store_history_add(s, o.message_id, "invoiced", actor, detail, why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, "answer", o.message_id, 0, why, why_n);
    snprintf(out->state, sizeof out->state, "%s", o.state);
    snprintf(out->amount, sizeof out->amount, "%s", d.amount);
    snprintf(out->currency, sizeof out->currency, "%s", d.currency);
    if (r != EDI_OK)
        out->number[0] = '\0'; /* rolled back: the number is given out again */
    xmlFreeDoc(inv);
    xmlFreeDoc(order);
    json_decref(copy);
    json_decref(ds.sums);
    return end_order(s, r, why, why_n);
}
