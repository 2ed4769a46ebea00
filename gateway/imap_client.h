/* imap_client.h: reading one IMAP mailbox. It owns the session: libcurl connects, secures
 * (imaps://, or STARTTLS on imap://; certificates verified) and logs in, then this module
 * speaks IMAP itself over that connection: SELECT the mailbox, UID SEARCH the undeleted
 * mails, UID FETCH a mail's raw bytes with BODY.PEEK[] (fetching does not mark it seen),
 * and set a mail aside after it was stored: \Seen, then UID MOVE to the done folder (or
 * COPY, \Deleted and EXPUNGE where the server has no MOVE), the folder created when
 * missing. Sizes and waits are bounded; every failure is a sentence. */
#ifndef IMAP_CLIENT_H
#define IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_buf.h"
#include "edi_result.h"

/* How to reach a mailbox. Borrowed for imap_open only. */
typedef struct {
    const char *url;           /* imaps://host[:port]/MAILBOX or imap://host[:port]/MAILBOX;
                                  MAILBOX percent-encoded, ASCII; "" or "/": INBOX */
    const char *user;
    const char *password;
    bool plain_loopback;       /* imap:// without TLS, but only to a server on the loopback
                                  interface (127.0.0.0/8, ::1, localhost): for tests; false:
                                  imap:// needs STARTTLS */
    const char *ca_file;       /* NULL: the system's CA certificates */
    long timeout_ms;           /* connecting, and each command's answer; 0: 30 s */
    size_t max_message_bytes;  /* larger mails are not fetched; 0: 64 MiB */
} imap_options;

typedef struct imap_client imap_client;

/* Connect, log in and select the mailbox. EDI_OK and *out (free with imap_close);
 * EDI_E_ARG for what will not work by trying again (a malformed URL or mailbox name, TLS or
 * the certificate refused, STARTTLS missing, the login refused, no such mailbox);
 * EDI_E_IO for what may (cannot connect, a timeout, the connection dropped); EDI_E_NOMEM.
 * libcurl must have been initialised (curl_global_init) before threads start. The
 * sentence never contains the password. */
edi_result imap_open(const imap_options *o, imap_client **out, char *why, size_t why_n);

/* LOGOUT (without waiting long) and free. NULL is fine. */
void imap_close(imap_client *c);

/* The selected mailbox's name, and the server's UIDVALIDITY for it (UIDs name the same mails
 * while it stays the same). */
const char *imap_mailbox(const imap_client *c);
uint32_t imap_uidvalidity(const imap_client *c);

/* The UIDs of every mail in the mailbox that is not marked \Deleted, ascending, into
 * *uids (malloc'd, the caller frees; NULL when *n is 0). */
edi_result imap_search(imap_client *c, uint32_t **uids, size_t *n, char *why, size_t why_n);

/* The whole raw mail `uid` appended to `out` (the caller frees it), fetched with BODY.PEEK[]
 * so that its flags stay as they are; *internal_ms (may be NULL) gets the server's
 * INTERNALDATE (when the mail arrived there) in Unix milliseconds, 0 when unknown.
 * EDI_E_LIMIT (with its size in the sentence, nothing fetched) for a mail over
 * max_message_bytes; EDI_E_NOT_FOUND when the mail is gone. */
edi_result imap_fetch(imap_client *c, uint32_t uid, edi_buf *out, int64_t *internal_ms,
                      char *why, size_t why_n);

/* Set mail `uid` aside after it was stored: \Seen, then moved to `folder` (created when
 * missing): UID MOVE where the server has MOVE, else UID COPY, \Deleted and UID EXPUNGE
 * (plain EXPUNGE without UIDPLUS). `folder`: ASCII, no quotes or line breaks. */
edi_result imap_set_aside(imap_client *c, uint32_t uid, const char *folder, char *why,
                          size_t why_n);

/* The host part of an imap:// or imaps:// URL, for sentences ("" when there is none). */
void imap_url_host(const char *url, char *host, size_t host_n);

#endif
