/* as2_send.c: sending AS2 and checking its MDN (as2_send.h). */
#include "as2_send.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "as2_cms.h"
#include "as2_mdn.h"
#include "as2_mime.h"

#define MDN_BODY_MAX ((size_t)16 << 20)   /* a response larger than this is no MDN */
#define DEFAULT_MDN_TIMEOUT_S 3600u
#define DEFAULT_CONNECT_TIMEOUT_S 30u
#define RETRY_DELAY_MAX_MS ((int64_t)24 * 3600 * 1000)

/* ---- small helpers -------------------------------------------------------------------- */

static as2_mic_alg mic_alg_of(partner_as2_digest d)
{
    switch (d) {
    case PARTNER_AS2_SHA1:
        return AS2_MIC_SHA1;
    case PARTNER_AS2_SHA384:
        return AS2_MIC_SHA384;
    case PARTNER_AS2_SHA512:
        return AS2_MIC_SHA512;
    case PARTNER_AS2_SHA256:
    default:
        return AS2_MIC_SHA256;
    }
}

static as2_cipher cipher_of(partner_as2_cipher c)
{
    switch (c) {
    case PARTNER_AS2_3DES:
        return AS2_CIPHER_3DES;
    case PARTNER_AS2_AES128_CBC:
        return AS2_CIPHER_AES128_CBC;
    case PARTNER_AS2_AES192_CBC:
        return AS2_CIPHER_AES192_CBC;
    case PARTNER_AS2_AES128_GCM:
        return AS2_CIPHER_AES128_GCM;
    case PARTNER_AS2_AES256_GCM:
        return AS2_CIPHER_AES256_GCM;
    case PARTNER_AS2_AES256_CBC:
    default:
        return AS2_CIPHER_AES256_CBC;
    }
}

static bool is_gcm(partner_as2_cipher c)
{
    return c == PARTNER_AS2_AES128_GCM || c == PARTNER_AS2_AES256_GCM;
}

/* The MIC algorithm asked for in Disposition-Notification-Options (and kept in as2_out). */
static as2_mic_alg requested_mic_alg(const partner_as2 *pa)
{
    return mic_alg_of(pa->mdn_digest);
}

static bool appendf(edi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool appendf(edi_buf *b, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < sizeof line && edi_buf_append(b, line, (size_t)n);
}

/* An AS2 name as a header value: quoted when it holds anything but letters, digits and
 * the few marks RFC 4130 §6.2 allows unquoted. */
static void as2_name_value(const char *name, char *out, size_t n)
{
    bool plain = name[0] != '\0';
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c))
            plain = false;
    if (plain) {
        snprintf(out, n, "%s", name);
        return;
    }
    size_t o = 0;
    if (o + 1 < n)
        out[o++] = '"';
    for (const char *c = name; *c && o + 3 < n; c++) {
        if (*c == '"' || *c == '\\')
            out[o++] = '\\';
        out[o++] = *c;
    }
    if (o + 1 < n)
        out[o++] = '"';
    out[o] = '\0';
}

/* A header value may not carry CR or LF (no folding on send). */
static bool clean_value(const char *v)
{
    return v && !strpbrk(v, "\r\n");
}

/* The filename for Content-Disposition: no path, no quotes or control characters. */
static void safe_filename(const char *name, char *out, size_t n)
{
    const char *base = name ? name : "";
    for (const char *c = base; *c; c++)
        if (*c == '/' || *c == '\\')
            base = c + 1;
    size_t o = 0;
    for (const char *c = base; *c && o + 1 < n; c++)
        out[o++] = ((unsigned char)*c < 0x20 || *c == '"' || *c == 0x7f) ? '_' : *c;
    out[o] = '\0';
    if (!out[0] || !strcmp(out, ".") || !strcmp(out, ".."))
        snprintf(out, n, "message.edi");
}

/* Message-IDs compared with or without their angle brackets. */
static void strip_brackets(const char *in, char *out, size_t n)
{
    while (*in == ' ' || *in == '\t')
        in++;
    size_t len = strlen(in);
    while (len && (in[len - 1] == ' ' || in[len - 1] == '\t'))
        len--;
    if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
        in++;
        len -= 2;
    }
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), in);
}

static bool same_message_id(const char *a, const char *b)
{
    char x[AS2_MDN_FIELD_MAX], y[AS2_MDN_FIELD_MAX];
    strip_brackets(a, x, sizeof x);
    strip_brackets(b, y, sizeof y);
    return x[0] && !strcmp(x, y);
}

