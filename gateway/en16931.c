/* en16931.c: completing a canonical invoice by the EN 16931 calculation rules (en16931.h). */
#include "en16931.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

/* Money is rounded to 2 decimals (EN 16931 BT-131, BT-117, BR-DEC-*). */
#define MONEY_DECIMALS 2

static const decimal ZERO = { .units = 0, .scale = 0 };
static const decimal HUNDRED = { .units = 100, .scale = 0 };
static const decimal ONE = { .units = 1, .scale = 0 };

/* ---- reading helpers ------------------------------------------------------------------ */

bool en16931_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, MAPPING_CANONICAL_NS) &&
           !strcmp((const char *)n->name, name);
}

xmlNodePtr en16931_invoice_root(xmlDocPtr invoice, const doc_findings *out, char *why,
                                size_t why_n)
{
    xmlNodePtr root = invoice ? xmlDocGetRootElement(invoice) : NULL;
    if (en16931_is(root, "invoice") && out)
        return root;
    edi_say(why, why_n, "%s", !out ? "there is no findings list to report into"
            : "the document is not a canonical invoice (root invoice in "
              MAPPING_CANONICAL_NS ")");
    return NULL;
}

xmlNodePtr en16931_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (en16931_is(c, name))
            return c;
    return NULL;
}

xmlNodePtr en16931_next(xmlNodePtr from, const char *name)
{
    for (xmlNodePtr c = from ? from->next : NULL; c; c = c->next)
        if (en16931_is(c, name))
            return c;
    return NULL;
}

bool en16931_text(xmlNodePtr el, const char *attr, char *buf, size_t n)
{
    if (n == 0)
        return false;
    buf[0] = '\0';
    if (!el)
        return false;
    xmlChar *t = attr ? xmlGetProp(el, BAD_CAST attr) : xmlNodeGetContent(el);
    if (!t)
        return false;
    const char *s = (const char *)t;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= n)
        len = n - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    xmlFree(t);
    return len > 0;
}

en16931_read en16931_decimal(xmlNodePtr el, const char *attr, decimal *out,
                             char *why, size_t why_n)
{
    char text[128];
    if (!en16931_text(el, attr, text, sizeof text))
        return EN16931_ABSENT;
    /* decimal_parse also reads a decimal comma; a canonical document never has one. */
    if (strchr(text, ',')) {
        edi_say(why, why_n, "\"%s\" has a decimal comma; canonical values use a point", text);
        return EN16931_NOT_DECIMAL;
    }
    /* Senders write quantities and prices such as "30.00000000000": trailing zeros beyond
     * the 9 decimals decimal.h holds do not change the value, so they are dropped. */
    char *point = strchr(text, '.');
    if (point) {
        size_t len = strlen(text);
        while (len > (size_t)(point - text) + 1 + DECIMAL_MAX_SCALE && text[len - 1] == '0')
            text[--len] = '\0';
    }
    return decimal_parse(text, out, why, why_n) == EDI_OK ? EN16931_VALUE
                                                          : EN16931_NOT_DECIMAL;
}

void en16931_line_label(xmlNodePtr line, size_t index, char *buf, size_t n)
{
    char number[96];
    if (en16931_text(en16931_child(line, "number"), NULL, number, sizeof number))
        snprintf(buf, n, "line %zu (number %s)", index, number);
    else
        snprintf(buf, n, "line %zu", index);
}

