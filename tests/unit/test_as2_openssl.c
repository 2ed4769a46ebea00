/* The AS2 core against the `openssl cms` command line, both ways, with keys made at test
 * time: what we sign, encrypt and compress, openssl verifies, decrypts and parses; what
 * openssl signs and encrypts, we verify and decrypt, and our MIC equals `openssl dgst` over
 * the signed part. Every algorithm combination of issue 5: SHA-1 (inbound only),
 * SHA-256/384/512, RSASSA-PSS, with and without signed attributes, base64 or binary
 * signature part; 3DES, AES-128/192/256-CBC, AES-GCM (AuthEnvelopedData); PKCS#1 v1.5 and
 * OAEP; compressed before or after signing. Plus tampering, wrong keys and the rules. */
#define _GNU_SOURCE /* mkdtemp, memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "as2_cms.h"
#include "as2_mic.h"
#include "as2_mime.h"
#include "test_as2_util.h"

typedef struct {
    char dir[64];
    EVP_PKEY *key;       /* "gw": signs and is encrypted to */
    X509 *cert;
    EVP_PKEY *other_key; /* a second party: the wrong key */
    X509 *other_cert;
    edi_buf part;        /* a MIME entity: CRLF headers, binary EDIFACT body */
} fixture;

static char path_buf[8][256];

static const char *at(fixture *f, int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", f->dir, name);
    return path_buf[slot];
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/as2-openssl-XXXXXX");
    if (!mkdtemp(f->dir) || !t_keypair("gw-as2", &f->key, &f->cert) ||
        !t_keypair("other-as2", &f->other_key, &f->other_cert))
        return -1;
    FILE *fp = fopen(at(f, 0, "gw.key"), "wb");
    PEM_write_PrivateKey(fp, f->key, NULL, NULL, 0, NULL, NULL);
    fclose(fp);
    fp = fopen(at(f, 0, "gw.crt"), "wb");
    PEM_write_X509(fp, f->cert);
    fclose(fp);
    const char *hdr = "Content-Type: application/EDIFACT\r\n"
                      "Content-Transfer-Encoding: binary\r\n"
                      "Content-Disposition: attachment; filename=\"order.edi\"";
    char body[2048];
    size_t n = 0;
    n += (size_t)snprintf(body, sizeof body, "UNB+UNOC:3+SENDER+RECEIVER+260101:1200+1'\n");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "LIN+%d++4000862141404:SRS'\n", i + 1);
    body[n++] = '\0';                 /* a NUL and bare LFs: binary bytes are kept as they are */
    body[n++] = (char)0xff;
    as2_seg b = {(const unsigned char *)body, n};
    char why[200];
    if (as2_mime_write_part(hdr, &b, 1, &f->part, NULL, why, sizeof why) != EDI_OK)
        return -1;
    write_file(at(f, 0, "part.mime"), f->part.p, f->part.len);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    run("rm -rf %s", f->dir);
    EVP_PKEY_free(f->key);
    X509_free(f->cert);
    EVP_PKEY_free(f->other_key);
    X509_free(f->other_cert);
    edi_buf_free(&f->part);
    free(f);
    return 0;
}

static as2_seg part_seg(fixture *f)
{
    return (as2_seg){(const unsigned char *)f->part.p, f->part.len};
}

/* base64 of `openssl dgst` over part.mime: the independent MIC. */
static void openssl_mic(fixture *f, as2_mic_alg alg, char *out, size_t n)
{
    static const char *names[] = {[AS2_MIC_SHA1] = "sha1", [AS2_MIC_SHA256] = "sha256",
                                  [AS2_MIC_SHA384] = "sha384", [AS2_MIC_SHA512] = "sha512"};
    char cmd[512];
    snprintf(cmd, sizeof cmd, "openssl dgst -%s -binary %s | base64 -w0", names[alg],
             at(f, 7, "part.mime"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, (int)n, p));
    pclose(p);
}

/* ---- we sign, openssl verifies; and we verify what we signed -------------------------- */

