// Batched matrix multiply on OpenBLAS sgemm (BatchMatMul, _FusedMatMul) plus the bias/activation
// epilogue shared with conv, and an sgemm timing loop used by the benchmark as a ceiling.
// Batch broadcasting mirrors the cpu backend: batch index bi reads a[bi % batchA], b[bi % batchB].
#include <cblas.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"

namespace distillery {

void AddBias(float* out, int64_t rows, int64_t cols, const float* bias, int64_t biasLength) {
  if (biasLength == 1) {
    const float b = bias[0];
    for (int64_t i = 0; i < rows * cols; ++i) out[i] += b;
    return;
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] += bias[c];
  }
}

void ApplyActivation(float* x, int64_t n, int activation, double alpha) {
  switch (activation) {
    case kRelu:  // Math.max(0, x): NaN stays NaN
      for (int64_t i = 0; i < n; ++i) x[i] = (x[i] > 0.f || x[i] != x[i]) ? x[i] : 0.f;
      break;
    case kRelu6:
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = v != v ? v : (v > 6.f ? 6.f : (v > 0.f ? v : 0.f));
      }
      break;
    case kElu:  // x >= 0 ? x : exp(x) - 1, in double like the cpu kernel
      for (int64_t i = 0; i < n; ++i) {
        if (!(x[i] >= 0.f) && x[i] == x[i]) x[i] = static_cast<float>(std::exp(double(x[i])) - 1.0);
      }
      break;
    case kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] < 0.f ? static_cast<float>(alpha * x[i]) : x[i];
      break;
    case kSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = 1.f / (1.f + std::exp(-x[i]));
      break;
    default:  // linear
      break;
  }
}

// 8 floats as one value (GCC/Clang vector extension: an AVX register here, two SSE ones elsewhere).
typedef float Float8 __attribute__((vector_size(32)));

static inline Float8 Load8(const float* p) {
  Float8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void SmallKRow(const float* a, int64_t k, const float* b, int64_t ldb, int64_t n, float* c) {
  int64_t j0 = 0;
  for (; j0 + 8 <= n; j0 += 8) {  // 8 columns stay in a register across the k loop
    Float8 acc = a[0] * Load8(b + j0);
    for (int64_t p = 1; p < k; ++p) acc += a[p] * Load8(b + p * ldb + j0);
    std::memcpy(c + j0, &acc, sizeof acc);
  }
  for (int64_t j = j0; j < n; ++j) {
    float acc = a[0] * b[j];
    for (int64_t p = 1; p < k; ++p) acc += a[p] * b[p * ldb + j];
    c[j] = acc;
  }
}

static void SmallKGemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                       const float* b, int64_t ldb, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) SmallKRow(a + i * lda, k, b, ldb, n, c + i * ldc);
}

static constexpr int64_t kSmallK = 16;

void Sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, sizeof(float) * n);
    return;
  }
  if (!transA && !transB && k <= kSmallK) {
    SmallKGemm(m, n, k, a, lda, b, ldb, c, ldc);
    return;
  }
  // beta = 0: BLAS defines C as output only, so stale values in pooled buffers are never read.
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              m, n, k, 1.f, a, lda, b, ldb, 0.f, c, ldc);
}

// C[b] = op(A[b % batchA]) · op(B[b % batchB]); row-major, A is [M,K] (or [K,M] if transA),
// B is [K,N] (or [N,K] if transB), C is [M,N].
static void BatchedSgemm(const float* a, const float* b, float* c, int64_t batchA, int64_t batchB,
                         int64_t batch, int64_t m, int64_t n, int64_t k, bool transA,
                         bool transB) {
  if (m == 0 || n == 0) return;
  const int64_t lda = transA ? m : k;
  const int64_t ldb = transB ? k : n;
  for (int64_t bi = 0; bi < batch; ++bi) {
    const float* ab = a + (bi % batchA) * m * k;
    const float* bb = b + (bi % batchB) * k * n;
    float* cb = c + bi * m * n;
    if (m == 1 && !transA && k > 0) {
      // [1,K]·B as a gemv: sgemm with M=1 takes a slower path in OpenBLAS. y is cleared first:
      // OpenBLAS applies beta through ?scal, which some versions evaluate as 0 * y (NaN stays).
      std::memset(cb, 0, sizeof(float) * n);
      cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, transB ? n : k,
                  transB ? k : n, 1.f, bb, ldb, ab, 1, 0.f, cb, 1);
    } else {
      Sgemm(transA, transB, m, n, k, ab, lda, bb, ldb, cb, n);
    }
  }
}

// matMul(a, b, out, batchA, batchB, batch, m, n, k, transA, transB,
//        bias|null, biasLength, activation, alpha)
static Napi::Value MatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 a = GetF32(info, 0), b = GetF32(info, 1), c = GetF32(info, 2);
  if (!a.ok || !b.ok || !c.ok) return env.Undefined();
  const int64_t batchA = GetInt(info, 3), batchB = GetInt(info, 4), batch = GetInt(info, 5);
  const int64_t m = GetInt(info, 6), n = GetInt(info, 7), k = GetInt(info, 8);
  const bool transA = GetBool(info, 9), transB = GetBool(info, 10);
  F32 bias = GetOptionalF32(info, 11);
  if (!bias.ok) return env.Undefined();
  const int64_t biasLength = GetInt(info, 12);
  const int activation = static_cast<int>(GetInt(info, 13));
  const double alpha = GetDouble(info, 14);
  if (batchA <= 0 || batchB <= 0 || batch < 0) {
    Fail(env, "matMul: bad batch sizes");
    return env.Undefined();
  }
  if (!Fits(env, a, batchA * m * k) || !Fits(env, b, batchB * k * n) ||
      !Fits(env, c, batch * m * n) || (bias.data && !Fits(env, bias, biasLength))) {
    return env.Undefined();
  }
  BatchedSgemm(a.data, b.data, c.data, batchA, batchB, batch, m, n, k, transA, transB);
  if (bias.data && biasLength > 0) AddBias(c.data, batch * m, n, bias.data, biasLength);
  ApplyActivation(c.data, batch * m * n, activation, alpha);
  return env.Undefined();
}

// sgemmGflops(m, n, k, transA, transB, reps) -> GFLOP/s of plain cblas_sgemm on these shapes:
// the ceiling the benchmark compares whole training steps against.
static Napi::Value SgemmGflops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t m = GetInt(info, 0), n = GetInt(info, 1), k = GetInt(info, 2);
  const bool transA = GetBool(info, 3), transB = GetBool(info, 4);
  const int64_t reps = GetInt(info, 5);
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  BatchedSgemm(a.data(), b.data(), c.data(), 1, 1, 1, m, n, k, transA, transB);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (int64_t r = 0; r < reps; ++r) {
    BatchedSgemm(a.data(), b.data(), c.data(), 1, 1, 1, m, n, k, transA, transB);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Napi::Number::New(env, 2.0 * m * n * k * reps / seconds / 1e9);
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  openblas_set_num_threads(static_cast<int>(GetInt(info, 0)));
  return info.Env().Undefined();
}

static Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}

// "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen MAX_THREADS=64": for benchmark reports.
static Napi::Value BlasConfig(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::string(openblas_get_config()) + " core=" +
                                           openblas_get_corename());
}

void InitMatMul(Napi::Env env, Napi::Object exports) {
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("sgemmGflops", Napi::Function::New(env, SgemmGflops));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("blasConfig", Napi::Function::New(env, BlasConfig));
}

}  // namespace distillery
