/* allocsites.c - allocation sites of object sets (see allocsites.h).
 *
 * The index maps every stack of the snapshot to its site once (sites deduplicated by the
 * string ids of function and file, which the writer interns, and the line); summaries then
 * cost one binary search per member in the reader's sample table plus a dense per-site
 * accumulator.
 */
#include "allocsites.h"

#include <math.h>
#include <string.h>

struct hw_allocsites {
	const hw_graph *g;
	const hwd_reader *r;       /* NULL: no sites */
	uint64_t rate, n_samples;
	uint32_t *stack_site;      /* per stack */
	uint64_t *stack_size;      /* per stack */
	hwd_alloc_frame *sites;    /* per site: func, file, line of its frame (pc unused) */
	uint32_t n_sites;
};

/* pprof's hideRuntime: leading frames of these packages are not the allocation site. */
static gboolean is_runtime(const char *f, uint32_t len)
{
	return (len >= 8 && memcmp(f, "runtime.", 8) == 0) ||
	       (len >= 17 && memcmp(f, "internal/runtime/", 17) == 0);
}

hw_allocsites *hw_allocsites_new(const hw_graph *g, GError **error)
{
	hw_allocsites *s = g_try_new0(hw_allocsites, 1);
	const hwd_reader *r = hw_graph_reader(g);
	if (!s)
		goto nomem;
	s->g = g;
	if (!r || !hwd_reader_alloc_sample_count(r))
		return s;
	uint64_t nst = hwd_reader_alloc_stack_count(r);
	s->stack_site = g_try_new(uint32_t, nst ? nst : 1);
	s->stack_size = g_try_new(uint64_t, nst ? nst : 1);
	s->sites = g_try_new(hwd_alloc_frame, nst ? nst : 1);
	if (!s->stack_site || !s->stack_size || !s->sites)
		goto nomem;
	GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (uint64_t k = 0; k < nst; k++) {
		hwd_alloc_stack st = hwd_reader_alloc_stack(r, (uint32_t)k);
		hwd_alloc_frame site = { 0 };
		for (uint32_t i = 0; i < st.nframes; i++) {
			hwd_alloc_frame f = hwd_reader_alloc_frame(r, st.first_frame + i);
			uint32_t len;
			const char *fn = hwd_reader_string(r, f.func, &len);
			if (i == 0)
				site = f;
			if (fn && !is_runtime(fn, len)) {
				site = f;
				break;
			}
		}
		char *key = g_strdup_printf("%u:%u:%u", site.func, site.file, site.line);
		gpointer v;
		if (!g_hash_table_lookup_extended(ids, key, NULL, &v)) {
			v = GUINT_TO_POINTER(s->n_sites);
			s->sites[s->n_sites++] = site;
			g_hash_table_insert(ids, key, v);
		} else {
			g_free(key);
		}
		s->stack_site[k] = GPOINTER_TO_UINT(v);
		s->stack_size[k] = st.size;
	}
	g_hash_table_destroy(ids);
	s->r = r;
	s->n_samples = hwd_reader_alloc_sample_count(r);
	if (!hwd_reader_meta_u64(r, "memprof.rate", &s->rate))
		s->rate = 0;
	return s;
nomem:
	hw_allocsites_free(s);
	g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory indexing allocation sites");
	return NULL;
}

void hw_allocsites_free(hw_allocsites *s)
{
	if (!s)
		return;
	g_free(s->stack_site);
	g_free(s->stack_size);
	g_free(s->sites);
	g_free(s);
}

gboolean hw_allocsites_available(const hw_allocsites *s) { return s->r != NULL; }
uint64_t hw_allocsites_rate(const hw_allocsites *s) { return s->rate; }
uint64_t hw_allocsites_n_samples(const hw_allocsites *s) { return s->n_samples; }
uint32_t hw_allocsites_n_sites(const hw_allocsites *s) { return s->n_sites; }

hw_site hw_allocsites_site(const hw_allocsites *s, uint32_t site)
{
	hw_site out = { "", "", 0, 0, 0 };
	if (site >= s->n_sites)
		return out;
	out.func = hwd_reader_string(s->r, s->sites[site].func, &out.func_len);
	out.file = hwd_reader_string(s->r, s->sites[site].file, &out.file_len);
	out.line = s->sites[site].line;
	return out;
}

