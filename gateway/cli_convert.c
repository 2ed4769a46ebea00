/* `gateway convert --to TARGET [--partner P] FILE`: the conversion engine (convert.h) as a
 * user drives it. The engine does the work; this file reads the options and the input,
 * loads the partner profile, prints every output on stdout (several documents separated by
 * an empty line) and every finding on stderr. Exit status: the engine's convert_status
 * (0 converted, 1 findings in the input or a result that is not valid, 2 unreadable,
 * unsupported, not available or usage). */
#include "cli_convert.h"
#include "cli_common.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_buf.h"
#include "partner.h"

#ifndef GATEWAY_FORMATS_DIR
#define GATEWAY_FORMATS_DIR "formats"
#endif
/* The stylesheets and the partner profiles sit next to formats/ in the checkout. */
#ifndef GATEWAY_XSLT_DIR
#define GATEWAY_XSLT_DIR GATEWAY_FORMATS_DIR "/../xslt"
#endif
#ifndef GATEWAY_PARTNERS_DIR
#define GATEWAY_PARTNERS_DIR GATEWAY_FORMATS_DIR "/../partners"
#endif

#define MAX_INPUT_BYTES ((size_t)64 << 20)

typedef struct {
    const char *to;
    const char *partner;
    const char *partners;    /* --partners, else $GATEWAY_PARTNERS_DIR, else built in */
    const char *formats;
    const char *xslt;
    const char *control_ref;
    const char *date;
    const char *directory;
    const char *association;
    const char *syntax;      /* UNOC:3 */
    const char *path;
} convert_opts;

static void usage(FILE *out)
{
    fputs("usage: gateway convert --to TARGET [--partner P] [OPTIONS] FILE\n"
          "\n"
          "Convert a document. The format of FILE is found from its content: EDIFACT (UNA,\n"
          "UNB or UNH first), openTRANS 2.1 or 1.0 ORDER, UBL Invoice or CreditNote, CII\n"
          "CrossIndustryInvoice, or one of the gateway's canonical documents. Every inbound\n"
          "document first becomes canonical (formats/canonical/canonical.xsd; a canonical\n"
          "input is taken as it is), missing amounts are computed, the partner's code maps\n"
          "applied and the result validated; then TARGET is written from it and checked:\n"
          "EDIFACT is read back by our own reader, XML validated against its official\n"
          "schema, an invoice checked against the EN 16931 rules before it is written.\n"
          "What fails a check is not printed. `-` reads standard input.\n"
          "\n"
          "targets:\n"
          "  canonical        the canonical document(s); one per EDIFACT message\n"
          "  orders ordrsp desadv invoic\n"
          "                   EDIFACT ORDERS / ORDRSP / DESADV / INVOIC from a canonical\n"
          "                   order / orderResponse / despatchAdvice / invoice\n"
          "  opentrans        openTRANS 2.1 (ORDER, ORDERRESPONSE, DISPATCHNOTIFICATION,\n"
          "                   INVOICE by the canonical kind)\n"
          "  xrechnung-ubl xrechnung-cii peppol\n"
          "                   an invoice as XRechnung UBL / XRechnung CII / Peppol BIS 3 UBL\n"
          "  html             an invoice for people to read\n"
          "A target whose stylesheet is not installed says so (exit 2).\n"
          "\n"
          "Output on stdout: one document per converted message, each XML one starting with\n"
          "its own XML declaration (<?xml ...?>);\n"
          "two documents are separated by an empty line. Findings (EDIFACT check,\n"
          "lenient openTRANS, totals, rules) go to stderr, one per line:\n"
          "FILE: error|warning RULE line N (where): text.\n"
          "\n"
          "options:\n"
          "  --to TARGET          what to write (above)\n"
          "  --partner P          use the partner profile P (<partners>/P.xml): code maps,\n"
          "                       stylesheet overrides, EDIFACT settings, strict openTRANS\n"
          "  --partners DIR       where the profiles are (default: $GATEWAY_PARTNERS_DIR or\n"
          "                       the built-in path)\n"
          "  --formats DIR        the formats folder with edifact/, canonical/ and xsd/\n"
          "                       (default: $EDI_FORMATS_DIR or the built-in path)\n"
          "  --xslt DIR           the folder of the mapping stylesheets (default: built in)\n"
          "EDIFACT targets only (each wins over the partner profile):\n"
          "  --control-ref R      interchange control reference, 1 to 14 letters or digits\n"
          "                       (default: 1)\n"
          "  --date D             interchange date and time CCYYMMDD:HHMM (default: now, UTC)\n"
          "  --directory D        D96A or D01B\n"
          "  --association CODE   EANCOM association code (EAN005, EAN008, ...) or none\n"
          "  --syntax ID:V        syntax identifier and version, e.g. UNOC:3 or UNOW:4\n"
          "\n"
          "XML with a DOCTYPE is refused: DTDs are not read and entities never expanded.\n"
          "At most 8 MiB of EDIFACT and 64 MiB of XML are read.\n"
          "\n"
          "exit status: 0 converted; 1 findings in the input, a result that is not valid or\n"
          "business rules broken; 2 unreadable, a format, message type or target that cannot\n"
          "be converted (yet), a refused partner profile, or usage\n",
          out);
}

