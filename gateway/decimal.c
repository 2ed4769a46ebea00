/* decimal.c: exact scaled-integer decimals (decimal.h). */
#include "decimal.h"

#include <stdbool.h>

typedef __int128 wide;

static const int64_t pow10_64[DECIMAL_MAX_SCALE + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

static bool valid(decimal d)
{
    return d.scale >= 0 && d.scale <= DECIMAL_MAX_SCALE && d.units != INT64_MIN;
}

/* A value of the symmetric range, so that negating a result can never overflow. */
static bool fits(wide w)
{
    return w <= INT64_MAX && w >= -INT64_MAX;
}

edi_result decimal_parse(const char *text, decimal *out, char *why, size_t why_n)
{
    if (!text || !*text) {
        edi_say(why, why_n, "an empty text is not a decimal number");
        return EDI_E_ARG;
    }
    const char *p = text;
    bool neg = *p == '-';
    p += neg;
    uint64_t mag = 0;
    int int_digits = 0, scale = -1;   /* -1: no separator seen yet */
    bool too_large = false;
    for (; *p; p++) {
        if (*p == '.' || *p == ',') {
            if (scale >= 0 || int_digits == 0) {
                edi_say(why, why_n, "\"%s\" is not a decimal number: %s", text,
                        scale >= 0 ? "it has two decimal separators"
                                   : "it has no digit before the decimal separator");
                return EDI_E_ARG;
            }
            scale = 0;
            continue;
        }
        if (*p < '0' || *p > '9') {
            edi_say(why, why_n, "\"%s\" is not a decimal number: '%c' is neither a digit nor a "
                    "decimal point or comma", text, *p);
            return EDI_E_ARG;
        }
        if (scale >= 0 && ++scale > DECIMAL_MAX_SCALE) {
            edi_say(why, why_n, "\"%s\" has more than %d decimals", text, DECIMAL_MAX_SCALE);
            return EDI_E_ARG;
        }
        int_digits += scale < 0;
        /* Keep scanning after an overflow so that a syntax error still wins the sentence. */
        unsigned d = (unsigned)(*p - '0');
        if (mag > ((uint64_t)INT64_MAX - d) / 10)
            too_large = true;
        else
            mag = mag * 10 + d;
    }
    if (int_digits == 0) {
        edi_say(why, why_n, "\"%s\" is not a decimal number: it has no digits", text);
        return EDI_E_ARG;
    }
    if (scale == 0) {
        edi_say(why, why_n, "\"%s\" is not a decimal number: no digit follows the decimal "
                "separator", text);
        return EDI_E_ARG;
    }
    if (too_large) {
        edi_say(why, why_n, "\"%s\" is too large: at most %lld units of its last decimal "
                "place are supported", text, (long long)INT64_MAX);
        return EDI_E_LIMIT;
    }
    out->units = neg ? -(int64_t)mag : (int64_t)mag;
    out->scale = scale < 0 ? 0 : scale;
    return EDI_OK;
}

/* `d` with `scale` decimals (not fewer than it has). */
static bool widen(decimal d, int scale, int64_t *units)
{
    return !__builtin_mul_overflow(d.units, pow10_64[scale - d.scale], units);
}

static edi_result add_signed(decimal a, decimal b, bool subtract, decimal *out)
{
    if (!valid(a) || !valid(b))
        return EDI_E_ARG;
    int scale = a.scale > b.scale ? a.scale : b.scale;
    int64_t ua, ub, sum;
    if (!widen(a, scale, &ua) || !widen(b, scale, &ub))
        return EDI_E_LIMIT;
    bool over = subtract ? __builtin_sub_overflow(ua, ub, &sum) : __builtin_add_overflow(ua, ub, &sum);
    if (over || sum == INT64_MIN)
        return EDI_E_LIMIT;
    out->units = sum;
    out->scale = scale;
    return EDI_OK;
}

edi_result decimal_add(decimal a, decimal b, decimal *out)
{
    return add_signed(a, b, false, out);
}

edi_result decimal_sub(decimal a, decimal b, decimal *out)
{
    return add_signed(a, b, true, out);
}

/* 10^e as a wide integer, e in 0..36. */
static wide wide_pow10(int e)
{
    wide w = 1;
    while (e-- > 0)
        w *= 10;
    return w;
}

edi_result decimal_muldiv(decimal a, decimal b, decimal c, int decimals, decimal *out)
{
    if (!valid(a) || !valid(b) || !valid(c) || decimals < 0 || decimals > DECIMAL_MAX_SCALE ||
        c.units == 0)
        return EDI_E_ARG;
    /* a*b/c = (ua*ub*10^sc) / (uc*10^(sa+sb)); wanted: that times 10^decimals, so the powers
     * of ten cancel to one exponent, put on whichever side keeps it non-negative. */
    wide num = (wide)a.units * b.units;          /* |.| < 2^126: cannot overflow */
    wide den = c.units;
    int e = c.scale + decimals - a.scale - b.scale;
    if (e >= 0) {
        if (__builtin_mul_overflow(num, wide_pow10(e), &num))
            return EDI_E_LIMIT;
    } else {
        den *= wide_pow10(-e);                   /* < 2^63 * 10^18 < 2^127 */
    }
    bool neg = (num < 0) != (den < 0);
    if (num < 0)
        num = -num;
    if (den < 0)
        den = -den;
    wide q = num / den, r = num % den;
    if (r >= den - r)                            /* r >= den/2 without overflowing 2r */
        q++;
    if (neg)
        q = -q;
    if (!fits(q))
        return EDI_E_LIMIT;
    out->units = (int64_t)q;
    out->scale = decimals;
    return EDI_OK;
}

int decimal_cmp(decimal a, decimal b)
{
    /* Both widened to 9 decimals: |units| * 10^9 < 2^94 fits a wide integer. */
    wide wa = (wide)a.units * pow10_64[DECIMAL_MAX_SCALE - a.scale];
    wide wb = (wide)b.units * pow10_64[DECIMAL_MAX_SCALE - b.scale];
    return (wa > wb) - (wa < wb);
}

edi_result decimal_format(decimal d, char *buf, size_t n)
{
    if (!valid(d) || !buf)
        return EDI_E_ARG;
    uint64_t mag = d.units < 0 ? (uint64_t)-d.units : (uint64_t)d.units;
    char digits[24];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    /* At least one digit before the point: 0.05 has units 5 and scale 2. */
    while (nd < (size_t)d.scale + 1)
        digits[nd++] = '0';
    size_t need = (d.units < 0) + nd + (d.scale > 0) + 1;
    if (n < need)
        return EDI_E_ARG;
    char *o = buf;
    if (d.units < 0)
        *o++ = '-';
    for (size_t k = nd; k-- > 0;) {
        *o++ = digits[k];
        if (k == (size_t)d.scale && k > 0)
            *o++ = '.';
    }
    *o = '\0';
    return EDI_OK;
}
