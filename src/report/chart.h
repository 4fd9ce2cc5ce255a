/* chart.h - SVG charts for report.html, drawn in C.
 *
 * The report must open anywhere, offline, years later: so no chart library and no script.
 * Each function writes one inline <svg> element whose colours come from CSS classes
 * (.s0 ... .s7, defined by html.c), with a <title> on every point so a hover shows the exact
 * value; line charts are followed by their legend, a <div class="legend">. Values are bytes; axes are labelled in binary units (units.h).
 */
#ifndef HW_REPORT_CHART_H
#define HW_REPORT_CHART_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#define HW_CHART_COLOURS 8

typedef struct hw_chart_series {
	const char *name;          /* legend text (escaped by the chart) */
	const int64_t *values;     /* n values, bytes; negative for a loss */
} hw_chart_series;

/* A line chart of `n_series` series over n points labelled `labels` (n >= 2); the y axis
 * spans 0 and every value, in round steps. `title` is the accessible name (role="img"). */
void hw_chart_lines(FILE *out, const char *title, const char *const *labels, guint n,
                    const hw_chart_series *series, guint n_series);

/* A small line without axes (n >= 2 values) for a table cell, scaled to its own maximum. */
void hw_chart_sparkline(FILE *out, const uint64_t *values, guint n);

/* `s` as HTML/XML text: markup characters escaped and invalid UTF-8 replaced by U+FFFD. */
char *hw_chart_escape(const char *s);

#endif /* HW_REPORT_CHART_H */
