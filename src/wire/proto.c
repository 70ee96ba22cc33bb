/* proto.c — call bodies of the host <-> enclave channel. */
#include "wire/proto.h"

#include <string.h>

#include "crypto/keccak.h"
#include "wire/frame.h"

static clo_err put_sized(clo_buf *b, clo_bytes v)
{
    CLO_ENSURE(v.len <= UINT32_MAX, CLO_E_LIMIT, "proto: field size");
    CLO_TRY(clo_buf_u32be(b, (uint32_t)v.len));
    return clo_buf_append_bytes(b, v);
}

static clo_err get_sized(clo_cur *c, size_t max, const char *what, clo_bytes *out)
{
    uint32_t n;
    CLO_TRY(clo_cur_u32be(c, &n));
    CLO_ENSURE(n <= max, CLO_E_LIMIT, what);
    return clo_cur_take(c, n, out);
}

static clo_err get_i64(clo_cur *c, int64_t *out)
{
    uint64_t v;
    CLO_TRY(clo_cur_u64be(c, &v));
    *out = (int64_t)v;
    return CLO_OK;
}

clo_err clo_proto_init_encode(const clo_proto_init *in, clo_buf *out)
{
    CLO_ENSURE(in->count <= CLO_PROTO_MAX_PARTS, CLO_E_LIMIT, "init.parts");
    CLO_TRY(clo_buf_u8(out, in->backend));
    CLO_TRY(clo_buf_u64be(out, in->chain_id));
    CLO_TRY(clo_buf_append(out, in->registry, 20));
    CLO_TRY(clo_buf_append(out, in->market, 20));
    CLO_TRY(clo_buf_u32be(out, in->grace_seconds));
    CLO_TRY(clo_buf_append(out, in->measurement, 48));
    CLO_ENSURE(in->committee.count <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "init.committee");
    CLO_TRY(clo_buf_u8(out, in->committee.threshold));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->committee.count));
    CLO_TRY(clo_buf_append(out, in->committee.members, in->committee.count * 20));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->count));
    for (size_t i = 0; i < in->count; i++) CLO_TRY(put_sized(out, in->parts[i]));
    return CLO_OK;
}

clo_err clo_proto_init_decode(clo_bytes body, clo_proto_init *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_cur_u8(&c, &out->backend));
    CLO_TRY(clo_cur_u64be(&c, &out->chain_id));
    CLO_TRY(clo_cur_copy(&c, out->registry, 20));
    CLO_TRY(clo_cur_copy(&c, out->market, 20));
    CLO_TRY(clo_cur_u32be(&c, &out->grace_seconds));
    CLO_TRY(clo_cur_copy(&c, out->measurement, 48));
    CLO_TRY(clo_cur_u8(&c, &out->committee.threshold));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "init.committee: more than 16 members");
    CLO_TRY(clo_cur_copy(&c, out->committee.members, (size_t)n * 20));
    out->committee.count = n;
    uint8_t h[32];
    CLO_TRY(clo_committee_hash(&out->committee, h)); /* threshold and order */
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= CLO_PROTO_MAX_PARTS, CLO_E_LIMIT, "init.parts");
    for (size_t i = 0; i < n; i++)
        CLO_TRY(get_sized(&c, 1 << 16, "init.part size", &out->parts[i]));
    out->count = n;
    return clo_cur_end(&c);
}

clo_err clo_proto_hello_encode(const clo_proto_hello *in, clo_buf *out)
{
    CLO_TRY(clo_buf_u16be(out, in->version));
    CLO_TRY(clo_buf_u8(out, in->backend));
    CLO_TRY(clo_buf_u8(out, in->initialised));
    CLO_TRY(clo_buf_append(out, in->measurement, 48));
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(clo_buf_u64be(out, in->jobs));
    return clo_buf_u16be(out, in->secrets);
}

clo_err clo_proto_hello_decode(clo_bytes body, clo_proto_hello *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_u16be(&c, &out->version));
    CLO_TRY(clo_cur_u8(&c, &out->backend));
    CLO_TRY(clo_cur_u8(&c, &out->initialised));
    CLO_TRY(clo_cur_copy(&c, out->measurement, 48));
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_TRY(clo_cur_u64be(&c, &out->jobs));
    CLO_TRY(clo_cur_u16be(&c, &out->secrets));
    return clo_cur_end(&c);
}