bool en16931_is_vat(xmlNodePtr tax)
{
    char type[16];
    if (!en16931_text(tax, "type", type, sizeof type))
        return true;
    for (char *p = type; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return !strcmp(type, "VAT");
}

xmlNodePtr en16931_vat_of(xmlNodePtr parent)
{
    for (xmlNodePtr t = en16931_child(parent, "tax"); t; t = en16931_next(t, "tax"))
        if (en16931_is_vat(t))
            return t;
    return NULL;
}

xmlNodePtr en16931_party(xmlNodePtr root, const char *role)
{
    char r[32];
    for (xmlNodePtr p = en16931_child(root, "party"); p; p = en16931_next(p, "party"))
        if (en16931_text(p, "role", r, sizeof r) && !strcmp(r, role))
            return p;
    return NULL;
}

decimal en16931_abs(decimal d)
{
    if (d.units < 0)
        d.units = -d.units;
    return d;
}

bool en16931_within(decimal a, decimal b, decimal limit, bool inclusive)
{
    decimal diff;
    if (decimal_sub(a, b, &diff) != EDI_OK)
        return false;
    int k = decimal_cmp(en16931_abs(diff), limit);
    return inclusive ? k <= 0 : k < 0;
}

#define UBL_CAC "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define UBL_CBC "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

static bool is_ns(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

bool en16931_third_party_paid(xmlNodePtr root, decimal *sum)
{
    bool any = false;
    *sum = ZERO;
    for (xmlNodePtr e = en16931_child(root, "extension"); e; e = en16931_next(e, "extension"))
        for (xmlNodePtr p = e->children; p; p = p->next) {
            if (!is_ns(p, UBL_CAC, "PrepaidPayment"))
                continue;
            for (xmlNodePtr a = p->children; a; a = a->next) {
                decimal v;
                char why[128];
                if (is_ns(a, UBL_CBC, "PaidAmount") &&
                    en16931_decimal(a, NULL, &v, why, sizeof why) == EN16931_VALUE &&
                    decimal_add(*sum, v, sum) == EDI_OK)
                    any = true;
            }
        }
    return any;
}

/* ---- writing -------------------------------------------------------------------------- */

/* The content sequences of canonical.xsd that the calculation writes into. */
static const char *const LINE_SEQ[] = {
    "number", "status", "gtin", "supplierArticle", "buyerArticle", "manufacturerArticle",
    "description", "classification", "originCountry", "attribute", "quantity",
    "orderedQuantity", "netPrice", "grossPrice", "lineAmount", "tax", "allowanceCharge",
    "date", "reference", "text", "packageRef", "extension", NULL,
};
static const char *const AC_SEQ[] = { "reason", "percent", "basisAmount", "amount", "tax", NULL };
static const char *const TAX_SEQ[] = {
    "category", "ratePercent", "basisAmount", "amount", "exemptionReason", "exemptionCode", NULL,
};
static const char *const DOC_SEQ[] = {
    "kind", "type", "specification", "process", "number", "date", "currency", "taxCurrency",
    "reference", "text", "paymentTerms", "paymentMeans", "party", "tax", "allowanceCharge",
    "package", "line", "totals", "extension", NULL,
};
static const char *const TOTALS_SEQ[] = {
    "lineCount", "lineAmountTotal", "allowanceTotal", "chargeTotal", "taxBasisTotal",
    "taxTotal", "taxTotalInTaxCurrency", "grandTotal", "prepaidAmount", "roundingAmount",
    "payableAmount", NULL,
};

static int seq_index(const char *const *seq, const char *name)
{
    for (int i = 0; seq[i]; i++)
        if (!strcmp(seq[i], name))
            return i;
    return -1;
}

/* Put `node` into `parent` where the schema's sequence `seq` wants it: after the last of its
 * own kind and before the first child that the sequence puts later. */
static void place(xmlNodePtr parent, xmlNodePtr node, const char *const *seq)
{
    int mine = seq_index(seq, (const char *)node->name);
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href ||
            strcmp((const char *)c->ns->href, MAPPING_CANONICAL_NS))
            continue;
        if (seq_index(seq, (const char *)c->name) > mine) {
            xmlAddPrevSibling(c, node);
            return;
        }
    }
    xmlAddChild(parent, node);
}

/* A new canonical element `name` holding `text` placed into `parent`; marked computed when
 * `computed`. NULL when out of memory. */
static xmlNodePtr add_element(xmlNodePtr parent, const char *name, const char *text,
                              bool computed, const char *const *seq)
{
    xmlNodePtr el = xmlNewDocRawNode(parent->doc, parent->ns, BAD_CAST name,
                                     text ? BAD_CAST text : NULL);
    if (!el)
        return NULL;
    if (computed && !xmlSetProp(el, BAD_CAST "computed", BAD_CAST "true")) {
        xmlFreeNode(el);
        return NULL;
    }
    place(parent, el, seq);
    return el;
}

/* ---- the calculation ------------------------------------------------------------------ */

/* One VAT category and rate of the invoice: what its lines, allowances and charges give. */
typedef struct {
    char category[16];
    bool has_rate;
    decimal rate;
    decimal basis;
    bool matched;     /* a sent breakdown names this group */
} vat_group;

