/* The JSON API (gateway/api.h) over real HTTP: an http_server on a free loopback port with
 * the API's routes, a temporary SQLite store and content store, two partner profiles (a web
 * shop whose key is in an environment variable, a dealer whose key is in a private file),
 * called with libcurl. Every endpoint's happy path and each refusal: no key and an unknown
 * key 401, a partner key on ERP routes 403, a customer admin touching another customer's
 * users 403, a non-admin user 403, validation errors 422 naming the field, unknown ids 404,
 * references still in use 409, bodies too large 413, malformed JSON 400; PUT is idempotent;
 * user tokens are stored only as SHA-256 digests; a web order is stored raw and recorded as
 * a message with its identify job, a retry gives the same message. */
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

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "api_auth.h"
#include "content_store.h"
#include "mapping.h"
#include "store_master.h"

#define PARTNER_XSD GATEWAY_FORMATS_DIR "/../partners/partner.xsd"
#define CANONICAL_XSD GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define ADMIN_KEY "erp-admin-key-0123456789abcdef"
#define SHOP_KEY "shop-key-abcdefghijklmnopqrstuv"
#define DEALER_KEY "dealer-key-zyxwvutsrqponmlkjih"
#define ORDER_MAX 4096

typedef struct {
    char dir[64];
    store *s;
    pthread_mutex_t lock;
    content_store *cs;
    mapping_ctx *m;
    partner_set *ps;
    api_context ctx;
    http_server *srv;
    unsigned port;
} fixture;

