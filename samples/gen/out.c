/* out.c - the snapshot hwgen is writing: the dumpfmt writer behind a sticky error.
 *
 * Shapes call these functions in a straight line, millions of times; checking each call would
 * bury the shape in error paths. Instead the first failure is recorded in the hwgen_out, every
 * later call does nothing, and hwgen_out_finish() reports it (or aborts the writer, which
 * unlinks the temporary file so no half-written snapshot is left behind).
 * Object addresses are handed out by a cursor starting where Go puts its first heap arena,
 * so a shape never computes addresses itself and they are always increasing and disjoint.
 */
#include "hwgen.h"

#include <assert.h>
#include <string.h>

/* Where a Go heap begins on linux/amd64 (the first arena hint), and where its globals live. */
#define HEAP_BASE 0xc000000000ull
#define DATA_BASE 0x5a0000ull
/* Objects are placed on 16-byte boundaries, as Go's size classes are (above 8 bytes). */
#define OBJECT_ALIGN 16u

static int failed(hwgen_out *o, int rc, const char *what)
{
	if (rc < 0 && o->rc == 0) {
		o->rc = rc;
		o->what = what;
	}
	return o->rc != 0;
}

int hwgen_out_open(hwgen_out *o, const hwgen_options *opt)
{
	memset(o, 0, sizeof *o);
	o->next_addr = HEAP_BASE;
	o->next_global = DATA_BASE;
	hwd_writer_options wo = {
		.producer = "hwgen " HWGEN_VERSION,
		.pointer_size = 8,
	};
	int rc = hwd_writer_open(opt->output, &wo, &o->w, &o->err);
	if (rc < 0) {
		fprintf(stderr, "hwgen: cannot create %s: %s\n", opt->output, o->err.message);
		return rc;
	}
	return 0;
}

uint32_t hwgen_out_type(hwgen_out *o, const char *name, uint64_t size, hwd_type_kind kind)
{
	if (o->rc)
		return 0;
	uint32_t id = hwd_writer_type(o->w, name, size, kind);
	failed(o, id ? 0 : HWD_E_NOMEM, "type");
	return id;
}

uint32_t hwgen_out_string(hwgen_out *o, const char *s)
{
	if (o->rc)
		return 0;
	uint32_t id = hwd_writer_cstring(o->w, s);
	failed(o, id ? 0 : HWD_E_NOMEM, "string");
	return id;
}

uint32_t hwgen_out_object(hwgen_out *o, uint64_t size, uint32_t type)
{
	assert(size > 0);
	uint32_t index = (uint32_t)o->objects;
	if (o->rc)
		return index;
	hwd_object obj = { .addr = o->next_addr, .size = size, .type = type, .flags = HWD_OBJ_HAS_HEADER };
	if (failed(o, hwd_writer_object(o->w, &obj), "object"))
		return index;
	o->next_addr += (size + OBJECT_ALIGN - 1) & ~(uint64_t)(OBJECT_ALIGN - 1);
	o->objects++;
	o->bytes += size;
	return index;
}

void hwgen_out_edge(hwgen_out *o, uint32_t from, uint32_t to, uint32_t label,
		    hwd_edge_kind kind, uint64_t offset)
{
	if (o->rc)
		return;
	hwd_edge e = { .from = from, .to = to, .label = label, .info = hwd_edge_info(kind, offset) };
	if (!failed(o, hwd_writer_edge(o->w, &e), "edge"))
		o->edges++;
}

void hwgen_out_root(hwgen_out *o, const hwd_root *r)
{
	if (o->rc)
		return;
	if (!failed(o, hwd_writer_root(o->w, r), "root"))
		o->roots++;
}

void hwgen_out_global_root(hwgen_out *o, const char *name, uint32_t object)
{
	hwd_root r = {
		.kind = HWD_ROOT_GLOBAL,
		.name = hwgen_out_string(o, name),
		.object = object,
		.goroutine = HWD_NONE,
		.frame = HWD_NONE,
		.addr = o->next_global,
	};
	o->next_global += 8;
	hwgen_out_root(o, &r);
}

uint32_t hwgen_out_goroutine(hwgen_out *o, const hwd_goroutine *g)
{
	/* goroutines are indexed in the order they are added */
	if (o->rc || failed(o, hwd_writer_goroutine(o->w, g), "goroutine"))
		return HWD_NONE;
	return o->goroutines++;
}

uint32_t hwgen_out_frame(hwgen_out *o, const hwd_frame *f)
{
	if (o->rc || failed(o, hwd_writer_frame(o->w, f), "frame"))
		return HWD_NONE;
	return o->frames++;
}

/* The metadata a Go dumper would record, with fixed values so that a seed fully determines
 * the file. mem.* totals describe the synthetic heap as if the runtime had reported them. */
static void write_meta(hwgen_out *o, const hwgen_options *opt)
{
	static const char *const shape_names[] = {
		[HWGEN_SHAPE_RANDOM] = "random", [HWGEN_SHAPE_CHAIN] = "chain",
		[HWGEN_SHAPE_FANOUT] = "fanout", [HWGEN_SHAPE_CACHEDAG] = "cachedag",
	};
	/* 2026-01-01T00:00:00Z */
	const uint64_t capture_ns = 1767225600ull * 1000000000ull;
	const uint64_t heap_span = o->next_addr - HEAP_BASE;
	int rc = 0;
	rc = rc ? rc : hwd_writer_meta_str(o->w, "runtime", "go");
	rc = rc ? rc : hwd_writer_meta_str(o->w, "go.version", "go1.26.0");
	rc = rc ? rc : hwd_writer_meta_str(o->w, "exe", "/usr/local/bin/hwgen-synthetic");
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "pid", 1000 + opt->seed % 30000);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "capture.time_ns", capture_ns);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "pause_ns", 0);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "mem.heap_inuse", heap_span);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "mem.heap_alloc", o->bytes);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "mem.heap_objects", o->objects);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "mem.rss", heap_span + 32ull * 1024 * 1024);
	rc = rc ? rc : hwd_writer_meta_str(o->w, "hwgen.shape", shape_names[opt->shape]);
	rc = rc ? rc : hwd_writer_meta_u64(o->w, "hwgen.seed", opt->seed);
	failed(o, rc, "meta");
}

int hwgen_out_finish(hwgen_out *o, const hwgen_options *opt)
{
	if (!o->rc)
		write_meta(o, opt);
	if (o->rc) {
		fprintf(stderr, "hwgen: writing %s failed adding a %s (after %llu objects, %llu edges): %s\n",
			opt->output, o->what, (unsigned long long)o->objects,
			(unsigned long long)o->edges, hwd_strerror(o->rc));
		hwgen_out_abort(o);
		return o->rc;
	}
	int rc = hwd_writer_finish(o->w, &o->err);
	o->w = NULL;
	if (rc < 0) {
		fprintf(stderr, "hwgen: finishing %s failed: %s\n", opt->output, o->err.message);
		return rc;
	}
	return 0;
}

void hwgen_out_abort(hwgen_out *o)
{
	hwd_writer_abort(o->w);
	o->w = NULL;
}
