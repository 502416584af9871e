#!/bin/sh
# Downloads one artifact from Maven Central and checks it against the SHA-1 Maven Central
# publishes beside it, as the native installer does (src/install/download.ts).
#   maven-fetch.sh GROUP ARTIFACT VERSION FILE DEST
set -eu
url="https://repo1.maven.org/maven2/$(echo "$1" | tr . /)/$2/$3/$4"
curl --fail --silent --show-error --location --retry 3 --output "$5" "$url"
expected=$(curl --fail --silent --show-error --location --retry 3 "$url.sha1" | cut -c1-40)
echo "$expected  $5" | sha1sum -c -
