/* leaks.c - summarise snapshots one at a time, then run the leak detectors over the series.
 *
 * hw_leak_summary_compute() makes one pass over the objects to find containers (slice
 * backing arrays, and maps with their internals), keeps those holding at least
 * cache_min_entries pointers, and aggregates them by retention-path signature; it groups the
 * goroutines (goroutines.h) and, for the single-snapshot rule, descends from every large
 * dominator to its accumulation point. Only strings and numbers are kept, so a series of
 * large snapshots is analysed one snapshot at a time. Given allocation sites (the last
 * snapshot's), it also keeps where each group's retained objects were allocated.
 * hw_leaks_detect() hands the summaries to the detectors in leaks/ and sorts what they find.
 */
#include "findings.h"
#include "graph-private.h"
#include "groups.h"
#include "leaks/detectors.h"
#include "retained.h"

#include <string.h>

/* ---- containers -------------------------------------------------------------------------- */

static gboolean is_slot_label(const hw_graph *g, uint32_t label)
{
	uint32_t len;
	const char *s = hw_graph_string(g, label, &len);
	return len >= 7 && (g_strstr_len(s, len, "map key") || g_strstr_len(s, len, "map value"));
}

static gboolean has_label(const hw_graph *g, uint32_t label, const char *what)
{
	uint32_t len;
	const char *s = hw_graph_string(g, label, &len);
	return g_strstr_len(s, len, what) != NULL;
}

/* What the scan asks of a type, per type id, computed once: the kind in the low bits. */
enum { TYPE_KIND_MASK = 0x0F, TYPE_LISTENER_NAME = 0x10 };

typedef struct scan_state {
	const hw_graph *g;
	hw_domtree *d;
	const hw_path_index *p;
	const hw_allocsites *sites;  /* NULL: no allocation sites asked for */
	const hw_leak_thresholds *t;
	GArray *stack;              /* uint32_t, map internals to visit */
	guint8 *seen;               /* map internals already counted, one bit per object */
	guint8 *type_info;          /* per type id 0..n_types: kind | TYPE_LISTENER_NAME */
	uint32_t n_types;
} scan_state;

static hwd_type_kind kind_of(const scan_state *s, uint32_t v)
{
	uint32_t t = hw_graph_object(s->g, v).type;
	return (hwd_type_kind)(t <= s->n_types ? s->type_info[t] & TYPE_KIND_MASK : HWD_TYPE_UNKNOWN);
}

/* A map's internal edge: to another map-kind object, not through a key or value slot. */
static gboolean is_internal_edge(const scan_state *s, const hwd_edge *e)
{
	return hw_edge_is_strong(e) && kind_of(s, e->to) == HWD_TYPE_MAP && !is_slot_label(s->g, e->label);
}

