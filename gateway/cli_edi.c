/* The `edi` commands read files with the engine and print for people (one finding per
 * line) or for machines (--json). Exit status: 0 valid, 1 findings, 2 unreadable/usage. */
#include "cli_edi.h"
#include "cli_common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edi_contrl.h"
#include "edi_reader.h"
#include "edi_xml.h"


enum { EXIT_VALID = 0, EXIT_FINDINGS = 1, EXIT_UNREADABLE = 2 };

/* Options shared by the commands that read EDIFACT. */
typedef struct {
    const char *formats;         /* --formats DIR, else $EDI_FORMATS_DIR, else built-in */
    const char *charset;         /* --charset-override CS */
    size_t max_findings;         /* --max-findings N (per message) */
    bool no_directory;           /* --envelope-only */
    bool strict_charset;         /* --strict-charset: repertoire findings are errors */
} read_opts;

static int open_input(const char *path)
{
    if (!strcmp(path, "-"))
        return STDIN_FILENO;
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* --- edi check ------------------------------------------------------------------ */

typedef struct {
    json_t *interchanges; /* array, only with --json */
    json_t *current;
} check_ctx;

static int check_interchange_end(void *ctx, const edi_interchange_info *ic)
{
    check_ctx *c = ctx;
    if (!c->interchanges)
        return 0;
    json_t *o = json_pack("{s:i, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:i, s:i, s:b}",
                          "index", (int)ic->index, "syntax", ic->syntax_id,
                          "version", ic->syntax_version, "control_ref", ic->control_ref,
                          "sender", ic->sender, "recipient", ic->recipient,
                          "date", ic->date, "time", ic->time,
                          "test", ic->test, "ack_requested", ic->ack_requested,
                          "messages", (int)ic->messages, "groups", (int)ic->groups,
                          "has_unz", ic->has_unz);
    if (o)
        json_array_append_new(c->interchanges, o);
    return 0;
}

static const char *level_name(edi_level l)
{
    static const char *const n[] = { "interchange", "group", "message", "segment", "element" };
    return (unsigned)l < 5 ? n[l] : "?";
}

static json_t *finding_json(const edi_finding *fd)
{
    char line[512];
    edi_finding_format(fd, line, sizeof line);
    return json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:s, s:i, s:s, s:i, s:i, s:I, s:i, s:s, s:s}",
                     "severity", fd->severity == EDI_SEV_ERROR ? "error" : "warning",
                     "level", level_name(fd->level), "code", fd->code,
                     "interchange", (int)fd->at.interchange, "interchange_ref", fd->at.interchange_ref,
                     "message", (int)fd->at.message, "message_ref", fd->at.message_ref,
                     "segment", (int)fd->at.segment, "tag", fd->at.tag,
                     "element", (int)fd->element, "component", (int)fd->component,
                     "offset", (json_int_t)fd->at.offset, "line", (int)fd->at.line,
                     "text", fd->text, "message_text", line);
}

static edi_result read_file(const char *path, const read_opts *ro, edi_directory *dir,
                            const edi_reader_handler *h, edi_findings *f, int *err)
{
    edi_reader_options opt = {
        .directory = ro->no_directory ? NULL : dir,
        .charset_override = ro->charset,
        .max_findings_per_message = ro->max_findings,
        .repertoire_is_error = ro->strict_charset,
    };
    int fd = open_input(path);
    if (fd < 0) {
        *err = errno;
        return EDI_E_IO;
    }
    edi_result r = edi_reader_run_fd(fd, &opt, h, f);
    *err = r == EDI_E_IO ? errno : 0;
    if (fd != STDIN_FILENO)
        close(fd);
    return r;
}

static edi_directory *open_directory(const read_opts *ro, const char *cmd)
{
    if (ro->no_directory)
        return NULL;
    return cli_open_directory(cmd, ro->formats, ", or use --envelope-only");
}

static void check_usage(FILE *out)
{
    fputs("usage: gateway edi check [OPTIONS] FILE...\n"
          "\n"
          "Check EDIFACT interchanges: service characters, envelope (UNB/UNG/UNH/UNT/UNE/UNZ\n"
          "references and counts, dates, syntax version), character repertoire, and each\n"
          "message against its directory (D96A, D01B, EANCOM 97/2002 subsets; CONTRL).\n"
          "Findings go to stdout, one per line: where (message, segment, element, component)\n"
          "and what is wrong. `-` reads standard input.\n"
          "\n"
          "options:\n"
          "  --json                   print one JSON document instead of lines\n"
          "  --max-findings N         at most N findings per message (default 100; 0 = all)\n"
          "  --charset-override CS    decode as CS whatever UNB declares (UTF-8, WINDOWS-1252, UNOC, ...)\n"
          "  --strict-charset         characters outside the declared repertoire are errors\n"
          "  --envelope-only          do not validate messages against the directory\n"
          "  --formats DIR            the formats folder with edifact/ (default: $EDI_FORMATS_DIR or the built-in path)\n"
          "\n"
          "exit status: 0 valid (warnings may be printed), 1 errors found, 2 a file could not be read\n",
          out);
}