clo_err clo_proto_evidence_encode(const clo_proto_evidence *in, clo_buf *out)
{
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    CLO_TRY(clo_buf_append(out, in->hpke_pk, 32));
    CLO_TRY(clo_buf_u64be(out, in->chain_id));
    CLO_TRY(clo_buf_append(out, in->registry, 20));
    CLO_TRY(clo_buf_append(out, in->operator_addr, 20));
    CLO_TRY(clo_buf_append(out, in->nonce, 32));
    CLO_TRY(clo_buf_append(out, in->report_data, 64));
    CLO_TRY(clo_buf_u8(out, in->format));
    return clo_buf_append_bytes(out, in->evidence);
}

clo_err clo_proto_evidence_decode(clo_bytes body, clo_proto_evidence *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_TRY(clo_cur_copy(&c, out->signer, 20));
    CLO_TRY(clo_cur_copy(&c, out->hpke_pk, 32));
    CLO_TRY(clo_cur_u64be(&c, &out->chain_id));
    CLO_TRY(clo_cur_copy(&c, out->registry, 20));
    CLO_TRY(clo_cur_copy(&c, out->operator_addr, 20));
    CLO_TRY(clo_cur_copy(&c, out->nonce, 32));
    CLO_TRY(clo_cur_copy(&c, out->report_data, 64));
    CLO_TRY(clo_cur_u8(&c, &out->format));
    return clo_cur_take(&c, clo_cur_left(&c), &out->evidence);
}

clo_err clo_proto_snp_approve_encode(const clo_proto_snp_approve *in, clo_buf *out)
{
    CLO_ENSURE(in->ncerts <= CLO_PROTO_SNP_MAX_CERTS, CLO_E_LIMIT, "snp_approve: certificates");
    CLO_TRY(clo_buf_append(out, in->operator_addr, 20));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    CLO_TRY(clo_buf_append(out, in->hpke_pk, 32));
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(clo_buf_append(out, in->nonce, 32));
    CLO_TRY(clo_buf_u64be(out, in->expiry));
    CLO_TRY(put_sized(out, in->report));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->ncerts));
    for (size_t i = 0; i < in->ncerts; i++) CLO_TRY(put_sized(out, in->certs[i]));
    return CLO_OK;
}

clo_err clo_proto_snp_approve_decode(clo_bytes body, clo_proto_snp_approve *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_cur_copy(&c, out->operator_addr, 20));
    CLO_TRY(clo_cur_copy(&c, out->signer, 20));
    CLO_TRY(clo_cur_copy(&c, out->hpke_pk, 32));
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_TRY(clo_cur_copy(&c, out->nonce, 32));
    CLO_TRY(clo_cur_u64be(&c, &out->expiry));
    CLO_TRY(get_sized(&c, 1u << 12, "snp_approve.report", &out->report));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n >= 1 && n <= CLO_PROTO_SNP_MAX_CERTS, CLO_E_FORMAT,
               "snp_approve: 1 to 4 certificates");
    out->ncerts = n;
    for (size_t i = 0; i < n; i++)
        CLO_TRY(get_sized(&c, 1u << 14, "snp_approve.certificate", &out->certs[i]));
    return clo_cur_end(&c);
}

clo_err clo_proto_snp_approval_encode(const clo_proto_snp_approval *in, clo_buf *out)
{
    size_t plen = strnlen(in->product, sizeof in->product - 1);
    CLO_TRY(clo_buf_u8(out, in->tee_type));
    CLO_TRY(clo_buf_append(out, in->measurement, 32));
    CLO_TRY(clo_buf_u64be(out, in->expiry));
    CLO_TRY(clo_buf_append(out, in->evidence_digest, 32));
    CLO_TRY(clo_buf_append(out, in->sig, 65));
    CLO_TRY(clo_buf_u64be(out, in->vcek_not_after));
    CLO_TRY(clo_buf_u8(out, (uint8_t)plen));
    return clo_buf_append(out, in->product, plen);
}

clo_err clo_proto_snp_approval_decode(clo_bytes body, clo_proto_snp_approval *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t plen;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_cur_u8(&c, &out->tee_type));
    CLO_TRY(clo_cur_copy(&c, out->measurement, 32));
    CLO_TRY(clo_cur_u64be(&c, &out->expiry));
    CLO_TRY(clo_cur_copy(&c, out->evidence_digest, 32));
    CLO_TRY(clo_cur_copy(&c, out->sig, 65));
    CLO_TRY(clo_cur_u64be(&c, &out->vcek_not_after));
    CLO_TRY(clo_cur_u8(&c, &plen));
    CLO_ENSURE(plen < sizeof out->product, CLO_E_FORMAT, "snp_approval.product");
    CLO_TRY(clo_cur_copy(&c, out->product, plen));
    for (size_t i = 0; i < plen; i++)
        CLO_ENSURE(out->product[i] >= 0x20 && out->product[i] < 0x7f, CLO_E_FORMAT,
                   "snp_approval.product");
    return clo_cur_end(&c);
}