static fixture fx_storage;

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void put_master(store *s)
{
    char why[512];
    const md_customer customers[] = {
        { .id = "K-A", .name = "Alpha GmbH", .currency = "EUR", .credit_limit = "5000.00" },
        { .id = "K-B", .name = "Beta AG", .currency = "EUR" },
    };
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(store_customer_put(s, &customers[i], NULL, NULL, why, sizeof why), EDI_OK);
    const store_user users[] = {
        { "U-A1", "K-A", "Anna Admin", "anna@alpha.example", STORE_ROLE_ADMIN | STORE_ROLE_APPROVER },
        { "U-A2", "K-A", "Ben Buyer", "ben@alpha.example", STORE_ROLE_BUYER },
        { "U-B1", "K-B", "Bea Admin", "bea@beta.example", STORE_ROLE_ADMIN },
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(store_user_put(s, &users[i], NULL, NULL, why, sizeof why), EDI_OK);
}

static int setup(void **state)
{
    fixture *fx = &fx_storage;
    memset(fx, 0, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_api.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    char path[512], why[1024] = "";
    snprintf(path, sizeof path, "%s/db", fx->dir);
    fx->s = store_open_sqlite(path, why, sizeof why);
    if (!fx->s)
        fail_msg("%s", why);
    put_master(fx->s);
    snprintf(path, sizeof path, "%s/content", fx->dir);
    assert_non_null(fx->cs = content_store_open(path, why, sizeof why));
    snprintf(path, sizeof path, "%s/partners", fx->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/partners/shop.xml", fx->dir);
    write_file(path,
               "<partner xmlns='urn:edi-gateway:partner:1' id='shop'><name>Web shop</name>"
               "<identifiers><apiKeyEnv>TEST_API_SHOP_KEY</apiKeyEnv></identifiers>"
               "<inbound><accept format='web-order'/></inbound></partner>", 0600);
    snprintf(path, sizeof path, "%s/partners/dealer.xml", fx->dir);
    write_file(path,
               "<partner xmlns='urn:edi-gateway:partner:1' id='dealer'><name>Dealer</name>"
               "<customer>K-B</customer><identifiers><opentrans>777</opentrans>"
               "<apiKeyFile>dealer.key</apiKeyFile></identifiers>"
               "<inbound><accept format='opentrans-order'/></inbound></partner>", 0600);
    snprintf(path, sizeof path, "%s/partners/dealer.key", fx->dir);
    write_file(path, DEALER_KEY "\n", 0600);
    setenv("TEST_API_SHOP_KEY", SHOP_KEY, 1);
    assert_non_null(fx->m = mapping_new(CANONICAL_XSD));
    doc_findings f;
    doc_findings_init(&f);
    snprintf(path, sizeof path, "%s/partners", fx->dir);
    fx->ps = partner_set_load(fx->m, PARTNER_XSD, path, &f, why, sizeof why);
    assert_non_null(fx->ps);
    if (f.count)
        fail_msg("profile refused: %s", f.items[0].text);
    doc_findings_free(&f);
    assert_int_equal(partner_set_count(fx->ps), 2);
    pthread_mutex_init(&fx->lock, NULL);
    fx->ctx = (api_context){ .store = fx->s, .store_lock = &fx->lock, .content = fx->cs,
                             .partners = fx->ps, .admin_key = ADMIN_KEY,
                             .max_order_bytes = ORDER_MAX };
    assert_non_null(fx->srv = http_server_new());
    assert_int_equal(api_routes_register(fx->srv, &fx->ctx, why, sizeof why), EDI_OK);
    assert_int_equal(http_server_start(fx->srv, "127.0.0.1", 0, 2, why, sizeof why), EDI_OK);
    fx->port = http_server_port(fx->srv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    http_server_free(fx->srv);
    partner_set_free(fx->ps);
    mapping_free(fx->m);
    content_store_close(fx->cs);
    store_close(fx->s);
    pthread_mutex_destroy(&fx->lock);
    curl_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* ---- calling the API --------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
} buffer;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    buffer *b = ud;
    char *d = realloc(b->data, b->len + size * n + 1);
    assert_non_null(d);
    memcpy(d + b->len, p, size * n);
    b->len += size * n;
    d[b->len] = '\0';
    b->data = d;
    return size * n;
}

/* Call `method path` with `key` (NULL: none) and `body` (NULL: none); the status, and the
 * answer as JSON in *out (the caller decrefs; NULL when the answer is not JSON). */
static long call_n(const fixture *fx, const char *method, const char *path, const char *key,
                   const char *body, size_t body_len, json_t **out)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[512], header[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", fx->port, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (key) {
        snprintf(header, sizeof header, "X-API-Key: %s", key);
        h = curl_slist_append(h, header);
    }
    buffer b = { NULL, 0 };
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    json_t *j = b.data ? json_loads(b.data, 0, NULL) : NULL;
    free(b.data);
    if (out)
        *out = j;
    else
        json_decref(j);
    return status;
}

static long call(const fixture *fx, const char *method, const char *path, const char *key,
                 const char *body, json_t **out)
{
    return call_n(fx, method, path, key, body, body ? strlen(body) : 0, out);
}

static const char *str(json_t *j, const char *member)
{
    const char *s = json_string_value(json_object_get(j, member));
    return s ? s : "";
}

/* The call answers `status` and, when `field` is not NULL, names that field. */
static void expect(const fixture *fx, const char *method, const char *path, const char *key,
                   const char *body, long status, const char *field)
{
    json_t *j = NULL;
    long got = call(fx, method, path, key, body, &j);
    if (got != status)
        fail_msg("%s %s: %ld, expected %ld: %s", method, path, got, status,
                 j ? str(j, "error") : "(no JSON)");
    if (status >= 400)
        assert_true(strlen(str(j, "error")) > 10);
    if (field)
        assert_string_equal(str(j, "field"), field);
    json_decref(j);
}

/* ---- keys ------------------------------------------------------------------------------ */

static void keys_are_checked(void **state)
{
    fixture *fx = *state;
    expect(fx, "GET", "/api/customers/K-A", NULL, NULL, 401, NULL);
    expect(fx, "GET", "/api/customers/K-A", "not-a-key-anybody-has-0000", NULL, 401, NULL);
    expect(fx, "GET", "/api/customers/K-A", "short", NULL, 401, NULL);
    expect(fx, "GET", "/api/customers/K-A", SHOP_KEY, NULL, 403, NULL);
    expect(fx, "GET", "/api/customers/K-A", DEALER_KEY, NULL, 403, NULL);
    expect(fx, "GET", "/api/messages", SHOP_KEY, NULL, 403, NULL);
    expect(fx, "GET", "/api/customers/K-A", ADMIN_KEY, NULL, 200, NULL);
    /* The hook the server keeps for other routes knows the same keys. */
    char principal[128];
    assert_true(api_auth_hook(&fx->ctx, DEALER_KEY, principal, sizeof principal));
    assert_string_equal(principal, "partner:dealer");
    assert_false(api_auth_hook(&fx->ctx, "not-a-key-anybody-has-0000", principal,
                               sizeof principal));
    assert_true(api_key_equal(ADMIN_KEY, ADMIN_KEY));
    assert_false(api_key_equal(ADMIN_KEY, ADMIN_KEY "x"));
    /* A key file others may read is refused. */
    char path[256], key[API_KEY_MAX], why[512];
    snprintf(path, sizeof path, "%s/partners/open.key", fx->dir);
    write_file(path, DEALER_KEY, 0644);
    chmod(path, 0644);
    assert_int_equal(api_auth_load_key(PARTNER_KEY_FILE, path, key, why, sizeof why), EDI_E_ARG);
    assert_null(strstr(why, DEALER_KEY));
}

/* ---- master data --------------------------------------------------------------------------- */

static void customers_put_get_delete(void **state)
{
    fixture *fx = *state;
    const char *body = "{\"name\":\"Gamma KG\",\"blocked\":false,\"credit_limit\":\"1000.50\","
                       "\"currency\":\"EUR\",\"payment_terms\":\"30 days net\","
                       "\"approval_requisitioners\":true,\"approval_above\":\"250.00\"}";
    json_t *j;
    assert_int_equal(call(fx, "PUT", "/api/customers/K-C", ADMIN_KEY, body, &j), 201);
    assert_string_equal(str(j, "result"), "new");
    json_decref(j);
    assert_int_equal(call(fx, "PUT", "/api/customers/K-C", ADMIN_KEY, body, &j), 200);
    assert_string_equal(str(j, "result"), "unchanged");
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/customers/K-C", ADMIN_KEY, NULL, &j), 200);
    assert_string_equal(str(j, "credit_limit"), "1000.50");
    assert_string_equal(str(j, "approval_above"), "250.00");
    assert_true(json_is_true(json_object_get(j, "approval_requisitioners")));
    assert_true(json_is_false(json_object_get(j, "approval_always")));
    json_decref(j);
    const char *changed = "{\"id\":\"K-C\",\"name\":\"Gamma KG\",\"credit_limit\":\"1000.5\","
                          "\"currency\":\"EUR\"}";
    assert_int_equal(call(fx, "PUT", "/api/customers/K-C", ADMIN_KEY, changed, &j), 200);
    assert_string_equal(str(j, "result"), "changed");
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/customers", ADMIN_KEY, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "customers")), 3);
    json_decref(j);

    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY,
           "{\"name\":\"G\",\"currency\":\"EUR\",\"credit_limit\":1000.5}", 422, "credit_limit");
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY,
           "{\"name\":\"G\",\"currency\":\"euro\"}", 422, "currency");
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY,
           "{\"name\":\"G\",\"currency\":\"EUR\",\"credit_limit\":\"1.000,50\"}", 422,
           "credit_limit");
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY,
           "{\"name\":\"G\",\"currency\":\"EUR\",\"colour\":\"red\"}", 422, "colour");
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY,
           "{\"id\":\"K-D\",\"name\":\"G\",\"currency\":\"EUR\"}", 422, "id");
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY, "{\"name\":\"G\",", 400, NULL);
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY, "[1,2]", 400, NULL);
    char *big = malloc(API_BODY_MAX_BYTES + 100);
    memset(big, ' ', API_BODY_MAX_BYTES + 99);
    big[API_BODY_MAX_BYTES + 99] = '\0';
    big[0] = '{';
    big[API_BODY_MAX_BYTES + 98] = '}';
    expect(fx, "PUT", "/api/customers/K-C", ADMIN_KEY, big, 413, NULL);
    free(big);
    /* A refused PUT changed nothing. */
    assert_int_equal(call(fx, "GET", "/api/customers/K-C", ADMIN_KEY, NULL, &j), 200);
    assert_string_equal(str(j, "credit_limit"), "1000.5");
    json_decref(j);

    expect(fx, "GET", "/api/customers/K-NONE", ADMIN_KEY, NULL, 404, NULL);
    expect(fx, "DELETE", "/api/customers/K-NONE", ADMIN_KEY, NULL, 404, NULL);
    expect(fx, "DELETE", "/api/customers/K-A", ADMIN_KEY, NULL, 409, NULL); /* has users */
    expect(fx, "POST", "/api/customers/K-C", ADMIN_KEY, "{}", 405, NULL);
    expect(fx, "DELETE", "/api/customers/K-C", ADMIN_KEY, NULL, 200, NULL);
    expect(fx, "GET", "/api/customers/K-C", ADMIN_KEY, NULL, 404, NULL);
}

