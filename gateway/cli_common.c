#include "cli_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef GATEWAY_FORMATS_DIR
#define GATEWAY_FORMATS_DIR "formats"
#endif

const char *cli_formats_root(const char *option)
{
    if (option)
        return option;
    const char *env = getenv("EDI_FORMATS_DIR");
    return env && *env ? env : GATEWAY_FORMATS_DIR;
}

edi_directory *cli_open_directory(const char *cmd, const char *formats_option, const char *hint)
{
    char path[4096], probe[4200];
    snprintf(path, sizeof path, "%s/edifact", cli_formats_root(formats_option));
    /* The directory loads lazily; a wrong folder would otherwise only show as "no
     * directory" findings for every message. */
    snprintf(probe, sizeof probe, "%s/service/v3.edd", path);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "gateway %s: no EDIFACT directory definitions in %s (%s); give the formats "
                "folder with --formats or EDI_FORMATS_DIR%s\n", cmd, path, strerror(errno),
                hint ? hint : "");
        return NULL;
    }
    edi_directory *d = edi_directory_open(path);
    if (!d)
        fprintf(stderr, "gateway %s: out of memory opening the directory definitions\n", cmd);
    return d;
}

bool cli_read_input(const char *cmd, const char *path, size_t limit, edi_buf *b)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0) {
        fprintf(stderr, "gateway %s: %s: %s\n", cmd, path, strerror(errno));
        return false;
    }
    edi_result r = edi_buf_read_fd(b, fd, limit);
    int err = errno;
    if (fd != STDIN_FILENO)
        close(fd);
    if (r == EDI_E_LIMIT)
        fprintf(stderr, "gateway %s: %s: larger than %zu MiB (%zu bytes), the most this command "
                "reads\n", cmd, path, limit >> 20, limit);
    else if (r == EDI_E_IO)
        fprintf(stderr, "gateway %s: %s: %s\n", cmd, path, strerror(err));
    else if (r != EDI_OK)
        fprintf(stderr, "gateway %s: %s: %s\n", cmd, path, edi_result_str(r));
    return r == EDI_OK;
}

bool cli_date(const char *arg, char date[9], char hhmm[5])
{
    if (arg) {
        if (strlen(arg) != 13 || arg[8] != ':' || strspn(arg, "0123456789") != 8 ||
            strspn(arg + 9, "0123456789") != 4)
            return false;
        memcpy(date, arg, 8);
        date[8] = '\0';
        memcpy(hhmm, arg + 9, 4);
        hhmm[4] = '\0';
        return true;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, 9, "%Y%m%d", &tm);
    strftime(hhmm, 5, "%H%M", &tm);
    return true;
}
