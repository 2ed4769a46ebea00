/* The EN 16931 business rules (gateway/en16931_rules.h): the hand-written XRechnung invoice
 * tests/corpus/canonical/invoice-xrechnung.xml passes the core, XRechnung and Peppol rules;
 * then, for every rule implemented, one edit of that invoice (nodes removed, texts or
 * attributes set, elements added) breaks it, and the check must report that rule id and no
 * error of any other rule but the ones the same edit necessarily breaks too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "en16931.h"
#include "en16931_rules.h"
#include "mapping.h"
#include "xpath_assert.h"

#define FIXTURE GATEWAY_FORMATS_DIR "/../tests/corpus/canonical/invoice-xrechnung.xml"
#define NS MAPPING_CANONICAL_NS

#define CORE EN16931_RULES_CORE
#define XR (EN16931_RULES_CORE | EN16931_RULES_XRECHNUNG)
#define PEP (EN16931_RULES_CORE | EN16931_RULES_PEPPOL)

#define SUP "//c:party[@role='supplier']"
#define BUY "//c:party[@role='buyer']"
#define DAL "/c:invoice/c:allowanceCharge[@kind='allowance']"
#define DCH "/c:invoice/c:allowanceCharge[@kind='charge']"
#define L1 "/c:invoice/c:line[1]"
#define L2 "/c:invoice/c:line[2]"
#define T1 "/c:invoice/c:tax[1]"
#define T2 "/c:invoice/c:tax[2]"
#define TOT "/c:invoice/c:totals"
#define PM "/c:invoice/c:paymentMeans"
#define PEPPOL_SPEC "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"

typedef enum { END = 0, DEL, SET, ATTR, ADD } op_kind;

typedef struct {
    op_kind kind;
    const char *xpath;
    const char *arg;   /* SET: the text; ATTR: "name=value" ("name=" removes); ADD: XML */
} op;

typedef struct {
    const char *expect;    /* the rule(s) that must be reported, blank separated */
    unsigned sets;
    const char *base;      /* NULL, or the VAT category line 20 and its breakdown become */
    const char *also;      /* errors the same edit cannot help breaking, blank separated */
    op ops[5];
} rule_case;

static xmlDocPtr load(void)
{
    xmlDocPtr d = xmlReadFile(FIXTURE, NULL, XML_PARSE_NONET);
    if (!d)
        fail_msg("cannot read %s", FIXTURE);
    return d;
}

static void apply(xmlDocPtr d, const op *o)
{
    xmlXPathObjectPtr r = xpath_eval(d, o->xpath);
    int n = r->nodesetval ? r->nodesetval->nodeNr : 0;
    if (n == 0)
        fail_msg("the edit %s selects nothing", o->xpath);
    for (int i = 0; i < n; i++) {
        xmlNodePtr node = r->nodesetval->nodeTab[i];
        if (o->kind == DEL) {
            xmlUnlinkNode(node);
            xmlFreeNode(node);
        } else if (o->kind == SET) {
            xmlNodeSetContent(node, BAD_CAST o->arg);
        } else if (o->kind == ATTR) {
            char name[64];
            const char *eq = strchr(o->arg, '=');
            snprintf(name, sizeof name, "%.*s", (int)(eq - o->arg), o->arg);
            if (eq[1])
                xmlSetProp(node, BAD_CAST name, BAD_CAST(eq + 1));
            else
                xmlUnsetProp(node, BAD_CAST name);
        } else {
            char xml[1024];
            snprintf(xml, sizeof xml, "<w xmlns='%s'>%s</w>", NS, o->arg);
            xmlDocPtr f = xmlReadMemory(xml, (int)strlen(xml), "add.xml", NULL, XML_PARSE_NONET);
            assert_non_null(f);
            for (xmlNodePtr c = xmlDocGetRootElement(f)->children; c; c = c->next)
                xmlAddChild(node, xmlDocCopyNode(c, d, 1));
            xmlFreeDoc(f);
        }
    }
    xmlXPathFreeObject(r);
}

/* Line 20 and the 7 % breakdown become VAT category `cat` at rate 0 (none for O), with an
 * exemption reason where the category needs one, and the totals follow. */
