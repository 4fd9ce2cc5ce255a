/* pprof.c - retention profiles: a tree over the reachable objects -> aggregated stacks -> profile.proto -> gzip.
 *
 * Three steps (see pprof.h for the model). First every reachable object is placed in a trie of
 * frames keyed by (parent frame, label): the frame of an object is the child of its tree parent's
 * frame with the object's label, so identical stacks share one frame, and the index, run and
 * depth bounds are applied right there, by choosing which frame an object lands in. Objects are
 * visited parents first (an explicit stack over the dominator tree, or the path index's chains),
 * so frames are created parents first too and cumulative sizes come from one reverse pass.
 * Second, frames whose cum is below the threshold are folded into an "(other)" frame of their
 * parent, raising the threshold until the sample cap holds. Third, the surviving frames are
 * written by hand with protobuf.h and gzipped by GIO's zlib compressor.
 *
 * Memory: 4 bytes per object (its frame), 5 more in dominator mode (the edge that labels it),
 * about 60 bytes per frame, and one string per distinct label. The frame count is at most the
 * reachable object count, and far less once identical stacks merge.
 */
#include "pprof.h"

#include <errno.h>
#include <gio/gio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "protobuf.h"
#include "retained.h"

/* Labels of the frames that stand for no single object. */
#define LABEL_OTHER "(other)"
#define LABEL_SEVERAL_ROOTS "(several roots)"

typedef struct frame {
	uint32_t parent;        /* frame index, HW_NONE at the top of a stack */
	uint32_t label;         /* index in builder.labels */
	uint32_t depth;         /* frames from the top of the stack to this one, this one included */
	uint64_t flat_count, flat_bytes;   /* the objects placed in this frame */
	uint64_t cum_count, cum_bytes;     /* ... and in every frame below it */
} frame;

typedef struct builder {
	const hw_graph *g;
	const hw_pprof_options *opt;
	GArray *frames;              /* of frame, parents before children */
	GPtrArray *labels;           /* owned strings; a label's id is its index */
	GHashTable *label_ids;       /* label string (borrowed from labels) -> id + 1 */
	uint32_t *slots;             /* open addressing: frame index + 1 keyed by (parent, label); 0 empty */
	size_t n_slots;              /* a power of two, kept at most half full */
	uint32_t *frame_of;          /* per object: its frame, HW_NONE until placed */
	GString *text;               /* scratch for building labels */
} builder;

/* ---- labels ---------------------------------------------------------------------- */

static uint32_t intern(builder *b, const char *s)
{
	gpointer id;

	if (g_hash_table_lookup_extended(b->label_ids, s, NULL, &id))
		return GPOINTER_TO_UINT(id) - 1;
	char *copy = g_strdup(s);
	g_ptr_array_add(b->labels, copy);
	g_hash_table_insert(b->label_ids, copy, GUINT_TO_POINTER(b->labels->len));
	return b->labels->len - 1;
}

/* Appends a name with hexadecimal numbers ("0xc000012340") replaced by "0x?": addresses differ
 * between dumps, and a label that holds one would defeat -diff_base. */
static void append_masked(GString *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '0' && i + 2 < len && (s[i + 1] == 'x' || s[i + 1] == 'X') && g_ascii_isxdigit(s[i + 2])) {
			g_string_append(out, "0x?");
			for (i += 2; i + 1 < len && g_ascii_isxdigit(s[i + 1]); i++)
				;
			continue;
		}
		g_string_append_c(out, s[i]);
	}
}

/* " (TYPE)" for object v, "?" when the type is unknown. */
static void append_type(builder *b, uint32_t v)
{
	uint32_t len;
	const char *name = hw_graph_type_name(b->g, hw_graph_object(b->g, v).type, &len);

	g_string_append(b->text, " (");
	if (len)
		append_masked(b->text, name, len);
	else
		g_string_append_c(b->text, '?');
	g_string_append_c(b->text, ')');
}