/* Names that mark a listener: the suffixes of the issue, with or without a leading '*'. */
static gboolean is_listener_name(const char *s, size_t len)
{
	static const char *const suffixes[] = { "Listener", "Handler", "Callback", "Observer", "Subscriber" };
	if (len >= 4 && memcmp(s, "func", 4) == 0)
		return TRUE;
	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		size_t k = strlen(suffixes[i]);
		if (len >= k && memcmp(s + len - k, suffixes[i], k) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The element type of "[]T", "[N]T" or "map[K]V" (V), or NULL. */
static const char *element_type(const char *s, uint32_t len, uint32_t *elen)
{
	uint32_t i = 0;
	if (len > 4 && memcmp(s, "map[", 4) == 0) {
		int depth = 0;
		for (i = 3; i < len; i++) {
			depth += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
			if (depth == 0)
				break;
		}
	} else if (len > 2 && s[0] == '[') {
		while (i < len && s[i] != ']')
			i++;
	} else {
		return NULL;
	}
	if (i + 1 >= len)
		return NULL;
	*elen = len - i - 1;
	return s + i + 1;
}

typedef struct container_info {
	uint64_t bytes, entries;
	uint64_t closures, interfaces, named, listener_retained;
	char *named_type;           /* first listener-named element type seen */
} container_info;

/* Counts one entry edge from `holder` (the head or a map internal) of a container. */
static void count_entry(scan_state *s, uint32_t holder, const hwd_edge *e, container_info *ci,
                        uint64_t *keys, uint64_t *values)
{
	if (has_label(s->g, e->label, "map key")) {
		(*keys)++;
		return;   /* keys are never listeners: only values and slice elements are */
	}
	if (has_label(s->g, e->label, "map value"))
		(*values)++;
	else
		ci->entries++;
	uint32_t type = hw_graph_object(s->g, e->to).type;
	guint8 info = type <= s->n_types ? s->type_info[type] : HWD_TYPE_UNKNOWN;
	hwd_type_kind k = (hwd_type_kind)(info & TYPE_KIND_MASK);
	gboolean listener = TRUE;
	if (k == HWD_TYPE_CLOSURE)
		ci->closures++;
	else if (k == HWD_TYPE_INTERFACE)
		ci->interfaces++;
	else if (info & TYPE_LISTENER_NAME) {
		ci->named++;
		if (!ci->named_type) {
			uint32_t len;
			const char *name = hw_graph_type_name(s->g, type, &len);
			ci->named_type = g_strndup(name, len);
		}
	} else
		listener = FALSE;
	if (listener && hw_domtree_idom(s->d, e->to) == holder)
		ci->listener_retained += hw_retained_size(s->d, e->to);
}

/* Measures the container headed by v: its storage and the pointers it holds. */
static container_info measure(scan_state *s, uint32_t v)
{
	container_info ci = { 0 };
	uint64_t keys = 0, values = 0;
	const gboolean is_map = kind_of(s, v) == HWD_TYPE_MAP;
	g_array_set_size(s->stack, 0);
	g_array_append_val(s->stack, v);
	s->seen[v >> 3] |= (guint8)(1u << (v & 7));
	while (s->stack->len) {
		uint32_t x = g_array_index(s->stack, uint32_t, s->stack->len - 1);
		g_array_set_size(s->stack, s->stack->len - 1);
		ci.bytes += hw_graph_object_size(s->g, x);
		uint64_t e, end;
		hw_graph_out_edges(s->g, x, &e, &end);
		while (e < end) {   /* span by span: an object's edges may straddle two runs */
			const hwd_edge *span;
			uint64_t k = hw_graph_edge_span(s->g, e, end, &span);
			e += k;
			for (const hwd_edge *ed = span; ed < span + k; ed++) {
				if (!hw_edge_is_strong(ed))
					continue;
				if (is_map && is_internal_edge(s, ed)) {
					if (!hw_bit(s->seen, ed->to)) {
						s->seen[ed->to >> 3] |= (guint8)(1u << (ed->to & 7));
						g_array_append_val(s->stack, ed->to);
					}
					continue;
				}
				count_entry(s, x, ed, &ci, &keys, &values);
			}
		}
	}
	ci.entries += MAX(keys, values);
	return ci;
}

/* A container head: a slice backing array, or a map-kind object not reached as a map's
 * internal (its path's last edge is a slot, or comes from a non-map object or a root). */
static gboolean is_head(scan_state *s, uint32_t v)
{
	hwd_type_kind k = kind_of(s, v);
	if (k == HWD_TYPE_SLICE_ARRAY)
		return TRUE;
	if (k != HWD_TYPE_MAP)
		return FALSE;
	uint64_t edge, rec;
	if (!hw_path_parent(s->p, v, &edge, &rec))
		return FALSE;
	if (edge == UINT64_MAX)
		return TRUE;
	hwd_edge ed = hw_graph_edge(s->g, edge);
	return kind_of(s, ed.from) != HWD_TYPE_MAP || is_slot_label(s->g, ed.label);
}

static void container_group_free(gpointer p)
{
	hw_container_group *c = p;
	g_free(c->signature);
	g_free(c->type);
	g_free(c->element);
	hw_finding_path_clear(&c->path);
	hw_location_clear(&c->look_at);
	hw_finding_sites_clear(&c->sites);
	g_free(c);
}

static void hotspot_free(gpointer p)
{
	hw_hotspot *h = p;
	g_free(h->signature);
	g_free(h->dominator_type);
	g_free(h->type);
	hw_finding_path_clear(&h->path);
	hw_location_clear(&h->look_at);
	hw_finding_sites_clear(&h->sites);
	g_free(h);
}

static char *type_name(const hw_graph *g, uint32_t v)
{
	uint32_t len;
	const char *s = hw_graph_type_name(g, hw_graph_object(g, v).type, &len);
	return g_strndup(s, len);
}

static hw_finding_path path_to(const hw_graph *g, const hw_path_index *p, uint32_t v)
{
	hw_path path;
	hw_finding_path out = { 0 };
	if (hw_path_find(p, v, &path)) {
		out = hw_finding_path_from(g, &path);
		hw_path_clear(&path);
	}
	return out;
}

typedef struct member {
	uint32_t object;
	uint32_t group;
} member;

static gint by_group(gconstpointer a, gconstpointer b)
{
	const member *x = a, *y = b;
	return x->group != y->group ? (x->group < y->group ? -1 : 1) : (x->object > y->object) - (x->object < y->object);
}

/* The allocation sites of what each group's outermost members retain, one group at a time
 * (an accumulator costs 24 bytes per site of the snapshot). Consumes `outer_members`. */
static void container_sites(hw_leak_summary *sum, scan_state *s, GArray *outer_members)
{
	g_array_sort(outer_members, by_group);
	for (guint i = 0; i < outer_members->len;) {
		uint32_t group = g_array_index(outer_members, member, i).group;
		hw_site_acc *a = hw_site_acc_new(s->sites);
		for (; i < outer_members->len && g_array_index(outer_members, member, i).group == group; i++)
			hw_site_acc_add_subtree(a, s->d, g_array_index(outer_members, member, i).object);
		g_autoptr(hw_site_summary) ss = hw_site_acc_finish(a);
		hw_container_group *c = g_ptr_array_index(sum->containers, group - 1);
		hw_finding_sites_clear(&c->sites);
		c->sites = hw_finding_sites_from(s->sites, ss);
	}
}

static uint32_t member_group(uint32_t v, void *user)
{
	return ((uint32_t *)user)[v];
}

static gboolean summarise_containers(hw_leak_summary *sum, scan_state *s, hw_progress_fn progress, void *user,
                                     GError **error)
{
	uint32_t n = hw_graph_n_objects(s->g);
	g_autoptr(GArray) members = g_array_new(FALSE, FALSE, sizeof(member));

	for (uint32_t v = 0; v < n; v++) {
		if (progress && (v & 0xFFFFF) == 0)
			progress("containers", (double)v / n, user);
		if (!hw_domtree_reachable(s->d, v) || hw_bit(s->seen, v) || !is_head(s, v))
			continue;
		container_info ci = measure(s, v);
		if (ci.entries < s->t->cache_min_entries) {
			g_free(ci.named_type);
			continue;
		}
		g_autofree char *sig = hw_groups_signature(s->g, s->p, v);
		hw_container_group *c = g_hash_table_lookup(sum->container_by_signature, sig);
		if (!c) {
			c = g_new0(hw_container_group, 1);
			c->signature = g_steal_pointer(&sig);
			c->sites = hw_finding_sites_from(NULL, NULL);
			g_ptr_array_add(sum->containers, c);
			c->id = sum->containers->len;
			g_hash_table_insert(sum->container_by_signature, c->signature, c);
		}
		uint64_t listeners = ci.closures + ci.interfaces + ci.named;
		uint32_t len;
		const char *tn = hw_graph_type_name(s->g, hw_graph_object(s->g, v).type, &len), *el;
		uint32_t elen = 0;
		el = len ? element_type(tn, len, &elen) : NULL;
		gboolean named_collection = el && elen && is_listener_name(el + (el[0] == '*'), elen - (el[0] == '*'));
		if (named_collection)
			listeners = ci.entries;
		c->count++;
		c->bytes += ci.bytes;
		c->entries += ci.entries;
		c->listener_entries += listeners;
		c->listener_retained += ci.listener_retained;
		if (!c->type || hw_retained_size(s->d, v) > c->retained) {
			g_free(c->type);
			c->type = g_strndup(tn, len);
			g_free(c->element);
			/* What the elements are, by majority; the declared element type if none is. */
			c->element = ci.closures >= MAX(ci.interfaces, ci.named) && ci.closures ? g_strdup("closure")
			           : ci.interfaces >= ci.named && ci.interfaces ? g_strdup("interface")
			           : ci.named_type ? g_strdup(ci.named_type)
			           : named_collection ? g_strndup(el, elen) : g_strdup("");
			hw_finding_path_clear(&c->path);
			c->path = path_to(s->g, s->p, v);
			hw_location_clear(&c->look_at);
			c->look_at = hw_leaks_root_location(&c->path);
		}
		g_free(ci.named_type);
		member m = { v, c->id };
		g_array_append_val(members, m);
		/* Provisional: the largest member's retained, to pick the example; summed below. */
		c->retained = MAX(c->retained, hw_retained_size(s->d, v));
	}
	for (guint i = 0; i < sum->containers->len; i++) {
		hw_container_group *c = g_ptr_array_index(sum->containers, i);
		c->listeners = c->entries && (double)c->listener_entries >= s->t->listener_element_share * (double)c->entries;
		c->retained = 0;
	}
	if (members->len == 0)
		return TRUE;

	/* Retained of the outermost members of each group (hw_domtree_outermost). */
	uint32_t *key = g_try_new0(uint32_t, n ? n : 1);
	if (!key) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory summarising containers (%u objects)", n);
		return FALSE;
	}
	for (guint i = 0; i < members->len; i++)
		key[g_array_index(members, member, i).object] = g_array_index(members, member, i).group;
	guint8 *outer = hw_domtree_outermost(s->d, member_group, sum->containers->len + 1, key);
	g_free(key);
	if (!outer) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory summarising containers (%u objects)", n);
		return FALSE;
	}
	gboolean want_sites = s->sites && hw_allocsites_available(s->sites);
	g_autoptr(GArray) outer_members = g_array_new(FALSE, FALSE, sizeof(member));
	for (guint i = 0; i < members->len; i++) {
		const member *m = &g_array_index(members, member, i);
		if (hw_bit(outer, m->object)) {
			((hw_container_group *)g_ptr_array_index(sum->containers, m->group - 1))->retained +=
				hw_retained_size(s->d, m->object);
			if (want_sites)
				g_array_append_val(outer_members, *m);
		}
	}
	g_free(outer);
	if (want_sites)
		container_sites(sum, s, outer_members);
	return TRUE;
}

