/* store_master.h: master data in the store (part of the store interface, store.h): customers,
 * their users and roles, articles, contracts, the customer order numbers already taken and
 * the open credit items. It owns checking every record before it is written (each problem
 * names the field and says what to write instead), the rule of who may manage which user,
 * and the md_lookup (master_data.h) the order checks read through.
 *
 * Writing functions run in their own transaction, or in a savepoint of the caller's (so an
 * import of many rows is one transaction the caller begins and commits). Field names in
 * `*field` are the CSV columns and JSON members: "id", "credit_limit", "min_qty", ... */
#ifndef STORE_MASTER_H
#define STORE_MASTER_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_result.h"
#include "master_data.h"
#include "store.h"

/* ---- records beyond master_data.h ----------------------------------------------------- */

/* A customer user's roles: a set of these bits (at least one). */
enum {
    STORE_ROLE_ADMIN = 1,          /* manages the customer's own users and their roles */
    STORE_ROLE_APPROVER = 2,       /* approves orders that need it */
    STORE_ROLE_BUYER = 4,          /* orders */
    STORE_ROLE_REQUISITIONER = 8,  /* orders that an approver must approve */
    STORE_ROLES_ALL = 15
};

#define STORE_EMAIL_MAX 255        /* with the NUL */
#define STORE_ROLES_TEXT_MAX 48    /* "admin approver buyer requisitioner" and the NUL */

typedef struct {
    char id[MD_ID_MAX];
    char customer_id[MD_ID_MAX];
    char name[MD_NAME_MAX];
    char email[STORE_EMAIL_MAX];   /* unique over all users, compared without case */
    unsigned roles;                /* STORE_ROLE_* bits */
} store_user;

/* A contract with the id it is kept and replaced under (a customer may have several for one
 * article, one after the other). */
typedef struct {
    char id[MD_ID_MAX];
    md_contract c;
} store_contract;

/* Roles from text: names separated by blanks, commas or semicolons ("admin approver"), in
 * any case. EDI_E_ARG with a sentence naming the role that is not one of the four. */
edi_result store_roles_parse(const char *text, unsigned *roles, char *why, size_t why_n);
/* "admin approver" for the bits, in the order of the enum ("" for none). */
void store_roles_format(unsigned roles, char *out, size_t n);

/* ---- checking values (also used by the CSV import) ---------------------------------- */

/* True when `text` is a GTIN (8, 12, 13 or 14 digits with a correct check digit); else a
 * sentence saying what is wrong and what to do. */
bool store_check_gtin(const char *text, char *why, size_t why_n);
/* True when `text` is a calendar date YYYY-MM-DD. */
bool store_check_date(const char *text, char *why, size_t why_n);

/* ---- writing and reading -------------------------------------------------------------- */

/* What a put did: the record was new, changed, or the same as stored (nothing written). */
typedef enum { STORE_PUT_NEW, STORE_PUT_CHANGED, STORE_PUT_UNCHANGED } store_put;

/* Upsert by id. The record is checked first: EDI_E_ARG (a value that is not allowed),
 * EDI_E_NOT_FOUND (it refers to a customer or article that does not exist) or
 * EDI_E_CONFLICT (a value that must be unique belongs to another record); each with the
 * field at fault in *field (when `field` is not NULL) and a sentence in `why` that quotes the
 * value and says what to do. `what` (may be NULL) gets what was done. */
edi_result store_customer_put(store *s, const md_customer *c, store_put *what,
                              const char **field, char *why, size_t why_n);
edi_result store_user_put(store *s, const store_user *u, store_put *what, const char **field,
                          char *why, size_t why_n);
edi_result store_article_put(store *s, const md_article *a, store_put *what,
                             const char **field, char *why, size_t why_n);
edi_result store_contract_put(store *s, const store_contract *c, store_put *what,
                              const char **field, char *why, size_t why_n);

/* By id into the caller's record. EDI_E_NOT_FOUND with a sentence when there is none. */
edi_result store_customer_get(store *s, const char *id, md_customer *out, char *why,
                              size_t why_n);
edi_result store_user_get(store *s, const char *id, store_user *out, char *why, size_t why_n);
edi_result store_article_get(store *s, const char *id, md_article *out, char *why, size_t why_n);
edi_result store_contract_get(store *s, const char *id, store_contract *out, char *why,
                              size_t why_n);

/* Every record in id order (users and contracts of one customer when `customer_id` is not
 * NULL), one call of `each` with a borrowed record each; a non-zero return stops. A
 * callback must not start the same listing on the same handle. */
