/* test-watch-units.c - the parts of automatic capture that need no Go process.
 *
 * The cgroup meters read fake v1 and v2 hierarchies built in a temporary directory (a fake
 * /proc with mountinfo and PID/cgroup pointing into them), so that both versions are
 * checked on any machine; the expected readings are the numbers written into the files.
 * The output directory is checked by counting the files on disk after each commit, and the
 * descendant follower against the kernel's own list of children (/proc/PID/task/TID/children).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watch/headroom.h"
#include "watch/memwatch.h"
#include "watch/outdir.h"
#include "watch/procfollow.h"

static void put(const char *root, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(root, rel, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void rm_tree(const char *path)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* A fake machine: cgroup2 at T/unified, v1 memory at T/memory (mounted from `v1root`). */
static char *fake_machine(const char *cgroup_file, const char *v1root)
{
	char *t = g_dir_make_tmp("hw-watch-XXXXXX", NULL);
	g_autofree char *mi = g_strdup_printf(
		"30 25 0:26 / %s/unified rw,nosuid - cgroup2 cgroup2 rw\n"
		"31 25 0:27 %s %s/memory rw,nosuid shared:9 - cgroup cgroup rw,memory\n"
		"32 25 0:28 / %s/cpu rw - cgroup cgroup rw,cpu\n", t, v1root, t, t);
	put(t, "proc/self/mountinfo", mi);
	put(t, "proc/42/cgroup", cgroup_file);
	put(t, "proc/42/statm", "1000 300 20 1 0 50 0\n");
	put(t, "proc/meminfo", "MemTotal:       16318412 kB\nMemFree:  1 kB\n");
	return t;
}

static void test_rss_and_total(void **state)
{
	(void)state;
	g_autofree char *t = fake_machine("0::/\n", "/");
	g_autofree char *proc = g_build_filename(t, "proc", NULL);
	guint64 rss;
	assert_true(hw_memwatch_rss(proc, 42, &rss));
	assert_int_equal(rss, 300 * (guint64)sysconf(_SC_PAGESIZE));
	assert_false(hw_memwatch_rss(proc, 43, &rss));
	assert_int_equal(hw_memwatch_mem_total(proc), 16318412ull * 1024);
	rm_tree(t);
}

/* v2: the limit is on the parent; the process's own cgroup has none. */
static void test_cgroup_v2_ancestor_limit(void **state)
{
	(void)state;
	g_autofree char *t = fake_machine("0::/app/worker\n", "/");
	g_autofree char *proc = g_build_filename(t, "proc", NULL);
	put(t, "unified/app/worker/memory.current", "1000\n");
	put(t, "unified/app/worker/memory.max", "max\n");
	put(t, "unified/app/worker/memory.high", "max\n");
	put(t, "unified/app/memory.current", "3000\n");
	put(t, "unified/app/memory.max", "4000\n");
	put(t, "unified/app/memory.high", "10000\n");
	g_auto(hw_cgroup_mem) cg = { 0 };
	assert_true(hw_cgroup_mem_find(proc, 42, &cg));
	assert_int_equal(cg.version, HW_CGROUP_V2);
	g_autofree char *want = g_strdup_printf("%s/unified/app/worker", t);
	assert_string_equal(cg.dir, want);
	hw_cgroup_reading r;
	assert_true(hw_cgroup_mem_read(&cg, &r));
	assert_int_equal(r.usage, 3000);
	assert_int_equal(r.limit, 4000);
	assert_string_equal(r.limit_name, "memory.max");
	g_autofree char *level = g_strdup_printf("%s/unified/app", t);
	assert_string_equal(r.dir, level);
	g_free(r.dir);
	rm_tree(t);
}

