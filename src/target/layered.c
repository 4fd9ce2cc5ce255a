/* layered.c - a memory source stacked on another: upper where it has the bytes, lower elsewhere.
 *
 * A core keeps the memory the kernel or gcore wrote; the executable file supplies what they
 * left out (read-only, file-backed text and rodata). An image keeps what the dumper copied; the
 * executable supplies the rest. Whether upper "has" an address is decided by its regions, so a
 * read may be split into pieces served by different layers.
 */
#include "target/memsrc-private.h"

typedef struct {
	hw_memsrc base;
	hw_memsrc_class klass;   /* layered_class, volatile when either layer is */
	hw_memsrc *upper;
	hw_memsrc *lower;
} layered;

/* Index of the first region of r[0..n) whose end is above addr (n if none). */
static gsize first_ending_after(const hw_region *r, gsize n, guint64 addr)
{
	gsize lo = 0, hi = n;
	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;
		if (r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static gboolean layered_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	layered *l = (layered *)m;
	gsize n;
	GError *local = NULL;
	const hw_region *r = hw_memsrc_regions(l->upper, &n, &local);
	guint64 pos = addr, end = addr + len;

	if (local) {
		g_propagate_error(err, local);
		return FALSE;
	}
	while (pos < end) {
		gsize i = first_ending_after(r, n, pos);
		guint64 stop;
		hw_memsrc *from;

		if (i < n && r[i].start <= pos) {
			stop = MIN(r[i].end, end);
			from = l->upper;
		} else {
			stop = i < n ? MIN(r[i].start, end) : end;
			from = l->lower;
		}
		if (!hw_memsrc_read(from, pos, (guint8 *)buf + (pos - addr), stop - pos, err))
			return FALSE;
		pos = stop;
	}
	return TRUE;
}

static gint region_cmp(gconstpointer a, gconstpointer b)
{
	const hw_region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static gboolean layered_load_regions(hw_memsrc *m, GArray *out, GError **err)
{
	layered *l = (layered *)m;
	gsize nu, nl;
	GError *local = NULL;
	const hw_region *r = hw_memsrc_regions(l->upper, &nu, &local);
	if (local) {
		g_propagate_error(err, local);
		return FALSE;
	}
	/* Keep our own copy: loading the lower layer must not disturb it. Names are copied
	 * into m->names so they live as long as this source. */
	g_autoptr(GArray) upper = g_array_sized_new(FALSE, FALSE, sizeof(hw_region), nu);
	g_array_append_vals(upper, r, nu);
	for (gsize k = 0; k < nu; k++) {
		hw_region *reg = &g_array_index(upper, hw_region, k);
		reg->name = g_string_chunk_insert_const(m->names, reg->name);
	}
	const hw_region *u = (const hw_region *)upper->data;
	const hw_region *lo = hw_memsrc_regions(l->lower, &nl, &local);
	if (local) {
		g_propagate_error(err, local);
		return FALSE;
	}
	g_array_append_vals(out, u, nu);

	/* Every piece of a lower region that no upper region covers. */
	for (gsize k = 0; k < nl; k++) {
		guint64 pos = lo[k].start;
		gsize i = first_ending_after(u, nu, pos);
		while (pos < lo[k].end) {
			if (i < nu && u[i].start <= pos) {
				pos = u[i].end;
				i++;
				continue;
			}
			guint64 stop = (i < nu) ? MIN(u[i].start, lo[k].end) : lo[k].end;
			hw_region piece = lo[k];
			piece.file_offset += pos - lo[k].start;
			piece.start = pos;
			piece.end = stop;
			piece.name = g_string_chunk_insert_const(m->names, lo[k].name);
			g_array_append_val(out, piece);
			pos = stop;
		}
	}
	g_array_sort(out, region_cmp);
	return TRUE;
}

static void layered_finalize(hw_memsrc *m)
{
	layered *l = (layered *)m;
	hw_memsrc_unref(l->upper);
	hw_memsrc_unref(l->lower);
}

static const hw_memsrc_class layered_class = {
	.kind = "layered",
	.read = layered_read,
	.load_regions = layered_load_regions,
	.finalize = layered_finalize,
	.volatile_regions = FALSE,
};

hw_memsrc *hw_memsrc_new_layered(hw_memsrc *upper, hw_memsrc *lower)
{
	g_return_val_if_fail(upper != NULL && lower != NULL, NULL);
	layered *l = g_new0(layered, 1);
	l->klass = layered_class;
	l->klass.volatile_regions = upper->klass->volatile_regions ||
				    lower->klass->volatile_regions;
	hw_memsrc_init(&l->base, &l->klass,
		       g_strdup_printf("%s over %s", hw_memsrc_describe(upper),
				       hw_memsrc_describe(lower)));
	l->upper = hw_memsrc_ref(upper);
	l->lower = hw_memsrc_ref(lower);
	return &l->base;
}
