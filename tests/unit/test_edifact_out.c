/* canonical -> EDIFACT ORDRSP, DESADV, INVOIC, ORDERS (xslt/canonical-to-*.xsl with
 * xslt/edifact-out-common.xsl): each canonical fixture (tests/corpus/canonical/
 * edifact-out-*.xml) goes through the production mapping step (gateway/mapping), the
 * serializer (edi_xml_write) and back through our reader with the directory, for D.96A
 * EANCOM 97, D.01B EANCOM 2002, D.96A UN and D.01B UN. Every message must read back with no
 * error finding (valid against our directory and code lists), its tree must have exactly
 * the segments, groups and values the stylesheet built (so the group names are the ones
 * `edi to-xml` gives), and the values asserted below were worked out by hand from the
 * fixtures. Also: syntax version 4, other separators and a decimal comma through
 * edi_writer_options, refusals, and the old ORDRSP D.96A output byte for byte.
 * With EDIFACT_OUT_DIR set, every message written is also saved there (<type>-<variant>.edi)
 * for tests/integration/test_edifact_out_peer.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltutils.h>

#include "edi_buf.h"
#include "edi_directory.h"
#include "edi_xml.h"
#include "mapping_fixture.h"

#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/canonical/"
#define MSG "/e:edifact/e:interchange/e:message"

static edi_directory *directory;
static mapping_ctx *mapping;

static int setup(void **state)
{
    (void)state;
    directory = edi_directory_open(GATEWAY_FORMATS_DIR "/edifact");
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

/* ---- the four variants --------------------------------------------------------------- */

typedef struct {
    const char *directory;   /* parameter directory */
    const char *association; /* parameter association; NULL: the stylesheet's default */
    const char *label;       /* file name part */
    const char *read_as;     /* the directory our reader chose (message/@directory) */
    bool ean, d01b;
} variant;

static const variant variants[] = {
    { "D96A", NULL, "d96a-eancom", "EAN97", true, false },
    { "D01B", NULL, "d01b-eancom", "EAN02", true, true },
    { "D96A", "none", "d96a-un", "D96A", false, false },
    { "D01B", "none", "d01b-un", "D01B", false, true },
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

/* ---- helpers ------------------------------------------------------------------------- */

/* libxslt parameters: names and quoted string values, NULL-terminated. */
typedef struct {
    const char *list[2 * 16 + 1];
    char quoted[16][96];
    int n;
} params;

/* Add a parameter, or replace the value of one already there. */
static void param(params *p, const char *name, const char *value)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->list[2 * i], name)) {
            snprintf(p->quoted[i], sizeof p->quoted[i], "'%s'", value);
            return;
        }
    assert_true(p->n < 16);
    snprintf(p->quoted[p->n], sizeof p->quoted[p->n], "'%s'", value);
    p->list[2 * p->n] = name;
    p->list[2 * p->n + 1] = p->quoted[p->n];
    p->n++;
    p->list[2 * p->n] = NULL;
}

/* The parameters of a variant (the list points into *p, so it is filled in place). */
static void variant_params(params *p, const variant *v)
{
    p->n = 0;
    p->list[0] = NULL;
    param(p, "datetime", "20261126:1000");
    param(p, "control-ref", "IC77");
    param(p, "directory", v->directory);
    if (v->association)
        param(p, "association", v->association);
}

/* The whole of tests/corpus/canonical/<name> (caller frees with edi_buf_free). */
static edi_buf read_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", CORPUS, name);
    return mf_read(path);
}

/* A canonical fixture, parsed as the gateway parses user XML and valid against the schema
 * (the stylesheets trust it). The caller frees. */
static xmlDocPtr load_canonical(const char *name)
{
    edi_buf b = read_fixture(name);
    xmlDocPtr doc = mf_parse(b.p, b.len, name);
    edi_buf_free(&b);
    mf_assert_canonical(mapping, doc, name);
    return doc;
}

/* Apply xslt/<xsl> to doc; EDI_OK and the EDIFACT-XML tree, or the refusal in `why`. */
static edi_result transform(const char *xsl, xmlDocPtr doc, params *p, xmlDocPtr *tree,
                            char *why, size_t why_n)
{
    return mapping_apply(mapping, mf_stylesheet(mapping, xsl), doc, p ? p->list : NULL, tree, NULL,
                         0, why, why_n);
}

/* An element that carries no value anywhere below it: the serializer drops it when it is
 * trailing and the reader does not rebuild it, so the shapes are compared without such. */
static bool blank(xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    bool empty = !t || !t[strspn((const char *)t, " \t\r\n")];
    xmlFree(t);
    return empty;
}

/* The next element sibling from `n` on that matters for the comparison: not blank, and not
 * a count the serializer computes (UNT 0074, UNZ 0036). */
static xmlNodePtr next_significant(xmlNodePtr n)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !blank(n) && !xmlStrEqual(n->name, BAD_CAST "D0074") &&
            !xmlStrEqual(n->name, BAD_CAST "D0036"))
            return n;
    return NULL;
}

