/* cli_edi.h: the `gateway edi ...` commands (check, to-xml, from-xml, contrl): the EDIFACT
 * engine in parsers/ as a user drives it from a shell. */
#ifndef CLI_EDI_H
#define CLI_EDI_H

/* argv[0] is "edi". Returns the process exit status. */
int cli_edi_main(int argc, char **argv);

#endif
