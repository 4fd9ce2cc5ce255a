/* memaccount.c - the runtime's memory accounting and the resident set, reconciled (see memaccount.h).
 *
 * The runtime's numbers are recomputed from the same counters runtime/metrics reads, with the
 * same formulas (runtime/metrics.go, heapStatsAggregate and sysStatsAggregate), so each
 * mem.go.* line equals the metric of the same name read at the same moment. The resident
 * split attributes every resident page to one line by address: the heap arenas (pagemap,
 * page by page, so that in-use spans, goroutine stacks and the rest of the arena are told
 * apart), the executable's segments, the main thread's [stack], the brk heap, other files,
 * and the anonymous memory left, which is the runtime's off-heap metadata up to what the
 * runtime says it mapped and unexplained beyond that.
 */
#include "goruntime/memaccount.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "debuginfo/dwarfinfo.h"
#include "goruntime/layout.h"

/* A DWARF lookup that keeps the first miss (whose message names it) and skips the rest. */
typedef struct lookup {
	hw_dwarf *dw;
	GError *err;
} lookup;

static uint64_t field(lookup *l, const char *st, const char *path)
{
	guint64 off = 0;
	if (!l->err)
		hw_dwarf_struct_member_offset(l->dw, st, path, &off, &l->err);
	return off;
}

/* Element count of an array-typed member or global (0 after a miss). */
static uint64_t array_count(lookup *l, const hw_dwarf_type *t, const char *what)
{
	t = t ? hw_dwarf_type_resolve(t) : NULL;
	if (l->err)
		return 0;
	if (!t || t->kind != HW_DWARF_KIND_ARRAY || !t->target) {
		g_set_error(&l->err, GR_ERROR, GR_ERROR_LAYOUT, "%s is not an array", what);
		return 0;
	}
	return t->count;
}

/* The runtime's sysMemStat fields of runtime.mstats that the metrics read. */
enum { SYS_STACKS, SYS_MSPAN, SYS_MCACHE, SYS_BUCKHASH, SYS_GCMISC, SYS_OTHER, SYS__N };
static const char *const sys_fields[SYS__N] = {
	"stacks_sys", "mspan_sys", "mcache_sys", "buckhash_sys", "gcMiscSys", "other_sys",
};

/* heapStatsDelta fields, summed over the three generations. */
enum { HS_COMMITTED, HS_RELEASED, HS_INHEAP, HS_INSTACKS, HS_INWORKBUFS, HS_LARGEALLOC, HS_LARGEFREE, HS__N };
static const char *const hs_fields[HS__N] = {
	"committed", "released", "inHeap", "inStacks", "inWorkBufs", "largeAlloc", "largeFree",
};

/* The most size classes any Go release has had is 68; this bounds the local arrays. */
#define MAX_SIZE_CLASSES 128u
/* amd64's arena index space (48-bit addresses, 64 MiB arenas): more arenas is corruption. */
#define MAX_ARENAS (1u << 22)

static gboolean layout_error(lookup *l, GError **error)
{
	g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "memory accounting: %s", l->err->message);
	g_error_free(l->err);
	return FALSE;
}

