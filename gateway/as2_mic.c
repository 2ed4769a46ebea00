/* as2_mic.c: MIC algorithm names, digests over segments, Received-Content-MIC text. */
#include "as2_mic.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

/* The name squeezed: lower case, without '-', '_', spaces and an "rsa" prefix. */
static size_t squeeze(const char *s, size_t len, char *out, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < len && s[i]; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        if (c == '-' || c == '_' || c == ' ' || c == '\t' || c == '"')
            continue;
        if (k + 1 >= n)
            return 0;
        out[k++] = c;
    }
    out[k] = '\0';
    return k;
}

as2_mic_alg as2_mic_alg_parse(const char *s, size_t len)
{
    if (!s)
        return AS2_MIC_NONE;
    char q[64];
    if (squeeze(s, len, q, sizeof q) == 0)
        return AS2_MIC_NONE;
    const char *p = q;
    if (strncmp(p, "rsa", 3) == 0)
        p += 3;
    char *with = strstr(p, "with");   /* sha256withrsaencryption */
    if (with)
        *with = '\0';
    static const struct {
        const char *name;
        as2_mic_alg alg;
    } names[] = {
        {"md5", AS2_MIC_MD5},       {"sha1", AS2_MIC_SHA1},     {"sha", AS2_MIC_SHA1},
        {"sha224", AS2_MIC_SHA224}, {"sha256", AS2_MIC_SHA256}, {"sha384", AS2_MIC_SHA384},
        {"sha512", AS2_MIC_SHA512}, {"sha2256", AS2_MIC_SHA256}, {"sha2384", AS2_MIC_SHA384},
        {"sha2512", AS2_MIC_SHA512},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(p, names[i].name) == 0)
            return names[i].alg;
    return AS2_MIC_NONE;
}

const char *as2_mic_alg_name(as2_mic_alg alg)
{
    switch (alg) {
    case AS2_MIC_MD5: return "md5";
    case AS2_MIC_SHA1: return "sha-1";
    case AS2_MIC_SHA224: return "sha-224";
    case AS2_MIC_SHA256: return "sha-256";
    case AS2_MIC_SHA384: return "sha-384";
    case AS2_MIC_SHA512: return "sha-512";
    case AS2_MIC_NONE: break;
    }
    return "";
}

const void *as2_mic_alg_md(as2_mic_alg alg)
{
    switch (alg) {
    case AS2_MIC_MD5: return EVP_md5();
    case AS2_MIC_SHA1: return EVP_sha1();
    case AS2_MIC_SHA224: return EVP_sha224();
    case AS2_MIC_SHA256: return EVP_sha256();
    case AS2_MIC_SHA384: return EVP_sha384();
    case AS2_MIC_SHA512: return EVP_sha512();
    case AS2_MIC_NONE: break;
    }
    return NULL;
}

as2_mic_alg as2_mic_alg_from_nid(int nid)
{
    switch (nid) {
    case NID_md5: return AS2_MIC_MD5;
    case NID_sha1: return AS2_MIC_SHA1;
    case NID_sha224: return AS2_MIC_SHA224;
    case NID_sha256: return AS2_MIC_SHA256;
    case NID_sha384: return AS2_MIC_SHA384;
    case NID_sha512: return AS2_MIC_SHA512;
    default: return AS2_MIC_NONE;
    }
}

size_t as2_mic_alg_size(as2_mic_alg alg)
{
    const EVP_MD *md = as2_mic_alg_md(alg);
    return md ? (size_t)EVP_MD_get_size(md) : 0;
}

edi_result as2_mic_digest(as2_mic_alg alg, const as2_seg *segs, size_t n, unsigned char *md,
                          size_t *md_len, char *why, size_t why_n)
{
    const EVP_MD *type = as2_mic_alg_md(alg);
    if (!type) {
        edi_say(why, why_n, "no MIC algorithm given");
        return EDI_E_ARG;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) {
        edi_say(why, why_n, "out of memory for a digest context");
        return EDI_E_NOMEM;
    }
    unsigned int out_len = 0;
    bool ok = EVP_DigestInit_ex(ctx, type, NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = segs[i].len == 0 || EVP_DigestUpdate(ctx, segs[i].p, segs[i].len) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &out_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        edi_say(why, why_n, "the %s digest could not be computed", as2_mic_alg_name(alg));
        return EDI_E_NOMEM;
    }
    *md_len = out_len;
    return EDI_OK;
}

bool as2_mic_b64(const unsigned char *md, size_t md_len, char *b64, size_t b64_n)
{
    if (md_len > 64 || b64_n < 4 * ((md_len + 2) / 3) + 1)
        return false;
    EVP_EncodeBlock((unsigned char *)b64, md, (int)md_len);
    return true;
}

edi_result as2_mic_compute(as2_mic_alg alg, const as2_seg *segs, size_t n, char *b64,
                           size_t b64_n, char *why, size_t why_n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t md_len = 0;
    edi_result r = as2_mic_digest(alg, segs, n, md, &md_len, why, why_n);
    if (r != EDI_OK)
        return r;
    if (!as2_mic_b64(md, md_len, b64, b64_n)) {
        edi_say(why, why_n, "the MIC does not fit in %zu bytes", b64_n);
        return EDI_E_ARG;
    }
    return EDI_OK;
}

bool as2_mic_format(const char *b64, as2_mic_alg alg, char *out, size_t n)
{
    if (alg == AS2_MIC_NONE || !b64 || !*b64)
        return false;
    int k = snprintf(out, n, "%s, %s", b64, as2_mic_alg_name(alg));
    return k > 0 && (size_t)k < n;
}

bool as2_mic_parse(const char *value, char *b64, size_t b64_n, as2_mic_alg *alg)
{
    if (!value)
        return false;
    const char *comma = strrchr(value, ',');
    if (!comma)
        return false;
    const char *s = value, *e = comma;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if (e == s || (size_t)(e - s) >= b64_n)
        return false;
    as2_mic_alg a = as2_mic_alg_parse(comma + 1, (size_t)-1);
    if (a == AS2_MIC_NONE)
        return false;
    memcpy(b64, s, (size_t)(e - s));
    b64[e - s] = '\0';
    *alg = a;
    return true;
}

bool as2_mic_equal(const char *b64_a, as2_mic_alg alg_a, const char *b64_b, as2_mic_alg alg_b)
{
    if (alg_a != alg_b || alg_a == AS2_MIC_NONE || !b64_a || !b64_b)
        return false;
    /* Compared as bytes: the two texts may differ in line breaks or padding. */
    edi_buf a = { 0 }, b = { 0 };
    size_t size = as2_mic_alg_size(alg_a);
    bool equal = as2_mime_base64_decode(b64_a, strlen(b64_a), &a, NULL, 0) == EDI_OK &&
                 as2_mime_base64_decode(b64_b, strlen(b64_b), &b, NULL, 0) == EDI_OK &&
                 a.len == size && b.len == size && memcmp(a.p, b.p, size) == 0;
    edi_buf_free(&a);
    edi_buf_free(&b);
    return equal;
}
