/* leaks.h - findings for the commands that show them (`heapwalk leaks`, `heapwalk report`).
 *
 * The threshold flags (one per field of hw_leak_thresholds, docs/findings.md), the loop that
 * loads each snapshot of a series, summarises it and releases it before loading the next
 * (so a series of large snapshots is never in memory at once), and the text and JSON
 * renderings of one finding.
 */
#ifndef HW_CLI_LEAKS_H
#define HW_CLI_LEAKS_H

#include <glib.h>
#include <stdio.h>

#include "findings.h"
#include "json.h"
#include "options.h"

/* The thresholds and the flag values that are not stored in them as they are. */
typedef struct hw_leaks_flags {
	hw_leak_thresholds t;
	double long_wait_s;     /* --goroutine-long-wait, seconds */
	GOptionEntry *entries;  /* owned; NULL-terminated */
} hw_leaks_flags;

/* Defaults, and the entries to append to a command's own (hw_leaks_flags_entries_with). */
void hw_leaks_flags_init(hw_leaks_flags *f);
void hw_leaks_flags_clear(hw_leaks_flags *f);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_leaks_flags, hw_leaks_flags_clear)
/* A new NULL-terminated array: `own` (NULL-terminated, may be NULL) followed by the threshold
 * flags. Stored in f->entries (freed by hw_leaks_flags_clear). */
const GOptionEntry *hw_leaks_flags_entries_with(hw_leaks_flags *f, const GOptionEntry *own);
/* After parsing: checks ranges (usage error naming the flag) and fills f->t completely. */
gboolean hw_leaks_flags_check(const hw_cli *cli, hw_leaks_flags *f, int *status);

/* Loads, summarises and releases each of paths[0..n-1] in turn (oldest first), then runs the
 * detectors. Returns the findings (GPtrArray of hw_finding*) or NULL with *status set after
 * printing the error. *partial is set when any snapshot was damaged (partial read). */
GPtrArray *hw_leaks_collect(const hw_cli *cli, char **paths, int n, const hw_leak_thresholds *t,
                            gboolean *partial, int *status);

/* One finding as a JSON object (docs/json-schema.md, "finding"). */
void hw_leaks_json_finding(hw_json *j, const hw_finding *f);
/* One finding as text: title line, numbers, path, location, suggestion. */
void hw_leaks_print_finding(FILE *out, const hw_finding *f, guint number);

#endif /* HW_CLI_LEAKS_H */
