/* Composing mail (gateway/mailer.h) without a server: the headers are there once each with
 * CRLF line breaks; an ASCII text goes 7bit, a UTF-8 or long-lined text quoted-printable
 * and decodes back to the same bytes; a non-ASCII subject becomes RFC 2047 words that
 * decode back, none longer than 75 characters; no line is longer than 998 bytes; an
 * attachment decodes back; header injection and bad addresses are refused; the approval
 * mail names the order, customer, requester, amount, reason and expiry, and carries each
 * link whole on a line of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "mailer.h"

#define NOW 1772532000   /* Tue, 03 Mar 2026 10:00:00 +0000 */

/* ---- a small reader of what we wrote, independent of the writer ---- */

typedef struct {
    char *head;   /* header block, NUL-terminated */
    char *body;   /* the rest */
} parsed;

static parsed split(const edi_buf *b)
{
    char *all = malloc(b->len + 1);
    assert_non_null(all);
    memcpy(all, b->p, b->len);
    all[b->len] = '\0';
    char *sep = strstr(all, "\r\n\r\n");
    assert_non_null(sep);
    sep[2] = '\0';
    return (parsed){ all, sep + 4 };
}

/* Every line ends in CRLF, none is longer than `max`, no bare CR or LF. */
static void assert_lines(const char *s, size_t max)
{
    const char *p = s;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        if ((size_t)(e - p) > max)
            fail_msg("a line of %zu bytes (max %zu): %.60s", (size_t)(e - p), max, p);
        for (const char *q = p; q < e; q++)
            assert_true(*q != '\r' && *q != '\n');
        p = e + 2;
    }
}

/* The same for a whole composed mail (an edi_buf has no NUL). */
static void assert_buf_lines(const edi_buf *b, size_t max)
{
    char *all = malloc(b->len + 1);
    assert_non_null(all);
    memcpy(all, b->p, b->len);
    all[b->len] = '\0';
    assert_int_equal(strlen(all), b->len);
    assert_lines(all, max);
    free(all);
}

/* The value of header `name` (unfolded), or NULL. Asserts it occurs at most once. */
static char *header(const char *head, const char *name)
{
    size_t n = strlen(name);
    char *found = NULL;
    for (const char *p = head; *p;) {
        const char *e = strstr(p, "\r\n");
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            assert_null(found);
            found = calloc(1, 4096);
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t len = 0;
            for (;;) {
                memcpy(found + len, v, (size_t)(e - v));
                len += (size_t)(e - v);
                if (e[2] != ' ' && e[2] != '\t')
                    break;
                v = e + 2;   /* unfold: the blank stays */
                e = strstr(v, "\r\n");
            }
            p = e + 2;
            continue;
        }
        p = e + 2;
    }
    return found;
}

static size_t b64_decode(const char *in, size_t n, unsigned char *out)
{
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    assert_true(len >= 0);
    size_t pad = 0;
    while (n > 0 && in[n - 1] == '=') {
        pad++;
        n--;
    }
    return (size_t)len - pad;
}

/* Decode RFC 2047 words "=?UTF-8?B?...?=" separated by folding blanks. */
static void decode_words(const char *v, char *out)
{
    size_t o = 0;
    while (*v) {
        while (*v == ' ')
            v++;
        assert_int_equal(strncmp(v, "=?UTF-8?B?", 10), 0);
        const char *end = strstr(v + 10, "?=");
        assert_non_null(end);
        assert_true((size_t)(end + 2 - v) <= 75);
        o += b64_decode(v + 10, (size_t)(end - v - 10), (unsigned char *)out + o);
        v = end + 2;
    }
    out[o] = '\0';
}

