/* config.c: reading the daemon's configuration file (config.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "edi_xml.h"
#include "mapping.h"

#ifndef GATEWAY_FORMATS_DIR
#define GATEWAY_FORMATS_DIR "formats"
#endif

const char *config_default_formats_dir(void)
{
    return GATEWAY_FORMATS_DIR;
}

const char *config_default_xslt_dir(void)
{
    return GATEWAY_FORMATS_DIR "/../xslt";
}

const char *config_path(const char *option)
{
    if (option && *option)
        return option;
    const char *env = getenv("GATEWAY_CONFIG");
    return env && *env ? env : "gateway.xml";
}

const char *const config_seller_names[CONFIG_SELLER_FIELDS] = {
    "name", "gln", "vatId", "street", "postcode", "city", "country", "iban", "bic",
    "contactName", "contactPhone", "contactEmail"
};

void config_free(gateway_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CONFIG_SELLER_FIELDS; i++)
        free(c->seller[i]);
    free(c->file);
    free(c->data_dir);
    free(c->database);
    free(c->content_dir);
    free(c->partners_dir);
    free(c->formats_dir);
    free(c->xslt_dir);
    free(c->inbox_dir);
    free(c->smtp_url);
    free(c->mail_from);
    free(c->mail_from_name);
    free(c->smtp_user);
    free(c->smtp_password_env);
    free(c->smtp_ca_file);
    free(c->link_base);
    free(c->link_key_file);
    free(c->link_key_env);
    free(c->link_previous_key_file);
    free(c->link_previous_key_env);
    free(c);
}

/* `path` (absolute) with "." and ".." segments and repeated slashes removed, in place. */
static void normalize(char *path)
{
    char *out = path;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > path && *--out != '/')
                ;
            continue;
        }
        *out++ = '/';
        memmove(out, seg, n);
        out += n;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
}

/* `value` made absolute against `base` (an absolute folder) and normalized; malloc'd, NULL
 * when out of memory. */
static char *join(const char *base, const char *value)
{
    size_t n = strlen(base) + strlen(value) + 2;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (value[0] == '/')
        snprintf(p, n, "%s", value);
    else
        snprintf(p, n, "%s/%s", base, value);
    normalize(p);
    return p;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

/* Attribute `name` of `n` as a malloc'd string, NULL when absent. */
static char *attr(xmlNodePtr n, const char *name)
{
    if (!n)
        return NULL;
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

/* An unsigned attribute (the schema has checked its form and range); `def` when absent. */
static unsigned long long attr_num(xmlNodePtr n, const char *name, unsigned long long def)
{
    char *v = attr(n, name);
    if (!v)
        return def;
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    free(v);
    return errno ? def : x;
}

/* Path attribute `name` of `n` joined with `base` into *out; `def` (relative to base, or
 * absolute) when absent, nothing when def is NULL. False when out of memory. */
static bool path_attr(xmlNodePtr n, const char *name, const char *base, const char *def,
                      char **out)
{
    char *v = attr(n, name);
    if (!v && !def)
        return true;
    *out = join(base, v ? v : def);
    free(v);
    return *out != NULL;
}

/* <orders>: mail and approval settings (the schema has checked their forms). */
static edi_result read_orders(gateway_config *c, xmlNodePtr orders, const char *folder)
{
    c->approval_lifetime_hours = 72;
    c->approval_reminder_hours = 24;
    c->smtp_timeout_seconds = 30;
    xmlNodePtr mail = child(orders, "mail");
    if (mail) {
        char *tls = attr(mail, "starttls");
        c->smtp_starttls_required = tls && !strcmp(tls, "required");
        free(tls);
        c->smtp_url = attr(mail, "smtp");
        c->mail_from = attr(mail, "from");
        c->mail_from_name = attr(mail, "fromName");
        c->smtp_user = attr(mail, "user");
        c->smtp_password_env = attr(mail, "passwordEnv");
        c->smtp_timeout_seconds = (unsigned)attr_num(mail, "timeoutSeconds", 30);
        if (!c->smtp_url || !c->mail_from ||
            !path_attr(mail, "caFile", folder, NULL, &c->smtp_ca_file))
            return EDI_E_NOMEM;
    }
    xmlNodePtr appr = child(orders, "approval");
    if (appr) {
        c->link_base = attr(appr, "linkBase");
        c->link_key_env = attr(appr, "keyEnv");
        c->link_previous_key_env = attr(appr, "previousKeyEnv");
        c->approval_lifetime_hours = (unsigned)attr_num(appr, "lifetimeHours", 72);
        c->approval_reminder_hours = (unsigned)attr_num(appr, "reminderHours", 24);
        if (!c->link_base || !path_attr(appr, "keyFile", folder, NULL, &c->link_key_file) ||
            !path_attr(appr, "previousKeyFile", folder, NULL, &c->link_previous_key_file))
            return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* <http><adminKey env|file>: exactly one of the two (a finding at its line otherwise). */
static edi_result read_admin_key(gateway_config *c, xmlNodePtr http, const char *folder,
                                 const char *path, doc_findings *findings)
{
    xmlNodePtr key = child(http, "adminKey");
    if (!key)
        return EDI_OK;
    char *env = attr(key, "env"), *file = NULL;
    if (!path_attr(key, "file", folder, NULL, &file)) {
        free(env);
        return EDI_E_NOMEM;
    }
    edi_result r = EDI_OK;
    if (!env == !file) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(key), path,
                         "<adminKey> names %s: give env=\"VARIABLE\" (an environment variable "
                         "holding the ERP/admin API key) or file=\"PATH\" (a file of mode 600 "
                         "holding it), one of the two", env ? "both env and file" : "neither "
                         "env nor file");
        r = EDI_E_XML;
    } else if (file && strlen(file) >= sizeof c->admin_key_ref) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(key), path,
                         "<adminKey file> is a path longer than %zu bytes once made absolute; "
                         "use a shorter one", sizeof c->admin_key_ref - 1);
        r = EDI_E_XML;
    } else {
        c->admin_key_kind = env ? PARTNER_KEY_ENV : PARTNER_KEY_FILE;
        snprintf(c->admin_key_ref, sizeof c->admin_key_ref, "%s", env ? env : file);
    }
    free(env);
    free(file);
    return r;
}

