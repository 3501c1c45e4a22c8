#!/usr/bin/env bash
# Rebuild the vendored front-end assets in src/metforward/web/static/vendor from the npm
# packages pinned in web-assets/package-lock.json. The output is committed, so `pip install`
# and the web app work offline; run this only after changing a version in web-assets/.
set -euo pipefail
cd "$(dirname "$0")/../web-assets"
npm ci --silent --no-audit --no-fund
out=../src/metforward/web/static/vendor
rm -rf "$out"
mkdir -p "$out/govuk" "$out/maplibre" "$out/axe"
# GOV.UK Frontend: styles compiled without the GDS Transport font (see metforward.scss) and the JS.
# Not the images: the crown, crest and GOV.UK icons are GOV.UK's brand, not ours to use.
npx sass --pkg-importer=node --style=compressed --no-source-map metforward.scss "$out/govuk/govuk-frontend.min.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk/"
cp node_modules/govuk-frontend/LICENSE.txt "$out/govuk/LICENSE.txt" 2>/dev/null || \
  node -e "const p=require('govuk-frontend/package.json');console.log('govuk-frontend '+p.version+' - '+p.license+' licence, https://github.com/alphagov/govuk-frontend')" > "$out/govuk/LICENSE.txt"
# MapLibre GL JS (ES modules: the main bundle loads its worker from the same folder).
cp node_modules/maplibre-gl/dist/maplibre-gl.mjs node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs \
   node_modules/maplibre-gl/dist/maplibre-gl-shared.mjs node_modules/maplibre-gl/dist/maplibre-gl.css \
   node_modules/maplibre-gl/LICENSE.txt "$out/maplibre/"
# axe-core, for the accessibility tests.
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$out/axe/"
# What was vendored, with versions, for the Data and methods page and the licence notices.
node -e '
const v = n => JSON.parse(require("fs").readFileSync("node_modules/" + n + "/package.json", "utf8")).version;
const out = {"govuk-frontend": v("govuk-frontend"), "maplibre-gl": v("maplibre-gl"), "axe-core": v("axe-core"), "sass": v("sass")};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
' > "$out/versions.json"
echo "vendored into $out:"; cat "$out/versions.json"
