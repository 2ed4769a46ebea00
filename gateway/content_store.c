/* content_store.c: payloads as files named by their SHA-256 (content_store.h). A payload is
 * written to tmp/<pid>-<n>-<time> (O_EXCL, 0600), fsynced, renamed to ab/<id> and the
 * folder fsynced; only then is the id given out. Temp files of dead processes are removed at
 * open, so a crash between write and rename leaves nothing behind for long. */
#include "content_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* A temp file whose process still runs is kept at open unless it is older than this: a
 * reused pid must not keep a leftover forever. */
#define TMP_MAX_AGE_S (24 * 3600)
#define IO_CHUNK 65536

struct content_store {
    char *dir;
    atomic_ulong seq;   /* makes temp names unique within the process */
};

/* ---- small helpers ----------------------------------------------------------------- */

static bool valid_id(const char *id)
{
    if (!id)
        return false;
    for (size_t i = 0; i < CONTENT_ID_SIZE - 1; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return id[CONTENT_ID_SIZE - 1] == '\0';
}

static void hex_digest(const unsigned char *md, char id[CONTENT_ID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        id[2 * i] = hex[md[i] >> 4];
        id[2 * i + 1] = hex[md[i] & 15];
    }
    id[64] = '\0';
}

/* fsync of a folder, so that a name created or renamed in it survives a crash. */
static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* mkdir that tolerates an existing folder; a new folder is made durable by an fsync of its
 * parent. */
static int mkdir_durable(const char *path, const char *parent)
{
    if (mkdir(path, 0700) == 0)
        return fsync_dir(parent);
    if (errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static bool write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- open and close ---------------------------------------------------------------- */

/* A temp name is <pid>-<seq>-<seconds>; true when it belongs to a process that still runs
 * and is recent enough. Anything else in tmp/ is a leftover. */
static bool tmp_in_use(const char *name, const struct stat *st)
{
    char *end;
    errno = 0;
    long pid = strtol(name, &end, 10);
    if (errno || end == name || *end != '-' || pid <= 0)
        return false;
    if (time(NULL) - st->st_mtime > TMP_MAX_AGE_S)
        return false;
    if ((pid_t)pid == getpid())
        return true;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static bool clean_tmp(const char *tmpdir, char *why, size_t why_n)
{
    DIR *d = opendir(tmpdir);
    if (!d) {
        edi_say(why, why_n, "cannot read the content store's temp folder %s: %s", tmpdir,
                strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode) && tmp_in_use(e->d_name, &st))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT) {
            edi_say(why, why_n, "cannot remove the leftover temp file %s/%s: %s", tmpdir,
                    e->d_name, strerror(errno));
            ok = false;
            break;
        }
    }
    closedir(d);
    return ok;
}

content_store *content_store_open(const char *dir, char *why, size_t why_n)
{
    if (!dir || !*dir) {
        edi_say(why, why_n, "no folder given for the content store");
        return NULL;
    }
    content_store *cs = calloc(1, sizeof *cs);
    if (!cs || !(cs->dir = strdup(dir))) {
        free(cs);
        edi_say(why, why_n, "out of memory opening the content store %s", dir);
        return NULL;
    }
    atomic_init(&cs->seq, 0);
    size_t n = strlen(dir) + sizeof "/tmp/.probe";
    char *tmpdir = malloc(n);
    if (!tmpdir) {
        content_store_close(cs);
        edi_say(why, why_n, "out of memory opening the content store %s", dir);
        return NULL;
    }
    /* The parent of `dir`, for making a new store folder durable. */
    snprintf(tmpdir, n, "%s", dir);
    char *slash = strrchr(tmpdir, '/');
    while (slash && slash > tmpdir && slash[1] == '\0') {
        *slash = '\0';
        slash = strrchr(tmpdir, '/');
    }
    if (!slash)
        snprintf(tmpdir, n, ".");
    else
        slash[slash == tmpdir] = '\0';
    if (mkdir_durable(dir, tmpdir) != 0) {
        edi_say(why, why_n, "cannot create the content store folder %s: %s", dir,
                strerror(errno));
        goto fail;
    }
    snprintf(tmpdir, n, "%s/tmp", dir);
    if (mkdir_durable(tmpdir, dir) != 0) {
        edi_say(why, why_n, "cannot create the content store's temp folder %s: %s", tmpdir,
                strerror(errno));
        goto fail;
    }
    if (!clean_tmp(tmpdir, why, why_n))
        goto fail;
    /* Write access is checked now, not at the first payload: a probe file is made and
     * removed. */
    snprintf(tmpdir, n, "%s/tmp/.probe", dir);
    int fd = open(tmpdir, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        edi_say(why, why_n, "the content store folder %s/tmp is not writable: %s", dir,
                strerror(errno));
        goto fail;
    }
    close(fd);
    unlink(tmpdir);
    free(tmpdir);
    return cs;
fail:
    free(tmpdir);
    content_store_close(cs);
    return NULL;
}

void content_store_close(content_store *cs)
{
    if (!cs)
        return;
    free(cs->dir);
    free(cs);
}

edi_result content_store_path(content_store *cs, const char *id, char *path, size_t path_n)
{
    if (!cs || !valid_id(id) || !path)
        return EDI_E_ARG;
    int n = snprintf(path, path_n, "%s/%.2s/%s", cs->dir, id, id);
    if (n < 0 || (size_t)n >= path_n)
        return EDI_E_ARG;
    return EDI_OK;
}

/* ---- writing ----------------------------------------------------------------------- */

/* A temp file being written and hashed. */
typedef struct {
    char path[4096];
    int fd;
    EVP_MD_CTX *md;
    size_t len;
} tmp_file;

static edi_result tmp_begin(content_store *cs, tmp_file *t, char *why, size_t why_n)
{
    t->fd = -1;
    t->len = 0;
    t->md = EVP_MD_CTX_new();
    if (!t->md || EVP_DigestInit_ex(t->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(t->md);
        t->md = NULL;
        edi_say(why, why_n, "cannot start a SHA-256 digest (OpenSSL)");
        return EDI_E_NOMEM;
    }
    for (int tries = 0; tries < 100; tries++) {
        unsigned long seq = atomic_fetch_add(&cs->seq, 1);
        int n = snprintf(t->path, sizeof t->path, "%s/tmp/%ld-%lu-%lld", cs->dir,
                         (long)getpid(), seq, (long long)time(NULL));
        if (n < 0 || (size_t)n >= sizeof t->path) {
            edi_say(why, why_n, "the content store folder name %s is too long", cs->dir);
            break;
        }
        t->fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (t->fd >= 0)
            return EDI_OK;
        if (errno != EEXIST) {
            edi_say(why, why_n, "cannot create the temp file %s: %s", t->path,
                    strerror(errno));
            break;
        }
    }
    if (t->fd < 0 && why && why_n && !*why)
        edi_say(why, why_n, "cannot find a free temp file name in %s/tmp", cs->dir);
    EVP_MD_CTX_free(t->md);
    t->md = NULL;
    return EDI_E_IO;
}

static edi_result tmp_write(tmp_file *t, const void *data, size_t len, char *why, size_t why_n)
{
    if (EVP_DigestUpdate(t->md, data, len) != 1) {
        edi_say(why, why_n, "the SHA-256 digest failed (OpenSSL)");
        return EDI_E_IO;
    }
    if (!write_all(t->fd, data, len)) {
        edi_say(why, why_n, "cannot write the temp file %s: %s", t->path, strerror(errno));
        return EDI_E_IO;
    }
    t->len += len;
    return EDI_OK;
}

/* Give up: the temp file is removed. */
static void tmp_abort(tmp_file *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        unlink(t->path);
        t->fd = -1;
    }
    EVP_MD_CTX_free(t->md);
    t->md = NULL;
}

/* The payload's folder ab/ (the first two hex digits of its id), created durably; `shard`
 * gets dir/ab. One level of 256 folders: two levels (65,536 folders) made nearly every new
 * payload create folders of its own, and creating an inode costs more than the write. */
static edi_result make_shard(content_store *cs, const char *id, char *shard, size_t shard_n,
                             char *why, size_t why_n)
{
    int n = snprintf(shard, shard_n, "%s/%.2s", cs->dir, id);
    if (n < 0 || (size_t)n >= shard_n) {
        edi_say(why, why_n, "the content store folder name %s is too long", cs->dir);
        return EDI_E_IO;
    }
    if (mkdir_durable(shard, cs->dir) != 0) {
        edi_say(why, why_n, "cannot create the folder %s: %s", shard, strerror(errno));
        return EDI_E_IO;
    }
    return EDI_OK;
}

/* A payload file that already holds `len` bytes is taken as the same payload (its name is
 * their hash); a shorter or longer one is damaged and gets replaced. */
static bool already_stored(const char *path, size_t len)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
}

/* Finish the temp file: fsync, name it by its hash, fsync the folder. */
static edi_result tmp_commit(content_store *cs, tmp_file *t, char id[CONTENT_ID_SIZE], char *why,
                             size_t why_n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_DigestFinal_ex(t->md, md, &md_len) != 1 || md_len != 32) {
        edi_say(why, why_n, "the SHA-256 digest failed (OpenSSL)");
        tmp_abort(t);
        return EDI_E_IO;
    }
    hex_digest(md, id);
    char shard[4096], target[4096 + 80];
    edi_result r = make_shard(cs, id, shard, sizeof shard, why, why_n);
    if (r != EDI_OK) {
        tmp_abort(t);
        return r;
    }
    snprintf(target, sizeof target, "%s/%s", shard, id);
    if (already_stored(target, t->len)) {
        tmp_abort(t);
    } else {
        if (fsync(t->fd) != 0) {
            edi_say(why, why_n, "cannot flush the temp file %s to disk: %s", t->path,
                    strerror(errno));
            tmp_abort(t);
            return EDI_E_IO;
        }
        if (close(t->fd) != 0) {
            t->fd = -1;
            edi_say(why, why_n, "cannot close the temp file %s: %s", t->path, strerror(errno));
            unlink(t->path);
            tmp_abort(t);
            return EDI_E_IO;
        }
        t->fd = -1;
        if (rename(t->path, target) != 0) {
            edi_say(why, why_n, "cannot rename %s to %s: %s", t->path, target, strerror(errno));
            unlink(t->path);
            tmp_abort(t);
            return EDI_E_IO;
        }
        tmp_abort(t);
    }
    /* Also when the payload was there already: another writer may have renamed it and not
     * yet flushed the folder. */
    if (fsync_dir(shard) != 0) {
        edi_say(why, why_n, "cannot flush the folder %s to disk: %s", shard, strerror(errno));
        return EDI_E_IO;
    }
    return EDI_OK;
}

