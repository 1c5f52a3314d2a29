// Float32 elementwise kernels: binary ops with numpy-style broadcasting, comparisons (bool out, the
// same broadcasting) and unary ops. Semantics follow the cpu backend's JS lambdas (Math.max
// propagates NaN, Step keeps NaN, NaN compares unequal to everything, ...).
// Leaves out: other dtypes and complex numbers (the TypeScript side falls back to cpu for those).
#include <cmath>
#include <vector>

#include "common.h"

namespace distillery {

enum BinaryOp { kAdd = 0, kSub, kMul, kDiv, kMaximum, kMinimum, kSquaredDifference };
enum UnaryOp {
  kURelu = 0, kUExp, kULog, kUSqrt, kUSquare, kUNeg, kUStep, kUSigmoid, kUTanh, kUAbs,
  kUReciprocal, kURsqrt, kURelu6, kULeakyRelu, kUElu
};

struct AddF { static float f(float a, float b) { return a + b; } };
struct SubF { static float f(float a, float b) { return a - b; } };
struct MulF { static float f(float a, float b) { return a * b; } };
struct DivF { static float f(float a, float b) { return a / b; } };
// Math.max / Math.min: NaN if either side is NaN.
struct MaxF {
  static float f(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }
};
struct MinF {
  static float f(float a, float b) { return (a != a || b != b) ? NAN : (a < b ? a : b); }
};
// In double, like the JS lambda `diff = a - b; diff * diff`, then one rounding to float32.
struct SqDiffF {
  static float f(float a, float b) {
    const double d = double(a) - double(b);
    return static_cast<float>(d * d);
  }
};

// Comparisons as the cpu kernels' lambdas `(a === b) ? 1 : 0`, ...: 1 or 0 into a bool (uint8) out.
enum CompareOp { kEqual = 0, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual };
struct EqualF { static uint8_t f(float a, float b) { return a == b; } };
struct NotEqualF { static uint8_t f(float a, float b) { return a != b; } };
struct LessF { static uint8_t f(float a, float b) { return a < b; } };
struct LessEqualF { static uint8_t f(float a, float b) { return a <= b; } };
struct GreaterF { static uint8_t f(float a, float b) { return a > b; } };
struct GreaterEqualF { static uint8_t f(float a, float b) { return a >= b; } };

// Innermost loop with unit-or-zero strides, specialised so each case vectorizes. T: output type.
template <class Op, class T>
static void Inner(const float* a, int64_t sa, const float* b, int64_t sb, T* o, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(a[i], b[i]);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(av, b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(a[i], bv);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(a[i * sa], b[i * sb]);
  }
}

// out[outShape] = op(a broadcast, b broadcast). Shapes are right-aligned as in numpy.
template <class Op, class T>
static void Broadcast(const float* a, std::vector<int64_t> aShape, const float* b,
                      std::vector<int64_t> bShape, T* out, const std::vector<int64_t>& outShape) {
  const size_t rank = outShape.size();
  // Element strides of a and b per output dimension, 0 where broadcast.
  std::vector<int64_t> dims, sa, sb;
  {
    std::vector<int64_t> aStr(rank, 0), bStr(rank, 0);
    int64_t s = 1;
    for (size_t i = 0; i < aShape.size(); ++i) {
      const size_t d = aShape.size() - 1 - i, od = rank - 1 - i;
      aStr[od] = aShape[d] == 1 ? 0 : s;
      s *= aShape[d];
    }
    s = 1;
    for (size_t i = 0; i < bShape.size(); ++i) {
      const size_t d = bShape.size() - 1 - i, od = rank - 1 - i;
      bStr[od] = bShape[d] == 1 ? 0 : s;
      s *= bShape[d];
    }
    // Collapse: drop size-1 dims, merge a dim into the next-inner one when both operands stay
    // contiguous across the pair.
    for (size_t d = 0; d < rank; ++d) {
      if (outShape[d] == 1) continue;
      if (!dims.empty()) {
        const size_t last = dims.size() - 1;
        if (sa[last] == aStr[d] * outShape[d] && sb[last] == bStr[d] * outShape[d]) {
          dims[last] *= outShape[d];
          sa[last] = aStr[d];
          sb[last] = bStr[d];
          continue;
        }
      }
      dims.push_back(outShape[d]);
      sa.push_back(aStr[d]);
      sb.push_back(bStr[d]);
    }
  }
  if (dims.empty()) {  // scalar output
    out[0] = Op::f(a[0], b[0]);
    return;
  }
  const size_t r = dims.size();
  const int64_t n = dims[r - 1];
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < r; ++d) outer *= dims[d];
  std::vector<int64_t> idx(r, 0);
  int64_t aOff = 0, bOff = 0;
  for (int64_t o = 0; o < outer; ++o) {
    Inner<Op, T>(a + aOff, sa[r - 1], b + bOff, sb[r - 1], out + o * n, n);
    // Advance the multi-index over the outer dims (odometer), updating offsets incrementally.
    for (int64_t d = static_cast<int64_t>(r) - 2; d >= 0; --d) {
      if (++idx[d] < dims[d]) {
        aOff += sa[d];
        bOff += sb[d];
        break;
      }
      aOff -= sa[d] * (dims[d] - 1);
      bOff -= sb[d] * (dims[d] - 1);
      idx[d] = 0;
    }
  }
}

