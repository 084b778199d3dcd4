"""The packed MCP bundle, the uvx command and the registry entry: built and started as a host would."""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters

from hostup_mcp import __version__, config
from hostup_mcp.hostup.sandbox import DOCUMENTED_ISO_MEDIA, EXAMPLE_VPS_ID
from tests.other_clients import node_bin, require
from tests.results import hostup_document

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


# What a host's own environment would give uv to reach PyPI here (this machine uses its own CA bundle).
NETWORK_VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "UV_CACHE_DIR",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
)


def network_env() -> dict[str, str]:
    return {name: os.environ[name] for name in NETWORK_VARIABLES if name in os.environ}


def require_package_index() -> None:
    """uv installs the dependencies from the package index: without it there is nothing to test."""
    index = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or "https://pypi.org/simple/"
    try:
        cafile = os.environ.get("SSL_CERT_FILE")
        verify = ssl.create_default_context(cafile=cafile) if cafile else True
        httpx.head(index, timeout=5, verify=verify).raise_for_status()
    except httpx.HTTPError as exc:
        require(f"the package index ({index}: {type(exc).__name__})", False, "this test needs the network")


def required_tool(name: str) -> str:
    found = shutil.which(name)
    require(name, found is not None)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle built by the documented script, unpacked as a host would."""
    mcpb = Path(node_bin("mcpb"))
    out = tmp_path_factory.mktemp("dist")
    # the script runs mcpb and uv from PATH
    path = os.pathsep.join([str(mcpb.parent), str(Path(sys.executable).parent), os.environ["PATH"]])
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "pack-bundle.sh"), str(out)],
        check=True,
        capture_output=True,
        env={**os.environ, "PATH": path},
    )
    (packed,) = out.glob("*.mcpb")
    assert packed.name == f"hostup-mcp-{__version__}.mcpb"
    # ~60 kB of our code and data, ~180 kB for the view (the official App class is ~540 kB before zipping),
    # ~40 kB for the lock
    assert packed.stat().st_size < 400_000
    unpacked = tmp_path_factory.mktemp("extension")
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(unpacked)
    return unpacked


def substitute(value: str, dirname: Path, user_config: dict[str, Any]) -> str:
    """What a host does to mcp_config: ${__dirname} and ${user_config.X} (defaults where not set)."""
    value = value.replace("${__dirname}", str(dirname))

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        chosen = user_config.get(name, MANIFEST["user_config"][name].get("default", ""))
        return str(chosen).lower() if isinstance(chosen, bool) else str(chosen)

    return re.sub(r"\$\{user_config\.(\w+)\}", setting, value)


def test_bundle_holds_what_the_manifest_needs_and_nothing_else(bundle: Path):
    files = {path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()}

    assert MANIFEST["server"]["entry_point"] in files
    assert {"manifest.json", "pyproject.toml", "uv.lock", ".python-version", MANIFEST["icon"]} <= files
    assert {f"LICENSES/{path.name}" for path in (ROOT / "LICENSES").iterdir()} <= files
    assert all(not name.startswith(("tests/", "benchmarks/", ".venv/", ".ci/", "scripts/")) for name in files)
    assert f'__version__ = "{MANIFEST["version"]}"' in (bundle / "hostup_mcp" / "__init__.py").read_text()
    project = tomllib.loads((bundle / "pyproject.toml").read_text())
    assert project["project"]["dependencies"] == PYPROJECT["project"]["dependencies"]
    assert "optional-dependencies" not in project["project"]  # nothing of the tests or benchmarks
    assert project["tool"]["uv"]["package"] is False  # run from source: no build backend fetched at first start


def locked_versions(lock: Path) -> dict[str, str]:
    """Each locked package's version (the project itself has none: its version is dynamic)."""
    return {package["name"]: package.get("version", "") for package in tomllib.loads(lock.read_text())["package"]}


