/* mailer.c: see mailer.h. MIME is GMime's: this file checks what it is given, builds the
 * GMime objects and writes them with CRLF line breaks. */
#include "mailer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

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

void mailer_init(void)
{
    g_mime_init();
}

void mailer_shutdown(void)
{
    g_mime_shutdown();
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

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* A plain ASCII address local@domain: no blanks, brackets, quotes or controls. */
bool mailer_address_ok(const char *a)
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

static bool random_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    if (bytes > sizeof r || RAND_bytes(r, (int)bytes) != 1)
        return false;
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return true;
}

/* A Message-ID as mail_message wants it: local@domain, printable ASCII, no brackets. */
static bool message_id_ok(const char *id)
{
    const char *at = strchr(id, '@');
    if (!at || at == id || !at[1] || strlen(id) > 250)
        return false;
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
            return false;
    return true;
}

/* Everything mailer_compose refuses, with its sentence; true when `m` can be composed. */
static bool message_ok(const mail_message *m, char *why, size_t why_n)
{
    if (!m || !mailer_address_ok(m->from) || !mailer_address_ok(m->to)) {
        edi_say(why, why_n, "a mail needs plain addresses local@domain for From and To "
                "(got \"%.80s\" and \"%.80s\")", m && m->from ? m->from : "",
                m && m->to ? m->to : "");
        return false;
    }
    for (size_t i = 0; i < m->n_more_to + m->n_cc; i++) {
        const char *a = i < m->n_more_to ? m->more_to[i] : m->cc[i - m->n_more_to];
        if (!mailer_address_ok(a)) {
            edi_say(why, why_n, "a mail needs plain addresses local@domain for every "
                    "recipient (got \"%.80s\")", a ? a : "");
            return false;
        }
    }
    if (!m->subject || !*m->subject || !m->text) {
        edi_say(why, why_n, "a mail needs a subject and a text");
        return false;
    }
    const char *headers[] = { m->from_name, m->to_name, m->subject };
    const char *names[] = { "sender's name", "recipient's name", "subject" };
    for (size_t i = 0; i < 3; i++) {
        if (headers[i] && (has_control(headers[i]) || !utf8_valid(headers[i]))) {
            edi_say(why, why_n, "the mail's %s has a line break, a control character or "
                    "bytes that are not UTF-8", names[i]);
            return false;
        }
    }
    if (!utf8_valid(m->text) || (m->html && !utf8_valid(m->html))) {
        edi_say(why, why_n, "the mail's text is not UTF-8");
        return false;
    }
    if (m->message_id && !message_id_ok(m->message_id)) {
        edi_say(why, why_n, "the Message-ID \"%.80s\" is not local@domain in printable "
                "ASCII", m->message_id);
        return false;
    }
    for (size_t i = 0; i < m->n_attachments; i++) {
        const mail_attachment *a = &m->attachments[i];
        const char *type = a->type ? a->type : "application/octet-stream";
        if (!a->name || !*a->name || has_control(a->name) || !utf8_valid(a->name) ||
            strchr(a->name, '/') || !mime_type_ok(type) || (a->len && !a->data)) {
            edi_say(why, why_n, "attachment %zu needs a file name (UTF-8, without line "
                    "breaks or folders), data and a media type such as application/pdf", i + 1);
            return false;
        }
    }
    return true;
}

/* `text` with CRLF made LF: GMime writes each LF as CRLF. Free with g_free. */
static char *unix_lines(const char *text)
{
    size_t n = strlen(text);
    char *out = g_malloc(n + 1), *o = out;
    for (const char *p = text; *p; p++)
        if (!(p[0] == '\r' && p[1] == '\n'))
            *o++ = *p;
    *o = '\0';
    return out;
}

/* A MIME part of `type`/`subtype` holding `len` bytes of `data`. */
static GMimePart *data_part(const char *type, const char *subtype, const void *data,
                            size_t len)
{
    GMimePart *part = g_mime_part_new_with_type(type, subtype);
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(len ? data : "", len);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, w);
    g_object_unref(w);
    g_object_unref(s);
    return part;
}

