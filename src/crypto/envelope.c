/* envelope.c — request/response envelopes (docs/formats.md §1). */
#include "crypto/envelope.h"

#include <string.h>

#include "base/ct.h"
#include "crypto/hash.h"

#define INFO_SIZE (24 + 8 + 20 + 32 + 32 + 4)

static const char k_dom_request[] = "cloister/v1/request";
static const char k_dom_reply_to[] = "cloister/v1/reply-to";
static const char k_dom_stream[] = "cloister/v1/stream";
static const char k_exp_reply[] = "cloister/v1/reply";
static const char k_lbl_key[] = "cloister/v1/reply key";
static const char k_lbl_nonce[] = "cloister/v1/reply nonce";
static const char k_det_salt[] = "cloister/v1/reply-to ephemeral";

/* domain || u64 chain_id || contract || job_id || workload_id || u32 epoch.
 * Every field after the domain has a fixed size, so the encoding is unambiguous. */
static clo_bytes make_info(uint8_t buf[INFO_SIZE], const char *domain,
                           const clo_envelope_binding *b)
{
    size_t n = strlen(domain);
    memcpy(buf, domain, n);
    clo_store_u64be(buf + n, b->chain_id);
    n += 8;
    memcpy(buf + n, b->contract, 20);
    n += 20;
    memcpy(buf + n, b->job_id, 32);
    n += 32;
    memcpy(buf + n, b->workload_id, 32);
    n += 32;
    clo_store_u32be(buf + n, b->epoch);
    return CLO_BYTES(buf, n + 4);
}

static int is_sealing_aead(uint16_t aead)
{
    return aead == CLO_HPKE_AEAD_AES128GCM || aead == CLO_HPKE_AEAD_AES256GCM ||
           aead == CLO_HPKE_AEAD_CHACHA20POLY1305;
}

clo_err clo_envelope_parse_header(clo_bytes env, clo_envelope_header *h)
{
    clo_cur c = clo_cur_init(env);
    uint32_t ct_size = 0;
    memset(h, 0, sizeof *h);
    CLO_ENSURE(env.len <= CLO_ENVELOPE_MAX_SIZE, CLO_E_LIMIT, "envelope size");
    CLO_TRY(clo_cur_u8(&c, &h->version));
    CLO_ENSURE(h->version == CLO_ENVELOPE_VERSION, CLO_E_VERSION, "envelope version");
    CLO_TRY(clo_cur_u8(&c, &h->kind));
    switch (h->kind) {
    case CLO_ENVELOPE_KIND_REQUEST:
    case CLO_ENVELOPE_KIND_REPLY_TO:
        CLO_TRY(clo_cur_u16be(&c, &h->suite.kem));
        CLO_TRY(clo_cur_u16be(&c, &h->suite.kdf));
        CLO_TRY(clo_cur_u16be(&c, &h->suite.aead));
        CLO_TRY(clo_cur_u32be(&c, &h->epoch));
        CLO_TRY(clo_cur_skip(&c, CLO_HPKE_ENC_SIZE));
        CLO_ENSURE(clo_hpke_suite_check(h->suite).code == CLO_OK_CODE &&
                       is_sealing_aead(h->suite.aead),
                   CLO_E_UNSUPPORTED, "envelope hpke suite");
        break;
    case CLO_ENVELOPE_KIND_REPLY:
        CLO_TRY(clo_cur_u16be(&c, &h->suite.aead));
        CLO_ENSURE(is_sealing_aead(h->suite.aead), CLO_E_UNSUPPORTED, "envelope aead");
        CLO_TRY(clo_cur_skip(&c, CLO_AEAD_NONCE_SIZE));
        break;
    default: return CLO_ERR(CLO_E_FORMAT, "envelope kind");
    }
    CLO_TRY(clo_cur_u32be(&c, &ct_size));
    CLO_ENSURE(ct_size <= CLO_ENVELOPE_MAX_PAYLOAD + CLO_HPKE_TAG_SIZE, CLO_E_LIMIT,
               "envelope payload size");
    CLO_ENSURE(ct_size >= CLO_HPKE_TAG_SIZE, CLO_E_FORMAT, "envelope ciphertext shorter than tag");
    CLO_ENSURE(clo_cur_left(&c) >= ct_size, CLO_E_FORMAT, "envelope truncated");
    CLO_ENSURE(clo_cur_left(&c) == ct_size, CLO_E_FORMAT, "envelope has trailing bytes");
    h->ct_size = ct_size;
    return CLO_OK;
}

