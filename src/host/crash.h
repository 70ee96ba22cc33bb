/* crash.h — named crash points for the crash tests (docs/architecture.md §7). With
 * CLOISTER_CRASH_POINT=name[:n] in the environment, the process kills itself
 * with SIGKILL the n-th time (default 1st) it reaches `name`; without it, a
 * crash point costs one load. Names: after_journal, after_enclave_result,
 * after_tx_journal, after_broadcast, before_receipt_journal,
 * before_reply (docs/operations.md). */
#ifndef CLO_HOST_CRASH_H
#define CLO_HOST_CRASH_H

void clo_crash_point(const char *name);

#endif
