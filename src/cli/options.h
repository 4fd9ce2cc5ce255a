/* options.h - command-line parsing shared by every subcommand.
 *
 * Each subcommand describes its own options as a GOptionEntry array and calls hw_cli_parse(),
 * which adds the options every command shares (--help, and --format when the command has
 * output formats), checks the number of positional arguments and turns every mistake into
 * the same kind of message: "heapwalk CMD: what is wrong" plus a hint to --help on stderr,
 * exit status 2. Help asked for goes to stdout with status 0.
 */
#ifndef HW_CLI_OPTIONS_H
#define HW_CLI_OPTIONS_H

#include <glib.h>
#include <stdint.h>

#include "commands.h"

/* Output formats of the analysis commands; hw_formats_text_json lists them for hw_cli. */
enum { HW_FORMAT_TEXT = 0, HW_FORMAT_JSON = 1 };
extern const char *const hw_formats_text_json[];

typedef struct hw_cli {
	const hw_command *cmd;        /* the running subcommand (name, synopsis, summary) */
	const char *const *formats;   /* NULL-terminated --format values, the first is the default;
	                               * NULL: the command has no --format option */
	gboolean snapshot;            /* the command reads a snapshot: add --salvage */
	int format;                   /* after parsing: index of the chosen format in `formats` */
	gboolean salvage;             /* --salvage was given */
	char *format_arg;             /* owned; freed by hw_cli_clear() */
	gboolean help;
} hw_cli;

/* Parses argc and argv (argv[0] is the command name) against the command's own `entries`
 * (NULL-terminated; may be NULL) plus the shared options (--help; --format when cli->formats
 * is set; --salvage when cli->snapshot is set). `description` is printed at the end
 * of --help (examples; may be NULL). Exactly `npos` positional arguments must remain, or at
 * least -npos when npos is negative.
 * On success returns TRUE, with *argv reduced to argv[0] followed by the positionals.
 * Otherwise returns FALSE and sets *status: HW_EXIT_OK after printing the help on stdout,
 * HW_EXIT_USAGE after printing the problem and a hint on stderr. */
gboolean hw_cli_parse(hw_cli *cli, const GOptionEntry *entries, const char *description,
                      int npos, int *argc, char ***argv, int *status);

/* Frees what hw_cli_parse() allocated; commands declare `g_auto(hw_cli) cli = {...}`. */
void hw_cli_clear(hw_cli *cli);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_cli, hw_cli_clear)

/* Prints "heapwalk CMD: <message>" and the --help hint on stderr; returns HW_EXIT_USAGE. */
int hw_cli_usage(const hw_cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Prints "heapwalk CMD: <error->message>" on stderr; returns HW_EXIT_ERROR. */
int hw_cli_fail(const hw_cli *cli, const GError *error);

/* Parses a hexadecimal address, with or without 0x. Returns FALSE on anything else. */
gboolean hw_cli_parse_addr(const char *s, uint64_t *out);

/* Checks an option value that must be >= min; on failure prints a usage message naming
 * `option` and returns FALSE. */
gboolean hw_cli_check_min(const hw_cli *cli, const char *option, gint64 value, gint64 min, int *status);

#endif /* HW_CLI_OPTIONS_H */
