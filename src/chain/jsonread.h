/* jsonread.h — strict JSON object readers in the table style of
 * host/config.c: a table names each member, its kind and where it goes, and
 * one reader refuses a body that is not an object, an unknown or missing
 * member, or a wrong value, naming the member. Every request body the
 * untrusted side takes from the network is read this way. */
#ifndef CLO_CHAIN_JSONREAD_H
#define CLO_CHAIN_JSONREAD_H

#include <jansson.h>

#include "base/bytes.h"

typedef enum {
    CLO_JF_HEX,     /* exactly size bytes of hex (0x optional) into dst */
    CLO_JF_HEXBUF,  /* hex of at least min bytes, appended to the clo_buf dst (its max bounds it:
                       over it is CLO_E_LIMIT) */
    CLO_JF_UINT,    /* an integer in [min, max] into the uint64_t dst */
    CLO_JF_HEXLIST, /* an array of min..size items of exactly 32 bytes of hex each, into the
                       uint8_t[size][32] dst, their number in *count */
    CLO_JF_STRING,  /* a string of 1..size-1 bytes, no NUL inside, into the char[size] dst */
    CLO_JF_OBJECT,  /* an object read by the nested table dst (const clo_jfield[size]) */
    CLO_JF_CUSTOM,  /* read by `read` (dst passed through): members the table cannot say */
} clo_jf_kind;

typedef struct {
    const char *name;
    clo_jf_kind kind;
    void *dst;
    size_t size;
    uint64_t min, max;
    size_t *count;
    const char *want; /* the refusal, naming the member ("signer: 20 bytes of hex") */
    clo_err (*read)(void *dst, const json_t *v); /* CLO_JF_CUSTOM: its error is the refusal */
} clo_jfield;

/* Where a read failed, for callers that answer each case differently. */
typedef enum {
    CLO_JR_OK = 0,
    CLO_JR_JSON,       /* not JSON */
    CLO_JR_DUPLICATE,  /* an object repeats a key */
    CLO_JR_NOT_OBJECT, /* the document is not an object */
    CLO_JR_UNKNOWN,    /* a member the table does not have */
    CLO_JR_MISSING,    /* fields[field] is absent */
    CLO_JR_VALUE,      /* fields[field] has a wrong value */
} clo_jr_kind;
typedef struct {
    clo_jr_kind kind;
    size_t field;
} clo_jread_fail;

/* Read body as one JSON object holding exactly these members. CLO_OK, or
 * CLO_E_FORMAT (CLO_E_LIMIT for an oversized HEXBUF) whose `what` is the
 * refusal: "body: ..." for the document, the member's `want` otherwise. */
CLO_MUST_CHECK clo_err clo_json_read(clo_bytes body, const clo_jfield *fields, size_t n);
/* The same, saying where it failed (fail may be NULL). The shape is checked
 * first (no unknown member, then no missing one), then each value in table
 * order, so a reader may use the members before it. */
CLO_MUST_CHECK clo_err clo_json_read_at(clo_bytes body, const clo_jfield *fields, size_t n,
                                        clo_jread_fail *fail);

#endif
