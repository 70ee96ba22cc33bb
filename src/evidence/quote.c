/* quote.c — DCAP quote parser (see quote.h for the layout). */
#include "evidence/quote.h"

#include <string.h>

const uint8_t clo_intel_qe_vendor_id[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

#define CERT_DATA_PCK_CHAIN 5
#define CERT_DATA_QE_REPORT 6

static clo_err sgx_report(clo_cur *c, clo_sgx_report *r)
{
    clo_bytes raw;
    CLO_TRY(clo_cur_take(c, CLO_SGX_REPORT_SIZE, &raw));
    clo_cur b = clo_cur_init(raw);
    r->raw = raw;
    CLO_TRY(clo_cur_copy(&b, r->cpusvn, 16));
    CLO_TRY(clo_cur_u32le(&b, &r->miscselect));
    CLO_TRY(clo_cur_skip(&b, 28)); /* reserved (and isvextprodid / config fields) */
    CLO_TRY(clo_cur_copy(&b, r->attributes, 16));
    CLO_TRY(clo_cur_copy(&b, r->mrenclave, 32));
    CLO_TRY(clo_cur_skip(&b, 32));
    CLO_TRY(clo_cur_copy(&b, r->mrsigner, 32));
    CLO_TRY(clo_cur_skip(&b, 96)); /* reserved, config id */
    CLO_TRY(clo_cur_u16le(&b, &r->isvprodid));
    CLO_TRY(clo_cur_u16le(&b, &r->isvsvn));
    CLO_TRY(clo_cur_skip(&b, 60)); /* reserved, isv family id */
    CLO_TRY(clo_cur_copy(&b, r->report_data, 64));
    return clo_cur_end(&b);
}

static clo_err td_report(clo_cur *c, size_t size, clo_td_report *r)
{
    clo_bytes raw;
    CLO_TRY(clo_cur_take(c, size, &raw));
    clo_cur b = clo_cur_init(raw);
    r->raw = raw;
    CLO_TRY(clo_cur_copy(&b, r->tee_tcb_svn, 16));
    CLO_TRY(clo_cur_copy(&b, r->mrseam, 48));
    CLO_TRY(clo_cur_copy(&b, r->mrsignerseam, 48));
    CLO_TRY(clo_cur_copy(&b, r->seam_attributes, 8));
    CLO_TRY(clo_cur_copy(&b, r->td_attributes, 8));
    CLO_TRY(clo_cur_copy(&b, r->xfam, 8));
    CLO_TRY(clo_cur_copy(&b, r->mrtd, 48));
    CLO_TRY(clo_cur_copy(&b, r->mrconfigid, 48));
    CLO_TRY(clo_cur_copy(&b, r->mrowner, 48));
    CLO_TRY(clo_cur_copy(&b, r->mrownerconfig, 48));
    for (int i = 0; i < 4; i++) CLO_TRY(clo_cur_copy(&b, r->rtmr[i], 48));
    CLO_TRY(clo_cur_copy(&b, r->report_data, 64));
    r->is_v15 = size == CLO_TD15_REPORT_SIZE;
    if (r->is_v15) {
        CLO_TRY(clo_cur_copy(&b, r->tee_tcb_svn2, 16));
        CLO_TRY(clo_cur_copy(&b, r->mrservicetd, 48));
    }
    return clo_cur_end(&b);
}

/* qe_report | qe_report_sig | u16 n | qe_auth[n] | u16 type=5 | u32 size | chain — exactly. */
static clo_err qe_report_cert_data(clo_bytes in, clo_quote *q)
{
    clo_cur c = clo_cur_init(in);
    uint16_t auth_size, type;
    uint32_t size;
    CLO_TRY(sgx_report(&c, &q->qe_report));
    CLO_TRY(clo_cur_copy(&c, q->qe_report_sig, 64));
    CLO_TRY(clo_cur_u16le(&c, &auth_size));
    CLO_TRY(clo_cur_take(&c, auth_size, &q->qe_auth_data));
    CLO_TRY(clo_cur_u16le(&c, &type));
    CLO_ENSURE(type == CERT_DATA_PCK_CHAIN, CLO_E_UNSUPPORTED,
               "quote: QE certification data is not a PCK certificate chain (type 5)");
    CLO_TRY(clo_cur_u32le(&c, &size));
    CLO_TRY(clo_cur_take(&c, size, &q->pck_chain));
    CLO_ENSURE(clo_cur_end(&c).code == CLO_OK_CODE, CLO_E_FORMAT,
               "quote: bytes after the PCK certificate chain");
    return CLO_OK;
}

clo_err clo_quote_parse(clo_bytes in, clo_quote *q)
{
    clo_cur c = clo_cur_init(in);
    uint32_t sig_size, body_size = 0;
    clo_bytes sig_data;
    memset(q, 0, sizeof *q);
    CLO_ENSURE(in.len <= CLO_QUOTE_MAX_SIZE, CLO_E_LIMIT, "quote: larger than 1 MiB");

    CLO_TRY(clo_cur_u16le(&c, &q->version));
    CLO_ENSURE(q->version >= 3 && q->version <= 5, CLO_E_VERSION, "quote: version not 3, 4 or 5");
    CLO_TRY(clo_cur_u16le(&c, &q->att_key_type));
    CLO_ENSURE(q->att_key_type == CLO_QUOTE_ATT_KEY_ECDSA_P256, CLO_E_UNSUPPORTED,
               "quote: attestation key type is not ECDSA-256-with-P-256");
    CLO_TRY(clo_cur_u32le(&c, &q->tee_type));
    CLO_ENSURE(q->tee_type == CLO_QUOTE_TEE_SGX || q->tee_type == CLO_QUOTE_TEE_TDX,
               CLO_E_UNSUPPORTED, "quote: TEE type is neither SGX nor TDX");
    CLO_ENSURE(q->version != 3 || q->tee_type == CLO_QUOTE_TEE_SGX, CLO_E_FORMAT,
               "quote: version 3 quotes are SGX only");
    CLO_TRY(clo_cur_u16le(&c, &q->qe_svn));
    CLO_TRY(clo_cur_u16le(&c, &q->pce_svn));
    CLO_TRY(clo_cur_copy(&c, q->qe_vendor_id, 16));
    CLO_TRY(clo_cur_copy(&c, q->user_data, 20));

    if (q->version == 5) {
        CLO_TRY(clo_cur_u16le(&c, &q->body_type));
        CLO_TRY(clo_cur_u32le(&c, &body_size));
        switch (q->body_type) {
        case 1:
            CLO_ENSURE(body_size == CLO_SGX_REPORT_SIZE, CLO_E_FORMAT, "quote: body size");
            break;
        case 2:
            CLO_ENSURE(body_size == CLO_TD10_REPORT_SIZE, CLO_E_FORMAT, "quote: body size");
            break;
        case 3:
            CLO_ENSURE(body_size == CLO_TD15_REPORT_SIZE, CLO_E_FORMAT, "quote: body size");
            break;
        default: return CLO_ERR(CLO_E_UNSUPPORTED, "quote: body type");
        }
        CLO_ENSURE((q->body_type == 1) == (q->tee_type == CLO_QUOTE_TEE_SGX), CLO_E_FORMAT,
                   "quote: body type does not match the TEE type");
    } else {
        q->body_type = q->tee_type == CLO_QUOTE_TEE_SGX ? 1 : 2;
        body_size = q->tee_type == CLO_QUOTE_TEE_SGX ? CLO_SGX_REPORT_SIZE : CLO_TD10_REPORT_SIZE;
    }
    if (q->tee_type == CLO_QUOTE_TEE_SGX)
        CLO_TRY(sgx_report(&c, &q->sgx));
    else
        CLO_TRY(td_report(&c, body_size, &q->td));
    q->signed_part = CLO_BYTES(in.ptr, c.off);

    CLO_TRY(clo_cur_u32le(&c, &sig_size));
    CLO_ENSURE(sig_size <= clo_cur_left(&c), CLO_E_FORMAT, "quote: signature data truncated");
    CLO_TRY(clo_cur_take(&c, sig_size, &sig_data));
    q->quote_size = c.off;
    q->trailing_size = clo_cur_left(&c);

    clo_cur s = clo_cur_init(sig_data);
    CLO_TRY(clo_cur_copy(&s, q->signature, 64));
    CLO_TRY(clo_cur_copy(&s, q->att_key, 64));
    if (q->version == 3) {
        CLO_TRY(qe_report_cert_data(CLO_BYTES(sig_data.ptr + s.off, clo_cur_left(&s)), q));
        return CLO_OK;
    }
    uint16_t type;
    uint32_t size;
    clo_bytes inner;
    CLO_TRY(clo_cur_u16le(&s, &type));
    CLO_ENSURE(type == CERT_DATA_QE_REPORT, CLO_E_UNSUPPORTED,
               "quote: certification data is not QE report certification data (type 6)");
    CLO_TRY(clo_cur_u32le(&s, &size));
    CLO_TRY(clo_cur_take(&s, size, &inner));
    CLO_ENSURE(clo_cur_end(&s).code == CLO_OK_CODE, CLO_E_FORMAT,
               "quote: bytes after the certification data");
    return qe_report_cert_data(inner, q);
}
