/* as2_send.h: sending AS2 (RFC 4130) to a partner and what becomes of its MDN. It owns
 * building the outbound message as the partner profile says (payload part, compression
 * before or after signing, detached signature, encryption; HTTP headers with a fresh
 * Message-ID), POSTing it with libcurl (verified TLS, optional client certificate,
 * Content-Length or chunked), the MIC kept at send time (table as2_out), and the MDN:
 * synchronous in the HTTP response or asynchronous (as2_send_mdn_arrived, called by the
 * /as2 endpoint), its signature verified with the partner's certificates (strictly, then
 * the trailing-CRLF variant of libas2, the variant recorded), its MIC compared in the
 * algorithm it names; MIC mismatch, a negative disposition and an MDN missing after its
 * deadline are failed messages whose sentence says what to do (as2_send_tick resends with
 * backoff until the partner's retry budget is spent; a resend keeps the Message-ID).
 *
 * The MIC input (RFC 4130 §7.3.1, RFC 5402 §4, reference as2.md §2.2): signed: the signed
 * entity (the payload part, or its compressed-data part when compressing before signing);
 * encrypted but unsigned: the payload part (headers and body); neither: the payload part
 * when compressed, else the payload itself. as2_out keeps its MIC in the algorithm asked
 * for in Disposition-Notification-Options; when an MDN names another algorithm, the MIC
 * input is built again from the stored payload (the content store keeps it; building is
 * deterministic: no dates or random boundaries inside the MIC input) and digested in that
 * algorithm. That holds while the partner's profile keeps its compression and transfer-
 * encoding settings between the send and the MDN. */
#ifndef AS2_SEND_H
#define AS2_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "as2_certs.h"
#include "as2_mic.h"
#include "content_store.h"
#include "edi_buf.h"
#include "edi_result.h"
#include "partner.h"
#include "store.h"
#include "store_as2_out.h"

/* What sending needs of the gateway, from its configuration (<as2>). Borrowed and read-only:
 * worker threads and the HTTP threads share one. */
typedef struct {
    const as2_keyring *keys;     /* our key pairs (the newest valid signs); NULL: none, a
                                    partner whose messages are signed cannot be served */
    const char *our_id;          /* <as2 id>: AS2-From unless the profile names another */
    const char *async_mdn_url;   /* <as2 asyncMdnUrl>: Receipt-Delivery-Option unless the
                                    profile names one; NULL none */
    unsigned mdn_timeout_s;      /* <as2 mdnTimeout>: an MDN is missing after this unless
                                    the profile says; 0: 3600 */
    unsigned connect_timeout_s;  /* 0: 30 */
    unsigned post_timeout_s;     /* the longest a POST (with its synchronous MDN) may take:
                                    shorter than the workers' lease, so that no second
                                    worker sends the message again meanwhile; 0: 600 */
} as2_send_settings;

/* ---- building ------------------------------------------------------------------------- */

/* One message as it goes over HTTP. The body is a list of segments pointing into the
 * caller's payload and into buffers the record owns, so that a large payload is not copied
 * on its way to the wire (a signed message is the payload plus a few KB; an encrypted one
 * is the ciphertext). Owned by the caller: as2_send_built_free; valid while the payload
 * given to as2_send_build is. */
#define AS2_SEND_SEGS 8
#define AS2_SEND_BUFS 16

typedef struct {
    edi_buf headers;             /* "Name: value\r\n" lines (Content-Type included, no
                                    Content-Length: the POST adds it or chunks) */
    as2_seg body[AS2_SEND_SEGS]; /* the HTTP body, in order */
    size_t n_body;
    size_t body_len;             /* their total */
    edi_buf own[AS2_SEND_BUFS];  /* what the segments point into besides the payload */
    size_t n_own;
    char message_id[AS2_OUT_ID_MAX];
    char mic[AS2_MIC_B64_MAX];   /* over the MIC input, in mic_alg */
    as2_mic_alg mic_alg;
    char summary[256];           /* "signed sha-256, compressed before signing, encrypted
                                    aes256-cbc (RSA PKCS#1 v1.5)" */
} as2_send_built;

