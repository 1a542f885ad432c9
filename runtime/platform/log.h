// Error messages without printf. The runtime keeps the message of the most
// recent failure in one static buffer (last_error_message()), so applications
// can print "error: <message>". A failure is reported with ST_FAIL:
//
//   return ST_FAIL(Error::InvalidProgram, "value {} has unknown type {}", i, kind);
//
// The format is a string literal; each `{}` takes the next argument, an
// integer, and each `{s}` a NUL-terminated string (checked at compile time).
// ST_FAIL stores the message and evaluates to the error code. It does not print
// it: the application reports the error it gets back, once ("error: <message>",
// app/run_model.h print_error). Printing here too showed every error twice.
// The message is also logged at LogLevel::Debug (on the host, with
// SLIMTORCH_DEBUG set: every failure as it happens, inner ones included).
// The buffer is global and not thread-safe: one method executes at a time.
//
// How much of the message an image carries is a build option
// (SLIMTORCH_ERROR_MESSAGES, runtime/core/error.h):
// - text (2): the message text, formatted in the image (host default).
// - token (1): the image carries no message text. The literal goes to the ELF
//   section `.slimtorch_messages`, which is never loaded (not counted in flash),
//   and the image reports "[msg <token> <args...>]", where the token is the
//   FNV-1a hash of the literal. `slimtorch decode-errors --elf IMAGE` turns that
//   back into the text using the same image (Cortex-M55 default in development
//   builds; the QEMU tests decode automatically). Integers are passed as
//   intptr_t (exact on the host; above 32 bits truncated on 32-bit targets);
//   string arguments are not passed (decoded as "?").
// - off (0): the error code only; the arguments are not evaluated at all
//   (Cortex-M55 default in release builds, -c opt).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/core/meta.h"
#include "runtime/platform/platform.h"

