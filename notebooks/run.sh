#!/usr/bin/env bash
# Notebook check (README: "Notebooks"). Executes every notebooks/*.ipynb top to bottom with the .NET (C#) Jupyter kernel
# (`jupyter nbconvert --execute`: a cell error fails the run), exports each executed notebook to HTML, checks that the
# SharpLens views rendered (and that the only error views are the quickstart's two bad-input demonstrations), takes a
# headless Chromium screenshot of each HTML export and checks it is not blank. Last, the SharpLens.Interactive package,
# packed into a temporary feed, is loaded with #r "nuget:" in a generated notebook, which must show a SharpLens view
# without calling Register (the package's extension.dib registers the views).
# Installs what it needs by package name: Debian's jupyter-notebook, jupyter-nbconvert, jupyter-client, python3-pil and
# chromium; the kernel with `dotnet tool install -g Microsoft.dotnet-interactive` + `dotnet interactive jupyter install`.
# Skips (exit 0, one line saying why) when those cannot be installed: not root, no apt-get, no network to the sources.
# Output: out/notebooks/<name>.ipynb (executed), <name>.html, <name>.png. Measured ~3 min on 2 cores once built.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
OUT=${SHARPLENS_NOTEBOOKS_OUT:-$REPO/out/notebooks}
DNI_VERSION=1.0.712001
step() { echo "== notebooks: $*"; }
skip() { echo "notebooks: skipped: $*"; exit 0; }
fail() { echo "error: notebooks check failed: $*" >&2; exit 1; }
export PATH="$PATH:$HOME/.dotnet/tools"
export DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

step "tools"
missing=()
command -v jupyter-nbconvert >/dev/null || missing+=(jupyter-nbconvert python3-nbconvert)
command -v jupyter-notebook >/dev/null || missing+=(jupyter-notebook)
command -v jupyter-kernelspec >/dev/null || missing+=(jupyter-client)
command -v chromium >/dev/null || missing+=(chromium)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || skip "needs Debian packages ${missing[*]} and is not root (apt-get install -y ${missing[*]})"
  command -v apt-get >/dev/null || skip "needs ${missing[*]} and there is no apt-get"
  echo "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
    || skip "apt-get install ${missing[*]} failed (no network to the package sources?)"
fi
if ! dotnet tool list -g | grep -qi '^microsoft.dotnet-interactive'; then
  echo "installing Microsoft.dotnet-interactive $DNI_VERSION"
  dotnet tool install -g Microsoft.dotnet-interactive --version "$DNI_VERSION" >/dev/null \
    || skip "dotnet tool install -g Microsoft.dotnet-interactive --version $DNI_VERSION failed (no network to NuGet?)"
fi
if ! jupyter kernelspec list 2>/dev/null | grep -q '\.net-csharp'; then
  dotnet interactive jupyter install >/dev/null || fail "dotnet interactive jupyter install did not register the .NET kernels"
  jupyter kernelspec list 2>/dev/null | grep -q '\.net-csharp' || fail "expected the .net-csharp kernel after dotnet interactive jupyter install, found: $(jupyter kernelspec list 2>&1)"
fi

step "build src/SharpLens.Interactive (the notebooks #r its output folder)"
dotnet build -c Release src/SharpLens.Interactive -v q -nologo -clp:ErrorsOnly >/dev/null || fail "dotnet build -c Release src/SharpLens.Interactive"
[ -f src/SharpLens.Interactive/bin/Release/net10.0/SharpLens.Interactive.dll ] || fail "expected src/SharpLens.Interactive/bin/Release/net10.0/SharpLens.Interactive.dll after the build"

rm -rf "$OUT"
mkdir -p "$OUT"
# name:minimum views:expected error views (the quickstart shows a disposed cache and a rank-1 tensor on purpose)
for spec in quickstart:5:2 parens-study:4:0 ssm-spectra:4:0; do
  IFS=: read -r name views errors <<< "$spec"
  nb="notebooks/$name.ipynb"
  [ -f "$nb" ] || fail "expected $nb"
  step "execute $nb"
  start=$SECONDS
  jupyter nbconvert --execute --to notebook --ExecutePreprocessor.timeout=600 --output-dir "$OUT" "$nb" > "$OUT/$name.log" 2>&1 \
    || { tail -n 30 "$OUT/$name.log" >&2; fail "a cell of $nb failed (log: $OUT/$name.log)"; }
  echo "   executed in $((SECONDS - start)) s"
  /usr/bin/python3 - "$OUT/$name.ipynb" "$views" "$errors" <<'PY' || fail "the views of $nb did not render as expected"
