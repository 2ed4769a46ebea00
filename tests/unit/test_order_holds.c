/* Decisions on held orders (gateway/order_holds.h) on a real SQLite store and content store:
 * who a held order waits for (the seller after a check's hold, the customer's approver once
 * an approval was asked); the seller's release of a check's hold -> accepted with the credit
 * reserved, the "released" event naming who and why, and the "answer" job; a release when
 * the customer's approval rules still apply -> the approval started and the approvers
 * asked by mail, the order still held; the seller's rejection (a comment required) with a
 * rejecting answer plan; refusals for orders that are not held, wait for the approver, or
 * do not exist; and the customer user's decision through the order (own order refused, an
 * order held for the seller is not theirs, decided once). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approval_link.h"
#include "content_store.h"
#include "order_holds.h"
#include "mailer.h"
#include "orders.h"
#include "store.h"
#include "store_master.h"
#include "store_orders.h"

static const char order_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<order xmlns=\"urn:edi-gateway:canonical:1\" source=\"test\">"
    "<kind>order</kind><type code=\"220\">standard</type><number>PO-H</number>"
    "<date role=\"document\" format=\"102\">2026-11-26</date><currency>EUR</currency>"
    "<line><number>1</number><gtin>4006381333931</gtin><quantity unit=\"C62\">48</quantity>"
    "<netPrice>12.50</netPrice></line></order>";

typedef struct {
    char dir[256];
    store *s;
    content_store *cs;
    approval_link_keys keys;
    orders_settings set;
    store_id message_id;
} fixture;

static void put_user(store *s, const char *id, unsigned roles, const char *email)
{
    store_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.customer_id, sizeof u.customer_id, "K-1");
    snprintf(u.name, sizeof u.name, "Name of %s", id);
    snprintf(u.email, sizeof u.email, "%s", email);
    u.roles = roles;
    char why[512];
    assert_int_equal(store_user_put(s, &u, NULL, NULL, why, sizeof why), EDI_OK);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/holds-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    char why[512] = "", path[400];
    snprintf(path, sizeof path, "%s/gateway.db", fx->dir);
    fx->s = store_open_sqlite(path, why, sizeof why);
    snprintf(path, sizeof path, "%s/content", fx->dir);
    fx->cs = content_store_open(path, why, sizeof why);
    if (!fx->s || !fx->cs) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    const char key[] = "0123456789abcdef0123456789abcdef-holds-key";
    if (approval_link_key_from_bytes(key, sizeof key - 1, &fx->keys.current, why, sizeof why))
        return -1;
    fx->set = (orders_settings){ .keys = &fx->keys, .link_base = "http://127.0.0.1:1",
                                 .mail_from = "orders@gw.example", .lifetime_s = 3600 };
    md_customer c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "K-1");
    snprintf(c.name, sizeof c.name, "Customer K-1");
    snprintf(c.currency, sizeof c.currency, "EUR");
    snprintf(c.credit_limit, sizeof c.credit_limit, "5000.00");
    assert_int_equal(store_customer_put(fx->s, &c, NULL, NULL, why, sizeof why), EDI_OK);
    /* Orders of requisitioners and orders above 1000.00 EUR need approval. */
    assert_int_equal(store_customer_set_approval_policy(fx->s, "K-1", false, true, "1000.00", why,
                                                        sizeof why), EDI_OK);
    put_user(fx->s, "U-ADMIN", STORE_ROLE_ADMIN | STORE_ROLE_APPROVER, "admin@k1.example");
    put_user(fx->s, "U-APP", STORE_ROLE_APPROVER | STORE_ROLE_BUYER, "app@k1.example");
    put_user(fx->s, "U-REQ", STORE_ROLE_REQUISITIONER, "req@k1.example");
    put_user(fx->s, "U-BUY", STORE_ROLE_BUYER, "buy@k1.example");
    store_message m;
    memset(&m, 0, sizeof m);
    m.direction = STORE_IN;
    snprintf(m.channel, sizeof m.channel, "api");
    assert_int_equal(content_store_put(fx->cs, order_xml, sizeof order_xml - 1, m.content_id, why,
                                       sizeof why), EDI_OK);
    m.size = sizeof order_xml - 1;
    assert_int_equal(store_message_insert(fx->s, &m, NULL, &fx->message_id, why, sizeof why),
                     EDI_OK);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    content_store_close(fx->cs);
    approval_link_key_clear(&fx->keys.current);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

