/* rlp.h — Recursive Length Prefix, Ethereum's serialisation (Yellow Paper
 * appendix B), strictly canonical in both directions.
 *
 * Encoding appends to a bounded clo_buf. A list is written by opening it,
 * appending its items and closing it; the header is fixed up on close.
 * Decoding walks views into the input (no copies) and refuses every
 * non-canonical form: a single byte below 0x80 wrapped in a string header, a
 * long form for a payload under 56 bytes, a length with leading zero bytes, and
 * lengths that run past the enclosing item. Integers are minimal big-endian
 * byte strings (zero is the empty string); a leading zero byte is refused. */
#ifndef CLO_CHAIN_RLP_H
#define CLO_CHAIN_RLP_H
#include "base/bytes.h"

#define CLO_RLP_MAX_DEPTH 32

/* ---- encoding ---- */
CLO_MUST_CHECK clo_err clo_rlp_put_bytes(clo_buf *out, clo_bytes v);
CLO_MUST_CHECK clo_err clo_rlp_put_u64(clo_buf *out, uint64_t v);
/* A big-endian unsigned integer of any width, written minimal (leading zeros dropped). */
CLO_MUST_CHECK clo_err clo_rlp_put_uint_be(clo_buf *out, clo_bytes be);
/* Open a list: *mark remembers where its payload starts. */
CLO_MUST_CHECK clo_err clo_rlp_list_open(clo_buf *out, size_t *mark);
/* Close the list opened at mark, inserting its header before the payload. */
CLO_MUST_CHECK clo_err clo_rlp_list_close(clo_buf *out, size_t mark);
/* Append an already-encoded item as is (an access list read back, say). */
CLO_MUST_CHECK clo_err clo_rlp_put_raw(clo_buf *out, clo_bytes encoded);

/* ---- decoding ---- */
typedef struct {
    int is_list;
    clo_bytes payload; /* string bytes, or the concatenated encodings of the items */
    clo_bytes raw;     /* the whole item, header included */
} clo_rlp_item;

/* Read the next item from c (which walks a list payload or a whole input). */
CLO_MUST_CHECK clo_err clo_rlp_next(clo_cur *c, clo_rlp_item *out);
/* Decode exactly one item filling all of in. */
CLO_MUST_CHECK clo_err clo_rlp_decode(clo_bytes in, clo_rlp_item *out);
/* Check that an item and everything nested in it is canonical RLP, at most
 * CLO_RLP_MAX_DEPTH deep. */
CLO_MUST_CHECK clo_err clo_rlp_validate(const clo_rlp_item *item);

/* A string item as an unsigned integer of at most max_size bytes, right-
 * aligned into out[max_size]. Lists, leading zeros and longer values fail. */
CLO_MUST_CHECK clo_err clo_rlp_get_uint(const clo_rlp_item *item, uint8_t *out, size_t max_size);
CLO_MUST_CHECK clo_err clo_rlp_get_u64(const clo_rlp_item *item, uint64_t *out);
/* A string item of exactly n bytes. */
CLO_MUST_CHECK clo_err clo_rlp_get_fixed(const clo_rlp_item *item, uint8_t *out, size_t n);
#endif
