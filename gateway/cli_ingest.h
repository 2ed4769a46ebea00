/* cli_ingest.h: `gateway ingest [--config F] [--partner P] FILE|-`: receives a file by hand
 * exactly as an inbox does (content store, message, "identify" job) for the daemon. */
#ifndef CLI_INGEST_H
#define CLI_INGEST_H

int cli_ingest_main(int argc, char **argv);

#endif
