# Build description for the optional native backend addon (distillery_native.node).
# Links OpenBLAS (apt: libopenblas-dev). Built only by `npm run build:native`, never on install.
{
  "targets": [
    {
      "target_name": "distillery_native",
      "sources": [
        "src/addon.cc",
        "src/matmul.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/optimizer.cc",
        "src/conv.cc",
        "src/gather.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      # -ffp-contract=off: no FMA contraction, so elementwise and optimizer results round like the
      # cpu backend's (one float32 rounding per tfjs op). -fno-math-errno lets sqrtf vectorize.
      "cflags_cc": ["-O3", "-std=c++17", "-march=native", "-ffp-contract=off", "-fno-math-errno"],
      "libraries": ["-lopenblas"]
    }
  ]
}
