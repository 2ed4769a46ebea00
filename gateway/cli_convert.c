/* `gateway convert --to canonical FILE`: the inbound half of the mapping step as a user
 * drives it. The file's format is found from its content (mapping_detect); every result is
 * validated against the canonical schema before it is printed, so that what reaches
 * stdout can be trusted by the next step. `gateway convert --to ordrsp FILE` is the first
 * outbound one: a canonical orderResponse, validated first, becomes an EDIFACT-XML tree
 * that our serializer writes as EDIFACT. Exit status: 0 converted, 1 findings in the input
 * or a result that is not valid, 2 unreadable, not convertible (yet) or usage. */
#include "cli_convert.h"
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxslt/xsltutils.h>

#include "canonical_totals.h"
#include "edi_buf.h"
#include "edi_directory.h"
#include "edi_xml.h"
#include "mapping.h"

#ifndef GATEWAY_FORMATS_DIR
#define GATEWAY_FORMATS_DIR "formats"
#endif
/* The stylesheets sit next to formats/ in the checkout. */
#ifndef GATEWAY_XSLT_DIR
#define GATEWAY_XSLT_DIR GATEWAY_FORMATS_DIR "/../xslt"
#endif

enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_UNREADABLE = 2 };

/* An EDIFACT-XML tree takes about 100 times its input (edi_xml.h): 8 MiB of EDIFACT is
 * already most of a gigabyte. XML is read as a tree of a few times its size. */
#define MAX_EDIFACT_BYTES ((size_t)8 << 20)
#define MAX_INPUT_BYTES ((size_t)64 << 20)

#define EDIFACT_ORDERS_XSL "edifact-orders-to-canonical.xsl"
#define OPENTRANS_ORDER_XSL "opentrans-order-to-canonical.xsl"
#define CANONICAL_ORDRSP_XSL "canonical-to-ordrsp-d96a.xsl"

typedef struct {
    const char *to;
    const char *formats;   /* --formats, else $EDI_FORMATS_DIR, else built in */
    const char *xslt;      /* --xslt, else built in */
    const char *control_ref; /* --control-ref: UNB/UNZ 0020 of outbound EDIFACT */
    const char *date;      /* --date CCYYMMDD:HHMM: UNB S004 of outbound EDIFACT */
    const char *path;
} convert_opts;

/* Targets the design names (issue 3 §4) but that are not written yet. */
static const char *const planned_targets[] = {
    "orders", "desadv", "invoic", "opentrans", "xrechnung-ubl", "xrechnung-cii",
    "peppol", "html",
};

static void usage(FILE *out)
{
    fputs("usage: gateway convert --to canonical [OPTIONS] FILE\n"
          "       gateway convert --to ordrsp [--control-ref REF] [--date CCYYMMDD:HHMM] FILE\n"
          "\n"
          "Convert a received document to the gateway's canonical model\n"
          "(formats/canonical/canonical.xsd). The format of FILE is found from its content:\n"
          "EDIFACT (UNA, UNB or UNH first), openTRANS 2.1 or 1.0 ORDER, UBL Invoice, CII\n"
          "CrossIndustryInvoice, JSON. Converted today: EDIFACT ORDERS (D.96A, D.01B and their\n"
          "EANCOM subsets; one canonical order per message) and openTRANS ORDER. `-` reads\n"
          "standard input. EDIFACT is checked as `edi check` does; its findings go to stderr.\n"
          "Every result is validated against the canonical schema before it is printed.\n"
          "\n"
          "Output on stdout: one XML document per converted message, each starting with its\n"
          "own XML declaration (<?xml ...?>); two documents are separated by an empty line.\n"
          "\n"
          "--to ordrsp: FILE is a canonical orderResponse; it is validated against the\n"
          "canonical schema and written as one interchange with one EDIFACT ORDRSP D.96A\n"
          "EANCOM (EAN005) message, sender the supplier's GLN, recipient the buyer's.\n"
          "\n"
          "options:\n"
          "  --to TARGET      canonical or ordrsp\n"
          "  --control-ref R  interchange control reference, 1 to 14 letters or digits\n"
          "                   (default: 1)\n"
          "  --date D         interchange date and time CCYYMMDD:HHMM (default: now, UTC)\n"
          "  --formats DIR    the formats folder with edifact/ and canonical/ (default:\n"
          "                   $EDI_FORMATS_DIR or the built-in path)\n"
          "  --xslt DIR       the folder of the mapping stylesheets (default: the built-in path)\n"
          "\n"
          "XML with a DOCTYPE is refused: DTDs are not read and entities never expanded.\n"
          "At most 8 MiB of EDIFACT and 64 MiB of XML are read.\n"
          "\n"
          "exit status: 0 converted, 1 findings in the input or a result that is not valid,\n"
          "2 unreadable, a format or message type that cannot be converted yet, or usage\n",
          out);
}

