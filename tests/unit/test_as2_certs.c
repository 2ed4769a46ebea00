/* AS2 certificates and keys (gateway/as2_certs.h) and the <as2> parts of profiles and
 * configuration: PEM (several) and DER certificates load, garbage and missing files are
 * refused with the file named; the validity states (valid, expiring within 30 days, expired,
 * not yet valid) with sentences naming file and date; PEM key pairs (a key that is not the
 * certificate's refused); PKCS#12 with AES (modern) and the corpus's RC2-40 file through the
 * legacy provider, while the default library context still has no RC2; a wrong password;
 * our keyring for rollover (sign with the newest valid, decrypt with the key the recipient
 * info names, CBC and GCM; both certificates published); a partner's certificates (expired
 * ones left out, encryption to the newest valid); algorithm name spellings; an AS2 profile
 * read into partner_as2 and each PARTNER-CHECK finding; the configuration's <as2>. Keys
 * and certificates are made by the test with OpenSSL, with the dates each case needs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "as2_certs.h"
#include "config.h"
#include "mapping.h"
#include "partner.h"

#define CANONICAL_XSD GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define PARTNER_XSD GATEWAY_FORMATS_DIR "/../partners/partner.xsd"
#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/as2/pyas2-lib"
#define DAY 86400L

static char tmpdir[256];

static char *path_of(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A fresh RSA key and a self-signed certificate valid from now+from_days to now+to_days,
 * written as NAME.key (PEM), NAME.crt (PEM) and NAME.der; the caller frees both. */
