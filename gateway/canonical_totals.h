/* canonical_totals.h: completing a canonical order, order response or despatch advice
 * (formats/canonical/canonical.xsd) with the amounts its sender did not send. It owns
 * computing, with exact decimals (decimal.h), each missing line allowance/charge amount,
 * line amount, the line count and the total of line amounts, writing them where the schema
 * puts them marked computed="true", and checking sent totals against the computed ones.
 * What the sender sent is never changed. Invoices are not touched (EN 16931 has its own). */
#ifndef CANONICAL_TOTALS_H
#define CANONICAL_TOTALS_H

#include <stddef.h>

#include <libxml/tree.h>

#include "edi_result.h"

/* Complete the canonical `doc` in place when it is an order, orderResponse or
 * despatchAdvice (docs/canonical.md, "Computed totals"):
 *   - a line allowanceCharge without amount that has a percent gets
 *     basis x percent / 100 rounded half-up to 2 decimals, the basis being its basisAmount
 *     or, without one, the line's gross amount;
 *   - a line without lineAmount that has a quantity and a net price gets its gross amount
 *     quantity x netPrice / netPrice@basisQuantity (absent: 1) rounded half-up to 2
 *     decimals, minus its allowance amounts, plus its charge amounts (rounded again to 2
 *     decimals when an amount was sent with more); when an allowance or charge has no
 *     amount and none can be computed, the line gets no amount;
 *   - totals/lineCount, when absent, the number of lines;
 *   - totals/lineAmountTotal, when absent and every line has an amount (sent or computed),
 *     their exact sum.
 * A `totals` element is added when there is none. totals/@missing is kept: it records what
 * the sender did not send. A sent total that differs from the computed one, a value that is
 * not a decimal (nothing is computed from it), an allowance or charge with a negative
 * amount (used as sent) and one that blocks the line amount give a warning sentence in
 * `warnings` (one per line, appended; may be NULL). An invoice or any other document is
 * left as it is. Returns EDI_OK, EDI_E_ARG (no document) or EDI_E_NOMEM, with a sentence
 * in `why`. */
edi_result canonical_totals_complete(xmlDocPtr doc, char *warnings, size_t warnings_n,
                                     char *why, size_t why_n);

#endif