/* Parse and require a kind; split the envelope into header (the AAD) and ciphertext. */
static clo_err split(clo_bytes env, uint8_t kind, clo_envelope_header *h, clo_bytes *hdr,
                     clo_bytes *ct)
{
    CLO_TRY(clo_envelope_parse_header(env, h));
    CLO_ENSURE(h->kind == kind, CLO_E_FORMAT, "envelope kind");
    *hdr = CLO_BYTES(env.ptr, env.len - h->ct_size);
    *ct = CLO_BYTES(env.ptr + hdr->len, h->ct_size);
    return CLO_OK;
}

/* Append header fields for kinds 1 and 3; returns the offset where the header starts. */
static clo_err put_hpke_header(clo_buf *out, uint8_t kind, clo_hpke_suite s, uint32_t epoch,
                               const uint8_t enc[CLO_HPKE_ENC_SIZE], size_t payload_size)
{
    CLO_TRY(clo_buf_u8(out, CLO_ENVELOPE_VERSION));
    CLO_TRY(clo_buf_u8(out, kind));
    CLO_TRY(clo_buf_u16be(out, s.kem));
    CLO_TRY(clo_buf_u16be(out, s.kdf));
    CLO_TRY(clo_buf_u16be(out, s.aead));
    CLO_TRY(clo_buf_u32be(out, epoch));
    CLO_TRY(clo_buf_append(out, enc, CLO_HPKE_ENC_SIZE));
    return clo_buf_u32be(out, (uint32_t)(payload_size + CLO_HPKE_TAG_SIZE));
}

static clo_err check_seal_args(clo_hpke_suite suite, clo_bytes payload)
{
    CLO_ENSURE(clo_hpke_suite_check(suite).code == CLO_OK_CODE && is_sealing_aead(suite.aead),
               CLO_E_UNSUPPORTED, "envelope hpke suite");
    CLO_ENSURE(payload.len <= CLO_ENVELOPE_MAX_PAYLOAD, CLO_E_LIMIT, "envelope payload size");
    return CLO_OK;
}

/* Seal with a set-up sender context: header, then payload under the header as AAD. */
static clo_err seal_hpke_body(clo_buf *out, clo_hpke_ctx *ctx, uint8_t kind, clo_hpke_suite suite,
                              uint32_t epoch, const uint8_t enc[CLO_HPKE_ENC_SIZE],
                              clo_bytes payload)
{
    size_t start = out->len;
    uint8_t *ct;
    clo_err err = CLO_OK;
    CLO_CHECK(put_hpke_header(out, kind, suite, epoch, enc, payload.len));
    /* Copy the header out: out->ptr may move when the buffer grows. */
    uint8_t hdr[CLO_ENVELOPE_REQUEST_HEADER_SIZE];
    memcpy(hdr, out->ptr + start, sizeof hdr);
    CLO_CHECK(clo_buf_extend(out, payload.len + CLO_HPKE_TAG_SIZE, &ct));
    CLO_CHECK(clo_hpke_seal(ctx, CLO_BYTES(hdr, sizeof hdr), payload, ct));
out:
    if (err.code) clo_buf_truncate(out, start);
    return err;
}

static clo_err export_reply_key(const clo_hpke_ctx *ctx, const clo_envelope_binding *b,
                                uint16_t aead, clo_envelope_reply_key *rk)
{
    CLO_TRY(clo_hpke_export(ctx, clo_bytes_str(k_exp_reply), rk->secret, sizeof rk->secret));
    memcpy(rk->job_id, b->job_id, sizeof rk->job_id);
    rk->aead = aead;
    return CLO_OK;
}

