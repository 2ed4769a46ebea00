/* The AS2 core over captured traffic (tests/corpus/as2/, values from its SOURCES.md):
 * Mendelson, IBM Sterling, libas2 and an "as2testing" .NET server. Each message is taken
 * apart with as2_mime over the raw bytes, decrypted, verified, decompressed, and its payload
 * and MIC compared with what the corpus notes say. */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <strings.h>

#include <openssl/sha.h>

#include "as2_cms.h"
#include "as2_mic.h"
#include "as2_mime.h"
#include "test_as2_util.h"

#define PY AS2_CORPUS "pyas2-lib/"
#define NL AS2_CORPUS "node-libas2/"

typedef struct {
    edi_buf raw;          /* the capture: HTTP headers, blank line, body */
    as2_part http;        /* the capture as an entity */
    as2_content_type ct;
} capture;

static void open_capture(capture *c, const char *path, bool to_crlf)
{
    edi_buf raw = t_read(path);
    if (to_crlf) {
        c->raw = t_crlf(&raw);
        edi_buf_free(&raw);
    } else {
        c->raw = raw;
    }
    as2_mime_entity(c->raw.p, c->raw.len, &c->http);
    assert_false(c->http.headerless);
    char v[512], why[200];
    assert_true(as2_mime_header(c->raw.p, c->http.headers, "Content-Type", v, sizeof v));
    assert_int_equal(as2_mime_content_type(v, &c->ct, why, sizeof why), EDI_OK);
}

static X509 *the_cert(const char *path)
{
    X509 *c = t_cert(path);
    assert_non_null(c);
    return c;
}

static void decrypt_body(const char *body, size_t len, edi_buf *plain, as2_decrypt_info *info)
{
    EVP_PKEY *key = t_key(PY "cert_test.pem", "test");
    X509 *cert = the_cert(PY "cert_test_public.pem");
    assert_non_null(key);
    assert_int_equal(as2_cms_sniff((const unsigned char *)body, len), AS2_CMS_ENVELOPED);
    CMS_ContentInfo *cms = NULL;
    char why[600];
    assert_int_equal(as2_cms_read((const unsigned char *)body, len, &cms, why, sizeof why),
                     AS2_OK);
    as2_error e = as2_cms_decrypt(cms, key, cert, plain, info, why, sizeof why);
    if (e != AS2_OK)
        fail_msg("decrypt: %s", why);
    CMS_ContentInfo_free(cms);
    EVP_PKEY_free(key);
    X509_free(cert);
}

/* Split the multipart/signed entity in buf and verify it with `signer`. */
static void verify_entity(const char *buf, const as2_part *ent, const as2_content_type *ct,
                          X509 *signer, as2_multipart *mp, as2_verify_info *vi)
{
    char why[600];
    assert_string_equal(ct->type, "multipart/signed");
    assert_int_equal(as2_mime_multipart(buf, ent->body, ct->boundary, mp, why, sizeof why),
                     EDI_OK);
    assert_int_equal(mp->n, 2);
    STACK_OF(X509) *certs = t_stack(signer);
    as2_error e = as2_cms_verify_signed(buf, mp, certs, AS2_VERIFY_TRY_CANONICAL, false, vi, why,
                                        sizeof why);
    if (e != AS2_OK)
        fail_msg("verify: %s", why);
    sk_X509_pop_free(certs, X509_free);
}

static void assert_payload(const char *p, size_t len, const char *file)
{
    edi_buf want = t_read(file);
    assert_int_equal(len, want.len);
    assert_memory_equal(p, want.p, len);
    edi_buf_free(&want);
}

static void part_ct(const char *buf, const as2_part *p, as2_content_type *ct)
{
    char v[512], why[200];
    assert_true(as2_mime_header(buf, p->headers, "Content-Type", v, sizeof v));
    assert_int_equal(as2_mime_content_type(v, ct, why, sizeof why), EDI_OK);
}

