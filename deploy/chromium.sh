#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the console's browser tests when they are missing
# (tests/Loyalty.Console.Tests). Prints the driver's path.
set -euo pipefail
if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium and chromium-driver are missing; install them: sudo apt-get install -y chromium chromium-driver" >&2
        exit 1
    fi
    echo "[chromium] installing Debian's chromium and chromium-driver" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium chromium-driver >&2 \
        || { apt-get update >&2 && apt-get install -y --no-install-recommends chromium chromium-driver >&2; }
fi
echo /usr/bin/chromedriver
