/* onnx_model_fuzz.c — the protocol buffers reader on untrusted model bytes:
 * every length-delimited field is tried as a nested message, down to a depth
 * of 8, as a model loader would walk ModelProto -> GraphProto -> NodeProto ->
 * AttributeProto -> TensorProto. Properties beyond "no crash": every view a
 * field gives lies inside its parent, and packed-field counts agree with a
 * second, counting-only pass. */
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(clo_bytes m, int depth)
{
    clo_cur c = clo_cur_init(m);
    clo_pb_field f;
    int done = 0;
    while (!clo_pb_next(&c, &f, &done).code && !done) {
        if (f.wire != CLO_PB_LEN) continue;
        if (f.b.len && (f.b.ptr < m.ptr || f.b.ptr + f.b.len > m.ptr + m.len)) abort();
        size_t n1 = 0, n2 = 0;
        int64_t vals[64];
        clo_err a = clo_pb_packed_varints(f.b, NULL, 0, &n1);
        clo_err b = clo_pb_packed_varints(f.b, vals, 64, &n2);
        if (!a.code && n1 <= 64 && (b.code || n1 != n2)) abort();
        if (depth < 8) walk(f.b, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    walk(CLO_BYTES(data, size), 0);
    return 0;
}