clo_err clo_envelope_request_seal(clo_buf *out, clo_envelope_reply_key *reply_key,
                                  const clo_envelope_binding *b, clo_hpke_suite suite,
                                  const uint8_t pk[CLO_HPKE_PK_SIZE], clo_bytes payload)
{
    uint8_t info_buf[INFO_SIZE], enc[CLO_HPKE_ENC_SIZE];
    clo_hpke_ctx ctx;
    clo_err err = CLO_OK;
    CLO_TRY(check_seal_args(suite, payload));
    clo_bytes info = make_info(info_buf, k_dom_request, b);
    CLO_TRY(clo_hpke_setup_sender(&ctx, suite, pk, info, NULL, enc));
    CLO_CHECK(seal_hpke_body(out, &ctx, CLO_ENVELOPE_KIND_REQUEST, suite, b->epoch, enc, payload));
    if (reply_key) CLO_CHECK(export_reply_key(&ctx, b, suite.aead, reply_key));
out:
    clo_hpke_ctx_wipe(&ctx);
    return err;
}

/* After the header parses, every failure below is reported as one CLO_E_AUTH. */
static clo_err open_hpke_body(clo_buf *out, clo_hpke_ctx *ctx, const clo_x25519_key *sk,
                              const clo_envelope_header *h, clo_bytes hdr, clo_bytes ct,
                              clo_bytes info)
{
    size_t start = out->len;
    uint8_t *pt;
    const uint8_t *enc = hdr.ptr + 12;
    clo_err err = CLO_OK;
    CLO_CHECK(clo_buf_extend(out, ct.len - CLO_HPKE_TAG_SIZE, &pt));
    CLO_CHECK(clo_hpke_setup_receiver(ctx, h->suite, sk, enc, info, NULL));
    CLO_CHECK(clo_hpke_open(ctx, hdr, ct, pt));
out:
    if (err.code) {
        clo_buf_truncate(out, start);
        clo_hpke_ctx_wipe(ctx);
        if (err.code != CLO_E_NOMEM && err.code != CLO_E_LIMIT)
            err = CLO_ERR(CLO_E_AUTH, "envelope authentication");
    }
    return err;
}

clo_err clo_envelope_request_open(clo_buf *out, clo_envelope_reply_key *reply_key,
                                  const clo_envelope_binding *b, const clo_x25519_key *sk,
                                  clo_bytes env)
{
    clo_envelope_header h;
    clo_bytes hdr, ct;
    uint8_t info_buf[INFO_SIZE];
    clo_hpke_ctx ctx;
    size_t start = out->len;
    clo_err err = CLO_OK;
    CLO_TRY(split(env, CLO_ENVELOPE_KIND_REQUEST, &h, &hdr, &ct));
    /* The epoch on the wire selects the key; one that is not the binding's cannot open. */
    CLO_ENSURE(h.epoch == b->epoch, CLO_E_AUTH, "envelope authentication");
    clo_bytes info = make_info(info_buf, k_dom_request, b);
    CLO_TRY(open_hpke_body(out, &ctx, sk, &h, hdr, ct, info));
    if (reply_key) err = export_reply_key(&ctx, b, h.suite.aead, reply_key);
    clo_hpke_ctx_wipe(&ctx);
    if (err.code) clo_buf_truncate(out, start);
    return err;
}

/* prk = Extract(salt=job_id, secret); key = Expand(prk, "...key", Nk); nonce key likewise. */
static clo_err reply_keys(const clo_envelope_reply_key *rk, uint8_t key[32], uint8_t nkey[32])
{
    uint8_t prk[32];
    clo_err err = clo_hkdf_extract(CLO_HASH_SHA256, CLO_BYTES(rk->job_id, 32),
                                   CLO_BYTES(rk->secret, 32), prk);
    if (!err.code)
        err = clo_hkdf_expand(CLO_HASH_SHA256, CLO_BYTES(prk, 32), clo_bytes_str(k_lbl_key), key,
                              clo_aead_key_size((clo_aead_alg)rk->aead));
    if (!err.code)
        err = clo_hkdf_expand(CLO_HASH_SHA256, CLO_BYTES(prk, 32), clo_bytes_str(k_lbl_nonce), nkey,
                              32);
    clo_wipe(prk, sizeof prk);
    return err;
}

