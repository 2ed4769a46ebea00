/* order_checks.h: step 5 of the flow, "check": one canonical order (as the mappings produce
 * it) against master data reached through md_lookup (master_data.h). It owns the rules,
 * their reason codes and actions (warn, amend, hold, reject), the sentences for support
 * staff and the customer, the order's outcome, and the order amount computed in C with
 * gateway/decimal.h. It reads the order and never changes it; it keeps no state.
 *
 * The rules and why each has its action: docs/canonical.md, "Checks against master data". */
#ifndef ORDER_CHECKS_H
#define ORDER_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "decimal.h"
#include "doc_finding.h"
#include "edi_result.h"
#include "master_data.h"

/* What a finding asks for, weakest first; the order's outcome is the strongest of its
 * findings. NONE: nothing to do (an order without findings; or, in an override, "do not
 * run this check"). */
typedef enum {
    ORDER_ACTION_NONE = 0,
    ORDER_ACTION_WARN,      /* accepted as it is; someone should know */
    ORDER_ACTION_AMEND,     /* accepted with a value the gateway supplied (price, unit,
                               currency): the order response carries it */
    ORDER_ACTION_HOLD,      /* kept until the seller's staff decide (price, credit,
                               contract, quantity, article); released or rejected by them */
    ORDER_ACTION_REJECT,    /* not accepted: the customer must send a corrected order */
    ORDER_ACTION_COUNT
} order_action;

/* Which value of the order a finding supplies or proposes (order_finding.value). */
typedef enum {
    ORDER_FIELD_NONE = 0,
    ORDER_FIELD_CURRENCY,          /* the order's currency (an order-level finding) */
    ORDER_FIELD_UNIT,              /* the unit of the line's quantity (UN/ECE Rec 20) */
    ORDER_FIELD_PRICE,             /* the line's net price, for `basis` units */
    ORDER_FIELD_QUANTITY,          /* the line's quantity */
    ORDER_FIELD_COUNT
} order_field;

/* The reason codes. Their ids (order_check_reason_id) are stable: stored, shown, configured. */
typedef enum {
    OC_CUSTOMER_UNKNOWN = 0,     /* reject: no customer for the sender, or not in master data */
    OC_CUSTOMER_BLOCKED,         /* reject */
    OC_DUPLICATE_ORDER_NUMBER,   /* reject: the customer's order number was already used */
    OC_CURRENCY_MISMATCH,        /* reject: order currency is not the customer's */
    OC_CURRENCY_ASSUMED,         /* amend: no currency sent; the customer's is used */
    OC_NO_LINES,                 /* reject: the order has no lines */
    OC_ARTICLE_UNKNOWN,          /* hold: not found by GTIN, supplier or buyer number */
    OC_ARTICLE_CONFLICT,         /* hold: the line's numbers name different articles */
    OC_QUANTITY_MISSING,         /* reject: a line without a quantity */
    OC_VALUE_INVALID,            /* reject: a quantity or price that is not a usable decimal,
                                    an order date that is no date, an order number too long */
    OC_UNIT_NOT_ALLOWED,         /* reject */
    OC_UNIT_ASSUMED,             /* amend: no unit sent; the article's base unit is used */
    OC_BELOW_MINIMUM,            /* hold, with the quantity to propose */
    OC_NOT_STEP_MULTIPLE,        /* hold, with the quantity to propose */
    OC_NO_CONTRACT,              /* hold: no agreed price for this customer and article */
    OC_CONTRACT_EXPIRED,         /* hold */
    OC_CONTRACT_NOT_YET_VALID,   /* hold */
    OC_CONTRACT_CURRENCY,        /* hold: the contract is in another currency than the order */
    OC_PRICE_DIFFERS,            /* hold beyond the tolerance */
    OC_PRICE_WITHIN_TOLERANCE,   /* amend: differs, within the tolerance; contract price used */
    OC_PRICE_ADDED,              /* amend: no price sent; the contract price is used */
    OC_PRICE_MISSING,            /* hold: no price sent and no valid contract price */
    OC_CREDIT_LIMIT_EXCEEDED,    /* hold: open exposure + this order > credit limit */
    OC_REASON_COUNT
} order_check_reason;

/* "PRICE_DIFFERS" for OC_PRICE_DIFFERS; never NULL. */
const char *order_check_reason_id(order_check_reason r);
/* The reason whose id is `id`; false when there is none. */
bool order_check_reason_parse(const char *id, order_check_reason *out);
/* "currency", "unit", "price", "quantity" ("none" for ORDER_FIELD_NONE); never NULL. These
 * are the member names of the answer plan (orders.h). */
