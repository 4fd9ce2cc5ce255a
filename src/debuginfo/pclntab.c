/* pclntab.c - Go's pc-value tables, copied once from the target and decoded on demand.
 *
 * Each table (funcnametab, cutab, filetab, pctab, pclntable, ftab) is copied into a GBytes
 * after its length has been checked against a sane limit; every later index into one goes
 * through a bounds-checked accessor that names the table and the offset when it fails.
 */
#include "debuginfo/pclntab.h"

#include <string.h>

#define PCLNTAB_MAGIC_GO120 0xfffffff1u
#define FUNC_FIXED_SIZE 44u        /* runtime._func without pcdata/funcdata */
#define INLINED_CALL_SIZE 16u      /* runtime.inlinedCall */
#define STACK_OBJECT_SIZE 16u      /* runtime.stackObjectRecord */
#define MAX_TABLE_BYTES (1ull << 30)
#define MAX_INLINE_DEPTH 1024      /* guards against a cyclic inline tree */
#define MAX_STACKMAP_BITS (1u << 24)
#define MAX_STACK_OBJECTS (1u << 16)

struct hw_pclntab {
	hw_memsrc *mem;
	hw_moduledata md;
	guint32 nfunc;
	GBytes *funcnametab, *cutab, *filetab, *pctab, *pclntable, *ftab;
};

static gboolean corrupt(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean corrupt(GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT, "pclntab: %s", msg);
	return FALSE;
}

static GBytes *copy_slice(hw_memsrc *mem, const char *name, const hw_goslice *s, gsize elem,
			  GError **err)
{
	if (s->len > s->cap || (elem && s->len > MAX_TABLE_BYTES / elem)) {
		corrupt(err, "moduledata.%s has length %" G_GUINT64_FORMAT " (cap %"
			G_GUINT64_FORMAT ")", name, s->len, s->cap);
		return NULL;
	}
	gsize bytes = (gsize)(s->len * elem);
	guint8 *buf = g_malloc(bytes ? bytes : 1);
	if (!hw_memsrc_read(mem, s->ptr, buf, bytes, err)) {
		g_prefix_error(err, "reading moduledata.%s: ", name);
		g_free(buf);
		return NULL;
	}
	return g_bytes_new_take(buf, bytes);
}

static gboolean get_u32(GBytes *b, const char *table, guint64 off, guint32 *out, GError **err)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(b, &len);
	*out = 0;
	if (off > len || 4 > len - off) {
		corrupt(err, "offset %" G_GUINT64_FORMAT " is outside %s (%" G_GSIZE_FORMAT
			" bytes)", off, table, len);
		return FALSE;
	}
	guint32 v;
	memcpy(&v, p + off, 4);
	*out = GUINT32_FROM_LE(v);
	return TRUE;
}

/* A NUL-terminated string at off of b. */
static const char *get_str(GBytes *b, const char *table, guint64 off, GError **err)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(b, &len);
	if (off >= len || memchr(p + off, '\0', len - off) == NULL) {
		corrupt(err, "string at offset %" G_GUINT64_FORMAT " is outside %s or "
			"unterminated", off, table);
		return NULL;
	}
	return (const char *)p + off;
}