/* v2 memory.high closer than memory.max. */
static void test_cgroup_v2_high(void **state)
{
	(void)state;
	g_autofree char *t = fake_machine("0::/svc\n", "/");
	g_autofree char *proc = g_build_filename(t, "proc", NULL);
	put(t, "unified/svc/memory.current", "900\n");
	put(t, "unified/svc/memory.max", "2000\n");
	put(t, "unified/svc/memory.high", "1000\n");
	g_auto(hw_cgroup_mem) cg = { 0 };
	assert_true(hw_cgroup_mem_find(proc, 42, &cg));
	hw_cgroup_reading r;
	assert_true(hw_cgroup_mem_read(&cg, &r));
	assert_int_equal(r.limit, 1000);
	assert_string_equal(r.limit_name, "memory.high");
	g_free(r.dir);
	rm_tree(t);
}

/* Hybrid: the unified hierarchy has no memory controller (no memory.current): v1 is used;
 * its unlimited value is a huge number; the soft limit counts. */
static void test_cgroup_v1_hybrid(void **state)
{
	(void)state;
	g_autofree char *t = fake_machine("5:cpu:/\n4:memory:/jobs/a\n0::/jobs/a\n", "/");
	g_autofree char *proc = g_build_filename(t, "proc", NULL);
	put(t, "unified/jobs/a/cgroup.procs", "42\n");
	put(t, "memory/jobs/a/memory.usage_in_bytes", "500\n");
	put(t, "memory/jobs/a/memory.limit_in_bytes", "9223372036854771712\n");
	put(t, "memory/jobs/a/memory.soft_limit_in_bytes", "800\n");
	put(t, "memory/jobs/memory.usage_in_bytes", "700\n");
	put(t, "memory/jobs/memory.limit_in_bytes", "2000\n");
	put(t, "memory/jobs/memory.soft_limit_in_bytes", "9223372036854771712\n");
	g_auto(hw_cgroup_mem) cg = { 0 };
	assert_true(hw_cgroup_mem_find(proc, 42, &cg));
	assert_int_equal(cg.version, HW_CGROUP_V1);
	hw_cgroup_reading r;
	assert_true(hw_cgroup_mem_read(&cg, &r));
	assert_int_equal(r.usage, 500);
	assert_int_equal(r.limit, 800);
	assert_string_equal(r.limit_name, "memory.soft_limit_in_bytes");
	g_free(r.dir);
	rm_tree(t);
}

/* A container's view: the v1 mount shows only /docker/abc, mounted at T/memory. */
static void test_cgroup_v1_mount_root(void **state)
{
	(void)state;
	g_autofree char *t = fake_machine("4:memory:/docker/abc/sub\n", "/docker/abc");
	g_autofree char *proc = g_build_filename(t, "proc", NULL);
	put(t, "memory/sub/memory.usage_in_bytes", "10\n");
	put(t, "memory/sub/memory.limit_in_bytes", "100\n");
	g_auto(hw_cgroup_mem) cg = { 0 };
	assert_true(hw_cgroup_mem_find(proc, 42, &cg));
	g_autofree char *want = g_strdup_printf("%s/memory/sub", t);
	assert_string_equal(cg.dir, want);
	hw_cgroup_reading r;
	assert_true(hw_cgroup_mem_read(&cg, &r));
	assert_int_equal(r.limit, 100);
	g_free(r.dir);
	hw_cgroup_mem_clear(&cg);
	/* A cgroup outside the mount's root is not readable from here. */
	put(t, "proc/42/cgroup", "4:memory:/other\n");
	assert_false(hw_cgroup_mem_find(proc, 42, &cg));
	rm_tree(t);
}

/* The trigger when heapwalk may share the target's cgroup (headroom.h). Every case: a 256 MiB
 * limit, RssAnon 80 MiB, so a capture of a process that does not grow costs
 * 80 + 10 + 10 + 32 = 132 MiB by the rule in docs/capture-systemd.md, and --at 80
 * (204.8 MiB). */
#define MIB (G_GUINT64_CONSTANT(1) << 20)

