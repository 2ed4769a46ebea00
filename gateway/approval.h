/* approval.h: the buyer's approval of an order, as rules without any storage: whether an
 * order needs approval and why (the customer's policy, the partner profile's), who may
 * approve it, the life of one approval (pending -> approved | rejected | expired) with who,
 * when and a comment, the fingerprint that freezes the order's content while it waits, and
 * when a reminder is due. The store keeps approval records; the pipeline drives them. */
#ifndef APPROVAL_H
#define APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decimal.h"
#include "edi_result.h"

#define APPROVAL_ID_MAX 65          /* ids of approvals, orders, customers, users, with NUL */
#define APPROVAL_NAME_MAX 129
#define APPROVAL_EMAIL_MAX 255
#define APPROVAL_COMMENT_MAX 1001
#define APPROVAL_REASON_MAX 512
#define APPROVAL_FINGERPRINT_HEX 65 /* SHA-256 as 64 lowercase hex digits and the NUL */

/* A customer user's roles, as a set of bits. */
enum {
    APPROVAL_ROLE_ADMIN = 1u << 0,
    APPROVAL_ROLE_APPROVER = 1u << 1,
    APPROVAL_ROLE_BUYER = 1u << 2,
    APPROVAL_ROLE_REQUISITIONER = 1u << 3,
};

/* Roles from text: names separated by blanks or commas ("buyer approver", "admin,buyer").
 * EDI_E_ARG with a sentence for an unknown name; "" is no role at all. */
edi_result approval_roles_parse(const char *text, unsigned *roles, char *why, size_t why_n);

/* One approval rule set, the customer's or a partner profile's. A policy that asks for
 * nothing (all false, amount "") never holds an order. */
typedef struct {
    bool always;                       /* every order */
    bool requisitioners;               /* orders placed by a requisitioner */
    char above[DECIMAL_TEXT_MAX];      /* orders whose amount is above this; "" = no limit */
    char currency[4];                  /* the currency of `above` (ISO 4217) */
} approval_policy;

/* The order as the rules see it. */
typedef struct {
    const char *amount;                /* decimal text: the order's total without tax */
    const char *currency;              /* the order's currency; NULL or "" = unknown */
    bool has_requester;                /* a known customer user placed it (web orders) */
    unsigned requester_roles;          /* that user's roles */
} approval_order;

/* Whether the order needs approval. The customer's policy (may be NULL) applies to orders
 * placed by a known customer user; the partner profile's (may be NULL) to every order the
 * partner sends, EDI included. Each rule that holds the order adds its clause to `reason`
 * (one sentence, e.g. "The order needs approval: its amount 1200.00 EUR is above the
 * customer's approval limit of 1000.00 EUR."); when none does, `reason` says that too.
 * An amount limit in another currency than the order's cannot be compared, so it holds the
 * order (and the reason says so). EDI_E_ARG with a sentence when the amount or a limit is
 * not a decimal. */
edi_result approval_needed(const approval_policy *customer, const approval_policy *partner,
                           const approval_order *order, bool *needed, char *reason,
                           size_t reason_n);

/* A customer user as the approver choice sees it. */
typedef struct {
    char id[APPROVAL_ID_MAX];
    char name[APPROVAL_NAME_MAX];
    char email[APPROVAL_EMAIL_MAX];
    unsigned roles;
    bool active;                       /* false: removed or disabled; never chosen */
} approval_user;

/* May `user` decide an order that `requester_id` placed? Approvers and admins may, if
 * active, and never for their own order. */
bool approval_user_may_decide(const approval_user *user, const char *requester_id);

/* The eligible approvers among the customer's `users`: their indexes into `users` in list
 * order, at most `max` of them, in `chosen`, their number in *n_chosen. Users without an
 * e-mail address are left out (they could not be asked). EDI_E_NOT_FOUND with a sentence
 * when nobody is left (a dead end the support staff must see: the order cannot be
 * approved until the customer names another approver). */
edi_result approval_choose_approvers(const approval_user *users, size_t n_users,
                                     const char *requester_id, size_t *chosen, size_t max,
                                     size_t *n_chosen, char *why, size_t why_n);

