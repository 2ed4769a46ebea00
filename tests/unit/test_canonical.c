/* The canonical model's schema (formats/canonical/canonical.xsd): it compiles with
 * libxml2, a minimal and a full order are valid, and documents that break the model
 * (decimal comma, no order number, unknown party role) are refused with a message that
 * names the offending element or attribute. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#define SCHEMA GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"

static xmlSchemaPtr schema;

/* Validation messages of the last document, joined, so tests can look for names. */
static char messages[4096];

static void collect(void *ctx, const xmlError *e)
{
    (void)ctx;
    size_t used = strlen(messages);
    if (e && e->message && used + 1 < sizeof messages)
        snprintf(messages + used, sizeof messages - used, "%s", e->message);
}

static int load_schema(void **state)
{
    (void)state;
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(SCHEMA);
    if (!pc)
        return -1;
    schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    return schema ? 0 : -1;
}

static int free_schema(void **state)
{
    (void)state;
    xmlSchemaFree(schema);
    xmlCleanupParser();
    return 0;
}

/* 0 when valid; the messages are in `messages`. */
static int validate(const char *xml)
{
    messages[0] = '\0';
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "test.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_non_null(doc);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    assert_non_null(vc);
    xmlSchemaSetValidStructuredErrors(vc, (xmlStructuredErrorFunc)collect, NULL);
    int r = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
    return r;
}

#define NS "urn:edi-gateway:canonical:1"

static const char minimal_order[] =
    "<order xmlns='" NS "'><kind>order</kind><number>PO-1</number></order>";

static const char full_order[] =
    "<order xmlns='" NS "' source='EDIFACT ORDERS D 96A UN EAN008'>"
    "<kind>order</kind>"
    "<type code='220'>standard</type>"
    "<number>PO-2026-1187</number>"
    "<date role='document' qualifier='137' format='102' original='20261126'>2026-11-26</date>"
    "<date role='delivery_requested' qualifier='2' format='203' original='202612031400'>"
    "2026-12-03T14:00</date>"
    "<currency>EUR</currency>"
    "<reference kind='contract' qualifier='CT'>RV-2026-07</reference>"
    "<text qualifier='PUR'>Deliver to gate 3</text>"
    "<paymentTerms qualifier='3'><text>30 days net</text><dueDate>2026-12-26</dueDate>"
    "<periodDays>30</periodDays><discountPercent>2</discountPercent></paymentTerms>"
    "<party role='buyer' qualifier='BY'>"
    "<id scheme='gln' agency='9'>4012345000016</id><id scheme='vat'>DE123456789</id>"
    "<name>M\xc3\xbcller Haustechnik GmbH</name><street>Industriestra\xc3\x9f" "e 12</street>"
    "<postcode>50667</postcode><city>K\xc3\xb6ln</city><country>DE</country>"
    "<contact function='PD'><name>Herr Foo</name><phone>0221 1234</phone>"
    "<email>foo@example.com</email></contact></party>"
    "<party role='supplier' qualifier='SU'><id scheme='gln' agency='9'>4098765000012</id></party>"
    "<party role='delivery' qualifier='DP'><id scheme='gln'>4012345000023</id></party>"
    "<party role='invoicee' qualifier='IV'><name>Accounts</name></party>"
    "<party role='final_delivery' qualifier='UC'><name>Site 7</name></party>"
    "<allowanceCharge kind='charge' qualifier='C'><reason qualifier='FC'>freight</reason>"
    "<amount>15.00</amount></allowanceCharge>"
    "<line><number>1</number><gtin>4006381333931</gtin><supplierArticle>TH-100</supplierArticle>"
    "<buyerArticle>B-1</buyerArticle><manufacturerArticle>M-1</manufacturerArticle>"
    "<description qualifier='F'>Pipe clamp</description>"
    "<quantity unit='C62' unitAsSent='PCE'>48</quantity>"
    "<netPrice basisQuantity='100' basisUnit='MTR' basisUnitAsSent='MTR'>3.95</netPrice>"
    "<grossPrice>4.10</grossPrice><lineAmount>600.00</lineAmount>"
    "<tax type='VAT'><category>S</category><ratePercent>19</ratePercent></tax>"
    "<allowanceCharge kind='allowance'><percent>5</percent><amount>-1.50</amount></allowanceCharge>"
    "<date role='delivery_requested' qualifier='2' format='102' original='20261203'>2026-12-03</date>"
    "<reference kind='promotion' qualifier='PD'>99</reference>"
    "<text qualifier='AAI'>SIB: 1234</text>"
    "<extension source='edifact'><MEA xmlns='urn:edi-gateway:edifact-xml:1'/></extension></line>"
    "<totals missing='taxTotal'><lineCount>1</lineCount><lineAmountTotal>600.00</lineAmountTotal>"
    "</totals>"
    "<extension source='edifact'><ALI xmlns='urn:edi-gateway:edifact-xml:1'/></extension>"
    "</order>";

