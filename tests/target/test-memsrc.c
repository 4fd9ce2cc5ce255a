/* test-memsrc.c - memimage, layered sources, batched process reads and the core note parser,
 * on synthetic data.
 *
 * Oracle: plain byte arrays we build ourselves, read back by brute force (the batched reads
 * read this test's own memory, so the oracle is the buffer they read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "target/corenotes.h"
#include "target/memimage.h"
#include "target/procmem.h"

static void test_memimage_merge(void **state)
{
	(void)state;
	g_autoptr(hw_memsrc) im = hw_memimage_new();
	guint8 ref[4096];
	gboolean have[4096] = { 0 };
	const guint64 base = 0x10000;
	for (guint i = 0; i < sizeof ref; i++)
		ref[i] = (guint8)(i * 7 + 3);
	/* Overlapping, touching and disjoint pieces in random order. */
	static const guint pieces[][2] = { { 100, 50 }, { 0, 10 }, { 140, 100 }, { 10, 5 },
					   { 1000, 24 }, { 2000, 2000 }, { 1990, 20 } };
	for (gsize k = 0; k < G_N_ELEMENTS(pieces); k++) {
		hw_memimage_insert(im, base + pieces[k][0], ref + pieces[k][0], pieces[k][1]);
		for (guint i = pieces[k][0]; i < pieces[k][0] + pieces[k][1]; i++)
			have[i] = TRUE;
	}
	guint64 expect_size = 0;
	for (guint i = 0; i < sizeof ref; i++)
		expect_size += have[i];
	assert_int_equal(hw_memimage_size(im), expect_size);
	/* Every 1..16-byte read succeeds exactly when all its bytes were inserted. */
	for (guint start = 0; start < sizeof ref; start++) {
		for (guint len = 1; len <= 16 && start + len <= sizeof ref; len++) {
			gboolean all = TRUE;
			for (guint i = start; i < start + len; i++)
				all = all && have[i];
			guint8 buf[16];
			g_autoptr(GError) err = NULL;
			gboolean ok = hw_memsrc_read(im, base + start, buf, len, &err);
			assert_int_equal(ok, all);
			if (ok)
				assert_memory_equal(buf, ref + start, len);
			else
				assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNMAPPED));
		}
	}
	gsize n;
	const hw_region *r = hw_memsrc_regions(im, &n, NULL);
	assert_int_equal(n, 4);   /* [0,15) [100,240) [1000,1024) [1990,4000) */
	assert_int_equal(r[0].start, base);
	assert_int_equal(r[0].end, base + 15);
	assert_int_equal(r[3].start, base + 1990);
	guint64 v;
	assert_true(hw_memsrc_read_u64(im, base + 2000, &v, NULL));
	guint64 want = 0;
	for (int i = 7; i >= 0; i--)
		want = want << 8 | ref[2000 + i];
	assert_int_equal(v, want);
}

static void test_layered(void **state)
{
	(void)state;
	g_autoptr(hw_memsrc) upper = hw_memimage_new();
	g_autoptr(hw_memsrc) lower = hw_memimage_new();
	guint8 u[64], l[256];
	memset(u, 0xAA, sizeof u);
	for (guint i = 0; i < sizeof l; i++)
		l[i] = (guint8)i;
	hw_memimage_insert(upper, 0x1040, u, sizeof u);
	hw_memimage_insert(lower, 0x1000, l, sizeof l);
	g_autoptr(hw_memsrc) m = hw_memsrc_new_layered(upper, lower);
	guint8 buf[256];
	assert_true(hw_memsrc_read(m, 0x1000, buf, sizeof buf, NULL));
	for (guint i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], (i >= 0x40 && i < 0x80) ? 0xAA : i);
	gsize n;
	const hw_region *r = hw_memsrc_regions(m, &n, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].end, 0x1040);
	assert_int_equal(r[1].start, 0x1040);
	assert_int_equal(r[2].start, 0x1080);
	g_autoptr(GError) err = NULL;
	assert_false(hw_memsrc_read(m, 0x10f0, buf, 32, &err));
	assert_non_null(strstr(err->message, "0x10f0"));
}

/* hw_procmem_read_ranges over more ranges than one system call takes (IOV_MAX = 1024), of
 * odd sizes, then with an unreadable range in the middle of a batch. */
