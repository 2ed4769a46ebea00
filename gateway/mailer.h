/* mailer.h: e-mail out of the gateway. It owns composing a message with GMime 3 (RFC 5322
 * headers, RFC 2047 words for non-ASCII names and subjects, a UTF-8 text as 7bit or
 * quoted-printable with an optional HTML alternative, any number of base64 attachments
 * whose non-ASCII file names are RFC 2231 parameters), the approval mail's wording, and
 * sending through an SMTP server with libcurl (smtp:// with or without required STARTTLS,
 * smtps://; certificates verified; a login only over TLS). Composing needs no server and
 * is tested alone; sending takes the composed bytes. */
#ifndef MAILER_H
#define MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_buf.h"
#include "edi_result.h"

/* GMime, the MIME library, keeps process-wide tables (charsets, the types of MIME parts):
 * call mailer_init once at the program's start, before any thread and before the first
 * mailer_compose (main(), and each unit test program that composes mail), and
 * mailer_shutdown once at its end. */
void mailer_init(void);
void mailer_shutdown(void);

/* One attached file. */
typedef struct {
    const char *name;           /* the file name shown to the reader (UTF-8, no path) */
    const char *type;           /* "application/pdf"; NULL: application/octet-stream */
    const void *data;
    size_t len;
} mail_attachment;

/* One message. Strings are UTF-8; addresses are plain ASCII "local@domain" (no display
 * name, no brackets); names may be NULL. `text` and `html` use "\n" or "\r\n" line
 * breaks. */
typedef struct {
    const char *from;
    const char *from_name;
    const char *to;             /* the first recipient */
    const char *to_name;
    const char *const *more_to; /* n_more_to further recipients (To), plain addresses */
    size_t n_more_to;
    const char *const *cc;      /* n_cc recipients of a copy (Cc), plain addresses */
    size_t n_cc;
    const char *subject;
    const char *text;
    const char *html;           /* NULL: none; else the text's HTML alternative */
    const mail_attachment *attachments; /* n_attachments files, in this order */
    size_t n_attachments;
    const char *message_id;     /* "local@domain" without brackets; NULL: a random one at
                                   the sender's domain */
} mail_message;

/* The message `m` as the bytes an SMTP server receives (CRLF line breaks, no line longer
 * than 998 bytes), appended to `out` (the caller frees it with edi_buf_free): Date (from
 * `now`, seconds since 1970 UTC, written as +0000), From, To, Cc, Subject, Message-ID,
 * MIME-Version and the content: text/plain alone; with `html` a multipart/alternative of
 * the text and the HTML; with attachments a multipart/mixed of that and each attachment
 * (Content-Disposition: attachment, its file name, base64). Texts are sent 7bit when they
 * are ASCII with short lines, else quoted-printable. EDI_E_ARG with a sentence when
 * mailer_init has not run, for an address that is not plain local@domain, a header value
 * or file name with a line break, text that is not UTF-8, a missing subject or text, an
 * attachment without a name or with a malformed media type; EDI_E_NOMEM. */
edi_result mailer_compose(const mail_message *m, int64_t now, edi_buf *out, char *why,
                          size_t why_n);

/* True when `a` is a plain address local@domain as mail_message wants it. */
bool mailer_address_ok(const char *a);

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

/* The approval mail from `envelope` (from, from_name, to, to_name, more_to, cc; its
 * subject, text, html, attachments and message_id are ignored) composed as mailer_compose
 * does. The subject names the order, the customer and the amount; the text names the
 * order, customer, requester, amount, the reason, each link on a line of its own, and the
 * expiry (UTC). EDI_E_ARG when a field the mail needs is missing. */
edi_result mailer_compose_approval(const approval_mail *a, const mail_message *envelope,
                                   int64_t now, edi_buf *out, char *why, size_t why_n);

/* How to reach the SMTP server. */
typedef struct {
    const char *url;            /* smtp://host[:port] or smtps://host[:port] */
    bool starttls_required;     /* smtp://: refuse to send unless STARTTLS succeeds; when
                                   false STARTTLS is still used if the server offers it */
    const char *user;           /* NULL: no login */
    const char *password;
    bool plain_login_loopback;  /* allow the login without TLS, but only to a server on
                                   the loopback interface (127.0.0.0/8, ::1, localhost):
                                   for tests; false: a login needs TLS */
    const char *ca_file;        /* NULL: the system's CA certificates */
    long timeout_ms;            /* the whole exchange; 0: 30 s */
} mailer_options;

/* Send `len` bytes of a composed message from `from` to the `n_rcpt` envelope recipients
 * (plain addresses). Server certificates are always verified. A login without TLS is
 * refused (use smtps:// or starttls_required), except to a loopback server when
 * plain_login_loopback says so. libcurl must have been initialised (curl_global_init)
 * before threads start, which the program does once at its start. Returns EDI_OK when the
 * server accepted the message; EDI_E_IO for what may work later (cannot connect, timeout,
 * a 4xx answer); EDI_E_ARG for what will not (bad options, TLS or certificate refused,
 * login refused, a 5xx answer such as an unknown recipient); the sentence has libcurl's
 * detail and the server's last answer, code and text (never the password). */
edi_result mailer_send_to(const mailer_options *o, const char *from, const char *const *rcpt,
                          size_t n_rcpt, const char *data, size_t len, char *why, size_t why_n);

/* mailer_send_to with the one recipient `to`. */
edi_result mailer_send(const mailer_options *o, const char *from, const char *to,
                       const char *data, size_t len, char *why, size_t why_n);

/* The SMTP password from the file at `path` (its first line, without the line break),
 * into `out` of `out_n` bytes. The file must be a regular file that only its owner can
 * read or write (mode 600 or stricter). EDI_E_IO (cannot be read), EDI_E_ARG (not private,
 * empty, too long) with a sentence that never contains the password. */
edi_result mailer_password_from_file(const char *path, char *out, size_t out_n, char *why,
                                     size_t why_n);

#endif
