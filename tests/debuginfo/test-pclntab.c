/* test-pclntab.c - findfunc, file:line, frame sizes, inlining, stack maps.
 *
 * Oracles: `go tool nm` (function entries) and `go tool addr2line` (function and file:line for
 * any pc). The tables are read from the executable file through an exemem source; the live
 * and core paths are covered by the target suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "debuginfo/pclntab.h"
#include "target/exemem.h"
#include "goprog.h"

typedef struct {
	hw_elf *elf;
	hw_dwarf *dwarf;
	hw_memsrc *mem;
	hw_pclntab *tab;
	hw_moduledata md;
} fixture;

static int setup(void **state)
{
	fixture *f = g_new0(fixture, 1);
	g_autoptr(GError) err = NULL;
	const char *bin = hwt_go_build("./probe", NULL);
	guint64 addr;
	f->elf = hw_elf_open(bin, &err);
	if (f->elf == NULL || !(f->dwarf = hw_dwarf_load(f->elf, &err)))
		fail_msg("%s", err->message);
	f->mem = hw_exemem_new(f->elf, 0);
	if (!hw_moduledata_locate(f->elf, f->dwarf, 0, &addr, &err) ||
	    !hw_moduledata_read(f->mem, f->dwarf, addr, &f->md, &err) ||
	    !(f->tab = hw_pclntab_new(f->mem, &f->md, &err)))
		fail_msg("%s", err->message);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	hw_pclntab_free(f->tab);
	hw_memsrc_unref(f->mem);
	hw_dwarf_free(f->dwarf);
	hw_elf_unref(f->elf);
	g_free(f);
	return 0;
}

/* Text symbols from go tool nm -size: "addr name" -> size. Several names can share an address
 * (runtime.text and the first function), hence the pair as key. */
static GHashTable *text_symbols(void)
{
	const char *argv[] = { "go", "tool", "nm", "-size", hwt_go_build("./probe", NULL), NULL };
	g_autofree char *nm = hwt_run(argv);
	g_auto(GStrv) lines = g_strsplit(nm, "\n", -1);
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; lines[i]; i++) {
		unsigned long long a, size;
		char kind[4], name[1024];
		if (sscanf(lines[i], " %llx %llu %3s %1023[^\n]", &a, &size, kind, name) != 4 ||
		    (strcmp(kind, "T") != 0 && strcmp(kind, "t") != 0))
			continue;
		guint64 sz = size;
		g_hash_table_insert(h, g_strdup_printf("%llx %s", a, name), g_memdup2(&sz, sizeof sz));
	}
	return h;
}

/* The size nm gives for fn, or 0 if nm does not list it. */
static guint64 nm_size(GHashTable *syms, const hw_func *fn)
{
	g_autofree char *key = g_strdup_printf("%" G_GINT64_MODIFIER "x %s", fn->entry, fn->name);
	guint64 *sz = g_hash_table_lookup(syms, key);
	return sz ? *sz : 0;
}

static void test_findfunc_vs_nm(void **state)
{
	fixture *f = *state;
	g_autoptr(GError) err = NULL;
	g_autoptr(GHashTable) syms = text_symbols();
	guint32 n = hw_pclntab_nfunc(f->tab);
	assert_true(n > 1000);
	guint matched = 0;
	for (guint32 i = 0; i < n; i++) {
		hw_func fn, found;
		if (!hw_pclntab_func_at(f->tab, i, &fn, &err))
			fail_msg("%s", err->message);
		/* Every function's entry (and a pc in its middle) finds that function. */
		assert_true(hw_pclntab_findfunc(f->tab, fn.entry, &found, &err));
		assert_string_equal(found.name, fn.name);
		assert_true(hw_pclntab_findfunc(f->tab, fn.entry + (fn.end - fn.entry) / 2, &found, &err));
		assert_int_equal(found.entry, fn.entry);
		guint64 size = nm_size(syms, &fn);
		if (size) {
			assert_true(fn.entry + size <= fn.end);
			matched++;
		}
		/* Nothing is pushed at entry; linker markers (go:*) have no pcsp table. */
		gint32 sp;
		assert_true(hw_pclntab_spdelta(f->tab, &fn, fn.entry, &sp, &err));
		assert_int_equal(sp, g_str_has_prefix(fn.name, "go:") ? -1 : 0);
	}
	assert_true(matched > n * 9 / 10);
	hw_func fn;
	assert_false(hw_pclntab_findfunc(f->tab, 0x10, &fn, &err));
	assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND));
}

