/* The checks against master data (gateway/order_checks.h) on the canonical orders of
 * tests/corpus/checks/, with master data held in memory behind md_lookup: each rule fires on
 * the fixture built for it and on no other (the table gives every fixture's exact set of
 * reasons and its outcome), the clean order passes, prices per 100 compare by unit price,
 * the tolerance and the credit limit pass exactly at their limit and hold one step above,
 * quantities with 3 decimals meet a step of 0.5, options override actions and the date,
 * lookups that fail stop the run, findings carry the value they supply or propose (an amend
 * override of the step takes the proposed quantity into the amount), and the real sample
 * interchange samples/edifact/orders-d96a-eancom.edi, mapped by the conversion engine, is
 * checked against master data written for its GLN and GTINs; its order without currency,
 * unit and price is answered by an EANCOM ORDRSP that states them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "mapping_fixture.h"
#include "order_checks.h"
#include "orders.h"

#define ROOT GATEWAY_FORMATS_DIR "/.."
#define CHECKS ROOT "/tests/corpus/checks/"
#define SAMPLE ROOT "/samples/edifact/orders-d96a-eancom.edi"

/* ---- master data in memory ------------------------------------------------------------ */

typedef struct {
    const char *customer_id;
    const char *amount;
} exposure;

typedef struct {
    const md_customer *customers;
    size_t n_customers;
    const md_article *articles;
    size_t n_articles;
    const md_contract *contracts;
    size_t n_contracts;
    const exposure *exposures;
    size_t n_exposures;
    const char *const *seen;       /* "customer/order number" */
    size_t n_seen;
    bool fail;                     /* every lookup fails as a broken database would */
    int lookups;                   /* how many lookups were made */
} memory_md;

static const md_customer customers[] = {
    { .id = "C100", .name = "Müller Haustechnik GmbH", .credit_limit = "50000.00",
      .currency = "EUR", .payment_terms = "30 days net" },
    { .id = "C200", .name = "Gesperrt KG", .blocked = true, .credit_limit = "1000.00",
      .currency = "EUR" },
    { .id = "C300", .name = "Klein & Co", .credit_limit = "1000.00", .currency = "EUR" },
    { .id = "C301", .name = "Klein & Sohn", .credit_limit = "1000.00", .currency = "EUR" },
    { .id = "C400", .name = "Dollar Supply Inc", .currency = "USD" },
};

static const md_article articles[] = {
    { .id = "A1", .gtin = "4006381333931", .supplier_number = "TH-100", .name = "Thermostat",
      .units = "C62" },
    { .id = "A2", .gtin = "4006381333948", .supplier_number = "TH-200", .name = "Heating pipe",
      .units = "MTR", .min_quantity = "10", .step_quantity = "0.5" },
    { .id = "A3", .gtin = "4000000000031", .supplier_number = "CB-315", .name = "Cable NYM 3x1.5",
      .units = "MTR", .min_quantity = "1.5", .step_quantity = "0.5" },
    { .id = "A4", .gtin = "4000000000048", .supplier_number = "V-4", .name = "Valve",
      .units = "C62 H87" },
    { .id = "A5", .gtin = "4000000000055", .supplier_number = "P-5", .name = "Pump",
      .units = "C62" },
    { .id = "A6", .supplier_number = "F-6", .name = "Fitting", .units = "C62" },
    { .id = "A7", .supplier_number = "S-7", .name = "Sensor", .units = "C62" },
    { .id = "A8", .supplier_number = "M-8", .name = "Meter", .units = "C62" },
};

static const md_contract contracts[] = {
    { "C100", "A1", "", "12.50", "", "EUR", "2026-01-01", "2026-12-31", "2" },
    { "C100", "A2", "", "3.95", "100", "EUR", "2026-01-01", "", "0" },
    { "C100", "A3", "", "0.0395", "", "EUR", "", "", "" },
    { "C100", "A4", "MH-4711", "20.00", "1", "EUR", "", "", "5" },
    { "C100", "A5", "", "99.00", "", "EUR", "2025-01-01", "2025-12-31", "" },
    { "C100", "A7", "", "10.00", "", "EUR", "2027-01-01", "", "" },
    { "C100", "A8", "", "5.00", "", "USD", "", "", "" },
    { "C300", "A1", "", "100.00", "", "EUR", "", "", "" },
    { "C301", "A1", "", "100.00", "", "EUR", "", "", "" },
    { "C400", "A1", "", "12.50", "", "", "", "", "" },
};

static const exposure exposures[] = {
    { "C100", "1000.00" }, { "C300", "400.00" }, { "C301", "400.01" },
};

static const char *const seen[] = { "C100/PO-OLD-1" };

static memory_md base_md(void)
{
    return (memory_md){
        customers, sizeof customers / sizeof customers[0],
        articles, sizeof articles / sizeof articles[0],
        contracts, sizeof contracts / sizeof contracts[0],
        exposures, sizeof exposures / sizeof exposures[0],
        seen, sizeof seen / sizeof seen[0], false, 0,
    };
}

static edi_result broken(memory_md *m, char *why, size_t why_n)
{
    m->lookups++;
    if (!m->fail)
        return EDI_OK;
    edi_say(why, why_n, "the test database is unavailable");
    return EDI_E_STORE;
}