/* The index of an element label "[123]", or -1 for any other label. */
static int64_t element_index(const char *s, uint32_t len)
{
	if (len < 3 || len > 12 || s[0] != '[' || s[len - 1] != ']')
		return -1;
	int64_t v = 0;
	for (uint32_t i = 1; i + 1 < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The frame label of object `to` reached by `e`: "field (T)", "[3] (T)", "[10+] (T)",
 * "+24 (T)" for an unnamed edge. `direct` is false when the edge's source is not the object's
 * tree parent (a dominator reaching it through several paths): the label then starts "...". */
static uint32_t edge_label(builder *b, const hwd_edge *e, uint32_t to, gboolean direct)
{
	uint32_t len;
	const char *name = hw_graph_string(b->g, e->label, &len);
	int64_t index = element_index(name, len);

	g_string_truncate(b->text, 0);
	if (!direct)
		g_string_append(b->text, "...");
	if (index >= 0 && b->opt->index_limit && index >= (int64_t)b->opt->index_limit)
		g_string_append_printf(b->text, "[%" PRIu32 "+]", b->opt->index_limit);
	else if (len)
		append_masked(b->text, name, len);
	else if (hwd_edge_offset_of(e) != HWD_EDGE_OFFSET_UNKNOWN)
		g_string_append_printf(b->text, "+%" PRIu32, hwd_edge_offset_of(e));
	else
		g_string_append(b->text, "+?");
	append_type(b, to);
	return intern(b, b->text->str);
}

/* The frame label of a root's target: "main.cache (T)" for a global, "pkg.func.var (T)" for a
 * stack slot (the frame's function, never the goroutine), the root's name otherwise. */
static uint32_t root_label(builder *b, uint64_t record)
{
	hwd_root r = hw_graph_root(b->g, record);
	const hwd_reader *reader = hw_graph_reader(b->g);
	uint32_t len;

	g_string_truncate(b->text, 0);
	if (r.kind == HWD_ROOT_STACK && reader && r.frame != HWD_NONE && r.frame < hwd_reader_frame_count(reader)) {
		const char *fn = hw_graph_string(b->g, hwd_reader_frame(reader, r.frame).func, &len);
		append_masked(b->text, fn, len);
		g_string_append_c(b->text, '.');
	}
	const char *name = hw_graph_string(b->g, r.name, &len);
	if (len)
		append_masked(b->text, name, len);
	else
		g_string_append(b->text, "root");
	append_type(b, r.object);
	return intern(b, b->text->str);
}

/* ---- the frame trie -------------------------------------------------------------- */

static size_t slot_of(const builder *b, uint32_t parent, uint32_t label)
{
	uint64_t h = ((uint64_t)parent << 32 | label) * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(h >> 17) & (b->n_slots - 1);
}

static void grow_slots(builder *b)
{
	uint32_t *old = b->slots;
	size_t n_old = b->n_slots;

	b->n_slots = n_old ? 2 * n_old : 1024;
	b->slots = g_new0(uint32_t, b->n_slots);
	for (size_t i = 0; i < n_old; i++) {
		if (!old[i])
			continue;
		const frame *f = &g_array_index(b->frames, frame, old[i] - 1);
		size_t s = slot_of(b, f->parent, f->label);
		while (b->slots[s])
			s = (s + 1) & (b->n_slots - 1);
		b->slots[s] = old[i];
	}
	g_free(old);
}

/* The child of `parent` (HW_NONE: the top) labelled `label`, created if new. */
static uint32_t child_frame(builder *b, uint32_t parent, uint32_t label)
{
	if (2 * (b->frames->len + 1) > b->n_slots)
		grow_slots(b);
	size_t s = slot_of(b, parent, label);
	for (; b->slots[s]; s = (s + 1) & (b->n_slots - 1)) {
		const frame *f = &g_array_index(b->frames, frame, b->slots[s] - 1);
		if (f->parent == parent && f->label == label)
			return b->slots[s] - 1;
	}
	frame f = { .parent = parent, .label = label, .depth = 1 };
	if (parent != HW_NONE)
		f.depth = g_array_index(b->frames, frame, parent).depth + 1;
	g_array_append_val(b->frames, f);
	b->slots[s] = b->frames->len;
	return b->frames->len - 1;
}

/* Places object v, labelled `label`, under the frame `parent`: in a new or shared child frame,
 * or in `parent` itself when the run or depth bound says so. */
static void place(builder *b, uint32_t v, uint32_t parent, uint32_t label)
{
	uint32_t at;

	if (parent != HW_NONE && b->opt->max_depth && g_array_index(b->frames, frame, parent).depth >= b->opt->max_depth)
		at = parent;
	else if (parent != HW_NONE && b->opt->fold_runs && g_array_index(b->frames, frame, parent).label == label)
		at = parent;
	else
		at = child_frame(b, parent, label);
	frame *f = &g_array_index(b->frames, frame, at);
	f->flat_count++;
	f->flat_bytes += hw_graph_object_size(b->g, v);
	b->frame_of[v] = at;
}

/* ---- dominator stacks -------------------------------------------------------------- */

/* For every reachable object, the edge that names it: the first from its immediate dominator,
 * or else (the dominator reaches it only through other objects) the first from any reachable
 * object, with its bit set in *indirect. HW_NONE for root targets and unreachable objects. */
static uint32_t *label_edges(const hw_graph *g, hw_domtree *dom, guint8 **indirect)
{
	uint32_t n = hw_graph_n_objects(g);
	uint32_t *edge = g_try_new(uint32_t, MAX(n, 1));
	guint8 *bits = g_try_malloc0(n / 8 + 1);

	if (!edge || !bits) {
		g_free(edge);
		g_free(bits);
		return NULL;
	}
	memset(edge, 0xff, (size_t)n * sizeof *edge);
	for (uint32_t u = 0; u < n; u++) {
		if (!hw_domtree_reachable(dom, u))
			continue;
		uint64_t e, end;
		for (hw_graph_out_edges(g, u, &e, &end); e < end; e++) {
			hwd_edge r = hw_graph_edge(g, e);
			if (!hw_edge_is_strong(&r) || r.to == u)
				continue;
			gboolean direct = hw_domtree_idom(dom, r.to) == u;
			if (edge[r.to] == HW_NONE || (direct && hw_bit(bits, r.to))) {
				edge[r.to] = (uint32_t)e;
				if (direct)
					bits[r.to >> 3] &= (guint8)~(1u << (r.to & 7));
				else
					bits[r.to >> 3] |= (guint8)(1u << (r.to & 7));
			}
		}
	}
	*indirect = bits;
	return edge;
}

static gboolean place_dominators(builder *b, hw_domtree *dom, GError **error)
{
	const hw_graph *g = b->g;
	g_autofree guint8 *indirect = NULL;
	g_autofree uint32_t *edge = label_edges(g, dom, &indirect);
	g_autoptr(GHashTable) root_of = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	uint32_t several = HW_NONE;

	if (!edge) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory for the labels of %" PRIu32 " objects",
		            hw_graph_n_objects(g));
		return FALSE;
	}
	for (uint32_t k = 0; k < hw_graph_n_root_targets(g); k++)
		g_hash_table_insert(root_of, GUINT_TO_POINTER(hw_graph_root_target(g, k) + 1), GUINT_TO_POINTER(k));

	uint32_t top = hw_graph_super_root(g);
	g_array_append_val(stack, top);
	while (stack->len) {
		uint32_t u = g_array_index(stack, uint32_t, stack->len - 1), count;
		g_array_set_size(stack, stack->len - 1);
		const uint32_t *children = hw_domtree_children(dom, u, &count);
		if (!children && hw_retained_size(dom, u) > (u == top ? 0 : hw_graph_object_size(g, u))) {
			g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory for the dominator tree's children index");
			return FALSE;
		}
		for (uint32_t i = 0; i < count; i++) {
			uint32_t v = children[i];
			gpointer k;
			if (u == top && g_hash_table_lookup_extended(root_of, GUINT_TO_POINTER(v + 1), NULL, &k)) {
				uint64_t record = hw_graph_root_target_record(g, GPOINTER_TO_UINT(k));
				place(b, v, HW_NONE, root_label(b, record));
			} else {
				hwd_edge e = hw_graph_edge(g, edge[v]);
				/* Below the super-root but the target of no root: several roots share it. */
				if (u == top && several == HW_NONE)
					several = child_frame(b, HW_NONE, intern(b, LABEL_SEVERAL_ROOTS));
				uint32_t parent = u == top ? several : b->frame_of[u];
				place(b, v, parent, edge_label(b, &e, v, u != top && !hw_bit(indirect, v)));
			}
			g_array_append_val(stack, v);
		}
	}
	return TRUE;
}

