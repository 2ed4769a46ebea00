/* canonical invoice -> HTML (xslt/canonical-invoice-to-html.xsl): the fixtures
 * tests/corpus/canonical/html-*.xml are validated against the canonical schema, rendered
 * through the mapping step (secure preferences) and the page is read back with libxml2's
 * HTML parser (no network). Checked against the values of each fixture, read with XPath:
 * the number, seller and buyer names, every line amount, every VAT breakdown row and the
 * amount due, all with the currency; a name and a description holding <script> and
 * <img onerror> show as text and make no element; there is no script, no external URL and
 * a print stylesheet; a credit note is titled as one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxslt/xsltutils.h>

#include "mapping_fixture.h"

#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/canonical/"

static mapping_ctx *mapping;
static xsltStylesheetPtr style;

static int setup(void **state)
{
    *state = mapping = mf_mapping_new("canonical-invoice-to-html.xsl", &style, NULL);
    return mapping ? 0 : -1;
}

typedef struct {
    xmlDocPtr invoice;     /* the canonical fixture */
    char *html;            /* the page as written (xmlFree) */
    int html_len;
    htmlDocPtr page;       /* the page read back by the HTML parser */
} rendered;

static void render(const char *file, rendered *r)
{
    r->invoice = xmlReadFile(file, NULL, XML_PARSE_NONET);
    if (!r->invoice)
        fail_msg("cannot read %s", file);
    mf_assert_canonical(mapping, r->invoice, file);
    xmlDocPtr out = mf_apply(mapping, style, r->invoice, NULL, file);
    xmlChar *text = NULL;
    assert_int_equal(xsltSaveResultToString(&text, &r->html_len, out, style), 0);
    xmlFreeDoc(out);
    assert_non_null(text);
    r->html = (char *)text;
    r->page = htmlReadMemory(r->html, r->html_len, "invoice.html", "UTF-8",
                             HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    assert_non_null(r->page);
}

static void release(rendered *r)
{
    xmlFreeDoc(r->page);
    xmlFree(r->html);
    xmlFreeDoc(r->invoice);
}

static void assert_contains(const char *haystack, const char *needle, const char *what)
{
    if (!strstr(haystack, needle))
        fail_msg("%s: \"%s\" is not in \"%s\"", what, needle, haystack);
}

/* The canonical value at `expr` followed by the document's currency. */
static char *with_currency(xmlDocPtr inv, const char *expr)
{
    char *v = xpath_string(inv, expr);
    char *cur = xpath_string(inv, "string(/c:invoice/c:currency)");
    size_t n = strlen(v) + strlen(cur) + 2;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s %s", v, cur);
    free(v);
    free(cur);
    return s;
}

/* What every rendered invoice must show, read from its fixture, and what it must not hold. */
static void assert_page(rendered *r)
{
    xmlDocPtr inv = r->invoice, page = r->page;

    char *number = xpath_string(inv, "string(/c:invoice/c:number)");
    char *h1 = xpath_string(page, "normalize-space(//h1)");
    char *title = xpath_string(page, "normalize-space(/html/head/title)");
    assert_non_null(number[0] ? number : NULL);
    assert_contains(h1, number, "h1");
    assert_contains(title, number, "title");
    free(h1);
    free(title);
    free(number);

    static const char *const roles[][2] = { { "supplier", "Seller" }, { "buyer", "Buyer" } };
    for (size_t i = 0; i < 2; i++) {
        char expr[160];
        snprintf(expr, sizeof expr, "string(/c:invoice/c:party[@role='%s']/c:name[1])", roles[i][0]);
        char *name = xpath_string(inv, expr);
        snprintf(expr, sizeof expr, "string(//div[@class='party'][h2='%s']//p[@class='name'][1])",
                 roles[i][1]);
        char *shown = xpath_string(page, expr);
        assert_string_equal(shown, name);
        free(shown);
        free(name);
        snprintf(expr, sizeof expr, "string(/c:invoice/c:party[@role='%s']/c:id[@scheme='vat'])",
                 roles[i][0]);
        char *vat = xpath_string(inv, expr);
        snprintf(expr, sizeof expr, "string(//div[@class='party'][h2='%s'])", roles[i][1]);
        char *block = xpath_string(page, expr);
        assert_contains(block, vat, "VAT id in the party block");
        free(block);
        free(vat);
    }

    /* Every line, in order, with its amount as sent and the currency. */
    int lines = (int)xpath_number(inv, "count(/c:invoice/c:line)");
    assert_true(lines > 0);
    assert_int_equal((int)xpath_number(page, "count(//tr[@class='line'])"), lines);
    for (int i = 1; i <= lines; i++) {
        char expr[160];
        snprintf(expr, sizeof expr, "string(/c:invoice/c:line[%d]/c:lineAmount)", i);
        char *want = with_currency(inv, expr);
        snprintf(expr, sizeof expr,
                 "normalize-space(//tr[@class='line'][%d]/td[contains(@class, 'line-amount')])", i);
        char *got = xpath_string(page, expr);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }

    /* Every VAT breakdown row: category code, rate, taxable and VAT amount. */
    int rows = (int)xpath_number(inv, "count(/c:invoice/c:tax)");
    assert_true(rows > 0);
    assert_int_equal((int)xpath_number(page, "count(//tr[@class='vat-row'])"), rows);
    for (int i = 1; i <= rows; i++) {
        char expr[160];
        snprintf(expr, sizeof expr, "normalize-space(//tr[@class='vat-row'][%d])", i);
        char *row = xpath_string(page, expr);
        snprintf(expr, sizeof expr, "concat('(', /c:invoice/c:tax[%d]/c:category, ')')", i);
        char *cat = xpath_string(inv, expr);
        assert_contains(row, cat, "VAT category");
        snprintf(expr, sizeof expr, "string(/c:invoice/c:tax[%d]/c:basisAmount)", i);
        char *basis = with_currency(inv, expr);
        assert_contains(row, basis, "taxable amount");
        snprintf(expr, sizeof expr, "string(/c:invoice/c:tax[%d]/c:amount)", i);
        char *amount = with_currency(inv, expr);
        assert_contains(row, amount, "VAT amount");
        snprintf(expr, sizeof expr, "string(/c:invoice/c:tax[%d]/c:exemptionReason)", i);
        char *reason = xpath_string(inv, expr);
        assert_contains(row, reason, "exemption reason");
        free(reason);
        free(amount);
        free(basis);
        free(cat);
        free(row);
    }

    char *payable = with_currency(inv, "string(/c:invoice/c:totals/c:payableAmount)");
    assert_xpath(page, "normalize-space(//tr[contains(@class, 'payable')]/th)", "Amount due for payment");
    char *shown = xpath_string(page, "normalize-space(//tr[contains(@class, 'payable')]/td)");
    assert_string_equal(shown, payable);
    free(shown);
    free(payable);

    /* Self-contained and inert: no script, no frame or object, no external URL. */
    assert_xpath(page, "count(//script | //iframe | //object | //embed | //link | //img)", "0");
    assert_xpath(page, "count(//@*[starts-with(name(), 'on')])", "0");
    assert_xpath(page, "count(//@src | //@href[contains(., ':')])", "0");
    assert_null(strstr(r->html, "http://"));
    assert_null(strstr(r->html, "https://"));
    char *css = xpath_string(page, "string(//style)");
    assert_null(strstr(css, "url("));
    assert_null(strstr(css, "@import"));
    assert_contains(css, "@media print", "print stylesheet");
    assert_contains(css, "size: A4", "print stylesheet");
    assert_contains(css, "page-break-inside: avoid", "print stylesheet");
    free(css);
}

static void invoice_page(void **state)
{
    (void)state;
    rendered r;
    render(CORPUS "html-invoice.xml", &r);
    assert_page(&r);
    assert_xpath(r.page, "normalize-space(//h1)", "Invoice RE-2026-0815");

    /* The injected markup is text: shown as written, no element made of it. */
    assert_xpath(r.page, "string(//div[@class='party'][h2='Buyer']//p[@class='name'])",
                 "Kunde <script>alert('buyer')</script> Bau GmbH");
    assert_xpath(r.page, "string(//tr[@class='line'][2]//div[@class='description'])",
                 "Cable <img src=x onerror=alert(1)> 3x1.5");
    assert_non_null(strstr(r.html, "&lt;script&gt;"));
    assert_null(strstr(r.html, "<script"));

    /* Invoice data, prices with their basis, allowances, totals in words, payment. */
    char *facts = xpath_string(r.page, "normalize-space(//table[@class='facts'])");
    assert_contains(facts, "Issue date 2026-11-26", "facts");
    assert_contains(facts, "Due date 2026-12-26", "facts");
    assert_contains(facts, "Delivery date 2026-11-20", "facts");
    assert_contains(facts, "Delivery / invoicing period 2026-11-01 to 2026-11-30", "facts");
    assert_contains(facts, "Buyer reference 04011000-12345-67", "facts");
    assert_contains(facts, "Order reference PO-2026-1187", "facts");
    assert_contains(facts, "Contract RV-2026-07", "facts");
    free(facts);
    assert_xpath(r.page, "normalize-space(//tr[@class='line'][2]/td[5])", "3.95 EUR per 100 MTR");
    assert_xpath(r.page, "normalize-space(//tr[@class='line'][2]/td[4])", "12.5 MTR");
    assert_xpath(r.page, "normalize-space(//tr[@class='line'][1]/td[6])",
                 "Allowance Project discount: 5.00 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='line'][1]/td[7])", "Standard rate (S), 19 %");
    assert_xpath(r.page, "normalize-space(//tr[@class='line'][1]/td[2])",
                 "Seller: VALVE-DN20 Buyer: B-4711 GTIN: 4006381333931");
    assert_xpath(r.page, "normalize-space(//tr[@class='allowance-charge'])",
                 "Charge Freight Standard rate (S), 19 % 10.00 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='vat-row'][3]/td[1])", "Exempt from VAT (E)");
    assert_xpath(r.page, "normalize-space(//tr[@class='vat-row'][3]/td[5])",
                 "Exempt under section 4 no. 21 UStG (vocational training) (VATEX-EU-132-1I)");
    assert_xpath(r.page, "normalize-space(//tr[@class='lineAmountTotal'])", "Sum of line net amounts 320.29 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='chargeTotal'])",
                 "Sum of charges on document level 10.00 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='taxBasisTotal'])", "Total amount without VAT 330.29 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='taxTotal'])", "Total VAT amount 28.28 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='grandTotal'])", "Total amount with VAT 358.57 EUR");
    assert_xpath(r.page, "normalize-space(//tr[@class='prepaidAmount'])", "Paid amount 50.00 EUR");
    assert_xpath(r.page, "normalize-space(//td[@class='iban'])", "DE02 1203 0000 0000 2020 51");
    char *pay = xpath_string(r.page, "normalize-space(//table[contains(@class, 'payment')])");
    assert_contains(pay, "Payment means SEPA credit transfer (58)", "payment");
    assert_contains(pay, "BIC BYLADEM1001", "payment");
    assert_contains(pay, "Account name Haustechnik Lieferant AG", "payment");
    assert_contains(pay, "Remittance information RE-2026-0815", "payment");
    assert_contains(pay, "Payment terms 30 days net; 2 % discount within 10 days", "payment");
    free(pay);
    assert_xpath(r.page, "normalize-space(//p[@class='note'])",
                 "Thank you for your order. Goods remain our property until paid in full.");
    release(&r);
}

static void credit_note_page(void **state)
{
    (void)state;
    rendered r;
    render(CORPUS "html-credit-note.xml", &r);
    assert_page(&r);
    assert_xpath(r.page, "normalize-space(//h1)", "Credit note GS-2026-0042");
    assert_xpath(r.page, "normalize-space(/html/head/title)", "Credit note GS-2026-0042");
    assert_xpath(r.page, "count(//h1[contains(., 'Invoice')])", "0");
    assert_xpath(r.page, "normalize-space(//tr[@class='vat-row'][1]/td[1])", "Intra-community supply (K)");
    assert_xpath(r.page, "normalize-space(//tr[@class='vat-row'][2]/td[1])", "Export outside the EU (G)");
    char *facts = xpath_string(r.page, "normalize-space(//table[@class='facts'])");
    assert_contains(facts, "Credit note number GS-2026-0042", "facts");
    assert_contains(facts, "Preceding invoice RE-2026-0815 of 2026-11-26", "facts");
    free(facts);
    /* Sent with blanks in other places, shown in fours all the same. */
    assert_xpath(r.page, "normalize-space(//td[@class='iban'])", "AT61 1904 3002 3457 3201");
    release(&r);
}

static void reverse_charge_page(void **state)
{
    (void)state;
    rendered r;
    render(CORPUS "html-reverse-charge.xml", &r);
    assert_page(&r);
    assert_xpath(r.page, "normalize-space(//tr[@class='vat-row'][1]/td[1])", "Reverse charge (AE)");
    assert_xpath(r.page, "normalize-space(//tr[@class='vat-row'][2]/td[1])", "Outside the scope of VAT (O)");
    /* "&" in a name is text too. */
    assert_xpath(r.page, "string(//div[@class='party'][h2='Seller']//p[@class='name'])",
                 "Dach & Fach Bau GmbH");
    release(&r);
}

static void only_invoices_are_rendered(void **state)
{
    (void)state;
    const char *xml = "<order xmlns='" MAPPING_CANONICAL_NS "'><kind>order</kind>"
                      "<number>PO-1</number></order>";
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "order.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    char why[512] = "";
    xmlDocPtr out = NULL;
    assert_int_equal(mapping_apply(mapping, style, doc, NULL, &out, NULL, 0, why, sizeof why),
                     EDI_E_XML);
    assert_null(out);
    assert_non_null(strstr(why, "not a canonical invoice"));
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(invoice_page),
        cmocka_unit_test(credit_note_page),
        cmocka_unit_test(reverse_charge_page),
        cmocka_unit_test(only_invoices_are_rendered),
    };
    return cmocka_run_group_tests(tests, setup, mf_teardown);
}
