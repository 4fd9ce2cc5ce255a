/* gcprog.h - running a Go GC program (Go 1.22/1.23 big types; data/bss in every release).
 *
 * Before Go 1.24 a type with more than 16384 pointer words does not carry its pointer mask:
 * abi.Type.GCData holds a GC program instead (Kind_ & KindGCProg), a 4-byte length followed
 * by the program (go-runtime-internals.md §2.4). The runtime unrolls it into a dummy type when
 * it allocates such an object (mbitmap.go heapSetType), so heap objects never need it, but a
 * type reached any other way (a root's type, an interface word, a finalizer's type) does.
 * The program is a loop of three instructions, run here iteratively over bytes already read
 * from the target: every write is checked against the output's size, so a corrupt program
 * fails with an error naming the instruction's offset instead of writing out of bounds.
 */
#ifndef HW_GORUNTIME_GCPROG_H
#define HW_GORUNTIME_GCPROG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "goruntime/gomem.h"

/* A type's GC program is at most this long; real ones are a few dozen bytes. */
#define GR_GCPROG_MAX_BYTES (1u << 20)

/* Runs the program prog[0..len) (without the 4-byte length prefix) and ORs the bits it emits
 * into dst starting at bit `at`; at most max_bits bits may be emitted. *emitted (may be NULL)
 * receives the number emitted. Fails on a program that overruns len or max_bits, or repeats
 * bits it has not emitted yet. */
gboolean gr_gcprog_run(const uint8_t *prog, size_t len, guint8 *dst, uint64_t at, uint64_t max_bits,
                       uint64_t *emitted, GError **error);

/* Reads the length-prefixed program at addr (a type's GCData) and runs it as above. */
gboolean gr_gcprog_run_at(const gr_mem *mem, uint64_t addr, guint8 *dst, uint64_t at,
                          uint64_t max_bits, uint64_t *emitted, GError **error);

#endif /* HW_GORUNTIME_GCPROG_H */