/* Synthetic nonce: HMAC(nonce_key, u16 aead || u32 size || payload)[0..12]. */
static clo_err reply_nonce(const uint8_t nkey[32], uint16_t aead, clo_bytes payload,
                           uint8_t nonce[CLO_AEAD_NONCE_SIZE])
{
    uint8_t pre[6], mac[32];
    clo_hmac_ctx h;
    clo_store_u16be(pre, aead);
    clo_store_u32be(pre + 2, (uint32_t)payload.len);
    CLO_TRY(clo_hmac_init(&h, CLO_HASH_SHA256, CLO_BYTES(nkey, 32)));
    CLO_TRY(clo_hmac_update(&h, CLO_BYTES(pre, sizeof pre)));
    CLO_TRY(clo_hmac_update(&h, payload));
    CLO_TRY(clo_hmac_final(&h, mac));
    memcpy(nonce, mac, CLO_AEAD_NONCE_SIZE);
    clo_wipe(mac, sizeof mac);
    return CLO_OK;
}

clo_err clo_envelope_reply_seal(clo_buf *out, const clo_envelope_reply_key *rk, clo_bytes payload)
{
    uint8_t key[32], nkey[32], nonce[CLO_AEAD_NONCE_SIZE], hdr[CLO_ENVELOPE_REPLY_HEADER_SIZE];
    uint8_t *ct;
    size_t start = out->len;
    clo_err err = CLO_OK;
    CLO_ENSURE(is_sealing_aead(rk->aead), CLO_E_UNSUPPORTED, "envelope aead");
    CLO_ENSURE(payload.len <= CLO_ENVELOPE_MAX_PAYLOAD, CLO_E_LIMIT, "envelope payload size");
    CLO_CHECK(reply_keys(rk, key, nkey));
    CLO_CHECK(reply_nonce(nkey, rk->aead, payload, nonce));
    hdr[0] = CLO_ENVELOPE_VERSION;
    hdr[1] = CLO_ENVELOPE_KIND_REPLY;
    clo_store_u16be(hdr + 2, rk->aead);
    memcpy(hdr + 4, nonce, sizeof nonce);
    clo_store_u32be(hdr + 16, (uint32_t)(payload.len + CLO_AEAD_TAG_SIZE));
    CLO_CHECK(clo_buf_append(out, hdr, sizeof hdr));
    CLO_CHECK(clo_buf_extend(out, payload.len + CLO_AEAD_TAG_SIZE, &ct));
    CLO_CHECK(clo_aead_seal(
        (clo_aead_alg)rk->aead, CLO_BYTES(key, clo_aead_key_size((clo_aead_alg)rk->aead)),
        CLO_BYTES(nonce, sizeof nonce), CLO_BYTES(hdr, sizeof hdr), payload, ct));
out:
    clo_wipe(key, sizeof key);
    clo_wipe(nkey, sizeof nkey);
    if (err.code) clo_buf_truncate(out, start);
    return err;
}

