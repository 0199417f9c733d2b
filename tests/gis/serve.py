"""Serve the app on 127.0.0.1 (a free port) for the GIS client tests: ``python -m tests.gis.serve DATA_DIR``.

It prints ``PORT <n>`` once listening. The tests run it in a child process
rather than a thread because pyogrio holds the GIL while GDAL reads features,
so a server thread in the test process could never answer GDAL's next page.
"""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from webapp import create_app


def main(data_dir: str) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": data_dir})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # The API's links must point back here for GDAL and OWSLib to follow them (known once bound).
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
