/* cli_partners.h: the `gateway partners` command: `partners check` loads every partner
 * profile of a folder as the gateway does at start and prints each profile it would use
 * and every finding. */
#ifndef CLI_PARTNERS_H
#define CLI_PARTNERS_H

/* argv[0] is "partners". Returns the process exit status: 0 every profile good, 1
 * findings, 2 an unreadable folder or usage. */
int cli_partners_main(int argc, char **argv);

#endif
