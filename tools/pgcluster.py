"""A throwaway PostgreSQL + PostGIS cluster in a directory: for the tests, the bench and local trials.

``Cluster(directory).start()`` runs Debian's ``initdb`` and ``pg_ctl`` (PostgreSQL 15) on a free
port bound to 127.0.0.1, creates a database with the PostGIS extension and gives its URL;
``stop()`` shuts it down, and the directory can then be deleted.  PostgreSQL refuses to run as
root, so as root the cluster runs as the ``postgres`` system user (which the Debian package
creates) and the directory is handed to it.

    python -m tools.pgcluster start DIR     # prints the database URL; the cluster keeps running
    python -m tools.pgcluster stop DIR

Nothing here is used by the app: it reads ``GBA_DATABASE_URL`` and may point at any server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

PG_VERSION = "15"
BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
DATABASE = "gba"  # also spelled out in the existence check below
INSTALL_HINT = "run `make postgis` (Debian: apt-get install postgresql-15-postgis-3)"


class ClusterError(RuntimeError):
    """The cluster could not be created or started (the message says why and what to run)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> str | None:
    """None when PostgreSQL 15 and PostGIS are installed, else what is missing and how to get it."""
    if not (BIN / "initdb").exists():
        return f"PostgreSQL {PG_VERSION} is not installed ({BIN / 'initdb'} missing): {INSTALL_HINT}"
    if not Path(f"/usr/share/postgresql/{PG_VERSION}/extension/postgis.control").exists():
        return f"PostGIS is not installed for PostgreSQL {PG_VERSION}: {INSTALL_HINT}"
    return None


class Cluster:
    """One cluster in ``directory`` (``data/`` for the cluster, ``port`` for its port, ``log``)."""

    def __init__(self, directory: str | Path, port: int | None = None):
        self.directory = Path(directory).resolve()
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port_file = self.directory / "port"
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _as_owner(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a PostgreSQL program as the cluster's owner (``postgres`` when we are root)."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")

            def demote():  # runs in the child, before exec
                os.setgid(owner.pw_gid)
                os.setuid(owner.pw_uid)

            kwargs["preexec_fn"] = demote
            kwargs["env"] = {**os.environ, "HOME": owner.pw_dir, "USER": "postgres"}
            kwargs.setdefault("cwd", "/")
        return subprocess.run(argv, **kwargs)

    def _check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            detail = (result.stderr or result.stdout or "").strip().splitlines()[-5:]
            log_tail = self.log.read_text(errors="replace").strip().splitlines()[-5:] if self.log.exists() else []
            raise ClusterError(f"{what} failed (exit {result.returncode}): " + " / ".join(detail + log_tail))

    def start(self, settings: dict[str, str] | None = None) -> Cluster:
        """Create the cluster if needed, start it and make sure the PostGIS database exists."""
        missing = available()
        if missing:
            raise ClusterError(missing)
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._check(
                self._as_owner(
                    [
                        str(BIN / "initdb"),
                        "-D",
                        str(self.data),
                        "-A",
                        "trust",
                        "-U",
                        "postgres",
                        "-E",
                        "UTF8",
                        "--locale",
                        "C.UTF-8",
                    ]
                ),
                "initdb",
            )
        if self.port is None:
            self.port = free_port()
        options = [f"-p {self.port}", f"-k {self.directory}", "-c listen_addresses=127.0.0.1", "-c fsync=off"]
        options += [f"-c {key}={value}" for key, value in (settings or {}).items()]
        self._check(
            self._as_owner(
                [
                    str(BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    " ".join(options),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            "pg_ctl start",
        )
        self.port_file.write_text(str(self.port))
        psql = [str(BIN.parent / "bin" / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qAt"]
        exists = self._as_owner(psql + ["-d", "postgres", "-c", "select 1 from pg_database where datname = 'gba'"])
        self._check(exists, "psql")
        if exists.stdout.strip() != "1":
            self._check(
                self._as_owner(psql + ["-d", "postgres", "-c", f"create database {DATABASE}"]), "create database"
            )
        self._check(
            self._as_owner(psql + ["-d", DATABASE, "-c", "create extension if not exists postgis"]),
            "create extension postgis",
        )
        return self

    def stop(self) -> None:
        """Stop the cluster (fast shutdown); a cluster that is not running is left as it is."""
        if not (self.data / "postmaster.pid").exists():
            return
        self._as_owner([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"])

    @classmethod
    def running(cls, directory: str | Path) -> Cluster:
        """The cluster started earlier in ``directory`` (its port read back)."""
        cluster = cls(directory)
        if not cluster.port_file.exists():
            raise ClusterError(f"{cluster.directory}: no cluster was started here")
        cluster.port = int(cluster.port_file.read_text())
        return cluster


@contextlib.contextmanager
def throwaway(directory: str | Path, settings: dict[str, str] | None = None, keep: bool = False):
    """A started cluster for the ``with`` block; stopped (and its directory removed unless ``keep``) after."""
    cluster = Cluster(directory)
    try:
        yield cluster.start(settings)
    finally:
        cluster.stop()
        if not keep:
            shutil.rmtree(cluster.directory, ignore_errors=True)


def wait_for(url: str, seconds: float = 30) -> None:
    """Return once a connection to ``url`` succeeds (raise ClusterError after ``seconds``)."""
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ClusterError(f"{url}: no answer ({exc})") from exc
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pgcluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "url"))
    parser.add_argument("directory")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(Cluster(args.directory).start().url)
        elif args.action == "stop":
            Cluster(args.directory).stop()
        else:
            print(Cluster.running(args.directory).url)
    except ClusterError as exc:
        print(f"pgcluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
