#!/usr/bin/env bash
# Renders a run's report.html in a real browser (headless Chromium) and saves a screenshot:
#   Scripts/check-report.sh runs/fashion-mnist-dcgan [out.png]
# Installs Debian's chromium when it is missing. Fails unless the page rendered (the screenshot
# exists and is not blank), so it works as a check of the page as well as a way to see it.
set -euo pipefail
run=${1:?usage: Scripts/check-report.sh RUN_DIR [OUT.png]}
out=${2:-$run/report.png}
page=$(cd "$run" && pwd)/report.html
[ -f "$page" ] || { echo "check-report: $page not found (it is written with the first sample grid)" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq || $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core \
        || $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
    browser=$(command -v chromium)
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1800 \
    --screenshot="$(realpath -m "$out")" "file://$page" 2>/dev/null
python3 - "$out" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
w, h = struct.unpack('>II', data[16:24])
raw = zlib.decompress(b''.join(data[i + 8:i + 8 + struct.unpack('>I', data[i:i + 4])[0]]
                              for i in range(8, len(data)) if data[i + 4:i + 8] == b'IDAT'))
assert len(set(raw[:: max(1, len(raw) // 20000)])) > 8, 'the page rendered blank'
print(f'check-report: {sys.argv[1]}: {w}x{h} screenshot of the rendered page')
PY
