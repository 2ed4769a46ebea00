/* as2_mdn.h: AS2 receipts (MDNs, RFC 4130 §7, RFC 8098, RFC 6522). It owns the
 * dispositions we answer, reading a sender's Disposition-Notification-Options, composing an
 * MDN (multipart/report with a text part in words and a message/disposition-notification
 * part, signed in multipart/signed when asked) as the header lines and body that go over
 * HTTP, and parsing an MDN we receive (signed or not, any spacing and case) into its fields
 * and the slices a signature check needs. It knows no partners and no store. */
#ifndef AS2_MDN_H
#define AS2_MDN_H

#include <stdbool.h>
#include <stddef.h>

#include "as2_certs.h"
#include "as2_mic.h"
#include "as2_mime.h"
#include "edi_buf.h"
#include "edi_result.h"

/* What we answer (RFC 4130 §7.4.3, §7.5; RFC 4130bis adds unknown-trading-relationship). */
typedef enum {
    AS2_DISP_PROCESSED = 0,
    AS2_DISP_AUTHENTICATION_FAILED,     /* the signature does not verify / wrong certificate */
    AS2_DISP_DECRYPTION_FAILED,         /* not encrypted to our keys, or damaged */
    AS2_DISP_DECOMPRESSION_FAILED,
    AS2_DISP_INSUFFICIENT_SECURITY,     /* unsigned/unencrypted where the partner must, or an
                                           algorithm the partner is not allowed */
    AS2_DISP_INTEGRITY_CHECK_FAILED,
    AS2_DISP_UNKNOWN_TRADING_RELATIONSHIP, /* AS2-From/AS2-To pair not known */
    AS2_DISP_UNEXPECTED_ERROR,          /* anything else (we could not store it, ...) */
    AS2_DISP_UNSUPPORTED_MIC,           /* failed/Failure: unsupported MIC-algorithms (a
                                           required signed-receipt-micalg we do not have) */
} as2_disposition;

/* The Disposition field's value: "automatic-action/MDN-sent-automatically; processed",
 * "...; processed/error: decryption-failed", "...; failed/Failure: unsupported
 * MIC-algorithms". */
const char *as2_disposition_field(as2_disposition d);
/* Its short form for history and as2_in: "processed", "processed/error: decryption-failed",
 * "failed/failure: unsupported MIC-algorithms". */
const char *as2_disposition_short(as2_disposition d);

/* ---- what the sender asks for ---------------------------------------------------------- */

/* Disposition-Notification-Options (RFC 4130 §7.3):
 * "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional,
 * sha-256, sha1" with any spacing and case. */
typedef struct {
    bool signed_receipt;       /* a pkcs7-signature receipt is asked for (required or
                                  optional: we always honour it) */
    bool protocol_required;
    bool micalg_given;         /* a signed-receipt-micalg list is there */
    bool micalg_required;
    as2_mic_alg micalg;        /* the first algorithm of the list that we support
                                  (RFC 4130bis: the first supported); AS2_MIC_NONE when the
                                  list names none we know or there is no list */
} as2_mdn_request;

/* Parse the header value (NULL or "": nothing asked, *out zeroed). Never fails: what cannot
 * be read is not asked for. */
void as2_mdn_request_parse(const char *value, as2_mdn_request *out);

/* ---- composing ------------------------------------------------------------------------- */

typedef struct {
    const char *our_id;              /* AS2-From of the MDN (the AS2-To we were sent) */
    const char *their_id;            /* AS2-To of the MDN (the AS2-From we were sent) */
    const char *original_message_id; /* exactly as received ("" when there was none) */
    const char *original_recipient;  /* the AS2-To as received; NULL: our_id */
    const char *subject;             /* the message's Subject; NULL: none */
    const char *reporting_ua;        /* NULL: "edi-gateway AS2" */
    as2_disposition disposition;
    const char *mic_b64;             /* Received-Content-MIC; NULL or "": none (it is only
                                        given when the message was processed) */
    as2_mic_alg mic_alg;
    const char *explanation;         /* sentences for the human-readable part: what came,
                                        what was done, what went wrong */
} as2_mdn_info;

