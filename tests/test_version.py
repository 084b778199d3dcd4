"""One version: hostup_mcp/__init__.py. Every other file that has to spell it out says the same."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

from hostup_mcp import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_takes_its_version_from_the_module():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["hatch"]["version"] == {"path": "hostup_mcp/__init__.py"}


def test_the_bundle_and_the_registry_entry_carry_the_package_version():
    manifest = json.loads((ROOT / "manifest.json").read_text())
    server = json.loads((ROOT / "server.json").read_text())

    assert manifest["version"] == __version__
    assert server["version"] == __version__
    assert [package["version"] for package in server["packages"]] == [__version__]


def test_the_kubernetes_image_is_the_package_version():
    (deployment,) = [
        doc
        for doc in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())
        if doc and doc["kind"] == "Deployment"
    ]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]

    assert container["image"].rpartition(":")[2] == __version__


def test_the_view_introduces_itself_with_the_package_version():
    view = (ROOT / "hostup_mcp" / "tools" / "iso_media_view.html").read_text()

    assert re.findall(r'new App\(\{ name: "hostup-mcp ISO media", version: "([^"]+)" \}', view) == [__version__]


def test_the_changelog_has_an_entry_for_the_package_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()

    assert re.search(rf"^## \[{re.escape(__version__)}\]", changelog, re.MULTILINE)
