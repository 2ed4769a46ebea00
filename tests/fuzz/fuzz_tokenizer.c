/* fuzz_tokenizer.c: libFuzzer harness for the EDIFACT tokenizer (parsers/edi_tokenizer.h).
 *
 * For every input it
 *   1. tokenizes the bytes from memory, copies every component with edi_component_copy and
 *      checks the invariants the header promises (elements index valid components, a copy
 *      is never longer than its raw component, offsets grow and stay inside the input);
 *   2. tokenizes the same bytes again from a file descriptor with a tiny read size, so
 *      that segments cross buffer refills at every possible place, and requires exactly
 *      the same segments, values and result: the refill path is where a streaming
 *      tokenizer goes wrong, and memory mode is the reference for it.
 * A broken invariant or a difference aborts, which libFuzzer reports as a crash; ASan and
 * UBSan catch the rest. Built and run by tests/fuzz/build.sh and tests/fuzz/run.sh. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edi_finding.h"
#include "edi_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEGMENTS 100000 /* inputs are a few KB; more would be a loop that never ends */

static void fail(const char *what, size_t segment)
{
    fprintf(stderr, "fuzz_tokenizer: %s (segment %zu)\n", what, segment);
    abort();
}

/* What one run saw of a segment, in a form two runs can compare. */
typedef struct {
    char *text;     /* tag, then every element as position.repeat=comp|comp..., NUL-separated */
    size_t len;
    uint64_t offset;
    unsigned line;
    int flags;
} seg_record;

typedef struct {
    seg_record *segs;
    size_t n, cap;
    edi_result end;        /* what the last edi_tokenizer_next returned */
    size_t findings;       /* errors + warnings */
} run_record;

static void append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *b = realloc(*buf, ncap);
        if (!b)
            abort();
        *buf = b;
        *cap = ncap;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Check one segment against the header's promises and record it. */
static void check_segment(const edi_segment *seg, size_t input_size, size_t k, uint64_t min_offset,
                          run_record *rec)
{
    if (seg->offset < min_offset || seg->offset > input_size)
        fail("segment offset out of order or beyond the input", k);
    if (seg->raw_len > input_size)
        fail("raw_len larger than the input", k);
    if (seg->sc == NULL)
        fail("no service characters", k);
    if (seg->n_components == 0 && seg->n_elements > 0)
        fail("elements without components", k);
    if (strlen(seg->tag) != 0 && strlen(seg->tag) != 3)
        fail("tag neither empty nor three characters", k);

    char *text = NULL;
    size_t len = 0, cap = 0;
    append(&text, &len, &cap, seg->tag, strlen(seg->tag) + 1);

    uint32_t last_position = 0;
    for (uint32_t i = 0; i < seg->n_elements; i++) {
        const edi_element *e = &seg->elements[i];
        if (e->count == 0)
            fail("element with no components", k);
        if (e->first > seg->n_components || e->count > seg->n_components - e->first)
            fail("element points outside the component array", k);
        if (e->position < last_position || e->position > seg->max_position)
            fail("element positions not ascending or above max_position", k);
        last_position = e->position;

        char head[32];
        int hn = snprintf(head, sizeof head, "%u.%u=", e->position, e->repeat);
        append(&text, &len, &cap, head, (size_t)hn);
        for (uint32_t j = 0; j < e->count; j++) {
            const edi_component *c = &seg->components[e->first + j];
            char *out = malloc((size_t)c->len + 1);
            if (!out)
                abort();
            size_t n = edi_component_copy(seg, c, out);
            if (n > c->len || out[n] != '\0')
                fail("edi_component_copy longer than the component or not terminated", k);
            if (!c->escaped && (n != c->len || memcmp(out, c->p, n) != 0))
                fail("unescaped component copied differently", k);
            append(&text, &len, &cap, out, n);
            append(&text, &len, &cap, "|", 1);
            free(out);
        }
        append(&text, &len, &cap, "", 1);
    }

    /* The convenience look-ups must agree with the arrays, including out-of-range asks. */
    for (uint32_t pos = 0; pos <= seg->max_position + 1; pos++) {
        const edi_element *e = edi_segment_element(seg, pos);
        if (e && e->position != pos)
            fail("edi_segment_element returned another position", k);
        for (uint32_t comp = 0; comp <= (e ? e->count + 1 : 1); comp++) {
            char small[4];
            const edi_component *c = edi_segment_component(seg, pos, comp);
            size_t n = edi_segment_value(seg, pos, comp, small, sizeof small);
            if (strlen(small) >= sizeof small)
                fail("edi_segment_value overflowed its buffer", k);
            if (!c && n != 0)
                fail("edi_segment_value found a value edi_segment_component did not", k);
            if (c && n > c->len)
                fail("edi_segment_value longer than the component", k);
        }
    }

    if (rec->n == rec->cap) {
        rec->cap = rec->cap ? rec->cap * 2 : 64;
        rec->segs = realloc(rec->segs, rec->cap * sizeof *rec->segs);
        if (!rec->segs)
            abort();
    }
    rec->segs[rec->n++] = (seg_record){
        .text = text, .len = len, .offset = seg->offset, .line = seg->line,
        .flags = (seg->had_line_breaks ? 1 : 0) | (seg->had_stray_release ? 2 : 0),
    };
}

