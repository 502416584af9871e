#!/bin/sh
# Creates the platform's buckets on SeaweedFS when they are missing. It never deletes or
# empties a bucket, so it runs safely on every `docker compose up`.
set -eu
for bucket in "${LAKEHOUSE_BUCKET:?}" "${LAKEHOUSE_WAREHOUSE_BUCKET:?}"; do
  if aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    echo "bucket $bucket: exists"
  elif aws s3api create-bucket --bucket "$bucket" >/dev/null; then
    echo "bucket $bucket: created"
  else
    # Another run may have created it meanwhile; anything else is a real failure.
    aws s3api head-bucket --bucket "$bucket"
    echo "bucket $bucket: exists"
  fi
done
