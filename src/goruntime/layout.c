/* layout.c - filling a gr_layout from the target's DWARF, and choosing the debug info.
 *
 * Every lookup goes through one of three helpers that stop at the first miss and keep its
 * error, which already names the struct and field (or global, or constant); the load then
 * fails with "Go runtime layout: <that error>". Optional items (fields or constants that only
 * some Go releases have) are looked up with the *_opt variants and leave a marker value.
 *
 * gr_debuginfo_load() decides what those lookups run against: DWARF (the executable's or a
 * separate debug file's), or for a binary without DWARF the layout table of its Go release.
 */
#include "goruntime/layout.h"

#include <string.h>

#include "debuginfo/dwarfinfo.h"
#include "hwd.h"

typedef struct loader {
	hw_dwarf *dw;
	uint64_t bias;
	GError *err;      /* the first failure; later lookups are skipped */
} loader;

static uint64_t member(loader *l, const char *st, const char *path)
{
	guint64 off = 0;
	if (!l->err)
		hw_dwarf_struct_member_offset(l->dw, st, path, &off, &l->err);
	return off;
}

static bool member_opt(loader *l, const char *st, const char *path, uint64_t *off)
{
	guint64 o;
	if (!hw_dwarf_struct_member_offset(l->dw, st, path, &o, NULL))
		return false;
	*off = o;
	return true;
}

static uint64_t tsize(loader *l, const char *name)
{
	guint64 sz = 0;
	if (!l->err)
		hw_dwarf_type_size(l->dw, name, &sz, &l->err);
	return sz;
}

static uint64_t member_size(loader *l, const char *st, const char *path)
{
	guint64 off;
	const hw_dwarf_type *t = NULL;
	if (l->err || !hw_dwarf_struct_member(l->dw, st, path, &off, &t, &l->err))
		return 0;
	t = t ? hw_dwarf_type_resolve(t) : NULL;
	return t && t->size != HW_DWARF_SIZE_UNKNOWN ? t->size : 0;
}

static uint64_t global(loader *l, const char *name)
{
	guint64 a = 0;
	if (!l->err)
		hw_dwarf_global(l->dw, name, &a, NULL, &l->err);
	return a + l->bias;
}

static int64_t constant(loader *l, const char *name)
{
	gint64 v = 0;
	if (!l->err)
		hw_dwarf_constant(l->dw, name, &v, &l->err);
	return v;
}

static int64_t constant_opt(loader *l, const char *name, int64_t dflt)
{
	gint64 v;
	return hw_dwarf_constant(l->dw, name, &v, NULL) ? v : dflt;
}

/* The first of several names the constant has had (e.g. moved to internal/runtime/gc). */
static int64_t constant_any(loader *l, const char *a, const char *b)
{
	gint64 v;
	if (hw_dwarf_constant(l->dw, a, &v, NULL))
		return v;
	return constant(l, b);
}

static void require_size(loader *l, const char *what, uint64_t got, uint64_t want)
{
	if (!l->err && got != want)
		g_set_error(&l->err, GR_ERROR, GR_ERROR_LAYOUT, "%s is %" G_GUINT64_FORMAT " bytes, "
		            "the dumper reads it as %" G_GUINT64_FORMAT, what, got, want);
}

