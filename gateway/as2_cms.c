/* as2_cms.c: CMS for AS2 on OpenSSL 3 (decrypt, verify, sign, encrypt) and RFC 3274
 * CompressedData around zlib with OpenSSL ASN.1 templates. */
#include "as2_cms.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <zlib.h>

/* ---- errors -------------------------------------------------------------------------- */

const char *as2_error_str(as2_error e)
{
    switch (e) {
    case AS2_OK: return "success";
    case AS2_E_AUTHENTICATION: return "the signature does not verify";
    case AS2_E_DECRYPTION: return "the message cannot be decrypted";
    case AS2_E_DECOMPRESSION: return "the compressed content cannot be decompressed";
    case AS2_E_INSUFFICIENT_SECURITY: return "an algorithm that is not allowed was used";
    case AS2_E_FORMAT: return "the bytes are not the CMS structure expected";
    case AS2_E_LIMIT: return "the content exceeds the size limit";
    case AS2_E_ARG: return "an invalid argument was passed";
    case AS2_E_NOMEM: return "out of memory";
    case AS2_E_INTERNAL: return "OpenSSL failed";
    }
    return "unknown AS2 error";
}

const char *as2_error_disposition(as2_error e)
{
    switch (e) {
    case AS2_OK: return "";
    case AS2_E_AUTHENTICATION: return "authentication-failed";
    case AS2_E_DECRYPTION: return "decryption-failed";
    case AS2_E_DECOMPRESSION: return "decompression-failed";
    case AS2_E_INSUFFICIENT_SECURITY: return "insufficient-message-security";
    case AS2_E_FORMAT:
    case AS2_E_LIMIT:
    case AS2_E_ARG:
    case AS2_E_NOMEM:
    case AS2_E_INTERNAL:
        break;
    }
    return "unexpected-processing-error";
}

edi_result as2_error_result(as2_error e)
{
    switch (e) {
    case AS2_OK: return EDI_OK;
    case AS2_E_NOMEM: return EDI_E_NOMEM;
    case AS2_E_LIMIT: return EDI_E_LIMIT;
    case AS2_E_ARG: return EDI_E_ARG;
    default: return EDI_E_SYNTAX;
    }
}

/* OpenSSL's last reason into buf (and the queue emptied). */
static const char *ossl_reason(char *buf, size_t n)
{
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e;
    if (!last)
        snprintf(buf, n, "no reason given by OpenSSL");
    else
        ERR_error_string_n(last, buf, n);
    return buf;
}

/* ---- names --------------------------------------------------------------------------- */

static void squeeze(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; s && *s && k + 1 < n; s++)
        if (*s != '-' && *s != '_' && !isspace((unsigned char)*s))
            out[k++] = (char)tolower((unsigned char)*s);
    out[k] = '\0';
}

static const struct {
    as2_cipher c;
    const char *name;
    const char *alias[3];
} ciphers[] = {
    {AS2_CIPHER_3DES, "3des", {"desede3cbc", "tripledes", "tripledes192cbc"}},
    {AS2_CIPHER_AES128_CBC, "aes128-cbc", {"aes128cbc", "aes128", NULL}},
    {AS2_CIPHER_AES192_CBC, "aes192-cbc", {"aes192cbc", "aes192", NULL}},
    {AS2_CIPHER_AES256_CBC, "aes256-cbc", {"aes256cbc", "aes256", NULL}},
    {AS2_CIPHER_AES128_GCM, "aes128-gcm", {"aes128gcm", NULL, NULL}},
    {AS2_CIPHER_AES192_GCM, "aes192-gcm", {"aes192gcm", NULL, NULL}},
    {AS2_CIPHER_AES256_GCM, "aes256-gcm", {"aes256gcm", NULL, NULL}},
};

const char *as2_cipher_name(as2_cipher c)
{
    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
        if (ciphers[i].c == c)
            return ciphers[i].name;
    return c == AS2_CIPHER_OTHER ? "other" : "";
}

bool as2_cipher_parse(const char *s, as2_cipher *out)
{
    char q[40];
    squeeze(s, q, sizeof q);
    if (strcmp(q, "3des") == 0 || strcmp(q, "des3") == 0) {
        *out = AS2_CIPHER_3DES;
        return true;
    }
    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
        for (size_t j = 0; j < 3 && ciphers[i].alias[j]; j++)
            if (strcmp(q, ciphers[i].alias[j]) == 0) {
                *out = ciphers[i].c;
                return true;
            }
    return false;
}

static const EVP_CIPHER *cipher_evp(as2_cipher c)
{
    switch (c) {
    case AS2_CIPHER_3DES: return EVP_des_ede3_cbc();
    case AS2_CIPHER_NONE:
    case AS2_CIPHER_AES256_CBC: return EVP_aes_256_cbc();
    case AS2_CIPHER_AES128_CBC: return EVP_aes_128_cbc();
    case AS2_CIPHER_AES192_CBC: return EVP_aes_192_cbc();
    case AS2_CIPHER_AES128_GCM: return EVP_aes_128_gcm();
    case AS2_CIPHER_AES192_GCM: return EVP_aes_192_gcm();
    case AS2_CIPHER_AES256_GCM: return EVP_aes_256_gcm();
    case AS2_CIPHER_OTHER: break;
    }
    return NULL;
}

