/* openTRANS ORDER -> canonical order (xslt/opentrans-order-to-canonical.xsl): the corpus
 * ORDERs (the official 2.1 example, the real-world Plica order that breaks the XSD, the
 * Naugrim examples) and two small documents written here (an openTRANS 1.0 order, which
 * the corpus lacks, and a 2.1 order with the deviations issue 3 lists) are parsed without
 * network or entity expansion, transformed through the gateway's mapping step
 * (gateway/mapping: no file writes, directories or network), and the result validates
 * against the canonical schema. The values checked were read by hand from the files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "mapping_fixture.h"

#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/opentrans/"
#define CANONICAL_NS "urn:edi-gateway:canonical:1"
#define OT21_NS "http://www.opentrans.org/XMLSchema/2.1"

/* No network, no entity substitution (no XML_PARSE_NOENT), no DTD loading. */
#define PARSE_OPTIONS XML_PARSE_NONET

/* The production mapping step (gateway/mapping): the security preferences of every
 * transform, the stylesheet cache and the schema. */
static mapping_ctx *mapping;
static xsltStylesheetPtr style;

static int setup(void **state)
{
    *state = mapping = mf_mapping_new("opentrans-order-to-canonical.xsl", &style, NULL);
    return mapping ? 0 : -1;
}

/* ---- helpers --------------------------------------------------------------------- */

/* Transform a parsed openTRANS document, validate the result and return it (caller
 * frees); `in` is freed. */
static xmlDocPtr map_doc(xmlDocPtr in, const char *name)
{
    if (!in)
        fail_msg("%s: not well-formed", name);
    xmlDocPtr out = mf_map(mapping, style, in, name);
    xmlFreeDoc(in);
    return out;
}

static xmlDocPtr map_file(const char *relpath)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", CORPUS, relpath);
    return map_doc(xmlReadFile(path, NULL, PARSE_OPTIONS), relpath);
}

static xmlDocPtr map_text(const char *text, const char *name)
{
    return map_doc(xmlReadMemory(text, (int)strlen(text), name, NULL, PARSE_OPTIONS), name);
}

/* The checks every mapped order gets, from values read by hand in the file. */
typedef struct {
    const char *number, *date, *buyer_id, *supplier_id, *lines;
    const char *article, *qty, *unit, *unit_sent, *net_price, *basis, *total;
} expected_order;

static void assert_order(xmlDocPtr c, const expected_order *x)
{
    assert_xpath(c, "string(/c:order/c:kind)", "order");
    assert_xpath(c, "string(/c:order/c:number)", x->number);
    assert_xpath(c, "string(/c:order/c:date[@role='document'])", x->date);
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[1])", x->buyer_id);
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:id[1])", x->supplier_id);
    assert_xpath(c, "string(count(/c:order/c:line))", x->lines);
    assert_xpath(c, "string(/c:order/c:line[1]/c:supplierArticle)", x->article);
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity)", x->qty);
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity/@unit)", x->unit);
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity/@unitAsSent)", x->unit_sent);
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice)", x->net_price);
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice/@basisQuantity)", x->basis);
    assert_xpath(c, "string(/c:order/c:totals/c:lineAmountTotal)", x->total);
}

/* ---- tests ----------------------------------------------------------------------- */

/* The official 2.1 example: placeholder values, every header element, and IDREFs that
 * name no PARTY (the one PARTY is found by its PARTY_ROLE buyer; the other roles get the
 * IDREF's id alone and the IDREFs are kept). */
