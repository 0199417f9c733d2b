"""Run ``python -m geo`` with the file system failing at one chosen call (used by test_atomic_build).

    python tests/geo/faulty_build.py FAULT N COUNT_FILE [COMPILED_CACHE] -- GEO_ARGS...

Every call the build makes to ``os.write``, ``os.fsync``, ``os.mkdir``, ``os.rename``,
``os.replace``, ``os.unlink``, ``os.rmdir`` and the directory exchange
(``geo.dataset._renameat2_exchange``) is counted; at call ``N`` (0: never; ``exchange``:
the exchange) the fault happens instead of the call:

- ``kill``: the process is killed with SIGKILL (a power cut, an OOM kill, ``kill -9``);
- an errno name (``ENOSPC``, ``EROFS``, ``EACCES``): the call raises that OSError.

The number of calls made is written to COUNT_FILE when the build ends by itself.

With COMPILED_CACHE, the compile step (reading, geocoding and checking the sources:
pure, no counted call) runs once and its result is reused by later runs, so that
killing a build at each of its ~50 file system calls costs seconds, not minutes.
Everything from rendering the files to publishing them is the real code.
"""

from __future__ import annotations

import errno
import os
import pickle
import signal
import sys
from pathlib import Path

COUNTED = ("write", "fsync", "mkdir", "rename", "replace", "unlink", "rmdir")


def main() -> int:
    dash = sys.argv.index("--")
    fault, at, count_file, *cache = sys.argv[1:dash]
    geo_args = sys.argv[dash + 1 :]
    at = int(at) if at.isdigit() else at
    calls = 0

    import geo.dataset
    from geo import pipeline
    from geo.cli import main as geo_main

    if cache:
        reuse_compiled(pipeline, Path(cache[0]))

    def counted(function, name):
        def call(*args, **kwargs):
            nonlocal calls
            calls += 1
            if at in (calls, name):
                if fault == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                code = getattr(errno, fault)
                raise OSError(code, os.strerror(code))
            return function(*args, **kwargs)

        return call

    for name in COUNTED:
        setattr(os, name, counted(getattr(os, name), name))
    geo.dataset._renameat2_exchange = counted(geo.dataset._renameat2_exchange, "exchange")
    status = geo_main(geo_args)
    Path(count_file).write_text(str(calls), encoding="utf-8")
    return status


def reuse_compiled(pipeline, cache: Path) -> None:
    compile_data = pipeline.compile_data

    def cached(*args, **kwargs):
        if cache.exists():
            return pickle.loads(cache.read_bytes())  # noqa: S301 -- written by an earlier run of this test
        result = compile_data(*args, **kwargs)
        cache.write_bytes(pickle.dumps(result))
        return result

    pipeline.compile_data = cached


if __name__ == "__main__":
    sys.exit(main())
