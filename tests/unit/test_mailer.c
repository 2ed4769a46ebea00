/* Composing mail (gateway/mailer.h) without a server: the headers are there once each with
 * CRLF line breaks; an ASCII text goes 7bit, a UTF-8 or long-lined text quoted-printable
 * and decodes back to the same bytes; a non-ASCII subject and names become RFC 2047 words
 * that decode back, none longer than 75 characters; no line is longer than 998 bytes;
 * attachments (any number) decode back with their names (RFC 2231 for non-ASCII, long
 * names continued), media types and bytes; the HTML alternative sits beside the text in a
 * multipart/alternative; more recipients and copies are listed; header injection and bad
 * addresses are refused; the approval mail names the order, customer, requester, amount,
 * reason and expiry, and carries each link whole on a line of its own. What we write is
 * read back with GMime's parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

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

/* Every RFC 2047 word in a header value is at most 75 characters long. */
static void assert_words_short(const char *v)
{
    for (const char *w = strstr(v, "=?"); w; w = strstr(w + 2, "=?")) {
        const char *q1 = strchr(w + 2, '?');
        assert_non_null(q1);
        const char *q2 = strchr(q1 + 1, '?');
        assert_non_null(q2);
        const char *end = strstr(q2 + 1, "?=");
        assert_non_null(end);
        assert_true((size_t)(end + 2 - w) <= 75);
        w = end;
    }
}

/* The composed mail read back by GMime's parser (unref it). */
static GMimeMessage *parse_mail(const edi_buf *b)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(b->p, b->len);
    GMimeParser *parser = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(s);
    assert_non_null(m);
    return m;
}

/* The decoded bytes of a leaf part, NUL-terminated (g_free). */
static char *part_bytes(GMimePart *part, size_t *len)
{
    GMimeStream *out = g_mime_stream_mem_new();
    assert_true(g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(part), out) >= 0);
    GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    char *copy = g_malloc(a->len + 1);
    if (a->len)
        memcpy(copy, a->data, a->len);
    copy[a->len] = '\0';
    *len = a->len;
    g_object_unref(out);
    return copy;
}

static void assert_type(GMimeObject *o, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    assert_string_equal(g_mime_content_type_get_media_type(ct), type);
    assert_string_equal(g_mime_content_type_get_media_subtype(ct), subtype);
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
    v = header(p.head, "To");   /* with or without brackets: no name */
    assert_true(!strcmp(v, "anna@customer.example") || !strcmp(v, "<anna@customer.example>"));
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
    assert_words_short(v);
    free(v);
    v = header(p.head, "To");
    assert_non_null(strstr(v, " <anna@customer.example>"));
    assert_words_short(v);
    free(v);
    GMimeMessage *back = parse_mail(&b);
    assert_string_equal(g_mime_message_get_subject(back), subject);
    InternetAddressList *to = g_mime_message_get_to(back);
    assert_int_equal(internet_address_list_length(to), 1);
    InternetAddress *anna = internet_address_list_get_address(to, 0);
    assert_string_equal(internet_address_get_name(anna), "Anna Šimić");
    assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(anna)),
                        "anna@customer.example");
    InternetAddress *from = internet_address_list_get_address(g_mime_message_get_from(back), 0);
    assert_string_equal(internet_address_get_name(from), "Lieferant Großhandel");
    g_object_unref(back);
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
    mail_attachment pdf = { .name = "Rechnung März.pdf", .type = "application/pdf",
                            .data = data, .len = sizeof data };
    mail_message m = { .from = "gw@supplier.example", .to = "a@customer.example",
                       .subject = "Rechnung", .text = "Anbei.\n", .attachments = &pdf,
                       .n_attachments = 1 };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    char *ct = header(p.head, "Content-Type");
    assert_non_null(strstr(ct, "multipart/mixed"));
    free(ct);
    /* RFC 2231 in UTF-8, whatever charset would be shorter */
    assert_non_null(strstr(p.body, "filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"));
    free(p.head);
    GMimeMessage *back = parse_mail(&b);
    GMimeObject *top = g_mime_message_get_mime_part(back);
    assert_true(GMIME_IS_MULTIPART(top));
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 2);
    GMimeObject *text = g_mime_multipart_get_part(GMIME_MULTIPART(top), 0);
    assert_type(text, "text", "plain");
    size_t n;
    char *t = part_bytes(GMIME_PART(text), &n);
    assert_string_equal(t, "Anbei.\r\n");
    g_free(t);
    GMimeObject *att = g_mime_multipart_get_part(GMIME_MULTIPART(top), 1);
    assert_type(att, "application", "pdf");
    assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(att)),
                     GMIME_CONTENT_ENCODING_BASE64);
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(att)), "Rechnung März.pdf");
    assert_string_equal(g_mime_object_get_disposition(att), "attachment");
    char *back_data = part_bytes(GMIME_PART(att), &n);
    assert_int_equal(n, sizeof data);
    assert_memory_equal(back_data, data, sizeof data);
    g_free(back_data);
    g_object_unref(back);
    edi_buf_free(&b);
}