static void official_example(void **state)
{
    (void)state;
    xmlDocPtr c = map_file("official/sample_order_opentrans_2_1_xml_signature.xml");
    assert_order(c, &(expected_order){
        .number = "OID1", .date = "2009-05-13T06:20:00+01:00", .buyer_id = "a",
        .supplier_id = "anyone supplies (this ID should be defined in parties)", .lines = "1",
        .article = "a", .qty = "1.0", .unit = "04", .unit_sent = "04", .net_price = "0.0",
        .basis = "1", .total = "1111" });
    assert_xpath(c, "string(/c:order/c:type)", "standard");
    assert_xpath(c, "string(/c:order/c:date[@role='delivery_requested'])", "2009-05-20T10:00:00+01:00");
    assert_xpath(c, "string(/c:order/c:currency)", "EUR");
    assert_xpath(c, "string(/c:order/c:reference[@kind='quotation'])", "ReferencetoQuotationNr");
    assert_xpath(c, "string(/c:order/c:paymentTerms/c:periodDays)", "30");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:country)", "DE");
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:id/@scheme)", "duns");
    assert_xpath(c, "string(/c:order/c:text[@qualifier='customType'])", "a");
    assert_xpath(c, "string(/c:order/c:line[1]/c:lineAmount)", "1111");
    assert_xpath(c, "string(/c:order/c:line[1]/c:manufacturerArticle)", "a");
    /* AOC_PERCENTAGE_FACTOR 0.08 is 8 percent (the point moved as text). */
    assert_xpath(c, "string(/c:order/c:line[1]/c:allowanceCharge[1]/c:percent)", "8");
    assert_xpath(c, "string(/c:order/c:line[1]/c:allowanceCharge[2]/c:reason/@qualifier)",
                 "cash_discount");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "1");
    assert_xpath(c, "string(count(/c:order/c:totals/@missing))", "0");
    assert_xpath(c, "string(/c:order/c:extension/ot:ORDER_PARTIES_REFERENCE)", "");
    assert_xpath(c, "string(/c:order/c:extension/*[local-name()='BUYER_IDREF'])",
                 "see above in parties (this ID should be defined in parties)");
    assert_xpath(c, "string(/c:order/c:extension/ot:HEADER_UDX)",
                 "user defined extension on header-level (for example to describe sector-specific "
                 "things). can be xml. Can be published on opentrans.org to support spreading of "
                 "sector-specifics.");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/ot:PRODUCT_FEATURES/ot:FEATURE/*[local-name()='FNAME'])",
                 "a");
    xmlFreeDoc(c);
}

/* Plica (real ERP output, 51 XSD errors): CURRENCY and TAX_DETAILS without bmecat:,
 * elements out of order, PCE, price basis 100, one GLN for buyer, invoice recipient and
 * delivery told apart by PARTY_ROLE. */
static void realworld_plica(void **state)
{
    (void)state;
    xmlDocPtr c = map_file("realworld-plica/PLD_257444_Order_example.XML");
    assert_order(c, &(expected_order){
        .number = "PLEX-141269", .date = "2020-01-22", .buyer_id = "7611577000008",
        .supplier_id = "3661458000003", .lines = "11", .article = "G4525220", .qty = "2000",
        .unit = "C62", .unit_sent = "PCE", .net_price = "5.16", .basis = "100",
        .total = "1080.25" });
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[1]/@scheme)", "gln");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[@scheme='supplier_specific'])", "1786");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[@scheme='vat'])", "CHE-103.663.775 MWST");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact[1]/c:name)", "Laura Marbach");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact[1]/c:email)",
                 "laura.marbach@plica.ch");
    assert_xpath(c, "string(/c:order/c:party[@role='invoicee']/c:contact[1]/c:email)",
                 "administration@janico.ch");
    assert_xpath(c, "string(/c:order/c:party[@role='delivery']/c:contact[1]/c:email)",
                 "jlogistik@janico.ch");
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:country)", "FR");
    assert_xpath(c, "string(/c:order/c:currency)", "EUR");
    assert_xpath(c, "string(/c:order/c:date[@role='delivery_requested'])", "2020-01-30");
    assert_xpath(c, "string(/c:order/c:date[@role='delivery_requested']/@qualifier)", "optional");
    assert_xpath(c, "string(/c:order/c:paymentTerms[1]/c:text)", "60 Tage netto");
    assert_xpath(c, "string(/c:order/c:paymentTerms[1]/c:periodDays)", "60");
    assert_xpath(c, "string(/c:order/c:line[1]/c:gtin)", "7611577104836");
    assert_xpath(c, "string(/c:order/c:line[1]/c:buyerArticle)", "907216725");
    assert_xpath(c, "string(/c:order/c:line[1]/c:lineAmount)", "103.2");
    assert_xpath(c, "string(/c:order/c:line[1]/c:tax/c:category)", "E");
    assert_xpath(c, "string(/c:order/c:line[1]/c:tax/c:ratePercent)", "0");
    /* 400 x 152.15 / 100 = 608.60: the stylesheet moves the values, it does not check. */
    assert_xpath(c, "string(/c:order/c:line[11]/c:quantity)", "400");
    assert_xpath(c, "string(/c:order/c:line[11]/c:netPrice)", "152.15");
    assert_xpath(c, "string(/c:order/c:line[11]/c:netPrice/@basisQuantity)", "100");
    assert_xpath(c, "string(/c:order/c:line[11]/c:lineAmount)", "608.6");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "11");
    assert_xpath(c, "string(/c:order/c:extension/ot:HEADER_UDX/ot:UDX.JA.DeliveryConditionCode)", "Z");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/ot:ITEM_UDX/ot:UDX.JA.LABEL_TEXT_LINE2)", "M25");
    xmlFreeDoc(c);
}

