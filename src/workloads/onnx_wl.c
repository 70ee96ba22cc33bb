/* onnx_wl.c — confidential inference: a provisioned ONNX model run on each
 * input's tensors, the outputs sealed back to that input's sender only
 * (docs/formats.md §5.5).
 *
 * config:  u8 version=1 | model_id[32]   (SHA-256 of the model file)
 *          u8 version=2 | model_id[32] | u8 threads (1..64: the job's own
 *          thread count, within the node's enclave.threads; version 1 uses
 *          all of the node's)
 * input:   u16 n | n x (u32 size | TensorProto)   the graph's feeds, in order
 * public:  u8 version=2 | model_id[32] | u32 inputs | u32 answered
 *          | u16 n | n x u16 excluded position (inputs not answered)
 * private (per input): u8 status (0 ok) |
 *            ok:     u16 n | n x (u32 size | TensorProto)   the graph's outputs, named
 *            failed: u8 size | what                          why this input failed
 *
 * The model is the enclave's provisioned secret of that id; it is checked
 * against the id before first use, so a host cannot swap it. One input's bad
 * tensors fail that input only: the others are still answered. Nothing about
 * the inputs or outputs reaches the public output but which of them could not
 * be answered.
 *
 * Loaded models and their last plan are kept between jobs in a small cache
 * (the enclave runs one job at a time), over the enclave's own copy of each
 * model, borrowed: nothing writes a held secret, and an id names one content
 * (its SHA-256). A cached model is used only while the enclave still holds
 * its id at the very address the cache loaded; otherwise (the secret was
 * provisioned again, so its old memory may be gone) the entry is dropped
 * without a look at that memory and the model is loaded afresh. A 100 MB
 * model is therefore held once, not twice. The outputs are those of a fresh
 * load. */
#include <stdlib.h>
#include <string.h>

#include "base/ct.h"
#include "crypto/hash.h"
#include "workloads/onnx/plan.h"
#include "workloads/onnx/writer.h"
#include "workloads/onnx_wl.h"
#include "workloads/workload.h"

#define MAX_FEEDS   CLO_ONNX_WL_MAX_TENSORS
#define CACHE_SLOTS 4
#define CACHE_BYTES ((size_t)32 << 20)

typedef struct {
    uint8_t id[32];
    const uint8_t *bytes; /* the enclave's copy, borrowed (see above) */
    size_t len;
    clo_onnx_model m;
    clo_onnx_plan *plan;           /* the last plan, or NULL */
    clo_tensor planned[MAX_FEEDS]; /* the feeds it was built for (types, shapes) */
    uint64_t used;                 /* for least-recently-used eviction */
} cache_entry;

static cache_entry cache[CACHE_SLOTS];
static uint64_t cache_clock;

typedef struct {
    uint8_t model_id[32];
    cache_entry *e;   /* NULL when opened without secrets (the host's check) */
    clo_pool *pool;   /* the enclave's threads, or NULL */
    unsigned threads; /* the job's, 0: all of the pool's */
} onnx_state;

/* Never reads e->bytes: they may be gone. */
static void evict(cache_entry *e)
{
    clo_onnx_plan_free(e->plan);
    if (e->bytes) clo_onnx_free(&e->m);
    memset(e, 0, sizeof *e);
}

/* The cached model of this id, loading (and checking) it on a miss. */
static clo_err cached_model(const clo_wl_env *env, const uint8_t id[32], cache_entry **out)
{
    size_t total = 0;
    cache_entry *victim = &cache[0];
    /* The enclave must hold the model now: the cache saves the load and the
     * plan, never the check that it was provisioned. */
    clo_bytes model = env->secret(env->ctx, id);
    CLO_ENSURE(model.len, CLO_E_STATE, "onnx.model: not provisioned");
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].bytes && !memcmp(cache[i].id, id, 32)) {
            if (cache[i].bytes == model.ptr && cache[i].len == model.len) {
                cache[i].used = ++cache_clock;
                *out = &cache[i];
                return CLO_OK;
            }
            evict(&cache[i]); /* held elsewhere now */
        }
        total += cache[i].len;
        if (!cache[i].bytes || cache[i].used < victim->used) victim = &cache[i];
    }
    uint8_t h[CLO_SHA256_SIZE];
    CLO_ENSURE(!clo_sha256(model, h).code, CLO_E_CRYPTO, "onnx.model: hash");
    CLO_ENSURE(!memcmp(h, id, 32), CLO_E_AUTH, "onnx.model: does not match its id");
    /* room: the least recently used first, then whatever it takes */
    total -= victim->len;
    evict(victim);
    for (size_t i = 0; i < CACHE_SLOTS && total + model.len > CACHE_BYTES; i++) {
        total -= cache[i].len;
        evict(&cache[i]);
    }
    clo_err err = clo_onnx_load(model, &victim->m);
    if (err.code) {
        memset(victim, 0, sizeof *victim);
        return err;
    }
    victim->bytes = model.ptr;
    victim->len = model.len;
    memcpy(victim->id, id, 32);
    victim->used = ++cache_clock;
    *out = victim;
    return CLO_OK;
}