static gboolean read_go(const gr_mem *mem, hw_dwarf *dw, uint64_t bias, gr_memacct *a, GError **error)
{
	lookup l = { dw, NULL };
	guint64 memstats = 0, mheap = 0, sizes_addr = 0;
	const hw_dwarf_type *sizes_t = NULL, *alloc_t = NULL;
	gint64 arena_bytes = 0, arena_base = 0;

	/* Names that moved between releases: the newer first. */
	if (!hw_dwarf_global(dw, "internal/runtime/gc.SizeClassToSize", &sizes_addr, &sizes_t, NULL))
		hw_dwarf_global(dw, "runtime.class_to_size", &sizes_addr, &sizes_t, &l.err);
	if (!l.err && !hw_dwarf_constant(dw, "runtime.arenaBaseOffsetUintptr", &arena_base, NULL))
		hw_dwarf_constant(dw, "runtime.arenaBaseOffset", &arena_base, &l.err);
	if (!l.err)
		hw_dwarf_global(dw, "runtime.memstats", &memstats, NULL, &l.err);
	if (!l.err)
		hw_dwarf_global(dw, "runtime.mheap_", &mheap, NULL, &l.err);
	if (!l.err)
		hw_dwarf_constant(dw, "runtime.heapArenaBytes", &arena_bytes, &l.err);
	uint64_t sys_off[SYS__N], hs_off[HS__N];
	for (int i = 0; i < SYS__N; i++)
		sys_off[i] = field(&l, "runtime.mstats", sys_fields[i]);
	uint64_t stats_off = field(&l, "runtime.mstats", "heapStats") +
	                     field(&l, "runtime.consistentHeapStats", "stats");
	for (int i = 0; i < HS__N; i++)
		hs_off[i] = field(&l, "runtime.heapStatsDelta", hs_fields[i]);
	guint64 delta_size = 0, small_alloc = 0, small_free = 0;
	if (!l.err)
		hw_dwarf_type_size(dw, "runtime.heapStatsDelta", &delta_size, &l.err);
	if (!l.err)
		hw_dwarf_struct_member(dw, "runtime.heapStatsDelta", "smallAllocCount", &small_alloc, &alloc_t, &l.err);
	small_free = field(&l, "runtime.heapStatsDelta", "smallFreeCount");
	uint64_t nclass = array_count(&l, alloc_t, "runtime.heapStatsDelta.smallAllocCount");
	uint64_t nsizes = array_count(&l, sizes_t, "the size class table");
	uint64_t spanalloc = field(&l, "runtime.mheap", "spanalloc.inuse");
	uint64_t cachealloc = field(&l, "runtime.mheap", "cachealloc.inuse");
	guint64 arenas_off;
	if (!l.err && !hw_dwarf_struct_member_offset(dw, "runtime.mheap", "heapArenas", &arenas_off, NULL))
		arenas_off = field(&l, "runtime.mheap", "allArenas");  /* before Go 1.26 */
	if (l.err)
		return layout_error(&l, error);
	const hw_dwarf_type *size_elem = hw_dwarf_type_resolve(hw_dwarf_type_resolve(sizes_t)->target);
	if (nclass != nsizes || nclass == 0 || nclass > MAX_SIZE_CLASSES || size_elem->size != 2 ||
	    delta_size == 0 || delta_size > 65536 || arena_bytes <= 0) {
		g_set_error(&l.err, GR_ERROR, GR_ERROR_LAYOUT, "the size class tables (%" PRIu64 " and %" PRIu64
		            " entries), heapStatsDelta (%" PRIu64 " bytes) or heapArenaBytes (%" PRId64 ") "
		            "do not have the shape the dumper reads", nclass, nsizes, (uint64_t)delta_size, (int64_t)arena_bytes);
		return layout_error(&l, error);
	}

	/* memstats, from heapStats to the last sysMemStat: one read. */
	uint64_t end = stats_off + 3 * delta_size;
	for (int i = 0; i < SYS__N; i++)
		end = MAX(end, sys_off[i] + 8);
	g_autofree guint8 *ms = g_malloc(end);
	uint16_t sizes[MAX_SIZE_CLASSES];
	if (!gr_mem_read(mem, memstats + bias, ms, end, "runtime.memstats", error) ||
	    !gr_mem_read(mem, sizes_addr + bias, sizes, nsizes * 2, "the size class table", error))
		return FALSE;
	/* With the world stopped the runtime sums the three generations (unsafeRead). */
	int64_t hs[HS__N] = { 0 };
	uint64_t objects = 0;
	for (int g = 0; g < 3; g++) {
		const guint8 *d = ms + stats_off + g * delta_size;
		for (int i = 0; i < HS__N; i++)
			hs[i] += (int64_t)gr_le64(d + hs_off[i]);
		for (uint64_t c = 0; c < nclass; c++)
			objects += (gr_le64(d + small_alloc + 8 * c) - gr_le64(d + small_free + 8 * c)) * sizes[c];
	}
	uint64_t sys[SYS__N];
	for (int i = 0; i < SYS__N; i++)
		sys[i] = gr_le64(ms + sys_off[i]);
	uint64_t span_inuse, cache_inuse, arenas[3];
	if (!gr_mem_u64(mem, mheap + bias + spanalloc, &span_inuse, "mheap_.spanalloc.inuse", error) ||
	    !gr_mem_u64(mem, mheap + bias + cachealloc, &cache_inuse, "mheap_.cachealloc.inuse", error) ||
	    !gr_mem_read(mem, mheap + bias + arenas_off, arenas, sizeof arenas, "mheap_.heapArenas", error))
		return FALSE;

	gr_memacct_go *go = &a->go;
	go->heap_objects = objects + (uint64_t)(hs[HS_LARGEALLOC] - hs[HS_LARGEFREE]);
	go->heap_unused = (uint64_t)hs[HS_INHEAP] - go->heap_objects;
	go->heap_free = (uint64_t)(hs[HS_COMMITTED] - hs[HS_INHEAP] - hs[HS_INSTACKS] - hs[HS_INWORKBUFS]);
	go->heap_released = (uint64_t)hs[HS_RELEASED];
	go->stacks = (uint64_t)hs[HS_INSTACKS];
	go->os_stacks = sys[SYS_STACKS];
	go->mspan_inuse = span_inuse;
	go->mspan_free = sys[SYS_MSPAN] - span_inuse;
	go->mcache_inuse = cache_inuse;
	go->mcache_free = sys[SYS_MCACHE] - cache_inuse;
	go->workbufs = (uint64_t)hs[HS_INWORKBUFS];
	go->gc_misc = sys[SYS_GCMISC];
	go->gc = go->workbufs + go->gc_misc;
	go->other = sys[SYS_OTHER];
	go->profiling = sys[SYS_BUCKHASH];
	go->total = (uint64_t)(hs[HS_COMMITTED] + hs[HS_RELEASED]) + sys[SYS_STACKS] + sys[SYS_MSPAN] +
	            sys[SYS_MCACHE] + sys[SYS_BUCKHASH] + sys[SYS_GCMISC] + sys[SYS_OTHER];

	if (arenas[1] > MAX_ARENAS) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "mheap_.heapArenas at 0x%" PRIx64 " has %" PRIu64
		            " entries, more than an address space holds", mheap + bias + arenas_off, arenas[1]);
		return FALSE;
	}
	a->arena_bytes = (uint64_t)arena_bytes;
	a->n_arenas = arenas[1];
	a->arenas = g_new(uint64_t, MAX(a->n_arenas, 1));
	if (a->n_arenas && !gr_mem_read(mem, arenas[0], a->arenas, a->n_arenas * 8, "mheap_.heapArenas' array", error))
		return FALSE;
	for (size_t i = 0; i < a->n_arenas; i++)
		a->arenas[i] = a->arenas[i] * a->arena_bytes + (uint64_t)arena_base;
	return TRUE;
}

