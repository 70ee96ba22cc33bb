/* inference_test.c — confidential inference in the enclave, in process on a
 * simulated platform: a model provisioned under its SHA-256 id (HPKE-sealed
 * to the epoch key), a job of three records where each sender opens only
 * their own answer and a malformed record fails alone, the public output
 * revealing nothing but counts, the statement binding the config (hence the
 * model id), a model that is not provisioned or not the one its id names
 * refused, and the model surviving the sealed state across a restart. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "enclave_fixture.h"
#include "workloads/onnx/model.h"
#include "workloads/onnx/tensor.h"
#include "workloads/onnx/writer.h"
#include "workloads/onnx_wl.h"
#include "workloads/workload.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static fx_platform P;

static int setup(void **state)
{
    (void)state;
    return fx_platform_new(&P).code;
}

static int teardown(void **state)
{
    (void)state;
    fx_platform_free(&P);
    return 0;
}

/* x [1,3] -> logits = x W^T + b, W = [[1,0,0],[0,1,1]], b = [0, -1]
 *         -> p = softmax(logits), label = argmax */
static void make_model(clo_buf *out)
{
    clo_onnxw w;
    int64_t dx[2] = {1, 3}, dw[2] = {2, 3}, db[1] = {2};
    const float W[6] = {1, 0, 0, 0, 1, 1}, b[2] = {0, -1};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 2, dx);
    clo_onnxw_output(&w, "p", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_output(&w, "label", CLO_ONNX_INT64, 0, NULL);
    clo_onnxw_init_floats(&w, "W", 2, dw, W);
    clo_onnxw_init_floats(&w, "b", 1, db, b);
    clo_onnxw_attr_int(&w, "transB", 1);
    clo_onnxw_node(&w, "Gemm", NULL, (const char *const[]){"x", "W", "b"}, 3,
                   (const char *const[]){"l"}, 1);
    clo_onnxw_node(&w, "Softmax", NULL, (const char *const[]){"l"}, 1, (const char *const[]){"p"},
                   1);
    clo_onnxw_attr_int(&w, "axis", 1);
    clo_onnxw_attr_int(&w, "keepdims", 0);
    clo_onnxw_node(&w, "ArgMax", NULL, (const char *const[]){"p"}, 1,
                   (const char *const[]){"label"}, 1);
    OK(clo_onnxw_finish(&w, "tiny", 13, 0, out));
}

/* Provision a secret under id and check the enclave's answer: the id and
 * keccak256 of what it now holds. */
static void provision(clo_enclave *e, const uint8_t id[32], clo_bytes secret, uint32_t epoch,
                      const uint8_t pk[32])
{
    clo_buf r;
    clo_buf_init(&r, 1024);
    OK(fx_provision(e, &P, id, secret, epoch, pk, &r));
    uint8_t k[32];
    clo_keccak256(secret, k);
    assert_int_equal(r.len, 64);
    assert_memory_equal(r.ptr, id, 32);
    assert_memory_equal(r.ptr + 32, k, 32);
    clo_buf_free(&r);
}

/* An input: one float tensor x [1, n]. */
static void record(clo_buf *out, const float *x, int64_t n)
{
    clo_tensor t = {CLO_ONNX_FLOAT, {2, {1, n}}, (uint64_t)n, (void *)(uintptr_t)x};
    clo_buf_clear(out);
    OK(clo_onnx_input_encode(&t, 1, out));
}

static void run_job(clo_enclave *e, const uint8_t model_id[32], uint32_t epoch,
                    const uint8_t pk[32], const clo_bytes *plain, size_t n,
                    clo_envelope_reply_key *rk, clo_buf *out, uint8_t job_byte)
{
    uint8_t job_id[32], cfg[33] = {1};
    memset(job_id, job_byte, 32);
    memcpy(cfg + 1, model_id, 32);
    clo_buf body;
    clo_buf_init(&body, (size_t)4 << 20);
    OK(fx_job_body(&P, job_id, "onnx", CLO_BYTES(cfg, 33), epoch, pk, plain, n, rk, &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, out));
    clo_buf_free(&body);
}