static as2_cipher cipher_of_nid(int nid)
{
    switch (nid) {
    case NID_des_ede3_cbc: return AS2_CIPHER_3DES;
    case NID_aes_128_cbc: return AS2_CIPHER_AES128_CBC;
    case NID_aes_192_cbc: return AS2_CIPHER_AES192_CBC;
    case NID_aes_256_cbc: return AS2_CIPHER_AES256_CBC;
    case NID_aes_128_gcm: return AS2_CIPHER_AES128_GCM;
    case NID_aes_192_gcm: return AS2_CIPHER_AES192_GCM;
    case NID_aes_256_gcm: return AS2_CIPHER_AES256_GCM;
    default: return AS2_CIPHER_OTHER;
    }
}

const char *as2_key_transport_name(as2_key_transport kt)
{
    switch (kt) {
    case AS2_KT_RSA_PKCS1: return "pkcs1";
    case AS2_KT_RSA_OAEP: return "oaep";
    case AS2_KT_OTHER: return "other";
    case AS2_KT_NONE: break;
    }
    return "";
}

bool as2_key_transport_parse(const char *s, as2_key_transport *out)
{
    char q[40];
    squeeze(s, q, sizeof q);
    if (strcmp(q, "pkcs1") == 0 || strcmp(q, "pkcs1v15") == 0 ||
        strcmp(q, "rsaespkcs1v15") == 0 || strcmp(q, "rsapkcs1") == 0) {
        *out = AS2_KT_RSA_PKCS1;
        return true;
    }
    if (strcmp(q, "oaep") == 0 || strcmp(q, "rsaesoaep") == 0 || strcmp(q, "rsaoaep") == 0) {
        *out = AS2_KT_RSA_OAEP;
        return true;
    }
    return false;
}

const char *as2_variant_name(as2_variant v)
{
    switch (v) {
    case AS2_VARIANT_EXACT: return "exact";
    case AS2_VARIANT_CANONICAL: return "canonical";
    case AS2_VARIANT_NO_TRAILING_CRLF: return "no-trailing-crlf";
    }
    return "";
}

/* ---- BIOs over our buffers ----------------------------------------------------------- */

/* A read-only BIO over a list of segments: content is streamed without copying. */
typedef struct {
    const as2_seg *segs;
    size_t n, i, off;
} seg_reader;

static int seg_read(BIO *b, char *out, int want)
{
    seg_reader *r = BIO_get_data(b);
    int got = 0;
    while (got < want && r->i < r->n) {
        const as2_seg *s = &r->segs[r->i];
        size_t left = s->len - r->off, take = (size_t)(want - got);
        if (take > left)
            take = left;
        memcpy(out + got, s->p + r->off, take);
        got += (int)take;
        r->off += take;
        if (r->off == s->len) {
            r->i++;
            r->off = 0;
        }
    }
    return got;
}

static long seg_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    seg_reader *r = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_EOF: return r->i >= r->n;
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
    }
}

/* An append-only BIO into an edi_buf. */
static int buf_write(BIO *b, const char *in, int n)
{
    edi_buf *out = BIO_get_data(b);
    return n <= 0 ? 0 : edi_buf_append(out, in, (size_t)n) ? n : -1;
}

static long buf_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* Our BIOs: the methods live as long as the BIO using them (freed together by the
 * caller with bio_done), so there is no process-wide table. */
typedef struct {
    BIO_METHOD *meth;
    BIO *bio;
    seg_reader reader;
} our_bio;

static bool seg_bio_open(our_bio *ob, const as2_seg *segs, size_t n)
{
    memset(ob, 0, sizeof *ob);
    ob->reader = (seg_reader){segs, n, 0, 0};
    ob->meth = BIO_meth_new(200 | BIO_TYPE_SOURCE_SINK, "as2 segments");
    if (!ob->meth || !BIO_meth_set_read(ob->meth, seg_read) ||
        !BIO_meth_set_ctrl(ob->meth, seg_ctrl))
        return false;
    ob->bio = BIO_new(ob->meth);
    if (!ob->bio)
        return false;
    BIO_set_data(ob->bio, &ob->reader);
    BIO_set_init(ob->bio, 1);
    return true;
}

static bool buf_bio_open(our_bio *ob, edi_buf *out)
{
    memset(ob, 0, sizeof *ob);
    ob->meth = BIO_meth_new(201 | BIO_TYPE_SOURCE_SINK, "as2 edi_buf");
    if (!ob->meth || !BIO_meth_set_write(ob->meth, buf_write) ||
        !BIO_meth_set_ctrl(ob->meth, buf_ctrl))
        return false;
    ob->bio = BIO_new(ob->meth);
    if (!ob->bio)
        return false;
    BIO_set_data(ob->bio, out);
    BIO_set_init(ob->bio, 1);
    return true;
}

static void bio_done(our_bio *ob)
{
    BIO_free(ob->bio);
    BIO_meth_free(ob->meth);
    ob->bio = NULL;
    ob->meth = NULL;
}

/* ---- reading ------------------------------------------------------------------------- */

static as2_cms_type type_of_nid(int nid)
{
    switch (nid) {
    case NID_pkcs7_data: return AS2_CMS_DATA;
    case NID_pkcs7_signed: return AS2_CMS_SIGNED;
    case NID_pkcs7_enveloped: return AS2_CMS_ENVELOPED;
    case NID_id_smime_ct_authEnvelopedData: return AS2_CMS_AUTH_ENVELOPED;
    case NID_id_smime_ct_compressedData: return AS2_CMS_COMPRESSED;
    default: return AS2_CMS_OTHER;
    }
}

