/* capture.c - the dump orchestration: stop → copy → detach → walk → write (see capture.h).
 *
 * The pause covers only reads of runtime metadata (through a block cache: the memory cannot
 * change while stopped) and bulk copies into memory faulted in beforehand (the staging arena,
 * sized from a look at the running target). Consistency is judged on what was read (gr_pause
 * counters); an inconsistent stop is released and retried after a short, growing delay, so a
 * target busy allocating gets a chance to leave mallocgc.
 */
#include "capture.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "debuginfo/dwarfinfo.h"
#include "debuginfo/elfinfo.h"
#include "debuginfo/moduledata.h"
#include "debuginfo/pclntab.h"
#include "goruntime/allocsites.h"
#include "goruntime/memaccount.h"
#include "goruntime/rtypes.h"
#include "goruntime/typeprop.h"
#include "target/core.h"
#include "target/exemem.h"
#include "target/memimage.h"
#include "target/process.h"
#include "target/procmem.h"

static gboolean memsrc_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return hw_memsrc_read(ctx, addr, buf, len, NULL);
}

/* While the target is stopped its memory cannot change, so reads of runtime metadata go
 * through a small cache of aligned blocks: mspans, gcBits and g structs sit in chunks, and
 * one read of a block replaces dozens of system calls. Reads that straddle a block, or
 * blocks the source cannot read whole, go to the source directly. */
#define CACHE_BLOCK 16384u
#define CACHE_SLOTS 256u

typedef struct read_cache {
	hw_memsrc *src;
	uint64_t tag[CACHE_SLOTS];     /* block address + 1, 0 = empty */
	guint8 *data;                  /* CACHE_SLOTS * CACHE_BLOCK */
} read_cache;

static gboolean cached_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	read_cache *c = ctx;
	uint64_t block = addr & ~(uint64_t)(CACHE_BLOCK - 1);
	if (len > CACHE_BLOCK || addr + len > block + CACHE_BLOCK)
		return hw_memsrc_read(c->src, addr, buf, len, NULL);
	size_t slot = (block / CACHE_BLOCK) % CACHE_SLOTS;
	guint8 *d = c->data + slot * CACHE_BLOCK;
	if (c->tag[slot] != block + 1) {
		if (!hw_memsrc_read(c->src, block, d, CACHE_BLOCK, NULL)) {
			c->tag[slot] = 0;
			return hw_memsrc_read(c->src, addr, buf, len, NULL);
		}
		c->tag[slot] = block + 1;
	}
	memcpy(buf, d + (addr - block), len);
	return TRUE;
}

/* Everything read during one stop; `why` says what made it inconsistent (NULL if nothing). */
static gboolean read_pause(const gr_mem *mem, const gr_layout *L, gr_pause *p, char **why, GError **error)
{
	*why = NULL;
	if (!gr_spans_read(mem, L, &p->spans, error) || !gr_goroutines_read(mem, L, p, error) ||
	    !gr_specials_read(mem, L, p, error) || !gr_queues_read(mem, L, p, error) ||
	    !gr_ranges_read(mem, L, p, error))
		return FALSE;
	if (p->n_mallocing || p->n_locks || p->n_copystack || p->spans.n_mid_sweep)
		*why = g_strdup_printf("stopped mid-update: %zu M in mallocgc, %zu M holding runtime locks, "
		                       "%zu goroutines copying their stack, %zu spans being swept",
		                       p->n_mallocing, p->n_locks, p->n_copystack, p->spans.n_mid_sweep);
	return TRUE;
}

/* Noscan spans of objects up to this size are copied although no edge starts in them: a
 * closure without pointers (a method value on a scalar receiver, a closure capturing a few
 * integers) lives in one, and its type comes from its first word, the function, read when
 * typing after the detach. Bigger noscan objects (payloads, buffers, long strings: half of a
 * typical heap's bytes) are left out; a pointer-free closure over 32 bytes is then named by
 * size class (documented in docs/DESIGN.md). */
#define NOSCAN_COPY_MAX 32

/* The ranges of the spans the walk reads, adjacent ones merged, appended to runs
 * (hw_procmem_range). */