static void make_pair(const char *name, long from_days, long to_days, EVP_PKEY **key_out,
                      X509 **cert_out)
{
    static long serial = 1;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    assert_non_null(key);
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    time_t now = time(NULL);
    assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), (int)from_days, 0, &now));
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), (int)to_days, 0, &now));
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    char file[64];
    snprintf(file, sizeof file, "%s.key", name);
    FILE *f = fopen(path_of(file), "w");
    assert_true(f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    snprintf(file, sizeof file, "%s.crt", name);
    f = fopen(path_of(file), "w");
    assert_true(f && PEM_write_X509(f, x));
    fclose(f);
    snprintf(file, sizeof file, "%s.der", name);
    f = fopen(path_of(file), "wb");
    assert_true(f && i2d_X509_fp(f, x));
    fclose(f);
    if (key_out)
        *key_out = key;
    else
        EVP_PKEY_free(key);
    if (cert_out)
        *cert_out = x;
    else
        X509_free(x);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/as2certs-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    make_pair("valid", -1, 400, NULL, NULL);
    make_pair("soon", -300, 10, NULL, NULL);
    make_pair("old", -400, -3, NULL, NULL);
    make_pair("future", 5, 400, NULL, NULL);
    make_pair("other", -1, 400, NULL, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- certificates ------------------------------------------------------------------ */

static void certificates_load(void **state)
{
    (void)state;
    char why[512];
    STACK_OF(X509) *certs = NULL;
    assert_int_equal(as2_cert_load(path_of("valid.der"), &certs, why, sizeof why), EDI_OK);
    assert_int_equal(sk_X509_num(certs), 1);
    char subject[128];
    as2_cert_subject(sk_X509_value(certs, 0), subject, sizeof subject);
    assert_string_equal(subject, "CN = valid");
    sk_X509_pop_free(certs, X509_free);

    /* two PEM certificates in one file: both */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", path_of("valid.crt"), path_of("soon.crt"),
             path_of("both.crt"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(as2_cert_load(path_of("both.crt"), &certs, why, sizeof why), EDI_OK);
    assert_int_equal(sk_X509_num(certs), 2);
    sk_X509_pop_free(certs, X509_free);

    /* the corpus's DER certificate */
    assert_int_equal(as2_cert_load(CORPUS "/verify_cert_test2.cer", &certs, why, sizeof why),
                     EDI_OK);
    sk_X509_pop_free(certs, X509_free);

    write_text("garbage.crt", "this is not a certificate\n");
    assert_int_equal(as2_cert_load(path_of("garbage.crt"), &certs, why, sizeof why), EDI_E_SYNTAX);
    assert_null(certs);
    assert_non_null(strstr(why, "garbage.crt holds no certificate"));
    assert_int_equal(as2_cert_load(path_of("missing.crt"), &certs, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "cannot open"));
    assert_non_null(strstr(why, "missing.crt"));
}

static as2_cert_state state_of(const char *name, char *why, size_t n)
{
    STACK_OF(X509) *certs;
    assert_int_equal(as2_cert_load(path_of(name), &certs, why, n), EDI_OK);
    as2_cert_state st = as2_cert_check(sk_X509_value(certs, 0), "the partner's certificate",
                                       path_of(name), time(NULL), AS2_CERT_WARN_DAYS, why, n);
    sk_X509_pop_free(certs, X509_free);
    return st;
}

static void validity_states(void **state)
{
    (void)state;
    char why[640];
    assert_int_equal(state_of("valid.crt", why, sizeof why), AS2_CERT_VALID);
    assert_non_null(strstr(why, "valid until "));

    assert_int_equal(state_of("soon.crt", why, sizeof why), AS2_CERT_EXPIRING);
    assert_non_null(strstr(why, "the partner's certificate (CN = soon) in "));
    assert_non_null(strstr(why, "soon.crt expires on "));
    assert_true(strstr(why, "in 9 days") || strstr(why, "in 10 days"));

    assert_int_equal(state_of("old.crt", why, sizeof why), AS2_CERT_EXPIRED);
    assert_non_null(strstr(why, "old.crt expired on "));
    char date[16];
    time_t then = time(NULL) - 3 * DAY;
    struct tm tm;
    gmtime_r(&then, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    assert_non_null(strstr(why, date));
    assert_non_null(strstr(why, "install a renewed certificate"));

    assert_int_equal(state_of("future.crt", why, sizeof why), AS2_CERT_NOT_YET_VALID);
    assert_non_null(strstr(why, "is not valid before"));

    /* the corpus's certificate that expired in 2017 */
    STACK_OF(X509) *certs;
    assert_int_equal(as2_cert_load(CORPUS "/verify_cert_test2.cer", &certs, why, sizeof why),
                     EDI_OK);
    assert_int_equal(as2_cert_check(sk_X509_value(certs, 0), "x", "f", time(NULL), 30, why,
                                    sizeof why), AS2_CERT_EXPIRED);
    assert_non_null(strstr(why, "expired on 2017-03-17 13:23 UTC"));
    time_t nb, na;
    assert_true(as2_cert_times(sk_X509_value(certs, 0), &nb, &na));
    assert_true(na == 1489757033); /* 2017-03-17T13:23:53Z */
    sk_X509_pop_free(certs, X509_free);
    assert_string_equal(as2_cert_state_name(AS2_CERT_EXPIRING), "expiring");
}

/* ---- key pairs --------------------------------------------------------------------- */

static void pem_key_pairs(void **state)
{
    (void)state;
    char why[512];
    as2_keypair *kp = NULL;
    assert_int_equal(as2_keypair_load_pem(path_of("valid.key"), path_of("valid.crt"), &kp, why,
                                          sizeof why), EDI_OK);
    assert_non_null(kp->key);
    assert_non_null(kp->cert);
    assert_null(kp->chain);
    assert_true(kp->not_before < time(NULL) && kp->not_after > time(NULL) + 399 * DAY);
    assert_string_equal(kp->source, path_of("valid.crt"));
    as2_keypair_free(kp);

    assert_int_equal(as2_keypair_load_pem(path_of("valid.key"), path_of("other.crt"), &kp, why,
                                          sizeof why), EDI_E_ARG);
    assert_null(kp);
    assert_non_null(strstr(why, "does not belong to the certificate in"));
    assert_int_equal(as2_keypair_load_pem(path_of("valid.crt"), path_of("valid.crt"), &kp, why,
                                          sizeof why), EDI_E_SYNTAX);
    assert_non_null(strstr(why, "holds no readable private key"));
}

static void pkcs12_modern_and_legacy(void **state)
{
    (void)state;
    char why[512];
    as2_keypair *kp = NULL;

    /* a PKCS#12 made with OpenSSL 3's defaults (PBES2, AES-256-CBC) */
    EVP_PKEY *key;
    X509 *cert;
    make_pair("p12", -1, 100, &key, &cert);
    PKCS12 *p12 = PKCS12_create("s3cret", "p12", key, cert, NULL, 0, 0, 0, 0, 0);
    assert_non_null(p12);
    FILE *f = fopen(path_of("modern.p12"), "wb");
    assert_true(f && i2d_PKCS12_fp(f, p12));
    fclose(f);
    PKCS12_free(p12);
    EVP_PKEY_free(key);
    X509_free(cert);
    write_text("modern.pass", "s3cret\n");
    write_text("wrong.pass", "nope\n");
    assert_int_equal(as2_keypair_load_p12(path_of("modern.p12"), path_of("modern.pass"), &kp,
                                          why, sizeof why), EDI_OK);
    char subject[256];
    as2_cert_subject(kp->cert, subject, sizeof subject);
    assert_string_equal(subject, "CN = p12");
    assert_string_equal(kp->source, path_of("modern.p12"));
    as2_keypair_free(kp);
    assert_int_equal(as2_keypair_load_p12(path_of("modern.p12"), path_of("wrong.pass"), &kp, why,
                                          sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "the password for"));
    assert_non_null(strstr(why, "is wrong"));

    /* the corpus's file from an older tool: pbeWithSHA1And40BitRC2-CBC */
    write_text("test.pass", "test");
    assert_int_equal(as2_keypair_load_p12(CORPUS "/cert_test.p12", path_of("test.pass"), &kp,
                                          why, sizeof why), EDI_OK);
    as2_cert_subject(kp->cert, subject, sizeof subject);
    assert_non_null(strstr(subject, "CN = pyas2lib"));
    assert_int_equal(X509_check_private_key(kp->cert, kp->key), 1);
    /* the key works in the default context: sign and verify a few bytes */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t siglen = sizeof sig;
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, kp->key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)"abc", 3), 1);
    EVP_MD_CTX_free(md);
    /* same certificate as the corpus's public PEM */
    STACK_OF(X509) *pub;
    assert_int_equal(as2_cert_load(CORPUS "/cert_test_public.pem", &pub, why, sizeof why), EDI_OK);
    assert_int_equal(X509_cmp(sk_X509_value(pub, 0), kp->cert), 0);
    sk_X509_pop_free(pub, X509_free);
    as2_keypair_free(kp);
    /* ... and the process-wide default context is still without the legacy provider */
    EVP_CIPHER *rc2 = EVP_CIPHER_fetch(NULL, "RC2-40-CBC", NULL);
    assert_null(rc2);
    EVP_CIPHER_free(rc2);
    assert_int_equal(as2_keypair_load_p12(CORPUS "/cert_test.p12", path_of("wrong.pass"), &kp,
                                          why, sizeof why), EDI_E_ARG);
    assert_int_equal(as2_keypair_load_p12(path_of("valid.crt"), NULL, &kp, why, sizeof why),
                     EDI_E_SYNTAX);
    assert_non_null(strstr(why, "is not a PKCS#12 file"));
}

/* ---- the keyring ------------------------------------------------------------------- */

/* A CMS EnvelopedData (or AuthEnvelopedData with GCM) of "hello" for `to`. */
static CMS_ContentInfo *encrypt_to(X509 *to, const EVP_CIPHER *cipher)
{
    STACK_OF(X509) *rcpts = sk_X509_new_null();
    sk_X509_push(rcpts, to);
    BIO *in = BIO_new_mem_buf("hello", 5);
    CMS_ContentInfo *cms = CMS_encrypt(rcpts, in, cipher, CMS_BINARY);
    BIO_free(in);
    sk_X509_free(rcpts);
    assert_non_null(cms);
    return cms;
}

static void keyring_rollover(void **state)
{
    (void)state;
    EVP_PKEY *k_old, *k_new;
    X509 *c_old, *c_new, *c_stranger;
    make_pair("ring-old", -300, 20, &k_old, &c_old);
    make_pair("ring-new", -1, 700, &k_new, &c_new);
    make_pair("stranger", -1, 700, NULL, &c_stranger);
    /* the new one as PKCS#12 (with a password file), the old one as PEM */
    PKCS12 *p12 = PKCS12_create("pw", NULL, k_new, c_new, NULL, 0, 0, 0, 0, 0);
    FILE *f = fopen(path_of("ring-new.p12"), "wb");
    assert_true(p12 && f && i2d_PKCS12_fp(f, p12));
    fclose(f);
    PKCS12_free(p12);
    write_text("ring-new.pass", "pw\r\n");

    config_as2 cfg = { .enabled = true, .n_keys = 2 };
    cfg.keys[0].key_file = path_of("ring-old.key");
    cfg.keys[0].cert_file = path_of("ring-old.crt");
    cfg.keys[1].pkcs12_file = strdup(path_of("ring-new.p12"));
    cfg.keys[1].password_file = strdup(path_of("ring-new.pass"));
    cfg.keys[0].key_file = strdup(cfg.keys[0].key_file);
    cfg.keys[0].cert_file = strdup(cfg.keys[0].cert_file);
    as2_keyring *ring = NULL;
    char why[512];
    assert_int_equal(as2_keyring_load(&cfg, &ring, why, sizeof why), EDI_OK);
    assert_int_equal(as2_keyring_count(ring), 2);
    const as2_keypair *old = as2_keyring_at(ring, 0), *new = as2_keyring_at(ring, 1);
    assert_null(as2_keyring_at(ring, 2));
    assert_int_equal(X509_cmp(old->cert, c_old), 0);
    assert_int_equal(X509_cmp(new->cert, c_new), 0);

    /* sign with the newest valid; after the old one expired still the new one; before the
     * new one was valid the old one; when none is valid, none */
    time_t now = time(NULL);
    assert_ptr_equal(as2_keyring_signer(ring, now), new);
    assert_ptr_equal(as2_keyring_signer(ring, now + 30 * DAY), new);
    assert_ptr_equal(as2_keyring_signer(ring, now - 2 * DAY), old);
    assert_null(as2_keyring_signer(ring, now + 800 * DAY));

    /* decrypt with the key the message was encrypted to */
    CMS_ContentInfo *to_old = encrypt_to(c_old, EVP_aes_128_cbc());
    CMS_ContentInfo *to_new = encrypt_to(c_new, EVP_des_ede3_cbc());
    CMS_ContentInfo *gcm = encrypt_to(c_old, EVP_aes_256_gcm());
    CMS_ContentInfo *stranger = encrypt_to(c_stranger, EVP_aes_256_cbc());
    assert_ptr_equal(as2_keyring_for_recipient(ring, to_old), old);
    assert_ptr_equal(as2_keyring_for_recipient(ring, to_new), new);
    assert_ptr_equal(as2_keyring_for_recipient(ring, gcm), old);
    assert_null(as2_keyring_for_recipient(ring, stranger));
    /* and the key chosen really decrypts it */
    BIO *out = BIO_new(BIO_s_mem());
    const as2_keypair *kp = as2_keyring_for_recipient(ring, to_new);
    assert_int_equal(CMS_decrypt(to_new, kp->key, kp->cert, NULL, out, CMS_BINARY), 1);
    char *data;
    long len = BIO_get_mem_data(out, &data);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    BIO_free(out);
    CMS_ContentInfo_free(to_old);
    CMS_ContentInfo_free(to_new);
    CMS_ContentInfo_free(gcm);
    CMS_ContentInfo_free(stranger);

    /* both certificates published */
    char *pem = as2_keyring_certs_pem(ring);
    assert_non_null(pem);
    const char *first = strstr(pem, "-----BEGIN CERTIFICATE-----");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "-----BEGIN CERTIFICATE-----"));
    free(pem);
    as2_keyring_free(ring);

    /* a key that cannot be loaded fails the whole keyring, naming the line */
    free(cfg.keys[1].password_file);
    cfg.keys[1].password_file = strdup(path_of("wrong.pass"));
    cfg.keys[1].line = 42;
    assert_int_equal(as2_keyring_load(&cfg, &ring, why, sizeof why), EDI_E_ARG);
    assert_null(ring);
    assert_non_null(strstr(why, "configuration line 42"));
    config_as2 empty = { 0 };
    assert_int_equal(as2_keyring_load(&empty, &ring, why, sizeof why), EDI_E_ARG);
    for (int i = 0; i < 2; i++) {
        free(cfg.keys[i].key_file);
        free(cfg.keys[i].cert_file);
        free(cfg.keys[i].pkcs12_file);
        free(cfg.keys[i].password_file);
    }
    EVP_PKEY_free(k_old);
    EVP_PKEY_free(k_new);
    X509_free(c_old);
    X509_free(c_new);
    X509_free(c_stranger);
}

