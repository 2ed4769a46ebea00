/* The order pipeline's records in the SQLite store (gateway/store_orders.h), on real
 * database files in a fresh temp folder: an order recorded once per message and number,
 * state changes that must start from the state read, append-only order events, approvals
 * saved and read field by field, pending ones listed by expiry, the customer's approval
 * policy and users as approvals see them, single-use nonces, mail envelopes, and invoice
 * numbers that stay gap-free when two handles on two threads take them at the same time
 * and some of their transactions roll back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_master.h"
#include "store_orders.h"

typedef struct {
    char dir[256];
    char db[300];
    store *s;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/store-orders-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->db, sizeof fx->db, "%s/gateway.db", fx->dir);
    char why[512] = "";
    fx->s = store_open_sqlite(fx->db, why, sizeof why);
    if (!fx->s) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    char path[400];
    const char *suffix[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", fx->db, suffix[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static store_id message(store *s)
{
    store_message m;
    memset(&m, 0, sizeof m);
    m.direction = STORE_IN;
    snprintf(m.channel, sizeof m.channel, "dir");
    memset(m.content_id, 'a', 64);
    m.size = 10;
    store_id id = 0;
    char why[256];
    assert_int_equal(store_message_insert(s, &m, NULL, &id, why, sizeof why), EDI_OK);
    return id;
}

static void an_order(store_order *o, store_id message_id, const char *number)
{
    memset(o, 0, sizeof *o);
    o->message_id = message_id;
    snprintf(o->partner, sizeof o->partner, "mueller");
    snprintf(o->customer_id, sizeof o->customer_id, "K-1");
    snprintf(o->number, sizeof o->number, "%s", number);
    snprintf(o->state, sizeof o->state, "received");
    memset(o->content_id, 'b', 64);
    memset(o->fingerprint, 'c', 64);
}

static int count_orders(void *ctx, const store_order *o)
{
    (void)o;
    (*(int *)ctx)++;
    return 0;
}

static void order_once_per_message_and_number(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_id mid = message(fx->s);
    store_order o, got;
    an_order(&o, mid, "PO-1");
    store_id a = 0, b = 0;
    bool created = false;
    assert_int_equal(store_order_insert(fx->s, &o, &a, &created, why, sizeof why), EDI_OK);
    assert_true(created);
    snprintf(o.state, sizeof o.state, "held");
    assert_int_equal(store_order_insert(fx->s, &o, &b, &created, why, sizeof why), EDI_OK);
    assert_false(created);
    assert_int_equal(a, b);
    assert_int_equal(store_order_get(fx->s, a, &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.state, "received");   /* the second insert changed nothing */
    assert_string_equal(got.number, "PO-1");
    assert_int_equal(got.message_id, mid);
    an_order(&o, mid, "PO-2");
    assert_int_equal(store_order_insert(fx->s, &o, &b, &created, why, sizeof why), EDI_OK);
    assert_true(created);
    assert_int_not_equal(a, b);
    int n = 0;
    assert_int_equal(store_order_list_message(fx->s, mid, count_orders, &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_order_get(fx->s, 9999, &got, why, sizeof why), EDI_E_NOT_FOUND);
}

