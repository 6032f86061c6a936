"""Queue COUNT messages through the host's /usr/sbin/sendmail: queue_mail.py TAG COUNT [ARG...].

Message i has Message-ID <TAG.i@takeover.test>, envelope sender TAG-app@takeover.test and
recipient rcpt-i@example.test; every fifth one also goes to cc-i@example.test. Extra arguments
go to sendmail (exim4: -odq, queue only).
"""

import subprocess
import sys
import time

tag, count, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for i in range(count):
    rcpts = ["rcpt-%d@example.test" % i] + (["cc-%d@example.test" % i] if i % 5 == 0 else [])
    msg = (
        "From: <%s-app@takeover.test>\nTo: %s\nSubject: %s %02d\nMessage-ID: <%s.%d@takeover.test>\n"
        "Date: %s\n\nmessage %d of %d from %s\n.\n..a line with dots\n"
        % (
            tag,
            ", ".join(rcpts),
            tag,
            i,
            tag,
            i,
            time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            i + 1,
            count,
            tag,
        )
    )
    subprocess.run(
        ["/usr/sbin/sendmail", "-oi"] + extra + ["-f", "%s-app@takeover.test" % tag, "--"] + rcpts,
        input=msg.encode(),
        check=True,
    )
