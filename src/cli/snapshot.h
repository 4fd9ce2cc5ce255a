/* snapshot.h - a snapshot as the commands see it: the boundary between dumpfmt and GLib.
 *
 * dumpfmt reports problems as an hwd_error (code, offset, field, sentence); everything above
 * it uses GError. The conversion happens here and nowhere else, keeping the offset and the
 * field in the message. This file also turns a damaged (partial) snapshot into the
 * HW_EXIT_PARTIAL status and the "snapshot" member every JSON document carries.
 */
#ifndef HW_CLI_SNAPSHOT_H
#define HW_CLI_SNAPSHOT_H

#include <glib.h>

#include "hwd.h"
#include "json.h"
#include "options.h"

/* Errors from dumpfmt; the code is the HWD_E_* code negated (HWD_E_CORRUPT -> 5). */
#define HW_SNAPSHOT_ERROR (hw_snapshot_error_quark())
GQuark hw_snapshot_error_quark(void);

/* Sets *error from `e`: "PATH: <sentence> (offset 0x..., field F)". */
void hw_snapshot_set_error(GError **error, const char *path, const hwd_error *e);

/* Opens `path` for analysis. A truncated file opens in partial mode; a corrupt one fails,
 * unless `salvage` is set, in which case reading stops at the first bad chunk.
 * Returns a reader the caller closes with hwd_reader_close(), or NULL with *error set. */
hwd_reader *hw_snapshot_open(const char *path, gboolean salvage, GError **error);

/* The status a command ends with once its output is written: HW_EXIT_OK if the snapshot was
 * whole, else HW_EXIT_PARTIAL after printing "heapwalk CMD: partial result: <damage>" on stderr. */
int hw_snapshot_status(const hw_cli *cli, const hwd_reader *r);

/* Writes the member `"snapshot": {"path", "partial", "damage"}` into the open JSON object. */
void hw_snapshot_json(hw_json *j, const char *path, const hwd_reader *r);

#endif /* HW_CLI_SNAPSHOT_H */
