/* opentrans_lint: the lenient and the strict reading of received openTRANS. The official
 * samples are clean (the ORDER example only has its placeholder IDREFs, which name no
 * PARTY); each real-world document (Plica ORDERRESPONSE, DISPATCHNOTIFICATION, INVOICE,
 * ORDER; andavis INVOICE) gives the deviations read by hand from the file, at their lines,
 * as warnings, and as errors for a strict partner; a small valid ORDER written here, edited
 * once per rule, gives exactly the one finding that rule is for; what we write ourselves
 * (xslt/canonical-to-opentrans.xsl) gives none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "mapping_fixture.h"
#include "opentrans_lint.h"

#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/opentrans/"
#define FIXTURES GATEWAY_FORMATS_DIR "/../tests/corpus/canonical/"

static mapping_ctx *mapping;

static int setup(void **state)
{
    *state = mapping = mapping_new(MF_SCHEMA);
    return mapping ? 0 : -1;
}

/* ---- helpers --------------------------------------------------------------------- */

static void lint_doc(xmlDocPtr d, bool strict, doc_findings *f, const char *name)
{
    char why[512] = "";
    doc_findings_init(f);
    edi_result r = opentrans_lint(mapping, GATEWAY_FORMATS_DIR, d, strict, f, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("%s: opentrans_lint returned %d: %s", name, (int)r, why);
}

static void lint_file(const char *rel, bool strict, doc_findings *f)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", CORPUS, rel);
    xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (!d)
        fail_msg("%s: not well-formed", rel);
    lint_doc(d, strict, f, rel);
    xmlFreeDoc(d);
}

/* The finding of `rule` at `line` (fails when there is none); its text must contain
 * `words` and its severity be `sev`. */
static void assert_finding(const doc_findings *f, const char *rule, long line, doc_severity sev,
                           const char *words)
{
    for (size_t i = 0; i < f->count; i++) {
        const doc_finding *x = &f->items[i];
        if (strcmp(x->rule, rule) != 0 || x->line != line)
            continue;
        if (x->severity != sev)
            fail_msg("%s line %ld: severity %d, want %d", rule, line, (int)x->severity, (int)sev);
        if (words && !strstr(x->text, words))
            fail_msg("%s line %ld: \"%s\" does not say \"%s\"", rule, line, x->text, words);
        return;
    }
    doc_findings_print(f, stderr, false, "have");
    fail_msg("no %s finding at line %ld", rule, line);
}

/* How many findings of `rule` (NULL: any) the list holds. */
static size_t count_rule(const doc_findings *f, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        if (!rule || !strcmp(f->items[i].rule, rule))
            n++;
    return n;
}

/* Nothing at `line`: a schema error we explained in words is not repeated. */
static size_t count_line(const doc_findings *f, long line)
{
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        if (f->items[i].line == line)
            n++;
    return n;
}

/* ---- the official samples -------------------------------------------------------- */

