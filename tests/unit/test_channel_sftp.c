/* The SFTP channel without a server (gateway/channel_sftp.h, gateway/sftp_client.h, the
 * <sftp> part of gateway/partner.c): the completeness rules (stable across two listings,
 * a marker next to the file, a rename convention, the file pattern, hidden files and
 * folders left alone); the host key fingerprint as `ssh-keygen -lf` prints it; the
 * profile's SFTP settings read with their defaults and paths resolved against the
 * profile's folder, and each impossible combination refused with its sentence and line;
 * the per-partner connection limit. tests/integration/test_sftp.sh covers a real sshd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "channel_sftp.h"
#include "mapping.h"
#include "partner.h"
#include "sftp_client.h"

#define CANONICAL_XSD GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define PARTNER_XSD GATEWAY_FORMATS_DIR "/../partners/partner.xsd"

static sftp_entry file(const char *name, uint64_t size, int64_t mtime)
{
    sftp_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.name, sizeof e.name, "%s", name);
    e.size = size;
    e.mtime = mtime;
    e.regular = true;
    return e;
}

static void stable_needs_two_equal_looks(void **state)
{
    (void)state;
    partner_sftp cfg = { .complete = PARTNER_SFTP_STABLE, .pattern = "*" };
    sftp_entry before[] = { file("same.edi", 10, 100), file("grown.edi", 10, 100),
                            file("touched.edi", 10, 100) };
    sftp_entry now[] = { file("same.edi", 10, 100), file("grown.edi", 12, 100),
                         file("touched.edi", 10, 101), file("new.edi", 5, 100) };
    bool take[4];
    channel_sftp_select(&cfg, now, 4, before, 3, take);
    assert_true(take[0]);
    assert_false(take[1]);  /* size changed */
    assert_false(take[2]);  /* modification time changed */
    assert_false(take[3]);  /* seen once */
    /* The first look of all takes nothing. */
    channel_sftp_select(&cfg, now, 4, NULL, 0, take);
    for (int i = 0; i < 4; i++)
        assert_false(take[i]);
}

static void marker_needs_its_marker(void **state)
{
    (void)state;
    partner_sftp cfg = { .complete = PARTNER_SFTP_MARKER, .pattern = "*", .marker_suffix = ".ok" };
    sftp_entry now[] = { file("a.edi", 10, 100), file("a.edi.ok", 0, 100), file("b.edi", 10, 100),
                         file("c.edi.ok", 0, 100) };
    bool take[4];
    channel_sftp_select(&cfg, now, 4, NULL, 0, take);
    assert_true(take[0]);   /* its marker is there: taken at the first look */
    assert_false(take[1]);  /* a marker is never a document */
    assert_false(take[2]);  /* no marker yet */
    assert_false(take[3]);  /* an orphan marker */
}

static void rename_ignores_the_temporary_names(void **state)
{
    (void)state;
    partner_sftp cfg = { .complete = PARTNER_SFTP_RENAME, .pattern = "*",
                         .ignore_pattern = "*.part" };
    sftp_entry now[] = { file("x.edi.part", 10, 100), file("x.edi", 10, 100) };
    bool take[2];
    channel_sftp_select(&cfg, now, 2, NULL, 0, take);
    assert_false(take[0]);
    assert_true(take[1]);
}

static void pattern_hidden_and_folders(void **state)
{
    (void)state;
    partner_sftp cfg = { .complete = PARTNER_SFTP_RENAME, .pattern = "ORD*.edi",
                         .ignore_pattern = "*.tmp" };
    sftp_entry folder = file("ORDfolder.edi", 0, 100);
    folder.regular = false;
    sftp_entry now[] = { file("ORD1.edi", 1, 1), file("INV1.edi", 1, 1), file(".ORD2.edi", 1, 1),
                         folder, file("ORD3.EDI", 1, 1) };
    bool take[5];
    channel_sftp_select(&cfg, now, 5, NULL, 0, take);
    assert_true(take[0]);
    assert_false(take[1]);  /* not the pattern */
    assert_false(take[2]);  /* hidden */
    assert_false(take[3]);  /* a folder */
    assert_false(take[4]);  /* the pattern is case-sensitive */
}

/* ssh-keygen -lf of "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdz4uJ5r3VwNNVtcMwJldBnNBPPBtFjR6Y6Vldgn4YV"
 * printed SHA256:gNcPzLYWenqC/iIr26p3zMkAYMez93d9aF0aBYYJcbY. */
