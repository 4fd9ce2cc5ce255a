/* test-goheapdump.c - the Go heap dump importer on synthetic dumps: records, object rules, hostile input.
 *
 * The dumps are built here record by record, following src/runtime/heapdump.go, with a heap
 * whose objects, bogus records, headers and pointers are known by construction: the expected
 * values are computed from that construction, not from the importer's output. Real dumps of
 * the Go samples are tested against the independent oracle by run-import.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "hwd.h"
#include "import/goheapdump-objects.h"
#include "import/goheapdump.h"

/* ---- a dump builder ---------------------------------------------------------------- */

static void uv(GByteArray *b, guint64 v)
{
	do {
		guint8 c = (v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
		g_byte_array_append(b, &c, 1);
		v >>= 7;
	} while (v);
}

static void str(GByteArray *b, const char *s)
{
	uv(b, strlen(s));
	g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s));
}

/* An Object/Data/BSS record body: addr, contents (words), pointer fields (offsets, -1 ends). */
static void mem(GByteArray *b, guint64 tag, guint64 addr, const guint64 *words, size_t nwords, const int *fields)
{
	uv(b, tag);
	uv(b, addr);
	uv(b, nwords * 8);
	for (size_t i = 0; i < nwords; i++) {
		guint64 w = GUINT64_TO_LE(words[i]);
		g_byte_array_append(b, (const guint8 *)&w, 8);
	}
	for (const int *f = fields; f && *f >= 0; f++) {
		uv(b, 1);
		uv(b, (guint64)*f);
	}
	uv(b, 0);
}

static void params(GByteArray *b, const char *version)
{
	uv(b, 6);
	uv(b, 0);              /* little endian */
	uv(b, 8);
	uv(b, 0x10000000);     /* arena */
	uv(b, 0x14000000);
	str(b, "amd64");
	str(b, version);
	uv(b, 4);
}

static void memstats(GByteArray *b, guint64 heap_alloc, guint64 heap_objects)
{
	uv(b, 10);
	for (int i = 0; i < 24 + 256 + 1; i++)
		uv(b, i == 6 ? heap_alloc : i == 11 ? heap_objects : i == 280 ? 7 : 0);
}

#define PAGE 8192u
#define SPAN32 0x10000000ull   /* a 1-page span of 32-byte scan objects */
#define SPAN16 0x10002000ull   /* a 1-page span of 16-byte noscan objects */
#define HDROBJ 0x10004000ull   /* a 1024-byte header object (slot) */
#define LARGE 0x10008000ull    /* a 40960-byte large object with pointers */
#define DATA 0x500000ull

/* Green Tea (go1.26): 32-byte scan spans hold (8192-128-128)/32 = 248 slots, 16-byte noscan
 * spans (8192-128)/16 = 504; heapdump.go dumps slots up to 8192/size regardless. */
#define SCAN32_NELEMS 248u
#define NOSCAN16_NELEMS 504u

static const int no_fields[] = { -1 };

/* The reference dump: objects in reverse address order (the importer must sort), slot 0 and 1
 * of SPAN32 (each pointing into the other: slot 1 at an interior address), the bogus tail
 * slots 248..255 of SPAN32 and 504..511 of SPAN16, one noscan 16-byte object, a header object
 * whose only pointer (offset 16 from the slot) points at SPAN32 slot 0, and a large object
 * pointing at the header object's first byte after the header. A goroutine with a frame
 * holding the large object, a data word holding slot 0, a finalizer on slot 1. */
