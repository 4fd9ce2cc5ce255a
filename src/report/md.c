/* md.c - report.md: the report as Markdown, for a pull request comment or a chat message.
 *
 * The same sections as report.html in the same order, summary first, without charts: the
 * per-snapshot numbers are tables instead. Names from the snapshot go into table cells and
 * code spans, so '|' , '`' and line breaks are neutralised (md_text).
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>

#include "cli/units.h"

/* Writes `s` for a table cell or plain text: no line breaks, '|' escaped, backticks as quotes. */
static void md_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else if (*s == '`')
			fputc('\'', out);
		else
			fputc(*s, out);
	}
}

/* `s` as a code span. */
static void md_code(FILE *out, const char *s)
{
	fputc('`', out);
	md_text(out, s);
	fputc('`', out);
}

static const char *bytes(char buf[HW_UNITS_BUF], uint64_t v)
{
	return hw_units_bytes(buf, v);
}

static void summary(FILE *out, const hw_report *r)
{
	hw_report_tally t = hw_report_tally_of(r);
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];

	fprintf(out, "## Summary\n\n");
	fprintf(out, "- **%" PRIu64 " finding%s**: %" PRIu64 " high, %" PRIu64 " medium, %" PRIu64 " low",
	        (uint64_t)r->findings->len, r->findings->len == 1 ? "" : "s", t.by_severity[HW_SEVERITY_HIGH],
	        t.by_severity[HW_SEVERITY_MEDIUM], t.by_severity[HW_SEVERITY_LOW]);
	if (r->baseline)
		fprintf(out, "; %" PRIu64 " new, %u gone since the baseline", t.fresh, r->gone->len);
	if (r->n == 1 && !t.from_baseline)
		fprintf(out, "\n- **Reachable heap**: %s (one snapshot: no growth to measure)\n", bytes(b, t.to));
	else {
		fprintf(out, "\n- **Reachable heap**: %s → %s", bytes(a, t.from), bytes(b, t.to));
		if (isfinite(t.growth_pct))
			fprintf(out, " (%+.1f%%", t.growth_pct);
		else
			fprintf(out, " (from nothing");
		fprintf(out, " since %s)\n", t.from_baseline ? "the baseline" : "the first snapshot");
	}
	fprintf(out, "- **Snapshots**: %u", r->n);
	for (guint i = 0; i < r->n; i++) {
		g_autofree char *name = hw_report_snapshot_name(r->snapshots->pdata[i]);
		fputs(i ? ", " : " (", out);
		md_code(out, name);
	}
	fputs(")\n", out);
	if (r->gate.enabled) {
		fprintf(out, "- **Gate** `%s`: %s\n", r->gate.rules, r->gate.failed ? "**FAILED**" : "passed");
		for (guint i = 0; i < r->gate.violations->len; i++) {
			fputs("  - ", out);
			md_text(out, r->gate.violations->pdata[i]);
			fputc('\n', out);
		}
	}
	for (guint i = 0; i < r->n; i++) {
		const hw_report_snapshot *s = r->snapshots->pdata[i];
		if (s->damage) {
			g_autofree char *name = hw_report_snapshot_name(s);
			fputs("- **Partial snapshot** ", out);
			md_code(out, name);
			fputs(": ", out);
			md_text(out, s->damage);
			fputc('\n', out);
		}
	}
	fputc('\n', out);
}

static void series(FILE *out, const uint64_t *v, guint n)
{
	char buf[HW_UNITS_BUF];

	for (guint i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " → " : "", bytes(buf, v[i]));
}

