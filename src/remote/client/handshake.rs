//! The auth handshake: a 401 challenge answered with Basic credentials or a Docker/OAuth2 token,
//! tokens cached per scope, and the errors for missing or rejected credentials.

use super::*;

impl Client {
    /// Checks that the configured credentials are accepted (what `docker login` does).
    ///
    /// # Errors
    /// [`RemoteError::CredentialsRejected`] when they are not; transport errors.
    pub async fn verify_login(&self) -> Result<LoginCheck, RemoteError> {
        let challenge = lock(&self.challenge).clone();
        let Some(challenge) = challenge else {
            return Ok(LoginCheck::NoAuthRequired);
        };
        let url = self.url("/v2/")?;
        let mut request = self.http.get(url.clone());
        match &challenge {
            Challenge::Basic { .. } => match &self.credentials {
                Some(Credentials::Basic { username, password }) => {
                    request = request.basic_auth(username, Some(password));
                }
                _ => return Err(self.auth_required()),
            },
            Challenge::Bearer { realm, service, .. } => {
                if self.credentials.is_none() {
                    return Err(self.auth_required());
                }
                let token = self.fetch_token(realm, service.as_deref(), &[]).await?;
                request = request.bearer_auth(token.value);
            }
        }
        let response = request.send().await.map_err(|e| RemoteError::Http {
            url: url.to_string(),
            source: e,
        })?;
        match response.status() {
            status if status.is_success() => Ok(LoginCheck::Accepted),
            StatusCode::UNAUTHORIZED => Err(self.credentials_rejected()),
            status => Err(self.status_error(Method::GET, &url, status, response).await),
        }
    }

