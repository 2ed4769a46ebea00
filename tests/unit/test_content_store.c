/* The content store (gateway/content_store.h) on real files in a fresh temp folder: bytes
 * come back as stored and under their SHA-256; the same bytes are one file; a damaged file
 * is reported as corrupt, not returned; bad ids are refused; a stream over its limit leaves
 * nothing behind; temp files a crash left are removed at open; a folder that cannot be
 * written gives EDI_E_IO with a sentence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "content_store.h"

typedef struct {
    char dir[256];   /* the mkdtemp folder */
    char cs_dir[300];
    content_store *cs;
} fixture;

static int rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (!d)
            return -1;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/cstore-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->cs_dir, sizeof fx->cs_dir, "%s/content", fx->dir);
    char why[512] = "";
    fx->cs = content_store_open(fx->cs_dir, why, sizeof why);
    if (!fx->cs) {
        fprintf(stderr, "%s\n", why);
        rm_tree(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    content_store_close(fx->cs);
    rm_tree(fx->dir);
    free(fx);
    return 0;
}

/* The number of regular files under `path`, at any depth. */
static int count_files(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            n += count_files(sub);
        else if (S_ISREG(st.st_mode))
            n++;
    }
    closedir(d);
    return n;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void round_trip(void **state)
{
    fixture *fx = *state;
    const char payload[] = "UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+240101:1200+1'UNZ+0+1'";
    char id[CONTENT_ID_SIZE], why[512] = "";
    assert_int_equal(content_store_put(fx->cs, payload, sizeof payload - 1, id, why, sizeof why),
                     EDI_OK);
    char expect[65];
    sha256_hex(payload, sizeof payload - 1, expect);
    assert_string_equal(id, expect);

    char path[1024];
    assert_int_equal(content_store_path(fx->cs, id, path, sizeof path), EDI_OK);
    char want[1024];
    snprintf(want, sizeof want, "%s/%.2s/%s", fx->cs_dir, id, id);
    assert_string_equal(path, want);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    edi_buf b = {0};
    assert_true(edi_buf_append(&b, "prefix:", 7));
    assert_int_equal(content_store_get(fx->cs, id, &b, why, sizeof why), EDI_OK);
    assert_int_equal(b.len, 7 + sizeof payload - 1);
    assert_memory_equal(b.p, "prefix:", 7);
    assert_memory_equal(b.p + 7, payload, sizeof payload - 1);
    edi_buf_free(&b);

    /* An empty payload is a payload too. */
    assert_int_equal(content_store_put(fx->cs, "", 0, id, why, sizeof why), EDI_OK);
    assert_string_equal(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    edi_buf e = {0};
    assert_int_equal(content_store_get(fx->cs, id, &e, why, sizeof why), EDI_OK);
    assert_int_equal(e.len, 0);
    edi_buf_free(&e);
}

/* Parts are stored as the one payload they make together: the same id and bytes as the
 * joined buffer, and empty parts change nothing. */
static void parts_are_one_payload(void **state)
{
    fixture *fx = *state;
    const char head[] = "AS2-From: a\r\n\r\n", body[] = "UNA:+.? 'UNB+UNOC:3+A+B'";
    char joined[sizeof head + sizeof body];
    snprintf(joined, sizeof joined, "%s%s", head, body);
    content_part parts[3] = { { head, sizeof head - 1 }, { NULL, 0 }, { body, sizeof body - 1 } };
    char id[CONTENT_ID_SIZE], again[CONTENT_ID_SIZE], why[512] = "";
    assert_int_equal(content_store_put_parts(fx->cs, parts, 3, id, why, sizeof why), EDI_OK);
    char expect[65];
    sha256_hex(joined, strlen(joined), expect);
    assert_string_equal(id, expect);
    assert_int_equal(content_store_put(fx->cs, joined, strlen(joined), again, why, sizeof why),
                     EDI_OK);
    assert_string_equal(again, id);
    edi_buf b = {0};
    assert_int_equal(content_store_get(fx->cs, id, &b, why, sizeof why), EDI_OK);
    assert_int_equal(b.len, strlen(joined));
    assert_memory_equal(b.p, joined, b.len);
    edi_buf_free(&b);
    content_part bad = { NULL, 3 };
    assert_int_equal(content_store_put_parts(fx->cs, &bad, 1, id, why, sizeof why), EDI_E_ARG);
}

static void same_bytes_one_file(void **state)
{
    fixture *fx = *state;
    char a[CONTENT_ID_SIZE], b[CONTENT_ID_SIZE], c[CONTENT_ID_SIZE], why[512] = "";
    assert_int_equal(content_store_put(fx->cs, "hello", 5, a, why, sizeof why), EDI_OK);
    assert_int_equal(content_store_put(fx->cs, "hello", 5, b, why, sizeof why), EDI_OK);
    assert_string_equal(a, b);
    /* Through a file descriptor too. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "hello", 5), 5);
    close(p[1]);
    size_t len = 0;
    assert_int_equal(content_store_put_fd(fx->cs, p[0], 100, c, &len, why, sizeof why), EDI_OK);
    close(p[0]);
    assert_string_equal(a, c);
    assert_int_equal(len, 5);
    assert_int_equal(count_files(fx->cs_dir), 1);
    assert_int_equal(content_store_put(fx->cs, "hellO", 5, c, why, sizeof why), EDI_OK);
    assert_string_not_equal(a, c);
    assert_int_equal(count_files(fx->cs_dir), 2);
}

static void damaged_file_is_corrupt(void **state)
{
    fixture *fx = *state;
    char id[CONTENT_ID_SIZE], why[512] = "", path[1024];
    assert_int_equal(content_store_put(fx->cs, "ORDER 4711", 10, id, why, sizeof why), EDI_OK);
    assert_int_equal(content_store_path(fx->cs, id, path, sizeof path), EDI_OK);
    /* One bit flipped on disk, same size. */
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "0", 1, 0), 1);
    close(fd);
    edi_buf b = {0};
    assert_true(edi_buf_append(&b, "kept", 4));
    assert_int_equal(content_store_get(fx->cs, id, &b, why, sizeof why), EDI_E_CORRUPT);
    assert_int_equal(b.len, 4); /* nothing of the damaged bytes is handed out */
    assert_non_null(strstr(why, "damaged"));
    assert_non_null(strstr(why, id));
    edi_buf_free(&b);

    /* Storing the same bytes again repairs nothing when the size matches, but a truncated
     * file is replaced. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    char again[CONTENT_ID_SIZE];
    assert_int_equal(content_store_put(fx->cs, "ORDER 4711", 10, again, why, sizeof why), EDI_OK);
    assert_string_equal(again, id);
    edi_buf c = {0};
    assert_int_equal(content_store_get(fx->cs, id, &c, why, sizeof why), EDI_OK);
    assert_int_equal(c.len, 10);
    edi_buf_free(&c);

    /* A missing payload is an I/O error. */
    assert_int_equal(unlink(path), 0);
    edi_buf d = {0};
    assert_int_equal(content_store_get(fx->cs, id, &d, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, path));
    edi_buf_free(&d);
}

