/* main.c: the `gateway` command: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli_convert.h"
#include "cli_edi.h"

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
          "  convert --to canonical FILE\n"
          "                        convert a received document (format detected) to the\n"
          "                        canonical model, validated against its schema\n"
          "\n"
          "`gateway COMMAND --help` describes each command.\n",
          out);
}

int main(int argc, char **argv)
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
    fprintf(stderr, "gateway: unknown command \"%s\"; `gateway --help` lists the commands\n", argv[1]);
    return 2;
}
