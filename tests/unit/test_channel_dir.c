/* The directory channel (gateway/channel_dir.h) on a real SQLite store and content store:
 * hidden and temp names are skipped; a file is taken only on the second look that finds it
 * unchanged, and not while a process still has it open for writing; a taken file becomes a
 * message (channel dir, its name, the inbox's partner, status received, an "identify" job)
 * and is moved to processed/<id>-<name>; a file that was stored before a crash but not moved
 * is moved without being stored again (exactly once); a file over the size limit goes to
 * refused/; outbound files are written atomically and replaced whole, with no temp file
 * left, and a name that is a path is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel_dir.h"

typedef struct {
    char dir[64];
    char inbox[128];
    store *s;
    content_store *cs;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_channel_dir.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->inbox, sizeof fx->inbox, "%s/in", fx->dir);
    char path[160], why[512] = "";
    snprintf(path, sizeof path, "%s/gw.db", fx->dir);
    fx->s = store_open_sqlite(path, why, sizeof why);
    snprintf(path, sizeof path, "%s/content", fx->dir);
    fx->cs = content_store_open(path, why, sizeof why);
    if (!fx->s || !fx->cs) {
        fprintf(stderr, "setup: %s\n", why);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    content_store_close(fx->cs);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

typedef struct {
    store_message items[16];
    size_t n;
} listing;

static int collect(void *ctx, const store_message *m)
{
    listing *l = ctx;
    if (l->n < 16)
        l->items[l->n++] = *m;
    return 0;
}

static listing list_all(fixture *fx)
{
    listing l = { .n = 0 };
    store_message_filter f = { .direction = -1 };
    char why[512] = "";
    assert_int_equal(store_message_list(fx->s, &f, collect, &l, why, sizeof why), EDI_OK);
    return l;
}

static void poll_once(fixture *fx, channel_inbox *in, size_t *taken)
{
    char why[512] = "";
    edi_result r = channel_inbox_poll(in, fx->s, fx->cs, taken, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("poll: %s", why);
}

static void skipped_names(void **state)
{
    (void)state;
    assert_true(channel_dir_skipped_name(".hidden"));
    assert_true(channel_dir_skipped_name("order.edi.tmp"));
    assert_true(channel_dir_skipped_name("order.edi.part"));
    assert_true(channel_dir_skipped_name("order.edi~"));
    assert_true(channel_dir_skipped_name("processed"));
    assert_true(channel_dir_skipped_name("refused"));
    assert_false(channel_dir_skipped_name("order.edi"));
    assert_false(channel_dir_skipped_name("tmp.edi"));
}

static void file_is_taken_on_second_look(void **state)
{
    fixture *fx = *state;
    char why[512] = "", path[256];
    channel_inbox *in = channel_inbox_new(fx->inbox, "acme", 1 << 20, why, sizeof why);
    assert_non_null(in);
    snprintf(path, sizeof path, "%s/order.edi", fx->inbox);
    write_file(path, "UNB+UNOC:3+X:14+Y:14+261126:0915+1'");
    size_t taken = 0;
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 0);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(list_all(fx).n, 0);

    poll_once(fx, in, &taken);
    assert_int_equal(taken, 1);
    assert_int_not_equal(access(path, F_OK), 0);
    listing l = list_all(fx);
    assert_int_equal(l.n, 1);
    const store_message *m = &l.items[0];
    assert_string_equal(m->channel, "dir");
    assert_string_equal(m->filename, "order.edi");
    assert_string_equal(m->partner, "acme");
    assert_string_equal(m->status, STORE_STATUS_RECEIVED);
    assert_int_equal(m->direction, STORE_IN);
    assert_int_equal(m->size, 35);
    char moved[300];
    snprintf(moved, sizeof moved, "%s/processed/%lld-order.edi", fx->inbox, (long long)m->id);
    char *text = read_text(moved);
    assert_non_null(text);
    assert_string_equal(text, "UNB+UNOC:3+X:14+Y:14+261126:0915+1'");
    free(text);
    edi_buf raw = { 0 };
    assert_int_equal(content_store_get(fx->cs, m->content_id, &raw, why, sizeof why), EDI_OK);
    assert_int_equal(raw.len, 35);
    edi_buf_free(&raw);

    store_job j;
    bool got = false;
    assert_int_equal(store_job_claim(fx->s, "t", 1000, NULL, &j, &got, why, sizeof why), EDI_OK);
    assert_true(got);
    assert_string_equal(j.kind, "identify");
    assert_int_equal(j.message_id, m->id);

    poll_once(fx, in, &taken);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 1);
    channel_inbox_free(in);
}

static void changing_and_open_files_wait(void **state)
{
    fixture *fx = *state;
    char why[512] = "", path[256];
    channel_inbox *in = channel_inbox_new(fx->inbox, "", 1 << 20, why, sizeof why);
    assert_non_null(in);
    snprintf(path, sizeof path, "%s/growing.edi", fx->inbox);
    write_file(path, "UNB+");
    size_t taken = 0;
    poll_once(fx, in, &taken);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("UNOC:3'", f);
    fflush(f);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 0);
    /* Unchanged now, but still open for writing: not taken either. */
    poll_once(fx, in, &taken);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 0);
    assert_int_equal(access(path, F_OK), 0);
    fclose(f);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 1);
    listing l = list_all(fx);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].size, 11);
    assert_string_equal(l.items[0].partner, "");
    /* Hidden and temp files stay. */
    char hidden[256], tmp[256];
    snprintf(hidden, sizeof hidden, "%s/.x.edi", fx->inbox);
    snprintf(tmp, sizeof tmp, "%s/y.tmp", fx->inbox);
    write_file(hidden, "x");
    write_file(tmp, "y");
    poll_once(fx, in, &taken);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 1);
    assert_int_equal(access(hidden, F_OK), 0);
    assert_int_equal(access(tmp, F_OK), 0);
    channel_inbox_free(in);
}

