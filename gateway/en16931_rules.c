/* en16931_rules.c: EN 16931, XRechnung and Peppol business rules on a canonical invoice
 * (en16931_rules.h). Each rule is written from its published text and its test in the
 * CEN/TC 434 (v1.3.x), KoSIT XRechnung 3.0 and Peppol BIS 3 validation artefacts, including
 * their tolerances (BR-CO-17, BR-S-08, BR-S-09: less than 1; Peppol R040/R120: 0.02). */
#include "en16931_rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "en16931.h"

#define TEXT_MAX 1024

static const decimal ZERO = { .units = 0, .scale = 0 };
static const decimal ONE_UNIT = { .units = 1, .scale = 0 };
static const decimal HUNDRED = { .units = 100, .scale = 0 };

typedef struct {
    xmlNodePtr root;
    unsigned sets;
    doc_findings *out;
    edi_result err;
    xmlNodePtr seller, buyer, payee, taxrep, delivery;
    bool peppol_bis;       /* Peppol BIS itself (errors); else the Peppol rules XRechnung runs */
} chk;

__attribute__((format(printf, 6, 7)))
static void report(chk *c, doc_severity sev, const char *rule, xmlNodePtr at, const char *where,
                   const char *fmt, ...)
{
    char text[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (doc_findings_add(c->out, sev, rule, at ? xmlGetLineNo(at) : 0, where, "%s", text) != EDI_OK)
        c->err = EDI_E_NOMEM;
}

#define ERROR(c, rule, at, where, ...) report(c, DOC_ERROR, rule, at, where, __VA_ARGS__)
#define WARN(c, rule, at, where, ...) report(c, DOC_WARNING, rule, at, where, __VA_ARGS__)
/* A Peppol rule: an error in Peppol BIS, a warning where KoSIT's XRechnung 3.0 schematron
 * runs it (flag="warning" there). */
#define PEPPOL(c, rule, at, where, ...) \
    report(c, (c)->peppol_bis ? DOC_ERROR : DOC_WARNING, rule, at, where, __VA_ARGS__)

/* ---- small readers -------------------------------------------------------------------- */

static bool has_text(xmlNodePtr parent, const char *name)
{
    char buf[8];
    return en16931_text(en16931_child(parent, name), NULL, buf, sizeof buf);
}

/* The value of el (or its attribute); a text that is not a decimal is an error. */
static bool value(chk *c, xmlNodePtr el, const char *attr, const char *where, const char *what,
                  decimal *out)
{
    char why[256] = "";
    en16931_read r = en16931_decimal(el, attr, out, why, sizeof why);
    if (r == EN16931_NOT_DECIMAL)
        ERROR(c, "DECIMAL", el, where, "%s: %s. Amounts, quantities and rates must be decimal "
              "numbers with a point.", what, why);
    return r == EN16931_VALUE;
}

/* BR-DEC-*: an amount with more than 2 decimals. */
static void two_decimals(chk *c, xmlNodePtr el, const char *rule, const char *where,
                         const char *what)
{
    decimal d;
    if (value(c, el, NULL, where, what, &d) && d.scale > 2)
        ERROR(c, rule, el, where, "%s has %d decimals; EN 16931 allows at most 2. Round it "
              "to 2 decimals.", what, d.scale);
}

static bool round2(decimal v, decimal *out)
{
    return decimal_muldiv(v, DECIMAL_ONE, DECIMAL_ONE, 2, out) == EDI_OK;
}

static void fmt(decimal d, char *buf, size_t n)
{
    if (decimal_format(d, buf, n) != EDI_OK)
        snprintf(buf, n, "?");
}

/* True when `parent` has a child `name` whose attribute `attr` is `value` and, when
 * `with_text`, whose own text is not empty. */
static bool has_child_where(xmlNodePtr parent, const char *name, const char *attr,
                            const char *value, bool with_text)
{
    char s[32];
    for (xmlNodePtr e = en16931_child(parent, name); e; e = en16931_next(e, name))
        if (en16931_text(e, attr, s, sizeof s) && !strcmp(s, value) &&
            (!with_text || en16931_text(e, NULL, s, sizeof s)))
            return true;
    return false;
}

static bool party_has_id(xmlNodePtr party, const char *scheme)
{
    return has_child_where(party, "id", "scheme", scheme, true);
}

static bool party_has_address(xmlNodePtr party)
{
    static const char *const parts[] = { "street", "postcode", "city", "countrySubdivision",
                                         "country", NULL };
    for (const char *const *p = parts; *p; p++)
        if (en16931_child(party, *p))
            return true;
    return false;
}

static bool has_date(xmlNodePtr parent, const char *role, char *buf, size_t n)
{
    char r[32];
    for (xmlNodePtr d = en16931_child(parent, "date"); d; d = en16931_next(d, "date"))
        if (en16931_text(d, "role", r, sizeof r) && !strcmp(r, role))
            return en16931_text(d, NULL, buf, n);
    if (n)
        buf[0] = '\0';
    return false;
}

static bool has_reference(xmlNodePtr parent, const char *kind)
{
    return has_child_where(parent, "reference", "kind", kind, true);
}

/* The invoice type code BT-3: type/@code, else 380 for invoice and 381 for credit_note. */
static void type_code(chk *c, char *buf, size_t n)
{
    xmlNodePtr t = en16931_child(c->root, "type");
    if (en16931_text(t, "code", buf, n))
        return;
    char v[32];
    en16931_text(t, NULL, v, sizeof v);
    snprintf(buf, n, "%s", !strcmp(v, "invoice") ? "380" : !strcmp(v, "credit_note") ? "381" : "");
}

/* ---- document level ------------------------------------------------------------------- */

/* BR-CO-09: the country prefixes ISO 3166-1 alpha-2 allows (and EL for Greece, XI for
 * Northern Ireland, 1A for Kosovo), as the CEN rules list them. */
static const char VAT_PREFIXES[] =
    " 1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO"
    " BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK"
    " DM DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ"
    " GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI"
    " KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO"
    " MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK"
    " PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS"
    " ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE"
    " VG VI VN VU WF WS XI YE YT ZA ZM ZW ";

static void check_vat_prefix(chk *c, xmlNodePtr party, const char *where)
{
    char s[32], v[64];
    for (xmlNodePtr id = en16931_child(party, "id"); id; id = en16931_next(id, "id")) {
        if (!en16931_text(id, "scheme", s, sizeof s) || strcmp(s, "vat") ||
            !en16931_text(id, NULL, v, sizeof v))
            continue;
        char key[5] = { ' ', v[0], v[1] ? v[1] : ' ', ' ', '\0' };
        if (strlen(v) < 2 || !strstr(VAT_PREFIXES, key))
            ERROR(c, "BR-CO-09", id, where, "the VAT identifier \"%s\" does not start with a "
                  "country code (ISO 3166-1 alpha-2, EL for Greece); write it with its prefix, "
                  "e.g. DE123456789.", v);
    }
}

static void check_party_basics(chk *c)
{
    char buf[64];
    if (!c->seller || !en16931_text(en16931_child(c->seller, "name"), NULL, buf, sizeof buf))
        ERROR(c, "BR-06", c->seller, "seller", "the seller's name (BT-27) is missing; every "
              "invoice must name the seller.");
    if (!c->buyer || !en16931_text(en16931_child(c->buyer, "name"), NULL, buf, sizeof buf))
        ERROR(c, "BR-07", c->buyer, "buyer", "the buyer's name (BT-44) is missing; every "
              "invoice must name the buyer.");
    if (!c->seller || !party_has_address(c->seller))
        ERROR(c, "BR-08", c->seller, "seller", "the seller's postal address (BG-5) is missing; "
              "send at least the country.");
    else if (!has_text(c->seller, "country"))
        ERROR(c, "BR-09", c->seller, "seller", "the seller's address has no country code "
              "(BT-40); add the ISO 3166 code, e.g. DE.");
    if (!c->buyer || !party_has_address(c->buyer))
        ERROR(c, "BR-10", c->buyer, "buyer", "the buyer's postal address (BG-8) is missing; send "
              "at least the country.");
    else if (!has_text(c->buyer, "country"))
        ERROR(c, "BR-11", c->buyer, "buyer", "the buyer's address has no country code (BT-55); "
              "add the ISO 3166 code, e.g. DE.");
    if (c->payee && !has_text(c->payee, "name"))
        ERROR(c, "BR-17", c->payee, "payee", "a payee (BG-10) other than the seller is given "
              "without a name (BT-59); name the payee or leave the payee out.");
    if (c->taxrep) {
        if (!has_text(c->taxrep, "name"))
            ERROR(c, "BR-18", c->taxrep, "seller tax representative", "the tax representative "
                  "(BG-11) has no name (BT-62).");
        if (!party_has_address(c->taxrep))
            ERROR(c, "BR-19", c->taxrep, "seller tax representative", "the tax representative "
                  "has no postal address (BG-12).");
        else if (!has_text(c->taxrep, "country"))
            ERROR(c, "BR-20", c->taxrep, "seller tax representative", "the tax "
                  "representative's address has no country code (BT-69).");
        if (!party_has_id(c->taxrep, "vat"))
            ERROR(c, "BR-56", c->taxrep, "seller tax representative", "the tax representative "
                  "has no VAT identifier (BT-63).");
    }
    if (c->delivery && party_has_address(c->delivery) && !has_text(c->delivery, "country"))
        ERROR(c, "BR-57", c->delivery, "deliver to", "the deliver-to address (BG-15) has no "
              "country code (BT-80).");
    struct { xmlNodePtr p; const char *rule, *where, *bt; } ea[] = {
        { c->seller, "BR-62", "seller", "BT-34" }, { c->buyer, "BR-63", "buyer", "BT-49" },
    };
    for (size_t i = 0; i < 2; i++) {
        xmlNodePtr e = en16931_child(ea[i].p, "electronicAddress");
        if (e && !en16931_text(e, "scheme", buf, sizeof buf))
            ERROR(c, ea[i].rule, e, ea[i].where, "the electronic address (%s) has no scheme "
                  "identifier; add the EAS code, e.g. EM for e-mail or 0088 for a GLN.", ea[i].bt);
    }
    if (c->seller && !party_has_id(c->seller, "vat") && !party_has_id(c->seller, "legal")) {
        bool other = false;
        char s[32];
        for (xmlNodePtr id = en16931_child(c->seller, "id"); id; id = en16931_next(id, "id"))
            other |= en16931_text(id, "scheme", s, sizeof s) && strcmp(s, "tax_number") &&
                     en16931_text(id, NULL, buf, sizeof buf);
        if (!other)
            ERROR(c, "BR-CO-26", c->seller, "seller", "the seller has no identifier (BT-29), "
                  "legal registration identifier (BT-30) or VAT identifier (BT-31); send at "
                  "least one so the buyer can identify the seller.");
    }
    check_vat_prefix(c, c->seller, "seller");
    check_vat_prefix(c, c->taxrep, "seller tax representative");
    check_vat_prefix(c, c->buyer, "buyer");
}

static void check_header(chk *c)
{
    char buf[128], start[40], end[40];
    if (!has_text(c->root, "specification"))
        ERROR(c, "BR-01", c->root, "document", "the specification identifier (BT-24) is "
              "missing; e.g. urn:cen.eu:en16931:2017.");
    if (!has_text(c->root, "number"))
        ERROR(c, "BR-02", c->root, "document", "the invoice number (BT-1) is missing.");
    if (!has_date(c->root, "document", buf, sizeof buf))
        ERROR(c, "BR-03", c->root, "document", "the invoice issue date (BT-2) is missing.");
    type_code(c, buf, sizeof buf);
    if (!buf[0])
        ERROR(c, "BR-04", c->root, "document", "the invoice type code (BT-3) is missing; e.g. "
              "380 for an invoice, 381 for a credit note.");
    if (!has_text(c->root, "currency"))
        ERROR(c, "BR-05", c->root, "document", "the invoice currency code (BT-5) is missing; "
              "e.g. EUR.");
    if (!en16931_child(c->root, "line"))
        ERROR(c, "BR-16", c->root, "document", "the invoice has no line (BG-25); an invoice "
              "needs at least one.");
    if (has_date(c->root, "period_start", start, sizeof start) &&
        has_date(c->root, "period_end", end, sizeof end) && strncmp(end, start, 10) < 0)
        ERROR(c, "BR-29", c->root, "invoicing period", "the invoicing period ends (%s) before "
              "it starts (%s).", end, start);
    /* BR-53 asks for a VAT total in the VAT accounting currency: BT-111, or BT-110 itself
     * when BT-6 names the invoice currency (the CEN test looks for a TaxAmount in BT-6). */
    char cur[8], taxcur[8];
    en16931_text(en16931_child(c->root, "currency"), NULL, cur, sizeof cur);
    xmlNodePtr totals = en16931_child(c->root, "totals");
    if (en16931_text(en16931_child(c->root, "taxCurrency"), NULL, taxcur, sizeof taxcur) &&
        !en16931_child(totals, "taxTotalInTaxCurrency") &&
        !(!strcmp(taxcur, cur) && en16931_child(totals, "taxTotal")))
        ERROR(c, "BR-53", c->root, "totals", "a VAT accounting currency (BT-6) is given but "
              "not the total VAT in that currency (BT-111).");
    char k[32];
    for (xmlNodePtr r = en16931_child(c->root, "reference"); r; r = en16931_next(r, "reference"))
        if (en16931_text(r, "kind", k, sizeof k) && !strcmp(k, "invoice") &&
            !en16931_text(r, NULL, buf, sizeof buf))
            ERROR(c, "BR-55", r, "preceding invoice reference", "a preceding invoice reference "
                  "(BG-3) has no invoice number (BT-25).");
}

/* "mandate|debited account" of a payment means; false when it has neither (no BG-19). */
static bool mandate_key(xmlNodePtr pm, char *buf, size_t n)
{
    char mandate[TEXT_MAX / 2 - 1], account[TEXT_MAX / 2 - 1];
    bool m = en16931_text(en16931_child(pm, "mandate"), NULL, mandate, sizeof mandate);
    bool a = en16931_text(en16931_child(pm, "debitedAccount"), NULL, account, sizeof account);
    snprintf(buf, n, "%s|%s", mandate, account);
    return m || a;
}

static void check_payment(chk *c, bool payable_positive)
{
    size_t cards = 0, mandates = 0, i = 0;
    char code[16], buf[64], where[64];
    for (xmlNodePtr pm = en16931_child(c->root, "paymentMeans"); pm;
         pm = en16931_next(pm, "paymentMeans")) {
        en16931_text(pm, "code", code, sizeof code);
        snprintf(where, sizeof where, "payment means %zu (code %s)", ++i, code);
        if (!code[0])
            ERROR(c, "BR-49", pm, where, "the payment means type code (BT-81) is missing; e.g. "
                  "58 for a SEPA credit transfer.");
        bool has_account = false;
        for (xmlNodePtr a = en16931_child(pm, "account"); a; a = en16931_next(a, "account")) {
            if (!has_text(a, "iban"))
                ERROR(c, "BR-50", a, where, "a credit transfer account (BG-17) has no account "
                      "identifier (BT-84).");
            else
                has_account = true;
        }
        if ((!strcmp(code, "30") || !strcmp(code, "58")) && !has_account)
            ERROR(c, "BR-61", pm, where, "a credit transfer (code %s) needs the payment account "
                  "identifier (BT-84), e.g. the IBAN.", code);
        xmlNodePtr card = en16931_child(pm, "cardNumber");
        if (en16931_text(card, NULL, buf, sizeof buf)) {
            cards++;
            if (strlen(buf) > 10)
                WARN(c, "BR-51", card, where, "the card number has %zu characters; an invoice "
                     "should show at most the first 6 and last 4 digits of a card.", strlen(buf));
        }
        /* The CII mapping repeats the one mandate (BT-89, BT-91) in every payment means:
         * the same mandate and debited account twice is one BG-19. */
        char key[TEXT_MAX];
        bool seen = !mandate_key(pm, key, sizeof key);
        for (xmlNodePtr p = en16931_child(c->root, "paymentMeans"); p != pm && !seen;
             p = en16931_next(p, "paymentMeans")) {
            char other[TEXT_MAX];
            seen = mandate_key(p, other, sizeof other) && !strcmp(key, other);
        }
        mandates += !seen;
    }
    if (cards > 1)
        ERROR(c, "BR-66", c->root, "payment means", "the invoice has %zu payment cards; at most "
              "one (BG-18) is allowed.", cards);
    if (mandates > 1)
        ERROR(c, "BR-67", c->root, "payment means", "the invoice has %zu direct debit mandates; "
              "at most one (BG-19) is allowed.", mandates);
    /* The CEN UBL artefacts bind BR-CO-25 to /ubl:Invoice only: a UBL CreditNote (the
     * mapping writes @source "UBL CreditNote ...") is exempt; CII applies it to all. */
    char source[32];
    en16931_text(c->root, "source", source, sizeof source);
    if (payable_positive && strncmp(source, "UBL CreditNote", 14)) {
        bool ok = has_date(c->root, "due", buf, sizeof buf);
        for (xmlNodePtr t = en16931_child(c->root, "paymentTerms"); t && !ok;
             t = en16931_next(t, "paymentTerms"))
            ok = has_text(t, "text") || has_text(t, "dueDate");
        if (!ok)
            ERROR(c, "BR-CO-25", c->root, "payment", "the amount due (BT-115) is positive but "
                  "neither a payment due date (BT-9) nor payment terms (BT-20) are given; add "
                  "one of them.");
    }
}

/* ---- lines and allowances ------------------------------------------------------------- */

static void check_allowance(chk *c, xmlNodePtr ac, bool line_level, const char *where)
{
    char kind[16], buf[64];
    en16931_text(ac, "kind", kind, sizeof kind);
    bool charge = !strcmp(kind, "charge");
    static const struct { const char *amount, *vat, *reason, *co, *dec_amt, *dec_base, *bt; } r[4] = {
        { "BR-31", "BR-32", "BR-33", "BR-CO-21", "BR-DEC-01", "BR-DEC-02", "BT-92" },
        { "BR-36", "BR-37", "BR-38", "BR-CO-22", "BR-DEC-05", "BR-DEC-06", "BT-99" },
        { "BR-41", NULL, "BR-42", "BR-CO-23", "BR-DEC-24", "BR-DEC-25", "BT-136" },
        { "BR-43", NULL, "BR-44", "BR-CO-24", "BR-DEC-27", "BR-DEC-28", "BT-141" },
    };
    int k = (line_level ? 2 : 0) + (charge ? 1 : 0);
    xmlNodePtr amount = en16931_child(ac, "amount");
    if (!en16931_text(amount, NULL, buf, sizeof buf))
        ERROR(c, r[k].amount, ac, where, "the %s has no amount (%s); send the amount, or a "
              "percent and basis amount to compute it from.", kind, r[k].bt);
    if (r[k].vat) {
        xmlNodePtr vat = en16931_vat_of(ac);
        if (!vat || !has_text(vat, "category"))
            ERROR(c, r[k].vat, ac, where, "the document %s has no VAT category code; every "
                  "document allowance and charge needs one, e.g. S.", kind);
    }
    xmlNodePtr reason = en16931_child(ac, "reason");
    if (!en16931_text(reason, NULL, buf, sizeof buf) &&
        !en16931_text(reason, "qualifier", buf, sizeof buf)) {
        ERROR(c, r[k].reason, ac, where, "the %s has neither a reason nor a reason code; say "
              "why it is given.", kind);
        ERROR(c, r[k].co, ac, where, "the %s must carry a reason text, a reason code, or "
              "both.", kind);
    }
    two_decimals(c, amount, r[k].dec_amt, where, "the amount");
    two_decimals(c, en16931_child(ac, "basisAmount"), r[k].dec_base, where, "the basis amount");
}

static void check_line(chk *c, xmlNodePtr line, size_t index)
{
    char where[160], buf[64], start[40], end[40];
    en16931_line_label(line, index, where, sizeof where);
    if (!has_text(line, "number"))
        ERROR(c, "BR-21", line, where, "the line has no identifier (BT-126).");
    xmlNodePtr q = en16931_child(line, "quantity");
    if (!en16931_text(q, NULL, buf, sizeof buf))
        ERROR(c, "BR-22", line, where, "the line has no invoiced quantity (BT-129).");
    if (!en16931_text(q, "unit", buf, sizeof buf))
        ERROR(c, "BR-23", line, where, "the line has no unit of measure (BT-130); add the UN/ECE "
              "Rec 20 code, e.g. C62 or H87.");
    if (!has_text(line, "lineAmount"))
        ERROR(c, "BR-24", line, where, "the line has no net amount (BT-131).");
    bool named = false;
    for (xmlNodePtr d = en16931_child(line, "description"); d && !named;
         d = en16931_next(d, "description"))
        named = en16931_text(d, NULL, buf, sizeof buf);
    if (!named)
        ERROR(c, "BR-25", line, where, "the line has no item name (BT-153).");
    xmlNodePtr net = en16931_child(line, "netPrice");
    decimal d;
    if (!en16931_text(net, NULL, buf, sizeof buf))
        ERROR(c, "BR-26", line, where, "the line has no item net price (BT-146).");
    else if (value(c, net, NULL, where, "the net price", &d) && d.units < 0)
        ERROR(c, "BR-27", net, where, "the item net price (BT-146) is negative (%s); a price is "
              "never negative, credit with a negative quantity instead.", buf);
    xmlNodePtr gross = en16931_child(line, "grossPrice");
    if (value(c, gross, NULL, where, "the gross price", &d) && d.units < 0)
        ERROR(c, "BR-28", gross, where, "the item gross price (BT-148) is negative.");
    if (has_date(line, "period_start", start, sizeof start) &&
        has_date(line, "period_end", end, sizeof end) && strncmp(end, start, 10) < 0)
        ERROR(c, "BR-30", line, where, "the line period ends (%s) before it starts (%s).",
              end, start);
    xmlNodePtr vat = en16931_vat_of(line);
    if (!vat || !has_text(vat, "category"))
        ERROR(c, "BR-CO-04", line, where, "the line has no VAT category code (BT-151); every "
              "line must say how it is taxed, e.g. S.");
    for (xmlNodePtr a = en16931_child(line, "attribute"); a; a = en16931_next(a, "attribute"))
        if (!has_text(a, "name") || !has_text(a, "value"))
            ERROR(c, "BR-54", a, where, "an item attribute (BG-32) lacks its name (BT-160) or "
                  "value (BT-161).");
    for (xmlNodePtr k = en16931_child(line, "classification"); k;
         k = en16931_next(k, "classification"))
        if (!en16931_text(k, "qualifier", buf, sizeof buf))
            ERROR(c, "BR-65", k, where, "the item classification (BT-158) has no scheme "
                  "identifier; add the list, e.g. STI for CPV.");
    two_decimals(c, en16931_child(line, "lineAmount"), "BR-DEC-23", where, "the net amount "
                 "(BT-131)");
    size_t n = 0;
    for (xmlNodePtr ac = en16931_child(line, "allowanceCharge"); ac;
         ac = en16931_next(ac, "allowanceCharge")) {
        char aw[224];
        snprintf(aw, sizeof aw, "%s allowance/charge %zu", where, ++n);
        check_allowance(c, ac, true, aw);
    }
}

/* ---- VAT: the breakdown and the category rules ---------------------------------------- */

/* One line, document allowance or charge with its VAT category, rate and amount. */
typedef struct {
    xmlNodePtr node;
    int kind;              /* 0 line, 1 allowance, 2 charge */
    char category[16];
    bool has_rate, has_amount;
    decimal rate, amount;
    char where[160];
} vat_item;

typedef struct {
    xmlNodePtr node;
    char category[16];
    bool has_rate, has_basis, has_amount, has_reason;
    decimal rate, basis, amount;
    char where[96];
} breakdown;

typedef struct {
    vat_item *items;
    size_t nitems;
    breakdown *bds;
    size_t nbds;
} vat_view;

static void read_vat(chk *c, xmlNodePtr holder, xmlNodePtr amount_el, int kind,
                     const char *where, vat_item *it)
{
    memset(it, 0, sizeof *it);
    it->node = holder;
    it->kind = kind;
    snprintf(it->where, sizeof it->where, "%s", where);
    xmlNodePtr vat = en16931_vat_of(holder);
    en16931_text(en16931_child(vat, "category"), NULL, it->category, sizeof it->category);
    it->has_rate = value(c, en16931_child(vat, "ratePercent"), NULL, where, "the VAT rate",
                         &it->rate);
    it->has_amount = value(c, amount_el, NULL, where, "the amount", &it->amount);
}

static edi_result build_view(chk *c, vat_view *v)
{
    size_t n = 0, nb = 0;
    for (xmlNodePtr l = en16931_child(c->root, "line"); l; l = en16931_next(l, "line"))
        n++;
    for (xmlNodePtr a = en16931_child(c->root, "allowanceCharge"); a;
         a = en16931_next(a, "allowanceCharge"))
        n++;
    for (xmlNodePtr t = en16931_child(c->root, "tax"); t; t = en16931_next(t, "tax"))
        nb += en16931_is_vat(t);
    v->items = calloc(n ? n : 1, sizeof *v->items);
    v->bds = calloc(nb ? nb : 1, sizeof *v->bds);
    if (!v->items || !v->bds)
        return EDI_E_NOMEM;
    size_t i = 0, na = 0, nc = 0;
    char where[160];
    for (xmlNodePtr l = en16931_child(c->root, "line"); l; l = en16931_next(l, "line")) {
        en16931_line_label(l, i + 1, where, sizeof where);
        read_vat(c, l, en16931_child(l, "lineAmount"), 0, where, &v->items[i++]);
    }
    for (xmlNodePtr a = en16931_child(c->root, "allowanceCharge"); a;
         a = en16931_next(a, "allowanceCharge")) {
        char kind[16];
        en16931_text(a, "kind", kind, sizeof kind);
        bool charge = !strcmp(kind, "charge");
        snprintf(where, sizeof where, "document %s %zu", charge ? "charge" : "allowance",
                 charge ? ++nc : ++na);
        read_vat(c, a, en16931_child(a, "amount"), charge ? 2 : 1, where, &v->items[i++]);
    }
    v->nitems = i;
    for (xmlNodePtr t = en16931_child(c->root, "tax"); t; t = en16931_next(t, "tax")) {
        if (!en16931_is_vat(t))
            continue;
        breakdown *b = &v->bds[v->nbds++];
        b->node = t;
        en16931_text(en16931_child(t, "category"), NULL, b->category, sizeof b->category);
        b->has_rate = value(c, en16931_child(t, "ratePercent"), NULL, "VAT breakdown",
                            "the VAT rate", &b->rate);
        char r[DECIMAL_TEXT_MAX];
        fmt(b->rate, r, sizeof r);
        if (b->has_rate)
            snprintf(b->where, sizeof b->where, "VAT breakdown %s %s%%",
                     b->category[0] ? b->category : "?", r);
        else
            snprintf(b->where, sizeof b->where, "VAT breakdown %s",
                     b->category[0] ? b->category : "?");
        b->has_basis = value(c, en16931_child(t, "basisAmount"), NULL, b->where,
                             "the taxable amount", &b->basis);
        b->has_amount = value(c, en16931_child(t, "amount"), NULL, b->where, "the VAT amount",
                              &b->amount);
        b->has_reason = has_text(t, "exemptionReason") || has_text(t, "exemptionCode");
    }
    return EDI_OK;
}

static void check_breakdowns(chk *c, const vat_view *v)
{
    if (v->nbds == 0)
        ERROR(c, "BR-CO-18", c->root, "VAT breakdown", "the invoice has no VAT breakdown "
              "(BG-23); it needs at least one, per VAT category and rate.");
    char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
    for (size_t i = 0; i < v->nbds; i++) {
        const breakdown *b = &v->bds[i];
        if (!has_text(b->node, "basisAmount"))
            ERROR(c, "BR-45", b->node, b->where, "the VAT breakdown has no taxable amount "
                  "(BT-116).");
        if (!has_text(b->node, "amount"))
            ERROR(c, "BR-46", b->node, b->where, "the VAT breakdown has no VAT amount (BT-117).");
        if (!b->category[0])
            ERROR(c, "BR-47", b->node, b->where, "the VAT breakdown has no VAT category code "
                  "(BT-118).");
        if (!has_text(b->node, "ratePercent") && strcmp(b->category, "O"))
            ERROR(c, "BR-48", b->node, b->where, "the VAT breakdown has no VAT rate (BT-119); "
                  "only category O (not subject to VAT) goes without one.");
        two_decimals(c, en16931_child(b->node, "basisAmount"), "BR-DEC-19", b->where,
                     "the taxable amount (BT-116)");
        two_decimals(c, en16931_child(b->node, "amount"), "BR-DEC-20", b->where,
                     "the VAT amount (BT-117)");
        if (!b->has_amount)
            continue;
        /* BR-CO-17 as CEN tests it: a rate that rounds to 0 (or none) needs a VAT amount that
         * rounds to 0; otherwise |VAT| must lie within 1 of round(|basis| x rate / 100, 2). */
        decimal rr, ar, want;
        bool ok;
        if (!b->has_rate || (decimal_muldiv(b->rate, DECIMAL_ONE, DECIMAL_ONE, 0, &rr) == EDI_OK &&
                             rr.units == 0))
            ok = decimal_muldiv(b->amount, DECIMAL_ONE, DECIMAL_ONE, 0, &ar) == EDI_OK &&
                 ar.units == 0;
        else
            ok = !b->has_basis ||
                 (decimal_muldiv(en16931_abs(b->basis), b->rate, HUNDRED, 2, &want) == EDI_OK &&
                  en16931_within(en16931_abs(b->amount), want, ONE_UNIT, false));
        if (!ok) {
            decimal expect = ZERO;
            if (b->has_rate && b->has_basis)
                decimal_muldiv(b->basis, b->rate, HUNDRED, 2, &expect);
            fmt(b->amount, a, sizeof a);
            fmt(expect, w, sizeof w);
            ERROR(c, "BR-CO-17", en16931_child(b->node, "amount"), b->where, "the VAT amount "
                  "(BT-117) is %s but taxable amount x rate / 100 gives %s; correct the VAT "
                  "amount or the rate.", a, w);
        }
    }
}

/* How a VAT category is ruled (EN 16931 BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O). */
typedef enum { RATE_POSITIVE, RATE_ZERO, RATE_NONE } rate_rule;
typedef enum { ID_SELLER, ID_SELLER_VAT, ID_SELLER_AND_BUYER, ID_SELLER_VAT_AND_BUYER_VAT,
               ID_NONE } id_rule;

typedef struct {
    const char *category, *prefix, *name;
    bool exactly_one;      /* -01: exactly one breakdown (else: at least one, S) */
    rate_rule rate;        /* -05..-07 */
    id_rule ids;           /* -02..-04 */
    bool standard;         /* -08/-09 per rate with the CEN tolerance of 1; else exact and 0 */
    bool needs_reason;     /* -10: exemption reason required (else forbidden) */
} category_rules;

static const category_rules CATEGORIES[] = {
    { "S", "BR-S", "Standard rated", false, RATE_POSITIVE, ID_SELLER, true, false },
    { "Z", "BR-Z", "Zero rated", true, RATE_ZERO, ID_SELLER, false, false },
    { "E", "BR-E", "Exempt from VAT", true, RATE_ZERO, ID_SELLER, false, true },
    { "AE", "BR-AE", "Reverse charge", true, RATE_ZERO, ID_SELLER_AND_BUYER, false, true },
    { "K", "BR-IC", "Intra-community supply", true, RATE_ZERO, ID_SELLER_VAT_AND_BUYER_VAT,
      false, true },
    { "G", "BR-G", "Export outside the EU", true, RATE_ZERO, ID_SELLER_VAT, false, true },
    { "O", "BR-O", "Not subject to VAT", true, RATE_NONE, ID_NONE, false, true },
};

static void rid(char *buf, size_t n, const category_rules *r, int k)
{
    snprintf(buf, n, "%s-%02d", r->prefix, k);
}

static void check_category_ids(chk *c, const category_rules *r, const vat_view *v)
{
    bool seller_vat = party_has_id(c->seller, "vat"), seller_tax = party_has_id(c->seller, "tax_number");
    bool rep_vat = party_has_id(c->taxrep, "vat");
    bool buyer_vat = party_has_id(c->buyer, "vat"), buyer_legal = party_has_id(c->buyer, "legal");
    bool ok;
    const char *need;
    switch (r->ids) {
    case ID_SELLER:
        ok = seller_vat || seller_tax || rep_vat;
        need = "the seller's VAT identifier (BT-31), tax registration (BT-32) or the tax "
               "representative's VAT identifier (BT-63)";
        break;
    case ID_SELLER_VAT:
        ok = seller_vat || rep_vat;
        need = "the seller's VAT identifier (BT-31) or the tax representative's (BT-63)";
        break;
    case ID_SELLER_AND_BUYER:
        ok = (seller_vat || seller_tax || rep_vat) && (buyer_vat || buyer_legal);
        need = "the seller's VAT identifier (BT-31, BT-32 or BT-63) and the buyer's VAT "
               "identifier (BT-48) or legal registration (BT-47)";
        break;
    case ID_SELLER_VAT_AND_BUYER_VAT:
        ok = (seller_vat || rep_vat) && buyer_vat;
        need = "the seller's VAT identifier (BT-31 or BT-63) and the buyer's VAT identifier "
               "(BT-48)";
        break;
    default:
        ok = !seller_vat && !rep_vat && !buyer_vat;
        need = NULL;
        break;
    }
    if (ok)
        return;
    static const char *const what[] = { "a line", "a document allowance", "a document charge" };
    bool done[3] = { false, false, false };
    for (size_t i = 0; i < v->nitems; i++) {
        const vat_item *it = &v->items[i];
        if (strcmp(it->category, r->category) || done[it->kind])
            continue;
        done[it->kind] = true;
        char id[16];
        rid(id, sizeof id, r, 2 + it->kind);
        if (need)
            ERROR(c, id, it->node, it->where, "%s has VAT category %s (%s), so the invoice "
                  "must contain %s.", what[it->kind], r->category, r->name, need);
        else
            ERROR(c, id, it->node, it->where, "%s is not subject to VAT (category O), so the "
                  "invoice must not contain the seller's, the tax representative's or the "
                  "buyer's VAT identifier.", what[it->kind]);
    }
}

/* Sum of the items of `cat` (with rate `rate` when `per_rate`): lines + charges - allowances.
 * *found tells whether there was any. */
static decimal category_sum(const vat_view *v, const char *cat, bool per_rate, decimal rate,
                            bool *found)
{
    decimal s = ZERO;
    *found = false;
    for (size_t i = 0; i < v->nitems; i++) {
        const vat_item *it = &v->items[i];
        if (strcmp(it->category, cat) || !it->has_amount)
            continue;
        if (per_rate && (!it->has_rate || decimal_cmp(it->rate, rate) != 0))
            continue;
        *found = true;
        if (it->kind == 1)
            decimal_sub(s, it->amount, &s);
        else
            decimal_add(s, it->amount, &s);
    }
    return s;
}

static void check_category(chk *c, const category_rules *r, const vat_view *v)
{
    char id[16], a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
    size_t items = 0, bds = 0;
    for (size_t i = 0; i < v->nitems; i++)
        items += !strcmp(v->items[i].category, r->category);
    for (size_t i = 0; i < v->nbds; i++)
        bds += !strcmp(v->bds[i].category, r->category);
    if (items == 0 && bds == 0)
        return;
    rid(id, sizeof id, r, 1);
    if (r->exactly_one ? bds != 1 : (items > 0) != (bds > 0))
        ERROR(c, id, c->root, "VAT breakdown", "the invoice has %zu line(s), allowance(s) or "
              "charge(s) with VAT category %s (%s) and %zu VAT breakdown(s) of that category; "
              "%s.", items, r->category, r->name, bds,
              r->exactly_one ? "it needs exactly one breakdown for it"
                             : "both must be present or both absent");
    check_category_ids(c, r, v);
    for (size_t i = 0; i < v->nitems; i++) {
        const vat_item *it = &v->items[i];
        if (strcmp(it->category, r->category))
            continue;
        rid(id, sizeof id, r, 5 + it->kind);
        fmt(it->rate, a, sizeof a);
        if (r->rate == RATE_POSITIVE && !(it->has_rate && it->rate.units > 0))
            ERROR(c, id, it->node, it->where, "VAT category %s needs a VAT rate greater than "
                  "zero, but the rate is %s.", r->category, it->has_rate ? a : "missing");
        else if (r->rate == RATE_ZERO && !(it->has_rate && it->rate.units == 0))
            ERROR(c, id, it->node, it->where, "VAT category %s (%s) needs the VAT rate 0, but "
                  "the rate is %s.", r->category, r->name, it->has_rate ? a : "missing");
        else if (r->rate == RATE_NONE && has_text(en16931_vat_of(it->node), "ratePercent"))
            ERROR(c, id, it->node, it->where, "VAT category O (not subject to VAT) must not "
                  "carry a VAT rate; leave the rate out.");
    }
    for (size_t i = 0; i < v->nbds; i++) {
        const breakdown *b = &v->bds[i];
        if (strcmp(b->category, r->category))
            continue;
        bool found;
        decimal sum = category_sum(v, r->category, r->standard, b->rate, &found);
        if (b->has_basis) {
            rid(id, sizeof id, r, 8);
            bool ok = r->standard ? found && en16931_within(b->basis, sum, ONE_UNIT, false)
                                  : decimal_cmp(b->basis, sum) == 0;
            if (!ok) {
                fmt(b->basis, a, sizeof a);
                fmt(sum, w, sizeof w);
                ERROR(c, id, en16931_child(b->node, "basisAmount"), b->where, "the taxable "
                      "amount (BT-116) is %s but the lines + charges - allowances of this "
                      "category%s give %s.", a, r->standard ? " and rate" : "", w);
            }
        }
        if (b->has_amount) {
            rid(id, sizeof id, r, 9);
            decimal want = ZERO;
            bool ok;
            if (r->standard)
                ok = !b->has_basis || !b->has_rate ||
                     (decimal_muldiv(en16931_abs(b->basis), b->rate, HUNDRED, 2, &want) == EDI_OK &&
                      en16931_within(en16931_abs(b->amount), want, ONE_UNIT, false));
            else
                ok = b->amount.units == 0;
            if (!ok) {
                fmt(b->amount, a, sizeof a);
                fmt(want, w, sizeof w);
                ERROR(c, id, en16931_child(b->node, "amount"), b->where, "the VAT amount "
                      "(BT-117) is %s but must be %s for category %s (%s).", a, w, r->category,
                      r->name);
            }
        }
        rid(id, sizeof id, r, 10);
        if (r->needs_reason && !b->has_reason)
            ERROR(c, id, b->node, b->where, "a VAT breakdown of category %s (%s) needs a VAT "
                  "exemption reason text (BT-120) or code (BT-121, e.g. VATEX-EU-AE).",
                  r->category, r->name);
        else if (!r->needs_reason && b->has_reason)
            ERROR(c, id, b->node, b->where, "a VAT breakdown of category %s (%s) must not carry "
                  "a VAT exemption reason; remove it or correct the category.", r->category,
                  r->name);
    }
}

/* BR-IC-11/12 and BR-O-11..14. */
static void check_category_extras(chk *c, const vat_view *v)
{
    char buf[40];
    bool k = false, o = false;
    for (size_t i = 0; i < v->nbds; i++) {
        k |= !strcmp(v->bds[i].category, "K");
        o |= !strcmp(v->bds[i].category, "O");
    }
    if (k && !has_date(c->root, "delivery", buf, sizeof buf) &&
        !has_date(c->root, "period_start", buf, sizeof buf) &&
        !has_date(c->root, "period_end", buf, sizeof buf))
        ERROR(c, "BR-IC-11", c->root, "VAT breakdown K", "an intra-community supply needs the "
              "actual delivery date (BT-72) or the invoicing period (BG-14).");
    if (k && !(c->delivery && has_text(c->delivery, "country")))
        ERROR(c, "BR-IC-12", c->root, "VAT breakdown K", "an intra-community supply needs the "
              "deliver-to country code (BT-80).");
    if (!o)
        return;
    if (v->nbds > 1)
        ERROR(c, "BR-O-11", c->root, "VAT breakdown O", "an invoice not subject to VAT (category "
              "O) must have no other VAT breakdown.");
    static const char *const rule[] = { "BR-O-12", "BR-O-13", "BR-O-14" };
    for (size_t i = 0; i < v->nitems; i++)
        if (strcmp(v->items[i].category, "O"))
            ERROR(c, rule[v->items[i].kind], v->items[i].node, v->items[i].where, "the invoice "
                  "has a VAT breakdown of category O (not subject to VAT), so this must be "
                  "category O too, but it is \"%s\".", v->items[i].category);
}

/* ---- totals --------------------------------------------------------------------------- */

/* *out gets the total `name`; false (and ZERO) when absent. */
static bool total(chk *c, xmlNodePtr totals, const char *name, const char *bt, decimal *out)
{
    char where[64];
    snprintf(where, sizeof where, "totals %s (%s)", name, bt);
    *out = ZERO;
    bool ok = value(c, en16931_child(totals, name), NULL, where, bt, out);
    if (!ok)
        *out = ZERO;
    return ok;
}

static void check_sum(chk *c, xmlNodePtr totals, const char *name, const char *rule,
                      const char *text, decimal sent, decimal want)
{
    char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX], where[64];
    if (!round2(want, &want) || decimal_cmp(sent, want) == 0)
        return;
    fmt(sent, a, sizeof a);
    fmt(want, w, sizeof w);
    snprintf(where, sizeof where, "totals %s", name);
    ERROR(c, rule, en16931_child(totals, name), where, "%s: it is %s but should be %s. Correct "
          "the total or the amounts it is made of.", text, a, w);
}

