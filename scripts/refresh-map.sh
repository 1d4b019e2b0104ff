#!/usr/bin/env bash
# Refreshes the offline map data the server embeds (crates/web/map-data) from npm packages, pinned below.
# Node.js is needed only to run this script, never to build or run onestop.
#
# Writes:
#   countries-50m.geo.json  Natural Earth's 1:50m Admin 0 countries (public domain) as redistributed in
#                           TopoJSON by `world-atlas`, converted to a GeoJSON FeatureCollection with
#                           `topojson-client`, simplified with `topojson-simplify` (topology-preserving, so
#                           neighbours still share borders) and rounded to 3 decimals (about 100 m) to keep
#                           the file under 1 MB. Each feature has `id` = ISO 3166-1 numeric code as a
#                           three-digit string (as in world-atlas) and `properties.name`. Features that
#                           world-atlas gives no code (Kosovo, Somaliland, N. Cyprus, ...) are left out;
#                           features sharing a code (Australia and Ashmore and Cartier Is.) are merged.
#   iso3166.json            ISO 3166-1 alpha-2 -> numeric (three-digit string) for every country, from
#                           `i18n-iso-countries` (codes.json).
#   NOTICE.md               Sources, versions and licences.
set -euo pipefail
WORLD_ATLAS=2.0.2
TOPOJSON_CLIENT=3.1.0
TOPOJSON_SIMPLIFY=3.0.3
I18N_ISO_COUNTRIES=7.14.0
# Triangles smaller than this (square degrees, scaled by cos(latitude) to approximate true area) are
# simplified away: about 18 km², well under a pixel-wide sliver at country scale.
MIN_WEIGHT=0.0015
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/crates/web/map-data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent \
  "world-atlas@$WORLD_ATLAS" "topojson-client@$TOPOJSON_CLIENT" "topojson-simplify@$TOPOJSON_SIMPLIFY" \
  "i18n-iso-countries@$I18N_ISO_COUNTRIES")

cat > "$work/convert.js" <<'JS'
"use strict";
const fs = require("fs");
const path = require("path");
const client = require("topojson-client");
const simplify = require("topojson-simplify");
const [dest, minWeight] = [process.argv[2], Number(process.argv[3])];
const modules = path.join(__dirname, "node_modules");

// Countries: TopoJSON -> simplified GeoJSON.
const topology = JSON.parse(fs.readFileSync(path.join(modules, "world-atlas/countries-50m.json"), "utf8"));
const area = (t) =>
  simplify.planarTriangleArea(t) * Math.cos((((t[0][1] + t[1][1] + t[2][1]) / 3) * Math.PI) / 180);
const simplified = simplify.simplify(simplify.presimplify(topology, area), minWeight);
const collection = client.feature(simplified, simplified.objects.countries);
// The unsimplified outlines, for the few small countries simplification would erase (Vatican, Monaco, ...).
const original = new Map(
  client.feature(topology, topology.objects.countries).features.map((f) => [`${f.id}/${f.properties.name}`, f]),
);

