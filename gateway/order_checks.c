#include "order_checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CANONICAL_NS "urn:edi-gateway:canonical:1"

/* The amounts are net amounts in the order currency, rounded per line like
 * canonical_totals does. */
#define AMOUNT_DECIMALS 2

static const struct {
    const char *id;
    order_action action;
} reasons[OC_REASON_COUNT] = {
    [OC_CUSTOMER_UNKNOWN] = { "CUSTOMER_UNKNOWN", ORDER_ACTION_REJECT },
    [OC_CUSTOMER_BLOCKED] = { "CUSTOMER_BLOCKED", ORDER_ACTION_REJECT },
    [OC_DUPLICATE_ORDER_NUMBER] = { "DUPLICATE_ORDER_NUMBER", ORDER_ACTION_REJECT },
    [OC_CURRENCY_MISMATCH] = { "CURRENCY_MISMATCH", ORDER_ACTION_REJECT },
    [OC_CURRENCY_ASSUMED] = { "CURRENCY_ASSUMED", ORDER_ACTION_AMEND },
    [OC_NO_LINES] = { "NO_LINES", ORDER_ACTION_REJECT },
    [OC_ARTICLE_UNKNOWN] = { "ARTICLE_UNKNOWN", ORDER_ACTION_HOLD },
    [OC_ARTICLE_CONFLICT] = { "ARTICLE_CONFLICT", ORDER_ACTION_HOLD },
    [OC_QUANTITY_MISSING] = { "QUANTITY_MISSING", ORDER_ACTION_REJECT },
    [OC_VALUE_INVALID] = { "VALUE_INVALID", ORDER_ACTION_REJECT },
    [OC_UNIT_NOT_ALLOWED] = { "UNIT_NOT_ALLOWED", ORDER_ACTION_REJECT },
    [OC_UNIT_ASSUMED] = { "UNIT_ASSUMED", ORDER_ACTION_AMEND },
    [OC_BELOW_MINIMUM] = { "BELOW_MINIMUM", ORDER_ACTION_HOLD },
    [OC_NOT_STEP_MULTIPLE] = { "NOT_STEP_MULTIPLE", ORDER_ACTION_HOLD },
    [OC_NO_CONTRACT] = { "NO_CONTRACT", ORDER_ACTION_HOLD },
    [OC_CONTRACT_EXPIRED] = { "CONTRACT_EXPIRED", ORDER_ACTION_HOLD },
    [OC_CONTRACT_NOT_YET_VALID] = { "CONTRACT_NOT_YET_VALID", ORDER_ACTION_HOLD },
    [OC_CONTRACT_CURRENCY] = { "CONTRACT_CURRENCY", ORDER_ACTION_HOLD },
    [OC_PRICE_DIFFERS] = { "PRICE_DIFFERS", ORDER_ACTION_HOLD },
    [OC_PRICE_WITHIN_TOLERANCE] = { "PRICE_WITHIN_TOLERANCE", ORDER_ACTION_AMEND },
    [OC_PRICE_ADDED] = { "PRICE_ADDED", ORDER_ACTION_AMEND },
    [OC_PRICE_MISSING] = { "PRICE_MISSING", ORDER_ACTION_HOLD },
    [OC_CREDIT_LIMIT_EXCEEDED] = { "CREDIT_LIMIT_EXCEEDED", ORDER_ACTION_HOLD },
};

static const char *const action_names[ORDER_ACTION_COUNT] = {
    "none", "warn", "amend", "hold", "reject",
};

static const char *const field_names[ORDER_FIELD_COUNT] = {
    "none", "currency", "unit", "price", "quantity",
};

const char *order_check_reason_id(order_check_reason r)
{
    return (unsigned)r < OC_REASON_COUNT ? reasons[r].id : "UNKNOWN_REASON";
}

bool order_check_reason_parse(const char *id, order_check_reason *out)
{
    for (int i = 0; id && i < OC_REASON_COUNT; i++)
        if (strcmp(id, reasons[i].id) == 0) {
            *out = (order_check_reason)i;
            return true;
        }
    return false;
}

const char *order_action_name(order_action a)
{
    return (unsigned)a < ORDER_ACTION_COUNT ? action_names[a] : "unknown";
}

const char *order_field_name(order_field f)
{
    return (unsigned)f < ORDER_FIELD_COUNT ? field_names[f] : "none";
}

order_action order_check_default_action(order_check_reason r)
{
    return (unsigned)r < OC_REASON_COUNT ? reasons[r].action : ORDER_ACTION_NONE;
}

void order_check_result_free(order_check_result *r)
{
    if (!r)
        return;
    free(r->items);
    *r = (order_check_result){ 0 };
}

/* ---- one run ------------------------------------------------------------------------ */

typedef struct {
    const md_lookup *md;
    const order_check_options *opt;
    order_check_result *out;
    const char *customer_id;
    md_customer customer;
    char *why;
    size_t why_n;
} run;

static order_action action_for(const run *r, order_check_reason reason)
{
    order_action a = reasons[reason].action;
    if (r->opt)
        for (size_t i = 0; i < r->opt->override_count; i++)
            if (r->opt->overrides[i].reason == reason)
                a = r->opt->overrides[i].action;
    return a;
}

/* Copy `src` into `dst` of size n, cut at a UTF-8 character boundary when it is longer. */
static void copy_text(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src ? src : "");
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

/* The value a finding supplies (order_finding.field, value, basis); NULL for none. */
typedef struct {
    order_field field;
    const char *value;
    const char *basis;
} supplied;