static void test_fileline_vs_addr2line(void **state)
{
	fixture *f = *state;
	g_autoptr(GError) err = NULL;
	guint32 n = hw_pclntab_nfunc(f->tab);
	g_autoptr(GHashTable) syms = text_symbols();
	g_autoptr(GArray) pcs = g_array_new(FALSE, FALSE, sizeof(guint64));
	GString *input = g_string_new(NULL);
	/* About 400 pcs spread over all functions, at various offsets inside them. */
	for (guint32 i = 0; i < n; i += MAX(1, n / 200)) {
		hw_func fn;
		assert_true(hw_pclntab_func_at(f->tab, i, &fn, &err));
		guint64 span = nm_size(syms, &fn);
		if (span == 0)
			continue;
		guint64 pcs2[2] = { fn.entry, fn.entry + (span * 7 / 13) };
		for (int k = 0; k < 2; k++) {
			g_array_append_val(pcs, pcs2[k]);
			g_string_append_printf(input, "0x%" G_GINT64_MODIFIER "x\n", pcs2[k]);
		}
	}
	g_autofree char *in_path = g_strdup_printf("%s.pcs", hwt_go_build("./probe", NULL));
	assert_true(g_file_set_contents(in_path, input->str, -1, NULL));
	g_string_free(input, TRUE);
	g_autofree char *cmd = g_strdup_printf("go tool addr2line %s < %s",
					       hwt_go_build("./probe", NULL), in_path);
	const char *argv[] = { "sh", "-c", cmd, NULL };
	g_autofree char *out = hwt_run(argv);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	assert_true(g_strv_length(lines) >= 2 * pcs->len);
	for (guint i = 0; i < pcs->len; i++) {
		guint64 pc = g_array_index(pcs, guint64, i);
		hw_func fn;
		const char *file;
		gint32 line;
		assert_true(hw_pclntab_findfunc(f->tab, pc, &fn, &err));
		if (!hw_pclntab_fileline(f->tab, &fn, pc, &file, &line, &err))
			fail_msg("%s", err->message);
		g_autofree char *want = g_strdup_printf("%s:%d", file, line);
		if (strcmp(lines[2 * i], fn.name) != 0 || strcmp(lines[2 * i + 1], want) != 0)
			fail_msg("pc 0x%" G_GINT64_MODIFIER "x: addr2line says %s %s, we say %s %s",
				 pc, lines[2 * i], lines[2 * i + 1], fn.name, want);
	}
}

static void test_inline_and_stackmaps(void **state)
{
	fixture *f = *state;
	g_autoptr(GError) err = NULL;
	guint32 n = hw_pclntab_nfunc(f->tab);
	guint inlined_seen = 0, maps_seen = 0;
	g_autoptr(GHashTable) syms = text_symbols();
	for (guint32 i = 0; i < n; i++) {
		hw_func fn;
		assert_true(hw_pclntab_func_at(f->tab, i, &fn, &err));
		guint64 size = nm_size(syms, &fn);
		for (guint64 pc = fn.entry; pc < fn.entry + size; pc += 7) {
			g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(hw_inline_frame));
			if (!hw_pclntab_inline_frames(f->tab, &fn, pc, frames, &err))
				fail_msg("%s", err->message);
			hw_inline_frame *last = &g_array_index(frames, hw_inline_frame, frames->len - 1);
			assert_false(last->inlined);
			assert_string_equal(last->name, fn.name);
			if (frames->len > 1) {
				/* The innermost frame's position is the pc's own file:line. */
				const char *file;
				gint32 line;
				assert_true(hw_pclntab_fileline(f->tab, &fn, pc, &file, &line, &err));
				hw_inline_frame *in = &g_array_index(frames, hw_inline_frame, 0);
				assert_string_equal(in->file, file);
				assert_int_equal(in->line, line);
				inlined_seen++;
			}
		}
		if (fn.args == HW_ARGS_SIZE_UNKNOWN || size == 0)
			continue;
		gint32 idx;
		if (!hw_pclntab_stackmap_index(f->tab, &fn, fn.entry + size, &idx, &err))
			fail_msg("%s", err->message);
		g_auto(hw_bitvec) bv = { 0 };
		if (hw_pclntab_stackmap(f->tab, &fn, HW_FUNCDATA_LOCALS_POINTER_MAPS, idx, &bv, &err))
			maps_seen++;
		else
			assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND));
		g_clear_error(&err);
		g_autoptr(GArray) objs = g_array_new(FALSE, FALSE, sizeof(hw_stack_object));
		assert_true(hw_pclntab_stack_objects(f->tab, &fn, objs, &err));
		for (guint k = 0; k < objs->len; k++) {
			hw_stack_object *o = &g_array_index(objs, hw_stack_object, k);
			assert_true(o->size > 0);
			assert_true(o->ptr_bytes <= o->size);
		}
	}
	assert_true(inlined_seen > 100);
	assert_true(maps_seen > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findfunc_vs_nm),
		cmocka_unit_test(test_fileline_vs_addr2line),
		cmocka_unit_test(test_inline_and_stackmaps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
