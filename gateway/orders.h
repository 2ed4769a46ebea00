/* orders.h: the order service, one state machine for every channel (EDI, openTRANS, web):
 * received -> held -> accepted | rejected -> confirmed -> despatched -> invoiced. It owns
 * which moves are allowed, what each move does besides the state (its order event, the
 * customer's order number and credit reservation on accepted, the release on rejected),
 * the verdict of the checks and approval rules, the answer plan (type and line statuses of
 * the order response) and the order response built from the canonical order, asking the
 * customer's approvers (signed links in mails that the "mail" job sends), deciding an
 * approval, expiring and reminding approvals, and the documents that follow the order
 * response: despatch advices (partial despatch included) and invoices (gap-free numbers,
 * completed and checked by the EN 16931 rules, credit moved from the open order to the open
 * invoice). It runs inside the caller's transaction (store_begin) where it writes, so that a
 * move, its events and its jobs commit together; orders_despatch and orders_invoice are
 * transactions of their own. */
#ifndef ORDERS_H
#define ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "approval.h"
#include "approval_link.h"
#include "content_store.h"
#include "doc_finding.h"
#include "edi_result.h"
#include "order_checks.h"
#include "partner.h"
#include "store.h"
#include "store_orders.h"

typedef enum {
    ORDER_RECEIVED = 0,
    ORDER_HELD,          /* waiting for the customer's approver or the seller's staff */
    ORDER_ACCEPTED,
    ORDER_REJECTED,
    ORDER_CONFIRMED,     /* the order response went out */
    ORDER_DESPATCHED,
    ORDER_INVOICED,
    ORDER_STATE_COUNT
} order_state;

/* "received", "held", ...; never NULL. */
const char *order_state_name(order_state s);
bool order_state_parse(const char *name, order_state *out);

/* Whether an order may move from `from` to `to`. */
bool orders_move_allowed(order_state from, order_state to);

/* Move order `o` (as read: its state is the one moved from) to `to`, in the caller's
 * transaction: the state (and `answer`, the answer plan, when not NULL), the order event
 * `to`'s name with `detail` by `actor`, and the bookkeeping of the move: accepted records
 * the customer's order number (store_order_number_record) and reserves the order's amount
 * against the customer's credit (store_credit_set); rejected releases a reservation. A
 * move that is not allowed is EDI_E_ARG with a sentence; EDI_E_CONFLICT when another
 * transaction moved the order first. `o->state` is updated on EDI_OK. */
edi_result orders_move(store *s, store_order *o, order_state to, const char *actor,
                       const char *detail, const char *answer, char *why, size_t why_n);

/* What happens to a checked order: the checks' outcome first (reject, then a seller's
 * hold), then the approval rules. */
typedef enum {
    ORDERS_ACCEPT = 0,
    ORDERS_APPROVAL,     /* held until the customer's approver decides */
    ORDERS_HOLD,         /* held by a check (price, credit, article, quantity) */
    ORDERS_REJECT,
} orders_verdict;

orders_verdict orders_verdict_of(order_action outcome, bool approval_needed);

/* The answer plan as JSON text into `out` (keys sorted):
 *   {"type":"accepted"|"changed"|"rejected", "currency":"EUR",
 *    "lines":{"<line number>":{"status":"changed", "price":"12.50", "basis":"100",
 *                              "unit":"C62", "quantity":"12"}}}
 * rejected when `rejected` (then nothing else); changed when a finding amended the order,
 * each amended line named with status changed and the values its amend findings supplied
 * (order_finding.value: price with its basis when that is not 1, unit, quantity), and the
 * currency when CURRENCY_ASSUMED (or another order-level amend) supplied one; else accepted.
 * Plans written before the values were kept name a line's status as a string
 * ({"lines":{"2":"changed"}}); every reader here takes both. EDI_E_LIMIT when it does not
 * fit, EDI_E_NOMEM. */
edi_result orders_answer_plan(const order_check_result *cr, bool rejected, char *out,
                              size_t n);

/* The order as agreed: the canonical `order` (as received and stored) amended in place by
 * the values of the answer plan `plan`: the currency, and per named line the unit of its
 * quantity (unitAsSent removed), its quantity and its net price (basisQuantity the plan's
 * basis, absent for 1); a line whose price or quantity changed loses its lineAmount and
 * computed allowance/charge amounts, and the document its totals/lineAmountTotal, for
 * canonical_totals to compute again. A plan without values changes nothing. What despatch
 * advices and invoices are built from (orders_despatch, orders_invoice). EDI_E_ARG with a
 * sentence when `order` is no canonical order, the plan is none, a value is not usable or
 * names a line the order does not have; EDI_E_NOMEM. */
edi_result orders_apply_plan(xmlDocPtr order, const char *plan, char *why, size_t why_n);

