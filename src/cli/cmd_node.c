/* cmd_node.c — `cloister node run` (cloisterd in the foreground: the daemon and
 * its enclave) and `cloister config check`. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "host/node.h"

/* Load and check a config file (or the defaults when path is NULL). */
static int load_config(const char *path, clo_config *cfg)
{
    clo_config_defaults(cfg);
    if (!path) return CLI_EXIT_OK;
    clo_buf text;
    if (cli_read_file("--config", path, CLO_CONFIG_MAX_SIZE, &text)) return CLI_EXIT_FAIL;
    char msg[256];
    clo_err e = clo_config_parse(clo_buf_view(&text), cfg, msg, sizeof msg);
    clo_buf_free(&text);
    if (e.code) return cli_fail(e, msg);
    return CLI_EXIT_OK;
}

static int check(int argc, char **argv)
{
    cli_opt o[] = {{"config", "FILE", "the configuration file", 1, NULL},
                   {"json", NULL, "JSON output (the default)", 0, NULL}};
    cli_spec spec = {"cloister config check --config FILE",
                     "Validate a cloisterd configuration file strictly (unknown keys, duplicate "
                     "keys, types and ranges) and print the effective configuration with every "
                     "default filled in.",
                     o, 2};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    clo_config cfg;
    if ((rc = load_config(cli_get(&spec, "config"), &cfg))) return rc;
    char *s = clo_config_dump(&cfg);
    json_t *doc = s ? json_loads(s, 0, NULL) : NULL;
    free(s);
    return cli_print(json_pack("{s:b,s:o}", "valid", 1, "config", doc ? doc : json_null()));
}

int cmd_config(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "check")) return check(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister config check --config FILE\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int run(int argc, char **argv)
{
    cli_opt o[] = {
        {"config", "FILE", "configuration file (default: built-in defaults)", 0, NULL},
        {"enclave", "PATH", "the cloister-enclave executable (default: next to cloister)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister node run [--config FILE] [--enclave PATH]",
        "Run cloisterd in the foreground: start the enclave, restore its sealed state (or make "
        "its first keys), open the job journal and serve the HTTP API until SIGINT/SIGTERM. "
        "With the sim backend, a simulated platform is created in enclave.sim_dir if there is "
        "none. Logs are JSON lines on stderr; stdout gets one JSON document when the node stops.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    clo_config cfg;
    if ((rc = load_config(cli_get(&spec, "config"), &cfg))) return rc;
    char exe[CLO_PATH_MAX];
    if (cli_get(&spec, "enclave")) {
        snprintf(exe, sizeof exe, "%s", cli_get(&spec, "enclave"));
    } else if (cfg.enclave_path[0]) {
        snprintf(exe, sizeof exe, "%s", cfg.enclave_path);
    } else {
        char self[CLO_PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) return cli_fail(CLO_ERR(CLO_E_IO, "enclave.path"), "cannot locate cloister");
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) *slash = 0;
        if ((size_t)snprintf(exe, sizeof exe, "%s/cloister-enclave", self) >= sizeof exe)
            return cli_fail(CLO_ERR(CLO_E_LIMIT, "enclave.path"), "path too long");
    }
    struct stat st;
    if (!strcmp(cfg.backend, "sim") && stat(cfg.sim_dir, &st) != 0) {
        if ((rc = cli_sim_create(cfg.sim_dir, (int64_t)time(NULL)))) return rc;
        CLO_LOG(CLO_LOG_INFO, "sim.created", CLO_LF_STR("dir", cfg.sim_dir));
    }
    clo_log_set_level(!strcmp(cfg.log_level, "debug")   ? CLO_LOG_DEBUG
                      : !strcmp(cfg.log_level, "warn")  ? CLO_LOG_WARN
                      : !strcmp(cfg.log_level, "error") ? CLO_LOG_ERROR
                                                        : CLO_LOG_INFO);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    clo_err e = clo_node_run(&cfg, exe, &g_stop);
    if (e.code) return cli_fail(e, "the node could not start (see the log on stderr)");
    return cli_print(json_pack("{s:s}", "status", "stopped"));
}

int cmd_node(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "run")) return run(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f,
            "usage: cloister node run [--config FILE] [--enclave PATH]   (--help for details)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