/* ---- first-reached chains ---------------------------------------------------------- */

/* Each object's chain comes from hw_path_find(); an object already placed (an earlier chain went
 * through it) is not searched again, and every object on a new chain is placed at once. */
static void place_paths(builder *b, const hw_path_index *paths)
{
	uint32_t n = hw_graph_n_objects(b->g);

	/* Deepest-looking objects first: in address-ordered lists the tail comes last, so its one
	 * chain places the whole list. */
	for (uint32_t i = n; i-- > 0;) {
		hw_path path;
		if (b->frame_of[i] != HW_NONE || !hw_path_find(paths, i, &path))
			continue;
		uint32_t first = path.root.object;
		if (b->frame_of[first] == HW_NONE)
			place(b, first, HW_NONE, root_label(b, path.root_record));
		for (guint s = 0; s < path.steps->len; s++) {
			const hw_path_step *st = &g_array_index(path.steps, hw_path_step, s);
			if (b->frame_of[st->to] != HW_NONE)
				continue;
			hwd_edge e = hw_graph_edge(b->g, st->edge);
			place(b, st->to, b->frame_of[st->from], edge_label(b, &e, st->to, TRUE));
		}
		hw_path_clear(&path);
	}
}

/* ---- folding small frames ---------------------------------------------------------- */

