/* diff.c - two snapshots compared by type and by retention-path signature.
 *
 * A side is built in two linear passes over one snapshot: the first gives every object its
 * signature group by extending its path parent's group by one step (an explicit stack climbs
 * to the first ancestor already placed, so each object is placed once), the second sums the
 * rows, with retained bytes taken from the outermost members only. Groups are keyed by
 * (parent group, step text) in a small open-addressing table, which makes grouping exact
 * within a snapshot; across snapshots groups are paired by a 64-bit hash chained the same way
 * over the step texts, so no signature is ever rendered to be compared. The identity match of
 * one process merges the two readers' object lists by address, as both are sorted.
 */
#include "diff.h"
#include "groups.h"
#include "retained.h"

#include <string.h>

#define UNPLACED UINT32_MAX
#define NO_PARENT UINT32_MAX
#define UNREACHABLE_GROUP 0u

/* ---- a u64 -> u32 map: open addressing, linear probing, UINT32_MAX marks a free slot ---- */

typedef struct idmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, len;   /* cap is a power of two; len <= cap / 2 */
} idmap;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static gboolean idmap_init(idmap *m, size_t cap)
{
	m->cap = cap;
	m->len = 0;
	m->keys = g_try_new(uint64_t, cap);
	m->vals = g_try_new(uint32_t, cap);
	if (!m->keys || !m->vals)
		return FALSE;
	memset(m->vals, 0xFF, cap * sizeof *m->vals);
	return TRUE;
}

static void idmap_clear(idmap *m)
{
	g_clear_pointer(&m->keys, g_free);
	g_clear_pointer(&m->vals, g_free);
}

static uint32_t idmap_get(const idmap *m, uint64_t key)
{
	for (size_t i = mix64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (m->vals[i] == UINT32_MAX || m->keys[i] == key)
			return m->vals[i];
}

/* Inserts a key known to be absent. FALSE on allocation failure. */
static gboolean idmap_put(idmap *m, uint64_t key, uint32_t val)
{
	if (2 * (m->len + 1) > m->cap) {
		idmap bigger;
		if (!idmap_init(&bigger, 2 * m->cap)) {
			idmap_clear(&bigger);
			return FALSE;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i] != UINT32_MAX)
				idmap_put(&bigger, m->keys[i], m->vals[i]);
		idmap_clear(m);
		*m = bigger;
	}
	size_t i = mix64(key) & (m->cap - 1);
	while (m->vals[i] != UINT32_MAX)
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return TRUE;
}

/* ---- a side ------------------------------------------------------------------------------ */

typedef struct totals {
	uint64_t count, bytes, retained;
	uint64_t born_count, born_bytes, freed_count, freed_bytes;
} totals;

typedef struct group {
	uint64_t hash;       /* of the whole signature's text, comparable across snapshots */
	uint32_t parent;     /* group of the path's prefix, NO_PARENT for a root's group */
	uint32_t component;  /* index in components: the root part, or one " -> label type" step */
	totals t;
} group;

struct hw_diff_side {
	const hwd_reader *reader;
	uint32_t n;
	uint32_t *group_of;          /* n: every object's group */
	uint32_t n_type_ids;
	uint32_t *row_of_type;       /* type id (0..n_type_ids) -> type row */
	GPtrArray *type_names;       /* type row -> name (char*, owned) */
	totals *types;               /* type row -> totals */
	GArray *groups;              /* of group */
	GPtrArray *components;       /* char*, owned */
	GArray *component_hash;      /* uint64_t per component */
	uint64_t count, bytes, reachable_bytes;
};

void hw_diff_side_free(hw_diff_side *s)
{
	if (!s)
		return;
	g_free(s->group_of);
	g_free(s->row_of_type);
	if (s->type_names)
		g_ptr_array_unref(s->type_names);
	g_free(s->types);
	if (s->groups)
		g_array_unref(s->groups);
	if (s->components)
		g_ptr_array_unref(s->components);
	if (s->component_hash)
		g_array_unref(s->component_hash);
	g_free(s);
}

