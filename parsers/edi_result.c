#include "edi_result.h"

#include <stdarg.h>
#include <stdio.h>

const char *edi_result_str(edi_result r)
{
    switch (r) {
    case EDI_OK:          return "no error";
    case EDI_END:         return "end of input";
    case EDI_E_NOMEM:     return "out of memory";
    case EDI_E_IO:        return "the file could not be read or written";
    case EDI_E_TRUNCATED: return "the input ends in the middle of a segment";
    case EDI_E_LIMIT:     return "a size limit was exceeded";
    case EDI_E_SYNTAX:    return "the input is not an EDIFACT interchange";
    case EDI_E_CHARSET:   return "the character set is unknown or not supported";
    case EDI_E_DIRECTORY: return "a directory definition is missing or malformed";
    case EDI_E_XML:       return "the EDIFACT-XML document is not valid";
    case EDI_E_ARG:       return "invalid argument";
    case EDI_E_NOT_FOUND: return "no such record";
    case EDI_E_CONFLICT:  return "the record was changed by someone else";
    case EDI_E_STORE:     return "the database failed";
    case EDI_E_CORRUPT:   return "stored data does not match its checksum";
    case EDI_RESULT_COUNT: break;
    }
    return "unknown error";
}

void edi_say(char *why, size_t why_n, const char *fmt, ...)
{
    if (!why || !why_n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_n, fmt, ap);
    va_end(ap);
}
