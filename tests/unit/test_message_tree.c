/* The parsed tree of a stored message (gateway/message_tree.h): EDIFACT as one line per
 * segment with number, line, byte offset, tag and elements, groups indented under their
 * name, values decoded from their charset (or the partner's override) with release
 * characters shown as '?'; EDIFACT-XML from the engine; a cut-off interchange shows what
 * parsed and the reason it stopped, not its consequences; the limit cuts at a line end and
 * counts what it left out; XML pretty-printed whatever its layout and without DTDs; JSON
 * pretty-printed; unknown content and oversized documents refused with a sentence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_directory.h"
#include "message_tree.h"

#define EDIFACT_DIR GATEWAY_FORMATS_DIR "/edifact"

/* An EANCOM ORDERS with two line items, one segment a line. */
static const char ORDER[] =
    "UNA:+.? '\n"
    "UNB+UNOC:3+4012345000016:14+4098765000012:14+261126:0915+IC1'\n"
    "UNH+M1+ORDERS:D:96A:UN:EAN008'\n"
    "BGM+220+PO?+1+9'\n"
    "DTM+137:20261126:102'\n"
    "NAD+BY+4012345000016::9++M\xFCller GmbH'\n"
    "NAD+SU+4098765000012::9'\n"
    "LIN+1++4006381333931:EN'\n"
    "QTY+21:48'\n"
    "PRI+AAA:12.50'\n"
    "LIN+2++4006381333948:EN'\n"
    "QTY+21:12'\n"
    "UNS+S'\n"
    "UNT+12+M1'\n"
    "UNZ+1+IC1'\n";

