/* Approval links (gateway/approval_link.h): a token made for an approval verifies and says
 * what it was made for; a changed payload, a changed signature, garbage, an expired token,
 * another approver's or approval's token, an approve token used to reject, and a token used
 * twice are each refused with their own verdict and a sentence; checking without the nonce
 * set does not use a token up; tokens of the previous key work after a rotation, tokens of
 * a retired key do not; keys load from a private file or the environment, at least 32
 * bytes, and never appear in a sentence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "approval_link.h"

#define NOW 1767225600   /* 2026-01-01 00:00 UTC */
#define KEY_A "0123456789abcdef0123456789abcdef-key-A"
#define KEY_B "fedcba9876543210fedcba9876543210-key-B"

static approval_link_keys keys_of(const char *current, const char *previous)
{
    approval_link_keys k;
    memset(&k, 0, sizeof k);
    char why[200];
    assert_int_equal(approval_link_key_from_bytes(current, strlen(current), &k.current, why,
                                                  sizeof why), EDI_OK);
    if (previous)
        assert_int_equal(approval_link_key_from_bytes(previous, strlen(previous), &k.previous,
                                                      why, sizeof why), EDI_OK);
    return k;
}

static void make(const approval_link_keys *k, approval_link_scope scope, int64_t expires,
                 char token[APPROVAL_LINK_TOKEN_MAX])
{
    char why[200] = "";
    if (approval_link_make(k, "ap-42", "anna", scope, expires, token, APPROVAL_LINK_TOKEN_MAX,
                           why, sizeof why) != EDI_OK)
        fail_msg("make: %s", why);
}

static approval_link_verdict verify(const approval_link_keys *k, const char *token,
                                    const char *approval_id, const char *approver,
                                    approval_link_scope action, int64_t now,
                                    approval_link_memory *used, char *why, size_t why_n)
{
    approval_link_nonces n;
    if (used)
        n = approval_link_memory_nonces(used);
    approval_link_verdict v = APPROVAL_LINK_ERROR;
    approval_link_claims c;
    edi_result r = approval_link_verify(k, token, approval_id, approver, action, now,
                                        used ? &n : NULL, &c, &v, why, why_n);
    assert_int_equal(r == EDI_OK, v == APPROVAL_LINK_VALID);
    if (v != APPROVAL_LINK_VALID)
        assert_true(why[0] != '\0');
    return v;
}

static void round_trip(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], other[APPROVAL_LINK_TOKEN_MAX], why[300] = "";
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, token);
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, other);
    assert_string_not_equal(token, other);   /* fresh nonce each time */
    /* URL-safe: base64url and one dot */
    assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_."), strlen(token));
    assert_non_null(strchr(token, '.'));
    assert_null(strchr(strchr(token, '.') + 1, '.'));

    approval_link_memory *used = approval_link_memory_new();
    approval_link_nonces n = approval_link_memory_nonces(used);
    approval_link_claims c;
    approval_link_verdict v;
    assert_int_equal(approval_link_verify(&k, token, "ap-42", NULL, APPROVAL_LINK_APPROVE, NOW,
                                          &n, &c, &v, why, sizeof why), EDI_OK);
    assert_int_equal(v, APPROVAL_LINK_VALID);
    assert_string_equal(c.approval_id, "ap-42");
    assert_string_equal(c.approver_id, "anna");
    assert_int_equal(c.scope, APPROVAL_LINK_APPROVE);
    assert_int_equal(c.expires_at, NOW + 3600);
    assert_int_equal(strlen(c.nonce), 32);
    approval_link_memory_free(used);
    approval_link_key_clear(&k.current);
    assert_int_equal(k.current.len, 0);
}

/* Flip one character of the part before (payload) or after (signature) the dot. */
static void flip(char *token, bool payload, size_t offset)
{
    char *dot = strchr(token, '.');
    char *p = payload ? token + offset : dot + 1 + offset;
    *p = *p == 'A' ? 'B' : 'A';
}