static void fingerprint_as_ssh_keygen_prints_it(void **state)
{
    (void)state;
    const char *b64 = "AAAAC3NzaC1lZDI1NTE5AAAAIGdz4uJ5r3VwNNVtcMwJldBnNBPPBtFjR6Y6Vldgn4YV";
    unsigned char blob[128];
    int n = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)strlen(b64));
    assert_int_equal(n, 51); /* "ssh-ed25519" and the 32-byte key, each with its length */
    char fp[SFTP_FINGERPRINT_MAX];
    sftp_fingerprint(blob, (size_t)n, fp);
    assert_string_equal(fp, "SHA256:gNcPzLYWenqC/iIr26p3zMkAYMez93d9aF0aBYYJcbY");
    blob[5] ^= 1;
    sftp_fingerprint(blob, (size_t)n, fp);
    assert_string_not_equal(fp, "SHA256:gNcPzLYWenqC/iIr26p3zMkAYMez93d9aF0aBYYJcbY");
}

/* ---- profiles ------------------------------------------------------------------------ */

typedef struct {
    char dir[64];
    mapping_ctx *m;
    doc_findings f;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_channel_sftp.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    fx->m = mapping_new(CANONICAL_XSD);
    doc_findings_init(&fx->f);
    *state = fx;
    return fx->m ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    doc_findings_free(&fx->f);
    mapping_free(fx->m);
    free(fx);
    return 0;
}

/* Write a profile with `channel` inside <sftp> after its host, port (0: none) and user,
 * and `answers` before the channel, and load it. */
static edi_result load_port(fixture *fx, const char *answers, unsigned port, const char *channel,
                            partner **p)
{
    char path[128];
    snprintf(path, sizeof path, "%s/p.xml", fx->dir);
    char port_el[32] = "";
    if (port)
        snprintf(port_el, sizeof port_el, "<port>%u</port>", port);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<partner xmlns=\"urn:edi-gateway:partner:1\" id=\"p\">\n"
               "  <name>P</name>\n"
               "  %s\n"
               "  <channel>\n"
               "    <sftp>\n"
               "      <host>sftp.example.com</host>\n"
               "      %s\n"
               "      <user>edi</user>\n"
               "%s\n"
               "    </sftp>\n"
               "  </channel>\n"
               "</partner>\n", answers, port_el, channel);
    fclose(f);
    char why[512] = "";
    doc_findings_free(&fx->f);
    doc_findings_init(&fx->f);
    return partner_load(fx->m, PARTNER_XSD, path, p, &fx->f, why, sizeof why);
}

static edi_result load(fixture *fx, const char *answers, const char *channel, partner **p)
{
    return load_port(fx, answers, 0, channel, p);
}

#define HOSTKEY "<hostKey sha256=\"SHA256:gNcPzLYWenqC/iIr26p3zMkAYMez93d9aF0aBYYJcbY\"/>"

static void settings_and_defaults(void **state)
{
    fixture *fx = *state;
    partner *p = NULL;
    assert_int_equal(load(fx, "", "<privateKey file=\"keys/edi.key\" passphraseFile=\"/etc/gw/pass\"/>"
                          HOSTKEY "<pull folder=\"/out\"/><push folder=\"/in\"/>", &p), EDI_OK);
    assert_int_equal(p->channel, PARTNER_CHANNEL_SFTP);
    const partner_sftp *s = &p->sftp;
    assert_string_equal(s->host, "sftp.example.com");
    assert_int_equal(s->port, 22);
    assert_string_equal(s->user, "edi");
    char want[128];
    snprintf(want, sizeof want, "%s/keys/edi.key", fx->dir);
    assert_string_equal(s->key_file, want);
    assert_string_equal(s->passphrase_file, "/etc/gw/pass");
    assert_string_equal(s->password_file, "");
    assert_string_equal(s->host_key, "SHA256:gNcPzLYWenqC/iIr26p3zMkAYMez93d9aF0aBYYJcbY");
    assert_int_equal(s->max_connections, 2);
    assert_int_equal(s->timeout_s, 30);
    assert_true(s->pull);
    assert_string_equal(s->pull_folder, "/out");
    assert_string_equal(s->pattern, "*");
    assert_int_equal(s->interval_s, 60);
    assert_int_equal(s->complete, PARTNER_SFTP_STABLE);
    assert_string_equal(s->archive_folder, "");
    assert_true(s->push);
    assert_string_equal(s->push_folder, "/in");
    assert_string_equal(s->temp_suffix, ".part");
    partner_free(p);

    assert_int_equal(load_port(fx, "<answers><orderResponse format=\"opentrans\"/></answers>", 2222,
                               "<password file=\"pw.txt\"/>" HOSTKEY
                               "<pull folder=\"out\" pattern=\"*.xml\" intervalSeconds=\"5\" "
                               "complete=\"marker\" markerSuffix=\".done\"><archive "
                               "folder=\"done\"/></pull><push folder=\"in\" tempSuffix=\".tmp\"/>",
                               &p), EDI_OK);
    s = &p->sftp;
    assert_int_equal(s->port, 2222);
    snprintf(want, sizeof want, "%s/pw.txt", fx->dir);
    assert_string_equal(s->password_file, want);
    assert_string_equal(s->key_file, "");
    assert_string_equal(s->pattern, "*.xml");
    assert_int_equal(s->interval_s, 5);
    assert_int_equal(s->complete, PARTNER_SFTP_MARKER);
    assert_string_equal(s->marker_suffix, ".done");
    assert_string_equal(s->archive_folder, "done");
    assert_string_equal(s->temp_suffix, ".tmp");
    partner_free(p);
}

