/* api_users.c: a customer's users through the API (api.h, docs/api.md): listed, read,
 * created or changed (name, e-mail, roles, active) and removed by an admin of that same
 * customer (store_user_may_manage) or with the ERP key; personal API tokens issued (shown
 * once, only the SHA-256 kept) and revoked. An admin cannot remove, deactivate or take the
 * admin role from themselves, so a customer is never left without the admin who acted. */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api_auth.h"
#include "store_api_tokens.h"
#include "store_orders.h"

/* The user as JSON, with whether it is active and has a token (never the token). */
static json_t *user_json(store *s, const store_user *u)
{
    approval_user au;
    bool has = false;
    bool active = store_user_as_approver(s, u->id, &au, NULL, NULL, 0) == EDI_OK && au.active;
    store_user_token_exists(s, u->id, &has, NULL, 0);
    json_t *roles = json_array();
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = { { STORE_ROLE_ADMIN, "admin" },
                  { STORE_ROLE_APPROVER, "approver" },
                  { STORE_ROLE_BUYER, "buyer" },
                  { STORE_ROLE_REQUISITIONER, "requisitioner" } };
    for (size_t i = 0; roles && i < sizeof names / sizeof *names; i++)
        if (u->roles & names[i].bit)
            json_array_append_new(roles, json_string(names[i].name));
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:b}", "id", u->id, "customer_id", u->customer_id,
                     "name", u->name, "email", u->email, "roles", roles, "active", active,
                     "has_token", has);
}

/* May `who` manage the users of customer `cid`? False after answering 403. */
static bool may_manage(const api_principal *who, const char *cid, http_response *rs)
{
    if (who->who == API_ADMIN)
        return true;
    if (who->who == API_USER && store_user_may_manage(&who->user, cid))
        return true;
    if (who->who == API_USER && strcmp(who->user.customer_id, cid) != 0)
        api_error(rs, 403, NULL, "user %s belongs to customer %s and cannot manage the users of "
                  "customer %s", who->user.id, who->user.customer_id, cid);
    else if (who->who == API_USER)
        api_error(rs, 403, NULL, "user %s is not an admin of customer %s; only its admins "
                  "manage its users", who->user.id, cid);
    else
        api_error(rs, 403, NULL, "%s cannot manage customer users; use a customer admin's "
                  "token or the ERP key", who->name);
    return false;
}

typedef struct {
    store *s;
    json_t *array;
} lister;

static int add_user(void *vctx, const store_user *u)
{
    lister *l = vctx;
    return json_array_append_new(l->array, user_json(l->s, u)) != 0;
}

static void list_users_reply(const api_context *ctx, const char *cid, http_response *rs)
{
    char why[640] = "";
    md_customer c;
    lister l = { api_lock(ctx), json_array() };
    edi_result r = store_customer_get(l.s, cid, &c, why, sizeof why);
    if (r == EDI_OK)
        r = store_user_list(l.s, cid, add_user, &l, why, sizeof why);
    api_unlock(ctx);
    if (r != EDI_OK) {
        json_decref(l.array);
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    http_respond_json(rs, 200, json_pack("{s:s,s:o}", "customer_id", cid, "users", l.array));
}

/* The target user `uid` of customer `cid` (locked store `s`) into *t, *exists saying whether
 * there is one; false after answering: a customer admin touching a user they may not manage
 * (store_user_may_manage_user) 403, the ERP key naming another customer's user 409. */
static bool target_of(store *s, const api_principal *who, const char *cid, const char *uid,
                      store_user *t, bool *exists, http_response *rs)
{
    char why[640] = "";
    edi_result r = store_user_get(s, uid, t, why, sizeof why);
    *exists = r == EDI_OK;
    if (r == EDI_E_NOT_FOUND)
        return true;
    if (r != EDI_OK) {
        api_error(rs, api_status(r), NULL, "%s", why);
        return false;
    }
    if (who->who == API_USER) {
        bool may = false;
        r = store_user_may_manage_user(s, who->user.id, uid, &may, why, sizeof why);
        if (r != EDI_OK) {
            api_error(rs, api_status(r), NULL, "%s", why);
            return false;
        }
        if (!may) {
            api_error(rs, 403, NULL, "user %s belongs to another customer; user %s manages "
                      "only the users of customer %s", uid, who->user.id,
                      who->user.customer_id);
            return false;
        }
    }
    if (strcmp(t->customer_id, cid) == 0)
        return true;
    api_error(rs, 409, "customer_id", "user %s belongs to customer %s, not %s; use "
              "/api/customers/%s/users/%s", uid, t->customer_id, cid, t->customer_id, uid);
    return false;
}

/* Roles from a JSON array of names or one string; false after answering 422. */
static bool roles_of(json_t *v, unsigned *roles, http_response *rs)
{
    char text[256] = "", why[300] = "";
    if (json_is_string(v)) {
        snprintf(text, sizeof text, "%s", json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                api_error(rs, 422, "roles", "roles must be names such as [\"admin\", "
                          "\"approver\"]");
                return false;
            }
            snprintf(text + strlen(text), sizeof text - strlen(text), " %s", json_string_value(e));
        }
    } else {
        api_error(rs, 422, "roles", "roles must be an array of names such as [\"buyer\"]");
        return false;
    }
    if (store_roles_parse(text, roles, why, sizeof why) != EDI_OK) {
        api_error(rs, 422, "roles", "%s", why);
        return false;
    }
    return true;
}

