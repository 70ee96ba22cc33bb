/* onnx_wl.c — confidential inference: a provisioned ONNX model run on each
 * input's tensors, the outputs sealed back to that input's sender only
 * (docs/formats.md §5.5).
 *
 * config:  u8 version=1 | model_id[32]   (SHA-256 of the model file)
 * input:   u16 n | n x (u32 size | TensorProto)   the graph's feeds, in order
 * public:  u8 version=1 | model_id[32] | u32 inputs | u32 answered
 * private (per input): u8 status (0 ok) |
 *            ok:     u16 n | n x (u32 size | TensorProto)   the graph's outputs, named
 *            failed: u8 size | what                          why this input failed
 *
 * The model is the enclave's provisioned secret of that id; it is checked
 * against the id on every open, so a host cannot swap it. One input's bad
 * tensors fail that input only: the others are still answered. Nothing about
 * the inputs or outputs reaches the public output. */
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "workloads/onnx/plan.h"
#include "workloads/onnx/writer.h"
#include "workloads/workload.h"

#define MAX_FEEDS 16

typedef struct {
    uint8_t model_id[32];
    clo_onnx_model m;
    int loaded;
} onnx_state;

static clo_err parse_config(clo_bytes config, uint8_t model_id[32])
{
    clo_cur c = clo_cur_init(config);
    uint8_t version;
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "onnx.config.version");
    CLO_TRY(clo_cur_copy(&c, model_id, 32));
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "onnx.config: trailing bytes");
    return CLO_OK;
}

static void close_onnx(void *state)
{
    onnx_state *s = state;
    if (!s) return;
    if (s->loaded) clo_onnx_free(&s->m);
    free(s);
}

static clo_err open_onnx(clo_bytes config, const clo_wl_env *env, void **state)
{
    uint8_t id[32];
    *state = NULL;
    CLO_TRY(parse_config(config, id));
    onnx_state *s = calloc(1, sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "onnx.state");
    memcpy(s->model_id, id, 32);
    if (env) { /* in the enclave: the model itself */
        clo_bytes model = env->secret(env->ctx, id);
        uint8_t h[CLO_SHA256_SIZE];
        clo_err err = CLO_OK;
        if (!model.len)
            err = CLO_ERR(CLO_E_STATE, "onnx.model: not provisioned");
        else if (clo_sha256(model, h).code)
            err = CLO_ERR(CLO_E_CRYPTO, "onnx.model: hash");
        else if (memcmp(h, id, 32))
            err = CLO_ERR(CLO_E_AUTH, "onnx.model: does not match its id");
        else if (!(err = clo_onnx_load(model, &s->m)).code)
            s->loaded = 1;
        if (err.code) {
            close_onnx(s);
            return err;
        }
    }
    *state = s;
    return CLO_OK;
}

/* A failed input's private output: the status and the error's static name. */
static clo_err fail_input(clo_buf *priv, clo_err e)
{
    const char *what = e.what ? e.what : "onnx: failed";
    size_t n = strlen(what) > 255 ? 255 : strlen(what);
    uint8_t head[2] = {(uint8_t)e.code, (uint8_t)n};
    clo_buf_clear(priv);
    CLO_TRY(clo_buf_append(priv, head, 2));
    return clo_buf_append(priv, what, n);
}

/* The feeds of one input: u16 n | n x (u32 size | TensorProto). */
static clo_err read_feeds(clo_bytes in, clo_tensor *t, void **mem, size_t want)
{
    clo_cur c = clo_cur_init(in);
    uint16_t n;
    CLO_TRY(clo_cur_u16be(&c, &n));
    CLO_ENSURE(n == want, CLO_E_FORMAT, "onnx.input: not one tensor per graph input");
    for (size_t i = 0; i < n; i++) {
        uint32_t size;
        clo_bytes b;
        clo_onnx_tensor ft;
        CLO_TRY(clo_cur_u32be(&c, &size));
        CLO_TRY(clo_cur_take(&c, size, &b));
        CLO_TRY(clo_onnx_tensor_read(b, &ft));
        size_t es = clo_tensor_elem_size(ft.dtype);
        CLO_ENSURE(es, CLO_E_UNSUPPORTED, "onnx.input: element type");
        mem[i] = malloc(ft.count * es + 1);
        CLO_ENSURE(mem[i], CLO_E_NOMEM, "onnx.input");
        t[i].dtype = ft.dtype;
        clo_tensor_shape_of(&ft, &t[i].shape);
        t[i].count = ft.count;
        t[i].data = mem[i];
        CLO_TRY(clo_tensor_decode(&ft, mem[i]));
    }
    return clo_cur_end(&c);
}

