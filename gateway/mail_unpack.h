/* mail_unpack.h: reading a received e-mail (RFC 5322, MIME) with GMime 3. It owns finding
 * the documents a mail carries (attachments that are EDIFACT or XML the gateway reads, or
 * an EDIFACT text when the mail has no attachment), the sentence for a mail that cannot be
 * used (malformed MIME, an attachment that cannot be read, no document: what, where by
 * part number and file name, why, what to do), and reading a delivery status notification
 * (RFC 3464: which mail of ours bounced, for whom, with which status). It knows MIME and
 * formats by content, not partners or the store. mailer_init (mailer.h) must have run. */
#ifndef MAIL_UNPACK_H
#define MAIL_UNPACK_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_result.h"
#include "mapping.h"

#define MAIL_ADDRESS_MAX 321      /* local@domain, with NUL */
#define MAIL_ID_MAX 256           /* a Message-ID without its brackets, with NUL */
#define MAIL_UNPACK_MAX_DOCS 64   /* more documents in one mail: the mail is refused */

/* One document found in a mail. */
typedef struct {
    char name[256];            /* its file name (RFC 2231/2047 decoded, UTF-8, no folders);
                                  for a text body "mail-text.edi" */
    char type[128];            /* its content type as sent: "application/edifact" */
    char part[32];             /* where it is: the MIME part number, "2" or "2.1" */
    mapping_format format;     /* what it is by content */
    char *data;                /* its bytes, transfer encoding undone (charset as sent);
                                  owned by the mail_unpacked */
    size_t len;
} mail_document;

/* A delivery status notification's content (the first recipient whose action is
 * "failed", else the first recipient). */
typedef struct {
    char original_id[MAIL_ID_MAX]; /* the Message-ID of the mail that bounced, no brackets;
                                      "" when the report does not return its headers */
    char recipient[MAIL_ADDRESS_MAX]; /* Final-Recipient (or Original-Recipient) address */
    char action[32];           /* failed, delayed, delivered, relayed, expanded */
    char status[16];           /* "5.1.1" */
    char diagnostic[400];      /* Diagnostic-Code without its type, unfolded */
} mail_dsn;

/* A mail as read. Strings are UTF-8, "" when the mail has none. */
typedef struct {
    char from[MAIL_ADDRESS_MAX];   /* the first From address, as sent */
    char subject[256];             /* decoded (RFC 2047) */
    char message_id[MAIL_ID_MAX];  /* without brackets */
    bool automatic;                /* Auto-Submitted other than "no", a DSN, or an empty
                                      Return-Path: never answered */
    mail_document *docs;
    size_t n_docs;
    char ignored[512];             /* the parts that are not documents, for the history:
                                      "part 3 logo.png (image/png)", ... */
    bool failed;                   /* the mail cannot be used: `problem` says why */
    char problem[640];
    bool is_dsn;                   /* multipart/report; report-type=delivery-status */
    mail_dsn dsn;
} mail_unpacked;

/* Read `len` bytes of a raw mail into *out (zeroed first; free with mail_unpacked_free).
 * EDI_OK whenever the mail could be looked at, also when it cannot be used (out->failed
 * and out->problem): bytes that are not a mail, malformed MIME (a multipart without
 * boundary or without parts, a truncated message, broken headers), a document attachment
 * (by name: .edi, .edifact, .xml; by type: application/EDIFACT, XML) whose base64 is
 * damaged or whose content is not EDIFACT or an XML document the gateway reads, more than
 * MAIL_UNPACK_MAX_DOCS documents, or no document at all (a DSN needs none). Other
 * attachments (.txt, octet-stream) are documents when their content is EDIFACT or such
 * XML, and are listed in `ignored` otherwise. Attached mails (message/rfc822) are not
 * searched. EDI_E_NOMEM. */
edi_result mail_unpack(const char *data, size_t len, mail_unpacked *out, char *why,
                       size_t why_n);

void mail_unpacked_free(mail_unpacked *u);

/* The value of header field `name` in the mail's header block (folded lines joined; RFC
 * 2047 words decoded to UTF-8 when `decode`) into `out`; false when there is none. */
bool mail_unpack_header(const char *data, size_t len, const char *name, bool decode, char *out,
                        size_t n);

/* Whether `len` bytes start like an e-mail message: header fields up to an empty line,
 * among them From and one of Date, Message-ID, MIME-Version, Subject or To. */
bool mail_unpack_looks_like_mail(const char *data, size_t len);

#endif