static void we_sign_openssl_verifies(void **state)
{
    fixture *f = *state;
    static const as2_mic_alg algs[] = {AS2_MIC_SHA1, AS2_MIC_SHA256, AS2_MIC_SHA384,
                                       AS2_MIC_SHA512};
    as2_seg seg = part_seg(f);
    char why[600];
    for (size_t a = 0; a < 4; a++)
        for (int pss = 0; pss < 2; pss++)
            for (int noattr = 0; noattr < 2; noattr++)
                for (int binary = 0; binary < 2; binary++) {
                    as2_sign_opts o = {.digest = algs[a], .pss = pss, .no_signed_attrs = noattr,
                                       .allow_sha1 = true};
                    edi_buf sig = {0}, msg = {0};
                    as2_error e = as2_cms_sign(&seg, 1, f->key, f->cert, &o, &sig, why,
                                               sizeof why);
                    if (e != AS2_OK)
                        fail_msg("sign %zu/%d/%d: %s", a, pss, noattr, why);
                    char ct[200];
                    assert_int_equal(as2_mime_write_signed(&seg, 1, (unsigned char *)sig.p,
                                                           sig.len, as2_mic_alg_name(algs[a]),
                                                           binary, &msg, ct, sizeof ct, why,
                                                           sizeof why), EDI_OK);
                    /* Back through our own MIME and verification. */
                    as2_content_type t;
                    assert_int_equal(as2_mime_content_type(ct, &t, why, sizeof why), EDI_OK);
                    assert_int_equal(as2_mic_alg_parse(t.micalg, (size_t)-1), algs[a]);
                    as2_multipart mp;
                    as2_slice body = {0, msg.len};
                    assert_int_equal(as2_mime_multipart(msg.p, body, t.boundary, &mp, why,
                                                        sizeof why), EDI_OK);
                    assert_int_equal(mp.part[0].whole.len, f->part.len);
                    assert_memory_equal(msg.p + mp.part[0].whole.off, f->part.p, f->part.len);
                    STACK_OF(X509) *certs = t_stack(f->cert);
                    as2_verify_info vi;
                    e = as2_cms_verify_signed(msg.p, &mp, certs, 0, false, &vi, why, sizeof why);
                    if (e != AS2_OK)
                        fail_msg("verify %zu/%d/%d/%d: %s", a, pss, noattr, binary, why);
                    assert_int_equal(vi.digest, algs[a]);
                    assert_int_equal(vi.pss, pss);
                    assert_int_equal(vi.signed_attrs, !noattr);
                    assert_int_equal(vi.binary_signature, binary);
                    assert_int_equal(vi.variant, AS2_VARIANT_EXACT);
                    char want[AS2_MIC_B64_MAX];
                    openssl_mic(f, algs[a], want, sizeof want);
                    assert_string_equal(vi.mic, want);
                    sk_X509_pop_free(certs, X509_free);
                    /* openssl verifies the detached signature over the exact part. */
                    write_file(at(f, 1, "sig.der"), sig.p, sig.len);
                    assert_int_equal(run("openssl cms -verify -binary -inform DER -in %s "
                                         "-content %s -CAfile %s -out /dev/null 2>/dev/null",
                                         at(f, 1, "sig.der"), at(f, 2, "part.mime"),
                                         at(f, 3, "gw.crt")), 0);
                    edi_buf_free(&sig);
                    edi_buf_free(&msg);
                }
    /* The whole multipart/signed as an S/MIME entity through openssl's own MIME reader.
     * That reader rewrites every line end of part 1, so it can only check a part whose
     * lines all end in CRLF (the binary part above has bare LFs and is checked detached). */
    const char *text = "Content-Type: application/EDIFACT\r\n\r\nUNB+UNOC:3+A+B+260101:1200+1'\r\n"
                       "UNZ+0+1'\r\n";
    as2_seg ts = {(const unsigned char *)text, strlen(text)};
    edi_buf sig = {0}, msg = {0}, ent = {0};
    char ct[200];
    assert_int_equal(as2_cms_sign(&ts, 1, f->key, f->cert, NULL, &sig, why, sizeof why), AS2_OK);
    assert_int_equal(as2_mime_write_signed(&ts, 1, (unsigned char *)sig.p, sig.len, "sha-256",
                                           false, &msg, ct, sizeof ct, why, sizeof why), EDI_OK);
    edi_buf_append(&ent, "MIME-Version: 1.0\r\nContent-Type: ", 33);
    edi_buf_append(&ent, ct, strlen(ct));
    edi_buf_append(&ent, "\r\n\r\n", 4);
    edi_buf_append(&ent, msg.p, msg.len);
    write_file(at(f, 4, "signed.mime"), ent.p, ent.len);
    assert_int_equal(run("openssl cms -verify -binary -crlfeol -in %s -CAfile %s -out %s "
                         "2>/dev/null", at(f, 4, "signed.mime"), at(f, 3, "gw.crt"),
                         at(f, 5, "out.bin")), 0);
    edi_buf got = t_read(at(f, 5, "out.bin"));
    assert_int_equal(got.len, ts.len);
    assert_memory_equal(got.p, text, got.len);
    edi_buf_free(&got);
    edi_buf_free(&ent);
    edi_buf_free(&sig);
    edi_buf_free(&msg);
}

