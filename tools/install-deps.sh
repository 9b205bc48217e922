#!/usr/bin/env bash
# Install what the build, the main program and the tests need, and only what
# is missing.
# Idempotent: on a machine that has everything it checks and exits in well
# under a second (no apt-get update, no npm). Targets Debian 12.
#   bash tools/install-deps.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# libwebsockets-evlib-uv and libuv1-dev: the transport runs lws on a libuv
# loop (libwebsockets-dev depends on both; named so that a lean install has them).
pkgs=(build-essential pkg-config libwebsockets-dev libwebsockets-evlib-uv libuv1-dev
      libjsmn-dev libcmocka-dev libcurl4-openssl-dev valgrind chromium # chromium: tests/browser/ (playwright-core)
      clang libclang-rt-14-dev # make asan-clang, make fuzz (libFuzzer)
      libjansson-dev # tests/install: a program linking libsio next to jansson
      zlib1g-dev # src/transport: compressed polling responses
      libcrypt-dev # src/admin: the admin UI's bcrypt password hashes (libxcrypt's crypt())
      openssl # the TLS tests make their certificates with it
      libmsgpack-dev libhiredis-dev # src/cluster: the Redis adapter's wire format and client
      redis-server nginx) # the cluster tests: a real Redis, and nginx in front of several servers

installed() { # dpkg says "ii" only for a package that is fully installed
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

missing=()
for p in "${pkgs[@]}"; do
    installed "$p" || missing+=("$p")
done
# Node: whatever `node` is on PATH will do (Debian 12's nodejs 18 too). Only
# when there is none do we bring Debian's nodejs + npm; npm alone if only it
# is missing (NodeSource's nodejs ships its own npm and conflicts with Debian's).
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs npm)
    installed ca-certificates || missing+=(ca-certificates) # npm's https
elif ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "deps: missing ${missing[*]} and not root (no sudo): install them as root" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
    apt_msg="installed ${#missing[@]} package(s)"
else
    apt_msg="system packages present"
fi

# npm_ci DIR: `npm ci` in DIR when its node_modules is missing or older than
# its package-lock.json; says which in npm_msg.
npm_ci() {
    local dir="$root/$1"
    if [ ! -f "$dir/package-lock.json" ]; then
        npm_msg+="; no $1/package-lock.json"
    elif [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        echo "deps: npm ci in $1/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null >/dev/null)
        touch "$dir/node_modules" # npm ci may leave the directory's mtime older than the lock
        npm_msg+="; $1/node_modules installed"
    else
        npm_msg+="; $1/node_modules up to date"
    fi
}
npm_msg=
# What sio-server serves (the socket.io client, the admin UI, its fonts), pinned by
# tools/package-lock.json: the build copies them into its data directory.
npm_ci tools
# The Node test dependencies, pinned by tests/package-lock.json.
npm_ci tests

echo "deps: ok ($apt_msg$npm_msg)"
