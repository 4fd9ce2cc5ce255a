/* v8-rules.c - Chrome DevTools' and memlab's retention rules, applied to a V8 snapshot
 * (see v8-rules.h; the rules R1-R6 are quoted in docs/v8.md).
 *
 * Order of the work, as in the tools: the page-owned flags (R2), then the essential edges
 * (R3), then DevTools' self-size folding (R4), then the part of the tools' Lengauer-Tarjan that
 * decides what the root adopts (R5): a search from the root over essential edges, orphans in
 * ordinal order, then the cliques. Every traversal uses an explicit stack.
 */
#include "v8-rules.h"

#include <string.h>

#define BIT_SET(b, i) ((b)[(i) >> 3] |= (guint8)(1u << ((i) & 7)))
#define BIT_CLR(b, i) ((b)[(i) >> 3] &= (guint8)~(1u << ((i) & 7)))
#define BIT_GET(b, i) (((b)[(i) >> 3] >> ((i) & 7)) & 1)

const char *hw_v8_rules_name(hw_v8_rules r)
{
	return r == HW_V8_RULES_MEMLAB ? "memlab" : "devtools";
}

gboolean hw_v8_rules_parse(const char *name, hw_v8_rules *out)
{
	if (strcmp(name, "devtools") == 0)
		*out = HW_V8_RULES_DEVTOOLS;
	else if (strcmp(name, "memlab") == 0)
		*out = HW_V8_RULES_MEMLAB;
	else
		return FALSE;
	return TRUE;
}

static gboolean is_node(const hw_v8_snapshot *s, uint32_t v, hw_v8_node_type type, const char *name)
{
	size_t len;
	const char *str;

	if (s->node_type[v] != type)
		return FALSE;
	str = hw_v8_string(s, s->node_name[v], &len);
	return len == strlen(name) && memcmp(str, name, len) == 0;
}

/* Skips decimal digits backwards from `end` (exclusive) down to `start`; returns the first digit. */
static const char *digits_back(const char *start, const char *end)
{
	while (end > start && g_ascii_isdigit(end[-1]))
		end--;
	return end;
}

static gboolean ends_with(const char *start, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - start) >= n && memcmp(end - n, lit, n) == 0;
}

/* DevTools' ephemeron edge name, matched without a regex engine:
 *   ^\d+ / part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$
 * where `.` matches anything but a line terminator. Returns TRUE with the table id. */
static gboolean weakmap_table(const char *s, size_t len, uint64_t *table)
{
	static const char key[] = " / part of key (", value[] = ") -> value (";
	const char *end = s + len, *p, *d, *mid_lo, *mid_hi;

	/* No line terminators anywhere (\n, \r, U+2028, U+2029): the fixed parts have none. */
	for (p = s; p < end; p++)
		if (*p == '\n' || *p == '\r' || (end - p >= 3 && (guchar)p[0] == 0xE2 && (guchar)p[1] == 0x80 &&
		                                 ((guchar)p[2] == 0xA8 || (guchar)p[2] == 0xA9)))
			return FALSE;
	/* prefix: digits, then " / part of key (" */
	d = s;
	while (d < end && g_ascii_isdigit(*d))
		d++;
	if (d == s || (size_t)(end - d) < sizeof key - 1 || memcmp(d, key, sizeof key - 1) != 0)
		return FALSE;
	mid_lo = d + sizeof key - 1;
	/* suffix, right to left: ")" table-digits "table @" ... " @" digits ") pair in WeakMap (" */
	if (end == s || end[-1] != ')')
		return FALSE;
	p = end - 1;
	d = digits_back(mid_lo, p);
	if (d == p || !ends_with(mid_lo, d, ") pair in WeakMap (table @"))
		return FALSE;
	uint64_t id = 0;
	for (const char *q = d; q < p; q++) {
		if (id > (UINT64_MAX - 9) / 10)
			return FALSE;   /* cannot equal any node id */
		id = id * 10 + (uint64_t)(*q - '0');
	}
	p = d - strlen(") pair in WeakMap (table @");
	d = digits_back(mid_lo, p);
	if (d == p || !ends_with(mid_lo, d, " @"))
		return FALSE;
	mid_hi = d - 2;
	/* middle: somewhere in [mid_lo, mid_hi), " @" digits ") -> value (" */
	for (p = mid_lo; p + 2 < mid_hi; p++) {
		if (p[0] != ' ' || p[1] != '@' || !g_ascii_isdigit(p[2]))
			continue;
		const char *q = p + 2;
		while (q < mid_hi && g_ascii_isdigit(*q))
			q++;
		if ((size_t)(mid_hi - q) >= sizeof value - 1 && memcmp(q, value, sizeof value - 1) == 0) {
			*table = id;
			return TRUE;
		}
	}
	return FALSE;
}

