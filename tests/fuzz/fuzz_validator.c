/* fuzz_validator.c: libFuzzer harness for the whole EDIFACT reader with directory
 * validation, the EDIFACT-XML tree and the serializer (parsers/edi_reader.h, edi_xml.h).
 *
 * The directory (formats/edifact) is opened once in LLVMFuzzerInitialize: from
 * $EDI_FORMATS_DIR/edifact, else from the repository the binary was built in
 * (<dir of the fuzzer>/../../../formats/edifact), else ./formats/edifact; without one the
 * fuzzer refuses to start, because it would not test the validator at all.
 *
 * For every input it
 *   1. runs edi_reader_run_mem with the directory and a handler that checks what the
 *      reader promises (interchange, message and segment callbacks in a sensible order,
 *      segment views inside the input, findings that add up and format safely);
 *   2. builds the EDIFACT-XML tree from the same bytes (edi_xml_read_mem) and requires the
 *      same result and the same number of errors as step 1 (the tree builder only adds
 *      warnings for characters XML cannot carry);
 *   3. when the tree can be serialized (edi_xml_write), does so twice more: from the tree
 *      dumped as XML text and parsed back (edi_xml_parse_mem, the path `edi from-xml`
 *      takes), which must give the same bytes; and from the tree read from our own output,
 *      which must give the same bytes again: what the writer wrote, the reader must read
 *      back to the same values.
 * Reader options (charset override, repertoire as error, per-message finding cap) vary
 * with the input's length so that every input still means one thing. A broken invariant
 * aborts, which libFuzzer reports as a crash; ASan and UBSan catch the rest. Built and run
 * by tests/fuzz/build.sh and tests/fuzz/run.sh (seeds: tests/fuzz/seeds/validator/). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "edi_directory.h"
#include "edi_finding.h"
#include "edi_reader.h"
#include "edi_result.h"
#include "edi_xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static edi_directory *directory;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_validator: %s\n", what);
    abort();
}

/* ---- finding the directory ------------------------------------------------------- */

static int is_formats_dir(const char *dir)
{
    char probe[4096];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/service", dir);
    return stat(probe, &st) == 0 && S_ISDIR(st.st_mode);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[4096];
    const char *env = getenv("EDI_FORMATS_DIR");
    int found = 0;

    if (env && *env) {
        snprintf(dir, sizeof dir, "%s/edifact", env);
        found = is_formats_dir(dir);
    }
    if (!found && argc && *argc > 0 && argv && (*argv)[0]) {
        /* tests/fuzz/build/fuzz_validator -> tests/fuzz/build/../../../formats/edifact */
        const char *self = (*argv)[0];
        const char *slash = strrchr(self, '/');
        int n = slash ? (int)(slash - self) : 1;
        snprintf(dir, sizeof dir, "%.*s/../../../formats/edifact", n, slash ? self : ".");
        found = is_formats_dir(dir);
    }
    if (!found) {
        snprintf(dir, sizeof dir, "formats/edifact");
        found = is_formats_dir(dir);
    }
    if (!found) {
        fprintf(stderr, "fuzz_validator: no EDIFACT directory found: set EDI_FORMATS_DIR to the "
                        "repository's formats/ folder, or run from the repository root\n");
        exit(1);
    }
    directory = edi_directory_open(dir);
    if (!directory)
        fail("edi_directory_open: out of memory");
    /* Refuse to fuzz without message definitions: the validator would never run. */
    const edi_message_def *def = NULL;
    char why[512];
    if (edi_directory_find(directory, "ORDERS", "D", "96A", "UN", "", &def, why, sizeof why) != EDI_OK ||
        !def) {
        fprintf(stderr, "fuzz_validator: %s has no ORDERS D.96A: %s\n", dir, why);
        exit(1);
    }
    xmlInitParser();
    return 0;
}

/* ---- step 1: the reader and its promises ----------------------------------------- */

