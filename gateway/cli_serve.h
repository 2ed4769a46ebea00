/* cli_serve.h: `gateway serve --config FILE`: loads the configuration and runs the daemon. */
#ifndef CLI_SERVE_H
#define CLI_SERVE_H

int cli_serve_main(int argc, char **argv);

#endif
