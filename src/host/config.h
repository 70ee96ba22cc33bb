/* config.h — cloisterd's one configuration file (JSON), strictly validated:
 * an unknown key, a duplicate key, a wrong type or an out-of-range value is an
 * error that names the key ("config: listen.prot: unknown key"). Every key is
 * optional; the defaults are in docs/operations.md and `cloister config check`
 * prints the effective configuration. Untrusted side. */
#ifndef CLO_HOST_CONFIG_H
#define CLO_HOST_CONFIG_H

#include "base/bytes.h"
#include "wire/ticket.h"

#define CLO_CONFIG_MAX_SIZE (1 << 20)
#define CLO_PATH_MAX        1024
#define CLO_ENCLAVES_MAX    16  /* enclave processes per node */
#define CLO_OWNER_MAX       160 /* journal.owner, and the default host:port */

typedef struct {
    char listen_address[64];
    uint16_t listen_port;
    char data_dir[CLO_PATH_MAX];
    char enclave_path[CLO_PATH_MAX]; /* "" = cloister-enclave next to the running binary */
    char backend[8];                 /* sim, tdx, snp, sgx */
    char sim_dir[CLO_PATH_MAX];
    char tee_dir[CLO_PATH_MAX];    /* configfs-tsm report dir or /dev/attestation */
    char tdx_mr_dir[CLO_PATH_MAX]; /* tdx: measurement registers (RTMR3 is extended) */
    uint32_t rotate_seconds, grace_seconds;
    uint32_t heartbeat_seconds; /* readiness: the enclave answered within this */
    uint32_t enclave_threads;   /* the enclave's inference threads (the same results for any) */
    /* Enclave processes this node runs (issue 21): the first makes the epoch
     * keys, the others take them from it and register signers of their own;
     * each runs the jobs it claims from the journal. */
    uint32_t enclave_pool;
    uint64_t chain_id;
    uint8_t job_market[20], registry[20];
    /* On-chain operation (host/onchain.c); off while rpc_url is empty. */
    char rpc_url[512];
    char key_file[CLO_PATH_MAX]; /* the operator's secp256k1 key, hex */
    char verifiers[2048];        /* committee verifier service URLs, comma-separated */
    /* How the enclave is registered: "committee" (the verifiers' approvals),
     * "onchain" (its own quote, DcapVerifier; issue 18), with the PCS collateral
     * (tcb_info.json, qe_identity.json, tcb_info_issuer_chain.pem) in collateral_dir,
     * or "verifier-enclave" (SEV-SNP: one approval of the verifier enclave behind
     * the node at snp_verifier, its VCEK from snp_vcek). */
    char registration[24];
    char collateral_dir[CLO_PATH_MAX];
    char snp_verifier[512];      /* a node URL serving /v1/attest/snp/ */
    char snp_vcek[CLO_PATH_MAX]; /* the VCEK (DER or PEM); sim-snp: <sim_dir>/vcek.der */
    /* Serve /v1/attest/snp/: this node's enclave checks other enclaves' SEV-SNP
     * evidence and signs their approvals (it must be allowed for "attest-snp"). */
    uint32_t snp_verifier_api;
    /* Serve /v1/keys/: this node's enclave shares its epoch keys with enclaves
     * of its own measurement (issue 21). */
    uint32_t key_sharing_api;
    /* Nodes to ask for epoch keys when this enclave starts with none (no
     * sealed state, as on TDX/SNP), comma-separated; none answers: new keys. */
    char key_peers[2048];
    /* The committee whose tickets the enclave takes (its addresses, any order,
     * and threshold, default a majority): part of the enclave's measurement. */
    char committee_list[1024];
    uint32_t committee_threshold;
    clo_committee committee; /* parsed from the two above, members ascending */
    uint32_t confirmations, poll_ms, settle_batch, settle_wait_ms, approval_seconds;
    /* Several operators (issue 21, host/turns.h): the operator of rank k for
     * a job starts k times this after its block; 0: run every job at once. */
    uint32_t stagger_seconds;
    /* Per workload: "name=seconds" entries, comma-separated, over stagger_seconds
     * (a long ONNX job wants a longer turn than a vote). */
    char stagger_workloads[512];
    /* Per workload, "name=seconds": before running a job of it, this node
     * claims it on chain for that lease (JobMarket.claim), and another's live
     * claim makes it wait for the lease's end (long ONNX jobs run once). */
    char claim_workloads[512];
    uint32_t bump_after_ms; /* an unmined transaction the chain waits on is re-priced after this */
    uint64_t start_block, bond_wei;
    uint32_t max_body_bytes, max_connections, max_per_ip, timeout_seconds, header_timeout_seconds;
    uint32_t batch_max;
    /* Fetching jobs (host/fetch.h): how long a fetch may take, and where to
     * connect for a source instead of resolving its host. */
    uint32_t fetch_timeout_ms;
    char fetch_connect[2048];
    /* The journal (host/journal.h): "" keeps it in data_dir (SQLite); a
     * postgresql:// URI shares it among an operator's daemons, each under
     * its own owner name (default host:port), whose job claims last
     * claim_seconds. */
    char journal_url[512];
    char journal_owner[128];
    uint32_t claim_seconds;
    char log_level[8];
} clo_config;

void clo_config_defaults(clo_config *c);
/* The stagger for jobs of this workload (chain.stagger_workloads, else
 * chain.stagger_seconds); 0: no turns. */
uint32_t clo_config_stagger(const clo_config *c, const char *workload);

/* The on-chain claim lease for jobs of this workload (chain.claim_workloads);
 * 0: no claim. */
uint32_t clo_config_lease(const clo_config *c, const char *workload);
/* The node's VCEK (enclave.snp_vcek; sim-snp: the simulated platform's). */
CLO_MUST_CHECK clo_err clo_config_read_vcek(const clo_config *c, clo_buf *out);
/* This daemon's name in a shared journal: journal.owner, else host:port. */
void clo_config_owner(const clo_config *c, char *out, size_t cap);

/* Parse text over the defaults. On failure `msg` (cap bytes) says which key and why. */
CLO_MUST_CHECK clo_err clo_config_parse(clo_bytes text, clo_config *out, char *msg, size_t cap);
/* The effective configuration as a JSON document (malloc'd string). */
char *clo_config_dump(const clo_config *c);

#endif