static void span_runs(const gr_spans *ss, GArray *runs)
{
	hw_procmem_range r = { 0, 0 };
	for (size_t i = 0; i < ss->n; i++) {
		const gr_span *s = &ss->v[i];
		if (gr_span_noscan(s) && (gr_span_sizeclass(s) == 0 || s->elemsize > NOSCAN_COPY_MAX))
			continue;
		uint64_t len = s->npages * GR_PAGE_SIZE;
		if (r.len && s->start == r.addr + r.len) {
			r.len += len;
			continue;
		}
		if (r.len)
			g_array_append_val(runs, r);
		r = (hw_procmem_range){ s->start, len };
	}
	if (r.len)
		g_array_append_val(runs, r);
}

/* The heap copy: most of a dump's bytes. Copying them into freshly allocated memory would
 * spend the pause on page faults, so the destination (the staging arena) is mapped and
 * faulted in before the target is stopped, sized from a look at the running target's spans.
 * The runs go into it back to back, many per system call (hw_procmem_read_ranges). Reads of
 * the walk go to the arena for heap runs and to the image (stacks, data, bss, over the
 * executable) for everything else. */
typedef struct heap_copy {
	guint8 *arena;
	size_t cap;
	size_t tail;               /* unused bytes past cap, unmapped after the pause */
	GArray *runs;              /* hw_procmem_range, sorted by addr */
	GArray *offs;              /* guint64: each run's offset in the arena */
	hw_memsrc *rest;
} heap_copy;

static gboolean heap_copy_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	heap_copy *h = ctx;
	guint lo = 0, hi = h->runs ? h->runs->len : 0;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (g_array_index(h->runs, hw_procmem_range, mid).addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const hw_procmem_range *r = &g_array_index(h->runs, hw_procmem_range, lo - 1);
		if (addr - r->addr < r->len && len <= r->len - (addr - r->addr)) {
			memcpy(buf, h->arena + g_array_index(h->offs, guint64, lo - 1) + (addr - r->addr), len);
			return TRUE;
		}
	}
	return hw_memsrc_read(h->rest, addr, buf, len, NULL);
}

static void heap_copy_clear(heap_copy *h)
{
	if (h->arena)
		munmap(h->arena, h->cap + h->tail);
	if (h->runs)
		g_array_unref(h->runs);
	if (h->offs)
		g_array_unref(h->offs);
	if (h->rest)
		hw_memsrc_unref(h->rest);
	memset(h, 0, sizeof *h);
}

/* Maps the staging arena for a heap like the one the running target has now (plus room for
 * growth until the stop), reading through `cache` (the pause's block cache, emptied here).
 * Best effort: on any failure the arena is mapped during the pause. */
static void heap_copy_prepare(heap_copy *h, read_cache *cache, hw_elf *elf, hw_dwarf *dw, pid_t pid)
{
	hw_memsrc *m = hw_procmem_new(pid, NULL);
	if (!m)
		return;
	char *link = g_strdup_printf("/proc/%d/exe", (int)pid);
	char *exe = g_file_read_link(link, NULL);
	g_free(link);
	gsize nr = 0;
	const hw_region *reg = exe ? hw_memsrc_regions(m, &nr, NULL) : NULL;
	uint64_t bias = 0, est = 0;
	gboolean found = FALSE;
	for (gsize i = 0; reg && i < nr && !found; i++)
		if (strcmp(reg[i].name, exe) == 0)
			found = hw_elf_load_bias(elf, reg[i].start, reg[i].file_offset, &bias, NULL);
	gr_layout L;
	gr_spans ss;
	cache->src = m;
	memset(cache->tag, 0, sizeof cache->tag);
	gr_mem mem = { cached_read, cache };
	if (found && gr_layout_load(dw, bias, &L, NULL) && gr_spans_read(&mem, &L, &ss, NULL)) {
		GArray *runs = g_array_new(FALSE, FALSE, sizeof(hw_procmem_range));
		span_runs(&ss, runs);
		for (guint i = 0; i < runs->len; i++)
			est += g_array_index(runs, hw_procmem_range, i).len;
		g_array_unref(runs);
		gr_spans_clear(&ss);
	}
	cache->src = NULL;
	g_free(exe);
	hw_memsrc_unref(m);
	if (!est)
		return;
	size_t cap = (size_t)(est + est / 8 + (32u << 20));
	void *a = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return;
	/* Huge pages where the kernel has them: a gigabyte copied into 4 KiB pages spends a good
	 * part of the pause on TLB misses. Then fault everything in now, not during the pause. */
	(void)madvise(a, cap, MADV_HUGEPAGE);
	if (madvise(a, cap, MADV_POPULATE_WRITE) != 0)
		for (size_t off = 0; off < cap; off += 4096)
			((volatile guint8 *)a)[off] = 0;
	h->arena = a;
	h->cap = cap;
}

