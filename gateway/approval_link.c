/* approval_link.c: see approval_link.h. */
#include "approval_link.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define MAC_LEN 32
#define NONCE_LEN 16
#define PAYLOAD_MAX 256
#define VERSION "gw1"

/* ---- keys ---- */

edi_result approval_link_key_from_bytes(const void *bytes, size_t n, approval_link_key *out,
                                        char *why, size_t why_n)
{
    out->len = 0;
    if (n < APPROVAL_LINK_KEY_MIN || n > APPROVAL_LINK_KEY_MAX) {
        edi_say(why, why_n, "the link signing key has %zu bytes; it must have %d to %d "
                "(make one with: openssl rand -hex 32)", n, APPROVAL_LINK_KEY_MIN,
                APPROVAL_LINK_KEY_MAX);
        return EDI_E_ARG;
    }
    memcpy(out->bytes, bytes, n);
    out->len = n;
    return EDI_OK;
}

void approval_link_key_clear(approval_link_key *k)
{
    OPENSSL_cleanse(k->bytes, sizeof k->bytes);
    k->len = 0;
}

edi_result approval_link_key_from_file(const char *path, approval_link_key *out, char *why,
                                       size_t why_n)
{
    out->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        edi_say(why, why_n, "cannot open the link signing key file %s: %s", path,
                strerror(errno));
        return EDI_E_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        edi_say(why, why_n, "the link signing key file %s is not a regular file", path);
        return EDI_E_ARG;
    }
    if (st.st_mode & 077) {
        close(fd);
        edi_say(why, why_n, "the link signing key file %s can be read or written by other "
                "users (mode %03o); make it private with: chmod 600 %s", path,
                (unsigned)(st.st_mode & 0777), path);
        return EDI_E_ARG;
    }
    unsigned char buf[APPROVAL_LINK_KEY_MAX + 3];
    size_t n = 0;
    for (;;) {
        ssize_t got = read(fd, buf + n, sizeof buf - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            OPENSSL_cleanse(buf, sizeof buf);
            edi_say(why, why_n, "cannot read the link signing key file %s: %s", path,
                    strerror(e));
            return EDI_E_IO;
        }
        if (got == 0 || (n += (size_t)got) == sizeof buf)
            break;
    }
    close(fd);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    char err[160];
    edi_result r = approval_link_key_from_bytes(buf, n, out, err, sizeof err);
    OPENSSL_cleanse(buf, sizeof buf);
    if (r != EDI_OK)
        edi_say(why, why_n, "%s: %s", path, err);
    return r;
}

edi_result approval_link_key_from_env(const char *name, approval_link_key *out, char *why,
                                      size_t why_n)
{
    out->len = 0;
    const char *v = getenv(name);
    if (!v || !*v) {
        edi_say(why, why_n, "the environment variable %s with the link signing key is not set",
                name);
        return EDI_E_NOT_FOUND;
    }
    char err[160];
    edi_result r = approval_link_key_from_bytes(v, strlen(v), out, err, sizeof err);
    if (r != EDI_OK)
        edi_say(why, why_n, "environment variable %s: %s", name, err);
    return r;
}

/* ---- base64url without padding ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encode into out (NUL-terminated); false if it does not fit. */
static bool b64url_encode(const unsigned char *in, size_t n, char *out, size_t out_n)
{
    size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (need + 1 > out_n)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return true;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decode exactly `n` characters; canonical encodings only (unused bits zero). */
static bool b64url_decode(const char *in, size_t n, unsigned char *out, size_t out_n,
                          size_t *out_len)
{
    if (n % 4 == 1)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == out_n)
                return false;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return false;
    *out_len = o;
    return true;
}

/* ---- tokens ---- */

const char *approval_link_scope_name(approval_link_scope s)
{
    switch (s) {
    case APPROVAL_LINK_APPROVE: return "approve";
    case APPROVAL_LINK_REJECT: return "reject";
    case APPROVAL_LINK_DECIDE: return "decide";
    }
    return "unknown";
}

