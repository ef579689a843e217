#!/usr/bin/env bash
# Makes a private Cyrus POP3 server (Debian 12: cyrus-common/cyrus-pop3d/cyrus-imapd 3.6) startable
# for the interop tests (test/support/interop/cyrus.ts) WITHOUT installing the Cyrus packages:
# cyrus-pop3d Conflicts: pop3-server, so `apt-get install cyrus-pop3d` would remove dovecot-pop3d,
# and cyrus-common pulls in a default MTA (exim4). Instead:
#   1. apt-get install only the shared libraries the Cyrus binaries need (no daemons, no configs);
#   2. apt-get download cyrus-common, cyrus-pop3d, cyrus-imapd and sasl2-bin and unpack them with
#      dpkg-deb -x into $ROOT (nothing lands in /etc or /usr; no maintainer scripts run);
#   3. create the system user `cyrus` (group mail) the daemons drop to, as cyrus-common's postinst would.
# Idempotent: re-running only redoes what is missing. Needs root and Debian's apt sources.
set -euo pipefail

CACHE="${POPBOX_INTEROP_CACHE:-/var/cache/popbox-interop}/cyrus"
DEBS="$CACHE/debs"
ROOT="$CACHE/root"
PACKAGES=(cyrus-common cyrus-pop3d cyrus-imapd sasl2-bin)
# Run-time libraries of master, pop3d, imapd, lmtpd, ipurge, saslpasswd2 that a Debian 12 base may
# lack, plus the SASL plugins (PLAIN, LOGIN, CRAM-MD5, sasldb) and openssl for the certificate.
LIBS=(libical3 libpcre3 libxapian30 libjansson4 libicu72 libpq5 libwrap0 libsasl2-2 libsasl2-modules libsasl2-modules-db libdb5.3 openssl)
APT=(apt-get -o DPkg::Lock::Timeout=600)

if [ "$(id -u)" != 0 ]; then
  echo "fetch-cyrus.sh: needs root (apt-get, useradd)" >&2
  exit 1
fi

missing=()
for p in "${LIBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fetch-cyrus.sh: installing ${missing[*]}"
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
  echo "fetch-cyrus.sh: downloading ${PACKAGES[*]} into $DEBS"
  # apt-get download writes into the current directory; _apt can't write there, hence the warning.
  (cd "$DEBS" && "${APT[@]}" download "${PACKAGES[@]}") ||
    { "${APT[@]}" update && (cd "$DEBS" && "${APT[@]}" download "${PACKAGES[@]}"); }
fi

# Unpack (again) when the set of .debs differs from what $ROOT was made from.
stamp="$(cd "$DEBS" && ls -1 ./*.deb | sort | tr '\n' ' ')"
if [ ! -x "$ROOT/usr/lib/cyrus/bin/pop3d" ] || [ "$(cat "$ROOT/.popbox-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "fetch-cyrus.sh: unpacking into $ROOT"
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

# The user the Cyrus daemons drop to (as cyrus-common's postinst creates it).
if ! getent passwd cyrus >/dev/null; then
  echo "fetch-cyrus.sh: creating system user cyrus"
  useradd --system --gid mail --home-dir /var/spool/cyrus --no-create-home \
    --shell /usr/sbin/nologin --comment 'Cyrus Mailsystem User' cyrus
fi

# Every binary the harness runs must find its libraries.
export LD_LIBRARY_PATH="$ROOT/usr/lib/x86_64-linux-gnu"
for b in "$ROOT"/usr/lib/cyrus/bin/{master,pop3d,imapd,lmtpd,ipurge} "$ROOT"/usr/sbin/saslpasswd2; do
  if ldd "$b" | grep -q 'not found'; then
    echo "fetch-cyrus.sh: $b misses libraries:" >&2
    ldd "$b" | grep 'not found' >&2
    exit 1
  fi
done
echo "fetch-cyrus.sh: Cyrus $(dpkg-deb -f "$(ls -1 "$DEBS"/cyrus-pop3d_*.deb | sort -V | tail -n 1)" Version) ready in $ROOT"