static edi_result md_customer_by_id(void *ctx, const char *id, md_customer *out, char *why,
                                    size_t why_n)
{
    memory_md *m = ctx;
    if (broken(m, why, why_n) != EDI_OK)
        return EDI_E_STORE;
    for (size_t i = 0; i < m->n_customers; i++)
        if (strcmp(m->customers[i].id, id) == 0) {
            *out = m->customers[i];
            return EDI_OK;
        }
    return EDI_E_NOT_FOUND;
}

/* The article whose field at `offset` is `value`. */
static edi_result article_where(memory_md *m, size_t offset, const char *value, md_article *out,
                                char *why, size_t why_n)
{
    if (broken(m, why, why_n) != EDI_OK)
        return EDI_E_STORE;
    for (size_t i = 0; i < m->n_articles; i++) {
        const char *field = (const char *)&m->articles[i] + offset;
        if (field[0] && strcmp(field, value) == 0) {
            *out = m->articles[i];
            return EDI_OK;
        }
    }
    return EDI_E_NOT_FOUND;
}

static edi_result md_by_gtin(void *ctx, const char *gtin, md_article *out, char *why, size_t n)
{
    return article_where(ctx, offsetof(md_article, gtin), gtin, out, why, n);
}

static edi_result md_by_supplier(void *ctx, const char *number, md_article *out, char *why,
                                 size_t n)
{
    return article_where(ctx, offsetof(md_article, supplier_number), number, out, why, n);
}

static edi_result md_by_buyer(void *ctx, const char *customer_id, const char *buyer_article,
                              md_article *out, char *why, size_t n)
{
    memory_md *m = ctx;
    for (size_t i = 0; i < m->n_contracts; i++)
        if (strcmp(m->contracts[i].customer_id, customer_id) == 0 &&
            strcmp(m->contracts[i].buyer_article, buyer_article) == 0)
            return article_where(m, offsetof(md_article, id), m->contracts[i].article_id, out,
                                 why, n);
    return broken(m, why, n) == EDI_OK ? EDI_E_NOT_FOUND : EDI_E_STORE;
}

/* As master_data.h asks: the contract valid on `date`, else the one that ended last before
 * it, else the first that starts after it. */
static edi_result md_contract_for(void *ctx, const char *customer_id, const char *article_id,
                                  const char *date, md_contract *out, char *why, size_t n)
{
    memory_md *m = ctx;
    if (broken(m, why, n) != EDI_OK)
        return EDI_E_STORE;
    const md_contract *valid = NULL, *ended = NULL, *future = NULL;
    for (size_t i = 0; i < m->n_contracts; i++) {
        const md_contract *c = &m->contracts[i];
        if (strcmp(c->customer_id, customer_id) != 0 || strcmp(c->article_id, article_id) != 0)
            continue;
        if (c->valid_to[0] && strcmp(c->valid_to, date) < 0) {
            if (!ended || strcmp(c->valid_to, ended->valid_to) > 0)
                ended = c;
        } else if (c->valid_from[0] && strcmp(c->valid_from, date) > 0) {
            if (!future || strcmp(c->valid_from, future->valid_from) < 0)
                future = c;
        } else {
            valid = c;
        }
    }
    const md_contract *c = valid ? valid : ended ? ended : future;
    if (!c)
        return EDI_E_NOT_FOUND;
    *out = *c;
    return EDI_OK;
}

static edi_result md_seen(void *ctx, const char *customer_id, const char *number, bool *yes,
                          char *why, size_t n)
{
    memory_md *m = ctx;
    if (broken(m, why, n) != EDI_OK)
        return EDI_E_STORE;
    char key[2 * MD_ID_MAX];
    snprintf(key, sizeof key, "%s/%s", customer_id, number);
    *yes = false;
    for (size_t i = 0; i < m->n_seen; i++)
        if (strcmp(m->seen[i], key) == 0)
            *yes = true;
    return EDI_OK;
}

static edi_result md_exposure(void *ctx, const char *customer_id, char *amount, size_t amount_n,
                              char *why, size_t n)
{
    memory_md *m = ctx;
    if (broken(m, why, n) != EDI_OK)
        return EDI_E_STORE;
    snprintf(amount, amount_n, "0.00");
    for (size_t i = 0; i < m->n_exposures; i++)
        if (strcmp(m->exposures[i].customer_id, customer_id) == 0)
            snprintf(amount, amount_n, "%s", m->exposures[i].amount);
    return EDI_OK;
}

static md_lookup lookup_of(memory_md *m)
{
    return (md_lookup){ m, md_customer_by_id, md_by_gtin, md_by_supplier, md_by_buyer,
                        md_contract_for, md_seen, md_exposure };
}

/* ---- helpers ------------------------------------------------------------------------- */

/* The checks of CHECKS<file> for `customer`; fails the test unless they run. */
static void check_file(const char *file, const char *customer, memory_md *m,
                       const order_check_options *opt, order_check_result *out)
{
    char path[512], why[512] = "";
    snprintf(path, sizeof path, "%s%s", CHECKS, file);
    xmlDocPtr doc = mf_parse_file(path);
    md_lookup md = lookup_of(m);
    edi_result r = order_checks_run(doc, customer, &md, opt, out, why, sizeof why);
    xmlFreeDoc(doc);
    if (r != EDI_OK)
        fail_msg("%s: the checks did not run: %s", file, why);
}

