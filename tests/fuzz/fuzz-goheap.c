/* fuzz-goheap.c - fuzz target: the Go runtime walk over a corrupted memory image
 * (src/goruntime: layout over the real executable's DWARF, spans, allocation and heap bits,
 * malloc headers and type descriptors, goroutines and their stacks, specials, module data).
 *
 * Input: a saved image of a stopped Go process (goheap-image.h), mutated. The dumper runs over
 * it as over a core (hw_capture_options.image), with the executable it was taken from: the
 * path compiled in as HW_FUZZ_GOHEAP_EXE (tests/fuzz/goheap, built by meson), or the
 * environment's HEAPWALK_FUZZ_GOHEAP_EXE. It must write a snapshot that reads back, or fail
 * with a GError; never crash, hang or allocate by an unchecked count. Seeds: corpus/goheap/
 * (gen-goheap-seed; see tests/fuzz/meson.build).
 */
#include <stddef.h>
#include <stdint.h>

#include <glib/gstdio.h>

#include "capture.h"
#include "goheap-image.h"
#include "hwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir, *out;
	static const char *exe;
	if (!dir) {
		dir = g_strdup("/dev/shm/hw-fuzz-goheap-XXXXXX");
		if (!g_mkdtemp(dir)) {
			g_free(dir);
			dir = g_dir_make_tmp("hw-fuzz-goheap-XXXXXX", NULL);
		}
		g_assert(dir);
		out = g_build_filename(dir, "out.hwd", NULL);
		exe = g_getenv("HEAPWALK_FUZZ_GOHEAP_EXE");
		if (!exe)
			exe = HW_FUZZ_GOHEAP_EXE;
	}
	goheap_image im;
	g_autoptr(GError) err = NULL;
	if (!goheap_image_parse(data, size, &im, &err))
		return 0;
	hw_capture_options opt = { .image = im.mem, .threads = (const hw_thread *)im.threads->data,
	                           .n_threads = im.threads->len, .image_bias = im.bias, .exe = exe,
	                           .output = out };
	hw_capture_result res;
	if (hw_capture_run(&opt, &res, &err)) {
		hwd_reader *r = NULL;
		g_assert(hwd_reader_open(out, HWD_OPEN_STRICT, &r, NULL) == 0);
		g_assert(hwd_reader_object_count(r) == res.objects);
		hwd_reader_close(r);
		g_unlink(out);
	} else {
		g_assert(err != NULL && !g_file_test(out, G_FILE_TEST_EXISTS));
	}
	g_free(res.warning);
	goheap_image_clear(&im);
	return 0;
}
