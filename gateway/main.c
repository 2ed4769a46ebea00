/* main.c: the `gateway` command: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli_convert.h"
#include "cli_edi.h"
#include "cli_ingest.h"
#include "cli_import.h"
#include "cli_invoice.h"
#include "cli_messages.h"
#include "cli_partners.h"
#include "cli_serve.h"
#include "mailer.h"

static void usage(FILE *out)
{
    fputs("usage: gateway COMMAND [ARGS]\n"
          "\n"
          "EDI and document-exchange gateway.\n"
          "\n"
          "commands:\n"
          "  edi check FILE...     check EDIFACT interchanges: envelope, syntax and directory\n"
          "  edi to-xml FILE       print an interchange as EDIFACT-XML\n"
          "  edi from-xml FILE     write EDIFACT from EDIFACT-XML\n"
          "  edi contrl FILE       print the CONTRL acknowledgement for an interchange\n"
          "  convert --to TARGET [--partner P] FILE\n"
          "                        convert a document (format detected) through the\n"
          "                        canonical model to canonical, orders, ordrsp, desadv,\n"
          "                        invoic, opentrans, xrechnung-ubl, xrechnung-cii, peppol\n"
          "                        or html\n"
          "  invoice check [--rules en16931|xrechnung|peppol] [--json] FILE\n"
          "                        check an invoice (UBL, CII, canonical) against EN 16931\n"
          "  partners check        check the partner profiles\n"
          "  serve [--config FILE] run the gateway: HTTP server, workers, inbox folders\n"
          "  ingest [--config FILE] [--partner P] FILE|-\n"
          "                        receive a file by hand, as an inbox folder does\n"
          "  messages list|show    the stored messages, their status and history\n"
          "  reprocess [--edited FILE] ID\n"
          "                        process a stored message again from its raw bytes (or\n"
          "                        an edited copy, keeping the original)\n"
          "  resend ID             send an outbound message again\n"
          "  import [--config FILE | --db PATH] customers|users|articles|contracts FILE\n"
          "                        load master data from a CSV file (all rows or none)\n"
          "\n"
          "`gateway COMMAND --help` describes each command.\n"
          "\n"
          "exit status: 0 done; 1 findings in the input, a result that is not valid or\n"
          "business rules broken; 2 unreadable, unsupported or usage\n",
          out);
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "edi"))
        return cli_edi_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert"))
        return cli_convert_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "invoice"))
        return cli_invoice_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "partners"))
        return cli_partners_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "serve"))
        return cli_serve_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "ingest"))
        return cli_ingest_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "messages"))
        return cli_messages_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "reprocess"))
        return cli_reprocess_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "resend"))
        return cli_resend_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import"))
        return cli_import_main(argc - 1, argv + 1);
    fprintf(stderr, "gateway: unknown command \"%s\"; `gateway --help` lists the commands\n", argv[1]);
    return 2;
}

/* The libraries with process-wide state are set up here, once, before any thread starts:
 * GMime for the mails (mailer_init). */
int main(int argc, char **argv)
{
    mailer_init();
    int rc = run_command(argc, argv);
    mailer_shutdown();
    return rc;
}