void as2_send_built_free(as2_send_built *b);

/* What the payload part says of the payload. */
typedef struct {
    const char *filename;        /* Content-Disposition filename (sanitised: no quotes,
                                    CR, LF or path); NULL or "": "message.edi" */
    const char *content_type;    /* NULL: from the format, as2_send_content_type */
    const char *subject;         /* NULL or "": the profile's, else "EDI message <name>" */
} as2_send_payload;

/* The MIME type of a stored message's format: "EDIFACT ..." -> application/EDIFACT,
 * "X12 ..." -> application/EDI-X12, XML documents -> application/xml, JSON ->
 * application/json, else application/octet-stream. Static strings. */
const char *as2_send_content_type(const char *format);

/* A new Message-ID "<20 random bytes in hex.ms@domain>" where domain is `our_id` reduced to
 * the characters allowed in an id-right (letters, digits, '.', '-'; others become '-';
 * "as2" when nothing is left), into out (AS2_OUT_ID_MAX). EDI_OK or EDI_E_IO (no random
 * bytes). */
edi_result as2_send_message_id(const char *our_id, char *out, size_t n, char *why,
                               size_t why_n);

/* Build the message for partner `who` (who->as2) from `len` bytes at `payload`: signed with
 * `signer` when the profile signs (NULL then: EDI_E_ARG), encrypted to `encrypt_to` when it
 * encrypts (NULL then: EDI_E_ARG), with Message-ID `message_id` (NULL: a new one), AS2-From
 * `our_id`, and the MDN request of the profile (async_mdn_url for async). EDI_OK and *out;
 * EDI_E_ARG (a setting that cannot be served, `why` says which); the crypto's errors. */
edi_result as2_send_build(const partner *who, const char *our_id, const char *async_mdn_url,
                          const as2_keypair *signer, X509 *encrypt_to, const char *payload,
                          size_t len, const as2_send_payload *pl, const char *message_id,
                          as2_send_built *out, char *why, size_t why_n);

/* The MIC of `len` bytes at `payload` for partner `who` in algorithm `alg`, exactly as
 * as2_send_build computes it (the MIC input built again). EDI_OK, EDI_E_ARG, EDI_E_NOMEM. */
edi_result as2_send_mic(const partner *who, const char *payload, size_t len,
                        const as2_send_payload *pl, as2_mic_alg alg, char *b64, size_t b64_n,
                        char *why, size_t why_n);

/* ---- an MDN for a message we sent ------------------------------------------------------ */

/* What an MDN said about the message, once checked. */
typedef enum {
    AS2_SEND_MDN_OK = 0,         /* processed (or processed/warning) and the MIC matches */
    AS2_SEND_MDN_MIC_MISMATCH,   /* processed, but its MIC is not ours or is missing */
    AS2_SEND_MDN_NEGATIVE,       /* processed/error or failed */
    AS2_SEND_MDN_BAD_SIGNATURE,  /* signed with a signature that does not verify, or not
                                    signed though the partner's MDNs must be */
} as2_send_verdict;

typedef struct {
    as2_send_verdict verdict;
    char original_message_id[AS2_OUT_ID_MAX];
    char disposition[512];
    char detail[1024];           /* for history and as2_out.mdn_detail: the disposition,
                                    signature variant ("signature verified strictly" / "...
                                    without the trailing CRLF of part 1 (libas2's variant)" /
                                    "not signed"), the two MICs */
    char sentence[640];          /* for anything but OK: what happened and what to do */
} as2_send_mdn_result;

/* Check the MDN `body` (Content-Type `content_type`) for the message recorded in `row`
 * (as2_out) and sent to partner `who` with payload bytes `payload` (for a MIC in another
 * algorithm than row->mic_alg; NULL: such an MDN is a mismatch). `certs` verify its
 * signature (NULL: a signed MDN cannot be verified). EDI_OK with *res (whatever the
 * verdict); EDI_E_SYNTAX when the body is not an MDN; EDI_E_ARG when it is an MDN for
 * another Message-ID. */