static GByteArray *reference_dump(void)
{
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)"go1.7 heap dump\n", 16);
	params(b, "go1.26.8");
	guint64 large[40960 / 8] = { 0 };
	large[0] = HDROBJ + 8;
	mem(b, 1, LARGE, large, G_N_ELEMENTS(large), (const int[]){ 0, -1 });
	guint64 hdr[1024 / 8] = { 0 };
	hdr[0] = 0x4a0000;   /* the malloc header: an abi.Type address */
	hdr[2] = SPAN32;
	mem(b, 1, HDROBJ, hdr, G_N_ELEMENTS(hdr), (const int[]){ 16, 24, -1 });
	for (unsigned j = 511; j >= NOSCAN16_NELEMS; j--)
		mem(b, 1, SPAN16 + 16ull * j, (const guint64[]){ 0xdead, 0 }, 2, no_fields);
	mem(b, 1, SPAN16, (const guint64[]){ 1, 2 }, 2, no_fields);
	for (unsigned j = 255; j >= SCAN32_NELEMS; j--)
		mem(b, 1, SPAN32 + 32ull * j, (const guint64[]){ 0xffffffffffffffffull, 0, 0, 0 }, 4, no_fields);
	mem(b, 1, SPAN32 + 32, (const guint64[]){ 0, SPAN32, 0, 0 }, 4, (const int[]){ 8, -1 });
	mem(b, 1, SPAN32, (const guint64[]){ SPAN32 + 32 + 24, 0, 0, 0 }, 4, (const int[]){ 0, -1 });
	/* a goroutine waiting on a channel, one frame */
	uv(b, 4);
	uv(b, 0xc000001000); uv(b, 0xc000100f00); uv(b, 5); uv(b, 0x401234); uv(b, 4); uv(b, 0); uv(b, 0);
	uv(b, 0);
	str(b, "chan receive");
	uv(b, 0); uv(b, 0); uv(b, 0); uv(b, 0);
	uv(b, 5);
	uv(b, 0xc000100f00); uv(b, 0); uv(b, 0);
	uv(b, 16);
	guint64 frame[2] = { GUINT64_TO_LE(0), GUINT64_TO_LE(LARGE + 100) };
	g_byte_array_append(b, (const guint8 *)frame, 16);
	uv(b, 0x401000); uv(b, 0x401100); uv(b, 0x401100);
	str(b, "main.worker");
	uv(b, 1); uv(b, 8); uv(b, 0);
	uv(b, 9);   /* OS thread */
	uv(b, 0xc000002000); uv(b, 0); uv(b, 4242);
	guint64 data[4] = { 0, SPAN32 + 8, 0x12345, 0 };
	mem(b, 12, DATA, data, 4, (const int[]){ 8, 16, -1 });
	mem(b, 13, DATA + 0x1000, (const guint64[]){ 0 }, 1, no_fields);
	uv(b, 7);   /* a finalizer on slot 1 */
	uv(b, SPAN32 + 32); uv(b, 0x4c0000); uv(b, 0x401000); uv(b, 0); uv(b, 0);
	/* heap: 2x32 + 16 + 1024 + 40960 bytes in 5 objects */
	memstats(b, 2 * 32 + 16 + 1024 + 40960, 5);
	uv(b, 0);
	return b;
}

/* The record kinds the reference dump lacks, after its goroutine: a defer and a panic of that
 * goroutine (the panic's argument is SPAN32 slot 1), an itab with its type (named like a header
 * type, so that the import without --exe names the header object after it), a queued
 * finalizer of slot 0, an "other root" to the large object, a MemProf bucket and an alloc
 * sample. */
static GByteArray *all_records_dump(void)
{
	GByteArray *ref = reference_dump();
	GByteArray *b = g_byte_array_new();
	GByteArray *tail = g_byte_array_new();
	uv(tail, 14);   /* defer */
	uv(tail, 0xc000100f80); uv(tail, 0xc000001000); uv(tail, 0xc000100f00); uv(tail, 0x401100); uv(tail, 0x4c0010);
	uv(tail, 0x401200); uv(tail, 0);
	uv(tail, 15);   /* panic */
	uv(tail, 0xc000100fc0); uv(tail, 0xc000001000); uv(tail, 0x4b0000); uv(tail, SPAN32 + 32); uv(tail, 0); uv(tail, 0);
	uv(tail, 3);    /* type of the header object */
	uv(tail, 0x4a0000); uv(tail, 1016);
	str(tail, "main.Node");
	uv(tail, 1);
	uv(tail, 8);    /* itab */
	uv(tail, 0x4d0000); uv(tail, 0x4a0000);
	uv(tail, 11);   /* queued finalizer */
	uv(tail, SPAN32); uv(tail, 0x4c0000); uv(tail, 0x401000); uv(tail, 0); uv(tail, 0);
	uv(tail, 2);    /* other root */
	str(tail, "a test root");
	uv(tail, LARGE + 8);
	uv(tail, 16);   /* memprof bucket with two frames */
	uv(tail, 0x600000); uv(tail, 1024); uv(tail, 2);
	str(tail, "main.alloc"); str(tail, "/src/main.go"); uv(tail, 12);
	str(tail, "main.main"); str(tail, "/src/main.go"); uv(tail, 30);
	uv(tail, 1); uv(tail, 0);
	uv(tail, 17);   /* alloc sample: the allocation's address (past the header), as the runtime writes */
	uv(tail, HDROBJ + 8); uv(tail, 0x600000);
	/* Spliced into the reference right before its Data record (tag 12, then DATA as a varint:
	 * bytes found nowhere else in the file), i.e. after the goroutine and the OS thread. */
	static const guint8 data_rec[] = { 12, 0x80, 0x80, 0xc0, 0x02 };
	guint pos = 0;
	for (guint i = 0; i + sizeof data_rec <= ref->len; i++)
		if (memcmp(ref->data + i, data_rec, sizeof data_rec) == 0)
			pos = i;
	g_assert(pos > 0);
	g_byte_array_append(b, ref->data, pos);
	g_byte_array_append(b, tail->data, tail->len);
	g_byte_array_append(b, ref->data + pos, ref->len - pos);
	g_byte_array_unref(tail);
	g_byte_array_unref(ref);
	return b;
}