/* Decompress a compressed-data part (CTE binary) and return the inflated entity. */
static edi_buf inflate_part(const char *buf, const as2_part *p)
{
    as2_content_type ct;
    part_ct(buf, p, &ct);
    assert_string_equal(ct.smime_type, "compressed-data");
    edi_buf der = {0}, out = {0};
    char why[300];
    assert_int_equal(as2_mime_decode_body(buf, p, &der, why, sizeof why), EDI_OK);
    assert_int_equal(as2_cms_sniff((const unsigned char *)der.p, der.len), AS2_CMS_COMPRESSED);
    as2_error e = as2_cms_decompress((const unsigned char *)der.p, der.len, 1 << 20, &out, why,
                                     sizeof why);
    if (e != AS2_OK)
        fail_msg("decompress: %s", why);
    edi_buf_free(&der);
    return out;
}

/* ---- Mendelson ------------------------------------------------------------------------ */

static void mendelson_signed(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_signed.as2", false);
    assert_int_equal(as2_mic_alg_parse(c.ct.micalg, (size_t)-1), AS2_MIC_SHA256);
    X509 *signer = the_cert(PY "cert_mecas2_public.pem");
    as2_multipart mp;
    as2_verify_info vi;
    verify_entity(c.raw.p, &c.http, &c.ct, signer, &mp, &vi);
    /* The capture was saved with LF: only the CRLF header variant verifies. */
    assert_int_equal(vi.variant, AS2_VARIANT_CANONICAL);
    assert_int_equal(vi.digest, AS2_MIC_SHA256);
    assert_true(vi.signed_attrs);
    assert_false(vi.binary_signature);
    assert_string_equal(vi.mic, "G6PhshLOERWJEIfypIh6Q3sno6cBUWJBDky1igJvDMo=");
    const as2_part *p = &mp.part[0];
    assert_payload(c.raw.p + p->body.off, p->body.len, PY "payload.txt");
    char cd[200], fn[100];
    assert_true(as2_mime_header(c.raw.p, p->headers, "content-disposition", cd, sizeof cd));
    assert_true(as2_mime_param(cd, "filename", fn, sizeof fn));
    assert_string_equal(fn, "payload.txt");
    X509_free(signer);
    edi_buf_free(&c.raw);
}

static void mendelson_encrypted_headerless(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_encrypted.as2", false);
    assert_string_equal(c.ct.type, "application/pkcs7-mime");
    assert_string_equal(c.ct.smime_type, "enveloped-data");
    edi_buf plain = {0};
    as2_decrypt_info di;
    decrypt_body(c.raw.p + c.http.body.off, c.http.body.len, &plain, &di);
    assert_int_equal(di.cipher, AS2_CIPHER_3DES);
    assert_int_equal(di.kt, AS2_KT_RSA_PKCS1);
    assert_int_equal(di.type, AS2_CMS_ENVELOPED);
    as2_part ent;
    as2_mime_entity(plain.p, plain.len, &ent);
    assert_true(ent.headerless);                 /* the bare payload, no MIME headers */
    assert_payload(plain.p + ent.body.off, ent.body.len, PY "payload.txt");
    /* Encrypted-unsigned: the MIC is over the decrypted entity, here the bare payload. */
    as2_seg seg = {(const unsigned char *)plain.p, plain.len};
    char mic[AS2_MIC_B64_MAX], why[100], want[AS2_MIC_B64_MAX];
    assert_int_equal(as2_mic_compute(AS2_MIC_SHA256, &seg, 1, mic, sizeof mic, why, sizeof why),
                     EDI_OK);
    unsigned char md[32];
    edi_buf pl = t_read(PY "payload.txt");
    SHA256((const unsigned char *)pl.p, pl.len, md);
    assert_int_equal(md[0], 0x35);               /* SOURCES.md: sha256 359d17b5... */
    assert_int_equal(md[1], 0x9d);
    assert_true(as2_mic_b64(md, 32, want, sizeof want));
    assert_string_equal(mic, want);
    /* The filename is only in the HTTP header. */
    char cd[200], fn[100];
    assert_true(as2_mime_header(c.raw.p, c.http.headers, "Content-Disposition", cd, sizeof cd));
    assert_true(as2_mime_param(cd, "filename", fn, sizeof fn));
    assert_string_equal(fn, "payload.txt");
    edi_buf_free(&pl);
    edi_buf_free(&plain);
    edi_buf_free(&c.raw);
}

