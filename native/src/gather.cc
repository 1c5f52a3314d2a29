// Float32 gather (GatherV2, the forward of every embedding) and its gradient's scatter-add
// (UnsortedSegmentSum): row copies and row sums instead of the cpu backend's per-element index
// arithmetic (gather) and per-segment passes over the whole input (segment sum).
// Gather checks every index first and reports the first one out of range; TypeScript throws the
// cpu kernel's error for it.
#include <cstring>

#include "common.h"

namespace distillery {

// An Int32Array argument; `ok` false (JS exception pending) otherwise.
struct I32 {
  const int32_t* data = nullptr;
  size_t length = 0;
  bool ok = false;
};

static I32 GetI32(const Napi::CallbackInfo& info, size_t index) {
  I32 out;
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Fail(info.Env(), "expected an Int32Array argument");
    return out;
  }
  Napi::Int32Array array = v.As<Napi::Int32Array>();
  out.data = array.Data();
  out.length = array.ElementLength();
  out.ok = true;
  return out;
}

// gather(x, indices, out, batch, outer, dimSize, sliceSize) -> -1, or the position of the first
// index outside [0, dimSize) (nothing is written then; the caller throws the cpu kernel's error).
// x is viewed as [batch, outer, dimSize, slice], indices as [batch, n] (n = length / batch):
// out[b, o, i, :] = x[b, o, indices[b, i], :].
static Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0);
  I32 indices = GetI32(info, 1);
  F32 out = GetF32(info, 2);
  if (!x.ok || !indices.ok || !out.ok) return env.Undefined();
  const int64_t batch = GetInt(info, 3), outer = GetInt(info, 4), dim = GetInt(info, 5),
                slice = GetInt(info, 6);
  const int64_t total = static_cast<int64_t>(indices.length);
  for (int64_t i = 0; i < total; ++i) {
    if (indices.data[i] < 0 || indices.data[i] >= dim) return Napi::Number::New(env, double(i));
  }
  if (batch <= 0) return Napi::Number::New(env, -1);
  const int64_t n = total / batch;
  if (!Fits(env, x, batch * outer * dim * slice) || !Fits(env, out, batch * outer * n * slice))
    return env.Undefined();
  for (int64_t b = 0; b < batch; ++b) {
    const int32_t* ids = indices.data + b * n;
    for (int64_t o = 0; o < outer; ++o) {
      const float* src = x.data + (b * outer + o) * dim * slice;
      float* dst = out.data + (b * outer + o) * n * slice;
      if (slice >= 16) {
        for (int64_t i = 0; i < n; ++i)
          std::memcpy(dst + i * slice, src + ids[i] * slice, size_t(slice) * sizeof(float));
      } else {  // short rows (a 3-dim embedding): a plain loop beats a memcpy call per row
        for (int64_t i = 0; i < n; ++i) {
          const float* row = src + ids[i] * slice;
          for (int64_t k = 0; k < slice; ++k) dst[i * slice + k] = row[k];
        }
      }
    }
  }
  return Napi::Number::New(env, -1);
}

// segmentSum(x, segmentIds, out, numSegments, inner): out[s, :] = sum of x[i, :] over the i with
// segmentIds[i] == s, in index order, float32 accumulation; ids outside [0, numSegments) are
// dropped (as TensorFlow and the cpu kernel do). out is fully written.
static Napi::Value SegmentSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0);
  I32 ids = GetI32(info, 1);
  F32 out = GetF32(info, 2);
  if (!x.ok || !ids.ok || !out.ok) return env.Undefined();
  const int64_t segments = GetInt(info, 3), inner = GetInt(info, 4);
  const int64_t n = static_cast<int64_t>(ids.length);
  if (!Fits(env, x, n * inner) || !Fits(env, out, segments * inner)) return env.Undefined();
  std::memset(out.data, 0, static_cast<size_t>(segments * inner) * sizeof(float));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = ids.data[i];
    if (s < 0 || s >= segments) continue;
    const float* from = x.data + i * inner;
    float* to = out.data + s * inner;
    for (int64_t k = 0; k < inner; ++k) to[k] += from[k];
  }
  return env.Undefined();
}

void InitGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("segmentSum", Napi::Function::New(env, SegmentSum));
}

}  // namespace distillery
