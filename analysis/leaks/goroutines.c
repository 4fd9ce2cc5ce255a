/* goroutines.c - the leaked-goroutine detector.
 *
 * A goroutine group (goroutines.h) is a leak suspect when it is blocked for good reasons to
 * suspect it never wakes up: in a channel operation, a select, a sync wait or a sleep (not
 * in I/O, where a server's idle connections normally wait). Over a series, a suspect group is
 * reported when its count grows (the growth rule of findings.h, matched across snapshots by
 * the group key); in a single snapshot, when it is many (goroutine_many) and has waited long
 * (goroutine_long_wait_ns).
 */
#include "detectors.h"

#include <string.h>

static gboolean is_blocking(const char *reason)
{
	static const char *const prefixes[] = { "chan ", "select", "sync.", "semacquire", "sleep" };
	for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_str_has_prefix(reason, prefixes[i]))
			return TRUE;
	return FALSE;
}

static const hw_goroutine_group *find(const hw_leak_summary *s, const char *key)
{
	for (guint i = 0; i < s->goroutines->len; i++) {
		const hw_goroutine_group *g = g_ptr_array_index(s->goroutines, i);
		if (strcmp(g->key, key) == 0)
			return g;
	}
	return NULL;
}

static char *suggestion(const hw_goroutine_group *g)
{
	const hw_location *w = &g->waits_at;
	if (g_str_has_prefix(g->wait_reason, "chan receive"))
		return g_strdup_printf("make the goroutines blocked at %s:%u able to return: close the channel they "
		                       "receive from when done, or select on ctx.Done()", w->file, w->line);
	if (g_str_has_prefix(g->wait_reason, "chan send"))
		return g_strdup_printf("the send at %s:%u has no receiver any more: buffer the channel, or select on "
		                       "ctx.Done() next to the send", w->file, w->line);
	if (g_str_has_prefix(g->wait_reason, "select"))
		return g_strdup_printf("give the select at %s:%u a way out: a case on ctx.Done() or on a quit "
		                       "channel that is closed on shutdown", w->file, w->line);
	if (g_str_has_prefix(g->wait_reason, "sleep"))
		return g_strdup_printf("the loop sleeping at %s:%u never ends: stop it with a context or a "
		                       "time.Ticker that is stopped", w->file, w->line);
	return g_strdup_printf("find who never unlocks, signals or calls Done for the goroutines waiting at %s:%u",
	                       w->file, w->line);
}

static void report(const hw_goroutine_group *g, hw_leak_summary *const *series, guint n, gboolean growing,
                   const hw_leak_thresholds *t, GPtrArray *out)
{
	hw_finding *f = hw_leaks_finding_new(HW_FINDING_GOROUTINES, n);
	for (guint i = 0; i < n; i++) {
		const hw_goroutine_group *m = find(series[i], g->key);
		if (m) {
			f->counts[i] = m->count;
			f->bytes[i] = m->stack_bytes;
			f->retained[i] = m->retained;
		}
	}
	hw_leaks_finding_finish(f, f->counts, growing, series[n - 1], t);
	f->key = g_strdup_printf("goroutines:%s", g->key);
	f->signature = g_strdup(g->key);
	hw_finding_goroutines *d = &f->u.goroutines;
	d->state = g_strdup(g->state);
	d->wait_reason = g_strdup(g->wait_reason);
	d->start_func = g_strdup(g->start_func);
	d->created_at = hw_location_copy(&g->created_at);
	d->waits_at = hw_location_copy(&g->waits_at);
	d->longest_wait_ns = g->longest_wait_ns;
	d->stack_bytes = g->stack_bytes;
	f->look_at = hw_location_copy(&g->waits_at);
	hw_finding_sites_clear(&f->sites);
	f->sites = hw_finding_sites_copy(&g->sites);
	/* The path of a goroutine leak is the goroutine itself, at the frame where it waits. */
	f->path.root = (hw_finding_root){
		.kind = HWD_ROOT_STACK, .name = g_strdup(""), .goroutine_id = g->example_id,
		.frame = hw_location_copy(&g->waits_at), .type = g_strdup(""),
	};
	f->path.steps = g_array_new(FALSE, FALSE, sizeof(hw_finding_step));
	g_autofree char *growth = growing ? g_strdup_printf(", +%.1f per snapshot", f->growth) : g_strdup("");
	f->title = g_strdup_printf("%" G_GUINT64_FORMAT " goroutines blocked in %s at %s:%u, started at %s:%u%s",
	                           g->count, g->wait_reason, g->waits_at.file, g->waits_at.line,
	                           g->created_at.file, g->created_at.line, growth);
	f->suggestion = suggestion(g);
	g_ptr_array_add(out, f);
}

void hw_leaks_detect_goroutines(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t, GPtrArray *out)
{
	const hw_leak_summary *last = series[n - 1];
	g_autofree uint64_t *counts = g_new0(uint64_t, n);
	for (guint k = 0; k < last->goroutines->len; k++) {
		const hw_goroutine_group *g = g_ptr_array_index(last->goroutines, k);
		if (!is_blocking(g->wait_reason))
			continue;
		if (n == 1) {
			if (g->count >= t->goroutine_many && g->longest_wait_ns >= t->goroutine_long_wait_ns)
				report(g, series, n, FALSE, t, out);
			continue;
		}
		for (guint i = 0; i < n; i++) {
			const hw_goroutine_group *m = find(series[i], g->key);
			counts[i] = m ? m->count : 0;
		}
		if (hw_leaks_grows(counts, n, t->goroutine_min_growth, t))
			report(g, series, n, TRUE, t, out);
	}
}
