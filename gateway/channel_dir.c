/* channel_dir.c: the directory channel (channel_dir.h). */
#define _GNU_SOURCE /* F_SETLEASE: is someone still writing the file? */
#include "channel_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool channel_dir_skipped_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || name[0] == '.')
        return true;
    if (name[n - 1] == '~')
        return true;
    if ((n >= 4 && !strcmp(name + n - 4, ".tmp")) || (n >= 5 && !strcmp(name + n - 5, ".part")))
        return true;
    return !strcmp(name, "processed") || !strcmp(name, "refused");
}

bool channel_dir_mkdirs(const char *path)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return false;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0750) != 0 && errno != EEXIST)
            return false;
        *s = '/';
    }
    if (mkdir(p, 0750) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    if (stat(p, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

static bool fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* A file name as the store keeps it: control characters become '_', cut to fit. */
void channel_file_name(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p && k + 1 < n; p++)
        out[k++] = (*p < 0x20 || *p == 0x7f || *p == '/') ? '_' : (char)*p;
    out[k] = '\0';
}

edi_result channel_record_received(store *s, const char *channel, const char *partner,
                                   const char *filename, const char *content_id, size_t len,
                                   store_id *id, char *why, size_t why_n)
{
    store_message m;
    memset(&m, 0, sizeof m);
    memcpy(m.content_id, content_id, CONTENT_ID_SIZE);
    m.direction = STORE_IN;
    snprintf(m.partner, sizeof m.partner, "%s", partner ? partner : "");
    snprintf(m.channel, sizeof m.channel, "%s", channel);
    channel_file_name(filename, m.filename, sizeof m.filename);
    m.size = (int64_t)len;
    snprintf(m.status, sizeof m.status, "%s", STORE_STATUS_RECEIVED);
    return store_message_insert(s, &m, "identify", id, why, why_n);
}

edi_result channel_receive_fd(store *s, content_store *cs, const char *channel,
                              const char *partner, const char *filename, int fd, size_t max,
                              store_id *id, char *content_id, char *why, size_t why_n)
{
    char cid[CONTENT_ID_SIZE];
    size_t len = 0;
    edi_result r = content_store_put_fd(cs, fd, max, cid, &len, why, why_n);
    if (r == EDI_OK)
        r = channel_record_received(s, channel, partner, filename, cid, len, id, why, why_n);
    if (r == EDI_OK && content_id)
        memcpy(content_id, cid, CONTENT_ID_SIZE);
    return r;
}

edi_result channel_receive_buf(store *s, content_store *cs, const char *channel,
                               const char *partner, const char *filename, const void *data,
                               size_t len, store_id *id, char *content_id, char *why,
                               size_t why_n)
{
    char cid[CONTENT_ID_SIZE];
    edi_result r = content_store_put(cs, data, len, cid, why, why_n);
    if (r == EDI_OK)
        r = channel_record_received(s, channel, partner, filename, cid, len, id, why, why_n);
    if (r == EDI_OK && content_id)
        memcpy(content_id, cid, CONTENT_ID_SIZE);
    return r;
}

edi_result channel_dir_write(const char *folder, const char *name, const void *data, size_t len,
                             char *path, size_t path_n, char *why, size_t why_n)
{
    if (!folder || !name || !*name || name[0] == '.' || strchr(name, '/')) {
        edi_say(why, why_n, "\"%s\" is not a plain file name", name ? name : "");
        return EDI_E_ARG;
    }
    if (!channel_dir_mkdirs(folder)) {
        edi_say(why, why_n, "the outbox folder %s cannot be made: %s", folder, strerror(errno));
        return EDI_E_IO;
    }
    char tmp[PATH_MAX], final[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp", folder, name) >= (int)sizeof tmp ||
        snprintf(final, sizeof final, "%s/%s", folder, name) >= (int)sizeof final) {
        edi_say(why, why_n, "the path %s/%s is too long", folder, name);
        return EDI_E_ARG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        edi_say(why, why_n, "%s cannot be written: %s", tmp, strerror(errno));
        return EDI_E_IO;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            edi_say(why, why_n, "%s cannot be written: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return EDI_E_IO;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        edi_say(why, why_n, "%s cannot be made durable: %s", tmp, strerror(errno));
        unlink(tmp);
        return EDI_E_IO;
    }
    if (rename(tmp, final) != 0) {
        edi_say(why, why_n, "%s cannot be renamed to %s: %s", tmp, final, strerror(errno));
        unlink(tmp);
        return EDI_E_IO;
    }
    if (!fsync_dir(folder)) {
        edi_say(why, why_n, "the folder %s cannot be synced: %s", folder, strerror(errno));
        return EDI_E_IO;
    }
    if (path)
        snprintf(path, path_n, "%s", final);
    return EDI_OK;
}

/* ---- inboxes ------------------------------------------------------------------------ */

typedef struct {
    char *name;
    off_t size;
    struct timespec mtime;
    ino_t ino;
    unsigned generation;   /* the look that last saw it */
    bool preexisting;      /* there at the first look: it may have been received before */
    store_id received;     /* received (in this process or before) but not yet moved */
} inbox_entry;

struct channel_inbox {
    char *folder;
    char *processed;
    char *refused;
    char partner[64];
    size_t max_bytes;
    unsigned generation;
    inbox_entry *entries;
    size_t n, cap;
};

channel_inbox *channel_inbox_new(const char *folder, const char *partner, size_t max_bytes,
                                 char *why, size_t why_n)
{
    channel_inbox *in = calloc(1, sizeof *in);
    size_t n = strlen(folder) + 16;
    if (!in || !(in->folder = strdup(folder)) || !(in->processed = malloc(n)) ||
        !(in->refused = malloc(n))) {
        channel_inbox_free(in);
        edi_say(why, why_n, "out of memory");
        return NULL;
    }
    snprintf(in->processed, n, "%s/processed", folder);
    snprintf(in->refused, n, "%s/refused", folder);
    snprintf(in->partner, sizeof in->partner, "%s", partner ? partner : "");
    in->max_bytes = max_bytes;
    if (!channel_dir_mkdirs(in->processed) || !channel_dir_mkdirs(in->refused)) {
        edi_say(why, why_n, "the inbox %s cannot be made: %s", folder, strerror(errno));
        channel_inbox_free(in);
        return NULL;
    }
    return in;
}

void channel_inbox_free(channel_inbox *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n; i++)
        free(in->entries[i].name);
    free(in->entries);
    free(in->folder);
    free(in->processed);
    free(in->refused);
    free(in);
}

const char *channel_inbox_folder(const channel_inbox *in)
{
    return in->folder;
}

static inbox_entry *find_entry(channel_inbox *in, const char *name)
{
    for (size_t i = 0; i < in->n; i++)
        if (!strcmp(in->entries[i].name, name))
            return &in->entries[i];
    return NULL;
}

static inbox_entry *add_entry(channel_inbox *in, const char *name)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        inbox_entry *e = realloc(in->entries, cap * sizeof *e);
        if (!e)
            return NULL;
        in->entries = e;
        in->cap = cap;
    }
    inbox_entry *e = &in->entries[in->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = strdup(name)))
        return NULL;
    in->n++;
    return e;
}