typedef struct {
    xmlNodePtr root;
    doc_findings *out;
    edi_result err;        /* EDI_E_NOMEM once an allocation failed */
    decimal slack;         /* the Peppol tolerance for line and allowance amounts */
    vat_group *groups;
    size_t ngroups, capgroups;
    bool groups_ok;        /* every line, allowance and charge is in a group */
    char groups_why[256];  /* why not, for the finding */
} calc;

__attribute__((format(printf, 5, 6)))
static void note(calc *c, const char *rule, xmlNodePtr at, const char *where, const char *fmt, ...)
{
    char text[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (doc_findings_add(c->out, DOC_WARNING, rule, at ? xmlGetLineNo(at) : 0, where, "%s",
                         text) != EDI_OK)
        c->err = EDI_E_NOMEM;
}

static void fmt_dec(decimal d, char *buf, size_t n)
{
    if (decimal_format(d, buf, n) != EDI_OK)
        snprintf(buf, n, "?");
}

/* The value of `el` (or its attribute); a text that is not a decimal is a warning. */
static en16931_read read_value(calc *c, xmlNodePtr el, const char *attr, const char *where,
                               const char *what, decimal *out)
{
    char why[256] = "";
    en16931_read r = en16931_decimal(el, attr, out, why, sizeof why);
    if (r == EN16931_NOT_DECIMAL)
        note(c, "DECIMAL", el, where, "%s: %s; nothing is computed from it. The mapping or the "
             "sender must write a decimal number with a point.", what, why);
    return r;
}

static bool round_money(decimal v, decimal *out)
{
    return decimal_muldiv(v, DECIMAL_ONE, DECIMAL_ONE, MONEY_DECIMALS, out) == EDI_OK;
}

/* True when the VAT breakdown of category `cat` is per rate (S, and the IGIC/IPSI categories
 * L and M, whose rules BR-S/AF/AG-08 sum per rate; also any category EN 16931 does not name);
 * Z, E, AE, K, G and O have one breakdown per category, whatever rate their items carry
 * (category O has none, its breakdown may say 0). */
static bool per_rate(const char *cat)
{
    static const char *const single[] = { "Z", "E", "AE", "K", "G", "O", NULL };
    for (const char *const *p = single; *p; p++)
        if (!strcmp(*p, cat))
            return false;
    return true;
}

/* The group of category `cat` and rate (when `has_rate`) `rate`; NULL when there is none. */
static vat_group *find_group(calc *c, const char *cat, bool has_rate, decimal rate)
{
    for (size_t i = 0; i < c->ngroups; i++) {
        vat_group *g = &c->groups[i];
        if (strcmp(g->category, cat))
            continue;
        if (!per_rate(cat) ||
            (g->has_rate == has_rate && (!has_rate || decimal_cmp(g->rate, rate) == 0)))
            return g;
    }
    return NULL;
}

/* Add `amount` (negated when `subtract`) to the group of the VAT tax `tax`. */
static void group_add(calc *c, xmlNodePtr tax, decimal amount, bool subtract, const char *where)
{
    if (!c->groups_ok)
        return;
    char cat[16];
    if (!en16931_text(en16931_child(tax, "category"), NULL, cat, sizeof cat)) {
        c->groups_ok = false;
        snprintf(c->groups_why, sizeof c->groups_why, "%s has no VAT category", where);
        return;
    }
    decimal rate = ZERO;
    en16931_read rr = read_value(c, en16931_child(tax, "ratePercent"), NULL, where,
                                 "VAT rate", &rate);
    if (rr == EN16931_NOT_DECIMAL) {
        c->groups_ok = false;
        snprintf(c->groups_why, sizeof c->groups_why, "%s has a VAT rate that is not a number",
                 where);
        return;
    }
    bool has_rate = rr == EN16931_VALUE;
    vat_group *g = find_group(c, cat, has_rate, rate);
    if (!g) {
        if (c->ngroups == c->capgroups) {
            size_t cap = c->capgroups ? c->capgroups * 2 : 4;
            vat_group *ng = realloc(c->groups, cap * sizeof *ng);
            if (!ng) {
                c->err = EDI_E_NOMEM;
                return;
            }
            c->groups = ng;
            c->capgroups = cap;
        }
        g = &c->groups[c->ngroups++];
        memset(g, 0, sizeof *g);
        snprintf(g->category, sizeof g->category, "%s", cat);
        g->has_rate = has_rate;
        g->rate = rate;
        g->basis = ZERO;
    }
    edi_result r = subtract ? decimal_sub(g->basis, amount, &g->basis)
                            : decimal_add(g->basis, amount, &g->basis);
    if (r != EDI_OK) {
        c->groups_ok = false;
        snprintf(c->groups_why, sizeof c->groups_why, "the amounts of VAT category %s are too "
                 "large to add up", cat);
    }
}

/* The amount of one allowance or charge, sent or computed from percent x basis / 100.
 * False when there is none. */
static bool settle_allowance(calc *c, xmlNodePtr ac, const char *where, decimal *amount)
{
    decimal pct, base, want;
    en16931_read rp = read_value(c, en16931_child(ac, "percent"), NULL, where, "percent", &pct);
    en16931_read rb = read_value(c, en16931_child(ac, "basisAmount"), NULL, where,
                                 "basis amount", &base);
    bool can = rp == EN16931_VALUE && rb == EN16931_VALUE &&
               decimal_muldiv(base, pct, HUNDRED, MONEY_DECIMALS, &want) == EDI_OK;
    xmlNodePtr sent = en16931_child(ac, "amount");
    en16931_read ra = read_value(c, sent, NULL, where, "amount", amount);
    char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
    if (ra == EN16931_VALUE) {
        if (can && !en16931_within(*amount, want, c->slack, true)) {
            fmt_dec(*amount, a, sizeof a);
            fmt_dec(want, w, sizeof w);
            note(c, "PEPPOL-EN16931-R040", sent, where, "the amount was sent as %s but basis x "
                 "percent / 100 gives %s; the sent amount is kept. Ask the sender which one "
                 "is meant.", a, w);
        }
        return true;
    }
    if (ra == EN16931_NOT_DECIMAL || !can)
        return false;
    fmt_dec(want, w, sizeof w);
    if (!add_element(ac, "amount", w, true, AC_SEQ))
        c->err = EDI_E_NOMEM;
    *amount = want;
    return true;
}

/* The line's net amount, sent or computed; false when there is none. Adds it to the line
 * total `sum` and to its VAT group. */
static bool settle_line(calc *c, xmlNodePtr line, size_t index, decimal *sum)
{
    char where[160];
    en16931_line_label(line, index, where, sizeof where);
    decimal allow = ZERO, charge = ZERO;
    bool acs_ok = true;
    size_t k = 0;
    for (xmlNodePtr ac = en16931_child(line, "allowanceCharge"); ac;
         ac = en16931_next(ac, "allowanceCharge")) {
        char aw[224];
        char kind[16];
        en16931_text(ac, "kind", kind, sizeof kind);
        bool is_charge = !strcmp(kind, "charge");
        snprintf(aw, sizeof aw, "%s %s %zu", where, is_charge ? "charge" : "allowance", ++k);
        decimal v;
        if (!settle_allowance(c, ac, aw, &v)) {
            acs_ok = false;
            continue;
        }
        if ((is_charge ? decimal_add(charge, v, &charge) : decimal_add(allow, v, &allow)) != EDI_OK)
            acs_ok = false;
    }
    decimal q, p, basis = DECIMAL_ONE, want;
    bool can = acs_ok &&
        read_value(c, en16931_child(line, "quantity"), NULL, where, "quantity", &q) == EN16931_VALUE &&
        read_value(c, en16931_child(line, "netPrice"), NULL, where, "net price", &p) == EN16931_VALUE &&
        read_value(c, en16931_child(line, "netPrice"), "basisQuantity", where,
                   "price basis quantity", &basis) != EN16931_NOT_DECIMAL;
    if (can) {
        edi_result r = decimal_muldiv(q, p, basis, MONEY_DECIMALS, &want);
        if (r == EDI_OK)
            r = decimal_sub(want, allow, &want);
        if (r == EDI_OK)
            r = decimal_add(want, charge, &want);
        if (r == EDI_E_ARG)
            note(c, "PEPPOL-EN16931-R121", en16931_child(line, "netPrice"), where,
                 "the price basis quantity is zero, so the net amount cannot be computed; the "
                 "sender must send a positive basis quantity or none (1).");
        else if (r != EDI_OK)
            note(c, "EN16931-CALC", line, where, "quantity x price is too large to compute "
                 "the net amount.");
        can = r == EDI_OK && round_money(want, &want);
    }
    decimal amount;
    xmlNodePtr sent = en16931_child(line, "lineAmount");
    en16931_read ra = read_value(c, sent, NULL, where, "net amount (BT-131)", &amount);
    char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
    if (ra == EN16931_VALUE) {
        if (can && !en16931_within(amount, want, c->slack, true)) {
            fmt_dec(amount, a, sizeof a);
            fmt_dec(want, w, sizeof w);
            note(c, "PEPPOL-EN16931-R120", sent, where, "the net amount (BT-131) was sent as %s "
                 "but quantity x net price / basis - allowances + charges gives %s; the sent "
                 "amount is kept. Check the price, its basis quantity and the line allowances.",
                 a, w);
        }
    } else if (ra == EN16931_ABSENT && can) {
        fmt_dec(want, w, sizeof w);
        if (!add_element(line, "lineAmount", w, true, LINE_SEQ))
            c->err = EDI_E_NOMEM;
        amount = want;
        ra = EN16931_VALUE;
    }
    if (ra != EN16931_VALUE) {
        c->groups_ok = false;
        snprintf(c->groups_why, sizeof c->groups_why, "%s has no net amount", where);
        return false;
    }
    xmlNodePtr vat = en16931_vat_of(line);
    if (!vat && c->groups_ok) {
        c->groups_ok = false;
        snprintf(c->groups_why, sizeof c->groups_why, "%s has no VAT category", where);
    }
    if (vat)
        group_add(c, vat, amount, false, where);
    if (decimal_add(*sum, amount, sum) != EDI_OK)
        return false;
    return true;
}

/* The rule that checks the basis (`basis` true) or the VAT amount of a breakdown of `cat`. */
static const char *category_rule(const char *cat, bool basis)
{
    static const struct { const char *cat, *basis, *amount; } rules[] = {
        { "S", "BR-S-08", "BR-S-09" },   { "Z", "BR-Z-08", "BR-Z-09" },
        { "E", "BR-E-08", "BR-E-09" },   { "AE", "BR-AE-08", "BR-AE-09" },
        { "K", "BR-IC-08", "BR-IC-09" }, { "G", "BR-G-08", "BR-G-09" },
        { "O", "BR-O-08", "BR-O-09" },   { "L", "BR-AF-08", "BR-AF-09" },
        { "M", "BR-AG-08", "BR-AG-09" },
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i].cat, cat))
            return basis ? rules[i].basis : rules[i].amount;
    return basis ? "EN16931-CALC" : "BR-CO-17";
}

