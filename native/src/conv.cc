// 2-D convolution (forward, input gradient, filter gradient) as im2col + OpenBLAS sgemm, and
// max/average pooling with their gradients, all NHWC float32. Batches are processed in chunks so
// the im2col matrix stays within a fixed scratch budget; 1x1 stride-1 unpadded convolutions skip
// im2col. Pooling follows the cpu kernels: max ignores NaN, the first maximum takes the gradient,
// average divides by the number of in-bounds pixels forward but by the window size backward.
// Leaves out: NCHW, depthwise, 3-D (the TypeScript side falls back to the cpu kernels).
#include <cblas.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common.h"

namespace distillery {

struct Geometry {
  int64_t batch, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padTop,
      padLeft;
};

static Geometry GetGeometry(const Napi::CallbackInfo& info, size_t index) {
  Napi::Object o = info[index].As<Napi::Object>();
  auto get = [&](const char* key) { return o.Get(key).As<Napi::Number>().Int64Value(); };
  return {get("batch"),        get("inHeight"),     get("inWidth"),       get("inChannels"),
          get("outHeight"),    get("outWidth"),     get("outChannels"),   get("filterHeight"),
          get("filterWidth"),  get("strideHeight"), get("strideWidth"),   get("dilationHeight"),
          get("dilationWidth"), get("padTop"),      get("padLeft")};
}

// One scratch buffer reused across calls (JS calls in are single-threaded): a fresh allocation per
// call would page-fault on every use.
static float* Scratch(size_t floats) {
  static std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

static constexpr int64_t kScratchFloats = 4 << 20;  // 16 MiB of im2col rows per chunk

static bool IsPointwise(const Geometry& g) {
  return g.fH == 1 && g.fW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
         g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
}

// Images per chunk so that chunk * outH * outW rows of k floats fit the scratch budget.
static int64_t ImagesPerChunk(const Geometry& g, int64_t k) {
  const int64_t perImage = std::max<int64_t>(1, g.outH * g.outW * k);
  return std::max<int64_t>(1, std::min<int64_t>(g.batch, kScratchFloats / perImage));
}

// col[(b*outH + oh)*outW + ow, (fh*fW + fw)*inC + c] = x[b0 + b, ih, iw, c] (0 outside x).
static void Im2Col(const float* x, const Geometry& g, int64_t b0, int64_t nb, float* col) {
  const int64_t k = g.fH * g.fW * g.inC;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + (b0 + b) * g.inH * g.inW * g.inC;
    for (int64_t oh = 0; oh < g.outH; ++oh) {
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        float* row = col + ((b * g.outH + oh) * g.outW + ow) * k;
        for (int64_t fh = 0; fh < g.fH; ++fh) {
          const int64_t ih = oh * g.strideH - g.padTop + fh * g.dilH;
          float* dst = row + fh * g.fW * g.inC;
          if (ih < 0 || ih >= g.inH) {
            std::memset(dst, 0, sizeof(float) * g.fW * g.inC);
            continue;
          }
          const int64_t iw0 = ow * g.strideW - g.padLeft;
          if (g.dilW == 1 && iw0 >= 0 && iw0 + g.fW <= g.inW) {
            // The whole filter row is inside x: one contiguous run of fW * inC floats (NHWC).
            std::memcpy(dst, xb + (ih * g.inW + iw0) * g.inC, sizeof(float) * g.fW * g.inC);
            continue;
          }
          for (int64_t fw = 0; fw < g.fW; ++fw) {
            const int64_t iw = ow * g.strideW - g.padLeft + fw * g.dilW;
            if (iw < 0 || iw >= g.inW) {
              std::memset(dst + fw * g.inC, 0, sizeof(float) * g.inC);
            } else {
              std::memcpy(dst + fw * g.inC, xb + (ih * g.inW + iw) * g.inC, sizeof(float) * g.inC);
            }
          }
        }
      }
    }
  }
}

