/* as2_certs.c: AS2 certificates and key pairs (see as2_certs.h). */
#include "as2_certs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#define AS2_FILE_MAX (4u * 1024u * 1024u)   /* a certificate, key or PKCS#12 file */

/* The whole of `file` into a new buffer (*out, *n; the caller frees). */
static edi_result read_small_file(const char *file, unsigned char **out, size_t *n,
                                  char *why, size_t why_n)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(file, "rb");
    if (!f) {
        edi_say(why, why_n, "cannot open %s: %s", file, strerror(errno));
        return EDI_E_IO;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return EDI_E_NOMEM;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= AS2_FILE_MAX) {
                free(buf);
                fclose(f);
                edi_say(why, why_n, "%s is larger than %u bytes: not a certificate or key file",
                        file, AS2_FILE_MAX);
                return EDI_E_SYNTAX;
            }
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                fclose(f);
                return EDI_E_NOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        free(buf);
        edi_say(why, why_n, "cannot read %s", file);
        return EDI_E_IO;
    }
    *out = buf;
    *n = len;
    return EDI_OK;
}

static bool looks_pem(const unsigned char *b, size_t n)
{
    static const char mark[] = "-----BEGIN ";
    size_t m = sizeof mark - 1;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(b + i, mark, m) == 0)
            return true;
    return false;
}

/* ---- certificates ------------------------------------------------------------------ */

edi_result as2_cert_load(const char *file, STACK_OF(X509) **out, char *why, size_t why_n)
{
    *out = NULL;
    unsigned char *buf;
    size_t n;
    edi_result r = read_small_file(file, &buf, &n, why, why_n);
    if (r != EDI_OK)
        return r;
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (!certs) {
        free(buf);
        return EDI_E_NOMEM;
    }
    if (looks_pem(buf, n)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)n);
        if (!bio) {
            free(buf);
            sk_X509_free(certs);
            return EDI_E_NOMEM;
        }
        X509 *x;
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(certs, x)) {
                X509_free(x);
                r = EDI_E_NOMEM;
                break;
            }
        }
        BIO_free(bio);
    } else {
        const unsigned char *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)n);
        if (x && !sk_X509_push(certs, x)) {
            X509_free(x);
            r = EDI_E_NOMEM;
        }
    }
    ERR_clear_error();
    free(buf);
    if (r == EDI_OK && sk_X509_num(certs) == 0) {
        edi_say(why, why_n, "%s holds no certificate (expected PEM \"BEGIN CERTIFICATE\" "
                "blocks or one DER certificate)", file);
        r = EDI_E_SYNTAX;
    }
    if (r != EDI_OK) {
        sk_X509_pop_free(certs, X509_free);
        return r;
    }
    *out = certs;
    return EDI_OK;
}

static bool asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = timegm(&tm);
    return true;
}

bool as2_cert_times(const X509 *cert, time_t *not_before, time_t *not_after)
{
    *not_before = 0;
    *not_after = 0;
    if (!cert)
        return false;
    time_t b, a;
    if (!asn1_time_to_time_t(X509_get0_notBefore(cert), &b) ||
        !asn1_time_to_time_t(X509_get0_notAfter(cert), &a))
        return false;
    *not_before = b;
    *not_after = a;
    return true;
}

void as2_cert_subject(const X509 *cert, char *buf, size_t buf_n)
{
    if (buf_n == 0)
        return;
    buf[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                           XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        if (len > 0) {
            size_t k = (size_t)len < buf_n - 1 ? (size_t)len : buf_n - 1;
            memcpy(buf, data, k);
            buf[k] = '\0';
        }
    }
    BIO_free(bio);
}

static void format_date(time_t t, char *buf, size_t n)
{
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
    else
        snprintf(buf, n, "(unknown date)");
}