typedef struct {
    edi_directory *dir;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->dir = edi_directory_open(EDIFACT_DIR);
    assert_non_null(fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    edi_directory_free(fx->dir);
    free(fx);
    return 0;
}

static edi_result render(const char *raw, size_t len, edi_directory *dir, message_tree_style style,
                         size_t max, message_tree *t, char *why, size_t why_n)
{
    message_tree_options o = { .directory = dir, .style = style, .max_bytes = max };
    return message_tree_render(raw, len, &o, t, why, why_n);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("\"%s\" not found in:\n%s", part, text);
}

static size_t lines_of(const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

static void segments_with_groups(void **state)
{
    fixture *fx = *state;
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(ORDER, sizeof ORDER - 1, fx->dir, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_int_equal(t.format, MAPPING_FORMAT_EDIFACT);
    assert_false(t.stopped);
    assert_false(t.truncated);
    if (t.errors)
        fail_msg("%s", t.findings.p);
    assert_contains(t.text.p, "interchange 1: UNOC 3, from 4012345000016:14 to 4098765000012:14, "
                              "reference IC1\n");
    assert_contains(t.text.p, "message 1: ORDERS D 96A UN EAN008, reference M1 (read as ORDERS "
                              "D.96A EANCOM)\n");
    /* segment 2 on line 4 at byte 82; the released '+' shown released again */
    assert_contains(t.text.p, "\n     2      4        103  BGM+220+PO?+1+9\n");
    /* groups: SG2 at the top, SG25 with SG28 inside it */
    assert_contains(t.text.p, "\n                          SG2\n"
                              "     4      6        142    NAD+BY+4012345000016::9++M\xC3\xBCller GmbH\n");
    assert_contains(t.text.p, "    LIN+1++4006381333931:EN\n");
    assert_contains(t.text.p, "\n                            SG28\n");
    assert_contains(t.text.p, "      PRI+AAA:12.50\n");
    assert_contains(t.text.p, "  UNS+S\n");
    assert_int_equal(t.shown_lines, t.total_lines);
    assert_int_equal(t.text.len, t.total_bytes);
    assert_int_equal(strlen(t.text.p), t.text.len);
    message_tree_free(&t);
}

static void without_directory_flat(void **state)
{
    (void)state;
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(ORDER, sizeof ORDER - 1, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_contains(t.text.p, "(no directory definition: elements by position, no groups)");
    assert_null(strstr(t.text.p, "SG2"));
    assert_contains(t.text.p, "\n     4      6        142  NAD+BY+");
    message_tree_free(&t);
}

static void partner_charset_override(void **state)
{
    fixture *fx = *state;
    /* UTF-8 bytes under UNOC: read as Latin-1 they are two characters, with the
     * partner's override one. */
    static const char utf8[] =
        "UNB+UNOC:3+S:14+R:14+261126:0915+IC2'UNH+1+ORDERS:D:96A:UN'BGM+220+K\xC3\xB6ln+9'"
        "UNT+2+1'UNZ+1+IC2'";
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(utf8, sizeof utf8 - 1, fx->dir, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_contains(t.text.p, "BGM+220+K\xC3\x83\xC2\xB6ln+9\n");
    message_tree_free(&t);
    message_tree_options o = { .directory = fx->dir, .charset_override = "UTF-8" };
    assert_int_equal(message_tree_render(utf8, sizeof utf8 - 1, &o, &t, why, sizeof why), EDI_OK);
    assert_contains(t.text.p, "BGM+220+K\xC3\xB6ln+9\n");
    assert_contains(t.text.p, "read as UTF-8");
    message_tree_free(&t);
}

static void cut_off_shows_what_parsed(void **state)
{
    fixture *fx = *state;
    const char *cut = strstr(ORDER, "NAD+SU") + 10; /* inside segment 5 */
    size_t len = (size_t)(cut - ORDER);
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(ORDER, len, fx->dir, MESSAGE_TREE_SEGMENTS, 0, &t, why, sizeof why),
                     EDI_OK);
    assert_true(t.stopped);
    assert_contains(t.text.p, "NAD+BY+4012345000016");
    assert_null(strstr(t.text.p, "NAD+SU"));
    /* the reason, not the missing UNT and UNZ that follow from it */
    assert_contains(t.stop, "line 7 (byte 180), message 1: the file ends inside a segment");
    assert_true(t.errors >= 3);
    assert_contains(t.findings.p, "no UNZ trailer");
    message_tree_free(&t);

    assert_int_equal(render(ORDER, len, fx->dir, MESSAGE_TREE_XML, 0, &t, why, sizeof why), EDI_OK);
    assert_true(t.stopped);
    assert_contains(t.text.p, "<NAD seg=\"4\" offset=\"142\" line=\"6\">");
    assert_contains(t.text.p, "</edifact>\n");
    assert_contains(t.stop, "line 7 (byte 180), message 1: the file ends inside a segment");
    message_tree_free(&t);
}

static void edifact_xml(void **state)
{
    fixture *fx = *state;
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(ORDER, sizeof ORDER - 1, fx->dir, MESSAGE_TREE_XML, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_contains(t.text.p, "<?xml version=\"1.0\"?>\n<edifact xmlns=\"urn:edi-gateway:edifact-xml:1\">\n");
    assert_contains(t.text.p, "      <BGM seg=\"2\" offset=\"103\" line=\"4\">\n        <C002>\n"
                              "          <D1001>220</D1001>\n        </C002>\n"
                              "        <D1004>PO+1</D1004>\n");
    assert_contains(t.text.p, "      <SG25>\n        <LIN seg=\"6\"");
    assert_false(t.stopped);
    message_tree_free(&t);
}

/* The limit keeps whole lines and counts the rest; without it the same text is complete. */
static void limit_cuts_at_a_line_end(void **state)
{
    fixture *fx = *state;
    for (int style = MESSAGE_TREE_SEGMENTS; style <= MESSAGE_TREE_XML; style++) {
        message_tree all, cut;
        char why[640] = "";
        assert_int_equal(render(ORDER, sizeof ORDER - 1, fx->dir, (message_tree_style)style, 0,
                                &all, why, sizeof why), EDI_OK);
        assert_int_equal(render(ORDER, sizeof ORDER - 1, fx->dir, (message_tree_style)style, 500,
                                &cut, why, sizeof why), EDI_OK);
        assert_false(all.truncated);
        assert_true(cut.truncated);
        assert_true(cut.text.len <= 500);
        assert_true(cut.text.len > 300);
        assert_int_equal(cut.text.p[cut.text.len - 1], '\n');
        assert_memory_equal(cut.text.p, all.text.p, cut.text.len);
        assert_int_equal(cut.total_bytes, all.text.len);
        assert_int_equal(cut.total_lines, all.total_lines);
        assert_int_equal(cut.shown_lines, lines_of(cut.text.p, cut.text.len));
        assert_true(cut.shown_lines < cut.total_lines);
        message_tree_free(&all);
        message_tree_free(&cut);
    }
}

/* A single line longer than the limit is cut at a character, never inside one. */
static void long_line_cut_at_a_character(void **state)
{
    (void)state;
    char json[200];
    snprintf(json, sizeof json, "\"%s\"", "\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC");
    message_tree t;
    char why[640] = "";
    message_tree_options o = { .format = MAPPING_FORMAT_JSON, .max_bytes = 6 };
    assert_int_equal(message_tree_render(json, strlen(json), &o, &t, why, sizeof why), EDI_OK);
    assert_true(t.truncated);
    assert_string_equal(t.text.p, "\"\xC3\xBC\xC3\xBC\n");
    message_tree_free(&t);
}

static void xml_pretty_printed(void **state)
{
    (void)state;
    static const char ot[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" version=\"2.1\">\n"
        "\t<ORDER_HEADER><ORDER_INFO>\n\t\t<ORDER_ID>PO 1</ORDER_ID>\n"
        "\t</ORDER_INFO></ORDER_HEADER>\n"
        "<REMARKS>mixed <b>bold</b> text</REMARKS></ORDER>";
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(ot, sizeof ot - 1, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_int_equal(t.format, MAPPING_FORMAT_OPENTRANS_21_ORDER);
    assert_contains(t.text.p, "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" version=\"2.1\">\n"
                              "  <ORDER_HEADER>\n    <ORDER_INFO>\n      <ORDER_ID>PO 1</ORDER_ID>\n"
                              "    </ORDER_INFO>\n  </ORDER_HEADER>\n");
    assert_contains(t.text.p, "  <REMARKS>mixed <b>bold</b> text</REMARKS>\n</ORDER>\n");
    assert_false(t.stopped);
    message_tree_free(&t);
}

static void xml_broken_or_hostile(void **state)
{
    (void)state;
    static const char broken[] = "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\">\n"
                                 "<ORDER_HEADER>\n</ORDER>";
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(broken, sizeof broken - 1, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_true(t.stopped);
    assert_contains(t.stop, "line 3");
    assert_int_equal(t.text.len, 0);
    message_tree_free(&t);

    static const char doctype[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE ORDER [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\">&x;</ORDER>";
    assert_int_equal(render(doctype, sizeof doctype - 1, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_true(t.stopped);
    assert_contains(t.stop, "DOCTYPE");
    assert_null(strstr(t.text.p ? t.text.p : "", "root:"));
    message_tree_free(&t);
}

static void json_pretty_printed(void **state)
{
    (void)state;
    static const char order[] = "{\"order_number\":\"W-1\",\"lines\":[{\"qty\":\"2\"}]}";
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(order, sizeof order - 1, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_int_equal(t.format, MAPPING_FORMAT_JSON);
    assert_string_equal(t.text.p, "{\n  \"order_number\": \"W-1\",\n  \"lines\": [\n    {\n"
                                  "      \"qty\": \"2\"\n    }\n  ]\n}\n");
    message_tree_free(&t);

    static const char bad[] = "{\"order_number\": \"W-1\",\n \"lines\": [}";
    assert_int_equal(render(bad, sizeof bad - 1, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why,
                            sizeof why), EDI_OK);
    assert_true(t.stopped);
    assert_contains(t.stop, "line 2, column");
    message_tree_free(&t);
}

static void refused(void **state)
{
    (void)state;
    message_tree t;
    char why[640] = "";
    assert_int_equal(render("hello", 5, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why, sizeof why),
                     EDI_E_ARG);
    assert_true(why[0] != '\0');
    message_tree_free(&t);

    /* a document over the parse bound with a limit: refused; without one it is parsed */
    size_t n = MESSAGE_TREE_PARSE_MAX + 16;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "<x>", 3);
    memcpy(big + n - 4, "</x>", 4);
    why[0] = '\0';
    assert_int_equal(render(big, n, NULL, MESSAGE_TREE_SEGMENTS, 1000, &t, why, sizeof why),
                     EDI_E_LIMIT);
    assert_contains(why, "ask for all of it");
    message_tree_free(&t);
    assert_int_equal(render(big, n, NULL, MESSAGE_TREE_SEGMENTS, 0, &t, why, sizeof why), EDI_OK);
    assert_int_equal(t.format, MAPPING_FORMAT_XML_OTHER);
    assert_contains(t.text.p, "<x>");
    message_tree_free(&t);
    free(big);
}

/* EDIFACT-XML of a large interchange only when asked for all of it; the listing always. */
static void edifact_xml_bounded(void **state)
{
    fixture *fx = *state;
    static const char unb[] = "UNB+UNOC:3+S:14+R:14+261126:0915+X'";
    size_t n = MESSAGE_TREE_EDIFACT_XML_MAX + 16;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '\n', n);
    memcpy(big, unb, sizeof unb - 1);
    message_tree t;
    char why[640] = "";
    assert_int_equal(render(big, n, fx->dir, MESSAGE_TREE_XML, 1000, &t, why, sizeof why),
                     EDI_E_LIMIT);
    assert_contains(why, "the segment listing shows it");
    message_tree_free(&t);
    assert_int_equal(render(big, n, fx->dir, MESSAGE_TREE_SEGMENTS, 1000, &t, why, sizeof why),
                     EDI_OK);
    assert_contains(t.text.p, "UNB+UNOC:3+S:14+R:14+261126:0915+X\n");
    message_tree_free(&t);
    assert_int_equal(render(big, n, fx->dir, MESSAGE_TREE_XML, 0, &t, why, sizeof why), EDI_OK);
    assert_contains(t.text.p, "<UNB seg=\"1\"");
    message_tree_free(&t);
    free(big);
}

static void style_names(void **state)
{
    (void)state;
    message_tree_style s = MESSAGE_TREE_XML;
    assert_true(message_tree_style_parse("segments", &s));
    assert_int_equal(s, MESSAGE_TREE_SEGMENTS);
    assert_true(message_tree_style_parse("xml", &s));
    assert_int_equal(s, MESSAGE_TREE_XML);
    assert_false(message_tree_style_parse("yaml", &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(segments_with_groups),
        cmocka_unit_test(without_directory_flat),
        cmocka_unit_test(partner_charset_override),
        cmocka_unit_test(cut_off_shows_what_parsed),
        cmocka_unit_test(edifact_xml),
        cmocka_unit_test(limit_cuts_at_a_line_end),
        cmocka_unit_test(long_line_cut_at_a_character),
        cmocka_unit_test(xml_pretty_printed),
        cmocka_unit_test(xml_broken_or_hostile),
        cmocka_unit_test(json_pretty_printed),
        cmocka_unit_test(refused),
        cmocka_unit_test(edifact_xml_bounded),
        cmocka_unit_test(style_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
