/* cli_serve.c: `gateway serve` (cli_serve.h). */
#include "cli_serve.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_messages.h"
#include "config.h"
#include "daemon.h"

int cli_serve_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    bool help = false, bad = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'h')
            help = true;
        else
            bad = true;
    }
    if (help || bad || optind != argc) {
        fputs("usage: gateway serve [--config FILE]\n"
              "\n"
              "Run the gateway: the HTTP server, the workers that process received messages\n"
              "and the pollers of the inbox folders, as FILE says (formats/config/gateway.xsd;\n"
              "default: $GATEWAY_CONFIG, else ./gateway.xml). Stops cleanly on SIGTERM or\n"
              "SIGINT: no new work is taken and running steps finish.\n"
              "\n"
              "exit status: 0 stopped cleanly; 1 a thread failed; 2 the configuration, the\n"
              "data folder or a partner profile is unusable (stderr says which and where)\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    gateway_config *cfg = NULL;
    doc_findings f;
    doc_findings_init(&f);
    char why[640] = "";
    if (config_load(config_path(config), NULL, &cfg, &f, why, sizeof why) != EDI_OK) {
        cli_config_refused("gateway serve", &f, why);
        doc_findings_free(&f);
        return 2;
    }
    doc_findings_free(&f);
    int status = daemon_serve(cfg);
    config_free(cfg);
    return status;
}
