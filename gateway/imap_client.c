/* imap_client.c: reading one IMAP mailbox (imap_client.h). */
#include "imap_client.h"

#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define IMAP_DEFAULT_TIMEOUT_MS 30000L
#define IMAP_DEFAULT_MAX ((size_t)64 << 20)
#define IMAP_LINE_MAX ((size_t)8 << 20) /* an answer line (a SEARCH of many mails) */
#define IMAP_NAME_MAX 256

struct imap_client {
    CURL *curl;
    curl_socket_t sock;
    char host[256];
    char mailbox[IMAP_NAME_MAX];
    uint32_t uidvalidity;
    bool has_move, has_uidplus;
    long timeout_ms;
    size_t max;
    unsigned tag;
    char rbuf[16384];
    size_t rstart, rend;
};

/* ---- URLs and names ----------------------------------------------------------------- */

void imap_url_host(const char *url, char *host, size_t host_n)
{
    host[0] = '\0';
    const char *p = strstr(url ? url : "", "://");
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t h = n;
    if (*p == '[') {
        const char *close = memchr(p, ']', n);
        h = close ? (size_t)(close - p) + 1 : n;
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon)
            h = (size_t)(colon - p);
    }
    snprintf(host, host_n, "%.*s", (int)h, p);
}

static bool is_loopback(const char *host)
{
    return !strcmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1") ||
           !strncmp(host, "127.", 4);
}

/* A mailbox or folder name we can send as a quoted string: printable ASCII without quotes
 * or backslashes. */
static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= IMAP_NAME_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
            return false;
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Split url into the part libcurl connects to (scheme://authority/) and the decoded
 * mailbox. */
static edi_result parse_url(const char *url, bool *tls, char *base, size_t base_n,
                            char *mailbox, size_t mailbox_n, char *why, size_t why_n)
{
    const char *rest;
    if (url && !strncmp(url, "imaps://", 8)) {
        *tls = true;
        rest = url + 8;
    } else if (url && !strncmp(url, "imap://", 7)) {
        *tls = false;
        rest = url + 7;
    } else {
        edi_say(why, why_n, "the mailbox address \"%s\" is not an imap:// or imaps:// URL",
                url ? url : "");
        return EDI_E_ARG;
    }
    size_t auth = strcspn(rest, "/");
    if (auth == 0 || memchr(rest, '@', auth)) {
        edi_say(why, why_n, "the mailbox address %s needs a host and no user in it (the user "
                "is a setting of its own)", url);
        return EDI_E_ARG;
    }
    snprintf(base, base_n, "%.*s%.*s/", (int)(rest - url), url, (int)auth, rest);
    const char *path = rest + auth;
    if (*path == '/')
        path++;
    size_t k = 0;
    for (const char *p = path; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            c = hexval(p[1]) * 16 + hexval(p[2]);
            p += 2;
        } else if (c == ';' || c == '?') {
            c = -1;
        }
        if (c < 0 || k + 1 >= mailbox_n) {
            edi_say(why, why_n, "the mailbox in %s is not a plain mailbox name", url);
            return EDI_E_ARG;
        }
        mailbox[k++] = (char)c;
    }
    mailbox[k] = '\0';
    if (k == 0)
        snprintf(mailbox, mailbox_n, "INBOX");
    if (!name_ok(mailbox)) {
        edi_say(why, why_n, "the mailbox \"%s\" in %s cannot be used: ASCII letters, digits "
                "and punctuation without quotes only", mailbox, url);
        return EDI_E_ARG;
    }
    return EDI_OK;
}

