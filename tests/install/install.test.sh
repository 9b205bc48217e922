#!/usr/bin/env bash
# The library as a user gets it: `make install` into a temporary prefix, then
# programs built with nothing but what pkg-config says of libsio.
#   bash tests/install/install.test.sh [BUILD_DIR]     (default build)
# Prints TAP. Checks:
#   - the installed files: libsio.a, libsio.so with its SONAME and links,
#     the headers, libsio.pc (its version is the headers' SIO_VERSION_STRING);
#   - every docs/examples/*.c builds against the shared library (and needs
#     libsio.so.MAJOR) and against the static one (and does not), and runs:
#     --help, then as a server on a free port answering an Engine.IO
#     handshake;
#   - a program using jansson next to libsio builds both ways and runs right
#     (tests/install/with_jansson.c);
#   - sio-server installed in PREFIX/bin with its data in
#     PREFIX/share/sio-server, started from /tmp, serves the chat demo at /,
#     the pinned socket.io client (tools/node_modules) and the admin UI's
#     font and icon files (@fontsource/roboto, @mdi/font) byte for byte;
#   - `make uninstall` removes every installed file.
# A sanitizer build (BUILD_DIR with __asan_/__tsan_ symbols) links the
# programs with the same sanitizer.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 2
build=${1:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/libsio-install.XXXXXX")
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() { # description command...
    local what=$1 log="$tmp/log"
    shift
    if "$@" > "$log" 2>&1; then ok "$what"; else not_ok "$what" "$(tail -n 20 "$log" | sed 's/^/  /')"; fi
}

# The make variables of this build: a sanitizer build links with it.
san=
if nm "$build/libsio-internal.a" 2>/dev/null | grep -q ' U __asan_'; then
    san="-fsanitize=address,undefined"
    sanitizer=address,undefined
elif nm "$build/libsio-internal.a" 2>/dev/null | grep -q ' U __tsan_'; then
    san="-fsanitize=thread"
    sanitizer=thread
else
    sanitizer=
fi
cc=${CC:-cc}
nm "$build/libsio-internal.a" 2>/dev/null | grep -q ' U __ubsan_' && [ -z "$san" ] && san="-fsanitize=undefined"

prefix="$tmp/prefix"
check "make install PREFIX=<tmp>" make -s --no-print-directory BUILD="$build" SANITIZER="$sanitizer" \
    CC="$cc" PREFIX="$prefix" install
version=$(sed -n 's/^#define SIO_VERSION_STRING "\(.*\)"/\1/p' include/sio_version.h)
major=${version%%.*}
lib="$prefix/lib"
files=("$lib/libsio.a" "$lib/libsio.so" "$lib/libsio.so.$major" "$lib/libsio.so.$version"
       "$lib/pkgconfig/libsio.pc" "$prefix/bin/sio-server" "$prefix/share/sio-server/client/socket.io.js"
       "$prefix/share/sio-server/demo/index.html" "$prefix/share/sio-server/admin-ui/index.html"
       "$prefix/share/sio-server/admin-ui/fonts/roboto/roboto.css"
       "$prefix/share/sio-server/admin-ui/fonts/roboto/files/roboto-latin-400-normal.woff2"
       "$prefix/share/sio-server/admin-ui/fonts/mdi/css/materialdesignicons.min.css"
       "$prefix/share/sio-server/admin-ui/fonts/mdi/fonts/materialdesignicons-webfont.woff2")
for h in include/*.h; do files+=("$prefix/include/$(basename "$h")"); done
missing=()
for f in "${files[@]}"; do [ -e "$f" ] || missing+=("$f"); done
if [ "${#missing[@]}" -eq 0 ]; then ok "installed files"; else not_ok "installed files" "missing: ${missing[*]}"; fi
soname=$(readelf -d "$lib/libsio.so.$version" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "libsio.so.$major" ] && [ "$(readlink "$lib/libsio.so")" = "libsio.so.$major" ] &&
   [ "$(readlink "$lib/libsio.so.$major")" = "libsio.so.$version" ]; then
    ok "SONAME libsio.so.$major and its links"
else
    not_ok "SONAME libsio.so.$major and its links" "SONAME: $soname"
fi

export PKG_CONFIG_PATH="$lib/pkgconfig"
pc_version=$(pkg-config --modversion libsio 2>&1)
if [ "$pc_version" = "$version" ]; then ok "pkg-config --modversion libsio"; else not_ok "pkg-config --modversion libsio" "$pc_version"; fi
cflags=$(pkg-config --cflags libsio)
libs_shared=$(pkg-config --libs libsio)
# Static: libsio.a chosen over libsio.so (-Bstatic), the rest as pkg-config's
# --static says (libwebsockets, libuv and their own dependencies, shared).
libs_static="$(pkg-config --libs-only-L libsio) -Wl,-Bstatic -lsio -Wl,-Bdynamic \
$(pkg-config --static --libs libsio | sed -e 's/-L[^ ]*//g' -e 's/-lsio\b//g')"

needs_libsio() { readelf -d "$1" | grep -q "NEEDED.*\[libsio\.so\.$major\]"; }

# build NAME SOURCE LINKAGE EXTRA_LIBS: builds $tmp/NAME-LINKAGE.
build() {
    local name=$1 src=$2 linkage=$3 extra=$4 out="$tmp/$1-$3" libs
    libs=$libs_shared
    [ "$linkage" = static ] && libs=$libs_static
    # shellcheck disable=SC2086 # word splitting of the flags is meant
    if ! "$cc" $san -o "$out" "$src" $cflags $libs $extra > "$tmp/log" 2>&1; then
        not_ok "$name builds against the $linkage library" "$(tail -n 20 "$tmp/log")"
        return 1
    fi
    if [ "$linkage" = shared ] && ! needs_libsio "$out"; then
        not_ok "$name builds against the $linkage library" "it does not need libsio.so.$major"
        return 1
    fi
    if [ "$linkage" = static ] && needs_libsio "$out"; then
        not_ok "$name builds against the $linkage library" "it needs libsio.so.$major"
        return 1
    fi
    ok "$name builds against the $linkage library"
}

# start_server BINARY [ARG...]: runs it with --port 0 (and the ARGs) from /tmp (what it serves must
# not depend on the current directory) and sets `port` from its "listening
# on port N" line, read within 10 s (`seen` keeps the lines read); the
# server's pid in server_pid. stop_server ends it.
start_server() {
    local line left
    port=
    seen=()
    coproc SERVER { cd /tmp && LD_LIBRARY_PATH="$lib" exec "$@" --port 0 2>&1; }
    server_pid=$SERVER_PID
    local deadline=$((SECONDS + 10))
    while left=$((deadline - SECONDS)); [ "$left" -gt 0 ] &&
          IFS= read -r -t "$left" line <&"${SERVER[0]}"; do
        seen+=("$line")
        case $line in
            *"listening on port "*) port=${line##*listening on port }; port=${port%%[!0-9]*}; break ;;
        esac
    done
}
stop_server() {
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
}

# A server program must answer an Engine.IO handshake on its port.
serves() { # binary
    local port seen answer=
    start_server "$1"
    [ -n "$port" ] && answer=$(curl -s --max-time 5 "http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling")
    stop_server
    case $answer in
        0\{*) return 0 ;;
        *) echo "port: ${port:-none}; answer: ${answer:-none}"; printf '%s\n' "${seen[@]}"; return 1 ;;
    esac
}

