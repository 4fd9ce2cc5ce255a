/* snapshot.c - opening snapshots and reporting their damage (see snapshot.h). */
#include "snapshot.h"

#include <stdio.h>

#include "exit.h"
#include "import/v8-import.h"

G_DEFINE_QUARK(hw-snapshot-error-quark, hw_snapshot_error)

void hw_snapshot_set_error(GError **error, const char *path, const hwd_error *e)
{
	g_autoptr(GString) where = g_string_new(NULL);

	/* Offsets mean something only for problems found in the file's contents. */
	if (e->code != HWD_E_IO && e->code != HWD_E_NOMEM && e->code != HWD_E_USAGE)
		g_string_append_printf(where, "offset 0x%llx", (unsigned long long)e->offset);
	if (e->field)
		g_string_append_printf(where, "%sfield %s", where->len ? ", " : "", e->field);
	g_set_error(error, HW_SNAPSHOT_ERROR, -e->code, "%s: %s: %s%s%s%s", path, hwd_strerror(e->code),
	            e->message[0] ? e->message : "no details",
	            where->len ? " (" : "", where->str, where->len ? ")" : "");
}

hwd_reader *hw_snapshot_open(const char *path, gboolean salvage, GError **error)
{
	hwd_error e = { 0 };
	hwd_reader *r = NULL;

	/* A V8 .heapsnapshot is converted on the fly, under DevTools' rules (docs/v8.md). */
	if (hw_v8_sniff_file(path)) {
		g_autoptr(GError) v8_error = NULL;
		if (!(r = hw_v8_open_file(path, HW_V8_RULES_DEVTOOLS, &v8_error)))
			g_set_error(error, HW_SNAPSHOT_ERROR, -HWD_E_FORMAT, "%s", v8_error->message);
		return r;
	}

	if (hwd_reader_open(path, salvage ? HWD_OPEN_SALVAGE : 0, &r, &e) < 0) {
		hw_snapshot_set_error(error, path, &e);
		return NULL;
	}
	return r;
}

int hw_snapshot_status(const hw_cli *cli, const hwd_reader *r)
{
	const hwd_damage *d = hwd_reader_damage(r);

	if (!d->partial)
		return HW_EXIT_OK;
	fprintf(stderr, "heapwalk %s: partial result: the snapshot is %s: %s\n", cli->cmd->name,
	        d->cause == HWD_E_CORRUPT ? "corrupt (salvaged)" : "truncated", d->message);
	return HW_EXIT_PARTIAL;
}

void hw_snapshot_json(hw_json *j, const char *path, const hwd_reader *r)
{
	const hwd_damage *d = hwd_reader_damage(r);

	hw_json_key(j, "snapshot");
	hw_json_begin_object(j);
	hw_json_key(j, "path");
	hw_json_string(j, path);
	hw_json_key(j, "partial");
	hw_json_bool(j, d->partial != 0);
	hw_json_key(j, "damage");
	if (d->partial)
		hw_json_string(j, d->message);
	else
		hw_json_null(j);
	hw_json_end_object(j);
}