as2_cert_state as2_cert_check(const X509 *cert, const char *what, const char *file,
                              time_t now, unsigned warn_days, char *why, size_t why_n)
{
    time_t nb, na;
    char subject[256], date[40];
    if (!as2_cert_times(cert, &nb, &na)) {
        edi_say(why, why_n, "%s in %s has validity dates that cannot be read; replace it",
                what, file);
        return AS2_CERT_EXPIRED;
    }
    as2_cert_subject(cert, subject, sizeof subject);
    if (na <= now) {
        format_date(na, date, sizeof date);
        edi_say(why, why_n, "%s (%s) in %s expired on %s; messages signed or encrypted with "
                "it would be refused: install a renewed certificate in its place (and "
                "exchange it with the partner)", what, subject, file, date);
        return AS2_CERT_EXPIRED;
    }
    if (nb > now) {
        format_date(nb, date, sizeof date);
        edi_say(why, why_n, "%s (%s) in %s is not valid before %s; check the date or the "
                "machine's clock", what, subject, file, date);
        return AS2_CERT_NOT_YET_VALID;
    }
    format_date(na, date, sizeof date);
    long long left = ((long long)na - (long long)now) / 86400;
    if ((long long)na - (long long)now < (long long)warn_days * 86400) {
        edi_say(why, why_n, "%s (%s) in %s expires on %s, in %lld day%s: renew it and give the "
                "partner the new certificate before then", what, subject, file, date, left,
                left == 1 ? "" : "s");
        return AS2_CERT_EXPIRING;
    }
    edi_say(why, why_n, "valid until %s", date);
    return AS2_CERT_VALID;
}

const char *as2_cert_state_name(as2_cert_state s)
{
    switch (s) {
    case AS2_CERT_VALID: return "valid";
    case AS2_CERT_EXPIRING: return "expiring";
    case AS2_CERT_EXPIRED: return "expired";
    case AS2_CERT_NOT_YET_VALID: return "not yet valid";
    }
    return "unknown";
}

/* ---- key pairs --------------------------------------------------------------------- */

void as2_keypair_free(as2_keypair *kp)
{
    if (!kp)
        return;
    EVP_PKEY_free(kp->key);
    X509_free(kp->cert);
    sk_X509_pop_free(kp->chain, X509_free);
    free(kp);
}

/* Fill in validity and source, and check that key and certificate belong together. */
static edi_result keypair_finish(as2_keypair *kp, const char *source, char *why, size_t why_n)
{
    snprintf(kp->source, sizeof kp->source, "%s", source);
    if (X509_check_private_key(kp->cert, kp->key) != 1) {
        ERR_clear_error();
        edi_say(why, why_n, "the private key does not belong to the certificate in %s",
                source);
        return EDI_E_ARG;
    }
    if (!as2_cert_times(kp->cert, &kp->not_before, &kp->not_after)) {
        edi_say(why, why_n, "the certificate in %s has validity dates that cannot be read",
                source);
        return EDI_E_SYNTAX;
    }
    return EDI_OK;
}

edi_result as2_keypair_load_pem(const char *key_file, const char *cert_file,
                                as2_keypair **out, char *why, size_t why_n)
{
    *out = NULL;
    unsigned char *buf;
    size_t n;
    edi_result r = read_small_file(key_file, &buf, &n, why, why_n);
    if (r != EDI_OK)
        return r;
    as2_keypair *kp = calloc(1, sizeof *kp);
    BIO *bio = BIO_new_mem_buf(buf, (int)n);
    if (!kp || !bio) {
        BIO_free(bio);
        free(buf);
        free(kp);
        return EDI_E_NOMEM;
    }
    kp->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    OPENSSL_cleanse(buf, n);
    free(buf);
    ERR_clear_error();
    if (!kp->key) {
        as2_keypair_free(kp);
        edi_say(why, why_n, "%s holds no readable private key (expected an unencrypted PEM "
                "key, \"BEGIN PRIVATE KEY\" or \"BEGIN RSA PRIVATE KEY\")", key_file);
        return EDI_E_SYNTAX;
    }
    STACK_OF(X509) *certs;
    r = as2_cert_load(cert_file, &certs, why, why_n);
    if (r != EDI_OK) {
        as2_keypair_free(kp);
        return r;
    }
    kp->cert = sk_X509_shift(certs);
    if (sk_X509_num(certs) > 0)
        kp->chain = certs;
    else
        sk_X509_free(certs);
    r = keypair_finish(kp, cert_file, why, why_n);
    if (r != EDI_OK) {
        as2_keypair_free(kp);
        return r;
    }
    *out = kp;
    return EDI_OK;
}

/* The first line of `file` (its line end dropped) into pass. */
static edi_result read_password(const char *file, char *pass, size_t pass_n, char *why,
                                size_t why_n)
{
    unsigned char *buf;
    size_t n;
    edi_result r = read_small_file(file, &buf, &n, why, why_n);
    if (r != EDI_OK)
        return r;
    size_t k = 0;
    while (k < n && buf[k] != '\n' && buf[k] != '\r')
        k++;
    if (k >= pass_n) {
        OPENSSL_cleanse(buf, n);
        free(buf);
        edi_say(why, why_n, "the password in %s is longer than %zu characters", file,
                pass_n - 1);
        return EDI_E_ARG;
    }
    memcpy(pass, buf, k);
    pass[k] = '\0';
    OPENSSL_cleanse(buf, n);
    free(buf);
    return EDI_OK;
}

