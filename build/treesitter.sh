#!/usr/bin/env bash
# Builds libsharplens_treesitter.so from the npm registry: `npm pack` the tree-sitter runtime (which vendors the C
# library) and the grammar packages, compile lib.c + every parser.c/scanner.c + our shim with cc, link one .so.
# Usage: treesitter.sh OUTPUT.so SHIM.c RUNTIME_SPEC GRAMMAR_SPEC... (specs are name@version; typescript yields two grammars)
set -euo pipefail
out="$1"; shim="$2"; runtime="$3"; shift 3
command -v npm >/dev/null 2>&1 || { echo "error: SharpLens.Code needs 'npm' to fetch tree-sitter sources (apt-get install npm)" >&2; exit 2; }
command -v cc  >/dev/null 2>&1 || { echo "error: SharpLens.Code needs a C compiler 'cc' to build tree-sitter (apt-get install gcc)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
[ -f "$shim" ] || { echo "error: expected the shim source at $shim, found nothing" >&2; exit 2; }
shim="$(cd "$(dirname "$shim")" && pwd)/$(basename "$shim")"
work="$(mktemp -d "$(dirname "$out")/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false npm_config_loglevel=error
for spec in "$runtime" "$@"; do
  name="${spec%@*}"
  tgz="$(npm pack "$spec" 2>npm.log | tail -n 1)" || true
  if [ -z "$tgz" ] || [ ! -f "$tgz" ]; then
    sed 's/^/  npm: /' npm.log >&2
    echo "error: 'npm pack $spec' produced no tarball (is the npm registry reachable?)" >&2; exit 3
  fi
  mkdir -p "src/$name" && tar xzf "$tgz" -C "src/$name" --strip-components=1
done
rt="src/${runtime%@*}/vendor/tree-sitter/lib"
[ -f "$rt/src/lib.c" ] || { echo "error: $runtime has no vendored C runtime at vendor/tree-sitter/lib/src/lib.c" >&2; exit 4; }
cflags=(-O2 -fPIC -w)
pids=()
cc "${cflags[@]}" -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200112L -I"$rt/include" -I"$rt/src" -c "$rt/src/lib.c" -o lib.o & pids+=($!)
cc "${cflags[@]}" -std=c11 -I"$rt/include" -c "$shim" -o shim.o & pids+=($!)
objs=(lib.o shim.o)
for spec in "$@"; do
  name="${spec%@*}"
  for dir in "src/$name/src" "src/$name"/*/src; do
    [ -f "$dir/parser.c" ] || continue
    tag="$(echo "$dir" | tr '/.' '__')"
    cc "${cflags[@]}" -std=c11 -I"$dir" -c "$dir/parser.c" -o "$tag.parser.o" & pids+=($!); objs+=("$tag.parser.o")
    if [ -f "$dir/scanner.c" ]; then
      cc "${cflags[@]}" -std=c11 -I"$dir" -c "$dir/scanner.c" -o "$tag.scanner.o" & pids+=($!); objs+=("$tag.scanner.o")
    fi
  done
done
for p in "${pids[@]}"; do wait "$p" || { echo "error: cc failed compiling tree-sitter sources" >&2; exit 5; }; done
cc -shared -o libsharplens_treesitter.so "${objs[@]}"
mv -f libsharplens_treesitter.so "$out"
echo "SharpLens.Code: built $out"