static void mendelson_signed_encrypted(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_signed_encrypted.as2", false);
    edi_buf plain = {0};
    as2_decrypt_info di;
    decrypt_body(c.raw.p + c.http.body.off, c.http.body.len, &plain, &di);
    assert_int_equal(di.cipher, AS2_CIPHER_3DES);
    as2_part ent;
    as2_mime_entity(plain.p, plain.len, &ent);
    assert_false(ent.headerless);
    as2_content_type ct;
    part_ct(plain.p, &ent, &ct);
    X509 *signer = the_cert(PY "cert_mecas2_public.pem");
    as2_multipart mp;
    as2_verify_info vi;
    verify_entity(plain.p, &ent, &ct, signer, &mp, &vi);
    assert_int_equal(vi.variant, AS2_VARIANT_EXACT);   /* decrypted bytes are canonical */
    assert_string_equal(vi.mic, "G6PhshLOERWJEIfypIh6Q3sno6cBUWJBDky1igJvDMo=");
    assert_payload(plain.p + mp.part[0].body.off, mp.part[0].body.len, PY "payload.txt");
    X509_free(signer);
    edi_buf_free(&plain);
    edi_buf_free(&c.raw);
}

/* Compress-before-sign: the MIC covers the compressed part. */
static void check_compressed_signed(const char *buf, const as2_part *ent,
                                    const as2_content_type *ct)
{
    X509 *signer = the_cert(PY "cert_mecas2_public.pem");
    as2_multipart mp;
    as2_verify_info vi;
    verify_entity(buf, ent, ct, signer, &mp, &vi);
    assert_string_equal(vi.mic, "14SZThwSYUH4aPdkglDwdRFnKUFmgjKsJFZWcSXBTww=");
    edi_buf inner = inflate_part(buf, &mp.part[0]);
    assert_int_equal(inner.len, 751);             /* SOURCES.md: 558 -> 751 bytes */
    as2_part pe;
    as2_mime_entity(inner.p, inner.len, &pe);
    assert_false(pe.headerless);
    assert_payload(inner.p + pe.body.off, pe.body.len, PY "payload.txt");
    edi_buf_free(&inner);
    X509_free(signer);
}

static void mendelson_compressed(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_compressed.as2", false);
    check_compressed_signed(c.raw.p, &c.http, &c.ct);
    edi_buf_free(&c.raw);
}

static void mendelson_compressed_signed_encrypted(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_compressed_signed_encrypted.as2", false);
    edi_buf plain = {0};
    as2_decrypt_info di;
    decrypt_body(c.raw.p + c.http.body.off, c.http.body.len, &plain, &di);
    as2_part ent;
    as2_mime_entity(plain.p, plain.len, &ent);
    as2_content_type ct;
    part_ct(plain.p, &ent, &ct);
    check_compressed_signed(plain.p, &ent, &ct);
    edi_buf_free(&plain);
    edi_buf_free(&c.raw);
}

