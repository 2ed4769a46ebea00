/* decimal.h: the gateway's exact decimal numbers for amounts, prices and quantities. It owns
 * parsing them from text, formatting them back, adding, subtracting, comparing, and the
 * one multiply-divide-round step that line amounts and rounding need. Never double: money
 * is decimal, and 2.675 must round to 2.68.
 *
 * A value is `units / 10^scale` with scale 0..9. Units are a 64-bit signed integer kept in
 * the symmetric range -(2^63-1)..2^63-1 (about 9.2e18 units: 92 quadrillion at 2 decimals,
 * 9.2 billion at 9), more than any order or invoice carries. Products and quotients are
 * computed through a 128-bit integer (__int128, a GCC/Clang extension) so that
 * quantity x price / basis is exact before its single rounding; storing 128 bits would only
 * make every value twice as large for ranges no document uses. Every operation detects
 * overflow and returns EDI_E_LIMIT; nothing ever wraps.
 *
 * Formatting rule: a value prints with exactly `scale` decimals, as it was parsed or as it
 * was rounded: "12.50" stays "12.50", "12.5" stays "12.5", a value rounded to 2 decimals
 * prints 2 ("600.00"). Trailing zeros are never added or removed behind the caller's back.
 * Zero never prints a minus sign ("-0.00" prints "0.00"). */
#ifndef DECIMAL_H
#define DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"

#define DECIMAL_MAX_SCALE 9

/* Enough for "-" + 19 digits + "." + NUL, with room to spare. */
#define DECIMAL_TEXT_MAX 32

typedef struct {
    int64_t units;
    int scale;          /* 0..DECIMAL_MAX_SCALE */
} decimal;

#define DECIMAL_ONE ((decimal){ .units = 1, .scale = 0 })

/* Parse `text` (NUL-terminated): an optional "-", one or more digits, and optionally a
 * decimal point or comma followed by 1..9 digits ("12.5", "-0.75", "12,5"). Refused with
 * EDI_E_ARG and a sentence: blanks anywhere, "+", exponents ("1e3"), a missing integer or
 * fraction part (".5", "2."), grouping, more than 9 decimals, empty text. A value beyond the
 * range is EDI_E_LIMIT. *out is only written on EDI_OK. */
edi_result decimal_parse(const char *text, decimal *out, char *why, size_t why_n);

/* a + b and a - b, exact, with the larger of the two scales. EDI_E_LIMIT on overflow. */
edi_result decimal_add(decimal a, decimal b, decimal *out);
edi_result decimal_sub(decimal a, decimal b, decimal *out);

/* a x b / c, rounded once to `decimals` (0..9) decimals, half-up: a half is rounded away
 * from zero, for negative values too (-0.005 -> -0.01), as EN 16931 does. Use b = 1 for a
 * plain division, c = 1 for a plain multiplication, both for rounding (DECIMAL_ONE). EDI_E_ARG when c is
 * zero or `decimals` is out of 0..9, EDI_E_LIMIT when the result does not fit. */
edi_result decimal_muldiv(decimal a, decimal b, decimal c, int decimals, decimal *out);

/* -1, 0 or 1 as a is less than, equal to or greater than b, by value: 12.5 equals 12.50. */
int decimal_cmp(decimal a, decimal b);

/* The text of `d` by the formatting rule above into `buf` (at least DECIMAL_TEXT_MAX bytes
 * is always enough). EDI_E_ARG when `d` is not a valid value or `buf` is too small. */
edi_result decimal_format(decimal d, char *buf, size_t n);

#endif
