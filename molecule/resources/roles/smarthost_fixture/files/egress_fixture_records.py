"""Print, as JSON, every message the test smarthost accepted, with the evidence tests check.

For each message in the sink maildir: envelope sender (Return-Path), envelope recipient
(X-Original-To / Delivered-To), Subject, Message-ID, and from the Received header that the
fixture's Postfix wrote on acceptance: the port it came in on, the TLS version and cipher, and
the SASL user that authenticated. Usage: egress-fixture-records [--subject REGEX] [--count]
[--field NAME]: --field prints only that field of each message, one line per message (for
example --field message_id: a message that arrived twice is printed twice).
"""

import argparse
import email
import email.policy
import json
import os
import re
import sys

MAILDIR = "/var/mail/fixture/sink"
PORT_RE = re.compile(r"\bby port(\d+)\.")
TLS_RE = re.compile(r"\(using (TLSv[\d.]+|SSLv\d) with cipher ([A-Za-z0-9_-]+)")
AUTH_RE = re.compile(r"\(Authenticated sender: ([^)\s]+)\)")
PROTO_RE = re.compile(r"\bwith (E?SMTP[A-Z]*)\b")
CLIENT_RE = re.compile(r"^from (\S+) \(([^)]*)\)")


def evidence(received):
    flat = " ".join(received.split())

    def group(regex, index=1):
        match = regex.search(flat)
        return match.group(index) if match else None

    port = group(PORT_RE)
    return {
        "port": int(port) if port else None,
        "tls_version": group(TLS_RE),
        "tls_cipher": group(TLS_RE, 2),
        "auth_user": group(AUTH_RE),
        "protocol": group(PROTO_RE),
        "client": group(CLIENT_RE, 2),
    }


def records(maildir):
    for sub in ("new", "cur"):
        folder = os.path.join(maildir, sub)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                msg = email.message_from_binary_file(handle, policy=email.policy.compat32)
            received = msg.get_all("Received") or [""]
            record = {
                "file": path,
                "sender": (msg.get("Return-Path") or "").strip().strip("<>"),
                "recipient": msg.get("X-Original-To") or msg.get("Delivered-To"),
                "subject": msg.get("Subject"),
                "message_id": (msg.get("Message-ID") or "").strip(),
                "from": msg.get("From"),
            }
            record.update(evidence(received[0]))
            yield record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", help="only messages whose Subject matches this regex")
    parser.add_argument("--count", action="store_true", help="print only the number of messages")
    parser.add_argument("--maildir", default=MAILDIR)
    parser.add_argument("--field", help="print only this field of each message, one per line")
    args = parser.parse_args()
    found = list(records(args.maildir))
    if args.subject:
        pattern = re.compile(args.subject)
        found = [r for r in found if r["subject"] and pattern.search(r["subject"])]
    if args.count:
        print(len(found))
    elif args.field:
        for record in found:
            value = record.get(args.field)
            sys.stdout.write("%s\n" % ("" if value is None else " ".join(str(value).split())))
    else:
        json.dump(found, sys.stdout, indent=1)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