/* ---- openssl signs, we verify --------------------------------------------------------- */

static void openssl_signs_we_verify(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *md;
        as2_mic_alg alg;
    } mds[] = {{"sha1", AS2_MIC_SHA1}, {"sha256", AS2_MIC_SHA256}, {"sha384", AS2_MIC_SHA384},
               {"sha512", AS2_MIC_SHA512}};
    as2_seg seg = part_seg(f);
    char why[600];
    for (size_t a = 0; a < 4; a++)
        for (int pss = 0; pss < 2; pss++)
            for (int noattr = 0; noattr < 2; noattr++) {
                assert_int_equal(run("openssl cms -sign -binary -md %s -signer %s -inkey %s %s %s "
                                     "-in %s -outform DER -out %s 2>/dev/null", mds[a].md,
                                     at(f, 0, "gw.crt"), at(f, 1, "gw.key"),
                                     pss ? "-keyopt rsa_padding_mode:pss" : "",
                                     noattr ? "-noattr" : "", at(f, 2, "part.mime"),
                                     at(f, 3, "sig.der")), 0);
                edi_buf sig = t_read(at(f, 3, "sig.der"));
                STACK_OF(X509) *certs = t_stack(f->cert);
                as2_verify_info vi;
                as2_error e = as2_cms_verify((unsigned char *)sig.p, sig.len, &seg, 1, certs,
                                             false, &vi, why, sizeof why);
                if (e != AS2_OK)
                    fail_msg("%s pss=%d noattr=%d: %s", mds[a].md, pss, noattr, why);
                assert_int_equal(vi.digest, mds[a].alg);
                assert_int_equal(vi.pss, pss);
                assert_int_equal(vi.signed_attrs, !noattr);
                char want[AS2_MIC_B64_MAX];
                openssl_mic(f, mds[a].alg, want, sizeof want);
                assert_string_equal(vi.mic, want);
                /* Another party's certificate does not make it. */
                STACK_OF(X509) *wrong = t_stack(f->other_cert);
                assert_int_equal(as2_cms_verify((unsigned char *)sig.p, sig.len, &seg, 1, wrong,
                                                false, &vi, why, sizeof why),
                                 AS2_E_AUTHENTICATION);
                sk_X509_pop_free(wrong, X509_free);
                sk_X509_pop_free(certs, X509_free);
                edi_buf_free(&sig);
            }
    /* openssl's S/MIME framing (-crlfeol), read by our MIME code. */
    assert_int_equal(run("openssl cms -sign -binary -crlfeol -md sha256 -signer %s -inkey %s "
                         "-in %s -outform SMIME -out %s 2>/dev/null", at(f, 0, "gw.crt"),
                         at(f, 1, "gw.key"), at(f, 2, "part.mime"), at(f, 3, "signed.mime")), 0);
    edi_buf sm = t_read(at(f, 3, "signed.mime"));
    as2_part ent;
    as2_mime_entity(sm.p, sm.len, &ent);
    char v[300];
    as2_content_type ct;
    assert_true(as2_mime_header(sm.p, ent.headers, "Content-Type", v, sizeof v));
    assert_int_equal(as2_mime_content_type(v, &ct, why, sizeof why), EDI_OK);
    assert_int_equal(as2_mic_alg_parse(ct.micalg, (size_t)-1), AS2_MIC_SHA256);
    as2_multipart mp;
    assert_int_equal(as2_mime_multipart(sm.p, ent.body, ct.boundary, &mp, why, sizeof why),
                     EDI_OK);
    STACK_OF(X509) *certs = t_stack(f->cert);
    as2_verify_info vi;
    as2_error e = as2_cms_verify_signed(sm.p, &mp, certs, 0, false, &vi, why, sizeof why);
    if (e != AS2_OK)
        fail_msg("%s", why);
    char want[AS2_MIC_B64_MAX];
    openssl_mic(f, AS2_MIC_SHA256, want, sizeof want);
    assert_string_equal(vi.mic, want);
    sk_X509_pop_free(certs, X509_free);
    edi_buf_free(&sm);
}

