/* The daemon's configuration (gateway/config.h): a full file is read with every path made
 * absolute against the file's folder; a minimal one gets the defaults (loopback, built-in
 * formats and stylesheets, database and content store under the data folder); a file the
 * schema refuses names the file and the line of the problem; a file that is not XML or is
 * missing is refused with a sentence. The ERP/admin API key is named by an environment
 * variable or a file (made absolute), one of the two: both or neither is refused with the
 * line. The demo configuration in samples/ is valid and names its key file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define SAMPLE GATEWAY_FORMATS_DIR "/../samples/gateway.xml"

typedef struct {
    char dir[64];
    char file[128];
    doc_findings f;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_config.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->file, sizeof fx->file, "%s/gw.xml", fx->dir);
    doc_findings_init(&fx->f);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    unlink(fx->file);
    rmdir(fx->dir);
    doc_findings_free(&fx->f);
    free(fx);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void full_file_is_read(void **state)
{
    fixture *fx = *state;
    write_file(fx->file,
               "<?xml version=\"1.0\"?>\n"
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\" database=\"/srv/gw/main.db\"/>\n"
               "  <partners folder=\"./a/../profiles/\"/>\n"
               "  <formats folder=\"/opt/formats\"/>\n"
               "  <xslt folder=\"x\"/>\n"
               "  <http address=\"0.0.0.0\" port=\"9000\"/>\n"
               "  <workers count=\"4\" leaseSeconds=\"5\"/>\n"
               "  <inbox folder=\"in\" pollMilliseconds=\"200\" maxFileBytes=\"1000\"/>\n"
               "</gateway>\n");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    assert_int_equal(fx->f.count, 0);
    char real[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(realpath(fx->dir, real));
    snprintf(want, sizeof want, "%s/gw.xml", real);
    assert_string_equal(c->file, want);
    snprintf(want, sizeof want, "%s/var", real);
    assert_string_equal(c->data_dir, want);
    assert_string_equal(c->database, "/srv/gw/main.db");
    snprintf(want, sizeof want, "%s/var/content", real);
    assert_string_equal(c->content_dir, want);
    snprintf(want, sizeof want, "%s/profiles", real);
    assert_string_equal(c->partners_dir, want);
    assert_string_equal(c->formats_dir, "/opt/formats");
    snprintf(want, sizeof want, "%s/x", real);
    assert_string_equal(c->xslt_dir, want);
    snprintf(want, sizeof want, "%s/in", real);
    assert_string_equal(c->inbox_dir, want);
    assert_true(c->http_enabled);
    assert_string_equal(c->http_address, "0.0.0.0");
    assert_int_equal(c->http_port, 9000);
    assert_int_equal(c->workers, 4);
    assert_int_equal(c->lease_seconds, 5);
    assert_int_equal(c->poll_ms, 200);
    assert_int_equal(c->max_file_bytes, 1000);
    assert_int_equal(c->admin_key_kind, PARTNER_KEY_NONE);
    assert_string_equal(c->admin_key_ref, "");
    config_free(c);
}

static void admin_key_env_or_file(void **state)
{
    fixture *fx = *state;
    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\"/><partners folder=\"p\"/>\n"
               "  <http port=\"9000\"><adminKey env=\"GW_ADMIN_KEY\"/></http>\n"
               "</gateway>\n");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    assert_int_equal(c->admin_key_kind, PARTNER_KEY_ENV);
    assert_string_equal(c->admin_key_ref, "GW_ADMIN_KEY");
    config_free(c);

    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\"/><partners folder=\"p\"/>\n"
               "  <http port=\"9000\"><adminKey file=\"keys/../admin.key\"/></http>\n"
               "</gateway>\n");
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    assert_int_equal(c->admin_key_kind, PARTNER_KEY_FILE);
    char real[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(realpath(fx->dir, real));
    snprintf(want, sizeof want, "%s/admin.key", real);
    assert_string_equal(c->admin_key_ref, want);
    config_free(c);
    assert_int_equal(fx->f.count, 0);
}

static void admin_key_both_or_neither_is_refused(void **state)
{
    fixture *fx = *state;
    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\"/><partners folder=\"p\"/>\n"
               "  <http port=\"9000\">\n"
               "    <adminKey env=\"GW_ADMIN_KEY\" file=\"admin.key\"/>\n"
               "  </http>\n"
               "</gateway>\n");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
    assert_null(c);
    assert_int_equal(fx->f.count, 1);
    assert_int_equal(fx->f.items[0].line, 4);
    assert_string_equal(fx->f.items[0].rule, "CONFIG");
    assert_non_null(strstr(fx->f.items[0].text, "both env and file"));
    assert_non_null(strstr(why, "line 4"));
    assert_non_null(strstr(why, fx->file));

    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\"/><partners folder=\"p\"/>\n"
               "  <http port=\"9000\"><adminKey/></http>\n"
               "</gateway>\n");
    why[0] = '\0';
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
    assert_int_equal(fx->f.count, 2);
    assert_int_equal(fx->f.items[1].line, 3);
    assert_non_null(strstr(why, "neither env nor file"));

    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\"/><partners folder=\"p\"/>\n"
               "  <http port=\"9000\"><adminKey env=\"1BAD\"/></http>\n"
               "</gateway>\n");
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
    assert_int_equal(fx->f.items[2].line, 3);
}

static void minimal_file_gets_defaults(void **state)
{
    fixture *fx = *state;
    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">"
               "<data folder=\"/var/lib/gw\"/><partners folder=\"p\"/></gateway>");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    assert_string_equal(c->database, "/var/lib/gw/gateway.db");
    assert_string_equal(c->content_dir, "/var/lib/gw/content");
    char real[PATH_MAX];
    assert_non_null(realpath(config_default_formats_dir(), real));
    assert_string_equal(c->formats_dir, real);
    assert_non_null(realpath(config_default_xslt_dir(), real));
    assert_string_equal(c->xslt_dir, real);
    assert_null(c->inbox_dir);
    assert_false(c->http_enabled);
    assert_string_equal(c->http_address, "127.0.0.1");
    assert_int_equal(c->workers, 2);
    assert_int_equal(c->lease_seconds, 60);
    assert_int_equal(c->poll_ms, 1000);
    assert_int_equal(c->max_file_bytes, (size_t)64 << 20);
    config_free(c);
}

static void refused_file_names_file_and_line(void **state)
{
    fixture *fx = *state;
    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
               "  <data folder=\"var\"/>\n"
               "  <partners folder=\"p\"/>\n"
               "  <workers count=\"0\"/>\n"
               "  <inbox pollMilliseconds=\"fast\"/>\n"
               "</gateway>\n");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
    assert_null(c);
    assert_int_equal(fx->f.count, 2);
    assert_int_equal(fx->f.items[0].line, 4);
    assert_int_equal(fx->f.items[1].line, 5);
    assert_string_equal(fx->f.items[0].rule, "CONFIG");
    assert_non_null(strstr(fx->f.items[0].where, fx->file));
    assert_non_null(strstr(why, "line 4"));
    assert_non_null(strstr(why, fx->file));
}

static void missing_element_is_refused(void **state)
{
    fixture *fx = *state;
    write_file(fx->file, "<gateway xmlns=\"urn:edi-gateway:config:1\">\n<data folder=\"v\"/>\n</gateway>\n");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
    assert_true(fx->f.count >= 1);
    assert_non_null(strstr(fx->f.items[0].text, "partners"));
}

static void not_xml_and_missing_file(void **state)
{
    fixture *fx = *state;
    write_file(fx->file, "<gateway xmlns=\"urn:edi-gateway:config:1\">\n<data folder=\"v\">\n");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
    assert_int_equal(fx->f.count, 1);
    assert_true(fx->f.items[0].line >= 2);
    why[0] = '\0';
    assert_int_equal(config_load("/nonexistent/gw.xml", NULL, &c, &fx->f, why, sizeof why), EDI_E_IO);
    assert_non_null(strstr(why, "/nonexistent/gw.xml"));
}

static void sample_is_valid(void **state)
{
    fixture *fx = *state;
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(SAMPLE, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    char top[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(realpath(GATEWAY_FORMATS_DIR "/..", top));
    snprintf(want, sizeof want, "%s/var", top);
    assert_string_equal(c->data_dir, want);
    snprintf(want, sizeof want, "%s/var/inbox", top);
    assert_string_equal(c->inbox_dir, want);
    snprintf(want, sizeof want, "%s/samples/partners", top);
    assert_string_equal(c->partners_dir, want);
    assert_true(c->http_enabled);
    assert_string_equal(c->http_address, "127.0.0.1");
    assert_int_equal(c->admin_key_kind, PARTNER_KEY_FILE);
    snprintf(want, sizeof want, "%s/var/admin-api.key", top);
    assert_string_equal(c->admin_key_ref, want);
    assert_non_null(c->link_base);
    assert_non_null(c->smtp_url);
    assert_string_equal(c->seller[CONFIG_SELLER_GLN], "4098765000010");
    assert_non_null(c->seller[CONFIG_SELLER_NAME]);
    config_free(c);
}

/* <seller>: the fields given are read, the others stay NULL; a minimal file has none; the
 * schema refuses a GLN that is not 13 digits and an IBAN with spaces, naming the line. */