#define PAGE 4096u

static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & ~(uint64_t)(PAGE - 1); }

void gr_memacct_read(const gr_mem *mem, hw_dwarf *dw, hw_elf *elf, uint64_t bias,
                     const gr_pause *p, gr_memacct *out)
{
	memset(out, 0, sizeof *out);
	for (guint i = 0; i < p->gs->len; i++) {
		const gr_g *g = &g_array_index(p->gs, gr_g, i);
		if (g->stack_hi > g->stack_lo)
			out->goroutine_stacks += g->stack_hi - g->stack_lo;
	}
	gsize nseg;
	const hw_elf_segment *seg = hw_elf_segments(elf, &nseg);
	for (gsize i = 0; i < nseg; i++) {
		uint64_t len = page_up(seg[i].vaddr + seg[i].memsz) - (seg[i].vaddr & ~(uint64_t)(PAGE - 1));
		if (seg[i].flags & 2 /* PF_W */)
			out->data_bss_size += len;
		else
			out->text_rodata_size += len;
	}
	GError *e = NULL;
	out->has_go = read_go(mem, dw, bias, out, &e);
	if (!out->has_go) {
		out->note = g_strdup(e->message);
		g_error_free(e);
	}
}

/* One arena's pages: 0 not resident, 1 resident and not yet attributed, 2 attributed. */
typedef struct arena_pages {
	uint64_t base;
	guint8 *state;
} arena_pages;