/* ---- the connection ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static edi_result wait_for(imap_client *c, short events, int64_t deadline, char *why,
                           size_t why_n)
{
    int64_t left = deadline - now_ms();
    if (left <= 0) {
        edi_say(why, why_n, "the IMAP server %s did not answer within %ld s", c->host,
                c->timeout_ms / 1000);
        return EDI_E_IO;
    }
    struct pollfd pfd = { .fd = c->sock, .events = events };
    if (poll(&pfd, 1, (int)left) < 0) {
        edi_say(why, why_n, "waiting for the IMAP server %s failed", c->host);
        return EDI_E_IO;
    }
    return EDI_OK;
}

static edi_result send_all(imap_client *c, const char *data, size_t len, char *why, size_t why_n)
{
    int64_t deadline = now_ms() + c->timeout_ms;
    while (len) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(c->curl, data, len, &n);
        if (rc == CURLE_AGAIN) {
            edi_result r = wait_for(c, POLLOUT, deadline, why, why_n);
            if (r != EDI_OK)
                return r;
            continue;
        }
        if (rc != CURLE_OK) {
            edi_say(why, why_n, "the connection to the IMAP server %s failed: %s", c->host,
                    curl_easy_strerror(rc));
            return EDI_E_IO;
        }
        data += n;
        len -= n;
    }
    return EDI_OK;
}

/* More bytes into rbuf (at least one), waiting up to the timeout. */
static edi_result fill(imap_client *c, char *why, size_t why_n)
{
    if (c->rstart == c->rend)
        c->rstart = c->rend = 0;
    if (c->rend == sizeof c->rbuf) {
        memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
        c->rend -= c->rstart;
        c->rstart = 0;
    }
    int64_t deadline = now_ms() + c->timeout_ms;
    for (;;) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(c->curl, c->rbuf + c->rend, sizeof c->rbuf - c->rend, &n);
        if (rc == CURLE_OK && n > 0) {
            c->rend += n;
            return EDI_OK;
        }
        if (rc == CURLE_OK) {
            edi_say(why, why_n, "the IMAP server %s closed the connection", c->host);
            return EDI_E_IO;
        }
        if (rc != CURLE_AGAIN) {
            edi_say(why, why_n, "the connection to the IMAP server %s failed: %s", c->host,
                    curl_easy_strerror(rc));
            return EDI_E_IO;
        }
        edi_result r = wait_for(c, POLLIN, deadline, why, why_n);
        if (r != EDI_OK)
            return r;
    }
}

/* One line without its CRLF, appended to `line`. */
static edi_result read_line(imap_client *c, edi_buf *line, char *why, size_t why_n)
{
    for (;;) {
        char *nl = memchr(c->rbuf + c->rstart, '\n', c->rend - c->rstart);
        size_t take = nl ? (size_t)(nl - (c->rbuf + c->rstart)) + 1 : c->rend - c->rstart;
        if (line->len + take > IMAP_LINE_MAX) {
            edi_say(why, why_n, "the IMAP server %s sent a line longer than %zu bytes", c->host,
                    IMAP_LINE_MAX);
            return EDI_E_LIMIT;
        }
        if (take && !edi_buf_append(line, c->rbuf + c->rstart, take))
            return EDI_E_NOMEM;
        c->rstart += take;
        if (nl) {
            line->len--;
            if (line->len && line->p[line->len - 1] == '\r')
                line->len--;
            line->p[line->len] = '\0';
            return EDI_OK;
        }
        edi_result r = fill(c, why, why_n);
        if (r != EDI_OK)
            return r;
    }
}

/* `n` bytes of a literal: into `out` when it is not NULL, else dropped. */
static edi_result read_bytes(imap_client *c, size_t n, edi_buf *out, char *why, size_t why_n)
{
    while (n) {
        if (c->rstart == c->rend) {
            edi_result r = fill(c, why, why_n);
            if (r != EDI_OK)
                return r;
        }
        size_t take = c->rend - c->rstart < n ? c->rend - c->rstart : n;
        if (out && !edi_buf_append(out, c->rbuf + c->rstart, take))
            return EDI_E_NOMEM;
        c->rstart += take;
        n -= take;
    }
    return EDI_OK;
}

/* The size of a literal announced at the end of `line` ("... {123}"), or -1. */
static long long literal_size(const edi_buf *line)
{
    if (line->len < 3 || line->p[line->len - 1] != '}')
        return -1;
    size_t i = line->len - 1;
    while (i > 0 && isdigit((unsigned char)line->p[i - 1]))
        i--;
    if (i == 0 || i == line->len - 1 || line->p[i - 1] != '{')
        return -1;
    return strtoll(line->p + i, NULL, 10);
}

