#!/usr/bin/env python3
"""Fails (exit 1) when a source file of a room includes a header of a room it may not use.

Run by lib/meson.build as a build step, once per room:
    check_layers.py STAMP ROOM_DIR ROOM [ALLOWED_ROOM ...]
On success it writes STAMP and STAMP.d (a depfile naming every file it read, so that ninja
runs it again when one of them changes).
A file in ROOM_DIR may include "omsbackup/..." (the public headers), headers of ROOM itself
and of the ALLOWED rooms, and nothing else of lib/. The allowed rooms are the "depends on"
column of the room table in docs/design.md, which lib/meson.build spells out.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/[^"]+"', re.M)


def main() -> int:
    stamp, room_dir, room, allowed = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
    allowed |= {room, "omsbackup"}
    bad, read = [], []
    for name in sorted(os.listdir(room_dir)):
        if not name.endswith((".h", ".cpp")):
            continue
        read.append(os.path.abspath(os.path.join(room_dir, name)))
        with open(read[-1], encoding="utf-8") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            if m.group(1) not in allowed:
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"lib/{room}/{name}:{line}: includes {m.group(1)}/, "
                           f"but lib/{room} may use only: {', '.join(sorted(allowed))}")
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print(f"lib/{room}: move the code, or add the room to its 'depends on' in "
              "docs/design.md and lib/meson.build if the design really changes", file=sys.stderr)
        return 1
    with open(stamp + ".d", "w", encoding="utf-8") as f:
        f.write(stamp + ": " + " ".join(p.replace(" ", "\\ ") for p in read) + "\n")
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(f"lib/{room}: includes only {', '.join(sorted(allowed))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
