#!/usr/bin/env bash
# Create .venv and install the project with every extra, plus the steps pip metadata cannot express.
# Idempotent: a stamp keyed on pyproject.toml and this script makes a second run return at once.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3.11}"
EXTRAS="${EXTRAS:-dev}"
STAMP="$VENV/.installed-$(cat pyproject.toml scripts/install.sh | sha1sum | cut -c1-12)-$EXTRAS"

if [[ -f "$STAMP" ]]; then
    echo "install: up to date ($STAMP)"
    exit 0
fi

log() { echo "install: $*"; }

# Fonts for rendering synthetic documents, plates and shelves (Debian packages, only if missing).
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    if [[ ! -f /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf \
          || ! -f /usr/share/fonts/truetype/freefont/FreeSans.ttf \
          || ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
          || ! -f /usr/share/fonts/opentype/bebas-neue/BebasNeue-Bold.otf \
          || ! -f /usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf \
          || ! -f /usr/share/fonts/truetype/opendin/OSP-DIN.ttf \
          || ! -f /usr/share/fonts/truetype/routed-gothic/routed-gothic-narrow.ttf ]]; then
        log "installing fonts (apt)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf \
            fonts-roboto-unhinted fonts-bebas-neue fonts-dosis fonts-b612 fonts-opendin fonts-routed-gothic >/dev/null
    fi
    # Tesseract 5 (an engine of the ocr task: --engine tesseract|combined); brings the English model.
    if ! command -v tesseract >/dev/null || [[ ! -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]]; then
        log "installing tesseract-ocr (apt)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            tesseract-ocr tesseract-ocr-eng >/dev/null
    fi
fi

# PostgreSQL server binaries for the state tests (a throwaway server per test session; Debian package).
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
        log "installing PostgreSQL server binaries (apt)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${PIP[@]}" install --upgrade pip
# torch first, from the local CUDA build (runs on CPU too); the project pins the same versions.
log "installing torch"
"${PIP[@]}" install "torch==2.14.1" "torchvision==0.29.1"
log "installing the project [$EXTRAS]"
"${PIP[@]}" install -e ".[$EXTRAS]"
# easyocr and ultralytics pull opencv-python (needs libGL) next to the headless build; both write cv2/,
# the last one wins. Reinstall the headless build so cv2 imports on a machine without a display.
CV_VERSION="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))' 2>/dev/null || true)"
if [[ -n "$CV_VERSION" ]]; then
    log "restoring opencv-python-headless $CV_VERSION"
    "${PIP[@]}" install --force-reinstall --no-deps "opencv-python-headless==$CV_VERSION"
fi
"$VENV/bin/python" -m pip check
# checkov (scans the Kubernetes manifests in tests/serving/test_k8s.py) pins networkx<2.7 and packaging<24,
# which torch and the rest of the project outgrew: it lives in its own virtual environment.
CHECKOV_VENV="${CHECKOV_VENV:-.venv-checkov}"
if [[ "$EXTRAS" == *dev* && ! -x "$CHECKOV_VENV/bin/checkov" ]]; then
    log "installing checkov into $CHECKOV_VENV"
    "$PYTHON" -m venv "$CHECKOV_VENV"
    "$CHECKOV_VENV/bin/python" -m pip --disable-pip-version-check -q install "checkov==3.3.30"
    "$CHECKOV_VENV/bin/python" -m pip check
fi
rm -f "$VENV"/.installed-*
touch "$STAMP"
log "done"
