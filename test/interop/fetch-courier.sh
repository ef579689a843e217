#!/usr/bin/env bash
# Downloads Debian's Courier POP3 server and what it needs, and unpacks it into a private prefix
# for the interop tests (test/support/interop/courier.ts). Nothing is installed: courier-pop
# Conflicts with dovecot-pop3d (pop3-server) and Depends on an MTA, so it is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`. Idempotent: a second run does nothing.
#
#   test/interop/fetch-courier.sh            # into /var/cache/popbox-interop/courier
#   POPBOX_INTEROP_CACHE=/elsewhere test/interop/fetch-courier.sh
#
# Needs apt's package lists (apt-get update), Debian's archive, and write access to the cache
# (root for the default one, as for the other fetch-*.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

base=${POPBOX_INTEROP_CACHE:-/var/cache/popbox-interop}
dir=$base/courier

# courier-pop: courierpop3login, courierpop3d. courier-base: couriertcpd, couriertls.
# courier-authlib(+-userdb), courier-authdaemon: authdaemond and the userdb module and tools.
# The libraries are ones courier links against that a Debian 12 base system lacks (libidn12:
# couriertcpd, couriertls, courierpop3d; a machine where it passed had it installed by chance).
# The ldd check below names any library a new machine still lacks.
packages=(courier-pop courier-base courier-authlib courier-authdaemon courier-authlib-userdb
  libcourier-unicode4 libltdl7 libgamin0 libpcre3 libidn12)

stamp="$dir/root/.popbox-complete"
# Every unpacked ELF program and library must find its libraries the way the harness runs them
# (the tree overlaid on /usr), or the interop suite dies later with a loader error.
check_libs() {
  "$here/check-libs.sh" "$1" "$1/usr/lib/x86_64-linux-gnu:$1/usr/lib" && return 0
  echo "fetch-courier: add the package that provides each missing library to packages= above" >&2
  exit 1
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then
  check_libs "$dir/root"
  echo "fetch-courier: already unpacked in $dir/root"
  exit 0
fi

mkdir -p "$dir/debs"
cd "$dir/debs"
need=()
for p in "${packages[@]}"; do
  compgen -G "${p}_*.deb" >/dev/null || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "fetch-courier: apt-get download ${need[*]}"
  # Downloading as root into a folder _apt cannot write: skip apt's sandbox user.
  apt-get -q -o APT::Sandbox::User=root download "${need[@]}"
fi

rm -rf "$dir/root.new"
mkdir -p "$dir/root.new"
for p in "${packages[@]}"; do
  for deb in "${p}"_*.deb; do dpkg-deb -x "$deb" "$dir/root.new"; done
done
# Debian 12 is merged-/usr: the tree is laid over /usr only, so /lib's libraries move under usr/lib.
if [ -d "$dir/root.new/lib/x86_64-linux-gnu" ]; then
  mkdir -p "$dir/root.new/usr/lib/x86_64-linux-gnu"
  cp -a "$dir/root.new/lib/x86_64-linux-gnu/." "$dir/root.new/usr/lib/x86_64-linux-gnu/"
  rm -rf "$dir/root.new/lib/x86_64-linux-gnu"
fi
for f in usr/sbin/couriertcpd usr/bin/couriertls usr/lib/courier/courier/courierpop3login \
  usr/lib/courier/courier/courierpop3d usr/lib/courier/courier-authlib/authdaemond \
  usr/lib/courier-authlib/libauthuserdb.so usr/sbin/makeuserdb usr/sbin/userdbpw; do
  [ -e "$dir/root.new/$f" ] || { echo "fetch-courier: $f missing after unpacking" >&2; exit 1; }
done
check_libs "$dir/root.new"
for p in courier-pop courier-authlib; do
  printf '%s %s\n' "$p" "$(dpkg-deb -f "$(compgen -G "${p}_*.deb" | head -n1)" Version)"
done >"$dir/root.new/.popbox-versions"
echo "${packages[*]}" >"$dir/root.new/.popbox-stamp-tmp"
mv "$dir/root.new/.popbox-stamp-tmp" "$dir/root.new/.popbox-complete"
rm -rf "$dir/root"
mv "$dir/root.new" "$dir/root"
echo "fetch-courier: unpacked into $dir/root"
