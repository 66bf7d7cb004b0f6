#!/usr/bin/env bash
# Installs the mail tests' SMTP server (aiosmtpd, PyPI) into
# target/smtp-venv once; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/smtp-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6' >&2
fi
echo "$PWD/$venv/bin/python"
