//! What crosses between the server and a parser process: one JSON line
//! naming the job, then the file's bytes until the end of input; back, one
//! JSON line with the outcome, then its binary payload (an image and its
//! preview, one after the other).

use serde::{Deserialize, Serialize};

use crate::attachments::inspect::Refused;
use crate::knowledge::extract::ExtractError;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "camelCase")]
pub enum Request {
    Inspect,
    Extract {
        name: String,
        declared: Option<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Reply {
    /// The payload is `data_len` bytes of the file, then the preview.
    #[serde(rename_all = "camelCase")]
    Inspected {
        content_type: String,
        data_len: u64,
        preview_type: Option<String>,
    },
    Refused {
        refused: Refused,
    },
    #[serde(rename_all = "camelCase")]
    Extracted {
        content_type: String,
        text: String,
    },
    NotExtracted {
        error: ExtractError,
    },
}

/// An inspected attachment, ready to store.
#[derive(Debug)]
pub struct Checked {
    pub content_type: String,
    pub data: Vec<u8>,
    pub preview: Option<(String, Vec<u8>)>,
}

impl Checked {
    pub(super) fn split(
        content_type: String,
        data_len: u64,
        preview_type: Option<String>,
        mut payload: Vec<u8>,
    ) -> anyhow::Result<Self> {
        let data_len = usize::try_from(data_len)?;
        anyhow::ensure!(data_len <= payload.len(), "a short parser answer");
        let preview = payload.split_off(data_len);
        let preview = match preview_type {
            Some(kind) => Some((kind, preview)),
            None if preview.is_empty() => None,
            None => anyhow::bail!("a parser answer with stray bytes"),
        };
        Ok(Self {
            content_type,
            data: payload,
            preview,
        })
    }
}

/// The request as it starts the parser's input.
pub fn header_line<T: Serialize>(value: &T) -> anyhow::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(line)
}

/// Splits `bytes` at its first newline: the JSON header and what follows.
pub fn split_header(mut bytes: Vec<u8>) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| anyhow::anyhow!("no header line"))?;
    let rest = bytes.split_off(end + 1);
    bytes.pop();
    Ok((bytes, rest))
}

pub fn parse_reply(bytes: Vec<u8>) -> anyhow::Result<(Reply, Vec<u8>)> {
    let (header, payload) = split_header(bytes)?;
    Ok((serde_json::from_slice(&header)?, payload))
}

/// The `&'static` spelling of a knowledge file's type, so nothing the
/// parser says becomes a type the server did not know.
pub fn known_type(content_type: &str) -> anyhow::Result<&'static str> {
    [
        "application/pdf",
        "text/html",
        "text/markdown",
        "text/plain",
    ]
    .into_iter()
    .find(|known| *known == content_type)
    .ok_or_else(|| anyhow::anyhow!("the parser named an unknown type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inspected_payload_splits_into_file_and_preview() {
        let checked = Checked::split(
            "image/png".into(),
            3,
            Some("image/jpeg".into()),
            b"abcde".to_vec(),
        )
        .unwrap();
        assert_eq!(checked.data, b"abc");
        assert_eq!(checked.preview.unwrap().1, b"de");
        assert!(Checked::split("text/plain".into(), 9, None, b"abc".to_vec()).is_err());
        assert!(Checked::split("text/plain".into(), 1, None, b"abc".to_vec()).is_err());
    }

    #[test]
    fn a_request_round_trips() {
        let line = header_line(&Request::Extract {
            name: "a.pdf".into(),
            declared: None,
        })
        .unwrap();
        let mut input = line.clone();
        input.extend(b"%PDF-");
        let (header, rest) = split_header(input).unwrap();
        assert_eq!(rest, b"%PDF-");
        let request: Request = serde_json::from_slice(&header).unwrap();
        assert!(matches!(request, Request::Extract { name, .. } if name == "a.pdf"));
    }
}