/* Forget entries the last look did not see (moved away, deleted). */
static void prune(channel_inbox *in)
{
    size_t k = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (in->entries[i].generation == in->generation)
            in->entries[k++] = in->entries[i];
        else
            free(in->entries[i].name);
    }
    in->n = k;
}

static int64_t ms_of(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

typedef struct {
    const char *filename;
    const char *content_id;
    store_id found;
} lookup;

static int match_received(void *ctx, const store_message *m)
{
    lookup *l = ctx;
    if (!strcmp(m->channel, "dir") && !strcmp(m->filename, l->filename) &&
        !strcmp(m->content_id, l->content_id)) {
        l->found = m->id;
        return 1;
    }
    return 0;
}

/* The message a previous run received for this file: same channel, name and content,
 * created after the file last changed. 0 when there is none. */
static edi_result find_received(store *s, const char *filename, const char *content_id,
                                int64_t changed_ms, store_id *id, char *why, size_t why_n)
{
    lookup l = { .filename = filename, .content_id = content_id };
    store_message_filter f = { .direction = STORE_IN, .since_ms = changed_ms - 2000,
                               .limit = (size_t)1 << 30 };
    edi_result r = store_message_list(s, &f, match_received, &l, why, why_n);
    *id = l.found;
    return r;
}

static bool same_file(const struct stat *st, const inbox_entry *e)
{
    return st->st_size == e->size && st->st_ino == e->ino &&
           st->st_mtim.tv_sec == e->mtime.tv_sec && st->st_mtim.tv_nsec == e->mtime.tv_nsec;
}

/* Move a received file out of the way; false leaves it for the next look. */
static bool move_away(channel_inbox *in, const char *folder, const char *name, store_id id)
{
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", in->folder, name);
    if (id)
        snprintf(to, sizeof to, "%s/%lld-%s", folder, (long long)id, name);
    else
        snprintf(to, sizeof to, "%s/%s", folder, name);
    if (rename(from, to) != 0)
        return false;
    fsync_dir(folder);
    fsync_dir(in->folder);
    return true;
}

/* Take one complete file. *taken is incremented when it was received now. */
static edi_result take(channel_inbox *in, inbox_entry *e, store *s, content_store *cs,
                       size_t *taken, char *why, size_t why_n)
{
    if (e->received) {
        move_away(in, in->processed, e->name, e->received);
        return EDI_OK;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", in->folder, e->name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return EDI_OK; /* gone or not ours to read: looked at again next time */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !same_file(&st, e)) {
        close(fd);
        return EDI_OK;
    }
    /* A writer that keeps the file open while it pauses is still writing. */
    if (fcntl(fd, F_SETLEASE, F_RDLCK) != 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        close(fd);
        e->generation = 0; /* seen, but not stable: counts as new next time */
        return EDI_OK;
    }
    char cid[CONTENT_ID_SIZE] = "";
    char name[256];
    channel_file_name(e->name, name, sizeof name);
    store_id id = 0;
    edi_result r = EDI_OK;
    if (e->preexisting) {
        size_t len = 0;
        r = content_store_put_fd(cs, fd, in->max_bytes, cid, &len, why, why_n);
        if (r == EDI_OK)
            r = find_received(s, name, cid, ms_of(e->mtime), &id, why, why_n);
        if (r == EDI_OK && !id) {
            if (lseek(fd, 0, SEEK_SET) != 0)
                r = EDI_E_IO;
            else
                r = channel_receive_fd(s, cs, "dir", in->partner, name, fd, in->max_bytes, &id,
                                       NULL, why, why_n);
            if (r == EDI_OK && taken)
                (*taken)++;
        }
    } else {
        r = channel_receive_fd(s, cs, "dir", in->partner, name, fd, in->max_bytes, &id, cid,
                               why, why_n);
        if (r == EDI_OK && taken)
            (*taken)++;
    }
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
    if (r == EDI_E_LIMIT) {
        fprintf(stderr, "gateway: %s is larger than %zu bytes; moved to %s\n", path,
                in->max_bytes, in->refused);
        move_away(in, in->refused, e->name, 0);
        return EDI_OK;
    }
    if (r != EDI_OK)
        return r;
    e->received = id;
    move_away(in, in->processed, e->name, id);
    return EDI_OK;
}

edi_result channel_inbox_poll(channel_inbox *in, store *s, content_store *cs, size_t *taken,
                              char *why, size_t why_n)
{
    DIR *d = opendir(in->folder);
    if (!d) {
        edi_say(why, why_n, "the inbox %s cannot be read: %s", in->folder, strerror(errno));
        return EDI_E_IO;
    }
    bool first = in->generation == 0;
    unsigned gen = ++in->generation;
    if (gen == 0)
        gen = in->generation = 1;
    edi_result result = EDI_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (channel_dir_skipped_name(de->d_name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        inbox_entry *e = find_entry(in, de->d_name);
        if (!e) {
            if (!(e = add_entry(in, de->d_name))) {
                result = EDI_E_NOMEM;
                break;
            }
            e->preexisting = first;
        } else if (e->received || (e->generation == gen - 1 && same_file(&st, e))) {
            e->generation = gen;
            edi_result r = take(in, e, s, cs, taken, why, why_n);
            if (r != EDI_OK) {
                result = r;
                break;
            }
            if (e->generation != 0)
                continue; /* taken, or changed under us: the next look decides */
            /* still open for writing: looked at again next time */
        }
        e->size = st.st_size;
        e->mtime = st.st_mtim;
        e->ino = st.st_ino;
        e->generation = gen;
    }
    closedir(d);
    prune(in);
    return result;
}
