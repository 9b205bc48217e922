#!/usr/bin/env bash
# Check what the built library exports (docs/packaging.md):
#   - every global symbol that libsio.a defines, and every symbol that
#     libsio.so exports, is a function of the public API: declared with SIO_API
#     in include/*.h (so it has the project's prefix, and an application's own
#     json_parse or strmap_get cannot clash with an internal one);
#   - every function declared with SIO_API is exported by both.
#   bash tools/check-symbols.sh [BUILD_DIR]      (default build)
# Prints "symbols: ok (N exported)" or every problem, and exits 1.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2
build=${1:-build}
static="$build/libsio.a"
shared=$(ls "$build"/libsio.so.*.*.* 2>/dev/null | head -n 1)
for f in "$static" "$shared"; do
    [ -n "$f" ] && [ -f "$f" ] || { echo "symbols: $build has no libsio.a or libsio.so.X.Y.Z (run make)" >&2; exit 2; }
done

# The declared API: the name before the first '(' of each SIO_API line.
api=$(sed -n 's/^SIO_API .*[^a-z_0-9]\([a-z_][a-z_0-9]*\)(.*/\1/p' include/*.h | LC_ALL=C sort -u)
defined_static=$(nm -g --defined-only "$static" | awk 'NF == 3 { print $3 }' | LC_ALL=C sort -u)
exported_shared=$(nm -D --defined-only "$shared" | awk 'NF == 3 { print $3 }' | LC_ALL=C sort -u)

problems=()
while IFS= read -r s; do
    [ -n "$s" ] && problems+=("libsio.a defines the global symbol $s, which is not a SIO_API function of include/")
done < <(LC_ALL=C comm -23 <(echo "$defined_static") <(echo "$api"))
while IFS= read -r s; do
    [ -n "$s" ] && problems+=("$(basename "$shared") exports $s, which is not a SIO_API function of include/")
done < <(LC_ALL=C comm -23 <(echo "$exported_shared") <(echo "$api"))
while IFS= read -r s; do
    [ -n "$s" ] && problems+=("$s is declared with SIO_API but libsio.a does not define it")
done < <(LC_ALL=C comm -13 <(echo "$defined_static") <(echo "$api"))
while IFS= read -r s; do
    [ -n "$s" ] && problems+=("$s is declared with SIO_API but $(basename "$shared") does not export it")
done < <(LC_ALL=C comm -13 <(echo "$exported_shared") <(echo "$api"))

if [ "${#problems[@]}" -gt 0 ]; then
    echo "symbols: ${#problems[@]} problem(s) with what the library exports:" >&2
    printf '  %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "symbols: ok ($(echo "$api" | wc -l) exported)"
