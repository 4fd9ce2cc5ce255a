/* fuzz-replay.c - runs a fuzz target over every file of corpus directories (or files).
 *
 * Linked with each fuzz target's LLVMFuzzerTestOneInput using the normal compiler, so that
 * every committed seed and past crasher is replayed by `meson test --suite fuzz` on any
 * build, sanitizers included. Each input gets a time limit (alarm); on a crash, a sanitizer
 * report or a timeout the failing input's name is printed.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Present when built with a sanitizer: called before it exits on an error. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

#define TIMEOUT_SECONDS 20

static char current[4096];

static void say_current(const char *what)
{
	/* async-signal-safe: write(2) only */
	static const char a[] = "fuzz-replay: ", b[] = " on input ";
	if (write(2, a, sizeof a - 1) < 0 || write(2, what, strlen(what)) < 0 || write(2, b, sizeof b - 1) < 0 ||
	    write(2, current, strlen(current)) < 0 || write(2, "\n", 1) < 0)
		return;
}

static void on_signal(int sig)
{
	say_current(sig == SIGALRM ? "timeout" : "crash");
	signal(sig, SIG_DFL);
	raise(sig == SIGALRM ? SIGKILL : sig);
}

static void on_sanitizer_death(void)
{
	say_current("sanitizer error");
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = nb;
		}
		if (!(n = fread(buf + len, 1, cap - len, f)))
			break;
		len += n;
	}
	fclose(f);
	/* an exactly-sized copy, so that reading one byte past the input is caught */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	snprintf(current, sizeof current, "%s", path);
	alarm(TIMEOUT_SECONDS);
	LLVMFuzzerTestOneInput(exact, len);
	alarm(0);
	free(exact);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in `dir`, in name order. Returns the count run, or -1. */
static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	long done = 0;
	if (!d) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *names);
		if (!nn)
			break;
		names = nn;
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (done >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			done = run_file(names[i]) < 0 ? -1 : done + 1;
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	signal(SIGALRM, on_signal);
	if (__sanitizer_set_death_callback) {
		/* the sanitizer owns the fatal signals and reports them itself */
		__sanitizer_set_death_callback(on_sanitizer_death);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
		signal(SIGILL, on_signal);
		signal(SIGABRT, on_signal);
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n;
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) < 0 ? -1 : 1);
		if (n < 0)
			return 1;
		total += n;
	}
	printf("fuzz-replay: %ld inputs ran cleanly\n", total);
	/* an empty corpus is a broken test, not a pass */
	return total > 0 ? 0 : 1;
}
