/* mapping_fixture.h: the plumbing the unit tests of the mapping step share: reading a whole
 * file, parsing XML as the gateway parses what it receives, a mapping context on the canonical
 * schema with its stylesheets compiled, applying one, validating against the canonical schema,
 * and taking one element (an EDIFACT-XML message) into a document of its own.
 * Include after <cmocka.h>; a failure fails the running test with a sentence naming the file. */
#ifndef MAPPING_FIXTURE_H
#define MAPPING_FIXTURE_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxslt/xslt.h>

#include "edi_buf.h"
#include "mapping.h"
#include "xpath_assert.h"

#define MF_SCHEMA GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define MF_XSLT GATEWAY_FORMATS_DIR "/../xslt/"

/* The largest file a test reads. */
#define MF_MAX_FILE ((size_t)16 << 20)

/* The whole file at `path` in *b, with a NUL after its b->len bytes (free with
 * edi_buf_free). False when the file cannot be opened; a read error fails the test. */
static inline bool mf_try_read(const char *path, edi_buf *b)
{
    *b = (edi_buf){ 0 };
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    edi_result r = edi_buf_read_fd(b, fd, MF_MAX_FILE);
    close(fd);
    if (r != EDI_OK)
        fail_msg("cannot read %s: %s", path, edi_result_str(r));
    if (!edi_buf_append(b, "", 1))
        fail_msg("%s: out of memory", path);
    b->len--;
    return true;
}

/* As mf_try_read; a file that cannot be opened fails the test. */
static inline edi_buf mf_read(const char *path)
{
    edi_buf b;
    if (!mf_try_read(path, &b))
        fail_msg("cannot open %s", path);
    return b;
}

/* `buf` parsed as the gateway parses received XML (mapping_parse_xml: no DTD, no network);
 * `name` names the document when it fails. The caller frees. */
static inline xmlDocPtr mf_parse(const char *buf, size_t len, const char *name)
{
    char why[512] = "";
    xmlDocPtr doc = NULL;
    if (mapping_parse_xml(buf, len, &doc, why, sizeof why) != EDI_OK)
        fail_msg("%s: not parsed: %s", name, why);
    return doc;
}

/* The file at `path`, read and parsed as mf_parse does. The caller frees. */
static inline xmlDocPtr mf_parse_file(const char *path)
{
    edi_buf b = mf_read(path);
    xmlDocPtr doc = mf_parse(b.p, b.len, path);
    edi_buf_free(&b);
    return doc;
}

/* For a setup function: a mapping context on the canonical schema, and the stylesheets of
 * the NULL-terminated list of pairs (file name in xslt/, xsltStylesheetPtr *) compiled into
 * their places. NULL, with the reason on stderr, when anything fails. */
static inline mapping_ctx *mf_mapping_new(const char *name, ...)
{
    mapping_ctx *m = mapping_new(MF_SCHEMA);
    if (!m) {
        fprintf(stderr, "setup: out of memory\n");
        return NULL;
    }
    va_list ap;
    va_start(ap, name);
    for (; name; name = va_arg(ap, const char *)) {
        xsltStylesheetPtr *style = va_arg(ap, xsltStylesheetPtr *);
        char path[512], why[512] = "";
        snprintf(path, sizeof path, "%s%s", MF_XSLT, name);
        if (mapping_stylesheet(m, path, style, why, sizeof why) != EDI_OK) {
            fprintf(stderr, "setup: %s\n", why);
            mapping_free(m);
            m = NULL;
            break;
        }
    }
    va_end(ap);
    return m;
}

/* For a teardown function: the context, then libxslt's and libxml2's global state. */
static inline void mf_mapping_free(mapping_ctx *m)
{
    mapping_free(m);
    xsltCleanupGlobals();
    xmlCleanupParser();
}

/* The group teardown of a test whose setup left its mapping context in *state. */
static inline int mf_teardown(void **state)
{
    mf_mapping_free(*state);
    return 0;
}

/* The stylesheet xslt/<name>, compiled by `m` on the first call (later calls get the same). */
static inline xsltStylesheetPtr mf_stylesheet(mapping_ctx *m, const char *name)
{
    char path[512], why[512] = "";
    snprintf(path, sizeof path, "%s%s", MF_XSLT, name);
    xsltStylesheetPtr style = NULL;
    if (mapping_stylesheet(m, path, &style, why, sizeof why) != EDI_OK)
        fail_msg("%s", why);
    return style;
}

/* Fails the test unless `doc` (named `name`) is valid against the canonical schema. */
static inline void mf_assert_canonical(mapping_ctx *m, xmlDocPtr doc, const char *name)
{
    char why[1024] = "";
    if (mapping_validate(m, doc, why, sizeof why) != EDI_OK)
        fail_msg("%s is not a valid canonical document: %s", name, why);
}

/* `style` applied to `doc` (named `name`) through the mapping step, with `params` as
 * mapping_apply takes them (may be NULL); the caller frees the result. */
static inline xmlDocPtr mf_apply(mapping_ctx *m, xsltStylesheetPtr style, xmlDocPtr doc,
                                 const char **params, const char *name)
{
    char why[1024] = "";
    xmlDocPtr out = NULL;
    if (mapping_apply(m, style, doc, params, &out, NULL, 0, why, sizeof why) != EDI_OK)
        fail_msg("%s: the transformation failed: %s", name, why);
    return out;
}

/* mf_apply, and the result must be a valid canonical document. */
static inline xmlDocPtr mf_map(mapping_ctx *m, xsltStylesheetPtr style, xmlDocPtr doc,
                               const char *name)
{
    xmlDocPtr out = mf_apply(m, style, doc, NULL, name);
    char what[600];
    snprintf(what, sizeof what, "%s mapped", name);
    mf_assert_canonical(m, out, what);
    return out;
}

/* The one node `expr` selects in `doc` (any other count fails the test), copied as the root
 * of a document of its own: one EDIFACT-XML message to map alone. The caller frees. */
static inline xmlDocPtr mf_extract(xmlDocPtr doc, const char *expr)
{
    xmlXPathObjectPtr o = xpath_eval(doc, expr);
    if (!o->nodesetval || o->nodesetval->nodeNr != 1)
        fail_msg("%s selects %d nodes, not one", expr, o->nodesetval ? o->nodesetval->nodeNr : 0);
    xmlDocPtr one = xmlNewDoc(BAD_CAST "1.0");
    assert_non_null(one);
    xmlNodePtr copy = xmlDocCopyNode(o->nodesetval->nodeTab[0], one, 1);
    xmlXPathFreeObject(o);
    assert_non_null(copy);
    xmlDocSetRootElement(one, copy);
    return one;
}

#endif
