/* AS2 receipts (gateway/as2_mdn.h): Disposition-Notification-Options in the spellings of
 * real senders, an MDN we compose read back by our own parser (unsigned and signed, the
 * signature checked over the slice the parser gives), and the captured MDNs of Mendelson
 * and IBM Sterling (tests/corpus/as2/pyas2-lib, SOURCES.md) with the values stated there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as2_certs.h"
#include "as2_cms.h"
#include "as2_mdn.h"

#define CORPUS "tests/corpus/as2/"

static void options_spellings(void **state)
{
    (void)state;
    as2_mdn_request r;
    as2_mdn_request_parse("signed-receipt-protocol=optional, pkcs7-signature; "
                          "signed-receipt-micalg=optional, sha-256, sha1", &r);
    assert_true(r.signed_receipt);
    assert_false(r.protocol_required);
    assert_true(r.micalg_given);
    assert_int_equal(r.micalg, AS2_MIC_SHA256); /* the first supported, not the last */
    as2_mdn_request_parse("signed-receipt-protocol=required,pkcs7-signature;"
                          " signed-receipt-micalg=required,SHA-512", &r);
    assert_true(r.protocol_required);
    assert_true(r.micalg_required);
    assert_int_equal(r.micalg, AS2_MIC_SHA512);
    as2_mdn_request_parse("Signed-Receipt-Protocol=optional,pkcs7-signature;"
                          "signed-receipt-micalg=optional,whirlpool,sha_384", &r);
    assert_int_equal(r.micalg, AS2_MIC_SHA384);
    as2_mdn_request_parse("signed-receipt-micalg=required, md2", &r);
    assert_false(r.signed_receipt);
    assert_true(r.micalg_given);
    assert_int_equal(r.micalg, AS2_MIC_NONE);
    as2_mdn_request_parse(NULL, &r);
    assert_false(r.signed_receipt || r.micalg_given);
}

/* A composed message as a C string (the buffer has no NUL of its own); the caller frees
 * it. */
static char *text_of(const edi_buf *b)
{
    char *t = malloc(b->len + 1);
    assert_non_null(t);
    memcpy(t, b->p, b->len);
    t[b->len] = '\0';
    return t;
}

/* Split a composed MDN into its Content-Type header and body. */
static void split(const edi_buf *b, size_t body_off, char *ct, size_t ct_n)
{
    char *t = text_of(b);
    const char *p = strstr(t, "Content-Type: ");
    assert_non_null(p);
    assert_true((size_t)(p - t) < body_off);
    p += 14;
    const char *e = strstr(p, "\r\n");
    assert_non_null(e);
    snprintf(ct, ct_n, "%.*s", (int)(e - p), p);
    free(t);
}

static void compose_and_read_back(void **state)
{
    (void)state;
    as2_mdn_info in = {
        .our_id = "OUR GW", .their_id = "PARTNER", .original_message_id = "<abc@x>",
        .disposition = AS2_DISP_PROCESSED, .mic_b64 = "G6PhshLOERWJEIfypIh6Q3sno6cBUWJBDky1igJvDMo=",
        .mic_alg = AS2_MIC_SHA256,
        .explanation = "The message arrived. \xc3\xa4 is not ASCII and becomes a question mark.",
    };
    edi_buf b = { 0 };
    size_t off = 0;
    char mid[256], why[512], ct[512];
    assert_int_equal(as2_mdn_build(&in, NULL, AS2_MIC_NONE, &b, &off, mid, sizeof mid, why,
                                   sizeof why), EDI_OK);
    char *t = text_of(&b);
    assert_non_null(strstr(t, "AS2-From: \"OUR GW\"\r\n")); /* quoted: it has a space */
    assert_non_null(strstr(t, "AS2-To: PARTNER\r\n"));
    free(t);
    assert_true(mid[0] == '<' && strchr(mid, '@'));
    split(&b, off, ct, sizeof ct);
    assert_true(as2_mdn_is_mdn(ct, b.p + off, b.len - off));
    as2_mdn m;
    assert_int_equal(as2_mdn_parse(ct, b.p + off, b.len - off, &m, why, sizeof why), EDI_OK);
    assert_int_equal(m.status, AS2_MDN_PROCESSED);
    assert_string_equal(m.original_message_id, "<abc@x>");
    assert_string_equal(m.final_recipient, "OUR GW");
    assert_true(m.has_mic);
    assert_string_equal(m.mic_b64, "G6PhshLOERWJEIfypIh6Q3sno6cBUWJBDky1igJvDMo=");
    assert_int_equal(m.mic_alg, AS2_MIC_SHA256);
    assert_false(m.is_signed);
    assert_non_null(strstr(m.text, "becomes a question mark"));
    assert_null(strchr(m.text, '\xc3'));
    edi_buf_free(&b);

    /* A negative one: no MIC even when one is given, the modifier read back. */
    in.disposition = AS2_DISP_DECRYPTION_FAILED;
    in.mic_b64 = NULL;
    b = (edi_buf){ 0 };
    assert_int_equal(as2_mdn_build(&in, NULL, AS2_MIC_NONE, &b, &off, NULL, 0, why,
                                   sizeof why), EDI_OK);
    split(&b, off, ct, sizeof ct);
    assert_int_equal(as2_mdn_parse(ct, b.p + off, b.len - off, &m, why, sizeof why), EDI_OK);
    assert_int_equal(m.status, AS2_MDN_ERROR);
    assert_string_equal(m.modifier, "decryption-failed");
    assert_false(m.has_mic);
    edi_buf_free(&b);

    in.their_id = "bad\r\nInjected: yes";
    b = (edi_buf){ 0 };
    assert_int_equal(as2_mdn_build(&in, NULL, AS2_MIC_NONE, &b, &off, NULL, 0, why,
                                   sizeof why), EDI_E_ARG);
    edi_buf_free(&b);
}

