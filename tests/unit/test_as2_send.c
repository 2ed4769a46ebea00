/* Sending AS2 (gateway/as2_send.h, gateway/store_as2_out.h): Message-IDs; messages built
 * for a profile taken apart again with the CMS and MIME modules (the signature verifies over
 * part 1, whose MIC is the one kept; the payload comes back byte for byte; compressed before
 * signing: the MIC covers the compressed part; compressed after signing, in base64); MDNs
 * checked (processed with our MIC, a MIC in another algorithm computed again from the
 * payload, a wrong MIC, a negative disposition, a signature by a stranger, libas2's
 * one-CRLF-short signature accepted as its variant); and
 * the as2_out records: a retry keeps the Message-ID, states move only from the state read,
 * overdue asynchronous ones are listed and turned into "missing". */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as2_cms.h"
#include "as2_mdn.h"
#include "as2_mime.h"
#include "as2_send.h"
#include "mapping.h"
#include "store.h"
#include "store_as2_out.h"
#include "test_as2_util.h"

static const char PAYLOAD[] =
    "UNA:+.? 'UNB+UNOC:3+SUPPLIER:14+BUYER:14+260101:1200+R1'UNH+1+ORDRSP:D:96A:UN:EAN005'"
    "BGM+231+R1+29'UNT+3+1'UNZ+1+R1'\n";

typedef struct {
    EVP_PKEY *our_key, *their_key, *stranger_key;
    X509 *our_cert, *their_cert, *stranger_cert;
    as2_keypair ours, theirs;
    partner who;
    as2_partner_certs certs;          /* the partner's: verify its MDNs, encrypt to it */
    as2_partner_certs our_certs;      /* ours, as the partner sees them */
} keys;

static keys K;

static int setup_keys(void **state)
{
    (void)state;
    if (!t_keypair("gw-as2", &K.our_key, &K.our_cert) ||
        !t_keypair("peer-as2", &K.their_key, &K.their_cert) ||
        !t_keypair("stranger", &K.stranger_key, &K.stranger_cert))
        return -1;
    K.ours = (as2_keypair){ .key = K.our_key, .cert = K.our_cert };
    K.theirs = (as2_keypair){ .key = K.their_key, .cert = K.their_cert };
    K.certs = (as2_partner_certs){ .signing = t_stack(K.their_cert), .encryption = K.their_cert };
    K.our_certs = (as2_partner_certs){ .signing = t_stack(K.our_cert), .encryption = K.our_cert };
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    sk_X509_pop_free(K.certs.signing, X509_free);
    sk_X509_pop_free(K.our_certs.signing, X509_free);
    X509_free(K.our_cert);
    X509_free(K.their_cert);
    X509_free(K.stranger_cert);
    EVP_PKEY_free(K.our_key);
    EVP_PKEY_free(K.their_key);
    EVP_PKEY_free(K.stranger_key);
    return 0;
}

/* A partner with AS2 id PEER and the given outbound settings. */
static void profile(partner *p, bool sign, bool encrypt, partner_as2_compress compress)
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "peer");
    snprintf(p->as2_id, sizeof p->as2_id, "PEER");
    p->channel = PARTNER_CHANNEL_AS2;
    snprintf(p->as2.url, sizeof p->as2.url, "http://127.0.0.1:9/as2");
    p->as2.sign = sign;
    p->as2.sign_digest = PARTNER_AS2_SHA256;
    p->as2.encrypt = encrypt;
    p->as2.cipher = PARTNER_AS2_AES128_CBC;
    p->as2.key_transport = PARTNER_AS2_KT_OAEP;
    p->as2.compress = compress;
    p->as2.mdn = PARTNER_AS2_MDN_SYNC;
    p->as2.mdn_signed = true;
    p->as2.mdn_digest = PARTNER_AS2_SHA256;
    p->as2.retries = 2;
}

static const as2_send_payload PL = { .filename = "ORDRSP-1.edi",
                                     .content_type = "application/EDIFACT" };

/* A built part as a C string (the buffer has no NUL of its own: strndup would read past it
 * under ASan's strict string checks); the caller frees it. */
