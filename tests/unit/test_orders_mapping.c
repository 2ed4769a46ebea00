/* EDIFACT ORDERS -> canonical order (xslt/edifact-orders-to-canonical.xsl): the sample and
 * corpus ORDERS (D.96A EANCOM, D.96A UN, D.01B EANCOM and UN) are read into EDIFACT-XML,
 * each <message> is transformed on its own through the gateway's mapping step
 * (gateway/mapping: no file writes, directories or network), the result validates against
 * the canonical schema, and the values checked below were read by hand from the files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "edi_directory.h"
#include "edi_xml.h"
#include "mapping_fixture.h"

#define FORMATS GATEWAY_FORMATS_DIR "/edifact"
#define ROOT GATEWAY_FORMATS_DIR "/.."
#define CANONICAL_NS "urn:edi-gateway:canonical:1"

static edi_directory *directory;
/* The production mapping step (gateway/mapping): safe parsing, the security preferences
 * of every transform, the stylesheet cache and the schema. */
static mapping_ctx *mapping;
static xsltStylesheetPtr style;

static int setup(void **state)
{
    (void)state;
    directory = edi_directory_open(FORMATS);
    mapping = mf_mapping_new("edifact-orders-to-canonical.xsl", &style, NULL);
    return directory && mapping ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    edi_directory_free(directory);
    mf_mapping_free(mapping);
    return 0;
}

/* ---- helpers --------------------------------------------------------------------- */

static xmlDocPtr read_interchange(const char *relpath)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ROOT, relpath);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail_msg("cannot open %s", path);
    edi_findings f;
    edi_findings_init(&f, 0);
    edi_reader_options opt = { .directory = directory };
    xmlDocPtr doc = NULL;
    edi_result r = edi_xml_read_fd(fd, &opt, &doc, &f);
    close(fd);
    edi_findings_free(&f);
    if (r != EDI_OK || !doc)
        fail_msg("%s: %s", relpath, edi_result_str(r));
    return doc;
}

/* Transform the message number `index` (1-based, document order) of an EDIFACT-XML tree
 * on its own, validate the result and return it (caller frees). */
static xmlDocPtr map_message(xmlDocPtr edi, int index)
{
    char expr[64], name[32];
    snprintf(expr, sizeof expr, "(//e:message)[%d]", index);
    snprintf(name, sizeof name, "message %d", index);
    xmlDocPtr one = mf_extract(edi, expr);
    xmlDocPtr out = mf_map(mapping, style, one, name);
    xmlFreeDoc(one);
    return out;
}

/* The checks every mapped order gets, from values read by hand in the file. */
typedef struct {
    const char *number, *date, *buyer_gln, *supplier_gln, *lines;
    const char *gtin, *qty, *unit, *unit_sent, *net_price, *basis;
} expected_order;

static void assert_order(xmlDocPtr c, const expected_order *x)
{
    assert_xpath(c, "string(/c:order/c:kind)", "order");
    assert_xpath(c, "string(/c:order/c:number)", x->number);
    assert_xpath(c, "string(/c:order/c:date[@role='document'])", x->date);
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[@scheme='gln'])", x->buyer_gln);
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:id[@scheme='gln'])",
                 x->supplier_gln);
    assert_xpath(c, "string(count(/c:order/c:line))", x->lines);
    assert_xpath(c, "string(/c:order/c:line[1]/c:gtin)", x->gtin);
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity)", x->qty);
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity/@unit)", x->unit);
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity/@unitAsSent)", x->unit_sent);
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice)", x->net_price);
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice/@basisQuantity)", x->basis);
}

/* ---- tests ----------------------------------------------------------------------- */

/* samples/: two EANCOM D.96A messages; the first has prices, a price basis of 100 MTR,
 * a contract reference and CNT but no MOA 79. */
