/* The EN 16931 calculation (gateway/en16931.h): a canonical invoice without amounts is
 * completed (two VAT rates, document allowance from a percent and a charge, a line allowance,
 * a price basis of 100, a quantity with 3 decimals, a credit line), every added value carries
 * computed="true" (a breakdown entry it creates too) and the result is still valid canonical and
 * passes the core rules; half-up rounding at the second decimal for both signs; sent values are
 * never changed and a wrong one, beyond the official tolerance, is a warning naming its rule;
 * category O and third party payments; a value that is not a decimal is a finding. */
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

#define SCHEMA GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/canonical/"
#define NS MAPPING_CANONICAL_NS

static xmlDocPtr load(const char *path)
{
    xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (!d)
        fail_msg("cannot read %s", path);
    return d;
}

static xmlDocPtr parse(const char *xml)
{
    xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), "test.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    return d;
}

static void print_findings(const doc_findings *f)
{
    doc_findings_print(f, stderr, false, "finding");
}

/* Complete `doc`, check that it is still valid canonical; the findings go to `f`. */
static void complete_valid(xmlDocPtr doc, doc_findings *f)
{
    char why[512] = "";
    assert_int_equal(en16931_complete(doc, f, why, sizeof why), EDI_OK);
    mapping_ctx *m = mapping_new(SCHEMA);
    assert_non_null(m);
    if (mapping_validate(m, doc, why, sizeof why) != EDI_OK) {
        xmlDocFormatDump(stderr, doc, 1);
        fail_msg("the completed invoice is not valid: %s", why);
    }
    mapping_free(m);
}

static void completes_everything_that_is_missing(void **state)
{
    (void)state;
    xmlDocPtr d = load(CORPUS "invoice-to-complete.xml");
    doc_findings f = { 0 };
    complete_valid(d, &f);
    if (f.count)
        print_findings(&f);
    assert_int_equal(f.count, 0);
    /* 12.345 x 1.99 = 24.56655 -> 24.57, minus the line allowance 2.00 */
    assert_xpath(d, "string(/c:invoice/c:line[1]/c:lineAmount)", "22.57");
    assert_xpath(d, "string(/c:invoice/c:line[2]/c:lineAmount)", "15.80");
    assert_xpath(d, "string(/c:invoice/c:line[3]/c:lineAmount)", "-20.00");
    assert_xpath(d, "string(/c:invoice/c:allowanceCharge[@kind='allowance']/c:amount)", "5.00");
    assert_xpath(d, "string(/c:invoice/c:allowanceCharge[@kind='allowance']/c:amount/@computed)", "true");
    /* the charge's amount was sent: no marker */
    assert_xpath(d, "count(/c:invoice/c:allowanceCharge[@kind='charge']/c:amount/@computed)", "0");
    /* the line allowance amount was sent too */
    assert_xpath(d, "count(/c:invoice/c:line[1]/c:allowanceCharge/c:amount/@computed)", "0");
    assert_xpath(d, "count(/c:invoice/c:line/c:lineAmount[@computed='true'])", "3");
    /* the breakdown: one per category and rate, in the order they first appear */
    assert_xpath(d, "count(/c:invoice/c:tax)", "2");
    assert_xpath(d, "string(/c:invoice/c:tax[1]/c:ratePercent)", "19");
    assert_xpath(d, "string(/c:invoice/c:tax[1]/c:basisAmount)", "-2.43");
    assert_xpath(d, "string(/c:invoice/c:tax[1]/c:amount)", "-0.46");
    assert_xpath(d, "string(/c:invoice/c:tax[1]/c:amount/@computed)", "true");
    /* a breakdown entry it creates is marked as a whole */
    assert_xpath(d, "count(/c:invoice/c:tax[@computed='true'])", "2");
    assert_xpath(d, "string(/c:invoice/c:tax[2]/c:ratePercent)", "7");
    assert_xpath(d, "string(/c:invoice/c:tax[2]/c:basisAmount)", "23.30");
    assert_xpath(d, "string(/c:invoice/c:tax[2]/c:amount)", "1.63");
    /* placed after the parties and before the allowances, as the schema wants */
    assert_xpath(d, "local-name(/c:invoice/c:tax[2]/following-sibling::*[1])", "allowanceCharge");
    static const struct { const char *name, *want; } totals[] = {
        { "lineAmountTotal", "18.37" }, { "allowanceTotal", "5.00" }, { "chargeTotal", "7.50" },
        { "taxBasisTotal", "20.87" },   { "taxTotal", "1.17" },      { "grandTotal", "22.04" },
        { "payableAmount", "20.04" },
    };
    char expr[160];
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        snprintf(expr, sizeof expr, "string(/c:invoice/c:totals/c:%s)", totals[i].name);
        assert_xpath(d, expr, totals[i].want);
        snprintf(expr, sizeof expr, "string(/c:invoice/c:totals/c:%s/@computed)", totals[i].name);
        assert_xpath(d, expr, "true");
    }
    assert_xpath(d, "string(/c:invoice/c:totals/c:prepaidAmount)", "2.00");
    assert_xpath(d, "count(/c:invoice/c:totals/c:prepaidAmount/@computed)", "0");
    /* and the completed invoice passes the core rules */
    doc_findings rf = { 0 };
    char why[256];
    assert_int_equal(en16931_check(d, EN16931_RULES_CORE, &rf, why, sizeof why), EDI_OK);
    if (doc_findings_count(&rf, DOC_ERROR))
        print_findings(&rf);
    assert_int_equal(doc_findings_count(&rf, DOC_ERROR), 0);
    doc_findings_free(&rf);
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

