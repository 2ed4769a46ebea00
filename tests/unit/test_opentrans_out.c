/* canonical -> openTRANS 2.1 (xslt/canonical-to-opentrans.xsl): the four canonical
 * fixtures tests/corpus/canonical/ot-*.xml (an order response with accepted, changed and
 * rejected lines, a despatch advice with nested packages, an invoice with two VAT rates, an
 * order) become openTRANS documents that the official XSD accepts without a single finding,
 * with the values read by hand from the fixtures in the places the schema gives them; a
 * canonical order goes to ORDER and back through xslt/opentrans-order-to-canonical.xsl
 * unchanged in what both formats carry; what openTRANS cannot take stops the mapping with
 * a message that names it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "mapping_fixture.h"

#define OT_XSD GATEWAY_FORMATS_DIR "/xsd/opentrans/opentrans_2_1.xsd"
#define FIXTURES GATEWAY_FORMATS_DIR "/../tests/corpus/canonical/"
#define BMECAT_NS "http://www.bmecat.org/bmecat/2005"

static mapping_ctx *mapping;
static xsltStylesheetPtr out_style, in_style;

static int setup(void **state)
{
    *state = mapping = mf_mapping_new("canonical-to-opentrans.xsl", &out_style,
                                      "opentrans-order-to-canonical.xsl", &in_style, NULL);
    return mapping ? 0 : -1;
}

/* ---- helpers --------------------------------------------------------------------- */

static xmlDocPtr read_fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", FIXTURES, name);
    xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (!d)
        fail_msg("%s: not well-formed", name);
    return d;
}

/* The fixture `name` with its first `from` replaced by `to`, parsed under the name `label`
 * (caller frees). */
static xmlDocPtr edited_fixture(const char *name, const char *from, const char *to,
                                const char *label)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", FIXTURES, name);
    edi_buf text = mf_read(path);
    char *at = strstr(text.p, from);
    assert_non_null(at);
    edi_buf edited = { 0 };
    assert_true(edi_buf_append(&edited, text.p, (size_t)(at - text.p)) &&
                edi_buf_append(&edited, to, strlen(to)) &&
                edi_buf_append(&edited, at + strlen(from), strlen(at + strlen(from))));
    edi_buf_free(&text);
    xmlDocPtr in = xmlReadMemory(edited.p, (int)edited.len, label, NULL, XML_PARSE_NONET);
    edi_buf_free(&edited);
    assert_non_null(in);
    return in;
}

/* The openTRANS document written from `in` (caller frees), checked against the official
 * schema: any finding fails the test and prints them all. `in` stays the caller's. */
static xmlDocPtr to_opentrans(xmlDocPtr in, const char *name)
{
    xmlDocPtr out = mf_apply(mapping, out_style, in, NULL, name);
    char why[1024] = "";
    doc_findings f = { 0 };
    edi_result r = mapping_schema_check(mapping, OT_XSD, out, DOC_ERROR, NULL, &f, why, sizeof why);
    if (r != EDI_OK || f.count != 0) {
        doc_findings_print(&f, stderr, false, name);
        xmlDocDump(stderr, out);
        doc_findings_free(&f);
        xmlFreeDoc(out);
        fail_msg("%s: the openTRANS document is not valid against the official XSD: %s", name, why);
    }
    doc_findings_free(&f);
    return out;
}

static xmlDocPtr fixture_to_opentrans(const char *name)
{
    xmlDocPtr in = read_fixture(name);
    xmlDocPtr out = to_opentrans(in, name);
    xmlFreeDoc(in);
    return out;
}

/* Every IDREF that names a party names one of the document's PARTY_IDs. */
static void assert_idrefs_resolve(xmlDocPtr d)
{
    assert_xpath(d, "string(count(//*[substring(local-name(), string-length(local-name()) - 5) = '_IDREF']"
                    "[not(. = //*[local-name()='PARTY_ID'])]))", "0");
    assert_true(xpath_number(d, "count(//*[substring(local-name(), string-length(local-name()) - 5) = '_IDREF'])") >= 2);
}

/* No element of the result is empty (absent values are not written). */
static void assert_no_empty_elements(xmlDocPtr d)
{
    assert_xpath(d, "string(count(//*[not(*) and normalize-space(.) = '']))", "0");
}

