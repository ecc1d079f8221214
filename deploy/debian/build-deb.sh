#!/usr/bin/env bash
# Build the Debian package of the Doorbraak node from a built binary:
#   deploy/debian/build-deb.sh target/release/doorbraak OUTDIR
# Writes OUTDIR/doorbraak_<version>_<arch>.deb (dpkg-deb; no other tools needed).
set -euo pipefail
bin=${1:?usage: build-deb.sh BINARY OUTDIR}
out=${2:?usage: build-deb.sh BINARY OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${DOORBRAAK_DEB_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)}
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$bin" "$stage/usr/bin/doorbraak"
install -D -m 0644 "$here/doorbraak.service" "$stage/lib/systemd/system/doorbraak.service"
doc="$stage/usr/share/doc/doorbraak"
install -d "$doc/examples"
# the example configuration keeps its state where the unit allows writing
sed -e 's|^data_dir = .*|data_dir = "/var/lib/doorbraak"|' \
    -e 's|^manifest = "directory.json"|manifest = "/etc/doorbraak/directory.json"|' \
    "$root/deploy/examples/node.toml" > "$doc/examples/node.toml"
install -m 0644 "$root/deploy/examples/directory.json" "$doc/examples/directory.json"
install -m 0644 "$root/docs/beheer.md" "$root/docs/privacy.md" "$doc/"
install -d "$stage/DEBIAN"
for s in postinst prerm postrm; do
  install -m 0755 "$here/$s" "$stage/DEBIAN/$s"
done
size=$(du -sk "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: doorbraak
Version: $version
Architecture: $arch
Maintainer: Doorbraak <beheer@doorbraak.example>
Depends: libc6, adduser
Section: net
Priority: optional
Installed-Size: $size
Homepage: https://doorbraak.example
Description: Doorbraak node: the escalation network of Dutch youth care
 One organisation's node: its cases, kwesties and escalations, exchanged with the other
 organisations of the region over gRPC with mutual TLS. Runs as the doorbraak user with
 its state in /var/lib/doorbraak and its configuration in /etc/doorbraak.
CONTROL
mkdir -p "$out"
dpkg-deb -Zgzip --root-owner-group --build "$stage" "$out/doorbraak_${version}_${arch}.deb" >/dev/null
echo "$out/doorbraak_${version}_${arch}.deb"
