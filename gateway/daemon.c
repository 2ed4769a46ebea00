/* daemon.c: `gateway serve` (daemon.h). */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libssh2.h>
#include <openssl/crypto.h>

#include "api.h"
#include "api_auth.h"
#include "approval_link.h"
#include "as2_certs.h"
#include "as2_receive.h"
#include "as2_send.h"
#include "channel_dir.h"
#include "channel_email_in.h"
#include "channel_sftp.h"
#include "content_store.h"
#include "convert.h"
#include "edi_directory.h"
#include "http_routes_approval.h"
#include "http_server.h"
#include "mailer.h"
#include "mapping.h"
#include "orders.h"
#include "partner.h"
#include "pipeline.h"
#include "store.h"

typedef struct gw gw;

typedef struct {
    gw *g;
    unsigned index;
    pthread_t thread;
    bool started;
    int status;            /* 0, or 1 when the thread could not run */
} worker;

struct gw {
    const gateway_config *cfg;
    content_store *content;
    edi_directory *directory;
    mapping_ctx *loader;
    partner_set *partners;
    http_server *http;
    store_write_gate *gate;    /* every handle below takes turns at writing through it */
    store *http_store;         /* the HTTP threads' handle, under http_lock */
    pthread_mutex_t http_lock;
    atomic_bool stop;
    pthread_mutex_t lock;      /* with `wake`: workers and the poller sleep on it */
    pthread_cond_t wake;
    unsigned long work_signals; /* bumped when new work is there */
    worker *workers;
    worker poller;
    worker sftp_poller;        /* partners' SFTP servers with a <pull> block */
    sftp_gate *sftp_gate;      /* per-partner limit on SFTP connections */
    worker approvals;          /* expiries and reminders */
    worker mail_poller;        /* the shared and the partners' IMAP mailboxes */
    approval_link_keys keys;   /* the approval links' signing keys */
    orders_settings settings;
    mailer_options mail;
    char smtp_password[1024];  /* from <mail passwordFile>; cleansed at the end */
    bool has_mail;
    approval_routes routes;    /* their store handle is http_store, under http_lock */
    api_context api;           /* the JSON API: http_store under http_lock too */
    char admin_key[API_KEY_MAX]; /* the ERP/admin key; "" when none is configured */
    as2_keyring *as2_keys;     /* our AS2 key pairs (<as2>); NULL without */
    as2_send_settings as2_send; /* sending AS2: the workers' pipeline_ctx.as2 */
    as2_receiver *as2;         /* POST /as2; its store handle is http_store, under http_lock */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gateway serve: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Sleep up to `ms` or until woken (new work, or the stop). */
static void nap(gw *g, unsigned ms, unsigned long seen)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->lock);
    while (!atomic_load(&g->stop) && g->work_signals == seen)
        if (pthread_cond_timedwait(&g->wake, &g->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&g->lock);
}

static unsigned long signals_seen(gw *g)
{
    pthread_mutex_lock(&g->lock);
    unsigned long s = g->work_signals;
    pthread_mutex_unlock(&g->lock);
    return s;
}

static void signal_work(gw *g)
{
    pthread_mutex_lock(&g->lock);
    g->work_signals++;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->lock);
}

/* A handle on the database for one thread, taking turns at writing with the others.
 * Workers' handles are relaxed (store_set_durability): a step lost with the power runs
 * again; what leaves the gateway is committed durably by the step that sends it. */
static store *open_store(gw *g, store_durability d, char *why, size_t why_n)
{
    store *s = store_open_sqlite(g->cfg->database, why, why_n);
    if (!s)
        return NULL;
    store_use_write_gate(s, g->gate);
    if (store_set_durability(s, d, why, why_n) != EDI_OK) {
        store_close(s);
        return NULL;
    }
    return s;
}

/* ---- workers ------------------------------------------------------------------------- */

