/* Tricky numbers through the whole inbound path, as `gateway convert` runs it: EDIFACT
 * ORDERS with a decimal comma in UNA (tests/corpus/tricky/orders-decimal-comma.edi) read by
 * edi_xml_read_mem with the directory, each message mapped on its own by
 * xslt/edifact-orders-to-canonical.xsl, completed by canonical_totals_complete and validated
 * by mapping_validate; openTRANS ORDER (tests/corpus/tricky/opentrans-price-basis.xml) the
 * same way through xslt/opentrans-order-to-canonical.xsl. The canonical decimal strings are
 * checked as text, and every computed amount was worked out by hand in the comments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "canonical_totals.h"
#include "edi_directory.h"
#include "edi_xml.h"
#include "mapping_fixture.h"

#define FORMATS GATEWAY_FORMATS_DIR "/edifact"
#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/tricky/"

static edi_directory *directory;
static mapping_ctx *mapping;

static int setup(void **state)
{
    (void)state;
    directory = edi_directory_open(FORMATS);
    mapping = mapping_new(MF_SCHEMA);
    return directory && mapping ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    edi_directory_free(directory);
    mf_mapping_free(mapping);
    return 0;
}

/* Map `doc` with xslt/<stylesheet>, complete and validate the result (caller frees);
 * the warnings of canonical_totals_complete go to `warnings`. */
static xmlDocPtr map_and_complete(xmlDocPtr doc, const char *stylesheet, char *warnings,
                                  size_t warnings_n)
{
    xmlDocPtr out = mf_apply(mapping, mf_stylesheet(mapping, stylesheet), doc, NULL, stylesheet);
    char why[1024] = "";
    warnings[0] = '\0';
    assert_int_equal(canonical_totals_complete(out, warnings, warnings_n, why, sizeof why), EDI_OK);
    mf_assert_canonical(mapping, out, "the completed order");
    return out;
}

/* The interchange's only message, mapped, completed and validated. */
static xmlDocPtr edifact_order(const char *file, char *warnings, size_t warnings_n)
{
    edi_buf in = mf_read(file);
    edi_findings f;
    edi_findings_init(&f, 0);
    edi_reader_options opt = { .directory = directory };
    xmlDocPtr tree = NULL;
    edi_result r = edi_xml_read_mem(in.p, in.len, &opt, &tree, &f);
    edi_buf_free(&in);
    /* The file is valid EDIFACT: no error findings, so what follows is the numbers alone. */
    assert_int_equal(r, EDI_OK);
    assert_int_equal(f.errors, 0);
    edi_findings_free(&f);
    assert_non_null(tree);

    xmlDocPtr one = mf_extract(tree, "//e:message");
    xmlDocPtr c = map_and_complete(one, "edifact-orders-to-canonical.xsl", warnings, warnings_n);
    xmlFreeDoc(one);
    xmlFreeDoc(tree);
    return c;
}

/* UNA:+,? ' : the decimal mark is a comma. Every value below is as the file sends it. */
static void edifact_decimal_comma(void **state)
{
    (void)state;
    char warnings[2048];
    xmlDocPtr c = edifact_order(CORPUS "orders-decimal-comma.edi", warnings, sizeof warnings);
    assert_xpath(c, "string(/c:order/c:number)", "PO-TRICKY-1");
    assert_xpath(c, "count(/c:order/c:line)", "5");

    /* LIN 1: QTY+21:12,5:MTR, PRI+AAA:3,95:::100:MTR.
     * 12.5 x 3.95 / 100 = 49.375 / 100 = 0.49375 -> 0.49 (the third decimal is 3: down). */
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity)", "12.5");
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity/@unit)", "MTR");
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice)", "3.95");
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice/@basisQuantity)", "100");
    assert_xpath(c, "string(/c:order/c:line[1]/c:lineAmount)", "0.49");
    assert_xpath(c, "string(/c:order/c:line[1]/c:lineAmount/@computed)", "true");

    /* LIN 2: QTY+21:12,375:KGM, PRI+AAA:200:::1000:KGM.
     * 12.375 x 200 / 1000 = 2475 / 1000 = 2.475 -> 2.48 (an exact half: up). */
    assert_xpath(c, "string(/c:order/c:line[2]/c:quantity)", "12.375");
    assert_xpath(c, "string(/c:order/c:line[2]/c:netPrice)", "200");
    assert_xpath(c, "string(/c:order/c:line[2]/c:netPrice/@basisQuantity)", "1000");
    assert_xpath(c, "string(/c:order/c:line[2]/c:lineAmount)", "2.48");

    /* LIN 3: QTY+21:3:PCE, PRI+AAA:0,125, ALC+A with MOA+204:-0,50 (a negative allowance).
     * 3 x 0.125 = 0.375 -> 0.38 (half: up); 0.38 - (-0.50) = 0.88. */
    assert_xpath(c, "string(/c:order/c:line[3]/c:netPrice)", "0.125");
    assert_xpath(c, "string(/c:order/c:line[3]/c:allowanceCharge/@kind)", "allowance");
    assert_xpath(c, "string(/c:order/c:line[3]/c:allowanceCharge/c:amount)", "-0.50");
    assert_xpath(c, "count(/c:order/c:line[3]/c:allowanceCharge/c:amount/@computed)", "0");
    assert_xpath(c, "string(/c:order/c:line[3]/c:lineAmount)", "0.88");

    /* LIN 4: QTY+21:-3:PCE, PRI+AAA:0,335. -3 x 0.335 = -1.005 -> -1.01 (a negative half
     * goes away from zero). */
    assert_xpath(c, "string(/c:order/c:line[4]/c:quantity)", "-3");
    assert_xpath(c, "string(/c:order/c:line[4]/c:lineAmount)", "-1.01");

    /* LIN 5: QTY+21:7:PCE, PRI+AAA:0,715, ALC+A with PCD+3:10 and no MOA.
     * 7 x 0.715 = 5.005 -> 5.01; 10 % of 5.01 = 0.501 -> 0.50 (computed); 5.01 - 0.50 = 4.51. */
    assert_xpath(c, "string(/c:order/c:line[5]/c:allowanceCharge/c:percent)", "10");
    assert_xpath(c, "string(/c:order/c:line[5]/c:allowanceCharge/c:amount)", "0.50");
    assert_xpath(c, "string(/c:order/c:line[5]/c:allowanceCharge/c:amount/@computed)", "true");
    assert_xpath(c, "string(/c:order/c:line[5]/c:lineAmount)", "4.51");

    /* CNT+2:5 was sent (kept, unmarked); MOA 79 was not:
     * 0.49 + 2.48 + 0.88 - 1.01 + 4.51 = 7.35. */
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "5");
    assert_xpath(c, "count(/c:order/c:totals/c:lineCount/@computed)", "0");
    assert_xpath(c, "string(/c:order/c:totals/c:lineAmountTotal)", "7.35");
    assert_xpath(c, "string(/c:order/c:totals/c:lineAmountTotal/@computed)", "true");
    assert_xpath(c, "string(/c:order/c:totals/@missing)", "lineAmountTotal");
    /* No decimal comma survived anywhere in the canonical values. */
    assert_xpath(c, "count(//c:line//*[contains(., ',')])", "0");

    /* The negative allowance is the one warning. */
    assert_string_equal(warnings,
                        "line 3: allowance 1 has the negative amount -0.50, which raises the line "
                        "amount; it is used as sent, but a sender who means a charge should send "
                        "a charge with a positive amount\n");
    xmlFreeDoc(c);
}

