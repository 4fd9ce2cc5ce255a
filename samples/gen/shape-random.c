/* shape-random.c - N objects, E uniformly random edges, R random roots.
 *
 * The scale shape for benchmarks and fuzz-like tests. Object i gets exactly
 * floor(E(i+1)/N) - floor(Ei/N) outgoing edges (so the total is exactly E), their targets
 * drawn from a generator seeded by (seed, i): the edges of any object can be regenerated
 * at any time, in the writer's source order, without storing them. About 1 edge in 32 is weak
 * and 1 in 16 internal, so analyses must tell kinds apart.
 *
 * Dominators of a random graph are not known by construction; the expectations give what is:
 * reachability, by a breadth-first search over regenerated edges (weak edges skipped) with a
 * bitmap of N bits and a queue of N 32-bit indices, allocated only when --expect is given.
 */
#include "hwgen.h"
#include "rng.h"

#include <stdlib.h>

/* A pool of Go-looking types; variable-size ones (size 0 here) draw a size per object. */
static const struct {
	const char *name;
	uint64_t size;
	hwd_type_kind kind;
} pool[] = {
	{ "main.node", 48, HWD_TYPE_STRUCT },
	{ "main.tree", 64, HWD_TYPE_STRUCT },
	{ "*main.node", 8, HWD_TYPE_POINTER },
	{ "[]*main.node", 0, HWD_TYPE_SLICE_ARRAY },
	{ "[]uint8", 0, HWD_TYPE_SLICE_ARRAY },
	{ "string", 0, HWD_TYPE_STRING },
	{ "map.group[string]*main.node", 200, HWD_TYPE_MAP },
	{ "main.(*Worker).run.func1", 16, HWD_TYPE_CLOSURE },
	{ "chan *main.node", 96, HWD_TYPE_CHAN },
};
#define POOL_SIZE (sizeof pool / sizeof pool[0])

static const char *const labels[] = { "next", "left", "right", "data", "parent", "[*]", "map value" };
#define LABEL_COUNT (sizeof labels / sizeof labels[0])

typedef struct object_plan {
	unsigned type;     /* index into pool */
	uint64_t size;
} object_plan;

static object_plan plan_object(uint64_t seed, uint64_t i)
{
	hwgen_rng r = hwgen_rng_for(seed, HWGEN_STREAM_SIZE, i);
	object_plan p = { .type = (unsigned)hwgen_rng_below(&r, POOL_SIZE) };
	p.size = pool[p.type].size;
	if (!p.size)   /* 16..4096 bytes, skewed small like real heaps: 16 << (0..8) */
		p.size = 16ull << hwgen_rng_below(&r, hwgen_rng_below(&r, 9) + 1);
	return p;
}

/* The edges of one source object, regenerated on demand. */
typedef struct edge_iter {
	hwgen_rng r;
	uint64_t left;     /* edges still to produce */
	uint64_t slot;     /* index of the next edge within the object */
	uint64_t n;
} edge_iter;

typedef struct planned_edge {
	uint32_t to;
	unsigned label;    /* index into labels */
	hwd_edge_kind kind;
	uint64_t offset;
} planned_edge;

static void edges_of(edge_iter *it, const hwgen_options *opt, uint64_t i)
{
	unsigned __int128 e = opt->edges;
	it->r = hwgen_rng_for(opt->seed, HWGEN_STREAM_EDGES, i);
	it->left = (uint64_t)(e * (i + 1) / opt->objects - e * i / opt->objects);
	it->slot = 0;
	it->n = opt->objects;
}

static int next_edge(edge_iter *it, planned_edge *out)
{
	if (!it->left)
		return 0;
	it->left--;
	uint64_t x = hwgen_rng_next(&it->r);
	out->to = (uint32_t)(((unsigned __int128)x * it->n) >> 64);
	uint64_t y = hwgen_rng_next(&it->r);
	out->label = (unsigned)(y % LABEL_COUNT);
	unsigned k = (unsigned)(y >> 32) & 31;
	out->kind = k == 0 ? HWD_EDGE_WEAK : k <= 2 ? HWD_EDGE_INTERNAL : HWD_EDGE_STRONG;
	out->offset = 8 * it->slot++;
	return 1;
}

static uint32_t root_target(const hwgen_options *opt, uint64_t j)
{
	hwgen_rng r = hwgen_rng_for(opt->seed, HWGEN_STREAM_ROOTS, j);
	return (uint32_t)hwgen_rng_below(&r, opt->objects);
}

/* Breadth-first search from the roots over regenerated non-weak edges. */
static int expect_reachability(const hwgen_options *opt, uint64_t total_bytes, hwgen_expect *e)
{
	const uint64_t n = opt->objects;
	uint64_t *seen = calloc((n + 63) / 64, sizeof *seen);
	uint32_t *queue = malloc(n * sizeof *queue);
	if (!seen || !queue) {
		free(seen);
		free(queue);
		fprintf(stderr, "hwgen: out of memory computing reachability of %llu objects\n",
			(unsigned long long)n);
		return -1;
	}
	uint64_t head = 0, tail = 0, bytes = 0;
	for (uint64_t j = 0; j < opt->roots; j++) {
		uint32_t t = root_target(opt, j);
		if (!(seen[t / 64] >> (t % 64) & 1)) {
			seen[t / 64] |= 1ull << (t % 64);
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t v = queue[head++];
		bytes += plan_object(opt->seed, v).size;
		edge_iter it;
		planned_edge pe;
		edges_of(&it, opt, v);
		while (next_edge(&it, &pe)) {
			if (pe.kind == HWD_EDGE_WEAK || (seen[pe.to / 64] >> (pe.to % 64) & 1))
				continue;
			seen[pe.to / 64] |= 1ull << (pe.to % 64);
			queue[tail++] = pe.to;
		}
	}
	hwgen_expect_u64(e, "reachable_objects", tail);
	hwgen_expect_u64(e, "reachable_bytes", bytes);
	hwgen_expect_u64(e, "unreachable_objects", n - tail);
	hwgen_expect_u64(e, "unreachable_bytes", total_bytes - bytes);
	free(seen);
	free(queue);
	return 0;
}

int hwgen_shape_random(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e)
{
	uint32_t types[POOL_SIZE], label_ids[LABEL_COUNT];
	for (unsigned k = 0; k < POOL_SIZE; k++)
		types[k] = hwgen_out_type(o, pool[k].name, pool[k].size, pool[k].kind);
	for (unsigned k = 0; k < LABEL_COUNT; k++)
		label_ids[k] = hwgen_out_string(o, labels[k]);

	for (uint64_t i = 0; i < opt->objects && !o->rc; i++) {
		object_plan p = plan_object(opt->seed, i);
		hwgen_out_object(o, p.size, types[p.type]);
	}
	for (uint64_t i = 0; i < opt->objects && !o->rc; i++) {
		edge_iter it;
		planned_edge pe;
		edges_of(&it, opt, i);
		while (next_edge(&it, &pe))
			hwgen_out_edge(o, (uint32_t)i, pe.to, label_ids[pe.label], pe.kind, pe.offset);
	}
	for (uint64_t j = 0; j < opt->roots && !o->rc; j++) {
		char name[32];
		snprintf(name, sizeof name, "main.root%llu", (unsigned long long)j);
		hwgen_out_global_root(o, name, root_target(opt, j));
	}
	return e->f && !o->rc ? expect_reachability(opt, o->bytes, e) : 0;
}
