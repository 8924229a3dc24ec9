//! The few config.yml keys certificates care about (`http.host`, `http.tls.*`): read as an untyped
//! tree (`config::read_tree`, so this works before and apart from the typed model) and edited with
//! config's line editor, which keeps every comment, blank line and key of the file.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::CertError;
use crate::config::{self, Change};

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
/// the `http` and `tls` sections when missing and keeping everything else as written. The edited
/// file is checked as `config validate` checks it (under `env`); it is written (atomically, with
/// its mode) unless the edit adds a problem, so problems the file already had do not block a new
/// certificate.
///
/// # Errors
/// When the file cannot be read or edited safely, the edit makes it invalid, or it cannot be
/// written.
pub fn set_tls_files(
    path: &Path,
    certificate: &Path,
    key: &Path,
    env: &[(String, String)],
) -> Result<(), CertError> {
    let certificate = certificate.display().to_string();
    let key = key.display().to_string();
    let edited = config::edit_file(
        path,
        &[
            Change::SetString("http.tls.certificate", &certificate),
            Change::SetString("http.tls.key", &key),
        ],
        env,
    )?;
    let problems: Vec<String> = edited.new_errors().map(ToString::to_string).collect();
    if !problems.is_empty() {
        return Err(CertError::ConfigInvalid {
            path: path.to_owned(),
            problems,
        });
    }
    edited.write()?;
    Ok(())
}

fn load(path: &Path) -> Result<Value, CertError> {
    Ok(config::read_tree(path)?)
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
        let text = std::fs::read_to_string(&path).unwrap();
        set_tls_files(
            &path,
            Path::new("/c/server.crt"),
            Path::new("/c/server.key"),
            &[],
        )
        .unwrap_err();
        // The missing files are new problems: nothing was written.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        std::fs::create_dir(tmp.path().join("c")).unwrap();
        let pair = rcgen::generate_simple_self_signed(vec!["r.test".to_owned()]).unwrap();
        let (crt, key) = (
            tmp.path().join("c/server.crt"),
            tmp.path().join("c/server.key"),
        );
        std::fs::write(&crt, pair.cert.pem()).unwrap();
        std::fs::write(&key, pair.signing_key.serialize_pem()).unwrap();
        set_tls_files(&path, &crt, &key, &[]).unwrap();
        let settings = read_tls_settings(&path).unwrap();
        assert_eq!(settings.certificate, Some(crt));
        assert_eq!(settings.key, Some(key));
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
        let err = set_tls_files(&path, Path::new("a"), Path::new("b"), &[]).unwrap_err();
        let chain = crate::report::error_chain(&err);
        assert!(chain.contains("http holds a value"), "{chain}");
    }
}
