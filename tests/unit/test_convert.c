/* The conversion engine (gateway/convert.h): every target on fixtures of the repository
 * gives one output of the right kind and name; an interchange with two ORDERS gives two
 * canonical orders; reader findings reach the caller with their position; strict openTRANS
 * (partner profile) and an invoice that breaks a rule are refused with the rule ids and no
 * output; a partner's stylesheet override is used and compiled once; EDIFACT options reach
 * the output; `invoice check` picks its rules from BT-24. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "mapping_fixture.h"
#include "partner.h"

#define ROOT GATEWAY_FORMATS_DIR "/.."
#define XSLT ROOT "/xslt"
#define CANON ROOT "/tests/corpus/canonical"
#define PROFILES ROOT "/tests/corpus/partners"
#define PARTNER_XSD ROOT "/partners/partner.xsd"
#define XRECHNUNG_UBL ROOT "/tests/corpus/einvoice/xrechnung/01.01a-INVOICE_ubl.xml"

/* Remove from the first `from` to the end of the next `to` in f; the text must hold both. */
static void cut(edi_buf *f, const char *from, const char *to)
{
    char *a = strstr(f->p, from);
    assert_non_null(a);
    char *b = strstr(a, to);
    assert_non_null(b);
    b += strlen(to);
    memmove(a, b, f->len + 1 - (size_t)(b - f->p));
    f->len -= (size_t)(b - a);
}

/* A text that holds `needle`. */
static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%.300s\" does not contain \"%s\"", hay, needle);
}

typedef struct {
    convert_engine *e;
    convert_results out;
    doc_findings f;
    char why[1024];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->e = convert_engine_new(GATEWAY_FORMATS_DIR, XSLT, fx->why, sizeof fx->why);
    doc_findings_init(&fx->f);
    *state = fx;
    return fx->e ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    convert_results_free(&fx->out);
    doc_findings_free(&fx->f);
    convert_engine_free(fx->e);
    free(fx);
    return 0;
}

static convert_status run_file(fixture *fx, const char *path, convert_target t,
                               const convert_options *o)
{
    edi_buf in = mf_read(path);
    convert_status s = convert_run(fx->e, in.p, in.len, t, o, &fx->out, &fx->f, fx->why,
                                   sizeof fx->why);
    edi_buf_free(&in);
    return s;
}

static void target_names(void **state)
{
    (void)state;
    for (int t = 0; t < CONVERT_TARGET_COUNT; t++) {
        convert_target back;
        assert_true(convert_target_parse(convert_target_name((convert_target)t), &back));
        assert_int_equal(back, t);
    }
    convert_target x;
    assert_false(convert_target_parse("edifact", &x));
    assert_null(convert_target_stylesheet(CONVERT_TO_CANONICAL));
    assert_string_equal(convert_target_stylesheet(CONVERT_TO_PEPPOL), "canonical-to-ubl.xsl");
}