static void mendelson_mdns(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_signed.mdn", false);
    assert_int_equal(as2_mic_alg_parse(c.ct.micalg, (size_t)-1), AS2_MIC_SHA1);
    char why[600];
    as2_multipart mp;
    assert_int_equal(as2_mime_multipart(c.raw.p, c.http.body, c.ct.boundary, &mp, why,
                                        sizeof why), EDI_OK);
    assert_int_equal(mp.n, 2);
    /* Its signer (CN=mecas2, 2016) is only embedded in the signature: take it from there. */
    edi_buf sig = {0};
    assert_int_equal(as2_mime_decode_body(c.raw.p, &mp.part[1], &sig, why, sizeof why), EDI_OK);
    CMS_ContentInfo *cms = NULL;
    assert_int_equal(as2_cms_read((const unsigned char *)sig.p, sig.len, &cms, why, sizeof why),
                     AS2_OK);
    STACK_OF(X509) *embedded = CMS_get1_certs(cms);
    assert_non_null(embedded);
    as2_verify_info vi;
    as2_error e = as2_cms_verify_signed(c.raw.p, &mp, embedded, AS2_VERIFY_TRY_CANONICAL, false,
                                        &vi, why, sizeof why);
    if (e != AS2_OK)
        fail_msg("%s", why);
    assert_string_equal(vi.mic, "S7j1nnJZHD1Iq89ZwaZizEiSIpA=");
    /* The report inside: part 2 is message/disposition-notification. */
    as2_content_type rct;
    part_ct(c.raw.p, &mp.part[0], &rct);
    assert_string_equal(rct.type, "multipart/report");
    assert_string_equal(rct.report_type, "disposition-notification");
    as2_multipart rep;
    assert_int_equal(as2_mime_multipart(c.raw.p, mp.part[0].body, rct.boundary, &rep, why,
                                        sizeof why), EDI_OK);
    assert_true(rep.n >= 2);
    as2_part fields;
    as2_mime_entity(c.raw.p + rep.part[1].body.off, rep.part[1].body.len, &fields);
    char v[200], b64[AS2_MIC_B64_MAX];
    as2_slice hs = {rep.part[1].body.off, rep.part[1].body.len};
    assert_true(as2_mime_header(c.raw.p, hs, "Received-Content-MIC", v, sizeof v));
    as2_mic_alg alg;
    assert_true(as2_mic_parse(v, b64, sizeof b64, &alg));
    assert_int_equal(alg, AS2_MIC_SHA256);
    assert_string_equal(b64, "O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=");
    assert_true(as2_mime_header(c.raw.p, hs, "Original-Message-ID", v, sizeof v));
    assert_string_equal(v, "<20161230102456.10748.40759@imac.local>");
    sk_X509_pop_free(embedded, X509_free);
    CMS_ContentInfo_free(cms);
    edi_buf_free(&sig);
    edi_buf_free(&c.raw);

    capture u;
    open_capture(&u, PY "mecas2_unsigned.mdn", false);
    assert_string_equal(u.ct.type, "multipart/report");
    assert_int_equal(as2_mime_multipart(u.raw.p, u.http.body, u.ct.boundary, &rep, why,
                                        sizeof why), EDI_OK);
    bool found = false;
    for (size_t i = 0; i < rep.n; i++) {
        as2_slice b = rep.part[i].body;
        if (as2_mime_header(u.raw.p, b, "Disposition", v, sizeof v)) {
            assert_string_equal(v, "automatic-action/MDN-sent-automatically; "
                                   "processed/error: authentication-failed");
            assert_false(as2_mime_header(u.raw.p, b, "Received-Content-MIC", v, sizeof v));
            found = true;
        }
    }
    assert_true(found);
    edi_buf_free(&u.raw);
}

/* ---- IBM Sterling --------------------------------------------------------------------- */

static void sterling_signed_compressed(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "sb2bi_signed_cmp.msg", false);
    assert_int_equal(as2_mic_alg_parse(c.ct.micalg, (size_t)-1), AS2_MIC_SHA1);  /* "SHA1" */
    X509 *signer = the_cert(PY "cert_sb2bi_public.pem");
    as2_multipart mp;
    as2_verify_info vi;
    verify_entity(c.raw.p, &c.http, &c.ct, signer, &mp, &vi);
    assert_true(vi.binary_signature);
    assert_false(vi.signed_attrs);
    assert_int_equal(vi.digest, AS2_MIC_SHA1);
    assert_string_equal(vi.mic, "nZlzT7DuLh1J6ijDrDTkByY6WSM=");
    edi_buf inner = inflate_part(c.raw.p, &mp.part[0]);
    as2_part pe;
    as2_mime_entity(inner.p, inner.len, &pe);
    assert_false(pe.headerless);
    char v[200], fn[100];
    assert_true(as2_mime_header(inner.p, pe.headers, "Content-Type", v, sizeof v));
    assert_int_equal(strncasecmp(v, "application/edi-x12", 19), 0);
    assert_true(as2_mime_header(inner.p, pe.headers, "Content-Disposition", v, sizeof v));
    assert_true(as2_mime_param(v, "filename", fn, sizeof fn));
    assert_string_equal(fn, "Mclane_850_494457167");
    edi_buf payload = {0};
    char why[200];
    assert_int_equal(as2_mime_decode_body(inner.p, &pe, &payload, why, sizeof why), EDI_OK);
    assert_true(payload.len > 100);
    assert_memory_equal(payload.p, "ISA", 3);
    assert_non_null(memmem(payload.p, payload.len, "ST*850", 6));
    edi_buf_free(&payload);
    edi_buf_free(&inner);
    X509_free(signer);
    edi_buf_free(&c.raw);
}

