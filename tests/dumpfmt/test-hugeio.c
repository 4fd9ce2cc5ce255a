/* test-hugeio.c - block output and aligned mappings (dumpfmt/hugeio.c).
 *
 * The oracle for the output is the file itself and the kernel's file position: after any
 * sequence of writes the file holds exactly the bytes given, in order; between calls every
 * byte write(2) was handed ends on a 2 MiB boundary (the position is a multiple of 2 MiB)
 * unless a flush said otherwise, and less than one block waits in memory.
 */
#include "testutil.h"
#include "hugeio.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

static uint8_t byte_at(uint64_t i)
{
	return (uint8_t)(i * 2654435761u >> 13);
}

static void fill(uint8_t *b, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = byte_at(off + i);
}

static void check_file(int fd, uint64_t len)
{
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)len);
	uint8_t *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	for (uint64_t i = 0; i < len; i++)
		if (m[i] != byte_at(i))
			fail_msg("byte %llu is 0x%02x, want 0x%02x", (unsigned long long)i, m[i], byte_at(i));
	munmap(m, len);
}

static void test_blocks(void **state)
{
	(void)state;
	char *dir = make_dir(), path[600];
	snprintf(path, sizeof path, "%s/out", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	hwd__blockout o = { fd, 0, 0, NULL };
	/* Pieces from 1 byte to more than two blocks, some starting on a boundary. */
	static const size_t sizes[] = { 1, 31, 4096, 3 << 20, 100, HWD__BLOCK - 4228, 5 << 20, 7, HWD__BLOCK, 65536, 1 };
	uint8_t *buf = malloc(5 << 20);
	assert_non_null(buf);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		fill(buf, o.off, sizes[k]);
		assert_int_equal(hwd__blockout_write(&o, buf, sizes[k]), 0);
		off_t pos = lseek(fd, 0, SEEK_CUR);
		assert_int_equal((uint64_t)pos, o.flushed);
		assert_int_equal(o.flushed % HWD__BLOCK, 0);
		assert_true(o.off - o.flushed < HWD__BLOCK);
	}
	uint64_t len = o.off;
	assert_int_equal(hwd__blockout_flush(&o), 0);
	assert_int_equal(o.flushed, len);
	check_file(fd, len);

	/* More after an explicit flush left the position off a boundary. */
	fill(buf, o.off, 4 << 20);
	assert_int_equal(hwd__blockout_write(&o, buf, 4 << 20), 0);
	assert_int_equal(o.flushed % HWD__BLOCK, 0);
	assert_int_equal(hwd__blockout_flush(&o), 0);
	len += 4 << 20;
	check_file(fd, len);

	/* A failing write returns its errno; flushed says where it began. */
	hwd__blockout bad = { -1, 0, 0, NULL };
	assert_int_equal(hwd__blockout_write(&bad, buf, 10), 0);
	assert_int_equal(hwd__blockout_flush(&bad), EBADF);
	assert_int_equal(bad.flushed, 0);
	hwd__blockout_free(&bad);

	/* Mapped: the same bytes, at a 2 MiB-aligned address. */
	uint8_t *m = hwd__map_huge(fd, len, MAP_PRIVATE);
	assert_true(m != MAP_FAILED);
	assert_int_equal((uintptr_t)m % HWD__BLOCK, 0);
	for (uint64_t i = 0; i < len; i += 4093)
		assert_int_equal(m[i], byte_at(i));
	assert_int_equal(munmap(m, len), 0);
	/* Small files are mapped the plain way. */
	m = hwd__map_huge(fd, 100, MAP_PRIVATE);
	assert_true(m != MAP_FAILED);
	assert_int_equal(m[99], byte_at(99));
	munmap(m, 100);

	hwd__blockout_free(&o);
	free(buf);
	close(fd);
	unlink(path);
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