/* Record a finding of `reason` (its action from the options) on line `line` ("" for the
 * order) supplying `sup` (may be NULL); `expected` and `found` may be NULL. EDI_E_NOMEM when
 * the list cannot grow. */
static edi_result vadd(run *r, const supplied *sup, order_check_reason reason, const char *line,
                       const char *expected, const char *found, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

static edi_result vadd(run *r, const supplied *sup, order_check_reason reason, const char *line,
                       const char *expected, const char *found, const char *fmt, va_list ap)
{
    order_action a = action_for(r, reason);
    if (a == ORDER_ACTION_NONE)
        return EDI_OK;
    order_check_result *o = r->out;
    if (a > o->outcome)
        o->outcome = a;
    if (o->count >= ORDER_FINDINGS_MAX && a != ORDER_ACTION_AMEND) {
        o->dropped++;
        return EDI_OK;
    }
    if (o->count == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        order_finding *items = realloc(o->items, cap * sizeof *items);
        if (!items) {
            edi_say(r->why, r->why_n, "out of memory while recording the findings of order %s",
                    o->order_number);
            return EDI_E_NOMEM;
        }
        o->items = items;
        o->cap = cap;
    }
    order_finding *f = &o->items[o->count++];
    *f = (order_finding){ .action = a, .reason = reason };
    copy_text(f->line, sizeof f->line, line);
    copy_text(f->expected, sizeof f->expected, expected);
    copy_text(f->found, sizeof f->found, found);
    if (sup) {
        f->field = sup->field;
        copy_text(f->value, sizeof f->value, sup->value);
        copy_text(f->basis, sizeof f->basis, sup->basis);
    }
    char text[sizeof f->text + 96];
    int used = vsnprintf(text, sizeof f->text, fmt, ap);
    /* The sentences are written for the default action; a configured one is said too. */
    if (a != reasons[reason].action && used >= 0 && (size_t)used < sizeof f->text)
        snprintf(text + used, sizeof text - (size_t)used,
                 " (The settings for this partner make this a %s instead of a %s.)",
                 action_names[a], action_names[reasons[reason].action]);
    copy_text(f->text, sizeof f->text, text);
    return EDI_OK;
}

static edi_result add(run *r, order_check_reason reason, const char *line, const char *expected,
                      const char *found, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static edi_result add(run *r, order_check_reason reason, const char *line, const char *expected,
                      const char *found, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edi_result res = vadd(r, NULL, reason, line, expected, found, fmt, ap);
    va_end(ap);
    return res;
}

/* add() for a finding that supplies a value (see order_finding.value). */
static edi_result add_supplying(run *r, order_field field, const char *value, const char *basis,
                                order_check_reason reason, const char *line,
                                const char *expected, const char *found, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static edi_result add_supplying(run *r, order_field field, const char *value, const char *basis,
                                order_check_reason reason, const char *line,
                                const char *expected, const char *found, const char *fmt, ...)
{
    supplied sup = { field, value, basis };
    va_list ap;
    va_start(ap, fmt);
    edi_result res = vadd(r, &sup, reason, line, expected, found, fmt, ap);
    va_end(ap);
    return res;
}

/* ---- reading the canonical order ------------------------------------------------------ */

static bool is_canonical(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           xmlStrEqual(n->ns->href, BAD_CAST CANONICAL_NS) &&
           xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_canonical(c, name))
            return c;
    return NULL;
}

/* The text of `n` without surrounding blanks into buf (always terminated, "" without a
 * node). Returns false when the text does not fit: such a value cannot match master data,
 * whose fields are shorter. */
static bool node_text(xmlNodePtr n, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!n)
        return true;
    xmlChar *c = xmlNodeGetContent(n);
    if (!c)
        return true;
    const char *s = (const char *)c;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                       s[len - 1] == '\n'))
        len--;
    bool fits = len < size;
    if (!fits)
        len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    xmlFree(c);
    return fits;
}

static void attr_text(xmlNodePtr n, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    xmlChar *v = n ? xmlGetNoNsProp(n, BAD_CAST name) : NULL;
    if (v) {
        copy_text(buf, size, (const char *)v);
        xmlFree(v);
    }
}

static bool iso_date(const char *s)
{
    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    }
    return true;
}

/* ---- decimals ------------------------------------------------------------------------ */

static int min_int(int a, int b) { return a < b ? a : b; }

static bool is_zero(decimal d) { return d.units == 0; }

/* a x b, exact while the scales add up to 9 or less (prices and bases always do). */
static edi_result mul(decimal a, decimal b, decimal *out)
{
    return decimal_muldiv(a, b, DECIMAL_ONE, min_int(DECIMAL_MAX_SCALE, a.scale + b.scale), out);
}

static void fmt(decimal d, char *buf, size_t n)
{
    if (decimal_format(d, buf, n) != EDI_OK)
        copy_text(buf, n, "?");
}

static edi_result limit_error(run *r, const char *what)
{
    edi_say(r->why, r->why_n, "order %s: %s is beyond the range of exact decimals",
            r->out->order_number, what);
    return EDI_E_LIMIT;
}

/* The smallest quantity >= q (and >= min when has_min) that is a multiple of step (when
 * has_step): what the seller can propose. */