// binary(op, a, aShape, b, bShape, out, outShape)
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(GetInt(info, 0));
  F32 a = GetF32(info, 1);
  std::vector<int64_t> aShape = GetInts(info, 2);
  F32 b = GetF32(info, 3);
  std::vector<int64_t> bShape = GetInts(info, 4);
  F32 out = GetF32(info, 5);
  std::vector<int64_t> outShape = GetInts(info, 6);
  if (!a.ok || !b.ok || !out.ok) return env.Undefined();
  int64_t aSize = 1, bSize = 1, outSize = 1;
  for (int64_t d : aShape) aSize *= d;
  for (int64_t d : bShape) bSize *= d;
  for (int64_t d : outShape) outSize *= d;
  if (aShape.size() > outShape.size() || bShape.size() > outShape.size()) {
    Fail(env, "binary: operand rank exceeds output rank");
    return env.Undefined();
  }
  if (!Fits(env, a, aSize) || !Fits(env, b, bSize) || !Fits(env, out, outSize)) {
    return env.Undefined();
  }
  if (outSize == 0) return env.Undefined();
  switch (op) {
    case kAdd: Broadcast<AddF>(a.data, aShape, b.data, bShape, out.data, outShape); break;
    case kSub: Broadcast<SubF>(a.data, aShape, b.data, bShape, out.data, outShape); break;
    case kMul: Broadcast<MulF>(a.data, aShape, b.data, bShape, out.data, outShape); break;
    case kDiv: Broadcast<DivF>(a.data, aShape, b.data, bShape, out.data, outShape); break;
    case kMaximum: Broadcast<MaxF>(a.data, aShape, b.data, bShape, out.data, outShape); break;
    case kMinimum: Broadcast<MinF>(a.data, aShape, b.data, bShape, out.data, outShape); break;
    case kSquaredDifference:
      Broadcast<SqDiffF>(a.data, aShape, b.data, bShape, out.data, outShape);
      break;
    default: Fail(env, "binary: unknown op");
  }
  return env.Undefined();
}

// Shared argument checks of binary() and compare(): operand ranks and sizes against the output.
static bool CheckBroadcast(const Napi::Env& env, const F32& a, const std::vector<int64_t>& aShape,
                           const F32& b, const std::vector<int64_t>& bShape, size_t outLength,
                           const std::vector<int64_t>& outShape, int64_t* outSize) {
  int64_t aSize = 1, bSize = 1;
  *outSize = 1;
  for (int64_t d : aShape) aSize *= d;
  for (int64_t d : bShape) bSize *= d;
  for (int64_t d : outShape) *outSize *= d;
  if (aShape.size() > outShape.size() || bShape.size() > outShape.size())
    return Fail(env, "compare: operand rank exceeds output rank");
  if (!Fits(env, a, aSize) || !Fits(env, b, bSize)) return false;
  if (static_cast<uint64_t>(*outSize) > outLength)
    return Fail(env, "typed array too small for the given shape");
  return true;
}

