/* secrets.c — the provisioned secrets (models): taken whole (PROVISION) or
 * streamed in chunks (STREAM_OPEN, STREAM_CHUNK) into secret memory, each
 * only under its SHA-256; handed to the host sealed, chunk by chunk
 * (SECRET_SEAL), to be stored beside the sealed state, which names them only;
 * loaded back from those chunks after an IMPORT (SECRET_LOAD). */
#include <string.h>

#include "base/ct.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "enclave/runtime_impl.h"
#include "workloads/workload.h"

static void provision_binding(const clo_enclave *e, const uint8_t id[32], uint32_t epoch,
                              clo_envelope_binding *b)
{
    memset(b, 0, sizeof *b);
    b->chain_id = e->cfg.chain_id;
    memcpy(b->contract, e->cfg.market, 20);
    memcpy(b->job_id, id, 32);
    clo_workload_id("provision", b->workload_id);
    b->epoch = epoch;
}

static size_t secret_slot(const clo_enclave *e, const uint8_t id[32])
{
    for (size_t i = 0; i < e->n_secrets; i++)
        if (!memcmp(e->secrets[i].id, id, 32)) return i;
    return e->n_secrets;
}

static secret_item *find_secret(clo_enclave *e, const uint8_t id[32])
{
    size_t i = secret_slot(e, id);
    return i < e->n_secrets ? &e->secrets[i] : NULL;
}

/* Secret memory held and promised: the secrets (loaded or not) and the open
 * streams, but for the secret `except` names (it is being replaced). */
static uint64_t held(const clo_enclave *e, const uint8_t *except)
{
    uint64_t total = 0;
    for (size_t i = 0; i < e->n_secrets; i++)
        if (!except || memcmp(e->secrets[i].id, except, 32)) total += e->secrets[i].size;
    for (size_t i = 0; i < MAX_STREAMS; i++)
        if (e->streams[i].used) total += e->streams[i].env.size;
    return total;
}

/* Room for one more secret of `size` under `id` (a new one, or one replaced). */
static clo_err check_room(const clo_enclave *e, const uint8_t id[32], uint64_t size)
{
    int had = secret_slot(e, id) < e->n_secrets;
    CLO_ENSURE(had || e->n_secrets < MAX_SECRETS, CLO_E_LIMIT, "provision: too many secrets");
    CLO_ENSURE(size <= MAX_SECRET_SIZE, CLO_E_LIMIT, "provision: a secret over 1 GiB");
    CLO_ENSURE(held(e, id) + size <= MAX_SECRETS_TOTAL, CLO_E_LIMIT,
               "provision: secrets over 2 GiB in all");
    return CLO_OK;
}

/* Take a checked secret (data: secret memory, size bytes, its SHA-256 is id). */
static void keep(clo_enclave *e, const uint8_t id[32], uint8_t *data, size_t size)
{
    secret_item *s = find_secret(e, id);
    if (s) {
        clo_secret_free(s->data);
    } else {
        s = &e->secrets[e->n_secrets++];
        memcpy(s->id, id, 32);
    }
    s->data = data;
    s->size = size;
    s->loaded = 1;
    s->next = 0;
}

