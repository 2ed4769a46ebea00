/* The approval mail through a real SMTP server (gateway/mailer.h, gateway/approval_link.h):
 * driven by tests/integration/test_mailer_smtp.sh, which starts tests/peers/smtp_sink.py
 * on loopback and sets SMTP_TEST_URL (smtp://127.0.0.1:PORT) and SMTP_TEST_MAILDIR (where
 * the server writes what it receives). Without them every test is skipped.
 *
 * An approval mail with an approve and a reject link is sent through our mailer; the
 * delivered message is read back from the server's folder, decoded, and its approve link
 * extracted: it verifies and works once, the second use is refused, a tampered copy is
 * refused, the reject link cannot approve. A send that requires STARTTLS from a server
 * that does not offer it is refused, and nothing is delivered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approval_link.h"
#include "mailer.h"

#define KEY "integration-test-key-0123456789-abcdefghijklmnop"
#define BASE "http://127.0.0.1:8080/api/approvals/ap-9/"

typedef struct {
    const char *url;
    const char *maildir;
    approval_link_keys keys;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    f.url = getenv("SMTP_TEST_URL");
    f.maildir = getenv("SMTP_TEST_MAILDIR");
    char why[200];
    if (approval_link_key_from_bytes(KEY, strlen(KEY), &f.keys.current, why, sizeof why) !=
        EDI_OK)
        return -1;
    *state = &f;
    return 0;
}

static bool have_server(const fixture *f)
{
    return f->url && *f->url && f->maildir && *f->maildir;
}

/* The number of delivered messages (N.eml files) in the folder. */
static int delivered(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, ".eml"))
            n++;
    closedir(d);
    return n;
}

/* Read the folder's message `n` into a NUL-terminated string (free it), waiting up to
 * 10 s for the server to write it. */
static char *read_message(const char *dir, int n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%d.eml", dir, n);
    for (int i = 0; i < 100 && access(path, R_OK) != 0; i++) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("the server did not deliver %s", path);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t len = fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    buf[len] = '\0';
    return buf;
}

/* The body of a delivered message, decoded (quoted-printable or not), with "\n" breaks. */
static char *decoded_body(const char *msg)
{
    const char *sep = strstr(msg, "\r\n\r\n");
    size_t skip = 4;
    if (!sep) {
        sep = strstr(msg, "\n\n");
        skip = 2;
    }
    assert_non_null(sep);
    bool qp = strstr(msg, "Content-Transfer-Encoding: quoted-printable") &&
              strstr(msg, "Content-Transfer-Encoding: quoted-printable") < sep;
    const char *s = sep + skip;
    char *out = calloc(1, strlen(s) + 1);
    assert_non_null(out);
    size_t o = 0;
    while (*s) {
        if (qp && s[0] == '=' && (s[1] == '\r' || s[1] == '\n')) {
            s += s[1] == '\r' ? 3 : 2;
        } else if (qp && s[0] == '=') {
            unsigned v;
            assert_int_equal(sscanf(s + 1, "%2X", &v), 1);
            out[o++] = (char)v;
            s += 3;
        } else if (s[0] == '\r') {
            s++;
        } else {
            out[o++] = *s++;
        }
    }
    return out;
}

/* The token of the link that starts with `prefix` in `body`, into `token`. */
static void link_token(const char *body, const char *prefix, char *token, size_t n)
{
    const char *p = strstr(body, prefix);
    if (!p)
        fail_msg("no link %s in the delivered mail:\n%s", prefix, body);
    p += strlen(prefix);
    size_t len = strcspn(p, " \t\r\n");
    assert_true(len > 0 && len < n);
    memcpy(token, p, len);
    token[len] = '\0';
}