gboolean gr_layout_load(hw_dwarf *dw, uint64_t bias, gr_layout *L, GError **error)
{
	loader l = { dw, bias, NULL };
	memset(L, 0, sizeof *L);

	L->mheap = global(&l, "runtime.mheap_");
	L->allgs = global(&l, "runtime.allgs");
	L->allm = global(&l, "runtime.allm");
	L->firstmoduledata = global(&l, "runtime.firstmoduledata");
	L->gcphase = global(&l, "runtime.gcphase");
	L->wait_reason_strings = global(&l, "runtime.waitReasonStrings");
	if (!l.err) {
		const hw_dwarf_type *t = NULL;
		guint64 a;
		hw_dwarf_global(dw, "runtime.waitReasonStrings", &a, &t, NULL);
		t = t ? hw_dwarf_type_resolve(t) : NULL;
		if (!t || t->kind != HW_DWARF_KIND_ARRAY)
			g_set_error(&l.err, GR_ERROR, GR_ERROR_LAYOUT, "runtime.waitReasonStrings is not an array");
		else
			L->wait_reason_count = t->count;
	}

	L->mheap_sweepgen = member(&l, "runtime.mheap", "sweepgen");
	L->mheap_allspans = member(&l, "runtime.mheap", "allspans");

	L->span_size = tsize(&l, "runtime.mspan");
	L->span_start = member(&l, "runtime.mspan", "startAddr");
	L->span_npages = member(&l, "runtime.mspan", "npages");
	L->span_freeindex = member(&l, "runtime.mspan", "freeindex");
	L->span_nelems = member(&l, "runtime.mspan", "nelems");
	L->span_freeindexforscan = member(&l, "runtime.mspan", "freeIndexForScan");
	L->span_allocbits = member(&l, "runtime.mspan", "allocBits");
	L->span_gcmarkbits = member(&l, "runtime.mspan", "gcmarkBits");
	L->span_sweepgen = member(&l, "runtime.mspan", "sweepgen");
	L->span_spanclass = member(&l, "runtime.mspan", "spanclass");
	L->span_state = member(&l, "runtime.mspan", "state.s.value");
	L->span_elemsize = member(&l, "runtime.mspan", "elemsize");
	L->span_limit = member(&l, "runtime.mspan", "limit");
	L->span_specials = member(&l, "runtime.mspan", "specials");
	L->span_largetype = member(&l, "runtime.mspan", "largeType");
	require_size(&l, "runtime.mspan.freeindex", member_size(&l, "runtime.mspan", "freeindex"), 2);
	require_size(&l, "runtime.mspan.nelems", member_size(&l, "runtime.mspan", "nelems"), 2);
	require_size(&l, "runtime.mspan.sweepgen", member_size(&l, "runtime.mspan", "sweepgen"), 4);

	L->special_next = member(&l, "runtime.special", "next");
	L->special_offset = member(&l, "runtime.special", "offset");
	L->special_offset_size = member_size(&l, "runtime.special", "offset");
	L->special_kind = member(&l, "runtime.special", "kind");
	L->specialfinalizer_fn = member(&l, "runtime.specialfinalizer", "fn");
	L->kind_finalizer = constant(&l, "runtime._KindSpecialFinalizer");
	L->kind_cleanup = constant_opt(&l, "runtime._KindSpecialCleanup", -1);
	L->kind_weak = constant_opt(&l, "runtime._KindSpecialWeakHandle", -1);
	if (L->kind_weak >= 0)
		L->specialweak_handle = member(&l, "runtime.specialWeakHandle", "handle");
	if (L->kind_cleanup >= 0) {
		if (member_opt(&l, "runtime.specialCleanup", "cleanup.fn", &L->specialcleanup_fn)) {
			L->has_cleanup_arg = member_opt(&l, "runtime.specialCleanup", "cleanup.arg",
			                                &L->specialcleanup_arg) &&
			                     member_opt(&l, "runtime.specialCleanup", "cleanup.call",
			                                &L->specialcleanup_call);
		} else {
			L->specialcleanup_fn = member(&l, "runtime.specialCleanup", "fn");
		}
	}

	const char *fb = hw_dwarf_type_by_name(dw, "runtime.finBlock") ? "runtime.finBlock" : "runtime.finblock";
	L->allfin = global(&l, "runtime.allfin");
	L->finblock_alllink = member(&l, fb, "alllink");
	L->finblock_cnt = member(&l, fb, "cnt");
	L->finblock_fin = member(&l, fb, "fin");
	L->finalizer_size = tsize(&l, "runtime.finalizer");
	L->finalizer_fn = member(&l, "runtime.finalizer", "fn");
	L->finalizer_arg = member(&l, "runtime.finalizer", "arg");
	L->finalizer_fint = member(&l, "runtime.finalizer", "fint");
	L->finalizer_ot = member(&l, "runtime.finalizer", "ot");
	if (L->finalizer_size)
		L->finblock_cap = member_size(&l, fb, "fin") / L->finalizer_size;
	guint64 gcc;
	L->has_cleanup_queue = hw_dwarf_global(dw, "runtime.gcCleanups", &gcc, NULL, NULL);
	if (L->has_cleanup_queue) {
		L->cleanup_all = gcc + bias + member(&l, "runtime.cleanupQueue", "all");
		L->cleanupblock_alllink = member(&l, "runtime.cleanupBlock", "cleanupBlockHeader.alllink");
		L->cleanupblock_n = member(&l, "runtime.cleanupBlock", "cleanupBlockHeader.n");
		L->cleanupblock_fns = member(&l, "runtime.cleanupBlock", "cleanups");
		if (hw_dwarf_type_by_name(dw, "runtime.cleanupFn")) {
			L->cleanupfn_size = tsize(&l, "runtime.cleanupFn");
			L->cleanupfn_call = member(&l, "runtime.cleanupFn", "call");
			L->cleanupfn_fn = member(&l, "runtime.cleanupFn", "fn");
			L->cleanupfn_arg = member(&l, "runtime.cleanupFn", "arg");
		} else {
			/* Go 1.25 queues the bare *funcval (cleanups [N]*funcval). */
			L->cleanupfn_size = GR_WORD;
			L->cleanupfn_fn = 0;
			L->cleanupfn_call = L->cleanupfn_arg = GR_NO_FIELD;
		}
		if (L->cleanupfn_size)
			L->cleanupblock_cap = member_size(&l, "runtime.cleanupBlock", "cleanups") / L->cleanupfn_size;
	}

	L->g_size = tsize(&l, "runtime.g");
	L->g_stack_lo = member(&l, "runtime.g", "stack.lo");
	L->g_stack_hi = member(&l, "runtime.g", "stack.hi");
	L->g_sched_sp = member(&l, "runtime.g", "sched.sp");
	L->g_sched_pc = member(&l, "runtime.g", "sched.pc");
	L->g_sched_ctxt = member(&l, "runtime.g", "sched.ctxt");
	L->g_syscallsp = member(&l, "runtime.g", "syscallsp");
	L->g_syscallpc = member(&l, "runtime.g", "syscallpc");
	L->g_atomicstatus = member(&l, "runtime.g", "atomicstatus");
	L->g_goid = member(&l, "runtime.g", "goid");
	L->g_waitsince = member(&l, "runtime.g", "waitsince");
	L->g_waitreason = member(&l, "runtime.g", "waitreason");
	L->g_gopc = member(&l, "runtime.g", "gopc");
	L->g_startpc = member(&l, "runtime.g", "startpc");
	L->g_m = member(&l, "runtime.g", "m");
	L->g_defer = member(&l, "runtime.g", "_defer");

	L->m_size = tsize(&l, "runtime.m");
	L->m_procid = member(&l, "runtime.m", "procid");
	L->m_curg = member(&l, "runtime.m", "curg");
	L->m_mallocing = member(&l, "runtime.m", "mallocing");
	L->m_locks = member(&l, "runtime.m", "locks");
	L->m_alllink = member(&l, "runtime.m", "alllink");
	L->m_id = member(&l, "runtime.m", "id");

	L->md_size = tsize(&l, "runtime.moduledata");
	L->md_data = member(&l, "runtime.moduledata", "data");
	L->md_edata = member(&l, "runtime.moduledata", "edata");
	L->md_bss = member(&l, "runtime.moduledata", "bss");
	L->md_ebss = member(&l, "runtime.moduledata", "ebss");
	L->md_gcdatamask = member(&l, "runtime.moduledata", "gcdatamask");
	L->md_gcbssmask = member(&l, "runtime.moduledata", "gcbssmask");
	L->md_next = member(&l, "runtime.moduledata", "next");
	L->bitvector_n = member(&l, "runtime.bitvector", "n");
	L->bitvector_bytedata = member(&l, "runtime.bitvector", "bytedata");

	L->defer_fn = member(&l, "runtime._defer", "fn");
	L->defer_link = member(&l, "runtime._defer", "link");
	L->defer_heap = member(&l, "runtime._defer", "heap");

	L->span_in_use = constant(&l, "runtime.mSpanInUse");
	L->g_idle = constant(&l, "runtime._Gidle");
	L->g_runnable = constant(&l, "runtime._Grunnable");
	L->g_running = constant(&l, "runtime._Grunning");
	L->g_syscall = constant(&l, "runtime._Gsyscall");
	L->g_waiting = constant(&l, "runtime._Gwaiting");
	L->g_dead = constant(&l, "runtime._Gdead");
	L->g_copystack = constant(&l, "runtime._Gcopystack");
	L->g_preempted = constant(&l, "runtime._Gpreempted");
	L->g_deadextra = constant_opt(&l, "runtime._Gdeadextra", -1);
	L->g_scan = constant(&l, "runtime._Gscan");
	L->min_size_for_malloc_header = (uint64_t)constant_any(&l, "internal/runtime/gc.MinSizeForMallocHeader",
	                                                       "runtime.minSizeForMallocHeader");
	L->malloc_header_size = (uint64_t)constant_any(&l, "internal/runtime/gc.MallocHeaderSize",
	                                               "runtime.mallocHeaderSize");
	require_size(&l, "the malloc header (MallocHeaderSize)", L->malloc_header_size, GR_WORD);

	/* Green Tea's inline mark bits: the type is described only when the GC uses it. */
	guint64 imb;
	L->greentea = hw_dwarf_type_size(dw, "runtime.spanInlineMarkBits", &imb, NULL) && imb > 0;
	if (L->greentea)
		require_size(&l, "runtime.spanInlineMarkBits", imb, GR_INLINE_MARK_BYTES);

	gr_abi_layout *a = &L->abi;
	a->type_size = tsize(&l, "internal/abi.Type");
	a->off_size = member(&l, "internal/abi.Type", "Size_");
	a->off_ptrbytes = member(&l, "internal/abi.Type", "PtrBytes");
	a->off_tflag = member(&l, "internal/abi.Type", "TFlag");
	a->off_kind = member(&l, "internal/abi.Type", "Kind_");
	a->off_gcdata = member(&l, "internal/abi.Type", "GCData");
	a->off_str = member(&l, "internal/abi.Type", "Str");
	a->off_array_elem = member(&l, "internal/abi.ArrayType", "Elem");
	a->off_array_len = member(&l, "internal/abi.ArrayType", "Len");
	a->off_struct_fields = member(&l, "internal/abi.StructType", "Fields");
	a->field_size = tsize(&l, "internal/abi.StructField");
	a->off_field_typ = member(&l, "internal/abi.StructField", "Typ");
	a->off_field_offset = member(&l, "internal/abi.StructField", "Offset");
	/* Before 1.24 bit 0x10 meant something else (TFlagUnrolledBitmap) and GCData was always
	 * a mask, so "no such constant" means "no on-demand masks". */
	a->tflag_ondemand = (uint8_t)constant_opt(&l, "internal/abi.TFlagGCMaskOnDemand", 0);
	/* And before 1.24 a big type's GCData was a GC program, flagged in Kind_; a large
	 * object of such a type names a runtime-made dummy type holding the unrolled mask. */
	a->kind_gcprog = (uint8_t)constant_opt(&l, "internal/abi.KindGCProg", 0);
	a->tflag_unrolled = (uint8_t)constant_opt(&l, "internal/abi.TFlagUnrolledBitmap", 0);
	a->tflag_extrastar = (uint8_t)constant(&l, "internal/abi.TFlagExtraStar");
	/* 1.26 stores the bare kind in Kind_; older releases OR flags above KindMask into it. */
	a->kind_mask = (uint8_t)constant_opt(&l, "internal/abi.KindMask", 0x1f);
	a->kind_array = (uint8_t)constant(&l, "internal/abi.Array");
	a->kind_struct = (uint8_t)constant(&l, "internal/abi.Struct");

	gint64 kp, ks, kstr, ki, kf;
	L->has_rtypes = member_opt(&l, "internal/abi.PtrType", "Elem", &L->ptr_elem) &&
	                member_opt(&l, "internal/abi.SliceType", "Elem", &L->slice_elem) &&
	                member_opt(&l, "internal/abi.StructField", "Name", &L->field_name) &&
	                hw_dwarf_constant(dw, "internal/abi.Pointer", &kp, NULL) &&
	                hw_dwarf_constant(dw, "internal/abi.Slice", &ks, NULL) &&
	                hw_dwarf_constant(dw, "internal/abi.String", &kstr, NULL) &&
	                hw_dwarf_constant(dw, "internal/abi.Interface", &ki, NULL) &&
	                hw_dwarf_constant(dw, "internal/abi.Func", &kf, NULL);
	if (L->has_rtypes) {
		L->kind_ptr = (uint8_t)kp;
		L->kind_slice = (uint8_t)ks;
		L->kind_string = (uint8_t)kstr;
		L->kind_iface = (uint8_t)ki;
		L->kind_func = (uint8_t)kf;
	}

	if (l.err) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "Go runtime layout: %s", l.err->message);
		g_error_free(l.err);
		return FALSE;
	}
	return TRUE;
}