as2_cms_type as2_cms_sniff(const unsigned char *der, size_t len)
{
    if (!der || len < 2 || len > LONG_MAX)
        return AS2_CMS_UNKNOWN;
    const unsigned char *p = der;
    long body_len;
    int tag, cls;
    int r = ASN1_get_object(&p, &body_len, &tag, &cls, (long)len);
    if ((r & 0x80) || tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL || !(r & V_ASN1_CONSTRUCTED))
        return AS2_CMS_UNKNOWN;
    long left = (long)len - (long)(p - der);
    ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, left);
    ERR_clear_error();
    if (!oid)
        return AS2_CMS_UNKNOWN;
    as2_cms_type t = type_of_nid(OBJ_obj2nid(oid));
    ASN1_OBJECT_free(oid);
    return t;
}

as2_error as2_cms_read(const unsigned char *der, size_t len, CMS_ContentInfo **out,
                       char *why, size_t why_n)
{
    *out = NULL;
    if (len > LONG_MAX) {
        edi_say(why, why_n, "the CMS body is too large");
        return AS2_E_LIMIT;
    }
    ERR_clear_error();
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    if (!cms) {
        char r[200];
        edi_say(why, why_n, "the %zu bytes are not a CMS structure (%s)", len,
                ossl_reason(r, sizeof r));
        return AS2_E_FORMAT;
    }
    *out = cms;
    return AS2_OK;
}

/* ---- decrypting ---------------------------------------------------------------------- */

static void name_line(X509_NAME *nm, char *buf, size_t n)
{
    buf[0] = '\0';
    BIO *m = BIO_new(BIO_s_mem());
    if (!m)
        return;
    if (X509_NAME_print_ex(m, nm, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *p;
        long l = BIO_get_mem_data(m, &p);
        snprintf(buf, n, "%.*s", (int)(l < 0 ? 0 : l), p);
    }
    BIO_free(m);
}

static void serial_hex(const ASN1_INTEGER *sno, char *buf, size_t n)
{
    buf[0] = '\0';
    BIGNUM *bn = sno ? ASN1_INTEGER_to_BN(sno, NULL) : NULL;
    char *h = bn ? BN_bn2hex(bn) : NULL;
    if (h)
        snprintf(buf, n, "0x%s", h);
    OPENSSL_free(h);
    BN_free(bn);
}

static void cert_line(X509 *c, char *buf, size_t n)
{
    char nm[200], sn[80];
    name_line(X509_get_subject_name(c), nm, sizeof nm);
    serial_hex(X509_get0_serialNumber(c), sn, sizeof sn);
    snprintf(buf, n, "%s (serial %s)", nm, sn);
}

static as2_mic_alg oaep_md_of(X509_ALGOR *alg)
{
    RSA_OAEP_PARAMS *op = alg ? ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS),
                                                          alg->parameter) : NULL;
    as2_mic_alg md = AS2_MIC_SHA1;                        /* the RFC 8017 default */
    if (op && op->hashFunc)
        md = as2_mic_alg_from_nid(OBJ_obj2nid(op->hashFunc->algorithm));
    RSA_OAEP_PARAMS_free(op);
    ERR_clear_error();
    return md;
}

static as2_key_transport kt_of(CMS_RecipientInfo *ri, as2_mic_alg *oaep_md)
{
    X509_ALGOR *alg = NULL;
    *oaep_md = AS2_MIC_NONE;
    if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS ||
        !CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL, &alg) || !alg)
        return AS2_KT_OTHER;
    int nid = OBJ_obj2nid(alg->algorithm);
    if (nid == NID_rsaEncryption)
        return AS2_KT_RSA_PKCS1;
    if (nid == NID_rsaesOaep) {
        *oaep_md = oaep_md_of(alg);
        return AS2_KT_RSA_OAEP;
    }
    return AS2_KT_OTHER;
}

void as2_cms_recipients(CMS_ContentInfo *cms, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);
    ERR_clear_error();
    if (!ris)
        return;
    int cnt = sk_CMS_RecipientInfo_num(ris);
    size_t k = (size_t)snprintf(buf, n, "%d recipient info%s", cnt, cnt == 1 ? "" : "s");
    for (int i = 0; i < cnt && k < n; i++) {
        CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);
        char what[400] = "";
        if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
            ASN1_OCTET_STRING *keyid = NULL;
            X509_NAME *issuer = NULL;
            ASN1_INTEGER *sno = NULL;
            as2_mic_alg md;
            as2_key_transport kt = kt_of(ri, &md);
            const char *ktn = kt == AS2_KT_RSA_PKCS1 ? "rsaEncryption"
                              : kt == AS2_KT_RSA_OAEP ? "RSAES-OAEP" : "other";
            if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &sno) && issuer) {
                char nm[200], sn[80];
                name_line(issuer, nm, sizeof nm);
                serial_hex(sno, sn, sizeof sn);
                snprintf(what, sizeof what, "key transport (%s) to issuer %s, serial %s", ktn,
                         nm, sn);
            } else if (keyid) {
                char hex[48] = "";
                for (int j = 0; j < keyid->length && j < 20; j++)
                    snprintf(hex + 2 * j, 3, "%02x", keyid->data[j]);
                snprintf(what, sizeof what, "key transport (%s) to subject key id %s", ktn, hex);
            } else {
                snprintf(what, sizeof what, "key transport (%s)", ktn);
            }
        } else {
            snprintf(what, sizeof what, "a recipient info of type %d (not key transport)",
                     CMS_RecipientInfo_type(ri));
        }
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i == 0 ? ": " : "; ", what);
    }
    ERR_clear_error();
}

