/* as2_mdn.c: AS2 receipts (as2_mdn.h). */
#include "as2_mdn.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "as2_cms.h"

/* ---- dispositions -------------------------------------------------------------------- */

#define AUTOMATIC "automatic-action/MDN-sent-automatically; "

static const struct {
    const char *field, *brief;
} dispositions[] = {
    [AS2_DISP_PROCESSED] = { AUTOMATIC "processed", "processed" },
    [AS2_DISP_AUTHENTICATION_FAILED] = { AUTOMATIC "processed/error: authentication-failed",
                                         "processed/error: authentication-failed" },
    [AS2_DISP_DECRYPTION_FAILED] = { AUTOMATIC "processed/error: decryption-failed",
                                     "processed/error: decryption-failed" },
    [AS2_DISP_DECOMPRESSION_FAILED] = { AUTOMATIC "processed/error: decompression-failed",
                                        "processed/error: decompression-failed" },
    [AS2_DISP_INSUFFICIENT_SECURITY] = { AUTOMATIC
                                         "processed/error: insufficient-message-security",
                                         "processed/error: insufficient-message-security" },
    [AS2_DISP_INTEGRITY_CHECK_FAILED] = { AUTOMATIC "processed/error: integrity-check-failed",
                                          "processed/error: integrity-check-failed" },
    [AS2_DISP_UNKNOWN_TRADING_RELATIONSHIP] = {
        AUTOMATIC "processed/error: unknown-trading-relationship",
        "processed/error: unknown-trading-relationship" },
    [AS2_DISP_UNEXPECTED_ERROR] = { AUTOMATIC "processed/error: unexpected-processing-error",
                                    "processed/error: unexpected-processing-error" },
    [AS2_DISP_UNSUPPORTED_MIC] = { AUTOMATIC "failed/Failure: unsupported MIC-algorithms",
                                   "failed/failure: unsupported MIC-algorithms" },
};

const char *as2_disposition_field(as2_disposition d)
{
    return (unsigned)d <= AS2_DISP_UNSUPPORTED_MIC ? dispositions[d].field
                                                   : dispositions[AS2_DISP_UNEXPECTED_ERROR].field;
}

const char *as2_disposition_short(as2_disposition d)
{
    return (unsigned)d <= AS2_DISP_UNSUPPORTED_MIC ? dispositions[d].brief
                                                   : dispositions[AS2_DISP_UNEXPECTED_ERROR].brief;
}

/* ---- small text helpers ---------------------------------------------------------------- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return s;
}

/* Copy s[0..n) trimmed of white space into out. */
static void copy_trimmed(const char *s, size_t n, char *out, size_t out_n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= out_n)
        n = out_n - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* ---- Disposition-Notification-Options ------------------------------------------------ */

/* One parameter "name=importance, value, value" (s[0..n)). */
static void request_param(const char *s, size_t n, as2_mdn_request *out)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return;
    char name[64];
    copy_trimmed(s, (size_t)(eq - s), name, sizeof name);
    const char *v = eq + 1, *end = s + n;
    bool protocol = !strcasecmp(name, "signed-receipt-protocol");
    bool micalg = !strcasecmp(name, "signed-receipt-micalg");
    if (!protocol && !micalg)
        return;
    bool first = true, required = false;
    while (v < end) {
        const char *comma = memchr(v, ',', (size_t)(end - v));
        const char *stop = comma ? comma : end;
        char item[64];
        copy_trimmed(v, (size_t)(stop - v), item, sizeof item);
        if (first) {
            required = !strcasecmp(item, "required");
            first = false;
        } else if (protocol && !strcasecmp(item, "pkcs7-signature")) {
            out->signed_receipt = true;
            out->protocol_required = required;
        } else if (micalg) {
            out->micalg_given = true;
            out->micalg_required = required;
            as2_mic_alg a = as2_mic_alg_parse(item, (size_t)-1);
            if (out->micalg == AS2_MIC_NONE && a != AS2_MIC_NONE && a != AS2_MIC_MD5)
                out->micalg = a;
        }
        v = stop + (comma ? 1 : 0);
    }
}

