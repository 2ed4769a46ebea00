/* EDIFACT-XML: the tree the reader builds (names, groups, attributes, values), the corpus
 * round trip (EDIFACT -> tree -> EDIFACT -> tree gives the same tree), the serializer's
 * options (UNA, syntax 4 repetitions, UNOC from UTF-8, CRLF), escaping, truncation,
 * recomputed counts, clear errors for XML that is not EDIFACT-XML, and streaming (the
 * same bytes as the whole tree written by xmlDocFormatDump). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "edi_directory.h"
#include "edi_xml.h"
#include "xpath_assert.h"

#define FORMATS GATEWAY_FORMATS_DIR "/edifact"
#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/edifact"

static edi_directory *directory;
static const char *current_file = "";   /* the corpus file being checked, for messages */

static int open_directory(void **state)
{
    (void)state;
    directory = edi_directory_open(FORMATS);
    return directory ? 0 : -1;
}

static int close_directory(void **state)
{
    (void)state;
    edi_directory_free(directory);
    xmlCleanupParser();
    return 0;
}

/* ---- helpers --------------------------------------------------------------------- */

static xmlDocPtr read_text(const char *edi, bool with_directory, edi_findings *f)
{
    edi_reader_options opt = { .directory = with_directory ? directory : NULL };
    xmlDocPtr doc = NULL;
    assert_int_equal(edi_xml_read_mem(edi, strlen(edi), &opt, &doc, f), EDI_OK);
    assert_non_null(doc);
    return doc;
}

