// A dtype selection header like the ones codegen writes from a manifest
// (codegen/gen_registry.py --dtype-header): relu, add and permute_copy on
// Float only. Used by dtype_selection_test.
#pragma once

#define ST_DTYPES_relu_out(t) (static_cast<int>(t) == 6 /* Float */)
#define ST_DTYPES_add_out(t) (static_cast<int>(t) == 6 /* Float */)
#define ST_DTYPES_permute_copy_out(t) (static_cast<int>(t) == 6 /* Float */)
