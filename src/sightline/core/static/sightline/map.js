// Draws the map of a Sightline map page (web/templates/web/map.html) with the vendored
// Leaflet: the points embedded in the page as JSON (#app-map-data) on the offline base map
// (council areas from the postcode directory, geography/basemap.py), or on the tile service
// the settings name. Everything is in British National Grid metres (EPSG:27700), so no
// projection library is needed: a point's "latitude" is its northing and its "longitude"
// its easting. The table below the map shows the same points; the map adds nothing to it.
(function () {
  'use strict'
  var holder = document.getElementById('app-map')
  var data = document.getElementById('app-map-data')
  var L = window.L
  if (!holder || !data || !L) return
  var config = JSON.parse(data.textContent)

  // The tile matrix of Ordnance Survey's EPSG:27700 ZXY tiles: 896 m a pixel at zoom 0,
  // halving at each zoom, from the top-left corner (-238375, 1376256).
  var RESOLUTION_AT_ZERO = 896
  var crs = L.extend({}, L.CRS.Simple, {
    transformation: new L.Transformation(1, 238375, -1, 1376256),
    scale: function (zoom) { return Math.pow(2, zoom) / RESOLUTION_AT_ZERO },
    zoom: function (scale) { return Math.log(scale * RESOLUTION_AT_ZERO) / Math.LN2 }
  })

  var map = L.map(holder, {
    crs: crs,
    minZoom: 0,
    maxZoom: config.tiles ? 13 : 7,
    zoomSnap: 0.5,
    attributionControl: false
  })
  L.control.attribution({ prefix: false }).addTo(map)

  var base = L.imageOverlay(config.base.image, config.base.bounds, {
    alt: '',
    className: 'app-map__base',
    interactive: false,
    attribution: 'Council areas: ONS Postcode Directory (OGL)'
  }).addTo(map)
  if (config.tiles) {
    L.tileLayer(config.tiles.url, {
      minZoom: 0,
      maxZoom: 13,
      attribution: config.tiles.attribution
    }).addTo(map)
  }

  var drawn = []
  config.points.forEach(function (point) {
    if (point.easting === null || point.northing === null) return
    var count = config.kind === 'found' ? point.episodes : point.children
    var marker = L.circleMarker([point.northing, point.easting], {
      radius: 5 + 3 * Math.sqrt(count),
      color: '#0b0c0c',
      weight: 1,
      fillColor: point.missing_now > 0 ? '#d4351c' : '#1d70b8',
      fillOpacity: 0.85
    })
    var text = config.kind === 'found'
      ? point.label + ': ' + point.episodes + (point.episodes === 1 ? ' episode' : ' episodes')
      : point.label + ': ' + point.children + (point.children === 1 ? ' child' : ' children') +
        (config.kind === 'force' ? ', ' + point.missing_now + ' missing or away now' : '')
    marker.bindTooltip(text)
    marker.addTo(map)
    drawn.push([point.northing, point.easting])
  })

  if (drawn.length) {
    // Close enough to tell the homes apart, never so close that the 1 km squares fill it.
    map.fitBounds(L.latLngBounds(drawn).pad(0.2), { maxZoom: 2 })
  } else {
    map.fitBounds(config.base.bounds)
  }
  // The councils' names, from the base map's index, once zoomed in enough to read them.
  var names = L.layerGroup()
  function showNames () {
    if (map.getZoom() >= 1.5) names.addTo(map)
    else names.remove()
  }
  if (config.base.index && window.fetch) {
    window.fetch(config.base.index).then(function (response) {
      return response.ok ? response.json() : { councils: [] }
    }).then(function (index) {
      index.councils.forEach(function (council) {
        if (!council.label) return
        L.marker([council.label[1], council.label[0]], {
          icon: L.divIcon({ className: 'app-map__name', html: '', iconSize: null }),
          interactive: false,
          keyboard: false
        }).on('add', function (event) {
          var text = document.createElement('span')
          text.textContent = council.name
          event.target.getElement().replaceChildren(text)
        }).addTo(names)
      })
      map.on('zoomend', showNames)
      showNames()
    })
  }

  // For people and tests: when the base map has drawn, say how many points are on it.
  function ready () { holder.setAttribute('data-drawn', String(drawn.length)) }
  var image = base.getElement()
  if (image && !image.complete) {
    image.addEventListener('load', ready)
  } else {
    ready()
  }
})()
