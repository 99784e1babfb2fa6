#!/usr/bin/env bash
# Installs what Arm64LayerTest needs to run the media function's FFmpeg layer as Lambda would (this
# machine is x86_64, Lambda runs arm64): qemu's user-mode emulator (Debian's qemu-user) and an arm64
# Java 21 runtime unpacked into a folder of its own (Debian's openjdk-21-jre-headless and the few
# libraries it needs, taken from Debian 13's arm64 packages with a private apt configuration: the
# machine's own apt sources and architectures are left as they are).
#
#   local/src/test/arm64/install-arm64-jre.sh      # -> $FOLEY_ARM64_ROOT (default ~/.cache/foley/arm64-root)
set -euo pipefail
root="${FOLEY_ARM64_ROOT:-$HOME/.cache/foley/arm64-root}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "installing Debian's qemu-user ..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user >/dev/null
fi
java="$root/usr/lib/jvm/java-21-openjdk-arm64/bin/java"
if [ ! -x "$java" ]; then
  echo "fetching an arm64 Java 21 runtime (Debian 13 packages) into $root ..."
  apt_dir="$(mktemp -d)"
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$apt_dir/parts"
  : > "$apt_dir/status"
  echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    > "$apt_dir/sources.list"
  apt=(apt-get -q -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts="$apt_dir/parts"
       -o Dir::Etc::Preferences="$apt_dir/none" -o Dir::Etc::PreferencesParts="$apt_dir/parts"
       -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::Status="$apt_dir/status" -o Dir::Cache="$apt_dir/cache"
       -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  "${apt[@]}" update >/dev/null
  (cd "$apt_dir/debs" && "${apt[@]}" download openjdk-21-jre-headless libc6 libgcc-s1 libstdc++6 zlib1g >/dev/null 2>&1)
  rm -rf "$root.new" && mkdir -p "$root.new"
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$root.new"; done
  ln -sfn usr/lib "$root.new/lib"   # Debian 13 is merged-/usr: the loader is looked for at /lib
  rm -rf "$root" && mv "$root.new" "$root"
fi
qemu-aarch64 -L "$root" "$java" -version 2>&1 | head -1
