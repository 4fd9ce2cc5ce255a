/* chunk.c - framing and checksum of one stored chunk.
 *
 * The reader's walk (reader.c) and inflation of compressed files (inflate.c) both step over
 * stored chunks; they share these two checks so that a file is cut, capped and checksummed
 * the same way whichever path reads it, with the same errors.
 * The record size of each fixed-record kind lives here too, shared by the writer and the
 * reader so that both lay a chunk's records out alike.
 */
#include "hwd-internal.h"
#include "reader-internal.h"

int hwd__chunk_frame(const uint8_t *d, uint64_t len, uint64_t off, uint32_t *word, uint64_t *plen,
		     hwd_error *here)
{
	if (len - off < HWD_CHUNK_HEADER_SIZE)
		return hwd__fail(here, HWD_E_TRUNCATED, 0, off, "chunk.header",
				 "file ends at offset 0x%llx inside a chunk header that starts at 0x%llx",
				 (unsigned long long)len, (unsigned long long)off);
	*word = hwd_get_le32(d + off);
	*plen = hwd_get_le64(d + off + 8);
	uint64_t n = *plen, room = len - off - HWD_CHUNK_HEADER_SIZE;
	const char *name = hwd__chunk_kind_name(*word & HWD_CHUNK_KIND_MASK);
	const char *how = *word & HWD_CHUNK_COMPRESSED ? "compressed " : "";
	const char *art = *how ? "a" : name[0] == 'A' || name[0] == 'E' || name[0] == 'O' || name[0] == 'u' ? "an" : "a";
	if (n > HWD_CHUNK_MAX)
		return HWD_CORRUPT(here, off + 8, "chunk.length", "%s%s chunk at 0x%llx declares %llu payload "
				   "bytes, over the %llu-byte limit", how, name, (unsigned long long)off,
				   (unsigned long long)n, (unsigned long long)HWD_CHUNK_MAX);
	if (n > room || hwd__pad8(n) > room - n)
		return hwd__fail(here, HWD_E_TRUNCATED, 0, off + 8, "chunk.length",
				 "file ends at offset 0x%llx inside %s %s%s chunk that starts at 0x%llx and "
				 "declares %llu payload bytes", (unsigned long long)len, art, how, name, (unsigned long long)off, (unsigned long long)n);
	return 0;
}

int hwd__chunk_crc(const uint8_t *d, uint64_t off, uint32_t word, uint64_t plen, hwd_error *here)
{
	uint32_t want = hwd_get_le32(d + off + 4);
	uint32_t have = hwd_crc32c(0, d + off + HWD_CHUNK_HEADER_SIZE, (size_t)plen);
	if (have == want)
		return 0;
	return HWD_CORRUPT(here, off + 4, "chunk.crc32c", "%s%s chunk at 0x%llx (%llu bytes) has CRC32C "
			   "0x%08x, but its payload's is 0x%08x", word & HWD_CHUNK_COMPRESSED ? "compressed " : "",
			   hwd__chunk_kind_name(word & HWD_CHUNK_KIND_MASK), (unsigned long long)off,
			   (unsigned long long)plen, want, have);
}

uint32_t hwd__record_size(uint32_t kind)
{
	static const uint32_t sizes[HWD_CHUNK_KIND__NEXT] = {
		[HWD_CHUNK_TYPES] = sizeof(hwd_type_disk),
		[HWD_CHUNK_OBJECTS] = sizeof(hwd_object_disk),
		[HWD_CHUNK_EDGES] = sizeof(hwd_edge_disk),
		[HWD_CHUNK_ROOTS] = sizeof(hwd_root_disk),
		[HWD_CHUNK_GOROUTINES] = sizeof(hwd_goroutine_disk),
		[HWD_CHUNK_FRAMES] = sizeof(hwd_frame_disk),
		[HWD_CHUNK_THREADS] = sizeof(hwd_thread_disk),
		[HWD_CHUNK_ALLOC_FRAMES] = sizeof(hwd_alloc_frame_disk),
		[HWD_CHUNK_ALLOC_STACKS] = sizeof(hwd_alloc_stack_disk),
		[HWD_CHUNK_ALLOC_SAMPLES] = sizeof(hwd_alloc_sample_disk),
	};
	return kind < HWD_CHUNK_KIND__NEXT ? sizes[kind] : 0;
}