/* What one PKCS#12 load collects. */
typedef struct {
    EVP_PKEY *key;
    STACK_OF(X509) *certs;
    bool unsupported;          /* a PBE algorithm was not available */
} p12_parts;

static bool error_is_unsupported(void)
{
    unsigned long e;
    bool unsupported = false;
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_REASON(e) == ERR_R_UNSUPPORTED || ERR_GET_REASON(e) == EVP_R_UNSUPPORTED_ALGORITHM
            || ERR_GET_REASON(e) == EVP_R_UNKNOWN_CIPHER)
            unsupported = true;
    return unsupported;
}

/* Collect keys and certificates from one SafeContents; nested bags are followed once. */
static edi_result p12_bags(const STACK_OF(PKCS12_SAFEBAG) *bags, const char *pass,
                           OSSL_LIB_CTX *ctx, p12_parts *parts, int depth)
{
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
        const PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
        switch (PKCS12_SAFEBAG_get_nid(bag)) {
        case NID_keyBag:
        case NID_pkcs8ShroudedKeyBag: {
            if (parts->key)
                break;
            PKCS8_PRIV_KEY_INFO *p8 = NULL;
            if (PKCS12_SAFEBAG_get_nid(bag) == NID_keyBag) {
                const PKCS8_PRIV_KEY_INFO *plain = PKCS12_SAFEBAG_get0_p8inf(bag);
                parts->key = plain ? EVP_PKCS82PKEY(plain) : NULL;
            } else {
                p8 = PKCS12_decrypt_skey_ex(bag, pass, (int)strlen(pass), ctx, NULL);
                if (!p8 && error_is_unsupported())
                    parts->unsupported = true;
                parts->key = p8 ? EVP_PKCS82PKEY(p8) : NULL;
                PKCS8_PRIV_KEY_INFO_free(p8);
            }
            break;
        }
        case NID_certBag:
            if (PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate) {
                X509 *x = PKCS12_SAFEBAG_get1_cert(bag);
                if (x && !sk_X509_push(parts->certs, x)) {
                    X509_free(x);
                    return EDI_E_NOMEM;
                }
            }
            break;
        case NID_safeContentsBag:
            if (depth < 2) {
                edi_result r = p12_bags(PKCS12_SAFEBAG_get0_safes(bag), pass, ctx, parts,
                                        depth + 1);
                if (r != EDI_OK)
                    return r;
            }
            break;
        default:
            break;
        }
    }
    return EDI_OK;
}

static edi_result p12_unpack(PKCS12 *p12, const char *pass, OSSL_LIB_CTX *ctx, p12_parts *parts)
{
    STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
    if (!safes)
        return EDI_E_SYNTAX;
    edi_result r = EDI_OK;
    for (int i = 0; i < sk_PKCS7_num(safes) && r == EDI_OK; i++) {
        PKCS7 *p7 = sk_PKCS7_value(safes, i);
        STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
        int nid = OBJ_obj2nid(p7->type);
        if (nid == NID_pkcs7_data) {
            bags = PKCS12_unpack_p7data(p7);
        } else if (nid == NID_pkcs7_encrypted && p7->d.encrypted &&
                   p7->d.encrypted->enc_data) {
            /* PKCS12_unpack_p7encdata would fetch the cipher from the default library
             * context; decrypting through ours is what lets RC2-40 work. */
            bags = PKCS12_item_decrypt_d2i_ex(p7->d.encrypted->enc_data->algorithm,
                                              ASN1_ITEM_rptr(PKCS12_SAFEBAGS), pass,
                                              (int)strlen(pass),
                                              p7->d.encrypted->enc_data->enc_data, 1, ctx,
                                              NULL);
            if (!bags && error_is_unsupported())
                parts->unsupported = true;
        }
        if (bags) {
            r = p12_bags(bags, pass, ctx, parts, 0);
            sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
        }
    }
    sk_PKCS7_pop_free(safes, PKCS7_free);
    return r;
}

