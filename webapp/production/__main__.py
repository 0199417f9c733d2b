"""``python -m webapp.production``: start nginx in front of gunicorn and supervise both.

Writes the run directory (the public tree, the JSON error pages, nginx.conf, logs,
nginx's temp files), starts gunicorn on a unix socket in it, then nginx on HOST:PORT,
and stops both on Ctrl-C or SIGTERM (or when either dies), removing a temporary run
directory.  Exits non-zero with a one-line message when it cannot start.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import grp
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webapp.production.nginx import listen_address, render_config, write_error_pages
from webapp.production.tree import write_public_tree

NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
START_TIMEOUT_S = 120  # loading the data and building the indexes, before the workers fork
PR_SET_PDEATHSIG = 1


class StartError(Exception):
    """The setup cannot start; the message says why and what to do."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM while starting."""


def find_nginx() -> str:
    found = shutil.which("nginx") or next((path for path in NGINX_PATHS if os.access(path, os.X_OK)), None)
    if found is None:
        raise StartError("nginx not found: install Debian's nginx (`make nginx`, or apt-get install nginx)")
    return found


def check_port_free(host: str, port: int) -> None:
    """Raise StartError when ``host:port`` cannot be listened on (taken, or not an address of this machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise StartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, _type, _proto, _name, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartError(
                    f"port {port} on {host} is taken (is another server running?); choose another, e.g. PORT={port + 1}"
                ) from None
            raise StartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - listening everywhere is the user's choice


def reachable_host(host: str) -> str:
    """An address of this machine where a server listening on ``host`` answers."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104