static xmlDocPtr parse_text(const char *xml)
{
    char why[512] = "";
    xmlDocPtr doc = NULL;
    edi_result r = edi_xml_parse_mem(xml, strlen(xml), &doc, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("%s: parse: %s", current_file, why);
    return doc;
}

/* Serialize and return the bytes as a NUL-terminated string (caller frees). */
static char *write_doc(xmlDocPtr doc, const edi_writer_options *o, char *warning, size_t warning_n)
{
    char why[512] = "";
    edi_xml_output out;
    edi_result r = edi_xml_write(doc, o, NULL, &out, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("%s: edi_xml_write: %s (%s)", current_file, why, edi_result_str(r));
    assert_non_null(out.data);
    char *s = malloc(out.len + 1);
    assert_non_null(s);
    memcpy(s, out.data, out.len);
    s[out.len] = '\0';
    if (warning)
        snprintf(warning, warning_n, "%s", out.warning);
    edi_xml_output_free(&out);
    return s;
}

static char *xml_to_edifact(const char *xml, const edi_writer_options *o)
{
    xmlDocPtr doc = parse_text(xml);
    char *s = write_doc(doc, o, NULL, 0);
    xmlFreeDoc(doc);
    return s;
}

/* edi_xml_write's error for a document, asserting the result code. */
static void expect_write_error(const char *xml, const edi_writer_options *o, edi_result want,
                               char *why, size_t why_n)
{
    xmlDocPtr doc = parse_text(xml);
    edi_xml_output out;
    why[0] = '\0';
    assert_int_equal(edi_xml_write(doc, o, NULL, &out, why, why_n), want);
    assert_null(out.data);
    assert_true(why[0] != '\0');
    xmlFreeDoc(doc);
}

/* ---- tree comparison ------------------------------------------------------------- */

static bool position_attr(const xmlChar *name)
{
    return !strcmp((const char *)name, "seg") || !strcmp((const char *)name, "offset") ||
           !strcmp((const char *)name, "line");
}

static xmlNodePtr next_element(xmlNodePtr n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

/* Text equal, except that U+FFFD in `a` (a byte the declared charset could not decode)
 * may stand for '?' in `b` (what the writer puts for a character it cannot encode). */
static bool same_text(const char *a, const char *b)
{
    while (*a && *b) {
        if (!strncmp(a, "\xEF\xBF\xBD", 3) && *b == '?') {
            a += 3;
            b++;
        } else if (*a == *b) {
            a++;
            b++;
        } else {
            return false;
        }
    }
    return !*a && !*b;
}

/* Whether the trees are the same, ignoring seg/offset/line. With `skip_counts` the
 * first data element of UNT, UNE and UNZ is not compared (the serializer recomputes it). */
static bool same_tree(xmlNodePtr a, xmlNodePtr b, bool skip_counts, char *diff, size_t n)
{
    if (strcmp((const char *)a->name, (const char *)b->name) != 0 ||
        (a->ns == NULL) != (b->ns == NULL) ||
        (a->ns && strcmp((const char *)a->ns->href, (const char *)b->ns->href) != 0)) {
        snprintf(diff, n, "line %ld: <%s> vs <%s>", xmlGetLineNo(a), a->name, b->name);
        return false;
    }
    for (int pass = 0; pass < 2; pass++) {
        xmlNodePtr x = pass ? b : a, y = pass ? a : b;
        for (xmlAttrPtr at = x->properties; at; at = at->next) {
            if (position_attr(at->name))
                continue;
            xmlChar *vx = xmlGetProp(x, at->name), *vy = xmlGetProp(y, at->name);
            bool ok = vy && !strcmp((const char *)vx, (const char *)vy);
            if (!ok)
                snprintf(diff, n, "<%s> attribute %s: \"%s\" vs \"%s\"", x->name, at->name,
                         vx ? (const char *)vx : "(none)", vy ? (const char *)vy : "(none)");
            xmlFree(vx);
            xmlFree(vy);
            if (!ok)
                return false;
        }
    }
    xmlNodePtr ca = next_element(a->children), cb = next_element(b->children);
    if (!ca && !cb) {
        xmlChar *ta = xmlNodeGetContent(a), *tb = xmlNodeGetContent(b);
        bool ok = same_text((const char *)ta, (const char *)tb);
        if (!ok)
            snprintf(diff, n, "<%s> under <%s>: \"%s\" vs \"%s\"", a->name, a->parent->name, ta, tb);
        xmlFree(ta);
        xmlFree(tb);
        return ok;
    }
    bool counted = skip_counts && (!strcmp((const char *)a->name, "UNT") || !strcmp((const char *)a->name, "UNE") ||
                                   !strcmp((const char *)a->name, "UNZ"));
    bool first = true;
    while (ca && cb) {
        if (!(counted && first) && !same_tree(ca, cb, skip_counts, diff, n))
            return false;
        first = false;
        ca = next_element(ca->next);
        cb = next_element(cb->next);
    }
    if (ca || cb) {
        snprintf(diff, n, "<%s>: one tree has more children (<%s>)", a->name, (ca ? ca : cb)->name);
        return false;
    }
    return true;
}

/* ---- building the tree ----------------------------------------------------------- */

static const char *const ORDERS =
    "UNA:+.? '"
    "UNB+UNOC:3+5412345000013:14+5412345000020:14+200101:1000+REF1++ORDERS++1'"
    "UNH+M1+ORDERS:D:96A:UN:EAN008'"
    "BGM+220+PO1+9'"
    "DTM+137:20200101:102'"
    "NAD+BY+5412345000013::9'"
    "RFF+VA:DE123'"
    "NAD+SU+5412345000020::9++M\xFCller GmbH'"
    "LIN+1++4000862141404:EN'"
    "QTY+21:12'"
    "UNS+S'"
    "UNT+10+M1'"
    "UNZ+1+REF1'";

static void test_tree_with_directory(void **state)
{
    (void)state;
    edi_findings f;
    edi_findings_init(&f, 0);
    xmlDocPtr doc = read_text(ORDERS, true, &f);

    assert_xpath(doc, "string(/e:edifact/e:interchange/@una)", ":+.? '");
    assert_xpath(doc, "string(/e:edifact/e:interchange/@syntax)", "UNOC");
    assert_xpath(doc, "string(/e:edifact/e:interchange/@version)", "3");
    assert_xpath(doc, "string(/e:edifact/e:interchange/@control-ref)", "REF1");
    assert_xpath(doc, "string(/e:edifact/e:interchange/@sender)", "5412345000013");
    assert_xpath(doc, "string(/e:edifact/e:interchange/@ack-requested)", "1");
    assert_xpath(doc, "string(/e:edifact/e:interchange/e:UNB/e:S002/e:D0007)", "14");
    assert_xpath(doc, "string(/e:edifact/e:interchange/e:UNB/@offset)", "9");
    assert_xpath(doc, "string(/e:edifact/e:interchange/e:UNB/@seg)", "1");

    const char *m = "/e:edifact/e:interchange/e:message";
    char x[256];
    snprintf(x, sizeof x, "string(%s/@type)", m);
    assert_xpath(doc, x, "ORDERS");
    snprintf(x, sizeof x, "string(%s/@association)", m);
    assert_xpath(doc, x, "EAN008");
    snprintf(x, sizeof x, "string(%s/@directory)", m);
    assert_xpath(doc, x, "EAN97");
    snprintf(x, sizeof x, "string(%s/e:BGM/e:C002/e:D1001)", m);
    assert_xpath(doc, x, "220");
    snprintf(x, sizeof x, "string(%s/e:BGM/e:D1004)", m);
    assert_xpath(doc, x, "PO1");
    snprintf(x, sizeof x, "string(%s/e:BGM/@seg)", m);
    assert_xpath(doc, x, "2");
    /* NAD opens SG2 twice; RFF nests in SG3 of the first; LIN opens SG25. */
    snprintf(x, sizeof x, "count(%s/e:SG2)", m);
    assert_int_equal((int)xpath_number(doc, x), 2);
    snprintf(x, sizeof x, "string(%s/e:SG2[1]/e:SG3/e:RFF/e:C506/e:D1154)", m);
    assert_xpath(doc, x, "DE123");
    /* Empty inner elements stay (C058, C080 of NAD) so positions hold; Latin-1 became UTF-8. */
    snprintf(x, sizeof x, "string(%s/e:SG2[2]/e:NAD/e:C080/e:D3036)", m);
    assert_xpath(doc, x, "M\xC3\xBCller GmbH");
    snprintf(x, sizeof x, "count(%s/e:SG2[2]/e:NAD/*)", m);
    assert_int_equal((int)xpath_number(doc, x), 4);
    snprintf(x, sizeof x, "string(%s/e:SG2[1]/e:NAD/e:C082/e:D3055)", m);
    assert_xpath(doc, x, "9");
    snprintf(x, sizeof x, "count(%s/e:SG2[1]/e:NAD/e:C082/*)", m);
    assert_int_equal((int)xpath_number(doc, x), 3);
    snprintf(x, sizeof x, "string(%s/e:SG25/e:QTY/e:C186/e:D6060)", m);
    assert_xpath(doc, x, "12");
    snprintf(x, sizeof x, "count(%s/e:UNS)", m);
    assert_int_equal((int)xpath_number(doc, x), 1);
    snprintf(x, sizeof x, "string(%s/e:UNT/e:D0074)", m);
    assert_xpath(doc, x, "10");
    assert_xpath(doc, "string(/e:edifact/e:interchange/e:UNZ/e:D0036)", "1");
    assert_int_equal(f.errors, 0);
    xmlFreeDoc(doc);
    edi_findings_free(&f);
}

static void test_tree_without_directory_is_flat(void **state)
{
    (void)state;
    edi_findings f;
    edi_findings_init(&f, 0);
    xmlDocPtr doc = read_text(ORDERS, false, &f);
    const char *m = "/e:edifact/e:interchange/e:message";
    char x[256];
    snprintf(x, sizeof x, "count(%s/*)", m);
    assert_int_equal((int)xpath_number(doc, x), 10);
    snprintf(x, sizeof x, "string(%s/e:BGM/e:E1)", m);
    assert_xpath(doc, x, "220");
    snprintf(x, sizeof x, "string(%s/e:NAD[1]/e:E2/e:C3)", m);
    assert_xpath(doc, x, "9");
    snprintf(x, sizeof x, "count(%s/e:NAD[1]/e:E2/e:C2)", m);
    assert_int_equal((int)xpath_number(doc, x), 1);
    snprintf(x, sizeof x, "count(%s/e:NAD[2]/e:E3)", m);
    assert_int_equal((int)xpath_number(doc, x), 1);
    assert_xpath(doc, "string(/e:edifact/e:interchange/e:UNB/e:E1/e:C1)", "UNOC");
    snprintf(x, sizeof x, "count(%s/@directory)", m);
    assert_int_equal((int)xpath_number(doc, x), 0);
    xmlFreeDoc(doc);
    edi_findings_free(&f);
}

static void test_tree_trailing_empties_repetitions_groups(void **state)
{
    (void)state;
    edi_findings f;
    edi_findings_init(&f, 0);
    const char *in =
        "UNB+UNOC:4+S+R+20200101:1000+9'"
        "UNG+ORDERS+S+R+20200101:1000+G1+UN+D:96A'"
        "UNH+1+ORDERS:D:96A:UN'"
        "FTX+AAI+++a:b*c:d+X++'"
        "DTM+137:::'"
        "UNT+3+1'"
        "UNE+1+G1'"
        "UNZ+1+9'";
    xmlDocPtr doc = read_text(in, false, &f);
    const char *m = "/e:edifact/e:interchange/e:group/e:message";
    char x[256];
    assert_xpath(doc, "string(/e:edifact/e:interchange/e:group/@ref)", "G1");
    assert_xpath(doc, "string(/e:edifact/e:interchange/@una)", ":+.?*'");
    snprintf(x, sizeof x, "count(%s/e:FTX/*)", m);
    assert_int_equal((int)xpath_number(doc, x), 6);
    snprintf(x, sizeof x, "string(%s/e:FTX/e:E4[2]/@repeat)", m);
    assert_xpath(doc, x, "1");
    snprintf(x, sizeof x, "string(%s/e:FTX/e:E4[2]/e:C2)", m);
    assert_xpath(doc, x, "d");
    snprintf(x, sizeof x, "string(%s/e:FTX/e:E5)", m);
    assert_xpath(doc, x, "X");
    /* DTM+137::: keeps one element with text only: the trailing components are gone. */
    snprintf(x, sizeof x, "count(%s/e:DTM/e:E1/*)", m);
    assert_int_equal((int)xpath_number(doc, x), 0);
    snprintf(x, sizeof x, "string(%s/e:DTM/e:E1)", m);
    assert_xpath(doc, x, "137");
    assert_int_equal((int)xpath_number(doc, "count(/e:edifact/e:interchange/e:group/e:UNE)"), 1);
    assert_int_equal((int)xpath_number(doc, "count(/e:edifact/e:interchange/e:UNZ)"), 1);
    xmlFreeDoc(doc);
    edi_findings_free(&f);
}

static void test_tree_replaces_characters_xml_cannot_hold(void **state)
{
    (void)state;
    edi_findings f;
    edi_findings_init(&f, 0);
    const char *in = "UNB+UNOC:3+S+R+200101:1000+9'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++bell\x07here'UNT+3+1'UNZ+1+9'";
    xmlDocPtr doc = read_text(in, false, &f);
    assert_xpath(doc, "string(//e:FTX/e:E4)", "bell\xEF\xBF\xBDhere");
    bool found = false;
    for (size_t i = 0; i < f.count; i++)
        if (strstr(f.items[i].text, "U+0007") && f.items[i].severity == EDI_SEV_WARNING &&
            f.items[i].element == 4 && f.items[i].component == 1 && f.items[i].at.segment == 2)
            found = true;
    assert_true(found);
    /* The tree is still XML that libxml2 writes and reads back. */
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemory(doc, &mem, &len);
    xmlDocPtr again = parse_text((const char *)mem);
    xmlFree(mem);
    xmlFreeDoc(again);
    xmlFreeDoc(doc);
    edi_findings_free(&f);
}

static void test_bare_message_and_truncated_input(void **state)
{
    (void)state;
    edi_findings f;
    edi_findings_init(&f, 0);
    const char *bare = "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'";
    xmlDocPtr doc = read_text(bare, true, &f);
    assert_int_equal((int)xpath_number(doc, "count(/e:edifact/e:interchange/e:message/e:BGM)"), 1);
    assert_int_equal((int)xpath_number(doc, "count(/e:edifact/e:interchange/@syntax)"), 0);
    char *out = write_doc(doc, NULL, NULL, 0);
    assert_string_equal(out, "UNA:+.? 'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'");
    free(out);
    xmlFreeDoc(doc);
    edi_findings_free(&f);

    /* A cut-off file still gives the tree of what was read, with the error. */
    edi_findings_init(&f, 0);
    const char *cut = "UNB+UNOA:3+S+R+200101:1000+9'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'DTM+13";
    doc = NULL;
    assert_int_equal(edi_xml_read_mem(cut, strlen(cut), NULL, &doc, &f), EDI_E_TRUNCATED);
    assert_non_null(doc);
    assert_int_equal((int)xpath_number(doc, "count(//e:BGM)"), 1);
    assert_true(f.errors > 0);
    xmlFreeDoc(doc);
    edi_findings_free(&f);
}

/* ---- corpus round trip ----------------------------------------------------------- */

typedef struct {
    char **paths;
    size_t n, cap;
} file_list;

/* The corpus files are the ones SOURCES.md lists (first column of its table); the folder
 * also holds other material. */
static void collect(file_list *l)
{
    FILE *fp = fopen(CORPUS "/SOURCES.md", "r");
    assert_non_null(fp);
    char line[4096];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "| ", 2) != 0)
            continue;
        char *end = strstr(line + 2, " |");
        if (!end)
            continue;
        *end = '\0';
        char path[1024];
        snprintf(path, sizeof path, "%s/%.900s", CORPUS, line + 2);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
            assert_non_null(l->paths);
        }
        l->paths[l->n] = strdup(path);
        assert_non_null(l->paths[l->n]);
        l->n++;
    }
    fclose(fp);
}

