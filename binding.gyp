{
  "targets": [
    {
      "target_name": "sentencevae",
      "sources": ["<!@(node scripts/gyp-torch.mjs sources)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!@(node scripts/gyp-torch.mjs includes)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "SVAE_BUILD_SYSTEM=\"node-gyp\"",
        "SVAE_TORCH_SOURCE=\"<!(node scripts/gyp-torch.mjs source)\""
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-sign-compare", "-fopenmp",
                    "<!@(node scripts/gyp-torch.mjs cflags)"],
      "ldflags": ["-fopenmp"],
      "libraries": ["<!@(node scripts/gyp-torch.mjs libraries)"]
    }
  ]
}