static void sample_d96a_eancom(void **state)
{
    (void)state;
    xmlDocPtr edi = read_interchange("samples/edifact/orders-d96a-eancom.edi");
    xmlDocPtr c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "PO-2026-1187", .date = "2026-11-26", .buyer_gln = "4012345000016",
        .supplier_gln = "4098765000012", .lines = "2", .gtin = "4006381333931", .qty = "48",
        .unit = "C62", .unit_sent = "PCE", .net_price = "12.50", .basis = "" });
    assert_xpath(c, "string(/c:order/c:type/@code)", "220");
    assert_xpath(c, "string(/c:order/c:type)", "standard");
    assert_xpath(c, "string(/c:order/c:date[@role='document']/@original)", "20261126");
    assert_xpath(c, "string(/c:order/c:date[@role='delivery_requested'])", "2026-12-03");
    assert_xpath(c, "string(/c:order/c:currency)", "EUR");
    assert_xpath(c, "string(/c:order/c:reference[@kind='contract'])", "RV-2026-07");
    assert_xpath(c, "string(/c:order/c:party[@role='delivery']/c:id[@scheme='gln'])",
                 "4012345000023");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:city)", "K\xc3\xb6ln");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:country)", "DE");
    assert_xpath(c, "string(/c:order/c:line[2]/c:supplierArticle)", "TH-200");
    assert_xpath(c, "string(/c:order/c:line[2]/c:quantity)", "12.5");
    assert_xpath(c, "string(/c:order/c:line[2]/c:netPrice)", "3.95");
    assert_xpath(c, "string(/c:order/c:line[2]/c:netPrice/@basisQuantity)", "100");
    assert_xpath(c, "string(/c:order/c:line[2]/c:netPrice/@basisUnit)", "MTR");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "2");
    assert_xpath(c, "string(/c:order/c:totals/@missing)", "lineAmountTotal");
    /* BGM 1225 (message function 9) has no canonical field: kept. */
    assert_xpath(c, "string(/c:order/c:extension/e:BGM/e:D1225)", "9");
    xmlFreeDoc(c);

    c = map_message(edi, 2);
    assert_order(c, &(expected_order){
        .number = "PO-2026-1188", .date = "2026-11-26", .buyer_gln = "4012345000016",
        .supplier_gln = "4098765000012", .lines = "1", .gtin = "4006381333931", .qty = "6",
        .unit = "", .unit_sent = "", .net_price = "", .basis = "" });
    assert_xpath(c, "string(/c:order/c:totals/@missing)", "lineCount lineAmountTotal");
    xmlFreeDoc(c);
    xmlFreeDoc(edi);
}

/* pydifact: EANCOM D.96A with a decimal comma in UNA, dates in format 203. */
static void corpus_d96a_eancom(void **state)
{
    (void)state;
    xmlDocPtr edi = read_interchange("tests/corpus/edifact/pydifact/order.edi");
    xmlDocPtr c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "801715918011", .date = "2015-08-03T00:00", .buyer_gln = "8711576000012",
        .supplier_gln = "5020436000004", .lines = "2", .gtin = "5020436373085", .qty = "8",
        .unit = "", .unit_sent = "", .net_price = "", .basis = "" });
    assert_xpath(c, "string(/c:order/c:date[@role='document']/@original)", "201508030000");
    assert_xpath(c, "string(/c:order/c:date[@role='document']/@format)", "203");
    assert_xpath(c, "string(/c:order/c:party[@role='delivery']/c:id[@scheme='gln'])",
                 "8711576100019");
    assert_xpath(c, "string(/c:order/c:reference[@kind='promotion'])", "50515");
    assert_xpath(c, "string(/c:order/c:line[2]/c:reference[@qualifier='PD'])", "99");
    xmlFreeDoc(c);
    xmlFreeDoc(edi);

    /* bots: the first of four interchanges, EANCOM D.96A, order date 137 in format 203. */
    edi = read_interchange("tests/corpus/edifact/bots-plugins/one-on-one_edifact_order_xml/orders02.edi");
    c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "123", .date = "1997-09-11T15:00", .buyer_gln = "8799999000000",
        .supplier_gln = "8712345004002", .lines = "3", .gtin = "8712345004002", .qty = "50",
        .unit = "", .unit_sent = "", .net_price = "", .basis = "" });
    xmlFreeDoc(c);
    xmlFreeDoc(edi);
}

/* D.96A UN without EANCOM: edifact-rs (GLNs, no lines) and the German Wikipedia example
 * (DTM 4 order date, a buyer without GLN, QTY 1 instead of 21, CNT). */