static void decode_one(clo_buf *out, clo_proto_result *res)
{
    clo_cur c = clo_cur_init(clo_buf_view(out));
    uint16_t n;
    OK(clo_cur_u16be(&c, &n));
    assert_int_equal(n, 1);
    OK(clo_proto_result_decode(&c, res));
}

/* A private answer's tensors: p [1,2] and label [1]. */
static void check_answer(const clo_buf *p, double want_p1, int64_t want_label)
{
    clo_onnx_answer a;
    OK(clo_onnx_answer_decode(clo_buf_view(p), &a));
    assert_int_equal(a.status, 0);
    assert_int_equal(a.n, 2);
    float v[2];
    int64_t l;
    assert_true(clo_bytes_eq(a.t[0].name, clo_bytes_str("p")) && a.t[0].count == 2);
    memcpy(v, a.t[0].data.ptr, 8);
    assert_true(fabs(v[1] - want_p1) < 1e-6 && fabs(v[0] + v[1] - 1) < 1e-6);
    assert_true(clo_bytes_eq(a.t[1].name, clo_bytes_str("label")) && a.t[1].count == 1);
    memcpy(&l, a.t[1].data.ptr, 8);
    assert_int_equal(l, want_label);
}

static void test_inference_job(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r, model, out, in[3];
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&model, 1 << 20);
    clo_buf_init(&out, 1 << 20);
    for (int i = 0; i < 3; i++) clo_buf_init(&in[i], 1 << 16);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    make_model(&model);
    uint8_t id[32];
    OK(clo_sha256(clo_buf_view(&model), id));
    provision(e, id, clo_buf_view(&model), k.current, k.keys[0].hpke_pk);

    /* [2, 1, 0]:  logits [2, 0]  -> p1 = 1/(1+e^2), label 0
     * bad:        4 features where the model takes 3
     * [0, 2, 2]:  logits [0, 3]  -> p1 = 1/(1+e^-3), label 1 */
    const float a[3] = {2, 1, 0}, bad[4] = {1, 2, 3, 4}, c3[3] = {0, 2, 2};
    record(&in[0], a, 3);
    record(&in[1], bad, 4);
    record(&in[2], c3, 3);
    clo_bytes plain[3] = {clo_buf_view(&in[0]), clo_buf_view(&in[1]), clo_buf_view(&in[2])};
    clo_envelope_reply_key rk[3];
    run_job(e, id, k.current, k.keys[0].hpke_pk, plain, 3, rk, &out, 0x51);
    static clo_proto_result res;
    decode_one(&out, &res);
    OK(res.err);
    /* public: version 2, model id, 3 inputs, 2 answered, record 1 not answered; nothing else */
    static const uint8_t tail[4] = {0, 1, 0, 1};
    assert_int_equal(res.public_out.len, 45);
    assert_int_equal(res.public_out.ptr[0], 2);
    assert_memory_equal(res.public_out.ptr + 1, id, 32);
    assert_int_equal(res.public_out.ptr[36], 3);
    assert_int_equal(res.public_out.ptr[40], 2);
    assert_memory_equal(res.public_out.ptr + 41, tail, 4);
    /* the statement binds keccak256(config), the config names the model */
    uint8_t cfg[33] = {1}, h[32];
    memcpy(cfg + 1, id, 32);
    clo_keccak256(CLO_BYTES(cfg, 33), h);
    assert_memory_equal(res.stmt.config_hash, h, 32);
    OK(clo_result_verify(&res.stmt, FX_CHAIN_ID, P.market, res.sig, k.keys[0].signer));
    /* each sender opens their own answer, and not another's */
    clo_buf p;
    clo_buf_init(&p, 1 << 16);
    OK(clo_envelope_reply_open(&p, &rk[0], res.private_out[0]));
    check_answer(&p, 1.0 / (1.0 + exp(2.0)), 0);
    clo_buf_clear(&p);
    OK(clo_envelope_reply_open(&p, &rk[2], res.private_out[2]));
    check_answer(&p, 1.0 / (1.0 + exp(-3.0)), 1);
    clo_buf_clear(&p);
    assert_int_equal(clo_envelope_reply_open(&p, &rk[0], res.private_out[2]).code, CLO_E_AUTH);
    clo_buf_clear(&p);
    OK(clo_envelope_reply_open(&p, &rk[1], res.private_out[1]));
    clo_onnx_answer failed;
    OK(clo_onnx_answer_decode(clo_buf_view(&p), &failed));
    assert_int_equal(failed.status, CLO_E_ARG); /* the feed does not fit the input */
    assert_true(failed.what.len > 0 && failed.n == 0);
    /* Provisioned again: the enclave frees the memory the cached model was
     * loaded from (the cache borrows it). The next job loads afresh, never
     * reading what was freed (ASan would say), and answers the same. */
    provision(e, id, clo_buf_view(&model), k.current, k.keys[0].hpke_pk);
    clo_envelope_reply_key rk1[1];
    run_job(e, id, k.current, k.keys[0].hpke_pk, plain, 1, rk1, &out, 0x53);
    decode_one(&out, &res);
    OK(res.err);
    clo_buf_clear(&p);
    OK(clo_envelope_reply_open(&p, &rk1[0], res.private_out[0]));
    check_answer(&p, 1.0 / (1.0 + exp(2.0)), 0);
    clo_envelope_reply_key_wipe(&rk1[0]);
    clo_buf_clear(&p);

    /* the sealed state keeps the model across a restart */
    clo_buf blob;
    clo_buf_init(&blob, (size_t)32 << 20);
    OK(fx_checkpoint(&P, e, FX_NOW, &blob));
    uint8_t lineage[20];
    uint64_t v;
    OK(fx_state_header(clo_buf_view(&blob), lineage, &v));
    clo_enclave *e2;
    OK(fx_enclave(&P, P.measurement, 60, &e2));
    OK(fx_import(&P, e2, clo_buf_view(&blob), v, FX_NOW, &r));
    /* The state names the model; its bytes come apart, sealed in chunks. */
    static clo_proto_imported imp;
    OK(clo_proto_imported_decode(clo_buf_view(&r), &imp));
    assert_int_equal(imp.count, 1);
    assert_memory_equal(imp.secrets[0].id, id, 32);
    assert_int_equal(imp.secrets[0].size, model.len);
    clo_buf imported, req, sealed;
    clo_buf_init(&imported, 1 << 16);
    clo_buf_init(&req, 1 << 20);
    clo_buf_init(&sealed, 1 << 20);
    OK(clo_buf_append_bytes(&imported, clo_buf_view(&r)));
    clo_proto_secret_ref ref = {.index = 0};
    memcpy(ref.id, id, 32);
    OK(clo_proto_secret_ref_encode(&ref, &req));
    OK(fx_call(e, CLO_CALL_SECRET_SEAL, clo_buf_view(&req), FX_NOW, &sealed));
    clo_proto_sealed_chunk ch;
    OK(clo_proto_sealed_chunk_decode(clo_buf_view(&sealed), &ch));
    assert_int_equal(ch.count, 1);
    assert_int_equal(ch.sealed.len, model.len + 16);
    /* the sealed chunk is not the model */
    assert_memory_not_equal(ch.sealed.ptr, model.ptr, model.len);
    /* not loaded: its jobs fail as not provisioned */
    clo_envelope_reply_key rk0[1];
    run_job(e2, id, k.current, k.keys[0].hpke_pk, plain, 1, rk0, &out, 0x51);
    decode_one(&out, &res);
    assert_int_equal(res.err.code, CLO_E_STATE);
    clo_envelope_reply_key_wipe(&rk0[0]);
    /* one flipped bit, a chunk past the end, another id: refused */
    clo_buf flipped;
    clo_buf_init(&flipped, 1 << 20);
    clo_proto_secret_load ld = {.index = 0, .sealed = ch.sealed};
    memcpy(ld.id, id, 32);
    OK(clo_buf_append_bytes(&flipped, ch.sealed));
    flipped.ptr[5] ^= 1;
    ld.sealed = clo_buf_view(&flipped);
    clo_buf_clear(&req);
    OK(clo_proto_secret_load_encode(&ld, &req));
    assert_int_equal(fx_call(e2, CLO_CALL_SECRET_LOAD, clo_buf_view(&req), FX_NOW, &r).code,
                     CLO_E_AUTH);
    ld.sealed = ch.sealed;
    ld.index = 1;
    clo_buf_clear(&req);
    OK(clo_proto_secret_load_encode(&ld, &req));
    assert_int_equal(fx_call(e2, CLO_CALL_SECRET_LOAD, clo_buf_view(&req), FX_NOW, &r).code,
                     CLO_E_STATE);
    ld.index = 0;
    ld.id[0] ^= 1;
    clo_buf_clear(&req);
    OK(clo_proto_secret_load_encode(&ld, &req));
    assert_int_equal(fx_call(e2, CLO_CALL_SECRET_LOAD, clo_buf_view(&req), FX_NOW, &r).code,
                     CLO_E_STATE);
    clo_buf_free(&flipped);
    clo_buf_free(&req);
    clo_buf_free(&sealed);
    OK(fx_carry_secrets(e, e2, clo_buf_view(&imported), FX_NOW));
    clo_buf_free(&imported);
    clo_envelope_reply_key rk2[1];
    run_job(e2, id, k.current, k.keys[0].hpke_pk, plain, 1, rk2, &out, 0x52);
    decode_one(&out, &res);
    OK(res.err);
    clo_buf_clear(&p);
    OK(clo_envelope_reply_open(&p, &rk2[0], res.private_out[0]));
    check_answer(&p, 1.0 / (1.0 + exp(2.0)), 0);

    for (int i = 0; i < 3; i++) clo_envelope_reply_key_wipe(&rk[i]);
    clo_envelope_reply_key_wipe(&rk2[0]);
    clo_enclave_free(e);
    clo_enclave_free(e2);
    clo_buf_free(&blob);
    clo_buf_free(&p);
    clo_buf_free(&r);
    clo_buf_free(&model);
    clo_buf_free(&out);
    for (int i = 0; i < 3; i++) clo_buf_free(&in[i]);
}

