"""The sdist and the wheel as PyPI would receive them: built, checked with twine, and read back."""

from __future__ import annotations

import email
import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

from hostup_mcp import __version__

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tests" / "clients" / "node_modules"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def wheel_metadata(dist: Path) -> tuple[Message, list[str]]:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"hostup_mcp-{__version__}.dist-info/METADATA").decode()
    return email.message_from_string(metadata), names


def test_twine_accepts_both_as_pypi_would(dist: Path):
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_the_wheel_ships_every_licence_its_expression_names(dist: Path):
    metadata, names = wheel_metadata(dist)
    licences = {name.rpartition("/licenses/")[2] for name in names if "/licenses/" in name}

    assert metadata["License-Expression"] == "MIT AND Apache-2.0"
    assert licences == {"LICENSE", *(f"LICENSES/{path.name}" for path in (ROOT / "LICENSES").iterdir())}
    assert "Apache License" in (ROOT / "LICENSES" / "modelcontextprotocol-ext-apps.txt").read_text()


def test_the_pypi_page_has_the_readme_with_absolute_links_and_the_project_urls(dist: Path):
    metadata, _ = wheel_metadata(dist)
    description = metadata.get_payload()
    assert isinstance(description, str)
    targets = re.findall(r"\]\(([^)\s]+)\)", description)

    assert metadata["Version"] == __version__
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "![The ISO media view" in description
    assert targets and all(target.startswith("https://") for target in targets)
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog", "Security"} <= set(urls)
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.13" in classifiers
    assert "Operating System :: Microsoft :: Windows" in classifiers


def test_the_sdist_leaves_the_tests_out_and_can_rebuild_the_view(dist: Path, tmp_path: Path):
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    files = {path.relative_to(unpacked).as_posix() for path in unpacked.rglob("*") if path.is_file()}

    assert not any(name.startswith("tests/") for name in files)  # they need this repository's clients and fakes
    assert {"scripts/build_view.py", "scripts/view/iso_media.html", "CHANGELOG.md", "LICENSE"} <= files
    if not (NODE_MODULES / "@modelcontextprotocol" / "ext-apps").exists():
        pytest.skip("the view's build needs @modelcontextprotocol/ext-apps: npm ci --prefix tests/clients")
    rebuilt = subprocess.run(
        [sys.executable, "scripts/build_view.py", "--check", "--node-modules", str(NODE_MODULES)],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr  # the sdist's template and script make the view it ships