static void official_samples_are_clean(void **state)
{
    (void)state;
    static const char *files[] = {
        "lint/sample_dispatchnotification_opentrans_2_1.xml",
        "lint/sample_invoice_opentrans_2_1.xml",
        "lint/sample_invoice_opentrans_2_1_xml_signature.xml",
        "lint/sample_invoicelist_credit_card_statement_opentrans_2_1.xml",
        "naugrim/Example_ORDER_Testdistributor_Bestellung.xml",
        "naugrim/minimal_valid_order.xml",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        for (int strict = 0; strict <= 1; strict++) {
            doc_findings f;
            lint_file(files[i], strict, &f);
            if (f.count) {
                doc_findings_print(&f, stderr, false, files[i]);
                fail_msg("%s: %zu findings", files[i], f.count);
            }
            doc_findings_free(&f);
        }
}

/* The official ORDER example is valid against the schema, but its IDREFs are placeholders
 * ("see above in parties (this ID should be defined in parties)") that name no PARTY: the
 * ten of them, and nothing else. CUSTOMER_IDREF "a" (line 143), SUPPLIER_IDREF "a" (204)
 * and MANUFACTURER_IDREF "a" (213) name the PARTY_ID "a" and are fine. */
static void official_order_has_only_placeholder_idrefs(void **state)
{
    (void)state;
    static const long lines[] = { 23, 146, 147, 148, 150, 151, 152, 156, 157, 158 };
    for (int strict = 0; strict <= 1; strict++) {
        doc_findings f;
        lint_file("official/sample_order_opentrans_2_1_xml_signature.xml", strict, &f);
        assert_int_equal(f.count, 10);
        assert_int_equal(count_rule(&f, "OT-IDREF"), 10);
        for (size_t i = 0; i < 10; i++)
            assert_finding(&f, "OT-IDREF", lines[i], strict ? DOC_ERROR : DOC_WARNING, NULL);
        assert_finding(&f, "OT-IDREF", 146, strict ? DOC_ERROR : DOC_WARNING,
                       "BUYER_IDREF (line 146) names the party 'see above in parties");
        doc_findings_free(&f);
    }
}

/* ---- real-world documents ---------------------------------------------------------- */

/* Plica ORDERRESPONSE: SUPPLIER_ORDER_ID (line 9) before ORDERRESPONSE_DATE (line 10), and
 * CURRENCY (line 65) without bmecat: (the schema stops checking ORDERRESPONSE_INFO at the
 * first problem, so only our walk sees the second). */
static void plica_order_response(void **state)
{
    (void)state;
    for (int strict = 0; strict <= 1; strict++) {
        doc_findings f;
        lint_file("lint/PLD_1051712_OrderResponse_example.XML", strict, &f);
        doc_severity sev = strict ? DOC_ERROR : DOC_WARNING;
        assert_int_equal(f.count, 2);
        assert_finding(&f, "OT-ORDER", 9, sev,
                       "SUPPLIER_ORDER_ID (line 9) is out of order: ORDERRESPONSE_DATE (line 10) must come before it");
        assert_finding(&f, "OT-PREFIX", 65, sev, "expects bmecat:CURRENCY");
        assert_int_equal(doc_findings_count(&f, sev), 2);
        doc_findings_free(&f);
    }
}

/* Plica DISPATCHNOTIFICATION: an invented ORDERDATE (line 9) and, in the item's
 * SHIPMENT_PARTIES_REFERENCE, BUYER_IDREF (line 73) where DELIVERY_IDREF must come first. */
static void plica_dispatch_notification(void **state)
{
    (void)state;
    for (int strict = 0; strict <= 1; strict++) {
        doc_findings f;
        lint_file("lint/PLD_1052166_DispatchNotification_example.XML", strict, &f);
        doc_severity sev = strict ? DOC_ERROR : DOC_WARNING;
        assert_int_equal(f.count, 2);
        assert_finding(&f, "OT-UNKNOWN", 9, sev, "ORDERDATE (line 9) is not an element of openTRANS 2.1");
        assert_finding(&f, "OT-ORDER", 73, sev, "the schema wants DELIVERY_IDREF first");
        doc_findings_free(&f);
    }
}

/* andavis INVOICE: five dates with a blank for T (lines 6, 10, 14, 15, 80), "DE " twice
 * (27, 41), a PARTY without PARTY_ID (60), CURRENCY where INVOICE_ISSUER_IDREF must come
 * (70), an empty COST_CATEGORY_ID (72). */
static void andavis_invoice(void **state)
{
    (void)state;
    for (int strict = 0; strict <= 1; strict++) {
        doc_findings f;
        lint_file("lint/example_andavis_invoice.xml", strict, &f);
        doc_severity sev = strict ? DOC_ERROR : DOC_WARNING;
        assert_int_equal(f.count, 10);
        assert_finding(&f, "OT-DATE", 6, sev, "'2013-11-27 08:41:39', with a blank between date and time");
        assert_finding(&f, "OT-DATE", 10, sev, "2013-11-27T00:00:00");
        assert_finding(&f, "OT-DATE", 14, sev, NULL);
        assert_finding(&f, "OT-DATE", 15, sev, NULL);
        assert_finding(&f, "OT-DATE", 80, sev, "ORDER_DATE (line 80)");
        assert_finding(&f, "XSD", 27, sev, "'DE ', with blanks around the value");
        assert_finding(&f, "XSD", 41, sev, "without them it is 'DE'");
        assert_finding(&f, "OT-ORDER", 60, sev, "the schema wants bmecat:PARTY_ID first");
        assert_finding(&f, "OT-ORDER", 70, sev, "INVOICE_ISSUER_IDREF");
        assert_finding(&f, "OT-EMPTY", 72, sev, "bmecat:COST_CATEGORY_ID (line 72) is empty");
        doc_findings_free(&f);
    }
}

/* Plica INVOICE (41 schema errors and many more the schema stops before): a sample of
 * each kind, read in the file. */
static void plica_invoice(void **state)
{
    (void)state;
    doc_findings f;
    lint_file("lint/PLD_451726_Invoice_example.XML", false, &f);
    assert_finding(&f, "OT-EMPTY", 28, DOC_WARNING, "bmecat:NAME3 (line 28) is empty");
    assert_finding(&f, "OT-PREFIX", 48, DOC_WARNING, "bmecat:CONTACT_ROLE (line 48) is in the BMEcat namespace");
    assert_finding(&f, "XSD", 54, DOC_WARNING, "PARTY_ROLE (line 54) is 'recipient'");
    assert_finding(&f, "OT-IDREF", 141, DOC_WARNING, "INVOICE_ISSUER_IDREF (line 141) names the party '3211577000008'");
    assert_finding(&f, "OT-PREFIX", 174, DOC_WARNING, "bmecat:CURRENCY");
    assert_finding(&f, "OT-UNIT", 240, DOC_WARNING, "is PCE, the old EANCOM code for a piece");
    assert_finding(&f, "OT-UNKNOWN", 330, DOC_WARNING, "openTRANS 2.1 has TAX_DETAILS_FIX in its place");
    assert_finding(&f, "OT-EMPTY", 337, DOC_WARNING, "FOREIGN_CURRENCY (line 337) is empty");
    assert_finding(&f, "OT-UNIT", 620, DOC_WARNING, "an hour is HUR");
    assert_finding(&f, "OT-MISSING", 636, DOC_WARNING, "INVOICE_REFERENCE (line 636) lacks INVOICE_ID");
    assert_finding(&f, "XSD", 636, DOC_WARNING, "holds text");
    /* The schema's own complaint about the empty FOREIGN_CURRENCY is not repeated. */
    assert_int_equal(count_line(&f, 337), 1);
    assert_int_equal(count_rule(&f, "OT-UNIT"), 3);   /* PCE at 240 and 419, HR at 620 */
    size_t lenient = f.count;
    assert_int_equal(doc_findings_count(&f, DOC_ERROR), 0);
    doc_findings_free(&f);
    lint_file("lint/PLD_451726_Invoice_example.XML", true, &f);
    assert_int_equal(f.count, lenient);
    assert_int_equal(doc_findings_count(&f, DOC_WARNING), 0);
    assert_finding(&f, "OT-UNIT", 620, DOC_ERROR, "HUR");
    doc_findings_free(&f);
}

/* Plica ORDER (51 schema errors): empty NAME3 (23), CURRENCY without bmecat: (160), PCE
 * (186), PARTIAL_DELIVERY_LIST next to DELIVERY_DATE (204), TAX_DETAILS for
 * TAX_DETAILS_FIX (192). */
static void plica_order(void **state)
{
    (void)state;
    doc_findings f;
    lint_file("realworld-plica/PLD_257444_Order_example.XML", false, &f);
    assert_finding(&f, "OT-EMPTY", 23, DOC_WARNING, "NAME3");
    assert_int_equal(count_line(&f, 23), 1);
    assert_finding(&f, "OT-PREFIX", 160, DOC_WARNING, "CURRENCY (line 160) is written without the bmecat: prefix");
    assert_int_equal(count_line(&f, 160), 1);
    assert_finding(&f, "OT-UNIT", 186, DOC_WARNING, "C62");
    assert_finding(&f, "OT-ORDER", 204, DOC_WARNING, "PARTIAL_DELIVERY_LIST (line 204)");
    assert_finding(&f, "OT-UNKNOWN", 192, DOC_WARNING, "TAX_DETAILS_FIX");
    assert_int_equal(count_rule(&f, "OT-UNIT"), 11);
    doc_findings_free(&f);
}

/* ---- one rule at a time, on a valid ORDER ---------------------------------------- */

static const char base_order[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                               /* 1 */
    "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" "
    "xmlns:bmecat=\"http://www.bmecat.org/bmecat/2005\" type=\"standard\" version=\"2.1\">\n"      /* 2 */
    "  <ORDER_HEADER>\n"                                                                         /* 3 */
    "    <ORDER_INFO>\n"                                                                         /* 4 */
    "      <ORDER_ID>PO-1</ORDER_ID>\n"                                                          /* 5 */
    "      <ORDER_DATE>2026-11-25T08:30:00</ORDER_DATE>\n"                                       /* 6 */
    "      <PARTIES>\n"                                                                          /* 7 */
    "        <PARTY>\n"                                                                          /* 8 */
    "          <bmecat:PARTY_ID type=\"gln\">4012345000016</bmecat:PARTY_ID>\n"                 /* 9 */
    "          <PARTY_ROLE>buyer</PARTY_ROLE>\n"                                                 /* 10 */
    "          <ADDRESS>\n"                                                                      /* 11 */
    "            <bmecat:NAME>Baumarkt Nord GmbH</bmecat:NAME>\n"                                /* 12 */
    "            <bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED>\n"                              /* 13 */
    "          </ADDRESS>\n"                                                                     /* 14 */
    "        </PARTY>\n"                                                                         /* 15 */
    "        <PARTY>\n"                                                                          /* 16 */
    "          <bmecat:PARTY_ID type=\"gln\">4012345000023</bmecat:PARTY_ID>\n"                 /* 17 */
    "          <PARTY_ROLE>supplier</PARTY_ROLE>\n"                                              /* 18 */
    "        </PARTY>\n"                                                                         /* 19 */
    "      </PARTIES>\n"                                                                         /* 20 */
    "      <ORDER_PARTIES_REFERENCE>\n"                                                          /* 21 */
    "        <bmecat:BUYER_IDREF type=\"gln\">4012345000016</bmecat:BUYER_IDREF>\n"             /* 22 */
    "        <bmecat:SUPPLIER_IDREF type=\"gln\">4012345000023</bmecat:SUPPLIER_IDREF>\n"       /* 23 */
    "      </ORDER_PARTIES_REFERENCE>\n"                                                         /* 24 */
    "      <bmecat:CURRENCY>EUR</bmecat:CURRENCY>\n"                                             /* 25 */
    "    </ORDER_INFO>\n"                                                                        /* 26 */
    "  </ORDER_HEADER>\n"                                                                        /* 27 */
    "  <ORDER_ITEM_LIST>\n"                                                                      /* 28 */
    "    <ORDER_ITEM>\n"                                                                         /* 29 */
    "      <LINE_ITEM_ID>10</LINE_ITEM_ID>\n"                                                    /* 30 */
    "      <PRODUCT_ID>\n"                                                                       /* 31 */
    "        <bmecat:SUPPLIER_PID>HAM-300</bmecat:SUPPLIER_PID>\n"                               /* 32 */
    "        <bmecat:DESCRIPTION_SHORT>Hammer</bmecat:DESCRIPTION_SHORT>\n"                      /* 33 */
    "      </PRODUCT_ID>\n"                                                                      /* 34 */
    "      <QUANTITY>24</QUANTITY>\n"                                                            /* 35 */
    "      <bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT>\n"                                         /* 36 */
    "    </ORDER_ITEM>\n"                                                                        /* 37 */
    "  </ORDER_ITEM_LIST>\n"                                                                     /* 38 */
    "  <ORDER_SUMMARY>\n"                                                                        /* 39 */
    "    <TOTAL_ITEM_NUM>1</TOTAL_ITEM_NUM>\n"                                                   /* 40 */
    "  </ORDER_SUMMARY>\n"                                                                       /* 41 */
    "</ORDER>\n";                                                                                /* 42 */

/* The base order with `from` replaced by `to` (which keep the line count), linted. */
static void lint_edited(const char *from, const char *to, bool strict, doc_findings *f)
{
    static char text[sizeof base_order + 512];
    const char *at = strstr(base_order, from);
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base_order), base_order, to, at + strlen(from));
    xmlDocPtr d = xmlReadMemory(text, (int)strlen(text), "edited", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    lint_doc(d, strict, f, from);
    xmlFreeDoc(d);
}

/* Exactly one finding, of `rule` at `line`, saying `words`, in both modes. */
static void assert_one(const char *from, const char *to, const char *rule, long line,
                       const char *words)
{
    for (int strict = 0; strict <= 1; strict++) {
        doc_findings f;
        lint_edited(from, to, strict, &f);
        if (f.count != 1) {
            doc_findings_print(&f, stderr, false, rule);
            fail_msg("%s: %zu findings, want 1", rule, f.count);
        }
        assert_finding(&f, rule, line, strict ? DOC_ERROR : DOC_WARNING, words);
        doc_findings_free(&f);
    }
}

static void base_order_is_clean(void **state)
{
    (void)state;
    doc_findings f;
    lint_edited("<ORDER_ID>", "<ORDER_ID>", true, &f);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
}

static void rule_prefix(void **state)
{
    (void)state;
    assert_one("<bmecat:CURRENCY>EUR</bmecat:CURRENCY>", "<CURRENCY>EUR</CURRENCY>",
               "OT-PREFIX", 25, "CURRENCY (line 25) is written without the bmecat: prefix");
    assert_one("<PARTY_ROLE>supplier</PARTY_ROLE>", "<bmecat:PARTY_ROLE>supplier</bmecat:PARTY_ROLE>",
               "OT-PREFIX", 18, "openTRANS 2.1 defines PARTY_ROLE itself");
    /* Missing on a parent and on its child: one finding each. */
    doc_findings f;
    lint_edited("<bmecat:NAME>Baumarkt Nord GmbH</bmecat:NAME>", "<NAME>Baumarkt Nord GmbH</NAME>", false, &f);
    assert_int_equal(f.count, 1);
    assert_finding(&f, "OT-PREFIX", 12, DOC_WARNING, "expects bmecat:NAME");
    doc_findings_free(&f);
}

static void rule_order(void **state)
{
    (void)state;
    assert_one("<ORDER_ID>PO-1</ORDER_ID>\n      <ORDER_DATE>2026-11-25T08:30:00</ORDER_DATE>",
               "<ORDER_DATE>2026-11-25T08:30:00</ORDER_DATE>\n      <ORDER_ID>PO-1</ORDER_ID>",
               "OT-ORDER", 5, "ORDER_DATE (line 5) is out of order: ORDER_ID (line 6) must come before it");
    assert_one("<bmecat:CURRENCY>EUR</bmecat:CURRENCY>\n    </ORDER_INFO>",
               "<bmecat:CURRENCY>EUR</bmecat:CURRENCY>\n    <REMARKS>x</REMARKS><PARTIAL_SHIPMENT_ALLOWED>true</PARTIAL_SHIPMENT_ALLOWED></ORDER_INFO>",
               "OT-ORDER", 26, "after REMARKS (line 26)");
}

static void rule_unit(void **state)
{
    (void)state;
    const char *from = "<bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT>";
    assert_one(from, "<bmecat:ORDER_UNIT>PCE</bmecat:ORDER_UNIT>", "OT-UNIT", 36, "C62 (one, a piece) is meant");
    assert_one(from, "<bmecat:ORDER_UNIT>HR</bmecat:ORDER_UNIT>", "OT-UNIT", 36, "an hour is HUR");
    assert_one(from, "<bmecat:ORDER_UNIT>H87</bmecat:ORDER_UNIT>", "OT-UNIT", 36, "the list's code for a piece is C62");
    assert_one(from, "<bmecat:ORDER_UNIT> C62</bmecat:ORDER_UNIT>", "OT-UNIT", 36, "with blanks around the code");
    assert_one(from, "<bmecat:ORDER_UNIT>pce2</bmecat:ORDER_UNIT>", "OT-UNIT", 36, "'pce2', which is not in the BMEcat 2005 unit list");
}

static void rule_date(void **state)
{
    (void)state;
    const char *from = "<ORDER_DATE>2026-11-25T08:30:00</ORDER_DATE>";
    assert_one(from, "<ORDER_DATE>2026-11-25 08:30:00</ORDER_DATE>", "OT-DATE", 6,
               "the schema wants ISO 8601 with a T: '2026-11-25T08:30:00'");
    assert_one(from, "<ORDER_DATE>25.11.2026</ORDER_DATE>", "OT-DATE", 6, "'25.11.2026', which is not a date");
    /* What the pattern allows is no finding: date only, fractions, offsets, Z. */
    static const char *fine[] = { "2026-11-25", "2026-11-25T08:30", "2026-11-25T08:30:00.3769",
                                  "2026-11-25T08:30:00+01:00", "2026-11-25T08:30:00Z", "2026" };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        char to[128];
        snprintf(to, sizeof to, "<ORDER_DATE>%s</ORDER_DATE>", fine[i]);
        doc_findings f;
        lint_edited(from, to, true, &f);
        if (f.count)
            fail_msg("%s: %zu findings", fine[i], f.count);
        doc_findings_free(&f);
    }
}

