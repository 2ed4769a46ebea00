/* sftp_client.c: one SFTP connection (sftp_client.h). */
#include "sftp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SECRET_MAX 1024 /* a password or passphrase, with its NUL */
#define CHUNK 32768

struct sftp_conn {
    int fd;
    LIBSSH2_SESSION *session;
    LIBSSH2_SFTP *sftp;
    unsigned timeout_s;
    bool broken;           /* dropped or timed out: nothing more is sent */
    char url[400];
};

void sftp_fingerprint(const unsigned char *blob, size_t len, char out[SFTP_FINGERPRINT_MAX])
{
    unsigned char digest[32];
    unsigned int dlen = 0;
    unsigned char b64[48];
    memcpy(out, "SHA256:", 8);
    if (!EVP_Digest(blob, len, digest, &dlen, EVP_sha256(), NULL) || dlen != sizeof digest)
        return;
    int n = EVP_EncodeBlock(b64, digest, (int)sizeof digest);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    memcpy(out + 7, b64, (size_t)n);
    out[7 + n] = '\0';
}

/* ---- secrets --------------------------------------------------------------------------- */

/* A file that holds a secret must be private: others could read what it guards. */
static bool private_file(const char *path, const char *what, char *why, size_t why_n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        edi_say(why, why_n, "the %s file %s cannot be read: %s", what, path, strerror(errno));
        return false;
    }
    if (st.st_mode & 077) {
        edi_say(why, why_n, "the %s file %s may be read by others (mode %03o): make it "
                "private with `chmod 600 %s`", what, path, (unsigned)(st.st_mode & 0777), path);
        return false;
    }
    return true;
}

/* The first line of the secret file `path` into `out` (SECRET_MAX); false with a sentence
 * that names the file, never its content. */
static bool read_secret(const char *path, const char *what, char *out, char *why, size_t why_n)
{
    if (!private_file(path, what, why, why_n))
        return false;
    FILE *f = fopen(path, "re");
    if (!f) {
        edi_say(why, why_n, "the %s file %s cannot be read: %s", what, path, strerror(errno));
        return false;
    }
    bool ok = fgets(out, SECRET_MAX, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    if (!ok || !out[0]) {
        OPENSSL_cleanse(out, SECRET_MAX);
        edi_say(why, why_n, "the %s file %s is empty: its first line must hold the %s", what,
                path, what);
        return false;
    }
    return true;
}

/* ---- errors ------------------------------------------------------------------------------ */

/* The sentence and result for the last failure of `doing` ("removing /out/a.edi"). A
 * dropped connection or a timeout marks the connection broken. */
static edi_result fail(sftp_conn *c, const char *doing, char *why, size_t why_n)
{
    int rc = libssh2_session_last_errno(c->session);
    if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && c->sftp) {
        unsigned long st = libssh2_sftp_last_error(c->sftp);
        switch (st) {
        case LIBSSH2_FX_NO_SUCH_FILE:
        case LIBSSH2_FX_NO_SUCH_PATH:
            edi_say(why, why_n, "%s on %s failed: there is no such file or folder (it "
                    "vanished, or the path is wrong)", doing, c->url);
            return EDI_E_NOT_FOUND;
        case LIBSSH2_FX_PERMISSION_DENIED:
        case LIBSSH2_FX_WRITE_PROTECT:
            edi_say(why, why_n, "%s on %s failed: permission denied; the partner must give "
                    "the account these rights", doing, c->url);
            return EDI_E_ARG;
        case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
        case LIBSSH2_FX_QUOTA_EXCEEDED:
            edi_say(why, why_n, "%s on %s failed: the server's disk is full (or the "
                    "account's quota is used up)", doing, c->url);
            return EDI_E_IO;
        case LIBSSH2_FX_FILE_ALREADY_EXISTS:
            edi_say(why, why_n, "%s on %s failed: the target exists already", doing, c->url);
            return EDI_E_CONFLICT;
        case LIBSSH2_FX_FAILURE:
            edi_say(why, why_n, "%s on %s failed: the server reports a failure without a "
                    "reason (SSH_FX_FAILURE; when writing, most often a full disk)", doing,
                    c->url);
            return EDI_E_IO;
        default:
            edi_say(why, why_n, "%s on %s failed: SFTP status %lu", doing, c->url, st);
            return EDI_E_IO;
        }
    }
    c->broken = true;
    if (rc == LIBSSH2_ERROR_TIMEOUT)
        edi_say(why, why_n, "%s on %s failed: the server did not answer within %u s", doing,
                c->url, c->timeout_s);
    else
        edi_say(why, why_n, "%s on %s failed: the connection dropped (libssh2 error %d)", doing,
                c->url, rc);
    return EDI_E_IO;
}

