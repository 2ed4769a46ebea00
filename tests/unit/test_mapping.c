/* gateway/mapping: format detection by content, safe XML parsing, the stylesheet cache
 * (one compiled object per path), xsl:message terminate as the reason of a failed
 * transformation, and validation against the canonical schema. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <libxml/parser.h>
#include <libxslt/xslt.h>

#include "edi_xml.h"
#include "mapping.h"

#define SCHEMA GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define STYLESHEET GATEWAY_FORMATS_DIR "/../xslt/edifact-orders-to-canonical.xsl"

static mapping_format detect(const char *s, char *why, size_t n)
{
    return mapping_detect(s, strlen(s), why, n);
}

static void detects_edifact(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(detect("UNA:+.? 'UNB+UNOC:3+A+B+261126:0915+1'", why, sizeof why),
                     MAPPING_FORMAT_EDIFACT);
    assert_int_equal(detect("\xef\xbb\xbf \r\n\tUNB+UNOC:3+A+B+261126:0915+1'", why, sizeof why),
                     MAPPING_FORMAT_EDIFACT);
    assert_int_equal(detect("UNH+1+ORDERS:D:96A:UN'", why, sizeof why), MAPPING_FORMAT_EDIFACT);
    /* A word that only starts like a service segment is not EDIFACT. */
    assert_int_equal(detect("UNBEKANNT", why, sizeof why), MAPPING_FORMAT_UNKNOWN);
    assert_non_null(strstr(why, "starts with \"UNBEKANNT\""));
    /* A banner line before the interchange (the reader skips and reports it) ... */
    assert_int_equal(detect("#####@@@@@#####\r\nUNB+UNOA:3+A+B+050824:1727+1'", why, sizeof why),
                     MAPPING_FORMAT_EDIFACT);
    /* ... but not a tag inside a line, nor one after the first 4 KiB. */
    assert_int_equal(detect("hello UNB+UNOA:3+A'", why, sizeof why), MAPPING_FORMAT_UNKNOWN);
    char late[5000];
    memset(late, '#', sizeof late);
    memcpy(late + 4500, "\nUNB+UNOA:3+A'", 15);
    assert_int_equal(mapping_detect(late, 4500 + 15, why, sizeof why), MAPPING_FORMAT_UNKNOWN);
}

static void detects_xml_by_root_and_namespace(void **state)
{
    (void)state;
    char why[512];
    assert_int_equal(detect("<?xml version=\"1.0\"?>\n<!-- a > b -->\n<?pi x?>"
                            "<ORDER version=\"2.1\" xmlns=\"http://www.opentrans.org/XMLSchema/2.1\">",
                            why, sizeof why), MAPPING_FORMAT_OPENTRANS_21_ORDER);
    assert_int_equal(detect("<ot:ORDER xmlns='urn:other' xmlns:ot='http://www.opentrans.org/XMLSchema/2.1'/>",
                            why, sizeof why), MAPPING_FORMAT_OPENTRANS_21_ORDER);
    assert_int_equal(detect("<ORDER version=\"1.0\" type=\"standard\">", why, sizeof why),
                     MAPPING_FORMAT_OPENTRANS_10_ORDER);
    assert_int_equal(detect("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\" "
                            "xmlns:cbc=\"x\">", why, sizeof why), MAPPING_FORMAT_UBL_INVOICE);
    assert_int_equal(detect("<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:"
                            "standard:CrossIndustryInvoice:100\">", why, sizeof why),
                     MAPPING_FORMAT_CII_INVOICE);
    /* The DOCTYPE (with '>' in its internal subset) is skipped to reach the root. */
    assert_int_equal(detect("<!DOCTYPE ORDER [ <!ENTITY a \"<b>\"> ]>\n<ORDER>", why, sizeof why),
                     MAPPING_FORMAT_OPENTRANS_10_ORDER);
    /* The right name in the wrong namespace is not that format. */
    assert_int_equal(detect("<ORDER xmlns=\"urn:example\">", why, sizeof why), MAPPING_FORMAT_XML_OTHER);
    assert_non_null(strstr(why, "root element is ORDER in namespace \"urn:example\""));
    assert_int_equal(detect("<Invoice>", why, sizeof why), MAPPING_FORMAT_XML_OTHER);
    assert_non_null(strstr(why, "Invoice without a namespace"));
    assert_int_equal(detect("<ORDER xmlns=\"urn:x", why, sizeof why), MAPPING_FORMAT_UNKNOWN);
    assert_non_null(strstr(why, "no root element could be read"));
}

static void detects_json_and_nothing(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(detect("  {\"a\": 1}", why, sizeof why), MAPPING_FORMAT_JSON);
    assert_int_equal(detect("[1]", why, sizeof why), MAPPING_FORMAT_JSON);
    assert_int_equal(detect(" \n", why, sizeof why), MAPPING_FORMAT_UNKNOWN);
    assert_non_null(strstr(why, "empty"));
    assert_int_equal(mapping_detect("\x01\x02", 2, why, sizeof why), MAPPING_FORMAT_UNKNOWN);
    assert_non_null(strstr(why, "not printable"));
    /* UTF-16 (either byte order) and UTF-32 are named, whatever they encode. */
    static const char *const wide[] = { "\xff\xfeU\0N\0B\0+\0", "\xfe\xff\0<\0O\0R",
                                        "\xff\xfe\0\0<\0\0\0", "\0\0\xfe\xff\0\0\0{" };
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
        assert_int_equal(mapping_detect(wide[i], 8, why, sizeof why), MAPPING_FORMAT_UNKNOWN);
        assert_non_null(strstr(why, "UTF-16 or UTF-32 text"));
    }
    assert_string_equal(mapping_format_name(MAPPING_FORMAT_OPENTRANS_21_ORDER), "openTRANS 2.1 ORDER");
}

