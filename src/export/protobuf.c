/* protobuf.c - varints, keys, length-delimited and packed fields (see protobuf.h). */
#include "protobuf.h"

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

void hw_pb_init(hw_pb *b)
{
	b->bytes = g_byte_array_new();
}

void hw_pb_clear(hw_pb *b)
{
	if (b->bytes)
		g_byte_array_free(b->bytes, TRUE);
	b->bytes = NULL;
}

void hw_pb_reset(hw_pb *b)
{
	g_byte_array_set_size(b->bytes, 0);
}

void hw_pb_varint(hw_pb *b, uint64_t v)
{
	guint8 out[10];
	guint n = 0;

	while (v >= 0x80) {
		out[n++] = (guint8)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (guint8)v;
	g_byte_array_append(b->bytes, out, n);
}

static void key(hw_pb *b, uint32_t field, unsigned wire)
{
	hw_pb_varint(b, ((uint64_t)field << 3) | wire);
}

void hw_pb_uint(hw_pb *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	key(b, field, WIRE_VARINT);
	hw_pb_varint(b, v);
}

void hw_pb_bytes(hw_pb *b, uint32_t field, const void *data, size_t len)
{
	key(b, field, WIRE_BYTES);
	hw_pb_varint(b, len);
	g_byte_array_append(b->bytes, data, (guint)len);
}

void hw_pb_packed(hw_pb *b, uint32_t field, const uint64_t *v, size_t n, hw_pb *scratch)
{
	if (!n)
		return;
	hw_pb_reset(scratch);
	for (size_t i = 0; i < n; i++)
		hw_pb_varint(scratch, v[i]);
	hw_pb_message(b, field, scratch);
}