clo_err clo_proto_keys_encode(const clo_proto_keys *in, clo_buf *out)
{
    CLO_TRY(clo_buf_u32be(out, in->current));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->count));
    for (size_t i = 0; i < in->count; i++) {
        const clo_proto_key *k = &in->keys[i];
        CLO_TRY(clo_buf_u32be(out, k->epoch));
        CLO_TRY(clo_buf_u64be(out, (uint64_t)k->created));
        CLO_TRY(clo_buf_u64be(out, (uint64_t)k->retire_at));
        CLO_TRY(clo_buf_append(out, k->signer, 20));
        CLO_TRY(clo_buf_append(out, k->hpke_pk, 32));
    }
    return CLO_OK;
}

clo_err clo_proto_keys_decode(clo_bytes body, clo_proto_keys *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    CLO_TRY(clo_cur_u32be(&c, &out->current));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= 8, CLO_E_LIMIT, "keys.count");
    for (size_t i = 0; i < n; i++) {
        clo_proto_key *k = &out->keys[i];
        CLO_TRY(clo_cur_u32be(&c, &k->epoch));
        CLO_TRY(get_i64(&c, &k->created));
        CLO_TRY(get_i64(&c, &k->retire_at));
        CLO_TRY(clo_cur_copy(&c, k->signer, 20));
        CLO_TRY(clo_cur_copy(&c, k->hpke_pk, 32));
    }
    out->count = n;
    return clo_cur_end(&c);
}

clo_err clo_proto_job_encode(const clo_proto_job *in, clo_buf *out)
{
    CLO_ENSURE(in->count <= CLO_PROTO_MAX_INPUTS, CLO_E_LIMIT, "job.inputs");
    CLO_TRY(clo_buf_append(out, in->job_id, 32));
    CLO_TRY(clo_buf_append(out, in->workload_id, 32));
    CLO_TRY(clo_buf_u64be(out, in->chain_id));
    CLO_TRY(clo_buf_append(out, in->market, 20));
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(put_sized(out, in->config));
    CLO_TRY(clo_buf_u16be(out, (uint16_t)in->count));
    for (size_t i = 0; i < in->count; i++) CLO_TRY(put_sized(out, in->inputs[i]));
    CLO_ENSURE(in->nsigs <= CLO_PROTO_MAX_TICKET_SIGS, CLO_E_LIMIT, "job.ticket: signatures");
    CLO_TRY(clo_buf_append(out, in->consumer, 20));
    CLO_TRY(clo_buf_u64be(out, in->deadline));
    CLO_TRY(clo_buf_append(out, in->requester, 20));
    CLO_TRY(clo_buf_append(out, in->client_nonce, 32));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->nsigs));
    for (size_t i = 0; i < in->nsigs; i++) {
        CLO_TRY(clo_buf_u64be(out, in->sigs[i].issued_at));
        CLO_TRY(clo_buf_append(out, in->sigs[i].sig, 65));
    }
    return CLO_OK;
}

void clo_proto_job_ticket(const clo_proto_job *job, uint64_t issued_at, clo_ticket *out)
{
    uint8_t input_hash[32], config_hash[32];
    memset(out, 0, sizeof *out);
    clo_hash_list(job->inputs, job->count, input_hash);
    clo_keccak256(job->config, config_hash);
    memcpy(out->job_id, job->job_id, 32);
    clo_ticket_spec(job->workload_id, config_hash, input_hash, job->consumer, out->spec);
    out->deadline = job->deadline;
    out->issued_at = issued_at;
    memcpy(out->requester, job->requester, 20);
    memcpy(out->client_nonce, job->client_nonce, 32);
}