/* True when the text can go as 7bit: ASCII, no controls but tab, lines of at most 998
 * bytes. GMime's own choice would take quoted-printable for a trailing blank (the "-- "
 * of a signature), which cuts long lines such as links at 76 characters. */
static bool fits_7bit(const char *text)
{
    size_t col = 0;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n') {
            col = 0;
            continue;
        }
        if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f || ++col > 998)
            return false;
    }
    return true;
}

/* A UTF-8 text part (plain or html): 7bit when that is possible, else quoted-printable
 * (readable for people, where base64 would not be). */
static GMimeObject *text_part(const char *subtype, const char *text)
{
    char *lf = unix_lines(text);
    GMimePart *part = data_part("text", subtype, lf, strlen(lf));
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "UTF-8");
    g_mime_part_set_content_encoding(part, fits_7bit(lf) ? GMIME_CONTENT_ENCODING_7BIT
                                                         : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    g_free(lf);
    return GMIME_OBJECT(part);
}

/* Non-ASCII values of the parameter `name` in `list` written as UTF-8 (RFC 2231), never
 * in a legacy charset GMime might find smaller. */
static void utf8_param(GMimeParamList *list, const char *name)
{
    GMimeParam *p = list ? g_mime_param_list_get_parameter(list, name) : NULL;
    if (p)
        g_mime_param_set_charset(p, "UTF-8");
}

static GMimeObject *attachment_part(const mail_attachment *a)
{
    const char *type = a->type ? a->type : "application/octet-stream";
    const char *slash = strchr(type, '/');
    char major[128];
    snprintf(major, sizeof major, "%.*s", (int)(slash - type), type);
    GMimePart *part = data_part(major, slash + 1, a->data, a->len);
    g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
    g_mime_part_set_filename(part, a->name);
    utf8_param(g_mime_content_disposition_get_parameters(
                   g_mime_object_get_content_disposition(GMIME_OBJECT(part))), "filename");
    utf8_param(g_mime_content_type_get_parameters(
                   g_mime_object_get_content_type(GMIME_OBJECT(part))), "name");
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(part);
}

/* The body: the text, with its HTML alternative, with the attachments. */
static GMimeObject *body_of(const mail_message *m)
{
    GMimeObject *body = text_part("plain", m->text);
    if (m->html) {
        GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
        g_mime_multipart_add(alt, body);
        g_object_unref(body);
        GMimeObject *html = text_part("html", m->html);
        g_mime_multipart_add(alt, html);
        g_object_unref(html);
        body = GMIME_OBJECT(alt);
    }
    if (!m->n_attachments)
        return body;
    GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
    g_mime_multipart_add(mixed, body);
    g_object_unref(body);
    for (size_t i = 0; i < m->n_attachments; i++) {
        GMimeObject *a = attachment_part(&m->attachments[i]);
        g_mime_multipart_add(mixed, a);
        g_object_unref(a);
    }
    return GMIME_OBJECT(mixed);
}

static void add_address(InternetAddressList *list, const char *name, const char *addr)
{
    InternetAddress *ia = internet_address_mailbox_new(name && *name ? name : NULL, addr);
    internet_address_set_charset(ia, "UTF-8");
    internet_address_list_add(list, ia);
    g_object_unref(ia);
}