static edi_result proposal(decimal q, decimal min, bool has_min, decimal step, bool has_step,
                           decimal *out)
{
    decimal t = q;
    if (has_min && decimal_cmp(t, min) < 0)
        t = min;
    if (has_step) {
        decimal k, m;
        if (decimal_muldiv(t, DECIMAL_ONE, step, 0, &k) != EDI_OK ||
            decimal_muldiv(k, step, DECIMAL_ONE, step.scale, &m) != EDI_OK)
            return EDI_E_LIMIT;
        if (decimal_cmp(m, t) < 0 && decimal_add(m, step, &m) != EDI_OK)
            return EDI_E_LIMIT;
        t = m;
    }
    *out = t;
    return EDI_OK;
}

/* True when q is a whole multiple of step (step > 0). */
static edi_result is_multiple(decimal q, decimal step, bool *yes)
{
    decimal k, m;
    if (decimal_muldiv(q, DECIMAL_ONE, step, 0, &k) != EDI_OK ||
        decimal_muldiv(k, step, DECIMAL_ONE, step.scale, &m) != EDI_OK)
        return EDI_E_LIMIT;
    *yes = decimal_cmp(m, q) == 0;
    return EDI_OK;
}

/* "12.50 EUR per 1 C62" (unit and currency left out when unknown). */
static void price_text(char *buf, size_t n, decimal price, decimal basis, const char *currency,
                       const char *unit)
{
    char p[DECIMAL_TEXT_MAX], b[DECIMAL_TEXT_MAX];
    fmt(price, p, sizeof p);
    fmt(basis, b, sizeof b);
    snprintf(buf, n, "%s%s%s per %s%s%s", p, *currency ? " " : "", currency, b, *unit ? " " : "",
             unit);
}

/* ---- one line ------------------------------------------------------------------------ */

typedef struct {
    char number[MD_ID_MAX];
    char ids[3][MD_ID_MAX];        /* GTIN, supplier article number, buyer article number */
    bool ids_fit[3];
    bool have_article;
    md_article article;
} line_ctx;

static const char *const id_names[3] = {
    "GTIN", "supplier article number", "buyer article number",
};

static edi_result lookup_article(run *r, int which, const char *value, md_article *out)
{
    const md_lookup *md = r->md;
    switch (which) {
    case 0:
        return md->article_by_gtin(md->ctx, value, out, r->why, r->why_n);
    case 1:
        return md->article_by_supplier_number(md->ctx, value, out, r->why, r->why_n);
    default:
        return md->article_by_buyer_number(md->ctx, r->customer_id, value, out, r->why,
                                           r->why_n);
    }
}

/* The article of the line, tried by GTIN, supplier and buyer article number in that order
 * (the order SAP's ORDERS IDoc uses); every number given is looked up, and numbers that
 * name different articles are a conflict. */
static edi_result identify(run *r, line_ctx *l)
{
    int first = -1;
    char tried[3 * (MD_ID_MAX + 40)] = "";
    for (int i = 0; i < 3; i++) {
        if (!l->ids[i][0])
            continue;
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s %s%s", used ? ", " : "", id_names[i],
                 l->ids[i], l->ids_fit[i] ? "" : "...");
        if (!l->ids_fit[i])
            continue;
        md_article a;
        edi_result res = lookup_article(r, i, l->ids[i], &a);
        if (res == EDI_E_NOT_FOUND)
            continue;
        if (res != EDI_OK)
            return res;
        if (first < 0) {
            l->article = a;
            l->have_article = true;
            first = i;
        } else if (strcmp(a.id, l->article.id) != 0) {
            char exp[96], got[96];
            snprintf(exp, sizeof exp, "%s %s: article %s", id_names[first], l->ids[first],
                     l->article.id);
            snprintf(got, sizeof got, "%s %s: article %s", id_names[i], l->ids[i], a.id);
            res = add(r, OC_ARTICLE_CONFLICT, l->number, exp, got,
                      "Line %s: the %s %s is our article %s (%s) but the %s %s is our article "
                      "%s (%s). The order is held until the seller's staff decide which article "
                      "is meant and correct the line or the master data; customer: please check "
                      "the article numbers of this line.",
                      l->number, id_names[first], l->ids[first], l->article.id,
                      l->article.name, id_names[i], l->ids[i], a.id, a.name);
            if (res != EDI_OK)
                return res;
        }
    }
    if (first >= 0)
        return EDI_OK;
    if (!tried[0])
        return add(r, OC_ARTICLE_UNKNOWN, l->number, "a GTIN, supplier or buyer article number",
                   "none",
                   "Line %s names no article: it has no GTIN, no supplier article number and "
                   "no buyer article number. The order is held; the seller's staff can add "
                   "the article or reject the line. Customer: send every line with an article "
                   "number.", l->number);
    return add(r, OC_ARTICLE_UNKNOWN, l->number, "an article in master data", tried,
               "Line %s: no article was found for %s. The order is held until the seller's "
               "staff add the number to the article (or the buyer article number to the "
               "customer's contract) and reprocess it, or reject the line. Customer: please "
               "check the article number.", l->number, tried);
}

/* The quantity of the line in *q (*ok false when there is none usable, with a finding). */
static edi_result read_quantity(run *r, const line_ctx *l, xmlNodePtr qn, decimal *q, bool *ok)
{
    char text[DECIMAL_TEXT_MAX + 8], inner[160] = "";
    *ok = false;
    bool fits = node_text(qn, text, sizeof text);
    if (!text[0])
        return add(r, OC_QUANTITY_MISSING, l->number, "a quantity", "none",
                   "Line %s has no quantity, so we cannot tell how much to deliver. The order "
                   "is not accepted; customer: please send it again with a quantity on every "
                   "line.", l->number);
    if (!fits || decimal_parse(text, q, inner, sizeof inner) != EDI_OK)
        return add(r, OC_VALUE_INVALID, l->number, "a decimal quantity", text,
                   "Line %s: the quantity \"%s\" is not a number we can use (%s). The order is "
                   "not accepted; customer: please send the quantity as a plain decimal "
                   "number.", l->number, text, fits ? inner : "too long");
    if (q->units <= 0)
        return add(r, OC_VALUE_INVALID, l->number, "a quantity above zero", text,
                   "Line %s: the quantity %s is not above zero. The order is not accepted; "
                   "customer: please send only lines with a quantity to deliver.",
                   l->number, text);
    *ok = true;
    return EDI_OK;
}

