#!/usr/bin/env bash
# Refreshes the U.S. Web Design System files the server embeds (crates/web/assets/uswds) from the
# npm package, pinned below. Node.js is needed only to run this script, never to build or run onestop.
# Copies the compiled CSS and JS, and exactly the fonts and images the CSS refers to.
set -euo pipefail
VERSION=3.14.0
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/crates/web/assets/uswds"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "@uswds/uswds@$VERSION")
dist="$work/node_modules/@uswds/uswds/dist"
rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js"
cp "$dist/css/uswds.min.css" "$dest/css/"
cp "$dist/js/uswds.min.js" "$dist/js/uswds-init.min.js" "$dest/js/"
cp "$work/node_modules/@uswds/uswds/LICENSE.md" "$dest/LICENSE.md"
grep -o 'url(\.\./[^)]*)' "$dist/css/uswds.min.css" | sed 's/^url(\.\.\///; s/)$//' | sort -u | while read -r file; do
  mkdir -p "$dest/$(dirname "$file")"
  cp "$dist/$file" "$dest/$file"
done
cp "$dist/img/sprite.svg" "$dest/img/sprite.svg"
echo "$VERSION" > "$dest/VERSION"
echo "USWDS $VERSION: $(find "$dest" -type f | wc -l) files, $(du -sh "$dest" | cut -f1)"