void as2_mdn_request_parse(const char *value, as2_mdn_request *out)
{
    memset(out, 0, sizeof *out);
    if (!value)
        return;
    const char *s = value;
    while (*s) {
        const char *semi = strchr(s, ';');
        size_t n = semi ? (size_t)(semi - s) : strlen(s);
        request_param(s, n, out);
        s += n + (semi ? 1 : 0);
    }
}

/* ---- composing ----------------------------------------------------------------------- */

static bool has_crlf(const char *s)
{
    return s && (strchr(s, '\r') || strchr(s, '\n'));
}

/* An AS2 name as a header value: quoted when it has a space or a special (RFC 4130 §6.2). */
static void as2_name(const char *id, char *out, size_t n)
{
    bool quote = false;
    for (const char *p = id; *p; p++)
        if (*p == ' ' || *p == '"' || *p == '\\' || *p == ',' || *p == ';' || *p == '(' ||
            *p == ')' || *p == '<' || *p == '>' || *p == '@' || *p == ':')
            quote = true;
    if (!quote) {
        snprintf(out, n, "%s", id);
        return;
    }
    size_t k = 0;
    if (k + 1 < n)
        out[k++] = '"';
    for (const char *p = id; *p && k + 3 < n; p++) {
        if (*p == '"' || *p == '\\')
            out[k++] = '\\';
        out[k++] = *p;
    }
    if (k + 1 < n)
        out[k++] = '"';
    out[k] = '\0';
}

static void new_message_id(const char *our_id, char *out, size_t n)
{
    unsigned char r[16];
    char hex[33];
    if (RAND_bytes(r, sizeof r) != 1)
        memset(r, 0, sizeof r);
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    char host[64];
    size_t k = 0;
    for (const char *p = our_id; *p && k + 1 < sizeof host; p++)
        host[k++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '.') ? *p : '_';
    host[k] = '\0';
    snprintf(out, n, "<mdn-%lld-%s@%s>", (long long)time(NULL), hex, k ? host : "gateway");
}

static void http_date(char *out, size_t n)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool put(edi_buf *b, const char *s)
{
    return edi_buf_append(b, s, strlen(s));
}