/* The schema has no keyref: only our check sees it, and strict makes it an error. */
static void rule_idref(void **state)
{
    (void)state;
    assert_one(">4012345000016</bmecat:BUYER_IDREF>", ">4012345000099</bmecat:BUYER_IDREF>",
               "OT-IDREF", 22, "BUYER_IDREF (line 22) names the party '4012345000099'");
}

static void rule_empty(void **state)
{
    (void)state;
    assert_one("<bmecat:NAME>Baumarkt Nord GmbH</bmecat:NAME>", "<bmecat:NAME></bmecat:NAME>",
               "OT-EMPTY", 12, "bmecat:NAME (line 12) is empty");
    assert_one("<LINE_ITEM_ID>10</LINE_ITEM_ID>", "<LINE_ITEM_ID/>", "OT-EMPTY", 30, "LINE_ITEM_ID");
    /* Blanks only: the schema counts them as a value (length 2), so a strict partner gets
     * a warning, not an error; the reading still treats the name as absent. */
    doc_findings f;
    lint_edited("<bmecat:NAME>Baumarkt Nord GmbH</bmecat:NAME>", "<bmecat:NAME>  </bmecat:NAME>", true, &f);
    assert_int_equal(f.count, 1);
    assert_finding(&f, "OT-EMPTY", 12, DOC_WARNING, "is empty");
    doc_findings_free(&f);
}

