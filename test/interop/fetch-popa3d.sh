#!/usr/bin/env bash
# Fetch popa3d (Debian's package) and unpack it into a private prefix for the interop tests.
#
# popa3d `Conflicts: pop3-server` with dovecot-pop3d, which the other suites need, so it is never
# installed: `apt-get download` fetches the .deb and `dpkg-deb -x` unpacks it under
#   ${POPBOX_INTEROP_CACHE:-/var/cache/popbox-interop}/popa3d/   (binary: usr/sbin/popa3d)
# The adapter (test/support/interop/popa3d.ts) runs it from there. Idempotent: does nothing when
# the binary is already unpacked. Needs root (for the cache dir) and Debian's apt sources; the
# system users and the PAM file are set up by the adapter when an instance starts, not here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

cache="${POPBOX_INTEROP_CACHE:-/var/cache/popbox-interop}"
prefix="$cache/popa3d"
apt_opts=(-o DPkg::Lock::Timeout=600)

# popa3d must find every library it links against on this machine (a loader error would only show
# in the interop suite); check-libs.sh names what is missing.
check_libs() {
  "$here/check-libs.sh" "$1" "$1/usr/lib/x86_64-linux-gnu" && return 0
  echo "fetch-popa3d: install the package that provides each missing library (from .ci/run)" >&2
  exit 1
}

if [ -x "$prefix/usr/sbin/popa3d" ] && [ -f "$prefix/etc/pam.d/popa3d" ] && [ -s "$prefix/DEB-VERSION" ]; then
  check_libs "$prefix"
  echo "fetch-popa3d: already unpacked in $prefix ($(cat "$prefix/DEB-VERSION"))"
  exit 0
fi

mkdir -p "$cache/debs"
# No candidate (apt lists never downloaded on this machine): refresh them once.
if ! apt-cache policy popa3d 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get "${apt_opts[@]}" update -qq
fi

# apt-get download writes into the current directory; _apt cannot write to a root-owned dir,
# so apt falls back to downloading as root (it says so with a warning): that is fine here.
(cd "$cache/debs" && apt-get "${apt_opts[@]}" download popa3d 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
deb=$(ls -t "$cache"/debs/popa3d_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
  echo "fetch-popa3d: apt-get download popa3d produced no .deb in $cache/debs" >&2
  exit 1
fi

# Unpack next to the prefix and rename into place, so a half-unpacked tree is never used.
tmp=$(mktemp -d "$cache/.popa3d.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
dpkg-deb -f "$deb" Version > "$tmp/DEB-VERSION"
if [ ! -x "$tmp/usr/sbin/popa3d" ] || [ ! -f "$tmp/etc/pam.d/popa3d" ]; then
  echo "fetch-popa3d: $deb has no usr/sbin/popa3d or etc/pam.d/popa3d" >&2
  exit 1
fi
check_libs "$tmp"
chmod 755 "$tmp"
rm -rf "$prefix"
mv "$tmp" "$prefix"
trap - EXIT
echo "fetch-popa3d: unpacked $(basename "$deb") into $prefix ($("$prefix/usr/sbin/popa3d" -V))"
