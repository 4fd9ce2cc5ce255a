/* test-dump-e2e.c - `heapwalk dump` against a real Go program, live and from a core.
 *
 * Builds testdata/heapprog with the Go toolchain (the test fails without go >= 1.22), runs
 * it, and reads the runtime.MemStats it prints after runtime.GC(): HeapObjects (allocated
 * slots, a tiny-allocator block counting once) and HeapAlloc (their slot sizes: for small
 * objects the size class, malloc header included; for large ones npages*8192; see
 * runtime/mstats.go readmemstats_m). A dump taken while it blocks must hold exactly that many
 * objects and bytes. The program's known structure (a 1000-node list in main.keep, a large
 * []*Node of 10000 copies of one pointer, a Big struct with an on-demand GC mask, goroutines
 * blocked on a channel, a finalizer, a weak pointer) is checked in the graph. The target must still be running
 * afterwards; then gcore writes a core and the same checks run on `dump --core`. All of it
 * twice: a default build and a PIE (-buildmode=pie, relocated tables and type descriptors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwd.h"

static char *tmpdir;
static char *prog;
static GPid pid;
static int stdin_fd = -1;
static uint64_t ms_objects, ms_alloc;

static char *run(const char *const *argv, int *status)
{
	char *out = NULL, *err = NULL;
	GError *e = NULL;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, status, &e))
		fail_msg("cannot run %s: %s", argv[0], e->message);
	fprintf(stderr, "%s: %s%s", argv[0], out, err);
	g_free(out);
	return err;
}

static void build_and_start(const char *buildflags)
{
	const char *go = g_getenv("GO");
	const char *src = g_getenv("HEAPPROG_SRC");
	if (!go || !*go || !g_file_test(go, G_FILE_TEST_IS_EXECUTABLE))
		fail_msg("the Go toolchain (go >= 1.22) is required: set GO (meson found none)");
	assert_non_null(src);
	tmpdir = g_dir_make_tmp("hw-goruntime-XXXXXX", NULL);
	prog = g_build_filename(tmpdir, "heapprog", NULL);
	char *cmd = g_strdup_printf("cd '%s' && GOTOOLCHAIN=local GOFLAGS=-mod=mod '%s' build %s -o '%s' .", src, go,
	                            buildflags, prog);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int status;
	g_free(run(argv, &status));
	g_free(cmd);
	assert_true(g_spawn_check_wait_status(status, NULL));

	const char *pargv[] = { prog, NULL };
	int out_fd;
	GError *e = NULL;
	assert_true(g_spawn_async_with_pipes(NULL, (char **)pargv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
	                                     &pid, &stdin_fd, &out_fd, NULL, &e));
	FILE *f = fdopen(out_fd, "r");
	char line[256];
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	unsigned long long o, a;
	assert_int_equal(sscanf(line, "heap_objects=%llu heap_alloc=%llu", &o, &a), 2);
	ms_objects = o;
	ms_alloc = a;
	fprintf(stderr, "target %d: MemStats HeapObjects=%llu HeapAlloc=%llu\n", (int)pid, o, a);
}

/* The state letter of /proc/PID/stat ('S' sleeping, 't' traced-stopped, ...). */
static char proc_state(GPid p)
{
	char *path = g_strdup_printf("/proc/%d/stat", (int)p), *s = NULL;
	char st = '?';
	if (g_file_get_contents(path, &s, NULL, NULL)) {
		char *rp = strrchr(s, ')');
		if (rp && rp[1] == ' ')
			st = rp[2];
	}
	g_free(path);
	g_free(s);
	return st;
}

static const char *str(hwd_reader *r, uint32_t id, char *buf, size_t len)
{
	uint32_t n;
	const char *s = hwd_reader_string(r, id, &n);
	g_snprintf(buf, len, "%.*s", (int)n, s);
	return buf;
}