static void tampered(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], copy[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, token);
    approval_link_memory *used = approval_link_memory_new();

    /* every position of the payload: a changed byte is caught (a change of the last
     * character's unused bits is not canonical base64url: malformed) */
    size_t plen = (size_t)(strchr(token, '.') - token);
    for (size_t i = 0; i < plen; i++) {
        memcpy(copy, token, sizeof copy);
        flip(copy, true, i);
        approval_link_verdict v = verify(&k, copy, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used,
                                         why, sizeof why);
        if (v != APPROVAL_LINK_TAMPERED && v != APPROVAL_LINK_MALFORMED)
            fail_msg("payload changed at %zu gives %s", i, approval_link_verdict_name(v));
    }
    memcpy(copy, token, sizeof copy);
    flip(copy, true, 3);
    assert_int_equal(verify(&k, copy, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_TAMPERED);
    assert_non_null(strstr(why, "signature does not match"));

    /* a changed signature */
    memcpy(copy, token, sizeof copy);
    flip(copy, false, 5);
    assert_int_equal(verify(&k, copy, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_TAMPERED);

    /* a payload forged for another approver, with the old signature */
    char *dot = strchr(token, '.');
    char forged[APPROVAL_LINK_TOKEN_MAX];
    approval_link_keys other = keys_of(KEY_B, NULL);
    char foreign[APPROVAL_LINK_TOKEN_MAX];
    make(&other, APPROVAL_LINK_APPROVE, NOW + 3600, foreign);
    snprintf(forged, sizeof forged, "%.*s%s", (int)(strchr(foreign, '.') - foreign), foreign,
             dot);
    assert_int_equal(verify(&k, forged, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_TAMPERED);
    /* signed with a key we do not have */
    assert_int_equal(verify(&k, foreign, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_TAMPERED);

    /* none of those used the token up */
    assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_VALID);
    approval_link_memory_free(used);
}

static void garbage(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], cut[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&k, APPROVAL_LINK_DECIDE, NOW + 3600, token);
    const char *bad[] = { "", "abc", ".", "abc.", ".abc", "no dots here at all",
                          "a+b/c=.d+e/f=", "Z3cx.Z3cx", "\xff\xfe.\x01" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(verify(&k, bad[i], NULL, NULL, APPROVAL_LINK_DECIDE, NOW, NULL, why,
                                sizeof why), APPROVAL_LINK_MALFORMED);
    assert_non_null(strstr(why, "incomplete or garbled"));
    /* NULL, cut off, and far too long */
    assert_int_equal(verify(&k, NULL, NULL, NULL, APPROVAL_LINK_DECIDE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_MALFORMED);
    snprintf(cut, sizeof cut, "%.*s", (int)strlen(token) - 4, token);
    assert_int_equal(verify(&k, cut, NULL, NULL, APPROVAL_LINK_DECIDE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_MALFORMED);
    char *huge = malloc(5000);
    assert_non_null(huge);
    memset(huge, 'A', 4999);
    huge[4999] = '\0';
    huge[2000] = '.';
    assert_int_equal(verify(&k, huge, NULL, NULL, APPROVAL_LINK_DECIDE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_MALFORMED);
    free(huge);
    /* no key loaded */
    approval_link_keys none = { 0 };
    assert_int_equal(verify(&none, token, NULL, NULL, APPROVAL_LINK_DECIDE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_ERROR);
}

/* base64url without padding, as the token uses it, for building tokens by hand. */
static void b64url(const unsigned char *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

static void signed_but_not_a_payload(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    const char *payloads[] = {
        "gw1\nap-42\nanna\napprove\n1767229200",                     /* no nonce */
        "gw2\nap-42\nanna\napprove\n1767229200\n0123456789abcdef0123456789abcdef",
        "gw1\nap-42\nanna\nsteal\n1767229200\n0123456789abcdef0123456789abcdef",
        "gw1\nap-42\nanna\napprove\n-5\n0123456789abcdef0123456789abcdef",
        "gw1\nap-42\nanna\napprove\n1767229200\nXYZ",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        unsigned char mac[32];
        size_t mlen = 0;
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, KEY_A, strlen(KEY_A),
                                  (const unsigned char *)payloads[i], strlen(payloads[i]), mac,
                                  sizeof mac, &mlen));
        char token[APPROVAL_LINK_TOKEN_MAX], sig[64], why[300];
        b64url((const unsigned char *)payloads[i], strlen(payloads[i]), token);
        b64url(mac, sizeof mac, sig);
        strcat(token, ".");
        strcat(token, sig);
        assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_DECIDE, 0, NULL, why,
                                sizeof why), APPROVAL_LINK_MALFORMED);
        assert_non_null(strstr(why, "signed but its content"));
    }
    /* the same construction with a well-formed payload is accepted: the test is sound */
    const char *good = "gw1\nap-42\nanna\napprove\n1767229200\n0123456789abcdef0123456789abcdef";
    unsigned char mac[32];
    size_t mlen = 0;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, KEY_A, strlen(KEY_A),
                              (const unsigned char *)good, strlen(good), mac, sizeof mac,
                              &mlen));
    char token[APPROVAL_LINK_TOKEN_MAX], sig[64], why[300];
    b64url((const unsigned char *)good, strlen(good), token);
    b64url(mac, sizeof mac, sig);
    strcat(token, ".");
    strcat(token, sig);
    assert_int_equal(verify(&k, token, "ap-42", "anna", APPROVAL_LINK_APPROVE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_VALID);
}

static void expired(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&k, APPROVAL_LINK_APPROVE, NOW + 60, token);
    approval_link_memory *used = approval_link_memory_new();
    assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW + 60, used, why,
                            sizeof why), APPROVAL_LINK_EXPIRED);
    assert_non_null(strstr(why, "expired"));
    assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW + 59, used, why,
                            sizeof why), APPROVAL_LINK_VALID);
    approval_link_memory_free(used);
}

