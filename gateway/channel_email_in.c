/* channel_email_in.c: the e-mail channel, inbound (channel_email_in.h). */
#include "channel_email_in.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel_dir.h"
#include "imap_client.h"
#include "mail_unpack.h"
#include "mailer.h"
#include "store_orders.h"

/* ---- polling ----------------------------------------------------------------------- */

#define PARTNER_MAILBOX_INTERVAL_S 60
#define MAX_PENDING 256

typedef struct {
    uint32_t uid;
    store_id id;
} pending_mail;

typedef struct {
    /* what to reach (borrowed from the configuration or the profile) */
    const char *url, *user, *password_file, *done, *ca_file;
    const char *partner;            /* "" for a shared mailbox */
    bool loopback_plain;
    int64_t interval_ms;
    /* what the poller learned */
    int64_t next_ms;                /* when it is due again */
    bool looked;                    /* searched once since the start */
    uint32_t uidvalidity;
    uint32_t first_max_uid;         /* UIDs up to this were there at the first look */
    pending_mail pending[MAX_PENDING]; /* stored, not yet moved */
    size_t n_pending;
    char last_problem[640];         /* reported once */
} mailbox;

struct email_poller {
    mailbox *boxes;
    size_t n;
    size_t max_bytes;
};

email_poller *email_poller_new(const gateway_config *cfg, const partner_set *ps,
                               size_t max_bytes)
{
    email_poller *p = calloc(1, sizeof *p);
    size_t np = ps ? partner_set_count(ps) : 0;
    if (!p || !(p->boxes = calloc(cfg->n_imap + np + 1, sizeof *p->boxes))) {
        free(p);
        return NULL;
    }
    p->max_bytes = max_bytes;
    for (size_t i = 0; i < cfg->n_imap; i++) {
        const config_imap *c = &cfg->imap[i];
        mailbox *b = &p->boxes[p->n++];
        *b = (mailbox){ .url = c->url, .user = c->user, .password_file = c->password_file,
                        .done = c->done, .ca_file = c->ca_file, .partner = "",
                        .loopback_plain = c->loopback_plain,
                        .interval_ms = (int64_t)c->interval_seconds * 1000 };
    }
    for (size_t i = 0; i < np; i++) {
        const partner *who = partner_set_at(ps, i);
        if (who->channel != PARTNER_CHANNEL_EMAIL || !who->email.mailbox_url[0])
            continue;
        mailbox *b = &p->boxes[p->n++];
        *b = (mailbox){ .url = who->email.mailbox_url, .user = who->email.mailbox_user,
                        .password_file = who->email.mailbox_password_file,
                        .done = who->email.mailbox_done[0] ? who->email.mailbox_done : "Done",
                        .partner = who->id,
                        .loopback_plain = who->email.mailbox_loopback_plain,
                        .interval_ms = (int64_t)PARTNER_MAILBOX_INTERVAL_S * 1000 };
    }
    return p;
}

void email_poller_free(email_poller *p)
{
    if (!p)
        return;
    free(p->boxes);
    free(p);
}

size_t email_poller_count(const email_poller *p)
{
    return p->n;
}

