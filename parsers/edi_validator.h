/* edi_validator.h: checks one message against its directory definition, segment by
 * segment as the tokenizer delivers them: segment order, segment groups and repeats,
 * mandatory segments, elements and components, formats (a/n/an, lengths, numbers with
 * the decimal mark in force) and code values. It also tells where each segment sits in
 * the group tree. Every problem becomes a finding with its CONTRL 0085 code. */
#ifndef EDI_VALIDATOR_H
#define EDI_VALIDATOR_H

#include <stdbool.h>

#include "edi_directory.h"
#include "edi_finding.h"
#include "edi_result.h"
#include "edi_tokenizer.h"

typedef struct {
    char decimal;        /* the decimal mark in force: UNA position 3, or '.'; 0 = '.' */
    bool any_decimal;    /* accept both '.' and ',' (syntax 4, or no UNA before syntax 4) */
    bool utf8;           /* lengths count UTF-8 characters, not bytes (UNOW/UNOY or UTF-8
                            content): continuation bytes 0x80-0xBF are not counted */
} edi_validator_options;

/* Where a segment goes in the group tree. When the segment starts a new occurrence of
 * the group it is already in, that group is closed and opened again. */
typedef struct {
    unsigned closed;                /* groups closed before this segment, innermost first */
    const edi_struct_node *opened;  /* the group this segment starts, or NULL */
    const edi_struct_node *entry;   /* the segment's structure entry; NULL: not expected */
    const edi_segment_def *def;     /* entry->segment, or NULL */
    unsigned depth;                 /* groups open after this segment (0 = top level) */
} edi_placement;

typedef struct edi_validator edi_validator;

/* A validator for messages of one definition (which must outlive it); reusable for many
 * messages with begin/end. `opt` may be NULL (decimal point only). NULL on out of memory.
 * Free with edi_validator_free. */
edi_validator *edi_validator_new(const edi_message_def *def, const edi_validator_options *opt);
void edi_validator_free(edi_validator *v);

/* Start a message: findings go to `f` (kept by the validator until end); `at_unh` is the
 * position of UNH, the "last segment processed" when the first segments are missing. */
void edi_validator_begin(edi_validator *v, edi_findings *f, const edi_position *at_unh);

/* Every segment between UNH and UNT, exclusive. `at` is the segment's position (segment
 * number, tag, offset, line); `out` receives the placement and may be NULL. Returns
 * EDI_E_ARG when called outside begin/end, else EDI_OK (problems are findings). */
edi_result edi_validator_segment(edi_validator *v, const edi_segment *seg, const edi_position *at,
                                 edi_placement *out);

/* End of the message at UNT: reports mandatory segments and groups still missing (at the
 * position of the last segment processed). Closes the message: begin may follow. */
void edi_validator_end(edi_validator *v, const edi_position *at_unt);

/* Check the data elements of one segment against `def`: counts, repetitions, mandatory
 * elements and components, formats, codes. For service segments (UNB, UNH, ...) checked
 * by the envelope code with the service definitions. Findings are at element level (UCD)
 * with 1-based element and component positions. `opt` may be NULL; a NULL `def` (a tag
 * the definitions do not have) checks nothing. */
void edi_validate_segment_elements(const edi_segment_def *def, const edi_segment *seg,
                                   const edi_position *at, const edi_validator_options *opt,
                                   edi_findings *f);

#endif
