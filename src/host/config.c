/* config.c — strict JSON configuration for cloisterd. */
#include "host/config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/hex.h"
#include "base/teekind.h"
#include "host/fetch.h"
#include "workloads/workload.h"

void clo_config_defaults(clo_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen_address, sizeof c->listen_address, "127.0.0.1");
    c->listen_port = 8645;
    snprintf(c->data_dir, sizeof c->data_dir, "cloister-data");
    snprintf(c->registration, sizeof c->registration, "committee");
    snprintf(c->backend, sizeof c->backend, "sim");
    snprintf(c->sim_dir, sizeof c->sim_dir, "sim-tee");
    snprintf(c->tee_dir, sizeof c->tee_dir, "/sys/kernel/config/tsm/report");
    snprintf(c->tdx_mr_dir, sizeof c->tdx_mr_dir,
             "/sys/devices/virtual/misc/tdx_guest/measurements");
    c->rotate_seconds = 86400;
    c->grace_seconds = 3600;
    c->heartbeat_seconds = 5;
    c->enclave_threads = 1;
    c->enclave_pool = 1;
    c->chain_id = 31337;
    c->max_body_bytes = 4u << 20;
    c->max_connections = 256;
    c->max_per_ip = 32;
    c->timeout_seconds = 30;
    c->header_timeout_seconds = 5;
    c->fetch_timeout_ms = 20000;
    c->batch_max = 32;
    c->confirmations = 0;
    c->poll_ms = 500;
    c->settle_batch = 16;
    c->settle_wait_ms = 1000;
    c->bump_after_ms = 60000;
    c->approval_seconds = 7 * 86400;
    c->claim_seconds = 120;
    c->bond_wei = 1000000000000000000u;
    snprintf(c->log_level, sizeof c->log_level, "info");
}

typedef enum { K_STR, K_U64, K_ADDR, K_LIST, K_BOOL } kind;
typedef struct {
    const char *path; /* "section.key" */
    kind k;
    size_t off, size; /* string buffer size; integer width in bytes */
    uint64_t min, max;
} key_spec;

#define S(p, f)                                                                                    \
    {                                                                                              \
        p, K_STR, offsetof(clo_config, f), sizeof(((clo_config *)0)->f), 0, 0                      \
    }
#define U(p, f, lo, hi)                                                                            \
    {                                                                                              \
        p, K_U64, offsetof(clo_config, f), sizeof(((clo_config *)0)->f), lo, hi                    \
    }
/* A list: a JSON array of strings, or one comma-separated string; kept joined. */
#define L(p, f)                                                                                    \
    {                                                                                              \
        p, K_LIST, offsetof(clo_config, f), sizeof(((clo_config *)0)->f), 0, 0                     \
    }
#define B(p, f)                                                                                    \
    {                                                                                              \
        p, K_BOOL, offsetof(clo_config, f), sizeof(((clo_config *)0)->f), 0, 1                     \
    }
#define A(p, f)                                                                                    \
    {                                                                                              \
        p, K_ADDR, offsetof(clo_config, f), 20, 0, 0                                               \
    }
