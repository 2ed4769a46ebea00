/* message_tree.h: the parsed tree of a stored message for support staff, shared by
 * `gateway messages show` and GET /api/messages/{id}?tree=1. It owns rendering a payload
 * by its format (EDIFACT as an indented segment listing or as EDIFACT-XML, XML documents
 * and JSON pretty-printed) into bounded text, and saying where a payload stops parsing. */
#ifndef MESSAGE_TREE_H
#define MESSAGE_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_buf.h"
#include "edi_directory.h"
#include "edi_result.h"
#include "mapping.h"

/* How an EDIFACT payload is shown; other formats have one form each. */
typedef enum {
    MESSAGE_TREE_SEGMENTS = 0, /* one line per segment: number, line, tag, elements; groups
                                  indented under their name (what a terminal reads best) */
    MESSAGE_TREE_XML,          /* the engine's EDIFACT-XML (docs/edifact-xml.md) */
} message_tree_style;

/* The text `gateway messages show` keeps unless asked for all of it. */
#define MESSAGE_TREE_DEFAULT_MAX ((size_t)64 << 10)
/* With a limit, XML and JSON payloads larger than this are not parsed (a document tree
 * takes several times its size); without a limit they are. EDIFACT is read streaming and
 * has no such bound. */
#define MESSAGE_TREE_PARSE_MAX ((size_t)16 << 20)
/* Likewise for EDIFACT as EDIFACT-XML: the engine holds one message as a tree at a time,
 * about 75 times its size (a 45 MB interchange of one message: 3.4 GB). The segment
 * listing reads any size in a few MB. */
#define MESSAGE_TREE_EDIFACT_XML_MAX ((size_t)4 << 20)

typedef struct {
    mapping_format format;        /* MAPPING_FORMAT_UNKNOWN: detected from the bytes */
    message_tree_style style;     /* EDIFACT only */
    edi_directory *directory;     /* EDIFACT, borrowed; NULL: envelope only, no groups and
                                     elements named by position */
    const char *charset_override; /* EDIFACT: the partner's real charset; NULL or "": none */
    size_t max_bytes;             /* text kept, cut at a line end; 0: all of it */
} message_tree_options;

typedef struct {
    edi_buf text;          /* the tree, UTF-8, NUL-terminated (not counted in len);
                              free with message_tree_free */
    mapping_format format; /* the format rendered */
    bool truncated;        /* text holds only the first lines of the tree */
    size_t total_bytes;    /* the length of the whole tree */
    size_t total_lines;    /* its lines */
    size_t shown_lines;    /* the lines in text */
    bool stopped;          /* the payload does not parse to its end; text shows what parsed */
    char stop[640];        /* then: where and why, e.g. "line 4 (byte 91), message 1,
                              segment 3 (NAD): ..."; else "" */
    size_t errors, warnings; /* EDIFACT: the reader's findings (validation included) */
    edi_buf findings;      /* EDIFACT: the first 20 findings, one a line with its position
                              ("line 1 (byte 197), message 1, segment 6 (NAD): ..."), then
                              how many more; NUL-terminated; "" (len 0) when none */
} message_tree;

/* Render `len` bytes of `raw` as `o` says (o may be NULL: detect, segments, no directory,
 * MESSAGE_TREE_DEFAULT_MAX). Returns EDI_OK with *out filled, also when the payload stops
 * parsing (out->stopped); EDI_E_ARG when the format has no tree (unknown content),
 * EDI_E_LIMIT with a limit set for an XML or JSON payload over MESSAGE_TREE_PARSE_MAX or
 * EDIFACT-XML of more than MESSAGE_TREE_EDIFACT_XML_MAX, EDI_E_IO or EDI_E_NOMEM; `why`
 * then says why.
 * The caller frees *out with message_tree_free in every case. */
edi_result message_tree_render(const char *raw, size_t len, const message_tree_options *o,
                               message_tree *out, char *why, size_t why_n);

void message_tree_free(message_tree *t);

/* "segments" or "xml" into *style; false for anything else. */
bool message_tree_style_parse(const char *name, message_tree_style *style);

#endif