edi_result as2_keypair_load_p12(const char *p12_file, const char *password_file,
                                as2_keypair **out, char *why, size_t why_n)
{
    *out = NULL;
    char pass[1024] = "";
    edi_result r;
    if (password_file && (r = read_password(password_file, pass, sizeof pass, why, why_n))
                         != EDI_OK)
        return r;
    unsigned char *buf;
    size_t n;
    r = read_small_file(p12_file, &buf, &n, why, why_n);
    if (r != EDI_OK) {
        OPENSSL_cleanse(pass, sizeof pass);
        return r;
    }
    const unsigned char *p = buf;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)n);
    free(buf);
    if (!p12) {
        ERR_clear_error();
        OPENSSL_cleanse(pass, sizeof pass);
        edi_say(why, why_n, "%s is not a PKCS#12 file", p12_file);
        return EDI_E_SYNTAX;
    }
    if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, pass, -1) != 1 &&
        !(pass[0] == '\0' && PKCS12_verify_mac(p12, NULL, 0) == 1)) {
        ERR_clear_error();
        PKCS12_free(p12);
        OPENSSL_cleanse(pass, sizeof pass);
        edi_say(why, why_n, "the password for %s is wrong (from %s)", p12_file,
                password_file ? password_file : "no password file: empty password");
        return EDI_E_ARG;
    }
    /* A library context of our own with the default and legacy providers: RC2-40 and other
     * legacy PBE algorithms work here without touching the process-wide default context. */
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *def = ctx ? OSSL_PROVIDER_load(ctx, "default") : NULL;
    OSSL_PROVIDER *legacy = ctx ? OSSL_PROVIDER_load(ctx, "legacy") : NULL;
    ERR_clear_error();
    p12_parts parts = {.certs = sk_X509_new_null()};
    if (!ctx || !def || !parts.certs)
        r = EDI_E_NOMEM;
    else
        r = p12_unpack(p12, pass, ctx, &parts);
    PKCS12_free(p12);
    OPENSSL_cleanse(pass, sizeof pass);
    OSSL_PROVIDER_unload(legacy);
    OSSL_PROVIDER_unload(def);
    OSSL_LIB_CTX_free(ctx);
    ERR_clear_error();
    as2_keypair *kp = NULL;
    if (r == EDI_OK && !parts.key) {
        if (parts.unsupported && !legacy)
            edi_say(why, why_n, "%s uses a legacy encryption (RC2-40 or similar) that needs "
                    "the OpenSSL legacy provider, which is not installed (legacy.so, Debian "
                    "package libssl3); or re-export the file with modern encryption", p12_file);
        else if (parts.unsupported)
            edi_say(why, why_n, "%s uses an encryption this OpenSSL cannot decrypt even with "
                    "the legacy provider; re-export it with AES", p12_file);
        else
            edi_say(why, why_n, "%s holds no private key", p12_file);
        r = EDI_E_SYNTAX;
    }
    if (r == EDI_OK && !(kp = calloc(1, sizeof *kp)))
        r = EDI_E_NOMEM;
    if (r == EDI_OK) {
        kp->key = parts.key;
        parts.key = NULL;
        for (int i = 0; i < sk_X509_num(parts.certs); i++) {
            X509 *x = sk_X509_value(parts.certs, i);
            if (X509_check_private_key(x, kp->key) == 1) {
                kp->cert = sk_X509_delete(parts.certs, i);
                break;
            }
        }
        ERR_clear_error();
        if (!kp->cert) {
            edi_say(why, why_n, "%s holds a private key but not its certificate", p12_file);
            r = EDI_E_SYNTAX;
        }
    }
    if (r == EDI_OK) {
        if (sk_X509_num(parts.certs) > 0) {
            kp->chain = parts.certs;
            parts.certs = NULL;
        }
        r = keypair_finish(kp, p12_file, why, why_n);
    }
    EVP_PKEY_free(parts.key);
    sk_X509_pop_free(parts.certs, X509_free);
    if (r != EDI_OK) {
        as2_keypair_free(kp);
        return r;
    }
    *out = kp;
    return EDI_OK;
}

/* ---- our keyring ------------------------------------------------------------------- */

struct as2_keyring {
    as2_keypair *pairs[CONFIG_AS2_MAX_KEYS];
    size_t n;
};

void as2_keyring_free(as2_keyring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        as2_keypair_free(r->pairs[i]);
    free(r);
}