const char *approval_link_verdict_name(approval_link_verdict v)
{
    switch (v) {
    case APPROVAL_LINK_VALID: return "valid";
    case APPROVAL_LINK_MALFORMED: return "malformed";
    case APPROVAL_LINK_TAMPERED: return "tampered";
    case APPROVAL_LINK_EXPIRED: return "expired";
    case APPROVAL_LINK_WRONG_APPROVAL: return "wrong-approval";
    case APPROVAL_LINK_WRONG_APPROVER: return "wrong-approver";
    case APPROVAL_LINK_WRONG_ACTION: return "wrong-action";
    case APPROVAL_LINK_USED: return "used";
    case APPROVAL_LINK_ERROR: return "error";
    }
    return "unknown";
}

static bool id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= APPROVAL_LINK_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f)
            return false;
    return true;
}

static bool hmac(const approval_link_key *k, const unsigned char *data, size_t n,
                 unsigned char mac[MAC_LEN])
{
    size_t len = 0;
    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->bytes, k->len, data, n, mac,
                     MAC_LEN, &len) != NULL && len == MAC_LEN;
}

edi_result approval_link_make(const approval_link_keys *keys, const char *approval_id,
                              const char *approver_id, approval_link_scope scope,
                              int64_t expires_at, char *token, size_t token_n, char *why,
                              size_t why_n)
{
    if (!keys || keys->current.len < APPROVAL_LINK_KEY_MIN) {
        edi_say(why, why_n, "no link signing key is loaded");
        return EDI_E_ARG;
    }
    if (!id_ok(approval_id) || !id_ok(approver_id)) {
        edi_say(why, why_n, "approval and approver ids in a link must be 1 to %d printable "
                "characters without blanks", APPROVAL_LINK_ID_MAX - 1);
        return EDI_E_ARG;
    }
    if (scope != APPROVAL_LINK_APPROVE && scope != APPROVAL_LINK_REJECT &&
        scope != APPROVAL_LINK_DECIDE) {
        edi_say(why, why_n, "unknown link scope %d", (int)scope);
        return EDI_E_ARG;
    }
    if (token_n < APPROVAL_LINK_TOKEN_MAX) {
        edi_say(why, why_n, "the token buffer must hold %d bytes", APPROVAL_LINK_TOKEN_MAX);
        return EDI_E_ARG;
    }
    unsigned char nonce[NONCE_LEN];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        edi_say(why, why_n, "no random bytes for the link's nonce (RAND_bytes failed)");
        return EDI_E_NOMEM;
    }
    char nonce_hex[APPROVAL_LINK_NONCE_HEX];
    for (size_t i = 0; i < NONCE_LEN; i++)
        snprintf(nonce_hex + 2 * i, 3, "%02x", nonce[i]);
    char payload[PAYLOAD_MAX];
    int plen = snprintf(payload, sizeof payload, VERSION "\n%s\n%s\n%s\n%" PRId64 "\n%s",
                        approval_id, approver_id, approval_link_scope_name(scope), expires_at,
                        nonce_hex);
    if (plen < 0 || (size_t)plen >= sizeof payload) {
        edi_say(why, why_n, "the link's payload does not fit");
        return EDI_E_ARG;
    }
    unsigned char mac[MAC_LEN];
    if (!hmac(&keys->current, (const unsigned char *)payload, (size_t)plen, mac)) {
        edi_say(why, why_n, "HMAC-SHA256 failed in libcrypto");
        return EDI_E_NOMEM;
    }
    if (!b64url_encode((const unsigned char *)payload, (size_t)plen, token, token_n)) {
        edi_say(why, why_n, "the token does not fit");
        return EDI_E_ARG;
    }
    size_t used = strlen(token);
    token[used++] = '.';
    if (!b64url_encode(mac, sizeof mac, token + used, token_n - used)) {
        edi_say(why, why_n, "the token does not fit");
        return EDI_E_ARG;
    }
    return EDI_OK;
}

static edi_result verdict_is(approval_link_verdict *out, approval_link_verdict v, edi_result r)
{
    *out = v;
    return r;
}

