/* crc32c.h - the two CRC32C implementations behind hwd_crc32c(), exposed for tests. */
#ifndef HWD_CRC32C_H
#define HWD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t hwd__crc32c_sw(uint32_t crc, const void *data, size_t len);
/* Falls back to the table version where the instruction does not exist. */
uint32_t hwd__crc32c_hw(uint32_t crc, const void *data, size_t len);
int hwd__crc32c_hw_available(void);

#endif