static bool usable(const sftp_conn *c, char *why, size_t why_n)
{
    if (c && !c->broken)
        return true;
    edi_say(why, why_n, "the connection to %s dropped earlier", c ? c->url : "the server");
    return false;
}

/* ---- connecting --------------------------------------------------------------------------- */

/* A TCP connection to host:port within timeout_ms, or -1 with a sentence. */
static int tcp_connect(const char *host, unsigned port, int timeout_ms, const char *url,
                       char *why, size_t why_n)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        edi_say(why, why_n, "%s cannot be reached: the host name %s cannot be resolved (%s)",
                url, host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        err = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            if (err == EINPROGRESS) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int ready = poll(&p, 1, timeout_ms);
                socklen_t n = sizeof err;
                if (ready == 0)
                    err = ETIMEDOUT;
                else if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) != 0)
                    err = errno;
            }
        }
        if (err) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        edi_say(why, why_n, "%s cannot be reached: %s", url,
                err == ETIMEDOUT ? "no answer to the connection request in time" : strerror(err));
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

/* The server's host key against the profile's fingerprint, before any login. */
static edi_result check_host_key(sftp_conn *c, const partner_sftp *cfg, char *why, size_t why_n)
{
    size_t len = 0;
    int type = 0;
    const char *blob = libssh2_session_hostkey(c->session, &len, &type);
    if (!blob || !len) {
        edi_say(why, why_n, "%s sent no host key", c->url);
        return EDI_E_IO;
    }
    char seen[SFTP_FINGERPRINT_MAX] = "", expected[sizeof cfg->host_key] = "";
    sftp_fingerprint((const unsigned char *)blob, len, seen);
    snprintf(expected, sizeof expected, "%s", cfg->host_key);
    if (strlen(seen) == strlen(expected) && CRYPTO_memcmp(seen, expected, strlen(seen)) == 0)
        return EDI_OK;
    edi_say(why, why_n, "the host key of sftp://%s:%u is %s, the profile expects %s: if the "
            "partner changed its key, confirm the new fingerprint with them and update "
            "<hostKey>; nothing was sent to this server", cfg->host, cfg->port, seen, expected);
    return EDI_E_ARG;
}

