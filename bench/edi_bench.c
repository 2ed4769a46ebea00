/* edi_bench: throughput of the EDIFACT engine on one file, for bench/run.sh.
 * Modes: tokenize (segments only), envelope (reader without directory), full (reader with
 * directory validation). Prints one JSON line; peak RSS is measured by the caller. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "edi_reader.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_message(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    (void)ic;
    (void)m;
    (*(unsigned long *)ctx)++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: edi_bench tokenize|envelope|full FILE FORMATS_DIR\n");
        return 2;
    }
    const char *mode = argv[1];
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) {
        perror(argv[2]);
        return 2;
    }
    unsigned long messages = 0, segments = 0;
    size_t errors = 0;
    double t0 = now();
    off_t bytes;
    if (!strcmp(mode, "tokenize")) {
        edi_tokenizer *t = edi_tokenizer_new_fd(fd, NULL);
        edi_segment seg;
        while (edi_tokenizer_next(t, &seg, NULL, NULL) == EDI_OK) {
            segments++;
            if (seg.tag[0] == 'U' && !strcmp(seg.tag, "UNH"))
                messages++;
        }
        edi_tokenizer_free(t);
    } else {
        edi_directory *dir = !strcmp(mode, "full") ? edi_directory_open(argv[3]) : NULL;
        edi_reader_options opt = { .directory = dir, .max_findings_per_message = 100 };
        edi_reader_handler h = { .ctx = &messages, .message_end = count_message };
        edi_findings f;
        edi_findings_init(&f, 100);
        edi_result r = edi_reader_run_fd(fd, &opt, &h, &f);
        if (r != EDI_OK)
            fprintf(stderr, "edi_bench: %s\n", edi_result_str(r));
        errors = f.errors;
        edi_findings_free(&f);
        edi_directory_free(dir);
    }
    double dt = now() - t0;
    bytes = lseek(fd, 0, SEEK_END);
    close(fd);
    printf("{\"mode\":\"%s\",\"bytes\":%lld,\"seconds\":%.4f,\"mb_per_s\":%.1f,"
           "\"messages\":%lu,\"messages_per_s\":%.0f,\"errors\":%zu}\n",
           mode, (long long)bytes, dt, (double)bytes / dt / 1e6, messages, (double)messages / dt, errors);
    return errors ? 1 : 0;
}
