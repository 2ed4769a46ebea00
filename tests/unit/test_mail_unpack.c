/* Reading received mails (gateway/mail_unpack.h) made by hand: a multipart/mixed mail with
 * a base64 EDIFACT attachment and a quoted-printable XML invoice gives both documents with
 * their bytes, names, parts and formats, and the decoded subject, sender and Message-ID;
 * RFC 2231 and RFC 2047 file names with umlauts are decoded; documents in nested multiparts
 * are found with their part numbers, HTML alternatives and pictures left aside; an EDIFACT
 * text body is a document only when there is no attachment; a delivery status
 * notification gives the bounced mail's Message-ID, recipient, status and diagnostic;
 * malformed boundaries, a multipart without boundary, damaged base64, an .xml attachment
 * that is no document, a mail with only text and bytes that are no mail at all are
 * refused with a sentence naming the part and file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_unpack.h"
#include "mailer.h"

#define EDI "UNA:+.? 'UNB+UNOC:3+4012345000009:14+4098765000002:14+260303:1000+42'" \
            "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO-77+9'UNT+3+1'UNZ+1+42'"
/* EDI as base64, in two lines */
#define EDI_B64 "VU5BOisuPyAnVU5CK1VOT0M6Mys0MDEyMzQ1MDAwMDA5OjE0KzQwOTg3NjUwMDAwMDI6MTQrMjYw\r\n" \
                "MzAzOjEwMDArNDInVU5IKzErT1JERVJTOkQ6OTZBOlVOOkVBTjAwOCdCR00rMjIwK1BPLTc3Kzkn\r\n" \
                "VU5UKzMrMSdVTlorMSs0MicK"
#define UBL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice xmlns=\"urn:oasis:names:" \
            "specification:ubl:schema:xsd:Invoice-2\"><ID>INV-1</ID><Note>Gr\xc3\xb6\xc3\x9f" \
            "e =3D 5</Note></Invoice>\n"
#define UBL_CRLF "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Invoice xmlns=\"urn:oasis:names:" \
                 "specification:ubl:schema:xsd:Invoice-2\"><ID>INV-1</ID><Note>Gr\xc3\xb6\xc3\x9f" \
                 "e =3D 5</Note></Invoice>" /* the line break before a boundary is the boundary's */
#define UBL_QP "<?xml version=3D\"1.0\" encoding=3D\"UTF-8\"?>\r\n<Invoice xmlns=3D\"urn:oasis:n=\r\n" \
               "ames:specification:ubl:schema:xsd:Invoice-2\"><ID>INV-1</ID><Note>Gr=C3=B6=C3=\r\n" \
               "=9Fe =3D3D 5</Note></Invoice>\r\n"

static int setup(void **state)
{
    (void)state;
    mailer_init();
    return 0;
}

static void unpack(const char *mail, mail_unpacked *u)
{
    char why[256] = "";
    assert_int_equal(mail_unpack(mail, strlen(mail), u, why, sizeof why), EDI_OK);
}

static void base64_matches_the_sample(void **state)
{
    (void)state;
    /* The fixture's base64 must be EDI itself, or the first test proves nothing. */
    mail_unpacked u;
    unpack("From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           "Content-Type: application/EDIFACT\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           EDI_B64 "\r\n", &u);
    assert_false(u.failed);
    assert_int_equal(u.n_docs, 1);
    assert_int_equal(u.docs[0].len, strlen(EDI) + 1);
    mail_unpacked_free(&u);
}

