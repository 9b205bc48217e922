#!/usr/bin/env bash
# Build the seed corpus of each fuzz target (tests/fuzz/fuzz_<name>.c) from
# the wire fixtures in proto/.
#   bash tools/fuzz-seeds.sh [OUT_DIR]      (default build-fuzz/corpus)
#
# Writes OUT_DIR/<name>/seed-* files; other files there (what libFuzzer
# added to the corpus) are left alone, so a corpus grows across runs. Some
# targets take the fixtures as they are; others take them wrapped the way
# they travel: a Socket.IO packet as an Engine.IO message or a session step,
# a payload as a chunked HTTP body or a JSONP form field. The session
# target's input format (op byte, length byte, data) is described in
# tests/fuzz/fuzz_session.c.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out=${1:-build-fuzz/corpus}
proto=proto

targets=(base64 compression emit_request eio_payload eio_payload3 http_framing json jsonp mp_parser query redis_decode session sio_decode)
for t in "${targets[@]}"; do
    mkdir -p "$out/$t"
    rm -f "$out/$t"/seed-*
done

# seed TARGET NAME: stdin becomes OUT/TARGET/seed-NAME.
seed() { cat > "$out/$1/seed-$2"; }

# The fixtures, one a line, as DIR/NAME.
fixtures() { # dir...
    local d f
    for d in "$@"; do
        for f in "$proto/$d"/*; do
            [ -f "$f" ] && echo "$f"
        done
    done
}
tag() { # proto/a/b/c.txt -> b-c
    local f=${1#"$proto"/}
    f=${f%.*}
    f=${f//\//-}
    echo "${f#*-}"
}

# --- fixtures as they are -------------------------------------------------------
while read -r f; do seed sio_decode "$(tag "$f")" < "$f"; done < <(fixtures sio/valid sio/invalid)
while read -r f; do seed eio_payload "$(tag "$f")" < "$f"; done < <(fixtures eio/v4_payload_valid eio/v4_payload_invalid)
while read -r f; do
    seed eio_payload3 "$(tag "$f")" < "$f"
done < <(fixtures eio/v3_text_valid eio/v3_text_invalid eio/v3_binary_valid eio/v3_binary_invalid)
while read -r f; do seed json "$(tag "$f")" < "$f"; done < <(fixtures json)
while read -r f; do seed redis_decode "$(tag "$f")" < "$f"; done < <(fixtures redis/notepack redis/captured)
while read -r f; do seed mp_parser "$(tag "$f")" < "$f"; done < <(fixtures msgpack/valid msgpack/invalid)

# --- derived seeds ------------------------------------------------------------------
# A Socket.IO packet is an Engine.IO message; its payload is JSON.
while read -r f; do
    { printf 4; cat "$f"; } | seed eio_payload "msg-$(tag "$f")"
    sed -E 's/^[^[{]*//' "$f" | seed json "sio-$(tag "$f")"
done < <(fixtures sio/valid)

# base64: the binary records of the v4 payloads, and every fixture encoded.
while read -r f; do
    k=0
    while IFS= read -r rec; do
        [ "${rec:0:1}" = b ] || continue
        printf '%s' "${rec:1}" | seed base64 "rec$k-$(tag "$f")"
        k=$((k + 1))
    done < <(tr '\036' '\n' < "$f"; echo)
done < <(fixtures eio/v4_payload_valid eio/v4_payload_invalid)
while read -r f; do
    base64 -w0 < "$f" | seed base64 "enc-$(tag "$f")"
done < <(fixtures eio/v3_binary_valid json sio/valid)

# Query strings: handshakes as clients send them.
printf '%s' 'EIO=4&transport=polling&t=OxR5Wv1' | seed query handshake-v4
printf '%s' 'EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA' | seed query upgrade
printf '%s' 'EIO=3&transport=polling&b64=1&j=0&token=abc%20d&name=caf%C3%A9' | seed query handshake-v3
printf '%s' 'room=a+b&x=&=y&&%zz=1&bad=%ff&dup=1&dup=2' | seed query edge-cases
while read -r f; do
    if grep -q '?' "$f"; then
        sed -e 's/^[^?]*?//' -e 's/,.*//' "$f" | tr -d '\n' | seed query "nsp-$(tag "$f")"
    fi
done < <(fixtures sio/valid sio/invalid)

# JSONP POST bodies: the v3 text payloads as the form field d, newlines as
# the two characters \n, %-encoded as a browser form is.
urlencode() { # file -> stdout
    local h c
    for h in $(od -An -v -tx1 "$1"); do
        printf -v c "\\x$h"
        case $c in
            [A-Za-z0-9._~-]) printf '%s' "$c" ;;
            ' ') printf + ;;
            *) printf '%%%s' "${h^^}" ;;
        esac
    done
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
while read -r f; do
    sed -e 's/\\n/\\\\n/g' "$f" | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }' > "$tmp"
    { printf 'd='; urlencode "$tmp"; } | seed jsonp "$(tag "$f")"
