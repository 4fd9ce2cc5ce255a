/* pclntab.h - Go's pc-value tables: functions, file:line, frame sizes, inlining, stack maps.
 *
 * Built from the main module's moduledata (moduledata.h): hw_pclntab_new() copies the pclntab
 * slices (function name table, cu table, file table, pc-value tables, function table,
 * findfunctab) out of the memory source once, checks the pcHeader magic (Go 1.20+:
 * 0xfffffff1) and bounds, and then answers lookups from the copy. FUNCDATA (stack maps, inline
 * trees, stack objects) lives outside the pclntab (at moduledata.gofunc + offset) and is read
 * through the memory source on demand, so the source must stay readable: a memimage or core
 * is fine; pass a memimage layered over the executable after detaching.
 *
 * Function entries are moduledata.text + functab.entryoff (Go 1.26 removed
 * pcHeader.textStart; moduledata.text is right for every supported version).
 *
 * All pcs are target addresses. The pc-value lookups use pc exactly: for a return address
 * pass pc-1 (hw_pclntab_stackmap_index() does that adjustment itself, like the runtime).
 * Every offset read from the tables is bounds-checked; errors (HW_DEBUGINFO_ERROR_CORRUPT)
 * name the table, the function and the offset.
 *
 * Lifetime: hw_pclntab_new() takes a reference on mem; freed with hw_pclntab_free(). Names
 * and file names returned point into the copy and live until then.
 */
#ifndef HW_DEBUGINFO_PCLNTAB_H
#define HW_DEBUGINFO_PCLNTAB_H

#include "debuginfo/moduledata.h"

G_BEGIN_DECLS

/* PCDATA and FUNCDATA table indices (internal/abi/symtab.go; stable across 1.22-1.26 and
 * exported to DWARF as internal/abi.PCDATA_* / FUNCDATA_*). */
enum {
	HW_PCDATA_UNSAFE_POINT = 0,
	HW_PCDATA_STACK_MAP_INDEX = 1,
	HW_PCDATA_INL_TREE_INDEX = 2,
	HW_PCDATA_ARG_LIVE_INDEX = 3,
};
enum {
	HW_FUNCDATA_ARGS_POINTER_MAPS = 0,
	HW_FUNCDATA_LOCALS_POINTER_MAPS = 1,
	HW_FUNCDATA_STACK_OBJECTS = 2,
	HW_FUNCDATA_INL_TREE = 3,
	HW_FUNCDATA_OPEN_CODED_DEFER_INFO = 4,
	HW_FUNCDATA_ARG_INFO = 5,
	HW_FUNCDATA_ARG_LIVE_INFO = 6,
	HW_FUNCDATA_WRAP_INFO = 7,
};
/* _func.args value meaning "unknown" (assembly functions). */
#define HW_ARGS_SIZE_UNKNOWN ((gint32)0x80000000)
/* _func.flag bits. */
enum {
	HW_FUNCFLAG_TOPFRAME = 1,
	HW_FUNCFLAG_SPWRITE = 2,
	HW_FUNCFLAG_ASM = 4,
};

typedef struct hw_pclntab hw_pclntab;

/* A function found by hw_pclntab_findfunc(); a small value the caller keeps on its stack. */
typedef struct {
	guint64 entry;        /* target address of the first instruction */
	guint64 end;          /* entry of the next function (exclusive bound) */
	const char *name;     /* owned by the pclntab */
	gint32 args;          /* argument area size in bytes, or HW_ARGS_SIZE_UNKNOWN */
	guint32 deferreturn;
	gint32 start_line;
	guint8 funcid;        /* abi.FuncID; numbering differs across versions: match by name */
	guint8 flag;          /* HW_FUNCFLAG_* */
	guint32 func_off;     /* offset of _func in pclntable (used by the lookups below) */
} hw_func;

/* One logical frame at a pc: innermost inlined function first, the physical one last. */
typedef struct {
	const char *name;
	const char *file;
	gint32 line;
	guint8 funcid;
	gboolean inlined;     /* FALSE only for the physical (last) frame */
} hw_inline_frame;

/* A pointer bitmap: bit i (LSB first within each byte) describes word i. */
typedef struct {
	guint32 nbit;
	guint8 *bits;         /* (nbit+7)/8 bytes, owned (g_free / hw_bitvec_clear) */
} hw_bitvec;