/* R2: page-owned nodes. DevTools seeds from the root's shortcut edges and its element edges to
 * "(Document DOM trees)"; memlab from the complement. Both then follow every non-weak edge. */
static guint8 *page_owned(const hw_v8_snapshot *s, hw_v8_rules rules, uint32_t root)
{
	guint8 *page = g_new0(guint8, s->n_nodes / 8 + 1);
	uint32_t *stack = g_new(uint32_t, s->n_nodes);
	uint32_t sp = 0;

	for (uint32_t e = s->first_edge[root]; e < s->first_edge[root + 1]; e++) {
		uint32_t c = s->edge_to[e];
		gboolean window = s->edge_type[e] == HW_V8_EDGE_SHORTCUT ||
		                  (s->edge_type[e] == HW_V8_EDGE_ELEMENT &&
		                   is_node(s, c, HW_V8_NODE_SYNTHETIC, "(Document DOM trees)"));
		if (window != (rules == HW_V8_RULES_DEVTOOLS) || BIT_GET(page, c))
			continue;
		BIT_SET(page, c);
		stack[sp++] = c;
	}
	while (sp > 0) {
		uint32_t v = stack[--sp];
		for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++) {
			uint32_t c = s->edge_to[e];
			if (s->edge_type[e] == HW_V8_EDGE_WEAK || BIT_GET(page, c))
				continue;
			BIT_SET(page, c);
			stack[sp++] = c;
		}
	}
	g_free(stack);
	return page;
}

/* R3: the essential-edge bitmap. The same pass marks, for R5, the nodes with an essential
 * referrer (has_ess_in) and those with a referrer over an edge neither weak nor shortcut
 * (has_strong_in): one bit per node each, zeroed by the caller. */
static guint8 *essential_edges(const hw_v8_snapshot *s, hw_v8_rules rules, uint32_t root, const guint8 *page,
                               guint8 *has_ess_in, guint8 *has_strong_in)
{
	guint8 *ess = g_new0(guint8, s->n_edges / 8 + 1);
	/* Per string: 0 not looked at, 1 not an ephemeron name, 2 an ephemeron name. */
	g_autofree guint8 *weakmap = rules == HW_V8_RULES_DEVTOOLS ? g_new0(guint8, s->n_strings) : NULL;

	for (uint32_t v = 0; v < s->n_nodes; v++) {
		for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++) {
			uint32_t c = s->edge_to[e];
			uint8_t t = s->edge_type[e];
			if (t != HW_V8_EDGE_WEAK && t != HW_V8_EDGE_SHORTCUT)
				BIT_SET(has_strong_in, c);
			if (t == HW_V8_EDGE_WEAK || c == v)
				continue;
			if (v != root && (t == HW_V8_EDGE_SHORTCUT || (BIT_GET(page, c) && !BIT_GET(page, v))))
				continue;
			/* DevTools keeps the key->value half of a WeakMap entry and drops table->value. */
			if (weakmap && t == HW_V8_EDGE_INTERNAL && weakmap[s->edge_name[e]] != 1) {
				size_t len;
				const char *name = hw_v8_string(s, s->edge_name[e], &len);
				uint64_t table;
				gboolean is_wm = weakmap_table(name, len, &table);
				weakmap[s->edge_name[e]] = is_wm ? 2 : 1;
				if (is_wm && table == s->node_id[v])
					continue;
			}
			BIT_SET(ess, e);
			BIT_SET(has_ess_in, c);
		}
	}
	return ess;
}

/* R4: DevTools moves the self size of hidden, array and "system / ExternalStringData" nodes to
 * their one owner (a node of another type reaching them over non-weak edges, through such nodes
 * only), unless the owner is synthetic or the root. Only when the root has a "user root" edge
 * (to a non-synthetic node or to "(Document DOM trees)"), as in every Node and page snapshot. */
