/* proto_secret.c — the codecs of the calls that move secrets of any size
 * (wire/proto.h): the streamed provisioning, the secrets a state names, and a
 * held secret's sealed chunks. */
#include "crypto/envelope.h"
#include "wire/proto.h"

clo_err clo_proto_imported_encode(const clo_proto_imported *in, clo_buf *out)
{
    CLO_ENSURE(in->count <= CLO_PROTO_MAX_SECRETS, CLO_E_LIMIT, "imported.secrets");
    CLO_TRY(clo_buf_u32be(out, in->epoch));
    CLO_TRY(clo_buf_u16be(out, (uint16_t)in->count));
    for (size_t i = 0; i < in->count; i++) {
        CLO_TRY(clo_buf_append(out, in->secrets[i].id, 32));
        CLO_TRY(clo_buf_u64be(out, in->secrets[i].size));
    }
    return CLO_OK;
}

clo_err clo_proto_imported_decode(clo_bytes body, clo_proto_imported *out)
{
    clo_cur c = clo_cur_init(body);
    uint16_t n;
    CLO_TRY(clo_cur_u32be(&c, &out->epoch));
    CLO_TRY(clo_cur_u16be(&c, &n));
    CLO_ENSURE(n <= CLO_PROTO_MAX_SECRETS, CLO_E_LIMIT, "imported.secrets");
    out->count = n;
    for (size_t i = 0; i < n; i++) {
        CLO_TRY(clo_cur_copy(&c, out->secrets[i].id, 32));
        CLO_TRY(clo_cur_u64be(&c, &out->secrets[i].size));
    }
    return clo_cur_end(&c);
}

clo_err clo_proto_stream_open_encode(const clo_proto_stream_open *in, clo_buf *out)
{
    CLO_ENSURE(in->header.len == CLO_ENVELOPE_STREAM_HEADER_SIZE, CLO_E_FORMAT,
               "stream_open.header");
    CLO_TRY(clo_buf_append(out, in->id, 32));
    return clo_buf_append_bytes(out, in->header);
}

clo_err clo_proto_stream_open_decode(clo_bytes body, clo_proto_stream_open *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->id, 32));
    CLO_TRY(clo_cur_take(&c, CLO_ENVELOPE_STREAM_HEADER_SIZE, &out->header));
    return clo_cur_end(&c);
}

clo_err clo_proto_stream_encode(const clo_proto_stream *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->handle, 16));
    return clo_buf_u32be(out, in->count);
}

clo_err clo_proto_stream_decode(clo_bytes body, clo_proto_stream *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->handle, 16));
    CLO_TRY(clo_cur_u32be(&c, &out->count));
    return clo_cur_end(&c);
}

static int chunk_size_ok(size_t n)
{
    return n > 16 && n <= (size_t)CLO_ENVELOPE_STREAM_MAX_CHUNK + 16;
}

clo_err clo_proto_stream_chunk_encode(const clo_proto_stream_chunk *in, clo_buf *out)
{
    CLO_ENSURE(chunk_size_ok(in->chunk.len), CLO_E_LIMIT, "stream_chunk.chunk");
    CLO_TRY(clo_buf_append(out, in->handle, 16));
    CLO_TRY(clo_buf_u32be(out, in->index));
    return clo_buf_append_bytes(out, in->chunk);
}

clo_err clo_proto_stream_chunk_decode(clo_bytes body, clo_proto_stream_chunk *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->handle, 16));
    CLO_TRY(clo_cur_u32be(&c, &out->index));
    CLO_ENSURE(chunk_size_ok(clo_cur_left(&c)), CLO_E_LIMIT, "stream_chunk.chunk");
    return clo_cur_take(&c, clo_cur_left(&c), &out->chunk);
}

clo_err clo_proto_stream_done_encode(const clo_proto_stream_done *in, clo_buf *out)
{
    CLO_TRY(clo_buf_u8(out, in->done ? 1 : 0));
    return in->done ? clo_proto_provisioned_encode(&in->provisioned, out) : CLO_OK;
}

clo_err clo_proto_stream_done_decode(clo_bytes body, clo_proto_stream_done *out)
{
    clo_cur c = clo_cur_init(body);
    uint8_t done;
    clo_bytes rest;
    CLO_TRY(clo_cur_u8(&c, &done));
    CLO_ENSURE(done <= 1, CLO_E_FORMAT, "stream_done.done");
    out->done = done;
    if (!done) return clo_cur_end(&c);
    CLO_TRY(clo_cur_take(&c, clo_cur_left(&c), &rest));
    return clo_proto_provisioned_decode(rest, &out->provisioned);
}

clo_err clo_proto_secret_ref_encode(const clo_proto_secret_ref *in, clo_buf *out)
{
    CLO_TRY(clo_buf_append(out, in->id, 32));
    return clo_buf_u32be(out, in->index);
}

clo_err clo_proto_secret_ref_decode(clo_bytes body, clo_proto_secret_ref *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->id, 32));
    CLO_TRY(clo_cur_u32be(&c, &out->index));
    return clo_cur_end(&c);
}

static int sealed_size_ok(size_t n)
{
    return n > 16 && n <= (size_t)CLO_SECRET_CHUNK + 16;
}

clo_err clo_proto_sealed_chunk_encode(const clo_proto_sealed_chunk *in, clo_buf *out)
{
    CLO_ENSURE(sealed_size_ok(in->sealed.len), CLO_E_LIMIT, "sealed_chunk.sealed");
    CLO_TRY(clo_buf_u32be(out, in->count));
    return clo_buf_append_bytes(out, in->sealed);
}

clo_err clo_proto_sealed_chunk_decode(clo_bytes body, clo_proto_sealed_chunk *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_u32be(&c, &out->count));
    CLO_ENSURE(sealed_size_ok(clo_cur_left(&c)), CLO_E_LIMIT, "sealed_chunk.sealed");
    return clo_cur_take(&c, clo_cur_left(&c), &out->sealed);
}

clo_err clo_proto_secret_load_encode(const clo_proto_secret_load *in, clo_buf *out)
{
    CLO_ENSURE(sealed_size_ok(in->sealed.len), CLO_E_LIMIT, "secret_load.sealed");
    CLO_TRY(clo_buf_append(out, in->id, 32));
    CLO_TRY(clo_buf_u32be(out, in->index));
    return clo_buf_append_bytes(out, in->sealed);
}

clo_err clo_proto_secret_load_decode(clo_bytes body, clo_proto_secret_load *out)
{
    clo_cur c = clo_cur_init(body);
    CLO_TRY(clo_cur_copy(&c, out->id, 32));
    CLO_TRY(clo_cur_u32be(&c, &out->index));
    CLO_ENSURE(sealed_size_ok(clo_cur_left(&c)), CLO_E_LIMIT, "secret_load.sealed");
    return clo_cur_take(&c, clo_cur_left(&c), &out->sealed);
}

clo_err clo_proto_done_decode(clo_bytes body, int *done)
{
    clo_cur c = clo_cur_init(body);
    uint8_t d;
    CLO_TRY(clo_cur_u8(&c, &d));
    CLO_ENSURE(d <= 1, CLO_E_FORMAT, "done");
    *done = d;
    return clo_cur_end(&c);
}
