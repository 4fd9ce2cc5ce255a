/* test-v8-graph.c - the in-memory graph of a V8 snapshot (src/import/v8-graph.h) against the
 * graph every other command reads: the converted .hwd file, written and loaded back.
 *
 * Oracle: the file path (hw_v8_open + hw_graph_load), which run-compare.sh checks node for
 * node against memlab and DevTools. The two graphs must agree on every object (address, size,
 * flags, class name and kind), every edge (ends, kind, label text) and the root; string ids
 * may differ. Inputs: a small snapshot written here (element, hidden and weak edges, an
 * unreachable cycle the root adopts, a name with escapes), plus any .heapsnapshot files named
 * on the command line (run-compare.sh passes the fixtures and the generated heap), under both
 * rule sets; and self sizes that overflow the synthetic addresses, refused alike. Also: hw_graph_new_owning's refusals, which must free what they were handed
 * (leaks show under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "graph.h"
#include "import/v8-graph.h"
#include "import/v8-import.h"

static char **files;   /* extra snapshots from the command line, NULL-terminated */

/* A root (0) holding an object (1) by a property, an array (2) by an element [5], the array
 * holding a string (3) by a hidden edge and the object weakly; nodes 4 and 5 hold each other
 * and nothing reaches them (the root adopts them). */
static const char small[] =
	"{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],"
	"\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\",\"regexp\",\"number\",\"native\",\"synthetic\","
	"\"concatenated string\",\"sliced string\",\"symbol\",\"bigint\",\"object shape\"],\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],"
	"\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],"
	"\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\",\"weak\"],\"string_or_number\",\"node\"]},"
	"\"node_count\":6,\"edge_count\":6,\"root_index\":0},"
	"\"nodes\":[9,0,1,0,2,0,0, 3,1,3,24,0,0,0, 1,2,5,40,2,0,0, 2,3,7,16,0,0,0, 3,1,9,32,1,0,0, 3,4,11,8,1,0,0],"
	"\"edges\":[2,5,7, 1,5,14, 4,7,21, 6,6,7, 2,5,35, 2,5,28],"
	"\"strings\":[\"\",\"Foo\",\"(array)\",\"a\\tb\\\\c\",\"Bar\",\"x\",\"weak\"]}";

static void compare_string(const hw_graph *a, uint32_t ida, const hw_graph *b, uint32_t idb, const char *what, uint64_t k)
{
	uint32_t la, lb;
	const char *sa = hw_graph_string(a, ida, &la), *sb = hw_graph_string(b, idb, &lb);
	/* The in-memory graph's strings end at a NUL (v8-graph.h); the file keeps the bytes. */
	const char *nul = memchr(sb, '\0', lb);
	if (nul)
		lb = (uint32_t)(nul - sb);
	if (la != lb || memcmp(sa, sb, la) != 0)
		fail_msg("%s %llu: '%.*s' in memory, '%.*s' in the file", what, (unsigned long long)k, (int)la, sa, (int)lb, sb);
}

/* Asserts that the two graphs are the same graph. */
static void compare_graphs(const hw_graph *a, const hw_graph *b)
{
	assert_int_equal(hw_graph_n_objects(a), hw_graph_n_objects(b));
	assert_int_equal(hw_graph_n_edges(a), hw_graph_n_edges(b));
	for (uint32_t v = 0; v < hw_graph_n_objects(a); v++) {
		hwd_object oa = hw_graph_object(a, v), ob = hw_graph_object(b, v);
		assert_int_equal(oa.addr, ob.addr);
		assert_int_equal(oa.size, ob.size);
		assert_int_equal(oa.flags, ob.flags);
		assert_int_equal(hw_graph_type(a, oa.type).kind, hw_graph_type(b, ob.type).kind);
		compare_string(a, hw_graph_type(a, oa.type).name, b, hw_graph_type(b, ob.type).name, "class of object", v);
	}
	for (uint64_t e = 0; e < hw_graph_n_edges(a); e++) {
		hwd_edge ea = hw_graph_edge(a, e), eb = hw_graph_edge(b, e);
		assert_int_equal(ea.from, eb.from);
		assert_int_equal(ea.to, eb.to);
		assert_int_equal(ea.info, eb.info);
		compare_string(a, ea.label, b, eb.label, "label of edge", e);
	}
	assert_int_equal(hw_graph_n_roots(a), hw_graph_n_roots(b));
	for (uint64_t k = 0; k < hw_graph_n_roots(a); k++) {
		hwd_root ra = hw_graph_root(a, k), rb = hw_graph_root(b, k);
		assert_int_equal(ra.kind, rb.kind);
		assert_int_equal(ra.object, rb.object);
		compare_string(a, ra.name, b, rb.name, "name of root", k);
	}
	g_autoptr(GError) error = NULL;
	assert_true(hw_graph_check(a, &error));
}