/* --- reading the input ---------------------------------------------------------- */

/* --- writing the output --------------------------------------------------------- */

typedef struct {
    mapping_ctx *m;
    const convert_opts *o;
    size_t written;        /* documents printed so far: the next one gets a separator */
} converter;

/* Validate one result and print it; the status it earns. */
static int emit(converter *cv, xmlDocPtr res, xsltStylesheetPtr style, const char *what)
{
    char why[768] = "";
    edi_result r = mapping_validate(cv->m, res, why, sizeof why);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: %s: %s: %s\n", cv->o->path, what, why);
        /* A schema we cannot read is our installation's fault, not the input's. */
        return r == EDI_E_XML ? EXIT_FINDINGS : EXIT_UNREADABLE;
    }
    if (cv->written++)
        fputc('\n', stdout);
    if (xsltSaveResultToFile(stdout, res, style) < 0) {
        fprintf(stderr, "gateway convert: cannot write to standard output\n");
        return EXIT_UNREADABLE;
    }
    return EXIT_OK;
}

/* Non-terminating xsl:message texts of a transformation, as warnings. */
static void print_notes(const converter *cv, const char *what, const char *notes)
{
    const char *p = notes;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (n)
            fprintf(stderr, "gateway convert: %s: %s: warning: %.*s\n", cv->o->path, what, (int)n, p);
        p += n + (p[n] == '\n');
    }
}

static int transform_and_emit(converter *cv, xsltStylesheetPtr style, xmlDocPtr doc,
                              const char *what)
{
    char why[1024] = "", notes[2048] = "";
    xmlDocPtr res = NULL;
    edi_result r = mapping_apply(cv->m, style, doc, NULL, &res, notes, sizeof notes, why, sizeof why);
    print_notes(cv, what, notes);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: %s: %s: %s\n", cv->o->path, what, why);
        return r == EDI_E_XML ? EXIT_FINDINGS : EXIT_UNREADABLE;
    }
    /* Before validation, so that the computed values are validated too. */
    notes[0] = '\0';
    r = canonical_totals_complete(res, notes, sizeof notes, why, sizeof why);
    print_notes(cv, what, notes);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: %s: %s: %s\n", cv->o->path, what, why);
        xmlFreeDoc(res);
        return EXIT_UNREADABLE;
    }
    int status = emit(cv, res, style, what);
    xmlFreeDoc(res);
    return status;
}

static int load_style(converter *cv, const char *file, xsltStylesheetPtr *style)
{
    char path[4096], why[768] = "";
    snprintf(path, sizeof path, "%s/%s", cv->o->xslt ? cv->o->xslt : GATEWAY_XSLT_DIR, file);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "gateway convert: %s: the mapping %s is not there (%s); give its folder "
                "with --xslt\n", cv->o->path, path, strerror(errno));
        return EXIT_UNREADABLE;
    }
    if (mapping_stylesheet(cv->m, path, style, why, sizeof why) != EDI_OK) {
        fprintf(stderr, "gateway convert: %s\n", why);
        return EXIT_UNREADABLE;
    }
    return EXIT_OK;
}

static int worse(int a, int b)
{
    return a > b ? a : b;
}

/* --- EDIFACT -------------------------------------------------------------------- */