static void utc_text(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

const char *as2_send_content_type(const char *format)
{
    if (!format || !format[0])
        return "application/octet-stream";
    if (!strncmp(format, "EDIFACT", 7))
        return "application/EDIFACT";
    if (!strncmp(format, "X12", 3))
        return "application/EDI-X12";
    if (strstr(format, "JSON"))
        return "application/json";
    if (strstr(format, "openTRANS") || strstr(format, "UBL") || strstr(format, "CII") ||
        strstr(format, "XRechnung") || strstr(format, "Peppol") || strstr(format, "XML") ||
        strstr(format, "canonical") || strstr(format, "Factur-X"))
        return "application/xml";
    return "application/octet-stream";
}

edi_result as2_send_message_id(const char *our_id, char *out, size_t n, char *why,
                               size_t why_n)
{
    unsigned char r[20];
    if (n < 64) {
        edi_say(why, why_n, "a Message-ID needs 64 bytes of room");
        return EDI_E_ARG;
    }
    if (RAND_bytes(r, sizeof r) != 1) {
        edi_say(why, why_n, "no random bytes for the AS2 Message-ID (RAND_bytes failed)");
        return EDI_E_IO;
    }
    char left[64];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(left + 2 * i, 3, "%02x", r[i]);
    char domain[129];
    size_t o = 0;
    for (const char *c = our_id ? our_id : ""; *c && o + 1 < sizeof domain; c++)
        domain[o++] = (isalnum((unsigned char)*c) || *c == '.' || *c == '-') ? *c : '-';
    domain[o] = '\0';
    if (!o)
        snprintf(domain, sizeof domain, "as2");
    snprintf(out, n, "<%s.%" PRId64 "@%.*s>", left, store_now_ms(), (int)(n - 64), domain);
    return EDI_OK;
}

/* ---- building ------------------------------------------------------------------------- */

void as2_send_built_free(as2_send_built *b)
{
    if (!b)
        return;
    edi_buf_free(&b->headers);
    for (size_t i = 0; i < b->n_own; i++)
        edi_buf_free(&b->own[i]);
    memset(b, 0, sizeof *b);
}

/* A buffer of the record for segments to point into; NULL when all are used. */
static edi_buf *own_buf(as2_send_built *b)
{
    if (b->n_own >= AS2_SEND_BUFS)
        return NULL;
    edi_buf *x = &b->own[b->n_own++];
    memset(x, 0, sizeof *x);
    return x;
}

/* An entity under construction: its Content-Type value and its body as segments. */
typedef struct {
    char content_type[256];
    as2_seg body[AS2_SEND_SEGS];
    size_t n;
} entity;

/* Its header block and body as segments (the whole entity: what is compressed or
 * encrypted). `hdr` receives the header block. */
static bool entity_whole(const entity *e, edi_buf *hdr, as2_seg *segs, size_t *n)
{
    if (!appendf(hdr, "Content-Type: %s\r\n\r\n", e->content_type) || e->n + 1 > AS2_SEND_SEGS)
        return false;
    segs[0] = (as2_seg){ (const unsigned char *)hdr->p, hdr->len };
    for (size_t i = 0; i < e->n; i++)
        segs[i + 1] = e->body[i];
    *n = e->n + 1;
    return true;
}

static edi_result cms_fail(as2_error e, const char *what, char *why, size_t why_n)
{
    char inner[512];
    snprintf(inner, sizeof inner, "%s", why && why[0] ? why : as2_error_str(e));
    edi_say(why, why_n, "%s: %s", what, inner);
    return e == AS2_E_NOMEM ? EDI_E_NOMEM : EDI_E_ARG;
}

/* The payload part (headers + body; base64 when the profile says so). */
static edi_result payload_part(const partner *who, const char *payload, size_t len,
                               const as2_send_payload *pl, as2_send_built *b, entity *out,
                               char *why, size_t why_n)
{
    char name[256];
    safe_filename(pl ? pl->filename : NULL, name, sizeof name);
    const char *ct = pl && pl->content_type && pl->content_type[0] ? pl->content_type
                                                                   : "application/octet-stream";
    if (!clean_value(ct)) {
        edi_say(why, why_n, "the payload's content type holds a line break");
        return EDI_E_ARG;
    }
    snprintf(out->content_type, sizeof out->content_type, "%s", ct);
    edi_buf *hdr = own_buf(b);
    if (!hdr || !appendf(hdr, "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n"
                              "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
                         ct, who->as2.base64 ? "base64" : "binary", name))
        goto nomem;
    out->body[0] = (as2_seg){ (const unsigned char *)hdr->p, hdr->len };
    if (who->as2.base64) {
        edi_buf *b64 = own_buf(b);
        if (!b64 || !as2_mime_base64_encode((const unsigned char *)payload, len, b64))
            goto nomem;
        out->body[1] = (as2_seg){ (const unsigned char *)b64->p, b64->len };
    } else {
        out->body[1] = (as2_seg){ (const unsigned char *)payload, len };
    }
    out->n = 2; /* a whole entity: its "body" here is header block + body */
    return EDI_OK;
nomem:
    edi_say(why, why_n, "out of memory building the AS2 payload part");
    return EDI_E_NOMEM;
}

/* Compress the whole entity `in` (segments) into a compressed-data part. */
static edi_result compress_part(const as2_seg *in, size_t n_in, bool base64, as2_send_built *b,
                                entity *out, char *why, size_t why_n)
{
    edi_buf *der = own_buf(b), *hdr = own_buf(b);
    if (!der || !hdr)
        goto nomem;
    as2_error e = as2_cms_compress(in, n_in, der, why, why_n);
    if (e != AS2_OK)
        return cms_fail(e, "compressing the AS2 message failed", why, why_n);
    snprintf(out->content_type, sizeof out->content_type,
             "application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"");
    if (!appendf(hdr, "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n"
                      "Content-Disposition: attachment; filename=\"smime.p7z\"\r\n\r\n",
                 out->content_type, base64 ? "base64" : "binary"))
        goto nomem;
    out->body[0] = (as2_seg){ (const unsigned char *)hdr->p, hdr->len };
    if (base64) {
        edi_buf *b64 = own_buf(b);
        if (!b64 || !as2_mime_base64_encode((const unsigned char *)der->p, der->len, b64))
            goto nomem;
        out->body[1] = (as2_seg){ (const unsigned char *)b64->p, b64->len };
    } else {
        out->body[1] = (as2_seg){ (const unsigned char *)der->p, der->len };
    }
    out->n = 2;
    return EDI_OK;
nomem:
    edi_say(why, why_n, "out of memory compressing the AS2 message");
    return EDI_E_NOMEM;
}

/* The inner entity (the MIC input's source): the payload part P and, when the profile
 * compresses before signing (or compresses without signing), the compressed part C. *mic
 * gets the segments the MIC covers, *signable those that are signed (or encrypted). */
typedef struct {
    entity part;               /* P: n = 2 (header block, body) */
    entity inner;              /* what follows: P or C (whole entities) */
    as2_seg mic[AS2_SEND_SEGS];
    size_t n_mic;
} inner_entity;

static edi_result build_inner(const partner *who, const char *payload, size_t len,
                              const as2_send_payload *pl, as2_send_built *b, inner_entity *ie,
                              char *why, size_t why_n)
{
    const partner_as2 *pa = &who->as2;
    edi_result r = payload_part(who, payload, len, pl, b, &ie->part, why, why_n);
    if (r != EDI_OK)
        return r;
    bool compress_first = pa->compress == PARTNER_AS2_COMPRESS_BEFORE_SIGN ||
                          (pa->compress != PARTNER_AS2_COMPRESS_NONE && !pa->sign);
    if (compress_first) {
        r = compress_part(ie->part.body, ie->part.n, pa->base64, b, &ie->inner, why, why_n);
        if (r != EDI_OK)
            return r;
    } else {
        ie->inner = ie->part;
    }
    /* RFC 4130 §7.3.1, RFC 5402 §4: signed -> what is signed; encrypted or compressed ->
     * the payload part with its headers; neither -> the content alone. */
    const entity *src = pa->sign ? &ie->inner
                        : (pa->encrypt || pa->compress != PARTNER_AS2_COMPRESS_NONE) ? &ie->part
                                                                                    : NULL;
    if (src) {
        memcpy(ie->mic, src->body, src->n * sizeof *src->body);
        ie->n_mic = src->n;
    } else {
        ie->mic[0] = (as2_seg){ (const unsigned char *)payload, len };
        ie->n_mic = 1;
    }
    return EDI_OK;
}

edi_result as2_send_mic(const partner *who, const char *payload, size_t len,
                        const as2_send_payload *pl, as2_mic_alg alg, char *b64, size_t b64_n,
                        char *why, size_t why_n)
{
    if (!who || (!payload && len) || alg == AS2_MIC_NONE) {
        edi_say(why, why_n, "as2_send_mic needs a partner, a payload and an algorithm");
        return EDI_E_ARG;
    }
    as2_send_built b = { 0 };
    inner_entity ie = { 0 };
    edi_result r = build_inner(who, payload ? payload : "", len, pl, &b, &ie, why, why_n);
    if (r == EDI_OK)
        r = as2_mic_compute(alg, ie.mic, ie.n_mic, b64, b64_n, why, why_n);
    as2_send_built_free(&b);
    return r;
}

/* Sign the whole entity `in` into multipart/signed (segments, no copy of the content). */
static edi_result sign_entity(const partner *who, const as2_keypair *signer, const as2_seg *in,
                              size_t n_in, as2_send_built *b, entity *out, char *why,
                              size_t why_n)
{
    const partner_as2 *pa = &who->as2;
    as2_mic_alg alg = mic_alg_of(pa->sign_digest);
    as2_sign_opts so = { .digest = alg, .pss = pa->signature == PARTNER_AS2_SIG_PSS,
                         .allow_sha1 = alg == AS2_MIC_SHA1 };
    edi_buf *der = own_buf(b), *pre = own_buf(b), *post = own_buf(b);
    if (!der || !pre || !post)
        goto nomem;
    as2_error e = as2_cms_sign(in, n_in, signer->key, signer->cert, &so, der, why, why_n);
    if (e != AS2_OK)
        return cms_fail(e, "signing the AS2 message failed", why, why_n);
    char boundary[64];
    as2_mime_boundary(boundary, sizeof boundary);
    snprintf(out->content_type, sizeof out->content_type,
             "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=%s; "
             "boundary=\"%s\"", as2_mic_alg_name(alg), boundary);
    if (!appendf(pre, "--%s\r\n", boundary) ||
        !appendf(post, "\r\n--%s\r\nContent-Type: application/pkcs7-signature; "
                       "name=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\n"
                       "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n",
                 boundary) ||
        !as2_mime_base64_encode((const unsigned char *)der->p, der->len, post) ||
        !appendf(post, "--%s--\r\n", boundary) || n_in + 2 > AS2_SEND_SEGS)
        goto nomem;
    out->body[0] = (as2_seg){ (const unsigned char *)pre->p, pre->len };
    for (size_t i = 0; i < n_in; i++)
        out->body[i + 1] = in[i];
    out->body[n_in + 1] = (as2_seg){ (const unsigned char *)post->p, post->len };
    out->n = n_in + 2;
    return EDI_OK;
nomem:
    edi_say(why, why_n, "out of memory signing the AS2 message");
    return EDI_E_NOMEM;
}

static edi_result encrypt_entity(const partner *who, X509 *to, const as2_seg *in, size_t n_in,
                                 as2_send_built *b, entity *out, char *why, size_t why_n)
{
    const partner_as2 *pa = &who->as2;
    as2_encrypt_opts eo = { .cipher = cipher_of(pa->cipher),
                            .kt = pa->key_transport == PARTNER_AS2_KT_OAEP ? AS2_KT_RSA_OAEP
                                                                            : AS2_KT_RSA_PKCS1,
                            .oaep_md = AS2_MIC_SHA256 };
    edi_buf *der = own_buf(b);
    if (!der) {
        edi_say(why, why_n, "out of memory encrypting the AS2 message");
        return EDI_E_NOMEM;
    }
    X509 *recips[1] = { to };
    as2_error e = as2_cms_encrypt(in, n_in, recips, 1, &eo, der, why, why_n);
    if (e != AS2_OK)
        return cms_fail(e, "encrypting the AS2 message failed", why, why_n);
    snprintf(out->content_type, sizeof out->content_type,
             "application/pkcs7-mime; smime-type=%s; name=\"smime.p7m\"",
             is_gcm(pa->cipher) ? "authEnveloped-data" : "enveloped-data");
    out->body[0] = (as2_seg){ (const unsigned char *)der->p, der->len };
    out->n = 1;
    return EDI_OK;
}

static size_t segs_len(const as2_seg *s, size_t n)
{
    size_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += s[i].len;
    return t;
}

edi_result as2_send_build(const partner *who, const char *our_id, const char *async_mdn_url,
                          const as2_keypair *signer, X509 *encrypt_to, const char *payload,
                          size_t len, const as2_send_payload *pl, const char *message_id,
                          as2_send_built *out, char *why, size_t why_n)
{
    if (!out) {
        edi_say(why, why_n, "as2_send_build needs somewhere to put the message");
        return EDI_E_ARG;
    }
    memset(out, 0, sizeof *out);
    if (!who || (!payload && len) || !our_id || !our_id[0] || !clean_value(our_id) ||
        !who->as2_id[0] || !clean_value(who->as2_id)) {
        edi_say(why, why_n, "an AS2 message needs a partner with an AS2 id (<identifiers><as2>) "
                "and our AS2 id (<as2 id> in the configuration), without line breaks");
        return EDI_E_ARG;
    }
    const partner_as2 *pa = &who->as2;
    if (pa->sign && (!signer || !signer->key || !signer->cert)) {
        edi_say(why, why_n, "partner %s wants signed AS2 messages, but we have no valid key "
                "pair to sign with (<as2><key> in the configuration)", who->id);
        return EDI_E_ARG;
    }
    if (pa->encrypt && !encrypt_to) {
        edi_say(why, why_n, "partner %s wants encrypted AS2 messages, but its profile has no "
                "valid encryption certificate (<certificate use=\"encryption\">)", who->id);
        return EDI_E_ARG;
    }
    if (pa->mdn == PARTNER_AS2_MDN_ASYNC && (!async_mdn_url || !async_mdn_url[0] ||
                                             !clean_value(async_mdn_url))) {
        edi_say(why, why_n, "partner %s is asked for asynchronous MDNs, but no URL to send "
                "them to is set (<mdn url> in the profile or <as2 asyncMdnUrl>)", who->id);
        return EDI_E_ARG;
    }
    if (!clean_value(pa->subject) || (pl && pl->subject && !clean_value(pl->subject))) {
        edi_say(why, why_n, "the AS2 Subject holds a line break");
        return EDI_E_ARG;
    }
    const char *data = payload ? payload : "";
    edi_result r = EDI_OK;
    if (message_id && message_id[0]) {
        if (!clean_value(message_id) || strlen(message_id) >= sizeof out->message_id) {
            edi_say(why, why_n, "the Message-ID to reuse is too long or holds a line break");
            return EDI_E_ARG;
        }
        snprintf(out->message_id, sizeof out->message_id, "%s", message_id);
    } else {
        r = as2_send_message_id(our_id, out->message_id, sizeof out->message_id, why, why_n);
        if (r != EDI_OK)
            return r;
    }
    inner_entity ie = { 0 };
    r = build_inner(who, data, len, pl, out, &ie, why, why_n);
    out->mic_alg = requested_mic_alg(pa);
    if (r == EDI_OK)
        r = as2_mic_compute(out->mic_alg, ie.mic, ie.n_mic, out->mic, sizeof out->mic, why,
                            why_n);
    entity cur = ie.inner;     /* a whole entity: segments = header block + body */
    bool whole = true;         /* cur.body holds headers too (P, C); false: body only */
    size_t used = strlen(out->summary);
    if (r == EDI_OK && pa->sign) {
        entity signed_e = { 0 };
        r = sign_entity(who, signer, cur.body, cur.n, out, &signed_e, why, why_n);
        cur = signed_e;
        whole = false;
        snprintf(out->summary + used, sizeof out->summary - used, "signed %s%s%s",
                 as2_mic_alg_name(mic_alg_of(pa->sign_digest)),
                 pa->signature == PARTNER_AS2_SIG_PSS ? " (RSASSA-PSS)" : "",
                 pa->compress == PARTNER_AS2_COMPRESS_BEFORE_SIGN ? ", compressed before signing"
                                                                   : "");
    } else if (r == EDI_OK && pa->compress != PARTNER_AS2_COMPRESS_NONE) {
        snprintf(out->summary + used, sizeof out->summary - used, "compressed");
    }
    /* An entity that is only a body (multipart/signed) gets its header block here when it
     * is compressed or encrypted further. */
    as2_seg segs[AS2_SEND_SEGS];
    size_t n_segs = 0;
    if (r == EDI_OK && !whole && (pa->encrypt || (pa->sign && pa->compress ==
                                                  PARTNER_AS2_COMPRESS_AFTER_SIGN))) {
        edi_buf *hdr = own_buf(out);
        if (!hdr || !entity_whole(&cur, hdr, segs, &n_segs)) {
            edi_say(why, why_n, "out of memory building the AS2 message");
            r = EDI_E_NOMEM;
        }
    } else if (r == EDI_OK) {
        memcpy(segs, cur.body, cur.n * sizeof *cur.body);
        n_segs = cur.n;
    }
    if (r == EDI_OK && pa->sign && pa->compress == PARTNER_AS2_COMPRESS_AFTER_SIGN) {
        entity c = { 0 };
        r = compress_part(segs, n_segs, pa->base64, out, &c, why, why_n);
        cur = c;
        whole = true;
        memcpy(segs, cur.body, cur.n * sizeof *cur.body);
        n_segs = cur.n;
        used = strlen(out->summary);
        snprintf(out->summary + used, sizeof out->summary - used, ", compressed after signing");
    }
    if (r == EDI_OK && pa->encrypt) {
        entity enc = { 0 };
        r = encrypt_entity(who, encrypt_to, segs, n_segs, out, &enc, why, why_n);
        cur = enc;
        whole = false;
        used = strlen(out->summary);
        snprintf(out->summary + used, sizeof out->summary - used, "%sencrypted %s (%s)",
                 used ? ", " : "", partner_as2_cipher_name(pa->cipher),
                 pa->key_transport == PARTNER_AS2_KT_OAEP ? "RSAES-OAEP" : "RSA PKCS#1 v1.5");
    }
    if (r != EDI_OK) {
        as2_send_built_free(out);
        return r;
    }
    if (!out->summary[0])
        snprintf(out->summary, sizeof out->summary, "plain (neither signed nor encrypted)");
    /* The outermost entity travels as HTTP headers + body: for P and C (whole), the body
     * is their second segment and their headers become HTTP headers. */
    const char *cte = NULL;
    char disposition[300] = "";
    char name[256];
    safe_filename(pl ? pl->filename : NULL, name, sizeof name);
    if (whole) {
        out->body[0] = cur.body[1];
        out->n_body = 1;
        cte = pa->base64 ? "base64" : "binary";
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"",
                 strstr(cur.content_type, "compressed-data") ? "smime.p7z" : name);
    } else if (pa->encrypt) {
        if (pa->base64) {
            edi_buf *b64 = own_buf(out);
            if (!b64 || !as2_mime_base64_encode(cur.body[0].p, cur.body[0].len, b64)) {
                as2_send_built_free(out);
                edi_say(why, why_n, "out of memory encoding the AS2 message");
                return EDI_E_NOMEM;
            }
            out->body[0] = (as2_seg){ (const unsigned char *)b64->p, b64->len };
        } else {
            out->body[0] = cur.body[0];
        }
        out->n_body = 1;
        cte = pa->base64 ? "base64" : "binary";
        snprintf(disposition, sizeof disposition, "attachment; filename=\"smime.p7m\"");
    } else {
        memcpy(out->body, cur.body, cur.n * sizeof *cur.body);
        out->n_body = cur.n;
    }
    out->body_len = segs_len(out->body, out->n_body);
    /* HTTP headers (RFC 4130 §6; never folded) */
    char from[300], to[300], date[64], subject[400];
    as2_name_value(pa->our_id[0] ? pa->our_id : our_id, from, sizeof from);
    as2_name_value(who->as2_id, to, sizeof to);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    if (pl && pl->subject && pl->subject[0])
        snprintf(subject, sizeof subject, "%s", pl->subject);
    else if (pa->subject[0])
        snprintf(subject, sizeof subject, "%s", pa->subject);
    else
        snprintf(subject, sizeof subject, "EDI message %s", name);
    edi_buf *h = &out->headers;
    bool ok = appendf(h, "AS2-Version: 1.2\r\nAS2-From: %s\r\nAS2-To: %s\r\n", from, to) &&
              appendf(h, "Message-ID: %s\r\nDate: %s\r\nSubject: %s\r\n", out->message_id, date,
                      subject) &&
              appendf(h, "MIME-Version: 1.0\r\nUser-Agent: edi-gateway AS2\r\n"
                         "Content-Type: %s\r\n", cur.content_type) &&
              (!cte || appendf(h, "Content-Transfer-Encoding: %s\r\n", cte)) &&
              (!disposition[0] || appendf(h, "Content-Disposition: %s\r\n", disposition));
    if (ok && pa->mdn != PARTNER_AS2_MDN_NONE) {
        ok = appendf(h, "Disposition-Notification-To: %s\r\n", pa->our_id[0] ? pa->our_id
                                                                              : our_id);
        if (ok && pa->mdn_signed)
            ok = appendf(h, "Disposition-Notification-Options: signed-receipt-protocol=optional, "
                            "pkcs7-signature; signed-receipt-micalg=optional, %s\r\n",
                         as2_mic_alg_name(out->mic_alg));
        if (ok && pa->mdn == PARTNER_AS2_MDN_ASYNC)
            ok = appendf(h, "Receipt-Delivery-Option: %s\r\n", async_mdn_url);
    }
    if (!ok) {
        as2_send_built_free(out);
        edi_say(why, why_n, "out of memory (or a header too long) building the AS2 headers");
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* ---- HTTP ------------------------------------------------------------------------------ */

typedef struct {
    const as2_seg *segs;
    size_t n, i, off;
} seg_reader;

static size_t read_segs(char *buf, size_t size, size_t nitems, void *ud)
{
    seg_reader *r = ud;
    size_t room = size * nitems, done = 0;
    while (done < room && r->i < r->n) {
        const as2_seg *sg = &r->segs[r->i];
        size_t left = sg->len - r->off, take = left < room - done ? left : room - done;
        memcpy(buf + done, sg->p + r->off, take);
        done += take;
        r->off += take;
        if (r->off == sg->len) {
            r->i++;
            r->off = 0;
        }
    }
    return done;
}

/* Rewinding (libcurl asks when it must send the body again, e.g. after a 417). */
static int seek_segs(void *ud, curl_off_t offset, int origin)
{
    seg_reader *r = ud;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    r->i = 0;
    r->off = 0;
    size_t want = (size_t)offset;
    while (r->i < r->n && want >= r->segs[r->i].len) {
        want -= r->segs[r->i].len;
        r->i++;
    }
    if (r->i == r->n && want)
        return CURL_SEEKFUNC_FAIL;
    r->off = want;
    return CURL_SEEKFUNC_OK;
}

typedef struct {
    edi_buf body;
    bool too_big;
    char content_type[512];
} http_answer;

static size_t write_body(char *p, size_t size, size_t n, void *ud)
{
    http_answer *a = ud;
    size_t len = size * n;
    if (a->body.len + len > MDN_BODY_MAX) {
        a->too_big = true;
        return 0;
    }
    return edi_buf_append(&a->body, p, len) ? len : 0;
}

static size_t header_line(char *p, size_t size, size_t n, void *ud)
{
    http_answer *a = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5))
        a->content_type[0] = '\0'; /* a new response (after 100 Continue) */
    else if (len > 13 && !strncasecmp(p, "content-type:", 13)) {
        size_t o = 13;
        while (o < len && (p[o] == ' ' || p[o] == '\t'))
            o++;
        size_t end = len;
        while (end > o && (p[end - 1] == '\r' || p[end - 1] == '\n' || p[end - 1] == ' '))
            end--;
        snprintf(a->content_type, sizeof a->content_type, "%.*s", (int)(end - o), p + o);
    }
    return len;
}

/* The failures no retry cures: a person must fix the URL or the TLS settings. */
static bool lasting_curl_error(CURLcode c)
{
    return c == CURLE_UNSUPPORTED_PROTOCOL || c == CURLE_URL_MALFORMAT ||
           c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
           c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_CIPHER || c == CURLE_SSL_CRL_BADFILE ||
           c == CURLE_SSL_ISSUER_ERROR;
}

/* POST the built message. EDI_OK with the HTTP status and the answer; EDI_E_ARG for a
 * lasting failure (URL, TLS), EDI_E_IO for one that may pass; `sentence` says which. */
static edi_result post(const partner_as2 *pa, unsigned connect_timeout_s, long timeout_s,
                       const as2_send_built *b, long *status, http_answer *ans, char *sentence,
                       size_t sentence_n)
{
    CURL *c = curl_easy_init();
    if (!c) {
        edi_say(sentence, sentence_n, "libcurl could not start a transfer");
        return EDI_E_IO;
    }
    struct curl_slist *hl = NULL;
    bool ok = true;
    for (const char *line = b->headers.p, *end = b->headers.p + b->headers.len;
         ok && line && line < end;) {
        const char *eol = memchr(line, '\r', (size_t)(end - line));
        size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);
        char h[2048];
        snprintf(h, sizeof h, "%.*s", (int)(n < sizeof h ? n : sizeof h - 1), line);
        struct curl_slist *t = curl_slist_append(hl, h);
        ok = t != NULL;
        hl = t ? t : hl;
        line = eol ? eol + 2 : NULL;
    }
    if (ok && pa->chunked) {
        struct curl_slist *t = curl_slist_append(hl, "Transfer-Encoding: chunked");
        ok = t != NULL;
        hl = t ? t : hl;
    }
    seg_reader rd = { .segs = b->body, .n = b->n_body };
    char err[CURL_ERROR_SIZE] = "";
    ok = ok && curl_easy_setopt(c, CURLOPT_URL, pa->url) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_READFUNCTION, read_segs) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_READDATA, &rd) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_segs) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_SEEKDATA, &rd) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_WRITEDATA, ans) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_HEADERDATA, ans) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)connect_timeout_s) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
         (pa->chunked ||
          curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->body_len) == CURLE_OK) &&
         (!pa->tls_ca_file[0] || curl_easy_setopt(c, CURLOPT_CAINFO, pa->tls_ca_file) == CURLE_OK) &&
         (!pa->tls_cert_file[0] ||
          curl_easy_setopt(c, CURLOPT_SSLCERT, pa->tls_cert_file) == CURLE_OK) &&
         (!pa->tls_key_file[0] ||
          curl_easy_setopt(c, CURLOPT_SSLKEY, pa->tls_key_file) == CURLE_OK);
    edi_result r = EDI_OK;
    if (!ok) {
        edi_say(sentence, sentence_n, "libcurl refused a setting for the POST to %.300s",
                pa->url);
        r = EDI_E_ARG;
    } else {
        CURLcode cc = curl_easy_perform(c);
        if (cc != CURLE_OK) {
            edi_say(sentence, sentence_n, "the POST to %.300s failed: %s%s%.200s", pa->url,
                    ans->too_big ? "the answer is larger than an MDN can be" :
                                   curl_easy_strerror(cc),
                    err[0] ? " (" : "", err[0] ? err : "");
            if (err[0] && strlen(sentence) + 1 < sentence_n)
                strcat(sentence, ")");
            r = lasting_curl_error(cc) ? EDI_E_ARG : EDI_E_IO;
        } else {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        }
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return r;
}