/* Which frames survive folding at `fraction`: kept[i], and for every parent p (index p + 1; 0 is
 * the top) the objects of its folded children, in other_count/other_bytes. Returns the samples
 * the profile would have. Frames come parents first, so one forward pass decides. */
static uint64_t fold(const builder *b, double fraction, uint64_t total, guint8 *kept,
                     uint64_t *other_count, uint64_t *other_bytes)
{
	uint32_t n = b->frames->len;
	uint64_t samples = 0;
	double threshold = fraction * (double)total;

	memset(other_count, 0, ((size_t)n + 1) * sizeof *other_count);
	memset(other_bytes, 0, ((size_t)n + 1) * sizeof *other_bytes);
	for (uint32_t i = 0; i < n; i++) {
		const frame *f = &g_array_index(b->frames, frame, i);
		gboolean parent_kept = f->parent == HW_NONE || kept[f->parent];
		kept[i] = parent_kept && (double)f->cum_bytes >= threshold;
		if (kept[i]) {
			samples += f->flat_count > 0;
		} else if (parent_kept) {
			size_t slot = f->parent == HW_NONE ? 0 : (size_t)f->parent + 1;
			samples += other_count[slot] == 0 && f->cum_count > 0;
			other_count[slot] += f->cum_count;
			other_bytes[slot] += f->cum_bytes;
		}
	}
	return samples;
}

/* ---- encoding ---------------------------------------------------------------------- */

/* profile.proto field numbers (google/pprof proto/profile.proto). */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12, PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1, FUNCTION_NAME = 2,
};

/* The string table being written: strings in order, each borrowed, with their indices. */
typedef struct strtab {
	GPtrArray *strings;
	GHashTable *index;   /* string -> index + 1 */
} strtab;

static uint64_t str(strtab *t, const char *s)
{
	gpointer i;

	if (g_hash_table_lookup_extended(t->index, s, NULL, &i))
		return GPOINTER_TO_UINT(i) - 1;
	g_ptr_array_add(t->strings, (gpointer)s);
	g_hash_table_insert(t->index, (gpointer)s, GUINT_TO_POINTER(t->strings->len));
	return t->strings->len - 1;
}

typedef struct encoder {
	const builder *b;
	hw_pb *profile, *msg, *scratch;
	uint32_t *location_of;   /* per label: its location (= function) id, 0 not yet written */
	uint32_t n_locations;
	GArray *ids;             /* of uint64_t: one stack, leaf first */
	uint32_t other_label;
} encoder;

static uint64_t location(encoder *en, uint32_t label)
{
	if (!en->location_of[label])
		en->location_of[label] = ++en->n_locations;
	return en->location_of[label];
}

