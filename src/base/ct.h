/* ct.h — constant-time comparison and wiping.
 * Use these for anything secret: keys, tags, MACs, shared secrets, plaintexts. */
#ifndef CLO_BASE_CT_H
#define CLO_BASE_CT_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the n bytes at a and b are equal, else 0; time depends only on n. */
int clo_ct_eq(const void *a, const void *b, size_t n);
/* 1 if all n bytes are zero, else 0; time depends only on n. */
int clo_ct_is_zero(const void *p, size_t n);
/* Overwrite n bytes with zeros in a way the compiler may not remove. NULL is a no-op. */
void clo_wipe(void *p, size_t n);

#endif
