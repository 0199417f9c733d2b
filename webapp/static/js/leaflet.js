/* Leaflet and Leaflet.markercluster, loaded by folium as classic scripts before the modules run. */
export const L = globalThis.L;
