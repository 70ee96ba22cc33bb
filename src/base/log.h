/* log.h — JSON-lines logger.
 *
 * One event is one line: {"ts":"...","level":"info","event":"job.accepted",<fields>}.
 * Fields are typed; there is no field type for secrets and no printf-style
 * format, so a secret type (clo_secret32, clo_hpke_keypair, ...) does not
 * compile as a field value. CLO_LF_HEX accepts only a clo_bytes view of public
 * data; the _Generic below rejects anything else at compile time.
 *
 * Each line is written with one write(2), so concurrent writers do not interleave. */
#ifndef CLO_BASE_LOG_H
#define CLO_BASE_LOG_H

#include <stdint.h>

#include "base/bytes.h"

typedef enum { CLO_LOG_DEBUG, CLO_LOG_INFO, CLO_LOG_WARN, CLO_LOG_ERROR } clo_log_level;

typedef enum { CLO_LF_T_STR, CLO_LF_T_I64, CLO_LF_T_U64, CLO_LF_T_BOOL, CLO_LF_T_HEX } clo_lf_type;

typedef struct {
    const char *key;
    clo_lf_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        clo_bytes hex;
    } v;
} clo_log_field;

#define CLO_LF_STR(k, x)  ((clo_log_field){.key = (k), .type = CLO_LF_T_STR, .v.s = (x)})
#define CLO_LF_I64(k, x)  ((clo_log_field){.key = (k), .type = CLO_LF_T_I64, .v.i = (x)})
#define CLO_LF_U64(k, x)  ((clo_log_field){.key = (k), .type = CLO_LF_T_U64, .v.u = (x)})
#define CLO_LF_BOOL(k, x) ((clo_log_field){.key = (k), .type = CLO_LF_T_BOOL, .v.i = !!(x)})
/* Public bytes only (ids, hashes, public keys). Anything but a clo_bytes fails to compile. */
#define CLO_LF_HEX(k, x)                                                                           \
    ((clo_log_field){.key = (k), .type = CLO_LF_T_HEX, .v.hex = _Generic((x), clo_bytes : (x))})

/* Log to fd (default 2, stderr) at or above min_level (default INFO). */
void clo_log_set_fd(int fd);
void clo_log_set_level(clo_log_level min_level);
void clo_log_fields(clo_log_level level, const char *event, const clo_log_field *fields, size_t n);

#define CLO_LOG(level, event, ...)                                                                 \
    clo_log_fields((level), (event), (const clo_log_field[]){__VA_ARGS__},                         \
                   sizeof((const clo_log_field[]){__VA_ARGS__}) / sizeof(clo_log_field))
#define CLO_LOG0(level, event) clo_log_fields((level), (event), NULL, 0)

/* Append s as a JSON string literal (with quotes) to b. Shared with other JSON writers. */
CLO_MUST_CHECK clo_err clo_json_str(clo_buf *b, const char *s);

#endif