/* ---- parsing and objects ------------------------------------------------------------ */

static void test_parse_reference(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = reference_dump();
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_goheapdump) d = hw_goheapdump_parse(b->data, b->len, &err);
	assert_non_null(d);
	assert_int_equal(d->objects->len, 2 + 8 + 1 + 8 + 1 + 1);
	assert_int_equal(d->goroutines->len, 1);
	assert_int_equal(d->frames->len, 1);
	assert_int_equal(d->threads->len, 1);
	assert_int_equal(d->finalizers->len, 1);
	assert_true(d->has_data && d->has_bss);
	assert_int_equal(d->memstats.heap_objects, 5);
	assert_int_equal(d->memstats.num_gc, 7);
	gboolean gt = FALSE;
	assert_true(hw_goheapdump_greentea(d, &gt, NULL));
	assert_true(gt);

	hw_ghd_objects o;
	assert_true(hw_ghd_objects_build(d, gt, &o, &err));
	assert_int_equal(o.n, 5);
	assert_int_equal(o.bogus, 16);
	assert_int_equal(o.bogus_bytes, 8 * 32 + 8 * 16);
	assert_int_equal(o.header_objects, 1);
	assert_int_equal(o.slot_bytes, 2 * 32 + 16 + 1024 + 40960);
	const guint64 addrs[5] = { SPAN32, SPAN32 + 32, SPAN16, HDROBJ + 8, LARGE };
	const guint64 sizes[5] = { 32, 32, 16, 1016, 40960 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(o.v[i].addr, addrs[i]);
		assert_int_equal(o.v[i].size, sizes[i]);
	}
	assert_int_equal(hw_ghd_objects_find(&o, SPAN32 + 32 + 24), 1);
	assert_int_equal(hw_ghd_objects_find(&o, HDROBJ), HW_GHD_NO_OBJECT);   /* the header word */
	assert_int_equal(hw_ghd_objects_find(&o, SPAN32 + 64), HW_GHD_NO_OBJECT);
	hw_ghd_objects_clear(&o);

	/* Before Green Tea no inline mark bits: the 32-byte scan span has 8192-128 / 32 = 252 slots,
	 * so slots 248..251 are real objects there. */
	assert_true(hw_ghd_objects_build(d, FALSE, &o, &err));
	assert_int_equal(o.bogus, 4 + 0);
	hw_ghd_objects_clear(&o);
}

/* An in-use scan span with nothing allocated dumps only its tail, slots 248..255: all of it is
 * bogus. Go 1.25 with the Green Tea experiment on. */
static GByteArray *empty_scan_span_dump(void)
{
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)"go1.7 heap dump\n", 16);
	params(b, "go1.25.3 X:greenteagc");
	for (unsigned j = SCAN32_NELEMS; j < 256; j++)
		mem(b, 1, SPAN32 + 32ull * j, (const guint64[]){ 0, 0, 0, 0 }, 4, no_fields);
	memstats(b, 0, 0);
	uv(b, 0);
	return b;
}

static void test_empty_scan_span(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = empty_scan_span_dump();
	g_autoptr(hw_goheapdump) d = hw_goheapdump_parse(b->data, b->len, NULL);
	assert_non_null(d);
	gboolean gt = FALSE;
	assert_true(hw_goheapdump_greentea(d, &gt, NULL));
	assert_true(gt);
	hw_ghd_objects o;
	assert_true(hw_ghd_objects_build(d, gt, &o, NULL));
	assert_int_equal(o.n, 0);
	assert_int_equal(o.bogus, 8);
	assert_int_equal(o.empty_scan_spans, 1);
	hw_ghd_objects_clear(&o);
}