/* ---- encryption both ways ------------------------------------------------------------- */

static const struct {
    as2_cipher c;
    const char *opt;
} ciphers[] = {
    {AS2_CIPHER_3DES, "-des3"},          {AS2_CIPHER_AES128_CBC, "-aes-128-cbc"},
    {AS2_CIPHER_AES192_CBC, "-aes-192-cbc"}, {AS2_CIPHER_AES256_CBC, "-aes-256-cbc"},
    {AS2_CIPHER_AES128_GCM, "-aes-128-gcm"}, {AS2_CIPHER_AES192_GCM, "-aes-192-gcm"},
    {AS2_CIPHER_AES256_GCM, "-aes-256-gcm"},
};

static bool is_gcm(as2_cipher c)
{
    return c == AS2_CIPHER_AES128_GCM || c == AS2_CIPHER_AES192_GCM || c == AS2_CIPHER_AES256_GCM;
}

static void decrypt_ours(fixture *f, const edi_buf *der, as2_cipher c, as2_key_transport kt)
{
    char why[900];
    CMS_ContentInfo *cms = NULL;
    assert_int_equal(as2_cms_sniff((unsigned char *)der->p, der->len),
                     is_gcm(c) ? AS2_CMS_AUTH_ENVELOPED : AS2_CMS_ENVELOPED);
    assert_int_equal(as2_cms_read((unsigned char *)der->p, der->len, &cms, why, sizeof why),
                     AS2_OK);
    edi_buf plain = {0};
    as2_decrypt_info di;
    as2_error e = as2_cms_decrypt(cms, f->key, f->cert, &plain, &di, why, sizeof why);
    if (e != AS2_OK)
        fail_msg("%s/%s: %s", as2_cipher_name(c), as2_key_transport_name(kt), why);
    assert_int_equal(di.cipher, c);
    assert_int_equal(di.kt, kt);
    assert_int_equal(plain.len, f->part.len);
    assert_memory_equal(plain.p, f->part.p, plain.len);
    /* The other party's key: not encrypted to it, and the sentence lists the recipients. */
    plain.len = 0;
    assert_int_equal(as2_cms_decrypt(cms, f->other_key, f->other_cert, &plain, &di, why,
                                     sizeof why), AS2_E_DECRYPTION);
    assert_non_null(strstr(why, "CN = other-as2"));
    assert_non_null(strstr(why, "1 recipient info: key transport"));
    assert_non_null(strstr(why, "CN = gw-as2"));
    CMS_ContentInfo_free(cms);
    edi_buf_free(&plain);
}

