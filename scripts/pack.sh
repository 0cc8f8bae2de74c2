#!/usr/bin/env bash
# Builds every artifact Chorus ships into artifacts/ (one version for all of them, from Directory.Build.props):
#   artifacts/bin/linux-x64/chorus             NativeAOT executable, needs no .NET runtime
#   artifacts/chorus-VERSION-linux-x64.tar.gz   that executable with README and LICENSE, plus its .sha256
#   artifacts/packages/                         Chorus, Chorus.AspNetCore (.nupkg + .snupkg) and the dotnet tool
#                                               Chorus.Cli (top-level, linux-x64 native, any = framework-dependent)
# NativeAOT links once (a few minutes on 2 cores): the tool's linux-x64 package and the binary are the same build.
# Needs clang and zlib1g-dev for the native link; installs them with apt-get when missing.
#
# CHORUS_ARM64=1 (or --arm64) also cross-compiles the NativeAOT executable for linux-arm64 with Debian's cross
# toolchain (installed when missing: the arm64 architecture, gcc/binutils-aarch64-linux-gnu, zlib1g-dev:arm64):
# artifacts/bin/linux-arm64/chorus, chorus-VERSION-linux-arm64.tar.gz + .sha256 and the tool package
# Chorus.Cli.linux-arm64, which the top-level Chorus.Cli then names. Another few minutes of linking; off by default.
# scripts/check-arm64.sh runs that executable under qemu and compares it with the linux-x64 one.
set -euo pipefail
cd "$(dirname "$0")/.."

arm64="${CHORUS_ARM64:-0}"
for arg in "$@"; do
  case "$arg" in
    --arm64) arm64=1 ;;
    *) echo "usage: $0 [--arm64]" >&2; exit 2 ;;
  esac
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

if ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  echo "Installing the NativeAOT link prerequisites: clang zlib1g-dev"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

if [ "$arm64" = 1 ] && { ! command -v aarch64-linux-gnu-objcopy >/dev/null || [ ! -e /usr/lib/gcc-cross/aarch64-linux-gnu ] \
    || [ ! -e /usr/lib/aarch64-linux-gnu/libz.a ]; }; then
  echo "Installing the linux-arm64 cross-link prerequisites: gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu zlib1g-dev:arm64"
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu zlib1g-dev:arm64 >/dev/null
fi

out=artifacts
rm -rf "$out"
mkdir -p "$out/packages"
version=$(dotnet msbuild src/Chorus.Cli -getProperty:Version -p:Configuration=Release)

# The arm64 opt-in tells the tool project to name Chorus.Cli.linux-arm64 in the top-level package: without it an
# arm64 machine falls back to the framework-dependent "any" package instead of asking for one that was not built.
tool_arm64=()
[ "$arm64" = 1 ] && tool_arm64=(-p:ChorusToolArm64=true)

dotnet pack src/Chorus/Chorus.csproj -c Release -o "$out/packages" -v quiet -nologo
dotnet pack src/Chorus.AspNetCore/Chorus.AspNetCore.csproj -c Release -o "$out/packages" -v quiet -nologo
# The tool: a top-level package that only names the platform packages (nothing to symbolize), the
# framework-dependent "any" package, and the native linux-x64 package.
dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -o "$out/packages" -v quiet -nologo -p:IncludeSymbols=false "${tool_arm64[@]}"
dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -r any -o "$out/packages" -v quiet -nologo
dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -r linux-x64 -o "$out/packages" -v quiet -nologo

# Copies the published executable of RID $1 to artifacts/bin/RID/ and makes its tarball and checksum.
ship_binary() {
  local rid=$1 native="src/Chorus.Cli/bin/Release/net10.0/$1/publish/chorus" staging
  mkdir -p "$out/bin/$rid"
  cp "$native" "$out/bin/$rid/chorus"
  staging=$(mktemp -d)
  mkdir "$staging/chorus-$version-$rid"
  cp "$native" README.md LICENSE "$staging/chorus-$version-$rid/"
  tar -C "$staging" -czf "$out/chorus-$version-$rid.tar.gz" "chorus-$version-$rid"
  rm -rf "$staging"
  (cd "$out" && sha256sum "chorus-$version-$rid.tar.gz" > "chorus-$version-$rid.tar.gz.sha256")
}

ship_binary linux-x64

if [ "$arm64" = 1 ]; then
  # The SDK passes clang --target=aarch64-linux-gnu itself when the RID's architecture is not the host's; the
  # GNU linker comes from binutils-aarch64-linux-gnu, and stripping the symbols needs the arm64 objcopy.
  dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -r linux-arm64 -o "$out/packages" -v quiet -nologo \
    -p:ObjCopyName=aarch64-linux-gnu-objcopy "${tool_arm64[@]}"
  ship_binary linux-arm64
fi

echo "chorus $version:"
find "$out" -type f | sort | sed 's/^/  /'
"$out/bin/linux-x64/chorus" --version
