/* json.c - report.json: the report for programs, schema heapwalk/report/1.
 *
 * The same model as report.html and report.md, with exact numbers: every per-snapshot array in
 * full, sizes in bytes, addresses as "0x..." strings. It is also what `--baseline` reads back
 * the next night (baseline.c), so the members baseline.c needs (findings[].key, kind,
 * severity, title, retained; snapshots[].reachable.bytes) are part of the contract. Findings
 * are written by `heapwalk leaks`'s writer (src/cli/leaks.h), so they have one JSON shape.
 * docs/report.md documents every member.
 */
#include "report.h"

#include "cli/json.h"
#include "cli/leaks.h"

static void u64_array(hw_json *j, const char *key, const uint64_t *v, guint n)
{
	hw_json_key(j, key);
	hw_json_begin_array(j);
	for (guint i = 0; i < n; i++)
		hw_json_u64(j, v[i]);
	hw_json_end_array(j);
}

static void string_member(hw_json *j, const char *key, const char *v)
{
	hw_json_key(j, key);
	hw_json_string(j, v);
}

static void u64_member(hw_json *j, const char *key, uint64_t v)
{
	hw_json_key(j, key);
	hw_json_u64(j, v);
}

static void location(hw_json *j, const char *key, const hw_location *l)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	string_member(j, "func", l->func);
	string_member(j, "file", l->file);
	u64_member(j, "line", l->line);
	hw_json_end_object(j);
}

static void count_bytes(hw_json *j, const char *key, uint64_t objects, uint64_t bytes)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	u64_member(j, "objects", objects);
	u64_member(j, "bytes", bytes);
	hw_json_end_object(j);
}

static void snapshots(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "snapshots");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->n; i++) {
		const hw_report_snapshot *s = r->snapshots->pdata[i];
		hw_json_begin_object(j);
		string_member(j, "path", s->path);
		hw_json_key(j, "time_ns");
		if (s->time_ns)
			hw_json_i64(j, s->time_ns);
		else
			hw_json_null(j);
		hw_json_key(j, "partial");
		hw_json_bool(j, s->damage != NULL);
		hw_json_key(j, "damage");
		if (s->damage)
			hw_json_string(j, s->damage);
		else
			hw_json_null(j);
		count_bytes(j, "reachable", s->totals.reachable_count, s->totals.reachable_bytes);
		count_bytes(j, "unreachable", s->totals.unreachable_count, s->totals.unreachable_bytes);
		u64_member(j, "goroutines", s->goroutines);
		hw_json_key(j, "mem");
		hw_json_begin_object(j);
		for (guint k = 0; k < s->mem->len; k++) {
			const hw_report_mem *m = &g_array_index(s->mem, hw_report_mem, k);
			u64_member(j, m->key, m->value);
		}
		hw_json_end_object(j);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
}

static void summary(hw_json *j, const hw_report *r)
{
	hw_report_tally t = hw_report_tally_of(r);

	hw_json_key(j, "summary");
	hw_json_begin_object(j);
	u64_member(j, "snapshots", r->n);
	u64_member(j, "findings", r->findings->len);
	hw_json_key(j, "by_severity");
	hw_json_begin_object(j);
	for (int s = HW_SEVERITY_HIGH; s >= HW_SEVERITY_LOW; s--)
		u64_member(j, hw_severity_name(s), t.by_severity[s]);
	hw_json_end_object(j);
	u64_member(j, "new_findings", t.fresh);
	u64_member(j, "gone_findings", r->gone->len);
	string_member(j, "growth_from", t.from_baseline ? "baseline" : "first");
	u64_member(j, "reachable_from", t.from);
	u64_member(j, "reachable_to", t.to);
	hw_json_key(j, "growth_pct");
	hw_json_double(j, t.growth_pct);   /* null when infinite (from 0 bytes) */
	hw_json_end_object(j);
}

/* The finding objects are `heapwalk leaks`'s (json-schema.md, "finding"): one shape for a
 * finding wherever heapwalk writes one. */
