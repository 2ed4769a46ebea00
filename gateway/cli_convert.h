/* cli_convert.h: the `gateway convert` command, a thin layer over the conversion engine
 * (convert.h): options, partner profile, input, outputs on stdout, findings on stderr. */
#ifndef CLI_CONVERT_H
#define CLI_CONVERT_H

#include "convert.h"

/* argv[0] is "convert". Returns the process exit status. */
int cli_convert_main(int argc, char **argv);

/* An engine on the formats folder (`formats`: --formats, else $EDI_FORMATS_DIR, else built
 * in) and the stylesheets (`xslt`: --xslt, else built in). NULL after saying on stderr why
 * (prefixed with `cmd`). The caller frees it with convert_engine_free. */
convert_engine *cli_engine(const char *cmd, const char *formats, const char *xslt);

#endif