static bool has_element_child(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* Values equal but for the decimal mark: the serializer writes numbers with the one in
 * force (`decimal`), so the stylesheet's "12.50" reads back as "12,50" under a comma. */
static bool same_value(const xmlChar *built, const xmlChar *read, char decimal)
{
    if (!built || !read)
        return built == read;
    size_t n = strlen((const char *)built);
    if (n != strlen((const char *)read))
        return false;
    for (size_t i = 0; i < n; i++)
        if (built[i] != read[i] && !(built[i] == '.' && read[i] == decimal))
            return false;
    return true;
}

/* The tree the stylesheet built and the tree read back from what was written hold the same
 * elements (segments, groups, data elements) in the same order with the same values. */
static void assert_same_shape(xmlNodePtr built, xmlNodePtr read, const char *path, char decimal)
{
    char here[1024];
    snprintf(here, sizeof here, "%s/%s", path, (const char *)built->name);
    if (!xmlStrEqual(built->name, read->name))
        fail_msg("%s: the stylesheet wrote <%s>, the reader has <%s>", here, built->name, read->name);
    if (!has_element_child(built) || !has_element_child(read)) {
        xmlChar *a = xmlNodeGetContent(built), *b = xmlNodeGetContent(read);
        bool same = same_value(a, b, decimal);
        if (!same) {
            char msg[1400];
            snprintf(msg, sizeof msg, "%.600s: \"%.300s\" written, \"%.300s\" read", here, a, b);
            xmlFree(a);
            xmlFree(b);
            fail_msg("%s", msg);
        }
        xmlFree(a);
        xmlFree(b);
        return;
    }
    xmlNodePtr a = next_significant(built->children), b = next_significant(read->children);
    while (a && b) {
        assert_same_shape(a, b, here, decimal);
        a = next_significant(a->next);
        b = next_significant(b->next);
    }
    if (a || b)
        fail_msg("%s: <%s> is only in the tree %s", here, a ? a->name : b->name,
                 a ? "the stylesheet built" : "read back");
}

static xmlNodePtr first_message(xmlDocPtr doc)
{
    xmlXPathObjectPtr o = xpath_eval(doc, MSG);
    assert_true(o->nodesetval && o->nodesetval->nodeNr == 1);
    xmlNodePtr n = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    return n;
}

/* Save a message for the peer test when EDIFACT_OUT_DIR is set. */
static void save(const char *name, const char *data, size_t len)
{
    const char *dir = getenv("EDIFACT_OUT_DIR");
    if (!dir || !*dir)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.edi", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

typedef struct {
    xmlDocPtr back;     /* the message as our reader reads it back */
    char *data;         /* the EDIFACT written (NUL-terminated copy) */
    size_t len;
} produced;

static void produced_free(produced *p)
{
    xmlFreeDoc(p->back);
    free(p->data);
}

/* Canonical -> tree -> EDIFACT (options `wo`, NULL: the tree's) -> tree again, with no error
 * finding and the same shape; saved as `name`. */
static produced produce(const char *xsl, xmlDocPtr doc, params *p,
                        const edi_writer_options *wo, const char *name)
{
    char why[1024] = "";
    xmlDocPtr tree = NULL;
    if (transform(xsl, doc, p, &tree, why, sizeof why) != EDI_OK)
        fail_msg("%s: the transformation failed: %s", name, why);
    edi_xml_output out = { 0 };
    if (edi_xml_write(tree, wo, directory, &out, why, sizeof why) != EDI_OK)
        fail_msg("%s: the tree was not written: %s", name, why);
    assert_string_equal(out.warning, "");
    produced res = { .data = malloc(out.len + 1), .len = out.len };
    assert_non_null(res.data);
    memcpy(res.data, out.data, out.len);
    res.data[out.len] = '\0';
    edi_xml_output_free(&out);
    save(name, res.data, res.len);

    edi_findings f;
    edi_findings_init(&f, 0);
    edi_reader_options ro = { .directory = directory };
    edi_result r = edi_xml_read_mem(res.data, res.len, &ro, &res.back, &f);
    if (r != EDI_OK || f.errors) {
        char line[512];
        for (size_t i = 0; i < f.count; i++) {
            edi_finding_format(&f.items[i], line, sizeof line);
            print_message("%s: %s\n", name, line);
        }
        print_message("%s: %s\n", name, res.data);
        size_t errors = f.errors;
        edi_findings_free(&f);
        fail_msg("%s: read back with %zu errors (%s)", name, errors, edi_result_str(r));
    }
    edi_findings_free(&f);
    assert_non_null(res.back);
    /* A syntax version the caller chooses rewrites UNB (0002, the date) on purpose: then
     * the messages are compared. */
    xmlNodePtr built = xmlDocGetRootElement(tree), read = xmlDocGetRootElement(res.back);
    if (wo && wo->syntax_version) {
        built = first_message(tree);
        read = first_message(res.back);
    }
    assert_same_shape(built, read, "", wo && wo->sc.terminator ? wo->sc.decimal : '.');
    xmlFreeDoc(tree);
    return res;
}

/* The message header every variant has. */
static void assert_header(xmlDocPtr back, const variant *v, const char *type, const char *ean97,
                          const char *ean02)
{
    assert_xpath(back, "string(" MSG "/@type)", type);
    assert_xpath(back, "string(" MSG "/@directory)", v->read_as);
    assert_xpath(back, "string(" MSG "/e:UNH/e:S009/e:D0054)", v->d01b ? "01B" : "96A");
    assert_xpath(back, "string(" MSG "/e:UNH/e:S009/e:D0057)", !v->ean ? "" : v->d01b ? ean02 : ean97);
    assert_xpath(back, "string(/e:edifact/e:interchange/@control-ref)", "IC77");
    assert_xpath(back, "string(/e:edifact/e:interchange/e:UNB/e:S004/e:D0017)", "261126");
}

static char *name_of(const char *type, const variant *v)
{
    static char name[64];
    snprintf(name, sizeof name, "%s-%s", type, v->label);
    return name;
}

/* ---- ORDRSP -------------------------------------------------------------------------- */

#define ORDRSP_LINE(n) MSG "/e:SG26[e:LIN/e:D1082='" n "']"

static void test_ordrsp(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-ordrsp.xml");
    for (size_t i = 0; i < N_VARIANTS; i++) {
        const variant *v = &variants[i];
        params p;
        variant_params(&p, v);
        produced out = produce("canonical-to-ordrsp.xsl", doc, &p, NULL, name_of("ordrsp", v));
        xmlDocPtr b = out.back;
        assert_header(b, v, "ORDRSP", "EAN005", "EAN007");
        assert_xpath(b, "string(/e:edifact/e:interchange/@sender)", "4012345000023");
        assert_xpath(b, "string(/e:edifact/e:interchange/@recipient)", "4012345000016");
        assert_xpath(b, "string(" MSG "/e:BGM/e:C002/e:D1001)", "231");
        assert_xpath(b, "string(" MSG "/e:BGM//e:D1004)", "RSP-2026-0101");
        assert_xpath(b, "string(" MSG "/e:BGM/e:D1225)", "4");
        /* LIN 1229 per line: the status name, or its @code when given. */
        assert_xpath(b, "string(" ORDRSP_LINE("10") "/e:LIN/e:D1229)", "5");
        assert_xpath(b, "string(" ORDRSP_LINE("20") "/e:LIN/e:D1229)", "3");
        assert_xpath(b, "string(" ORDRSP_LINE("30") "/e:LIN/e:D1229)", "7");
        assert_xpath(b, "string(" ORDRSP_LINE("40") "/e:LIN/e:D1229)", "1");
        assert_xpath(b, "string(" ORDRSP_LINE("50") "/e:LIN/e:D1229)", "7");
        /* Ordered 21 against confirmed 113 where the order's quantity is known. */
        assert_xpath(b, "string(" ORDRSP_LINE("20") "/e:QTY[e:C186/e:D6063='21']/e:C186/e:D6060)", "12");
        assert_xpath(b, "string(" ORDRSP_LINE("20") "/e:QTY[e:C186/e:D6063='113']/e:C186/e:D6060)", "8");
        assert_xpath(b, "string(" ORDRSP_LINE("30") "/e:QTY[e:C186/e:D6063='113']/e:C186/e:D6060)", "0");
        assert_xpath(b, "count(" ORDRSP_LINE("10") "/e:QTY)", "1");
        assert_xpath(b, "string(" ORDRSP_LINE("10") "/e:QTY[e:C186/e:D6063='21']/e:C186/e:D6060)", "24");
        assert_xpath(b, "string(" ORDRSP_LINE("10") "/e:QTY/e:C186/e:D6411)", v->ean ? "PCE" : "C62");
        assert_xpath(b, "string(" ORDRSP_LINE("40") "/e:QTY/e:C186/e:D6411)", "KGM");
        assert_xpath(b, "string(" ORDRSP_LINE("20") "/e:PIA/e:C212[e:D7143='IN']/e:D7140)", "B-SAW-500");
        assert_xpath(b, "string(" ORDRSP_LINE("20") "/e:DTM/e:C507[e:D2005='69']/e:D2380)", "202612080930");
        assert_xpath(b, "string(" ORDRSP_LINE("10") "/e:SG30/e:PRI/e:C509[e:D5125='AAA']/e:D5118)", "12.50");
        /* Neither EANCOM ORDRSP has PRI AAB: the gross price is only in the UN message. */
        assert_xpath(b, "string(" ORDRSP_LINE("20") "/e:SG30/e:PRI/e:C509[e:D5125='AAB']/e:D5118)",
                     v->ean ? "" : "4.10");
        assert_xpath(b, "string(" ORDRSP_LINE("10") "/e:IMD/e:C273/e:D7008)", "Claw hammer 300 g");
        assert_xpath(b, "count(" MSG "/e:SG3)", "3");
        assert_xpath(b, "string(" MSG "/e:SG3[e:NAD/e:D3035='SU']/e:SG4/e:RFF/e:C506[e:D1153='VA']/e:D1154)",
                     "DE123456789");
        assert_xpath(b, "string(" MSG "/e:SG1/e:RFF/e:C506[e:D1153='ON']/e:D1154)", "PO-2026-2001");
        assert_xpath(b, "string(" MSG "/e:SG1[e:RFF/e:C506/e:D1153='ON']/e:DTM/e:C507/e:D2380)", "20261120");
        assert_xpath(b, "string(" MSG "/e:SG1/e:RFF/e:C506[e:D1153='VN']/e:D1154)", "SO-77812");
        assert_xpath(b, "string(" MSG "/e:CNT/e:C270/e:D6066)", "5");
        produced_free(&out);
    }
    xmlFreeDoc(doc);
}

/* The first outbound fixture through the general stylesheet gives exactly what the D.96A
 * EANCOM stylesheet gave (that fixture has no line status). */
static void test_ordrsp_matches_old_output(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("orderresponse-changed.xml");
    params p = { .n = 0 };
    param(&p, "directory", "D96A");
    param(&p, "association", "EAN005");
    param(&p, "control-ref", "42");
    param(&p, "datetime", "20261126:1000");
    produced out = produce("canonical-to-ordrsp.xsl", doc, &p, NULL, "ordrsp-old-fixture");
    edi_buf want = read_fixture("orderresponse-changed.ordrsp.edi");
    /* The file is what `gateway convert` printed: the interchange and a newline. */
    assert_int_equal(want.len, out.len + 1);
    assert_int_equal(want.p[out.len], '\n');
    assert_memory_equal(want.p, out.data, out.len);
    edi_buf_free(&want);
    produced_free(&out);
    xmlFreeDoc(doc);
}

/* ---- DESADV -------------------------------------------------------------------------- */

#define CPS(n) MSG "/e:SG10[e:CPS/e:D7164='" n "']"

static void test_desadv(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-desadv.xml");
    for (size_t i = 0; i < N_VARIANTS; i++) {
        const variant *v = &variants[i];
        params p;
        variant_params(&p, v);
        produced out = produce("canonical-to-desadv.xsl", doc, &p, NULL, name_of("desadv", v));
        xmlDocPtr b = out.back;
        assert_header(b, v, "DESADV", "EAN005", "EAN007");
        assert_xpath(b, "string(" MSG "/e:BGM/e:C002/e:D1001)", "351");
        assert_xpath(b, "string(" MSG "/e:DTM/e:C507[e:D2005='11']/e:D2380)", "202611261400");
        assert_xpath(b, "string(" MSG "/e:DTM/e:C507[e:D2005='11']/e:D2379)", "203");
        assert_xpath(b, "string(" MSG "/e:DTM/e:C507[e:D2005='17']/e:D2380)", "20261128");
        assert_xpath(b, "string(" MSG "/e:SG1/e:RFF/e:C506[e:D1153='ON']/e:D1154)", "PO-2026-2001");
        assert_xpath(b, "count(" MSG "/e:SG2)", "3");
        /* The consignment and three packages: the pallet under 1, both cartons under it. */
        assert_xpath(b, "count(" MSG "/e:SG10)", "4");
        assert_xpath(b, "string(" CPS("1") "/e:CPS/e:D7166)", "");
        assert_xpath(b, "string(" CPS("2") "/e:CPS/e:D7166)", "1");
        assert_xpath(b, "string(" CPS("3") "/e:CPS/e:D7166)", "2");
        assert_xpath(b, "string(" CPS("4") "/e:CPS/e:D7166)", "2");
        assert_xpath(b, "string(" CPS("2") "/e:SG11/e:PAC/e:C202/e:D7065)", "201");
        assert_xpath(b, "string(" CPS("2") "/e:SG11/e:MEA/e:C174/e:D6314)", "182.5");
        /* SSCCs in GIN BJ; the group holding GIN is SG14 in D.96A and SG15 in D.01B. */
        assert_xpath(b, "string(" CPS("2") "/e:SG11/e:SG13/*/e:GIN[e:D7405='BJ']/e:C208/e:D7402)",
                     "340123450000000014");
        assert_xpath(b, "string(" CPS("3") "/e:SG11/e:SG13/*/e:GIN[e:D7405='BJ']/e:C208/e:D7402)",
                     "340123450000000021");
        assert_xpath(b, "string(" CPS("4") "/e:SG11/e:SG13/*/e:GIN[e:D7405='BJ']/e:C208/e:D7402)",
                     "340123450000000038");
        assert_xpath(b, "name(" CPS("3") "/e:SG11/e:SG13/*[e:GIN])", v->d01b ? "SG15" : "SG14");
        assert_xpath(b, "string(" CPS("3") "/e:SG11/e:SG13/e:PCI/e:D4233)", v->ean ? "33E" : "30");
        /* Each line under its package, in the LIN group SG15 (D.96A) or SG17 (D.01B). */
        assert_xpath(b, "string(" CPS("3") "/*[e:LIN]/e:LIN/e:D1082)", "1");
        assert_xpath(b, "string(" CPS("4") "/*[e:LIN]/e:LIN/e:D1082)", "2");
        assert_xpath(b, "string(" CPS("2") "/*[e:LIN]/e:LIN/e:D1082)", "3");
        assert_xpath(b, "string(" CPS("1") "/*[e:LIN]/e:LIN/e:D1082)", "4");
        assert_xpath(b, "name(" CPS("3") "/*[e:LIN])", v->d01b ? "SG17" : "SG15");
        assert_xpath(b, "string(" CPS("3") "/*[e:LIN]/e:QTY/e:C186[e:D6063='12']/e:D6060)", "24");
        assert_xpath(b, "string(" CPS("3") "/*[e:LIN]/e:QTY/e:C186[e:D6063='21']/e:D6060)", "24");
        assert_xpath(b, "string(" CPS("2") "/*[e:LIN]/e:QTY/e:C186[e:D6063='12']/e:D6060)", "2.5");
        assert_xpath(b, "string(" CPS("4") "/*[e:LIN]/*/e:RFF/e:C506[e:D1153='ON']/e:D1156)", "20");
        assert_xpath(b, "string(" CPS("1") "/*[e:LIN]/*/e:RFF/e:C506[e:D1153='ON']/e:D1156)", "50");
        assert_xpath(b, "string(" MSG "/e:CNT/e:C270/e:D6066)", "4");
        produced_free(&out);
    }
    xmlFreeDoc(doc);
}

/* ---- INVOIC -------------------------------------------------------------------------- */

/* A summary MOA after UNS (not a tax group's), by qualifier. */
#define TOTAL(q) "string(" MSG "/*[not(e:TAX)]/e:MOA/e:C516[e:D5025='" q "']/e:D5004)"
#define INV_LINE(n) MSG "/*[e:LIN/e:D1082='" n "']"

static void test_invoic(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-invoic.xml");
    for (size_t i = 0; i < N_VARIANTS; i++) {
        const variant *v = &variants[i];
        params p;
        variant_params(&p, v);
        produced out = produce("canonical-to-invoic.xsl", doc, &p, NULL, name_of("invoic", v));
        xmlDocPtr b = out.back;
        assert_header(b, v, "INVOIC", "EAN008", "EAN010");
        assert_xpath(b, "string(" MSG "/e:BGM/e:C002/e:D1001)", "380");
        assert_xpath(b, "string(" MSG "/e:BGM//e:D1004)", "INV-2026-5501");
        assert_xpath(b, "string(" MSG "/e:DTM/e:C507[e:D2005='35']/e:D2380)", "20261128");
        assert_xpath(b, "string(" MSG "/e:DTM/e:C507[e:D2005='263']/e:D2380)", "20261101-20261130");
        assert_xpath(b, "string(" MSG "/e:SG1/e:RFF/e:C506[e:D1153='AAK']/e:D1154)", "DES-2026-0077");
        assert_xpath(b, "string(" MSG "/e:SG1/e:RFF/e:C506[e:D1153='DQ']/e:D1154)", "LS-99812");
        assert_xpath(b, "count(" MSG "/e:SG2)", "4");
        assert_xpath(b, "string(" MSG "/e:SG2[e:NAD/e:D3035='BY']/e:SG3/e:RFF/e:C506[e:D1153='VA']/e:D1154)",
                     "DE987654321");
        /* EANCOM 97 INVOIC has no RFF FC: the tax number is left out there. */
        assert_xpath(b, "string(" MSG "/e:SG2[e:NAD/e:D3035='SU']/e:SG3/e:RFF/e:C506[e:D1153='FC']/e:D1154)",
                     v->ean && !v->d01b ? "" : "21/815/08150");
        assert_xpath(b, "string(" MSG "/e:SG7/e:CUX/e:C504/e:D6343)", "4");
        assert_xpath(b, "string(" MSG "/e:SG8/e:PAT/e:C112/e:D2152)", "30");
        assert_xpath(b, "string(" MSG "/e:SG8/e:DTM/e:C507[e:D2005='13']/e:D2380)", "20261230");
        /* Document allowance and charge with their groups (SG15.. in D.96A, SG16.. in D.01B). */
        assert_xpath(b, "name(" MSG "/*[e:ALC/e:D5463='C' and not(e:MOA)])", v->d01b ? "SG16" : "SG15");
        assert_xpath(b, "string(" MSG "/*[e:ALC/e:D5463='C' and not(e:MOA)]/*/e:MOA/e:C516[e:D5025='23']/e:D5004)",
                     "10.00");
        assert_xpath(b, "string(" MSG "/*[e:ALC/e:D5463='A' and not(e:MOA)]/*/e:PCD/e:C501/e:D5482)", "1.25");
        assert_xpath(b, "string(" MSG "/*[e:ALC/e:D5463='A' and not(e:MOA)]/*/e:MOA/e:C516[e:D5025='25']/e:D5004)",
                     "160.00");
        /* Lines. */
        assert_xpath(b, "name(" INV_LINE("1") ")", v->d01b ? "SG26" : "SG25");
        assert_xpath(b, "string(" INV_LINE("1") "/e:QTY/e:C186[e:D6063='47']/e:D6060)", "10");
        assert_xpath(b, "string(" INV_LINE("1") "/*/e:MOA/e:C516[e:D5025='203']/e:D5004)", "120.00");
        assert_xpath(b, "string(" INV_LINE("1") "/*/e:PRI/e:C509[e:D5125='AAA']/e:D5118)", "12.50");
        assert_xpath(b, "string(" INV_LINE("1") "/*/e:PRI/e:C509[e:D5125='AAB']/e:D5118)", "14.00");
        assert_xpath(b, "string(" INV_LINE("1") "/*/e:PRI/e:C509[e:D5125='AAB']/e:D5284)", "1");
        assert_xpath(b, "string(" INV_LINE("1") "/*/e:TAX/e:C243/e:D5278)", "19");
        assert_xpath(b, "string(" INV_LINE("2") "/*/e:TAX/e:C243/e:D5278)", "7");
        assert_xpath(b, "string(" INV_LINE("2") "/*/e:TAX/e:D5305)", "S");
        assert_xpath(b, "string(" INV_LINE("1") "/*[e:ALC]/*/e:MOA/e:C516[e:D5025='204']/e:D5004)", "5.00");
        assert_xpath(b, "string(" INV_LINE("2") "/*/e:RFF/e:C506[e:D1153='ON']/e:D1156)", "40");
        assert_xpath(b, "string(" INV_LINE("1") "/e:IMD/e:C273/e:D7008[2])", "d, ash wood handle");
        /* UNS, CNT and the totals, each MOA in its group (SG48 / SG50). */
        assert_xpath(b, "string(" MSG "/e:UNS/e:D0081)", "S");
        assert_xpath(b, "string(" MSG "/e:CNT/e:C270/e:D6066)", "2");
        assert_xpath(b, TOTAL("79"), "160.00");
        assert_xpath(b, TOTAL("125"), "168.00");
        assert_xpath(b, TOTAL("176"), "27.12");
        assert_xpath(b, TOTAL("77"), "195.12");
        assert_xpath(b, TOTAL("9"), "195.12");
        assert_xpath(b, "name(" MSG "/*[e:MOA/e:C516/e:D5025='77'])", v->d01b ? "SG50" : "SG48");
        /* Allowance and charge totals: MOA 260/259 in UN, the ALC summary group in EANCOM. */
        assert_xpath(b, TOTAL("260"), v->ean ? "" : "2.00");
        assert_xpath(b, TOTAL("259"), v->ean ? "" : "10.00");
        assert_xpath(b, "string(" MSG "/*[e:ALC/e:D5463='A' and e:MOA]/e:MOA/e:C516[e:D5025='131']/e:D5004)",
                     v->ean ? "2.00" : "");
        assert_xpath(b, "string(" MSG "/*[e:ALC/e:D5463='C' and e:MOA]/e:MOA/e:C516[e:D5025='131']/e:D5004)",
                     v->ean ? "10.00" : "");
        /* The VAT breakdown, one group per rate (SG50 / SG52). */
        assert_xpath(b, "count(" MSG "/*[e:TAX])", "2");
        assert_xpath(b, "name(" MSG "/*[e:TAX])", v->d01b ? "SG52" : "SG50");
        assert_xpath(b, "string(" MSG "/*[e:TAX/e:C243/e:D5278='19']/e:MOA/e:C516[e:D5025='125']/e:D5004)", "128.00");
        assert_xpath(b, "string(" MSG "/*[e:TAX/e:C243/e:D5278='19']/e:MOA/e:C516[e:D5025='124']/e:D5004)", "24.32");
        assert_xpath(b, "string(" MSG "/*[e:TAX/e:C243/e:D5278='7']/e:MOA/e:C516[e:D5025='125']/e:D5004)", "40.00");
        assert_xpath(b, "string(" MSG "/*[e:TAX/e:C243/e:D5278='7']/e:MOA/e:C516[e:D5025='124']/e:D5004)", "2.80");
        produced_free(&out);
    }
    xmlFreeDoc(doc);
}

/* Set the text of the first element `expr` selects (and drop its @code). */
static void set_value(xmlDocPtr doc, const char *expr, const char *value)
{
    xmlXPathObjectPtr o = xpath_eval(doc, expr);
    assert_true(o->nodesetval && o->nodesetval->nodeNr >= 1);
    xmlNodePtr n = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    xmlNodeSetContent(n, BAD_CAST value);
    xmlUnsetProp(n, BAD_CAST "code");
}

static void remove_nodes(xmlDocPtr doc, const char *expr)
{
    xmlXPathObjectPtr o = xpath_eval(doc, expr);
    assert_true(o->nodesetval && o->nodesetval->nodeNr >= 1);
    for (int i = 0; i < o->nodesetval->nodeNr; i++) {
        xmlUnlinkNode(o->nodesetval->nodeTab[i]);
        xmlFreeNode(o->nodesetval->nodeTab[i]);
    }
    xmlXPathFreeObject(o);
}

/* A credit note without a type code is BGM 381. */
static void test_invoic_credit_note(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-invoic.xml");
    set_value(doc, "/c:invoice/c:type", "credit_note");
    params p;
    variant_params(&p, &variants[3]);
    produced out = produce("canonical-to-invoic.xsl", doc, &p, NULL, "invoic-credit-note");
    assert_xpath(out.back, "string(" MSG "/e:BGM/e:C002/e:D1001)", "381");
    produced_free(&out);
    xmlFreeDoc(doc);
}

/* ---- ORDERS -------------------------------------------------------------------------- */

static void test_orders(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-orders.xml");
    for (size_t i = 0; i < N_VARIANTS; i++) {
        const variant *v = &variants[i];
        params p;
        variant_params(&p, v);
        produced out = produce("canonical-to-orders.xsl", doc, &p, NULL, name_of("orders", v));
        xmlDocPtr b = out.back;
        assert_header(b, v, "ORDERS", "EAN008", "EAN010");
        /* Forwarded to the supplier: from the buyer's GLN to the supplier's. */
        assert_xpath(b, "string(/e:edifact/e:interchange/@sender)", "4012345000016");
        assert_xpath(b, "string(/e:edifact/e:interchange/@recipient)", "4012345000023");
        assert_xpath(b, "string(" MSG "/e:BGM/e:C002/e:D1001)", "220");
        assert_xpath(b, "string(" MSG "/e:BGM/e:D1225)", "9");
        assert_xpath(b, "string(" MSG "/e:DTM/e:C507[e:D2005='2']/e:D2380)", "20261201");
        assert_xpath(b, v->d01b ? "string(" MSG "/e:SG2[e:NAD/e:D3035='BY']/e:NAD/e:C819/e:D3229)"
                                : "string(" MSG "/e:SG2[e:NAD/e:D3035='BY']/e:NAD/e:D3229)", "HH");
        assert_xpath(b, "count(" MSG "/*[e:LIN])", "2");
        assert_xpath(b, "name(" MSG "/*[e:LIN])", v->d01b ? "SG28" : "SG25");
        assert_xpath(b, "string(" MSG "/*[e:LIN/e:D1082='10']/e:QTY/e:C186[e:D6063='21']/e:D6060)", "24");
        assert_xpath(b, "string(" MSG "/*[e:LIN/e:D1082='10']/e:QTY/e:C186/e:D6411)", "PCE");
        assert_xpath(b, "string(" MSG "/*[e:LIN/e:D1082='10']/e:DTM/e:C507[e:D2005='63']/e:D2380)", "20261203");
        assert_xpath(b, "string(" MSG "/*[e:LIN/e:D1082='20']/*/e:PRI/e:C509/e:D5284)", "100");
        assert_xpath(b, "string(" MSG "/*[e:LIN/e:D1082='20']/*/e:PRI/e:C509/e:D6411)", "MTR");
        assert_xpath(b, "name(" MSG "/*[e:LIN/e:D1082='20']/*[e:PRI])", v->d01b ? "SG32" : "SG28");
        assert_xpath(b, "string(" MSG "/*[e:LIN/e:D1082='20']/e:MOA/e:C516[e:D5025='203']/e:D5004)", "9.88");
        assert_xpath(b, "string(" MSG "/e:MOA/e:C516[e:D5025='79']/e:D5004)", "309.88");
        assert_xpath(b, "string(" MSG "/e:CNT/e:C270/e:D6066)", "2");
        produced_free(&out);
    }
    xmlFreeDoc(doc);
}

/* ---- envelope and writer options --------------------------------------------------------- */

/* syntax-version 4 from the stylesheet: CCYYMMDD in UNB, the repetition separator in UNA. */
static void test_syntax_version_4(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-invoic.xml");
    params p;
    variant_params(&p, &variants[0]);
    param(&p, "syntax-version", "4");
    param(&p, "message-ref", "M0001");
    produced out = produce("canonical-to-invoic.xsl", doc, &p, NULL, "invoic-syntax4");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/@version)", "4");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/e:UNB/e:S004/e:D0017)", "20261126");
    assert_xpath(out.back, "string(" MSG "/@ref)", "M0001");
    assert_xpath(out.back, "string(" MSG "/e:UNT/e:D0062)", "M0001");
    assert_non_null(strstr(out.data, "UNA:+.?*'UNB+UNOC:4+"));
    produced_free(&out);
    xmlFreeDoc(doc);
}