static void findings(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "findings");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->findings->len; i++)
		hw_leaks_json_finding(j, r->findings->pdata[i]);
	hw_json_end_array(j);
}

static void baseline(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "baseline");
	if (!r->baseline) {
		hw_json_null(j);
		return;
	}
	hw_json_begin_object(j);
	string_member(j, "path", r->baseline);
	u64_member(j, "reachable", r->baseline_reachable);
	hw_json_key(j, "new");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->findings->len; i++)
		if (r->is_new[i])
			hw_json_string(j, ((const hw_finding *)r->findings->pdata[i])->key);
	hw_json_end_array(j);
	hw_json_key(j, "gone");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->gone->len; i++) {
		const hw_report_gone *g = r->gone->pdata[i];
		hw_json_begin_object(j);
		string_member(j, "key", g->key);
		string_member(j, "kind", g->kind);
		string_member(j, "severity", g->severity);
		string_member(j, "title", g->title);
		u64_member(j, "retained", g->retained);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void types(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "types");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->types->len; i++) {
		const hw_report_type *t = r->types->pdata[i];
		hw_json_begin_object(j);
		string_member(j, "type", t->name);
		u64_array(j, "count", t->count, r->n);
		u64_array(j, "bytes", t->bytes, r->n);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
}

static void dominators(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "dominators");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->top->len; i++) {
		const hw_report_node *n = &g_array_index(r->top, hw_report_node, i);
		hw_json_begin_object(j);
		u64_member(j, "depth", n->depth);
		string_member(j, "type", n->type);
		hw_json_key(j, "addr");
		hw_json_addr(j, n->addr);
		u64_member(j, "size", n->size);
		u64_member(j, "retained", n->retained);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
}

static void goroutines(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "goroutines");
	hw_json_begin_object(j);
	u64_member(j, "groups", r->goroutine_groups);
	hw_json_key(j, "top");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->goroutines->len; i++) {
		const hw_goroutine_group *g = r->goroutines->pdata[i];
		hw_json_begin_object(j);
		string_member(j, "key", g->key);
		string_member(j, "state", g->state);
		string_member(j, "wait_reason", g->wait_reason);
		string_member(j, "start_func", g->start_func);
		location(j, "created_at", &g->created_at);
		location(j, "waits_at", &g->waits_at);
		u64_member(j, "count", g->count);
		hw_json_key(j, "longest_wait_ns");   /* -1 unknown, as in heapwalk/goroutines/1 */
		hw_json_i64(j, g->longest_wait_ns);
		u64_member(j, "stack_bytes", g->stack_bytes);
		u64_member(j, "retained", g->retained);
		u64_member(j, "example_goroutine", g->example_id);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void gate(hw_json *j, const hw_report *r)
{
	hw_json_key(j, "gate");
	hw_json_begin_object(j);
	hw_json_key(j, "enabled");
	hw_json_bool(j, r->gate.enabled);
	hw_json_key(j, "rules");
	if (r->gate.rules)
		hw_json_string(j, r->gate.rules);
	else
		hw_json_null(j);
	hw_json_key(j, "failed");
	hw_json_bool(j, r->gate.failed);
	hw_json_key(j, "violations");
	hw_json_begin_array(j);
	for (guint i = 0; i < r->gate.violations->len; i++)
		hw_json_string(j, r->gate.violations->pdata[i]);
	hw_json_end_array(j);
	hw_json_end_object(j);
}

void hw_report_write_json(const hw_report *r, FILE *out)
{
	g_autoptr(hw_json) j = hw_json_new(out, TRUE);

	hw_json_begin_object(j);
	string_member(j, "schema", HW_REPORT_SCHEMA);
	snapshots(j, r);
	summary(j, r);
	findings(j, r);
	baseline(j, r);
	types(j, r);
	dominators(j, r);
	goroutines(j, r);
	hw_json_key(j, "pprof");
	if (r->pprof)
		hw_json_string(j, r->pprof);
	else
		hw_json_null(j);
	gate(j, r);
	hw_json_end_object(j);
}