static void *work(void *arg)
{
    worker *w = arg;
    gw *g = w->g;
    char why[640] = "", name[64];
    snprintf(name, sizeof name, "worker-%ld-%u", (long)getpid(), w->index);
    store *s = open_store(g, STORE_RELAXED, why, sizeof why);
    convert_engine *e = s ? convert_engine_new(g->cfg->formats_dir, g->cfg->xslt_dir, why,
                                               sizeof why)
                          : NULL;
    if (!e) {
        say("%s cannot start: %s", name, why);
        store_close(s);
        w->status = 1;
        return NULL;
    }
    pipeline_ctx p = { .store = s, .content = g->content, .engine = e,
                       .directory = g->directory, .partners = g->partners, .worker = name,
                       .lease_ms = (int64_t)g->cfg->lease_seconds * 1000,
                       .orders = true,
                       .approvals = &g->settings,
                       .mail = g->has_mail ? &g->mail : NULL,
                       .as2 = g->cfg->as2.enabled ? &g->as2_send : NULL,
                       .sftp_gate = g->sftp_gate };
    while (!atomic_load(&g->stop)) {
        unsigned long seen = signals_seen(g);
        bool ran = false;
        why[0] = '\0';
        edi_result r = pipeline_step(&p, &ran, why, sizeof why);
        if (r != EDI_OK && r != EDI_E_CONFLICT)
            say("%s: %s", name, why[0] ? why : edi_result_str(r));
        if (r == EDI_OK && ran)
            continue;
        nap(g, r == EDI_OK ? g->cfg->poll_ms : 200, seen);
    }
    convert_engine_free(e);
    store_close(s);
    return NULL;
}

/* ---- the inbox poller ---------------------------------------------------------------- */

/* How often AS2 messages awaiting an asynchronous MDN are checked against their deadline. */
#define AS2_DEADLINE_TICK_MS 1000

static void *poll_inboxes(void *arg)
{
    worker *w = arg;
    gw *g = w->g;
    char why[640] = "";
    store *s = open_store(g, STORE_DURABLE, why, sizeof why);
    if (!s) {
        say("the inbox poller cannot start: %s", why);
        w->status = 1;
        return NULL;
    }
    size_t n = partner_set_count(g->partners) + 1, k = 0;
    channel_inbox **in = calloc(n, sizeof *in);
    if (!in) {
        store_close(s);
        w->status = 1;
        return NULL;
    }
    if (g->cfg->inbox_dir && !(in[k++] = channel_inbox_new(g->cfg->inbox_dir, "",
                                                           g->cfg->max_file_bytes, why,
                                                           sizeof why)))
        say("%s", why);
    for (size_t i = 0; i + 1 < n; i++) {
        const partner *p = partner_set_at(g->partners, i);
        if (p->channel != PARTNER_CHANNEL_DIRECTORY || !p->inbox[0])
            continue;
        if (!(in[k++] = channel_inbox_new(p->inbox, p->id, g->cfg->max_file_bytes, why,
                                          sizeof why)))
            say("partner %s: %s", p->id, why);
    }
    int64_t next_as2_check = 0;
    while (!atomic_load(&g->stop)) {
        size_t taken = 0;
        /* AS2 messages whose asynchronous MDN is overdue: alerted, resent or failed */
        if (g->cfg->as2.enabled && store_now_ms() >= next_as2_check) {
            size_t resent = 0;
            why[0] = '\0';
            if (as2_send_tick(s, g->partners, store_now_ms(), "as2-deadline", &resent, why,
                              sizeof why) != EDI_OK)
                say("AS2 MDN deadlines: %s", why);
            taken += resent;
            next_as2_check = store_now_ms() + AS2_DEADLINE_TICK_MS;
        }
        for (size_t i = 0; i < k && !atomic_load(&g->stop); i++) {
            if (!in[i])
                continue;
            why[0] = '\0';
            edi_result r = channel_inbox_poll(in[i], s, g->content, &taken, why, sizeof why);
            if (r != EDI_OK)
                say("inbox %s: %s", channel_inbox_folder(in[i]), why);
        }
        if (taken)
            signal_work(g);
        nap(g, g->cfg->poll_ms, signals_seen(g));
    }
    for (size_t i = 0; i < k; i++)
        channel_inbox_free(in[i]);
    free(in);
    store_close(s);
    return NULL;
}

/* ---- the SFTP poller ----------------------------------------------------------------- */

static bool pulls_sftp(const partner *p)
{
    return p->channel == PARTNER_CHANNEL_SFTP && p->sftp.pull && p->sftp.pull_folder[0];
}

