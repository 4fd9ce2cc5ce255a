/* test-process.c - live attach, memory reads and detach, against what the probe prints.
 *
 * Oracles: the probe's own report of &Counter and Counter; /proc/PID/stat for the stopped /
 * running state; the probe's continued output after detach; the kernel's report of our
 * scheduling policy (sched_getscheduler) for the pause's real-time class.
 */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "debuginfo/dwarfinfo.h"
#include "debuginfo/pclntab.h"
#include "goprog.h"
#include "target/process.h"

/* Starts the probe and returns its "counter_addr=..." line. */
static char *start_probe(hwt_child *c, const char *flags)
{
	hwt_child_start(c, hwt_go_build("./probe", flags), NULL);
	g_free(hwt_child_line(c));
	char *line = hwt_child_line(c);
	g_free(hwt_child_line(c));   /* tick 0: the loop is running */
	return line;
}

static hw_process *attach(pid_t pid)
{
	g_autoptr(GError) err = NULL;
	hw_process *p = hw_process_attach(pid, &err);
	if (p == NULL)
		fail_msg("%s", err->message);
	return p;
}

/* Whether this process may make itself SCHED_FIFO (what attaching does when allowed). */
static gboolean may_go_realtime(void)
{
	struct sched_param rt = { .sched_priority = sched_get_priority_min(SCHED_FIFO) }, other = { 0 };
	if (sched_setscheduler(0, SCHED_FIFO, &rt) != 0)
		return FALSE;
	assert_int_equal(sched_setscheduler(0, SCHED_OTHER, &other), 0);
	return TRUE;
}

static void test_attach_read_detach(void **state)
{
	(void)state;
	hwt_child c;
	g_autofree char *line = start_probe(&c, NULL);
	gboolean rt = may_go_realtime();
	assert_int_equal(sched_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_OTHER);
	g_autoptr(hw_process) p = attach(c.pid);
	g_autoptr(GError) err = NULL;

	assert_int_equal(hwt_proc_state(c.pid), 't');
	/* The pause runs real-time when allowed, and only the pause. */
	assert_int_equal(sched_getscheduler(0) & ~SCHED_RESET_ON_FORK, rt ? SCHED_FIFO : SCHED_OTHER);
	gsize n;
	const hw_thread *t = hw_process_threads(p, &n);
	assert_true(n >= 2);   /* Go always runs sysmon besides main */
	gboolean main_seen = FALSE;
	for (gsize i = 0; i < n; i++) {
		main_seen |= t[i].tid == c.pid;
		assert_true(t[i].regs.rip != 0 && t[i].regs.rsp != 0);
	}
	assert_true(main_seen);

	/* Memory equals what the program says about itself. */
	guint64 v;
	if (!hw_memsrc_read_u64(hw_process_memsrc(p), hwt_field(line, "counter_addr"), &v, &err))
		fail_msg("%s", err->message);
	assert_int_equal(v, hwt_field(line, "counter"));
	/* And DWARF agrees on where it is. */
	g_autoptr(hw_elf) e = hw_elf_open(hw_process_exe_open_path(p), &err);
	g_autoptr(hw_dwarf) d = hw_dwarf_load(e, &err);
	guint64 addr;
	assert_true(hw_dwarf_global(d, "main.Counter", &addr, NULL, &err));
	assert_int_equal(addr, hwt_field(line, "counter_addr"));
	assert_string_equal(hw_process_exe_path(p), hwt_go_build("./probe", NULL));

	guint64 pause = hw_process_detach(p);
	assert_true(pause > 0);
	assert_int_equal(hw_process_detach(p), pause);   /* idempotent */
	/* (The reset-on-fork flag may stay: see restore_priority().) */
	assert_int_equal(sched_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_OTHER);
	const hw_pause_stats *ps = hw_process_pause_stats(p);
	assert_int_equal(ps->realtime, rt);
	assert_true(ps->stop_ns > 0 && ps->stop_ns + ps->detach_ns <= pause);
	assert_false(hw_process_is_attached(p));
	assert_true(hwt_proc_state(c.pid) != 't');
	g_autofree char *tick = hwt_child_line(&c);      /* it runs on */
	assert_true(g_str_has_prefix(tick, "tick "));
	hwt_child_stop(&c);
}

