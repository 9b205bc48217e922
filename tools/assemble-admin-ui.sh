#!/usr/bin/env bash
# assemble-admin-ui.sh NODE_MODULES DEST: puts the admin UI's static files
# (@socket.io/admin-ui's ui/dist) into DEST, with the two stylesheets its
# index.html takes from CDNs (Roboto from fonts.googleapis.com, the Material
# Design Icons from cdn.jsdelivr.net) served from DEST/fonts/ instead, so that
# the page needs no host but the server:
#   fonts/roboto/roboto.css  @fontsource/roboto's faces for the weights the
#                            Google link names (normal style, every subset)
#   fonts/roboto/files/      the woff2/woff files those faces name
#   fonts/mdi/css/materialdesignicons.min.css, fonts/mdi/fonts/
#                            @mdi/font's stylesheet and the font files it names
# Only the files a stylesheet names are copied, each package's LICENSE with
# them. The packages are pinned by tools/package-lock.json.
#
# Exit status: 0 when assembled; 0 with a warning when the UI or a font
# package is not installed (make deps installs them; without the fonts the
# page keeps its CDN links); 1 when the UI's index.html does not have the
# links this script knows how to replace (a new UI version: look at it).
set -euo pipefail

modules=$1
dest=$2
ui=$modules/@socket.io/admin-ui/ui/dist
mdi=$modules/@mdi/font
roboto=$modules/@fontsource/roboto

warn() { echo "warning: $*" >&2; }

if [ ! -f "$ui/index.html" ]; then
    warn "no $modules/@socket.io/admin-ui: sio-server will not serve the admin UI (make deps installs it)"
    exit 0
fi
mkdir -p "$dest"
cp -pR "$ui/." "$dest/"
if [ ! -f "$mdi/css/materialdesignicons.min.css" ] || [ ! -f "$roboto/400.css" ]; then
    warn "no $mdi or $roboto: the admin UI will take its font and icons from CDNs (make deps installs them)"
    exit 0
fi

index=$dest/index.html
google='https://fonts\.googleapis\.com/css?family=Roboto:[0-9,]*'
jsdelivr='https://cdn\.jsdelivr\.net/npm/@mdi/font@[^/"]*/css/materialdesignicons\.min\.css'
weights=$(grep -o "$google" "$index" | head -n 1 | sed 's/.*Roboto://; s/,/ /g' || true)
if [ -z "$weights" ] || ! grep -q "href=\"$jsdelivr\"" "$index"; then
    echo "assemble-admin-ui: $ui/index.html does not link Roboto and @mdi/font as expected" >&2
    exit 1
fi

# copy_named CSS FROM TO: copies the files CSS names with url(...) (relative
# to FROM, without ?query or #fragment) to the same paths under TO.
copy_named() {
    local f
    grep -o 'url([^)]*)' "$1" | sed -e 's/^url(["'\'']\{0,1\}//' -e 's/["'\'']\{0,1\})$//' -e 's/[?#].*//' |
        sort -u | while read -r f; do
            mkdir -p "$(dirname "$3/$f")"
            cp -p "$2/$f" "$3/$f"
        done
}

mkdir -p "$dest/fonts/roboto" "$dest/fonts/mdi/css"
: > "$dest/fonts/roboto/roboto.css"
for w in $weights; do
    if [ ! -f "$roboto/$w.css" ]; then
        echo "assemble-admin-ui: @fontsource/roboto has no weight $w" >&2
        exit 1
    fi
    cat "$roboto/$w.css" >> "$dest/fonts/roboto/roboto.css"
done
copy_named "$dest/fonts/roboto/roboto.css" "$roboto" "$dest/fonts/roboto"
cp -p "$roboto/LICENSE" "$dest/fonts/roboto/LICENSE"

cp -p "$mdi/css/materialdesignicons.min.css" "$dest/fonts/mdi/css/"
copy_named "$mdi/css/materialdesignicons.min.css" "$mdi/css" "$dest/fonts/mdi/css"
cp -p "$mdi/LICENSE" "$dest/fonts/mdi/LICENSE"

sed -i -e "s|href=\"$google\"|href=\"fonts/roboto/roboto.css\"|" \
    -e "s|href=\"$jsdelivr\"|href=\"fonts/mdi/css/materialdesignicons.min.css\"|" "$index"
if grep -Eq '(href|src)="(https?:)?//' "$index"; then
    echo "assemble-admin-ui: $index still loads from another host" >&2
    exit 1
fi
