/* state.c — the sealed state: EXPORT seals the enclave's keys, the names of
 * its secrets (their bytes are sealed apart, secrets.c) and processed-job log under a key from the
 * platform and the measurement, with a version its lineage key signs; IMPORT opens one only with
 * every committee member's report that it is the latest (wire/witness.h); WITNESS takes the
 * committee's record of an export; STATE says what to ask the committee. */
#include <string.h>

#include "base/ct.h"
#include "crypto/aead.h"
#include "crypto/ethkey.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "enclave/runtime_impl.h"
#include "wire/witness.h"

clo_err clo_rt_sealing_key(clo_enclave *e, uint8_t key[32])
{
    clo_secret32 platform;
    clo_err err = clo_tee_sealing_secret(e->tee, &platform);
    if (!err.code)
        err =
            clo_hkdf(CLO_HASH_SHA256, CLO_BYTES(clo_tee_measurement(e->tee), 48),
                     CLO_BYTES(platform.b, 32), clo_bytes_str("cloister/v1/sealing-key"), key, 32);
    clo_wipe(&platform, sizeof platform);
    return err;
}

clo_err clo_rt_export(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    CLO_TRY(clo_proto_empty_decode(body, "export: unexpected body"));
    uint8_t key[32];
    clo_buf pt;
    clo_buf_init(&pt, (size_t)4 << 20);
    clo_err err = CLO_OK;
    CLO_CHECK(clo_rt_sealing_key(e, key));
    CLO_CHECK(clo_buf_u8(&pt, CLO_STATE_FORMAT));
    CLO_CHECK(clo_buf_u64be(&pt, e->clock));
    CLO_CHECK(clo_buf_append(&pt, e->lineage_key.b, 32));
    CLO_CHECK(clo_keyring_encode(&e->keys, &pt));
    CLO_CHECK(clo_buf_u16be(&pt, (uint16_t)e->n_secrets));
    for (size_t i = 0; i < e->n_secrets; i++) {
        CLO_CHECK(clo_buf_append(&pt, e->secrets[i].id, 32));
        CLO_CHECK(clo_buf_u64be(&pt, e->secrets[i].size));
    }
    CLO_CHECK(clo_buf_u32be(&pt, (uint32_t)e->log_count));
    for (size_t i = 0; i < e->log_count; i++) {
        const log_entry *le = &e->log[i];
        CLO_CHECK(clo_buf_append(&pt, le->job_id, 32));
        CLO_CHECK(clo_buf_append(&pt, le->digest, 32));
        CLO_CHECK(clo_buf_u64be(&pt, le->deadline));
    }
    clo_state_header h = {.format = CLO_STATE_FORMAT,
                          .backend = (uint8_t)clo_tee_kind_of(e->tee),
                          .version = e->version + 1};
    memcpy(h.measurement, clo_tee_measurement(e->tee), 48);
    memcpy(h.lineage, e->lineage, 20);
    CLO_CHECK(clo_random(h.nonce, sizeof h.nonce));
    size_t start = resp->len;
    uint8_t *state, digest[32], sig[65];
    CLO_CHECK(
        clo_proto_export_reserve(CLO_STATE_HEADER_SIZE + pt.len + CLO_AEAD_TAG_SIZE, resp, &state));
    clo_state_header_encode(&h, state);
    err = clo_aead_seal(CLO_AEAD_AES256GCM, CLO_BYTES(key, 32), CLO_BYTES(h.nonce, 12),
                        CLO_BYTES(state, CLO_STATE_HEADER_SIZE), clo_buf_view(&pt),
                        state + CLO_STATE_HEADER_SIZE);
    /* The lineage key vouches for the version to the committee. */
    if (!err.code) {
        clo_state_digest(CLO_STATE_EXPORT, e->lineage, h.version, NULL, e->cfg.chain_id,
                         e->cfg.market, digest);
        err = clo_eth_sign(&e->lineage_key, digest, sig);
    }
    if (!err.code) err = clo_proto_export_finish(sig, resp);
    if (err.code) {
        clo_buf_truncate(resp, start);
    } else {
        e->version = h.version;
        e->at_export = e->unwitnessed;
    }
out:
    clo_wipe(key, sizeof key);
    clo_buf_free(&pt);
    return err;
}