/* One sample: `first` (a label, or HW_NONE) then the labels from frame `from` to the top. */
static void sample(encoder *en, uint32_t first, uint32_t from, uint64_t count, uint64_t bytes)
{
	uint64_t values[2] = { count, bytes };

	g_array_set_size(en->ids, 0);
	if (first != HW_NONE) {
		uint64_t id = location(en, first);
		g_array_append_val(en->ids, id);
	}
	for (uint32_t i = from; i != HW_NONE; i = g_array_index(en->b->frames, frame, i).parent) {
		uint64_t id = location(en, g_array_index(en->b->frames, frame, i).label);
		g_array_append_val(en->ids, id);
	}
	hw_pb_reset(en->msg);
	hw_pb_packed(en->msg, SAMPLE_LOCATION_ID, (const uint64_t *)(void *)en->ids->data, en->ids->len, en->scratch);
	hw_pb_packed(en->msg, SAMPLE_VALUE, values, 2, en->scratch);
	hw_pb_message(en->profile, PROFILE_SAMPLE, en->msg);
}

static void value_type(encoder *en, uint32_t field, strtab *t, const char *type, const char *unit)
{
	hw_pb_reset(en->msg);
	hw_pb_uint(en->msg, VALUE_TYPE_TYPE, str(t, type));
	hw_pb_uint(en->msg, VALUE_TYPE_UNIT, str(t, unit));
	hw_pb_message(en->profile, field, en->msg);
}

/* Encodes the profile: header, samples (kept frames in order, then the "(other)" frames),
 * mapping, locations and functions (one per label used), and the string table last. */
static void encode(const builder *b, const guint8 *kept, const uint64_t *other_count,
                   const uint64_t *other_bytes, const char *comment, uint64_t time_ns, hw_pb *profile,
                   uint64_t *n_samples, uint64_t *n_locations)
{
	g_auto(hw_pb) msg = { 0 };
	g_auto(hw_pb) scratch = { 0 };
	g_autofree uint32_t *location_of = g_new0(uint32_t, b->labels->len + 1);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	strtab t = { g_ptr_array_new(), g_hash_table_new(g_str_hash, g_str_equal) };
	uint32_t n = b->frames->len;
	encoder en = { b, profile, &msg, &scratch, location_of, 0, ids, b->labels->len };

	hw_pb_init(&msg);
	hw_pb_init(&scratch);
	str(&t, "");
	value_type(&en, PROFILE_SAMPLE_TYPE, &t, "inuse_objects", "count");
	value_type(&en, PROFILE_SAMPLE_TYPE, &t, "inuse_space", "bytes");
	value_type(&en, PROFILE_PERIOD_TYPE, &t, "space", "bytes");
	hw_pb_uint(profile, PROFILE_PERIOD, 1);
	hw_pb_uint(profile, PROFILE_DEFAULT_SAMPLE_TYPE, str(&t, "inuse_space"));
	hw_pb_uint(profile, PROFILE_TIME_NANOS, time_ns);
	hw_pb_uint(profile, PROFILE_COMMENT, str(&t, comment));

	*n_samples = 0;
	for (uint32_t i = 0; i < n; i++) {
		const frame *f = &g_array_index(b->frames, frame, i);
		if (kept[i] && f->flat_count) {
			sample(&en, HW_NONE, i, f->flat_count, f->flat_bytes);
			++*n_samples;
		}
	}
	for (uint32_t slot = 0; slot <= n; slot++) {
		if (other_count[slot]) {
			sample(&en, en.other_label, slot ? slot - 1 : HW_NONE, other_count[slot], other_bytes[slot]);
			++*n_samples;
		}
	}

	/* One mapping, so that pprof prints no "binary not found" warning; has_functions tells it
	 * the locations are already symbolized. */
	hw_pb_reset(&msg);
	hw_pb_uint(&msg, MAPPING_ID, 1);
	hw_pb_uint(&msg, MAPPING_FILENAME, str(&t, "heapwalk"));
	hw_pb_uint(&msg, MAPPING_HAS_FUNCTIONS, 1);
	hw_pb_message(profile, PROFILE_MAPPING, &msg);

	/* Location id = function id, dense in order of first use. Only `name` is set: pprof's
	 * demangler rewrites names equal to system_name ("payload ([]uint8)" -> "payload "). */
	g_autofree uint32_t *label_of = g_new(uint32_t, en.n_locations + 1);
	for (uint32_t l = 0; l <= b->labels->len; l++)
		if (location_of[l])
			label_of[location_of[l]] = l;
	for (uint32_t id = 1; id <= en.n_locations; id++) {
		const char *name = label_of[id] == en.other_label ? LABEL_OTHER
		                                                   : g_ptr_array_index(b->labels, label_of[id]);
		hw_pb_reset(&scratch);
		hw_pb_uint(&scratch, LINE_FUNCTION_ID, id);
		hw_pb_reset(&msg);
		hw_pb_uint(&msg, LOCATION_ID, id);
		hw_pb_uint(&msg, LOCATION_MAPPING_ID, 1);
		hw_pb_message(&msg, LOCATION_LINE, &scratch);
		hw_pb_message(profile, PROFILE_LOCATION, &msg);
		hw_pb_reset(&msg);
		hw_pb_uint(&msg, FUNCTION_ID, id);
		hw_pb_uint(&msg, FUNCTION_NAME, str(&t, name));
		hw_pb_message(profile, PROFILE_FUNCTION, &msg);
	}
	for (guint i = 0; i < t.strings->len; i++) {
		const char *s = g_ptr_array_index(t.strings, i);
		hw_pb_bytes(profile, PROFILE_STRING_TABLE, s, strlen(s));
	}
	*n_locations = en.n_locations;
	g_ptr_array_free(t.strings, TRUE);
	g_hash_table_destroy(t.index);
}