const round = (x) => Math.round(x * 1000) / 1000;
function ring(points) {
  const out = [];
  for (const [x, y] of points) {
    const p = [round(x), round(y)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  return out;
}
function polygons(geometry) {
  const list = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  const out = [];
  for (const polygon of list) {
    const rings = polygon.map(ring);
    // A ring needs at least three distinct corners and its closing point; a polygon whose outer ring
    // collapsed goes, holes and all.
    if (rings[0].length < 4) continue;
    out.push([rings[0], ...rings.slice(1).filter((r) => r.length >= 4)]);
  }
  return out;
}
const byId = new Map();
for (const feature of collection.features) {
  if (feature.id === undefined || !feature.geometry) continue;
  let parts = polygons(feature.geometry);
  if (parts.length === 0) parts = polygons(original.get(`${feature.id}/${feature.properties.name}`).geometry);
  if (parts.length === 0) continue;
  const size = parts.reduce((n, p) => n + p[0].length, 0);
  const seen = byId.get(feature.id);
  if (!seen) {
    byId.set(feature.id, { name: feature.properties.name, size, parts });
  } else {
    // The larger part names the whole (Australia, not Ashmore and Cartier Is.).
    if (size > seen.size) seen.name = feature.properties.name;
    seen.size = Math.max(seen.size, size);
    seen.parts.push(...parts);
  }
}
const features = [...byId.keys()].sort().map((id) => {
  const { name, parts } = byId.get(id);
  const geometry =
    parts.length === 1 ? { type: "Polygon", coordinates: parts[0] } : { type: "MultiPolygon", coordinates: parts };
  return { type: "Feature", id, properties: { name }, geometry };
});
// One feature a line, so that a refresh's diff reads country by country.
const lines = features.map((f) => JSON.stringify(f));
fs.writeFileSync(
  path.join(dest, "countries-50m.geo.json"),
  '{"type":"FeatureCollection","features":[\n' + lines.join(",\n") + "\n]}\n",
);

// ISO 3166-1 alpha-2 -> numeric.
const codes = JSON.parse(fs.readFileSync(path.join(modules, "i18n-iso-countries/codes.json"), "utf8"));
const table = {};
for (const [alpha2, , numeric] of [...codes].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
  if (!/^[A-Z]{2}$/.test(alpha2) || !/^[0-9]{3}$/.test(numeric)) throw new Error(`odd code ${alpha2} ${numeric}`);
  table[alpha2] = numeric;
}
fs.writeFileSync(
  path.join(dest, "iso3166.json"),
  "{\n" + Object.entries(table).map(([a, n]) => `  "${a}": "${n}"`).join(",\n") + "\n}\n",
);
const unmapped = features.filter((f) => !Object.values(table).includes(f.id)).map((f) => `${f.id} ${f.properties.name}`);
console.log(`${features.length} countries, ${Object.keys(table).length} codes; outlines without a code: ${unmapped.join(", ") || "none"}`);
JS

mkdir -p "$dest"
node "$work/convert.js" "$dest" "$MIN_WEIGHT"

licence() { sed 's/^./    &/' "$work/node_modules/$1/LICENSE"; }
{
  cat <<MD
# Map data: sources and licences

Written by \`scripts/refresh-map.sh\`; do not edit by hand.

## countries-50m.geo.json

Country outlines from [Natural Earth](https://www.naturalearthdata.com/) 1:50m Admin 0 – Countries
(version 4.1.0), which is in the **public domain** ("No permission is needed to use Natural Earth.
Crediting the authors is unnecessary." — naturalearthdata.com/about/terms-of-use). Made with Natural
Earth. Taken from the npm package \`world-atlas@$WORLD_ATLAS\` (TopoJSON), converted with
\`topojson-client@$TOPOJSON_CLIENT\` and simplified with \`topojson-simplify@$TOPOJSON_SIMPLIFY\`
(minimum triangle weight $MIN_WEIGHT square degrees × cos latitude), coordinates rounded to 3 decimals.
Feature \`id\` is the ISO 3166-1 numeric code, \`properties.name\` the country's short English name.

Natural Earth draws de facto boundaries; the outlines say nothing about any government's position
on a boundary.

## iso3166.json

ISO 3166-1 alpha-2 → numeric codes, from \`codes.json\` of the npm package
\`i18n-iso-countries@$I18N_ISO_COUNTRIES\`.

## Licences of the packages

world-atlas@$WORLD_ATLAS (ISC):

$(licence world-atlas)

topojson-client@$TOPOJSON_CLIENT (ISC):

$(licence topojson-client)

topojson-simplify@$TOPOJSON_SIMPLIFY (ISC):

$(licence topojson-simplify)

i18n-iso-countries@$I18N_ISO_COUNTRIES (MIT):

$(licence i18n-iso-countries)
MD
} > "$dest/NOTICE.md"
echo "map data: $(du -b "$dest"/* | awk '{printf "%s %s bytes; ", $2, $1}')"