static const key_spec keys[] = {
    S("listen.address", listen_address),
    U("listen.port", listen_port, 0, 65535),
    S("data_dir", data_dir),
    S("enclave.path", enclave_path),
    S("enclave.backend", backend),
    S("enclave.sim_dir", sim_dir),
    S("enclave.tee_dir", tee_dir),
    S("enclave.tdx_mr_dir", tdx_mr_dir),
    U("enclave.rotate_seconds", rotate_seconds, 1, 366u * 86400),
    U("enclave.grace_seconds", grace_seconds, 0, 366u * 86400),
    U("enclave.heartbeat_seconds", heartbeat_seconds, 1, 3600),
    U("enclave.threads", enclave_threads, 1, 64),
    U("enclave.pool", enclave_pool, 1, CLO_ENCLAVES_MAX),
    U("chain.chain_id", chain_id, 1, (uint64_t)1 << 53),
    A("chain.job_market", job_market),
    A("chain.registry", registry),
    S("chain.rpc", rpc_url),
    S("chain.key_file", key_file),
    L("chain.verifiers", verifiers),
    L("chain.committee", committee_list),
    S("chain.registration", registration),
    S("chain.collateral_dir", collateral_dir),
    S("chain.snp_verifier", snp_verifier),
    S("enclave.snp_vcek", snp_vcek),
    B("api.snp_verifier", snp_verifier_api),
    B("api.key_sharing", key_sharing_api),
    L("enclave.key_peers", key_peers),
    U("chain.committee_threshold", committee_threshold, 1, CLO_COMMITTEE_MAX),
    U("chain.confirmations", confirmations, 0, 256),
    U("chain.start_block", start_block, 0, (uint64_t)1 << 53),
    U("chain.poll_ms", poll_ms, 10, 600000),
    U("chain.settle_batch", settle_batch, 1, 256),
    U("chain.settle_wait_ms", settle_wait_ms, 0, 3600000),
    U("chain.stagger_seconds", stagger_seconds, 0, 3600),
    L("chain.stagger_workloads", stagger_workloads),
    L("chain.claim_workloads", claim_workloads),
    U("chain.bump_after_ms", bump_after_ms, 100, 86400000),
    U("chain.approval_seconds", approval_seconds, 60, 366u * 86400),
    U("chain.bond_wei", bond_wei, 0, UINT64_MAX),
    U("limits.max_body_bytes", max_body_bytes, 1024, 64u << 20),
    U("limits.max_connections", max_connections, 1, 4096),
    U("limits.max_connections_per_ip", max_per_ip, 1, 4096),
    U("limits.timeout_seconds", timeout_seconds, 1, 3600),
    U("limits.header_timeout_seconds", header_timeout_seconds, 1, 3600),
    U("limits.batch_max", batch_max, 1, 256),
    U("fetch.timeout_ms", fetch_timeout_ms, 100, 600000),
    L("fetch.connect", fetch_connect),
    S("journal.url", journal_url),
    S("journal.owner", journal_owner),
    U("journal.claim_seconds", claim_seconds, 1, 86400),
    S("log_level", log_level),
};
#define NKEYS (sizeof keys / sizeof keys[0])

static clo_err fail(char *msg, size_t cap, const char *path, const char *why)
{
    snprintf(msg, cap, "config: %s: %s", path, why);
    return CLO_ERR(CLO_E_FORMAT, "config");
}

static clo_err set_key(clo_config *c, const key_spec *ks, const json_t *v, char *msg, size_t cap)
{
    uint8_t *dst = (uint8_t *)c + ks->off;
    if (ks->k == K_LIST && json_is_array(v)) {
        char joined[sizeof c->verifiers] = "";
        size_t i, used = 0;
        json_t *e;
        if (ks->size > sizeof joined || json_array_size(v) == 0)
            return fail(msg, cap, ks->path, "must be a non-empty array of strings");
        json_array_foreach(v, i, e)
        {
            const char *s = json_is_string(e) ? json_string_value(e) : NULL;
            if (!s || !*s || strchr(s, ','))
                return fail(msg, cap, ks->path,
                            "every element must be a non-empty string without ','");
            int n = snprintf(joined + used, ks->size - used, "%s%s", i ? "," : "", s);
            if (n < 0 || (size_t)n >= ks->size - used) return fail(msg, cap, ks->path, "too long");
            used += (size_t)n;
        }
        memcpy(dst, joined, used + 1);
        return CLO_OK;
    }
    if (ks->k == K_STR || ks->k == K_LIST) {
        if (!json_is_string(v))
            return fail(msg, cap, ks->path,
                        ks->k == K_LIST ? "must be an array of strings or a comma-separated string"
                                        : "must be a string");
        const char *s = json_string_value(v);
        if (strlen(s) == 0 || strlen(s) >= ks->size)
            return fail(msg, cap, ks->path, "empty or too long");
        snprintf((char *)dst, ks->size, "%s", s);
        return CLO_OK;
    }
    if (ks->k == K_ADDR) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        if (!s || strncmp(s, "0x", 2) || strlen(s) != 42 ||
            clo_hex_decode_fixed(dst, 20, s + 2).code)
            return fail(msg, cap, ks->path, "must be a 0x-prefixed 20-byte hex address");
        return CLO_OK;
    }
    if (ks->k == K_BOOL) {
        if (!json_is_boolean(v)) return fail(msg, cap, ks->path, "must be true or false");
        *(uint32_t *)(void *)dst = json_is_true(v);
        return CLO_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) < ks->min || (uint64_t)json_integer_value(v) > ks->max) {
        char why[96];
        snprintf(why, sizeof why, "must be an integer from %llu to %llu",
                 (unsigned long long)ks->min, (unsigned long long)ks->max);
        return fail(msg, cap, ks->path, why);
    }
    uint64_t x = (uint64_t)json_integer_value(v);
    if (ks->size == 2)
        *(uint16_t *)(void *)dst = (uint16_t)x;
    else if (ks->size == 4)
        *(uint32_t *)(void *)dst = (uint32_t)x;
    else
        *(uint64_t *)(void *)dst = x;
    return CLO_OK;
}

