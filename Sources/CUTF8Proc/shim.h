// utf8proc: Unicode normalization, categories and grapheme breaks
// (Debian/Ubuntu: apt-get install libutf8proc-dev).
#include <utf8proc.h>