static void breakdown_label(const char *cat, bool has_rate, decimal rate, char *buf, size_t n)
{
    char r[DECIMAL_TEXT_MAX];
    fmt_dec(rate, r, sizeof r);
    if (has_rate)
        snprintf(buf, n, "VAT breakdown %s %s%%", cat, r);
    else
        snprintf(buf, n, "VAT breakdown %s", cat);
}

/* basis x rate / 100 rounded to 2 (0 without a rate). */
static bool vat_of_basis(decimal basis, bool has_rate, decimal rate, decimal *out)
{
    if (!has_rate) {
        *out = (decimal){ .units = 0, .scale = MONEY_DECIMALS };
        return true;
    }
    return decimal_muldiv(basis, rate, HUNDRED, MONEY_DECIMALS, out) == EDI_OK;
}

/* Write one breakdown per group (none was sent). */
static void write_breakdown(calc *c)
{
    for (size_t i = 0; i < c->ngroups && c->err == EDI_OK; i++) {
        vat_group *g = &c->groups[i];
        decimal basis, vat;
        if (!round_money(g->basis, &basis) || !vat_of_basis(basis, g->has_rate, g->rate, &vat))
            continue;
        char b[DECIMAL_TEXT_MAX], v[DECIMAL_TEXT_MAX], r[DECIMAL_TEXT_MAX];
        fmt_dec(basis, b, sizeof b);
        fmt_dec(vat, v, sizeof v);
        fmt_dec(g->rate, r, sizeof r);
        xmlNodePtr tax = add_element(c->root, "tax", NULL, true, DOC_SEQ);
        if (!tax || !xmlSetProp(tax, BAD_CAST "type", BAD_CAST "VAT") ||
            !add_element(tax, "category", g->category, false, TAX_SEQ) ||
            (g->has_rate && !add_element(tax, "ratePercent", r, false, TAX_SEQ)) ||
            !add_element(tax, "basisAmount", b, false, TAX_SEQ) ||
            !add_element(tax, "amount", v, true, TAX_SEQ))
            c->err = EDI_E_NOMEM;
    }
}