/* Copies the heap's spans the walk reads into the staging arena (see heap_copy). */
static gboolean copy_heap(heap_copy *h, hw_memsrc *src, const gr_spans *ss, hw_pause_parts *parts,
                          GError **error)
{
	h->runs = g_array_new(FALSE, FALSE, sizeof(hw_procmem_range));
	span_runs(ss, h->runs);
	h->offs = g_array_sized_new(FALSE, FALSE, sizeof(guint64), h->runs->len);
	guint64 total = 0;
	for (guint i = 0; i < h->runs->len; i++) {
		g_array_append_val(h->offs, total);
		total += g_array_index(h->runs, hw_procmem_range, i).len;
	}
	if (total > h->cap) {
		/* The heap outgrew the arena prepared for it, which grows keeping the pages already
		 * faulted in, or there is none: the new pages fault in during the copy. */
		void *a = total > G_MAXSIZE ? MAP_FAILED
		          : h->arena ? mremap(h->arena, h->cap, (size_t)total, MREMAP_MAYMOVE)
		                     : mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a == MAP_FAILED) {
			g_set_error(error, GR_ERROR, GR_ERROR_READ, "cannot map %" G_GUINT64_FORMAT
			            " bytes for the copy of the heap's spans", total);
			return FALSE;
		}
		h->arena = a;
		h->cap = (size_t)total;
	}
	parts->heap_bytes = total;
	if (total && !hw_procmem_read_ranges(src, (const hw_procmem_range *)h->runs->data, h->runs->len,
	                                     h->arena, &parts->heap_reads, error))
		return FALSE;
	/* Give back the room left for growth (after the pause: munmap is not free). */
	size_t keep = ((size_t)total + 4095) & ~(size_t)4095;
	if (h->arena && keep < h->cap) {
		h->tail = h->cap - keep;
		h->cap = keep;
	}
	return TRUE;
}

/* Copies what the walk reads from the target: the heap's spans (span_runs) into the staging arena,
 * the rest into image. */
static gboolean copy_image(heap_copy *h, hw_memsrc *image, hw_memsrc *src, const gr_layout *L,
                           const gr_pause *p, hw_pause_parts *parts, GError **error)
{
	guint64 t0 = hw_clock_ns(CLOCK_MONOTONIC);
	if (!copy_heap(h, src, &p->spans, parts, error))
		return FALSE;
	guint64 t1 = hw_clock_ns(CLOCK_MONOTONIC);
	parts->heap_ns = t1 - t0;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < p->gs->len; i++) {
		const gr_g *g = &g_array_index(p->gs, gr_g, i);
		if (g->stack_hi > g->stack_lo)
			ok = hw_memimage_copy(image, src, g->stack_lo, g->stack_hi - g->stack_lo, error);
	}
	for (guint i = 0; ok && i < p->ranges->len; i++) {
		const gr_ptr_range *r = &g_array_index(p->ranges, gr_ptr_range, i);
		if (r->end > r->start)
			ok = hw_memimage_copy(image, src, r->start, r->end - r->start, error);
	}
	ok = ok && hw_memimage_copy(image, src, L->firstmoduledata, L->md_size, error);
	parts->rest_ns = hw_clock_ns(CLOCK_MONOTONIC) - t1;
	return ok;
}

typedef struct target {
	hw_process *proc;
	hw_core *core;
	hw_elf *elf;
	hw_dwarf *dwarf;
	gr_debuginfo_kind debuginfo;     /* where dwarf came from */
	const gr_layout_table *table;    /* the layout table, when the executable had no DWARF */
	uint64_t bias;
	gr_layout L;
	hw_memsrc *walk_mem;       /* image over executable, or the core */
	heap_copy heap;            /* live targets: the heap runs, then walk_mem */
	GArray *threads;           /* hw_thread copies */
	gr_pause pause;
	gr_memacct acct;           /* memory accounting (mem.* meta) */
	gr_allocsites sites;       /* heap profiler samples (ALLOC_* records) */
	int64_t now_mono;
} target;