static hw_trigger headroom_at(const char *t, guint64 usage_mib, guint64 growth, guint64 *cost)
{
	g_autofree char *proc = g_build_filename(t, "proc", NULL);
	g_auto(hw_cgroup_mem) cg = { 0 };
	g_auto(hw_cgroup_mem) self = { 0 };
	assert_true(hw_cgroup_mem_find(proc, 42, &cg));
	hw_cgroup_mem_find_self(proc, &self);
	const char *usage_file = cg.version == HW_CGROUP_V2 ? "memory.current" : "memory.usage_in_bytes";
	g_autofree char *level = g_path_get_dirname(cg.dir);   /* the limit is on the parent */
	g_autofree char *path = g_build_filename(level, usage_file, NULL);
	g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT "\n", usage_mib * MIB);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	hw_cgroup_reading r;
	hw_trigger tr;
	assert_true(hw_headroom_read(proc, 42, &cg, &self, 0.80, growth, &r, cost, &tr));
	assert_int_equal(r.limit, 256 * MIB);
	assert_string_equal(r.dir, level);
	g_free(r.dir);
	return tr;
}

/* Writes a v2 (v1 = FALSE) or v1 tree: the target in /svc/app, the 256 MiB limit on /svc,
 * heapwalk in `self_path`. */
static char *headroom_machine(gboolean v1, const char *self_path)
{
	g_autofree char *cgfile = g_strdup_printf(v1 ? "4:memory:%s\n" : "0::%s\n", "/svc/app");
	g_autofree char *selffile = g_strdup_printf(v1 ? "4:memory:%s\n" : "0::%s\n", self_path);
	char *t = fake_machine(cgfile, "/");
	put(t, "proc/self/cgroup", selffile);
	put(t, "proc/42/status", "Name:\tapp\nVmRSS:\t 90000 kB\nRssAnon:\t   81920 kB\nRssFile:\t 8080 kB\n");
	const char *base = v1 ? "memory" : "unified";
	const char *usage = v1 ? "memory.usage_in_bytes" : "memory.current";
	const char *limit = v1 ? "memory.limit_in_bytes" : "memory.max";
	const char *none = v1 ? "9223372036854771712\n" : "max\n";
	g_autofree char *app = g_strdup_printf("%s/svc/app/", base), *svc = g_strdup_printf("%s/svc/", base);
	g_autofree char *a_usage = g_strconcat(app, usage, NULL), *a_limit = g_strconcat(app, limit, NULL);
	g_autofree char *s_limit = g_strconcat(svc, limit, NULL);
	g_autofree char *s_usage = g_strdup_printf("%s%s/%s", base, self_path, usage);
	put(t, s_usage, "1\n");   /* heapwalk's own cgroup, as the kernel shows it */
	put(t, a_usage, "1\n");
	put(t, a_limit, none);
	put(t, s_limit, "268435456\n");
	return t;
}

static void check_headroom(gboolean v1)
{
	guint64 cost;
	/* Shared, heapwalk in the target's own cgroup: 100 + 132 < 256 waits; 125 + 132 >= 256
	 * captures (at 49%, far below --at); 210 is past --at, which wins. */
	g_autofree char *t = headroom_machine(v1, "/svc/app");
	assert_int_equal(headroom_at(t, 100, 0, &cost), HW_TRIGGER_NONE);
	assert_int_equal(cost, 132 * MIB);
	assert_int_equal(headroom_at(t, 123, 0, &cost), HW_TRIGGER_NONE);
	assert_int_equal(headroom_at(t, 124, 0, &cost), HW_TRIGGER_ROOM);
	assert_int_equal(headroom_at(t, 210, 0, &cost), HW_TRIGGER_AT);
	/* Growing 8 MiB/s: 16 MiB more by the stop, in the process and in the copy of its heap
	 * (96 MiB): 16 + 96 + 12 + 12 + 32 = 168 MiB; 88 + 168 = 256. */
	assert_int_equal(headroom_at(t, 87, 8 * MIB, &cost), HW_TRIGGER_NONE);
	assert_int_equal(cost, 168 * MIB);
	assert_int_equal(headroom_at(t, 88, 8 * MIB, &cost), HW_TRIGGER_ROOM);
	rm_tree(t);
	/* Shared through the limiting level: heapwalk in a sibling under /svc. */
	g_autofree char *t2 = headroom_machine(v1, "/svc/heapwalk");
	assert_int_equal(headroom_at(t2, 124, 0, &cost), HW_TRIGGER_ROOM);
	assert_int_equal(cost, 132 * MIB);
	rm_tree(t2);
	/* Not shared: heapwalk outside /svc (and /svcx is not under /svc): only --at. */
	const char *outside[] = { "/", "/other", "/svcx" };
	for (guint i = 0; i < G_N_ELEMENTS(outside); i++) {
		g_autofree char *t3 = headroom_machine(v1, outside[i]);
		assert_int_equal(headroom_at(t3, 200, 8 * MIB, &cost), HW_TRIGGER_NONE);
		assert_int_equal(cost, 0);
		assert_int_equal(headroom_at(t3, 205, 0, &cost), HW_TRIGGER_AT);
		rm_tree(t3);
	}
}

