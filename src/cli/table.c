/* table.c - aligned text tables (see table.h).
 *
 * Cells live in one GPtrArray in row-major order; widths are computed at print time in
 * characters (UTF-8 aware), so names with non-ASCII letters still line up.
 */
#include "table.h"

#include <stdarg.h>
#include <string.h>

#include "units.h"

struct hw_table {
	char *align;        /* 'l' / 'r' per column */
	size_t ncols;
	GPtrArray *cells;   /* of char*, header row first */
};

hw_table *hw_table_new(const char *align, ...)
{
	hw_table *t = g_new0(hw_table, 1);
	va_list ap;

	t->align = g_strdup(align);
	t->ncols = strlen(align);
	t->cells = g_ptr_array_new_with_free_func(g_free);
	va_start(ap, align);
	for (size_t i = 0; i < t->ncols; i++)
		g_ptr_array_add(t->cells, g_strdup(va_arg(ap, const char *)));
	va_end(ap);
	return t;
}

void hw_table_cell(hw_table *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(t->cells, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

void hw_table_bytes(hw_table *t, uint64_t bytes)
{
	char buf[HW_UNITS_BUF];

	g_ptr_array_add(t->cells, g_strdup(hw_units_bytes(buf, bytes)));
}

void hw_table_name(hw_table *t, const char *s, size_t len)
{
	char *c = g_strndup(s, len);

	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!g_utf8_validate(c, -1, NULL)) {
		char *valid = g_utf8_make_valid(c, -1);
		g_free(c);
		c = valid;
	}
	g_ptr_array_add(t->cells, c);
}

static size_t width_of(const char *s)
{
	return (size_t)g_utf8_strlen(s, -1);
}

void hw_table_print(const hw_table *t, FILE *out)
{
	g_autofree size_t *width = g_new0(size_t, t->ncols);
	guint n = t->cells->len;

	for (guint i = 0; i < n; i++) {
		size_t w = width_of(g_ptr_array_index(t->cells, i));
		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (guint i = 0; i < n; i++) {
		const char *c = g_ptr_array_index(t->cells, i);
		size_t col = i % t->ncols;
		size_t pad = width[col] - width_of(c);
		int last = col == t->ncols - 1 || i == n - 1;

		if (col > 0)
			fputs("  ", out);
		if (t->align[col] == 'r')
			fprintf(out, "%*s", (int)pad, "");
		fputs(c, out);
		if (t->align[col] != 'r' && !last)
			fprintf(out, "%*s", (int)pad, "");
		if (last)
			fputc('\n', out);
	}
}

void hw_table_free(hw_table *t)
{
	if (!t)
		return;
	g_ptr_array_unref(t->cells);
	g_free(t->align);
	g_free(t);
}
