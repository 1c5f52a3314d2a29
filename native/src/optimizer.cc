// Fused optimizer updates: one pass per variable instead of ~15 tensor ops. The arithmetic is the
// tfjs AdamOptimizer / MomentumOptimizer sequence with each tfjs op's float32 rounding preserved
// (built with -ffp-contract=off), so results match tf.train.adam / tf.train.momentum bit for bit
// on the cpu backend. AdamW (Loshchilov & Hutter 2019) is Adam applied to the decayed value
// x·(1 − lr·wd), the same float32 sequence as FusedAdamWOptimizer's tfjs reference. Leaves out: the
// other tfjs optimizers.
#include <cmath>

#include "common.h"

namespace distillery {

// adam(value, m, v, grad, newValue, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//      oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negLearningRate)
// m and v are updated in place; newValue may alias value. All scalars are float32 already.
static Napi::Value Adam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 value = GetF32(info, 0), m = GetF32(info, 1), v = GetF32(info, 2), g = GetF32(info, 3),
      out = GetF32(info, 4);
  if (!value.ok || !m.ok || !v.ok || !g.ok || !out.ok) return env.Undefined();
  const float beta1 = GetFloat(info, 5), oneMinusBeta1 = GetFloat(info, 6);
  const float beta2 = GetFloat(info, 7), oneMinusBeta2 = GetFloat(info, 8);
  const float oneMinusAccBeta1 = GetFloat(info, 9), oneMinusAccBeta2 = GetFloat(info, 10);
  const float epsilon = GetFloat(info, 11), negLearningRate = GetFloat(info, 12);
  const int64_t n = static_cast<int64_t>(value.length);
  if (!Fits(env, m, n) || !Fits(env, v, n) || !Fits(env, g, n) || !Fits(env, out, n)) {
    return env.Undefined();
  }
  float* mv = m.data;
  float* vv = v.data;
  const float* gv = g.data;
  const float* x = value.data;
  float* o = out.data;
  for (int64_t i = 0; i < n; ++i) {
    const float newM = mv[i] * beta1 + gv[i] * oneMinusBeta1;
    const float newV = vv[i] * beta2 + (gv[i] * gv[i]) * oneMinusBeta2;
    const float mHat = newM / oneMinusAccBeta1;
    const float vHat = newV / oneMinusAccBeta2;
    o[i] = (mHat / (std::sqrt(vHat) + epsilon)) * negLearningRate + x[i];
    mv[i] = newM;
    vv[i] = newV;
  }
  return env.Undefined();
}

// adamw(value, m, v, grad, newValue, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//       oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negLearningRate, decayFactor)
// As adam, with value replaced by value * decayFactor (decayFactor = 1 - lr * weightDecay).
static Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 value = GetF32(info, 0), m = GetF32(info, 1), v = GetF32(info, 2), g = GetF32(info, 3),
      out = GetF32(info, 4);
  if (!value.ok || !m.ok || !v.ok || !g.ok || !out.ok) return env.Undefined();
  const float beta1 = GetFloat(info, 5), oneMinusBeta1 = GetFloat(info, 6);
  const float beta2 = GetFloat(info, 7), oneMinusBeta2 = GetFloat(info, 8);
  const float oneMinusAccBeta1 = GetFloat(info, 9), oneMinusAccBeta2 = GetFloat(info, 10);
  const float epsilon = GetFloat(info, 11), negLearningRate = GetFloat(info, 12);
  const float decayFactor = GetFloat(info, 13);
  const int64_t n = static_cast<int64_t>(value.length);
  if (!Fits(env, m, n) || !Fits(env, v, n) || !Fits(env, g, n) || !Fits(env, out, n)) {
    return env.Undefined();
  }
  float* mv = m.data;
  float* vv = v.data;
  const float* gv = g.data;
  const float* x = value.data;
  float* o = out.data;
  for (int64_t i = 0; i < n; ++i) {
    const float decayed = x[i] * decayFactor;
    const float newM = mv[i] * beta1 + gv[i] * oneMinusBeta1;
    const float newV = vv[i] * beta2 + (gv[i] * gv[i]) * oneMinusBeta2;
    const float mHat = newM / oneMinusAccBeta1;
    const float vHat = newV / oneMinusAccBeta2;
    o[i] = (mHat / (std::sqrt(vHat) + epsilon)) * negLearningRate + decayed;
    mv[i] = newM;
    vv[i] = newV;
  }
  return env.Undefined();
}

// momentum(value, accumulation, grad, newValue, momentum, negLearningRate, useNesterov)
// accumulation is updated in place; newValue may alias value.
static Napi::Value Momentum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32 value = GetF32(info, 0), acc = GetF32(info, 1), g = GetF32(info, 2), out = GetF32(info, 3);
  if (!value.ok || !acc.ok || !g.ok || !out.ok) return env.Undefined();
  const float momentum = GetFloat(info, 4), negLearningRate = GetFloat(info, 5);
  const bool nesterov = GetBool(info, 6);
  const int64_t n = static_cast<int64_t>(value.length);
  if (!Fits(env, acc, n) || !Fits(env, g, n) || !Fits(env, out, n)) return env.Undefined();
  float* a = acc.data;
  const float* gv = g.data;
  const float* x = value.data;
  float* o = out.data;
  if (nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const float newAcc = momentum * a[i] + gv[i];
      o[i] = negLearningRate * (gv[i] + newAcc * momentum) + x[i];
      a[i] = newAcc;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float newAcc = momentum * a[i] + gv[i];
      o[i] = negLearningRate * newAcc + x[i];
      a[i] = newAcc;
    }
  }
  return env.Undefined();
}

void InitOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("momentum", Napi::Function::New(env, Momentum));
}

}  // namespace distillery
