/* opentrans_lint.h: how far a received openTRANS document is from the official schema. It
 * owns the checks for the deviations real ERPs make (bmecat: prefixes, element order,
 * units, dates, party references, empty elements, currencies) and turning the XSD's own
 * errors into plain sentences, one finding per occurrence with its line. */
#ifndef OPENTRANS_LINT_H
#define OPENTRANS_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "doc_finding.h"
#include "edi_result.h"
#include "mapping.h"

/* Check a parsed openTRANS document (2.1; for 1.0, which has no schema here, only the
 * checks that do not need one) against the official XSD (formats_dir
 * "/xsd/opentrans/opentrans_2_1.xsd", through mapping_schema_check so the compiled schema
 * is cached in `m`) and for the deviations real ERPs make. Lenient (strict = false): every
 * deviation is a DOC_WARNING with its line, a rule id and a plain sentence saying what was
 * expected, what was found and that it was read anyway; strict: the XSD's errors and the
 * IDREF check are DOC_ERRORs. Returns EDI_OK when the check ran (the findings tell),
 * EDI_E_IO when the schema cannot be read, EDI_E_NOMEM.
 *
 * Rule ids: OT-PREFIX (bmecat: namespace missing or wrong), OT-ORDER (element out of
 * order), OT-MISSING (a required element is absent), OT-UNKNOWN (an element neither schema
 * defines), OT-UNIT, OT-DATE, OT-IDREF, OT-EMPTY, OT-CURRENCY, and XSD for every other
 * schema error (its sentence rephrased, the schema's own message after it). The unit,
 * currency and date lists and the element names are read from the schema files in
 * formats_dir at each call. A document that is not openTRANS (another root namespace) is
 * EDI_E_ARG. The findings are appended to `out`, which the caller owns. */
edi_result opentrans_lint(mapping_ctx *m, const char *formats_dir, xmlDocPtr doc, bool strict,
                          doc_findings *out, char *why, size_t why_n);

#endif