/* ---- the whole import, read back -------------------------------------------------- */

static char *write_temp(const GByteArray *b, char **dir)
{
	*dir = g_dir_make_tmp("hw-import-XXXXXX", NULL);
	assert_non_null(*dir);
	char *path = g_build_filename(*dir, "dump", NULL);
	assert_true(g_file_set_contents(path, (const char *)b->data, b->len, NULL));
	return path;
}

static const char *string_of(const hwd_reader *r, uint32_t id)
{
	static char buf[256];
	uint32_t len = 0;
	const char *s = hwd_reader_string(r, id, &len);
	g_snprintf(buf, sizeof buf, "%.*s", (int)len, s ? s : "");
	return buf;
}

static void test_import_reference(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = reference_dump();
	g_autofree char *dir = NULL;
	g_autofree char *dump = write_temp(b, &dir);
	g_autofree char *snap = g_build_filename(dir, "snap.hwd", NULL);
	hw_import_options opt = { .input = dump, .output = snap, .contents = TRUE };
	hw_import_result res;
	g_autoptr(GError) err = NULL;
	assert_true(hw_import_go_heapdump(&opt, &res, &err));
	g_free(res.note);
	assert_int_equal(res.objects, 5);
	assert_int_equal(res.dropped, 16);

	hwd_reader *r = NULL;
	assert_int_equal(hwd_reader_open(snap, HWD_OPEN_STRICT, &r, NULL), 0);
	assert_int_equal(hwd_reader_object_count(r), 5);
	hwd_object hobj = hwd_reader_object(r, 3);
	assert_int_equal(hobj.addr, HDROBJ + 8);
	assert_true(hobj.flags & HWD_OBJ_HAS_HEADER);
	assert_string_equal(string_of(r, hwd_reader_type(r, hwd_reader_object(r, 0).type).name), "size class 32 B");
	assert_string_equal(string_of(r, hwd_reader_type(r, hwd_reader_object(r, 2).type).name),
	                    "size class 16 B (no pointers)");
	assert_string_equal(string_of(r, hwd_reader_type(r, hwd_reader_object(r, 4).type).name), "large 40960 B");
	/* Edges: slot0+0 -> slot1 (interior), slot1+8 -> slot0, header object +8 (slot+16) -> slot0
	 * (its +16, slot+24, holds 0), large+0 -> header object. */
	const struct { uint32_t from, to, off; } want[] = { { 0, 1, 0 }, { 1, 0, 8 }, { 3, 0, 8 }, { 4, 3, 0 } };
	assert_int_equal(hwd_reader_edge_count(r), G_N_ELEMENTS(want));
	for (size_t k = 0; k < G_N_ELEMENTS(want); k++) {
		hwd_edge e = hwd_reader_edge(r, k);
		assert_int_equal(e.from, want[k].from);
		assert_int_equal(e.to, want[k].to);
		assert_int_equal(hwd_edge_offset_of(&e), want[k].off);
	}
	/* Roots: the data word (data+0x8 -> slot0; data+0x10 holds no heap pointer), the frame
	 * word (sp+8 -> large, interior), the finalized object's referent (slot1+8 -> slot0). */
	int global = 0, stack = 0, fin = 0;
	for (uint64_t k = 0; k < hwd_reader_root_count(r); k++) {
		hwd_root x = hwd_reader_root(r, k);
		if (x.kind == HWD_ROOT_GLOBAL) {
			global++;
			assert_int_equal(x.addr, DATA + 8);
			assert_int_equal(x.object, 0);
			assert_string_equal(string_of(r, x.name), "data+0x8");
		} else if (x.kind == HWD_ROOT_STACK) {
			stack++;
			assert_int_equal(x.object, 4);
			assert_int_equal(x.addr, 0xc000100f00 + 8);
			assert_int_equal(x.goroutine, 0);
			assert_int_equal(x.frame, 0);
		} else if (x.kind == HWD_ROOT_FINALIZER) {
			fin++;
			assert_int_equal(x.object, 0);
		}
	}
	assert_int_equal(global, 1);
	assert_int_equal(stack, 1);
	assert_int_equal(fin, 1);
	assert_int_equal(hwd_reader_goroutine_count(r), 1);
	hwd_goroutine g = hwd_reader_goroutine(r, 0);
	assert_int_equal(g.id, 5);
	assert_string_equal(string_of(r, g.state), "waiting");
	assert_string_equal(string_of(r, g.wait_reason), "chan receive");
	assert_string_equal(string_of(r, g.start_func), "main.worker");
	assert_int_equal(g.nframes, 1);
	assert_string_equal(string_of(r, hwd_reader_frame(r, 0).func), "main.worker");
	assert_int_equal(hwd_reader_thread_count(r), 1);
	assert_int_equal(hwd_reader_thread(r, 0).tid, 4242);
	uint64_t v = 0;
	assert_true(hwd_reader_meta_u64(r, "import.bogus_records", &v));
	assert_int_equal(v, 16);
	uint64_t clen = 0;
	const guint8 *c = hwd_reader_contents(r, 3, &clen);
	assert_int_equal(clen, 1016);
	guint64 w;
	memcpy(&w, c + 8, 8);
	assert_int_equal(GUINT64_FROM_LE(w), SPAN32);
	hwd_reader_close(r);
	g_unlink(snap);
	g_unlink(dump);
	g_rmdir(dir);
}