static uint64_t reason_bits(const order_check_result *r)
{
    uint64_t bits = 0;
    for (size_t i = 0; i < r->count; i++)
        bits |= UINT64_C(1) << r->items[i].reason;
    return bits;
}

static void bits_text(uint64_t bits, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < OC_REASON_COUNT; i++)
        if (bits & (UINT64_C(1) << i)) {
            size_t used = strlen(buf);
            snprintf(buf + used, n - used, "%s%s", used ? " " : "",
                     order_check_reason_id((order_check_reason)i));
        }
}

static const order_finding *finding(const order_check_result *r, order_check_reason reason,
                                    const char *line)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].reason == reason && strcmp(r->items[i].line, line) == 0)
            return &r->items[i];
    fail_msg("no %s finding on line \"%s\"", order_check_reason_id(reason), line);
    return NULL;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static void assert_decimal(decimal d, const char *want)
{
    char got[DECIMAL_TEXT_MAX];
    assert_int_equal(decimal_format(d, got, sizeof got), EDI_OK);
    assert_string_equal(got, want);
}

#define BIT(r) (UINT64_C(1) << (r))

/* ---- every rule on its fixture --------------------------------------------------------- */

static const struct {
    const char *file;
    const char *customer;          /* NULL: the partner belongs to no customer */
    uint64_t reasons;              /* exactly these fire */
    order_action outcome;
} table[] = {
    { "clean.xml", "C100", 0, ORDER_ACTION_NONE },
    { "clean.xml", "C999", BIT(OC_CUSTOMER_UNKNOWN), ORDER_ACTION_REJECT },
    { "clean.xml", NULL, BIT(OC_CUSTOMER_UNKNOWN), ORDER_ACTION_REJECT },
    { "clean.xml", "C200", BIT(OC_CUSTOMER_BLOCKED), ORDER_ACTION_REJECT },
    { "duplicate.xml", "C100", BIT(OC_DUPLICATE_ORDER_NUMBER), ORDER_ACTION_REJECT },
    { "currency-mismatch.xml", "C400", BIT(OC_CURRENCY_MISMATCH), ORDER_ACTION_REJECT },
    { "currency-assumed.xml", "C100", BIT(OC_CURRENCY_ASSUMED), ORDER_ACTION_AMEND },
    { "no-lines.xml", "C100", BIT(OC_NO_LINES), ORDER_ACTION_REJECT },
    { "article-unknown.xml", "C100", BIT(OC_ARTICLE_UNKNOWN), ORDER_ACTION_HOLD },
    { "article-conflict.xml", "C100", BIT(OC_ARTICLE_CONFLICT), ORDER_ACTION_HOLD },
    { "quantity-missing.xml", "C100", BIT(OC_QUANTITY_MISSING), ORDER_ACTION_REJECT },
    { "value-invalid.xml", "C100", BIT(OC_VALUE_INVALID), ORDER_ACTION_REJECT },
    { "unit-not-allowed.xml", "C100", BIT(OC_UNIT_NOT_ALLOWED), ORDER_ACTION_REJECT },
    { "unit-assumed.xml", "C100", BIT(OC_UNIT_ASSUMED), ORDER_ACTION_AMEND },
    { "below-minimum.xml", "C100", BIT(OC_BELOW_MINIMUM), ORDER_ACTION_HOLD },
    { "not-step-multiple.xml", "C100", BIT(OC_NOT_STEP_MULTIPLE), ORDER_ACTION_HOLD },
    { "price-basis.xml", "C100", 0, ORDER_ACTION_NONE },
    { "no-contract.xml", "C100", BIT(OC_NO_CONTRACT), ORDER_ACTION_HOLD },
    { "contract-expired.xml", "C100", BIT(OC_CONTRACT_EXPIRED), ORDER_ACTION_HOLD },
    { "contract-not-yet-valid.xml", "C100", BIT(OC_CONTRACT_NOT_YET_VALID), ORDER_ACTION_HOLD },
    { "contract-currency.xml", "C100", BIT(OC_CONTRACT_CURRENCY), ORDER_ACTION_HOLD },
    { "price-differs.xml", "C100", BIT(OC_PRICE_DIFFERS), ORDER_ACTION_HOLD },
    { "price-within-tolerance.xml", "C100", BIT(OC_PRICE_WITHIN_TOLERANCE), ORDER_ACTION_AMEND },
    { "price-added.xml", "C100", BIT(OC_PRICE_ADDED), ORDER_ACTION_AMEND },
    { "price-missing.xml", "C100", BIT(OC_PRICE_MISSING) | BIT(OC_CONTRACT_EXPIRED),
      ORDER_ACTION_HOLD },
    { "credit.xml", "C300", 0, ORDER_ACTION_NONE },
    { "credit.xml", "C301", BIT(OC_CREDIT_LIMIT_EXCEEDED), ORDER_ACTION_HOLD },
};