/* The body of a PUT into `u` and *active; false after answering 422. */
static bool user_from_body(json_t *body, const char *cid, const char *uid, store_user *u,
                           bool *active, http_response *rs)
{
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", uid);
    snprintf(u->customer_id, sizeof u->customer_id, "%s", cid);
    *active = true;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        char *dst = NULL;
        size_t size = 0;
        const char *must = NULL;
        if (!strcmp(key, "name")) {
            dst = u->name;
            size = sizeof u->name;
        } else if (!strcmp(key, "email")) {
            dst = u->email;
            size = sizeof u->email;
        } else if (!strcmp(key, "id")) {
            must = uid;
        } else if (!strcmp(key, "customer_id")) {
            must = cid;
        } else if (!strcmp(key, "roles")) {
            if (!roles_of(v, &u->roles, rs))
                return false;
            continue;
        } else if (!strcmp(key, "active")) {
            if (!json_is_boolean(v)) {
                api_error(rs, 422, "active", "active must be true or false");
                return false;
            }
            *active = json_is_true(v);
            continue;
        } else if (!strcmp(key, "has_token")) {
            continue; /* what a GET gave back; a token is issued by POST .../token */
        } else {
            api_error(rs, 422, key, "\"%.60s\" is not a member of a user; the members are name, "
                      "email, roles and active", key);
            return false;
        }
        if (!json_is_string(v)) {
            api_error(rs, 422, key, "%s must be a string", key);
            return false;
        }
        const char *s = json_string_value(v);
        if (must) {
            if (strcmp(s, must) != 0) {
                api_error(rs, 422, key, "the body says %s \"%.60s\" but the path says \"%s\"; "
                          "they must agree (or leave it out)", key, s, must);
                return false;
            }
            continue;
        }
        if (json_string_length(v) >= size || json_string_length(v) != strlen(s)) {
            api_error(rs, 422, key, "%s is longer than %zu bytes or holds a NUL", key, size - 1);
            return false;
        }
        memcpy(dst, s, strlen(s) + 1);
    }
    return true;
}

static void put_user(const api_context *ctx, const api_principal *who, const char *cid,
                     const char *uid, const http_request *rq, http_response *rs)
{
    json_t *body = api_body(rq, rs, API_BODY_MAX_BYTES);
    if (!body)
        return;
    store_user u, t;
    bool active, exists;
    bool ok = user_from_body(body, cid, uid, &u, &active, rs);
    json_decref(body);
    if (!ok)
        return;
    if (who->who == API_USER && !strcmp(who->user.id, uid) &&
        (!(u.roles & STORE_ROLE_ADMIN) || !active)) {
        api_error(rs, 409, active ? "roles" : "active", "user %s cannot take the admin role from "
                  "themselves or deactivate themselves; ask another admin of customer %s", uid,
                  cid);
        return;
    }
    char why[640] = "";
    const char *field = NULL;
    store_put what = STORE_PUT_UNCHANGED;
    store *s = api_lock(ctx);
    if (!target_of(s, who, cid, uid, &t, &exists, rs)) {
        api_unlock(ctx);
        return;
    }
    edi_result r = store_begin(s, why, sizeof why);
    if (r == EDI_OK)
        r = store_user_put(s, &u, &what, &field, why, sizeof why);
    approval_user au;
    if (r == EDI_OK)
        r = store_user_as_approver(s, uid, &au, NULL, why, sizeof why);
    if (r == EDI_OK && au.active != active) {
        r = store_user_set_active(s, uid, active, why, sizeof why);
        if (what == STORE_PUT_UNCHANGED)
            what = STORE_PUT_CHANGED;
    }
    if (r == EDI_OK)
        r = store_commit(s, why, sizeof why);
    else
        store_rollback(s);
    json_t *j = r == EDI_OK ? user_json(s, &u) : NULL;
    api_unlock(ctx);
    if (r != EDI_OK) {
        unsigned status = r == EDI_E_NOT_FOUND ? 422 : api_status(r);
        api_error(rs, status, status == 422 || status == 409 ? field : NULL, "%s", why);
        return;
    }
    static const char *const results[] = { "new", "changed", "unchanged" };
    json_object_set_new(j, "result", json_string(results[what]));
    http_respond_json(rs, what == STORE_PUT_NEW ? 201 : 200, j);
}