#define HEAD "<invoice xmlns='" NS "'><kind>invoice</kind><number>T-1</number>" \
             "<currency>EUR</currency>"
#define VAT19 "<tax><category>S</category><ratePercent>19</ratePercent></tax>"

static void rounds_half_up_away_from_zero(void **state)
{
    (void)state;
    xmlDocPtr d = parse(HEAD
        "<line><number>1</number><quantity unit='C62'>1</quantity><netPrice>0.125</netPrice>"
        VAT19 "</line>"
        "<line><number>2</number><quantity unit='C62'>-1</quantity><netPrice>0.125</netPrice>"
        VAT19 "</line>"
        "<line><number>3</number><quantity unit='C62'>1</quantity><netPrice>0.124</netPrice>"
        VAT19 "</line></invoice>");
    doc_findings f = { 0 };
    complete_valid(d, &f);
    assert_xpath(d, "string(//c:line[1]/c:lineAmount)", "0.13");
    assert_xpath(d, "string(//c:line[2]/c:lineAmount)", "-0.13");
    assert_xpath(d, "string(//c:line[3]/c:lineAmount)", "0.12");
    assert_xpath(d, "string(//c:totals/c:lineAmountTotal)", "0.12");
    /* 0.12 x 19 % = 0.0228 -> 0.02 */
    assert_xpath(d, "string(/c:invoice/c:tax/c:amount)", "0.02");
    assert_xpath(d, "string(//c:totals/c:payableAmount)", "0.14");
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

/* The invoice serialized, to compare before and after. */
static char *dump(xmlDocPtr d)
{
    xmlChar *mem = NULL;
    int n = 0;
    xmlDocDumpMemory(d, &mem, &n);
    assert_non_null(mem);
    char *s = strdup((const char *)mem);
    xmlFree(mem);
    return s;
}

static void a_complete_invoice_is_left_as_it_is(void **state)
{
    (void)state;
    xmlDocPtr d = load(CORPUS "invoice-xrechnung.xml");
    char *before = dump(d);
    doc_findings f = { 0 };
    complete_valid(d, &f);
    if (f.count)
        print_findings(&f);
    assert_int_equal(f.count, 0);
    char *after = dump(d);
    assert_string_equal(before, after);
    free(before);
    free(after);
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

static void a_wrong_sent_total_is_kept_and_named(void **state)
{
    (void)state;
    xmlDocPtr d = load(CORPUS "invoice-xrechnung.xml");
    xmlXPathObjectPtr o = xpath_eval(d, "//c:totals/c:lineAmountTotal");
    assert_int_equal(o->nodesetval->nodeNr, 1);
    xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST "270.80");
    xmlXPathFreeObject(o);
    /* 230.50 x 19 % = 43.80; 1.10 off is beyond BR-S-09's tolerance (less than 1) */
    o = xpath_eval(d, "/c:invoice/c:tax[1]/c:amount");
    xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST "42.70");
    xmlXPathFreeObject(o);
    o = xpath_eval(d, "//c:line[2]/c:lineAmount");
    xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST "15.90");
    xmlXPathFreeObject(o);
    doc_findings f = { 0 };
    complete_valid(d, &f);
    assert_true(doc_findings_has(&f, "BR-CO-10"));
    assert_true(doc_findings_has(&f, "BR-S-09"));
    assert_true(doc_findings_has(&f, "PEPPOL-EN16931-R120"));
    assert_int_equal(doc_findings_count(&f, DOC_ERROR), 0);
    /* BR-CO-10's finding says both values and where */
    for (size_t i = 0; i < f.count; i++)
        if (!strcmp(f.items[i].rule, "BR-CO-10")) {
            assert_non_null(strstr(f.items[i].text, "270.80"));
            /* the lines as sent: 245.00 + 15.90 */
            assert_non_null(strstr(f.items[i].text, "260.90"));
            assert_non_null(strstr(f.items[i].where, "lineAmountTotal"));
        }
    assert_xpath(d, "string(//c:totals/c:lineAmountTotal)", "270.80");
    assert_xpath(d, "string(/c:invoice/c:tax[1]/c:amount)", "42.70");
    assert_xpath(d, "count(//*[@computed])", "0");
    /* BR-CO-13 is computed from the sent BT-106: 270.80 - 24.50 + 10.00 */
    assert_true(doc_findings_has(&f, "BR-CO-13"));
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

