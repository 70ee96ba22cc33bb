/* file.c — bounded reads and attribute writes over file descriptors. */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static clo_err fd_read_all(int fd, clo_buf *out)
{
    for (;;) {
        size_t room = out->max - out->len;
        uint8_t probe;
        if (room) CLO_TRY(clo_buf_reserve(out, room < 65536 ? room : 65536));
        /* With no room left, one more byte tells a full file from a long one. */
        ssize_t r = room ? read(fd, out->ptr + out->len, out->cap - out->len) : read(fd, &probe, 1);
        if (r < 0 && errno == EINTR) continue;
        CLO_ENSURE(r >= 0, CLO_E_IO, "cannot read a file");
        if (r == 0) return CLO_OK;
        CLO_ENSURE(room, CLO_E_LIMIT, "file too large");
        out->len += (size_t)r;
    }
}

clo_err clo_file_read_at(int dirfd, const char *path, clo_buf *out)
{
    clo_buf_clear(out);
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    CLO_ENSURE(fd >= 0, CLO_E_IO, "cannot open a file");
    clo_err err = fd_read_all(fd, out);
    int saved = errno;
    close(fd);
    errno = saved;
    return err;
}

clo_err clo_file_read(const char *path, clo_buf *out)
{
    return clo_file_read_at(AT_FDCWD, path, out);
}

clo_err clo_file_write_at(int dirfd, const char *path, clo_bytes data)
{
    int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
    CLO_ENSURE(fd >= 0, CLO_E_IO, "cannot open a file for writing");
    ssize_t w = write(fd, data.ptr, data.len);
    int ok = close(fd) == 0 && w == (ssize_t)data.len;
    CLO_ENSURE(ok, CLO_E_IO, "write refused");
    return CLO_OK;
}
