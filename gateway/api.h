/* api.h: the gateway's JSON API under /api (docs/api.md): master data for the ERP, customer
 * users managed by their customer's admins, web orders from the shop, orders and their
 * decisions (the seller's release or rejection, the customer's approval), messages for
 * support.
 * It owns registering the routes on the HTTP server, authenticating each request (api_auth.h),
 * and what every handler shares: reading JSON bodies, the error format
 * {"error": sentence, "field": member} and the mapping of results to HTTP statuses. The
 * handlers live in api_masterdata.c, api_users.c, api_orders.c and api_messages.c. */
#ifndef API_H
#define API_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "content_store.h"
#include "edi_result.h"
#include "http_server.h"
#include "orders.h"
#include "partner.h"
#include "store.h"
#include "store_master.h"

/* The largest web order body taken (413 beyond it), unless the context says otherwise. */
#define API_ORDER_MAX_BYTES ((size_t)1 << 20)
/* The largest body of every other request. */
#define API_BODY_MAX_BYTES ((size_t)64 << 10)

/* What the API works on; borrowed, and it must outlive the HTTP server. */
typedef struct {
    store *store;                  /* the handle the HTTP threads share */
    pthread_mutex_t *store_lock;   /* held around every use of `store` */
    content_store *content;        /* raw web orders are stored here */
    const partner_set *partners;   /* the shops and partners with their API key references */
    const char *admin_key;         /* the ERP/admin key itself (see api_auth_load_key);
                                      NULL or "": no key opens the ERP routes */
    size_t max_order_bytes;        /* 0: API_ORDER_MAX_BYTES */
    const orders_settings *approvals; /* links and mail for the approvals a seller's release
                                      starts (orders.h); NULL: nobody is asked, the order
                                      event says so */
    char *const *seller;           /* the configuration's <seller> (config.h): one value per
                                      config_seller_names entry, NULL when absent; the
                                      invoices' default seller. NULL: no default */
    const char *formats_dir;       /* the formats folder (EDIFACT directories) for parsed
                                      trees; NULL: the built-in one */
    void (*wake)(void *wake_ctx);  /* called after a decision queued an "answer" or "mail"
                                      job, so that a worker takes it at once; may be NULL */
    void *wake_ctx;
} api_context;

/* Register /api/customers, /api/articles, /api/contracts, /api/orders and /api/messages on
 * `srv` (before http_server_start) and install api_auth_hook as the server's key hook.
 * The routes check their keys themselves: 401 without a key or with one nobody has,
 * 403 for a key whose owner may not do what was asked. EDI_E_ARG when an admin key is set
 * but shorter than API_KEY_MIN characters, EDI_E_NOMEM; `why` says which. */
edi_result api_routes_register(http_server *srv, const api_context *ctx, char *why,
                               size_t why_n);

/* ---- shared by the api_*.c handlers -------------------------------------------------- */

/* Who sent a request. */
typedef enum {
    API_NOBODY = 0,    /* no key, or a key nobody has */
    API_ADMIN,         /* the ERP/admin key */
    API_PARTNER,       /* a partner's (a web shop's) key */
    API_USER,          /* a customer user's personal token */
} api_who;

typedef struct {
    api_who who;
    const partner *partner;        /* API_PARTNER */
    store_user user;               /* API_USER */
    bool active;                   /* API_USER: false when the user is deactivated */
    char name[80];                 /* "admin", "partner:shop", "user:U-4001": for history */
} api_principal;

/* Answer {"error": sentence, "field": field} (field left out when NULL) with `status`. */
void api_error(http_response *rs, unsigned status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The HTTP status for a store or check result: EDI_E_ARG 422, EDI_E_NOT_FOUND 404,
 * EDI_E_CONFLICT 409, EDI_E_LIMIT 413, EDI_E_SYNTAX 400, EDI_E_STORE 503, else 500. */
unsigned api_status(edi_result r);

/* Authenticate the request: true with *who filled, or false after answering 401 (no key,
 * unknown key) or 503 (the store failed). A deactivated user's token is refused with 401. */
bool api_authenticate(const api_context *ctx, const http_request *rq, http_response *rs,
                      api_principal *who);

/* True when `who` is the admin key, else false after answering 403. */
bool api_require_admin(const api_principal *who, http_response *rs);

/* The request body as one JSON object (duplicate members refused), or NULL after answering
 * 413 (more than `max` bytes) or 400 (not JSON, or not an object). The caller decrefs. */
json_t *api_body(const http_request *rq, http_response *rs, size_t max);

/* Split `rest` ("/K-1/users/U-2") into at most `max` segments of up to MD_ID_MAX - 1 bytes:
 * their number, or -1 when a segment is empty or too long or there are more than `max`. */
int api_segments(const char *rest, char (*seg)[MD_ID_MAX], int max);

/* Answer 405 naming the methods the path takes. */
void api_method_not_allowed(http_response *rs, const char *path, const char *allowed);

/* The shared store, locked; api_unlock releases it. */
store *api_lock(const api_context *ctx);
void api_unlock(const api_context *ctx);

/* Route handlers (ctx is the api_context). */
void api_customers_route(void *ctx, const http_request *rq, http_response *rs);
void api_articles_route(void *ctx, const http_request *rq, http_response *rs);
void api_contracts_route(void *ctx, const http_request *rq, http_response *rs);
void api_orders_route(void *ctx, const http_request *rq, http_response *rs);
void api_messages_route(void *ctx, const http_request *rq, http_response *rs);
/* /api/customers/{cid}/users[/{uid}[/token]]: `seg` and `n` as api_segments gave them. */
void api_users_route(const api_context *ctx, const api_principal *who, const http_request *rq,
                     http_response *rs, char (*seg)[MD_ID_MAX], int n);

#endif