/* threads: 0 for version 1 (all the node's). */
static clo_err parse_config(clo_bytes config, uint8_t model_id[32], unsigned *threads)
{
    clo_cur c = clo_cur_init(config);
    uint8_t version, t = 0;
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1 || version == 2, CLO_E_VERSION, "onnx.config.version");
    CLO_TRY(clo_cur_copy(&c, model_id, 32));
    if (version == 2) {
        CLO_TRY(clo_cur_u8(&c, &t));
        CLO_ENSURE(t >= 1 && t <= CLO_POOL_MAX, CLO_E_FORMAT, "onnx.config.threads: 1 to 64");
    }
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "onnx.config: trailing bytes");
    *threads = t;
    return CLO_OK;
}

static void close_onnx(void *state)
{
    free(state); /* the model stays in the cache */
}

static clo_err open_onnx(clo_bytes config, const clo_wl_env *env, void **state)
{
    uint8_t id[32];
    unsigned threads;
    *state = NULL;
    CLO_TRY(parse_config(config, id, &threads));
    onnx_state *s = calloc(1, sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "onnx.state");
    memcpy(s->model_id, id, 32);
    s->threads = threads;
    if (env) { /* in the enclave: the model itself */
        s->pool = env->pool;
        clo_err err = cached_model(env, id, &s->e);
        if (err.code) {
            free(s);
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

/* A tensor list, u16 n | n x (u32 size | TensorProto): the layout of both an
 * input and an answer. Views into the cursor's bytes. */
static clo_err tensor_list(clo_cur *c, clo_onnx_tensor *t, size_t cap, size_t *n)
{
    uint16_t k;
    CLO_TRY(clo_cur_u16be(c, &k));
    CLO_ENSURE(k <= cap, CLO_E_LIMIT, "onnx: more than 16 tensors");
    for (size_t i = 0; i < k; i++) {
        uint32_t size;
        clo_bytes b;
        CLO_TRY(clo_cur_u32be(c, &size));
        CLO_TRY(clo_cur_take(c, size, &b));
        CLO_TRY(clo_onnx_tensor_read(b, &t[i]));
    }
    *n = k;
    return CLO_OK;
}

static clo_err tensor_list_write(clo_buf *out, const clo_bytes *names, const clo_tensor *const *t,
                                 size_t n)
{
    uint8_t head[2];
    CLO_ENSURE(n <= CLO_ONNX_WL_MAX_TENSORS, CLO_E_LIMIT, "onnx: more than 16 tensors");
    clo_store_u16be(head, (uint16_t)n);
    CLO_TRY(clo_buf_append(out, head, 2));
    for (size_t k = 0; k < n; k++) {
        size_t at = out->len;
        uint8_t size[4] = {0};
        CLO_TRY(clo_buf_append(out, size, 4));
        CLO_TRY(clo_onnx_tensor_write(out, names ? names[k] : CLO_BYTES_EMPTY, t[k]));
        clo_store_u32be(out->ptr + at, (uint32_t)(out->len - at - 4));
    }
    return CLO_OK;
}

clo_err clo_onnx_input_encode(const clo_tensor *feeds, size_t n, clo_buf *out)
{
    const clo_tensor *t[CLO_ONNX_WL_MAX_TENSORS];
    CLO_ENSURE(n <= CLO_ONNX_WL_MAX_TENSORS, CLO_E_LIMIT, "onnx: more than 16 tensors");
    for (size_t i = 0; i < n; i++) t[i] = &feeds[i];
    size_t mark = out->len;
    clo_err err = tensor_list_write(out, NULL, t, n);
    if (err.code) clo_buf_truncate(out, mark);
    return err;
}

clo_err clo_onnx_answer_decode(clo_bytes p, clo_onnx_answer *a)
{
    clo_cur c = clo_cur_init(p);
    memset(a, 0, sizeof *a);
    CLO_TRY(clo_cur_u8(&c, &a->status));
    if (a->status) {
        uint8_t len;
        CLO_TRY(clo_cur_u8(&c, &len));
        CLO_TRY(clo_cur_take(&c, len, &a->what));
    } else {
        CLO_TRY(tensor_list(&c, a->t, CLO_ONNX_WL_MAX_TENSORS, &a->n));
    }
    return clo_cur_end(&c);
}

/* The feeds of one input, decoded into mem (wiped and freed by the caller). */
static clo_err read_feeds(clo_bytes in, clo_tensor *t, void **mem, size_t *mem_size, size_t want)
{
    clo_cur c = clo_cur_init(in);
    clo_onnx_tensor ft[CLO_ONNX_WL_MAX_TENSORS];
    size_t n;
    CLO_TRY(tensor_list(&c, ft, CLO_ONNX_WL_MAX_TENSORS, &n));
    CLO_TRY(clo_cur_end(&c));
    CLO_ENSURE(n == want, CLO_E_FORMAT, "onnx.input: not one tensor per graph input");
    for (size_t i = 0; i < n; i++) {
        size_t es = clo_tensor_elem_size(ft[i].dtype);
        CLO_ENSURE(es, CLO_E_UNSUPPORTED, "onnx.input: element type");
        mem[i] = malloc(ft[i].count * es + 1);
        CLO_ENSURE(mem[i], CLO_E_NOMEM, "onnx.input");
        mem_size[i] = ft[i].count * es + 1;
        t[i].dtype = ft[i].dtype;
        clo_tensor_shape_of(&ft[i], &t[i].shape);
        t[i].count = ft[i].count;
        t[i].data = mem[i];
        CLO_TRY(clo_tensor_decode(&ft[i], mem[i]));
    }
    return CLO_OK;
}

/* Same types and shapes as the plan was built for. */
static int same_feeds(const clo_tensor *a, const clo_tensor *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].dtype != b[i].dtype || !clo_shape_equal(&a[i].shape, &b[i].shape)) return 0;
    return 1;
}

static clo_err answer(cache_entry *s, clo_pool *pool, clo_bytes in, clo_buf *priv)
{
    const clo_onnx_plan_opts opts = {1, pool};
    clo_tensor t[MAX_FEEDS];
    void *mem[MAX_FEEDS] = {0};
    size_t mem_size[MAX_FEEDS] = {0};
    size_t nf = clo_onnx_feeds(&s->m, NULL, 0);
    char why[CLO_ONNX_WHY];
    clo_err err = CLO_OK;
    CLO_FAIL_IF(nf > MAX_FEEDS, CLO_E_LIMIT, "onnx.model: more than 16 inputs");
    CLO_CHECK(read_feeds(in, t, mem, mem_size, nf));
    if (!s->plan || !same_feeds(t, s->planned, nf)) {
        clo_onnx_plan_free(s->plan);
        s->plan = NULL;
        /* data is given: a feed that decides shapes binds this plan */
        CLO_CHECK(clo_onnx_plan_new_opts(&s->m, t, nf, &opts, &s->plan, why));
        memcpy(s->planned, t, nf * sizeof *t);
    }
    err = clo_onnx_plan_run(s->plan, t, nf);
    if (err.code == CLO_E_ARG) { /* a bound feed's value differs: plan again */
        clo_onnx_plan_free(s->plan);
        s->plan = NULL;
        CLO_CHECK(clo_onnx_plan_new_opts(&s->m, t, nf, &opts, &s->plan, why));
        err = clo_onnx_plan_run(s->plan, t, nf);
    }
    if (err.code) goto out;
    size_t no = clo_onnx_plan_noutputs(s->plan);
    const clo_tensor *outs[CLO_ONNX_WL_MAX_TENSORS];
    clo_bytes names[CLO_ONNX_WL_MAX_TENSORS];
    CLO_FAIL_IF(no > CLO_ONNX_WL_MAX_TENSORS, CLO_E_LIMIT, "onnx.model: more than 16 outputs");
    for (size_t k = 0; k < no; k++) {
        outs[k] = clo_onnx_plan_output(s->plan, k);
        names[k] = s->m.outputs[k].name;
    }
    uint8_t ok = 0;
    clo_buf_clear(priv);
    CLO_CHECK(clo_buf_append(priv, &ok, 1));
    CLO_CHECK(tensor_list_write(priv, names, outs, no));
out:
    /* a patient's record and its diagnosis do not outlive their answer */
    clo_onnx_plan_wipe(s->plan);
    for (size_t i = 0; i < MAX_FEEDS; i++) {
        if (mem[i]) clo_wipe(mem[i], mem_size[i]);
        free(mem[i]);
    }
    return err;
}

static clo_err run_onnx(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    const onnx_state *s = state;
    CLO_ENSURE(s->e, CLO_E_STATE, "onnx.model: not loaded");
    /* The job's thread count, within the node's: any count gives the same bits. */
    clo_pool_use(s->pool, s->threads ? s->threads : clo_pool_size(s->pool));
    uint32_t answered = 0;
    clo_err err = CLO_OK;
    for (size_t i = 0; i < call->count; i++) {
        if (call->excluded[i]) continue; /* its envelope did not open: no reply */
        clo_err e = answer(s->e, s->pool, call->inputs[i], &priv[i]);
        if (e.code == CLO_E_NOMEM) {
            err = e; /* the enclave's trouble, not the input's */
            break;
        }
        if (e.code) {
            /* a plan half built on this input's shapes is not kept */
            clo_onnx_plan_free(s->e->plan);
            s->e->plan = NULL;
            call->excluded[i] = 1;
            err = fail_input(&priv[i], e);
            if (err.code) break;
        } else {
            answered++;
        }
    }
    if (!err.code) {
        uint8_t head[41];
        head[0] = 2;
        memcpy(head + 1, s->model_id, 32);
        clo_store_u32be(head + 33, (uint32_t)call->count);
        clo_store_u32be(head + 37, answered);
        err = clo_buf_append(pub, head, sizeof head);
        if (!err.code) err = clo_wl_put_excluded(pub, call);
    }
    return err;
}

const clo_workload clo_wl_onnx = {"onnx", open_onnx, run_onnx, close_onnx, NULL};
