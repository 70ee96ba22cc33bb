/* log_secret_nocompile.c — must NOT compile unless CLO_CONTROL is defined.
 * Proves the logger has no way to print a secret type: handing a clo_secret32 to
 * CLO_LF_HEX is a compile error. The control build (public bytes) must compile,
 * so the test cannot pass for an unrelated reason. */
#include "base/log.h"
#include "base/secret.h"

void log_it(const clo_secret32 *key);
void log_it(const clo_secret32 *key)
{
#ifdef CLO_CONTROL
    CLO_LOG(CLO_LOG_INFO, "k", CLO_LF_HEX("public", CLO_BYTES(key, 0)));
#else
    CLO_LOG(CLO_LOG_INFO, "k", CLO_LF_HEX("secret", *key));
#endif
}
