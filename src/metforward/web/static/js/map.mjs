// The map explorer: MapLibre GL over the store's boundaries (no external tiles unless configured).
// Reads what to show from the #map element's data attributes (set from the page's GET parameters),
// keeps the URL in step with the controls so a view can be shared, and says in words what is shown.
import { Map as MapLibreMap, Marker, NavigationControl, Popup } from "/static/vendor/maplibre/maplibre-gl.mjs";

const el = document.getElementById("map");
const AREA_LAYERS = ["borough", "ward", "lsoa"];
const LABELS = {
  borough: "crime by borough",
  ward: "crime by ward",
  lsoa: "crime by LSOA (small area)",
  hotspots: "hot and cold spots (Gi*, 250 m grid)",
  hotstreets: "hot streets",
  repeats: "repeat locations (crime in 3 of the last 6 months)",
};
// Blue / orange diverging for Gi* z (colour-blind safe), with words in the legend and popups.
const DIVERGING = [
  [-2.58, "#2166ac", "cold spot, strong (z below -2.58)"],
  [-1.96, "#92c5de", "cold side (z -2.58 to -1.96)"],
  [0, "#f7f7f7", "neither (z -1.96 to 1.96)"],
  [1.96, "#fdb863", "hot side (z 1.96 to 2.58)"],
  [2.58, "#b35806", "hot spot, strong (z above 2.58)"],
];
// Ward names are written from this zoom up (a borough fills the map), so London's view is not cluttered.
const LABEL_ZOOM = 11.5;
const VERDICT_COLOURS = { up: "#d55e00", down: "#009e73", "can't tell": "#505a5f" };

const state = {
  layer: el.dataset.layer,
  measure: el.dataset.measure,
  month: el.dataset.month,
  category: el.dataset.category,
  area: el.dataset.area,
};
const months = el.dataset.months ? el.dataset.months.split(",") : [];
const api = el.dataset.api;

function ready(value) {
  document.body.dataset.mapReady = value;
}
ready("0");

function layerUrl() {
  const q = new URLSearchParams();
  let path;
  if (AREA_LAYERS.includes(state.layer)) {
    path = "areas";
    q.set("level", state.layer);
    q.set("measure", state.measure);
    q.set("month", state.month);
  } else {
    path = state.layer;
    q.set("area", state.area);
    q.set(state.layer === "repeats" ? "end" : "month", state.month);
  }
  if (state.category) q.set("category", state.category);
  return `${api}/geo/${path}?${q}`;
}

function pageUrl() {
  const q = new URLSearchParams(state);
  if (!state.category) q.delete("category");
  return `/map?${q}`;
}

function summary() {
  const types = state.category || "all crime types";
  let what = LABELS[state.layer];
  if (AREA_LAYERS.includes(state.layer)) {
    what += `: ${state.measure === "count" ? "number of crimes" : "crimes per 1,000 residents a year"}`;
  } else {
    const area = document.querySelector(`#map-area option[value="${state.area}"]`);
    what += ` in ${area ? area.textContent : state.area}`;
  }
  return `Showing ${what}, ${types}, ${state.layer === "repeats" ? "the 6 months to " : ""}${state.month}.`;
}

function fmt(v) {
  if (v === null || v === undefined) return "-";
  if (Number.isInteger(v)) return v.toLocaleString("en-GB");
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-GB") : Number(v).toFixed(1);
}

function legendRow(list, colour, text, shape) {
  const li = document.createElement("li");
  li.className = "mf-map-legend__item";
  const swatch = document.createElement("span");
  swatch.className = `mf-map-legend__swatch${shape ? ` mf-map-legend__swatch--${shape}` : ""}`;
  swatch.style.backgroundColor = colour;
  li.append(swatch, document.createTextNode(text));
  list.append(li);
}

function drawLegend(title, rows, note) {
  const box = document.getElementById("map-legend");
  box.replaceChildren();
  const h = document.createElement("h2");
  h.className = "govuk-heading-s";
  h.textContent = "Legend";
  const p = document.createElement("p");
  p.className = "govuk-body-s mf-map-legend__title";
  p.textContent = title;
  const list = document.createElement("ul");
  list.className = "mf-map-legend__list";
  for (const [colour, text, shape] of rows) legendRow(list, colour, text, shape);
  box.append(h, p, list);
  if (note) {
    const n = document.createElement("p");
    n.className = "govuk-body-s";
    n.textContent = note;
    box.append(n);
  }
}

function style() {
  const sources = {};
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#f3f2f1" } }];
  if (el.dataset.tiles) {
    sources.tiles = { type: "raster", tiles: [el.dataset.tiles], tileSize: 256 };
    layers.push({ id: "tiles", type: "raster", source: "tiles" });
  }
  return { version: 8, sources, layers };
}

const map = new MapLibreMap({
  container: el,
  style: style(),
  bounds: [
    [-0.52, 51.28],
    [0.34, 51.7],
  ],
  attributionControl: false,
  canvasContextAttributes: { preserveDrawingBuffer: true },
});
map.addControl(new NavigationControl({ showCompass: false }), "top-right");
el.mfMap = map; // for the browser tests (the view's bounds)