static void schema_compiles(void **state)
{
    (void)state;
    assert_non_null(schema);
}

static void minimal_order_is_valid(void **state)
{
    (void)state;
    if (validate(minimal_order) != 0)
        fail_msg("minimal order refused: %s", messages);
}

static void full_order_is_valid(void **state)
{
    (void)state;
    if (validate(full_order) != 0)
        fail_msg("full order refused: %s", messages);
}

/* The other three documents use the same model under their own root. */
static void other_documents_are_valid(void **state)
{
    (void)state;
    static const char *docs[] = {
        "<orderResponse xmlns='" NS "'><kind>order_response</kind>"
        "<type code='29'>accepted</type><number>R-1</number></orderResponse>",
        "<despatchAdvice xmlns='" NS "'><kind>despatch_advice</kind><number>D-1</number>"
        "</despatchAdvice>",
        "<invoice xmlns='" NS "'><kind>invoice</kind><type code='381'>credit_note</type>"
        "<number>CN-1</number><totals><payableAmount>-10.00</payableAmount></totals></invoice>",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        if (validate(docs[i]) != 0)
            fail_msg("document %zu refused: %s", i, messages);
}

static void assert_refused(const char *xml, const char *name)
{
    assert_int_not_equal(validate(xml), 0);
    if (!strstr(messages, name))
        fail_msg("the message does not name %s: %s", name, messages);
}

static void decimal_comma_is_refused(void **state)
{
    (void)state;
    assert_refused("<order xmlns='" NS "'><kind>order</kind><number>PO-1</number>"
                   "<line><number>1</number><lineAmount>12,5</lineAmount></line></order>",
                   "lineAmount");
    assert_refused("<order xmlns='" NS "'><kind>order</kind><number>PO-1</number>"
                   "<line><number>1</number><quantity>1e3</quantity></line></order>",
                   "quantity");
}

static void missing_number_is_refused(void **state)
{
    (void)state;
    assert_refused("<order xmlns='" NS "'><kind>order</kind>"
                   "<date role='document'>2026-11-26</date></order>",
                   "number");
    assert_refused("<order xmlns='" NS "'><kind>order</kind><number> </number></order>",
                   "number");
}

static void unknown_party_role_is_refused(void **state)
{
    (void)state;
    assert_refused("<order xmlns='" NS "'><kind>order</kind><number>PO-1</number>"
                   "<party role='reseller'><name>X</name></party></order>",
                   "role");
}

static void bad_date_is_refused(void **state)
{
    (void)state;
    assert_refused("<order xmlns='" NS "'><kind>order</kind><number>PO-1</number>"
                   "<date role='document' original='20261126'>20261126</date></order>",
                   "date");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_compiles),
        cmocka_unit_test(minimal_order_is_valid),
        cmocka_unit_test(full_order_is_valid),
        cmocka_unit_test(other_documents_are_valid),
        cmocka_unit_test(decimal_comma_is_refused),
        cmocka_unit_test(missing_number_is_refused),
        cmocka_unit_test(unknown_party_role_is_refused),
        cmocka_unit_test(bad_date_is_refused),
    };
    return cmocka_run_group_tests(tests, load_schema, free_schema);
}
