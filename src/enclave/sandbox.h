/* sandbox.h — the enclave process's lockdown (trusted side): no_new_privs, then
 * a seccomp allow-list (libseccomp) that kills the process on any other system
 * call. The sim backend gets no way to open files or sockets at all; tdx, snp
 * and sgx also get openat/mkdirat/unlinkat, which their kernel interfaces
 * (configfs-tsm, /dev/attestation) need, relative to the directory opened at INIT.
 * Sanitizer builds add only sigaltstack (the ASan runtime's exit path); see
 * enclave_main.c for the leak check they turn off. */
#ifndef CLO_ENCLAVE_SANDBOX_H
#define CLO_ENCLAVE_SANDBOX_H

#include "base/err.h"
#include "enclave/tee.h"

/* Make the process undumpable and unattachable (call first thing in main). */
void clo_sandbox_early(void);
CLO_MUST_CHECK clo_err clo_sandbox_lockdown(clo_tee_kind kind);

#endif
