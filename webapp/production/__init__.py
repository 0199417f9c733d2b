"""Production serving: nginx in front of gunicorn, configured and started by ``python -m webapp.production``.

nginx (Debian's, run unprivileged from a run directory) reads every request in full
before the app sees it, so slow clients cost it a connection each, never a gunicorn
worker; it serves the static assets and the pre-compressed whole-layer downloads itself
(``tree``), refuses oversized requests and rate-limits search with the app's JSON error
bodies (``nginx``).  See docs/production.md.
"""

from webapp.production.nginx import LIMITS, Limits, render_config, write_error_pages
from webapp.production.tree import StaticFile, public_urls, write_public_tree

__all__ = ["LIMITS", "Limits", "StaticFile", "public_urls", "render_config", "write_error_pages", "write_public_tree"]