/* ---- algorithm names --------------------------------------------------------------- */

static void algorithm_names(void **state)
{
    (void)state;
    static const struct { const char *name; partner_as2_digest d; } digests[] = {
        { "sha1", PARTNER_AS2_SHA1 }, { "SHA-1", PARTNER_AS2_SHA1 }, { "rsa-sha1", PARTNER_AS2_SHA1 },
        { "sha256", PARTNER_AS2_SHA256 }, { "sha-256", PARTNER_AS2_SHA256 },
        { "sha_256", PARTNER_AS2_SHA256 }, { "SHA256", PARTNER_AS2_SHA256 },
        { "sha-384", PARTNER_AS2_SHA384 }, { "SHA512", PARTNER_AS2_SHA512 },
    };
    for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++) {
        partner_as2_digest d = PARTNER_AS2_N_DIGESTS;
        assert_true(partner_as2_digest_parse(digests[i].name, &d));
        assert_int_equal(d, digests[i].d);
    }
    partner_as2_digest d = PARTNER_AS2_SHA384;
    assert_false(partner_as2_digest_parse("md5", &d));
    assert_false(partner_as2_digest_parse("sha-257", &d));
    assert_false(partner_as2_digest_parse("", &d));
    assert_int_equal(d, PARTNER_AS2_SHA384);
    assert_string_equal(partner_as2_digest_name(PARTNER_AS2_SHA256), "sha-256");
    assert_string_equal(partner_as2_digest_name(PARTNER_AS2_SHA1), "sha-1");

    partner_as2_cipher c;
    assert_true(partner_as2_cipher_parse("des-EDE3-CBC", &c));
    assert_int_equal(c, PARTNER_AS2_3DES);
    assert_true(partner_as2_cipher_parse("aes-256-cbc", &c));
    assert_int_equal(c, PARTNER_AS2_AES256_CBC);
    assert_true(partner_as2_cipher_parse("aes128-CBC", &c));
    assert_int_equal(c, PARTNER_AS2_AES128_CBC);
    assert_true(partner_as2_cipher_parse("AES256-GCM", &c));
    assert_int_equal(c, PARTNER_AS2_AES256_GCM);
    assert_false(partner_as2_cipher_parse("rc2", &c));
    assert_string_equal(partner_as2_cipher_name(PARTNER_AS2_AES192_CBC), "aes192-cbc");
}