static void corpus_d96a_un(void **state)
{
    (void)state;
    xmlDocPtr edi = read_interchange("tests/corpus/edifact/edifact-rs/d96a_orders_conforming.edi");
    xmlDocPtr c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "ORD-2001", .date = "2026-05-17", .buyer_gln = "4012345000008",
        .supplier_gln = "4012345000009", .lines = "0", .gtin = "", .qty = "",
        .unit = "", .unit_sent = "", .net_price = "", .basis = "" });
    assert_xpath(c, "string(/c:order/c:reference[@kind='customer_order'])", "ORD-2001");
    xmlFreeDoc(c);
    xmlFreeDoc(edi);

    edi = read_interchange("tests/corpus/edifact/pydifact/wikipedia_de.edi");
    c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "B10001", .date = "2006-06-20", .buyer_gln = "", .supplier_gln = "",
        .lines = "1", .gtin = "", .qty = "1000", .unit = "", .unit_sent = "", .net_price = "",
        .basis = "" });
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:name)", "Bestellername");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:postcode)", "23436");
    assert_xpath(c, "string(/c:order/c:line[1]/c:supplierArticle)", "Produkt Schrauben");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "1");
    /* Without a QTY 21 (ordered), QTY 1 (discrete quantity) is the line's quantity and is
     * not kept twice; "xx" is no country. */
    assert_xpath(c, "count(/c:order/c:line[1]/c:extension/e:QTY)", "0");
    assert_xpath(c, "string(/c:order/c:extension/e:NAD/e:D3207)", "xx");
    xmlFreeDoc(c);
    xmlFreeDoc(edi);
}

/* Repeated values: the line takes the first ordered quantity, net price, line amount and
 * supplier article number; every other one stays in the line's extension (nothing received
 * is lost). DTM 4 (order date) gives way to DTM 137 and is kept in the extension. */
static void repeated_values_are_kept(void **state)
{
    (void)state;
    xmlDocPtr edi = read_interchange("tests/corpus/tricky/orders-repeated-values.edi");
    xmlDocPtr c = map_message(edi, 1);
    assert_xpath(c, "count(/c:order/c:date[@role='document'])", "1");
    assert_xpath(c, "string(/c:order/c:date[@role='document']/@qualifier)", "137");
    assert_xpath(c, "string(/c:order/c:extension/e:DTM/e:C507/e:D2005)", "4");
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity)", "10");
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice)", "3.95");
    assert_xpath(c, "string(/c:order/c:line[1]/c:lineAmount)", "39.50");
    assert_xpath(c, "string(/c:order/c:line[1]/c:supplierArticle)", "ART-1");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/e:QTY/e:C186/e:D6060)", "12");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/e:PRI/e:C509/e:D5118)", "4.10");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/e:MOA/e:C516/e:D5004)", "47.40");
    assert_xpath(c, "string(/c:order/c:line[1]/c:extension/e:PIA/e:C212[2]/e:D7140)", "ART-1B");
    assert_xpath(c, "count(/c:order/c:line[1]/c:extension/e:*)", "4");
    xmlFreeDoc(c);
    xmlFreeDoc(edi);
}

/* D.01B: php-edifact (EANCOM 2002 with 146 lines, contacts, BGM 1004 inside C106) and
 * edifact-rs (UN). */
static void corpus_d01b(void **state)
{
    (void)state;
    xmlDocPtr edi = read_interchange("tests/corpus/edifact/php-edifact/example_order_ok.edi");
    xmlDocPtr c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "2019265563", .date = "2018-12-05", .buyer_gln = "4250159300001",
        .supplier_gln = "4399901760448", .lines = "146", .gtin = "", .qty = "2",
        .unit = "", .unit_sent = "GBND", .net_price = "", .basis = "" });
    assert_xpath(c, "string(/c:order/c:line[1]/c:supplierArticle)", "1001");
    assert_xpath(c, "string(/c:order/c:line[1]/c:buyerArticle)", "6001001");
    assert_xpath(c, "string(/c:order/c:line[1]/c:description)", "Butter 40x250g Alu");
    assert_xpath(c, "string(/c:order/c:line[146]/c:number)", "146");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact/c:phone)", "020994125-32");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact/c:fax)", "020994125-44");
    assert_xpath(c, "string(/c:order/c:party[@role='supplier']/c:name)",
                 "FooBar GmbH & Co. KG");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "146");
    xmlFreeDoc(c);
    xmlFreeDoc(edi);

    edi = read_interchange("tests/corpus/edifact/edifact-rs/d01b_orders_conforming.edi");
    c = map_message(edi, 1);
    assert_order(c, &(expected_order){
        .number = "ORD-1001", .date = "2026-05-17", .buyer_gln = "4012345000008",
        .supplier_gln = "4012345000009", .lines = "0", .gtin = "", .qty = "",
        .unit = "", .unit_sent = "", .net_price = "", .basis = "" });
    xmlFreeDoc(c);
    xmlFreeDoc(edi);
}

