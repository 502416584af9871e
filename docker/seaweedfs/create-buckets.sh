#!/bin/sh
# The one-shot s3-init container: creates the platform's buckets on SeaweedFS when they
# are missing, with signed S3 requests (curl's --aws-sigv4). It never deletes or empties a
# bucket, so it runs safely on every `docker compose up`.
set -eu
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}" "${S3_ENDPOINT:?}" "${S3_REGION:?}"
s3() {
  curl --silent --show-error --output /dev/null --write-out '%{http_code}' \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
}
for bucket in "${LAKEHOUSE_BUCKET:?}" "${LAKEHOUSE_WAREHOUSE_BUCKET:?}"; do
  found=$(s3 --head "$S3_ENDPOINT/$bucket")
  case "$found" in
    200) echo "bucket $bucket: exists" ;;
    404)
      made=$(s3 --request PUT "$S3_ENDPOINT/$bucket")
      # 409: another run created it meanwhile.
      case "$made" in
        200 | 409) echo "bucket $bucket: created" ;;
        *) echo "bucket $bucket: creating it answered HTTP $made" >&2; exit 1 ;;
      esac ;;
    *) echo "bucket $bucket: S3 answered HTTP $found" >&2; exit 1 ;;
  esac
done
