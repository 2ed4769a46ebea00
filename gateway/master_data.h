/* master_data.h: the master data the order checks read (customers, articles, contracts,
 * order numbers already seen, open credit exposure) and the one interface they reach it
 * through: a table of lookup callbacks with a context, so that the SQLite store, a later
 * PostgreSQL store and the tests each provide it without the checks knowing any database.
 *
 * Records are plain values with fixed-size text fields that the provider fills in the
 * caller's record: nothing to free, nothing borrowed. Amounts and quantities are decimal
 * text as gateway/decimal.h parses it ("1500.00", "0.5"); an empty text means "not set"
 * (no credit limit, no minimum, no step, basis 1, tolerance 0, open validity). Dates are
 * ISO 8601 calendar dates ("2026-12-31"). Units are UN/ECE Recommendation 20 codes. */
#ifndef MASTER_DATA_H
#define MASTER_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "decimal.h"
#include "edi_result.h"

#define MD_ID_MAX 64        /* ids, article numbers, GTINs, order numbers, with the NUL */
#define MD_NAME_MAX 128
#define MD_DATE_MAX 11      /* "YYYY-MM-DD" and the NUL */
#define MD_CURRENCY_MAX 4   /* ISO 4217 and the NUL */
#define MD_UNITS_MAX 64     /* a list of unit codes separated by blanks */

typedef struct {
    char id[MD_ID_MAX];
    char name[MD_NAME_MAX];
    bool blocked;                         /* no orders are taken */
    char credit_limit[DECIMAL_TEXT_MAX];  /* "" = no limit */
    char currency[MD_CURRENCY_MAX];       /* of the credit limit and of the customer's orders */
    char payment_terms[MD_NAME_MAX];      /* as text, e.g. "30 days net" */
} md_customer;

typedef struct {
    char id[MD_ID_MAX];                   /* the supplier's internal article id */
    char gtin[MD_ID_MAX];
    char supplier_number[MD_ID_MAX];      /* the supplier's article number, as partners send it */
    char name[MD_NAME_MAX];
    char units[MD_UNITS_MAX];             /* allowed units, blank-separated: "C62 H87";
                                             the first is the article's base unit */
    char min_quantity[DECIMAL_TEXT_MAX];  /* "" = none */
    char step_quantity[DECIMAL_TEXT_MAX]; /* "" = any quantity; else a multiple of it */
} md_article;

typedef struct {
    char customer_id[MD_ID_MAX];
    char article_id[MD_ID_MAX];
    char buyer_article[MD_ID_MAX];        /* the customer's own number for it; "" = none */
    char price[DECIMAL_TEXT_MAX];         /* net price for price_basis units */
    char price_basis[DECIMAL_TEXT_MAX];   /* "" = 1 */
    char currency[MD_CURRENCY_MAX];
    char valid_from[MD_DATE_MAX];         /* first day it applies; "" = open */
    char valid_to[MD_DATE_MAX];           /* last day it applies; "" = open */
    char tolerance_percent[DECIMAL_TEXT_MAX]; /* allowed price deviation; "" = 0 (exact) */
} md_contract;

/* The lookups. Each returns EDI_OK with the record filled, EDI_E_NOT_FOUND when there is no
 * such record (the record is then left undefined), or another edi_result (EDI_E_STORE, ...)
 * with a sentence in `why` when the lookup itself failed. `ctx` is passed through. */
typedef struct {
    void *ctx;
    edi_result (*customer)(void *ctx, const char *customer_id, md_customer *out,
                           char *why, size_t why_n);
    edi_result (*article_by_gtin)(void *ctx, const char *gtin, md_article *out,
                                  char *why, size_t why_n);
    edi_result (*article_by_supplier_number)(void *ctx, const char *number, md_article *out,
                                             char *why, size_t why_n);
    /* The article one of the customer's contracts names `buyer_article` for. */
    edi_result (*article_by_buyer_number)(void *ctx, const char *customer_id,
                                          const char *buyer_article, md_article *out,
                                          char *why, size_t why_n);
    /* The customer's contract for the article that applies on `date`; when none applies
     * then, the one that ended last before it; else the first one that starts after it.
     * (The checks compare the dates themselves and say "expired" or "not yet valid".) */
    edi_result (*contract)(void *ctx, const char *customer_id, const char *article_id,
                           const char *date, md_contract *out, char *why, size_t why_n);
    /* EDI_OK with *seen = true when another order of the customer already carried
     * `order_number`. The provider leaves out the order being checked itself, so that
     * running the checks again on the same message does not find it a duplicate. */
    edi_result (*order_number_seen)(void *ctx, const char *customer_id,
                                    const char *order_number, bool *seen,
                                    char *why, size_t why_n);
    /* The customer's open exposure, in the customer's currency, as decimal text in
     * `amount` (open orders reserved + open invoices), not counting the order checked. */
    edi_result (*open_exposure)(void *ctx, const char *customer_id, char *amount,
                                size_t amount_n, char *why, size_t why_n);
} md_lookup;

/* True when every callback of `md` is set. */
bool md_lookup_complete(const md_lookup *md);

/* True when `unit` is one of the article's allowed units (exact code match). */
bool md_article_allows_unit(const md_article *a, const char *unit);

/* The article's base unit (the first of its list) into `out` ("" when it has none). */
void md_article_base_unit(const md_article *a, char *out, size_t n);

/* A decimal field of a record: "" gives `absent` (with *set = false when `set` is not
 * NULL); text that is not a decimal is EDI_E_ARG with a sentence naming `what` (the record
 * and field, e.g. "article A1: step quantity"). */
edi_result md_decimal(const char *text, decimal absent, const char *what, decimal *out,
                      bool *set, char *why, size_t why_n);

#endif