static void sterling_mdn_binary_signature(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "sb2bi_signed.mdn", false);
    X509 *signer = the_cert(PY "cert_sb2bi_public.pem");
    as2_multipart mp;
    as2_verify_info vi;
    verify_entity(c.raw.p, &c.http, &c.ct, signer, &mp, &vi);
    assert_true(vi.binary_signature);
    assert_false(vi.signed_attrs);
    assert_int_equal(vi.digest, AS2_MIC_SHA1);
    char v[200], b64[AS2_MIC_B64_MAX];
    bool found = false;
    as2_content_type rct;
    part_ct(c.raw.p, &mp.part[0], &rct);
    as2_multipart rep;
    char why[300];
    assert_int_equal(as2_mime_multipart(c.raw.p, mp.part[0].body, rct.boundary, &rep, why,
                                        sizeof why), EDI_OK);
    for (size_t i = 0; i < rep.n; i++)
        if (as2_mime_header(c.raw.p, rep.part[i].body, "Received-Content-MIC", v, sizeof v)) {
            as2_mic_alg alg;
            assert_true(as2_mic_parse(v, b64, sizeof b64, &alg));    /* "...=,sha1" */
            assert_int_equal(alg, AS2_MIC_SHA1);
            assert_string_equal(b64, "wNh76aEicfBurg/et2wio4zk/2I=");
            found = true;
        }
    assert_true(found);
    X509_free(signer);
    edi_buf_free(&c.raw);
}

/* ---- libas2 and the .NET server ------------------------------------------------------- */

static void libas2_signed_and_dotnet_mdn(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, NL "content.signed.txt", true);
    X509 *signer = the_cert(NL "libas2community.cer");
    as2_multipart mp;
    as2_verify_info vi;
    verify_entity(c.raw.p, &c.http, &c.ct, signer, &mp, &vi);
    assert_int_equal(vi.variant, AS2_VARIANT_EXACT);
    assert_string_equal(vi.mic, "bIwxkbRLLtHWlniKxMReISQ/GvEve0LV/hxdl9OD0E8=");
    edi_buf edi = {0};
    char why[300];
    assert_int_equal(as2_mime_decode_body(c.raw.p, &mp.part[0], &edi, why, sizeof why), EDI_OK);
    assert_payload(edi.p, edi.len, NL "sample_edi.edi");

    capture m;
    open_capture(&m, NL "mdn.signed.txt", true);
    X509 *dotnet = the_cert(NL "as2testing.cer");
    as2_multipart mm;
    as2_verify_info mv;
    verify_entity(m.raw.p, &m.http, &m.ct, dotnet, &mm, &mv);
    as2_content_type rct;
    part_ct(m.raw.p, &mm.part[0], &rct);
    as2_multipart rep;
    assert_int_equal(as2_mime_multipart(m.raw.p, mm.part[0].body, rct.boundary, &rep, why,
                                        sizeof why), EDI_OK);
    char v[200], b64[AS2_MIC_B64_MAX];
    bool found = false;
    for (size_t i = 0; i < rep.n; i++)
        if (as2_mime_header(m.raw.p, rep.part[i].body, "Received-Content-MIC", v, sizeof v)) {
            as2_mic_alg alg;
            assert_true(as2_mic_parse(v, b64, sizeof b64, &alg));
            /* The end-to-end vector: their MIC is ours over part 1 of content.signed.txt. */
            assert_true(as2_mic_equal(b64, alg, vi.mic, vi.digest));
            found = true;
        }
    assert_true(found);
    X509_free(dotnet);
    X509_free(signer);
    edi_buf_free(&edi);
    edi_buf_free(&m.raw);
    edi_buf_free(&c.raw);
}

