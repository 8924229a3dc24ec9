//! `storage.s3`: distribution's s3-aws driver parameters as registry:2 reads them
//! (`FromParameters` in `registry/storage/driver/s3-aws/s3.go`), typed and checked once, with
//! registry:2's defaults and limits. `config validate` reports [`S3Problem`]s with their key
//! paths; the S3 storage backend is built only from an [`S3Settings`].

use serde_yaml::Value;

use super::Parameters;

/// The smallest S3 multipart part (every part but the last), and the driver's `chunksize` floor.
pub const MIN_CHUNK_SIZE: u64 = 5 * 1024 * 1024;
/// The largest S3 part, and the driver's ceiling for the size parameters.
pub const MAX_CHUNK_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// `chunksize` when unset: the size of the parts an upload is written in.
pub const DEFAULT_CHUNK_SIZE: u64 = 2 * MIN_CHUNK_SIZE;
/// `multipartcopychunksize` when unset.
pub const DEFAULT_MULTIPART_COPY_CHUNK_SIZE: u64 = 32 * 1024 * 1024;
/// `multipartcopymaxconcurrency` when unset.
pub const DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY: u64 = 100;
/// `multipartcopythresholdsize` when unset: larger objects are copied in parts.
pub const DEFAULT_MULTIPART_COPY_THRESHOLD_SIZE: u64 = 32 * 1024 * 1024;

/// The storage classes the driver accepts (upper case; it upper-cases what it reads). `NONE`
/// sends no storage class at all, for S3-compatible servers that reject the header.
pub const STORAGE_CLASSES: &[&str] = &[
    "NONE",
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "OUTPOSTS",
    "GLACIER_IR",
    "EXPRESS_ONEZONE",
];

/// How requests are signed.
#[derive(Clone, PartialEq, Eq)]
pub enum S3Credentials {
    /// `accesskey` and `secretkey`, both set.
    Static {
        access_key: String,
        secret_key: String,
    },
    /// Neither (or only one) set: the AWS environment (`AWS_ACCESS_KEY_ID`, ...), web identity or
    /// instance credentials, as the AWS SDK registry:2 uses finds them.
    Environment,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static { access_key, .. } => f
                .debug_struct("Static")
                .field("access_key", access_key)
                .field("secret_key", &"<redacted>")
                .finish(),
            Self::Environment => f.write_str("Environment"),
        }
    }
}

/// Server-side encryption (`encrypt`, `keyid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Encryption {
    None,
    /// `encrypt: true` without `keyid`: SSE-S3 (AES256).
    S3Managed,
    /// `encrypt: true` with `keyid`: SSE-KMS with that key.
    Kms(String),
}

/// The typed `storage.s3` section, with registry:2's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// `regionendpoint` as a URL (`secure` picks the scheme when it has none); `None` for AWS.
    pub endpoint: Option<String>,
    /// `rootdirectory` without leading or trailing `/` (empty: the bucket's root), so keys are
    /// `<root>/docker/registry/v2/...` exactly as the driver writes them.
    pub root_directory: String,
    pub credentials: S3Credentials,
    /// `secure` (default true): HTTPS. With `false`, plain HTTP.
    pub secure: bool,
    /// `forcepathstyle`: `endpoint/bucket/key` instead of `bucket.endpoint/key`.
    pub force_path_style: bool,
    /// `skipverify`: accept any TLS certificate from the endpoint.
    pub skip_verify: bool,
    /// `chunksize`: the part size uploads are written in.
    pub chunk_size: u64,
    pub multipart_copy_chunk_size: u64,
    pub multipart_copy_max_concurrency: u64,
    pub multipart_copy_threshold_size: u64,
    /// `storageclass` in upper case; `None` for `NONE`.
    pub storage_class: Option<String>,
    pub encryption: S3Encryption,
    /// `useragent`, sent instead of regctl's own.
    pub user_agent: Option<String>,
}

/// One problem with a `storage.s3` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Problem {
    /// The parameter (`bucket`, `chunksize`, ...), under `storage.s3`.
    pub key: &'static str,
    pub message: String,
}

impl S3Settings {
    /// Reads the `storage.s3` parameters as the driver does; every problem is reported.
    ///
    /// # Errors
    /// What registry:2 refuses to start with, plus what regctl cannot use (a root directory with
    /// empty segments, which no S3 key can hold).
    pub fn from_params(params: &Parameters) -> Result<Self, Vec<S3Problem>> {
        let mut problems = Vec::new();
        let mut problem = |key: &'static str, message: String| {
            problems.push(S3Problem { key, message });
        };
        let text = |key: &str| params.get(key).and_then(scalar).filter(|s| !s.is_empty());
        let flag = |key: &str, default: bool| match params.get(key) {
            Some(Value::Bool(b)) => *b,
            _ => default,
        };