static xmlDocPtr read_file(const char *path, bool with_directory, edi_result *r)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    edi_reader_options opt = { .directory = with_directory ? directory : NULL };
    edi_findings f;
    edi_findings_init(&f, 0);
    xmlDocPtr doc = NULL;
    *r = edi_xml_read_fd(fd, &opt, &doc, &f);
    close(fd);
    edi_findings_free(&f);
    return doc;
}

/* Returns false when the reader did not read the file to its end (nothing compared). */
static bool round_trip_one(const char *path, bool with_directory)
{
    edi_result r;
    current_file = path;
    xmlDocPtr t1 = read_file(path, with_directory, &r);
    assert_non_null(t1);
    if (r != EDI_OK) {
        xmlFreeDoc(t1);
        return false;
    }
    char *e1 = write_doc(t1, NULL, NULL, 0);
    edi_reader_options opt = { .directory = with_directory ? directory : NULL };
    edi_findings f;
    edi_findings_init(&f, 0);
    xmlDocPtr t2 = NULL;
    assert_int_equal(edi_xml_read_mem(e1, strlen(e1), &opt, &t2, &f), EDI_OK);
    /* The counts were wrong in some originals; written back, none is. */
    for (size_t i = 0; i < f.count; i++)
        if (f.items[i].code == EDI_SE_CONTROL_COUNT)
            fail_msg("%s: written back with a wrong count: %s", path, f.items[i].text);
    edi_findings_free(&f);
    char diff[1024] = "";
    if (!same_tree(xmlDocGetRootElement(t1), xmlDocGetRootElement(t2), true, diff, sizeof diff))
        fail_msg("%s (%s directory): tree changed after the round trip: %s", path,
                 with_directory ? "with" : "without", diff);
    xmlFreeDoc(t1);

    /* The written tree as text, parsed as user input and serialized again: the same
     * bytes, and from then on the trees are equal including the counts. */
    if (with_directory) {
        xmlChar *mem = NULL;
        int len = 0;
        /* Indented as the CLI prints it; the 2 MB stress file unindented, because the
         * blank text nodes would double a tree that is already about 100 times the input. */
        xmlDocDumpFormatMemoryEnc(t2, &mem, &len, "UTF-8", strlen(e1) < 1000000);
        assert_non_null(mem);
        xmlDocPtr t3 = parse_text((const char *)mem);
        xmlFree(mem);
        if (!same_tree(xmlDocGetRootElement(t2), xmlDocGetRootElement(t3), false, diff, sizeof diff))
            fail_msg("%s: tree changed after XML text round trip: %s", path, diff);
        xmlFreeDoc(t2);
        t2 = NULL;
        char *e2 = write_doc(t3, NULL, NULL, 0);
        xmlFreeDoc(t3);
        assert_string_equal(e1, e2);
        free(e2);
    }
    xmlFreeDoc(t2);
    free(e1);
    current_file = "";
    return true;
}