/* ---- checking an MDN ------------------------------------------------------------------- */

edi_result as2_send_check_mdn(const partner *who, const as2_partner_certs *certs,
                              const store_as2_out *row, const char *payload, size_t len,
                              const as2_send_payload *pl, const char *content_type,
                              const char *body, size_t body_len, as2_send_mdn_result *res,
                              char *why, size_t why_n)
{
    if (!who || !row || !res || (!body && body_len)) {
        edi_say(why, why_n, "as2_send_check_mdn needs a partner, the message sent, an MDN and "
                "a result");
        return EDI_E_ARG;
    }
    memset(res, 0, sizeof *res);
    as2_mdn *mdn = calloc(1, sizeof *mdn);
    if (!mdn) {
        edi_say(why, why_n, "out of memory reading an MDN");
        return EDI_E_NOMEM;
    }
    edi_result r = as2_mdn_parse(content_type ? content_type : "", body ? body : "", body_len,
                                 mdn, why, why_n);
    if (r != EDI_OK) {
        free(mdn);
        return r == EDI_E_NOMEM ? r : EDI_E_SYNTAX;
    }
    edi_say(res->original_message_id, sizeof res->original_message_id, "%s",
             mdn->original_message_id);
    edi_say(res->disposition, sizeof res->disposition, "%s", mdn->disposition);
    if (!same_message_id(mdn->original_message_id, row->as2_message_id)) {
        edi_say(why, why_n, "the MDN answers Message-ID %.300s, not %.255s",
                mdn->original_message_id[0] ? mdn->original_message_id : "(none)",
                row->as2_message_id);
        free(mdn);
        return EDI_E_ARG;
    }
    /* the signature: strictly first, then libas2's variant (one trailing CRLF less) */
    char sig[300], vwhy[400] = "";
    bool sig_ok = true;
    if (mdn->is_signed) {
        as2_multipart mp = { .n = 2 };
        mp.part[0] = mdn->signed_part;
        mp.part[1] = mdn->signature;
        as2_verify_info vi = { 0 };
        as2_error e = AS2_E_AUTHENTICATION;
        if (!certs || !certs->signing || sk_X509_num(certs->signing) == 0)
            edi_say(vwhy, sizeof vwhy, "the partner's profile has no signing certificate");
        else
            e = as2_cms_verify_signed(body, &mp, certs->signing,
                                      AS2_VERIFY_TRY_NO_TRAILING_CRLF, false, &vi, vwhy,
                                      sizeof vwhy);
        if (e != AS2_OK) {
            sig_ok = false;
            edi_say(sig, sizeof sig, "MDN signature does not verify");
        } else if (vi.variant == AS2_VARIANT_EXACT) {
            edi_say(sig, sizeof sig, "MDN signature verified strictly (%s)",
                     as2_mic_alg_name(vi.digest));
        } else if (vi.variant == AS2_VARIANT_NO_TRAILING_CRLF) {
            edi_say(sig, sizeof sig, "MDN signature verified only without the trailing CRLF "
                     "of its first part (the known libas2 variant, %s)",
                     as2_mic_alg_name(vi.digest));
        } else {
            edi_say(sig, sizeof sig, "MDN signature verified over %s bytes (%s)",
                     as2_variant_name(vi.variant), as2_mic_alg_name(vi.digest));
        }
    } else if (who->as2.mdn_signed && who->as2.require_signed) {
        sig_ok = false;
        edi_say(sig, sizeof sig, "MDN not signed");
        edi_say(vwhy, sizeof vwhy, "we asked for a signed MDN and the profile requires "
                 "signatures (<inbound require signed>)");
    } else {
        edi_say(sig, sizeof sig, "MDN not signed");
    }
    char ours[AS2_MIC_TEXT_MAX] = "", theirs[AS2_MIC_TEXT_MAX] = "";
    as2_mic_format(row->mic, as2_mic_alg_parse(row->mic_alg, (size_t)-1), ours, sizeof ours);
    if (mdn->has_mic)
        as2_mic_format(mdn->mic_b64, mdn->mic_alg, theirs, sizeof theirs);
    if (!sig_ok) {
        res->verdict = AS2_SEND_MDN_BAD_SIGNATURE;
        edi_say(res->detail, sizeof res->detail, "MDN for %.255s (%.200s): %s: %.300s",
                 row->as2_message_id, mdn->disposition, sig, vwhy);
        edi_say(res->sentence, sizeof res->sentence, "The MDN of partner %s for message %"
                 PRId64 " cannot be trusted: %s (%.250s). Check the partner's signing "
                 "certificate in its profile (%.150s), then resend the message.", who->id,
                 row->message_id, sig, vwhy, who->file ? who->file : "");
        free(mdn);
        return EDI_OK;
    }
    if (mdn->status == AS2_MDN_ERROR || mdn->status == AS2_MDN_FAILED ||
        mdn->status == AS2_MDN_UNREADABLE) {
        res->verdict = AS2_SEND_MDN_NEGATIVE;
        edi_say(res->detail, sizeof res->detail, "MDN for %.255s: %.300s; %s",
                 row->as2_message_id, mdn->disposition[0] ? mdn->disposition : "(no disposition)",
                 sig);
        edi_say(res->sentence, sizeof res->sentence, "Partner %s did not process message %"
                 PRId64 " (AS2 Message-ID %.200s): its MDN says \"%.200s\"%s%.150s. Resolve the "
                 "cause with the partner (certificates, algorithms, its AS2 settings), then "
                 "resend it with `gateway resend %" PRId64 "`.", who->id, row->message_id,
                 row->as2_message_id, mdn->disposition, mdn->text[0] ? ": " : "",
                 mdn->text, row->message_id);
        free(mdn);
        return EDI_OK;
    }
    /* processed (or processed/warning): the MIC must be ours, in the algorithm it names */
    bool match = false;
    char recomputed[AS2_MIC_B64_MAX] = "";
    as2_mic_alg row_alg = as2_mic_alg_parse(row->mic_alg, (size_t)-1);
    if (mdn->has_mic && mdn->mic_alg == row_alg) {
        match = as2_mic_equal(mdn->mic_b64, mdn->mic_alg, row->mic, row_alg);
    } else if (mdn->has_mic && payload && mdn->mic_alg != AS2_MIC_NONE) {
        char w[256];
        if (as2_send_mic(who, payload, len, pl, mdn->mic_alg, recomputed, sizeof recomputed, w,
                         sizeof w) == EDI_OK) {
            match = as2_mic_equal(mdn->mic_b64, mdn->mic_alg, recomputed, mdn->mic_alg);
            as2_mic_format(recomputed, mdn->mic_alg, ours, sizeof ours);
        }
    }
    if (!mdn->has_mic && !who->as2.sign) {
        /* Received-Content-MIC is required of signed receipts for signed messages (RFC 4130
         * §7.3.1); for an unsigned message some receivers (libas2) give none */
        res->verdict = AS2_SEND_MDN_OK;
        edi_say(res->detail, sizeof res->detail, "MDN received, processed without a "
                "Received-Content-MIC (the message was not signed; ours: %s); %s; "
                "disposition: %.300s", ours, sig, mdn->disposition);
    } else if (match) {
        res->verdict = AS2_SEND_MDN_OK;
        edi_say(res->detail, sizeof res->detail, "MDN received, MIC matches (%s%s); %s; "
                 "disposition: %.300s", theirs, recomputed[0] ? ", computed again from the "
                 "stored payload" : "", sig, mdn->disposition);
    } else {
        res->verdict = AS2_SEND_MDN_MIC_MISMATCH;
        edi_say(res->detail, sizeof res->detail, "MIC mismatch: the MDN says %s, we computed "
                 "%s; %s; disposition: %.300s", theirs[0] ? theirs : "(no Received-Content-MIC)",
                 ours, sig, mdn->disposition);
        edi_say(res->sentence, sizeof res->sentence, "MIC mismatch: partner %s acknowledged "
                 "message %" PRId64 " (AS2 Message-ID %.200s) with the MIC %s, but we sent "
                 "bytes whose MIC is %s: what the partner received is not what we signed and "
                 "sent. Ask the partner what arrived (and how it computes the MIC), then resend "
                 "with `gateway resend %" PRId64 "`.", who->id, row->message_id,
                 row->as2_message_id, theirs[0] ? theirs : "(none given)", ours,
                 row->message_id);
    }
    free(mdn);
    return EDI_OK;
}