/* FNV-1a, then mixed: the hash of one component's text. */
static uint64_t text_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++)
		h = (h ^ (guint8)*s) * UINT64_C(0x100000001b3);
	return mix64(h);
}

typedef struct builder {
	hw_diff_side *s;
	const hw_graph *g;
	const hw_path_index *p;
	GHashTable *component_ids;   /* text -> index + 1 (borrowed keys: the components) */
	idmap by_step;               /* (type id << 32 | label id) -> component, labelled edges */
	idmap by_offset;             /* (type id << 32 | offset) -> component, unlabelled edges */
	idmap by_key;                /* (parent group << 32 | component) -> group */
	GString *text;
} builder;

/* The component with this text, added if new (takes `text`). */
static uint32_t intern(builder *b, char *text)
{
	gpointer id = g_hash_table_lookup(b->component_ids, text);
	if (id) {
		g_free(text);
		return GPOINTER_TO_UINT(id) - 1;
	}
	uint64_t h = text_hash(text);
	g_ptr_array_add(b->s->components, text);
	g_array_append_val(b->s->component_hash, h);
	g_hash_table_insert(b->component_ids, text, GUINT_TO_POINTER(b->s->components->len));
	return b->s->components->len - 1;
}

/* The group (parent, component), added if new; UNPLACED on allocation failure. */
static uint32_t group_for(builder *b, uint32_t parent, uint32_t component)
{
	uint64_t key = (uint64_t)parent << 32 | component;
	uint32_t gi = idmap_get(&b->by_key, key);
	if (gi != UINT32_MAX)
		return gi;
	uint64_t ch = g_array_index(b->s->component_hash, uint64_t, component);
	group grp = {
		.hash = parent == NO_PARENT ? ch : mix64(g_array_index(b->s->groups, group, parent).hash * 31 + ch),
		.parent = parent, .component = component,
	};
	gi = b->s->groups->len;
	if (!idmap_put(&b->by_key, key, gi))
		return UNPLACED;
	g_array_append_val(b->s->groups, grp);
	return gi;
}

/* One step's text, as groups.c writes it: " -> LABEL TYPE", the label masked, "+OFFSET" (or
 * "+?") when the edge has none, "?" for an unknown type. */
static uint32_t step_component(builder *b, const hwd_edge *e, uint32_t to)
{
	uint32_t type = hw_graph_object(b->g, to).type, len;
	const char *label = hw_graph_string(b->g, e->label, &len);
	idmap *cache = len ? &b->by_step : &b->by_offset;
	uint64_t key = (uint64_t)type << 32 | (len ? e->label : hwd_edge_offset_of(e));
	uint32_t c = idmap_get(cache, key);
	if (c != UINT32_MAX)
		return c;
	g_string_assign(b->text, " -> ");
	if (len) {
		g_autofree char *masked = hw_groups_mask(label, len);
		g_string_append(b->text, masked);
	} else if (hwd_edge_offset_of(e) != HWD_EDGE_OFFSET_UNKNOWN) {
		g_string_append_printf(b->text, "+%u", hwd_edge_offset_of(e));
	} else {
		g_string_append(b->text, "+?");
	}
	const char *tn = hw_graph_type_name(b->g, type, &len);
	g_string_append_c(b->text, ' ');
	if (len)
		g_string_append_len(b->text, tn, len);
	else
		g_string_append_c(b->text, '?');
	c = intern(b, g_strdup(b->text->str));
	return idmap_put(cache, key, c) ? c : UINT32_MAX;
}