static GBytes *gzip(const hw_pb *profile, int level, GError **error)
{
	g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, level);
	g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
	g_autoptr(GOutputStream) out = g_converter_output_stream_new(mem, G_CONVERTER(z));

	if (!g_output_stream_write_all(out, profile->bytes->data, profile->bytes->len, NULL, NULL, error) ||
	    !g_output_stream_close(out, NULL, error))
		return NULL;
	return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(mem));
}

/* ---- the whole ------------------------------------------------------------------- */

static void builder_clear(builder *b)
{
	g_clear_pointer(&b->frames, g_array_unref);
	g_clear_pointer(&b->label_ids, g_hash_table_destroy);
	g_clear_pointer(&b->labels, g_ptr_array_unref);
	g_clear_pointer(&b->slots, g_free);
	g_clear_pointer(&b->frame_of, g_free);
	if (b->text)
		g_string_free(b->text, TRUE);
	b->text = NULL;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(builder, builder_clear)

static char *describe(const hw_pprof_options *opt, double fraction)
{
	return g_strdup_printf("heapwalk retention profile: %s; flat = bytes of the objects in a frame, cum = %s. "
	                       "Bounds: index-limit %" PRIu32 ", fold-runs %s, max-depth %" PRIu32
	                       ", min-fraction %g, max-samples %" PRIu64 " (0 = off)",
	                       opt->mode == HW_PPROF_PATHS ? "first-reached reference chains" : "dominator-tree paths",
	                       opt->mode == HW_PPROF_PATHS ? "bytes first reached through it" : "retained bytes",
	                       opt->index_limit, opt->fold_runs ? "on" : "off", opt->max_depth, fraction,
	                       opt->max_samples);
}

GBytes *hw_pprof_build(const hw_graph *g, hw_domtree *dom, const hw_path_index *paths,
                       const hw_pprof_options *opt, hw_pprof_stats *stats, GError **error)
{
	g_auto(builder) b = { 0 };
	g_auto(hw_pb) profile = { 0 };
	uint32_t n = hw_graph_n_objects(g);
	hw_pprof_stats st = { 0 };

	if (opt->mode == HW_PPROF_DOMINATORS ? !dom : !paths) {
		g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "pprof: mode %s needs the %s",
		            opt->mode == HW_PPROF_DOMINATORS ? "dominators" : "paths",
		            opt->mode == HW_PPROF_DOMINATORS ? "dominator tree" : "path index");
		return NULL;
	}
	b.g = g;
	b.opt = opt;
	b.frames = g_array_new(FALSE, FALSE, sizeof(frame));
	b.labels = g_ptr_array_new_with_free_func(g_free);
	b.label_ids = g_hash_table_new(g_str_hash, g_str_equal);
	b.text = g_string_new(NULL);
	b.frame_of = g_try_new(uint32_t, MAX(n, 1));
	if (!b.frame_of) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory for the frames of %" PRIu32 " objects", n);
		return NULL;
	}
	memset(b.frame_of, 0xff, (size_t)n * sizeof *b.frame_of);
	if (opt->mode == HW_PPROF_DOMINATORS) {
		if (!place_dominators(&b, dom, error))
			return NULL;
	} else {
		place_paths(&b, paths);
	}

	/* Cumulative values: children come after their parents. */
	for (uint32_t i = b.frames->len; i-- > 0;) {
		frame *f = &g_array_index(b.frames, frame, i);
		f->cum_count += f->flat_count;
		f->cum_bytes += f->flat_bytes;
		st.objects += f->flat_count;
		st.bytes += f->flat_bytes;
		if (f->parent != HW_NONE) {
			g_array_index(b.frames, frame, f->parent).cum_count += f->cum_count;
			g_array_index(b.frames, frame, f->parent).cum_bytes += f->cum_bytes;
		}
	}

	size_t nf = b.frames->len;
	g_autofree guint8 *kept = g_try_malloc(MAX(nf, 1));
	g_autofree uint64_t *other_count = g_try_new(uint64_t, nf + 1);
	g_autofree uint64_t *other_bytes = g_try_new(uint64_t, nf + 1);
	if (!kept || !other_count || !other_bytes) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory for %zu frames", nf);
		return NULL;
	}
	/* The smallest fraction tried when the cap forces folding with min_fraction 0: one byte
	 * in a million is below anything a flame graph can show. */
	double fraction = opt->min_fraction;
	uint64_t samples = fold(&b, fraction, st.bytes, kept, other_count, other_bytes);
	while (opt->max_samples && samples > opt->max_samples) {
		fraction = fraction > 0 ? 2 * fraction : 1e-6;
		st.capped = TRUE;
		samples = fold(&b, fraction, st.bytes, kept, other_count, other_bytes);
	}

	uint64_t time_ns = 0;
	const hwd_reader *reader = hw_graph_reader(g);
	if (reader)
		hwd_reader_meta_u64(reader, "capture.time_ns", &time_ns);
	g_autofree char *comment = describe(opt, fraction);
	hw_pb_init(&profile);
	encode(&b, kept, other_count, other_bytes, comment, time_ns, &profile, &st.samples, &st.locations);
	st.frames = nf;
	st.fraction = fraction;
	st.uncompressed = profile.bytes->len;
	if (stats)
		*stats = st;
	return gzip(&profile, opt->gzip_level, error);
}

