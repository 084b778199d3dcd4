"""A private CA for tests that need HTTPS on 127.0.0.1: a CA nobody's bundle holds, and a certificate it signed."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class PrivateCa:
    """A CA nobody's bundle holds, and a certificate it signed for 127.0.0.1."""

    def __init__(self, directory: Path) -> None:
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name("hostup-mcp test proxy CA"))
            .issuer_name(name("hostup-mcp test proxy CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(*[False] * 5, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = (
            x509.CertificateBuilder()
            .subject_name(name("127.0.0.1"))
            .issuer_name(self.certificate.subject)
            .public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = directory / "proxy-ca.pem"
        self.ca_file.write_bytes(pem(self.certificate))
        chain, key = directory / "server.pem", directory / "server-key.pem"
        chain.write_bytes(pem(server))
        key.write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_context.load_cert_chain(chain, key)

    def as_openssl_directory(self, directory: Path) -> Path:
        """The CA as OpenSSL's system certificate directory holds it: named by its subject hash."""
        directory.mkdir()
        subject_hash = subprocess.run(
            ["openssl", "x509", "-noout", "-subject_hash", "-in", str(self.ca_file)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (directory / f"{subject_hash}.0").write_bytes(pem(self.certificate))
        return directory