/* Every SFTP partner with a <pull> block, each at its own interval, one after the other; a
 * partner's problems are its alerts (channel_sftp_poll) and never stop the others. */
static void *poll_sftp(void *arg)
{
    worker *w = arg;
    gw *g = w->g;
    char why[640] = "", report[2048] = "";
    store *s = open_store(g, STORE_DURABLE, why, sizeof why);
    if (!s) {
        say("the SFTP poller cannot start: %s", why);
        w->status = 1;
        return NULL;
    }
    size_t n = 0, count = partner_set_count(g->partners);
    channel_sftp_puller **pl = calloc(count ? count : 1, sizeof *pl);
    for (size_t i = 0; pl && i < count; i++) {
        const partner *p = partner_set_at(g->partners, i);
        if (pulls_sftp(p) && !(pl[n++] = channel_sftp_puller_new(p, g->cfg->max_file_bytes)))
            n--;
    }
    if (!pl)
        say("the SFTP poller cannot start: out of memory");
    while (pl && !atomic_load(&g->stop)) {
        int64_t now = store_now_ms(), next = now + 1000;
        size_t taken = 0;
        for (size_t i = 0; i < n && !atomic_load(&g->stop); i++) {
            if (channel_sftp_next_ms(pl[i]) <= now &&
                channel_sftp_poll(pl[i], s, g->content, g->sftp_gate, &g->stop, &taken, report,
                                  sizeof report) != EDI_OK)
                say("the SFTP poller cannot store: %s", report);
            else if (report[0])
                say("sftp: %s", report);
            report[0] = '\0';
            if (channel_sftp_next_ms(pl[i]) < next)
                next = channel_sftp_next_ms(pl[i]);
        }
        if (taken)
            signal_work(g);
        now = store_now_ms();
        nap(g, next > now ? (unsigned)(next - now) : 1, signals_seen(g));
    }
    for (size_t i = 0; i < n; i++)
        channel_sftp_puller_free(pl[i]);
    free(pl);
    store_close(s);
    return NULL;
}

/* ---- the mailbox poller ------------------------------------------------------------- */

static void say_mailbox(void *ctx, const char *sentence)
{
    (void)ctx;
    say("%s", sentence);
}

/* Every mailbox at its own interval (channel_email_in.h); a mailbox that cannot be read is
 * said once and tried again at its next turn. */
static void *poll_mailboxes(void *arg)
{
    worker *w = arg;
    gw *g = w->g;
    char why[640] = "";
    store *s = open_store(g, STORE_DURABLE, why, sizeof why);
    email_poller *ep = s ? email_poller_new(g->cfg, g->partners, g->cfg->max_file_bytes) : NULL;
    if (!ep) {
        say("the mailbox poller cannot start: %s", s ? "out of memory" : why);
        store_close(s);
        w->status = 1;
        return NULL;
    }
    while (!atomic_load(&g->stop)) {
        size_t taken = 0;
        why[0] = '\0';
        if (email_poller_poll(ep, s, g->content, store_now_ms(), &taken, say_mailbox, NULL, why,
                              sizeof why) != EDI_OK)
            say("the mailbox poller cannot store: %s", why);
        if (taken)
            signal_work(g);
        nap(g, 1000, signals_seen(g));
    }
    email_poller_free(ep);
    store_close(s);
    return NULL;
}

/* ---- approvals: expiries and reminders ---------------------------------------------- */

/* How often pending approvals are looked at. */
#define APPROVAL_TICK_MS 1000

static void *tick_approvals(void *arg)
{
    worker *w = arg;
    gw *g = w->g;
    char why[640] = "", name[64];
    snprintf(name, sizeof name, "approvals-%ld", (long)getpid());
    store *s = open_store(g, STORE_RELAXED, why, sizeof why);
    if (!s) {
        say("the approval poller cannot start: %s", why);
        w->status = 1;
        return NULL;
    }
    while (!atomic_load(&g->stop)) {
        size_t changed = 0;
        why[0] = '\0';
        edi_result r = orders_approval_tick(s, g->content, &g->settings, store_now_ms() / 1000,
                                            name, &changed, why, sizeof why);
        if (r != EDI_OK)
            say("%s: %s", name, why[0] ? why : edi_result_str(r));
        if (changed)
            signal_work(g);
        nap(g, APPROVAL_TICK_MS, signals_seen(g));
    }
    store_close(s);
    return NULL;
}

