#!/usr/bin/env bash
# Makes a private Exim (Debian 12: exim4-daemon-light 4.96) startable for the sending interop test
# (test/support/exim.ts) WITHOUT installing it: exim4-base Provides mail-transport-agent, which
# Conflicts with postfix (the MTA the other sending tests start), so `apt-get install exim4` would
# remove postfix. Instead:
#   1. apt-get download exim4-daemon-light and exim4-base and unpack them with dpkg-deb -x into
#      $ROOT (nothing lands in /etc or /usr; no maintainer scripts run);
#   2. apt-get install only the packages the two .debs Depend on for their binaries, read from the
#      .debs themselves (`dpkg-deb -f DEB Depends`), so the names fit whichever Debian this is
#      (Debian 13 renamed several libraries, e.g. libgnutls30t64, libdb5.3t64); what serves only
#      the maintainer scripts or a system daemon (debconf, adduser, cron, netbase, exim4-config)
#      and the packages unpacked here are skipped;
#   3. create the system user Debian-exim the binary is built to run as (exim4-base's postinst
#      would), in the Debian-exim group if that already exists.
# exim4-config (Debian's split configuration) is not needed: the harness writes its own.
# Idempotent: re-running only redoes what is missing. Needs root and Debian's apt sources.
# `fetch-exim.sh --print-depends` only prints the packages step 2 would make sure of (after step 1).
set -euo pipefail

CACHE="${POPBOX_INTEROP_CACHE:-/var/cache/popbox-interop}/exim"
DEBS="$CACHE/debs"
ROOT="$CACHE/root"
PACKAGES=(exim4-daemon-light exim4-base)
# Depends that never matter here: the unpacked packages themselves, and what only their maintainer
# scripts or a system-wide daemon use (none of which runs).
SKIP_RE='^(exim4|exim4-.*|debconf|debconf-2\.0|adduser|cron|cron-daemon|anacron|systemd-sysv|netbase)$'
APT=(apt-get -o DPkg::Lock::Timeout=600)
PRINT_ONLY=0
[ "${1:-}" = --print-depends ] && PRINT_ONLY=1

if [ "$(id -u)" != 0 ] && [ "$PRINT_ONLY" = 0 ]; then
  echo "fetch-exim.sh: needs root (apt-get)" >&2
  exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
available() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'; }

# One package name per Depends entry of the .debs: "a (>= 1) | b:any" is a, unless a is neither
# installed nor available and b is (the first of the alternatives that is installed, else the
# first apt can install, else the first). Entries naming a skipped package are left out.
depends_of_debs() {
  local deb entry alt name pick
  for deb in "$@"; do
    dpkg-deb -f "$deb" Depends | tr ',' '\n' | while IFS= read -r entry; do
      [ -n "${entry// /}" ] || continue
      local names=()
      IFS='|' read -ra alts <<<"$entry"
      for alt in "${alts[@]}"; do
        name="$(sed -E 's/\(.*\)//; s/[[:space:]]//g; s/:[a-z]+$//' <<<"$alt")"
        [ -n "$name" ] && names+=("$name")
      done
      [ ${#names[@]} -gt 0 ] || continue
      if printf '%s\n' "${names[@]}" | grep -Eq "$SKIP_RE"; then continue; fi
      pick=""
      for name in "${names[@]}"; do installed "$name" && { pick="$name"; break; }; done
      [ -n "$pick" ] || for name in "${names[@]}"; do available "$name" && { pick="$name"; break; }; done
      echo "${pick:-${names[0]}}"
    done
  done | sort -u
}

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

latest_deb() { ls -1 "$DEBS/${1}"_*.deb | sort -V | tail -n 1; }
DEB_FILES=()
for p in "${PACKAGES[@]}"; do DEB_FILES+=("$(latest_deb "$p")"); done
mapfile -t NEEDED < <(depends_of_debs "${DEB_FILES[@]}")
if [ "$PRINT_ONLY" = 1 ]; then
  printf '%s\n' "${NEEDED[@]}"
  exit 0
fi
missing=()
for p in "${NEEDED[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fetch-exim.sh: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${missing[@]}" ||
    { "${APT[@]}" update && DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${missing[@]}"; }
fi

# Unpack (again) when the set of .debs differs from what $ROOT was made from.
stamp="$(cd "$DEBS" && ls -1 ./*.deb | sort | tr '\n' ' ')"
if [ ! -x "$ROOT/usr/sbin/exim4" ] || [ "$(cat "$ROOT/.popbox-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "fetch-exim.sh: unpacking into $ROOT"
  rm -rf "$ROOT.tmp"
  mkdir -p "$ROOT.tmp"
  for p in "${PACKAGES[@]}"; do
    dpkg-deb -x "$(latest_deb "$p")" "$ROOT.tmp"
  done
  printf '%s' "$stamp" > "$ROOT.tmp/.popbox-stamp"
  rm -rf "$ROOT"
  mv "$ROOT.tmp" "$ROOT"
fi

# The user compiled into Debian's exim4 (EXIM_USER): it refuses to start without it.
if ! getent passwd Debian-exim >/dev/null; then
  echo "fetch-exim.sh: creating system user Debian-exim"
  # A Debian-exim group left behind (an exim4 removed, its user deleted by hand) makes
  # --user-group fail ("group Debian-exim exists"): join that group instead.
  if getent group Debian-exim >/dev/null; then group=(-g Debian-exim); else group=(--user-group); fi
  useradd --system "${group[@]}" --home-dir /var/spool/exim4 --no-create-home \
    --shell /usr/sbin/nologin --comment 'Exim (popbox interop)' Debian-exim
fi

# The binary the harness runs must find its libraries (and must be the build we expect).
if ldd "$ROOT/usr/sbin/exim4" | grep -q 'not found'; then
  echo "fetch-exim.sh: $ROOT/usr/sbin/exim4 misses libraries:" >&2
  ldd "$ROOT/usr/sbin/exim4" | grep 'not found' >&2
  exit 1
fi
echo "fetch-exim.sh: Exim $(dpkg-deb -f "$(latest_deb exim4-daemon-light)" Version) ready in $ROOT"
