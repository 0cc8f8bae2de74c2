#!/usr/bin/env bash
# Fetches prometheus_client 0.21.1 (the 16-byte value layout) from Debian's trixie suite into
# tests/peers/prometheus_client-0.21/ for the tests that use it as a peer (PYTHONPATH=<that>/usr/lib/python3/dist-packages).
# Nothing is installed: apt-get reads a source list used only for this download, with its own lists and
# cache under a temporary folder, and dpkg -x unpacks the package here. Idempotent: does nothing when present.
set -euo pipefail
cd "$(dirname "$0")"

version="0.21.1"
target="prometheus_client-0.21"
package_dir="$target/usr/lib/python3/dist-packages/prometheus_client"
if [ -f "$package_dir/__init__.py" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/prefs"
cat > "$work/trixie.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

apt_options=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=$work/prefs"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "Dir::State::status=/dev/null"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
  -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
)
cp "$work/trixie.sources" "$work/parts/trixie.sources"
echo "Fetching python3-prometheus-client $version from Debian trixie (download only)"
apt-get "${apt_options[@]}" update -qq
# The Debian version (0.21.1+ds1-1) carries a repack suffix and a revision: take what trixie has for $version.
full_version=$(apt-cache "${apt_options[@]}" madison python3-prometheus-client | awk -v v="$version" '$3 ~ "^"v"[+-]" {print $3; exit}')
if [ -z "$full_version" ]; then
  echo "Debian trixie does not carry python3-prometheus-client $version" >&2
  exit 1
fi
(cd "$work" && apt-get "${apt_options[@]}" download "python3-prometheus-client=$full_version")

deb=$(ls "$work"/python3-prometheus-client_*.deb)
rm -rf "$target.partial"
dpkg -x "$deb" "$target.partial"
grep -q "$version" <(dpkg-deb -f "$deb" Version)
mv "$target.partial" "$target"
echo "prometheus_client $version unpacked into tests/peers/$target"