static edi_result login(sftp_conn *c, const partner_sftp *cfg, char *why, size_t why_n)
{
    char secret[SECRET_MAX] = "";
    int rc;
    unsigned ulen = (unsigned)strlen(cfg->user);
    if (cfg->password_file[0]) {
        if (!read_secret(cfg->password_file, "password", secret, why, why_n))
            return EDI_E_ARG;
        rc = libssh2_userauth_password_ex(c->session, cfg->user, ulen, secret,
                                          (unsigned)strlen(secret), NULL);
    } else {
        if (!private_file(cfg->key_file, "private key", why, why_n))
            return EDI_E_ARG;
        if (cfg->passphrase_file[0] &&
            !read_secret(cfg->passphrase_file, "passphrase", secret, why, why_n))
            return EDI_E_ARG;
        rc = libssh2_userauth_publickey_fromfile_ex(c->session, cfg->user, ulen, NULL,
                                                    cfg->key_file,
                                                    cfg->passphrase_file[0] ? secret : NULL);
    }
    OPENSSL_cleanse(secret, sizeof secret);
    if (rc == 0)
        return EDI_OK;
    if (rc == LIBSSH2_ERROR_FILE) {
        edi_say(why, why_n, "the private key %s cannot be used to log in to %s: it cannot be "
                "read, is not a key, or the passphrase is wrong", cfg->key_file, c->url);
        return EDI_E_ARG;
    }
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED ||
        rc == LIBSSH2_ERROR_PASSWORD_EXPIRED) {
        edi_say(why, why_n, "%s refused the login of %s with the %s: check the account with "
                "the partner (for a key: its public half in the account's authorized_keys)",
                c->url, cfg->user, cfg->password_file[0] ? "password" : "key");
        return EDI_E_ARG;
    }
    return fail(c, "logging in", why, why_n);
}

