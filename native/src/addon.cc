// Entry point of distillery_native.node: collects the exports of each kernel family.
#include "common.h"

namespace distillery {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitMatMul(env, exports);
  InitElementwise(env, exports);
  InitReduce(env, exports);
  InitOptimizer(env, exports);
  InitConv(env, exports);
  InitGather(env, exports);
  return exports;
}

NODE_API_MODULE(distillery_native, Init)

}  // namespace distillery
