/* channel_email.h: the e-mail channel, outbound. It owns turning an outbound message for a
 * partner whose channel is e-mail into a mail (the document attached under its file name
 * with its media type, a short text saying what it is, an XRechnung's HTML rendering beside
 * it, the profile's recipients, copies, sender and subject prefix, a Message-ID derived from
 * the message) and handing the mail to the SMTP server. Receiving mail is another module's. */
#ifndef CHANNEL_EMAIL_H
#define CHANNEL_EMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "convert.h"
#include "edi_buf.h"
#include "edi_result.h"
#include "mailer.h"
#include "orders.h"
#include "partner.h"
#include "store.h"

/* The media type a partner's document travels as, from the message's format (or its file
 * name): EDIFACT "application/EDIFACT" (RFC 1767), openTRANS, XRechnung, Peppol, UBL and
 * CII "application/xml", HTML "text/html", else "application/octet-stream". Static. */
const char *channel_email_media_type(const store_message *m);

/* The Message-ID of the mail carrying outbound message `m` sent from `from`:
 * "edi-out-<message id>.<first 16 hex digits of its content id>@<from's domain>", without
 * brackets, into `out` (at least 320 bytes). The same message always gets the same id, so a
 * mail sent again after a crash can be recognised as the same, and a bounce quoting it
 * names the message. */
void channel_email_message_id(const store_message *m, const char *from, char *out, size_t n);

/* The mail for outbound message `m` (its `len` payload bytes at `data`) to partner `who`
 * (channel e-mail), composed at `now` (seconds, UTC), appended to `out` (caller frees).
 * Sender: the profile's <from>/<fromName>, else `set`'s mail_from/mail_from_name. Recipients:
 * the profile's <to> (else its <address>) and <cc>. Subject: the profile's subjectPrefix,
 * the document kind and number (read from the document: BGM of an EDIFACT message, the ID
 * of a UBL, CII or openTRANS document; else the message's reference) and the order it
 * answers. Text: what is attached, for which partner, and the order. Attachments: the
 * document as it is stored, under m->filename; for an XRechnung also its HTML rendering
 * (convert to html with `engine`; when that fails the mail goes without it and *note says
 * why). `engine` may be NULL (no rendering). `note` (may be NULL) gets "" or that sentence.
 * EDI_E_ARG with a sentence when no sender is configured or the mail cannot be composed;
 * EDI_E_NOMEM. */
edi_result channel_email_compose(const orders_settings *set, convert_engine *engine,
                                 const partner *who, const store_message *m, const char *data,
                                 size_t len, int64_t now, edi_buf *out, char *note,
                                 size_t note_n, char *why, size_t why_n);

/* Deliver outbound message `m` to partner `who` by mail through the SMTP server `mail`, as
 * pipeline.c's deliver() wants it: `where` names the recipients and the server (also on
 * failure), `fix` what fixes a failure that lasts (a sentence without its full stop).
 * EDI_OK: the server took the mail; `detail` for the history names the recipients, the
 * server, the size, the attachments and "Message-ID: <...>". EDI_E_ARG: never deliverable
 * as it is (no server or sender configured, a profile the mail cannot be built from, the
 * server refused with a 5xx answer, TLS or login refused): `sentence` says why, with the
 * server's answer. Anything else (no connection, timeout, a 4xx answer): temporary,
 * `sentence` says why. */
edi_result channel_email_deliver(const mailer_options *mail, const orders_settings *set,
                                 convert_engine *engine, const partner *who,
                                 const store_message *m, const char *data, size_t len,
                                 char *where, size_t where_n, char *fix, size_t fix_n,
                                 char *detail, size_t detail_n, char *sentence,
                                 size_t sentence_n);

#endif