        let bucket = text("bucket").unwrap_or_default();
        if bucket.is_empty() {
            problem(
                "bucket",
                "must be set: the bucket that holds the registry".into(),
            );
        } else if !valid_bucket_name(&bucket) {
            problem(
                "bucket",
                format!(
                    "{bucket:?} is not an S3 bucket name (3-63 lower-case letters, digits, \
                     '.' and '-', starting and ending with a letter or digit)"
                ),
            );
        }
        let secure = flag("secure", true);
        let endpoint = text("regionendpoint").map(|endpoint| {
            if endpoint.contains("://") {
                endpoint
            } else if secure {
                format!("https://{endpoint}")
            } else {
                format!("http://{endpoint}")
            }
        });
        if let Some(endpoint) = &endpoint {
            match reqwest::Url::parse(endpoint) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
                Ok(_) | Err(_) => problem(
                    "regionendpoint",
                    format!("{endpoint:?} is not an http(s) URL such as https://s3.example.com"),
                ),
            }
        }
        let region = text("region").unwrap_or_default();
        if region.is_empty() && endpoint.is_none() {
            problem(
                "region",
                "must be set (e.g. us-east-1), unless regionendpoint names an S3-compatible \
                 server"
                    .into(),
            );
        }
        let root = text("rootdirectory").unwrap_or_default();
        let root_directory = root.trim_matches('/').to_owned();
        if root_directory.split('/').any(str::is_empty) && !root_directory.is_empty() {
            problem(
                "rootdirectory",
                format!("{root:?} has an empty path segment (`//`), which no S3 key can hold"),
            );
        }
        let credentials = match (text("accesskey"), text("secretkey")) {
            (Some(access_key), Some(secret_key)) => S3Credentials::Static {
                access_key,
                secret_key,
            },
            _ => S3Credentials::Environment,
        };
        let mut size = |key: &'static str, default: u64, min: u64, max: u64| -> u64 {
            let Some(value) = params.get(key).filter(|v| !v.is_null()) else {
                return default;
            };
            match value.as_i64().and_then(|n| u64::try_from(n).ok()) {
                Some(n) if (min..=max).contains(&n) => n,
                _ => {
                    problem(
                        key,
                        format!(
                            "{} is out of range: registry:2 needs a number between {min} and \
                             {max} (inclusive)",
                            scalar(value).unwrap_or_else(|| "this value".into())
                        ),
                    );
                    default
                }
            }
        };
        let chunk_size = size(
            "chunksize",
            DEFAULT_CHUNK_SIZE,
            MIN_CHUNK_SIZE,
            MAX_CHUNK_SIZE,
        );
        let multipart_copy_chunk_size = size(
            "multipartcopychunksize",
            DEFAULT_MULTIPART_COPY_CHUNK_SIZE,
            MIN_CHUNK_SIZE,
            MAX_CHUNK_SIZE,
        );
        let multipart_copy_max_concurrency = size(
            "multipartcopymaxconcurrency",
            DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY,
            1,
            i64::MAX.unsigned_abs(),
        );
        let multipart_copy_threshold_size = size(
            "multipartcopythresholdsize",
            DEFAULT_MULTIPART_COPY_THRESHOLD_SIZE,
            0,
            MAX_CHUNK_SIZE,
        );
        let storage_class = match text("storageclass").map(|c| c.to_uppercase()) {
            None => Some("STANDARD".to_owned()),
            Some(class) if class == "NONE" => None,
            Some(class) if STORAGE_CLASSES.contains(&class.as_str()) => Some(class),
            Some(class) => {
                problem(
                    "storageclass",
                    format!(
                        "{class:?} is not a storage class registry:2 accepts (one of: {})",
                        STORAGE_CLASSES.join(", ")
                    ),
                );
                None
            }
        };
        let encryption = match (flag("encrypt", false), text("keyid")) {
            (false, _) => S3Encryption::None,
            (true, None) => S3Encryption::S3Managed,
            (true, Some(key)) => S3Encryption::Kms(key),
        };
        let settings = Self {
            bucket,
            region,
            endpoint,
            root_directory,
            credentials,
            secure,
            force_path_style: flag("forcepathstyle", false),
            skip_verify: flag("skipverify", false),
            chunk_size,
            multipart_copy_chunk_size,
            multipart_copy_max_concurrency,
            multipart_copy_threshold_size,
            storage_class,
            encryption,
            user_agent: text("useragent"),
        };
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }

    /// The region requests are signed for: `region`, or `us-east-1` when only an endpoint is
    /// set (what the AWS SDK does, and what S3-compatible servers accept).
    #[must_use]
    pub fn signing_region(&self) -> &str {
        if self.region.is_empty() {
            "us-east-1"
        } else {
            &self.region
        }
    }

    /// The `s3://bucket/root` form `config generate --storage` takes.
    #[must_use]
    pub fn url(&self) -> String {
        if self.root_directory.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.root_directory)
        }
    }
}

