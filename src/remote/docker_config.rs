//! Docker's client credential store: `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`).
//!
//! Reading follows docker: `credHelpers[host]`, else `credsStore`, run as `docker-credential-NAME`;
//! else `auths[host].auth` (base64 `user:password`) or `identitytoken`. Writing keeps every key
//! regctl does not own, byte-for-byte order included, and the file stays 0600.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::{Map, Value};

use super::auth::Credentials;
use super::reference::Registry;
use super::RemoteError;

/// What a credential helper prints for `get` and reads for `store`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// docker's marker user name for an identity (refresh) token.
const IDENTITY_TOKEN_USER: &str = "<token>";

/// Where the credentials of a registry live (or were just written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `auths` in the config file.
    File(PathBuf),
    /// A `docker-credential-NAME` helper.
    Helper(String),
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Helper(name) => write!(f, "the credential helper docker-credential-{name}"),
        }
    }
}

/// An open `config.json` (empty when the file does not exist yet).
#[derive(Debug, Clone)]
pub struct DockerConfig {
    path: PathBuf,
    document: Map<String, Value>,
}

impl DockerConfig {
    /// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    ///
    /// # Errors
    /// [`RemoteError::NoDockerConfigDir`] when neither variable is set.
    pub fn default_path() -> Result<PathBuf, RemoteError> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir).join("config.json"));
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => Ok(PathBuf::from(home).join(".docker").join("config.json")),
            None => Err(RemoteError::NoDockerConfigDir),
        }
    }

    /// Opens the default config file.
    ///
    /// # Errors
    /// When the file exists but cannot be read or is not a JSON object.
    pub fn load_default() -> Result<Self, RemoteError> {
        Self::load(&Self::default_path()?)
    }

    /// Opens `path`; a missing file is an empty config.
    ///
    /// # Errors
    /// When the file exists but cannot be read or is not a JSON object.
    pub fn load(path: &Path) -> Result<Self, RemoteError> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: path.to_owned(),
                    document: Map::new(),
                })
            }
            Err(source) => {
                return Err(RemoteError::DockerConfigRead {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        let document = if text.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(&text) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    return Err(RemoteError::DockerConfigInvalid {
                        path: path.to_owned(),
                        reason: "it is not a JSON object".to_owned(),
                    })
                }
                Err(e) => {
                    return Err(RemoteError::DockerConfigInvalid {
                        path: path.to_owned(),
                        reason: e.to_string(),
                    })
                }
            }
        };
        Ok(Self {
            path: path.to_owned(),
            document,
        })
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The helper docker would use for `registry`: `credHelpers[key]`, else `credsStore`.
    #[must_use]
    pub fn helper_for(&self, registry: &Registry) -> Option<String> {
        let key = registry.credential_key();
        let specific = self
            .document
            .get("credHelpers")
            .and_then(Value::as_object)
            .and_then(|helpers| {
                helpers
                    .get(key)
                    .or_else(|| helpers.get(registry.as_str()))
                    .or_else(|| {
                        helpers
                            .iter()
                            .find(|(k, _)| hostname_of(k) == registry.as_str())
                            .map(|(_, v)| v)
                    })
            })
            .and_then(Value::as_str);
        let default = self.document.get("credsStore").and_then(Value::as_str);
        specific
            .or(default)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    }

    /// The stored credentials for `registry`, if any.
    ///
    /// # Errors
    /// When a helper fails for another reason than "not found", or an `auth` field is malformed.
    pub fn credentials_for(&self, registry: &Registry) -> Result<Option<Credentials>, RemoteError> {
        if let Some(helper) = self.helper_for(registry) {
            return helper_get(&helper, registry.credential_key());
        }
        let Some(entry) = self.auth_entry(registry) else {
            return Ok(None);
        };
        if let Some(token) = entry
            .get("identitytoken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            return Ok(Some(Credentials::IdentityToken(token.to_owned())));
        }
        if let Some(auth) = entry
            .get("auth")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
        {
            return decode_auth(auth).map(Some).map_err(|reason| {
                RemoteError::DockerConfigInvalid {
                    path: self.path.clone(),
                    reason: format!("auths.\"{}\".auth {reason}", registry.credential_key()),
                }
            });
        }
        let field = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default();
        if !field("username").is_empty() {
            return Ok(Some(Credentials::Basic {
                username: field("username").to_owned(),
                password: field("password").to_owned(),
            }));
        }
        Ok(None)
    }

    /// docker matches the exact key first, then any key with the same host (`https://h/v1/`).
    fn auth_entry(&self, registry: &Registry) -> Option<&Map<String, Value>> {
        let auths = self.document.get("auths")?.as_object()?;
        let key = registry.credential_key();
        auths
            .get(key)
            .or_else(|| {
                auths
                    .iter()
                    .find(|(k, _)| hostname_of(k) == hostname_of(key))
                    .map(|(_, v)| v)
            })
            .and_then(Value::as_object)
    }

    /// Stores credentials the way `docker login` does: through the helper when one is configured
    /// (leaving an empty `auths` entry so docker lists the registry), else base64 in `auths`.
    /// Call [`DockerConfig::save`] afterwards.
    ///
    /// # Errors
    /// When the helper fails.
    pub fn store(
        &mut self,
        registry: &Registry,
        credentials: &Credentials,
    ) -> Result<CredentialSource, RemoteError> {
        let key = registry.credential_key().to_owned();
        let mut entry = Map::new();
        let source = if let Some(helper) = self.helper_for(registry) {
            let (username, secret) = match credentials {
                Credentials::Basic { username, password } => (username.clone(), password.clone()),
                Credentials::IdentityToken(token) => {
                    (IDENTITY_TOKEN_USER.to_owned(), token.clone())
                }
            };
            helper_store(
                &helper,
                &HelperCredentials {
                    server_url: key.clone(),
                    username,
                    secret,
                },
            )?;
            CredentialSource::Helper(helper)
        } else {
            match credentials {
                Credentials::Basic { username, password } => {
                    let encoded = base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}"));
                    entry.insert("auth".to_owned(), Value::String(encoded));
                }
                Credentials::IdentityToken(token) => {
                    entry.insert("identitytoken".to_owned(), Value::String(token.clone()));
                }
            }
            CredentialSource::File(self.path.clone())
        };
        let auths = self
            .document
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        if let Value::Object(auths) = auths {
            auths.insert(key, Value::Object(entry));
        }
        Ok(source)
    }

    /// Removes the credentials of `registry` (from the helper too). Returns whether anything was
    /// stored. Call [`DockerConfig::save`] afterwards.
    ///
    /// # Errors
    /// When the helper fails for another reason than "not found".
    pub fn erase(&mut self, registry: &Registry) -> Result<bool, RemoteError> {
        let mut removed = false;
        if let Some(helper) = self.helper_for(registry) {
            removed |= helper_erase(&helper, registry.credential_key())?;
        }
        if let Some(Value::Object(auths)) = self.document.get_mut("auths") {
            let target = hostname_of(registry.credential_key()).to_owned();
            let keys: Vec<String> = auths
                .keys()
                .filter(|k| *k == registry.credential_key() || hostname_of(k) == target)
                .cloned()
                .collect();
            for key in keys {
                removed |= auths.shift_remove(&key).is_some();
            }
        }
        Ok(removed)
    }

    /// Writes the file atomically with mode 0600 (it holds secrets).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self) -> Result<(), RemoteError> {
        let mut text =
            serde_json::to_vec_pretty(&Value::Object(self.document.clone())).map_err(|e| {
                RemoteError::DockerConfigInvalid {
                    path: self.path.clone(),
                    reason: e.to_string(),
                }
            })?;
        text.push(b'\n');
        crate::fsutil::atomic_write(&self.path, &text, Some(0o600)).map_err(|source| {
            RemoteError::DockerConfigWrite {
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// docker's `ConvertToHostname`: drop the scheme and any path.
fn hostname_of(key: &str) -> &str {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    without_scheme.split('/').next().unwrap_or(without_scheme)
}

fn decode_auth(auth: &str) -> Result<Credentials, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| "is not valid base64".to_owned())?;
    let text = String::from_utf8(bytes).map_err(|_| "is not UTF-8 once decoded".to_owned())?;
    let (username, password) = text
        .split_once(':')
        .ok_or_else(|| "does not decode to user:password".to_owned())?;
    Ok(Credentials::Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// The message every docker credential helper prints when it has nothing for a server.
fn is_not_found(output: &str) -> bool {
    output
        .to_ascii_lowercase()
        .contains("credentials not found")
}

fn run_helper(
    helper: &str,
    action: &str,
    input: &[u8],
) -> Result<std::process::Output, RemoteError> {
    let program = format!("docker-credential-{helper}");
    let failed = |reason: String| RemoteError::CredentialHelper {
        helper: program.clone(),
        reason,
    };
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                failed(format!(
                    "it is not installed or not on PATH (configured by credsStore/credHelpers in \
                     the docker config): {e}"
                ))
            } else {
                failed(e.to_string())
            }
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input)
            .map_err(|e| failed(format!("writing its input: {e}")))?;
    }
    child.wait_with_output().map_err(|e| failed(e.to_string()))
}

