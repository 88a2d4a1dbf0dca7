/*
 * file.c - reading a whole file (or standard input) into memory, with a
 * size cap and an error that names what went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

dp_status dp_file_read(const char *path, char **out, size_t *len, size_t max,
                       dp_error *err)
{
    int fd, is_stdin;
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    dp_status rc;

    if (!path || !out || !len)
        return dpi_error_set(err, DP_EINVAL, (size_t)-1, "no path given");
    *out = NULL;
    *len = 0;
    is_stdin = strcmp(path, "-") == 0;
    fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return dpi_error_set(err, dpi_status_of_errno(e), (size_t)-1, "%s",
                             strerror(e));
    }
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            rc = dpi_error_set(err, DP_EISDIR, (size_t)-1,
                               "is a directory, not a file");
            goto fail;
        }
        if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
            rc = dpi_error_set(err, DP_ETOOBIG, (size_t)-1,
                               "file is %jd bytes, over the %zu-byte limit",
                               (intmax_t)st.st_size, max);
            goto fail;
        }
        if (S_ISREG(st.st_mode))
            cap = (size_t)st.st_size + 1;
    }
    for (;;) {
        ssize_t r;
        if (n + 1 >= cap) {
            rc = dpi_grow((void **)&buf, &cap, n + 65536, 1);
            if (rc) {
                dpi_error_set(err, rc, n, "cannot hold %zu bytes", n);
                goto fail;
            }
        } else if (!buf) {
            buf = malloc(cap);
            if (!buf) {
                rc = dpi_error_set(err, DP_ENOMEM, (size_t)-1,
                                   "cannot allocate %zu bytes", cap);
                goto fail;
            }
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            rc = dpi_error_set(err, dpi_status_of_errno(e), n,
                               "read failed: %s", strerror(e));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            rc = dpi_error_set(err, DP_ETOOBIG, (size_t)-1,
                               "input is over the %zu-byte limit", max);
            goto fail;
        }
    }
    if (!buf) {
        buf = malloc(1);
        if (!buf) {
            rc = dpi_error_set(err, DP_ENOMEM, (size_t)-1, "out of memory");
            goto fail;
        }
    }
    buf[n] = '\0';
    if (!is_stdin)
        close(fd);
    *out = buf;
    *len = n;
    return DP_OK;
fail:
    free(buf);
    if (!is_stdin)
        close(fd);
    return rc;
}