/* Same types and shapes as the plan was built for. */
static int same_feeds(const clo_tensor *a, const clo_tensor *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].dtype != b[i].dtype || !clo_shape_equal(&a[i].shape, &b[i].shape)) return 0;
    return 1;
}

static clo_err answer(const onnx_state *s, clo_bytes in, clo_onnx_plan **plan, clo_tensor *planned,
                      clo_buf *priv)
{
    clo_tensor t[MAX_FEEDS];
    void *mem[MAX_FEEDS] = {0};
    size_t nf = clo_onnx_feeds(&s->m, NULL, 0);
    char why[CLO_ONNX_WHY];
    clo_err err = CLO_OK;
    CLO_FAIL_IF(nf > MAX_FEEDS, CLO_E_LIMIT, "onnx.model: more than 16 inputs");
    CLO_CHECK(read_feeds(in, t, mem, nf));
    if (!*plan || !same_feeds(t, planned, nf)) {
        clo_onnx_plan_free(*plan);
        *plan = NULL;
        /* data is given: a feed that decides shapes binds this plan */
        CLO_CHECK(clo_onnx_plan_new(&s->m, t, nf, plan, why));
        memcpy(planned, t, nf * sizeof *t);
    }
    err = clo_onnx_plan_run(*plan, t, nf);
    if (err.code == CLO_E_ARG) { /* a bound feed's value differs: plan again */
        clo_onnx_plan_free(*plan);
        *plan = NULL;
        CLO_CHECK(clo_onnx_plan_new(&s->m, t, nf, plan, why));
        err = clo_onnx_plan_run(*plan, t, nf);
    }
    if (err.code) goto out;
    size_t no = clo_onnx_plan_noutputs(*plan);
    uint8_t head[3] = {0};
    clo_store_u16be(head + 1, (uint16_t)no);
    clo_buf_clear(priv);
    CLO_CHECK(clo_buf_append(priv, head, 3));
    for (size_t k = 0; k < no; k++) {
        size_t at = priv->len;
        uint8_t size[4] = {0};
        CLO_CHECK(clo_buf_append(priv, size, 4));
        CLO_CHECK(
            clo_onnx_tensor_write(priv, s->m.outputs[k].name, clo_onnx_plan_output(*plan, k)));
        clo_store_u32be(priv->ptr + at, (uint32_t)(priv->len - at - 4));
    }
out:
    for (size_t i = 0; i < MAX_FEEDS; i++) free(mem[i]);
    return err;
}

static clo_err run_onnx(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    const onnx_state *s = state;
    CLO_ENSURE(s->loaded, CLO_E_STATE, "onnx.model: not loaded");
    clo_onnx_plan *plan = NULL;
    clo_tensor planned[MAX_FEEDS];
    uint32_t answered = 0;
    clo_err err = CLO_OK;
    for (size_t i = 0; i < call->count; i++) {
        clo_err e = answer(s, call->inputs[i], &plan, planned, &priv[i]);
        if (e.code == CLO_E_NOMEM) {
            err = e; /* the enclave's trouble, not the input's */
            break;
        }
        if (e.code) {
            /* the plan may be half built on this input's shapes: start over */
            clo_onnx_plan_free(plan);
            plan = NULL;
            CLO_CHECK(fail_input(&priv[i], e));
        } else {
            answered++;
        }
    }
    if (!err.code) {
        uint8_t head[41];
        head[0] = 1;
        memcpy(head + 1, s->model_id, 32);
        clo_store_u32be(head + 33, (uint32_t)call->count);
        clo_store_u32be(head + 37, answered);
        err = clo_buf_append(pub, head, sizeof head);
    }
out:
    clo_onnx_plan_free(plan);
    return err;
}

const clo_workload clo_wl_onnx = {"onnx", open_onnx, run_onnx, close_onnx};
