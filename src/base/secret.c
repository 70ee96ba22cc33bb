/* secret.c — mlocked, undumpable, wiped-on-free allocations.
 *
 * Layout of one allocation: [header page][user pages][guard page].
 * The header records the mapping size; the guard page (PROT_NONE) turns a
 * linear overrun into a fault instead of a silent read of another secret. */
#include "base/secret.h"

#include <sys/mman.h>
#include <unistd.h>

#include "base/ct.h"

/* LeakSanitizer does not scan anonymous mmap memory; objects referenced only
 * from a secret block (an OpenSSL key inside a key struct) would look leaked.
 * Under ASan, register each block as a root region so it is scanned. */
#if defined(__SANITIZE_ADDRESS__)
#define CLO_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLO_LSAN 1
#endif
#endif
#ifdef CLO_LSAN
#include <sanitizer/lsan_interface.h>
#define lsan_register(p, n)   __lsan_register_root_region((p), (n))
#define lsan_unregister(p, n) __lsan_unregister_root_region((p), (n))
#else
#define lsan_register(p, n)   ((void)(p), (void)(n))
#define lsan_unregister(p, n) ((void)(p), (void)(n))
#endif

typedef struct {
    size_t map_size;  /* whole mapping including header and guard */
    size_t user_size; /* bytes handed out */
} secret_hdr;

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

void *clo_secret_alloc(size_t n)
{
    size_t pg = page_size();
    if (n == 0 || n > ((size_t)1 << 30)) return NULL;
    size_t user_pages = (n + pg - 1) / pg;
    size_t map = (user_pages + 2) * pg;
    uint8_t *base = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    uint8_t *guard = base + map - pg;
    if (mprotect(guard, pg, PROT_NONE) != 0 || mlock(base, map - pg) != 0) {
        munmap(base, map);
        return NULL;
    }
    (void)madvise(base, map, MADV_DONTDUMP); /* best effort: old kernels lack it */
    secret_hdr *h = (secret_hdr *)base;
    h->map_size = map;
    h->user_size = n;
    lsan_register(base, map - pg);
    /* End the block at the guard page, keeping 16-byte alignment for any type. */
    return guard - ((n + 15) & ~(size_t)15);
}

static secret_hdr *header_of(const void *p)
{
    size_t pg = page_size();
    uintptr_t u = (uintptr_t)p;
    /* The user block lies in the pages after the header; the header is the page before the first
     * user page. */
    uintptr_t first_user_page = u & ~(uintptr_t)(pg - 1);
    return (secret_hdr *)(first_user_page - pg);
}

size_t clo_secret_size(const void *p)
{
    return p ? header_of(p)->user_size : 0;
}

void clo_secret_free(void *p)
{
    if (!p) return;
    secret_hdr *h = header_of(p);
    size_t map = h->map_size, pg = page_size();
    uint8_t *base = (uint8_t *)h;
    lsan_unregister(base, map - pg);
    clo_wipe(base + pg, map - 2 * pg);
    clo_wipe(h, sizeof *h);
    munlock(base, map - pg);
    munmap(base, map);
}
