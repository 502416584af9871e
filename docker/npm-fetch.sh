#!/bin/sh
# Downloads one package tarball from the npm registry and checks its SHA-1, the one the
# registry publishes for it (versions.env pins both).
#   npm-fetch.sh PACKAGE VERSION SHA1 DEST
set -eu
curl --fail --silent --show-error --location --retry 3 --output "$4" \
  "https://registry.npmjs.org/$1/-/$1-$2.tgz"
echo "$3  $4" | sha1sum -c -
