/* mailer.h: e-mail out of the gateway. It owns composing a message (RFC 5322 headers, UTF-8
 * text as 7bit or quoted-printable, RFC 2047 words for non-ASCII headers, one optional
 * base64 attachment), the approval mail's wording, and sending through an SMTP server with
 * libcurl (smtp:// with or without required STARTTLS, smtps://; certificates verified).
 * Composing needs no server and is tested alone; sending takes the composed bytes. */
#ifndef MAILER_H
#define MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_buf.h"
#include "edi_result.h"

/* One message. Strings are UTF-8; addresses are plain ASCII "local@domain" (no display
 * name, no brackets); names may be NULL. `text` uses "\n" or "\r\n" line breaks. */
typedef struct {
    const char *from;
    const char *from_name;
    const char *to;
    const char *to_name;
    const char *subject;
    const char *text;
    /* One attachment, or attachment_name NULL for none. */
    const char *attachment_name;        /* file name shown to the reader (UTF-8) */
    const char *attachment_type;        /* "application/pdf"; NULL: application/octet-stream */
    const void *attachment;
    size_t attachment_len;
} mail_message;

/* The message `m` as the bytes an SMTP server receives (CRLF line breaks, no line longer
 * than 998 bytes), appended to `out` (the caller frees it with edi_buf_free): From, To,
 * Subject, Date (from `now`, seconds since 1970 UTC, written as +0000), Message-ID (random,
 * at the sender's domain), MIME-Version and the content headers. The text is sent 7bit when
 * it is ASCII with short lines, else quoted-printable. EDI_E_ARG with a sentence for an
 * address that is not plain local@domain, a header value with a line break, text that is
 * not UTF-8, a missing subject or text; EDI_E_NOMEM. */
edi_result mailer_compose(const mail_message *m, int64_t now, edi_buf *out, char *why,
                          size_t why_n);

/* What the approval mail says. All strings UTF-8; reject_url may be NULL when approve_url
 * leads to a page where the approver decides either way. */
typedef struct {
    const char *order_number;           /* the buyer's order number */
    const char *customer_name;
    const char *requester_name;         /* NULL or "": the order came from a partner system */
    const char *approver_name;          /* how the mail greets; NULL: no name */
    const char *amount;                 /* decimal text as the order totals it */
    const char *currency;
    const char *reason;                 /* approval_needed's sentence */
    const char *approve_url;
    const char *reject_url;
    int64_t expires_at;                 /* when the links stop working (seconds, UTC) */
} approval_mail;

/* The approval mail from `envelope` (from, from_name, to, to_name; its subject, text and
 * attachment are ignored) composed as mailer_compose does. The subject names the order, the
 * customer and the amount; the text names the order, customer, requester, amount, the
 * reason, each link on a line of its own, and the expiry (UTC). EDI_E_ARG when a field
 * the mail needs is missing. */
edi_result mailer_compose_approval(const approval_mail *a, const mail_message *envelope,
                                   int64_t now, edi_buf *out, char *why, size_t why_n);

/* How to reach the SMTP server. */
typedef struct {
    const char *url;            /* smtp://host[:port] or smtps://host[:port] */
    bool starttls_required;     /* smtp://: refuse to send unless STARTTLS succeeds; when
                                   false STARTTLS is still used if the server offers it */
    const char *user;           /* NULL: no login */
    const char *password;
    const char *ca_file;        /* NULL: the system's CA certificates */
    long timeout_ms;            /* the whole exchange; 0: 30 s */
} mailer_options;

/* Send `len` bytes of a composed message from `from` to `to` (the envelope addresses).
 * Server certificates are always verified. A login without TLS is refused (use smtps:// or
 * starttls_required). libcurl must have been initialised (curl_global_init) before threads
 * start, which the program does once at its start. Returns EDI_OK when the server accepted
 * the message; EDI_E_IO for what may work later (cannot connect, timeout, a 4xx answer);
 * EDI_E_ARG for what will not (bad options, TLS or certificate refused, login refused, a
 * 5xx answer such as an unknown recipient); the sentence has libcurl's detail and the
 * server's last answer code. */
edi_result mailer_send(const mailer_options *o, const char *from, const char *to,
                       const char *data, size_t len, char *why, size_t why_n);

#endif
