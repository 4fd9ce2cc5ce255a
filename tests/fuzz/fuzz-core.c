/* fuzz-core.c - fuzz target: opening an ELF core (src/target/core.c: ELF header, program
 * headers, PT_LOAD bounds, notes, executable lookup).
 *
 * Input: a whole core file, handed over through a memfd. hw_core_open() must return a core or
 * a GError, never crash or hang. Seeds: corpus/core/.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("hw-fuzz-core", MFD_CLOEXEC);
	g_assert(fd >= 0);
	g_assert(write(fd, data, size) == (ssize_t)size);
	g_autofree char *path = g_strdup_printf("/proc/self/fd/%d", fd);
	g_autoptr(GError) err = NULL;
	/* /bin/true stands in for the executable so a valid core gets as far as layering. */
	g_autoptr(hw_core) core = hw_core_open(path, "/bin/true", &err);
	g_assert(core != NULL || err != NULL);
	if (core) {
		guint8 buf[64];
		hw_memsrc_read(hw_core_memsrc(core), 0x400000, buf, sizeof buf, NULL);
	}
	close(fd);
	return 0;
}
