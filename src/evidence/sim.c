/* sim.c — the simulated TEE platform (see sim.h). */
#include "evidence/sim.h"

#include <stdio.h>
#include <string.h>

#include "evidence/pckext.h"
#include "evidence/quote.h"
#include "evidence/snp_report.h"
#include "base/ct.h"
#include "base/der.h"
#include "base/hex.h"
#include "base/timefmt.h"
#include "crypto/hash.h"
#include "crypto/rand.h"

#define DAY 86400

/* The simulated platform's identity: its own FMSPC, SVNs that match its TCB Info. */
static const uint8_t k_fmspc[6] = {0xc1, 0x05, 0x7e, 0x00, 0x00, 0x00};
static const uint8_t k_pceid[2] = {0x00, 0x00};
static const uint8_t k_comp_svn[16] = {2, 2, 2, 2, 3, 1, 0, 5};
static const uint16_t k_pcesvn = 13;
static const uint8_t k_tee_tcb_svn[16] = {4, 1,
                                          3}; /* module ISVSVN 4, major version 1, SEAM SVN 3 */
static const uint16_t k_qe_isvprodid = 2, k_qe_isvsvn = 4;
static const uint8_t k_qe_attributes[16] = {0x11};
/* The AMD-shaped half: a Milan-layout TCB (bl 3, tee 0, snp 8, ucode 115). */
static const uint8_t k_snp_bl = 3, k_snp_tee = 0, k_snp_snp = 8, k_snp_ucode = 115;
#define SNP_POLICY_SIM (0x30000ull | (1ull << 19)) /* ABI major 0 minor 0, SMT, DEBUG */

const char *const clo_sim_part_names[CLO_SIM_PARTS] = {
    "root_ca.key", "pck_ca.key", "pck.key",     "tcb_signing.key", "attestation.key",
    "root_ca.der", "pck_ca.der", "pck.der",     "tcb_signing.der", "amd_ark.key",
    "amd_ask.key", "vcek.key",   "amd_ark.der", "amd_ask.der",     "vcek.der",
};

const char *const clo_sim_collateral_names[CLO_SIM_COLLATERAL] = {
    "tcb_info.json",   "qe_identity.json",          "pck_crl.der",
    "root_ca_crl.der", "tcb_info_issuer_chain.pem", "pck_crl_issuer_chain.pem",
};

static void qe_mrsigner(uint8_t out[32])
{
    clo_bytes label = clo_bytes_str("cloister simulated quoting enclave");
    if (clo_sha256(label, out).code) memset(out, 0, 32);
}

/* ---- the PCK certificate's SGX extension, with the DER writer ---- */