static void to_category(xmlDocPtr d, const char *cat)
{
    bool reason = strcmp(cat, "Z") != 0;
    const op ops[] = {
        { SET, L2 "/c:tax/c:category", cat },   { SET, L2 "/c:tax/c:ratePercent", "0" },
        { SET, T2 "/c:category", cat },         { SET, T2 "/c:ratePercent", "0" },
        { SET, T2 "/c:amount", "0.00" },        { SET, TOT "/c:taxTotal", "43.80" },
        { SET, TOT "/c:grandTotal", "290.10" }, { SET, TOT "/c:payableAmount", "290.10" },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        apply(d, &ops[i]);
    if (reason) {
        const op r = { ADD, T2, "<exemptionReason>Steuerbefreit</exemptionReason>" };
        apply(d, &r);
    }
    if (!strcmp(cat, "AE") || !strcmp(cat, "K")) {
        const op b = { ADD, BUY, "<id scheme='vat'>ATU12345678</id>" };
        apply(d, &b);
    }
    if (!strcmp(cat, "K")) {
        const op dp = { ADD, "/c:invoice", "<party role='delivery'><city>Wien</city>"
                                           "<postcode>1010</postcode><country>AT</country></party>" };
        apply(d, &dp);
    }
}

static bool listed(const char *list, const char *rule)
{
    size_t n = strlen(rule);
    for (const char *p = list ? strstr(list, rule) : NULL; p; p = strstr(p + 1, rule))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static void run_case(const rule_case *rc)
{
    xmlDocPtr d = load();
    if (rc->base)
        to_category(d, rc->base);
    for (const op *o = rc->ops; o->kind != END; o++)
        apply(d, o);
    doc_findings f = { 0 };
    char why[256] = "";
    assert_int_equal(en16931_check(d, rc->sets, &f, why, sizeof why), EDI_OK);
    char want[160];
    snprintf(want, sizeof want, "%s", rc->expect);
    bool ok = true;
    for (char *save = NULL, *r = strtok_r(want, " ", &save); r; r = strtok_r(NULL, " ", &save))
        if (!doc_findings_has(&f, r)) {
            fprintf(stderr, "case %s: %s not reported\n", rc->expect, r);
            ok = false;
        }
    for (size_t i = 0; i < f.count; i++) {
        const doc_finding *x = &f.items[i];
        if (x->severity == DOC_ERROR && !listed(rc->expect, x->rule) && !listed(rc->also, x->rule)) {
            fprintf(stderr, "case %s: unexpected %s at %s: %s\n", rc->expect, x->rule, x->where,
                    x->text);
            ok = false;
        }
        if (listed(rc->expect, x->rule) && (!x->where[0] || !x->text[0])) {
            fprintf(stderr, "case %s: finding without place or text\n", rc->expect);
            ok = false;
        }
    }
    doc_findings_free(&f);
    xmlFreeDoc(d);
    if (!ok)
        fail_msg("case %s failed", rc->expect);
}

static const rule_case CASES[] = {
    /* mandatory document fields */
    { "BR-01", XR, NULL, NULL, { { DEL, "//c:specification", NULL } } },
    { "BR-02", XR, NULL, NULL, { { SET, "/c:invoice/c:number", " " } } },
    { "BR-03", XR, NULL, NULL, { { DEL, "/c:invoice/c:date[@role='document']", NULL } } },
    { "BR-04", XR, NULL, NULL, { { DEL, "/c:invoice/c:type", NULL } } },
    { "BR-05", XR, NULL, NULL, { { DEL, "/c:invoice/c:currency", NULL } } },
    { "BR-06", XR, NULL, NULL, { { DEL, SUP "/c:name", NULL } } },
    { "BR-07", XR, NULL, NULL, { { DEL, BUY "/c:name", NULL } } },
    { "BR-08", XR, NULL, NULL, { { DEL, SUP "/c:street | " SUP "/c:postcode | " SUP "/c:city | "
                                   SUP "/c:country", NULL } } },
    { "BR-09", XR, NULL, NULL, { { DEL, SUP "/c:country", NULL } } },
    { "BR-10", XR, NULL, NULL, { { DEL, BUY "/c:street | " BUY "/c:postcode | " BUY "/c:city | "
                                   BUY "/c:country", NULL } } },
    { "BR-11", XR, NULL, NULL, { { DEL, BUY "/c:country", NULL } } },
    { "BR-12", XR, NULL, NULL, { { DEL, TOT "/c:lineAmountTotal", NULL } } },
    { "BR-13", XR, NULL, NULL, { { DEL, TOT "/c:taxBasisTotal", NULL } } },
    { "BR-14", XR, NULL, NULL, { { DEL, TOT "/c:grandTotal", NULL } } },
    { "BR-15", XR, NULL, NULL, { { DEL, TOT "/c:payableAmount", NULL } } },
    { "BR-16", XR, NULL, "BR-CO-10 BR-S-08", { { DEL, "/c:invoice/c:line", NULL } } },
    { "BR-17", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='payee'><id scheme='other'>P1</id></party>" } } },
    { "BR-18", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='tax_representative'>"
        "<id scheme='vat'>DE999999999</id><city>Bonn</city><country>DE</country></party>" } } },
    { "BR-19", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='tax_representative'>"
        "<id scheme='vat'>DE999999999</id><name>Rep</name></party>" } } },
    { "BR-20", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='tax_representative'>"
        "<id scheme='vat'>DE999999999</id><name>Rep</name><city>Bonn</city></party>" } } },
    { "BR-56", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='tax_representative'>"
        "<name>Rep</name><city>Bonn</city><country>DE</country></party>" } } },
    { "BR-57", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='delivery'><city>Bonn</city>"
        "<postcode>53111</postcode></party>" } } },
    /* lines */
    { "BR-21", XR, NULL, NULL, { { SET, L1 "/c:number", " " } } },
    { "BR-22", XR, NULL, "BR-23 PEPPOL-EN16931-R120", { { DEL, L1 "/c:quantity", NULL } } },
    { "BR-23", XR, NULL, NULL, { { ATTR, L1 "/c:quantity", "unit=" } } },
    { "BR-24", XR, NULL, "BR-CO-10 BR-S-08 PEPPOL-EN16931-R120", { { DEL, L2 "/c:lineAmount", NULL } } },
    { "BR-25", XR, NULL, NULL, { { DEL, L1 "/c:description", NULL } } },
    { "BR-26", XR, NULL, "PEPPOL-EN16931-R120", { { DEL, L2 "/c:netPrice", NULL } } },
    { "BR-27", XR, NULL, "PEPPOL-EN16931-R120", { { SET, L1 "/c:netPrice", "-25.00" } } },
    { "BR-28", XR, NULL, NULL, { { SET, L1 "/c:grossPrice", "-26.00" } } },
    { "BR-29", XR, NULL, "PEPPOL-EN16931-R111", { { SET, "/c:invoice/c:date[@role='period_end']", "2026-10-31" } } },
    { "BR-30", XR, NULL, NULL, { { SET, L1 "/c:date[@role='period_end']", "2026-10-15" } } },
    { "BR-CO-04", XR, NULL, "BR-S-08", { { DEL, L1 "/c:tax", NULL } } },
    { "BR-54", XR, NULL, NULL, { { ADD, L1, "<attribute><name>Farbe</name><value/></attribute>" } } },
    { "BR-65", XR, NULL, NULL, { { ADD, L1, "<classification>44121600</classification>" } } },
    { "BR-DEC-23", XR, NULL, NULL, { { SET, L2 "/c:lineAmount", "15.800" } } },
    /* allowances and charges */
    { "BR-31", XR, NULL, "BR-CO-11 BR-S-08 PEPPOL-EN16931-R040", { { DEL, DAL "/c:amount", NULL } } },
    { "BR-32", XR, NULL, "BR-S-08", { { DEL, DAL "/c:tax", NULL } } },
    { "BR-33 BR-CO-21", XR, NULL, NULL, { { DEL, DAL "/c:reason", NULL } } },
    { "BR-36", XR, NULL, "BR-CO-12 BR-S-08", { { DEL, DCH "/c:amount", NULL } } },
    { "BR-37", XR, NULL, "BR-S-08", { { DEL, DCH "/c:tax", NULL } } },
    { "BR-38 BR-CO-22", XR, NULL, NULL, { { DEL, DCH "/c:reason", NULL } } },
    { "BR-41", XR, NULL, "PEPPOL-EN16931-R120", { { DEL, L1 "/c:allowanceCharge/c:amount", NULL } } },
    { "BR-42 BR-CO-23", XR, NULL, NULL, { { DEL, L1 "/c:allowanceCharge/c:reason", NULL } } },
    { "BR-43", XR, NULL, NULL, { { ADD, L2, "<allowanceCharge kind='charge'><reason>Zuschnitt</reason></allowanceCharge>" } } },
    { "BR-44 BR-CO-24", XR, NULL, NULL, { { ADD, L2, "<allowanceCharge kind='charge'><amount>0.00</amount></allowanceCharge>" } } },
    { "BR-DEC-01", XR, NULL, NULL, { { SET, DAL "/c:amount", "24.500" } } },
    { "BR-DEC-24", XR, NULL, NULL, { { SET, L1 "/c:allowanceCharge/c:amount", "5.000" } } },
    /* VAT breakdown */
    { "BR-45", XR, NULL, NULL, { { DEL, T1 "/c:basisAmount", NULL } } },
    { "BR-46", XR, NULL, "BR-CO-14", { { DEL, T1 "/c:amount", NULL } } },
    { "BR-47", XR, NULL, NULL, { { DEL, T2 "/c:category", NULL } } },
    { "BR-48", XR, NULL, "BR-DE-14 BR-CO-17 BR-S-08", { { DEL, T2 "/c:ratePercent", NULL } } },
    { "BR-DEC-19", XR, NULL, NULL, { { SET, T2 "/c:basisAmount", "15.800" } } },
    { "BR-CO-17", XR, NULL, "BR-CO-14 BR-S-09", { { SET, T1 "/c:amount", "45.00" } } },
    { "BR-CO-18 BR-S-01", XR, NULL, NULL, { { DEL, "/c:invoice/c:tax", NULL } } },
    /* payment */
    { "BR-49", XR, NULL, NULL, { { ATTR, PM, "code= " } } },
    { "BR-50", XR, NULL, "BR-61", { { SET, PM "/c:account/c:iban", " " } } },
    { "BR-61", XR, NULL, "BR-DE-23-a", { { DEL, PM "/c:account", NULL } } },
    { "BR-51", XR, NULL, NULL, { { ATTR, PM, "code=48" }, { DEL, PM "/c:account", NULL },
                                 { ADD, PM, "<cardNumber>4111111111111111</cardNumber>" } } },
    { "BR-66", XR, NULL, NULL, { { ADD, "/c:invoice", "<paymentMeans code='48'><cardNumber>1234</cardNumber></paymentMeans>"
                                   "<paymentMeans code='48'><cardNumber>5678</cardNumber></paymentMeans>" } } },
    { "BR-67", XR, NULL, NULL, { { ADD, "/c:invoice",
        "<paymentMeans code='59'><mandate>M1</mandate><creditorId>DE98ZZZ09999999999</creditorId>"
        "<debitedAccount>DE89370400440532013000</debitedAccount></paymentMeans>"
        "<paymentMeans code='59'><mandate>M2</mandate><creditorId>DE98ZZZ09999999999</creditorId>"
        "<debitedAccount>DE89370400440532013000</debitedAccount></paymentMeans>" } } },
    { "BR-CO-25", XR, NULL, NULL, { { DEL, "/c:invoice/c:date[@role='due'] | /c:invoice/c:paymentTerms", NULL } } },
    /* other document rules */
    { "BR-53", XR, NULL, NULL, { { ADD, "/c:invoice", "<taxCurrency>USD</taxCurrency>" } } },
    { "BR-55", XR, NULL, NULL, { { ADD, "/c:invoice", "<reference kind='invoice'> </reference>" } } },
    { "BR-62", XR, NULL, NULL, { { ATTR, SUP "/c:electronicAddress", "scheme=" } } },
    { "BR-63", XR, NULL, NULL, { { ATTR, BUY "/c:electronicAddress", "scheme=" } } },
    { "BR-CO-09", XR, NULL, NULL, { { SET, SUP "/c:id[@scheme='vat']", "123456789" } } },
    { "BR-CO-26", XR, NULL, "BR-S-02 BR-S-03 BR-S-04 BR-DE-16", { { DEL, SUP "/c:id", NULL } } },
    /* totals */
    { "BR-CO-10", XR, NULL, "BR-CO-13", { { SET, TOT "/c:lineAmountTotal", "270.80" } } },
    { "BR-CO-11", XR, NULL, "BR-CO-13", { { SET, TOT "/c:allowanceTotal", "25.00" } } },
    { "BR-CO-12", XR, NULL, "BR-CO-13", { { SET, TOT "/c:chargeTotal", "11.00" } } },
    { "BR-CO-13", XR, NULL, "BR-CO-15", { { SET, TOT "/c:taxBasisTotal", "246.31" } } },
    { "BR-CO-14", XR, NULL, "BR-CO-15", { { SET, TOT "/c:taxTotal", "44.92" } } },
    { "BR-CO-15", XR, NULL, "BR-CO-16", { { SET, TOT "/c:grandTotal", "291.22" } } },
    { "BR-CO-16", XR, NULL, NULL, { { SET, TOT "/c:payableAmount", "291.20" } } },
    { "BR-DEC-09", XR, NULL, NULL, { { SET, TOT "/c:lineAmountTotal", "260.800" } } },
    /* standard rated */
    { "BR-S-02 BR-S-03 BR-S-04", XR, NULL, "BR-DE-16", { { DEL, SUP "/c:id[@scheme='vat']", NULL } } },
    { "BR-S-05", XR, NULL, "BR-S-08", { { SET, L2 "/c:tax/c:ratePercent", "0" } } },
    { "BR-S-06", XR, NULL, "BR-S-08", { { SET, DAL "/c:tax/c:ratePercent", "0" } } },
    { "BR-S-07", XR, NULL, "BR-S-08", { { SET, DCH "/c:tax/c:ratePercent", "0" } } },
    /* the tolerance is less than 1: 16.80 against 15.80 is too far */
    { "BR-S-08", XR, NULL, NULL, { { SET, T2 "/c:basisAmount", "16.80" } } },
    { "BR-S-09", XR, NULL, "BR-CO-17 BR-CO-14", { { SET, T2 "/c:amount", "2.20" } } },
    { "BR-S-10", XR, NULL, NULL, { { ADD, T1, "<exemptionReason>frei</exemptionReason>" } } },
    /* zero rated, exempt, reverse charge, intra-community, export */
    { "BR-Z-01", XR, "Z", "BR-Z-08", { { ADD, "/c:invoice", "<tax><category>Z</category><ratePercent>0</ratePercent>"
                                          "<basisAmount>0.00</basisAmount><amount>0.00</amount></tax>" } } },
    { "BR-Z-02", XR, "Z", "BR-S-02 BR-S-03 BR-S-04 BR-DE-16", { { DEL, SUP "/c:id[@scheme='vat']", NULL } } },
    { "BR-Z-05", XR, "Z", NULL, { { SET, L2 "/c:tax/c:ratePercent", "7" } } },
    { "BR-Z-08", XR, "Z", NULL, { { SET, T2 "/c:basisAmount", "15.81" } } },
    { "BR-Z-09", XR, "Z", "BR-CO-14", { { SET, T2 "/c:amount", "0.01" } } },
    { "BR-Z-10", XR, "Z", NULL, { { ADD, T2, "<exemptionCode>VATEX-EU-O</exemptionCode>" } } },
    { "BR-E-01", XR, "E", "BR-E-08", { { ADD, "/c:invoice", "<tax><category>E</category><ratePercent>0</ratePercent>"
                                          "<basisAmount>0.00</basisAmount><amount>0.00</amount><exemptionReason>x</exemptionReason></tax>" } } },
    { "BR-E-02", XR, "E", "BR-S-02 BR-S-03 BR-S-04 BR-DE-16", { { DEL, SUP "/c:id[@scheme='vat']", NULL } } },
    { "BR-E-05", XR, "E", NULL, { { SET, L2 "/c:tax/c:ratePercent", "7" } } },
    { "BR-E-06", XR, "E", "BR-E-08 BR-S-08", { { SET, DAL "/c:tax/c:category", "E" } } },
    { "BR-E-07", XR, "E", "BR-E-08 BR-S-08", { { SET, DCH "/c:tax/c:category", "E" } } },
    { "BR-E-08", XR, "E", NULL, { { SET, T2 "/c:basisAmount", "15.81" } } },
    { "BR-E-09", XR, "E", "BR-CO-14", { { SET, T2 "/c:amount", "0.01" } } },
    { "BR-E-10", XR, "E", NULL, { { DEL, T2 "/c:exemptionReason", NULL } } },
    { "BR-AE-01", XR, "AE", "BR-AE-08", { { ADD, "/c:invoice", "<tax><category>AE</category><ratePercent>0</ratePercent>"
                                          "<basisAmount>0.00</basisAmount><amount>0.00</amount><exemptionReason>x</exemptionReason></tax>" } } },
    { "BR-AE-02", XR, "AE", NULL, { { DEL, BUY "/c:id[@scheme='vat']", NULL } } },
    { "BR-AE-05", XR, "AE", NULL, { { SET, L2 "/c:tax/c:ratePercent", "7" } } },
    { "BR-AE-08", XR, "AE", NULL, { { SET, T2 "/c:basisAmount", "15.81" } } },
    { "BR-AE-09", XR, "AE", "BR-CO-14", { { SET, T2 "/c:amount", "0.01" } } },
    { "BR-AE-10", XR, "AE", NULL, { { DEL, T2 "/c:exemptionReason", NULL } } },
    { "BR-IC-02", XR, "K", NULL, { { DEL, BUY "/c:id[@scheme='vat']", NULL } } },
    { "BR-IC-05", XR, "K", NULL, { { SET, L2 "/c:tax/c:ratePercent", "7" } } },
    { "BR-IC-10", XR, "K", NULL, { { DEL, T2 "/c:exemptionReason", NULL } } },
    { "BR-IC-11", XR, "K", NULL, { { DEL, "/c:invoice/c:date[@role='period_start' or @role='period_end']", NULL } } },
    { "BR-IC-12", XR, "K", "BR-57", { { DEL, "//c:party[@role='delivery']/c:country", NULL } } },
    { "BR-G-02", XR, "G", "BR-S-02 BR-S-03 BR-S-04", { { DEL, SUP "/c:id[@scheme='vat']", NULL },
                                                       { ADD, SUP, "<id scheme='tax_number'>12/345/67890</id>" } } },
    { "BR-G-05", XR, "G", NULL, { { SET, L2 "/c:tax/c:ratePercent", "7" } } },
    { "BR-G-10", XR, "G", NULL, { { DEL, T2 "/c:exemptionReason", NULL } } },
    /* not subject to VAT mixed with standard rated breaks O-11..14 and O-02 */
    { "BR-O-02 BR-O-11 BR-O-12 BR-O-13 BR-O-14", XR, "O", "BR-DE-14 BR-O-05",
      { { DEL, T2 "/c:ratePercent", NULL } } },
    { "BR-O-05", XR, "O", "BR-O-02 BR-O-11 BR-O-12 BR-O-13 BR-O-14 BR-DE-14",
      { { DEL, T2 "/c:ratePercent", NULL } } },
    /* XRechnung */
    { "BR-DE-1", XR, NULL, NULL, { { DEL, PM, NULL } } },
    { "BR-DE-2", XR, NULL, NULL, { { DEL, SUP "/c:contact", NULL } } },
    { "BR-DE-3", XR, NULL, NULL, { { DEL, SUP "/c:city", NULL } } },
    { "BR-DE-4", XR, NULL, NULL, { { DEL, SUP "/c:postcode", NULL } } },
    { "BR-DE-5", XR, NULL, NULL, { { DEL, SUP "/c:contact/c:name", NULL } } },
    { "BR-DE-6", XR, NULL, NULL, { { DEL, SUP "/c:contact/c:phone", NULL } } },
    { "BR-DE-7", XR, NULL, NULL, { { DEL, SUP "/c:contact/c:email", NULL } } },
    { "BR-DE-8", XR, NULL, NULL, { { DEL, BUY "/c:city", NULL } } },
    { "BR-DE-9", XR, NULL, NULL, { { DEL, BUY "/c:postcode", NULL } } },
    { "BR-DE-10", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='delivery'><postcode>1</postcode><country>DE</country></party>" } } },
    { "BR-DE-11", XR, NULL, NULL, { { ADD, "/c:invoice", "<party role='delivery'><city>Bonn</city><country>DE</country></party>" } } },
    { "BR-DE-14", XR, NULL, "BR-48 BR-CO-17 BR-S-08", { { DEL, T2 "/c:ratePercent", NULL } } },
    { "BR-DE-15", XR, NULL, NULL, { { DEL, "/c:invoice/c:reference[@kind='buyer_reference']", NULL } } },
    { "BR-DE-16", XR, NULL, "BR-S-02 BR-S-03 BR-S-04", { { DEL, SUP "/c:id[@scheme='vat']", NULL } } },
    { "BR-DE-17", XR, NULL, NULL, { { ATTR, "/c:invoice/c:type", "code=393" } } },
    { "BR-DE-18", XR, NULL, NULL, { { SET, "//c:paymentTerms/c:text", "#SKONTO#TAGE=14#PROZENT=2#\n" } } },
    { "BR-DE-18", XR, NULL, NULL, { { SET, "//c:paymentTerms/c:text", "#SKONTO#TAGE=14#PROZENT=2.00#" } } },
    { "BR-DE-19", XR, NULL, NULL, { { SET, PM "/c:account/c:iban", "DE89370400440532013001" } } },
    { "BR-DE-21", XR, NULL, NULL, { { SET, "//c:specification", "urn:cen.eu:en16931:2017" } } },
    { "BR-DE-23-a", XR, NULL, "BR-61", { { DEL, PM "/c:account", NULL } } },
    { "BR-DE-23-b", XR, NULL, "BR-DE-30 BR-DE-31", { { ADD, PM, "<mandate>M1</mandate>" } } },
    { "BR-DE-24-a", XR, NULL, NULL, { { ATTR, PM, "code=48" }, { DEL, PM "/c:account", NULL } } },
    { "BR-DE-24-b", XR, NULL, NULL, { { ATTR, PM, "code=48" }, { ADD, PM, "<cardNumber>1234</cardNumber>" } } },
    { "BR-DE-25-a", XR, NULL, "PEPPOL-EN16931-R061", { { ATTR, PM, "code=59" }, { DEL, PM "/c:account", NULL } } },
    { "BR-DE-25-b", XR, NULL, NULL, { { ATTR, PM, "code=59" }, { ADD, PM, "<mandate>M1</mandate>"
        "<creditorId>DE98ZZZ09999999999</creditorId><debitedAccount>DE89370400440532013000</debitedAccount>" } } },
    { "BR-DE-20", XR, NULL, NULL, { { ATTR, PM, "code=59" }, { DEL, PM "/c:account", NULL }, { ADD, PM, "<mandate>M1</mandate>"
        "<creditorId>DE98ZZZ09999999999</creditorId><debitedAccount>DE89370400440532013001</debitedAccount>" } } },
    { "BR-DE-26", XR, NULL, NULL, { { ATTR, "/c:invoice/c:type", "code=384" } } },
    { "BR-DE-27", XR, NULL, NULL, { { SET, SUP "/c:contact/c:phone", "12" } } },
    { "BR-DE-28", XR, NULL, NULL, { { SET, SUP "/c:contact/c:email", "buchhaltung@example" } } },
    { "BR-DE-30", XR, NULL, NULL, { { ATTR, PM, "code=59" }, { DEL, PM "/c:account", NULL }, { ADD, PM,
        "<mandate>M1</mandate><debitedAccount>DE89370400440532013000</debitedAccount>" } } },
    { "BR-DE-31", XR, NULL, NULL, { { ATTR, PM, "code=59" }, { DEL, PM "/c:account", NULL }, { ADD, PM,
        "<mandate>M1</mandate><creditorId>DE98ZZZ09999999999</creditorId>" } } },
    /* Peppol */
    { "PEPPOL-EN16931-R001", XR, NULL, NULL, { { DEL, "//c:process", NULL } } },
    { "PEPPOL-EN16931-R004", PEP, NULL, NULL, { { END, NULL, NULL } } },
    { "PEPPOL-EN16931-R007", PEP, NULL, NULL, { { SET, "//c:specification", PEPPOL_SPEC },
        { SET, "//c:process", "urn:fdc:peppol.eu:2017:poacc:billing:1:1.0" } } },
    { "PEPPOL-EN16931-R005", XR, NULL, NULL, { { ADD, "/c:invoice", "<taxCurrency>EUR</taxCurrency>" },
        { ADD, TOT, "<taxTotalInTaxCurrency>44.91</taxTotalInTaxCurrency>" } } },
    { "PEPPOL-EN16931-R010", XR, NULL, NULL, { { DEL, BUY "/c:electronicAddress", NULL } } },
    { "PEPPOL-EN16931-R020", XR, NULL, NULL, { { DEL, SUP "/c:electronicAddress", NULL } } },
    { "PEPPOL-EN16931-R040", XR, NULL, "BR-CO-11", { { SET, DAL "/c:amount", "24.60" } } },
    { "PEPPOL-EN16931-R041", XR, NULL, NULL, { { DEL, DAL "/c:basisAmount", NULL } } },
    { "PEPPOL-EN16931-R042", XR, NULL, NULL, { { DEL, DAL "/c:percent", NULL } } },
    { "PEPPOL-EN16931-R061", XR, NULL, NULL, { { ATTR, PM, "code=59" }, { DEL, PM "/c:account", NULL }, { ADD, PM,
        "<creditorId>DE98ZZZ09999999999</creditorId><debitedAccount>DE89370400440532013000</debitedAccount>" } } },
    { "PEPPOL-EN16931-R110", XR, NULL, NULL, { { SET, L1 "/c:date[@role='period_start']", "2026-10-01" } } },
    { "PEPPOL-EN16931-R111", XR, NULL, NULL, { { SET, L1 "/c:date[@role='period_end']", "2026-12-01" } } },
    /* R120 is Peppol BIS only (KoSIT's XRechnung schematron does not run it) */
    { "PEPPOL-EN16931-R120", PEP, NULL, "BR-CO-10", { { SET, "//c:specification", PEPPOL_SPEC },
        { SET, L2 "/c:lineAmount", "15.90" } } },
    { "PEPPOL-EN16931-R121", XR, NULL, "PEPPOL-EN16931-R120", { { ATTR, L2 "/c:netPrice", "basisQuantity=0" } } },
};