static void rule_currency(void **state)
{
    (void)state;
    assert_one(">EUR</bmecat:CURRENCY>", ">PLN</bmecat:CURRENCY>", "OT-CURRENCY", 25,
               "is PLN, which the BMEcat 2005 currency list");
    assert_one(">EUR</bmecat:CURRENCY>", ">Euro</bmecat:CURRENCY>", "OT-CURRENCY", 25,
               "not an ISO 4217 currency code");
}

static void rule_unknown_missing_xsd(void **state)
{
    (void)state;
    assert_one("<ORDER_ID>PO-1</ORDER_ID>", "<ORDER_ID>PO-1</ORDER_ID><ORDER_NUMBER>7</ORDER_NUMBER>",
               "OT-UNKNOWN", 5, "ORDER_NUMBER (line 5) is not an element of openTRANS 2.1 or BMEcat 2005");
    assert_one("<bmecat:BUYER_IDREF type=\"gln\">4012345000016</bmecat:BUYER_IDREF>\n"
               "        <bmecat:SUPPLIER_IDREF type=\"gln\">4012345000023</bmecat:SUPPLIER_IDREF>",
               "\n", "OT-MISSING", 21, "ORDER_PARTIES_REFERENCE (line 21) lacks bmecat:BUYER_IDREF");
    assert_one("<bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED>",
               "<bmecat:COUNTRY_CODED>DE </bmecat:COUNTRY_CODED>", "XSD", 13,
               "with blanks around the value");
    assert_one("<PARTY_ROLE>supplier</PARTY_ROLE>", "<PARTY_ROLE>vendor</PARTY_ROLE>", "XSD", 18,
               "PARTY_ROLE (line 18) is 'vendor', which the schema does not allow");
}