/* The canonical orderResponse answering the canonical `order` by the answer plan `plan`:
 * type from the plan, number `response_number`, document date `date` (YYYY-MM-DD), a
 * customer_order reference to the order's number, the plan's amendments as
 * orders_apply_plan makes them (not in a rejected response), a line whose quantity was
 * amended keeping the quantity ordered as orderedQuantity, and every line with its status
 * (the plan's, else the type's: accepted or rejected, changed lines accepted unless named).
 * *out is a new document the caller frees with xmlFreeDoc. EDI_E_ARG when `order` is no
 * canonical order or the plan is not one or cannot be applied. */
edi_result orders_build_response(xmlDocPtr order, const char *plan, const char *response_number,
                                 const char *date, xmlDocPtr *out, char *why, size_t why_n);

/* ---- approvals ------------------------------------------------------------------------ */

/* What asking approvers needs; strings borrowed. */
typedef struct {
    const approval_link_keys *keys;   /* NULL: links cannot be signed, nobody is asked */
    const char *link_base;            /* "https://gw.example" -> <base>/api/approvals/<token> */
    const char *mail_from;            /* NULL: no mail is configured, nobody is asked */
    const char *mail_from_name;
    int64_t lifetime_s;               /* how long an approval waits before it expires */
    int64_t reminder_lead_s;          /* a reminder when at most this much time is left */
} orders_settings;

/* Start the approval of held order `o` (id "A<order id>", reason, the order's
 * fingerprint, expiring lifetime_s after `now`) and ask its approvers: for each eligible
 * user of the customer (approval_choose_approvers) a signed link, an approval mail in the
 * content store, an outbound message of channel "mail" with its envelope and a "mail" job,
 * and an order event naming who was asked. Nobody eligible, or no mail or key configured,
 * leaves the approval pending with an order event saying so (the dead end support staff
 * must see). In the caller's transaction. *asked (may be NULL) gets how many were asked. */
edi_result orders_start_approval(store *s, content_store *cs, const orders_settings *set,
                                 const store_order *o, const char *reason, int64_t now,
                                 const char *actor, size_t *asked, char *why, size_t why_n);

/* Tell the customer user who placed order `o` (o->requester_user_id: a web order) that it is
 * accepted, rejected or held (waiting for approval by their purchasing): a plain-text mail
 * to the user's e-mail in the master data naming the order, its state, lines count and
 * amount, and `reason` (may be NULL) for a rejection or hold, stored in the content store
 * as an outbound message of channel "mail" with its envelope and a "mail" job, and an order
 * event "notice-<state>". At most once per order and state (a second call finds the event
 * and does nothing); nothing for orders without a requester or in other states. No mail
 * configured (set or set->mail_from NULL), or a user without an e-mail address, records
 * the event saying so instead. In the caller's transaction. */
edi_result orders_notify_requester(store *s, content_store *cs, const orders_settings *set,
                                   const store_order *o, const char *reason, int64_t now,
                                   const char *actor, char *why, size_t why_n);

/* The outcome of orders_decide_approval. */
typedef struct {
    approval_refusal refusal;         /* APPROVAL_REFUSED_NONE on success */
    store_order order;                /* the order after the decision */
    approval decided;                 /* the approval after the decision */
} orders_decision;

/* User `user_id` approves (`approve`) or rejects approval `approval_id` with `comment` at
 * `now`, in the caller's transaction: approval_decide with the order's fingerprint (a
 * changed order cannot be approved), then the order held -> accepted (reserving credit) or
 * rejected, events on the order and its message, and an "answer" job for the message.
 * A user of another customer is refused as not an approver. Refusals return EDI_E_ARG or
 * EDI_E_CONFLICT with out->refusal and a sentence (nothing to commit). */
edi_result orders_decide_approval(store *s, const char *approval_id, const char *user_id,
                                  bool approve, const char *comment, int64_t now,
                                  orders_decision *out, char *why, size_t why_n);

/* Expire pending approvals whose time is over (their orders rejected and answered) and
 * send the reminders that are due, each approval in a transaction of its own. *changed
 * (may be NULL) gets how many approvals were expired or reminded. */
edi_result orders_approval_tick(store *s, content_store *cs, const orders_settings *set,
                                int64_t now, const char *actor, size_t *changed, char *why,
                                size_t why_n);

/* ---- despatch advices and invoices ---------------------------------------------------- */

#define ORDERS_FIELD_MAX 96

/* Which EN 16931 rule sets (en16931_rules.h) an invoice for convert target `target`
 * ("invoic", "xrechnung-ubl", ...; "" or NULL none) must pass: the core rules, plus
 * XRechnung's for xrechnung-ubl and xrechnung-cii, plus Peppol's for peppol. */
unsigned orders_invoice_rules(const char *target);

