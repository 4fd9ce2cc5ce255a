/* chart.c - SVG line charts and sparklines for report.html (see chart.h).
 *
 * Geometry is fixed (a viewBox scaled by CSS to the page width), so the output depends only
 * on the values: the same report renders the same bytes, which keeps the HTML diffable.
 */
#include "chart.h"

#include <inttypes.h>
#include <math.h>

#include "cli/units.h"

#define W 720.0
#define H 240.0
#define LEFT 78.0      /* room for the y labels */
#define RIGHT 16.0
#define TOP 16.0
#define BOTTOM 26.0    /* room for the x labels */
#define TICKS 4

char *hw_chart_escape(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s, -1);

	return g_markup_escape_text(valid, -1);
}

/* The smallest of 1, 2, 2.5, 5 x 10^k x 1024^u at or above `want`: a tick step whose labels
 * stay short in binary units. */
static double nice_step(double want)
{
	static const double steps[] = { 1, 2, 2.5, 5 };
	double unit = 1;

	if (want <= 1)
		return 1;
	while (want / unit >= 1024)
		unit *= 1024;
	for (double decade = unit; ; decade *= 10)
		for (size_t i = 0; i < G_N_ELEMENTS(steps); i++)
			if (steps[i] * decade >= want)
				return steps[i] * decade;
}

/* "-1.5 KiB" for negative values, hw_units_bytes() otherwise. */
static const char *signed_bytes(char buf[HW_UNITS_BUF], double v)
{
	char tmp[HW_UNITS_BUF];

	if (v >= 0)
		return hw_units_bytes(buf, (uint64_t)v);
	g_snprintf(buf, HW_UNITS_BUF, "-%s", hw_units_bytes(tmp, (uint64_t)-v));
	return buf;
}

typedef struct axis {
	double lo, hi;    /* the value range drawn, multiples of step, lo <= 0 <= hi */
	double step;
} axis;

static double x_at(guint i, guint n)
{
	return LEFT + (W - LEFT - RIGHT) * i / (n - 1);
}

static double y_at(double v, const axis *a)
{
	return TOP + (H - TOP - BOTTOM) * (a->hi - v) / (a->hi - a->lo);
}

void hw_chart_lines(FILE *out, const char *title, const char *const *labels, guint n,
                    const hw_chart_series *series, guint n_series)
{
	g_autofree char *etitle = hw_chart_escape(title);
	double min = 0, max = 0;
	axis a;
	char buf[HW_UNITS_BUF];

	g_assert(n >= 2);
	for (guint s = 0; s < n_series; s++)
		for (guint i = 0; i < n; i++) {
			min = MIN(min, (double)series[s].values[i]);
			max = MAX(max, (double)series[s].values[i]);
		}
	/* About TICKS steps over the range, which always includes 0. */
	a.step = nice_step((max - min) / TICKS);
	a.lo = floor(min / a.step) * a.step;
	a.hi = MAX(ceil(max / a.step) * a.step, a.lo + a.step);

	fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s\">\n", W, H, etitle);
	for (double v = a.lo; v <= a.hi + a.step / 2; v += a.step) {
		double y = y_at(v, &a);
		fprintf(out, "<line class=\"grid%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		        "<text class=\"ylab\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", fabs(v) < a.step / 2 ? " zero" : "",
		        LEFT, y, W - RIGHT, y, LEFT - 6, y + 4, signed_bytes(buf, fabs(v) < a.step / 2 ? 0 : v));
	}
	for (guint i = 0; i < n; i++) {
		g_autofree char *l = hw_chart_escape(labels[i]);
		const char *anchor = i == 0 ? "start" : i == n - 1 ? "end" : "middle";
		fprintf(out, "<text class=\"xlab\" text-anchor=\"%s\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
		        anchor, x_at(i, n), H - BOTTOM + 16, l);
	}
	for (guint s = 0; s < n_series; s++) {
		g_autofree char *name = hw_chart_escape(series[s].name);
		fprintf(out, "<polyline class=\"line s%u\" points=\"", s % HW_CHART_COLOURS);
		for (guint i = 0; i < n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "", x_at(i, n), y_at((double)series[s].values[i], &a));
		fputs("\"/>\n", out);
		for (guint i = 0; i < n; i++) {
			g_autofree char *l = hw_chart_escape(labels[i]);
			fprintf(out, "<circle class=\"dot s%u\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>%s, %s: %s "
			        "(%" PRId64 " bytes)</title></circle>\n", s % HW_CHART_COLOURS, x_at(i, n),
			        y_at((double)series[s].values[i], &a), name, l, signed_bytes(buf, (double)series[s].values[i]),
			        series[s].values[i]);
		}
	}
	fputs("</svg>\n<div class=\"legend\">", out);
	/* The legend is HTML under the chart, so long type names wrap instead of running off. */
	for (guint s = 0; s < n_series; s++) {
		g_autofree char *name = hw_chart_escape(series[s].name);
		fprintf(out, "<span><i class=\"s%u\"></i>%s</span>", s % HW_CHART_COLOURS, name);
	}
	fputs("</div>\n", out);
}

#define SW 120.0
#define SH 24.0

void hw_chart_sparkline(FILE *out, const uint64_t *values, guint n)
{
	uint64_t max = 0;

	g_assert(n >= 2);
	for (guint i = 0; i < n; i++)
		max = MAX(max, values[i]);
	fprintf(out, "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" aria-hidden=\"true\">"
	        "<polyline class=\"line s0\" points=\"", SW, SH, SW, SH);
	for (guint i = 0; i < n; i++)
		fprintf(out, "%s%.1f,%.1f", i ? " " : "", 2 + (SW - 4) * i / (n - 1),
		        SH - 2 - (SH - 4) * (max ? (double)values[i] / (double)max : 0));
	fputs("\"/></svg>", out);
}