/* Places v and every unplaced ancestor on its path. FALSE on allocation failure. */
static gboolean place(builder *b, uint32_t v, GArray *stack)
{
	uint32_t *group_of = b->s->group_of;
	uint32_t x = v;
	g_array_set_size(stack, 0);
	while (group_of[x] == UNPLACED) {
		uint64_t edge, rec;
		if (!hw_path_parent(b->p, x, &edge, &rec)) {
			group_of[x] = UNREACHABLE_GROUP;
			break;
		}
		if (edge == UINT64_MAX) {
			/* The root part is what groups.h renders for a path of no steps. */
			char *root = hw_groups_signature(b->g, b->p, x);
			if (!root) {   /* no path after all: cannot happen when hw_path_parent found one */
				group_of[x] = UNREACHABLE_GROUP;
				break;
			}
			uint32_t c = intern(b, root);
			group_of[x] = group_for(b, NO_PARENT, c);
			if (group_of[x] == UNPLACED)
				return FALSE;
			break;
		}
		g_array_append_val(stack, x);
		x = hw_graph_edge(b->g, edge).from;
	}
	while (stack->len) {
		x = g_array_index(stack, uint32_t, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		uint64_t edge, rec;
		hw_path_parent(b->p, x, &edge, &rec);
		hwd_edge e = hw_graph_edge(b->g, edge);
		uint32_t c = step_component(b, &e, x);
		if (c == UINT32_MAX)
			return FALSE;
		group_of[x] = group_for(b, group_of[e.from], c);
		if (group_of[x] == UNPLACED)
			return FALSE;
	}
	return TRUE;
}

static uint32_t group_key(uint32_t v, void *user)
{
	return ((const hw_diff_side *)user)->group_of[v] + 1;
}

typedef struct type_key_ctx {
	const hw_graph *g;
	const hw_diff_side *s;
} type_key_ctx;

static uint32_t type_key(uint32_t v, void *user)
{
	const type_key_ctx *c = user;
	uint32_t t = hw_graph_object(c->g, v).type;
	return c->s->row_of_type[t <= c->s->n_type_ids ? t : 0] + 1;
}

/* Type rows: one per distinct name (two type ids may share one). */
static gboolean make_type_rows(hw_diff_side *s, const hw_graph *g)
{
	s->n_type_ids = hw_graph_n_types(g);
	s->row_of_type = g_try_new(uint32_t, (gsize)s->n_type_ids + 1);
	if (!s->row_of_type)
		return FALSE;
	s->type_names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) rows = g_hash_table_new(g_str_hash, g_str_equal);
	for (uint32_t t = 0; t <= s->n_type_ids; t++) {
		uint32_t len;
		const char *name = hw_graph_type_name(g, t, &len);
		g_autofree char *copy = g_strndup(name, len);
		gpointer row = g_hash_table_lookup(rows, copy);
		if (!row) {
			g_ptr_array_add(s->type_names, g_steal_pointer(&copy));
			row = GUINT_TO_POINTER(s->type_names->len);
			g_hash_table_insert(rows, g_ptr_array_index(s->type_names, s->type_names->len - 1), row);
		}
		s->row_of_type[t] = GPOINTER_TO_UINT(row) - 1;
	}
	s->types = g_try_new0(totals, s->type_names->len);
	return s->types != NULL;
}

static uint32_t type_row(const hw_diff_side *s, uint32_t type)
{
	return s->row_of_type[type <= s->n_type_ids ? type : 0];
}

