/* dump.c - `heapwalk dump (--pid PID | --core CORE [--exe EXE]) [--debug-file FILE] -o FILE`: take a snapshot.
 *
 * A thin front to hw_capture_run() (capture.h): checks the options, runs the capture and
 * reports what it did on stderr: the pause the target saw, retries, and a warning when the
 * stop caught the runtime mid-update. The snapshot goes to FILE ("-" for stdout), its chunks
 * zstd-compressed unless --no-compress.
 */
#include <inttypes.h>
#include <stdio.h>

#include "capture.h"
#include "goruntime/layout.h"
#include "hwd.h"
#include "commands.h"
#include "exit.h"
#include "options.h"

int hw_cmd_dump(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd };
	gint pid = 0, retries = 5;
	gboolean no_compress = FALSE;
	g_autofree char *core = NULL, *exe = NULL, *output = NULL, *debug_file = NULL;
	const GOptionEntry entries[] = {
		{ "pid", 'p', 0, G_OPTION_ARG_INT, &pid, "stop and dump the live process PID", "PID" },
		{ "core", 0, 0, G_OPTION_ARG_FILENAME, &core, "dump from an ELF core file", "CORE" },
		{ "exe", 0, 0, G_OPTION_ARG_FILENAME, &exe, "the core's executable (default: from the core)", "EXE" },
		{ "debug-file", 0, 0, G_OPTION_ARG_FILENAME, &debug_file,
		  "read DWARF from FILE, the same build with debug info (e.g. before strip)", "FILE" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write the snapshot to FILE (- for stdout)", "FILE" },
		{ "retries", 0, 0, G_OPTION_ARG_INT, &retries,
		  "re-stops allowed when the runtime is caught mid-update (default 5)", "N" },
		{ "no-compress", 0, 0, G_OPTION_ARG_NONE, &no_compress,
		  "store the snapshot's chunks uncompressed (default: zstd, format 1.1)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	int status;

	if (!hw_cli_parse(&cli, entries,
	                  "The target is stopped only while its heap metadata, stacks and pointer-bearing\n"
	                  "memory are copied; the pause is printed and recorded in the snapshot.\n"
	                  "Examples:\n  heapwalk dump --pid 1234 -o app.hwd\n"
	                  "  heapwalk dump --core core.1234 --exe ./app -o app.hwd\n",
	                  0, &argc, &argv, &status))
		return status;
	if ((pid > 0) == (core != NULL))
		return hw_cli_usage(&cli, "give exactly one of --pid and --core");
	if (pid < 0)
		return hw_cli_usage(&cli, "--pid must be a process id");
	if (exe && !core)
		return hw_cli_usage(&cli, "--exe goes with --core (a live process names its own executable)");
	if (!output)
		return hw_cli_usage(&cli, "--output (-o) is required");
	if (!hw_cli_check_min(&cli, "--retries", retries, 0, &status))
		return status;

	hw_capture_options opt = { .pid = (pid_t)pid, .core = core, .exe = exe, .debug_file = debug_file,
	                           .output = output,
	                           .max_retries = (unsigned)retries,
	                           .compress_level = no_compress ? 0 : HWD_COMPRESS_DEFAULT };
	hw_capture_result res;
	g_autoptr(GError) error = NULL;
	gboolean ok = hw_capture_run(&opt, &res, &error);
	if (res.warning)
		fprintf(stderr, "heapwalk dump: warning: %s (after %u retries); the snapshot may be inexact "
		        "around those objects\n", res.warning, res.retries);
	g_free(res.warning);
	if (!ok)
		return hw_cli_fail(&cli, error);
	if (res.no_dwarf)
		fprintf(stderr, "heapwalk dump: note: the executable has no DWARF (built with -ldflags=-w, as go "
		        "test and go run do, or stripped); the runtime's layouts come from heapwalk's %s table and "
		        "its globals from the symbol table. Missing: %s. For full types rebuild without -w, or "
		        "pass the unstripped build with --debug-file.\n", res.no_dwarf, GR_NO_DWARF_MISSING);
	if (!core)
		fprintf(stderr, "heapwalk dump: paused the target for %.3f ms (%u retries)\n",
		        res.pause_ns / 1e6, res.retries);
	fprintf(stderr, "heapwalk dump: %" PRIu64 " objects (%" PRIu64 " bytes), %" PRIu64 " edges, %"
	        PRIu64 " roots, %" PRIu64 " goroutines -> %s\n", res.objects, res.object_bytes, res.edges,
	        res.roots, res.goroutines, output);
	return HW_EXIT_OK;
}