static void test_all_records(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = all_records_dump();
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_goheapdump) d = hw_goheapdump_parse(b->data, b->len, &err);
	if (!d)
		fail_msg("%s", err->message);
	assert_int_equal(d->defers->len, 1);
	assert_int_equal(d->panics->len, 1);
	assert_int_equal(d->types->len, 1);
	assert_int_equal(d->itabs, 1);
	assert_int_equal(d->finalizers->len, 2);
	assert_int_equal(d->other_roots->len, 1);
	assert_int_equal(d->buckets->len, 1);
	assert_int_equal(g_array_index(d->buckets, hw_ghd_bucket, 0).size, 1024);
	assert_int_equal(d->alloc_samples->len, 1);

	g_autofree char *dir = NULL;
	g_autofree char *dump = write_temp(b, &dir);
	g_autofree char *snap = g_build_filename(dir, "snap.hwd", NULL);
	hw_import_options opt = { .input = dump, .output = snap };
	hw_import_result res;
	assert_true(hw_import_go_heapdump(&opt, &res, &err));
	g_free(res.note);
	hwd_reader *r = NULL;
	assert_int_equal(hwd_reader_open(snap, HWD_OPEN_STRICT, &r, NULL), 0);
	assert_false(hwd_reader_has_contents(r));
	assert_string_equal(string_of(r, hwd_reader_type(r, hwd_reader_object(r, 3).type).name), "main.Node");
	int panic_arg = 0, queued = 0, other = 0;
	for (uint64_t k = 0; k < hwd_reader_root_count(r); k++) {
		hwd_root x = hwd_reader_root(r, k);
		const char *name = string_of(r, x.name);
		if (strcmp(name, "panic argument") == 0 && x.object == 1 && x.goroutine == 0)
			panic_arg++;
		else if (strcmp(name, "object queued for finalization") == 0 && x.object == 0)
			queued++;
		else if (strcmp(name, "a test root") == 0 && x.kind == HWD_ROOT_OTHER && x.object == 4)
			other++;
	}
	assert_int_equal(panic_arg, 1);
	assert_int_equal(queued, 1);
	assert_int_equal(other, 1);
	/* the MemProf bucket and the AllocSample as allocation sites */
	assert_int_equal(hwd_reader_alloc_stack_count(r), 1);
	assert_int_equal(hwd_reader_alloc_sample_count(r), 1);
	hwd_alloc_stack st = hwd_reader_alloc_stack(r, 0);
	assert_int_equal(st.size, 1024);
	assert_int_equal(st.nframes, 2);
	hwd_alloc_frame f0 = hwd_reader_alloc_frame(r, st.first_frame), f1 = hwd_reader_alloc_frame(r, st.first_frame + 1);
	assert_string_equal(string_of(r, f0.func), "main.alloc");
	assert_string_equal(string_of(r, f0.file), "/src/main.go");
	assert_int_equal(f0.line, 12);
	assert_string_equal(string_of(r, f1.func), "main.main");
	assert_int_equal(f1.line, 30);
	hwd_alloc_sample smp = hwd_reader_alloc_sample(r, 0);
	assert_int_equal(hwd_reader_object(r, smp.object).addr, HDROBJ + 8); /* past its malloc header */
	hwd_reader_close(r);
	g_unlink(snap);
	g_unlink(dump);
	g_rmdir(dir);
}