fn helper_failure(helper: &str, output: &std::process::Output) -> RemoteError {
    let mut message = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if message.is_empty() {
        stderr.trim().clone_into(&mut message);
    }
    RemoteError::CredentialHelper {
        helper: format!("docker-credential-{helper}"),
        reason: format!("{} ({})", message, output.status),
    }
}

fn helper_get(helper: &str, server: &str) -> Result<Option<Credentials>, RemoteError> {
    let output = run_helper(helper, "get", server.as_bytes())?;
    if !output.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if is_not_found(&text) {
            return Ok(None);
        }
        return Err(helper_failure(helper, &output));
    }
    let found: HelperCredentials =
        serde_json::from_slice(&output.stdout).map_err(|e| RemoteError::CredentialHelper {
            helper: format!("docker-credential-{helper}"),
            reason: format!("its answer to `get` is not the expected JSON: {e}"),
        })?;
    if found.username.is_empty() && found.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if found.username == IDENTITY_TOKEN_USER {
        Credentials::IdentityToken(found.secret)
    } else {
        Credentials::Basic {
            username: found.username,
            password: found.secret,
        }
    }))
}

fn helper_store(helper: &str, credentials: &HelperCredentials) -> Result<(), RemoteError> {
    let input = serde_json::to_vec(credentials).map_err(|e| RemoteError::CredentialHelper {
        helper: format!("docker-credential-{helper}"),
        reason: e.to_string(),
    })?;
    let output = run_helper(helper, "store", &input)?;
    if output.status.success() {
        Ok(())
    } else {
        Err(helper_failure(helper, &output))
    }
}

