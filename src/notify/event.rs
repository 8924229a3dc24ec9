//! registry:2's notification envelope (`notifications/event.go` of distribution 2.8): field
//! names, which fields are omitted when empty, and the media type of the POST body.

use serde::{Deserialize, Serialize};

/// The `Content-Type` of every notification POST.
pub const EVENTS_MEDIA_TYPE: &str = "application/vnd.docker.distribution.events.v1+json";

/// The media type registry:2 gives blob (layer) events: its blob descriptors carry no type.
pub const BLOB_MEDIA_TYPE: &str = "application/octet-stream";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Push,
    Pull,
    Delete,
    Mount,
}

impl Action {
    /// The wire name (`push`, `pull`, `delete`, `mount`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Pull => "pull",
            Self::Delete => "delete",
            Self::Mount => "mount",
        }
    }

    /// Parses a wire name (as `ignore.actions` lists them).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "push" => Some(Self::Push),
            "pull" => Some(Self::Pull),
            "delete" => Some(Self::Delete),
            "mount" => Some(Self::Mount),
            _ => None,
        }
    }
}

/// The body of a notification POST: `{"events": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

impl Envelope {
    /// The POST body as registry:2 writes it (`json.MarshalIndent` with three spaces).
    #[must_use]
    pub fn to_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Serializing plain strings and numbers into a Vec cannot fail.
        let _ = self.serialize(&mut serializer);
        out
    }
}

/// One event. Go's `omitempty` never omits a struct, so `target`, `request`, `actor` and
/// `source` are always present (possibly `{}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// A fresh UUID: consumers de-duplicate redeliveries by it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// RFC 3339 with nanoseconds, UTC.
    pub timestamp: String,
    pub action: Action,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub request: RequestRecord,
    #[serde(default)]
    pub actor: ActorRecord,
    #[serde(default)]
    pub source: SourceRecord,
}

/// A fresh random (version 4) UUID, as registry:2's event and request ids are: drawn from the
/// thread's userspace generator, not a system call per id (an event is built per request).
#[must_use]
pub fn new_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

impl Event {
    /// An event with a new id and the current time; the caller fills in the records.
    #[must_use]
    pub fn new(action: Action) -> Self {
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            id: new_id(),
            timestamp,
            action,
            target: Target::default(),
            request: RequestRecord::default(),
            actor: ActorRecord::default(),
            source: SourceRecord::default(),
        }
    }
}

/// `target`: distribution's descriptor (`mediaType`, `size`, `digest`) plus where it lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// Same as `size` (registry:2 keeps it for old consumers).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub length: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    /// Mount events: the repository the blob was mounted from.
    #[serde(
        rename = "fromRepository",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub from_repository: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// Manifest events with `notifications.events.includereferences`: the descriptors the
    /// manifest references (config then layers; an index's manifests), as the manifest has them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<serde_json::Value>,
}

/// `request`: `id`, `method` and `useragent` are always written, as in registry:2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub addr: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub useragent: String,
}

/// `actor`: the authenticated user, if any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActorRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// `source`: which registry instance sent the event (`HOSTNAME:PORT` and a per-process id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub addr: String,
    #[serde(
        rename = "instanceID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub instance_id: String,
}

