/* partner.h: trading partner profiles (partners/README.md, schema partners/partner.xsd).
 * It owns loading one profile file, validating it against the schema with a finding per
 * problem (file line), the profile record the conversion engine reads, and applying the
 * partner's code maps to a canonical document: inbound (the partner's unit codes and
 * qualifiers to canonical ones) and outbound (Rec 20 units to the partner's codes). */
#ifndef PARTNER_H
#define PARTNER_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "doc_finding.h"
#include "edi_result.h"
#include "mapping.h"

#define PARTNER_NS "urn:edi-gateway:partner:1"

typedef enum {
    PARTNER_MAP_UNIT = 0,      /* @unit/@basisUnit: partner code <-> Rec 20 */
    PARTNER_MAP_REFERENCE,     /* reference/@qualifier -> reference/@kind */
    PARTNER_MAP_DATE,          /* date/@qualifier -> date/@role */
    PARTNER_MAP_PARTY,         /* party/@qualifier -> party/@role */
} partner_map_kind;

enum { PARTNER_IN = 1, PARTNER_OUT = 2 };

typedef struct {
    partner_map_kind kind;
    char code[18];             /* the partner's code or qualifier */
    char canonical[33];        /* the Rec 20 code, or the canonical kind or role */
    unsigned directions;       /* PARTNER_IN | PARTNER_OUT (qualifiers: PARTNER_IN only) */
} partner_map;

typedef struct {
    bool inbound;              /* true: `key` is an inbound format ("edifact-orders", ...) */
    char key[24];              /* the format or the convert target ("ordrsp", ...) */
    char *path;                /* the profile's folder joined with href; owned */
} partner_stylesheet;

/* One loaded profile; every string is "" when the profile does not set it. Owned by the
 * caller of partner_load, freed with partner_free; read-only afterwards, so one profile can
 * serve several threads. */
typedef struct {
    char id[65];
    char name[201];
    char *file;                /* the profile's path as given to partner_load */
    /* inbound */
    bool opentrans_strict;     /* openTRANS deviations are errors instead of warnings */
    char charset[16];          /* what the partner's EDIFACT really is: UTF-8, WINDOWS-1252 */
    /* outbound EDIFACT */
    char directory[8];         /* D96A or D01B */
    char association[8];       /* EANCOM association code, or "none" */
    char syntax_id[8];         /* UNOC ... */
    int syntax_version;        /* 1..4; 0 unset */
    char separators[6];        /* component, element, decimal, release (' ' none), terminator */
    char repetition;           /* '\0' unset */
    const char *line_break;    /* NULL unset, else "", "\n" or "\r\n" (static) */
    partner_stylesheet *styles;
    size_t n_styles;
    partner_map *maps;
    size_t n_maps;
} partner;

/* Load the profile at `file` and validate it against the schema at `schema_path` (compiled
 * once and kept by `m`). Every problem (not XML, a DOCTYPE, schema errors) is added to
 * `findings` as an error with its line, `where` naming the file. Returns EDI_OK and the
 * profile in *out, EDI_E_IO (cannot be read), EDI_E_XML (refused: the findings and `why`
 * say why), EDI_E_NOMEM, EDI_E_ARG. */
edi_result partner_load(mapping_ctx *m, const char *schema_path, const char *file,
                        partner **out, doc_findings *findings, char *why, size_t why_n);

/* Load <dir>/<id>.xml. An id that is not a plain name (letters, digits, '_', '-', '.', not
 * starting with '.') is refused with EDI_E_ARG before any file is opened. */
edi_result partner_find(mapping_ctx *m, const char *schema_path, const char *dir,
                        const char *id, partner **out, doc_findings *findings, char *why,
                        size_t why_n);

void partner_free(partner *p);

/* The partner's stylesheet for an inbound format or an outbound target, or NULL (p may be
 * NULL). The path stays valid as long as the profile. */
const char *partner_stylesheet_path(const partner *p, bool inbound, const char *key);

/* Apply the inbound code maps to the canonical document `doc` in place: a unit the partner
 * sent (@unitAsSent, else @unit; @basisUnitAsSent, else @basisUnit) that the profile maps
 * becomes its Rec 20 code in @unit (@basisUnit), the code as sent kept in @unitAsSent
 * (@basisUnitAsSent); a reference, date or party whose @qualifier the profile maps gets
 * that kind or role. Returns EDI_OK (also with p NULL: nothing to do), EDI_E_NOMEM, and
 * the number of values changed in *changed (may be NULL). */
edi_result partner_map_inbound(const partner *p, xmlDocPtr doc, size_t *changed);

/* Apply the outbound unit maps: a @unit (@basisUnit) holding a Rec 20 code the profile
 * maps outbound becomes the partner's code, in @unitAsSent (@basisUnitAsSent) too, so that
 * stylesheets that prefer the code as sent write the partner's. */
edi_result partner_map_outbound(const partner *p, xmlDocPtr doc, size_t *changed);

#endif