/* Split the payload's fields into claims; false when they are not what make writes. */
static bool parse_payload(char *p, approval_link_claims *c)
{
    char *field[6];
    int n = 0;
    field[n++] = p;
    for (char *s = p; *s; s++) {
        if (*s == '\n') {
            if (n == 6)
                return false;
            *s = '\0';
            field[n++] = s + 1;
        }
    }
    if (n != 6 || strcmp(field[0], VERSION) != 0 || !id_ok(field[1]) || !id_ok(field[2]))
        return false;
    if (strcmp(field[3], "approve") == 0)
        c->scope = APPROVAL_LINK_APPROVE;
    else if (strcmp(field[3], "reject") == 0)
        c->scope = APPROVAL_LINK_REJECT;
    else if (strcmp(field[3], "decide") == 0)
        c->scope = APPROVAL_LINK_DECIDE;
    else
        return false;
    char *end;
    errno = 0;
    long long exp = strtoll(field[4], &end, 10);
    if (errno || end == field[4] || *end || field[4][0] == '-' || field[4][0] == '+')
        return false;
    if (strlen(field[5]) != NONCE_LEN * 2 || strspn(field[5], "0123456789abcdef") !=
                                                 NONCE_LEN * 2)
        return false;
    snprintf(c->approval_id, sizeof c->approval_id, "%s", field[1]);
    snprintf(c->approver_id, sizeof c->approver_id, "%s", field[2]);
    c->expires_at = (int64_t)exp;
    memcpy(c->nonce, field[5], APPROVAL_LINK_NONCE_HEX);
    return true;
}

edi_result approval_link_verify(const approval_link_keys *keys, const char *token,
                                const char *approval_id, const char *approver_id,
                                approval_link_scope action, int64_t now,
                                const approval_link_nonces *nonces,
                                approval_link_claims *claims, approval_link_verdict *verdict,
                                char *why, size_t why_n)
{
    approval_link_verdict ignored;
    if (!verdict)
        verdict = &ignored;
    if (!keys || keys->current.len < APPROVAL_LINK_KEY_MIN) {
        edi_say(why, why_n, "no link signing key is loaded");
        return verdict_is(verdict, APPROVAL_LINK_ERROR, EDI_E_ARG);
    }
    size_t tlen = token ? strlen(token) : 0;
    const char *dot = token ? strchr(token, '.') : NULL;
    unsigned char payload[PAYLOAD_MAX + 1], mac[MAC_LEN + 1];
    size_t plen = 0, mlen = 0;
    if (tlen == 0 || tlen >= APPROVAL_LINK_TOKEN_MAX || !dot ||
        !b64url_decode(token, (size_t)(dot - token), payload, PAYLOAD_MAX, &plen) ||
        !b64url_decode(dot + 1, tlen - (size_t)(dot - token) - 1, mac, sizeof mac, &mlen) ||
        mlen != MAC_LEN || plen == 0) {
        edi_say(why, why_n, "this is not an approval link the gateway made: the link is "
                "incomplete or garbled (copy the whole link from the mail)");
        return verdict_is(verdict, APPROVAL_LINK_MALFORMED, EDI_E_ARG);
    }
    unsigned char expect[MAC_LEN];
    bool genuine = false;
    const approval_link_key *ks[2] = { &keys->current, &keys->previous };
    for (int i = 0; i < 2; i++) {
        if (ks[i]->len < APPROVAL_LINK_KEY_MIN)
            continue;
        if (!hmac(ks[i], payload, plen, expect)) {
            edi_say(why, why_n, "HMAC-SHA256 failed in libcrypto");
            return verdict_is(verdict, APPROVAL_LINK_ERROR, EDI_E_NOMEM);
        }
        if (CRYPTO_memcmp(expect, mac, MAC_LEN) == 0)
            genuine = true;
    }
    if (!genuine) {
        edi_say(why, why_n, "the approval link's signature does not match: the link was "
                "changed, or it was signed with a key the gateway no longer has");
        return verdict_is(verdict, APPROVAL_LINK_TAMPERED, EDI_E_ARG);
    }
    payload[plen] = '\0';
    approval_link_claims c;
    memset(&c, 0, sizeof c);
    if (memchr(payload, '\0', plen) || !parse_payload((char *)payload, &c)) {
        edi_say(why, why_n, "the approval link is signed but its content is not understood "
                "(a link of another version of the gateway)");
        return verdict_is(verdict, APPROVAL_LINK_MALFORMED, EDI_E_ARG);
    }
    if (now >= c.expires_at) {
        edi_say(why, why_n, "the approval link has expired; the approval it was for can no "
                "longer be decided through it");
        return verdict_is(verdict, APPROVAL_LINK_EXPIRED, EDI_E_CONFLICT);
    }
    if (approval_id && strcmp(approval_id, c.approval_id) != 0) {
        edi_say(why, why_n, "the approval link belongs to another approval (%s, not %s)",
                c.approval_id, approval_id);
        return verdict_is(verdict, APPROVAL_LINK_WRONG_APPROVAL, EDI_E_ARG);
    }
    if (approver_id && strcmp(approver_id, c.approver_id) != 0) {
        edi_say(why, why_n, "the approval link was sent to another approver (%s) and cannot "
                "be used by %s", c.approver_id, approver_id);
        return verdict_is(verdict, APPROVAL_LINK_WRONG_APPROVER, EDI_E_ARG);
    }
    if (action != APPROVAL_LINK_DECIDE && c.scope != APPROVAL_LINK_DECIDE && c.scope != action) {
        edi_say(why, why_n, "the approval link is for \"%s\" and cannot be used to %s",
                approval_link_scope_name(c.scope), approval_link_scope_name(action));
        return verdict_is(verdict, APPROVAL_LINK_WRONG_ACTION, EDI_E_ARG);
    }
    if (nonces) {
        char err[256] = "";
        edi_result r = nonces->mark_used(nonces->ctx, c.nonce, c.expires_at, err, sizeof err);
        if (r == EDI_E_CONFLICT) {
            edi_say(why, why_n, "the approval link was already used; each link works once");
            return verdict_is(verdict, APPROVAL_LINK_USED, EDI_E_CONFLICT);
        }
        if (r != EDI_OK) {
            edi_say(why, why_n, "cannot record the use of the approval link: %s", err);
            return verdict_is(verdict, APPROVAL_LINK_ERROR, r);
        }
    }
    if (claims)
        *claims = c;
    return verdict_is(verdict, APPROVAL_LINK_VALID, EDI_OK);
}

