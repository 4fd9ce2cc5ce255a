/* baseline.c - compare with last night's report.json (`report --baseline FILE`).
 *
 * A finding is the same finding across runs when its key is the same (findings.h: kind plus
 * the masked signature, never an address). So the comparison reads only the baseline's
 * findings' keys (and, to list the vanished ones, their kind, severity, title and retained
 * bytes) and its last snapshot's reachable bytes, the reference for --fail-on growth. The file
 * comes from elsewhere (a CI artifact): every member is type-checked and an error names the
 * file and the member.
 */
#include "report.h"

#include <json-glib/json-glib.h>

/* Sets an error naming the member; returns FALSE. */
static gboolean bad(GError **error, const char *path, const char *member, const char *what)
{
	g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "%s: %s %s", path, member, what);
	return FALSE;
}

static gboolean get_string(JsonObject *o, const char *name, const char **out)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return FALSE;
	*out = json_node_get_string(n);
	return TRUE;
}

static gboolean get_u64(JsonObject *o, const char *name, uint64_t *out)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < 0)
		return FALSE;
	*out = (uint64_t)json_node_get_int(n);
	return TRUE;
}

static JsonArray *get_array(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static JsonObject *element_object(JsonArray *a, guint i)
{
	JsonNode *n = json_array_get_element(a, i);

	return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* The last snapshot's reachable bytes. */
static gboolean read_reachable(JsonObject *doc, const char *path, uint64_t *out, GError **error)
{
	JsonArray *snaps = get_array(doc, "snapshots");
	JsonObject *last, *reach;
	JsonNode *n;

	if (!snaps || json_array_get_length(snaps) == 0)
		return bad(error, path, "snapshots", "is missing or not a non-empty array");
	last = element_object(snaps, json_array_get_length(snaps) - 1);
	n = last ? json_object_get_member(last, "reachable") : NULL;
	reach = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
	if (!reach || !get_u64(reach, "bytes", out))
		return bad(error, path, "snapshots[-1].reachable.bytes", "is missing or not a byte count");
	return TRUE;
}

gboolean hw_report_compare(hw_report *r, const char *baseline_path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GHashTable) now = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) before = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) local = NULL;
	JsonNode *root;
	JsonObject *doc;
	JsonArray *fs;
	const char *schema;
	uint64_t reachable;

	g_assert(r->findings);
	if (!json_parser_load_from_mapped_file(parser, baseline_path, &local)) {
		if (local->domain == G_FILE_ERROR) {
			g_propagate_error(error, g_steal_pointer(&local));
			g_prefix_error(error, "baseline: ");
			return FALSE;
		}
		g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "%s: not a JSON document: %s", baseline_path, local->message);
		return FALSE;
	}
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return bad(error, baseline_path, "the document", "is not a JSON object");
	doc = json_node_get_object(root);
	if (!get_string(doc, "schema", &schema))
		return bad(error, baseline_path, "schema", "is missing: not a heapwalk report");
	if (g_strcmp0(schema, HW_REPORT_SCHEMA) != 0)
		return bad(error, baseline_path, "schema", "is not " HW_REPORT_SCHEMA " (another document or a later version)");
	if (!read_reachable(doc, baseline_path, &reachable, error))
		return FALSE;
	fs = get_array(doc, "findings");
	if (!fs)
		return bad(error, baseline_path, "findings", "is missing or not an array");

	for (guint i = 0; i < r->findings->len; i++)
		g_hash_table_add(now, ((hw_finding *)r->findings->pdata[i])->key);
	for (guint i = 0; i < json_array_get_length(fs); i++) {
		JsonObject *f = element_object(fs, i);
		const char *key, *kind, *severity, *title;
		uint64_t retained;
		g_autofree char *member = g_strdup_printf("findings[%u]", i);

		if (!f || !get_string(f, "key", &key) || !get_string(f, "kind", &kind) ||
		    !get_string(f, "severity", &severity) || !get_string(f, "title", &title) ||
		    !get_u64(f, "retained", &retained))
			return bad(error, baseline_path, member,
			           "lacks a string key, kind, severity, title or a byte count retained");
		g_hash_table_add(before, (gpointer)key);
		if (g_hash_table_contains(now, key))
			continue;
		hw_report_gone *g = g_new0(hw_report_gone, 1);
		g->key = g_strdup(key);
		g->kind = g_strdup(kind);
		g->severity = g_strdup(severity);
		g->title = g_strdup(title);
		g->retained = retained;
		g_ptr_array_add(r->gone, g);
	}
	for (guint i = 0; i < r->findings->len; i++)
		r->is_new[i] = !g_hash_table_contains(before, ((hw_finding *)r->findings->pdata[i])->key);
	r->baseline = g_strdup(baseline_path);
	r->baseline_reachable = reachable;
	return TRUE;
}