/* ---- hotspots: the single-snapshot rule ----------------------------------------------- */

static void summarise_hotspots(hw_leak_summary *sum, scan_state *s)
{
	uint32_t n = hw_graph_n_objects(s->g), count;
	const uint32_t *top = hw_domtree_children(s->d, n, &count);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t dom = top[i];
		uint64_t held = hw_retained_size(s->d, dom);
		if ((double)held < s->t->cache_dominator_share * (double)sum->heap_bytes)
			break;   /* children come largest first */
		/* Down the tree while the biggest child keeps cache_accumulation of its parent. */
		uint32_t cur = dom, nc;
		const uint32_t *kids = hw_domtree_children(s->d, cur, &nc);
		while (nc > 0 && (double)hw_retained_size(s->d, kids[0]) >=
		                 s->t->cache_accumulation * (double)hw_retained_size(s->d, cur)) {
			cur = kids[0];
			kids = hw_domtree_children(s->d, cur, &nc);
		}
		hw_hotspot *h = g_new0(hw_hotspot, 1);
		h->signature = hw_groups_signature(s->g, s->p, cur);
		h->dominator_type = type_name(s->g, dom);
		h->dominator_retained = held;
		h->type = type_name(s->g, cur);
		h->bytes = hw_graph_object_size(s->g, cur);
		h->retained = hw_retained_size(s->d, cur);
		h->entries = nc;
		h->path = path_to(s->g, s->p, cur);
		h->look_at = hw_leaks_root_location(&h->path);
		if (s->sites && hw_allocsites_available(s->sites)) {
			g_autoptr(hw_site_summary) ss = hw_allocsites_summarize_subtree(s->sites, s->d, cur);
			h->sites = hw_finding_sites_from(s->sites, ss);
		} else {
			h->sites = hw_finding_sites_from(NULL, NULL);
		}
		g_ptr_array_add(sum->hotspots, h);
	}
}

