//! Reads the captured transcripts of `testdata/*.txt` (format described in each file and in
//! `testdata/README.md`).

use std::path::{Path, PathBuf};

/// Who opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Python client talking to Java's GatewayServer.
    Gateway,
    /// Java's CallbackClient talking to a Python callback server.
    Callback,
}

/// What happened after the replies of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The connection stayed open.
    Open,
    /// No reply came and the connection stayed open.
    Silent,
    /// The peer closed the connection (EOF).
    Closed,
    /// The connection was reset.
    Reset,
}

/// One exchange: bytes sent in one write, lines received.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// File name, connection label and exchange label, for messages.
    pub file: String,
    pub connection: String,
    pub label: String,
    pub kind: Kind,
    /// The bytes the connection's opener sent.
    pub sent: Vec<u8>,
    /// Whether `sent` came from a `>raw` record (line ends other than LF).
    pub raw: bool,
    /// Reply lines received, without LF.
    pub replies: Vec<Vec<u8>>,
    /// Raw bytes after the reply line (stream command).
    pub trailing: Vec<u8>,
    pub end: End,
}

impl Exchange {
    /// `file: connection / label`, for messages.
    pub fn name(&self) -> String {
        format!("{}: {} / {}", self.file, self.connection, self.label)
    }
}

/// The testdata folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Parses one transcript.
pub fn parse(file: &str, text: &str) -> Vec<Exchange> {
    let mut out: Vec<Exchange> = Vec::new();
    let mut kind = Kind::Gateway;
    let mut connection = String::new();
    for line in text.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("== ") {
            let (k, label) = rest.split_once(' ').expect("== kind label");
            kind = match k {
                "gateway" => Kind::Gateway,
                "callback" => Kind::Callback,
                other => panic!("{file}: unknown connection kind {other}"),
            };
            connection = label.to_owned();
            continue;
        }
        if let Some(label) = line.strip_prefix("-- ") {
            out.push(Exchange {
                file: file.to_owned(),
                connection: connection.clone(),
                label: label.to_owned(),
                kind,
                sent: Vec::new(),
                raw: false,
                replies: Vec::new(),
                trailing: Vec::new(),
                end: End::Open,
            });
            continue;
        }
        let ex = out
            .last_mut()
            .unwrap_or_else(|| panic!("{file}: record before any exchange: {line}"));
        if let Some(hex) = line.strip_prefix(">raw ") {
            ex.sent.extend(unhex(hex));
            ex.raw = true;
        } else if let Some(l) =
            line.strip_prefix("> ")
                .or(if line == ">" { Some("") } else { None })
        {
            ex.sent.extend_from_slice(l.as_bytes());
            ex.sent.push(b'\n');
        } else if let Some(hex) = line.strip_prefix("<bytes ") {
            ex.trailing = unhex(hex);
        } else if let Some(l) = line.strip_prefix("< ") {
            ex.replies.push(l.as_bytes().to_vec());
        } else {
            ex.end = match line {
                "<closed" => End::Closed,
                "<reset" => End::Reset,
                "<silent" => End::Silent,
                other => panic!("{file}: unknown record {other:?}"),
            };
        }
    }
    out
}

/// Every exchange of every transcript, in file order.
pub fn all() -> Vec<Exchange> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no transcripts in testdata");
    files
        .iter()
        .flat_map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            parse(&name, &std::fs::read_to_string(p).expect("read transcript"))
        })
        .collect()
}
