/* test-hwgen.c - hwgen's expectations checked against brute force, and its command line.
 *
 * hwgen's expectations sidecar is meant to be an oracle for analysis/ at sizes where brute
 * force is out of reach, so it must itself be right. Here small snapshots of every shape are
 * read back through the dumpfmt reader and analysed the slowest way there is: v's dominators
 * are exactly the objects whose removal makes v unreachable, and u retains exactly what
 * becomes unreachable without it. One breadth-first search per object, straight from the
 * definitions, shares nothing with hwgen's derivations or with analysis/.
 * Also checked: the summary counts against the reader, determinism from --seed, the Go-like
 * content of the cachedag shape, that memory does not grow with the graph (streaming), and
 * clear usage errors. argv[1] is the hwgen executable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <string.h>

#include "hwd.h"

static const char *hwgen_path;
static char *tmp_dir;

/* ---- running hwgen ------------------------------------------------------------------- */

/* Runs hwgen with the arguments in `args` (NULL-terminated); returns its exit status and,
 * when err is not NULL, its standard error in *err (free with g_free). */
static int run_hwgenv(char **err, const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer)hwgen_path);
	for (; *args; args++)
		g_ptr_array_add(argv, (gpointer)*args);
	g_ptr_array_add(argv, NULL);
	int status = -1;
	GError *error = NULL;
	char *out = NULL, *errout = NULL;
	gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
				   &out, &errout, &status, &error);
	if (!ok)
		fail_msg("cannot run %s: %s", hwgen_path, error->message);
	g_ptr_array_free(argv, TRUE);
	g_free(out);
	if (err)
		*err = errout;
	else
		g_free(errout);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The same with the arguments inline, NULL-terminated. */
static int run_hwgen(char **err, ...)
{
	const char *args[32];
	size_t k = 0;
	va_list ap;
	va_start(ap, err);
	for (const char *a; (a = va_arg(ap, const char *));) {
		assert_true(k + 1 < G_N_ELEMENTS(args));
		args[k++] = a;
	}
	va_end(ap);
	args[k] = NULL;
	return run_hwgenv(err, args);
}

/* ---- the expectations file ------------------------------------------------------------ */

#define IDOM_ROOT 0xFFFFFFFEu

typedef struct expect {
	GHashTable *keys;        /* key -> value string */
	uint32_t *idom;          /* per object, when object lines were given */
	uint64_t *retained;
	uint8_t *seen;
	uint64_t lines;          /* object lines read */
} expect;

