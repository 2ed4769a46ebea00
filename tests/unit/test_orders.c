/* The order service (gateway/orders.h) on a real SQLite store and content store: which
 * moves the state machine allows and refuses, what a move does besides the state (the
 * order number recorded and the credit reserved on accepted, released on rejected), the
 * verdict of checks and approval rules, the answer plan and the canonical order response
 * built from it (valid against the canonical XSD, with type, reference and line statuses),
 * asking approvers (mail messages with envelopes and jobs; nobody eligible is a dead end in
 * the order's events), and deciding: the approver approves once, the requester may not
 * approve their own order, a user of another customer may not decide, a changed order
 * cannot be approved; an expired approval rejects the order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "approval_link.h"
#include "content_store.h"
#include "mapping.h"
#include "orders.h"
#include "store.h"
#include "store_master.h"
#include "store_orders.h"
#include "xpath_assert.h"

#define CANONICAL_XSD GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"

static const char order_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<order xmlns=\"urn:edi-gateway:canonical:1\" source=\"test\">"
    "<kind>order</kind><type code=\"220\">standard</type><number>PO-7</number>"
    "<date role=\"document\" format=\"102\">2026-11-26</date>"
    "<date role=\"delivery_requested\">2026-12-03</date><currency>EUR</currency>"
    "<reference kind=\"contract\">RV-1</reference>"
    "<party role=\"buyer\"><id scheme=\"gln\">4012345000016</id></party>"
    "<party role=\"supplier\"><id scheme=\"gln\">4098765000012</id></party>"
    "<line><number>1</number><gtin>4006381333931</gtin><quantity unit=\"C62\">48</quantity>"
    "<netPrice>12.50</netPrice></line>"
    "<line><number>2</number><gtin>4006381333948</gtin><quantity unit=\"MTR\">12.5</quantity>"
    "</line>"
    "<extension source=\"edifact\"><x xmlns=\"urn:other\"/></extension></order>";

typedef struct {
    char dir[256];
    char db[300];
    store *s;
    content_store *cs;
    approval_link_keys keys;
    orders_settings set;
    store_id message_id;
} fixture;

static void put_customer(store *s, const char *id)
{
    md_customer c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.name, sizeof c.name, "Customer %s", id);
    snprintf(c.currency, sizeof c.currency, "EUR");
    snprintf(c.credit_limit, sizeof c.credit_limit, "5000.00");
    char why[512];
    assert_int_equal(store_customer_put(s, &c, NULL, NULL, why, sizeof why), EDI_OK);
}

static void put_user(store *s, const char *id, const char *customer, unsigned roles,
                     const char *email)
{
    store_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.customer_id, sizeof u.customer_id, "%s", customer);
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
    snprintf(fx->dir, sizeof fx->dir, "%s/orders-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->db, sizeof fx->db, "%s/gateway.db", fx->dir);
    char why[512] = "", content[400];
    snprintf(content, sizeof content, "%s/content", fx->dir);
    fx->s = store_open_sqlite(fx->db, why, sizeof why);
    fx->cs = content_store_open(content, why, sizeof why);
    if (!fx->s || !fx->cs) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    const char key[] = "0123456789abcdef0123456789abcdef-test-key";
    if (approval_link_key_from_bytes(key, sizeof key - 1, &fx->keys.current, why, sizeof why))
        return -1;
    fx->set = (orders_settings){ .keys = &fx->keys, .link_base = "http://127.0.0.1:1",
                                 .mail_from = "orders@gw.example", .mail_from_name = "Gateway",
                                 .lifetime_s = 3600, .reminder_lead_s = 600 };
    put_customer(fx->s, "K-1");
    put_customer(fx->s, "K-2");
    put_user(fx->s, "U-ADMIN", "K-1", STORE_ROLE_ADMIN | STORE_ROLE_APPROVER, "admin@k1.example");
    put_user(fx->s, "U-REQ", "K-1", STORE_ROLE_REQUISITIONER | STORE_ROLE_APPROVER,
             "req@k1.example");
    put_user(fx->s, "U-BUY", "K-1", STORE_ROLE_BUYER, "buy@k1.example");
    put_user(fx->s, "U-OTHER", "K-2", STORE_ROLE_APPROVER, "approver@k2.example");
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

/* A received order of customer K-1 for 600.00 EUR placed by `requester`. */
static void new_order(fixture *fx, const char *number, const char *requester, store_order *o)
{
    char why[512];
    memset(o, 0, sizeof *o);
    o->message_id = fx->message_id;
    snprintf(o->customer_id, sizeof o->customer_id, "K-1");
    snprintf(o->requester_user_id, sizeof o->requester_user_id, "%s", requester);
    snprintf(o->number, sizeof o->number, "%s", number);
    snprintf(o->state, sizeof o->state, "received");
    snprintf(o->amount, sizeof o->amount, "600.00");
    snprintf(o->currency, sizeof o->currency, "EUR");
    assert_int_equal(content_store_put(fx->cs, order_xml, sizeof order_xml - 1, o->content_id, why,
                                       sizeof why), EDI_OK);
    assert_int_equal(approval_fingerprint(order_xml, sizeof order_xml - 1, o->fingerprint, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_order_insert(fx->s, o, &o->id, NULL, why, sizeof why), EDI_OK);
}

static void moves_allowed_and_refused(void **state)
{
    (void)state;
    assert_true(orders_move_allowed(ORDER_RECEIVED, ORDER_HELD));
    assert_true(orders_move_allowed(ORDER_RECEIVED, ORDER_ACCEPTED));
    assert_true(orders_move_allowed(ORDER_RECEIVED, ORDER_REJECTED));
    assert_true(orders_move_allowed(ORDER_HELD, ORDER_ACCEPTED));
    assert_true(orders_move_allowed(ORDER_HELD, ORDER_REJECTED));
    assert_true(orders_move_allowed(ORDER_ACCEPTED, ORDER_CONFIRMED));
    assert_true(orders_move_allowed(ORDER_CONFIRMED, ORDER_DESPATCHED));
    assert_true(orders_move_allowed(ORDER_DESPATCHED, ORDER_INVOICED));
    assert_false(orders_move_allowed(ORDER_RECEIVED, ORDER_CONFIRMED));
    assert_false(orders_move_allowed(ORDER_HELD, ORDER_HELD));
    assert_false(orders_move_allowed(ORDER_ACCEPTED, ORDER_HELD));
    assert_false(orders_move_allowed(ORDER_ACCEPTED, ORDER_REJECTED));
    assert_false(orders_move_allowed(ORDER_REJECTED, ORDER_ACCEPTED));
    assert_false(orders_move_allowed(ORDER_INVOICED, ORDER_RECEIVED));
    order_state st;
    assert_true(order_state_parse("despatched", &st));
    assert_int_equal(st, ORDER_DESPATCHED);
    assert_false(order_state_parse("shipped", &st));
    assert_int_equal(orders_verdict_of(ORDER_ACTION_REJECT, true), ORDERS_REJECT);
    assert_int_equal(orders_verdict_of(ORDER_ACTION_HOLD, true), ORDERS_HOLD);
    assert_int_equal(orders_verdict_of(ORDER_ACTION_AMEND, true), ORDERS_APPROVAL);
    assert_int_equal(orders_verdict_of(ORDER_ACTION_WARN, false), ORDERS_ACCEPT);
}

static void accept_reserves_reject_releases(void **state)
{
    fixture *fx = *state;
    char why[512], exposure[DECIMAL_TEXT_MAX];
    store_order a, b;
    new_order(fx, "PO-A", "", &a);
    new_order(fx, "PO-B", "", &b);
    assert_int_equal(store_begin(fx->s, why, sizeof why), EDI_OK);
    assert_int_equal(orders_move(fx->s, &a, ORDER_ACCEPTED, "t", "ok", NULL, why, sizeof why),
                     EDI_OK);
    assert_int_equal(orders_move(fx->s, &b, ORDER_HELD, "t", "price", NULL, why, sizeof why),
                     EDI_OK);
    assert_int_equal(store_commit(fx->s, why, sizeof why), EDI_OK);
    assert_string_equal(a.state, "accepted");
    assert_int_equal(store_credit_exposure(fx->s, "K-1", 0, exposure, sizeof exposure, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(exposure, "600.00");
    /* The number is taken: a second order of K-1 with it would be a duplicate. */
    assert_int_equal(store_order_number_record(fx->s, "K-1", "PO-A", fx->message_id + 1, why,
                                               sizeof why), EDI_E_CONFLICT);
    /* Refused moves change nothing. */
    assert_int_equal(orders_move(fx->s, &a, ORDER_HELD, "t", "", NULL, why, sizeof why),
                     EDI_E_ARG);
    assert_non_null(strstr(why, "is accepted and cannot become held"));
    store_order stale = b;
    assert_int_equal(orders_move(fx->s, &b, ORDER_REJECTED, "t", "no", NULL, why, sizeof why),
                     EDI_OK);
    assert_int_equal(orders_move(fx->s, &stale, ORDER_ACCEPTED, "t", "", NULL, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(store_credit_exposure(fx->s, "K-1", 0, exposure, sizeof exposure, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(exposure, "600.00");
    /* The accepted order goes on: confirmed, despatched, invoiced. */
    assert_int_equal(orders_move(fx->s, &a, ORDER_CONFIRMED, "t", "", NULL, why, sizeof why),
                     EDI_OK);
    assert_int_equal(orders_move(fx->s, &a, ORDER_INVOICED, "t", "", NULL, why, sizeof why),
                     EDI_E_ARG);
}

static void response_from_plan(void **state)
{
    (void)state;
    order_check_result cr = { 0 };
    order_finding f[2] = { { .action = ORDER_ACTION_AMEND, .reason = OC_PRICE_ADDED, .line = "2" },
                           { .action = ORDER_ACTION_WARN, .reason = OC_PRICE_WITHIN_TOLERANCE,
                             .line = "1" } };
    cr.items = f;
    cr.count = 2;
    char plan[512], why[512];
    assert_int_equal(orders_answer_plan(&cr, false, plan, sizeof plan), EDI_OK);
    assert_string_equal(plan, "{\"lines\":{\"2\":\"changed\"},\"type\":\"changed\"}");
    assert_int_equal(orders_answer_plan(&cr, true, plan, sizeof plan), EDI_OK);
    assert_string_equal(plan, "{\"lines\":{},\"type\":\"rejected\"}");
    assert_int_equal(orders_answer_plan(&cr, false, plan, 10), EDI_E_LIMIT);

    xmlDocPtr order =
        xmlReadMemory(order_xml, (int)sizeof order_xml - 1, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(order);
    xmlDocPtr resp = NULL;
    assert_int_equal(orders_build_response(order, "{\"lines\":{\"2\":\"changed\"},\"type\":"
                                                  "\"changed\"}",
                                           "R7", "2026-11-27", &resp, why, sizeof why), EDI_OK);
    mapping_ctx *m = mapping_new(CANONICAL_XSD);
    assert_non_null(m);
    doc_findings df;
    doc_findings_init(&df);
    assert_int_equal(mapping_schema_check(m, CANONICAL_XSD, resp, DOC_ERROR, "XSD", &df, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(df.count, 0);
    doc_findings_free(&df);
    mapping_free(m);
    assert_xpath(resp, "local-name(/*)", "orderResponse");
    assert_xpath(resp, "/c:orderResponse/c:kind", "order_response");
    assert_xpath(resp, "/c:orderResponse/c:type", "changed");
    assert_xpath(resp, "count(/c:orderResponse/c:type/@code)", "0");
    assert_xpath(resp, "/c:orderResponse/c:number", "R7");
    assert_xpath(resp, "/c:orderResponse/c:date[@role='document']", "2026-11-27");
    assert_xpath(resp, "/c:orderResponse/c:date[@role='delivery_requested']", "2026-12-03");
    assert_xpath(resp, "/c:orderResponse/c:reference[@kind='customer_order']", "PO-7");
    assert_xpath(resp, "/c:orderResponse/c:reference[1]/@kind", "customer_order");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:status", "accepted");
    assert_xpath(resp, "/c:orderResponse/c:line[2]/c:status", "changed");
    assert_xpath(resp, "count(/c:orderResponse/c:extension)", "0");
    xmlFreeDoc(resp);
    assert_int_equal(orders_build_response(order, "{\"lines\":{},\"type\":\"rejected\"}", "R8",
                                           "2026-11-27", &resp, why, sizeof why), EDI_OK);
    assert_xpath(resp, "/c:orderResponse/c:line[2]/c:status", "rejected");
    xmlFreeDoc(resp);
    assert_int_equal(orders_build_response(order, "{\"type\":\"maybe\"}", "R9", "2026-11-27",
                                           &resp, why, sizeof why), EDI_E_ARG);
    assert_null(resp);
    assert_int_equal(orders_build_response(resp, "{\"type\":\"accepted\"}", "R9", "2026-11-27",
                                           &resp, why, sizeof why), EDI_E_ARG);
    xmlFreeDoc(order);
}

static int count_events(void *ctx, const store_order_event *e)
{
    const char **want = ctx;
    if (!strcmp(e->event, want[0]))
        want[1] = "found";
    return 0;
}

static bool has_event(fixture *fx, store_id order, const char *event)
{
    const char *want[2] = { event, NULL };
    char why[256];
    assert_int_equal(store_order_event_list(fx->s, order, count_events, want, why, sizeof why),
                     EDI_OK);
    return want[1] != NULL;
}

typedef struct {
    int mails;
    char to[8][APPROVAL_EMAIL_MAX];
    store *s;
} mail_count;

static int count_mails(void *ctx, const store_message *m)
{
    mail_count *c = ctx;
    if (strcmp(m->channel, "mail") || c->mails >= 8)
        return 0;
    char from[APPROVAL_EMAIL_MAX], why[256];
    assert_int_equal(store_mail_envelope_get(c->s, m->id, from, c->to[c->mails], why, sizeof why),
                     EDI_OK);
    assert_string_equal(from, "orders@gw.example");
    c->mails++;
    return 0;
}

/* Hold order `o` and ask for approval. */
static void hold_for_approval(fixture *fx, store_order *o, size_t *asked)
{
    char why[512];
    assert_int_equal(store_begin(fx->s, why, sizeof why), EDI_OK);
    assert_int_equal(orders_move(fx->s, o, ORDER_HELD, "t", "approval", NULL, why, sizeof why),
                     EDI_OK);
    assert_int_equal(orders_start_approval(fx->s, fx->cs, &fx->set, o, "The order needs approval.",
                                           1000, "t", asked, why, sizeof why), EDI_OK);
    assert_int_equal(store_commit(fx->s, why, sizeof why), EDI_OK);
}

static edi_result decide(fixture *fx, const char *approval_id, const char *user, bool approve,
                         const char *comment, int64_t now, orders_decision *d, char *why,
                         size_t why_n)
{
    assert_int_equal(store_begin(fx->s, why, why_n), EDI_OK);
    edi_result r = orders_decide_approval(fx->s, approval_id, user, approve, comment, now, d, why,
                                          why_n);
    if (r == EDI_OK)
        assert_int_equal(store_commit(fx->s, why, why_n), EDI_OK);
    else
        store_rollback(fx->s);
    return r;
}

static void approval_asked_and_decided(void **state)
{
    fixture *fx = *state;
    char why[512], aid[APPROVAL_ID_MAX];
    store_order o;
    new_order(fx, "PO-R", "U-REQ", &o);
    size_t asked = 0;
    hold_for_approval(fx, &o, &asked);
    assert_int_equal(asked, 1);   /* U-ADMIN; not the requester, not the buyer */
    mail_count mc = { .s = fx->s };
    store_message_filter flt = { .direction = STORE_OUT };
    assert_int_equal(store_message_list(fx->s, &flt, count_mails, &mc, why, sizeof why), EDI_OK);
    assert_int_equal(mc.mails, 1);
    assert_string_equal(mc.to[0], "admin@k1.example");
    assert_true(has_event(fx, o.id, "approval-asked"));
    int64_t waiting = 0, dead = 0;
    assert_int_equal(store_job_counts(fx->s, &waiting, &dead, why, sizeof why), EDI_OK);
    assert_int_equal(waiting, 1);  /* the "mail" job */
    snprintf(aid, sizeof aid, "A%lld", (long long)o.id);

    orders_decision d;
    /* Nobody approves their own order, even with the approver role. */
    assert_int_equal(decide(fx, aid, "U-REQ", true, "", 1100, &d, why, sizeof why), EDI_E_ARG);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_OWN_ORDER);
    assert_non_null(strstr(why, "own order"));
    assert_int_equal(decide(fx, aid, "U-BUY", true, "", 1100, &d, why, sizeof why), EDI_E_ARG);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_NOT_APPROVER);
    assert_int_equal(decide(fx, aid, "U-OTHER", true, "", 1100, &d, why, sizeof why), EDI_E_ARG);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_NOT_APPROVER);
    assert_int_equal(decide(fx, aid, "U-ADMIN", true, "fine", 1100, &d, why, sizeof why), EDI_OK);
    assert_string_equal(d.order.state, "accepted");
    assert_int_equal(d.decided.state, APPROVAL_APPROVED);
    assert_string_equal(d.decided.decided_by, "U-ADMIN");
    store_order now;
    assert_int_equal(store_order_get(fx->s, o.id, &now, why, sizeof why), EDI_OK);
    assert_string_equal(now.state, "accepted");
    assert_true(has_event(fx, o.id, "accepted"));
    assert_int_equal(store_job_counts(fx->s, &waiting, &dead, why, sizeof why), EDI_OK);
    assert_int_equal(waiting, 2);  /* and the "answer" job */
    /* Decided once. */
    assert_int_equal(decide(fx, aid, "U-ADMIN", false, "no", 1200, &d, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_DECIDED);
}

static void changed_order_cannot_be_approved(void **state)
{
    fixture *fx = *state;
    char why[512], aid[APPROVAL_ID_MAX], oid[32], fp[65];
    store_order o;
    new_order(fx, "PO-C", "", &o);
    assert_int_equal(orders_move(fx->s, &o, ORDER_HELD, "t", "", NULL, why, sizeof why), EDI_OK);
    /* The approval was asked for another content than the order has now. */
    memset(fp, '0', 64);
    fp[64] = '\0';
    snprintf(oid, sizeof oid, "%lld", (long long)o.id);
    approval a;
    assert_int_equal(approval_start(&a, "A-OLD", oid, "K-1", "", "always", fp, 1000, 3600, why,
                                    sizeof why), EDI_OK);
    assert_int_equal(store_approval_insert(fx->s, &a, why, sizeof why), EDI_OK);
    snprintf(aid, sizeof aid, "A-OLD");
    orders_decision d;
    assert_int_equal(decide(fx, aid, "U-ADMIN", true, "", 1100, &d, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(d.refusal, APPROVAL_REFUSED_CHANGED);
    store_order now;
    assert_int_equal(store_order_get(fx->s, o.id, &now, why, sizeof why), EDI_OK);
    assert_string_equal(now.state, "held");
    /* It can still be rejected. */
    assert_int_equal(decide(fx, aid, "U-ADMIN", false, "changed, order again", 1100, &d, why,
                            sizeof why), EDI_OK);
    assert_string_equal(d.order.state, "rejected");
    assert_non_null(strstr(d.order.answer, "rejected"));
}

static void dead_end_and_expiry(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_order o;
    /* U-ADMIN places the order: the only other approver is U-REQ (approver too). */
    assert_int_equal(store_user_set_active(fx->s, "U-REQ", false, why, sizeof why), EDI_OK);
    new_order(fx, "PO-D", "U-ADMIN", &o);
    size_t asked = 9;
    hold_for_approval(fx, &o, &asked);
    assert_int_equal(asked, 0);
    assert_true(has_event(fx, o.id, "approval-stuck"));
    /* A reminder is due 600 s before the end; then the approval expires. */
    size_t changed = 0;
    assert_int_equal(orders_approval_tick(fx->s, fx->cs, &fx->set, 2000, "t", &changed, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(orders_approval_tick(fx->s, fx->cs, &fx->set, 4100, "t", &changed, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(changed, 1);
    approval a;
    char aid[APPROVAL_ID_MAX];
    snprintf(aid, sizeof aid, "A%lld", (long long)o.id);
    assert_int_equal(store_approval_get(fx->s, aid, &a, why, sizeof why), EDI_OK);
    assert_int_equal(a.reminded_at, 4100);
    assert_int_equal(orders_approval_tick(fx->s, fx->cs, &fx->set, 4700, "t", &changed, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(store_approval_get(fx->s, aid, &a, why, sizeof why), EDI_OK);
    assert_int_equal(a.state, APPROVAL_EXPIRED);
    store_order now;
    assert_int_equal(store_order_get(fx->s, o.id, &now, why, sizeof why), EDI_OK);
    assert_string_equal(now.state, "rejected");
    assert_int_equal(orders_approval_tick(fx->s, fx->cs, &fx->set, 5000, "t", &changed, why,
                                          sizeof why), EDI_OK);
    assert_int_equal(changed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moves_allowed_and_refused),
        cmocka_unit_test_setup_teardown(accept_reserves_reject_releases, setup, teardown),
        cmocka_unit_test(response_from_plan),
        cmocka_unit_test_setup_teardown(approval_asked_and_decided, setup, teardown),
        cmocka_unit_test_setup_teardown(changed_order_cannot_be_approved, setup, teardown),
        cmocka_unit_test_setup_teardown(dead_end_and_expiry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