// Ward names as HTML markers (no glyph server is needed): the server gives each ward's name and a point
// inside it (/geo/labels); only those in view are in the page, and only from LABEL_ZOOM up.
let wardLabels = [];

function showLabels() {
  const bounds = map.getBounds();
  const near = map.getZoom() >= LABEL_ZOOM;
  for (const label of wardLabels) {
    const show = near && bounds.contains(label.at);
    if (show && !label.marker) {
      const text = document.createElement("span");
      text.className = "mf-map-label";
      text.textContent = label.name;
      text.dataset.code = label.code;
      label.marker = new Marker({ element: text, anchor: "center" }).setLngLat(label.at).addTo(map);
    } else if (!show && label.marker) {
      label.marker.remove();
      label.marker = null;
    }
  }
}

async function loadLabels() {
  const response = await fetch(`${api}/geo/labels`);
  if (!response.ok) return;
  const data = await response.json();
  wardLabels = data.features.map((f) => ({
    code: f.properties.code,
    name: f.properties.name,
    at: f.geometry.coordinates,
    marker: null,
  }));
  showLabels();
}
map.on("moveend", showLabels);

// The place layers zoom to the area chosen (the layer's RFC 7946 bbox) when the area or the layer changes,
// not when only the month or crime type does, so the user's own zoom stays.
let fitted = null;

function fitArea(data) {
  const key = `${state.layer} ${state.area}`;
  if (!data.bbox || key === fitted) return;
  fitted = key;
  const [west, south, east, north] = data.bbox;
  map.fitBounds(
    [
      [west, south],
      [east, north],
    ],
    { padding: 24, maxZoom: 15, animate: false },
  );
}

const DATA_LAYERS = ["data-fill", "data-line", "data-circle"];

function clearData() {
  for (const id of DATA_LAYERS) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource("data")) map.removeSource("data");
}

function addAreaLayer(data) {
  // the classes are the server's (present/maps.py class_breaks), the same as the reports' maps
  const classes = data.metforward.classes;
  const colour = ["match", ["coalesce", ["get", "band"], -1], -1, classes.none];
  classes.colours.forEach((c, i) => colour.push(i, c));
  colour.push(classes.none);
  map.addLayer({ id: "data-fill", type: "fill", source: "data", paint: { "fill-color": colour, "fill-opacity": 0.8 } });
  map.addLayer({
    id: "data-line",
    type: "line",
    source: "data",
    paint: { "line-color": "#0b0c0c", "line-width": state.layer === "borough" ? 1.2 : 0.4 },
  });
  const unit = state.measure === "count" ? "crimes" : "crimes per 1,000 residents a year";
  const rows = classes.colours.map((c, i) => [c, classes.labels[i]]);
  rows.push([classes.none, "no figure (1 or 2 crimes, suppressed; or no population)"]);
  const m = data.metforward;
  drawLegend(
    `${unit}, ${m.period} (${m.months_present.length} of ${m.months_asked} months with data)`,
    rows,
    "Classes are quintiles of the areas shown. Click an area for its figure and 95% interval.",
  );
}

function addHotspotLayer(data) {
  const z = ["coalesce", ["get", "z"], 0];
  const colour = ["step", z, DIVERGING[0][1], -2.58, DIVERGING[1][1], -1.96, DIVERGING[2][1], 1.96, DIVERGING[3][1], 2.58, DIVERGING[4][1]];
  map.addLayer({ id: "data-fill", type: "fill", source: "data", paint: { "fill-color": colour, "fill-opacity": 0.85 } });
  map.addLayer({
    id: "data-line",
    type: "line",
    source: "data",
    paint: {
      "line-color": "#0b0c0c",
      "line-width": ["match", ["get", "class"], "hot", 2, "cold", 2, 0.2],
    },
  });
  const hot = data.features.filter((f) => f.properties.class === "hot").length;
  const cold = data.features.filter((f) => f.properties.class === "cold").length;
  drawLegend(
    `Getis-Ord Gi* z, ${data.metforward.area}, ${data.metforward.period}: ${hot} hot spots and ${cold} cold spots (q below ${data.metforward.alpha})`,
    DIVERGING.map(([, c, text]) => [c, text]),
    "Cells outlined in black are hot or cold spots after the Benjamini-Hochberg correction; the others are neither.",
  );
}