typedef struct {
    const char *input;
    size_t size;
    unsigned interchanges_open, interchanges;
    int in_message;
    unsigned messages;
    unsigned segments;
    uint64_t last_offset;
} watch;

static int on_interchange_begin(void *ctx, const edi_interchange_info *ic)
{
    watch *w = ctx;
    if (w->interchanges_open)
        fail("interchange_begin while another interchange is open");
    if (w->in_message)
        fail("interchange_begin inside a message");
    w->interchanges_open = 1;
    w->interchanges++;
    if (ic->index != w->interchanges)
        fail("interchange index does not count from 1");
    if (ic->syntax_version < 0 || ic->syntax_version > 9)
        fail("syntax version out of range");
    if (memchr(ic->control_ref, '\0', sizeof ic->control_ref) == NULL ||
        memchr(ic->sender, '\0', sizeof ic->sender) == NULL ||
        memchr(ic->recipient, '\0', sizeof ic->recipient) == NULL ||
        memchr(ic->syntax_id, '\0', sizeof ic->syntax_id) == NULL ||
        memchr(ic->date, '\0', sizeof ic->date) == NULL || memchr(ic->time, '\0', sizeof ic->time) == NULL ||
        memchr(ic->sender_raw, '\0', sizeof ic->sender_raw) == NULL ||
        memchr(ic->recipient_raw, '\0', sizeof ic->recipient_raw) == NULL)
        fail("an interchange_info string is not NUL-terminated");
    return 0;
}

static int on_message_begin(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    watch *w = ctx;
    (void)ic;
    if (w->in_message)
        fail("message_begin inside a message");
    w->in_message = 1;
    w->messages++;
    if (memchr(m->ref, '\0', sizeof m->ref) == NULL || memchr(m->type, '\0', sizeof m->type) == NULL ||
        memchr(m->version, '\0', sizeof m->version) == NULL ||
        memchr(m->release, '\0', sizeof m->release) == NULL ||
        memchr(m->association, '\0', sizeof m->association) == NULL)
        fail("a message_info string is not NUL-terminated");
    return 0;
}

static int on_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                      const edi_position *at, const edi_placement *pl)
{
    watch *w = ctx;
    (void)ic;
    (void)pl;
    w->segments++;
    if (seg->offset > w->size || seg->raw_len > w->size)
        fail("segment offset or length beyond the input");
    if (seg->offset < w->last_offset)
        fail("segments not in input order");
    w->last_offset = seg->offset;
    if (seg->raw && (seg->raw < w->input || seg->raw + seg->raw_len > w->input + w->size))
        fail("segment bytes outside the input buffer");
    if (strlen(seg->tag) != 0 && strlen(seg->tag) != 3)
        fail("tag neither empty nor three characters");
    if (memchr(at->tag, '\0', sizeof at->tag) == NULL)
        fail("position tag not NUL-terminated");
    for (uint32_t i = 0; i < seg->n_elements; i++) {
        const edi_element *e = &seg->elements[i];
        if (e->count == 0 || e->first > seg->n_components || e->count > seg->n_components - e->first)
            fail("element points outside the component array");
    }
    return 0;
}

static int on_message_end(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    watch *w = ctx;
    (void)ic;
    (void)m;
    if (!w->in_message)
        fail("message_end without message_begin");
    w->in_message = 0;
    return 0;
}

static int on_interchange_end(void *ctx, const edi_interchange_info *ic)
{
    watch *w = ctx;
    if (!w->interchanges_open)
        fail("interchange_end without interchange_begin");
    if (w->in_message)
        fail("interchange_end while a message is open");
    if (ic->index != w->interchanges)
        fail("interchange_end for another interchange");
    w->interchanges_open = 0;
    return 0;
}

