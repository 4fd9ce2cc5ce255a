/* core-handler.c - `heapwalk core-handler -o DIR PID [COMM]`: the kernel's core pipe.
 *
 * For `kernel.core_pattern = |/usr/bin/heapwalk core-handler -o DIR %P %e`: reads the core
 * from stdin, writes a snapshot into DIR (and keeps the core with --keep-core), keeps DIR
 * under --max-bytes, and gives up after --timeout seconds whatever happens
 * (watch/corehandler.h). The kernel shows nobody its stderr, so the outcome also goes to
 * syslog. docs/capture-core-handler.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "commands.h"
#include "exit.h"
#include "run.h"
#include "watch/corehandler.h"

int hw_cmd_core_handler(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd };
	g_autofree char *output = NULL, *exe = NULL, *max_bytes = NULL;
	gboolean keep_core = FALSE;
	gint timeout = 300;
	const GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write snapshots (and kept cores) into DIR", "DIR" },
		{ "keep-core", 0, 0, G_OPTION_ARG_NONE, &keep_core, "keep the core next to the snapshot", NULL },
		{ "max-bytes", 0, 0, G_OPTION_ARG_STRING, &max_bytes, "keep DIR under SIZE, removing the oldest files (default 4G; 0: no bound)", "SIZE" },
		{ "exe", 0, 0, G_OPTION_ARG_FILENAME, &exe, "the executable (default: /proc/PID/exe)", "EXE" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "give up after this many seconds (default 300; 0: never)", "S" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	int status;
	if (!hw_cli_parse(&cli, entries,
	                  "Reads a core from stdin, as the kernel writes it to a core_pattern pipe.\n"
	                  "Example (as root):\n"
	                  "  sysctl kernel.core_pattern='|/usr/bin/heapwalk core-handler -o /var/crash/heapwalk %P %e'\n"
	                  "  heapwalk core-handler -o snaps --exe ./app 1234 app < core.1234\n",
	                  -1, &argc, &argv, &status))
		return status;
	if (!output)
		return hw_cli_usage(&cli, "--output (-o) DIR is required");
	char *end;
	long pid = strtol(argv[1], &end, 10);
	if (*end || pid <= 0 || pid > G_MAXINT32)
		return hw_cli_usage(&cli, "PID must be a process id, not '%s'", argv[1]);
	guint64 max = G_GUINT64_CONSTANT(4) << 30;
	if (max_bytes && !hw_parse_size(max_bytes, &max))
		return hw_cli_usage(&cli, "--max-bytes must be a size like 512M or 2G, not '%s'", max_bytes);
	if (!hw_cli_check_min(&cli, "--timeout", timeout, 0, &status))
		return status;
	g_autofree char *comm = argc > 2 ? g_strjoinv(" ", argv + 2) : NULL;

	hw_corehandler_options opt = { output, (pid_t)pid, comm, exe, 0, keep_core, max, (unsigned)timeout };
	g_autofree char *snapshot = NULL, *core = NULL;
	g_autoptr(GError) error = NULL;
	openlog("heapwalk", LOG_PID, LOG_USER);
	if (!hw_corehandler_run(&opt, &snapshot, &core, &error)) {
		syslog(LOG_ERR, "core-handler: pid %ld (%s): %s", pid, comm ? comm : "?", error->message);
		return hw_cli_fail(&cli, error);
	}
	syslog(LOG_INFO, "core-handler: pid %ld (%s): snapshot %s%s%s", pid, comm ? comm : "?", snapshot,
	       core ? ", core " : "", core ? core : "");
	fprintf(stderr, "heapwalk core-handler: %s%s%s\n", snapshot, core ? ", core " : "", core ? core : "");
	return HW_EXIT_OK;
}