static void test_corpus_round_trip(void **state)
{
    (void)state;
    file_list l = { 0 };
    collect(&l);
    assert_true(l.n >= 50);
    size_t compared = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (round_trip_one(l.paths[i], true))
            compared++;
        round_trip_one(l.paths[i], false);
        free(l.paths[i]);
    }
    free(l.paths);
    assert_true(compared >= 50);
}

/* ---- streaming ------------------------------------------------------------------- */

#define SAMPLES GATEWAY_FORMATS_DIR "/../samples/edifact"

typedef struct {
    char *text;
    size_t len;
    edi_result r;
    size_t findings;
} xml_text;

/* A file's EDIFACT-XML, streamed or built whole and written by xmlDocFormatDump. */
static xml_text file_xml(const char *path, bool with_directory, bool streamed)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    edi_reader_options opt = { .directory = with_directory ? directory : NULL };
    edi_findings f;
    edi_findings_init(&f, 0);
    xml_text x = { 0 };
    FILE *out = open_memstream(&x.text, &x.len);
    assert_non_null(out);
    if (streamed) {
        x.r = edi_xml_stream_fd(fd, &opt, out, &f);
    } else {
        xmlDocPtr doc = NULL;
        x.r = edi_xml_read_fd(fd, &opt, &doc, &f);
        assert_non_null(doc);
        xmlDocFormatDump(out, doc, 1);
        xmlFreeDoc(doc);
    }
    assert_int_equal(fclose(out), 0);
    close(fd);
    x.findings = f.count;
    edi_findings_free(&f);
    return x;
}

static void expect_same_stream(const char *path, bool with_directory)
{
    xml_text whole = file_xml(path, with_directory, false);
    xml_text streamed = file_xml(path, with_directory, true);
    const char *how = with_directory ? "with" : "without";
    if (streamed.r != whole.r || streamed.findings != whole.findings)
        fail_msg("%s (%s directory): streamed %s with %zu findings, the tree %s with %zu", path, how,
                 edi_result_str(streamed.r), streamed.findings, edi_result_str(whole.r), whole.findings);
    size_t i = 0;
    while (i < whole.len && i < streamed.len && whole.text[i] == streamed.text[i])
        i++;
    if (i < whole.len || i < streamed.len)
        fail_msg("%s (%s directory): streamed XML differs at byte %zu of %zu (%zu streamed): \"%.40s\" "
                 "instead of \"%.40s\"", path, how, i, whole.len, streamed.len,
                 i < streamed.len ? streamed.text + i : "", i < whole.len ? whole.text + i : "");
    free(whole.text);
    free(streamed.text);
}

