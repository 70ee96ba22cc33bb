/* sealfile.h — what the host keeps of the enclave on disk: the sealed state
 * (one file, replaced atomically) and each secret's sealed chunks (one file
 * per secret, <data_dir>/secrets/<id hex>.sealed, a sequence of u32 size |
 * sealed chunk, written whole before it is renamed into place). The host
 * cannot read either; it only must not lose them. */
#ifndef CLO_HOST_SEALFILE_H
#define CLO_HOST_SEALFILE_H

#include <stdio.h>

#include "base/bytes.h"
#include "host/config.h"

/* Replace path with data: temporary file, fsync, rename, fsync of dir. */
CLO_MUST_CHECK clo_err clo_sealfile_replace(const char *dir, const char *path, clo_bytes data);

typedef struct {
    FILE *f;
    int writing;
    char path[CLO_PATH_MAX + 96], tmp[CLO_PATH_MAX + 104], dir[CLO_PATH_MAX + 16];
} clo_secretfile;

/* Writing: create (a temporary file), append each chunk, then commit (or
 * abort, which removes the temporary file). */
CLO_MUST_CHECK clo_err clo_secretfile_create(clo_secretfile *f, const char *data_dir,
                                             const uint8_t id[32]);
CLO_MUST_CHECK clo_err clo_secretfile_append(clo_secretfile *f, clo_bytes chunk);
CLO_MUST_CHECK clo_err clo_secretfile_commit(clo_secretfile *f);
void clo_secretfile_abort(clo_secretfile *f);

/* Reading: open (CLO_E_IO with errno ENOENT for a missing file), next chunk
 * into out (cleared; *end = 1 and out empty after the last), close. A size
 * over out->max or a file cut short is CLO_E_FORMAT. */
CLO_MUST_CHECK clo_err clo_secretfile_open(clo_secretfile *f, const char *data_dir,
                                           const uint8_t id[32]);
CLO_MUST_CHECK clo_err clo_secretfile_next(clo_secretfile *f, clo_buf *out, int *end);
void clo_secretfile_close(clo_secretfile *f);

#endif