/* openTRANS 1.0 has no schema here: only the checks that need none, and strict changes
 * nothing for them (no XSD verdict to give). */
static void opentrans_10(void **state)
{
    (void)state;
    static const char doc10[] =
        "<ORDER version=\"1.0\" type=\"standard\">\n"
        "  <ORDER_HEADER>\n"
        "    <ORDER_INFO>\n"
        "      <ORDER_ID>PO-10</ORDER_ID>\n"
        "      <ORDER_DATE>2026-11-25 08:30:00</ORDER_DATE>\n"
        "      <ORDER_PARTIES><BUYER_PARTY><PARTY><PARTY_ID type=\"iln\">4012345000016</PARTY_ID></PARTY></BUYER_PARTY></ORDER_PARTIES>\n"
        "    </ORDER_INFO>\n"
        "  </ORDER_HEADER>\n"
        "  <ORDER_ITEM_LIST>\n"
        "    <ORDER_ITEM><LINE_ITEM_ID>1</LINE_ITEM_ID><QUANTITY>2</QUANTITY>\n"
        "      <ORDER_UNIT>PCE</ORDER_UNIT></ORDER_ITEM>\n"
        "  </ORDER_ITEM_LIST>\n"
        "</ORDER>\n";
    for (int strict = 0; strict <= 1; strict++) {
        xmlDocPtr d = xmlReadMemory(doc10, (int)strlen(doc10), "v10", NULL, XML_PARSE_NONET);
        assert_non_null(d);
        doc_findings f;
        lint_doc(d, strict, &f, "1.0");
        assert_int_equal(f.count, 2);
        assert_finding(&f, "OT-DATE", 5, DOC_WARNING, "2026-11-25T08:30:00");
        assert_finding(&f, "OT-UNIT", 11, DOC_WARNING, "C62");
        doc_findings_free(&f);
        xmlFreeDoc(d);
    }
}

