/* store_orders.h: the order pipeline's records in the store (part of the store interface,
 * store.h): orders with their state and append-only events, approvals and which approver
 * was asked by which mail, the envelopes of outbound mails, used approval-link nonces, the
 * customers' approval policies and users as approvals see them, gap-free invoice numbers, and
 * the despatch advices and invoices recorded for an order until they are answered.
 * Functions run in their own transaction, or in a savepoint of the caller's (store_begin), so
 * that a state change, its event and the jobs it causes commit together. The rules (which
 * change is allowed, credit) are gateway/orders.h's; this module only keeps the records. */
#ifndef STORE_ORDERS_H
#define STORE_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "approval.h"
#include "decimal.h"
#include "edi_result.h"
#include "store.h"

#define STORE_ORDER_NUMBER_MAX 256
/* The answer plan (JSON), with the NUL: about 1,200 lines that a check amended (a price
 * and a unit added each); a larger plan fails its message with a sentence. */
#define STORE_ORDER_ANSWER_MAX 65536

typedef struct {
    store_id id;                           /* set by the store */
    store_id message_id;                   /* the inbound message that carried it */
    char partner[64];
    char customer_id[65];
    char requester_user_id[65];            /* "" unless a customer user placed it (web) */
    char number[STORE_ORDER_NUMBER_MAX];   /* the buyer's order number */
    char state[16];                        /* orders.h: "received", "held", ... */
    char amount[DECIMAL_TEXT_MAX];         /* net amount as the checks computed it; "" unknown */
    char currency[4];
    char content_id[65];                   /* the canonical order in the content store */
    char fingerprint[APPROVAL_FINGERPRINT_HEX]; /* SHA-256 of those bytes */
    char answer[STORE_ORDER_ANSWER_MAX];   /* what the order response says (orders.h) */
    store_id response_message_id;          /* the order response sent; 0 none yet */
    int64_t created_ms, updated_ms;
} store_order;

/* Record order `o` (state as given) unless the message already has an order with that
 * number: then nothing is written. *id gets the order's id either way, *created (may be
 * NULL) whether it is new. */
edi_result store_order_insert(store *s, const store_order *o, store_id *id, bool *created,
                              char *why, size_t why_n);

/* EDI_E_NOT_FOUND with a sentence when there is no such order. */
edi_result store_order_get(store *s, store_id id, store_order *out, char *why, size_t why_n);

/* The message's orders in id order; a non-zero return of `each` stops. */
edi_result store_order_list_message(store *s, store_id message_id,
                                    int (*each)(void *ctx, const store_order *o), void *ctx,
                                    char *why, size_t why_n);

/* Which orders store_order_list gives: NULL or "" members do not filter. */
typedef struct {
    const char *state;        /* "held", ... */
    const char *customer_id;
    const char *partner;
    store_id before;          /* only ids below this (the next page); 0: from the newest */
    size_t limit;             /* at most this many; 0: 100 */
} store_order_filter;

/* The orders `f` selects, newest (highest id) first; a non-zero return of `each` stops. */
edi_result store_order_list(store *s, const store_order_filter *f,
                            int (*each)(void *ctx, const store_order *o), void *ctx,
                            char *why, size_t why_n);

/* Move order `id` from state `from` to `to` (NULL fields below are left as they are).
 * EDI_E_CONFLICT with a sentence when the order is not in `from` (someone else moved it). */
edi_result store_order_set_state(store *s, store_id id, const char *from, const char *to,
                                 const char *amount, const char *currency, const char *answer,
                                 char *why, size_t why_n);

/* The order response message that answers the order. */
edi_result store_order_set_response(store *s, store_id id, store_id response_message_id,
                                    char *why, size_t why_n);

typedef struct {
    store_id id, order_id;
    int64_t at_ms;
    char event[32];
    char actor[64];
    char detail[1024];
} store_order_event;

edi_result store_order_event_add(store *s, store_id order_id, const char *event,
                                 const char *actor, const char *detail, char *why, size_t why_n);
edi_result store_order_event_list(store *s, store_id order_id,
                                  int (*each)(void *ctx, const store_order_event *e), void *ctx,
                                  char *why, size_t why_n);

/* ---- approvals ------------------------------------------------------------------------ */

/* Insert `a` (its id must be new: EDI_E_CONFLICT otherwise). */
edi_result store_approval_insert(store *s, const approval *a, char *why, size_t why_n);
/* Save what changed: state, reminded_at, decided_by, decided_at, comment. */
edi_result store_approval_update(store *s, const approval *a, char *why, size_t why_n);
edi_result store_approval_get(store *s, const char *id, approval *out, char *why, size_t why_n);
/* The order's newest approval; EDI_E_NOT_FOUND when it has none. */
edi_result store_approval_of_order(store *s, store_id order_id, approval *out, char *why,
                                   size_t why_n);
/* Every pending approval whose expiry is at or before `until` (seconds), oldest first. */
edi_result store_approval_list_pending(store *s, int64_t until,
                                       int (*each)(void *ctx, const approval *a), void *ctx,
                                       char *why, size_t why_n);