static void report_once(mailbox *b, email_report_fn report, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report_once(mailbox *b, email_report_fn report, void *ctx, const char *fmt, ...)
{
    char s[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    if (!strcmp(s, b->last_problem))
        return;
    snprintf(b->last_problem, sizeof b->last_problem, "%s", s);
    if (report)
        report(ctx, s);
}

/* The message's file name: the subject (decoded, without characters a file name should
 * not have) + ".eml", or "mail-<uid>.eml". */
static void mail_filename(const edi_buf *raw, uint32_t uid, char *out, size_t n)
{
    char subject[200] = "";
    mail_unpack_header(raw->p, raw->len, "Subject", true, subject, sizeof subject);
    size_t k = 0;
    for (const unsigned char *c = (const unsigned char *)subject; *c && k + 1 < sizeof subject; c++)
        subject[k++] = (*c < 0x20 || *c == '/' || *c == '\\' || *c == ':') ? '_' : (char)*c;
    subject[k] = '\0';
    while (k && subject[k - 1] == ' ')
        subject[--k] = '\0';
    if (k)
        snprintf(out, n, "%.200s.eml", subject);
    else
        snprintf(out, n, "mail-%" PRIu32 ".eml", uid);
}

typedef struct {
    const char *content_id;
    int64_t since_ms;
    store_id found;
} stored_lookup;

static int match_stored(void *ctx, const store_message *m)
{
    stored_lookup *l = ctx;
    if (!strcmp(m->channel, "email") && m->parent_id == 0 &&
        !strcmp(m->content_id, l->content_id)) {
        l->found = m->id;
        return 1;
    }
    return 0;
}

/* Store one fetched mail: the bytes, then the message, its history and its job. */
static edi_result store_mail(mailbox *b, store *s, content_store *cs, const edi_buf *raw,
                             uint32_t uid, int64_t internal_ms, bool maybe_stored,
                             store_id *id, bool *stored_now, char *why, size_t why_n)
{
    store_message m;
    memset(&m, 0, sizeof m);
    *stored_now = false;
    edi_result r = content_store_put(cs, raw->p, raw->len, m.content_id, why, why_n);
    if (r != EDI_OK)
        return r;
    if (maybe_stored) {
        stored_lookup l = { .content_id = m.content_id };
        store_message_filter f = { .direction = STORE_IN, .limit = (size_t)1 << 30,
                                   .since_ms = internal_ms ? internal_ms - 120000 : 0 };
        r = store_message_list(s, &f, match_stored, &l, why, why_n);
        if (r != EDI_OK)
            return r;
        if (l.found) {
            *id = l.found;
            return EDI_OK;
        }
    }
    char name[sizeof m.filename];
    mail_filename(raw, uid, name, sizeof name);
    char mid[MAIL_ID_MAX] = "", from[200] = "", detail[1024];
    mail_unpack_header(raw->p, raw->len, "Message-ID", false, mid, sizeof mid);
    mail_unpack_header(raw->p, raw->len, "From", true, from, sizeof from);
    snprintf(detail, sizeof detail, "from the mailbox %.400s (UID %" PRIu32 "), Message-ID %.250s, "
             "from %.200s", b->url, uid, mid[0] ? mid : "(none)", from[0] ? from : "(nobody)");
    r = store_begin(s, why, why_n);
    if (r != EDI_OK)
        return r;
    r = channel_record_received(s, "email", b->partner, name, m.content_id, raw->len, id, why,
                                why_n);
    if (r == EDI_OK)
        r = store_history_add(s, *id, "mailbox", "email-poller", detail, why, why_n);
    if (r == EDI_OK)
        r = store_commit(s, why, why_n);
    else
        store_rollback(s);
    *stored_now = r == EDI_OK;
    return r;
}

static pending_mail *find_pending(mailbox *b, uint32_t uid)
{
    for (size_t i = 0; i < b->n_pending; i++)
        if (b->pending[i].uid == uid)
            return &b->pending[i];
    return NULL;
}

/* Forget pending mails that are no longer in the mailbox (moved after all). */
static void prune_pending(mailbox *b, const uint32_t *uids, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n_pending; i++) {
        bool there = false;
        for (size_t u = 0; u < n && !there; u++)
            there = uids[u] == b->pending[i].uid;
        if (there)
            b->pending[k++] = b->pending[i];
    }
    b->n_pending = k;
}

static edi_result poll_box(email_poller *p, mailbox *b, store *s, content_store *cs,
                           size_t *taken, email_report_fn report, void *ctx, char *why,
                           size_t why_n)
{
    char password[512] = "", sentence[640] = "";
    edi_result r = mailer_password_from_file(b->password_file, password, sizeof password,
                                             sentence, sizeof sentence);
    if (r != EDI_OK) {
        report_once(b, report, ctx, "mailbox %s: the password cannot be read: %s", b->url,
                    sentence);
        return EDI_OK;
    }
    imap_options o = { .url = b->url, .user = b->user, .password = password,
                       .plain_loopback = b->loopback_plain, .ca_file = b->ca_file,
                       .max_message_bytes = p->max_bytes };
    imap_client *c = NULL;
    r = imap_open(&o, &c, sentence, sizeof sentence);
    memset(password, 0, sizeof password);
    if (r != EDI_OK) {
        report_once(b, report, ctx, "mailbox %s: %s", b->url, sentence);
        return EDI_OK;
    }
    uint32_t *uids = NULL;
    size_t n = 0;
    r = imap_search(c, &uids, &n, sentence, sizeof sentence);
    if (r != EDI_OK) {
        report_once(b, report, ctx, "mailbox %s: %s", b->url, sentence);
        imap_close(c);
        return EDI_OK;
    }
    if (!b->looked || b->uidvalidity != imap_uidvalidity(c)) {
        b->looked = true;
        b->uidvalidity = imap_uidvalidity(c);
        b->first_max_uid = n ? uids[n - 1] : 0;
        b->n_pending = 0;
    }
    prune_pending(b, uids, n);
    edi_result result = EDI_OK;
    bool trouble = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t uid = uids[i];
        pending_mail *pm = find_pending(b, uid);
        store_id id = pm ? pm->id : 0;
        if (!pm) {
            edi_buf raw = { 0 };
            int64_t internal_ms = 0;
            r = imap_fetch(c, uid, &raw, &internal_ms, sentence, sizeof sentence);
            if (r == EDI_E_NOT_FOUND) {
                edi_buf_free(&raw);
                continue;
            }
            if (r != EDI_OK) {
                edi_buf_free(&raw);
                report_once(b, report, ctx, "mailbox %s: %s%s", b->url, sentence,
                            r == EDI_E_LIMIT ? "; it stays in the mailbox" : "");
                trouble = true;
                if (r == EDI_E_LIMIT)
                    continue;
                break;
            }
            bool now = false;
            r = store_mail(b, s, cs, &raw, uid, internal_ms, uid <= b->first_max_uid, &id, &now,
                           why, why_n);
            edi_buf_free(&raw);
            if (r != EDI_OK) {
                result = r; /* the store failed: nothing more until it works again */
                break;
            }
            if (now && taken)
                (*taken)++;
            if (b->n_pending < MAX_PENDING) {
                pm = &b->pending[b->n_pending++];
                *pm = (pending_mail){ .uid = uid, .id = id };
            }
        }
        r = imap_set_aside(c, uid, b->done, sentence, sizeof sentence);
        if (r != EDI_OK) {
            report_once(b, report, ctx, "mailbox %s: mail %" PRIu32 " is stored as message %"
                        PRId64 " but cannot be moved to %s: %s", b->url, uid, id, b->done,
                        sentence);
            trouble = true;
            if (r == EDI_E_IO)
                break;
            continue;
        }
        if (pm)
            *pm = b->pending[--b->n_pending];
    }
    if (!trouble && result == EDI_OK)
        b->last_problem[0] = '\0';
    free(uids);
    imap_close(c);
    return result;
}

