#!/usr/bin/env bash
# Installs Debian's Chromium for the /docs end-to-end test (npm run test:e2e), unless it is there.
# Needs root (CI and the dev machines run as root); does nothing when /usr/bin/chromium exists.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
