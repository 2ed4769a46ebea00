/* cli_import.h: `gateway import`: master data from CSV files into the store. It owns reading
 * RFC 4180 CSV (UTF-8, an optional byte order mark, a header row naming the columns in any
 * order, quoted fields with commas, quotes and line breaks), turning each row into a record
 * of store_master.h, and the import itself: all rows or none, in one transaction, every
 * refused row named by file, line and column with what to write instead. */
#ifndef CLI_IMPORT_H
#define CLI_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "edi_result.h"
#include "store.h"

typedef enum { IMPORT_CUSTOMERS, IMPORT_USERS, IMPORT_ARTICLES, IMPORT_CONTRACTS } import_kind;

/* "customers", "users", "articles", "contracts" into *out; false for anything else. */
bool import_kind_parse(const char *name, import_kind *out);

typedef struct {
    size_t rows;                  /* data rows read */
    size_t added, changed, unchanged;
    size_t refused;               /* rows with a problem (then nothing was imported) */
} import_counts;

/* Import the CSV text `data` (`len` bytes; `name` is the file name the messages use) of
 * `kind` into `s`, in one transaction of its own (no transaction may be open on `s`).
 * EDI_OK: every row was stored, *counts says how. EDI_E_ARG: the file was refused and
 * nothing changed; each problem is written to `problems` (when not NULL) as one line
 * "NAME line L, column C: what is wrong; what to write", the first also to `why` (with the
 * number of others). Other results (EDI_E_STORE, EDI_E_NOMEM): the import could not run;
 * nothing changed either. */
edi_result import_csv(store *s, import_kind kind, const char *name, const char *data, size_t len,
                      import_counts *counts, FILE *problems, char *why, size_t why_n);

/* `gateway import [--config FILE | --db PATH] KIND CSVFILE`; argv[0] is "import". Exit
 * status 0 imported, 1 the file was refused, 2 usage, configuration, database or file
 * unreadable. */
int cli_import_main(int argc, char **argv);

#endif