/* ---- profiles ---------------------------------------------------------------------- */

static const char profile_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<partner xmlns=\"urn:edi-gateway:partner:1\" id=\"%s\">\n"
    "  <name>AS2 partner</name>\n"
    "  <identifiers><as2>THEM</as2></identifiers>\n"
    "  <channel>\n";
static const char profile_tail[] = "  </channel>\n</partner>\n";

/* Write <id>.xml with the channel element `as2` and load it. */
static edi_result load_as2(mapping_ctx *m, const char *id, const char *as2, partner **p,
                           doc_findings *f)
{
    char name[64], text[4096];
    snprintf(name, sizeof name, "%s.xml", id);
    int n = snprintf(text, sizeof text, profile_head, id);
    snprintf(text + n, sizeof text - (size_t)n, "%s%s", as2, profile_tail);
    write_text(name, text);
    char why[512];
    doc_findings_free(f);
    doc_findings_init(f);
    *p = NULL;
    return partner_load(m, PARTNER_XSD, path_of(name), p, f, why, sizeof why);
}

static bool has_finding(const doc_findings *f, const char *text)
{
    for (size_t i = 0; i < f->count; i++)
        if (strstr(f->items[i].text, text))
            return true;
    return false;
}

static void as2_profile_is_read(void **state)
{
    (void)state;
    mapping_ctx *m = mapping_new(CANONICAL_XSD);
    assert_non_null(m);
    doc_findings f;
    doc_findings_init(&f);
    partner *p;
    assert_int_equal(load_as2(m, "full",
        "    <as2 url=\"https://as2.them.example/as2\" ourId=\"US-FOR-THEM\">\n"
        "      <certificate file=\"valid.crt\" use=\"signing\"/>\n"
        "      <certificate file=\"other.crt\" use=\"encryption\"/>\n"
        "      <inbound requireSigned=\"true\" requireEncrypted=\"false\" digests=\"sha256 SHA-512\"\n"
        "               ciphers=\"aes-256-cbc aes128-gcm\" maxBytes=\"2048\"/>\n"
        "      <outbound sign=\"sha-384\" signature=\"pss\" encrypt=\"3des\" keyTransport=\"oaep\"\n"
        "                compress=\"before-signing\" transferEncoding=\"base64\" chunked=\"true\"\n"
        "                subject=\"EDI for them\"/>\n"
        "      <mdn mode=\"async\" signed=\"false\" micalg=\"sha-512\" url=\"https://us.example/as2\"\n"
        "           timeoutSeconds=\"90\"/>\n"
        "      <retry attempts=\"3\" delaySeconds=\"10\"/>\n"
        "      <tls ca=\"ca.pem\" certificate=\"client.crt\" key=\"client.key\"/>\n"
        "    </as2>\n", &p, &f), EDI_OK);
    assert_int_equal(f.count, 0);
    const partner_as2 *a = &p->as2;
    assert_int_equal(p->channel, PARTNER_CHANNEL_AS2);
    assert_string_equal(a->url, "https://as2.them.example/as2");
    assert_string_equal(a->our_id, "US-FOR-THEM");
    assert_string_equal(p->as2_id, "THEM");
    assert_int_equal(a->n_certs, 2);
    assert_string_equal(a->certs[0].file, path_of("valid.crt"));
    assert_true(a->certs[0].signing && !a->certs[0].encryption);
    assert_true(!a->certs[1].signing && a->certs[1].encryption);
    assert_true(a->require_signed && !a->require_encrypted);
    assert_int_equal(a->allowed_digests, (1u << PARTNER_AS2_SHA256) | (1u << PARTNER_AS2_SHA512));
    assert_true(partner_as2_allows_digest(p, PARTNER_AS2_SHA512));
    assert_false(partner_as2_allows_digest(p, PARTNER_AS2_SHA1));
    assert_true(partner_as2_allows_cipher(p, PARTNER_AS2_AES128_GCM));
    assert_false(partner_as2_allows_cipher(p, PARTNER_AS2_3DES));
    assert_int_equal(a->max_bytes, 2048);
    assert_true(a->sign && a->sign_digest == PARTNER_AS2_SHA384);
    assert_int_equal(a->signature, PARTNER_AS2_SIG_PSS);
    assert_true(a->encrypt && a->cipher == PARTNER_AS2_3DES);
    assert_int_equal(a->key_transport, PARTNER_AS2_KT_OAEP);
    assert_int_equal(a->compress, PARTNER_AS2_COMPRESS_BEFORE_SIGN);
    assert_true(a->base64 && a->chunked);
    assert_string_equal(a->subject, "EDI for them");
    assert_int_equal(a->mdn, PARTNER_AS2_MDN_ASYNC);
    assert_false(a->mdn_signed);
    assert_int_equal(a->mdn_digest, PARTNER_AS2_SHA512);
    assert_string_equal(a->mdn_url, "https://us.example/as2");
    assert_int_equal(a->mdn_timeout_s, 90);
    assert_int_equal(a->retries, 3);
    assert_int_equal(a->retry_delay_s, 10);
    assert_string_equal(a->tls_ca_file, path_of("ca.pem"));
    assert_string_equal(a->tls_key_file, path_of("client.key"));

    /* the partner's certificates: signing = valid.crt, encryption = other.crt */
    as2_partner_certs *pc;
    char why[512];
    assert_int_equal(as2_partner_certs_load(p, time(NULL), &pc, why, sizeof why), EDI_OK);
    assert_int_equal(sk_X509_num(pc->signing), 1);
    STACK_OF(X509) *other;
    assert_int_equal(as2_cert_load(path_of("other.crt"), &other, why, sizeof why), EDI_OK);
    assert_int_equal(X509_cmp(pc->encryption, sk_X509_value(other, 0)), 0);
    sk_X509_pop_free(other, X509_free);
    as2_partner_certs_free(pc);
    partner_free(p);

    /* defaults: sign sha-256 pkcs1, encrypt aes256-cbc pkcs1, sync signed MDN, 5 retries */
    assert_int_equal(load_as2(m, "defaults",
        "    <as2 url=\"http://127.0.0.1:4080/as2\">\n"
        "      <certificate file=\"valid.crt\"/>\n"
        "      <certificate file=\"old.crt\"/>\n"
        "      <certificate file=\"soon.crt\"/>\n"
        "    </as2>\n", &p, &f), EDI_OK);
    a = &p->as2;
    assert_true(a->require_signed && a->require_encrypted);
    assert_true(a->sign && a->sign_digest == PARTNER_AS2_SHA256 && a->signature == PARTNER_AS2_SIG_PKCS1);
    assert_true(a->encrypt && a->cipher == PARTNER_AS2_AES256_CBC && a->key_transport == PARTNER_AS2_KT_PKCS1);
    assert_int_equal(a->mdn, PARTNER_AS2_MDN_SYNC);
    assert_true(a->mdn_signed);
    assert_int_equal(a->retries, 5);
    assert_int_equal(a->allowed_digests, (1u << PARTNER_AS2_N_DIGESTS) - 1);
    assert_string_equal(a->our_id, "");
    assert_false(a->base64 || a->chunked);
    /* expired old.crt is left out; encryption goes to the newest valid one (valid.crt was
     * made after soon.crt's notBefore: -1 day against -300) */
    assert_int_equal(as2_partner_certs_load(p, time(NULL), &pc, why, sizeof why), EDI_OK);
    assert_int_equal(sk_X509_num(pc->signing), 2);
    STACK_OF(X509) *valid;
    assert_int_equal(as2_cert_load(path_of("valid.crt"), &valid, why, sizeof why), EDI_OK);
    assert_int_equal(X509_cmp(pc->encryption, sk_X509_value(valid, 0)), 0);
    sk_X509_pop_free(valid, X509_free);
    as2_partner_certs_free(pc);
    partner_free(p);

    doc_findings_free(&f);
    mapping_free(m);
}

