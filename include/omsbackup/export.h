// What libomsbackup exports. The library is built with hidden symbol visibility
// (gnu_symbol_visibility: 'hidden'): only what the public headers mark OMSBACKUP_API is
// visible to programs that link it; everything in lib/ stays internal.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define OMSBACKUP_API __attribute__((visibility("default")))
#else
#define OMSBACKUP_API
#endif