static void bad_ids_refused(void **state)
{
    fixture *fx = *state;
    char why[512] = "", path[1024];
    const char *bad[] = {
        "",
        "../../etc/passwd",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", /* upper case */
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",  /* 63 */
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", /* 65 */
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        edi_buf b = {0};
        why[0] = '\0';
        assert_int_equal(content_store_get(fx->cs, bad[i], &b, why, sizeof why), EDI_E_ARG);
        assert_true(why[0] != '\0');
        assert_int_equal(content_store_path(fx->cs, bad[i], path, sizeof path), EDI_E_ARG);
        edi_buf_free(&b);
    }
    edi_buf b = {0};
    assert_int_equal(content_store_get(fx->cs, NULL, &b, why, sizeof why), EDI_E_ARG);
    /* A path buffer too small is refused, not cut. */
    assert_int_equal(content_store_path(fx->cs,
                                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                        path, 20),
                     EDI_E_ARG);
}

static void put_fd_limit_keeps_nothing(void **state)
{
    fixture *fx = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/big", fx->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 100; i++) /* 400 KiB: several reads */
        assert_int_equal(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    char id[CONTENT_ID_SIZE], why[512] = "";
    size_t len = 12345;
    assert_int_equal(content_store_put_fd(fx->cs, fd, 100 * 4096 - 1, id, &len, why, sizeof why),
                     EDI_E_LIMIT);
    assert_non_null(strstr(why, "limit"));
    assert_int_equal(len, 12345);
    assert_int_equal(count_files(fx->cs_dir), 0); /* no payload, no temp file */

    /* Exactly at the limit it is stored, and read back whole. */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(content_store_put_fd(fx->cs, fd, 100 * 4096, id, &len, why, sizeof why),
                     EDI_OK);
    close(fd);
    assert_int_equal(len, 100 * 4096);
    assert_int_equal(count_files(fx->cs_dir), 1);
    edi_buf b = {0};
    assert_int_equal(content_store_get(fx->cs, id, &b, why, sizeof why), EDI_OK);
    assert_int_equal(b.len, 100 * 4096);
    assert_int_equal(b.p[0], 'x');
    assert_int_equal(b.p[b.len - 1], 'x');
    edi_buf_free(&b);
}

static void leftover_temp_files_removed_at_open(void **state)
{
    fixture *fx = *state;
    content_store_close(fx->cs);
    fx->cs = NULL;
    /* What a crash leaves: a half-written temp file of a process that is gone, a file with
     * a name that is not ours, and one of this (running) process, which must stay. */
    char dead[512], odd[512], mine[512];
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    snprintf(dead, sizeof dead, "%s/tmp/%ld-7-1700000000", fx->cs_dir, (long)child);
    snprintf(odd, sizeof odd, "%s/tmp/garbage", fx->cs_dir);
    snprintf(mine, sizeof mine, "%s/tmp/%ld-99-%lld", fx->cs_dir, (long)getpid(),
             (long long)time(NULL));
    const char *files[] = {dead, odd, mine};
    for (int i = 0; i < 3; i++) {
        int fd = open(files[i], O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "half", 4), 4);
        close(fd);
    }
    char why[512] = "";
    fx->cs = content_store_open(fx->cs_dir, why, sizeof why);
    assert_non_null(fx->cs);
    assert_int_equal(access(dead, F_OK), -1);
    assert_int_equal(access(odd, F_OK), -1);
    assert_int_equal(access(mine, F_OK), 0);
    assert_int_equal(unlink(mine), 0);
}