/* Inputs the corpus may lack: nothing at all, bare segments, an interchange without UNZ
 * before another, groups, a value with a line break, carriage return and umlaut. */
static const char *const stream_cases[] = {
    "",
    "BGM+220+PO1'",
    "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'",
    "UNB+UNOC:3+S+R+200101:1000+1'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'"
    "UNB+UNOC:3+S+R+200101:1000+2'UNH+1+ORDERS:D:96A:UN'BGM+220+PO2'UNT+3+1'UNZ+1+2'",
    "UNB+UNOC:4+S+R+20200101:1000+9'UNG+ORDERS+S+R+20200101:1000+G1+UN+D:96A'"
    "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'UNH+2+ORDERS:D:96A:UN'BGM+220+PO2'UNT+3+2'"
    "UNE+2+G1'UNG+ORDERS+S+R+20200101:1000+G2+UN+D:96A'UNH+3+ORDERS:D:96A:UN'UNT+2+3'UNE+1+G2'"
    "UNH+4+ORDERS:D:96A:UN'FTX+AAI+++a\nb\rc\xC3\xA4<&>'UNT+3+4'UNZ+3+9'",
    "UNB+UNOC:3+S+R+200101:1000+9'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'DTM+13",
};

static void test_stream_equals_whole_tree(void **state)
{
    (void)state;
    file_list l = { 0 };
    collect(&l);
    assert_true(l.n >= 50);
    DIR *d = opendir(SAMPLES);
    assert_non_null(d);
    size_t samples = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".edi") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%.900s", SAMPLES, e->d_name);
        expect_same_stream(path, true);
        expect_same_stream(path, false);
        samples++;
    }
    closedir(d);
    assert_true(samples >= 3);
    for (size_t i = 0; i < l.n; i++) {
        expect_same_stream(l.paths[i], true);
        expect_same_stream(l.paths[i], false);
        free(l.paths[i]);
    }
    free(l.paths);

    for (size_t i = 0; i < sizeof stream_cases / sizeof *stream_cases; i++) {
        char path[] = "/tmp/test_xml_stream_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        size_t n = strlen(stream_cases[i]);
        assert_int_equal(write(fd, stream_cases[i], n), (ssize_t)n);
        close(fd);
        expect_same_stream(path, true);
        expect_same_stream(path, false);
        unlink(path);
    }
}

static void test_stream_reports_write_errors(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    int fd = open(SAMPLES "/orders-d96a-eancom.edi", O_RDONLY);
    assert_true(fd >= 0);
    edi_findings f;
    edi_findings_init(&f, 0);
    assert_int_equal(edi_xml_stream_fd(fd, NULL, full, &f), EDI_E_IO);
    assert_true(ferror(full));
    edi_findings_free(&f);
    close(fd);
    fclose(full);
    assert_int_equal(edi_xml_stream_fd(0, NULL, NULL, &f), EDI_E_ARG);
}

/* ---- serializer ------------------------------------------------------------------ */

#define DOC_BEGIN "<edifact xmlns='" EDI_XML_NS "'>"
#define DOC_END "</edifact>"
#define UNB_V3 "<UNB><S001><D0001>UNOA</D0001><D0002>3</D0002></S001><E2>S</E2><E3>R</E3>" \
               "<E4><C1>200101</C1><C2>1000</C2></E4><E5>REF</E5></UNB>"

static void test_write_custom_una_and_crlf(void **state)
{
    (void)state;
    const char *xml = DOC_BEGIN "<interchange>" UNB_V3
        "<message><UNH><E1>1</E1><E2><C1>ORDERS</C1><C2>D</C2><C3>96A</C3><C4>UN</C4></E2></UNH>"
        "<QTY><C186><D6063>21</D6063><D6060>12,5</D6060></C186></QTY>"
        "<FTX><E1>AAI</E1><E2/><E3/><E4>a*b=c~d!e:f'g+h?</E4></FTX>"
        "<UNT><E1>0</E1><E2>1</E2></UNT></message>"
        "<UNZ><E1>0</E1><E2>REF</E2></UNZ></interchange>" DOC_END;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "UNOA";
    o.sc.component = '=';
    o.sc.element = '*';
    o.sc.decimal = ',';
    o.sc.release = '!';
    o.sc.terminator = '~';
    o.line_break = "\r\n";
    char *out = xml_to_edifact(xml, &o);
    assert_string_equal(out,
        "UNA=*,! ~\r\n"
        "UNB*UNOA=3*S*R*200101=1000*REF~\r\n"
        "UNH*1*ORDERS=D=96A=UN~\r\n"
        "QTY*21=12,5~\r\n"
        "FTX*AAI***a!*b!=c!~d!!e:f'g+h?~\r\n"
        "UNT*4*1~\r\n"
        "UNZ*1*REF~\r\n");
    free(out);
}

