/* cases.h — shared by the attestation tests: load a case directory of
 * ../shared/testvectors as collateral, every file recognised by content, except
 * the evidence itself (files starting with `evidence_prefix`) and those whose
 * name contains `skip` (NULL: none). Returns how many files were recognised. */
#ifndef CLO_TESTS_ATTEST_CASES_H
#define CLO_TESTS_ATTEST_CASES_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "attest/dcap.h"
#include "tv.h"

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
