/* alloc-listing.c - prints the allocation samples of a snapshot, object by object, as JSON lines.
 *
 * The allocation-site tests (run-allocsites.py) check what the dumper recorded against `go tool
 * pprof` on the same process's heap profile. This tool reads the snapshot only through the
 * public dumpfmt reader (hwd.h), so the check depends neither on the analysis nor on the CLI:
 * one line per object that has samples, {"index", "addr", "size", "type", "samples": [{"size",
 * "frames": [[func, file, line], ...]}]}, frames innermost first, then a last line
 * {"rate", "objects", "samples", "stacks"}.
 *
 * Usage: alloc-listing SNAP
 */
#include "hwd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Writes bytes as a JSON string. */
static void jstr(const char *s, uint32_t len)
{
	putchar('"');
	for (uint32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jid(const hwd_reader *r, uint32_t id)
{
	uint32_t len = 0;
	const char *s = hwd_reader_string(r, id, &len);
	jstr(s ? s : "", s ? len : 0);
}

int main(int argc, char **argv)
{
	hwd_reader *r;
	hwd_error err;
	if (argc != 2) {
		fprintf(stderr, "usage: alloc-listing SNAP\n");
		return 2;
	}
	if (hwd_reader_open(argv[1], HWD_OPEN_STRICT, &r, &err) != 0) {
		fprintf(stderr, "alloc-listing: %s: %s\n", argv[1], err.message);
		return 1;
	}
	uint64_t n = hwd_reader_object_count(r), objects = 0, rate = 0;
	for (uint64_t v = 0; v < n; v++) {
		uint64_t first, k = hwd_reader_alloc_samples_of(r, (uint32_t)v, &first);
		if (!k)
			continue;
		hwd_object o = hwd_reader_object(r, (uint32_t)v);
		objects++;
		printf("{\"index\":%" PRIu64 ",\"addr\":%" PRIu64 ",\"size\":%" PRIu64 ",\"type\":", v, o.addr, o.size);
		jid(r, hwd_reader_type(r, o.type).name);
		printf(",\"samples\":[");
		for (uint64_t i = 0; i < k; i++) {
			hwd_alloc_sample s = hwd_reader_alloc_sample(r, first + i);
			hwd_alloc_stack st = hwd_reader_alloc_stack(r, s.stack);
			printf("%s{\"size\":%" PRIu64 ",\"frames\":[", i ? "," : "", st.size);
			for (uint32_t f = 0; f < st.nframes; f++) {
				hwd_alloc_frame fr = hwd_reader_alloc_frame(r, st.first_frame + f);
				printf("%s[", f ? "," : "");
				jid(r, fr.func);
				putchar(',');
				jid(r, fr.file);
				printf(",%u]", fr.line);
			}
			printf("]}");
		}
		printf("]}\n");
	}
	hwd_reader_meta_u64(r, "memprof.rate", &rate);
	printf("{\"rate\":%" PRIu64 ",\"objects\":%" PRIu64 ",\"samples\":%" PRIu64 ",\"stacks\":%" PRIu64 "}\n",
	       rate, objects, hwd_reader_alloc_sample_count(r), hwd_reader_alloc_stack_count(r));
	hwd_reader_close(r);
	return 0;
}