/* Writes all of `p` to an open stream; `name` is for the message. */
static gboolean write_stream(FILE *f, const char *name, const void *p, gsize len, GError **error)
{
	if (fwrite(p, 1, len, f) != len || fflush(f) != 0) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "writing the profile to %s failed: %s",
		            name, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

gboolean hw_pprof_write(const char *path, const hw_graph *g, hw_domtree *dom, const hw_path_index *paths,
                        const hw_pprof_options *opt, hw_pprof_stats *stats, GError **error)
{
	g_autoptr(GBytes) data = hw_pprof_build(g, dom, paths, opt, stats, error);
	gsize len;

	if (!data)
		return FALSE;
	const void *p = g_bytes_get_data(data, &len);
	if (strcmp(path, "-") == 0)
		return write_stream(stdout, "standard output", p, len, error);
	/* A regular file (or a new one) is replaced atomically; anything else that exists (a
	 * device such as /dev/null, a FIFO) is written in place, never replaced by a file. */
	if (!g_file_test(path, G_FILE_TEST_EXISTS) || g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return g_file_set_contents(path, p, (gssize)len, error);
	FILE *f = fopen(path, "wb");
	if (!f) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot open %s: %s", path, g_strerror(e));
		return FALSE;
	}
	gboolean ok = write_stream(f, path, p, len, error);
	if (fclose(f) != 0 && ok) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "writing the profile to %s failed: %s",
		            path, g_strerror(e));
		ok = FALSE;
	}
	return ok;
}