/* One message on its own as a document: the stylesheet maps the first message it sees. */
static int convert_message(converter *cv, xsltStylesheetPtr style, xmlNodePtr msg)
{
    xmlChar *type = xmlGetProp(msg, BAD_CAST "type");
    xmlChar *ref = xmlGetProp(msg, BAD_CAST "ref");
    char what[160];
    snprintf(what, sizeof what, "message %s", ref ? (const char *)ref : "?");
    int status = EXIT_OK;
    if (!type || strcmp((const char *)type, "ORDERS") != 0) {
        fprintf(stderr, "gateway convert: %s: %s is %s: converting it to canonical is not supported "
                "yet (ORDERS is)\n", cv->o->path, what, type ? (const char *)type : "of no type");
        status = EXIT_UNREADABLE;
    } else {
        xmlDocPtr one = xmlNewDoc(BAD_CAST "1.0");
        xmlNodePtr copy = one ? xmlDocCopyNode(msg, one, 1) : NULL;
        if (!copy) {
            fprintf(stderr, "gateway convert: %s: out of memory\n", cv->o->path);
            status = EXIT_UNREADABLE;
        } else {
            xmlDocSetRootElement(one, copy);
            status = transform_and_emit(cv, style, one, what);
        }
        xmlFreeDoc(one);
    }
    xmlFree(type);
    xmlFree(ref);
    return status;
}

static int convert_edifact(converter *cv, const edi_buf *in)
{
    if (in->len > MAX_EDIFACT_BYTES) {
        fprintf(stderr, "gateway convert: %s: %zu bytes of EDIFACT; at most %zu are converted at once\n",
                cv->o->path, in->len, MAX_EDIFACT_BYTES);
        return EXIT_UNREADABLE;
    }
    edi_directory *dir = cli_open_directory("convert", cv->o->formats, NULL);
    if (!dir)
        return EXIT_UNREADABLE;
    edi_findings f;
    edi_findings_init(&f, 0);
    edi_reader_options opt = { .directory = dir };
    xmlDocPtr tree = NULL;
    edi_result r = edi_xml_read_mem(in->p, in->len, &opt, &tree, &f);
    char line[512];
    for (size_t k = 0; k < f.count; k++) {
        edi_finding_format(&f.items[k], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    int status = f.errors ? EXIT_FINDINGS : EXIT_OK;
    edi_findings_free(&f);
    if (!tree) {
        fprintf(stderr, "gateway convert: %s: %s\n", cv->o->path, edi_result_str(r));
        edi_directory_free(dir);
        return EXIT_UNREADABLE;
    }
    xsltStylesheetPtr style = NULL;
    xmlXPathContextPtr x = xmlXPathNewContext(tree);
    xmlXPathObjectPtr found = NULL;
    if (x && xmlXPathRegisterNs(x, BAD_CAST "e", BAD_CAST EDI_XML_NS) == 0)
        found = xmlXPathEvalExpression(BAD_CAST "//e:message", x);
    int n = found && found->nodesetval ? found->nodesetval->nodeNr : 0;
    if (!found) {
        fprintf(stderr, "gateway convert: %s: out of memory\n", cv->o->path);
        status = EXIT_UNREADABLE;
    } else if (n == 0) {
        fprintf(stderr, "gateway convert: %s: the interchange holds no message to convert\n",
                cv->o->path);
        status = worse(status, EXIT_FINDINGS);
    } else {
        int loaded = load_style(cv, EDIFACT_ORDERS_XSL, &style);
        for (int i = 0; i < n && loaded == EXIT_OK; i++)
            status = worse(status, convert_message(cv, style, found->nodesetval->nodeTab[i]));
        status = worse(status, loaded);
    }
    xmlXPathFreeObject(found);
    xmlXPathFreeContext(x);
    xmlFreeDoc(tree);
    edi_directory_free(dir);
    return status;
}

/* --- XML ------------------------------------------------------------------------ */

static int convert_opentrans(converter *cv, const edi_buf *in, mapping_format format)
{
    char why[768] = "";
    xmlDocPtr doc = NULL;
    /* Parsed before the mapping is looked for: an unsafe document is refused either way. */
    edi_result r = mapping_parse_xml(in->p, in->len, &doc, why, sizeof why);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: %s: %s\n", cv->o->path, why);
        return EXIT_UNREADABLE;
    }
    xsltStylesheetPtr style = NULL;
    int status = load_style(cv, OPENTRANS_ORDER_XSL, &style);
    if (status == EXIT_OK)
        status = transform_and_emit(cv, style, doc, mapping_format_name(format));
    xmlFreeDoc(doc);
    return status;
}

/* --- canonical -> EDIFACT ORDRSP ------------------------------------------------ */

/* The stylesheet gets them as XPath string literals, so they are checked to hold no quote
 * before they are quoted; UNB 0020 is an..14 and alphanumeric is what every partner takes. */
static bool control_ref_ok(const char *r)
{
    size_t n = strlen(r);
    if (n < 1 || n > 14)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= '0' && r[i] <= '9') || (r[i] >= 'A' && r[i] <= 'Z') ||
              (r[i] >= 'a' && r[i] <= 'z')))
            return false;
    return true;
}