static void approval_mail_round_trip(void **state)
{
    fixture *f = *state;
    if (!have_server(f))
        skip();
    int64_t now = (int64_t)time(NULL);
    char approve[APPROVAL_LINK_TOKEN_MAX], reject[APPROVAL_LINK_TOKEN_MAX], why[600];
    assert_int_equal(approval_link_make(&f->keys, "ap-9", "anna", APPROVAL_LINK_APPROVE,
                                        now + 3600, approve, sizeof approve, why, sizeof why),
                     EDI_OK);
    assert_int_equal(approval_link_make(&f->keys, "ap-9", "anna", APPROVAL_LINK_REJECT,
                                        now + 3600, reject, sizeof reject, why, sizeof why),
                     EDI_OK);
    char approve_url[1024], reject_url[1024];
    snprintf(approve_url, sizeof approve_url, BASE "approve?token=%s", approve);
    snprintf(reject_url, sizeof reject_url, BASE "reject?token=%s", reject);
    approval_mail a = { .order_number = "WEB-1001", .customer_name = "Müller Werkzeuge GmbH",
                        .requester_name = "Ben Bäcker", .approver_name = "Anna",
                        .amount = "1250.00", .currency = "EUR",
                        .reason = "The order needs approval: it was placed by a requisitioner, "
                                  "and the customer's policy has their orders approved.",
                        .approve_url = approve_url, .reject_url = reject_url,
                        .expires_at = now + 3600 };
    mail_message env = { .from = "gateway@supplier.example", .from_name = "EDI Gateway",
                         .to = "anna@mueller.example", .to_name = "Anna Ölmann" };
    edi_buf mail = { 0 };
    assert_int_equal(mailer_compose_approval(&a, &env, now, &mail, why, sizeof why), EDI_OK);

    int before = delivered(f->maildir);
    mailer_options o = { .url = f->url, .timeout_ms = 10000 };
    if (mailer_send(&o, env.from, env.to, mail.p, mail.len, why, sizeof why) != EDI_OK)
        fail_msg("send: %s", why);
    edi_buf_free(&mail);

    char *msg = read_message(f->maildir, before + 1);
    char *body = decoded_body(msg);
    assert_non_null(strstr(body, "Ben Bäcker of Müller Werkzeuge GmbH placed order WEB-1001"));
    char token[APPROVAL_LINK_TOKEN_MAX], rtoken[APPROVAL_LINK_TOKEN_MAX];
    link_token(body, BASE "approve?token=", token, sizeof token);
    link_token(body, BASE "reject?token=", rtoken, sizeof rtoken);
    assert_string_equal(token, approve);   /* the link arrived whole */
    free(body);
    free(msg);

    approval_link_memory *used = approval_link_memory_new();
    approval_link_nonces nonces = approval_link_memory_nonces(used);
    approval_link_claims c;
    approval_link_verdict v;
    /* the reject link cannot approve */
    assert_int_equal(approval_link_verify(&f->keys, rtoken, "ap-9", NULL,
                                          APPROVAL_LINK_APPROVE, now, &nonces, &c, &v, why,
                                          sizeof why), EDI_E_ARG);
    assert_int_equal(v, APPROVAL_LINK_WRONG_ACTION);
    /* a tampered copy is refused */
    char tampered[APPROVAL_LINK_TOKEN_MAX];
    memcpy(tampered, token, sizeof tampered);
    tampered[12] = tampered[12] == 'x' ? 'y' : 'x';
    assert_int_equal(approval_link_verify(&f->keys, tampered, "ap-9", NULL,
                                          APPROVAL_LINK_APPROVE, now, &nonces, &c, &v, why,
                                          sizeof why), EDI_E_ARG);
    assert_int_equal(v, APPROVAL_LINK_TAMPERED);
    /* approve works once */
    assert_int_equal(approval_link_verify(&f->keys, token, "ap-9", NULL, APPROVAL_LINK_APPROVE,
                                          now, &nonces, &c, &v, why, sizeof why), EDI_OK);
    assert_int_equal(v, APPROVAL_LINK_VALID);
    assert_string_equal(c.approver_id, "anna");
    assert_string_equal(c.approval_id, "ap-9");
    /* the second use is refused */
    assert_int_equal(approval_link_verify(&f->keys, token, "ap-9", NULL, APPROVAL_LINK_APPROVE,
                                          now, &nonces, &c, &v, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(v, APPROVAL_LINK_USED);
    printf("# delivered approval mail verified; second use: %s\n", why);
    approval_link_memory_free(used);
}

static void starttls_required_but_not_offered(void **state)
{
    fixture *f = *state;
    if (!have_server(f))
        skip();
    mail_message m = { .from = "gateway@supplier.example", .to = "anna@mueller.example",
                       .subject = "must not arrive", .text = "secret\n" };
    edi_buf mail = { 0 };
    char why[600];
    assert_int_equal(mailer_compose(&m, (int64_t)time(NULL), &mail, why, sizeof why), EDI_OK);
    int before = delivered(f->maildir);
    mailer_options o = { .url = f->url, .starttls_required = true, .timeout_ms = 10000 };
    edi_result r = mailer_send(&o, m.from, m.to, mail.p, mail.len, why, sizeof why);
    edi_buf_free(&mail);
    assert_int_not_equal(r, EDI_OK);
    printf("# STARTTLS required: %s\n", why);
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    assert_int_equal(delivered(f->maildir), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(approval_mail_round_trip),
        cmocka_unit_test(starttls_required_but_not_offered),
    };
    mailer_init();
    int failed = cmocka_run_group_tests(tests, setup, NULL);
    mailer_shutdown();
    return failed;
}