done < <(fixtures eio/v3_text_valid eio/v3_text_invalid)
printf '%s' 'x=1&d=1%3A6&y=2' | seed jsonp field-in-middle
printf '%s' 'd=%zz' | seed jsonp bad-escape

# Emit API bodies (sio-server's POST /api/emit), and every JSON fixture as a
# body and as a document for the JSON helpers.
while read -r f; do seed emit_request "$(tag "$f")" < "$f"; done < <(fixtures json)
printf '%s' '{"event":"news","data":["hello",{"n":1}]}' | seed emit_request all-sockets
printf '%s' '{"namespace":"/","rooms":["a","b"],"except":["c"],"event":"x","data":[1.5e3,null,true]}' \
    | seed emit_request every-field
printf '%s' '{"event":"x","event":"y"}' | seed emit_request duplicate
printf '%s' '{"event":"connect"}' | seed emit_request reserved
printf '%s' '{"event":"a\u0000b","rooms":["\ud83d\ude00","~0/1"]}' | seed emit_request escapes
printf '%s' '{"a/b":{"~":[[{"":0}]]},"a/b":[1]}' | seed emit_request pointer-names

# HTTP: flags, body limit exponent, split seed, then Content-Length,
# Transfer-Encoding, Connection, Origin, Host (each ended by LF), then a body:
# the v4 payloads as chunked POST bodies, in one chunk and in two.
http_head() { # flags -> stdout
    printf "\\x$(printf %02x "$1")\\x14\\x07"
    printf '%s\n' '57' 'chunked' 'keep-alive, Upgrade' 'https://a.example' 'a.example'
}
while read -r f; do
    n=$(stat -c %s "$f")
    h=$((n / 2))
    { http_head $((2 | 4 | 8 | 16 | 32 | 64)); printf '%x\r\n' "$n"; cat "$f"
      printf '\r\n0\r\n\r\n'; } | seed http_framing "one-$(tag "$f")"
    { http_head $((2 | 32 | 192)); printf '%x;ext=1\r\n' "$h"; head -c "$h" "$f"
      printf '\r\n%X\r\n' $((n - h)); tail -c +$((h + 1)) "$f"
      printf '\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\n'; } | seed http_framing "two-$(tag "$f")"
done < <(fixtures eio/v4_payload_valid)
{ http_head $((1 | 4 | 8 | 16)); } | seed http_framing length-only
{ http_head $((1 | 2)); printf '0\r\n\r\n'; } | seed http_framing both