fn helper_erase(helper: &str, server: &str) -> Result<bool, RemoteError> {
    let output = run_helper(helper, "erase", server.as_bytes())?;
    if output.status.success() {
        return Ok(true);
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if is_not_found(&text) {
        Ok(false)
    } else {
        Err(helper_failure(helper, &output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(s: &str) -> Registry {
        Registry::parse(s).unwrap()
    }

    #[test]
    fn reads_auth_by_exact_key_and_by_host() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"reg.example:5000":{"auth":"YWxpY2U6cGE6c3M="},
                "https://other.example/v1/":{"auth":"Ym9iOng="}},"psFormat":"x"}"#,
        )
        .unwrap();
        let config = DockerConfig::load(&path).unwrap();
        assert_eq!(
            config
                .credentials_for(&registry("reg.example:5000"))
                .unwrap(),
            Some(Credentials::Basic {
                username: "alice".into(),
                password: "pa:ss".into()
            })
        );
        assert_eq!(
            config
                .credentials_for(&registry("other.example"))
                .unwrap()
                .map(|c| c.username().to_owned()),
            Some("bob".into())
        );
        assert_eq!(
            config.credentials_for(&registry("none.example")).unwrap(),
            None
        );
    }

    #[test]
    fn store_merges_keeps_other_keys_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"psFormat":"table","auths":{"a.example":{"auth":"eDp5"}}}"#,
        )
        .unwrap();
        let mut config = DockerConfig::load(&path).unwrap();
        let creds = Credentials::Basic {
            username: "u".into(),
            password: "p".into(),
        };
        let source = config.store(&registry("b.example:5000"), &creds).unwrap();
        assert_eq!(source, CredentialSource::File(path.clone()));
        config.save().unwrap();
        let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(written["psFormat"], "table");
        assert_eq!(written["auths"]["a.example"]["auth"], "eDp5");
        assert_eq!(written["auths"]["b.example:5000"]["auth"], "dTpw");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let mut config = DockerConfig::load(&path).unwrap();
        assert!(config.erase(&registry("b.example:5000")).unwrap());
        assert!(!config.erase(&registry("b.example:5000")).unwrap());
        config.save().unwrap();
        let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(written["auths"].get("b.example:5000").is_none());
        assert_eq!(written["auths"]["a.example"]["auth"], "eDp5");
    }

    #[test]
    fn malformed_auth_is_reported_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"auths":{"a.example":{"auth":"!!!"}}}"#).unwrap();
        let config = DockerConfig::load(&path).unwrap();
        let err = config
            .credentials_for(&registry("a.example"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("base64"), "{err}");
    }

    #[test]
    fn helper_choice_prefers_cred_helpers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"credsStore":"desktop","credHelpers":{"gcr.example":"gcloud"}}"#,
        )
        .unwrap();
        let config = DockerConfig::load(&path).unwrap();
        assert_eq!(
            config.helper_for(&registry("gcr.example")).as_deref(),
            Some("gcloud")
        );
        assert_eq!(
            config.helper_for(&registry("x.example")).as_deref(),
            Some("desktop")
        );
    }
}