static void libas2_encrypted_oaep_sha512(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, NL "content.encrypted.txt", true);
    assert_string_equal(c.ct.smime_type, "enveloped-data");
    assert_string_equal(c.ct.name, "smime.p7m");            /* folded Content-Type */
    edi_buf der = {0}, plain = {0};
    char why[600];
    assert_int_equal(as2_mime_decode_body(c.raw.p, &c.http, &der, why, sizeof why), EDI_OK);
    EVP_PKEY *key = t_key(NL "libas2community.key", NULL);
    X509 *cert = the_cert(NL "libas2community.cer");
    CMS_ContentInfo *cms = NULL;
    assert_int_equal(as2_cms_read((const unsigned char *)der.p, der.len, &cms, why, sizeof why),
                     AS2_OK);
    as2_decrypt_info di;
    as2_error e = as2_cms_decrypt(cms, key, cert, &plain, &di, why, sizeof why);
    if (e != AS2_OK)
        fail_msg("%s", why);
    assert_int_equal(di.kt, AS2_KT_RSA_OAEP);
    assert_int_equal(di.oaep_md, AS2_MIC_SHA512);
    assert_int_equal(di.cipher, AS2_CIPHER_AES128_CBC);
    as2_seg seg = {(const unsigned char *)plain.p, plain.len};
    char mic[AS2_MIC_B64_MAX];
    assert_int_equal(as2_mic_compute(AS2_MIC_SHA256, &seg, 1, mic, sizeof mic, why, sizeof why),
                     EDI_OK);
    assert_string_equal(mic, "iKv1bgG2EwYhOlnoyiU4KpzrP9T9LGyPY8lxxb1i+UU=");
    as2_part ent;
    as2_mime_entity(plain.p, plain.len, &ent);
    assert_false(ent.headerless);
    edi_buf edi = {0};
    assert_int_equal(as2_mime_decode_body(plain.p, &ent, &edi, why, sizeof why), EDI_OK);
    assert_payload(edi.p, edi.len, NL "sample_edi.edi");
    CMS_ContentInfo_free(cms);
    EVP_PKEY_free(key);
    X509_free(cert);
    edi_buf_free(&edi);
    edi_buf_free(&plain);
    edi_buf_free(&der);
    edi_buf_free(&c.raw);
}

/* ---- failures on captured messages ---------------------------------------------------- */

