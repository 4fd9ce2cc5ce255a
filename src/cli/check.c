/* check.c - `heapwalk check SNAP`: the snapshot reader in checking mode.
 *
 * Lists every chunk as hwd_check_file() walks it (offset, kind, payload length, records) and
 * then the first problem with its offset and field, like redis-check-rdb. The listing is
 * the whole answer, so a damaged file is a failed check (status 1), never a partial result.
 */
#include <stdio.h>

#include "commands.h"
#include "exit.h"
#include "json.h"
#include "options.h"
#include "snapshot.h"
#include "table.h"

typedef struct chunk_list {
	GArray *chunks;      /* of hwd_check_chunk; kind_name is static in dumpfmt */
} chunk_list;

static void on_chunk(const hwd_check_chunk *c, void *user)
{
	chunk_list *l = user;

	g_array_append_val(l->chunks, *c);
}

static void print_text(const char *path, const GArray *chunks, int rc, const hwd_error *e)
{
	g_autoptr(hw_table) t = hw_table_new("rlrrl", "OFFSET", "KIND", "LENGTH", "RECORDS", "STATUS");

	for (guint i = 0; i < chunks->len; i++) {
		const hwd_check_chunk *c = &g_array_index(chunks, hwd_check_chunk, i);
		hw_table_cell(t, "0x%llx", (unsigned long long)c->offset);
		hw_table_cell(t, "%s", c->kind_name);
		hw_table_cell(t, "%llu", (unsigned long long)c->payload_len);
		hw_table_cell(t, "%llu", (unsigned long long)c->records);
		hw_table_cell(t, "%s", c->ok ? "ok" : "BAD");
	}
	hw_table_print(t, stdout);
	printf("\n%s: %u chunks\n", path, chunks->len);
	if (rc == 0) {
		printf("ok: the snapshot is whole and valid\n");
	} else {
		g_autoptr(GError) error = NULL;
		hw_snapshot_set_error(&error, path, e);
		printf("first problem: %s\n", error->message);
	}
}

static void print_json(const char *path, const GArray *chunks, int rc, const hwd_error *e)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/check/1");
	hw_json_key(j, "path");
	hw_json_string(j, path);
	hw_json_key(j, "ok");
	hw_json_bool(j, rc == 0);
	hw_json_key(j, "chunks");
	hw_json_begin_array(j);
	for (guint i = 0; i < chunks->len; i++) {
		const hwd_check_chunk *c = &g_array_index(chunks, hwd_check_chunk, i);
		hw_json_begin_object(j);
		hw_json_key(j, "offset");
		hw_json_u64(j, c->offset);
		hw_json_key(j, "kind");
		hw_json_string(j, c->kind_name);
		hw_json_key(j, "kind_id");
		hw_json_u64(j, c->kind);
		hw_json_key(j, "length");
		hw_json_u64(j, c->payload_len);
		hw_json_key(j, "records");
		hw_json_u64(j, c->records);
		hw_json_key(j, "ok");
		hw_json_bool(j, c->ok != 0);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_key(j, "problem");
	if (rc == 0) {
		hw_json_null(j);
	} else {
		hw_json_begin_object(j);
		hw_json_key(j, "code");
		hw_json_string(j, hwd_strerror(rc));
		hw_json_key(j, "offset");
		hw_json_u64(j, e->offset);
		hw_json_key(j, "field");
		if (e->field)
			hw_json_string(j, e->field);
		else
			hw_json_null(j);
		hw_json_key(j, "message");
		hw_json_string(j, e->message);
		hw_json_end_object(j);
	}
	hw_json_end_object(j);
}

int hw_cmd_check(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json };
	chunk_list list;
	hwd_error e = { 0 };
	const char *path;
	int status, rc;

	if (!hw_cli_parse(&cli, NULL,
	                  "Exits with status 0 if the file is whole and valid, 1 at the first problem.\n"
	                  "Example:\n  heapwalk check app.hwd\n",
	                  1, &argc, &argv, &status))
		return status;
	path = argv[1];
	list.chunks = g_array_new(FALSE, FALSE, sizeof(hwd_check_chunk));
	rc = hwd_check_file(path, on_chunk, &list, &e);
	/* A file that cannot be opened has no chunks to list: that is a plain error. */
	if (rc == HWD_E_IO && list.chunks->len == 0) {
		g_autoptr(GError) error = NULL;
		hw_snapshot_set_error(&error, path, &e);
		status = hw_cli_fail(&cli, error);
	} else {
		if (cli.format == HW_FORMAT_JSON)
			print_json(path, list.chunks, rc, &e);
		else
			print_text(path, list.chunks, rc, &e);
		status = rc == 0 ? HW_EXIT_OK : HW_EXIT_ERROR;
	}
	g_array_unref(list.chunks);
	return status;
}
