/* hwd-format.h - the on-disk layout of a heapwalk snapshot, record by record.
 *
 * This header is the machine-checked twin of docs/format.md: every record the file holds is a
 * struct here with its OFFSET SIZE DESCRIPTION table, and _Static_asserts pin every size,
 * offset and alignment so that a layout change fails to compile until someone edits the
 * number (and the spec) on purpose. All multi-byte fields are little-endian on disk; code that
 * must work on any host decodes them with the hwd_get_le* helpers below. The structs are
 * usable in place only on little-endian hosts (hwd_reader_bulk_ok()).
 *
 * Chunk kind numbers and record layouts are on-disk values: never renumber, never reuse.
 */
#ifndef HWD_FORMAT_H
#define HWD_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- little-endian encode/decode (no alignment or host-order assumptions) ------------ */

static inline uint16_t hwd_get_le16(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint16_t)(b[0] | (uint16_t)b[1] << 8);
}
static inline uint32_t hwd_get_le32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t hwd_get_le64(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint64_t)hwd_get_le32(b) | (uint64_t)hwd_get_le32(b + 4) << 32;
}
static inline void hwd_put_le16(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8);
}
static inline void hwd_put_le32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}
static inline void hwd_put_le64(void *p, uint64_t v)
{
	hwd_put_le32(p, (uint32_t)v);
	hwd_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* ---- file header ------------------------------------------------------------------- */

#define HWD_MAGIC "HWSNAP\x1a\n"      /* 8 bytes, no NUL stored */
#define HWD_MAGIC_LEN 8
#define HWD_HEADER_SIZE 32             /* what versions 1.0 and 1.1 write; readers honour header_size */
#define HWD_HEADER_SIZE_MAX 65536      /* larger header_size values are corrupt */
#define HWD_FLAG_CONTENTS 1u           /* header.flags bit 0: CONTENTS chunks may be present */
#define HWD_FLAG_COMPRESSED 2u         /* header.flags bit 1 (1.1): chunks may be compressed */

/* File header, at offset 0.
 * OFFSET SIZE DESCRIPTION
 *      0    8 magic "HWSNAP\x1a\n"
 *      8    2 major version (1); a larger major is refused with HWD_E_VERSION
 *     10    2 minor version: the lowest minor whose features the file uses (0, or 1 when
 *             chunks may be compressed); larger minors are read
 *     12    4 header_size: bytes from 0 to the first chunk; >= 32, multiple of 8, <= 65536.
 *             Bytes between 32 and header_size belong to later minors and are skipped.
 *     16    4 pointer_size of the target (4 or 8)
 *     20    4 flags: bit 0 = contents present; bit 1 = chunks may be compressed (1.1);
 *             other bits written 0, ignored
 *     24    8 reserved, written 0, ignored */
typedef struct hwd_file_header {
	uint8_t magic[8];
	uint16_t major;
	uint16_t minor;
	uint32_t header_size;
	uint32_t pointer_size;
	uint32_t flags;
	uint64_t reserved;
} hwd_file_header;
_Static_assert(sizeof(hwd_file_header) == HWD_HEADER_SIZE, "hwd_file_header changed size");
_Static_assert(offsetof(hwd_file_header, header_size) == 12, "hwd_file_header layout");
_Static_assert(offsetof(hwd_file_header, reserved) == 24, "hwd_file_header layout");

/* ---- chunks ------------------------------------------------------------------------ */

#define HWD_CHUNK_ALIGN 8
#define HWD_CHUNK_HEADER_SIZE 16
#define HWD_CHUNK_MAX ((uint64_t)1 << 30)        /* payload_len above this is corrupt */
#define HWD_CHUNK_DEFAULT_BYTES (4u << 20)       /* writer's default target payload */

/* Chunk header; chunks follow the file header back to back, each starting 8-aligned.
 * OFFSET SIZE DESCRIPTION
 *      0    4 kind (HWD_CHUNK_*) in bits 0-30; unknown kinds are skipped by readers.
 *             Bit 31 (HWD_CHUNK_COMPRESSED, 1.1): the payload is stored compressed
 *      4    4 CRC32C (Castagnoli) of the payload bytes as stored (for a compressed chunk,
 *             the compression header and the frame), not of this header or the padding
 *      8    8 payload_len: stored payload bytes (<= HWD_CHUNK_MAX)
 *     16    - payload, then 0..7 zero bytes of padding to the next multiple of 8 */
typedef struct hwd_chunk_header {
	uint32_t kind;
	uint32_t crc32c;
	uint64_t payload_len;
} hwd_chunk_header;
_Static_assert(sizeof(hwd_chunk_header) == HWD_CHUNK_HEADER_SIZE, "hwd_chunk_header changed size");

/* Chunk header kind bit 31: the payload is a compression header and a compressed frame.
 * Only allowed when the file header has HWD_FLAG_COMPRESSED. */
#define HWD_CHUNK_COMPRESSED 0x80000000u
#define HWD_CHUNK_KIND_MASK 0x7FFFFFFFu

/* Compressed chunk payload (1.1): this header, then one frame of `codec` that inflates to
 * exactly raw_len bytes: the chunk's payload as an uncompressed chunk would hold it.
 * OFFSET SIZE DESCRIPTION
 *      0    4 codec: HWD_CODEC_ZSTD; other values are refused (HWD_E_VERSION)
 *      4    4 reserved, written 0, ignored
 *      8    8 raw_len: payload bytes after inflation (<= HWD_CHUNK_MAX); the zstd frame must
 *             declare the same content size and a window of at most 2^HWD_ZSTD_WINDOW_LOG_MAX
 *             bytes, and must fill the rest of the stored payload exactly */
typedef struct hwd_compress_header {
	uint32_t codec;
	uint32_t reserved;
	uint64_t raw_len;
} hwd_compress_header;
_Static_assert(sizeof(hwd_compress_header) == 16, "hwd_compress_header changed size");

#define HWD_CODEC_ZSTD 1
#define HWD_ZSTD_WINDOW_LOG_MAX 23     /* 8 MiB: bounds a reader's decompression memory */

/* Chunk kinds. On-disk values: never renumber, never reuse a retired number. */
enum {
	HWD_CHUNK_META = 1,
	HWD_CHUNK_STRINGS = 2,
	HWD_CHUNK_TYPES = 3,
	HWD_CHUNK_OBJECTS = 4,
	HWD_CHUNK_EDGES = 5,
	HWD_CHUNK_ROOTS = 6,
	HWD_CHUNK_GOROUTINES = 7,
	HWD_CHUNK_FRAMES = 8,
	HWD_CHUNK_THREADS = 9,
	HWD_CHUNK_CONTENTS = 10,
	HWD_CHUNK_END = 11,
	HWD_CHUNK_ALLOC_FRAMES = 12,   /* 1.2: allocation sites (heap profiler samples) */
	HWD_CHUNK_ALLOC_STACKS = 13,   /* 1.2 */
	HWD_CHUNK_ALLOC_SAMPLES = 14,  /* 1.2 */
	HWD_CHUNK_KIND__NEXT           /* first unassigned number */
};

/* Record-chunk header: the payload of TYPES, OBJECTS, EDGES, ROOTS, GOROUTINES, FRAMES,
 * THREADS, ALLOC_FRAMES, ALLOC_STACKS and ALLOC_SAMPLES chunks starts with it; `count` fixed-size records follow, so that the records start
 * 8-aligned in the file and can be used in place. payload_len == 16 + count * record size.
 * OFFSET SIZE DESCRIPTION
 *      0    8 first: index of the first record (for TYPES: its id, from 1); equals the
 *             number of records of the kind in earlier chunks (+1 for TYPES)
 *      8    8 count of records in this chunk (may be 0) */
typedef struct hwd_run_header {
	uint64_t first;
	uint64_t count;
} hwd_run_header;
_Static_assert(sizeof(hwd_run_header) == 16, "hwd_run_header changed size");

/* TYPES record (id = run first + position).
 * OFFSET SIZE DESCRIPTION
 *      0    8 size of one value in bytes (0 unknown)
 *      8    4 name: string id (defined in an earlier chunk), 0 none
 *     12    2 kind: hwd_type_kind (values >= HWD_TYPE_KIND__COUNT read as UNKNOWN)
 *     14    2 flags, reserved, written 0 */
typedef struct hwd_type_disk {
	uint64_t size;
	uint32_t name;
	uint16_t kind;
	uint16_t flags;
} hwd_type_disk;
_Static_assert(sizeof(hwd_type_disk) == 16, "hwd_type_disk changed size");

/* OBJECTS record (index = run first + position). Across all chunks objects are sorted by
 * strictly increasing addr and disjoint: addr + size (no overflow) <= next addr.
 * OFFSET SIZE DESCRIPTION
 *      0    8 addr of the first byte
 *      8    8 size in bytes
 *     16    4 type id (defined in an earlier chunk), 0 unknown
 *     20    4 flags: HWD_OBJ_* */
typedef struct hwd_object_disk {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t flags;
} hwd_object_disk;
_Static_assert(sizeof(hwd_object_disk) == 24, "hwd_object_disk changed size");
_Static_assert(offsetof(hwd_object_disk, type) == 16, "hwd_object_disk layout");

/* EDGES record. Across all chunks `from` is non-decreasing.
 * OFFSET SIZE DESCRIPTION
 *      0    4 from: object index
 *      4    4 to: object index
 *      8    4 label: string id, 0 none
 *     12    4 info: edge kind << 28 | byte offset in the source (0x0FFFFFFF unknown) */
typedef struct hwd_edge_disk {
	uint32_t from;
	uint32_t to;
	uint32_t label;
	uint32_t info;
} hwd_edge_disk;
_Static_assert(sizeof(hwd_edge_disk) == 16, "hwd_edge_disk changed size");

/* ROOTS record.
 * OFFSET SIZE DESCRIPTION
 *      0    2 kind: hwd_root_kind
 *      2    2 flags: HWD_ROOT_*
 *      4    4 name: string id, 0 none
 *      8    4 object index of the target
 *     12    4 goroutine index, or 0xFFFFFFFF none
 *     16    4 frame index, or 0xFFFFFFFF none
 *     20    4 reserved, written 0
 *     24    8 addr where the reference lives, 0 unknown */
typedef struct hwd_root_disk {
	uint16_t kind;
	uint16_t flags;
	uint32_t name;
	uint32_t object;
	uint32_t goroutine;
	uint32_t frame;
	uint32_t reserved;
	uint64_t addr;
} hwd_root_disk;
_Static_assert(sizeof(hwd_root_disk) == 32, "hwd_root_disk changed size");
_Static_assert(offsetof(hwd_root_disk, addr) == 24, "hwd_root_disk layout");

/* GOROUTINES record (index = run first + position).
 * OFFSET SIZE DESCRIPTION
 *      0    8 id: the runtime's goroutine id
 *      8    8 wait_ns (signed), -1 unknown
 *     16    8 stack_bytes
 *     24    4 state: string id
 *     28    4 wait_reason: string id, 0 none
 *     32    4 start_func: string id
 *     36    4 creator_func: string id
 *     40    4 creator_file: string id
 *     44    4 creator_line
 *     48    4 first_frame: frame index, or 0xFFFFFFFF none
 *     52    4 nframes
 *     56    4 flags, reserved, written 0
 *     60    4 reserved, written 0 */
typedef struct hwd_goroutine_disk {
	uint64_t id;
	uint64_t wait_ns;
	uint64_t stack_bytes;
	uint32_t state, wait_reason, start_func, creator_func, creator_file, creator_line;
	uint32_t first_frame, nframes, flags, reserved;
} hwd_goroutine_disk;
_Static_assert(sizeof(hwd_goroutine_disk) == 64, "hwd_goroutine_disk changed size");
_Static_assert(offsetof(hwd_goroutine_disk, first_frame) == 48, "hwd_goroutine_disk layout");

/* FRAMES record (index = run first + position).
 * OFFSET SIZE DESCRIPTION
 *      0    8 pc
 *      8    8 sp
 *     16    4 func: string id
 *     20    4 file: string id
 *     24    4 line
 *     28    4 goroutine index that owns the frame */
typedef struct hwd_frame_disk {
	uint64_t pc;
	uint64_t sp;
	uint32_t func, file, line, goroutine;
} hwd_frame_disk;
_Static_assert(sizeof(hwd_frame_disk) == 32, "hwd_frame_disk changed size");

/* THREADS record.
 * OFFSET SIZE DESCRIPTION
 *      0    8 goroutine_id running on it, 0 none
 *      8    8 pc
 *     16    8 sp
 *     24    4 tid
 *     28    4 name: string id, 0 none */
typedef struct hwd_thread_disk {
	uint64_t goroutine_id;
	uint64_t pc;
	uint64_t sp;
	uint32_t tid;
	uint32_t name;
} hwd_thread_disk;
_Static_assert(sizeof(hwd_thread_disk) == 32, "hwd_thread_disk changed size");

/* ---- allocation sites (1.2) ----------------------------------------------------------
 * What the producing runtime's heap profiler recorded for the objects it sampled: every
 * profiling bucket becomes one ALLOC_STACKS record (its call stack, as a range of
 * ALLOC_FRAMES records, and the allocation size it counts), and every sampled allocation
 * one ALLOC_SAMPLES record naming its object and its stack. Every index in these records
 * names a record of an EARLIER chunk (the writer flushes in that order), so a cut file needs
 * no fix-ups. The META key memprof.rate gives the sampling rate. */

/* ALLOC_FRAMES record (index = run first + position): one logical frame (inlined calls
 * already expanded) of an allocation stack.
 * OFFSET SIZE DESCRIPTION
 *      0    8 pc: the return address the profiler recorded, 0 unknown
 *      8    4 func: string id (defined in an earlier chunk), 0 unknown
 *     12    4 file: string id, 0 unknown
 *     16    4 line, 0 unknown
 *     20    4 reserved, written 0, ignored */
typedef struct hwd_alloc_frame_disk {
	uint64_t pc;
	uint32_t func, file, line, reserved;
} hwd_alloc_frame_disk;
_Static_assert(sizeof(hwd_alloc_frame_disk) == 24, "hwd_alloc_frame_disk changed size");
_Static_assert(offsetof(hwd_alloc_frame_disk, line) == 16, "hwd_alloc_frame_disk layout");

/* ALLOC_STACKS record (index = run first + position): one profiling bucket.
 * OFFSET SIZE DESCRIPTION
 *      0    8 size: bytes the profiler counts per allocation of this bucket
 *      8    4 first_frame: ALLOC_FRAMES index of the innermost frame
 *     12    4 nframes: frames first_frame .. first_frame + nframes - 1, innermost first;
 *             <= 65536 (HWD_ALLOC_MAX_FRAMES, hwd.h), all in earlier chunks */
typedef struct hwd_alloc_stack_disk {
	uint64_t size;
	uint32_t first_frame, nframes;
} hwd_alloc_stack_disk;
_Static_assert(sizeof(hwd_alloc_stack_disk) == 16, "hwd_alloc_stack_disk changed size");
_Static_assert(offsetof(hwd_alloc_stack_disk, nframes) == 12, "hwd_alloc_stack_disk layout");

/* ALLOC_SAMPLES record: one sampled allocation. Across all chunks `object` is non-decreasing
 * (an object holding several sampled allocations, e.g. a tiny-allocator block, repeats).
 * OFFSET SIZE DESCRIPTION
 *      0    4 object index (in an earlier chunk)
 *      4    4 stack: ALLOC_STACKS index (in an earlier chunk) */
typedef struct hwd_alloc_sample_disk {
	uint32_t object, stack;
} hwd_alloc_sample_disk;
_Static_assert(sizeof(hwd_alloc_sample_disk) == 8, "hwd_alloc_sample_disk changed size");

/* STRINGS chunk payload: this header, then `count` entries of {u32 len, len bytes}, packed
 * (no alignment), filling the payload exactly. Ids continue across chunks from 1.
 * OFFSET SIZE DESCRIPTION
 *      0    4 first_id: 1 + number of strings in earlier chunks
 *      4    4 count */
typedef struct hwd_strings_header {
	uint32_t first_id;
	uint32_t count;
} hwd_strings_header;
_Static_assert(sizeof(hwd_strings_header) == 8, "hwd_strings_header changed size");

/* META chunk payload: entries back to back (no alignment), filling the payload exactly:
 * OFFSET SIZE DESCRIPTION
 *      0    2 type: hwd_meta_type (1 u64, 2 i64, 3 f64 as IEEE-754 bits, 4 string)
 *      2    2 key_len (>= 1)
 *      4    4 value_len (8 for the numeric types)
 *      8    - key bytes (ASCII, no NUL), then value bytes (little-endian for numbers) */
typedef struct hwd_meta_header {
	uint16_t type;
	uint16_t key_len;
	uint32_t value_len;
} hwd_meta_header;
_Static_assert(sizeof(hwd_meta_header) == 8, "hwd_meta_header changed size");

/* CONTENTS chunk payload: entries, each this header, `len` bytes, then zero padding to a
 * multiple of 8, filling the payload exactly (each entry's bytes start 8-aligned in the file).
 * OFFSET SIZE DESCRIPTION
 *      0    4 object index
 *      4    4 pad, written 0
 *      8    8 len of the bytes that follow */
typedef struct hwd_contents_header {
	uint32_t object;
	uint32_t pad;
	uint64_t len;
} hwd_contents_header;
_Static_assert(sizeof(hwd_contents_header) == 16, "hwd_contents_header changed size");

/* END chunk payload: the totals of the whole file; its presence means the file is whole.
 * Readers check every total against what they read. Nothing may follow it. A file with
 * allocation-site records has the longer 1.2 END (hwd_end_disk_1_2); one without them keeps
 * the 88-byte END, so that it stays byte for byte what a 1.1 writer makes.
 * OFFSET SIZE DESCRIPTION
 *      0    8 chunks: number of chunks before END
 *      8    8 strings
 *     16    8 types
 *     24    8 objects
 *     32    8 edges
 *     40    8 roots
 *     48    8 goroutines
 *     56    8 frames
 *     64    8 threads
 *     72    8 contents entries
 *     80    8 meta entries */
typedef struct hwd_end_disk {
	uint64_t chunks, strings, types, objects, edges, roots, goroutines, frames, threads,
		contents, meta;
} hwd_end_disk;
_Static_assert(sizeof(hwd_end_disk) == 88, "hwd_end_disk changed size");

/* The 1.2 END: hwd_end_disk, then the allocation-site totals.
 * OFFSET SIZE DESCRIPTION
 *      0   88 hwd_end_disk
 *     88    8 alloc_frames
 *     96    8 alloc_stacks
 *    104    8 alloc_samples */
typedef struct hwd_end_disk_1_2 {
	hwd_end_disk base;
	uint64_t alloc_frames, alloc_stacks, alloc_samples;
} hwd_end_disk_1_2;
_Static_assert(sizeof(hwd_end_disk_1_2) == 112, "hwd_end_disk_1_2 changed size");
_Static_assert(offsetof(hwd_end_disk_1_2, alloc_frames) == 88, "hwd_end_disk_1_2 layout");

#ifdef __cplusplus
}
#endif
#endif /* HWD_FORMAT_H */
