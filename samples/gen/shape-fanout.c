/* shape-fanout.c - one global holding one slice of N-1 pointers: the widest dominator tree.
 *
 * Object 0 is the slice's backing array; objects 1..N-1 are the items it points at, each
 * through element [*] at offset 8*(i-1). Every item is dominated by the array and retains only
 * itself; the array retains everything. It stresses the other extreme from shape-chain.c: a
 * node with millions of children, and edge offsets too large to encode (they become unknown).
 */
#include "hwgen.h"
#include "rng.h"

static uint64_t item_size(uint64_t seed, uint64_t i)
{
	hwgen_rng r = hwgen_rng_for(seed, HWGEN_STREAM_SIZE, i);
	return hwgen_rng_below(&r, 16) == 0 ? 256 : 32;   /* main.bigItem 1 in 16, else main.Item */
}

int hwgen_shape_fanout(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e)
{
	const uint64_t n = opt->objects;
	const uint64_t items = n - 1;
	uint32_t slice = hwgen_out_type(o, "[]*main.Item", 8, HWD_TYPE_SLICE_ARRAY);
	uint32_t item = hwgen_out_type(o, "main.Item", 32, HWD_TYPE_STRUCT);
	uint32_t big = hwgen_out_type(o, "main.bigItem", 256, HWD_TYPE_STRUCT);
	uint32_t elem = hwgen_out_string(o, "[*]");

	hwgen_out_object(o, items ? 8 * items : 8, slice);
	for (uint64_t i = 1; i < n && !o->rc; i++) {
		uint64_t size = item_size(opt->seed, i);
		hwgen_out_object(o, size, size == 32 ? item : big);
	}
	for (uint64_t i = 1; i < n && !o->rc; i++)
		hwgen_out_edge(o, 0, (uint32_t)i, elem, HWD_EDGE_STRONG, 8 * (i - 1));
	hwgen_out_global_root(o, "main.items", 0);

	if (e->f) {
		uint64_t total = items ? 8 * items : 8;
		for (uint64_t i = 1; i < n; i++) {
			uint64_t size = item_size(opt->seed, i);
			total += size;
			hwgen_expect_object(e, (uint32_t)i, 0, size);
		}
		hwgen_expect_object(e, 0, HWGEN_SUPER_ROOT, total);
		hwgen_expect_u64(e, "reachable_objects", n);
		hwgen_expect_u64(e, "reachable_bytes", total);
		hwgen_expect_u64(e, "unreachable_objects", 0);
		hwgen_expect_u64(e, "unreachable_bytes", 0);
		hwgen_expect_u64(e, "max_depth", n > 1 ? 2 : 1);
	}
	return 0;
}
