"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) under ``/ogcapi``.

``routes`` holds the blueprint, ``core`` the documents and the items query as
plain functions, ``openapi`` the API definition built from the collections.
"""

from webapp.ogcapi.routes import bp

__all__ = ["bp"]
