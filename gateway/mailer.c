/* mailer.c: see mailer.h. */
#include "mailer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define LINE_MAX_SMTP 998       /* RFC 5322: a line, without its CRLF */
#define QP_LINE 76              /* RFC 2045: quoted-printable and base64 lines */
#define WORD_BYTES 39           /* raw bytes per RFC 2047 word: 52 base64, 64 with the frame,
                                   so "Subject: " and a word stay within 78 */

static bool put(edi_buf *b, const char *s)
{
    return edi_buf_append(b, s, strlen(s));
}

static bool putf(edi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool putf(edi_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof small)
        return edi_buf_append(b, small, (size_t)n);
    if (!edi_buf_grow(b, (size_t)n + 1))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

/* ---- checks ---- */

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int more;
        unsigned min;
        unsigned cp;
        if ((*p & 0xe0) == 0xc0) {
            more = 1; min = 0x80; cp = *p & 0x1f;
        } else if ((*p & 0xf0) == 0xe0) {
            more = 2; min = 0x800; cp = *p & 0x0f;
        } else if ((*p & 0xf8) == 0xf0) {
            more = 3; min = 0x10000; cp = *p & 0x07;
        } else {
            return false;
        }
        p++;
        for (int i = 0; i < more; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

static bool is_ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* A plain ASCII address local@domain: no blanks, brackets, quotes or controls. */
static bool address_ok(const char *a)
{
    if (!a)
        return false;
    size_t n = strlen(a);
    const char *at = strchr(a, '@');
    if (n == 0 || n > 254 || !at || at == a || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const char *p = a; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
            return false;
    const char *d = at + 1;
    if (strcmp(d, "localhost") == 0)
        return true;
    return strchr(d, '.') && d[0] != '.' && d[strlen(d) - 1] != '.';
}

/* ---- header pieces ---- */

static void b64_into(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* `text` as RFC 2047 encoded words, folded with CRLF SP between words; words never split a
 * UTF-8 character. */
static bool encoded_words(edi_buf *b, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    bool first = true;
    while (n > 0) {
        size_t take = n < WORD_BYTES ? n : WORD_BYTES;
        while (take < n && (p[take] & 0xc0) == 0x80)
            take--;
        char enc[4 * WORD_BYTES / 3 + 4];
        b64_into(p, take, enc);
        if (!put(b, first ? "" : "\r\n ") || !putf(b, "=?UTF-8?B?%s?=", enc))
            return false;
        first = false;
        p += take;
        n -= take;
    }
    return true;
}

/* A display name: a quoted string when ASCII, else encoded words. */
static bool display_name(edi_buf *b, const char *name)
{
    if (!is_ascii_printable(name))
        return encoded_words(b, name);
    if (!put(b, "\""))
        return false;
    for (const char *p = name; *p; p++) {
        if ((*p == '"' || *p == '\\') && !put(b, "\\"))
            return false;
        if (!edi_buf_append(b, p, 1))
            return false;
    }
    return put(b, "\"");
}

static bool mailbox_header(edi_buf *b, const char *field, const char *addr, const char *name)
{
    if (!putf(b, "%s: ", field))
        return false;
    if (name && *name && (!display_name(b, name) || !put(b, " ")))
        return false;
    return putf(b, "<%s>\r\n", addr);
}

static void rfc5322_date(int64_t now, char *out, size_t n)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool random_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    if (bytes > sizeof r || RAND_bytes(r, (int)bytes) != 1)
        return false;
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return true;
}

/* ---- bodies ---- */

/* True when the text can go as 7bit: ASCII, no controls but tab, lines <= 998 bytes. */
static bool fits_7bit(const char *text)
{
    size_t col = 0;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n' || (c == '\r' && p[1] == '\n')) {
            if (c == '\r')
                p++;
            col = 0;
            continue;
        }
        if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f || ++col > LINE_MAX_SMTP)
            return false;
    }
    return true;
}