edi_result content_store_put_parts(content_store *cs, const content_part *parts, size_t n,
                                   char id[CONTENT_ID_SIZE], char *why, size_t why_n)
{
    if (!cs || !id || (!parts && n > 0)) {
        edi_say(why, why_n, "content_store_put needs a store, an id buffer and data");
        return EDI_E_ARG;
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].data && parts[i].len > 0) {
            edi_say(why, why_n, "content_store_put: part %zu has a length but no bytes", i + 1);
            return EDI_E_ARG;
        }
        len += parts[i].len;
    }
    /* Bytes that are stored already are not written again. */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = parts[i].len == 0 || EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        edi_say(why, why_n, "the SHA-256 digest failed (OpenSSL)");
        return EDI_E_IO;
    }
    char known[CONTENT_ID_SIZE], shard[4096], target[4096 + 80];
    hex_digest(md, known);
    snprintf(shard, sizeof shard, "%s/%.2s", cs->dir, known);
    snprintf(target, sizeof target, "%s/%s", shard, known);
    if (already_stored(target, len)) {
        if (fsync_dir(shard) != 0) {
            edi_say(why, why_n, "cannot flush the folder %s to disk: %s", shard, strerror(errno));
            return EDI_E_IO;
        }
        memcpy(id, known, CONTENT_ID_SIZE);
        return EDI_OK;
    }
    tmp_file t;
    edi_result r = tmp_begin(cs, &t, why, why_n);
    if (r != EDI_OK)
        return r;
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && (r = tmp_write(&t, parts[i].data, parts[i].len, why, why_n)) != EDI_OK) {
            tmp_abort(&t);
            return r;
        }
    return tmp_commit(cs, &t, id, why, why_n);
}