static void check_snapshot(const char *path)
{
	hwd_reader *r;
	hwd_error he;
	assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &r, &he), 0);
	uint64_t n = hwd_reader_object_count(r), bytes = 0;
	for (uint32_t i = 0; i < n; i++) {
		hwd_object o = hwd_reader_object(r, i);
		bytes += o.size + ((o.flags & HWD_OBJ_HAS_HEADER) ? 8 : 0);
	}
	fprintf(stderr, "%s: %" G_GUINT64_FORMAT " objects, %" G_GUINT64_FORMAT " bytes\n", path, n, bytes);
	assert_int_equal(n, ms_objects);
	assert_int_equal(bytes, ms_alloc);
	/* The target was idle (blocked in read): nothing was caught inside mallocgc. */
	uint64_t incomplete = 1;
	assert_true(hwd_reader_meta_u64(r, "walk.incomplete_objects", &incomplete));
	assert_int_equal(incomplete, 0);
	/* Every small span's nelems agrees with mheap.initSpan's formula for this runtime. */
	uint64_t odd = 1;
	assert_true(hwd_reader_meta_u64(r, "walk.spans_unexpected_nelems", &odd));
	assert_int_equal(odd, 0);

	char buf[256];
	/* Edges by source. */
	uint64_t ne = hwd_reader_edge_count(r);
	uint32_t *first = g_new0(uint32_t, n + 1), *cnt = g_new0(uint32_t, n + 1);
	for (uint64_t k = ne; k-- > 0;) {
		hwd_edge e = hwd_reader_edge(r, k);
		first[e.from] = (uint32_t)k;
		cnt[e.from]++;
	}
	/* main.keep roots the list: follow offset-0 edges (Node.Next). */
	uint32_t head = HWD_NONE;
	for (uint64_t k = 0; k < hwd_reader_root_count(r); k++) {
		hwd_root rt = hwd_reader_root(r, k);
		if (rt.kind == HWD_ROOT_GLOBAL && strcmp(str(r, rt.name, buf, sizeof buf), "main.keep") == 0)
			head = rt.object;
	}
	assert_int_not_equal(head, HWD_NONE);
	uint32_t len = 0;
	for (uint32_t cur = head; cur != HWD_NONE && len < 5000; len++) {
		uint32_t next = HWD_NONE;
		for (uint32_t j = 0; j < cnt[cur]; j++) {
			hwd_edge e = hwd_reader_edge(r, first[cur] + j);
			if (hwd_edge_offset_of(&e) == 0)
				next = e.to;
		}
		cur = next;
	}
	assert_int_equal(len, 1000);

	/* The large []*Node (80000 B; its largeType is *main.Node, and the slice field keep.large
	 * makes it []*main.Node): 10000 edges, all to the list head. */
	/* main.Big: its on-demand mask puts A[19999] at offset 159992. */
	int found_large = 0, found_big = 0, found_mid = 0;
	for (uint32_t i = 0; i < n; i++) {
		hwd_object o = hwd_reader_object(r, i);
		if (!o.type)
			continue;
		hwd_type t = hwd_reader_type(r, o.type);
		str(r, t.name, buf, sizeof buf);
		if (strcmp(buf, "[]*main.Node") == 0 && o.size >= 80000) {
			found_large++;
			assert_int_equal(cnt[i], 10000);
			for (uint32_t j = 0; j < cnt[i]; j++)
				assert_int_equal(hwd_reader_edge(r, first[i] + j).to, head);
		} else if (strcmp(buf, "main.Big") == 0) {
			found_big++;
			assert_int_equal(cnt[i], 1);
			hwd_edge e = hwd_reader_edge(r, first[i]);
			assert_int_equal(hwd_edge_offset_of(&e), 19999 * 8);
			assert_int_equal(e.to, head);
		} else if (strcmp(buf, "main.Mid") == 0) {
			found_mid++;
			assert_true(o.flags & HWD_OBJ_HAS_HEADER);
			assert_int_equal(cnt[i], 1);
			hwd_edge e = hwd_reader_edge(r, first[i]);
			assert_int_equal(hwd_edge_offset_of(&e), 3 * 8);
		}
	}
	assert_int_equal(found_large, 1);
	assert_int_equal(found_big, 1);
	assert_int_equal(found_mid, 10);

	/* Goroutines: three blocked on the channel, created by main.main; main in a syscall. */
	int chan = 0, main_sys = 0, fin_roots = 0;
	for (uint32_t gi = 0; gi < hwd_reader_goroutine_count(r); gi++) {
		hwd_goroutine g = hwd_reader_goroutine(r, gi);
		if (strcmp(str(r, g.wait_reason, buf, sizeof buf), "chan receive") == 0) {
			assert_string_equal(str(r, g.creator_func, buf, sizeof buf), "main.main");
			chan++;
		}
		if (g.id == 1) {
			assert_string_equal(str(r, g.state, buf, sizeof buf), "syscall");
			for (uint32_t f = 0; f < g.nframes; f++)
				main_sys += strcmp(str(r, hwd_reader_frame(r, g.first_frame + f).func, buf, sizeof buf),
				                   "main.main") == 0;
		}
	}
	assert_int_equal(chan, 3);
	assert_int_equal(main_sys, 1);
	int weak_roots = 0;
	for (uint64_t k = 0; k < hwd_reader_root_count(r); k++) {
		hwd_root rt = hwd_reader_root(r, k);
		fin_roots += rt.kind == HWD_ROOT_FINALIZER;
		weak_roots += rt.kind == HWD_ROOT_OTHER &&
		              strcmp(str(r, rt.name, buf, sizeof buf), "weak pointer handle") == 0;
	}
	/* The finalized object's referent (the list head) and the cleanup's argument. */
	assert_true(fin_roots >= 2);
	assert_int_equal(weak_roots, 1);
	g_free(first);
	g_free(cnt);
	hwd_reader_close(r);
}

