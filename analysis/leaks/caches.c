/* caches.c - the growing-cache detector.
 *
 * Over a series: containers that are not listener collections (listeners.c reports those),
 * grouped by retention-path signature and matched across snapshots by it, are reported when
 * their entries grow (cache_min_growth) or their retained bytes grow
 * (cache_min_retained_growth), by the growth rule of findings.h. In a single snapshot: each
 * dominator holding cache_dominator_share of the heap, reported at its accumulation point,
 * unless that point is a listener collection.
 *
 * Series growth skips containers whose retention path starts at a global of the Go runtime
 * (runtime.allgs, runtime.allm, ...): they are its bookkeeping, which no program can bound.
 * runtime.allgs never shrinks (dead goroutines are kept for reuse), so it grows with every
 * new peak of concurrency, leak or not; a goroutine leak is the goroutines detector's finding.
 */
#include "detectors.h"

/* A container of the runtime's own (see the file comment). */
static gboolean runtime_bookkeeping(const hw_container_group *c)
{
	return c->path.root.kind == HWD_ROOT_GLOBAL && g_str_has_prefix(c->path.root.name, "runtime.");
}

static hw_finding *container_finding(const hw_container_group *c, hw_leak_summary *const *series, guint n,
                                     hw_finding_kind kind, uint64_t *entries, gboolean listeners)
{
	hw_finding *f = hw_leaks_finding_new(kind, n);
	for (guint i = 0; i < n; i++) {
		const hw_container_group *m = g_hash_table_lookup(series[i]->container_by_signature, c->signature);
		if (m) {
			f->counts[i] = listeners ? m->listener_entries : m->count;
			f->bytes[i] = m->bytes;
			f->retained[i] = m->retained;
			entries[i] = listeners ? m->listener_entries : m->entries;
		}
	}
	f->key = g_strdup_printf("%s:%s", hw_finding_kind_name(kind), c->signature);
	f->signature = g_strdup(c->signature);
	f->path = hw_finding_path_copy(&c->path);
	f->look_at = hw_location_copy(&c->look_at);
	hw_finding_sites_clear(&f->sites);
	f->sites = hw_finding_sites_copy(&c->sites);
	return f;
}

static void report_growth(const hw_container_group *c, hw_leak_summary *const *series, guint n,
                          const hw_leak_thresholds *t, GPtrArray *out)
{
	g_autofree uint64_t *entries = g_new0(uint64_t, n);
	hw_finding *f = container_finding(c, series, n, HW_FINDING_CACHE, entries, FALSE);
	if (!hw_leaks_grows(entries, n, t->cache_min_growth, t) &&
	    !hw_leaks_grows(f->retained, n, t->cache_min_retained_growth, t)) {
		hw_finding_free(f);
		return;
	}
	hw_leaks_finding_finish(f, entries, TRUE, series[n - 1], t);
	f->u.cache.container_type = g_strdup(c->type);
	f->u.cache.entries = g_steal_pointer(&entries);
	f->u.cache.dominator_type = g_strdup("");
	g_autofree char *held = g_format_size_full(f->retained_last, G_FORMAT_SIZE_IEC_UNITS);
	g_autofree char *root = hw_leaks_root_text(&f->path);
	f->title = g_strdup_printf("%s at %s grows by %.1f entries per snapshot (%" G_GUINT64_FORMAT
	                           " entries, %s retained)", c->type, root, f->growth,
	                           f->u.cache.entries[n - 1], held);
	f->suggestion = g_strdup("bound this container: evict or expire entries (an LRU, a TTL), or delete "
	                         "each entry when the work it belongs to is done");
	g_ptr_array_add(out, f);
}

static void report_hotspot(const hw_hotspot *h, hw_leak_summary *const *series, const hw_leak_thresholds *t,
                           GPtrArray *out)
{
	hw_finding *f = hw_leaks_finding_new(HW_FINDING_CACHE, 1);
	f->counts[0] = 1;
	f->bytes[0] = h->bytes;
	f->retained[0] = h->retained;
	uint64_t one = h->entries;
	hw_leaks_finding_finish(f, &one, FALSE, series[0], t);
	f->key = g_strdup_printf("cache:%s", h->signature ? h->signature : "");
	f->signature = g_strdup(h->signature ? h->signature : "");
	f->path = hw_finding_path_copy(&h->path);
	f->look_at = hw_location_copy(&h->look_at);
	hw_finding_sites_clear(&f->sites);
	f->sites = hw_finding_sites_copy(&h->sites);
	f->u.cache.container_type = g_strdup(h->type);
	f->u.cache.entries = g_new(uint64_t, 1);
	f->u.cache.entries[0] = h->entries;
	f->u.cache.dominator_type = g_strdup(h->dominator_type);
	f->u.cache.dominator_retained = h->dominator_retained;
	g_autofree char *held = g_format_size_full(h->dominator_retained, G_FORMAT_SIZE_IEC_UNITS);
	double share = series[0]->heap_bytes ? 100.0 * (double)h->dominator_retained / (double)series[0]->heap_bytes : 0;
	g_autofree char *root = hw_leaks_root_text(&f->path);
	f->title = g_strdup_printf("%s at %s retains %s (%.0f%% of the heap), accumulated in %s (%" G_GUINT64_FORMAT
	                           " entries)", h->dominator_type, root, held, share, h->type, h->entries);
	f->suggestion = g_strdup("check that this structure should hold this much: bound it (evict, expire) or "
	                         "drop references to entries that are done");
	g_ptr_array_add(out, f);
}

void hw_leaks_detect_caches(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t, GPtrArray *out)
{
	const hw_leak_summary *last = series[n - 1];
	if (n == 1) {
		for (guint i = 0; i < last->hotspots->len; i++) {
			const hw_hotspot *h = g_ptr_array_index(last->hotspots, i);
			const hw_container_group *c = h->signature ?
				g_hash_table_lookup(last->container_by_signature, h->signature) : NULL;
			if (!c || !c->listeners)
				report_hotspot(h, series, t, out);
		}
		return;
	}
	for (guint i = 0; i < last->containers->len; i++) {
		const hw_container_group *c = g_ptr_array_index(last->containers, i);
		if (!c->listeners && !runtime_bookkeeping(c))
			report_growth(c, series, n, t, out);
	}
}
