//! A tiny HTTP server on 127.0.0.1 that answers every request with the same
//! bytes (or never answers), for the malformed answers no GraphQL server
//! would give: an HTML page, JSON cut short, a 502.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Canned {
    url: String,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Canned {
    /// Answers every request with `response`, raw bytes (status line,
    /// headers and body), then closes the connection.
    pub fn answering(response: impl Into<Vec<u8>>) -> Canned {
        Canned::serve(Some(response.into()))
    }

    /// An HTTP answer with this status, content type and body.
    pub fn http(status: &str, content_type: &str, body: &str) -> Canned {
        Canned::answering(format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
    }

    /// Reads each request and never answers (until dropped).
    pub fn silent() -> Canned {
        Canned::serve(None)
    }

    fn serve(response: Option<Vec<u8>>) -> Canned {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let thread = {
            let stop = stop.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    requests.fetch_add(1, Ordering::SeqCst);
                    read_request(&mut stream);
                    match &response {
                        Some(bytes) => {
                            let _ = stream.write_all(bytes);
                            let _ = stream.flush();
                        }
                        None => held.push(stream),
                    }
                }
            })
        };
        Canned {
            url,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads the request's head and its `Content-Length` body, so the client is
/// never cut off mid-send.
fn read_request(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        // A TLS ClientHello (record type 22) never ends in a blank line.
        if buf.first() == Some(&0x16) {
            return;
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
