// Reads the generation controls (model/sampling.h) from a JS options object. The TypeScript
// facade validates them first (typed errors, house wording); these checks keep the native
// surface safe on its own.
#pragma once
#include <napi.h>

#include "bindings/args.h"
#include "model/sampling.h"

namespace svae {

// { repetitionPenalty, noRepeatNgramSize, minTokens, noRepeatSentences, presencePenalty, frequencyPenalty }
inline GenerationControls read_controls(const Napi::Object& o) {
  GenerationControls c;
  c.repetition_penalty = args::opt_number(o, "repetitionPenalty", 1.0, 1e-6, 1e6);
  c.no_repeat_ngram_size = args::opt_integer(o, "noRepeatNgramSize", 0, 0, 1 << 20);
  c.min_tokens = args::opt_integer(o, "minTokens", 0, 0, 1 << 20);
  c.no_repeat_sentences = args::opt_boolean(o, "noRepeatSentences", false);
  c.presence_penalty = args::opt_number(o, "presencePenalty", 0, -2, 2);
  c.frequency_penalty = args::opt_number(o, "frequencyPenalty", 0, -2, 2);
  return c;
}

}  // namespace svae