/* ---- the summary -------------------------------------------------------------------------- */

void hw_leak_summary_free(hw_leak_summary *s)
{
	if (!s)
		return;
	g_clear_pointer(&s->goroutines, g_ptr_array_unref);
	g_clear_pointer(&s->container_by_signature, g_hash_table_unref);
	g_clear_pointer(&s->containers, g_ptr_array_unref);
	g_clear_pointer(&s->hotspots, g_ptr_array_unref);
	g_free(s);
}

uint64_t hw_leak_summary_heap_bytes(const hw_leak_summary *s)
{
	return s->heap_bytes;
}

hw_leak_summary *hw_leak_summary_compute(hw_domtree *d, const hw_path_index *p, const hw_allocsites *sites,
                                         const hw_leak_thresholds *t, hw_progress_fn progress, void *user, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	uint32_t n = hw_graph_n_objects(g);
	g_autoptr(hw_leak_summary) sum = g_new0(hw_leak_summary, 1);
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autofree guint8 *seen = g_try_malloc0((gsize)n / 8 + 1);

	if (!seen) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory summarising %u objects", n);
		return NULL;
	}
	sum->heap_bytes = hw_domtree_totals(d).reachable_bytes;
	sum->containers = g_ptr_array_new_with_free_func(container_group_free);
	sum->container_by_signature = g_hash_table_new(g_str_hash, g_str_equal);
	sum->hotspots = g_ptr_array_new_with_free_func(hotspot_free);
	sum->goroutines = hw_goroutines_group(d, sites, error);
	if (!sum->goroutines)
		return NULL;
	uint32_t n_types = hw_graph_n_types(g);
	g_autofree guint8 *type_info = g_new(guint8, (gsize)n_types + 1);
	for (uint32_t k = 0; k <= n_types; k++) {
		uint32_t len;
		const char *name = hw_graph_type_name(g, k, &len);
		uint16_t kind = hw_graph_type(g, k).kind;
		type_info[k] = (guint8)(kind < HWD_TYPE_KIND__COUNT ? kind : HWD_TYPE_UNKNOWN) |
		               (len && is_listener_name(name, len) ? TYPE_LISTENER_NAME : 0);
	}
	scan_state s = { .g = g, .d = d, .p = p, .sites = sites, .t = t, .stack = stack, .seen = seen,
	                 .type_info = type_info, .n_types = n_types };
	if (!summarise_containers(sum, &s, progress, user, error))
		return NULL;
	summarise_hotspots(sum, &s);
	if (progress)
		progress("containers", 1.0, user);
	return g_steal_pointer(&sum);
}