as2_error as2_cms_decrypt(CMS_ContentInfo *cms, EVP_PKEY *key, X509 *cert, edi_buf *out,
                          as2_decrypt_info *info, char *why, size_t why_n)
{
    as2_decrypt_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    ERR_clear_error();
    int nid = OBJ_obj2nid(CMS_get0_type(cms));
    info->type = type_of_nid(nid);
    if (info->type != AS2_CMS_ENVELOPED && info->type != AS2_CMS_AUTH_ENVELOPED) {
        edi_say(why, why_n, "the message is not EnvelopedData or AuthEnvelopedData but %s",
                OBJ_nid2ln(nid));
        return AS2_E_FORMAT;
    }
    char ris[900];
    as2_cms_recipients(cms, ris, sizeof ris);
    STACK_OF(CMS_RecipientInfo) *all = CMS_get0_RecipientInfos(cms);
    info->n_recipients = all ? (size_t)sk_CMS_RecipientInfo_num(all) : 0;
    if (!key || !cert) {
        edi_say(why, why_n, "the message is not encrypted to any certificate of ours; it has %s",
                ris);
        return AS2_E_DECRYPTION;
    }
    CMS_RecipientInfo *mine = NULL;
    for (size_t i = 0; i < info->n_recipients && !mine; i++) {
        CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(all, (int)i);
        if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS &&
            CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0)
            mine = ri;
    }
    char ours[300];
    cert_line(cert, ours, sizeof ours);
    if (!mine) {
        edi_say(why, why_n, "the message is not encrypted to our certificate %s; it has %s",
                ours, ris);
        return AS2_E_DECRYPTION;
    }
    info->kt = kt_of(mine, &info->oaep_md);
    ERR_clear_error();
    if (!CMS_decrypt_set1_pkey_and_peer(cms, key, cert, NULL)) {
        char r[200];
        edi_say(why, why_n, "the content key cannot be decrypted with the key of our "
                "certificate %s (%s); the message has %s", ours, ossl_reason(r, sizeof r), ris);
        return AS2_E_DECRYPTION;
    }
    BIO *cont = CMS_dataInit(cms, NULL);
    if (!cont) {
        char r[200];
        edi_say(why, why_n, "the content cannot be decrypted (%s)", ossl_reason(r, sizeof r));
        return AS2_E_DECRYPTION;
    }
    BIO *cb = BIO_find_type(cont, BIO_TYPE_CIPHER);
    EVP_CIPHER_CTX *cctx = NULL;
    if (cb && BIO_get_cipher_ctx(cb, &cctx) == 1 && cctx) {
        info->cipher_nid = EVP_CIPHER_get_nid(EVP_CIPHER_CTX_get0_cipher(cctx));
        info->cipher = cipher_of_nid(info->cipher_nid);
    }
    ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
    size_t expect = pos && *pos ? (size_t)ASN1_STRING_length(*pos) : 0;
    size_t start = out->len;
    as2_error rc = AS2_OK;
    if (!edi_buf_grow(out, expect + 4096))
        rc = AS2_E_NOMEM;
    while (rc == AS2_OK) {
        if (out->cap - out->len < 4096 && !edi_buf_grow(out, 65536)) {
            rc = AS2_E_NOMEM;
            break;
        }
        size_t room = out->cap - out->len;
        int n = BIO_read(cont, out->p + out->len, room > INT_MAX ? INT_MAX : (int)room);
        if (n <= 0)
            break;
        out->len += (size_t)n;
    }
    if (rc == AS2_OK && cb && !BIO_get_cipher_status(cb)) {
        char r[200];
        edi_say(why, why_n, "the content does not decrypt with the key of our certificate %s "
                "(%s: a wrong key, damaged ciphertext%s)", ours, ossl_reason(r, sizeof r),
                info->type == AS2_CMS_AUTH_ENVELOPED ? " or a wrong authentication tag" : "");
        rc = AS2_E_DECRYPTION;
    } else if (rc == AS2_E_NOMEM) {
        edi_say(why, why_n, "out of memory decrypting %zu bytes", expect);
    }
    BIO_free_all(cont);
    if (rc != AS2_OK)
        out->len = start;
    ERR_clear_error();
    return rc;
}

/* ---- verifying ----------------------------------------------------------------------- */