/* What we write (xslt/canonical-to-opentrans.xsl) reads back without a single finding. */
static void our_output_is_clean(void **state)
{
    (void)state;
    static const char *fixtures[] = { "ot-order.xml", "ot-orderresponse.xml",
                                      "ot-despatchadvice.xml", "ot-invoice.xml" };
    xsltStylesheetPtr style = mf_stylesheet(mapping, "canonical-to-opentrans.xsl");
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s%s", FIXTURES, fixtures[i]);
        xmlDocPtr in = xmlReadFile(path, NULL, XML_PARSE_NONET);
        assert_non_null(in);
        xmlDocPtr out = mf_apply(mapping, style, in, NULL, fixtures[i]);
        doc_findings f;
        lint_doc(out, true, &f, fixtures[i]);
        if (f.count) {
            doc_findings_print(&f, stderr, false, fixtures[i]);
            fail_msg("%s: %zu findings", fixtures[i], f.count);
        }
        doc_findings_free(&f);
        xmlFreeDoc(out);
        xmlFreeDoc(in);
    }
}

static void refusals(void **state)
{
    (void)state;
    char why[512] = "";
    doc_findings f = { 0 };
    xmlDocPtr d = xmlReadMemory(base_order, (int)strlen(base_order), "base", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    assert_int_equal(opentrans_lint(mapping, "/nonexistent-formats", d, false, &f, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "cannot be read"));
    assert_int_equal(f.count, 0);
    xmlFreeDoc(d);
    static const char ubl[] = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"/>";
    d = xmlReadMemory(ubl, (int)strlen(ubl), "ubl", NULL, XML_PARSE_NONET);
    assert_int_equal(opentrans_lint(mapping, GATEWAY_FORMATS_DIR, d, false, &f, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "not openTRANS"));
    xmlFreeDoc(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(official_samples_are_clean),
        cmocka_unit_test(official_order_has_only_placeholder_idrefs),
        cmocka_unit_test(plica_order_response),
        cmocka_unit_test(plica_dispatch_notification),
        cmocka_unit_test(andavis_invoice),
        cmocka_unit_test(plica_invoice),
        cmocka_unit_test(plica_order),
        cmocka_unit_test(base_order_is_clean),
        cmocka_unit_test(rule_prefix),
        cmocka_unit_test(rule_order),
        cmocka_unit_test(rule_unit),
        cmocka_unit_test(rule_date),
        cmocka_unit_test(rule_idref),
        cmocka_unit_test(rule_empty),
        cmocka_unit_test(rule_currency),
        cmocka_unit_test(rule_unknown_missing_xsd),
        cmocka_unit_test(opentrans_10),
        cmocka_unit_test(our_output_is_clean),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, setup, mf_teardown);
}