static void test_write_syntax4_repetitions(void **state)
{
    (void)state;
    const char *xml = DOC_BEGIN "<interchange version='4'>" UNB_V3
        "<message><UNH><E1>1</E1><E2><C1>ORDERS</C1><C2>D</C2><C3>03B</C3><C4>UN</C4></E2></UNH>"
        "<NAD><E1>BY</E1><E2><C1>A*1</C1></E2><E2 repeat='1'><C1>B</C1><C2>C</C2></E2>"
        "<E2 repeat='1'/><E2 repeat='1'>D</E2></NAD>"
        "<UNT><E1>1</E1><E2>1</E2></UNT></message>"
        "<UNZ><E1>1</E1><E2>REF</E2></UNZ></interchange>" DOC_END;
    char *out = xml_to_edifact(xml, NULL);
    assert_string_equal(out, "UNB+UNOA:4+S+R+200101:1000+REF'UNH+1+ORDERS:D:03B:UN'NAD+BY+A?*1*B:C**D'"
                             "UNT+3+1'UNZ+1+REF'");
    free(out);

    /* The caller asks for syntax 4: UNB S001 says so. */
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.syntax_version = 4;
    o.charset = "UNOC";
    out = xml_to_edifact(xml, &o);
    assert_non_null(strstr(out, "UNA:+.?*'UNB+UNOC:4+S+"));
    assert_non_null(strstr(out, "NAD+BY+A?*1*B:C**D'"));
    free(out);

    /* Version 3 has no repetitions: a clear error, not a silent new element. */
    char why[512];
    edi_writer_options_default(&o);
    expect_write_error(xml, &o, EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "need syntax version 4"));
    assert_non_null(strstr(why, "NAD[1]/E2[2]"));
}

static void test_write_unoc_umlauts_from_utf8(void **state)
{
    (void)state;
    const char *xml = DOC_BEGIN "<interchange>" UNB_V3
        "<message><UNH><E1>1</E1><E2><C1>ORDERS</C1><C2>D</C2><C3>96A</C3><C4>UN</C4></E2></UNH>"
        "<NAD><E1>SU</E1><E2/><E3/><E4>M\xC3\xBCller Stra\xC3\x9F" "e &amp; S\xC3\xB6hne</E4></NAD>"
        "<UNT><E1>3</E1><E2>1</E2></UNT></message>"
        "<UNZ><E1>1</E1><E2>REF</E2></UNZ></interchange>" DOC_END;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "UNOC";
    char warning[320];
    xmlDocPtr doc = parse_text(xml);
    char *out = write_doc(doc, &o, warning, sizeof warning);
    assert_string_equal(out, "UNA:+.? 'UNB+UNOC:3+S+R+200101:1000+REF'UNH+1+ORDERS:D:96A:UN'"
                             "NAD+SU+++M\xFCller Stra\xDF" "e & S\xF6hne'UNT+3+1'UNZ+1+REF'");
    assert_string_equal(warning, "");
    free(out);

    /* The tree's own UNOA cannot hold them: '?' (released) and a warning. */
    out = write_doc(doc, NULL, warning, sizeof warning);
    assert_non_null(strstr(out, "NAD+SU+++M?\?ller Stra?\?e & S?\?hne'"));
    assert_non_null(strstr(warning, "NAD"));
    free(out);
    xmlFreeDoc(doc);
}

static void test_write_escapes_and_truncates(void **state)
{
    (void)state;
    const char *xml = DOC_BEGIN "<interchange version='4' una=\":+.?*'\">" UNB_V3
        "<FTX><E1>x</E1><E2><C1>:</C1><C2>+</C2><C3>'</C3><C4>?</C4><C5>*</C5><C6/><C7/></E2>"
        "<E3/><E4><C1/><C2/></E4></FTX>"
        "<DTM><C507><D2005>137</D2005><D2380/><D2379/></C507></DTM>"
        "<SRC/>"
        "<NAD><E1/><E2/><E3>X</E3><E4> </E4></NAD>"
        "</interchange>" DOC_END;
    char *out = xml_to_edifact(xml, NULL);
    assert_string_equal(out, "UNB+UNOA:4+S+R+200101:1000+REF'FTX+x+?::?+:?':?\?:?*'DTM+137'SRC'NAD+++X+ '");
    free(out);
}

static void test_write_recomputes_counts_keeps_references(void **state)
{
    (void)state;
    const char *xml = DOC_BEGIN "<interchange>" UNB_V3
        "<group><UNG><E1>ORDERS</E1><E2>S</E2><E3>R</E3><E4><C1>200101</C1><C2>1000</C2></E4>"
        "<E5>G1</E5><E6>UN</E6><E7><C1>D</C1><C2>96A</C2></E7></UNG>"
        "<message><UNH><E1>M1</E1><E2><C1>ORDERS</C1><C2>D</C2><C3>96A</C3><C4>UN</C4></E2></UNH>"
        "<BGM><E1>220</E1></BGM><SG2><NAD><E1>BY</E1></NAD><SG3><RFF><E1>VA</E1></RFF></SG3></SG2>"
        "<UNT><E1>99</E1><E2>M1</E2></UNT></message>"
        "<message><UNH><E1>M2</E1><E2><C1>ORDERS</C1><C2>D</C2><C3>96A</C3><C4>UN</C4></E2></UNH>"
        "<UNT><E1/><E2>M2</E2></UNT></message>"
        "<UNE><E1>7</E1><E2>G1</E2></UNE></group>"
        "<UNZ><E1>0</E1><E2>WRONG</E2></UNZ></interchange>" DOC_END;
    char *out = xml_to_edifact(xml, NULL);
    assert_string_equal(out,
        "UNB+UNOA:3+S+R+200101:1000+REF'"
        "UNG+ORDERS+S+R+200101:1000+G1+UN+D:96A'"
        "UNH+M1+ORDERS:D:96A:UN'BGM+220'NAD+BY'RFF+VA'UNT+5+M1'"
        "UNH+M2+ORDERS:D:96A:UN'UNT+2+M2'"
        "UNE+2+G1'UNZ+1+WRONG'");
    free(out);

    /* A trailer without any element still gets its count. */
    const char *bare = DOC_BEGIN "<interchange>" UNB_V3 "<message><UNH><E1>1</E1></UNH><UNT/></message>"
        "<UNZ/></interchange>" DOC_END;
    out = xml_to_edifact(bare, NULL);
    assert_string_equal(out, "UNB+UNOA:3+S+R+200101:1000+REF'UNH+1'UNT+2'UNZ+1'");
    free(out);
}