/* Naugrim: a distributor's order with the bmecat namespace under the prefix bme:, party
 * ids by customer number, line numbers with leading zeros, no price basis. */
static void naugrim_examples(void **state)
{
    (void)state;
    xmlDocPtr c = map_file("naugrim/Example_ORDER_Testdistributor_Bestellung.xml");
    assert_order(c, &(expected_order){
        .number = "ORDER_180801-004", .date = "2018-08-01T18:54:55", .buyer_id = "123456",
        .supplier_id = "10000735", .lines = "3", .article = "123002", .qty = "1.0",
        .unit = "C62", .unit_sent = "C62", .net_price = "868.0", .basis = "", .total = "2298.0" });
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id/@scheme)", "supplier_specific");
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:id/@scheme)", "buyer_specific");
    assert_xpath(c, "string(/c:order/c:party[@role='delivery']/c:name[3])", "z.H. Peter M\xc3\xbcller");
    assert_xpath(c, "string(/c:order/c:party[@role='invoicee']/c:id)", "123456");
    assert_xpath(c, "string(/c:order/c:reference[@kind='customer_order'])", "BESTELLUNG_019203");
    assert_xpath(c, "string(/c:order/c:text[@qualifier='general'])", "hier ist ein Kommentar");
    assert_xpath(c, "string(/c:order/c:line[1]/c:number)", "00001");
    assert_xpath(c, "string(/c:order/c:line[1]/c:gtin)", "0190198870803");
    assert_xpath(c, "string(/c:order/c:line[1]/c:text)", "Projekt ABC-123");
    /* INTERNATIONAL_PID of type itscope is no GTIN: kept. */
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/*[local-name()='INTERNATIONAL_PID'])",
                 "6676919000");
    assert_xpath(c, "string(/c:order/c:line[3]/c:date[@role='delivery_requested'])",
                 "2021-10-22T00:00:00");
    assert_xpath(c, "string(/c:order/c:line[3]/c:date/@qualifier)", "fixed");
    xmlFreeDoc(c);

    /* Both IDREFs name the buyer's id: the supplier is that party; the PARTY without a
       role that no IDREF names is kept as a party of role other. No TOTAL_AMOUNT. */
    c = map_file("naugrim/minimal_valid_order.xml");
    assert_order(c, &(expected_order){
        .number = "order-id-1", .date = "2020-01-27", .buyer_id = "org.de.buyer",
        .supplier_id = "org.de.buyer", .lines = "1", .article = "product-number-1",
        .qty = "10.0", .unit = "C62", .unit_sent = "C62", .net_price = "", .basis = "",
        .total = "" });
    assert_xpath(c, "string(/c:order/c:line[1]/c:number)", "line-item-id-1");
    assert_xpath(c, "string(/c:order/c:party[@role='other']/c:id)", "org.de.supplier");
    assert_xpath(c, "string(/c:order/c:totals/@missing)", "lineAmountTotal");
    xmlFreeDoc(c);
}

/* The deviations of issue 3 in one 2.1 document written for this test: no bmecat: prefix
 * at all, elements out of order, dates with a blank instead of T, units PCE and HR, a
 * DELIVERY_IDREF that names no party, tax and discount as fractions, a decimal comma. */