static const key_spec *find(const char *path)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].path, path)) return &keys[i];
    return NULL;
}

static int is_section(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < NKEYS; i++)
        if (!strncmp(keys[i].path, name, n) && keys[i].path[n] == '.') return 1;
    return 0;
}

/* One "name=seconds" entry of a per-workload list (chain.stagger_workloads,
 * chain.claim_workloads): its seconds for `workload`, or -1 when the entry
 * names another; *bad for an entry that is not one. */
static long seconds_entry(const char *e, size_t len, const char *workload, int *bad)
{
    const char *eq = memchr(e, '=', len);
    char num[16];
    size_t nl = eq ? len - (size_t)(eq - e) - 1 : 0;
    *bad = !eq || nl == 0 || nl >= sizeof num;
    if (*bad) return -1;
    memcpy(num, eq + 1, nl);
    num[nl] = 0;
    char *end;
    long v = strtol(num, &end, 10);
    char name[64];
    size_t kl = (size_t)(eq - e);
    *bad = *end || v < 0 || v > 3600 || kl == 0 || kl >= sizeof name;
    if (*bad) return -1;
    memcpy(name, e, kl);
    name[kl] = 0;
    *bad = !clo_workload_by_name(name);
    return !*bad && workload && !strcmp(name, workload) ? v : -1;
}

static int seconds_check(const char *list)
{
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int bad;
        seconds_entry(p, len, NULL, &bad);
        if (bad) return -1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* The seconds a per-workload list gives `workload`, or -1. */
static long workload_seconds(const char *list, const char *workload)
{
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int bad;
        long v = seconds_entry(p, len, workload, &bad);
        if (v >= 0) return v;
        if (!end) break;
        p = end + 1;
    }
    return -1;
}

uint32_t clo_config_stagger(const clo_config *c, const char *workload)
{
    long v = workload_seconds(c->stagger_workloads, workload);
    return v >= 0 ? (uint32_t)v : c->stagger_seconds;
}

uint32_t clo_config_lease(const clo_config *c, const char *workload)
{
    long v = workload_seconds(c->claim_workloads, workload);
    return v > 0 ? (uint32_t)v : 0;
}