/* Serialize the EDIFACT-XML tree the mapping made and print it. */
static int write_edifact(converter *cv, xmlDocPtr tree)
{
    edi_directory *dir = cli_open_directory("convert", cv->o->formats, NULL);
    if (!dir)
        return EXIT_UNREADABLE;
    char why[768] = "";
    edi_xml_output out = { 0 };
    edi_result r = edi_xml_write(tree, NULL, dir, &out, why, sizeof why);
    int status = EXIT_OK;
    if (r != EDI_OK) {
        /* The tree is ours, not the user's: a refusal is a fault of the mapping. */
        fprintf(stderr, "gateway convert: %s: the ORDRSP could not be written: %s: %s\n",
                cv->o->path, edi_result_str(r), why);
        status = EXIT_UNREADABLE;
    } else {
        if (out.warning[0])
            fprintf(stderr, "gateway convert: %s: warning: %s\n", cv->o->path, out.warning);
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fputc('\n', stdout) == EOF) {
            fprintf(stderr, "gateway convert: cannot write to standard output\n");
            status = EXIT_UNREADABLE;
        }
    }
    edi_xml_output_free(&out);
    edi_directory_free(dir);
    return status;
}

static int convert_to_ordrsp(converter *cv, const edi_buf *in)
{
    const char *what = mapping_format_name(MAPPING_FORMAT_CANONICAL_ORDER_RESPONSE);
    char why[1024] = "", notes[2048] = "";
    xmlDocPtr doc = NULL;
    edi_result r = mapping_parse_xml(in->p, in->len, &doc, why, sizeof why);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: %s: %s\n", cv->o->path, why);
        return EXIT_UNREADABLE;
    }
    /* The stylesheet trusts the schema: only a valid document is mapped. */
    r = mapping_validate(cv->m, doc, why, sizeof why);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: %s: %s\n", cv->o->path, why);
        xmlFreeDoc(doc);
        return r == EDI_E_XML ? EXIT_FINDINGS : EXIT_UNREADABLE;
    }
    char ref[32], date[32], day[9], hhmm[5];
    snprintf(ref, sizeof ref, "'%s'", cv->o->control_ref ? cv->o->control_ref : "1");
    cli_date(cv->o->date, day, hhmm); /* the form of --date was checked with the options */
    snprintf(date, sizeof date, "'%s:%s'", day, hhmm);
    const char *params[] = { "control-ref", ref, "datetime", date, NULL };
    xsltStylesheetPtr style = NULL;
    int status = load_style(cv, CANONICAL_ORDRSP_XSL, &style);
    xmlDocPtr tree = NULL;
    if (status == EXIT_OK) {
        r = mapping_apply(cv->m, style, doc, params, &tree, notes, sizeof notes, why, sizeof why);
        print_notes(cv, what, notes);
        if (r != EDI_OK) {
            fprintf(stderr, "gateway convert: %s: %s: %s\n", cv->o->path, what, why);
            status = r == EDI_E_XML ? EXIT_FINDINGS : EXIT_UNREADABLE;
        } else {
            status = write_edifact(cv, tree);
        }
    }
    xmlFreeDoc(tree);
    xmlFreeDoc(doc);
    return status;
}

/* --- the command ---------------------------------------------------------------- */

enum { OPT_TO = 256, OPT_FORMATS, OPT_XSLT, OPT_CONTROL_REF, OPT_DATE, OPT_HELP };