// dx[b0 + b, ih, iw, c] += col[row, (fh*fW + fw)*inC + c]: the adjoint of Im2Col.
static void Col2ImAdd(const float* col, const Geometry& g, int64_t b0, int64_t nb, float* dx) {
  const int64_t k = g.fH * g.fW * g.inC;
  for (int64_t b = 0; b < nb; ++b) {
    float* dxb = dx + (b0 + b) * g.inH * g.inW * g.inC;
    for (int64_t oh = 0; oh < g.outH; ++oh) {
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        const float* row = col + ((b * g.outH + oh) * g.outW + ow) * k;
        for (int64_t fh = 0; fh < g.fH; ++fh) {
          const int64_t ih = oh * g.strideH - g.padTop + fh * g.dilH;
          if (ih < 0 || ih >= g.inH) continue;
          const int64_t iw0 = ow * g.strideW - g.padLeft;
          if (g.dilW == 1 && iw0 >= 0 && iw0 + g.fW <= g.inW) {
            const float* src = row + fh * g.fW * g.inC;
            float* dst = dxb + (ih * g.inW + iw0) * g.inC;
            for (int64_t i = 0; i < g.fW * g.inC; ++i) dst[i] += src[i];
            continue;
          }
          for (int64_t fw = 0; fw < g.fW; ++fw) {
            const int64_t iw = ow * g.strideW - g.padLeft + fw * g.dilW;
            if (iw < 0 || iw >= g.inW) continue;
            const float* src = row + (fh * g.fW + fw) * g.inC;
            float* dst = dxb + (ih * g.inW + iw) * g.inC;
            for (int64_t c = 0; c < g.inC; ++c) dst[c] += src[c];
          }
        }
      }
    }
  }
}

// Convolution with a tiny patch (k = fH·fW·inC <= 16, e.g. a first layer on one channel): each
// output pixel's patch is gathered into registers-sized storage and multiplied directly, with no
// im2col matrix; sgemm is inefficient for such a thin inner dimension.
static constexpr int64_t kDirectMaxK = 16;

struct Epilogue {
  const float* bias;  // nullptr: none
  int64_t biasLength;
  int activation;
  double alpha;
};

// Bias and activation on rows x outC outputs that were just written (still in cache).
static void ApplyEpilogue(float* y, int64_t rows, int64_t outC, const Epilogue& e) {
  if (e.bias && e.biasLength > 0) AddBias(y, rows, outC, e.bias, e.biasLength);
  ApplyActivation(y, rows * outC, e.activation, e.alpha);
}

static void DirectSmallConv(const float* x, const float* filter, float* y, const Geometry& g,
                            const Epilogue& epilogue) {
  const int64_t k = g.fH * g.fW * g.inC;
  float patch[kDirectMaxK];
  for (int64_t b = 0; b < g.batch; ++b) {
    const float* xb = x + b * g.inH * g.inW * g.inC;
    for (int64_t oh = 0; oh < g.outH; ++oh) {
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        int64_t p = 0;
        const int64_t iw0 = ow * g.strideW - g.padLeft;
        const bool rowInside = g.dilW == 1 && iw0 >= 0 && iw0 + g.fW <= g.inW;
        for (int64_t fh = 0; fh < g.fH; ++fh) {
          const int64_t ih = oh * g.strideH - g.padTop + fh * g.dilH;
          if (rowInside && ih >= 0 && ih < g.inH) {  // fW * inC contiguous floats (NHWC)
            const float* src = xb + (ih * g.inW + iw0) * g.inC;
            for (int64_t i = 0; i < g.fW * g.inC; ++i) patch[p++] = src[i];
            continue;
          }
          for (int64_t fw = 0; fw < g.fW; ++fw) {
            const int64_t iw = ow * g.strideW - g.padLeft + fw * g.dilW;
            if (ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW) {
              const float* px = xb + (ih * g.inW + iw) * g.inC;
              for (int64_t c = 0; c < g.inC; ++c) patch[p++] = px[c];
            } else {
              for (int64_t c = 0; c < g.inC; ++c) patch[p++] = 0.f;
            }
          }
        }
        SmallKRow(patch, k, filter, g.outC, g.outC, y + ((b * g.outH + oh) * g.outW + ow) * g.outC);
      }
      ApplyEpilogue(y + (b * g.outH + oh) * g.outW * g.outC, g.outW, g.outC, epilogue);
    }
  }
}

