/* test-dwarfinfo.c - the DWARF index against the Go toolchain's own numbers.
 *
 * Oracles: the probe program prints unsafe.Offsetof/Sizeof of its struct and the value of a
 * constant; `go tool nm` gives global addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "debuginfo/dwarfinfo.h"
#include "goprog.h"

static hw_dwarf *load(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_elf) e = hw_elf_open(path, &err);
	if (e == NULL)
		fail_msg("%s", err->message);
	hw_dwarf *d = hw_dwarf_load(e, &err);
	if (d == NULL)
		fail_msg("%s", err->message);
	return d;
}

static char *probe_line(const char *bin, const char *prefix)
{
	const char *argv[] = { bin, "once", NULL };
	g_autofree char *out = hwt_run(argv);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], prefix))
			return g_strdup(lines[i]);
	fail_msg("probe printed no line starting with %s", prefix);
	return NULL;
}

static void test_struct_offsets(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autofree char *line = probe_line(bin, "offsets ");
	g_autoptr(hw_dwarf) d = load(bin);
	g_autoptr(GError) err = NULL;
	static const char *members[] = { "A", "B", "C", "D", "E", "F", "G", "H", "I", "I.Y" };
	for (gsize i = 0; i < G_N_ELEMENTS(members); i++) {
		guint64 off;
		if (!hw_dwarf_struct_member_offset(d, "main.Probe", members[i], &off, &err))
			fail_msg("%s", err->message);
		assert_int_equal(off, hwt_field(line, members[i]));
	}
	guint64 size;
	assert_true(hw_dwarf_type_size(d, "main.Probe", &size, &err));
	assert_int_equal(size, hwt_field(line, "size"));

	const hw_dwarf_type *t = hw_dwarf_type_by_name(d, "main.Probe");
	assert_non_null(t);
	assert_int_equal(t->kind, HW_DWARF_KIND_STRUCT);
	const hw_dwarf_member *e = hw_dwarf_type_member(t, "E");
	assert_non_null(e);
	assert_int_equal(e->type->kind, HW_DWARF_KIND_POINTER);
	assert_string_equal(e->type->target->name, "main.Probe");
	const hw_dwarf_member *f = hw_dwarf_type_member(t, "F");
	assert_int_equal(f->type->kind, HW_DWARF_KIND_ARRAY);
	assert_int_equal(f->type->count, 3);

	/* Errors name what is missing. */
	guint64 off;
	assert_false(hw_dwarf_struct_member_offset(d, "main.Probe", "I.Nope", &off, &err));
	assert_non_null(strstr(err->message, "Nope"));
	g_clear_error(&err);
	assert_false(hw_dwarf_type_size(d, "main.NoSuchType", &size, &err));
	assert_non_null(strstr(err->message, "main.NoSuchType"));
}

static void test_runtime_layouts(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autoptr(hw_dwarf) d = load(bin);
	g_autoptr(GError) err = NULL;
	guint64 start, npages, size;
	/* The runtime's own structs are described; nested paths add up. */
	assert_true(hw_dwarf_struct_member_offset(d, "runtime.mspan", "startAddr", &start, &err));
	assert_true(hw_dwarf_struct_member_offset(d, "runtime.mspan", "npages", &npages, &err));
	assert_int_equal(npages, start + 8);
	assert_true(hw_dwarf_type_size(d, "runtime.g", &size, &err));
	assert_true(size > 100);
	const hw_dwarf_type *gt;
	guint64 goid;
	assert_true(hw_dwarf_struct_member(d, "runtime.g", "goid", &goid, &gt, &err));
	assert_int_equal(gt->size, 8);
	assert_non_null(hw_dwarf_producer(d));
	assert_non_null(strstr(hw_dwarf_producer(d), "go1."));
}

static void test_globals_and_constants(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autofree char *line = probe_line(bin, "counter_addr=");
	g_autoptr(hw_dwarf) d = load(bin);
	g_autoptr(GError) err = NULL;

	/* Oracle 1: the program's own &Counter (non-PIE: link-time == run-time). */
	guint64 addr;
	const hw_dwarf_type *type;
	assert_true(hw_dwarf_global(d, "main.Counter", &addr, &type, &err));
	assert_int_equal(addr, hwt_field(line, "counter_addr"));
	assert_int_equal(type->size, 8);

	/* Oracle 2: go tool nm. */
	const char *argv[] = { "go", "tool", "nm", bin, NULL };
	g_autofree char *nm = hwt_run(argv);
	g_auto(GStrv) lines = g_strsplit(nm, "\n", -1);
	guint checked = 0;
	for (guint i = 0; lines[i]; i++) {
		unsigned long long want;
		char kind[4], name[512];
		if (sscanf(lines[i], " %llx %3s %511s", &want, kind, name) != 3 ||
		    (strcmp(kind, "D") != 0 && strcmp(kind, "B") != 0) ||
		    !g_str_has_prefix(name, "main."))
			continue;
		guint64 a;
		if (hw_dwarf_global(d, name, &a, NULL, NULL)) {
			assert_int_equal(a, want);
			checked++;
		}
	}
	assert_true(checked >= 2);

	gsize n;
	const hw_dwarf_var *g = hw_dwarf_globals(d, &n);
	assert_true(n > 100);
	for (gsize i = 1; i < n; i++)
		assert_true(g[i - 1].addr <= g[i].addr);

	gint64 v;
	assert_true(hw_dwarf_constant(d, "main.ProbeConst", &v, &err));
	assert_int_equal(v, (gint64)hwt_field(line, "const") );
	assert_false(hw_dwarf_constant(d, "main.NoSuchConst", &v, &err));
	assert_non_null(strstr(err->message, "main.NoSuchConst"));
}

static void test_no_dwarf(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", "-ldflags=-w");
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_elf) e = hw_elf_open(bin, &err);
	assert_non_null(e);
	hw_dwarf *d = hw_dwarf_load(e, &err);
	assert_null(d);
	assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NO_DWARF));
	assert_non_null(strstr(err->message, "-w"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_offsets),
		cmocka_unit_test(test_runtime_layouts),
		cmocka_unit_test(test_globals_and_constants),
		cmocka_unit_test(test_no_dwarf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
