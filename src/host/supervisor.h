/* supervisor.h — starts and supervises cloister-enclave (untrusted side).
 *
 * Start: open the executable once, measure it from that descriptor (the
 * launcher's executable event, attest/measure.h; on TDX extended into RTMR3
 * here) and fexecve the same descriptor with a socketpair end as fd 3 and
 * nothing else open. The enclave extends the configuration event at INIT; the
 * measurement reported is RTMR3 as the two events make it. Then INIT, HELLO, and IMPORT of the
 * sealed state file (data_dir/enclave.state) if there is one, with SECRET_LOAD of each secret it
 * names from data_dir/secrets/ (host/sealfile.h), else a first ROTATE. Every change of
 * enclave state (rotation, jobs) is EXPORTed and written atomically (write, fsync, rename, fsync
 * dir) before its results are used.
 *
 * Calls are serialised. A channel error or timeout kills and reaps the enclave;
 * the next call restarts it, with exponential backoff (100 ms doubling to 5 s). */
#ifndef CLO_HOST_SUPERVISOR_H
#define CLO_HOST_SUPERVISOR_H

#include "wire/proto.h"
#include "host/config.h"

typedef struct clo_super clo_super;

/* Prepare (does not start the enclave yet). enclave_path must be absolute or
 * relative to the working directory. */
CLO_MUST_CHECK clo_err clo_super_new(clo_super **out, const clo_config *cfg,
                                     const char *enclave_path);
void clo_super_free(clo_super *s); /* SHUTDOWN, then reap */
/* A pool member (enclave.pool): its epoch keys come from giver's enclave,
 * never from ROTATE, as with enclave.key_peers. Set before the first call. */
void clo_super_set_giver(clo_super *s, clo_super *giver);
/* A SHARE_GIVE answer with an SEV-SNP report: the giver's node adds its
 * VCEK (enclave.snp_vcek), with which the taker's enclave checks it. */
CLO_MUST_CHECK clo_err clo_super_share_add_vcek(const clo_config *cfg, clo_buf *keys);

/* One call; starts the enclave first if it is not running. An error frame
 * from the enclave is returned as its clo_err (what in a static buffer of s,
 * valid until the next call). */
CLO_MUST_CHECK clo_err clo_super_call(clo_super *s, uint16_t call, clo_bytes body, clo_buf *resp);
/* Ensure running, then EXPORT and persist the sealed state. */
CLO_MUST_CHECK clo_err clo_super_persist(clo_super *s);
/* After a secret is provisioned: its sealed chunks into its own file
 * (host/sealfile.h), then the state that names it, in that order, so a state
 * on disk never names a secret whose file is not there. */
CLO_MUST_CHECK clo_err clo_super_persist_secret(clo_super *s, const uint8_t id[32]);
/* Rotate if the current epoch is older than rotate_seconds; persists. */
CLO_MUST_CHECK clo_err clo_super_maybe_rotate(clo_super *s, int64_t now);

/* PING the enclave if it has not answered for quiet_ms: the heartbeat that
 * readiness reads (silent_ms). The worker calls it when it has nothing to do. */
CLO_MUST_CHECK clo_err clo_super_heartbeat(clo_super *s, int64_t quiet_ms);

/* What the control plane shows. Kept in a snapshot under its own lock, so
 * reading it never waits for a call to the enclave, however long that takes. */
typedef struct {
    int running;
    int64_t pid;
    uint64_t restarts;
    uint8_t measurement[48];
    clo_proto_keys keys; /* after the latest KEYS/ROTATE */
    int64_t silent_ms;   /* since the enclave last answered a call; -1: never */
    int64_t busy_ms;     /* how long the call under way has taken; 0: none */
    int halted;          /* the process is stopped (SIGSTOP) or a zombie */
} clo_super_status;
void clo_super_status_get(clo_super *s, clo_super_status *out);

#endif