clo_err clo_proto_job_decode(clo_cur *c, clo_proto_job *out, clo_bytes *inputs)
{
    uint16_t n;
    CLO_TRY(clo_cur_copy(c, out->job_id, 32));
    CLO_TRY(clo_cur_copy(c, out->workload_id, 32));
    CLO_TRY(clo_cur_u64be(c, &out->chain_id));
    CLO_TRY(clo_cur_copy(c, out->market, 20));
    CLO_TRY(clo_cur_u32be(c, &out->epoch));
    CLO_TRY(get_sized(c, 1 << 16, "job.config size", &out->config));
    CLO_TRY(clo_cur_u16be(c, &n));
    CLO_ENSURE(n >= 1, CLO_E_FORMAT, "job.inputs: none");
    CLO_ENSURE(n <= CLO_PROTO_MAX_INPUTS, CLO_E_LIMIT, "job.inputs");
    for (size_t i = 0; i < n; i++)
        CLO_TRY(get_sized(c, CLO_PROTO_MAX_ENVELOPE, "job.input size", &inputs[i]));
    out->count = n;
    out->inputs = inputs;
    uint8_t k;
    CLO_TRY(clo_cur_copy(c, out->consumer, 20));
    CLO_TRY(clo_cur_u64be(c, &out->deadline));
    CLO_TRY(clo_cur_copy(c, out->requester, 20));
    CLO_TRY(clo_cur_copy(c, out->client_nonce, 32));
    CLO_TRY(clo_cur_u8(c, &k));
    CLO_ENSURE(k <= CLO_PROTO_MAX_TICKET_SIGS, CLO_E_LIMIT, "job.ticket: more than 16 signatures");
    for (size_t i = 0; i < k; i++) {
        CLO_TRY(clo_cur_u64be(c, &out->sigs[i].issued_at));
        CLO_TRY(clo_cur_copy(c, out->sigs[i].sig, 65));
    }
    out->nsigs = k;
    return CLO_OK;
}

clo_err clo_proto_result_encode(const clo_proto_result *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->job_id, 32));
    CLO_TRY(clo_buf_u16be(out, (uint16_t)in->err.code));
    if (in->err.code) {
        const char *w = in->err.what ? in->err.what : "";
        size_t n = strnlen(w, 128);
        CLO_TRY(clo_buf_u16be(out, (uint16_t)n));
        return clo_buf_append(out, w, n);
    }
    CLO_ENSURE(in->count <= CLO_PROTO_MAX_INPUTS, CLO_E_LIMIT, "result.private");
    CLO_TRY(put_sized(out, in->public_out));
    CLO_TRY(clo_buf_u16be(out, (uint16_t)in->count));
    for (size_t i = 0; i < in->count; i++) CLO_TRY(put_sized(out, in->private_out[i]));
    const clo_result_stmt *s = &in->stmt;
    CLO_TRY(clo_buf_append(out, s->input_hash, 32));
    CLO_TRY(clo_buf_append(out, s->public_output_hash, 32));
    CLO_TRY(clo_buf_append(out, s->private_output_hash, 32));
    CLO_TRY(clo_buf_append(out, s->workload_id, 32));
    CLO_TRY(clo_buf_append(out, s->config_hash, 32));
    CLO_TRY(clo_buf_u32be(out, s->epoch));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    return clo_buf_append(out, in->sig, 65);
}

clo_err clo_proto_result_decode(clo_cur *c, clo_proto_result *out)
{
    uint16_t code, n;
    out->err = CLO_OK;
    out->count = 0;
    out->public_out = CLO_BYTES_EMPTY;
    CLO_TRY(clo_cur_copy(c, out->job_id, 32));
    memcpy(out->stmt.job_id, out->job_id, 32);
    CLO_TRY(clo_cur_u16be(c, &code));
    if (code) {
        clo_bytes w;
        CLO_ENSURE(code < CLO_E__COUNT, CLO_E_FORMAT, "result.code");
        CLO_TRY(clo_cur_u16be(c, &n));
        CLO_ENSURE(n <= 128, CLO_E_LIMIT, "result.what");
        CLO_TRY(clo_cur_take(c, n, &w));
        for (size_t i = 0; i < n; i++)
            CLO_ENSURE(w.ptr[i] >= 0x20 && w.ptr[i] < 0x7f, CLO_E_FORMAT, "result.what");
        memcpy(out->what_buf, w.ptr, n);
        out->what_buf[n] = 0;
        out->err = CLO_ERR((clo_code)code, out->what_buf);
        return CLO_OK;
    }
    CLO_TRY(get_sized(c, 1 << 20, "result.public size", &out->public_out));
    CLO_TRY(clo_cur_u16be(c, &n));
    CLO_ENSURE(n <= CLO_PROTO_MAX_INPUTS, CLO_E_LIMIT, "result.private");
    for (size_t i = 0; i < n; i++)
        CLO_TRY(get_sized(c, 1 << 20, "result.private size", &out->private_out[i]));
    out->count = n;
    clo_result_stmt *s = &out->stmt;
    CLO_TRY(clo_cur_copy(c, s->input_hash, 32));
    CLO_TRY(clo_cur_copy(c, s->public_output_hash, 32));
    CLO_TRY(clo_cur_copy(c, s->private_output_hash, 32));
    CLO_TRY(clo_cur_copy(c, s->workload_id, 32));
    CLO_TRY(clo_cur_copy(c, s->config_hash, 32));
    CLO_TRY(clo_cur_u32be(c, &s->epoch));
    CLO_TRY(clo_cur_copy(c, out->signer, 20));
    return clo_cur_copy(c, out->sig, 65);
}

