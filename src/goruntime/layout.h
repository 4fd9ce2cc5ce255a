/* layout.h - every Go runtime offset and constant the dumper uses, read once from DWARF.
 *
 * The runtime's structs drift between Go releases (go-runtime-internals.md §0.1), so nothing
 * else in goruntime/ hard-codes an offset: it reads them from a gr_layout, which
 * gr_layout_load() fills from the target executable's DWARF and validates (sizes that other
 * code relies on, e.g. a uint16 freeindex). A missing struct, field, global or constant fails
 * the load with an error naming it. Addresses of globals are link-time plus the load bias.
 *
 * A binary without DWARF (-ldflags=-w, the default of `go test` and `go run`, or stripped)
 * is read through the layout table instead (gr_debuginfo_load): per Go release, a record of
 * every by-name DWARF answer the dumper's layout loaders used (gr_layout_load, moduledata,
 * memory accounting, allocation sites), generated from a binary each toolchain built
 * (layout-table.c, see its header). The record answers through an hw_dwarf whose globals are
 * the ELF symbol table's (dwarfinfo.h, "Facts"), so the loaders run unchanged; types for
 * propagation are built from the runtime's type descriptors (rtypes.h); what DWARF alone gives
 * (the types of globals, closure captures) is missing and said so (GR_NO_DWARF_MISSING).
 */
#ifndef HW_GORUNTIME_LAYOUT_H
#define HW_GORUNTIME_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "goruntime/heapbits.h"
#include "hwd.h"

#include "debuginfo/dwarfinfo.h"

/* An offset for a field this runtime does not have. */
#define GR_NO_FIELD UINT64_MAX

typedef struct gr_layout {
	/* globals (target addresses) */
	uint64_t mheap, allgs, allm, firstmoduledata, wait_reason_strings, gcphase;
	uint64_t wait_reason_count;          /* elements of runtime.waitReasonStrings */

	/* runtime.mheap */
	uint64_t mheap_sweepgen, mheap_allspans;

	/* runtime.mspan */
	uint64_t span_size;
	uint64_t span_start, span_npages, span_freeindex, span_nelems, span_freeindexforscan;
	uint64_t span_allocbits, span_gcmarkbits, span_sweepgen, span_spanclass, span_state;
	uint64_t span_elemsize, span_limit, span_specials, span_largetype;

	/* runtime.special and the specials that hold roots */
	uint64_t special_next, special_offset, special_offset_size, special_kind;
	uint64_t specialfinalizer_fn;        /* specialfinalizer.fn */
	uint64_t specialcleanup_fn;          /* specialCleanup fn (1.24: fn; 1.25+: cleanup.fn) */
	uint64_t specialcleanup_arg;         /* 1.25+ cleanup.arg */
	uint64_t specialcleanup_call;        /* 1.25+ cleanup.call */
	bool has_cleanup_arg;                /* 1.25+: the cleanupFn fields above exist */
	uint64_t specialweak_handle;         /* specialWeakHandle.handle (1.23+) */
	int64_t kind_finalizer, kind_cleanup, kind_weak; /* -1 when the target has no such kind */

	/* queued finalizers: runtime.allfin, a list of finBlock (finblock before 1.25) */
	uint64_t allfin, finblock_alllink, finblock_cnt, finblock_fin, finblock_cap;
	uint64_t finalizer_size, finalizer_fn, finalizer_arg, finalizer_fint, finalizer_ot;
	/* queued cleanups (1.25+): runtime.gcCleanups.all, a list of cleanupBlock */
	bool has_cleanup_queue;
	uint64_t cleanup_all, cleanupblock_alllink, cleanupblock_n, cleanupblock_fns, cleanupblock_cap;
	uint64_t cleanupfn_size, cleanupfn_call, cleanupfn_fn, cleanupfn_arg; /* call and arg are
	                                      * GR_NO_FIELD in 1.25, whose queue holds bare *funcval */

	/* runtime.g */
	uint64_t g_size;
	uint64_t g_stack_lo, g_stack_hi, g_sched_sp, g_sched_pc, g_sched_ctxt;
	uint64_t g_syscallsp, g_syscallpc, g_atomicstatus, g_goid, g_waitsince, g_waitreason;
	uint64_t g_gopc, g_startpc, g_m, g_defer;

	/* runtime.m */
	uint64_t m_size, m_procid, m_curg, m_mallocing, m_locks, m_alllink, m_id;

	/* runtime.moduledata */
	uint64_t md_size, md_data, md_edata, md_bss, md_ebss, md_gcdatamask, md_gcbssmask;
	uint64_t md_next;
	uint64_t bitvector_n, bitvector_bytedata;

	/* runtime._defer */
	uint64_t defer_fn, defer_link, defer_heap;

	/* constants */
	int64_t span_in_use;
	int64_t g_idle, g_runnable, g_running, g_syscall, g_waiting, g_dead, g_copystack,
	        g_preempted, g_deadextra, g_scan;
	uint64_t min_size_for_malloc_header, malloc_header_size;

	/* Green Tea: the binary reserves inline mark bits in 16..512-byte spans. */
	bool greentea;

	gr_abi_layout abi;

	/* What types built from the descriptors need (rtypes.h; binaries without DWARF). FALSE
	 * when the runtime's DWARF lacks one of them: such binaries are then typed less. */
	bool has_rtypes;
	uint64_t ptr_elem, slice_elem, field_name;    /* PtrType.Elem, SliceType.Elem, StructField.Name */
	uint8_t kind_ptr, kind_slice, kind_string, kind_iface, kind_func;
} gr_layout;

