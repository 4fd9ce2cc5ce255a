/* testgraph.c - random graphs and brute-force oracles for the analysis tests. */
#include "testgraph.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

tg_graph *tg_new(void)
{
	tg_graph *t = g_new0(tg_graph, 1);
	t->objects = g_array_new(FALSE, FALSE, sizeof(hwd_object));
	t->edges = g_array_new(FALSE, FALSE, sizeof(hwd_edge));
	t->roots = g_array_new(FALSE, FALSE, sizeof(hwd_root));
	t->strings = g_ptr_array_new_with_free_func(g_free);
	t->types = g_array_new(FALSE, FALSE, sizeof(hwd_type));
	return t;
}

void tg_free(tg_graph *t)
{
	g_array_free(t->objects, TRUE);
	g_array_free(t->edges, TRUE);
	g_array_free(t->roots, TRUE);
	g_ptr_array_free(t->strings, TRUE);
	g_array_free(t->types, TRUE);
	g_free(t);
}

uint32_t tg_string(tg_graph *t, const char *s)
{
	if (!s)
		return 0;
	for (guint i = 0; i < t->strings->len; i++)
		if (strcmp(t->strings->pdata[i], s) == 0)
			return i + 1;
	g_ptr_array_add(t->strings, g_strdup(s));
	return t->strings->len;
}

uint32_t tg_type(tg_graph *t, const char *name)
{
	hwd_type ty = { 8, tg_string(t, name), HWD_TYPE_STRUCT, 0 };
	g_array_append_val(t->types, ty);
	return t->types->len;
}

uint32_t tg_object(tg_graph *t, uint64_t size, uint32_t type)
{
	hwd_object o = { 0x1000 + 0x100 * (uint64_t)t->objects->len, size, type, 0 };
	g_array_append_val(t->objects, o);
	return t->objects->len - 1;
}

void tg_edge(tg_graph *t, uint32_t from, uint32_t to, hwd_edge_kind kind, const char *label, uint32_t offset)
{
	hwd_edge e = { from, to, tg_string(t, label), hwd_edge_info(kind, offset) };
	g_array_append_val(t->edges, e);
}

void tg_root(tg_graph *t, hwd_root_kind kind, const char *name, uint32_t object)
{
	hwd_root r = { (uint16_t)kind, 0, tg_string(t, name), object, HWD_NONE, HWD_NONE, 0, 0 };
	g_array_append_val(t->roots, r);
}

tg_graph *tg_random(GRand *rng, uint32_t n, uint32_t n_edges, uint32_t n_types)
{
	tg_graph *t = tg_new();
	for (uint32_t k = 0; k < n_types; k++) {
		char name[32];
		snprintf(name, sizeof name, "T%u", k);
		tg_type(t, name);
	}
	for (uint32_t v = 0; v < n; v++)
		tg_object(t, 1 + g_rand_int_range(rng, 0, 100), n_types ? g_rand_int_range(rng, 0, (gint32)n_types + 1) : 0);
	if (n == 0)
		return t;
	uint32_t nr = g_rand_int_range(rng, 0, 4);
	for (uint32_t k = 0; k < nr; k++)
		tg_root(t, g_rand_int_range(rng, 1, HWD_ROOT_KIND__COUNT), "r", g_rand_int_range(rng, 0, (gint32)n));
	for (uint32_t k = 0; k < n_edges; k++) {
		uint32_t a = g_rand_int_range(rng, 0, (gint32)n), b = g_rand_int_range(rng, 0, (gint32)n);
		int r = g_rand_int_range(rng, 0, 10);
		hwd_edge_kind kind = r < 5 ? HWD_EDGE_STRONG : r < 7 ? HWD_EDGE_WEAK : r < 8 ? HWD_EDGE_FINALIZER
		                   : r < 9 ? HWD_EDGE_INTERNAL : HWD_EDGE_CONSERVATIVE;
		char label[16];
		snprintf(label, sizeof label, "[%d]", g_rand_int_range(rng, 0, 3));
		tg_edge(t, a, b, kind, g_rand_boolean(rng) ? label : NULL, (uint32_t)g_rand_int_range(rng, 0, 64));
		if (g_rand_int_range(rng, 0, 8) == 0)   /* duplicate edge */
			tg_edge(t, a, b, kind, NULL, 0);
	}
	return t;
}

static int edge_from_cmp(gconstpointer a, gconstpointer b)
{
	const hwd_edge *x = a, *y = b;
	return x->from < y->from ? -1 : x->from > y->from;
}

hw_graph *tg_build(tg_graph *t)
{
	/* g_array_sort is not stable, but insertion order among equal sources only changes
	 * which of equally short paths wins; the oracles do not depend on it. */
	g_array_sort(t->edges, edge_from_cmp);
	hw_graph_arrays a = {
		(const hwd_object *)(void *)t->objects->data, t->objects->len,
		(const hwd_edge *)(void *)t->edges->data, t->edges->len,
		(const hwd_root *)(void *)t->roots->data, t->roots->len,
		(const hwd_type *)(void *)t->types->data, t->types->len,
		(const char *const *)t->strings->pdata, t->strings->len,
	};
	GError *err = NULL;
	hw_graph *g = hw_graph_new_from_arrays(&a, &err);
	if (!g)
		fail_msg("hw_graph_new_from_arrays: %s", err->message);
	return g;
}

void tg_reach(const tg_graph *t, uint32_t deleted, guint8 *reach)
{
	uint32_t n = t->objects->len;
	memset(reach, 0, n);
	uint32_t *stack = g_new(uint32_t, n + 1);
	uint32_t sp = 0;
	for (guint k = 0; k < t->roots->len; k++) {
		uint32_t o = g_array_index(t->roots, hwd_root, k).object;
		if (o != deleted && !reach[o]) {
			reach[o] = 1;
			stack[sp++] = o;
		}
	}
	while (sp) {
		uint32_t v = stack[--sp];
		for (guint i = 0; i < t->edges->len; i++) {
			const hwd_edge *e = &g_array_index(t->edges, hwd_edge, i);
			if (e->from != v || hwd_edge_kind_of(e) == HWD_EDGE_WEAK || e->to == deleted || reach[e->to])
				continue;
			reach[e->to] = 1;
			stack[sp++] = e->to;
		}
	}
	g_free(stack);
}

guint8 *tg_dominance(const tg_graph *t)
{
	uint32_t n = t->objects->len;
	guint8 *dom = g_new0(guint8, (gsize)n * n + 1);
	guint8 *all = g_new(guint8, n + 1), *without = g_new(guint8, n + 1);
	tg_reach(t, HW_NONE, all);
	for (uint32_t v = 0; v < n; v++) {
		if (!all[v])
			continue;
		tg_reach(t, v, without);
		for (uint32_t w = 0; w < n; w++)
			if (w != v && all[w] && !without[w])
				dom[(gsize)v * n + w] = 1;
	}
	g_free(all);
	g_free(without);
	return dom;
}

uint32_t tg_idom(const tg_graph *t, const guint8 *dom, const guint8 *reach, uint32_t w)
{
	uint32_t n = t->objects->len;
	if (!reach[w])
		return HW_NONE;
	for (uint32_t d = 0; d < n; d++) {
		if (!dom[(gsize)d * n + w])
			continue;
		gboolean closest = TRUE;
		for (uint32_t e = 0; e < n && closest; e++)
			if (e != d && dom[(gsize)e * n + w] && !dom[(gsize)e * n + d])
				closest = FALSE;
		if (closest)
			return d;
	}
	return n;
}