as2_error as2_cms_verify(const unsigned char *sig, size_t sig_len, const as2_seg *content,
                         size_t n_content, STACK_OF(X509) *certs, bool allow_md5,
                         as2_verify_info *info, char *why, size_t why_n)
{
    as2_verify_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    CMS_ContentInfo *cms = NULL;
    as2_error rc = as2_cms_read(sig, sig_len, &cms, why, why_n);
    if (rc != AS2_OK)
        return rc;
    our_bio in = {0};
    int nid = OBJ_obj2nid(CMS_get0_type(cms));
    STACK_OF(CMS_SignerInfo) *sis = nid == NID_pkcs7_signed ? CMS_get0_SignerInfos(cms) : NULL;
    if (nid != NID_pkcs7_signed) {
        edi_say(why, why_n, "the signature is not SignedData but %s", OBJ_nid2ln(nid));
        rc = AS2_E_FORMAT;
        goto done;
    }
    if (!sis || sk_CMS_SignerInfo_num(sis) < 1) {
        edi_say(why, why_n, "the signature has no SignerInfo");
        rc = AS2_E_FORMAT;
        goto done;
    }
    if (!CMS_is_detached(cms)) {
        edi_say(why, why_n, "the signature carries its content (not detached as "
                "multipart/signed needs)");
        rc = AS2_E_FORMAT;
        goto done;
    }
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    X509_ALGOR *dig = NULL, *sigalg = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sigalg);
    info->digest_nid = dig ? OBJ_obj2nid(dig->algorithm) : NID_undef;
    info->digest = as2_mic_alg_from_nid(info->digest_nid);
    info->pss = sigalg && OBJ_obj2nid(sigalg->algorithm) == NID_rsassaPss;
    info->signed_attrs = CMS_signed_get_attr_count(si) > 0;
    if (info->digest == AS2_MIC_MD5 && !allow_md5) {
        edi_say(why, why_n, "the message is signed with MD5, which is not allowed");
        rc = AS2_E_INSUFFICIENT_SECURITY;
        goto done;
    }
    int n_certs = certs ? sk_X509_num(certs) : 0;
    int found = -1;
    for (int i = 0; i < n_certs && found < 0; i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
            found = i;
    if (found < 0) {
        ASN1_OCTET_STRING *keyid = NULL;
        X509_NAME *issuer = NULL;
        ASN1_INTEGER *sno = NULL;
        char nm[200] = "", sn[80] = "";
        if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) && issuer) {
            name_line(issuer, nm, sizeof nm);
            serial_hex(sno, sn, sizeof sn);
        }
        edi_say(why, why_n, "the message is signed by %s%s%s%s, which is none of the %d "
                "certificate%s we have for the partner", issuer ? "issuer " : "a key id",
                nm, issuer ? ", serial " : "", sn, n_certs, n_certs == 1 ? "" : "s");
        rc = AS2_E_AUTHENTICATION;
        goto done;
    }
    info->signer = (size_t)found;
    if (!seg_bio_open(&in, content, n_content)) {
        edi_say(why, why_n, "out of memory opening the content");
        rc = AS2_E_NOMEM;
        goto done;
    }
    ERR_clear_error();
    unsigned flags = CMS_BINARY | CMS_DETACHED | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY;
    if (CMS_verify(cms, certs, NULL, in.bio, NULL, flags) != 1) {
        char r[200], c[300];
        cert_line(sk_X509_value(certs, found), c, sizeof c);
        edi_say(why, why_n, "the signature does not verify with the certificate %s: the "
                "content was changed or signed with another key (%s)", c,
                ossl_reason(r, sizeof r));
        rc = AS2_E_AUTHENTICATION;
        goto done;
    }
    if (info->digest != AS2_MIC_NONE &&
        as2_mic_compute(info->digest, content, n_content, info->mic, sizeof info->mic, why,
                        why_n) != EDI_OK)
        rc = AS2_E_NOMEM;
done:
    bio_done(&in);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return rc;
}

/* The signature part's bytes: base64 by its CTE, raw DER when it starts like DER. */
static as2_error signature_bytes(const char *buf, const as2_part *p, edi_buf *sig, bool *binary,
                                 char *why, size_t why_n)
{
    char v[64];
    as2_cte cte = AS2_CTE_BINARY;
    if (!p->headerless &&
        as2_mime_header(buf, p->headers, "Content-Transfer-Encoding", v, sizeof v) &&
        as2_mime_cte_parse(v, &cte, NULL, 0) != EDI_OK)
        cte = AS2_CTE_BINARY;
    const unsigned char *b = (const unsigned char *)buf + p->body.off;
    bool looks_der = p->body.len > 2 && b[0] == 0x30;
    edi_result r;
    *binary = false;
    if (cte == AS2_CTE_BASE64 || !looks_der) {
        r = as2_mime_base64_decode(buf + p->body.off, p->body.len, sig, why, why_n);
    } else {
        *binary = true;
        r = edi_buf_append(sig, buf + p->body.off, p->body.len) ? EDI_OK : EDI_E_NOMEM;
    }
    if (r == EDI_E_NOMEM)
        return AS2_E_NOMEM;
    if (r != EDI_OK || sig->len == 0) {
        edi_say(why, why_n, "the signature part is neither DER nor base64");
        return AS2_E_FORMAT;
    }
    return AS2_OK;
}

