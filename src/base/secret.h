/* secret.h — secret value types and the secrets allocator.
 *
 * Secrets live in their own struct types so they cannot be passed where public
 * bytes are expected (the logger accepts no secret type; see log.h). Compare
 * them with clo_ct_eq and wipe them with clo_wipe(&s, sizeof s).
 *
 * clo_secret_alloc returns page-backed memory that is mlock()ed (never swapped),
 * excluded from core dumps (MADV_DONTDUMP) and wiped on free. */
#ifndef CLO_BASE_SECRET_H
#define CLO_BASE_SECRET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t b[32];
} clo_secret32;

/* Zero-filled secret memory of n bytes (n > 0), or NULL if it cannot be had
 * (mmap failed, or mlock failed under a memory-lock limit: secrets must not swap). */
void *clo_secret_alloc(size_t n);
/* Wipe and release memory from clo_secret_alloc. NULL is a no-op. */
void clo_secret_free(void *p);
/* Size the allocator reserved for p (for tests). */
size_t clo_secret_size(const void *p);

#endif
