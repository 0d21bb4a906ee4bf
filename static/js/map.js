// 協働マッチ: the adopt map (Leaflet + 地理院タイル). An enhancement only: the list and the text beside each map
// carry the content; without Leaflet (blocked CDN, no script) nothing here runs and nothing breaks.
(function () {
  "use strict";
  if (typeof window.L === "undefined") return;
  var L = window.L;
  var ATTRIBUTION = '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>';
  // Colour and line pattern together, so the status never rests on colour alone (the popup also says it in words).
  var STYLES = {
    open: {color: "#0017c1", dashArray: null},
    negotiating: {color: "#8a6100", dashArray: "10 6"},
    active: {color: "#115a36", dashArray: null},
    paused: {color: "#4d4d52", dashArray: "2 6"},
    ended: {color: "#4d4d52", dashArray: "2 6"}
  };
  var SEKI = [35.496, 136.918];

  function styleFor(feature) {
    var s = STYLES[(feature.properties || {}).status] || STYLES.open;
    return {color: s.color, dashArray: s.dashArray, weight: 4, opacity: 0.9, fillOpacity: 0.2};
  }

  function popupFor(feature) {
    var p = feature.properties || {};
    var box = document.createElement("div");
    var link = document.createElement(p.url ? "a" : "strong");
    if (p.url) link.href = p.url;
    link.textContent = p.name || "";
    var status = document.createElement("p");
    status.textContent = [p.status_label, p.kind_label, p.district].filter(Boolean).join("・");
    box.appendChild(link);
    box.appendChild(status);
    return box;
  }

  function makeMap(el) {
    el.classList.add("adopt-map--ready");  // shown first: Leaflet measures the element
    var map = L.map(el, {zoomControl: false, scrollWheelZoom: false}).setView(SEKI, 12);
    L.control.zoom({zoomInTitle: "拡大", zoomOutTitle: "縮小"}).addTo(map);
    map.attributionControl.setPrefix(false);
    L.tileLayer(el.dataset.tiles, {attribution: ATTRIBUTION, maxZoom: 18, minZoom: 5}).addTo(map);
    return map;
  }

  function draw(map, state, data) {
    if (state.layer) map.removeLayer(state.layer);
    // A point (the server refuses them, but the form draws what is typed) becomes a circle: Leaflet's default
    // marker would load its icon from the CDN, which img-src does not allow.
    state.layer = L.geoJSON(data, {style: styleFor, pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 6});
    }, onEachFeature: function (feature, layer) {
      if (feature.properties) layer.bindPopup(popupFor(feature));
    }}).addTo(map);
    var bounds = state.layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, {padding: [16, 16], maxZoom: 15});
  }

  function load(map, state, url) {
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/geo+json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) draw(map, state, data); })
      .catch(function () { /* the list stays the real content */ });
  }

  function drawSource(el, map, state) {
    var source = document.getElementById(el.dataset.geojsonSource);
    if (!source || !source.value.trim()) return;
    try { draw(map, state, JSON.parse(source.value)); } catch (e) { /* the server says what is wrong */ }
  }

  function init(el) {
    if (el.classList.contains("adopt-map--ready")) return;
    var map = makeMap(el), state = {}, timer = null;
    if (el.dataset.geojsonUrl) {
      load(map, state, el.dataset.geojsonUrl);
      // When htmx swaps the filtered list, the list's map follows the same filters.
      document.addEventListener("htmx:afterSettle", function (evt) {
        var results = document.getElementById("adopt-results");
        if (el.id === "adopt-map" && results && evt.target === results && results.dataset.geojsonUrl) {
          load(map, state, results.dataset.geojsonUrl);
        }
      });
    } else if (el.dataset.geojsonSource) {
      // The section form: draw what is typed in the GeoJSON field (nothing is sent anywhere).
      drawSource(el, map, state);
      document.addEventListener("input", function (evt) {
        if (!evt.target || evt.target.id !== el.dataset.geojsonSource) return;
        clearTimeout(timer);
        timer = setTimeout(function () { drawSource(el, map, state); }, 400);
      });
    }
  }

  function initAll() { document.querySelectorAll(".adopt-map").forEach(init); }
  initAll();
  // htmx's settle step copies an old element's attributes onto the new one with the same id; Leaflet's inline
  // style on the map would then be set as an attribute, which the CSP (style-src without 'unsafe-inline') refuses.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (target && target.querySelectorAll) {
      target.querySelectorAll(".adopt-map--ready").forEach(function (el) { el.removeAttribute("style"); });
    }
  });
  // A form swapped back by htmx (422) brings a new, empty map element.
  document.addEventListener("htmx:afterSettle", initAll);
})();
