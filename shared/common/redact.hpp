#pragma once

// Secrets kept out of text that came from elsewhere (upstream error bodies
// we log and relay): a "word" is a run of characters a token can hold
// (letters, digits, - _ . + / = :), and words a rule calls secret are
// replaced by a marker.

#include <string>
#include <string_view>

namespace kb {

using secret_word_rule = bool (*)(std::string_view word);

/// `text` with every word for which `is_secret` holds replaced by `marker`;
/// everything between words is kept as is.
std::string redact_words(std::string_view text, secret_word_rule is_secret,
                         std::string_view marker);

} // namespace kb
