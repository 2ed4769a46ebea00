/* channel_sftp.c: the SFTP channel (channel_sftp.h). */
#define _GNU_SOURCE /* memfd_create: a downloaded file is held in memory as a file */
#include "channel_sftp.h"

#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "channel_dir.h"

/* ---- the per-partner limit on connections ---------------------------------------------- */

typedef struct {
    char partner[65];
    unsigned used;
} gate_slot;

struct sftp_gate {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    gate_slot *slots;
    size_t n, cap;
};

sftp_gate *sftp_gate_new(void)
{
    sftp_gate *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->freed, NULL);
    return g;
}

void sftp_gate_free(sftp_gate *g)
{
    if (!g)
        return;
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->freed);
    free(g->slots);
    free(g);
}

/* The partner's counter, added when missing; NULL when out of memory. Under the lock. */
static gate_slot *slot_of(sftp_gate *g, const char *partner_id)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->slots[i].partner, partner_id))
            return &g->slots[i];
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        gate_slot *grown = realloc(g->slots, cap * sizeof *grown);
        if (!grown)
            return NULL;
        g->slots = grown;
        g->cap = cap;
    }
    gate_slot *s = &g->slots[g->n++];
    snprintf(s->partner, sizeof s->partner, "%s", partner_id);
    s->used = 0;
    return s;
}

