/* html.c - report.html: the report for people, one self-contained file.
 *
 * Inline CSS, inline SVG charts (chart.c), no script, no fonts, no images, no links outside
 * the page: it opens offline, from a CI artifact, years later, and the browser console stays
 * empty. The page reads top down without scrolling through noise: the summary first (findings
 * by severity, heap growth, the gate's verdict), then one line per finding whose details
 * (retention path, numbers per snapshot, where to look) open on demand (<details>), then the
 * growth charts, the top of the dominator tree, the goroutine groups and the memory outside
 * the heap. Each section has a stable id (summary, findings, growth, dominators, goroutines,
 * memory), which the tests check and other pages may link to.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "chart.h"
#include "cli/units.h"

static const char css[] =
	":root{--fg:#1d2330;--mute:#5d6677;--line:#e2e6ee;--bg:#f6f7fa;--card:#fff;--high:#c62828;"
	"--medium:#d97706;--low:#2f6fb5;--ok:#2e7d32}\n"
	"*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"color:var(--fg);background:var(--bg)}\n"
	"header{background:#1d2330;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}"
	"header p{margin:4px 0 0;color:#b9c2d3;font-size:13px}\n"
	"nav{padding:8px 32px;background:#fff;border-bottom:1px solid var(--line);font-size:13px}"
	"nav a{color:var(--mute);margin-right:18px;text-decoration:none}nav a:hover{color:var(--fg)}\n"
	"main{max-width:1100px;margin:0 auto;padding:8px 32px 48px}\n"
	"section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}"
	"h2{font-size:17px;margin:0 0 12px}h3{font-size:14px;margin:14px 0 6px;color:var(--mute)}\n"
	".cards{display:flex;gap:14px;flex-wrap:wrap}.card{flex:1 1 200px;border:1px solid var(--line);"
	"border-radius:6px;padding:10px 14px}.card .k{font-size:12px;color:var(--mute);text-transform:uppercase;"
	"letter-spacing:.04em}.card .v{font-size:22px;font-weight:600;margin-top:2px}.card .d{font-size:13px;color:var(--mute)}\n"
	".sev{display:inline-block;min-width:62px;text-align:center;border-radius:10px;padding:1px 8px;"
	"font-size:12px;font-weight:600;color:#fff}.sev.high{background:var(--high)}.sev.medium{background:var(--medium)}"
	".sev.low{background:var(--low)}.card .sev{min-width:0;margin:2px 2px 0 0}.tag{display:inline-block;border:1px solid var(--high);color:var(--high);"
	"border-radius:10px;padding:0 7px;font-size:11px;font-weight:600;margin-left:6px}\n"
	".pass{color:var(--ok);font-weight:600}.fail{color:var(--high);font-weight:600}\n"
	"details.finding{border:1px solid var(--line);border-radius:6px;margin:8px 0}"
	"details.finding>summary{cursor:pointer;padding:9px 12px;display:flex;gap:10px;align-items:center;list-style:none}"
	"details.finding>summary::-webkit-details-marker{display:none}"
	"details.finding>summary .t{flex:1}details.finding>summary .n{color:var(--mute);font-size:13px;white-space:nowrap}"
	"details.finding[open]>summary{border-bottom:1px solid var(--line);background:#fafbfc}"
	"details.finding .body{padding:10px 16px}\n"
	"dl{display:grid;grid-template-columns:140px 1fr;gap:4px 12px;margin:0}dt{color:var(--mute)}dd{margin:0}\n"
	"ol.path{list-style:none;margin:6px 0;padding:0;font:13px/1.6 ui-monospace,SFMono-Regular,Menlo,monospace}"
	"ol.path li{padding-left:calc(var(--d)*14px)}ol.path li+li::before{content:'\\2192  ';color:var(--mute)}\n"
	"code,.mono{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px}th{text-align:left;color:var(--mute);"
	"font-weight:500;border-bottom:1px solid var(--line);padding:5px 8px}td{padding:5px 8px;border-bottom:1px solid #f0f2f6;"
	"vertical-align:middle}td.r,th.r{text-align:right;white-space:nowrap}tr.child td{color:var(--mute)}"
	"tr.child td.o{padding-left:26px}\n"
	".bar{height:10px;background:#e8ecf3;border-radius:5px;min-width:160px}.bar>span{display:block;height:10px;"
	"border-radius:5px;background:#5b8def}\n"
	".note{color:var(--mute);font-size:13px}\n"
	"svg.chart{width:100%;height:auto;max-height:300px}svg .grid{stroke:#eceff4}svg .grid.zero{stroke:#c5ccd8}svg text{font-size:11px;fill:#5d6677}"
	"svg .ylab{text-anchor:end}svg .line{fill:none;stroke-width:2.2}svg .dot{stroke:#fff;stroke-width:1}\n"
	"svg.spark{vertical-align:middle}svg.spark .line{stroke-width:1.6}\n"
	".s0{stroke:#2f6fb5;fill:#2f6fb5}.s1{stroke:#d97706;fill:#d97706}.s2{stroke:#2e7d32;fill:#2e7d32}"
	".s3{stroke:#8e44ad;fill:#8e44ad}.s4{stroke:#c62828;fill:#c62828}.s5{stroke:#00838f;fill:#00838f}"
	".s6{stroke:#6d4c41;fill:#6d4c41}.s7{stroke:#546e7a;fill:#546e7a}svg .line.s0,svg .line.s1,svg .line.s2,"
	"svg .line.s3,svg .line.s4,svg .line.s5,svg .line.s6,svg .line.s7{fill:none}\n"
	".stack{display:flex;height:22px;border-radius:5px;overflow:hidden;margin:4px 0 12px}.stack>span{display:block;height:22px}"
	".stack>span.s0,.stack>span.s1,.stack>span.s2,.stack>span.s3,.stack>span.s4,.stack>span.s5,.stack>span.s6,"
	".stack>span.s7,i.key{background:currentColor}i.key{display:inline-block;width:10px;height:10px;margin-right:6px;"
	"border-radius:2px}.s0{color:#2f6fb5}.s1{color:#d97706}.s2{color:#2e7d32}.s3{color:#8e44ad}.s4{color:#c62828}"
	".s5{color:#00838f}.s6{color:#6d4c41}.s7{color:#546e7a}\n"
	".legend{font-size:12px;color:var(--mute);margin:2px 0 10px 60px}.legend span{margin-right:16px;white-space:nowrap;"
	"display:inline-block}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;"
	"background:currentColor;vertical-align:-1px}\n"
	"footer{color:var(--mute);font-size:12px;text-align:center;margin:24px 0}\n";

/* Escaped text. */
static void text(FILE *out, const char *s)
{
	g_autofree char *e = hw_chart_escape(s);

	fputs(e, out);
}