/* One response: its line, each literal's place shown as "{}" and, when `literal` is not
 * NULL, the literals' bytes appended there while they fit in `limit` (*over is set for one
 * that did not: its bytes are read and dropped). */
static edi_result read_response(imap_client *c, edi_buf *line, edi_buf *literal, size_t limit,
                                bool *over, char *why, size_t why_n)
{
    line->len = 0;
    edi_result r = read_line(c, line, why, why_n);
    long long n;
    while (r == EDI_OK && (n = literal_size(line)) >= 0) {
        line->len = (size_t)(strrchr(line->p, '{') - line->p) + 1;
        if (!edi_buf_append(line, "}", 1))
            return EDI_E_NOMEM;
        bool keep = literal && (size_t)n <= limit && literal->len + (size_t)n <= limit;
        if (literal && !keep)
            *over = true;
        r = read_bytes(c, (size_t)n, keep ? literal : NULL, why, why_n);
        if (r == EDI_OK)
            r = read_line(c, line, why, why_n);
    }
    return r;
}

typedef void (*untagged_fn)(void *ctx, const char *line, const edi_buf *literal, bool over);

/* Send one command and read up to its tagged answer, giving each untagged response to
 * `each`. EDI_OK for OK; EDI_E_ARG for NO or BAD, with the server's text in `why`
 * (prefixed by `what`); EDI_E_IO when the connection failed. */
static edi_result command(imap_client *c, const char *what, untagged_fn each, void *ctx,
                          edi_buf *literal, size_t limit, char *why, size_t why_n,
                          const char *fmt, ...) __attribute__((format(printf, 9, 10)));
static edi_result command(imap_client *c, const char *what, untagged_fn each, void *ctx,
                          edi_buf *literal, size_t limit, char *why, size_t why_n,
                          const char *fmt, ...)
{
    char cmd[1024], tag[16];
    snprintf(tag, sizeof tag, "G%u", ++c->tag);
    int k = snprintf(cmd, sizeof cmd, "%s ", tag);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(cmd + k, sizeof cmd - (size_t)k - 2, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)(k + m) >= sizeof cmd - 2) {
        edi_say(why, why_n, "an IMAP command is too long");
        return EDI_E_ARG;
    }
    memcpy(cmd + k + m, "\r\n", 3);
    edi_result r = send_all(c, cmd, (size_t)(k + m) + 2, why, why_n);
    edi_buf line = { 0 };
    size_t tag_len = strlen(tag);
    while (r == EDI_OK) {
        bool over = false;
        if (literal)
            literal->len = 0;
        r = read_response(c, &line, literal, limit, &over, why, why_n);
        if (r != EDI_OK)
            break;
        if (!strncmp(line.p, tag, tag_len) && line.p[tag_len] == ' ') {
            const char *status = line.p + tag_len + 1;
            if (!strncmp(status, "OK", 2))
                break;
            edi_say(why, why_n, "%s: the IMAP server %s answered \"%.300s\"", what, c->host,
                    status);
            r = EDI_E_ARG;
            break;
        }
        if (!strncmp(line.p, "* BYE", 5)) {
            edi_say(why, why_n, "the IMAP server %s ended the session: %.300s", c->host,
                    line.p + 2);
            r = EDI_E_IO;
            break;
        }
        if (line.p[0] == '*' && each)
            each(ctx, line.p, literal, over);
    }
    edi_buf_free(&line);
    return r;
}

/* ---- open and close ------------------------------------------------------------------ */

