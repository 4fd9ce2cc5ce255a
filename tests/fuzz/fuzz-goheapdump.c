/* fuzz-goheapdump.c - fuzz target: importing a Go heap dump (src/import/goheapdump*.c: the record
 * parser, the object rules, and the whole snapshot writing without an executable).
 *
 * Input: a whole runtime/debug.WriteHeapDump file, handed over through a memfd. The import must
 * write a snapshot that reads back, or fail with a GError; never crash, hang or allocate by an
 * unchecked count. The snapshot goes to a private directory on /dev/shm when there is one
 * (the writer fsyncs every snapshot). Seeds: corpus/goheapdump/, the synthetic dumps of
 * tests/import/test-goheapdump.c (`test-goheapdump --write-seeds DIR` writes them).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hwd.h"
#include "import/goheapdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir, *out;
	if (!dir) {
		dir = g_strdup("/dev/shm/hw-fuzz-goheapdump-XXXXXX");
		if (!g_mkdtemp(dir)) {
			g_free(dir);
			dir = g_dir_make_tmp("hw-fuzz-goheapdump-XXXXXX", NULL);
		}
		g_assert(dir);
		out = g_build_filename(dir, "out.hwd", NULL);
	}
	int fd = memfd_create("hw-fuzz-goheapdump", MFD_CLOEXEC);
	g_assert(fd >= 0);
	g_assert(write(fd, data, size) == (ssize_t)size);
	g_autofree char *path = g_strdup_printf("/proc/self/fd/%d", fd);
	hw_import_options opt = { .input = path, .output = out, .contents = TRUE };
	hw_import_result res;
	g_autoptr(GError) err = NULL;
	if (hw_import_go_heapdump(&opt, &res, &err)) {
		g_free(res.note);
		hwd_reader *r = NULL;
		g_assert(hwd_reader_open(out, HWD_OPEN_STRICT, &r, NULL) == 0);
		g_assert(hwd_reader_object_count(r) == res.objects);
		hwd_reader_close(r);
		g_unlink(out);
	} else {
		g_assert(err != NULL && !g_file_test(out, G_FILE_TEST_EXISTS));
	}
	close(fd);
	return 0;
}
