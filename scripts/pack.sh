#!/usr/bin/env bash
# Builds every artifact Chorus ships into artifacts/ (one version for all of them, from Directory.Build.props):
#   artifacts/bin/linux-x64/chorus             NativeAOT executable, needs no .NET runtime
#   artifacts/chorus-VERSION-linux-x64.tar.gz   that executable with README and LICENSE, plus its .sha256
#   artifacts/packages/                         Chorus, Chorus.AspNetCore (.nupkg + .snupkg) and the dotnet tool
#                                               Chorus.Cli (top-level, linux-x64 native, any = framework-dependent)
# NativeAOT links once (a few minutes on 2 cores): the tool's linux-x64 package and the binary are the same build.
# Needs clang and zlib1g-dev for the native link; installs them with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  echo "Installing the NativeAOT link prerequisites: clang zlib1g-dev"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

out=artifacts
rm -rf "$out"
mkdir -p "$out/packages" "$out/bin/linux-x64"
version=$(dotnet msbuild src/Chorus.Cli -getProperty:Version -p:Configuration=Release)

dotnet pack src/Chorus/Chorus.csproj -c Release -o "$out/packages" -v quiet -nologo
dotnet pack src/Chorus.AspNetCore/Chorus.AspNetCore.csproj -c Release -o "$out/packages" -v quiet -nologo
# The tool: a top-level package that only names the platform packages (nothing to symbolize), the
# framework-dependent "any" package, and the native linux-x64 package.
dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -o "$out/packages" -v quiet -nologo -p:IncludeSymbols=false
dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -r any -o "$out/packages" -v quiet -nologo
dotnet pack src/Chorus.Cli/Chorus.Cli.csproj -c Release -r linux-x64 -o "$out/packages" -v quiet -nologo

native=src/Chorus.Cli/bin/Release/net10.0/linux-x64/publish/chorus
cp "$native" "$out/bin/linux-x64/chorus"
staging=$(mktemp -d)
mkdir "$staging/chorus-$version-linux-x64"
cp "$native" README.md LICENSE "$staging/chorus-$version-linux-x64/"
tar -C "$staging" -czf "$out/chorus-$version-linux-x64.tar.gz" "chorus-$version-linux-x64"
rm -rf "$staging"
(cd "$out" && sha256sum "chorus-$version-linux-x64.tar.gz" > "chorus-$version-linux-x64.tar.gz.sha256")

echo "chorus $version:"
find "$out" -type f | sort | sed 's/^/  /'
"$out/bin/linux-x64/chorus" --version
