/* v8-graph.c - building the analysis graph straight from a parsed V8 snapshot (see v8-graph.h).
 *
 * The same two passes as the .hwd writer (v8-import.c), with the shared rules of the
 * conversion from v8-import.h, into plain arrays the graph takes over: objects in ordinal
 * order, then the edges source by source. No interning: a V8 string's graph id is its index
 * plus one, so a property edge's label costs an addition; only the "[i]" labels are made, once
 * per index. On a large snapshot the objects are built on a second thread while this one
 * builds the edges: the two passes share nothing they write (the objects' pass owns the types;
 * the strings it names are made before it starts, the edges' pass owns the string list).
 */
#include "import/v8-graph.h"

#include <stdio.h>

#include "import/v8-import.h"

/* The strings and types under construction. V8 strings come first (ids 1..n_strings). */
typedef struct graph_ctx {
	const hw_v8_snapshot *s;
	GPtrArray *strings;          /* char *, g_free'd: the graph's string list */
	GArray *types;               /* hwd_type */
	uint32_t *class_type;        /* V8 string index -> type id of a class, 0 not yet made */
	uint32_t type_type[HW_V8_NODE__COUNT];   /* type id of "(type)" classes, 0 not yet made */
	uint32_t type_name[HW_V8_NODE__COUNT];   /* string id of "(type)" */
	uint32_t *index_label;       /* index -> string id of "[index]", 0 not yet made */
	uint32_t n_index_label;      /* entries in index_label: indices up to the edge count */
} graph_ctx;

static void graph_ctx_clear(graph_ctx *c)
{
	if (c->strings)
		g_ptr_array_free(c->strings, TRUE);
	if (c->types)
		g_array_free(c->types, TRUE);
	g_free(c->class_type);
	g_free(c->index_label);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(graph_ctx, graph_ctx_clear)

/* Appends a string the list takes over; returns its id. */
static uint32_t add_string(graph_ctx *c, char *str)
{
	g_ptr_array_add(c->strings, str);
	return c->strings->len;
}

static uint32_t add_type(graph_ctx *c, uint32_t name, uint8_t node_type)
{
	hwd_type t = { .size = 0, .name = name, .kind = (uint16_t)hw_v8_type_kind(node_type) };
	g_array_append_val(c->types, t);
	return c->types->len;
}

static uint32_t type_of(graph_ctx *c, uint32_t v)
{
	uint8_t t = c->s->node_type[v];

	if (hw_v8_type_is_class(t)) {
		uint32_t name = c->s->node_name[v];
		if (!c->class_type[name])
			c->class_type[name] = add_type(c, name + 1, t);
		return c->class_type[name];
	}
	if (!c->type_type[t])
		c->type_type[t] = add_type(c, c->type_name[t], t);
	return c->type_type[t];
}

/* "[index]": made once per index up to the edge count (an array's elements are its edges, so
 * larger indices are rare and get a string each time they occur). */
static uint32_t index_label(graph_ctx *c, uint32_t index)
{
	if (index < c->n_index_label && c->index_label[index])
		return c->index_label[index];
	uint32_t id = add_string(c, g_strdup_printf("[%u]", index));
	if (index < c->n_index_label)
		c->index_label[index] = id;
	return id;
}

/* Objects in a second thread from this many nodes on (below, a thread costs more than it saves). */
#define THREAD_MIN_NODES 100000

typedef struct objects_job {
	graph_ctx *c;
	const hw_v8_retention *rt;
	const char *source;
	hwd_object *objects;   /* n_nodes */
	GError *error;
	gboolean ok;
} objects_job;

/* Fills job->objects: synthetic addresses, the rules' self sizes, classes. */
static gpointer build_objects(gpointer data)
{
	objects_job *job = data;
	const hw_v8_snapshot *s = job->c->s;
	uint64_t addr = HW_V8_ADDR_BASE;

	job->ok = TRUE;
	for (uint32_t v = 0; v < s->n_nodes && job->ok; v++) {
		job->objects[v] = (hwd_object){ .addr = addr, .size = job->rt->self[v], .type = type_of(job->c, v) };
		job->ok = hw_v8_next_addr(s, v, job->rt->self[v], job->source, &addr, &job->error);
	}
	return NULL;
}

/* Fills edges (n_edges + n_adopted): the V8 edges with their kinds and labels, the root's
 * adoptions after its own edges. */
static void build_edges(graph_ctx *c, const hw_v8_retention *rt, hwd_edge *edges, uint32_t adopted_label)
{
	const hw_v8_snapshot *s = c->s;
	const uint32_t strong = hwd_edge_info(HWD_EDGE_STRONG, HWD_EDGE_OFFSET_UNKNOWN);
	hwd_edge *out = edges;

	for (uint32_t v = 0; v < s->n_nodes; v++) {
		for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++) {
			uint32_t name = s->edge_name[e];
			*out++ = (hwd_edge){ .from = v, .to = s->edge_to[e],
			                     .label = hw_v8_edge_has_index(s->edge_type[e]) ? index_label(c, name) : name + 1,
			                     .info = hwd_edge_info(hw_v8_edge_kind(s, rt, e), HWD_EDGE_OFFSET_UNKNOWN) };
		}
		if (v == rt->root)
			for (uint32_t k = 0; k < rt->n_adopted; k++)
				*out++ = (hwd_edge){ .from = v, .to = rt->adopted[k], .label = adopted_label, .info = strong };
	}
}