static void corpus_wrong_key_and_wrong_signer(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_encrypted.as2", false);
    EVP_PKEY *key;
    X509 *cert;
    assert_true(t_keypair("not-the-recipient", &key, &cert));
    CMS_ContentInfo *cms = NULL;
    char why[900];
    assert_int_equal(as2_cms_read((const unsigned char *)c.raw.p + c.http.body.off,
                                  c.http.body.len, &cms, why, sizeof why), AS2_OK);
    edi_buf plain = {0};
    as2_decrypt_info di;
    assert_int_equal(as2_cms_decrypt(cms, key, cert, &plain, &di, why, sizeof why),
                     AS2_E_DECRYPTION);
    assert_non_null(strstr(why, "not encrypted to our certificate"));
    assert_non_null(strstr(why, "1 recipient info: key transport (rsaEncryption) to issuer"));
    assert_non_null(strstr(why, "pyas2lib"));
    assert_int_equal(plain.len, 0);
    assert_int_equal(as2_cms_decrypt(cms, NULL, NULL, &plain, &di, why, sizeof why),
                     AS2_E_DECRYPTION);
    assert_non_null(strstr(why, "not encrypted to any certificate of ours"));
    assert_string_equal(as2_error_disposition(AS2_E_DECRYPTION), "decryption-failed");
    CMS_ContentInfo_free(cms);
    edi_buf_free(&c.raw);

    capture s;
    open_capture(&s, PY "mecas2_signed.as2", false);
    as2_multipart mp;
    assert_int_equal(as2_mime_multipart(s.raw.p, s.http.body, s.ct.boundary, &mp, why,
                                        sizeof why), EDI_OK);
    STACK_OF(X509) *wrong = t_stack(cert);
    as2_verify_info vi;
    assert_int_equal(as2_cms_verify_signed(s.raw.p, &mp, wrong, AS2_VERIFY_TRY_CANONICAL, false,
                                           &vi, why, sizeof why), AS2_E_AUTHENTICATION);
    assert_non_null(strstr(why, "none of the 1 certificate"));
    assert_int_equal(vi.digest, AS2_MIC_SHA256);
    /* The right certificate, but one byte of the payload changed. */
    X509 *signer = the_cert(PY "cert_mecas2_public.pem");
    STACK_OF(X509) *right = t_stack(signer);
    s.raw.p[mp.part[0].body.off + 10] ^= 1;
    assert_int_equal(as2_cms_verify_signed(s.raw.p, &mp, right, AS2_VERIFY_TRY_CANONICAL, false,
                                           &vi, why, sizeof why), AS2_E_AUTHENTICATION);
    assert_non_null(strstr(why, "does not verify"));
    assert_non_null(strstr(why, "also tried: canonical"));
    assert_string_equal(as2_error_disposition(AS2_E_AUTHENTICATION), "authentication-failed");
    sk_X509_pop_free(right, X509_free);
    sk_X509_pop_free(wrong, X509_free);
    X509_free(signer);
    EVP_PKEY_free(key);
    X509_free(cert);
    edi_buf_free(&s.raw);
}

static void corpus_bad_compression(void **state)
{
    (void)state;
    capture c;
    open_capture(&c, PY "mecas2_compressed.as2", false);
    char why[300];
    as2_multipart mp;
    assert_int_equal(as2_mime_multipart(c.raw.p, c.http.body, c.ct.boundary, &mp, why,
                                        sizeof why), EDI_OK);
    edi_buf der = {0}, out = {0};
    assert_int_equal(as2_mime_decode_body(c.raw.p, &mp.part[0], &der, why, sizeof why), EDI_OK);
    /* Damage the zlib stream near its end (the DER framing stays intact). */
    der.p[der.len - 20] ^= 0x55;
    assert_int_equal(as2_cms_decompress((const unsigned char *)der.p, der.len, 1 << 20, &out, why,
                                        sizeof why), AS2_E_DECOMPRESSION);
    assert_non_null(strstr(why, "zlib"));
    assert_int_equal(out.len, 0);
    der.p[der.len - 20] ^= 0x55;
    /* Within a limit smaller than the content: refused as too large. */
    assert_int_equal(as2_cms_decompress((const unsigned char *)der.p, der.len, 100, &out, why,
                                        sizeof why), AS2_E_LIMIT);
    assert_non_null(strstr(why, "more than 100 bytes"));
    /* Not CMS at all. */
    assert_int_equal(as2_cms_decompress((const unsigned char *)"hello", 5, 1 << 20, &out, why,
                                        sizeof why), AS2_E_DECOMPRESSION);
    assert_string_equal(as2_error_disposition(AS2_E_DECOMPRESSION), "decompression-failed");
    edi_buf_free(&der);
    edi_buf_free(&out);
    edi_buf_free(&c.raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mendelson_signed),
        cmocka_unit_test(mendelson_encrypted_headerless),
        cmocka_unit_test(mendelson_signed_encrypted),
        cmocka_unit_test(mendelson_compressed),
        cmocka_unit_test(mendelson_compressed_signed_encrypted),
        cmocka_unit_test(mendelson_mdns),
        cmocka_unit_test(sterling_signed_compressed),
        cmocka_unit_test(sterling_mdn_binary_signature),
        cmocka_unit_test(libas2_signed_and_dotnet_mdn),
        cmocka_unit_test(libas2_encrypted_oaep_sha512),
        cmocka_unit_test(corpus_wrong_key_and_wrong_signer),
        cmocka_unit_test(corpus_bad_compression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