/* Lines of `text` with CRLF. */
static bool body_7bit(edi_buf *b, const char *text)
{
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\r\n");
        if (!edi_buf_append(b, p, len) || !put(b, "\r\n"))
            return false;
        p += len;
        if (*p == '\r')
            p++;
        if (*p == '\n')
            p++;
    }
    return true;
}

static bool body_qp(edi_buf *b, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        size_t len = strcspn((const char *)p, "\r\n");
        size_t col = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = p[i];
            char rep[4];
            size_t rn;
            bool blank = c == ' ' || c == '\t';
            if ((c >= 33 && c <= 126 && c != '=') || (blank && i + 1 < len)) {
                rep[0] = (char)c;
                rn = 1;
            } else {
                rep[0] = '=';
                rep[1] = hex[c >> 4];
                rep[2] = hex[c & 15];
                rn = 3;
            }
            /* a soft break leaves room for its "=" within QP_LINE */
            if (col + rn > QP_LINE - 1) {
                if (!put(b, "=\r\n"))
                    return false;
                col = 0;
            }
            if (!edi_buf_append(b, rep, rn))
                return false;
            col += rn;
        }
        if (!put(b, "\r\n"))
            return false;
        p += len;
        if (*p == '\r')
            p++;
        if (*p == '\n')
            p++;
    }
    return true;
}

static bool body_base64(edi_buf *b, const unsigned char *data, size_t n)
{
    char line[QP_LINE + 4];
    for (size_t i = 0; i < n; i += 57) {
        size_t take = n - i < 57 ? n - i : 57;
        b64_into(data + i, take, line);
        if (!put(b, line) || !put(b, "\r\n"))
            return false;
    }
    return true;
}

static bool text_part_headers(edi_buf *b, bool seven)
{
    return put(b, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: ") &&
           put(b, seven ? "7bit\r\n" : "quoted-printable\r\n");
}

static bool text_body(edi_buf *b, const char *text, bool seven)
{
    return seven ? body_7bit(b, text) : body_qp(b, text);
}

/* The attachment's file name parameter: quoted when plain ASCII, RFC 2231 when not. */
static bool filename_param(edi_buf *b, const char *name)
{
    if (is_ascii_printable(name) && !strpbrk(name, "\"\\"))
        return putf(b, "; filename=\"%s\"", name);
    if (!put(b, "; filename*=UTF-8''"))
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p);
        if (!(plain ? edi_buf_append(b, (const char *)p, 1) : putf(b, "%%%02X", *p)))
            return false;
    }
    return true;
}

static bool mime_type_ok(const char *t)
{
    const char *slash = strchr(t, '/');
    if (!slash || slash == t || !slash[1] || strchr(slash + 1, '/'))
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("/!#$&-^_.+", *p)))
            return false;
    return true;
}