void hw_bitvec_clear(hw_bitvec *bv);
static inline gboolean hw_bitvec_get(const hw_bitvec *bv, guint32 i)
{
	return i < bv->nbit && (bv->bits[i / 8] >> (i % 8)) & 1;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_bitvec, hw_bitvec_clear)

/* One FUNCDATA_StackObjects record. */
typedef struct {
	gint32 off;           /* < 0: relative to varp; >= 0: relative to argp */
	gint32 size;
	gint32 ptr_bytes;     /* prefix with pointers; < 0 (Go <= 1.23) means a GC program */
	guint64 gcdata;       /* target address of the pointer mask (moduledata.rodata + off) */
} hw_stack_object;

/* Copies the tables described by md out of mem. Errors: _NOT_GO (bad magic),
 * _UNSUPPORTED (an older pclntab version), _CORRUPT, and read errors. */
hw_pclntab *hw_pclntab_new(hw_memsrc *mem, const hw_moduledata *md, GError **err);
void hw_pclntab_free(hw_pclntab *t);

/* Number of functions, and the i-th one in entry order (i < n). */
guint32 hw_pclntab_nfunc(hw_pclntab *t);
gboolean hw_pclntab_func_at(hw_pclntab *t, guint32 i, hw_func *fn, GError **err);

/* The function containing pc. Returns FALSE with _NOT_FOUND when pc is outside every Go
 * function (e.g. in C code), _CORRUPT for a bad table. */
gboolean hw_pclntab_findfunc(hw_pclntab *t, guint64 pc, hw_func *fn, GError **err);

/* Decodes the pc-value table at offset table_off of pctab for pc. table_off 0 means "no
 * table": *value = -1. _CORRUPT if the table ends before reaching pc. */
gboolean hw_pclntab_pcvalue(hw_pclntab *t, const hw_func *fn, guint32 table_off, guint64 pc,
			    gint32 *value, GError **err);

/* File and line at pc (of the innermost inlined function there); "?" and 0 when the function
 * has no line table, as the runtime reports. */
gboolean hw_pclntab_fileline(hw_pclntab *t, const hw_func *fn, guint64 pc, const char **file,
			     gint32 *line, GError **err);

/* SP delta at pc (pcsp): bytes the function has pushed below its entry SP, not counting the
 * return address. The frame size at a call site. */
gboolean hw_pclntab_spdelta(hw_pclntab *t, const hw_func *fn, guint64 pc, gint32 *delta,
			    GError **err);

/* PCDATA table `index` at pc; -1 if the function has no such table. */
gboolean hw_pclntab_pcdata(hw_pclntab *t, const hw_func *fn, guint32 index, guint64 pc,
			   gint32 *value, GError **err);

/* Target address of FUNCDATA `index`; FALSE (no error) if the function has none. */
gboolean hw_pclntab_funcdata(hw_pclntab *t, const hw_func *fn, guint32 index, guint64 *addr,
			     GError **err);

/* Logical frames at pc, innermost first, appended to frames (a GArray of hw_inline_frame).
 * Follows FUNCDATA_InlTree and PCDATA_InlTreeIndex; bounded by the tree size (no loops). */
gboolean hw_pclntab_inline_frames(hw_pclntab *t, const hw_func *fn, guint64 pc, GArray *frames,
				  GError **err);

/* Stack map index for a frame whose resume pc is targetpc (the return address, or the pc of
 * the innermost frame): uses targetpc-1 unless targetpc == entry; -1 becomes 0 (prologue). */
gboolean hw_pclntab_stackmap_index(hw_pclntab *t, const hw_func *fn, guint64 targetpc,
				   gint32 *index, GError **err);

/* Bitmap `index` of FUNCDATA which (HW_FUNCDATA_LOCALS_POINTER_MAPS or _ARGS_POINTER_MAPS).
 * Returns FALSE with _NOT_FOUND if the function has no such map, _CORRUPT if index >= n. */
gboolean hw_pclntab_stackmap(hw_pclntab *t, const hw_func *fn, guint32 which, gint32 index,
			     hw_bitvec *out, GError **err);

/* FUNCDATA_StackObjects records (a GArray of hw_stack_object, appended; none if the function
 * has no stack objects). */
gboolean hw_pclntab_stack_objects(hw_pclntab *t, const hw_func *fn, GArray *objects,
				  GError **err);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_pclntab, hw_pclntab_free)

G_END_DECLS

#endif