/* GET, DELETE of the user; POST and DELETE of its token. */
static void one_user(const api_context *ctx, const api_principal *who, const char *cid,
                     const char *uid, bool token, const http_request *rq, http_response *rs)
{
    bool get = !strcmp(rq->method, "GET"), del = !strcmp(rq->method, "DELETE");
    bool post = !strcmp(rq->method, "POST");
    if (token ? !(post || del) : !(get || del)) {
        api_method_not_allowed(rs, rq->path, token ? "POST and DELETE" : "GET, PUT and DELETE");
        return;
    }
    if (del && !token && who->who == API_USER && !strcmp(who->user.id, uid)) {
        api_error(rs, 409, NULL, "user %s cannot remove themselves; ask another admin of "
                  "customer %s", uid, cid);
        return;
    }
    char why[640] = "";
    store_user t;
    bool exists;
    store *s = api_lock(ctx);
    if (!target_of(s, who, cid, uid, &t, &exists, rs)) {
        api_unlock(ctx);
        return;
    }
    if (!exists) {
        api_unlock(ctx);
        api_error(rs, 404, NULL, "customer %s has no user %s", cid, uid);
        return;
    }
    edi_result r = EDI_OK;
    json_t *j = NULL;
    char tok[API_TOKEN_SIZE] = "", digest[65];
    if (get) {
        j = user_json(s, &t);
    } else if (token && post) {
        r = api_token_new(tok, digest, why, sizeof why);
        if (r == EDI_OK)
            r = store_user_token_set(s, uid, digest, why, sizeof why);
        if (r == EDI_OK)
            j = json_pack("{s:s,s:s,s:s}", "user_id", uid, "token", tok, "note",
                          "Shown once: the gateway keeps only its SHA-256. Send it as X-API-Key.");
        OPENSSL_cleanse(tok, sizeof tok);
    } else if (token) {
        r = store_user_token_set(s, uid, NULL, why, sizeof why);
        if (r == EDI_OK)
            j = json_pack("{s:s,s:b}", "user_id", uid, "has_token", 0);
    } else {
        r = store_user_delete(s, uid, why, sizeof why);
        if (r == EDI_OK)
            j = json_pack("{s:s,s:b}", "id", uid, "deleted", 1);
    }
    api_unlock(ctx);
    if (r != EDI_OK) {
        json_decref(j);
        api_error(rs, api_status(r), NULL, "%s", why);
        return;
    }
    http_respond_json(rs, token && post ? 201 : 200, j);
}

void api_users_route(const api_context *ctx, const api_principal *who, const http_request *rq,
                     http_response *rs, char (*seg)[MD_ID_MAX], int n)
{
    const char *cid = seg[0];
    if (!may_manage(who, cid, rs))
        return;
    if (n == 2) {
        if (strcmp(rq->method, "GET"))
            api_method_not_allowed(rs, rq->path, "GET");
        else
            list_users_reply(ctx, cid, rs);
    } else if (n == 3 && !strcmp(rq->method, "PUT")) {
        put_user(ctx, who, cid, seg[2], rq, rs);
    } else if (n == 3 || (n == 4 && !strcmp(seg[3], "token"))) {
        one_user(ctx, who, cid, seg[2], n == 4, rq, rs);
    } else {
        api_error(rs, 404, NULL, "there is nothing at %s", rq->path);
    }
}