static void test_write_options_from_tree(void **state)
{
    (void)state;
    /* una, syntax and version attributes decide how the interchange is written. */
    const char *xml = DOC_BEGIN "<interchange una=':+,? &apos;' syntax='UNOC' version='3'>" UNB_V3
        "<UNZ><E1>0</E1><E2>REF</E2></UNZ></interchange>" DOC_END;
    char *out = xml_to_edifact(xml, NULL);
    assert_string_equal(out, "UNA:+,? 'UNB+UNOC:3+S+R+200101:1000+REF'UNZ+0+REF'");
    free(out);

    char why[512];
    expect_write_error(DOC_BEGIN "<interchange una=':+'>" UNB_V3 "</interchange>" DOC_END, NULL, EDI_E_XML,
                       why, sizeof why);
    assert_non_null(strstr(why, "six service characters"));
    expect_write_error(DOC_BEGIN "<interchange una='::.? &apos;'>" UNB_V3 "</interchange>" DOC_END, NULL,
                       EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "interchange[1]"));
    expect_write_error(DOC_BEGIN "<interchange version='7'>" UNB_V3 "</interchange>" DOC_END, NULL,
                       EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "version attribute"));

    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "KECA";
    expect_write_error(DOC_BEGIN "<interchange>" UNB_V3 "</interchange>" DOC_END, &o, EDI_E_CHARSET,
                       why, sizeof why);
}

static void test_bad_xml_gives_clear_errors(void **state)
{
    (void)state;
    char why[512];
    xmlDocPtr doc = NULL;

    const char *broken = "<edifact xmlns='" EDI_XML_NS "'>\n<interchange>\n<UNB>\n</interchange>";
    assert_int_equal(edi_xml_parse_mem(broken, strlen(broken), &doc, why, sizeof why), EDI_E_XML);
    assert_null(doc);
    assert_non_null(strstr(why, "line 4"));
    assert_non_null(strstr(why, "not well-formed"));

    assert_int_equal(edi_xml_parse_mem("", 0, &doc, why, sizeof why), EDI_E_XML);
    assert_int_equal(edi_xml_parse_mem("\x00\x01\xff", 3, &doc, why, sizeof why), EDI_E_XML);

    /* No DTD is read: not an internal subset with entities (billion laughs), not an
     * external file. */
    const char *laughs = "<?xml version='1.0'?>\n<!DOCTYPE edifact [<!ENTITY a 'aaaaaaaaaa'>"
                         "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>\n<edifact>&b;</edifact>";
    assert_int_equal(edi_xml_parse_mem(laughs, strlen(laughs), &doc, why, sizeof why), EDI_E_XML);
    assert_null(doc);
    assert_non_null(strstr(why, "DOCTYPE"));
    const char *xxe = "<!DOCTYPE edifact SYSTEM 'file:///etc/passwd'><edifact xmlns='" EDI_XML_NS "'/>";
    assert_int_equal(edi_xml_parse_mem(xxe, strlen(xxe), &doc, why, sizeof why), EDI_E_XML);
    assert_non_null(strstr(why, "DOCTYPE"));

    /* Too large: refused before a byte is read. */
    assert_int_equal(edi_xml_parse_mem("<x/>", EDI_XML_MAX_BYTES + 1, &doc, why, sizeof why), EDI_E_LIMIT);

    assert_int_equal(edi_xml_parse_file("/nonexistent/edifact.xml", &doc, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "No such file"));

    char tmp[] = "/tmp/test_xml_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    const char *good = DOC_BEGIN "<interchange>" UNB_V3 "</interchange>" DOC_END;
    assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
    close(fd);
    assert_int_equal(edi_xml_parse_file(tmp, &doc, why, sizeof why), EDI_OK);
    assert_non_null(doc);
    xmlFreeDoc(doc);
    doc = NULL;
    fd = open(tmp, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, xxe, strlen(xxe)), (ssize_t)strlen(xxe));
    close(fd);
    assert_int_equal(edi_xml_parse_file(tmp, &doc, why, sizeof why), EDI_E_XML);
    assert_null(doc);
    unlink(tmp);

    edi_writer_options o;
    edi_writer_options_default(&o);
    expect_write_error("<root/>", &o, EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "root element is <root>"));
    expect_write_error("<edifact/>", &o, EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "namespace"));
    expect_write_error(DOC_BEGIN "\n<interchange>\n<message>\n<UNH/>\n<foo/>\n</message></interchange>" DOC_END,
                       &o, EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "line 5"));
    assert_non_null(strstr(why, "<foo> is not allowed in a message"));
    assert_non_null(strstr(why, "/edifact/interchange[1]/message[1]/foo[1]"));
    expect_write_error(DOC_BEGIN "<interchange><BGM>text</BGM></interchange>" DOC_END, &o, EDI_E_XML, why,
                       sizeof why);
    assert_non_null(strstr(why, "<BGM> holds text"));
    expect_write_error(DOC_BEGIN "<interchange><BGM><C002><D1001><x/></D1001></C002></BGM></interchange>" DOC_END,
                       &o, EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "components hold text only"));
    expect_write_error(DOC_BEGIN "<interchange><BGM><E1 repeat='yes'/></BGM></interchange>" DOC_END, &o,
                       EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "repeat attribute"));
    expect_write_error(DOC_BEGIN "<interchange><BGM><E1 xmlns='urn:other'/></BGM></interchange>" DOC_END, &o,
                       EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "not in the EDIFACT-XML namespace"));
    expect_write_error(DOC_BEGIN "<interchange><group><group/></group></interchange>" DOC_END, &o, EDI_E_XML,
                       why, sizeof why);
    assert_non_null(strstr(why, "<group> is not allowed in <group>"));
    expect_write_error(DOC_BEGIN "<interchange><segment tag='bgm'/></interchange>" DOC_END, &o, EDI_E_XML,
                       why, sizeof why);
    expect_write_error(DOC_BEGIN "<message/>" DOC_END, &o, EDI_E_XML, why, sizeof why);
    assert_non_null(strstr(why, "expected <interchange>"));

    edi_xml_output out;
    assert_int_equal(edi_xml_write(NULL, &o, NULL, &out, why, sizeof why), EDI_E_XML);
    assert_non_null(strstr(why, "empty"));
}