static void test_headroom_v2(void **state)
{
	(void)state;
	check_headroom(FALSE);
}

static void test_headroom_v1(void **state)
{
	(void)state;
	check_headroom(TRUE);
}

/* A limit no capture fits under: ROOM at once, even at the smallest usage. */
static void test_headroom_too_small(void **state)
{
	(void)state;
	assert_int_equal(hw_headroom_decide(1, 100 * MIB, 0.80, hw_headroom_capture_cost(80 * MIB, 0)), HW_TRIGGER_ROOM);
	assert_int_equal(hw_headroom_decide(1, 100 * MIB, 0.80, 0), HW_TRIGGER_NONE);
}

static guint count_files(const char *dir)
{
	guint n = 0;
	GDir *d = g_dir_open(dir, 0, NULL);
	assert_non_null(d);
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

static void write_bytes(const char *path, gsize n)
{
	g_autofree char *buf = g_malloc0(n);
	assert_true(g_file_set_contents(path, buf, (gssize)n, NULL));
}

static void test_outdir_bounds(void **state)
{
	(void)state;
	g_autofree char *t = g_dir_make_tmp("hw-outdir-XXXXXX", NULL);
	g_autofree char *dir = g_build_filename(t, "snaps", NULL);
	g_autoptr(GError) error = NULL;
	/* A file from an earlier run counts, and goes first. */
	assert_int_equal(g_mkdir(dir, 0700), 0);
	g_autofree char *old = g_build_filename(dir, "old-1-001-limit.hwd", NULL);
	write_bytes(old, 100);
	g_autoptr(hw_outdir) d = hw_outdir_open(dir, 250, 3, &error);
	assert_non_null(d);
	assert_int_equal(hw_outdir_bytes(d), 100);
	char *paths[3];
	for (int i = 0; i < 3; i++) {
		assert_true(hw_outdir_may_capture(d));
		paths[i] = hw_outdir_next(d, "my app", 7, "every", "hwd");
		write_bytes(paths[i], 100);
		g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
		assert_true(hw_outdir_commit(d, paths[i], removed));
		assert_true(hw_outdir_bytes(d) <= 250);
		assert_int_equal(count_files(dir), 2);
		if (i == 1) {
			assert_int_equal(removed->len, 1);
			assert_string_equal(g_ptr_array_index(removed, 0), old);
		}
	}
	g_autofree char *base = g_path_get_basename(paths[0]);
	assert_string_equal(base, "my_app-7-001-every.hwd");
	assert_false(g_file_test(paths[0], G_FILE_TEST_EXISTS));
	assert_true(g_file_test(paths[2], G_FILE_TEST_EXISTS));
	assert_false(hw_outdir_may_capture(d));   /* max_dumps 3 */
	/* A file alone larger than the bound is removed. */
	g_autoptr(hw_outdir) small = hw_outdir_open(dir, 50, 0, &error);
	g_autofree char *big = hw_outdir_next(small, "x", 1, "limit", "hwd");
	write_bytes(big, 100);
	assert_false(hw_outdir_commit(small, big, NULL));
	assert_false(g_file_test(big, G_FILE_TEST_EXISTS));
	for (int i = 0; i < 3; i++)
		g_free(paths[i]);
	rm_tree(t);
}

static void test_parse_ppid(void **state)
{
	(void)state;
	pid_t pp;
	assert_true(hw_procfollow_parse_ppid("12 (we (ird) ) name) S 34 12 12 0", &pp));
	assert_int_equal(pp, 34);
	assert_false(hw_procfollow_parse_ppid("12 (no close S 34", &pp));
	assert_false(hw_procfollow_parse_ppid("12 (x) S", &pp));
}

/* The kernel's list of pid's children (all threads), the oracle for the follower. */
static void kernel_children(pid_t pid, GHashTable *out)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_strdup_printf("%s/%s/children", dir, name);
		g_autofree char *text = NULL;
		if (!g_file_get_contents(path, &text, NULL, NULL))
			continue;
		g_auto(GStrv) f = g_strsplit(g_strstrip(text), " ", -1);
		for (char **p = f; *p; p++)
			if (**p) {
				pid_t c = atoi(*p);
				g_hash_table_add(out, GINT_TO_POINTER(c));
				kernel_children(c, out);
			}
	}
	g_dir_close(d);
}