/* Check the sent breakdowns against the groups and compute their missing VAT amounts.
 * *vat_sum gets the sum of their VAT amounts; false when one has none. */
static bool settle_breakdowns(calc *c, decimal *vat_sum)
{
    bool all = true;
    *vat_sum = ZERO;
    for (xmlNodePtr t = en16931_child(c->root, "tax"); t; t = en16931_next(t, "tax")) {
        if (!en16931_is_vat(t))
            continue;
        char cat[16], where[96];
        en16931_text(en16931_child(t, "category"), NULL, cat, sizeof cat);
        decimal rate = ZERO, basis, amount, want;
        en16931_read rr = read_value(c, en16931_child(t, "ratePercent"), NULL, "VAT breakdown",
                                     "VAT rate", &rate);
        bool has_rate = rr == EN16931_VALUE;
        breakdown_label(cat[0] ? cat : "?", has_rate, rate, where, sizeof where);
        en16931_read rb = read_value(c, en16931_child(t, "basisAmount"), NULL, where,
                                     "taxable amount (BT-116)", &basis);
        char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
        /* The tolerances of the official rules: less than 1 for the per-rate categories
         * (BR-S-08, BR-S-09), exact for the others (whose VAT is 0). */
        bool lenient = per_rate(cat);
        if (rb == EN16931_VALUE && c->groups_ok && rr != EN16931_NOT_DECIMAL) {
            vat_group *g = find_group(c, cat, has_rate, rate);
            decimal expect = ZERO;
            if (g) {
                g->matched = true;
                round_money(g->basis, &expect);
            }
            if (lenient ? !en16931_within(basis, expect, ONE, false)
                        : decimal_cmp(basis, expect) != 0) {
                fmt_dec(basis, a, sizeof a);
                fmt_dec(expect, w, sizeof w);
                note(c, category_rule(cat, true), en16931_child(t, "basisAmount"), where,
                     "the taxable amount (BT-116) was sent as %s but the lines, allowances and "
                     "charges of this category and rate give %s; the sent value is kept.", a, w);
            }
        }
        xmlNodePtr sent = en16931_child(t, "amount");
        en16931_read ra = read_value(c, sent, NULL, where, "VAT amount (BT-117)", &amount);
        bool can = rb == EN16931_VALUE && rr != EN16931_NOT_DECIMAL &&
                   vat_of_basis(basis, has_rate, rate, &want);
        if (ra == EN16931_VALUE && can &&
            (lenient ? !en16931_within(en16931_abs(amount), en16931_abs(want), ONE, false)
                     : decimal_cmp(amount, want) != 0)) {
            fmt_dec(amount, a, sizeof a);
            fmt_dec(want, w, sizeof w);
            note(c, category_rule(cat, false), sent, where, "the VAT amount (BT-117) was sent as "
                 "%s but taxable amount x rate / 100 gives %s; the sent value is kept.", a, w);
        } else if (ra == EN16931_ABSENT && can) {
            fmt_dec(want, w, sizeof w);
            if (!add_element(t, "amount", w, true, TAX_SEQ))
                c->err = EDI_E_NOMEM;
            amount = want;
            ra = EN16931_VALUE;
        }
        if (ra != EN16931_VALUE || decimal_add(*vat_sum, amount, vat_sum) != EDI_OK)
            all = false;
    }
    if (c->groups_ok)
        for (size_t i = 0; i < c->ngroups; i++)
            if (!c->groups[i].matched) {
                char where[96];
                breakdown_label(c->groups[i].category, c->groups[i].has_rate, c->groups[i].rate,
                                where, sizeof where);
                note(c, "BR-CO-18", NULL, where, "lines, allowances or charges have this VAT "
                     "category and rate, but the VAT breakdown that was sent has no entry for "
                     "it; nothing is added to a sent breakdown. The sender must send it.");
            }
    return all;
}

