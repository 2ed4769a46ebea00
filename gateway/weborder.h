/* weborder.h: the web shop's JSON order (docs/api.md, "The web order") and its mapping to
 * the canonical order (formats/canonical/canonical.xsd). It owns reading the JSON strictly
 * (unknown members, duplicate members, wrong types and JSON numbers for amounts and
 * quantities are refused, each with the member's path) and building the canonical order,
 * values moved as the strings they were, totals completed by canonical_totals. */
#ifndef WEBORDER_H
#define WEBORDER_H

#include <stddef.h>

#include <libxml/tree.h>

#include "doc_finding.h"
#include "edi_result.h"

/* The format name of a web order in the store's messages and the pipeline. */
#define WEBORDER_FORMAT "JSON web order"

/* The rule id of every finding about a web order. */
#define WEBORDER_RULE "WEB-ORDER"

/* Most lines one web order may carry. */
#define WEBORDER_MAX_LINES 9999

/* Map the web order `json` (`len` bytes, UTF-8) to a canonical order.
 *
 * EDI_OK: *out is the order (the caller frees it with xmlFreeDoc), user_id and
 * customer_id hold who placed it, `findings` may hold warnings (totals that disagree).
 * EDI_E_SYNTAX: not JSON at all, or not one object (a finding says where: line, column).
 * EDI_E_ARG: JSON, but not a valid web order; one DOC_ERROR finding per problem, `where`
 * the member's path ("order_number", "lines[2].quantity", "delivery_address.country";
 * lines counted from 0), the text saying what to write.
 * EDI_E_NOMEM. On every failure *out is NULL and `why` holds the first problem. `findings`
 * may be NULL. user_id and customer_id are "" unless EDI_OK. */
edi_result weborder_to_canonical(const char *json, size_t len, xmlDocPtr *out, char user_id[65],
                                 char customer_id[65], doc_findings *findings, char *why,
                                 size_t why_n);

#endif
