/* api_auth.c: the API's keys (api_auth.h), on OpenSSL's SHA-256, CRYPTO_memcmp and
 * RAND_bytes. */
#include "api_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "store_api_tokens.h"

edi_result api_auth_load_key(partner_key_kind kind, const char *ref, char key[API_KEY_MAX],
                             char *why, size_t why_n)
{
    key[0] = '\0';
    if (kind == PARTNER_KEY_NONE || !ref || !*ref) {
        edi_say(why, why_n, "no API key is configured");
        return EDI_E_NOT_FOUND;
    }
    size_t n = 0;
    if (kind == PARTNER_KEY_ENV) {
        const char *v = getenv(ref);
        if (!v) {
            edi_say(why, why_n, "the environment variable %s that should hold the API key is "
                    "not set", ref);
            return EDI_E_NOT_FOUND;
        }
        n = strlen(v);
        if (n >= API_KEY_MAX) {
            edi_say(why, why_n, "the API key in %s is longer than %d characters", ref,
                    API_KEY_MAX - 1);
            return EDI_E_ARG;
        }
        memcpy(key, v, n + 1);
    } else {
        int fd = open(ref, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            edi_say(why, why_n, "the API key file %s cannot be read: %s", ref, strerror(errno));
            if (fd >= 0)
                close(fd);
            return EDI_E_IO;
        }
        if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
            close(fd);
            edi_say(why, why_n, "the API key file %s may be read by others (or is no plain "
                    "file); make it the owner's alone (chmod 600)", ref);
            return EDI_E_ARG;
        }
        ssize_t got;
        while (n < API_KEY_MAX && (got = read(fd, key + n, API_KEY_MAX - n)) > 0)
            n += (size_t)got;
        close(fd);
        if (n >= API_KEY_MAX) {
            OPENSSL_cleanse(key, API_KEY_MAX);
            edi_say(why, why_n, "the API key file %s holds more than %d bytes", ref,
                    API_KEY_MAX - 1);
            return EDI_E_ARG;
        }
        while (n > 0 && strchr(" \t\r\n", key[n - 1]))
            n--;
        key[n] = '\0';
    }
    if (n < API_KEY_MIN || strlen(key) != n) {
        OPENSSL_cleanse(key, API_KEY_MAX);
        edi_say(why, why_n, "the API key in %s is shorter than %d characters (or holds a NUL); "
                "use a long random key", ref, API_KEY_MIN);
        return EDI_E_ARG;
    }
    return EDI_OK;
}

void api_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

bool api_key_equal(const char *presented, const char *expected)
{
    if (!presented || !expected)
        return false;
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)presented, strlen(presented), a);
    SHA256((const unsigned char *)expected, strlen(expected), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

edi_result api_auth_identify(const api_context *ctx, const char *key, api_principal *out,
                             char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    if (!key || strlen(key) < API_KEY_MIN)
        return EDI_OK;
    if (ctx->admin_key && strlen(ctx->admin_key) >= API_KEY_MIN &&
        api_key_equal(key, ctx->admin_key)) {
        out->who = API_ADMIN;
        snprintf(out->name, sizeof out->name, "admin");
        return EDI_OK;
    }
    for (size_t i = 0; ctx->partners && i < partner_set_count(ctx->partners); i++) {
        const partner *p = partner_set_at(ctx->partners, i);
        char expected[API_KEY_MAX];
        if (p->api_key_kind == PARTNER_KEY_NONE ||
            api_auth_load_key(p->api_key_kind, p->api_key_ref, expected, NULL, 0) != EDI_OK)
            continue;
        bool same = api_key_equal(key, expected);
        OPENSSL_cleanse(expected, sizeof expected);
        if (same) {
            out->who = API_PARTNER;
            out->partner = p;
            snprintf(out->name, sizeof out->name, "partner:%.64s", p->id);
            return EDI_OK;
        }
    }
    if (!ctx->store)
        return EDI_OK;
    char digest[65];
    api_sha256_hex(key, strlen(key), digest);
    store *s = api_lock(ctx);
    edi_result r = store_user_by_token(s, digest, &out->user, &out->active, why, why_n);
    api_unlock(ctx);
    if (r == EDI_OK) {
        out->who = API_USER;
        snprintf(out->name, sizeof out->name, "user:%.63s", out->user.id);
    } else if (r == EDI_E_NOT_FOUND) {
        memset(out, 0, sizeof *out);
        r = EDI_OK;
    }
    return r;
}

edi_result api_token_new(char token[API_TOKEN_SIZE], char digest[65], char *why, size_t why_n)
{
    unsigned char raw[32];
    unsigned char b64[48];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        edi_say(why, why_n, "no random bytes are available for a token");
        return EDI_E_IO;
    }
    int n = EVP_EncodeBlock(b64, raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    snprintf(token, API_TOKEN_SIZE, "%s%.*s", API_TOKEN_PREFIX, n, (const char *)b64);
    OPENSSL_cleanse(b64, sizeof b64);
    api_sha256_hex(token, strlen(token), digest);
    return EDI_OK;
}

bool api_auth_hook(void *ctx, const char *key, char *principal, size_t n)
{
    api_principal who;
    if (api_auth_identify(ctx, key, &who, NULL, 0) != EDI_OK || who.who == API_NOBODY ||
        (who.who == API_USER && !who.active))
        return false;
    snprintf(principal, n, "%s", who.name);
    return true;
}