static void lenient_21(void **state)
{
    (void)state;
    static const char doc[] =
        "<ORDER xmlns='" OT21_NS "' version='2.1' type='express'>"
        "<ORDER_HEADER><ORDER_INFO>"
        "<ORDER_DATE>2026-11-26 14:30:00</ORDER_DATE><ORDER_ID>L-1</ORDER_ID>"
        "<CURRENCY>CHF</CURRENCY>"
        "<DELIVERY_DATE type='fixed'><DELIVERY_START_DATE>2026-12-01</DELIVERY_START_DATE>"
        "<DELIVERY_END_DATE>2026-12-03</DELIVERY_END_DATE></DELIVERY_DATE>"
        "<ORDER_PARTIES_REFERENCE><BUYER_IDREF type='gln'>4000000000001</BUYER_IDREF>"
        "<SUPPLIER_IDREF>S-9</SUPPLIER_IDREF>"
        "<SHIPMENT_PARTIES_REFERENCE><DELIVERY_IDREF type='gln'>4000000000099</DELIVERY_IDREF>"
        "</SHIPMENT_PARTIES_REFERENCE></ORDER_PARTIES_REFERENCE>"
        "<PARTIES><PARTY><PARTY_ID type='supplier_specific'>S-9</PARTY_ID><PARTY_ROLE>supplier</PARTY_ROLE>"
        "<ADDRESS><NAME>Lieferant AG</NAME><COUNTRY_CODED>DE </COUNTRY_CODED></ADDRESS></PARTY>"
        "<PARTY><PARTY_ID type='gln'>4000000000001</PARTY_ID><PARTY_ROLE>buyer</PARTY_ROLE>"
        "<ADDRESS><NAME>K\xc3\xa4ufer GmbH</NAME><VAT_ID>DE123456789</VAT_ID></ADDRESS></PARTY>"
        "</PARTIES>"
        "<PAYMENT><PAYMENT_TERMS><TIME_FOR_PAYMENT><DAYS>10</DAYS><DISCOUNT_FACTOR>0.02</DISCOUNT_FACTOR>"
        "</TIME_FOR_PAYMENT></PAYMENT_TERMS></PAYMENT>"
        "</ORDER_INFO></ORDER_HEADER>"
        "<ORDER_ITEM_LIST>"
        "<ORDER_ITEM><LINE_ITEM_ID>10</LINE_ITEM_ID><ORDER_UNIT>PCE</ORDER_UNIT><QUANTITY>12,5</QUANTITY>"
        "<PRODUCT_ID><SUPPLIER_PID>A-1</SUPPLIER_PID><INTERNATIONAL_PID type='gtin'>4006381333931</INTERNATIONAL_PID>"
        "<MANUFACTURER_INFO><MANUFACTURER_PID>M-7</MANUFACTURER_PID></MANUFACTURER_INFO></PRODUCT_ID>"
        "<PRODUCT_PRICE_FIX><PRICE_QUANTITY>1000</PRICE_QUANTITY><PRICE_AMOUNT>3.95</PRICE_AMOUNT>"
        "<TAX_DETAILS_FIX><TAX_TYPE>vat</TAX_TYPE><TAX>0.075</TAX><TAX_CATEGORY>reduced_rate</TAX_CATEGORY>"
        "</TAX_DETAILS_FIX></PRODUCT_PRICE_FIX>"
        "<DELIVERY_DATE><DELIVERY_START_DATE>2026-12-02 08:00</DELIVERY_START_DATE>"
        "<DELIVERY_END_DATE>2026-12-02 08:00</DELIVERY_END_DATE></DELIVERY_DATE>"
        "</ORDER_ITEM>"
        "<ORDER_ITEM><LINE_ITEM_ID>20</LINE_ITEM_ID><PRODUCT_ID><SUPPLIER_PID>SRV</SUPPLIER_PID></PRODUCT_ID>"
        "<QUANTITY>1.5</QUANTITY><ORDER_UNIT>HR</ORDER_UNIT>"
        "<PRODUCT_PRICE_FIX><PRICE_AMOUNT>80</PRICE_AMOUNT><TAX_DETAILS_FIX><TAX>0.19</TAX>"
        "<TAX_CATEGORY>standard_rate</TAX_CATEGORY></TAX_DETAILS_FIX></PRODUCT_PRICE_FIX>"
        "<PRICE_LINE_AMOUNT>120.00</PRICE_LINE_AMOUNT></ORDER_ITEM>"
        "</ORDER_ITEM_LIST>"
        "<ORDER_SUMMARY><TOTAL_ITEM_NUM>2</TOTAL_ITEM_NUM></ORDER_SUMMARY></ORDER>";
    xmlDocPtr c = map_text(doc, "lenient-2.1.xml");
    assert_order(c, &(expected_order){
        .number = "L-1", .date = "2026-11-26T14:30:00", .buyer_id = "4000000000001",
        .supplier_id = "S-9", .lines = "2", .article = "A-1", .qty = "12.5", .unit = "C62",
        .unit_sent = "PCE", .net_price = "3.95", .basis = "1000", .total = "" });
    assert_xpath(c, "string(/c:order/c:type)", "express");
    assert_xpath(c, "string(/c:order/c:date[@role='document']/@original)", "2026-11-26 14:30:00");
    assert_xpath(c, "string(/c:order/c:date[@role='delivery_earliest'])", "2026-12-01");
    assert_xpath(c, "string(/c:order/c:date[@role='delivery_latest'])", "2026-12-03");
    assert_xpath(c, "string(/c:order/c:currency)", "CHF");
    assert_xpath(c, "string(/c:order/c:paymentTerms/c:periodDays)", "10");
    assert_xpath(c, "string(/c:order/c:paymentTerms/c:discountPercent)", "2");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[@scheme='vat'])", "DE123456789");
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:country)", "DE");
    /* The delivery party named by an IDREF only: its id, and the IDREF kept. */
    assert_xpath(c, "string(/c:order/c:party[@role='delivery']/c:id[@scheme='gln'])", "4000000000099");
    assert_xpath(c, "string(/c:order/c:extension/ot:DELIVERY_IDREF)", "4000000000099");
    assert_xpath(c, "string(/c:order/c:line[1]/c:gtin)", "4006381333931");
    assert_xpath(c, "string(/c:order/c:line[1]/c:manufacturerArticle)", "M-7");
    assert_xpath(c, "string(/c:order/c:line[1]/c:tax/c:ratePercent)", "7.5");
    /* reduced_rate has no single UNCL 5305 code: no category, the tax details kept. */
    assert_xpath(c, "string(count(/c:order/c:line[1]/c:tax/c:category))", "0");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/ot:TAX_DETAILS_FIX/ot:TAX_CATEGORY)", "reduced_rate");
    assert_xpath(c, "string(/c:order/c:line[1]/c:date[@role='delivery_requested'])", "2026-12-02T08:00");
    assert_xpath(c, "string(/c:order/c:line[2]/c:quantity/@unit)", "HUR");
    assert_xpath(c, "string(/c:order/c:line[2]/c:quantity/@unitAsSent)", "HR");
    assert_xpath(c, "string(/c:order/c:line[2]/c:tax/c:ratePercent)", "19");
    assert_xpath(c, "string(/c:order/c:line[2]/c:tax/c:category)", "S");
    assert_xpath(c, "string(/c:order/c:line[2]/c:lineAmount)", "120.00");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "2");
    assert_xpath(c, "string(/c:order/c:totals/@missing)", "lineAmountTotal");
    xmlFreeDoc(c);
}