static clo_err oid_entry(clo_buf *seq, const uint8_t *arcs, size_t narcs, uint8_t tag,
                         clo_bytes value, uint64_t ival)
{
    static const uint8_t base[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    uint8_t oid[sizeof base + 2];
    clo_buf e;
    memcpy(oid, base, sizeof base);
    memcpy(oid + sizeof base, arcs, narcs);
    clo_buf_init(&e, 4096);
    clo_err err = clo_der_put(&e, CLO_DER_OID, CLO_BYTES(oid, sizeof base + narcs));
    if (!err.code) err = value.ptr ? clo_der_put(&e, tag, value) : clo_der_put_uint(&e, tag, ival);
    if (!err.code) err = clo_der_put(seq, CLO_DER_SEQUENCE, clo_buf_view(&e));
    clo_buf_free(&e);
    return err;
}

static clo_err sgx_extension(clo_buf *out)
{
    clo_buf top, tcb;
    uint8_t ppid[16] = {0}, a[2];
    clo_err err = CLO_OK;
    clo_buf_init(&top, 4096);
    clo_buf_init(&tcb, 4096);
    a[0] = 1;
    CLO_CHECK(oid_entry(&top, a, 1, CLO_DER_OCTET_STRING, CLO_BYTES(ppid, 16), 0));
    for (uint8_t i = 1; i <= 16; i++) {
        a[0] = 2, a[1] = i;
        CLO_CHECK(oid_entry(&tcb, a, 2, CLO_DER_INTEGER, CLO_BYTES_EMPTY, k_comp_svn[i - 1]));
    }
    a[0] = 2, a[1] = 17;
    CLO_CHECK(oid_entry(&tcb, a, 2, CLO_DER_INTEGER, CLO_BYTES_EMPTY, k_pcesvn));
    a[1] = 18;
    CLO_CHECK(oid_entry(&tcb, a, 2, CLO_DER_OCTET_STRING, CLO_BYTES(k_comp_svn, 16), 0));
    {
        static const uint8_t tcb_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8,
                                          0x4d, 0x01, 0x0d, 0x01, 0x02};
        clo_buf e;
        clo_buf_init(&e, 8192);
        err = clo_der_put(&e, CLO_DER_OID, CLO_BYTES(tcb_oid, sizeof tcb_oid));
        if (!err.code) err = clo_der_put(&e, CLO_DER_SEQUENCE, clo_buf_view(&tcb));
        if (!err.code) err = clo_der_put(&top, CLO_DER_SEQUENCE, clo_buf_view(&e));
        clo_buf_free(&e);
        CLO_CHECK(err);
    }
    a[0] = 3;
    CLO_CHECK(oid_entry(&top, a, 1, CLO_DER_OCTET_STRING, CLO_BYTES(k_pceid, 2), 0));
    a[0] = 4;
    CLO_CHECK(oid_entry(&top, a, 1, CLO_DER_OCTET_STRING, CLO_BYTES(k_fmspc, 6), 0));
    a[0] = 5;
    CLO_CHECK(oid_entry(&top, a, 1, CLO_DER_ENUMERATED, CLO_BYTES_EMPTY, 0));
    CLO_CHECK(clo_der_put(out, CLO_DER_SEQUENCE, clo_buf_view(&top)));
out:
    clo_buf_free(&top);
    clo_buf_free(&tcb);
    return err;
}

/* ---- the PKI ---- */

/* A DER INTEGER or IA5String as an extension value. */
static clo_err der_small_uint(uint8_t v, uint8_t out[4], size_t *n)
{
    out[0] = CLO_DER_INTEGER;
    if (v & 0x80) {
        out[1] = 2, out[2] = 0, out[3] = v, *n = 4;
    } else {
        out[1] = 1, out[2] = v, *n = 3;
    }
    return CLO_OK;
}

/* ARK (self-signed) -> ASK -> VCEK, the VCEK carrying AMD's extensions: TCB
 * SPLs (1.3.6.1.4.1.3704.1.3.x), productName (.1.2) and hwID (.1.4), the
 * chip's 64-byte id that every report's CHIP_ID must equal. */