static void seller_is_read_and_checked(void **state)
{
    fixture *fx = *state;
    write_file(fx->file,
               "<gateway xmlns=\"urn:edi-gateway:config:1\">"
               "<data folder=\"/var/lib/gw\"/><partners folder=\"p\"/>"
               "<seller name=\"Haustechnik Sued GmbH\" gln=\"4098765000010\" "
               "vatId=\"DE123456789\" country=\"DE\" iban=\"DE02120300000000202051\" "
               "contactEmail=\"a.schmidt@haustechnik-sued.example\"/></gateway>");
    gateway_config *c = NULL;
    char why[512] = "";
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    assert_string_equal(c->seller[CONFIG_SELLER_NAME], "Haustechnik Sued GmbH");
    assert_string_equal(c->seller[CONFIG_SELLER_GLN], "4098765000010");
    assert_string_equal(c->seller[CONFIG_SELLER_VAT_ID], "DE123456789");
    assert_string_equal(c->seller[CONFIG_SELLER_IBAN], "DE02120300000000202051");
    assert_string_equal(c->seller[CONFIG_SELLER_CONTACT_EMAIL],
                        "a.schmidt@haustechnik-sued.example");
    assert_null(c->seller[CONFIG_SELLER_STREET]);
    assert_null(c->seller[CONFIG_SELLER_BIC]);
    config_free(c);

    static const char *const bad[] = { "gln=\"409876500001\"", "iban=\"DE02 1203 0000\"",
                                        "country=\"Germany\"" };
    for (size_t i = 0; i < 3; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "<gateway xmlns=\"urn:edi-gateway:config:1\">\n"
                 "<data folder=\"/var/lib/gw\"/><partners folder=\"p\"/>\n"
                 "<seller %s/></gateway>", bad[i]);
        write_file(fx->file, text);
        c = NULL;
        doc_findings_free(&fx->f);
        doc_findings_init(&fx->f);
        assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_E_XML);
        assert_null(c);
        assert_true(fx->f.count >= 1);
        assert_int_equal(fx->f.items[0].line, 3);
    }

    write_file(fx->file, "<gateway xmlns=\"urn:edi-gateway:config:1\">"
                         "<data folder=\"/var/lib/gw\"/><partners folder=\"p\"/></gateway>");
    assert_int_equal(config_load(fx->file, NULL, &c, &fx->f, why, sizeof why), EDI_OK);
    for (size_t i = 0; i < CONFIG_SELLER_FIELDS; i++)
        assert_null(c->seller[i]);
    config_free(c);
}

static void config_path_order(void **state)
{
    (void)state;
    assert_string_equal(config_path("a.xml"), "a.xml");
    setenv("GATEWAY_CONFIG", "/etc/gw.xml", 1);
    assert_string_equal(config_path(NULL), "/etc/gw.xml");
    unsetenv("GATEWAY_CONFIG");
    assert_string_equal(config_path(NULL), "gateway.xml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(full_file_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(minimal_file_gets_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(admin_key_env_or_file, setup, teardown),
        cmocka_unit_test_setup_teardown(admin_key_both_or_neither_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_file_names_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_element_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(not_xml_and_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(sample_is_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(seller_is_read_and_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(config_path_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
