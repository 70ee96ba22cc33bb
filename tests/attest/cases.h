/* cases.h — shared by the attestation tests. g_cases holds the expected
 * outcomes, tests/attest/<name> (cases_load in the group setup, cases_free as
 * its teardown). load_case_collateral loads a case directory of
 * tests/vectors as collateral, every file recognised by content, except
 * the evidence itself (files starting with `evidence_prefix`) and those whose
 * name contains `skip` (NULL: none). Returns how many files were recognised. */
#ifndef CLO_TESTS_ATTEST_CASES_H
#define CLO_TESTS_ATTEST_CASES_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "attest/dcap.h"
#include "tv.h"

static json_t *g_cases;

static inline int cases_load(const char *name)
{
    char path[1024];
    json_error_t e;
    snprintf(path, sizeof path, "%s/attest/%s", CLO_TESTS_DIR, name);
    g_cases = json_load_file(path, 0, &e);
    if (!g_cases) fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
    return g_cases ? 0 : -1;
}

static inline int cases_free(void **state)
{
    (void)state;
    json_decref(g_cases);
    return 0;
}

static inline size_t load_case_collateral(const char *dir_rel, const char *evidence_prefix,
                                          const char *skip, clo_dcap_collateral *col)
{
    char path[1024];
    size_t recognised = 0;
    struct dirent *e;
    DIR *d = opendir(tv_path(dir_rel));
    clo_dcap_collateral_init(col);
    if (!d) return 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' ||
            strncmp(e->d_name, evidence_prefix, strlen(evidence_prefix)) == 0)
            continue;
        if (skip && strstr(e->d_name, skip)) continue;
        snprintf(path, sizeof path, "%s/%s", tv_path(dir_rel), e->d_name);
        clo_buf f = tv_read_file(path);
        if (clo_dcap_collateral_add(col, clo_buf_view(&f)).code == CLO_OK_CODE) recognised++;
        clo_buf_free(&f);
    }
    closedir(d);
    return recognised;
}

#endif
