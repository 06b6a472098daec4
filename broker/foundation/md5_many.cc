// MD5 of several inputs at once: sixteen lanes of AVX2 (two vectors of eight), one input each.
//
// Why: SQS answers every message with the MD5 of its body, and a SendMessageBatch of ten
// small messages spent a tenth of the I/O thread in MD5, one input after another. MD5 is a
// chain of dependent steps, so one input cannot go faster than OpenSSL's assembly;
// independent inputs can share each vector instruction. RFC 1321 is the specification; the
// tests compare every result with OpenSSL's.
#include <algorithm>
#include <cstring>

#include "codec.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WYVERN_MD5_AVX2 1
#endif

namespace wyvern {
namespace {

#ifdef WYVERN_MD5_AVX2

constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};
constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
// Lanes in a vector, and vectors run side by side. Each MD5 step waits on the one before, so
// one vector leaves the core idle between steps; two independent ones fill the gaps.
constexpr int kWidth = 8;
constexpr int kChains = 2;
constexpr int kLanes = kWidth * kChains;

// One lane's input, read block by block with its padding: the input's own bytes while whole
// blocks remain, then one or two blocks built here with the 0x80, the zeros and the length.
struct Lane {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t blocks = 0;    // in all, padding included
  size_t direct = 0;    // blocks read straight from data
  uint8_t tail[128];    // the rest: blocks direct .. blocks-1

  void start(std::string_view input) {
    data = reinterpret_cast<const uint8_t*>(input.data());
    size = input.size();
    blocks = (size + 8) / 64 + 1;
    direct = size / 64;
    size_t rest = size - direct * 64;
    uint8_t* end = tail + (blocks - direct) * 64;
    if (rest) std::memcpy(tail, data + direct * 64, rest);
    tail[rest] = 0x80;
    std::memset(tail + rest + 1, 0, static_cast<size_t>(end - tail) - rest - 9);
    uint64_t bits = static_cast<uint64_t>(size) * 8;
    for (int i = 0; i < 8; ++i) end[i - 8] = static_cast<uint8_t>(bits >> (8 * i));
  }
  const uint8_t* block(size_t b) const {
    return b < direct ? data + b * 64 : tail + (b - direct) * 64;
  }
};

template <int s>
__attribute__((target("avx2"), always_inline)) inline __m256i rotate_left(__m256i x) {
  return _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - s));
}