static const char *state_of(as2_send_verdict v)
{
    switch (v) {
    case AS2_SEND_MDN_OK:
        return AS2_OUT_RECEIVED;
    case AS2_SEND_MDN_MIC_MISMATCH:
        return AS2_OUT_MIC_MISMATCH;
    case AS2_SEND_MDN_NEGATIVE:
        return AS2_OUT_NEGATIVE;
    case AS2_SEND_MDN_BAD_SIGNATURE:
    default:
        return AS2_OUT_BAD_SIGNATURE;
    }
}

/* The MDN into the content store as an entity that says its own type. */
static edi_result keep_mdn(content_store *cs, const char *content_type, const char *body,
                           size_t body_len, char id[CONTENT_ID_SIZE], char *why, size_t why_n)
{
    id[0] = '\0';
    if (!cs)
        return EDI_OK;
    edi_buf b = { 0 };
    edi_result r = EDI_OK;
    if (!appendf(&b, "Content-Type: %.400s\r\n\r\n", content_type ? content_type : "") ||
        !edi_buf_append(&b, body, body_len)) {
        edi_say(why, why_n, "out of memory keeping an MDN");
        r = EDI_E_NOMEM;
    } else {
        r = content_store_put(cs, b.p, b.len, id, why, why_n);
    }
    edi_buf_free(&b);
    return r;
}

