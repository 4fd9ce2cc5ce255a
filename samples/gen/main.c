/* main.c - hwgen's command line: parse and check the options, run one shape, report.
 *
 * Everything about graphs lives in the shape-*.c files; this file only turns argv into an
 * hwgen_options it has fully validated (so shapes may trust it), opens the two outputs, and
 * maps failures to exit codes: 0 success, 1 a write failed, 2 bad usage.
 */
#include "hwgen.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2
/* Largest --edges: far beyond any test, small enough that edge arithmetic cannot overflow. */
#define MAX_EDGES (1ull << 40)

static const char *const shape_names[] = {
	[HWGEN_SHAPE_RANDOM] = "random",
	[HWGEN_SHAPE_CHAIN] = "chain",
	[HWGEN_SHAPE_FANOUT] = "fanout",
	[HWGEN_SHAPE_CACHEDAG] = "cachedag",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hwgen [--shape SHAPE] [--objects N] [--edges N] [--roots N] [--seed N]\n"
		"             [--step K [--clean]] [--expect FILE] -o FILE\n"
		"Write a synthetic heapwalk snapshot, the same bytes for the same options.\n"
		"\n"
		"Shapes:\n"
		"  random    N objects, E random edges (default 3N), R random roots (default 1+N/1000)\n"
		"  chain     a linked list N objects deep, held by one global\n"
		"  fanout    one global holding a slice of N-1 pointers\n"
		"  cachedag  a leaking Go session cache, goroutines, closures, garbage; at most N objects\n"
		"\n"
		"Options:\n"
		"  -s, --shape SHAPE    the graph to write (default random)\n"
		"  -n, --objects N      object count (default 1000; cachedag needs at least %u)\n"
		"  -e, --edges N        edge count (random only)\n"
		"  -r, --roots N        root count (random only)\n"
		"      --seed N         generator seed (default 1)\n"
		"  -o, --output FILE    snapshot to write; - for standard output (not a terminal)\n"
		"      --expect FILE    also write what an exact analysis must find; - for standard output\n"
		"      --step K         cachedag: snapshot K of a series from one process, with a cache,\n"
		"                       listeners and blocked goroutines that grow with K\n"
		"      --clean          with --step: the same structures without growth (the clean twin)\n"
		"  -h, --help           show this help\n"
		"Counts accept a k, M or G suffix (powers of 1000): --objects 10M.\n"
		"Exit status: 0 written, 1 writing failed, 2 bad usage.\n",
		HWGEN_CACHEDAG_MIN_OBJECTS);
}