edi_result mailer_compose(const mail_message *m, int64_t now, edi_buf *out, char *why,
                          size_t why_n)
{
    if (!g_mime_format_options_get_default()) {
        edi_say(why, why_n, "the mailer was not initialised: the program must call "
                "mailer_init() at its start");
        return EDI_E_ARG;
    }
    if (!message_ok(m, why, why_n))
        return EDI_E_ARG;
    char id[300];
    if (m->message_id) {
        snprintf(id, sizeof id, "%s", m->message_id);
    } else if (random_hex(id, 16)) {
        snprintf(id + 32, sizeof id - 32, "@%s", strchr(m->from, '@') + 1);
    } else {
        edi_say(why, why_n, "no random bytes for the Message-ID (RAND_bytes failed)");
        return EDI_E_NOMEM;
    }
    GMimeMessage *msg = g_mime_message_new(TRUE);
    add_address(g_mime_message_get_from(msg), m->from_name, m->from);
    add_address(g_mime_message_get_to(msg), m->to_name, m->to);
    for (size_t i = 0; i < m->n_more_to; i++)
        add_address(g_mime_message_get_to(msg), NULL, m->more_to[i]);
    for (size_t i = 0; i < m->n_cc; i++)
        add_address(g_mime_message_get_cc(msg), NULL, m->cc[i]);
    g_mime_message_set_subject(msg, m->subject, "UTF-8");
    GDateTime *date = g_date_time_new_from_unix_utc(now);
    g_mime_message_set_date(msg, date);
    g_date_time_unref(date);
    g_mime_message_set_message_id(msg, id);
    GMimeObject *body = body_of(m);
    g_mime_message_set_mime_part(msg, body);
    g_object_unref(body);

    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_format_options_set_param_encoding_method(fo, GMIME_PARAM_ENCODING_METHOD_RFC2231);
    GMimeStream *mem = g_mime_stream_mem_new();
    bool ok = g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem) >= 0;
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    ok = ok && edi_buf_append(out, (const char *)bytes->data, bytes->len);
    g_object_unref(mem);
    g_mime_format_options_free(fo);
    g_object_unref(msg);
    if (!ok) {
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
        m.html = NULL;
        m.attachments = NULL;
        m.n_attachments = 0;
        m.message_id = NULL;
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

/* The server's last refusal (an answer line starting with 4 or 5), else its last answer
 * line: libcurl hands the SMTP answers to the debug callback as CURLINFO_HEADER_IN. What
 * the client sends, the login included, is never looked at. */
typedef struct {
    char line[256];
    char refusal[256];
} last_answer;

static int debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *userp)
{
    (void)c;
    last_answer *a = userp;
    if (type != CURLINFO_HEADER_IN)
        return 0;
    while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    if (size == 0)
        return 0;
    char *dst = data[0] == '4' || data[0] == '5' ? a->refusal : a->line;
    if (size >= sizeof a->line)
        size = sizeof a->line - 1;
    for (size_t i = 0; i < size; i++)
        dst[i] = (unsigned char)data[i] < 0x20 || (unsigned char)data[i] >= 0x7f ? '?' : data[i];
    dst[size] = '\0';
    return 0;
}

/* The host of an smtp(s):// URL is the loopback interface. */
static bool loopback_host(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return false;
    h += 3;
    if (!strncmp(h, "127.", 4) || !strncmp(h, "[::1]", 5))
        return true;
    return !strncmp(h, "localhost", 9) && (h[9] == '\0' || h[9] == ':' || h[9] == '/');
}

