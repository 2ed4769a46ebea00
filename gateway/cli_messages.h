/* cli_messages.h: the support commands on the store: `gateway messages list`, `gateway
 * messages show ID` (with its related documents), `gateway reprocess [--edited FILE] ID`
 * and `gateway resend ID`, and opening the configured store for a command (shared with
 * `gateway ingest`). */
#ifndef CLI_MESSAGES_H
#define CLI_MESSAGES_H

#include "config.h"
#include "content_store.h"
#include "store.h"

int cli_messages_main(int argc, char **argv);
int cli_reprocess_main(int argc, char **argv);
int cli_resend_main(int argc, char **argv);

/* Load the configuration (config_path(config_option)) and open its store and content store
 * (either out pointer may be NULL: not opened). On failure says why on stderr, prefixed with
 * `cmd`, frees what it opened and returns false. The caller frees with config_free,
 * store_close and content_store_close. */
bool cli_open_store(const char *cmd, const char *config_option, gateway_config **cfg,
                    store **s, content_store **cs);

/* Print a configuration's findings and sentence on stderr (prefixed with `cmd`). */
void cli_config_refused(const char *cmd, const doc_findings *f, const char *why);

#endif