edi_result email_poller_poll(email_poller *p, store *s, content_store *cs, int64_t now_ms,
                             size_t *taken, email_report_fn report, void *ctx, char *why,
                             size_t why_n)
{
    for (size_t i = 0; i < p->n; i++) {
        mailbox *b = &p->boxes[i];
        if (b->next_ms > now_ms)
            continue;
        b->next_ms = now_ms + b->interval_ms;
        edi_result r = poll_box(p, b, s, cs, taken, report, ctx, why, why_n);
        if (r != EDI_OK)
            return r;
    }
    return EDI_OK;
}

/* ---- unpacking ------------------------------------------------------------------------ */

#define UNPACK_MAX_ATTEMPTS 8

bool email_in_is_mail(const store_message *m, const char *data, size_t len)
{
    if (m->direction != STORE_IN)
        return false;
    if (!strcmp(m->channel, "email") && m->parent_id == 0)
        return true;
    return mail_unpack_looks_like_mail(data, len);
}

static const partner *partner_by_address(const partner_set *ps, const char *address)
{
    if (!address[0])
        return NULL;
    for (size_t i = 0; i < partner_set_count(ps); i++) {
        const partner *who = partner_set_at(ps, i);
        if (who->email.address[0] && !strcasecmp(who->email.address, address))
            return who;
    }
    return NULL;
}