static void wrong_approver_approval_action(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, token);
    approval_link_memory *used = approval_link_memory_new();
    assert_int_equal(verify(&k, token, "ap-42", "ben", APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_WRONG_APPROVER);
    assert_non_null(strstr(why, "another approver (anna)"));
    assert_int_equal(verify(&k, token, "ap-43", "anna", APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_WRONG_APPROVAL);
    assert_int_equal(verify(&k, token, "ap-42", "anna", APPROVAL_LINK_REJECT, NOW, used, why,
                            sizeof why), APPROVAL_LINK_WRONG_ACTION);
    assert_non_null(strstr(why, "cannot be used to reject"));
    /* a decide token serves both */
    char decide[APPROVAL_LINK_TOKEN_MAX];
    make(&k, APPROVAL_LINK_DECIDE, NOW + 3600, decide);
    assert_int_equal(verify(&k, decide, "ap-42", "anna", APPROVAL_LINK_REJECT, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_VALID);
    assert_int_equal(verify(&k, decide, "ap-42", "anna", APPROVAL_LINK_APPROVE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_VALID);
    /* the refusals did not use the token up */
    assert_int_equal(verify(&k, token, "ap-42", "anna", APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_VALID);
    approval_link_memory_free(used);
}

static void single_use(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], second[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, token);
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, second);
    approval_link_memory *used = approval_link_memory_new();
    /* looking (no nonce set) does not use it up, however often */
    for (int i = 0; i < 3; i++)
        assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_DECIDE, NOW, NULL, why,
                                sizeof why), APPROVAL_LINK_VALID);
    assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_VALID);
    assert_int_equal(verify(&k, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW + 1, used, why,
                            sizeof why), APPROVAL_LINK_USED);
    assert_non_null(strstr(why, "already used"));
    /* another token of the same approval has its own nonce */
    assert_int_equal(verify(&k, second, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, used, why,
                            sizeof why), APPROVAL_LINK_VALID);
    approval_link_memory_free(used);
}

static edi_result failing_store(void *ctx, const char *nonce, int64_t expires_at, char *why,
                                size_t why_n)
{
    (void)ctx;
    (void)nonce;
    (void)expires_at;
    edi_say(why, why_n, "database is locked");
    return EDI_E_STORE;
}

static void store_failure(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&k, APPROVAL_LINK_APPROVE, NOW + 3600, token);
    approval_link_nonces n = { .ctx = NULL, .mark_used = failing_store };
    approval_link_verdict v;
    assert_int_equal(approval_link_verify(&k, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW,
                                          &n, NULL, &v, why, sizeof why), EDI_E_STORE);
    assert_int_equal(v, APPROVAL_LINK_ERROR);
    assert_non_null(strstr(why, "database is locked"));
}