hw_diff_side *hw_diff_side_compute(hw_domtree *d, const hw_path_index *p, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	if (!hw_graph_reader(g)) {
		g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "a diff needs a graph loaded from a snapshot");
		return NULL;
	}
	const uint32_t n = hw_graph_n_objects(g);
	g_autoptr(hw_diff_side) s = g_new0(hw_diff_side, 1);
	s->reader = hw_graph_reader(g);
	s->n = n;
	s->groups = g_array_new(FALSE, FALSE, sizeof(group));
	s->components = g_ptr_array_new_with_free_func(g_free);
	s->component_hash = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	s->group_of = g_try_new(uint32_t, n ? n : 1);
	builder b = {
		.s = s, .g = g, .p = p,
		.component_ids = g_hash_table_new(g_str_hash, g_str_equal),
		.text = g_string_new(NULL),
	};
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	gboolean ok = s->group_of && make_type_rows(s, g) &&
	              idmap_init(&b.by_step, 256) && idmap_init(&b.by_offset, 256) && idmap_init(&b.by_key, 1024);
	if (ok) {
		memset(s->group_of, 0xFF, (size_t)n * sizeof *s->group_of);
		group none = { .parent = NO_PARENT, .component = intern(&b, g_strdup("unreachable")) };
		none.hash = g_array_index(s->component_hash, uint64_t, none.component);
		g_array_append_val(s->groups, none);
		for (uint32_t v = 0; v < n && ok; v++)
			ok = s->group_of[v] != UNPLACED || place(&b, v, stack);
	}
	idmap_clear(&b.by_step);
	idmap_clear(&b.by_offset);
	idmap_clear(&b.by_key);
	g_hash_table_destroy(b.component_ids);
	g_string_free(b.text, TRUE);

	type_key_ctx tk = { g, s };
	g_autofree guint8 *outer_group = ok ? hw_domtree_outermost(d, group_key, s->groups->len + 1, s) : NULL;
	g_autofree guint8 *outer_type = outer_group ? hw_domtree_outermost(d, type_key, s->type_names->len + 1, &tk) : NULL;
	if (!outer_type) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory summarising %u objects for a diff", n);
		return NULL;
	}
	group *groups = (group *)(void *)s->groups->data;
	for (uint32_t v = 0; v < n; v++) {
		hwd_object o = hw_graph_object(g, v);
		totals *tt = &s->types[type_row(s, o.type)], *gt = &groups[s->group_of[v]].t;
		uint64_t ret = hw_retained_size(d, v);
		tt->count++;
		tt->bytes += o.size;
		gt->count++;
		gt->bytes += o.size;
		tt->retained += hw_bit(outer_type, v) ? ret : 0;
		gt->retained += hw_bit(outer_group, v) ? ret : 0;
		s->count++;
		s->bytes += o.size;
	}
	s->reachable_bytes = hw_retained_size(d, n);
	return g_steal_pointer(&s);
}

gboolean hw_diff_same_process(const hwd_reader *base, const hwd_reader *snap)
{
	uint64_t pid_a, pid_b;
	const char *exe_a, *exe_b;
	uint32_t len_a, len_b;
	return hwd_reader_meta_u64(base, "pid", &pid_a) && hwd_reader_meta_u64(snap, "pid", &pid_b) &&
	       hwd_reader_meta_str(base, "exe", &exe_a, &len_a) && hwd_reader_meta_str(snap, "exe", &exe_b, &len_b) &&
	       pid_a == pid_b && len_a == len_b && memcmp(exe_a, exe_b, len_a) == 0;
}

/* ---- the identity match ------------------------------------------------------------------ */

static void born(hw_diff_side *s, uint32_t v, const hwd_object *o)
{
	totals *t[2] = { &s->types[type_row(s, o->type)], &g_array_index(s->groups, group, s->group_of[v]).t };
	for (int i = 0; i < 2; i++) {
		t[i]->born_count++;
		t[i]->born_bytes += o->size;
	}
}

static void freed(hw_diff_side *s, uint32_t v, const hwd_object *o)
{
	totals *t[2] = { &s->types[type_row(s, o->type)], &g_array_index(s->groups, group, s->group_of[v]).t };
	for (int i = 0; i < 2; i++) {
		t[i]->freed_count++;
		t[i]->freed_bytes += o->size;
	}
}

/* Merges the two sorted object lists, counting born and freed objects in the sides' rows
 * (hw_diff_compute resets those counters first). */
static void follow_objects(hw_diff_side *a, hw_diff_side *b, const uint32_t *same_name, hw_diff *out)
{
	uint32_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		hwd_object x = hwd_reader_object(a->reader, i), y = hwd_reader_object(b->reader, j);
		if (j == b->n || (i < a->n && x.addr < y.addr)) {
			freed(a, i++, &x);
		} else if (i == a->n || y.addr < x.addr) {
			born(b, j++, &y);
		} else if (x.size == y.size && same_name[type_row(a, x.type)] == type_row(b, y.type)) {
			out->kept_count++;
			out->kept_bytes += y.size;
			i++;
			j++;
		} else {
			freed(a, i++, &x);
			born(b, j++, &y);
		}
	}
}

static void reset_identity(hw_diff_side *s)
{
	for (guint k = 0; k < s->type_names->len; k++)
		s->types[k].born_count = s->types[k].born_bytes = s->types[k].freed_count = s->types[k].freed_bytes = 0;
	for (guint k = 0; k < s->groups->len; k++) {
		totals *t = &g_array_index(s->groups, group, k).t;
		t->born_count = t->born_bytes = t->freed_count = t->freed_bytes = 0;
	}
}