static const struct option options[] = {
    { "to", required_argument, NULL, OPT_TO },
    { "formats", required_argument, NULL, OPT_FORMATS },
    { "xslt", required_argument, NULL, OPT_XSLT },
    { "control-ref", required_argument, NULL, OPT_CONTROL_REF },
    { "date", required_argument, NULL, OPT_DATE },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* 0 to go on, else the exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, convert_opts *o, bool *done)
{
    memset(o, 0, sizeof *o);
    *done = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case OPT_TO: o->to = optarg; break;
        case OPT_FORMATS: o->formats = optarg; break;
        case OPT_XSLT: o->xslt = optarg; break;
        case OPT_CONTROL_REF: o->control_ref = optarg; break;
        case OPT_DATE: o->date = optarg; break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            *done = true;
            return EXIT_OK;
        default:
            fprintf(stderr, "gateway convert: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            usage(stderr);
            *done = true;
            return EXIT_UNREADABLE;
        }
    }
    if (optind != argc - 1 || !o->to) {
        fprintf(stderr, "gateway convert: %s\n", !o->to ? "--to is required" : "give exactly one FILE");
        usage(stderr);
        *done = true;
        return EXIT_UNREADABLE;
    }
    o->path = argv[optind];
    if (strcmp(o->to, "canonical") != 0 && strcmp(o->to, "ordrsp") != 0) {
        bool planned = false;
        for (size_t i = 0; i < sizeof planned_targets / sizeof planned_targets[0]; i++)
            planned = planned || !strcmp(o->to, planned_targets[i]);
        fprintf(stderr, planned ? "gateway convert: --to %s is not implemented yet; --to canonical and "
                "--to ordrsp are\n"
                : "gateway convert: --to %s is unknown; --to canonical and --to ordrsp are the "
                "ones implemented\n",
                o->to);
        *done = true;
        return EXIT_UNREADABLE;
    }
    char day[9], hhmm[5];
    const char *bad = o->control_ref && !control_ref_ok(o->control_ref) ? "--control-ref must be 1 to 14 letters or digits"
                      : o->date && !cli_date(o->date, day, hhmm) ? "--date must be CCYYMMDD:HHMM"
                      : (o->control_ref || o->date) && strcmp(o->to, "ordrsp") != 0
                      ? "--control-ref and --date are for --to ordrsp" : NULL;
    if (bad) {
        fprintf(stderr, "gateway convert: %s\n", bad);
        *done = true;
        return EXIT_UNREADABLE;
    }
    return EXIT_OK;
}

int cli_convert_main(int argc, char **argv)
{
    convert_opts o;
    bool done;
    int status = parse_args(argc, argv, &o, &done);
    if (done)
        return status;
    edi_buf in = { 0 };
    if (!cli_read_input("convert", o.path, MAX_INPUT_BYTES, &in)) {
        edi_buf_free(&in);
        return EXIT_UNREADABLE;
    }
    char why[512] = "";
    mapping_format format = mapping_detect(in.p, in.len, why, sizeof why);
    char schema[4096];
    snprintf(schema, sizeof schema, "%s/canonical/canonical.xsd", cli_formats_root(o.formats));
    converter cv = { .m = mapping_new(schema), .o = &o };
    if (!cv.m) {
        fprintf(stderr, "gateway convert: out of memory\n");
        status = EXIT_UNREADABLE;
    } else if (!strcmp(o.to, "ordrsp")) {
        if (format == MAPPING_FORMAT_CANONICAL_ORDER_RESPONSE) {
            status = convert_to_ordrsp(&cv, &in);
        } else {
            fprintf(stderr, "gateway convert: %s: the file is %s; --to ordrsp converts a canonical "
                    "orderResponse\n", o.path, format == MAPPING_FORMAT_UNKNOWN ? why
                    : mapping_format_name(format));
            status = EXIT_UNREADABLE;
        }
    } else if (format == MAPPING_FORMAT_EDIFACT) {
        status = convert_edifact(&cv, &in);
    } else if (format == MAPPING_FORMAT_OPENTRANS_21_ORDER ||
               format == MAPPING_FORMAT_OPENTRANS_10_ORDER) {
        status = convert_opentrans(&cv, &in, format);
    } else if (format == MAPPING_FORMAT_UNKNOWN || format == MAPPING_FORMAT_XML_OTHER) {
        fprintf(stderr, "gateway convert: %s: %s\n", o.path, why);
        status = EXIT_UNREADABLE;
    } else {
        fprintf(stderr, "gateway convert: %s: the file is %s; converting it to canonical is not "
                "supported yet\n", o.path, mapping_format_name(format));
        status = EXIT_UNREADABLE;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gateway convert: cannot write to standard output\n");
        status = EXIT_UNREADABLE;
    }
    mapping_free(cv.m);
    edi_buf_free(&in);
    return status;
}
