/* main.c - the heapwalk program: dispatches to a subcommand.
 *
 * The subcommands are listed once, in src/cli/commands.h; this file expands that list into
 * the dispatch table, prints the overview for `heapwalk --help`, and hands argv (from the
 * command name on) to the chosen command, whose return value is the exit status (exit.h).
 * Names must match exactly: prefixes would make every new command a possible breaking change.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exit.h"
#include "cli/version.h"

#define HW_COMMAND_ENTRY(ident, name, synopsis, summary) { name, hw_cmd_##ident, synopsis, summary },
static const hw_command commands[] = {
	HW_COMMANDS(HW_COMMAND_ENTRY)
};
#undef HW_COMMAND_ENTRY

static void print_overview(FILE *out)
{
	size_t width = 0;

	fprintf(out, "Usage:\n  heapwalk COMMAND [OPTION…] ARGS…\n  heapwalk COMMAND --help\n\n"
	             "heapwalk answers \"what keeps this memory alive?\" for heap snapshots.\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		width = MAX(width, strlen(commands[i].name));
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-*s  %s\n", (int)width, commands[i].name, commands[i].summary);
	fprintf(out, "\nOptions:\n  -h, --help     Show this help and exit\n"
	             "  --version      Show the version and exit\n\n"
	             "Analysis commands take --format text|json (docs/json-schema.md describes the JSON).\n\n"
	             "%s", HW_EXIT_HELP);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("heapwalk: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'heapwalk --help' for more information.\n", stderr);
	return HW_EXIT_USAGE;
}

/* Runs the command named by argv[0] with argv[0..argc). */
static int dispatch(int argc, char **argv)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			g_autofree char *prgname = g_strconcat("heapwalk ", argv[0], NULL);
			g_set_prgname(prgname);
			int status = commands[i].run(&commands[i], argc, argv);
			/* Output that did not reach its destination (a full disk) is an error. */
			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "heapwalk %s: error writing the output\n", argv[0]);
				return HW_EXIT_ERROR;
			}
			return status;
		}
	}
	return usage_error("unknown command '%s'", argv[0]);
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2)
		return usage_error("missing command%s", "");
	name = argv[1];
	/* `heapwalk help CMD` is `heapwalk CMD --help`. */
	if (strcmp(name, "help") == 0 && argc == 3) {
		static char help_flag[] = "--help";
		char *help_argv[] = { argv[2], help_flag, NULL };
		return dispatch(2, help_argv);
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		print_overview(stdout);
		return HW_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("heapwalk %s\n", HW_VERSION);
		return HW_EXIT_OK;
	}
	if (name[0] == '-')
		return usage_error("unknown option '%s' (options go after the command)", name);
	return dispatch(argc - 1, argv + 1);
}