static bool CheckSizes(const Napi::Env& env, const Geometry& g, const F32& x, const F32& filter,
                       const F32& y) {
  return Fits(env, x, g.batch * g.inH * g.inW * g.inC) &&
         Fits(env, filter, g.fH * g.fW * g.inC * g.outC) &&
         Fits(env, y, g.batch * g.outH * g.outW * g.outC);
}

// conv2d(x, filter, y, geometry, bias|null, biasLength, activation, alpha):
// y = act(conv(x, filter) + bias), bias repeating every biasLength (outC or 1) values
static Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0), filter = GetF32(info, 1), y = GetF32(info, 2);
  if (!x.ok || !filter.ok || !y.ok) return env.Undefined();
  const Geometry g = GetGeometry(info, 3);
  F32 bias = GetOptionalF32(info, 4);
  if (!bias.ok || !CheckSizes(env, g, x, filter, y)) return env.Undefined();
  const int64_t biasLength = GetInt(info, 5);
  if (bias.data && !Fits(env, bias, biasLength)) return env.Undefined();
  const int activation = static_cast<int>(GetInt(info, 6));
  const double alpha = GetDouble(info, 7);
  const int64_t k = g.fH * g.fW * g.inC;
  const int64_t pixels = g.outH * g.outW;
  const int64_t total = g.batch * pixels * g.outC;
  const Epilogue epilogue{bias.data && g.outC > 0 ? bias.data : nullptr, biasLength, activation,
                          alpha};
  if (total == 0) return env.Undefined();
  if (k == 0) {
    std::memset(y.data, 0, sizeof(float) * total);
    ApplyEpilogue(y.data, total / g.outC, g.outC, epilogue);
  } else if (k <= kDirectMaxK) {
    DirectSmallConv(x.data, filter.data, y.data, g, epilogue);
  } else {
    const bool pointwise = IsPointwise(g);
    const int64_t chunk = pointwise ? g.batch : ImagesPerChunk(g, k);
    for (int64_t b0 = 0; b0 < g.batch; b0 += chunk) {
      const int64_t nb = std::min(chunk, g.batch - b0);
      const float* col = x.data + b0 * g.inH * g.inW * g.inC;
      if (!pointwise) {
        float* scratch = Scratch(nb * pixels * k);
        Im2Col(x.data, g, b0, nb, scratch);
        col = scratch;
      }
      // [nb*pixels, k] · [k, outC] -> [nb*pixels, outC]
      float* yChunk = y.data + b0 * pixels * g.outC;
      Sgemm(false, false, nb * pixels, g.outC, k, col, k, filter.data, g.outC, yChunk, g.outC);
      ApplyEpilogue(yChunk, nb * pixels, g.outC, epilogue);
    }
  }
  return env.Undefined();
}

// conv2dBackpropInput(dy, filter, dx, geometry): dx = conv2d^T(dy) (geometry is the forward one)
static Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0), filter = GetF32(info, 1), dx = GetF32(info, 2);
  if (!dy.ok || !filter.ok || !dx.ok) return env.Undefined();
  const Geometry g = GetGeometry(info, 3);
  if (!CheckSizes(env, g, dx, filter, dy)) return env.Undefined();
  const int64_t k = g.fH * g.fW * g.inC;
  const int64_t pixels = g.outH * g.outW;
  std::memset(dx.data, 0, sizeof(float) * g.batch * g.inH * g.inW * g.inC);
  if (k == 0 || pixels == 0 || g.outC == 0) return env.Undefined();
  const bool pointwise = IsPointwise(g);
  const int64_t chunk = pointwise ? g.batch : ImagesPerChunk(g, k);
  for (int64_t b0 = 0; b0 < g.batch; b0 += chunk) {
    const int64_t nb = std::min(chunk, g.batch - b0);
    const float* dyChunk = dy.data + b0 * pixels * g.outC;
    // [nb*pixels, outC] · [k, outC]^T -> [nb*pixels, k]
    float* col = pointwise ? dx.data + b0 * g.inH * g.inW * g.inC : Scratch(nb * pixels * k);
    Sgemm(false, true, nb * pixels, k, g.outC, dyChunk, g.outC, filter.data, g.outC, col, k);
    if (!pointwise) Col2ImAdd(col, g, b0, nb, dx.data);
  }
  return env.Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geometry): dw = Σ_b im2col(x_b)^T · dy_b
static Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 x = GetF32(info, 0), dy = GetF32(info, 1), dw = GetF32(info, 2);
  if (!x.ok || !dy.ok || !dw.ok) return env.Undefined();
  const Geometry g = GetGeometry(info, 3);
  if (!CheckSizes(env, g, x, dw, dy)) return env.Undefined();
  const int64_t k = g.fH * g.fW * g.inC;
  const int64_t pixels = g.outH * g.outW;
  std::memset(dw.data, 0, sizeof(float) * k * g.outC);
  if (k == 0 || pixels == 0 || g.outC == 0) return env.Undefined();
  const bool pointwise = IsPointwise(g);
  const int64_t chunk = pointwise ? g.batch : ImagesPerChunk(g, k);
  for (int64_t b0 = 0; b0 < g.batch; b0 += chunk) {
    const int64_t nb = std::min(chunk, g.batch - b0);
    const float* col = x.data + b0 * g.inH * g.inW * g.inC;
    if (!pointwise) {
      float* scratch = Scratch(nb * pixels * k);
      Im2Col(x.data, g, b0, nb, scratch);
      col = scratch;
    }
    // [nb*pixels, k]^T · [nb*pixels, outC] -> [k, outC], accumulated over chunks
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, g.outC, nb * pixels, 1.f, col, k,
                dy.data + b0 * pixels * g.outC, g.outC, 1.f, dw.data, g.outC);
  }
  return env.Undefined();
}

// Visits the in-bounds input pixels of output window (oh, ow): fn(offset of pixel (ih, iw, 0)).
template <class Fn>
static void ForWindow(const Geometry& g, int64_t oh, int64_t ow, Fn fn) {
  const int64_t h0 = oh * g.strideH - g.padTop, w0 = ow * g.strideW - g.padLeft;
  for (int64_t fh = 0; fh < g.fH; ++fh) {
    const int64_t ih = h0 + fh * g.dilH;
    if (ih < 0 || ih >= g.inH) continue;
    for (int64_t fw = 0; fw < g.fW; ++fw) {
      const int64_t iw = w0 + fw * g.dilW;
      if (iw < 0 || iw >= g.inW) continue;
      fn((ih * g.inW + iw) * g.inC);
    }
  }
}

// pool(op, x, y, geometry): op 0 = max (NaN ignored, -Inf if nothing), 1 = average of in-bounds
static Napi::Value Pool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(GetInt(info, 0));
  F32 x = GetF32(info, 1), y = GetF32(info, 2);
  if (!x.ok || !y.ok) return env.Undefined();
  const Geometry g = GetGeometry(info, 3);
  const int64_t c = g.inC;
  if (!Fits(env, x, g.batch * g.inH * g.inW * c) || !Fits(env, y, g.batch * g.outH * g.outW * c)) {
    return env.Undefined();
  }
  std::vector<double> sum(c);
  for (int64_t b = 0; b < g.batch; ++b) {
    const float* xb = x.data + b * g.inH * g.inW * c;
    for (int64_t oh = 0; oh < g.outH; ++oh) {
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        float* out = y.data + ((b * g.outH + oh) * g.outW + ow) * c;
        if (op == 0) {
          for (int64_t d = 0; d < c; ++d) out[d] = -std::numeric_limits<float>::infinity();
          ForWindow(g, oh, ow, [&](int64_t off) {
            const float* px = xb + off;
            for (int64_t d = 0; d < c; ++d) out[d] = px[d] > out[d] ? px[d] : out[d];
          });
        } else {
          std::fill(sum.begin(), sum.end(), 0.0);
          int64_t count = 0;
          ForWindow(g, oh, ow, [&](int64_t off) {
            const float* px = xb + off;
            for (int64_t d = 0; d < c; ++d) sum[d] += px[d];
            ++count;
          });
          for (int64_t d = 0; d < c; ++d) out[d] = static_cast<float>(sum[d] / double(count));
        }
      }
    }
  }
  return env.Undefined();
}