static clo_err decode_state(clo_enclave *e, clo_bytes pt, const uint8_t lineage[20])
{
    clo_cur c = clo_cur_init(pt);
    clo_secret32 lineage_key;
    uint8_t addr[20];
    uint8_t version;
    uint16_t n;
    uint32_t nlog;
    clo_err err = CLO_OK;
    secret_item items[MAX_SECRETS];
    size_t n_items = 0;
    uint64_t total = 0;
    clo_keyring keys;
    clo_keyring_init(&keys, e->keys.grace_seconds);
    memset(items, 0, sizeof items);
    uint64_t clock;
    CLO_CHECK(clo_cur_u8(&c, &version));
    CLO_FAIL_IF(version != CLO_STATE_FORMAT, CLO_E_VERSION, "state.version");
    CLO_CHECK(clo_cur_u64be(&c, &clock));
    CLO_CHECK(clo_cur_copy(&c, lineage_key.b, 32));
    CLO_CHECK(clo_eth_key_address(&lineage_key, addr));
    CLO_FAIL_IF(memcmp(addr, lineage, 20), CLO_E_FORMAT, "state: the lineage key is not its own");
    CLO_CHECK(clo_keyring_decode(&keys, &c));
    CLO_CHECK(clo_cur_u16be(&c, &n));
    CLO_FAIL_IF(n > MAX_SECRETS, CLO_E_LIMIT, "state.secrets");
    /* Names and sizes: the bytes come after, by SECRET_LOAD. */
    for (; n_items < n; n_items++) {
        uint64_t size;
        CLO_CHECK(clo_cur_copy(&c, items[n_items].id, 32));
        CLO_CHECK(clo_cur_u64be(&c, &size));
        CLO_FAIL_IF(size == 0 || size > MAX_SECRET_SIZE, CLO_E_LIMIT, "state.secret size");
        total += size;
        CLO_FAIL_IF(total > MAX_SECRETS_TOTAL, CLO_E_LIMIT, "state.secrets size");
        items[n_items].size = size;
    }
    CLO_CHECK(clo_cur_u32be(&c, &nlog));
    CLO_FAIL_IF(nlog > JOB_LOG_MAX, CLO_E_LIMIT, "state.log");
    CLO_FAIL_IF(clo_cur_left(&c) != (size_t)nlog * 72, CLO_E_FORMAT, "state.log size");
    /* Commit: nothing below can fail. */
    clo_keyring_wipe(&e->keys);
    e->keys = keys;
    e->n_secrets = n_items;
    memcpy(e->secrets, items, sizeof items);
    e->clock = clock;
    e->lineage_key = lineage_key;
    memcpy(e->lineage, lineage, 20);
    clo_wipe(&lineage_key, sizeof lineage_key);
    for (size_t i = 0; i < nlog; i++) {
        log_entry *le = &e->log[i];
        CLO_IGNORE(clo_cur_copy(&c, le->job_id, 32));
        CLO_IGNORE(clo_cur_copy(&c, le->digest, 32));
        CLO_IGNORE(clo_cur_u64be(&c, &le->deadline));
        clo_rt_log_link(e, (int32_t)i);
    }
    e->log_count = nlog;
    return CLO_OK;
out:
    clo_wipe(&lineage_key, sizeof lineage_key);
    clo_keyring_wipe(&keys);
    clo_wipe(items, sizeof items); /* no item holds memory yet */
    return err;
}

/* The committee's reports of the highest version it recorded for `lineage`,
 * over this enclave's nonce: every member, each once (wire/witness.h). */
static clo_err check_latest(const clo_enclave *e, const clo_proto_import *in,
                            const uint8_t lineage[20], uint64_t *max)
{
    const clo_committee *cm = &e->cfg.committee;
    uint8_t counted[CLO_COMMITTEE_MAX] = {0};
    size_t members = 0;
    *max = 0;
    CLO_ENSURE(in->count <= cm->count, CLO_E_LIMIT, "import: more reports than committee members");
    for (size_t i = 0; i < in->count; i++) {
        const clo_proto_state_report *r = &in->reports[i];
        uint8_t digest[32];
        clo_state_digest(CLO_STATE_LATEST, lineage, r->version, e->import_nonce, e->cfg.chain_id,
                         e->cfg.market, digest);
        CLO_TRY(clo_rt_count_member(cm, digest, r->sig,
                                    "import: a report by a non-member, a member twice, or not over "
                                    "this enclave's nonce",
                                    counted, &members));
        if (r->version > *max) *max = r->version;
    }
    CLO_ENSURE(members >= clo_state_read_quorum(cm) || !cm->count, CLO_E_POLICY,
               "import: too few committee reports of the state's latest version");
    return CLO_OK;
}