edi_result mailer_compose(const mail_message *m, int64_t now, edi_buf *out, char *why,
                          size_t why_n)
{
    if (!m || !address_ok(m->from) || !address_ok(m->to)) {
        edi_say(why, why_n, "a mail needs plain addresses local@domain for From and To "
                "(got \"%.80s\" and \"%.80s\")", m && m->from ? m->from : "",
                m && m->to ? m->to : "");
        return EDI_E_ARG;
    }
    if (!m->subject || !*m->subject || !m->text) {
        edi_say(why, why_n, "a mail needs a subject and a text");
        return EDI_E_ARG;
    }
    const char *headers[] = { m->from_name, m->to_name, m->subject, m->attachment_name };
    const char *names[] = { "sender's name", "recipient's name", "subject", "attachment name" };
    for (size_t i = 0; i < 4; i++) {
        if (headers[i] && (has_control(headers[i]) || !utf8_valid(headers[i]))) {
            edi_say(why, why_n, "the mail's %s has a line break, a control character or "
                    "bytes that are not UTF-8", names[i]);
            return EDI_E_ARG;
        }
    }
    if (!utf8_valid(m->text)) {
        edi_say(why, why_n, "the mail's text is not UTF-8");
        return EDI_E_ARG;
    }
    const char *atype = m->attachment_type ? m->attachment_type : "application/octet-stream";
    if (m->attachment_name && (!*m->attachment_name || !mime_type_ok(atype) ||
                               (m->attachment_len && !m->attachment))) {
        edi_say(why, why_n, "the attachment needs a name, data and a media type such as "
                "application/pdf");
        return EDI_E_ARG;
    }
    char date[64], id[40], boundary[48];
    rfc5322_date(now, date, sizeof date);
    if (!random_hex(id, 16) || !random_hex(boundary + 5, 12)) {
        edi_say(why, why_n, "no random bytes for the Message-ID (RAND_bytes failed)");
        return EDI_E_NOMEM;
    }
    memcpy(boundary, "=_gw_", 5);
    bool seven = fits_7bit(m->text);
    size_t start = out->len;
    bool ok = mailbox_header(out, "From", m->from, m->from_name) &&
              mailbox_header(out, "To", m->to, m->to_name) && put(out, "Subject: ");
    if (ok && is_ascii_printable(m->subject) && strlen(m->subject) <= LINE_MAX_SMTP - 9)
        ok = put(out, m->subject);
    else if (ok)
        ok = encoded_words(out, m->subject);
    ok = ok && putf(out, "\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n", date,
                    id, strchr(m->from, '@') + 1);
    if (!m->attachment_name) {
        ok = ok && text_part_headers(out, seven) && put(out, "\r\n") &&
             text_body(out, m->text, seven);
    } else {
        ok = ok &&
             putf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                       "This is a MIME message with an attachment.\r\n--%s\r\n",
                  boundary, boundary) &&
             text_part_headers(out, seven) && put(out, "\r\n") &&
             text_body(out, m->text, seven) &&
             putf(out, "--%s\r\nContent-Type: %s\r\nContent-Disposition: attachment", boundary,
                  atype) &&
             filename_param(out, m->attachment_name) &&
             put(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n") &&
             body_base64(out, m->attachment, m->attachment_len) &&
             putf(out, "--%s--\r\n", boundary);
    }
    if (!ok) {
        out->len = start;
        edi_say(why, why_n, "out of memory composing a mail");
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

edi_result mailer_compose_approval(const approval_mail *a, const mail_message *envelope,
                                   int64_t now, edi_buf *out, char *why, size_t why_n)
{
    if (!a || !envelope || !a->order_number || !*a->order_number || !a->customer_name ||
        !*a->customer_name || !a->amount || !*a->amount || !a->currency || !a->reason ||
        !a->approve_url || !*a->approve_url) {
        edi_say(why, why_n, "the approval mail needs the order number, the customer, the "
                "amount, the currency, the reason and the approval link");
        return EDI_E_ARG;
    }
    char expiry[40];
    time_t t = (time_t)a->expires_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(expiry, sizeof expiry, "%Y-%m-%d %H:%M UTC", &tm);

    edi_buf subject = { 0 }, text = { 0 };
    bool requester = a->requester_name && *a->requester_name;
    bool ok = putf(&subject, "Approval needed: order %s of %s, %s %s", a->order_number,
                   a->customer_name, a->amount, a->currency) &&
              edi_buf_append(&subject, "", 1);
    ok = ok && (a->approver_name && *a->approver_name ? putf(&text, "Hello %s,\n\n",
                                                             a->approver_name)
                                                      : put(&text, "Hello,\n\n"));
    if (requester)
        ok = ok && putf(&text, "%s of %s placed order %s for %s %s.\n", a->requester_name,
                        a->customer_name, a->order_number, a->amount, a->currency);
    else
        ok = ok && putf(&text, "%s sent order %s for %s %s.\n", a->customer_name,
                        a->order_number, a->amount, a->currency);
    ok = ok && putf(&text, "It waits for your approval.\n\nWhy: %s\n\n", a->reason);
    if (a->reject_url && *a->reject_url)
        ok = ok && putf(&text, "Approve the order:\n%s\n\nReject the order (you will be asked "
                        "why):\n%s\n\n", a->approve_url, a->reject_url);
    else
        ok = ok && putf(&text, "Approve or reject the order:\n%s\n\n", a->approve_url);
    ok = ok && putf(&text, "The link%s work%s once and only for you, until %s. If nobody "
                    "decides by then, the order is not processed.\nThe order's content and "
                    "prices stay as they are while it waits.\n\n-- \nEDI gateway\n",
                    a->reject_url && *a->reject_url ? "s" : "",
                    a->reject_url && *a->reject_url ? "" : "s", expiry) &&
         edi_buf_append(&text, "", 1);
    edi_result r = EDI_E_NOMEM;
    if (ok) {
        mail_message m = *envelope;
        m.subject = subject.p;
        m.text = text.p;
        m.attachment_name = NULL;
        r = mailer_compose(&m, now, out, why, why_n);
    } else {
        edi_say(why, why_n, "out of memory composing the approval mail");
    }
    edi_buf_free(&subject);
    edi_buf_free(&text);
    return r;
}

/* ---- sending ---- */

typedef struct {
    const char *p;
    size_t left;
} reader;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
    reader *r = userdata;
    size_t room = size * nitems;
    size_t n = r->left < room ? r->left : room;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

edi_result mailer_send(const mailer_options *o, const char *from, const char *to,
                       const char *data, size_t len, char *why, size_t why_n)
{
    if (!o || !o->url || !address_ok(from) || !address_ok(to) || !data) {
        edi_say(why, why_n, "sending a mail needs the server URL and plain addresses");
        return EDI_E_ARG;
    }
    bool smtps = strncmp(o->url, "smtps://", 8) == 0;
    if (!smtps && strncmp(o->url, "smtp://", 7) != 0) {
        edi_say(why, why_n, "the mail server URL must start with smtp:// or smtps://");
        return EDI_E_ARG;
    }
    if (o->user && *o->user && !smtps && !o->starttls_required) {
        edi_say(why, why_n, "refusing to send the mail server password without TLS: use "
                "smtps:// or require STARTTLS");
        return EDI_E_ARG;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        edi_say(why, why_n, "libcurl could not start a transfer");
        return EDI_E_NOMEM;
    }
    char from_b[300], to_b[300], err[CURL_ERROR_SIZE] = "";
    snprintf(from_b, sizeof from_b, "<%s>", from);
    snprintf(to_b, sizeof to_b, "<%s>", to);
    struct curl_slist *rcpt = curl_slist_append(NULL, to_b);
    reader rd = { data, len };
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : 30000;
    CURLcode cc = rcpt ? CURLE_OK : CURLE_OUT_OF_MEMORY;
#define SET(opt, val) \
    if (cc == CURLE_OK) \
    cc = curl_easy_setopt(c, opt, val)
    SET(CURLOPT_ERRORBUFFER, err);
    SET(CURLOPT_URL, o->url);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_MAIL_FROM, from_b);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, &rd);
    SET(CURLOPT_USE_SSL, (long)(smtps || o->starttls_required ? CURLUSESSL_ALL
                                                              : CURLUSESSL_TRY));
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    if (o->ca_file && *o->ca_file)
        SET(CURLOPT_CAINFO, o->ca_file);
    if (o->user && *o->user) {
        SET(CURLOPT_USERNAME, o->user);
        SET(CURLOPT_PASSWORD, o->password ? o->password : "");
    }
#undef SET
    if (cc == CURLE_OK)
        cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(rcpt);
    if (cc == CURLE_OK)
        return EDI_OK;
    edi_say(why, why_n, "the mail to %s was not sent through %s: %s%s%s (last server answer "
            "%ld)", to, o->url, curl_easy_strerror(cc), err[0] ? ": " : "", err, code);
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OUT_OF_MEMORY:
        return EDI_E_IO;
    default:
        return code >= 400 && code < 500 ? EDI_E_IO : EDI_E_ARG;
    }
}
