"""Which certificates the installed server trusts for HostUp: the OS store, SSL_CERT_FILE and HOSTUP_CA_FILE.

A private CA (what a TLS-inspecting proxy signs with) signs the certificate of a scripted HTTPS HostUp; the
console script is run with that CA in exactly one place at a time, and must trust it there and only there.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostup_mcp.hostup.sandbox import DOCUMENTED_ISO_MEDIA, EXAMPLE_VPS_ID
from tests.private_ca import PrivateCa
from tests.scripted_server import ScriptedServer, json_step
from tests.test_cli import console_script

ISO_PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
# Variables that would let the child trust something other than what each test gives it.
TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HOSTUP_CA_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture
def private_ca(tmp_path: Path) -> PrivateCa:
    return PrivateCa(tmp_path)


def iso_through_https(ca: PrivateCa, prefix: list[str] | None = None, **trust: str) -> dict[str, object]:
    """`hostup-mcp iso --json` against an HTTPS HostUp whose certificate `ca` signed, trusting only `trust`."""
    hostup = ScriptedServer(tls=ca.server_context)
    hostup.script(ISO_PATH, json_step(200, DOCUMENTED_ISO_MEDIA))
    env = {name: value for name, value in os.environ.items() if name not in TRUST_VARIABLES}
    with hostup.running():
        env |= {"HOSTUP_API_KEY": "hu_trust_test_key", "HOSTUP_BASE_URL": hostup.base_url, **trust}
        done = subprocess.run(
            [*(prefix or []), console_script(), "iso", EXAMPLE_VPS_ID, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    shown = json.loads(done.stdout)
    assert isinstance(shown, dict)
    return shown


def test_without_the_private_ca_hostups_certificate_is_refused_and_how_to_trust_it_is_said(private_ca: PrivateCa):
    shown = iso_through_https(private_ca)

    assert shown["code"] == "certificate_not_trusted"
    assert "HOSTUP_CA_FILE" in str(shown["detail"])


SYSTEM_STORE = Path("/etc/ssl/certs")  # where Debian's and Ubuntu's OpenSSL looks for trusted CAs


def with_system_store(directory: Path) -> list[str] | None:
    """A command prefix that runs a program with `directory` mounted over the system store, for that program
    alone (a private mount namespace); None where this machine cannot make one."""
    mount = f'mount --bind {shlex.quote(str(directory))} {SYSTEM_STORE} && exec "$@"'
    for namespaces in (["--mount"], ["--user", "--map-root-user", "--mount"]):
        prefix = ["unshare", *namespaces, "sh", "-c", mount, "sh"]
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    return None


def test_a_ca_that_only_the_system_store_holds_is_trusted(private_ca: PrivateCa, tmp_path: Path):
    # The store holds the private CA and nothing else; certifi's bundle (httpx's default) does not hold it, and
    # no variable names it: only a client that reads the operating system's store can trust HostUp here.
    if sys.platform != "linux" or shutil.which("unshare") is None:
        pytest.skip("needs Linux, whose system store is a folder that one program can be given its own copy of")
    prefix = with_system_store(private_ca.as_openssl_directory(tmp_path / "system-certs"))
    if prefix is None:
        pytest.skip("needs Linux and a private mount namespace (unshare) to give one program its own system store")

    shown = iso_through_https(private_ca, prefix=prefix)

    assert shown["available"] == DOCUMENTED_ISO_MEDIA["available"]


def test_hostup_ca_file_adds_a_ca_the_system_does_not_hold(private_ca: PrivateCa):
    shown = iso_through_https(private_ca, HOSTUP_CA_FILE=str(private_ca.ca_file))

    assert shown["available"] == DOCUMENTED_ISO_MEDIA["available"]


def test_ssl_cert_file_still_adds_a_ca(private_ca: PrivateCa):
    shown = iso_through_https(private_ca, SSL_CERT_FILE=str(private_ca.ca_file))

    assert shown["available"] == DOCUMENTED_ISO_MEDIA["available"]


def test_a_ca_file_setting_that_names_no_certificate_stops_the_start_with_one_line(tmp_path: Path):
    not_pem = tmp_path / "ca.der"
    not_pem.write_bytes(b"\x30\x82")
    env = {**os.environ, "HOSTUP_API_KEY": "hu_trust_test_key"}

    for value, words in ((str(tmp_path / "missing.pem"), "cannot be read"), (str(not_pem), "no PEM certificate")):
        done = subprocess.run(
            [console_script(), "check"],
            env={**env, "HOSTUP_CA_FILE": value},
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1
        assert "HOSTUP_CA_FILE" in done.stderr
        assert words in done.stderr