edi_result content_store_put(content_store *cs, const void *data, size_t len,
                             char id[CONTENT_ID_SIZE], char *why, size_t why_n)
{
    content_part one = { data, len };
    return content_store_put_parts(cs, &one, 1, id, why, why_n);
}

edi_result content_store_put_fd(content_store *cs, int fd, size_t max, char id[CONTENT_ID_SIZE],
                                size_t *len_out, char *why, size_t why_n)
{
    if (!cs || !id || fd < 0) {
        edi_say(why, why_n, "content_store_put_fd needs a store, an id buffer and a file");
        return EDI_E_ARG;
    }
    char *chunk = malloc(IO_CHUNK);
    if (!chunk) {
        edi_say(why, why_n, "out of memory reading a payload");
        return EDI_E_NOMEM;
    }
    tmp_file t;
    edi_result r = tmp_begin(cs, &t, why, why_n);
    if (r != EDI_OK) {
        free(chunk);
        return r;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, IO_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            edi_say(why, why_n, "cannot read the payload: %s", strerror(errno));
            r = EDI_E_IO;
            break;
        }
        if (n == 0)
            break;
        if ((size_t)n > max - t.len) {
            edi_say(why, why_n, "the payload is larger than the limit of %zu bytes", max);
            r = EDI_E_LIMIT;
            break;
        }
        if ((r = tmp_write(&t, chunk, (size_t)n, why, why_n)) != EDI_OK)
            break;
    }
    free(chunk);
    if (r != EDI_OK) {
        tmp_abort(&t);
        return r;
    }
    size_t len = t.len;
    r = tmp_commit(cs, &t, id, why, why_n);
    if (r == EDI_OK && len_out)
        *len_out = len;
    return r;
}

