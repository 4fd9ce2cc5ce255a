/* fixture-writer.c - writes a snapshot described line by line on stdin (CLI test helper).
 *
 * The CLI tests (test_cli.py) describe each fixture as data - objects, edges, roots - and
 * compute what heapwalk must answer from that description; this program only turns the
 * description into a snapshot with the real hwd writer, so the fixtures never depend on
 * heapwalk's reading side. One record per line, fields separated by tabs:
 *
 *   chunk_bytes N
 *   meta_str KEY VALUE            meta_u64 KEY N
 *   object ADDR SIZE TYPE KIND     (ADDR hex; KIND a number, hwd_type_kind; TYPE its name)
 *   edge FROM TO KIND LABEL OFFSET (object indices; KIND hwd_edge_kind; LABEL may be empty)
 *   root KIND OBJECT NAME GOROUTINE FRAME   (GOROUTINE/FRAME -1 for none)
 *   goroutine ID STATE START_FUNC
 *   frame GOROUTINE FUNC FILE LINE
 *
 * Usage: fixture-writer OUT.hwd < description. Exits 1 with a message on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwd.h"

#define MAX_FIELDS 8

static hwd_writer *w;   /* global so that die() can remove the temporary file */

static void die(const char *what, int line, const hwd_error *e)
{
	hwd_writer_abort(w);
	fprintf(stderr, "fixture-writer: line %d: %s%s%s\n", line, what, e ? ": " : "", e ? e->message : "");
	exit(1);
}

static unsigned long long num(const char *s, int line)
{
	char *end;
	unsigned long long v;

	if (strcmp(s, "-1") == 0)
		return HWD_NONE;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0')
		die("not a number", line, NULL);
	return v;
}

static int split(char *s, char **f)
{
	int n = 0;

	s[strcspn(s, "\n")] = '\0';
	while (n < MAX_FIELDS) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			break;
		*s++ = '\0';
	}
	return n;
}

int main(int argc, char **argv)
{
	hwd_writer_options opt = { .producer = "heapwalk cli test fixture", .pointer_size = 8 };
	hwd_error e = { 0 };
	char buf[4096];
	char *f[MAX_FIELDS] = { 0 };
	int line = 0, n, rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: fixture-writer OUT.hwd < description\n");
		return 2;
	}
	/* chunk_bytes, if given, must come first: the writer takes it at open. */
	while (fgets(buf, sizeof buf, stdin)) {
		line++;
		n = split(buf, f);
		if (n == 1 && f[0][0] == '\0')
			continue;
		if (!w) {
			if (strcmp(f[0], "chunk_bytes") == 0 && n == 2) {
				opt.chunk_bytes = (uint32_t)num(f[1], line);
				continue;
			}
			if (hwd_writer_open(argv[1], &opt, &w, &e) < 0)
				die("open", line, &e);
		}
		if (strcmp(f[0], "meta_str") == 0 && n == 3) {
			rc = hwd_writer_meta_str(w, f[1], f[2]);
		} else if (strcmp(f[0], "meta_u64") == 0 && n == 3) {
			rc = hwd_writer_meta_u64(w, f[1], num(f[2], line));
		} else if (strcmp(f[0], "object") == 0 && n == 5) {
			hwd_object o = { .addr = num(f[1], line), .size = num(f[2], line) };
			o.type = hwd_writer_type(w, f[3], o.size, (hwd_type_kind)num(f[4], line));
			rc = o.type ? hwd_writer_object(w, &o) : HWD_E_NOMEM;
		} else if (strcmp(f[0], "edge") == 0 && n == 6) {
			hwd_edge ed = { .from = (uint32_t)num(f[1], line), .to = (uint32_t)num(f[2], line) };
			ed.label = f[4][0] ? hwd_writer_cstring(w, f[4]) : 0;
			ed.info = hwd_edge_info((hwd_edge_kind)num(f[3], line), num(f[5], line));
			rc = hwd_writer_edge(w, &ed);
		} else if (strcmp(f[0], "root") == 0 && n == 6) {
			hwd_root r = { .kind = (uint16_t)num(f[1], line), .object = (uint32_t)num(f[2], line),
			               .goroutine = (uint32_t)num(f[4], line), .frame = (uint32_t)num(f[5], line) };
			r.name = hwd_writer_cstring(w, f[3]);
			rc = hwd_writer_root(w, &r);
		} else if (strcmp(f[0], "goroutine") == 0 && n == 4) {
			hwd_goroutine g = { .id = num(f[1], line), .wait_ns = -1, .first_frame = HWD_NONE };
			g.state = hwd_writer_cstring(w, f[2]);
			g.start_func = hwd_writer_cstring(w, f[3]);
			rc = hwd_writer_goroutine(w, &g);
		} else if (strcmp(f[0], "frame") == 0 && n == 5) {
			hwd_frame fr = { .goroutine = (uint32_t)num(f[1], line), .line = (uint32_t)num(f[4], line) };
			fr.func = hwd_writer_cstring(w, f[2]);
			fr.file = hwd_writer_cstring(w, f[3]);
			rc = hwd_writer_frame(w, &fr);
		} else {
			die("unknown or malformed record", line, NULL);
		}
		if (rc < 0)
			die(hwd_strerror(rc), line, NULL);
	}
	if (!w && hwd_writer_open(argv[1], &opt, &w, &e) < 0)
		die("open", line, &e);
	rc = hwd_writer_finish(w, &e);
	w = NULL;   /* finish frees it, also on failure */
	if (rc < 0)
		die("finish", line, &e);
	return 0;
}