static void we_encrypt_openssl_decrypts(void **state)
{
    fixture *f = *state;
    as2_seg seg = part_seg(f);
    char why[600];
    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
        for (int oaep = 0; oaep < 2; oaep++) {
            as2_key_transport kt = oaep ? AS2_KT_RSA_OAEP : AS2_KT_RSA_PKCS1;
            as2_encrypt_opts o = {.cipher = ciphers[i].c, .kt = kt};
            edi_buf der = {0};
            as2_error e = as2_cms_encrypt(&seg, 1, &f->cert, 1, &o, &der, why, sizeof why);
            if (e != AS2_OK)
                fail_msg("%s: %s", ciphers[i].opt, why);
            decrypt_ours(f, &der, ciphers[i].c, kt);
            write_file(at(f, 1, "enc.der"), der.p, der.len);
            assert_int_equal(run("openssl cms -decrypt -binary -inform DER -in %s -recip %s "
                                 "-inkey %s -out %s 2>/dev/null", at(f, 1, "enc.der"),
                                 at(f, 2, "gw.crt"), at(f, 3, "gw.key"), at(f, 4, "dec.bin")), 0);
            edi_buf got = t_read(at(f, 4, "dec.bin"));
            assert_int_equal(got.len, f->part.len);
            assert_memory_equal(got.p, f->part.p, got.len);
            edi_buf_free(&got);
            edi_buf_free(&der);
        }
}

static void openssl_encrypts_we_decrypt(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
        for (int oaep = 0; oaep < 2; oaep++) {
            assert_int_equal(run("openssl cms -encrypt -binary %s -recip %s %s -in %s "
                                 "-outform DER -out %s 2>/dev/null", ciphers[i].opt,
                                 at(f, 0, "gw.crt"),
                                 oaep ? "-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256"
                                      : "",
                                 at(f, 1, "part.mime"), at(f, 2, "enc.der")), 0);
            edi_buf der = t_read(at(f, 2, "enc.der"));
            decrypt_ours(f, &der, ciphers[i].c, oaep ? AS2_KT_RSA_OAEP : AS2_KT_RSA_PKCS1);
            edi_buf_free(&der);
        }
}

/* Mendelson sends encrypted-unsigned content without a MIME header block. */
static void headerless_encrypted(void **state)
{
    fixture *f = *state;
    const char *payload = "UNB+UNOA:2+SENDER:14+RECEIVER:14+140407:0910+5'\nUNH+1+ORDERS:D:96A:UN'\n";
    write_file(at(f, 0, "bare.edi"), payload, strlen(payload));
    assert_int_equal(run("openssl cms -encrypt -binary -des3 -recip %s -in %s -outform DER "
                         "-out %s 2>/dev/null", at(f, 1, "gw.crt"), at(f, 2, "bare.edi"),
                         at(f, 3, "bare.der")), 0);
    edi_buf der = t_read(at(f, 3, "bare.der"));
    CMS_ContentInfo *cms = NULL;
    char why[600];
    assert_int_equal(as2_cms_read((unsigned char *)der.p, der.len, &cms, why, sizeof why), AS2_OK);
    edi_buf plain = {0};
    assert_int_equal(as2_cms_decrypt(cms, f->key, f->cert, &plain, NULL, why, sizeof why), AS2_OK);
    as2_part ent;
    as2_mime_entity(plain.p, plain.len, &ent);
    assert_true(ent.headerless);
    assert_int_equal(ent.body.len, strlen(payload));
    assert_memory_equal(plain.p + ent.body.off, payload, ent.body.len);
    CMS_ContentInfo_free(cms);
    edi_buf_free(&plain);
    edi_buf_free(&der);
}

/* ---- compression, before and after signing -------------------------------------------- */