clo_err clo_envelope_reply_open(clo_buf *out, const clo_envelope_reply_key *rk, clo_bytes env)
{
    clo_envelope_header h;
    clo_bytes hdr, ct;
    uint8_t key[32], nkey[32], nonce[CLO_AEAD_NONCE_SIZE];
    uint8_t *pt;
    size_t start = out->len;
    clo_err err = CLO_OK;
    CLO_TRY(split(env, CLO_ENVELOPE_KIND_REPLY, &h, &hdr, &ct));
    CLO_ENSURE(is_sealing_aead(rk->aead), CLO_E_ARG, "envelope reply key");
    CLO_CHECK(clo_buf_extend(out, ct.len - CLO_AEAD_TAG_SIZE, &pt));
    CLO_FAIL_IF(h.suite.aead != rk->aead, CLO_E_AUTH, "envelope authentication");
    CLO_CHECK(reply_keys(rk, key, nkey));
    CLO_CHECK(clo_aead_open((clo_aead_alg)rk->aead,
                            CLO_BYTES(key, clo_aead_key_size((clo_aead_alg)rk->aead)),
                            CLO_BYTES(hdr.ptr + 4, CLO_AEAD_NONCE_SIZE), hdr, ct, pt));
    /* The nonce must be the MAC of what it protects (SIV check). */
    CLO_CHECK(reply_nonce(nkey, rk->aead, CLO_BYTES(pt, ct.len - CLO_AEAD_TAG_SIZE), nonce));
    CLO_FAIL_IF(!clo_ct_eq(nonce, hdr.ptr + 4, sizeof nonce), CLO_E_AUTH,
                "envelope authentication");
out:
    clo_wipe(key, sizeof key);
    clo_wipe(nkey, sizeof nkey);
    if (err.code) {
        clo_buf_truncate(out, start);
        if (err.code != CLO_E_NOMEM && err.code != CLO_E_LIMIT)
            err = CLO_ERR(CLO_E_AUTH, "envelope authentication");
    }
    return err;
}

clo_err clo_envelope_reply_seal_to(clo_buf *out, const clo_x25519_key *sk,
                                   const clo_envelope_binding *b, clo_hpke_suite suite,
                                   const uint8_t recipient_pk[CLO_HPKE_PK_SIZE], clo_bytes payload)
{
    uint8_t info_buf[INFO_SIZE], enc[CLO_HPKE_ENC_SIZE], skb[32], prk[32], ikm[32], ph[32];
    clo_x25519_key *eph = NULL;
    clo_hpke_ctx ctx;
    clo_hmac_ctx m;
    clo_err err = CLO_OK;
    memset(&ctx, 0, sizeof ctx);
    CLO_TRY(check_seal_args(suite, payload));
    clo_bytes info = make_info(info_buf, k_dom_reply_to, b);
    /* ikmE = HMAC(Extract(salt, sk), info || recipient || SHA-256(payload)): only the
     * enclave can compute it, and it changes with anything that changes the output. */
    clo_x25519_key_private(sk, skb);
    CLO_CHECK(
        clo_hkdf_extract(CLO_HASH_SHA256, clo_bytes_str(k_det_salt), CLO_BYTES(skb, 32), prk));
    CLO_CHECK(clo_sha256(payload, ph));
    CLO_CHECK(clo_hmac_init(&m, CLO_HASH_SHA256, CLO_BYTES(prk, 32)));
    CLO_CHECK(clo_hmac_update(&m, info));
    CLO_CHECK(clo_hmac_update(&m, CLO_BYTES(recipient_pk, CLO_HPKE_PK_SIZE)));
    CLO_CHECK(clo_hmac_update(&m, CLO_BYTES(ph, 32)));
    CLO_CHECK(clo_hmac_final(&m, ikm));
    CLO_CHECK(clo_hpke_derive_keypair(suite, CLO_BYTES(ikm, 32), &eph));
    CLO_CHECK(clo_hpke_setup_sender_with(&ctx, suite, eph, recipient_pk, info, NULL, enc));
    CLO_CHECK(seal_hpke_body(out, &ctx, CLO_ENVELOPE_KIND_REPLY_TO, suite, b->epoch, enc, payload));
out:
    clo_x25519_key_free(eph);
    clo_hpke_ctx_wipe(&ctx);
    clo_wipe(skb, sizeof skb);
    clo_wipe(prk, sizeof prk);
    clo_wipe(ikm, sizeof ikm);
    return err;
}

clo_err clo_envelope_reply_open_as(clo_buf *out, const clo_x25519_key *recipient,
                                   const clo_envelope_binding *b, clo_bytes env)
{
    clo_envelope_header h;
    clo_bytes hdr, ct;
    uint8_t info_buf[INFO_SIZE];
    clo_hpke_ctx ctx;
    CLO_TRY(split(env, CLO_ENVELOPE_KIND_REPLY_TO, &h, &hdr, &ct));
    CLO_ENSURE(h.epoch == b->epoch, CLO_E_AUTH, "envelope authentication");
    clo_bytes info = make_info(info_buf, k_dom_reply_to, b);
    clo_err err = open_hpke_body(out, &ctx, recipient, &h, hdr, ct, info);
    clo_hpke_ctx_wipe(&ctx);
    return err;
}

