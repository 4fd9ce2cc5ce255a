/* series.c - the growing part of a cachedag snapshot series (--step K, --clean).
 *
 * A leak shows as growth between snapshots of one process, so the series tests need
 * snapshots taken "later" of the same heap. With --step K the cachedag shape appends three
 * structures after its own objects, each in its own address region above the base heap so
 * that what exists at step K keeps its address at step K+1 (a Go heap does not move
 * objects):
 *   - main.requestLog, a map[uint64]*main.Entry (header, one group array) holding
 *     100 + 100K entries, each a *main.Entry with a 512-byte payload: a growing cache;
 *   - main.subscribers, a []func(main.Event) of 32 + 16K closures, each capturing a
 *     256-byte main.subscriber: unreleased listeners;
 *   - 4 + 25K goroutines started by main.(*Server).dispatch (server.go:120), blocked in
 *     chan receive in main.worker (worker.go:33), each holding a 128-byte main.job with a
 *     2 KiB buffer in a stack slot: leaked goroutines.
 * With --clean the same structures are written at their step-0 sizes whatever K is: the
 * clean twin of the series, which must give no finding. The counts go to the expectations
 * as series.* keys.
 */
#include "hwgen.h"

#define ENTRIES0 100u
#define ENTRIES_STEP 100u
#define LISTENERS0 32u
#define LISTENERS_STEP 16u
#define WORKERS0 4u
#define WORKERS_STEP 25u
#define ENTRY_SIZE 64u
#define PAYLOAD_SIZE 512u
#define CLOSURE_SIZE 16u
#define SUBSCRIBER_SIZE 256u
#define JOB_SIZE 128u
#define JOB_BUF_SIZE 2048u
#define REGION (1ull << 32)      /* address space per structure: room for any test's K */

static uint64_t grown(const hwgen_options *opt, uint64_t base, uint64_t step)
{
	return base + (opt->clean ? 0 : step * opt->step);
}

void hwgen_series_objects(const hwgen_options *opt, hwgen_out *o, hwgen_series *s)
{
	s->entries = grown(opt, ENTRIES0, ENTRIES_STEP);
	s->listeners = grown(opt, LISTENERS0, LISTENERS_STEP);
	s->workers = grown(opt, WORKERS0, WORKERS_STEP);
	uint32_t t_map = hwgen_out_type(o, "map[uint64]*main.Entry", 48, HWD_TYPE_MAP);
	uint32_t t_group = hwgen_out_type(o, "map.group[uint64]*main.Entry", 0, HWD_TYPE_MAP);
	uint32_t t_entry = hwgen_out_type(o, "main.Entry", ENTRY_SIZE, HWD_TYPE_STRUCT);
	uint32_t t_bytes = hwgen_out_type(o, "[]uint8", 0, HWD_TYPE_SLICE_ARRAY);
	uint32_t t_funcs = hwgen_out_type(o, "[]func(main.Event)", 0, HWD_TYPE_SLICE_ARRAY);
	uint32_t t_closure = hwgen_out_type(o, "main.(*Bus).Subscribe.func1", CLOSURE_SIZE, HWD_TYPE_CLOSURE);
	uint32_t t_sub = hwgen_out_type(o, "main.subscriber", SUBSCRIBER_SIZE, HWD_TYPE_STRUCT);
	uint32_t t_job = hwgen_out_type(o, "main.job", JOB_SIZE, HWD_TYPE_STRUCT);

	/* Regions start at a fixed distance above the base heap, which K does not change. */
	uint64_t region0 = (o->next_addr + REGION - 1) & ~(REGION - 1);
	o->next_addr = region0;
	s->map = hwgen_out_object(o, 48, t_map);
	s->entry0 = (uint32_t)o->objects;
	for (uint64_t i = 0; i < s->entries; i++) {
		hwgen_out_object(o, ENTRY_SIZE, t_entry);
		hwgen_out_object(o, PAYLOAD_SIZE, t_bytes);
	}
	s->group = hwgen_out_object(o, 8 + 16 * s->entries, t_group);   /* last: it is reallocated as it grows */

	o->next_addr = region0 + REGION;
	s->closure0 = (uint32_t)o->objects;
	for (uint64_t i = 0; i < s->listeners; i++) {
		hwgen_out_object(o, CLOSURE_SIZE, t_closure);
		hwgen_out_object(o, SUBSCRIBER_SIZE, t_sub);
	}
	s->subs = hwgen_out_object(o, 8 * s->listeners, t_funcs);

	o->next_addr = region0 + 2 * REGION;
	s->job0 = (uint32_t)o->objects;
	for (uint64_t i = 0; i < s->workers; i++) {
		hwgen_out_object(o, JOB_SIZE, t_job);
		hwgen_out_object(o, JOB_BUF_SIZE, t_bytes);
	}
}

