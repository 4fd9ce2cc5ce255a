/* findings.c - the finding model's vocabulary, defaults and lifetimes (see findings.h).
 *
 * The detectors build findings; everything that outlives a snapshot is a copy made here, so
 * a finding never points into a reader's mapping.
 */
#include "findings.h"

#include <string.h>

const char *hw_finding_kind_name(hw_finding_kind kind)
{
	switch (kind) {
	case HW_FINDING_GOROUTINES: return "goroutines";
	case HW_FINDING_CACHE: return "cache";
	case HW_FINDING_LISTENERS: return "listeners";
	default: return "unknown";
	}
}

static const char *const severity_names[] = {
	[HW_SEVERITY_LOW] = "low", [HW_SEVERITY_MEDIUM] = "medium", [HW_SEVERITY_HIGH] = "high",
};

const char *hw_severity_name(hw_severity severity)
{
	return severity >= HW_SEVERITY_LOW && severity <= HW_SEVERITY_HIGH ? severity_names[severity] : "unknown";
}

gboolean hw_severity_parse(const char *name, hw_severity *out)
{
	for (int s = HW_SEVERITY_LOW; s <= HW_SEVERITY_HIGH; s++) {
		if (strcmp(name, severity_names[s]) == 0) {
			*out = (hw_severity)s;
			return TRUE;
		}
	}
	return FALSE;
}

void hw_leak_thresholds_init(hw_leak_thresholds *t)
{
	/* docs/findings.md gives the reason for each value. */
	*t = (hw_leak_thresholds){
		.growth_ratio = 0.10,
		.growth_rising_fraction = 0.5,
		.goroutine_min_growth = 10,
		.goroutine_many = 100,
		.goroutine_long_wait_ns = 60ll * 1000000000ll,
		.cache_min_entries = 16,
		.cache_min_growth = 64,
		.cache_min_retained_growth = 1024 * 1024,
		.cache_dominator_share = 0.10,
		.cache_accumulation = 0.70,
		.listener_min_growth = 10,
		.listener_element_share = 0.5,
		.listener_retained_share = 0.05,
		.severity_high_share = 0.20,
		.severity_medium_share = 0.05,
	};
}

static char *graph_strdup(const hw_graph *g, uint32_t id)
{
	uint32_t len;
	const char *s = hw_graph_string(g, id, &len);
	return g_strndup(s, len);
}

static char *type_strdup(const hw_graph *g, uint32_t object)
{
	uint32_t len;
	const char *s = hw_graph_type_name(g, hw_graph_object(g, object).type, &len);
	return g_strndup(s, len);
}

hw_location hw_location_of_frame(const hw_graph *g, uint32_t index)
{
	const hwd_reader *r = hw_graph_reader(g);
	if (!r || index == HWD_NONE || index >= hwd_reader_frame_count(r))
		return (hw_location){ g_strdup(""), g_strdup(""), 0 };
	hwd_frame f = hwd_reader_frame(r, index);
	return (hw_location){ graph_strdup(g, f.func), graph_strdup(g, f.file), f.line };
}

hw_location hw_location_copy(const hw_location *l)
{
	return (hw_location){ g_strdup(l->func), g_strdup(l->file), l->line };
}

void hw_location_clear(hw_location *l)
{
	g_clear_pointer(&l->func, g_free);
	g_clear_pointer(&l->file, g_free);
	l->line = 0;
}

static void step_clear(gpointer p)
{
	hw_finding_step *s = p;
	g_free(s->label);
	g_free(s->type);
}

static GArray *steps_new(guint reserve)
{
	GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(hw_finding_step), reserve);
	g_array_set_clear_func(a, step_clear);
	return a;
}

hw_finding_path hw_finding_path_from(const hw_graph *g, const hw_path *path)
{
	hw_finding_path out = { 0 };
	const hwd_root *r = &path->root;
	const hwd_reader *reader = hw_graph_reader(g);

	out.root.kind = (hwd_root_kind)r->kind;
	out.root.name = graph_strdup(g, r->name);
	out.root.type = type_strdup(g, r->object);
	out.root.addr = hw_graph_object(g, r->object).addr;
	if (r->kind == HWD_ROOT_STACK) {
		out.root.frame = hw_location_of_frame(g, r->frame);
		if (reader && r->goroutine != HWD_NONE && r->goroutine < hwd_reader_goroutine_count(reader))
			out.root.goroutine_id = hwd_reader_goroutine(reader, r->goroutine).id;
	} else {
		out.root.frame = (hw_location){ g_strdup(""), g_strdup(""), 0 };
	}
	out.steps = steps_new(path->steps->len);
	for (guint i = 0; i < path->steps->len; i++) {
		const hw_path_step *s = &g_array_index(path->steps, hw_path_step, i);
		hw_finding_step fs = { .type = type_strdup(g, s->to), .addr = hw_graph_object(g, s->to).addr };
		uint32_t len;
		const char *label = hw_graph_string(g, s->label, &len);
		if (len)
			fs.label = g_strndup(label, len);
		else if (s->offset != HWD_EDGE_OFFSET_UNKNOWN)
			fs.label = g_strdup_printf("+%u", s->offset);
		else
			fs.label = g_strdup("+?");
		g_array_append_val(out.steps, fs);
	}
	return out;
}