/* The line's own net price and basis in *price, *basis: *have when one was sent and is
 * usable, *bad when one was sent and is not (with a finding). */
static edi_result read_price(run *r, const line_ctx *l, xmlNodePtr pn, decimal *price,
                             decimal *basis, bool *have, bool *bad)
{
    char text[DECIMAL_TEXT_MAX + 8], btext[DECIMAL_TEXT_MAX + 8], inner[160] = "";
    *have = false;
    bool fits = node_text(pn, text, sizeof text);
    *bad = text[0] != '\0';
    if (!text[0])
        return EDI_OK;
    attr_text(pn, "basisQuantity", btext, sizeof btext);
    if (!fits || decimal_parse(text, price, inner, sizeof inner) != EDI_OK || price->units < 0)
        return add(r, OC_VALUE_INVALID, l->number, "a price of zero or more", text,
                   "Line %s: the price \"%s\" is not a price we can use%s%s%s. The order is not "
                   "accepted; customer: please send the net price as a plain decimal number.",
                   l->number, text, inner[0] ? " (" : "", inner, inner[0] ? ")" : "");
    *basis = DECIMAL_ONE;
    if (btext[0] && (decimal_parse(btext, basis, inner, sizeof inner) != EDI_OK ||
                     basis->units <= 0))
        return add(r, OC_VALUE_INVALID, l->number, "a price basis above zero", btext,
                   "Line %s: the price basis quantity \"%s\" is not a quantity above zero. The "
                   "order is not accepted; customer: please send the quantity the price is "
                   "for (e.g. 100 for a price per 100 units), or none for a price per unit.",
                   l->number, btext);
    *have = true;
    *bad = false;
    return EDI_OK;
}

/* Unit, minimum and step quantity of a known article; *unit may be filled in with the
 * article's base unit, and *q becomes the proposed quantity when the options make a quantity
 * finding an amend. */
static edi_result check_quantity(run *r, const line_ctx *l, decimal *q, char *unit,
                                 size_t unit_n)
{
    const md_article *a = &l->article;
    char qt[DECIMAL_TEXT_MAX];
    fmt(*q, qt, sizeof qt);
    edi_result res;
    if (a->units[0]) {
        char base[8];
        md_article_base_unit(a, base, sizeof base);
        if (!unit[0]) {
            copy_text(unit, unit_n, base);
            res = add_supplying(
                r, ORDER_FIELD_UNIT, base, NULL, OC_UNIT_ASSUMED, l->number, base, "no unit",
                "Line %s: the quantity %s has no unit; the article's unit %s is used, and "
                "the order response will state it.",
                l->number, qt, base);
            if (res != EDI_OK)
                return res;
        } else if (!md_article_allows_unit(a, unit)) {
            return add(r, OC_UNIT_NOT_ALLOWED, l->number, a->units, unit,
                       "Line %s: article %s (%s) is sold in %s, not in %s. The order is not "
                       "accepted; customer: please order this article in %s.",
                       l->number, a->id, a->name, a->units, unit, a->units);
        }
    }
    char what[MD_ID_MAX + 40];
    decimal min, step;
    bool has_min, has_step;
    snprintf(what, sizeof what, "article %s: minimum quantity", a->id);
    res = md_decimal(a->min_quantity, DECIMAL_ONE, what, &min, &has_min, r->why, r->why_n);
    if (res != EDI_OK)
        return res;
    snprintf(what, sizeof what, "article %s: step quantity", a->id);
    res = md_decimal(a->step_quantity, DECIMAL_ONE, what, &step, &has_step, r->why, r->why_n);
    if (res != EDI_OK)
        return res;
    if (has_step && step.units <= 0) {
        edi_say(r->why, r->why_n, "master data: article %s has the step quantity %s, which is "
                "not above zero; correct the article record", a->id, a->step_quantity);
        return EDI_E_ARG;
    }
    bool below = has_min && decimal_cmp(*q, min) < 0, multiple = true;
    if (has_step && is_multiple(*q, step, &multiple) != EDI_OK)
        return limit_error(r, "a quantity");
    if (!below && multiple)
        return EDI_OK;
    decimal prop;
    if (proposal(*q, min, has_min, step, has_step, &prop) != EDI_OK)
        return limit_error(r, "a quantity");
    char pt[DECIMAL_TEXT_MAX], found[96], expected[96];
    fmt(prop, pt, sizeof pt);
    snprintf(found, sizeof found, "%s%s%s", qt, unit[0] ? " " : "", unit);
    if (below) {
        snprintf(expected, sizeof expected, "at least %s", a->min_quantity);
        res = add_supplying(
            r, ORDER_FIELD_QUANTITY, pt, NULL, OC_BELOW_MINIMUM, l->number, expected, found,
            "Line %s: %s%s%s of article %s (%s) is below its minimum order quantity %s. "
            "The order is held; the seller's staff can amend the line to %s or reject "
            "it. Customer: please order at least %s.",
            l->number, qt, unit[0] ? " " : "", unit, a->id, a->name, a->min_quantity, pt,
            a->min_quantity);
        if (res != EDI_OK)
            return res;
    }
    if (!multiple) {
        snprintf(expected, sizeof expected, "a multiple of %s", a->step_quantity);
        res = add_supplying(
            r, ORDER_FIELD_QUANTITY, pt, NULL, OC_NOT_STEP_MULTIPLE, l->number, expected, found,
            "Line %s: %s%s%s of article %s (%s) is not a multiple of its step quantity "
            "%s (the pack or cut size). The order is held; the seller's staff can amend "
            "the line to %s or reject it. Customer: please order in multiples of %s.",
            l->number, qt, unit[0] ? " " : "", unit, a->id, a->name, a->step_quantity, pt,
            a->step_quantity);
    }
    if (res == EDI_OK && ((below && action_for(r, OC_BELOW_MINIMUM) == ORDER_ACTION_AMEND) ||
                          (!multiple && action_for(r, OC_NOT_STEP_MULTIPLE) ==
                                            ORDER_ACTION_AMEND)))
        *q = prop;
    return res;
}