/* Edges, in source order: the map header first, then entries, the group array, closures,
 * the subscriber array, jobs. */
void hwgen_series_edges(hwgen_out *o, const hwgen_series *s)
{
	const hwd_edge_kind S = HWD_EDGE_STRONG;
	hwgen_out_edge(o, s->map, s->group, hwgen_out_string(o, "groups.data"), HWD_EDGE_INTERNAL, 16);
	uint32_t data = hwgen_out_string(o, "data");
	for (uint64_t i = 0; i < s->entries; i++)
		hwgen_out_edge(o, (uint32_t)(s->entry0 + 2 * i), (uint32_t)(s->entry0 + 2 * i + 1), data, S, 8);
	uint32_t value = hwgen_out_string(o, "map value");
	for (uint64_t i = 0; i < s->entries; i++)
		hwgen_out_edge(o, s->group, (uint32_t)(s->entry0 + 2 * i), value, S, 16 + 16 * i);
	uint32_t captured = hwgen_out_string(o, "s");
	for (uint64_t i = 0; i < s->listeners; i++)
		hwgen_out_edge(o, (uint32_t)(s->closure0 + 2 * i), (uint32_t)(s->closure0 + 2 * i + 1), captured, S, 8);
	uint32_t elem = hwgen_out_string(o, "[*]");
	for (uint64_t i = 0; i < s->listeners; i++)
		hwgen_out_edge(o, s->subs, (uint32_t)(s->closure0 + 2 * i), elem, S, 8 * i);
	uint32_t buf = hwgen_out_string(o, "buf");
	for (uint64_t i = 0; i < s->workers; i++)
		hwgen_out_edge(o, (uint32_t)(s->job0 + 2 * i), (uint32_t)(s->job0 + 2 * i + 1), buf, S, 8);
}

void hwgen_series_roots(const hwgen_options *opt, hwgen_out *o, const hwgen_series *s, hwgen_expect *e)
{
	static const char *const frames[3][2] = {
		{ "runtime.gopark", "/usr/local/go/src/runtime/proc.go" },
		{ "runtime.chanrecv1", "/usr/local/go/src/runtime/chan.go" },
		{ "main.worker", "/src/app/worker.go" },
	};
	static const uint32_t lines[3] = { 435, 506, 33 };

	hwgen_out_global_root(o, "main.requestLog", s->map);
	hwgen_out_global_root(o, "main.subscribers", s->subs);
	for (uint64_t i = 0; i < s->workers && !o->rc; i++) {
		hwd_goroutine g = {
			.id = 1000 + i, .wait_ns = (int64_t)(opt->step + 1) * 120 * 1000000000ll, .stack_bytes = 8192,
			.state = hwgen_out_string(o, "waiting"), .wait_reason = hwgen_out_string(o, "chan receive"),
			.start_func = hwgen_out_string(o, "main.worker"),
			.creator_func = hwgen_out_string(o, "main.(*Server).dispatch"),
			.creator_file = hwgen_out_string(o, "/src/app/server.go"), .creator_line = 120,
			.first_frame = o->frames, .nframes = 3,
		};
		uint32_t gi = hwgen_out_goroutine(o, &g);
		uint32_t worker_frame = o->frames + 2;
		for (uint32_t f = 0; f < 3; f++) {
			hwd_frame fr = {
				.pc = 0x4d0000 + 0x100 * f, .sp = 0xc000400000ull + 0x8000 * i + 0x80 * f,
				.func = hwgen_out_string(o, frames[f][0]), .file = hwgen_out_string(o, frames[f][1]),
				.line = lines[f], .goroutine = gi,
			};
			hwgen_out_frame(o, &fr);
		}
		hwd_root r = {
			.kind = HWD_ROOT_STACK, .name = hwgen_out_string(o, "j"), .object = (uint32_t)(s->job0 + 2 * i),
			.goroutine = gi, .frame = worker_frame, .addr = 0xc000400000ull + 0x8000 * i + 0x120,
		};
		hwgen_out_root(o, &r);
	}
	hwgen_expect_u64(e, "series.step", opt->step);
	hwgen_expect_u64(e, "series.entries", s->entries);
	hwgen_expect_u64(e, "series.entry_bytes", ENTRY_SIZE + PAYLOAD_SIZE);
	hwgen_expect_u64(e, "series.listeners", s->listeners);
	hwgen_expect_u64(e, "series.listener_bytes", CLOSURE_SIZE + SUBSCRIBER_SIZE);
	hwgen_expect_u64(e, "series.workers", s->workers);
	hwgen_expect_u64(e, "series.worker_retained", JOB_SIZE + JOB_BUF_SIZE);
}
