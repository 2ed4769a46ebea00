/* canonical_totals.h: completing a canonical order (formats/canonical/canonical.xsd) with
 * the amounts its sender did not send. It owns computing, with exact decimals (decimal.h),
 * each missing line amount, the line count and the total of line amounts, writing them
 * where the schema puts them marked computed="true", and checking sent totals against the
 * computed ones. What the sender sent is never changed. */
#ifndef CANONICAL_TOTALS_H
#define CANONICAL_TOTALS_H

#include <stddef.h>

#include <libxml/tree.h>

#include "edi_result.h"

/* Complete the canonical order `doc` in place (docs/canonical.md, "Computed totals"):
 *   - a line without lineAmount that has a quantity and a net price gets
 *     quantity x netPrice / netPrice@basisQuantity (absent: 1), rounded half-up to 2
 *     decimals; a line with allowances or charges gets none (not computed yet);
 *   - totals/lineCount, when absent, the number of lines;
 *   - totals/lineAmountTotal, when absent and every line has an amount (sent or computed),
 *     their exact sum.
 * A `totals` element is added when there is none. totals/@missing is kept: it records what
 * the sender did not send. A sent total that differs from the computed one, and a value
 * that is not a decimal, give a warning sentence in `warnings` (one per line, appended;
 * may be NULL) and nothing is computed from it. A document that is not a canonical order
 * is left as it is. Returns EDI_OK, EDI_E_ARG (no document) or EDI_E_NOMEM, with a
 * sentence in `why`. */
edi_result canonical_totals_complete(xmlDocPtr doc, char *warnings, size_t warnings_n,
                                     char *why, size_t why_n);

#endif
