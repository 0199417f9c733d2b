"""Draw an XYZ vector tile layer in QGIS, headless, and print what came out as JSON: run by
``tests/gis/test_qgis_tiles.py`` with ``/usr/bin/python3`` (where Debian's QGIS bindings import).

The job, on stdin: ``{"url": "http://…/tiles/enterprises/{z}/{x}/{y}.mvt", "extent": [minLon, minLat,
maxLon, maxLat], "size": 300}``. The answer: whether QGIS found the layer valid, its CRS, and how
many pixels of the rendered map (white background) it drew on. It imports nothing of the project.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    job = json.load(sys.stdin)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProject,
        QgsRectangle,
        QgsVectorTileLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    QgsApplication.setPrefixPath("/usr", True)
    application = QgsApplication([], False)
    application.initQgis()
    # What "Add Vector Tile Layer → New Generic Connection" writes for an XYZ URL.
    layer = QgsVectorTileLayer(f"type=xyz&url={job['url']}&zmin=0&zmax=24", "tiles")
    answer = {"valid": layer.isValid(), "crs": layer.crs().authid()}
    if layer.isValid():
        mercator = QgsCoordinateReferenceSystem("EPSG:3857")
        to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), mercator, QgsProject.instance())
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(mercator)
        settings.setExtent(to_mercator.transformBoundingBox(QgsRectangle(*job["extent"])))
        size = job["size"]
        settings.setOutputSize(QSize(size, size))
        white = QColor(255, 255, 255)
        settings.setBackgroundColor(white)
        render = QgsMapRendererSequentialJob(settings)
        render.start()
        render.waitForFinished()
        image = render.renderedImage()
        answer["drawn"] = sum(1 for x in range(size) for y in range(size) if image.pixelColor(x, y) != white)
    print(json.dumps(answer))
    application.exitQgis()


if __name__ == "__main__":
    main()
