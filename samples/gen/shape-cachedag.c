/* shape-cachedag.c - a leak-shaped Go heap: a session cache that keeps growing.
 *
 * The bundled demo and the realistic test case. It holds what a Go service that leaks
 * through a cache looks like after a while:
 *   - main.sessionCache, a map[string]*main.Session, with Go 1.24+ swiss-map internals (map
 *     header -> table directory -> tables -> group arrays) holding S sessions, 64 per table;
 *   - each *main.Session with its key string (shared by the map slot and Session.id), a
 *     payload []uint8 of 1-16 KiB, and a *main.Config shared with other sessions;
 *   - main.defaultConfig, a global pointing at config 0;
 *   - five goroutines: main, and four HTTP handlers whose innermost frame holds a request
 *     (and, for the first one, the session it is serving, which the cache also holds);
 *   - main.listeners, a []func() of closures each capturing a listener state;
 *   - a cycle of three main.orphan objects that nothing reaches (garbage not yet collected).
 * S is the largest count that keeps the object total within --objects.
 *
 * Everything is laid out by index arithmetic (struct layout below), so the immediate
 * dominator and retained size of every object are known by construction: the expectations
 * are derived by reasoning about who references whom, not by running an algorithm, which is
 * what makes them an oracle for analysis/. The derivation is in expect_cachedag().
 */
#include "hwgen.h"
#include "rng.h"

#include <assert.h>
#include <stdlib.h>

#define SESSIONS_PER_TABLE 64u
#define GOROUTINES 4u            /* HTTP handler goroutines holding requests */
#define FRAMES_PER_GOROUTINE 3u
#define LISTENERS 8u
#define MAX_CONFIGS 32u
#define GARBAGE 3u

/* Sizes in bytes, as Go would allocate them on linux/amd64. */
#define MAP_HEADER_SIZE 48u      /* internal/runtime/maps.Map */
#define TABLE_SIZE 32u           /* internal/runtime/maps.table */
#define GROUP_SIZE 200u          /* ctrl word + 8 slots of {string key, *Session elem} */
#define GROUPS_SIZE (GROUP_SIZE * SESSIONS_PER_TABLE / 8u)
#define SLOT_SIZE 24u
#define CONFIG_SIZE 96u
#define NAME_SIZE 16u            /* a config name or session key: up to 16 string bytes */
#define SESSION_SIZE 80u
#define REQUEST_SIZE 64u
#define BUFFER_SIZE 4096u
#define CLOSURE_SIZE 16u
#define LISTENER_STATE_SIZE 48u
#define ORPHAN_SIZE 32u

/* Object indices of every part, in address order. */
typedef struct layout {
	uint64_t sessions, tables, configs;
	uint64_t inflight;           /* the session goroutine 0 is serving */
	uint64_t header, dir, table0, groups0, config0, session0, request0, listeners, closure0,
		 garbage0, total;
} layout;

static uint64_t count_for(uint64_t s, uint64_t *tables, uint64_t *configs)
{
	uint64_t c = 1 + s / 50;
	*configs = c > MAX_CONFIGS ? MAX_CONFIGS : c;
	*tables = (s + SESSIONS_PER_TABLE - 1) / SESSIONS_PER_TABLE;
	return 2 + 2 * *tables + 2 * *configs + 3 * s + 2 * GOROUTINES + 1 + 2 * LISTENERS + GARBAGE;
}

static layout plan(uint64_t max_objects)
{
	layout l;
	assert(max_objects >= HWGEN_CACHEDAG_MIN_OBJECTS);
	uint64_t s = (max_objects - HWGEN_CACHEDAG_MIN_OBJECTS / 2) / 3;
	while (count_for(s, &l.tables, &l.configs) > max_objects)
		s--;
	l.sessions = s;
	l.inflight = s / 2;
	l.header = 0;
	l.dir = 1;
	l.table0 = 2;
	l.groups0 = l.table0 + l.tables;
	l.config0 = l.groups0 + l.tables;          /* config c at config0+2c, its name right after */
	l.session0 = l.config0 + 2 * l.configs;    /* session i at session0+3i: Session, key, payload */
	l.request0 = l.session0 + 3 * s;           /* request g at request0+2g, its buffer after */
	l.listeners = l.request0 + 2 * GOROUTINES;
	l.closure0 = l.listeners + 1;              /* closure k at closure0+2k, its state after */
	l.garbage0 = l.closure0 + 2 * LISTENERS;
	l.total = l.garbage0 + GARBAGE;
	return l;
}

