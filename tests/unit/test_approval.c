/* Approval rules (gateway/approval.h): each policy of the customer and of the partner
 * profile holds the orders it should and no others, with a reason that says why; roles
 * parse; approvers are chosen among active approvers and admins with an e-mail, never the
 * requester, and a dead end is reported; an approval goes pending -> approved | rejected |
 * expired with who, when and a comment; a changed order cannot be approved; reminders are
 * due once, before the expiry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "approval.h"

#define DAY 86400

static approval_order web(const char *amount, unsigned roles)
{
    return (approval_order){ .amount = amount, .currency = "EUR", .has_requester = true,
                             .requester_roles = roles };
}

static bool needs(const approval_policy *customer, const approval_policy *partner,
                  approval_order o, char *reason, size_t n)
{
    bool needed = false;
    assert_int_equal(approval_needed(customer, partner, &o, &needed, reason, n), EDI_OK);
    return needed;
}

static void roles_parse(void **state)
{
    (void)state;
    unsigned r = 0;
    char why[200] = "";
    assert_int_equal(approval_roles_parse("buyer, approver", &r, why, sizeof why), EDI_OK);
    assert_int_equal(r, APPROVAL_ROLE_BUYER | APPROVAL_ROLE_APPROVER);
    assert_int_equal(approval_roles_parse("", &r, why, sizeof why), EDI_OK);
    assert_int_equal(r, 0);
    assert_int_equal(approval_roles_parse("admin requisitioner", &r, why, sizeof why), EDI_OK);
    assert_int_equal(r, APPROVAL_ROLE_ADMIN | APPROVAL_ROLE_REQUISITIONER);
    assert_int_equal(approval_roles_parse("buyer boss", &r, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "\"boss\""));
    assert_int_equal(approval_roles_parse("approve", &r, why, sizeof why), EDI_E_ARG);
}

static void no_policy_holds_nothing(void **state)
{
    (void)state;
    approval_policy none = { 0 };
    char reason[APPROVAL_REASON_MAX];
    assert_false(needs(&none, &none, web("999999.99", APPROVAL_ROLE_REQUISITIONER), reason,
                       sizeof reason));
    assert_non_null(strstr(reason, "needs no approval"));
    assert_false(needs(NULL, NULL, web("1", 0), reason, sizeof reason));
}

static void customer_amount_limit(void **state)
{
    (void)state;
    approval_policy c = { .above = "1000.00", .currency = "EUR" };
    char reason[APPROVAL_REASON_MAX];
    assert_true(needs(&c, NULL, web("1000.01", APPROVAL_ROLE_BUYER), reason, sizeof reason));
    assert_non_null(strstr(reason, "The order needs approval"));
    assert_non_null(strstr(reason, "1000.01 EUR is above the customer's approval limit of "
                                   "1000.00 EUR"));
    /* exactly the limit is not above it; 1000.0 equals 1000.00 */
    assert_false(needs(&c, NULL, web("1000.0", APPROVAL_ROLE_BUYER), reason, sizeof reason));
    assert_false(needs(&c, NULL, web("12.50", APPROVAL_ROLE_BUYER), reason, sizeof reason));
    /* another currency cannot be compared: held, and said so */
    approval_order usd = web("5", APPROVAL_ROLE_BUYER);
    usd.currency = "USD";
    assert_true(needs(&c, NULL, usd, reason, sizeof reason));
    assert_non_null(strstr(reason, "USD"));
    assert_non_null(strstr(reason, "cannot be compared"));
    /* a broken amount or limit is an error, not a silent pass */
    bool needed;
    approval_order bad = web("12,5.0", 0);
    assert_int_equal(approval_needed(&c, NULL, &bad, &needed, reason, sizeof reason),
                     EDI_E_ARG);
    approval_policy broken = { .above = "lots" };
    approval_order fine = web("1", 0);
    assert_int_equal(approval_needed(&broken, NULL, &fine, &needed, reason, sizeof reason),
                     EDI_E_ARG);
    assert_non_null(strstr(reason, "lots"));
}

static void customer_requisitioners(void **state)
{
    (void)state;
    approval_policy c = { .requisitioners = true };
    char reason[APPROVAL_REASON_MAX];
    assert_true(needs(&c, NULL, web("10", APPROVAL_ROLE_REQUISITIONER), reason,
                      sizeof reason));
    assert_non_null(strstr(reason, "placed by a requisitioner"));
    assert_false(needs(&c, NULL, web("10", APPROVAL_ROLE_BUYER), reason, sizeof reason));
    /* the most permissive role wins */
    assert_false(needs(&c, NULL, web("10", APPROVAL_ROLE_REQUISITIONER | APPROVAL_ROLE_BUYER),
                       reason, sizeof reason));
    /* an order without a customer user (EDI) is not held by the customer's policy */
    approval_order edi = { .amount = "10", .currency = "EUR" };
    approval_policy all = { .always = true, .requisitioners = true, .above = "1" };
    assert_false(needs(&all, NULL, edi, reason, sizeof reason));
    assert_non_null(strstr(reason, "no customer user placed it"));
}

