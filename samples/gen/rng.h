/* rng.h - the seeded pseudo-random numbers behind every hwgen shape.
 *
 * hwgen never stores the graph it writes: whatever it needs about object i (its size, its
 * type, the targets of its edges) is recomputed from a generator seeded by (seed, stream, i).
 * The same triple always gives the same numbers, which is what makes a snapshot reproducible
 * from --seed and lets the expectation code regenerate an object's edges without keeping them.
 * splitmix64 is used both to mix the seed triple and as the stream itself: it is tiny,
 * passes BigCrush, and every 64-bit state is valid (no bad seeds). Not for cryptography.
 */
#ifndef HWGEN_RNG_H
#define HWGEN_RNG_H

#include <stdint.h>

/* Independent streams: one per kind of decision, so that adding a decision to one shape
 * never shifts the numbers another decision sees. */
enum hwgen_stream {
	HWGEN_STREAM_SIZE = 1,
	HWGEN_STREAM_EDGES = 2,
	HWGEN_STREAM_ROOTS = 3,
	HWGEN_STREAM_PAYLOAD = 4,
	HWGEN_STREAM_TYPE = 5,
};

typedef struct hwgen_rng {
	uint64_t state;
} hwgen_rng;

static inline uint64_t hwgen_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A generator for item `index` of `stream` under `seed`. */
static inline hwgen_rng hwgen_rng_for(uint64_t seed, enum hwgen_stream stream, uint64_t index)
{
	hwgen_rng r;
	r.state = hwgen_mix64(seed ^ hwgen_mix64(((uint64_t)stream << 56) ^ index));
	return r;
}

static inline uint64_t hwgen_rng_next(hwgen_rng *r)
{
	r->state += 0x9e3779b97f4a7c15ull;
	return hwgen_mix64(r->state);
}

/* Uniform in [0, n) for n >= 1 (multiply-shift: no modulo bias worth measuring at n < 2^32). */
static inline uint64_t hwgen_rng_below(hwgen_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)hwgen_rng_next(r) * n) >> 64);
}

#endif /* HWGEN_RNG_H */
