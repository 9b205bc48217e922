#!/usr/bin/env bash
# Check the layering rules of the design (DESIGN.md, "Layers"):
#   - only files under src/transport/ include libwebsockets.h (src/, include/)
#   - only files under src/msgpack/ and src/cluster/ include msgpack-c's
#     headers (msgpack.h, msgpack/... as a system header); only src/cluster/
#     hiredis's (hiredis/..., hiredis.h, async.h)
#   - src/msgpack/ (MessagePack values, the msgpack packet parser) includes
#     from src/util/ and, of the core, only the codec's interface
#     (sio/sio_codec.h, sio/sio_parser.h); only src/cluster/, src/api/ and
#     src/msgpack/ itself include from it: the core does not know msgpack
#   - src/cluster/ (the Redis adapter) sits on the core: it includes nothing
#     from src/transport, src/api, src/programs; and only src/api/ and
#     src/cluster/ itself include from src/cluster
#   - src/util/ includes nothing from src/eio, src/sio, src/transport
#   - src/eio/ includes nothing from src/sio, src/transport
#   - src/sio/ includes nothing from src/transport
#   - programs (src/programs/, docs/examples/) and the public headers
#     (include/) include only headers from include/ and system headers; a
#     program under src/programs/ may also include its own headers and those
#     the programs share (src/programs/common/)
#   - src/admin/ (the admin UI's server side) is written on the public API:
#     it includes only headers from include/, its own and system headers
#   - no sleep(), usleep(), nanosleep() (nor clock_nanosleep, thrd_sleep) in src/
# Includes are resolved the way the compiler does with -Iinclude -Isrc: a
# quoted include first beside the including file, then include/, then src/.
# Comments are ignored. Prints "layers: ok" or every violation, one a line,
# and exits 1.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2

# Print "LINE<TAB>code" for a C file with comments blanked out (string and
# character literals are kept, or blanked too with -v nostr=1).
strip_c() { # file [nostr]
    awk -v nostr="${2:-0}" '
    BEGIN { inblock = 0; apos = sprintf("%c", 39) }
    {
        s = $0; out = ""; i = 1; n = length(s); q = ""
        while (i <= n) {
            c = substr(s, i, 1); c2 = substr(s, i, 2)
            if (inblock) {
                if (c2 == "*/") { inblock = 0; out = out "  "; i += 2 } else { out = out " "; i++ }
            } else if (q != "") {
                if (c == "\\") { out = out (nostr ? "  " : c2); i += 2; continue }
                if (c == q) { q = ""; out = out c } else { out = out (nostr ? " " : c) }
                i++
            } else if (c2 == "/*") { inblock = 1; out = out "  "; i += 2
            } else if (c2 == "//") { break
            } else if (c == "\"" || c == apos) {
                                q = c; out = out c; i++
            } else { out = out c; i++ }
        }
        print NR "\t" out
    }' "$1"
}

