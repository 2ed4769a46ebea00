/* api_masterdata.c: PUT, GET and DELETE of customers, articles and contracts for the ERP
 * (api.h, docs/api.md). The JSON members are the CSV columns of `gateway import`; a PUT
 * replaces the whole record (a member left out is empty), so sending the same body twice
 * changes nothing the second time. Customers also carry their approval policy. */
#include "api.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "store_orders.h"

/* One member of a record: text (decimals are text too: numbers are refused) or a boolean. */
typedef struct {
    const char *name;
    size_t off, size;      /* size 0: a bool */
    bool decimal;
} member;

#define TEXT(rec, f, name) { name, offsetof(rec, f), sizeof(((rec *)0)->f), false }
#define DEC(rec, f, name) { name, offsetof(rec, f), sizeof(((rec *)0)->f), true }
#define BOOL(rec, f, name) { name, offsetof(rec, f), 0, false }

static const member customer_members[] = {
    TEXT(md_customer, id, "id"),
    TEXT(md_customer, name, "name"),
    BOOL(md_customer, blocked, "blocked"),
    DEC(md_customer, credit_limit, "credit_limit"),
    TEXT(md_customer, currency, "currency"),
    TEXT(md_customer, payment_terms, "payment_terms"),
};
static const member article_members[] = {
    TEXT(md_article, id, "id"),
    TEXT(md_article, gtin, "gtin"),
    TEXT(md_article, supplier_number, "supplier_number"),
    TEXT(md_article, name, "name"),
    TEXT(md_article, units, "units"),
    DEC(md_article, min_quantity, "min_qty"),
    DEC(md_article, step_quantity, "step_qty"),
};
static const member contract_members[] = {
    TEXT(store_contract, id, "id"),
    TEXT(store_contract, c.customer_id, "customer_id"),
    TEXT(store_contract, c.article_id, "article_id"),
    TEXT(store_contract, c.buyer_article, "buyer_article"),
    DEC(store_contract, c.price, "price"),
    DEC(store_contract, c.price_basis, "price_basis"),
    TEXT(store_contract, c.currency, "currency"),
    TEXT(store_contract, c.valid_from, "valid_from"),
    TEXT(store_contract, c.valid_to, "valid_to"),
    DEC(store_contract, c.tolerance_percent, "tolerance_percent"),
};
/* The customer's approval policy, kept beside the record (store_orders.h). */
static const member policy_members[] = {
    BOOL(approval_policy, always, "approval_always"),
    BOOL(approval_policy, requisitioners, "approval_requisitioners"),
    DEC(approval_policy, above, "approval_above"),
};

typedef struct {
    const char *plural, *singular;
    const member *members;
    size_t n_members, size;
    edi_result (*put)(store *, const void *, store_put *, const char **, char *, size_t);
    edi_result (*get)(store *, const char *, void *, char *, size_t);
    edi_result (*del)(store *, const char *, char *, size_t);
} kind;

/* ---- records <-> JSON ------------------------------------------------------------------ */

static json_t *to_json(const member *m, size_t n, const void *rec, json_t *into)
{
    json_t *j = into ? into : json_object();
    for (size_t i = 0; j && i < n; i++) {
        const char *p = (const char *)rec + m[i].off;
        json_object_set_new(j, m[i].name,
                            m[i].size ? json_string(p) : json_boolean(*(const bool *)p));
    }
    return j;
}

/* One member of the body into the record; false after answering 422. */
static bool member_from_json(const member *m, json_t *v, void *rec, http_response *rs)
{
    char *p = (char *)rec + m->off;
    if (!m->size) {
        if (!json_is_boolean(v) && !json_is_null(v)) {
            api_error(rs, 422, m->name, "%s must be true or false", m->name);
            return false;
        }
        *(bool *)p = json_is_true(v);
        return true;
    }
    if (json_is_null(v)) {
        p[0] = '\0';
        return true;
    }
    if (!json_is_string(v)) {
        if (m->decimal && json_is_number(v))
            api_error(rs, 422, m->name, "%s is a JSON number; write decimals as strings such as "
                      "\"12.50\" so that no reader turns them into floating point", m->name);
        else
            api_error(rs, 422, m->name, "%s must be a string", m->name);
        return false;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len != strlen(s)) {
        api_error(rs, 422, m->name, "%s contains a NUL character; remove it", m->name);
        return false;
    }
    if (len >= m->size) {
        api_error(rs, 422, m->name, "%s is %zu bytes long, at most %zu fit; shorten it", m->name,
                  len, m->size - 1);
        return false;
    }
    memcpy(p, s, len + 1);
    return true;
}

static const member *find_member(const member *m, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            return &m[i];
    return NULL;
}

/* The body into `rec` (and, for customers, `policy`); the id comes from the path and a
 * body "id" must agree. False after answering. */