static void check_findings(const edi_findings *f)
{
    if (f->errors + f->warnings != f->count + f->dropped)
        fail("errors + warnings != findings kept + dropped");
    if (f->count > f->cap)
        fail("more findings than capacity");
    for (size_t i = 0; i < f->count; i++) {
        const edi_finding *fd = &f->items[i];
        if (fd->severity != EDI_SEV_ERROR && fd->severity != EDI_SEV_WARNING)
            fail("finding severity out of range");
        if (fd->level > EDI_LEVEL_ELEMENT)
            fail("finding level out of range");
        if (fd->code < 1 || fd->code > 99)
            fail("finding code is not a 0085 code");
        if (memchr(fd->text, '\0', sizeof fd->text) == NULL || fd->text[0] == '\0')
            fail("finding text empty or not NUL-terminated");
        if (fd->at.offset > (uint64_t)1 << 40)
            fail("finding offset absurd");
        char small[24], big[1024];
        int need = edi_finding_format(fd, small, sizeof small);
        if (need < 0 || strlen(small) >= sizeof small)
            fail("edi_finding_format overflowed a small buffer");
        int got = edi_finding_format(fd, big, sizeof big);
        if (got != need)
            fail("edi_finding_format needs a different length for the same finding");
        if ((size_t)got < sizeof big && strlen(big) != (size_t)got)
            fail("edi_finding_format length differs from what it wrote");
    }
}

/* ---- step 3 helpers --------------------------------------------------------------- */

/* Serialize `doc` directly; EDI_OK with bytes in *out or another result. */
static edi_result write_tree(xmlDocPtr doc, edi_xml_output *out)
{
    char why[512];
    why[0] = '\0';
    edi_result r = edi_xml_write(doc, NULL, NULL, out, why, sizeof why);
    if (r != EDI_OK && why[0] == '\0')
        fail("edi_xml_write failed without saying why");
    if (r == EDI_OK && out->len > 0 && !out->data)
        fail("edi_xml_write returned a length without data");
    return r;
}

