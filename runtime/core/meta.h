// The few pieces of the C++ standard library's headers the runtime uses,
// written on the compiler's built-ins so that no libstdc++ header is needed: a
// freestanding image needs none, and some bare-metal toolchains ship none
// (Debian's riscv64-unknown-elf has a C++ compiler and picolibc's C headers only).
//
//   index_sequence<I...>, make_index_sequence<N>, integer_sequence<T, I...>,
//   make_integer_sequence<T, N>   compile-time index packs (std::)
//   conditional_t<B, T, F>        a type chosen by a constant (std::)
//   is_integral_v<T>, is_enum_v<T>
//   placement new                 from <new> where it exists, else declared here
//
// Same meaning as the std:: names, in namespace slimtorch::meta; only what the
// runtime uses, nothing more. Types only (no code) except placement new,
// which is inline and returns its argument.
#pragma once

#include <stddef.h>

namespace slimtorch {
namespace meta {

template <typename T, T... I>
struct integer_sequence {
  using value_type = T;
  static constexpr size_t size() noexcept { return sizeof...(I); }
};

template <size_t... I>
using index_sequence = integer_sequence<size_t, I...>;

// integer_sequence<T, 0, 1, ..., N-1>, made by the compiler in one step (no
// recursive template instantiation): Clang's __make_integer_seq, GCC's
// __integer_pack. Which one is a compiler fact, like an intrinsic's name.
#if defined(__clang__)
template <typename T, T N>
using make_integer_sequence = __make_integer_seq<integer_sequence, T, N>;
#else
template <typename T, T N>
using make_integer_sequence = integer_sequence<T, __integer_pack(N)...>;
#endif

template <size_t N>
using make_index_sequence = make_integer_sequence<size_t, N>;

template <bool B, typename T, typename F>
struct conditional {
  using type = T;
};
template <typename T, typename F>
struct conditional<false, T, F> {
  using type = F;
};
template <bool B, typename T, typename F>
using conditional_t = typename conditional<B, T, F>::type;

template <typename T>
struct remove_cv {
  using type = T;
};
template <typename T>
struct remove_cv<const T> {
  using type = T;
};
template <typename T>
struct remove_cv<volatile T> {
  using type = T;
};
template <typename T>
struct remove_cv<const volatile T> {
  using type = T;
};

// The integral types of C++17 (std::is_integral): bool, the character types
// and the signed and unsigned integers, with any cv-qualification.
template <typename T>
struct is_integral_base {
  static constexpr bool value = false;
};
#define ST_META_INTEGRAL_(T)                \
  template <>                               \
  struct is_integral_base<T> {              \
    static constexpr bool value = true;     \
  }
ST_META_INTEGRAL_(bool);
ST_META_INTEGRAL_(char);
ST_META_INTEGRAL_(signed char);
ST_META_INTEGRAL_(unsigned char);
ST_META_INTEGRAL_(wchar_t);
ST_META_INTEGRAL_(char16_t);
ST_META_INTEGRAL_(char32_t);
ST_META_INTEGRAL_(short);
ST_META_INTEGRAL_(unsigned short);
ST_META_INTEGRAL_(int);
ST_META_INTEGRAL_(unsigned int);
ST_META_INTEGRAL_(long);
ST_META_INTEGRAL_(unsigned long);
ST_META_INTEGRAL_(long long);
ST_META_INTEGRAL_(unsigned long long);
#undef ST_META_INTEGRAL_

template <typename T>
inline constexpr bool is_integral_v = is_integral_base<typename remove_cv<T>::type>::value;

// Enumerations (std::is_enum): the compiler's __is_enum, which GCC and Clang
// both provide (it is what the standard library itself is built on).
template <typename T>
inline constexpr bool is_enum_v = __is_enum(T);

}  // namespace meta
}  // namespace slimtorch

// Placement new: constructs an object in storage the caller owns (the runtime
// never allocates). <new> declares it where the toolchain has the C++ headers
// (then it must be <new>'s: a second definition would clash); elsewhere it is
// defined here, as the standard defines it (returns its argument).
#if __has_include(<new>)
#include <new>
#else
inline void* operator new(size_t, void* p) noexcept { return p; }
inline void* operator new[](size_t, void* p) noexcept { return p; }
#endif