static void each_rule_on_its_fixture(void **state)
{
    (void)state;
    uint64_t covered = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        memory_md m = base_md();
        order_check_result r = { 0 };
        check_file(table[i].file, table[i].customer, &m, NULL, &r);
        uint64_t got = reason_bits(&r);
        if (got != table[i].reasons || r.outcome != table[i].outcome) {
            char want_t[512], got_t[512];
            bits_text(table[i].reasons, want_t, sizeof want_t);
            bits_text(got, got_t, sizeof got_t);
            fail_msg("%s for %s: got {%s} outcome %s, want {%s} outcome %s", table[i].file,
                     table[i].customer ? table[i].customer : "no customer", got_t,
                     order_action_name(r.outcome), want_t, order_action_name(table[i].outcome));
        }
        /* Every finding carries its default action, a sentence and what it compared. */
        for (size_t k = 0; k < r.count; k++) {
            assert_int_equal(r.items[k].action, order_check_default_action(r.items[k].reason));
            assert_true(strlen(r.items[k].text) > 40);
            assert_true(r.items[k].expected[0] && r.items[k].found[0]);
        }
        covered |= got;
        order_check_result_free(&r);
    }
    /* Every reason code has a fixture that makes it fire. */
    char missing[512];
    bits_text(~covered & (BIT(OC_REASON_COUNT) - 1), missing, sizeof missing);
    if (missing[0])
        fail_msg("no fixture fires %s", missing);
}

/* ---- amounts, prices, quantities, credit ---------------------------------------------- */

static void clean_order_amount(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    check_file("clean.xml", "C100", &m, NULL, &r);
    assert_string_equal(r.order_number, "PO-CHK-CLEAN");
    assert_string_equal(r.order_date, "2026-11-26");
    assert_string_equal(r.currency, "EUR");
    /* 48 x 12.50 + 12.5 x 3.95 / 100 (0.49375 -> 0.49) + 2 x 20.00 */
    assert_decimal(r.amount, "640.49");
    assert_true(r.amount_complete);
    assert_decimal(r.reserve, "640.49");
    order_check_result_free(&r);
}

static void price_basis_compares_unit_prices(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    /* 3.95 per 100 against 3.95 per 100 and against 0.0395 per 1: no finding. */
    check_file("price-basis.xml", "C100", &m, NULL, &r);
    assert_int_equal(r.count, 0);
    /* 12.5 x 3.95 / 100 = 0.49; 200.000 x 0.0395 / 1 = 7.90 */
    assert_decimal(r.amount, "8.39");
    order_check_result_free(&r);

    /* The same unit price with a basis of 100 on one side and 0.0396 on the other differs
     * (contract tolerance 0 for A3): 0.01 per 100 is enough. */
    char path[512], why[256] = "";
    snprintf(path, sizeof path, "%s%s", CHECKS, "price-basis.xml");
    xmlDocPtr doc = mf_parse_file(path);
    xmlXPathObjectPtr o = xpath_eval(doc, "//c:line[c:number='2']/c:netPrice");
    assert_int_equal(o->nodesetval->nodeNr, 1);
    xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST "3.96");
    xmlXPathFreeObject(o);
    md_lookup md = lookup_of(&m);
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_OK);
    xmlFreeDoc(doc);
    assert_int_equal(r.count, 1);
    const order_finding *f = finding(&r, OC_PRICE_DIFFERS, "2");
    assert_string_equal(f->expected, "0.0395 EUR per 1 MTR");
    assert_string_equal(f->found, "3.96 EUR per 100 MTR");
    assert_contains(f->text, "by 0.25 %");
    order_check_result_free(&r);
}

static void tolerance_boundary(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    check_file("price-within-tolerance.xml", "C100", &m, NULL, &r);
    assert_int_equal(r.count, 2);
    const order_finding *up = finding(&r, OC_PRICE_WITHIN_TOLERANCE, "1");
    assert_string_equal(up->expected, "12.50 EUR per 1 C62");
    assert_string_equal(up->found, "12.75 EUR per 1 C62");
    assert_contains(up->text, "by 2.00 %, within the allowed 2 %");
    assert_contains(finding(&r, OC_PRICE_WITHIN_TOLERANCE, "2")->text, "by -2.00 %");
    /* Within the tolerance the contract price applies: 2 x 48 x 12.50; the answer says so
     * (an amendment, so the order response carries the contract price on both lines). */
    assert_decimal(r.amount, "1200.00");
    assert_int_equal(up->action, ORDER_ACTION_AMEND);
    char plan[4096];
    assert_int_equal(orders_answer_plan(&r, false, plan, sizeof plan), EDI_OK);
    assert_contains(plan, "\"type\":\"changed\"");
    assert_contains(plan, "\"1\":{\"price\":\"12.50\"");
    assert_contains(plan, "\"2\":{\"price\":\"12.50\"");
    order_check_result_free(&r);

    check_file("price-differs.xml", "C100", &m, NULL, &r);
    const order_finding *f = finding(&r, OC_PRICE_DIFFERS, "1");
    assert_int_equal(f->action, ORDER_ACTION_HOLD);
    assert_contains(f->text, "by 2.08 %, more than the allowed 2 %");
    order_check_result_free(&r);
}