static void test_pie_live(void **state)
{
	(void)state;
	hwt_child c;
	g_autofree char *line = start_probe(&c, "-buildmode=pie");
	g_autoptr(hw_process) p = attach(c.pid);
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_elf) e = hw_elf_open(hw_process_exe_open_path(p), &err);
	g_autoptr(hw_dwarf) d = hw_dwarf_load(e, &err);
	assert_non_null(d);
	guint64 start, off, bias, addr;
	assert_true(hw_process_exe_mapping(p, &start, &off, &err));
	assert_true(hw_elf_load_bias(e, start, off, &bias, &err));
	assert_true(bias != 0);
	assert_true(hw_dwarf_global(d, "main.Counter", &addr, NULL, &err));
	assert_int_equal(addr + bias, hwt_field(line, "counter_addr"));

	/* The pclntab from live memory finds main.main at its relocated DWARF address. */
	hw_moduledata md;
	guint64 mdaddr;
	hw_memsrc *mem = hw_process_memsrc(p);
	if (!hw_moduledata_locate(e, d, bias, &mdaddr, &err) ||
	    !hw_moduledata_read(mem, d, mdaddr, &md, &err))
		fail_msg("%s", err->message);
	g_autoptr(hw_pclntab) tab = hw_pclntab_new(mem, &md, &err);
	assert_non_null(tab);
	gsize nf;
	const hw_dwarf_func *fns = hw_dwarf_funcs(d, &nf);
	guint64 main_pc = 0;
	for (gsize i = 0; i < nf; i++)
		if (strcmp(fns[i].name, "main.main") == 0)
			main_pc = fns[i].lowpc + bias;
	assert_true(main_pc != 0);
	hw_func fn;
	assert_true(hw_pclntab_findfunc(tab, main_pc + 1, &fn, &err));
	assert_string_equal(fn.name, "main.main");
	assert_int_equal(fn.entry, main_pc);

	hw_process_detach(p);
	g_free(hwt_child_line(&c));
	hwt_child_stop(&c);
}

static void test_attach_sleep(void **state)
{
	(void)state;
	const char *argv[] = { "sleep", "100", NULL };
	GPid pid;
	assert_true(g_spawn_async(NULL, (char **)argv, NULL,
				  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
				  NULL));
	while (hwt_proc_state(pid) != 'S')
		g_usleep(10000);
	g_autoptr(hw_process) p = attach(pid);
	gsize n;
	hw_process_threads(p, &n);
	assert_int_equal(n, 1);
	hw_process_detach(p);
	assert_true(hwt_proc_state(pid) != 't');
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_sigterm_detaches(void **state)
{
	(void)state;
	hwt_child c;
	g_free(start_probe(&c, NULL)); /* only the running probe matters here, not its first line */
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t holder = fork();
	if (holder == 0) {
		g_autoptr(GError) err = NULL;
		hw_process *p = hw_process_attach(c.pid, &err);
		char ok = p ? 'A' : 'E';
		if (write(ready[1], &ok, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	char got = 0;
	assert_int_equal(read(ready[0], &got, 1), 1);
	assert_int_equal(got, 'A');
	assert_int_equal(hwt_proc_state(c.pid), 't');

	/* A second tracer is told who holds the process. */
	g_autoptr(GError) err = NULL;
	assert_null(hw_process_attach(c.pid, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_ALREADY_TRACED));

	kill(holder, SIGTERM);
	int st;
	assert_int_equal(waitpid(holder, &st, 0), holder);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	assert_true(hwt_proc_state(c.pid) != 't');
	g_autofree char *tick = hwt_child_line(&c);
	assert_true(g_str_has_prefix(tick, "tick "));
	hwt_child_stop(&c);
	close(ready[0]);
	close(ready[1]);
}

static void test_no_process(void **state)
{
	(void)state;
	g_autoptr(GError) err = NULL;
	assert_null(hw_process_attach(0x3fffffff, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS));
}

/* The kernel refuses PTRACE_SEIZE of a zombie with EPERM: that is an exit, not a permission
 * problem, and the message must say so (an OOM-killed target is caught this way). */
static void test_zombie(void **state)
{
	(void)state;
	pid_t z = fork();
	assert_true(z >= 0);
	if (z == 0)
		_exit(0);
	while (hwt_proc_state(z) != 'Z')
		g_usleep(10000);
	g_autoptr(GError) err = NULL;
	assert_null(hw_process_attach(z, &err));
	assert_true(g_error_matches(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS));
	assert_non_null(strstr(err->message, "exited (or was killed) before it could be stopped"));
	assert_null(strstr(err->message, "ptrace_scope"));
	assert_int_equal(waitpid(z, NULL, 0), z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_read_detach),
		cmocka_unit_test(test_pie_live),
		cmocka_unit_test(test_attach_sleep),
		cmocka_unit_test(test_sigterm_detaches),
		cmocka_unit_test(test_no_process),
		cmocka_unit_test(test_zombie),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
