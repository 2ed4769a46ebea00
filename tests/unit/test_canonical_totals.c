/* Completing canonical orders, order responses and despatch advices
 * (gateway/canonical_totals.h): missing line amounts with a price basis (100, 1000), line
 * allowances and charges (sent or computed from a percent) and half-up rounding, the line
 * count and the total of line amounts are written where the schema puts them, marked
 * computed, and the result is still valid; sent values are never changed, a disagreeing
 * sent total and a negative allowance are warnings; a decimal comma, which no canonical
 * document has, computes nothing; invoices are left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "canonical_totals.h"
#include "mapping.h"
#include "xpath_assert.h"

#define SCHEMA GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define NS MAPPING_CANONICAL_NS

#define HEAD "<order xmlns='" NS "'><kind>order</kind><number>PO-1</number>"

typedef struct {
    xmlDocPtr doc;
    char warnings[2048];
} completed;

/* Parse `xml`, complete it and check the result is valid canonical. */
static void complete(const char *xml, completed *c)
{
    c->doc = xmlReadMemory(xml, (int)strlen(xml), "test.xml", NULL, XML_PARSE_NONET);
    assert_non_null(c->doc);
    c->warnings[0] = '\0';
    char why[512] = "";
    assert_int_equal(canonical_totals_complete(c->doc, c->warnings, sizeof c->warnings,
                                               why, sizeof why), EDI_OK);
    mapping_ctx *m = mapping_new(SCHEMA);
    assert_non_null(m);
    if (mapping_validate(m, c->doc, why, sizeof why) != EDI_OK)
        fail_msg("the completed order is not valid: %s", why);
    mapping_free(m);
}

static void done(completed *c)
{
    xmlFreeDoc(c->doc);
}

static void two_lines_without_amounts_and_no_totals(void **state)
{
    (void)state;
    completed c;
    complete(HEAD
             "<line><number>10</number><quantity unit='C62'>400</quantity>"
             "<netPrice basisQuantity='100'>152.15</netPrice></line>"
             "<line><number>20</number><quantity unit='KGM'>12.345</quantity>"
             "<netPrice>1.99</netPrice><tax><category>S</category></tax>"
             "<date role='delivery_requested'>2026-12-01</date></line>"
             "<extension/></order>", &c);
    assert_string_equal(c.warnings, "");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:lineAmount)", "608.60");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:lineAmount/@computed)", "true");
    /* 12.345 x 1.99 = 24.56655 */
    assert_xpath(c.doc, "string(c:order/c:line[2]/c:lineAmount)", "24.57");
    /* In the schema's place: after the price, before tax. */
    assert_xpath(c.doc, "local-name(c:order/c:line[2]/c:lineAmount/following-sibling::*[1])", "tax");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineCount)", "2");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineCount/@computed)", "true");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal)", "633.17");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal/@computed)", "true");
    assert_xpath(c.doc, "local-name(c:order/c:totals/following-sibling::*[1])", "extension");
    done(&c);
}

static void price_basis_1000_and_negative_quantities(void **state)
{
    (void)state;
    completed c;
    /* 2500 x 7.123 / 1000 = 17.8075; -3 x 0.335 = -1.005, away from zero: -1.01 */
    complete(HEAD
             "<line><number>1</number><quantity>2500</quantity>"
             "<netPrice basisQuantity='1000'>7.123</netPrice></line>"
             "<line><number>2</number><quantity>-3</quantity><netPrice>0.335</netPrice></line>"
             "<totals missing='lineAmountTotal'><lineCount>2</lineCount></totals></order>", &c);
    assert_string_equal(c.warnings, "");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:lineAmount)", "17.81");
    assert_xpath(c.doc, "string(c:order/c:line[2]/c:lineAmount)", "-1.01");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal)", "16.80");
    /* The sent count stays as sent, unmarked; @missing still says what was not sent. */
    assert_xpath(c.doc, "count(c:order/c:totals/c:lineCount/@computed)", "0");
    assert_xpath(c.doc, "string(c:order/c:totals/@missing)", "lineAmountTotal");
    done(&c);
}