def public_url(host: str, port: int) -> str:
    """The address the server answers on, for GBA_PUBLIC_URL when the user did not set it."""
    shown = reachable_host(host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def worker_user() -> str | None:
    """The user nginx's workers switch to when it runs as root (None otherwise)."""
    if os.geteuid() != 0:
        return None
    nobody = pwd.getpwnam("nobody")
    return f"nobody {grp.getgrgid(nobody.pw_gid).gr_name}"


def _die_with_parent() -> None:
    # In the child before exec: if the launcher is killed outright, its servers get SIGTERM
    # (a clean stop for both nginx and gunicorn) instead of holding the port as orphans.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A session of their own: Ctrl-C reaches only the launcher, which stops them in order.
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def _wait_until_accepting(process: subprocess.Popen, name: str, family: int, address, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"{name} exited with status {process.returncode} while starting (its messages are above)")
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(address)
                return
            except OSError:
                time.sleep(0.1)
    raise StartError(f"{name} did not accept connections within {timeout_s:.0f} s")


def _stop(process: subprocess.Popen, first: signal.Signals, grace_s: float) -> None:
    """``first`` (a graceful stop), then SIGTERM, then SIGKILL, each after ``grace_s``."""
    for sig in (first, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


class ProductionServer:
    """nginx and gunicorn over one run directory."""

    def __init__(self, host: str, port: int, workers: int, run_dir: Path | None):
        self.host, self.port, self.workers = host, port, workers
        self.temporary = run_dir is None
        self.run_dir = Path(tempfile.mkdtemp(prefix="gba-serve-")) if run_dir is None else run_dir.resolve()
        self.gunicorn: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "gunicorn.sock"

    def prepare(self, env: dict[str, str]) -> Path:
        """Write the public tree, the error pages and nginx.conf; return the config's path."""
        from geo.dataset import DatasetError
        from webapp import create_app
        from webapp.providers.base import ProviderConfigError

        for stale in ("public", "errors", "tmp"):
            shutil.rmtree(self.run_dir / stale, ignore_errors=True)
        for directory in ("public", "errors", "logs", "tmp"):
            (self.run_dir / directory).mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        os.environ.update(env)  # the app below must read the same settings as gunicorn's
        print("loading the app to write the static files nginx serves", flush=True)
        try:
            app = create_app()
        except (DatasetError, ProviderConfigError, ValueError) as exc:
            # A damaged dataset or a bad setting: the one line that says which, not a traceback.
            raise StartError(f"the app cannot start: {exc}") from None
        files = write_public_tree(app, self.run_dir / "public")
        pages = write_error_pages(app, self.run_dir / "errors")
        user = worker_user()
        if user is not None:
            # nginx's workers run as nobody: they must read the tree (mkdtemp makes it private).
            self.run_dir.chmod(0o755)
            closed = next((p for p in self.run_dir.parents if not p.stat().st_mode & stat.S_IXOTH), None)
            if closed is not None:
                raise StartError(
                    f"nginx's workers run as {user.split()[0]} and cannot enter {closed}: "
                    "choose a --run-dir they can reach, or leave it out (a temporary one)"
                )
        config = render_config(
            run_dir=self.run_dir,
            public_dir=self.run_dir / "public",
            errors_dir=self.run_dir / "errors",
            files=files,
            error_pages=pages,
            upstream_socket=self.socket_path,
            host=self.host,
            port=self.port,
            user=user,
        )
        path = self.run_dir / "nginx.conf"
        path.write_text(config, encoding="utf-8")
        print(
            f"public tree: {len(files)} files ({sum(f.compressed for f in files)} with .gz) in {self.run_dir / 'public'}"
        )
        return path

    def start(self, env: dict[str, str]) -> None:
        nginx = find_nginx()
        config = self.prepare(env)
        print(f"starting gunicorn ({self.workers} workers) on {self.socket_path}", flush=True)
        self.gunicorn = _spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--preload",
                "--workers",
                str(self.workers),
                "--bind",
                f"unix:{self.socket_path}",
                # Its own control socket: the default one in ~/.gunicorn is shared by every instance.
                "--control-socket",
                str(self.run_dir / "gunicorn.ctl"),
                "--graceful-timeout",
                "10",
                "webapp:create_app()",
            ],
            env={**os.environ, **env},
        )
        _wait_until_accepting(self.gunicorn, "gunicorn", socket.AF_UNIX, str(self.socket_path), START_TIMEOUT_S)
        print(f"starting nginx on {listen_address(self.host, self.port)} ({config})", flush=True)
        self.nginx = _spawn(
            [nginx, "-p", f"{self.run_dir}/", "-c", str(config), "-e", "stderr", "-g", "daemon off;"],
            env=dict(os.environ),
        )
        family, _t, _p, _n, address = socket.getaddrinfo(reachable_host(self.host), self.port, type=socket.SOCK_STREAM)[
            0
        ]
        _wait_until_accepting(self.nginx, "nginx", family, address, 30)

    def wait(self, stopping: list[bool]) -> int:
        """Until a signal (``stopping`` set by the handler) or a server dies: 0, or 1 if one died."""
        while not stopping:
            for name, process in (("nginx", self.nginx), ("gunicorn", self.gunicorn)):
                if process is not None and process.poll() is not None:
                    print(f"error: {name} exited with status {process.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        # nginx first, so that no new request reaches a gunicorn that is going away.
        if self.nginx is not None:
            _stop(self.nginx, signal.SIGQUIT, 10)
        if self.gunicorn is not None:
            _stop(self.gunicorn, signal.SIGTERM, 15)
        if self.temporary:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m webapp.production", description="Serve the map with nginx in front of gunicorn."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port nginx listens on (default 5000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument(
        "--run-dir", type=Path, help="keep nginx.conf, logs and the public tree here (default: a temporary directory)"
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port {args.port}: expected 1-65535")
    if args.workers < 1:
        parser.error(f"--workers {args.workers}: expected at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stopping: list[bool] = []
    server: ProductionServer | None = None

    def _on_signal(signum, _frame):
        stopping.append(True)
        if server is None or server.nginx is None:
            raise Interrupted  # still starting: give up at once

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    env = {}
    if not os.environ.get("GBA_PUBLIC_URL"):
        env["GBA_PUBLIC_URL"] = public_url(args.host, args.port)
        if args.host in WILDCARD_HOSTS:
            print(f"note: GBA_PUBLIC_URL is {env['GBA_PUBLIC_URL']}; set it to the address people use", file=sys.stderr)
    try:
        check_port_free(args.host, args.port)
        server = ProductionServer(args.host, args.port, args.workers, args.run_dir)
        print(f"starting in {server.run_dir}")
        server.start(env)
        url = public_url(args.host, args.port)
        print(
            f"serving at {url} (nginx pid {server.nginx.pid} in front of gunicorn pid {server.gunicorn.pid} "
            f"with {args.workers} worker{'s' if args.workers > 1 else ''}); Ctrl-C stops",
            flush=True,
        )
        status = server.wait(stopping)
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        status = 1
    except Interrupted:
        status = 0
    finally:
        if server is not None:
            if server.nginx is not None or server.gunicorn is not None:
                print("stopping nginx and gunicorn", flush=True)
            server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