static void test_model_refusals(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r, model, out, in;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&model, 1 << 20);
    clo_buf_init(&out, 1 << 20);
    clo_buf_init(&in, 1 << 16);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    make_model(&model);
    const float a[3] = {1, 1, 1};
    record(&in, a, 3);
    clo_bytes plain[1] = {clo_buf_view(&in)};
    clo_envelope_reply_key rk[1];
    static clo_proto_result res;
    /* a model id nobody provisioned */
    uint8_t id[32];
    OK(clo_sha256(clo_buf_view(&model), id));
    run_job(e, id, k.current, k.keys[0].hpke_pk, plain, 1, rk, &out, 0x61);
    decode_one(&out, &res);
    assert_int_equal(res.err.code, CLO_E_STATE);
    clo_envelope_reply_key_wipe(&rk[0]);
    /* bytes under an id that is not their SHA-256 are refused at the door
     * (the host could otherwise replace what a provisioned id names) */
    uint8_t wrong[32];
    memcpy(wrong, id, 32);
    wrong[0] ^= 1;
    clo_buf rr;
    clo_buf_init(&rr, 1024);
    assert_int_equal(
        fx_provision(e, &P, wrong, clo_buf_view(&model), k.current, k.keys[0].hpke_pk, &rr).code,
        CLO_E_POLICY);
    /* ... and an id provisioned once cannot be given other bytes */
    provision(e, id, clo_buf_view(&model), k.current, k.keys[0].hpke_pk);
    clo_buf other;
    clo_buf_init(&other, 1 << 20);
    OK(clo_buf_append(&other, clo_buf_view(&model).ptr, model.len));
    other.ptr[other.len - 1] ^= 1;
    assert_int_equal(
        fx_provision(e, &P, id, clo_buf_view(&other), k.current, k.keys[0].hpke_pk, &rr).code,
        CLO_E_POLICY);
    run_job(e, id, k.current, k.keys[0].hpke_pk, plain, 1, rk, &out, 0x62);
    decode_one(&out, &res);
    assert_int_equal(res.err.code, CLO_OK_CODE); /* still the model its id names */
    clo_envelope_reply_key_wipe(&rk[0]);
    clo_buf_free(&other);
    clo_buf_free(&rr);
    /* a config that is not version 1 + 32 bytes */
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES("\x01", 1)).code, CLO_E_FORMAT);
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(id, 32)).code != CLO_OK_CODE, 1);
    uint8_t cfg[33] = {1};
    OK(clo_workload_check(&clo_wl_onnx, CLO_BYTES(cfg, 33)));
    clo_enclave_free(e);
    clo_buf_free(&r);
    clo_buf_free(&model);
    clo_buf_free(&out);
    clo_buf_free(&in);
}