static clo_err amd_pki(clo_sim *s, int64_t nb, int64_t na)
{
    static const char product[] = "Milan-B0";
    uint8_t ints[4][4], name[2 + sizeof product - 1], hwid[64];
    size_t n[4];
    CLO_TRY(clo_ec_key_generate(&s->ark_key, CLO_CURVE_P384));
    CLO_TRY(clo_ec_key_generate(&s->ask_key, CLO_CURVE_P384));
    CLO_TRY(clo_ec_key_generate(&s->vcek_key, CLO_CURVE_P384));
    CLO_TRY(clo_random(hwid, sizeof hwid));
    clo_x509_spec ark = {.cn = "ARK-Milan",
                         .org = "Cloister (simulated AMD)",
                         .serial = 1,
                         .not_before = nb,
                         .not_after = na,
                         .is_ca = 1,
                         .key = s->ark_key};
    CLO_TRY(clo_x509_create(&ark, &s->ark));
    clo_x509_spec ask = ark;
    ask.cn = "SEV-Milan", ask.serial = 2, ask.key = s->ask_key;
    ask.issuer = s->ark, ask.issuer_key = s->ark_key;
    CLO_TRY(clo_x509_create(&ask, &s->ask));
    clo_x509_spec vcek = ask;
    vcek.cn = "SEV-VCEK", vcek.serial = 3, vcek.is_ca = 0, vcek.key = s->vcek_key;
    vcek.issuer = s->ask, vcek.issuer_key = s->ask_key;
    static const char *const spl_oids[4] = {"1.3.6.1.4.1.3704.1.3.1", "1.3.6.1.4.1.3704.1.3.2",
                                            "1.3.6.1.4.1.3704.1.3.3", "1.3.6.1.4.1.3704.1.3.8"};
    const uint8_t spl[4] = {k_snp_bl, k_snp_tee, k_snp_snp, k_snp_ucode};
    for (size_t i = 0; i < 4; i++) {
        CLO_TRY(der_small_uint(spl[i], ints[i], &n[i]));
        vcek.ext[i].oid = spl_oids[i];
        vcek.ext[i].value = CLO_BYTES(ints[i], n[i]);
    }
    name[0] = 0x16; /* IA5String */
    name[1] = (uint8_t)(sizeof product - 1);
    memcpy(name + 2, product, sizeof product - 1);
    vcek.ext[4].oid = "1.3.6.1.4.1.3704.1.2";
    vcek.ext[4].value = CLO_BYTES(name, sizeof name);
    vcek.ext[5].oid = "1.3.6.1.4.1.3704.1.4";
    vcek.ext[5].value = CLO_BYTES(hwid, sizeof hwid);
    vcek.next = 6;
    return clo_x509_create(&vcek, &s->vcek);
}

clo_err clo_sim_create(clo_sim *s, int64_t now)
{
    clo_buf ext;
    clo_err err = CLO_OK;
    memset(s, 0, sizeof *s);
    clo_buf_init(&ext, 8192);
    int64_t nb = now - DAY, na = now + 3650 * (int64_t)DAY;
    CLO_CHECK(clo_ec_key_generate(&s->root_key, CLO_CURVE_P256));
    CLO_CHECK(clo_ec_key_generate(&s->ca_key, CLO_CURVE_P256));
    CLO_CHECK(clo_ec_key_generate(&s->pck_key, CLO_CURVE_P256));
    CLO_CHECK(clo_ec_key_generate(&s->tcb_key, CLO_CURVE_P256));
    CLO_CHECK(clo_ec_key_generate(&s->att_key, CLO_CURVE_P256));
#define SIM_SPEC(name, ser, ca_, key_, iss, iss_key)                                               \
    {.cn = (name),                                                                                 \
     .org = "Cloister (simulated TEE)",                                                            \
     .serial = (ser),                                                                              \
     .not_before = nb,                                                                             \
     .not_after = na,                                                                              \
     .is_ca = (ca_),                                                                               \
     .key = (key_),                                                                                \
     .issuer = (iss),                                                                              \
     .issuer_key = (iss_key)}
    clo_x509_spec root = SIM_SPEC("Cloister Simulated SGX Root CA", 1, 1, s->root_key, NULL, NULL);
    CLO_CHECK(clo_x509_create(&root, &s->root));
    clo_x509_spec ca =
        SIM_SPEC("Cloister Simulated SGX PCK Platform CA", 2, 1, s->ca_key, s->root, s->root_key);
    CLO_CHECK(clo_x509_create(&ca, &s->ca));
    CLO_CHECK(sgx_extension(&ext));
    clo_x509_spec pck =
        SIM_SPEC("Cloister Simulated SGX PCK Certificate", 3, 0, s->pck_key, s->ca, s->ca_key);
    pck.ext[0].oid = CLO_SGX_EXTENSION_OID;
    pck.ext[0].value = clo_buf_view(&ext);
    pck.next = 1;
    CLO_CHECK(clo_x509_create(&pck, &s->pck));
    clo_x509_spec tcb =
        SIM_SPEC("Cloister Simulated SGX TCB Signing", 4, 0, s->tcb_key, s->root, s->root_key);
    CLO_CHECK(clo_x509_create(&tcb, &s->tcb));
    CLO_CHECK(amd_pki(s, nb, na));
#undef SIM_SPEC
out:
    clo_buf_free(&ext);
    if (err.code) clo_sim_free(s);
    return err;
}

