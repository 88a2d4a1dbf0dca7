/*
 * date.h - calendar arithmetic shared by every module that reads dates
 * (dedup's keep-earliest policy, the stories engine, the merged story):
 * days since 1970-01-01 of a proleptic Gregorian date, and back.
 */
#ifndef DP_CORE_DATE_H
#define DP_CORE_DATE_H

#include <stddef.h>
#include <stdint.h>

/* dpi_date_days - days since 1970-01-01 of a proleptic Gregorian date
 * (@m 1..12, @d 1..31; not range-checked). */
int32_t dpi_date_days(int y, unsigned m, unsigned d);

/* dpi_date_text - @day as "YYYY-MM-DD" into @buf (at least 11 bytes). */
void dpi_date_text(int32_t day, char *buf, size_t size);

#endif /* DP_CORE_DATE_H */
