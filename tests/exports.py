#!/usr/bin/env python3
"""meson test exports: libomsbackup exports exactly the public API (issue #17).

    exports.py LIBRARY INCLUDE_DIR

Fails when the library's dynamic symbol table (nm -D --defined-only) holds anything but
names of the omsbackup namespace that include/omsbackup/ marks OMSBACKUP_API (their members,
vtables and type information), or when a name marked OMSBACKUP_API is not exported.
"""
import glob
import os
import re
import subprocess
import sys


def public_names(include_dir):
    """'Error', 'dump', ...: what the headers mark OMSBACKUP_API."""
    names = set()
    for path in glob.glob(os.path.join(include_dir, "omsbackup", "*.h")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        names.update(re.findall(r"(?:struct|class)\s+OMSBACKUP_API\s+(\w+)", text))
        # OMSBACKUP_API <return type> name(
        names.update(re.findall(r"^OMSBACKUP_API\s[^(;]*?\b(\w+)\s*\(", text, re.M))
    return names


def main():
    library, include_dir = sys.argv[1], sys.argv[2]
    raw = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    names = subprocess.run(["c++filt"], input=raw, check=True, capture_output=True,
                           text=True).stdout
    public = public_names(include_dir)
    if not public:
        print(f"no OMSBACKUP_API names found under {include_dir}", file=sys.stderr)
        return 1
    allowed = re.compile(r"^(?:vtable for |typeinfo for |typeinfo name for )?omsbackup::(\w+)(?:::|\(|$)")
    wrong, seen = [], set()
    for line in names.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue  # an absolute symbol (the version node) has no name part worth checking
        symbol = parts[2]
        m = allowed.match(symbol)
        if not m or m.group(1) not in public:
            wrong.append(symbol)
        else:
            seen.add(m.group(1))
    for w in wrong:
        print(f"exported but not public API: {w}", file=sys.stderr)
    for n in sorted(public - seen):
        print(f"marked OMSBACKUP_API but not exported: omsbackup::{n}", file=sys.stderr)
    ok = not wrong and public == seen
    print(f"{library}: {len(names.splitlines())} dynamic symbols, "
          f"{len(seen)} of {len(public)} public names: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
