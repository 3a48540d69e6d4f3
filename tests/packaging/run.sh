#!/usr/bin/env bash
# Packaging check (README: "Install as packages / as a dotnet tool"). Packs SharpLens, SharpLens.Code, SharpLens.Interactive
# and the `sharplens` dotnet tool (SharpLens.Cli) into a temporary local feed, then, in a fresh folder outside the repository:
#   1. a consumer console project that gets SharpLens only from that feed (its transitive dependencies, TorchSharp
#      among them, from the machine's normal NuGet source) builds and runs the README's five-line example on
#      models/sharplens-py-small (cache, hook shape, a scoped ablation hook) and parses a snippet with SharpLens.Code
#      (the packaged native tree-sitter library);
#   2. the tool installs from the feed (`dotnet tool install --tool-path`) and runs `sharplens inspect` on that model.
# Any failing step stops the script with a non-zero exit code and a line saying which step failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
MODEL="$REPO/models/sharplens-py-small"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sharplens-packaging.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FEED="$WORK/feed"
step() { echo "== packaging: $*"; }
fail() { echo "error: packaging check failed: $*" >&2; exit 1; }
[ -f "$MODEL/config.json" ] || fail "expected the shipped model at $MODEL, but its config.json is missing"
VERSION=$(dotnet msbuild src/SharpLens/SharpLens.csproj -getProperty:Version -nologo)
[ -n "$VERSION" ] || fail "could not read the package version from src/SharpLens/SharpLens.csproj"

step "pack SharpLens.Code, SharpLens, SharpLens.Interactive, SharpLens.Cli $VERSION into $FEED"
for p in src/SharpLens.Code src/SharpLens src/SharpLens.Interactive src/SharpLens.Cli; do
  dotnet pack -c Release "$p" -o "$FEED" -v q -nologo -clp:ErrorsOnly || fail "dotnet pack $p"
done
for n in SharpLens.Code SharpLens SharpLens.Interactive SharpLens.Cli; do
  [ -f "$FEED/$n.$VERSION.nupkg" ] || fail "expected $FEED/$n.$VERSION.nupkg after packing, found: $(ls "$FEED")"
done
# (listings go to a file first: `unzip | grep -q` can fail under pipefail when grep stops reading early)
has() { unzip -Z1 "$FEED/$1.$VERSION.nupkg" > "$WORK/listing" && grep -qx "$2" "$WORK/listing"; }
has SharpLens.Code 'runtimes/linux-x64/native/libsharplens_treesitter.so' \
  || fail "SharpLens.Code package lacks runtimes/linux-x64/native/libsharplens_treesitter.so"
has SharpLens 'buildTransitive/SharpLens.targets' \
  || fail "SharpLens package lacks buildTransitive/SharpLens.targets"
for n in SharpLens.Code SharpLens SharpLens.Interactive; do
  has "$n" "lib/net10.0/$n.xml" || fail "$n package lacks its XML docs"
done
# .NET Interactive runs this script when the package is loaded with #r "nuget:" (it registers the notebook views)
has SharpLens.Interactive 'interactive-extensions/dotnet/extension.dib' \
  || fail "SharpLens.Interactive package lacks interactive-extensions/dotnet/extension.dib"

MACHINE_PACKAGES=${NUGET_PACKAGES:-$HOME/.nuget/packages}
for n in sharplens sharplens.code sharplens.interactive; do
  [ ! -e "$MACHINE_PACKAGES/$n/$VERSION" ] || fail "found $MACHINE_PACKAGES/$n/$VERSION (installed from an earlier local feed); it would be used instead of the package just built: remove it (rm -rf \"$MACHINE_PACKAGES/$n/$VERSION\") and run again"
done

step "consumer project in $WORK/consumer (SharpLens from the local feed only)"
mkdir -p "$WORK/consumer" "$WORK/packages"
# The feed's packages come only from the feed (package source mapping) into a fresh packages folder; everything else
# from the normal source (nuget.org), or the machine's packages folder where it is already there.
cat > "$WORK/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="sharplens-local" value="$FEED" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="sharplens-local"><package pattern="SharpLens" /><package pattern="SharpLens.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
  <!-- Packages the machine already has (TorchSharp's libtorch is ~1.3 GB) are used in place, not copied. -->
  <fallbackPackageFolders>
    <add key="machine" value="$MACHINE_PACKAGES" />
  </fallbackPackageFolders>
</configuration>
XML
cat > "$WORK/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="SharpLens" Version="$VERSION" />
  </ItemGroup>
</Project>
XML
cat > "$WORK/consumer/Program.cs" <<'CS'
using SharpLens; using SharpLens.Hooks; using SharpLens.Loading; using SharpLens.Tokenization; using static TorchSharp.torch;
using SharpLens.Code;

string dir = args[0];
using var model = ModelLoader.Load(dir, new LoadOptions { DType = ScalarType.Float32 });
var tok = Tokenizer.Load(dir);
var ids = tensor(tok.Encode("print(len(str(x").Ids.Select(i => (long)i).ToArray()).unsqueeze(0);
using var cache = model.RunWithCache(ids, HookFilter.Sites(Site.ResidPost, Site.Pattern));
var pattern = cache[HookName.Pattern(0)];
Console.WriteLine($"{HookName.Pattern(0)} shape [{string.Join(", ", pattern.shape)}]");
using var clean = model.Run(ids);
Tensor ablated;
using (model.Hooks.Add(HookName.Z(0), (z, _) => { var c = z.clone(); c[.., .., 0] = 0; return c; }))
    ablated = model.Run(ids);
using (ablated)
    Console.WriteLine($"logits shape [{string.Join(", ", clean.shape)}]; max |clean - ablated(head 0.0)| = {(clean - ablated).abs().max().item<float>():G4}");
var tree = SyntaxTree.Parse("def f(x):\n    return (x)\n", Language.Python);
Console.WriteLine($"tree-sitter python: {tree.Nodes.Count} nodes");
CS
( cd "$WORK/consumer" && dotnet build -c Release -v q -nologo -clp:ErrorsOnly --packages "$WORK/packages" ) \
  || fail "building the consumer project against the local feed"
[ -d "$WORK/packages/sharplens/$VERSION" ] || fail "expected SharpLens $VERSION restored from the local feed into $WORK/packages"
step "run the consumer on $MODEL"
OUT=$(cd "$WORK/consumer" && dotnet bin/Release/net10.0/linux-x64/Consumer.dll "$MODEL") || fail "running the consumer example"
echo "$OUT"
grep -q '^blocks.0.attn.hook_pattern shape \[1, ' <<< "$OUT" || fail "expected a [1, heads, q, k] pattern shape line, got: $OUT"
grep -q '^tree-sitter python: [1-9]' <<< "$OUT" || fail "expected a tree-sitter node count, got: $OUT"

step "install the sharplens tool from the local feed"
( cd "$WORK" && dotnet tool install --tool-path "$WORK/tools" --add-source "$FEED" --version "$VERSION" SharpLens.Cli ) \
  || fail "dotnet tool install SharpLens.Cli from $FEED"
step "sharplens inspect $MODEL"
"$WORK/tools/sharplens" inspect "$MODEL" || fail "sharplens inspect $MODEL"
step "ok"