# Resolve an include to a repo-relative path, or print nothing for a header
# that is not in the repo (a system header).
resolve() { # including_file kind(quote|angle) name
    local file=$1 kind=$2 name=$3 dir cand
    dir=$(dirname "$file")
    local cands=()
    [ "$kind" = quote ] && cands+=("$dir/$name")
    cands+=("include/$name" "src/$name")
    for cand in "${cands[@]}"; do
        if [ -f "$cand" ]; then
            realpath -m --relative-to="$root" "$cand"
            return
        fi
    done
    # Not (yet) in the tree: judge by the name, as the build would find it.
    case $name in
        util/*|eio/*|sio/*|msgpack/*|cluster/*|transport/*|api/*|programs/*) echo "src/$name" ;;
        ../*|./*) [ "$kind" = quote ] && realpath -m --relative-to="$root" "$dir/$name" ;;
    esac
}

layer_of() { # repo-relative path -> util|eio|sio|transport|api|programs|include|other
    case $1 in
        src/util/*) echo util ;;
        src/eio/*) echo eio ;;
        src/sio/*) echo sio ;;
        src/cluster/*) echo cluster ;;
        src/msgpack/*) echo msgpack ;;
        src/transport/*) echo transport ;;
        src/api/*) echo api ;;
        src/admin/*) echo admin ;;
        src/programs/*) echo programs ;;
        docs/examples/*) echo programs ;;
        include/*) echo include ;;
        *) echo other ;;
    esac
}

violations=()
bad() { violations+=("$1"); }

files=()
while IFS= read -r f; do files+=("$f"); done < <(
    find src include docs/examples -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort)

for f in "${files[@]}"; do
    from=$(layer_of "$f")
    while IFS=$'\t' read -r line code; do
        [[ $code =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
        name=${BASH_REMATCH[2]}
        kind=quote; close='"'
        [ "${BASH_REMATCH[1]}" = "<" ] && { kind=angle; close='>'; }
        where="$f:$line: #include ${BASH_REMATCH[1]}$name$close"
        if [ "$(basename "$name")" = libwebsockets.h ] && [ "$from" != transport ]; then
            bad "$where: only src/transport/ may include libwebsockets.h"
            continue
        fi
        target=$(resolve "$f" "$kind" "$name")
        case $kind:$name in
            *:msgpack.h|angle:msgpack/*)
                if [ "$from" != cluster ] && [ "$from" != msgpack ]; then
                    bad "$where: only src/msgpack/ and src/cluster/ may include msgpack-c headers"
                    continue
                fi ;;
            *:hiredis.h|*:hiredis/*|*:async.h|*:adapters/*)
                if [ "$from" != cluster ]; then
                    bad "$where: only src/cluster/ may include hiredis headers"
                    continue
                fi ;;
        esac
        to=other
        [ -n "$target" ] && to=$(layer_of "$target")
        case $from:$to in
            util:eio|util:sio|util:cluster|util:transport|util:api|util:programs)
                bad "$where: src/util/ may not include from src/$to/" ;;
            eio:sio|eio:cluster|eio:transport|eio:api|eio:programs)
                bad "$where: src/eio/ may not include from src/$to/" ;;
            sio:cluster|sio:msgpack|sio:transport|sio:api|sio:programs)
                bad "$where: src/sio/ may not include from src/$to/" ;;
            msgpack:eio|msgpack:cluster|msgpack:transport|msgpack:api|msgpack:programs)
                bad "$where: src/msgpack/ may not include from src/$to/" ;;
            msgpack:sio)
                case $target in
                    src/sio/sio_codec.h|src/sio/sio_parser.h) ;;
                    *) bad "$where: src/msgpack/ may include only the codec's interface of src/sio/" ;;
                esac ;;
            eio:msgpack|util:msgpack|transport:msgpack)
                bad "$where: src/$from/ may not include from src/msgpack/" ;;
            cluster:transport|cluster:api|cluster:programs)
                bad "$where: src/cluster/ may not include from src/$to/" ;;
            transport:cluster)
                bad "$where: src/transport/ may not include from src/cluster/" ;;
            programs:include|include:include|admin:include|admin:admin) ;;
            admin:*)
                [ -n "$target" ] && bad "$where: src/admin/ is built on the public API: it may include only headers from include/ and its own (this is $target)" ;;
            programs:programs)
                case $f in
                    src/programs/*) ;;
                    *) bad "$where: examples may include only headers from include/ (this is $target)" ;;
                esac ;;
            programs:*|include:*)
                if [ -n "$target" ]; then
                    what="programs"; [ "$from" = include ] && what="public headers"
                    bad "$where: $what may include only headers from include/ (this is $target)"
                fi ;;
        esac
    done < <(strip_c "$f")
done

# No sleeping as synchronisation anywhere in src/.
while IFS= read -r f; do
    while IFS=$'\t' read -r line code; do
        if [[ $code =~ (^|[^A-Za-z0-9_])(sleep|usleep|nanosleep|clock_nanosleep|thrd_sleep)[[:space:]]*\( ]]; then
            bad "$f:$line: ${BASH_REMATCH[2]}() in src/: wait on events (lws_sul timers), never sleep"
        fi
    done < <(strip_c "$f" 1)
done < <(find src -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort)

if [ "${#violations[@]}" -gt 0 ]; then
    echo "layers: ${#violations[@]} violation(s) of the layering rules (docs: DESIGN.md, Layers):" >&2
    printf '  %s\n' "${violations[@]}" >&2
    exit 1
fi
echo "layers: ok"