/* Three attachments (an EDIFACT file, an XML file whose long name with umlauts continues
 * over several RFC 2231 sections, an empty one) and an HTML alternative. */
static void attachments_and_html(void **state)
{
    (void)state;
    const char *edi = "UNA:+.? 'UNB+UNOC:3+4012345000009:14+4098765000005:14+260303:1000+R7'\n"
                      "UNH+1+ORDRSP:D:96A:UN:EAN005'\r\nBGM+231+R7+29'\n";
    unsigned char xml[3000];
    for (size_t i = 0; i < sizeof xml; i++)
        xml[i] = (unsigned char)(i % 251);
    const char *long_name = "XRechnung Müller Bäckerei Großhandel Überweisung März 2026 "
                            "Rechnungsnummer INV-2026-000001 für Lieferung 4711.xml";
    mail_attachment files[3] = {
        { .name = "ORDRSP-7.edi", .type = "application/EDIFACT", .data = edi,
          .len = strlen(edi) },
        { .name = long_name, .type = "application/xml", .data = xml, .len = sizeof xml },
        { .name = "leer.txt", .type = NULL, .data = NULL, .len = 0 },
    };
    const char *more[] = { "einkauf@customer.example" };
    const char *cc[] = { "buchhaltung@customer.example", "archiv@customer.example" };
    const char *html = "<html><body><p>Rechnung für Müller</p></body></html>\n";
    mail_message m = { .from = "gw@supplier.example", .to = "a@customer.example",
                       .more_to = more, .n_more_to = 1, .cc = cc, .n_cc = 2,
                       .subject = "Rechnung INV-2026-000001", .text = "Anbei die Rechnung.\n",
                       .html = html, .attachments = files, .n_attachments = 3,
                       .message_id = "edi-out-42.0123abcd@supplier.example" };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    assert_buf_lines(&b, 998);
    parsed p = split(&b);
    assert_lines(p.head, 78);
    char *v = header(p.head, "Message-ID");
    assert_string_equal(v, "<edi-out-42.0123abcd@supplier.example>");
    free(v);
    free(p.head);

    GMimeMessage *back = parse_mail(&b);
    InternetAddressList *to = g_mime_message_get_to(back);
    assert_int_equal(internet_address_list_length(to), 2);
    assert_string_equal(internet_address_mailbox_get_addr(
                            INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(to, 1))),
                        "einkauf@customer.example");
    InternetAddressList *cl = g_mime_message_get_cc(back);
    assert_int_equal(internet_address_list_length(cl), 2);
    assert_string_equal(internet_address_mailbox_get_addr(
                            INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(cl, 1))),
                        "archiv@customer.example");
    assert_string_equal(g_mime_message_get_message_id(back), "edi-out-42.0123abcd@supplier.example");

    GMimeObject *top = g_mime_message_get_mime_part(back);
    assert_type(top, "multipart", "mixed");
    GMimeMultipart *mixed = GMIME_MULTIPART(top);
    assert_int_equal(g_mime_multipart_get_count(mixed), 4);
    GMimeObject *alt = g_mime_multipart_get_part(mixed, 0);
    assert_type(alt, "multipart", "alternative");
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(alt)), 2);
    GMimeObject *plain = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 0);
    GMimeObject *hpart = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1);
    assert_type(plain, "text", "plain");
    assert_type(hpart, "text", "html");
    assert_string_equal(g_mime_object_get_content_type_parameter(hpart, "charset"), "UTF-8");
    size_t n;
    char *got = part_bytes(GMIME_PART(hpart), &n);
    char want[200];
    snprintf(want, sizeof want, "%.*s\r\n", (int)strlen(html) - 1, html);
    assert_string_equal(got, want);
    g_free(got);

    const char *types[3][2] = { { "application", "EDIFACT" }, { "application", "xml" },
                                { "application", "octet-stream" } };
    for (int i = 0; i < 3; i++) {
        GMimeObject *a = g_mime_multipart_get_part(mixed, i + 1);
        assert_type(a, types[i][0], types[i][1]);
        assert_string_equal(g_mime_object_get_disposition(a), "attachment");
        assert_string_equal(g_mime_part_get_filename(GMIME_PART(a)), files[i].name);
        got = part_bytes(GMIME_PART(a), &n);
        assert_int_equal(n, files[i].len);
        if (n)
            assert_memory_equal(got, files[i].data, n);
        g_free(got);
    }
    /* the EDIFACT bytes went as they are: base64, its line breaks (LF and CRLF) kept */
    assert_int_equal(g_mime_part_get_content_encoding(
                         GMIME_PART(g_mime_multipart_get_part(mixed, 1))),
                     GMIME_CONTENT_ENCODING_BASE64);
    g_object_unref(back);
    edi_buf_free(&b);
}