static void expect_load(expect *x, const char *path, uint64_t n)
{
	char *text = NULL;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	x->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	x->idom = g_new0(uint32_t, n);
	x->retained = g_new0(uint64_t, n);
	x->seen = g_new0(uint8_t, n);
	x->lines = 0;
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (!**l || **l == '#')
			continue;
		char **f = g_strsplit(*l, " ", -1);
		if (strcmp(f[0], "object") == 0) {
			assert_int_equal(g_strv_length(f), 4);
			uint64_t v = g_ascii_strtoull(f[1], NULL, 10);
			assert_true(v < n);
			assert_false(x->seen[v]);
			x->seen[v] = 1;
			x->lines++;
			x->idom[v] = strcmp(f[2], "root") == 0   ? IDOM_ROOT
				     : strcmp(f[2], "none") == 0 ? HWD_NONE
								 : (uint32_t)g_ascii_strtoull(f[2], NULL, 10);
			x->retained[v] = g_ascii_strtoull(f[3], NULL, 10);
		} else {
			assert_int_equal(g_strv_length(f), 2);
			g_hash_table_replace(x->keys, g_strdup(f[0]), g_strdup(f[1]));
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
}

static uint64_t expect_u64(const expect *x, const char *key)
{
	const char *v = g_hash_table_lookup(x->keys, key);
	if (!v)
		fail_msg("expectations lack key %s", key);
	return g_ascii_strtoull(v, NULL, 10);
}

static void expect_free(expect *x)
{
	g_hash_table_destroy(x->keys);
	g_free(x->idom);
	g_free(x->retained);
	g_free(x->seen);
}

/* ---- brute force over the snapshot as read back --------------------------------------- */

typedef struct graph {
	uint32_t n;
	uint64_t *size;
	uint64_t *first;         /* CSR over strong (non-weak) edges */
	uint32_t *to;
	uint32_t *roots;         /* root targets, duplicates allowed */
	uint64_t n_roots;
} graph;

static void graph_load(graph *g, const hwd_reader *r)
{
	g->n = (uint32_t)hwd_reader_object_count(r);
	uint64_t m = hwd_reader_edge_count(r);
	g->size = g_new0(uint64_t, g->n);
	g->first = g_new0(uint64_t, g->n + 1);
	g->to = g_new0(uint32_t, m + 1);
	for (uint32_t v = 0; v < g->n; v++)
		g->size[v] = hwd_reader_object(r, v).size;
	uint64_t k = 0;
	for (uint64_t i = 0; i < m; i++) {
		hwd_edge e = hwd_reader_edge(r, i);
		assert_true(e.from < g->n && e.to < g->n);
		if (hwd_edge_kind_of(&e) == HWD_EDGE_WEAK)
			continue;
		g->first[e.from + 1]++;
		g->to[k++] = e.to;   /* edges come grouped by source, in order */
	}
	for (uint32_t v = 0; v < g->n; v++)
		g->first[v + 1] += g->first[v];
	g->n_roots = hwd_reader_root_count(r);
	g->roots = g_new0(uint32_t, g->n_roots + 1);
	for (uint64_t j = 0; j < g->n_roots; j++)
		g->roots[j] = hwd_reader_root(r, j).object;
}

static void graph_free(graph *g)
{
	g_free(g->size);
	g_free(g->first);
	g_free(g->to);
	g_free(g->roots);
}

/* Marks in `seen` what the roots reach when `without` (or nothing, HWD_NONE) is removed. */
static void reach(const graph *g, uint32_t without, uint8_t *seen, uint32_t *queue)
{
	memset(seen, 0, g->n);
	uint32_t head = 0, tail = 0;
	for (uint64_t j = 0; j < g->n_roots; j++) {
		uint32_t t = g->roots[j];
		if (t != without && !seen[t]) {
			seen[t] = 1;
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t v = queue[head++];
		for (uint64_t k = g->first[v]; k < g->first[v + 1]; k++) {
			uint32_t w = g->to[k];
			if (w != without && !seen[w]) {
				seen[w] = 1;
				queue[tail++] = w;
			}
		}
	}
}

typedef struct brute {
	uint8_t *reachable;
	uint32_t *idom;          /* IDOM_ROOT, an index, or HWD_NONE */
	uint64_t *retained;
	uint32_t max_depth;
	uint64_t reachable_count, reachable_bytes;
} brute;

static void brute_force(const graph *g, brute *b)
{
	const uint32_t n = g->n;
	uint8_t *dominated = g_new0(uint8_t, (size_t)n * n);   /* [u*n + v]: u strictly dominates v */
	uint8_t *seen = g_new0(uint8_t, n);
	uint32_t *queue = g_new0(uint32_t, n);
	uint32_t *ndom = g_new0(uint32_t, n);
	b->reachable = g_new0(uint8_t, n);
	b->idom = g_new0(uint32_t, n);
	b->retained = g_new0(uint64_t, n);
	b->reachable_count = b->reachable_bytes = 0;
	reach(g, HWD_NONE, b->reachable, queue);
	for (uint32_t u = 0; u < n; u++) {
		if (!b->reachable[u])
			continue;
		b->reachable_count++;
		b->reachable_bytes += g->size[u];
		reach(g, u, seen, queue);
		b->retained[u] = g->size[u];
		for (uint32_t v = 0; v < n; v++) {
			if (v != u && b->reachable[v] && !seen[v]) {
				dominated[(size_t)u * n + v] = 1;
				ndom[v]++;
				b->retained[u] += g->size[v];
			}
		}
	}
	/* Strict dominators form a chain; the immediate one is the deepest, the one with most
	 * dominators of its own. */
	b->max_depth = 0;
	for (uint32_t v = 0; v < n; v++) {
		if (!b->reachable[v]) {
			b->idom[v] = HWD_NONE;
			continue;
		}
		b->idom[v] = IDOM_ROOT;
		for (uint32_t u = 0; u < n; u++)
			if (dominated[(size_t)u * n + v] && (b->idom[v] == IDOM_ROOT || ndom[u] > ndom[b->idom[v]]))
				b->idom[v] = u;
		if (ndom[v] + 1 > b->max_depth)
			b->max_depth = ndom[v] + 1;
	}
	g_free(dominated);
	g_free(seen);
	g_free(queue);
	g_free(ndom);
}

static void brute_free(brute *b)
{
	g_free(b->reachable);
	g_free(b->idom);
	g_free(b->retained);
}

/* ---- one generated case --------------------------------------------------------------- */

typedef struct gen_case {
	const char *shape;
	const char *objects;
	const char *edges;       /* NULL: the default */
	const char *roots;
	const char *seed;
} gen_case;

static hwd_reader *open_snapshot(const char *path)
{
	hwd_reader *r = NULL;
	hwd_error err;
	int rc = hwd_reader_open(path, HWD_OPEN_STRICT, &r, &err);
	if (rc < 0)
		fail_msg("reading %s: %s", path, err.message);
	return r;
}

static void check_case(const gen_case *c)
{
	char *snap = g_build_filename(tmp_dir, "case.hwsnap", NULL);
	char *exp = g_build_filename(tmp_dir, "case.expect", NULL);
	const char *args[16] = {
		"--shape", c->shape, "--objects", c->objects, "--seed", c->seed,
		"-o", snap, "--expect", exp,
	};
	int k = 10;
	if (c->edges) {
		args[k++] = "--edges";
		args[k++] = c->edges;
	}
	if (c->roots) {
		args[k++] = "--roots";
		args[k++] = c->roots;
	}
	args[k] = NULL;
	char *err = NULL;
	int rc = run_hwgenv(&err, args);
	if (rc != 0)
		fail_msg("hwgen %s %s failed (%d): %s", c->shape, c->objects, rc, err);
	g_free(err);

	hwd_reader *r = open_snapshot(snap);
	graph g;
	graph_load(&g, r);
	expect x;
	expect_load(&x, exp, g.n);
	brute b;
	brute_force(&g, &b);

	assert_int_equal(expect_u64(&x, "objects"), hwd_reader_object_count(r));
	assert_int_equal(expect_u64(&x, "edges"), hwd_reader_edge_count(r));
	assert_int_equal(expect_u64(&x, "roots"), hwd_reader_root_count(r));
	uint64_t total = 0;
	for (uint32_t v = 0; v < g.n; v++)
		total += g.size[v];
	assert_int_equal(expect_u64(&x, "total_bytes"), total);
	assert_int_equal(expect_u64(&x, "reachable_objects"), b.reachable_count);
	assert_int_equal(expect_u64(&x, "reachable_bytes"), b.reachable_bytes);
	assert_int_equal(expect_u64(&x, "unreachable_objects"), g.n - b.reachable_count);
	assert_int_equal(expect_u64(&x, "unreachable_bytes"), total - b.reachable_bytes);

	if (strcmp(c->shape, "random") != 0) {
		assert_int_equal(x.lines, g.n);   /* every object has its line */
		assert_int_equal(expect_u64(&x, "max_depth"), b.max_depth);
		for (uint32_t v = 0; v < g.n; v++) {
			if (x.idom[v] != b.idom[v] || x.retained[v] != b.retained[v])
				fail_msg("%s %s seed %s: object %u: expected idom %d retained %llu, brute force "
					 "says idom %d retained %llu", c->shape, c->objects, c->seed, v,
					 (int)x.idom[v], (unsigned long long)x.retained[v], (int)b.idom[v],
					 (unsigned long long)b.retained[v]);
		}
	} else {
		assert_int_equal(x.lines, 0);
	}
	brute_free(&b);
	expect_free(&x);
	graph_free(&g);
	hwd_reader_close(r);
	g_unlink(snap);
	g_unlink(exp);
	g_free(snap);
	g_free(exp);
}

static void test_chain(void **state)
{
	(void)state;
	static const gen_case cases[] = {
		{ "chain", "1", NULL, NULL, "1" },
		{ "chain", "2", NULL, NULL, "1" },
		{ "chain", "300", NULL, NULL, "1" },
		{ "chain", "300", NULL, NULL, "99" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		check_case(&cases[i]);
}

static void test_fanout(void **state)
{
	(void)state;
	static const gen_case cases[] = {
		{ "fanout", "1", NULL, NULL, "1" },
		{ "fanout", "2", NULL, NULL, "5" },
		{ "fanout", "400", NULL, NULL, "5" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		check_case(&cases[i]);
}

/* Sizes chosen for 1 table (all configs in one table), several tables (configs spread over
 * tables, so dominated by the directory), and the smallest allowed. */
static void test_cachedag(void **state)
{
	(void)state;
	static const gen_case cases[] = {
		{ "cachedag", "64", NULL, NULL, "1" },
		{ "cachedag", "200", NULL, NULL, "2" },
		{ "cachedag", "700", NULL, NULL, "3" },
		{ "cachedag", "1200", NULL, NULL, "4" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		check_case(&cases[i]);
}

static void test_random(void **state)
{
	(void)state;
	static const gen_case cases[] = {
		{ "random", "500", NULL, NULL, "1" },
		{ "random", "500", "1500", "3", "2" },
		{ "random", "300", "0", "1", "3" },
		{ "random", "300", "3000", "10", "4" },
		{ "random", "1", "5", "1", "5" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		check_case(&cases[i]);
}

/* ---- determinism and content ---------------------------------------------------------- */

static char *generate(const char *name, const char *shape, const char *objects, const char *seed)
{
	char *path = g_build_filename(tmp_dir, name, NULL);
	assert_int_equal(run_hwgen(NULL, "-s", shape, "-n", objects, "--seed", seed, "-o", path, NULL), 0);
	return path;
}

static int same_bytes(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	gsize lx = 0, ly = 0;
	assert_true(g_file_get_contents(a, &x, &lx, NULL));
	assert_true(g_file_get_contents(b, &y, &ly, NULL));
	int same = lx == ly && memcmp(x, y, lx) == 0;
	g_free(x);
	g_free(y);
	return same;
}

static void test_deterministic(void **state)
{
	(void)state;
	static const char *const shapes[] = { "random", "chain", "fanout", "cachedag" };
	for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
		char *a = generate("a.hwsnap", shapes[i], "2000", "7");
		char *b = generate("b.hwsnap", shapes[i], "2000", "7");
		char *c = generate("c.hwsnap", shapes[i], "2000", "8");
		if (!same_bytes(a, b))
			fail_msg("%s: the same seed gave different files", shapes[i]);
		if (same_bytes(a, c))
			fail_msg("%s: seeds 7 and 8 gave the same file", shapes[i]);
		g_unlink(a); g_unlink(b); g_unlink(c);
		g_free(a); g_free(b); g_free(c);
	}
}

static int has_string(const hwd_reader *r, const char *s)
{
	for (uint64_t id = 1; id <= hwd_reader_string_count(r); id++) {
		uint32_t len = 0;
		const char *p = hwd_reader_string(r, (uint32_t)id, &len);
		if (len == strlen(s) && memcmp(p, s, len) == 0)
			return 1;
	}
	return 0;
}

/* The demo must look like a Go heap: named types of the right kinds, labelled edges, stack
 * roots in frames of live goroutines, and the metadata a Go dumper writes. */
static void test_cachedag_content(void **state)
{
	(void)state;
	char *path = generate("d.hwsnap", "cachedag", "1000", "1");
	hwd_reader *r = open_snapshot(path);

	int kinds[HWD_TYPE_KIND__COUNT] = { 0 };
	for (uint64_t id = 1; id <= hwd_reader_type_count(r); id++) {
		hwd_type t = hwd_reader_type(r, (uint32_t)id);
		assert_true(t.kind < HWD_TYPE_KIND__COUNT);
		kinds[t.kind]++;
	}
	assert_true(kinds[HWD_TYPE_MAP] && kinds[HWD_TYPE_STRUCT] && kinds[HWD_TYPE_SLICE_ARRAY] &&
		    kinds[HWD_TYPE_CLOSURE] && kinds[HWD_TYPE_STRING]);
	static const char *const names[] = {
		"main.sessionCache", "main.listeners", "main.Session", "main.Config",
		"map.group[string]*main.Session", "payload", "map value", "map key", "[*]",
		"main.(*Server).handle", "net/http.(*conn).serve",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (!has_string(r, names[i]))
			fail_msg("cachedag lacks the string %s", names[i]);

	uint64_t ng = hwd_reader_goroutine_count(r), nf = hwd_reader_frame_count(r);
	assert_true(ng >= 2);
	int stack_roots = 0;
	for (uint64_t j = 0; j < hwd_reader_root_count(r); j++) {
		hwd_root root = hwd_reader_root(r, j);
		if (root.kind != HWD_ROOT_STACK)
			continue;
		stack_roots++;
		assert_true(root.goroutine < ng && root.frame < nf);
		hwd_goroutine g = hwd_reader_goroutine(r, root.goroutine);
		assert_true(root.frame >= g.first_frame && root.frame < g.first_frame + g.nframes);
		assert_int_equal(hwd_reader_frame(r, root.frame).goroutine, root.goroutine);
	}
	assert_true(stack_roots >= 2);

	const char *s = NULL;
	uint32_t len = 0;
	uint64_t u = 0;
	assert_true(hwd_reader_meta_str(r, "producer", &s, &len));
	assert_true(len >= 5 && memcmp(s, "hwgen", 5) == 0);
	assert_true(hwd_reader_meta_str(r, "runtime", &s, &len));
	assert_true(len == 2 && memcmp(s, "go", 2) == 0);
	assert_true(hwd_reader_meta_str(r, "go.version", &s, &len));
	assert_true(hwd_reader_meta_u64(r, "pid", &u));
	assert_true(hwd_reader_meta_u64(r, "capture.time_ns", &u) && u > 0);
	assert_true(hwd_reader_meta_u64(r, "mem.heap_alloc", &u));
	uint64_t total = 0;
	for (uint32_t v = 0; v < hwd_reader_object_count(r); v++)
		total += hwd_reader_object(r, v).size;
	assert_int_equal(u, total);
	hwd_reader_close(r);
	g_unlink(path);
	g_free(path);
}

/* ---- streaming ------------------------------------------------------------------------ */

/* Peak RSS in bytes of hwgen run with `args` (which must succeed). */
static uint64_t peak_rss_of(const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer)hwgen_path);
	for (; *args; args++)
		g_ptr_array_add(argv, (gpointer)*args);
	g_ptr_array_add(argv, NULL);
	GPid pid;
	GError *error = NULL;
	if (!g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error))
		fail_msg("cannot run %s: %s", hwgen_path, error->message);
	g_ptr_array_free(argv, TRUE);
	int status;
	struct rusage ru;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return (uint64_t)ru.ru_maxrss * 1024;
}

/* hwgen must not hold the graph: ten times the objects and edges (1M objects, 3M edges: 72 MB
 * of records) may not cost more than a few MB more (writer chunks and tables are bounded).
 * Compared against a run ten times smaller so that the sanitizers' fixed cost cancels out. */
static void test_streaming(void **state)
{
	(void)state;
	char *path = g_build_filename(tmp_dir, "big.hwsnap", NULL);
	const char *small[] = { "-n", "100k", "-e", "300k", "-o", path, NULL };
	const char *big[] = { "-n", "1M", "-e", "3M", "-o", path, NULL };
	uint64_t rss_small = peak_rss_of(small);
	uint64_t rss_big = peak_rss_of(big);
	if (rss_big > rss_small + 16ull * 1024 * 1024)
		fail_msg("peak RSS grew from %llu to %llu bytes for 10x the graph",
			 (unsigned long long)rss_small, (unsigned long long)rss_big);
	g_unlink(path);
	g_free(path);
}

/* ---- the command line ----------------------------------------------------------------- */

static void test_usage_errors(void **state)
{
	(void)state;
	char *out = g_build_filename(tmp_dir, "never.hwsnap", NULL);
	static const struct {
		const char *args[8];   /* NULL-terminated; "-o FILE" is appended */
		const char *says;
	} bad[] = {
		{ { "-s", "tree" }, "unknown shape 'tree'" },
		{ { "-n", "0" }, "--objects must be at least 1" },
		{ { "-n", "-5" }, "--objects wants a count" },
		{ { "-n", "12x" }, "--objects wants a count" },
		{ { "-n", "99999999999999999999" }, "--objects wants a count" },
		{ { "-n", "5G" }, "at most 4294967294" },
		{ { "-s", "chain", "-e", "10" }, "--edges applies to --shape random only" },
		{ { "-s", "cachedag", "--roots", "3" }, "--roots applies to --shape random only" },
		{ { "-s", "cachedag", "-n", "63" }, "at least 64" },
		{ { "-r", "0" }, "--roots must be at least 1" },
		{ { "-e", "2000G" }, "--edges must be at most" },
		{ { "--seed", "x" }, "--seed wants" },
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "stray" }, "unexpected argument 'stray'" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *a[10];
		int k = 0;
		for (; bad[i].args[k]; k++)
			a[k] = bad[i].args[k];
		a[k++] = "-o";
		a[k++] = out;
		a[k] = NULL;
		char *err = NULL;
		int rc = run_hwgenv(&err, a);
		if (rc != 2 || !strstr(err, bad[i].says))
			fail_msg("case %zu: exit %d, stderr '%s', wanted 2 and '%s'", i, rc, err, bad[i].says);
		g_free(err);
		assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
	}
	char *err = NULL;
	assert_int_equal(run_hwgen(&err, "-n", "10", NULL), 2);
	assert_non_null(strstr(err, "no output file"));
	g_free(err);
	/* A write that cannot happen fails with status 1 and names the path. */
	assert_int_equal(run_hwgen(&err, "-o", "/nonexistent-dir/x.hwsnap", NULL), 1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.hwsnap"));
	g_free(err);
	g_free(out);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-HWGEN\n", argv[0]);
		return 2;
	}
	hwgen_path = argv[1];
	tmp_dir = g_dir_make_tmp("test-hwgen-XXXXXX", NULL);
	assert_non_null(tmp_dir);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_fanout),
		cmocka_unit_test(test_cachedag),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_cachedag_content),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_usage_errors),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return failed;
}