#define MIXED                                                                           \
    "Return-Path: <einkauf@mueller.example>\r\n"                                        \
    "From: =?UTF-8?Q?M=C3=BCller_Einkauf?= <einkauf@mueller.example>\r\n"              \
    "To: orders@gateway.example\r\n"                                                  \
    "Subject: =?UTF-8?Q?Bestellung_M=C3=BCller?= PO-77\r\n"                           \
    "Date: Tue, 03 Mar 2026 10:00:00 +0100\r\n"                                       \
    "Message-ID: <po77.1@mueller.example>\r\n"                                        \
    "MIME-Version: 1.0\r\n"                                                           \
    "Content-Type: multipart/mixed; boundary=\"=_outer\"\r\n"                         \
    "\r\n"                                                                            \
    "This is a multi-part message in MIME format.\r\n"                                \
    "--=_outer\r\n"                                                                   \
    "Content-Type: text/plain; charset=utf-8\r\n"                                     \
    "\r\n"                                                                            \
    "Hello, our order is attached.\r\n"                                               \
    "--=_outer\r\n"                                                                   \
    "Content-Type: application/EDIFACT; name=\"order.edi\"\r\n"                       \
    "Content-Disposition: attachment; filename=\"order.edi\"\r\n"                    \
    "Content-Transfer-Encoding: base64\r\n"                                           \
    "\r\n" EDI_B64 "\r\n"                                                             \
    "--=_outer\r\n"                                                                   \
    "Content-Type: text/xml; charset=utf-8\r\n"                                       \
    "Content-Disposition: attachment; filename=\"invoice.xml\"\r\n"                  \
    "Content-Transfer-Encoding: quoted-printable\r\n"                                 \
    "\r\n" UBL_QP                                                                     \
    "--=_outer\r\n"                                                                   \
    "Content-Type: application/pdf; name=\"terms.pdf\"\r\n"                           \
    "Content-Disposition: attachment; filename=\"terms.pdf\"\r\n"                    \
    "Content-Transfer-Encoding: base64\r\n"                                           \
    "\r\n"                                                                            \
    "JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"                                                \
    "--=_outer--\r\n"

static void mixed_base64_edifact_and_qp_xml(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack(MIXED, &u);
    assert_false(u.failed);
    assert_string_equal(u.from, "einkauf@mueller.example");
    assert_string_equal(u.subject, "Bestellung M\xc3\xbcller PO-77");
    assert_string_equal(u.message_id, "po77.1@mueller.example");
    assert_false(u.is_dsn);
    assert_false(u.automatic);
    assert_int_equal(u.n_docs, 2);
    assert_string_equal(u.docs[0].name, "order.edi");
    assert_string_equal(u.docs[0].part, "2");
    assert_string_equal(u.docs[0].type, "application/edifact");
    assert_int_equal(u.docs[0].format, MAPPING_FORMAT_EDIFACT);
    /* the base64 above ends with a line break after UNZ */
    assert_int_equal(u.docs[0].len, strlen(EDI) + 1);
    assert_memory_equal(u.docs[0].data, EDI, strlen(EDI));
    assert_string_equal(u.docs[1].name, "invoice.xml");
    assert_string_equal(u.docs[1].part, "3");
    assert_int_equal(u.docs[1].format, MAPPING_FORMAT_UBL_INVOICE);
    assert_string_equal(u.docs[1].data, UBL_CRLF);
    assert_non_null(strstr(u.ignored, "part 4 terms.pdf (application/pdf)"));
    mail_unpacked_free(&u);
}

static void rfc2231_and_rfc2047_names(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack("From: a@b.example\r\nSubject: names\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
           "--b1\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment;\r\n"
           " filename*0*=UTF-8''Bestellung%20M%C3%BC;\r\n"
           " filename*1*=ller%20%C3%84nderung.edi\r\n\r\n"
           EDI "\r\n"
           "--b1\r\n"
           "Content-Type: application/xml; name=\"=?ISO-8859-1?Q?B=FCro_Rechnung.xml?=\"\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n"
           UBL
           "--b1--\r\n", &u);
    assert_false(u.failed);
    assert_int_equal(u.n_docs, 2);
    assert_string_equal(u.docs[0].name, "Bestellung M\xc3\xbcller \xc3\x84nderung.edi");
    assert_string_equal(u.docs[1].name, "B\xc3\xbcro Rechnung.xml");
    assert_int_equal(u.docs[1].format, MAPPING_FORMAT_UBL_INVOICE);
    mail_unpacked_free(&u);
}

static void nested_multiparts(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack("From: a@b.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
           "--outer\r\n"
           "Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
           "--alt\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
           "--alt\r\nContent-Type: text/html\r\n\r\n<p>see attachment</p>\r\n"
           "--alt--\r\n"
           "--outer\r\n"
           "Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
           "--inner\r\nContent-Type: image/png; name=logo.png\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
           "--inner\r\nContent-Type: text/plain; name=\"ORDERS_77.txt\"\r\n\r\n"
           EDI "\r\n"
           "--inner--\r\n"
           "--outer--\r\n", &u);
    assert_false(u.failed);
    assert_int_equal(u.n_docs, 1);
    assert_string_equal(u.docs[0].name, "ORDERS_77.txt");
    assert_string_equal(u.docs[0].part, "2.2");
    assert_int_equal(u.docs[0].format, MAPPING_FORMAT_EDIFACT);
    assert_non_null(strstr(u.ignored, "part 2.1 logo.png (image/png)"));
    mail_unpacked_free(&u);
}