/* load() must refuse with a PARTNER-CHECK finding whose text has `needle`. */
static void refused(fixture *fx, const char *answers, const char *channel, const char *needle)
{
    partner *p = NULL;
    assert_int_equal(load(fx, answers, channel, &p), EDI_E_XML);
    assert_null(p);
    bool found = false;
    for (size_t i = 0; i < fx->f.count; i++)
        if (strstr(fx->f.items[i].text, needle) && fx->f.items[i].line > 0)
            found = !strcmp(fx->f.items[i].rule, "PARTNER-CHECK") || found;
    if (!found)
        fail_msg("no PARTNER-CHECK finding says \"%s\" (%zu findings, first: %s)", needle,
                 fx->f.count, fx->f.count ? fx->f.items[0].text : "-");
}

static void impossible_combinations(void **state)
{
    fixture *fx = *state;
    const char *key = "<privateKey file=\"k\"/>" HOSTKEY;
    char channel[512];
    snprintf(channel, sizeof channel, "%s", key);
    refused(fx, "", channel, "neither pulls nor pushes");
    snprintf(channel, sizeof channel, "%s<pull pattern=\"*\"/>", key);
    refused(fx, "", channel, "<pull> names no folder");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\" complete=\"marker\"/>", key);
    refused(fx, "", channel, "no markerSuffix is given");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\" markerSuffix=\".ok\"/>", key);
    refused(fx, "", channel, "markerSuffix is only used with complete=\"marker\"");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\" complete=\"rename\"/>", key);
    refused(fx, "", channel, "needs the names the partner writes under");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\" ignorePattern=\"*.part\"/>", key);
    refused(fx, "", channel, "ignorePattern is only used with complete=\"rename\"");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\"><archive folder=\"/o\"/></pull>", key);
    refused(fx, "", channel, "the archive folder is the pull folder");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\"/><push folder=\"/o\"/>", key);
    refused(fx, "", channel, "the push folder is the pull folder");
    snprintf(channel, sizeof channel, "%s<push/>", key);
    refused(fx, "", channel, "<push> names no folder");
    snprintf(channel, sizeof channel, "%s<pull folder=\"/o\"/>", key);
    refused(fx, "<answers><orderResponse format=\"opentrans\"/></answers>", channel,
            "<push folder=");

    /* The schema: the host key is required and has the form ssh-keygen prints. */
    partner *p = NULL;
    assert_int_equal(load(fx, "", "<privateKey file=\"k\"/><pull folder=\"/o\"/>", &p), EDI_E_XML);
    assert_int_equal(load(fx, "", "<privateKey file=\"k\"/><hostKey sha256=\"MD5:aa\"/>"
                          "<pull folder=\"/o\"/>", &p), EDI_E_XML);
    assert_null(p);
}

/* ---- the connection limit ------------------------------------------------------------ */

static void *hold_then_leave(void *arg)
{
    sftp_gate *g = arg;
    usleep(100 * 1000);
    sftp_gate_leave(g, "a");
    return NULL;
}

static void gate_limits_per_partner(void **state)
{
    (void)state;
    sftp_gate *g = sftp_gate_new();
    assert_non_null(g);
    assert_true(sftp_gate_enter(g, "a", 2, 0));
    assert_true(sftp_gate_enter(g, "a", 2, 0));
    assert_false(sftp_gate_enter(g, "a", 2, 50));   /* both in use: waits, then gives up */
    assert_true(sftp_gate_enter(g, "b", 2, 0));     /* another partner has its own */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hold_then_leave, g), 0);
    assert_true(sftp_gate_enter(g, "a", 2, 5000));  /* woken when one is left */
    pthread_join(t, NULL);
    sftp_gate_leave(g, "a");
    sftp_gate_leave(g, "a");
    sftp_gate_leave(g, "b");
    sftp_gate_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stable_needs_two_equal_looks),
        cmocka_unit_test(marker_needs_its_marker),
        cmocka_unit_test(rename_ignores_the_temporary_names),
        cmocka_unit_test(pattern_hidden_and_folders),
        cmocka_unit_test(fingerprint_as_ssh_keygen_prints_it),
        cmocka_unit_test_setup_teardown(settings_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(impossible_combinations, setup, teardown),
        cmocka_unit_test(gate_limits_per_partner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
