// onnx_pb.mjs — the few protobuf pieces the tests use to write small ONNX
// models by hand (field numbers from onnx.proto): a model whose answer is
// known without any ONNX runtime.
const varint = (v) => {
  const o = [];
  v = BigInt(v);
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; o.push(b); } while (v);
  return Buffer.from(o);
};
export const fld = (n, body) => Buffer.concat([varint((n << 3) | 2), varint(body.length), body]);
export const num = (n, v) => Buffer.concat([varint(n << 3), varint(v)]);
export const str = (n, t) => fld(n, Buffer.from(t));
// ValueInfoProto of a float tensor.
export const vinfo = (name, dims) => Buffer.concat([str(1, name), fld(2, fld(1, Buffer.concat([num(1, 1),
  fld(2, Buffer.concat(dims.map((d) => fld(1, num(1, d)))))])))]);
// NodeProto: inputs, one output, op type.
export const node = (inputs, output, op) => fld(1, Buffer.concat([...inputs.map((i) => str(1, i)), str(2, output), str(4, op)]));
// TensorProto initializer of float32 data.
export const initializer = (name, dims, f32) => fld(5, Buffer.concat([...dims.map((d) => num(1, d)), num(2, 1), str(8, name),
  fld(9, Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength))]));
// ModelProto (IR 8, opset 13) around a GraphProto's fields.
export const model = (graphFields, producer = 'cloister-test') =>
  Buffer.concat([num(1, 8), str(2, producer), fld(7, Buffer.concat(graphFields)), fld(8, Buffer.concat([str(1, ''), num(2, 13)]))]);
// AttributeProto of type INTS (7), for NodeProto field 5.
export const attrInts = (name, ints) => fld(5, Buffer.concat([str(1, name), num(20, 7), ...ints.map((v) => num(8, v))]));
// NodeProto with attributes.
export const nodeWith = (inputs, output, op, attrs) =>
  fld(1, Buffer.concat([...inputs.map((i) => str(1, i)), str(2, output), str(4, op), ...attrs]));
// TensorProto initializer of int64 data (data type 7), e.g. a Reshape's shape.
export const initializerI64 = (name, dims, values) => {
  const raw = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), 8 * i));
  return fld(5, Buffer.concat([...dims.map((d) => num(1, d)), num(2, 7), str(8, name), fld(9, raw)]));
};
