/* edi_xml.h: EDIFACT-XML (docs/edifact-xml.md). It owns building that tree from an
 * interchange (through edi_reader) or streaming its text while reading, parsing
 * EDIFACT-XML that users supply (safe libxml2 options, size limit), and serializing a
 * tree back to EDIFACT through edi_writer. */
#ifndef EDI_XML_H
#define EDI_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

#include "edi_finding.h"
#include "edi_reader.h"
#include "edi_result.h"
#include "edi_writer.h"

#define EDI_XML_NS "urn:edi-gateway:edifact-xml:1"

/* The largest EDIFACT-XML document edi_xml_parse_* accept. */
#define EDI_XML_MAX_BYTES ((size_t)256 * 1024 * 1024)

/* Read an interchange file (fd is not closed) or buffer into a new EDIFACT-XML tree.
 * Every reader finding goes to `f`, plus a warning for each value that held characters
 * XML 1.0 cannot carry (they become U+FFFD). Returns the reader's result: EDI_OK when
 * the input was read to its end. *out receives the tree whenever one was built, also
 * after an error (it then holds what was read before it); it is NULL only on
 * EDI_E_NOMEM or EDI_E_ARG (`out` or `f` NULL). The caller frees it with xmlFreeDoc.
 * The tree is a DOM: it takes about 100 times the input's size (2.2 MB of EDIFACT,
 * 110,000 segments: about 220 MB), so callers cap the input they convert. */
edi_result edi_xml_read_fd(int fd, const edi_reader_options *opt, xmlDocPtr *out,
                           edi_findings *f);
edi_result edi_xml_read_mem(const char *buf, size_t len, const edi_reader_options *opt,
                            xmlDocPtr *out, edi_findings *f);

/* Write the EDIFACT-XML of an interchange file (fd is not closed) to `out` while reading
 * it: the same bytes as edi_xml_read_fd followed by xmlDocFormatDump(out, doc, 1), but
 * each message is written and freed when it ends (segments outside messages when they are
 * read), so memory is bounded by the largest message, not by the file. Findings as for
 * edi_xml_read_fd. Returns the reader's result (after an error the XML of what was read
 * is written and complete, as edi_xml_read_fd's tree is), EDI_E_IO when writing failed
 * (reading stops there; ferror(out) tells it from a read error), EDI_E_NOMEM (the text
 * written may then be cut off), EDI_E_ARG (`out` or `f` NULL). `out` is flushed, not
 * closed. */
edi_result edi_xml_stream_fd(int fd, const edi_reader_options *opt, FILE *out, edi_findings *f);

/* Parse EDIFACT-XML from a file or buffer that may come from anyone: no network, no DTD
 * (a document with a DOCTYPE is refused, so no entity is ever expanded), at most
 * EDI_XML_MAX_BYTES. Returns EDI_OK and a tree in *out (free with xmlFreeDoc), or
 * EDI_E_IO (file), EDI_E_LIMIT (too large), EDI_E_XML (not well-formed XML or a DOCTYPE),
 * EDI_E_NOMEM; `why` then gets a sentence with the line (without the path, which the
 * caller adds). Whether the tree is EDIFACT-XML is checked by edi_xml_write. */
edi_result edi_xml_parse_file(const char *path, xmlDocPtr *out, char *why, size_t why_n);
edi_result edi_xml_parse_mem(const char *buf, size_t len, xmlDocPtr *out, char *why,
                             size_t why_n);

/* The EDIFACT that edi_xml_write produced. */
typedef struct {
    char *data;            /* malloc'd, not NUL-terminated; free with edi_xml_output_free */
    size_t len;
    /* The first value character the character set could not represent ('?' was
     * written), or a character set that had to be replaced; "" when there was none. */
    char warning[320];
} edi_xml_output;

void edi_xml_output_free(edi_xml_output *out);

/* Serialize every interchange of an EDIFACT-XML tree. `o` says how to write; its unset
 * fields (o itself NULL, charset NULL, syntax_version 0, sc.terminator '\0') take each
 * interchange's values from the tree (attributes `syntax`, `version`, `una`), so that a
 * tree read from a file is written back as received. A charset or syntax version given
 * in `o` also replaces UNB S001 (0001 and 0002) in the output; a charset that syntax 3
 * does not have (UNOW, UNOY, ...) with syntax 3 is refused (EDI_E_ARG). With a directory
 * (`dir`, may be NULL), numbers in numeric data elements are written with the decimal
 * mark in force when the syntax version (1 to 3) accepts only that one. Counts in UNT,
 * UNE and UNZ are computed; their references are taken from the tree. `seg`, `offset`
 * and `line` attributes are ignored. Returns EDI_OK and the bytes in *out, or EDI_E_XML
 * when the tree is not EDIFACT-XML (`why` names the element and its line), EDI_E_ARG for
 * unusable options, EDI_E_CHARSET, EDI_E_NOMEM. */
edi_result edi_xml_write(xmlDocPtr doc, const edi_writer_options *o, edi_directory *dir,
                         edi_xml_output *out, char *why, size_t why_n);

#endif
