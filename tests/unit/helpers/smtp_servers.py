# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Small threaded SMTP test servers and a throw-away PKI for the smtp_probe tests.

Only ever bound to loopback or to addresses inside network namespaces the tests
create. Can also run as a script (used inside a test network namespace)::

    python smtp_servers.py --bind 10.231.0.2 --cert c.pem --key k.pem starttls:587 implicit:465

prints ``READY name=port ...`` once listening and serves until killed or until
standard input closes.
"""

import argparse
import binascii
import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.realpath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
# The collection as ansible_collections.egress.mail (the symlink tests/unit/conftest.py makes).
COLLECTIONS = os.path.join(REPO_ROOT, ".cache", "collections")
MODULE = os.path.join(REPO_ROOT, "plugins", "modules", "smtp_probe.py")

# Addresses of the veth pair between the two network namespaces the tests create.
# They exist only inside those namespaces; nothing is routed anywhere else.
NETNS_PROBE = "10.231.0.1"
NETNS_TARGET = "10.231.0.2"
NETNS_TARGET2 = "10.231.0.3"  # a second address of the target namespace
NETNS_PREFIX_LEN = 29

BEHAVIOURS = (
    "starttls",  # 220, EHLO offers STARTTLS; after TLS, EHLO offers AUTH PLAIN LOGIN
    "plain",  # 220, EHLO offers AUTH but no STARTTLS
    "close",  # accepts and closes at once
    "silent",  # accepts and never says anything
    "reject",  # greets with 554
    "implicit",  # TLS from the first byte, then 220 and AUTH PLAIN LOGIN
    "broken_tls",  # offers STARTTLS, answers 220, then sends garbage instead of TLS
    "starttls_454",  # offers STARTTLS, answers 454 to it
    "garbage",  # greets with an SSH banner (not SMTP)
    "slow",  # like starttls, but waits `delay` before every reply
)

# What a server does once TLS is up (keyword ``after_tls``; None: carry on as its behaviour says).
AFTER_TLS = (
    None,
    "close",  # closes the connection right after the handshake
    "garbage",  # sends a line that is not an SMTP reply, then closes
    "silent",  # reads commands and never answers
    # 'reply:<line>': answers every command over TLS (EHLO included) with <line>, e.g. 'reply:554 5.7.0 no'
)

# ---------------------------------------------------------------------------
# PKI


def make_pki(directory):
    """Create a CA, a server certificate for localhost/127.0.0.1/::1/NETNS_TARGET and an unrelated CA.

    Returns a dict with ``ca_file``, ``cert_file``, ``key_file``, ``other_ca_file``.
    Uses the ``cryptography`` package when importable, else the ``openssl`` CLI.
    """
    paths = {
        "ca_file": os.path.join(directory, "ca.pem"),
        "cert_file": os.path.join(directory, "server.pem"),
        "key_file": os.path.join(directory, "server.key"),
        "other_ca_file": os.path.join(directory, "other-ca.pem"),
    }
    try:
        import cryptography  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        _make_pki_openssl(directory, paths)
    else:
        _make_pki_cryptography(paths)
    return paths


def _make_pki_cryptography(paths):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def make_ca(common_name):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(common_name))
            .issuer_name(name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return key, cert

    ca_key, ca_cert = make_ca("egress.mail test CA")
    dummy_key, other_cert = make_ca("egress.mail unrelated CA")
    server_key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
            x509.IPAddress(ipaddress.ip_address(NETNS_TARGET)),
        ]
    )
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(paths["ca_file"], "wb") as handle:
        handle.write(ca_cert.public_bytes(pem))
    with open(paths["other_ca_file"], "wb") as handle:
        handle.write(other_cert.public_bytes(pem))
    with open(paths["cert_file"], "wb") as handle:
        handle.write(server_cert.public_bytes(pem))
    with open(paths["key_file"], "wb") as handle:
        handle.write(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _make_pki_openssl(directory, paths):
    def run(*args):
        subprocess.run(("openssl",) + args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    for ca, cn in (("ca", "egress.mail test CA"), ("other-ca", "egress.mail unrelated CA")):
        run(
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=%s" % cn,
            "-keyout",
            os.path.join(directory, ca + ".key"),
            "-out",
            os.path.join(directory, ca + ".pem"),
        )
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w") as handle:
        handle.write(
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,IP:%s\n"
            "extendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n" % NETNS_TARGET
        )
    csr = os.path.join(directory, "server.csr")
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        paths["key_file"],
        "-out",
        csr,
    )
    run(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        paths["ca_file"],
        "-CAkey",
        os.path.join(directory, "ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        ext,
        "-out",
        paths["cert_file"],
    )


def server_context(cert_file, key_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


# ---------------------------------------------------------------------------
# Servers


class SMTPTestServer(object):
    """A tiny SMTP server on its own thread.

    ``commands`` records every command line received, per server, so tests can
    check that the probe only says EHLO, STARTTLS and QUIT.
    """

    def __init__(
        self,
        behaviour,
        host="127.0.0.1",
        port=0,
        tls_context=None,
        banner=None,
        delay=0.0,
        name="mail.test",
        after_tls=None,
        ehlo_reply=None,
        raw_greeting=None,
        silent_quit=False,
        starttls_reply=None,
        close_after_greeting=False,
    ):
        if behaviour not in BEHAVIOURS:
            raise ValueError("unknown behaviour %r" % behaviour)
        if after_tls not in AFTER_TLS and not (after_tls or "").startswith("reply:"):
            raise ValueError("unknown after_tls %r" % after_tls)
        # What the server does once TLS is up (STARTTLS or implicit), see AFTER_TLS.
        self.after_tls = after_tls
        # A reply line sent instead of the 250 lines to every EHLO (before and after TLS);
        # '<close>': close the connection instead of answering EHLO.
        self.ehlo_reply = ehlo_reply
        # Bytes sent as they are instead of the greeting (no line end added), then silence
        # (or, with close_after_greeting, the connection is closed).
        self.raw_greeting = raw_greeting
        self.close_after_greeting = close_after_greeting
        # Never answer QUIT (keep the connection open and say nothing).
        self.silent_quit = silent_quit
        # A reply line sent to STARTTLS instead of 220 (no TLS follows); '<close>': hang up instead.
        self.starttls_reply = starttls_reply
        self.behaviour = behaviour
        self.tls_context = tls_context
        self.banner = banner or "220 %s ESMTP egress-test" % name
        self.delay = delay
        self.name = name
        self.commands = []
        self.connections = 0
        self._lock = threading.Lock()
        self._clients = []
        self._stopping = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(128)
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="smtp-test-%s" % behaviour)
        self._thread.daemon = True

    def start(self):
        self._thread.start()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self._stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.close()
            except OSError:
                pass
        self._thread.join(5)

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, dummy_peer = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._clients.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,))
            thread.daemon = True
            thread.start()

    # -- one connection

    def _serve(self, conn):
        try:
            conn.settimeout(30)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            return  # closed by stop() before this thread ran (EBADF)
        session = _Session(self, conn)
        try:
            session.run()
        except (OSError, ssl.SSLError, ValueError, _Hangup):
            pass
        finally:
            try:
                session.sock.close()
            except OSError:
                pass


class _Hangup(Exception):
    """The test server closes the connection on purpose."""


class _Session(object):
    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.buf = b""
        self.tls = False

    def send(self, text):
        if self.server.delay:
            time.sleep(self.server.delay)
        self.sock.sendall(text.encode("utf-8") + b"\r\n")

    def readline(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                return None
            self.buf += data
        line, dummy, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def wrap(self):
        self.sock = self.server.tls_context.wrap_socket(self.sock, server_side=True)
        self.tls = True
        after = self.server.after_tls
        if after == "close":
            raise _Hangup()
        if after == "garbage":
            self.send("HTTP/1.1 400 Bad Request")
            raise _Hangup()
        if after == "silent":
            self._wait_for_close()
            raise _Hangup()

    def run(self):
        behaviour = self.server.behaviour
        if behaviour == "close":
            return
        if behaviour == "silent":
            self._wait_for_close()
            return
        if behaviour == "implicit":
            self.wrap()
        if behaviour == "garbage":
            self.send("SSH-2.0-OpenSSH_9.2p1 Debian-2")
            return
        if self.server.raw_greeting is not None:
            self.sock.sendall(self.server.raw_greeting)
            if not self.server.close_after_greeting:
                self._wait_for_close()
            return
        if behaviour == "reject":
            self.send("554 5.7.1 mail.test no SMTP service here")
        else:
            self.send(self.server.banner)
        while True:
            line = self.readline()
            if line is None:
                return
            with self.server._lock:
                self.server.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "QUIT":
                if self.server.silent_quit:
                    self._wait_for_close()
                    return
                self.send("221 2.0.0 Bye")
                return
            after = self.server.after_tls or ""
            if self.tls and after.startswith("reply:"):
                self.send(after[len("reply:") :])
            elif behaviour == "reject":
                self.send("503 5.5.1 no service")
            elif verb in ("EHLO", "HELO"):
                self.ehlo()
            elif (
                verb == "STARTTLS" and not self.tls and behaviour in ("starttls", "slow", "broken_tls", "starttls_454")
            ):
                if behaviour == "starttls_454":
                    self.send("454 4.7.0 TLS not available due to temporary reason")
                    continue
                if self.server.starttls_reply == "<close>":
                    raise _Hangup()
                if self.server.starttls_reply:
                    self.send(self.server.starttls_reply)
                    continue
                self.send("220 2.0.0 Ready to start TLS")
                if behaviour == "broken_tls":
                    self.sock.sendall(b"this is not a TLS record at all\r\n")
                    return
                self.wrap()
            else:
                self.send("502 5.5.2 command not implemented in test server")

    def _wait_for_close(self):
        while not self.server._stopping.is_set():
            try:
                if not self.sock.recv(4096):
                    return
            except socket.timeout:
                continue

    def ehlo(self):
        behaviour = self.server.behaviour
        if self.server.ehlo_reply == "<close>":
            raise _Hangup()
        if self.server.ehlo_reply:
            self.send(self.server.ehlo_reply)
            return
        lines = [self.server.name, "PIPELINING", "SIZE 10240000"]
        if behaviour == "plain":
            lines.append("AUTH PLAIN LOGIN")
        elif self.tls:
            lines.append("AUTH PLAIN LOGIN")
            lines.append("AUTH=PLAIN LOGIN")
        elif behaviour in ("starttls", "slow", "broken_tls", "starttls_454"):
            lines.append("STARTTLS")
        lines.append("8BITMIME")
        text = "\r\n".join("250-%s" % item for item in lines[:-1]) + "\r\n250 %s" % lines[-1]
        self.send(text)


def closed_port(host="127.0.0.1"):
    """Return a port on host with (very probably) no listener: bound, then closed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# ---------------------------------------------------------------------------