static char *text_of(const edi_buf *b)
{
    char *t = malloc(b->len + 1);
    assert_non_null(t);
    memcpy(t, b->p, b->len);
    t[b->len] = '\0';
    return t;
}

static bool has_header(const as2_send_built *b, const char *line)
{
    char *copy = text_of(&b->headers);
    bool found = strstr(copy, line) != NULL;
    free(copy);
    return found;
}

/* The HTTP body as one buffer. */
static edi_buf body_of(const as2_send_built *b)
{
    edi_buf out = { 0 };
    assert_true(as2_mime_append_segs(b->body, b->n_body, &out));
    return out;
}

static void test_message_id(void **state)
{
    (void)state;
    char a[AS2_OUT_ID_MAX], b[AS2_OUT_ID_MAX], why[256];
    assert_int_equal(as2_send_message_id("OUR GW/1", a, sizeof a, why, sizeof why), EDI_OK);
    assert_int_equal(as2_send_message_id("OUR GW/1", b, sizeof b, why, sizeof why), EDI_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(a[0], '<');
    assert_int_equal(a[strlen(a) - 1], '>');
    assert_non_null(strstr(a, "@OUR-GW-1>"));
    assert_null(strpbrk(a, " \t\r\n\"/"));
    assert_int_equal(as2_send_message_id("", a, sizeof a, why, sizeof why), EDI_OK);
    assert_non_null(strstr(a, "@as2>"));
}

static void test_content_type(void **state)
{
    (void)state;
    assert_string_equal(as2_send_content_type("EDIFACT ORDRSP D96A"), "application/EDIFACT");
    assert_string_equal(as2_send_content_type("openTRANS 2.1 ORDERRESPONSE"), "application/xml");
    assert_string_equal(as2_send_content_type(""), "application/octet-stream");
}

/* Signed and encrypted: decrypt as the partner, verify over part 1, compare the MIC. */
static void test_build_signed_encrypted(void **state)
{
    (void)state;
    partner p;
    profile(&p, true, true, PARTNER_AS2_COMPRESS_NONE);
    as2_send_built b;
    char why[512] = "";
    assert_int_equal(as2_send_build(&p, "OURGW", NULL, &K.ours, K.their_cert, PAYLOAD,
                                     strlen(PAYLOAD), &PL, NULL, &b, why, sizeof why), EDI_OK);
    assert_true(has_header(&b, "AS2-Version: 1.2\r\n"));
    assert_true(has_header(&b, "AS2-From: OURGW\r\nAS2-To: PEER\r\n"));
    assert_true(has_header(&b, "smime-type=enveloped-data"));
    assert_true(has_header(&b, "signed-receipt-micalg=optional, sha-256\r\n"));
    assert_true(has_header(&b, "Disposition-Notification-To: OURGW\r\n"));
    assert_false(has_header(&b, "Receipt-Delivery-Option"));
    assert_int_equal(b.mic_alg, AS2_MIC_SHA256);

    edi_buf body = body_of(&b);
    assert_int_equal(body.len, b.body_len);
    CMS_ContentInfo *cms = NULL;
    assert_int_equal(as2_cms_read((unsigned char *)body.p, body.len, &cms, why, sizeof why),
                     AS2_OK);
    edi_buf plain = { 0 };
    as2_decrypt_info di;
    assert_int_equal(as2_cms_decrypt(cms, K.their_key, K.their_cert, &plain, &di, why,
                                     sizeof why), AS2_OK);
    assert_int_equal(di.kt, AS2_KT_RSA_OAEP);
    assert_int_equal(di.cipher, AS2_CIPHER_AES128_CBC);
    CMS_ContentInfo_free(cms);

    as2_part ent;
    as2_mime_entity(plain.p, plain.len, &ent);
    assert_false(ent.headerless);
    char ctv[512];
    assert_true(as2_mime_header(plain.p, ent.headers, "Content-Type", ctv, sizeof ctv));
    as2_content_type ct;
    assert_int_equal(as2_mime_content_type(ctv, &ct, why, sizeof why), EDI_OK);
    assert_string_equal(ct.type, "multipart/signed");
    assert_string_equal(ct.micalg, "sha-256");
    as2_multipart mp;
    assert_int_equal(as2_mime_multipart(plain.p, ent.body, ct.boundary, &mp, why, sizeof why),
                     EDI_OK);
    assert_int_equal(mp.n, 2);
    STACK_OF(X509) *ours = t_stack(K.our_cert);
    as2_verify_info vi;
    assert_int_equal(as2_cms_verify_signed(plain.p, &mp, ours, 0, false, &vi, why, sizeof why),
                     AS2_OK);
    assert_int_equal(vi.variant, AS2_VARIANT_EXACT);
    assert_string_equal(vi.mic, b.mic);      /* the MIC kept is over exactly what was signed */
    edi_buf got = { 0 };
    assert_int_equal(as2_mime_decode_body(plain.p, &mp.part[0], &got, why, sizeof why), EDI_OK);
    assert_int_equal(got.len, strlen(PAYLOAD));
    assert_memory_equal(got.p, PAYLOAD, got.len);
    char fn[300];
    assert_true(as2_mime_header(plain.p, mp.part[0].headers, "Content-Disposition", fn,
                                sizeof fn));
    assert_string_equal(fn, "attachment; filename=\"ORDRSP-1.edi\"");

    /* the same MIC from as2_send_mic (what an MDN in another algorithm is checked with) */
    char again[AS2_MIC_B64_MAX];
    assert_int_equal(as2_send_mic(&p, PAYLOAD, strlen(PAYLOAD), &PL, AS2_MIC_SHA256, again,
                                  sizeof again, why, sizeof why), EDI_OK);
    assert_string_equal(again, b.mic);
    sk_X509_pop_free(ours, X509_free);
    edi_buf_free(&got);
    edi_buf_free(&plain);
    edi_buf_free(&body);
    as2_send_built_free(&b);
}

/* Neither signed nor encrypted: the body is the payload and the MIC is over it alone. */
static void test_build_plain(void **state)
{
    (void)state;
    partner p;
    profile(&p, false, false, PARTNER_AS2_COMPRESS_NONE);
    p.as2.mdn = PARTNER_AS2_MDN_ASYNC;
    as2_send_built b;
    char why[512] = "";
    assert_int_equal(as2_send_build(&p, "OURGW", NULL, NULL, NULL, PAYLOAD, strlen(PAYLOAD), &PL,
                                     NULL, &b, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "asynchronous"));
    assert_int_equal(as2_send_build(&p, "OURGW", "http://127.0.0.1:1/as2", NULL, NULL, PAYLOAD,
                                     strlen(PAYLOAD), &PL, "<kept@OURGW>", &b, why, sizeof why),
                     EDI_OK);
    assert_string_equal(b.message_id, "<kept@OURGW>");
    assert_true(has_header(&b, "Message-ID: <kept@OURGW>\r\n"));
    assert_true(has_header(&b, "Content-Type: application/EDIFACT\r\n"));
    assert_true(has_header(&b, "Receipt-Delivery-Option: http://127.0.0.1:1/as2\r\n"));
    edi_buf body = body_of(&b);
    assert_int_equal(body.len, strlen(PAYLOAD));
    assert_memory_equal(body.p, PAYLOAD, body.len);
    as2_seg seg = { (const unsigned char *)PAYLOAD, strlen(PAYLOAD) };
    char mic[AS2_MIC_B64_MAX];
    assert_int_equal(as2_mic_compute(AS2_MIC_SHA256, &seg, 1, mic, sizeof mic, why, sizeof why),
                     EDI_OK);
    assert_string_equal(b.mic, mic);
    edi_buf_free(&body);
    as2_send_built_free(&b);

    /* signing or encrypting without a key or certificate is refused with a sentence */
    profile(&p, true, false, PARTNER_AS2_COMPRESS_NONE);
    assert_int_equal(as2_send_build(&p, "OURGW", NULL, NULL, NULL, PAYLOAD, strlen(PAYLOAD), &PL,
                                     NULL, &b, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "sign"));
}

/* Compressed before signing: the signed part is compressed-data and the MIC covers it. */
static void test_build_compress_before_sign(void **state)
{
    (void)state;
    partner p;
    profile(&p, true, false, PARTNER_AS2_COMPRESS_BEFORE_SIGN);
    p.as2.sign_digest = PARTNER_AS2_SHA512;
    p.as2.mdn_digest = PARTNER_AS2_SHA512;
    as2_send_built b;
    char why[512] = "";
    assert_int_equal(as2_send_build(&p, "OURGW", NULL, &K.ours, NULL, PAYLOAD, strlen(PAYLOAD),
                                     &PL, NULL, &b, why, sizeof why), EDI_OK);
    assert_true(has_header(&b, "multipart/signed"));
    assert_true(has_header(&b, "micalg=sha-512"));
    edi_buf body = body_of(&b);
    /* the HTTP Content-Type carries the boundary; find it in the headers */
    char *hdr = text_of(&b.headers);
    char *ctl = strstr(hdr, "Content-Type: ");
    assert_non_null(ctl);
    char *eol = strstr(ctl, "\r\n");
    *eol = '\0';
    as2_content_type ct;
    assert_int_equal(as2_mime_content_type(ctl + 14, &ct, why, sizeof why), EDI_OK);
    as2_multipart mp;
    as2_slice all = { 0, body.len };
    assert_int_equal(as2_mime_multipart(body.p, all, ct.boundary, &mp, why, sizeof why), EDI_OK);
    STACK_OF(X509) *ours = t_stack(K.our_cert);
    as2_verify_info vi;
    assert_int_equal(as2_cms_verify_signed(body.p, &mp, ours, 0, false, &vi, why, sizeof why),
                     AS2_OK);
    assert_int_equal(vi.digest, AS2_MIC_SHA512);
    assert_string_equal(vi.mic, b.mic);
    char inner[512];
    assert_true(as2_mime_header(body.p, mp.part[0].headers, "Content-Type", inner,
                                sizeof inner));
    assert_non_null(strstr(inner, "compressed-data"));
    edi_buf der = { 0 }, unz = { 0 };
    assert_int_equal(as2_mime_decode_body(body.p, &mp.part[0], &der, why, sizeof why), EDI_OK);
    assert_int_equal(as2_cms_decompress((unsigned char *)der.p, der.len, 1 << 20, &unz, why,
                                        sizeof why), AS2_OK);
    assert_non_null(memmem(unz.p, unz.len, PAYLOAD, strlen(PAYLOAD)));
    assert_non_null(memmem(unz.p, unz.len, "Content-Type: application/EDIFACT\r\n", 35));
    char again[AS2_MIC_B64_MAX];
    assert_int_equal(as2_send_mic(&p, PAYLOAD, strlen(PAYLOAD), &PL, AS2_MIC_SHA512, again,
                                  sizeof again, why, sizeof why), EDI_OK);
    assert_string_equal(again, b.mic);
    sk_X509_pop_free(ours, X509_free);
    free(hdr);
    edi_buf_free(&der);
    edi_buf_free(&unz);
    edi_buf_free(&body);
    as2_send_built_free(&b);
}

/* Compressed after signing, base64 transfer encoding: the HTTP body is base64 of a
 * compressed-data whose content is the multipart/signed entity; the MIC is still over the
 * signed payload part. */
static void test_build_compress_after_sign(void **state)
{
    (void)state;
    partner p;
    profile(&p, true, false, PARTNER_AS2_COMPRESS_AFTER_SIGN);
    p.as2.base64 = true;
    as2_send_built b;
    char why[512] = "";
    assert_int_equal(as2_send_build(&p, "OURGW", NULL, &K.ours, NULL, PAYLOAD, strlen(PAYLOAD),
                                     &PL, NULL, &b, why, sizeof why), EDI_OK);
    assert_true(has_header(&b, "smime-type=compressed-data"));
    assert_true(has_header(&b, "Content-Transfer-Encoding: base64\r\n"));
    edi_buf body = body_of(&b), der = { 0 }, unz = { 0 };
    assert_int_equal(as2_mime_base64_decode(body.p, body.len, &der, why, sizeof why), EDI_OK);
    assert_int_equal(as2_cms_decompress((unsigned char *)der.p, der.len, 1 << 20, &unz, why,
                                        sizeof why), AS2_OK);
    as2_part ent;
    as2_mime_entity(unz.p, unz.len, &ent);
    char ctv[512];
    assert_true(as2_mime_header(unz.p, ent.headers, "Content-Type", ctv, sizeof ctv));
    as2_content_type ct;
    assert_int_equal(as2_mime_content_type(ctv, &ct, why, sizeof why), EDI_OK);
    assert_string_equal(ct.type, "multipart/signed");
    as2_multipart mp;
    assert_int_equal(as2_mime_multipart(unz.p, ent.body, ct.boundary, &mp, why, sizeof why),
                     EDI_OK);
    STACK_OF(X509) *ours = t_stack(K.our_cert);
    as2_verify_info vi;
    assert_int_equal(as2_cms_verify_signed(unz.p, &mp, ours, 0, false, &vi, why, sizeof why),
                     AS2_OK);
    assert_string_equal(vi.mic, b.mic);
    edi_buf got = { 0 };
    assert_int_equal(as2_mime_decode_body(unz.p, &mp.part[0], &got, why, sizeof why), EDI_OK);
    assert_int_equal(got.len, strlen(PAYLOAD));
    assert_memory_equal(got.p, PAYLOAD, got.len);
    sk_X509_pop_free(ours, X509_free);
    edi_buf_free(&got);
    edi_buf_free(&unz);
    edi_buf_free(&der);
    edi_buf_free(&body);
    as2_send_built_free(&b);
}

/* ---- MDNs --------------------------------------------------------------------------- */

/* The MDN the partner would send: headers split off, Content-Type into ct. */
static edi_buf mdn_from_partner(const char *omid, as2_disposition d, const char *mic,
                                as2_mic_alg alg, const as2_keypair *signer, char *ct, size_t ct_n)
{
    as2_mdn_info in = { .our_id = "PEER", .their_id = "OURGW", .original_message_id = omid,
                        .disposition = d, .mic_b64 = mic, .mic_alg = alg,
                        .explanation = "test" };
    edi_buf out = { 0 };
    size_t body_off = 0;
    char why[512] = "";
    assert_int_equal(as2_mdn_build(&in, signer, AS2_MIC_SHA256, &out, &body_off, NULL, 0, why,
                                   sizeof why), EDI_OK);
    as2_slice hs = { 0, body_off - 2 };
    assert_true(as2_mime_header(out.p, hs, "Content-Type", ct, ct_n));
    edi_buf body = { 0 };
    edi_buf_append(&body, out.p + body_off, out.len - body_off);
    edi_buf_free(&out);
    return body;
}

static bool appendf_test(edi_buf *b, const char *content_type)
{
    return edi_buf_append(b, "Content-Type: ", 14) &&
           edi_buf_append(b, content_type, strlen(content_type)) &&
           edi_buf_append(b, "\r\n\r\n", 4);
}

static store_as2_out sent_row(const char *mic)
{
    store_as2_out row = { .message_id = 42, .attempt = 1 };
    snprintf(row.as2_message_id, sizeof row.as2_message_id, "<abc.1@OURGW>");
    snprintf(row.mic, sizeof row.mic, "%s", mic);
    snprintf(row.mic_alg, sizeof row.mic_alg, "sha-256");
    snprintf(row.mdn_mode, sizeof row.mdn_mode, "sync");
    snprintf(row.mdn_state, sizeof row.mdn_state, AS2_OUT_AWAITING);
    return row;
}

static void test_check_mdn(void **state)
{
    (void)state;
    partner p;
    profile(&p, true, false, PARTNER_AS2_COMPRESS_NONE);
    p.as2.require_signed = true;
    char why[512] = "", mic[AS2_MIC_B64_MAX], mic512[AS2_MIC_B64_MAX], ct[512];
    assert_int_equal(as2_send_mic(&p, PAYLOAD, strlen(PAYLOAD), &PL, AS2_MIC_SHA256, mic,
                                  sizeof mic, why, sizeof why), EDI_OK);
    assert_int_equal(as2_send_mic(&p, PAYLOAD, strlen(PAYLOAD), &PL, AS2_MIC_SHA512, mic512,
                                  sizeof mic512, why, sizeof why), EDI_OK);
    store_as2_out row = sent_row(mic);
    as2_send_mdn_result res;

    edi_buf m = mdn_from_partner("<abc.1@OURGW>", AS2_DISP_PROCESSED, mic, AS2_MIC_SHA256,
                                 &K.theirs, ct, sizeof ct);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_OK);
    assert_non_null(strstr(res.detail, "MDN received, MIC matches"));
    assert_non_null(strstr(res.detail, "verified strictly"));
    edi_buf_free(&m);

    /* the MDN names SHA-512: computed again from the payload */
    m = mdn_from_partner("abc.1@OURGW", AS2_DISP_PROCESSED, mic512, AS2_MIC_SHA512, &K.theirs,
                         ct, sizeof ct);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, PAYLOAD, strlen(PAYLOAD), &PL, ct,
                                        m.p, m.len, &res, why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_OK);
    assert_non_null(strstr(res.detail, "computed again"));
    /* ... and without the payload it cannot be confirmed */
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_MIC_MISMATCH);
    edi_buf_free(&m);

    /* a wrong MIC: both digests in the sentence */
    m = mdn_from_partner("<abc.1@OURGW>", AS2_DISP_PROCESSED, mic512, AS2_MIC_SHA256, &K.theirs,
                         ct, sizeof ct);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, PAYLOAD, strlen(PAYLOAD), &PL, ct,
                                        m.p, m.len, &res, why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_MIC_MISMATCH);
    assert_non_null(strstr(res.sentence, "MIC mismatch"));
    assert_non_null(strstr(res.sentence, mic));
    assert_non_null(strstr(res.sentence, mic512));
    edi_buf_free(&m);

    /* negative */
    m = mdn_from_partner("<abc.1@OURGW>", AS2_DISP_DECRYPTION_FAILED, NULL, AS2_MIC_NONE,
                         &K.theirs, ct, sizeof ct);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_NEGATIVE);
    assert_non_null(strstr(res.sentence, "decryption-failed"));
    edi_buf_free(&m);

    /* signed by someone else; unsigned while signatures are required */
    as2_keypair stranger = { .key = K.stranger_key, .cert = K.stranger_cert };
    m = mdn_from_partner("<abc.1@OURGW>", AS2_DISP_PROCESSED, mic, AS2_MIC_SHA256, &stranger,
                         ct, sizeof ct);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_BAD_SIGNATURE);
    edi_buf_free(&m);
    m = mdn_from_partner("<abc.1@OURGW>", AS2_DISP_PROCESSED, mic, AS2_MIC_SHA256, NULL, ct,
                         sizeof ct);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_BAD_SIGNATURE);
    p.as2.require_signed = false;
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_OK);
    assert_non_null(strstr(res.detail, "not signed"));

    /* libas2's variant: the signature covers part 1 without its trailing CRLF */
    char rep_ct[512];
    snprintf(rep_ct, sizeof rep_ct, "%s", ct);
    edi_buf ent = { 0 };
    assert_true(appendf_test(&ent, rep_ct));
    edi_buf_append(&ent, m.p, m.len);
    /* libas2's report ends with a CRLF after its close delimiter, which it does not sign */
    if (ent.len < 2 || memcmp(ent.p + ent.len - 2, "\r\n", 2))
        edi_buf_append(&ent, "\r\n", 2);
    as2_seg short_seg = { (const unsigned char *)ent.p, ent.len - 2 };
    edi_buf sig = { 0 };
    assert_int_equal(as2_cms_sign(&short_seg, 1, K.their_key, K.their_cert, NULL, &sig, why,
                                  sizeof why), AS2_OK);
    as2_seg full = { (const unsigned char *)ent.p, ent.len };
    edi_buf signed_body = { 0 };
    char sct[300];
    assert_int_equal(as2_mime_write_signed(&full, 1, (unsigned char *)sig.p, sig.len, "sha-256",
                                           false, &signed_body, sct, sizeof sct, why,
                                           sizeof why), EDI_OK);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, sct, signed_body.p,
                                        signed_body.len, &res, why, sizeof why), EDI_OK);
    assert_int_equal(res.verdict, AS2_SEND_MDN_OK);
    assert_non_null(strstr(res.detail, "libas2"));

    /* an MDN for another message is no answer to this one */
    store_as2_out other = sent_row(mic);
    snprintf(other.as2_message_id, sizeof other.as2_message_id, "<other@OURGW>");
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &other, NULL, 0, &PL, ct, m.p, m.len, &res,
                                        why, sizeof why), EDI_E_ARG);
    assert_int_equal(as2_send_check_mdn(&p, &K.certs, &row, NULL, 0, &PL, "text/plain", "hello", 5,
                                        &res, why, sizeof why), EDI_E_SYNTAX);
    edi_buf_free(&sig);
    edi_buf_free(&signed_body);
    edi_buf_free(&ent);
    edi_buf_free(&m);
}

