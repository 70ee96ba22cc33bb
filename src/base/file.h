/* file.h — the one bounded file reader (and the attribute writer the TEE
 * interfaces need). Reads go straight into a clo_buf, which wipes what it
 * drops, so a file holding a key leaves no stray copy. */
#ifndef CLO_BASE_FILE_H
#define CLO_BASE_FILE_H

#include "base/bytes.h"

/* The whole file at path (relative to dirfd, or AT_FDCWD), out cleared first,
 * at most out->max bytes: a longer file is CLO_E_LIMIT "file too large".
 * A file that cannot be opened is CLO_E_IO "cannot open a file" with errno as
 * open(2) left it (ENOENT: missing). */
CLO_MUST_CHECK clo_err clo_file_read_at(int dirfd, const char *path, clo_buf *out);
CLO_MUST_CHECK clo_err clo_file_read(const char *path, clo_buf *out);
/* Write data to an existing file with one write(2), as sysfs/configfs
 * attributes need (a short write is an error). */
CLO_MUST_CHECK clo_err clo_file_write_at(int dirfd, const char *path, clo_bytes data);

#endif
