#!/usr/bin/env bash
# Installs the Debian libraries Qt needs (offscreen for tests; add --gui for a real window under Xvfb)
# and binutils for the desktop bundle.
# As root with apt it installs them; otherwise it prints the exact apt-get line and fails.
set -euo pipefail
pkgs=(libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3)
# the desktop bundle (make bundle, slow tests): PyInstaller reads shared libraries' dependencies with
# objdump and copies the interpreter's shared library, which Debian's python3 keeps in libpython3.X
pkgs+=(binutils)
if command -v python3 >/dev/null 2>&1 && [[ $(python3 -c 'import sys; print(sys.base_prefix)') == /usr ]]; then
    pkgs+=("libpython$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
fi
if [[ ${1:-} == --gui ]]; then
    pkgs+=(xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
           libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0)
fi
command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian: trust the system
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "system-deps: Qt needs these Debian packages; run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
