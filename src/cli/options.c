/* options.c - command-line parsing shared by every subcommand.
 *
 * GOption does the parsing; this file adds what each subcommand would otherwise repeat:
 * --help on stdout without exit(), --format checked against the command's formats, the
 * positional count, and usage errors that all look alike and exit with status 2.
 */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "exit.h"

const char *const hw_formats_text_json[] = { "text", "json", NULL };

int hw_cli_usage(const hw_cli *cli, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "heapwalk %s: %s\nTry 'heapwalk %s --help' for more information.\n",
	        cli->cmd->name, msg, cli->cmd->name);
	return HW_EXIT_USAGE;
}

int hw_cli_fail(const hw_cli *cli, const GError *error)
{
	fprintf(stderr, "heapwalk %s: %s\n", cli->cmd->name, error->message);
	return HW_EXIT_ERROR;
}

gboolean hw_cli_check_min(const hw_cli *cli, const char *option, gint64 value, gint64 min, int *status)
{
	if (value >= min)
		return TRUE;
	*status = hw_cli_usage(cli, "%s must be at least %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
	                       option, min, value);
	return FALSE;
}

gboolean hw_cli_parse_addr(const char *s, uint64_t *out)
{
	guint64 v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	/* g_ascii_string_to_unsigned accepts a leading '+', which an address never has. */
	if (!g_ascii_isxdigit(s[0]))
		return FALSE;
	if (!g_ascii_string_to_unsigned(s, 16, 0, G_MAXUINT64, &v, NULL))
		return FALSE;
	*out = v;
	return TRUE;
}

static char *format_list(const char *const *formats)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; formats[i]; i++) {
		if (i)
			g_string_append(s, formats[i + 1] ? ", " : " or ");
		g_string_append(s, formats[i]);
	}
	return g_string_free(s, FALSE);
}

gboolean hw_cli_parse(hw_cli *cli, const GOptionEntry *entries, const char *description,
                      int npos, int *argc, char ***argv, int *status)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *formats = NULL;
	g_autofree char *format_help = NULL;
	g_autofree char *full_description = NULL;

	ctx = g_option_context_new(cli->cmd->synopsis);
	g_option_context_set_summary(ctx, cli->cmd->summary);
	g_option_context_set_help_enabled(ctx, FALSE);
	full_description = g_strconcat(description ? description : "", description ? "\n" : "",
	                               HW_EXIT_HELP, NULL);
	g_option_context_set_description(ctx, full_description);

	const GOptionEntry help_entry[] = {
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &cli->help, "Show this help and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_option_context_add_main_entries(ctx, help_entry, NULL);
	if (cli->formats) {
		formats = format_list(cli->formats);
		format_help = g_strdup_printf("Output format: %s (default %s)", formats, cli->formats[0]);
		const GOptionEntry format_entry[] = {
			{ "format", 'f', 0, G_OPTION_ARG_STRING, &cli->format_arg, format_help, "FORMAT" },
			{ NULL, 0, 0, 0, NULL, NULL, NULL },
		};
		g_option_context_add_main_entries(ctx, format_entry, NULL);
	}
	if (cli->snapshot) {
		const GOptionEntry salvage_entry[] = {
			{ "salvage", 0, 0, G_OPTION_ARG_NONE, &cli->salvage,
			  "Read a corrupt snapshot up to its first bad chunk (a partial result, exit status 3)", NULL },
			{ NULL, 0, 0, 0, NULL, NULL, NULL },
		};
		g_option_context_add_main_entries(ctx, salvage_entry, NULL);
	}
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);

	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		*status = hw_cli_usage(cli, "%s", error->message);
		return FALSE;
	}
	if (cli->help) {
		g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
		fputs(help, stdout);
		*status = HW_EXIT_OK;
		return FALSE;
	}
	cli->format = 0;
	if (cli->formats && cli->format_arg) {
		size_t i;
		for (i = 0; cli->formats[i]; i++)
			if (strcmp(cli->formats[i], cli->format_arg) == 0)
				break;
		if (!cli->formats[i]) {
			*status = hw_cli_usage(cli, "unknown format '%s' (expected %s)", cli->format_arg, formats);
			return FALSE;
		}
		cli->format = (int)i;
	}
	/* GOption leaves "--" in place when it ends the options; it is not a positional. */
	for (int i = 1; i < *argc; i++) {
		if (strcmp((*argv)[i], "--") == 0) {
			memmove(&(*argv)[i], &(*argv)[i + 1], (size_t)(*argc - i) * sizeof(char *));
			(*argc)--;
			break;
		}
	}
	if (*argc - 1 < (npos < 0 ? -npos : npos)) {
		*status = hw_cli_usage(cli, "missing argument (usage: heapwalk %s %s)", cli->cmd->name, cli->cmd->synopsis);
		return FALSE;
	}
	if (npos >= 0 && *argc - 1 > npos) {
		*status = hw_cli_usage(cli, "unexpected argument '%s'", (*argv)[npos + 1]);
		return FALSE;
	}
	return TRUE;
}

void hw_cli_clear(hw_cli *cli)
{
	g_clear_pointer(&cli->format_arg, g_free);
}