static int arena_cmp(const void *x, const void *y)
{
	uint64_t a = ((const arena_pages *)x)->base, b = ((const arena_pages *)y)->base;
	return a < b ? -1 : a > b;
}

/* Reads pagemap for every arena. */
static gboolean arenas_resident(const gr_memacct *a, int fd, arena_pages *ap, uint64_t *resident,
                                const char *path, GError **error)
{
	size_t npages = a->arena_bytes / PAGE;
	g_autofree uint64_t *ent = g_new(uint64_t, npages);
	*resident = 0;
	for (size_t i = 0; i < a->n_arenas; i++) {
		ap[i].base = a->arenas[i];
		ap[i].state = g_malloc(npages);
		size_t want = npages * 8, got = 0;
		while (got < want) {
			ssize_t n = pread(fd, (char *)ent + got, want - got, (off_t)(ap[i].base / PAGE * 8 + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				g_set_error(error, GR_ERROR, GR_ERROR_READ, "reading %s for the arena at 0x%" PRIx64 ": %s",
				            path, ap[i].base, n < 0 ? g_strerror(errno) : "short read");
				return FALSE;
			}
			got += (size_t)n;
		}
		/* Bit 63: present; bit 56: mapped by this process alone. A page only ever read maps
		 * the shared zero page, present but not exclusive, and RSS does not count it. */
		for (size_t k = 0; k < npages; k++) {
			ap[i].state[k] = (ent[k] >> 63) & (ent[k] >> 56) & 1;
			*resident += ap[i].state[k] * (uint64_t)PAGE;
		}
	}
	qsort(ap, a->n_arenas, sizeof *ap, arena_cmp);
	return TRUE;
}

/* Attributes the resident, not yet attributed pages touching [start, end) and returns their
 * bytes (a page shared by two small stacks counts once). */
static uint64_t claim(arena_pages *ap, size_t n, uint64_t arena_bytes, uint64_t start, uint64_t end)
{
	uint64_t bytes = 0;
	for (uint64_t pg = start & ~(uint64_t)(PAGE - 1); pg < end; pg += PAGE) {
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (ap[mid].base <= pg)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0 || pg - ap[lo - 1].base >= arena_bytes)
			continue;
		guint8 *st = &ap[lo - 1].state[(pg - ap[lo - 1].base) / PAGE];
		if (*st == 1) {
			*st = 2;
			bytes += PAGE;
		}
	}
	return bytes;
}

/* The kinds of mapping /proc/PID/smaps shows, as the reconciliation groups them. */
typedef enum { MAP_ANON, MAP_TEXT, MAP_DATA, MAP_STACK, MAP_BRK, MAP_OTHER } map_kind;

static map_kind classify(uint64_t start, const char *name, const hw_elf_segment *seg, gsize nseg,
                         uint64_t bias)
{
	for (gsize i = 0; i < nseg; i++) {
		uint64_t lo = (seg[i].vaddr + bias) & ~(uint64_t)(PAGE - 1);
		if (start >= lo && start < page_up(seg[i].vaddr + bias + seg[i].memsz))
			return seg[i].flags & 2 ? MAP_DATA : MAP_TEXT;
	}
	if (!*name)
		return MAP_ANON;
	if (strcmp(name, "[stack]") == 0)
		return MAP_STACK;
	if (strcmp(name, "[heap]") == 0)
		return MAP_BRK;
	return MAP_OTHER;
}