static void edifact_body_only_without_attachments(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack("From: a@b.example\r\nSubject: body\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           "UNA:+.? 'UNB+UNOC:3+4012345000009:14+4098765000002:14+260303:1000+42'UNH+1+O=\r\n"
           "RDERS:D:96A:UN:EAN008'BGM+220+PO-77+9'UNT+3+1'UNZ+1+42'\r\n", &u);
    assert_false(u.failed);
    assert_int_equal(u.n_docs, 1);
    assert_string_equal(u.docs[0].name, "mail-text.edi");
    assert_string_equal(u.docs[0].part, "1");
    assert_memory_equal(u.docs[0].data, EDI, strlen(EDI));
    mail_unpacked_free(&u);
    /* with an attachment, the text is only the covering note */
    unpack("From: a@b.example\r\nSubject: both\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain\r\n\r\n" EDI "\r\n"
           "--b\r\nContent-Type: application/xml\r\n"
           "Content-Disposition: attachment; filename=inv.xml\r\n\r\n" UBL
           "--b--\r\n", &u);
    assert_int_equal(u.n_docs, 1);
    assert_string_equal(u.docs[0].name, "inv.xml");
    mail_unpacked_free(&u);
}

#define DSN_HEAD                                                                     \
    "Return-Path: <>\r\n"                                                            \
    "From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n"                      \
    "To: orders@gateway.example\r\n"                                                 \
    "Subject: Undelivered Mail Returned to Sender\r\n"                               \
    "Date: Tue, 03 Mar 2026 10:05:00 +0000\r\n"                                      \
    "Message-ID: <dsn.1@mx.example>\r\n"                                             \
    "Auto-Submitted: auto-replied\r\n"                                               \
    "MIME-Version: 1.0\r\n"                                                          \
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"               \
    "\tboundary=\"rep\"\r\n\r\n"                                                     \
    "--rep\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n" \
    "--rep\r\nContent-Type: message/delivery-status\r\n\r\n"                         \
    "Reporting-MTA: dns; mx.example\r\n"                                             \
    "Arrival-Date: Tue, 03 Mar 2026 10:04:59 +0000\r\n\r\n"                          \
    "Final-Recipient: rfc822; nobody@customer.example\r\n"                           \
    "Original-Recipient: rfc822;nobody@customer.example\r\n"                         \
    "Action: failed\r\n"                                                             \
    "Status: 5.1.1\r\n"                                                              \
    "Remote-MTA: dns; mx.customer.example\r\n"                                       \
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.example>:\r\n"                \
    "    Recipient address rejected: User unknown\r\n\r\n"

static void delivery_status_notification(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack(DSN_HEAD
           "--rep\r\nContent-Type: text/rfc822-headers\r\n\r\n"
           "From: orders@gateway.example\r\nTo: nobody@customer.example\r\n"
           "Subject: ORDRSP PO-77\r\nMessage-ID:\r\n <ordrsp.42@gateway.example>\r\n\r\n"
           "--rep--\r\n", &u);
    assert_false(u.failed);
    assert_true(u.is_dsn);
    assert_true(u.automatic);
    assert_int_equal(u.n_docs, 0);
    assert_string_equal(u.dsn.original_id, "ordrsp.42@gateway.example");
    assert_string_equal(u.dsn.recipient, "nobody@customer.example");
    assert_string_equal(u.dsn.action, "failed");
    assert_string_equal(u.dsn.status, "5.1.1");
    assert_string_equal(u.dsn.diagnostic,
                        "550 5.1.1 <nobody@customer.example>: Recipient address rejected: "
                        "User unknown");
    mail_unpacked_free(&u);
    /* the whole mail returned, with our EDIFACT attachment: still no document */
    unpack(DSN_HEAD
           "--rep\r\nContent-Type: message/rfc822\r\n\r\n"
           "From: orders@gateway.example\r\nTo: nobody@customer.example\r\n"
           "Subject: ORDRSP\r\nMessage-ID: <ordrsp.43@gateway.example>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=orig\r\n\r\n"
           "--orig\r\nContent-Type: application/EDIFACT; name=ordrsp.edi\r\n\r\n" EDI "\r\n"
           "--orig--\r\n"
           "--rep--\r\n", &u);
    assert_false(u.failed);
    assert_true(u.is_dsn);
    assert_int_equal(u.n_docs, 0);
    assert_string_equal(u.dsn.original_id, "ordrsp.43@gateway.example");
    assert_string_equal(u.dsn.status, "5.1.1");
    mail_unpacked_free(&u);
}