/* A total: a sent value is checked against `want` (when `can`) and kept; an absent one is
 * written when `can`. Returns true with the value in force in *value. */
static bool settle_total(calc *c, xmlNodePtr totals, const char *name, const char *bt,
                         const char *rule, bool can, decimal want, decimal *value)
{
    char where[64];
    snprintf(where, sizeof where, "totals %s (%s)", name, bt);
    xmlNodePtr sent = en16931_child(totals, name);
    en16931_read r = read_value(c, sent, NULL, where, bt, value);
    char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
    if (can && !round_money(want, &want))
        can = false;
    if (r == EN16931_VALUE) {
        if (can && decimal_cmp(*value, want) != 0) {
            fmt_dec(*value, a, sizeof a);
            fmt_dec(want, w, sizeof w);
            note(c, rule, sent, where, "%s was sent as %s but the invoice gives %s; the sent "
                 "value is kept. Check the amounts with the sender.", bt, a, w);
        }
        return true;
    }
    if (r == EN16931_NOT_DECIMAL || !can)
        return false;
    fmt_dec(want, w, sizeof w);
    if (!add_element(totals, name, w, true, TOTALS_SEQ))
        c->err = EDI_E_NOMEM;
    *value = want;
    return true;
}

/* Document allowances (`charges` false) or charges: their sum; false when one has no amount.
 * *count gets how many there are. */