clo_err clo_proto_batch_encode(const clo_proto_batch *in, clo_buf *out)
{
    CLO_ENSURE(in->count >= 1 && in->count <= CLO_PROTO_MAX_BATCH, CLO_E_LIMIT, "batch.count");
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(clo_buf_u16be(out, (uint16_t)in->count));
    for (size_t i = 0; i < in->count; i++) {
        const clo_result_stmt *s = &in->stmts[i];
        CLO_ENSURE(s->epoch == in->epoch, CLO_E_FORMAT, "batch: statements of another epoch");
        CLO_TRY(clo_buf_append(out, s->job_id, 32));
        CLO_TRY(clo_buf_append(out, s->input_hash, 32));
        CLO_TRY(clo_buf_append(out, s->public_output_hash, 32));
        CLO_TRY(clo_buf_append(out, s->private_output_hash, 32));
        CLO_TRY(clo_buf_append(out, s->workload_id, 32));
        CLO_TRY(clo_buf_append(out, s->config_hash, 32));
    }
    return CLO_OK;
}

clo_err clo_proto_batch_decode(clo_bytes body, clo_proto_batch *out)
{
    clo_cur c = clo_cur_init(body);
    uint16_t n;
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_TRY(clo_cur_u16be(&c, &n));
    CLO_ENSURE(n >= 1 && n <= CLO_PROTO_MAX_BATCH, CLO_E_LIMIT, "batch.count");
    for (size_t i = 0; i < n; i++) {
        clo_result_stmt *s = &out->stmts[i];
        CLO_TRY(clo_cur_copy(&c, s->job_id, 32));
        CLO_TRY(clo_cur_copy(&c, s->input_hash, 32));
        CLO_TRY(clo_cur_copy(&c, s->public_output_hash, 32));
        CLO_TRY(clo_cur_copy(&c, s->private_output_hash, 32));
        CLO_TRY(clo_cur_copy(&c, s->workload_id, 32));
        CLO_TRY(clo_cur_copy(&c, s->config_hash, 32));
        s->epoch = out->epoch;
    }
    out->count = n;
    return clo_cur_end(&c);
}

clo_err clo_proto_batch_sig_encode(const clo_proto_batch_sig *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->root, 32));
    CLO_TRY(clo_buf_u32be(out, in->count));
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    return clo_buf_append(out, in->sig, 65);
}

clo_err clo_proto_batch_sig_decode(clo_bytes body, clo_proto_batch_sig *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->root, 32));
    CLO_TRY(clo_cur_u32be(&c, &out->count));
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_TRY(clo_cur_copy(&c, out->signer, 20));
    CLO_TRY(clo_cur_copy(&c, out->sig, 65));
    return clo_cur_end(&c);
}

clo_err clo_proto_empty_decode(clo_bytes body, const char *what)
{
    CLO_ENSURE(body.len == 0, CLO_E_FORMAT, what);
    return CLO_OK;
}

clo_err clo_proto_hello_req_encode(uint16_t version, clo_buf *out)
{
    return clo_buf_u16be(out, version);
}

clo_err clo_proto_hello_req_decode(clo_bytes body, uint16_t *version)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_u16be(&c, version));
    return clo_cur_end(&c);
}

clo_err clo_proto_provision_encode(const clo_proto_provision *in, clo_buf *out)
{
    CLO_ENSURE(in->envelope.len >= 1, CLO_E_FORMAT, "provision.envelope");
    CLO_TRY(clo_buf_append(out, in->id, 32));
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    return clo_buf_append_bytes(out, in->envelope);
}

