/* cmd_node.c — `cloister node run`: cloisterd in the foreground, the daemon
 * and its enclave (its configuration: cmd_config.c). */
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

/* The command's one stdout document, printed once the API serves: where to
 * reach the node. */
static void on_ready(const clo_config *cfg, uint16_t port, void *ud)
{
    (void)ud;
    char url[300];
    snprintf(url, sizeof url, "http://%s:%u", cfg->listen_address, port);
    cli_print(json_pack("{s:s,s:s,s:i,s:I,s:s}", "status", "ready", "url", url, "port", (int)port,
                        "pid", (json_int_t)getpid(), "backend", cfg->backend));
    fflush(stdout);
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
    if ((rc = cli_config_load(cli_get(&spec, "config"), &cfg))) return rc;
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
    if (!strncmp(cfg.backend, "sim", 3) && stat(cfg.sim_dir, &st) != 0) { /* sim, sim-snp */
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
    clo_err e = clo_node_run(&cfg, exe, &g_stop, on_ready, NULL);
    if (e.code) return cli_fail(e, "the node could not start (see the log on stderr)");
    return CLI_EXIT_OK; /* the stop is logged on stderr; stdout held the ready document */
}

int cmd_node(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "run")) return run(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f,
            "usage: cloister node run [--config FILE] [--enclave PATH]   (--help for details)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