static void wake_workers(void *ctx)
{
    signal_work(ctx);
}

/* The order pipeline's settings from the configuration: link keys, mail. False (said why)
 * when a key cannot be loaded. */
static bool load_order_settings(gw *g)
{
    const gateway_config *cfg = g->cfg;
    char why[640] = "";
    if (cfg->link_base) {
        edi_result r = EDI_E_ARG;
        if (cfg->link_key_file)
            r = approval_link_key_from_file(cfg->link_key_file, &g->keys.current, why, sizeof why);
        else if (cfg->link_key_env)
            r = approval_link_key_from_env(cfg->link_key_env, &g->keys.current, why, sizeof why);
        else
            snprintf(why, sizeof why, "<orders><approval> needs keyFile or keyEnv: the key "
                     "that signs approval links");
        if (r == EDI_OK && cfg->link_previous_key_file)
            r = approval_link_key_from_file(cfg->link_previous_key_file, &g->keys.previous, why,
                                            sizeof why);
        else if (r == EDI_OK && cfg->link_previous_key_env)
            r = approval_link_key_from_env(cfg->link_previous_key_env, &g->keys.previous, why,
                                           sizeof why);
        if (r != EDI_OK) {
            say("the approval link key cannot be used: %s (configuration %s)", why, cfg->file);
            return false;
        }
        g->settings.keys = &g->keys;
        g->settings.link_base = cfg->link_base;
        g->settings.lifetime_s = (int64_t)cfg->approval_lifetime_hours * 3600;
        g->settings.reminder_lead_s = (int64_t)cfg->approval_reminder_hours * 3600;
    }
    if (cfg->smtp_url) {
        g->has_mail = true;
        g->settings.mail_from = cfg->mail_from;
        g->settings.mail_from_name = cfg->mail_from_name;
        g->mail.url = cfg->smtp_url;
        g->mail.starttls_required = cfg->smtp_starttls_required;
        g->mail.user = cfg->smtp_user;
        g->mail.password = cfg->smtp_password_env ? getenv(cfg->smtp_password_env) : NULL;
        g->mail.ca_file = cfg->smtp_ca_file;
        /* A send that outlived the worker's lease could be claimed and sent again by
         * another worker: the SMTP timeout stays 5 s inside the lease. */
        long smtp_ms = (long)cfg->smtp_timeout_seconds * 1000;
        long lease_ms = (long)cfg->lease_seconds * 1000;
        long cap_ms = lease_ms > 10000 ? lease_ms - 5000 : 5000;
        g->mail.timeout_ms = smtp_ms < cap_ms ? smtp_ms : cap_ms;
        g->mail.plain_login_loopback = cfg->smtp_plain_login_loopback;
        if (cfg->smtp_password_file) {
            char sentence[640] = "";
            if (mailer_password_from_file(cfg->smtp_password_file, g->smtp_password,
                                          sizeof g->smtp_password, sentence,
                                          sizeof sentence) != EDI_OK) {
                say("the SMTP password cannot be read: %s (configuration %s)", sentence,
                    cfg->file);
                return false;
            }
            g->mail.password = g->smtp_password;
        }
        if (cfg->smtp_user && !g->mail.password) {
            say("the SMTP password variable %s is not set (configuration %s)",
                cfg->smtp_password_env ? cfg->smtp_password_env : "(passwordEnv)", cfg->file);
            return false;
        }
    }
    return true;
}

/* ---- HTTP ---------------------------------------------------------------------------- */

static void health(void *ctx, const http_request *rq, http_response *rs)
{
    gw *g = ctx;
    if (strcmp(rq->method, "GET")) {
        http_respond_error(rs, 405, "%s takes GET", rq->path);
        return;
    }
    int64_t waiting = 0, dead = 0;
    char why[512] = "";
    pthread_mutex_lock(&g->http_lock);
    int version = store_schema_version(g->http_store);
    edi_result r = store_job_counts(g->http_store, &waiting, &dead, why, sizeof why);
    pthread_mutex_unlock(&g->http_lock);
    if (r != EDI_OK) {
        http_respond_json(rs, 503, json_pack("{s:s,s:s}", "status", "unavailable", "error", why));
        return;
    }
    http_respond_json(rs, 200,
                      json_pack("{s:s,s:i,s:{s:I,s:I},s:i,s:i}", "status", "ok",
                                "schema_version", version, "jobs", "waiting",
                                (json_int_t)waiting, "dead", (json_int_t)dead, "partners",
                                (int)partner_set_count(g->partners), "workers",
                                (int)g->cfg->workers));
}

