/*
 * date.c - calendar arithmetic (core/date.h): the civil-from-days and
 * days-from-civil conversions of the proleptic Gregorian calendar, done
 * with integer era arithmetic (400-year eras of 146,097 days), no tables.
 */
#include <stdio.h>

#include "core/date.h"
#include "doppel.h"

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int32_t dpi_date_days(int y, unsigned m, unsigned d)
{
    int era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void dpi_date_text(int32_t day, char *buf, size_t size)
{
    /* the inverse of dpi_date_days (H. Hinnant's civil_from_days) */
    int64_t z = (int64_t)day + 719468, era, doe, yoe, y, doy, mp, d, m;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, size, "%04d-%02d-%02d", (int)(y % 10000), (int)(m % 100),
             (int)(d % 100));
}

void dp_date_format(int32_t day, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (day == INT32_MIN)
        snprintf(buf, size, "undated");
    else
        dpi_date_text(day, buf, size);
}