/* A sent value within the tolerance of the official rule is no disagreement: less than 1 for
 * a standard rated VAT amount (BR-S-09), 0.02 for a line net amount (Peppol R120). */
static void official_tolerances(void **state)
{
    (void)state;
    static const struct { const char *vat, *line; bool r120; } runs[] = {
        { "43.79", "15.82", false },   /* 0.01 and 0.02 off */
        { "44.79", "15.83", true },    /* 0.99 and 0.03 off */
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        xmlDocPtr d = load(CORPUS "invoice-xrechnung.xml");
        xmlXPathObjectPtr o = xpath_eval(d, "/c:invoice/c:tax[1]/c:amount");
        xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST runs[i].vat);
        xmlXPathFreeObject(o);
        o = xpath_eval(d, "//c:line[2]/c:lineAmount");
        xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST runs[i].line);
        xmlXPathFreeObject(o);
        doc_findings f = { 0 };
        complete_valid(d, &f);
        assert_false(doc_findings_has(&f, "BR-S-09"));
        assert_int_equal(doc_findings_has(&f, "PEPPOL-EN16931-R120"), runs[i].r120);
        /* the totals are exact: BT-110 no longer matches the breakdown */
        assert_true(doc_findings_has(&f, "BR-CO-14"));
        doc_findings_free(&f);
        xmlFreeDoc(d);
    }
}

/* Categories other than S have one breakdown whatever the rate of their items: category O
 * lines carry no rate, its breakdown may say 0 (XRechnung requires a rate there). A quantity
 * with more than 9 decimals, all trailing zeros, is read. In the XRechnung extension third
 * party payments (BT-DEX-002, kept in extension) are due too (BR-DEX-09). */