static void customer_always(void **state)
{
    (void)state;
    approval_policy c = { .always = true };
    char reason[APPROVAL_REASON_MAX];
    assert_true(needs(&c, NULL, web("0.01", APPROVAL_ROLE_ADMIN), reason, sizeof reason));
    assert_non_null(strstr(reason, "customer's policy has every order approved"));
}

static void partner_policies(void **state)
{
    (void)state;
    char reason[APPROVAL_REASON_MAX];
    approval_order edi = { .amount = "30000.00", .currency = "EUR" };
    approval_policy always = { .always = true };
    assert_true(needs(NULL, &always, edi, reason, sizeof reason));
    assert_non_null(strstr(reason, "partner profile's policy"));
    approval_policy above = { .above = "25000.00", .currency = "EUR" };
    assert_true(needs(NULL, &above, edi, reason, sizeof reason));
    assert_non_null(strstr(reason, "partner profile's approval limit of 25000.00 EUR"));
    edi.amount = "24999.99";
    assert_false(needs(NULL, &above, edi, reason, sizeof reason));
    /* requisitioner orders: an EDI order has no requester, so nothing holds it */
    approval_policy req = { .requisitioners = true };
    assert_false(needs(NULL, &req, edi, reason, sizeof reason));
    assert_true(needs(NULL, &req, web("1", APPROVAL_ROLE_REQUISITIONER), reason,
                      sizeof reason));
    /* both policies hold: both reasons are given */
    approval_policy c = { .above = "100", .currency = "EUR" };
    assert_true(needs(&c, &always, web("200", APPROVAL_ROLE_BUYER), reason, sizeof reason));
    assert_non_null(strstr(reason, "customer's approval limit"));
    assert_non_null(strstr(reason, "; the partner profile's policy"));
}

static approval_user user(const char *id, unsigned roles, const char *email)
{
    approval_user u = { .roles = roles, .active = true };
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.name, sizeof u.name, "User %s", id);
    snprintf(u.email, sizeof u.email, "%s", email);
    return u;
}