/* The contract price that applies to the line, if any. */
typedef struct {
    bool usable;                   /* found, valid on the order date, in the order currency */
    decimal price, basis, tolerance;
    char tolerance_text[DECIMAL_TEXT_MAX];
} contract_price;

static edi_result check_contract(run *r, const line_ctx *l, const char *date,
                                 const char *currency, contract_price *cp)
{
    const md_article *a = &l->article;
    md_contract c;
    *cp = (contract_price){ 0 };
    edi_result res = r->md->contract(r->md->ctx, r->customer_id, a->id, date, &c, r->why,
                                     r->why_n);
    if (res == EDI_E_NOT_FOUND)
        return add(r, OC_NO_CONTRACT, l->number, "a contract", "none",
                   "Line %s: customer %s has no contract for article %s (%s), so there is no "
                   "agreed price. The order is held until the seller's staff set the price or "
                   "add a contract.", l->number, r->customer.id, a->id, a->name);
    if (res != EDI_OK)
        return res;
    char what[2 * MD_ID_MAX + 64];
    snprintf(what, sizeof what, "contract of customer %s for article %s", r->customer.id, a->id);
    if ((c.valid_from[0] && !iso_date(c.valid_from)) || (c.valid_to[0] && !iso_date(c.valid_to))) {
        edi_say(r->why, r->why_n, "master data: the %s has the validity \"%s\" to \"%s\", which "
                "are not ISO dates (YYYY-MM-DD); correct the contract record", what,
                c.valid_from, c.valid_to);
        return EDI_E_ARG;
    }
    char field[sizeof what + 32];
    snprintf(field, sizeof field, "%s: price", what);
    if ((res = md_decimal(c.price, DECIMAL_ONE, field, &cp->price, NULL, r->why, r->why_n)) !=
        EDI_OK)
        return res;
    if (!c.price[0]) {
        edi_say(r->why, r->why_n, "master data: the %s has no price; correct the contract "
                "record", what);
        return EDI_E_ARG;
    }
    snprintf(field, sizeof field, "%s: price basis", what);
    if ((res = md_decimal(c.price_basis, DECIMAL_ONE, field, &cp->basis, NULL, r->why,
                          r->why_n)) != EDI_OK)
        return res;
    snprintf(field, sizeof field, "%s: tolerance", what);
    if ((res = md_decimal(c.tolerance_percent, (decimal){ 0, 0 }, field, &cp->tolerance, NULL,
                          r->why, r->why_n)) != EDI_OK)
        return res;
    if (cp->basis.units <= 0 || cp->price.units < 0 || cp->tolerance.units < 0) {
        edi_say(r->why, r->why_n, "master data: the %s has a negative price or tolerance or a "
                "price basis that is not above zero; correct the contract record", what);
        return EDI_E_ARG;
    }
    fmt(cp->tolerance, cp->tolerance_text, sizeof cp->tolerance_text);

    char date10[MD_DATE_MAX];
    copy_text(date10, sizeof date10, date);
    if (c.valid_to[0] && strncmp(c.valid_to, date10, 10) < 0)
        return add(r, OC_CONTRACT_EXPIRED, l->number, c.valid_to, date10,
                   "Line %s: the contract for article %s (%s) ended on %s, before the order "
                   "date %s. The order is held until the seller's staff renew the contract or "
                   "confirm a price.", l->number, a->id, a->name, c.valid_to, date10);
    if (c.valid_from[0] && strncmp(c.valid_from, date10, 10) > 0)
        return add(r, OC_CONTRACT_NOT_YET_VALID, l->number, c.valid_from, date10,
                   "Line %s: the contract for article %s (%s) starts on %s, after the order "
                   "date %s. The order is held until the seller's staff confirm a price.",
                   l->number, a->id, a->name, c.valid_from, date10);
    if (c.currency[0] && strcmp(c.currency, currency) != 0)
        return add(r, OC_CONTRACT_CURRENCY, l->number, c.currency, currency,
                   "Line %s: the contract price for article %s (%s) is in %s but the order is in "
                   "%s, so the prices cannot be compared. The order is held until the seller's "
                   "staff confirm a price in %s.", l->number, a->id, a->name, c.currency,
                   currency, currency);
    cp->usable = true;
    return EDI_OK;
}

/* The order price against the contract price, unit price against unit price, exactly:
 * p_o / b_o and p_c / b_c are compared as p_o x b_c and p_c x b_o, so that 3.95 per 100
 * equals 0.0395 per 1. The deviation is allowed when |X - Y| x 100 <= tolerance x Y. */