static void target_clear(target *t)
{
	hw_process_free(t->proc);
	if (t->core)
		hw_core_free(t->core);
	if (t->dwarf)
		hw_dwarf_free(t->dwarf);
	if (t->elf)
		hw_elf_unref(t->elf);
	if (t->walk_mem)
		hw_memsrc_unref(t->walk_mem);
	heap_copy_clear(&t->heap);
	if (t->threads)
		g_array_unref(t->threads);
	gr_pause_clear(&t->pause);
	gr_memacct_clear(&t->acct);
	gr_allocsites_clear(&t->sites);
}

static gboolean load_debuginfo(target *t, const char *exe, const char *debug_file, GError **error)
{
	t->elf = hw_elf_open(exe, error);
	if (!t->elf)
		return FALSE;
	t->dwarf = gr_debuginfo_load(t->elf, debug_file, &t->debuginfo, &t->table, error);
	return t->dwarf != NULL;
}

/* Stops the process (retrying while inconsistent), copies, detaches. */
static gboolean capture_live(target *t, const hw_capture_options *opt, hw_capture_result *res,
                             GError **error)
{
	char *exe = g_strdup_printf("/proc/%d/exe", (int)opt->pid);
	gboolean ok = load_debuginfo(t, exe, opt->debug_file, error);
	g_free(exe);
	if (!ok)
		return FALSE;
	/* The block cache, written now so that its pages do not fault in during the pause. */
	read_cache cache = { .data = g_malloc((size_t)CACHE_SLOTS * CACHE_BLOCK) };
	memset(cache.data, 0, (size_t)CACHE_SLOTS * CACHE_BLOCK);
	heap_copy_prepare(&t->heap, &cache, t->elf, t->dwarf, opt->pid);
	for (unsigned attempt = 0;; attempt++) {
		t->proc = hw_process_attach(opt->pid, error);
		if (!t->proc) {
			g_free(cache.data);
			return FALSE;
		}
		hw_pause_parts *parts = &res->parts;
		memset(parts, 0, sizeof *parts);
		guint64 t0 = hw_clock_ns(CLOCK_MONOTONIC);
		hw_memsrc *live = hw_process_memsrc(t->proc);
		cache.src = live;
		memset(cache.tag, 0, sizeof cache.tag);
		gr_mem mem = { cached_read, &cache };
		guint64 start, foff;
		char *why = NULL;
		gr_pause_init(&t->pause);
		hw_memsrc *image = NULL;
		ok = hw_process_exe_mapping(t->proc, &start, &foff, error) &&
		     hw_elf_load_bias(t->elf, start, foff, &t->bias, error) &&
		     (attempt > 0 || gr_layout_load(t->dwarf, t->bias, &t->L, error)) &&
		     read_pause(&mem, &t->L, &t->pause, &why, error);
		if (ok && why && attempt < opt->max_retries) {
			/* Let the runtime finish what it was doing, then stop it again. */
			hw_process_free(t->proc);
			t->proc = NULL;
			gr_pause_clear(&t->pause);
			g_free(why);
			res->retries++;
			g_usleep(2000 * (attempt + 1));
			continue;
		}
		if (ok) {
			guint64 t1 = hw_clock_ns(CLOCK_MONOTONIC);
			parts->metadata_ns = t1 - t0;
			gr_memacct_read(&(gr_mem){ memsrc_read, live }, t->dwarf, t->elf, t->bias, &t->pause, &t->acct);
			guint64 t2 = hw_clock_ns(CLOCK_MONOTONIC);
			parts->memacct_ns = t2 - t1;
			gr_allocsites_read(&mem, t->dwarf, t->bias, &t->L, &t->pause.spans, &t->sites);
			guint64 t3 = hw_clock_ns(CLOCK_MONOTONIC);
			parts->allocsites_ns = t3 - t2;
			image = hw_memimage_new();
			ok = copy_image(&t->heap, image, live, &t->L, &t->pause, parts, error);
			gsize nt;
			const hw_thread *th = hw_process_threads(t->proc, &nt);
			t->threads = g_array_sized_new(FALSE, FALSE, sizeof(hw_thread), (guint)nt);
			g_array_append_vals(t->threads, th, (guint)nt);
			t->now_mono = (int64_t)hw_clock_ns(CLOCK_MONOTONIC);
		}
		res->pause_ns = hw_process_detach(t->proc);
		g_free(cache.data);
		parts->proc = *hw_process_pause_stats(t->proc);
		if (ok)
			gr_memacct_resident(&t->acct, opt->pid, t->elf, t->bias, &t->pause);
		if (t->heap.tail) {
			munmap(t->heap.arena + t->heap.cap, t->heap.tail);
			t->heap.tail = 0;
		}
		/* A PIE's type descriptors and tables hold pointers relocated at load time, so the
		 * file's bytes are not the target's: copy its mapped segments from the target. They
		 * do not change after startup, so this needs no pause. */
		if (ok && hw_elf_is_pie(t->elf)) {
			gsize nseg;
			const hw_elf_segment *seg = hw_elf_segments(t->elf, &nseg);
			for (gsize i = 0; i < nseg && ok; i++)
				ok = hw_memimage_copy_mapped(image, live, seg[i].vaddr + t->bias, seg[i].memsz, NULL, error);
		}
		res->warning = why;
		if (!ok) {
			if (image)
				hw_memsrc_unref(image);
			return FALSE;
		}
		hw_memsrc *exemem = hw_exemem_new(t->elf, t->bias);
		t->walk_mem = hw_memsrc_new_layered(image, exemem);
		t->heap.rest = hw_memsrc_ref(t->walk_mem);
		hw_memsrc_unref(exemem);
		hw_memsrc_unref(image);
		return TRUE;
	}
}