    /// Sends a body-less request with the right credentials, answering one 401 challenge.
    pub(super) async fn send(
        &self,
        method: Method,
        url: &Url,
        scope: &str,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, RemoteError> {
        let authorization = self.authorization(scope, None).await?;
        let response = self
            .raw_send(method.clone(), url, headers, authorization.as_ref())
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(challenge) = challenge_of(response.headers()) else {
            return Err(self.unauthorized());
        };
        *lock(&self.challenge) = Some(challenge.clone());
        lock(&self.tokens).remove(scope);
        let retry = self.authorization(scope, Some(&challenge)).await?;
        if retry.is_none() || retry == authorization {
            return Err(self.unauthorized());
        }
        let response = self
            .raw_send(method.clone(), url, headers, retry.as_ref())
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            // A valid token without the access asked for: the token server did not grant it.
            let insufficient = response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("insufficient_scope"));
            if insufficient && self.credentials.is_some() {
                return Err(RemoteError::Denied {
                    registry: self.registry.to_string(),
                    what: format!("{method} {}", url.path()),
                    message: format!(
                        "the token server did not grant user `{}` the access `{scope}`",
                        self.credentials
                            .as_ref()
                            .map(Credentials::username)
                            .unwrap_or_default()
                    ),
                });
            }
            return Err(self.unauthorized());
        }
        Ok(response)
    }

    /// The `Authorization` value for a request needing `scope` (e.g. `repository:R:push,pull`),
    /// for callers that send requests of their own, such as `regctl doctor`'s test push; `None`
    /// when the registry asks for no credentials.
    ///
    /// # Errors
    /// The token server refused or failed; credentials unusable for the challenge.
    pub async fn authorization_for(&self, scope: &str) -> Result<Option<HeaderValue>, RemoteError> {
        self.authorization(scope, None).await
    }

    /// The `Authorization` value for a request needing `scope`, from the current challenge (or
    /// `fresh`, just received with a 401, whose own scope is requested too).
    pub(super) async fn authorization(
        &self,
        scope: &str,
        fresh: Option<&Challenge>,
    ) -> Result<Option<HeaderValue>, RemoteError> {
        let challenge = match fresh {
            Some(c) => Some(c.clone()),
            None => lock(&self.challenge).clone(),
        };
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic { .. }) => match &self.credentials {
                Some(Credentials::Basic { username, password }) => {
                    Ok(Some(basic_header(username, password)?))
                }
                Some(Credentials::IdentityToken(_)) => Err(RemoteError::InvalidResponse {
                    what: self.registry.to_string(),
                    reason: "it asks for Basic authentication but the stored credential is an \
                             identity token; log in again with a user name and password"
                        .to_owned(),
                }),
                None => Ok(None),
            },
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenged,
            }) => {
                if let Some(token) = lock(&self.tokens).get(scope).filter(|t| t.is_fresh()) {
                    return bearer_header(&token.value).map(Some);
                }
                let mut scopes: Vec<&str> = vec![scope];
                if fresh.is_some() {
                    if let Some(extra) = challenged.as_deref() {
                        scopes.extend(extra.split(' ').filter(|s| !s.is_empty() && *s != scope));
                    }
                }
                let token = self
                    .fetch_token(&realm, service.as_deref(), &scopes)
                    .await?;
                let value = bearer_header(&token.value)?;
                lock(&self.tokens).insert(scope.to_owned(), token);
                Ok(Some(value))
            }
        }
    }

    /// Asks the token server for a token: GET with Basic credentials (or anonymously), or the
    /// OAuth2 refresh-token POST for an identity token.
    pub(super) async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[&str],
    ) -> Result<CachedToken, RemoteError> {
        let mut url = Url::parse(realm).map_err(|e| RemoteError::Token {
            realm: realm.to_owned(),
            reason: format!("the realm is not a URL: {e}"),
        })?;
        let request = match &self.credentials {
            Some(Credentials::IdentityToken(refresh)) => {
                let mut form: Vec<(&str, &str)> = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh),
                    ("client_id", "regctl"),
                ];
                if let Some(service) = service {
                    form.push(("service", service));
                }
                let joined = scopes.join(" ");
                if !scopes.is_empty() {
                    form.push(("scope", &joined));
                }
                let body = form_urlencode(&form);
                self.http
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
            }
            credentials => {
                {
                    let mut query = url.query_pairs_mut();
                    if let Some(service) = service {
                        query.append_pair("service", service);
                    }
                    for scope in scopes {
                        query.append_pair("scope", scope);
                    }
                    if let Some(Credentials::Basic { username, .. }) = credentials {
                        query.append_pair("account", username);
                    }
                }
                let request = self.http.get(url.clone());
                match credentials {
                    Some(Credentials::Basic { username, password }) => {
                        request.basic_auth(username, Some(password))
                    }
                    _ => request,
                }
            }
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(err) => return Err(self.transport_error(err, &url).await),
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(self.unauthorized());
        }
        if !status.is_success() {
            let (_, message) = error_body(response).await;
            return Err(RemoteError::Token {
                realm: realm.to_owned(),
                reason: format!("it answered {status}: {message}"),
            });
        }
        let body: TokenResponse = response.json().await.map_err(|e| RemoteError::Token {
            realm: realm.to_owned(),
            reason: format!("its answer is not a token response: {e}"),
        })?;
        let value = body
            .token
            .filter(|t| !t.is_empty())
            .or(body.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RemoteError::Token {
                realm: realm.to_owned(),
                reason: "its answer has no `token` or `access_token`".to_owned(),
            })?;
        Ok(CachedToken::new(value, body.expires_in))
    }

    /// A final 401: with credentials they were rejected, without them some are needed.
    pub(super) fn unauthorized(&self) -> RemoteError {
        if self.credentials.is_some() {
            self.credentials_rejected()
        } else {
            self.auth_required()
        }
    }

    pub(super) fn auth_required(&self) -> RemoteError {
        RemoteError::AuthenticationRequired {
            registry: self.registry.to_string(),
        }
    }

    pub(super) fn credentials_rejected(&self) -> RemoteError {
        RemoteError::CredentialsRejected {
            registry: self.registry.to_string(),
            username: self
                .credentials
                .as_ref()
                .map(|c| c.username().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// `application/x-www-form-urlencoded` without pulling in a form encoder for one request.
pub(super) fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a token map half-updated, so a poisoned lock is still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn challenge_of(headers: &HeaderMap) -> Option<Challenge> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(Challenge::parse)
        // Prefer the token flow when a registry offers both.
        .max_by_key(|c| matches!(c, Challenge::Bearer { .. }))
}

pub(super) fn basic_header(username: &str, password: &str) -> Result<HeaderValue, RemoteError> {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    header_value(&format!("Basic {encoded}"))
}

pub(super) fn bearer_header(token: &str) -> Result<HeaderValue, RemoteError> {
    header_value(&format!("Bearer {token}"))
}

pub(super) fn header_value(value: &str) -> Result<HeaderValue, RemoteError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| RemoteError::InvalidResponse {
        what: "credentials".to_owned(),
        reason: "they contain characters that cannot be sent in an HTTP header".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_preferred_over_basic() {
        let mut headers = HeaderMap::new();
        headers.append(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=x"));
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="http://t/token""#),
        );
        assert!(matches!(
            challenge_of(&headers),
            Some(Challenge::Bearer { .. })
        ));
    }
}