static void sent_totals_that_disagree_stay_and_warn(void **state)
{
    (void)state;
    completed c;
    complete(HEAD
             "<line><number>1</number><quantity>48</quantity><netPrice>12.50</netPrice></line>"
             "<line><number>2</number><quantity>1</quantity><netPrice>5</netPrice>"
             "<lineAmount>4.50</lineAmount></line>"
             "<totals><lineCount>3</lineCount><lineAmountTotal>700.00</lineAmountTotal>"
             "<grandTotal>833.00</grandTotal></totals></order>", &c);
    /* The sent line amount is used as sent, though 1 x 5 is 5. */
    assert_xpath(c.doc, "string(c:order/c:line[2]/c:lineAmount)", "4.50");
    assert_xpath(c.doc, "count(//@computed)", "1");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineCount)", "3");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal)", "700.00");
    assert_string_equal(c.warnings,
                        "totals: lineCount was sent as 3 but the lines give 2; the sent value is kept\n"
                        "totals: lineAmountTotal was sent as 700.00 but the lines give 604.50; "
                        "the sent value is kept\n");
    done(&c);

    /* Equal by value is no mismatch. */
    complete(HEAD
             "<line><number>1</number><quantity>48</quantity><netPrice>12.50</netPrice></line>"
             "<totals><lineAmountTotal>600</lineAmountTotal></totals></order>", &c);
    assert_string_equal(c.warnings, "");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineCount)", "1");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal)", "600");
    done(&c);
}

static void what_cannot_be_computed_is_left_out(void **state)
{
    (void)state;
    completed c;
    /* No price: no amount, so no total either, but the count. */
    complete(HEAD "<line><number>1</number><quantity>6</quantity></line>"
             "<line><number>2</number><quantity>1</quantity><netPrice>2</netPrice></line>"
             "<totals missing='lineCount lineAmountTotal'/></order>", &c);
    assert_string_equal(c.warnings, "");
    assert_xpath(c.doc, "count(c:order/c:line[1]/c:lineAmount)", "0");
    assert_xpath(c.doc, "string(c:order/c:line[2]/c:lineAmount)", "2.00");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineCount)", "2");
    assert_xpath(c.doc, "count(c:order/c:totals/c:lineAmountTotal)", "0");
    done(&c);

    /* An allowance with neither amount nor percent: no line amount, and it says why. */
    complete(HEAD "<line><number>1</number><quantity>6</quantity><netPrice>2</netPrice>"
             "<allowanceCharge kind='allowance'><reason>bonus</reason></allowanceCharge></line>"
             "</order>", &c);
    assert_string_equal(c.warnings,
                        "line 1: allowance 1 has neither an amount nor a percent; the line "
                        "amount is not computed\n");
    assert_xpath(c.doc, "count(//c:lineAmount)", "0");
    assert_xpath(c.doc, "count(//c:amount)", "0");
    assert_xpath(c.doc, "count(c:order/c:totals/c:lineAmountTotal)", "0");
    done(&c);

    /* A percent without basisAmount on a line without price has no basis: nothing. */
    complete(HEAD "<line><number>1</number><quantity>6</quantity>"
             "<allowanceCharge kind='allowance'><percent>3</percent></allowanceCharge></line>"
             "</order>", &c);
    assert_string_equal(c.warnings, "");
    assert_xpath(c.doc, "count(//c:amount)", "0");
    assert_xpath(c.doc, "count(//c:lineAmount)", "0");
    done(&c);

    /* No lines: a count of 0 and no total. */
    complete(HEAD "</order>", &c);
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineCount)", "0");
    assert_xpath(c.doc, "count(c:order/c:totals/c:lineAmountTotal)", "0");
    done(&c);
}