/* The message a stylesheet stopped with, for a fixture edited by `from` -> `to`. */
static void assert_refused(const char *name, const char *from, const char *to, const char *want)
{
    xmlDocPtr in = edited_fixture(name, from, to, name);
    char why[1024] = "";
    xmlDocPtr out = NULL;
    assert_int_equal(mapping_apply(mapping, out_style, in, NULL, &out, NULL, 0, why, sizeof why), EDI_E_XML);
    assert_null(out);
    if (!strstr(why, want))
        fail_msg("%s: the reason \"%s\" does not contain \"%s\"", name, why, want);
    xmlFreeDoc(in);
}

/* ---- tests ----------------------------------------------------------------------- */

static void order_response(void **state)
{
    (void)state;
    xmlDocPtr d = fixture_to_opentrans("ot-orderresponse.xml");
    const char *info = "/ot:ORDERRESPONSE/ot:ORDERRESPONSE_HEADER/ot:ORDERRESPONSE_INFO";
    char x[512];
    assert_xpath(d, "string(/ot:ORDERRESPONSE/@version)", "2.1");
    snprintf(x, sizeof x, "string(%s/ot:ORDER_ID)", info);
    assert_xpath(d, x, "PO-2026-2001");
    snprintf(x, sizeof x, "string(%s/ot:ORDERRESPONSE_DATE)", info);
    assert_xpath(d, x, "2026-11-27T10:15");
    snprintf(x, sizeof x, "string(%s/ot:ORDER_DATE)", info);
    assert_xpath(d, x, "2026-11-25");
    snprintf(x, sizeof x, "string(%s/ot:SUPPLIER_ORDER_ID)", info);
    assert_xpath(d, x, "SO-77812");
    snprintf(x, sizeof x, "string(%s/*[local-name()='CURRENCY' and namespace-uri()='" BMECAT_NS "'])", info);
    assert_xpath(d, x, "EUR");
    /* Parties: GLN as type gln, the buyer-specific id of the delivery party, roles, and
     * the IDREFs name them. */
    snprintf(x, sizeof x, "string(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='buyer']/*[local-name()='PARTY_ID']/@type)", info);
    assert_xpath(d, x, "gln");
    snprintf(x, sizeof x, "string(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='delivery']/*[local-name()='PARTY_ID'])", info);
    assert_xpath(d, x, "LAGER-7");
    snprintf(x, sizeof x, "string(%s/ot:ORDER_PARTIES_REFERENCE/*[local-name()='BUYER_IDREF'])", info);
    assert_xpath(d, x, "4012345000016");
    snprintf(x, sizeof x, "string(%s/ot:ORDER_PARTIES_REFERENCE/ot:SHIPMENT_PARTIES_REFERENCE/ot:DELIVERY_IDREF/@type)", info);
    assert_xpath(d, x, "buyer_specific");
    snprintf(x, sizeof x, "string(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='supplier']/ot:ADDRESS/ot:CONTACT_DETAILS"
                          "/*[local-name()='EMAILS']/*[local-name()='EMAIL'])", info);
    assert_xpath(d, x, "orders@werkzeug-sued.example");
    snprintf(x, sizeof x, "string(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='supplier']/ot:ADDRESS/*[local-name()='VAT_ID'])", info);
    assert_xpath(d, x, "DE123456789");
    snprintf(x, sizeof x, "string(%s/ot:REMARKS[@type='general'])", info);
    assert_xpath(d, x, "Line 30 is no longer produced.");
    assert_idrefs_resolve(d);
    /* Lines: confirmed quantities, units (H87 goes out as C62), prices, status. */
    const char *item = "/ot:ORDERRESPONSE/ot:ORDERRESPONSE_ITEM_LIST/ot:ORDERRESPONSE_ITEM";
    snprintf(x, sizeof x, "string(count(%s))", item);
    assert_xpath(d, x, "3");
    snprintf(x, sizeof x, "string(%s[1]/ot:LINE_ITEM_ID)", item);
    assert_xpath(d, x, "10");
    snprintf(x, sizeof x, "string(%s[1]/ot:PRODUCT_ID/*[local-name()='INTERNATIONAL_PID'][@type='gtin'])", item);
    assert_xpath(d, x, "4000862141404");
    snprintf(x, sizeof x, "string(%s[1]/ot:PRODUCT_ID/*[local-name()='DESCRIPTION_SHORT'])", item);
    assert_xpath(d, x, "Claw hammer 300 g");
    snprintf(x, sizeof x, "string(%s[1]/*[local-name()='ORDER_UNIT' and namespace-uri()='" BMECAT_NS "'])", item);
    assert_xpath(d, x, "C62");
    snprintf(x, sizeof x, "string(%s[1]/ot:PRODUCT_PRICE_FIX/*[local-name()='PRICE_AMOUNT'])", item);
    assert_xpath(d, x, "12.50");
    snprintf(x, sizeof x, "string(%s[1]/ot:PRICE_LINE_AMOUNT)", item);
    assert_xpath(d, x, "300.00");
    snprintf(x, sizeof x, "string(%s[1]/ot:REMARKS[@type='status'])", item);
    assert_xpath(d, x, "accepted");
    snprintf(x, sizeof x, "string(%s[2]/ot:QUANTITY)", item);
    assert_xpath(d, x, "10");
    snprintf(x, sizeof x, "string(%s[2]/*[local-name()='ORDER_UNIT'])", item);
    assert_xpath(d, x, "MTR");
    snprintf(x, sizeof x, "string(%s[2]/ot:PRODUCT_PRICE_FIX/*[local-name()='PRICE_QUANTITY'])", item);
    assert_xpath(d, x, "100");
    snprintf(x, sizeof x, "string(%s[2]/ot:DELIVERY_DATE/ot:DELIVERY_START_DATE)", item);
    assert_xpath(d, x, "2026-12-08");
    snprintf(x, sizeof x, "string(%s[2]/ot:DELIVERY_DATE/ot:DELIVERY_END_DATE)", item);
    assert_xpath(d, x, "2026-12-10");
    snprintf(x, sizeof x, "string(%s[2]/ot:REMARKS[@type='status'])", item);
    assert_xpath(d, x, "changed");
    snprintf(x, sizeof x, "string(%s[3]/ot:QUANTITY)", item);
    assert_xpath(d, x, "0");
    snprintf(x, sizeof x, "string(%s[3]/*[local-name()='ORDER_UNIT'])", item);
    assert_xpath(d, x, "C62");
    snprintf(x, sizeof x, "string(%s[3]/ot:REMARKS[@type='status'])", item);
    assert_xpath(d, x, "rejected");
    /* The rejected line has no price: none is written. */
    snprintf(x, sizeof x, "string(count(%s[3]/ot:PRODUCT_PRICE_FIX | %s[3]/ot:PRICE_LINE_AMOUNT))", item, item);
    assert_xpath(d, x, "0");
    assert_xpath(d, "string(/ot:ORDERRESPONSE/ot:ORDERRESPONSE_SUMMARY/ot:TOTAL_ITEM_NUM)", "3");
    assert_xpath(d, "string(/ot:ORDERRESPONSE/ot:ORDERRESPONSE_SUMMARY/ot:TOTAL_AMOUNT)", "339.50");
    assert_no_empty_elements(d);
    xmlFreeDoc(d);
}