static void test_read_ranges(void **state)
{
	(void)state;
	enum { N = 2500 };
	gsize page = (gsize)sysconf(_SC_PAGESIZE);
	guint8 *src = mmap(NULL, 4 * 1024 * 1024 + 2 * page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(src != MAP_FAILED);
	for (gsize i = 0; i < 4 * 1024 * 1024; i++)
		src[i] = (guint8)(i * 7 + i / 251);
	hw_procmem_range *r = g_new(hw_procmem_range, N);
	guint64 total = 0;
	for (gsize i = 0; i < N; i++) {
		r[i].addr = (guint64)(uintptr_t)src + i * 1600 + i % 13;
		r[i].len = 1 + (i * 37) % 1500;
		total += r[i].len;
	}
	g_autoptr(hw_memsrc) m = hw_procmem_new(getpid(), NULL);
	g_autofree guint8 *dst = g_malloc(total);
	guint64 calls = 0;
	g_autoptr(GError) err = NULL;
	if (!hw_procmem_read_ranges(m, r, N, dst, &calls, &err))
		fail_msg("%s", err->message);
	assert_int_equal(calls, (N + 1023) / 1024);
	guint64 off = 0;
	for (gsize i = 0; i < N; i++) {
		assert_memory_equal(dst + off, (guint8 *)(uintptr_t)r[i].addr, r[i].len);
		off += r[i].len;
	}

	/* Range 1500 lies across the end of the mapping after a page made unreadable: the batch
	 * stops there and the error names the first address that could not be read. */
	guint8 *hole = src + 4 * 1024 * 1024;
	assert_int_equal(mprotect(hole, page, PROT_NONE), 0);
	r[1500].addr = (guint64)(uintptr_t)hole - 10;
	r[1500].len = 20;
	assert_false(hw_procmem_read_ranges(m, r, N, dst, NULL, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNMAPPED));
	g_autofree char *where = g_strdup_printf("0x%" G_GINT64_MODIFIER "x is not readable",
						 (guint64)(uintptr_t)hole);
	assert_non_null(strstr(err->message, where));
	munmap(src, 4 * 1024 * 1024 + 2 * page);
	g_free(r);
}

/* Appends one note (4-byte padding) to a buffer. */
static void add_note(GByteArray *b, const char *owner, guint32 type, const void *desc,
		     guint32 descsz)
{
	guint32 namesz = (guint32)strlen(owner) + 1;
	guint32 hdr[3] = { namesz, descsz, type };
	static const guint8 zero[4];
	g_byte_array_append(b, (const guint8 *)hdr, sizeof hdr);
	g_byte_array_append(b, (const guint8 *)owner, namesz);
	g_byte_array_append(b, zero, (4 - namesz % 4) % 4);
	g_byte_array_append(b, desc, descsz);
	g_byte_array_append(b, zero, (4 - descsz % 4) % 4);
}

static void test_notes(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = g_byte_array_new();
	/* NT_FILE: two mappings. */
	GByteArray *f = g_byte_array_new();
	guint64 head[2] = { 2, 4096 };
	guint64 ents[6] = { 0x400000, 0x401000, 0, 0x401000, 0x480000, 1 };
	g_byte_array_append(f, (guint8 *)head, sizeof head);
	g_byte_array_append(f, (guint8 *)ents, sizeof ents);
	g_byte_array_append(f, (const guint8 *)"/bin/a\0/bin/b", 14);
	add_note(b, "CORE", 0x46494c45, f->data, f->len);
	g_byte_array_unref(f);
	guint64 auxv[4] = { 9 /* AT_ENTRY */, 0x401234, 0, 0 };
	add_note(b, "CORE", 6, auxv, sizeof auxv);
	add_note(b, "LINUX", 0x202, "xx", 2);

	g_auto(hw_core_notes) notes;
	hw_core_notes_init(&notes);
	g_autoptr(GError) err = NULL;
	assert_true(hw_core_notes_parse(&notes, b->data, b->len, 0, &err));
	assert_int_equal(notes.files->len, 2);
	hw_core_file *f1 = &g_array_index(notes.files, hw_core_file, 1);
	assert_string_equal(f1->path, "/bin/b");
	assert_int_equal(f1->file_offset, 4096);
	guint64 entry;
	assert_true(hw_core_notes_auxv(&notes, 9, &entry));
	assert_int_equal(entry, 0x401234);

	/* Every truncation is either clean or a clear error, never a crash. */
	for (guint cut = 0; cut < b->len; cut++) {
		g_auto(hw_core_notes) n2;
		hw_core_notes_init(&n2);
		g_autoptr(GError) e2 = NULL;
		g_autofree guint8 *copy = g_memdup2(b->data, cut);
		if (!hw_core_notes_parse(&n2, copy, cut, 0x1000, &e2))
			assert_non_null(strstr(e2->message, "core note"));
	}

	/* A descriptor size that runs past the segment names the note and its offset. */
	guint32 *descsz = (guint32 *)(void *)(b->data + 4);
	*descsz = 0x7fffffff;
	g_auto(hw_core_notes) n3;
	hw_core_notes_init(&n3);
	assert_false(hw_core_notes_parse(&n3, b->data, b->len, 0x2000, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT));
	assert_non_null(strstr(err->message, "0x2000"));
	assert_non_null(strstr(err->message, "type 0x46494c45"));
	g_clear_error(&err);
	/* An entry count larger than the descriptor. */
	*descsz = 16;
	guint64 big = 1ull << 40;
	memcpy(b->data + 20, &big, 8);
	g_auto(hw_core_notes) n4;
	hw_core_notes_init(&n4);
	assert_false(hw_core_notes_parse(&n4, b->data, 12 + 8 + 16, 0, &err));
	assert_non_null(strstr(err->message, "NT_FILE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memimage_merge),
		cmocka_unit_test(test_layered),
		cmocka_unit_test(test_read_ranges),
		cmocka_unit_test(test_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
