/* pem.h — RFC 7468 PEM blocks and strict base64 (RFC 4648) decoding. */
#ifndef CLO_BASE_PEM_H
#define CLO_BASE_PEM_H

#include "base/bytes.h"

#define CLO_PEM_LABEL_MAX 48

/* Decode base64 (standard alphabet, '=' padding required, ASCII whitespace
 * ignored) and append to out. Non-canonical trailing bits are refused. */
CLO_MUST_CHECK clo_err clo_base64_decode(clo_buf *out, clo_bytes in);

/* Find the next "-----BEGIN L-----" ... "-----END L-----" block at or after the
 * cursor; decode its body into der (appended) and copy L into label. *found is 0
 * when no further block exists (the cursor is then at the end). */
CLO_MUST_CHECK clo_err clo_pem_next(clo_cur *c, char label[CLO_PEM_LABEL_MAX], clo_buf *der,
                                    int *found);

/* Call fn(ctx, label, der) for every PEM block of text, in order; stops at the
 * first error (a malformed block, or fn's). *count gets the number of blocks. */
typedef clo_err (*clo_pem_fn)(void *ctx, const char *label, clo_bytes der);
CLO_MUST_CHECK clo_err clo_pem_foreach(clo_bytes text, clo_pem_fn fn, void *ctx, size_t *count);

/* 1 if the bytes look like PEM text (start with a BEGIN line, after whitespace). */
int clo_pem_is(clo_bytes in);

#endif