/* ---- hostile input ---------------------------------------------------------------- */

/* Every prefix of the dump with every record kind is refused as truncated (or, inside the
 * 16-byte header, as not a heap dump), with an offset in the message. */
static void test_every_truncation(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = all_records_dump();
	for (guint cut = 0; cut < b->len; cut++) {
		g_autoptr(GError) err = NULL;
		guint8 *copy = g_memdup2(b->data, cut ? cut : 1);   /* exact size: ASan sees overreads */
		hw_goheapdump *d = hw_goheapdump_parse(copy, cut, &err);
		if (d)
			fail_msg("a dump cut at %u of %u bytes was accepted", cut, b->len);
		if (cut < 16) {
			assert_true(g_error_matches(err, HW_IMPORT_ERROR, HW_IMPORT_ERROR_FORMAT));
		} else {
			if (!g_error_matches(err, HW_IMPORT_ERROR, HW_IMPORT_ERROR_TRUNCATED))
				fail_msg("cut at %u: %s", cut, err->message);
			assert_non_null(strstr(err->message, "offset"));
		}
		g_free(copy);
	}
}

/* A dump made of the header, Params, `body`, MemStats and EOF must fail with `code` and a
 * message containing `needle`. */
static void expect_error(const guint8 *body, size_t len, int code, const char *needle)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)"go1.7 heap dump\n", 16);
	params(b, "go1.26.8");
	g_byte_array_append(b, body, (guint)len);
	memstats(b, 0, 0);
	uv(b, 0);
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_goheapdump) d = hw_goheapdump_parse(b->data, b->len, &err);
	if (d) {
		hw_ghd_objects o;
		if (hw_ghd_objects_build(d, TRUE, &o, &err)) {
			hw_ghd_objects_clear(&o);
			fail_msg("accepted; expected an error containing \"%s\"", needle);
		}
	}
	if (!g_error_matches(err, HW_IMPORT_ERROR, code) || !strstr(err->message, needle))
		fail_msg("expected code %d with \"%s\", got: %s", code, needle, err->message);
}