convert_engine *cli_engine(const char *cmd, const char *formats, const char *xslt)
{
    char why[512] = "";
    convert_engine *e = convert_engine_new(cli_formats_root(formats), xslt ? xslt : GATEWAY_XSLT_DIR,
                                           why, sizeof why);
    if (!e)
        fprintf(stderr, "gateway %s: %s\n", cmd, why);
    return e;
}

/* ---- options --------------------------------------------------------------------- */

enum {
    OPT_TO = 256, OPT_PARTNER, OPT_PARTNERS, OPT_FORMATS, OPT_XSLT, OPT_CONTROL_REF, OPT_DATE,
    OPT_DIRECTORY, OPT_ASSOCIATION, OPT_SYNTAX, OPT_HELP
};

static const struct option options[] = {
    { "to", required_argument, NULL, OPT_TO },
    { "partner", required_argument, NULL, OPT_PARTNER },
    { "partners", required_argument, NULL, OPT_PARTNERS },
    { "formats", required_argument, NULL, OPT_FORMATS },
    { "xslt", required_argument, NULL, OPT_XSLT },
    { "control-ref", required_argument, NULL, OPT_CONTROL_REF },
    { "date", required_argument, NULL, OPT_DATE },
    { "directory", required_argument, NULL, OPT_DIRECTORY },
    { "association", required_argument, NULL, OPT_ASSOCIATION },
    { "syntax", required_argument, NULL, OPT_SYNTAX },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* Letters and digits only, `min` to `max` of them; `upper` allows only upper case. */
static bool alnum(const char *s, size_t min, size_t max, bool upper)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (!upper && s[i] >= 'a' && s[i] <= 'z')))
            return false;
    return true;
}

/* UNOx:V into id and version. */
static bool parse_syntax(const char *s, char id[5], int *version)
{
    if (strlen(s) != 6 || strncmp(s, "UNO", 3) != 0 || s[3] < 'A' || s[3] > 'Y' || s[4] != ':' ||
        s[5] < '1' || s[5] > '4')
        return false;
    memcpy(id, s, 4);
    id[4] = '\0';
    *version = s[5] - '0';
    return true;
}

static bool is_edifact_target(convert_target t)
{
    return t == CONVERT_TO_ORDERS || t == CONVERT_TO_ORDRSP || t == CONVERT_TO_DESADV ||
           t == CONVERT_TO_INVOIC;
}

/* -1 to go on, else the exit status (help printed or usage error). */
static int parse_args(int argc, char **argv, convert_opts *o, convert_target *target)
{
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case OPT_TO: o->to = optarg; break;
        case OPT_PARTNER: o->partner = optarg; break;
        case OPT_PARTNERS: o->partners = optarg; break;
        case OPT_FORMATS: o->formats = optarg; break;
        case OPT_XSLT: o->xslt = optarg; break;
        case OPT_CONTROL_REF: o->control_ref = optarg; break;
        case OPT_DATE: o->date = optarg; break;
        case OPT_DIRECTORY: o->directory = optarg; break;
        case OPT_ASSOCIATION: o->association = optarg; break;
        case OPT_SYNTAX: o->syntax = optarg; break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            return CONVERT_DONE;
        default:
            fprintf(stderr, "gateway convert: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            usage(stderr);
            return CONVERT_REFUSED;
        }
    }
    const char *bad = NULL;
    char day[9], hhmm[5], sid[5];
    int sv;
    if (!o->to)
        bad = "--to is required";
    else if (optind != argc - 1)
        bad = "give exactly one FILE";
    else if (!convert_target_parse(o->to, target)) {
        fprintf(stderr, "gateway convert: --to %s is unknown; the targets are canonical, orders, "
                "ordrsp, desadv, invoic, opentrans, xrechnung-ubl, xrechnung-cii, peppol and html\n",
                o->to);
        return CONVERT_REFUSED;
    } else if (o->control_ref && !alnum(o->control_ref, 1, 14, false))
        bad = "--control-ref must be 1 to 14 letters or digits";
    else if (o->date && !cli_date(o->date, day, hhmm))
        bad = "--date must be CCYYMMDD:HHMM";
    else if (o->directory && strcmp(o->directory, "D96A") != 0 && strcmp(o->directory, "D01B") != 0)
        bad = "--directory must be D96A or D01B";
    else if (o->association && strcmp(o->association, "none") != 0 && !alnum(o->association, 1, 6, true))
        bad = "--association must be an EANCOM code (EAN005, ...) or none";
    else if (o->syntax && !parse_syntax(o->syntax, sid, &sv))
        bad = "--syntax must be a syntax identifier and version, e.g. UNOC:3";
    else if ((o->control_ref || o->date || o->directory || o->association || o->syntax) &&
             !is_edifact_target(*target))
        bad = "--control-ref, --date, --directory, --association and --syntax are for the EDIFACT "
              "targets (orders, ordrsp, desadv, invoic)";
    if (bad) {
        fprintf(stderr, "gateway convert: %s\n", bad);
        usage(stderr);
        return CONVERT_REFUSED;
    }
    o->path = argv[optind];
    return -1;
}