/* Damaged EDIFACT-XML (bytes flipped, cut short) is rejected or written, never a crash. */
static void test_damaged_xml_never_crashes(void **state)
{
    (void)state;
    edi_findings f;
    edi_findings_init(&f, 0);
    xmlDocPtr doc = read_text(ORDERS, true, &f);
    edi_findings_free(&f);
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemory(doc, &mem, &len);
    xmlFreeDoc(doc);
    char *buf = malloc((size_t)len);
    assert_non_null(buf);
    unsigned seed = 12345;
    static const char noise[] = "<>/='\"&;: x\x01\xC3";
    for (int round = 0; round < 400; round++) {
        memcpy(buf, mem, (size_t)len);
        size_t n = (size_t)len;
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            buf[at] = noise[(seed >> 8) % (sizeof noise - 1)];
        }
        if (round % 7 == 0)
            n = (seed >> 4) % n;
        char why[512];
        xmlDocPtr d = NULL;
        if (edi_xml_parse_mem(buf, n, &d, why, sizeof why) != EDI_OK) {
            assert_null(d);
            assert_true(why[0] != '\0');
            continue;
        }
        edi_xml_output out;
        if (edi_xml_write(d, NULL, NULL, &out, why, sizeof why) == EDI_OK)
            edi_xml_output_free(&out);
        else
            assert_true(why[0] != '\0');
        xmlFreeDoc(d);
    }
    free(buf);
    xmlFree(mem);
}

/* The output as a NUL-terminated string (caller frees); the output itself has no NUL. */
static char *output_text(const edi_xml_output *out)
{
    char *s = malloc(out->len + 1);
    assert_non_null(s);
    memcpy(s, out->data, out->len);
    s[out->len] = '\0';
    return s;
}

/* With the directory, numbers in numeric elements take the decimal mark in force for
 * syntax 3; text, bad numbers and syntax 4 are left alone; without it nothing changes. */
static void test_write_decimal_mark_with_directory(void **state)
{
    (void)state;
    const char *edi = "UNB+UNOC:3+S+R+261126:0930+R1'UNH+1+ORDERS:D:96A:UN'BGM+220+PO 1.5+9'"
                      "DTM+137:20261126:102'NAD+BY+1::9'LIN+1++4006381333931:EN'QTY+21:12.5'"
                      "QTY+21:-0.75'QTY+21:1.2.3'PRI+AAA:3.95'UNS+S'UNT+11+1'UNZ+1+R1'";
    edi_findings f;
    edi_findings_init(&f, 0);
    xmlDocPtr doc = read_text(edi, true, &f);
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.sc.decimal = ',';
    o.force_una = true;
    edi_xml_output out;
    char why[256] = "";
    assert_int_equal(edi_xml_write(doc, &o, directory, &out, why, sizeof why), EDI_OK);
    char *text = output_text(&out);
    assert_non_null(strstr(text, "QTY+21:12,5'"));
    assert_non_null(strstr(text, "QTY+21:-0,75'"));
    assert_non_null(strstr(text, "QTY+21:1.2.3'"));
    assert_non_null(strstr(text, "PRI+AAA:3,95'"));
    assert_non_null(strstr(text, "BGM+220+PO 1.5+9'"));
    free(text);
    edi_xml_output_free(&out);

    assert_int_equal(edi_xml_write(doc, &o, NULL, &out, why, sizeof why), EDI_OK);
    text = output_text(&out);
    assert_non_null(strstr(text, "QTY+21:12.5'"));
    free(text);
    edi_xml_output_free(&out);

    o.syntax_version = 4;
    o.charset = "UNOC";
    assert_int_equal(edi_xml_write(doc, &o, directory, &out, why, sizeof why), EDI_OK);
    text = output_text(&out);
    assert_non_null(strstr(text, "QTY+21:12.5'"));
    free(text);
    edi_xml_output_free(&out);
    xmlFreeDoc(doc);
    edi_findings_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_with_directory),
        cmocka_unit_test(test_tree_without_directory_is_flat),
        cmocka_unit_test(test_tree_trailing_empties_repetitions_groups),
        cmocka_unit_test(test_tree_replaces_characters_xml_cannot_hold),
        cmocka_unit_test(test_bare_message_and_truncated_input),
        cmocka_unit_test(test_corpus_round_trip),
        cmocka_unit_test(test_stream_equals_whole_tree),
        cmocka_unit_test(test_stream_reports_write_errors),
        cmocka_unit_test(test_write_custom_una_and_crlf),
        cmocka_unit_test(test_write_syntax4_repetitions),
        cmocka_unit_test(test_write_unoc_umlauts_from_utf8),
        cmocka_unit_test(test_write_escapes_and_truncates),
        cmocka_unit_test(test_write_recomputes_counts_keeps_references),
        cmocka_unit_test(test_write_options_from_tree),
        cmocka_unit_test(test_bad_xml_gives_clear_errors),
        cmocka_unit_test(test_damaged_xml_never_crashes),
        cmocka_unit_test(test_write_decimal_mark_with_directory),
    };
    return cmocka_run_group_tests(tests, open_directory, close_directory);
}