/* openTRANS 1.0 (no namespace, ORDER_PARTIES/BUYER_PARTY, ARTICLE_ID/SUPPLIER_AID,
 * ARTICLE_PRICE with the tax inside), written for this test because the corpus has no
 * 1.0 order. */
static void opentrans_10(void **state)
{
    (void)state;
    static const char doc[] =
        "<ORDER version='1.0' type='standard'><ORDER_HEADER><ORDER_INFO>"
        "<ORDER_ID>W-4711</ORDER_ID><ORDER_DATE>2026-11-26 09:15:00</ORDER_DATE>"
        "<ORDER_PARTIES>"
        "<BUYER_PARTY><PARTY><PARTY_ID type='buyer_specific'>K-100</PARTY_ID>"
        "<ADDRESS><NAME>Shop Kunde</NAME><STREET>Hauptstr. 1</STREET><ZIP>10115</ZIP><CITY>Berlin</CITY>"
        "<COUNTRY>Deutschland</COUNTRY><EMAIL>kunde@example.org</EMAIL></ADDRESS></PARTY></BUYER_PARTY>"
        "<SUPPLIER_PARTY><PARTY><PARTY_ID type='iln'>4012345000009</PARTY_ID></PARTY></SUPPLIER_PARTY>"
        "<SHIPMENT_PARTIES><DELIVERY_PARTY><PARTY><PARTY_ID type='buyer_specific'>K-100-L</PARTY_ID>"
        "</PARTY></DELIVERY_PARTY></SHIPMENT_PARTIES>"
        "</ORDER_PARTIES>"
        "<PRICE_CURRENCY>EUR</PRICE_CURRENCY>"
        "<PAYMENT><CASH><PAYMENT_TERM type='unece'>Vorkasse</PAYMENT_TERM></CASH></PAYMENT>"
        "<REMARK type='order'>Bitte klingeln</REMARK>"
        "</ORDER_INFO></ORDER_HEADER>"
        "<ORDER_ITEM_LIST><ORDER_ITEM><LINE_ITEM_ID>1</LINE_ITEM_ID>"
        "<ARTICLE_ID><SUPPLIER_AID>SKU-1</SUPPLIER_AID><DESCRIPTION_SHORT>Tasse</DESCRIPTION_SHORT>"
        "<BUYER_AID type='buyer_specific'>B-1</BUYER_AID></ARTICLE_ID>"
        "<QUANTITY>3</QUANTITY><ORDER_UNIT>PCE</ORDER_UNIT>"
        "<ARTICLE_PRICE type='net_customer'><PRICE_AMOUNT>4.20</PRICE_AMOUNT>"
        "<PRICE_LINE_AMOUNT>12.60</PRICE_LINE_AMOUNT><TAX>0.19</TAX></ARTICLE_PRICE>"
        "</ORDER_ITEM></ORDER_ITEM_LIST>"
        "<ORDER_SUMMARY><TOTAL_ITEM_NUM>1</TOTAL_ITEM_NUM><TOTAL_AMOUNT>12.60</TOTAL_AMOUNT></ORDER_SUMMARY>"
        "</ORDER>";
    xmlDocPtr c = map_text(doc, "opentrans-1.0.xml");
    assert_order(c, &(expected_order){
        .number = "W-4711", .date = "2026-11-26T09:15:00", .buyer_id = "K-100",
        .supplier_id = "4012345000009", .lines = "1", .article = "SKU-1", .qty = "3",
        .unit = "C62", .unit_sent = "PCE", .net_price = "4.20", .basis = "", .total = "12.60" });
    assert_xpath(c, "string(/c:order/@source)", "openTRANS 1.0 ORDER");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/@qualifier)", "BUYER_PARTY");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:city)", "Berlin");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact/c:email)", "kunde@example.org");
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:id/@scheme)", "gln");
    assert_xpath(c, "string(/c:order/c:party[@role='delivery']/c:id)", "K-100-L");
    assert_xpath(c, "string(/c:order/c:currency)", "EUR");
    assert_xpath(c, "string(/c:order/c:paymentTerms/c:text)", "Vorkasse");
    assert_xpath(c, "string(/c:order/c:text[@qualifier='order'])", "Bitte klingeln");
    assert_xpath(c, "string(/c:order/c:line/c:buyerArticle)", "B-1");
    assert_xpath(c, "string(/c:order/c:line/c:description)", "Tasse");
    assert_xpath(c, "string(/c:order/c:line/c:lineAmount)", "12.60");
    assert_xpath(c, "string(/c:order/c:line/c:tax/c:ratePercent)", "19");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "1");
    xmlFreeDoc(c);
}

/* Anything but an openTRANS ORDER stops the transformation, with the stylesheet's reason. */
static void not_an_order(void **state)
{
    (void)state;
    static const char doc[] = "<INVOICE xmlns='" OT21_NS "' version='2.1'/>";
    xmlDocPtr in = xmlReadMemory(doc, (int)strlen(doc), "invoice.xml", NULL, PARSE_OPTIONS);
    assert_non_null(in);
    char why[1024] = "";
    xmlDocPtr out = NULL;
    assert_int_equal(mapping_apply(mapping, style, in, NULL, &out, NULL, 0, why, sizeof why), EDI_E_XML);
    xmlFreeDoc(in);
    assert_null(out);
    assert_true(why[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(official_example),
        cmocka_unit_test(realworld_plica),
        cmocka_unit_test(naugrim_examples),
        cmocka_unit_test(lenient_21),
        cmocka_unit_test(opentrans_10),
        cmocka_unit_test(not_an_order),
    };
    return cmocka_run_group_tests(tests, setup, mf_teardown);
}
