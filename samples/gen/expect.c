/* expect.c - the expectations sidecar: what an exact analysis of the snapshot must find.
 *
 * Every shape knows its graph by construction, so it can state the answers (reachability,
 * immediate dominators, retained sizes) without running any graph algorithm on what it wrote.
 * Tests use this file as an oracle for analysis/ and the CLI at sizes where brute force is out
 * of reach. The format is line-based text so that C tests and shell scripts read it alike:
 *
 *   # comment
 *   KEY VALUE                      summary values (objects, reachable_bytes, ...)
 *   object INDEX IDOM RETAINED     IDOM is an index, "root" (the super-root) or "none"
 *
 * samples/README.md lists the keys each shape writes.
 */
#include "hwgen.h"

#include <errno.h>
#include <string.h>

int hwgen_expect_open(hwgen_expect *e, const char *path)
{
	e->f = NULL;
	e->owned = 0;
	if (!path)
		return 0;
	if (strcmp(path, "-") == 0) {
		e->f = stdout;
		return 0;
	}
	e->f = fopen(path, "w");
	if (!e->f) {
		fprintf(stderr, "hwgen: cannot create expectations file %s: %s\n", path, strerror(errno));
		return -1;
	}
	e->owned = 1;
	return 0;
}

void hwgen_expect_u64(hwgen_expect *e, const char *key, uint64_t v)
{
	if (e->f)
		fprintf(e->f, "%s %llu\n", key, (unsigned long long)v);
}

void hwgen_expect_str(hwgen_expect *e, const char *key, const char *v)
{
	if (e->f)
		fprintf(e->f, "%s %s\n", key, v);
}

void hwgen_expect_object(hwgen_expect *e, uint32_t index, uint32_t idom, uint64_t retained)
{
	if (!e->f)
		return;
	if (idom == HWGEN_SUPER_ROOT)
		fprintf(e->f, "object %u root %llu\n", index, (unsigned long long)retained);
	else if (idom == HWD_NONE)
		fprintf(e->f, "object %u none 0\n", index);
	else
		fprintf(e->f, "object %u %u %llu\n", index, idom, (unsigned long long)retained);
}

int hwgen_expect_close(hwgen_expect *e, const char *path)
{
	if (!e->f)
		return 0;
	int bad = ferror(e->f) || fflush(e->f) != 0;
	int saved = errno;
	if (e->owned && fclose(e->f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	e->f = NULL;
	if (bad) {
		fprintf(stderr, "hwgen: writing expectations to %s failed: %s\n", path, strerror(saved));
		return -1;
	}
	return 0;
}
