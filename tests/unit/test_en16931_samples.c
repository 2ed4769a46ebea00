/* EN 16931 calculation and business rules on real e-invoices: every invoice listed in
 * tests/corpus/einvoice/EXPECTED.tsv is identified (gateway/einvoice.h), mapped to canonical
 * by xslt/ubl-invoice-to-canonical.xsl or xslt/cii-invoice-to-canonical.xsl (each compiled
 * once), completed (en16931_complete) and checked (en16931_check) with the rule sets its
 * specification implies: XRechnung CORE|XRECHNUNG, Peppol BIS 3 CORE|PEPPOL, EN 16931 and
 * Factur-X BASIC, EN 16931 (COMFORT) and EXTENDED CORE; Factur-X MINIMUM and BASIC WL are not
 * EN 16931 invoices and are only completed.
 *
 * A sample meant to be valid must give no error, and completing it must add nothing and
 * warn about nothing (every total it sent agrees with the computation). The samples that
 * break rules on purpose, or by mistake of their publisher, are in the table `known` with
 * the exact set of rule ids they give and why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "einvoice.h"
#include "en16931.h"
#include "en16931_rules.h"
#include "mapping_fixture.h"

#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/einvoice/"

/* No rules at all: the sample is not an EN 16931 invoice; it is only completed. */
#define NO_RULES 0u
/* The rule sets follow from the specification (BT-24). */
#define BY_SPEC (~0u)

typedef struct {
    const char *file;     /* the path as EXPECTED.tsv writes it */
    unsigned rules;       /* BY_SPEC, NO_RULES or EN16931_RULES_* */
    const char *errors;   /* the rule ids of the errors, blank separated, each once */
    const char *calc;     /* the rule ids en16931_complete warns about */
    const char *added;    /* the canonical elements it adds (local names, blank separated) */
} expectation;

#define CORE EN16931_RULES_CORE
/* Line net amounts (BT-131) that are not quantity x net price / basis quantity: EN 16931 has
 * no rule for it (Peppol's R120 has), so the core rules pass them, and the completion warns. */
#define R120 "PEPPOL-EN16931-R120"

/* Every sample not listed here is meant to be valid for its specification: no error, and the
 * completion adds nothing and warns about nothing. Two that look negative are valid:
 * en16931-ubl/BIS3_Invoice_negativ.XML differs from BIS3_Invoice_positive.XML only by its
 * signs (a negative invoice, quantity -1; BR-CO-17 takes absolute values), and
 * en16931-cii/CII-BR-CO-10-RoundingIssue.xml (720.81 + 0.01 - 720.81 - 0.01 = 0.00) broke
 * floating point schematron processors, not EN 16931. */
