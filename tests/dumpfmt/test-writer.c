/* test-writer.c - writer contract: misuse refused, files atomic, 0600, nothing left behind.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static hwd_writer *open_in(const char *dir, const char *name, int contents)
{
	char path[600];
	hwd_writer *w;
	hwd_writer_options o = { .chunk_bytes = 64, .with_contents = contents };
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(hwd_writer_open(path, &o, &w, NULL), 0);
	return w;
}

static void test_misuse_refused(void **state)
{
	(void)state;
	char *dir = make_dir();
	hwd_writer *w = open_in(dir, "m.hwd", 0);
	hwd_object a = { 0x2000, 16, 0, 0 };
	assert_int_equal(hwd_writer_object(w, &a), 0);
	hwd_object below = { 0x1000, 16, 0, 0 }, same = { 0x2000, 8, 0, 0 }, overlap = { 0x2008, 8, 0, 0 };
	assert_int_equal(hwd_writer_object(w, &below), HWD_E_USAGE);
	assert_non_null(strstr(hwd_writer_last_error(w)->message, "not above"));
	assert_int_equal(hwd_writer_object(w, &same), HWD_E_USAGE);
	assert_int_equal(hwd_writer_object(w, &overlap), HWD_E_USAGE);
	assert_non_null(strstr(hwd_writer_last_error(w)->message, "overlaps"));
	hwd_object wraps = { UINT64_MAX - 4, 16, 0, 0 }, badtype = { 0x3000, 8, 5, 0 };
	assert_int_equal(hwd_writer_object(w, &wraps), HWD_E_USAGE);
	assert_int_equal(hwd_writer_object(w, &badtype), HWD_E_USAGE);
	hwd_object b = { 0x2010, 16, 0, 0 };
	assert_int_equal(hwd_writer_object(w, &b), 0);

	hwd_edge e1 = { 1, 0, 0, 0 }, e0 = { 0, 1, 0, 0 }, far = { 1, 2, 0, 0 }, lbl = { 1, 1, 77, 0 };
	hwd_edge kind = { 1, 1, 0, 0xF0000000u };
	assert_int_equal(hwd_writer_edge(w, &e1), 0);
	assert_int_equal(hwd_writer_edge(w, &e0), HWD_E_USAGE);
	assert_non_null(strstr(hwd_writer_last_error(w)->message, "non-decreasing"));
	assert_int_equal(hwd_writer_edge(w, &far), HWD_E_USAGE);
	assert_int_equal(hwd_writer_edge(w, &lbl), HWD_E_USAGE);
	assert_int_equal(hwd_writer_edge(w, &kind), HWD_E_USAGE);
	hwd_root r = { HWD_ROOT_GLOBAL, 0, 0, 9, HWD_NONE, HWD_NONE, 0, 0 };
	assert_int_equal(hwd_writer_root(w, &r), HWD_E_USAGE);
	r.object = 1;
	r.kind = 0;
	assert_int_equal(hwd_writer_root(w, &r), HWD_E_USAGE);
	assert_int_equal(hwd_writer_contents(w, 0, "x", 1), HWD_E_USAGE); /* opened without contents */
	assert_int_equal(hwd_writer_meta_u64(w, "", 1), HWD_E_USAGE);
	assert_int_equal(hwd_writer_type(w, "x", 1, (hwd_type_kind)99), 0);

	/* refused calls leave the writer usable: the file holds exactly the accepted records */
	assert_int_equal(hwd_writer_finish(w, NULL), 0);
	char path[600];
	snprintf(path, sizeof path, "%s/m.hwd", dir);
	hwd_reader *rd;
	assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &rd, NULL), 0);
	assert_int_equal(hwd_reader_object_count(rd), 2);
	assert_int_equal(hwd_reader_edge_count(rd), 1);
	assert_int_equal(hwd_reader_root_count(rd), 0);
	hwd_reader_close(rd);
	assert_int_equal(dir_entries(dir), 1);
	rm_dir(dir);
}

static void test_abort_leaves_nothing(void **state)
{
	(void)state;
	char *dir = make_dir();
	hwd_writer *w = open_in(dir, "a.hwd", 1);
	assert_int_equal(dir_entries(dir), 1); /* the temporary file */
	for (uint32_t i = 0; i < 500; i++) {
		hwd_object o = { 0x1000 + 16 * i, 16, 0, 0 };
		assert_int_equal(hwd_writer_object(w, &o), 0);
	}
	hwd_writer_abort(w);
	assert_int_equal(dir_entries(dir), 0);
	hwd_writer_abort(NULL);
	rm_dir(dir);
}

/* A forward reference never satisfied makes finish fail, and remove its file. */
static void test_finish_failure_removes_file(void **state)
{
	(void)state;
	char *dir = make_dir();
	hwd_writer *w = open_in(dir, "f.hwd", 0);
	hwd_object o = { 0x1000, 16, 0, 0 };
	assert_int_equal(hwd_writer_object(w, &o), 0);
	hwd_root r = { HWD_ROOT_STACK, 0, 0, 0, 3, HWD_NONE, 0, 0 };
	assert_int_equal(hwd_writer_root(w, &r), 0);
	hwd_error err;
	assert_int_equal(hwd_writer_finish(w, &err), HWD_E_USAGE);
	assert_non_null(strstr(err.message, "goroutine"));
	assert_int_equal(dir_entries(dir), 0);
	rm_dir(dir);
}

