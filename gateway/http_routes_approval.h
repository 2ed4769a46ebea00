/* http_routes_approval.h: the approval links' endpoints, /api/approvals/{token}. The signed
 * link is the credential (no API key): GET verifies it without using it up and shows the
 * order (JSON, or a small HTML page with approve and reject buttons when the client asks
 * for text/html); POST {"decision":"approve"|"reject","comment":"..."} (or the page's form)
 * uses the link up and decides in one transaction (gateway/orders.h). Refusals: 403 for a
 * malformed, tampered or foreign link and for a decider who may not decide (their own
 * order), 410 for an expired or used link, 409 for an order already decided or changed since
 * the mail, each with a sentence. */
#ifndef HTTP_ROUTES_APPROVAL_H
#define HTTP_ROUTES_APPROVAL_H

#include <pthread.h>

#include "approval_link.h"
#include "content_store.h"
#include "edi_result.h"
#include "http_server.h"
#include "store.h"

/* What the handlers use; borrowed, alive while the server runs. The store handle is used
 * under `lock` only (HTTP threads share it). */
typedef struct {
    store *store;
    pthread_mutex_t *lock;
    content_store *content;
    const approval_link_keys *keys;
    void (*wake)(void *ctx);   /* new jobs were committed (may be NULL) */
    void *wake_ctx;
} approval_routes;

/* Route /api/approvals/ on `srv` (before http_server_start), without an API key. */
edi_result http_routes_approval_register(http_server *srv, approval_routes *ctx);

#endif