static const expectation known[] = {
    /* ---- CEN examples whose BT-24 is ZUGFeRD 1.0's comfort id (not EN 16931, so spec
     * UNKNOWN), but which the CEN repository publishes and validates as EN 16931 CII: the
     * core rules apply. */
    { "en16931-cii/CII-BR-CO-10-RoundingIssue.xml", CORE, NULL, NULL, NULL },
    { "en16931-cii/CII_business_example_02.xml", CORE, NULL, NULL, NULL },
    /* line 16: 1 x 1.50 but 177.41 sent */
    { "en16931-cii/CII_business_example_Z.xml", CORE, NULL, R120, NULL },

    /* ---- CEN examples with line amounts that do not follow from their prices: valid EN
     * 16931 (no core rule), the completion's R120 warning is right. */
    /* BT-149 basis quantities equal to the price (1273 per 1273 units, ...) */
    { "en16931-cii/CII_business_example_01.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-cii/CII_example2.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-cii/CII_example8.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-cii/CII_example9.xml", BY_SPEC, NULL, R120, NULL },
    /* line 20, a return: quantity 6 x 18.33 but -109.98 sent */
    { "en16931-cii/CII_example1.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-ubl/guide-example1.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-ubl/ubl-tc434-example1.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-ubl/ubl-tc434-example10.xml", BY_SPEC, NULL, R120, NULL },
    /* line 1: 2 x 1273.00 but 1273.00 sent */
    { "en16931-ubl/guide-example2.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-ubl/ubl-tc434-example2.xml", BY_SPEC, NULL, R120, NULL },
    { "peppol-bis3/ubl-tc434-test-1.xml", BY_SPEC, NULL, R120, NULL },
    /* 2 x 800.00 (guide: 2 x 800.00 with 400.00 sent) per line */
    { "en16931-ubl/guide-example3.xml", BY_SPEC, NULL, R120, NULL },
    { "en16931-ubl/ubl-tc434-example3.xml", BY_SPEC, NULL, R120, NULL },
    /* insurance tax as line charges whose amounts neither follow from their percent
     * (33349.38 is not 22% of 252646.80) nor add up to the line amounts; no BT-110 (optional,
     * category O), which the completion adds as 0.00 */
    { "en16931-cii/XRechnung-O.xml", BY_SPEC, NULL, "PEPPOL-EN16931-R040 " R120, "taxTotal" },
    /* category O without BT-110 (optional): the completion adds it, 0.00 */
    { "en16931-cii/CII_example7.xml", BY_SPEC, NULL, NULL, "taxTotal" },
    { "xrechnung-testsuite/technical-cases/cius/01.05_minimal_test_uncefact.xml", BY_SPEC,
      NULL, NULL, "taxTotal" },

    /* ---- plain OASIS UBL examples: no BT-24, not EN 16931 invoices; only completed */
    /* 1728.70 rounded to whole units (1729, 729) and line 1 priced 1271 for 1273 */
    { "ubl-oasis/UBL-Invoice-2.1-Example.xml", NO_RULES, NULL, "BR-CO-15 BR-CO-16 " R120,
      NULL },
    { "ubl-oasis/UBL-CreditNote-2.1-Example.xml", NO_RULES, NULL, "BR-CO-15 BR-CO-16", NULL },
    /* one line without quantity, price or VAT category: totals from the line amount, no
     * VAT breakdown */
    { "ubl-oasis/UBL-Invoice-2.1-Example-Trivial.xml", NO_RULES, NULL, "EN16931-CALC",
      "lineAmountTotal taxBasisTotal" },

    /* ---- Factur-X MINIMUM: no lines, so no VAT breakdown can be computed */
    { "zugferd-facturx/FAIL_zugferd_2p1_MINIMUM_Rechnung_380.xml", BY_SPEC, NULL,
      "EN16931-CALC", NULL },
    { "zugferd-facturx/valid_Avoir_FR_type380_minimum_factur-x.xml", BY_SPEC, NULL,
      "EN16931-CALC", NULL },
    /* and BT-115 470.15 with BT-112 671.15 and no prepaid amount */
    { "zugferd-facturx/facturFrMinimum.xml", BY_SPEC, NULL, "EN16931-CALC BR-CO-16", NULL },

    /* ---- negative samples of the Mustang project */
    /* line 1: 2 hours x 160.00 but 160.00 sent; its totals agree with that line, so only
     * the line calculation (Mustang's own arithmetic check, Peppol R120) catches it */
    { "zugferd-facturx/invalidArithmetics.xml", BY_SPEC, NULL, R120, NULL },
    /* "4 decimal places: intentionally violates BR-DEC-23"; it has no seller contact
     * (DefinedTradeContact) either, which KoSIT's BR-DE-2 flags too */
    { "zugferd-facturx/invalidXRV30_BR-DEC-23.xml", BY_SPEC, "BR-DEC-23 BR-DE-2", NULL, NULL },
    /* "4 decimals: violates BR-DEC-23, but must not break the importer"; no due date and no
     * payment terms with an amount due (CEN's CII BR-CO-25 flags every CII invoice) */
    { "zugferd-facturx/line-total-4-decimals.xml", BY_SPEC, "BR-DEC-23 BR-CO-25", NULL, NULL },

    { NULL, 0, NULL, NULL, NULL },
};

