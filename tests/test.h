/*
 * test.h - doppel's minimal unit-test harness.
 *
 * A test is a function declared with TEST(module_behaviour); it registers
 * itself before main() runs, so test files need no shared list. Checks
 * record a failure with file and line and go on (CHECK*) or stop the test
 * (REQUIRE*). The runner (tests/unit/main.c) prints one line per failure
 * and ends with exactly "N passed, N failed"; it exits non-zero on any
 * failure. `unit <substring>` runs only the tests whose names contain it.
 */
#ifndef DP_TEST_H
#define DP_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*dp_test_fn)(void);
void dp_test_register(const char *name, dp_test_fn fn);
void dp_test_fail(const char *file, int line, const char *fmt, ...);
extern int dp_test_failed_now;

/* Directory holding ../shared (set by the runner from DOPPEL_SHARED or
 * the default "../shared" relative to the source root). */
const char *dp_test_shared(void);
/* Read a whole file (test helper); returns malloc'd NUL-terminated bytes
 * or NULL. */
char *dp_test_slurp(const char *path, size_t *len);

#define TEST(name)                                                             \
    static void name(void);                                                    \
    __attribute__((constructor)) static void name##_register(void)             \
    {                                                                          \
        dp_test_register(#name, name);                                         \
    }                                                                          \
    static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            dp_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);              \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            dp_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);            \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            dp_test_fail(__FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a,    \
                         #b, a_, b_);                                          \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                  \
    do {                                                                       \
        double a_ = (double)(a), b_ = (double)(b);                             \
        if (!(fabs(a_ - b_) <= (eps)))                                         \
            dp_test_fail(__FILE__, __LINE__, "%s ~= %s (%g vs %g)", #a, #b,    \
                         a_, b_);                                              \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            dp_test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" vs \"%s\")",    \
                         #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
    } while (0)

/* Compare a byte range with a C string. */
#define CHECK_MEM(ptr, len, str)                                               \
    do {                                                                       \
        size_t l_ = (size_t)(len);                                             \
        const char *s_ = (str);                                                \
        if (l_ != strlen(s_) || memcmp((ptr), s_, l_) != 0)                    \
            dp_test_fail(__FILE__, __LINE__, "%s == \"%s\" (got \"%.*s\")",    \
                         #ptr, s_, (int)l_, (const char *)(ptr));              \
    } while (0)

#endif /* DP_TEST_H */
