/*
 * report.h - the JSON building blocks of src/report/ that other parts of
 * the library share, as jansson values: strings of bytes that may not be
 * valid UTF-8, and the index's parameters, hits and statistics (the index
 * writes its on-disk parameter record with the same fields; the HTTP
 * server answers with the same objects as the command line). The public
 * dp_index_*_json() functions (index_json.c) dump these.
 *
 * Every function checks every jansson write: a NULL (or nonzero) result
 * means memory ran out and nothing partial is handed out.
 */
#ifndef DP_REPORT_REPORT_H
#define DP_REPORT_REPORT_H

#include <jansson.h>

#include "doppel.h"

/* Set @key of @obj to @val, which is consumed (also on failure).
 * Returns nonzero on failure, including a NULL @val. */
static inline int dpi_report_put(json_t *obj, const char *key, json_t *val)
{
    return !val || json_object_set_new(obj, key, val) != 0;
}

/* Append @val (consumed) to @arr; nonzero on failure or a NULL @val. */
static inline int dpi_report_push(json_t *arr, json_t *val)
{
    return !val || json_array_append_new(arr, val) != 0;
}

/* dpi_report_str - a JSON string of the @n bytes at @p; when they are
 * not valid UTF-8, each invalid sequence becomes U+FFFD (as the text
 * pipeline reads it). NULL only when out of memory. */
json_t *dpi_report_str(const char *p, size_t n);

/*
 * dpi_report_index_params_fields - add the parameter fields to @o, in
 * this order: shingle_k, perms, threshold, bands, rows, store_text,
 * shingle_sets. @return DP_OK or DP_ENOMEM (@o then holds some of them:
 * drop it).
 */
dp_status dpi_report_index_params_fields(json_t *o, const dp_index_params *p);

/* dpi_report_index_params - the object of dp_index_params_json(); NULL
 * when out of memory. */
json_t *dpi_report_index_params(const dp_index_params *p);

/* dpi_report_index_hits - the array of dp_index_hits_json(); NULL when
 * out of memory. */
json_t *dpi_report_index_hits(const dp_index_hit *hits, size_t n);

/* dpi_report_index_stats - the object of dp_index_stats_json(); NULL
 * when out of memory. */
json_t *dpi_report_index_stats(const dp_index_stats *s);

#endif /* DP_REPORT_REPORT_H */