char *hw_allocsites_site_name(const hw_allocsites *s, uint32_t site)
{
	hw_site x = hw_allocsites_site(s, site);
	const char *base = x.file;
	for (uint32_t i = 0; i < x.file_len; i++)
		if (x.file[i] == '/')
			base = x.file + i + 1;
	int blen = (int)(x.file_len - (uint32_t)(base - x.file));
	return g_strdup_printf("%.*s:%u %.*s", blen ? blen : 1, blen ? base : "?", x.line,
	                       x.func_len ? (int)x.func_len : 1, x.func_len ? x.func : "?");
}

double hw_allocsites_weight(uint64_t size, uint64_t rate)
{
	if (rate <= 1 || size == 0)
		return (double)size;
	return (double)size / -expm1(-(double)size / (double)rate);
}

uint64_t hw_allocsites_object(const hw_allocsites *s, uint32_t object, hw_site_fn fn, void *user)
{
	uint64_t first;
	if (!s->r)
		return 0;
	uint64_t n = hwd_reader_alloc_samples_of(s->r, object, &first);
	for (uint64_t i = 0; i < n; i++) {
		hwd_alloc_sample smp = hwd_reader_alloc_sample(s->r, first + i);
		fn(s->stack_site[smp.stack], s->stack_size[smp.stack], user);
	}
	return n;
}

/* ---- summaries ------------------------------------------------------------------------ */

struct hw_site_acc {
	const hw_allocsites *s;
	hw_site_summary sum;
	uint64_t *samples, *bytes;  /* per site */
	double *est;
};

hw_site_acc *hw_site_acc_new(const hw_allocsites *s)
{
	hw_site_acc *a = g_new0(hw_site_acc, 1);
	a->s = s;
	a->samples = g_new0(uint64_t, s->n_sites + 1);
	a->bytes = g_new0(uint64_t, s->n_sites + 1);
	a->est = g_new0(double, s->n_sites + 1);
	return a;
}

static void acc_sample(uint32_t site, uint64_t size, void *user)
{
	hw_site_acc *a = user;
	double w = hw_allocsites_weight(size, a->s->rate);
	a->samples[site]++;
	a->bytes[site] += size;
	a->est[site] += w;
	a->sum.samples++;
	a->sum.est_bytes += w;
}

void hw_site_acc_add(hw_site_acc *a, uint32_t object)
{
	a->sum.members++;
	a->sum.sampled_members += hw_allocsites_object(a->s, object, acc_sample, a) > 0;
}

static int share_cmp(const void *x, const void *y)
{
	const hw_site_share *a = x, *b = y;
	if (a->est_bytes != b->est_bytes)
		return a->est_bytes > b->est_bytes ? -1 : 1;
	return (a->site > b->site) - (a->site < b->site);
}

hw_site_summary *hw_site_acc_finish(hw_site_acc *a)
{
	hw_site_summary *sum = g_new(hw_site_summary, 1);
	*sum = a->sum;
	uint32_t n = 0;
	for (uint32_t k = 0; k < a->s->n_sites; k++)
		n += a->samples[k] > 0;
	sum->sites = g_new0(hw_site_share, n ? n : 1);
	sum->n_sites = 0;
	for (uint32_t k = 0; k < a->s->n_sites; k++)
		if (a->samples[k])
			sum->sites[sum->n_sites++] = (hw_site_share){ k, a->samples[k], a->bytes[k], a->est[k],
			                                              sum->est_bytes > 0 ? a->est[k] / sum->est_bytes : 0 };
	qsort(sum->sites, sum->n_sites, sizeof *sum->sites, share_cmp);
	g_free(a->samples);
	g_free(a->bytes);
	g_free(a->est);
	g_free(a);
	return sum;
}

void hw_site_summary_free(hw_site_summary *sum)
{
	if (!sum)
		return;
	g_free(sum->sites);
	g_free(sum);
}

hw_site_summary *hw_allocsites_summarize(const hw_allocsites *s, const uint32_t *members, size_t n)
{
	hw_site_acc *a = hw_site_acc_new(s);
	for (size_t i = 0; i < n; i++)
		hw_site_acc_add(a, members[i]);
	return hw_site_acc_finish(a);
}

void hw_site_acc_add_subtree(hw_site_acc *a, hw_domtree *d, uint32_t root)
{
	hw_site_acc_add_subtrees(a, d, &root, 1);
}