/* ---- as2_out -------------------------------------------------------------------------- */

typedef struct {
    char dir[256];
    char db[300];
    store *s;
    store_id message_id;
} db_fixture;

static int setup_db(void **state)
{
    db_fixture *fx = calloc(1, sizeof *fx);
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/as2-send-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->db, sizeof fx->db, "%s/gateway.db", fx->dir);
    char why[512] = "";
    fx->s = store_open_sqlite(fx->db, why, sizeof why);
    if (!fx->s)
        return -1;
    store_message m = { .direction = STORE_OUT };
    snprintf(m.partner, sizeof m.partner, "peer");
    snprintf(m.channel, sizeof m.channel, "as2");
    snprintf(m.content_id, sizeof m.content_id, "%064d", 0);
    snprintf(m.status, sizeof m.status, STORE_STATUS_QUEUED);
    if (store_message_insert(fx->s, &m, NULL, &fx->message_id, why, sizeof why) != EDI_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown_db(void **state)
{
    db_fixture *fx = *state;
    store_close(fx->s);
    char path[400];
    const char *suffix[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", fx->db, suffix[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static int count_rows(void *ctx, const store_as2_out *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

static void test_as2_out_records(void **state)
{
    db_fixture *fx = *state;
    char why[512] = "";
    int64_t now = store_now_ms();
    store_as2_out row = sent_row("bWlj");
    row.message_id = fx->message_id;
    snprintf(row.mdn_mode, sizeof row.mdn_mode, "async");
    row.sent_ms = now - 10000;
    row.deadline_ms = now - 1000;
    assert_int_equal(store_as2_out_record(fx->s, &row, why, sizeof why), EDI_OK);

    /* the retry keeps its Message-ID: one row, attempt 2 */
    row.attempt = 2;
    row.deadline_ms = now - 500;
    assert_int_equal(store_as2_out_record(fx->s, &row, why, sizeof why), EDI_OK);
    store_as2_out got;
    assert_int_equal(store_as2_out_latest(fx->s, fx->message_id, &got, why, sizeof why), EDI_OK);
    assert_int_equal(got.attempt, 2);
    assert_string_equal(got.as2_message_id, "<abc.1@OURGW>");
    assert_string_equal(got.mdn_state, AS2_OUT_AWAITING);
    assert_int_equal(got.deadline_ms, now - 500);

    /* the same Message-ID for another transmission is refused */
    row.attempt = 7;
    assert_int_equal(store_as2_out_record(fx->s, &row, why, sizeof why), EDI_E_CONFLICT);

    int n = 0;
    assert_int_equal(store_as2_out_overdue(fx->s, now, 0, count_rows, &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(store_as2_out_overdue(fx->s, now - 600, 0, count_rows, &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n, 0);

    /* a state moves only from the one read */
    assert_int_equal(store_as2_out_set_state(fx->s, "<abc.1@OURGW>", AS2_OUT_RESEND,
                                             AS2_OUT_RECEIVED, NULL, NULL, -1, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(store_as2_out_set_state(fx->s, "<abc.1@OURGW>", NULL, AS2_OUT_RECEIVED,
                                             "cid", "MDN received, MIC matches", 0, why,
                                             sizeof why), EDI_OK);
    assert_int_equal(store_as2_out_by_as2_id(fx->s, "<abc.1@OURGW>", &got, why, sizeof why),
                     EDI_OK);
    assert_string_equal(got.mdn_state, AS2_OUT_RECEIVED);
    assert_string_equal(got.mdn_content_id, "cid");
    assert_int_equal(got.deadline_ms, 0);
    assert_true(store_as2_out_final(got.mdn_state));
    /* final: NULL (any open state) no longer matches */
    assert_int_equal(store_as2_out_set_state(fx->s, "<abc.1@OURGW>", NULL, AS2_OUT_MISSING, NULL,
                                             NULL, -1, why, sizeof why), EDI_E_CONFLICT);
    assert_int_equal(store_as2_out_set_state(fx->s, "<nope@x>", NULL, AS2_OUT_MISSING, NULL,
                                             NULL, -1, why, sizeof why), EDI_E_NOT_FOUND);
    n = 0;
    assert_int_equal(store_as2_out_overdue(fx->s, now, 0, count_rows, &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n, 0);

    /* a new transmission after a final state: a new row with a new Message-ID */
    store_as2_out next = row;
    next.attempt = 3;
    snprintf(next.as2_message_id, sizeof next.as2_message_id, "<def.2@OURGW>");
    assert_int_equal(store_as2_out_record(fx->s, &next, why, sizeof why), EDI_OK);
    assert_int_equal(store_as2_out_latest(fx->s, fx->message_id, &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.as2_message_id, "<def.2@OURGW>");
    assert_int_equal(store_as2_out_by_as2_id(fx->s, "<abc.1@OURGW>", &got, why, sizeof why),
                     EDI_OK);
    assert_int_equal(got.attempt, 2);
}

/* The deadline check on an empty partner set: no retries, so the overdue one is missing
 * and its message failed with the sentence. */
static void test_tick_missing(void **state)
{
    db_fixture *fx = *state;
    char why[512] = "";
    int64_t now = store_now_ms();
    store_as2_out row = sent_row("bWlj");
    row.message_id = fx->message_id;
    snprintf(row.mdn_mode, sizeof row.mdn_mode, "async");
    row.sent_ms = now - 5000;
    row.deadline_ms = now - 10;
    assert_int_equal(store_as2_out_record(fx->s, &row, why, sizeof why), EDI_OK);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/partners", fx->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    mapping_ctx *mc = mapping_new(GATEWAY_FORMATS_DIR "/canonical/canonical.xsd");
    doc_findings f = { 0 };
    partner_set *ps = partner_set_load(mc, GATEWAY_FORMATS_DIR "/../partners/partner.xsd", dir, &f, why, sizeof why);
    assert_non_null(ps);
    size_t changed = 9;
    assert_int_equal(as2_send_tick(fx->s, ps, now, "test", &changed, why, sizeof why), EDI_OK);
    assert_int_equal(changed, 1);
    store_as2_out got;
    assert_int_equal(store_as2_out_latest(fx->s, fx->message_id, &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.mdn_state, AS2_OUT_MISSING);
    store_message m;
    assert_int_equal(store_message_get(fx->s, fx->message_id, &m, why, sizeof why), EDI_OK);
    assert_string_equal(m.status, STORE_STATUS_FAILED);
    assert_non_null(strstr(m.status_reason, "MDN missing after timeout"));
    /* a second tick finds nothing more */
    assert_int_equal(as2_send_tick(fx->s, ps, now, "test", &changed, why, sizeof why), EDI_OK);
    assert_int_equal(changed, 0);
    partner_set_free(ps);
    doc_findings_free(&f);
    mapping_free(mc);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_id),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_build_signed_encrypted),
        cmocka_unit_test(test_build_plain),
        cmocka_unit_test(test_build_compress_before_sign),
        cmocka_unit_test(test_build_compress_after_sign),
        cmocka_unit_test(test_check_mdn),
        cmocka_unit_test_setup_teardown(test_as2_out_records, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_tick_missing, setup_db, teardown_db),
    };
    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