/* ---- the send step ---------------------------------------------------------------------- */

static unsigned mdn_timeout_of(const partner_as2 *pa, const as2_send_settings *cfg)
{
    if (pa->mdn_timeout_s)
        return pa->mdn_timeout_s;
    return cfg && cfg->mdn_timeout_s ? cfg->mdn_timeout_s : DEFAULT_MDN_TIMEOUT_S;
}

static const char *mdn_mode_name(partner_as2_mdn m)
{
    return m == PARTNER_AS2_MDN_ASYNC ? "async" : m == PARTNER_AS2_MDN_NONE ? "none" : "sync";
}

/* Move the row to `state` with its history event, in one durable transaction. */
static edi_result settle(store *s, const store_as2_out *row, const char *state,
                         const char *content_id, const char *detail, const char *event,
                         const char *actor, char *why, size_t why_n)
{
    edi_result r = store_begin_durable(s, why, why_n);
    if (r == EDI_OK)
        r = store_as2_out_set_state(s, row->as2_message_id, row->mdn_state, state, content_id,
                                    detail, 0, why, why_n);
    if (r == EDI_OK && event)
        r = store_history_add(s, row->message_id, event, actor, detail, why, why_n);
    if (r == EDI_OK)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}

/* The sync answer had no MDN: sent again while the partner's retries last. */
static edi_result no_mdn(store *s, const partner *who, store_as2_out *row, const char *what,
                         char *sentence, size_t sentence_n)
{
    unsigned budget = 1 + who->as2.retries;
    char why[512] = "";
    bool last = (unsigned)row->attempt >= budget;
    char detail[700];
    edi_say(detail, sizeof detail, "MDN missing: %.400s (attempt %d of %u)", what,
             row->attempt, budget);
    edi_result r = settle(s, row, last ? AS2_OUT_MISSING : AS2_OUT_RESEND, NULL, detail,
                          "mdn-missing", "as2", why, sizeof why);
    if (r != EDI_OK) {
        edi_say(sentence, sentence_n, "%.300s; recording it failed: %.300s", detail, why);
        return EDI_E_STORE;
    }
    if (last) {
        edi_say(sentence, sentence_n, "MDN missing: partner %s answered none of %u attempts "
                "with an MDN for AS2 Message-ID %.200s (%.150s). Ask the partner whether the "
                "message arrived; `gateway resend` sends it again.", who->id, budget,
                row->as2_message_id, what);
        return EDI_E_ARG;
    }
    edi_say(sentence, sentence_n, "no MDN came back: %.300s; it is sent again with the same "
            "Message-ID", what);
    return EDI_E_IO;
}