# --- session scripts -------------------------------------------------------------------
# Ops (client 0; add 16 per client): see tests/fuzz/fuzz_session.c.
OPEN_POLL4=0x00 OPEN_WS4=0x40 OPEN_POLL3=0x80 OPEN_WS3=0xc0
TEXT=0x01 TEXT_PROBE=0x41 BIN=0x02 POST=0x03 POST_JSONP=0x43 POST_LATER=0x83
GET=0x04 PROBE=0x05 TICK=0x06 READ=0x07 READ1=0x47 DROP_WS=0x08 DROP_GET=0x88
SERVER=0x09 POSTED=0x0a
byte() { printf "\\x$(printf %02x "$1")"; }
# rec OP TEXT: one step whose data is TEXT (at most 255 bytes).
rec() {
    local n=${#2}
    ((n <= 255)) || { echo "fuzz-seeds: step too long: $2" >&2; exit 1; }
    byte "$1"; byte "$n"; printf '%s' "$2"
}
# recf OP FILE: one step whose data is the file (skipped when over 255 bytes).
recf() {
    local n
    n=$(stat -c %s "$2")
    ((n <= 255)) || return 0
    byte "$1"; byte "$n"; cat "$2"
}
# recpf OP PREFIX FILE: one step whose data is PREFIX then the file.
recpf() {
    local n
    n=$(( ${#2} + $(stat -c %s "$3") ))
    ((n <= 255)) || return 0
    byte "$1"; byte "$n"; printf '%s' "$2"; cat "$3"
}
# recb OP BYTE...: one step whose data is the given byte values.
recb() {
    local op=$1
    shift
    byte "$op"; byte $#
    local b
    for b in "$@"; do byte "$b"; done
}
# The attachments a binary packet announces ("51-[...]": 1).
attachments() {
    local p
    p=$(head -c 12 "$1" | tr -d '\0')
    if [[ $p =~ ^[56]([0-9]+)- ]]; then echo $((10#${BASH_REMATCH[1]} > 4 ? 4 : 10#${BASH_REMATCH[1]})); else echo 0; fi
}

while read -r f; do
    n=$(attachments "$f")
    { rec $OPEN_WS4 'EIO=4&transport=websocket'
      rec $TEXT 40
      rec $TEXT '40/custom,{"token":"x"}'
      recpf $TEXT 4 "$f"
      for ((k = 0; k < n; k++)); do recb $BIN 0 1 255; done
      rec $READ ''; recb $TICK 6; rec $READ ''
    } | seed session "ws-$(tag "$f")"
    { rec $OPEN_POLL4 'EIO=4&transport=polling&t=1'
      rec $READ ''
      rec $POST $'40\x1e40/custom,'
      recpf $POST 4 "$f"
      for ((k = 0; k < n; k++)); do rec $POST 'bAAH/'; done
      rec $GET ''; rec $READ ''
    } | seed session "poll-$(tag "$f")"
done < <(fixtures sio/valid sio/invalid)

while read -r f; do
    { rec $OPEN_POLL4 'EIO=4&transport=polling'; rec $READ ''; rec $POST 40
      recf $POST "$f"; rec $GET ''; rec $READ ''; } | seed session "v4-$(tag "$f")"
done < <(fixtures eio/v4_payload_valid eio/v4_payload_invalid)
while read -r f; do
    { rec $OPEN_POLL3 'EIO=3&transport=polling'; rec $READ ''
      recf $POST "$f"; rec $GET ''; rec $READ ''; } | seed session "v3-$(tag "$f")"
    { rec $OPEN_POLL3 'EIO=3&transport=polling&b64=1'; rec $READ ''
      recf $POST "$f"; rec $GET ''; rec $READ ''; } | seed session "v3b64-$(tag "$f")"
done < <(fixtures eio/v3_text_valid eio/v3_binary_valid)

# Scenarios: what the handlers do, upgrades, timers, several clients.
C1=16
{ rec $OPEN_POLL4 'EIO=4&transport=polling'; rec $READ ''; rec $POST 40; rec $GET ''; rec $READ ''
  rec $PROBE ''; rec $TEXT_PROBE 2probe; rec $READ ''; rec $TEXT_PROBE 5
  rec $TEXT '42["echo",1,"two",{"3":[4]}]'; rec $READ ''; recb $TICK 6; rec $READ ''; rec $TEXT 3
  recb $TICK 7; rec $READ ''
} | seed session scenario-upgrade
{ rec $OPEN_WS4 'EIO=4&transport=websocket&room=a'; rec $TEXT 40
  rec $((OPEN_WS4 + C1)) 'EIO=4&transport=websocket'; rec $((TEXT + C1)) 40
  rec $TEXT '42["join","r1","r2"]'; rec $((TEXT + C1)) '42["join","r1"]'
  rec $TEXT '42["bcast","r1"]'; rec $TEXT '42["except","r2",1]'; rec $((READ + C1)) ''
  rec $TEXT '421["ack",{"a":[1,2]},null]'; rec $TEXT '42["ask",true,"q"]'; rec $READ ''
  rec $TEXT '430["ok"]'; rec $TEXT '42["ask",false]'; recb $TICK 5; rec $READ ''
  rec $TEXT '422["hold"]'; recb $SERVER 5 0; recb $SERVER 0; rec $SERVER $'\x01\x01r1'
  rec $TEXT '42["leave","r1"]'; rec $TEXT '42["kickroom","r2"]'; rec $READ ''; rec $((READ + C1)) ''
} | seed session scenario-rooms
{ rec $OPEN_WS4 'EIO=4&transport=websocket'; rec $TEXT 40
  rec $TEXT '452-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
  recb $BIN 0 1 2; recb $BIN; rec $READ1 ''; rec $READ ''
  rec $TEXT '451-3["ack",{"_placeholder":true,"num":0}]'; recb $BIN 255; rec $READ ''
  rec $TEXT '42["ask"]'; rec $READ ''; rec $TEXT '461-0[{"_placeholder":true,"num":0}]'; recb $BIN 7
  recb $SERVER 10; rec $READ ''
} | seed session scenario-binary
{ rec $OPEN_WS4 'EIO=4&transport=websocket'
  rec $TEXT '40/custom,{"deny":1,"data":2}'; rec $TEXT '40/custom,{"kick":1}'
  rec $TEXT '40/custom,{"early":1}'; rec $TEXT '40/dyn-1,'; rec $TEXT '40/other,{"open":1}'
  rec $TEXT '40/nowhere,'; rec $TEXT '42/custom,["echo"]'; rec $TEXT '41/custom,'; rec $READ ''
  rec $TEXT '42/dyn-1,["post","lobby"]'; rec $POSTED ''; rec $TEXT '42["postkick"]'; rec $POSTED ''
  rec $READ ''
} | seed session scenario-namespaces
# Binary events and attachments over polling: v4, then v3 in text framing,
# base64 and binary framing (kind byte, length digits as bytes, 0xFF).
{ rec $OPEN_POLL4 'EIO=4&transport=polling'; rec $READ ''; rec $POST 40
  rec $POST $'451-["echo",{"_placeholder":true,"num":0}]\x1ebAAH/'
  rec $POST '452-["bcast","lobby",{"_placeholder":true,"num":1}]'; rec $POST 'bAQ=='; rec $POST 'b'
  recb $SERVER 10; rec $GET ''; rec $READ ''; rec $GET ''; rec $READ ''
} | seed session scenario-polling-binary
v3text() { local p; for p in "$@"; do printf '%d:%s' "${#p}" "$p"; done; } # ASCII packets
bin_event='451-["echo",{"_placeholder":true,"num":0}]'
for b64 in '' '&b64=1'; do
    { rec $OPEN_POLL3 "EIO=3&transport=polling$b64"; rec $READ ''
      rec $POST "$(v3text "$bin_event" 'b4AAH/')"
      rec $POST "$(v3text '42["ask",true,{"x":"\u00e9"}]')"; rec $GET ''; rec $READ ''
      rec $POST "$(v3text '430[]')"; recb $SERVER 10; rec $GET ''; rec $READ ''
    } | seed session "scenario-v3-polling-binary${b64:+-b64}"
done
{ printf '\x00'
  for d in $(echo "${#bin_event}" | grep -o .); do printf "\\x0$d"; done
  printf '\xff%s\x01\x04\xff\x04\x00\x07\xff' "$bin_event"
} > "$tmp"
{ rec $OPEN_POLL3 'EIO=3&transport=polling'; rec $READ ''; recf $POST "$tmp"; rec $GET ''; rec $READ ''
} | seed session scenario-v3-binary-framing
{ rec $OPEN_WS4 'EIO=4&transport=websocket'; rec $TEXT '40/custom,{"early":1}'
  rec $TEXT 40; rec $TEXT '42["echo","fill the queue, fill the queue, fill the queue"]'
  rec $TEXT '42["echo","fill the queue, fill the queue, fill the queue"]'
  rec $TEXT '42["bcast","fill the queue, fill the queue, fill the queue"]'
  for k in 1 2 3 4 5 6; do rec $TEXT '42["echo","fill the queue, fill the queue, fill the queue"]'; done
  rec $READ ''
} | seed session scenario-queue-full
{ rec $OPEN_WS3 'EIO=3&transport=websocket&token=abc'; rec $READ ''; rec $TEXT 2
  rec $TEXT '40/custom?token=deny,'; rec $TEXT '42["echo","x"]'; recb $BIN 4 1 2; rec $READ ''
  recb $TICK 9; rec $READ ''
} | seed session scenario-v3-websocket
{ rec $OPEN_POLL3 'EIO=3&transport=polling&j=0'; rec $READ ''; rec $POST_JSONP 'd=2%3A40'
  rec $POST_JSONP 'd=22%3A42%5B%22echo%22%2C%22a%5Cnb%22%5D'; rec $GET ''; rec $READ ''
  rec $POST_LATER ''; rec $POST '1:2'; rec $GET ''; rec $GET ''; rec $READ ''
} | seed session scenario-jsonp
{ rec $OPEN_WS4 'EIO=4&transport=websocket'; recb $TICK 8; rec $READ ''
  rec $OPEN_POLL4 'EIO=4&transport=polling'; rec $READ ''; rec $POST 40; rec $GET ''
  recb $TICK 6; rec $READ ''; rec $GET ''; recb $TICK 4; rec $DROP_GET ''; rec $READ ''
  rec $OPEN_WS4 'EIO=4&transport=websocket'; rec $TEXT 40; recb $SERVER 7; recb $TICK 4; rec $READ ''
  rec $TEXT 1; rec $DROP_WS ''
} | seed session scenario-timers

# Compressed messages as clients send them (a split byte first), and headers.
for text in 'hello hello hello hello' '42["message","the same words, the same words"]' ''; do
    node -e 'const z = require("zlib"); const d = z.deflateRawSync(Buffer.from(process.argv[1]), { finishFlush: z.constants.Z_SYNC_FLUSH }); process.stdout.write(Buffer.concat([Buffer.from([5]), d.subarray(0, d.length - 4)]))' "$text" \
        | seed compression "deflated-${#text}"
done
printf '\x00gzip, deflate, br' | seed compression accept-encoding
printf '\x00permessage-deflate; client_max_window_bits' | seed compression offer

echo "fuzz-seeds: $(for t in "${targets[@]}"; do printf '%s %s, ' "$t" "$(ls "$out/$t" | grep -c '^seed-')"; done | sed 's/, $//')"