static void quantities_and_steps(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    check_file("not-step-multiple.xml", "C100", &m, NULL, &r);
    /* 2.250 and 2.100 are not multiples of 0.5, 2.500 is; the next quantity is 2.5 both
     * when 2.250 / 0.5 = 4.5 rounds up and when 2.100 / 0.5 = 4.2 rounds down. */
    assert_int_equal(r.count, 2);
    const order_finding *f = finding(&r, OC_NOT_STEP_MULTIPLE, "1");
    assert_string_equal(f->expected, "a multiple of 0.5");
    assert_string_equal(f->found, "2.250 MTR");
    assert_contains(f->text, "amend the line to 2.5 ");
    /* The proposal travels as a value, for staff (or an amend override) to apply. */
    assert_int_equal(f->field, ORDER_FIELD_QUANTITY);
    assert_string_equal(f->value, "2.5");
    assert_contains(finding(&r, OC_NOT_STEP_MULTIPLE, "3")->text, "amend the line to 2.5 ");
    /* Held lines still count: 2.250, 2.500 and 2.100 x 0.0395 = 0.09 + 0.10 (0.09875) +
     * 0.08 (0.08295). */
    assert_decimal(r.amount, "0.27");
    order_check_result_free(&r);

    /* A partner whose settings make the step an amend: the proposed 2.5 is what is ordered,
     * and counted: 3 x 2.5 x 0.0395 = 3 x 0.10 (0.09875). */
    static const order_check_override amend_step[] = {
        { OC_NOT_STEP_MULTIPLE, ORDER_ACTION_AMEND },
    };
    order_check_options opt = { .overrides = amend_step, .override_count = 1 };
    check_file("not-step-multiple.xml", "C100", &m, &opt, &r);
    assert_int_equal(r.outcome, ORDER_ACTION_AMEND);
    assert_int_equal(finding(&r, OC_NOT_STEP_MULTIPLE, "1")->action, ORDER_ACTION_AMEND);
    assert_decimal(r.amount, "0.30");
    order_check_result_free(&r);

    check_file("below-minimum.xml", "C100", &m, NULL, &r);
    assert_int_equal(r.count, 1);
    f = finding(&r, OC_BELOW_MINIMUM, "1");
    assert_string_equal(f->expected, "at least 1.5");
    assert_string_equal(f->found, "1.000 MTR");
    assert_contains(f->text, "amend the line to 1.5 ");
    assert_int_equal(f->field, ORDER_FIELD_QUANTITY);
    assert_string_equal(f->value, "1.5");
    order_check_result_free(&r);

    check_file("unit-assumed.xml", "C100", &m, NULL, &r);
    f = finding(&r, OC_UNIT_ASSUMED, "1");
    assert_string_equal(f->expected, "C62");
    assert_int_equal(f->field, ORDER_FIELD_UNIT);
    assert_string_equal(f->value, "C62");
    assert_decimal(r.amount, "75.00");
    order_check_result_free(&r);

    check_file("unit-not-allowed.xml", "C100", &m, NULL, &r);
    f = finding(&r, OC_UNIT_NOT_ALLOWED, "1");
    assert_string_equal(f->expected, "C62");
    assert_string_equal(f->found, "MTR");
    order_check_result_free(&r);
}

static void credit_at_and_above_limit(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    /* 400.00 open + 600.00 = 1000.00, exactly the limit. */
    check_file("credit.xml", "C300", &m, NULL, &r);
    assert_int_equal(r.outcome, ORDER_ACTION_NONE);
    assert_decimal(r.amount, "600.00");
    assert_decimal(r.reserve, "600.00");
    order_check_result_free(&r);
    /* 400.01 open + 600.00 = 1000.01, one cent above. */
    check_file("credit.xml", "C301", &m, NULL, &r);
    const order_finding *f = finding(&r, OC_CREDIT_LIMIT_EXCEEDED, "");
    assert_string_equal(f->expected, "at most 1000.00 EUR");
    assert_string_equal(f->found, "1000.01 EUR");
    assert_contains(f->text, "0.01 EUR above the credit limit of 1000.00 EUR");
    /* A held order keeps its amount to reserve when it is accepted. */
    assert_decimal(r.reserve, "600.00");
    order_check_result_free(&r);
}