edi_result as2_send_deliver(const as2_send_settings *cfg, store *s, content_store *cs,
                            const partner *who, const store_message *m, const char *payload,
                            size_t len, char *where, size_t where_n, char *fix, size_t fix_n,
                            char *detail, size_t detail_n, char *sentence, size_t sentence_n)
{
    const partner_as2 *pa = &who->as2;
    edi_say(where, where_n, "the AS2 server %.400s of partner %.60s", pa->url, who->id);
    edi_say(fix, fix_n, "Check that the partner's AS2 server at %.150s is reachable and takes "
             "our messages (URL, TLS certificates and <tls> settings in %.60s's profile)",
             pa->url, who->id);
    const char *our_id = pa->our_id[0] ? pa->our_id : cfg ? cfg->our_id : NULL;
    if (!cfg || !our_id || !our_id[0]) {
        edi_say(sentence, sentence_n, "AS2 is not configured: the gateway configuration needs "
                "<as2 id=\"...\"> with our key pairs before messages to %s can be sent.",
                who->id);
        return EDI_E_ARG;
    }
    char why[640] = "";
    store_as2_out prev;
    edi_result r = store_as2_out_latest(s, m->id, &prev, why, sizeof why);
    bool have = r == EDI_OK;
    if (r != EDI_OK && r != EDI_E_NOT_FOUND) {
        edi_say(sentence, sentence_n, "%.600s", why);
        return r;
    }
    if (have && !strcmp(prev.mdn_state, AS2_OUT_RECEIVED)) {
        edi_say(detail, detail_n, "not sent again: partner %.60s already acknowledged it "
                 "(AS2 Message-ID %.255s, MDN received, MIC matches)", who->id,
                 prev.as2_message_id);
        return EDI_OK;
    }
    bool retry = have && !store_as2_out_final(prev.mdn_state);
    time_t now = time(NULL);
    const as2_keypair *signer = pa->sign && cfg->keys ? as2_keyring_signer(cfg->keys, now)
                                                      : NULL;
    as2_partner_certs *pc = NULL;
    if (pa->encrypt || (pa->mdn != PARTNER_AS2_MDN_NONE && pa->mdn_signed)) {
        r = as2_partner_certs_load(who, now, &pc, why, sizeof why);
        if (r != EDI_OK) {
            edi_say(sentence, sentence_n, "The certificates of partner %s cannot be loaded: "
                    "%.500s", who->id, why);
            return EDI_E_ARG;
        }
    }
    as2_send_payload pl = { .filename = m->filename,
                            .content_type = as2_send_content_type(m->format) };
    const char *async_url = pa->mdn_url[0] ? pa->mdn_url : cfg->async_mdn_url;
    as2_send_built b;
    r = as2_send_build(who, our_id, async_url, signer, pc ? pc->encryption : NULL, payload, len,
                       &pl, retry ? prev.as2_message_id : NULL, &b, why, sizeof why);
    if (r != EDI_OK) {
        as2_partner_certs_free(pc);
        edi_say(sentence, sentence_n, "The AS2 message for partner %s cannot be built: %.500s",
                who->id, why);
        return r == EDI_E_NOMEM ? r : EDI_E_ARG;
    }
    unsigned timeout = mdn_timeout_of(pa, cfg);
    int64_t sent = store_now_ms();
    store_as2_out row = { .message_id = m->id, .attempt = have ? prev.attempt + 1 : 1,
                          .sent_ms = sent };
    snprintf(row.as2_message_id, sizeof row.as2_message_id, "%s", b.message_id);
    snprintf(row.mic, sizeof row.mic, "%s", b.mic);
    snprintf(row.mic_alg, sizeof row.mic_alg, "%s", as2_mic_alg_name(b.mic_alg));
    snprintf(row.mdn_mode, sizeof row.mdn_mode, "%s", mdn_mode_name(pa->mdn));
    snprintf(row.mdn_state, sizeof row.mdn_state, "%s",
             pa->mdn == PARTNER_AS2_MDN_NONE ? AS2_OUT_NOT_REQUESTED : AS2_OUT_AWAITING);
    row.deadline_ms = pa->mdn == PARTNER_AS2_MDN_NONE ? 0 : sent + (int64_t)timeout * 1000;
    r = store_begin_durable(s, why, sizeof why);
    if (r == EDI_OK)
        r = store_as2_out_record(s, &row, why, sizeof why);
    if (r == EDI_OK)
        r = store_commit(s, why, sizeof why);
    else
        store_rollback(s);
    if (r != EDI_OK) {
        as2_send_built_free(&b);
        as2_partner_certs_free(pc);
        edi_say(sentence, sentence_n, "recording the AS2 transmission failed: %.500s", why);
        return r == EDI_E_CONFLICT ? EDI_E_IO : r;
    }
    char sent_text[600];
    edi_say(sent_text, sizeof sent_text, "AS2 Message-ID %.255s, attempt %d, %zu bytes, "
             "%.200s", b.message_id, row.attempt, b.body_len, b.summary);
    long status = 0;
    http_answer ans = { 0 };
    long post_timeout = cfg->post_timeout_s ? (long)cfg->post_timeout_s : 600L;
    if (pa->mdn == PARTNER_AS2_MDN_SYNC && (long)timeout < post_timeout)
        post_timeout = (long)timeout;
    r = post(pa, cfg->connect_timeout_s ? cfg->connect_timeout_s : DEFAULT_CONNECT_TIMEOUT_S,
             post_timeout, &b, &status, &ans, sentence, sentence_n);
    as2_send_built_free(&b);
    bool has_mdn = r == EDI_OK && pa->mdn != PARTNER_AS2_MDN_NONE &&
                   as2_mdn_is_mdn(ans.content_type, ans.body.p ? ans.body.p : "", ans.body.len);
    if (r != EDI_OK) {
        settle(s, &row, AS2_OUT_RESEND, NULL, sentence, NULL, "as2", why, sizeof why);
        if (r == EDI_E_ARG) {
            char cause[512];
            snprintf(cause, sizeof cause, "%s", sentence);
            edi_say(sentence, sentence_n, "Message %" PRId64 " cannot be sent to partner %s: "
                    "%.300s. %.200s, then send it again with `gateway resend %" PRId64 "`.",
                    m->id, who->id, cause, fix, m->id);
        }
    } else if (has_mdn && pa->mdn == PARTNER_AS2_MDN_SYNC) {
        as2_send_mdn_result res;
        char cid[CONTENT_ID_SIZE] = "";
        edi_result rc = as2_send_check_mdn(who, pc, &row, payload, len, &pl, ans.content_type,
                                           ans.body.p, ans.body.len, &res, why, sizeof why);
        if (rc == EDI_OK)
            rc = keep_mdn(cs, ans.content_type, ans.body.p, ans.body.len, cid, why, sizeof why);
        if (rc == EDI_E_SYNTAX || rc == EDI_E_ARG) {
            char what[700];
            edi_say(what, sizeof what, "HTTP %ld with an answer that is no MDN for this "
                     "message (%.500s)", status, why);
            r = no_mdn(s, who, &row, what, sentence, sentence_n);
        } else if (rc != EDI_OK) {
            edi_say(sentence, sentence_n, "%.600s", why);
            r = rc;
        } else {
            r = settle(s, &row, state_of(res.verdict), cid, res.detail, "mdn", "as2", why,
                       sizeof why);
            if (r != EDI_OK)
                edi_say(sentence, sentence_n, "recording the MDN failed: %.500s", why);
            else if (res.verdict == AS2_SEND_MDN_OK)
                edi_say(detail, detail_n, "sent to %.300s (%.400s); %.500s", pa->url,
                         sent_text, res.detail);
            else {
                edi_say(sentence, sentence_n, "%s", res.sentence);
                r = EDI_E_ARG;
            }
        }
    } else if (status >= 200 && status < 300) {
        if (pa->mdn == PARTNER_AS2_MDN_SYNC) {
            char what[200];
            edi_say(what, sizeof what, "HTTP %ld without an MDN in the answer", status);
            r = no_mdn(s, who, &row, what, sentence, sentence_n);
        } else if (pa->mdn == PARTNER_AS2_MDN_ASYNC) {
            char until[40];
            utc_text(row.deadline_ms, until, sizeof until);
            edi_say(detail, detail_n, "sent to %.300s (%.400s); HTTP %ld; awaiting the "
                     "asynchronous MDN at %.200s until %s", pa->url, sent_text, status,
                     async_url, until);
        } else {
            edi_say(detail, detail_n, "sent to %.300s (%.400s); HTTP %ld; no MDN asked for",
                     pa->url, sent_text, status);
        }
    } else {
        char body[200];
        size_t n = ans.body.len < 150 ? ans.body.len : 150;
        for (size_t i = 0; i < n; i++)
            body[i] = isprint((unsigned char)ans.body.p[i]) ? ans.body.p[i] : ' ';
        body[n] = '\0';
        bool passing = status == 408 || status == 429 || status >= 500;
        if (passing)
            edi_say(sentence, sentence_n, "partner %s's AS2 server answered HTTP %ld%s%s%s",
                    who->id, status, n ? " (\"" : "", body, n ? "\")" : "");
        else
            edi_say(sentence, sentence_n, "Partner %s's AS2 server refused message %" PRId64
                    " with HTTP %ld%s%s%s; ask the partner why, then send it again with "
                    "`gateway resend %" PRId64 "`.", who->id, m->id, status, n ? " (\"" : "",
                    body, n ? "\")" : "", m->id);
        settle(s, &row, passing ? AS2_OUT_RESEND : AS2_OUT_REFUSED, NULL, sentence,
               passing ? NULL : "refused", "as2", why, sizeof why);
        r = passing ? EDI_E_IO : EDI_E_ARG;
    }
    edi_buf_free(&ans.body);
    as2_partner_certs_free(pc);
    return r;
}