static int by_address(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

static clo_err parse_committee(clo_config *c, char *msg, size_t cap)
{
    clo_committee *cm = &c->committee;
    char list[sizeof c->committee_list], *save = NULL, *a;
    memset(cm, 0, sizeof *cm);
    snprintf(list, sizeof list, "%s", c->committee_list);
    for (a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        if (cm->count == CLO_COMMITTEE_MAX)
            return fail(msg, cap, "chain.committee", "more than 16 members");
        if (strncmp(a, "0x", 2) || strlen(a) != 42 ||
            clo_hex_decode_fixed(cm->members[cm->count], 20, a + 2).code)
            return fail(msg, cap, "chain.committee",
                        "every member must be a 0x-prefixed 20-byte hex address");
        cm->count++;
    }
    qsort(cm->members, cm->count, 20, by_address);
    if (c->committee_threshold && !cm->count)
        return fail(msg, cap, "chain.committee_threshold", "needs chain.committee");
    if (cm->count && !c->verifiers[0])
        return fail(msg, cap, "chain.verifiers",
                    "needed with chain.committee: its members record the enclave's sealed-state "
                    "versions (and sign tickets)");
    if (c->journal_url[0] && strncmp(c->journal_url, "postgresql://", 13) &&
        strncmp(c->journal_url, "postgres://", 11))
        return fail(msg, cap, "journal.url",
                    "must be a postgresql:// URI (leave it out for the SQLite journal in "
                    "data_dir)");
    const char *why = clo_fetch_connect_check(c->fetch_connect);
    if (why) return fail(msg, cap, "fetch.connect", why);
    if (seconds_check(c->claim_workloads))
        return fail(msg, cap, "chain.claim_workloads",
                    "each entry is workload=seconds: a built-in workload, 1 to 3600");
    if (seconds_check(c->stagger_workloads))
        return fail(msg, cap, "chain.stagger_workloads",
                    "each entry is workload=seconds: a built-in workload, 0 to 3600");
    if (strcmp(c->registration, "committee") && strcmp(c->registration, "onchain") &&
        strcmp(c->registration, "verifier-enclave"))
        return fail(msg, cap, "chain.registration",
                    "must be \"committee\", \"onchain\" or \"verifier-enclave\"");
    if (!strcmp(c->registration, "verifier-enclave") && !c->snp_verifier[0])
        return fail(msg, cap, "chain.snp_verifier",
                    "needed with chain.registration \"verifier-enclave\": the URL of a node "
                    "whose enclave verifies SEV-SNP evidence (api.snp_verifier)");
    if (!strcmp(c->registration, "verifier-enclave") && strcmp(c->backend, "snp") &&
        strcmp(c->backend, "sim-snp"))
        return fail(msg, cap, "chain.registration",
                    "\"verifier-enclave\" registers SEV-SNP enclaves (enclave.backend snp or "
                    "sim-snp)");
    if (!strcmp(c->backend, "snp") && !strcmp(c->registration, "verifier-enclave") &&
        !c->snp_vcek[0])
        return fail(msg, cap, "enclave.snp_vcek",
                    "needed with chain.registration \"verifier-enclave\" on snp: the VCEK "
                    "certificate of this machine (from AMD's KDS)");
    if (!strcmp(c->registration, "onchain") && !c->collateral_dir[0])
        return fail(msg, cap, "chain.collateral_dir",
                    "needed with chain.registration \"onchain\": the PCS collateral of the "
                    "platform (tcb_info.json, qe_identity.json, tcb_info_issuer_chain.pem)");
    if (c->committee_threshold > cm->count)
        return fail(msg, cap, "chain.committee_threshold", "more than the committee's members");
    cm->threshold = (uint8_t)(c->committee_threshold ? c->committee_threshold
                                                     : cm->count / 2 + (cm->count > 0));
    uint8_t h[32];
    if (clo_committee_hash(cm, h).code)
        return fail(msg, cap, "chain.committee", "a member is listed twice");
    return CLO_OK;
}

clo_err clo_config_parse(clo_bytes text, clo_config *out, char *msg, size_t cap)
{
    json_error_t je;
    clo_config c = *out;
    json_t *root = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(msg, cap, "config: line %d: %s", je.line, je.text);
        return CLO_ERR(CLO_E_FORMAT, "config");
    }
    clo_err err = CLO_OK;
    if (!json_is_object(root)) {
        err = fail(msg, cap, "(top level)", "must be an object");
        goto out;
    }
    const char *name;
    json_t *v;
    json_object_foreach(root, name, v)
    {
        char path[128];
        if (is_section(name)) {
            if (!json_is_object(v)) {
                err = fail(msg, cap, name, "must be an object");
                goto out;
            }
            const char *sub;
            json_t *sv;
            json_object_foreach(v, sub, sv)
            {
                snprintf(path, sizeof path, "%s.%s", name, sub);
                const key_spec *ks = find(path);
                err = ks ? set_key(&c, ks, sv, msg, cap) : fail(msg, cap, path, "unknown key");
                if (err.code) goto out;
            }
            continue;
        }
        const key_spec *ks = find(name);
        err = ks ? set_key(&c, ks, v, msg, cap) : fail(msg, cap, name, "unknown key");
        if (err.code) goto out;
    }
    clo_tee_kind backend;
    if (clo_tee_kind_parse(c.backend, &backend).code) {
        err = fail(msg, cap, "enclave.backend", "must be one of sim, sim-snp, tdx, snp, sgx");
        goto out;
    }
    if (strcmp(c.log_level, "debug") && strcmp(c.log_level, "info") &&
        strcmp(c.log_level, "warn") && strcmp(c.log_level, "error")) {
        err = fail(msg, cap, "log_level", "must be one of debug, info, warn, error");
        goto out;
    }
    if (c.grace_seconds > 0 && c.rotate_seconds < 1) {
        err = fail(msg, cap, "enclave.rotate_seconds", "must be positive");
        goto out;
    }
    if ((err = parse_committee(&c, msg, cap)).code) goto out;
    if (c.rpc_url[0] && !c.key_file[0]) {
        err = fail(msg, cap, "chain.key_file", "required with chain.rpc");
        goto out;
    }
    *out = c;
out:
    json_decref(root);
    return err;
}

clo_err clo_config_read_vcek(const clo_config *c, clo_buf *out)
{
    char path[CLO_PATH_MAX + 16];
    if (c->snp_vcek[0])
        snprintf(path, sizeof path, "%s", c->snp_vcek);
    else
        snprintf(path, sizeof path, "%s/vcek.der", c->sim_dir);
    return clo_file_read(path, out);
}

void clo_config_owner(const clo_config *c, char *out, size_t cap)
{
    char host[64] = "localhost";
    if (c->journal_owner[0]) {
        snprintf(out, cap, "%s", c->journal_owner);
        return;
    }
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    snprintf(out, cap, "%s:%u", host, (unsigned)c->listen_port);
}

static json_t *addr(const uint8_t a[20])
{
    char s[43] = "0x";
    clo_hex_encode(s + 2, CLO_BYTES(a, 20));
    return json_string(s);
}