/* SHA-256 of the canonical order's bytes as lowercase hex: stored with the approval when it
 * is asked for, compared when it is decided. EDI_E_NOMEM if libcrypto fails. */
edi_result approval_fingerprint(const void *bytes, size_t n,
                                char out[APPROVAL_FINGERPRINT_HEX], char *why, size_t why_n);

typedef enum {
    APPROVAL_PENDING = 0,
    APPROVAL_APPROVED,
    APPROVAL_REJECTED,
    APPROVAL_EXPIRED,
} approval_state;

/* "pending", "approved", "rejected", "expired". */
const char *approval_state_name(approval_state s);

/* One approval of one order. A plain value: the store saves and loads it field by field.
 * Times are seconds since 1970-01-01 UTC; 0 = not yet. */
typedef struct {
    char id[APPROVAL_ID_MAX];
    char order_id[APPROVAL_ID_MAX];
    char customer_id[APPROVAL_ID_MAX];
    char requester_id[APPROVAL_ID_MAX];    /* "" when no customer user placed the order */
    char reason[APPROVAL_REASON_MAX];      /* why it waits (approval_needed) */
    char fingerprint[APPROVAL_FINGERPRINT_HEX];
    approval_state state;
    int64_t created_at;
    int64_t expires_at;
    int64_t reminded_at;
    char decided_by[APPROVAL_ID_MAX];      /* the approver; "" for an expiry */
    int64_t decided_at;
    char comment[APPROVAL_COMMENT_MAX];
} approval;

/* A new pending approval expiring `lifetime` seconds after `now`. EDI_E_ARG with a sentence
 * for an empty or too long id, a fingerprint that is not 64 hex digits, a lifetime <= 0. */
edi_result approval_start(approval *a, const char *id, const char *order_id,
                          const char *customer_id, const char *requester_id,
                          const char *reason, const char *fingerprint, int64_t now,
                          int64_t lifetime, char *why, size_t why_n);

/* Why a decision was refused. */
typedef enum {
    APPROVAL_REFUSED_NONE = 0,
    APPROVAL_REFUSED_DECIDED,          /* already approved, rejected or expired */
    APPROVAL_REFUSED_EXPIRED,          /* pending, but its time is over (it is now expired) */
    APPROVAL_REFUSED_OWN_ORDER,        /* the decider placed the order */
    APPROVAL_REFUSED_NOT_APPROVER,     /* neither approver nor admin, or not active */
    APPROVAL_REFUSED_CHANGED,          /* the order is not the one that was sent out */
    APPROVAL_REFUSED_COMMENT,          /* a rejection without a comment, or one too long */
} approval_refusal;

/* Approve (`approve` true) or reject a pending approval as `decider` at `now`, with
 * `comment` (may be NULL or "" to approve; a rejection needs one: the requester must learn
 * why). `fingerprint` is the order's fingerprint now: if the order changed since the
 * approval was asked for, it cannot be approved any more (it can still be rejected).
 * On EDI_OK the state, decided_by, decided_at and comment are set. Refusals leave `a`
 * unchanged except that a pending approval past its expiry becomes expired; they return
 * EDI_E_CONFLICT (decided, expired, changed) or EDI_E_ARG (own order, not an approver,
 * comment) with *refusal and a sentence. */
edi_result approval_decide(approval *a, bool approve, const approval_user *decider,
                           const char *fingerprint, const char *comment, int64_t now,
                           approval_refusal *refusal, char *why, size_t why_n);

/* A pending approval whose expiry is reached (now >= expires_at) becomes expired, decided
 * at expires_at by nobody. True when it changed. */
bool approval_expire(approval *a, int64_t now);

/* True when a reminder is due: the approval is pending, not expired, no reminder was sent,
 * and at most `lead` seconds remain (e.g. 24 * 3600). */
bool approval_reminder_due(const approval *a, int64_t now, int64_t lead);

/* Record that the reminder went out at `now` (it is never due again). */
void approval_mark_reminded(approval *a, int64_t now);

#endif