// Loads 32 bytes at p[l] + offset for each of eight lanes and turns them so that out[i] holds
// word i of every lane (element l is lane l's).
__attribute__((target("avx2"), always_inline)) inline void transpose(const uint8_t* const* p,
                                                                    int offset, __m256i* out) {
  __m256i r[kWidth], t[kWidth], u[kWidth];
  for (int l = 0; l < kWidth; ++l)
    r[l] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[l] + offset));
  for (int l = 0; l < kWidth; l += 2) {
    t[l] = _mm256_unpacklo_epi32(r[l], r[l + 1]);      // words 0,1 (and 4,5) of lanes l, l+1
    t[l + 1] = _mm256_unpackhi_epi32(r[l], r[l + 1]);  // words 2,3 (and 6,7)
  }
  for (int l = 0; l < kWidth; l += 4) {
    u[l] = _mm256_unpacklo_epi64(t[l], t[l + 2]);  // word 0 (and 4) of lanes l..l+3
    u[l + 1] = _mm256_unpackhi_epi64(t[l], t[l + 2]);
    u[l + 2] = _mm256_unpacklo_epi64(t[l + 1], t[l + 3]);
    u[l + 3] = _mm256_unpackhi_epi64(t[l + 1], t[l + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    out[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
    out[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
  }
}

// Digests lanes[0..n) (n <= kLanes) together into *out[l]; unused lanes carry an empty input.
__attribute__((target("avx2"))) void md5_lanes(const Lane* lanes, int n,
                                               std::array<uint8_t, 16>* const* out) {
  __m256i a[kChains], b[kChains], c[kChains], d[kChains];
  for (int h = 0; h < kChains; ++h) {
    a[h] = _mm256_set1_epi32(0x67452301);
    b[h] = _mm256_set1_epi32(static_cast<int>(0xefcdab89));
    c[h] = _mm256_set1_epi32(static_cast<int>(0x98badcfe));
    d[h] = _mm256_set1_epi32(0x10325476);
  }
  size_t most = 0;
  for (int l = 0; l < kLanes; ++l) most = std::max(most, lanes[l].blocks);
  const __m256i ones = _mm256_set1_epi32(-1);
  for (size_t blk = 0; blk < most; ++blk) {
    // Word i of every lane's block, one lane per 32-bit element (MD5 words are little endian).
    __m256i w[kChains][16];
    const uint8_t* p[kLanes];
    int live[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      live[l] = blk < lanes[l].blocks ? -1 : 0;
      p[l] = live[l] ? lanes[l].block(blk) : lanes[l].block(0);
    }
    __m256i a0[kChains], b0[kChains], c0[kChains], d0[kChains];
    for (int h = 0; h < kChains; ++h) {
      transpose(p + kWidth * h, 0, w[h]);
      transpose(p + kWidth * h, 32, w[h] + 8);
      a0[h] = a[h];
      b0[h] = b[h];
      c0[h] = c[h];
      d0[h] = d[h];
    }
    // The 64 steps, unrolled so that every word index, constant and shift is an immediate;
    // each step is written for both chains, one after the other.
    // RFC 1321's four functions, each in its cheapest equivalent form.
#define F(x, y, z) _mm256_xor_si256(z, _mm256_and_si256(x, _mm256_xor_si256(y, z)))
#define G(x, y, z) _mm256_xor_si256(y, _mm256_and_si256(z, _mm256_xor_si256(x, y)))
#define H(x, y, z) _mm256_xor_si256(_mm256_xor_si256(x, y), z)
#define I(x, y, z) _mm256_xor_si256(y, _mm256_or_si256(x, _mm256_xor_si256(z, ones)))
#define WYVERN_MD5_STEP1(fn, w0, x, y, z, word, k, s, h)                                      \
  w0[h] = _mm256_add_epi32(                                                                   \
      x[h], rotate_left<s>(_mm256_add_epi32(                                                  \
                _mm256_add_epi32(w0[h], fn(x[h], y[h], z[h])),                                \
                _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(kSine[k])), w[h][word]))));
#define WYVERN_MD5_STEP(fn, w0, x, y, z, word, k, s) \
  WYVERN_MD5_STEP1(fn, w0, x, y, z, word, k, s, 0)   \
  WYVERN_MD5_STEP1(fn, w0, x, y, z, word, k, s, 1)
#define WYVERN_MD5_ROUND(fn, r, g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11, g12, g13, \
                         g14, g15)                                                            \
  WYVERN_MD5_STEP(fn, a, b, c, d, g0, 16 * r + 0, kShift[r][0])                                \
  WYVERN_MD5_STEP(fn, d, a, b, c, g1, 16 * r + 1, kShift[r][1])                                \
  WYVERN_MD5_STEP(fn, c, d, a, b, g2, 16 * r + 2, kShift[r][2])                                \
  WYVERN_MD5_STEP(fn, b, c, d, a, g3, 16 * r + 3, kShift[r][3])                                \
  WYVERN_MD5_STEP(fn, a, b, c, d, g4, 16 * r + 4, kShift[r][0])                                \
  WYVERN_MD5_STEP(fn, d, a, b, c, g5, 16 * r + 5, kShift[r][1])                                \
  WYVERN_MD5_STEP(fn, c, d, a, b, g6, 16 * r + 6, kShift[r][2])                                \
  WYVERN_MD5_STEP(fn, b, c, d, a, g7, 16 * r + 7, kShift[r][3])                                \
  WYVERN_MD5_STEP(fn, a, b, c, d, g8, 16 * r + 8, kShift[r][0])                                \
  WYVERN_MD5_STEP(fn, d, a, b, c, g9, 16 * r + 9, kShift[r][1])                                \
  WYVERN_MD5_STEP(fn, c, d, a, b, g10, 16 * r + 10, kShift[r][2])                              \
  WYVERN_MD5_STEP(fn, b, c, d, a, g11, 16 * r + 11, kShift[r][3])                              \
  WYVERN_MD5_STEP(fn, a, b, c, d, g12, 16 * r + 12, kShift[r][0])                              \
  WYVERN_MD5_STEP(fn, d, a, b, c, g13, 16 * r + 13, kShift[r][1])                              \
  WYVERN_MD5_STEP(fn, c, d, a, b, g14, 16 * r + 14, kShift[r][2])                              \
  WYVERN_MD5_STEP(fn, b, c, d, a, g15, 16 * r + 15, kShift[r][3])
    WYVERN_MD5_ROUND(F, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    WYVERN_MD5_ROUND(G, 1, 1, 6, 11, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12)
    WYVERN_MD5_ROUND(H, 2, 5, 8, 11, 14, 1, 4, 7, 10, 13, 0, 3, 6, 9, 12, 15, 2)
    WYVERN_MD5_ROUND(I, 3, 0, 7, 14, 5, 12, 3, 10, 1, 8, 15, 6, 13, 4, 11, 2, 9)
#undef WYVERN_MD5_ROUND
#undef WYVERN_MD5_STEP
#undef WYVERN_MD5_STEP1
#undef F
#undef G
#undef H
#undef I
    // Lanes whose input has no block `blk` keep their state.
    for (int h = 0; h < kChains; ++h) {
      __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(live + kWidth * h));
      a[h] = _mm256_blendv_epi8(a0[h], _mm256_add_epi32(a[h], a0[h]), mask);
      b[h] = _mm256_blendv_epi8(b0[h], _mm256_add_epi32(b[h], b0[h]), mask);
      c[h] = _mm256_blendv_epi8(c0[h], _mm256_add_epi32(c[h], c0[h]), mask);
      d[h] = _mm256_blendv_epi8(d0[h], _mm256_add_epi32(d[h], d0[h]), mask);
    }
  }
  uint32_t words[4][kLanes];
  for (int h = 0; h < kChains; ++h) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[0] + kWidth * h), a[h]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[1] + kWidth * h), b[h]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[2] + kWidth * h), c[h]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[3] + kWidth * h), d[h]);
  }
  for (int l = 0; l < n; ++l)
    for (int k = 0; k < 4; ++k)
      for (int byte = 0; byte < 4; ++byte)
        (*out[l])[4 * k + byte] = static_cast<uint8_t>(words[k][l] >> (8 * byte));
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