/* ---- bounces ---- */

typedef struct {
    content_store *cs;
    const char *id;
    store_id found;
} sent_lookup;

static int match_sent_mail(void *ctx, const store_message *m)
{
    sent_lookup *l = ctx;
    if (strcmp(m->channel, "mail"))
        return 0;
    edi_buf raw = { 0 };
    char why[128], mid[MAIL_ID_MAX] = "", bare[MAIL_ID_MAX] = "";
    if (content_store_get(l->cs, m->content_id, &raw, why, sizeof why) == EDI_OK &&
        mail_unpack_header(raw.p, raw.len, "Message-ID", false, mid, sizeof mid)) {
        const char *a = mid[0] == '<' ? mid + 1 : mid;
        snprintf(bare, sizeof bare, "%.*s", (int)strcspn(a, ">"), a);
        if (!strcmp(bare, l->id))
            l->found = m->id;
    }
    edi_buf_free(&raw);
    return l->found != 0;
}

/* The outbound message that the mail with Message-ID `id` carried: a document mail names
 * it ("edi-out-<message id>.<16 hex digits of its content id>@..."); other mails (approval
 * requests, replies) are looked up by their stored bytes among those of the last 30 days.
 * 0 when none is found. */
static edi_result find_bounced(pipeline_ctx *p, const char *id, store_message *out, char *why,
                               size_t why_n)
{
    memset(out, 0, sizeof *out);
    long long msg = 0;
    char hex[17] = "";
    if (sscanf(id, "edi-out-%lld.%16[0-9a-f]@", &msg, hex) == 2 && msg > 0) {
        store_message m;
        edi_result r = store_message_get(p->store, (store_id)msg, &m, why, why_n);
        if (r != EDI_OK && r != EDI_E_NOT_FOUND)
            return r;
        if (r == EDI_OK && m.direction == STORE_OUT && !strncmp(m.content_id, hex, 16))
            *out = m;
        return EDI_OK;
    }
    sent_lookup l = { .cs = p->content, .id = id };
    store_message_filter f = { .direction = STORE_OUT, .limit = 5000,
                               .since_ms = store_now_ms() - (int64_t)30 * 86400 * 1000 };
    edi_result r = store_message_list(p->store, &f, match_sent_mail, &l, why, why_n);
    if (r == EDI_OK && l.found)
        r = store_message_get(p->store, l.found, out, why, why_n);
    return r;
}

/* ---- children ---- */

typedef struct {
    const char *content_id;
    store_id found;
} child_lookup;

static int match_child(void *ctx, const store_message *m)
{
    child_lookup *l = ctx;
    if (m->direction == STORE_IN && !strcmp(m->content_id, l->content_id)) {
        l->found = m->id;
        return 1;
    }
    return 0;
}

/* Each document as a child message of the mail, inside the caller's transaction; `list`
 * gets "a.edi (message 12), ...". */