/// `(bucket, rootdirectory)` from `s3://bucket[/root/directory]`; `None` if `text` is no such URL.
#[must_use]
pub fn parse_storage_url(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix("s3://")?;
    let (bucket, root) = rest.split_once('/').unwrap_or((rest, ""));
    valid_bucket_name(bucket).then(|| (bucket.to_owned(), root.trim_matches('/').to_owned()))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// S3's bucket naming rules (the ones every S3-compatible server shares).
fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(yaml: &str) -> Parameters {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn keys(problems: &[S3Problem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.key).collect()
    }

    #[test]
    fn defaults_are_registry2s() {
        let s = S3Settings::from_params(&params("bucket: b1b\nregion: eu-west-1\n")).unwrap();
        assert_eq!(s.chunk_size, 10 * 1024 * 1024);
        assert_eq!(s.multipart_copy_chunk_size, 32 * 1024 * 1024);
        assert_eq!(s.multipart_copy_max_concurrency, 100);
        assert_eq!(s.multipart_copy_threshold_size, 32 * 1024 * 1024);
        assert_eq!(s.storage_class.as_deref(), Some("STANDARD"));
        assert_eq!(s.credentials, S3Credentials::Environment);
        assert_eq!(s.encryption, S3Encryption::None);
        assert!(s.secure && !s.force_path_style && !s.skip_verify);
        assert_eq!((s.endpoint, s.root_directory), (None, String::new()));
    }

    #[test]
    fn reads_every_parameter() {
        let s = S3Settings::from_params(&params(
            "bucket: reg\nregionendpoint: 127.0.0.1:9000\nsecure: false\nforcepathstyle: true\n\
             rootdirectory: /a/b/\naccesskey: AK\nsecretkey: SK\nchunksize: 6291456\n\
             storageclass: none\nencrypt: true\nkeyid: k1\nuseragent: ua\n",
        ))
        .unwrap();
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.root_directory, "a/b");
        assert_eq!(s.signing_region(), "us-east-1");
        assert_eq!(s.chunk_size, 6_291_456);
        assert_eq!(s.storage_class, None);
        assert_eq!(s.encryption, S3Encryption::Kms("k1".into()));
        assert_eq!(s.user_agent.as_deref(), Some("ua"));
        assert!(matches!(s.credentials, S3Credentials::Static { .. }));
        assert!(
            !format!("{s:?}").contains("SK"),
            "the secret is never printed"
        );
        assert_eq!(s.url(), "s3://reg/a/b");
    }

    #[test]
    fn refuses_what_registry2_refuses() {
        let problems = S3Settings::from_params(&params(
            "chunksize: 1024\nmultipartcopymaxconcurrency: 0\nstorageclass: GLACIER\n\
             rootdirectory: a//b\n",
        ))
        .unwrap_err();
        assert_eq!(
            keys(&problems),
            [
                "bucket",
                "region",
                "rootdirectory",
                "chunksize",
                "multipartcopymaxconcurrency",
                "storageclass"
            ]
        );
        let bad = S3Settings::from_params(&params("bucket: My_Bucket\nregion: r\n")).unwrap_err();
        assert_eq!(keys(&bad), ["bucket"]);
    }

    #[test]
    fn storage_urls() {
        assert_eq!(
            parse_storage_url("s3://reg/a/b/"),
            Some(("reg".into(), "a/b".into()))
        );
        assert_eq!(
            parse_storage_url("s3://reg"),
            Some(("reg".into(), "".into()))
        );
        assert_eq!(parse_storage_url("s3://R"), None);
        assert_eq!(parse_storage_url("/var/lib/registry"), None);
    }
}