/* Record that `user_id` was asked (reminder or not) by mail message `mail_message_id`. */
edi_result store_approval_request_add(store *s, const char *approval_id, const char *user_id,
                                      bool reminder, store_id mail_message_id, char *why,
                                      size_t why_n);
/* Whether `user_id` was asked for approval `approval_id` (first mail or reminder). */
edi_result store_approval_request_exists(store *s, const char *approval_id, const char *user_id,
                                         bool *asked, char *why, size_t why_n);

/* ---- customers and users as approvals see them --------------------------------------- */

/* The customer's policy (migration 4's columns; the limit's currency is the customer's).
 * EDI_E_NOT_FOUND for an unknown customer. */
edi_result store_customer_approval_policy(store *s, const char *customer_id, approval_policy *out,
                                          char *why, size_t why_n);
/* Set it (tests, the API): `above` NULL or "" for no limit. */
edi_result store_customer_set_approval_policy(store *s, const char *customer_id, bool always,
                                              bool requisitioners, const char *above,
                                              char *why, size_t why_n);

/* The customer's users with name, e-mail, roles and whether active, in id order: at most
 * `max` into `out`, their number in *n (the rest are left out). */
edi_result store_customer_approval_users(store *s, const char *customer_id, approval_user *out,
                                         size_t max, size_t *n, char *why, size_t why_n);
/* One user; `customer_id` (may be NULL, APPROVAL_ID_MAX bytes) gets the user's customer. */
edi_result store_user_as_approver(store *s, const char *user_id, approval_user *out,
                                  char *customer_id, char *why, size_t why_n);
/* Mark a user active or not (a removed user is never chosen and cannot decide). */
edi_result store_user_set_active(store *s, const char *user_id, bool active, char *why,
                                 size_t why_n);

/* ---- documents after the order response: despatch advices and invoices --------------- */

#define STORE_DOC_LINES_MAX 8192 /* the JSON of the quantities per order line, with the NUL */

typedef struct {
    store_id id;                           /* set by the store */
    store_id order_id;
    char kind[16];                         /* "despatch" or "invoice" */
    char number[STORE_ORDER_NUMBER_MAX];   /* delivery note or invoice number */
    char content_id[65];                   /* the canonical despatchAdvice or invoice */
    char lines[STORE_DOC_LINES_MAX];       /* {"<order line number>": "<quantity>"} */
    char amount[DECIMAL_TEXT_MAX];         /* invoices: the amount due; "" otherwise */
    char currency[4];
    char state[16];                        /* "pending", "answered", "not_answered" */
    char note[640];                        /* not_answered: why */
    store_id message_id;                   /* the answer message; 0 none yet */
    int64_t created_ms;
} store_order_document;

/* Record document `d` (state pending; id, message and note ignored) in *id. EDI_E_CONFLICT
 * when a document of that kind and number exists (*id then names it). */
edi_result store_order_document_insert(store *s, const store_order_document *d, store_id *id,
                                       char *why, size_t why_n);
/* The documents of an order, oldest first; a non-zero return of `each` stops. */
edi_result store_order_document_list(store *s, store_id order_id,
                                     int (*each)(void *ctx, const store_order_document *d),
                                     void *ctx, char *why, size_t why_n);
/* The pending documents of the orders of inbound message `message_id`, oldest first. */
edi_result store_order_document_pending(store *s, store_id message_id,
                                        int (*each)(void *ctx, const store_order_document *d),
                                        void *ctx, char *why, size_t why_n);
/* Pending document `id` answered by message `message_id` (state answered), or, with
 * message_id 0, not answered for `note`. EDI_E_CONFLICT when it is no longer pending. */
edi_result store_order_document_done(store *s, store_id id, store_id message_id,
                                     const char *note, char *why, size_t why_n);

/* The messages whose parent is `parent_id` (answers, edited copies), oldest first. */
edi_result store_message_children(store *s, store_id parent_id,
                                  int (*each)(void *ctx, const store_message *m), void *ctx,
                                  char *why, size_t why_n);

/* ---- mail envelopes, nonces, invoice numbers ----------------------------------------- */

edi_result store_mail_envelope_set(store *s, store_id message_id, const char *from,
                                   const char *to, char *why, size_t why_n);
/* `from` and `to` get APPROVAL_EMAIL_MAX bytes each. */
edi_result store_mail_envelope_get(store *s, store_id message_id, char *from, char *to,
                                   char *why, size_t why_n);

/* Use nonce `nonce` of a link expiring at `expires_at` (seconds): EDI_OK the first time,
 * EDI_E_CONFLICT when it was used before (approval_link_nonces.mark_used). Nonces of links
 * that expired more than a day before `now` are forgotten on the way. */
edi_result store_nonce_use(store *s, const char *nonce, int64_t expires_at, char *why,
                           size_t why_n);

/* The next invoice number of `year` (1, 2, 3 ...) in *number. Call it inside the
 * transaction that writes the invoice: if that rolls back, the number is given out again,
 * so the sequence has no gaps; concurrent writers wait for each other's commit. */
edi_result store_invoice_number_next(store *s, int year, int64_t *number, char *why,
                                     size_t why_n);

#endif