void clo_envelope_reply_key_wipe(clo_envelope_reply_key *rk)
{
    clo_wipe(rk, sizeof *rk);
}

clo_err clo_envelope_stream_parse_header(clo_bytes header, clo_envelope_stream *s)
{
    clo_cur c = clo_cur_init(header);
    uint8_t version, kind;
    clo_hpke_suite suite;
    memset(s, 0, sizeof *s);
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == CLO_ENVELOPE_VERSION, CLO_E_VERSION, "stream version");
    CLO_TRY(clo_cur_u8(&c, &kind));
    CLO_ENSURE(kind == CLO_ENVELOPE_KIND_STREAM, CLO_E_FORMAT, "stream kind");
    CLO_TRY(clo_cur_u16be(&c, &suite.kem));
    CLO_TRY(clo_cur_u16be(&c, &suite.kdf));
    CLO_TRY(clo_cur_u16be(&c, &suite.aead));
    CLO_ENSURE(clo_hpke_suite_check(suite).code == CLO_OK_CODE && is_sealing_aead(suite.aead),
               CLO_E_UNSUPPORTED, "stream hpke suite");
    CLO_TRY(clo_cur_u32be(&c, &s->epoch));
    CLO_TRY(clo_cur_skip(&c, CLO_HPKE_ENC_SIZE));
    CLO_TRY(clo_cur_u64be(&c, &s->size));
    CLO_TRY(clo_cur_u32be(&c, &s->chunk_size));
    CLO_TRY(clo_cur_end(&c));
    CLO_ENSURE(s->size >= 1 && s->size <= CLO_ENVELOPE_STREAM_MAX_SIZE, CLO_E_LIMIT, "stream size");
    CLO_ENSURE(s->chunk_size >= CLO_ENVELOPE_STREAM_MIN_CHUNK &&
                   s->chunk_size <= CLO_ENVELOPE_STREAM_MAX_CHUNK,
               CLO_E_LIMIT, "stream chunk size");
    s->hpke.suite = suite;
    s->count = (uint32_t)((s->size + s->chunk_size - 1) / s->chunk_size);
    memcpy(s->header, header.ptr, CLO_ENVELOPE_STREAM_HEADER_SIZE);
    return CLO_OK;
}

size_t clo_envelope_stream_chunk_len(const clo_envelope_stream *s, uint32_t index)
{
    if (index >= s->count) return 0;
    uint64_t start = (uint64_t)index * s->chunk_size, left = s->size - start;
    return (size_t)(left < s->chunk_size ? left : s->chunk_size);
}

/* header || u32 index */
static clo_bytes stream_aad(const clo_envelope_stream *s, uint8_t aad[60])
{
    memcpy(aad, s->header, CLO_ENVELOPE_STREAM_HEADER_SIZE);
    clo_store_u32be(aad + CLO_ENVELOPE_STREAM_HEADER_SIZE, s->next);
    return CLO_BYTES(aad, CLO_ENVELOPE_STREAM_HEADER_SIZE + 4);
}