static void category_o_and_third_party_payments(void **state)
{
    (void)state;
    xmlDocPtr d = parse(HEAD
        "<tax><category>O</category><ratePercent>0</ratePercent><basisAmount>150.00</basisAmount>"
        "<amount>0.00</amount><exemptionReason>Nicht steuerbar</exemptionReason></tax>"
        "<line><number>1</number><quantity unit='C62'>30.00000000000</quantity>"
        "<netPrice>3.0000000000</netPrice><tax><category>O</category></tax></line>"
        "<line><number>2</number><quantity unit='C62'>1</quantity><netPrice>60</netPrice>"
        "<tax><category>O</category></tax></line>"
        "<totals><prepaidAmount>10.00</prepaidAmount></totals>"
        "<extension source='ubl'>"
        "<cac:PrepaidPayment"
        " xmlns:cac='urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2'"
        " xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>"
        "<cbc:ID>MobilesBezahlen</cbc:ID><cbc:PaidAmount currencyID='EUR'>19.96</cbc:PaidAmount>"
        "</cac:PrepaidPayment></extension></invoice>");
    doc_findings f = { 0 };
    complete_valid(d, &f);
    if (f.count)
        print_findings(&f);
    assert_int_equal(f.count, 0);
    assert_xpath(d, "string(//c:line[1]/c:lineAmount)", "90.00");
    assert_xpath(d, "string(//c:totals/c:taxTotal)", "0.00");
    /* 150.00 - 10.00 + 19.96 */
    assert_xpath(d, "string(//c:totals/c:payableAmount)", "159.96");
    doc_findings_free(&f);
    /* a sent amount due without the third party payments is named by BR-DEX-09 */
    xmlXPathObjectPtr o = xpath_eval(d, "//c:totals/c:payableAmount");
    xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST "140.00");
    xmlXPathFreeObject(o);
    char why[256] = "";
    assert_int_equal(en16931_complete(d, &f, why, sizeof why), EDI_OK);
    assert_true(doc_findings_has(&f, "BR-DEX-09"));
    assert_false(doc_findings_has(&f, "BR-CO-16"));
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

static void a_breakdown_is_completed_only_where_absent(void **state)
{
    (void)state;
    xmlDocPtr d = parse(HEAD
        "<tax><category>S</category><ratePercent>19</ratePercent><basisAmount>100.00</basisAmount></tax>"
        "<line><number>1</number><quantity unit='C62'>4</quantity><netPrice>25</netPrice>"
        VAT19 "</line></invoice>");
    doc_findings f = { 0 };
    complete_valid(d, &f);
    assert_int_equal(f.count, 0);
    assert_xpath(d, "count(/c:invoice/c:tax)", "1");
    assert_xpath(d, "string(/c:invoice/c:tax/c:amount)", "19.00");
    assert_xpath(d, "string(/c:invoice/c:tax/c:amount/@computed)", "true");
    assert_xpath(d, "string(//c:line/c:lineAmount)", "100.00");
    assert_xpath(d, "string(//c:totals/c:grandTotal)", "119.00");
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

static void a_value_that_is_not_a_decimal_is_a_finding(void **state)
{
    (void)state;
    xmlDocPtr d = parse(HEAD
        "<line><number>1</number><quantity unit='C62'>1,5</quantity><netPrice>2.00</netPrice>"
        VAT19 "</line></invoice>");
    doc_findings f = { 0 };
    char why[256] = "";
    assert_int_equal(en16931_complete(d, &f, why, sizeof why), EDI_OK);
    assert_true(doc_findings_has(&f, "DECIMAL"));
    assert_xpath(d, "count(//c:line/c:lineAmount)", "0");
    assert_xpath(d, "count(//c:totals/c:lineAmountTotal)", "0");
    doc_findings_free(&f);
    xmlFreeDoc(d);
}

static void only_canonical_invoices(void **state)
{
    (void)state;
    xmlDocPtr d = parse("<order xmlns='" NS "'><kind>order</kind><number>1</number></order>");
    doc_findings f = { 0 };
    char why[256] = "";
    assert_int_equal(en16931_complete(d, &f, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "canonical invoice"));
    assert_int_equal(en16931_complete(NULL, &f, why, sizeof why), EDI_E_ARG);
    xmlFreeDoc(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(completes_everything_that_is_missing),
        cmocka_unit_test(rounds_half_up_away_from_zero),
        cmocka_unit_test(a_complete_invoice_is_left_as_it_is),
        cmocka_unit_test(a_wrong_sent_total_is_kept_and_named),
        cmocka_unit_test(official_tolerances),
        cmocka_unit_test(category_o_and_third_party_payments),
        cmocka_unit_test(a_breakdown_is_completed_only_where_absent),
        cmocka_unit_test(a_value_that_is_not_a_decimal_is_a_finding),
        cmocka_unit_test(only_canonical_invoices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
