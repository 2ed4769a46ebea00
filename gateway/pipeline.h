/* pipeline.h: the steps a received message goes through, each one job of the store's queue:
 * "identify" (format by content, partner by envelope), "contrl" (the CONTRL the partner
 * wants, as an outbound message), "map" (canonical documents into the content store, with
 * their findings in the history; each canonical order recorded as an order), "check" (the
 * order checks and approval rules decide each order: rejected, held, waiting for approval
 * or accepted; gateway/orders.h), "answer" (the order response of each decided order, in
 * the partner's format, as an outbound message), "send" (an outbound payload into the
 * partner's outbox folder) and "mail" (an outbound mail to the SMTP server, retried with
 * backoff). Every step claims its job, does its work, then writes its results, its history,
 * the next job and the end of its job in one transaction; a step that lost its lease rolls
 * back. Steps are idempotent: a job that runs twice leaves what one run leaves. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "content_store.h"
#include "convert.h"
#include "edi_directory.h"
#include "mailer.h"
#include "orders.h"
#include "partner.h"
#include "store.h"

/* The job kinds the steps handle, NULL-terminated (for store_job_claim). */
extern const char *const pipeline_job_kinds[];

/* What a worker thread brings: its own store handle and conversion engine; the content
 * store, EDIFACT directory and partner set may be shared by every worker. Borrowed. */
typedef struct {
    store *store;
    content_store *content;
    convert_engine *engine;
    edi_directory *directory;
    const partner_set *partners;
    const char *worker;        /* its name in leases and history: "worker-1234-2" */
    int64_t lease_ms;
    bool orders;               /* the order pipeline runs: map records orders, "check" follows */
    const orders_settings *approvals; /* asking approvers; NULL: nobody can be asked */
    const mailer_options *mail;       /* the SMTP server; NULL: mails cannot be sent */
} pipeline_ctx;

/* Claim one due job and run its step. *ran is false when there was none. EDI_OK when the
 * step ended (whatever became of the message: failed messages are an outcome, not an
 * error); EDI_E_CONFLICT when the lease was lost (the work was rolled back, another worker
 * has the job); other errors (the store, the disk) after the job was given back to run
 * again later, `why` saying what went wrong. */
edi_result pipeline_step(pipeline_ctx *p, bool *ran, char *why, size_t why_n);

/* Run the step of the claimed job `j` (as pipeline_step does after its claim). */
edi_result pipeline_run(pipeline_ctx *p, const store_job *j, char *why, size_t why_n);

/* Ask for message `id` to be processed again from its stored raw bytes: status received,
 * the history event "reprocess" by `actor` and a new "identify" job, in one transaction.
 * EDI_E_NOT_FOUND for an unknown id, EDI_E_ARG for an outbound message. */
edi_result pipeline_reprocess(store *s, store_id id, const char *actor, char *why, size_t why_n);

#endif
