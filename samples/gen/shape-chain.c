/* shape-chain.c - a linked list N objects deep, held by one global.
 *
 * The deep-graph case: a dominator tree that is a path of length N, which any recursive
 * traversal turns into a stack overflow at a few hundred thousand nodes. Node i points at
 * node i+1 through its `next` field, so node i is dominated by node i-1 (node 0 by the root)
 * and retains the sizes of nodes i..N-1: the expectations are suffix sums, written from the
 * tail backwards so that no per-node array is needed.
 */
#include "hwgen.h"
#include "rng.h"

/* Three node types sharing `next` at offset 0, chosen per node by the seed, so that retained
 * sizes are not a plain multiple of the index. */
static const struct {
	const char *name;
	uint64_t size;
} node_types[] = {
	{ "main.listNode", 48 },
	{ "main.fatNode", 96 },
	{ "main.tinyNode", 16 },
};

static unsigned node_kind(uint64_t seed, uint64_t i)
{
	hwgen_rng r = hwgen_rng_for(seed, HWGEN_STREAM_TYPE, i);
	uint64_t x = hwgen_rng_below(&r, 8);
	return x < 6 ? 0 : (unsigned)x - 5;   /* 6 in 8 plain nodes, 1 fat, 1 tiny */
}

int hwgen_shape_chain(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e)
{
	const uint64_t n = opt->objects;
	uint32_t types[3];
	for (unsigned k = 0; k < 3; k++)
		types[k] = hwgen_out_type(o, node_types[k].name, node_types[k].size, HWD_TYPE_STRUCT);
	uint32_t next = hwgen_out_string(o, "next");

	for (uint64_t i = 0; i < n && !o->rc; i++) {
		unsigned k = node_kind(opt->seed, i);
		hwgen_out_object(o, node_types[k].size, types[k]);
	}
	for (uint64_t i = 0; i + 1 < n && !o->rc; i++)
		hwgen_out_edge(o, (uint32_t)i, (uint32_t)(i + 1), next, HWD_EDGE_STRONG, 0);
	hwgen_out_global_root(o, "main.list", 0);

	if (e->f) {
		uint64_t suffix = 0;
		for (uint64_t i = n; i-- > 0;) {
			suffix += node_types[node_kind(opt->seed, i)].size;
			hwgen_expect_object(e, (uint32_t)i, i ? (uint32_t)(i - 1) : HWGEN_SUPER_ROOT, suffix);
		}
		hwgen_expect_u64(e, "reachable_objects", n);
		hwgen_expect_u64(e, "reachable_bytes", suffix);
		hwgen_expect_u64(e, "unreachable_objects", 0);
		hwgen_expect_u64(e, "unreachable_bytes", 0);
		hwgen_expect_u64(e, "max_depth", n);
	}
	return 0;
}
