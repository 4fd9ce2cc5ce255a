/* commands.h - the table of heapwalk subcommands.
 *
 * main() dispatches argv[1] to the entry whose name matches exactly (no prefixes) and
 * `heapwalk --help` lists the entries in this order. Each subcommand lives in one file,
 * src/cli/<name>.c, which defines
 *
 *     int hw_cmd_<ident>(const hw_command *cmd, int argc, char **argv);
 *
 * receiving its own table entry and argv[0] = the command name, and returning an hw_exit status (exit.h). It builds
 * its own GOptionContext through hw_cli_parse() (options.h), so `--help`, `--format` and
 * usage errors behave the same everywhere.
 *
 * To add a subcommand: write its file, list it in src/cli/meson.build, add one line below.
 */
#ifndef HW_CLI_COMMANDS_H
#define HW_CLI_COMMANDS_H

/*  X(ident,       "name",        "synopsis (after the name)",                          "summary") */
#define HW_COMMANDS(X) \
	X(dump,        "dump",        "(--pid PID | --core CORE [--exe EXE]) -o FILE",      "capture a snapshot of a Go program (live or core)") \
	X(import,      "import",      "FORMAT FILE [--exe EXE] -o FILE",                    "a foreign heap dump (go-heapdump) as a snapshot") \
	X(info,        "info",        "SNAP",                                               "metadata, totals, roots and goroutines of a snapshot") \
	X(histogram,   "histogram",   "SNAP [--limit N] [--sort count|bytes|retained]",     "objects, bytes and retained bytes per type") \
	X(top,         "top",         "SNAP [--depth D] [--limit N]",                       "the dominator tree, biggest first") \
	X(retained_by, "retained-by", "TYPE SNAP [--limit N]",                              "who keeps the objects of TYPE alive (grouped paths)") \
	X(goroutines,  "goroutines",  "SNAP [--limit N]",                                   "goroutines by creation site, wait site and state, with the heap they retain") \
	X(leaks,       "leaks",       "SNAP [SNAP...] [threshold flags]",                   "leak findings: leaked goroutines, growing caches, unreleased listeners") \
	X(diff,        "diff",        "BASE SNAP [--by type|path|both] [--match HOW]",      "what grew between two snapshots, by type and by retention path") \
	X(path,        "path",        "ADDR SNAP",                                          "the shortest path from a GC root to an object") \
	X(sites,       "sites",       "SNAP [--limit N] [--retainers N]",                   "the live heap by allocation site, each split by what retains it") \
	X(pprof,       "pprof",       "SNAP -o FILE [--mode dominators|paths]",             "the heap as a pprof profile: stacks are retention paths") \
	X(report,      "report",      "SNAP... -o DIR [--baseline FILE] [--fail-on RULES]", "the leak report of a series (HTML, Markdown, JSON) and a CI gate") \
	X(graph,       "graph",       "SNAP [--format dot|jsonl] [--from ADDR --depth D]",  "the object graph, for other tools") \
	X(run,         "run",         "[--limit SIZE|--at PCT] [--every D] [--on-crash] -o DIR -- CMD...", "run a command; capture its Go processes before memory kills them") \
	X(watch,       "watch",       "--pid PID [--limit SIZE|--at PCT] [--every D] [--on-crash] -o DIR", "the same for a running process") \
	X(core_handler, "core-handler", "-o DIR PID [COMM] < CORE",                          "kernel.core_pattern pipe: a snapshot from the core on stdin") \
	X(check,       "check",       "SNAP",                                               "check a snapshot file chunk by chunk") \
	X(v8nodes,     "v8nodes",     "FILE.heapsnapshot [--v8-rules devtools|memlab]",     "per-node retained sizes and dominators of a V8 snapshot (TSV)")

typedef struct hw_command hw_command;
struct hw_command {
	const char *name;
	int (*run)(const hw_command *cmd, int argc, char **argv);
	const char *synopsis;
	const char *summary;
};

#define HW_COMMAND_DECLARE(ident, name, synopsis, summary) int hw_cmd_##ident(const hw_command *cmd, int argc, char **argv);
HW_COMMANDS(HW_COMMAND_DECLARE)
#undef HW_COMMAND_DECLARE

#endif /* HW_CLI_COMMANDS_H */
