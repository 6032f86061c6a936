"""Test SMTP client: submit one message and print, as JSON, what the server answered.

egress-submit --host H --port P [--tls starttls|implicit|none] [--user U --password-file F]
              [--sender S] [--rcpt R] [--subject S] [--ca-file F]
Exit status 0 when the message was accepted, 1 when the server refused it (the JSON says at
which step and with which reply), 2 on connection errors.
"""

import argparse
import json
import smtplib
import ssl
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", choices=["starttls", "implicit", "none"], default="starttls")
    p.add_argument("--user")
    p.add_argument("--password-file", help="file holding the password (never on the command line)")
    p.add_argument("--sender", default="probe@mailhost.test")
    p.add_argument("--rcpt", default="rcpt@example.test")
    p.add_argument("--subject", default="egress-submit test")
    p.add_argument("--ca-file")
    p.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()

    ctx = ssl.create_default_context(cafile=a.ca_file) if a.ca_file else ssl._create_unverified_context()
    out = {"host": a.host, "port": a.port, "tls": a.tls, "step": "connect"}
    try:
        if a.tls == "implicit":
            smtp = smtplib.SMTP_SSL(a.host, a.port, timeout=a.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(a.host, a.port, timeout=a.timeout)
        smtp.ehlo("egress-submit.test")
        out["auth_offered_before_tls"] = smtp.has_extn("auth") if a.tls != "implicit" else None
        if a.tls == "starttls":
            out["step"] = "starttls"
            smtp.starttls(context=ctx)
            smtp.ehlo("egress-submit.test")
        out["auth_mechanisms"] = (smtp.esmtp_features.get("auth") or "").split()
        if a.user:
            out["step"] = "auth"
            with open(a.password_file, encoding="utf-8") as fh:
                password = fh.read().rstrip("\n")
            smtp.login(a.user, password)
        out["step"] = "send"
        msg = "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\negress-submit test body\r\n" % (a.sender, a.rcpt, a.subject)
        smtp.sendmail(a.sender, [a.rcpt], msg)
        out["step"] = "done"
        out["accepted"] = True
        smtp.quit()
    except smtplib.SMTPResponseException as exc:
        out.update(accepted=False, code=exc.smtp_code, reply=exc.smtp_error.decode(errors="replace"))
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = list(exc.recipients.values())[0]
        out.update(accepted=False, code=code, reply=reply.decode(errors="replace"))
    except smtplib.SMTPException as exc:
        out.update(accepted=False, code=None, reply=str(exc))
    except OSError as exc:
        out.update(accepted=False, code=None, reply=str(exc))
        print(json.dumps(out))
        return 2
    print(json.dumps(out))
    return 0 if out.get("accepted") else 1


if __name__ == "__main__":
    sys.exit(main())