/* Sums smaps' Rss per kind of mapping. */
static gboolean smaps_rss(pid_t pid, const hw_elf_segment *seg, gsize nseg, uint64_t bias,
                          uint64_t rss[MAP_OTHER + 1], GError **error)
{
	char *path = g_strdup_printf("/proc/%d/smaps", (int)pid);
	g_autofree char *text = NULL;
	GError *e = NULL;
	if (!g_file_get_contents(path, &text, NULL, &e)) {
		g_set_error(error, GR_ERROR, GR_ERROR_READ, "reading %s: %s", path, e->message);
		g_error_free(e);
		g_free(path);
		return FALSE;
	}
	map_kind kind = MAP_OTHER;
	gboolean in_vma = FALSE;
	unsigned lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		uint64_t start, end, kb;
		int name_at = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %*s %*s %n", &start, &end, &name_at) == 2 && name_at) {
			kind = classify(start, line + name_at, seg, nseg, bias);
			in_vma = TRUE;
		} else if (strncmp(line, "Rss:", 4) == 0) {
			if (!in_vma || sscanf(line + 4, "%" SCNu64, &kb) != 1) {
				g_set_error(error, GR_ERROR, GR_ERROR_READ, "%s line %u: an Rss line outside a "
				            "mapping or without a number", path, lineno);
				g_free(path);
				return FALSE;
			}
			rss[kind] += kb * 1024;
		}
	}
	g_free(path);
	return TRUE;
}

static gboolean resident(gr_memacct *a, pid_t pid, hw_elf *elf, uint64_t bias, const gr_pause *p,
                         GError **error)
{
	gsize nseg;
	const hw_elf_segment *seg = hw_elf_segments(elf, &nseg);
	uint64_t rss[MAP_OTHER + 1] = { 0 };
	if (!smaps_rss(pid, seg, nseg, bias, rss, error))
		return FALSE;

	char *path = g_strdup_printf("/proc/%d/pagemap", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, GR_ERROR, GR_ERROR_READ, "opening %s: %s", path, g_strerror(errno));
		g_free(path);
		return FALSE;
	}
	arena_pages *ap = g_new0(arena_pages, MAX(a->n_arenas, 1));
	uint64_t arena_rss = 0;
	gboolean ok = arenas_resident(a, fd, ap, &arena_rss, path, error);
	close(fd);
	g_free(path);
	gr_memacct_rss *r = &a->rss;
	if (ok) {
		for (size_t i = 0; i < p->spans.n; i++) {
			const gr_span *s = &p->spans.v[i];
			r->heap_inuse_spans += claim(ap, a->n_arenas, a->arena_bytes, s->start,
			                             s->start + s->npages * GR_PAGE_SIZE);
		}
		for (guint i = 0; i < p->gs->len; i++) {
			const gr_g *g = &g_array_index(p->gs, gr_g, i);
			if (g->stack_hi > g->stack_lo)
				r->heap_goroutine_stacks += claim(ap, a->n_arenas, a->arena_bytes, g->stack_lo, g->stack_hi);
		}
		r->heap_other = arena_rss - r->heap_inuse_spans - r->heap_goroutine_stacks;
		/* The arenas are anonymous memory; what is left of it is off the Go heap. Go's
		 * off-heap mappings bound what of it the runtime can account for. */
		const gr_memacct_go *go = &a->go;
		uint64_t offheap_sys = go->os_stacks + go->mspan_inuse + go->mspan_free + go->mcache_inuse +
		                       go->mcache_free + go->gc_misc + go->other + go->profiling;
		uint64_t anon = rss[MAP_ANON] > arena_rss ? rss[MAP_ANON] - arena_rss : 0;
		r->runtime_offheap = MIN(anon, offheap_sys);
		r->exe_text_rodata = rss[MAP_TEXT];
		r->exe_data_bss = rss[MAP_DATA];
		r->main_stack = rss[MAP_STACK];
		r->brk = rss[MAP_BRK];
		r->other_mappings = rss[MAP_OTHER];
		for (int k = 0; k <= MAP_OTHER; k++)
			r->rss += rss[k];
		/* smaps and pagemap are read one after the other while the process runs: should the
		 * parts exceed the smaps total, rss is their sum and nothing is unexplained. */
		uint64_t explained = arena_rss + r->runtime_offheap + r->exe_text_rodata + r->exe_data_bss +
		                     r->main_stack + r->brk + r->other_mappings;
		r->unexplained = r->rss > explained ? r->rss - explained : 0;
		r->rss = explained + r->unexplained;
		a->has_rss = TRUE;
	}
	for (size_t i = 0; i < a->n_arenas; i++)
		g_free(ap[i].state);
	g_free(ap);
	return ok;
}

