/*
 * report.h - internals of the report module shared with other modules
 * (the server builds its answers with the same pieces).
 */
#ifndef DP_REPORT_REPORT_H
#define DP_REPORT_REPORT_H

#include <jansson.h>
#include <stddef.h>

/*
 * dpi_json_text - a JSON string of @n bytes of text that may not be valid
 * UTF-8 (a document read with DP_UTF8_REPLACE, a file name in another
 * encoding): each invalid run is written as U+FFFD, as the pipeline reads
 * it (dpi_utf8_repair). NUL bytes are kept (JSON writes them as \u0000).
 * @return a new reference, or NULL when memory runs out.
 */
json_t *dpi_json_text(const char *p, size_t n);

#endif /* DP_REPORT_REPORT_H */
