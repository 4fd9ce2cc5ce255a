/* watch.c - `heapwalk watch --pid PID [options] -o DIR`: the same captures as `run`, for a
 * process that is already running.
 *
 * Follows PID and its descendants until PID is gone, or until heapwalk gets SIGINT, SIGTERM
 * or SIGHUP (the watched process is left running, untraced). Then prints the snapshots and
 * the findings, like run. Exit status 0 when the watch went as asked.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "commands.h"
#include "exit.h"
#include "run.h"

int hw_cmd_watch(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd };
	g_auto(hw_watch_cli) wc;
	gint pid = 0;
	int status;

	hw_watch_cli_init(&wc, "heapwalk watch", &pid);
	if (!hw_cli_parse(&cli, wc.entries,
	                  "Watches a running process and its descendants until it exits or heapwalk is\n"
	                  "interrupted; captures as `heapwalk run` does (see its --help).\n"
	                  "Example:\n  heapwalk watch --pid 1234 --every 1m -o /var/tmp/snaps\n",
	                  0, &argc, &argv, &status))
		return status;
	if (pid <= 0)
		return hw_cli_usage(&cli, "--pid PID is required");
	if (!hw_watch_cli_check(&cli, &wc, &status))
		return status;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return hw_cli_usage(&cli, "no process %d", pid);

	g_autoptr(GError) error = NULL;
	g_autoptr(hw_outdir) out = hw_outdir_open(wc.output, wc.max_bytes_v, (guint)wc.max_dumps, &error);
	if (!out)
		return hw_cli_fail(&cli, error);
	sigset_t set, old;
	hw_watcher_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	g_autoptr(hw_watcher) w = hw_watcher_new(&wc.opt, out, (pid_t)pid, 0);
	int st;
	gboolean ok = hw_watcher_run(w, &st, &error);
	if (ok)
		hw_watch_summary(&cli, w);
	g_clear_pointer(&w, hw_watcher_free);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok ? HW_EXIT_OK : hw_cli_fail(&cli, error);
}