static void on_capability(void *ctx, const char *line, const edi_buf *literal, bool over)
{
    (void)literal;
    (void)over;
    imap_client *c = ctx;
    if (strncmp(line, "* CAPABILITY ", 13))
        return;
    char caps[2048];
    snprintf(caps, sizeof caps, " %s ", line + 13);
    for (char *p = caps; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    c->has_move = strstr(caps, " MOVE ") != NULL;
    c->has_uidplus = strstr(caps, " UIDPLUS ") != NULL;
}

static void on_select(void *ctx, const char *line, const edi_buf *literal, bool over)
{
    (void)literal;
    (void)over;
    imap_client *c = ctx;
    const char *v = strstr(line, "[UIDVALIDITY ");
    if (v)
        c->uidvalidity = (uint32_t)strtoul(v + 13, NULL, 10);
}

static edi_result curl_failure(imap_client *c, CURLcode rc, const char *err, const char *user,
                               char *why, size_t why_n)
{
    const char *detail = err && *err ? err : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        edi_say(why, why_n, "the IMAP server %s refused the login of user \"%s\"; check the "
                "user and the password file", c->host, user ? user : "");
        return EDI_E_ARG;
    case CURLE_USE_SSL_FAILED:
        edi_say(why, why_n, "the IMAP server %s offers no STARTTLS, and the gateway never "
                "logs in without TLS; use imaps:// or enable STARTTLS on the server", c->host);
        return EDI_E_ARG;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        edi_say(why, why_n, "TLS with the IMAP server %s failed: %s; check its certificate "
                "(or the CA file)", c->host, detail);
        return EDI_E_ARG;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        edi_say(why, why_n, "the IMAP address for %s cannot be used: %s", c->host, detail);
        return EDI_E_ARG;
    default:
        edi_say(why, why_n, "the IMAP server %s cannot be reached: %s", c->host, detail);
        return EDI_E_IO;
    }
}

edi_result imap_open(const imap_options *o, imap_client **out, char *why, size_t why_n)
{
    *out = NULL;
    bool tls = false;
    char base[600], mailbox[IMAP_NAME_MAX];
    edi_result r = parse_url(o->url, &tls, base, sizeof base, mailbox, sizeof mailbox, why,
                             why_n);
    if (r != EDI_OK)
        return r;
    imap_client *c = calloc(1, sizeof *c);
    if (!c)
        return EDI_E_NOMEM;
    imap_url_host(o->url, c->host, sizeof c->host);
    snprintf(c->mailbox, sizeof c->mailbox, "%s", mailbox);
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : IMAP_DEFAULT_TIMEOUT_MS;
    c->max = o->max_message_bytes ? o->max_message_bytes : IMAP_DEFAULT_MAX;
    bool plain = !tls && o->plain_loopback && is_loopback(c->host);
    if (!tls && o->plain_loopback && !plain) {
        edi_say(why, why_n, "the IMAP server %s is not on the loopback interface: plain "
                "IMAP without TLS is only for tests on this machine", c->host);
        free(c);
        return EDI_E_ARG;
    }
    if (!(c->curl = curl_easy_init())) {
        free(c);
        return EDI_E_NOMEM;
    }
    char err[CURL_ERROR_SIZE] = "";
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_URL, base);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
    if (!tls)
        curl_easy_setopt(h, CURLOPT_USE_SSL, plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    if (o->user)
        curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
    if (o->password)
        curl_easy_setopt(h, CURLOPT_PASSWORD, o->password);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        rc = curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &c->sock);
    /* The password is not needed any more: drop libcurl's copy. */
    curl_easy_setopt(h, CURLOPT_PASSWORD, "");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    if (rc != CURLE_OK) {
        r = curl_failure(c, rc, err, o->user, why, why_n);
        imap_close(c);
        return r;
    }
    r = command(c, "asking for its capabilities", on_capability, c, NULL, 0, why, why_n,
                "CAPABILITY");
    if (r == EDI_OK) {
        char what[300];
        snprintf(what, sizeof what, "selecting the mailbox %s", c->mailbox);
        r = command(c, what, on_select, c, NULL, 0, why, why_n, "SELECT \"%s\"", c->mailbox);
    }
    if (r != EDI_OK) {
        imap_close(c);
        return r;
    }
    *out = c;
    return EDI_OK;
}

void imap_close(imap_client *c)
{
    if (!c)
        return;
    if (c->sock) {
        char cmd[32];
        int n = snprintf(cmd, sizeof cmd, "G%u LOGOUT\r\n", ++c->tag);
        size_t sent = 0;
        curl_easy_send(c->curl, cmd, (size_t)n, &sent);
    }
    curl_easy_cleanup(c->curl);
    free(c);
}

const char *imap_mailbox(const imap_client *c)
{
    return c->mailbox;
}

uint32_t imap_uidvalidity(const imap_client *c)
{
    return c->uidvalidity;
}

