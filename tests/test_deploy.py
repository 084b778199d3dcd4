"""The Dockerfile and the Kubernetes manifest cannot be run here (no Docker engine, no cluster); what can be
checked is that they say what the server does: its command, port, probe path and variables."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from hostup_mcp import config
from hostup_mcp.cli import build_parser
from hostup_mcp.http import HEALTH_PATH
from tests.http_server import http_server

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCUMENTS = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text()))
KNOWN_VARIABLES = {value for name, value in vars(config).items() if re.fullmatch(r"(ENV|HTTP)_[A-Z_]+", name)}


def instruction(name: str) -> list[str]:
    found = re.search(rf"^{name} (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert found is not None, name
    return json.loads(found.group(1))


def deployment() -> dict[str, Any]:
    (found,) = [document for document in DOCUMENTS if document["kind"] == "Deployment"]
    return found


def container() -> dict[str, Any]:
    (found,) = deployment()["spec"]["template"]["spec"]["containers"]
    return found


def test_the_image_runs_the_http_server_on_all_addresses_as_a_user():
    assert instruction("ENTRYPOINT") == ["hostup-mcp"]
    args = build_parser().parse_args(instruction("CMD"))
    assert (args.transport, args.host, int(args.port)) == ("http", "0.0.0.0", 8000)
    assert re.search(r"^USER 10001$", DOCKERFILE, re.MULTILINE)
    assert 'pip install ".[redis]"' in DOCKERFILE
    assert f"http://127.0.0.1:8000{HEALTH_PATH}" in DOCKERFILE  # the HEALTHCHECK


@pytest.mark.posix  # stops the server with SIGTERM
def test_the_images_command_serves_the_demo():
    # The Dockerfile's own arguments, with only the port made free for the test.
    args = instruction("CMD")
    args[args.index("--port") + 1] = "0"
    with http_server({"HOSTUP_DEMO": "1"}, *args[2:]) as server:  # http_server adds --transport http
        health = httpx2.get(f"{server.base.replace('0.0.0.0', '127.0.0.1')}{HEALTH_PATH}")

    assert health.json() == {"status": "ok"}
    assert "at http://0.0.0.0:" in server.stderr()


def test_the_deployment_matches_the_cli():
    spec = container()
    args = build_parser().parse_args(spec["args"])
    (port,) = spec["ports"]

    assert args.transport == "http" and args.host == "0.0.0.0"
    assert port["containerPort"] == int(args.port) == 8000
    for probe in ("readinessProbe", "livenessProbe"):
        assert spec[probe]["httpGet"] == {"path": HEALTH_PATH, "port": port["name"]}
    assert {variable["name"] for variable in spec["env"]} <= KNOWN_VARIABLES
    assert "preStop" in spec["lifecycle"]


def test_the_deployment_is_three_replicas_locked_down():
    pod = deployment()["spec"]["template"]["spec"]
    spec = container()

    assert deployment()["spec"]["replicas"] == 3
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert set(spec["resources"]) == {"requests", "limits"}
    # drain: the preStop delay and the longest call fit in the grace period
    assert pod["terminationGracePeriodSeconds"] >= 10 + config.DEFAULT_TIMEOUT_SECONDS + 5


def test_the_service_routes_to_the_deployment():
    (service,) = [document for document in DOCUMENTS if document["kind"] == "Service"]

    assert service["spec"]["selector"] == deployment()["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == container()["ports"][0]["name"]


@pytest.mark.parametrize("variable", ["HOSTUP_API_KEY", "HOSTUP_MCP_TOKENS", "HOSTUP_MCP_STATE_SECRET"])
def test_secrets_come_from_a_secret_never_from_the_manifest(variable: str):
    values = {item["name"]: item for item in container()["env"]}
    text = (ROOT / "deploy" / "kubernetes.yaml").read_text()

    assert all(document["kind"] != "Secret" for document in DOCUMENTS)  # no secret value is committed
    if variable in values:
        assert "secretKeyRef" in values[variable]["valueFrom"]
    else:
        assert f"# shared: - name: {variable}" in text


def test_the_pods_get_no_service_account_token():
    assert deployment()["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_the_network_policy_lets_the_pods_reach_only_dns_and_https():
    (policy,) = [document for document in DOCUMENTS if document["kind"] == "NetworkPolicy"]
    spec = policy["spec"]
    reachable = {(port["protocol"], port["port"]) for rule in spec["egress"] for port in rule["ports"]}

    assert spec["podSelector"] == deployment()["spec"]["selector"]
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}  # without Egress listed, all egress stays open
    assert all(set(rule) == {"ports"} for rule in spec["egress"])  # no rule opens every port to some address
    assert reachable == {("UDP", 53), ("TCP", 53), ("TCP", 443)}
    assert [port["port"] for rule in spec["ingress"] for port in rule["ports"]] == [
        container()["ports"][0]["containerPort"]
    ]


def docker_context(root: Path) -> list[Path]:
    """The files `docker build` sends for `root`, by .dockerignore's rules (the last pattern that matches a path
    or one of its parent folders decides; `!` takes a path back in)."""
    rules = [line.strip() for line in (root / ".dockerignore").read_text().splitlines()]
    rules = [rule for rule in rules if rule and not rule.startswith("#")]

    def ignored(relative: str) -> bool:
        verdict = False
        parts = relative.split("/")
        prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
        for rule in rules:
            pattern = rule.removeprefix("!").rstrip("/")
            if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
                verdict = not rule.startswith("!")
        return verdict

    skipped = {".git"}
    return [
        path
        for path in root.rglob("*")
        if path.is_file()
        and not skipped & set(path.relative_to(root).parts)
        and not ignored(path.relative_to(root).as_posix())
    ]


def test_the_docker_build_context_is_what_the_dockerfile_copies_and_no_more():
    sent = {path.relative_to(ROOT).as_posix() for path in docker_context(ROOT)}
    copied = [line.split()[1:-1] for line in DOCKERFILE.splitlines() if line.startswith("COPY ")]
    sources = [source for line in copied for source in line]

    for source in sources:
        assert any(name == source or name.startswith(f"{source.rstrip('/')}/") for name in sent), source
    assert not any(
        name.startswith((".venv", "tests/", "benchmarks/", "mutants/")) or "node_modules" in name for name in sent
    )
    assert not any("__pycache__" in name for name in sent)
    assert sum((ROOT / name).stat().st_size for name in sent) < 2_000_000


OAUTH_DOCUMENTS = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes-oauth.yaml").read_text()))


def oauth_document(kind: str, name: str) -> dict[str, Any]:
    (found,) = [doc for doc in OAUTH_DOCUMENTS if doc["kind"] == kind and doc["metadata"]["name"] == name]
    return found


def test_the_oauth_deployment_starts_in_oauth_mode_on_the_redis_it_ships_with():
    server = oauth_document("Deployment", "hostup-mcp-oauth")["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item for item in server["env"]}
    redis = oauth_document("Service", "hostup-mcp-redis")
    redis_pods = oauth_document("Deployment", "hostup-mcp-redis")["spec"]["selector"]["matchLabels"]

    settings = config.HttpSettings.from_env({name: item["value"] for name, item in env.items() if "value" in item})
    assert settings.oauth and settings.public_url == "https://mcp.example.com"
    assert settings.oauth_store == f"redis://{redis['metadata']['name']}:{redis['spec']['ports'][0]['port']}/0"
    assert redis["spec"]["selector"] == redis_pods
    assert set(env) <= KNOWN_VARIABLES
    assert env["HOSTUP_MCP_STATE_SECRET"]["valueFrom"]["secretKeyRef"].get("optional") is not True  # required
    assert all(doc["kind"] != "Secret" for doc in OAUTH_DOCUMENTS)
    assert build_parser().parse_args(server["args"]).host == "0.0.0.0"


def test_only_the_oauth_pods_reach_redis_and_redis_reaches_nothing():
    server_policy = oauth_document("NetworkPolicy", "hostup-mcp-oauth")["spec"]
    redis_policy = oauth_document("NetworkPolicy", "hostup-mcp-redis")["spec"]
    server_pods = oauth_document("Deployment", "hostup-mcp-oauth")["spec"]["selector"]["matchLabels"]
    redis_pods = oauth_document("Deployment", "hostup-mcp-redis")["spec"]["selector"]["matchLabels"]

    to_redis = [rule for rule in server_policy["egress"] if "to" in rule]
    assert to_redis == [
        {"to": [{"podSelector": {"matchLabels": redis_pods}}], "ports": [{"protocol": "TCP", "port": 6379}]}
    ]
    assert redis_policy["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": server_pods}}], "ports": [{"protocol": "TCP", "port": 6379}]}
    ]
    assert set(redis_policy["policyTypes"]) == {"Ingress", "Egress"} and redis_policy["egress"] == []