/* Run in a child that is not root (root ignores file modes): 0 when all went as expected,
 * else the number of the check that failed. */
static int read_only_child(const char *cs_dir)
{
    if (geteuid() == 0 && setuid(65534) != 0)
        return 10;
    char why[512] = "";
    content_store *cs = content_store_open(cs_dir, why, sizeof why);
    if (!cs)
        return 1;
    char id[CONTENT_ID_SIZE];
    if (content_store_put(cs, "before", 6, id, why, sizeof why) != EDI_OK)
        return 2;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/tmp", cs_dir);
    if (chmod(tmp, 0500) != 0)
        return 3;
    why[0] = '\0';
    if (content_store_put(cs, "after", 5, id, why, sizeof why) != EDI_E_IO)
        return 4;
    if (!strstr(why, "cannot create the temp file") || !strstr(why, "ermission denied"))
        return 5;
    content_store_close(cs);
    /* Opening a store that cannot be written is refused at once. */
    why[0] = '\0';
    cs = content_store_open(cs_dir, why, sizeof why);
    if (cs || !strstr(why, "not writable"))
        return 6;
    return 0;
}

static void read_only_folder_is_io_error(void **state)
{
    fixture *fx = *state;
    char cs_dir[512];
    snprintf(cs_dir, sizeof cs_dir, "%s/ro", fx->dir);
    assert_int_equal(mkdir(cs_dir, 0777), 0);
    assert_int_equal(chmod(cs_dir, 0777), 0);
    assert_int_equal(chmod(fx->dir, 0755), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(read_only_child(cs_dir));
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(parts_are_one_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(same_bytes_one_file, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_file_is_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_ids_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(put_fd_limit_keeps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(leftover_temp_files_removed_at_open, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_folder_is_io_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
