/* The e-mail channel's mail for an outbound message (gateway/channel_email.h), read back with
 * GMime: an EDIFACT ORDRSP goes to the profile's recipients and copies from its sender, as
 * application/EDIFACT under its file name with its bytes unchanged, the subject carries the
 * prefix, the kind and BGM's number (release characters undone) and the order; an XRechnung
 * goes as application/xml with its HTML rendering beside it, the invoice number in the
 * subject and the text; the Message-ID is the message's own and the same every time; media
 * types by format and file name; no sender configured is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "channel_email.h"
#include "config.h"
#include "edi_buf.h"

#define NOW 1772532000

static const char ORDRSP[] =
    "UNA:+.? '\n"
    "UNB+UNOC:3+4012345000009:14+4098765000005:14+260303:1000+R7'\n"
    "UNH+1+ORDRSP:D:96A:UN:EAN005'\n"
    "BGM+231+R?+7+29'\n"
    "DTM+137:20260303:102'\n"
    "UNT+3+1'\n"
    "UNZ+1+R7'\n";

static void email_partner(partner *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "mueller");
    snprintf(p->name, sizeof p->name, "Müller Bäckerei");
    p->channel = PARTNER_CHANNEL_EMAIL;
    snprintf(p->email.address, sizeof p->email.address, "edi@mueller.example");
    snprintf(p->email.to[0], sizeof p->email.to[0], "einkauf@mueller.example");
    snprintf(p->email.to[1], sizeof p->email.to[1], "lager@mueller.example");
    p->email.n_to = 2;
    snprintf(p->email.cc[0], sizeof p->email.cc[0], "archiv@mueller.example");
    p->email.n_cc = 1;
    snprintf(p->email.from, sizeof p->email.from, "orders@supplier.example");
    snprintf(p->email.subject_prefix, sizeof p->email.subject_prefix, "[Müller EDI]");
}

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

static char *part_bytes(GMimeObject *o, size_t *len)
{
    GMimeStream *out = g_mime_stream_mem_new();
    assert_true(g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(o)),
                                                    out) >= 0);
    GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    char *copy = g_malloc(a->len + 1);
    if (a->len)
        memcpy(copy, a->data, a->len);
    copy[a->len] = '\0';
    *len = a->len;
    g_object_unref(out);
    return copy;
}

static void assert_mime_type(GMimeObject *o, const char *want)
{
    char *t = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o));
    assert_string_equal(t, want);
    g_free(t);
}

static const char *addr_at(InternetAddressList *l, int i)
{
    return internet_address_mailbox_get_addr(
        INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(l, i)));
}

static void edifact_answer(void **state)
{
    (void)state;
    partner p;
    email_partner(&p);
    store_message m = { .id = 42, .direction = STORE_OUT, .content_id = "0123456789abcdef0123",
                        .filename = "ORDRSP-7.edi", .format = "EDIFACT ORDRSP",
                        .reference = "PO-4711" };
    orders_settings set = { .mail_from = "gateway@supplier.example", .mail_from_name = "EDI" };
    edi_buf b = { 0 };
    char note[300], why[300];
    assert_int_equal(channel_email_compose(&set, NULL, &p, &m, ORDRSP, strlen(ORDRSP), NOW, &b,
                                           note, sizeof note, why, sizeof why), EDI_OK);
    assert_string_equal(note, "");
    GMimeMessage *mail = parse_mail(&b);
    assert_string_equal(addr_at(g_mime_message_get_from(mail), 0), "orders@supplier.example");
    InternetAddressList *to = g_mime_message_get_to(mail);
    assert_int_equal(internet_address_list_length(to), 2);
    assert_string_equal(addr_at(to, 0), "einkauf@mueller.example");
    assert_string_equal(addr_at(to, 1), "lager@mueller.example");
    assert_string_equal(addr_at(g_mime_message_get_cc(mail), 0), "archiv@mueller.example");
    assert_string_equal(g_mime_message_get_subject(mail),
                        "[Müller EDI] Order response R+7, order PO-4711");
    char id[320];
    channel_email_message_id(&m, "orders@supplier.example", id, sizeof id);
    assert_string_equal(id, "edi-out-42.0123456789abcdef@supplier.example");
    assert_string_equal(g_mime_message_get_message_id(mail), id);

    GMimeObject *top = g_mime_message_get_mime_part(mail);
    assert_true(GMIME_IS_MULTIPART(top));
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 2);
    size_t n;
    char *text = part_bytes(g_mime_multipart_get_part(GMIME_MULTIPART(top), 0), &n);
    assert_non_null(strstr(text, "Order response R+7 for order PO-4711"));
    assert_non_null(strstr(text, "Müller Bäckerei (mueller)"));
    assert_non_null(strstr(text, "ORDRSP-7.edi"));
    g_free(text);
    GMimeObject *att = g_mime_multipart_get_part(GMIME_MULTIPART(top), 1);
    assert_mime_type(att, "application/EDIFACT");
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(att)), "ORDRSP-7.edi");
    char *bytes = part_bytes(att, &n);
    assert_int_equal(n, strlen(ORDRSP));
    assert_memory_equal(bytes, ORDRSP, n);
    g_free(bytes);
    g_object_unref(mail);

    /* the same message gets the same Message-ID again */
    edi_buf again = { 0 };
    assert_int_equal(channel_email_compose(&set, NULL, &p, &m, ORDRSP, strlen(ORDRSP), NOW + 60,
                                           &again, note, sizeof note, why, sizeof why), EDI_OK);
    mail = parse_mail(&again);
    assert_string_equal(g_mime_message_get_message_id(mail), id);
    g_object_unref(mail);
    edi_buf_free(&again);
    edi_buf_free(&b);

    /* without <from> in the profile nor in the configuration there is no sender */
    p.email.from[0] = '\0';
    set.mail_from = NULL;
    assert_int_equal(channel_email_compose(&set, NULL, &p, &m, ORDRSP, strlen(ORDRSP), NOW, &b,
                                           note, sizeof note, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "<orders><mail"));
    edi_buf_free(&b);
}

