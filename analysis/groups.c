/* groups.c - path signatures and the groups they define.
 *
 * A signature describes how a root reaches an object without the details that differ
 * between otherwise identical paths (which goroutine, which address, which array slot), so
 * that a million leaked objects held the same way collapse into one line. Retained bytes use
 * hw_domtree_outermost() over the member set so nested members are not counted twice.
 */
#include "groups.h"
#include "retained.h"

#include <string.h>

static void append_masked(GString *out, const char *s, size_t len)
{
	static const char goroutine[] = "goroutine ";
	size_t i = 0;
	while (i < len) {
		if (s[i] == '0' && i + 2 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') && g_ascii_isxdigit(s[i + 2])) {
			g_string_append(out, "0x?");
			for (i += 2; i < len && g_ascii_isxdigit(s[i]); i++)
				;
		} else if (s[i] == '[' && i + 1 < len && g_ascii_isdigit(s[i + 1])) {
			size_t j = i + 1;
			while (j < len && g_ascii_isdigit(s[j]))
				j++;
			if (j < len && s[j] == ']') {
				g_string_append(out, "[*]");
				i = j + 1;
			} else {
				g_string_append_c(out, s[i++]);
			}
		} else if (len - i >= sizeof(goroutine) && memcmp(s + i, goroutine, sizeof(goroutine) - 1) == 0 &&
		           g_ascii_isdigit(s[i + sizeof(goroutine) - 1])) {
			g_string_append(out, "goroutine ?");
			for (i += sizeof(goroutine) - 1; i < len && g_ascii_isdigit(s[i]); i++)
				;
		} else {
			g_string_append_c(out, s[i++]);
		}
	}
}

char *hw_groups_mask(const char *s, size_t len)
{
	GString *out = g_string_sized_new(len + 8);
	append_masked(out, s, len);
	return g_string_free(out, FALSE);
}

static void append_type(GString *out, const hw_graph *g, uint32_t v)
{
	uint32_t len;
	const char *name = hw_graph_type_name(g, hw_graph_object(g, v).type, &len);
	g_string_append_c(out, ' ');
	if (len)
		g_string_append_len(out, name, len);
	else
		g_string_append(out, "?");
}

static void append_signature(GString *out, const hw_graph *g, const hw_path *path)
{
	const hwd_root *r = &path->root;
	uint32_t len;
	/* A kind outside the enum (a damaged file) signs as plain "root". */
	g_string_append(out, r->kind >= HWD_ROOT_GLOBAL && r->kind < HWD_ROOT_KIND__COUNT ? hw_root_kind_name(r->kind) : "root");
	const hwd_reader *reader = hw_graph_reader(g);
	if (r->kind == HWD_ROOT_STACK && reader && r->frame != HWD_NONE && r->frame < hwd_reader_frame_count(reader)) {
		const char *fn = hw_graph_string(g, hwd_reader_frame(reader, r->frame).func, &len);
		g_string_append_c(out, ' ');
		append_masked(out, fn, len);
	}
	const char *name = hw_graph_string(g, r->name, &len);
	if (len) {
		g_string_append_c(out, ' ');
		append_masked(out, name, len);
	}
	append_type(out, g, r->object);
	for (guint i = 0; i < path->steps->len; i++) {
		const hw_path_step *s = &g_array_index(path->steps, hw_path_step, i);
		g_string_append(out, " -> ");
		const char *label = hw_graph_string(g, s->label, &len);
		if (len)
			append_masked(out, label, len);
		else if (s->offset != HWD_EDGE_OFFSET_UNKNOWN)
			g_string_append_printf(out, "+%u", s->offset);
		else
			g_string_append(out, "+?");
		append_type(out, g, s->to);
	}
}

char *hw_groups_signature(const hw_graph *g, const hw_path_index *p, uint32_t object)
{
	hw_path path;
	if (!hw_path_find(p, object, &path))
		return NULL;
	GString *out = g_string_new(NULL);
	append_signature(out, g, &path);
	hw_path_clear(&path);
	return g_string_free(out, FALSE);
}

static uint32_t member_key(uint32_t v, void *user)
{
	return hw_bit(user, v);
}

static void group_free(gpointer p)
{
	hw_group *grp = p;
	g_free(grp->signature);
	g_free(grp);
}

static int group_cmp(gconstpointer a, gconstpointer b)
{
	const hw_group *x = *(hw_group *const *)a, *y = *(hw_group *const *)b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->signature, y->signature);
}

GPtrArray *hw_groups_compute(hw_domtree *d, const hw_path_index *p,
                             const uint32_t *members, size_t n_members, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	const uint32_t n = hw_graph_n_objects(g);
	guint8 *is_member = g_try_malloc0((gsize)n / 8 + 1);
	if (!is_member) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the member set");
		return NULL;
	}
	for (size_t i = 0; i < n_members; i++)
		if (members[i] < n)
			is_member[members[i] >> 3] |= (guint8)(1u << (members[i] & 7));
	guint8 *outer = hw_domtree_outermost(d, member_key, 2, is_member);
	if (!outer) {
		g_free(is_member);
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the dominator walk");
		return NULL;
	}
	/* Members are visited once each (duplicates in the input are ignored via is_member). */
	GHashTable *by_sig = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *out = g_ptr_array_new_with_free_func(group_free);
	GString *sig = g_string_new(NULL);
	for (size_t i = 0; i < n_members; i++) {
		uint32_t v = members[i];
		if (v >= n || !hw_bit(is_member, v))
			continue;
		is_member[v >> 3] &= (guint8)~(1u << (v & 7));
		hw_path path;
		if (!hw_path_find(p, v, &path))
			continue;
		g_string_truncate(sig, 0);
		append_signature(sig, g, &path);
		hw_path_clear(&path);
		hw_group *grp = g_hash_table_lookup(by_sig, sig->str);
		if (!grp) {
			grp = g_new0(hw_group, 1);
			grp->signature = g_strdup(sig->str);
			grp->example = v;
			g_hash_table_insert(by_sig, grp->signature, grp);
			g_ptr_array_add(out, grp);
		}
		uint64_t ret = hw_retained_size(d, v);
		grp->count++;
		grp->bytes += hw_graph_object_size(g, v);
		if (hw_bit(outer, v))
			grp->retained += ret;
		if (ret > hw_retained_size(d, grp->example))
			grp->example = v;
	}
	g_string_free(sig, TRUE);
	g_hash_table_destroy(by_sig);
	g_free(outer);
	g_free(is_member);
	g_ptr_array_sort(out, group_cmp);
	return out;
}