static bool from_body(const kind *k, json_t *body, const char *id, void *rec,
                      approval_policy *policy, http_response *rs)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        const member *m = find_member(k->members, k->n_members, key);
        const member *pm = policy ? find_member(policy_members, 3, key) : NULL;
        if (!m && !pm) {
            char list[400] = "";
            for (size_t i = 1; i < k->n_members; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i > 1 ? ", " : "",
                         k->members[i].name);
            for (size_t i = 0; policy && i < 3; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), ", %s",
                         policy_members[i].name);
            api_error(rs, 422, key, "\"%.60s\" is not a member of a %s; the members are %s",
                      key, k->singular, list);
            return false;
        }
        if (!member_from_json(m ? m : pm, v, m ? rec : (void *)policy, rs))
            return false;
    }
    char *rid = (char *)rec; /* the id is every record's first member */
    if (*rid && strcmp(rid, id) != 0) {
        api_error(rs, 422, "id", "the body names %s \"%.60s\" but the path names \"%s\"; they "
                  "must agree (or leave id out of the body)", k->singular, rid, id);
        return false;
    }
    size_t n = strnlen(id, MD_ID_MAX - 1);
    memcpy(rid, id, n);
    rid[n] = '\0';
    return true;
}

/* ---- the kinds --------------------------------------------------------------------------- */

static edi_result put_customer(store *s, const void *r, store_put *w, const char **f, char *y,
                               size_t n)
{
    return store_customer_put(s, r, w, f, y, n);
}
static edi_result get_customer(store *s, const char *id, void *r, char *y, size_t n)
{
    return store_customer_get(s, id, r, y, n);
}
static edi_result put_article(store *s, const void *r, store_put *w, const char **f, char *y,
                              size_t n)
{
    return store_article_put(s, r, w, f, y, n);
}
static edi_result get_article(store *s, const char *id, void *r, char *y, size_t n)
{
    return store_article_get(s, id, r, y, n);
}
static edi_result put_contract(store *s, const void *r, store_put *w, const char **f, char *y,
                               size_t n)
{
    return store_contract_put(s, r, w, f, y, n);
}
static edi_result get_contract(store *s, const char *id, void *r, char *y, size_t n)
{
    return store_contract_get(s, id, r, y, n);
}

typedef struct {
    json_t *array;
    const member *members;
    size_t n;
    store *s;
} lister;

static int add_customer(void *ctx, const md_customer *c)
{
    lister *l = ctx;
    json_t *j = to_json(l->members, l->n, c, NULL);
    approval_policy p;
    if (j && store_customer_approval_policy(l->s, c->id, &p, NULL, 0) == EDI_OK)
        to_json(policy_members, 3, &p, j);
    return json_array_append_new(l->array, j) != 0;
}
static int add_article(void *ctx, const md_article *a)
{
    lister *l = ctx;
    return json_array_append_new(l->array, to_json(l->members, l->n, a, NULL)) != 0;
}
static int add_contract(void *ctx, const store_contract *c)
{
    lister *l = ctx;
    return json_array_append_new(l->array, to_json(l->members, l->n, c, NULL)) != 0;
}

static const kind kinds[] = {
    { "customers", "customer", customer_members, 6, sizeof(md_customer), put_customer,
      get_customer, store_customer_delete },
    { "articles", "article", article_members, 7, sizeof(md_article), put_article, get_article,
      store_article_delete },
    { "contracts", "contract", contract_members, 10, sizeof(store_contract), put_contract,
      get_contract, store_contract_delete },
};
enum { K_CUSTOMERS, K_ARTICLES, K_CONTRACTS };

static edi_result list_all(int k, store *s, const char *customer, lister *l, char *why,
                           size_t why_n)
{
    switch (k) {
    case K_CUSTOMERS: return store_customer_list(s, add_customer, l, why, why_n);
    case K_ARTICLES: return store_article_list(s, add_article, l, why, why_n);
    default: return store_contract_list(s, customer, add_contract, l, why, why_n);
    }
}

/* ---- the handlers ------------------------------------------------------------------------ */

