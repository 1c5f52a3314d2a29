// Float32 reductions over a [outer, reduce, inner] view (Sum, Mean, Max), row softmax, and an
// N-d transpose. Sums accumulate in double like the cpu backend's JS loops, so results match it to
// the last bit or nearly; Mean divides each element first (x / n, then sum), as the cpu kernel does.
// Leaves out: Min/Prod/All/Any and non-float dtypes (TypeScript falls back to cpu).
#include <cmath>
#include <vector>

#include "common.h"

namespace distillery {

enum ReduceOp { kSum = 0, kMean = 1, kMax = 2 };

// out[o, i] = reduce_r x[o, r, i]
static void ReduceView(int op, const float* x, float* out, int64_t outer, int64_t r,
                       int64_t inner) {
  const float n = static_cast<float>(r);
  if (op == kMax) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* xo = x + o * r * inner;
      float* oo = out + o * inner;
      if (r == 0) {  // the cpu kernel reads past the end (undefined) and stores NaN
        for (int64_t i = 0; i < inner; ++i) oo[i] = NAN;
        continue;
      }
      for (int64_t i = 0; i < inner; ++i) oo[i] = xo[i];
      for (int64_t j = 1; j < r; ++j) {
        const float* row = xo + j * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const float v = row[i];
          if (v != v || v > oo[i]) oo[i] = v;  // a NaN anywhere wins, as in the cpu kernel
        }
      }
    }
    return;
  }
  const bool mean = op == kMean;
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* xo = x + o * r;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t j = 0;
      if (mean) {
        for (; j + 4 <= r; j += 4) {
          s0 += xo[j] / n;
          s1 += xo[j + 1] / n;
          s2 += xo[j + 2] / n;
          s3 += xo[j + 3] / n;
        }
        for (; j < r; ++j) s0 += xo[j] / n;
      } else {
        for (; j + 4 <= r; j += 4) {
          s0 += xo[j];
          s1 += xo[j + 1];
          s2 += xo[j + 2];
          s3 += xo[j + 3];
        }
        for (; j < r; ++j) s0 += xo[j];
      }
      out[o] = static_cast<float>((s0 + s1) + (s2 + s3));
    }
    return;
  }
  std::vector<double> acc(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * r * inner;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t j = 0; j < r; ++j) {
      const float* row = xo + j * inner;
      if (mean) {
        for (int64_t i = 0; i < inner; ++i) acc[i] += row[i] / n;
      } else {
        for (int64_t i = 0; i < inner; ++i) acc[i] += row[i];
      }
    }
    for (int64_t i = 0; i < inner; ++i) out[o * inner + i] = static_cast<float>(acc[i]);
  }
}

// reduce(op, x, out, outer, r, inner)
static Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(GetInt(info, 0));
  F32 x = GetF32(info, 1), out = GetF32(info, 2);
  if (!x.ok || !out.ok) return env.Undefined();
  const int64_t outer = GetInt(info, 3), r = GetInt(info, 4), inner = GetInt(info, 5);
  if (!Fits(env, x, outer * r * inner) || !Fits(env, out, outer * inner)) return env.Undefined();
  ReduceView(op, x.data, out.data, outer, r, inner);
  return env.Undefined();
}

// softmax(x, out, rows, cols): per row, exp(x - max) / sum, each step rounded to float32 like the
// cpu kernel's chain of Max, Sub, Exp, Sum, RealDiv.
static Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0), out = GetF32(info, 1);
  if (!x.ok || !out.ok) return env.Undefined();
  const int64_t rows = GetInt(info, 2), cols = GetInt(info, 3);
  if (!Fits(env, x, rows * cols) || !Fits(env, out, rows * cols)) return env.Undefined();
  for (int64_t row = 0; row < rows; ++row) {
    const float* xr = x.data + row * cols;
    float* orow = out.data + row * cols;
    float max = cols > 0 ? xr[0] : NAN;
    for (int64_t j = 0; j < cols; ++j) {
      if (xr[j] != xr[j] || xr[j] > max) max = xr[j];
    }
    double sum = 0;
    for (int64_t j = 0; j < cols; ++j) {
      orow[j] = std::exp(xr[j] - max);
      sum += orow[j];
    }
    const float s = static_cast<float>(sum);
    for (int64_t j = 0; j < cols; ++j) orow[j] = orow[j] / s;
  }
  return env.Undefined();
}

// transpose(x, shape, perm, out): out has shape[perm[i]] along dim i. 4-byte elements.
static Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0);
  std::vector<int64_t> shape = GetInts(info, 1), perm = GetInts(info, 2);
  F32 out = GetF32(info, 3);
  if (!x.ok || !out.ok) return env.Undefined();
  const size_t rank = shape.size();
  if (perm.size() != rank) {
    Fail(env, "transpose: perm length differs from rank");
    return env.Undefined();
  }
  int64_t size = 1;
  for (int64_t d : shape) size *= d;
  if (!Fits(env, x, size) || !Fits(env, out, size)) return env.Undefined();
  if (size == 0) return env.Undefined();
  std::vector<int64_t> inStride(rank);
  for (int64_t d = static_cast<int64_t>(rank) - 1, s = 1; d >= 0; --d) {
    inStride[d] = s;
    s *= shape[d];
  }
  // Output dims with their input strides; size-1 dims dropped, and runs that are contiguous in
  // both layouts merged.
  std::vector<int64_t> dims, strides;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t n = shape[perm[i]], st = inStride[perm[i]];
    if (n == 1) continue;
    if (!dims.empty() && strides.back() == st * n) {
      dims.back() *= n;
      strides.back() = st;
      continue;
    }
    dims.push_back(n);
    strides.push_back(st);
  }
  const float* s = x.data;
  float* o = out.data;
  if (dims.size() <= 1) {  // identity layout
    std::copy(s, s + size, o);
    return env.Undefined();
  }
  if (dims.size() == 2 && strides[0] == 1) {
    // Plain 2-D transpose: out[i, j] = x[j, i], in cache blocks.
    const int64_t rowsOut = dims[0], colsOut = dims[1], ld = strides[1];
    const int64_t block = 32;
    for (int64_t i0 = 0; i0 < rowsOut; i0 += block) {
      for (int64_t j0 = 0; j0 < colsOut; j0 += block) {
        const int64_t i1 = std::min(i0 + block, rowsOut), j1 = std::min(j0 + block, colsOut);
        for (int64_t i = i0; i < i1; ++i) {
          for (int64_t j = j0; j < j1; ++j) o[i * colsOut + j] = s[j * ld + i];
        }
      }
    }
    return env.Undefined();
  }
  const size_t r = dims.size();
  const int64_t n = dims[r - 1], st = strides[r - 1];
  int64_t outer = size / n;
  std::vector<int64_t> idx(r, 0);
  int64_t off = 0;
  for (int64_t q = 0; q < outer; ++q) {
    float* orow = o + q * n;
    if (st == 1) {
      std::copy(s + off, s + off + n, orow);
    } else {
      for (int64_t j = 0; j < n; ++j) orow[j] = s[off + j * st];
    }
    for (int64_t d = static_cast<int64_t>(r) - 2; d >= 0; --d) {
      if (++idx[d] < dims[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (dims[d] - 1);
      idx[d] = 0;
    }
  }
  return env.Undefined();
}

void InitReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
}

}  // namespace distillery