enum { OPT_JSON = 256, OPT_MAX, OPT_CHARSET, OPT_STRICT, OPT_ENVELOPE, OPT_FORMATS, OPT_HELP,
       OPT_UNA, OPT_SYNTAX, OPT_OUT_CHARSET, OPT_CRLF, OPT_LF, OPT_REF, OPT_DATE, OPT_ALL,
       OPT_READ, OPT_RECEIPT };

static const struct option read_options[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "max-findings", required_argument, NULL, OPT_MAX },
    { "charset-override", required_argument, NULL, OPT_CHARSET },
    { "strict-charset", no_argument, NULL, OPT_STRICT },
    { "envelope-only", no_argument, NULL, OPT_ENVELOPE },
    { "formats", required_argument, NULL, OPT_FORMATS },
    { "help", no_argument, NULL, OPT_HELP },
    { "una", required_argument, NULL, OPT_UNA },
    { "syntax", required_argument, NULL, OPT_SYNTAX },
    { "charset", required_argument, NULL, OPT_OUT_CHARSET },
    { "crlf", no_argument, NULL, OPT_CRLF },
    { "lf", no_argument, NULL, OPT_LF },
    { "control-ref", required_argument, NULL, OPT_REF },
    { "date", required_argument, NULL, OPT_DATE },
    { "report-accepted", no_argument, NULL, OPT_ALL },
    { "read", no_argument, NULL, OPT_READ },
    { "receipt-only", no_argument, NULL, OPT_RECEIPT },
    { NULL, 0, NULL, 0 },
};

/* Parsed command line of any edi command; each command uses what applies to it. */
typedef struct {
    read_opts ro;
    bool json, help, crlf, lf, report_accepted, read, receipt_only;
    const char *una, *out_charset, *control_ref, *date;
    int syntax;
    int bad;
} cmdline;

static int parse_cmdline(int argc, char **argv, cmdline *c, const char *allowed)
{
    memset(c, 0, sizeof *c);
    c->ro.max_findings = 100;
    optind = 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, "h", read_options, NULL)) != -1) {
        const char *name = NULL;
        for (const struct option *p = read_options; p->name; p++)
            if (p->val == o)
                name = p->name;
        if (o == 'h')
            o = OPT_HELP, name = "help";
        if (o == '?' || !name || (o != OPT_HELP && !strstr(allowed, name))) {
            fprintf(stderr, "gateway edi %s: unknown option \"%s\"; see --help\n", argv[0], argv[optind - 1]);
            return -1;
        }
        switch (o) {
        case OPT_JSON: c->json = true; break;
        case OPT_MAX: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || optarg[0] == '-') {
                fprintf(stderr, "gateway edi %s: --max-findings needs a number, not \"%s\"\n", argv[0], optarg);
                return -1;
            }
            c->ro.max_findings = v;
            break;
        }
        case OPT_CHARSET: {
            char why[256];
            edi_charset *cs = NULL;
            if (edi_charset_open("UNOC", optarg, &cs, why, sizeof why) != EDI_OK) {
                fprintf(stderr, "gateway edi %s: --charset-override: %s\n", argv[0], why);
                return -1;
            }
            edi_charset_free(cs);
            c->ro.charset = optarg;
            break;
        }
        case OPT_STRICT: c->ro.strict_charset = true; break;
        case OPT_ENVELOPE: c->ro.no_directory = true; break;
        case OPT_FORMATS: c->ro.formats = optarg; break;
        case OPT_HELP: c->help = true; break;
        case OPT_UNA: c->una = optarg; break;
        case OPT_SYNTAX:
            if (strcmp(optarg, "3") && strcmp(optarg, "4")) {
                fprintf(stderr, "gateway edi %s: --syntax is 3 or 4, not \"%s\"\n", argv[0], optarg);
                return -1;
            }
            c->syntax = optarg[0] - '0';
            break;
        case OPT_OUT_CHARSET: c->out_charset = optarg; break;
        case OPT_CRLF: c->crlf = true; break;
        case OPT_LF: c->lf = true; break;
        case OPT_REF: c->control_ref = optarg; break;
        case OPT_DATE: c->date = optarg; break;
        case OPT_ALL: c->report_accepted = true; break;
        case OPT_READ: c->read = true; break;
        case OPT_RECEIPT: c->receipt_only = true; break;
        }
    }
    return optind;
}

