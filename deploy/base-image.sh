#!/usr/bin/env bash
# Builds the local `debian:bookworm` base image the Dockerfile starts from,
# for machines that cannot pull images: a minimal Debian rootfs made with
# debootstrap, imported into podman. The rootfs tarball is cached, so a
# rerun only re-imports it (or does nothing when the image exists).
# Usage: deploy/base-image.sh   (as root; needs debootstrap and podman)
# Env:   KB_DEPLOY_CACHE (default /var/cache/kiro-bridge), DEBIAN_MIRROR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/podman-env.sh"

cache=${KB_DEPLOY_CACHE:-/var/cache/kiro-bridge}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball="$cache/debian-bookworm-rootfs.tar"
image=docker.io/library/debian:bookworm

if podman image exists "$image"; then
  echo "base image $image: present"
  exit 0
fi
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  rootfs=$(mktemp -d /tmp/kb-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  echo "debootstrap bookworm (minbase) from $mirror ..."
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; exit 1; }
  # What the official image does: no docs, no apt caches, a sources list.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
fi
podman import --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
podman tag "$image" localhost/debian:bookworm
echo "base image $image: imported from $tarball"