static bool settle_document_allowances(calc *c, bool charges, decimal *sum, size_t *count)
{
    bool all = true;
    *sum = ZERO;
    *count = 0;
    for (xmlNodePtr ac = en16931_child(c->root, "allowanceCharge"); ac;
         ac = en16931_next(ac, "allowanceCharge")) {
        char kind[16], where[64];
        en16931_text(ac, "kind", kind, sizeof kind);
        if (strcmp(kind, charges ? "charge" : "allowance"))
            continue;
        snprintf(where, sizeof where, "document %s %zu", kind, ++*count);
        decimal v;
        if (!settle_allowance(c, ac, where, &v) || decimal_add(*sum, v, sum) != EDI_OK) {
            all = false;
            c->groups_ok = false;
            snprintf(c->groups_why, sizeof c->groups_why, "%s has no amount", where);
            continue;
        }
        xmlNodePtr vat = en16931_vat_of(ac);
        if (!vat && c->groups_ok) {
            c->groups_ok = false;
            snprintf(c->groups_why, sizeof c->groups_why, "%s has no VAT category", where);
        }
        if (vat)
            group_add(c, vat, v, !charges, where);
    }
    return all;
}

static void complete_totals(calc *c, bool lines_ok, decimal line_sum)
{
    decimal allow, charge;
    size_t nallow, ncharge;
    bool allow_ok = settle_document_allowances(c, false, &allow, &nallow);
    bool charge_ok = settle_document_allowances(c, true, &charge, &ncharge);

    bool have_breakdown = false;
    for (xmlNodePtr t = en16931_child(c->root, "tax"); t; t = en16931_next(t, "tax"))
        have_breakdown |= en16931_is_vat(t);
    if (!have_breakdown) {
        if (c->groups_ok && c->ngroups > 0)
            write_breakdown(c);
        else if (c->ngroups > 0 || !c->groups_ok)
            note(c, "EN16931-CALC", NULL, "VAT breakdown", "the VAT breakdown (BG-23) is not "
                 "computed because %s.", c->groups_why[0] ? c->groups_why : "there are no lines");
    }
    decimal vat_sum;
    bool vat_ok = settle_breakdowns(c, &vat_sum);
    if (c->err != EDI_OK)
        return;
    bool any_breakdown = false;
    for (xmlNodePtr t = en16931_child(c->root, "tax"); t; t = en16931_next(t, "tax"))
        any_breakdown |= en16931_is_vat(t);

    xmlNodePtr totals = en16931_child(c->root, "totals");
    if (!totals) {
        totals = add_element(c->root, "totals", NULL, false, DOC_SEQ);
        if (!totals) {
            c->err = EDI_E_NOMEM;
            return;
        }
    }
    decimal v106, v107 = ZERO, v108 = ZERO, v109, v110, v112, v113 = ZERO, v114 = ZERO, v115;
    bool k106 = settle_total(c, totals, "lineAmountTotal", "BT-106", "BR-CO-10",
                             lines_ok, line_sum, &v106);
    /* Without document allowances (charges) no BT-107 (BT-108) is written; a sent one must
     * then be zero. */
    bool k107 = settle_total(c, totals, "allowanceTotal", "BT-107", "BR-CO-11",
                             allow_ok && nallow > 0, allow, &v107) || (allow_ok && nallow == 0);
    if (nallow == 0 && en16931_child(totals, "allowanceTotal") && decimal_cmp(v107, ZERO) != 0)
        note(c, "BR-CO-11", en16931_child(totals, "allowanceTotal"), "totals allowanceTotal "
             "(BT-107)", "BT-107 is not zero but the invoice has no document allowances; the "
             "sent value is kept.");
    bool k108 = settle_total(c, totals, "chargeTotal", "BT-108", "BR-CO-12",
                             charge_ok && ncharge > 0, charge, &v108) || (charge_ok && ncharge == 0);
    if (ncharge == 0 && en16931_child(totals, "chargeTotal") && decimal_cmp(v108, ZERO) != 0)
        note(c, "BR-CO-12", en16931_child(totals, "chargeTotal"), "totals chargeTotal (BT-108)",
             "BT-108 is not zero but the invoice has no document charges; the sent value is "
             "kept.");
    decimal want = ZERO;
    bool can = k106 && k107 && k108 && decimal_sub(v106, v107, &want) == EDI_OK &&
               decimal_add(want, v108, &want) == EDI_OK;
    bool k109 = settle_total(c, totals, "taxBasisTotal", "BT-109", "BR-CO-13", can, want, &v109);
    bool k110 = settle_total(c, totals, "taxTotal", "BT-110", "BR-CO-14",
                             vat_ok && any_breakdown, vat_sum, &v110);
    can = k109 && k110 && decimal_add(v109, v110, &want) == EDI_OK;
    bool k112 = settle_total(c, totals, "grandTotal", "BT-112", "BR-CO-15", can, want, &v112);
    bool k113 = read_value(c, en16931_child(totals, "prepaidAmount"), NULL, "totals prepaidAmount "
                           "(BT-113)", "BT-113", &v113) != EN16931_NOT_DECIMAL;
    bool k114 = read_value(c, en16931_child(totals, "roundingAmount"), NULL, "totals "
                           "roundingAmount (BT-114)", "BT-114", &v114) != EN16931_NOT_DECIMAL;
    /* In the XRechnung extension third party payments are due too (BR-DEX-09). */
    decimal third;
    bool has_third = en16931_third_party_paid(c->root, &third);
    can = k112 && k113 && k114 && decimal_sub(v112, v113, &want) == EDI_OK &&
          decimal_add(want, v114, &want) == EDI_OK && decimal_add(want, third, &want) == EDI_OK;
    settle_total(c, totals, "payableAmount", "BT-115", has_third ? "BR-DEX-09" : "BR-CO-16",
                 can, want, &v115);
}