hw_pclntab *hw_pclntab_new(hw_memsrc *mem, const hw_moduledata *md, GError **err)
{
	guint8 hdr[16];
	if (!hw_memsrc_read(mem, md->pcheader, hdr, sizeof hdr, err)) {
		g_prefix_error(err, "reading the pcHeader: ");
		return NULL;
	}
	guint32 magic;
	guint64 nfunc;
	memcpy(&magic, hdr, 4);
	memcpy(&nfunc, hdr + 8, 8);
	magic = GUINT32_FROM_LE(magic);
	nfunc = GUINT64_FROM_LE(nfunc);
	if (magic != PCLNTAB_MAGIC_GO120) {
		g_set_error(err, HW_DEBUGINFO_ERROR,
			    (magic & 0xfffffff0u) == 0xfffffff0u ? HW_DEBUGINFO_ERROR_UNSUPPORTED :
			    HW_DEBUGINFO_ERROR_NOT_GO,
			    "pclntab at 0x%" G_GINT64_MODIFIER "x has magic 0x%08x; heapwalk reads "
			    "the Go 1.20+ format (0x%08x)", md->pcheader, magic, PCLNTAB_MAGIC_GO120);
		return NULL;
	}
	if (hdr[4] != 0 || hdr[5] != 0 || hdr[6] != 1 || hdr[7] != 8) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_UNSUPPORTED,
			    "pclntab header: quantum %u, pointer size %u: not amd64", hdr[6], hdr[7]);
		return NULL;
	}
	if (md->ftab.len == 0 || nfunc != md->ftab.len - 1) {
		corrupt(err, "pcHeader.nfunc %" G_GUINT64_FORMAT " does not match moduledata.ftab "
			"length %" G_GUINT64_FORMAT, nfunc, md->ftab.len);
		return NULL;
	}
	hw_pclntab *t = g_new0(hw_pclntab, 1);
	t->mem = hw_memsrc_ref(mem);
	t->md = *md;
	t->nfunc = (guint32)nfunc;
	if (!(t->funcnametab = copy_slice(mem, "funcnametab", &md->funcnametab, 1, err)) ||
	    !(t->cutab = copy_slice(mem, "cutab", &md->cutab, 4, err)) ||
	    !(t->filetab = copy_slice(mem, "filetab", &md->filetab, 1, err)) ||
	    !(t->pctab = copy_slice(mem, "pctab", &md->pctab, 1, err)) ||
	    !(t->pclntable = copy_slice(mem, "pclntable", &md->pclntable, 1, err)) ||
	    !(t->ftab = copy_slice(mem, "ftab", &md->ftab, 8, err))) {
		hw_pclntab_free(t);
		return NULL;
	}
	return t;
}

void hw_pclntab_free(hw_pclntab *t)
{
	if (t == NULL)
		return;
	hw_memsrc_unref(t->mem);
	g_clear_pointer(&t->funcnametab, g_bytes_unref);
	g_clear_pointer(&t->cutab, g_bytes_unref);
	g_clear_pointer(&t->filetab, g_bytes_unref);
	g_clear_pointer(&t->pctab, g_bytes_unref);
	g_clear_pointer(&t->pclntable, g_bytes_unref);
	g_clear_pointer(&t->ftab, g_bytes_unref);
	g_free(t);
}

guint32 hw_pclntab_nfunc(hw_pclntab *t)
{
	return t->nfunc;
}

static gboolean func_field(hw_pclntab *t, const hw_func *fn, guint32 off, guint32 *out,
			   GError **err)
{
	return get_u32(t->pclntable, "pclntable (_func)", (guint64)fn->func_off + off, out, err);
}

gboolean hw_pclntab_func_at(hw_pclntab *t, guint32 i, hw_func *fn, GError **err)
{
	guint32 entryoff, funcoff, next_entryoff, v;
	if (i >= t->nfunc)
		return corrupt(err, "function index %u >= nfunc %u", i, t->nfunc);
	if (!get_u32(t->ftab, "ftab", (guint64)i * 8, &entryoff, err) ||
	    !get_u32(t->ftab, "ftab", (guint64)i * 8 + 4, &funcoff, err) ||
	    !get_u32(t->ftab, "ftab", (guint64)(i + 1) * 8, &next_entryoff, err))
		return FALSE;
	memset(fn, 0, sizeof *fn);
	fn->func_off = funcoff;
	fn->entry = t->md.text + entryoff;
	fn->end = t->md.text + next_entryoff;

	gsize len;
	const guint8 *p = g_bytes_get_data(t->pclntable, &len);
	if (funcoff > len || FUNC_FIXED_SIZE > len - funcoff)
		return corrupt(err, "_func of function %u at offset %u is outside pclntable (%"
			       G_GSIZE_FORMAT " bytes)", i, funcoff, len);
	guint32 f_entry, name_off, npcdata;
	if (!func_field(t, fn, 0, &f_entry, err) || !func_field(t, fn, 4, &name_off, err) ||
	    !func_field(t, fn, 8, &v, err))
		return FALSE;
	fn->args = (gint32)v;
	if (!func_field(t, fn, 12, &fn->deferreturn, err) || !func_field(t, fn, 28, &npcdata, err) ||
	    !func_field(t, fn, 36, &v, err))
		return FALSE;
	fn->start_line = (gint32)v;
	fn->funcid = p[funcoff + 40];
	fn->flag = p[funcoff + 41];
	guint8 nfuncdata = p[funcoff + 43];
	if (f_entry != entryoff)
		return corrupt(err, "function %u: _func.entryOff 0x%x differs from ftab's 0x%x", i,
			       f_entry, entryoff);
	if ((guint64)funcoff + FUNC_FIXED_SIZE + 4ull * npcdata + 4ull * nfuncdata > len)
		return corrupt(err, "function %u: %u pcdata and %u funcdata entries run past "
			       "pclntable", i, npcdata, nfuncdata);
	fn->name = get_str(t->funcnametab, "funcnametab", name_off, err);
	return fn->name != NULL;
}