/* openTRANS: PRICE_QUANTITY 100 and 1000, three-decimal QUANTITY, a percent allowance given
 * as a fraction (AOC_PERCENTAGE_FACTOR 0.035) and a surcharge. */
static void opentrans_price_basis(void **state)
{
    (void)state;
    char warnings[2048];
    xmlDocPtr doc = mf_parse_file(CORPUS "opentrans-price-basis.xml");
    xmlDocPtr c = map_and_complete(doc, "opentrans-order-to-canonical.xsl", warnings,
                                   sizeof warnings);
    xmlFreeDoc(doc);
    assert_string_equal(warnings, "");
    assert_xpath(c, "string(/c:order/c:number)", "OT-TRICKY-1");

    /* 10: 12.375 MTR at 4.00 per 100: 12.375 x 4.00 / 100 = 49.5 / 100 = 0.495 -> 0.50. */
    assert_xpath(c, "string(/c:order/c:line[1]/c:quantity)", "12.375");
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice)", "4.00");
    assert_xpath(c, "string(/c:order/c:line[1]/c:netPrice/@basisQuantity)", "100");
    assert_xpath(c, "string(/c:order/c:line[1]/c:lineAmount)", "0.50");

    /* 20: 2.469 KGM at 5000 per 1000: 2.469 x 5000 / 1000 = 12.345 -> 12.35. */
    assert_xpath(c, "string(/c:order/c:line[2]/c:quantity)", "2.469");
    assert_xpath(c, "string(/c:order/c:line[2]/c:netPrice/@basisQuantity)", "1000");
    assert_xpath(c, "string(/c:order/c:line[2]/c:lineAmount)", "12.35");

    /* 30: -3 at 0.335: -1.005 -> -1.01. */
    assert_xpath(c, "string(/c:order/c:line[3]/c:lineAmount)", "-1.01");

    /* 40: 10 x 12.50 = 125.00; allowance 0.035 = 3.5 %: 125.00 x 3.5 / 100 = 4.375 -> 4.38;
     * surcharge 1.20; 125.00 - 4.38 + 1.20 = 121.82. */
    assert_xpath(c, "string(/c:order/c:line[4]/c:allowanceCharge[1]/c:percent)", "3.5");
    assert_xpath(c, "string(/c:order/c:line[4]/c:allowanceCharge[1]/c:amount)", "4.38");
    assert_xpath(c, "string(/c:order/c:line[4]/c:allowanceCharge[1]/c:amount/@computed)", "true");
    assert_xpath(c, "string(/c:order/c:line[4]/c:allowanceCharge[2]/@kind)", "charge");
    assert_xpath(c, "string(/c:order/c:line[4]/c:lineAmount)", "121.82");

    /* TOTAL_ITEM_NUM 4 sent; 0.50 + 12.35 - 1.01 + 121.82 = 133.66. */
    assert_xpath(c, "string(/c:order/c:totals/c:lineCount)", "4");
    assert_xpath(c, "string(/c:order/c:totals/c:lineAmountTotal)", "133.66");
    assert_xpath(c, "count(//@computed)", "6");
    xmlFreeDoc(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edifact_decimal_comma),
        cmocka_unit_test(opentrans_price_basis),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
