#!/usr/bin/env bash
# Checks that every ELF program and shared library under an unpacked tree finds the libraries it
# links against, with the given LD_LIBRARY_PATH (the tree's own library folders). Prints each
# missing library with the file that needs it, and exits 1 if there is one.
#
#   test/interop/check-libs.sh ROOT LIBRARY_PATH
set -euo pipefail
root=$1
export LD_LIBRARY_PATH=$2
missing=0
while IFS= read -r -d '' f; do
  # Only dynamically linked ELF files; ldd on a script or a static binary says so and is skipped.
  head -c 4 "$f" 2>/dev/null | grep -q $'^\x7fELF' || continue
  out=$(ldd "$f" 2>/dev/null) || continue
  while read -r lib _; do
    echo "missing library $lib (needed by ${f#"$root"/})" >&2
    missing=1
  done < <(printf '%s\n' "$out" | grep 'not found' || true)
done < <(find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -print0)
exit "$missing"