static void tokenize(edi_tokenizer *t, size_t input_size, run_record *rec)
{
    edi_findings f;
    edi_findings_init(&f, 50);
    edi_position at;
    memset(&at, 0, sizeof at);
    edi_segment seg;
    edi_result r;
    uint64_t last_offset = 0;
    size_t k = 0;
    while ((r = edi_tokenizer_next(t, &seg, &f, &at)) == EDI_OK) {
        check_segment(&seg, input_size, ++k, last_offset, rec);
        last_offset = seg.offset;
        if (k > MAX_SEGMENTS)
            fail("more segments than bytes could make", k);
    }
    if (edi_tokenizer_next(t, &seg, &f, &at) != EDI_END)
        fail("a finished tokenizer did not keep returning EDI_END", k);
    if (edi_tokenizer_offset(t) > input_size)
        fail("offset beyond the input", k);
    rec->end = r;
    rec->findings = f.errors + f.warnings;
    edi_findings_free(&f);
}

static void free_record(run_record *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        free(rec->segs[i].text);
    free(rec->segs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_record mem = { 0 }, fd = { 0 };

    edi_tokenizer *t = edi_tokenizer_new_mem((const char *)data, size, NULL);
    if (!t)
        return 0; /* out of memory is not a finding */
    tokenize(t, size, &mem);
    edi_tokenizer_free(t);

    /* Same bytes through read(2) in chunks of 1 to 16 bytes. */
    int mfd = memfd_create("fuzz_tokenizer", 0);
    if (mfd < 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(mfd, data + done, size - done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    if (lseek(mfd, 0, SEEK_SET) != 0)
        abort();
    edi_tokenizer_options opt;
    memset(&opt, 0, sizeof opt);
    opt.chunk_size = 1 + size % 16;
    t = edi_tokenizer_new_fd(mfd, &opt);
    if (t) {
        tokenize(t, size, &fd);
        edi_tokenizer_free(t);

        if (fd.end != mem.end)
            fail("fd mode ended with another result than memory mode", fd.n);
        if (fd.n != mem.n)
            fail("fd mode returned another number of segments than memory mode", fd.n);
        for (size_t i = 0; i < mem.n; i++) {
            const seg_record *a = &mem.segs[i], *b = &fd.segs[i];
            if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0)
                fail("fd mode tokenized a segment differently from memory mode", i + 1);
            if (a->offset != b->offset || a->line != b->line || a->flags != b->flags)
                fail("fd mode gave a segment another offset, line or flags", i + 1);
        }
        if (fd.findings != mem.findings)
            fail("fd mode reported another number of findings than memory mode", fd.n);
    }
    close(mfd);
    free_record(&mem);
    free_record(&fd);
    return 0;
}