static void findings(FILE *out, const hw_report *r)
{
	char buf[HW_UNITS_BUF];

	fprintf(out, "## Findings\n\n");
	if (!r->findings->len)
		fprintf(out, "No leak found.\n\n");
	for (guint i = 0; i < r->findings->len; i++) {
		const hw_finding *f = r->findings->pdata[i];
		g_autoptr(GPtrArray) lines = hw_report_path_lines(f);
		g_autofree char *look = hw_report_location(&f->look_at);

		fprintf(out, "### %u. [%s] ", i + 1, hw_severity_name(f->severity));
		md_text(out, f->title);
		fprintf(out, "%s\n\n", r->baseline && r->is_new[i] ? " (new)" : "");
		fprintf(out, "- %s; retains %s (%.1f%% of the reachable heap)", hw_finding_kind_name(f->kind),
		        bytes(buf, f->retained_last), 100.0 * f->heap_share);
		if (f->n_snapshots > 1) {
			fputs(", retained across the series: ", out);
			series(out, f->retained, f->n_snapshots);
		}
		fputc('\n', out);
		if (look[0]) {
			fputs("- look at: ", out);
			md_code(out, look);
			fputc('\n', out);
		}
		if (f->sites.described[0]) {
			fputs("- ", out);
			md_text(out, f->sites.described);
			fputs("; ", out);
			md_text(out, f->sites.sampling);
			fputc('\n', out);
		}
		if (f->suggestion[0]) {
			fputs("- ", out);
			md_text(out, f->suggestion);
			fputc('\n', out);
		}
		fputs("\n```\n", out);
		for (guint k = 0; k < lines->len; k++)
			fprintf(out, "%*s%s%s\n", (int)MIN(k, 12) * 2, "", k ? "→ " : "", (const char *)lines->pdata[k]);
		fputs("```\n\n", out);
	}
	if (r->gone->len) {
		fprintf(out, "Gone since the baseline:\n\n");
		for (guint i = 0; i < r->gone->len; i++) {
			const hw_report_gone *g = r->gone->pdata[i];
			fprintf(out, "- [%s] ", g->severity);
			md_text(out, g->title);
			fprintf(out, " (retained %s)\n", bytes(buf, g->retained));
		}
		fputc('\n', out);
	}
}

static void growth(FILE *out, const hw_report *r)
{
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];

	fprintf(out, "## Growth\n\n| snapshot | reachable | unreachable | goroutines |\n|---|--:|--:|--:|\n");
	for (guint i = 0; i < r->n; i++) {
		const hw_report_snapshot *s = r->snapshots->pdata[i];
		g_autofree char *name = hw_report_snapshot_name(s);
		fputs("| ", out);
		md_text(out, name);
		fprintf(out, " | %s | %s | %" PRIu64 " |\n", bytes(a, s->totals.reachable_bytes),
		        bytes(b, s->totals.unreachable_bytes), s->goroutines);
	}
	fprintf(out, "\n%s\n\n| type | bytes | change | objects |\n|---|--:|--:|--:|\n",
	        r->n > 1 ? "Types whose bytes grew most:" : "Types with the most bytes:");
	for (guint i = 0; i < r->types->len; i++) {
		const hw_report_type *t = r->types->pdata[i];
		uint64_t last = t->bytes[r->n - 1], first = t->bytes[0];
		fputs("| ", out);
		md_code(out, t->name[0] ? t->name : "(unknown)");
		fprintf(out, " | %s | %s%s | %" PRIu64 " |\n", bytes(a, last), r->n > 1 ? "+" : "",
		        r->n > 1 ? bytes(b, last - first) : "", t->count[r->n - 1]);
	}
	fputc('\n', out);
}

static void dominators(FILE *out, const hw_report *r)
{
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];
	const hw_report_snapshot *last = r->snapshots->pdata[r->n - 1];

	fprintf(out, "## Dominator tree (last snapshot)\n\n| retained | share | size | object |\n|--:|--:|--:|---|\n");
	for (guint i = 0; i < r->top->len; i++) {
		const hw_report_node *n = &g_array_index(r->top, hw_report_node, i);
		uint64_t total = last->totals.reachable_bytes;
		fprintf(out, "| %s | %.1f%% | %s | %s", bytes(a, n->retained),
		        total ? 100.0 * (double)n->retained / (double)total : 0.0, bytes(b, n->size), n->depth ? "↳ " : "");
		md_code(out, n->type[0] ? n->type : "(unknown)");
		fprintf(out, " @ 0x%" PRIx64 " |\n", n->addr);
	}
	fputc('\n', out);
}