gboolean hw_pclntab_findfunc(hw_pclntab *t, guint64 pc, hw_func *fn, GError **err)
{
	if (pc < t->md.minpc || pc >= t->md.maxpc || pc < t->md.text || t->nfunc == 0) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "pc 0x%" G_GINT64_MODIFIER "x is not in Go code", pc);
		return FALSE;
	}
	guint64 rel = pc - t->md.text;
	/* Last function whose entry is <= pc: binary search over ftab. */
	guint32 lo = 0, hi = t->nfunc;
	while (lo < hi) {
		guint32 mid = lo + (hi - lo) / 2, e;
		if (!get_u32(t->ftab, "ftab", (guint64)mid * 8, &e, err))
			return FALSE;
		if (e <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "pc 0x%" G_GINT64_MODIFIER "x is before the first function", pc);
		return FALSE;
	}
	if (!hw_pclntab_func_at(t, lo - 1, fn, err))
		return FALSE;
	if (pc >= fn->end) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "pc 0x%" G_GINT64_MODIFIER "x is past the last function", pc);
		return FALSE;
	}
	return TRUE;
}

static gboolean read_uvarint(const guint8 *p, gsize len, gsize *pos, guint32 *out)
{
	guint32 v = 0;
	for (guint shift = 0; shift < 35 && *pos < len; shift += 7) {
		guint8 b = p[(*pos)++];
		v |= (guint32)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean hw_pclntab_pcvalue(hw_pclntab *t, const hw_func *fn, guint32 table_off, guint64 pc,
			    gint32 *value, GError **err)
{
	if (table_off == 0) {
		*value = -1;
		return TRUE;
	}
	gsize len;
	const guint8 *p = g_bytes_get_data(t->pctab, &len);
	gsize pos = table_off;
	gint32 val = -1;
	guint64 cur = fn->entry;
	gboolean first = TRUE;
	if (table_off >= len)
		return corrupt(err, "%s: pc-value table offset %u is outside pctab (%" G_GSIZE_FORMAT
			       " bytes)", fn->name, table_off, len);
	/* Each step consumes at least two bytes of a bounded table, so this terminates. */
	for (;;) {
		guint32 uvdelta, pcdelta;
		if (!read_uvarint(p, len, &pos, &uvdelta))
			break;
		if (uvdelta == 0 && !first)
			break;
		first = FALSE;
		gint32 vdelta = (uvdelta & 1) ? (gint32)~(uvdelta >> 1) : (gint32)(uvdelta >> 1);
		if (!read_uvarint(p, len, &pos, &pcdelta))
			break;
		val = (gint32)((guint32)val + (guint32)vdelta);
		cur += pcdelta;   /* PCQuantum is 1 on amd64 */
		if (pc < cur) {
			*value = val;
			return TRUE;
		}
	}
	return corrupt(err, "%s: pc-value table at pctab offset %u ends before pc 0x%"
		       G_GINT64_MODIFIER "x", fn->name, table_off, pc);
}

gboolean hw_pclntab_fileline(hw_pclntab *t, const hw_func *fn, guint64 pc, const char **file,
			     gint32 *line, GError **err)
{
	guint32 pcfile, pcln, cu_off, fileoff;
	gint32 fileno;
	if (!func_field(t, fn, 20, &pcfile, err) || !func_field(t, fn, 24, &pcln, err) ||
	    !func_field(t, fn, 32, &cu_off, err) ||
	    !hw_pclntab_pcvalue(t, fn, pcfile, pc, &fileno, err) ||
	    !hw_pclntab_pcvalue(t, fn, pcln, pc, line, err))
		return FALSE;
	if (fileno < 0 || *line < 0) {
		/* Functions without line tables (linker markers such as go:textfipsstart): the
		 * runtime reports "?":0 for them too. */
		*file = "?";
		*line = 0;
		return TRUE;
	}
	if (!get_u32(t->cutab, "cutab", ((guint64)cu_off + (guint32)fileno) * 4, &fileoff, err))
		return FALSE;
	if (fileoff == 0xffffffffu) {
		*file = "?";
		return TRUE;
	}
	*file = get_str(t->filetab, "filetab", fileoff, err);
	return *file != NULL;
}

gboolean hw_pclntab_spdelta(hw_pclntab *t, const hw_func *fn, guint64 pc, gint32 *delta,
			    GError **err)
{
	guint32 pcsp;
	return func_field(t, fn, 16, &pcsp, err) && hw_pclntab_pcvalue(t, fn, pcsp, pc, delta, err);
}

gboolean hw_pclntab_pcdata(hw_pclntab *t, const hw_func *fn, guint32 index, guint64 pc,
			   gint32 *value, GError **err)
{
	guint32 npcdata, off;
	if (!func_field(t, fn, 28, &npcdata, err))
		return FALSE;
	if (index >= npcdata) {
		*value = -1;
		return TRUE;
	}
	return func_field(t, fn, FUNC_FIXED_SIZE + 4 * index, &off, err) &&
	       hw_pclntab_pcvalue(t, fn, off, pc, value, err);
}

gboolean hw_pclntab_funcdata(hw_pclntab *t, const hw_func *fn, guint32 index, guint64 *addr,
			     GError **err)
{
	guint32 npcdata, off;
	gsize len;
	const guint8 *p = g_bytes_get_data(t->pclntable, &len);
	if (!func_field(t, fn, 28, &npcdata, err))
		return FALSE;
	guint8 nfuncdata = p[fn->func_off + 43];   /* in bounds: func_at checked the fixed part */
	if (index >= nfuncdata)
		return FALSE;
	if (!func_field(t, fn, FUNC_FIXED_SIZE + 4 * npcdata + 4 * index, &off, err))
		return FALSE;
	if (off == 0xffffffffu)
		return FALSE;
	*addr = t->md.gofunc + off;
	return TRUE;
}

gboolean hw_pclntab_inline_frames(hw_pclntab *t, const hw_func *fn, guint64 pc, GArray *frames,
				  GError **err)
{
	guint64 tree = 0;
	GError *local = NULL;
	gboolean have_tree = hw_pclntab_funcdata(t, fn, HW_FUNCDATA_INL_TREE, &tree, &local);
	if (local) {
		g_propagate_error(err, local);
		return FALSE;
	}
	gint32 ix = -1;
	if (have_tree && !hw_pclntab_pcdata(t, fn, HW_PCDATA_INL_TREE_INDEX, pc, &ix, err))
		return FALSE;
	for (int depth = 0; ix >= 0; depth++) {
		if (depth >= MAX_INLINE_DEPTH)
			return corrupt(err, "%s: inline tree deeper than %d at pc 0x%"
				       G_GINT64_MODIFIER "x (a cycle?)", fn->name, MAX_INLINE_DEPTH, pc);
		guint8 rec[INLINED_CALL_SIZE];
		if (!hw_memsrc_read(t->mem, tree + (guint64)ix * INLINED_CALL_SIZE, rec, sizeof rec,
				    err)) {
			g_prefix_error(err, "%s: inline tree entry %d: ", fn->name, ix);
			return FALSE;
		}
		gint32 name_off, parent_pc;
		memcpy(&name_off, rec + 4, 4);
		memcpy(&parent_pc, rec + 8, 4);
		hw_inline_frame f = { .funcid = rec[0], .inlined = TRUE };
		f.name = get_str(t->funcnametab, "funcnametab", (guint32)GINT32_FROM_LE(name_off), err);
		if (f.name == NULL || !hw_pclntab_fileline(t, fn, pc, &f.file, &f.line, err))
			return FALSE;
		g_array_append_val(frames, f);
		pc = fn->entry + (guint32)GINT32_FROM_LE(parent_pc);
		if (pc >= fn->end)
			return corrupt(err, "%s: inline tree entry %d has parentPc outside the "
				       "function", fn->name, ix);
		if (!hw_pclntab_pcdata(t, fn, HW_PCDATA_INL_TREE_INDEX, pc, &ix, err))
			return FALSE;
	}
	hw_inline_frame f = { .name = fn->name, .funcid = fn->funcid, .inlined = FALSE };
	if (!hw_pclntab_fileline(t, fn, pc, &f.file, &f.line, err))
		return FALSE;
	g_array_append_val(frames, f);
	return TRUE;
}

gboolean hw_pclntab_stackmap_index(hw_pclntab *t, const hw_func *fn, guint64 targetpc,
				   gint32 *index, GError **err)
{
	gint32 ix = -1;
	if (targetpc != fn->entry &&
	    !hw_pclntab_pcdata(t, fn, HW_PCDATA_STACK_MAP_INDEX, targetpc - 1, &ix, err))
		return FALSE;
	*index = ix < 0 ? 0 : ix;
	return TRUE;
}

void hw_bitvec_clear(hw_bitvec *bv)
{
	g_clear_pointer(&bv->bits, g_free);
	bv->nbit = 0;
}

gboolean hw_pclntab_stackmap(hw_pclntab *t, const hw_func *fn, guint32 which, gint32 index,
			     hw_bitvec *out, GError **err)
{
	guint64 addr;
	GError *local = NULL;
	if (!hw_pclntab_funcdata(t, fn, which, &addr, &local)) {
		if (local)
			g_propagate_error(err, local);
		else
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
				    "%s has no %s pointer maps", fn->name,
				    which == HW_FUNCDATA_ARGS_POINTER_MAPS ? "args" : "locals");
		return FALSE;
	}
	guint32 n, nbit;
	if (!hw_memsrc_read_u32(t->mem, addr, &n, err) ||
	    !hw_memsrc_read_u32(t->mem, addr + 4, &nbit, err)) {
		g_prefix_error(err, "%s: stack map header: ", fn->name);
		return FALSE;
	}
	if (index < 0 || (guint32)index >= n || nbit > MAX_STACKMAP_BITS)
		return corrupt(err, "%s: stack map index %d with n=%u, nbit=%u", fn->name, index,
			       n, nbit);
	guint64 bytes = (nbit + 7) / 8;
	out->nbit = nbit;
	out->bits = g_malloc0(bytes ? bytes : 1);
	if (!hw_memsrc_read(t->mem, addr + 8 + (guint64)index * bytes, out->bits, bytes, err)) {
		hw_bitvec_clear(out);
		g_prefix_error(err, "%s: stack map %d: ", fn->name, index);
		return FALSE;
	}
	return TRUE;
}

gboolean hw_pclntab_stack_objects(hw_pclntab *t, const hw_func *fn, GArray *objects,
				  GError **err)
{
	guint64 addr, n;
	GError *local = NULL;
	if (!hw_pclntab_funcdata(t, fn, HW_FUNCDATA_STACK_OBJECTS, &addr, &local)) {
		if (local) {
			g_propagate_error(err, local);
			return FALSE;
		}
		return TRUE;
	}
	if (!hw_memsrc_read_u64(t->mem, addr, &n, err))
		return FALSE;
	if (n > MAX_STACK_OBJECTS)
		return corrupt(err, "%s: %" G_GUINT64_FORMAT " stack objects", fn->name, n);
	g_autofree guint8 *raw = g_malloc(n * STACK_OBJECT_SIZE + 1);
	if (!hw_memsrc_read(t->mem, addr + 8, raw, n * STACK_OBJECT_SIZE, err))
		return FALSE;
	for (guint64 i = 0; i < n; i++) {
		const guint8 *r = raw + i * STACK_OBJECT_SIZE;
		gint32 v[3];
		guint32 gcoff;
		memcpy(v, r, 12);
		memcpy(&gcoff, r + 12, 4);
		hw_stack_object o = {
			.off = GINT32_FROM_LE(v[0]),
			.size = GINT32_FROM_LE(v[1]),
			.ptr_bytes = GINT32_FROM_LE(v[2]),
			.gcdata = t->md.rodata + GUINT32_FROM_LE(gcoff),
		};
		g_array_append_val(objects, o);
	}
	return TRUE;
}