static void get_one(const api_context *ctx, const kind *k, const char *id, http_response *rs)
{
    union {
        md_customer c;
        md_article a;
        store_contract k;
    } rec;
    approval_policy p;
    char why[640] = "";
    store *s = api_lock(ctx);
    edi_result r = k->get(s, id, &rec, why, sizeof why);
    bool customer = k == &kinds[K_CUSTOMERS];
    if (r == EDI_OK && customer)
        r = store_customer_approval_policy(s, id, &p, why, sizeof why);
    api_unlock(ctx);
    if (r != EDI_OK) {
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    json_t *j = to_json(k->members, k->n_members, &rec, NULL);
    if (customer)
        to_json(policy_members, 3, &p, j);
    http_respond_json(rs, 200, j);
}

static void put_one(const api_context *ctx, const kind *k, const char *id,
                    const http_request *rq, http_response *rs)
{
    json_t *body = api_body(rq, rs, API_BODY_MAX_BYTES);
    if (!body)
        return;
    union {
        md_customer c;
        md_article a;
        store_contract k;
    } rec;
    memset(&rec, 0, sizeof rec);
    bool customer = k == &kinds[K_CUSTOMERS];
    approval_policy policy, before;
    memset(&policy, 0, sizeof policy);
    bool ok = from_body(k, body, id, &rec, customer ? &policy : NULL, rs);
    json_decref(body);
    if (!ok)
        return;
    char why[640] = "";
    const char *field = NULL;
    store_put what = STORE_PUT_UNCHANGED;
    store *s = api_lock(ctx);
    edi_result r = store_begin(s, why, sizeof why);
    if (r == EDI_OK)
        r = k->put(s, &rec, &what, &field, why, sizeof why);
    if (r == EDI_OK && customer) {
        r = store_customer_approval_policy(s, id, &before, why, sizeof why);
        bool same = r == EDI_OK && before.always == policy.always &&
                    before.requisitioners == policy.requisitioners &&
                    strcmp(before.above, policy.above) == 0;
        if (r == EDI_OK && !same) {
            field = "approval_above";
            r = store_customer_set_approval_policy(s, id, policy.always, policy.requisitioners,
                                                   policy.above, why, sizeof why);
            if (what == STORE_PUT_UNCHANGED)
                what = STORE_PUT_CHANGED;
        }
    }
    if (r == EDI_OK)
        r = store_commit(s, why, sizeof why);
    else
        store_rollback(s);
    api_unlock(ctx);
    if (r != EDI_OK) {
        /* A reference to a record that does not exist is a mistake in the body, not a
         * missing resource at this path. */
        unsigned status = r == EDI_E_NOT_FOUND ? 422 : api_status(r);
        api_error(rs, status, status == 422 || status == 409 ? field : NULL, "%s", why);
        return;
    }
    static const char *const results[] = { "new", "changed", "unchanged" };
    json_t *j = to_json(k->members, k->n_members, &rec, NULL);
    if (customer)
        to_json(policy_members, 3, &policy, j);
    json_object_set_new(j, "result", json_string(results[what]));
    http_respond_json(rs, what == STORE_PUT_NEW ? 201 : 200, j);
}

static void delete_one(const api_context *ctx, const kind *k, const char *id,
                       http_response *rs)
{
    char why[640] = "";
    store *s = api_lock(ctx);
    edi_result r = k->del(s, id, why, sizeof why);
    api_unlock(ctx);
    if (r != EDI_OK) {
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    http_respond_json(rs, 200, json_pack("{s:s,s:b}", "id", id, "deleted", 1));
}

static void list(const api_context *ctx, int k, const http_request *rq, http_response *rs)
{
    const char *customer = k == K_CONTRACTS ? http_request_arg(rq, "customer") : NULL;
    lister l = { json_array(), kinds[k].members, kinds[k].n_members, NULL };
    char why[640] = "";
    l.s = api_lock(ctx);
    edi_result r = list_all(k, l.s, customer && *customer ? customer : NULL, &l, why, sizeof why);
    api_unlock(ctx);
    if (r != EDI_OK) {
        json_decref(l.array);
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    http_respond_json(rs, 200, json_pack("{s:o}", kinds[k].plural, l.array));
}

static void route(const api_context *ctx, int k, const api_principal *who,
                  const http_request *rq, http_response *rs, char (*seg)[MD_ID_MAX], int n)
{
    if (!api_require_admin(who, rs))
        return;
    if (n == 0) {
        if (strcmp(rq->method, "GET"))
            api_method_not_allowed(rs, rq->path, "GET");
        else
            list(ctx, k, rq, rs);
        return;
    }
    if (n != 1) {
        api_error(rs, 404, NULL, "there is nothing at %s", rq->path);
        return;
    }
    if (!strcmp(rq->method, "GET"))
        get_one(ctx, &kinds[k], seg[0], rs);
    else if (!strcmp(rq->method, "PUT"))
        put_one(ctx, &kinds[k], seg[0], rq, rs);
    else if (!strcmp(rq->method, "DELETE"))
        delete_one(ctx, &kinds[k], seg[0], rs);
    else
        api_method_not_allowed(rs, rq->path, "GET, PUT and DELETE");
}

/* Authenticate, split the path and go on with `k`; customers' users go to api_users.c. */
static void handle(void *vctx, int k, const http_request *rq, http_response *rs)
{
    const api_context *ctx = vctx;
    api_principal who;
    if (!api_authenticate(ctx, rq, rs, &who))
        return;
    char seg[4][MD_ID_MAX];
    int n = api_segments(rq->rest, seg, 4);
    if (n < 0) {
        api_error(rs, 404, NULL, "there is nothing at %s (ids are 1 to %d bytes)", rq->path,
                  MD_ID_MAX - 1);
        return;
    }
    if (k == K_CUSTOMERS && n >= 2 && !strcmp(seg[1], "users")) {
        api_users_route(ctx, &who, rq, rs, seg, n);
        return;
    }
    route(ctx, k, &who, rq, rs, seg, n);
}

void api_customers_route(void *ctx, const http_request *rq, http_response *rs)
{
    handle(ctx, K_CUSTOMERS, rq, rs);
}

void api_articles_route(void *ctx, const http_request *rq, http_response *rs)
{
    handle(ctx, K_ARTICLES, rq, rs);
}

void api_contracts_route(void *ctx, const http_request *rq, http_response *rs)
{
    handle(ctx, K_CONTRACTS, rq, rs);
}