# Network namespaces (root only)


def netns_unavailable_reason():
    """Return why the network namespace tests cannot run here, or None when they can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to create network namespaces and nftables rules"
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    if missing:
        return "needs %s (iproute2 / nftables) on PATH" % " and ".join(missing)
    return None


_PROBE_SCRIPT = r"""
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
mod = importlib.import_module('ansible_collections.egress.mail.plugins.module_utils.smtp_probe')
params = json.load(sys.stdin)
start = time.monotonic()
try:
    options, report = mod.probe(params)
except mod.ProbeArgumentError as exc:
    out = {'argument_error': str(exc)}
else:
    out = {'report': report, 'wall': time.monotonic() - start}
    if report['recommended_port'] is None:
        out['unusable_message'] = mod.unusable_message(report, options)
print(json.dumps(out))
"""


class NetnsPair(object):
    """Two network namespaces joined by a veth pair: ``probe`` (10.231.0.1) and ``target`` (10.231.0.2, .3).

    Neither namespace has a default route, so nothing sent inside them can leave:
    the probe code runs in ``probe`` (through ``ip netns exec``), nftables rules and
    test servers live in ``target``. :meth:`destroy` removes both namespaces (and with
    them the veth pair, the rules and any server bound there).
    """

    def __init__(self, prefix="egp"):
        tag = "%s%d%s" % (prefix, os.getpid() % 100000, binascii.hexlify(os.urandom(2)).decode())
        self.probe_ns = tag + "p"
        self.target_ns = tag + "t"
        self.probe_if = tag + "a"
        self.target_if = tag + "b"
        self._servers = []
        self.created = False

    @staticmethod
    def _run(*args, **kwargs):
        return subprocess.run(
            args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kwargs
        )

    def create(self):
        try:
            self._run("ip", "netns", "add", self.probe_ns)
            self.created = True
            self._run("ip", "netns", "add", self.target_ns)
            self._run(
                "ip",
                "link",
                "add",
                self.probe_if,
                "netns",
                self.probe_ns,
                "type",
                "veth",
                "peer",
                "name",
                self.target_if,
                "netns",
                self.target_ns,
            )
            for ns, ifname, addr in (
                (self.probe_ns, self.probe_if, NETNS_PROBE),
                (self.target_ns, self.target_if, NETNS_TARGET),
            ):
                self._run("ip", "-n", ns, "addr", "add", "%s/%d" % (addr, NETNS_PREFIX_LEN), "dev", ifname)
                self._run("ip", "-n", ns, "link", "set", ifname, "up")
                self._run("ip", "-n", ns, "link", "set", "lo", "up")
            self._run(
                "ip",
                "-n",
                self.target_ns,
                "addr",
                "add",
                "%s/%d" % (NETNS_TARGET2, NETNS_PREFIX_LEN),
                "dev",
                self.target_if,
            )
        except subprocess.CalledProcessError as exc:
            self.destroy()
            raise RuntimeError("could not set up network namespaces: %s: %s" % (" ".join(exc.cmd), exc.stderr))
        return self

    def nft(self, ruleset):
        """Load an nftables ruleset (text) in the target namespace."""
        self._run("ip", "netns", "exec", self.target_ns, "nft", "-f", "-", input=ruleset)

    def start_servers(self, specs, cert_file=None, key_file=None, delay=0.0, bind=NETNS_TARGET):
        """Start ``behaviour:port`` test servers on ``bind`` inside the target namespace."""
        cmd = [
            "ip",
            "netns",
            "exec",
            self.target_ns,
            sys.executable,
            os.path.join(HERE, "smtp_servers.py"),
            "--bind",
            bind,
            "--delay",
            str(delay),
        ]
        if cert_file:
            cmd += ["--cert", cert_file, "--key", key_file]
        proc = subprocess.Popen(
            cmd + list(specs), stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True
        )
        self._servers.append(proc)
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError("test servers did not start in %s: %r" % (self.target_ns, line))
        return proc

    def probe(self, params, timeout=120):
        """Run module_utils probe() inside the probe namespace; return its JSON output."""
        proc = subprocess.run(
            ["ip", "netns", "exec", self.probe_ns, sys.executable, "-c", _PROBE_SCRIPT, COLLECTIONS],
            input=json.dumps(params),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError("probe failed (rc=%d): %s" % (proc.returncode, proc.stderr))
        return json.loads(proc.stdout)

    def run_module(self, args, collections_path, tmpdir, timeout=120):
        """Run the module file as Ansible would (args JSON file) inside the probe namespace.

        Returns (rc, parsed JSON output).
        """
        args_file = os.path.join(tmpdir, "args.json")
        with open(args_file, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        env = dict(os.environ)
        env["PYTHONPATH"] = collections_path + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run(
            ["ip", "netns", "exec", self.probe_ns, sys.executable, MODULE, args_file],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        try:
            return proc.returncode, json.loads(proc.stdout)
        except ValueError:
            raise RuntimeError("module output is not JSON (rc=%d): %s %s" % (proc.returncode, proc.stdout, proc.stderr))

    def destroy(self):
        for proc in self._servers:
            try:
                proc.stdin.close()
                proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(5)
            if proc.stdout:
                proc.stdout.close()
        self._servers = []
        for ns in (self.probe_ns, self.target_ns):
            subprocess.run(
                ["ip", "netns", "del", ns], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
        self.created = False

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc_info):
        self.destroy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("servers", nargs="+", help="behaviour:port")
    args = parser.parse_args(argv)
    context = server_context(args.cert, args.key) if args.cert else None
    servers = []
    for spec in args.servers:
        behaviour, port = spec.split(":")
        servers.append(
            SMTPTestServer(behaviour, host=args.bind, port=int(port), tls_context=context, delay=args.delay).start()
        )
    sys.stdout.write("READY %s\n" % " ".join("%s=%d" % (s.behaviour, s.port) for s in servers))
    sys.stdout.flush()
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