hw_graph *hw_v8_graph(const hw_v8_snapshot *s, const hw_v8_retention *rt, const char *source, GError **error)
{
	g_auto(graph_ctx) c = { .s = s };
	hw_graph_owned_arrays a = { 0 };

	/* String ids are 32-bit: the V8 strings, the names made here and at most one label per edge. */
	if ((uint64_t)s->n_strings + HW_V8_NODE__COUNT + 2 + s->n_edges > UINT32_MAX - 1) {
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_LIMIT, "%s: %u strings and %u edges: more labels than 32-bit "
		            "string ids hold", source, s->n_strings, s->n_edges);
		return NULL;
	}
	c.strings = g_ptr_array_new_full(s->n_strings + HW_V8_NODE__COUNT + 64, g_free);
	for (uint32_t i = 0; i < s->n_strings; i++)
		g_ptr_array_add(c.strings, g_strdup(s->str_buf + s->str_off[i]));
	for (int t = 0; t < HW_V8_NODE__COUNT; t++)
		c.type_name[t] = add_string(&c, g_strdup_printf("(%s)", hw_v8_node_type_name((hw_v8_node_type)t)));
	uint32_t adopted_label = add_string(&c, g_strdup(HW_V8_ADOPTED_LABEL));
	uint32_t root_name = add_string(&c, g_strdup(HW_V8_ROOT_NAME));
	c.types = g_array_new(FALSE, FALSE, sizeof(hwd_type));
	c.class_type = g_new0(uint32_t, s->n_strings);
	c.n_index_label = s->n_edges + 1;
	c.index_label = g_new0(uint32_t, c.n_index_label);   /* zeroed by the kernel: only the pages of indices met are touched */

	uint64_t n_edges = (uint64_t)s->n_edges + rt->n_adopted;
	objects_job job = { .c = &c, .rt = rt, .source = source, .objects = g_new(hwd_object, s->n_nodes ? s->n_nodes : 1) };
	hwd_edge *edges = g_new(hwd_edge, n_edges ? n_edges : 1);
	GThread *thread = s->n_nodes >= THREAD_MIN_NODES ? g_thread_try_new("heapwalk-v8-objects", build_objects, &job, NULL) : NULL;
	if (!thread)
		build_objects(&job);
	build_edges(&c, rt, edges, adopted_label);
	if (thread)
		g_thread_join(thread);
	if (!job.ok) {
		g_propagate_error(error, job.error);
		g_free(job.objects);
		g_free(edges);
		return NULL;
	}

	hwd_root *root = g_new(hwd_root, 1);
	*root = (hwd_root){ .kind = HWD_ROOT_OTHER, .name = root_name, .object = rt->root,
	                    .goroutine = HWD_NONE, .frame = HWD_NONE };
	a.objects = job.objects;
	a.n_objects = s->n_nodes;
	a.edges = edges;
	a.n_edges = n_edges;
	a.roots = root;
	a.n_roots = 1;
	a.n_types = c.types->len;
	a.types = (hwd_type *)(void *)g_array_free(c.types, FALSE);
	c.types = NULL;
	a.n_strings = c.strings->len;
	g_ptr_array_add(c.strings, NULL);
	a.strings = (char **)g_ptr_array_free(c.strings, FALSE);
	c.strings = NULL;
	return hw_graph_new_owning(&a, error);
}