/* An order of K-1 for `amount` placed by `requester`, held by a check (the seller's). */
static void seller_held(fixture *fx, const char *number, const char *requester,
                        const char *amount, store_order *o)
{
    char why[512];
    memset(o, 0, sizeof *o);
    o->message_id = fx->message_id;
    snprintf(o->customer_id, sizeof o->customer_id, "K-1");
    snprintf(o->requester_user_id, sizeof o->requester_user_id, "%s", requester);
    snprintf(o->number, sizeof o->number, "%s", number);
    snprintf(o->state, sizeof o->state, "received");
    snprintf(o->amount, sizeof o->amount, "%s", amount);
    snprintf(o->currency, sizeof o->currency, "EUR");
    snprintf(o->answer, sizeof o->answer, "{\"lines\":{},\"type\":\"accepted\"}");
    assert_int_equal(content_store_put(fx->cs, order_xml, sizeof order_xml - 1, o->content_id, why,
                                       sizeof why), EDI_OK);
    assert_int_equal(approval_fingerprint(order_xml, sizeof order_xml - 1, o->fingerprint, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_order_insert(fx->s, o, &o->id, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(orders_move(fx->s, o, ORDER_HELD, "t", "Held for the seller's staff: "
                                 "PRICE_DIFFERS line 1.", NULL, why, sizeof why), EDI_OK);
}

typedef struct {
    const char *event;
    char detail[1024];
    char actor[64];
    int count;
} event_seek;

static int seek(void *ctx, const store_order_event *e)
{
    event_seek *k = ctx;
    if (!strcmp(e->event, k->event)) {
        k->count++;
        snprintf(k->detail, sizeof k->detail, "%s", e->detail);
        snprintf(k->actor, sizeof k->actor, "%s", e->actor);
    }
    return 0;
}

static event_seek find_event(fixture *fx, store_id order, const char *event)
{
    event_seek k = { .event = event };
    char why[256];
    assert_int_equal(store_order_event_list(fx->s, order, seek, &k, why, sizeof why), EDI_OK);
    return k;
}

static int64_t waiting_jobs(fixture *fx)
{
    int64_t waiting = 0, dead = 0;
    char why[256];
    assert_int_equal(store_job_counts(fx->s, &waiting, &dead, why, sizeof why), EDI_OK);
    return waiting;
}

static int count_mail(void *ctx, const store_message *m)
{
    if (!strcmp(m->channel, "mail") && !strcmp(m->format, "approval mail"))
        (*(int *)ctx)++;
    return 0;
}

static order_hold_kind kind_of(fixture *fx, store_id id)
{
    store_order o;
    order_hold_kind k = ORDER_HOLD_NONE;
    char why[256];
    assert_int_equal(store_order_get(fx->s, id, &o, why, sizeof why), EDI_OK);
    assert_int_equal(order_holds_kind(fx->s, &o, &k, NULL, why, sizeof why), EDI_OK);
    return k;
}

static edi_result release(fixture *fx, store_id id, const char *by, const char *comment,
                          order_holds_outcome *out, char *why, size_t why_n)
{
    assert_int_equal(store_begin(fx->s, why, why_n), EDI_OK);
    edi_result r = order_holds_release(fx->s, fx->cs, NULL, &fx->set, id, by, comment,
                                       "staff:test", 1000, out, why, why_n);
    if (r == EDI_OK)
        assert_int_equal(store_commit(fx->s, why, why_n), EDI_OK);
    else
        store_rollback(fx->s);
    return r;
}

static edi_result reject(fixture *fx, store_id id, const char *comment, order_holds_outcome *out,
                         char *why, size_t why_n)
{
    assert_int_equal(store_begin(fx->s, why, why_n), EDI_OK);
    edi_result r = order_holds_reject(fx->s, id, "Bea Staff", comment, "staff:Bea Staff", out,
                                      why, why_n);
    if (r == EDI_OK)
        assert_int_equal(store_commit(fx->s, why, why_n), EDI_OK);
    else
        store_rollback(fx->s);
    return r;
}

static edi_result decide(fixture *fx, store_id id, const char *user, bool approve,
                         const char *comment, orders_decision *d, char *why, size_t why_n)
{
    assert_int_equal(store_begin(fx->s, why, why_n), EDI_OK);
    edi_result r = order_holds_decide(fx->s, id, user, approve, comment, 1100, d, why, why_n);
    if (r == EDI_OK)
        assert_int_equal(store_commit(fx->s, why, why_n), EDI_OK);
    else
        store_rollback(fx->s);
    return r;
}

static void release_accepts_and_reserves(void **state)
{
    fixture *fx = *state;
    char why[512], exposure[DECIMAL_TEXT_MAX];
    store_order o;
    seller_held(fx, "PO-1", "U-BUY", "600.00", &o);
    assert_int_equal(kind_of(fx, o.id), ORDER_HOLD_SELLER);
    int64_t jobs = waiting_jobs(fx);
    order_holds_outcome out;
    assert_int_equal(release(fx, o.id, "", "x", &out, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "staff member"));
    assert_int_equal(release(fx, o.id, "Bea Staff", "price agreed", &out, why, sizeof why),
                     EDI_OK);
    assert_false(out.approval);
    assert_string_equal(out.order.state, "accepted");
    assert_int_equal(kind_of(fx, o.id), ORDER_HOLD_NONE);
    event_seek k = find_event(fx, o.id, "released");
    assert_int_equal(k.count, 1);
    assert_string_equal(k.actor, "staff:test");
    assert_string_equal(k.detail, "Released by Bea Staff (seller's staff): price agreed");
    assert_int_equal(find_event(fx, o.id, "accepted").count, 1);
    /* accepted through orders_move: the amount is reserved, the number recorded */
    assert_int_equal(store_credit_exposure(fx->s, "K-1", 0, exposure, sizeof exposure, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(exposure, "600.00");
    assert_int_equal(store_order_number_record(fx->s, "K-1", "PO-1", fx->message_id + 1, why,
                                               sizeof why), EDI_E_CONFLICT);
    /* the answer plan is the one the checks stored, and the answer job is queued */
    store_order now;
    assert_int_equal(store_order_get(fx->s, o.id, &now, why, sizeof why), EDI_OK);
    assert_string_equal(now.answer, "{\"lines\":{},\"type\":\"accepted\"}");
    assert_int_equal(waiting_jobs(fx), jobs + 1);
    /* once */
    assert_int_equal(release(fx, o.id, "Bea Staff", "", &out, why, sizeof why), EDI_E_CONFLICT);
    assert_non_null(strstr(why, "is accepted, not held"));
    assert_int_equal(release(fx, o.id + 100, "Bea Staff", "", &out, why, sizeof why),
                     EDI_E_NOT_FOUND);
}

static void release_into_approval(void **state)
{
    fixture *fx = *state;
    char why[512], exposure[DECIMAL_TEXT_MAX];
    store_order o;
    seller_held(fx, "PO-2", "U-REQ", "6000.00", &o);
    order_holds_outcome out;
    int mails = 0;
    store_message_filter flt = { .direction = STORE_OUT };
    assert_int_equal(release(fx, o.id, "Credit Desk", "limit raised", &out, why, sizeof why),
                     EDI_OK);
    assert_true(out.approval);
    assert_int_equal(out.asked, 2); /* U-ADMIN and U-APP; not the requisitioner, not the buyer */
    assert_string_equal(out.order.state, "held");
    assert_non_null(strstr(out.reason, "requisitioner"));
    assert_non_null(strstr(out.reason, "1000.00"));
    assert_int_equal(kind_of(fx, o.id), ORDER_HOLD_APPROVAL);
    assert_int_equal(find_event(fx, o.id, "released").count, 1);
    assert_int_equal(find_event(fx, o.id, "approval-asked").count, 1);
    assert_int_equal(find_event(fx, o.id, "accepted").count, 0);
    assert_int_equal(store_message_list(fx->s, &flt, count_mail, &mails, why, sizeof why),
                     EDI_OK);
    assert_int_equal(mails, 2);
    /* nothing reserved while the approver decides */
    assert_int_equal(store_credit_exposure(fx->s, "K-1", 0, exposure, sizeof exposure, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(exposure, "0");
    /* now it is the approver's, not the seller's */
    assert_int_equal(release(fx, o.id, "Credit Desk", "", &out, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_non_null(strstr(why, "waits for the customer's approval A"));
    assert_int_equal(reject(fx, o.id, "no", &out, why, sizeof why), EDI_E_CONFLICT);
    orders_decision d;
    assert_int_equal(decide(fx, o.id, "U-REQ", true, "", &d, why, sizeof why), EDI_E_ARG);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_OWN_ORDER);
    assert_int_equal(decide(fx, o.id, "U-APP", true, "ok", &d, why, sizeof why), EDI_OK);
    assert_string_equal(d.order.state, "accepted");
    assert_int_equal(d.decided.state, APPROVAL_APPROVED);
    assert_int_equal(store_credit_exposure(fx->s, "K-1", 0, exposure, sizeof exposure, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(exposure, "6000.00");
    assert_int_equal(decide(fx, o.id, "U-ADMIN", false, "no", &d, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_DECIDED);
}

static void reject_needs_a_comment(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_order o;
    seller_held(fx, "PO-3", "", "600.00", &o);
    order_holds_outcome out;
    orders_decision d;
    /* a customer user cannot decide what the seller holds */
    assert_int_equal(decide(fx, o.id, "U-ADMIN", true, "", &d, why, sizeof why), EDI_E_CONFLICT);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_NONE);
    assert_non_null(strstr(why, "waits for the seller's staff"));
    int64_t jobs = waiting_jobs(fx);
    assert_int_equal(reject(fx, o.id, "", &out, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "needs a comment"));
    assert_int_equal(kind_of(fx, o.id), ORDER_HOLD_SELLER);
    assert_int_equal(reject(fx, o.id, "12.90 is not our price", &out, why, sizeof why), EDI_OK);
    assert_string_equal(out.order.state, "rejected");
    store_order now;
    assert_int_equal(store_order_get(fx->s, o.id, &now, why, sizeof why), EDI_OK);
    assert_non_null(strstr(now.answer, "\"type\":\"rejected\""));
    event_seek k = find_event(fx, o.id, "rejected");
    assert_int_equal(k.count, 1);
    assert_string_equal(k.actor, "staff:Bea Staff");
    assert_string_equal(k.detail, "Rejected by Bea Staff (seller's staff): 12.90 is not our "
                                  "price");
    assert_int_equal(waiting_jobs(fx), jobs + 1);
    assert_int_equal(reject(fx, o.id, "again", &out, why, sizeof why), EDI_E_CONFLICT);
    /* an order that was never held waits for nobody */
    store_order fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.message_id = fx->message_id;
    snprintf(fresh.customer_id, sizeof fresh.customer_id, "K-1");
    snprintf(fresh.number, sizeof fresh.number, "PO-4");
    snprintf(fresh.state, sizeof fresh.state, "received");
    snprintf(fresh.content_id, sizeof fresh.content_id, "%s", o.content_id);
    assert_int_equal(store_order_insert(fx->s, &fresh, &fresh.id, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(kind_of(fx, fresh.id), ORDER_HOLD_NONE);
    assert_int_equal(decide(fx, fresh.id, "U-ADMIN", true, "", &d, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_non_null(strstr(why, "never waiting for an approval"));
}

static void approval_rules_as_the_check_step(void **state)
{
    fixture *fx = *state;
    char why[512], reason[APPROVAL_REASON_MAX];
    bool needed = true;
    store_order o;
    seller_held(fx, "PO-5", "U-BUY", "999.99", &o);
    assert_int_equal(order_holds_approval_needed(fx->s, NULL, &o, &needed, reason, sizeof reason,
                                                 why, sizeof why), EDI_OK);
    assert_false(needed);
    snprintf(o.amount, sizeof o.amount, "1000.01");
    assert_int_equal(order_holds_approval_needed(fx->s, NULL, &o, &needed, reason, sizeof reason,
                                                 why, sizeof why), EDI_OK);
    assert_true(needed);
    assert_non_null(strstr(reason, "1000.00"));
    /* an EDI order (no customer user) is the partner profile's: none given here */
    o.requester_user_id[0] = '\0';
    assert_int_equal(order_holds_approval_needed(fx->s, NULL, &o, &needed, reason, sizeof reason,
                                                 why, sizeof why), EDI_OK);
    assert_false(needed);
    assert_string_equal(order_hold_kind_name(ORDER_HOLD_SELLER), "seller");
    assert_string_equal(order_hold_kind_name(ORDER_HOLD_APPROVAL), "approval");
    assert_string_equal(order_hold_kind_name(ORDER_HOLD_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(release_accepts_and_reserves, setup, teardown),
        cmocka_unit_test_setup_teardown(release_into_approval, setup, teardown),
        cmocka_unit_test_setup_teardown(reject_needs_a_comment, setup, teardown),
        cmocka_unit_test_setup_teardown(approval_rules_as_the_check_step, setup, teardown),
    };
    mailer_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mailer_shutdown();
    return rc;
}
