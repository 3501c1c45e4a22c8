// An order's map (/records/{borough}/orders/{id}): its exclusion zones and breaches with MapLibre GL, from
// the #order-map element's data-geojson (no request of its own, no inline script: the CSP forbids them).
// For those who may change the order (data-draw), as the "A click on the map" choice says: a click adds a
// corner to the zone outline's field (WKT), or puts the breach form's latitude and longitude there. Without JavaScript the forms take
// the same values typed in.
import { Map as MapLibreMap, NavigationControl } from "/static/vendor/maplibre/maplibre-gl.mjs";

const el = document.getElementById("order-map");
const status = document.getElementById("order-map-status");
const data = JSON.parse(el.dataset.geojson || '{"type":"FeatureCollection","features":[]}');
document.body.dataset.mapReady = "0";

function bounds() {
  let [w, s, e, n] = [180, 90, -180, -90];
  const visit = (c) => {
    if (typeof c[0] === "number") {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
    } else c.forEach(visit);
  };
  data.features.forEach((f) => visit(f.geometry.coordinates));
  if (w > e) return [[-0.52, 51.28], [0.34, 51.7]];
  const pad = 0.004;
  return [[w - pad, s - pad], [e + pad, n + pad]];
}

const map = new MapLibreMap({
  container: el,
  style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#f3f2f1" } }] },
  bounds: bounds(),
  attributionControl: false,
});
map.addControl(new NavigationControl({ showCompass: false }), "top-right");
el.mfMap = map;

const draft = { type: "FeatureCollection", features: [] };
const corners = [];
const outline = document.getElementById("geometry");
const clear = document.getElementById("zone-clear");

function say(text) {
  status.textContent = text;
}

function showDraft() {
  const ring = corners.length >= 3 ? [...corners, corners[0]] : corners;
  draft.features = corners.length
    ? [{ type: "Feature", properties: {}, geometry: corners.length >= 3 ? { type: "Polygon", coordinates: [ring] } : { type: "MultiPoint", coordinates: corners } }]
    : [];
  const source = map.getSource("draft");
  if (source) source.setData(draft);
  if (outline && corners.length >= 3) {
    outline.value = `POLYGON((${ring.map(([x, y]) => `${x.toFixed(6)} ${y.toFixed(6)}`).join(", ")}))`;
  }
}

map.on("load", () => {
  map.addSource("order", { type: "geojson", data });
  map.addSource("draft", { type: "geojson", data: draft });
  map.addLayer({ id: "zones", type: "fill", source: "order", filter: ["==", ["get", "kind"], "zone"], paint: { "fill-color": "#d4351c", "fill-opacity": 0.25 } });
  map.addLayer({ id: "zone-lines", type: "line", source: "order", filter: ["==", ["get", "kind"], "zone"], paint: { "line-color": "#d4351c", "line-width": 2 } });
  map.addLayer({
    id: "breaches",
    type: "circle",
    source: "order",
    filter: ["==", ["get", "kind"], "breach"],
    paint: { "circle-radius": 7, "circle-color": ["case", ["get", "in_zone"], "#d4351c", "#1d70b8"], "circle-stroke-color": "#0b0c0c", "circle-stroke-width": 1 },
  });
  map.addLayer({ id: "draft-fill", type: "fill", source: "draft", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#1d70b8", "fill-opacity": 0.2 } });
  map.addLayer({ id: "draft-points", type: "circle", source: "draft", paint: { "circle-radius": 4, "circle-color": "#1d70b8" } });
  const zones = data.features.filter((f) => f.properties.kind === "zone").length;
  const breaches = data.features.length - zones;
  say(`The map shows ${zones} exclusion zone${zones === 1 ? "" : "s"} and ${breaches} breach${breaches === 1 ? "" : "es"} with a place.`);
  document.body.dataset.mapReady = "1";
});

if (el.dataset.draw) {
  const mode = document.getElementById("map-mode");
  if (mode) mode.hidden = false;
  if (clear) {
    clear.hidden = false;
    clear.addEventListener("click", () => {
      corners.length = 0;
      if (outline) outline.value = "";
      showDraft();
    });
  }
  map.on("click", (event) => {
    const { lng, lat } = event.lngLat;
    if (document.getElementById("mode-breach")?.checked) {
      const x = document.getElementById("longitude");
      const y = document.getElementById("latitude");
      if (x && y) {
        x.value = lng.toFixed(6);
        y.value = lat.toFixed(6);
        say(`Breach place set to latitude ${lat.toFixed(5)}, longitude ${lng.toFixed(5)}.`);
      }
      return;
    }
    corners.push([lng, lat]);
    showDraft();
    say(`Zone outline: ${corners.length} corner${corners.length === 1 ? "" : "s"}${corners.length < 3 ? " (at least 3 are needed)" : ""}.`);
  });
}