const char *order_field_name(order_field f);
/* "warn", "amend", "hold", "reject" ("none" for ORDER_ACTION_NONE); never NULL. */
const char *order_action_name(order_action a);
/* The action each reason has unless an option overrides it. */
order_action order_check_default_action(order_check_reason r);

typedef struct {
    order_action action;
    order_check_reason reason;
    char line[MD_ID_MAX];          /* the line number as sent; "" for the whole order */
    char expected[96];             /* what master data expects ("12.50 EUR per 1 C62") */
    char found[96];                /* what the order has ("12.90 EUR per 1 C62") */
    char text[640];                /* what is wrong, where, and what to do */
    /* The value the finding supplies: for an amend, the value the order is accepted with and
     * the order response states (CURRENCY_ASSUMED the customer's currency, UNIT_ASSUMED the
     * article's base unit, PRICE_ADDED the contract price); for the findings that propose
     * one, the value to propose or apply when an override makes them amend (PRICE_DIFFERS
     * and PRICE_WITHIN_TOLERANCE the contract price, BELOW_MINIMUM and NOT_STEP_MULTIPLE the
     * next valid quantity). ORDER_FIELD_NONE and "" for the others. */
    order_field field;
    char value[DECIMAL_TEXT_MAX];  /* decimal text (price, quantity) or a code */
    char basis[DECIMAL_TEXT_MAX];  /* ORDER_FIELD_PRICE: the quantity the price is for */
} order_finding;

/* The longest order number taken, with the NUL (openTRANS ORDER_ID allows 250). */
#define ORDER_NUMBER_MAX 256

/* At most this many findings are kept; the outcome counts the ones left out too. Findings
 * whose action is amend are always kept: the order response needs their values. */
#define ORDER_FINDINGS_MAX 1000

/* The result of one run. Zero-initialised it is empty; the caller frees it with
 * order_check_result_free (which also makes it empty again for reuse). */
typedef struct {
    order_finding *items;
    size_t count, cap;
    size_t dropped;                /* findings beyond ORDER_FINDINGS_MAX, not kept */
    order_action outcome;          /* the strongest action of all findings */
    char order_number[ORDER_NUMBER_MAX];
    char order_date[MD_DATE_MAX];  /* the date the checks used (the order's or options') */
    char currency[MD_CURRENCY_MAX];/* the order's, or the customer's when none was sent */
    decimal amount;                /* net order amount: the sum of the priced lines */
    bool amount_complete;          /* false when a line could not be priced (not counted) */
    decimal reserve;               /* the amount to reserve against credit when the order is
                                      accepted: the amount, or 0 when the order is rejected */
} order_check_result;

void order_check_result_free(order_check_result *r);

/* One reason's action replaced, e.g. a partner whose credit reaction is "warn". */
typedef struct {
    order_check_reason reason;
    order_action action;           /* ORDER_ACTION_NONE: the check is not reported */
} order_check_override;

typedef struct {
    const char *today;             /* ISO date used when the order carries no document
                                      date; NULL: the current date (UTC) */
    const order_check_override *overrides;
    size_t override_count;
} order_check_options;

/* Check `canonical_order` (a canonical `order` document) for the customer `customer_id`
 * (the customer the sending partner belongs to, given by the caller; NULL or "" when the
 * partner belongs to none) against the master data `md`, with the options `opt` (may be
 * NULL). `out` is emptied first and then filled: findings in order (order-level first, then
 * per line), outcome, order number, date, currency, amount and reserve.
 *
 * Returns EDI_OK when the checks ran, whatever they found. An error means they could not
 * run and `out` must not be used: EDI_E_ARG (no order, not a canonical order, a callback
 * missing, a master data record with a value that is not a decimal or date), EDI_E_LIMIT
 * (an amount beyond the decimal range), EDI_E_NOMEM, or whatever a lookup returned (e.g.
 * EDI_E_STORE); `why` says which. */
edi_result order_checks_run(xmlDocPtr canonical_order, const char *customer_id,
                            const md_lookup *md, const order_check_options *opt,
                            order_check_result *out, char *why, size_t why_n);

/* The findings of `r` appended to `f` as document findings: rule = the reason id, where =
 * "order" or "line N", text = "<action>: <sentence>"; hold and reject are DOC_ERROR, warn
 * and amend DOC_WARNING. EDI_OK or EDI_E_NOMEM. */
edi_result order_check_to_doc_findings(const order_check_result *r, doc_findings *f);

#endif
