/* sandbox.c — seccomp allow-list for cloister-enclave. */
#include "enclave/sandbox.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <seccomp.h>
#include <sys/prctl.h>

void clo_sandbox_early(void)
{
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* libc's time conversions (OpenSSL's certificate times go through them)
     * would read /etc/localtime at first use, which the sandbox refuses: a
     * zone given inline reads no file. */
    (void)setenv("TZ", "UTC0", 1);
    tzset();
}

static const int base_calls[] = {
    SCMP_SYS(read),          SCMP_SYS(write),        SCMP_SYS(writev),     SCMP_SYS(readv),
    SCMP_SYS(close),         SCMP_SYS(exit),         SCMP_SYS(exit_group), SCMP_SYS(brk),
    SCMP_SYS(mmap),          SCMP_SYS(munmap),       SCMP_SYS(mremap),     SCMP_SYS(mprotect),
    SCMP_SYS(madvise),       SCMP_SYS(mlock),        SCMP_SYS(munlock),    SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(futex),      SCMP_SYS(rt_sigreturn),
    SCMP_SYS(poll),          SCMP_SYS(ppoll),        SCMP_SYS(fstat),      SCMP_SYS(newfstatat),
    SCMP_SYS(getpid),        SCMP_SYS(lseek),        SCMP_SYS(recvfrom),
};
/* configfs-tsm and Gramine's /dev/attestation are files. */
static const int tee_calls[] = {SCMP_SYS(openat), SCMP_SYS(mkdirat), SCMP_SYS(unlinkat)};

#ifdef CLO_SANITIZE_BUILD
/* The ASan runtime's exit path tears down its alternate signal stack. */
static const int sanitizer_calls[] = {SCMP_SYS(sigaltstack)};
#endif

static int allow(scmp_filter_ctx ctx, const int *calls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0) return -1;
    return 0;
}

clo_err clo_sandbox_lockdown(clo_tee_kind kind)
{
    CLO_ENSURE(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, CLO_E_IO, "sandbox: no_new_privs");
    clo_sandbox_early();
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    CLO_ENSURE(ctx, CLO_E_NOMEM, "sandbox: seccomp_init");
    int rc = allow(ctx, base_calls, sizeof base_calls / sizeof base_calls[0]);
    if (!rc && !clo_tee_is_simulated(kind))
        rc = allow(ctx, tee_calls, sizeof tee_calls / sizeof tee_calls[0]);
#ifdef CLO_SANITIZE_BUILD
    if (!rc) rc = allow(ctx, sanitizer_calls, sizeof sanitizer_calls / sizeof sanitizer_calls[0]);
#endif
    /* Every thread gets the filter (the worker threads were started before),
     * or none does and the enclave stops. */
    if (!rc) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (!rc) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    CLO_ENSURE(rc == 0, CLO_E_IO, "sandbox: seccomp filter not installed");
    return CLO_OK;
}