/* ---- asynchronous MDNs ------------------------------------------------------------------ */

edi_result as2_send_mdn_arrived(store *s, content_store *cs, const partner_set *partners,
                                const char *content_type, const char *as2_from,
                                const char *body, size_t body_len, const char *actor,
                                as2_send_verdict *verdict, char *why, size_t why_n)
{
    if (!s || !partners || (!body && body_len)) {
        edi_say(why, why_n, "as2_send_mdn_arrived needs a store, the partners and an MDN");
        return EDI_E_ARG;
    }
    as2_mdn *mdn = calloc(1, sizeof *mdn);
    if (!mdn) {
        edi_say(why, why_n, "out of memory reading an MDN");
        return EDI_E_NOMEM;
    }
    edi_result r = as2_mdn_parse(content_type ? content_type : "", body ? body : "", body_len,
                                 mdn, why, why_n);
    if (r != EDI_OK) {
        free(mdn);
        return r == EDI_E_NOMEM ? r : EDI_E_SYNTAX;
    }
    store_as2_out row;
    r = store_as2_out_by_as2_id(s, mdn->original_message_id, &row, why, why_n);
    if (r == EDI_E_NOT_FOUND) {
        /* Original-Message-ID as the partner wrote it: with or without brackets */
        char bare[AS2_MDN_FIELD_MAX], alt[AS2_MDN_FIELD_MAX + 2];
        strip_brackets(mdn->original_message_id, bare, sizeof bare);
        snprintf(alt, sizeof alt, "<%s>", bare);
        if (strcmp(alt, mdn->original_message_id))
            r = store_as2_out_by_as2_id(s, alt, &row, why, why_n);
    }
    as2_mic_alg mdn_alg = mdn->has_mic ? mdn->mic_alg : AS2_MIC_NONE;
    if (r == EDI_E_NOT_FOUND)
        edi_say(why, why_n, "no message we sent has the AS2 Message-ID %.300s",
                mdn->original_message_id[0] ? mdn->original_message_id : "(none given)");
    free(mdn);
    if (r != EDI_OK)
        return r;
    store_message m;
    r = store_message_get(s, row.message_id, &m, why, why_n);
    if (r != EDI_OK)
        return r;
    const partner *who = partner_set_by_id(partners, m.partner);
    if (!who || who->channel != PARTNER_CHANNEL_AS2) {
        edi_say(why, why_n, "message %" PRId64 " was sent to partner %s, which has no AS2 "
                "profile any more", m.id, m.partner);
        return EDI_E_NOT_FOUND;
    }
    if (as2_from) {
        char from[AS2_OUT_ID_MAX];
        strip_brackets(as2_from, from, sizeof from);
        size_t fl = strlen(from);
        if (fl >= 2 && from[0] == '"' && from[fl - 1] == '"') {
            memmove(from, from + 1, fl - 2);
            from[fl - 2] = '\0';
        }
        if (strcmp(from, who->as2_id)) {
            edi_say(why, why_n, "the MDN for %.255s comes from AS2 name \"%.128s\", but the "
                    "message went to partner %s (AS2 name \"%s\")", row.as2_message_id, from,
                    who->id, who->as2_id);
            return EDI_E_ARG;
        }
    }
    as2_partner_certs *pc = NULL;
    r = as2_partner_certs_load(who, time(NULL), &pc, why, why_n);
    if (r != EDI_OK)
        return r;
    edi_buf payload = { 0 };
    as2_send_payload pl = { .filename = m.filename,
                            .content_type = as2_send_content_type(m.format) };
    if (cs && mdn_alg != AS2_MIC_NONE && mdn_alg != as2_mic_alg_parse(row.mic_alg, (size_t)-1))
        r = content_store_get(cs, m.content_id, &payload, why, why_n);
    as2_send_mdn_result res;
    if (r == EDI_OK)
        r = as2_send_check_mdn(who, pc, &row, payload.p, payload.len, &pl, content_type, body,
                               body_len, &res, why, why_n);
    edi_buf_free(&payload);
    as2_partner_certs_free(pc);
    char cid[CONTENT_ID_SIZE] = "";
    if (r == EDI_OK)
        r = keep_mdn(cs, content_type, body, body_len, cid, why, why_n);
    if (r != EDI_OK)
        return r;
    if (verdict)
        *verdict = res.verdict;
    bool open = !store_as2_out_final(row.mdn_state) || !strcmp(row.mdn_state, AS2_OUT_MISSING);
    r = store_begin_durable(s, why, why_n);
    if (r == EDI_OK && open)
        r = store_as2_out_set_state(s, row.as2_message_id, row.mdn_state,
                                    state_of(res.verdict), cid, res.detail, 0, why, why_n);
    char event[1024];
    edi_say(event, sizeof event, "%s%.900s", open ? "" : "late MDN (already decided): ",
             res.detail);
    if (r == EDI_OK)
        r = store_history_add(s, m.id, "mdn", actor ? actor : "as2", event, why, why_n);
    if (r == EDI_OK && open && res.verdict != AS2_SEND_MDN_OK) {
        r = store_message_update(s, m.id, NULL, NULL, NULL, STORE_STATUS_FAILED, res.sentence,
                                 why, why_n);
        if (r == EDI_OK)
            r = store_history_add(s, m.id, "failed", actor ? actor : "as2", res.sentence, why,
                                  why_n);
    } else if (r == EDI_OK && open && strcmp(m.status, STORE_STATUS_SENT)) {
        r = store_message_update(s, m.id, NULL, NULL, NULL, STORE_STATUS_SENT, NULL, why,
                                 why_n);
    }
    if (r == EDI_OK)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}