static void as2_profile_checks(void **state)
{
    (void)state;
    mapping_ctx *m = mapping_new(CANONICAL_XSD);
    doc_findings f;
    doc_findings_init(&f);
    partner *p;
    static const struct { const char *as2; const char *finding; } cases[] = {
        { "<as2 url=\"ftp://them.example/as2\"><certificate file=\"valid.crt\"/></as2>",
          "is not an http:// or https:// address" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\" use=\"signing\"/></as2>",
          "no certificate of the partner is there to encrypt to" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\" use=\"encryption\"/>"
          "<mdn signed=\"false\"/></as2>",
          "must be signed (requireSigned) but no certificate" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<inbound digests=\"sha-256 sha-257\"/></as2>",
          "digests names \"sha-257\", which is not a digest we know" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<inbound ciphers=\"rc4\"/></as2>",
          "ciphers names \"rc4\", which is not a cipher we know" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<outbound sign=\"md5\"/></as2>",
          "sign=\"md5\" is not a digest we know" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<outbound sign=\"sha1\"/></as2>",
          "SHA-1 is accepted from partners but no longer used" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<outbound encrypt=\"blowfish\"/></as2>",
          "encrypt=\"blowfish\" is not a cipher we know" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<mdn url=\"https://us.example/as2\"/></as2>",
          "but mode is not async" },
        { "<as2 url=\"http://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<tls certificate=\"c.crt\"/></as2>",
          "needs both certificate and key" },
        { "<as2 url=\"http://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<tls ca=\"ca.pem\"/></as2>",
          "<tls> is only used with an https:// url" },
        { "<as2 url=\"https://them.example/as2\" ourId=\"THEM\"><certificate file=\"valid.crt\"/></as2>",
          "ourId is the partner's own AS2 name" },
        { "<as2 url=\"https://them.example/as2\"><certificate file=\"valid.crt\"/>"
          "<outbound sign=\"none\" compress=\"after-signing\"/></as2>",
          "write compress=\"before-signing\" for unsigned messages" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "case%zu", i);
        edi_result r = load_as2(m, id, cases[i].as2, &p, &f);
        if (r != EDI_E_XML || !has_finding(&f, cases[i].finding))
            fail_msg("case %zu: result %d, %zu findings, first: %s", i, r, f.count,
                     f.count ? f.items[0].text : "-");
        assert_string_equal(f.items[0].rule, "PARTNER-CHECK");
        assert_true(f.items[0].line > 0);
        assert_null(p);
    }
    /* no <identifiers><as2>: the channel needs it */
    write_text("noid.xml", "<?xml version=\"1.0\"?>\n"
               "<partner xmlns=\"urn:edi-gateway:partner:1\" id=\"noid\"><name>N</name>\n"
               "<channel><as2 url=\"https://x.example/as2\"><certificate file=\"valid.crt\"/>"
               "</as2></channel></partner>\n");
    doc_findings_free(&f);
    doc_findings_init(&f);
    char why[512];
    assert_int_equal(partner_load(m, PARTNER_XSD, path_of("noid.xml"), &p, &f, why, sizeof why),
                     EDI_E_XML);
    assert_true(has_finding(&f, "needs the partner's AS2 name"));
    doc_findings_free(&f);
    mapping_free(m);
}