/* The pause's reads over a memory that no longer changes (a core or a saved image), with
 * that memory's threads. */
static gboolean read_still(target *t, hw_capture_result *res, const hw_thread *th, gsize nt,
                           GError **error)
{
	gr_mem mem = { memsrc_read, t->walk_mem };
	gr_pause_init(&t->pause);
	if (!gr_layout_load(t->dwarf, t->bias, &t->L, error) ||
	    !read_pause(&mem, &t->L, &t->pause, &res->warning, error))
		return FALSE;
	gr_memacct_read(&mem, t->dwarf, t->elf, t->bias, &t->pause, &t->acct);
	gr_allocsites_read(&mem, t->dwarf, t->bias, &t->L, &t->pause.spans, &t->sites);
	t->threads = g_array_sized_new(FALSE, FALSE, sizeof(hw_thread), (guint)nt);
	g_array_append_vals(t->threads, th, (guint)nt);
	t->now_mono = -1;
	return TRUE;
}

static gboolean capture_core(target *t, const hw_capture_options *opt, hw_capture_result *res,
                             GError **error)
{
	t->core = hw_core_open(opt->core, opt->exe, error);
	if (!t->core || !load_debuginfo(t, hw_core_exe_path(t->core), opt->debug_file, error))
		return FALSE;
	t->bias = hw_core_exe_bias(t->core);
	t->walk_mem = hw_memsrc_ref(hw_core_memsrc(t->core));
	gsize nt;
	const hw_thread *th = hw_core_threads(t->core, &nt);
	return read_still(t, res, th, nt, error);
}

/* A saved image: copied ranges over the executable, as for a live target after the pause. */
static gboolean capture_image(target *t, const hw_capture_options *opt, hw_capture_result *res,
                              GError **error)
{
	if (!load_debuginfo(t, opt->exe, opt->debug_file, error))
		return FALSE;
	t->bias = opt->image_bias;
	hw_memsrc *exemem = hw_exemem_new(t->elf, t->bias);
	t->walk_mem = hw_memsrc_new_layered(opt->image, exemem);
	hw_memsrc_unref(exemem);
	return read_still(t, res, opt->threads, opt->n_threads, error);
}