/* Decimal commas become points (as text), gross and net prices, line amount, line tax,
 * MOA 79 and CNT, payment terms, RFF+VA and a header allowance, in one D.96A message. */
static void numbers_taxes_and_totals(void **state)
{
    (void)state;
    static const char edi[] =
        "UNA:+,? 'UNB+UNOC:3+4012345000016:14+4098765000012:14+261126:0915+IC1'"
        "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO-9+9'DTM+137:202611261430:203'"
        "NAD+BY+4012345000016::9'RFF+VA:DE123456789'CTA+IC+:Anna Muster'COM+a@b.de:EM'"
        "NAD+SU+4098765000012::9'CUX+2:EUR:9'PAT+1++5:3:D:30'PCD+12:2,5'ALC+C++++FC'MOA+23:15,00'"
        "LIN+1++4006381333931:EN'IMD+F++:::Rohr:schelle'QTY+21:12,5:MTR'MOA+203:49,38'"
        "FTX+AAI+++SIB?: 1'PRI+AAB:4,10'PRI+AAA:3,95:::100:MTR'TAX+7+VAT+++:::19+S'"
        "UNS+S'MOA+79:49,38'CNT+2:1'UNT+25+1'UNZ+1+IC1'";
    edi_findings f;
    edi_findings_init(&f, 0);
    edi_reader_options opt = { .directory = directory };
    xmlDocPtr doc = NULL;
    edi_result r = edi_xml_read_mem(edi, sizeof edi - 1, &opt, &doc, &f);
    edi_findings_free(&f);
    assert_int_equal(r, EDI_OK);
    xmlDocPtr c = map_message(doc, 1);
    assert_xpath(c, "string(/c:order/c:date[@role='document'])", "2026-11-26T14:30");
    assert_xpath(c, "string(/c:order/c:paymentTerms/c:periodDays)", "30");
    assert_xpath(c, "string(/c:order/c:paymentTerms/c:discountPercent)", "2.5");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:id[@scheme='vat'])", "DE123456789");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact/c:name)", "Anna Muster");
    assert_xpath(c, "string(/c:order/c:party[@role='buyer']/c:contact/c:email)", "a@b.de");
    assert_xpath(c, "string(/c:order/c:allowanceCharge[@kind='charge']/c:amount)", "15.00");
    assert_xpath(c, "string(/c:order/c:allowanceCharge/c:reason/@qualifier)", "FC");
    assert_xpath(c, "string(/c:order/c:line/c:description)", "Rohrschelle");
    assert_xpath(c, "string(/c:order/c:line/c:quantity)", "12.5");
    assert_xpath(c, "string(/c:order/c:line/c:netPrice)", "3.95");
    assert_xpath(c, "string(/c:order/c:line/c:netPrice/@basisQuantity)", "100");
    assert_xpath(c, "string(/c:order/c:line/c:grossPrice)", "4.10");
    assert_xpath(c, "string(/c:order/c:line/c:lineAmount)", "49.38");
    assert_xpath(c, "string(/c:order/c:line/c:tax/@type)", "VAT");
    assert_xpath(c, "string(/c:order/c:line/c:tax/c:category)", "S");
    assert_xpath(c, "string(/c:order/c:line/c:tax/c:ratePercent)", "19");
    assert_xpath(c, "string(/c:order/c:line/c:text[@qualifier='AAI'])", "SIB: 1");
    assert_xpath(c, "string(/c:order/c:totals/c:lineAmountTotal)", "49.38");
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "1");
    assert_xpath(c, "string(count(/c:order/c:totals/@missing))", "0");
    assert_xpath(c, "string(count(/c:order/c:line/c:extension))", "0");
    xmlFreeDoc(c);
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_d96a_eancom),
        cmocka_unit_test(corpus_d96a_eancom),
        cmocka_unit_test(corpus_d96a_un),
        cmocka_unit_test(corpus_d01b),
        cmocka_unit_test(numbers_taxes_and_totals),
        cmocka_unit_test(repeated_values_are_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