static void every_target(void **state)
{
    fixture *fx = *state;
    static const struct {
        convert_target t;
        const char *in;
        const char *media;
        const char *start;      /* in the first 400 bytes */
        const char *name_end;
    } cases[] = {
        { CONVERT_TO_CANONICAL, XRECHNUNG_UBL, "application/xml", "<invoice xmlns=\"urn:edi-gateway:canonical:1\"", ".xml" },
        { CONVERT_TO_ORDERS, CANON "/edifact-out-orders.xml", "application/EDIFACT", "UNH+1+ORDERS:D:96A", ".orders.edi" },
        { CONVERT_TO_ORDRSP, CANON "/orderresponse-changed.xml", "application/EDIFACT", "BGM+231+RSP-2026-0042+4'", "RSP-2026-0042.ordrsp.edi" },
        { CONVERT_TO_DESADV, CANON "/edifact-out-desadv.xml", "application/EDIFACT", "UNH+1+DESADV:D:96A", ".desadv.edi" },
        { CONVERT_TO_OPENTRANS, CANON "/ot-order.xml", "application/xml", "<ORDER ", ".opentrans.xml" },
        { CONVERT_TO_XRECHNUNG_UBL, XRECHNUNG_UBL, "application/xml", "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"", ".xrechnung-ubl.xml" },
        { CONVERT_TO_XRECHNUNG_CII, XRECHNUNG_UBL, "application/xml", "<rsm:CrossIndustryInvoice", ".xrechnung-cii.xml" },
        { CONVERT_TO_PEPPOL, XRECHNUNG_UBL, "application/xml", "poacc:billing:3.0</cbc:CustomizationID>", ".peppol.xml" },
        { CONVERT_TO_HTML, CANON "/html-invoice.xml", "text/html", "<html", ".html" },
    };
    convert_options o = { .datetime = "20261126:1000" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        convert_results_free(&fx->out);
        doc_findings_free(&fx->f);
        convert_status s = run_file(fx, cases[i].in, cases[i].t, &o);
        if (s != CONVERT_DONE)
            fail_msg("--to %s: status %d: %s", convert_target_name(cases[i].t), (int)s, fx->why);
        assert_int_equal(fx->out.count, 1);
        const convert_output *out = &fx->out.items[0];
        assert_string_equal(out->media_type, cases[i].media);
        assert_int_equal(out->data[out->len], '\0');
        char head[401];
        snprintf(head, sizeof head, "%s", out->data);
        assert_contains(head, cases[i].start);
        size_t nl = strlen(out->name), el = strlen(cases[i].name_end);
        assert_true(nl >= el);
        assert_string_equal(out->name + nl - el, cases[i].name_end);
    }
}

static void invoic_from_an_invoice(void **state)
{
    fixture *fx = *state;
    /* The fixture as it is: a delivery party name of 36 characters continues in the next
     * NAD component, and the EN 16931 allowance reason 95 becomes 7161 DI. */
    edi_buf in = mf_read(CANON "/einvoice-out-standard.xml");
    convert_options o = { .datetime = "20261126:1000", .control_ref = "INV7" };
    convert_status s = convert_run(fx->e, in.p, in.len, CONVERT_TO_INVOIC, &o, &fx->out, &fx->f,
                                   fx->why, sizeof fx->why);
    edi_buf_free(&in);
    if (s != CONVERT_DONE)
        fail_msg("invoic: %d: %s", (int)s, fx->why);
    assert_int_equal(fx->out.count, 1);
    assert_contains(fx->out.items[0].data, "+261126:1000+INV7'");
    assert_contains(fx->out.items[0].data, "BGM+380+RE-2026-0815+9'");
    assert_contains(fx->out.items[0].data, "++Stadtwerke Beispielstadt, Lager Nor:d+");
    assert_contains(fx->out.items[0].data, "ALC+A++++DI:::Rabatt Fachliteratur'");
    /* INVOIC has no place for BT-24: its absence is a warning only. */
    assert_true(doc_findings_has(&fx->f, "BR-01"));
    assert_int_equal(doc_findings_count(&fx->f, DOC_ERROR), 0);
}

static void two_orders_give_two_documents(void **state)
{
    fixture *fx = *state;
    assert_int_equal(run_file(fx, ROOT "/samples/edifact/orders-d96a-eancom.edi",
                              CONVERT_TO_CANONICAL, NULL), CONVERT_DONE);
    assert_int_equal(fx->out.count, 2);
    assert_string_equal(fx->out.items[0].name, "PO-2026-1187.xml");
    assert_string_equal(fx->out.items[1].name, "PO-2026-1188.xml");
    assert_string_equal(fx->out.items[0].what, "message M1");
    assert_contains(fx->out.items[1].data, "<number>PO-2026-1188</number>");
    assert_contains(fx->out.items[0].data, "<lineAmount computed=\"true\">600.00</lineAmount>");
}

static void reader_findings_propagate(void **state)
{
    fixture *fx = *state;
    convert_status s = run_file(fx, ROOT "/samples/edifact/orders-d96a-with-errors.edi",
                                CONVERT_TO_CANONICAL, NULL);
    assert_int_equal(s, CONVERT_FINDINGS);
    assert_true(doc_findings_count(&fx->f, DOC_ERROR) > 0);
    const doc_finding *first = NULL;
    for (size_t i = 0; i < fx->f.count && !first; i++)
        if (!strncmp(fx->f.items[i].rule, "EDIFACT-", 8))
            first = &fx->f.items[i];
    assert_non_null(first);
    assert_true(first->line > 0);
    assert_contains(first->where, "interchange 1");
    assert_contains(first->where, "segment");
    assert_contains(fx->why, "the EDIFACT check found");
}

static partner *load(fixture *fx, const char *id)
{
    partner *p = NULL;
    char why[512] = "";
    if (partner_find(convert_engine_mapping(fx->e), PARTNER_XSD, PROFILES, id, &p, &fx->f, why,
                     sizeof why) != EDI_OK)
        fail_msg("profile %s: %s", id, why);
    return p;
}

static void strict_opentrans_refused(void **state)
{
    fixture *fx = *state;
    const char *plica = ROOT "/tests/corpus/opentrans/realworld-plica/PLD_257444_Order_example.XML";
    /* Lenient: converted, the deviations are warnings with lines. */
    assert_int_equal(run_file(fx, plica, CONVERT_TO_CANONICAL, NULL), CONVERT_DONE);
    assert_int_equal(fx->out.count, 1);
    assert_true(doc_findings_count(&fx->f, DOC_WARNING) > 0);
    assert_int_equal(doc_findings_count(&fx->f, DOC_ERROR), 0);
    assert_true(fx->f.items[0].line > 0);
    assert_int_equal(strncmp(fx->f.items[0].rule, "OT-", 3) == 0 || !strcmp(fx->f.items[0].rule, "XSD"), 1);
    convert_results_free(&fx->out);
    doc_findings_free(&fx->f);

    partner *p = load(fx, "strict");
    convert_options o = { .partner = p };
    assert_int_equal(run_file(fx, plica, CONVERT_TO_CANONICAL, &o), CONVERT_FINDINGS);
    assert_int_equal(fx->out.count, 0);
    assert_true(doc_findings_count(&fx->f, DOC_ERROR) > 1);
    assert_true(doc_findings_has(&fx->f, "OT-ORDER"));
    partner_free(p);
}

static void invoice_breaking_rules_refused(void **state)
{
    fixture *fx = *state;
    edi_buf in = mf_read(CANON "/invoice-xrechnung.xml");
    /* Without the buyer reference (Leitweg-ID) XRechnung is broken (BR-DE-15). */
    cut(&in, "<reference kind=\"buyer_reference\">", "</reference>");
    convert_status s = convert_run(fx->e, in.p, in.len, CONVERT_TO_XRECHNUNG_UBL, NULL, &fx->out,
                                   &fx->f, fx->why, sizeof fx->why);
    assert_int_equal(s, CONVERT_FINDINGS);
    assert_int_equal(fx->out.count, 0);
    assert_true(doc_findings_has(&fx->f, "BR-DE-15"));
    /* The same invoice for the EN 16931 core rules only (HTML is not gated; EN 16931 has no
     * BR-DE-15): converted. */
    convert_results_free(&fx->out);
    doc_findings_free(&fx->f);
    s = convert_run(fx->e, in.p, in.len, CONVERT_TO_HTML, NULL, &fx->out, &fx->f, fx->why,
                    sizeof fx->why);
    edi_buf_free(&in);
    assert_int_equal(s, CONVERT_DONE);
    assert_int_equal(fx->out.count, 1);
}

static void partner_override_compiled_once(void **state)
{
    fixture *fx = *state;
    partner *p = load(fx, "acme");
    const char *override = partner_stylesheet_path(p, false, "ordrsp");
    assert_non_null(override);
    convert_options o = { .partner = p, .datetime = "20261126:1000" };
    for (int round = 0; round < 2; round++)
        assert_int_equal(run_file(fx, CANON "/orderresponse-changed.xml", CONVERT_TO_ORDRSP, &o),
                         CONVERT_DONE);
    assert_int_equal(fx->out.count, 2);
    /* The override's one change (1225 4 -> 29); the profile's separators, line breaks and
     * outbound unit map. */
    assert_contains(fx->out.items[0].data, "UNA:+,? '\n");
    assert_contains(fx->out.items[0].data, "BGM+231+RSP-2026-0042+29'\n");
    assert_contains(fx->out.items[0].data, "PRI+AAA:12,50:::1'\n");
    assert_contains(fx->out.items[0].data, "QTY+21:8:ST'\n");
    assert_string_equal(fx->out.items[0].data, fx->out.items[1].data);
    /* The engine's cache holds the override: asking again gives the same compiled object,
     * and a third run does not compile another. */
    xsltStylesheetPtr first = NULL, again = NULL;
    char why[512];
    assert_int_equal(mapping_stylesheet(convert_engine_mapping(fx->e), override, &first, why,
                                        sizeof why), EDI_OK);
    assert_int_equal(run_file(fx, CANON "/orderresponse-changed.xml", CONVERT_TO_ORDRSP, &o),
                     CONVERT_DONE);
    assert_int_equal(mapping_stylesheet(convert_engine_mapping(fx->e), override, &again, why,
                                        sizeof why), EDI_OK);
    assert_ptr_equal(first, again);
    partner_free(p);
}

static void options_reach_edifact(void **state)
{
    fixture *fx = *state;
    convert_options o = { .datetime = "20261126:1000", .directory = "D01B", .association = "none",
                          .syntax_id = "UNOC", .syntax_version = 4, .control_ref = "X1" };
    assert_int_equal(run_file(fx, CANON "/orderresponse-changed.xml", CONVERT_TO_ORDRSP, &o),
                     CONVERT_DONE);
    assert_contains(fx->out.items[0].data, "UNB+UNOC:4+");
    assert_contains(fx->out.items[0].data, "+20261126:1000+X1'");
    assert_contains(fx->out.items[0].data, "UNH+1+ORDRSP:D:01B:UN'");
    convert_results_free(&fx->out);
    /* A value that would break out of the stylesheet's string parameter is refused. */
    o.control_ref = "a'b";
    assert_int_equal(run_file(fx, CANON "/orderresponse-changed.xml", CONVERT_TO_ORDRSP, &o),
                     CONVERT_REFUSED);
    assert_int_equal(fx->out.count, 0);
    o.control_ref = NULL;
    o.datetime = "2026-11-26";
    assert_int_equal(run_file(fx, CANON "/orderresponse-changed.xml", CONVERT_TO_ORDRSP, &o),
                     CONVERT_REFUSED);
}

static void refused_inputs(void **state)
{
    fixture *fx = *state;
    const char hello[] = "hello world\n";
    assert_int_equal(convert_run(fx->e, hello, sizeof hello - 1, CONVERT_TO_CANONICAL, NULL,
                                 &fx->out, &fx->f, fx->why, sizeof fx->why), CONVERT_REFUSED);
    assert_contains(fx->why, "it starts with \"hello\"");
    /* JSON: refused, saying where a web order goes instead. */
    const char json[] = "{\"lines\": []}";
    assert_int_equal(convert_run(fx->e, json, sizeof json - 1, CONVERT_TO_CANONICAL, NULL,
                                 &fx->out, &fx->f, fx->why, sizeof fx->why), CONVERT_REFUSED);
    assert_contains(fx->why, "the file is JSON");
    assert_contains(fx->why, "POST /api/orders");
    /* An order to an invoice target: refused for its kind, nothing written. */
    assert_int_equal(run_file(fx, CANON "/edifact-out-orders.xml", CONVERT_TO_PEPPOL, NULL),
                     CONVERT_REFUSED);
    assert_true(doc_findings_has(&fx->f, "CONVERT"));
    assert_int_equal(fx->out.count, 0);
    /* A missing stylesheet folder: every stylesheet target says it is not available. */
    convert_engine *none = convert_engine_new(GATEWAY_FORMATS_DIR, "/nonexistent", fx->why,
                                              sizeof fx->why);
    assert_non_null(none);
    assert_false(convert_target_available(none, CONVERT_TO_DESADV, fx->why, sizeof fx->why));
    assert_contains(fx->why, "--to desadv is not available yet");
    assert_true(convert_target_available(none, CONVERT_TO_CANONICAL, fx->why, sizeof fx->why));
    convert_engine_free(none);
}

static void check_invoice_rules(void **state)
{
    fixture *fx = *state;
    edi_buf in = mf_read(XRECHNUNG_UBL);
    const char *used = NULL;
    assert_int_equal(convert_check_invoice(fx->e, in.p, in.len, CONVERT_RULES_DEFAULT, NULL, &fx->f,
                                           &used, fx->why, sizeof fx->why), CONVERT_DONE);
    assert_string_equal(used, "en16931+xrechnung");
    /* Asked for Peppol, the XRechnung identifier breaks PEPPOL-EN16931-R004. */
    assert_int_equal(convert_check_invoice(fx->e, in.p, in.len, CONVERT_RULES_PEPPOL, NULL, &fx->f,
                                           &used, fx->why, sizeof fx->why), CONVERT_FINDINGS);
    assert_string_equal(used, "en16931+peppol");
    assert_true(doc_findings_has(&fx->f, "PEPPOL-EN16931-R004"));
    edi_buf_free(&in);
    doc_findings_free(&fx->f);
    /* A canonical invoice without BT-24 breaks BR-01. */
    in = mf_read(CANON "/invoice-xrechnung.xml");
    cut(&in, "<specification>", "</specification>");
    assert_int_equal(convert_check_invoice(fx->e, in.p, in.len, CONVERT_RULES_DEFAULT, NULL, &fx->f,
                                           &used, fx->why, sizeof fx->why), CONVERT_FINDINGS);
    assert_string_equal(used, "en16931");
    assert_true(doc_findings_has(&fx->f, "BR-01"));
    edi_buf_free(&in);
    /* An order is no invoice. */
    in = mf_read(CANON "/edifact-out-orders.xml");
    assert_int_equal(convert_check_invoice(fx->e, in.p, in.len, CONVERT_RULES_DEFAULT, NULL, &fx->f,
                                           &used, fx->why, sizeof fx->why), CONVERT_REFUSED);
    assert_contains(fx->why, "invoice check reads");
    edi_buf_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(target_names),
        cmocka_unit_test_setup_teardown(every_target, setup, teardown),
        cmocka_unit_test_setup_teardown(invoic_from_an_invoice, setup, teardown),
        cmocka_unit_test_setup_teardown(two_orders_give_two_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(reader_findings_propagate, setup, teardown),
        cmocka_unit_test_setup_teardown(strict_opentrans_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(invoice_breaking_rules_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(partner_override_compiled_once, setup, teardown),
        cmocka_unit_test_setup_teardown(options_reach_edifact, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(check_invoice_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
