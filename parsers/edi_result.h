/* edi_result.h: the one result code of the project and its readable text. Every function
 * in parsers/ and gateway/ that can fail returns an edi_result; details about *where* a
 * problem is in a document travel as findings (edi_finding.h, gateway/doc_finding.h). */
#ifndef EDI_RESULT_H
#define EDI_RESULT_H

#include <stddef.h>

typedef enum {
    EDI_OK = 0,
    EDI_END,            /* no more data: normal end of input */
    EDI_E_NOMEM,        /* an allocation failed */
    EDI_E_IO,           /* reading or writing a file failed (errno is kept) */
    EDI_E_TRUNCATED,    /* the input ends inside a segment */
    EDI_E_LIMIT,        /* a configured size limit was exceeded */
    EDI_E_SYNTAX,       /* the input is not EDIFACT at all (no UNA/UNB/UNH) */
    EDI_E_CHARSET,      /* a character set is unknown or not supported */
    EDI_E_DIRECTORY,    /* a directory file is missing or malformed */
    EDI_E_XML,          /* an EDIFACT-XML document is not what we expect */
    EDI_E_ARG,          /* a caller passed an invalid argument */
    EDI_E_NOT_FOUND,    /* the store has no such record (message, job, order, ...) */
    EDI_E_CONFLICT,     /* the record changed under us: a lost lease, a duplicate key */
    EDI_E_STORE,        /* the database failed (disk, corruption, locked too long) */
    EDI_E_CORRUPT,      /* stored bytes no longer match their checksum */
    EDI_RESULT_COUNT
} edi_result;

/* A static English sentence for the code; never NULL. */
const char *edi_result_str(edi_result r);

/* Write the sentence that goes with a result into the caller's `why` buffer (which may be
 * NULL or of size 0: then nothing is written). */
void edi_say(char *why, size_t why_n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