static void approver_choice(void **state)
{
    (void)state;
    approval_user users[6] = {
        user("anna", APPROVAL_ROLE_APPROVER | APPROVAL_ROLE_BUYER, "anna@example.com"),
        user("ben", APPROVAL_ROLE_REQUISITIONER, "ben@example.com"),
        user("carla", APPROVAL_ROLE_ADMIN, "carla@example.com"),
        user("dora", APPROVAL_ROLE_APPROVER, ""),
        user("emil", APPROVAL_ROLE_APPROVER, "emil@example.com"),
        user("fritz", APPROVAL_ROLE_BUYER, "fritz@example.com"),
    };
    users[4].active = false;
    size_t chosen[6], n = 99;
    char why[300] = "";
    assert_int_equal(approval_choose_approvers(users, 6, "ben", chosen, 6, &n, why,
                                               sizeof why), EDI_OK);
    assert_int_equal(n, 2);
    assert_int_equal(chosen[0], 0);   /* anna: approver */
    assert_int_equal(chosen[1], 2);   /* carla: admin; dora has no mail, emil is inactive */
    /* anna placed the order: she is left out */
    assert_int_equal(approval_choose_approvers(users, 6, "anna", chosen, 6, &n, why,
                                               sizeof why), EDI_OK);
    assert_int_equal(n, 1);
    assert_int_equal(chosen[0], 2);
    /* at most `max` */
    assert_int_equal(approval_choose_approvers(users, 6, "ben", chosen, 1, &n, why,
                                               sizeof why), EDI_OK);
    assert_int_equal(n, 1);
    /* the requester is the only approver: a dead end, said so */
    approval_user only[2] = { users[0], users[1] };
    assert_int_equal(approval_choose_approvers(only, 2, "anna", chosen, 2, &n, why,
                                               sizeof why), EDI_E_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_non_null(strstr(why, "nobody can approve"));
    assert_non_null(strstr(why, "own order"));
    assert_true(approval_user_may_decide(&users[2], "ben"));
    assert_false(approval_user_may_decide(&users[2], "carla"));
    assert_false(approval_user_may_decide(&users[5], "ben"));
    assert_false(approval_user_may_decide(&users[4], "ben"));
}

static void fingerprint(void **state)
{
    (void)state;
    char f[APPROVAL_FINGERPRINT_HEX], g[APPROVAL_FINGERPRINT_HEX];
    char why[100];
    /* FIPS 180-2 test vector */
    assert_int_equal(approval_fingerprint("abc", 3, f, why, sizeof why), EDI_OK);
    assert_string_equal(f, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *o1 = "<order><line><price>10.00</price></line></order>";
    const char *o2 = "<order><line><price>10.01</price></line></order>";
    assert_int_equal(approval_fingerprint(o1, strlen(o1), f, why, sizeof why), EDI_OK);
    assert_int_equal(approval_fingerprint(o2, strlen(o2), g, why, sizeof why), EDI_OK);
    assert_string_not_equal(f, g);
}

static approval pending(const char *fp, int64_t now)
{
    approval a;
    char why[200] = "";
    assert_int_equal(approval_start(&a, "ap-1", "ord-7", "cust-1", "ben",
                                    "The order needs approval: test.", fp, now, 3 * DAY, why,
                                    sizeof why), EDI_OK);
    return a;
}

static void start_checks(void **state)
{
    (void)state;
    approval a;
    char why[200];
    assert_int_equal(approval_start(&a, "", "o", "c", "", "", "", 0, 1, why, sizeof why),
                     EDI_E_ARG);
    assert_int_equal(approval_start(&a, "a", "o", "c", "", "", "ABC", 0, 1, why, sizeof why),
                     EDI_E_ARG);
    assert_non_null(strstr(why, "fingerprint"));
    char fp[APPROVAL_FINGERPRINT_HEX];
    approval_fingerprint("x", 1, fp, why, sizeof why);
    assert_int_equal(approval_start(&a, "a", "o", "c", "", "", fp, 100, 0, why, sizeof why),
                     EDI_E_ARG);
    assert_int_equal(approval_start(&a, "a", "o", "c", "", "r", fp, 100, 50, why, sizeof why),
                     EDI_OK);
    assert_int_equal(a.state, APPROVAL_PENDING);
    assert_int_equal(a.expires_at, 150);
    assert_string_equal(approval_state_name(a.state), "pending");
}

static void approve_and_reject(void **state)
{
    (void)state;
    char fp[APPROVAL_FINGERPRINT_HEX], why[400];
    approval_fingerprint("order", 5, fp, why, sizeof why);
    approval_user anna = user("anna", APPROVAL_ROLE_APPROVER, "anna@example.com");
    approval_user ben = user("ben", APPROVAL_ROLE_APPROVER | APPROVAL_ROLE_REQUISITIONER,
                             "ben@example.com");
    approval_user fritz = user("fritz", APPROVAL_ROLE_BUYER, "fritz@example.com");
    approval_refusal refusal;
    int64_t t0 = 1767225600; /* 2026-01-01 */

    approval a = pending(fp, t0);
    /* nobody approves their own order, even with the approver role */
    assert_int_equal(approval_decide(&a, true, &ben, fp, "ok", t0 + 60, &refusal, why,
                                     sizeof why), EDI_E_ARG);
    assert_int_equal(refusal, APPROVAL_REFUSED_OWN_ORDER);
    assert_non_null(strstr(why, "own order"));
    assert_int_equal(a.state, APPROVAL_PENDING);
    /* a buyer is no approver */
    assert_int_equal(approval_decide(&a, true, &fritz, fp, NULL, t0 + 60, &refusal, why,
                                     sizeof why), EDI_E_ARG);
    assert_int_equal(refusal, APPROVAL_REFUSED_NOT_APPROVER);
    /* approved by anna, with who, when and the comment */
    assert_int_equal(approval_decide(&a, true, &anna, fp, "fine", t0 + 120, &refusal, why,
                                     sizeof why), EDI_OK);
    assert_int_equal(refusal, APPROVAL_REFUSED_NONE);
    assert_int_equal(a.state, APPROVAL_APPROVED);
    assert_string_equal(a.decided_by, "anna");
    assert_int_equal(a.decided_at, t0 + 120);
    assert_string_equal(a.comment, "fine");
    /* once decided, never again */
    assert_int_equal(approval_decide(&a, false, &anna, fp, "oops", t0 + 180, &refusal, why,
                                     sizeof why), EDI_E_CONFLICT);
    assert_int_equal(refusal, APPROVAL_REFUSED_DECIDED);
    assert_int_equal(a.state, APPROVAL_APPROVED);
    assert_non_null(strstr(why, "already approved by anna"));

    /* a rejection needs a comment */
    approval b = pending(fp, t0);
    assert_int_equal(approval_decide(&b, false, &anna, fp, "", t0 + 1, &refusal, why,
                                     sizeof why), EDI_E_ARG);
    assert_int_equal(refusal, APPROVAL_REFUSED_COMMENT);
    assert_int_equal(approval_decide(&b, false, &anna, fp, "too expensive", t0 + 2, &refusal,
                                     why, sizeof why), EDI_OK);
    assert_int_equal(b.state, APPROVAL_REJECTED);
    assert_string_equal(b.comment, "too expensive");
}

static void changed_order_cannot_be_approved(void **state)
{
    (void)state;
    char fp[APPROVAL_FINGERPRINT_HEX], changed[APPROVAL_FINGERPRINT_HEX], why[400];
    approval_fingerprint("price 10.00", 11, fp, why, sizeof why);
    approval_fingerprint("price 12.00", 11, changed, why, sizeof why);
    approval_user anna = user("anna", APPROVAL_ROLE_ADMIN, "anna@example.com");
    approval_refusal refusal;
    approval a = pending(fp, 1000);
    assert_int_equal(approval_decide(&a, true, &anna, changed, NULL, 1001, &refusal, why,
                                     sizeof why), EDI_E_CONFLICT);
    assert_int_equal(refusal, APPROVAL_REFUSED_CHANGED);
    assert_non_null(strstr(why, "changed"));
    assert_int_equal(a.state, APPROVAL_PENDING);
    /* rejecting it is still possible */
    assert_int_equal(approval_decide(&a, false, &anna, changed, "changed", 1002, &refusal, why,
                                     sizeof why), EDI_OK);
    assert_int_equal(a.state, APPROVAL_REJECTED);
}

static void expiry(void **state)
{
    (void)state;
    char fp[APPROVAL_FINGERPRINT_HEX], why[400];
    approval_fingerprint("o", 1, fp, why, sizeof why);
    approval_user anna = user("anna", APPROVAL_ROLE_APPROVER, "anna@example.com");
    approval_refusal refusal;
    approval a = pending(fp, 1000);
    assert_false(approval_expire(&a, 1000 + 3 * DAY - 1));
    assert_int_equal(a.state, APPROVAL_PENDING);
    /* deciding after the expiry: refused, and the approval is now expired */
    assert_int_equal(approval_decide(&a, true, &anna, fp, NULL, 1000 + 3 * DAY, &refusal, why,
                                     sizeof why), EDI_E_CONFLICT);
    assert_int_equal(refusal, APPROVAL_REFUSED_EXPIRED);
    assert_int_equal(a.state, APPROVAL_EXPIRED);
    assert_int_equal(a.decided_at, 1000 + 3 * DAY);
    assert_string_equal(a.decided_by, "");
    assert_false(approval_expire(&a, 1000 + 4 * DAY));

    approval b = pending(fp, 1000);
    assert_true(approval_expire(&b, 1000 + 5 * DAY));
    assert_int_equal(b.state, APPROVAL_EXPIRED);
    assert_int_equal(b.decided_at, 1000 + 3 * DAY);
}

static void reminders(void **state)
{
    (void)state;
    char fp[APPROVAL_FINGERPRINT_HEX], why[100];
    approval_fingerprint("o", 1, fp, why, sizeof why);
    approval a = pending(fp, 0);       /* expires at 3 days */
    int64_t lead = DAY;
    assert_false(approval_reminder_due(&a, 0, lead));
    assert_false(approval_reminder_due(&a, 2 * DAY - 1, lead));
    assert_true(approval_reminder_due(&a, 2 * DAY, lead));
    assert_true(approval_reminder_due(&a, 3 * DAY - 1, lead));
    assert_false(approval_reminder_due(&a, 3 * DAY, lead));   /* too late: it expires */
    approval_mark_reminded(&a, 2 * DAY + 5);
    assert_int_equal(a.reminded_at, 2 * DAY + 5);
    assert_false(approval_reminder_due(&a, 2 * DAY + 6, lead));  /* once */
    /* a decided approval gets no reminder */
    approval b = pending(fp, 0);
    approval_user anna = user("anna", APPROVAL_ROLE_APPROVER, "anna@example.com");
    assert_int_equal(approval_decide(&b, true, &anna, fp, NULL, 10, NULL, why, sizeof why),
                     EDI_OK);
    assert_false(approval_reminder_due(&b, 2 * DAY + 1, lead));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roles_parse),
        cmocka_unit_test(no_policy_holds_nothing),
        cmocka_unit_test(customer_amount_limit),
        cmocka_unit_test(customer_requisitioners),
        cmocka_unit_test(customer_always),
        cmocka_unit_test(partner_policies),
        cmocka_unit_test(approver_choice),
        cmocka_unit_test(fingerprint),
        cmocka_unit_test(start_checks),
        cmocka_unit_test(approve_and_reject),
        cmocka_unit_test(changed_order_cannot_be_approved),
        cmocka_unit_test(expiry),
        cmocka_unit_test(reminders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