static edi_result compare_price(run *r, const line_ctx *l, decimal po, decimal bo,
                                const contract_price *cp, const char *currency,
                                const char *unit)
{
    decimal x, y, d, lhs, rhs;
    if (mul(po, cp->basis, &x) != EDI_OK || mul(cp->price, bo, &y) != EDI_OK ||
        decimal_sub(x, y, &d) != EDI_OK)
        return limit_error(r, "a price");
    if (d.units == 0)
        return EDI_OK;
    if (d.units < 0)
        d.units = -d.units;
    if (decimal_muldiv(d, (decimal){ 100, 0 }, DECIMAL_ONE, d.scale, &lhs) != EDI_OK ||
        mul(cp->tolerance, y, &rhs) != EDI_OK)
        return limit_error(r, "a price");
    bool within = decimal_cmp(lhs, rhs) <= 0;
    char exp[96], got[96], pct[DECIMAL_TEXT_MAX + 2] = "", pt[DECIMAL_TEXT_MAX],
        bt[DECIMAL_TEXT_MAX];
    price_text(exp, sizeof exp, cp->price, cp->basis, currency, unit);
    fmt(cp->price, pt, sizeof pt);
    fmt(cp->basis, bt, sizeof bt);
    price_text(got, sizeof got, po, bo, currency, unit);
    decimal dev;
    decimal_sub(x, y, &d);
    if (!is_zero(y) && decimal_muldiv(d, (decimal){ 100, 0 }, y, 2, &dev) == EDI_OK)
        fmt(dev, pct, sizeof pct);
    else
        copy_text(pct, sizeof pct, "an unbounded");
    if (within)
        return add_supplying(
            r, ORDER_FIELD_PRICE, pt, bt, OC_PRICE_WITHIN_TOLERANCE, l->number, exp, got,
            "Line %s: the order price %s differs from the contract price %s by %s %%, "
            "within the allowed %s %%; the order is priced at the contract price.",
            l->number, got, exp, pct, cp->tolerance_text);
    return add_supplying(
        r, ORDER_FIELD_PRICE, pt, bt, OC_PRICE_DIFFERS, l->number, exp, got,
        "Line %s: the order price %s differs from the contract price %s by %s %%, more "
        "than the allowed %s %%. The order is held until the seller's staff confirm a "
        "price; customer: the contract price applies unless the seller agrees "
        "otherwise.",
        l->number, got, exp, pct, cp->tolerance_text);
}

/* Every check of one line, and its amount added to *sum (*complete cleared when the line
 * cannot be priced). */
static edi_result check_line(run *r, xmlNodePtr line, const char *date, decimal *sum,
                             bool *complete)
{
    static const char *const id_elements[3] = { "gtin", "supplierArticle", "buyerArticle" };
    line_ctx l = { 0 };
    node_text(child(line, "number"), l.number, sizeof l.number);
    for (int i = 0; i < 3; i++)
        l.ids_fit[i] = node_text(child(line, id_elements[i]), l.ids[i], sizeof l.ids[i]);

    edi_result res = identify(r, &l);
    if (res != EDI_OK)
        return res;

    xmlNodePtr qn = child(line, "quantity");
    char unit[8];
    attr_text(qn, "unit", unit, sizeof unit);
    decimal q;
    bool have_q;
    if ((res = read_quantity(r, &l, qn, &q, &have_q)) != EDI_OK)
        return res;
    if (l.have_article && have_q && (res = check_quantity(r, &l, &q, unit, sizeof unit)) != EDI_OK)
        return res;

    decimal po = { 0, 0 }, bo = DECIMAL_ONE;
    bool have_p, bad_p;
    if ((res = read_price(r, &l, child(line, "netPrice"), &po, &bo, &have_p, &bad_p)) != EDI_OK)
        return res;

    const char *currency = r->out->currency;
    contract_price cp = { 0 };
    if (l.have_article && (res = check_contract(r, &l, date, currency, &cp)) != EDI_OK)
        return res;

    decimal price = po, basis = bo;
    if (bad_p) {
        /* The customer must correct the price; nothing is compared or filled in. */
        *complete = false;
        return EDI_OK;
    }
    if (cp.usable) {
        price = cp.price;
        basis = cp.basis;
        if (have_p) {
            res = compare_price(r, &l, po, bo, &cp, currency, unit);
        } else {
            char exp[96], pt[DECIMAL_TEXT_MAX], bt[DECIMAL_TEXT_MAX];
            price_text(exp, sizeof exp, cp.price, cp.basis, currency, unit);
            fmt(cp.price, pt, sizeof pt);
            fmt(cp.basis, bt, sizeof bt);
            res = add_supplying(
                r, ORDER_FIELD_PRICE, pt, bt, OC_PRICE_ADDED, l.number, exp, "no price",
                "Line %s has no price; the contract price %s is used, and the order "
                "response will state it.",
                l.number, exp);
        }
        if (res != EDI_OK)
            return res;
    } else if (!have_p) {
        if (l.have_article) {
            res = add(r, OC_PRICE_MISSING, l.number, "a price", "none",
                      "Line %s has no price and there is no valid contract price for article %s "
                      "(%s). The order is held until the seller's staff set a price; the line "
                      "is not counted in the order amount until then.", l.number,
                      l.article.id, l.article.name);
            if (res != EDI_OK)
                return res;
        }
        *complete = false;
        return EDI_OK;
    }
    if (!have_q) {
        *complete = false;
        return EDI_OK;
    }
    decimal amount;
    if (decimal_muldiv(q, price, basis, AMOUNT_DECIMALS, &amount) != EDI_OK ||
        decimal_add(*sum, amount, sum) != EDI_OK)
        return limit_error(r, "a line amount");
    return EDI_OK;
}