as2_error as2_cms_verify_signed(const char *buf, const as2_multipart *mp,
                                STACK_OF(X509) *certs, unsigned try_variants, bool allow_md5,
                                as2_verify_info *info, char *why, size_t why_n)
{
    as2_verify_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (mp->n != 2) {
        edi_say(why, why_n, "a multipart/signed must have 2 parts, this one has %zu", mp->n);
        return AS2_E_FORMAT;
    }
    edi_buf sig = {0}, scratch = {0};
    bool binary = false;
    as2_error rc = signature_bytes(buf, &mp->part[1], &sig, &binary, why, why_n);
    if (rc != AS2_OK)
        goto done;
    const as2_part *p = &mp->part[0];
    as2_seg segs[3] = {{(const unsigned char *)buf + p->whole.off, p->whole.len}};
    rc = as2_cms_verify((const unsigned char *)sig.p, sig.len, segs, 1, certs, allow_md5, info,
                        why, why_n);
    info->variant = AS2_VARIANT_EXACT;
    char tried[80] = "";
    for (int pass = 0; rc == AS2_E_AUTHENTICATION && pass < 3; pass++) {
        size_t n = 0;
        as2_variant v = AS2_VARIANT_CANONICAL;
        if (pass < 2) {
            if (!(try_variants & AS2_VERIFY_TRY_CANONICAL))
                continue;
            scratch.len = 0;
            if (as2_mime_part_segments(buf, p, true, pass == 1, &scratch, segs, &n) != EDI_OK) {
                rc = AS2_E_NOMEM;
                break;
            }
            if (n == 1)
                continue;                                   /* same bytes as exact */
            if (pass == 1 && n == 2 && segs[1].p == (const unsigned char *)buf + p->body.off)
                continue;                                   /* body unchanged: pass 0 did it */
        } else {
            if (!(try_variants & AS2_VERIFY_TRY_NO_TRAILING_CRLF) || p->whole.len < 2 ||
                memcmp(buf + p->whole.off + p->whole.len - 2, "\r\n", 2) != 0)
                continue;
            v = AS2_VARIANT_NO_TRAILING_CRLF;
            segs[0] = (as2_seg){(const unsigned char *)buf + p->whole.off, p->whole.len - 2};
            n = 1;
        }
        as2_verify_info vi;
        as2_error r2 = as2_cms_verify((const unsigned char *)sig.p, sig.len, segs, n, certs,
                                      allow_md5, &vi, NULL, 0);
        size_t tl = strlen(tried);
        snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? ", " : "", as2_variant_name(v));
        if (r2 == AS2_OK) {
            *info = vi;
            info->variant = v;
            rc = AS2_OK;
        } else if (r2 != AS2_E_AUTHENTICATION) {
            rc = r2;
        }
    }
    if (rc == AS2_E_AUTHENTICATION && tried[0] && why && why_n) {
        size_t l = strlen(why);
        snprintf(why + l, why_n - l, " (also tried: %s)", tried);
    }
    info->binary_signature = binary;
done:
    edi_buf_free(&sig);
    edi_buf_free(&scratch);
    return rc;
}

/* ---- compressed data (RFC 3274) ------------------------------------------------------ */
/* OpenSSL parses CompressedData itself but exposes neither its algorithm nor a way to
 * build one without zlib compiled in, so the three types are declared here with OpenSSL's
 * ASN.1 template macros: the DER/BER reading and writing (indefinite lengths, constructed
 * OCTET STRINGs) is OpenSSL's. */

typedef struct {
    ASN1_OBJECT *type;
    ASN1_OCTET_STRING *content;
} AS2_ECI;

ASN1_SEQUENCE(AS2_ECI) = {
    ASN1_SIMPLE(AS2_ECI, type, ASN1_OBJECT),
    ASN1_EXP_OPT(AS2_ECI, content, ASN1_OCTET_STRING, 0),
} static_ASN1_SEQUENCE_END(AS2_ECI)

typedef struct {
    ASN1_INTEGER *version;
    X509_ALGOR *alg;
    AS2_ECI *eci;
} AS2_CD;

ASN1_SEQUENCE(AS2_CD) = {
    ASN1_SIMPLE(AS2_CD, version, ASN1_INTEGER),
    ASN1_SIMPLE(AS2_CD, alg, X509_ALGOR),
    ASN1_SIMPLE(AS2_CD, eci, AS2_ECI),
} static_ASN1_SEQUENCE_END(AS2_CD)

typedef struct {
    ASN1_OBJECT *type;
    AS2_CD *cd;
} AS2_CI;

ASN1_SEQUENCE(AS2_CI) = {
    ASN1_SIMPLE(AS2_CI, type, ASN1_OBJECT),
    ASN1_EXP(AS2_CI, cd, AS2_CD, 0),
} static_ASN1_SEQUENCE_END(AS2_CI)

