/* map_bench: documents per second through the conversion engine (gateway/convert.h), for
 * bench/run.sh. One thread (so the figure is per core): the same document is converted
 * COUNT times by convert_run, each time the whole path a received payload takes: format
 * detection, EDIFACT reading with directory validation or safe XML parsing, the inbound
 * stylesheet, completion of amounts, canonical schema validation, and for an outbound
 * target the EN 16931 calculation and rules, the outbound stylesheet and the check of the
 * result against the official schema. The first run is not timed (stylesheets and schemas
 * are compiled once per engine, as in the daemon). Prints one JSON line: documents per
 * second of wall time and of this process's CPU time (the fairer figure on a machine that
 * other processes share); peak RSS is measured by the caller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convert.h"
#include "edi_buf.h"

#include <fcntl.h>
#include <unistd.h>

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One conversion; 0 when it produced exactly one document and no error. */
static int convert_once(convert_engine *e, const edi_buf *in, convert_target t, size_t *bytes_out)
{
    convert_options opt = { .control_ref = "1", .datetime = "20261126:1000" };
    convert_results out = { 0 };
    doc_findings f;
    doc_findings_init(&f);
    char why[512] = "";
    convert_status s = convert_run(e, in->p, in->len, t, &opt, &out, &f, why, sizeof why);
    int bad = s != CONVERT_DONE || out.count != 1;
    if (bad) {
        fprintf(stderr, "map_bench: conversion failed: %s\n", why);
        doc_findings_print(&f, stderr, false, NULL);
    } else {
        *bytes_out = out.items[0].len;
    }
    convert_results_free(&out);
    doc_findings_free(&f);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: map_bench TARGET FILE COUNT FORMATS_DIR XSLT_DIR\n");
        return 2;
    }
    convert_target target;
    if (!convert_target_parse(argv[1], &target)) {
        fprintf(stderr, "map_bench: unknown target %s\n", argv[1]);
        return 2;
    }
    long count = strtol(argv[3], NULL, 10);
    int fd = open(argv[2], O_RDONLY);
    edi_buf in = { 0 };
    if (fd < 0 || edi_buf_read_fd(&in, fd, (size_t)64 << 20) != EDI_OK || count < 1) {
        fprintf(stderr, "map_bench: cannot read %s\n", argv[2]);
        return 2;
    }
    close(fd);
    char why[512] = "";
    convert_engine *e = convert_engine_new(argv[4], argv[5], why, sizeof why);
    if (!e) {
        fprintf(stderr, "map_bench: %s\n", why);
        return 2;
    }
    size_t out_bytes = 0;
    int failed = convert_once(e, &in, target, &out_bytes);
    double t0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (long i = 0; i < count && !failed; i++)
        failed = convert_once(e, &in, target, &out_bytes);
    double secs = seconds(CLOCK_MONOTONIC) - t0, cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (!failed)
        printf("{\"target\":\"%s\",\"input_bytes\":%zu,\"output_bytes\":%zu,\"documents\":%ld,"
               "\"seconds\":%.3f,\"docs_per_s\":%.1f,\"cpu_seconds\":%.3f,"
               "\"docs_per_cpu_s\":%.1f}\n",
               argv[1], in.len, out_bytes, count, secs, (double)count / secs, cpu,
               (double)count / cpu);
    convert_engine_free(e);
    edi_buf_free(&in);
    return failed ? 1 : 0;
}