/* ---- helpers the detectors share ---------------------------------------------------------- */

hw_finding *hw_leaks_finding_new(hw_finding_kind kind, guint n)
{
	hw_finding *f = g_new0(hw_finding, 1);
	f->kind = kind;
	f->n_snapshots = n;
	f->counts = g_new0(uint64_t, n);
	f->bytes = g_new0(uint64_t, n);
	f->retained = g_new0(uint64_t, n);
	f->sites = hw_finding_sites_from(NULL, NULL);
	return f;
}

gboolean hw_leaks_grows(const uint64_t *v, guint n, uint64_t min_growth, const hw_leak_thresholds *t)
{
	if (n < 2 || v[n - 1] < v[0] || v[n - 1] - v[0] < MAX(min_growth, 1))
		return FALSE;
	if ((double)v[n - 1] < (double)v[0] * (1.0 + t->growth_ratio))
		return FALSE;
	guint rising = 0;
	for (guint i = 1; i < n; i++)
		rising += v[i] > v[i - 1];
	return (double)rising >= t->growth_rising_fraction * (double)(n - 1);
}

static double per_step(const uint64_t *v, guint n)
{
	return n < 2 ? 0.0 : ((double)v[n - 1] - (double)v[0]) / (double)(n - 1);
}

void hw_leaks_finding_finish(hw_finding *f, const uint64_t *growth_values, gboolean growing,
                             const hw_leak_summary *last, const hw_leak_thresholds *t)
{
	guint n = f->n_snapshots;
	f->growth = per_step(growth_values, n);
	f->retained_growth = per_step(f->retained, n);
	f->count = f->counts[n - 1];
	f->bytes_last = f->bytes[n - 1];
	f->retained_last = f->retained[n - 1];
	f->heap_share = last->heap_bytes ? (double)f->retained_last / (double)last->heap_bytes : 0.0;
	if (f->heap_share >= t->severity_high_share)
		f->severity = HW_SEVERITY_HIGH;
	else if (f->heap_share >= t->severity_medium_share || growing)
		f->severity = HW_SEVERITY_MEDIUM;
	else
		f->severity = HW_SEVERITY_LOW;
}