clo_err clo_proto_provision_decode(clo_bytes body, clo_proto_provision *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->id, 32));
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_ENSURE(clo_cur_left(&c) >= 1, CLO_E_FORMAT, "provision.envelope");
    return clo_cur_take(&c, clo_cur_left(&c), &out->envelope);
}

clo_err clo_proto_provisioned_encode(const clo_proto_provisioned *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->id, 32));
    return clo_buf_append(out, in->digest, 32);
}

clo_err clo_proto_provisioned_decode(clo_bytes body, clo_proto_provisioned *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->id, 32));
    CLO_TRY(clo_cur_copy(&c, out->digest, 32));
    return clo_cur_end(&c);
}

clo_err clo_proto_run_encode(const clo_bytes *jobs, size_t n, clo_buf *out)
{
    CLO_ENSURE(n >= 1 && n <= CLO_PROTO_MAX_BATCH, CLO_E_LIMIT, "run.batch size");
    CLO_TRY(clo_buf_u16be(out, (uint16_t)n));
    for (size_t i = 0; i < n; i++) CLO_TRY(clo_buf_append_bytes(out, jobs[i]));
    return CLO_OK;
}

clo_err clo_proto_run_open(clo_bytes body, clo_cur *c, size_t *n)
{
    uint16_t k;
    *c = clo_cur_init(body);
    CLO_TRY(clo_cur_u16be(c, &k));
    CLO_ENSURE(k >= 1 && k <= CLO_PROTO_MAX_BATCH, CLO_E_LIMIT, "run.batch size");
    *n = k;
    return CLO_OK;
}

clo_err clo_proto_run_resp_begin(size_t n, clo_buf *out)
{
    CLO_ENSURE(n >= 1 && n <= CLO_PROTO_MAX_BATCH, CLO_E_LIMIT, "run.batch size");
    return clo_buf_u16be(out, (uint16_t)n);
}

clo_err clo_proto_run_resp_open(clo_bytes body, size_t n, clo_cur *c)
{
    uint16_t k;
    *c = clo_cur_init(body);
    CLO_TRY(clo_cur_u16be(c, &k));
    CLO_ENSURE(k == n, CLO_E_FORMAT, "run: result count");
    return CLO_OK;
}

clo_err clo_proto_export_reserve(size_t state_size, clo_buf *out, uint8_t **state)
{
    CLO_ENSURE(state_size >= CLO_STATE_HEADER_SIZE && state_size <= UINT32_MAX, CLO_E_LIMIT,
               "export: state size");
    CLO_TRY(clo_buf_u32be(out, (uint32_t)state_size));
    return clo_buf_extend(out, state_size, state);
}

clo_err clo_proto_export_finish(const uint8_t sig[65], clo_buf *out)
{
    return clo_buf_append(out, sig, 65);
}

clo_err clo_proto_export_decode(clo_bytes body, clo_proto_export *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(get_sized(&c, CLO_FRAME_MAX_BODY, "export: state size", &out->state));
    CLO_ENSURE(out->state.len >= CLO_STATE_HEADER_SIZE, CLO_E_FORMAT,
               "state: shorter than its header");
    CLO_TRY(clo_cur_copy(&c, out->sig, 65));
    return clo_cur_end(&c);
}

clo_err clo_proto_import_encode(const clo_proto_import *in, clo_buf *out)
{
    CLO_ENSURE(in->count <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "import: reports");
    CLO_TRY(put_sized(out, in->state));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->count));
    for (size_t i = 0; i < in->count; i++) {
        CLO_TRY(clo_buf_u64be(out, in->reports[i].version));
        CLO_TRY(clo_buf_append(out, in->reports[i].sig, 65));
    }
    return CLO_OK;
}

clo_err clo_proto_import_decode(clo_bytes body, clo_proto_import *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    CLO_TRY(get_sized(&c, CLO_FRAME_MAX_BODY, "import: state size", &out->state));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "import: more reports than committee members");
    for (size_t i = 0; i < n; i++) {
        CLO_TRY(clo_cur_u64be(&c, &out->reports[i].version));
        CLO_TRY(clo_cur_copy(&c, out->reports[i].sig, 65));
    }
    out->count = n;
    return clo_cur_end(&c);
}

clo_err clo_proto_witness_encode(const clo_proto_witness *in, clo_buf *out)
{
    CLO_ENSURE(in->count <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "witness: signatures");
    CLO_TRY(clo_buf_u64be(out, in->version));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->count));
    return clo_buf_append(out, in->sigs, in->count * 65);
}

