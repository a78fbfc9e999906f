/* CRC32C (Castagnoli), as iSCSI header and data digests and the PR store use
 * it. Uses the SSE4.2 instruction when the CPU has it. */
#ifndef TANDEM_COMMON_CRC32C_H
#define TANDEM_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over buf. Start with crc = 0; the result is final (the
 * pre- and post-inversion are done inside), so crc32c(crc32c(0,a),b) equals
 * crc32c over a followed by b. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