/* ---- the in-memory used-nonce set ---- */

struct approval_link_memory {
    char (*nonces)[APPROVAL_LINK_NONCE_HEX];
    size_t n, cap;
};

approval_link_memory *approval_link_memory_new(void)
{
    return calloc(1, sizeof(approval_link_memory));
}

void approval_link_memory_free(approval_link_memory *m)
{
    if (!m)
        return;
    free(m->nonces);
    free(m);
}

static edi_result memory_mark_used(void *ctx, const char *nonce, int64_t expires_at,
                                   char *why, size_t why_n)
{
    (void)expires_at;
    approval_link_memory *m = ctx;
    if (strlen(nonce) != APPROVAL_LINK_NONCE_HEX - 1) {
        edi_say(why, why_n, "a nonce must be %d hex digits", APPROVAL_LINK_NONCE_HEX - 1);
        return EDI_E_ARG;
    }
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->nonces[i], nonce) == 0)
            return EDI_E_CONFLICT;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        void *p = realloc(m->nonces, cap * sizeof m->nonces[0]);
        if (!p) {
            edi_say(why, why_n, "out of memory recording a used nonce");
            return EDI_E_NOMEM;
        }
        m->nonces = p;
        m->cap = cap;
    }
    memcpy(m->nonces[m->n++], nonce, APPROVAL_LINK_NONCE_HEX);
    return EDI_OK;
}

approval_link_nonces approval_link_memory_nonces(approval_link_memory *m)
{
    return (approval_link_nonces){ .ctx = m, .mark_used = memory_mark_used };
}