/* ---- configuration ----------------------------------------------------------------- */

static void config_as2_block(void **state)
{
    (void)state;
    static const char head[] =
        "<?xml version=\"1.0\"?>\n<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
        "  <data folder=\"var\"/>\n  <partners folder=\"partners\"/>\n";
    char text[2048];
    snprintf(text, sizeof text, "%s%s", head,
             "  <as2 id=\"OURGW\" maxBytes=\"5000\" asyncMdnUrl=\"https://gw.example/as2\">\n"
             "    <key key=\"valid.key\" certificate=\"valid.crt\"/>\n"
             "    <key pkcs12=\"keys/new.p12\" passwordFile=\"keys/new.pass\"/>\n"
             "  </as2>\n</gateway>\n");
    write_text("gw.xml", text);
    gateway_config *c = NULL;
    doc_findings f;
    doc_findings_init(&f);
    char why[512];
    assert_int_equal(config_load(path_of("gw.xml"), NULL, &c, &f, why, sizeof why), EDI_OK);
    assert_true(c->as2.enabled);
    assert_string_equal(c->as2.id, "OURGW");
    assert_int_equal(c->as2.n_keys, 2);
    assert_string_equal(c->as2.keys[0].key_file, path_of("valid.key"));
    assert_string_equal(c->as2.keys[0].cert_file, path_of("valid.crt"));
    assert_null(c->as2.keys[0].pkcs12_file);
    assert_string_equal(c->as2.keys[1].pkcs12_file, path_of("keys/new.p12"));
    assert_string_equal(c->as2.keys[1].password_file, path_of("keys/new.pass"));
    assert_int_equal(c->as2.keys[1].line, 7);
    assert_int_equal(c->as2.max_bytes, 5000);
    assert_int_equal(c->as2.mdn_timeout_seconds, 3600);
    assert_string_equal(c->as2.async_mdn_url, "https://gw.example/as2");
    config_free(c);

    /* without <as2>: not enabled; defaults apply only with the block */
    snprintf(text, sizeof text, "%s</gateway>\n", head);
    write_text("gw2.xml", text);
    assert_int_equal(config_load(path_of("gw2.xml"), NULL, &c, &f, why, sizeof why), EDI_OK);
    assert_false(c->as2.enabled);
    assert_int_equal(c->as2.n_keys, 0);
    config_free(c);

    /* a key that is half PEM, half PKCS#12, or a certificate without its key */
    static const struct { const char *key; const char *finding; } bad[] = {
        { "<key key=\"a.key\" certificate=\"a.crt\" pkcs12=\"a.p12\"/>", "names both a PKCS#12 file" },
        { "<key certificate=\"a.crt\"/>", "names a certificate without its key" },
        { "<key/>", "names no key" },
        { "<key key=\"a.key\" certificate=\"a.crt\" passwordFile=\"p\"/>", "a PEM key must be unencrypted" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s  <as2 id=\"OURGW\">\n    %s\n  </as2>\n</gateway>\n", head,
                 bad[i].key);
        write_text("gw3.xml", text);
        doc_findings_free(&f);
        doc_findings_init(&f);
        c = NULL;
        assert_int_equal(config_load(path_of("gw3.xml"), NULL, &c, &f, why, sizeof why), EDI_E_XML);
        assert_null(c);
        assert_true(has_finding(&f, bad[i].finding));
        assert_int_equal(f.items[0].line, 6);
    }
    doc_findings_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(certificates_load),
        cmocka_unit_test(validity_states),
        cmocka_unit_test(pem_key_pairs),
        cmocka_unit_test(pkcs12_modern_and_legacy),
        cmocka_unit_test(keyring_rollover),
        cmocka_unit_test(algorithm_names),
        cmocka_unit_test(as2_profile_is_read),
        cmocka_unit_test(as2_profile_checks),
        cmocka_unit_test(config_as2_block),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