/* Compose the MDN into `out` (appended): its HTTP header lines ("AS2-Version: 1.2",
 * AS2-From, AS2-To, Message-ID (a new one, <...@our_id>), Date, Subject, Mime-Version,
 * Content-Type; each "Name: value" CRLF, never folded), an empty line, then the body. With
 * `signer` the report is signed (detached CMS, signed attributes, base64 signature part)
 * with `sign_alg` (AS2_MIC_NONE: sha-256) into multipart/signed. *body_off gets the offset
 * of the body in `out` (the headers are out[0 .. body_off - 2), CRLF-ended), message_id (at
 * least 256 bytes, may be NULL) the MDN's Message-ID. EDI_OK; EDI_E_ARG (ids missing or
 * with CR/LF); EDI_E_NOMEM; the signing's errors (`why` says what). */
edi_result as2_mdn_build(const as2_mdn_info *in, const as2_keypair *signer,
                         as2_mic_alg sign_alg, edi_buf *out, size_t *body_off,
                         char *message_id, size_t message_id_n, char *why, size_t why_n);

/* ---- parsing --------------------------------------------------------------------------- */

typedef enum {
    AS2_MDN_PROCESSED = 0,     /* "processed" with no modifier */
    AS2_MDN_WARNING,           /* "processed/warning: ..." (the message was processed) */
    AS2_MDN_ERROR,             /* "processed/error: ..." */
    AS2_MDN_FAILED,            /* "failed/failure: ..." (also libas2's "failed/failure=..") */
    AS2_MDN_UNREADABLE,        /* no Disposition we can read */
} as2_mdn_status;

#define AS2_MDN_FIELD_MAX 1000

/* An MDN as received. Slices point into the caller's buffer. */
typedef struct {
    as2_mdn_status status;
    char disposition[512];          /* the Disposition value, white space as sent */
    char modifier[256];             /* what follows "error:", "warning:", "failure:" (or
                                       "failure="), trimmed: "authentication-failed" */
    char original_message_id[AS2_MDN_FIELD_MAX]; /* exactly as in the MDN */
    char final_recipient[256];      /* the value after "rfc822;", trimmed */
    char original_recipient[256];
    char reporting_ua[256];
    bool has_mic;
    char mic_b64[AS2_MIC_B64_MAX];  /* Received-Content-MIC, as2_mic_parse'd */
    as2_mic_alg mic_alg;
    char text[1024];                /* the human-readable part, cut (may be "") */
    bool is_signed;                 /* multipart/signed around the report */
    as2_mic_alg micalg;             /* its micalg parameter (AS2_MIC_NONE when absent) */
    as2_part signed_part;           /* part 1: exactly what the signature covers (verify
                                       strictly first, then one trailing CRLF less) */
    as2_part signature;             /* part 2 (base64 or binary: as2_mime_decode_body) */
} as2_mdn;

/* Parse an MDN whose outer Content-Type is `content_type` (the HTTP header) and whose body
 * is buf[0..len). A signed MDN's signature is not checked here (SEND verifies it with the
 * slices). EDI_OK with *out; EDI_E_SYNTAX when it is not an MDN (not multipart/report or
 * multipart/signed around one, no message/disposition-notification part, no Disposition
 * field); `why` says what is missing. */
edi_result as2_mdn_parse(const char *content_type, const char *buf, size_t len, as2_mdn *out,
                         char *why, size_t why_n);

/* Whether an HTTP request with this Content-Type (and the body's first part) is an MDN
 * rather than a message: multipart/report, or multipart/signed whose first part is a
 * multipart/report. */
bool as2_mdn_is_mdn(const char *content_type, const char *buf, size_t len);

#endif
