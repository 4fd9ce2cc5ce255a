/* import.c - `heapwalk import FORMAT FILE [--exe EXE] -o SNAP`: a foreign heap dump as a snapshot.
 *
 * A thin front to the importers of src/import/ (import.h): the table below maps a format
 * name to its importer; a new format is one more line. The command checks the options,
 * runs the importer and reports what it wrote, and what it could not do, on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit.h"
#include "import/goheapdump.h"
#include "import/v8.h"
#include "options.h"

typedef struct import_format {
	const char *name;
	hw_import_fn run;
	gboolean takes_exe;     /* whether --exe means something for this format */
	const char *what;       /* for --help */
} import_format;

static const import_format formats[] = {
	{ "go-heapdump", hw_import_go_heapdump, TRUE, "runtime/debug.WriteHeapDump output (Go 1.22 and later)" },
	{ "v8", hw_import_v8, FALSE, "a V8 .heapsnapshot (Node.js, Chrome); takes --v8-rules" },
};

int hw_cmd_import(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd };
	g_autofree char *exe = NULL, *output = NULL, *v8_rules = NULL;
	gboolean no_contents = FALSE;
	const GOptionEntry entries[] = {
		{ "exe", 0, 0, G_OPTION_ARG_FILENAME, &exe,
		  "the program that wrote the dump: types, variable names, file:line", "EXE" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write the snapshot to FILE (- for stdout)", "FILE" },
		{ "no-contents", 0, 0, G_OPTION_ARG_NONE, &no_contents, "do not store object contents", NULL },
		{ "v8-rules", 0, 0, G_OPTION_ARG_STRING, &v8_rules, "v8: whose retention rules, devtools (default) or memlab", "RULES" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GString *desc = g_string_new("Formats:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++)
		g_string_append_printf(desc, "  %-14s %s%s\n", formats[i].name, formats[i].what,
		                       formats[i].takes_exe ? " (takes --exe)" : "");
	g_string_append(desc, "Example:\n  heapwalk import go-heapdump app.heapdump --exe ./app -o app.hwd\n");
	g_autofree char *description = g_string_free(desc, FALSE);
	int status;

	if (!hw_cli_parse(&cli, entries, description, 2, &argc, &argv, &status))
		return status;
	const import_format *f = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(formats) && !f; i++)
		if (strcmp(argv[1], formats[i].name) == 0)
			f = &formats[i];
	if (!f)
		return hw_cli_usage(&cli, "unknown format '%s' (see --help for the formats)", argv[1]);
	if (exe && !f->takes_exe)
		return hw_cli_usage(&cli, "--exe means nothing for the %s format", f->name);
	if (!output)
		return hw_cli_usage(&cli, "--output (-o) is required");

	hw_import_options opt = { argv[2], exe, output, !no_contents, v8_rules };
	hw_import_result res;
	g_autoptr(GError) error = NULL;
	if (!f->run(&opt, &res, &error))
		return hw_cli_fail(&cli, error);
	fprintf(stderr, "heapwalk import: %" PRIu64 " objects (%" PRIu64 " bytes), %" PRIu64 " edges, %" PRIu64
	        " roots, %" PRIu64 " goroutines; %" PRIu64 " records dropped -> %s\n", res.objects, res.object_bytes,
	        res.edges, res.roots, res.goroutines, res.dropped, output);
	if (res.note)
		fprintf(stderr, "heapwalk import: note: %s\n", res.note);
	g_free(res.note);
	return HW_EXIT_OK;
}
