/*
 * main.c - the unit-test runner: runs every registered TEST in name order
 * and prints "N passed, N failed".
 */
#include <stdarg.h>
#include <stdlib.h>

#include "../test.h"

typedef struct {
    const char *name;
    dp_test_fn fn;
} entry;

static entry *tests;
static size_t ntests, captests;
int dp_test_failed_now;

void dp_test_register(const char *name, dp_test_fn fn)
{
    if (ntests == captests) {
        captests = captests ? captests * 2 : 64;
        tests = realloc(tests, captests * sizeof *tests);
        if (!tests)
            abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

static const char *current;

void dp_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "FAIL %s (%s:%d): ", current, file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    dp_test_failed_now = 1;
}

const char *dp_test_shared(void)
{
    const char *s = getenv("DOPPEL_SHARED");
    return s ? s : "../shared";
}

char *dp_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

int main(int argc, char **argv)
{
    size_t i, passed = 0, failed = 0;
    const char *filter = argc > 1 ? argv[1] : NULL;

    setvbuf(stdout, NULL, _IOLBF, 0);
    qsort(tests, ntests, sizeof *tests, by_name);
    for (i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        current = tests[i].name;
        dp_test_failed_now = 0;
        tests[i].fn();
        if (dp_test_failed_now) {
            failed++;
        } else {
            passed++;
            if (getenv("DOPPEL_TEST_VERBOSE"))
                printf("ok   %s\n", tests[i].name);
        }
    }
    free(tests);
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