static edi_result add_children(pipeline_ctx *p, const store_message *mail, const partner *who,
                               const mail_unpacked *u, char ids[][CONTENT_ID_SIZE],
                               char *list, size_t list_n, char *why, size_t why_n)
{
    list[0] = '\0';
    for (size_t i = 0; i < u->n_docs; i++) {
        const mail_document *d = &u->docs[i];
        child_lookup l = { .content_id = ids[i] };
        edi_result r = store_message_children(p->store, mail->id, match_child, &l, why, why_n);
        if (r != EDI_OK)
            return r;
        store_id id = l.found;
        if (!id) {
            store_message c;
            memset(&c, 0, sizeof c);
            c.direction = STORE_IN;
            snprintf(c.partner, sizeof c.partner, "%.63s", who->id);
            snprintf(c.channel, sizeof c.channel, "email");
            snprintf(c.filename, sizeof c.filename, "%s", d->name);
            snprintf(c.content_id, sizeof c.content_id, "%s", ids[i]);
            c.size = (int64_t)d->len;
            snprintf(c.status, sizeof c.status, "%s", STORE_STATUS_RECEIVED);
            c.parent_id = mail->id;
            r = store_message_insert(p->store, &c, "identify", &id, why, why_n);
            char detail[512];
            snprintf(detail, sizeof detail, "part %s (%.200s, %s) of the mail in message %" PRId64,
                     d->part, d->name, d->type, mail->id);
            if (r == EDI_OK)
                r = store_history_add(p->store, id, "unpacked", p->worker, detail, why, why_n);
            if (r != EDI_OK)
                return r;
        }
        size_t used = strlen(list);
        snprintf(list + used, list_n - used, "%s%.200s (message %" PRId64 "%s)", i ? ", " : "",
                 d->name, id, l.found ? ", made before" : "");
    }
    return EDI_OK;
}

/* ---- the reply to a failed mail ---- */

static edi_result queue_reply(pipeline_ctx *p, const store_message *mail, const partner *who,
                              const mail_unpacked *u, const char *reason, char *note,
                              size_t note_n, char *why, size_t why_n)
{
    note[0] = '\0';
    const char *from = who->email.from[0] ? who->email.from
                       : p->approvals ? p->approvals->mail_from : NULL;
    const char *from_name = who->email.from_name[0] ? who->email.from_name
                            : p->approvals ? p->approvals->mail_from_name : NULL;
    if (u->automatic) {
        snprintf(note, note_n, "no reply: the mail was sent by a machine");
        return EDI_OK;
    }
    if (!from || !mailer_address_ok(u->from)) {
        snprintf(note, note_n, "no reply: %s", !from ? "no sender address is configured "
                 "(<orders><mail from>)" : "the sender's address is not usable");
        return EDI_OK;
    }
    char subject[300], text[2048];
    snprintf(subject, sizeof subject, "Not processed: %.250s",
             u->subject[0] ? u->subject : mail->filename);
    snprintf(text, sizeof text,
             "Hello,\n\nyour mail \"%.250s\" to our order gateway could not be processed, and "
             "nothing in it was processed:\n\n%.700s\n\nPlease correct this and send the "
             "mail again. If you have questions, answer this mail and quote the reference "
             "below.\n\nReference: message %" PRId64 "%s%.250s\n",
             u->subject[0] ? u->subject : "(no subject)", reason, mail->id,
             u->message_id[0] ? ", your Message-ID " : "", u->message_id);
    mail_message mm = { .from = from, .from_name = from_name, .to = u->from,
                        .subject = subject, .text = text };
    edi_buf bytes = { 0 };
    char sentence[512] = "";
    edi_result r = mailer_compose(&mm, store_now_ms() / 1000, &bytes, sentence, sizeof sentence);
    if (r == EDI_E_ARG) {
        snprintf(note, note_n, "no reply: it cannot be composed: %.400s", sentence);
        edi_buf_free(&bytes);
        return EDI_OK;
    }
    store_message out;
    memset(&out, 0, sizeof out);
    if (r == EDI_OK)
        r = content_store_put(p->content, bytes.p, bytes.len, out.content_id, why, why_n);
    store_id id = 0;
    if (r == EDI_OK) {
        out.direction = STORE_OUT;
        snprintf(out.partner, sizeof out.partner, "%.63s", who->id);
        snprintf(out.channel, sizeof out.channel, "mail");
        snprintf(out.filename, sizeof out.filename, "reply-%" PRId64 ".eml", mail->id);
        out.size = (int64_t)bytes.len;
        snprintf(out.format, sizeof out.format, "failure reply mail");
        snprintf(out.status, sizeof out.status, "%s", STORE_STATUS_QUEUED);
        out.parent_id = mail->id;
        r = store_message_insert(p->store, &out, "mail", &id, why, why_n);
    }
    if (r == EDI_OK)
        r = store_mail_envelope_set(p->store, id, from, u->from, why, why_n);
    if (r == EDI_OK)
        snprintf(note, note_n, "a reply to %.300s says what to do (mail message %" PRId64 ")",
                 u->from, id);
    edi_buf_free(&bytes);
    return r;
}