/* ---- pairing the rows -------------------------------------------------------------------- */

/* A row under construction: its numbers and where its name comes from. */
typedef struct pending {
	hw_diff_row row;
	const hw_diff_side *side;    /* a side that has it */
	int which;                   /* that side: 0 BASE, 1 SNAP */
	uint32_t index;              /* its type row or group there */
} pending;

static void add_totals(hw_diff_row *r, int which, const totals *t)
{
	r->count[which] += t->count;
	r->bytes[which] += t->bytes;
	r->retained[which] += t->retained;
	r->born_count += t->born_count;
	r->born_bytes += t->born_bytes;
	r->freed_count += t->freed_count;
	r->freed_bytes += t->freed_bytes;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static gboolean changed(const hw_diff_row *r)
{
	return r->count[0] != r->count[1] || r->bytes[0] != r->bytes[1] || r->retained[0] != r->retained[1] ||
	       r->born_count || r->freed_count;
}

static int cmp_u64_desc(uint64_t x, uint64_t y)
{
	return x > y ? -1 : x < y;
}

/* Largest change first; the callers break the last tie. */
static int cmp_change(const hw_diff_row *x, const hw_diff_row *y)
{
	int c;
	if ((c = cmp_u64_desc(absdiff(x->retained[0], x->retained[1]), absdiff(y->retained[0], y->retained[1]))))
		return c;
	if ((c = cmp_u64_desc(absdiff(x->bytes[0], x->bytes[1]), absdiff(y->bytes[0], y->bytes[1]))))
		return c;
	if ((c = cmp_u64_desc(absdiff(x->count[0], x->count[1]), absdiff(y->count[0], y->count[1]))))
		return c;
	return cmp_u64_desc(x->born_count + x->freed_count, y->born_count + y->freed_count);
}

static int cmp_pending(gconstpointer a, gconstpointer b)
{
	const pending *x = a, *y = b;
	int c = cmp_change(&x->row, &y->row);
	if (c)
		return c;
	/* Before names exist: by where they come from, which is deterministic. */
	if (x->which != y->which)
		return x->which < y->which ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_row(gconstpointer a, gconstpointer b)
{
	const hw_diff_row *x = a, *y = b;
	int c = cmp_change(x, y);
	return c ? c : strcmp(x->name, y->name);
}

static char *group_text(const hw_diff_side *s, uint32_t gi)
{
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	for (uint32_t k = gi; k != NO_PARENT; k = g_array_index(s->groups, group, k).parent)
		g_ptr_array_add(parts, g_ptr_array_index(s->components, g_array_index(s->groups, group, k).component));
	GString *out = g_string_new(NULL);
	for (guint k = parts->len; k-- > 0;)
		g_string_append(out, g_ptr_array_index(parts, k));
	return g_string_free(out, FALSE);
}

/* Keeps the changed rows, the largest `limit` of them (0: all), and names those. */
static GArray *finish_rows(GArray *all, guint limit, gboolean signatures, uint64_t *n_changed, uint64_t *n_unchanged)
{
	GArray *keep = g_array_new(FALSE, FALSE, sizeof(pending));
	*n_unchanged = 0;
	for (guint k = 0; k < all->len; k++) {
		const pending *pd = &g_array_index(all, pending, k);
		if (changed(&pd->row))
			g_array_append_val(keep, *pd);
		else if (pd->row.count[0])   /* rows with no object on either side are no rows */
			(*n_unchanged)++;
	}
	*n_changed = keep->len;
	g_array_sort(keep, cmp_pending);
	if (limit && keep->len > limit)
		g_array_set_size(keep, limit);
	GArray *rows = g_array_sized_new(FALSE, FALSE, sizeof(hw_diff_row), keep->len);
	for (guint k = 0; k < keep->len; k++) {
		pending *pd = &g_array_index(keep, pending, k);
		pd->row.name = signatures ? group_text(pd->side, pd->index)
		                          : g_strdup(g_ptr_array_index(pd->side->type_names, pd->index));
		g_array_append_val(rows, pd->row);
	}
	g_array_unref(keep);
	g_array_sort(rows, cmp_row);
	return rows;
}

static void row_clear(gpointer p)
{
	g_free(((hw_diff_row *)p)->name);
}

void hw_diff_free(hw_diff *d)
{
	if (!d)
		return;
	if (d->types)
		g_array_unref(d->types);
	if (d->signatures)
		g_array_unref(d->signatures);
	g_free(d);
}

hw_diff *hw_diff_compute(hw_diff_side *base, hw_diff_side *snap, gboolean same_process,
                         guint limit, GError **error)
{
	hw_diff_side *side[2] = { base, snap };
	g_autoptr(hw_diff) out = g_new0(hw_diff, 1);
	out->same_process = same_process;
	for (int w = 0; w < 2; w++) {
		out->count[w] = side[w]->count;
		out->bytes[w] = side[w]->bytes;
		out->reachable_bytes[w] = side[w]->reachable_bytes;
	}

	/* Types by name; the identity match needs BASE's row -> SNAP's row of the same name. */
	g_autoptr(GHashTable) type_rows = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GArray) types = g_array_new(FALSE, FALSE, sizeof(pending));
	g_autofree uint32_t *same_name = g_try_new(uint32_t, base->type_names->len);
	if (!same_name) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory pairing %u types", base->type_names->len);
		return NULL;
	}
	for (int w = 0; w < 2; w++) {
		for (guint k = 0; k < side[w]->type_names->len; k++) {
			char *name = g_ptr_array_index(side[w]->type_names, k);
			gpointer at = g_hash_table_lookup(type_rows, name);
			if (!at) {
				pending pd = { .side = side[w], .which = w, .index = k };
				g_array_append_val(types, pd);
				at = GUINT_TO_POINTER(types->len);
				g_hash_table_insert(type_rows, name, at);
			}
			if (w == 0)
				same_name[k] = UINT32_MAX;
			else if (g_array_index(types, pending, GPOINTER_TO_UINT(at) - 1).which == 0)
				same_name[g_array_index(types, pending, GPOINTER_TO_UINT(at) - 1).index] = k;
		}
	}
	reset_identity(base);
	reset_identity(snap);
	if (same_process)
		follow_objects(base, snap, same_name, out);
	for (int w = 0; w < 2; w++) {
		for (guint k = 0; k < side[w]->type_names->len; k++) {
			guint at = GPOINTER_TO_UINT(g_hash_table_lookup(type_rows, g_ptr_array_index(side[w]->type_names, k)));
			add_totals(&g_array_index(types, pending, at - 1).row, w, &side[w]->types[k]);
		}
	}

	/* Signatures by hash. */
	idmap by_hash;
	g_autoptr(GArray) sigs = g_array_new(FALSE, FALSE, sizeof(pending));
	gboolean ok = idmap_init(&by_hash, 1024);
	for (int w = 0; w < 2 && ok; w++) {
		for (guint k = 0; k < side[w]->groups->len && ok; k++) {
			const group *grp = &g_array_index(side[w]->groups, group, k);
			uint32_t at = idmap_get(&by_hash, grp->hash);
			if (at == UINT32_MAX) {
				pending pd = { .side = side[w], .which = w, .index = k };
				g_array_append_val(sigs, pd);
				at = sigs->len - 1;
				ok = idmap_put(&by_hash, grp->hash, at);
			}
			add_totals(&g_array_index(sigs, pending, at).row, w, &grp->t);
		}
	}
	idmap_clear(&by_hash);
	if (!ok) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory pairing signature groups");
		return NULL;
	}
	out->types = finish_rows(types, limit, FALSE, &out->changed_types, &out->unchanged_types);
	out->signatures = finish_rows(sigs, limit, TRUE, &out->changed_signatures, &out->unchanged_signatures);
	g_array_set_clear_func(out->types, row_clear);
	g_array_set_clear_func(out->signatures, row_clear);
	return g_steal_pointer(&out);
}