clo_err clo_rt_import(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    static clo_proto_import in; /* the enclave is single-threaded */
    clo_state_header h;
    uint8_t key[32];
    uint64_t recorded;
    CLO_ENSURE(e->keys.count == 0 && e->keys.last_epoch == 0 && e->log_count == 0 &&
                   e->n_secrets == 0 && e->version == 0,
               CLO_E_STATE, "import: only into a fresh enclave");
    CLO_TRY(clo_proto_import_decode(body, &in));
    CLO_TRY(clo_state_header_decode(in.state, &h));
    CLO_ENSURE(h.format == CLO_STATE_FORMAT, CLO_E_VERSION, "state.version");
    CLO_ENSURE(h.backend == clo_tee_kind_of(e->tee), CLO_E_POLICY,
               "state: sealed by another TEE backend");
    CLO_ENSURE(!memcmp(h.measurement, clo_tee_measurement(e->tee), 48), CLO_E_POLICY,
               "state: sealed by a different enclave measurement");
    clo_bytes ct =
        CLO_BYTES(in.state.ptr + CLO_STATE_HEADER_SIZE, in.state.len - CLO_STATE_HEADER_SIZE);
    CLO_ENSURE(ct.len >= CLO_AEAD_TAG_SIZE, CLO_E_FORMAT, "state: truncated");
    CLO_TRY(check_latest(e, &in, h.lineage, &recorded));
    CLO_ENSURE(h.version >= recorded, CLO_E_POLICY,
               "state: older than the version the committee recorded (a rollback)");
    clo_buf pt;
    clo_buf_init(&pt, ct.len);
    uint8_t *p;
    clo_err err = CLO_OK;
    CLO_CHECK(clo_rt_sealing_key(e, key));
    CLO_CHECK(clo_buf_extend(&pt, ct.len - CLO_AEAD_TAG_SIZE, &p));
    CLO_CHECK(clo_aead_open(CLO_AEAD_AES256GCM, CLO_BYTES(key, 32), CLO_BYTES(h.nonce, 12),
                            CLO_BYTES(in.state.ptr, CLO_STATE_HEADER_SIZE), ct, p));
    CLO_CHECK(decode_state(e, clo_buf_view(&pt), h.lineage));
    e->version = h.version;
    e->witnessed = e->cfg.committee.count ? recorded : h.version;
    /* A state newer than the record: the committee records it before any job. */
    e->unwitnessed = e->at_export = h.version > e->witnessed ? JOB_WINDOW : 0;
    clo_keyring_expire(&e->keys, now);
    const clo_epoch *cur = clo_keyring_current(&e->keys);
    static clo_proto_imported done; /* the enclave's calls come one at a time */
    done.epoch = cur ? cur->epoch : 0;
    done.count = e->n_secrets;
    for (size_t i = 0; i < e->n_secrets; i++) {
        memcpy(done.secrets[i].id, e->secrets[i].id, 32);
        done.secrets[i].size = e->secrets[i].size;
    }
    err = clo_proto_imported_encode(&done, resp);
out:
    clo_wipe(key, sizeof key);
    clo_buf_free(&pt);
    return err;
}

/* WITNESS: StateRecorded by `threshold` members for the last export. */
clo_err clo_rt_witness(clo_enclave *e, clo_bytes body)
{
    const clo_committee *cm = &e->cfg.committee;
    clo_proto_witness w;
    uint8_t counted[CLO_COMMITTEE_MAX] = {0}, digest[32];
    size_t members = 0;
    CLO_ENSURE(cm->count, CLO_E_STATE, "witness: this enclave trusts no committee");
    CLO_TRY(clo_proto_witness_decode(body, &w));
    CLO_ENSURE(w.version == e->version && w.version > 0, CLO_E_STATE,
               "witness: not the last export's version");
    clo_state_digest(CLO_STATE_RECORDED, e->lineage, w.version, NULL, e->cfg.chain_id,
                     e->cfg.market, digest);
    for (size_t i = 0; i < w.count; i++)
        CLO_TRY(clo_rt_count_member(cm, digest, w.sigs[i],
                                    "witness: a signature by a non-member, a member twice, or over "
                                    "another version",
                                    counted, &members));
    CLO_ENSURE(members >= cm->threshold, CLO_E_POLICY,
               "witness: fewer members than the threshold recorded it");
    if (w.version > e->witnessed) {
        e->witnessed = w.version;
        e->unwitnessed -= e->at_export;
        e->at_export = 0;
    }
    return CLO_OK;
}

clo_err clo_rt_state(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    CLO_TRY(clo_proto_empty_decode(body, "state: unexpected body"));
    clo_proto_state st = {.version = e->version, .witnessed = e->witnessed};
    memcpy(st.lineage, e->lineage, 20);
    memcpy(st.nonce, e->import_nonce, 32);
    return clo_proto_state_encode(&st, resp);
}
