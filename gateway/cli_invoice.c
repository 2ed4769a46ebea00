/* `gateway invoice check [--rules en16931|xrechnung|peppol] [--json] FILE`: an invoice (UBL,
 * CII or canonical) mapped to canonical, completed and checked against the EN 16931 rules
 * by the engine (convert_check_invoice). The findings are the command's answer, so they go
 * to stdout: one per line and a verdict, or with --json one JSON object. Exit status: 0 no
 * rule broken, 1 rules broken, 2 unreadable, not an invoice, not available, or usage. */
#include "cli_invoice.h"
#include "cli_common.h"
#include "cli_convert.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "convert.h"
#include "edi_buf.h"

#define MAX_INPUT_BYTES ((size_t)64 << 20)

static void usage(FILE *out)
{
    fputs("usage: gateway invoice check [--rules en16931|xrechnung|peppol] [--json] FILE\n"
          "\n"
          "Check an invoice or credit note against the business rules of EN 16931 (BR-*,\n"
          "BR-CO-*, the VAT category rules), plus XRechnung's (BR-DE-*) or Peppol BIS 3's\n"
          "(PEPPOL-EN16931-*). FILE is UBL (Invoice, CreditNote), CII (CrossIndustryInvoice,\n"
          "also Factur-X/ZUGFeRD XML) or a canonical invoice; `-` reads standard input. It is\n"
          "mapped to the canonical invoice and missing amounts are computed first.\n"
          "\n"
          "Without --rules the rules follow the invoice's specification identifier (BT-24):\n"
          "XRechnung -> en16931 and xrechnung, Peppol BIS 3 -> en16931 and peppol, anything\n"
          "else -> en16931. An invoice without BT-24 breaks BR-01.\n"
          "\n"
          "Output on stdout: one line per finding (error|warning RULE line N (where): text)\n"
          "and a verdict line; with --json one object {file, rules, valid, errors, warnings,\n"
          "findings: [{severity, rule, line, where, text}]}.\n"
          "\n"
          "options:\n"
          "  --rules R     en16931, xrechnung or peppol (default: from BT-24)\n"
          "  --json        JSON instead of lines\n"
          "  --formats DIR the formats folder (default: $EDI_FORMATS_DIR or built in)\n"
          "  --xslt DIR    the folder of the mapping stylesheets (default: built in)\n"
          "\n"
          "exit status: 0 no rule broken (warnings may be printed), 1 rules broken or the\n"
          "invoice is not valid, 2 unreadable, not an invoice, not available, or usage\n",
          out);
}

enum { OPT_RULES = 256, OPT_JSON, OPT_FORMATS, OPT_XSLT, OPT_HELP };

static const struct option options[] = {
    { "rules", required_argument, NULL, OPT_RULES },
    { "json", no_argument, NULL, OPT_JSON },
    { "formats", required_argument, NULL, OPT_FORMATS },
    { "xslt", required_argument, NULL, OPT_XSLT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static void print_json(const char *path, const char *rules, convert_status status,
                       const doc_findings *f)
{
    json_t *jfile = json_string(path), *jused = json_string(rules);
    char *file = jfile ? json_dumps(jfile, JSON_ENCODE_ANY) : NULL;
    char *used = jused ? json_dumps(jused, JSON_ENCODE_ANY) : NULL;
    json_decref(jfile);
    json_decref(jused);
    printf("{\"file\":%s,\"rules\":%s,\"valid\":%s,\"errors\":%zu,\"warnings\":%zu,\"findings\":",
           file ? file : "null", used ? used : "null", status == CONVERT_DONE ? "true" : "false",
           doc_findings_count(f, DOC_ERROR), doc_findings_count(f, DOC_WARNING));
    doc_findings_print(f, stdout, true, NULL);
    fputs("}\n", stdout);
    free(file);
    free(used);
}

static int check(int argc, char **argv)
{
    optind = 1;
    opterr = 0;
    bool json = false;
    const char *rules_opt = NULL, *formats = NULL, *xslt = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case OPT_RULES: rules_opt = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_FORMATS: formats = optarg; break;
        case OPT_XSLT: xslt = optarg; break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "gateway invoice check: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    convert_rules rules = CONVERT_RULES_DEFAULT;
    if (rules_opt) {
        if (!strcmp(rules_opt, "en16931"))
            rules = CONVERT_RULES_EN16931;
        else if (!strcmp(rules_opt, "xrechnung"))
            rules = CONVERT_RULES_XRECHNUNG;
        else if (!strcmp(rules_opt, "peppol"))
            rules = CONVERT_RULES_PEPPOL;
        else {
            fprintf(stderr, "gateway invoice check: --rules must be en16931, xrechnung or peppol\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "gateway invoice check: give exactly one FILE\n");
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    convert_engine *e = cli_engine("invoice check", formats, xslt);
    if (!e)
        return 2;
    edi_buf in = { 0 };
    int status = CONVERT_REFUSED;
    if (cli_read_input("invoice check", path, MAX_INPUT_BYTES, &in)) {
        doc_findings f;
        doc_findings_init(&f);
        char why[1024] = "";
        const char *used = "";
        status = convert_check_invoice(e, in.p, in.len, rules, NULL, &f, &used, why, sizeof why);
        if (status == CONVERT_REFUSED) {
            doc_findings_print(&f, stderr, false, path);
            fprintf(stderr, "gateway invoice check: %s: %s\n", path, why);
        } else if (json) {
            print_json(path, used, (convert_status)status, &f);
        } else {
            doc_findings_print(&f, stdout, false, path);
            printf("%s: %s (rules %s: %zu errors, %zu warnings)\n", path,
                   status == CONVERT_DONE ? "valid" : "not valid", used,
                   doc_findings_count(&f, DOC_ERROR), doc_findings_count(&f, DOC_WARNING));
        }
        doc_findings_free(&f);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gateway invoice check: cannot write to standard output\n");
        status = CONVERT_REFUSED;
    }
    edi_buf_free(&in);
    convert_engine_free(e);
    return status;
}

int cli_invoice_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "check"))
        return check(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "gateway invoice: %s; the command is `invoice check`\n",
            argc >= 2 ? "unknown subcommand" : "a subcommand is needed");
    usage(stderr);
    return 2;
}
