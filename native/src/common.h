// Shared helpers for the addon: argument unpacking with bounds checks and the registration hooks
// each kernel family file provides. No tensor logic lives here.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

namespace distillery {

// Throws a JS TypeError/RangeError and returns false; callers return env.Undefined() on false.
inline bool Fail(const Napi::Env& env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

// A Float32Array argument with its element count; `ok` is false (and a JS exception is pending)
// when the argument is not a Float32Array.
struct F32 {
  float* data = nullptr;
  size_t length = 0;
  bool ok = false;
};

inline F32 GetF32(const Napi::CallbackInfo& info, size_t index) {
  F32 out;
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Fail(info.Env(), "expected a Float32Array argument");
    return out;
  }
  Napi::Float32Array array = v.As<Napi::Float32Array>();
  out.data = array.Data();
  out.length = array.ElementLength();
  out.ok = true;
  return out;
}

// Like GetF32 but null/undefined is allowed and yields {nullptr, 0, ok=true}.
inline F32 GetOptionalF32(const Napi::CallbackInfo& info, size_t index) {
  if (info[index].IsNull() || info[index].IsUndefined()) {
    F32 none;
    none.ok = true;
    return none;
  }
  return GetF32(info, index);
}

inline int64_t GetInt(const Napi::CallbackInfo& info, size_t index) {
  return info[index].As<Napi::Number>().Int64Value();
}

inline float GetFloat(const Napi::CallbackInfo& info, size_t index) {
  return info[index].As<Napi::Number>().FloatValue();
}

inline double GetDouble(const Napi::CallbackInfo& info, size_t index) {
  return info[index].As<Napi::Number>().DoubleValue();
}

inline bool GetBool(const Napi::CallbackInfo& info, size_t index) {
  return info[index].ToBoolean().Value();
}

// A JS number[] (shape, perm) as int64s.
inline std::vector<int64_t> GetInts(const Napi::CallbackInfo& info, size_t index) {
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    out[i] = array.Get(i).As<Napi::Number>().Int64Value();
  }
  return out;
}

// Bounds check: `need` elements must fit in `array`.
inline bool Fits(const Napi::Env& env, const F32& array, int64_t need) {
  if (need < 0 || static_cast<uint64_t>(need) > array.length) {
    return Fail(env, "typed array too small for the given shape");
  }
  return true;
}

// In-place activation applied after matmul / conv (the `activation` attr of fused kernels).
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kLeakyRelu = 4, kSigmoid = 5 };
// alpha is a double: the cpu kernel multiplies by the JS number, then rounds once.
void ApplyActivation(float* x, int64_t n, int activation, double alpha);
// out[r, c] += bias[c % biasLength] over rows x cols (bias broadcast along the last dimension).
void AddBias(float* out, int64_t rows, int64_t cols, const float* bias, int64_t biasLength);

// Row-major C[m,n] = op(A)·op(B) (beta = 0, C fully written): cblas_sgemm, except for a tiny inner
// dimension without transposes (e.g. a first conv layer, k = 3·3·1), where OpenBLAS' packing
// dominates and a direct loop is several times faster.
void Sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc);

// c[0..n) = a[0..k) · B[k, n] (row stride ldb) for a small k, register-blocked along n.
void SmallKRow(const float* a, int64_t k, const float* b, int64_t ldb, int64_t n, float* c);

// Each kernel family file registers its exports.
void InitMatMul(Napi::Env env, Napi::Object exports);
void InitElementwise(Napi::Env env, Napi::Object exports);
void InitReduce(Napi::Env env, Napi::Object exports);
void InitOptimizer(Napi::Env env, Napi::Object exports);
void InitConv(Napi::Env env, Napi::Object exports);
void InitGather(Napi::Env env, Napi::Object exports);

}  // namespace distillery