/* Part i: a key (ec_key set) or a certificate (x509 set), in clo_sim_part_names order. */
static void part_slot(clo_sim *s, size_t i, clo_ec_key ***ec_key, clo_x509 ***x509)
{
    clo_ec_key **keys[] = {&s->root_key, &s->ca_key,  &s->pck_key, &s->tcb_key,
                           &s->att_key,  &s->ark_key, &s->ask_key, &s->vcek_key};
    clo_x509 **certs[] = {&s->root, &s->ca, &s->pck, &s->tcb, &s->ark, &s->ask, &s->vcek};
    *ec_key = NULL, *x509 = NULL;
    if (i < 5)
        *ec_key = keys[i];
    else if (i < 9)
        *x509 = certs[i - 5];
    else if (i < 12)
        *ec_key = keys[i - 4];
    else
        *x509 = certs[i - 8];
}

void clo_sim_free(clo_sim *s)
{
    for (size_t i = 0; i < CLO_SIM_PARTS; i++) {
        clo_ec_key **k;
        clo_x509 **x;
        part_slot(s, i, &k, &x);
        if (k) clo_ec_key_free(*k);
        if (x) clo_x509_free(*x);
    }
    memset(s, 0, sizeof *s);
}

clo_err clo_sim_save_part(const clo_sim *s, size_t i, clo_buf *out)
{
    clo_ec_key **k;
    clo_x509 **x;
    clo_sim view = *s; /* part_slot names fields; nothing is written */
    CLO_ENSURE(i < CLO_SIM_PARTS, CLO_E_ARG, "sim: part index");
    part_slot(&view, i, &k, &x);
    return k ? clo_ec_key_save(*k, out) : clo_buf_append_bytes(out, clo_x509_der(*x));
}

clo_err clo_sim_load_part(clo_sim *s, size_t i, clo_bytes in)
{
    clo_ec_key **k;
    clo_x509 **x;
    CLO_ENSURE(i < CLO_SIM_PARTS, CLO_E_ARG, "sim: part index");
    part_slot(s, i, &k, &x);
    return k ? clo_ec_key_load(k, in) : clo_x509_parse(in, x);
}

int clo_sim_part_is_secret(size_t i)
{
    return i < 5 || (i >= 9 && i < 12);
}

/* ---- collateral in Intel's formats ---- */

static clo_err append_str(clo_buf *b, const char *s)
{
    return clo_buf_append(b, s, strlen(s));
}

static clo_err hex_field(clo_buf *b, const uint8_t *p, size_t n, int upper)
{
    char h[2 * 64 + 1];
    clo_hex_encode(h, CLO_BYTES(p, n));
    for (size_t i = 0; upper && h[i]; i++)
        if (h[i] >= 'a' && h[i] <= 'f') h[i] = (char)(h[i] - 32);
    return append_str(b, h);
}

/* {"<key>":<inner>,"signature":"<hex r||s of inner>"} */
static clo_err pcs_response(const clo_sim *s, const char *key, clo_bytes inner, clo_buf *out)
{
    uint8_t sig[64];
    CLO_TRY(clo_ec_key_sign(s->tcb_key, CLO_HASH_SHA256, inner, sig));
    CLO_TRY(append_str(out, "{\""));
    CLO_TRY(append_str(out, key));
    CLO_TRY(append_str(out, "\":"));
    CLO_TRY(clo_buf_append_bytes(out, inner));
    CLO_TRY(append_str(out, ",\"signature\":\""));
    CLO_TRY(hex_field(out, sig, 64, 0));
    return append_str(out, "\"}");
}

