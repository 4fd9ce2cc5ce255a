/* gen-goheap-seed.c - writes a fuzz-goheap seed: the memory a dump of a running Go process reads.
 *
 * Usage: gen-goheap-seed PID OUT.img SNAPSHOT
 *
 * Stops the process (ptrace), runs the whole dumper over it in image mode through a recording
 * memory source, and saves (goheap-image.h) every range it read outside the executable's
 * read-only segments, with the threads' registers, the executable's path and load bias; the
 * snapshot it wrote goes to SNAPSHOT. So replaying the saved image reads exactly the bytes
 * that dump read. tests/fuzz/meson.build says how the committed seed was made.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

#include "capture.h"
#include "debuginfo/elfinfo.h"
#include "goheap-image.h"
#include "target/exemem.h"
#include "target/memimage.h"
#include "target/memsrc-private.h"
#include "target/process.h"

/* Reads go to the live process (and are kept in `image`), except those the executable's
 * read-only segments hold: the fuzz target gets those from the executable itself. */
typedef struct recorder {
	hw_memsrc base;
	hw_memsrc *live, *exemem, *image;
	const hw_elf_segment *seg;
	gsize nseg;
	guint64 bias;
} recorder;

static gboolean in_readonly_segment(const recorder *r, guint64 addr, gsize len)
{
	for (gsize i = 0; i < r->nseg; i++) {
		guint64 lo = r->seg[i].vaddr + r->bias, hi = lo + r->seg[i].filesz;
		if (!(r->seg[i].flags & PF_W) && addr >= lo && addr + len <= hi)
			return TRUE;
	}
	return FALSE;
}

static gboolean recorder_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	recorder *r = (recorder *)m;
	if (in_readonly_segment(r, addr, len))
		return hw_memsrc_read(r->exemem, addr, buf, len, err);
	if (!hw_memsrc_read(r->live, addr, buf, len, err))
		return FALSE;
	hw_memimage_insert(r->image, addr, buf, len);
	return TRUE;
}

static gboolean recorder_load_regions(hw_memsrc *m, GArray *out, GError **err)
{
	recorder *r = (recorder *)m;
	gsize n;
	const hw_region *reg = hw_memsrc_regions(r->live, &n, err);
	if (!reg)
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		hw_region c = reg[i];
		c.name = g_string_chunk_insert_const(m->names, c.name);
		g_array_append_val(out, c);
	}
	return TRUE;
}

static const hw_memsrc_class recorder_class = {
	.kind = "recorder",
	.read = recorder_read,
	.load_regions = recorder_load_regions,
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gen-goheap-seed PID OUT.img SNAPSHOT\n");
		return 2;
	}
	GError *err = NULL;
	pid_t pid = (pid_t)atoi(argv[1]);
	hw_process *p = hw_process_attach(pid, &err);
	hw_elf *elf = NULL;
	guint64 start, foff, bias = 0;
	gboolean ok = p && (elf = hw_elf_open(hw_process_exe_open_path(p), &err)) &&
	              hw_process_exe_mapping(p, &start, &foff, &err) &&
	              hw_elf_load_bias(elf, start, foff, &bias, &err);
	if (ok) {
		recorder *r = g_new0(recorder, 1);
		hw_memsrc_init(&r->base, &recorder_class, g_strdup("recorder"));
		r->live = hw_process_memsrc(p);
		r->exemem = hw_exemem_new(elf, bias);
		r->image = hw_memimage_new();
		r->seg = hw_elf_segments(elf, &r->nseg);
		r->bias = bias;
		gsize nt;
		const hw_thread *th = hw_process_threads(p, &nt);
		hw_capture_options opt = { .image = &r->base, .threads = th, .n_threads = nt, .image_bias = bias,
		                           .exe = hw_process_exe_open_path(p), .output = argv[3] };
		hw_capture_result res;
		ok = hw_capture_run(&opt, &res, &err) &&
		     goheap_image_save(argv[2], hw_process_exe_path(p), bias, th, nt, r->image, &err);
		if (ok)
			printf("%s: %" G_GUINT64_FORMAT " objects, %" G_GUINT64_FORMAT " edges, %" G_GUINT64_FORMAT
			       " bytes of image\n", argv[2], res.objects, res.edges, hw_memimage_size(r->image));
		g_free(res.warning);
		hw_memsrc_unref(r->exemem);
		hw_memsrc_unref(r->image);
		hw_memsrc_unref(&r->base);
	}
	if (elf)
		hw_elf_unref(elf);
	hw_process_free(p);
	if (!ok) {
		fprintf(stderr, "gen-goheap-seed: %s\n", err->message);
		g_error_free(err);
		return 1;
	}
	return 0;
}