clo_err clo_proto_witness_decode(clo_bytes body, clo_proto_witness *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    CLO_TRY(clo_cur_u64be(&c, &out->version));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "witness: signatures");
    CLO_TRY(clo_cur_copy(&c, out->sigs, (size_t)n * 65));
    out->count = n;
    return clo_cur_end(&c);
}

clo_err clo_proto_state_encode(const clo_proto_state *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->lineage, 20));
    CLO_TRY(clo_buf_u64be(out, in->version));
    CLO_TRY(clo_buf_u64be(out, in->witnessed));
    return clo_buf_append(out, in->nonce, 32);
}

clo_err clo_proto_state_decode(clo_bytes body, clo_proto_state *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->lineage, 20));
    CLO_TRY(clo_cur_u64be(&c, &out->version));
    CLO_TRY(clo_cur_u64be(&c, &out->witnessed));
    CLO_TRY(clo_cur_copy(&c, out->nonce, 32));
    return clo_cur_end(&c);
}

clo_err clo_proto_fetch_begun_encode(const clo_proto_fetch_begun *in, clo_buf *out)
{
    CLO_ENSURE(in->count >= 1 && in->count <= CLO_PROTO_FETCH_MAX_SOURCES, CLO_E_LIMIT,
               "fetch_begin: sources");
    CLO_TRY(clo_buf_append(out, in->handle, 16));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->count));
    for (size_t i = 0; i < in->count; i++) {
        const clo_proto_fetch_source *s = &in->s[i];
        size_t hl = strnlen(s->host, sizeof s->host);
        CLO_ENSURE(hl >= 1 && hl < sizeof s->host, CLO_E_ARG, "fetch_begin: host");
        CLO_TRY(clo_buf_u8(out, s->state));
        CLO_TRY(clo_buf_u8(out, (uint8_t)hl));
        CLO_TRY(clo_buf_append(out, s->host, hl));
        CLO_TRY(clo_buf_u16be(out, s->port));
        CLO_TRY(put_sized(out, s->to_server));
    }
    return CLO_OK;
}

clo_err clo_proto_fetch_begun_decode(clo_bytes body, clo_proto_fetch_begun *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_cur_copy(&c, out->handle, 16));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n >= 1 && n <= CLO_PROTO_FETCH_MAX_SOURCES, CLO_E_LIMIT, "fetch_begin: sources");
    out->count = n;
    for (size_t i = 0; i < n; i++) {
        clo_proto_fetch_source *s = &out->s[i];
        CLO_TRY(clo_cur_u8(&c, &s->state));
        CLO_ENSURE(s->state <= 1, CLO_E_FORMAT, "fetch_begin: state");
        CLO_TRY(clo_cur_str8(&c, s->host, sizeof s->host, "fetch_begin: host"));
        CLO_TRY(clo_cur_u16be(&c, &s->port));
        CLO_TRY(get_sized(&c, CLO_PROTO_FETCH_MAX_BYTES, "fetch_begin: bytes", &s->to_server));
    }
    return clo_cur_end(&c);
}

clo_err clo_proto_fetch_pump_encode(const clo_proto_fetch_pump *in, clo_buf *out)
{
    CLO_ENSURE(in->from_server.len <= CLO_PROTO_FETCH_MAX_BYTES, CLO_E_LIMIT, "fetch_pump: bytes");
    CLO_TRY(clo_buf_append(out, in->handle, 16));
    CLO_TRY(clo_buf_u8(out, in->source));
    CLO_TRY(clo_buf_u8(out, in->eof));
    return put_sized(out, in->from_server);
}

clo_err clo_proto_fetch_pump_decode(clo_bytes body, clo_proto_fetch_pump *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->handle, 16));
    CLO_TRY(clo_cur_u8(&c, &out->source));
    CLO_TRY(clo_cur_u8(&c, &out->eof));
    CLO_ENSURE(out->eof <= 1, CLO_E_FORMAT, "fetch_pump: eof");
    CLO_TRY(get_sized(&c, CLO_PROTO_FETCH_MAX_BYTES, "fetch_pump: bytes", &out->from_server));
    return clo_cur_end(&c);
}

clo_err clo_proto_fetch_pumped_encode(const clo_proto_fetch_pumped *in, clo_buf *out)
{
    CLO_TRY(clo_buf_u8(out, in->state));
    return put_sized(out, in->to_server);
}