/* "go1.26" of "go1.26.8", "go1.26rc1" or "go1.26"; FALSE for anything else ("devel ..."). */
static gboolean release_of(const char *version, char *out, size_t len)
{
	const char *p = version;
	if (!g_str_has_prefix(p, "go1."))
		return FALSE;
	p += 4;
	size_t digits = strspn(p, "0123456789");
	if (digits == 0 || digits > 4 || !(p[digits] == '\0' || p[digits] == '.' || p[digits] == ' ' ||
	                                   g_str_has_prefix(p + digits, "rc") || g_str_has_prefix(p + digits, "beta")))
		return FALSE;
	g_snprintf(out, len, "go1.%.*s", (int)digits, p);
	return TRUE;
}

/* The non-default experiments a binary was built with, or NULL (g_free). */
static char *experiments_of(const char *runtime_version, const char *modinfo)
{
	const char *x = runtime_version ? strstr(runtime_version, " X:") : NULL;
	if (x)
		return g_strdup(x + 3);
	const char *m = modinfo ? strstr(modinfo, "build\tGOEXPERIMENT=") : NULL;
	if (m) {
		m += strlen("build\tGOEXPERIMENT=");
		return g_strndup(m, strcspn(m, "\n"));
	}
	return NULL;
}

const gr_layout_table *gr_layout_table_for(hw_elf *exe, GError **error)
{
	const char *version = NULL, *modinfo = NULL;
	const char *rtver = hw_elf_go_runtime_version(exe, NULL);
	if (!hw_elf_go_buildinfo(exe, &version, &modinfo, NULL))
		version = rtver;
	char release[32];
	if (!version) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "%s has no DWARF and no Go version (no "
		            ".go.buildinfo section, no runtime.buildVersion symbol): heapwalk cannot choose the "
		            "runtime's layouts", hw_elf_path(exe));
		return NULL;
	}
	if (!release_of(version, release, sizeof release)) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "%s has no DWARF and was built by Go \"%s\", "
		            "not a release: heapwalk's layout table covers releases only; rebuild without "
		            "-ldflags=-w, or give the unstripped build with --debug-file", hw_elf_path(exe), version);
		return NULL;
	}
	g_autofree char *exp = experiments_of(rtver, modinfo);
	if (exp) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "%s has no DWARF and was built with "
		            "GOEXPERIMENT=%s: heapwalk's layout table covers default builds only; rebuild "
		            "without -ldflags=-w, or give the unstripped build with --debug-file",
		            hw_elf_path(exe), exp);
		return NULL;
	}
	for (size_t i = 0; i < gr_layout_n_tables; i++)
		if (strcmp(gr_layout_tables[i].release, release) == 0)
			return &gr_layout_tables[i];
	g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "%s has no DWARF and was built by %s, which "
	            "heapwalk's layout table does not cover (%s to %s): rebuild without -ldflags=-w, or "
	            "give the unstripped build with --debug-file", hw_elf_path(exe), version,
	            gr_layout_tables[0].release, gr_layout_tables[gr_layout_n_tables - 1].release);
	return NULL;
}