edi_result en16931_complete(xmlDocPtr invoice, doc_findings *out, char *why, size_t why_n)
{
    xmlNodePtr root = en16931_invoice_root(invoice, out, why, why_n);
    if (!root)
        return EDI_E_ARG;
    calc c = { .root = root, .out = out, .err = EDI_OK, .groups_ok = true };
    /* Peppol's tolerance for R040 and R120: 0.02, 0.5 for the forint. */
    char cur[8];
    en16931_text(en16931_child(root, "currency"), NULL, cur, sizeof cur);
    c.slack = (decimal){ .units = strcmp(cur, "HUF") ? 2 : 50, .scale = 2 };
    decimal line_sum = ZERO;
    bool lines_ok = true;
    size_t index = 0;
    for (xmlNodePtr l = en16931_child(root, "line"); l && c.err == EDI_OK;
         l = en16931_next(l, "line"))
        lines_ok &= settle_line(&c, l, ++index, &line_sum);
    if (index == 0) {
        lines_ok = false;
        c.groups_ok = false;
        snprintf(c.groups_why, sizeof c.groups_why, "the invoice has no lines");
    }
    if (c.err == EDI_OK)
        complete_totals(&c, lines_ok, line_sum);
    free(c.groups);
    if (c.err != EDI_OK) {
        edi_say(why, why_n, "out of memory completing the invoice");
        return c.err;
    }
    return EDI_OK;
}