/* Quoted-printable to bytes, hard line breaks as "\n". */
static void decode_qp(const char *s, char *out)
{
    size_t o = 0;
    while (*s) {
        if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 3;
        } else if (s[0] == '=') {
            unsigned v;
            assert_int_equal(sscanf(s + 1, "%2X", &v), 1);
            out[o++] = (char)v;
            s += 3;
        } else if (s[0] == '\r' && s[1] == '\n') {
            out[o++] = '\n';
            s += 2;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = '\0';
}

static void crlf_to_lf(const char *s, char *out)
{
    size_t o = 0;
    for (; *s; s++)
        if (!(s[0] == '\r' && s[1] == '\n'))
            out[o++] = *s;
    out[o] = '\0';
}

/* ---- tests ---- */

static void ascii_mail(void **state)
{
    (void)state;
    mail_message m = { .from = "gateway@supplier.example", .from_name = "EDI \"Gateway\"",
                       .to = "anna@customer.example", .subject = "Order PO-1 waits",
                       .text = "Hello,\nplain text.\n" };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    char *v;
    assert_string_equal(v = header(p.head, "From"),
                        "\"EDI \\\"Gateway\\\"\" <gateway@supplier.example>");
    free(v);
    assert_string_equal(v = header(p.head, "To"), "<anna@customer.example>");
    free(v);
    assert_string_equal(v = header(p.head, "Subject"), "Order PO-1 waits");
    free(v);
    assert_string_equal(v = header(p.head, "Date"), "Tue, 03 Mar 2026 10:00:00 +0000");
    free(v);
    assert_string_equal(v = header(p.head, "MIME-Version"), "1.0");
    free(v);
    assert_string_equal(v = header(p.head, "Content-Transfer-Encoding"), "7bit");
    free(v);
    assert_string_equal(v = header(p.head, "Content-Type"), "text/plain; charset=UTF-8");
    free(v);
    v = header(p.head, "Message-ID");
    assert_non_null(v);
    assert_true(v[0] == '<');
    assert_non_null(strstr(v, "@supplier.example>"));
    char first_id[200];
    snprintf(first_id, sizeof first_id, "%s", v);
    free(v);
    assert_string_equal(p.body, "Hello,\r\nplain text.\r\n");
    free(p.head);
    /* a second mail gets another Message-ID */
    edi_buf c = { 0 };
    assert_int_equal(mailer_compose(&m, NOW, &c, why, sizeof why), EDI_OK);
    parsed q = split(&c);
    v = header(q.head, "Message-ID");
    assert_string_not_equal(v, first_id);
    free(v);
    free(q.head);
    edi_buf_free(&b);
    edi_buf_free(&c);
}

static void utf8_subject_and_text(void **state)
{
    (void)state;
    /* long enough for several words; the emoji must not be cut in half */
    const char *subject = "Freigabe nötig: Bestellung 4711 der Müller & Söhne GmbH über "
                          "12.345,67 € — bitte prüfen 🙂 und entscheiden";
    char text[3000];
    snprintf(text, sizeof text, "Grüße aus Köln.\nZeile mit = Zeichen und Leerzeichen am "
             "Ende   \n%s\n\n.\nEnde\n", "Eine sehr lange Zeile mit Umlauten äöü, die weit "
             "über sechsundsiebzig Zeichen hinausgeht und deshalb umbrochen werden muss, "
             "weich, mit Gleichheitszeichen am Zeilenende, ohne ein =C3=A4 zu zerteilen.");
    mail_message m = { .from = "gw@supplier.example", .from_name = "Lieferant Großhandel",
                       .to = "anna@customer.example", .to_name = "Anna Šimić",
                       .subject = subject, .text = text };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    assert_lines(p.body, 76);
    assert_lines(p.head, 78);   /* RFC 5322's recommended length, with encoded words */
    char *v = header(p.head, "Subject");
    char decoded[1000];
    decode_words(v, decoded);
    assert_string_equal(decoded, subject);
    free(v);
    v = header(p.head, "To");
    assert_non_null(strstr(v, " <anna@customer.example>"));
    *strstr(v, " <") = '\0';
    decode_words(v, decoded);
    assert_string_equal(decoded, "Anna Šimić");
    free(v);
    assert_string_equal(v = header(p.head, "Content-Transfer-Encoding"), "quoted-printable");
    free(v);
    /* the header block itself is ASCII */
    for (const char *s = p.head; *s; s++)
        assert_true((unsigned char)*s < 0x80);
    char body[4000];
    decode_qp(p.body, body);
    assert_string_equal(body, text);
    /* the trailing blanks are encoded, not left for a server to strip */
    assert_non_null(strstr(p.body, "  =20\r\n"));
    free(p.head);
    edi_buf_free(&b);
}

static void long_ascii_line_goes_quoted_printable(void **state)
{
    (void)state;
    char text[2100];
    memset(text, 'x', 2000);
    memcpy(text + 2000, "\nend\n", 6);
    mail_message m = { .from = "gw@supplier.example", .to = "a@customer.example",
                       .subject = "long", .text = text };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    char *v = header(p.head, "Content-Transfer-Encoding");
    assert_string_equal(v, "quoted-printable");
    free(v);
    char body[2200];
    decode_qp(p.body, body);
    assert_string_equal(body, text);
    free(p.head);
    edi_buf_free(&b);
}

static void attachment(void **state)
{
    (void)state;
    unsigned char data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    mail_message m = { .from = "gw@supplier.example", .to = "a@customer.example",
                       .subject = "Rechnung", .text = "Anbei.\n",
                       .attachment_name = "Rechnung März.pdf",
                       .attachment_type = "application/pdf", .attachment = data,
                       .attachment_len = sizeof data };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    char *ct = header(p.head, "Content-Type");
    const char *bq = strstr(ct, "boundary=\"");
    assert_non_null(bq);
    char boundary[100];
    snprintf(boundary, sizeof boundary, "%.*s", (int)(strchr(bq + 10, '"') - bq - 10), bq + 10);
    free(ct);
    char delim[120], close_delim[120];
    snprintf(delim, sizeof delim, "\r\n--%s\r\n", boundary);
    snprintf(close_delim, sizeof close_delim, "\r\n--%s--\r\n", boundary);
    const char *part1 = strstr(p.body, delim);
    assert_non_null(part1);
    const char *part2 = strstr(part1 + 1, delim);
    assert_non_null(part2);
    const char *end = strstr(part2, close_delim);
    assert_non_null(end);
    assert_non_null(strstr(part1, "Content-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(part2, "Content-Type: application/pdf\r\n"));
    assert_non_null(strstr(part2, "filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"));
    const char *data_start = strstr(part2, "\r\n\r\n") + 4;
    char b64[2000];
    size_t n = 0;
    for (const char *s = data_start; s < end; s++)
        if (*s != '\r' && *s != '\n')
            b64[n++] = *s;
    /* base64 lines are 76 characters */
    assert_lines(data_start, 76);
    unsigned char back[1100];
    assert_int_equal(b64_decode(b64, n, back), sizeof data);
    assert_memory_equal(back, data, sizeof data);
    free(p.head);
    edi_buf_free(&b);
}

static void refusals(void **state)
{
    (void)state;
    char why[300];
    edi_buf b = { 0 };
    mail_message good = { .from = "gw@supplier.example", .to = "a@customer.example",
                          .subject = "s", .text = "t" };
    mail_message m = good;
    m.subject = "Hi\r\nBcc: victim@example.com";
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "subject"));
    m = good;
    m.to_name = "Anna\nBcc: x@example.com";
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    const char *bad_addresses[] = { "anna", "anna@", "@example.com", "a b@example.com",
                                    "a@example.com>\r\nBcc: <x@example.com", "a@b@c.com",
                                    "<a@example.com>", "a@example.", "" };
    for (size_t i = 0; i < sizeof bad_addresses / sizeof bad_addresses[0]; i++) {
        m = good;
        m.to = bad_addresses[i];
        assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    }
    m = good;
    m.text = "bad \xc3\x28 utf-8";
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "not UTF-8"));
    m = good;
    m.subject = "";
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    m = good;
    m.attachment_name = "x.bin";
    m.attachment_type = "not a type";
    m.attachment = "x";
    m.attachment_len = 1;
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    assert_int_equal(b.len, 0);
    assert_int_equal(mailer_compose(&good, NOW, &b, why, sizeof why), EDI_OK);
    edi_buf_free(&b);
}

