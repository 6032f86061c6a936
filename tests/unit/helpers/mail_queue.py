# Copyright (c) egress.mail contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mail queue fixtures: spool files made by the real MTAs
(tests/unit/plugins/module_utils/fixtures/mail_queue/README.md says how), and a fake command runner."""

import os

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "plugins", "module_utils", "fixtures", "mail_queue")
EXIM = os.path.join(FIXTURES, "exim4")
NULLMAILER = os.path.join(FIXTURES, "nullmailer")
POSTQUEUE = os.path.join(FIXTURES, "postfix", "postqueue-j.jsonl")


def by_message_id(messages):
    return dict((m.message_id, m) for m in messages)


def runner(answers):
    """A run(args) that answers by command prefix and records its calls; other commands: OSError."""
    calls = []

    def run(args):
        calls.append(args)
        for prefix, answer in answers.items():
            if " ".join(args).startswith(prefix):
                return answer
        raise OSError("%s not found" % args[0])

    run.calls = calls
    return run
