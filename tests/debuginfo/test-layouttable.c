/* test-layouttable.c - the layout table against the DWARF of a fresh build, through gr_layout.
 *
 * Oracle: gr_layout_load over the probe's own DWARF. The same binary's layout through the
 * layout table of its Go release (facts) and its ELF symbol table (the globals' addresses)
 * must give the identical gr_layout, offsets, constants and addresses alike; a table that
 * went stale for the Go on PATH, or a symbol address that differs from DWARF's, fails here.
 * Also: the recording itself answers like DWARF (a recorded index rebuilt from its own record
 * gives the same layout), and a query the record lacks fails as a DWARF miss does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "debuginfo/dwarfinfo.h"
#include "goruntime/layout.h"
#include "goprog.h"

static void load(const char *bin, hw_elf **e, hw_dwarf **d)
{
	g_autoptr(GError) err = NULL;
	if (!(*e = hw_elf_open(bin, &err)) || !(*d = hw_dwarf_load(*e, &err)))
		fail_msg("%s", err->message);
}

static void test_table_equals_dwarf(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autoptr(hw_elf) e = NULL;
	g_autoptr(hw_dwarf) d = NULL;
	load(bin, &e, &d);
	g_autoptr(GError) err = NULL;
	gr_layout want, got;
	if (!gr_layout_load(d, 0, &want, &err))
		fail_msg("%s", err->message);
	const gr_layout_table *t = gr_layout_table_for(e, &err);
	if (!t)
		fail_msg("%s", err->message);
	g_autofree char *origin = g_strdup_printf("the %s table", t->release);
	g_autoptr(hw_dwarf) td = hw_dwarf_new_from_facts(e, t->facts, t->n_facts, origin, &err);
	if (!td)
		fail_msg("%s", err->message);
	if (!gr_layout_load(td, 0, &got, &err))
		fail_msg("%s", err->message);
	assert_memory_equal(&got, &want, sizeof want);
	/* Globals: named by symbol, at DWARF's addresses, typed only as opaque bytes. */
	guint64 a, b;
	const hw_dwarf_type *ty = NULL;
	assert_true(hw_dwarf_global(d, "main.Keep", &a, NULL, NULL));
	assert_true(hw_dwarf_global(td, "main.Keep", &b, &ty, NULL));
	assert_int_equal(a, b);
	assert_non_null(ty);
	assert_int_equal(ty->kind, HW_DWARF_KIND_OTHER);
	assert_int_equal(ty->size, 8);
	assert_null(hw_dwarf_type_by_runtime_type(td, 1));
	/* A query the table does not hold fails, naming the table. */
	guint64 off;
	assert_false(hw_dwarf_struct_member_offset(td, "runtime.mspan", "noSuchField", &off, &err));
	assert_non_null(strstr(err->message, origin));
}

static void test_record_roundtrip(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autoptr(hw_elf) e = NULL;
	g_autoptr(hw_dwarf) d = NULL;
	load(bin, &e, &d);
	g_autoptr(GError) err = NULL;
	gr_layout want, got;
	hw_dwarf_record(d);
	if (!gr_layout_load(d, 0, &want, &err))
		fail_msg("%s", err->message);
	gsize n;
	const hw_dwarf_fact *f = hw_dwarf_recorded(d, &n);
	assert_true(n > 100);
	g_autoptr(hw_dwarf) rd = hw_dwarf_new_from_facts(e, f, n, "the record", &err);
	if (!rd)
		fail_msg("%s", err->message);
	if (!gr_layout_load(rd, 0, &got, &err))
		fail_msg("%s", err->message);
	assert_memory_equal(&got, &want, sizeof want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_equals_dwarf),
		cmocka_unit_test(test_record_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