static void refuses_doctype(void **state)
{
    (void)state;
    static const char xml[] = "<?xml version=\"1.0\"?>\n\n<!DOCTYPE ORDER [ <!ENTITY s SYSTEM "
                              "\"file:///etc/passwd\"> ]>\n<ORDER>&s;</ORDER>";
    char why[256] = "";
    xmlDocPtr doc = NULL;
    assert_int_equal(mapping_parse_xml(xml, sizeof xml - 1, &doc, why, sizeof why), EDI_E_XML);
    assert_null(doc);
    assert_non_null(strstr(why, "line 3: the document has a DOCTYPE"));
    static const char good[] = "<ORDER><ORDER_ID>1</ORDER_ID></ORDER>";
    assert_int_equal(mapping_parse_xml(good, sizeof good - 1, &doc, why, sizeof why), EDI_OK);
    xmlFreeDoc(doc);
}

static void caches_stylesheets(void **state)
{
    (void)state;
    mapping_ctx *m = mapping_new(SCHEMA);
    assert_non_null(m);
    xsltStylesheetPtr a = NULL, b = NULL, c = NULL;
    char why[512] = "";
    assert_int_equal(mapping_stylesheet(m, STYLESHEET, &a, why, sizeof why), EDI_OK);
    assert_int_equal(mapping_stylesheet(m, STYLESHEET, &b, why, sizeof why), EDI_OK);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_int_equal(mapping_stylesheet(m, GATEWAY_FORMATS_DIR "/no-such.xsl", &c, why, sizeof why),
                     EDI_E_IO);
    assert_null(c);
    assert_non_null(strstr(why, "no-such.xsl cannot be read"));
    /* A failed path is not cached as a success, and the good one is still there. */
    assert_int_equal(mapping_stylesheet(m, STYLESHEET, &c, why, sizeof why), EDI_OK);
    assert_ptr_equal(a, c);
    mapping_free(m);
}

static void terminate_message_is_the_reason(void **state)
{
    (void)state;
    mapping_ctx *m = mapping_new(SCHEMA);
    assert_non_null(m);
    xsltStylesheetPtr style = NULL;
    char why[1024] = "", notes[256] = "";
    assert_int_equal(mapping_stylesheet(m, STYLESHEET, &style, why, sizeof why), EDI_OK);
    static const char msg[] = "<message xmlns=\"" EDI_XML_NS "\" ref=\"M7\" type=\"INVOIC\"/>";
    xmlDocPtr doc = NULL, out = NULL;
    assert_int_equal(edi_xml_parse_mem(msg, sizeof msg - 1, &doc, why, sizeof why), EDI_OK);
    assert_int_equal(mapping_apply(m, style, doc, NULL, &out, notes, sizeof notes, why, sizeof why),
                     EDI_E_XML);
    assert_null(out);
    assert_non_null(strstr(why, "the mapping stopped: message M7 is INVOIC, not ORDERS"));
    xmlFreeDoc(doc);
    mapping_free(m);
}

static void validates_against_the_schema(void **state)
{
    (void)state;
    mapping_ctx *m = mapping_new(SCHEMA);
    assert_non_null(m);
    char why[512] = "";
    static const char good[] = "<order xmlns=\"" MAPPING_CANONICAL_NS "\"><kind>order</kind>"
                               "<number>A-1</number></order>";
    static const char bad[] = "<order xmlns=\"" MAPPING_CANONICAL_NS "\"><kind>order</kind>"
                              "\n<number> </number></order>";
    xmlDocPtr doc = NULL;
    assert_int_equal(edi_xml_parse_mem(good, sizeof good - 1, &doc, why, sizeof why), EDI_OK);
    assert_int_equal(mapping_validate(m, doc, why, sizeof why), EDI_OK);
    xmlFreeDoc(doc);
    assert_int_equal(edi_xml_parse_mem(bad, sizeof bad - 1, &doc, why, sizeof why), EDI_OK);
    assert_int_equal(mapping_validate(m, doc, why, sizeof why), EDI_E_XML);
    assert_non_null(strstr(why, "not valid: line 2: "));
    xmlFreeDoc(doc);
    mapping_free(m);

    m = mapping_new(GATEWAY_FORMATS_DIR "/no-such.xsd");
    assert_non_null(m);
    assert_int_equal(edi_xml_parse_mem(good, sizeof good - 1, &doc, why, sizeof why), EDI_OK);
    assert_int_equal(mapping_validate(m, doc, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "the schema "));
    xmlFreeDoc(doc);
    mapping_free(m);
}

static int teardown(void **state)
{
    (void)state;
    xsltCleanupGlobals();
    xmlCleanupParser();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detects_edifact),
        cmocka_unit_test(detects_xml_by_root_and_namespace),
        cmocka_unit_test(detects_json_and_nothing),
        cmocka_unit_test(refuses_doctype),
        cmocka_unit_test(caches_stylesheets),
        cmocka_unit_test(terminate_message_is_the_reason),
        cmocka_unit_test(validates_against_the_schema),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