static void articles_and_contracts(void **state)
{
    fixture *fx = *state;
    const char *art = "{\"gtin\":\"4006381333931\",\"supplier_number\":\"TH-100\",\"name\":"
                      "\"Thermostat\",\"units\":\"C62 H87\",\"min_qty\":\"6\",\"step_qty\":\"6\"}";
    expect(fx, "PUT", "/api/articles/A-1", ADMIN_KEY, art, 201, NULL);
    expect(fx, "PUT", "/api/articles/A-1", ADMIN_KEY, art, 200, NULL);
    expect(fx, "PUT", "/api/articles/A-2", ADMIN_KEY,
           "{\"gtin\":\"4006381333932\",\"supplier_number\":\"X\",\"units\":\"C62\"}", 422, "gtin");
    expect(fx, "PUT", "/api/articles/A-2", ADMIN_KEY,
           "{\"supplier_number\":\"TH-100\",\"units\":\"C62\"}", 409, "supplier_number");
    expect(fx, "PUT", "/api/articles/A-2", ADMIN_KEY,
           "{\"supplier_number\":\"Y\",\"units\":\"C62\",\"step_qty\":6}", 422, "step_qty");
    json_t *j;
    assert_int_equal(call(fx, "GET", "/api/articles/A-1", ADMIN_KEY, NULL, &j), 200);
    assert_string_equal(str(j, "units"), "C62 H87");
    assert_string_equal(str(j, "min_qty"), "6");
    json_decref(j);

    const char *con = "{\"customer_id\":\"K-A\",\"article_id\":\"A-1\",\"price\":\"12.50\","
                      "\"price_basis\":\"1\",\"currency\":\"EUR\",\"valid_from\":\"2026-01-01\","
                      "\"valid_to\":\"2026-12-31\",\"tolerance_percent\":\"0.5\"}";
    expect(fx, "PUT", "/api/contracts/C-1", ADMIN_KEY, con, 201, NULL);
    expect(fx, "PUT", "/api/contracts/C-1", ADMIN_KEY, con, 200, NULL);
    expect(fx, "PUT", "/api/contracts/C-2", ADMIN_KEY,
           "{\"customer_id\":\"K-NONE\",\"article_id\":\"A-1\",\"price\":\"1\",\"currency\":\"EUR\"}",
           422, "customer_id");
    expect(fx, "PUT", "/api/contracts/C-2", ADMIN_KEY,
           "{\"customer_id\":\"K-A\",\"article_id\":\"A-1\",\"price\":\"1\",\"currency\":\"EUR\","
           "\"valid_from\":\"2026-12-01\",\"valid_to\":\"2026-01-01\"}", 422, NULL);
    assert_int_equal(call(fx, "GET", "/api/contracts?customer=K-A", ADMIN_KEY, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "contracts")), 1);
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/contracts?customer=K-B", ADMIN_KEY, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "contracts")), 0);
    json_decref(j);
    expect(fx, "DELETE", "/api/articles/A-1", ADMIN_KEY, NULL, 409, NULL); /* its contract */
    expect(fx, "DELETE", "/api/contracts/C-1", ADMIN_KEY, NULL, 200, NULL);
    expect(fx, "DELETE", "/api/articles/A-1", ADMIN_KEY, NULL, 200, NULL);
    expect(fx, "GET", "/api/articles/A-1", ADMIN_KEY, NULL, 404, NULL);
}

