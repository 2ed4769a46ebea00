/* en16931.h: the EN 16931 calculation of a canonical invoice (formats/canonical/canonical.xsd,
 * root `invoice`). It owns completing an invoice with the amounts its sender left out (line
 * net amounts, allowance and charge amounts, the VAT breakdown, the document totals) and
 * warning, by rule id, where a sent amount disagrees; plus the small helpers (reading the
 * invoice, comparing amounts) that the rule checks (en16931_rules.h) share. All money is
 * exact (decimal.h). */
#ifndef EN16931_H
#define EN16931_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "decimal.h"
#include "doc_finding.h"
#include "edi_result.h"

/* Complete a canonical invoice in place with exact decimals (gateway/decimal.h), marking every
 * value it adds computed="true" (the schema allows @computed on lineAmount,
 * allowanceCharge/amount, tax/amount, every totals child and a document tax, the VAT
 * breakdown entries it creates): each line's net amount
 * BT-131 = quantity x net price / basis quantity (BT-149, absent 1) - line allowances + line
 * charges, rounded half-up to 2 decimals; allowance/charge amounts from percent x basis / 100
 * when missing; BT-106 sum of line net amounts; BT-107/BT-108 sums of document
 * allowances/charges; BT-109 = 106 - 107 + 108; the VAT breakdown BG-23 (one document `tax`
 * per category and rate for S, L, M, per category for Z, E, AE, K, G, O: basis = lines +
 * charges - allowances of that group, VAT = basis x rate / 100 rounded to 2) when absent;
 * BT-110 sum of breakdown VAT; BT-112 = 109 + 110; BT-115 = 112 - 113 + 114 (+ the XRechnung
 * extension's third party payments). Only what is absent is computed; a sent value that
 * differs from what the rules give by more than the official rule's tolerance is kept and
 * reported as a DOC_WARNING naming the rule (BR-CO-10 ... BR-CO-16, BR-DEX-09, BR-S-08/09,
 * PEPPOL-EN16931-R120 etc.). Returns EDI_OK, EDI_E_ARG (not a canonical
 * invoice), EDI_E_NOMEM; a value that is not a decimal is a finding, not a failure.
 * `out` is the caller's list (findings are appended). */
edi_result en16931_complete(xmlDocPtr invoice, doc_findings *out, char *why, size_t why_n);

/* ---- helpers shared with en16931_rules.c ---------------------------------------------- */

/* The root of a canonical invoice, for en16931_complete and en16931_check: NULL, with the
 * sentence in `why`, when `invoice` is not one or there is no findings list `out`. */
xmlNodePtr en16931_invoice_root(xmlDocPtr invoice, const doc_findings *out, char *why,
                                size_t why_n);

/* True when `n` is the element `name` in the canonical namespace. */
bool en16931_is(const xmlNode *n, const char *name);

/* The first canonical child `name` of `parent`, and the next sibling `name` after `from`;
 * NULL when there is none. */
xmlNodePtr en16931_child(xmlNodePtr parent, const char *name);
xmlNodePtr en16931_next(xmlNodePtr from, const char *name);

/* The text of `el` (or of its attribute `attr` when not NULL) without leading and trailing
 * white space, copied into buf[n]; "" when absent. Returns true when it is not empty. */
bool en16931_text(xmlNodePtr el, const char *attr, char *buf, size_t n);

/* The text of `el` (or its attribute `attr`) as a decimal. */
typedef enum {
    EN16931_ABSENT = 0,   /* no element, no attribute, or empty text */
    EN16931_VALUE,        /* *out holds the value */
    EN16931_NOT_DECIMAL,  /* there is text, but not a canonical decimal (why[] says why) */
} en16931_read;
en16931_read en16931_decimal(xmlNodePtr el, const char *attr, decimal *out,
                             char *why, size_t why_n);

/* |d|. */
decimal en16931_abs(decimal d);

/* True when |a - b| < limit, or |a - b| <= limit when `inclusive`; false when a - b cannot be
 * computed. */
bool en16931_within(decimal a, decimal b, decimal limit, bool inclusive);

/* "line 2 (number 20)" for the line at 1-based position `index`. */
void en16931_line_label(xmlNodePtr line, size_t index, char *buf, size_t n);

/* True when the tax element `tax` is VAT: its @type is absent or "VAT" in any case. */
bool en16931_is_vat(xmlNodePtr tax);

/* The first VAT `tax` child of `parent` (a line or an allowance/charge); NULL when none. */
xmlNodePtr en16931_vat_of(xmlNodePtr parent);

/* The first party with @role `role` ("supplier", "buyer", ...); NULL when none. */
xmlNodePtr en16931_party(xmlNodePtr root, const char *role);

/* The sum of the XRechnung extension's third party payments (BG-DEX-09, BT-DEX-002: UBL
 * cac:PrepaidPayment/cbc:PaidAmount, which the mapping keeps in the document `extension`;
 * the canonical model has no field for them) into *sum. Returns false, *sum 0, when the
 * invoice has none; a PaidAmount that is not a decimal counts as none. */
bool en16931_third_party_paid(xmlNodePtr root, decimal *sum);

#endif