static gboolean write_meta(hwd_writer *w, const target *t, const hw_capture_options *opt,
                           const hw_capture_result *res, const gr_walk *wk, GError **error)
{
	const char *gover = NULL, *modinfo = NULL;
	hw_elf_go_buildinfo(t->elf, &gover, &modinfo, NULL);
	const char *rtver = hw_elf_go_runtime_version(t->elf, NULL);
	const char *bid = hw_elf_build_id(t->elf), *gobid = hw_elf_go_build_id(t->elf);
	uint64_t inuse = 0;
	for (size_t i = 0; i < t->pause.spans.n; i++)
		inuse += t->pause.spans.v[i].npages * GR_PAGE_SIZE;
	int rc = 0;
	rc |= hwd_writer_meta_str(w, "source", opt->core ? "core" : opt->image ? "image" : "live");
	if (opt->pid)
		rc |= hwd_writer_meta_u64(w, "pid", (uint64_t)opt->pid);
	else if (t->core && hw_core_get_notes(t->core)->pid > 0)
		rc |= hwd_writer_meta_u64(w, "pid", (uint64_t)hw_core_get_notes(t->core)->pid);
	rc |= hwd_writer_meta_str(w, "exe", opt->core ? hw_core_exe_path(t->core) :
	                                    opt->image ? opt->exe : hw_process_exe_path(t->proc));
	if (opt->core)
		rc |= hwd_writer_meta_str(w, "core.path", opt->core);
	if (bid)
		rc |= hwd_writer_meta_str(w, "build.id", bid);
	if (gobid)
		rc |= hwd_writer_meta_str(w, "go.build_id", gobid);
	if (rtver || gover)
		rc |= hwd_writer_meta_str(w, "go.version", rtver ? rtver : gover);
	rc |= gr_debuginfo_write_meta(w, t->debuginfo, t->table, opt->debug_file);
	rc |= hwd_writer_meta_u64(w, "capture.time_ns", hw_clock_ns(CLOCK_REALTIME));
	if (opt->pid) {
		const hw_pause_parts *pp = &res->parts;
		rc |= hwd_writer_meta_u64(w, "pause_ns", res->pause_ns);
		rc |= hwd_writer_meta_u64(w, "pause.stop_ns", pp->proc.stop_ns);
		rc |= hwd_writer_meta_u64(w, "pause.metadata_ns", pp->metadata_ns);
		rc |= hwd_writer_meta_u64(w, "pause.memacct_ns", pp->memacct_ns);
		rc |= hwd_writer_meta_u64(w, "pause.allocsites_ns", pp->allocsites_ns);
		rc |= hwd_writer_meta_u64(w, "pause.heap_copy_ns", pp->heap_ns);
		rc |= hwd_writer_meta_u64(w, "pause.heap_copy_bytes", pp->heap_bytes);
		rc |= hwd_writer_meta_u64(w, "pause.heap_copy_reads", pp->heap_reads);
		rc |= hwd_writer_meta_u64(w, "pause.rest_copy_ns", pp->rest_ns);
		rc |= hwd_writer_meta_u64(w, "pause.detach_ns", pp->proc.detach_ns);
		rc |= hwd_writer_meta_u64(w, "pause.realtime", pp->proc.realtime ? 1 : 0);
		rc |= hwd_writer_meta_u64(w, "pause.cpu_wait_ns", pp->proc.cpu_wait_ns);
		rc |= hwd_writer_meta_u64(w, "pause.preempted", pp->proc.preempted);
		rc |= hwd_writer_meta_u64(w, "pause.faults", pp->proc.faults);
	}
	rc |= hwd_writer_meta_u64(w, "capture.retries", res->retries);
	if (res->warning)
		rc |= hwd_writer_meta_str(w, "capture.warning", res->warning);
	rc |= hwd_writer_meta_str(w, "go.gc_phase", t->pause.gcphase == 0 ? "off" : "mark");
	rc |= hwd_writer_meta_u64(w, "mem.heap_inuse", inuse);
	rc |= hwd_writer_meta_u64(w, "mem.heap_alloc", wk->objects.slot_bytes);
	rc |= hwd_writer_meta_u64(w, "mem.heap_objects", wk->objects.n);
	rc |= hwd_writer_meta_u64(w, "mem.spans_in_use", t->pause.spans.n);
	rc |= hwd_writer_meta_u64(w, "walk.spans_unexpected_nelems", t->pause.spans.n_odd_nelems);
	rc |= hwd_writer_meta_u64(w, "walk.pointer_words", wk->st.ptr_words);
	rc |= hwd_writer_meta_u64(w, "walk.nonheap_pointer_words", wk->st.nonheap_words);
	rc |= hwd_writer_meta_u64(w, "walk.free_slot_pointer_words", wk->st.free_slot_words);
	rc |= hwd_writer_meta_u64(w, "walk.incomplete_objects", wk->st.incomplete_objects);
	rc |= hwd_writer_meta_u64(w, "walk.conservative_roots", wk->st.conservative_roots);
	rc |= hwd_writer_meta_u64(w, "walk.unwind_stops", wk->st.unwind_stops);
	rc |= gr_memacct_write(w, &t->acct);
	return gr_walk_check(rc, "metadata", error);
}

