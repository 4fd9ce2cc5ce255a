/* report.c - `heapwalk report SNAP... -o DIR`: the nightly leak report.
 *
 * Loads the snapshots one at a time, oldest first, feeding each to the report model
 * (src/report/report.h) before releasing it, so a series of large snapshots needs the memory
 * of one. Then it runs the leak detectors over the series, compares with --baseline, applies
 * the --fail-on gate and writes DIR/report.html, report.md and report.json (each to a
 * temporary name first, so a reader never sees half a report). --pprof also writes the last
 * snapshot's retention profile (src/export/pprof.h, with `heapwalk pprof`'s defaults). The
 * threshold flags and the finding's JSON are `heapwalk leaks`'s (leaks.h); the loading loop is
 * this file's own because the report keeps more of each snapshot than the findings
 * (hw_leaks_collect keeps only the leak summary).
 * docs/report.md documents the outputs, the gate and the exit statuses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "commands.h"
#include "exit.h"
#include "export/pprof.h"
#include "heap.h"
#include "leaks.h"
#include "options.h"
#include "progress.h"
#include "report/report.h"
#include "snapshot.h"

typedef void (*writer_fn)(const hw_report *r, FILE *out);

/* Writes DIR/NAME through a temporary file renamed into place. */
static gboolean write_output(const char *dir, const char *name, writer_fn write, const hw_report *r, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	FILE *f = fopen(tmp, "w");
	int saved;

	if (!f) {
		saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot create %s: %s", tmp, g_strerror(saved));
		return FALSE;
	}
	write(r, f);
	saved = ferror(f) ? EIO : 0;
	if (fclose(f) != 0 && !saved)
		saved = errno;
	if (!saved && rename(tmp, path) != 0)
		saved = errno;
	if (saved) {
		g_unlink(tmp);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot write %s: %s", path, g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

/* Adds the snapshot at `path` to the report (and writes the profile of the last one). */
static gboolean add_snapshot(const hw_cli *cli, hw_report *report, const char *path, gboolean last,
                             const char *pprof, gboolean *partial, int *status)
{
	g_auto(hw_heap) heap = { 0 };
	g_autoptr(GError) error = NULL;

	if (!hw_heap_open(&heap, cli, path, HW_HEAP_DOMTREE | HW_HEAP_PATHS, status))
		return FALSE;
	{
		g_autoptr(hw_progress) progress = hw_progress_new();
		if (!hw_report_add_snapshot(report, path, heap.dom, heap.paths, last, hw_progress_report, progress, &error)) {
			g_prefix_error(&error, "%s: ", path);
			*status = hw_cli_fail(cli, error);
			return FALSE;
		}
	}
	if (last && pprof) {
		hw_pprof_options opt = HW_PPROF_OPTIONS_DEFAULT;
		if (!hw_pprof_write(pprof, heap.graph, heap.dom, heap.paths, &opt, NULL, &error)) {
			*status = hw_cli_fail(cli, error);
			return FALSE;
		}
		report->pprof = g_strdup(pprof);
	}
	if (hw_snapshot_status(cli, heap.reader) == HW_EXIT_PARTIAL)
		*partial = TRUE;
	return TRUE;
}

int hw_cmd_report(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .snapshot = TRUE };
	g_autofree char *output = NULL, *baseline = NULL, *pprof = NULL;
	g_auto(GStrv) fail_on = NULL, snaps = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(hw_report) report = NULL;
	g_auto(hw_leaks_flags) flags = { 0 };
	hw_failon gate = { 0 };
	gboolean partial = FALSE;
	guint n;
	int status;
	const GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write report.html, report.md and report.json into DIR (created if needed)", "DIR" },
		{ "baseline", 'b', 0, G_OPTION_ARG_FILENAME, &baseline, "Compare with an earlier report.json: mark findings new, list vanished ones", "FILE" },
		{ "fail-on", 0, 0, G_OPTION_ARG_STRING_ARRAY, &fail_on, "Exit 4 when a rule is broken: growth[=PCT] (default 10), new[=SEVERITY] (default medium); comma-separated or repeated", "RULES" },
		{ "pprof", 0, 0, G_OPTION_ARG_FILENAME, &pprof, "Also write the last snapshot's retention profile (as `heapwalk pprof`)", "FILE" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &snaps, NULL, NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	hw_leaks_flags_init(&flags);
	if (!hw_cli_parse(&cli, hw_leaks_flags_entries_with(&flags, entries),
	                  "SNAP... is a series of snapshots of one process, oldest first (one is fine: then the\n"
	                  "single-snapshot rules apply). The threshold flags are `heapwalk leaks`'s (docs/findings.md).\n"
	                  "The report's sections and report.json's schema are in docs/report.md. Exit status 4\n"
	                  "when a --fail-on rule is broken.\n"
	                  "Examples:\n"
	                  "  heapwalk report mon.hwd tue.hwd wed.hwd -o out/\n"
	                  "  heapwalk report a.hwd b.hwd -o out/ --baseline last/report.json --fail-on growth=20,new=high\n",
	                  0, &argc, &argv, &status))
		return status;
	if (!hw_leaks_flags_check(&cli, &flags, &status))
		return status;
	if (!snaps || !snaps[0])
		return hw_cli_usage(&cli, "missing SNAP (usage: heapwalk %s %s)", cmd->name, cmd->synopsis);
	if (!output)
		return hw_cli_usage(&cli, "missing -o DIR (where to write the report)");
	for (char **rule = fail_on; rule && *rule; rule++)
		if (!hw_failon_parse(&gate, *rule, &error))
			return hw_cli_usage(&cli, "%s", error->message);
	if (g_mkdir_with_parents(output, 0777) != 0) {
		int saved = errno;
		g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot create %s: %s", output, g_strerror(saved));
		return hw_cli_fail(&cli, error);
	}

	report = hw_report_new(&flags.t);
	n = g_strv_length(snaps);
	for (guint i = 0; i < n; i++)
		if (!add_snapshot(&cli, report, snaps[i], i + 1 == n, pprof, &partial, &status))
			return status;
	hw_report_finish(report);
	if (baseline && !hw_report_compare(report, baseline, &error))
		return hw_cli_fail(&cli, error);
	hw_failon_evaluate(&gate, report);

	if (!write_output(output, "report.html", hw_report_write_html, report, &error) ||
	    !write_output(output, "report.md", hw_report_write_md, report, &error) ||
	    !write_output(output, "report.json", hw_report_write_json, report, &error))
		return hw_cli_fail(&cli, error);

	hw_report_tally t = hw_report_tally_of(report);
	fprintf(stderr, "heapwalk report: wrote %s/report.{html,md,json}: %u finding%s (%" PRIu64 " high, %" PRIu64
	        " medium, %" PRIu64 " low)", output, report->findings->len, report->findings->len == 1 ? "" : "s",
	        t.by_severity[HW_SEVERITY_HIGH], t.by_severity[HW_SEVERITY_MEDIUM], t.by_severity[HW_SEVERITY_LOW]);
	if (baseline)
		fprintf(stderr, ", %" PRIu64 " new, %u gone since the baseline", t.fresh, report->gone->len);
	fputc('\n', stderr);
	for (guint i = 0; i < report->gate.violations->len; i++)
		fprintf(stderr, "heapwalk report: gate failed: %s\n", (const char *)report->gate.violations->pdata[i]);
	if (report->gate.failed)
		return HW_EXIT_GATE;
	return partial ? HW_EXIT_PARTIAL : HW_EXIT_OK;
}