function addPointLayer(data) {
  const counts = data.features.map((f) => f.properties.count || 0);
  const top = Math.max(3, ...counts);
  const colour =
    state.layer === "hotstreets"
      ? ["match", ["get", "verdict"], "up", VERDICT_COLOURS.up, "down", VERDICT_COLOURS.down, VERDICT_COLOURS["can't tell"]]
      : "#cc79a7";
  map.addLayer({
    id: "data-circle",
    type: "circle",
    source: "data",
    paint: {
      "circle-color": colour,
      "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "count"], 1], 1, 3, top, 14],
      "circle-stroke-color": "#0b0c0c",
      "circle-stroke-width": 1,
      "circle-opacity": 0.85,
    },
  });
  const m = data.metforward;
  if (state.layer === "hotstreets") {
    drawLegend(
      `${data.features.length} busiest streets, ${m.area}, ${m.period}; circle size: crimes (largest ${top.toLocaleString("en-GB")})`,
      [
        [VERDICT_COLOURS.up, "up on the period before", "circle"],
        [VERDICT_COLOURS.down, "down on the period before", "circle"],
        [VERDICT_COLOURS["can't tell"], "can't tell", "circle"],
      ],
      "A street is a police.uk location within a ward, drawn at the mean of its snap points.",
    );
  } else {
    drawLegend(
      `${data.features.length} repeat locations, ${m.area}, ${m.months} months to ${m.end}; circle size: crimes`,
      [["#cc79a7", `crime in at least ${m.min_months} of the ${m.months} months`, "circle"]],
      "Locations are police.uk snap points (anonymised).",
    );
  }
}

function popupText(p) {
  if (AREA_LAYERS.includes(state.layer)) {
    if (p.suppressed) return `${p.name} (${p.code}): 1 or 2 crimes (suppressed)`;
    const unit = state.measure === "count" ? "crimes" : "crimes per 1,000 residents a year";
    return `${p.name} (${p.code}): ${fmt(p.value)} ${unit} (95% interval ${fmt(p.value_low)} to ${fmt(p.value_high)}), ${p.months_with_data} months with data`;
  }
  if (state.layer === "hotspots") {
    const z = p.z === null ? "no z" : `z ${Number(p.z).toFixed(2)}, q ${Number(p.q_value).toFixed(3)}`;
    return `Cell ${p.code}: ${p.verdict}; ${p.count === null ? "1 or 2" : p.count} crimes; ${z}`;
  }
  if (state.layer === "hotstreets") {
    return `${p.location} (${p.ward}): ${p.count === null ? "1 or 2" : p.count} crimes; change on the period before: ${p.verdict}`;
  }
  return `${p.location} (${p.ward}): ${p.count} crimes in ${p.months_with_crime} months (${p.months.join(", ")})`;
}

let token = 0;
async function load() {
  const mine = (token += 1);
  ready("0");
  const status = document.getElementById("map-status");
  status.textContent = "Loading the layer…";
  const response = await fetch(layerUrl());
  const data = await response.json();
  if (mine !== token) return;
  clearData();
  if (!response.ok) {
    status.textContent = `This layer cannot be drawn: ${data.error ? data.error.message : response.status}`;
    drawLegend("No layer", [], null);
    map.once("idle", () => ready("1"));
    map.triggerRepaint();
    return;
  }
  map.addSource("data", { type: "geojson", data });
  if (AREA_LAYERS.includes(state.layer)) addAreaLayer(data);
  else if (state.layer === "hotspots") addHotspotLayer(data);
  else addPointLayer(data);
  if (AREA_LAYERS.includes(state.layer)) fitted = null;
  else fitArea(data);
  status.textContent = `${data.features.length} features drawn.`;
  document.body.dataset.mapLayer = state.layer;
  document.body.dataset.mapMonth = state.month;
  map.once("idle", () => {
    if (mine === token) ready("1");
  });
}

map.on("click", (event) => {
  const found = map.queryRenderedFeatures(event.point, { layers: DATA_LAYERS.filter((id) => map.getLayer(id)) });
  if (!found.length) return;
  new Popup({ closeButton: true }).setLngLat(event.lngLat).setText(popupText(found[0].properties)).addTo(map);
});

function changed() {
  document.getElementById("map-summary").textContent = summary();
  el.setAttribute("aria-label", `Map: ${summary()}`);
  history.replaceState(null, "", pageUrl());
  const fallback = document.getElementById("map-fallback");
  if (fallback) fallback.hidden = true;
  const download = document.getElementById("map-download");
  if (download) download.href = layerUrl();
  load();
}

for (const [id, key] of [
  ["map-layer", "layer"],
  ["map-measure", "measure"],
  ["map-area", "area"],
  ["map-category", "category"],
  ["map-month", "month"],
]) {
  document.getElementById(id).addEventListener("change", (event) => {
    state[key] = event.target.value;
    if (key === "month") slider.value = String(months.indexOf(state.month));
    changed();
  });
}

const slider = document.getElementById("map-slider");
const sliderValue = document.getElementById("map-slider-value");
document.getElementById("map-slider-group").hidden = months.length < 2;
document.getElementById("map-submit").hidden = true;
slider.addEventListener("input", () => {
  sliderValue.textContent = months[Number(slider.value)];
});
slider.addEventListener("change", () => {
  state.month = months[Number(slider.value)];
  sliderValue.textContent = state.month;
  document.getElementById("map-month").value = state.month;
  changed();
});

map.on("load", () => {
  loadLabels();
  load();
});