/* Prints "hwgen: <message>" and the help hint; returns the usage exit status. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hwgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'hwgen --help'.\n");
	va_end(ap);
	return EXIT_USAGE;
}

/* Parses a decimal count with an optional k/M/G suffix; returns 0 or -1 if not one. */
static int parse_count(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;   /* strtoull would accept "-1" and " 1" */
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	uint64_t mult = 1;
	if (*end == 'k' || *end == 'K')
		mult = 1000;
	else if (*end == 'M')
		mult = 1000000;
	else if (*end == 'G')
		mult = 1000000000;
	if (mult != 1)
		end++;
	if (*end || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

typedef struct given {
	int objects, edges, roots;
} given;

/* Cross-option checks, once every option is known. */
static int check_options(hwgen_options *opt, const given *g)
{
	const char *shape = shape_names[opt->shape];
	if (!opt->output)
		return usage_error("no output file: give -o FILE (or -o - for standard output)");
	if (opt->shape != HWGEN_SHAPE_RANDOM && g->edges)
		return usage_error("--edges applies to --shape random only, not %s", shape);
	if (opt->shape != HWGEN_SHAPE_RANDOM && g->roots)
		return usage_error("--roots applies to --shape random only, not %s", shape);
	if (opt->series && opt->shape != HWGEN_SHAPE_CACHEDAG)
		return usage_error("--step applies to --shape cachedag only, not %s", shape);
	if (opt->clean && !opt->series)
		return usage_error("--clean needs --step K");
	if (opt->step > 1000000)
		return usage_error("--step must be at most 1000000");
	if (opt->objects == 0)
		return usage_error("--objects must be at least 1");
	if (opt->objects > HWD_MAX_OBJECTS)
		return usage_error("--objects must be at most 4294967294 (object indices are 32-bit)");
	if (opt->shape == HWGEN_SHAPE_CACHEDAG && opt->objects < HWGEN_CACHEDAG_MIN_OBJECTS)
		return usage_error("--shape cachedag needs --objects of at least %u (its fixed part"
				   " plus a few sessions)", HWGEN_CACHEDAG_MIN_OBJECTS);
	if (opt->shape == HWGEN_SHAPE_RANDOM) {
		if (!g->edges)
			opt->edges = 3 * opt->objects;
		if (!g->roots)
			opt->roots = 1 + opt->objects / 1000;
		if (opt->edges > MAX_EDGES)
			return usage_error("--edges must be at most 1099511627776 (2^40)");
		if (opt->roots == 0)
			return usage_error("--roots must be at least 1: without roots nothing is reachable");
		if (opt->roots > HWD_MAX_OBJECTS)
			return usage_error("--roots must be at most 4294967294");
	}
	if (strcmp(opt->output, "-") == 0 && isatty(STDOUT_FILENO))
		return usage_error("refusing to write a binary snapshot to a terminal");
	if (opt->expect && strcmp(opt->expect, "-") == 0 && strcmp(opt->output, "-") == 0)
		return usage_error("the snapshot and the expectations cannot both go to standard output");
	return 0;
}

static int parse_args(int argc, char **argv, hwgen_options *opt)
{
	enum { OPT_SEED = 256, OPT_EXPECT, OPT_STEP, OPT_CLEAN };
	static const struct option longopts[] = {
		{ "shape", required_argument, NULL, 's' },
		{ "objects", required_argument, NULL, 'n' },
		{ "edges", required_argument, NULL, 'e' },
		{ "roots", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "output", required_argument, NULL, 'o' },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "step", required_argument, NULL, OPT_STEP },
		{ "clean", no_argument, NULL, OPT_CLEAN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	given g = { 0 };
	*opt = (hwgen_options){ .shape = HWGEN_SHAPE_RANDOM, .objects = 1000, .seed = 1 };
	int c;
	opterr = 0;   /* our own messages, with the usage hint */
	while ((c = getopt_long(argc, argv, ":s:n:e:r:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': {
			size_t k = 0;
			while (k < sizeof shape_names / sizeof shape_names[0] && strcmp(optarg, shape_names[k]))
				k++;
			if (k == sizeof shape_names / sizeof shape_names[0])
				return usage_error("unknown shape '%s' (expected random, chain, fanout or cachedag)", optarg);
			opt->shape = (hwgen_shape)k;
			break;
		}
		case 'n':
			if (parse_count(optarg, &opt->objects))
				return usage_error("--objects wants a count like 1000 or 10M, not '%s'", optarg);
			g.objects = 1;
			break;
		case 'e':
			if (parse_count(optarg, &opt->edges))
				return usage_error("--edges wants a count like 3000 or 30M, not '%s'", optarg);
			g.edges = 1;
			break;
		case 'r':
			if (parse_count(optarg, &opt->roots))
				return usage_error("--roots wants a count like 10, not '%s'", optarg);
			g.roots = 1;
			break;
		case OPT_SEED:
			if (parse_count(optarg, &opt->seed))
				return usage_error("--seed wants a non-negative integer, not '%s'", optarg);
			break;
		case 'o':
			opt->output = optarg;
			break;
		case OPT_EXPECT:
			opt->expect = optarg;
			break;
		case OPT_STEP:
			if (parse_count(optarg, &opt->step))
				return usage_error("--step wants a non-negative integer, not '%s'", optarg);
			opt->series = 1;
			break;
		case OPT_CLEAN:
			opt->clean = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return check_options(opt, &g);
}

int main(int argc, char **argv)
{
	static int (*const shapes[])(const hwgen_options *, hwgen_out *, hwgen_expect *) = {
		[HWGEN_SHAPE_RANDOM] = hwgen_shape_random,
		[HWGEN_SHAPE_CHAIN] = hwgen_shape_chain,
		[HWGEN_SHAPE_FANOUT] = hwgen_shape_fanout,
		[HWGEN_SHAPE_CACHEDAG] = hwgen_shape_cachedag,
	};
	hwgen_options opt;
	int rc = parse_args(argc, argv, &opt);
	if (rc)
		return rc;

	hwgen_expect e;
	if (hwgen_expect_open(&e, opt.expect))
		return EXIT_FAILURE;
	hwgen_expect_str(&e, "#", "hwgen expectations, format in samples/README.md");
	hwgen_expect_str(&e, "shape", shape_names[opt.shape]);
	hwgen_expect_u64(&e, "seed", opt.seed);

	hwgen_out o;
	rc = hwgen_out_open(&o, &opt);
	if (rc == 0) {
		int shape_rc = shapes[opt.shape](&opt, &o, &e);
		/* Summary from what was actually written, a check on the shape's own arithmetic. */
		hwgen_expect_u64(&e, "objects", o.objects);
		hwgen_expect_u64(&e, "edges", o.edges);
		hwgen_expect_u64(&e, "roots", o.roots);
		hwgen_expect_u64(&e, "total_bytes", o.bytes);
		if (shape_rc) {
			hwgen_out_abort(&o);
			rc = -1;
		} else {
			rc = hwgen_out_finish(&o, &opt);
		}
	}
	int erc = hwgen_expect_close(&e, opt.expect);
	if ((rc || erc) && opt.expect && strcmp(opt.expect, "-") != 0)
		unlink(opt.expect);   /* no oracle for a snapshot that does not exist */
	return rc || erc ? EXIT_FAILURE : EXIT_SUCCESS;
}
