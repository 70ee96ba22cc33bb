/* rand.c — getrandom(2) directly: no user-space generator state to fork or snapshot. */
#include "crypto/rand.h"

#include <errno.h>
#include <sys/random.h>

clo_err clo_random(void *out, size_t n)
{
    uint8_t *p = out;
    while (n > 0) {
        ssize_t r = getrandom(p, n > 256 ? 256 : n, 0);
        if (r < 0 && errno == EINTR) continue;
        CLO_ENSURE(r > 0, CLO_E_IO, "getrandom");
        p += r;
        n -= (size_t)r;
    }
    return CLO_OK;
}
