/* bench_util.h — the clock, the failure exit and the enclave process the
 * benchmarks use. */
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

#ifdef CLO_ENCLAVE_EXE
#include <sys/socket.h>
#include <unistd.h>

/* A real cloister-enclave process, as cloisterd starts it: the channel on
 * its fd 3; returns our end of it, the process in *pid. */
static inline int spawn_enclave(pid_t *out)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) die("socketpair");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(sv[1], 3);
        execl(CLO_ENCLAVE_EXE, "cloister-enclave", "--fd", "3", (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    *out = pid;
    return sv[0];
}
#endif

#endif