// compare(op, a, aShape, b, bShape, out: Uint8Array, outShape): out = a <op> b as 1 / 0.
static Napi::Value Compare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(GetInt(info, 0));
  F32 a = GetF32(info, 1);
  std::vector<int64_t> aShape = GetInts(info, 2);
  F32 b = GetF32(info, 3);
  std::vector<int64_t> bShape = GetInts(info, 4);
  if (!a.ok || !b.ok) return env.Undefined();
  if (!info[5].IsTypedArray() ||
      info[5].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Fail(env, "compare: expected a Uint8Array output");
    return env.Undefined();
  }
  Napi::Uint8Array outArray = info[5].As<Napi::Uint8Array>();
  std::vector<int64_t> outShape = GetInts(info, 6);
  int64_t outSize = 0;
  if (!CheckBroadcast(env, a, aShape, b, bShape, outArray.ElementLength(), outShape, &outSize))
    return env.Undefined();
  if (outSize == 0) return env.Undefined();
  uint8_t* out = outArray.Data();
  switch (op) {
    case kEqual: Broadcast<EqualF>(a.data, aShape, b.data, bShape, out, outShape); break;
    case kNotEqual: Broadcast<NotEqualF>(a.data, aShape, b.data, bShape, out, outShape); break;
    case kLess: Broadcast<LessF>(a.data, aShape, b.data, bShape, out, outShape); break;
    case kLessEqual: Broadcast<LessEqualF>(a.data, aShape, b.data, bShape, out, outShape); break;
    case kGreater: Broadcast<GreaterF>(a.data, aShape, b.data, bShape, out, outShape); break;
    case kGreaterEqual:
      Broadcast<GreaterEqualF>(a.data, aShape, b.data, bShape, out, outShape);
      break;
    default: Fail(env, "compare: unknown op");
  }
  return env.Undefined();
}

// unary(op, x, out, alpha); out may alias x.
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(GetInt(info, 0));
  F32 x = GetF32(info, 1), out = GetF32(info, 2);
  if (!x.ok || !out.ok) return env.Undefined();
  const double alpha = GetDouble(info, 3);
  const int64_t n = static_cast<int64_t>(x.length);
  if (!Fits(env, out, n)) return env.Undefined();
  const float* s = x.data;
  float* o = out.data;
  switch (op) {
    case kURelu:  // Math.max(0, x): NaN stays NaN
      for (int64_t i = 0; i < n; ++i) {
        const float v = s[i];
        o[i] = v > 0.f ? v : (v == v ? 0.f : v);
      }
      break;
    case kUExp: for (int64_t i = 0; i < n; ++i) o[i] = std::exp(s[i]); break;
    case kULog: for (int64_t i = 0; i < n; ++i) o[i] = std::log(s[i]); break;
    case kUSqrt: for (int64_t i = 0; i < n; ++i) o[i] = std::sqrt(s[i]); break;
    case kUSquare: for (int64_t i = 0; i < n; ++i) o[i] = s[i] * s[i]; break;
    case kUNeg: for (int64_t i = 0; i < n; ++i) o[i] = -s[i]; break;
    case kUStep: {  // x > 0 ? 1 : alpha, NaN stays NaN
      const float a = static_cast<float>(alpha);
      for (int64_t i = 0; i < n; ++i) {
        const float v = s[i];
        const float r = v > 0.f ? 1.f : a;
        o[i] = v == v ? r : v;
      }
      break;
    }
    case kUSigmoid:
      for (int64_t i = 0; i < n; ++i) o[i] = 1.f / (1.f + std::exp(-s[i]));
      break;
    case kUTanh: for (int64_t i = 0; i < n; ++i) o[i] = std::tanh(s[i]); break;
    case kUAbs: for (int64_t i = 0; i < n; ++i) o[i] = std::fabs(s[i]); break;
    case kUReciprocal: for (int64_t i = 0; i < n; ++i) o[i] = 1.f / s[i]; break;
    case kURsqrt: for (int64_t i = 0; i < n; ++i) o[i] = 1.f / std::sqrt(s[i]); break;
    case kURelu6:
      if (o != s) std::copy(s, s + n, o);
      ApplyActivation(o, n, kRelu6, alpha);
      break;
    case kULeakyRelu:
      if (o != s) std::copy(s, s + n, o);
      ApplyActivation(o, n, kLeakyRelu, alpha);
      break;
    case kUElu:
      if (o != s) std::copy(s, s + n, o);
      ApplyActivation(o, n, kElu, alpha);
      break;
    default: Fail(env, "unary: unknown op");
  }
  return env.Undefined();
}

void InitElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("compare", Napi::Function::New(env, Compare));
  exports.Set("unary", Napi::Function::New(env, Unary));
}

}  // namespace distillery
