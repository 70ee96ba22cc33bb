/* jsonread.h — strict JSON object readers in the table style of
 * host/config.c: a table names each member, its kind and where it goes, and
 * one reader refuses a body that is not an object, an unknown or missing
 * member, or a wrong value, naming the member. Every request body the
 * untrusted side takes from the network is read this way. */
#ifndef CLO_CHAIN_JSONREAD_H
#define CLO_CHAIN_JSONREAD_H

#include "base/bytes.h"

typedef enum {
    CLO_JF_HEX,     /* exactly size bytes of hex (0x optional) into dst */
    CLO_JF_HEXBUF,  /* hex of at least min bytes, appended to the clo_buf dst (its max bounds it:
                       over it is CLO_E_LIMIT) */
    CLO_JF_UINT,    /* an integer in [min, max] into the uint64_t dst */
    CLO_JF_HEXLIST, /* an array of min..size items of exactly 32 bytes of hex each, into the
                       uint8_t[size][32] dst, their number in *count */
} clo_jf_kind;

typedef struct {
    const char *name;
    clo_jf_kind kind;
    void *dst;
    size_t size;
    uint64_t min, max;
    size_t *count;
    const char *want; /* the refusal, naming the member ("signer: 20 bytes of hex") */
} clo_jfield;

/* Read body as one JSON object holding exactly these members. CLO_OK, or
 * CLO_E_FORMAT (CLO_E_LIMIT for an oversized HEXBUF) whose `what` is the
 * refusal: "body: ..." for the document, the member's `want` otherwise. */
CLO_MUST_CHECK clo_err clo_json_read(clo_bytes body, const clo_jfield *fields, size_t n);

#endif