static int same_bytes(const edi_xml_output *a, const edi_xml_output *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Where two outputs first differ, with some context from each. */
static void dump_pair(const char *what, const edi_xml_output *a, const edi_xml_output *b)
{
    size_t i = 0, n = a->len < b->len ? a->len : b->len;
    while (i < n && a->data[i] == b->data[i])
        i++;
    size_t from = i > 120 ? i - 120 : 0;
    size_t a_to = a->len < i + 120 ? a->len : i + 120, b_to = b->len < i + 120 ? b->len : i + 120;
    fprintf(stderr,
            "fuzz_validator: %s\nfirst difference at byte %zu (lengths %zu and %zu)\n"
            "--- first, bytes %zu..%zu:\n%.*s\n--- second, bytes %zu..%zu:\n%.*s\n--- end\n",
            what, i, a->len, b->len, from, a_to, (int)(a_to - from), a->data ? a->data + from : "",
            from, b_to, (int)(b_to - from), b->data ? b->data + from : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    static const char *const overrides[] = { NULL, NULL, "UTF-8", "WINDOWS-1252" };

    edi_reader_options opt;
    memset(&opt, 0, sizeof opt);
    opt.directory = directory;
    opt.charset_override = overrides[size % 4];
    opt.repertoire_is_error = (size / 4) % 2 == 1;
    opt.max_findings_per_message = (size / 8) % 2 ? 0 : 20;

    /* 1. The reader with validation. */
    watch w;
    memset(&w, 0, sizeof w);
    w.input = buf;
    w.size = size;
    edi_reader_handler h = {
        .ctx = &w,
        .interchange_begin = on_interchange_begin,
        .message_begin = on_message_begin,
        .segment = on_segment,
        .message_end = on_message_end,
        .interchange_end = on_interchange_end,
    };
    edi_findings f1;
    edi_findings_init(&f1, opt.max_findings_per_message);
    edi_result r1 = edi_reader_run_mem(buf, size, &opt, &h, &f1);
    if (r1 == EDI_E_NOMEM) {
        edi_findings_free(&f1);
        return 0;
    }
    if (r1 >= EDI_RESULT_COUNT || r1 == EDI_END)
        fail("edi_reader_run_mem returned an impossible result");
    if (w.interchanges_open || w.in_message)
        fail("the reader finished with an interchange or message still open");
    check_findings(&f1);
    if ((r1 == EDI_E_TRUNCATED || r1 == EDI_E_SYNTAX || r1 == EDI_E_LIMIT) && f1.errors == 0)
        fail("the reader stopped with an error but reported no error finding");

    /* 2. The same bytes into an EDIFACT-XML tree. */
    edi_findings f2;
    edi_findings_init(&f2, opt.max_findings_per_message);
    xmlDocPtr doc = NULL;
    edi_result r2 = edi_xml_read_mem(buf, size, &opt, &doc, &f2);
    if (r2 == EDI_E_NOMEM) {
        edi_findings_free(&f1);
        edi_findings_free(&f2);
        return 0;
    }
    check_findings(&f2);
    if (!doc)
        fail("edi_xml_read_mem returned no tree");
    if (r2 != r1)
        fail("edi_xml_read_mem ended with another result than edi_reader_run_mem");
    if (f2.errors != f1.errors)
        fail("edi_xml_read_mem counted another number of errors than edi_reader_run_mem");
    if (f2.warnings < f1.warnings)
        fail("edi_xml_read_mem counted fewer warnings than edi_reader_run_mem");
    edi_findings_free(&f1);
    edi_findings_free(&f2);

    /* 3. Serialize, and serialize again by the other paths. */
    edi_xml_output out1, out2, out3;
    memset(&out1, 0, sizeof out1);
    memset(&out2, 0, sizeof out2);
    memset(&out3, 0, sizeof out3);
    if (write_tree(doc, &out1) == EDI_OK) {
        /* (a) the tree as XML text and parsed back, as `edi from-xml` reads it */
        xmlChar *text = NULL;
        int text_len = 0;
        xmlDocDumpMemory(doc, &text, &text_len);
        if (text) {
            xmlDocPtr parsed = NULL;
            char why[512];
            edi_result rp = edi_xml_parse_mem((const char *)text, (size_t)text_len, &parsed, why, sizeof why);
            if (rp == EDI_OK) {
                if (write_tree(parsed, &out2) != EDI_OK)
                    fail("a tree we wrote as XML text cannot be serialized after parsing it back");
                if (!same_bytes(&out1, &out2)) {
                    dump_pair("the tree and its XML text serialize differently", &out1, &out2);
                    abort();
                }
                xmlFreeDoc(parsed);
            } else if (rp != EDI_E_NOMEM && rp != EDI_E_LIMIT) {
                fprintf(stderr, "fuzz_validator: %s\n", why);
                fail("edi_xml_parse_mem refused XML text that libxml2 wrote for our own tree");
            }
            xmlFree(text);
        }

        /* (b) our own output read back and written again (a tree without interchanges
         * writes nothing, and nothing is not an interchange) */
        edi_reader_options opt2;
        memset(&opt2, 0, sizeof opt2);
        opt2.directory = directory;
        edi_findings f3;
        edi_findings_init(&f3, 20);
        xmlDocPtr doc2 = NULL;
        edi_result r3 = out1.len ? edi_xml_read_mem(out1.data, out1.len, &opt2, &doc2, &f3) : EDI_E_NOMEM;
        check_findings(&f3);
        edi_findings_free(&f3);
        if (r3 != EDI_E_NOMEM) {
            if (!doc2)
                fail("reading our own output gave no tree");
            if (r3 == EDI_E_TRUNCATED || r3 == EDI_E_SYNTAX)
                fail("our own output is truncated or not EDIFACT to the reader");
            if (write_tree(doc2, &out3) != EDI_OK)
                fail("the tree of our own output cannot be serialized");
            if (!same_bytes(&out1, &out3)) {
                dump_pair("our output read back and written again differs", &out1, &out3);
                abort();
            }
        }
        xmlFreeDoc(doc2);
    }
    edi_xml_output_free(&out1);
    edi_xml_output_free(&out2);
    edi_xml_output_free(&out3);
    xmlFreeDoc(doc);
    return 0;
}
