/* test-output.c - unit tests of the CLI's output helpers: units, the JSON writer, tables.
 *
 * Expected strings are written out by hand from the rules in units.h, json.h and table.h
 * (RFC 8259 escapes; binary units with one decimal; two-space column gaps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/json.h"
#include "cli/table.h"
#include "cli/units.h"

static void test_units_bytes(void **state)
{
	char buf[HW_UNITS_BUF];
	(void)state;

	assert_string_equal(hw_units_bytes(buf, 0), "0 B");
	assert_string_equal(hw_units_bytes(buf, 1023), "1023 B");
	assert_string_equal(hw_units_bytes(buf, 1024), "1.0 KiB");
	assert_string_equal(hw_units_bytes(buf, 1536), "1.5 KiB");
	/* 1048575 B is 1023.999 KiB, which would print as "1024.0 KiB": it must move up a unit. */
	assert_string_equal(hw_units_bytes(buf, 1048575), "1.0 MiB");
	assert_string_equal(hw_units_bytes(buf, 5ull << 30), "5.0 GiB");
	assert_string_equal(hw_units_bytes(buf, UINT64_MAX), "16.0 EiB");
}

/* Runs `fill` against a writer on a memory stream and returns what it wrote. */
static char *json_output(gboolean pretty, void (*fill)(hw_json *j))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	hw_json *j = hw_json_new(f, pretty);

	fill(j);
	hw_json_free(j);
	fclose(f);
	return text;
}

static void fill_document(hw_json *j)
{
	static const char bad_utf8[] = { 'a', (char)0xff, 'b', 0 };

	hw_json_begin_object(j);
	hw_json_key(j, "s");
	hw_json_string(j, "q\"b\\n\n\x01");
	hw_json_key(j, "bad");
	hw_json_string(j, bad_utf8);
	hw_json_key(j, "utf8");
	hw_json_string(j, "caf\xc3\xa9");
	hw_json_key(j, "n");
	hw_json_u64(j, UINT64_MAX);
	hw_json_key(j, "i");
	hw_json_i64(j, -5);
	hw_json_key(j, "a");
	hw_json_begin_array(j);
	hw_json_addr(j, 0xc000010000ull);
	hw_json_bool(j, TRUE);
	hw_json_null(j);
	hw_json_begin_object(j);
	hw_json_end_object(j);
	hw_json_end_array(j);
	hw_json_key(j, "empty");
	hw_json_begin_array(j);
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void test_json_compact(void **state)
{
	char *out = json_output(FALSE, fill_document);
	(void)state;

	assert_string_equal(out,
		"{\"s\":\"q\\\"b\\\\n\\n\\u0001\",\"bad\":\"a\\ufffdb\",\"utf8\":\"caf\xc3\xa9\","
		"\"n\":18446744073709551615,\"i\":-5,\"a\":[\"0xc000010000\",true,null,{}],\"empty\":[]}\n");
	free(out);
}

static void fill_small(hw_json *j)
{
	hw_json_begin_object(j);
	hw_json_key(j, "a");
	hw_json_begin_array(j);
	hw_json_u64(j, 1);
	hw_json_u64(j, 2);
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void test_json_pretty(void **state)
{
	char *out = json_output(TRUE, fill_small);
	(void)state;

	assert_string_equal(out, "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n");
	free(out);
}

static void fill_lines(hw_json *j)
{
	fill_small(j);
	hw_json_u64(j, 7);
}

static void test_json_lines(void **state)
{
	char *out = json_output(FALSE, fill_lines);
	(void)state;

	/* Every top-level value ends its line: JSON Lines. */
	assert_string_equal(out, "{\"a\":[1,2]}\n7\n");
	free(out);
}

static void test_table(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	hw_table *t = hw_table_new("rl", "SIZE", "NAME");
	(void)state;

	hw_table_bytes(t, 1536);
	hw_table_name(t, "caf\xc3\xa9\x1b[2J", 9);
	hw_table_cell(t, "%d", 7);
	hw_table_cell(t, "x");
	hw_table_print(t, f);
	hw_table_free(t);
	fclose(f);
	/* Right-aligned numbers, the last column unpadded, control bytes shown as '?'. */
	assert_string_equal(text,
		"   SIZE  NAME\n"
		"1.5 KiB  caf\xc3\xa9?[2J\n"
		"      7  x\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_bytes),
		cmocka_unit_test(test_json_compact),
		cmocka_unit_test(test_json_pretty),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