static void goroutines(FILE *out, const hw_report *r)
{
	char a[HW_UNITS_BUF];

	fprintf(out, "## Goroutines (last snapshot)\n\n%u group%s", r->goroutine_groups, r->goroutine_groups == 1 ? "" : "s");
	if (r->goroutine_groups > r->goroutines->len)
		fprintf(out, ", the %u biggest shown", r->goroutines->len);
	fprintf(out, ".\n\n| count | state | waits at | created at | retains |\n|--:|---|---|---|--:|\n");
	for (guint i = 0; i < r->goroutines->len; i++) {
		const hw_goroutine_group *g = r->goroutines->pdata[i];
		g_autofree char *waits = hw_report_location(&g->waits_at);
		g_autofree char *created = hw_report_location(&g->created_at);
		fprintf(out, "| %" PRIu64 " | ", g->count);
		md_text(out, g->state);
		if (g->wait_reason[0]) {
			fputs(" (", out);
			md_text(out, g->wait_reason);
			fputc(')', out);
		}
		fputs(" | ", out);
		md_code(out, waits);
		fputs(" | ", out);
		md_code(out, created);
		fprintf(out, " | %s |\n", bytes(a, g->retained));
	}
	fputc('\n', out);
}

static void mem_row(FILE *out, const char *what, uint64_t v, gboolean is_bytes, uint64_t rss)
{
	char a[HW_UNITS_BUF];

	fputs("| ", out);
	md_code(out, what);
	if (is_bytes)
		fprintf(out, " | %s | ", bytes(a, v));
	else
		fprintf(out, " | %" PRIu64 " | ", v);
	if (rss && is_bytes)
		fprintf(out, "%.1f%%", 100.0 * (double)v / (double)rss);
	fputs(" |\n", out);
}

/* The RSS parts first (they add up to mem.rss), then the heap objects, then the rest. */
static void memory(FILE *out, const hw_report *r)
{
	const hw_report_snapshot *s = r->snapshots->pdata[r->n - 1];
	uint64_t rss = 0;

	fprintf(out, "## Memory outside the heap (last snapshot)\n\n");
	for (guint k = 0; k < s->mem->len; k++)
		if (g_str_equal(g_array_index(s->mem, hw_report_mem, k).key, "mem.rss"))
			rss = g_array_index(s->mem, hw_report_mem, k).value;
	if (!s->mem->len)
		fprintf(out, "The snapshot records no memory statistics (no `mem.*` metadata).\n\n");
	else {
		fprintf(out, "| what | value | of RSS |\n|---|--:|--:|\n");
		for (guint k = 0; k < s->mem->len; k++) {
			const hw_report_mem *m = &g_array_index(s->mem, hw_report_mem, k);
			if (hw_report_mem_is_rss_part(m->key))
				mem_row(out, m->key, m->value, TRUE, rss);
		}
		mem_row(out, "heap objects in the snapshot", s->totals.reachable_bytes + s->totals.unreachable_bytes, TRUE, rss);
		for (guint k = 0; k < s->mem->len; k++) {
			const hw_report_mem *m = &g_array_index(s->mem, hw_report_mem, k);
			if (!hw_report_mem_is_rss_part(m->key))
				mem_row(out, m->key, m->value, hw_report_mem_is_bytes(m->key), rss);
		}
		fputc('\n', out);
	}
	for (guint k = 0; k < s->notes->len; k++) {
		md_text(out, g_ptr_array_index(s->notes, k));
		fputs("\n\n", out);
	}
}

void hw_report_write_md(const hw_report *r, FILE *out)
{
	fprintf(out, "# heapwalk leak report\n\n");
	summary(out, r);
	findings(out, r);
	growth(out, r);
	dominators(out, r);
	goroutines(out, r);
	memory(out, r);
	if (r->pprof) {
		fputs("Profile of the last snapshot for `go tool pprof`: ", out);
		md_code(out, r->pprof);
		fputs("\n", out);
	}
}