static int cmd_check(int argc, char **argv)
{
    cmdline c;
    int first = parse_cmdline(argc, argv, &c,
                              "json max-findings charset-override strict-charset envelope-only formats");
    if (first < 0)
        return EXIT_UNREADABLE;
    if (c.help) {
        check_usage(stdout);
        return 0;
    }
    if (first >= argc) {
        check_usage(stderr);
        return EXIT_UNREADABLE;
    }
    edi_directory *dir = open_directory(&c.ro, "edi check");
    if (!c.ro.no_directory && !dir)
        return EXIT_UNREADABLE;

    int status = EXIT_VALID;
    bool many = argc - first > 1;
    json_t *files = c.json ? json_array() : NULL;
    for (int i = first; i < argc; i++) {
        const char *path = argv[i];
        edi_findings f;
        edi_findings_init(&f, c.ro.max_findings);
        check_ctx cc = { .interchanges = c.json ? json_array() : NULL };
        edi_reader_handler h = { .ctx = &cc, .interchange_end = check_interchange_end };
        int err = 0;
        edi_result r = read_file(path, &c.ro, dir, &h, &f, &err);
        bool unreadable = r == EDI_E_IO || r == EDI_E_NOMEM;
        if (unreadable) {
            fprintf(stderr, "gateway edi check: %s: %s%s%s\n", path, edi_result_str(r),
                    err ? ": " : "", err ? strerror(err) : "");
            status = EXIT_UNREADABLE;
        } else if (f.errors && status == EXIT_VALID) {
            status = EXIT_FINDINGS;
        }
        if (c.json) {
            json_t *list = json_array();
            for (size_t k = 0; k < f.count; k++)
                json_array_append_new(list, finding_json(&f.items[k]));
            json_t *o = json_pack("{s:s, s:b, s:b, s:I, s:I, s:I, s:o, s:o}",
                                  "file", path, "readable", !unreadable,
                                  "valid", !unreadable && f.errors == 0,
                                  "errors", (json_int_t)f.errors, "warnings", (json_int_t)f.warnings,
                                  "not_shown", (json_int_t)f.dropped,
                                  "interchanges", cc.interchanges, "findings", list);
            json_array_append_new(files, o);
        } else {
            char line[512];
            for (size_t k = 0; k < f.count; k++) {
                edi_finding_format(&f.items[k], line, sizeof line);
                if (many)
                    printf("%s: %s\n", path, line);
                else
                    printf("%s\n", line);
            }
            if (f.dropped)
                printf("%s%s%zu more findings not shown (--max-findings)\n",
                       many ? path : "", many ? ": " : "", f.dropped);
            if (!unreadable)
                fprintf(stderr, "%s: %s (%zu errors, %zu warnings)\n", path,
                        f.errors ? "invalid" : "valid", f.errors, f.warnings);
        }
        edi_findings_free(&f);
    }
    if (c.json) {
        json_dumpf(files, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(files);
    }
    edi_directory_free(dir);
    return status;
}

/* --- edi to-xml ----------------------------------------------------------------- */

static int cmd_to_xml(int argc, char **argv)
{
    cmdline c;
    int first = parse_cmdline(argc, argv, &c,
                              "max-findings charset-override strict-charset envelope-only formats");
    if (first < 0)
        return EXIT_UNREADABLE;
    if (c.help || first != argc - 1) {
        fputs("usage: gateway edi to-xml [OPTIONS] FILE\n"
              "\n"
              "Print the interchange as EDIFACT-XML (docs/edifact-xml.md): segments grouped by the\n"
              "directory's segment groups, each with its segment number, byte offset and line.\n"
              "Findings go to stderr. Options as for `edi check` (--charset-override, --formats, ...).\n"
              "exit status: 0 valid, 1 the tree was written but there were errors, 2 unreadable\n",
              c.help ? stdout : stderr);
        return c.help ? 0 : EXIT_UNREADABLE;
    }
    edi_directory *dir = open_directory(&c.ro, "edi to-xml");
    if (!c.ro.no_directory && !dir)
        return EXIT_UNREADABLE;
    edi_reader_options opt = {
        .directory = dir,
        .charset_override = c.ro.charset,
        .max_findings_per_message = c.ro.max_findings,
        .repertoire_is_error = c.ro.strict_charset,
    };
    int fd = open_input(argv[first]);
    if (fd < 0) {
        fprintf(stderr, "gateway edi to-xml: %s: %s\n", argv[first], strerror(errno));
        edi_directory_free(dir);
        return EXIT_UNREADABLE;
    }
    edi_findings f;
    edi_findings_init(&f, c.ro.max_findings);
    /* Streamed: memory follows the largest message, not the file. */
    edi_result r = edi_xml_stream_fd(fd, &opt, stdout, &f);
    if (fd != STDIN_FILENO)
        close(fd);
    char line[512];
    for (size_t k = 0; k < f.count; k++) {
        edi_finding_format(&f.items[k], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    int status = f.errors ? EXIT_FINDINGS : EXIT_VALID;
    if (ferror(stdout)) {
        fprintf(stderr, "gateway edi to-xml: %s: cannot write the XML to standard output\n",
                argv[first]);
        status = EXIT_UNREADABLE;
    } else if (r == EDI_E_NOMEM || r == EDI_E_ARG) {
        fprintf(stderr, "gateway edi to-xml: %s: %s; the XML written is incomplete\n", argv[first],
                edi_result_str(r));
        status = EXIT_UNREADABLE;
    }
    edi_findings_free(&f);
    edi_directory_free(dir);
    return status;
}

/* --- edi from-xml --------------------------------------------------------------- */

static bool have_writer_options(const cmdline *c)
{
    return c->syntax || c->out_charset || c->crlf || c->lf || c->una;
}

/* Options the user gave; fields left zero take the tree's own values (edi_xml_write). */
static int writer_options(const cmdline *c, edi_writer_options *wo, const char *cmd)
{
    memset(wo, 0, sizeof *wo);
    wo->syntax_version = c->syntax;
    wo->charset = c->out_charset;
    wo->line_break = c->crlf ? "\r\n" : c->lf ? "\n" : NULL;
    if (c->una) {
        if (strlen(c->una) != 6) {
            fprintf(stderr, "gateway %s: --una takes the six service characters, e.g. --una \":+.? '\"\n", cmd);
            return -1;
        }
        wo->sc.component = c->una[0];
        wo->sc.element = c->una[1];
        wo->sc.decimal = c->una[2];
        wo->sc.release = c->una[3] == ' ' ? '\0' : c->una[3];
        wo->sc.repetition = c->una[4] == ' ' ? '*' : c->una[4];
        wo->sc.terminator = c->una[5];
        wo->sc.una = true;
        wo->force_una = true;
    }
    return 0;
}

static int cmd_from_xml(int argc, char **argv)
{
    cmdline c;
    int first = parse_cmdline(argc, argv, &c, "una syntax charset crlf lf formats");
    if (first < 0)
        return EXIT_UNREADABLE;
    if (c.help || first != argc - 1) {
        fputs("usage: gateway edi from-xml [OPTIONS] FILE\n"
              "\n"
              "Write EDIFACT from EDIFACT-XML (docs/edifact-xml.md) to stdout. Segment counts in\n"
              "UNT, UNE and UNZ are computed; trailing empty elements are dropped; values are\n"
              "escaped with the release character and encoded in the chosen character set.\n"
              "\n"
              "options:\n"
              "  --una CHARS      the six service characters, e.g. \":+.? '\" (UNA is then written)\n"
              "  --syntax 3|4     syntax version (default 3; 4 enables the repetition separator)\n"
              "  --charset ID     syntax identifier, e.g. UNOA, UNOC (default), UNOW, UNOY\n"
              "  --crlf | --lf    a line break after each segment (default: none)\n"
              "  --formats DIR    the formats folder with edifact/: numbers in numeric elements are\n"
              "                   written with the decimal mark of the UNA (default: the built-in path)\n",
              c.help ? stdout : stderr);
        return c.help ? 0 : EXIT_UNREADABLE;
    }
    edi_writer_options wo;
    if (writer_options(&c, &wo, "edi from-xml") < 0)
        return EXIT_UNREADABLE;
    char why[512] = "";
    xmlDocPtr doc = NULL;
    if (edi_xml_parse_file(argv[first], &doc, why, sizeof why) != EDI_OK) {
        fprintf(stderr, "gateway edi from-xml: %s: %s\n", argv[first], why);
        return EXIT_UNREADABLE;
    }
    edi_xml_output out = { 0 };
    edi_directory *dir = open_directory(&c.ro, "edi from-xml");
    edi_result r = edi_xml_write(doc, have_writer_options(&c) ? &wo : NULL, dir, &out, why, sizeof why);
    edi_directory_free(dir);
    xmlFreeDoc(doc);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway edi from-xml: %s: %s\n", argv[first], why[0] ? why : edi_result_str(r));
        edi_xml_output_free(&out);
        /* Options that cannot be honoured are a usage error; a bad tree is a finding. */
        return r == EDI_E_ARG || r == EDI_E_CHARSET ? EXIT_UNREADABLE : EXIT_FINDINGS;
    }
    fwrite(out.data, 1, out.len, stdout);
    if (out.warning[0])
        fprintf(stderr, "gateway edi from-xml: %s\n", out.warning);
    edi_xml_output_free(&out);
    return EXIT_VALID;
}

/* --- edi contrl ----------------------------------------------------------------- */

typedef struct {
    edi_contrl_subject subject;
    const edi_findings *f;
    edi_contrl_options o;
    const char *base_ref;
    int status;
} contrl_ctx;

static int contrl_on_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                             const edi_position *at, const edi_placement *pl)
{
    (void)ic;
    (void)pl;
    contrl_ctx *c = ctx;
    return (int)edi_contrl_subject_on_segment(&c->subject, seg, at);
}

static int contrl_on_message_end(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    (void)ic;
    contrl_ctx *c = ctx;
    return (int)edi_contrl_subject_on_message_end(&c->subject, m);
}

static int contrl_on_interchange_end(void *ctx, const edi_interchange_info *ic)
{
    contrl_ctx *c = ctx;
    char *out = NULL, why[320] = "";
    size_t len = 0;
    /* Each CONTRL interchange needs its own reference: the second and later get -N. */
    char ref[EDI_REF_MAX];
    snprintf(ref, sizeof ref, ic->index > 1 ? "%.11s-%u" : "%.14s", c->base_ref, ic->index);
    c->o.control_ref = ref;
    edi_result r = edi_contrl_build(ic, &c->subject, c->f, &c->o, &out, &len, why, sizeof why);
    if (r == EDI_OK) {
        fwrite(out, 1, len, stdout);
        free(out);
    } else {
        fprintf(stderr, "gateway edi contrl: interchange %u: no CONTRL: %s\n", ic->index,
                why[0] ? why : edi_result_str(r));
        c->status = EXIT_FINDINGS;
    }
    edi_contrl_subject_reset(&c->subject);
    return 0;
}

static int contrl_read(const char *path)
{
    edi_buf in = { 0 };
    if (!cli_read_input("edi contrl", path, (size_t)64 << 20, &in)) {
        edi_buf_free(&in);
        return EXIT_UNREADABLE;
    }
    edi_contrl_report *reports = NULL;
    size_t nr = 0;
    char why[320] = "";
    edi_result r = edi_contrl_read(in.p, in.len, &reports, &nr, why, sizeof why);
    edi_buf_free(&in);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway edi contrl: %s: %s\n", path, why[0] ? why : edi_result_str(r));
        return EXIT_FINDINGS;
    }
    int status = EXIT_VALID;
    for (size_t i = 0; i < nr; i++) {
        const edi_contrl_report *rep = &reports[i];
        printf("CONTRL %s from %s for interchange %s: %s\n", rep->message_ref, rep->sender,
               rep->subject_ref, edi_contrl_action_text(rep->action));
        if (rep->action == EDI_ACTION_REJECTED)
            status = EXIT_FINDINGS;
        for (size_t k = 0; k < rep->n_entries; k++) {
            char line[512];
            if (rep->entries[k].level == EDI_LEVEL_INTERCHANGE && !rep->entries[k].code)
                continue;
            edi_contrl_entry_describe(rep, &rep->entries[k], line, sizeof line);
            printf("  %s\n", line);
        }
    }
    edi_contrl_reports_free(reports, nr);
    return status;
}