static uint64_t fold_self_sizes(const hw_v8_snapshot *s, uint32_t root, uint64_t *self)
{
	const uint32_t unvisited = UINT32_MAX, multiple = UINT32_MAX - 1;
	gboolean user_roots = FALSE;
	uint64_t moved = 0;

	for (uint32_t e = s->first_edge[root]; e < s->first_edge[root + 1] && !user_roots; e++) {
		uint32_t c = s->edge_to[e];
		user_roots = s->node_type[c] != HW_V8_NODE_SYNTHETIC || is_node(s, c, HW_V8_NODE_SYNTHETIC, "(Document DOM trees)");
	}
	if (!user_roots)
		return 0;

	g_autofree uint32_t *owner = g_new(uint32_t, s->n_nodes);
	/* Every node enters the worklist at most twice (unvisited -> one owner -> multiple) on
	 * top of the self-owners' first entry: 2n bounds it. */
	g_autofree uint32_t *work = g_new(uint32_t, 2 * (size_t)s->n_nodes);
	size_t wn = 0;

	for (uint32_t v = 0; v < s->n_nodes; v++) {
		uint8_t t = s->node_type[v];
		if (t == HW_V8_NODE_HIDDEN || t == HW_V8_NODE_ARRAY ||
		    is_node(s, v, HW_V8_NODE_NATIVE, "system / ExternalStringData")) {
			owner[v] = unvisited;
		} else {
			owner[v] = v;
			work[wn++] = v;
		}
	}
	while (wn > 0) {
		uint32_t v = work[--wn], o = owner[v];
		for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++) {
			uint32_t c = s->edge_to[e];
			if (s->edge_type[e] == HW_V8_EDGE_WEAK || owner[c] == c || owner[c] == o || owner[c] == multiple)
				continue;
			owner[c] = owner[c] == unvisited ? o : multiple;
			g_assert(wn < 2 * (size_t)s->n_nodes);
			work[wn++] = c;
		}
	}
	for (uint32_t v = 0; v < s->n_nodes; v++) {
		uint32_t o = owner[v];
		if (o == unvisited || o == multiple || o == v || o == root || s->node_type[o] == HW_V8_NODE_SYNTHETIC)
			continue;
		self[o] += self[v];
		self[v] = 0;
		moved++;
	}
	return moved;
}

/* Marks everything reachable from `from` over essential edges in `seen`. */
static void reach(const hw_v8_snapshot *s, const guint8 *ess, uint32_t from, guint8 *seen, uint32_t *stack)
{
	uint32_t sp = 0;

	BIT_SET(seen, from);
	stack[sp++] = from;
	while (sp > 0) {
		uint32_t v = stack[--sp];
		for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++) {
			uint32_t c = s->edge_to[e];
			if (!BIT_GET(ess, e) || BIT_GET(seen, c))
				continue;
			BIT_SET(seen, c);
			stack[sp++] = c;
		}
	}
}

/* R5: what the tools hang under the root when the search from it misses nodes.
 * Orphans (DevTools: no essential referrer; memlab: no referrer but weak and shortcut ones),
 * taken in ordinal order, are searched from as if the root pointed at them: an edge from the
 * root gives the same dominators. Cliques (what is still unreached) get parent = root without a
 * search; the tools' Lengauer-Tarjan then gives each of them the root as dominator, and a
 * clique node feeds the root's semidominator to the reached nodes it points at only if it has
 * no essential referrer, or one from a later clique node that does ("semi1" below). So: an edge
 * from the root to every clique node, and the edges from the other clique nodes into reached
 * nodes stop counting. */