clo_err clo_envelope_stream_seal_init(clo_envelope_stream *s, const clo_envelope_binding *b,
                                      clo_hpke_suite suite, const uint8_t pk[CLO_HPKE_PK_SIZE],
                                      uint64_t size, uint32_t chunk_size)
{
    uint8_t info_buf[INFO_SIZE], enc[CLO_HPKE_ENC_SIZE], *h;
    memset(s, 0, sizeof *s);
    CLO_ENSURE(clo_hpke_suite_check(suite).code == CLO_OK_CODE && is_sealing_aead(suite.aead),
               CLO_E_UNSUPPORTED, "stream hpke suite");
    CLO_ENSURE(size >= 1 && size <= CLO_ENVELOPE_STREAM_MAX_SIZE, CLO_E_LIMIT, "stream size");
    CLO_ENSURE(chunk_size >= CLO_ENVELOPE_STREAM_MIN_CHUNK &&
                   chunk_size <= CLO_ENVELOPE_STREAM_MAX_CHUNK,
               CLO_E_LIMIT, "stream chunk size");
    clo_bytes info = make_info(info_buf, k_dom_stream, b);
    CLO_TRY(clo_hpke_setup_sender(&s->hpke, suite, pk, info, NULL, enc));
    h = s->header;
    h[0] = CLO_ENVELOPE_VERSION;
    h[1] = CLO_ENVELOPE_KIND_STREAM;
    clo_store_u16be(h + 2, suite.kem);
    clo_store_u16be(h + 4, suite.kdf);
    clo_store_u16be(h + 6, suite.aead);
    clo_store_u32be(h + 8, b->epoch);
    memcpy(h + 12, enc, CLO_HPKE_ENC_SIZE);
    clo_store_u64be(h + 44, size);
    clo_store_u32be(h + 52, chunk_size);
    s->epoch = b->epoch;
    s->size = size;
    s->chunk_size = chunk_size;
    s->count = (uint32_t)((size + chunk_size - 1) / chunk_size);
    return CLO_OK;
}

clo_err clo_envelope_stream_seal_chunk(clo_envelope_stream *s, clo_bytes pt, clo_buf *out)
{
    uint8_t aad[60], *ct;
    CLO_ENSURE(s->hpke.ready && s->next < s->count, CLO_E_STATE, "stream: no chunk left to seal");
    CLO_ENSURE(pt.len == clo_envelope_stream_chunk_len(s, s->next), CLO_E_FORMAT,
               "stream: not the chunk's length");
    size_t start = out->len;
    CLO_TRY(clo_buf_extend(out, pt.len + CLO_HPKE_TAG_SIZE, &ct));
    clo_err err = clo_hpke_seal(&s->hpke, stream_aad(s, aad), pt, ct);
    if (err.code) {
        clo_buf_truncate(out, start);
        return err;
    }
    s->next++;
    return CLO_OK;
}

clo_err clo_envelope_stream_open_init(clo_envelope_stream *s, const clo_envelope_binding *b,
                                      const clo_x25519_key *sk, clo_bytes header)
{
    uint8_t info_buf[INFO_SIZE];
    CLO_TRY(clo_envelope_stream_parse_header(header, s));
    /* The epoch on the wire selects the key; one that is not the binding's cannot open. */
    CLO_ENSURE(s->epoch == b->epoch, CLO_E_AUTH, "envelope authentication");
    clo_bytes info = make_info(info_buf, k_dom_stream, b);
    clo_err err = clo_hpke_setup_receiver(&s->hpke, s->hpke.suite, sk, s->header + 12, info, NULL);
    if (err.code) {
        clo_envelope_stream_wipe(s);
        if (err.code != CLO_E_NOMEM) err = CLO_ERR(CLO_E_AUTH, "envelope authentication");
    }
    return err;
}

clo_err clo_envelope_stream_open_chunk(clo_envelope_stream *s, clo_bytes ct, uint8_t *out)
{
    uint8_t aad[60];
    CLO_ENSURE(s->hpke.ready && s->next < s->count, CLO_E_STATE, "stream: no chunk left to open");
    size_t n = clo_envelope_stream_chunk_len(s, s->next);
    CLO_ENSURE(ct.len == n + CLO_HPKE_TAG_SIZE, CLO_E_AUTH, "envelope authentication");
    clo_err err = clo_hpke_open(&s->hpke, stream_aad(s, aad), ct, out);
    if (err.code) {
        clo_wipe(out, n);
        return err.code == CLO_E_NOMEM ? err : CLO_ERR(CLO_E_AUTH, "envelope authentication");
    }
    s->next++;
    return CLO_OK;
}

void clo_envelope_stream_wipe(clo_envelope_stream *s)
{
    clo_hpke_ctx_wipe(&s->hpke);
    clo_wipe(s, sizeof *s);
}