as2_error as2_cms_decompress(const unsigned char *der, size_t len, size_t limit, edi_buf *out,
                             char *why, size_t why_n)
{
    if (len > LONG_MAX) {
        edi_say(why, why_n, "the compressed body is too large");
        return AS2_E_LIMIT;
    }
    ERR_clear_error();
    const unsigned char *p = der;
    AS2_CI *ci = (AS2_CI *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(AS2_CI));
    if (!ci) {
        char r[200];
        edi_say(why, why_n, "the compressed part is not a CMS CompressedData (%s)",
                ossl_reason(r, sizeof r));
        return AS2_E_DECOMPRESSION;
    }
    as2_error rc = AS2_OK;
    int alg = OBJ_obj2nid(ci->cd->alg->algorithm);
    if (OBJ_obj2nid(ci->type) != NID_id_smime_ct_compressedData) {
        edi_say(why, why_n, "the compressed part is %s, not CompressedData",
                OBJ_nid2ln(OBJ_obj2nid(ci->type)));
        rc = AS2_E_DECOMPRESSION;
    } else if (alg != NID_zlib_compression) {
        char oid[80];
        OBJ_obj2txt(oid, sizeof oid, ci->cd->alg->algorithm, 1);
        edi_say(why, why_n, "the compression algorithm %s is not zlib (1.2.840.113549.1.9.16.3.8)",
                oid);
        rc = AS2_E_DECOMPRESSION;
    } else if (!ci->cd->eci->content) {
        edi_say(why, why_n, "the CompressedData has no content");
        rc = AS2_E_DECOMPRESSION;
    }
    if (rc != AS2_OK) {
        ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(AS2_CI));
        return rc;
    }
    const ASN1_OCTET_STRING *os = ci->cd->eci->content;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(AS2_CI));
        edi_say(why, why_n, "out of memory starting zlib");
        return AS2_E_NOMEM;
    }
    size_t start = out->len, in_len = (size_t)os->length, in_off = 0;
    int zr = Z_OK;
    while (zr == Z_OK) {
        if (out->len - start >= limit + 1) {
            rc = AS2_E_LIMIT;
            break;
        }
        if (out->cap - out->len < 4096 && !edi_buf_grow(out, out->len - start < 65536 ? 65536
                                                              : out->len - start)) {
            rc = AS2_E_NOMEM;
            break;
        }
        size_t room = out->cap - out->len;
        if (room > UINT_MAX)
            room = UINT_MAX;
        if (room > limit + 1 - (out->len - start))
            room = limit + 1 - (out->len - start);
        size_t feed = in_len - in_off > UINT_MAX ? UINT_MAX : in_len - in_off;
        z.next_in = os->data + in_off;
        z.avail_in = (uInt)feed;
        z.next_out = (Bytef *)out->p + out->len;
        z.avail_out = (uInt)room;
        zr = inflate(&z, Z_NO_FLUSH);
        in_off += feed - z.avail_in;
        out->len += room - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_out > 0)
            break;                                     /* input ended before the stream */
        if (zr == Z_BUF_ERROR)
            zr = Z_OK;
    }
    if (rc == AS2_OK && out->len - start > limit)
        rc = AS2_E_LIMIT;
    if (rc == AS2_E_LIMIT)
        edi_say(why, why_n, "the compressed content inflates to more than %zu bytes", limit);
    else if (rc == AS2_E_NOMEM)
        edi_say(why, why_n, "out of memory decompressing");
    else if (zr != Z_STREAM_END) {
        edi_say(why, why_n, "the zlib stream of the compressed part is %s (%s)",
                zr == Z_OK || zr == Z_BUF_ERROR ? "truncated" : "damaged",
                z.msg ? z.msg : zError(zr));
        rc = AS2_E_DECOMPRESSION;
    } else if (in_off != in_len) {
        edi_say(why, why_n, "the compressed part has %zu bytes after the end of its zlib stream",
                in_len - in_off);
        rc = AS2_E_DECOMPRESSION;
    }
    inflateEnd(&z);
    ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(AS2_CI));
    if (rc != AS2_OK)
        out->len = start;
    return rc;
}

as2_error as2_cms_compress(const as2_seg *content, size_t n_content, edi_buf *der, char *why,
                           size_t why_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) {
        edi_say(why, why_n, "out of memory starting zlib");
        return AS2_E_NOMEM;
    }
    edi_buf zb = {0};
    as2_error rc = AS2_OK;
    for (size_t i = 0; i <= n_content && rc == AS2_OK; i++) {
        bool last = i == n_content;
        const unsigned char *p = last ? NULL : content[i].p;
        size_t left = last ? 0 : content[i].len;
        int zr;
        do {
            size_t feed = left > UINT_MAX ? UINT_MAX : left;
            z.next_in = (Bytef *)(uintptr_t)p;
            z.avail_in = (uInt)feed;
            do {
                if (!edi_buf_grow(&zb, 65536)) {
                    rc = AS2_E_NOMEM;
                    break;
                }
                size_t room = zb.cap - zb.len > UINT_MAX ? UINT_MAX : zb.cap - zb.len;
                z.next_out = (Bytef *)zb.p + zb.len;
                z.avail_out = (uInt)room;
                zr = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
                zb.len += room - z.avail_out;
            } while (rc == AS2_OK && (z.avail_out == 0 || (last && zr == Z_OK)));
            p = p ? p + (feed - z.avail_in) : p;
            left -= feed - z.avail_in;
        } while (rc == AS2_OK && left > 0);
    }
    deflateEnd(&z);
    if (rc != AS2_OK) {
        edi_buf_free(&zb);
        edi_say(why, why_n, "out of memory compressing");
        return rc;
    }
    if (zb.len > INT_MAX) {
        edi_buf_free(&zb);
        edi_say(why, why_n, "the compressed content is larger than 2 GB");
        return AS2_E_LIMIT;
    }
    AS2_CI *ci = (AS2_CI *)ASN1_item_new(ASN1_ITEM_rptr(AS2_CI));
    bool ok = ci != NULL;
    if (ok) {
        ci->type = OBJ_nid2obj(NID_id_smime_ct_compressedData);
        ok = ci->cd && ci->cd->eci;                    /* made by ASN1_item_new */
    }
    if (ok) {
        AS2_CD *cd = ci->cd;
        ok = ASN1_INTEGER_set(cd->version, 0) == 1 &&
             X509_ALGOR_set0(cd->alg, OBJ_nid2obj(NID_zlib_compression), V_ASN1_UNDEF, NULL) == 1;
        cd->eci->type = OBJ_nid2obj(NID_pkcs7_data);
        cd->eci->content = ASN1_OCTET_STRING_new();
        ok = ok && cd->eci->content &&
             ASN1_OCTET_STRING_set(cd->eci->content, (unsigned char *)zb.p, (int)zb.len) == 1;
    }
    edi_buf_free(&zb);
    int n = ok ? ASN1_item_i2d((ASN1_VALUE *)ci, NULL, ASN1_ITEM_rptr(AS2_CI)) : -1;
    if (n > 0 && edi_buf_grow(der, (size_t)n)) {
        unsigned char *o = (unsigned char *)der->p + der->len;
        n = ASN1_item_i2d((ASN1_VALUE *)ci, &o, ASN1_ITEM_rptr(AS2_CI));
        if (n > 0)
            der->len += (size_t)n;
    } else {
        n = -1;
    }
    ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(AS2_CI));
    if (n <= 0) {
        char r[200];
        edi_say(why, why_n, "the CompressedData cannot be written (%s)", ossl_reason(r, sizeof r));
        return AS2_E_NOMEM;
    }
    return AS2_OK;
}

