/* canonical_totals.c: missing allowance amounts, line amounts and totals of canonical orders,
 * order responses and despatch advices (canonical_totals.h). */
#include "canonical_totals.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "mapping.h"

/* Line amounts are money: 2 decimals, as EN 16931 rounds BT-131. */
#define LINE_AMOUNT_DECIMALS 2

static bool is_canonical(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, MAPPING_CANONICAL_NS) &&
           !strcmp((const char *)n->name, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is_canonical(c, name))
            return c;
    return NULL;
}

/* Appends one sentence and a newline to the caller's warnings, as far as they hold it. */
__attribute__((format(printf, 3, 4)))
static void warn(char *w, size_t n, const char *fmt, ...)
{
    if (!w || n == 0)
        return;
    size_t used = strnlen(w, n);
    if (used + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(w + used, n - used, fmt, ap);
    va_end(ap);
    if (k >= 0 && used + (size_t)k + 1 < n)
        strcat(w + used, "\n");
}

/* `text` as a decimal; false (and a warning naming `what`) when it is none. */
static bool read_decimal(const char *text, const char *what, decimal *out, char *w, size_t wn)
{
    /* decimal_parse reads a decimal comma for the formats that send one; in a canonical
     * document it means a mapping did not normalise, and the schema refuses it. */
    if (strchr(text, ',')) {
        warn(w, wn, "%s: \"%s\" has a decimal comma; canonical values use a point", what, text);
        return false;
    }
    char why[256] = "";
    if (decimal_parse(text, out, why, sizeof why) == EDI_OK)
        return true;
    warn(w, wn, "%s: %s", what, why);
    return false;
}

/* The element's text as a decimal, as read_decimal. */
static bool element_decimal(xmlNodePtr el, const char *what, decimal *out, char *w, size_t wn)
{
    xmlChar *text = xmlNodeGetContent(el);
    bool ok = read_decimal(text ? (const char *)text : "", what, out, w, wn);
    xmlFree(text);
    return ok;
}

/* Insert `node` into `parent` before its first child named in `followers` (the elements
 * the schema's sequence puts after it), else at the end. */
static void insert_in_sequence(xmlNodePtr parent, xmlNodePtr node, const char *const *followers)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        for (const char *const *f = followers; *f; f++)
            if (is_canonical(c, *f)) {
                xmlAddPrevSibling(c, node);
                return;
            }
    xmlAddChild(parent, node);
}

/* A new element in the canonical namespace holding `text`, marked computed. */
static xmlNodePtr computed_element(xmlNodePtr parent, const char *name, const char *text,
                                   const char *const *followers)
{
    xmlNodePtr el = xmlNewDocRawNode(parent->doc, parent->ns, BAD_CAST name, BAD_CAST text);
    if (!el)
        return NULL;
    if (!xmlSetProp(el, BAD_CAST "computed", BAD_CAST "true")) {
        xmlFreeNode(el);
        return NULL;
    }
    insert_in_sequence(parent, el, followers);
    return el;
}

/* What follows lineAmount in a Line, lineCount and lineAmountTotal in Totals, totals in a
 * document (canonical.xsd). */
static const char *const after_line_amount[] = {
    "tax", "allowanceCharge", "date", "reference", "text", "extension", NULL,
};
static const char *const after_line_count[] = {
    "lineAmountTotal", "allowanceTotal", "chargeTotal", "taxBasisTotal", "taxTotal",
    "grandTotal", "payableAmount", NULL,
};
static const char *const after_line_amount_total[] = {
    "allowanceTotal", "chargeTotal", "taxBasisTotal", "taxTotal", "grandTotal",
    "payableAmount", NULL,
};
static const char *const after_totals[] = { "extension", NULL };

typedef struct {
    char *w;
    size_t wn;
    size_t lines;
    bool all_amounts;     /* every line so far has an amount (sent or computed) */
    bool sum_ok;          /* `sum` holds their exact sum */
    decimal sum;
} walk;

/* What follows amount in an AllowanceCharge (canonical.xsd). */
static const char *const after_allowance_amount[] = { "tax", NULL };

#define HUNDRED ((decimal){ .units = 100, .scale = 0 })

/* One line while it is completed: its label for warnings and its gross amount
 * (quantity x netPrice / basis, rounded to 2 decimals), worked out once when first needed. */
typedef struct {
    xmlNodePtr line;
    char label[96];
    int gross_state;      /* 0 not tried yet, 1 in `gross`, -1 cannot be computed */
    decimal gross;
} line_ctx;

/* quantity x netPrice / basis of the line, rounded to 2 decimals; false when it cannot be
 * computed (the reason is a warning unless it is simply that a value was not sent). */