static void the_fixture_is_clean(void **state)
{
    (void)state;
    static const struct { unsigned sets; const op edit; } runs[] = {
        { XR, { END, NULL, NULL } },
        { PEP, { SET, "//c:specification", PEPPOL_SPEC } },
    };
    for (size_t i = 0; i < 2; i++) {
        xmlDocPtr d = load();
        if (runs[i].edit.kind != END)
            apply(d, &runs[i].edit);
        doc_findings f = { 0 };
        char why[256] = "";
        assert_int_equal(en16931_check(d, runs[i].sets, &f, why, sizeof why), EDI_OK);
        if (f.count)
            doc_findings_print(&f, stderr, false, "clean");
        assert_int_equal(f.count, 0);
        doc_findings_free(&f);
        xmlFreeDoc(d);
    }
    /* and so are its variants with another VAT category on line 20 (O cannot mix) */
    static const char *const cats[] = { "Z", "E", "AE", "K", "G" };
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) {
        xmlDocPtr d = load();
        to_category(d, cats[i]);
        doc_findings f = { 0 };
        char why[256] = "";
        assert_int_equal(en16931_check(d, XR, &f, why, sizeof why), EDI_OK);
        if (doc_findings_count(&f, DOC_ERROR))
            doc_findings_print(&f, stderr, false, cats[i]);
        assert_int_equal(doc_findings_count(&f, DOC_ERROR), 0);
        doc_findings_free(&f);
        xmlFreeDoc(d);
    }
}