edi_result store_customer_list(store *s, int (*each)(void *ctx, const md_customer *c), void *ctx,
                               char *why, size_t why_n);
edi_result store_user_list(store *s, const char *customer_id,
                           int (*each)(void *ctx, const store_user *u), void *ctx, char *why,
                           size_t why_n);
edi_result store_article_list(store *s, int (*each)(void *ctx, const md_article *a), void *ctx,
                              char *why, size_t why_n);
edi_result store_contract_list(store *s, const char *customer_id,
                               int (*each)(void *ctx, const store_contract *c), void *ctx,
                               char *why, size_t why_n);

/* Remove by id. EDI_E_NOT_FOUND when there is none; EDI_E_CONFLICT when other records still
 * refer to it (a customer's users, contracts or credit items; an article's contracts). */
edi_result store_customer_delete(store *s, const char *id, char *why, size_t why_n);
edi_result store_user_delete(store *s, const char *id, char *why, size_t why_n);
edi_result store_article_delete(store *s, const char *id, char *why, size_t why_n);
edi_result store_contract_delete(store *s, const char *id, char *why, size_t why_n);

/* ---- who manages whom ----------------------------------------------------------------- */

/* The rule as data: `actor` may create, change and remove users of `customer_id` exactly
 * when it is a user of that customer with the admin role. Nobody manages another customer's
 * users; the supplier's own staff work through their own credentials, not this rule. */
bool store_user_may_manage(const store_user *actor, const char *customer_id);

/* The same rule for stored users: may user `actor_id` manage user `target_id`? EDI_OK with
 * the answer in *may; EDI_E_NOT_FOUND when either user does not exist. */
edi_result store_user_may_manage_user(store *s, const char *actor_id, const char *target_id,
                                      bool *may, char *why, size_t why_n);

/* ---- order numbers and credit, written by the pipeline ------------------------------- */

/* Record that message `message_id` carried the customer's order `order_number` (when the
 * order is accepted). Recording it again for the same message changes nothing;
 * EDI_E_CONFLICT when another message has it already. */
edi_result store_order_number_record(store *s, const char *customer_id, const char *order_number,
                                     store_id message_id, char *why, size_t why_n);
/* Forget it again (the accepted order was cancelled). EDI_E_NOT_FOUND when not recorded. */
edi_result store_order_number_forget(store *s, const char *customer_id,
                                     const char *order_number, char *why, size_t why_n);

typedef enum { STORE_CREDIT_ORDER = 0, STORE_CREDIT_INVOICE = 1 } store_credit_kind;

/* Set the open amount of the customer's order or invoice `reference` (decimal text, 0 or
 * more, in the customer's currency), written by message `message_id`: an order reserves its
 * amount when accepted; its invoice replaces it. EDI_E_ARG for an amount that is not a
 * decimal or a currency that is not the customer's; EDI_E_NOT_FOUND for an unknown customer. */
edi_result store_credit_set(store *s, const char *customer_id, store_credit_kind kind,
                            const char *reference, const char *amount, const char *currency,
                            store_id message_id, char *why, size_t why_n);
/* Release it (order rejected or invoiced, invoice paid). EDI_E_NOT_FOUND when not open. */
edi_result store_credit_release(store *s, const char *customer_id, store_credit_kind kind,
                                const char *reference, char *why, size_t why_n);
/* The sum of the customer's open items as decimal text, leaving out those written by
 * message `except_message` (0: none left out). EDI_E_CONFLICT when an item is in another
 * currency than the customer's (its currency changed since). Read from the customer's
 * running total (kept by the two functions above), not item by item; a total not known yet
 * (items written before it existed) is added up and written here, so it runs in its own
 * transaction or a savepoint of the caller's like a writing function. */
edi_result store_credit_exposure(store *s, const char *customer_id, store_id except_message,
                                 char *amount, size_t amount_n, char *why, size_t why_n);

/* ---- the lookups the order checks use ------------------------------------------------- */

/* What the callbacks of store_master_lookup read through; the caller owns it and keeps it
 * alive as long as the md_lookup is used. */
typedef struct {
    store *s;
    store_id message_id;   /* the message whose order is checked (0: none): its own order
                              number and credit item do not count against it */
} store_master_ctx;

/* Fill `out` with callbacks that read the store `s` (within the caller's transaction when one
 * is open), for checking the order of message `message_id`; `ctx` is set up here. */
void store_master_lookup(store *s, store_id message_id, store_master_ctx *ctx, md_lookup *out);

#endif