static void signed_mdn_verifies_over_the_slice(void **state)
{
    (void)state;
    as2_keypair *kp = NULL;
    char why[512], ct[512];
    assert_int_equal(as2_keypair_load_pem(CORPUS "node-libas2/libas2community.key",
                                          CORPUS "node-libas2/libas2community.cer", &kp, why,
                                          sizeof why), EDI_OK);
    as2_mdn_info in = { .our_id = "GW", .their_id = "P", .original_message_id = "<m@p>",
                        .disposition = AS2_DISP_PROCESSED, .mic_b64 = "AAAA",
                        .mic_alg = AS2_MIC_SHA1, .explanation = "ok" };
    edi_buf b = { 0 };
    size_t off = 0;
    assert_int_equal(as2_mdn_build(&in, kp, AS2_MIC_SHA384, &b, &off, NULL, 0, why,
                                   sizeof why), EDI_OK);
    split(&b, off, ct, sizeof ct);
    assert_non_null(strstr(ct, "multipart/signed"));
    assert_non_null(strstr(ct, "micalg=sha-384"));
    const char *body = b.p + off;
    as2_mdn m;
    assert_int_equal(as2_mdn_parse(ct, body, b.len - off, &m, why, sizeof why), EDI_OK);
    assert_true(m.is_signed);
    assert_int_equal(m.micalg, AS2_MIC_SHA384);
    assert_string_equal(m.mic_b64, "AAAA");
    assert_int_equal(m.mic_alg, AS2_MIC_SHA1);
    /* the slice the parser gives is exactly what was signed */
    as2_multipart mp = { .n = 2 };
    mp.part[0] = m.signed_part;
    mp.part[1] = m.signature;
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, kp->cert);
    as2_verify_info vi;
    assert_int_equal(as2_cms_verify_signed(body, &mp, certs, 0, false, &vi, why, sizeof why),
                     AS2_OK);
    assert_int_equal(vi.variant, AS2_VARIANT_EXACT);
    assert_int_equal(vi.digest, AS2_MIC_SHA384);
    /* one byte changed in the report: it no longer verifies */
    b.p[off + m.signed_part.body.off + 10] ^= 1;
    assert_int_equal(as2_cms_verify_signed(body, &mp, certs, 0, false, &vi, why, sizeof why),
                     AS2_E_AUTHENTICATION);
    sk_X509_free(certs);
    as2_keypair_free(kp);
    edi_buf_free(&b);
}