/* ---- the order ----------------------------------------------------------------------- */

static void today_utc(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || strftime(buf, n, "%Y-%m-%d", &tm) == 0)
        copy_text(buf, n, "1970-01-01");
}

/* The order's document date, else the option's, else today. */
static edi_result order_date(run *r, xmlNodePtr root)
{
    char *d = r->out->order_date;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (!is_canonical(c, "date"))
            continue;
        char role[32], text[64];
        attr_text(c, "role", role, sizeof role);
        if (strcmp(role, "document") != 0)
            continue;
        node_text(c, text, sizeof text);
        if (strlen(text) >= 10 && iso_date(text)) {
            copy_text(d, MD_DATE_MAX, text);
            return EDI_OK;
        }
        edi_result res = add(r, OC_VALUE_INVALID, "", "an ISO date", text,
                             "Order %s: the order date \"%s\" is not a date; today's date is "
                             "used for the contract checks. Customer: please send the order "
                             "date as a calendar date.", r->out->order_number, text);
        if (res != EDI_OK)
            return res;
        break;
    }
    const char *today = r->opt ? r->opt->today : NULL;
    if (today && *today) {
        if (strlen(today) < 10 || !iso_date(today)) {
            edi_say(r->why, r->why_n, "the option today \"%s\" is not an ISO date (YYYY-MM-DD)",
                    today);
            return EDI_E_ARG;
        }
        copy_text(d, MD_DATE_MAX, today);
    } else {
        today_utc(d, MD_DATE_MAX);
    }
    return EDI_OK;
}

/* Customer known and not blocked; *go false when the checks end here. */
static edi_result check_customer(run *r, bool *go)
{
    const char *num = r->out->order_number;
    *go = false;
    if (!r->customer_id || !*r->customer_id)
        return add(r, OC_CUSTOMER_UNKNOWN, "", "a customer", "none",
                   "Order %s: the sending partner is not assigned to a customer, so the order "
                   "cannot be checked or taken. Support: set the customer in the partner's "
                   "profile and reprocess the message.", num);
    edi_result res = r->md->customer(r->md->ctx, r->customer_id, &r->customer, r->why,
                                     r->why_n);
    if (res == EDI_E_NOT_FOUND)
        return add(r, OC_CUSTOMER_UNKNOWN, "", "a customer in master data", r->customer_id,
                   "Order %s: the customer %s is not in our master data, so the order cannot "
                   "be taken. Support: check the customer the sending partner belongs to and "
                   "that its record exists, then reprocess the message.", num, r->customer_id);
    if (res != EDI_OK)
        return res;
    if (r->customer.blocked) {
        res = add(r, OC_CUSTOMER_BLOCKED, "", "not blocked", "blocked",
                  "Order %s: the customer %s (%s) is blocked for orders, so the order is not "
                  "accepted. Customer: please contact our sales office; support: the block is "
                  "lifted in the customer's master data, after which the message can be "
                  "reprocessed.", num, r->customer.id, r->customer.name);
        if (res != EDI_OK || action_for(r, OC_CUSTOMER_BLOCKED) == ORDER_ACTION_REJECT)
            return res;
    }
    *go = true;
    return EDI_OK;
}

static edi_result check_currency(run *r, xmlNodePtr root)
{
    char sent[16];
    node_text(child(root, "currency"), sent, sizeof sent);
    const char *own = r->customer.currency;
    if (sent[0]) {
        copy_text(r->out->currency, sizeof r->out->currency, sent);
        if (own[0] && strcmp(sent, own) != 0)
            return add(r, OC_CURRENCY_MISMATCH, "", own, sent,
                       "Order %s is in %s but the customer's prices and credit are in %s, so "
                       "the order is not accepted. Customer: please send the order in %s.",
                       r->out->order_number, sent, own, own);
        return EDI_OK;
    }
    copy_text(r->out->currency, sizeof r->out->currency, own);
    if (!own[0])
        return EDI_OK;
    return add_supplying(
        r, ORDER_FIELD_CURRENCY, own, NULL, OC_CURRENCY_ASSUMED, "", own, "no currency",
        "Order %s names no currency; the customer's currency %s is used, and the order "
        "response will state it.",
        r->out->order_number, own);
}

static edi_result check_duplicate(run *r, bool number_fits)
{
    if (!r->out->order_number[0] || !number_fits)
        return EDI_OK;
    bool seen = false;
    edi_result res = r->md->order_number_seen(r->md->ctx, r->customer_id, r->out->order_number,
                                              &seen, r->why, r->why_n);
    if (res != EDI_OK || !seen)
        return res;
    return add(r, OC_DUPLICATE_ORDER_NUMBER, "", "a new order number", r->out->order_number,
               "Order number %s was already used by an earlier order of customer %s; the order "
               "is not taken a second time. Customer: please give every new order its own "
               "number; to change the earlier order, send an order change instead.",
               r->out->order_number, r->customer.id);
}

