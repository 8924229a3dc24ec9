//! The few config.yml keys certificates care about (`http.host`, `http.tls.*`), read and edited as
//! untyped YAML so that this module works before and apart from the typed config model; keys it
//! does not know are kept. Comments are not (serde_yaml drops them), which callers tell the user.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::{read_file, CertError};

/// `http.tls.letsencrypt` as distribution spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetsEncryptSettings {
    pub cachefile: Option<PathBuf>,
    pub email: Option<String>,
    pub hosts: Vec<String>,
    pub directoryurl: Option<String>,
}

/// The TLS-related part of a config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `http.host`: the URL clients use.
    pub host: Option<String>,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub letsencrypt: Option<LetsEncryptSettings>,
}

/// Reads the TLS settings of `path`.
///
/// # Errors
/// When the file cannot be read or is not YAML.
pub fn read_tls_settings(path: &Path) -> Result<TlsSettings, CertError> {
    let doc = load(path)?;
    let http = doc.get("http");
    let tls = http.and_then(|h| h.get("tls"));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let letsencrypt = tls
        .and_then(|t| t.get("letsencrypt"))
        .map(|le| LetsEncryptSettings {
            cachefile: text(le.get("cachefile")).map(PathBuf::from),
            email: text(le.get("email")),
            hosts: le
                .get("hosts")
                .and_then(Value::as_sequence)
                .map(|seq| seq.iter().filter_map(|h| text(Some(h))).collect())
                .unwrap_or_default(),
            directoryurl: text(le.get("directoryurl")),
        });
    Ok(TlsSettings {
        host: text(http.and_then(|h| h.get("host"))),
        certificate: text(tls.and_then(|t| t.get("certificate"))).map(PathBuf::from),
        key: text(tls.and_then(|t| t.get("key"))).map(PathBuf::from),
        letsencrypt,
    })
}

/// Points `http.tls.certificate` and `http.tls.key` of the config at `path` to new files, creating
/// the `http` and `tls` mappings when missing and keeping every other key.
///
/// # Errors
/// When the file cannot be read, is not YAML, has a non-mapping `http`/`http.tls`, or cannot be
/// written.
pub fn set_tls_files(path: &Path, certificate: &Path, key: &Path) -> Result<(), CertError> {
    let mut doc = load(path)?;
    let shape = |reason: &str| CertError::ConfigShape {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let root = doc
        .as_mapping_mut()
        .ok_or_else(|| shape("the top level is not a mapping"))?;
    let http = child_mapping(root, "http").ok_or_else(|| shape("`http` is not a mapping"))?;
    let tls = child_mapping(http, "tls").ok_or_else(|| shape("`http.tls` is not a mapping"))?;
    tls.insert(
        "certificate".into(),
        Value::String(certificate.display().to_string()),
    );
    tls.insert("key".into(), Value::String(key.display().to_string()));
    let text = serde_yaml::to_string(&doc).map_err(|source| CertError::ConfigSyntax {
        path: path.to_owned(),
        source,
    })?;
    // The config may hold secrets (e.g. http.secret): keep whatever mode it already has.
    crate::fsutil::atomic_write(path, text.as_bytes(), None).map_err(|source| {
        CertError::Write {
            path: path.to_owned(),
            source,
        }
    })?;
    Ok(())
}

fn load(path: &Path) -> Result<Value, CertError> {
    let bytes = read_file(path)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Mapping(Mapping::new()));
    }
    serde_yaml::from_slice(&bytes).map_err(|source| CertError::ConfigSyntax {
        path: path.to_owned(),
        source,
    })
}

/// The mapping under `key`, inserted when absent or null; `None` when it is something else.
fn child_mapping<'a>(parent: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
    let slot = parent
        .entry(Value::String(key.to_owned()))
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if slot.is_null() {
        *slot = Value::Mapping(Mapping::new());
    }
    slot.as_mapping_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_tls_files_and_keeps_other_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.yml");
        std::fs::write(
            &path,
            "version: 0.1\nhttp:\n  addr: :5000\n  host: https://r.test:5000\n  tls: ~\nstorage:\n  filesystem:\n    rootdirectory: /data\n",
        )
        .unwrap();
        set_tls_files(
            &path,
            Path::new("/c/server.crt"),
            Path::new("/c/server.key"),
        )
        .unwrap();
        let settings = read_tls_settings(&path).unwrap();
        assert_eq!(settings.certificate, Some(PathBuf::from("/c/server.crt")));
        assert_eq!(settings.key, Some(PathBuf::from("/c/server.key")));
        assert_eq!(settings.host.as_deref(), Some("https://r.test:5000"));
        let doc: Value = serde_yaml::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(doc["http"]["addr"], Value::String(":5000".into()));
        assert_eq!(
            doc["storage"]["filesystem"]["rootdirectory"],
            Value::String("/data".into())
        );
    }

    #[test]
    fn refuses_a_scalar_http() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.yml");
        std::fs::write(&path, "http: yes\n").unwrap();
        let err = set_tls_files(&path, Path::new("a"), Path::new("b")).unwrap_err();
        assert!(err.to_string().contains("`http` is not a mapping"), "{err}");
    }
}