static void compressed_before_and_after_signing(void **state)
{
    fixture *f = *state;
    as2_seg seg = part_seg(f);
    char why[600], ct[200];
    /* Ours parses with openssl. */
    edi_buf z = {0};
    assert_int_equal(as2_cms_compress(&seg, 1, &z, why, sizeof why), AS2_OK);
    assert_int_equal(as2_cms_sniff((unsigned char *)z.p, z.len), AS2_CMS_COMPRESSED);
    write_file(at(f, 0, "z.der"), z.p, z.len);
    assert_int_equal(run("openssl cms -cmsout -print -inform DER -in %s 2>/dev/null | "
                         "grep -q 'id-smime-ct-compressedData'", at(f, 0, "z.der")), 0);
    assert_int_equal(run("openssl cms -cmsout -print -inform DER -in %s 2>/dev/null | "
                         "grep -q 'zlib compression'", at(f, 0, "z.der")), 0);
    for (int before = 0; before < 2; before++) {
        /* before: sign(compressed part); after: compress(signed entity). */
        edi_buf zpart = {0}, sig = {0}, msg = {0}, outer = {0}, z2 = {0};
        as2_seg inner = seg;
        if (before) {
            as2_seg zs = {(unsigned char *)z.p, z.len};
            assert_int_equal(as2_mime_write_part("Content-Type: application/pkcs7-mime; "
                                                 "smime-type=compressed-data; name=smime.p7z\r\n"
                                                 "Content-Transfer-Encoding: binary",
                                                 &zs, 1, &zpart, NULL, why, sizeof why), EDI_OK);
            inner = (as2_seg){(unsigned char *)zpart.p, zpart.len};
        }
        assert_int_equal(as2_cms_sign(&inner, 1, f->key, f->cert, NULL, &sig, why, sizeof why),
                         AS2_OK);
        assert_int_equal(as2_mime_write_signed(&inner, 1, (unsigned char *)sig.p, sig.len,
                                               "sha-256", false, &msg, ct, sizeof ct, why,
                                               sizeof why), EDI_OK);
        char hdr[300];
        snprintf(hdr, sizeof hdr, "Content-Type: %s", ct);
        as2_seg ms = {(unsigned char *)msg.p, msg.len};
        assert_int_equal(as2_mime_write_part(hdr, &ms, 1, &outer, NULL, why, sizeof why), EDI_OK);
        edi_buf *signed_ent = &outer;
        edi_buf unz = {0};
        if (!before) {
            as2_seg os = {(unsigned char *)outer.p, outer.len};
            assert_int_equal(as2_cms_compress(&os, 1, &z2, why, sizeof why), AS2_OK);
            assert_int_equal(as2_cms_decompress((unsigned char *)z2.p, z2.len, 1 << 20, &unz, why,
                                                sizeof why), AS2_OK);
            signed_ent = &unz;
        }
        /* Unpack as a receiver would. */
        as2_part ent;
        as2_mime_entity(signed_ent->p, signed_ent->len, &ent);
        char v[300];
        as2_content_type t;
        assert_true(as2_mime_header(signed_ent->p, ent.headers, "Content-Type", v, sizeof v));
        assert_int_equal(as2_mime_content_type(v, &t, why, sizeof why), EDI_OK);
        as2_multipart mp;
        assert_int_equal(as2_mime_multipart(signed_ent->p, ent.body, t.boundary, &mp, why,
                                            sizeof why), EDI_OK);
        STACK_OF(X509) *certs = t_stack(f->cert);
        as2_verify_info vi;
        assert_int_equal(as2_cms_verify_signed(signed_ent->p, &mp, certs, 0, false, &vi, why,
                                               sizeof why), AS2_OK);
        /* The MIC covers what was signed: the compressed part when compressed first. */
        char want[AS2_MIC_B64_MAX];
        assert_int_equal(as2_mic_compute(AS2_MIC_SHA256, &inner, 1, want, sizeof want, why,
                                         sizeof why), EDI_OK);
        assert_string_equal(vi.mic, want);
        if (before) {
            edi_buf der = {0}, back = {0};
            assert_int_equal(as2_mime_decode_body(signed_ent->p, &mp.part[0], &der, why,
                                                  sizeof why), EDI_OK);
            assert_int_equal(as2_cms_decompress((unsigned char *)der.p, der.len, 1 << 20, &back,
                                                why, sizeof why), AS2_OK);
            assert_int_equal(back.len, f->part.len);
            assert_memory_equal(back.p, f->part.p, back.len);
            edi_buf_free(&der);
            edi_buf_free(&back);
        } else {
            assert_memory_equal(signed_ent->p + mp.part[0].whole.off, f->part.p, f->part.len);
        }
        sk_X509_pop_free(certs, X509_free);
        edi_buf_free(&unz);
        edi_buf_free(&zpart);
        edi_buf_free(&sig);
        edi_buf_free(&msg);
        edi_buf_free(&outer);
        edi_buf_free(&z2);
    }
    edi_buf_free(&z);
}

