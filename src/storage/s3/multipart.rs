//! The multipart calls object_store does not offer, signed by hand: ListMultipartUploads (find
//! the open upload of a key, as distribution's `Writer(append)` does), ListParts (its size) and
//! UploadPartCopy (an existing object, or a range of it, as one part).
//!
//! Answers are parsed without insisting on the root element's name: moto calls ListParts'
//! `ListPartsResponse` where AWS says `ListPartsResult`.

use std::io;

use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::client::{encode_key, Answer, Connection};

/// One uploaded part of an open multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUploads {
    #[serde(default)]
    upload: Vec<UploadEntry>,
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_upload_id_marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UploadEntry {
    key: String,
    upload_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListParts {
    #[serde(default)]
    part: Vec<PartEntry>,
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_part_number_marker: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartEntry {
    part_number: u32,
    #[serde(rename = "ETag")]
    etag: String,
    size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CopyPartResult {
    #[serde(rename = "ETag")]
    etag: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> io::Result<T> {
    let text = std::str::from_utf8(body)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}")))?;
    quick_xml::de::from_str(text)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{what} answer: {e}")))
}

/// An S3 error answer as an `io::Error` of a fitting kind.
fn failure(what: &str, answer: &Answer) -> io::Error {
    let error: ErrorBody = std::str::from_utf8(&answer.body)
        .ok()
        .and_then(|t| quick_xml::de::from_str(t).ok())
        .unwrap_or_default();
    let kind = match (answer.status, error.code.as_str()) {
        (_, "NoSuchUpload" | "NoSuchKey") | (StatusCode::NOT_FOUND, _) => io::ErrorKind::NotFound,
        (StatusCode::FORBIDDEN, _) | (_, "AccessDenied" | "SignatureDoesNotMatch") => {
            io::ErrorKind::PermissionDenied
        }
        (_, "EntityTooSmall" | "InvalidRange" | "InvalidArgument") => io::ErrorKind::InvalidInput,
        (StatusCode::PRECONDITION_FAILED, _) => io::ErrorKind::AlreadyExists,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(
        kind,
        format!(
            "{what}: S3 answered {} {} {}",
            answer.status.as_u16(),
            error.code,
            error.message
        )
        .trim_end()
        .to_owned(),
    )
}

/// Form-encodes a query value (S3 signs the encoded form).
fn query_value(value: &str) -> String {
    encode_key(value).replace('/', "%2F")
}

impl Connection {
    /// The open multipart upload of exactly `key` (the first S3 lists, as distribution picks);
    /// `None` if there is none.
    ///
    /// # Errors
    /// S3 errors and transport errors.
    pub async fn find_upload(&self, key: &str) -> io::Result<Option<String>> {
        let uploads = self.uploads_with_prefix(key, Some(key)).await?;
        Ok(uploads.into_iter().next().map(|(_, id)| id))
    }

    /// `(key, upload id)` of every multipart upload open below `prefix`.
    ///
    /// # Errors
    /// S3 errors and transport errors.
    pub async fn uploads_below(&self, prefix: &str) -> io::Result<Vec<(String, String)>> {
        self.uploads_with_prefix(prefix, None).await
    }

    /// ListMultipartUploads of `prefix`, all pages; with `exact`, stops at the first upload of
    /// that key.
    async fn uploads_with_prefix(
        &self,
        prefix: &str,
        exact: Option<&str>,
    ) -> io::Result<Vec<(String, String)>> {
        let mut found = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = format!("prefix={}&uploads=", query_value(prefix));
            if let Some((key_marker, id_marker)) = &markers {
                query.push_str(&format!(
                    "&key-marker={}&upload-id-marker={}",
                    query_value(key_marker),
                    query_value(id_marker)
                ));
            }
            let answer = self.signed(Method::GET, self.url("", &query)?, &[]).await?;
            if !answer.status.is_success() {
                return Err(failure("ListMultipartUploads", &answer));
            }
            let list: ListUploads = parse("ListMultipartUploads", &answer.body)?;
            for upload in list.upload {
                match exact {
                    Some(key) if upload.key == key => {
                        return Ok(vec![(upload.key, upload.upload_id)])
                    }
                    Some(_) => {}
                    None => found.push((upload.key, upload.upload_id)),
                }
            }
            match (
                list.is_truncated,
                list.next_key_marker,
                list.next_upload_id_marker,
            ) {
                (true, Some(k), Some(id)) => markers = Some((k, id)),
                _ => return Ok(found),
            }
        }
    }

    /// Every part of the upload `id` of `key`, in part-number order.
    ///
    /// # Errors
    /// `NotFound` when the upload is gone (completed or aborted); S3 and transport errors.
    pub async fn list_parts(&self, key: &str, id: &str) -> io::Result<Vec<Part>> {
        let mut parts = Vec::new();
        let mut marker: Option<u32> = None;
        loop {
            let mut query = format!("uploadId={}", query_value(id));
            if let Some(marker) = marker {
                query = format!("part-number-marker={marker}&{query}");
            }
            let answer = self
                .signed(Method::GET, self.url(key, &query)?, &[])
                .await?;
            if !answer.status.is_success() {
                return Err(failure("ListParts", &answer));
            }
            let list: ListParts = parse("ListParts", &answer.body)?;
            parts.extend(list.part.into_iter().map(|p| Part {
                number: p.part_number,
                etag: p.etag,
                size: p.size,
            }));
            match (list.is_truncated, list.next_part_number_marker) {
                (true, Some(next)) if Some(next) != marker => marker = Some(next),
                _ => break,
            }
        }
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    /// Copies `source` (an object key in the same bucket), or its bytes `range` (inclusive
    /// `first..=last`), as part `number` of the upload `id` of `key`; returns the part's ETag.
    ///
    /// # Errors
    /// S3 and transport errors (`NotFound` for a missing source or upload).
    pub async fn upload_part_copy(
        &self,
        key: &str,
        id: &str,
        number: u32,
        source: &str,
        range: Option<(u64, u64)>,
    ) -> io::Result<String> {
        let query = format!("partNumber={number}&uploadId={}", query_value(id));
        let mut headers = vec![(
            "x-amz-copy-source",
            format!("{}/{}", self.bucket(), encode_key(source)),
        )];
        if let Some((first, last)) = range {
            headers.push(("x-amz-copy-source-range", format!("bytes={first}-{last}")));
        }
        let answer = self
            .signed(Method::PUT, self.url(key, &query)?, &headers)
            .await?;
        // S3 may answer 200 with an error body for a copy that failed late.
        if !answer.status.is_success() || answer.body.starts_with(b"<Error") {
            return Err(failure("UploadPartCopy", &answer));
        }
        let result: CopyPartResult = parse("UploadPartCopy", &answer.body)?;
        Ok(result.etag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aws_and_moto_answers() {
        let uploads: ListUploads = parse(
            "t",
            br#"<?xml version="1.0"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Upload><Key>a/data</Key><UploadId>u1</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"#,
        )
        .unwrap();
        assert_eq!(uploads.upload.len(), 1);
        assert_eq!(uploads.upload[0].upload_id, "u1");
        let parts: ListParts = parse(
            "t",
            br#"<ListPartsResponse><Part><PartNumber>2</PartNumber><ETag>"e2"</ETag><Size>1</Size></Part><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag><Size>5242880</Size></Part><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker></ListPartsResponse>"#,
        )
        .unwrap();
        assert_eq!(parts.part.len(), 2);
        assert!(parts.is_truncated);
        assert_eq!(parts.next_part_number_marker, Some(2));
        let empty: ListUploads = parse("t", b"<ListMultipartUploadsResult/>").unwrap();
        assert!(empty.upload.is_empty());
    }

    #[test]
    fn error_answers_keep_their_meaning() {
        let answer = Answer {
            status: StatusCode::NOT_FOUND,
            body: bytes::Bytes::from_static(
                b"<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>",
            ),
        };
        let e = failure("ListParts", &answer);
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("NoSuchUpload gone"), "{e}");
    }
}
