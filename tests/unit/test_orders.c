/* The order service (gateway/orders.h) on a real SQLite store and content store: which
 * moves the state machine allows and refuses, what a move does besides the state (the
 * order number recorded and the credit reserved on accepted, released on rejected), the
 * verdict of checks and approval rules, the answer plan and the canonical order response
 * built from it (valid against the canonical XSD, with type, reference and line statuses;
 * the amended currency, unit, quantity and price as values, written to ORDRSP and openTRANS
 * ORDERRESPONSE; despatch and invoice built from the order as its plan amended it),
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
#include "convert.h"
#include "mapping.h"
#include "mailer.h"
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
    /* An amend without a value (an override's) names the line; a warn's value is not used. */
    order_finding f[2] = {
        { .action = ORDER_ACTION_AMEND, .reason = OC_PRICE_DIFFERS, .line = "2" },
        { .action = ORDER_ACTION_WARN, .reason = OC_PRICE_WITHIN_TOLERANCE, .line = "1",
          .field = ORDER_FIELD_PRICE, .value = "12.40" },
    };
    cr.items = f;
    cr.count = 2;
    char plan[512], why[512];
    assert_int_equal(orders_answer_plan(&cr, false, plan, sizeof plan), EDI_OK);
    assert_string_equal(plan, "{\"lines\":{\"2\":{\"status\":\"changed\"}},\"type\":\"changed\"}");
    assert_int_equal(orders_answer_plan(&cr, true, plan, sizeof plan), EDI_OK);
    assert_string_equal(plan, "{\"lines\":{},\"type\":\"rejected\"}");
    assert_int_equal(orders_answer_plan(&cr, false, plan, 10), EDI_E_LIMIT);

    xmlDocPtr order =
        xmlReadMemory(order_xml, (int)sizeof order_xml - 1, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(order);
    xmlDocPtr resp = NULL;
    /* A plan written before the values were kept: the line's status as a string. */
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

/* ---- despatch advices and invoices ----------------------------------------------------- */

#define ASSERT_OK(call)                                                                    \
    do {                                                                                   \
        edi_result r_ = (call);                                                            \
        if (r_ != EDI_OK)                                                                  \
            fail_msg("%s: %s", #call, why);                                                \
    } while (0)

static json_t *json_of(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fail_msg("bad test JSON: %s", err.text);
    return j;
}

static xmlDocPtr order_doc(void)
{
    xmlDocPtr d = xmlReadMemory(order_xml, sizeof order_xml - 1, "order.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    return d;
}

static void assert_canonical_valid(xmlDocPtr doc)
{
    mapping_ctx *m = mapping_new(CANONICAL_XSD);
    assert_non_null(m);
    char why[1024] = "";
    edi_result r = mapping_validate(m, doc, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("not valid canonical: %s", why);
    mapping_free(m);
}

/* An order without a currency, a line without a unit and below its minimum, a line without
 * a price, and a line priced within the tolerance. */
static const char amend_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<order xmlns=\"urn:edi-gateway:canonical:1\">"
    "<kind>order</kind><number>PO-9</number>"
    "<date role=\"document\">2026-11-26</date>"
    "<reference kind=\"contract\">RV-1</reference>"
    "<party role=\"buyer\"><id scheme=\"gln\">4012345000016</id></party>"
    "<party role=\"supplier\"><id scheme=\"gln\">4098765000012</id></party>"
    "<line><number>1</number><gtin>4006381333931</gtin><quantity>7</quantity>"
    "<netPrice>12.50</netPrice><lineAmount computed=\"true\">87.50</lineAmount></line>"
    "<line><number>2</number><gtin>4006381333948</gtin><quantity unit=\"MTR\">12.5</quantity>"
    "</line>"
    "<line><number>3</number><gtin>4006381333955</gtin><quantity unit=\"C62\">2</quantity>"
    "<netPrice>20.20</netPrice><lineAmount computed=\"true\">40.40</lineAmount></line>"
    "<totals><lineCount computed=\"true\">3</lineCount><lineAmountTotal>127.90</lineAmountTotal>"
    "</totals></order>";

/* The amendments of the checks travel as values: the plan carries them, the response states
 * them (with the quantity ordered), and the EDIFACT ORDRSP and openTRANS ORDERRESPONSE written
 * from it carry the changed price, unit, quantity and currency. */
static void response_carries_amendments(void **state)
{
    (void)state;
    order_finding f[5] = {
        { .action = ORDER_ACTION_AMEND, .reason = OC_CURRENCY_ASSUMED, .line = "",
          .field = ORDER_FIELD_CURRENCY, .value = "EUR" },
        { .action = ORDER_ACTION_AMEND, .reason = OC_UNIT_ASSUMED, .line = "1",
          .field = ORDER_FIELD_UNIT, .value = "C62" },
        /* A partner whose settings make BELOW_MINIMUM an amend: the proposal is taken. */
        { .action = ORDER_ACTION_AMEND, .reason = OC_BELOW_MINIMUM, .line = "1",
          .field = ORDER_FIELD_QUANTITY, .value = "12" },
        { .action = ORDER_ACTION_AMEND, .reason = OC_PRICE_ADDED, .line = "2",
          .field = ORDER_FIELD_PRICE, .value = "3.95", .basis = "100" },
        { .action = ORDER_ACTION_WARN, .reason = OC_PRICE_WITHIN_TOLERANCE, .line = "3",
          .field = ORDER_FIELD_PRICE, .value = "20.00", .basis = "1" },
    };
    order_check_result cr = { .items = f, .count = 5, .outcome = ORDER_ACTION_AMEND };
    char plan[512], why[512] = "";
    assert_int_equal(orders_answer_plan(&cr, false, plan, sizeof plan), EDI_OK);
    assert_string_equal(plan, "{\"currency\":\"EUR\",\"lines\":{\"1\":{\"quantity\":\"12\","
                              "\"status\":\"changed\",\"unit\":\"C62\"},\"2\":{\"basis\":\"100\","
                              "\"price\":\"3.95\",\"status\":\"changed\"}},\"type\":\"changed\"}");
    /* A rejected order carries no amendments. */
    assert_int_equal(orders_answer_plan(&cr, true, plan + 256, 256), EDI_OK);
    assert_string_equal(plan + 256, "{\"lines\":{},\"type\":\"rejected\"}");

    xmlDocPtr order =
        xmlReadMemory(amend_xml, (int)sizeof amend_xml - 1, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(order);
    xmlDocPtr resp = NULL;
    if (orders_build_response(order, plan, "R9", "2026-11-27", &resp, why, sizeof why) != EDI_OK)
        fail_msg("no response: %s", why);
    mapping_ctx *m = mapping_new(CANONICAL_XSD);
    assert_non_null(m);
    if (mapping_validate(m, resp, why, sizeof why) != EDI_OK)
        fail_msg("the response is not valid canonical: %s", why);
    mapping_free(m);
    assert_xpath(resp, "/c:orderResponse/c:type", "changed");
    assert_xpath(resp, "/c:orderResponse/c:currency", "EUR");
    /* Line 1: the unit assumed, the quantity raised to 12 with the 7 ordered kept, its amount
     * computed again (12 x 12.50). */
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:status", "changed");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:quantity", "12");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:quantity/@unit", "C62");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:orderedQuantity", "7");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:orderedQuantity/@unit", "C62");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:netPrice", "12.50");
    assert_xpath(resp, "/c:orderResponse/c:line[1]/c:lineAmount", "150.00");
    /* Line 2: the contract price per 100 added; 12.5 x 3.95 / 100 = 0.49. */
    assert_xpath(resp, "/c:orderResponse/c:line[2]/c:status", "changed");
    assert_xpath(resp, "/c:orderResponse/c:line[2]/c:netPrice", "3.95");
    assert_xpath(resp, "/c:orderResponse/c:line[2]/c:netPrice/@basisQuantity", "100");
    assert_xpath(resp, "/c:orderResponse/c:line[2]/c:lineAmount", "0.49");
    assert_xpath(resp, "count(/c:orderResponse/c:line[2]/c:orderedQuantity)", "0");
    /* Line 3: a warning changes nothing. */
    assert_xpath(resp, "/c:orderResponse/c:line[3]/c:status", "accepted");
    assert_xpath(resp, "/c:orderResponse/c:line[3]/c:netPrice", "20.20");
    /* The sent total of the old amounts is replaced by the computed one. */
    assert_xpath(resp, "/c:orderResponse/c:totals/c:lineAmountTotal", "190.89");
    assert_xpath(resp, "/c:orderResponse/c:totals/c:lineAmountTotal/@computed", "true");

    /* Written as partners get it. */
    convert_engine *e = convert_engine_new(GATEWAY_FORMATS_DIR, GATEWAY_FORMATS_DIR "/../xslt",
                                           why, sizeof why);
    assert_non_null(e);
    xmlChar *bytes = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(resp, &bytes, &len, "UTF-8");
    convert_results out = { 0 };
    doc_findings df;
    doc_findings_init(&df);
    convert_options opt = { .datetime = "20261127:1200" };
    convert_status st = convert_run(e, (const char *)bytes, (size_t)len, CONVERT_TO_ORDRSP, &opt,
                                    &out, &df, why, sizeof why);
    if (st != CONVERT_DONE || out.count != 1)
        fail_msg("no ORDRSP (%d): %s", (int)st, why);
    const char *edi = out.items[0].data;
    static const char *const segments[] = {
        "BGM+231+R9+4'", "CUX+2:EUR:9'", "LIN+1+3+4006381333931:EN'", "QTY+21:7:PCE'",
        "QTY+113:12:PCE'", "MOA+203:150.00'", "LIN+2+3+4006381333948:EN'",
        "PRI+AAA:3.95:::100'", "LIN+3+5+4006381333955:EN'", "PRI+AAA:20.20'",
    };
    for (size_t i = 0; i < sizeof segments / sizeof segments[0]; i++)
        if (!strstr(edi, segments[i]))
            fail_msg("the ORDRSP has no %s:\n%s", segments[i], edi);
    convert_results_free(&out);
    st = convert_run(e, (const char *)bytes, (size_t)len, CONVERT_TO_OPENTRANS, &opt, &out, &df,
                     why, sizeof why);
    if (st != CONVERT_DONE || out.count != 1)
        fail_msg("no ORDERRESPONSE (%d): %s", (int)st, why);
    xmlDocPtr ot = xmlReadMemory(out.items[0].data, (int)out.items[0].len, NULL, NULL,
                                 XML_PARSE_NONET);
    assert_non_null(ot);
    assert_xpath(ot, "string(//*[local-name()='CURRENCY'])", "EUR");
    assert_xpath(ot, "string(//ot:ORDERRESPONSE_ITEM[1]/ot:QUANTITY)", "12");
    assert_xpath(ot, "string(//ot:ORDERRESPONSE_ITEM[1]/*[local-name()='ORDER_UNIT'])", "C62");
    assert_xpath(ot, "string(//ot:ORDERRESPONSE_ITEM[1]/ot:REMARKS[@type='status'])", "changed");
    assert_xpath(ot, "string(//ot:ORDERRESPONSE_ITEM[2]/ot:PRODUCT_PRICE_FIX/"
                     "*[local-name()='PRICE_AMOUNT'])", "3.95");
    assert_xpath(ot, "string(//ot:ORDERRESPONSE_ITEM[2]/ot:PRODUCT_PRICE_FIX/"
                     "*[local-name()='PRICE_QUANTITY'])", "100");
    xmlFreeDoc(ot);
    convert_results_free(&out);
    doc_findings_free(&df);
    convert_engine_free(e);
    xmlFree(bytes);
    xmlFreeDoc(resp);

    /* The order as agreed (what despatch and invoice are built from): the same values, no
     * status and no ordered quantity. */
    xmlDocPtr agreed = xmlCopyDoc(order, 1);
    if (orders_apply_plan(agreed, plan, why, sizeof why) != EDI_OK)
        fail_msg("not applied: %s", why);
    assert_xpath(agreed, "/c:order/c:currency", "EUR");
    assert_xpath(agreed, "/c:order/c:line[1]/c:quantity", "12");
    assert_xpath(agreed, "/c:order/c:line[1]/c:quantity/@unit", "C62");
    assert_xpath(agreed, "count(/c:order/c:line/c:orderedQuantity | /c:order/c:line/c:status)",
                 "0");
    assert_xpath(agreed, "/c:order/c:line[2]/c:netPrice", "3.95");
    assert_canonical_valid(agreed);
    xmlFreeDoc(agreed);

    /* A plan without values changes nothing; one that names a line the order lacks, or a value
     * that is no decimal or code, is refused. */
    agreed = xmlCopyDoc(order, 1);
    assert_int_equal(orders_apply_plan(agreed, "{\"lines\":{\"2\":\"changed\"},\"type\":"
                                               "\"changed\"}", why, sizeof why), EDI_OK);
    xmlChar *before = NULL, *after = NULL;
    int blen = 0, alen = 0;
    xmlDocDumpMemory(order, &before, &blen);
    xmlDocDumpMemory(agreed, &after, &alen);
    assert_string_equal((const char *)after, (const char *)before);
    xmlFree(before);
    xmlFree(after);
    static const struct {
        const char *plan, *says;
    } bad[] = {
        { "{\"lines\":{\"9\":{\"price\":\"1.00\",\"status\":\"changed\"}},\"type\":\"changed\"}",
          "line 9, which the order does not have" },
        { "{\"lines\":{\"2\":{\"price\":\"3,95\",\"status\":\"changed\"}},\"type\":\"changed\"}",
          "price of line 2 is not a usable price" },
        { "{\"lines\":{\"1\":{\"quantity\":\"0\",\"status\":\"changed\"}},\"type\":\"changed\"}",
          "quantity of line 1" },
        { "{\"currency\":\"eur\",\"lines\":{},\"type\":\"changed\"}", "currency" },
        { "{\"lines\":{},\"type\":\"maybe\"}", "names no response type" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(orders_apply_plan(agreed, bad[i].plan, why, sizeof why), EDI_E_ARG);
        if (!strstr(why, bad[i].says))
            fail_msg("plan %s: \"%s\" does not say \"%s\"", bad[i].plan, why, bad[i].says);
        assert_int_equal(orders_build_response(order, bad[i].plan, "R9", "2026-11-27", &resp, why,
                                               sizeof why), EDI_E_ARG);
        assert_null(resp);
    }
    assert_int_equal(orders_apply_plan(NULL, plan, why, sizeof why), EDI_E_ARG);
    xmlFreeDoc(agreed);
    xmlFreeDoc(order);
}

static void despatch_partly_then_in_full(void **state)
{
    (void)state;
    xmlDocPtr order = order_doc(), doc = NULL;
    char lines[STORE_DOC_LINES_MAX], field[ORDERS_FIELD_MAX], why[1024];
    bool complete = true;
    json_t *req = json_of("{\"despatch_date\": \"2026-11-27T10:30\", \"delivery_date\": "
                          "\"2026-11-28\", \"lines\": [{\"line\": \"1\", \"quantity\": \"20\"}],"
                          " \"packages\": [{\"sscc\": \"340123450000000017\", \"type\": \"201\","
                          " \"lines\": [\"1\"]}]}");
    ASSERT_OK(orders_build_despatch(order, req, NULL, "LS-1", &doc, lines, &complete,
                                           field, sizeof field, why, sizeof why));
    assert_false(complete);
    assert_string_equal(lines, "{\"1\":\"20\"}");
    assert_canonical_valid(doc);
    assert_xpath(doc, "string(/c:despatchAdvice/c:number)", "LS-1");
    assert_xpath(doc, "string(/c:despatchAdvice/c:reference[@kind='customer_order'])", "PO-7");
    assert_xpath(doc, "string(/c:despatchAdvice/c:date[@role='despatch'])", "2026-11-27T10:30");
    assert_xpath(doc, "string(/c:despatchAdvice/c:date[@role='document'])", "2026-11-27");
    assert_xpath(doc, "string(/c:despatchAdvice/c:package/c:sscc)", "340123450000000017");
    assert_xpath(doc, "string(/c:despatchAdvice/c:line/c:quantity)", "20");
    assert_xpath(doc, "string(/c:despatchAdvice/c:line/c:quantity/@unit)", "C62");
    assert_xpath(doc, "string(/c:despatchAdvice/c:line/c:orderedQuantity)", "48");
    assert_xpath(doc, "string(/c:despatchAdvice/c:line/c:gtin)", "4006381333931");
    assert_xpath(doc, "string(/c:despatchAdvice/c:line/c:reference[@kind='customer_order']/@line)",
                 "1");
    assert_xpath(doc, "string(/c:despatchAdvice/c:line/c:packageRef)", "P1");
    assert_xpath(doc, "count(/c:despatchAdvice/c:party)", "2");
    xmlFreeDoc(doc);
    json_decref(req);

    /* The rest: 28 more of line 1 and line 2 in full complete the order. */
    json_t *before = json_of("{\"1\": \"20\"}");
    req = json_of("{\"despatch_date\": \"2026-11-29\", \"lines\": [{\"line\": \"1\", "
                  "\"quantity\": \"28\"}, {\"line\": \"2\", \"quantity\": \"12.5\"}]}");
    ASSERT_OK(orders_build_despatch(order, req, before, "LS-2", &doc, lines, &complete,
                                           field, sizeof field, why, sizeof why));
    assert_true(complete);
    assert_canonical_valid(doc);
    xmlFreeDoc(doc);
    json_decref(req);

    /* One more than ordered is refused, naming the member. */
    req = json_of("{\"despatch_date\": \"2026-11-29\", \"lines\": [{\"line\": \"1\", "
                  "\"quantity\": \"29\"}]}");
    assert_int_equal(orders_build_despatch(order, req, before, "LS-3", &doc, lines, &complete,
                                           field, sizeof field, why, sizeof why), EDI_E_ARG);
    assert_null(doc);
    assert_string_equal(field, "lines[0].quantity");
    assert_non_null(strstr(why, "more of line 1 than the 48 ordered"));
    json_decref(req);
    json_decref(before);

    static const struct {
        const char *body, *field;
    } bad[] = {
        { "{\"despatch_date\": \"2026-11-29\", \"lines\": [{\"line\": \"9\", \"quantity\": \"1\"}]}",
          "lines[0].line" },
        { "{\"despatch_date\": \"2026-11-29\", \"lines\": [{\"line\": \"1\", \"quantity\": 1}]}",
          "lines[0].quantity" },
        { "{\"despatch_date\": \"29.11.2026\", \"lines\": [{\"line\": \"1\", \"quantity\": \"1\"}]}",
          "despatch_date" },
        { "{\"despatch_date\": \"2026-11-29\", \"lines\": []}", "lines" },
        { "{\"despatch_date\": \"2026-11-29\", \"lines\": [{\"line\": \"1\", \"quantity\": \"1\"}],"
          " \"packages\": [{\"sscc\": \"340123450000000014\", \"lines\": [\"1\"]}]}",
          "packages[0].sscc" },
        { "{\"despatch_date\": \"2026-11-29\", \"lines\": [{\"line\": \"1\", \"quantity\": \"1\"}],"
          " \"packages\": [{\"sscc\": \"340123450000000017\", \"lines\": [\"2\"]}]}",
          "packages[0].lines[0]" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req = json_of(bad[i].body);
        assert_int_equal(orders_build_despatch(order, req, NULL, "LS-4", &doc, lines, &complete,
                                               field, sizeof field, why, sizeof why), EDI_E_ARG);
        assert_string_equal(field, bad[i].field);
        json_decref(req);
    }
    xmlFreeDoc(order);
}

static const char seller_json[] =
    "\"seller\": {\"name\": \"Werkzeug Sued AG\", \"vat_id\": \"DE123456789\", "
    "\"street\": \"Industriestr. 1\", \"postcode\": \"76131\", \"city\": \"Karlsruhe\", "
    "\"country\": \"DE\", \"electronic_address\": \"rechnung@ws.example\", "
    "\"iban\": \"DE02120300000000202051\", \"contact\": {\"name\": \"Anna Schmidt\", "
    "\"phone\": \"+49 721 1\", \"email\": \"a.schmidt@ws.example\"}}, "
    "\"buyer\": {\"name\": \"Baumarkt Nord GmbH\", \"street\": \"Am Markt 1\", "
    "\"postcode\": \"10115\", \"city\": \"Berlin\", \"country\": \"DE\"}";

static void invoice_built_completed_checked(void **state)
{
    (void)state;
    xmlDocPtr order = order_doc(), doc = NULL;
    char lines[STORE_DOC_LINES_MAX], field[ORDERS_FIELD_MAX], why[1024], amount[DECIMAL_TEXT_MAX];
    char body[2048];
    doc_findings f;
    doc_findings_init(&f);
    json_t *despatched = json_of("{\"1\": \"48\", \"2\": \"12.5\"}");
    /* Line 2 has no price in the order: the request must give it. */
    snprintf(body, sizeof body, "{\"invoice_date\": \"2026-11-30\", \"vat\": {\"category\": "
             "\"S\", \"rate\": \"19\"}, %s}", seller_json);
    json_t *req = json_of(body);
    assert_int_equal(orders_build_invoice(order, req, despatched, "INV-2026-000001", "30 days net",
                                          orders_invoice_rules("invoic"), &doc, lines, amount, &f,
                                          field, sizeof field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "lines");
    assert_non_null(strstr(why, "order line 2 has no net price"));
    json_decref(req);

    snprintf(body, sizeof body, "{\"invoice_date\": \"2026-11-30\", \"due_date\": "
             "\"2026-12-30\", \"buyer_reference\": \"04011000-12345-03\", \"vat\": "
             "{\"category\": \"S\", \"rate\": \"19\"}, \"lines\": [{\"line\": \"1\", "
             "\"quantity\": \"48\", \"description\": \"Thermostatkopf\"}, {\"line\": \"2\", "
             "\"quantity\": \"12.5\", \"net_price\": \"3.95\", \"description\": \"Rohr\"}], %s}",
             seller_json);
    req = json_of(body);
    ASSERT_OK(orders_build_invoice(order, req, despatched, "INV-2026-000001", "30 days net",
                                          orders_invoice_rules("xrechnung-ubl"), &doc, lines,
                                          amount, &f, field, sizeof field, why, sizeof why));
    assert_canonical_valid(doc);
    /* 48 x 12.50 + 12.5 x 3.95 = 600.00 + 49.38 = 649.38; 19 % VAT 123.38; 772.76 due. */
    assert_string_equal(amount, "772.76");
    assert_xpath(doc, "string(/c:invoice/c:totals/c:lineAmountTotal)", "649.38");
    assert_xpath(doc, "string(/c:invoice/c:number)", "INV-2026-000001");
    assert_xpath(doc, "string(/c:invoice/c:reference[@kind='customer_order'])", "PO-7");
    assert_xpath(doc, "string(/c:invoice/c:paymentTerms/c:text)", "30 days net");
    assert_xpath(doc, "string(/c:invoice/c:paymentMeans[@code='58']/c:account/c:iban)",
                 "DE02120300000000202051");
    assert_xpath(doc, "string(/c:invoice/c:party[@role='supplier']/c:id[@scheme='gln'])",
                 "4098765000012");
    assert_xpath(doc, "string(/c:invoice/c:party[@role='supplier']/c:id[@scheme='vat'])",
                 "DE123456789");
    assert_xpath(doc, "string(/c:invoice/c:party[@role='buyer']/c:electronicAddress/@scheme)",
                 "0088");
    assert_int_equal(doc_findings_count(&f, DOC_ERROR), 0);
    xmlFreeDoc(doc);
    doc_findings_free(&f);
    doc_findings_init(&f);

    /* XRechnung without the buyer reference (Leitweg-ID) breaks BR-DE-15; the core rules alone
     * do not ask for it. */
    json_object_del(req, "buyer_reference");
    assert_int_equal(orders_build_invoice(order, req, despatched, "INV-2026-000002", NULL,
                                          orders_invoice_rules("xrechnung-cii"), &doc, lines,
                                          amount, &f, field, sizeof field, why, sizeof why),
                     EDI_E_ARG);
    assert_null(doc);
    assert_string_equal(field, "");
    assert_true(doc_findings_has(&f, "BR-DE-15"));
    doc_findings_free(&f);
    doc_findings_init(&f);
    ASSERT_OK(orders_build_invoice(order, req, despatched, "INV-2026-000002", NULL,
                                          orders_invoice_rules("invoic"), &doc, lines, amount, &f,
                                          field, sizeof field, why, sizeof why));
    assert_false(doc_findings_has(&f, "BR-DE-15"));
    xmlFreeDoc(doc);
    doc_findings_free(&f);
    json_decref(req);
    json_decref(despatched);
    xmlFreeDoc(order);
}

/* Despatch and invoice on the store: partial despatch keeps the order confirmed, the rest
 * despatches it; invoices take consecutive numbers, a refused one takes none; the credit
 * moves from the open order to the open invoice. */
static void despatch_and_invoice_in_the_store(void **state)
{
    fixture *fx = *state;
    char why[1024], body[2048];
    /* The order line 1 names no article: its name comes from the master data. */
    md_article art;
    memset(&art, 0, sizeof art);
    snprintf(art.id, sizeof art.id, "A-1");
    snprintf(art.gtin, sizeof art.gtin, "4006381333931");
    snprintf(art.supplier_number, sizeof art.supplier_number, "TH-100");
    snprintf(art.name, sizeof art.name, "Thermostatkopf TH-100");
    snprintf(art.units, sizeof art.units, "C62");
    ASSERT_OK(store_article_put(fx->s, &art, NULL, NULL, why, sizeof why));
    /* The customer's payment terms are the invoice's (BR-CO-25 needs terms or a due date). */
    md_customer c;
    ASSERT_OK(store_customer_get(fx->s, "K-1", &c, why, sizeof why));
    snprintf(c.payment_terms, sizeof c.payment_terms, "30 days net");
    ASSERT_OK(store_customer_put(fx->s, &c, NULL, NULL, why, sizeof why));
    store_order o, o2;
    new_order(fx, "PO-7", "", &o);
    new_order(fx, "PO-8", "", &o2);
    assert_int_equal(orders_move(fx->s, &o, ORDER_ACCEPTED, "t", "", NULL, why, sizeof why), EDI_OK);
    assert_int_equal(orders_move(fx->s, &o, ORDER_CONFIRMED, "t", "", NULL, why, sizeof why), EDI_OK);
    assert_int_equal(orders_move(fx->s, &o2, ORDER_ACCEPTED, "t", "", NULL, why, sizeof why), EDI_OK);
    orders_document_result res;

    snprintf(body, sizeof body, "{\"invoice_date\": \"2026-11-30\", \"vat\": {\"category\": "
             "\"S\", \"rate\": \"19\"}, \"lines\": [{\"line\": \"1\", \"quantity\": \"48\"}], %s}",
             seller_json);
    json_t *inv = json_of(body);
    assert_int_equal(orders_invoice(fx->s, fx->cs, NULL, o.id, inv, "erp", &res, why, sizeof why),
                     EDI_E_CONFLICT); /* not despatched yet */
    doc_findings_free(&res.findings);

    json_t *part = json_of("{\"delivery_note\": \"LS-1\", \"lines\": [{\"line\": \"1\", "
                           "\"quantity\": \"48\"}]}");
    ASSERT_OK(orders_despatch(fx->s, fx->cs, o.id, part, "erp", &res, why, sizeof why));
    assert_false(res.complete);
    assert_string_equal(res.state, "confirmed");
    ASSERT_OK(orders_despatch(fx->s, fx->cs, o.id, part, "erp", &res, why, sizeof why));
    assert_true(res.duplicate); /* the same delivery note again records nothing */
    json_t *rest = json_of("{\"lines\": [{\"line\": \"2\", \"quantity\": \"12.5\"}]}");
    ASSERT_OK(orders_despatch(fx->s, fx->cs, o.id, rest, "erp", &res, why, sizeof why));
    assert_true(res.complete);
    assert_string_equal(res.state, "despatched");
    assert_string_equal(res.number, "DES-1-2");
    /* An accepted order without an order response may be despatched as well. */
    ASSERT_OK(orders_despatch(fx->s, fx->cs, o2.id, rest, "erp", &res, why, sizeof why));
    json_t *rest1 = json_of("{\"lines\": [{\"line\": \"1\", \"quantity\": \"48\"}]}");
    ASSERT_OK(orders_despatch(fx->s, fx->cs, o2.id, rest1, "erp", &res, why, sizeof why));
    assert_string_equal(res.state, "despatched");

    /* A rule broken (no seller: BR-06 and others): refused, no number used. */
    json_t *broken = json_of("{\"invoice_date\": \"2026-11-30\", \"vat\": {\"category\": \"S\", "
                             "\"rate\": \"19\"}, \"lines\": [{\"line\": \"1\", \"quantity\": "
                             "\"48\"}]}");
    assert_int_equal(orders_invoice(fx->s, fx->cs, NULL, o.id, broken, "erp", &res, why,
                                    sizeof why), EDI_E_ARG);
    assert_true(doc_findings_count(&res.findings, DOC_ERROR) > 0);
    assert_string_equal(res.number, "");
    doc_findings_free(&res.findings);

    ASSERT_OK(orders_invoice(fx->s, fx->cs, NULL, o.id, inv, "erp", &res, why, sizeof why));
    assert_string_equal(res.number, "INV-2026-000001");
    assert_string_equal(res.state, "invoiced");
    assert_string_equal(res.amount, "714.00");
    doc_findings_free(&res.findings);
    ASSERT_OK(orders_invoice(fx->s, fx->cs, NULL, o2.id, inv, "erp", &res, why, sizeof why));
    assert_string_equal(res.number, "INV-2026-000002");
    doc_findings_free(&res.findings);
    assert_int_equal(orders_invoice(fx->s, fx->cs, NULL, o.id, inv, "erp", &res, why, sizeof why),
                     EDI_E_CONFLICT); /* invoiced once */
    doc_findings_free(&res.findings);

    /* The open order of PO-7 became the open invoice: exposure 714.00 (PO-8's order 600.00
     * was released too, its invoice 714.00 open). */
    char exposure[DECIMAL_TEXT_MAX];
    assert_int_equal(store_credit_exposure(fx->s, "K-1", 0, exposure, sizeof exposure, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(exposure, "1428.00");
    json_decref(inv);
    json_decref(broken);
    json_decref(part);
    json_decref(rest);
    json_decref(rest1);
}

/* Despatch and invoice are built from the order as agreed: line 2 of the order has no price,
 * and the price its answer plan supplied (3.95 per 100) is the one invoiced. */
static void amended_order_despatched_and_invoiced(void **state)
{
    fixture *fx = *state;
    char why[1024], body[2048];
    static const char *const arts[][5] = {
        { "A-1", "4006381333931", "Thermostatkopf TH-100", "C62", "TH-100" },
        { "A-2", "4006381333948", "Kupferrohr TH-200", "MTR", "TH-200" },
    };
    for (size_t i = 0; i < 2; i++) {
        md_article art;
        memset(&art, 0, sizeof art);
        snprintf(art.id, sizeof art.id, "%s", arts[i][0]);
        snprintf(art.gtin, sizeof art.gtin, "%s", arts[i][1]);
        snprintf(art.name, sizeof art.name, "%s", arts[i][2]);
        snprintf(art.units, sizeof art.units, "%s", arts[i][3]);
        snprintf(art.supplier_number, sizeof art.supplier_number, "%s", arts[i][4]);
        ASSERT_OK(store_article_put(fx->s, &art, NULL, NULL, why, sizeof why));
    }
    store_order o;
    new_order(fx, "PO-9", "", &o);
    const char plan[] = "{\"lines\":{\"2\":{\"basis\":\"100\",\"price\":\"3.95\",\"status\":"
                        "\"changed\"}},\"type\":\"changed\"}";
    ASSERT_OK(orders_move(fx->s, &o, ORDER_ACCEPTED, "t", "", plan, why, sizeof why));
    orders_document_result res;
    json_t *all = json_of("{\"delivery_note\": \"LS-9\", \"lines\": [{\"line\": \"1\", "
                          "\"quantity\": \"48\"}, {\"line\": \"2\", \"quantity\": \"12.5\"}]}");
    ASSERT_OK(orders_despatch(fx->s, fx->cs, o.id, all, "erp", &res, why, sizeof why));
    assert_string_equal(res.state, "despatched");
    snprintf(body, sizeof body, "{\"invoice_date\": \"2026-11-30\", \"payment_terms\": "
             "\"30 days net\", \"vat\": {\"category\": \"S\", \"rate\": \"19\"}, %s}",
             seller_json);
    json_t *inv = json_of(body);
    if (orders_invoice(fx->s, fx->cs, NULL, o.id, inv, "erp", &res, why, sizeof why) != EDI_OK)
        fail_msg("not invoiced: %s", why);
    /* 48 x 12.50 + 12.5 x 3.95 / 100 = 600.00 + 0.49; 19 % VAT 114.09; 714.58 due. */
    assert_string_equal(res.amount, "714.58");
    doc_findings_free(&res.findings);
    json_decref(inv);
    json_decref(all);
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
        cmocka_unit_test(response_carries_amendments),
        cmocka_unit_test(despatch_partly_then_in_full),
        cmocka_unit_test(invoice_built_completed_checked),
        cmocka_unit_test_setup_teardown(despatch_and_invoice_in_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(amended_order_despatched_and_invoiced, setup, teardown),
    };
    mailer_init();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mailer_shutdown();
    return rc;
}