import json, sys
nb = json.load(open(sys.argv[1]))
html = ["".join(o["data"]["text/html"]) if isinstance(o["data"]["text/html"], list) else o["data"]["text/html"]
        for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
views = sum(h.startswith('<div class="sharplens">') for h in html)
errors = [h for h in html if h.startswith('<div class="sharplens sharplens-error">')]
print(f"   {views} SharpLens views, {len(errors)} error views")
if views < int(sys.argv[2]) or len(errors) != int(sys.argv[3]):
    sys.exit(f"expected at least {sys.argv[2]} views and exactly {sys.argv[3]} error views, found {views} and {len(errors)}")
PY
  jupyter nbconvert --to html --output-dir "$OUT" "$OUT/$name.ipynb" >> "$OUT/$name.log" 2>&1 || fail "exporting $OUT/$name.ipynb to HTML"
  step "screenshot $OUT/$name.html"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
    --window-size=1280,2400 --screenshot="$OUT/$name.png" "file://$OUT/$name.html" >> "$OUT/$name.log" 2>&1 \
    || fail "headless chromium could not screenshot $OUT/$name.html (log: $OUT/$name.log)"
  /usr/bin/python3 - "$OUT/$name.png" <<'PY' || fail "the screenshot of $OUT/$name.html looks blank"
import sys
from PIL import Image
img = Image.open(sys.argv[1]).convert("L")
dark = sum(1 for p in img.getdata() if p < 200)
print(f"   {img.width}x{img.height}, {dark} non-white pixels ({100 * dark / (img.width * img.height):.1f} %)")
sys.exit(0 if dark > 0.01 * img.width * img.height else 1)
PY
done
step "the package registers its views when loaded with #r \"nuget:\""
# A unique prerelease version, so no earlier copy in the NuGet cache is used; removed from the cache afterwards.
PKG_VERSION="0.1.0-notebooks.$(date +%s).$$"
CACHE=${NUGET_PACKAGES:-$HOME/.nuget/packages}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sharplens-notebooks.XXXXXX")
cleanup() { rm -rf "$WORK"; for n in sharplens sharplens.code sharplens.interactive; do rm -rf "${CACHE:?}/$n/$PKG_VERSION"; rmdir "$CACHE/$n" 2>/dev/null || true; done; }
trap cleanup EXIT
for p in src/SharpLens.Code src/SharpLens src/SharpLens.Interactive; do
  dotnet pack -c Release --no-build -p:Version="$PKG_VERSION" "$p" -o "$WORK/feed" -v q -nologo -clp:ErrorsOnly >/dev/null || fail "dotnet pack $p"
done
/usr/bin/python3 - "$WORK/package.ipynb" "$WORK/feed" "$PKG_VERSION" <<'PY'
import json, sys
cells = [f'#i "nuget:{sys.argv[2]}"\n#r "nuget:SharpLens.Interactive,{sys.argv[3]}"',
         'new SharpLens.Reports.AttentionPattern("from the package", new[] { "a", "b" }, new[] { new[] { new[] { 1f, 0f }, new[] { 0.5f, 0.5f } } })']
nb = {"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for i, c in enumerate(cells)],
      "metadata": {"kernelspec": {"name": ".net-csharp", "display_name": ".NET (C#)", "language": "C#"}, "language_info": {"name": "C#"}}}
json.dump(nb, open(sys.argv[1], "w"))
PY
jupyter nbconvert --execute --to notebook --ExecutePreprocessor.timeout=300 --output-dir "$WORK/out" "$WORK/package.ipynb" > "$OUT/package.log" 2>&1 \
  || { tail -n 30 "$OUT/package.log" >&2; fail "loading SharpLens.Interactive $PKG_VERSION with #r \"nuget:\" failed (log: $OUT/package.log)"; }
grep -q 'class=\\"sharplens\\"' "$WORK/out/package.ipynb" \
  || fail "expected the package's extension.dib to register the views, but the AttentionPattern did not display as a SharpLens view"
echo "   extension.dib ran: the view displayed without calling Register"

step "ok: executed notebooks, HTML exports and screenshots in $OUT"