static void compare_snapshot(const hw_v8_snapshot *s, const char *name)
{
	for (int r = HW_V8_RULES_DEVTOOLS; r <= HW_V8_RULES_MEMLAB; r++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(hw_v8_retention) rt = hw_v8_retention_compute(s, (hw_v8_rules)r);
		hw_graph *mem = hw_v8_graph(s, rt, name, &error);
		assert_non_null(mem);
		hwd_reader *reader = hw_v8_open(s, rt, name, &error);
		assert_non_null(reader);
		hw_graph *file = hw_graph_load(reader, NULL, NULL, &error);
		assert_non_null(file);
		compare_graphs(mem, file);
		hw_graph_free(file);
		hwd_reader_close(reader);
		hw_graph_free(mem);
	}
}

static void test_small(void **state)
{
	(void)state;
	g_autoptr(GError) error = NULL;
	g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_parse(small, sizeof small - 1, &error);
	assert_non_null(s);
	g_autoptr(hw_v8_retention) rt = hw_v8_retention_compute(s, HW_V8_RULES_DEVTOOLS);
	assert_int_equal(rt->n_adopted, 2);   /* the small heap has what it claims */
	compare_snapshot(s, "small");
}

/* Self sizes past 2^64 bytes in total: both paths refuse them with the same error. */
static void test_overflow(void **state)
{
	(void)state;
	static const char huge[] =
		"{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\"],"
		"\"node_types\":[[\"synthetic\",\"string\"]],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],"
		"\"edge_types\":[[\"element\"]]},\"node_count\":3,\"edge_count\":2,\"root_index\":0},"
		"\"nodes\":[0,0,1,0,2, 1,0,3,18446744073709551615,0, 1,0,5,18446744073709551615,0],"
		"\"edges\":[0,0,5,0,1,10],\"strings\":[\"s\"]}";
	g_autoptr(GError) error = NULL;
	g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_parse(huge, sizeof huge - 1, &error);
	assert_non_null(s);
	g_autoptr(hw_v8_retention) rt = hw_v8_retention_compute(s, HW_V8_RULES_MEMLAB);
	assert_null(hw_v8_graph(s, rt, "huge", &error));
	assert_true(g_error_matches(error, HW_V8_ERROR, HW_V8_ERROR_FORMAT));
	g_autofree char *mem_msg = g_strdup(error->message);
	g_clear_error(&error);
	assert_null(hw_v8_open(s, rt, "huge", &error));
	assert_string_equal(mem_msg, error->message);
}

static void test_files(void **state)
{
	(void)state;
	for (char **f = files; *f; f++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_load(*f, &error);
		if (!s)
			fail_msg("%s: %s", *f, error->message);
		compare_snapshot(s, *f);
	}
}

/* Two objects, one edge, one root, one type named by string 1. */
static hw_graph_owned_arrays owned_arrays(void)
{
	hw_graph_owned_arrays a = {
		.objects = g_new0(hwd_object, 2), .n_objects = 2, .edges = g_new0(hwd_edge, 1), .n_edges = 1,
		.roots = g_new0(hwd_root, 1), .n_roots = 1, .types = g_new0(hwd_type, 1), .n_types = 1,
		.strings = g_new0(char *, 2), .n_strings = 1,
	};
	a.objects[0] = (hwd_object){ .addr = 16, .size = 8, .type = 1 };
	a.objects[1] = (hwd_object){ .addr = 32, .size = 8, .type = 1 };
	a.edges[0] = (hwd_edge){ .from = 0, .to = 1 };
	a.types[0] = (hwd_type){ .name = 1 };
	a.strings[0] = g_strdup("T");
	return a;
}

static void test_owning(void **state)
{
	(void)state;
	g_autoptr(GError) error = NULL;
	hw_graph_owned_arrays a = owned_arrays();
	hwd_object *objects = a.objects;
	hw_graph *g = hw_graph_new_owning(&a, &error);
	uint32_t len;

	assert_non_null(g);
	assert_null(a.objects);          /* taken over... */
	objects[1].size = 24;            /* ...and not copied: the graph reads the caller's array */
	assert_int_equal(hw_graph_object_size(g, 1), 24);
	assert_string_equal(hw_graph_type_name(g, 1, &len), "T");
	assert_int_equal(hw_graph_n_root_targets(g), 1);
	hw_graph_free(g);

	/* Refusals free what they were handed. */
	a = owned_arrays();
	a.objects[1].type = 2;
	assert_null(hw_graph_new_owning(&a, &error));
	assert_true(g_error_matches(error, HW_ERROR, HW_ERROR_INVALID));
	g_clear_error(&error);

	a = owned_arrays();
	a.n_strings = 2;   /* the list holds one */
	assert_null(hw_graph_new_owning(&a, &error));
	assert_true(g_error_matches(error, HW_ERROR, HW_ERROR_INVALID));
	g_clear_error(&error);

	a = owned_arrays();
	a.edges[0].to = 2;
	assert_null(hw_graph_new_owning(&a, &error));
	assert_true(g_error_matches(error, HW_ERROR, HW_ERROR_INVALID));
	g_clear_error(&error);

	a = owned_arrays();
	a.roots[0].object = 7;
	assert_null(hw_graph_new_owning(&a, &error));
	assert_true(g_error_matches(error, HW_ERROR, HW_ERROR_INVALID));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_owning),
	};

	files = argv + 1;
	(void)argc;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
