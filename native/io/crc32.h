// CRC-32 of the zip format (ISO-HDLC: reflected polynomial 0xEDB88320, init and final xor
// 0xFFFFFFFF), updated incrementally so a reader can check bytes chunk by chunk as it reads them.
#pragma once
#include <cstddef>
#include <cstdint>

namespace svae {

// crc32_update(0, a) then crc32_update(that, b) == CRC-32 of a followed by b.
uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size);

// Which implementation was compiled in: "zlib" (zlib's crc32_z, ~3.5 GB/s on this machine's
// zlib 1.2.13) or "slice-by-8" (the portable fallback, ~1.2 GB/s).
const char* crc32_implementation();

}  // namespace svae