static void test_follow_tree(void **state)
{
	(void)state;
	/* sh starts two grandchildren (sleep) and a sub-shell with one more. */
	const char *argv[] = { "/bin/sh", "-c", "sleep 30 & sleep 30 & (sleep 30 & wait) & echo ready; wait", NULL };
	GPid sh;
	gint out_fd;
	g_autoptr(GError) error = NULL;
	assert_true(g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &sh,
	                                     NULL, &out_fd, NULL, &error));
	char buf[16];
	assert_true(read(out_fd, buf, sizeof buf) > 0);
	close(out_fd);
	g_autoptr(hw_procfollow) f = hw_procfollow_new(sh, "/proc");
	g_autoptr(GArray) born = g_array_new(FALSE, FALSE, sizeof(pid_t));
	/* The listing races the shell's forks: update until the kernel's list is stable and met. */
	g_autoptr(GHashTable) want = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (int round = 0; round < 100; round++) {
		hw_procfollow_update(f, born, NULL);
		g_hash_table_remove_all(want);
		kernel_children(sh, want);
		if (g_hash_table_size(want) >= 4 && born->len == g_hash_table_size(want) + 1)
			break;
		g_usleep(20000);
	}
	assert_int_equal(g_hash_table_size(want), 4);   /* 3 sleeps and the sub-shell */
	assert_int_equal(born->len, 5);
	assert_true(hw_procfollow_has(f, sh));
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, want);
	while (g_hash_table_iter_next(&it, &k, NULL))
		assert_true(hw_procfollow_has(f, GPOINTER_TO_INT(k)));
	assert_false(hw_procfollow_has(f, getpid()));
	/* Ending the tree: every process is reported gone. */
	kill(-sh, SIGKILL);
	g_hash_table_iter_init(&it, want);
	while (g_hash_table_iter_next(&it, &k, NULL))
		kill(GPOINTER_TO_INT(k), SIGKILL);
	kill(sh, SIGKILL);
	waitpid(sh, NULL, 0);
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(pid_t));
	for (int round = 0; round < 100 && gone->len < 5; round++) {
		hw_procfollow_update(f, NULL, gone);
		g_usleep(20000);
	}
	assert_int_equal(gone->len, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_and_total),
		cmocka_unit_test(test_cgroup_v2_ancestor_limit),
		cmocka_unit_test(test_cgroup_v2_high),
		cmocka_unit_test(test_cgroup_v1_hybrid),
		cmocka_unit_test(test_cgroup_v1_mount_root),
		cmocka_unit_test(test_headroom_v2),
		cmocka_unit_test(test_headroom_v1),
		cmocka_unit_test(test_headroom_too_small),
		cmocka_unit_test(test_outdir_bounds),
		cmocka_unit_test(test_parse_ppid),
		cmocka_unit_test(test_follow_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
