/* listeners.c - the unreleased-listener detector.
 *
 * A listener collection is a container (detectors.h) most of whose entries
 * (listener_element_share) are function values (closures), interface values, or objects of
 * a type named like *Listener, *Handler, *Callback, *Observer or *Subscriber; or one whose
 * element type is named so. Over a series, a collection group (matched by retention-path
 * signature) is reported when its listener count grows (listener_min_growth). In a single
 * snapshot, when what its listeners alone hold reaches listener_retained_share of the heap.
 */
#include "detectors.h"

static void report(const hw_container_group *c, hw_leak_summary *const *series, guint n, gboolean growing,
                   const hw_leak_thresholds *t, GPtrArray *out)
{
	hw_finding *f = hw_leaks_finding_new(HW_FINDING_LISTENERS, n);
	uint64_t *entries = g_new0(uint64_t, n);
	for (guint i = 0; i < n; i++) {
		const hw_container_group *m = g_hash_table_lookup(series[i]->container_by_signature, c->signature);
		if (m && m->listeners) {
			f->counts[i] = m->listener_entries;
			f->bytes[i] = m->bytes;
			f->retained[i] = m->retained;
			entries[i] = m->listener_entries;
		}
	}
	hw_leaks_finding_finish(f, entries, growing, series[n - 1], t);
	f->key = g_strdup_printf("listeners:%s", c->signature);
	f->signature = g_strdup(c->signature);
	f->path = hw_finding_path_copy(&c->path);
	f->look_at = hw_location_copy(&c->look_at);
	hw_finding_sites_clear(&f->sites);
	f->sites = hw_finding_sites_copy(&c->sites);
	hw_finding_listeners *d = &f->u.listeners;
	d->collection_type = g_strdup(c->type);
	d->element = g_strdup(c->element);
	d->entries = entries;
	d->closure_retained = c->listener_retained;
	g_autofree char *held = g_format_size_full(c->listener_retained, G_FORMAT_SIZE_IEC_UNITS);
	g_autofree char *growth = growing ? g_strdup_printf(", +%.1f per snapshot", f->growth) : g_strdup("");
	g_autofree char *root = hw_leaks_root_text(&f->path);
	f->title = g_strdup_printf("%" G_GUINT64_FORMAT " %s listeners in %s at %s, holding %s%s",
	                           c->listener_entries, c->element, c->type, root, held, growth);
	f->suggestion = g_strdup("unregister each listener when its owner is done: have the registration return "
	                         "a cancel func and call it (defer), or hold listeners weakly");
	g_ptr_array_add(out, f);
}

void hw_leaks_detect_listeners(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t, GPtrArray *out)
{
	const hw_leak_summary *last = series[n - 1];
	g_autofree uint64_t *counts = g_new0(uint64_t, n);
	for (guint k = 0; k < last->containers->len; k++) {
		const hw_container_group *c = g_ptr_array_index(last->containers, k);
		if (!c->listeners)
			continue;
		if (n == 1) {
			if ((double)c->listener_retained >= t->listener_retained_share * (double)last->heap_bytes)
				report(c, series, n, FALSE, t, out);
			continue;
		}
		for (guint i = 0; i < n; i++) {
			const hw_container_group *m = g_hash_table_lookup(series[i]->container_by_signature, c->signature);
			counts[i] = m && m->listeners ? m->listener_entries : 0;
		}
		if (hw_leaks_grows(counts, n, t->listener_min_growth, t))
			report(c, series, n, TRUE, t, out);
	}
}
