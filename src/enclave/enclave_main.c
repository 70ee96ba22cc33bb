/* enclave_main.c — cloister-enclave, the trusted executable. The launcher
 * (cloisterd) starts it with the channel on a descriptor (--fd N) and nothing
 * else open; it serves framed calls until SHUTDOWN or end of stream. It opens
 * no files or sockets of its own and, after INIT, runs under seccomp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "crypto/tls.h"
#include "enclave/runtime.h"
#include "enclave/sandbox.h"
#include "workloads/onnx/pool.h"

#ifdef CLO_SANITIZE_BUILD
/* Sanitizer builds: ASan and UBSan stay on in the enclave process, but the
 * exit-time leak check cannot run under the seccomp filter (its ptrace helper
 * is killed and the check waits for ever). Enclave code is leak-checked in
 * process instead (tests/enclave, the frame fuzz corpus). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: cloister-enclave --fd N [--threads T]\n\n"
               "The trusted half of Cloister. Started by cloisterd (`cloister node run`) with\n"
               "the framed channel on descriptor N; not meant to be run by hand. --threads\n"
               "(1 to 64, default 1): threads for ONNX inference, started before the sandbox\n"
               "(which forbids starting more); results are the same bits for any count.\n");
}

int main(int argc, char **argv)
{
    clo_sandbox_early();
    /* Before any OpenSSL use: its configuration file is never read, so the
     * sandbox needs no file access for it. */
    clo_tls_init_early();
    long fd = -1, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            char *end;
            threads = strtol(argv[++i], &end, 10);
            if (*end || threads < 1 || threads > CLO_POOL_MAX) threads = -1;
            continue;
        }
        if (!strcmp(argv[i], "--fd") && i + 1 < argc) {
            char *end;
            fd = strtol(argv[++i], &end, 10);
            if (*end || fd < 3 || fd > 1024) fd = -1;
            continue;
        }
        usage(stderr);
        return 2;
    }
    if (fd < 0 || threads < 1) {
        usage(stderr);
        return 2;
    }
    /* Threads first: once the sandbox is sealed (after INIT) none can start. */
    clo_pool *pool = NULL;
    clo_enclave *e = NULL;
    clo_err err = clo_pool_new((unsigned)threads, &pool);
    if (!err.code) err = clo_enclave_new(&e);
    if (!err.code) {
        clo_enclave_use_pool(e, pool);
        err = clo_enclave_serve(e, (int)fd, clo_sandbox_lockdown);
    }
    clo_enclave_free(e);
    clo_pool_free(pool);
    if (err.code) {
        CLO_LOG(CLO_LOG_ERROR, "enclave.stopped", CLO_LF_STR("code", clo_code_name(err.code)),
                CLO_LF_STR("what", err.what ? err.what : ""));
        return 1;
    }
    return 0;
}