static void amounts_of_amends_and_rejects(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    check_file("price-added.xml", "C100", &m, NULL, &r);
    const order_finding *f = finding(&r, OC_PRICE_ADDED, "1");
    assert_string_equal(f->expected, "12.50 EUR per 1 C62");
    /* The contract price is the value the order response states. */
    assert_int_equal(f->field, ORDER_FIELD_PRICE);
    assert_string_equal(f->value, "12.50");
    assert_string_equal(f->basis, "1");
    assert_decimal(r.amount, "600.00");
    assert_true(r.amount_complete);
    order_check_result_free(&r);

    check_file("price-missing.xml", "C100", &m, NULL, &r);
    assert_false(r.amount_complete);
    assert_decimal(r.amount, "0.00");
    assert_string_equal(finding(&r, OC_CONTRACT_EXPIRED, "1")->expected, "2025-12-31");
    order_check_result_free(&r);

    /* An unknown article is priced by the order: 2 x 5.00; the line without a price is not. */
    check_file("article-unknown.xml", "C100", &m, NULL, &r);
    assert_int_equal(r.count, 2);
    assert_contains(finding(&r, OC_ARTICLE_UNKNOWN, "1")->text,
                    "GTIN 4000000009999, supplier article number XX-1");
    assert_contains(finding(&r, OC_ARTICLE_UNKNOWN, "2")->text, "names no article");
    assert_decimal(r.amount, "10.00");
    assert_false(r.amount_complete);
    order_check_result_free(&r);

    /* A rejected order reserves nothing. */
    check_file("duplicate.xml", "C100", &m, NULL, &r);
    assert_decimal(r.amount, "600.00");
    assert_decimal(r.reserve, "0.00");
    order_check_result_free(&r);

    /* The currency is the customer's when none was sent. */
    check_file("currency-assumed.xml", "C100", &m, NULL, &r);
    assert_string_equal(r.currency, "EUR");
    f = finding(&r, OC_CURRENCY_ASSUMED, "");
    assert_int_equal(f->field, ORDER_FIELD_CURRENCY);
    assert_string_equal(f->value, "EUR");
    order_check_result_free(&r);

    /* A price hold proposes the contract price with its basis. */
    check_file("price-differs.xml", "C100", &m, NULL, &r);
    f = finding(&r, OC_PRICE_DIFFERS, "1");
    assert_int_equal(f->field, ORDER_FIELD_PRICE);
    assert_string_equal(f->value, "12.50");
    assert_string_equal(f->basis, "1");
    order_check_result_free(&r);
    /* Findings without a value supply none. */
    check_file("no-contract.xml", "C100", &m, NULL, &r);
    assert_int_equal(r.items[0].field, ORDER_FIELD_NONE);
    assert_string_equal(r.items[0].value, "");
    order_check_result_free(&r);
}

/* ---- options, errors, conversions ------------------------------------------------------ */

static void options_override_and_date(void **state)
{
    (void)state;
    memory_md m = base_md();
    order_check_result r = { 0 };
    const order_check_override warn_credit[] = {
        { OC_CREDIT_LIMIT_EXCEEDED, ORDER_ACTION_WARN },
    };
    order_check_options opt = { .overrides = warn_credit, .override_count = 1 };
    check_file("credit.xml", "C301", &m, &opt, &r);
    assert_int_equal(r.outcome, ORDER_ACTION_WARN);
    assert_int_equal(finding(&r, OC_CREDIT_LIMIT_EXCEEDED, "")->action, ORDER_ACTION_WARN);
    assert_contains(finding(&r, OC_CREDIT_LIMIT_EXCEEDED, "")->text,
                    "make this a warn instead of a hold.)");
    order_check_result_free(&r);

    const order_check_override off[] = { { OC_CREDIT_LIMIT_EXCEEDED, ORDER_ACTION_NONE } };
    opt = (order_check_options){ .overrides = off, .override_count = 1 };
    check_file("credit.xml", "C301", &m, &opt, &r);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.outcome, ORDER_ACTION_NONE);
    order_check_result_free(&r);

    /* A blocked customer made a hold: the other checks run on (C200 has no contracts, so
     * neither prices nor the customer's own number MH-4711 are known). */
    const order_check_override hold_blocked[] = { { OC_CUSTOMER_BLOCKED, ORDER_ACTION_HOLD } };
    opt = (order_check_options){ .overrides = hold_blocked, .override_count = 1 };
    check_file("clean.xml", "C200", &m, &opt, &r);
    assert_int_equal(r.outcome, ORDER_ACTION_HOLD);
    assert_int_equal(reason_bits(&r),
                     BIT(OC_CUSTOMER_BLOCKED) | BIT(OC_NO_CONTRACT) | BIT(OC_ARTICLE_UNKNOWN));
    order_check_result_free(&r);

    /* Without a document date, `today` is the order date: in 2027 the contract of A1 has
     * ended. */
    char path[512], why[256] = "";
    snprintf(path, sizeof path, "%s%s", CHECKS, "clean.xml");
    xmlDocPtr doc = mf_parse_file(path);
    xmlXPathObjectPtr o = xpath_eval(doc, "/c:order/c:date");
    assert_int_equal(o->nodesetval->nodeNr, 1);
    xmlNodePtr date = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    xmlUnlinkNode(date);
    xmlFreeNode(date);
    opt = (order_check_options){ .today = "2027-06-01" };
    md_lookup md = lookup_of(&m);
    assert_int_equal(order_checks_run(doc, "C100", &md, &opt, &r, why, sizeof why), EDI_OK);
    assert_string_equal(r.order_date, "2027-06-01");
    assert_int_equal(reason_bits(&r), BIT(OC_CONTRACT_EXPIRED));
    assert_string_equal(finding(&r, OC_CONTRACT_EXPIRED, "1")->found, "2027-06-01");
    order_check_result_free(&r);
    /* Validity includes its first and last day: A1 and A2 from 2026-01-01, A1 to
     * 2026-12-31. */
    opt.today = "2026-12-31";
    assert_int_equal(order_checks_run(doc, "C100", &md, &opt, &r, why, sizeof why), EDI_OK);
    assert_int_equal(r.count, 0);
    opt.today = "2026-01-01";
    assert_int_equal(order_checks_run(doc, "C100", &md, &opt, &r, why, sizeof why), EDI_OK);
    assert_int_equal(r.count, 0);
    opt.today = "2025-12-31";
    assert_int_equal(order_checks_run(doc, "C100", &md, &opt, &r, why, sizeof why), EDI_OK);
    assert_int_equal(reason_bits(&r), BIT(OC_CONTRACT_NOT_YET_VALID));
    assert_int_equal(r.count, 2);
    assert_string_equal(finding(&r, OC_CONTRACT_NOT_YET_VALID, "2")->expected, "2026-01-01");
    order_check_result_free(&r);
    /* Without either, the current date: some date is used, and it is ISO. */
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_int_equal(strlen(r.order_date), 10);
    assert_int_equal(r.order_date[4], '-');
    order_check_result_free(&r);
    xmlFreeDoc(doc);
}

