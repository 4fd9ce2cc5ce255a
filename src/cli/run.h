/* run.h - what `heapwalk run` and `heapwalk watch` share: options, the end-of-run summary.
 *
 * Both commands take the same capture options (--limit, --at, --every, --interval,
 * --cooldown, --max-dumps, --max-bytes, --on-crash, --toolchain, -o DIR), parsed here into a
 * hw_watch_options; both end by listing the snapshots taken and the `heapwalk leaks`
 * findings over each process's series. core-handler shares the size syntax.
 */
#ifndef HW_CLI_RUN_H
#define HW_CLI_RUN_H

#include <glib.h>

#include "options.h"
#include "watch/watcher.h"

/* A size: a number with an optional binary suffix K, M, G or T (KiB, ... also accepted).
 * FALSE on anything else or on overflow. */
gboolean hw_parse_size(const char *s, guint64 *out);

typedef struct hw_watch_cli {
	hw_watch_options opt;
	char *output, *limit, *every, *interval, *cooldown, *max_bytes;
	double at_percent;
	gint max_dumps;
	GOptionEntry entries[13];
	guint64 max_bytes_v;
} hw_watch_cli;

/* Fills c->entries (with `pid` as an extra --pid entry when not NULL) and the defaults. */
void hw_watch_cli_init(hw_watch_cli *c, const char *name, gint *pid);
void hw_watch_cli_clear(hw_watch_cli *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_watch_cli, hw_watch_cli_clear)
/* After parsing: converts and checks; usage error naming the option on failure. */
gboolean hw_watch_cli_check(const hw_cli *cli, hw_watch_cli *c, int *status);

/* Prints, on stderr, each captured process's snapshots and the leak findings over them. */
void hw_watch_summary(const hw_cli *cli, hw_watcher *w);

#endif /* HW_CLI_RUN_H */
