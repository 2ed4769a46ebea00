/* cli_convert.h: the `gateway convert` command: a received document (its format detected
 * from its content) mapped to the canonical model and validated against its schema. */
#ifndef CLI_CONVERT_H
#define CLI_CONVERT_H

/* argv[0] is "convert". Returns the process exit status. */
int cli_convert_main(int argc, char **argv);

#endif