/* ---- start and stop ------------------------------------------------------------------ */

static bool prepare_data(const gateway_config *cfg)
{
    if (!channel_dir_mkdirs(cfg->data_dir)) {
        say("the data folder %s cannot be made: %s; set <data folder> in %s to a folder the "
            "gateway may write", cfg->data_dir, strerror(errno), cfg->file);
        return false;
    }
    if (access(cfg->data_dir, W_OK | X_OK) != 0) {
        say("the data folder %s is not writable: %s; set <data folder> in %s to a folder the "
            "gateway may write", cfg->data_dir, strerror(errno), cfg->file);
        return false;
    }
    return true;
}

static bool load_partners(gw *g)
{
    char canonical[PATH_MAX], schema[PATH_MAX], why[640] = "";
    snprintf(canonical, sizeof canonical, "%s/canonical/canonical.xsd", g->cfg->formats_dir);
    snprintf(schema, sizeof schema, "%s/../partners/partner.xsd", config_default_formats_dir());
    if (!(g->loader = mapping_new(canonical))) {
        say("out of memory");
        return false;
    }
    doc_findings f;
    doc_findings_init(&f);
    g->partners = partner_set_load(g->loader, schema, g->cfg->partners_dir, &f, why, sizeof why);
    bool ok = g->partners && doc_findings_count(&f, DOC_ERROR) == 0;
    if (!g->partners)
        say("the partner profiles cannot be loaded: %s", why);
    else if (!ok) {
        say("partner profiles in %s are refused; fix them (`gateway partners check`) and start "
            "again:", g->cfg->partners_dir);
        doc_findings_print(&f, stderr, false, NULL);
    }
    doc_findings_free(&f);
    return ok;
}

static void stop_threads(gw *g, unsigned started)
{
    atomic_store(&g->stop, true);
    signal_work(g);
    if (g->poller.started)
        pthread_join(g->poller.thread, NULL);
    if (g->sftp_poller.started)
        pthread_join(g->sftp_poller.thread, NULL);
    if (g->approvals.started)
        pthread_join(g->approvals.thread, NULL);
    if (g->mail_poller.started)
        pthread_join(g->mail_poller.thread, NULL);
    for (unsigned i = 0; i < started; i++)
        if (g->workers[i].started)
            pthread_join(g->workers[i].thread, NULL);
}

static void release(gw *g)
{
    OPENSSL_cleanse(g->admin_key, sizeof g->admin_key);
    OPENSSL_cleanse(g->smtp_password, sizeof g->smtp_password);
    http_server_free(g->http);
    as2_receiver_free(g->as2);
    as2_keyring_free(g->as2_keys);
    store_close(g->http_store);
    store_write_gate_free(g->gate);
    free(g->workers);
    partner_set_free(g->partners);
    sftp_gate_free(g->sftp_gate);
    libssh2_exit();
    mapping_free(g->loader);
    edi_directory_free(g->directory);
    content_store_close(g->content);
    approval_link_key_clear(&g->keys.current);
    approval_link_key_clear(&g->keys.previous);
    /* Harmless before curl_global_init: libcurl counts its initialisations. */
    curl_global_cleanup();
    pthread_mutex_destroy(&g->lock);
    pthread_mutex_destroy(&g->http_lock);
    pthread_cond_destroy(&g->wake);
}