// maxPoolGrad(dy, x, dx, geometry): each window's dy goes to its first maximal in-bounds pixel.
static Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0), x = GetF32(info, 1), dx = GetF32(info, 2);
  if (!dy.ok || !x.ok || !dx.ok) return env.Undefined();
  const Geometry g = GetGeometry(info, 3);
  const int64_t c = g.inC;
  const int64_t imageSize = g.inH * g.inW * c;
  if (!Fits(env, x, g.batch * imageSize) || !Fits(env, dx, g.batch * imageSize) ||
      !Fits(env, dy, g.batch * g.outH * g.outW * c)) {
    return env.Undefined();
  }
  // Windows that cannot overlap give each pixel at most one contribution: write it directly.
  // Overlapping ones sum in double, in window order, like the cpu kernel.
  const bool overlap = g.strideH < g.fH || g.strideW < g.fW;
  std::vector<double> acc(overlap ? imageSize : 0);
  std::vector<float> best(c);
  std::vector<int32_t> where(c);  // offsets within one image; int32 so the loop vectorizes
  for (int64_t b = 0; b < g.batch; ++b) {
    const float* xb = x.data + b * imageSize;
    float* dxb = dx.data + b * imageSize;
    if (overlap) {
      std::fill(acc.begin(), acc.end(), 0.0);
    } else {
      std::memset(dxb, 0, sizeof(float) * imageSize);
    }
    for (int64_t oh = 0; oh < g.outH; ++oh) {
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
        std::fill(where.begin(), where.end(), -1);
        float* bestData = best.data();
        int32_t* whereData = where.data();
        ForWindow(g, oh, ow, [&](int64_t off) {
          const float* px = xb + off;
          const int32_t base = static_cast<int32_t>(off);
          for (int32_t d = 0; d < static_cast<int32_t>(c); ++d) {
            const bool greater = px[d] > bestData[d];  // strict: the first maximum wins
            bestData[d] = greater ? px[d] : bestData[d];
            whereData[d] = greater ? base + d : whereData[d];
          }
        });
        const float* dyw = dy.data + ((b * g.outH + oh) * g.outW + ow) * c;
        for (int64_t d = 0; d < c; ++d) {
          if (where[d] < 0) continue;
          if (overlap) {
            acc[where[d]] += dyw[d];
          } else {
            dxb[where[d]] = dyw[d];
          }
        }
      }
    }
    if (overlap) {
      for (int64_t i = 0; i < imageSize; ++i) dxb[i] = static_cast<float>(acc[i]);
    }
  }
  return env.Undefined();
}

// avgPoolGrad(dy, dx, geometry): dx = Σ over windows covering the pixel of dy, / (fH * fW)
static Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 dy = GetF32(info, 0), dx = GetF32(info, 1);
  if (!dy.ok || !dx.ok) return env.Undefined();
  const Geometry g = GetGeometry(info, 2);
  const int64_t c = g.inC;
  const int64_t imageSize = g.inH * g.inW * c;
  if (!Fits(env, dx, g.batch * imageSize) || !Fits(env, dy, g.batch * g.outH * g.outW * c)) {
    return env.Undefined();
  }
  const double scale = 1.0 / double(g.fH * g.fW);
  std::vector<double> acc(imageSize);
  for (int64_t b = 0; b < g.batch; ++b) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t oh = 0; oh < g.outH; ++oh) {
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        const float* dyw = dy.data + ((b * g.outH + oh) * g.outW + ow) * c;
        ForWindow(g, oh, ow, [&](int64_t off) {
          for (int64_t d = 0; d < c; ++d) acc[off + d] += dyw[d];
        });
      }
    }
    float* dxb = dx.data + b * imageSize;
    for (int64_t i = 0; i < imageSize; ++i) dxb[i] = static_cast<float>(acc[i] * scale);
  }
  return env.Undefined();
}

void InitConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2D));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter));
  exports.Set("pool", Napi::Function::New(env, Pool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
}

}  // namespace distillery
