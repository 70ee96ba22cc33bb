/* sealfile.c — the enclave's sealed files in the data directory. */
#include "host/sealfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"

static clo_err sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ok = dfd >= 0 && fsync(dfd) == 0;
    if (dfd >= 0) close(dfd);
    CLO_ENSURE(ok, CLO_E_IO, "state: cannot sync the data directory");
    return CLO_OK;
}

clo_err clo_sealfile_replace(const char *dir, const char *path, clo_bytes data)
{
    char tmp[CLO_PATH_MAX + 128];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CLO_ENSURE(fd >= 0, CLO_E_IO, "state: cannot create the temporary file");
    size_t off = 0;
    while (off < data.len) {
        ssize_t w = write(fd, data.ptr + off, data.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    int ok = off == data.len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return CLO_ERR(CLO_E_IO, "state: cannot write the sealed state file");
    }
    return sync_dir(dir);
}

static void name(clo_secretfile *f, const char *data_dir, const uint8_t id[32])
{
    char hex[65];
    clo_hex_encode(hex, CLO_BYTES(id, 32));
    snprintf(f->dir, sizeof f->dir, "%s/secrets", data_dir);
    snprintf(f->path, sizeof f->path, "%s/%s.sealed", f->dir, hex);
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp", f->path);
}

clo_err clo_secretfile_create(clo_secretfile *f, const char *data_dir, const uint8_t id[32])
{
    memset(f, 0, sizeof *f);
    name(f, data_dir, id);
    CLO_ENSURE(mkdir(f->dir, 0700) == 0 || errno == EEXIST, CLO_E_IO,
               "secret: cannot create the secrets directory");
    int fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CLO_ENSURE(fd >= 0, CLO_E_IO, "secret: cannot create the temporary file");
    f->f = fdopen(fd, "wb");
    if (!f->f) close(fd);
    CLO_ENSURE(f->f, CLO_E_IO, "secret: cannot create the temporary file");
    f->writing = 1;
    return CLO_OK;
}

clo_err clo_secretfile_append(clo_secretfile *f, clo_bytes chunk)
{
    uint8_t n[4];
    CLO_ENSURE(chunk.len <= UINT32_MAX, CLO_E_LIMIT, "secret: chunk size");
    clo_store_u32be(n, (uint32_t)chunk.len);
    CLO_ENSURE(fwrite(n, 1, 4, f->f) == 4 && fwrite(chunk.ptr, 1, chunk.len, f->f) == chunk.len,
               CLO_E_IO, "secret: cannot write the sealed secret");
    return CLO_OK;
}

clo_err clo_secretfile_commit(clo_secretfile *f)
{
    int ok = fflush(f->f) == 0 && fsync(fileno(f->f)) == 0;
    ok = fclose(f->f) == 0 && ok;
    f->f = NULL;
    if (!ok || rename(f->tmp, f->path) != 0) {
        unlink(f->tmp);
        return CLO_ERR(CLO_E_IO, "secret: cannot write the sealed secret");
    }
    return sync_dir(f->dir);
}

void clo_secretfile_abort(clo_secretfile *f)
{
    if (f->f) fclose(f->f);
    f->f = NULL;
    if (f->writing) unlink(f->tmp);
    f->writing = 0;
}

clo_err clo_secretfile_open(clo_secretfile *f, const char *data_dir, const uint8_t id[32])
{
    memset(f, 0, sizeof *f);
    name(f, data_dir, id);
    f->f = fopen(f->path, "rbe");
    CLO_ENSURE(f->f, CLO_E_IO, "secret: cannot open the sealed secret");
    return CLO_OK;
}

clo_err clo_secretfile_next(clo_secretfile *f, clo_buf *out, int *end)
{
    uint8_t n[4], *p;
    clo_buf_clear(out);
    *end = 0;
    size_t got = fread(n, 1, 4, f->f);
    if (got == 0 && feof(f->f)) {
        *end = 1;
        return CLO_OK;
    }
    CLO_ENSURE(got == 4, CLO_E_FORMAT, "secret: the sealed secret is cut short");
    size_t size = clo_load_u32be(n);
    CLO_ENSURE(size <= out->max, CLO_E_FORMAT, "secret: a sealed chunk too large");
    CLO_TRY(clo_buf_extend(out, size, &p));
    CLO_ENSURE(fread(p, 1, size, f->f) == size, CLO_E_FORMAT,
               "secret: the sealed secret is cut short");
    return CLO_OK;
}

void clo_secretfile_close(clo_secretfile *f)
{
    if (f->f) fclose(f->f);
    f->f = NULL;
}