static bool putf(edi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool putf(edi_buf *b, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    return edi_buf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* The human-readable text in lines of at most 76 characters, US-ASCII (anything else as
 * '?'), CRLF-ended. */
static bool put_text(edi_buf *b, const char *text)
{
    size_t col = 0;
    const char *p = text;
    while (*p) {
        if (*p == '\n' || *p == '\r') {
            if (!put(b, "\r\n"))
                return false;
            col = 0;
            p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
            continue;
        }
        size_t w = 0;
        while (p[w] && p[w] != ' ' && p[w] != '\n' && p[w] != '\r')
            w++;
        if (col && col + 1 + w > 76) {
            if (!put(b, "\r\n"))
                return false;
            col = 0;
        } else if (col && !put(b, " ")) {
            return false;
        } else if (col) {
            col++;
        }
        for (size_t i = 0; i < w; i++) {
            unsigned char c = (unsigned char)p[i];
            char ch = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
            if (!edi_buf_append(b, &ch, 1))
                return false;
        }
        col += w;
        p += w;
        while (*p == ' ')
            p++;
    }
    return put(b, "\r\n");
}

/* The multipart/report entity: its Content-Type line, an empty line, its body. */
static bool build_report(const as2_mdn_info *in, edi_buf *b)
{
    char boundary[64];
    as2_mime_boundary(boundary, sizeof boundary);
    const char *ua = in->reporting_ua ? in->reporting_ua : "edi-gateway AS2";
    const char *orig = in->original_recipient && in->original_recipient[0]
                           ? in->original_recipient
                           : in->our_id;
    bool ok = putf(b, "Content-Type: multipart/report; report-type=disposition-notification;"
                      " boundary=\"%s\"\r\n\r\n", boundary) &&
              putf(b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                      "Content-Transfer-Encoding: 7bit\r\n\r\n", boundary) &&
              put_text(b, in->explanation ? in->explanation : "") &&
              putf(b, "\r\n--%s\r\nContent-Type: message/disposition-notification\r\n"
                      "Content-Transfer-Encoding: 7bit\r\n\r\n", boundary) &&
              putf(b, "Reporting-UA: %s\r\n", ua) &&
              putf(b, "Original-Recipient: rfc822; %s\r\n", orig) &&
              putf(b, "Final-Recipient: rfc822; %s\r\n", in->our_id) &&
              putf(b, "Original-Message-ID: %s\r\n", in->original_message_id) &&
              putf(b, "Disposition: %s\r\n", as2_disposition_field(in->disposition));
    if (ok && in->mic_b64 && in->mic_b64[0] && in->mic_alg != AS2_MIC_NONE)
        ok = putf(b, "Received-Content-MIC: %s, %s\r\n", in->mic_b64,
                  as2_mic_alg_name(in->mic_alg));
    /* No line end after the close delimiter (RFC 2046 allows none): signed, the report is
     * part 1, and readers that give a part's last line end to the next delimiter and those
     * that keep it then see the same bytes. */
    return ok && putf(b, "\r\n--%s--", boundary);
}

edi_result as2_mdn_build(const as2_mdn_info *in, const as2_keypair *signer,
                         as2_mic_alg sign_alg, edi_buf *out, size_t *body_off,
                         char *message_id, size_t message_id_n, char *why, size_t why_n)
{
    if (!in || !in->our_id || !in->our_id[0] || !in->their_id || !in->their_id[0] ||
        !in->original_message_id || has_crlf(in->our_id) || has_crlf(in->their_id) ||
        has_crlf(in->original_message_id) || has_crlf(in->original_recipient) ||
        has_crlf(in->mic_b64) || has_crlf(in->reporting_ua)) {
        edi_say(why, why_n, "an MDN needs both AS2 names and the original Message-ID, none "
                "with a line break");
        return EDI_E_ARG;
    }
    edi_buf report = { 0 };
    if (!build_report(in, &report)) {
        edi_buf_free(&report);
        return EDI_E_NOMEM;
    }
    char mid[256], from[300], to[300], date[64], subject[300];
    new_message_id(in->our_id, mid, sizeof mid);
    as2_name(in->our_id, from, sizeof from);
    as2_name(in->their_id, to, sizeof to);
    http_date(date, sizeof date);
    size_t k = 0;
    for (const char *p = in->subject ? in->subject : ""; *p && k + 1 < 200; p++)
        subject[k++] = (*p == '\r' || *p == '\n') ? ' ' : *p;
    subject[k] = '\0';

    edi_result r = EDI_OK;
    bool ok = putf(out, "AS2-Version: 1.2\r\nAS2-From: %s\r\nAS2-To: %s\r\nMessage-ID: %s\r\n"
                        "Date: %s\r\nSubject: Receipt for %s\r\nMime-Version: 1.0\r\n",
                   from, to, mid, date, k ? subject : "your AS2 message");
    /* The report's own Content-Type line ends where its blank line starts (the buffer is
     * not NUL-terminated: searched within its length). */
    size_t blank = 0;
    while (blank + 4 <= report.len && memcmp(report.p + blank, "\r\n\r\n", 4) != 0)
        blank++;
    if (blank + 4 > report.len) {
        edi_buf_free(&report);
        edi_say(why, why_n, "the MDN's report has no header block");
        return EDI_E_ARG;
    }
    size_t ct_len = blank + 2, report_body = ct_len + 2;
    if (ok && !signer) {
        ok = edi_buf_append(out, report.p, ct_len) && put(out, "\r\n");
        *body_off = out->len;
        ok = ok && edi_buf_append(out, report.p + report_body, report.len - report_body);
    } else if (ok) {
        as2_seg seg = { (const unsigned char *)report.p, report.len };
        as2_sign_opts o = { .digest = sign_alg == AS2_MIC_NONE ? AS2_MIC_SHA256 : sign_alg,
                            .allow_sha1 = true };
        edi_buf sig = { 0 }, body = { 0 };
        char ct[512];
        as2_error e = as2_cms_sign(&seg, 1, signer->key, signer->cert, &o, &sig, why, why_n);
        if (e == AS2_OK)
            r = as2_mime_write_signed(&seg, 1, (const unsigned char *)sig.p, sig.len,
                                      as2_mic_alg_name(o.digest), false, &body, ct, sizeof ct,
                                      why, why_n);
        else
            r = as2_error_result(e);
        if (r == EDI_OK) {
            ok = putf(out, "Content-Type: %s\r\n\r\n", ct);
            *body_off = out->len;
            ok = ok && edi_buf_append(out, body.p, body.len);
        }
        edi_buf_free(&sig);
        edi_buf_free(&body);
    }
    edi_buf_free(&report);
    if (r == EDI_OK && !ok)
        r = EDI_E_NOMEM;
    if (r == EDI_OK && message_id)
        snprintf(message_id, message_id_n, "%s", mid);
    return r;
}

/* ---- parsing ------------------------------------------------------------------------- */

/* The Content-Type of a part, parsed; false when it has none or it cannot be read. */
static bool part_type(const char *buf, const as2_part *p, as2_content_type *ct)
{
    char v[1024], why[64];
    memset(ct, 0, sizeof *ct);
    return !p->headerless && as2_mime_header(buf, p->headers, "Content-Type", v, sizeof v) &&
           as2_mime_content_type(v, ct, why, sizeof why) == EDI_OK;
}

/* Read the status and modifier out of a Disposition value. */
static void read_disposition(as2_mdn *m)
{
    const char *semi = strchr(m->disposition, ';');
    const char *d = skip_ws(semi ? semi + 1 : m->disposition);
    m->status = AS2_MDN_UNREADABLE;
    const char *slash = strchr(d, '/');
    size_t head = slash ? (size_t)(slash - d) : strlen(d);
    char word[32];
    copy_trimmed(d, head, word, sizeof word);
    if (!strcasecmp(word, "processed") && !slash) {
        m->status = AS2_MDN_PROCESSED;
        return;
    }
    if (!slash)
        return;
    const char *mod = slash + 1;
    const char *sep = mod + strcspn(mod, ":=");
    char kind[32];
    copy_trimmed(mod, (size_t)(sep - mod), kind, sizeof kind);
    if (*sep)
        copy_trimmed(sep + 1, strlen(sep + 1), m->modifier, sizeof m->modifier);
    if (!strcasecmp(word, "failed"))
        m->status = AS2_MDN_FAILED;
    else if (!strcasecmp(word, "processed") && !strcasecmp(kind, "warning"))
        m->status = AS2_MDN_WARNING;
    else if (!strcasecmp(word, "processed"))
        m->status = AS2_MDN_ERROR;
}

/* A field of the message/disposition-notification part. */
static void field(const char *fields, as2_slice sl, const char *name, char *out, size_t n)
{
    if (!as2_mime_header(fields, sl, name, out, n))
        out[0] = '\0';
}

/* "rfc822; NAME" -> "NAME". */
static void after_semicolon(char *s)
{
    char *semi = strchr(s, ';');
    if (!semi)
        return;
    const char *v = skip_ws(semi + 1);
    memmove(s, v, strlen(v) + 1);
}

static edi_result read_notification(const char *buf, const as2_part *p, as2_mdn *m, char *why,
                                    size_t why_n)
{
    edi_buf dec = { 0 };
    edi_result r = as2_mime_decode_body(buf, p, &dec, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&dec);
        return EDI_E_SYNTAX;
    }
    /* The fields are header lines; the block ends at the first empty line or the end. */
    size_t n = dec.len;
    for (size_t i = 0; i + 1 < dec.len; i++)
        if (dec.p[i] == '\n' && (dec.p[i + 1] == '\n' ||
                                 (dec.p[i + 1] == '\r' && i + 2 < dec.len && dec.p[i + 2] == '\n'))) {
            n = i + 1;
            break;
        }
    while (n && (dec.p[n - 1] == '\n' || dec.p[n - 1] == '\r'))
        n--;
    as2_slice sl = { 0, n };
    char mic[256];
    field(dec.p ? dec.p : "", sl, "Disposition", m->disposition, sizeof m->disposition);
    field(dec.p ? dec.p : "", sl, "Original-Message-ID", m->original_message_id,
          sizeof m->original_message_id);
    field(dec.p ? dec.p : "", sl, "Final-Recipient", m->final_recipient,
          sizeof m->final_recipient);
    field(dec.p ? dec.p : "", sl, "Original-Recipient", m->original_recipient,
          sizeof m->original_recipient);
    field(dec.p ? dec.p : "", sl, "Reporting-UA", m->reporting_ua, sizeof m->reporting_ua);
    field(dec.p ? dec.p : "", sl, "Received-Content-MIC", mic, sizeof mic);
    edi_buf_free(&dec);
    after_semicolon(m->final_recipient);
    after_semicolon(m->original_recipient);
    if (mic[0])
        m->has_mic = as2_mic_parse(mic, m->mic_b64, sizeof m->mic_b64, &m->mic_alg);
    if (!m->disposition[0]) {
        edi_say(why, why_n, "the MDN's disposition-notification part has no Disposition field");
        return EDI_E_SYNTAX;
    }
    read_disposition(m);
    return EDI_OK;
}

static void read_text(const char *buf, const as2_part *p, as2_mdn *m)
{
    edi_buf dec = { 0 };
    char why[64];
    if (as2_mime_decode_body(buf, p, &dec, why, sizeof why) == EDI_OK && dec.len)
        copy_trimmed(dec.p, dec.len, m->text, sizeof m->text);
    edi_buf_free(&dec);
}

/* The report whose body is `body` of `buf`, with Content-Type `ct`. */
static edi_result read_report(const char *buf, as2_slice body, const as2_content_type *ct,
                              as2_mdn *m, char *why, size_t why_n)
{
    if (strcmp(ct->type, "multipart/report")) {
        edi_say(why, why_n, "an MDN is multipart/report, not %s", ct->type);
        return EDI_E_SYNTAX;
    }
    as2_multipart mp;
    edi_result r = as2_mime_multipart(buf, body, ct->boundary, &mp, why, why_n);
    if (r != EDI_OK)
        return EDI_E_SYNTAX;
    bool found = false, text = false;
    for (size_t i = 0; i < mp.n && r == EDI_OK; i++) {
        as2_content_type pt;
        bool typed = part_type(buf, &mp.part[i], &pt);
        if (typed && !strcmp(pt.type, "message/disposition-notification") && !found) {
            found = true;
            r = read_notification(buf, &mp.part[i], m, why, why_n);
        } else if (!text && (!typed || !strncmp(pt.type, "text/", 5))) {
            text = true;
            read_text(buf, &mp.part[i], m);
        }
    }
    if (r == EDI_OK && !found) {
        edi_say(why, why_n, "the MDN has no message/disposition-notification part");
        r = EDI_E_SYNTAX;
    }
    return r;
}

edi_result as2_mdn_parse(const char *content_type, const char *buf, size_t len, as2_mdn *out,
                         char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    out->status = AS2_MDN_UNREADABLE;
    as2_content_type ct;
    if (!content_type || as2_mime_content_type(content_type, &ct, why, why_n) != EDI_OK) {
        if (!content_type)
            edi_say(why, why_n, "the MDN has no Content-Type");
        return EDI_E_SYNTAX;
    }
    as2_slice all = { 0, len };
    if (strcmp(ct.type, "multipart/signed"))
        return read_report(buf, all, &ct, out, why, why_n);
    as2_multipart mp;
    if (as2_mime_multipart(buf, all, ct.boundary, &mp, why, why_n) != EDI_OK)
        return EDI_E_SYNTAX;
    if (mp.n != 2) {
        edi_say(why, why_n, "a signed MDN has 2 parts, not %zu", mp.n);
        return EDI_E_SYNTAX;
    }
    out->is_signed = true;
    out->micalg = as2_mic_alg_parse(ct.micalg, (size_t)-1);
    out->signed_part = mp.part[0];
    out->signature = mp.part[1];
    as2_content_type inner;
    if (!part_type(buf, &mp.part[0], &inner)) {
        edi_say(why, why_n, "the signed part of the MDN has no Content-Type");
        return EDI_E_SYNTAX;
    }
    return read_report(buf, mp.part[0].body, &inner, out, why, why_n);
}

bool as2_mdn_is_mdn(const char *content_type, const char *buf, size_t len)
{
    as2_content_type ct;
    char why[128];
    if (!content_type || as2_mime_content_type(content_type, &ct, why, sizeof why) != EDI_OK)
        return false;
    if (!strcmp(ct.type, "multipart/report"))
        return true;
    if (strcmp(ct.type, "multipart/signed"))
        return false;
    as2_multipart mp;
    as2_slice all = { 0, len };
    as2_content_type inner;
    return as2_mime_multipart(buf, all, ct.boundary, &mp, why, sizeof why) == EDI_OK &&
           mp.n >= 1 && part_type(buf, &mp.part[0], &inner) &&
           !strcmp(inner.type, "multipart/report");
}
