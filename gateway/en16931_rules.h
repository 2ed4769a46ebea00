/* en16931_rules.h: the EN 16931 business rules on a canonical invoice (root `invoice` of
 * formats/canonical/canonical.xsd). It owns checking the core rules (BR-*, BR-CO-*, BR-DEC-*,
 * the VAT category rules BR-S/Z/E/AE/IC/G/O), the XRechnung rules (BR-DE-*) and key Peppol
 * BIS 3 rules (PEPPOL-EN16931-R*), each violation one doc_finding with the official rule id.
 * docs/canonical.md "EN 16931 calculation and business rules" lists what is checked. */
#ifndef EN16931_RULES_H
#define EN16931_RULES_H

#include <stddef.h>

#include <libxml/tree.h>

#include "doc_finding.h"
#include "edi_result.h"

typedef enum {
    EN16931_RULES_CORE = 1,
    EN16931_RULES_XRECHNUNG = 2,   /* BR-DE-* and the Peppol rules KoSIT's XRechnung 3.0 runs */
    EN16931_RULES_PEPPOL = 4,      /* PEPPOL-EN16931-R* of Peppol BIS Billing 3.0 */
} en16931_ruleset;

/* Check the business rules of the selected sets on a canonical invoice; every violation is
 * one DOC_ERROR (DOC_WARNING for rules the specification marks as warnings) whose rule is the
 * official id ("BR-16", "BR-CO-10", "BR-S-08", "BR-DE-15", "PEPPOL-EN16931-R010"), whose
 * `where` names the place in words ("line 2 (number 20)", "VAT breakdown S 19%", "seller")
 * and whose text says what is wrong and what to do. Findings are appended to `out` (the
 * caller's list). Returns EDI_OK when the check ran (findings may hold errors), EDI_E_ARG
 * for a document that is not a canonical invoice, EDI_E_NOMEM. */
edi_result en16931_check(xmlDocPtr invoice, unsigned rulesets, doc_findings *out,
                         char *why, size_t why_n);

#endif
