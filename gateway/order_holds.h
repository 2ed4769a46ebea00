/* order_holds.h: deciding held orders outside the pipeline. It owns telling who an order is
 * held for (the seller's staff after a check's hold, or the customer's approver), the
 * seller's release (accepted, or on to the customer's approval when its rules still apply)
 * and rejection of an order a check held, and the customer user's decision of the approval
 * an order waits for (orders_decide_approval). Each runs in the caller's transaction
 * (store_begin), so that the move, its events and the "answer" job commit together. */
#ifndef ORDER_HOLDS_H
#define ORDER_HOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "approval.h"
#include "content_store.h"
#include "edi_result.h"
#include "orders.h"
#include "partner.h"
#include "store.h"
#include "store_orders.h"

/* Who a held order waits for. */
typedef enum {
    ORDER_HOLD_NONE = 0,    /* the order is not held */
    ORDER_HOLD_SELLER,      /* a check held it: the seller's staff release or reject it */
    ORDER_HOLD_APPROVAL,    /* its approval is pending: the customer's approver decides */
} order_hold_kind;

/* "none", "seller", "approval"; never NULL. */
const char *order_hold_kind_name(order_hold_kind k);

/* Who order `o` waits for: not held, the seller (held without an approval) or the customer's
 * approver (held with its approval). `a` (may be NULL) gets the order's newest approval, its
 * id "" when it has none. EDI_E_STORE when the store failed. */
edi_result order_holds_kind(store *s, const store_order *o, order_hold_kind *kind, approval *a,
                            char *why, size_t why_n);

/* Whether order `o` (amount and currency as the checks stored them) needs the customer's
 * approval: the customer's policy for orders a customer user placed, the partner profile's
 * (`ps`, may be NULL) for every order of the partner, as the pipeline's check step decides.
 * `reason` (APPROVAL_REASON_MAX) gets the sentence. EDI_E_STORE when it cannot be told. */
edi_result order_holds_approval_needed(store *s, const partner_set *ps, const store_order *o,
                                       bool *needed, char *reason, size_t reason_n, char *why,
                                       size_t why_n);

/* What a release or a rejection did. */
typedef struct {
    store_order order;                  /* the order afterwards */
    bool approval;                      /* released into the customer's approval */
    size_t asked;                       /* then: how many approvers were asked */
    char reason[APPROVAL_REASON_MAX];   /* then: why the approval is needed */
} order_holds_outcome;

/* The seller's staff member `by` releases order `order_id` held by a check, with `comment`
 * (may be NULL or ""), at `now` (seconds): an order event "released" and a history event
 * naming `by` and the comment; then, when the approval rules still apply
 * (order_holds_approval_needed with `ps`), the approval is started and its approvers asked
 * (orders_start_approval with `set`, which may be NULL: nobody is asked, the order event
 * says so) and the requester told that the order waits (orders_notify_requester); else the
 * order held -> accepted (orders_move: the order number recorded, the credit reserved) with
 * its answer plan kept and an "answer" job for its message. `actor` names the caller in the
 * events ("staff:Anna Schmidt"). EDI_E_NOT_FOUND (no order), EDI_E_CONFLICT (not held, or
 * waiting for the customer's approver, or moved by someone else), EDI_E_ARG (`by` empty),
 * else what the store returned; `why` says which. */
edi_result order_holds_release(store *s, content_store *cs, const partner_set *ps,
                               const orders_settings *set, store_id order_id, const char *by,
                               const char *comment, const char *actor, int64_t now,
                               order_holds_outcome *out, char *why, size_t why_n);

/* The seller's staff member `by` rejects order `order_id` held by a check, for `comment`
 * (required: the customer must learn why): held -> rejected with a rejecting answer plan,
 * events naming `by` and the comment, and an "answer" job. Errors as order_holds_release;
 * EDI_E_ARG also for a missing comment. */
edi_result order_holds_reject(store *s, store_id order_id, const char *by, const char *comment,
                              const char *actor, order_holds_outcome *out, char *why,
                              size_t why_n);

/* Customer user `user_id` approves (`approve`) or rejects order `order_id`'s pending
 * approval with `comment` at `now`: orders_decide_approval with the order's newest
 * approval. EDI_E_NOT_FOUND (no order), EDI_E_CONFLICT with out->refusal
 * APPROVAL_REFUSED_NONE when the order waits for no approval (never asked, or held by the
 * seller), else as orders_decide_approval. */
edi_result order_holds_decide(store *s, store_id order_id, const char *user_id, bool approve,
                              const char *comment, int64_t now, orders_decision *out, char *why,
                              size_t why_n);

#endif