static edi_result read_config(gateway_config *c, xmlNodePtr root, const char *folder,
                              const char *path, doc_findings *findings)
{
    xmlNodePtr data = child(root, "data");
    if (!path_attr(data, "folder", folder, NULL, &c->data_dir) || !c->data_dir)
        return EDI_E_NOMEM;
    if (!path_attr(data, "database", folder, NULL, &c->database) ||
        !path_attr(data, "content", folder, NULL, &c->content_dir))
        return EDI_E_NOMEM;
    if (!c->database && !(c->database = join(c->data_dir, "gateway.db")))
        return EDI_E_NOMEM;
    if (!c->content_dir && !(c->content_dir = join(c->data_dir, "content")))
        return EDI_E_NOMEM;
    if (!path_attr(child(root, "partners"), "folder", folder, NULL, &c->partners_dir) ||
        !c->partners_dir)
        return EDI_E_NOMEM;
    if (!path_attr(child(root, "formats"), "folder", folder, config_default_formats_dir(),
                   &c->formats_dir) ||
        !path_attr(child(root, "xslt"), "folder", folder, config_default_xslt_dir(), &c->xslt_dir))
        return EDI_E_NOMEM;

    xmlNodePtr http = child(root, "http");
    c->http_enabled = http != NULL;
    char *address = attr(http, "address");
    snprintf(c->http_address, sizeof c->http_address, "%s", address ? address : "127.0.0.1");
    free(address);
    c->http_port = (unsigned)attr_num(http, "port", 0);
    edi_result r = read_admin_key(c, http, folder, path, findings);
    if (r != EDI_OK)
        return r;

    xmlNodePtr workers = child(root, "workers");
    c->workers = (unsigned)attr_num(workers, "count", 2);
    c->lease_seconds = (unsigned)attr_num(workers, "leaseSeconds", 60);

    xmlNodePtr inbox = child(root, "inbox");
    if (!path_attr(inbox, "folder", folder, NULL, &c->inbox_dir))
        return EDI_E_NOMEM;
    c->poll_ms = (unsigned)attr_num(inbox, "pollMilliseconds", 1000);
    unsigned long long max = attr_num(inbox, "maxFileBytes", (unsigned long long)64 << 20);
    c->max_file_bytes = max > SIZE_MAX ? SIZE_MAX : (size_t)max;
    xmlNodePtr seller = child(root, "seller");
    for (size_t i = 0; seller && i < CONFIG_SELLER_FIELDS; i++)
        c->seller[i] = attr(seller, config_seller_names[i]);
    return read_orders(c, child(root, "orders"), folder);
}