/* Whether debug (a separate debug file) is the same build as exe. */
static gboolean same_build(hw_elf *exe, hw_elf *debug, GError **error)
{
	const char *a = hw_elf_go_build_id(exe), *b = hw_elf_go_build_id(debug), *what = "Go build id";
	if (!a || !b) {
		a = hw_elf_build_id(exe);
		b = hw_elf_build_id(debug);
		what = "GNU build id";
	}
	if (!a || !b) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "cannot tell whether %s is the same build as %s: "
		            "they do not both have a build id", hw_elf_path(debug), hw_elf_path(exe));
		return FALSE;
	}
	if (strcmp(a, b) != 0) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "%s is not the same build as %s (%s %s, not %s)",
		            hw_elf_path(debug), hw_elf_path(exe), what, b, a);
		return FALSE;
	}
	return TRUE;
}

hw_dwarf *gr_debuginfo_load(hw_elf *exe, const char *debug_file, gr_debuginfo_kind *kind,
                            const gr_layout_table **table, GError **error)
{
	*table = NULL;
	if (debug_file) {
		hw_elf *de = hw_elf_open(debug_file, error);
		hw_dwarf *d = de && same_build(exe, de, error) ? hw_dwarf_load(de, error) : NULL;
		if (de)
			hw_elf_unref(de);
		*kind = GR_DEBUGINFO_DEBUG_FILE;
		return d;
	}
	GError *e = NULL;
	hw_dwarf *d = hw_dwarf_load(exe, &e);
	*kind = GR_DEBUGINFO_DWARF;
	if (d || !g_error_matches(e, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NO_DWARF)) {
		if (e)
			g_propagate_error(error, e);
		return d;
	}
	g_error_free(e);
	*kind = GR_DEBUGINFO_TABLE;
	if (!(*table = gr_layout_table_for(exe, error)))
		return NULL;
	g_autofree char *origin = g_strdup_printf("heapwalk's %s layout table", (*table)->release);
	return hw_dwarf_new_from_facts(exe, (*table)->facts, (*table)->n_facts, origin, error);
}

int gr_debuginfo_write_meta(hwd_writer *w, gr_debuginfo_kind kind, const gr_layout_table *table,
                            const char *debug_file)
{
	int rc = 0;
	if (kind == GR_DEBUGINFO_TABLE && table) {
		char layout[96];
		g_snprintf(layout, sizeof layout, "table %s (recorded from %s)", table->release, table->recorded_from);
		rc |= hwd_writer_meta_str(w, "debuginfo", "none");
		rc |= hwd_writer_meta_str(w, "layout", layout);
		rc |= hwd_writer_meta_str(w, "debuginfo.missing", GR_NO_DWARF_MISSING);
		return rc;
	}
	rc |= hwd_writer_meta_str(w, "debuginfo", kind == GR_DEBUGINFO_DWARF ? "dwarf" : "debug-file");
	if (debug_file)
		rc |= hwd_writer_meta_str(w, "debuginfo.file", debug_file);
	rc |= hwd_writer_meta_str(w, "layout", "dwarf");
	return rc;
}
