/* sandbox_test.c — the enclave's seccomp lockdown really kills: after
 * clo_sandbox_lockdown(sim), opening a file or a socket ends the process with
 * SIGSYS, while the calls the runtime needs (write, getrandom, mmap, clock)
 * still work. Each case runs in a forked child. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/rand.h"
#include "enclave/sandbox.h"

typedef void (*action)(void);

static int run_locked(clo_tee_kind kind, action act)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (clo_sandbox_lockdown(kind).code) _exit(3);
        act();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void allowed(void)
{
    uint8_t b[16];
    struct timespec ts;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || clo_random(b, sizeof b).code || clock_gettime(CLOCK_REALTIME, &ts))
        _exit(4);
    munmap(p, 4096);
    if (write(2, "", 0) != 0) _exit(5);
}

static void open_file(void)
{
    (void)open("/etc/hostname", O_RDONLY);
}

static void open_socket(void)
{
    (void)socket(AF_INET, SOCK_STREAM, 0);
}

static void test_allowed_calls_work(void **state)
{
    (void)state;
    int st = run_locked(CLO_TEE_SIM, allowed);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_files_and_sockets_are_killed(void **state)
{
    (void)state;
    int st = run_locked(CLO_TEE_SIM, open_file);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
    st = run_locked(CLO_TEE_SIM, open_socket);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
    /* A hardware backend may open files (its kernel interface), never sockets. */
    st = run_locked(CLO_TEE_TDX, open_file);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = run_locked(CLO_TEE_TDX, open_socket);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_calls_work),
        cmocka_unit_test(test_files_and_sockets_are_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