static uint64_t payload_size(uint64_t seed, uint64_t session)
{
	hwgen_rng r = hwgen_rng_for(seed, HWGEN_STREAM_PAYLOAD, session);
	return 1024ull << hwgen_rng_below(&r, 5);   /* 1, 2, 4, 8 or 16 KiB */
}

typedef struct type_ids {
	uint32_t map, dir, table, groups, config, string, session, bytes, request, funcs, closure,
		 state, orphan;
} type_ids;

typedef struct label_ids {
	uint32_t dir_ptr, elem, groups, map_key, map_value, name, id, payload, cfg, buf, captured,
		 next;
} label_ids;

static void write_objects(const layout *l, const type_ids *t, hwgen_out *o, uint64_t seed)
{
	hwgen_out_object(o, MAP_HEADER_SIZE, t->map);
	hwgen_out_object(o, 8 * l->tables, t->dir);
	for (uint64_t k = 0; k < l->tables; k++)
		hwgen_out_object(o, TABLE_SIZE, t->table);
	for (uint64_t k = 0; k < l->tables; k++)
		hwgen_out_object(o, GROUPS_SIZE, t->groups);
	for (uint64_t c = 0; c < l->configs; c++) {
		hwgen_out_object(o, CONFIG_SIZE, t->config);
		hwgen_out_object(o, NAME_SIZE, t->string);
	}
	for (uint64_t i = 0; i < l->sessions && !o->rc; i++) {
		hwgen_out_object(o, SESSION_SIZE, t->session);
		hwgen_out_object(o, NAME_SIZE, t->string);
		hwgen_out_object(o, payload_size(seed, i), t->bytes);
	}
	for (uint64_t g = 0; g < GOROUTINES; g++) {
		hwgen_out_object(o, REQUEST_SIZE, t->request);
		hwgen_out_object(o, BUFFER_SIZE, t->bytes);
	}
	hwgen_out_object(o, 8 * LISTENERS, t->funcs);
	for (uint64_t k = 0; k < LISTENERS; k++) {
		hwgen_out_object(o, CLOSURE_SIZE, t->closure);
		hwgen_out_object(o, LISTENER_STATE_SIZE, t->state);
	}
	for (uint64_t k = 0; k < GARBAGE; k++)
		hwgen_out_object(o, ORPHAN_SIZE, t->orphan);
}

/* Edges in source order, as the writer requires. */
static void write_edges(const layout *l, const label_ids *b, hwgen_out *o)
{
	const hwd_edge_kind S = HWD_EDGE_STRONG, I = HWD_EDGE_INTERNAL;
	hwgen_out_edge(o, (uint32_t)l->header, (uint32_t)l->dir, b->dir_ptr, I, 16);
	for (uint64_t k = 0; k < l->tables; k++)
		hwgen_out_edge(o, (uint32_t)l->dir, (uint32_t)(l->table0 + k), b->elem, I, 8 * k);
	for (uint64_t k = 0; k < l->tables; k++)
		hwgen_out_edge(o, (uint32_t)(l->table0 + k), (uint32_t)(l->groups0 + k), b->groups, I, 16);
	for (uint64_t k = 0; k < l->tables && !o->rc; k++) {
		uint64_t first = k * SESSIONS_PER_TABLE;
		for (uint64_t i = first; i < l->sessions && i < first + SESSIONS_PER_TABLE; i++) {
			uint64_t slot = 8 + (i - first) / 8 * GROUP_SIZE + (i - first) % 8 * SLOT_SIZE;
			uint32_t sess = (uint32_t)(l->session0 + 3 * i);
			hwgen_out_edge(o, (uint32_t)(l->groups0 + k), sess + 1, b->map_key, S, slot);
			hwgen_out_edge(o, (uint32_t)(l->groups0 + k), sess, b->map_value, S, slot + 16);
		}
	}
	for (uint64_t c = 0; c < l->configs; c++)
		hwgen_out_edge(o, (uint32_t)(l->config0 + 2 * c), (uint32_t)(l->config0 + 2 * c + 1),
			       b->name, S, 0);
	for (uint64_t i = 0; i < l->sessions && !o->rc; i++) {
		uint32_t sess = (uint32_t)(l->session0 + 3 * i);
		hwgen_out_edge(o, sess, sess + 1, b->id, S, 0);
		hwgen_out_edge(o, sess, sess + 2, b->payload, S, 16);
		hwgen_out_edge(o, sess, (uint32_t)(l->config0 + 2 * (i % l->configs)), b->cfg, S, 40);
	}
	for (uint64_t g = 0; g < GOROUTINES; g++)
		hwgen_out_edge(o, (uint32_t)(l->request0 + 2 * g), (uint32_t)(l->request0 + 2 * g + 1),
			       b->buf, S, 8);
	for (uint64_t k = 0; k < LISTENERS; k++)
		hwgen_out_edge(o, (uint32_t)l->listeners, (uint32_t)(l->closure0 + 2 * k), b->elem, S, 8 * k);
	for (uint64_t k = 0; k < LISTENERS; k++)
		hwgen_out_edge(o, (uint32_t)(l->closure0 + 2 * k), (uint32_t)(l->closure0 + 2 * k + 1),
			       b->captured, S, 8);
	for (uint64_t k = 0; k < GARBAGE; k++)
		hwgen_out_edge(o, (uint32_t)(l->garbage0 + k), (uint32_t)(l->garbage0 + (k + 1) % GARBAGE),
			       b->next, S, 0);
}