static void line_allowances_and_charges(void **state)
{
    (void)state;
    completed c;
    complete(HEAD
             /* 10 x 12.50 = 125.00; charge 2 % of the gross 125.00 = 2.50 (computed);
              * 125.00 - 5.00 + 2.50 = 122.50 */
             "<line><number>1</number><quantity>10</quantity><netPrice>12.50</netPrice>"
             "<allowanceCharge kind='allowance'><amount>5.00</amount></allowanceCharge>"
             "<allowanceCharge kind='charge'><reason>packing</reason><percent>2</percent>"
             "<tax><category>S</category></tax></allowanceCharge></line>"
             /* 3 x 19.99 = 59.97; 3.5 % of the sent basis 59.97 = 2.09895 -> 2.10;
              * 59.97 - 2.10 = 57.87 */
             "<line><number>2</number><quantity>3</quantity><netPrice>19.99</netPrice>"
             "<allowanceCharge kind='allowance'><percent>3.5</percent>"
             "<basisAmount>59.97</basisAmount></allowanceCharge></line>"
             /* 7 x 0.715 = 5.005 -> 5.01 (half-up); 10 % of 5.01 = 0.501 -> 0.50;
              * 5.01 - 0.50 = 4.51 */
             "<line><number>3</number><quantity>7</quantity><netPrice>0.715</netPrice>"
             "<allowanceCharge kind='allowance'><percent>10</percent></allowanceCharge></line>"
             /* -7 x 0.715 = -5.005 -> -5.01 (away from zero); 50 % of -5.01 = -2.505 ->
              * -2.51; -5.01 - (-2.51) = -2.50 */
             "<line><number>4</number><quantity>-7</quantity><netPrice>0.715</netPrice>"
             "<allowanceCharge kind='allowance'><percent>50</percent></allowanceCharge></line>"
             /* 1 x 100 = 100.00; an allowance sent with 3 decimals: 100.00 - 0.125 =
              * 99.875 -> 99.88 */
             "<line><number>5</number><quantity>1</quantity><netPrice>100</netPrice>"
             "<allowanceCharge kind='allowance'><amount>0.125</amount></allowanceCharge></line>"
             "</order>", &c);
    assert_string_equal(c.warnings, "");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:allowanceCharge[2]/c:amount)", "2.50");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:allowanceCharge[2]/c:amount/@computed)", "true");
    /* In the schema's place: after percent, before tax. */
    assert_xpath(c.doc, "local-name(c:order/c:line[1]/c:allowanceCharge[2]/c:amount/"
                 "preceding-sibling::*[1])", "percent");
    assert_xpath(c.doc, "local-name(c:order/c:line[1]/c:allowanceCharge[2]/c:amount/"
                 "following-sibling::*[1])", "tax");
    /* The sent amount stays, unmarked. */
    assert_xpath(c.doc, "count(c:order/c:line[1]/c:allowanceCharge[1]/c:amount/@computed)", "0");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:lineAmount)", "122.50");
    assert_xpath(c.doc, "string(c:order/c:line[1]/c:lineAmount/@computed)", "true");
    assert_xpath(c.doc, "string(c:order/c:line[2]/c:allowanceCharge/c:amount)", "2.10");
    assert_xpath(c.doc, "string(c:order/c:line[2]/c:lineAmount)", "57.87");
    assert_xpath(c.doc, "string(c:order/c:line[3]/c:allowanceCharge/c:amount)", "0.50");
    assert_xpath(c.doc, "string(c:order/c:line[3]/c:lineAmount)", "4.51");
    assert_xpath(c.doc, "string(c:order/c:line[4]/c:allowanceCharge/c:amount)", "-2.51");
    assert_xpath(c.doc, "string(c:order/c:line[4]/c:lineAmount)", "-2.50");
    assert_xpath(c.doc, "string(c:order/c:line[5]/c:lineAmount)", "99.88");
    /* 122.50 + 57.87 + 4.51 - 2.50 + 99.88 = 282.26 */
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal)", "282.26");
    done(&c);

    /* A sent line amount is kept as sent; a missing allowance amount is still computed. */
    complete(HEAD "<line><number>1</number><quantity>4</quantity><netPrice>2.50</netPrice>"
             "<lineAmount>9.00</lineAmount>"
             "<allowanceCharge kind='allowance'><percent>12.5</percent></allowanceCharge></line>"
             "</order>", &c);
    assert_string_equal(c.warnings, "");
    /* 12.5 % of 4 x 2.50 = 10.00 is 1.25 */
    assert_xpath(c.doc, "string(c:order/c:line/c:allowanceCharge/c:amount)", "1.25");
    assert_xpath(c.doc, "string(c:order/c:line/c:lineAmount)", "9.00");
    assert_xpath(c.doc, "count(c:order/c:line/c:lineAmount/@computed)", "0");
    assert_xpath(c.doc, "string(c:order/c:totals/c:lineAmountTotal)", "9.00");
    done(&c);
}

static void a_negative_allowance_is_used_and_warned_about(void **state)
{
    (void)state;
    completed c;
    /* 2 x 10 = 20.00; minus an allowance of -5.00 is 25.00 */
    complete(HEAD "<line><number>7</number><quantity>2</quantity><netPrice>10</netPrice>"
             "<allowanceCharge kind='allowance' qualifier='A'><amount>-5.00</amount>"
             "</allowanceCharge></line></order>", &c);
    assert_xpath(c.doc, "string(c:order/c:line/c:lineAmount)", "25.00");
    assert_xpath(c.doc, "string(c:order/c:line/c:allowanceCharge/c:amount)", "-5.00");
    assert_string_equal(c.warnings,
                        "line 7: allowance 1 has the negative amount -5.00, which raises the "
                        "line amount; it is used as sent, but a sender who means a charge "
                        "should send a charge with a positive amount\n");
    done(&c);

    /* A negative charge: 20.00 + (-1.50) = 18.50 */
    complete(HEAD "<line><number>8</number><quantity>2</quantity><netPrice>10</netPrice>"
             "<allowanceCharge kind='charge'><amount>-1.50</amount></allowanceCharge></line>"
             "</order>", &c);
    assert_xpath(c.doc, "string(c:order/c:line/c:lineAmount)", "18.50");
    assert_non_null(strstr(c.warnings, "line 8: charge 1 has the negative amount -1.50, which "
                           "lowers the line amount"));
    done(&c);
}