char *clo_config_dump(const clo_config *c)
{
    json_t *j = json_pack(
        "{s:{s:s,s:i},s:s,s:{s:s,s:s,s:s,s:s,s:s,s:I,s:I},s:{s:I,s:o,s:o},s:{s:I,s:I,s:I,s:I},s:s}",
        "listen", "address", c->listen_address, "port", c->listen_port, "data_dir", c->data_dir,
        "enclave", "path", c->enclave_path[0] ? c->enclave_path : "(next to cloister)", "backend",
        c->backend, "sim_dir", c->sim_dir, "tee_dir", c->tee_dir, "tdx_mr_dir", c->tdx_mr_dir,
        "rotate_seconds", (json_int_t)c->rotate_seconds, "grace_seconds",
        (json_int_t)c->grace_seconds, "chain", "chain_id", (json_int_t)c->chain_id, "job_market",
        addr(c->job_market), "registry", addr(c->registry), "limits", "max_body_bytes",
        (json_int_t)c->max_body_bytes, "max_connections", (json_int_t)c->max_connections,
        "timeout_seconds", (json_int_t)c->timeout_seconds, "batch_max", (json_int_t)c->batch_max,
        "log_level", c->log_level);
    json_t *ch = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "rpc",
                           c->rpc_url[0] ? c->rpc_url : "(off)", "key_file", c->key_file,
                           "verifiers", c->verifiers, "confirmations", (json_int_t)c->confirmations,
                           "start_block", (json_int_t)c->start_block, "poll_ms",
                           (json_int_t)c->poll_ms, "settle_batch", (json_int_t)c->settle_batch,
                           "settle_wait_ms", (json_int_t)c->settle_wait_ms, "approval_seconds",
                           (json_int_t)c->approval_seconds, "bond_wei", (json_int_t)c->bond_wei);
    json_object_set_new(ch, "bump_after_ms", json_integer((json_int_t)c->bump_after_ms));
    json_object_set_new(ch, "stagger_seconds", json_integer((json_int_t)c->stagger_seconds));
    if (c->stagger_workloads[0])
        json_object_set_new(ch, "stagger_workloads", json_string(c->stagger_workloads));
    if (c->claim_workloads[0])
        json_object_set_new(ch, "claim_workloads", json_string(c->claim_workloads));
    json_object_set_new(ch, "registration", json_string(c->registration));
    if (c->collateral_dir[0])
        json_object_set_new(ch, "collateral_dir", json_string(c->collateral_dir));
    if (c->snp_verifier[0]) json_object_set_new(ch, "snp_verifier", json_string(c->snp_verifier));
    json_object_set_new(j, "api",
                        json_pack("{s:b,s:b}", "snp_verifier", c->snp_verifier_api != 0,
                                  "key_sharing", c->key_sharing_api != 0));
    json_t *lim = json_object_get(j, "limits"), *enc = json_object_get(j, "enclave");
    json_object_set_new(lim, "max_connections_per_ip", json_integer(c->max_per_ip));
    json_object_set_new(lim, "header_timeout_seconds", json_integer(c->header_timeout_seconds));
    json_object_set_new(enc, "heartbeat_seconds", json_integer(c->heartbeat_seconds));
    json_object_set_new(enc, "threads", json_integer(c->enclave_threads));
    json_object_set_new(enc, "pool", json_integer(c->enclave_pool));
    if (c->snp_vcek[0]) json_object_set_new(enc, "snp_vcek", json_string(c->snp_vcek));
    if (c->key_peers[0]) json_object_set_new(enc, "key_peers", json_string(c->key_peers));
    json_object_set_new(j, "fetch",
                        json_pack("{s:I,s:s}", "timeout_ms", (json_int_t)c->fetch_timeout_ms,
                                  "connect", c->fetch_connect));
    char owner[sizeof c->journal_owner + 8];
    clo_config_owner(c, owner, sizeof owner);
    /* The URI may hold a password: only which kind of journal is shown. */
    json_object_set_new(
        j, "journal",
        json_pack("{s:s,s:s,s:I}", "url",
                  c->journal_url[0] ? "postgresql://(set, not shown)" : "(SQLite in data_dir)",
                  "owner", owner, "claim_seconds", (json_int_t)c->claim_seconds));
    json_t *cm = json_array();
    for (size_t i = 0; i < c->committee.count; i++)
        json_array_append_new(cm, addr(c->committee.members[i]));
    json_object_set_new(ch, "committee", cm);
    json_object_set_new(ch, "committee_threshold", json_integer(c->committee.threshold));
    json_object_update(json_object_get(j, "chain"), ch);
    json_decref(ch);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}
