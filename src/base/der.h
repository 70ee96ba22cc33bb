/* der.h — strict DER (X.690) reader on the bounds-checked cursor.
 * Accepts only definite, minimally encoded lengths and single-byte tags, as
 * DER requires; anything else is CLO_E_FORMAT. Views borrow the input. */
#ifndef CLO_BASE_DER_H
#define CLO_BASE_DER_H

#include "base/bytes.h"

#define CLO_DER_INTEGER      0x02
#define CLO_DER_BIT_STRING   0x03
#define CLO_DER_OCTET_STRING 0x04
#define CLO_DER_OID          0x06
#define CLO_DER_ENUMERATED   0x0a
#define CLO_DER_SEQUENCE     0x30
#define CLO_DER_SET          0x31

typedef struct {
    uint8_t tag;
    clo_bytes body; /* the contents octets */
    clo_bytes all;  /* tag, length and contents */
} clo_der;

/* Read the next TLV. */
CLO_MUST_CHECK clo_err clo_der_next(clo_cur *c, clo_der *out);
/* Read the next TLV and require its tag. */
CLO_MUST_CHECK clo_err clo_der_expect(clo_cur *c, uint8_t tag, clo_der *out);
/* A non-negative INTEGER that fits in 64 bits, minimally encoded. */
CLO_MUST_CHECK clo_err clo_der_uint(const clo_der *d, uint64_t *out);
/* 1 if d is an OBJECT IDENTIFIER whose contents equal oid (contents octets). */
int clo_der_oid_eq(const clo_der *d, clo_bytes oid);

/* ---- writing (for the simulated TEE's certificates) ---- */
/* Append tag || minimal definite length || body. */
CLO_MUST_CHECK clo_err clo_der_put(clo_buf *b, uint8_t tag, clo_bytes body);
/* Append a non-negative INTEGER (or, with tag ENUMERATED, an enumeration). */
CLO_MUST_CHECK clo_err clo_der_put_uint(clo_buf *b, uint8_t tag, uint64_t v);

#endif
