/* json.c - a streaming JSON writer (see json.h).
 *
 * The nesting stack records, per open container, whether it is an object and whether it
 * already has a member; that is all that is needed to place commas and newlines. It is a
 * GArray, so nesting depth is bounded only by memory (`top --depth` can nest deeply).
 */
#include "json.h"

#include <math.h>
#include <string.h>

typedef struct level {
	gboolean object;
	gboolean nonempty;
} level;

struct hw_json {
	FILE *out;
	gboolean pretty;
	gboolean after_key;   /* a key was written; the next value goes right after it */
	GArray *stack;        /* of level */
};

hw_json *hw_json_new(FILE *out, gboolean pretty)
{
	hw_json *j = g_new0(hw_json, 1);

	j->out = out;
	j->pretty = pretty;
	j->stack = g_array_new(FALSE, FALSE, sizeof(level));
	return j;
}

void hw_json_free(hw_json *j)
{
	if (!j)
		return;
	g_assert(j->stack->len == 0 && !j->after_key);
	g_array_unref(j->stack);
	g_free(j);
}

static level *top(hw_json *j)
{
	return j->stack->len ? &g_array_index(j->stack, level, j->stack->len - 1) : NULL;
}

/* Indentation stops growing at this depth, so that deeply nested documents (a long chain in
 * `top`) stay linear in size; they remain valid JSON. */
#define MAX_INDENT_DEPTH 32

static void newline_indent(hw_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (guint i = 0; i < MIN(j->stack->len, MAX_INDENT_DEPTH); i++)
		fputs("  ", j->out);
}

/* Writes what must precede a new value or key at the current position. */
static void before_item(hw_json *j)
{
	level *l = top(j);

	if (j->after_key) {
		j->after_key = FALSE;
		return;
	}
	if (!l)
		return;
	if (l->nonempty)
		fputc(',', j->out);
	l->nonempty = TRUE;
	newline_indent(j);
}

/* Ends a value: at top level, the document (or JSON Lines record) ends with a newline. */
static void after_value(hw_json *j)
{
	if (j->stack->len == 0)
		fputc('\n', j->out);
}

static void begin(hw_json *j, gboolean object)
{
	level l = { object, FALSE };

	g_assert(!top(j) || !top(j)->object || j->after_key);
	before_item(j);
	fputc(object ? '{' : '[', j->out);
	g_array_append_val(j->stack, l);
}

static void end(hw_json *j, gboolean object)
{
	level *l = top(j);
	gboolean nonempty;

	g_assert(l && l->object == object && !j->after_key);
	nonempty = l->nonempty;
	g_array_set_size(j->stack, j->stack->len - 1);
	if (nonempty)
		newline_indent(j);
	fputc(object ? '}' : ']', j->out);
	after_value(j);
}

void hw_json_begin_object(hw_json *j) { begin(j, TRUE); }
void hw_json_end_object(hw_json *j) { end(j, TRUE); }
void hw_json_begin_array(hw_json *j) { begin(j, FALSE); }
void hw_json_end_array(hw_json *j) { end(j, FALSE); }

static void write_escaped(hw_json *j, const char *s, size_t len)
{
	const char *p = s, *e = s + len;

	fputc('"', j->out);
	while (p < e) {
		const char *valid_end;

		g_utf8_validate_len(p, (gsize)(e - p), &valid_end);
		for (; p < valid_end; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\')
				fprintf(j->out, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", j->out);
			else if (c == '\t')
				fputs("\\t", j->out);
			else if (c < 0x20 || c == 0x7f)
				fprintf(j->out, "\\u%04x", c);
			else
				fputc(c, j->out);
		}
		if (p < e) {
			/* One byte that does not start a valid sequence: replace it and go on. */
			fputs("\\ufffd", j->out);
			p++;
		}
	}
	fputc('"', j->out);
}

void hw_json_key(hw_json *j, const char *key)
{
	g_assert(top(j) && top(j)->object && !j->after_key);
	before_item(j);
	write_escaped(j, key, strlen(key));
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = TRUE;
}

/* Every scalar is written between these two. */
static void scalar_begin(hw_json *j)
{
	g_assert(!top(j) || !top(j)->object || j->after_key);
	before_item(j);
}

void hw_json_string_len(hw_json *j, const char *s, size_t len)
{
	scalar_begin(j);
	write_escaped(j, s, len);
	after_value(j);
}

void hw_json_string(hw_json *j, const char *s)
{
	hw_json_string_len(j, s, strlen(s));
}

void hw_json_u64(hw_json *j, uint64_t v)
{
	scalar_begin(j);
	fprintf(j->out, "%llu", (unsigned long long)v);
	after_value(j);
}

void hw_json_i64(hw_json *j, int64_t v)
{
	scalar_begin(j);
	fprintf(j->out, "%lld", (long long)v);
	after_value(j);
}

void hw_json_double(hw_json *j, double v)
{
	scalar_begin(j);
	if (isfinite(v)) {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];
		fputs(g_ascii_dtostr(buf, sizeof buf, v), j->out);
	} else
		fputs("null", j->out);
	after_value(j);
}

void hw_json_bool(hw_json *j, gboolean v)
{
	scalar_begin(j);
	fputs(v ? "true" : "false", j->out);
	after_value(j);
}

void hw_json_null(hw_json *j)
{
	scalar_begin(j);
	fputs("null", j->out);
	after_value(j);
}

void hw_json_addr(hw_json *j, uint64_t addr)
{
	char buf[24];

	snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)addr);
	hw_json_string(j, buf);
}