static void each_rule_is_reported(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        run_case(&CASES[i]);
}

/* Check `d` with `sets`; the caller frees the findings. */
static doc_findings check(xmlDocPtr d, unsigned sets)
{
    doc_findings f = { 0 };
    char why[256] = "";
    assert_int_equal(en16931_check(d, sets, &f, why, sizeof why), EDI_OK);
    return f;
}

/* The fixture after `ops` (up to 4, END-terminated), checked with `sets`. */
static doc_findings check_edit(unsigned sets, const op *ops)
{
    xmlDocPtr d = load();
    for (const op *o = ops; o->kind != END; o++)
        apply(d, o);
    doc_findings f = check(d, sets);
    xmlFreeDoc(d);
    return f;
}

/* Details of the official rules that real invoices showed (tests/unit/test_en16931_samples.c). */
static void official_rule_details(void **state)
{
    (void)state;
    /* KoSIT's XRechnung schematron runs the Peppol rules as warnings, Peppol BIS as errors */
    const op no_address[] = { { DEL, BUY "/c:electronicAddress", NULL }, { END, NULL, NULL } };
    doc_findings f = check_edit(XR, no_address);
    assert_true(doc_findings_has(&f, "PEPPOL-EN16931-R010"));
    assert_int_equal(doc_findings_count(&f, DOC_ERROR), 0);
    doc_findings_free(&f);
    const op no_address_bis[] = { { DEL, BUY "/c:electronicAddress", NULL },
                                  { SET, "//c:specification", PEPPOL_SPEC }, { END, NULL, NULL } };
    f = check_edit(PEP, no_address_bis);
    assert_int_equal(doc_findings_count(&f, DOC_ERROR), 1);
    assert_true(doc_findings_has(&f, "PEPPOL-EN16931-R010"));
    doc_findings_free(&f);
    /* ... and without R120 */
    const op line_amount[] = { { SET, L2 "/c:lineAmount", "15.90" }, { END, NULL, NULL } };
    f = check_edit(XR, line_amount);
    assert_false(doc_findings_has(&f, "PEPPOL-EN16931-R120"));
    assert_true(doc_findings_has(&f, "BR-CO-10"));
    doc_findings_free(&f);
    /* BR-DE-5: a department is a contact point too */
    const op department[] = { { DEL, SUP "/c:contact/c:name", NULL },
                              { ADD, SUP "/c:contact", "<department>Buchhaltung</department>" },
                              { END, NULL, NULL } };
    f = check_edit(XR, department);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
    /* BR-53: a VAT accounting currency equal to the invoice currency is served by BT-110
     * (Peppol R005 still warns about it) */
    const op same_currency[] = { { ADD, "/c:invoice", "<taxCurrency>EUR</taxCurrency>" },
                                 { END, NULL, NULL } };
    f = check_edit(CORE, same_currency);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
    /* BR-67: the one mandate repeated in two payment means (as the CII mapping writes it) */
    const op one_mandate[] = { { ADD, "/c:invoice",
        "<paymentMeans code='59'><mandate>M1</mandate>"
        "<debitedAccount>DE89370400440532013000</debitedAccount></paymentMeans>"
        "<paymentMeans code='49'><mandate>M1</mandate>"
        "<debitedAccount>DE89370400440532013000</debitedAccount></paymentMeans>" },
        { END, NULL, NULL } };
    f = check_edit(CORE, one_mandate);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
    /* BR-CO-25 binds a UBL Invoice and every CII document, not a UBL CreditNote */
    const op ubl_cn[] = { { DEL, "/c:invoice/c:date[@role='due'] | /c:invoice/c:paymentTerms", NULL },
                          { ATTR, "/c:invoice", "source=UBL CreditNote urn:cen.eu:en16931:2017" },
                          { END, NULL, NULL } };
    f = check_edit(CORE, ubl_cn);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
    const op cii_cn[] = { { DEL, "/c:invoice/c:date[@role='due'] | /c:invoice/c:paymentTerms", NULL },
                          { ATTR, "/c:invoice", "source=CII CrossIndustryInvoice urn:cen.eu:en16931:2017" },
                          { SET, "/c:invoice/c:type", "credit_note" },
                          { ATTR, "/c:invoice/c:type", "code=381" }, { END, NULL, NULL } };
    f = check_edit(CORE, cii_cn);
    assert_true(doc_findings_has(&f, "BR-CO-25"));
    doc_findings_free(&f);
    /* BR-DEX-09: third party payments of the XRechnung extension are due too */
    static const char third[] = "<extension source='ubl'><cac:PrepaidPayment "
        "xmlns:cac='urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2' "
        "xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>"
        "<cbc:ID>MobilesBezahlen</cbc:ID><cbc:PaidAmount>19.96</cbc:PaidAmount>"
        "<cbc:InstructionID>Anbieter A</cbc:InstructionID></cac:PrepaidPayment></extension>";
    const op paid_by_third[] = { { ADD, "/c:invoice", third },
                                 { SET, TOT "/c:payableAmount", "311.17" }, { END, NULL, NULL } };
    f = check_edit(XR, paid_by_third);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
    const op unpaid[] = { { ADD, "/c:invoice", third }, { END, NULL, NULL } };
    f = check_edit(XR, unpaid);
    assert_true(doc_findings_has(&f, "BR-DEX-09"));
    assert_false(doc_findings_has(&f, "BR-CO-16"));
    doc_findings_free(&f);
    /* a quantity with more than 9 decimals, all trailing zeros, is a number */
    const op long_quantity[] = { { SET, L1 "/c:quantity", "10.000000000000" }, { END, NULL, NULL } };
    f = check_edit(XR, long_quantity);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
}

static void rulesets_are_separate(void **state)
{
    (void)state;
    /* without the XRechnung set a missing buyer reference is no finding */
    xmlDocPtr d = load();
    const op o = { DEL, "/c:invoice/c:reference[@kind='buyer_reference']", NULL };
    apply(d, &o);
    doc_findings f = { 0 };
    char why[256] = "";
    assert_int_equal(en16931_check(d, CORE, &f, why, sizeof why), EDI_OK);
    assert_int_equal(f.count, 0);
    assert_int_equal(en16931_check(d, XR, &f, why, sizeof why), EDI_OK);
    assert_true(doc_findings_has(&f, "BR-DE-15"));
    doc_findings_free(&f);
    xmlFreeDoc(d);
    const char *order = "<order xmlns='" NS "'/>";
    d = xmlReadMemory(order, (int)strlen(order), "o.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    assert_int_equal(en16931_check(d, CORE, &f, why, sizeof why), EDI_E_ARG);
    xmlFreeDoc(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_fixture_is_clean),
        cmocka_unit_test(each_rule_is_reported),
        cmocka_unit_test(official_rule_details),
        cmocka_unit_test(rulesets_are_separate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