/* The profile named by --partner, or NULL with *status set when it cannot be used. */
static partner *load_partner(convert_engine *e, const convert_opts *o, int *status)
{
    const char *env = getenv("GATEWAY_PARTNERS_DIR");
    const char *dir = o->partners ? o->partners : env && *env ? env : GATEWAY_PARTNERS_DIR;
    char schema[4096];
    snprintf(schema, sizeof schema, "%s/../partners/partner.xsd", cli_formats_root(o->formats));
    doc_findings f;
    doc_findings_init(&f);
    char why[1024] = "";
    partner *p = NULL;
    edi_result r = partner_find(convert_engine_mapping(e), schema, dir, o->partner, &p, &f, why,
                                sizeof why);
    doc_findings_print(&f, stderr, false, NULL);
    doc_findings_free(&f);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway convert: --partner %s: %s\n", o->partner, why);
        *status = CONVERT_REFUSED;
    }
    return p;
}

static bool print_outputs(const convert_results *res)
{
    bool ok = true;
    for (size_t i = 0; i < res->count && ok; i++) {
        const convert_output *out = &res->items[i];
        if (i)
            ok = fputc('\n', stdout) != EOF;
        ok = ok && fwrite(out->data, 1, out->len, stdout) == out->len;
        if (ok && (out->len == 0 || out->data[out->len - 1] != '\n'))
            ok = fputc('\n', stdout) != EOF;
    }
    return fflush(stdout) == 0 && ok && !ferror(stdout);
}

int cli_convert_main(int argc, char **argv)
{
    convert_opts o;
    convert_target target = CONVERT_TO_CANONICAL;
    int status = parse_args(argc, argv, &o, &target);
    if (status >= 0)
        return status;
    status = CONVERT_DONE;
    convert_engine *e = cli_engine("convert", o.formats, o.xslt);
    if (!e)
        return CONVERT_REFUSED;
    partner *p = o.partner ? load_partner(e, &o, &status) : NULL;
    edi_buf in = { 0 };
    if (status == CONVERT_DONE && !cli_read_input("convert", o.path, MAX_INPUT_BYTES, &in))
        status = CONVERT_REFUSED;
    if (status == CONVERT_DONE) {
        char sid[5] = "";
        int sv = 0;
        if (o.syntax)
            parse_syntax(o.syntax, sid, &sv); /* its form was checked with the options */
        convert_options co = {
            .partner = p, .control_ref = o.control_ref, .datetime = o.date,
            .directory = o.directory, .association = o.association,
            .syntax_id = o.syntax ? sid : NULL, .syntax_version = sv,
        };
        convert_results res = { 0 };
        doc_findings f;
        doc_findings_init(&f);
        char why[1024] = "";
        status = convert_run(e, in.p, in.len, target, &co, &res, &f, why, sizeof why);
        doc_findings_print(&f, stderr, false, o.path);
        if (status != CONVERT_DONE)
            fprintf(stderr, "gateway convert: %s: %s\n", o.path, why);
        if (!print_outputs(&res)) {
            fprintf(stderr, "gateway convert: cannot write to standard output\n");
            status = CONVERT_REFUSED;
        }
        convert_results_free(&res);
        doc_findings_free(&f);
    }
    edi_buf_free(&in);
    partner_free(p);
    convert_engine_free(e);
    return status;
}