int daemon_serve(const gateway_config *cfg)
{
    gw g;
    memset(&g, 0, sizeof g);
    g.cfg = cfg;
    atomic_init(&g.stop, false);
    pthread_mutex_init(&g.lock, NULL);
    pthread_mutex_init(&g.http_lock, NULL);
    pthread_cond_init(&g.wake, NULL);
    char why[640] = "";

    /* Every thread inherits this mask: only the main thread takes the stop signals. A lease
     * break (SIGIO) and a closed peer (SIGPIPE) must not end the process. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGIO, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    if (!prepare_data(cfg)) {
        release(&g);
        return 2;
    }
    if (!(g.gate = store_write_gate_new())) {
        say("out of memory");
        release(&g);
        return 2;
    }
    if (!(g.http_store = open_store(&g, STORE_DURABLE, why, sizeof why))) {
        say("the database %s cannot be used: %s", cfg->database, why);
        release(&g);
        return 2;
    }
    if (!(g.content = content_store_open(cfg->content_dir, why, sizeof why))) {
        say("the content store %s cannot be used: %s", cfg->content_dir, why);
        release(&g);
        return 2;
    }
    char edd[PATH_MAX];
    snprintf(edd, sizeof edd, "%s/edifact", cfg->formats_dir);
    if (access(edd, R_OK | X_OK) != 0 || !(g.directory = edi_directory_open(edd))) {
        say("the EDIFACT directories are not in %s: set <formats folder> in %s", edd, cfg->file);
        release(&g);
        return 2;
    }
    if (!load_partners(&g) || !load_order_settings(&g)) {
        release(&g);
        return 2;
    }
    /* libcurl (the mailer) and libssh2 are initialised once, before any thread starts. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        say("libcurl cannot be initialised");
        release(&g);
        return 2;
    }
    if (libssh2_init(0) != 0 || !(g.sftp_gate = sftp_gate_new())) {
        say("libssh2 cannot be initialised");
        release(&g);
        return 2;
    }
    if (cfg->as2.enabled &&
        as2_keyring_load(&cfg->as2, &g.as2_keys, why, sizeof why) != EDI_OK) {
        say("our AS2 keys cannot be used: %s (<as2> in %s)", why, cfg->file);
        release(&g);
        return 2;
    }
    g.as2_send = (as2_send_settings){ .keys = g.as2_keys, .our_id = cfg->as2.id,
                                      .async_mdn_url = cfg->as2.async_mdn_url,
                                      .mdn_timeout_s = cfg->as2.mdn_timeout_seconds,
                                      .post_timeout_s = cfg->lease_seconds > 10
                                                            ? cfg->lease_seconds - 5 : 5 };
    if (cfg->http_enabled) {
        g.http = http_server_new();
        edi_result r = g.http ? http_server_route(g.http, "/api/health", false, health, &g)
                              : EDI_E_NOMEM;
        if (r == EDI_OK && g.settings.keys) {
            g.routes = (approval_routes){ .store = g.http_store, .lock = &g.http_lock,
                                          .content = g.content, .keys = &g.keys,
                                          .wake = wake_workers, .wake_ctx = &g };
            r = http_routes_approval_register(g.http, &g.routes);
        }
        if (r == EDI_OK && cfg->admin_key_ref[0] &&
            api_auth_load_key(cfg->admin_key_kind, cfg->admin_key_ref, g.admin_key, why,
                              sizeof why) != EDI_OK) {
            say("the ERP/admin API key cannot be used: %s; fix <http><adminKey> in %s or what "
                "it points at", why, cfg->file);
            release(&g);
            return 2;
        }
        if (r == EDI_OK) {
            g.api = (api_context){ .store = g.http_store, .store_lock = &g.http_lock,
                                   .content = g.content, .partners = g.partners,
                                   .admin_key = g.admin_key, .approvals = &g.settings,
                                   .seller = cfg->seller, .formats_dir = cfg->formats_dir,
                                   .wake = wake_workers, .wake_ctx = &g };
            r = api_routes_register(g.http, &g.api, why, sizeof why);
            if (r == EDI_E_ARG) {
                say("the ERP/admin API key cannot be used: %s (<http><adminKey> in %s)", why,
                    cfg->file);
                release(&g);
                return 2;
            }
        }
        if (r == EDI_OK && cfg->as2.enabled) {
            as2_receive_opts ao = { .store = g.http_store, .lock = &g.http_lock,
                                    .content = g.content, .partners = g.partners,
                                    .our_id = cfg->as2.id, .max_bytes = cfg->as2.max_bytes,
                                    .keys = g.as2_keys, .wake = wake_workers, .wake_ctx = &g };
            if (!(g.as2 = as2_receiver_new(&ao, why, sizeof why))) {
                say("AS2 cannot be received: %s", why[0] ? why : "out of memory");
                release(&g);
                return 2;
            }
            r = as2_receiver_register(g.http, g.as2);
        }
        if (r == EDI_OK && cfg->http_tls_cert)
            r = http_server_set_tls(g.http, cfg->http_tls_cert, cfg->http_tls_key, why,
                                    sizeof why);
        if (r == EDI_OK)
            r = http_server_start(g.http, cfg->http_address, cfg->http_port, 2, why, sizeof why);
        if (r != EDI_OK) {
            say("%s", r == EDI_E_NOMEM ? "out of memory" : why);
            release(&g);
            return 2;
        }
    }

    g.workers = calloc(cfg->workers, sizeof *g.workers);
    if (!g.workers) {
        say("out of memory");
        release(&g);
        return 2;
    }
    unsigned started = 0;
    int status = 0;
    for (; started < cfg->workers; started++) {
        worker *w = &g.workers[started];
        w->g = &g;
        w->index = started + 1;
        if (pthread_create(&w->thread, NULL, work, w) != 0)
            break;
        w->started = true;
    }
    g.poller.g = &g;
    if (started < cfg->workers || pthread_create(&g.poller.thread, NULL, poll_inboxes, &g.poller)) {
        say("the threads cannot be started: %s", strerror(errno));
        stop_threads(&g, started);
        release(&g);
        return 2;
    }
    g.poller.started = true;
    g.sftp_poller.g = &g;
    bool any_sftp = false;
    for (size_t i = 0; i < partner_set_count(g.partners); i++)
        any_sftp = any_sftp || pulls_sftp(partner_set_at(g.partners, i));
    if (any_sftp) {
        if (pthread_create(&g.sftp_poller.thread, NULL, poll_sftp, &g.sftp_poller)) {
            say("the threads cannot be started: %s", strerror(errno));
            stop_threads(&g, started);
            release(&g);
            return 2;
        }
        g.sftp_poller.started = true;
    }
    g.mail_poller.g = &g;
    bool any_mailbox = cfg->n_imap > 0;
    for (size_t i = 0; i < partner_set_count(g.partners); i++)
        any_mailbox = any_mailbox || partner_set_at(g.partners, i)->email.mailbox_url[0];
    if (any_mailbox) {
        if (pthread_create(&g.mail_poller.thread, NULL, poll_mailboxes, &g.mail_poller)) {
            say("the threads cannot be started: %s", strerror(errno));
            stop_threads(&g, started);
            release(&g);
            return 2;
        }
        g.mail_poller.started = true;
    }
    g.approvals.g = &g;
    if (g.settings.keys) {
        if (pthread_create(&g.approvals.thread, NULL, tick_approvals, &g.approvals)) {
            say("the threads cannot be started: %s", strerror(errno));
            stop_threads(&g, started);
            release(&g);
            return 2;
        }
        g.approvals.started = true;
    }
    const char *admin = !g.admin_key[0] ? "no ERP/admin API key (the master data and "
                                          "message routes are closed)"
                        : cfg->admin_key_kind == PARTNER_KEY_ENV
                            ? "the ERP/admin API key from the environment"
                            : "the ERP/admin API key from its file";
    if (cfg->http_enabled)
        say("ready: http://%s%s%s:%u/, %u worker(s), %zu partner(s), database %s, %s",
            strchr(cfg->http_address, ':') ? "[" : "", cfg->http_address,
            strchr(cfg->http_address, ':') ? "]" : "", http_server_port(g.http), cfg->workers,
            partner_set_count(g.partners), cfg->database, admin);
    else
        say("ready: no HTTP server, %u worker(s), %zu partner(s), database %s", cfg->workers,
            partner_set_count(g.partners), cfg->database);

    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0)
        ;
    say("%s: stopping (running steps finish first)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    stop_threads(&g, started);
    for (unsigned i = 0; i < started; i++)
        if (g.workers[i].status)
            status = 1;
    if (g.poller.status || g.approvals.status || g.sftp_poller.status || g.mail_poller.status)
        status = 1;
    release(&g);
    say("stopped");
    return status;
}
