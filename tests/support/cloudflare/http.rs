//! Just enough of an HTTP/1.1 server for a fake API: keep-alive, Content-Length and
//! chunked request bodies, one std thread per connection, and a stop after which the port
//! refuses connections.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::lock;
use crate::support::net;

/// Request lines, header lines and bodies beyond these are junk, not a client of ours.
const MAX_LINE: u64 = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Answers one request, or (Err) one that could not be parsed, after which the
/// connection is closed.
type Respond = dyn Fn(Result<&Request, &'static str>) -> Response + Send + Sync;

pub struct Server {
    addr: SocketAddr,
    connections: Arc<Mutex<Connections>>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Connections {
    /// A handle on every open connection, so `stop` can cut them all.
    open: HashMap<u64, TcpStream>,
    stopped: bool,
}

pub struct Request {
    pub method: String,
    pub path: String,
    query: Vec<(String, String)>,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    close: bool,
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    /// Sent after Content-Type and Content-Length, in order.
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Server {
    /// Listens on a free loopback port and serves until `stop` or drop.
    pub fn start(
        respond: impl Fn(Result<&Request, &'static str>) -> Response + Send + Sync + 'static,
    ) -> Server {
        let (listener, addr) = net::loopback_listener();
        let connections = Arc::new(Mutex::new(Connections::default()));
        let shared = Arc::clone(&connections);
        let respond: Arc<Respond> = Arc::new(respond);
        let acceptor = thread::spawn(move || accept_loop(listener, shared, respond));
        Server {
            addr,
            connections,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listening socket and every connection. Stopping twice does nothing.
    pub fn stop(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        let open = {
            let mut connections = lock(&self.connections);
            connections.stopped = true;
            std::mem::take(&mut connections.open)
        };
        for connection in open.values() {
            let _ = connection.shutdown(Shutdown::Both);
        }
        // accept() blocks: one more connection wakes it to see `stopped` and drop the
        // listener. Joining means the port is closed once `stop` returns.
        if TcpStream::connect(self.addr).is_ok() {
            let _ = acceptor.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        let found = self.query.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }
}

impl Response {
    fn send(&self, writer: &mut TcpStream, close: bool) -> std::io::Result<()> {
        let (status, body) = (self.status, &self.body);
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        head += &format!(
            "Content-Type: {}\r\nContent-Length: {}\r\n",
            self.content_type,
            body.len()
        );
        for (name, value) in &self.headers {
            head += &format!("{name}: {value}\r\n");
        }
        head += if close {
            "Connection: close\r\n\r\n"
        } else {
            "\r\n"
        };
        writer.write_all((head + body).as_bytes())?;
        writer.flush()
    }
}

fn accept_loop(listener: TcpListener, connections: Arc<Mutex<Connections>>, respond: Arc<Respond>) {
    for (n, stream) in (0u64..).zip(listener.incoming()) {
        let Ok(stream) = stream else {
            thread::sleep(Duration::from_millis(10)); // out of fds, say: do not spin
            continue;
        };
        let mut locked = lock(&connections);
        if locked.stopped {
            return; // drops the listener: the port refuses from now on
        }
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        locked.open.insert(n, handle);
        drop(locked);
        let (connections, respond) = (Arc::clone(&connections), Arc::clone(&respond));
        thread::spawn(move || serve(stream, &connections, n, &*respond));
    }
}

/// Answers requests on one connection until the client closes it or asks to.
fn serve(stream: TcpStream, connections: &Mutex<Connections>, n: u64, respond: &Respond) {
    if let Ok(mut writer) = stream.try_clone() {
        let mut reader = BufReader::new(stream);
        loop {
            let (response, close) = match read_request(&mut reader) {
                Ok(Some(request)) => (respond(Ok(&request)), request.close),
                Ok(None) => break,
                Err(why) => (respond(Err(why)), true),
            };
            if response.send(&mut writer, close).is_err() || close {
                break;
            }
        }
    }
    lock(connections).open.remove(&n);
}

/// One request; None at the end of the connection (or a broken one: nobody to answer).
/// Err: a request that cannot be parsed, answered before closing.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, &'static str> {
    let Some(line) = read_line(reader) else {
        return Ok(None);
    };
    let mut words = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (words.next(), words.next(), words.next())
    else {
        return Err("Malformed request line.");
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader).ok_or("Truncated headers.")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or("Malformed header.")?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs = query.split('&').filter(|pair| !pair.is_empty());
    let pairs = pairs.map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    let mut request = Request {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        query: pairs.map(|(k, v)| (decode(k), decode(v))).collect(),
        headers,
        body: Vec::new(),
        close: false,
    };
    // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes unless told.
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut tokens = connection.split(',').map(str::trim);
    request.close = match version {
        "HTTP/1.0" => !tokens.any(|token| token == "keep-alive"),
        _ => tokens.any(|token| token == "close"),
    };
    let encoding = request.header("transfer-encoding").unwrap_or("");
    request.body = if encoding.to_ascii_lowercase().contains("chunked") {
        read_chunked(reader)?
    } else {
        let length = request.header("content-length").map_or(Ok(0), str::parse);
        let length = length.ok().filter(|&n| n <= MAX_BODY);
        let mut body = vec![0; length.ok_or("Bad Content-Length.")?];
        reader
            .read_exact(&mut body)
            .map_err(|_| "Truncated body.")?;
        body
    };
    Ok(Some(request))
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader).ok_or("Truncated chunk.")?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| "Bad chunk size.")?;
        if size == 0 {
            // Trailers, if any, end with an empty line; they are of no interest.
            while !read_line(reader).ok_or("Truncated trailers.")?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err("Body too large.");
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|_| "Truncated chunk.")?;
        read_line(reader).ok_or("Truncated chunk.")?; // the CRLF after the data
    }
}

/// A line without its CRLF; None at the end of the stream or on an error.
fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = Vec::new();
    let read = reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut line);
    let text = String::from_utf8_lossy(&line);
    matches!(read, Ok(n) if n > 0).then(|| text.trim_end_matches(['\r', '\n']).to_owned())
}

/// Percent-decodes a query key or value (`+` is a space, as in HTML forms).
fn decode(text: &str) -> String {
    let (bytes, mut out, mut i) = (text.as_bytes(), Vec::new(), 0);
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    while i < bytes.len() {
        let pair = bytes.get(i + 1..i + 3).map(|h| (hex(h[0]), hex(h[1])));
        if let (b'%', Some((Some(high), Some(low)))) = (bytes[i], pair) {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}
