//! The shape of distribution's `Configuration` as its parser sees it: for every struct, the Go
//! field names (what `REGISTRY_*` variables match) next to the YAML keys (what config.yml uses),
//! and the type of each value.
//!
//! This table is the union of distribution v2.8.x (Debian's `docker-registry`, registry:2) and
//! v3.x: `reporting`, `compatibility`, `redis.addr` and `redis.pool` exist only in 2.8; `tags`,
//! `http.h2c`, `http.tls.clientauth`, `validation.manifests.indexes`, `proxy.ttl` and the other v3
//! redis options only in 3.x. A config may hold both: each registry ignores what it does not know.
//!
//! Where distribution types a section as `Parameters` (`map[string]any`), the env algorithm treats
//! it as a free map; the known keys listed here only drive validation.

/// What a value must look like.
#[derive(Debug)]
pub enum Shape {
    /// A Go struct: only the listed fields exist.
    Struct(&'static [Field]),
    /// A Go `map[string]T`: keys are free.
    Map(&'static Shape),
    /// distribution's `Parameters` (`map[string]any`): keys are free for Go; `known` are the ones
    /// the registry reads, and `open` says whether other keys are legitimate (driver options).
    Params {
        known: &'static [Field],
        open: bool,
    },
    /// `Storage` and `Auth`: `map[string]Parameters` that names exactly one kind (a storage
    /// driver, an auth method) next to some fixed sections; a plain string selects a kind with no
    /// parameters (`REGISTRY_AUTH=htpasswd`).
    OneOf {
        what: &'static str,
        fixed: &'static [Field],
        kinds: &'static [Field],
    },
    /// A Go slice: YAML sequence, env index `_0`, `_1`, ...
    Slice(&'static Shape),
    /// `any`: whatever YAML holds.
    Any,
    Str,
    Bool,
    Int,
    /// `time.Duration`: a Go duration string or an integer of nanoseconds.
    Duration,
    /// A duration inside `Parameters`: the registry requires a string there.
    DurationString,
    /// A string from a fixed set.
    Enum {
        values: &'static [&'static str],
        case_insensitive: bool,
    },
    /// `version`: "major.minor".
    Version,
}

/// One struct field (or one known `Parameters` key).
#[derive(Debug)]
pub struct Field {
    /// Go field name; `REGISTRY_*` components match its upper-case form.
    pub go: &'static str,
    /// YAML key.
    pub yaml: &'static str,
    pub shape: &'static Shape,
    /// Declared `yaml:",inline"` in Go (v3's `redis` options): env matching is case-insensitive.
    pub inline: bool,
}

const fn f(go: &'static str, yaml: &'static str, shape: &'static Shape) -> Field {
    Field {
        go,
        yaml,
        shape,
        inline: false,
    }
}

const fn inline(go: &'static str, yaml: &'static str, shape: &'static Shape) -> Field {
    Field {
        go,
        yaml,
        shape,
        inline: true,
    }
}

/// A known key of a `Parameters` map (Go has no field name there; the map key is matched).
const fn p(yaml: &'static str, shape: &'static Shape) -> Field {
    Field {
        go: yaml,
        yaml,
        shape,
        inline: false,
    }
}

static STR: Shape = Shape::Str;
static BOOL: Shape = Shape::Bool;
static INT: Shape = Shape::Int;
static DUR: Shape = Shape::Duration;
static DUR_STR: Shape = Shape::DurationString;
static ANY: Shape = Shape::Any;
static STRS: Shape = Shape::Slice(&STR);
static HEADERS: Shape = Shape::Map(&STRS);
static OPEN_PARAMS: Shape = Shape::Params {
    known: &[],
    open: true,
};
static NO_PARAMS: Shape = Shape::Params {
    known: &[],
    open: false,
};

pub static LOGLEVEL: Shape = Shape::Enum {
    values: &["error", "warn", "info", "debug"],
    case_insensitive: true,
};

pub static ROOT: Shape = Shape::Struct(&[
    f("Version", "version", &Shape::Version),
    f("Log", "log", &LOG),
    f("Loglevel", "loglevel", &LOGLEVEL),
    f("Storage", "storage", &STORAGE),
    f("Auth", "auth", &AUTH),
    f(
        "Middleware",
        "middleware",
        &Shape::Map(&Shape::Slice(&MIDDLEWARE)),
    ),
    // v2.8 only.
    f("Reporting", "reporting", &REPORTING),
    f("HTTP", "http", &HTTP),
    f("Notifications", "notifications", &NOTIFICATIONS),
    f("Redis", "redis", &REDIS),
    f("Health", "health", &HEALTH),
    f(
        "Catalog",
        "catalog",
        &Shape::Struct(&[f("MaxEntries", "maxentries", &INT)]),
    ),
    // v3 only.
    f(
        "Tags",
        "tags",
        &Shape::Struct(&[
            f("MaxTags", "maxtags", &INT),
            // regctl's own (src/registry/immutable.rs); registry:2 ignores the key.
            f(
                "Immutable",
                "immutable",
                &Shape::Slice(&Shape::Struct(&[
                    f("Repository", "repository", &STR),
                    f("Tag", "tag", &STR),
                ])),
            ),
        ]),
    ),
    f("Proxy", "proxy", &PROXY),
    // v2.8 only.
    f("Compatibility", "compatibility", &COMPATIBILITY),
    f("Validation", "validation", &VALIDATION),
    f(
        "Policy",
        "policy",
        &Shape::Struct(&[f(
            "Repository",
            "repository",
            &Shape::Struct(&[f("Classes", "classes", &STRS)]),
        )]),
    ), // regctl's own (src/retention); registry:2's yaml parser ignores the key.
    f("Retention", "retention", &RETENTION),
]);

static TAG_SELECTOR: Shape = Shape::Struct(&[
    f("Matching", "matching", &STR),
    f("NotMatching", "notmatching", &STR),
    f("Newest", "newest", &INT),
    f("PushedWithin", "pushedwithin", &DUR),
    f("PulledWithin", "pulledwithin", &DUR),
    f("OlderThan", "olderthan", &DUR),
]);

static RETENTION: Shape = Shape::Struct(&[
    f(
        "Policies",
        "policies",
        &Shape::Slice(&Shape::Struct(&[
            f("Repository", "repository", &STR),
            f("Keep", "keep", &Shape::Slice(&TAG_SELECTOR)),
            f("Delete", "delete", &Shape::Slice(&TAG_SELECTOR)),
        ])),
    ),
    f("Schedule", "schedule", &DUR),
]);

static LOG: Shape = Shape::Struct(&[
    f(
        "AccessLog",
        "accesslog",
        &Shape::Struct(&[f("Disabled", "disabled", &BOOL)]),
    ),
    // regctl's own (src/audit); registry:2 ignores the key.
    f("Audit", "audit", &Shape::Struct(&[f("File", "file", &STR)])),
    f("Level", "level", &LOGLEVEL),
    f(
        "Formatter",
        "formatter",
        &Shape::Enum {
            values: &["text", "json", "logstash"],
            case_insensitive: false,
        },
    ),
    f("Fields", "fields", &Shape::Map(&ANY)),
    f("Hooks", "hooks", &Shape::Slice(&LOG_HOOK)),
    // v3 only.
    f("ReportCaller", "reportcaller", &BOOL),
]);

static LOG_HOOK: Shape = Shape::Struct(&[
    f("Disabled", "disabled", &BOOL),
    f("Type", "type", &STR),
    f("Levels", "levels", &STRS),
    // The Go field is MailOptions: REGISTRY_LOG_HOOKS_0_MAILOPTIONS_FROM.
    f(
        "MailOptions",
        "options",
        &Shape::Struct(&[
            f(
                "SMTP",
                "smtp",
                &Shape::Struct(&[
                    f("Addr", "addr", &STR),
                    f("Username", "username", &STR),
                    f("Password", "password", &STR),
                    f("Insecure", "insecure", &BOOL),
                ]),
            ),
            f("From", "from", &STR),
            f("To", "to", &STRS),
        ]),
    ),
]);

/// Storage sections distribution allows next to the one driver.
pub static STORAGE_FIXED: &[Field] = &[
    p(
        "delete",
        &Shape::Params {
            known: &[p("enabled", &BOOL)],
            open: false,
        },
    ),
    p(
        "cache",
        &Shape::Params {
            known: &[
                p(
                    "blobdescriptor",
                    &Shape::Enum {
                        values: &["inmemory", "redis"],
                        case_insensitive: false,
                    },
                ),
                // v3 only.
                p("blobdescriptorsize", &INT),
                // Pre-2.0 spelling of blobdescriptor, still read.
                p("layerinfo", &STR),
            ],
            open: false,
        },
    ),
    p(
        "maintenance",
        &Shape::Params {
            known: &[
                p(
                    "uploadpurging",
                    &Shape::Params {
                        known: &[
                            p("enabled", &BOOL),
                            p("age", &DUR_STR),
                            p("interval", &DUR_STR),
                            p("dryrun", &BOOL),
                        ],
                        open: false,
                    },
                ),
                p(
                    "readonly",
                    &Shape::Params {
                        known: &[p("enabled", &BOOL)],
                        open: false,
                    },
                ),
            ],
            open: false,
        },
    ),
    p(
        "redirect",
        &Shape::Params {
            known: &[p("disable", &BOOL)],
            open: false,
        },
    ),
    // v3 only.
    p(
        "tag",
        &Shape::Params {
            known: &[p("concurrencylimit", &INT)],
            open: false,
        },
    ),
];

/// Storage drivers distribution ships (2.8 also has swift and oss).
pub static STORAGE_DRIVERS: &[Field] = &[
    p(
        "filesystem",
        &Shape::Params {
            known: &[p("rootdirectory", &STR), p("maxthreads", &INT)],
            open: false,
        },
    ),
    p("inmemory", &NO_PARAMS),
    p("s3", &S3_PARAMS),
    p("gcs", &OPEN_PARAMS),
    p("azure", &OPEN_PARAMS),
    p("swift", &OPEN_PARAMS),
    p("oss", &OPEN_PARAMS),
];

/// The parameters distribution's s3-aws driver reads (`FromParameters` in
/// `registry/storage/driver/s3-aws/s3.go`); it ignores any other key, so one here is a typo.
/// Sizes and booleans may also be strings (the driver parses `fmt.Sprint` of the value), which an
/// environment override already turns into numbers and booleans.
static S3_PARAMS: Shape = Shape::Params {
    known: &[
        p("accesskey", &STR),
        p("secretkey", &STR),
        p("region", &STR),
        p("regionendpoint", &STR),
        p("forcepathstyle", &BOOL),
        p("bucket", &STR),
        p("encrypt", &BOOL),
        p("keyid", &STR),
        p("secure", &BOOL),
        p("skipverify", &BOOL),
        p("v4auth", &BOOL),
        p("chunksize", &INT),
        p("multipartcopychunksize", &INT),
        p("multipartcopymaxconcurrency", &INT),
        p("multipartcopythresholdsize", &INT),
        p("rootdirectory", &STR),
        p("storageclass", &STR),
        p("useragent", &STR),
        p("objectacl", &STR),
        p("usedualstack", &BOOL),
        p("accelerate", &BOOL),
        p("usefipsendpoint", &BOOL),
        // `off`, `debug`, ...; YAML's `off` is false, which the driver reads as off too.
        p("loglevel", &ANY),
        // distribution 3 only.
        p("redirectendpoint", &STR),
    ],
    open: false,
};

static STORAGE: Shape = Shape::OneOf {
    what: "storage driver",
    fixed: STORAGE_FIXED,
    kinds: STORAGE_DRIVERS,
};

pub static AUTH_KINDS: &[Field] = &[
    p(
        "htpasswd",
        &Shape::Params {
            // `policy` is regctl's (src/access): registry:2's htpasswd reads only realm and path.
            known: &[p("realm", &STR), p("path", &STR), p("policy", &STR)],
            open: false,
        },
    ),
    p(
        "token",
        &Shape::Params {
            known: &[
                p("realm", &STR),
                p("service", &STR),
                p("issuer", &STR),
                p("rootcertbundle", &STR),
                p("autoredirect", &BOOL),
                // v3 only.
                p("autoredirectpath", &STR),
                p("jwks", &STR),
                p("signingalgorithms", &STRS),
            ],
            open: false,
        },
    ),
    p(
        "silly",
        &Shape::Params {
            known: &[p("realm", &STR), p("service", &STR)],
            open: false,
        },
    ),
];

static AUTH: Shape = Shape::OneOf {
    what: "auth method",
    fixed: &[],
    kinds: AUTH_KINDS,
};

static MIDDLEWARE: Shape = Shape::Struct(&[
    f("Name", "name", &STR),
    f("Disabled", "disabled", &BOOL),
    f("Options", "options", &OPEN_PARAMS),
]);

static REPORTING: Shape = Shape::Struct(&[
    f(
        "Bugsnag",
        "bugsnag",
        &Shape::Struct(&[
            f("APIKey", "apikey", &STR),
            f("ReleaseStage", "releasestage", &STR),
            f("Endpoint", "endpoint", &STR),
        ]),
    ),
    f(
        "NewRelic",
        "newrelic",
        &Shape::Struct(&[
            f("LicenseKey", "licensekey", &STR),
            f("Name", "name", &STR),
            f("Verbose", "verbose", &BOOL),
        ]),
    ),
]);

/// Go's `tls.CipherSuite` names distribution accepts in `http.tls.ciphersuites`.
pub static CIPHER_SUITES: &[&str] = &[
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

static TLS: Shape = Shape::Struct(&[
    f("Certificate", "certificate", &STR),
    f("Key", "key", &STR),
    f("ClientCAs", "clientcas", &STRS),
    // v3 only.
    f(
        "ClientAuth",
        "clientauth",
        &Shape::Enum {
            values: &[
                "request-client-cert",
                "require-any-client-cert",
                "verify-client-cert-if-given",
                "require-and-verify-client-cert",
            ],
            case_insensitive: false,
        },
    ),
    f(
        "MinimumTLS",
        "minimumtls",
        &Shape::Enum {
            values: &["tls1.0", "tls1.1", "tls1.2", "tls1.3"],
            case_insensitive: false,
        },
    ),
    f(
        "CipherSuites",
        "ciphersuites",
        &Shape::Slice(&Shape::Enum {
            values: CIPHER_SUITES,
            case_insensitive: false,
        }),
    ),
    f(
        "LetsEncrypt",
        "letsencrypt",
        &Shape::Struct(&[
            f("CacheFile", "cachefile", &STR),
            f("Email", "email", &STR),
            f("Hosts", "hosts", &STRS),
            // v3 only.
            f("DirectoryURL", "directoryurl", &STR),
        ]),
    ),
]);

static HTTP: Shape = Shape::Struct(&[
    f("Addr", "addr", &STR),
    f(
        "Net",
        "net",
        &Shape::Enum {
            values: &["tcp", "unix"],
            case_insensitive: false,
        },
    ),
    f("Host", "host", &STR),
    f("Prefix", "prefix", &STR),
    f("Secret", "secret", &STR),
    f("RelativeURLs", "relativeurls", &BOOL),
    f("DrainTimeout", "draintimeout", &DUR),
    f("TLS", "tls", &TLS),
    f("Headers", "headers", &HEADERS),
    f(
        "Debug",
        "debug",
        &Shape::Struct(&[
            f("Addr", "addr", &STR),
            f(
                "Prometheus",
                "prometheus",
                &Shape::Struct(&[f("Enabled", "enabled", &BOOL), f("Path", "path", &STR)]),
            ),
        ]),
    ),
    f(
        "HTTP2",
        "http2",
        &Shape::Struct(&[f("Disabled", "disabled", &BOOL)]),
    ),
    // v3 only.
    f(
        "H2C",
        "h2c",
        &Shape::Struct(&[f("Enabled", "enabled", &BOOL)]),
    ),
]);

static NOTIFICATIONS: Shape = Shape::Struct(&[
    // The Go field is EventConfig: REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES.
    f(
        "EventConfig",
        "events",
        &Shape::Struct(&[f("IncludeReferences", "includereferences", &BOOL)]),
    ),
    f("Endpoints", "endpoints", &Shape::Slice(&ENDPOINT)),
    // regctl's own (src/notify): the on-disk queue registry:2 does not have (it ignores the key).
    f(
        "Queue",
        "queue",
        &Shape::Struct(&[
            f("Directory", "directory", &STR),
            f("MaxEvents", "maxevents", &INT),
        ]),
    ),
]);

static ENDPOINT: Shape = Shape::Struct(&[
    f("Name", "name", &STR),
    f("Disabled", "disabled", &BOOL),
    f("URL", "url", &STR),
    f("Headers", "headers", &HEADERS),
    f("Timeout", "timeout", &DUR),
    f("Threshold", "threshold", &INT),
    f("Backoff", "backoff", &DUR),
    f("IgnoredMediaTypes", "ignoredmediatypes", &STRS),
    f(
        "Ignore",
        "ignore",
        &Shape::Struct(&[
            f("MediaTypes", "mediatypes", &STRS),
            f("Actions", "actions", &STRS),
        ]),
    ),
]);

static REDIS: Shape = Shape::Struct(&[
    // v2.8: a single address and a pool section.
    f("Addr", "addr", &STR),
    f(
        "Pool",
        "pool",
        &Shape::Struct(&[
            f("MaxIdle", "maxidle", &INT),
            f("MaxActive", "maxactive", &INT),
            f("IdleTimeout", "idletimeout", &DUR),
        ]),
    ),
    // v3: go-redis UniversalOptions inlined (both versions share password, db and timeouts).
    inline("Addrs", "addrs", &STRS),
    inline("ClientName", "clientname", &STR),
    inline("DB", "db", &INT),
    inline("Protocol", "protocol", &INT),
    inline("Username", "username", &STR),
    inline("Password", "password", &STR),
    inline("SentinelUsername", "sentinelusername", &STR),
    inline("SentinelPassword", "sentinelpassword", &STR),
    inline("MaxRetries", "maxretries", &INT),
    inline("MinRetryBackoff", "minretrybackoff", &DUR),
    inline("MaxRetryBackoff", "maxretrybackoff", &DUR),
    inline("DialTimeout", "dialtimeout", &DUR),
    inline("ReadTimeout", "readtimeout", &DUR),
    inline("WriteTimeout", "writetimeout", &DUR),
    inline("ContextTimeoutEnabled", "contexttimeoutenabled", &BOOL),
    inline("PoolFIFO", "poolfifo", &BOOL),
    inline("PoolSize", "poolsize", &INT),
    inline("PoolTimeout", "pooltimeout", &DUR),
    inline("MinIdleConns", "minidleconns", &INT),
    inline("MaxIdleConns", "maxidleconns", &INT),
    inline("MaxActiveConns", "maxactiveconns", &INT),
    inline("ConnMaxIdleTime", "connmaxidletime", &DUR),
    inline("ConnMaxLifetime", "connmaxlifetime", &DUR),
    inline("MaxRedirects", "maxredirects", &INT),
    inline("ReadOnly", "readonly", &BOOL),
    inline("RouteByLatency", "routebylatency", &BOOL),
    inline("RouteRandomly", "routerandomly", &BOOL),
    inline("MasterName", "mastername", &STR),
    inline("DisableIdentity", "disableidentity", &BOOL),
    inline("IdentitySuffix", "identitysuffix", &STR),
    inline("UnstableResp3", "unstableresp3", &BOOL),
    f(
        "TLS",
        "tls",
        &Shape::Struct(&[
            f("Certificate", "certificate", &STR),
            f("Key", "key", &STR),
            f("RootCAs", "rootcas", &STRS),
        ]),
    ),
]);

static CHECKER_FILE: Shape = Shape::Struct(&[
    f("Interval", "interval", &DUR),
    f("File", "file", &STR),
    f("Threshold", "threshold", &INT),
]);

static CHECKER_HTTP: Shape = Shape::Struct(&[
    f("Timeout", "timeout", &DUR),
    // No yaml tag in Go: yaml.v2 lower-cases the field name.
    f("StatusCode", "statuscode", &INT),
    f("Interval", "interval", &DUR),
    f("URI", "uri", &STR),
    f("Headers", "headers", &HEADERS),
    f("Threshold", "threshold", &INT),
]);

static CHECKER_TCP: Shape = Shape::Struct(&[
    f("Timeout", "timeout", &DUR),
    f("Interval", "interval", &DUR),
    f("Addr", "addr", &STR),
    f("Threshold", "threshold", &INT),
]);

static HEALTH: Shape = Shape::Struct(&[
    // Go field names differ from the YAML keys: REGISTRY_HEALTH_FILECHECKERS_0_FILE.
    f("FileCheckers", "file", &Shape::Slice(&CHECKER_FILE)),
    f("HTTPCheckers", "http", &Shape::Slice(&CHECKER_HTTP)),
    f("TCPCheckers", "tcp", &Shape::Slice(&CHECKER_TCP)),
    f(
        "StorageDriver",
        "storagedriver",
        &Shape::Struct(&[
            f("Enabled", "enabled", &BOOL),
            f("Interval", "interval", &DUR),
            f("Threshold", "threshold", &INT),
        ]),
    ),
]);

static PROXY: Shape = Shape::Struct(&[
    f("RemoteURL", "remoteurl", &STR),
    f("Username", "username", &STR),
    f("Password", "password", &STR),
    // v3 only.
    f(
        "Exec",
        "exec",
        &Shape::Struct(&[
            f("Command", "command", &STR),
            f("Lifetime", "lifetime", &DUR),
        ]),
    ),
    f("TTL", "ttl", &DUR),
    f("CacheWriteTimeout", "cachewritetimeout", &DUR),
    // regctl's own (src/proxy/routes.rs); registry:2's yaml parser ignores the key.
    f(
        "Upstreams",
        "upstreams",
        &Shape::Slice(&Shape::Struct(&[
            f("Prefix", "prefix", &STR),
            f("RemoteURL", "remoteurl", &STR),
            f("Username", "username", &STR),
            f("Password", "password", &STR),
            f("TTL", "ttl", &DUR),
        ])),
    ),
    // regctl's own (src/proxy/evict.rs): the cache's size budget and how often it is checked.
    f("CacheBudget", "cachebudget", &STR),
    f("EvictInterval", "evictinterval", &DUR),
]);

static COMPATIBILITY: Shape = Shape::Struct(&[f(
    "Schema1",
    "schema1",
    &Shape::Struct(&[
        // The Go field is TrustKey: REGISTRY_COMPATIBILITY_SCHEMA1_TRUSTKEY.
        f("TrustKey", "signingkeyfile", &STR),
        f("Enabled", "enabled", &BOOL),
    ]),
)]);

static VALIDATION: Shape = Shape::Struct(&[
    f("Enabled", "enabled", &BOOL),
    f("Disabled", "disabled", &BOOL),
    f(
        "Manifests",
        "manifests",
        &Shape::Struct(&[
            f(
                "URLs",
                "urls",
                &Shape::Struct(&[f("Allow", "allow", &STRS), f("Deny", "deny", &STRS)]),
            ),
            // v3 only.
            f(
                "Indexes",
                "indexes",
                &Shape::Struct(&[
                    f(
                        "Platforms",
                        "platforms",
                        &Shape::Enum {
                            values: &["all", "none", "list"],
                            case_insensitive: true,
                        },
                    ),
                    f(
                        "PlatformList",
                        "platformlist",
                        &Shape::Slice(&Shape::Struct(&[
                            f("Architecture", "architecture", &STR),
                            f("OS", "os", &STR),
                        ])),
                    ),
                ]),
            ),
        ]),
    ),
]);

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(shape: &Shape, path: &str, out: &mut Vec<String>) {
        match shape {
            Shape::Struct(fields) => {
                let mut seen = std::collections::HashSet::new();
                for field in *fields {
                    assert!(
                        seen.insert(field.go.to_ascii_uppercase()),
                        "Go name collision at {path}.{}",
                        field.go
                    );
                    assert!(!field.yaml.contains('_'), "YAML keys never contain _");
                    walk(field.shape, &format!("{path}.{}", field.yaml), out);
                }
            }
            Shape::Params { known, .. } => {
                for field in *known {
                    walk(field.shape, &format!("{path}.{}", field.yaml), out);
                }
            }
            Shape::OneOf { fixed, kinds, .. } => {
                for field in fixed.iter().chain(kinds.iter()) {
                    walk(field.shape, &format!("{path}.{}", field.yaml), out);
                }
            }
            Shape::Map(inner) | Shape::Slice(inner) => walk(inner, &format!("{path}.*"), out),
            _ => out.push(path.to_owned()),
        }
    }

    #[test]
    fn table_has_no_collisions_and_covers_the_documented_keys() {
        let mut leaves = Vec::new();
        walk(&ROOT, "", &mut leaves);
        for expected in [
            ".http.tls.letsencrypt.directoryurl",
            ".storage.maintenance.uploadpurging.age",
            ".storage.maintenance.readonly.enabled",
            ".auth.htpasswd.path",
            ".health.storagedriver.threshold",
            ".catalog.maxentries",
            ".compatibility.schema1.signingkeyfile",
            ".reporting.bugsnag.apikey",
            ".http.http2.disabled",
        ] {
            assert!(leaves.iter().any(|l| l == expected), "missing {expected}");
        }
    }
}
