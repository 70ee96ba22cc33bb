/* ct.c — constant-time helpers. */
#include "base/ct.h"

#include <string.h>

int clo_ct_eq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= (uint8_t)(x[i] ^ y[i]);
    /* map 0 -> 1, 1..255 -> 0 without a branch */
    return (int)(1 & ((uint32_t)(d - 1) >> 8));
}

int clo_ct_is_zero(const void *p, size_t n)
{
    const volatile uint8_t *x = p;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= x[i];
    return (int)(1 & ((uint32_t)(d - 1) >> 8));
}

void clo_wipe(void *p, size_t n)
{
    if (p && n) explicit_bzero(p, n);
}