edi_result mailer_send_to(const mailer_options *o, const char *from, const char *const *rcpt,
                          size_t n_rcpt, const char *data, size_t len, char *why, size_t why_n)
{
    bool rcpt_ok = rcpt && n_rcpt > 0;
    for (size_t i = 0; rcpt_ok && i < n_rcpt; i++)
        rcpt_ok = mailer_address_ok(rcpt[i]);
    if (!o || !o->url || !mailer_address_ok(from) || !rcpt_ok || !data) {
        edi_say(why, why_n, "sending a mail needs the server URL and plain addresses");
        return EDI_E_ARG;
    }
    bool smtps = strncmp(o->url, "smtps://", 8) == 0;
    if (!smtps && strncmp(o->url, "smtp://", 7) != 0) {
        edi_say(why, why_n, "the mail server URL must start with smtp:// or smtps://");
        return EDI_E_ARG;
    }
    bool login = o->user && *o->user;
    if (login && !smtps && !o->starttls_required &&
        !(o->plain_login_loopback && loopback_host(o->url))) {
        edi_say(why, why_n, "refusing to send the mail server password without TLS: use "
                "smtps:// or require STARTTLS");
        return EDI_E_ARG;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        edi_say(why, why_n, "libcurl could not start a transfer");
        return EDI_E_NOMEM;
    }
    char from_b[300], err[CURL_ERROR_SIZE] = "";
    snprintf(from_b, sizeof from_b, "<%s>", from);
    struct curl_slist *list = NULL;
    CURLcode cc = CURLE_OK;
    for (size_t i = 0; i < n_rcpt && cc == CURLE_OK; i++) {
        char to_b[300];
        snprintf(to_b, sizeof to_b, "<%s>", rcpt[i]);
        struct curl_slist *more = curl_slist_append(list, to_b);
        if (more)
            list = more;
        else
            cc = CURLE_OUT_OF_MEMORY;
    }
    reader rd = { data, len };
    last_answer answer = { "", "" };
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : 30000;
#define SET(opt, val) \
    if (cc == CURLE_OK) \
    cc = curl_easy_setopt(c, opt, val)
    SET(CURLOPT_ERRORBUFFER, err);
    SET(CURLOPT_URL, o->url);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_MAIL_FROM, from_b);
    SET(CURLOPT_MAIL_RCPT, list);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, &rd);
    SET(CURLOPT_DEBUGFUNCTION, debug_cb);
    SET(CURLOPT_DEBUGDATA, &answer);
    SET(CURLOPT_VERBOSE, 1L);
    SET(CURLOPT_USE_SSL, (long)(smtps || o->starttls_required ? CURLUSESSL_ALL
                                                              : CURLUSESSL_TRY));
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    if (o->ca_file && *o->ca_file)
        SET(CURLOPT_CAINFO, o->ca_file);
    if (login) {
        SET(CURLOPT_USERNAME, o->user);
        SET(CURLOPT_PASSWORD, o->password ? o->password : "");
    }
#undef SET
    if (cc == CURLE_OK)
        cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    if (cc == CURLE_OK)
        return EDI_OK;
    char server[300] = "";
    if (answer.refusal[0] || answer.line[0])
        snprintf(server, sizeof server, "; the server answered \"%s\"",
                 answer.refusal[0] ? answer.refusal : answer.line);
    else
        snprintf(server, sizeof server, " (last server answer %ld)", code);
    edi_say(why, why_n, "the mail to %s%s was not sent through %s: %s%s%s%s", rcpt[0],
            n_rcpt > 1 ? " and others" : "", o->url, curl_easy_strerror(cc), err[0] ? ": " : "",
            err, server);
    /* The server's answer decides when there is one (libcurl reports a refused recipient
     * as a send error): 5xx will not change, 4xx may. */
    if (code >= 500 && code < 600)
        return EDI_E_ARG;
    if (code >= 400 && code < 500)
        return EDI_E_IO;
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
        return EDI_E_ARG;
    }
}

edi_result mailer_send(const mailer_options *o, const char *from, const char *to,
                       const char *data, size_t len, char *why, size_t why_n)
{
    const char *rcpt[1] = { to };
    return mailer_send_to(o, from, rcpt, 1, data, len, why, why_n);
}

edi_result mailer_password_from_file(const char *path, char *out, size_t out_n, char *why,
                                     size_t why_n)
{
    if (out_n)
        out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        edi_say(why, why_n, "cannot open the password file %s: %s", path, strerror(errno));
        return EDI_E_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        close(fd);
        edi_say(why, why_n, "the password file %s must be a regular file only its owner can "
                "read or write; make it private with: chmod 600 %s", path, path);
        return EDI_E_ARG;
    }
    char buf[1024];
    size_t n = 0;
    int err = 0;
    while (n < sizeof buf) {
        ssize_t got = read(fd, buf + n, sizeof buf - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            err = errno;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    size_t line = 0;
    while (line < n && buf[line] != '\n' && buf[line] != '\r')
        line++;
    edi_result r = EDI_OK;
    if (err) {
        edi_say(why, why_n, "cannot read the password file %s: %s", path, strerror(err));
        r = EDI_E_IO;
    } else if (line == 0 || line >= out_n || line == sizeof buf) {
        edi_say(why, why_n, "the password file %s %s", path,
                line ? "holds a password longer than the gateway takes" : "is empty");
        r = EDI_E_ARG;
    } else {
        memcpy(out, buf, line);
        out[line] = '\0';
    }
    OPENSSL_cleanse(buf, sizeof buf);
    return r;
}