/* ---- search, fetch, set aside ------------------------------------------------------- */

typedef struct {
    uint32_t *uids;
    size_t n, cap;
    bool nomem;
} uid_list;

static void on_search(void *ctx, const char *line, const edi_buf *literal, bool over)
{
    (void)literal;
    (void)over;
    uid_list *l = ctx;
    if (strncmp(line, "* SEARCH", 8))
        return;
    const char *p = line + 8;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        p = end;
        if (v == 0 || v > UINT32_MAX)
            continue;
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            uint32_t *u = realloc(l->uids, cap * sizeof *u);
            if (!u) {
                l->nomem = true;
                return;
            }
            l->uids = u;
            l->cap = cap;
        }
        l->uids[l->n++] = (uint32_t)v;
    }
}

static int cmp_uid(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

edi_result imap_search(imap_client *c, uint32_t **uids, size_t *n, char *why, size_t why_n)
{
    uid_list l = { 0 };
    edi_result r = command(c, "searching the mailbox", on_search, &l, NULL, 0, why, why_n,
                           "UID SEARCH UNDELETED");
    if (r == EDI_OK && l.nomem)
        r = EDI_E_NOMEM;
    if (r != EDI_OK) {
        free(l.uids);
        *uids = NULL;
        *n = 0;
        return r;
    }
    if (l.n)
        qsort(l.uids, l.n, sizeof *l.uids, cmp_uid);
    *uids = l.uids;
    *n = l.n;
    return EDI_OK;
}

/* The value after `key ` in a FETCH response, or NULL. */
static const char *fetch_item(const char *line, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = strstr(line, key); p; p = strstr(p + 1, key))
        if ((p[-1] == '(' || p[-1] == ' ') && p[k] == ' ')
            return p + k + 1;
    return NULL;
}

static bool fetch_of(const char *line, uint32_t uid)
{
    if (line[0] != '*' || !strstr(line, " FETCH ("))
        return false;
    const char *u = fetch_item(line, "UID");
    return u && strtoul(u, NULL, 10) == uid;
}

