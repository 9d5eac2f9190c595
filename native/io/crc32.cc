// zlib's crc32 when the build found zlib (CMake defines SVAE_HAVE_ZLIB; LibTorch already
// depends on libz, so it costs no new runtime library), otherwise slice-by-8 tables.
#include "io/crc32.h"

#include <array>
#include <cstring>

#ifdef SVAE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace svae {

#ifdef SVAE_HAVE_ZLIB

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(::crc32_z(crc, data, size));
}

const char* crc32_implementation() { return "zlib"; }

#else

namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; k++) {
    for (size_t i = 0; i < 256; i++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}

const Tables& tables() {
  static const Tables t = make_tables();
  return t;
}

}  // namespace

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) {
  const Tables& t = tables();
  crc = ~crc;
  // Eight bytes per step (little-endian words; every platform LibTorch supports is little-endian).
  while (size >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, data, 4);
    std::memcpy(&hi, data + 4, 4);
    lo ^= crc;
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) crc = t[0][(crc ^ *data++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

const char* crc32_implementation() { return "slice-by-8"; }

#endif

}  // namespace svae