static void state_changes_start_from_the_state_read(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_order o, got;
    an_order(&o, message(fx->s), "PO-9");
    store_id id = 0;
    assert_int_equal(store_order_insert(fx->s, &o, &id, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_order_set_state(fx->s, id, "received", "held", "12.50", "EUR",
                                           "{\"type\":\"accepted\"}", why, sizeof why), EDI_OK);
    /* A second change from "received" finds the order moved on. */
    assert_int_equal(store_order_set_state(fx->s, id, "received", "accepted", NULL, NULL, NULL,
                                           why, sizeof why), EDI_E_CONFLICT);
    assert_non_null(strstr(why, "not received any more"));
    assert_int_equal(store_order_get(fx->s, id, &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.state, "held");
    assert_string_equal(got.amount, "12.50");
    assert_string_equal(got.answer, "{\"type\":\"accepted\"}");
    /* A state the schema does not know is refused by the database. */
    assert_int_not_equal(store_order_set_state(fx->s, id, "held", "lost", NULL, NULL, NULL, why,
                                               sizeof why), EDI_OK);
}

static void order_events_are_append_only(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_order o;
    an_order(&o, message(fx->s), "PO-3");
    store_id id = 0;
    assert_int_equal(store_order_insert(fx->s, &o, &id, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_order_event_add(fx->s, id, "held", "w1", "price", why, sizeof why),
                     EDI_OK);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
    char *err = NULL;
    assert_int_not_equal(sqlite3_exec(h, "UPDATE order_event SET detail = 'x'", NULL, NULL, &err),
                         SQLITE_OK);
    assert_non_null(strstr(err, "append-only"));
    sqlite3_free(err);
    assert_int_not_equal(sqlite3_exec(h, "DELETE FROM order_event", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static void approvals_round_trip(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_order o;
    an_order(&o, message(fx->s), "PO-4");
    store_id id = 0;
    assert_int_equal(store_order_insert(fx->s, &o, &id, NULL, why, sizeof why), EDI_OK);
    char order_id[32], fp[65];
    snprintf(order_id, sizeof order_id, "%lld", (long long)id);
    memset(fp, 'd', 64);
    fp[64] = '\0';
    approval a, got;
    assert_int_equal(approval_start(&a, "A1", order_id, "K-1", "U-2", "above the limit", fp,
                                     1000, 500, why, sizeof why), EDI_OK);
    assert_int_equal(store_approval_insert(fx->s, &a, why, sizeof why), EDI_OK);
    assert_int_equal(store_approval_insert(fx->s, &a, why, sizeof why), EDI_E_CONFLICT);
    assert_int_equal(store_approval_get(fx->s, "A1", &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.order_id, order_id);
    assert_string_equal(got.requester_id, "U-2");
    assert_string_equal(got.fingerprint, fp);
    assert_int_equal(got.state, APPROVAL_PENDING);
    assert_int_equal(got.expires_at, 1500);
    got.state = APPROVAL_REJECTED;
    snprintf(got.decided_by, sizeof got.decided_by, "U-1");
    got.decided_at = 1200;
    snprintf(got.comment, sizeof got.comment, "zu teuer");
    assert_int_equal(store_approval_update(fx->s, &got, why, sizeof why), EDI_OK);
    assert_int_equal(store_approval_of_order(fx->s, id, &a, why, sizeof why), EDI_OK);
    assert_int_equal(a.state, APPROVAL_REJECTED);
    assert_string_equal(a.comment, "zu teuer");
    assert_int_equal(a.decided_at, 1200);
    assert_int_equal(store_approval_get(fx->s, "A2", &got, why, sizeof why), EDI_E_NOT_FOUND);
}

static int count_approvals(void *ctx, const approval *a)
{
    (void)a;
    (*(int *)ctx)++;
    return 0;
}

static void pending_listed_by_expiry(void **state)
{
    fixture *fx = *state;
    char why[512], fp[65];
    memset(fp, 'e', 64);
    fp[64] = '\0';
    for (int i = 0; i < 3; i++) {
        store_order o;
        char number[16], id[16], oid[32];
        snprintf(number, sizeof number, "PO-%d", i);
        an_order(&o, message(fx->s), number);
        store_id order = 0;
        assert_int_equal(store_order_insert(fx->s, &o, &order, NULL, why, sizeof why), EDI_OK);
        snprintf(id, sizeof id, "A%d", i);
        snprintf(oid, sizeof oid, "%lld", (long long)order);
        approval a;
        assert_int_equal(approval_start(&a, id, oid, "K-1", "", "always", fp, 0, 100 * (i + 1),
                                         why, sizeof why), EDI_OK);
        assert_int_equal(store_approval_insert(fx->s, &a, why, sizeof why), EDI_OK);
    }
    int n = 0;
    assert_int_equal(store_approval_list_pending(fx->s, 200, count_approvals, &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n, 2);
    approval a;
    assert_int_equal(store_approval_get(fx->s, "A0", &a, why, sizeof why), EDI_OK);
    a.state = APPROVAL_EXPIRED;
    assert_int_equal(store_approval_update(fx->s, &a, why, sizeof why), EDI_OK);
    n = 0;
    assert_int_equal(store_approval_list_pending(fx->s, 1000, count_approvals, &n, why,
                                                 sizeof why), EDI_OK);
    assert_int_equal(n, 2);
}

static void policy_users_nonces_and_mail(void **state)
{
    fixture *fx = *state;
    char why[512];
    md_customer c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "K-1");
    snprintf(c.name, sizeof c.name, "Holzwurm");
    snprintf(c.currency, sizeof c.currency, "EUR");
    assert_int_equal(store_customer_put(fx->s, &c, NULL, NULL, why, sizeof why), EDI_OK);
    approval_policy p;
    assert_int_equal(store_customer_approval_policy(fx->s, "K-1", &p, why, sizeof why), EDI_OK);
    assert_false(p.always);
    assert_false(p.requisitioners);
    assert_string_equal(p.above, "");
    assert_int_equal(store_customer_set_approval_policy(fx->s, "K-1", false, true, "1000.00", why,
                                                        sizeof why), EDI_OK);
    assert_int_equal(store_customer_set_approval_policy(fx->s, "K-1", false, true, "1e3", why,
                                                        sizeof why), EDI_E_ARG);
    assert_int_equal(store_customer_approval_policy(fx->s, "K-1", &p, why, sizeof why), EDI_OK);
    assert_true(p.requisitioners);
    assert_string_equal(p.above, "1000.00");
    assert_string_equal(p.currency, "EUR");
    assert_int_equal(store_customer_approval_policy(fx->s, "K-2", &p, why, sizeof why),
                     EDI_E_NOT_FOUND);

    store_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "U-1");
    snprintf(u.customer_id, sizeof u.customer_id, "K-1");
    snprintf(u.name, sizeof u.name, "Anna");
    snprintf(u.email, sizeof u.email, "anna@holzwurm.example");
    u.roles = STORE_ROLE_APPROVER;
    assert_int_equal(store_user_put(fx->s, &u, NULL, NULL, why, sizeof why), EDI_OK);
    approval_user au[4];
    size_t n = 0;
    assert_int_equal(store_customer_approval_users(fx->s, "K-1", au, 4, &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n, 1);
    assert_true(au[0].active);
    assert_int_equal(au[0].roles, APPROVAL_ROLE_APPROVER);
    assert_string_equal(au[0].email, "anna@holzwurm.example");
    assert_int_equal(store_user_set_active(fx->s, "U-1", false, why, sizeof why), EDI_OK);
    char customer[APPROVAL_ID_MAX];
    assert_int_equal(store_user_as_approver(fx->s, "U-1", &au[1], customer, why, sizeof why),
                     EDI_OK);
    assert_false(au[1].active);
    assert_string_equal(customer, "K-1");

    assert_int_equal(store_nonce_use(fx->s, "00ff", 4102444800, why, sizeof why), EDI_OK);
    assert_int_equal(store_nonce_use(fx->s, "00ff", 4102444800, why, sizeof why), EDI_E_CONFLICT);
    assert_non_null(strstr(why, "used before"));
    assert_int_equal(store_nonce_use(fx->s, "00fe", 4102444800, why, sizeof why), EDI_OK);

    store_id mid = message(fx->s);
    char from[APPROVAL_EMAIL_MAX], to[APPROVAL_EMAIL_MAX];
    assert_int_equal(store_mail_envelope_get(fx->s, mid, from, to, why, sizeof why),
                     EDI_E_NOT_FOUND);
    assert_int_equal(store_mail_envelope_set(fx->s, mid, "gw@x.example", "anna@holzwurm.example",
                                             why, sizeof why), EDI_OK);
    assert_int_equal(store_mail_envelope_get(fx->s, mid, from, to, why, sizeof why), EDI_OK);
    assert_string_equal(from, "gw@x.example");
    assert_string_equal(to, "anna@holzwurm.example");
}

/* ---- invoice numbers under concurrency ------------------------------------------------ */

#define PER_THREAD 60

typedef struct {
    const char *db;
    int64_t kept[PER_THREAD];
    int n_kept;
    int failures;
} taker;

static void *take_numbers(void *arg)
{
    taker *t = arg;
    char why[512];
    store *s = store_open_sqlite(t->db, why, sizeof why);
    if (!s) {
        t->failures++;
        return NULL;
    }
    for (int i = 0; i < PER_THREAD; i++) {
        int64_t n = 0;
        if (store_begin(s, why, sizeof why) != EDI_OK ||
            store_invoice_number_next(s, 2026, &n, why, sizeof why) != EDI_OK) {
            store_rollback(s);
            t->failures++;
            continue;
        }
        if (i % 4 == 3) {          /* the invoice could not be written: its number returns */
            store_rollback(s);
            continue;
        }
        if (store_commit(s, why, sizeof why) != EDI_OK) {
            t->failures++;
            continue;
        }
        t->kept[t->n_kept++] = n;
    }
    store_close(s);
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void invoice_numbers_gap_free_with_two_handles(void **state)
{
    fixture *fx = *state;
    taker t[2];
    memset(t, 0, sizeof t);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        t[i].db = fx->db;
        assert_int_equal(pthread_create(&th[i], NULL, take_numbers, &t[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(t[0].failures + t[1].failures, 0);
    int64_t all[2 * PER_THREAD];
    int n = 0;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < t[i].n_kept; k++)
            all[n++] = t[i].kept[k];
    assert_int_equal(n, 2 * (PER_THREAD - PER_THREAD / 4));
    qsort(all, (size_t)n, sizeof all[0], cmp64);
    for (int i = 0; i < n; i++)
        assert_int_equal(all[i], i + 1);   /* 1..n, each once: no gap, no duplicate */
    /* Another year starts at 1; the next number of 2026 follows the last kept. */
    char why[256];
    int64_t v = 0;
    assert_int_equal(store_invoice_number_next(fx->s, 2027, &v, why, sizeof why), EDI_OK);
    assert_int_equal(v, 1);
    assert_int_equal(store_invoice_number_next(fx->s, 2026, &v, why, sizeof why), EDI_OK);
    assert_int_equal(v, n + 1);
}

typedef struct {
    int n;
    char states[4][16];
    store_id last;
} doc_seen;

static int see_document(void *ctx, const store_order_document *d)
{
    doc_seen *seen = ctx;
    if (seen->n < 4)
        snprintf(seen->states[seen->n], sizeof seen->states[0], "%s", d->state);
    seen->n++;
    seen->last = d->id;
    return 0;
}

static int see_message(void *ctx, const store_message *m)
{
    doc_seen *seen = ctx;
    seen->n++;
    seen->last = m->id;
    return 0;
}

/* Despatch advices and invoices: one per kind and number, listed per order and, while
 * pending, per inbound message; answered once. A message's children are its answers. */
static void documents_until_answered(void **state)
{
    fixture *fx = *state;
    char why[512];
    store_id mid = message(fx->s), other = message(fx->s);
    store_order o;
    store_id oid = 0, d1 = 0, d2 = 0, again = 0;
    an_order(&o, mid, "PO-5");
    assert_int_equal(store_order_insert(fx->s, &o, &oid, NULL, why, sizeof why), EDI_OK);
    store_order_document d;
    memset(&d, 0, sizeof d);
    d.order_id = oid;
    snprintf(d.kind, sizeof d.kind, "despatch");
    snprintf(d.number, sizeof d.number, "LS-1");
    memset(d.content_id, 'd', 64);
    snprintf(d.lines, sizeof d.lines, "{\"1\":\"24\"}");
    assert_int_equal(store_order_document_insert(fx->s, &d, &d1, why, sizeof why), EDI_OK);
    assert_int_equal(store_order_document_insert(fx->s, &d, &again, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(again, d1);
    snprintf(d.kind, sizeof d.kind, "invoice");
    snprintf(d.number, sizeof d.number, "LS-1"); /* another kind may share the number */
    snprintf(d.amount, sizeof d.amount, "714.58");
    assert_int_equal(store_order_document_insert(fx->s, &d, &d2, why, sizeof why), EDI_OK);
    assert_int_not_equal(d1, d2);
    snprintf(d.kind, sizeof d.kind, "receipt");
    assert_int_equal(store_order_document_insert(fx->s, &d, &again, why, sizeof why), EDI_E_ARG);

    doc_seen seen = { 0 };
    assert_int_equal(store_order_document_pending(fx->s, mid, see_document, &seen, why,
                                                  sizeof why), EDI_OK);
    assert_int_equal(seen.n, 2);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_order_document_pending(fx->s, other, see_document, &seen, why,
                                                  sizeof why), EDI_OK);
    assert_int_equal(seen.n, 0);

    store_message out;
    memset(&out, 0, sizeof out);
    out.direction = STORE_OUT;
    memset(out.content_id, 'e', 64);
    out.parent_id = mid;
    snprintf(out.status, sizeof out.status, "queued");
    store_id answer = 0;
    assert_int_equal(store_message_insert(fx->s, &out, NULL, &answer, why, sizeof why), EDI_OK);
    assert_int_equal(store_order_document_done(fx->s, d1, answer, "", why, sizeof why), EDI_OK);
    assert_int_equal(store_order_document_done(fx->s, d1, answer, "", why, sizeof why),
                     EDI_E_CONFLICT);
    assert_int_equal(store_order_document_done(fx->s, d2, 0, "no invoice format", why,
                                               sizeof why), EDI_OK);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_order_document_pending(fx->s, mid, see_document, &seen, why,
                                                  sizeof why), EDI_OK);
    assert_int_equal(seen.n, 0);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_order_document_list(fx->s, oid, see_document, &seen, why, sizeof why),
                     EDI_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.states[0], "answered");
    assert_string_equal(seen.states[1], "not_answered");

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_message_children(fx->s, mid, see_message, &seen, why, sizeof why),
                     EDI_OK);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.last, answer);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_message_children(fx->s, answer, see_message, &seen, why, sizeof why),
                     EDI_OK);
    assert_int_equal(seen.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(order_once_per_message_and_number, setup, teardown),
        cmocka_unit_test_setup_teardown(state_changes_start_from_the_state_read, setup, teardown),
        cmocka_unit_test_setup_teardown(order_events_are_append_only, setup, teardown),
        cmocka_unit_test_setup_teardown(approvals_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(pending_listed_by_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(policy_users_nonces_and_mail, setup, teardown),
        cmocka_unit_test_setup_teardown(invoice_numbers_gap_free_with_two_handles, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(documents_until_answered, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