clo_err clo_proto_fetch_pumped_decode(clo_bytes body, clo_proto_fetch_pumped *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_u8(&c, &out->state));
    CLO_ENSURE(out->state <= 1, CLO_E_FORMAT, "fetch_pump: state");
    CLO_TRY(get_sized(&c, CLO_PROTO_FETCH_MAX_BYTES, "fetch_pump: bytes", &out->to_server));
    return clo_cur_end(&c);
}

clo_err clo_proto_share_hello_encode(const clo_proto_share_hello *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->transport_pk, 32));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    CLO_TRY(clo_buf_u8(out, in->format));
    return clo_buf_append_bytes(out, in->evidence);
}

clo_err clo_proto_share_hello_decode(clo_bytes body, clo_proto_share_hello *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->transport_pk, 32));
    CLO_TRY(clo_cur_copy(&c, out->signer, 20));
    CLO_TRY(clo_cur_u8(&c, &out->format));
    CLO_ENSURE(clo_cur_left(&c) >= 1 && clo_cur_left(&c) <= (1u << 16), CLO_E_LIMIT,
               "share_hello: evidence size");
    return clo_cur_take(&c, clo_cur_left(&c), &out->evidence);
}

clo_err clo_proto_share_give_encode(const clo_proto_share_give *in, clo_buf *out)
{
    CLO_ENSURE(in->nparts <= CLO_PROTO_SHARE_MAX_PARTS, CLO_E_LIMIT, "share_give: collateral");
    CLO_TRY(clo_buf_append(out, in->nonce, 32));
    CLO_TRY(clo_buf_append(out, in->transport_pk, 32));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    CLO_TRY(clo_buf_u8(out, in->format));
    CLO_TRY(put_sized(out, in->evidence));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->nparts));
    for (size_t i = 0; i < in->nparts; i++) CLO_TRY(put_sized(out, in->parts[i]));
    return CLO_OK;
}

clo_err clo_proto_share_give_decode(clo_bytes body, clo_proto_share_give *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t n;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_cur_copy(&c, out->nonce, 32));
    CLO_TRY(clo_cur_copy(&c, out->transport_pk, 32));
    CLO_TRY(clo_cur_copy(&c, out->signer, 20));
    CLO_TRY(clo_cur_u8(&c, &out->format));
    CLO_TRY(get_sized(&c, 1u << 16, "share_give: evidence size", &out->evidence));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= CLO_PROTO_SHARE_MAX_PARTS, CLO_E_LIMIT, "share_give: collateral parts");
    out->nparts = n;
    for (size_t i = 0; i < n; i++)
        CLO_TRY(get_sized(&c, 1u << 16, "share_give: collateral size", &out->parts[i]));
    return clo_cur_end(&c);
}

clo_err clo_proto_share_keys_encode(const clo_proto_share_keys *in, clo_buf *out)
{
    CLO_ENSURE(in->nparts <= CLO_PROTO_SHARE_MAX_PARTS, CLO_E_LIMIT, "share_keys: certificates");
    CLO_TRY(put_sized(out, in->sealed));
    CLO_TRY(clo_buf_append(out, in->signer, 20));
    CLO_TRY(clo_buf_u8(out, in->format));
    CLO_TRY(put_sized(out, in->evidence));
    CLO_TRY(clo_buf_u8(out, (uint8_t)in->nparts));
    for (size_t i = 0; i < in->nparts; i++) CLO_TRY(put_sized(out, in->parts[i]));
    return CLO_OK;
}

clo_err clo_proto_share_keys_decode(clo_bytes body, clo_proto_share_keys *out)
{
    clo_cur c = clo_cur_init(body);
    memset(out, 0, sizeof *out);
    uint8_t n;
    CLO_TRY(get_sized(&c, 4096, "share_keys: sealed size", &out->sealed));
    CLO_TRY(clo_cur_copy(&c, out->signer, 20));
    CLO_TRY(clo_cur_u8(&c, &out->format));
    CLO_TRY(get_sized(&c, 1u << 16, "share_keys: evidence size", &out->evidence));
    CLO_ENSURE(out->evidence.len >= 1, CLO_E_FORMAT, "share_keys: no evidence");
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n <= CLO_PROTO_SHARE_MAX_PARTS, CLO_E_LIMIT, "share_keys: certificates");
    out->nparts = n;
    for (size_t i = 0; i < n; i++)
        CLO_TRY(get_sized(&c, 1u << 16, "share_keys: certificate size", &out->parts[i]));
    return clo_cur_end(&c);
}