edi_result as2_send_check_mdn(const partner *who, const as2_partner_certs *certs,
                              const store_as2_out *row, const char *payload, size_t len,
                              const as2_send_payload *pl, const char *content_type,
                              const char *body, size_t body_len, as2_send_mdn_result *res,
                              char *why, size_t why_n);

/* ---- the pipeline's send step ----------------------------------------------------------- */

/* Deliver outbound message `m` (its bytes at `payload`) to partner `who` over AS2, as
 * pipeline.c's deliver() wants it: `where` names the URL (also on failure), `fix` what fixes
 * a failure that lasts (no full stop), `detail` the history text when it went out,
 * `sentence` what went wrong. A synchronous MDN is kept in `cs`. The transmission is
 * recorded in as2_out (store `s`, in a durable transaction of its own, before the POST, so
 * that an asynchronous MDN finds it); a retry of a message still waiting for its MDN keeps
 * the Message-ID and counts the attempt. The POST (with a synchronous MDN) takes at most
 * the MDN timeout and cfg->post_timeout_s.
 *   EDI_OK: sync MDN processed with our MIC ("MDN received, MIC matches" in detail), or
 *     async: the partner took it (2xx) and the MDN is awaited until the deadline, or no MDN
 *     was asked for; also a message whose MDN was already received (nothing is sent again).
 *   EDI_E_ARG: a person must act: the profile cannot be served (no key, no certificate), the
 *     partner refused it (HTTP 4xx other than 408/429), a negative MDN, a MIC mismatch, an
 *     MDN whose signature does not verify, no MDN after the last of the partner's retries.
 *   anything else: may pass (no connection, timeout, 5xx, no MDN in the response while
 *     retries are left): the send step tries again with backoff. */
edi_result as2_send_deliver(const as2_send_settings *cfg, store *s, content_store *cs,
                            const partner *who, const store_message *m, const char *payload,
                            size_t len, char *where, size_t where_n, char *fix, size_t fix_n,
                            char *detail, size_t detail_n, char *sentence, size_t sentence_n);

/* ---- asynchronous MDNs and their deadline ---------------------------------------------- */

/* An asynchronous MDN arrived (the /as2 endpoint found `body` to be an MDN, as2_mdn_is_mdn).
 * It finds the message by the MDN's Original-Message-ID, checks the sender (`as2_from`, the
 * request's AS2-From, must be the partner's AS2 id; NULL: not checked), verifies and checks
 * the MDN (as2_send_check_mdn), stores it in `cs` and, in one transaction: as2_out's state,
 * the message's history ("mdn" event: "MDN received, MIC matches" and the signature
 * variant) and, for anything but a match, the message failed with the sentence. `actor`
 * names who records it. *verdict (may be NULL) gets the verdict. EDI_OK when the MDN was
 * taken (whatever it said, also a late one for a message already decided: recorded in the
 * history only); EDI_E_SYNTAX (not an MDN), EDI_E_NOT_FOUND (no message sent has that
 * Message-ID), EDI_E_ARG (the AS2-From is not the partner's), store and disk errors; `why`
 * says what, for the HTTP answer. */
edi_result as2_send_mdn_arrived(store *s, content_store *cs, const partner_set *partners,
                                const char *content_type, const char *as2_from,
                                const char *body, size_t body_len, const char *actor,
                                as2_send_verdict *verdict, char *why, size_t why_n);

/* The periodic check: each message awaiting an asynchronous MDN past its deadline (at most
 * 100 per call) gets an "mdn-missing" event; while the partner's retry budget lasts it is
 * queued again (a "send" job after retry_delay_s doubled per attempt, as2_out state
 * resend); after the last attempt it is failed with the sentence "MDN missing after
 * timeout ..." (as2_out state missing). *changed (may be NULL) counts the messages queued
 * again (to wake the workers). EDI_OK, or the store's errors. */
edi_result as2_send_tick(store *s, const partner_set *partners, int64_t now_ms,
                         const char *actor, size_t *changed, char *why, size_t why_n);

#endif