static void errors_stop_the_run(void **state)
{
    (void)state;
    memory_md m = base_md();
    md_lookup md = lookup_of(&m);
    order_check_result r = { 0 };
    char why[256] = "", path[512];
    snprintf(path, sizeof path, "%s%s", CHECKS, "clean.xml");
    xmlDocPtr doc = mf_parse_file(path);

    m.fail = true;
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_E_STORE);
    assert_string_equal(why, "the test database is unavailable");
    m.fail = false;

    md.open_exposure = NULL;
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_E_ARG);
    md = lookup_of(&m);

    /* Master data with a step that is not a number is the master data's fault. */
    md_article bad[sizeof articles / sizeof articles[0]];
    memcpy(bad, articles, sizeof bad);
    snprintf(bad[1].step_quantity, sizeof bad[1].step_quantity, "half");
    m.articles = bad;
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_E_ARG);
    assert_contains(why, "article A2: step quantity \"half\" is not a decimal");
    m.articles = articles;

    /* An invoice is no order. */
    xmlDocPtr inv = mf_parse_file(ROOT "/tests/corpus/canonical/invoice-to-complete.xml");
    assert_int_equal(order_checks_run(inv, "C100", &md, NULL, &r, why, sizeof why), EDI_E_ARG);
    assert_contains(why, "not a canonical order");
    xmlFreeDoc(inv);

    /* And a good run afterwards in the same result works (the result is emptied first). */
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_int_equal(r.count, 0);
    order_check_result_free(&r);
    xmlFreeDoc(doc);
}

static void ids_and_doc_findings(void **state)
{
    (void)state;
    for (int i = 0; i < OC_REASON_COUNT; i++) {
        order_check_reason back;
        assert_true(order_check_reason_parse(order_check_reason_id((order_check_reason)i),
                                             &back));
        assert_int_equal(back, i);
        assert_int_not_equal(order_check_default_action((order_check_reason)i), ORDER_ACTION_NONE);
    }
    order_check_reason back;
    assert_false(order_check_reason_parse("NO_SUCH_RULE", &back));

    memory_md m = base_md();
    order_check_result r = { 0 };
    check_file("value-invalid.xml", "C100", &m, NULL, &r);
    doc_findings f;
    doc_findings_init(&f);
    assert_int_equal(order_check_to_doc_findings(&r, &f), EDI_OK);
    assert_int_equal(f.count, 2);
    assert_int_equal(f.items[0].severity, DOC_ERROR);
    assert_string_equal(f.items[0].rule, "VALUE_INVALID");
    assert_string_equal(f.items[0].where, "line 1");
    assert_contains(f.items[0].text, "reject: Line 1: the quantity 0 is not above zero");
    assert_string_equal(f.items[1].where, "line 2");
    assert_contains(f.items[1].text, "price basis quantity \"0\"");
    doc_findings_free(&f);
    order_check_result_free(&r);

    /* An order number longer than any store keeps is refused, not cut and compared. */
    char path[512], why[256] = "", number[301];
    memset(number, 'X', 300);
    number[300] = '\0';
    snprintf(path, sizeof path, "%s%s", CHECKS, "clean.xml");
    xmlDocPtr doc = mf_parse_file(path);
    xmlXPathObjectPtr o = xpath_eval(doc, "/c:order/c:number");
    xmlNodeSetContent(o->nodesetval->nodeTab[0], BAD_CAST number);
    xmlXPathFreeObject(o);
    md_lookup md = lookup_of(&m);
    assert_int_equal(order_checks_run(doc, "C100", &md, NULL, &r, why, sizeof why), EDI_OK);
    xmlFreeDoc(doc);
    assert_int_equal(reason_bits(&r), BIT(OC_VALUE_INVALID));
    assert_contains(finding(&r, OC_VALUE_INVALID, "")->text, "longer than 255 bytes");
    order_check_result_free(&r);

    check_file("unit-assumed.xml", "C100", &m, NULL, &r);
    doc_findings_init(&f);
    assert_int_equal(order_check_to_doc_findings(&r, &f), EDI_OK);
    assert_int_equal(f.items[0].severity, DOC_WARNING);
    doc_findings_free(&f);
    order_check_result_free(&r);
}

/* ---- the real sample, mapped by the conversion engine ----------------------------------- */

/* The sample's buyer GLN belongs to customer C100 (what a partner profile says). */
static const char *customer_of_gln(const char *gln)
{
    return strcmp(gln, "4012345000016") == 0 ? "C100" : NULL;
}

