"""``python -m geo``: exit codes and messages people read."""

import shutil
import subprocess
import sys

from tests.conftest import DATA_DIR, MINI_SOURCES, REPO


def run(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=REPO, capture_output=True, text=True, check=False)


def mini(tmp_path):
    shutil.copytree(MINI_SOURCES / "sources", tmp_path / "sources")
    (tmp_path / "boundaries").mkdir()
    shutil.copy(DATA_DIR / "boundaries" / "gba_admin.geojson", tmp_path / "boundaries")
    return tmp_path


def test_shipped_data_validates():
    result = run("-q", "validate")
    assert result.returncode == 0, result.stderr
    assert "built files up to date" in result.stdout


def test_build_shows_progress_and_validate_then_reports_up_to_date(tmp_path):
    data = mini(tmp_path)
    built = run("--data-dir", str(data), "build")
    assert built.returncode == 0
    assert "[1/4] zones: pingshan-zone" in built.stderr and "geocoding clinic: 坪山区" in built.stderr
    assert run("--data-dir", str(data), "-q", "validate").returncode == 0
    again = run("--data-dir", str(data), "-q", "build", "--if-stale")
    assert again.returncode == 0 and "up to date" in again.stderr


def test_stale_built_files_fail_validation(tmp_path):
    data = mini(tmp_path)
    run("--data-dir", str(data), "-q", "build")
    table = data / "sources" / "agencies.yaml"
    table.write_text(
        table.read_text(encoding="utf-8").replace("A Hong Kong statutory body.", "Edited."), encoding="utf-8"
    )
    result = run("--data-dir", str(data), "-q", "validate")
    assert result.returncode == 1 and "stale for: agencies" in result.stderr


def test_bad_source_names_file_line_and_id(tmp_path):
    data = mini(tmp_path)
    table = data / "sources" / "hospitals.yaml"
    table.write_text(table.read_text(encoding="utf-8").replace("place: 坪山区", "place: 平山"), encoding="utf-8")
    result = run("--data-dir", str(data), "-q", "build")
    assert result.returncode == 1
    assert "hospitals.yaml:1 [clinic]: cannot geocode place '平山'" in result.stderr
    assert "no file was changed" in result.stderr


def test_missing_boundaries_is_a_clear_error(tmp_path):
    shutil.copytree(MINI_SOURCES / "sources", tmp_path / "sources")
    result = run("--data-dir", str(tmp_path), "-q", "build")
    assert result.returncode == 1 and "boundary file is missing" in result.stderr and "Traceback" not in result.stderr


def test_geocode_command():
    ok = run("geocode", "坪山區")
    assert ok.returncode == 0 and "\tdistrict\t" in ok.stdout
    missing = run("geocode", "平山")
    assert missing.returncode == 1 and "'平山': not found" in missing.stderr