static void test_replace_and_mode(void **state)
{
	(void)state;
	char *dir = make_dir(), path[600];
	snprintf(path, sizeof path, "%s/r.hwd", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);
	mode_t old = umask(0);
	hwd_writer *w;
	assert_int_equal(hwd_writer_open(path, NULL, &w, NULL), 0);
	umask(old);
	assert_int_equal(hwd_writer_finish(w, NULL), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dir_entries(dir), 1);
	hwd_reader *r;
	assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &r, NULL), 0);
	hwd_reader_close(r);
	rm_dir(dir);
}

static void test_bad_destination(void **state)
{
	(void)state;
	hwd_writer *w;
	hwd_error err;
	assert_int_equal(hwd_writer_open("/nonexistent-dir/x.hwd", NULL, &w, &err), HWD_E_IO);
	assert_null(w);
	assert_int_equal(err.sys_errno, ENOENT);
	hwd_writer_options o = { .pointer_size = 3 };
	assert_int_equal(hwd_writer_open("/tmp/x.hwd", &o, &w, &err), HWD_E_USAGE);
}

/* A FIFO (like a device) is written in place: renaming onto it would replace the node, which
 * for root and /dev/null means replacing the system's /dev/null. */
static void test_fifo_written_in_place(void **state)
{
	(void)state;
	char *dir = make_dir(), fifo[600], copy[600];
	snprintf(fifo, sizeof fifo, "%s/pipe", dir);
	snprintf(copy, sizeof copy, "%s/copy.hwd", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The reader side: copy the FIFO into a regular file. */
		int in = open(fifo, O_RDONLY), out = open(copy, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		char buf[4096];
		ssize_t k;
		if (in < 0 || out < 0)
			_exit(1);
		while ((k = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)k) != k)
				_exit(1);
		_exit(k < 0);
	}
	hwd_writer *w;
	assert_int_equal(hwd_writer_open(fifo, NULL, &w, NULL), 0);
	hwd_object o = { 0x1000, 16, 0, 0 };
	assert_int_equal(hwd_writer_object(w, &o), 0);
	assert_int_equal(hwd_writer_finish(w, NULL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct stat st;
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(dir_entries(dir), 2); /* no temporary left behind */
	hwd_reader *r;
	assert_int_equal(hwd_reader_open(copy, HWD_OPEN_STRICT, &r, NULL), 0);
	assert_int_equal(hwd_reader_object_count(r), 1);
	hwd_reader_close(r);
	hwd_error err;
	assert_int_equal(hwd_writer_open(dir, NULL, &w, &err), HWD_E_IO);
	assert_int_equal(err.sys_errno, EISDIR);
	rm_dir(dir);
}

/* Standard output: "-" writes the snapshot there; a full disk is a clear HWD_E_IO. */
static void test_stdout_and_full_disk(void **state)
{
	(void)state;
	char *dir = make_dir(), path[600];
	snprintf(path, sizeof path, "%s/out.hwd", dir);
	int saved = dup(1), fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	dup2(fd, 1);
	hwd_writer *w;
	assert_int_equal(hwd_writer_open("-", NULL, &w, NULL), 0);
	hwd_object o = { 0x1000, 16, 0, 0 };
	assert_int_equal(hwd_writer_object(w, &o), 0);
	assert_int_equal(hwd_writer_finish(w, NULL), 0);

	int full = open("/dev/full", O_WRONLY);
	hwd_error err;
	int rc = -100;
	if (full >= 0) {
		dup2(full, 1);
		rc = hwd_writer_open("-", NULL, &w, &err);
		close(full);
	}
	dup2(saved, 1);
	close(saved);
	close(fd);
	hwd_reader *r;
	assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &r, NULL), 0);
	assert_int_equal(hwd_reader_object_count(r), 1);
	hwd_reader_close(r);
	assert_int_equal(full >= 0, 1);
	assert_int_equal(rc, HWD_E_IO);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_non_null(strstr(err.message, "disk is full"));
	rm_dir(dir);
}

/* A write that fails part way (file size limit) fails cleanly and removes the temporary. */
static void test_write_failure_cleans_up(void **state)
{
	(void)state;
	char *dir = make_dir();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		hwd_writer *w = open_in(dir, "big.hwd", 0);
		int rc = 0;
		/* Output is written in 2 MiB blocks: enough objects to fill a few. */
		for (uint32_t i = 0; i < 400000 && !rc; i++) {
			hwd_object o = { 0x1000 + 16 * i, 16, 0, 0 };
			rc = hwd_writer_object(w, &o);
		}
		hwd_error err;
		int frc = hwd_writer_finish(w, &err);
		_exit(rc == HWD_E_IO && frc == HWD_E_IO && err.sys_errno == EFBIG ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(dir_entries(dir), 0);
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_misuse_refused),
		cmocka_unit_test(test_abort_leaves_nothing),
		cmocka_unit_test(test_finish_failure_removes_file),
		cmocka_unit_test(test_replace_and_mode),
		cmocka_unit_test(test_bad_destination),
		cmocka_unit_test(test_stdout_and_full_disk),
		cmocka_unit_test(test_fifo_written_in_place),
		cmocka_unit_test(test_write_failure_cleans_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
