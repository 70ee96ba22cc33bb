/* err.c — names and descriptions of error codes. */
#include "base/err.h"

static const struct {
    const char *name, *text;
} k_codes[CLO_E__COUNT] = {
    [CLO_OK_CODE] = {"ok", "success"},
    [CLO_E_ARG] = {"argument", "invalid argument"},
    [CLO_E_FORMAT] = {"format", "malformed input"},
    [CLO_E_VERSION] = {"version", "unsupported version"},
    [CLO_E_UNSUPPORTED] = {"unsupported", "unsupported algorithm or feature"},
    [CLO_E_LIMIT] = {"limit", "size limit exceeded"},
    [CLO_E_AUTH] = {"auth", "authentication failed"},
    [CLO_E_KEY] = {"key", "invalid key"},
    [CLO_E_STATE] = {"state", "invalid state"},
    [CLO_E_NOMEM] = {"nomem", "out of memory"},
    [CLO_E_CRYPTO] = {"crypto", "crypto library failure"},
    [CLO_E_IO] = {"io", "input/output error"},
    [CLO_E_POLICY] = {"policy", "rejected by policy"},
    [CLO_E_STALE] = {"stale", "expired or not yet valid"},
};

const char *clo_code_name(clo_code code)
{
    return (unsigned)code < CLO_E__COUNT ? k_codes[code].name : "unknown";
}

const char *clo_code_text(clo_code code)
{
    return (unsigned)code < CLO_E__COUNT ? k_codes[code].text : "unknown error";
}
