/*
 * walk.c - which input the corpus reader opens next: the paths given, in
 * order, and the directories among them walked depth first, the entries
 * of each sorted by strcmp, hidden names skipped, only regular files
 * read, symbolic links followed unless they lead back into a directory
 * being walked. See docs/inputs.md, "Directories".
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus/corpus.h"

/* dir + "/" + name, without doubling a trailing slash of dir. */
static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + (size_t)slash + b + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + (size_t)slash, name, b + 1);
    return p;
}

static int by_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_frame(dp_dir_frame *f)
{
    size_t i;
    for (i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    free(f->path);
}

/* Push the directory r->path (stat'ed as @st) on the walk stack, reading
 * and sorting its visible entries. */
static dp_status push_dir(dp_reader *r, const struct stat *st, dp_error *err)
{
    dp_dir_frame f;
    size_t capn = 0;
    DIR *d;
    struct dirent *de;
    dp_status rc;

    memset(&f, 0, sizeof f);
    f.dev = st->st_dev;
    f.ino = st->st_ino;
    d = opendir(r->path);
    if (!d) {
        int e = errno;
        return dpi_reader_report(r, err, dpi_status_of_errno(e), 0, (size_t)-1,
                                 "cannot open directory: %s", strerror(e));
    }
    for (;;) {
        char *name;
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) {
                int e = errno;
                closedir(d);
                free_frame(&f);
                return dpi_reader_report(
                    r, err, dpi_status_of_errno(e), 0, (size_t)-1,
                    "cannot list directory: %s", strerror(e));
            }
            break;
        }
        if (de->d_name[0] == '.')
            continue; /* hidden, and "." and ".." */
        rc = DP_RESERVE(f.names, capn, f.n + 1);
        name = rc ? NULL : dpi_reader_strdup(de->d_name);
        if (!name) {
            closedir(d);
            free_frame(&f);
            return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                     "out of memory listing the directory");
        }
        f.names[f.n++] = name;
    }
    closedir(d);
    if (f.n > 1)
        qsort(f.names, f.n, sizeof *f.names, by_strcmp);
    f.path = dpi_reader_strdup(r->path);
    rc = f.path ? DP_RESERVE(r->dirs, r->capdirs, r->ndirs + 1) : DP_ENOMEM;
    if (rc) {
        free_frame(&f);
        return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                 "out of memory");
    }
    r->dirs[r->ndirs++] = f;
    return DP_OK;
}

/* Is (dev, ino) a directory on the walk stack already (a symlink loop)? */
static int on_stack(const dp_reader *r, const struct stat *st)
{
    size_t i;
    for (i = 0; i < r->ndirs; i++)
        if (r->dirs[i].dev == st->st_dev && r->dirs[i].ino == st->st_ino)
            return 1;
    return 0;
}

/*
 * Open the next input: the next entry of the innermost directory, else
 * the next path. Returns DP_OK (an input is open), DP_EOF (none left) or
 * the error of an input that could not be opened (already reported; the
 * walk moves past it).
 */
dp_status dpi_walk_next(dp_reader *r, dp_error *err)
{
    struct stat st;

    r->loc_line = 0;
    for (;;) {
        if (r->ndirs > 0) {
            dp_dir_frame *f = &r->dirs[r->ndirs - 1];
            if (f->i == f->n) {
                free_frame(f);
                r->ndirs--;
                continue;
            }
            if (dpi_reader_set_path(r, join_path(f->path, f->names[f->i++])))
                return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                         "out of memory");
            if (stat(r->path, &st) != 0) {
                int e = errno;
                return dpi_reader_report(r, err, dpi_status_of_errno(e), 0,
                                         (size_t)-1, "%s", strerror(e));
            }
            if (S_ISDIR(st.st_mode)) {
                dp_status rc;
                if (on_stack(r, &st))
                    continue; /* a symlink back into the walk: a loop */
                rc = push_dir(r, &st, err);
                if (rc)
                    return rc;
                continue;
            }
            if (!S_ISREG(st.st_mode))
                continue; /* fifos, sockets, devices inside directories */
            return dpi_source_open_file(r, err);
        }
        if (r->mem_pending) {
            r->mem_pending = 0;
            return dpi_source_open(r, -1, 0, 0, err);
        }
        if (r->next_path == r->npaths)
            return DP_EOF;
        if (dpi_reader_set_path(r, dpi_reader_strdup(r->paths[r->next_path++])))
            return dpi_reader_report(r, err, DP_ENOMEM, 0, (size_t)-1,
                                     "out of memory");
        if (strcmp(r->path, "-") == 0)
            return dpi_source_open(r, STDIN_FILENO, 0, 0, err);
        if (stat(r->path, &st) != 0) {
            int e = errno;
            return dpi_reader_report(r, err, dpi_status_of_errno(e), 0,
                                     (size_t)-1, "%s", strerror(e));
        }
        if (S_ISDIR(st.st_mode)) {
            dp_status rc = push_dir(r, &st, err);
            if (rc)
                return rc;
            continue;
        }
        return dpi_source_open_file(r, err);
    }
}

void dpi_walk_free(dp_reader *r)
{
    size_t i;
    for (i = 0; i < r->ndirs; i++)
        free_frame(&r->dirs[i]);
    free(r->dirs);
    r->dirs = NULL;
    r->ndirs = r->capdirs = 0;
}
