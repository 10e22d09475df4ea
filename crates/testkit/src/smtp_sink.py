"""An SMTP sink for tessera's tests: aiosmtpd with optional TLS and AUTH.

usage: smtp_sink.py PORT MAILDIR MODE [USER PASSWORD]
MODE: plain | starttls | tls. For starttls and tls the sink makes a private CA
(MAILDIR/../ca.pem, which the client must trust) and a certificate for 127.0.0.1.
With USER and PASSWORD, AUTH PLAIN/LOGIN is required (after TLS).
"""
import asyncio
import datetime
import ipaddress
import pathlib
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def self_signed(dirpath):
    """A private CA (written to ca.pem for the client) and a server certificate it signs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signing_key, ca):
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return b.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tessera test CA")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    leaf = build(leaf_name, ca_name, key.public_key(), ca_key, False)
    pem = serialization.Encoding.PEM
    (dirpath / "ca.pem").write_bytes(ca.public_bytes(pem))
    (dirpath / "server.pem").write_bytes(leaf.public_bytes(pem))
    (dirpath / "server-key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(dirpath / "server.pem", dirpath / "server-key.pem")
    return ctx


def main():
    port, maildir, mode = int(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
    user, password = (sys.argv[4].encode(), sys.argv[5].encode()) if len(sys.argv) > 5 else (None, None)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
        # handled=False lets aiosmtpd answer 535 itself on failure.
        return AuthResult(success=ok, handled=ok)

    kwargs = {}
    if user:
        # Implicit TLS is TLS from the start; aiosmtpd only counts STARTTLS as such.
        kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=mode == "starttls")
    if mode in ("starttls", "tls"):
        ctx = self_signed(maildir.parent)
        if mode == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=ctx)
    controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.Event().wait())
    finally:
        controller.stop()


main()
