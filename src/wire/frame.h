/* frame.h — the framed channel between cloisterd and cloister-enclave
 * (docs/formats.md §3). Shared by both sides; the enclave treats every frame as
 * untrusted bytes.
 *
 * Frame v1, big-endian, 12-byte header then body:
 *   u8 version=1 | u8 kind | u16 call | u32 id | u32 body_size | body
 * kind: 1 request (host -> enclave), 2 response, 3 error. A response or error
 * carries the id and call of the request it answers. An error body is
 *   u16 code (clo_code) | u16 what_size | what (ASCII, <= 128 bytes)
 * Bodies larger than CLO_FRAME_MAX_BODY are refused before any byte of them is
 * read; after a framing error the stream cannot be resynchronised, so the
 * reader closes it. */
#ifndef CLO_WIRE_FRAME_H
#define CLO_WIRE_FRAME_H

#include "base/bytes.h"

#define CLO_FRAME_VERSION     1
#define CLO_FRAME_HEADER_SIZE 12
#define CLO_FRAME_MAX_BODY    ((size_t)32 << 20)
#define CLO_FRAME_MAX_WHAT    128

typedef enum {
    CLO_FRAME_REQUEST = 1,
    CLO_FRAME_RESPONSE = 2,
    CLO_FRAME_ERROR = 3,
} clo_frame_kind;

typedef struct {
    uint8_t version, kind;
    uint16_t call;
    uint32_t id, body_size;
} clo_frame_hdr;

/* Parse and check a 12-byte header (version, kind, size limit). */
CLO_MUST_CHECK clo_err clo_frame_parse_header(clo_bytes in, clo_frame_hdr *out);
void clo_frame_encode_header(const clo_frame_hdr *h, uint8_t out[CLO_FRAME_HEADER_SIZE]);

/* Write one frame with a single writev (retrying short writes). */
CLO_MUST_CHECK clo_err clo_frame_write(int fd, clo_frame_kind kind, uint16_t call, uint32_t id,
                                       clo_bytes body);
/* Write an error frame for err. */
CLO_MUST_CHECK clo_err clo_frame_write_error(int fd, uint16_t call, uint32_t id, clo_err err);
/* Read one frame: the header, then exactly body_size bytes into body (cleared
 * first; body->max must be >= CLO_FRAME_MAX_BODY or smaller frames only are
 * accepted). timeout_ms < 0 waits for ever. End of stream before a header is
 * CLO_E_IO "channel closed"; inside a frame it is CLO_E_FORMAT. */
CLO_MUST_CHECK clo_err clo_frame_read(int fd, int timeout_ms, clo_frame_hdr *hdr, clo_buf *body);

/* Decode an error body into a clo_err whose `what` points into `what_buf`. */
CLO_MUST_CHECK clo_err clo_frame_decode_error(clo_bytes body, char what_buf[CLO_FRAME_MAX_WHAT + 1],
                                              clo_err *out);

#endif
