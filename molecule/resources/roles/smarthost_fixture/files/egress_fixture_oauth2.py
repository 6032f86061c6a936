"""Test OAuth 2.0 token endpoint of the smarthost fixture (client credentials grant).

POST /token (HTTPS, the fixture's certificate): grant_type=client_credentials, client_id,
client_secret, scope -> {"access_token", "token_type": "Bearer", "expires_in"} or an error in the
Microsoft style (HTTP 401 {"error": "invalid_client", "error_description": "..."}).
POST /introspect (plain HTTP on 127.0.0.1 only, for Dovecot's oauth2 passdb): token ->
{"active": true, "username": mailbox, "exp": ...} while the token is unexpired, else {"active": false}.
Clients and the token lifetime are read from the JSON configuration on every request, so a test can
rotate a secret by rewriting it. Every request is logged as a JSON line (never a secret or token).
"""

import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG = "/etc/egress-fixture-oauth2.json"
LOG = "/var/log/egress-fixture-oauth2.log"
TOKENS = {}
LOCK = threading.Lock()


def config():
    with open(CONFIG, encoding="utf-8") as handle:
        return json.load(handle)


def log(**event):
    event["time"] = round(time.time(), 3)
    with LOCK, open(LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, sort_keys=True) + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        length = int(self.headers.get("Content-Length") or 0)
        return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

    def do_POST(self):
        if self.path == "/token" and self.server.https:
            self.token(self.form())
        elif self.path == "/introspect" and not self.server.https:
            self.introspect(self.form())
        else:
            self.answer(404, {"error": "not_found"})

    def token(self, form):
        conf = config()
        if form.get("grant_type") != "client_credentials":
            log(event="token", result="unsupported_grant_type")
            return self.answer(
                400, {"error": "unsupported_grant_type", "error_description": "only client_credentials is supported"}
            )
        client = [c for c in conf["clients"] if c["client_id"] == form.get("client_id")]
        if not client or not secrets.compare_digest(
            client[0]["client_secret"].encode(), form.get("client_secret", "").encode()
        ):
            log(event="token", result="invalid_client", client_id=form.get("client_id"))
            return self.answer(
                401, {"error": "invalid_client", "error_description": "FIXTURE7000215: Invalid client secret provided."}
            )
        token = secrets.token_urlsafe(32)
        lifetime = int(conf["lifetime"])
        with LOCK:
            TOKENS[token] = (client[0]["mailbox"], time.time() + lifetime)
        log(
            event="token", result="issued", client_id=client[0]["client_id"], lifetime=lifetime, scope=form.get("scope")
        )
        return self.answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})

    def introspect(self, form):
        with LOCK:
            mailbox, expiry = TOKENS.get(form.get("token", ""), (None, 0))
        active = mailbox is not None and time.time() < expiry
        log(event="introspect", active=active, username=mailbox, expired=mailbox is not None and not active)
        if not active:
            return self.answer(200, {"active": False})
        return self.answer(200, {"active": True, "username": mailbox, "exp": int(expiry)})


def serve(address, port, https):
    server = ThreadingHTTPServer((address, port), Handler)
    server.https = https
    if https:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain("/etc/fixture-tls/server.pem", "/etc/fixture-tls/server.key")
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


def main():
    https_port = int(sys.argv[1])
    threading.Thread(target=serve, args=("127.0.0.1", 8081, False), daemon=True).start()
    serve("0.0.0.0", https_port, True)


if __name__ == "__main__":
    main()
