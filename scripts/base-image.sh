#!/usr/bin/env bash
# Make the offline base images that benchmark Dockerfiles start FROM.
#
#   scripts/base-image.sh [SUITE...]        (default: bookworm)
#
# There is no container registry on these machines, so `debian:<suite>-slim`
# cannot be pulled. For each SUITE whose image is missing, this builds one the
# way Debian's official images are made: `debootstrap --variant=minbase`, a
# trim, then `docker import`. The host's extra CA certificates
# (/usr/local/share/ca-certificates/*.crt, e.g. an intercepting TLS proxy) are
# added to the image's trust store so apt, pip, curl and openssl work through
# the proxy. Existing images are left alone, so running it twice is cheap.
#
# Environment:
#   DEBIAN_MIRROR   mirror for debootstrap and the image's sources.list
#                   (default http://deb.debian.org/debian)
#   EXTRA_CA_DIR    where the extra CA certificates are (default
#                   /usr/local/share/ca-certificates)
set -euo pipefail

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"
EXTRA_CA_DIR="${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

if [ "$#" -eq 0 ]; then
    set -- bookworm
fi

log() { printf '[base-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap needs it)"
command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "docker engine not reachable"

ensure_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    log "installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

TMPDIRS=()
cleanup() {
    local d
    for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do
        [ -d "$d" ] || continue
        # an interrupted debootstrap can leave /proc, /sys, ... mounted in the
        # chroot: unmount them (deepest first) and never delete across a mount
        awk -v p="$d/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf --one-file-system "$d" || log "warning: could not remove $d"
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sources_list() {
    local suite="$1"
    echo "deb $MIRROR $suite main"
    case "$suite" in
        sid|unstable|experimental|rc-buggy) ;;
        stretch|buster)
            echo "deb $MIRROR $suite-updates main"
            echo "deb $SECURITY_MIRROR $suite/updates main"
            ;;
        *)
            echo "deb $MIRROR $suite-updates main"
            echo "deb $SECURITY_MIRROR $suite-security main"
            ;;
    esac
}

build_suite() {
    local suite="$1" image="debian:$1-slim"
    if docker image inspect "$image" >/dev/null 2>&1; then
        echo "$image already present ($(docker image inspect -f '{{.Id}}' "$image" | cut -c1-19)), skipping"
        return 0
    fi
    ensure_debootstrap

    local start tmp root
    start=$(date +%s)
    tmp=$(mktemp -d /tmp/pyrobench-base.XXXXXX)
    TMPDIRS+=("$tmp")
    root="$tmp/rootfs"

    log "$image: debootstrap $suite from $MIRROR"
    if ! debootstrap --variant=minbase --include=ca-certificates \
            "$suite" "$root" "$MIRROR" >"$tmp/debootstrap.out" 2>&1; then
        tail -n 30 "$tmp/debootstrap.out" >&2
        [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
        die "debootstrap $suite failed"
    fi

    log "$image: trusting host CA certificates"
    local n=0 crt
    mkdir -p "$root/usr/local/share/ca-certificates"
    for crt in "$EXTRA_CA_DIR"/*.crt; do
        [ -e "$crt" ] || continue
        install -m 0644 "$crt" "$root/usr/local/share/ca-certificates/"
        n=$((n + 1))
    done
    chroot "$root" /usr/sbin/update-ca-certificates >"$tmp/ca.out" 2>&1 \
        || { cat "$tmp/ca.out" >&2; die "update-ca-certificates failed"; }
    log "$image: $n extra CA certificate(s) added"

    log "$image: configuring apt and trimming"
    sources_list "$suite" >"$root/etc/apt/sources.list"
    rm -f "$root/etc/apt/sources.list.d/debian.sources"

    # as in Debian's official slim images: keep docs, man pages and
    # translations out of later package installs (copyright files stay)
    mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
    # no daemons start during package installs in a container
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"

    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
           "$root"/usr/share/lintian/* "$root"/usr/share/linda/*
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
         -exec rm -rf {} + 2>/dev/null || true
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
           "$root"/var/lib/dpkg/*-old "$root"/var/log/*.log "$root"/var/log/apt/* \
           "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.cache
    mkdir -p "$root/var/lib/apt/lists/partial" "$root/var/cache/apt/archives/partial"
    # Docker bind-mounts these at run time; do not ship the build host's
    rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
    : >"$root/etc/machine-id"

    log "$image: importing"
    local id
    id=$(tar --numeric-owner --xattrs -C "$root" -c . | docker import \
        --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV LANG=C.UTF-8" \
        --change "ENV SSL_CERT_FILE=$CA_BUNDLE" \
        --change "ENV REQUESTS_CA_BUNDLE=$CA_BUNDLE" \
        --change "ENV PIP_CERT=$CA_BUNDLE" \
        --change "ENV CURL_CA_BUNDLE=$CA_BUNDLE" \
        --change "LABEL io.pyrobench.base=true" \
        --change "LABEL io.pyrobench.base.suite=$suite" \
        --change "LABEL io.pyrobench.base.mirror=$MIRROR" \
        --change 'CMD ["bash"]' \
        --message "pyrobench: debootstrap --variant=minbase $suite" \
        - "$image")

    rm -rf --one-file-system "$tmp"
    local size
    size=$(docker image inspect -f '{{.Size}}' "$image")
    echo "$image built in $(( $(date +%s) - start ))s (${id:7:12}, $((size / 1000000)) MB)"
}

for suite in "$@"; do
    case "$suite" in
        *[!a-z0-9-]*|'') die "not a suite name: '$suite'" ;;
    esac
    build_suite "$suite"
done