/* Read a capture: the Content-Type from its header block, the body after the empty line. */
static char *capture(const char *path, char *ct, size_t ct_n, size_t *body_off, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[*len] = '\0';
    char *e = strstr(buf, "\n\n"), *e2 = strstr(buf, "\r\n\r\n");
    if (!e || (e2 && e2 < e))
        *body_off = (size_t)(e2 - buf) + 4;
    else
        *body_off = (size_t)(e - buf) + 2;
    const char *c = strstr(buf, "content-type:");
    if (!c)
        c = strstr(buf, "Content-Type:");
    assert_non_null(c);
    c += 13;
    while (*c == ' ')
        c++;
    size_t k = 0;
    while (*c && k + 1 < ct_n) { /* folded lines joined */
        if (*c == '\r' || *c == '\n') {
            const char *next = c + (c[0] == '\r' && c[1] == '\n' ? 2 : 1);
            if (*next != ' ' && *next != '\t')
                break;
            c = next;
            continue;
        }
        ct[k++] = *c++;
    }
    ct[k] = '\0';
    return buf;
}

static void captured_mdns(void **state)
{
    (void)state;
    char ct[512], why[512];
    size_t off, len;
    as2_mdn m;
    char *buf = capture(CORPUS "pyas2-lib/sb2bi_signed.mdn", ct, sizeof ct, &off, &len);
    assert_true(as2_mdn_is_mdn(ct, buf + off, len - off));
    assert_int_equal(as2_mdn_parse(ct, buf + off, len - off, &m, why, sizeof why), EDI_OK);
    assert_int_equal(m.status, AS2_MDN_PROCESSED);
    assert_true(m.is_signed);
    assert_string_equal(m.mic_b64, "wNh76aEicfBurg/et2wio4zk/2I=");
    assert_int_equal(m.mic_alg, AS2_MIC_SHA1);
    assert_string_equal(m.original_message_id,
                        "<151694007918.24690.7052273208458909245@ip-172-31-14-209.ec2.internal>");
    assert_string_equal(m.final_recipient, "MCLANECOAS2PRD");
    assert_non_null(strstr(m.text, "successfully received")); /* a part without Content-Type */
    free(buf);

    buf = capture(CORPUS "pyas2-lib/mecas2_unsigned.mdn", ct, sizeof ct, &off, &len);
    assert_int_equal(as2_mdn_parse(ct, buf + off, len - off, &m, why, sizeof why), EDI_OK);
    assert_int_equal(m.status, AS2_MDN_ERROR);
    assert_string_equal(m.modifier, "authentication-failed");
    assert_false(m.has_mic);
    assert_false(m.is_signed);
    free(buf);

    buf = capture(CORPUS "pyas2-lib/mecas2_signed.mdn", ct, sizeof ct, &off, &len);
    assert_int_equal(as2_mdn_parse(ct, buf + off, len - off, &m, why, sizeof why), EDI_OK);
    assert_int_equal(m.status, AS2_MDN_PROCESSED);
    assert_string_equal(m.mic_b64, "O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=");
    assert_int_equal(m.mic_alg, AS2_MIC_SHA256);
    assert_int_equal(m.micalg, AS2_MIC_SHA1);
    free(buf);
}

static void libas2_failure_syntax_and_non_mdns(void **state)
{
    (void)state;
    const char body[] = "--b\r\nContent-Type: text/plain\r\n\r\nno\r\n--b\r\n"
                        "Content-Type: message/disposition-notification\r\n\r\n"
                        "Disposition: automatic-action/MDN-sent-automatically; "
                        "failed/failure=Could not verify signature\r\n"
                        "Original-Message-ID: <x@y>\r\n\r\n--b--\r\n";
    as2_mdn m;
    char why[256];
    assert_int_equal(as2_mdn_parse("multipart/report; report-type=disposition-notification; "
                                   "boundary=b", body, sizeof body - 1, &m, why, sizeof why),
                     EDI_OK);
    assert_int_equal(m.status, AS2_MDN_FAILED);
    assert_string_equal(m.modifier, "Could not verify signature");
    const char msg[] = "--s\r\nContent-Type: application/edifact\r\n\r\nUNA\r\n--s--\r\n";
    assert_false(as2_mdn_is_mdn("multipart/signed; boundary=s", msg, sizeof msg - 1));
    assert_false(as2_mdn_is_mdn("application/pkcs7-mime; smime-type=enveloped-data", "x", 1));
    assert_int_equal(as2_mdn_parse("multipart/signed; boundary=s", msg, sizeof msg - 1, &m,
                                   why, sizeof why), EDI_E_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_spellings),
        cmocka_unit_test(compose_and_read_back),
        cmocka_unit_test(signed_mdn_verifies_over_the_slice),
        cmocka_unit_test(captured_mdns),
        cmocka_unit_test(libas2_failure_syntax_and_non_mdns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
