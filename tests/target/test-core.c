/* test-core.c - gcore cores of the probe: executable via NT_FILE, threads, memory, bias.
 *
 * Oracles: the probe's own report of &Counter and Counter, /proc/PID/task at core time, the
 * path we built the probe at. Corrupt cores are made by truncating a real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "debuginfo/dwarfinfo.h"
#include "goprog.h"
#include "target/core.h"

/* Runs the probe, gcores it, and returns the core's path; *line gets its counter line. */
static char *make_core(const char *flags, char **line)
{
	hwt_child c;
	const char *bin = hwt_go_build("./probe", flags);
	hwt_child_start(&c, bin, NULL);
	g_free(hwt_child_line(&c));
	*line = hwt_child_line(&c);
	g_free(hwt_child_line(&c));
	g_autofree char *prefix = g_strdup_printf("%s.core", bin);
	g_autofree char *pid = g_strdup_printf("%d", (int)c.pid);
	const char *argv[] = { "gcore", "-o", prefix, pid, NULL };
	g_free(hwt_run(argv));
	hwt_child_stop(&c);
	return g_strdup_printf("%s.%s", prefix, pid);
}

static void check_core(const char *flags)
{
	g_autofree char *line = NULL;
	g_autofree char *path = make_core(flags, &line);
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_core) core = hw_core_open(path, NULL, &err);
	if (core == NULL)
		fail_msg("%s", err->message);
	assert_string_equal(hw_core_exe_path(core), hwt_go_build("./probe", flags));

	gsize n;
	const hw_thread *t = hw_core_threads(core, &n);
	assert_true(n >= 2);
	for (gsize i = 0; i < n; i++)
		assert_true(t[i].tid > 0 && t[i].regs.rip != 0 && t[i].regs.rsp != 0);
	assert_int_equal(hw_core_get_notes(core)->pid, t[0].tid);

	g_autoptr(hw_elf) e = hw_elf_open(hw_core_exe_path(core), &err);
	g_autoptr(hw_dwarf) d = hw_dwarf_load(e, &err);
	guint64 addr, v;
	assert_true(hw_dwarf_global(d, "main.Counter", &addr, NULL, &err));
	addr += hw_core_exe_bias(core);
	assert_int_equal(addr, hwt_field(line, "counter_addr"));
	if (!hw_memsrc_read_u64(hw_core_memsrc(core), addr, &v, &err))
		fail_msg("%s", err->message);
	assert_int_equal(v, hwt_field(line, "counter"));
	if (strstr(flags ? flags : "", "pie"))
		assert_true(hw_core_exe_bias(core) != 0);
	else
		assert_int_equal(hw_core_exe_bias(core), 0);

	/* The wrong executable is refused. */
	const char *other = hwt_go_build("./probe", flags ? NULL : "-buildmode=pie");
	g_autoptr(hw_core) wrong = hw_core_open(path, other, &err);
	assert_null(wrong);
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT));
	g_clear_error(&err);

	/* A truncated core names what is missing. */
	goffset size = 0;
	{
		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		fseeko(fp, 0, SEEK_END);
		size = ftello(fp);
		fclose(fp);
	}
	assert_int_equal(truncate(path, size / 2), 0);
	assert_null(hw_core_open(path, NULL, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_CORRUPT));
	assert_non_null(strstr(err->message, "truncated"));
	g_clear_error(&err);
	assert_int_equal(truncate(path, 100), 0);
	assert_null(hw_core_open(path, NULL, &err));
	g_clear_error(&err);
	unlink(path);
}

static void test_core(void **state)
{
	(void)state;
	check_core(NULL);
}

static void test_core_pie(void **state)
{
	(void)state;
	check_core("-buildmode=pie");
}

static void test_not_core(void **state)
{
	(void)state;
	g_autoptr(GError) err = NULL;
	assert_null(hw_core_open(hwt_go_build("./probe", NULL), NULL, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNSUPPORTED));
	assert_non_null(strstr(err->message, "not a core"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core),
		cmocka_unit_test(test_core_pie),
		cmocka_unit_test(test_not_core),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