static bool gross_amount(line_ctx *l, walk *s, decimal *out)
{
    if (l->gross_state == 0) {
        l->gross_state = -1;
        xmlNodePtr qty = child(l->line, "quantity"), price = child(l->line, "netPrice");
        if (!qty || !price)
            return false;
        char what[192];
        decimal q, p, basis = DECIMAL_ONE;
        snprintf(what, sizeof what, "line %s: quantity", l->label);
        if (!element_decimal(qty, what, &q, s->w, s->wn))
            return false;
        snprintf(what, sizeof what, "line %s: netPrice", l->label);
        if (!element_decimal(price, what, &p, s->w, s->wn))
            return false;
        xmlChar *b = xmlGetProp(price, BAD_CAST "basisQuantity");
        bool ok = true;
        if (b) {
            snprintf(what, sizeof what, "line %s: netPrice/@basisQuantity", l->label);
            ok = read_decimal((const char *)b, what, &basis, s->w, s->wn);
            xmlFree(b);
        }
        if (!ok)
            return false;
        switch (decimal_muldiv(q, p, basis, LINE_AMOUNT_DECIMALS, &l->gross)) {
        case EDI_OK:
            l->gross_state = 1;
            break;
        case EDI_E_ARG:
            warn(s->w, s->wn, "line %s: the price basis is zero; its amount is not computed",
                 l->label);
            return false;
        default:
            warn(s->w, s->wn, "line %s: quantity x price is too large to compute its amount",
                 l->label);
            return false;
        }
    }
    *out = l->gross;
    return l->gross_state == 1;
}

/* The amount of one line allowance or charge (`name` is "allowance 1", "charge 2", ...):
 * as sent, or basis x percent / 100 rounded half-up to 2 decimals (basis: its basisAmount,
 * else the line's gross amount), written marked computed. *have is false when it has none
 * and none can be computed. EDI_E_NOMEM when the computed amount cannot be written. */
static edi_result allowance_amount(xmlNodePtr ac, const char *name, bool charge, line_ctx *l,
                                   walk *s, decimal *out, bool *have)
{
    *have = false;
    char what[224];
    xmlNodePtr sent = child(ac, "amount");
    if (sent) {
        snprintf(what, sizeof what, "line %s: %s: amount", l->label, name);
        *have = element_decimal(sent, what, out, s->w, s->wn);
        if (*have && out->units < 0) {
            xmlChar *t = xmlNodeGetContent(sent);
            warn(s->w, s->wn, "line %s: %s has the negative amount %s, which %s the line amount; "
                 "it is used as sent, but a sender who means %s should send %s with a "
                 "positive amount", l->label, name, t ? (const char *)t : "",
                 charge ? "lowers" : "raises", charge ? "an allowance" : "a charge",
                 charge ? "an allowance" : "a charge");
            xmlFree(t);
        }
        return EDI_OK;
    }
    xmlNodePtr pct = child(ac, "percent"), base = child(ac, "basisAmount");
    if (!pct) {
        if (!child(l->line, "lineAmount"))
            warn(s->w, s->wn, "line %s: %s has neither an amount nor a percent; the line "
                 "amount is not computed", l->label, name);
        return EDI_OK;
    }
    decimal percent, basis;
    snprintf(what, sizeof what, "line %s: %s: percent", l->label, name);
    if (!element_decimal(pct, what, &percent, s->w, s->wn))
        return EDI_OK;
    if (base) {
        snprintf(what, sizeof what, "line %s: %s: basisAmount", l->label, name);
        if (!element_decimal(base, what, &basis, s->w, s->wn))
            return EDI_OK;
    } else if (!gross_amount(l, s, &basis)) {
        return EDI_OK;
    }
    if (decimal_muldiv(basis, percent, HUNDRED, LINE_AMOUNT_DECIMALS, out) != EDI_OK) {
        warn(s->w, s->wn, "line %s: %s: basis x percent is too large to compute", l->label, name);
        return EDI_OK;
    }
    char text[DECIMAL_TEXT_MAX];
    if (decimal_format(*out, text, sizeof text) != EDI_OK ||
        !computed_element(ac, "amount", text, after_allowance_amount))
        return EDI_E_NOMEM;
    *have = true;
    return EDI_OK;
}