/* The canonical despatchAdvice for canonical `order` by request `req` (docs/api.md,
 * "Despatch": lines with the order line number and the quantity despatched, packages with
 * SSCC and the lines they hold, despatch and delivery dates): number `number`, the
 * customer_order reference, the order's parties, one package per request package, and per
 * line the order's article identifiers and descriptions, the quantity despatched in the
 * order's unit, the ordered quantity, the customer_order reference with the order's line
 * number and the package it is in. `before` (may be NULL) is what earlier despatches of the
 * order carried ({"line": "quantity"}): more than ordered in all is refused. *lines gets
 * this despatch's quantities as JSON text (STORE_DOC_LINES_MAX), *complete whether every
 * ordered line is now despatched in full. *out is freed by the caller with xmlFreeDoc.
 * EDI_E_ARG for a request that cannot be met, `field` naming the member ("lines[1].quantity")
 * and `why` what is wrong and what to send; EDI_E_NOMEM. */
edi_result orders_build_despatch(xmlDocPtr order, json_t *req, json_t *before,
                                 const char *number, xmlDocPtr *out, char *lines,
                                 bool *complete, char *field, size_t field_n, char *why,
                                 size_t why_n);

/* The canonical invoice for canonical `order` by request `req` (docs/api.md, "Invoice"):
 * number `number`, invoice date, due date, payment terms (else `default_terms`, the
 * customer's), buyer reference, the seller from req.seller over the order's supplier (its
 * identifiers kept), the order's buyer with req.buyer's additions, SEPA credit transfer to
 * the seller's IBAN, and one line per order line with a quantity: the request's, else what
 * was despatched (`despatched`, {"line": "quantity"}), priced at the request's or the
 * order's net price, taxed by the line's or the request's VAT category and rate. Completed
 * by en16931_complete and checked by en16931_check with `rules` (orders_invoice_rules);
 * every finding is appended to `findings`. *lines and *amount (the amount due, BT-115) as
 * for despatch. EDI_E_ARG with `field` for a request that cannot be met, or (field "")
 * when a rule is broken: the findings say which. *out is the caller's (xmlFreeDoc); it is
 * NULL on every error. */
edi_result orders_build_invoice(xmlDocPtr order, json_t *req, json_t *despatched,
                                const char *number, const char *default_terms, unsigned rules,
                                xmlDocPtr *out, char *lines, char *amount,
                                doc_findings *findings, char *field, size_t field_n, char *why,
                                size_t why_n);

/* What orders_despatch and orders_invoice did. */
typedef struct {
    store_id document_id;
    char number[STORE_ORDER_NUMBER_MAX];    /* delivery note or invoice number */
    char state[16];                         /* the order's state afterwards */
    bool complete;                          /* despatch: nothing is left to despatch */
    bool duplicate;                         /* despatch: this delivery note was recorded before */
    char amount[DECIMAL_TEXT_MAX];          /* invoice: the amount due */
    char currency[4];
    char target[16];                        /* the partner's answer format, "" none */
    char field[ORDERS_FIELD_MAX];           /* a refused request: the member at fault */
    doc_findings findings;                  /* invoice: the rule findings (caller frees) */
} orders_document_result;

/* Despatch (part of) order `order_id` by request `req`, in one transaction of its own:
 * the canonical despatchAdvice into the content store and recorded as an order document,
 * the order accepted/confirmed -> despatched when every line is now despatched in full
 * (else it stays and gets a "partly-despatched" event), events on the order and its
 * message, and an "answer" job that writes the partner's DESADV or DISPATCHNOTIFICATION.
 * A delivery note number given again for the same order is not recorded twice
 * (out->duplicate). EDI_E_NOT_FOUND (no order), EDI_E_CONFLICT (the order's state does not
 * allow it, the number belongs to another order), EDI_E_ARG (out->field), EDI_E_STORE. */
edi_result orders_despatch(store *s, content_store *cs, store_id order_id, json_t *req,
                           const char *actor, orders_document_result *out, char *why,
                           size_t why_n);

/* Invoice despatched order `order_id` by request `req`, in one transaction of its own: the
 * next invoice number of the invoice date's year, the invoice built, completed and checked
 * by the rules the partner's invoice format needs (partner from `ps`); a broken rule rolls
 * everything back (the number is not used) and returns EDI_E_ARG with the findings. Else the
 * invoice into the content store and recorded, despatched -> invoiced, the customer's open
 * order credit replaced by the open invoice (store_credit_release/store_credit_set), events
 * and an "answer" job for the partner's INVOIC, openTRANS INVOICE, XRechnung or Peppol
 * invoice. Errors as orders_despatch. */
edi_result orders_invoice(store *s, content_store *cs, const partner_set *ps, store_id order_id,
                          json_t *req, const char *actor, orders_document_result *out,
                          char *why, size_t why_n);

#endif
