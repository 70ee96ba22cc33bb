/* bench_util.h — the clock and the failure exit both benchmarks use. */
#ifndef CLO_BENCH_UTIL_H
#define CLO_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void die(const char *what)
{
    fprintf(stderr, "bench: %s failed\n", what);
    exit(1);
}

#endif