static gboolean walk_and_write(target *t, const hw_capture_options *opt, hw_capture_result *res,
                               GError **error)
{
	gr_mem mem = { memsrc_read, t->walk_mem };
	if (t->heap.rest)
		mem = (gr_mem){ heap_copy_read, &t->heap };
	gr_walk wk = { 0 };
	gr_typing typing = { 0 };
	wk.mem = &mem;
	wk.L = &t->L;
	wk.pause = &t->pause;
	wk.dwarf = t->dwarf;
	wk.bias = t->bias;
	wk.threads = (const hw_thread *)t->threads->data;
	wk.n_threads = t->threads->len;
	wk.now_mono_ns = t->now_mono;
	hw_moduledata md;
	if (!hw_moduledata_read(t->walk_mem, t->dwarf, t->L.firstmoduledata, &md, error) ||
	    !gr_objects_build(&t->pause.spans, &wk.objects, error))
		return FALSE;
	gboolean ok = FALSE;
	gr_rtypes *rtypes = NULL;
	wk.pcln = hw_pclntab_new(t->walk_mem, &md, error);
	if (!wk.pcln)
		goto out;
	wk.types = gr_types_new(&mem, &t->L.abi, md.types, md.etypes);
	/* Without DWARF, the type descriptors stand in for DWARF's types (rtypes.h). */
	if (t->table && (rtypes = gr_rtypes_new(&mem, &t->L, wk.types, t->bias)))
		hw_dwarf_set_runtime_types(t->dwarf, gr_rtypes_lookup, rtypes);
	hwd_writer_options wo = { .producer = "heapwalk (go dumper)", .pointer_size = 8,
	                          .compress_level = opt->compress_level };
	hwd_error herr;
	if (hwd_writer_open(opt->output, &wo, &wk.w, &herr) != 0) {
		g_set_error(error, GR_ERROR, GR_ERROR_READ, "cannot create %s: %s", opt->output, herr.message);
		goto out;
	}
	wk.typing = &typing;
	ok = gr_typing_build(&wk, md.types, &typing, error) &&
	     gr_heap_emit_objects(&wk, error) && gr_heap_emit_edges(&wk, error) &&
	     gr_roots_emit_globals(&wk, error) && gr_roots_emit_specials(&wk, error) &&
	     gr_goroutines_emit(&wk, error) && gr_roots_emit_threads(&wk, error) &&
	     gr_allocsites_emit(&wk, &t->sites, error) &&
	     write_meta(wk.w, t, opt, res, &wk, error);
	if (!ok) {
		hwd_writer_abort(wk.w);
		goto out;
	}
	if (hwd_writer_finish(wk.w, &herr) != 0) {
		g_set_error(error, GR_ERROR, GR_ERROR_READ, "writing %s: %s", opt->output, herr.message);
		ok = FALSE;
		goto out;
	}
	res->objects = wk.objects.n;
	res->object_bytes = wk.objects.slot_bytes;
	res->edges = wk.st.edges;
	res->roots = wk.st.roots;
	res->goroutines = t->pause.gs->len;
	res->no_dwarf = t->table ? t->table->release : NULL;
out:
	if (rtypes) {
		hw_dwarf_set_runtime_types(t->dwarf, NULL, NULL);
		gr_rtypes_free(rtypes);
	}
	gr_typing_free(&typing);
	gr_types_free(wk.types);
	if (wk.pcln)
		hw_pclntab_free(wk.pcln);
	gr_objects_clear(&wk.objects);
	return ok;
}

gboolean hw_capture_run(const hw_capture_options *opt, hw_capture_result *res, GError **error)
{
	memset(res, 0, sizeof *res);
	target t = { 0 };
	gr_allocsites_init(&t.sites);
	gboolean ok = (opt->core ? capture_core(&t, opt, res, error) :
	               opt->image ? capture_image(&t, opt, res, error) : capture_live(&t, opt, res, error)) &&
	              walk_and_write(&t, opt, res, error);
	target_clear(&t);
	return ok;
}
