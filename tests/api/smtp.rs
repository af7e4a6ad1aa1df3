//! A real SMTP server on loopback for the tests (mailin-embedded), keeping what it
//! receives. It can be told to refuse service (421, as a server going down does) or to
//! refuse a recipient for good (550).

use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use mailin_embedded::{Handler, Response, Server, SslConfig, response};

#[derive(Default)]
struct Shared {
    inbox: Mutex<Vec<Mail>>,
    down: AtomicBool,
    refused: Mutex<Vec<String>>,
    /// How long taking each message takes, to slow delivery down.
    delay: Mutex<Duration>,
}

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Mail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default()
            .parse(&self.raw)
            .expect("a parsable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    /// The first line of the text part starting with `label`, after it.
    pub fn line_after(&self, label: &str) -> Option<String> {
        self.text().lines().find_map(|line| {
            line.trim()
                .strip_prefix(label)
                .map(|rest| rest.trim().to_owned())
        })
    }
}

#[derive(Clone)]
struct Session {
    shared: Arc<Shared>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Session {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        if self.shared.down.load(Ordering::SeqCst) {
            return response::NO_SERVICE;
        }
        response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        if self.shared.down.load(Ordering::SeqCst) {
            return response::NO_SERVICE;
        }
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let refused = self.shared.refused.lock().unwrap();
        if refused.iter().any(|r| r == to) {
            // As real servers do, the refusal quotes the address.
            return Response::custom(550, format!("5.1.1 <{to}>: Recipient address rejected"));
        }
        self.to.push(to.to_owned());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = *self.shared.delay.lock().unwrap();
        std::thread::sleep(delay);
        self.shared.inbox.lock().unwrap().push(Mail {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        });
        response::OK
    }
}

/// The server runs on its own threads until the test process ends.
#[derive(Clone)]
pub struct MailServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl MailServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let shared = Arc::new(Shared::default());
        let mut server = Server::new(Session {
            shared: shared.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("mail.test")
            .with_num_threads(128)
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(error) = server.serve() {
                panic!("test SMTP server stopped: {error}");
            }
        });
        Self { port, shared }
    }

    /// While down, every session is refused with 421 Service not available.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// Refuses this recipient for good (550), or accepts it again.
    pub fn refuse(&self, address: &str, refuse: bool) {
        let mut refused = self.shared.refused.lock().unwrap();
        refused.retain(|r| r != address);
        if refuse {
            refused.push(address.to_owned());
        }
    }

    pub fn received(&self) -> Vec<Mail> {
        self.shared.inbox.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages arrived, or panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages arrived in {timeout:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