namespace slimtorch {

constexpr size_t kErrorMessageCapacity = SLIMTORCH_ERROR_MESSAGES == 2 ? 256 : SLIMTORCH_ERROR_MESSAGES == 1 ? 96 : 1;

// The last message (empty before any failure, and always with messages off).
// Static storage.
const char* last_error_message();

// Appends decimal `v` to buf (which has room for at least 21 chars); returns chars written.
size_t format_int(char* buf, int64_t v);

// The token of a message literal: 32-bit FNV-1a of its bytes (without the NUL).
// python/slimtorch/messages.py computes the same to decode.
constexpr uint32_t message_token(const char* s) {
  uint32_t h = 2166136261u;
  for (; *s != '\0'; ++s) {
    h = (h ^ static_cast<uint8_t>(*s)) * 16777619u;
  }
  return h;
}

// A compile-time constant as a type (forces the token to be computed by the compiler).
template <uint32_t V>
struct Constant {
  static constexpr uint32_t value = V;
};

// Appends " (<prefix><n>)" to the last error message without printf (text mode
// only): context a caller adds to the failure it passes on, such as which value
// a bad tensor belongs to.
#if SLIMTORCH_ERROR_MESSAGES == 2
void st_error_context(const char* prefix, int64_t n);
#else
inline void st_error_context(const char*, int64_t) {}
#endif

// A message's placeholders, packed: count in bits 0-3, bit 4+i set when
// placeholder i is `{s}` (a string) rather than `{}` (an integer).
constexpr uint32_t message_shape(const char* s) {
  uint32_t count = 0;
  uint32_t strings = 0;
  for (; *s != '\0'; ++s) {
    if (s[0] == '{' && s[1] == '}') {
      ++count;
    } else if (s[0] == '{' && s[1] == 's' && s[2] == '}') {
      strings |= 1u << count;
      ++count;
    }
  }
  return count | (strings << 4);
}

namespace fail_detail {

// Text mode: non-inline steps, so each call site stays a handful of
// instructions: begin (clears the buffer, copies `fmt` up to its first
// placeholder), one arg per argument (then the format up to the next), end (debug log).
void begin(const char* fmt);
void arg(int64_t v);
void arg(const char* s);
void end();

// Token mode: one call with the token (the code in its low 4 bits, see
// packed_token) and the integer arguments (strings are not passed).
Error token(uint32_t packed);
Error token(uint32_t packed, intptr_t a);
Error token(uint32_t packed, intptr_t a, intptr_t b);
Error token(uint32_t packed, intptr_t a, intptr_t b, intptr_t c);
Error token(uint32_t packed, intptr_t a, intptr_t b, intptr_t c, intptr_t d);

constexpr uint32_t packed_token(uint32_t hash, Error e) { return (hash & ~0xFu) | static_cast<uint32_t>(e); }

template <typename T>
constexpr bool is_number() {
  return meta::is_integral_v<T> || meta::is_enum_v<T>;
}

template <typename... Args>
constexpr uint32_t string_mask() {
  uint32_t mask = 0;
  uint32_t bit = 1;
  ((mask |= is_number<Args>() ? 0 : bit, bit <<= 1), ...);
  return mask;
}

// The positions K < N whose bit in M is clear (the integer arguments).
template <uint32_t M, size_t N, size_t K = 0, size_t... I>
struct NumberIndex {
  using type = typename meta::conditional_t<((M >> K) & 1u) != 0, NumberIndex<M, N, K + 1, I...>,
                                            NumberIndex<M, N, K + 1, I..., K>>::type;
};
template <uint32_t M, size_t N, size_t... I>
struct NumberIndex<M, N, N, I...> {
  using type = meta::index_sequence<I...>;
};

// Argument I of a pack (what std::get<I> of a tuple of them gives).
template <size_t I, typename T, typename... Rest>
constexpr auto nth(T first, Rest... rest) {
  if constexpr (I == 0) {
    return first;
  } else {
    return nth<I - 1>(rest...);
  }
}

// Calls token() with the integer arguments only (positions I).
template <size_t... I, typename... Args>
inline Error token_call(uint32_t packed, meta::index_sequence<I...>, Args... a) {
  return token(packed, static_cast<intptr_t>(nth<I>(a...))...);
}

inline void args() {}
template <typename T, typename... Rest>
inline void args(T first, Rest... rest) {
  if constexpr (is_number<T>()) {
    arg(static_cast<int64_t>(first));
  } else {
    arg(static_cast<const char*>(first));
  }
  args(rest...);
}

// Shape = message_shape(fmt), Hash = message_token(fmt), both computed by the compiler.
template <uint32_t Shape, uint32_t Hash, typename... Args>
inline Error fail(Error e, const char* fmt, Args... a) {
  static_assert((Shape & 0xFu) == sizeof...(Args), "ST_FAIL: the format's placeholders and the arguments differ in number");
  static_assert((Shape >> 4) == string_mask<Args...>(),
                "ST_FAIL: use {s} for a string argument and {} for an integer one");
#if SLIMTORCH_ERROR_MESSAGES == 2
  begin(fmt);
  args(a...);
  end();
  return e;
#elif SLIMTORCH_ERROR_MESSAGES == 1
  (void)fmt;
  static_assert(sizeof...(Args) - __builtin_popcount(Shape >> 4) <= 4, "ST_FAIL: at most 4 integer arguments");
  return token_call(packed_token(Hash, e), typename NumberIndex<(Shape >> 4), sizeof...(Args)>::type(), a...);
#else
  (void)fmt;
  ((void)a, ...);
  return e;
#endif
}

}  // namespace fail_detail

}  // namespace slimtorch

#define ST_FAIL_CALL_(code, fmt, ...)                                                                    \
  ::slimtorch::fail_detail::fail<::slimtorch::Constant<::slimtorch::message_shape(fmt)>::value,                \
                                 ::slimtorch::Constant<::slimtorch::message_token(fmt)>::value>(code, fmt, \
                                                                                                ##__VA_ARGS__)
#if SLIMTORCH_ERROR_MESSAGES == 1
// The literal goes to a section that is never loaded (basic asm copies it
// verbatim); the code keeps only its token, a compile-time constant.
#define ST_FAIL(code, fmt, ...)                                                                     \
  ([&]() -> ::slimtorch::Error {                                                                    \
    __asm__(".pushsection .slimtorch_messages,\"\",%progbits\n\t.asciz \"" fmt "\"\n\t.popsection"); \
    return ST_FAIL_CALL_(code, fmt, ##__VA_ARGS__);                                                 \
  }())
#elif SLIMTORCH_ERROR_MESSAGES == 2
#define ST_FAIL(code, fmt, ...) ST_FAIL_CALL_(code, fmt, ##__VA_ARGS__)
#else
// Codes only: the arguments stay in an unevaluated operand (no code, not even
// for a call such as a byte count computed for the message; still "used").
#define ST_FAIL(code, fmt, ...) (static_cast<void>(sizeof(ST_FAIL_CALL_(code, fmt, ##__VA_ARGS__))), (code))
#endif