/// What `includereferences` adds to a manifest event, as distribution's `Manifest.References()`
/// lists it: an image manifest's config, then its layers; an index's (or manifest list's)
/// manifests. Each descriptor is kept as the manifest has it (platform, annotations, urls);
/// bytes that are not such a manifest reference nothing.
#[must_use]
pub fn manifest_references(manifest: &[u8]) -> Vec<serde_json::Value> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(manifest) else {
        return Vec::new();
    };
    let array = |value: Option<serde_json::Value>| match value {
        Some(serde_json::Value::Array(items)) => items,
        _ => Vec::new(),
    };
    if object.contains_key("manifests") {
        return array(object.remove("manifests"));
    }
    let mut references: Vec<serde_json::Value> = object
        .remove("config")
        .filter(serde_json::Value::is_object)
        .into_iter()
        .collect();
    references.extend(array(object.remove("layers")));
    references
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RequestRecord {
    /// registry:2's request record of a request: a fresh id, the client address
    /// (`X-Forwarded-For`'s first, then `X-Real-Ip`, then the peer), `Host`, method and user agent.
    #[must_use]
    pub fn of(
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        remote: Option<std::net::SocketAddr>,
    ) -> Self {
        let header = |name: http::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let forwarded = header(http::HeaderName::from_static("x-forwarded-for"))
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .or_else(|| header(http::HeaderName::from_static("x-real-ip")));
        let addr = match forwarded {
            Some(addr) => addr.to_owned(),
            None => remote.map(|addr| addr.to_string()).unwrap_or_default(),
        };
        Self {
            id: new_id(),
            addr,
            host: header(http::header::HOST)
                .or_else(|| uri.authority().map(http::uri::Authority::as_str))
                .unwrap_or_default()
                .to_owned(),
            method: method.to_string(),
            useragent: header(http::header::USER_AGENT)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_event() -> Event {
        let mut event = Event::new(Action::Push);
        event.target = Target {
            media_type: "application/vnd.oci.image.manifest.v1+json".to_owned(),
            size: 528,
            digest: "sha256:aa".to_owned(),
            length: 528,
            repository: "team/app".to_owned(),
            url: "http://reg:5000/v2/team/app/manifests/sha256:aa".to_owned(),
            tag: "v1".to_owned(),
            ..Target::default()
        };
        event.request = RequestRecord {
            id: "r1".to_owned(),
            addr: "127.0.0.1:4000".to_owned(),
            host: "reg:5000".to_owned(),
            method: "PUT".to_owned(),
            useragent: "skopeo".to_owned(),
        };
        event.actor.name = "alice".to_owned();
        event.source = SourceRecord {
            addr: "host:5000".to_owned(),
            instance_id: "i1".to_owned(),
        };
        event
    }

    #[test]
    fn field_names_are_registry2s() {
        let envelope = Envelope {
            events: vec![push_event()],
        };
        let value: serde_json::Value = serde_json::from_slice(&envelope.to_body()).unwrap();
        let event = &value["events"][0];
        assert_eq!(event["action"], "push");
        assert_eq!(
            event["target"]["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(event["target"]["size"], 528);
        assert_eq!(event["target"]["length"], 528);
        assert_eq!(event["target"]["repository"], "team/app");
        assert_eq!(event["target"]["tag"], "v1");
        assert_eq!(event["request"]["useragent"], "skopeo");
        assert_eq!(event["actor"]["name"], "alice");
        assert_eq!(event["source"]["instanceID"], "i1");
        assert!(event["target"].get("references").is_none());
        assert!(event["target"].get("fromRepository").is_none());
        // Indented with three spaces, as json.MarshalIndent(envelope, "", "   ").
        let body = String::from_utf8(envelope.to_body()).unwrap();
        assert!(body.starts_with("{\n   \"events\": [\n      {\n"), "{body}");
    }

    #[test]
    fn empty_records_stay_present_and_required_fields_are_written() {
        let event = Event::new(Action::Delete);
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(value["actor"], serde_json::json!({}));
        assert_eq!(value["source"], serde_json::json!({}));
        assert_eq!(
            value["request"],
            serde_json::json!({"id": "", "method": "", "useragent": ""})
        );
        assert_eq!(value["target"], serde_json::json!({}));
        assert_eq!(value["id"].as_str().unwrap().len(), 36);
        assert!(time::OffsetDateTime::parse(
            value["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok());
    }

    #[test]
    fn round_trips() {
        let event = push_event();
        let back: Event = serde_json::from_value(serde_json::to_value(&event).unwrap()).unwrap();
        assert_eq!(back, event);
        for action in [Action::Push, Action::Pull, Action::Delete, Action::Mount] {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("tag"), None);
    }

    #[test]
    fn references_are_config_then_layers_or_the_index_manifests() {
        let image = br#"{"schemaVersion":2,"config":{"mediaType":"c","size":1,"digest":"sha256:c"},
            "layers":[{"mediaType":"l","size":2,"digest":"sha256:l1"},{"mediaType":"l","size":3,"digest":"sha256:l2"}]}"#;
        let digests: Vec<_> = manifest_references(image)
            .iter()
            .map(|d| d["digest"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(digests, ["sha256:c", "sha256:l1", "sha256:l2"]);
        let index =
            br#"{"schemaVersion":2,"manifests":[{"mediaType":"m","size":4,"digest":"sha256:m",
            "platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let references = manifest_references(index);
        assert_eq!(references.len(), 1);
        assert_eq!(references[0]["platform"]["os"], "linux");
        assert!(manifest_references(b"not json").is_empty());
        assert!(manifest_references(b"[1]").is_empty());
    }
}
