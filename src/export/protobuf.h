/* protobuf.h - the four protocol-buffer wire operations a profile writer needs.
 *
 * pprof's profile.proto is small enough to encode by hand: varints, field keys, length-delimited
 * fields (strings and nested messages) and packed repeated varints. A message is built into its
 * own hw_pb buffer and then appended to its parent as a length-delimited field, so no lengths
 * have to be known in advance. Values are unsigned: heapwalk never writes negative numbers.
 * Buffers grow with g_realloc (which aborts on exhaustion, like every glib allocation); their
 * size is bounded by the profile's sample cap, not by the heap.
 */
#ifndef HW_EXPORT_PROTOBUF_H
#define HW_EXPORT_PROTOBUF_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hw_pb {
	GByteArray *bytes;   /* owned; the encoded message so far */
} hw_pb;

void hw_pb_init(hw_pb *b);
void hw_pb_clear(hw_pb *b);
/* Empties the buffer for reuse as the next nested message. */
void hw_pb_reset(hw_pb *b);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_pb, hw_pb_clear)

void hw_pb_varint(hw_pb *b, uint64_t v);
/* Field `field` as a varint; proto3 semantics, so 0 is not written. */
void hw_pb_uint(hw_pb *b, uint32_t field, uint64_t v);
/* Field `field` as length-delimited bytes (a string, or an encoded nested message). */
void hw_pb_bytes(hw_pb *b, uint32_t field, const void *data, size_t len);
static inline void hw_pb_message(hw_pb *b, uint32_t field, const hw_pb *m) { hw_pb_bytes(b, field, m->bytes->data, m->bytes->len); }
/* Field `field` as a packed repeated varint; nothing is written for n == 0. `scratch` is
 * reset and used to measure the payload (callers keep one around to avoid reallocating). */
void hw_pb_packed(hw_pb *b, uint32_t field, const uint64_t *v, size_t n, hw_pb *scratch);

#endif /* HW_EXPORT_PROTOBUF_H */