static void adopt_unreached(const hw_v8_snapshot *s, hw_v8_retention *rt, const guint8 *has_ess_in,
                            const guint8 *has_strong_in)
{
	const uint32_t n = s->n_nodes;
	g_autofree guint8 *seen = g_new0(guint8, n / 8 + 1);
	g_autofree guint8 *orphan_root = g_new0(guint8, n / 8 + 1);
	g_autofree uint32_t *stack = g_new(uint32_t, n);
	GArray *adopted = g_array_new(FALSE, FALSE, sizeof(uint32_t));

	reach(s, rt->essential, rt->root, seen, stack);
	for (uint32_t v = 0; v < n; v++) {
		if (BIT_GET(seen, v))
			continue;
		gboolean orphan = rt->rules == HW_V8_RULES_DEVTOOLS ? !BIT_GET(has_ess_in, v) : !BIT_GET(has_strong_in, v);
		if (!orphan)
			continue;
		BIT_SET(orphan_root, v);
		rt->n_orphans++;
		reach(s, rt->essential, v, seen, stack);
	}

	/* Cliques: the unreached nodes, and the essential edges into them (all from cliques). */
	g_autofree uint32_t *pred_first = NULL, *pred = NULL;
	g_autofree guint8 *semi1 = g_new0(guint8, n / 8 + 1);
	uint32_t n_clique = 0;
	for (uint32_t v = 0; v < n; v++)
		n_clique += !BIT_GET(seen, v);
	if (n_clique > 0) {
		pred_first = g_new0(uint32_t, (size_t)n + 1);
		for (uint32_t e = 0; e < s->n_edges; e++)
			if (BIT_GET(rt->essential, e) && !BIT_GET(seen, s->edge_to[e]))
				pred_first[s->edge_to[e] + 1]++;
		for (uint32_t v = 0; v < n; v++)
			pred_first[v + 1] += pred_first[v];
		pred = g_new(uint32_t, (size_t)pred_first[n] + 1);
		g_autofree uint32_t *fill = g_memdup2(pred_first, sizeof(uint32_t) * n);
		for (uint32_t v = 0; v < n; v++)
			for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++)
				if (BIT_GET(rt->essential, e) && !BIT_GET(seen, s->edge_to[e]))
					pred[fill[s->edge_to[e]]++] = v;
		for (uint32_t v = n; v-- > 0;) {
			if (BIT_GET(seen, v))
				continue;
			gboolean s1 = pred_first[v] == pred_first[v + 1];
			for (uint32_t k = pred_first[v]; k < pred_first[v + 1] && !s1; k++)
				s1 = pred[k] > v && BIT_GET(semi1, pred[k]);
			if (s1)
				BIT_SET(semi1, v);
		}
		for (uint32_t v = 0; v < n; v++) {
			if (BIT_GET(seen, v))
				continue;
			if (!BIT_GET(semi1, v))
				for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++)
					if (BIT_GET(seen, s->edge_to[e]))
						BIT_CLR(rt->essential, e);
		}
	}
	rt->n_cliques = n_clique;
	/* Orphans and cliques together, in ordinal order (the edges from the root are written so). */
	for (uint32_t v = 0; v < n; v++)
		if (!BIT_GET(seen, v) || BIT_GET(orphan_root, v))
			g_array_append_val(adopted, v);
	rt->n_adopted = adopted->len;
	rt->adopted = (uint32_t *)(void *)g_array_free(adopted, FALSE);
}

hw_v8_retention *hw_v8_retention_compute(const hw_v8_snapshot *s, hw_v8_rules rules)
{
	hw_v8_retention *rt = g_new0(hw_v8_retention, 1);
	g_autofree guint8 *page = NULL;
	g_autofree guint8 *has_ess_in = g_new0(guint8, s->n_nodes / 8 + 1);
	g_autofree guint8 *has_strong_in = g_new0(guint8, s->n_nodes / 8 + 1);

	rt->rules = rules;
	/* R1: DevTools honours root_index; memlab takes node 0. */
	rt->root = rules == HW_V8_RULES_DEVTOOLS ? s->root : 0;
	page = page_owned(s, rules, rt->root);
	rt->essential = essential_edges(s, rules, rt->root, page, has_ess_in, has_strong_in);
	rt->self = g_memdup2(s->node_self, sizeof(uint64_t) * s->n_nodes);
	if (rules == HW_V8_RULES_DEVTOOLS)
		rt->n_moved = fold_self_sizes(s, rt->root, rt->self);
	adopt_unreached(s, rt, has_ess_in, has_strong_in);
	return rt;
}

void hw_v8_retention_free(hw_v8_retention *rt)
{
	if (!rt)
		return;
	g_free(rt->self);
	g_free(rt->essential);
	g_free(rt->adopted);
	g_free(rt);
}