edi_result sftp_connect(const partner_sftp *cfg, sftp_conn **out, char *why, size_t why_n)
{
    *out = NULL;
    sftp_conn *c = calloc(1, sizeof *c);
    if (!c) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    c->fd = -1;
    c->timeout_s = cfg->timeout_s ? cfg->timeout_s : 30;
    snprintf(c->url, sizeof c->url, "sftp://%s@%s:%u", cfg->user, cfg->host, cfg->port);
    if ((c->fd = tcp_connect(cfg->host, cfg->port, (int)c->timeout_s * 1000, c->url, why,
                             why_n)) < 0) {
        sftp_close(c);
        return EDI_E_IO;
    }
    if (!(c->session = libssh2_session_init())) {
        sftp_close(c);
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    libssh2_session_set_blocking(c->session, 1);
    libssh2_session_set_timeout(c->session, (long)c->timeout_s * 1000);
    edi_result r = EDI_OK;
    if (libssh2_session_handshake(c->session, c->fd) != 0) {
        r = fail(c, "the SSH handshake", why, why_n);
    } else if ((r = check_host_key(c, cfg, why, why_n)) == EDI_OK &&
               (r = login(c, cfg, why, why_n)) == EDI_OK &&
               !(c->sftp = libssh2_sftp_init(c->session))) {
        r = fail(c, "starting SFTP", why, why_n);
        if (r != EDI_E_IO)
            r = EDI_E_IO;
    }
    if (r != EDI_OK) {
        sftp_close(c);
        return r;
    }
    *out = c;
    return EDI_OK;
}

void sftp_close(sftp_conn *c)
{
    if (!c)
        return;
    if (c->sftp && !c->broken)
        libssh2_sftp_shutdown(c->sftp);
    if (c->session) {
        if (!c->broken)
            libssh2_session_disconnect(c->session, "done");
        libssh2_session_free(c->session);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

const char *sftp_url(const sftp_conn *c)
{
    return c->url;
}

bool sftp_alive(const sftp_conn *c)
{
    return c && !c->broken;
}

/* ---- files ---------------------------------------------------------------------------------- */

edi_result sftp_list(sftp_conn *c, const char *folder, sftp_entry **items, size_t *n,
                     char *why, size_t why_n)
{
    *items = NULL;
    *n = 0;
    if (!usable(c, why, why_n))
        return EDI_E_IO;
    char doing[640];
    snprintf(doing, sizeof doing, "listing the folder %s", folder);
    LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_opendir(c->sftp, folder);
    if (!h)
        return fail(c, doing, why, why_n);
    size_t cap = 0;
    edi_result r = EDI_OK;
    for (;;) {
        char name[512];
        LIBSSH2_SFTP_ATTRIBUTES a;
        int len = libssh2_sftp_readdir(h, name, sizeof name, &a);
        if (len == 0)
            break;
        if (len < 0) {
            r = fail(c, doing, why, why_n);
            break;
        }
        if (!strcmp(name, ".") || !strcmp(name, "..") || (size_t)len >= sizeof (*items)->name)
            continue;
        if (*n == cap) {
            size_t grown_cap = cap ? cap * 2 : 64;
            sftp_entry *grown = realloc(*items, grown_cap * sizeof *grown);
            if (!grown) {
                edi_say(why, why_n, "out of memory");
                r = EDI_E_NOMEM;
                break;
            }
            *items = grown;
            cap = grown_cap;
        }
        sftp_entry *e = &(*items)[(*n)++];
        memset(e, 0, sizeof *e);
        memcpy(e->name, name, (size_t)len + 1);
        e->size = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0;
        e->mtime = (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ? (int64_t)a.mtime : 0;
        e->regular = (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
                     LIBSSH2_SFTP_S_ISREG(a.permissions);
    }
    if (!c->broken)
        libssh2_sftp_closedir(h);
    if (r != EDI_OK) {
        free(*items);
        *items = NULL;
        *n = 0;
    }
    return r;
}

edi_result sftp_download(sftp_conn *c, const char *path, int fd, size_t max, size_t *len,
                         char *why, size_t why_n)
{
    *len = 0;
    if (!usable(c, why, why_n))
        return EDI_E_IO;
    char doing[640];
    snprintf(doing, sizeof doing, "downloading %s", path);
    LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(c->sftp, path, LIBSSH2_FXF_READ, 0);
    if (!h)
        return fail(c, doing, why, why_n);
    char *buf = malloc(CHUNK);
    edi_result r = buf ? EDI_OK : EDI_E_NOMEM;
    while (r == EDI_OK) {
        ssize_t got = libssh2_sftp_read(h, buf, CHUNK);
        if (got == 0)
            break;
        if (got < 0) {
            r = fail(c, doing, why, why_n);
            break;
        }
        if (*len + (size_t)got > max) {
            edi_say(why, why_n, "%s on %s is larger than the limit of %zu bytes (maxFileBytes "
                    "in the configuration)", path, c->url, max);
            r = EDI_E_LIMIT;
            break;
        }
        for (ssize_t done = 0; done < got;) {
            ssize_t w = write(fd, buf + done, (size_t)(got - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                edi_say(why, why_n, "%s from %s cannot be kept in memory: %s", path, c->url,
                        strerror(errno));
                r = EDI_E_IO;
                break;
            }
            done += w;
        }
        if (r == EDI_OK)
            *len += (size_t)got;
    }
    if (r == EDI_E_NOMEM)
        edi_say(why, why_n, "out of memory");
    free(buf);
    if (!c->broken)
        libssh2_sftp_close(h);
    return r;
}

edi_result sftp_exists(sftp_conn *c, const char *path, bool *exists, char *why, size_t why_n)
{
    *exists = false;
    if (!usable(c, why, why_n))
        return EDI_E_IO;
    LIBSSH2_SFTP_ATTRIBUTES a;
    if (libssh2_sftp_stat(c->sftp, path, &a) == 0) {
        *exists = true;
        return EDI_OK;
    }
    char doing[640];
    snprintf(doing, sizeof doing, "looking at %s", path);
    edi_result r = fail(c, doing, why, why_n);
    return r == EDI_E_NOT_FOUND ? EDI_OK : r;
}

edi_result sftp_remove(sftp_conn *c, const char *path, char *why, size_t why_n)
{
    if (!usable(c, why, why_n))
        return EDI_E_IO;
    if (libssh2_sftp_unlink(c->sftp, path) == 0)
        return EDI_OK;
    char doing[640];
    snprintf(doing, sizeof doing, "removing %s", path);
    return fail(c, doing, why, why_n);
}

edi_result sftp_rename(sftp_conn *c, const char *from, const char *to, char *why, size_t why_n)
{
    if (!usable(c, why, why_n))
        return EDI_E_IO;
    if (libssh2_sftp_rename_ex(c->sftp, from, (unsigned)strlen(from), to, (unsigned)strlen(to),
                               LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE) == 0)
        return EDI_OK;
    char doing[1200];
    snprintf(doing, sizeof doing, "renaming %s to %s", from, to);
    edi_result r = fail(c, doing, why, why_n);
    bool there = false;
    /* SFTP version 3 (OpenSSH) says only "failure" when the target exists. */
    if (r == EDI_E_IO && !c->broken && sftp_exists(c, to, &there, NULL, 0) == EDI_OK && there) {
        edi_say(why, why_n, "%s on %s failed: %s exists already", doing, c->url, to);
        return EDI_E_CONFLICT;
    }
    return r;
}

static edi_result write_all(sftp_conn *c, LIBSSH2_SFTP_HANDLE *h, const char *doing,
                            const void *data, size_t len, char *why, size_t why_n)
{
    const char *p = data;
    while (len) {
        ssize_t w = libssh2_sftp_write(h, p, len < CHUNK ? len : CHUNK);
        if (w <= 0)
            return fail(c, doing, why, why_n);
        p += w;
        len -= (size_t)w;
    }
    return EDI_OK;
}

edi_result sftp_upload(sftp_conn *c, const char *folder, const char *name,
                       const char *temp_suffix, const void *data, size_t len, char *path,
                       size_t path_n, char *why, size_t why_n)
{
    if (!name || !*name || name[0] == '.' || strchr(name, '/')) {
        edi_say(why, why_n, "\"%s\" is not a plain file name", name ? name : "");
        return EDI_E_ARG;
    }
    if (!usable(c, why, why_n))
        return EDI_E_IO;
    char tmp[1024], final[1024];
    const char *sep = folder[0] && folder[strlen(folder) - 1] != '/' ? "/" : "";
    if (snprintf(tmp, sizeof tmp, "%s%s%s%s", folder, sep, name, temp_suffix) >= (int)sizeof tmp ||
        snprintf(final, sizeof final, "%s%s%s", folder, sep, name) >= (int)sizeof final) {
        edi_say(why, why_n, "the path %s/%s is too long", folder, name);
        return EDI_E_ARG;
    }
    char doing[1200];
    snprintf(doing, sizeof doing, "writing %s", tmp);
    LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(c->sftp, tmp, LIBSSH2_FXF_WRITE |
                                               LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                               LIBSSH2_SFTP_S_IRUSR | LIBSSH2_SFTP_S_IWUSR |
                                               LIBSSH2_SFTP_S_IRGRP);
    if (!h)
        return fail(c, doing, why, why_n);
    edi_result r = write_all(c, h, doing, data, len, why, why_n);
    /* fsync@openssh.com where the server has it; a server without it is not an error. */
    if (r == EDI_OK && libssh2_sftp_fsync(h) != 0 &&
        !(libssh2_session_last_errno(c->session) == LIBSSH2_ERROR_SFTP_PROTOCOL &&
          libssh2_sftp_last_error(c->sftp) == LIBSSH2_FX_OP_UNSUPPORTED))
        r = fail(c, doing, why, why_n);
    if (!c->broken && libssh2_sftp_close(h) != 0 && r == EDI_OK)
        r = fail(c, doing, why, why_n);
    if (r == EDI_OK) {
        r = sftp_rename(c, tmp, final, why, why_n);
        /* No overwriting rename in SFTP version 3: the old file goes first. */
        if (r == EDI_E_CONFLICT && (r = sftp_remove(c, final, why, why_n)) == EDI_OK)
            r = sftp_rename(c, tmp, final, why, why_n);
    }
    if (r != EDI_OK && r != EDI_E_NOT_FOUND && !c->broken)
        libssh2_sftp_unlink(c->sftp, tmp);
    if (r == EDI_OK && path)
        snprintf(path, path_n, "%s", final);
    return r;
}