/* Order responses and despatch advices are completed like orders. */
static void responses_and_despatch_advices_are_completed(void **state)
{
    (void)state;
    static const char *const roots[][2] = {
        { "orderResponse", "order_response" },
        { "despatchAdvice", "despatch_advice" },
    };
    for (size_t i = 0; i < 2; i++) {
        char xml[1024];
        /* 12.375 x 3.95 / 100 = 0.48881... -> 0.49; 2 x 1.25 = 2.50 - 10 % (0.25) = 2.25 */
        snprintf(xml, sizeof xml,
                 "<%s xmlns='" NS "'><kind>%s</kind><number>R-1</number>"
                 "<line><number>1</number><quantity>12.375</quantity>"
                 "<netPrice basisQuantity='100'>3.95</netPrice></line>"
                 "<line><number>2</number><quantity>2</quantity><netPrice>1.25</netPrice>"
                 "<allowanceCharge kind='allowance'><percent>10</percent></allowanceCharge>"
                 "</line></%s>", roots[i][0], roots[i][1], roots[i][0]);
        completed c;
        complete(xml, &c);
        assert_string_equal(c.warnings, "");
        char expr[128];
        snprintf(expr, sizeof expr, "string(/c:%s/c:line[1]/c:lineAmount)", roots[i][0]);
        assert_xpath(c.doc, expr, "0.49");
        snprintf(expr, sizeof expr, "string(/c:%s/c:line[2]/c:lineAmount)", roots[i][0]);
        assert_xpath(c.doc, expr, "2.25");
        snprintf(expr, sizeof expr, "string(/c:%s/c:totals/c:lineCount)", roots[i][0]);
        assert_xpath(c.doc, expr, "2");
        snprintf(expr, sizeof expr, "string(/c:%s/c:totals/c:lineAmountTotal)", roots[i][0]);
        assert_xpath(c.doc, expr, "2.74");
        done(&c);
    }
}

static void a_decimal_comma_never_computes(void **state)
{
    (void)state;
    const char *xml = HEAD "<line><number>1</number><quantity>12,5</quantity>"
                      "<netPrice>2</netPrice></line></order>";
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "comma.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    char warnings[512] = "", why[256] = "";
    assert_int_equal(canonical_totals_complete(doc, warnings, sizeof warnings, why, sizeof why),
                     EDI_OK);
    assert_string_equal(warnings, "line 1: quantity: \"12,5\" has a decimal comma; canonical "
                        "values use a point\n");
    xmlChar *out = NULL;
    int n = 0;
    xmlDocDumpMemory(doc, &out, &n);
    assert_null(strstr((const char *)out, "lineAmount"));
    xmlFree(out);
    xmlFreeDoc(doc);
}

static void other_documents_are_left_alone(void **state)
{
    (void)state;
    const char *xml = "<invoice xmlns='" NS "'><kind>invoice</kind><number>1</number>"
                      "<line><number>1</number><quantity>2</quantity><netPrice>3</netPrice>"
                      "<allowanceCharge kind='allowance'><percent>10</percent></allowanceCharge>"
                      "</line></invoice>";
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "inv.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    char why[256] = "";
    assert_int_equal(canonical_totals_complete(doc, NULL, 0, why, sizeof why), EDI_OK);
    /* Nothing is added anywhere: no amount, no line amount, no totals. */
    xmlNodePtr line = xmlDocGetRootElement(doc)->last;
    assert_string_equal((const char *)line->name, "line");
    assert_string_equal((const char *)line->last->name, "allowanceCharge");
    assert_string_equal((const char *)line->last->last->name, "percent");
    assert_string_equal((const char *)line->last->prev->name, "netPrice");
    xmlFreeDoc(doc);
    assert_int_equal(canonical_totals_complete(NULL, NULL, 0, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "no document"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_lines_without_amounts_and_no_totals),
        cmocka_unit_test(price_basis_1000_and_negative_quantities),
        cmocka_unit_test(sent_totals_that_disagree_stay_and_warn),
        cmocka_unit_test(what_cannot_be_computed_is_left_out),
        cmocka_unit_test(line_allowances_and_charges),
        cmocka_unit_test(a_negative_allowance_is_used_and_warned_about),
        cmocka_unit_test(responses_and_despatch_advices_are_completed),
        cmocka_unit_test(a_decimal_comma_never_computes),
        cmocka_unit_test(other_documents_are_left_alone),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return failed;
}