void gr_memacct_resident(gr_memacct *a, pid_t pid, hw_elf *elf, uint64_t bias, const gr_pause *p)
{
	GError *e = NULL;
	if (a->has_go && !resident(a, pid, elf, bias, p, &e)) {
		a->note = g_strdup(e->message);
		g_error_free(e);
	}
}

int gr_memacct_write(hwd_writer *w, const gr_memacct *a)
{
	const gr_memacct_go *go = &a->go;
	const struct { const char *key; uint64_t v; } go_lines[] = {
		{ "mem.go.heap.objects", go->heap_objects },
		{ "mem.go.heap.unused", go->heap_unused },
		{ "mem.go.heap.free", go->heap_free },
		{ "mem.go.heap.released", go->heap_released },
		{ "mem.go.heap.stacks", go->stacks },
		{ "mem.go.os_stacks", go->os_stacks },
		{ "mem.go.mspan.inuse", go->mspan_inuse },
		{ "mem.go.mspan.free", go->mspan_free },
		{ "mem.go.mcache.inuse", go->mcache_inuse },
		{ "mem.go.mcache.free", go->mcache_free },
		{ "mem.go.gc", go->gc },
		{ "mem.go.gc.workbufs", go->workbufs },
		{ "mem.go.gc.misc", go->gc_misc },
		{ "mem.go.other", go->other },
		{ "mem.go.profiling", go->profiling },
		{ "mem.go.total", go->total },
		{ "mem.stacks.goroutines", a->goroutine_stacks },
		{ "mem.exe.text_rodata", a->text_rodata_size },
		{ "mem.exe.data_bss", a->data_bss_size },
	};
	const gr_memacct_rss *r = &a->rss;
	const struct { const char *key; uint64_t v; } rss_lines[] = {
		{ "mem.rss", r->rss },
		{ "mem.rss.heap.inuse_spans", r->heap_inuse_spans },
		{ "mem.rss.heap.goroutine_stacks", r->heap_goroutine_stacks },
		{ "mem.rss.heap.other", r->heap_other },
		{ "mem.rss.runtime_offheap", r->runtime_offheap },
		{ "mem.rss.exe.text_rodata", r->exe_text_rodata },
		{ "mem.rss.exe.data_bss", r->exe_data_bss },
		{ "mem.rss.main_stack", r->main_stack },
		{ "mem.rss.brk", r->brk },
		{ "mem.rss.other_mappings", r->other_mappings },
		{ "mem.rss.unexplained", r->unexplained },
	};
	int rc = 0;
	if (a->note)
		rc = hwd_writer_meta_str(w, "mem.note", a->note);
	for (size_t i = 0; i < G_N_ELEMENTS(go_lines) && a->has_go && !rc; i++)
		rc = hwd_writer_meta_u64(w, go_lines[i].key, go_lines[i].v);
	if (a->has_go && !a->has_rss && !a->note)
		return rc ? rc : hwd_writer_meta_str(w, "mem.rss.note", "not known: a core records the "
		                                     "memory's contents, not which pages were resident");
	for (size_t i = 0; i < G_N_ELEMENTS(rss_lines) && !rc; i++)
		rc = hwd_writer_meta_u64(w, rss_lines[i].key, rss_lines[i].v);
	return rc;
}

void gr_memacct_clear(gr_memacct *a)
{
	g_free(a->arenas);
	g_free(a->note);
	memset(a, 0, sizeof *a);
}