static void sample_orders(void **state)
{
    (void)state;
    char why[1024] = "";
    convert_engine *e = convert_engine_new(GATEWAY_FORMATS_DIR, ROOT "/xslt", why, sizeof why);
    assert_non_null(e);
    edi_buf in = mf_read(SAMPLE);
    convert_results out = { 0 };
    doc_findings f;
    doc_findings_init(&f);
    assert_int_equal(convert_run(e, in.p, in.len, CONVERT_TO_CANONICAL, NULL, &out, &f, why,
                                 sizeof why),
                     CONVERT_DONE);
    edi_buf_free(&in);
    assert_int_equal(out.count, 2);

    memory_md m = base_md();
    md_lookup md = lookup_of(&m);
    order_check_result r[2] = { { 0 } };
    xmlDocPtr docs[2];
    for (size_t i = 0; i < 2; i++) {
        xmlDocPtr doc = docs[i] = mf_parse(out.items[i].data, out.items[i].len, out.items[i].name);
        char *gln = xpath_string(doc, "/c:order/c:party[@role='buyer']/c:id[@scheme='gln']");
        assert_int_equal(order_checks_run(doc, customer_of_gln(gln), &md, NULL, &r[i], why,
                                          sizeof why),
                         EDI_OK);
        free(gln);
    }
    /* PO-2026-1187: A1 by GTIN (48 PCE = C62 at 12.50), A2 by GTIN and supplier number
     * TH-200 (12.5 MTR at 3.95 per 100: minimum 10, step 0.5), all as in the contracts. */
    assert_string_equal(r[0].order_number, "PO-2026-1187");
    assert_int_equal(r[0].count, 0);
    assert_int_equal(r[0].outcome, ORDER_ACTION_NONE);
    assert_decimal(r[0].amount, "600.49");
    /* PO-2026-1188: no currency, no unit, no price: the customer's EUR, the base unit C62
     * and the contract price 12.50 are filled in, and 6 x 12.50 = 75.00. */
    assert_string_equal(r[1].order_number, "PO-2026-1188");
    assert_int_equal(reason_bits(&r[1]),
                     BIT(OC_CURRENCY_ASSUMED) | BIT(OC_UNIT_ASSUMED) | BIT(OC_PRICE_ADDED));
    assert_int_equal(r[1].outcome, ORDER_ACTION_AMEND);
    assert_string_equal(r[1].currency, "EUR");
    assert_decimal(r[1].amount, "75.00");
    assert_decimal(r[1].reserve, "75.00");

    /* The values filled in travel to the order response: the plan carries them, and the
     * EANCOM ORDRSP written from the response says changed (BGM 1225 4, LIN 1229 3) with the
     * currency, the unit and the contract price. */
    char plan[512];
    assert_int_equal(orders_answer_plan(&r[1], false, plan, sizeof plan), EDI_OK);
    assert_string_equal(plan, "{\"currency\":\"EUR\",\"lines\":{\"1\":{\"price\":\"12.50\","
                              "\"status\":\"changed\",\"unit\":\"C62\"}},\"type\":\"changed\"}");
    xmlDocPtr resp = NULL;
    if (orders_build_response(docs[1], plan, "R2", "2026-11-27", &resp, why, sizeof why) != EDI_OK)
        fail_msg("no order response: %s", why);
    xmlChar *bytes = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(resp, &bytes, &len, "UTF-8");
    convert_results ordrsp = { 0 };
    convert_options opt = { .datetime = "20261127:1200" };
    if (convert_run(e, (const char *)bytes, (size_t)len, CONVERT_TO_ORDRSP, &opt, &ordrsp, &f,
                    why, sizeof why) != CONVERT_DONE)
        fail_msg("no ORDRSP: %s", why);
    static const char *const segments[] = {
        "UNH+1+ORDRSP:D:96A:UN:EAN005'", "BGM+231+R2+4'", "RFF+ON:PO-2026-1188'",
        "CUX+2:EUR:9'", "LIN+1+3+4006381333931:EN'", "QTY+21:6:PCE'", "MOA+203:75.00'",
        "PRI+AAA:12.50'",
    };
    for (size_t i = 0; i < sizeof segments / sizeof segments[0]; i++)
        if (!strstr(ordrsp.items[0].data, segments[i]))
            fail_msg("the ORDRSP has no %s:\n%s", segments[i], ordrsp.items[0].data);
    convert_results_free(&ordrsp);
    xmlFree(bytes);
    xmlFreeDoc(resp);
    xmlFreeDoc(docs[0]);
    xmlFreeDoc(docs[1]);
    /* Both orders' exposures: 1000.00 open + 600.49 and + 75.00 are far below 50000.00. */
    order_check_result_free(&r[0]);
    order_check_result_free(&r[1]);
    convert_results_free(&out);
    doc_findings_free(&f);
    convert_engine_free(e);
}

static int teardown(void **state)
{
    (void)state;
    xsltCleanupGlobals();
    xmlCleanupParser();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_rule_on_its_fixture),
        cmocka_unit_test(clean_order_amount),
        cmocka_unit_test(price_basis_compares_unit_prices),
        cmocka_unit_test(tolerance_boundary),
        cmocka_unit_test(quantities_and_steps),
        cmocka_unit_test(credit_at_and_above_limit),
        cmocka_unit_test(amounts_of_amends_and_rejects),
        cmocka_unit_test(options_override_and_date),
        cmocka_unit_test(errors_stop_the_run),
        cmocka_unit_test(ids_and_doc_findings),
        cmocka_unit_test(sample_orders),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