static void malformed_boundaries(void **state)
{
    (void)state;
    mail_unpacked u;
    /* the header names a boundary the body never uses */
    unpack("From: a@b.example\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"abc\"\r\n\r\n"
           "--xyz\r\nContent-Type: application/EDIFACT; name=o.edi\r\n\r\n" EDI "\r\n"
           "--xyz--\r\n", &u);
    assert_true(u.failed);
    assert_non_null(strstr(u.problem, "malformed MIME"));
    assert_non_null(strstr(u.problem, "boundary"));
    assert_int_equal(u.n_docs, 0);
    mail_unpacked_free(&u);
    /* a multipart without boundary */
    unpack("From: a@b.example\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed\r\n\r\n"
           "--xyz\r\nContent-Type: application/EDIFACT\r\n\r\n" EDI "\r\n--xyz--\r\n", &u);
    assert_true(u.failed);
    assert_non_null(strstr(u.problem, "no boundary parameter"));
    mail_unpacked_free(&u);
    /* cut off inside the attachment: the closing boundary is missing */
    unpack("From: a@b.example\r\nSubject: cut\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: application/EDIFACT; name=o.edi\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n"
           "VU5BOisuPyAnVU5CK1VOT0M6Mys0MDEyMzQ1MDAwMDA5OjE0KzQwOTg3NjUwMDAwMDI6MTQrMjYw\r\n"
           "MzAzOjEwMD", &u);
    assert_true(u.failed);
    mail_unpacked_free(&u);
}

static void unreadable_attachments(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack("From: a@b.example\r\nSubject: damaged\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
           "--b\r\nContent-Type: application/EDIFACT; name=\"order 77.edi\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n"
           "VU5BOisuPyAnVU5CK1VOT0M6Mys0MD!yMzQ1MDAwMDA5OjE0KzQwOTg3NjUwMDAwMDI6MTQrMjYw\r\n"
           "--b--\r\n", &u);
    assert_true(u.failed);
    assert_non_null(strstr(u.problem, "Part 2 of the mail (order 77.edi, application/edifact)"));
    assert_non_null(strstr(u.problem, "base64"));
    assert_non_null(strstr(u.problem, "'!'"));
    mail_unpacked_free(&u);
    unpack("From: a@b.example\r\nSubject: not a document\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: application/xml\r\n"
           "Content-Disposition: attachment; filename=\"notes.xml\"\r\n\r\n"
           "<notes><note>call back</note></notes>\r\n"
           "--b--\r\n", &u);
    assert_true(u.failed);
    assert_non_null(strstr(u.problem, "Part 1 of the mail (notes.xml, application/xml)"));
    assert_non_null(strstr(u.problem, "is not EDIFACT or an XML document"));
    mail_unpacked_free(&u);
}

static void text_only_and_no_mail(void **state)
{
    (void)state;
    mail_unpacked u;
    unpack("From: a@b.example\r\nSubject: Hello\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\n"
           "\r\nPlease call me about the order.\r\n", &u);
    assert_true(u.failed);
    assert_non_null(strstr(u.problem, "carries no document"));
    assert_int_equal(u.n_docs, 0);
    mail_unpacked_free(&u);
    assert_false(mail_unpack_looks_like_mail(EDI, strlen(EDI)));
    assert_false(mail_unpack_looks_like_mail(UBL, strlen(UBL)));
    assert_true(mail_unpack_looks_like_mail(MIXED, strlen(MIXED)));
    unpack(EDI, &u);
    assert_true(u.failed);
    assert_non_null(strstr(u.problem, "not an e-mail"));
    mail_unpacked_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64_matches_the_sample),
        cmocka_unit_test(mixed_base64_edifact_and_qp_xml),
        cmocka_unit_test(rfc2231_and_rfc2047_names),
        cmocka_unit_test(nested_multiparts),
        cmocka_unit_test(edifact_body_only_without_attachments),
        cmocka_unit_test(delivery_status_notification),
        cmocka_unit_test(malformed_boundaries),
        cmocka_unit_test(unreadable_attachments),
        cmocka_unit_test(text_only_and_no_mail),
    };
    int failed = cmocka_run_group_tests(tests, setup, NULL);
    mailer_shutdown();
    return failed;
}
