//! The message phases' visitor: one keep-alive HTTP/1.1 connection sending
//! one prepared request again and again, as load generators such as `wrk`
//! do. The benchmark and the server share two cores, so every cycle the
//! visitor spends is taken from the server it measures: reqwest built,
//! encoded and parsed each request through its general machinery: 0.083-0.094
//! ms of CPU per message in the benchmark's process with eight
//! organizations on PostgreSQL, against 0.057-0.068 with this client
//! (README, "The benchmark's clients"). This writes the request's bytes,
//! made once, and reads the answer's head and body.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most header lines an answer may have.
const MAX_HEADERS: usize = 64;
/// The largest answer read, head and body.
const MAX_ANSWER: usize = 1 << 20;

pub struct KeepAlive {
    address: SocketAddr,
    request: Vec<u8>,
    connection: Option<TcpStream>,
    answer: Vec<u8>,
}

impl KeepAlive {
    /// A `POST` of `body` (JSON) to `url` (`http://host:port/path`), as
    /// the bearer of `token`. Connects at the first send.
    pub fn post_json(url: &str, token: &str, body: &[u8]) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("http://")
            .context("only http:// URLs are driven")?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let address: SocketAddr = authority
            .parse()
            .with_context(|| format!("{authority} is not an IP address and port"))?;
        let path = if path.is_empty() { "/" } else { path };
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nhost: {authority}\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        Ok(Self {
            address,
            request,
            connection: None,
            answer: Vec::with_capacity(4096),
        })
    }

    /// Sends the request and reads the whole answer; its status.
    pub async fn send(&mut self) -> anyhow::Result<u16> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => {
                let connection = TcpStream::connect(self.address).await?;
                connection.set_nodelay(true)?;
                self.connection.insert(connection)
            }
        };
        connection.write_all(&self.request).await?;
        self.answer.clear();
        let (status, end, close) = loop {
            if connection.read_buf(&mut self.answer).await? == 0 {
                self.connection = None;
                anyhow::bail!("the server closed the connection before answering");
            }
            if let Some(head) = parse_head(&self.answer)? {
                break head;
            }
            anyhow::ensure!(self.answer.len() < MAX_ANSWER, "an answer's head too long");
        };
        anyhow::ensure!(end <= MAX_ANSWER, "an answer too long");
        while self.answer.len() < end {
            if connection.read_buf(&mut self.answer).await? == 0 {
                self.connection = None;
                anyhow::bail!("the server closed the connection within an answer");
            }
        }
        anyhow::ensure!(
            self.answer.len() == end,
            "the server sent more than one answer"
        );
        if close {
            self.connection = None;
        }
        Ok(status)
    }
}

/// The status, where the body ends and whether the server closes the
/// connection after it, once `bytes` hold the whole head.
fn parse_head(bytes: &[u8]) -> anyhow::Result<Option<(u16, usize, bool)>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut answer = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = answer.parse(bytes)? else {
        return Ok(None);
    };
    let mut length = None;
    let mut close = false;
    for header in answer.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            length = Some(std::str::from_utf8(header.value)?.trim().parse::<usize>()?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            anyhow::bail!("a chunked answer (the server's answers carry their length)");
        } else if header.name.eq_ignore_ascii_case("connection") {
            close = header.value.eq_ignore_ascii_case(b"close");
        }
    }
    let status = answer.code.context("an answer without a status")?;
    Ok(Some((status, head + length.unwrap_or(0), close)))
}

#[cfg(test)]
mod tests {
    use super::parse_head;

    #[test]
    fn a_head_gives_status_end_and_close() {
        let head = b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nconnection: close\r\n\r\nhello";
        let end = head.len();
        assert_eq!(parse_head(head).unwrap(), Some((201, end, true)));
        assert_eq!(parse_head(&head[..20]).unwrap(), None);
        let empty = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(parse_head(empty).unwrap(), Some((204, empty.len(), false)));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"not http\r\n\r\n").is_err());
    }
}