/* The main goroutine (no roots) and the handlers, each with three frames, innermost first;
 * handler g's innermost frame holds `req`, and handler 0's also holds `sess`. */
static void write_goroutines(const layout *l, hwgen_out *o)
{
	const uint64_t stack_top = 0xc000200000ull;
	const char *const handler_frames[FRAMES_PER_GOROUTINE][2] = {
		{ "main.(*Server).handle", "/src/app/server.go" },
		{ "net/http.HandlerFunc.ServeHTTP", "/usr/local/go/src/net/http/server.go" },
		{ "net/http.(*conn).serve", "/usr/local/go/src/net/http/server.go" },
	};
	const uint32_t lines[FRAMES_PER_GOROUTINE] = { 88, 2294, 2102 };

	hwd_goroutine main_g = {
		.id = 1, .wait_ns = 3600ll * 1000000000ll, .stack_bytes = 8192,
		.state = hwgen_out_string(o, "waiting"),
		.wait_reason = hwgen_out_string(o, "select"),
		.start_func = hwgen_out_string(o, "runtime.main"),
		.first_frame = o->frames, .nframes = 1,
	};
	uint32_t gi = hwgen_out_goroutine(o, &main_g);
	hwd_frame main_f = {
		.pc = 0x4a1f20, .sp = stack_top - 0x100, .func = hwgen_out_string(o, "main.main"),
		.file = hwgen_out_string(o, "/src/app/main.go"), .line = 41, .goroutine = gi,
	};
	hwgen_out_frame(o, &main_f);

	for (uint32_t g = 0; g < GOROUTINES && !o->rc; g++) {
		uint64_t sp = stack_top + (uint64_t)(g + 1) * 0x8000;
		hwd_goroutine hg = {
			.id = 20 + g, .wait_ns = g == 0 ? -1 : (int64_t)g * 250000000, .stack_bytes = 8192,
			.state = hwgen_out_string(o, g == 0 ? "running" : "waiting"),
			.wait_reason = g == 0 ? 0 : hwgen_out_string(o, "IO wait"),
			.start_func = hwgen_out_string(o, "net/http.(*conn).serve"),
			.creator_func = hwgen_out_string(o, "net/http.(*Server).Serve"),
			.creator_file = hwgen_out_string(o, "/usr/local/go/src/net/http/server.go"),
			.creator_line = 3454,
			.first_frame = o->frames, .nframes = FRAMES_PER_GOROUTINE,
		};
		gi = hwgen_out_goroutine(o, &hg);
		uint32_t innermost = o->frames;
		for (uint32_t f = 0; f < FRAMES_PER_GOROUTINE; f++) {
			hwd_frame fr = {
				.pc = 0x4c0000 + 0x1000 * f + 0x40 * g, .sp = sp + 0x80 * f,
				.func = hwgen_out_string(o, handler_frames[f][0]),
				.file = hwgen_out_string(o, handler_frames[f][1]),
				.line = lines[f], .goroutine = gi,
			};
			hwgen_out_frame(o, &fr);
		}
		hwd_root req = {
			.kind = HWD_ROOT_STACK, .name = hwgen_out_string(o, "req"),
			.object = (uint32_t)(l->request0 + 2 * g), .goroutine = gi, .frame = innermost,
			.addr = sp + 0x18,
		};
		hwgen_out_root(o, &req);
		if (g == 0) {
			hwd_root sess = req;
			sess.name = hwgen_out_string(o, "sess");
			sess.object = (uint32_t)(l->session0 + 3 * l->inflight);
			sess.addr = sp + 0x20;
			hwgen_out_root(o, &sess);
		}
	}
}

/* Who dominates a config: the super-root if a root reaches it directly (config 0, through
 * main.defaultConfig) or through the in-flight session; otherwise the lowest common dominator
 * of its sessions, each dominated by its table's group array: that array when they all sit in
 * one table, else the directory above all tables. */