/* "26-Nov-2026 13:22:35 +0100" as Unix milliseconds; 0 when it is not that. */
static int64_t internaldate_ms(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int day, year, hh, mm, ss, zone;
    char mon[4];
    if (sscanf(s, "\"%d-%3s-%d %d:%d:%d %d\"", &day, mon, &year, &hh, &mm, &ss, &zone) != 7)
        return 0;
    const char *m = strstr(months, mon);
    if (!m || (m - months) % 3)
        return 0;
    struct tm tm = { .tm_year = year - 1900, .tm_mon = (int)(m - months) / 3, .tm_mday = day,
                     .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
    time_t t = timegm(&tm);
    int sign = zone < 0 ? -1 : 1;
    int offset = sign * ((sign * zone) / 100 * 3600 + (sign * zone) % 100 * 60);
    return ((int64_t)t - offset) * 1000;
}

typedef struct {
    uint32_t uid;
    bool seen;
    unsigned long long size;
    int64_t internal_ms;
    edi_buf *out;
    bool got_body, over, nomem;
} fetch_state;

static void on_size(void *ctx, const char *line, const edi_buf *literal, bool over)
{
    (void)literal;
    (void)over;
    fetch_state *f = ctx;
    if (!fetch_of(line, f->uid))
        return;
    f->seen = true;
    const char *v = fetch_item(line, "RFC822.SIZE");
    if (v)
        f->size = strtoull(v, NULL, 10);
    v = fetch_item(line, "INTERNALDATE");
    if (v)
        f->internal_ms = internaldate_ms(v);
}

static void on_body(void *ctx, const char *line, const edi_buf *literal, bool over)
{
    fetch_state *f = ctx;
    if (!fetch_of(line, f->uid) || !strstr(line, "BODY[] {}"))
        return;
    f->got_body = true;
    f->over = over;
    if (!over && literal->len && !edi_buf_append(f->out, literal->p, literal->len))
        f->nomem = true;
}

edi_result imap_fetch(imap_client *c, uint32_t uid, edi_buf *out, int64_t *internal_ms,
                      char *why, size_t why_n)
{
    fetch_state f = { .uid = uid, .out = out };
    char what[64];
    snprintf(what, sizeof what, "fetching mail %" PRIu32, uid);
    edi_result r = command(c, what, on_size, &f, NULL, 0, why, why_n,
                           "UID FETCH %" PRIu32 " (RFC822.SIZE INTERNALDATE)", uid);
    if (r != EDI_OK)
        return r;
    if (!f.seen) {
        edi_say(why, why_n, "mail %" PRIu32 " is no longer in the mailbox %s", uid, c->mailbox);
        return EDI_E_NOT_FOUND;
    }
    if (internal_ms)
        *internal_ms = f.internal_ms;
    if (f.size > c->max) {
        edi_say(why, why_n, "mail %" PRIu32 " in the mailbox %s has %llu bytes, more than "
                "the %zu the gateway takes", uid, c->mailbox, f.size, c->max);
        return EDI_E_LIMIT;
    }
    edi_buf literal = { 0 };
    r = command(c, what, on_body, &f, &literal, c->max, why, why_n,
                "UID FETCH %" PRIu32 " (BODY.PEEK[])", uid);
    edi_buf_free(&literal);
    if (r == EDI_OK && f.nomem)
        r = EDI_E_NOMEM;
    if (r == EDI_OK && f.over) {
        edi_say(why, why_n, "mail %" PRIu32 " in the mailbox %s is larger than the %zu bytes "
                "the gateway takes", uid, c->mailbox, c->max);
        r = EDI_E_LIMIT;
    }
    if (r == EDI_OK && !f.got_body) {
        edi_say(why, why_n, "the IMAP server %s sent no content for mail %" PRIu32, c->host,
                uid);
        r = EDI_E_NOT_FOUND;
    }
    return r;
}

/* MOVE or COPY to `folder`, creating it once when the first try is refused. */
static edi_result to_folder(imap_client *c, const char *verb, uint32_t uid, const char *folder,
                            char *why, size_t why_n)
{
    char what[320];
    snprintf(what, sizeof what, "moving mail %" PRIu32 " to the folder %s", uid, folder);
    edi_result r = command(c, what, NULL, NULL, NULL, 0, why, why_n,
                           "UID %s %" PRIu32 " \"%s\"", verb, uid, folder);
    if (r != EDI_E_ARG)
        return r;
    char create_why[320];
    r = command(c, "creating the folder", NULL, NULL, NULL, 0, create_why, sizeof create_why,
                "CREATE \"%s\"", folder);
    if (r == EDI_E_IO) {
        edi_say(why, why_n, "%s", create_why);
        return r;
    }
    return command(c, what, NULL, NULL, NULL, 0, why, why_n, "UID %s %" PRIu32 " \"%s\"", verb,
                   uid, folder);
}

edi_result imap_set_aside(imap_client *c, uint32_t uid, const char *folder, char *why,
                          size_t why_n)
{
    if (!name_ok(folder)) {
        edi_say(why, why_n, "the done folder \"%s\" cannot be used: ASCII letters, digits and "
                "punctuation without quotes only", folder ? folder : "");
        return EDI_E_ARG;
    }
    char what[64];
    snprintf(what, sizeof what, "marking mail %" PRIu32 " seen", uid);
    edi_result r = command(c, what, NULL, NULL, NULL, 0, why, why_n,
                           "UID STORE %" PRIu32 " +FLAGS.SILENT (\\Seen)", uid);
    if (r != EDI_OK)
        return r;
    if (c->has_move)
        return to_folder(c, "MOVE", uid, folder, why, why_n);
    r = to_folder(c, "COPY", uid, folder, why, why_n);
    if (r == EDI_OK)
        r = command(c, what, NULL, NULL, NULL, 0, why, why_n,
                    "UID STORE %" PRIu32 " +FLAGS.SILENT (\\Deleted)", uid);
    if (r == EDI_OK && c->has_uidplus)
        r = command(c, "expunging", NULL, NULL, NULL, 0, why, why_n, "UID EXPUNGE %" PRIu32, uid);
    else if (r == EDI_OK)
        r = command(c, "expunging", NULL, NULL, NULL, 0, why, why_n, "EXPUNGE");
    return r;
}