static clo_err tcb_info(const clo_sim *s, int64_t now, clo_buf *out)
{
    char t1[CLO_TIME_STRING_SIZE], t2[CLO_TIME_STRING_SIZE], num[64];
    clo_buf j;
    clo_err err = CLO_OK;
    clo_time_format(now, t1);
    clo_time_format(now + 30 * DAY, t2);
    clo_buf_init(&j, 1 << 16);
    CLO_CHECK(append_str(&j, "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\""));
    CLO_CHECK(append_str(&j, t1));
    CLO_CHECK(append_str(&j, "\",\"nextUpdate\":\""));
    CLO_CHECK(append_str(&j, t2));
    CLO_CHECK(append_str(&j, "\",\"fmspc\":\""));
    CLO_CHECK(hex_field(&j, k_fmspc, 6, 1));
    CLO_CHECK(append_str(&j, "\",\"pceId\":\""));
    CLO_CHECK(hex_field(&j, k_pceid, 2, 1));
    CLO_CHECK(append_str(
        &j, "\",\"tcbType\":0,\"tcbEvaluationDataNumber\":1,\"tdxModule\":{\"mrsigner\":\""));
    static const uint8_t zeros[48] = {0};
    CLO_CHECK(hex_field(&j, zeros, 48, 1));
    CLO_CHECK(append_str(
        &j, "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
            "\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\""));
    CLO_CHECK(hex_field(&j, zeros, 48, 1));
    snprintf(num, sizeof num, "%u", k_tee_tcb_svn[0]);
    CLO_CHECK(append_str(
        &j, "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
            "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":"));
    CLO_CHECK(append_str(&j, num));
    CLO_CHECK(append_str(&j, "},\"tcbDate\":\""));
    CLO_CHECK(append_str(&j, t1));
    CLO_CHECK(append_str(
        &j, "\",\"tcbStatus\":\"UpToDate\"}]}],\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":["));
    for (int i = 0; i < 16; i++) {
        snprintf(num, sizeof num, "%s{\"svn\":%u}", i ? "," : "", k_comp_svn[i]);
        CLO_CHECK(append_str(&j, num));
    }
    snprintf(num, sizeof num, "],\"pcesvn\":%u,\"tdxtcbcomponents\":[", k_pcesvn);
    CLO_CHECK(append_str(&j, num));
    for (int i = 0; i < 16; i++) {
        snprintf(num, sizeof num, "%s{\"svn\":%u}", i ? "," : "", k_tee_tcb_svn[i]);
        CLO_CHECK(append_str(&j, num));
    }
    CLO_CHECK(append_str(&j, "]},\"tcbDate\":\""));
    CLO_CHECK(append_str(&j, t1));
    CLO_CHECK(append_str(&j, "\",\"tcbStatus\":\"UpToDate\"}]}"));
    CLO_CHECK(pcs_response(s, "tcbInfo", clo_buf_view(&j), out));
out:
    clo_buf_free(&j);
    return err;
}

static clo_err qe_identity(const clo_sim *s, int64_t now, clo_buf *out)
{
    char t1[CLO_TIME_STRING_SIZE], t2[CLO_TIME_STRING_SIZE], num[96];
    uint8_t mrsigner[32];
    clo_buf j;
    clo_err err = CLO_OK;
    clo_time_format(now, t1);
    clo_time_format(now + 30 * DAY, t2);
    qe_mrsigner(mrsigner);
    clo_buf_init(&j, 1 << 14);
    CLO_CHECK(append_str(&j, "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\""));
    CLO_CHECK(append_str(&j, t1));
    CLO_CHECK(append_str(&j, "\",\"nextUpdate\":\""));
    CLO_CHECK(append_str(&j, t2));
    CLO_CHECK(append_str(&j, "\",\"tcbEvaluationDataNumber\":1,\"miscselect\":\"00000000\","
                             "\"miscselectMask\":\"FFFFFFFF\","
                             "\"attributes\":\""));
    CLO_CHECK(hex_field(&j, k_qe_attributes, 16, 1));
    CLO_CHECK(append_str(
        &j, "\",\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\""));
    CLO_CHECK(hex_field(&j, mrsigner, 32, 1));
    snprintf(num, sizeof num,
             "\",\"isvprodid\":%u,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"",
             k_qe_isvprodid, k_qe_isvsvn);
    CLO_CHECK(append_str(&j, num));
    CLO_CHECK(append_str(&j, t1));
    CLO_CHECK(append_str(&j, "\",\"tcbStatus\":\"UpToDate\"}]}"));
    CLO_CHECK(pcs_response(s, "enclaveIdentity", clo_buf_view(&j), out));
out:
    clo_buf_free(&j);
    return err;
}

clo_err clo_sim_collateral(const clo_sim *s, int64_t now, size_t i, clo_buf *out)
{
    switch (i) {
    case 0: return tcb_info(s, now, out);
    case 1: return qe_identity(s, now, out);
    case 2: return clo_x509_crl_create(s->ca, s->ca_key, now, now + 30 * DAY, NULL, 0, out);
    case 3: return clo_x509_crl_create(s->root, s->root_key, now, now + 30 * DAY, NULL, 0, out);
    case 4: CLO_TRY(clo_x509_to_pem(s->tcb, out)); return clo_x509_to_pem(s->root, out);
    case 5: CLO_TRY(clo_x509_to_pem(s->ca, out)); return clo_x509_to_pem(s->root, out);
    }
    return CLO_ERR(CLO_E_ARG, "sim: collateral index");
}

/* ---- quotes ---- */

static clo_err le16(clo_buf *b, uint16_t v)
{
    uint8_t t[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return clo_buf_append(b, t, 2);
}
static clo_err le32(clo_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return clo_buf_append(b, t, 4);
}
static clo_err zeros(clo_buf *b, size_t n)
{
    uint8_t *p;
    CLO_TRY(clo_buf_extend(b, n, &p));
    memset(p, 0, n);
    return CLO_OK;
}

/* The QE's SGX report: its identity, and report data binding the attestation key. */
static clo_err qe_report(clo_buf *b, const uint8_t att_key[64], clo_bytes auth)
{
    uint8_t h[32], mrsigner[32];
    clo_hash_ctx hc;
    CLO_TRY(clo_hash_init(&hc, CLO_HASH_SHA256));
    CLO_TRY(clo_hash_update(&hc, CLO_BYTES(att_key, 64)));
    CLO_TRY(clo_hash_update(&hc, auth));
    CLO_TRY(clo_hash_final(&hc, h));
    qe_mrsigner(mrsigner);
    CLO_TRY(zeros(b, 16)); /* cpusvn */
    CLO_TRY(le32(b, 0));   /* miscselect */
    CLO_TRY(zeros(b, 28));
    CLO_TRY(clo_buf_append(b, k_qe_attributes, 16));
    CLO_TRY(zeros(b, 32)); /* mrenclave */
    CLO_TRY(zeros(b, 32));
    CLO_TRY(clo_buf_append(b, mrsigner, 32));
    CLO_TRY(zeros(b, 96));
    CLO_TRY(le16(b, k_qe_isvprodid));
    CLO_TRY(le16(b, k_qe_isvsvn));
    CLO_TRY(zeros(b, 60));
    CLO_TRY(clo_buf_append(b, h, 32));
    return zeros(b, 32);
}

clo_err clo_sim_quote(const clo_sim *s, const clo_sim_quote_params *p, clo_buf *out)
{
    uint8_t point[65], sig[64], auth[32];
    size_t plen;
    clo_buf q, inner, chain;
    clo_err err = CLO_OK;
    clo_buf_init(&q, 1 << 16);
    clo_buf_init(&inner, 1 << 16);
    clo_buf_init(&chain, 1 << 16);
    CLO_CHECK(clo_ec_key_public(s->att_key, point, sizeof point, &plen));
    CLO_FAIL_IF(plen != 65, CLO_E_KEY, "sim: attestation key");
    /* header */
    CLO_CHECK(le16(&q, 4));
    CLO_CHECK(le16(&q, CLO_QUOTE_ATT_KEY_ECDSA_P256));
    CLO_CHECK(le32(&q, CLO_QUOTE_TEE_TDX));
    CLO_CHECK(le16(&q, 0));
    CLO_CHECK(le16(&q, 0));
    CLO_CHECK(clo_buf_append(&q, clo_intel_qe_vendor_id, 16));
    CLO_CHECK(zeros(&q, 20));
    /* TD report 1.0 */
    CLO_CHECK(clo_buf_append(&q, k_tee_tcb_svn, 16));
    CLO_CHECK(zeros(&q, 48 + 48 + 8));              /* mrseam, mrsignerseam, seam attributes */
    static const uint8_t td_attributes[8] = {0x01}; /* DEBUG: a simulated TEE protects nothing */
    CLO_CHECK(clo_buf_append(&q, td_attributes, 8));
    static const uint8_t xfam[8] = {0xe7, 0x02, 0x06};
    CLO_CHECK(clo_buf_append(&q, xfam, 8));
    CLO_CHECK(clo_buf_append(&q, p->mrtd, 48));
    CLO_CHECK(zeros(&q, 48 * 3)); /* mrconfigid, mrowner, mrownerconfig */
    for (int i = 0; i < 4; i++) CLO_CHECK(clo_buf_append(&q, p->rtmr[i], 48));
    CLO_CHECK(clo_buf_append(&q, p->report_data, 64));
    /* the attestation key signs header and body */
    CLO_CHECK(clo_ec_key_sign(s->att_key, CLO_HASH_SHA256, clo_buf_view(&q), sig));
    /* QE report certification data: QE report, its PCK signature, auth data, PEM chain */
    CLO_CHECK(clo_random(auth, sizeof auth));
    size_t qe_start = inner.len;
    CLO_CHECK(qe_report(&inner, point + 1, CLO_BYTES(auth, sizeof auth)));
    uint8_t qe_sig[64];
    CLO_CHECK(clo_ec_key_sign(s->pck_key, CLO_HASH_SHA256,
                              CLO_BYTES(inner.ptr + qe_start, CLO_SGX_REPORT_SIZE), qe_sig));
    CLO_CHECK(clo_buf_append(&inner, qe_sig, 64));
    CLO_CHECK(le16(&inner, sizeof auth));
    CLO_CHECK(clo_buf_append(&inner, auth, sizeof auth));
    CLO_CHECK(clo_x509_to_pem(s->pck, &chain));
    CLO_CHECK(clo_x509_to_pem(s->ca, &chain));
    CLO_CHECK(clo_x509_to_pem(s->root, &chain));
    CLO_CHECK(le16(&inner, 5));
    CLO_CHECK(le32(&inner, (uint32_t)chain.len));
    CLO_CHECK(clo_buf_append_bytes(&inner, clo_buf_view(&chain)));
    /* signature data */
    CLO_CHECK(le32(&q, (uint32_t)(64 + 64 + 6 + inner.len)));
    CLO_CHECK(clo_buf_append(&q, sig, 64));
    CLO_CHECK(clo_buf_append(&q, point + 1, 64));
    CLO_CHECK(le16(&q, 6));
    CLO_CHECK(le32(&q, (uint32_t)inner.len));
    CLO_CHECK(clo_buf_append_bytes(&q, clo_buf_view(&inner)));
    CLO_CHECK(clo_buf_append_bytes(out, clo_buf_view(&q)));
out:
    clo_buf_free(&q);
    clo_buf_free(&inner);
    clo_buf_free(&chain);
    return err;
}

/* ---- SEV-SNP reports ---- */

static clo_err le64(clo_buf *b, uint64_t v)
{
    CLO_TRY(le32(b, (uint32_t)v));
    return le32(b, (uint32_t)(v >> 32));
}

clo_err clo_sim_snp_measurement(const uint8_t exe_event[48], uint8_t out[48])
{
    clo_hash_ctx h;
    CLO_TRY(clo_hash_init(&h, CLO_HASH_SHA384));
    CLO_TRY(clo_hash_update(&h, clo_bytes_str("cloister/sim/snp/measurement/v1")));
    CLO_TRY(clo_hash_update(&h, CLO_BYTES(exe_event, 48)));
    return clo_hash_final(&h, out);
}

clo_err clo_sim_snp_report(const clo_sim *s, const clo_sim_snp_params *p, clo_buf *out)
{
    uint64_t tcb = (uint64_t)k_snp_bl | (uint64_t)k_snp_tee << 8 | (uint64_t)k_snp_snp << 48 |
                   (uint64_t)k_snp_ucode << 56;
    uint8_t sig[96];
    clo_bytes hwid;
    clo_buf r;
    clo_err err = CLO_OK;
    clo_buf_init(&r, CLO_SNP_REPORT_SIZE);
    CLO_CHECK(clo_x509_extension(s->vcek, "1.3.6.1.4.1.3704.1.4", &hwid));
    CLO_FAIL_IF(hwid.len != 64, CLO_E_FORMAT, "sim: VCEK hwID");
    CLO_CHECK(le32(&r, 2));              /* version */
    CLO_CHECK(le32(&r, 0));              /* guest_svn */
    CLO_CHECK(le64(&r, SNP_POLICY_SIM)); /* policy */
    CLO_CHECK(zeros(&r, 32));            /* family_id, image_id */
    CLO_CHECK(le32(&r, 0));              /* vmpl */
    CLO_CHECK(le32(&r, 1));              /* signature_algo: ECDSA P-384 SHA-384 */
    CLO_CHECK(le64(&r, tcb));            /* current_tcb */
    CLO_CHECK(le64(&r, 1));              /* platform_info: SMT enabled */
    CLO_CHECK(le32(&r, 0));              /* flags: signed by the VCEK, chip id shown */
    CLO_CHECK(zeros(&r, 4));
    CLO_CHECK(clo_buf_append(&r, p->report_data, 64));
    CLO_CHECK(clo_buf_append(&r, p->measurement, 48));
    CLO_CHECK(clo_buf_append(&r, p->host_data, 32));
    CLO_CHECK(zeros(&r, 48 + 48)); /* id_key_digest, author_key_digest */
    uint8_t report_id[32];
    CLO_CHECK(clo_random(report_id, 32));
    CLO_CHECK(clo_buf_append(&r, report_id, 32));
    CLO_CHECK(zeros(&r, 32)); /* report_id_ma */
    CLO_CHECK(le64(&r, tcb)); /* reported_tcb */
    CLO_CHECK(zeros(&r, 24));
    CLO_CHECK(clo_buf_append_bytes(&r, hwid)); /* chip_id */
    CLO_CHECK(le64(&r, tcb));                  /* committed_tcb */
    CLO_CHECK(zeros(&r, 8));                   /* builds and versions */
    CLO_CHECK(le64(&r, tcb));                  /* launch_tcb */
    CLO_CHECK(zeros(&r, 0x2A0 - r.len));
    CLO_CHECK(clo_ec_key_sign(s->vcek_key, CLO_HASH_SHA384, clo_buf_view(&r), sig));
    /* r and s little-endian in 72-byte fields */
    for (int half = 0; half < 2; half++) {
        uint8_t f[72] = {0};
        for (int i = 0; i < 48; i++) f[i] = sig[half * 48 + 47 - i];
        CLO_CHECK(clo_buf_append(&r, f, sizeof f));
    }
    CLO_CHECK(zeros(&r, CLO_SNP_REPORT_SIZE - r.len));
    CLO_CHECK(clo_buf_append_bytes(out, clo_buf_view(&r)));
out:
    clo_buf_free(&r);
    return err;
}