clo_err clo_rt_provision(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    clo_proto_provision req;
    const clo_epoch *ep;
    CLO_TRY(clo_proto_provision_decode(body, &req));
    clo_keyring_expire(&e->keys, now);
    CLO_TRY(clo_keyring_find(&e->keys, req.epoch, &ep));
    CLO_TRY(check_room(e, req.id, 0));

    clo_envelope_binding b;
    provision_binding(e, req.id, req.epoch, &b);
    clo_buf plain;
    clo_buf_init(&plain, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_err err = clo_envelope_request_open(&plain, NULL, &b, ep->hpke, req.envelope);
    uint8_t *data = NULL;
    clo_proto_provisioned done;
    if (err.code) goto out;
    CLO_FAIL_IF(plain.len == 0, CLO_E_FORMAT, "provision: empty secret");
    /* Ids are content addresses: a secret is taken only under its SHA-256, so
     * no host can replace the bytes an id names (issue 15, finding 8). */
    uint8_t named[32];
    CLO_CHECK(clo_sha256(clo_buf_view(&plain), named));
    CLO_FAIL_IF(!clo_ct_eq(named, req.id, 32), CLO_E_POLICY,
                "provision: id is not the secret's SHA-256");
    CLO_CHECK(check_room(e, req.id, plain.len));
    data = clo_secret_alloc(plain.len);
    CLO_FAIL_IF(!data, CLO_E_NOMEM, "provision: secret memory");
    memcpy(data, plain.ptr, plain.len);
    memcpy(done.id, req.id, 32);
    clo_keccak256(clo_buf_view(&plain), done.digest);
    CLO_CHECK(clo_proto_provisioned_encode(&done, resp));
    keep(e, req.id, data, plain.len);
    data = NULL;
out:
    clo_secret_free(data);
    clo_buf_free(&plain);
    return err;
}

/* ---- streamed provisioning ---- */

static void stream_drop(stream_item *s)
{
    if (!s->used) return;
    clo_envelope_stream_wipe(&s->env);
    clo_hash_wipe(&s->sha);
    clo_secret_free(s->data);
    clo_wipe(s, sizeof *s);
}

void clo_rt_streams_wipe(clo_enclave *e)
{
    for (size_t i = 0; i < MAX_STREAMS; i++) stream_drop(&e->streams[i]);
}

clo_err clo_rt_stream_open(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    clo_proto_stream_open req;
    clo_envelope_stream probe;
    const clo_epoch *ep;
    CLO_TRY(clo_proto_stream_open_decode(body, &req));
    CLO_TRY(clo_envelope_stream_parse_header(req.header, &probe));
    clo_keyring_expire(&e->keys, now);
    CLO_TRY(clo_keyring_find(&e->keys, probe.epoch, &ep));
    /* A new stream displaces the least recently used ones while it does not
     * fit: a stream the host abandoned holds memory only until then. */
    for (;;) {
        stream_item *lru = NULL;
        size_t used = 0;
        for (size_t i = 0; i < MAX_STREAMS; i++) {
            stream_item *s = &e->streams[i];
            if (!s->used) continue;
            used++;
            if (!lru || s->touched < lru->touched) lru = s;
        }
        if (!lru || (used < MAX_STREAMS && check_room(e, req.id, probe.size).code == CLO_OK_CODE))
            break;
        stream_drop(lru);
    }
    CLO_TRY(check_room(e, req.id, probe.size));
    stream_item *s = NULL;
    for (size_t i = 0; i < MAX_STREAMS && !s; i++)
        if (!e->streams[i].used) s = &e->streams[i];
    CLO_ENSURE(s, CLO_E_LIMIT, "stream: no free slot"); /* ALWAYS: the loop freed one */

    clo_envelope_binding b;
    provision_binding(e, req.id, probe.epoch, &b);
    clo_err err = CLO_OK;
    s->used = 1;
    CLO_CHECK(clo_envelope_stream_open_init(&s->env, &b, ep->hpke, req.header));
    CLO_CHECK(clo_hash_init(&s->sha, CLO_HASH_SHA256));
    clo_keccak256_init(&s->keccak);
    s->data = clo_secret_alloc((size_t)s->env.size);
    CLO_FAIL_IF(!s->data, CLO_E_NOMEM, "stream: secret memory");
    CLO_CHECK(clo_random(s->handle, sizeof s->handle));
    memcpy(s->id, req.id, 32);
    s->touched = ++e->stream_clock;
    clo_proto_stream out = {.count = s->env.count};
    memcpy(out.handle, s->handle, 16);
    CLO_CHECK(clo_proto_stream_encode(&out, resp));
out:
    if (err.code) stream_drop(s);
    return err;
}

clo_err clo_rt_stream_chunk(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    clo_proto_stream_chunk req;
    clo_proto_stream_done done;
    stream_item *s = NULL;
    clo_err err = CLO_OK;
    CLO_TRY(clo_proto_stream_chunk_decode(body, &req));
    for (size_t i = 0; i < MAX_STREAMS && !s; i++)
        if (e->streams[i].used && !memcmp(e->streams[i].handle, req.handle, 16)) s = &e->streams[i];
    CLO_ENSURE(s, CLO_E_STATE, "stream: no such stream (never opened, finished, or displaced)");
    CLO_ENSURE(req.index == s->env.next, CLO_E_STATE, "stream: not the next chunk");
    s->touched = ++e->stream_clock;
    uint8_t *at = s->data + (size_t)req.index * s->env.chunk_size;
    clo_bytes pt = CLO_BYTES(at, clo_envelope_stream_chunk_len(&s->env, req.index));
    /* A chunk that does not open ends the stream: only the host could have changed it. */
    CLO_CHECK(clo_envelope_stream_open_chunk(&s->env, req.chunk, at));
    CLO_CHECK(clo_hash_update(&s->sha, pt));
    clo_keccak256_update(&s->keccak, pt);
    memset(&done, 0, sizeof done);
    if (s->env.next == s->env.count) {
        uint8_t named[32];
        CLO_CHECK(clo_hash_final(&s->sha, named));
        CLO_FAIL_IF(!clo_ct_eq(named, s->id, 32), CLO_E_POLICY,
                    "provision: id is not the secret's SHA-256");
        done.done = 1;
        memcpy(done.provisioned.id, s->id, 32);
        clo_keccak256_final(&s->keccak, done.provisioned.digest);
        CLO_CHECK(check_room(e, s->id, 0)); /* the slot may have gone to another */
    }
    CLO_CHECK(clo_proto_stream_done_encode(&done, resp));
    if (done.done) {
        keep(e, s->id, s->data, (size_t)s->env.size);
        s->data = NULL;
        stream_drop(s);
    }
    return CLO_OK;
out:
    stream_drop(s);
    return err;
}

/* ---- sealed chunks ---- */

/* Each secret's own key from the sealing key; nonce = 0^4 || u64 index, AAD =
 * id || u64 size || u32 index || u32 count. One id names one content, so a
 * chunk sealed twice is the same bytes: a nonce never meets two plaintexts. */
static clo_err chunk_key(clo_enclave *e, const uint8_t id[32], uint8_t key[32])
{
    uint8_t sk[32];
    clo_bytes info[2] = {clo_bytes_str("cloister/v1/sealed-secret"), CLO_BYTES(id, 32)};
    clo_err err = clo_rt_sealing_key(e, sk);
    if (!err.code)
        err = clo_hkdf_expand_parts(CLO_HASH_SHA256, CLO_BYTES(sk, 32), info, 2, key, 32);
    clo_wipe(sk, sizeof sk);
    return err;
}

static uint32_t chunk_count(uint64_t size)
{
    return (uint32_t)((size + CLO_SECRET_CHUNK - 1) / CLO_SECRET_CHUNK);
}

static void chunk_params(const secret_item *s, uint32_t index, uint8_t nonce[12], uint8_t aad[48])
{
    memset(nonce, 0, 4);
    clo_store_u64be(nonce + 4, index);
    memcpy(aad, s->id, 32);
    clo_store_u64be(aad + 32, s->size);
    clo_store_u32be(aad + 40, index);
    clo_store_u32be(aad + 44, chunk_count(s->size));
}

static size_t chunk_len(const secret_item *s, uint32_t index)
{
    uint64_t left = s->size - (uint64_t)index * CLO_SECRET_CHUNK;
    return (size_t)(left < CLO_SECRET_CHUNK ? left : CLO_SECRET_CHUNK);
}

clo_err clo_rt_secret_seal(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    clo_proto_secret_ref req;
    uint8_t key[32], nonce[12], aad[48], *ct;
    CLO_TRY(clo_proto_secret_ref_decode(body, &req));
    secret_item *s = find_secret(e, req.id);
    CLO_ENSURE(s && s->loaded, CLO_E_STATE, "secret_seal: no such secret held");
    uint32_t count = chunk_count(s->size);
    CLO_ENSURE(req.index < count, CLO_E_LIMIT, "secret_seal: past the last chunk");
    size_t n = chunk_len(s, req.index);
    clo_err err = CLO_OK;
    size_t start = resp->len;
    CLO_CHECK(chunk_key(e, s->id, key));
    chunk_params(s, req.index, nonce, aad);
    CLO_CHECK(clo_buf_u32be(resp, count));
    CLO_CHECK(clo_buf_extend(resp, n + CLO_AEAD_TAG_SIZE, &ct));
    CLO_CHECK(clo_aead_seal(CLO_AEAD_AES256GCM, CLO_BYTES(key, 32), CLO_BYTES(nonce, 12),
                            CLO_BYTES(aad, 48),
                            CLO_BYTES(s->data + (size_t)req.index * CLO_SECRET_CHUNK, n), ct));
out:
    if (err.code) clo_buf_truncate(resp, start);
    clo_wipe(key, sizeof key);
    return err;
}

clo_err clo_rt_secret_load(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    clo_proto_secret_load req;
    uint8_t key[32], nonce[12], aad[48];
    CLO_TRY(clo_proto_secret_load_decode(body, &req));
    secret_item *s = find_secret(e, req.id);
    CLO_ENSURE(s, CLO_E_STATE, "secret_load: the state names no such secret");
    CLO_ENSURE(!s->loaded, CLO_E_STATE, "secret_load: already loaded");
    uint32_t count = chunk_count(s->size);
    CLO_ENSURE(req.index == s->next, CLO_E_STATE, "secret_load: not the next chunk");
    size_t n = chunk_len(s, req.index);
    CLO_ENSURE(req.sealed.len == n + CLO_AEAD_TAG_SIZE, CLO_E_AUTH, "secret_load: chunk");
    clo_err err = CLO_OK;
    if (!s->data) {
        s->data = clo_secret_alloc((size_t)s->size);
        CLO_ENSURE(s->data, CLO_E_NOMEM, "secret_load: secret memory");
    }
    uint8_t *at = s->data + (size_t)req.index * CLO_SECRET_CHUNK;
    CLO_CHECK(chunk_key(e, s->id, key));
    chunk_params(s, req.index, nonce, aad);
    CLO_CHECK(clo_aead_open(CLO_AEAD_AES256GCM, CLO_BYTES(key, 32), CLO_BYTES(nonce, 12),
                            CLO_BYTES(aad, 48), req.sealed, at));
    s->next++;
    if (s->next == count) {
        /* Defence in depth: the chunks' AAD already binds id, size and order. */
        uint8_t named[32];
        CLO_CHECK(clo_sha256(CLO_BYTES(s->data, (size_t)s->size), named));
        CLO_FAIL_IF(!clo_ct_eq(named, s->id, 32), CLO_E_AUTH,
                    "secret_load: not the secret its id names");
        s->loaded = 1;
    }
    CLO_CHECK(clo_buf_u8(resp, (uint8_t)s->loaded));
out:
    clo_wipe(key, sizeof key);
    if (err.code && err.code != CLO_E_NOMEM) {
        /* Start over from chunk 0; nothing half-loaded is ever used. */
        clo_secret_free(s->data);
        s->data = NULL;
        s->next = 0;
        if (err.code != CLO_E_AUTH) return err;
        return CLO_ERR(CLO_E_AUTH, "secret_load: a chunk that does not open");
    }
    return err;
}

/* The workloads' view of the provisioned secrets (a model, by its id): only
 * a secret wholly held; one the state names but the host has not loaded is
 * not provisioned. */
clo_bytes clo_rt_secret_view(const void *ctx, const uint8_t id[32])
{
    const clo_enclave *e = ctx;
    for (size_t i = 0; i < e->n_secrets; i++)
        if (!memcmp(e->secrets[i].id, id, 32) && e->secrets[i].loaded)
            return CLO_BYTES(e->secrets[i].data, e->secrets[i].size);
    return CLO_BYTES_EMPTY;
}