/* Reads the layout from the executable's DWARF; bias is the load bias (0 unless PIE). */
gboolean gr_layout_load(hw_dwarf *dw, uint64_t bias, gr_layout *out, GError **error);

/* One Go release's layout record (layout-table.c, generated; facts are static data). */
typedef struct gr_layout_table {
	const char *release;            /* "go1.26": the minor release it serves */
	const char *recorded_from;      /* "go1.26.11": the toolchain whose DWARF it records */
	const hw_dwarf_fact *facts;
	size_t n_facts;
} gr_layout_table;

extern const gr_layout_table gr_layout_tables[];
extern const size_t gr_layout_n_tables;

/* The table for the Go version of exe: its build info's version (.go.buildinfo), else the
 * symbol runtime.buildVersion. Errors (GR_ERROR_LAYOUT, naming exe, the version and what
 * is missing): no version, a development toolchain, a non-default GOEXPERIMENT, or a
 * release the table does not have. */
const gr_layout_table *gr_layout_table_for(hw_elf *exe, GError **error);

/* What a capture through the table lacks, for the snapshot and the user. */
#define GR_NO_DWARF_MISSING \
	"global variables are named by symbol but not typed, so objects reached only from globals are " \
	"named by size and pointer shape; types propagate from malloc headers and large objects through " \
	"the runtime's type descriptors (package names, not import paths), but not into maps and channels; " \
	"closures are named by function, their captured variables are not; goroutine stack variables " \
	"are not named or typed; the runtime's layouts come " \
	"from heapwalk's table for the Go release, not from the binary"

/* Where a capture's debug info came from. */
typedef enum gr_debuginfo_kind {
	GR_DEBUGINFO_DWARF,        /* the executable's own DWARF */
	GR_DEBUGINFO_DEBUG_FILE,   /* DWARF of a separate file of the same build (--debug-file) */
	GR_DEBUGINFO_TABLE,        /* none: the layout table and the symbol table */
} gr_debuginfo_kind;

/* The debug info for exe: the DWARF of debug_file when given (which must be the same build:
 * equal Go build ids, else GNU build ids), else exe's own DWARF, else (exe has no DWARF) an
 * index from the layout table of exe's Go release over exe's symbol table. *kind and *table
 * (NULL unless GR_DEBUGINFO_TABLE) say which. Errors name the file and what is missing. */
hw_dwarf *gr_debuginfo_load(hw_elf *exe, const char *debug_file, gr_debuginfo_kind *kind,
                            const gr_layout_table **table, GError **error);

/* Records where the layouts came from in a snapshot's metadata: debuginfo (dwarf, debug-file
 * or none), debuginfo.file, layout ("dwarf" or the table's release) and, without DWARF,
 * debuginfo.missing. Returns the writer's status (0 or a negative HWD_E_* code). */
int gr_debuginfo_write_meta(hwd_writer *w, gr_debuginfo_kind kind, const gr_layout_table *table,
                            const char *debug_file);

#endif /* HW_GORUNTIME_LAYOUT_H */