static void xrechnung_with_html(void **state)
{
    (void)state;
    edi_buf xml = { 0 };
    char why[512];
    int fd = open("tests/corpus/einvoice/xrechnung/01.01_comprehensive_test_ubl.xml", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(edi_buf_read_fd(&xml, fd, 1 << 24), EDI_OK);
    close(fd);
    convert_engine *e = convert_engine_new(config_default_formats_dir(),
                                           config_default_xslt_dir(), why, sizeof why);
    assert_non_null(e);
    partner p;
    email_partner(&p);
    p.email.n_to = 0;       /* to the partner's address */
    p.email.n_cc = 0;
    p.email.subject_prefix[0] = '\0';
    p.email.from[0] = '\0'; /* from the configuration */
    store_message m = { .id = 9, .direction = STORE_OUT, .content_id = "feedbeef00112233aa",
                        .filename = "XRECHNUNG-1234567.xml", .format = "XRechnung UBL Invoice",
                        .reference = "PO-9" };
    orders_settings set = { .mail_from = "billing@supplier.example" };
    edi_buf b = { 0 };
    char note[300];
    assert_int_equal(channel_email_compose(&set, e, &p, &m, xml.p, xml.len, NOW, &b, note,
                                           sizeof note, why, sizeof why), EDI_OK);
    assert_string_equal(note, "");
    GMimeMessage *mail = parse_mail(&b);
    assert_string_equal(addr_at(g_mime_message_get_from(mail), 0), "billing@supplier.example");
    assert_int_equal(internet_address_list_length(g_mime_message_get_to(mail)), 1);
    assert_string_equal(addr_at(g_mime_message_get_to(mail), 0), "edi@mueller.example");
    assert_string_equal(g_mime_message_get_subject(mail), "Invoice 1234567, order PO-9");
    GMimeObject *top = g_mime_message_get_mime_part(mail);
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(top)), 3);
    size_t n;
    char *text = part_bytes(g_mime_multipart_get_part(GMIME_MULTIPART(top), 0), &n);
    assert_non_null(strstr(text, "XRECHNUNG-1234567.html"));
    g_free(text);
    GMimeObject *inv = g_mime_multipart_get_part(GMIME_MULTIPART(top), 1);
    assert_mime_type(inv, "application/xml");
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(inv)), "XRECHNUNG-1234567.xml");
    char *bytes = part_bytes(inv, &n);
    assert_int_equal(n, xml.len);
    assert_memory_equal(bytes, xml.p, n);
    g_free(bytes);
    GMimeObject *html = g_mime_multipart_get_part(GMIME_MULTIPART(top), 2);
    assert_mime_type(html, "text/html");
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(html)), "XRECHNUNG-1234567.html");
    bytes = part_bytes(html, &n);
    assert_non_null(strstr(bytes, "<html"));
    assert_non_null(strstr(bytes, "1234567"));
    g_free(bytes);
    g_object_unref(mail);
    edi_buf_free(&b);
    convert_engine_free(e);
    edi_buf_free(&xml);
}

