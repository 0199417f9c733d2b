"""Open layers in QGIS, headless, and print what QGIS sees as JSON: run by ``tests/gis/test_qgis.py``.

QGIS's Python bindings (Debian's ``python3-qgis``) import only in the system
Python, not in the project's virtualenv, so the tests run this file with
``/usr/bin/python3`` and talk to it in JSON. It imports nothing of the project.

The job, on stdin::

    {"layers": [{"name": "zones", "source": "url='http://…/ogcapi' typename='zones'", "provider": "OAPIF"},
                {"name": "all.gpkg", "source": "/vsicurl/http://…/download/all.gpkg", "sublayers": true}]}

The answer, on stdout: one object per layer with whether QGIS found it valid,
what QGIS logged while reading it, its feature count as the provider says it,
its fields with their QGIS types, its geometry and WKB types, its CRS, and per
feature every attribute (NULL as ``null``) and the geometry's WKB type (as
``@geometry``). With ``sublayers``, the file's layers are listed as QGIS's "Add Vector
Layer" lists them, and each is described under ``sublayers`` by its name and geometry type.
"""

from __future__ import annotations

import json
import os
import sys


def _plain(value):
    """A QGIS attribute value as JSON: NULL becomes None, dates and other Qt types their text."""
    from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    if isinstance(value, (QDate, QDateTime)):
        return value.toString("yyyy-MM-ddTHH:mm:ss" if isinstance(value, QDateTime) else "yyyy-MM-dd")
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)


def describe(layer) -> dict:
    from qgis.core import QgsWkbTypes
    from qgis.PyQt.QtCore import QVariant

    answer = {"valid": layer.isValid()}
    if not layer.isValid():
        return answer
    fields = layer.fields()
    features = []
    for feature in layer.getFeatures():
        row = {field.name(): _plain(value) for field, value in zip(fields, feature.attributes())}
        geometry = feature.geometry()
        row["@geometry"] = None if geometry.isNull() else QgsWkbTypes.displayString(geometry.wkbType())
        features.append(row)
    answer.update(
        provider_count=layer.featureCount(),
        features=features,
        fields=[
            {"name": field.name(), "type": QVariant.typeToName(field.type()), "type_name": field.typeName()}
            for field in fields
        ],
        geometry_type=QgsWkbTypes.geometryDisplayString(layer.geometryType()),
        wkb_type=QgsWkbTypes.displayString(layer.wkbType()),
        crs=layer.crs().authid(),
    )
    return answer


def main() -> None:
    job = json.load(sys.stdin)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import Qgis, QgsApplication, QgsProviderRegistry, QgsVectorLayer, QgsWkbTypes

    QgsApplication.setPrefixPath("/usr", True)
    application = QgsApplication([], False)
    application.initQgis()
    # What QGIS logs (a provider's reason for an invalid layer): QgsVectorLayer.error() crashes 3.22.
    messages = []
    QgsApplication.messageLog().messageReceived.connect(lambda text, tag, _level: messages.append(f"{tag}: {text}"))
    answers = {}
    for spec in job["layers"]:
        if spec.get("sublayers"):
            # A file may hold several layers (a GeoPackage's tables, a zip's shapefiles, KML folders)
            # or several geometry types in one (GeoJSON, CSV): QGIS's "Add Vector Layer" lists a
            # layer for each table and geometry type, and adds each as its own layer.
            found = QgsProviderRegistry.instance().querySublayers(
                spec["source"], Qgis.SublayerQueryFlag.ResolveGeometryType
            )
            # Named by table and geometry type, as QGIS names the layers it adds from one file.
            answer = {
                "sublayers": {
                    f"{sub.name()} ({QgsWkbTypes.displayString(sub.wkbType())})": describe(
                        QgsVectorLayer(sub.uri(), sub.name(), "ogr")
                    )
                    for sub in found
                }
            }
        else:
            answer = describe(QgsVectorLayer(spec["source"], spec["name"], spec["provider"]))
        QgsApplication.processEvents()
        answer["messages"] = messages[:]
        messages.clear()
        answers[spec["name"]] = answer
    sys.stdout.write(json.dumps(answers, ensure_ascii=False))
    sys.stdout.flush()
    # QGIS 3.22 crashes in exitQgis() when run headless; nothing is left to clean up.
    os._exit(0)


if __name__ == "__main__":
    main()
