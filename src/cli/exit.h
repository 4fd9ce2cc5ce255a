/* exit.h - the exit statuses of the heapwalk program.
 *
 * Every subcommand returns one of these from its hw_cmd_* function and main() passes it
 * to exit(). They are part of the interface: `heapwalk --help` prints HW_EXIT_HELP and
 * docs/cli.md documents them; never renumber.
 */
#ifndef HW_CLI_EXIT_H
#define HW_CLI_EXIT_H

typedef enum hw_exit {
	HW_EXIT_OK = 0,       /* the command did what was asked */
	HW_EXIT_ERROR = 1,    /* it could not (unreadable or corrupt snapshot, no such object, ...) */
	HW_EXIT_USAGE = 2,    /* the command line was wrong; nothing was done */
	HW_EXIT_PARTIAL = 3,  /* the snapshot was damaged (truncated or salvaged): the output covers
	                       * only what was whole, and the damage is described on stderr */
	HW_EXIT_GATE = 4,     /* report --fail-on: a rule was broken (the report is written) */
} hw_exit;

#define HW_EXIT_HELP \
	"Exit status:\n" \
	"  0  ok\n" \
	"  1  error (unreadable or corrupt snapshot, object not found, I/O error)\n" \
	"  2  usage error (bad command line)\n" \
	"  3  partial result: the snapshot was damaged (truncated or salvaged) and the output\n" \
	"     covers only what was whole; the damage is described on stderr\n" \
	"  4  report --fail-on: a gate rule was broken (the report is still written)\n"

#endif /* HW_CLI_EXIT_H */
