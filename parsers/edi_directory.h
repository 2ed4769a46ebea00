/* edi_directory.h: the EDIFACT directory definitions that messages are checked against.
 * It owns loading the generated .edd files (formats/edifact/, format described in
 * formats/edifact/PROVENANCE.md) into read-only models -- message structures, segment,
 * composite and element definitions, code lists -- and choosing the file for a message. */
#ifndef EDI_DIRECTORY_H
#define EDI_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"

typedef enum { EDI_CLASS_AN, EDI_CLASS_A, EDI_CLASS_N } edi_char_class;

typedef enum {
    EDI_STATUS_CONDITIONAL,
    EDI_STATUS_MANDATORY,
    EDI_STATUS_NOT_USED      /* a subset (EANCOM) leaves this out: it must stay empty */
} edi_status;

/* Codes of up to 8 characters packed big-endian into an integer, so that numeric order is
 * byte order and a lookup is a binary search over integers. */
typedef struct {
    const char *id;          /* "2005", or "2005_2" for a second list of one data element */
    const uint64_t *codes;   /* ascending */
    uint32_t count;
} edi_code_list;

/* A simple data element or a component. Lengths count characters; for class n only the
 * digits count (not the minus sign or the decimal mark). */
typedef struct {
    char id[5];              /* "1004" */
    uint8_t status;          /* edi_status */
    uint8_t cls;             /* edi_char_class */
    uint16_t min_len;        /* 1, or the fixed length (a3, n6) */
    uint16_t max_len;
    const edi_code_list *codes; /* NULL: any value of the format */
    const char *name;        /* "Document/message number" */
} edi_value_def;

/* A data element position of a segment: a composite with components, or a simple data
 * element described by its single value definition. */
typedef struct {
    char id[5];              /* "C002", "S009", or the simple element's id "1004" */
    uint8_t status;          /* edi_status */
    bool composite;
    uint16_t max_repeat;     /* occurrences allowed (syntax 4 repetition); usually 1 */
    uint16_t n_values;       /* composite: its components; simple: 1 */
    const edi_value_def *values;
    const char *name;
} edi_element_def;

typedef struct {
    char tag[4];
    const char *id;          /* the definition's id in its file: "DTM", "DTM_2", ... */
    const char *name;        /* "Date/time/period" */
    uint32_t n_elements;
    const edi_element_def *elements; /* element position p is elements[p - 1] */
} edi_segment_def;

typedef enum { EDI_NODE_SEGMENT, EDI_NODE_GROUP } edi_node_kind;

/* One entry of a message structure: a segment or a segment group. A group's first child
 * is its trigger segment (the loader guarantees it). */
typedef struct edi_struct_node {
    uint8_t kind;            /* edi_node_kind */
    uint8_t status;          /* EDI_STATUS_MANDATORY or EDI_STATUS_CONDITIONAL */
    char name[8];            /* segment tag "NAD" or group name "SG2" */
    uint32_t tag_key;        /* edi_tag_key() of the tag, for a group of its trigger */
    uint32_t max_repeat;
    uint32_t index;          /* position among the parent's children */
    uint32_t depth;          /* 0 for top-level entries, +1 per enclosing group */
    const edi_segment_def *segment;          /* segment entries only */
    const struct edi_struct_node *parent;    /* the enclosing group, the root at the top */
    const struct edi_struct_node *children;  /* groups (and the root) only */
    uint32_t n_children;
} edi_struct_node;

typedef struct {
    char type[7];            /* "ORDERS", "CONTRL"; "" for service segment files */
    char version[4];         /* "D", "4" */
    char release[4];         /* "96A", "3" */
    char agency[3];          /* "UN" */
    char association[7];     /* "EAN" for EANCOM subsets (a prefix), else "" */
    char directory[8];       /* the set it came from: "D96A", "EAN97", "service" */
    const char *label;       /* for sentences: "ORDERS D.96A", "ORDERS D.96A EANCOM" */
    const char *path;        /* the file it was loaded from */
    int syntax_version;      /* service files: 3 or 4; messages: 0 */
    edi_struct_node root;    /* kind GROUP, name "", holds the top-level entries */
    uint32_t max_depth;      /* deepest group nesting (1 = only top-level groups) */
    uint32_t n_segments;
    const edi_segment_def *segments;   /* every definition of the file, file order */
    uint32_t n_lists;
    const edi_code_list *lists;
} edi_message_def;

typedef struct edi_directory edi_directory;

/* Groups nest no deeper than this (the deepest of our messages uses 4). */
#define EDI_DIRECTORY_MAX_DEPTH 12

static inline uint32_t edi_tag_key(const char *tag)
{
    return ((uint32_t)(unsigned char)tag[0] << 16) | ((uint32_t)(unsigned char)tag[1] << 8) |
           (uint32_t)(unsigned char)tag[2];
}

/* A directory rooted at `formats_dir` (e.g. "formats/edifact"); the path is copied.
 * Cheap: files are read on first use and kept until edi_directory_free, which frees
 * every definition handed out. NULL on out of memory. Safe to share between threads. */
edi_directory *edi_directory_open(const char *formats_dir);
void edi_directory_free(edi_directory *d);

/* The definition for a UNH message identifier (0065, 0052, 0054, 0051, 0057; the
 * association may be NULL or ""). Agency UN with an association code starting with EAN
 * selects the EANCOM subset (D.96A: EAN97, D.01B: EAN02), otherwise the UN directory;
 * CONTRL D.3 and 4.1 select service/CONTRL-v3 and -v4. Returns EDI_OK with *out set, or
 * EDI_E_DIRECTORY (no such file or a malformed one) and EDI_E_NOMEM with *out NULL and a
 * sentence in `why`, e.g. "no directory for DESADV D.97B; the envelope was checked, the
 * content was not". Results, failures included, are cached. */
edi_result edi_directory_find(edi_directory *d, const char *type, const char *version,
                              const char *release, const char *agency, const char *association,
                              const edi_message_def **out, char *why, size_t why_n);

/* Service segments (UNB UNG UNH UNT UNE UNZ) for syntax version 1..4 (1-3 share the
 * version 3 definitions); look them up with edi_message_def_segment(). */
edi_result edi_directory_service(edi_directory *d, int syntax_version,
                                 const edi_message_def **out, char *why, size_t why_n);

/* CONTRL for syntax version 1..4: CONTRL:D:3:UN for 1-3, CONTRL:4:1:UN for 4. */
edi_result edi_directory_contrl(edi_directory *d, int syntax_version,
                                const edi_message_def **out, char *why, size_t why_n);

/* Load one .edd file outside any directory (tools, tests). On failure `why` says
 * "path:line: what is wrong". Free with edi_message_def_free. */
edi_result edi_message_def_load(const char *path, edi_message_def **out, char *why, size_t why_n);
void edi_message_def_free(edi_message_def *m);

/* The first definition with this tag in the file, or NULL. */
const edi_segment_def *edi_message_def_segment(const edi_message_def *m, const char *tag);

/* True when `value` (len bytes, unescaped) is one of the list's codes. */
bool edi_code_list_contains(const edi_code_list *l, const char *value, size_t len);

#endif