/* ---- MDNs missing after their deadline ---------------------------------------------------- */

typedef struct {
    store *s;
    const partner_set *partners;
    int64_t now;
    const char *actor;
    size_t changed;
    edi_result r;
    char *why;
    size_t why_n;
} tick_ctx;

static int overdue_one(void *ctx, const store_as2_out *row)
{
    tick_ctx *t = ctx;
    store_message m;
    edi_result r = store_message_get(t->s, row->message_id, &m, t->why, t->why_n);
    if (r != EDI_OK) {
        t->r = r;
        return 1;
    }
    const partner *who = partner_set_by_id(t->partners, m.partner);
    unsigned retries = who && who->channel == PARTNER_CHANNEL_AS2 ? who->as2.retries : 0;
    unsigned budget = 1 + retries;
    bool last = (unsigned)row->attempt >= budget;
    int64_t first = who && who->as2.retry_delay_s ? (int64_t)who->as2.retry_delay_s * 1000
                                                  : 60000;
    int64_t pause = first;
    for (int i = 1; i < row->attempt && pause < RETRY_DELAY_MAX_MS; i++)
        pause *= 2;
    if (pause > RETRY_DELAY_MAX_MS)
        pause = RETRY_DELAY_MAX_MS;
    char detail[900], sent[40];
    utc_text(row->sent_ms, sent, sizeof sent);
    if (last)
        edi_say(detail, sizeof detail, "MDN missing after timeout: partner %s sent no MDN for "
                 "AS2 Message-ID %.255s (attempt %d of %u, sent %s, deadline passed). Ask the "
                 "partner whether the message arrived and whether its MDNs reach our "
                 "endpoint; `gateway resend %" PRId64 "` sends it again.", m.partner,
                 row->as2_message_id, row->attempt, budget, sent, m.id);
    else
        edi_say(detail, sizeof detail, "MDN missing after timeout for AS2 Message-ID %.255s "
                 "(attempt %d of %u, sent %s); sending it again in %" PRId64 " s with the same "
                 "Message-ID", row->as2_message_id, row->attempt, budget, sent, pause / 1000);
    r = store_begin(t->s, t->why, t->why_n);
    if (r == EDI_OK)
        r = store_as2_out_set_state(t->s, row->as2_message_id, AS2_OUT_AWAITING,
                                    last ? AS2_OUT_MISSING : AS2_OUT_RESEND, NULL, detail, 0,
                                    t->why, t->why_n);
    if (r == EDI_OK)
        r = store_history_add(t->s, m.id, "mdn-missing", t->actor, detail, t->why, t->why_n);
    if (r == EDI_OK && last) {
        r = store_message_update(t->s, m.id, NULL, NULL, NULL, STORE_STATUS_FAILED, detail,
                                 t->why, t->why_n);
        if (r == EDI_OK)
            r = store_history_add(t->s, m.id, "failed", t->actor, detail, t->why, t->why_n);
    } else if (r == EDI_OK) {
        r = store_message_update(t->s, m.id, NULL, NULL, NULL, STORE_STATUS_QUEUED, NULL,
                                 t->why, t->why_n);
        if (r == EDI_OK)
            r = store_job_enqueue(t->s, "send", m.id, t->now + pause, t->why, t->why_n);
    }
    if (r == EDI_OK)
        r = store_commit(t->s, t->why, t->why_n);
    else
        store_rollback(t->s);
    if (r == EDI_E_CONFLICT) /* the MDN came meanwhile */
        return 0;
    if (r != EDI_OK) {
        t->r = r;
        return 1;
    }
    t->changed++;
    return 0;
}

edi_result as2_send_tick(store *s, const partner_set *partners, int64_t now_ms,
                         const char *actor, size_t *changed, char *why, size_t why_n)
{
    if (changed)
        *changed = 0;
    if (!s || !partners) {
        edi_say(why, why_n, "as2_send_tick needs a store and the partners");
        return EDI_E_ARG;
    }
    tick_ctx t = { .s = s, .partners = partners, .now = now_ms,
                   .actor = actor ? actor : "as2", .r = EDI_OK, .why = why, .why_n = why_n };
    edi_result r = store_as2_out_overdue(s, now_ms, 100, overdue_one, &t, why, why_n);
    if (changed)
        *changed = t.changed;
    return r != EDI_OK ? r : t.r;
}