bool sftp_gate_enter(sftp_gate *g, const char *partner_id, unsigned max, unsigned wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->lock);
    bool got = false;
    for (;;) {
        gate_slot *s = slot_of(g, partner_id); /* again after each wait: the array may move */
        if (!s)
            break;
        if (s->used < (max ? max : 1)) {
            s->used++;
            got = true;
            break;
        }
        if (pthread_cond_timedwait(&g->freed, &g->lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&g->lock);
    return got;
}

void sftp_gate_leave(sftp_gate *g, const char *partner_id)
{
    pthread_mutex_lock(&g->lock);
    gate_slot *s = slot_of(g, partner_id);
    if (s && s->used)
        s->used--;
    pthread_cond_broadcast(&g->freed);
    pthread_mutex_unlock(&g->lock);
}

/* ---- the completeness rule -------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return k && n > k && !strcmp(s + n - k, suffix);
}

static const sftp_entry *find_name(const sftp_entry *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].name, name))
            return &list[i];
    return NULL;
}

void channel_sftp_select(const partner_sftp *cfg, const sftp_entry *now, size_t n,
                         const sftp_entry *before, size_t n_before, bool *take)
{
    const char *pattern = cfg->pattern[0] ? cfg->pattern : "*";
    for (size_t i = 0; i < n; i++) {
        const sftp_entry *e = &now[i];
        take[i] = false;
        if (!e->regular || e->name[0] == '.' || fnmatch(pattern, e->name, FNM_PERIOD) != 0)
            continue;
        if (cfg->complete == PARTNER_SFTP_MARKER) {
            char marker[sizeof e->name + sizeof cfg->marker_suffix];
            if (!cfg->marker_suffix[0] || ends_with(e->name, cfg->marker_suffix))
                continue;
            snprintf(marker, sizeof marker, "%s%s", e->name, cfg->marker_suffix);
            take[i] = find_name(now, n, marker) != NULL;
        } else if (cfg->complete == PARTNER_SFTP_RENAME) {
            take[i] = !cfg->ignore_pattern[0] ||
                      fnmatch(cfg->ignore_pattern, e->name, FNM_PERIOD) != 0;
        } else {
            const sftp_entry *b = find_name(before, n_before, e->name);
            take[i] = b && b->size == e->size && b->mtime == e->mtime;
        }
    }
}

/* ---- the puller ----------------------------------------------------------------------------- */

/* A file stored as message `id` whose removal from the server has not worked yet. */
typedef struct {
    char name[256];
    uint64_t size;
    int64_t mtime;
    store_id id;
} stored_file;

struct channel_sftp_puller {
    const partner *p;
    size_t max_bytes;
    int64_t next_ms;
    bool listed;               /* a listing worked in this process: `first` holds it */
    sftp_entry *first;         /* the first listing: files that may have been stored before */
    size_t n_first;
    sftp_entry *before;        /* the previous listing */
    size_t n_before;
    stored_file *stored;
    size_t n_stored, cap_stored;
    char *problems;            /* the sentences recorded at the last poll, each + '\n' */
};

channel_sftp_puller *channel_sftp_puller_new(const partner *p, size_t max_bytes)
{
    channel_sftp_puller *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->p = p;
    pl->max_bytes = max_bytes;
    return pl;
}

void channel_sftp_puller_free(channel_sftp_puller *pl)
{
    if (!pl)
        return;
    free(pl->first);
    free(pl->before);
    free(pl->stored);
    free(pl->problems);
    free(pl);
}

int64_t channel_sftp_next_ms(const channel_sftp_puller *pl)
{
    return pl->next_ms;
}

/* What one poll learns: its problems as sentences, each followed by '\n'. */
typedef struct {
    edi_buf problems;
    bool nomem;
} poll_notes;

static void problem(poll_notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(poll_notes *notes, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    text[strcspn(text, "\n")] = '\0';
    if (!edi_buf_append(&notes->problems, text, strlen(text)) ||
        !edi_buf_append(&notes->problems, "\n", 1))
        notes->nomem = true;
}

typedef struct {
    const char *filename;
    const char *content_id;
    store_id found;
} lookup;

static int match_stored(void *ctx, const store_message *m)
{
    lookup *l = ctx;
    if (!strcmp(m->channel, "sftp") && !strcmp(m->filename, l->filename) &&
        !strcmp(m->content_id, l->content_id)) {
        l->found = m->id;
        return 1;
    }
    return 0;
}

/* The message an earlier run stored for this file, or 0. */
static edi_result find_stored(store *s, const char *partner_id, const char *filename,
                              const char *content_id, int64_t mtime, store_id *id, char *why,
                              size_t why_n)
{
    lookup l = { .filename = filename, .content_id = content_id };
    int64_t since = mtime > 0 ? mtime * 1000 - CHANNEL_SFTP_CLOCK_SKEW_MS : 0;
    store_message_filter f = { .partner = partner_id, .direction = STORE_IN,
                               .since_ms = since > 0 ? since : 0, .limit = (size_t)1 << 30 };
    edi_result r = store_message_list(s, &f, match_stored, &l, why, why_n);
    *id = l.found;
    return r;
}

static stored_file *find_stored_file(channel_sftp_puller *pl, const sftp_entry *e)
{
    for (size_t i = 0; i < pl->n_stored; i++)
        if (!strcmp(pl->stored[i].name, e->name) && pl->stored[i].size == e->size &&
            pl->stored[i].mtime == e->mtime)
            return &pl->stored[i];
    return NULL;
}

static bool remember_stored(channel_sftp_puller *pl, const sftp_entry *e, store_id id)
{
    if (pl->n_stored == pl->cap_stored) {
        size_t cap = pl->cap_stored ? pl->cap_stored * 2 : 8;
        stored_file *grown = realloc(pl->stored, cap * sizeof *grown);
        if (!grown)
            return false;
        pl->stored = grown;
        pl->cap_stored = cap;
    }
    stored_file *f = &pl->stored[pl->n_stored++];
    snprintf(f->name, sizeof f->name, "%s", e->name);
    f->size = e->size;
    f->mtime = e->mtime;
    f->id = id;
    return true;
}

static void forget_stored(channel_sftp_puller *pl, const stored_file *f)
{
    size_t i = (size_t)(f - pl->stored);
    pl->stored[i] = pl->stored[--pl->n_stored];
}

/* Whether `e` was in the first listing of this process as it is now. */
static bool there_at_first(const channel_sftp_puller *pl, const sftp_entry *e)
{
    const sftp_entry *f = find_name(pl->first, pl->n_first, e->name);
    return f && f->size == e->size && f->mtime == e->mtime;
}

static void join(char *out, size_t n, const char *folder, const char *name)
{
    size_t len = strlen(folder);
    snprintf(out, n, "%s%s%s", folder, len && folder[len - 1] != '/' ? "/" : "", name);
}

/* Delete the stored file or move it to the archive, then its marker. */
static void finish_file(channel_sftp_puller *pl, sftp_conn *c, const sftp_entry *e, store_id id,
                        poll_notes *notes)
{
    const partner_sftp *cfg = &pl->p->sftp;
    char path[1024], to[1024], why[1200] = "";
    join(path, sizeof path, cfg->pull_folder, e->name);
    edi_result r;
    if (cfg->archive_folder[0]) {
        join(to, sizeof to, cfg->archive_folder, e->name);
        r = sftp_rename(c, path, to, why, sizeof why);
        if (r == EDI_E_CONFLICT) {
            char named[300];
            snprintf(named, sizeof named, "%lld-%s", (long long)id, e->name);
            join(to, sizeof to, cfg->archive_folder, named);
            r = sftp_rename(c, path, to, why, sizeof why);
        }
    } else {
        r = sftp_remove(c, path, why, sizeof why);
    }
    stored_file *f = find_stored_file(pl, e);
    if (r != EDI_OK && r != EDI_E_NOT_FOUND) {
        problem(notes, "Partner %s: %s was stored as message %lld but cannot be %s: %s. It "
                "stays remembered and is %s at a later poll, without a second message.",
                pl->p->id, path, (long long)id, cfg->archive_folder[0] ? "archived" : "removed",
                why, cfg->archive_folder[0] ? "archived" : "removed");
        if (!f && !remember_stored(pl, e, id))
            notes->nomem = true;
        return;
    }
    if (f)
        forget_stored(pl, f);
    if (cfg->complete == PARTNER_SFTP_MARKER) {
        char marker[1100];
        snprintf(marker, sizeof marker, "%s%s", path, cfg->marker_suffix);
        r = sftp_remove(c, marker, why, sizeof why);
        if (r != EDI_OK && r != EDI_E_NOT_FOUND)
            problem(notes, "Partner %s: the marker %s cannot be removed: %s.", pl->p->id,
                    marker, why);
    }
}

/* Download, store and finish one complete file. EDI_OK also for the partner's problems
 * (noted); the store's errors otherwise. */
static edi_result take_file(channel_sftp_puller *pl, sftp_conn *c, store *s, content_store *cs,
                            const sftp_entry *e, poll_notes *notes, size_t *taken, char *why,
                            size_t why_n)
{
    const partner_sftp *cfg = &pl->p->sftp;
    const stored_file *known = find_stored_file(pl, e);
    if (known) {
        finish_file(pl, c, e, known->id, notes);
        return EDI_OK;
    }
    char path[1024], sentence[1200] = "";
    join(path, sizeof path, cfg->pull_folder, e->name);
    int fd = memfd_create("sftp-download", MFD_CLOEXEC);
    if (fd < 0) {
        edi_say(why, why_n, "no memory for a downloaded file: %s", strerror(errno));
        return EDI_E_NOMEM;
    }
    size_t len = 0;
    edi_result r = sftp_download(c, path, fd, pl->max_bytes, &len, sentence, sizeof sentence);
    if (r != EDI_OK) {
        close(fd);
        if (r == EDI_E_NOT_FOUND)
            problem(notes, "Partner %s: %s was listed but vanished before it was downloaded "
                    "(the partner or someone else took it away): %s.", pl->p->id, path,
                    sentence);
        else if (r == EDI_E_LIMIT)
            problem(notes, "Partner %s: %s. It stays on the server: ask the partner to send "
                    "smaller files, or raise maxFileBytes.", pl->p->id, sentence);
        else
            problem(notes, "Partner %s: %s.", pl->p->id, sentence);
        return r == EDI_E_NOMEM ? r : EDI_OK;
    }
    char name[256], cid[CONTENT_ID_SIZE] = "";
    channel_file_name(e->name, name, sizeof name);
    store_id id = 0;
    /* The payload is stored once; a file that was there before a crash may have been
     * received already (same name and bytes), and then it is only removed. */
    if (lseek(fd, 0, SEEK_SET) != 0) {
        edi_say(why, why_n, "the downloaded %s cannot be read back: %s", path, strerror(errno));
        r = EDI_E_IO;
    } else {
        r = content_store_put_fd(cs, fd, pl->max_bytes, cid, NULL, why, why_n);
    }
    if (r == EDI_OK && there_at_first(pl, e))
        r = find_stored(s, pl->p->id, name, cid, e->mtime, &id, why, why_n);
    if (r == EDI_OK && !id) {
        r = channel_record_received(s, "sftp", pl->p->id, name, cid, len, &id, why, why_n);
        if (r == EDI_OK && taken)
            (*taken)++;
    }
    close(fd);
    if (r != EDI_OK)
        return r;
    finish_file(pl, c, e, id, notes);
    return EDI_OK;
}

/* Whether `lines` (each ending in '\n'; may be NULL) has the line `line`. */
static bool has_line(const char *lines, const char *line)
{
    size_t n = strlen(line);
    for (const char *at = lines; at && *at; at = strchr(at, '\n'), at = at ? at + 1 : NULL)
        if (!strncmp(at, line, n) && at[n] == '\n')
            return true;
    return false;
}

/* Record each problem of this poll that the last poll did not have as an alert: a failed
 * inbound message whose reason is the sentence (stored as its payload too). */
static edi_result record_alerts(channel_sftp_puller *pl, store *s, content_store *cs,
                                const char *problems, char *why, size_t why_n)
{
    edi_result r = EDI_OK;
    for (const char *line = problems; r == EDI_OK && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char sentence[1024];
        snprintf(sentence, sizeof sentence, "%.*s", (int)len, line);
        line += len + (end ? 1 : 0);
        if (has_line(pl->problems, sentence))
            continue;
        store_message m;
        memset(&m, 0, sizeof m);
        r = content_store_put(cs, sentence, strlen(sentence), m.content_id, why, why_n);
        if (r != EDI_OK)
            break;
        m.direction = STORE_IN;
        snprintf(m.partner, sizeof m.partner, "%.63s", pl->p->id);
        snprintf(m.channel, sizeof m.channel, "sftp");
        m.size = (int64_t)strlen(sentence);
        snprintf(m.status, sizeof m.status, "%s", STORE_STATUS_FAILED);
        snprintf(m.status_reason, sizeof m.status_reason, "%.639s", sentence);
        store_id id = 0;
        r = store_begin(s, why, why_n);
        if (r == EDI_OK)
            r = store_message_insert(s, &m, NULL, &id, why, why_n);
        if (r == EDI_OK)
            r = store_history_add(s, id, "failed", "sftp-poller", sentence, why, why_n);
        if (r == EDI_OK)
            r = store_commit(s, why, why_n);
        else
            store_rollback(s);
    }
    return r;
}

edi_result channel_sftp_poll(channel_sftp_puller *pl, store *s, content_store *cs,
                             sftp_gate *gate, const atomic_bool *stop, size_t *taken,
                             char *report, size_t report_n)
{
    const partner_sftp *cfg = &pl->p->sftp;
    report[0] = '\0';
    pl->next_ms = store_now_ms() + (int64_t)(cfg->interval_s ? cfg->interval_s : 60) * 1000;
    if (gate && !sftp_gate_enter(gate, pl->p->id, cfg->max_connections, 0))
        return EDI_OK; /* every connection is sending: the next poll takes its turn */
    poll_notes notes = { 0 };
    sftp_conn *c = NULL;
    sftp_entry *now = NULL;
    size_t n = 0;
    char sentence[1200] = "", why[1024] = "";
    edi_result result = EDI_OK;
    edi_result r = sftp_connect(cfg, &c, sentence, sizeof sentence);
    if (r == EDI_OK)
        r = sftp_list(c, cfg->pull_folder, &now, &n, sentence, sizeof sentence);
    if (r != EDI_OK) {
        problem(&notes, "Partner %s: pulling files failed: %s.", pl->p->id, sentence);
    } else {
        if (!pl->listed) {
            pl->first = malloc((n ? n : 1) * sizeof *now);
            if (pl->first) {
                if (n)
                    memcpy(pl->first, now, n * sizeof *now);
                pl->n_first = n;
                pl->listed = true;
            }
        }
        bool *take = calloc(n ? n : 1, sizeof *take);
        if (!take || !pl->listed) {
            result = EDI_E_NOMEM;
            snprintf(why, sizeof why, "out of memory");
        } else {
            channel_sftp_select(cfg, now, n, pl->before, pl->n_before, take);
        }
        for (size_t i = 0; take && result == EDI_OK && i < n && sftp_alive(c); i++) {
            if (stop && atomic_load(stop))
                break;
            /* A file stored whose removal failed is finished even when not complete now. */
            if (take[i] || find_stored_file(pl, &now[i]))
                result = take_file(pl, c, s, cs, &now[i], &notes, taken, why, sizeof why);
        }
        if (!sftp_alive(c))
            problem(&notes, "Partner %s: the connection to %s dropped during the poll; the "
                    "rest waits for the next one.", pl->p->id, sftp_url(c));
        free(take);
        free(pl->before);
        pl->before = now;
        pl->n_before = n;
        now = NULL;
    }
    free(now);
    sftp_close(c);
    if (gate)
        sftp_gate_leave(gate, pl->p->id);

    const char *problems = notes.problems.len && edi_buf_append(&notes.problems, "", 1)
                           ? notes.problems.p : "";
    if (result == EDI_OK && notes.nomem) {
        result = EDI_E_NOMEM;
        snprintf(why, sizeof why, "out of memory while noting the partner's problems");
    }
    if (result == EDI_OK)
        result = record_alerts(pl, s, cs, problems, why, sizeof why);
    bool had = pl->problems && pl->problems[0];
    bool changed = strcmp(had ? pl->problems : "", problems) != 0;
    if (result != EDI_OK)
        snprintf(report, report_n, "partner %s: %s", pl->p->id, why);
    else if (changed && problems[0]) {
        snprintf(report, report_n, "%s", problems);
        for (char *nl = strchr(report, '\n'); nl; nl = strchr(nl, '\n'))
            *nl = nl[1] ? ' ' : '\0';
    } else if (changed)
        snprintf(report, report_n, "partner %s: pulling from sftp://%s:%u%s works again",
                 pl->p->id, cfg->host, cfg->port, cfg->pull_folder);
    if (result == EDI_OK) {
        free(pl->problems);
        pl->problems = strdup(problems);
    }
    edi_buf_free(&notes.problems);
    return result;
}

/* ---- pushing --------------------------------------------------------------------------- */

edi_result channel_sftp_deliver(const partner *who, const store_message *m, const edi_buf *raw,
                                sftp_gate *gate, char *where, size_t where_n, char *fix,
                                size_t fix_n, char *detail, size_t detail_n, char *sentence,
                                size_t sentence_n)
{
    const partner_sftp *cfg = &who->sftp;
    snprintf(where, where_n, "sftp://%s@%s:%u%s%s", cfg->user, cfg->host, cfg->port,
             cfg->push_folder[0] == '/' ? "" : "/", cfg->push_folder);
    snprintf(fix, fix_n, "Check the partner's server and the <channel><sftp> settings in %s",
             who->file);
    if (!cfg->push_folder[0]) {
        snprintf(sentence, sentence_n, "Partner %s has no push folder (<channel><sftp><push "
                 "folder> in %s); add one and resend the message.", who->id, who->file);
        return EDI_E_ARG;
    }
    unsigned max = cfg->max_connections ? cfg->max_connections : 1;
    if (gate && !sftp_gate_enter(gate, who->id, max, cfg->timeout_s * 1000)) {
        snprintf(sentence, sentence_n, "all %u connections to the partner's server allowed by "
                 "maxConnections are in use", max);
        return EDI_E_IO;
    }
    char why[1200] = "", path[1024] = "";
    sftp_conn *c = NULL;
    edi_result r = sftp_connect(cfg, &c, why, sizeof why);
    if (r == EDI_OK)
        r = sftp_upload(c, cfg->push_folder, m->filename, cfg->temp_suffix, raw->p, raw->len,
                        path, sizeof path, why, sizeof why);
    sftp_close(c);
    if (gate)
        sftp_gate_leave(gate, who->id);
    if (r == EDI_OK) {
        snprintf(detail, detail_n, "uploaded to sftp://%s:%u%s (%zu bytes) as %s%s, then "
                 "renamed", cfg->host, cfg->port, path, raw->len, m->filename,
                 cfg->temp_suffix);
        return EDI_OK;
    }
    snprintf(sentence, sentence_n, "%s", why);
    return r == EDI_E_ARG || r == EDI_E_NOMEM ? r : EDI_E_IO;
}