/* Writer options: other separators, a decimal comma and line breaks; numbers follow the
 * decimal mark in force and the message still reads back valid. */
static void test_other_separators(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-orders.xml");
    params p;
    variant_params(&p, &variants[3]);
    edi_writer_options wo;
    edi_writer_options_default(&wo);
    wo.sc.component = '|';
    wo.sc.element = '@';
    wo.sc.decimal = ',';
    wo.sc.release = '!';
    wo.sc.terminator = '~';
    wo.syntax_version = 3;
    wo.line_break = "\r\n";
    produced out = produce("canonical-to-orders.xsl", doc, &p, &wo, "orders-separators");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/@una)", "|@,! ~");
    assert_xpath(out.back, "string(" MSG "/e:MOA/e:C516[e:D5025='79']/e:D5004)", "309,88");
    assert_non_null(strstr(out.data, "UNA|@,! ~\r\nUNB@UNOC|3@"));
    assert_non_null(strstr(out.data, "MOA@79|309,88~\r\n"));
    produced_free(&out);

    /* Syntax 4 chosen by the caller for a version 3 tree: the UNB date becomes CCYYMMDD. */
    edi_writer_options_default(&wo);
    wo.syntax_version = 4;
    variant_params(&p, &variants[0]);
    xmlFreeDoc(doc);
    doc = load_canonical("edifact-out-ordrsp.xml");
    out = produce("canonical-to-ordrsp.xsl", doc, &p, &wo, "ordrsp-writer-syntax4");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/@version)", "4");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/e:UNB/e:S004/e:D0017)", "20261126");
    produced_free(&out);
    xmlFreeDoc(doc);
}