/* ---- users and tokens ------------------------------------------------------------------ */

/* Issue a token for `uid` of `cid` with `key`; returns it (static buffer per call site). */
static void issue(const fixture *fx, const char *cid, const char *uid, const char *key,
                  char token[API_TOKEN_SIZE])
{
    char path[128];
    snprintf(path, sizeof path, "/api/customers/%s/users/%s/token", cid, uid);
    json_t *j;
    assert_int_equal(call(fx, "POST", path, key, NULL, &j), 201);
    snprintf(token, API_TOKEN_SIZE, "%s", str(j, "token"));
    assert_int_equal(strlen(token), API_TOKEN_SIZE - 1);
    assert_int_equal(strncmp(token, API_TOKEN_PREFIX, strlen(API_TOKEN_PREFIX)), 0);
    json_decref(j);
}

/* The bytes of the database file contain `needle`? (WAL checkpointed first.) */
static bool db_contains(const fixture *fx, const char *needle)
{
    char path[256];
    snprintf(path, sizeof path, "%s/db", fx->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    bool found = false;
    const char *files[] = { "db", "db-wal" };
    for (size_t i = 0; i < 2 && !found; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, files[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        size_t k = strlen(needle);
        for (size_t at = 0; !found && at + k <= n; at++)
            found = memcmp(buf + at, needle, k) == 0;
    }
    return found;
}

static void users_managed_by_their_admin(void **state)
{
    fixture *fx = *state;
    char anna[API_TOKEN_SIZE], ben[API_TOKEN_SIZE], bea[API_TOKEN_SIZE];
    issue(fx, "K-A", "U-A1", ADMIN_KEY, anna);
    issue(fx, "K-A", "U-A2", ADMIN_KEY, ben);
    issue(fx, "K-B", "U-B1", ADMIN_KEY, bea);
    assert_string_not_equal(anna, ben);

    /* Only the digest is kept. */
    char digest[65], sql_digest[65] = "";
    api_sha256_hex(anna, strlen(anna), digest);
    pthread_mutex_lock(&fx->lock);
    sqlite3_stmt *st;
    char path[256];
    snprintf(path, sizeof path, "%s/db", fx->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT api_token_sha256 FROM customer_user WHERE "
                                        "id = 'U-A1'", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(sql_digest, sizeof sql_digest, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    pthread_mutex_unlock(&fx->lock);
    assert_string_equal(sql_digest, digest);
    assert_false(db_contains(fx, anna));
    assert_false(db_contains(fx, anna + strlen(API_TOKEN_PREFIX)));

    /* Anna (admin of K-A) manages K-A's users. */
    json_t *j;
    assert_int_equal(call(fx, "GET", "/api/customers/K-A/users", anna, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "users")), 2);
    json_decref(j);
    const char *carl = "{\"name\":\"Carl Req\",\"email\":\"carl@alpha.example\","
                       "\"roles\":[\"requisitioner\"]}";
    assert_int_equal(call(fx, "PUT", "/api/customers/K-A/users/U-A3", anna, carl, &j), 201);
    assert_string_equal(str(j, "result"), "new");
    assert_true(json_is_true(json_object_get(j, "active")));
    assert_true(json_is_false(json_object_get(j, "has_token")));
    json_decref(j);
    assert_int_equal(call(fx, "PUT", "/api/customers/K-A/users/U-A3", anna, carl, &j), 200);
    assert_string_equal(str(j, "result"), "unchanged");
    json_decref(j);
    assert_int_equal(call(fx, "PUT", "/api/customers/K-A/users/U-A3", anna,
                          "{\"name\":\"Carl Req\",\"email\":\"carl@alpha.example\","
                          "\"roles\":\"requisitioner approver\"}", &j), 200);
    assert_string_equal(str(j, "result"), "changed");
    assert_int_equal(json_array_size(json_object_get(j, "roles")), 2);
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/customers/K-A/users/U-A1", anna, NULL, &j), 200);
    assert_true(json_is_true(json_object_get(j, "has_token")));
    assert_null(json_object_get(j, "api_token_sha256"));
    json_decref(j);

    /* Refusals. */
    expect(fx, "GET", "/api/customers/K-B/users", anna, NULL, 403, NULL);
    expect(fx, "GET", "/api/customers/K-B/users/U-B1", anna, NULL, 403, NULL);
    expect(fx, "PUT", "/api/customers/K-B/users/U-B9", anna, carl, 403, NULL);
    expect(fx, "GET", "/api/customers/K-A/users/U-B1", anna, NULL, 403, NULL);
    expect(fx, "PUT", "/api/customers/K-A/users/U-B1", anna,
           "{\"name\":\"x\",\"email\":\"bea@beta.example\",\"roles\":[\"buyer\"]}", 403, NULL);
    expect(fx, "DELETE", "/api/customers/K-A/users/U-B1", anna, NULL, 403, NULL);
    expect(fx, "POST", "/api/customers/K-A/users/U-B1/token", anna, NULL, 403, NULL);
    expect(fx, "GET", "/api/customers/K-A/users", ben, NULL, 403, NULL);
    expect(fx, "PUT", "/api/customers/K-A/users/U-A9", ben, carl, 403, NULL);
    expect(fx, "GET", "/api/customers/K-A/users", SHOP_KEY, NULL, 403, NULL);
    expect(fx, "GET", "/api/customers/K-A", anna, NULL, 403, NULL);
    expect(fx, "PUT", "/api/customers/K-A/users/U-A4", anna,
           "{\"name\":\"D\",\"email\":\"d@alpha.example\",\"roles\":[\"boss\"]}", 422, "roles");
    expect(fx, "PUT", "/api/customers/K-A/users/U-A4", anna,
           "{\"name\":\"D\",\"email\":\"not-an-address\",\"roles\":[\"buyer\"]}", 422, "email");
    expect(fx, "PUT", "/api/customers/K-A/users/U-A4", anna,
           "{\"name\":\"D\",\"email\":\"BEA@beta.example\",\"roles\":[\"buyer\"]}", 409, "email");
    expect(fx, "PUT", "/api/customers/K-A/users/U-A4", anna, "{\"name\":", 400, NULL);
    expect(fx, "GET", "/api/customers/K-A/users/U-NONE", anna, NULL, 404, NULL);
    /* Anna cannot lock herself out. */
    expect(fx, "PUT", "/api/customers/K-A/users/U-A1", anna,
           "{\"name\":\"Anna Admin\",\"email\":\"anna@alpha.example\",\"roles\":[\"approver\"]}",
           409, "roles");
    expect(fx, "DELETE", "/api/customers/K-A/users/U-A1", anna, NULL, 409, NULL);

    /* Deactivating Ben makes his token useless; reactivating restores it. */
    const char *ben_off = "{\"name\":\"Ben Buyer\",\"email\":\"ben@alpha.example\","
                          "\"roles\":[\"buyer\"],\"active\":false}";
    expect(fx, "PUT", "/api/customers/K-A/users/U-A2", anna, ben_off, 200, NULL);
    expect(fx, "GET", "/api/customers/K-A/users", ben, NULL, 401, NULL);
    assert_int_equal(call(fx, "GET", "/api/customers/K-A/users/U-A2", anna, NULL, &j), 200);
    assert_true(json_is_false(json_object_get(j, "active")));
    json_decref(j);

    /* A new token replaces the old one; revoking removes it. */
    char anna2[API_TOKEN_SIZE];
    issue(fx, "K-A", "U-A1", anna, anna2);
    expect(fx, "GET", "/api/customers/K-A/users", anna, NULL, 401, NULL);
    expect(fx, "GET", "/api/customers/K-A/users", anna2, NULL, 200, NULL);
    expect(fx, "DELETE", "/api/customers/K-B/users/U-B1/token", bea, NULL, 200, NULL);
    expect(fx, "GET", "/api/customers/K-B/users", bea, NULL, 401, NULL);

    /* The ERP key manages every customer's users, but not across the path's customer. */
    expect(fx, "PUT", "/api/customers/K-A/users/U-B1", ADMIN_KEY,
           "{\"name\":\"x\",\"email\":\"bea@beta.example\",\"roles\":[\"buyer\"]}", 409,
           "customer_id");
    expect(fx, "DELETE", "/api/customers/K-A/users/U-A3", anna2, NULL, 200, NULL);
    expect(fx, "GET", "/api/customers/K-A/users/U-A3", anna2, NULL, 404, NULL);
}

/* ---- web orders ---------------------------------------------------------------------- */

#define ORDER(num, user, price) \
    "{\"order_number\":\"" num "\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K-A\"," \
    "\"user_id\":\"" user "\",\"lines\":[{\"supplier_number\":\"TH-100\",\"quantity\":\"6\"," \
    "\"net_price\":" price "}]}"

static void web_orders(void **state)
{
    fixture *fx = *state;
    const char *body = ORDER("WEB-1", "U-A1", "\"13.20\"");
    json_t *j;
    assert_int_equal(call(fx, "POST", "/api/orders", SHOP_KEY, body, &j), 202);
    json_int_t id = json_integer_value(json_object_get(j, "message_id"));
    assert_true(id > 0);
    assert_string_equal(str(j, "order_number"), "WEB-1");
    assert_string_equal(str(j, "user_id"), "U-A1");
    json_decref(j);

    /* Recorded as the pipeline expects it, with the raw bytes stored and an identify job. */
    char why[512];
    store_message m;
    pthread_mutex_lock(&fx->lock);
    assert_int_equal(store_message_get(fx->s, id, &m, why, sizeof why), EDI_OK);
    assert_string_equal(m.channel, "api");
    assert_string_equal(m.partner, "shop");
    assert_string_equal(m.format, "JSON web order");
    assert_string_equal(m.status, STORE_STATUS_RECEIVED);
    assert_string_equal(m.reference, "WEB-1");
    edi_buf raw = { 0 };
    assert_int_equal(content_store_get(fx->cs, m.content_id, &raw, why, sizeof why), EDI_OK);
    assert_int_equal(raw.len, strlen(body));
    assert_memory_equal(raw.p, body, raw.len);
    edi_buf_free(&raw);
    store_job job;
    bool got = false;
    const char *const kinds[] = { "identify", NULL };
    assert_int_equal(store_job_claim(fx->s, "test", 60000, kinds, &job, &got, why, sizeof why),
                     EDI_OK);
    assert_true(got);
    assert_int_equal(job.message_id, id);
    assert_int_equal(store_job_done(fx->s, &job, NULL, why, sizeof why), EDI_OK);
    pthread_mutex_unlock(&fx->lock);

    /* The same body again (a retry) is the same message. */
    assert_int_equal(call(fx, "POST", "/api/orders", SHOP_KEY, body, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "message_id")), id);
    assert_true(json_is_true(json_object_get(j, "duplicate")));
    json_decref(j);

    /* Refusals; nothing is recorded for them. */
    expect(fx, "POST", "/api/orders", NULL, body, 401, NULL);
    expect(fx, "POST", "/api/orders", ADMIN_KEY, ORDER("WEB-2", "U-A1", "\"1\""), 403, NULL);
    expect(fx, "POST", "/api/orders", DEALER_KEY, ORDER("WEB-2", "U-A1", "\"1\""), 403, NULL);
    expect(fx, "POST", "/api/orders", SHOP_KEY, ORDER("WEB-2", "U-A1", "13.2"), 422,
           "lines[0].net_price");
    expect(fx, "POST", "/api/orders", SHOP_KEY, ORDER("WEB-2", "U-NONE", "\"1\""), 422,
           "user_id");
    expect(fx, "POST", "/api/orders", SHOP_KEY, ORDER("WEB-2", "U-B1", "\"1\""), 422, "user_id");
    expect(fx, "POST", "/api/orders", SHOP_KEY, ORDER("WEB-2", "U-A2", "\"1\""), 422, "user_id");
    expect(fx, "POST", "/api/orders", SHOP_KEY, "{\"order_number\":", 400, NULL);
    expect(fx, "GET", "/api/orders", SHOP_KEY, NULL, 403, NULL);
    expect(fx, "DELETE", "/api/orders", SHOP_KEY, NULL, 405, NULL);
    char big[ORDER_MAX + 64];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect(fx, "POST", "/api/orders", SHOP_KEY, big, 413, NULL);
    json_t *problems;
    assert_int_equal(call(fx, "POST", "/api/orders", SHOP_KEY,
                          "{\"order_number\":\"W\",\"lines\":[{\"quantity\":1}]}", &problems), 422);
    assert_true(json_array_size(json_object_get(problems, "problems")) >= 4);
    json_decref(problems);
    int64_t waiting = 0, dead = 0;
    pthread_mutex_lock(&fx->lock);
    assert_int_equal(store_job_counts(fx->s, &waiting, &dead, why, sizeof why), EDI_OK);
    pthread_mutex_unlock(&fx->lock);
    assert_int_equal(waiting, 0);
}

/* ---- messages ---------------------------------------------------------------------------- */

static void messages_listed_and_shown(void **state)
{
    fixture *fx = *state;
    json_t *j;
    assert_int_equal(call(fx, "POST", "/api/orders", SHOP_KEY, ORDER("WEB-M", "U-A1", "\"2.00\""),
                          &j), 202);
    json_int_t id = json_integer_value(json_object_get(j, "message_id"));
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/messages?partner=shop&order=WEB-M", ADMIN_KEY, NULL,
                          &j), 200);
    json_t *list = json_object_get(j, "messages");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), id);
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/messages?status=failed", ADMIN_KEY, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "messages")), 0);
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/messages?since=2999-01-01", ADMIN_KEY, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "messages")), 0);
    json_decref(j);
    assert_int_equal(call(fx, "GET", "/api/messages?since=2020-01-01T00:00:00Z&direction=in",
                          ADMIN_KEY, NULL, &j), 200);
    assert_true(json_array_size(json_object_get(j, "messages")) >= 2);
    json_decref(j);
    expect(fx, "GET", "/api/messages?since=yesterday", ADMIN_KEY, NULL, 422, "since");
    expect(fx, "GET", "/api/messages?limit=0", ADMIN_KEY, NULL, 422, "limit");

    char path[64];
    snprintf(path, sizeof path, "/api/messages/%lld", (long long)id);
    assert_int_equal(call(fx, "GET", path, ADMIN_KEY, NULL, &j), 200);
    assert_string_equal(str(j, "format"), "JSON web order");
    json_t *h = json_object_get(j, "history");
    assert_true(json_array_size(h) >= 1);
    assert_string_equal(str(json_array_get(h, 0), "event"), "received");
    json_decref(j);
    expect(fx, "GET", "/api/messages/999999", ADMIN_KEY, NULL, 404, NULL);
    expect(fx, "GET", "/api/messages/abc", ADMIN_KEY, NULL, 404, NULL);
    expect(fx, "GET", path, SHOP_KEY, NULL, 403, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_are_checked),
        cmocka_unit_test(customers_put_get_delete),
        cmocka_unit_test(articles_and_contracts),
        cmocka_unit_test(users_managed_by_their_admin),
        cmocka_unit_test(web_orders),
        cmocka_unit_test(messages_listed_and_shown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
