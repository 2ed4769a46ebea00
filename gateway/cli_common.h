/* cli_common.h: what the gateway's commands share: where the formats folder is, opening
 * the EDIFACT directory definitions, reading a whole input, and the --date option. */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_buf.h"
#include "edi_directory.h"

/* The formats folder: `option` (--formats) if given, else $EDI_FORMATS_DIR, else the path
 * compiled in (GATEWAY_FORMATS_DIR, the checkout's formats/). */
const char *cli_formats_root(const char *option);

/* The EDIFACT directory definitions under <formats>/edifact. When they are not there, or
 * memory runs out, says so on stderr (prefixed with `cmd`, followed by `hint` if not NULL)
 * and returns NULL. The caller frees with edi_directory_free. */
edi_directory *cli_open_directory(const char *cmd, const char *formats_option, const char *hint);

/* Append all of `path` ("-": standard input), at most `limit` bytes, to `b`. False after
 * saying on stderr what went wrong (prefixed with `cmd`). */
bool cli_read_input(const char *cmd, const char *path, size_t limit, edi_buf *b);

/* `arg` in the form CCYYMMDD:HHMM into date (CCYYMMDD) and hhmm; NULL means now, in UTC.
 * False when `arg` has another form. */
bool cli_date(const char *arg, char date[9], char hhmm[5]);

#endif