/* ---- reading ----------------------------------------------------------------------- */

edi_result content_store_get(content_store *cs, const char *id, edi_buf *out, char *why,
                             size_t why_n)
{
    if (!cs || !out) {
        edi_say(why, why_n, "content_store_get needs a store and a buffer");
        return EDI_E_ARG;
    }
    if (!valid_id(id)) {
        edi_say(why, why_n, "\"%.80s\" is not a content id (64 lowercase hex digits)",
                id ? id : "(null)");
        return EDI_E_ARG;
    }
    char path[4096];
    if (content_store_path(cs, id, path, sizeof path) != EDI_OK) {
        edi_say(why, why_n, "the content store folder name %s is too long", cs->dir);
        return EDI_E_ARG;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        edi_say(why, why_n, "cannot open the payload %s: %s", path, strerror(errno));
        return EDI_E_IO;
    }
    size_t start = out->len;
    edi_result r = edi_buf_read_fd(out, fd, SIZE_MAX / 2);
    int saved = errno;
    close(fd);
    if (r != EDI_OK) {
        out->len = start;
        edi_say(why, why_n, "cannot read the payload %s: %s", path,
                r == EDI_E_NOMEM ? "out of memory" : strerror(saved));
        return r;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(out->p ? out->p + start : "", out->len - start, md, &md_len, EVP_sha256(),
                   NULL) != 1 || md_len != 32) {
        out->len = start;
        edi_say(why, why_n, "the SHA-256 digest failed (OpenSSL)");
        return EDI_E_IO;
    }
    char got[CONTENT_ID_SIZE];
    hex_digest(md, got);
    if (strcmp(got, id) != 0) {
        out->len = start;
        edi_say(why, why_n,
                "the payload %s is damaged: its bytes hash to %s; restore it from a backup",
                path, got);
        return EDI_E_CORRUPT;
    }
    return EDI_OK;
}
