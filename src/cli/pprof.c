/* pprof.c - `heapwalk pprof SNAP -o FILE.pb.gz`: the heap as a pprof retention profile.
 *
 * The profile itself is built by src/export/pprof.h (which `report --pprof` will reuse); this
 * file maps the command line onto hw_pprof_options, loads the analyses the mode needs, and says
 * on stderr what was written and whether the sample cap forced more folding than asked.
 * docs/pprof.md documents the encoding and every bound.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit.h"
#include "export/pprof.h"
#include "heap.h"
#include "options.h"
#include "snapshot.h"
#include "units.h"

int hw_cmd_pprof(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	g_autofree char *output = NULL;
	g_autofree char *mode = NULL;
	g_autoptr(GError) error = NULL;
	hw_pprof_options opt = HW_PPROF_OPTIONS_DEFAULT;
	hw_pprof_stats st;
	gint64 index_limit = opt.index_limit, max_depth = opt.max_depth, max_samples = (gint64)opt.max_samples;
	double min_fraction = opt.min_fraction;
	gboolean no_fold_runs = FALSE, exact = FALSE;
	int status;
	const GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the gzipped profile to FILE ('-': standard output)", "FILE" },
		{ "mode", 'm', 0, G_OPTION_ARG_STRING, &mode, "Stacks are 'dominators' (default: cum = retained bytes) or first-reached 'paths' (like goref)", "MODE" },
		{ "index-limit", 0, 0, G_OPTION_ARG_INT64, &index_limit, "Array elements from [N] on are one frame [N+] (default 10; 0: keep every index)", "N" },
		{ "no-fold-runs", 0, 0, G_OPTION_ARG_NONE, &no_fold_runs, "Keep repeated frames (next, next, ...) apart instead of folding each run into one", NULL },
		{ "max-depth", 0, 0, G_OPTION_ARG_INT64, &max_depth, "At most D frames per stack; deeper objects count in the frame at depth D (default 64; 0: no cap)", "D" },
		{ "min-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &min_fraction, "Fold frames holding less than F of the reachable bytes into (other) (default 0.0001; 0: none)", "F" },
		{ "max-samples", 0, 0, G_OPTION_ARG_INT64, &max_samples, "At most N samples: fold more when needed, with a warning (default 10000; 0: no cap)", "N" },
		{ "exact", 0, 0, G_OPTION_ARG_NONE, &exact, "No bounds at all: one frame per object and edge (same as all the above at 0)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "Each object's stack is its path from a GC root, leaf first; at every frame flat is\n"
	                  "the bytes of the frame's objects and cum what freeing them would free. Labels hold\n"
	                  "no addresses, so two dumps compare with go tool pprof -diff_base. See docs/pprof.md.\n"
	                  "Examples:\n"
	                  "  heapwalk pprof app.hwd -o app.pb.gz && go tool pprof -http=: app.pb.gz\n"
	                  "  go tool pprof -top -diff_base=yesterday.pb.gz today.pb.gz\n",
	                  1, &argc, &argv, &status))
		return status;
	if (!output)
		return hw_cli_usage(&cli, "missing -o FILE (where to write the profile)");
	if (!mode || strcmp(mode, "dominators") == 0)
		opt.mode = HW_PPROF_DOMINATORS;
	else if (strcmp(mode, "paths") == 0)
		opt.mode = HW_PPROF_PATHS;
	else
		return hw_cli_usage(&cli, "unknown --mode '%s' (expected dominators or paths)", mode);
	if (!hw_cli_check_min(&cli, "--index-limit", index_limit, 0, &status) ||
	    !hw_cli_check_min(&cli, "--max-depth", max_depth, 0, &status) ||
	    !hw_cli_check_min(&cli, "--max-samples", max_samples, 0, &status))
		return status;
	if (index_limit > G_MAXUINT32 || max_depth > G_MAXUINT32)
		return hw_cli_usage(&cli, "--index-limit and --max-depth must be below 2^32");
	if (!(min_fraction >= 0 && min_fraction <= 1))
		return hw_cli_usage(&cli, "--min-fraction must be between 0 and 1, not %g", min_fraction);
	opt.index_limit = exact ? 0 : (uint32_t)index_limit;
	opt.max_depth = exact ? 0 : (uint32_t)max_depth;
	opt.max_samples = exact ? 0 : (uint64_t)max_samples;
	opt.min_fraction = exact ? 0 : min_fraction;
	opt.fold_runs = !exact && !no_fold_runs;

	if (!hw_heap_open(&heap, &cli, argv[1], opt.mode == HW_PPROF_PATHS ? HW_HEAP_PATHS : HW_HEAP_DOMTREE, &status))
		return status;
	if (!hw_pprof_write(output, heap.graph, heap.dom, heap.paths, &opt, &st, &error))
		return hw_cli_fail(&cli, error);

	char bytes[HW_UNITS_BUF];
	if (st.capped)
		fprintf(stderr, "heapwalk pprof: warning: over --max-samples %" PRIu64 ": folded frames below %g of the "
		        "reachable bytes (not %g) into (other); raise --max-samples to keep more\n",
		        opt.max_samples, st.fraction, opt.min_fraction);
	fprintf(stderr, "heapwalk pprof: wrote %s: %" PRIu64 " samples, %" PRIu64 " distinct labels, %" PRIu64
	        " objects, %s reachable\n", output, st.samples, st.locations, st.objects, hw_units_bytes(bytes, st.bytes));
	return hw_snapshot_status(&cli, heap.reader);
}
