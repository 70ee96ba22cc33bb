/* crash.c — see crash.h. */
#include "host/crash.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic long hits;

void clo_crash_point(const char *name)
{
    static const char *spec;
    static int checked;
    if (!checked) {
        spec = getenv("CLOISTER_CRASH_POINT");
        checked = 1;
    }
    if (!spec) return;
    size_t n = strlen(name);
    if (strncmp(spec, name, n) || (spec[n] != 0 && spec[n] != ':')) return;
    long want = spec[n] == ':' ? atol(spec + n + 1) : 1;
    if (atomic_fetch_add(&hits, 1) + 1 == want) kill(getpid(), SIGKILL);
}