hw_location hw_leaks_root_location(const hw_finding_path *p)
{
	if (!p->root.name)
		return (hw_location){ g_strdup(""), g_strdup(""), 0 };
	if (p->root.kind == HWD_ROOT_STACK)
		return hw_location_copy(&p->root.frame);
	return (hw_location){ g_strdup(p->root.name), g_strdup(""), 0 };
}

char *hw_leaks_root_text(const hw_finding_path *p)
{
	const char *name = p->root.name ? p->root.name : "";
	if (p->root.kind == HWD_ROOT_GLOBAL && *name)
		return g_strdup(name);
	GString *s = g_string_new(NULL);
	if (p->root.kind == HWD_ROOT_STACK) {
		const hw_location *f = &p->root.frame;
		g_string_append(s, "stack slot");
		if (*name)
			g_string_append_printf(s, " %s", name);
		if (f->func && *f->func)
			g_string_append_printf(s, " of %s", f->func);
		if (f->file && *f->file)
			g_string_append_printf(s, " (%s:%u)", f->file, f->line);
	} else {
		g_string_append_printf(s, "%s root", hw_root_kind_name(p->root.kind));
		if (*name)
			g_string_append_printf(s, " %s", name);
	}
	return g_string_free(s, FALSE);
}

static gint by_severity(gconstpointer a, gconstpointer b)
{
	const hw_finding *x = *(hw_finding *const *)a, *y = *(hw_finding *const *)b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->retained_last != y->retained_last)
		return x->retained_last > y->retained_last ? -1 : 1;
	return strcmp(x->key, y->key);
}

GPtrArray *hw_leaks_detect(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)hw_finding_free);
	if (n == 0)
		return out;
	hw_leaks_detect_goroutines(series, n, t, out);
	hw_leaks_detect_caches(series, n, t, out);
	hw_leaks_detect_listeners(series, n, t, out);
	g_ptr_array_sort(out, by_severity);
	return out;
}