static void stored_before_crash_is_only_moved(void **state)
{
    fixture *fx = *state;
    char why[512] = "", path[256];
    assert_true(channel_dir_mkdirs(fx->inbox));
    snprintf(path, sizeof path, "%s/crash.edi", fx->inbox);
    write_file(path, "UNB+UNOC:3+CRASH'");
    /* The run before the crash stored it and died before moving it. */
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    store_id first = 0;
    assert_int_equal(channel_receive_fd(fx->s, fx->cs, "dir", "", "crash.edi", fd, 1 << 20,
                                        &first, NULL, why, sizeof why),
                     EDI_OK);
    close(fd);
    /* A file with the same name but other bytes is a new file and is stored. */
    char other[256];
    snprintf(other, sizeof other, "%s/other.edi", fx->inbox);
    write_file(other, "UNB+UNOC:3+OTHER'");

    channel_inbox *in = channel_inbox_new(fx->inbox, "", 1 << 20, why, sizeof why);
    assert_non_null(in);
    size_t taken = 0;
    poll_once(fx, in, &taken);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 1);
    listing l = list_all(fx);
    assert_int_equal(l.n, 2);
    char moved[300];
    snprintf(moved, sizeof moved, "%s/processed/%lld-crash.edi", fx->inbox, (long long)first);
    assert_int_equal(access(moved, F_OK), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_not_equal(access(other, F_OK), 0);
    channel_inbox_free(in);
}

static void too_large_is_refused(void **state)
{
    fixture *fx = *state;
    char why[512] = "", path[256], refused[256];
    channel_inbox *in = channel_inbox_new(fx->inbox, "", 10, why, sizeof why);
    assert_non_null(in);
    snprintf(path, sizeof path, "%s/big.edi", fx->inbox);
    snprintf(refused, sizeof refused, "%s/refused/big.edi", fx->inbox);
    write_file(path, "UNB+UNOC:3+TOO-LARGE'");
    size_t taken = 0;
    poll_once(fx, in, &taken);
    poll_once(fx, in, &taken);
    assert_int_equal(taken, 0);
    assert_int_equal(access(refused, F_OK), 0);
    assert_int_equal(list_all(fx).n, 0);
    channel_inbox_free(in);
}

static void outbound_is_atomic(void **state)
{
    fixture *fx = *state;
    char why[512] = "", out[128], path[512];
    snprintf(out, sizeof out, "%s/out/acme", fx->dir);
    assert_int_equal(channel_dir_write(out, "CONTRL-1.edi", "first", 5, path, sizeof path, why,
                                       sizeof why),
                     EDI_OK);
    char *text = read_text(path);
    assert_string_equal(text, "first");
    free(text);
    assert_int_equal(channel_dir_write(out, "CONTRL-1.edi", "second!", 7, NULL, 0, why, sizeof why),
                     EDI_OK);
    text = read_text(path);
    assert_string_equal(text, "second!");
    free(text);
    assert_int_equal(count_entries(out), 1);
    assert_int_equal(channel_dir_write(out, "../escape.edi", "x", 1, NULL, 0, why, sizeof why),
                     EDI_E_ARG);
    assert_int_equal(channel_dir_write(out, ".hidden", "x", 1, NULL, 0, why, sizeof why), EDI_E_ARG);
    assert_int_equal(count_entries(out), 1);
    /* An outbox that cannot be made: a file is in the way. */
    char blocked[160];
    snprintf(blocked, sizeof blocked, "%s/blocked", fx->dir);
    write_file(blocked, "");
    strcat(blocked, "/sub");
    assert_int_equal(channel_dir_write(blocked, "a.edi", "x", 1, NULL, 0, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "blocked"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(skipped_names),
        cmocka_unit_test_setup_teardown(file_is_taken_on_second_look, setup, teardown),
        cmocka_unit_test_setup_teardown(changing_and_open_files_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(stored_before_crash_is_only_moved, setup, teardown),
        cmocka_unit_test_setup_teardown(too_large_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(outbound_is_atomic, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