static void despatch_advice(void **state)
{
    (void)state;
    xmlDocPtr d = fixture_to_opentrans("ot-despatchadvice.xml");
    const char *info = "/ot:DISPATCHNOTIFICATION/ot:DISPATCHNOTIFICATION_HEADER/ot:DISPATCHNOTIFICATION_INFO";
    char x[512];
    snprintf(x, sizeof x, "string(%s/ot:DISPATCHNOTIFICATION_ID)", info);
    assert_xpath(d, x, "DA-2026-0555");
    snprintf(x, sizeof x, "string(%s/ot:DISPATCHNOTIFICATION_DATE)", info);
    assert_xpath(d, x, "2026-12-07T16:40");
    snprintf(x, sizeof x, "string(%s/ot:DELIVERY_DATE/ot:DELIVERY_START_DATE)", info);
    assert_xpath(d, x, "2026-12-08");
    snprintf(x, sizeof x, "string(%s/*[local-name()='SUPPLIER_IDREF' and namespace-uri()='" BMECAT_NS "'])", info);
    assert_xpath(d, x, "4012345000023");
    snprintf(x, sizeof x, "string(%s/ot:SHIPMENT_PARTIES_REFERENCE/ot:DELIVERY_IDREF)", info);
    assert_xpath(d, x, "4012345000030");
    /* The pallet and its two cartons at the header, each carton with its SSCC. */
    snprintf(x, sizeof x, "string(%s/ot:LOGISTIC_DETAILS_INFO/ot:PACKAGE_INFO/ot:PACKAGE/ot:PACKAGE_ID[@type='sscc'])", info);
    assert_xpath(d, x, "340123450000000017");
    snprintf(x, sizeof x, "string(%s/ot:LOGISTIC_DETAILS_INFO/ot:PACKAGE_INFO/ot:PACKAGE/*[local-name()='PACKING_UNIT_CODE'])", info);
    assert_xpath(d, x, "PF");
    snprintf(x, sizeof x, "string(count(%s/ot:LOGISTIC_DETAILS_INFO/ot:PACKAGE_INFO/ot:PACKAGE/ot:SUB_PACKAGES/ot:PACKAGE))", info);
    assert_xpath(d, x, "2");
    snprintf(x, sizeof x, "string(%s/ot:LOGISTIC_DETAILS_INFO/ot:PACKAGE_INFO/ot:PACKAGE/ot:SUB_PACKAGES/ot:PACKAGE[2]/ot:PACKAGE_ID)", info);
    assert_xpath(d, x, "340123450000000031");
    assert_idrefs_resolve(d);
    const char *item = "/ot:DISPATCHNOTIFICATION/ot:DISPATCHNOTIFICATION_ITEM_LIST/ot:DISPATCHNOTIFICATION_ITEM";
    snprintf(x, sizeof x, "string(count(%s))", item);
    assert_xpath(d, x, "2");
    /* Each item names its order line: ORDER_ID + LINE_ITEM_ID from reference @line. */
    snprintf(x, sizeof x, "string(%s[1]/ot:ORDER_REFERENCE/ot:ORDER_ID)", item);
    assert_xpath(d, x, "PO-2026-2001");
    snprintf(x, sizeof x, "string(%s[1]/ot:ORDER_REFERENCE/ot:LINE_ITEM_ID)", item);
    assert_xpath(d, x, "10");
    snprintf(x, sizeof x, "string(%s[2]/ot:ORDER_REFERENCE/ot:LINE_ITEM_ID)", item);
    assert_xpath(d, x, "20");
    snprintf(x, sizeof x, "string(%s[2]/ot:ORDER_REFERENCE/ot:ORDER_DATE)", item);
    assert_xpath(d, x, "2026-11-25");
    snprintf(x, sizeof x, "string(%s[2]/ot:QUANTITY)", item);
    assert_xpath(d, x, "10");
    snprintf(x, sizeof x, "string(%s[2]/*[local-name()='ORDER_UNIT'])", item);
    assert_xpath(d, x, "MTR");
    snprintf(x, sizeof x, "string(%s[1]/ot:SHIPMENT_PARTIES_REFERENCE/ot:DELIVERY_IDREF)", item);
    assert_xpath(d, x, "4012345000030");
    snprintf(x, sizeof x, "string(%s[2]/ot:LOGISTIC_DETAILS/ot:PACKAGE_INFO/ot:PACKAGE/ot:PACKAGE_ID[@type='sscc'])", item);
    assert_xpath(d, x, "340123450000000031");
    assert_xpath(d, "string(/ot:DISPATCHNOTIFICATION/ot:DISPATCHNOTIFICATION_SUMMARY/ot:TOTAL_ITEM_NUM)", "2");
    assert_no_empty_elements(d);
    xmlFreeDoc(d);
}

