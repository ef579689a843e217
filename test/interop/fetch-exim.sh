#!/usr/bin/env bash
# Makes a private Exim (Debian 12: exim4-daemon-light 4.96) startable for the sending interop test
# (test/support/exim.ts) WITHOUT installing it: exim4-base Provides mail-transport-agent, which
# Conflicts with postfix (the MTA the other sending tests start), so `apt-get install exim4` would
# remove postfix. Instead:
#   1. apt-get install only the shared libraries the exim4 binary needs (no daemons, no configs);
#   2. apt-get download exim4-daemon-light and exim4-base and unpack them with dpkg-deb -x into
#      $ROOT (nothing lands in /etc or /usr; no maintainer scripts run);
#   3. create the system user Debian-exim the binary is built to run as (exim4-base's postinst would).
# exim4-config (Debian's split configuration) is not needed: the harness writes its own.
# Idempotent: re-running only redoes what is missing. Needs root and Debian's apt sources.
set -euo pipefail

CACHE="${POPBOX_INTEROP_CACHE:-/var/cache/popbox-interop}/exim"
DEBS="$CACHE/debs"
ROOT="$CACHE/root"
PACKAGES=(exim4-daemon-light exim4-base)
# Run-time libraries of /usr/sbin/exim4 (exim4-daemon-light's Depends) that a Debian 12 base may lack.
LIBS=(libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libcrypt1)
APT=(apt-get -o DPkg::Lock::Timeout=600)

if [ "$(id -u)" != 0 ]; then
  echo "fetch-exim.sh: needs root (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${LIBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fetch-exim.sh: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${missing[@]}" ||
    { "${APT[@]}" update && DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${missing[@]}"; }
fi

mkdir -p "$DEBS"
have_debs() {
  for p in "${PACKAGES[@]}"; do
    compgen -G "$DEBS/${p}_*.deb" >/dev/null || return 1
  done
}
if ! have_debs; then
  echo "fetch-exim.sh: downloading ${PACKAGES[*]} into $DEBS"
  # apt-get download writes into the current directory; _apt can't write there, hence the warning.
  (cd "$DEBS" && "${APT[@]}" download "${PACKAGES[@]}") ||
    { "${APT[@]}" update && (cd "$DEBS" && "${APT[@]}" download "${PACKAGES[@]}"); }
fi

# Unpack (again) when the set of .debs differs from what $ROOT was made from.
stamp="$(cd "$DEBS" && ls -1 ./*.deb | sort | tr '\n' ' ')"
if [ ! -x "$ROOT/usr/sbin/exim4" ] || [ "$(cat "$ROOT/.popbox-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "fetch-exim.sh: unpacking into $ROOT"
  rm -rf "$ROOT.tmp"
  mkdir -p "$ROOT.tmp"
  for p in "${PACKAGES[@]}"; do
    deb="$(ls -1 "$DEBS/${p}"_*.deb | sort -V | tail -n 1)"
    dpkg-deb -x "$deb" "$ROOT.tmp"
  done
  printf '%s' "$stamp" > "$ROOT.tmp/.popbox-stamp"
  rm -rf "$ROOT"
  mv "$ROOT.tmp" "$ROOT"
fi

# The user compiled into Debian's exim4 (EXIM_USER): it refuses to start without it.
if ! getent passwd Debian-exim >/dev/null; then
  echo "fetch-exim.sh: creating system user Debian-exim"
  useradd --system --user-group --home-dir /var/spool/exim4 --no-create-home \
    --shell /usr/sbin/nologin --comment 'Exim (popbox interop)' Debian-exim
fi

# The binary the harness runs must find its libraries (and must be the build we expect).
if ldd "$ROOT/usr/sbin/exim4" | grep -q 'not found'; then
  echo "fetch-exim.sh: $ROOT/usr/sbin/exim4 misses libraries:" >&2
  ldd "$ROOT/usr/sbin/exim4" | grep 'not found' >&2
  exit 1
fi
echo "fetch-exim.sh: Exim $(dpkg-deb -f "$(ls -1 "$DEBS"/exim4-daemon-light_*.deb | sort -V | tail -n 1)" Version) ready in $ROOT"