static edi_result visit_line(xmlNodePtr line, walk *s)
{
    s->lines++;
    line_ctx l = { .line = line };
    xmlNodePtr num = child(line, "number");
    xmlChar *n = num ? xmlNodeGetContent(num) : NULL;
    if (n)
        snprintf(l.label, sizeof l.label, "%s", (const char *)n);
    else
        snprintf(l.label, sizeof l.label, "#%zu", s->lines);
    xmlFree(n);

    /* Line allowances and charges: their amounts, and what they add to the gross amount. */
    decimal adjust = { .units = 0, .scale = 0 };
    bool adjust_ok = true;
    size_t allowances = 0, charges = 0;
    for (xmlNodePtr c = line->children; c; c = c->next) {
        if (!is_canonical(c, "allowanceCharge"))
            continue;
        xmlChar *kind = xmlGetProp(c, BAD_CAST "kind");
        bool charge = kind && !strcmp((const char *)kind, "charge");
        xmlFree(kind);
        char name[48];
        snprintf(name, sizeof name, "%s %zu", charge ? "charge" : "allowance",
                 charge ? ++charges : ++allowances);
        decimal a;
        bool have;
        if (allowance_amount(c, name, charge, &l, s, &a, &have) != EDI_OK)
            return EDI_E_NOMEM;
        if (!have || !adjust_ok) {
            adjust_ok = false;
            continue;
        }
        if ((charge ? decimal_add(adjust, a, &adjust) : decimal_sub(adjust, a, &adjust)) != EDI_OK) {
            warn(s->w, s->wn, "line %s: its allowances and charges add up to more than can be "
                 "computed", l.label);
            adjust_ok = false;
        }
    }

    decimal amount;
    xmlNodePtr sent = child(line, "lineAmount");
    char what[160];
    snprintf(what, sizeof what, "line %s: lineAmount", l.label);
    bool have;
    if (sent) {
        have = element_decimal(sent, what, &amount, s->w, s->wn);
    } else {
        decimal gross;
        have = adjust_ok && gross_amount(&l, s, &gross) &&
               decimal_add(gross, adjust, &amount) == EDI_OK &&
               /* an allowance sent with more than 2 decimals: the amount is money again */
               decimal_muldiv(amount, DECIMAL_ONE, DECIMAL_ONE, LINE_AMOUNT_DECIMALS,
                              &amount) == EDI_OK;
        if (have) {
            char text[DECIMAL_TEXT_MAX];
            if (decimal_format(amount, text, sizeof text) != EDI_OK ||
                !computed_element(line, "lineAmount", text, after_line_amount))
                return EDI_E_NOMEM;
        }
    }
    if (!have) {
        s->all_amounts = false;
        return EDI_OK;
    }
    if (s->sum_ok && decimal_add(s->sum, amount, &s->sum) != EDI_OK) {
        warn(s->w, s->wn, "the line amounts add up to more than can be computed");
        s->sum_ok = false;
    }
    return EDI_OK;
}

/* Check a sent total against the computed one, or write the computed one. */
static edi_result settle_total(xmlNodePtr totals, const char *name, decimal computed,
                               const char *const *followers, walk *s)
{
    char text[DECIMAL_TEXT_MAX];
    if (decimal_format(computed, text, sizeof text) != EDI_OK)
        return EDI_E_ARG;
    xmlNodePtr sent = child(totals, name);
    if (!sent)
        return computed_element(totals, name, text, followers) ? EDI_OK : EDI_E_NOMEM;
    char what[64];
    snprintf(what, sizeof what, "totals: %s", name);
    decimal v;
    if (element_decimal(sent, what, &v, s->w, s->wn) && decimal_cmp(v, computed) != 0) {
        xmlChar *t = xmlNodeGetContent(sent);
        warn(s->w, s->wn, "totals: %s was sent as %s but the lines give %s; the sent value "
             "is kept", name, t ? (const char *)t : "", text);
        xmlFree(t);
    }
    return EDI_OK;
}

edi_result canonical_totals_complete(xmlDocPtr doc, char *warnings, size_t warnings_n,
                                     char *why, size_t why_n)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        edi_say(why, why_n, "there is no document to complete");
        return EDI_E_ARG;
    }
    /* Invoices have their own rules (EN 16931) and their own module. */
    if (!is_canonical(root, "order") && !is_canonical(root, "orderResponse") &&
        !is_canonical(root, "despatchAdvice"))
        return EDI_OK;
    walk s = { .w = warnings, .wn = warnings_n, .all_amounts = true, .sum_ok = true,
               .sum = { .units = 0, .scale = 0 } };
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (is_canonical(c, "line") && visit_line(c, &s) != EDI_OK) {
            edi_say(why, why_n, "out of memory completing the totals");
            return EDI_E_NOMEM;
        }
    }
    xmlNodePtr totals = child(root, "totals");
    if (!totals) {
        totals = xmlNewDocNode(doc, root->ns, BAD_CAST "totals", NULL);
        if (!totals) {
            edi_say(why, why_n, "out of memory completing the totals");
            return EDI_E_NOMEM;
        }
        insert_in_sequence(root, totals, after_totals);
    }
    decimal count = { .units = (int64_t)s.lines, .scale = 0 };
    edi_result r = settle_total(totals, "lineCount", count, after_line_count, &s);
    /* No lines give no total of line amounts to compute, not a total of zero. */
    if (r == EDI_OK && s.lines > 0 && s.all_amounts && s.sum_ok)
        r = settle_total(totals, "lineAmountTotal", s.sum, after_line_amount_total, &s);
    if (r != EDI_OK)
        edi_say(why, why_n, "%s completing the totals", edi_result_str(r));
    return r;
}