static int cmd_contrl(int argc, char **argv)
{
    cmdline c;
    int first = parse_cmdline(argc, argv, &c,
                              "charset-override strict-charset envelope-only formats control-ref date "
                              "report-accepted read receipt-only crlf lf");
    if (first < 0)
        return EXIT_UNREADABLE;
    if (c.help || first != argc - 1) {
        fputs("usage: gateway edi contrl [OPTIONS] FILE\n"
              "       gateway edi contrl --read FILE\n"
              "\n"
              "Print the CONTRL acknowledgement for each interchange in FILE: UCI 7 when it is\n"
              "accepted, 4 with UCM/UCS/UCD detail for what was rejected (as `edi check` finds\n"
              "it). Syntax 3 interchanges get CONTRL:D:3:UN, syntax 4 CONTRL:4:1:UN.\n"
              "With --read, FILE is a CONTRL we received: print what the partner says.\n"
              "\n"
              "options:\n"
              "  --control-ref REF     our interchange reference (default: C + date and time)\n"
              "  --date CCYYMMDD:HHMM  the CONTRL's date and time (default: now, UTC)\n"
              "  --report-accepted     list accepted messages too (UCM 7), not only rejected ones\n"
              "  --receipt-only        acknowledge receipt only (UCI 8)\n"
              "  --read                read a received CONTRL instead of building one\n"
              "  --crlf | --lf         a line break after each segment (default: none)\n"
              "  also --charset-override, --strict-charset, --envelope-only, --formats as for `edi check`\n",
              c.help ? stdout : stderr);
        return c.help ? 0 : EXIT_UNREADABLE;
    }
    if (c.read)
        return contrl_read(argv[first]);
    char date[9], hhmm[5], ref[16];
    if (!cli_date(c.date, date, hhmm)) {
        fprintf(stderr, "gateway edi contrl: --date takes CCYYMMDD:HHMM, not \"%s\"\n", c.date);
        return EXIT_UNREADABLE;
    }
    snprintf(ref, sizeof ref, "C%.6s%s", date + 2, hhmm);
    edi_directory *dir = open_directory(&c.ro, "edi contrl");
    if (!c.ro.no_directory && !dir)
        return EXIT_UNREADABLE;
    edi_findings f;
    edi_findings_init(&f, 0);
    contrl_ctx cc = { .f = &f, .status = EXIT_VALID };
    edi_contrl_subject_init(&cc.subject);
    cc.base_ref = c.control_ref ? c.control_ref : ref;
    edi_writer_options wo;
    edi_writer_options_default(&wo);
    wo.line_break = c.crlf ? "\r\n" : c.lf ? "\n" : "";
    cc.o.writer = &wo;
    cc.o.date = date;
    cc.o.time = hhmm;
    cc.o.mode = c.receipt_only ? EDI_CONTRL_RECEIPT_ONLY
              : c.report_accepted ? EDI_CONTRL_REPORT_ALL : EDI_CONTRL_REPORT_REJECTED;
    edi_reader_handler h = {
        .ctx = &cc,
        .segment = contrl_on_segment,
        .message_end = contrl_on_message_end,
        .interchange_end = contrl_on_interchange_end,
    };
    read_opts ro = c.ro;
    ro.max_findings = 0;
    int err = 0;
    edi_result r = read_file(argv[first], &ro, dir, &h, &f, &err);
    int status = cc.status;
    if (r == EDI_E_IO || r == EDI_E_NOMEM) {
        fprintf(stderr, "gateway edi contrl: %s: %s%s%s\n", argv[first], edi_result_str(r),
                err ? ": " : "", err ? strerror(err) : "");
        status = EXIT_UNREADABLE;
    } else if (status == EXIT_VALID && f.errors) {
        status = EXIT_FINDINGS;
    }
    edi_contrl_subject_free(&cc.subject);
    edi_findings_free(&f);
    edi_directory_free(dir);
    return status;
}

int cli_edi_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: gateway edi COMMAND [OPTIONS] FILE...\n"
              "\n"
              "  check FILE...     check EDIFACT interchanges (envelope, syntax, directory)\n"
              "  to-xml FILE       print an interchange as EDIFACT-XML\n"
              "  from-xml FILE     write EDIFACT from EDIFACT-XML\n"
              "  contrl FILE       print the CONTRL acknowledgement for an interchange\n"
              "\n"
              "`gateway edi COMMAND --help` describes each command.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_UNREADABLE : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "to-xml"))
        return cmd_to_xml(argc - 1, argv + 1);
    if (!strcmp(cmd, "from-xml"))
        return cmd_from_xml(argc - 1, argv + 1);
    if (!strcmp(cmd, "contrl"))
        return cmd_contrl(argc - 1, argv + 1);
    fprintf(stderr, "gateway edi: unknown command \"%s\"; `gateway edi --help` lists them\n", cmd);
    return EXIT_UNREADABLE;
}