/* ---- the mapping ---------------------------------------------------------------------- */

typedef struct {
    mapping_ctx *mapping;
    xsltStylesheetPtr ubl, cii;
} fixture;

static int setup(void **state)
{
    static fixture fx;
    fx.mapping = mf_mapping_new(einvoice_stylesheet(EINVOICE_SYNTAX_UBL_INVOICE), &fx.ubl,
                                einvoice_stylesheet(EINVOICE_SYNTAX_CII), &fx.cii, NULL);
    *state = &fx;
    return fx.mapping ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    mf_mapping_free(fx->mapping);
    return 0;
}

/* The sample `rel` (as EXPECTED.tsv names it) parsed; the XRechnung test suite sits flat in
 * xrechnung/. */
static xmlDocPtr parse_sample(const char *rel)
{
    char path[1024];
    const char *slash = strrchr(rel, '/');
    if (!strncmp(rel, "xrechnung-testsuite/", 20) && slash)
        snprintf(path, sizeof path, "%sxrechnung/%s", CORPUS, slash + 1);
    else
        snprintf(path, sizeof path, "%s%s", CORPUS, rel);
    edi_buf b = mf_read(path);
    xmlDocPtr doc = mf_parse(b.p, b.len, rel);
    edi_buf_free(&b);
    return doc;
}

/* ---- one sample ----------------------------------------------------------------------- */

static unsigned rules_of(einvoice_spec s)
{
    switch (s) {
    case EINVOICE_SPEC_XRECHNUNG:
        return EN16931_RULES_CORE | EN16931_RULES_XRECHNUNG;
    case EINVOICE_SPEC_PEPPOL_BIS3:
        return EN16931_RULES_CORE | EN16931_RULES_PEPPOL;
    case EINVOICE_SPEC_EN16931:
    case EINVOICE_SPEC_FACTURX_BASIC:
    case EINVOICE_SPEC_FACTURX_EXTENDED:
        return EN16931_RULES_CORE;
    default:
        return NO_RULES;
    }
}

static const expectation *expectation_of(const char *file)
{
    for (const expectation *e = known; e->file; e++)
        if (!strcmp(e->file, file))
            return e;
    return NULL;
}

/* True when the blank separated list `list` holds `word`. */
static bool listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list ? list : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k == n && !strncmp(p, word, n))
            return true;
        p += k;
    }
    return false;
}

/* Compare the rule ids of the findings of severity `sev` in `f` (`all`: any severity) with
 * `want`; print the differences under `what`. Returns the number of differences. */
static int compare_rules(const char *file, const char *what, const doc_findings *f, bool all,
                         const char *want)
{
    int bad = 0;
    for (size_t i = 0; i < f->count; i++) {
        const doc_finding *d = &f->items[i];
        if (!all && d->severity != DOC_ERROR)
            continue;
        if (!listed(want, d->rule)) {
            fprintf(stderr, "%s: unexpected %s %s %s (%s): %s\n", file, what, d->rule,
                    d->severity == DOC_ERROR ? "error" : "warning", d->where, d->text);
            bad++;
        }
    }
    for (const char *p = want ? want : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k) {
            char rule[64];
            snprintf(rule, sizeof rule, "%.*s", (int)k, p);
            bool found = false;
            for (size_t i = 0; i < f->count && !found; i++)
                found = !strcmp(f->items[i].rule, rule) &&
                        (all || f->items[i].severity == DOC_ERROR);
            if (!found) {
                fprintf(stderr, "%s: expected %s %s is not reported\n", file, what, rule);
                bad++;
            }
        }
        p += k;
    }
    return bad;
}

