/* pckext.c — SGX extension parser (see pckext.h). */
#include "evidence/pckext.h"

#include <string.h>

#include "base/der.h"

/* DER contents of 1.2.840.113741.1.13.1; sub-OIDs append arcs below 128 (one byte each). */
static const uint8_t k_base[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
#define BASE_LEN sizeof k_base

/* The arcs after the base, or -1 when the OID is not below it. */
static int sub_arcs(const clo_der *oid, uint8_t arcs[2])
{
    if (oid->tag != CLO_DER_OID || oid->body.len < BASE_LEN + 1 || oid->body.len > BASE_LEN + 2 ||
        memcmp(oid->body.ptr, k_base, BASE_LEN) != 0)
        return -1;
    size_t n = oid->body.len - BASE_LEN;
    for (size_t i = 0; i < n; i++) {
        arcs[i] = oid->body.ptr[BASE_LEN + i];
        if (arcs[i] & 0x80) return -1; /* multi-byte arc: none defined */
    }
    return (int)n;
}

static clo_err octets(const clo_der *v, uint8_t *dst, size_t n, const char *what)
{
    CLO_ENSURE(v->tag == CLO_DER_OCTET_STRING && v->body.len == n, CLO_E_FORMAT, what);
    memcpy(dst, v->body.ptr, n);
    return CLO_OK;
}

static clo_err small_uint(const clo_der *v, uint64_t max, uint64_t *out, const char *what)
{
    CLO_ENSURE(clo_der_uint(v, out).code == CLO_OK_CODE && *out <= max, CLO_E_FORMAT, what);
    return CLO_OK;
}

static clo_err parse_tcb(clo_bytes seq_body, clo_pck_ext *x)
{
    clo_cur c = clo_cur_init(seq_body);
    uint32_t seen = 0; /* bit i for arc i (1..18) */
    while (clo_cur_left(&c)) {
        clo_der entry, oid, val;
        uint8_t arcs[2];
        uint64_t v;
        CLO_TRY(clo_der_expect(&c, CLO_DER_SEQUENCE, &entry));
        clo_cur e = clo_cur_init(entry.body);
        CLO_TRY(clo_der_next(&e, &oid));
        CLO_TRY(clo_der_next(&e, &val));
        CLO_TRY(clo_cur_end(&e));
        CLO_ENSURE(sub_arcs(&oid, arcs) == 2 && arcs[0] == 2 && arcs[1] >= 1 && arcs[1] <= 18,
                   CLO_E_FORMAT, "pck: unknown TCB component");
        uint32_t bit = 1u << arcs[1];
        CLO_ENSURE(!(seen & bit), CLO_E_FORMAT, "pck: TCB component repeated");
        seen |= bit;
        if (arcs[1] <= 16) {
            CLO_TRY(small_uint(&val, 255, &v, "pck: TCB component SVN"));
            x->comp_svn[arcs[1] - 1] = (uint8_t)v;
        } else if (arcs[1] == 17) {
            CLO_TRY(small_uint(&val, 65535, &v, "pck: PCESVN"));
            x->pcesvn = (uint16_t)v;
        } else {
            CLO_TRY(octets(&val, x->cpusvn, 16, "pck: CPUSVN"));
        }
    }
    CLO_ENSURE(seen == 0x7fffeu, CLO_E_FORMAT, "pck: TCB components missing");
    return CLO_OK;
}

clo_err clo_pck_ext_parse(clo_bytes ext, clo_pck_ext *x)
{
    clo_cur c = clo_cur_init(ext);
    clo_der top;
    unsigned seen = 0;
    memset(x, 0, sizeof *x);
    CLO_TRY(clo_der_expect(&c, CLO_DER_SEQUENCE, &top));
    CLO_TRY(clo_cur_end(&c));
    clo_cur t = clo_cur_init(top.body);
    while (clo_cur_left(&t)) {
        clo_der entry, oid, val;
        uint8_t arcs[2];
        uint64_t v;
        CLO_TRY(clo_der_expect(&t, CLO_DER_SEQUENCE, &entry));
        clo_cur e = clo_cur_init(entry.body);
        CLO_TRY(clo_der_next(&e, &oid));
        CLO_TRY(clo_der_next(&e, &val));
        CLO_TRY(clo_cur_end(&e));
        CLO_ENSURE(sub_arcs(&oid, arcs) == 1, CLO_E_FORMAT, "pck: entry outside the SGX extension");
        CLO_ENSURE(arcs[0] < 32 && !(seen & (1u << arcs[0])), CLO_E_FORMAT, "pck: entry repeated");
        seen |= 1u << arcs[0];
        switch (arcs[0]) {
        case 1: CLO_TRY(octets(&val, x->ppid, 16, "pck: PPID")); break;
        case 2:
            CLO_ENSURE(val.tag == CLO_DER_SEQUENCE, CLO_E_FORMAT, "pck: TCB");
            CLO_TRY(parse_tcb(val.body, x));
            break;
        case 3: CLO_TRY(octets(&val, x->pceid, 2, "pck: PCE-ID")); break;
        case 4: CLO_TRY(octets(&val, x->fmspc, 6, "pck: FMSPC")); break;
        case 5:
            CLO_ENSURE(val.tag == CLO_DER_ENUMERATED, CLO_E_FORMAT, "pck: SGX type");
            CLO_TRY(small_uint(&val, 255, &v, "pck: SGX type"));
            x->sgx_type = (uint8_t)v;
            break;
        default: break; /* platform instance id, configuration: not used in TCB evaluation */
        }
    }
    CLO_ENSURE((seen & 0x3e) == 0x3e, CLO_E_FORMAT, "pck: required SGX extension entry missing");
    return CLO_OK;
}