hw_finding_path hw_finding_path_copy(const hw_finding_path *p)
{
	hw_finding_path out = {
		.root = {
			.kind = p->root.kind, .name = g_strdup(p->root.name),
			.goroutine_id = p->root.goroutine_id, .frame = hw_location_copy(&p->root.frame),
			.type = g_strdup(p->root.type), .addr = p->root.addr,
		},
	};
	guint n = p->steps ? p->steps->len : 0;
	out.steps = steps_new(n);
	for (guint i = 0; i < n; i++) {
		const hw_finding_step *s = &g_array_index(p->steps, hw_finding_step, i);
		hw_finding_step c = { g_strdup(s->label), g_strdup(s->type), s->addr };
		g_array_append_val(out.steps, c);
	}
	return out;
}

void hw_finding_path_clear(hw_finding_path *p)
{
	g_clear_pointer(&p->root.name, g_free);
	g_clear_pointer(&p->root.type, g_free);
	hw_location_clear(&p->root.frame);
	g_clear_pointer(&p->steps, g_array_unref);
}

hw_finding_sites hw_finding_sites_from(const hw_allocsites *s, const hw_site_summary *sum)
{
	hw_finding_sites out = { .sites = g_array_new(FALSE, FALSE, sizeof(hw_finding_site)) };
	g_array_set_clear_func(out.sites, (GDestroyNotify)hw_location_clear);
	if (!s || !sum) {
		out.described = g_strdup("");
		out.sampling = g_strdup("");
		return out;
	}
	out.objects = sum->members;
	out.sampled_objects = sum->sampled_members;
	out.samples = sum->samples;
	out.rate = hw_allocsites_rate(s);
	for (uint32_t i = 0; i < sum->n_sites; i++) {
		hw_site site = hw_allocsites_site(s, sum->sites[i].site);
		hw_finding_site f = {
			.at = { g_strndup(site.func, site.func_len), g_strndup(site.file, site.file_len), site.line },
			.samples = sum->sites[i].samples, .bytes = sum->sites[i].bytes, .share = sum->sites[i].share,
		};
		g_array_append_val(out.sites, f);
	}
	out.described = hw_allocsites_describe(s, sum, 3);
	/* No sampled object: nothing to describe, so no sampling to state either. */
	out.sampling = out.described ? hw_allocsites_sampling(s, sum->samples) : g_strdup("");
	if (!out.described)
		out.described = g_strdup("");
	return out;
}

hw_finding_sites hw_finding_sites_copy(const hw_finding_sites *x)
{
	hw_finding_sites out = *x;
	out.sites = g_array_sized_new(FALSE, FALSE, sizeof(hw_finding_site), x->sites->len);
	g_array_set_clear_func(out.sites, (GDestroyNotify)hw_location_clear);
	for (guint i = 0; i < x->sites->len; i++) {
		hw_finding_site f = g_array_index(x->sites, hw_finding_site, i);
		f.at = hw_location_copy(&f.at);
		g_array_append_val(out.sites, f);
	}
	out.described = g_strdup(x->described);
	out.sampling = g_strdup(x->sampling);
	return out;
}

void hw_finding_sites_clear(hw_finding_sites *x)
{
	g_clear_pointer(&x->sites, g_array_unref);
	g_clear_pointer(&x->described, g_free);
	g_clear_pointer(&x->sampling, g_free);
}

void hw_finding_free(hw_finding *f)
{
	if (!f)
		return;
	g_free(f->key);
	g_free(f->title);
	g_free(f->signature);
	g_free(f->counts);
	g_free(f->bytes);
	g_free(f->retained);
	hw_finding_path_clear(&f->path);
	hw_location_clear(&f->look_at);
	g_free(f->suggestion);
	hw_finding_sites_clear(&f->sites);
	switch (f->kind) {
	case HW_FINDING_GOROUTINES:
		g_free(f->u.goroutines.state);
		g_free(f->u.goroutines.wait_reason);
		g_free(f->u.goroutines.start_func);
		hw_location_clear(&f->u.goroutines.created_at);
		hw_location_clear(&f->u.goroutines.waits_at);
		break;
	case HW_FINDING_CACHE:
		g_free(f->u.cache.container_type);
		g_free(f->u.cache.entries);
		g_free(f->u.cache.dominator_type);
		break;
	case HW_FINDING_LISTENERS:
		g_free(f->u.listeners.collection_type);
		g_free(f->u.listeners.element);
		g_free(f->u.listeners.entries);
		break;
	default:
		break;
	}
	g_free(f);
}
