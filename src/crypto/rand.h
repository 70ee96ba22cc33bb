/* rand.h — the operating system's CSPRNG (getrandom(2)). */
#ifndef CLO_CRYPTO_RAND_H
#define CLO_CRYPTO_RAND_H

#include "base/bytes.h"

/* Fill n bytes from the kernel CSPRNG; blocks only until it is seeded at boot. */
CLO_MUST_CHECK clo_err clo_random(void *out, size_t n);

#endif