static int expect_cachedag(const layout *l, uint64_t seed, uint64_t total_bytes, hwgen_expect *e)
{
	const uint64_t config_retained = CONFIG_SIZE + NAME_SIZE;
	uint64_t *group_retained = calloc(l->tables, sizeof *group_retained);
	if (!group_retained) {
		fprintf(stderr, "hwgen: out of memory computing expectations for %llu tables\n",
			(unsigned long long)l->tables);
		return -1;
	}
	uint64_t first_table[MAX_CONFIGS];
	int multi[MAX_CONFIGS] = { 0 }, via_root[MAX_CONFIGS] = { 0 };
	uint32_t config_idom[MAX_CONFIGS];
	for (uint64_t c = 0; c < l->configs; c++)
		first_table[c] = UINT64_MAX;
	via_root[0] = 1;

	for (uint64_t i = 0; i < l->sessions; i++) {
		uint64_t t = i / SESSIONS_PER_TABLE, c = i % l->configs;
		if (i == l->inflight)
			via_root[c] = 1;
		else
			group_retained[t] += SESSION_SIZE + payload_size(seed, i) + NAME_SIZE;
		if (first_table[c] == UINT64_MAX)
			first_table[c] = t;
		else if (first_table[c] != t)
			multi[c] = 1;
	}
	uint64_t dir_retained = 8 * l->tables;
	for (uint64_t c = 0; c < l->configs; c++) {
		if (via_root[c]) {
			config_idom[c] = HWGEN_SUPER_ROOT;
		} else if (multi[c]) {
			config_idom[c] = (uint32_t)l->dir;
			dir_retained += config_retained;
		} else {
			config_idom[c] = (uint32_t)(l->groups0 + first_table[c]);
			group_retained[first_table[c]] += config_retained;
		}
	}
	for (uint64_t k = 0; k < l->tables; k++) {
		group_retained[k] += GROUPS_SIZE;
		dir_retained += TABLE_SIZE + group_retained[k];
	}

	hwgen_expect_object(e, (uint32_t)l->header, HWGEN_SUPER_ROOT, MAP_HEADER_SIZE + dir_retained);
	hwgen_expect_object(e, (uint32_t)l->dir, (uint32_t)l->header, dir_retained);
	for (uint64_t k = 0; k < l->tables; k++)
		hwgen_expect_object(e, (uint32_t)(l->table0 + k), (uint32_t)l->dir,
				    TABLE_SIZE + group_retained[k]);
	for (uint64_t k = 0; k < l->tables; k++)
		hwgen_expect_object(e, (uint32_t)(l->groups0 + k), (uint32_t)(l->table0 + k),
				    group_retained[k]);
	for (uint64_t c = 0; c < l->configs; c++) {
		uint32_t cfg = (uint32_t)(l->config0 + 2 * c);
		hwgen_expect_object(e, cfg, config_idom[c], config_retained);
		hwgen_expect_object(e, cfg + 1, cfg, NAME_SIZE);
	}
	for (uint64_t i = 0; i < l->sessions; i++) {
		uint32_t sess = (uint32_t)(l->session0 + 3 * i);
		uint32_t owner = i == l->inflight ? HWGEN_SUPER_ROOT
						  : (uint32_t)(l->groups0 + i / SESSIONS_PER_TABLE);
		uint64_t payload = payload_size(seed, i);
		hwgen_expect_object(e, sess, owner, SESSION_SIZE + payload);
		hwgen_expect_object(e, sess + 1, owner, NAME_SIZE);
		hwgen_expect_object(e, sess + 2, sess, payload);
	}
	for (uint64_t g = 0; g < GOROUTINES; g++) {
		uint32_t req = (uint32_t)(l->request0 + 2 * g);
		hwgen_expect_object(e, req, HWGEN_SUPER_ROOT, REQUEST_SIZE + BUFFER_SIZE);
		hwgen_expect_object(e, req + 1, req, BUFFER_SIZE);
	}
	hwgen_expect_object(e, (uint32_t)l->listeners, HWGEN_SUPER_ROOT,
			    8 * LISTENERS + LISTENERS * (CLOSURE_SIZE + LISTENER_STATE_SIZE));
	for (uint64_t k = 0; k < LISTENERS; k++) {
		uint32_t cl = (uint32_t)(l->closure0 + 2 * k);
		hwgen_expect_object(e, cl, (uint32_t)l->listeners, CLOSURE_SIZE + LISTENER_STATE_SIZE);
		hwgen_expect_object(e, cl + 1, cl, LISTENER_STATE_SIZE);
	}
	for (uint64_t k = 0; k < GARBAGE; k++)
		hwgen_expect_object(e, (uint32_t)(l->garbage0 + k), HWD_NONE, 0);

	hwgen_expect_u64(e, "sessions", l->sessions);
	hwgen_expect_u64(e, "cache_bytes", MAP_HEADER_SIZE + dir_retained);
	hwgen_expect_str(e, "top_root", "main.sessionCache");
	hwgen_expect_u64(e, "reachable_objects", l->total - GARBAGE);
	hwgen_expect_u64(e, "reachable_bytes", total_bytes - GARBAGE * ORPHAN_SIZE);
	hwgen_expect_u64(e, "unreachable_objects", GARBAGE);
	hwgen_expect_u64(e, "unreachable_bytes", GARBAGE * ORPHAN_SIZE);
	hwgen_expect_u64(e, "max_depth", 6);   /* header, dir, table, groups, session, payload */
	free(group_retained);
	return 0;
}