static void live_then_core(const char *buildflags)
{
	build_and_start(buildflags);
	const char *hw = g_getenv("HEAPWALK");
	assert_non_null(hw);
	char *snap = g_build_filename(tmpdir, "live.hwd", NULL);
	char *pids = g_strdup_printf("%d", (int)pid);
	const char *argv[] = { hw, "dump", "--pid", pids, "-o", snap, NULL };
	int status;
	g_free(run(argv, &status));
	assert_true(g_spawn_check_wait_status(status, NULL));
	/* The target runs on: not stopped, not traced. */
	char st = proc_state(pid);
	assert_true(st == 'S' || st == 'R');
	check_snapshot(snap);

	char *core_prefix = g_build_filename(tmpdir, "core", NULL);
	const char *gargv[] = { "gcore", "-o", core_prefix, pids, NULL };
	g_free(run(gargv, &status));
	assert_true(g_spawn_check_wait_status(status, NULL));
	st = proc_state(pid);
	assert_true(st == 'S' || st == 'R');
	char *core = g_strdup_printf("%s.%d", core_prefix, (int)pid);
	char *csnap = g_build_filename(tmpdir, "core.hwd", NULL);
	const char *cargv[] = { hw, "dump", "--core", core, "--exe", prog, "-o", csnap, NULL };
	g_free(run(cargv, &status));
	assert_true(g_spawn_check_wait_status(status, NULL));
	check_snapshot(csnap);

	/* Closing stdin ends the program normally: it was never harmed. */
	close(stdin_fd);
	int wst;
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	pid = 0;
	g_unlink(snap);
	g_unlink(csnap);
	g_unlink(core);
	g_unlink(prog);
	g_rmdir(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
	g_clear_pointer(&prog, g_free);
	g_free(snap);
	g_free(csnap);
	g_free(core);
	g_free(core_prefix);
	g_free(pids);
}

static void test_default(void **state)
{
	(void)state;
	live_then_core("");
}

/* A position-independent executable: everything the dumper reads is relocated. */
static void test_pie(void **state)
{
	(void)state;
	live_then_core("-buildmode=pie");
}

static int teardown(void **state)
{
	(void)state;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_default, teardown),
		cmocka_unit_test_teardown(test_pie, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