for src in docs/examples/*.c; do
    name=$(basename "$src" .c)
    for linkage in shared static; do
        build "$name" "$src" "$linkage" "" || continue
        check "$name ($linkage) --help" env LD_LIBRARY_PATH="$lib" "$tmp/$name-$linkage" --help
        check "$name ($linkage) serves a handshake" serves "$tmp/$name-$linkage"
    done
done

if pkg-config --exists jansson; then
    for linkage in shared static; do
        build with_jansson tests/install/with_jansson.c "$linkage" "$(pkg-config --libs jansson)" || continue
        check "with_jansson ($linkage): jansson and libsio each answer for themselves" \
            env LD_LIBRARY_PATH="$lib" "$tmp/with_jansson-$linkage"
    done
else
    not_ok "jansson found by pkg-config (libjansson-dev; tools/install-deps.sh installs it)"
fi

# The installed sio-server, started from /tmp: it finds its data in
# ../share/sio-server from its executable.
serves_data() { # binary
    local port seen status=0 mdi=tools/node_modules/@mdi/font roboto=tools/node_modules/@fontsource/roboto
    # fetch URL FILE CONTENT_TYPE: 200, that content type, the file's bytes.
    fetch() {
        local got ctype
        ctype=$(curl -s --max-time 5 -o "$tmp/body" -w '%{http_code} %{content_type}' "http://127.0.0.1:$port$1")
        got=$?
        if [ "$got" -ne 0 ] || [ "$ctype" != "200 $3" ] || ! cmp -s "$tmp/body" "$2"; then
            echo "$1: curl $got, '$ctype' (want '200 $3'), body $(wc -c < "$tmp/body") bytes"
            return 1
        fi
    }
    start_server "$1" --no-admin-auth
    if [ -z "$port" ]; then
        echo "no port"; status=1
    else
        fetch / tools/demo/index.html "text/html; charset=utf-8" || status=1
        fetch /socket.io/socket.io.js tools/node_modules/socket.io-client/dist/socket.io.js \
            "application/javascript; charset=utf-8" || status=1
        # The admin UI's font and icons (tools/assemble-admin-ui.sh).
        fetch /admin/fonts/mdi/css/materialdesignicons.min.css "$mdi/css/materialdesignicons.min.css" \
            "text/css; charset=utf-8" || status=1
        fetch /admin/fonts/mdi/fonts/materialdesignicons-webfont.woff2 "$mdi/fonts/materialdesignicons-webfont.woff2" \
            font/woff2 || status=1
        fetch /admin/fonts/mdi/fonts/materialdesignicons-webfont.woff "$mdi/fonts/materialdesignicons-webfont.woff" \
            font/woff || status=1
        fetch /admin/fonts/roboto/files/roboto-latin-400-normal.woff2 "$roboto/files/roboto-latin-400-normal.woff2" \
            font/woff2 || status=1
    fi
    stop_server
    [ "$status" -eq 0 ] || printf '%s\n' "${seen[@]}"
    return "$status"
}
check "installed sio-server, started from /tmp, serves the demo, the client bundle and the admin UI's fonts" \
    serves_data "$prefix/bin/sio-server"

check "make uninstall" make -s --no-print-directory BUILD="$build" SANITIZER="$sanitizer" CC="$cc" \
    PREFIX="$prefix" uninstall
left=$(find "$prefix" -type f -o -type l 2>/dev/null)
if [ -z "$left" ]; then ok "nothing left after make uninstall"; else not_ok "nothing left after make uninstall" "$left"; fi

echo "1..$n"
echo "# pass $((n - failed))"
echo "# fail $failed"
[ "$failed" -eq 0 ]