int hwgen_shape_cachedag(const hwgen_options *opt, hwgen_out *o, hwgen_expect *e)
{
	const layout l = plan(opt->objects);
	const type_ids t = {
		.map = hwgen_out_type(o, "map[string]*main.Session", MAP_HEADER_SIZE, HWD_TYPE_MAP),
		.dir = hwgen_out_type(o, "[]*internal/runtime/maps.table", 8, HWD_TYPE_MAP),
		.table = hwgen_out_type(o, "internal/runtime/maps.table", TABLE_SIZE, HWD_TYPE_MAP),
		.groups = hwgen_out_type(o, "map.group[string]*main.Session", GROUP_SIZE, HWD_TYPE_MAP),
		.config = hwgen_out_type(o, "main.Config", CONFIG_SIZE, HWD_TYPE_STRUCT),
		.string = hwgen_out_type(o, "string", 0, HWD_TYPE_STRING),
		.session = hwgen_out_type(o, "main.Session", SESSION_SIZE, HWD_TYPE_STRUCT),
		.bytes = hwgen_out_type(o, "[]uint8", 0, HWD_TYPE_SLICE_ARRAY),
		.request = hwgen_out_type(o, "main.request", REQUEST_SIZE, HWD_TYPE_STRUCT),
		.funcs = hwgen_out_type(o, "[]func()", 0, HWD_TYPE_SLICE_ARRAY),
		.closure = hwgen_out_type(o, "main.(*Server).Start.func1", CLOSURE_SIZE, HWD_TYPE_CLOSURE),
		.state = hwgen_out_type(o, "main.listenerState", LISTENER_STATE_SIZE, HWD_TYPE_STRUCT),
		.orphan = hwgen_out_type(o, "main.orphan", ORPHAN_SIZE, HWD_TYPE_STRUCT),
	};
	const label_ids b = {
		.dir_ptr = hwgen_out_string(o, "dirPtr"),
		.elem = hwgen_out_string(o, "[*]"),
		.groups = hwgen_out_string(o, "groups.data"),
		.map_key = hwgen_out_string(o, "map key"),
		.map_value = hwgen_out_string(o, "map value"),
		.name = hwgen_out_string(o, "name"),
		.id = hwgen_out_string(o, "id"),
		.payload = hwgen_out_string(o, "payload"),
		.cfg = hwgen_out_string(o, "cfg"),
		.buf = hwgen_out_string(o, "buf"),
		.captured = hwgen_out_string(o, "s"),
		.next = hwgen_out_string(o, "next"),
	};

	hwgen_series series;
	write_objects(&l, &t, o, opt->seed);
	uint64_t base_bytes = o->bytes;
	if (opt->series)
		hwgen_series_objects(opt, o, &series);
	write_edges(&l, &b, o);
	if (opt->series)
		hwgen_series_edges(o, &series);
	hwgen_out_global_root(o, "main.sessionCache", (uint32_t)l.header);
	hwgen_out_global_root(o, "main.defaultConfig", (uint32_t)l.config0);
	hwgen_out_global_root(o, "main.listeners", (uint32_t)l.listeners);
	write_goroutines(&l, o);
	if (opt->series) {
		/* The base part's expectations hold as they are (the series part is disjoint from it). */
		hwgen_series_roots(opt, o, &series, e);
		hwgen_expect_u64(e, "series.reachable_bytes", o->bytes - GARBAGE * ORPHAN_SIZE);
	}
	return e->f ? expect_cachedag(&l, opt->seed, base_bytes, e) : 0;
}
