/* mapping.h: the mapping step. It owns recognising what a received document is (by its
 * content, never by its file name), a mapping context that compiles each stylesheet once
 * and keeps it by path, applying a stylesheet to one document under security preferences
 * that forbid writing files, creating directories and using the network, and validating
 * results against the canonical schema (formats/canonical/canonical.xsd, compiled once).
 * Errors are an edi_result plus a sentence in the caller's `why` buffer. */
#ifndef MAPPING_H
#define MAPPING_H

#include <stddef.h>

#include <libxml/tree.h>
#include <libxslt/xsltInternals.h>

#include "doc_finding.h"
#include "edi_result.h"

#define MAPPING_CANONICAL_NS "urn:edi-gateway:canonical:1"

typedef enum {
    MAPPING_FORMAT_UNKNOWN = 0,
    MAPPING_FORMAT_EDIFACT,              /* UNA, UNB or UNH first */
    MAPPING_FORMAT_OPENTRANS_21_ORDER,   /* ORDER in http://www.opentrans.org/XMLSchema/2.1 */
    MAPPING_FORMAT_OPENTRANS_10_ORDER,   /* ORDER without a namespace */
    MAPPING_FORMAT_UBL_INVOICE,          /* UBL 2.x Invoice */
    MAPPING_FORMAT_UBL_CREDIT_NOTE,      /* UBL 2.x CreditNote */
    MAPPING_FORMAT_CII_INVOICE,          /* UN/CEFACT CrossIndustryInvoice (also Factur-X) */
    MAPPING_FORMAT_CANONICAL_ORDER,      /* the four documents in MAPPING_CANONICAL_NS */
    MAPPING_FORMAT_CANONICAL_ORDER_RESPONSE,
    MAPPING_FORMAT_CANONICAL_DESPATCH_ADVICE,
    MAPPING_FORMAT_CANONICAL_INVOICE,
    MAPPING_FORMAT_XML_OTHER,            /* well-formed start, but a root we do not read */
    MAPPING_FORMAT_JSON,
} mapping_format;

/* A short English name ("EDIFACT", "openTRANS 2.1 ORDER", ...); never NULL. */
const char *mapping_format_name(mapping_format f);

/* What the first bytes of `buf` are: a UTF-8 byte order mark and white space are skipped;
 * for XML the prolog (declaration, comments, processing instructions, DOCTYPE) is skipped
 * and the root element's name and namespace decide. Nothing is parsed beyond the root's
 * start tag. For MAPPING_FORMAT_UNKNOWN and MAPPING_FORMAT_XML_OTHER `why` gets a sentence
 * saying what was found instead. */
mapping_format mapping_detect(const char *buf, size_t len, char *why, size_t why_n);

/* Parse XML that may come from anyone: a document with a DOCTYPE is refused before
 * parsing (no DTD is read and no entity is ever expanded), then edi_xml_parse_mem (no
 * network, size limit). Returns EDI_OK and a tree in *out (free with xmlFreeDoc), or the
 * parser's result and a sentence. */
edi_result mapping_parse_xml(const char *buf, size_t len, xmlDocPtr *out, char *why, size_t why_n);

typedef struct mapping_ctx mapping_ctx;

/* A context that validates against `schema_path` (read when first needed). NULL when out of
 * memory. One context serves one thread at a time; free it with mapping_free. */
mapping_ctx *mapping_new(const char *schema_path);
void mapping_free(mapping_ctx *m);

/* The compiled stylesheet at `path`, compiled on the first call and the same object on
 * every later call with the same path. The context owns it. Returns EDI_OK, EDI_E_IO
 * (cannot be read), EDI_E_XML (not XML, or not a stylesheet), EDI_E_NOMEM. */
edi_result mapping_stylesheet(mapping_ctx *m, const char *path, xsltStylesheetPtr *out,
                              char *why, size_t why_n);

/* Apply `style` to `doc` with the context's security preferences; `params` is the libxslt
 * NULL-terminated name/value list (values are XPath expressions) or NULL. Returns EDI_OK and
 * the result in *out (free with xmlFreeDoc), or EDI_E_XML with the reason: the text of an
 * <xsl:message terminate="yes"> when the stylesheet stopped itself. Messages that did not
 * stop the transformation are left in `notes` (may be NULL), one per line. */
edi_result mapping_apply(mapping_ctx *m, xsltStylesheetPtr style, xmlDocPtr doc,
                         const char **params, xmlDocPtr *out, char *notes, size_t notes_n,
                         char *why, size_t why_n);

/* Validate `doc` against the canonical schema. Returns EDI_OK, EDI_E_XML with the first
 * problem and its line, EDI_E_IO when the schema itself cannot be read or compiled, or
 * EDI_E_NOMEM. */
edi_result mapping_validate(mapping_ctx *m, xmlDocPtr doc, char *why, size_t why_n);

/* Tables a module derives from files once per context (code lists read from a schema,
 * ...), kept under `key` like stylesheets and schemas. mapping_cache_get returns the data
 * put under `key`, or NULL. mapping_cache_put hands `data` to the context, which calls
 * `free_fn(data)` in mapping_free (also when the put fails with EDI_E_NOMEM); a key is put
 * once. */
void *mapping_cache_get(mapping_ctx *m, const char *key);
edi_result mapping_cache_put(mapping_ctx *m, const char *key, void *data, void (*free_fn)(void *));

/* Validate `doc` against the XML schema at `xsd_path` (compiled on first use, then kept by
 * the context, like stylesheets), adding every schema error to `out` as a finding of
 * severity `sev` and rule `rule` (NULL: "XSD") with its line and the element's path.
 * Official schemas sit in formats/xsd/ (PROVENANCE.md there). Returns EDI_OK when valid,
 * EDI_E_XML when not (the findings say why), EDI_E_IO when the schema cannot be read or
 * compiled, EDI_E_NOMEM; `why` gets a sentence for every result but EDI_OK. */
edi_result mapping_schema_check(mapping_ctx *m, const char *xsd_path, xmlDocPtr doc,
                                doc_severity sev, const char *rule, doc_findings *out,
                                char *why, size_t why_n);

#endif