/* The caller names the partners; without that, both GLNs are required. */
static void test_envelope_partners(void **state)
{
    (void)state;
    xmlDocPtr doc = load_canonical("edifact-out-desadv.xml");
    remove_nodes(doc, "/c:despatchAdvice/c:party[@role='buyer']/c:id");
    params p;
    variant_params(&p, &variants[0]);
    char why[1024] = "";
    xmlDocPtr tree = NULL;
    assert_int_equal(transform("canonical-to-desadv.xsl", doc, &p, &tree, why, sizeof why), EDI_E_XML);
    assert_null(tree);
    assert_non_null(strstr(why, "needs the GLN of the supplier (sender) and of the buyer (recipient)"));

    param(&p, "recipient-id", "BAUMARKTNORD");
    param(&p, "recipient-qualifier", "ZZZ");
    param(&p, "sender-id", "WERKZEUGSUED");
    produced out = produce("canonical-to-desadv.xsl", doc, &p, NULL, "desadv-partner-ids");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/e:UNB/e:S003/e:D0010)", "BAUMARKTNORD");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/e:UNB/e:S003/e:D0007)", "ZZZ");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/e:UNB/e:S002/e:D0004)", "WERKZEUGSUED");
    assert_xpath(out.back, "string(/e:edifact/e:interchange/e:UNB/e:S002/e:D0007)", "");
    produced_free(&out);
    xmlFreeDoc(doc);
}