/* String tensors in and out of a job: a record of class names goes in,
 * their codes (CategoryMapper) and the names themselves (Identity) come
 * back, as string_data TensorProtos only the sender opens. */
static void test_string_job(void **state)
{
    (void)state;
    static const char *const cats[] = {"benign", "malignant"};
    static const int64_t codes[] = {0, 1};
    clo_enclave *e;
    clo_buf r, model, out, in, p;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&model, 1 << 20);
    clo_buf_init(&out, 1 << 20);
    clo_buf_init(&in, 1 << 16);
    clo_buf_init(&p, 1 << 16);
    clo_onnxw w;
    int64_t d[1] = {-1};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "names", CLO_ONNX_STRING, 1, d);
    clo_onnxw_output(&w, "code", CLO_ONNX_INT64, 1, d);
    clo_onnxw_output(&w, "echo", CLO_ONNX_STRING, 1, d);
    clo_onnxw_attr_strings(&w, "cats_strings", cats, 2);
    clo_onnxw_attr_ints(&w, "cats_int64s", codes, 2);
    clo_onnxw_node(&w, "CategoryMapper", "ai.onnx.ml", (const char *const[]){"names"}, 1,
                   (const char *const[]){"code"}, 1);
    clo_onnxw_node(&w, "Identity", NULL, (const char *const[]){"names"}, 1,
                   (const char *const[]){"echo"}, 1);
    OK(clo_onnxw_finish(&w, "strings", 17, 3, &model));
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t id[32];
    OK(clo_sha256(clo_buf_view(&model), id));
    provision(e, id, clo_buf_view(&model), k.current, k.keys[0].hpke_pk);

    clo_bytes names[3] = {clo_bytes_str("malignant"), clo_bytes_str("benign"),
                          clo_bytes_str("cyst")};
    clo_tensor t = {CLO_ONNX_STRING, {1, {3}}, 3, names};
    OK(clo_onnx_input_encode(&t, 1, &in));
    clo_bytes plain[1] = {clo_buf_view(&in)};
    clo_envelope_reply_key rk[1];
    static clo_proto_result res;
    run_job(e, id, k.current, k.keys[0].hpke_pk, plain, 1, rk, &out, 0x71);
    decode_one(&out, &res);
    OK(res.err);
    OK(clo_envelope_reply_open(&p, &rk[0], res.private_out[0]));
    clo_onnx_answer a;
    OK(clo_onnx_answer_decode(clo_buf_view(&p), &a));
    assert_int_equal(a.status, 0);
    assert_int_equal(a.n, 2);
    int64_t got[3];
    assert_int_equal(a.t[0].count, 3);
    OK(clo_tensor_decode(&a.t[0], got));
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 0);
    assert_int_equal(got[2], -1); /* not a category: default_int64 */
    clo_bytes echo[3];
    assert_int_equal(a.t[1].dtype, CLO_ONNX_STRING);
    assert_int_equal(a.t[1].count, 3);
    OK(clo_tensor_decode(&a.t[1], echo));
    for (int i = 0; i < 3; i++) assert_true(clo_bytes_eq(echo[i], names[i]));
    clo_envelope_reply_key_wipe(&rk[0]);
    clo_enclave_free(e);
    clo_buf_free(&r);
    clo_buf_free(&model);
    clo_buf_free(&out);
    clo_buf_free(&in);
    clo_buf_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inference_job),
        cmocka_unit_test(test_model_refusals),
        cmocka_unit_test(test_string_job),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