/* The local names of the elements marked computed="true" by the completion, in document
 * order, appended to buf. */
static void computed_names(xmlNodePtr n, char *buf, size_t size)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *c = xmlGetProp(n, BAD_CAST "computed");
        if (c && xmlStrEqual(c, BAD_CAST "true")) {
            size_t len = strlen(buf);
            snprintf(buf + len, size - len, "%s%s", len ? " " : "", (const char *)n->name);
        }
        xmlFree(c);
        computed_names(n->children, buf, size);
    }
}

/* Check one sample; returns the number of differences from its expectation. */
static int check_sample(fixture *fx, const char *file, size_t *clean)
{
    const expectation *e = expectation_of(file);
    xmlDocPtr src = parse_sample(file);
    einvoice_kind k;
    char why[1024] = "";
    if (einvoice_identify(src, &k, why, sizeof why) != EDI_OK)
        fail_msg("%s: not identified: %s", file, why);
    xsltStylesheetPtr style = k.syntax == EINVOICE_SYNTAX_CII ? fx->cii : fx->ubl;
    xmlDocPtr doc = mf_apply(fx->mapping, style, src, NULL, file);
    xmlFreeDoc(src);

    doc_findings calc = { 0 }, rules = { 0 };
    assert_int_equal(en16931_complete(doc, &calc, why, sizeof why), EDI_OK);
    mf_assert_canonical(fx->mapping, doc, file);
    int bad = compare_rules(file, "calculation", &calc, true, e ? e->calc : NULL);
    char added[2048] = "";
    computed_names(xmlDocGetRootElement(doc), added, sizeof added);
    const char *want_added = e && e->added ? e->added : "";
    if (strcmp(added, want_added)) {
        fprintf(stderr, "%s: the completion added \"%s\", expected \"%s\"\n", file, added,
                want_added);
        bad++;
    }
    unsigned sets = e && e->rules != BY_SPEC ? e->rules : rules_of(k.spec);
    if (sets != NO_RULES) {
        assert_int_equal(en16931_check(doc, sets, &rules, why, sizeof why), EDI_OK);
        bad += compare_rules(file, "rule", &rules, false, e ? e->errors : NULL);
    }
    if (!bad && !calc.count && !added[0] && !doc_findings_count(&rules, DOC_ERROR))
        ++*clean;
    doc_findings_free(&calc);
    doc_findings_free(&rules);
    xmlFreeDoc(doc);
    return bad;
}

/* ---- the corpus ----------------------------------------------------------------------- */

static void every_sample_meets_its_expectation(void **state)
{
    fixture *fx = *state;
    FILE *f = fopen(CORPUS "EXPECTED.tsv", "r");
    assert_non_null(f);
    char row[2048];
    size_t samples = 0, clean = 0, used = 0;
    int bad = 0;
    while (fgets(row, sizeof row, f)) {
        if (row[0] == '#' || row[0] == '\n')
            continue;
        char *cols[5] = { 0 };
        char *save = NULL;
        size_t n = 0;
        for (char *t = strtok_r(row, "\t\n", &save); t && n < 5; t = strtok_r(NULL, "\t\n", &save))
            cols[n++] = t;
        assert_int_equal(n, 5);
        if (!strcmp(cols[1], "none"))   /* not an invoice (orders, ZUGFeRD 1.0) */
            continue;
        samples++;
        used += expectation_of(cols[0]) != NULL;
        bad += check_sample(fx, cols[0], &clean);
    }
    fclose(f);
    size_t listed_n = 0;
    for (const expectation *e = known; e->file; e++)
        listed_n++;
    fprintf(stderr, "%zu invoices: %zu valid and clean, %zu with a recorded expectation, "
            "%d differences\n", samples, clean, used, bad);
    /* every entry of the table names a sample that is in the corpus */
    assert_int_equal(used, listed_n);
    assert_true(samples >= 150);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_sample_meets_its_expectation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