/* Refusals: a parameter out of range, the wrong document, a status without a code, a line
 * in a package that is not there. */
static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *xsl, *fixture, *name, *value, *says;
    } cases[] = {
        { "canonical-to-ordrsp.xsl", "edifact-out-ordrsp.xml", "directory", "D97A", "D96A or D01B" },
        { "canonical-to-ordrsp.xsl", "edifact-out-ordrsp.xml", "datetime", "2026-11-26", "CCYYMMDD:HHMM" },
        { "canonical-to-ordrsp.xsl", "edifact-out-ordrsp.xml", "syntax-version", "2", "3 or 4" },
        { "canonical-to-ordrsp.xsl", "edifact-out-ordrsp.xml", "association", "X1", "EANCOM code" },
        { "canonical-to-invoic.xsl", "edifact-out-orders.xml", "directory", "D96A", "not a canonical invoice" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xmlDocPtr doc = load_canonical(cases[i].fixture);
        params p;
        variant_params(&p, &variants[0]);
        param(&p, cases[i].name, cases[i].value);
        char why[1024] = "";
        xmlDocPtr tree = NULL;
        assert_int_equal(transform(cases[i].xsl, doc, &p, &tree, why, sizeof why), EDI_E_XML);
        assert_null(tree);
        if (!strstr(why, cases[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, why, cases[i].says);
        xmlFreeDoc(doc);
    }

    xmlDocPtr doc = load_canonical("edifact-out-ordrsp.xml");
    remove_nodes(doc, "/c:orderResponse/c:line[c:number='50']/c:status/@code");
    params p;
    variant_params(&p, &variants[0]);
    char why[1024] = "";
    xmlDocPtr tree = NULL;
    assert_int_equal(transform("canonical-to-ordrsp.xsl", doc, &p, &tree, why, sizeof why), EDI_E_XML);
    assert_non_null(strstr(why, "line 50: the status not_processed has no LIN 1229 code"));
    xmlFreeDoc(doc);

    doc = load_canonical("edifact-out-desadv.xml");
    set_value(doc, "/c:despatchAdvice/c:line[c:number='2']/c:packageRef", "X9");
    assert_int_equal(transform("canonical-to-desadv.xsl", doc, &p, &tree, why, sizeof why), EDI_E_XML);
    assert_non_null(strstr(why, "line 2: its package X9 is not a package of the document"));
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordrsp),
        cmocka_unit_test(test_ordrsp_matches_old_output),
        cmocka_unit_test(test_desadv),
        cmocka_unit_test(test_invoic),
        cmocka_unit_test(test_invoic_credit_note),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_syntax_version_4),
        cmocka_unit_test(test_other_separators),
        cmocka_unit_test(test_envelope_partners),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