/* ---- signing and encrypting ---------------------------------------------------------- */

as2_error as2_cms_sign(const as2_seg *content, size_t n_content, EVP_PKEY *key, X509 *cert,
                       const as2_sign_opts *o, edi_buf *der, char *why, size_t why_n)
{
    as2_sign_opts def = {0};
    if (!o)
        o = &def;
    as2_mic_alg alg = o->digest == AS2_MIC_NONE ? AS2_MIC_SHA256 : o->digest;
    if ((alg == AS2_MIC_SHA1 && !o->allow_sha1) || alg == AS2_MIC_MD5) {
        edi_say(why, why_n, "signing with %s is not allowed (SHA-1 only where a partner's "
                "profile insists, MD5 never)", as2_mic_alg_name(alg));
        return AS2_E_INSUFFICIENT_SECURITY;
    }
    if (!key || !cert) {
        edi_say(why, why_n, "no key pair to sign with");
        return AS2_E_ARG;
    }
    ERR_clear_error();
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        edi_say(why, why_n, "the signing key does not belong to its certificate");
        return AS2_E_ARG;
    }
    unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    if (o->no_signed_attrs)
        flags |= CMS_NOATTR;
    if (o->no_certs)
        flags |= CMS_NOCERTS;
    our_bio in = {0}, outb = {0};
    as2_error rc = AS2_E_INTERNAL;
    size_t start = der->len;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    CMS_SignerInfo *si = cms ? CMS_add1_signer(cms, cert, key, as2_mic_alg_md(alg),
                                               flags | (o->pss ? CMS_KEY_PARAM : 0)) : NULL;
    if (!si)
        goto done;
    if (o->pss) {
        EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);
        if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)
            goto done;
    }
    if (!seg_bio_open(&in, content, n_content) || !buf_bio_open(&outb, der)) {
        rc = AS2_E_NOMEM;
        goto done;
    }
    if (CMS_final(cms, in.bio, NULL, flags) != 1 || i2d_CMS_bio(outb.bio, cms) != 1)
        goto done;
    rc = AS2_OK;
done:
    if (rc != AS2_OK) {
        char r[200];
        der->len = start;
        edi_say(why, why_n, "signing failed (%s)", ossl_reason(r, sizeof r));
    }
    bio_done(&in);
    bio_done(&outb);
    CMS_ContentInfo_free(cms);
    return rc;
}

as2_error as2_cms_encrypt(const as2_seg *content, size_t n_content, X509 *const *recips,
                          size_t n_recips, const as2_encrypt_opts *o, edi_buf *der, char *why,
                          size_t why_n)
{
    as2_encrypt_opts def = {0};
    if (!o)
        o = &def;
    const EVP_CIPHER *cipher = cipher_evp(o->cipher);
    if (!cipher || n_recips == 0) {
        edi_say(why, why_n, cipher ? "no certificate to encrypt to" : "no cipher to encrypt with");
        return AS2_E_ARG;
    }
    as2_mic_alg oaep_md = o->oaep_md == AS2_MIC_NONE ? AS2_MIC_SHA256 : o->oaep_md;
    ERR_clear_error();
    unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
    our_bio in = {0}, outb = {0};
    as2_error rc = AS2_E_INTERNAL;
    size_t start = der->len;
    CMS_ContentInfo *cms = CMS_encrypt(NULL, NULL, cipher, flags);
    if (!cms)
        goto done;
    for (size_t i = 0; i < n_recips; i++) {
        EVP_PKEY *pk = recips[i] ? X509_get0_pubkey(recips[i]) : NULL;
        if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
            edi_say(why, why_n, "certificate %zu to encrypt to has no RSA key", i + 1);
            rc = AS2_E_ARG;
            goto quiet;
        }
        bool oaep = o->kt == AS2_KT_RSA_OAEP;
        CMS_RecipientInfo *ri =
            CMS_add1_recipient_cert(cms, recips[i], oaep ? CMS_KEY_PARAM : 0);
        if (!ri)
            goto done;
        if (oaep) {
            EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
            const EVP_MD *md = as2_mic_alg_md(oaep_md);
            if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
                EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) <= 0 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)
                goto done;
        }
    }
    if (!seg_bio_open(&in, content, n_content) || !buf_bio_open(&outb, der)) {
        rc = AS2_E_NOMEM;
        goto done;
    }
    if (i2d_CMS_bio_stream(outb.bio, cms, in.bio, (int)flags) != 1)
        goto done;
    rc = AS2_OK;
done:
    if (rc != AS2_OK) {
        char r[200];
        edi_say(why, why_n, "encrypting failed (%s)", ossl_reason(r, sizeof r));
    }
quiet:
    if (rc != AS2_OK)
        der->len = start;
    bio_done(&in);
    bio_done(&outb);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return rc;
}
