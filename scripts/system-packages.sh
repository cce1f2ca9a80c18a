#!/usr/bin/env bash
# Install the system (Debian/Ubuntu) packages aorgen needs, by group:
#
#   bash scripts/system-packages.sh [--check] GROUP...
#
#   voices  offline TTS voices of the default build: flite, festival (+ voices), rhvoice
#   coqui   what coqui-tts needs at run time: espeak-ng (its phonemiser)
#
# As root it installs what is missing with apt-get (enabling Debian's non-free component for
# RHVoice's English voices when it is not enabled yet). As another user, or with --check, it only
# says what is missing and the command that installs it, and exits 1. Other systems: install
# the packages named below with your package manager (Homebrew: flite, festival, espeak-ng).
set -euo pipefail

declare -A GROUP=(
  [voices]="flite festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k rhvoice rhvoice-english"
  [coqui]="espeak-ng"
)
NON_FREE="rhvoice rhvoice-english"   # Debian's non-free component

check=0
groups=()
for arg in "$@"; do
  case $arg in
    --check) check=1 ;;
    *) [ -n "${GROUP[$arg]:-}" ] || { echo "system-packages: unknown group '$arg' (known: ${!GROUP[*]})" >&2; exit 2; }
       groups+=("$arg") ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || { echo "usage: system-packages.sh [--check] GROUP... (groups: ${!GROUP[*]})" >&2; exit 2; }

missing=()
for g in "${groups[@]}"; do
  for p in ${GROUP[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ $check = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "aorgen: missing system packages: ${missing[*]}; install them with: sudo bash scripts/system-packages.sh ${groups[*]}" >&2
  exit 1
fi

echo "[system-packages] installing: ${missing[*]}" >&2
needs_non_free=0
for p in "${missing[@]}"; do [[ " $NON_FREE " == *" $p "* ]] && needs_non_free=1; done
if [ $needs_non_free = 1 ] && ! apt-cache policy rhvoice 2>/dev/null | grep -q "Candidate: [0-9]"; then
  apt-get update -qq
  if ! apt-cache policy rhvoice 2>/dev/null | grep -q "Candidate: [0-9]"; then
    . /etc/os-release
    if [ "${ID:-}" = debian ]; then
      echo "[system-packages] enabling Debian's non-free component for RHVoice (/etc/apt/sources.list.d/aorgen-non-free.sources)" >&2
      cat > /etc/apt/sources.list.d/aorgen-non-free.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME} ${VERSION_CODENAME}-updates
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
  fi
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[system-packages] installed: ${missing[*]}" >&2
