/*
 * dedup.h - internals of the dedup module shared with other modules and
 * the unit tests.
 */
#ifndef DP_DEDUP_DEDUP_H
#define DP_DEDUP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "doppel.h"

/*
 * dpi_dedup_parse_date - seconds since 1970-01-01 (UTC assumed) of
 * "YYYY-MM-DD[(T| )HH:MM[:SS]...]" or "[D]D-MON-YYYY[ HH:MM:SS...]".
 * @return 0 and *out set, or -1 when @s is neither.
 */
int dpi_dedup_parse_date(const char *s, size_t len, int64_t *out);

#endif /* DP_DEDUP_DEDUP_H */
