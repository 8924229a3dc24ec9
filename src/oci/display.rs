//! How digests and media types are shortened for people: in the CLI's 80-column tables and on
//! the web pages alike.

/// How digests appear in tables: the algorithm and the first 12 hex digits, as docker and crane
/// print image ids, unless `wide`. 12 digits are unique in any real repository and fit 80 columns;
/// `--wide` and `-o json` give the full value to copy.
#[must_use]
pub fn short_digest(digest: &str, wide: bool) -> String {
    const SHOWN: usize = 12;
    match digest.split_once(':') {
        Some((algorithm, hex)) if !wide && hex.len() > SHOWN && hex.is_ascii() => {
            format!("{algorithm}:{}", &hex[..SHOWN])
        }
        _ => digest.to_owned(),
    }
}

/// How media types appear in tables: a short name for the OCI and Docker types (`oci manifest`,
/// `docker list`, ...), other types without their `application/vnd.` prefix, the full type with
/// `wide`.
#[must_use]
pub fn short_media_type(media_type: &str, wide: bool) -> String {
    if wide {
        return media_type.to_owned();
    }
    let short = match media_type {
        "application/vnd.oci.image.manifest.v1+json" => "oci manifest",
        "application/vnd.oci.image.index.v1+json" => "oci index",
        "application/vnd.oci.image.config.v1+json" => "oci config",
        "application/vnd.oci.image.layer.v1.tar" => "oci layer",
        "application/vnd.oci.image.layer.v1.tar+gzip" => "oci layer gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd" => "oci layer zstd",
        "application/vnd.oci.empty.v1+json" => "oci empty",
        "application/vnd.docker.distribution.manifest.v2+json" => "docker v2",
        "application/vnd.docker.distribution.manifest.list.v2+json" => "docker list",
        "application/vnd.docker.distribution.manifest.v1+json"
        | "application/vnd.docker.distribution.manifest.v1+prettyjws" => "docker v1",
        "application/vnd.docker.container.image.v1+json" => "docker config",
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => "docker layer",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => "docker foreign",
        other => {
            let other = other.strip_prefix("application/").unwrap_or(other);
            return other.strip_prefix("vnd.").unwrap_or(other).to_owned();
        }
    };
    short.to_owned()
}
