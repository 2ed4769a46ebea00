/* cli_invoice.h: the `gateway invoice` commands: `invoice check` reports an invoice's
 * breaches of the EN 16931 rules (and XRechnung's or Peppol's) through the engine. */
#ifndef CLI_INVOICE_H
#define CLI_INVOICE_H

/* argv[0] is "invoice". Returns the process exit status. */
int cli_invoice_main(int argc, char **argv);

#endif
