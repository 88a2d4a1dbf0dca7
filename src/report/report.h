/*
 * report.h - internals of the report module shared with other modules,
 * as jansson values: JSON text from raw bytes, and the index's
 * parameters, hits and statistics (the server builds its answers with the
 * same pieces as the command line; the index writes its on-disk
 * parameter record around the same fields). The public dp_index_*_json()
 * functions (index_json.c) dump these.
 *
 * The index builders check every jansson write: a NULL (or nonzero)
 * result means memory ran out and nothing partial is handed out.
 */
#ifndef DP_REPORT_REPORT_H
#define DP_REPORT_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "doppel.h"

/*
 * dpi_json_text - a JSON string of @n bytes of text that may not be valid
 * UTF-8 (a document read with DP_UTF8_REPLACE, a file name in another
 * encoding): each invalid run is written as U+FFFD, as the pipeline reads
 * it (dpi_utf8_repair). NUL bytes are kept (JSON writes them as \u0000).
 * @return a new reference, or NULL when memory runs out.
 */
json_t *dpi_json_text(const char *p, size_t n);

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

/*
 * dpi_report_dump - the report text of @root (compact, keys in insertion
 * order, reals to 10 significant digits so a 4-decimal value prints
 * exactly), malloc'd into *@out (free with dp_free()), its length in *@len
 * (@len may be NULL). Takes @root's reference, also on failure; a NULL
 * @root (a builder that ran out of memory) gives DP_ENOMEM.
 */
dp_status dpi_report_dump(json_t *root, char **out, size_t *len);

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