static void media_types(void **state)
{
    (void)state;
    store_message m = { .format = "EDIFACT INVOIC", .filename = "INVOIC-1.edi" };
    assert_string_equal(channel_email_media_type(&m), "application/EDIFACT");
    snprintf(m.format, sizeof m.format, "openTRANS 2.1 ORDERRESPONSE");
    snprintf(m.filename, sizeof m.filename, "ORDERRESPONSE-3.xml");
    assert_string_equal(channel_email_media_type(&m), "application/xml");
    snprintf(m.format, sizeof m.format, "Peppol BIS 3 UBL Invoice");
    assert_string_equal(channel_email_media_type(&m), "application/xml");
    m.format[0] = '\0';
    snprintf(m.filename, sizeof m.filename, "invoice.html");
    assert_string_equal(channel_email_media_type(&m), "text/html");
    snprintf(m.filename, sizeof m.filename, "data.bin");
    assert_string_equal(channel_email_media_type(&m), "application/octet-stream");
}

static void no_server(void **state)
{
    (void)state;
    partner p;
    email_partner(&p);
    store_message m = { .id = 1, .filename = "ORDRSP-1.edi", .format = "EDIFACT ORDRSP" };
    char where[512], fix[256], detail[1024] = "", sentence[640];
    assert_int_equal(channel_email_deliver(NULL, NULL, NULL, &p, &m, ORDRSP, strlen(ORDRSP),
                                           where, sizeof where, fix, sizeof fix, detail,
                                           sizeof detail, sentence, sizeof sentence), EDI_E_ARG);
    assert_non_null(strstr(where, "einkauf@mueller.example, lager@mueller.example, "
                                  "archiv@mueller.example"));
    assert_non_null(strstr(sentence, "no SMTP server"));
    assert_string_equal(detail, "");
    /* nothing listens on port 1: temporary */
    mailer_options o = { .url = "smtp://127.0.0.1:1", .timeout_ms = 3000 };
    orders_settings set = { .mail_from = "gw@supplier.example" };
    assert_int_equal(channel_email_deliver(&o, &set, NULL, &p, &m, ORDRSP, strlen(ORDRSP), where,
                                           sizeof where, fix, sizeof fix, detail, sizeof detail,
                                           sentence, sizeof sentence), EDI_E_IO);
    assert_non_null(strstr(sentence, "smtp://127.0.0.1:1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edifact_answer),
        cmocka_unit_test(xrechnung_with_html),
        cmocka_unit_test(media_types),
        cmocka_unit_test(no_server),
    };
    mailer_init();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    mailer_shutdown();
    return failed;
}