/* ---- rules and failures --------------------------------------------------------------- */

static void rules_and_failures(void **state)
{
    fixture *f = *state;
    as2_seg seg = part_seg(f);
    char why[600];
    edi_buf sig = {0};
    /* SHA-1 is for inbound: signing with it needs the explicit legacy switch. */
    as2_sign_opts sha1 = {.digest = AS2_MIC_SHA1};
    assert_int_equal(as2_cms_sign(&seg, 1, f->key, f->cert, &sha1, &sig, why, sizeof why),
                     AS2_E_INSUFFICIENT_SECURITY);
    assert_non_null(strstr(why, "sha-1"));
    assert_int_equal(sig.len, 0);
    assert_string_equal(as2_error_disposition(AS2_E_INSUFFICIENT_SECURITY),
                        "insufficient-message-security");
    /* A key that is not the certificate's. */
    assert_int_equal(as2_cms_sign(&seg, 1, f->other_key, f->cert, NULL, &sig, why, sizeof why),
                     AS2_E_ARG);
    /* Tampered content: the digest no longer matches, with a sentence. */
    assert_int_equal(as2_cms_sign(&seg, 1, f->key, f->cert, NULL, &sig, why, sizeof why), AS2_OK);
    edi_buf copy = {0};
    edi_buf_append(&copy, f->part.p, f->part.len);
    copy.p[copy.len - 3] ^= 0x20;
    as2_seg tampered = {(unsigned char *)copy.p, copy.len};
    STACK_OF(X509) *certs = t_stack(f->cert);
    assert_int_equal(as2_cms_verify((unsigned char *)sig.p, sig.len, &tampered, 1, certs, false,
                                    NULL, why, sizeof why), AS2_E_AUTHENTICATION);
    assert_non_null(strstr(why, "does not verify with the certificate CN = gw-as2"));
    /* The same bytes in two segments verify: segments are one stream. */
    as2_seg two[2] = {{seg.p, 17}, {seg.p + 17, seg.len - 17}};
    assert_int_equal(as2_cms_verify((unsigned char *)sig.p, sig.len, two, 2, certs, false, NULL,
                                    why, sizeof why), AS2_OK);
    /* Not a signature at all. */
    assert_int_equal(as2_cms_verify((unsigned char *)"garbage", 7, &seg, 1, certs, false, NULL,
                                    why, sizeof why), AS2_E_FORMAT);
    assert_string_equal(as2_error_disposition(AS2_E_FORMAT), "unexpected-processing-error");
    /* The trailing-CRLF variant (libas2's MDNs) is only tried when asked. */
    edi_buf shortpart = {0}, msg = {0};
    edi_buf_append(&shortpart, f->part.p, f->part.len);
    edi_buf_append(&shortpart, "\r\n", 2);
    as2_seg body_long = {(unsigned char *)shortpart.p, shortpart.len};
    char ct[200];
    assert_int_equal(as2_mime_write_signed(&body_long, 1, (unsigned char *)sig.p, sig.len,
                                           "sha-256", false, &msg, ct, sizeof ct, why,
                                           sizeof why), EDI_OK);
    as2_content_type t;
    assert_int_equal(as2_mime_content_type(ct, &t, why, sizeof why), EDI_OK);
    as2_multipart mp;
    as2_slice all = {0, msg.len};
    assert_int_equal(as2_mime_multipart(msg.p, all, t.boundary, &mp, why, sizeof why), EDI_OK);
    as2_verify_info vi;
    assert_int_equal(as2_cms_verify_signed(msg.p, &mp, certs, AS2_VERIFY_TRY_CANONICAL, false, &vi,
                                           why, sizeof why), AS2_E_AUTHENTICATION);
    assert_int_equal(as2_cms_verify_signed(msg.p, &mp, certs, AS2_VERIFY_TRY_NO_TRAILING_CRLF,
                                           false, &vi, why, sizeof why), AS2_OK);
    assert_int_equal(vi.variant, AS2_VARIANT_NO_TRAILING_CRLF);
    assert_string_equal(as2_variant_name(vi.variant), "no-trailing-crlf");
    /* Encrypting needs a recipient and a known cipher. */
    edi_buf der = {0};
    assert_int_equal(as2_cms_encrypt(&seg, 1, NULL, 0, NULL, &der, why, sizeof why), AS2_E_ARG);
    as2_encrypt_opts other = {.cipher = AS2_CIPHER_OTHER};
    assert_int_equal(as2_cms_encrypt(&seg, 1, &f->cert, 1, &other, &der, why, sizeof why),
                     AS2_E_ARG);
    /* Default encryption is AES-256-CBC with PKCS#1 v1.5, to two recipients (rollover). */
    X509 *two_certs[2] = {f->other_cert, f->cert};
    assert_int_equal(as2_cms_encrypt(&seg, 1, two_certs, 2, NULL, &der, why, sizeof why), AS2_OK);
    CMS_ContentInfo *cms = NULL;
    assert_int_equal(as2_cms_read((unsigned char *)der.p, der.len, &cms, why, sizeof why), AS2_OK);
    edi_buf plain = {0};
    as2_decrypt_info di;
    assert_int_equal(as2_cms_decrypt(cms, f->key, f->cert, &plain, &di, why, sizeof why), AS2_OK);
    assert_int_equal(di.cipher, AS2_CIPHER_AES256_CBC);
    assert_int_equal(di.kt, AS2_KT_RSA_PKCS1);
    assert_int_equal(di.n_recipients, 2);
    plain.len = 0;
    as2_encrypt_opts gcm = {.cipher = AS2_CIPHER_AES256_GCM};
    edi_buf gder = {0};
    assert_int_equal(as2_cms_encrypt(&seg, 1, &f->cert, 1, &gcm, &gder, why, sizeof why), AS2_OK);
    /* GCM: one flipped ciphertext bit fails the tag. */
    CMS_ContentInfo *g = NULL;
    assert_int_equal(as2_cms_read((unsigned char *)gder.p, gder.len, &g, why, sizeof why), AS2_OK);
    ASN1_OCTET_STRING **pos = CMS_get0_content(g);
    assert_non_null(pos);
    assert_non_null(*pos);
    (*pos)->data[5] ^= 0x01;
    assert_int_equal(as2_cms_decrypt(g, f->key, f->cert, &plain, &di, why, sizeof why),
                     AS2_E_DECRYPTION);
    assert_non_null(strstr(why, "authentication tag"));
    assert_int_equal(plain.len, 0);
    CMS_ContentInfo_free(g);
    CMS_ContentInfo_free(cms);
    sk_X509_pop_free(certs, X509_free);
    edi_buf_free(&gder);
    edi_buf_free(&plain);
    edi_buf_free(&der);
    edi_buf_free(&msg);
    edi_buf_free(&shortpart);
    edi_buf_free(&copy);
    edi_buf_free(&sig);
}

int main(void)
{
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("1..0 # SKIP the openssl command is not installed\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(we_sign_openssl_verifies),
        cmocka_unit_test(openssl_signs_we_verify),
        cmocka_unit_test(we_encrypt_openssl_decrypts),
        cmocka_unit_test(openssl_encrypts_we_decrypt),
        cmocka_unit_test(headerless_encrypted),
        cmocka_unit_test(compressed_before_and_after_signing),
        cmocka_unit_test(rules_and_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