static const char *APPROVE =
    "https://gateway.example/approve?t=Z3cxCmFwLTQyCmFubmEKYXBwcm92ZQoxNzY3MjI5MjAwCjAxMjM0"
    "NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmZ3cxCmFwLTQyCmFubmEKYXBwcm92ZQoxNzY3MjI5MjAwCjAx"
    "MjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm.q8nR2YbEWmFzZXN0cmluZ19zaWduYXR1cmVfMzJieXRl";
static const char *REJECT = "https://gateway.example/reject?t=abc.def";

static void approval_mail_ascii(void **state)
{
    (void)state;
    approval_mail a = { .order_number = "PO-4711", .customer_name = "Acme Tools Ltd",
                        .requester_name = "Ben Baker", .approver_name = "Anna",
                        .amount = "1200.00", .currency = "EUR",
                        .reason = "The order needs approval: its amount 1200.00 EUR is above "
                                  "the customer's approval limit of 1000.00 EUR.",
                        .approve_url = APPROVE, .reject_url = REJECT,
                        .expires_at = NOW + 3 * 86400 };
    mail_message env = { .from = "gw@supplier.example", .from_name = "Supplier",
                         .to = "anna@acme.example", .to_name = "Anna" };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose_approval(&a, &env, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    char *v = header(p.head, "Subject");
    assert_non_null(strstr(v, "PO-4711"));
    assert_non_null(strstr(v, "Acme Tools Ltd"));
    assert_non_null(strstr(v, "1200.00 EUR"));
    free(v);
    v = header(p.head, "Content-Transfer-Encoding");
    assert_string_equal(v, "7bit");   /* the links stay whole on their lines */
    free(v);
    char line[1000];
    snprintf(line, sizeof line, "\r\n%s\r\n", APPROVE);
    assert_non_null(strstr(p.body, line));
    snprintf(line, sizeof line, "\r\n%s\r\n", REJECT);
    assert_non_null(strstr(p.body, line));
    assert_non_null(strstr(p.body, "Ben Baker of Acme Tools Ltd placed order PO-4711 for "
                                   "1200.00 EUR."));
    assert_non_null(strstr(p.body, "above the customer's approval limit"));
    assert_non_null(strstr(p.body, "until 2026-03-06 10:00 UTC"));
    assert_non_null(strstr(p.body, "Hello Anna,"));
    free(p.head);
    edi_buf_free(&b);

    /* missing pieces are refused */
    a.approve_url = NULL;
    assert_int_equal(mailer_compose_approval(&a, &env, NOW, &b, why, sizeof why), EDI_E_ARG);
}

static void approval_mail_utf8(void **state)
{
    (void)state;
    approval_mail a = { .order_number = "B-77", .customer_name = "Müller Bäckerei",
                        .requester_name = NULL, .amount = "99.50", .currency = "EUR",
                        .reason = "The order needs approval: the partner profile's policy "
                                  "has every order approved.",
                        .approve_url = APPROVE, .expires_at = NOW + 86400 };
    mail_message env = { .from = "gw@supplier.example", .to = "chef@mueller.example" };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose_approval(&a, &env, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    assert_lines(p.body, 76);
    char *v = header(p.head, "Subject");
    char subject[500];
    decode_words(v, subject);
    free(v);
    assert_string_equal(subject, "Approval needed: order B-77 of Müller Bäckerei, 99.50 EUR");
    char body[4000];
    decode_qp(p.body, body);
    char line[1000];
    snprintf(line, sizeof line, "\n%s\n", APPROVE);
    assert_non_null(strstr(body, line));
    assert_non_null(strstr(body, "Müller Bäckerei sent order B-77 for 99.50 EUR."));
    assert_non_null(strstr(body, "The link works once"));
    assert_null(strstr(body, "Reject the order"));
    char lf[4000];
    crlf_to_lf(p.body, lf);
    assert_null(strstr(lf, "Müller"));   /* the raw body is quoted-printable, not 8bit */
    free(p.head);
    edi_buf_free(&b);
}

static void send_refusals(void **state)
{
    (void)state;
    const char *msg = "Subject: x\r\n\r\nx\r\n";
    char why[600];
    mailer_options o = { .url = "http://127.0.0.1:1/", .timeout_ms = 2000 };
    assert_int_equal(mailer_send(&o, "a@b.example", "c@d.example", msg, strlen(msg), why,
                                 sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "smtp://"));
    /* a password is never sent in the clear */
    o = (mailer_options){ .url = "smtp://127.0.0.1:1", .user = "u", .password = "p" };
    assert_int_equal(mailer_send(&o, "a@b.example", "c@d.example", msg, strlen(msg), why,
                                 sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "without TLS"));
    assert_null(strstr(why, "p\""));
    /* nothing listens on port 1 of loopback: worth trying again later */
    o = (mailer_options){ .url = "smtp://127.0.0.1:1", .timeout_ms = 3000 };
    assert_int_equal(mailer_send(&o, "a@b.example", "c@d.example", msg, strlen(msg), why,
                                 sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "smtp://127.0.0.1:1"));
    assert_int_equal(mailer_send(&o, "not an address", "c@d.example", msg, strlen(msg), why,
                                 sizeof why), EDI_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ascii_mail),
        cmocka_unit_test(utf8_subject_and_text),
        cmocka_unit_test(long_ascii_line_goes_quoted_printable),
        cmocka_unit_test(attachment),
        cmocka_unit_test(refusals),
        cmocka_unit_test(approval_mail_ascii),
        cmocka_unit_test(approval_mail_utf8),
        cmocka_unit_test(send_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