/* The totals rules; returns whether BT-115 is positive. */
static bool check_totals(chk *c, const vat_view *v)
{
    xmlNodePtr t = en16931_child(c->root, "totals");
    decimal v106, v107, v108, v109, v110, v112, v113, v114, v115;
    bool k106 = total(c, t, "lineAmountTotal", "BT-106", &v106);
    bool k107 = total(c, t, "allowanceTotal", "BT-107", &v107);
    bool k108 = total(c, t, "chargeTotal", "BT-108", &v108);
    bool k109 = total(c, t, "taxBasisTotal", "BT-109", &v109);
    bool k110 = total(c, t, "taxTotal", "BT-110", &v110);
    bool k112 = total(c, t, "grandTotal", "BT-112", &v112);
    total(c, t, "prepaidAmount", "BT-113", &v113);
    total(c, t, "roundingAmount", "BT-114", &v114);
    bool k115 = total(c, t, "payableAmount", "BT-115", &v115);
    static const struct { const char *rule, *bt, *name, *what; } need[] = {
        { "BR-12", "BT-106", "lineAmountTotal", "the sum of line net amounts" },
        { "BR-13", "BT-109", "taxBasisTotal", "the total without VAT" },
        { "BR-14", "BT-112", "grandTotal", "the total with VAT" },
        { "BR-15", "BT-115", "payableAmount", "the amount due for payment" },
    };
    for (size_t i = 0; i < 4; i++)
        if (!has_text(t, need[i].name))
            ERROR(c, need[i].rule, t ? t : c->root, "totals", "%s (%s) is missing.",
                  need[i].what, need[i].bt);
    static const struct { const char *name, *rule; } dec[] = {
        { "lineAmountTotal", "BR-DEC-09" }, { "allowanceTotal", "BR-DEC-10" },
        { "chargeTotal", "BR-DEC-11" },     { "taxBasisTotal", "BR-DEC-12" },
        { "taxTotal", "BR-DEC-13" },        { "grandTotal", "BR-DEC-14" },
        { "taxTotalInTaxCurrency", "BR-DEC-15" }, { "prepaidAmount", "BR-DEC-16" },
        { "roundingAmount", "BR-DEC-17" },  { "payableAmount", "BR-DEC-18" },
    };
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++)
        if (en16931_child(t, dec[i].name))
            two_decimals(c, en16931_child(t, dec[i].name), dec[i].rule, "totals", dec[i].name);

    decimal lines = ZERO, allow = ZERO, charge = ZERO, vat = ZERO;
    size_t nallow = 0, ncharge = 0;
    for (size_t i = 0; i < v->nitems; i++) {
        const vat_item *it = &v->items[i];
        if (!it->has_amount)
            continue;
        decimal *s = it->kind == 0 ? &lines : it->kind == 1 ? &allow : &charge;
        nallow += it->kind == 1;
        ncharge += it->kind == 2;
        decimal_add(*s, it->amount, s);
    }
    for (size_t i = 0; i < v->nbds; i++)
        if (v->bds[i].has_amount)
            decimal_add(vat, v->bds[i].amount, &vat);
    decimal want;
    if (k106)
        check_sum(c, t, "lineAmountTotal", "BR-CO-10", "the sum of line net amounts (BT-106) "
                  "must equal the sum of the lines' net amounts (BT-131)", v106, lines);
    if (k107 || nallow)
        check_sum(c, t, "allowanceTotal", "BR-CO-11", "the sum of document allowances (BT-107) "
                  "must equal the allowances' amounts (BT-92)", v107, allow);
    if (k108 || ncharge)
        check_sum(c, t, "chargeTotal", "BR-CO-12", "the sum of document charges (BT-108) must "
                  "equal the charges' amounts (BT-99)", v108, charge);
    if (k109 && k106 && decimal_sub(v106, v107, &want) == EDI_OK &&
        decimal_add(want, v108, &want) == EDI_OK)
        check_sum(c, t, "taxBasisTotal", "BR-CO-13", "the total without VAT (BT-109) must be "
                  "BT-106 - BT-107 + BT-108", v109, want);
    if (k110 && v->nbds > 0)
        check_sum(c, t, "taxTotal", "BR-CO-14", "the total VAT (BT-110) must equal the sum of "
                  "the VAT breakdown amounts (BT-117)", v110, vat);
    if (k112 && k109 && decimal_add(v109, v110, &want) == EDI_OK)
        check_sum(c, t, "grandTotal", "BR-CO-15", "the total with VAT (BT-112) must be BT-109 + "
                  "BT-110", v112, want);
    /* The XRechnung extension adds third party payments (BG-DEX-09) to the amount due and
     * checks it by BR-DEX-09 instead of BR-CO-16. */
    decimal third;
    bool has_third = en16931_third_party_paid(c->root, &third);
    if (k115 && k112 && decimal_sub(v112, v113, &want) == EDI_OK &&
        decimal_add(want, v114, &want) == EDI_OK && decimal_add(want, third, &want) == EDI_OK)
        check_sum(c, t, "payableAmount", has_third ? "BR-DEX-09" : "BR-CO-16",
                  has_third ? "the amount due (BT-115) must be BT-112 - BT-113 + BT-114 + the "
                              "third party payments (BT-DEX-002)"
                            : "the amount due (BT-115) must be BT-112 - BT-113 + BT-114",
                  v115, want);
    return k115 && v115.units > 0;
}