static void rotated_key(void **state)
{
    (void)state;
    approval_link_keys old = keys_of(KEY_A, NULL);
    char token[APPROVAL_LINK_TOKEN_MAX], fresh[APPROVAL_LINK_TOKEN_MAX], why[300];
    make(&old, APPROVAL_LINK_APPROVE, NOW + 3600, token);
    /* rotated: B is current, A previous: the old token still works, new ones use B */
    approval_link_keys rotated = keys_of(KEY_B, KEY_A);
    assert_int_equal(verify(&rotated, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_VALID);
    make(&rotated, APPROVAL_LINK_APPROVE, NOW + 3600, fresh);
    assert_int_equal(verify(&rotated, fresh, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_VALID);
    assert_int_equal(verify(&old, fresh, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_TAMPERED);
    /* the old token still expires as it did */
    assert_int_equal(verify(&rotated, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW + 3600,
                            NULL, why, sizeof why), APPROVAL_LINK_EXPIRED);
    /* A retired: refused */
    approval_link_keys retired = keys_of(KEY_B, NULL);
    assert_int_equal(verify(&retired, token, NULL, NULL, APPROVAL_LINK_APPROVE, NOW, NULL, why,
                            sizeof why), APPROVAL_LINK_TAMPERED);
}

static void make_refuses(void **state)
{
    (void)state;
    approval_link_keys k = keys_of(KEY_A, NULL);
    approval_link_keys none = { 0 };
    char token[APPROVAL_LINK_TOKEN_MAX], why[300];
    assert_int_equal(approval_link_make(&none, "a", "b", APPROVAL_LINK_APPROVE, NOW, token,
                                        sizeof token, why, sizeof why), EDI_E_ARG);
    assert_int_equal(approval_link_make(&k, "a b", "b", APPROVAL_LINK_APPROVE, NOW, token,
                                        sizeof token, why, sizeof why), EDI_E_ARG);
    assert_int_equal(approval_link_make(&k, "a", "b\nc", APPROVAL_LINK_APPROVE, NOW, token,
                                        sizeof token, why, sizeof why), EDI_E_ARG);
    assert_int_equal(approval_link_make(&k, "a", "", APPROVAL_LINK_APPROVE, NOW, token,
                                        sizeof token, why, sizeof why), EDI_E_ARG);
    char long_id[80];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(approval_link_make(&k, long_id, "b", APPROVAL_LINK_APPROVE, NOW, token,
                                        sizeof token, why, sizeof why), EDI_E_ARG);
    /* the longest ids fit */
    long_id[64] = '\0';
    assert_int_equal(approval_link_make(&k, long_id, long_id, APPROVAL_LINK_DECIDE, INT64_MAX,
                                        token, sizeof token, why, sizeof why), EDI_OK);
    approval_link_claims c;
    approval_link_verdict v;
    assert_int_equal(approval_link_verify(&k, token, long_id, long_id, APPROVAL_LINK_DECIDE,
                                          NOW, NULL, &c, &v, why, sizeof why), EDI_OK);
    assert_int_equal(c.expires_at, INT64_MAX);
}

static void keys_from_file_and_env(void **state)
{
    (void)state;
    char dir[] = "/tmp/approval-link-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], why[400];
    snprintf(path, sizeof path, "%s/key", dir);
    approval_link_key key;

    const char secret[] = "ThisIsASecretKeyOfFortyBytes-0123456789\n";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, secret, strlen(secret)), (ssize_t)strlen(secret));
    close(fd);
    assert_int_equal(approval_link_key_from_file(path, &key, why, sizeof why), EDI_OK);
    assert_int_equal(key.len, strlen(secret) - 1);   /* the line break is not part of it */
    assert_memory_equal(key.bytes, secret, key.len);

    /* readable by others: refused, and the sentence says how to fix it, not the key */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(approval_link_key_from_file(path, &key, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "chmod 600"));
    assert_null(strstr(why, "ThisIsASecret"));
    assert_int_equal(key.len, 0);

    /* too short */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "short-key\n", 10), 10);
    close(fd);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(approval_link_key_from_file(path, &key, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "32"));
    assert_null(strstr(why, "short-key"));
    assert_int_equal(approval_link_key_from_file("/nonexistent/key", &key, why, sizeof why),
                     EDI_E_IO);
    unlink(path);
    rmdir(dir);

    assert_int_equal(setenv("TEST_APPROVAL_LINK_KEY", "Environment-Key-Of-Enough-Length-0042",
                            1), 0);
    assert_int_equal(approval_link_key_from_env("TEST_APPROVAL_LINK_KEY", &key, why,
                                                sizeof why), EDI_OK);
    assert_int_equal(key.len, strlen("Environment-Key-Of-Enough-Length-0042"));
    assert_int_equal(setenv("TEST_APPROVAL_LINK_KEY", "tiny-secret", 1), 0);
    assert_int_equal(approval_link_key_from_env("TEST_APPROVAL_LINK_KEY", &key, why,
                                                sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "TEST_APPROVAL_LINK_KEY"));
    assert_null(strstr(why, "tiny-secret"));
    unsetenv("TEST_APPROVAL_LINK_KEY");
    assert_int_equal(approval_link_key_from_env("TEST_APPROVAL_LINK_KEY", &key, why,
                                                sizeof why), EDI_E_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(tampered),
        cmocka_unit_test(garbage),
        cmocka_unit_test(signed_but_not_a_payload),
        cmocka_unit_test(expired),
        cmocka_unit_test(wrong_approver_approval_action),
        cmocka_unit_test(single_use),
        cmocka_unit_test(store_failure),
        cmocka_unit_test(rotated_key),
        cmocka_unit_test(make_refuses),
        cmocka_unit_test(keys_from_file_and_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
