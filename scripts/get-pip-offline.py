"""Offline stand-in for get-pip.py (ci-files.testing.ansible.com is unreachable here).

Bootstraps pip from the interpreter's bundled ensurepip wheel (in a child process, because
ensurepip sets PIP_CONFIG_FILE=/dev/null in its own environment), then lets that pip install the
requested packages (e.g. pip==24.2) from the package index configured in /etc/pip.conf.
"""

import subprocess
import sys

args = sys.argv[1:]
no_setuptools = "--no-setuptools" in args
args = [arg for arg in args if arg not in ("--no-setuptools", "--no-wheel")]

rc = subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade"])
if rc == 0:
    rc = subprocess.call([sys.executable, "-m", "pip", "install"] + args)
if rc == 0 and no_setuptools:
    rc = subprocess.call([sys.executable, "-m", "pip", "uninstall", "-y", "-q", "setuptools"])
sys.exit(rc)