static void invoice_two_rates(void **state)
{
    (void)state;
    xmlDocPtr d = fixture_to_opentrans("ot-invoice.xml");
    const char *info = "/ot:INVOICE/ot:INVOICE_HEADER/ot:INVOICE_INFO";
    char x[512];
    snprintf(x, sizeof x, "string(%s/ot:INVOICE_ID)", info);
    assert_xpath(d, x, "INV-2026-9001");
    snprintf(x, sizeof x, "string(%s/ot:INVOICE_DATE)", info);
    assert_xpath(d, x, "2026-12-09");
    snprintf(x, sizeof x, "string(%s/ot:INVOICE_TYPE)", info);
    assert_xpath(d, x, "invoice");
    snprintf(x, sizeof x, "string(%s/ot:DELIVERYNOTE_ID)", info);
    assert_xpath(d, x, "DA-2026-0555");
    snprintf(x, sizeof x, "string(%s/*[local-name()='CURRENCY'])", info);
    assert_xpath(d, x, "EUR");
    /* The supplier issues, the buyer receives (no invoicee), the payee is the remittee. */
    snprintf(x, sizeof x, "string(%s/ot:INVOICE_ISSUER_IDREF)", info);
    assert_xpath(d, x, "4012345000023");
    snprintf(x, sizeof x, "string(%s/ot:INVOICE_RECIPIENT_IDREF)", info);
    assert_xpath(d, x, "4012345000016");
    snprintf(x, sizeof x, "string(%s/ot:REMITTEE_IDREF)", info);
    assert_xpath(d, x, "KASSE-1");
    snprintf(x, sizeof x, "string(count(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='supplier'][ot:PARTY_ROLE='invoice_issuer']))", info);
    assert_xpath(d, x, "1");
    snprintf(x, sizeof x, "string(count(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='buyer'][ot:PARTY_ROLE='invoice_recipient']))", info);
    assert_xpath(d, x, "1");
    assert_idrefs_resolve(d);
    const char *item = "/ot:INVOICE/ot:INVOICE_ITEM_LIST/ot:INVOICE_ITEM";
    snprintf(x, sizeof x, "string(%s[1]/ot:PRODUCT_PRICE_FIX/ot:TAX_DETAILS_FIX/*[local-name()='TAX'])", item);
    assert_xpath(d, x, "0.19");
    snprintf(x, sizeof x, "string(%s[1]/ot:PRODUCT_PRICE_FIX/ot:TAX_DETAILS_FIX/*[local-name()='TAX_CATEGORY'])", item);
    assert_xpath(d, x, "standard_rate");
    snprintf(x, sizeof x, "string(%s[1]/ot:PRODUCT_PRICE_FIX/ot:TAX_DETAILS_FIX/*[local-name()='TAX_TYPE'])", item);
    assert_xpath(d, x, "VAT");
    snprintf(x, sizeof x, "string(%s[2]/ot:PRODUCT_PRICE_FIX/ot:TAX_DETAILS_FIX/*[local-name()='TAX'])", item);
    assert_xpath(d, x, "0.07");
    snprintf(x, sizeof x, "string(%s[2]/ot:PRODUCT_PRICE_FIX/ot:TAX_DETAILS_FIX/*[local-name()='TAX_CATEGORY'])", item);
    assert_xpath(d, x, "reduced_rate");
    snprintf(x, sizeof x, "string(%s[2]/ot:PRICE_LINE_AMOUNT)", item);
    assert_xpath(d, x, "39.50");
    snprintf(x, sizeof x, "string(%s[2]/ot:ORDER_REFERENCE/ot:LINE_ITEM_ID)", item);
    assert_xpath(d, x, "40");
    /* Summary: the totals as sent, one TAX_DETAILS_FIX per rate with amount and base. */
    const char *sum = "/ot:INVOICE/ot:INVOICE_SUMMARY";
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_ITEM_NUM)", sum);
    assert_xpath(d, x, "2");
    snprintf(x, sizeof x, "string(%s/ot:NET_VALUE_GOODS)", sum);
    assert_xpath(d, x, "339.50");
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_AMOUNT)", sum);
    assert_xpath(d, x, "399.27");
    snprintf(x, sizeof x, "string(count(%s/ot:TOTAL_TAX/ot:TAX_DETAILS_FIX))", sum);
    assert_xpath(d, x, "2");
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_TAX/ot:TAX_DETAILS_FIX[1]/*[local-name()='TAX'])", sum);
    assert_xpath(d, x, "0.19");
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_TAX/ot:TAX_DETAILS_FIX[1]/ot:TAX_AMOUNT)", sum);
    assert_xpath(d, x, "57.00");
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_TAX/ot:TAX_DETAILS_FIX[1]/ot:TAX_BASE)", sum);
    assert_xpath(d, x, "300.00");
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_TAX/ot:TAX_DETAILS_FIX[2]/*[local-name()='TAX'])", sum);
    assert_xpath(d, x, "0.07");
    snprintf(x, sizeof x, "string(%s/ot:TOTAL_TAX/ot:TAX_DETAILS_FIX[2]/ot:TAX_AMOUNT)", sum);
    assert_xpath(d, x, "2.77");
    assert_no_empty_elements(d);
    xmlFreeDoc(d);
}

/* The rate as a fraction is made from the text: every case of the point's move. */
static void tax_rate_as_fraction(void **state)
{
    (void)state;
    static const struct { const char *percent, *fraction; } cases[] = {
        { "19", "0.19" }, { "7", "0.07" }, { "7.5", "0.075" }, { "0", "0" },
        { "100", "1" }, { "19.00", "0.19" }, { "2.5", "0.025" }, { "16", "0.16" },
        { "0.5", "0.005" }, { "120", "1.2" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char from[64], to[64];
        snprintf(from, sizeof from, "<ratePercent>7</ratePercent>\n    </tax>\n    <reference");
        snprintf(to, sizeof to, "<ratePercent>%s</ratePercent>\n    </tax>\n    <reference", cases[i].percent);
        xmlDocPtr in = edited_fixture("ot-invoice.xml", from, to, "rate");
        xmlDocPtr d = to_opentrans(in, cases[i].percent);
        assert_xpath(d, "string(/ot:INVOICE/ot:INVOICE_ITEM_LIST/ot:INVOICE_ITEM[2]/ot:PRODUCT_PRICE_FIX"
                        "/ot:TAX_DETAILS_FIX/*[local-name()='TAX'])", cases[i].fraction);
        xmlFreeDoc(d);
        xmlFreeDoc(in);
    }
}

static void order_forwarded(void **state)
{
    (void)state;
    xmlDocPtr d = fixture_to_opentrans("ot-order.xml");
    assert_xpath(d, "string(/ot:ORDER/@type)", "standard");
    const char *info = "/ot:ORDER/ot:ORDER_HEADER/ot:ORDER_INFO";
    char x[512];
    assert_xpath(d, "string(/ot:ORDER/ot:ORDER_HEADER/ot:SOURCING_INFO/ot:QUOTATION_ID)", "Q-2026-311");
    snprintf(x, sizeof x, "string(%s/ot:ORDER_DATE)", info);
    assert_xpath(d, x, "2026-11-25T08:30");
    snprintf(x, sizeof x, "string(%s/ot:ORDER_PARTIES_REFERENCE/ot:INVOICE_RECIPIENT_IDREF)", info);
    assert_xpath(d, x, "4012345000047");
    /* The supplier's GLN comes first, so its IDREF is the GLN. */
    snprintf(x, sizeof x, "string(%s/ot:ORDER_PARTIES_REFERENCE/*[local-name()='SUPPLIER_IDREF']/@type)", info);
    assert_xpath(d, x, "gln");
    snprintf(x, sizeof x, "string(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='supplier']/*[local-name()='PARTY_ID'][2]/@type)", info);
    assert_xpath(d, x, "buyer_specific");
    snprintf(x, sizeof x, "string(%s/ot:PARTIES/ot:PARTY[ot:PARTY_ROLE='invoice_recipient']/ot:ADDRESS/*[local-name()='NAME'])", info);
    assert_xpath(d, x, "Baumarkt Nord Buchhaltung");
    assert_idrefs_resolve(d);
    const char *item = "/ot:ORDER/ot:ORDER_ITEM_LIST/ot:ORDER_ITEM";
    snprintf(x, sizeof x, "string(%s[3]/ot:PRODUCT_PRICE_FIX/ot:TAX_DETAILS_FIX/*[local-name()='TAX'])", item);
    assert_xpath(d, x, "0.075");
    snprintf(x, sizeof x, "string(%s[3]/*[local-name()='ORDER_UNIT'])", item);
    assert_xpath(d, x, "PR");
    snprintf(x, sizeof x, "string(%s[2]/ot:DELIVERY_DATE/ot:DELIVERY_END_DATE)", item);
    assert_xpath(d, x, "2026-12-10");
    assert_xpath(d, "string(/ot:ORDER/ot:ORDER_SUMMARY/ot:TOTAL_AMOUNT)", "368.40");
    assert_no_empty_elements(d);
    xmlFreeDoc(d);
}

/* canonical order -> ORDER -> the inbound stylesheet -> the same order in what both carry. */
static void order_round_trip(void **state)
{
    (void)state;
    xmlDocPtr a = read_fixture("ot-order.xml");
    xmlDocPtr ot = to_opentrans(a, "ot-order.xml");
    xmlDocPtr b = mf_map(mapping, in_style, ot, "the order read back");
    static const char *same[] = {
        "string(/c:order/c:number)",
        "string(/c:order/c:type)",
        "string(/c:order/c:date[@role='document'])",
        "string(/c:order/c:date[@role='delivery_requested'])",
        "string(/c:order/c:currency)",
        "string(/c:order/c:reference[@kind='quotation'])",
        "string(/c:order/c:party[@role='buyer']/c:id[@scheme='gln'])",
        "string(/c:order/c:party[@role='supplier']/c:id[@scheme='gln'])",
        "string(/c:order/c:party[@role='supplier']/c:id[@scheme='buyer_specific'])",
        "string(/c:order/c:party[@role='invoicee']/c:id[@scheme='gln'])",
        "string(/c:order/c:party[@role='delivery']/c:id[@scheme='gln'])",
        "string(/c:order/c:party[@role='buyer']/c:name)",
        "string(/c:order/c:party[@role='buyer']/c:street)",
        "string(/c:order/c:party[@role='buyer']/c:postcode)",
        "string(/c:order/c:party[@role='buyer']/c:city)",
        "string(/c:order/c:party[@role='buyer']/c:country)",
        "string(/c:order/c:party[@role='buyer']/c:contact/c:name)",
        "string(/c:order/c:party[@role='buyer']/c:contact/c:email)",
        "string(count(/c:order/c:line))",
        "string(/c:order/c:totals/c:lineCount)",
        "string(/c:order/c:totals/c:lineAmountTotal)",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char *want = xpath_string(a, same[i]);
        if (!*want)
            fail_msg("%s selects nothing in the fixture", same[i]);
        assert_xpath(b, same[i], want);
        free(want);
    }
    static const char *per_line[] = {
        "number", "gtin", "supplierArticle", "buyerArticle", "quantity", "quantity/@unit",
        "netPrice", "netPrice/@basisQuantity", "lineAmount", "tax/c:category",
        "tax/c:ratePercent", "date[@role='delivery_requested']",
    };
    for (int line = 1; line <= 3; line++)
        for (size_t i = 0; i < sizeof per_line / sizeof per_line[0]; i++) {
            char x[256];
            snprintf(x, sizeof x, "string(/c:order/c:line[%d]/c:%s)", line, per_line[i]);
            char *want = xpath_string(a, x);
            assert_xpath(b, x, want);
            free(want);
        }
    /* Values that must really be there, so that the comparison above is not empty. */
    assert_xpath(b, "string(/c:order/c:line[2]/c:netPrice/@basisQuantity)", "100");
    assert_xpath(b, "string(/c:order/c:line[3]/c:tax/c:ratePercent)", "7.5");
    assert_xpath(b, "string(/c:order/c:line[1]/c:quantity/@unit)", "C62");
    xmlFreeDoc(b);
    xmlFreeDoc(ot);
    xmlFreeDoc(a);
}

/* What openTRANS 2.1 cannot take stops the mapping and the message names it. */
static void refusals(void **state)
{
    (void)state;
    assert_refused("ot-order.xml", "unit=\"PR\"", "unit=\"XPP\"", "the unit XPP (line 30) is not in the BMEcat 2005 unit list");
    assert_refused("ot-order.xml", "<currency>EUR</currency>", "<currency>PLN</currency>",
                   "the currency PLN is not in the BMEcat 2005 currency list");
    assert_refused("ot-order.xml", "<type code=\"220\">standard</type>", "<type>blanket</type>",
                   "the order type blanket has no openTRANS ORDER type");
    assert_refused("ot-orderresponse.xml", "kind=\"customer_order\"", "kind=\"contract\"",
                   "the buyer's order number");
    assert_refused("ot-despatchadvice.xml", " line=\"20\"", "",
                   "line 2 of the despatch advice needs its order line");
    assert_refused("ot-despatchadvice.xml", "<party role=\"delivery\">", "<party role=\"other\">",
                   "needs a delivery party");
    assert_refused("ot-invoice.xml", "<grandTotal>399.27</grandTotal>", "",
                   "the invoice needs totals/lineAmountTotal (NET_VALUE_GOODS) and totals/grandTotal");
    assert_refused("ot-invoice.xml", "<lineCount>2</lineCount>", "", "totals/lineCount is missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_response),
        cmocka_unit_test(despatch_advice),
        cmocka_unit_test(invoice_two_rates),
        cmocka_unit_test(tax_rate_as_fraction),
        cmocka_unit_test(order_forwarded),
        cmocka_unit_test(order_round_trip),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, setup, mf_teardown);
}
