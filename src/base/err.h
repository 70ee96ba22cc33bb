/* err.h — the must-check error type shared by every layer.
 *
 * clo_err is a struct, so `if (f())` does not compile: callers test `.code`.
 * Every function that can fail returns clo_err and is marked CLO_MUST_CHECK.
 * `what` is a static string naming the failing field or step ("envelope.version");
 * it never holds data derived from input, so it is safe to log. */
#ifndef CLO_BASE_ERR_H
#define CLO_BASE_ERR_H

#define CLO_MUST_CHECK __attribute__((warn_unused_result))

typedef enum clo_code {
    CLO_OK_CODE = 0,
    CLO_E_ARG,         /* the caller broke the function's contract */
    CLO_E_FORMAT,      /* malformed, truncated or trailing input */
    CLO_E_VERSION,     /* a version this build does not speak */
    CLO_E_UNSUPPORTED, /* a known-format value we do not implement (suite, curve) */
    CLO_E_LIMIT,       /* input or output over a hard size limit */
    CLO_E_AUTH,        /* authentication / signature / tag check failed */
    CLO_E_KEY,         /* an invalid key (bad point, low order, zero shared secret) */
    CLO_E_STATE,       /* the object is in the wrong state (sequence exhausted, wiped) */
    CLO_E_NOMEM,       /* allocation failed */
    CLO_E_CRYPTO,      /* the crypto library failed internally */
    CLO_E_IO,          /* the operating system refused a read/write */
    CLO_E_POLICY,      /* a policy rejected an otherwise valid input */
    CLO_E_STALE,       /* expired, not yet valid, or superseded */
    CLO_E__COUNT
} clo_code;

typedef struct clo_err {
    clo_code code;
    const char *what; /* static; NULL when code == CLO_OK_CODE */
} clo_err;

#define CLO_OK        ((clo_err){CLO_OK_CODE, 0})
#define CLO_ERR(c, w) ((clo_err){(c), (w)})

/* Return the error of `expr` if it failed. */
#define CLO_TRY(expr)                                                                              \
    do {                                                                                           \
        clo_err clo_try_e_ = (expr);                                                               \
        if (clo_try_e_.code) return clo_try_e_;                                                    \
    } while (0)

/* Return CLO_ERR(code, what) unless `cond` holds. Reads like the format it checks. */
#define CLO_ENSURE(cond, c, w)                                                                     \
    do {                                                                                           \
        if (!(cond)) return CLO_ERR((c), (w));                                                     \
    } while (0)

/* Jump-to-cleanup variants: set `err` and goto `out`. */
#define CLO_CHECK(expr)                                                                            \
    do {                                                                                           \
        err = (expr);                                                                              \
        if (err.code) goto out;                                                                    \
    } while (0)
#define CLO_FAIL_IF(cond, c, w)                                                                    \
    do {                                                                                           \
        if (cond) {                                                                                \
            err = CLO_ERR((c), (w));                                                               \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* Discard a result on purpose (fuzz harnesses, best-effort cleanup). GCC does
 * not let a (void) cast silence warn_unused_result; this names the intent. */
#define CLO_IGNORE(expr)                                                                           \
    do {                                                                                           \
        clo_err clo_ignored_ = (expr);                                                             \
        (void)clo_ignored_;                                                                        \
    } while (0)

/* Short stable name ("format", "auth", ...) for JSON documents and logs. */
const char *clo_code_name(clo_code code);
/* One-sentence description for people. */
const char *clo_code_text(clo_code code);

#endif
