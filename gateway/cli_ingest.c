/* cli_ingest.c: `gateway ingest` (cli_ingest.h). */
#include "cli_ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "channel_dir.h"
#include "cli_messages.h"
#include "mapping.h"
#include "partner.h"

/* Whether the profiles in the configured folder include `id`; says why not on stderr. */
static bool partner_known(const gateway_config *cfg, const char *id)
{
    char canonical[PATH_MAX], schema[PATH_MAX], why[640] = "";
    snprintf(canonical, sizeof canonical, "%s/canonical/canonical.xsd", cfg->formats_dir);
    snprintf(schema, sizeof schema, "%s/../partners/partner.xsd", config_default_formats_dir());
    mapping_ctx *m = mapping_new(canonical);
    doc_findings f;
    doc_findings_init(&f);
    partner_set *ps = m ? partner_set_load(m, schema, cfg->partners_dir, &f, why, sizeof why) : NULL;
    bool ok = ps && partner_set_by_id(ps, id);
    if (!ps)
        fprintf(stderr, "gateway ingest: the partner profiles cannot be loaded: %s\n", why);
    else if (!ok)
        fprintf(stderr, "gateway ingest: no partner profile in %s has the id \"%s\"\n",
                cfg->partners_dir, id);
    partner_set_free(ps);
    doc_findings_free(&f);
    mapping_free(m);
    return ok;
}

int cli_ingest_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "partner", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *partner_id = NULL;
    bool help = false, bad = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'p')
            partner_id = optarg;
        else if (c == 'h')
            help = true;
        else
            bad = true;
    }
    if (help || bad || optind != argc - 1) {
        fputs("usage: gateway ingest [--config FILE] [--partner P] FILE|-\n"
              "\n"
              "Receive FILE (\"-\": standard input) by hand, exactly as an inbox folder does:\n"
              "its bytes go to the content store and a message with an \"identify\" job to the\n"
              "store, for the running daemon (`gateway serve`) to process. The partner is found\n"
              "from the content; --partner P says who sent it when the content cannot.\n"
              "Prints the new message's id.\n"
              "\n"
              "exit status: 0 stored; 2 usage, configuration or the file unreadable\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *path = argv[optind];
    gateway_config *cfg = NULL;
    store *s = NULL;
    content_store *cs = NULL;
    if (!cli_open_store("gateway ingest", config, &cfg, &s, &cs))
        return 2;
    int status = 2;
    int fd = !strcmp(path, "-") ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "gateway ingest: %s: %s\n", path, strerror(errno));
    } else if (!partner_id || partner_known(cfg, partner_id)) {
        const char *base = strrchr(path, '/');
        base = !strcmp(path, "-") ? "stdin" : base ? base + 1 : path;
        store_id id = 0;
        char cid[CONTENT_ID_SIZE] = "", why[640] = "";
        edi_result r = channel_receive_fd(s, cs, "cli", partner_id, base, fd, cfg->max_file_bytes,
                                          &id, cid, why, sizeof why);
        if (r == EDI_OK) {
            printf("%" PRId64 "\n", id);
            fprintf(stderr, "gateway ingest: %s stored as message %" PRId64 " (content %s); the "
                    "daemon identifies it next\n", path, id, cid);
            status = 0;
        } else if (r == EDI_E_LIMIT) {
            fprintf(stderr, "gateway ingest: %s is larger than %zu bytes (<inbox maxFileBytes> in "
                    "%s)\n", path, cfg->max_file_bytes, cfg->file);
        } else {
            fprintf(stderr, "gateway ingest: %s: %s\n", path, why);
        }
    }
    if (fd > STDIN_FILENO)
        close(fd);
    content_store_close(cs);
    store_close(s);
    config_free(cfg);
    return status;
}
