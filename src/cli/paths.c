/* paths.c — where the `cloister` command finds what it did not build into
 * itself: tools (anvil) and shared data (contract artifacts, data sets).
 *
 * Nothing is compiled in: every place is relative to the running executable,
 * so an installed tree (PREFIX/bin, PREFIX/libexec/cloister, PREFIX/share/cloister)
 * and the build tree (build/bin, with build/libexec and build/share made by
 * CMake as links into the source tree) work wherever they are copied. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* The directory above the executable's bin/ (PREFIX, or the build tree). */
static int prefix_dir(char out[CLI_PATH_CAP])
{
    char self[CLI_PATH_CAP];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = 0;
    for (int i = 0; i < 2; i++) { /* drop "/cloister", then "/bin" */
        char *slash = strrchr(self, '/');
        if (!slash) return -1;
        *slash = 0;
    }
    return snprintf(out, CLI_PATH_CAP, "%s", self[0] ? self : "/") >= CLI_PATH_CAP ? -1 : 0;
}

/* The failure document (cli_fail) naming what is missing and where it looked. */
__attribute__((format(printf, 2, 3))) static int not_found(const char *what, const char *fmt, ...)
{
    char msg[3 * CLI_PATH_CAP + 512];
    int n = snprintf(msg, sizeof msg, "%s: ", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    cli_fail(CLO_ERR(CLO_E_IO, what), msg);
    return -1;
}

static int is_exec(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int cli_find_tool(const char *name, const char *given, const char *env, char out[CLI_PATH_CAP])
{
    const char *e = env ? getenv(env) : NULL;
    char prefix[CLI_PATH_CAP], tried[3 * CLI_PATH_CAP] = "";
    if (given || (e && *e)) {
        const char *p = given ? given : e;
        if (is_exec(p) && snprintf(out, CLI_PATH_CAP, "%s", p) < CLI_PATH_CAP) return 0;
        return not_found(name, "'%s' (from %s) is not an executable file", p,
                         given ? "the command line" : env);
    }
    if (!prefix_dir(prefix)) {
        int n = snprintf(out, CLI_PATH_CAP, "%s/libexec/cloister/%s", prefix, name);
        if (n > 0 && n < CLI_PATH_CAP && is_exec(out)) return 0;
        snprintf(tried, sizeof tried, "%s/libexec/cloister/%s, ", prefix, name);
    }
    const char *path = getenv("PATH");
    if (path) {
        char *copy = strdup(path), *save = NULL;
        for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d;
             d = strtok_r(NULL, ":", &save)) {
            int n = snprintf(out, CLI_PATH_CAP, "%s/%s", *d ? d : ".", name);
            if (n > 0 && n < CLI_PATH_CAP && is_exec(out)) {
                free(copy);
                return 0;
            }
        }
        free(copy);
    }
    return not_found(name,
                     "not found (looked in %sthen PATH); install it (scripts/deps.sh, or `make "
                     "install`), or name it with $%s",
                     tried, env ? env : "PATH");
}

int cli_find_share(const char *rel, const char *given, const char *env, char out[CLI_PATH_CAP])
{
    const char *e = env ? getenv(env) : NULL;
    char prefix[CLI_PATH_CAP];
    if (given || (e && *e)) {
        const char *p = given ? given : e;
        if (access(p, R_OK) == 0 && snprintf(out, CLI_PATH_CAP, "%s", p) < CLI_PATH_CAP) return 0;
        return not_found(rel, "'%s' (from %s): %s", p, given ? "the command line" : env,
                         strerror(errno));
    }
    if (prefix_dir(prefix)) return not_found(rel, "cannot locate the cloister executable");
    int n = snprintf(out, CLI_PATH_CAP, "%s/share/cloister/%s", prefix, rel);
    if (n > 0 && n < CLI_PATH_CAP && access(out, R_OK) == 0) return 0;
    return not_found(rel, "not found at '%s' (install with `make install`%s%s)", out,
                     env ? ", or name it with $" : "", env ? env : "");
}

int cli_mkdirs(const char *dir, mode_t mode)
{
    char p[CLI_PATH_CAP];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, mode) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return mkdir(p, mode) != 0 && errno != EEXIST ? -1 : 0;
}
