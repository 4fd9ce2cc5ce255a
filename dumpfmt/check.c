/* check.c - checking mode: the reader's walk, reporting chunk by chunk.
 *
 * `heapwalk check` and the tests use this to list every chunk (kind, offset, length, records)
 * and name the first problem. It runs the very validation the reader runs (reader.c, through
 * hwd__reader_open with HWD__OPEN_CHECK), so the two can never disagree about a file.
 */
#include "hwd-internal.h"
#include "reader-internal.h"

int hwd_check_memory(const void *data, size_t len, hwd_check_cb cb, void *user, hwd_error *err)
{
	static const uint8_t empty[1];
	hwd_reader *r;
	int rc = hwd__reader_open(data ? data : empty, data ? len : 0, NULL, 0, HWD__OPEN_CHECK, cb, user,
				  &r, err);
	hwd_reader_close(r);
	return rc;
}

int hwd_check_file(const char *path, hwd_check_cb cb, void *user, hwd_error *err)
{
	const void *data;
	size_t len, map_len;
	void *map;
	hwd_reader *r;
	int rc = hwd__map_file(path, &data, &len, &map, &map_len, err);
	if (rc)
		return rc;
	rc = hwd__reader_open(data ? data : "", len, map, map_len, HWD__OPEN_CHECK, cb, user, &r, err);
	hwd_reader_close(r);
	return rc;
}
