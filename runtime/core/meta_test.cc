// meta.h against the standard's meaning: the type checks are compile-time
// (a failure does not compile); placement new is checked by running it.
#include "runtime/core/meta.h"

namespace {

using namespace slimtorch::meta;

enum class Scoped { kA };
enum Plain { kB };

template <typename A, typename B>
struct Same {
  static constexpr bool value = false;
};
template <typename A>
struct Same<A, A> {
  static constexpr bool value = true;
};

static_assert(is_integral_v<int> && is_integral_v<const unsigned long> && is_integral_v<bool> &&
              is_integral_v<char> && is_integral_v<volatile long long>);
static_assert(!is_integral_v<float> && !is_integral_v<const char*> && !is_integral_v<Scoped> &&
              !is_integral_v<Plain>);
static_assert(is_enum_v<Scoped> && is_enum_v<Plain> && !is_enum_v<int>);
static_assert(Same<make_index_sequence<3>, index_sequence<0, 1, 2>>::value);
static_assert(Same<make_integer_sequence<int, 0>, integer_sequence<int>>::value);
static_assert(make_index_sequence<5>::size() == 5);
static_assert(Same<conditional_t<true, int, float>, int>::value);
static_assert(Same<conditional_t<false, int, float>, float>::value);

struct Point {
  int x = 3;
  int y = 4;
};

}  // namespace

int main() {
  alignas(Point) unsigned char storage[sizeof(Point)];
  const Point* p = new (storage) Point();
  return p->x == 3 && p->y == 4 && static_cast<const void*>(p) == storage ? 0 : 1;
}
