/*
 * replay.c - runs a fuzz target over saved inputs without libFuzzer, so
 * the corpus (and every crasher ever saved into it) is replayed by the
 * normal test run. Usage: replay FILE_OR_DIR...  Prints "N passed, 0 failed"
 * (a failing input aborts the process, which the runner counts).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t ran;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;
    if (!f) {
        perror(path);
        exit(1);
    }
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    ran++;
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        exit(1);
    }
    if (S_ISDIR(st.st_mode)) {
        struct dirent **list;
        int i, k = scandir(path, &list, NULL, alphasort);
        for (i = 0; i < k; i++) {
            if (list[i]->d_name[0] != '.') {
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, list[i]->d_name);
                run_path(sub);
            }
            free(list[i]);
        }
        free(list);
    } else {
        run_file(path);
    }
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("%zu passed, 0 failed\n", ran);
    return 0;
}