void hw_site_acc_add_subtrees(hw_site_acc *a, hw_domtree *d, const uint32_t *roots, size_t n_roots)
{
	uint32_t n = hw_graph_n_objects(hw_domtree_graph(d));
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_array_append_vals(stack, roots, (guint)n_roots);
	while (stack->len) {
		uint32_t v = g_array_index(stack, uint32_t, stack->len - 1), count;
		g_array_set_size(stack, stack->len - 1);
		if (v < n)
			hw_site_acc_add(a, v);
		const uint32_t *kids = hw_domtree_children(d, v, &count);
		g_array_append_vals(stack, kids, count);
	}
	g_array_unref(stack);
}

hw_site_summary *hw_allocsites_summarize_subtree(const hw_allocsites *s, hw_domtree *d, uint32_t root)
{
	hw_site_acc *a = hw_site_acc_new(s);
	hw_site_acc_add_subtree(a, d, root);
	return hw_site_acc_finish(a);
}

GPtrArray *hw_allocsites_by_group(const hw_allocsites *s, const hw_path_index *p, const GPtrArray *groups,
                                  guint n_groups, const uint32_t *members, size_t n)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)hw_site_summary_free);
	GHashTable *index = g_hash_table_new(g_str_hash, g_str_equal);
	hw_site_acc **acc = g_new0(hw_site_acc *, n_groups ? n_groups : 1);
	n_groups = MIN(n_groups, groups->len);
	for (guint i = 0; i < n_groups; i++) {
		const hw_group *gr = g_ptr_array_index(groups, i);
		acc[i] = hw_site_acc_new(s);
		g_hash_table_insert(index, gr->signature, GUINT_TO_POINTER(i + 1));
	}
	/* Only members with samples can change a summary's shares, but every member counts. */
	for (size_t k = 0; k < n && n_groups; k++) {
		char *sig = hw_groups_signature(s->g, p, members[k]);
		guint i = sig ? GPOINTER_TO_UINT(g_hash_table_lookup(index, sig)) : 0;
		if (i)
			hw_site_acc_add(acc[i - 1], members[k]);
		g_free(sig);
	}
	for (guint i = 0; i < n_groups; i++)
		g_ptr_array_add(out, hw_site_acc_finish(acc[i]));
	g_free(acc);
	g_hash_table_destroy(index);
	return out;
}

/* ---- text --------------------------------------------------------------------------- */

static void append_pct(GString *b, double share)
{
	/* small shares keep a decimal, so that 0.4% does not read as nothing */
	g_string_append_printf(b, share >= 0.1 ? "%.0f%%" : "%.1f%%", share * 100);
}

char *hw_allocsites_describe(const hw_allocsites *s, const hw_site_summary *sum, uint32_t max_sites)
{
	if (!sum || !sum->samples)
		return NULL;
	GString *b = g_string_new("allocated at ");
	uint32_t shown = max_sites && max_sites < sum->n_sites ? max_sites : sum->n_sites;
	for (uint32_t i = 0; i < shown; i++) {
		char *name = hw_allocsites_site_name(s, sum->sites[i].site);
		g_string_append_printf(b, "%s%s (", i ? ", " : "", name);
		append_pct(b, sum->sites[i].share);
		g_string_append_c(b, ')');
		g_free(name);
	}
	if (shown < sum->n_sites)
		g_string_append_printf(b, ", +%u more site%s", sum->n_sites - shown, sum->n_sites - shown > 1 ? "s" : "");
	return g_string_free(b, FALSE);
}

char *hw_allocsites_sampling(const hw_allocsites *s, uint64_t samples)
{
	const char *unit = samples == 1 ? "" : "s";
	if (s->rate == 1)
		return g_strdup_printf("shares of %" G_GUINT64_FORMAT " allocation%s, every one sampled "
		                       "(MemProfileRate 1): exact", samples, unit);
	if (s->rate == 0)
		return g_strdup_printf("shares of %" G_GUINT64_FORMAT " sampled allocation%s at an unknown "
		                       "rate: estimates", samples, unit);
	/* the relative error of a share from k samples is about 1/sqrt(k) */
	return g_strdup_printf("shares of %" G_GUINT64_FORMAT " sample%s at 1 per %" G_GUINT64_FORMAT
	                       " bytes: estimates (±%.0f%% relative)", samples, unit, s->rate,
	                       samples ? 100.0 / sqrt((double)samples) : 100.0);
}