/* ---- XRechnung (BR-DE) ---------------------------------------------------------------- */

static const char XR_CIUS[] = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";
static const char XR_EXT[] = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
                             "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0";

/* IBAN shape and ISO 13616 check digits (mod 97 = 1), blanks ignored. */
static bool iban_ok(const char *text)
{
    char s[64];
    size_t n = 0;
    for (const char *p = text; *p; p++)
        if (!isspace((unsigned char)*p)) {
            if (n + 1 >= sizeof s)
                return false;
            s[n++] = *p;
        }
    s[n] = '\0';
    if (n < 5 || n > 34 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
        return false;
    unsigned rem = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[(i + 4) % n];
        if (!isalnum((unsigned char)ch))
            return false;
        unsigned v = isdigit((unsigned char)ch) ? (unsigned)(ch - '0')
                                                : (unsigned)(toupper((unsigned char)ch) - 'A' + 10);
        rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
    }
    return rem == 1;
}

/* One part of the Skonto grammar: `key` then digits, optionally "." and exactly 2 digits
 * (`money`), optionally a leading "-" (`sign`); advances *p. */
static bool skonto_part(const char **p, const char *key, bool money, bool sign)
{
    size_t k = strlen(key);
    if (strncmp(*p, key, k))
        return false;
    const char *s = *p + k;
    if (sign && *s == '-')
        s++;
    const char *d = s;
    while (isdigit((unsigned char)*s))
        s++;
    if (s == d)
        return false;
    if (money) {
        if (s[0] != '.' || !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
            return false;
        s += 3;
    }
    *p = s;
    return true;
}

/* KoSIT's XR-SKONTO-REGEX, ending at the end of the line:
 * #SKONTO#TAGE=n#PROZENT=n.nn(#BASISBETRAG=-?n.nn)?# */
static bool skonto_line(const char *line)
{
    for (const char *at = strstr(line, "#SKONTO#"); at; at = strstr(at + 1, "#SKONTO#")) {
        const char *p = at + 8;
        if (!skonto_part(&p, "TAGE=", false, false) || !skonto_part(&p, "#PROZENT=", true, false))
            continue;
        const char *q = p;
        if (skonto_part(&q, "#BASISBETRAG=", true, true))
            p = q;
        if (!strcmp(p, "#"))
            return true;
    }
    return false;
}

/* BR-DE-18 on one payment terms text: every line starting with '#' is a Skonto line, and the
 * last one is followed by a line break. */
static void check_skonto(chk *c, xmlNodePtr text_el)
{
    char text[TEXT_MAX];
    xmlChar *raw = xmlNodeGetContent(text_el);
    snprintf(text, sizeof text, "%s", raw ? (const char *)raw : "");
    xmlFree(raw);
    bool any = false, broken_end = false;
    char badline[160] = "";
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char norm[TEXT_MAX];
        size_t n = 0;
        bool space = false;
        for (const char *p = line; *p; p++) {
            if (isspace((unsigned char)*p)) {
                space = n > 0;
                continue;
            }
            if (space && n + 1 < sizeof norm)
                norm[n++] = ' ';
            space = false;
            if (n + 1 < sizeof norm)
                norm[n++] = *p;
        }
        norm[n] = '\0';
        if (norm[0] == '#') {
            any = true;
            broken_end = !nl;
            if (!skonto_line(norm) && !badline[0])
                snprintf(badline, sizeof badline, "%.150s", norm);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (badline[0])
        ERROR(c, "BR-DE-18", text_el, "payment terms", "the Skonto line \"%s\" does not follow "
              "the XRechnung form #SKONTO#TAGE=n#PROZENT=n.nn# (optionally "
              "#BASISBETRAG=n.nn# before the last #), in capitals and without blanks.", badline);
    else if (any && broken_end)
        ERROR(c, "BR-DE-18", text_el, "payment terms", "the last Skonto line must be followed by "
              "a line break; end the payment terms text with a new line.");
}

/* The XRechnung BR-DE-28 e-mail shape (KoSIT's XR-EMAIL-REGEX). */
static bool email_ok(const char *s)
{
    static const char local_extra[] = "!#$%&\"*+/=?^_`{|}~-";
    const char *at = strchr(s, '@');
    if (!at || strchr(at + 1, '@') || at == s)
        return false;
    bool atom = false;
    for (const char *p = s; p < at; p++) {
        if (*p == '.') {
            if (!atom)
                return false;
            atom = false;
        } else if (isalnum((unsigned char)*p) || strchr(local_extra, *p)) {
            atom = true;
        } else {
            return false;
        }
    }
    if (!atom)
        return false;
    size_t labels = 0;
    for (const char *p = at + 1;;) {
        const char *e = p;
        while (isalnum((unsigned char)*e) || *e == '-')
            e++;
        if (e == p || p[0] == '-' || e[-1] == '-')
            return false;
        labels++;
        if (*e == '\0')
            return labels >= 2;
        if (*e != '.')
            return false;
        p = e + 1;
    }
}

static void check_xrechnung(chk *c, const vat_view *v)
{
    char buf[TEXT_MAX], code[16], where[64];
    if (!en16931_child(c->root, "paymentMeans"))
        ERROR(c, "BR-DE-1", c->root, "payment", "XRechnung requires payment instructions "
              "(BG-16): add the payment means, e.g. code 58 with the IBAN.");
    if (c->seller) {
        xmlNodePtr contact = en16931_child(c->seller, "contact");
        if (!contact)
            ERROR(c, "BR-DE-2", c->seller, "seller", "XRechnung requires the seller contact "
                  "(BG-6): a name, phone number and e-mail address.");
        if (party_has_address(c->seller)) {
            if (!has_text(c->seller, "city"))
                ERROR(c, "BR-DE-3", c->seller, "seller", "XRechnung requires the seller's city "
                      "(BT-37).");
            if (!has_text(c->seller, "postcode"))
                ERROR(c, "BR-DE-4", c->seller, "seller", "XRechnung requires the seller's post "
                      "code (BT-38).");
        }
        if (contact) {
            if (!has_text(contact, "name") && !has_text(contact, "department"))
                ERROR(c, "BR-DE-5", contact, "seller contact", "XRechnung requires the seller "
                      "contact point (BT-41), a person or department.");
            xmlNodePtr phone = en16931_child(contact, "phone");
            if (!en16931_text(phone, NULL, buf, sizeof buf)) {
                ERROR(c, "BR-DE-6", contact, "seller contact", "XRechnung requires the seller "
                      "contact's telephone number (BT-42).");
            } else {
                int digits = 0;
                for (const char *p = buf; *p; p++)
                    digits += isdigit((unsigned char)*p) != 0;
                if (digits < 3)
                    WARN(c, "BR-DE-27", phone, "seller contact", "the telephone number \"%s\" "
                         "should contain at least three digits.", buf);
            }
            xmlNodePtr mail = en16931_child(contact, "email");
            if (!en16931_text(mail, NULL, buf, sizeof buf))
                ERROR(c, "BR-DE-7", contact, "seller contact", "XRechnung requires the seller "
                      "contact's e-mail address (BT-43).");
            else if (!email_ok(buf))
                WARN(c, "BR-DE-28", mail, "seller contact", "the e-mail address \"%s\" should "
                     "have exactly one @ with a name before it and a domain with a dot after "
                     "it.", buf);
        }
    }
    if (c->buyer && party_has_address(c->buyer)) {
        if (!has_text(c->buyer, "city"))
            ERROR(c, "BR-DE-8", c->buyer, "buyer", "XRechnung requires the buyer's city (BT-52).");
        if (!has_text(c->buyer, "postcode"))
            ERROR(c, "BR-DE-9", c->buyer, "buyer", "XRechnung requires the buyer's post code "
                  "(BT-53).");
    }
    if (c->delivery && party_has_address(c->delivery)) {
        if (!has_text(c->delivery, "city"))
            ERROR(c, "BR-DE-10", c->delivery, "deliver to", "XRechnung requires the deliver-to "
                  "city (BT-77) when a delivery address (BG-15) is given.");
        if (!has_text(c->delivery, "postcode"))
            ERROR(c, "BR-DE-11", c->delivery, "deliver to", "XRechnung requires the deliver-to "
                  "post code (BT-78) when a delivery address (BG-15) is given.");
    }
    for (size_t i = 0; i < v->nbds; i++)
        if (!has_text(v->bds[i].node, "ratePercent"))
            ERROR(c, "BR-DE-14", v->bds[i].node, v->bds[i].where, "XRechnung requires the VAT "
                  "rate (BT-119) in every VAT breakdown, 0 where no VAT is charged.");
    if (!has_reference(c->root, "buyer_reference"))
        ERROR(c, "BR-DE-15", c->root, "document", "XRechnung requires the buyer reference "
              "(BT-10), for public buyers the Leitweg-ID.");
    static const char *const taxed[] = { "S", "Z", "E", "AE", "K", "G", "L", "M", NULL };
    bool uses = false;
    for (size_t i = 0; i < v->nitems && !uses; i++)
        for (const char *const *t = taxed; *t; t++)
            uses |= !strcmp(v->items[i].category, *t);
    if (uses && !party_has_id(c->seller, "vat") && !party_has_id(c->seller, "tax_number") &&
        !c->taxrep)
        ERROR(c, "BR-DE-16", c->seller, "seller", "the invoice uses VAT categories that need "
              "the seller's VAT identifier (BT-31), tax number (BT-32) or a tax representative "
              "(BG-11); add one.");
    type_code(c, code, sizeof code);
    static const char *const types[] = { "326", "380", "384", "389", "381", "875", "876", "877",
                                         NULL };
    bool known = false;
    for (const char *const *t = types; *t; t++)
        known |= !strcmp(code, *t);
    if (!known)
        WARN(c, "BR-DE-17", en16931_child(c->root, "type"), "document", "XRechnung expects the "
             "invoice type code 326, 380, 381, 384, 389, 875, 876 or 877, not \"%s\".", code);
    for (xmlNodePtr t = en16931_child(c->root, "paymentTerms"); t;
         t = en16931_next(t, "paymentTerms"))
        if (en16931_child(t, "text"))
            check_skonto(c, en16931_child(t, "text"));
    en16931_text(en16931_child(c->root, "specification"), NULL, buf, sizeof buf);
    if (strcmp(buf, XR_CIUS) && strcmp(buf, XR_EXT))
        WARN(c, "BR-DE-21", en16931_child(c->root, "specification"), "document", "the "
             "specification identifier (BT-24) should be %s for XRechnung 3.0.", XR_CIUS);
    if (!strcmp(code, "384") && !has_reference(c->root, "invoice"))
        WARN(c, "BR-DE-26", c->root, "document", "a corrected invoice (384) should reference "
             "the invoice it corrects (BG-3).");
    size_t i = 0;
    bool direct_debit = false;
    bool creditor = has_child_where(c->seller, "id", "agency", "SEPA", false);
    for (xmlNodePtr pm = en16931_child(c->root, "paymentMeans"); pm;
         pm = en16931_next(pm, "paymentMeans")) {
        en16931_text(pm, "code", code, sizeof code);
        snprintf(where, sizeof where, "payment means %zu (code %s)", ++i, code);
        bool transfer = en16931_child(pm, "account") != NULL;
        bool card = en16931_child(pm, "cardNumber") || en16931_child(pm, "cardHolder");
        bool debit = en16931_child(pm, "mandate") || en16931_child(pm, "debitedAccount");
        direct_debit |= debit;
        creditor |= has_text(pm, "creditorId");
        if (!strcmp(code, "30") || !strcmp(code, "58")) {
            if (!transfer)
                ERROR(c, "BR-DE-23-a", pm, where, "a credit transfer (code %s) needs the credit "
                      "transfer group (BG-17) with the account.", code);
            if (card || debit)
                ERROR(c, "BR-DE-23-b", pm, where, "a credit transfer (code %s) must not carry "
                      "card (BG-18) or direct debit (BG-19) details.", code);
            for (xmlNodePtr a = en16931_child(pm, "account"); a && !strcmp(code, "58");
                 a = en16931_next(a, "account"))
                if (en16931_text(en16931_child(a, "iban"), NULL, buf, sizeof buf) && !iban_ok(buf))
                    WARN(c, "BR-DE-19", a, where, "\"%s\" is not a valid IBAN (country, check "
                         "digits, account); a SEPA credit transfer should name one.", buf);
        } else if (!strcmp(code, "48") || !strcmp(code, "54") || !strcmp(code, "55")) {
            if (!card)
                ERROR(c, "BR-DE-24-a", pm, where, "a card payment (code %s) needs the card "
                      "group (BG-18).", code);
            if (transfer || debit)
                ERROR(c, "BR-DE-24-b", pm, where, "a card payment (code %s) must not carry "
                      "credit transfer (BG-17) or direct debit (BG-19) details.", code);
        } else if (!strcmp(code, "59")) {
            if (!debit)
                ERROR(c, "BR-DE-25-a", pm, where, "a SEPA direct debit (59) needs the direct "
                      "debit group (BG-19): mandate and debited account.");
            if (transfer || card)
                ERROR(c, "BR-DE-25-b", pm, where, "a SEPA direct debit (59) must not carry "
                      "credit transfer (BG-17) or card (BG-18) details.");
            xmlNodePtr acc = en16931_child(pm, "debitedAccount");
            if (!en16931_text(acc, NULL, buf, sizeof buf) || !iban_ok(buf))
                WARN(c, "BR-DE-20", acc ? acc : pm, where, "the debited account (BT-91) should "
                     "be a valid IBAN for a SEPA direct debit.");
        }
        if (debit && !has_text(pm, "debitedAccount"))
            ERROR(c, "BR-DE-31", pm, where, "a direct debit (BG-19) needs the debited account "
                  "identifier (BT-91).");
    }
    creditor |= has_child_where(c->payee, "id", "agency", "SEPA", false);
    if (direct_debit && !creditor)
        ERROR(c, "BR-DE-30", c->root, "payment", "a direct debit (BG-19) needs the bank "
              "assigned creditor identifier (BT-90).");
}

/* ---- Peppol --------------------------------------------------------------------------- */

static void check_peppol_allowance(chk *c, xmlNodePtr ac, const char *where, decimal slack)
{
    decimal pct, base, amount = ZERO, want;
    bool kp = value(c, en16931_child(ac, "percent"), NULL, where, "the percent", &pct);
    bool kb = value(c, en16931_child(ac, "basisAmount"), NULL, where, "the basis amount", &base);
    value(c, en16931_child(ac, "amount"), NULL, where, "the amount", &amount);
    if (kp && !kb)
        PEPPOL(c, "PEPPOL-EN16931-R041", ac, where, "a percent is given without the basis amount "
               "it applies to; send both or neither.");
    if (kb && !kp)
        PEPPOL(c, "PEPPOL-EN16931-R042", ac, where, "a basis amount is given without the "
               "percent; send both or neither.");
    if (kp && kb && decimal_muldiv(base, pct, HUNDRED, 9, &want) == EDI_OK &&
        !en16931_within(amount, want, slack, true)) {
        char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
        fmt(amount, a, sizeof a);
        round2(want, &want);
        fmt(want, w, sizeof w);
        PEPPOL(c, "PEPPOL-EN16931-R040", en16931_child(ac, "amount"), where, "the amount %s "
               "differs from basis x percent / 100 = %s.", a, w);
    }
}

static void check_peppol_line(chk *c, xmlNodePtr line, size_t index, decimal slack,
                              const char *inv_start, const char *inv_end)
{
    char where[160], start[40], end[40];
    en16931_line_label(line, index, where, sizeof where);
    decimal q = DECIMAL_ONE, p = ZERO, basis = DECIMAL_ONE, amount = ZERO, allow = ZERO,
            charge = ZERO, want;
    xmlNodePtr price = en16931_child(line, "netPrice");
    value(c, en16931_child(line, "quantity"), NULL, where, "the quantity", &q);
    value(c, price, NULL, where, "the net price", &p);
    bool kb = value(c, price, "basisQuantity", where, "the price basis quantity", &basis);
    value(c, en16931_child(line, "lineAmount"), NULL, where, "the net amount", &amount);
    if (kb && basis.units <= 0)
        PEPPOL(c, "PEPPOL-EN16931-R121", price, where, "the price basis quantity (BT-149) must "
               "be greater than zero.");
    if (basis.units == 0)
        basis = DECIMAL_ONE;
    size_t n = 0;
    for (xmlNodePtr ac = en16931_child(line, "allowanceCharge"); ac;
         ac = en16931_next(ac, "allowanceCharge")) {
        char kind[16], aw[224];
        decimal v;
        en16931_text(ac, "kind", kind, sizeof kind);
        snprintf(aw, sizeof aw, "%s allowance/charge %zu", where, ++n);
        decimal *sum = !strcmp(kind, "charge") ? &charge : &allow;
        if (value(c, en16931_child(ac, "amount"), NULL, aw, "the amount", &v))
            decimal_add(*sum, v, sum);
        check_peppol_allowance(c, ac, aw, slack);
    }
    /* R120 is Peppol BIS only: KoSIT's XRechnung schematron does not run it. */
    if (c->peppol_bis && round2(allow, &allow) && round2(charge, &charge) &&
        decimal_muldiv(q, p, basis, 9, &want) == EDI_OK &&
        decimal_add(want, charge, &want) == EDI_OK && decimal_sub(want, allow, &want) == EDI_OK &&
        !en16931_within(amount, want, slack, true)) {
        char a[DECIMAL_TEXT_MAX], w[DECIMAL_TEXT_MAX];
        fmt(amount, a, sizeof a);
        round2(want, &want);
        fmt(want, w, sizeof w);
        PEPPOL(c, "PEPPOL-EN16931-R120", en16931_child(line, "lineAmount"), where, "the net "
               "amount %s differs from quantity x (net price / basis quantity) + charges - "
               "allowances = %s.", a, w);
    }
    if (inv_start[0] && has_date(line, "period_start", start, sizeof start) &&
        strncmp(start, inv_start, 10) < 0)
        PEPPOL(c, "PEPPOL-EN16931-R110", line, where, "the line period starts (%s) before the "
               "invoicing period (%s).", start, inv_start);
    if (inv_end[0] && has_date(line, "period_end", end, sizeof end) &&
        strncmp(end, inv_end, 10) > 0)
        PEPPOL(c, "PEPPOL-EN16931-R111", line, where, "the line period ends (%s) after the "
               "invoicing period (%s).", end, inv_end);
}

static const char PEPPOL_SPEC[] =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";

/* The Peppol rules; `bis`: as Peppol BIS runs them (errors, with R004, R007 and R120),
 * else as KoSIT's XRechnung 3.0 schematron does (warnings, without those three). */
static void check_peppol(chk *c, bool bis)
{
    c->peppol_bis = bis;
    char buf[TEXT_MAX], cur[8], code[16];
    en16931_text(en16931_child(c->root, "currency"), NULL, cur, sizeof cur);
    decimal slack = { .units = strcmp(cur, "HUF") ? 2 : 50, .scale = 2 };
    xmlNodePtr process = en16931_child(c->root, "process");
    if (!en16931_text(process, NULL, buf, sizeof buf))
        PEPPOL(c, "PEPPOL-EN16931-R001", c->root, "document", "the business process (BT-23) "
               "must be given, e.g. urn:fdc:peppol.eu:2017:poacc:billing:01:1.0.");
    else if (bis) {
        const char *pre = "urn:fdc:peppol.eu:2017:poacc:billing:";
        size_t k = strlen(pre);
        if (strncmp(buf, pre, k) || !isdigit((unsigned char)buf[k]) ||
            !isdigit((unsigned char)buf[k + 1]) || strcmp(buf + k + 2, ":1.0"))
            PEPPOL(c, "PEPPOL-EN16931-R007", process, "document", "the business process \"%s\" "
                   "must have the form urn:fdc:peppol.eu:2017:poacc:billing:NN:1.0.", buf);
    }
    if (bis) {
        en16931_text(en16931_child(c->root, "specification"), NULL, buf, sizeof buf);
        if (strcmp(buf, PEPPOL_SPEC))
            PEPPOL(c, "PEPPOL-EN16931-R004", c->root, "document", "the specification identifier "
                   "must be %s, not \"%s\".", PEPPOL_SPEC, buf);
    }
    char taxcur[8];
    if (en16931_text(en16931_child(c->root, "taxCurrency"), NULL, taxcur, sizeof taxcur) &&
        !strcmp(taxcur, cur))
        PEPPOL(c, "PEPPOL-EN16931-R005", en16931_child(c->root, "taxCurrency"), "document", "the "
               "VAT accounting currency (BT-6) must differ from the invoice currency when given.");
    if (!en16931_child(c->buyer, "electronicAddress"))
        PEPPOL(c, "PEPPOL-EN16931-R010", c->buyer ? c->buyer : c->root, "buyer", "the buyer's "
               "electronic address (BT-49) must be given, with its scheme.");
    if (!en16931_child(c->seller, "electronicAddress"))
        PEPPOL(c, "PEPPOL-EN16931-R020", c->seller ? c->seller : c->root, "seller", "the seller's "
               "electronic address (BT-34) must be given, with its scheme.");
    size_t n = 0;
    for (xmlNodePtr pm = en16931_child(c->root, "paymentMeans"); pm;
         pm = en16931_next(pm, "paymentMeans")) {
        n++;
        en16931_text(pm, "code", code, sizeof code);
        if ((!strcmp(code, "49") || !strcmp(code, "59")) && !has_text(pm, "mandate")) {
            char where[64];
            snprintf(where, sizeof where, "payment means %zu (code %s)", n, code);
            PEPPOL(c, "PEPPOL-EN16931-R061", pm, where, "a direct debit needs the mandate "
                   "reference (BT-89).");
        }
    }
    n = 0;
    for (xmlNodePtr ac = en16931_child(c->root, "allowanceCharge"); ac;
         ac = en16931_next(ac, "allowanceCharge")) {
        char where[64];
        snprintf(where, sizeof where, "document allowance/charge %zu", ++n);
        check_peppol_allowance(c, ac, where, slack);
    }
    char start[40], end[40];
    has_date(c->root, "period_start", start, sizeof start);
    has_date(c->root, "period_end", end, sizeof end);
    n = 0;
    for (xmlNodePtr l = en16931_child(c->root, "line"); l; l = en16931_next(l, "line"))
        check_peppol_line(c, l, ++n, slack, start, end);
}

/* ---- the check ------------------------------------------------------------------------ */

edi_result en16931_check(xmlDocPtr invoice, unsigned rulesets, doc_findings *out,
                         char *why, size_t why_n)
{
    xmlNodePtr root = en16931_invoice_root(invoice, out, why, why_n);
    if (!root)
        return EDI_E_ARG;
    chk c = { .root = root, .sets = rulesets, .out = out, .err = EDI_OK };
    c.seller = en16931_party(root, "supplier");
    c.buyer = en16931_party(root, "buyer");
    c.payee = en16931_party(root, "payee");
    c.taxrep = en16931_party(root, "tax_representative");
    c.delivery = en16931_party(root, "delivery");
    vat_view v = { 0 };
    edi_result r = build_view(&c, &v);
    if (r == EDI_OK && (rulesets & EN16931_RULES_CORE)) {
        check_header(&c);
        check_party_basics(&c);
        size_t n = 0;
        for (xmlNodePtr l = en16931_child(root, "line"); l; l = en16931_next(l, "line"))
            check_line(&c, l, ++n);
        n = 0;
        for (xmlNodePtr ac = en16931_child(root, "allowanceCharge"); ac;
             ac = en16931_next(ac, "allowanceCharge")) {
            char kind[16], where[64];
            en16931_text(ac, "kind", kind, sizeof kind);
            snprintf(where, sizeof where, "document %s %zu", kind, ++n);
            check_allowance(&c, ac, false, where);
        }
        check_breakdowns(&c, &v);
        for (size_t i = 0; i < sizeof CATEGORIES / sizeof CATEGORIES[0]; i++)
            check_category(&c, &CATEGORIES[i], &v);
        check_category_extras(&c, &v);
        check_payment(&c, check_totals(&c, &v));
    }
    if (r == EDI_OK && (rulesets & EN16931_RULES_XRECHNUNG))
        check_xrechnung(&c, &v);
    /* KoSIT's XRechnung 3.0 validation runs the Peppol rules too, but not R004/R007. */
    if (r == EDI_OK && (rulesets & (EN16931_RULES_XRECHNUNG | EN16931_RULES_PEPPOL)))
        check_peppol(&c, (rulesets & EN16931_RULES_PEPPOL) != 0);
    free(v.items);
    free(v.bds);
    if (r == EDI_OK)
        r = c.err;
    if (r != EDI_OK)
        edi_say(why, why_n, "out of memory checking the invoice");
    return r;
}