static void test_hostile(void **state)
{
	(void)state;
	static const guint8 overflow[] = { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	expect_error(overflow, sizeof overflow, HW_IMPORT_ERROR_CORRUPT, "overflows 64 bits");
	static const guint8 huge_len[] = { 1, 0x80, 0x80, 0x04, 0xff, 0xff, 0xff, 0xff, 0x0f };
	expect_error(huge_len, sizeof huge_len, HW_IMPORT_ERROR_TRUNCATED, "runs past the end");
	static const guint8 kind2[] = { 1, 0x80, 0x80, 0x04, 8, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0 };
	expect_error(kind2, sizeof kind2, HW_IMPORT_ERROR_CORRUPT, "field kind 2");
	static const guint8 outside[] = { 1, 0x80, 0x80, 0x04, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 8, 0 };
	expect_error(outside, sizeof outside, HW_IMPORT_ERROR_CORRUPT, "pointer field at offset 8");
	static const guint8 unaligned[] = { 1, 0x80, 0x80, 0x04, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                                    1, 4, 0 };
	expect_error(unaligned, sizeof unaligned, HW_IMPORT_ERROR_CORRUPT, "pointer field at offset 4");
	static const guint8 backwards[] = { 1, 0x80, 0x80, 0x04, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                                    1, 8, 1, 0, 0 };
	expect_error(backwards, sizeof backwards, HW_IMPORT_ERROR_CORRUPT, "pointer field at offset 0");
	static const guint8 orphan_frame[] = { 5, 0, 0, 0, 0, 0, 0, 0, 1, 'f', 0 };
	expect_error(orphan_frame, sizeof orphan_frame, HW_IMPORT_ERROR_CORRUPT, "before any Goroutine");
	static const guint8 second_params[] = { 6, 0, 8, 0, 0, 0, 0, 0 };
	expect_error(second_params, sizeof second_params, HW_IMPORT_ERROR_CORRUPT, "second Params");
	static const guint8 unknown[] = { 99 };
	expect_error(unknown, sizeof unknown, HW_IMPORT_ERROR_CORRUPT, "unknown record tag 99");
	static const guint8 empty_obj[] = { 1, 0x80, 0x80, 0x04, 0, 0 };
	expect_error(empty_obj, sizeof empty_obj, HW_IMPORT_ERROR_CORRUPT, "no contents");
	/* two records of one page with different sizes */
	static const guint8 misfit[] = { 1, 0x80, 0x80, 0x04, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                                 1, 0x90, 0x80, 0x04, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	expect_error(misfit, sizeof misfit, HW_IMPORT_ERROR_CORRUPT, "do not fit");
	static const guint8 dup[] = { 1, 0x80, 0x80, 0x04, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                              1, 0x80, 0x80, 0x04, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	expect_error(dup, sizeof dup, HW_IMPORT_ERROR_CORRUPT, "same address");
	/* a 1024-byte record at 0x10000 and another 8 bytes into it */
	GByteArray *ov = g_byte_array_new();
	guint64 words[128] = { 0 };
	mem(ov, 1, 0x10000, words, 128, no_fields);
	mem(ov, 1, 0x10008, words, 128, no_fields);
	expect_error(ov->data, ov->len, HW_IMPORT_ERROR_CORRUPT, "overlaps");
	g_byte_array_unref(ov);

	/* Whole-file problems. */
	g_autoptr(GError) err = NULL;
	assert_null(hw_goheapdump_parse((const guint8 *)"go1.3 heap dump\nxxxx", 20, &err));
	assert_true(g_error_matches(err, HW_IMPORT_ERROR, HW_IMPORT_ERROR_UNSUPPORTED));
	g_clear_error(&err);
	g_autoptr(GByteArray) b = reference_dump();
	g_byte_array_append(b, (const guint8 *)"x", 1);
	assert_null(hw_goheapdump_parse(b->data, b->len, &err));
	assert_non_null(strstr(err->message, "follow the EOF record"));
	g_clear_error(&err);
	g_autoptr(GByteArray) be = g_byte_array_new();
	g_byte_array_append(be, (const guint8 *)"go1.7 heap dump\n", 16);
	uv(be, 6); uv(be, 1); uv(be, 8); uv(be, 0); uv(be, 0); str(be, "s390x"); str(be, "go1.26.8"); uv(be, 1);
	assert_null(hw_goheapdump_parse(be->data, be->len, &err));
	assert_true(g_error_matches(err, HW_IMPORT_ERROR, HW_IMPORT_ERROR_UNSUPPORTED));
	g_clear_error(&err);
	g_autoptr(GByteArray) nomem = g_byte_array_new();
	g_byte_array_append(nomem, (const guint8 *)"go1.7 heap dump\n", 16);
	params(nomem, "go1.26.8");
	uv(nomem, 0);
	assert_null(hw_goheapdump_parse(nomem->data, nomem->len, &err));
	assert_non_null(strstr(err->message, "without a MemStats record"));
	g_clear_error(&err);
	g_autoptr(GByteArray) old = g_byte_array_new();
	g_byte_array_append(old, (const guint8 *)"go1.7 heap dump\n", 16);
	params(old, "go1.21.5");
	memstats(old, 0, 0);
	uv(old, 0);
	g_autoptr(hw_goheapdump) d = hw_goheapdump_parse(old->data, old->len, &err);
	assert_non_null(d);
	gboolean gt;
	assert_false(hw_goheapdump_greentea(d, &gt, &err));
	assert_true(g_error_matches(err, HW_IMPORT_ERROR, HW_IMPORT_ERROR_UNSUPPORTED));
}

/* Writes the synthetic dumps as fuzzing seeds (tests/fuzz/corpus/goheapdump/). */
static int write_seeds(const char *dir)
{
	g_autoptr(GByteArray) ref = reference_dump();
	g_autoptr(GByteArray) empty = empty_scan_span_dump();
	g_autoptr(GByteArray) all = all_records_dump();
	g_autofree char *a = g_build_filename(dir, "seed-reference.heapdump", NULL);
	g_autofree char *b = g_build_filename(dir, "seed-empty-scan-span.heapdump", NULL);
	g_autofree char *c = g_build_filename(dir, "seed-all-records.heapdump", NULL);
	return g_file_set_contents(a, (const char *)ref->data, ref->len, NULL) &&
	       g_file_set_contents(b, (const char *)empty->data, empty->len, NULL) &&
	       g_file_set_contents(c, (const char *)all->data, all->len, NULL) ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reference),
		cmocka_unit_test(test_empty_scan_span),
		cmocka_unit_test(test_import_reference),
		cmocka_unit_test(test_all_records),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