edi_result as2_keyring_load(const config_as2 *cfg, as2_keyring **out, char *why,
                            size_t why_n)
{
    *out = NULL;
    if (!cfg || !cfg->enabled || cfg->n_keys == 0) {
        edi_say(why, why_n, "the configuration has no <as2> block with a <key>");
        return EDI_E_ARG;
    }
    as2_keyring *r = calloc(1, sizeof *r);
    if (!r)
        return EDI_E_NOMEM;
    for (size_t i = 0; i < cfg->n_keys && i < CONFIG_AS2_MAX_KEYS; i++) {
        const config_as2_key *k = &cfg->keys[i];
        char sub[512];
        edi_result res;
        if (k->pkcs12_file)
            res = as2_keypair_load_p12(k->pkcs12_file, k->password_file, &r->pairs[i], sub,
                                       sizeof sub);
        else if (k->key_file && k->cert_file)
            res = as2_keypair_load_pem(k->key_file, k->cert_file, &r->pairs[i], sub,
                                       sizeof sub);
        else {
            res = EDI_E_ARG;
            snprintf(sub, sizeof sub, "it names neither a PKCS#12 file nor a key and a "
                     "certificate");
        }
        if (res != EDI_OK) {
            edi_say(why, why_n, "our AS2 key (configuration line %ld): %s", k->line, sub);
            as2_keyring_free(r);
            return res;
        }
        r->n++;
    }
    *out = r;
    return EDI_OK;
}

size_t as2_keyring_count(const as2_keyring *r)
{
    return r ? r->n : 0;
}

const as2_keypair *as2_keyring_at(const as2_keyring *r, size_t i)
{
    return r && i < r->n ? r->pairs[i] : NULL;
}

const as2_keypair *as2_keyring_signer(const as2_keyring *r, time_t now)
{
    const as2_keypair *best = NULL;
    for (size_t i = 0; r && i < r->n; i++) {
        const as2_keypair *kp = r->pairs[i];
        if (kp->not_before > now || kp->not_after <= now)
            continue;
        if (!best || kp->not_before > best->not_before)
            best = kp;
    }
    return best;
}

const as2_keypair *as2_keyring_for_recipient(const as2_keyring *r, CMS_ContentInfo *cms)
{
    if (!r || !cms)
        return NULL;
    STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);
    ERR_clear_error();
    for (int j = 0; ris && j < sk_CMS_RecipientInfo_num(ris); j++) {
        CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, j);
        if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS)
            continue;
        for (size_t i = 0; i < r->n; i++)
            if (CMS_RecipientInfo_ktri_cert_cmp(ri, r->pairs[i]->cert) == 0)
                return r->pairs[i];
    }
    return NULL;
}

char *as2_keyring_certs_pem(const as2_keyring *r)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return NULL;
    bool ok = true;
    for (size_t i = 0; r && i < r->n && ok; i++)
        ok = PEM_write_bio_X509(bio, r->pairs[i]->cert) == 1;
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *text = ok && len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text) {
        memcpy(text, data, (size_t)len);
        text[len] = '\0';
    }
    BIO_free(bio);
    return text;
}

/* ---- a partner's certificates ------------------------------------------------------ */

void as2_partner_certs_free(as2_partner_certs *pc)
{
    if (!pc)
        return;
    sk_X509_pop_free(pc->signing, X509_free);
    X509_free(pc->encryption);
    free(pc);
}

edi_result as2_partner_certs_load(const partner *p, time_t now, as2_partner_certs **out,
                                  char *why, size_t why_n)
{
    *out = NULL;
    if (!p || p->channel != PARTNER_CHANNEL_AS2) {
        edi_say(why, why_n, "the partner %s has no AS2 channel", p ? p->id : "(none)");
        return EDI_E_ARG;
    }
    as2_partner_certs *pc = calloc(1, sizeof *pc);
    if (!pc || !(pc->signing = sk_X509_new_null())) {
        free(pc);
        return EDI_E_NOMEM;
    }
    time_t best_nb = 0;
    for (size_t i = 0; i < p->as2.n_certs; i++) {
        const partner_as2_cert *c = &p->as2.certs[i];
        STACK_OF(X509) *certs;
        edi_result r = as2_cert_load(c->file, &certs, why, why_n);
        if (r != EDI_OK) {
            as2_partner_certs_free(pc);
            return r;
        }
        for (int k = 0; k < sk_X509_num(certs); k++) {
            X509 *x = sk_X509_value(certs, k);
            time_t nb, na;
            if (!as2_cert_times(x, &nb, &na) || nb > now || now >= na)
                continue; /* expired or not yet valid: refused (partners check says so) */
            if (c->encryption && (!pc->encryption || nb > best_nb)) {
                X509_free(pc->encryption);
                X509_up_ref(x);
                pc->encryption = x;
                best_nb = nb;
            }
            if (c->signing) {
                X509_up_ref(x);
                if (!sk_X509_push(pc->signing, x)) {
                    X509_free(x);
                    sk_X509_pop_free(certs, X509_free);
                    as2_partner_certs_free(pc);
                    return EDI_E_NOMEM;
                }
            }
        }
        sk_X509_pop_free(certs, X509_free);
    }
    *out = pc;
    return EDI_OK;
}
