/* as2_receive.h: receiving AS2 (RFC 4130) on POST /as2 of the gateway's HTTP server. It
 * owns the endpoint: the size limit per partner (before "100 Continue"), telling an MDN for
 * a message we sent (handed to as2_send_mdn_arrived) from a message, the trading
 * relationship (AS2-From a partner's <identifiers><as2>, AS2-To ours), unwrapping the
 * layers over the bytes as received (decrypt, verify, decompress in any order, the MIC over
 * the exact slice), the partner's policy (signature and encryption required, algorithms
 * allowed), storing the payload (a message of channel "as2" with its "identify" job) and
 * the raw request before the MDN leaves, duplicates on (AS2-From, Message-ID) answered with
 * the stored MDN, negative MDNs with a failed message saying why, and the MDN itself:
 * synchronous in the response, or asynchronous as an outbound message of channel "as2-mdn"
 * with its job "as2-mdn" (as2_receive_mdn_job posts it with retries and backoff). */
#ifndef AS2_RECEIVE_H
#define AS2_RECEIVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "as2_certs.h"
#include "content_store.h"
#include "edi_result.h"
#include "http_server.h"
#include "partner.h"
#include "store.h"

/* The job kind of an asynchronous MDN and the channel of its outbound message. */
#define AS2_MDN_JOB "as2-mdn"
#define AS2_MDN_CHANNEL "as2-mdn"
#define AS2_CHANNEL "as2"

/* What the endpoint works with; everything borrowed and outliving the receiver. */
typedef struct {
    store *store;               /* a durable handle, used only under `lock` */
    pthread_mutex_t *lock;
    content_store *content;
    const partner_set *partners;
    const char *our_id;         /* our AS2 name (<as2 id>); partners may name their own
                                   (partner_as2.our_id) */
    size_t max_bytes;           /* a request's limit unless the partner's profile sets one */
    const as2_keyring *keys;    /* our key pairs: decrypt and sign MDNs; NULL: none */
    void (*wake)(void *ctx);    /* new work for the pipeline's workers; may be NULL */
    void *wake_ctx;
} as2_receive_opts;

typedef struct as2_receiver as2_receiver;

/* A receiver: the signing certificates of every partner with an AS2 channel are loaded now
 * (a file that cannot be read refuses the start: NULL with the sentence in `why`). Free with
 * as2_receiver_free after the HTTP server is stopped. */
as2_receiver *as2_receiver_new(const as2_receive_opts *o, char *why, size_t why_n);
void as2_receiver_free(as2_receiver *rx);

/* Route POST /as2 of `srv` to the receiver, with its size limit hook (no API key: AS2 is
 * authenticated by its signatures). */
edi_result as2_receiver_register(http_server *srv, as2_receiver *rx);

/* Run the "as2-mdn" job `j` claimed by `worker`: POST the asynchronous MDN (outbound message
 * j->message_id, its stored bytes: the header "Receipt-Delivery-Option: URL", the MDN's
 * header lines, an empty line, the body) to the URL with libcurl (TLS verified,
 * Content-Length). A 2xx answer: the message is sent and the job done, in one durable
 * transaction. Otherwise the job is given back with a "retry" reason to run after
 * `backoff_ms` x 2^(tries - 1) (at most `backoff_max_ms`), and after `attempts` tries it is
 * dead and the message too, its reason saying where the MDN could not go. EDI_OK when the
 * step ended; EDI_E_CONFLICT when the lease was lost; the store's errors. */
edi_result as2_receive_mdn_job(store *s, content_store *cs, const char *worker,
                               const store_job *j, int attempts, int64_t backoff_ms,
                               int64_t backoff_max_ms, char *why, size_t why_n);

#endif
