// A wrapper module that builds SeaweedFS's `weed` at a pinned version, used by both
// native mode (src/install/components.ts) and the image (docker/seaweedfs/Dockerfile).
// `go install …@version` refuses SeaweedFS's module because its go.mod has `replace`
// lines, so this module requires it and repeats them.
module lakehouse/weed-build

go 1.26

// A pseudo-version from the Go module proxy: SeaweedFS publishes no module tags.
require github.com/seaweedfs/seaweedfs v0.0.0-20261109003541-7506e5f91cd6

// Copied from SeaweedFS's own go.mod at this version.
replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