static edi_result check_credit(run *r)
{
    const md_customer *c = &r->customer;
    decimal limit, exposure, total, over;
    bool has_limit;
    char what[MD_ID_MAX + 40];
    snprintf(what, sizeof what, "customer %s: credit limit", c->id);
    edi_result res = md_decimal(c->credit_limit, DECIMAL_ONE, what, &limit, &has_limit, r->why,
                                r->why_n);
    if (res != EDI_OK || !has_limit)
        return res;
    char text[DECIMAL_TEXT_MAX + 8] = "";
    if ((res = r->md->open_exposure(r->md->ctx, c->id, text, sizeof text, r->why, r->why_n)) !=
        EDI_OK)
        return res;
    snprintf(what, sizeof what, "customer %s: open exposure", c->id);
    if ((res = md_decimal(text, (decimal){ 0, 0 }, what, &exposure, NULL, r->why, r->why_n)) !=
        EDI_OK)
        return res;
    if (decimal_add(exposure, r->out->amount, &total) != EDI_OK ||
        decimal_sub(total, limit, &over) != EDI_OK)
        return limit_error(r, "the credit exposure");
    if (over.units <= 0)
        return EDI_OK;
    char lt[DECIMAL_TEXT_MAX], et[DECIMAL_TEXT_MAX], at[DECIMAL_TEXT_MAX], tt[DECIMAL_TEXT_MAX],
        ot[DECIMAL_TEXT_MAX], exp[96], got[96];
    fmt(limit, lt, sizeof lt);
    fmt(exposure, et, sizeof et);
    fmt(r->out->amount, at, sizeof at);
    fmt(total, tt, sizeof tt);
    fmt(over, ot, sizeof ot);
    const char *cur = r->out->currency;
    snprintf(exp, sizeof exp, "at most %s %s", lt, cur);
    snprintf(got, sizeof got, "%s %s", tt, cur);
    return add(r, OC_CREDIT_LIMIT_EXCEEDED, "", exp, got,
               "Order %s: the open orders and invoices of customer %s (%s %s) and this order "
               "(%s %s) make %s %s, %s %s above the credit limit of %s %s. The order is held "
               "for the seller's credit staff, who release or reject it.",
               r->out->order_number, c->id, et, cur, at, cur, tt, cur, ot, cur, lt, cur);
}

edi_result order_checks_run(xmlDocPtr canonical_order, const char *customer_id,
                            const md_lookup *md, const order_check_options *opt,
                            order_check_result *out, char *why, size_t why_n)
{
    if (!out || !md_lookup_complete(md)) {
        edi_say(why, why_n, "order checks: %s", out ? "a master data lookup is missing"
                                                    : "no result to fill");
        return EDI_E_ARG;
    }
    order_check_result_free(out);
    xmlNodePtr root = canonical_order ? xmlDocGetRootElement(canonical_order) : NULL;
    if (!is_canonical(root, "order")) {
        edi_say(why, why_n, "order checks: the document is not a canonical order (root %s)",
                root ? (const char *)root->name : "missing");
        return EDI_E_ARG;
    }
    run r = { .md = md, .opt = opt, .out = out, .customer_id = customer_id, .why = why,
              .why_n = why_n };
    out->amount = (decimal){ 0, AMOUNT_DECIMALS };
    out->reserve = out->amount;
    out->amount_complete = true;
    bool number_fits = node_text(child(root, "number"), out->order_number,
                                 sizeof out->order_number);

    bool go;
    edi_result res = EDI_OK;
    if (!number_fits)
        res = add(&r, OC_VALUE_INVALID, "", "an order number of at most 255 bytes",
                  out->order_number,
                  "The order number beginning \"%.40s\" is longer than 255 bytes; the order is "
                  "not accepted. Customer: please send a shorter order number.",
                  out->order_number);
    if (res == EDI_OK)
        res = order_date(&r, root);
    if (res == EDI_OK)
        res = check_customer(&r, &go);
    if (res == EDI_OK && go)
        res = check_duplicate(&r, number_fits);
    if (res == EDI_OK && go)
        res = check_currency(&r, root);
    size_t lines = 0;
    for (xmlNodePtr c = root->children; res == EDI_OK && go && c; c = c->next)
        if (is_canonical(c, "line")) {
            lines++;
            res = check_line(&r, c, out->order_date, &out->amount, &out->amount_complete);
        }
    if (res == EDI_OK && go && lines == 0) {
        out->amount_complete = false;
        res = add(&r, OC_NO_LINES, "", "at least one line", "none",
                  "Order %s has no lines, so there is nothing to deliver. Customer: please send "
                  "the order with its lines.", out->order_number);
    }
    /* Amounts in another currency than the credit limit's cannot be added to it. */
    bool same_currency = !r.customer.currency[0] ||
                         strcmp(out->currency, r.customer.currency) == 0;
    if (res == EDI_OK && go && same_currency)
        res = check_credit(&r);
    if (res != EDI_OK)
        return res;
    if (!go)
        out->amount_complete = false;
    out->reserve = out->outcome == ORDER_ACTION_REJECT ? (decimal){ 0, AMOUNT_DECIMALS }
                                                       : out->amount;
    return EDI_OK;
}

edi_result order_check_to_doc_findings(const order_check_result *r, doc_findings *f)
{
    for (size_t i = 0; r && i < r->count; i++) {
        const order_finding *o = &r->items[i];
        char where[sizeof o->line + 8];
        if (o->line[0])
            snprintf(where, sizeof where, "line %s", o->line);
        else
            snprintf(where, sizeof where, "order");
        doc_severity sev = o->action >= ORDER_ACTION_HOLD ? DOC_ERROR : DOC_WARNING;
        edi_result res = doc_findings_add(f, sev, order_check_reason_id(o->reason), 0, where,
                                          "%s: %s", order_action_name(o->action), o->text);
        if (res != EDI_OK)
            return res;
    }
    return EDI_OK;
}