#endif  // WYVERN_MD5_AVX2

}  // namespace

void md5_many(const std::string_view* inputs, size_t n, std::array<uint8_t, 16>* out) {
#ifdef WYVERN_MD5_AVX2
  if (have_avx2()) {
    // A lane runs as many blocks as the longest input beside it: long inputs go one by one.
    constexpr size_t kVectorMost = 1024;
    // A lone input is cheaper one by one.
    constexpr int kVectorLeast = 2;
    Lane lanes[kLanes];
    std::array<uint8_t, 16>* into[kLanes];
    int taken = 0;
    auto run = [&] {
      for (int l = taken; l < kLanes; ++l) lanes[l].start({});
      md5_lanes(lanes, taken, into);
      taken = 0;
    };
    for (size_t i = 0; i < n; ++i) {
      if (inputs[i].size() > kVectorMost) {
        out[i] = md5_bytes(inputs[i]);
        continue;
      }
      lanes[taken].start(inputs[i]);
      into[taken++] = &out[i];
      if (taken == kLanes) run();
    }
    if (taken >= kVectorLeast) run();
    for (int l = 0; l < taken; ++l) {
      const Lane& lane = lanes[l];
      *into[l] = md5_bytes({reinterpret_cast<const char*>(lane.data), lane.size});
    }
    return;
  }
#endif
  for (size_t i = 0; i < n; ++i) out[i] = md5_bytes(inputs[i]);
}

}  // namespace wyvern
