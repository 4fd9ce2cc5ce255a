/* test-elfinfo.c - ELF sections, symbols, build ids, Go build info, load bias.
 *
 * Oracles: `go env GOVERSION`, `go tool buildid`, `go tool nm`, objcopy's decompression.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "debuginfo/elfinfo.h"
#include "goprog.h"

static hw_elf *open_elf(const char *path)
{
	g_autoptr(GError) err = NULL;
	hw_elf *e = hw_elf_open(path, &err);
	if (e == NULL)
		fail_msg("%s", err->message);
	return e;
}

static void test_go_identity(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autoptr(hw_elf) e = open_elf(bin);
	g_autoptr(GError) err = NULL;

	const char *argv_v[] = { "go", "env", "GOVERSION", NULL };
	g_autofree char *goversion = g_strstrip(hwt_run(argv_v));
	const char *version, *modinfo;
	assert_true(hw_elf_go_buildinfo(e, &version, &modinfo, &err));
	assert_string_equal(version, goversion);
	assert_non_null(strstr(modinfo, "heapwalk.test/debuginfo"));
	const char *rv = hw_elf_go_runtime_version(e, &err);
	assert_non_null(rv);
	assert_true(g_str_has_prefix(rv, goversion));

	const char *argv_b[] = { "go", "tool", "buildid", bin, NULL };
	g_autofree char *buildid = g_strstrip(hwt_run(argv_b));
	assert_string_equal(hw_elf_go_build_id(e), buildid);
	assert_false(hw_elf_is_pie(e));
}

static void test_symbols(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autoptr(hw_elf) e = open_elf(bin);
	const char *argv[] = { "go", "tool", "nm", "-size", bin, NULL };
	g_autofree char *nm = hwt_run(argv);
	g_auto(GStrv) lines = g_strsplit(nm, "\n", -1);
	guint checked = 0;
	for (guint i = 0; lines[i]; i++) {
		unsigned long long want_value, want_size;
		char kind[4], name[512];
		if (sscanf(lines[i], " %llx %llu %3s %511s", &want_value, &want_size, kind, name) != 4 ||
		    strcmp(kind, "U") == 0)
			continue;
		guint64 value, size;
		if (!g_str_has_prefix(name, "main.") && !g_str_has_prefix(name, "runtime.m"))
			continue;
		assert_true(hw_elf_symbol(e, name, &value, &size));
		assert_int_equal(value, want_value);
		assert_int_equal(size, want_size);
		checked++;
	}
	assert_true(checked > 20);
	assert_false(hw_elf_symbol(e, "main.no_such_symbol", NULL, NULL));
}

static void test_compressed_section(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", NULL);
	g_autoptr(hw_elf) e = open_elf(bin);
	g_autoptr(GError) err = NULL;
	guint64 addr, size;
	assert_true(hw_elf_section_info(e, ".debug_info", &addr, &size));
	GBytes *b = hw_elf_section_data(e, ".debug_info", &err);
	assert_non_null(b);
	assert_int_equal(g_bytes_get_size(b), size);

	/* Oracle: objcopy's own decompression of the same section. */
	g_autofree char *plain = g_strdup_printf("%s.plain", bin);
	g_autofree char *dump = g_strdup_printf("%s.debug_info", bin);
	g_autofree char *dump_arg = g_strdup_printf(".debug_info=%s", dump);
	const char *argv[] = { "objcopy", "--decompress-debug-sections", "--dump-section",
			       dump_arg, bin, plain, NULL };
	g_free(hwt_run(argv));
	g_autofree char *want = NULL;
	gsize want_len;
	assert_true(g_file_get_contents(dump, &want, &want_len, NULL));
	assert_int_equal(want_len, g_bytes_get_size(b));
	assert_memory_equal(want, g_bytes_get_data(b, NULL), want_len);

	assert_null(hw_elf_section_data(e, ".no_such_section", &err));
	assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND));
}

static void test_pie_bias(void **state)
{
	(void)state;
	const char *bin = hwt_go_build("./probe", "-buildmode=pie");
	g_autoptr(hw_elf) e = open_elf(bin);
	g_autoptr(GError) err = NULL;
	assert_true(hw_elf_is_pie(e));
	gsize n;
	const hw_elf_segment *s = hw_elf_segments(e, &n);
	assert_true(n >= 2);
	guint64 bias;
	/* A mapping of the segment at file offset s[1].offset placed at 0x5555_0000_0000 + its
	 * page-aligned vaddr means a bias of 0x5555_0000_0000. */
	guint64 base = 0x555500000000ull;
	assert_true(hw_elf_load_bias(e, base + (s[1].vaddr & ~0xfffull), s[1].offset & ~0xfffull,
				     &bias, &err));
	assert_int_equal(bias, base);

	const char *plain = hwt_go_build("./probe", NULL);
	g_autoptr(hw_elf) p = open_elf(plain);
	const hw_elf_segment *ps = hw_elf_segments(p, &n);
	assert_true(hw_elf_load_bias(p, ps[0].vaddr & ~0xfffull, ps[0].offset & ~0xfffull, &bias,
				     &err));
	assert_int_equal(bias, 0);
	assert_false(hw_elf_load_bias(p, (ps[0].vaddr & ~0xfffull) + 0x10000,
				      ps[0].offset & ~0xfffull, &bias, &err));
	assert_non_null(strstr(err->message, "did not map"));
}

static void test_not_elf(void **state)
{
	(void)state;
	g_autoptr(GError) err = NULL;
	g_autofree char *path = g_build_filename(g_getenv("HW_GO_TESTDATA"), "go.mod", NULL);
	assert_null(hw_elf_open(path, &err));
	assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_ELF));
	g_clear_error(&err);
	assert_null(hw_elf_open("/nonexistent/heapwalk", &err));
	assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_IO));
	g_clear_error(&err);
	/* A C program is ELF but not Go. */
	g_autoptr(hw_elf) sh = open_elf("/bin/sh");
	const char *v;
	assert_false(hw_elf_go_buildinfo(sh, &v, NULL, &err));
	assert_true(g_error_matches(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_GO));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_identity),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_compressed_section),
		cmocka_unit_test(test_pie_bias),
		cmocka_unit_test(test_not_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