/* Only an HTML alternative: a multipart/alternative is the whole body. */
static void html_without_attachments(void **state)
{
    (void)state;
    mail_message m = { .from = "gw@supplier.example", .to = "a@customer.example",
                       .subject = "s", .text = "plain\n", .html = "<p>rich</p>" };
    edi_buf b = { 0 };
    char why[300];
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_OK);
    GMimeMessage *back = parse_mail(&b);
    GMimeObject *top = g_mime_message_get_mime_part(back);
    assert_type(top, "multipart", "alternative");
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 2);
    g_object_unref(back);
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
    mail_attachment bad = { .name = "x.bin", .type = "not a type", .data = "x", .len = 1 };
    m.attachments = &bad;
    m.n_attachments = 1;
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    mail_attachment broken = { .name = "a\r\nContent-Type: text/html", .type = "text/plain",
                                .data = "x", .len = 1 };
    m.attachments = &broken;
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "attachment 1"));
    m = good;
    const char *bad_cc[] = { "ok@customer.example", "x@y.example\r\nBcc: z@example.com" };
    m.cc = bad_cc;
    m.n_cc = 2;
    assert_int_equal(mailer_compose(&m, NOW, &b, why, sizeof why), EDI_E_ARG);
    m = good;
    m.message_id = "<id@x.example>";
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
    assert_words_short(v);
    free(v);
    GMimeMessage *back = parse_mail(&b);
    assert_string_equal(g_mime_message_get_subject(back),
                        "Approval needed: order B-77 of Müller Bäckerei, 99.50 EUR");
    g_object_unref(back);
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
        cmocka_unit_test(attachments_and_html),
        cmocka_unit_test(html_without_attachments),
        cmocka_unit_test(refusals),
        cmocka_unit_test(approval_mail_ascii),
        cmocka_unit_test(approval_mail_utf8),
        cmocka_unit_test(send_refusals),
    };
    mailer_init();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mailer_shutdown();
    return failed;
}