/* ---- the step ---- */

typedef struct {
    const char *status;
    const char *partner;
    const char *format;
    char reason[640];
    char event[32];
    char detail[1024];
} unpack_outcome;

static edi_result give_back(pipeline_ctx *p, const store_job *j, edi_result r, const char *what)
{
    int64_t pause = (int64_t)1000 << (j->attempts < 10 ? j->attempts : 10);
    char why[256];
    edi_result rr = store_job_retry(p->store, j, pause, UNPACK_MAX_ATTEMPTS, what, why,
                                    sizeof why);
    return rr == EDI_E_CONFLICT ? rr : r;
}

edi_result email_in_unpack(pipeline_ctx *p, const store_job *j, const store_message *m,
                           const edi_buf *raw, char *why, size_t why_n)
{
    mail_unpacked u;
    edi_result r = mail_unpack(raw->p, raw->len, &u, why, why_n);
    if (r != EDI_OK)
        return give_back(p, j, r, why);
    const partner *hint = m->partner[0] ? partner_set_by_id(p->partners, m->partner) : NULL;
    const partner *who = hint ? hint : partner_by_address(p->partners, u.from);
    unpack_outcome o = { .status = STORE_STATUS_DONE,
                         .format = u.is_dsn ? "e-mail (delivery status notification)" : "e-mail" };
    if (who)
        o.partner = who->id;
    /* outside the transaction: the documents' bytes, and the bounced message */
    char (*ids)[CONTENT_ID_SIZE] = u.n_docs ? calloc(u.n_docs, sizeof *ids) : NULL;
    if (u.n_docs && !ids) {
        mail_unpacked_free(&u);
        return give_back(p, j, EDI_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < u.n_docs && r == EDI_OK; i++)
        r = content_store_put(p->content, u.docs[i].data, u.docs[i].len, ids[i], why, why_n);
    store_message bounced;
    memset(&bounced, 0, sizeof bounced);
    if (r == EDI_OK && u.is_dsn && !u.failed && u.dsn.original_id[0])
        r = find_bounced(p, u.dsn.original_id, &bounced, why, why_n);
    if (r != EDI_OK) {
        free(ids);
        mail_unpacked_free(&u);
        return give_back(p, j, r, why);
    }
    bool reply = false;
    if (u.failed) {
        o.status = STORE_STATUS_FAILED;
        snprintf(o.reason, sizeof o.reason, "%s", u.problem);
        reply = who != NULL;
    } else if (u.is_dsn) {
        if (!bounced.id) {
            o.status = STORE_STATUS_FAILED;
            snprintf(o.reason, sizeof o.reason, "A delivery status notification from %.100s "
                     "reports on %s%.200s%s, which no outbound message of the gateway "
                     "carried. Look at the report; it may be about a mail sent by someone "
                     "else from this mailbox.", u.from[0] ? u.from : "(nobody)",
                     u.dsn.original_id[0] ? "the mail <" : "a mail it does not name",
                     u.dsn.original_id, u.dsn.original_id[0] ? ">" : "");
        } else {
            o.partner = bounced.partner[0] ? bounced.partner : o.partner;
            snprintf(o.event, sizeof o.event, "bounce");
            snprintf(o.detail, sizeof o.detail, "a delivery status notification for outbound "
                     "message %" PRId64 " (%.200s): %.40s %.300s, status %.15s%s%.300s",
                     bounced.id, bounced.filename, u.dsn.action[0] ? u.dsn.action : "failed",
                     u.dsn.recipient, u.dsn.status[0] ? u.dsn.status : "unknown",
                     u.dsn.diagnostic[0] ? ": " : "", u.dsn.diagnostic);
        }
    } else if (!who) {
        o.status = STORE_STATUS_FAILED;
        snprintf(o.reason, sizeof o.reason, "The mail from %.250s came to a shared mailbox, "
                 "and no partner profile has this address (<channel><email><address>); add "
                 "it to the sender's profile and reprocess message %" PRId64 ".",
                 u.from[0] ? u.from : "(no From address)", m->id);
    } else {
        snprintf(o.event, sizeof o.event, "unpacked");
    }

    r = store_begin(p->store, why, why_n);
    char list[900] = "", note[512] = "";
    if (r == EDI_OK && !strcmp(o.event, "unpacked")) {
        r = add_children(p, m, who, &u, ids, list, sizeof list, why, why_n);
        snprintf(o.detail, sizeof o.detail, "unpacked: %zu document%s: %.700s%s%.250s", u.n_docs,
                 u.n_docs == 1 ? "" : "s", list, u.ignored[0] ? "; not documents: " : "",
                 u.ignored);
    }
    if (r == EDI_OK && bounced.id) {
        char reason[640];
        snprintf(reason, sizeof reason, "The mail to %.150s bounced: status %.15s%s%.250s. "
                 "Correct the address in partner %.64s's profile (<channel><email>) and send "
                 "it again with `gateway resend %" PRId64 "`.",
                 u.dsn.recipient[0] ? u.dsn.recipient : "the partner",
                 u.dsn.status[0] ? u.dsn.status : "unknown", u.dsn.diagnostic[0] ? ", " : "",
                 u.dsn.diagnostic, bounced.partner, bounced.id);
        char detail[800];
        snprintf(detail, sizeof detail, "the mail server of %.200s reported it undelivered "
                 "(delivery status notification in message %" PRId64 ")",
                 u.dsn.recipient[0] ? u.dsn.recipient : "the recipient", m->id);
        r = store_message_update(p->store, bounced.id, NULL, NULL, NULL, STORE_STATUS_FAILED,
                                 reason, why, why_n);
        if (r == EDI_OK)
            r = store_history_add(p->store, bounced.id, "bounced", p->worker, detail, why, why_n);
        if (r == EDI_OK)
            r = store_history_add(p->store, bounced.id, "failed", p->worker, reason, why, why_n);
    }
    if (r == EDI_OK && reply && who->email.reply_on_failure)
        r = queue_reply(p, m, who, &u, o.reason, note, sizeof note, why, why_n);
    if (r == EDI_OK)
        r = store_message_update(p->store, m->id, o.partner, o.format, NULL, o.status,
                                 !strcmp(o.status, STORE_STATUS_FAILED) ? o.reason : NULL, why,
                                 why_n);
    if (r == EDI_OK && o.event[0])
        r = store_history_add(p->store, m->id, o.event, p->worker, o.detail, why, why_n);
    if (r == EDI_OK && !strcmp(o.status, STORE_STATUS_FAILED))
        r = store_history_add(p->store, m->id, "failed", p->worker, o.reason, why, why_n);
    if (r == EDI_OK && note[0])
        r = store_history_add(p->store, m->id, "reply", p->worker, note, why, why_n);
    if (r == EDI_OK)
        r = store_job_done(p->store, j, NULL, why, why_n);
    if (r == EDI_OK)
        r = store_commit(p->store, why, why_n);
    else
        store_rollback(p->store);
    free(ids);
    mail_unpacked_free(&u);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}