def test_the_bundle_locks_the_runtime_dependencies_at_the_projects_locked_versions(bundle: Path):
    project = locked_versions(ROOT / "uv.lock")
    carried = locked_versions(bundle / "uv.lock")

    del carried["hostup-mcp"]  # the project itself: dynamic in the project lock, written out in the bundle
    assert {name: project[name] for name in carried} == carried  # every version is the one CI tested
    assert {"mcp", "httpx", "pydantic", "uvicorn", "truststore"} <= set(carried)
    assert not {"pytest", "hypothesis", "fastmcp", "playwright", "mutmut", "ruff"} & set(carried)
    assert (bundle / ".python-version").read_text().strip() == "3.11"


@pytest.mark.anyio
async def test_bundle_starts_exactly_as_mcp_config_says_and_lists_its_tools(bundle: Path):
    required_tool("uv")
    config = MANIFEST["server"]["mcp_config"]
    # demo: no network needed for the call; writes on: the manifest lists every tool the server can offer
    user_config = {"api_key": "hu_bundle_test_key", "demo": True, "enable_writes": True}
    env = {name: substitute(value, bundle, user_config) for name, value in config["env"].items()}
    params = StdioServerParameters(
        command=required_tool(config["command"]),
        args=[substitute(arg, bundle, user_config) for arg in config["args"]],
        env={**env, **network_env()},
    )
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert [tool.name for tool in tools] == [tool["name"] for tool in MANIFEST["tools"]]
    assert hostup_document(result) == {**DOCUMENTED_ISO_MEDIA, "demo": True}
    # The environment uv made in the extension's folder holds exactly the locked versions.
    installed = installed_versions(bundle / ".venv")
    # (the lock also holds what only other systems install, such as pywin32)
    assert installed.items() <= locked_versions(bundle / "uv.lock").items()
    assert {"mcp", "httpx", "pydantic", "pydantic-core", "uvicorn", "truststore"} <= set(installed)


def installed_versions(venv: Path) -> dict[str, str]:
    interpreter = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    listing = "import importlib.metadata as m, json; print(json.dumps({d.name: d.version for d in m.distributions()}))"
    found = json.loads(subprocess.run([interpreter, "-c", listing], check=True, capture_output=True).stdout)
    return {canonical(name): version for name, version in found.items()}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.anyio
async def test_uvx_from_a_checkout_serves_the_demo():
    require_package_index()
    params = StdioServerParameters(
        command=required_tool("uvx"), args=["--from", str(ROOT), "hostup-mcp", "--demo"], env=network_env()
    )
    async with Client(params) as client:
        result = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert result.structured_content["demo"] is True


def test_registry_entry_matches_the_package():
    server = json.loads((ROOT / "server.json").read_text())
    (package,) = server["packages"]
    readme = (ROOT / "README.md").read_text()

    assert server["version"] == package["version"] == __version__
    assert package["identifier"] == PYPROJECT["project"]["name"]
    assert package["registryType"] == "pypi"
    assert package["transport"] == {"type": "stdio"}
    assert f"mcp-name: {server['name']}" in readme  # how the registry verifies PyPI ownership
    assert len(server["description"]) <= 100
    assert server["repository"]["url"] == MANIFEST["repository"]["url"]
    variables = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert variables["HOSTUP_API_KEY"]["isSecret"] is True
    assert variables["HOSTUP_API_KEY"]["isRequired"] is False  # demo mode needs none
    assert tuple(variables) == config.SERVER_VARIABLES


def test_manifest_user_config_reaches_the_server_as_the_documented_variables():
    env = MANIFEST["server"]["mcp_config"]["env"]

    assert env == {
        "HOSTUP_API_KEY": "${user_config.api_key}",
        "HOSTUP_BASE_URL": "${user_config.base_url}",
        "HOSTUP_TIMEOUT": "${user_config.timeout}",
        "HOSTUP_DEMO": "${user_config.demo}",
        "HOSTUP_ENABLE_WRITES": "${user_config.enable_writes}",
        "HOSTUP_UI": "${user_config.ui}",
        "HOSTUP_CA_FILE": "${user_config.ca_file}",
    }
    assert MANIFEST["user_config"]["api_key"]["sensitive"] is True
    assert MANIFEST["user_config"]["api_key"]["required"] is False  # Demo mode needs no key