static const char *bytes(char buf[HW_UNITS_BUF], uint64_t v)
{
	return hw_units_bytes(buf, v);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The chart labels: "#1" ... with the time since the first capture when every snapshot has one. */
static char **snapshot_labels(const hw_report *r)
{
	char **labels = g_new0(char *, r->n + 1);
	const hw_report_snapshot *first = r->snapshots->pdata[0];
	gboolean timed = TRUE;

	for (guint i = 0; i < r->n; i++)
		timed = timed && ((const hw_report_snapshot *)r->snapshots->pdata[i])->time_ns != 0;
	/* Equal times (a generator, a copied file) say nothing: label by position only. */
	timed = timed && ((const hw_report_snapshot *)r->snapshots->pdata[r->n - 1])->time_ns != first->time_ns;
	for (guint i = 0; i < r->n; i++) {
		const hw_report_snapshot *s = r->snapshots->pdata[i];
		int64_t dt = (s->time_ns - first->time_ns) / 1000000000;
		if (!timed || i == 0)
			labels[i] = g_strdup_printf("#%u", i + 1);
		else if (dt >= 3600 || dt <= -3600)
			labels[i] = g_strdup_printf("#%u (+%" PRId64 "h%02" PRId64 "m)", i + 1, dt / 3600, (dt % 3600 + 3600) % 3600 / 60);
		else
			labels[i] = g_strdup_printf("#%u (+%" PRId64 "m%02" PRId64 "s)", i + 1, dt / 60, (dt % 60 + 60) % 60);
	}
	return labels;
}

static void summary(FILE *out, const hw_report *r)
{
	hw_report_tally t = hw_report_tally_of(r);
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];

	fputs("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n", out);
	fprintf(out, "<div class=\"card\"><div class=\"k\">Findings</div><div class=\"v\">%u</div><div class=\"d\">",
	        r->findings->len);
	for (int s = HW_SEVERITY_HIGH; s >= HW_SEVERITY_LOW; s--)
		fprintf(out, "<span class=\"sev %s\">%" PRIu64 " %s</span> ", hw_severity_name(s), t.by_severity[s],
		        hw_severity_name(s));
	fputs("</div></div>\n", out);
	fprintf(out, "<div class=\"card\"><div class=\"k\">Reachable heap</div><div class=\"v\">%s</div>"
	        "<div class=\"d\">", bytes(b, t.to));
	if (r->n == 1 && !t.from_baseline)
		fputs("one snapshot: no growth to measure", out);
	else if (isfinite(t.growth_pct))
		fprintf(out, "%+.1f%% since %s (%s)", t.growth_pct, t.from_baseline ? "the baseline" : "the first snapshot",
		        bytes(a, t.from));
	else
		fprintf(out, "from nothing in %s", t.from_baseline ? "the baseline" : "the first snapshot");
	fputs("</div></div>\n", out);
	if (r->baseline) {
		fprintf(out, "<div class=\"card\"><div class=\"k\">Since the baseline</div><div class=\"v\">%" PRIu64
		        " new</div><div class=\"d\">%u gone; baseline <code>", t.fresh, r->gone->len);
		text(out, r->baseline);
		fputs("</code></div></div>\n", out);
	}
	fprintf(out, "<div class=\"card\"><div class=\"k\">Snapshots</div><div class=\"v\">%u</div><div class=\"d\">", r->n);
	for (guint i = 0; i < r->n; i++) {
		g_autofree char *name = hw_report_snapshot_name(r->snapshots->pdata[i]);
		fputs(i ? ", " : "", out);
		text(out, name);
	}
	fputs("</div></div>\n", out);
	if (r->gate.enabled) {
		fprintf(out, "<div class=\"card\"><div class=\"k\">CI gate</div><div class=\"v %s\">%s</div><div class=\"d\"><code>",
		        r->gate.failed ? "fail" : "pass", r->gate.failed ? "failed" : "passed");
		text(out, r->gate.rules);
		fputs("</code></div></div>\n", out);
	}
	fputs("</div>\n", out);
	if (r->gate.violations->len) {
		fputs("<ul class=\"fail\">\n", out);
		for (guint i = 0; i < r->gate.violations->len; i++) {
			fputs("<li>", out);
			text(out, r->gate.violations->pdata[i]);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	for (guint i = 0; i < r->n; i++) {
		const hw_report_snapshot *s = r->snapshots->pdata[i];
		if (s->damage) {
			g_autofree char *name = hw_report_snapshot_name(s);
			fputs("<p class=\"fail\">Partial snapshot ", out);
			text(out, name);
			fputs(": ", out);
			text(out, s->damage);
			fputs("</p>\n", out);
		}
	}
	fputs("</section>\n", out);
}

static void location_row(FILE *out, const char *what, const hw_location *l)
{
	g_autofree char *loc = hw_report_location(l);

	if (!loc[0])
		return;
	fprintf(out, "<dt>%s</dt><dd><code>", what);
	text(out, loc);
	fputs("</code></dd>\n", out);
}

static void series_row(FILE *out, const char *what, const uint64_t *v, guint n, gboolean in_bytes)
{
	char buf[HW_UNITS_BUF];

	fprintf(out, "<dt>%s</dt><dd>", what);
	for (guint i = 0; i < n; i++) {
		if (in_bytes)
			fprintf(out, "%s%s", i ? " &rarr; " : "", bytes(buf, v[i]));
		else
			fprintf(out, "%s%" PRIu64, i ? " &rarr; " : "", v[i]);
	}
	fputs("</dd>\n", out);
}

static void finding(FILE *out, const hw_report *r, guint i)
{
	const hw_finding *f = r->findings->pdata[i];
	g_autoptr(GPtrArray) lines = hw_report_path_lines(f);
	char buf[HW_UNITS_BUF];

	fprintf(out, "<details class=\"finding\" id=\"finding-%u\"><summary><span class=\"sev %s\">%s</span>"
	        "<span class=\"t\">", i + 1, hw_severity_name(f->severity), hw_severity_name(f->severity));
	text(out, f->title);
	if (r->baseline && r->is_new[i])
		fputs("<span class=\"tag\">new</span>", out);
	fprintf(out, "</span><span class=\"n\">retains %s (%.1f%%)</span>", bytes(buf, f->retained_last), 100.0 * f->heap_share);
	if (f->n_snapshots > 1)
		hw_chart_sparkline(out, f->retained, f->n_snapshots);
	fputs("</summary>\n<div class=\"body\"><dl>\n", out);
	fprintf(out, "<dt>kind</dt><dd>%s</dd>\n", hw_finding_kind_name(f->kind));
	location_row(out, "look at", &f->look_at);
	if (f->suggestion[0]) {
		fputs("<dt>what to do</dt><dd>", out);
		text(out, f->suggestion);
		fputs("</dd>\n", out);
	}
	if (f->sites.described[0]) {
		/* The sampling statement goes with the shares, so nobody reads an estimate as exact. */
		fputs("<dt>allocated</dt><dd>", out);
		text(out, f->sites.described + (g_str_has_prefix(f->sites.described, "allocated at ") ? 13 : 0));
		fputs("<br><small>", out);
		text(out, f->sites.sampling);
		fputs("</small></dd>\n", out);
	}
	series_row(out, "retained", f->retained, f->n_snapshots, TRUE);
	series_row(out, f->kind == HW_FINDING_GOROUTINES ? "goroutines" : f->kind == HW_FINDING_CACHE ? "containers" : "collections",
	           f->counts, f->n_snapshots, FALSE);
	switch (f->kind) {
	case HW_FINDING_GOROUTINES:
		fputs("<dt>state</dt><dd>", out);
		text(out, f->u.goroutines.state);
		if (f->u.goroutines.wait_reason[0]) {
			fputs(" (", out);
			text(out, f->u.goroutines.wait_reason);
			fputs(")", out);
		}
		fputs("</dd>\n", out);
		location_row(out, "created at", &f->u.goroutines.created_at);
		location_row(out, "waits at", &f->u.goroutines.waits_at);
		if (f->u.goroutines.longest_wait_ns >= 0)
			fprintf(out, "<dt>longest wait</dt><dd>%.0f s</dd>\n", (double)f->u.goroutines.longest_wait_ns / 1e9);
		break;
	case HW_FINDING_CACHE:
		fputs("<dt>container</dt><dd><code>", out);
		text(out, f->u.cache.container_type);
		fputs("</code></dd>\n", out);
		series_row(out, "entries", f->u.cache.entries, f->n_snapshots, FALSE);
		break;
	case HW_FINDING_LISTENERS:
		fputs("<dt>collection</dt><dd><code>", out);
		text(out, f->u.listeners.collection_type);
		fputs("</code> of ", out);
		text(out, f->u.listeners.element);
		fputs("</dd>\n", out);
		series_row(out, "listeners", f->u.listeners.entries, f->n_snapshots, FALSE);
		break;
	default:
		break;
	}
	fputs("</dl>\n<h3>Retention path</h3><ol class=\"path\">\n", out);
	for (guint k = 0; k < lines->len; k++) {
		fprintf(out, "<li style=\"--d:%u\">", MIN(k, 16u));
		text(out, lines->pdata[k]);
		fputs("</li>\n", out);
	}
	fputs("</ol></div></details>\n", out);
}

static void findings(FILE *out, const hw_report *r)
{
	char buf[HW_UNITS_BUF];

	fputs("<section id=\"findings\"><h2>Findings</h2>\n", out);
	if (!r->findings->len)
		fputs("<p class=\"note\">No leak found.</p>\n", out);
	for (guint i = 0; i < r->findings->len; i++)
		finding(out, r, i);
	if (r->gone->len) {
		fputs("<h3>Gone since the baseline</h3><ul id=\"gone\">\n", out);
		for (guint i = 0; i < r->gone->len; i++) {
			const hw_report_gone *g = r->gone->pdata[i];
			fputs("<li><span class=\"sev ", out);
			text(out, g->severity);
			fputs("\">", out);
			text(out, g->severity);
			fputs("</span> ", out);
			text(out, g->title);
			fprintf(out, " <span class=\"note\">(retained %s)</span></li>\n", bytes(buf, g->retained));
		}
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
}

/* Bytes as the charts take them (no heap reaches 2^63 bytes; clamped to be safe). */
static int64_t clamp64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* A memory key present in every snapshot, as a series; NULL when some snapshot lacks it. */
static uint64_t *mem_series(const hw_report *r, const char *key)
{
	g_autofree uint64_t *v = g_new0(uint64_t, r->n);

	for (guint i = 0; i < r->n; i++) {
		const hw_report_snapshot *s = r->snapshots->pdata[i];
		guint k;
		for (k = 0; k < s->mem->len; k++)
			if (g_str_equal(g_array_index(s->mem, hw_report_mem, k).key, key))
				break;
		if (k == s->mem->len)
			return NULL;
		v[i] = g_array_index(s->mem, hw_report_mem, k).value;
	}
	return g_steal_pointer(&v);
}

static void growth(FILE *out, const hw_report *r)
{
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];

	fputs("<section id=\"growth\"><h2>Growth across the series</h2>\n", out);
	if (r->n < 2) {
		fputs("<p class=\"note\">One snapshot: there is no series to chart. Give the report two or more "
		      "snapshots of the same process, oldest first.</p>\n", out);
	} else {
		g_auto(GStrv) labels = snapshot_labels(r);
		g_autofree int64_t *reach = g_new(int64_t, r->n);
		g_autofree int64_t *unreach = g_new(int64_t, r->n);
		g_autofree uint64_t *rss_bytes = mem_series(r, "mem.rss");
		g_autofree int64_t *rss = rss_bytes ? g_new(int64_t, r->n) : NULL;
		g_autofree int64_t *gained = g_new(int64_t, (gsize)r->n * HW_REPORT_TOP_TYPES);
		hw_chart_series heap[3] = { { "reachable heap", reach }, { "unreachable (garbage)", unreach }, { "RSS", rss } };
		hw_chart_series types[HW_REPORT_TOP_TYPES];
		guint charted = MIN(r->types->len, HW_REPORT_CHARTED_TYPES);

		for (guint i = 0; i < r->n; i++) {
			const hw_report_snapshot *s = r->snapshots->pdata[i];
			reach[i] = clamp64(s->totals.reachable_bytes);
			unreach[i] = clamp64(s->totals.unreachable_bytes);
			if (rss)
				rss[i] = clamp64(rss_bytes[i]);
		}
		hw_chart_lines(out, "Heap bytes per snapshot", (const char *const *)labels, r->n, heap, rss ? 3 : 2);
		if (charted) {
			/* Growth, not size: a big type that grows a little would flatten the others. */
			fputs("<h3>Bytes gained since the first snapshot, by type</h3>\n", out);
			for (guint k = 0; k < charted; k++) {
				const hw_report_type *t = r->types->pdata[k];
				for (guint i = 0; i < r->n; i++)
					gained[k * r->n + i] = clamp64(t->bytes[i]) - clamp64(t->bytes[0]);
				types[k] = (hw_chart_series){ t->name[0] ? t->name : "(unknown)", gained + k * r->n };
			}
			hw_chart_lines(out, "Bytes gained since the first snapshot by the types that grew most",
			               (const char *const *)labels, r->n, types, charted);
		}
	}
	fprintf(out, "<table><tr><th>type</th><th class=\"r\">objects</th><th class=\"r\">bytes</th>"
	        "<th class=\"r\">%s</th><th></th></tr>\n", r->n > 1 ? "change" : "");
	for (guint i = 0; i < r->types->len; i++) {
		const hw_report_type *t = r->types->pdata[i];
		uint64_t last = t->bytes[r->n - 1], first = t->bytes[0];
		fputs("<tr><td><code>", out);
		text(out, t->name[0] ? t->name : "(unknown)");
		fprintf(out, "</code></td><td class=\"r\">%" PRIu64 "</td><td class=\"r\">%s</td><td class=\"r\">%s%s</td><td>",
		        t->count[r->n - 1], bytes(a, last), r->n > 1 ? "+" : "", r->n > 1 ? bytes(b, last - first) : "");
		if (r->n > 1)
			hw_chart_sparkline(out, t->bytes, r->n);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></section>\n", out);
}

static void dominators(FILE *out, const hw_report *r)
{
	const hw_report_snapshot *last = r->snapshots->pdata[r->n - 1];
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];

	fputs("<section id=\"dominators\"><h2>Top of the dominator tree</h2>\n<p class=\"note\">The objects whose "
	      "removal would free the most, in the last snapshot; indented rows are what each one keeps alive "
	      "(its biggest children in the dominator tree).</p>\n<table><tr><th class=\"r\">retained</th>"
	      "<th>share of the reachable heap</th><th class=\"r\">size</th><th>object</th></tr>\n", out);
	for (guint i = 0; i < r->top->len; i++) {
		const hw_report_node *n = &g_array_index(r->top, hw_report_node, i);
		double share = pct(n->retained, last->totals.reachable_bytes);
		fprintf(out, "<tr%s><td class=\"r\">%s</td><td><div class=\"bar\" title=\"%.1f%%\"><span style=\"width:%.1f%%\">"
		        "</span></div></td><td class=\"r\">%s</td><td class=\"o\"><code>", n->depth ? " class=\"child\"" : "",
		        bytes(a, n->retained), share, share, bytes(b, n->size));
		text(out, n->type[0] ? n->type : "(unknown)");
		fprintf(out, "</code> <span class=\"note mono\">@ 0x%" PRIx64 "</span></td></tr>\n", n->addr);
	}
	fputs("</table></section>\n", out);
}

static void goroutines(FILE *out, const hw_report *r)
{
	char a[HW_UNITS_BUF];

	fprintf(out, "<section id=\"goroutines\"><h2>Goroutine groups</h2>\n<p class=\"note\">%u group%s in the last "
	        "snapshot%s; a group is the goroutines with the same state, wait site and creation site.</p>\n",
	        r->goroutine_groups, r->goroutine_groups == 1 ? "" : "s",
	        r->goroutine_groups > r->goroutines->len ? ", the biggest shown" : "");
	if (!r->goroutines->len) {
		fputs("</section>\n", out);
		return;
	}
	fputs("<table><tr><th class=\"r\">count</th><th>state</th><th>waits at</th><th>created at</th>"
	      "<th class=\"r\">retains</th></tr>\n", out);
	for (guint i = 0; i < r->goroutines->len; i++) {
		const hw_goroutine_group *g = r->goroutines->pdata[i];
		g_autofree char *waits = hw_report_location(&g->waits_at);
		g_autofree char *created = hw_report_location(&g->created_at);
		fprintf(out, "<tr><td class=\"r\">%" PRIu64 "</td><td>", g->count);
		text(out, g->state[0] ? g->state : "?");
		if (g->wait_reason[0]) {
			fputs(" <span class=\"note\">(", out);
			text(out, g->wait_reason);
			fputs(")</span>", out);
		}
		fputs("</td><td><code>", out);
		text(out, waits);
		fputs("</code></td><td><code>", out);
		text(out, created);
		fprintf(out, "</code></td><td class=\"r\">%s</td></tr>\n", bytes(a, g->retained));
	}
	fputs("</table></section>\n", out);
}

static void mem_row(FILE *out, const char *what, uint64_t v, gboolean is_bytes, uint64_t rss, const char *colour)
{
	char a[HW_UNITS_BUF];
	double share = pct(v, rss);

	fputs("<tr><td>", out);
	if (colour)
		fprintf(out, "<i class=\"key %s\"></i>", colour);
	fputs("<code>", out);
	text(out, what);
	if (is_bytes)
		fprintf(out, "</code></td><td class=\"r\">%s</td>", bytes(a, v));
	else
		fprintf(out, "</code></td><td class=\"r\">%" PRIu64 "</td>", v);
	if (rss && is_bytes)
		fprintf(out, "<td class=\"r\">%.1f%%</td><td><div class=\"bar\"><span style=\"width:%.1f%%\"></span></div></td>",
		        share, MIN(share, 100.0));
	fputs("</tr>\n", out);
}

static void memory(FILE *out, const hw_report *r)
{
	const hw_report_snapshot *s = r->snapshots->pdata[r->n - 1];
	const hw_report_mem *m;
	uint64_t rss = 0;
	guint parts = 0, k, c;
	char a[HW_UNITS_BUF];

	fputs("<section id=\"memory\"><h2>Memory outside the heap</h2>\n", out);
	for (k = 0; k < s->mem->len; k++) {
		m = &g_array_index(s->mem, hw_report_mem, k);
		if (g_str_equal(m->key, "mem.rss"))
			rss = m->value;
		parts += hw_report_mem_is_rss_part(m->key);
	}
	if (!s->mem->len) {
		fputs("<p class=\"note\">The last snapshot records no memory statistics (no <code>mem.*</code> "
		      "metadata); snapshots taken by <code>heapwalk dump</code> of a live process do.</p>", out);
	} else {
		fprintf(out, "<p class=\"note\">The last snapshot's process memory as the kernel and the Go runtime count "
		        "it%s.</p>\n", rss ? ", against its resident set size (RSS)" : "");
	}
	/* The resident set split by what holds it, as one stacked bar. */
	if (rss && parts) {
		fprintf(out, "<h3>RSS %s, by what holds it</h3><div class=\"stack\">", bytes(a, rss));
		for (k = 0, c = 0; k < s->mem->len; k++) {
			m = &g_array_index(s->mem, hw_report_mem, k);
			if (!hw_report_mem_is_rss_part(m->key))
				continue;
			fprintf(out, "<span class=\"s%u\" style=\"width:%.2f%%\" title=\"", c++ % HW_CHART_COLOURS,
			        MIN(pct(m->value, rss), 100.0));
			text(out, m->key + strlen("mem.rss."));
			fprintf(out, ": %s\"></span>", bytes(a, m->value));
		}
		fputs("</div>\n", out);
	}
	if (s->mem->len) {
		fprintf(out, "<table><tr><th>what</th><th class=\"r\">value</th>%s</tr>\n",
		        rss ? "<th class=\"r\">of RSS</th><th></th>" : "");
		for (k = 0, c = 0; k < s->mem->len; k++) {
			m = &g_array_index(s->mem, hw_report_mem, k);
			if (hw_report_mem_is_rss_part(m->key)) {
				char colour[8];
				g_snprintf(colour, sizeof colour, "s%u", c++ % HW_CHART_COLOURS);
				mem_row(out, m->key, m->value, TRUE, rss, colour);
			}
		}
		mem_row(out, "heap objects in the snapshot", s->totals.reachable_bytes + s->totals.unreachable_bytes,
		        TRUE, rss, NULL);
		for (k = 0; k < s->mem->len; k++) {
			m = &g_array_index(s->mem, hw_report_mem, k);
			if (!hw_report_mem_is_rss_part(m->key))
				mem_row(out, m->key, m->value, hw_report_mem_is_bytes(m->key), rss, NULL);
		}
		fputs("</table>\n", out);
	}
	for (k = 0; k < s->notes->len; k++) {
		fputs("<p class=\"note\">", out);
		text(out, g_ptr_array_index(s->notes, k));
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

void hw_report_write_html(const hw_report *r, FILE *out)
{
	const hw_report_snapshot *first = r->snapshots->pdata[0], *last = r->snapshots->pdata[r->n - 1];
	g_autofree char *a = hw_report_snapshot_name(first), *b = hw_report_snapshot_name(last);

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
	        "<title>heapwalk leak report: %u finding%s</title>\n<style>\n%s</style></head><body>\n",
	        r->findings->len, r->findings->len == 1 ? "" : "s", css);
	fputs("<header><h1>heapwalk leak report</h1><p>", out);
	text(out, a);
	if (r->n > 1) {
		fputs(" &rarr; ", out);
		text(out, b);
	}
	fprintf(out, " &middot; %u snapshot%s</p></header>\n", r->n, r->n == 1 ? "" : "s");
	fputs("<nav><a href=\"#summary\">Summary</a><a href=\"#findings\">Findings</a><a href=\"#growth\">Growth</a>"
	      "<a href=\"#dominators\">Dominator tree</a><a href=\"#goroutines\">Goroutines</a>"
	      "<a href=\"#memory\">Memory</a></nav>\n<main>\n", out);
	summary(out, r);
	findings(out, r);
	growth(out, r);
	dominators(out, r);
	goroutines(out, r);
	memory(out, r);
	fputs("</main><footer>Written by heapwalk report; the same data is in report.json (schema "
	      HW_REPORT_SCHEMA ") and report.md", out);
	if (r->pprof) {
		fputs("; retention profile of the last snapshot: <code>", out);
		text(out, r->pprof);
		fputs("</code>", out);
	}
	fputs(".</footer>\n</body></html>\n", out);
}