/* The absolute path of `path` (which exists) and its folder; false when out of memory or
 * the file cannot be resolved. */
static bool absolute(const char *path, char **file, char **folder)
{
    char *abs = realpath(path, NULL);
    if (!abs)
        return false;
    char *dir = strdup(abs);
    if (!dir) {
        free(abs);
        return false;
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    *file = abs;
    *folder = dir;
    return true;
}

edi_result config_load(const char *path, const char *schema_path, gateway_config **out,
                       doc_findings *findings, char *why, size_t why_n)
{
    if (!path || !out || !findings)
        return EDI_E_ARG;
    *out = NULL;
    char xsd[PATH_MAX];
    if (!schema_path) {
        snprintf(xsd, sizeof xsd, "%s/config/gateway.xsd", config_default_formats_dir());
        schema_path = xsd;
    }
    xmlDocPtr doc = NULL;
    char reason[512] = "";
    edi_result r = edi_xml_parse_file(path, &doc, reason, sizeof reason);
    if (r != EDI_OK) {
        long line = 0;
        if (sscanf(reason, "line %ld:", &line) != 1)
            line = 0;
        if (r == EDI_E_XML || r == EDI_E_LIMIT) {
            doc_findings_add(findings, DOC_ERROR, "CONFIG", line, path, "%s", reason);
            edi_say(why, why_n, "the configuration %s is refused: %s", path, reason);
            return EDI_E_XML;
        }
        edi_say(why, why_n, "the configuration %s cannot be read: %s", path, reason);
        return r == EDI_E_NOMEM ? r : EDI_E_IO;
    }
    mapping_ctx *m = mapping_new(schema_path);
    if (!m) {
        xmlFreeDoc(doc);
        edi_say(why, why_n, "out of memory reading the configuration %s", path);
        return EDI_E_NOMEM;
    }
    size_t before = findings->count;
    char sentence[512] = "";
    r = mapping_schema_check(m, schema_path, doc, DOC_ERROR, "CONFIG", findings, sentence,
                             sizeof sentence);
    mapping_free(m);
    for (size_t i = before; i < findings->count; i++) {
        doc_finding *f = &findings->items[i];
        char where[512];
        int n = snprintf(where, sizeof where, "%s%s%s", path, f->where[0] ? " " : "", f->where);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof f->where ? (size_t)n : sizeof f->where - 1;
        memcpy(f->where, where, len);
        f->where[len] = '\0';
    }
    if (r != EDI_OK) {
        xmlFreeDoc(doc);
        if (r == EDI_E_XML) {
            const doc_finding *first = findings->count > before ? &findings->items[before] : NULL;
            edi_say(why, why_n, "the configuration %s is refused: line %ld: %s", path,
                    first ? first->line : 0L, first ? first->text : sentence);
        } else {
            edi_say(why, why_n, "the configuration %s cannot be checked: %s", path, sentence);
        }
        return r;
    }
    gateway_config *c = calloc(1, sizeof *c);
    char *folder = NULL;
    if (!c || !absolute(path, &c->file, &folder)) {
        config_free(c);
        xmlFreeDoc(doc);
        edi_say(why, why_n, "the configuration %s cannot be resolved: %s", path, strerror(errno));
        return EDI_E_IO;
    }
    size_t known = findings->count;
    r = read_config(c, xmlDocGetRootElement(doc), folder, path, findings);
    free(folder);
    xmlFreeDoc(doc);
    if (r == EDI_E_XML && findings->count > known) {
        const doc_finding *first = &findings->items[known];
        edi_say(why, why_n, "the configuration %s is refused: line %ld: %s", path, first->line,
                first->text);
        config_free(c);
        return r;
    }
    if (r != EDI_OK) {
        config_free(c);
        edi_say(why, why_n, "out of memory reading the configuration %s", path);
        return r;
    }
    *out = c;
    return EDI_OK;
}
