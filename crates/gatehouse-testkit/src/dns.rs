//! A real DNS server for tests: UDP and TCP on 127.0.0.1, answering from a zone the test sets,
//! in the DNS wire format (hickory-proto). It can also answer SERVFAIL or not answer at all.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, TXT};
use hickory_proto::rr::{RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// What the server says about a name.
#[derive(Clone, Debug)]
pub enum Answer {
    /// TXT records; each record is a list of character-strings (a record split in parts).
    Txt(Vec<Vec<String>>),
    /// An A record.
    A(Ipv4Addr),
    /// An AAAA record.
    Aaaa(Ipv6Addr),
    NxDomain,
    ServFail,
    /// Never answer: the client times out.
    Silent,
}

type Zone = Arc<Mutex<HashMap<(String, &'static str), Answer>>>;

pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Zone,
}

fn key(name: &str, kind: &'static str) -> (String, &'static str) {
    (name.trim_end_matches('.').to_ascii_lowercase(), kind)
}

impl DnsServer {
    /// Starts on a free port (the same one for UDP and TCP).
    pub async fn start() -> Self {
        let zone: Zone = Arc::default();
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
            let addr = udp.local_addr().expect("addr");
            let Ok(tcp) = TcpListener::bind(addr).await else {
                continue;
            };
            tokio::spawn(serve_udp(udp, zone.clone()));
            tokio::spawn(serve_tcp(tcp, zone.clone()));
            return Self { addr, zone };
        }
        panic!("no free port for the test DNS server");
    }

    pub fn set_txt(&self, name: &str, records: &[&[&str]]) {
        let recs = records
            .iter()
            .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        self.zone
            .lock()
            .expect("zone")
            .insert(key(name, "TXT"), Answer::Txt(recs));
    }

    pub fn set_a(&self, name: &str, ip: Ipv4Addr) {
        self.zone.lock().expect("zone").insert(key(name, "A"), Answer::A(ip));
    }

    pub fn set_aaaa(&self, name: &str, ip: Ipv6Addr) {
        self.zone
            .lock()
            .expect("zone")
            .insert(key(name, "AAAA"), Answer::Aaaa(ip));
    }

    /// Sets how every query for `name` (any type) is answered.
    pub fn set_behavior(&self, name: &str, answer: Answer) {
        let mut z = self.zone.lock().expect("zone");
        z.insert(key(name, "TXT"), answer.clone());
        z.insert(key(name, "A"), answer.clone());
        z.insert(key(name, "AAAA"), answer);
    }

    pub fn remove(&self, name: &str) {
        let n = name.trim_end_matches('.').to_ascii_lowercase();
        self.zone.lock().expect("zone").retain(|(k, _), _| *k != n);
    }
}

/// Builds the answer, or `None` to stay silent.
fn respond(zone: &Zone, packet: &[u8]) -> Option<Vec<u8>> {
    let req = Message::from_vec(packet).ok()?;
    let q = req.queries.first()?.clone();
    let name = q.name().to_ascii().trim_end_matches('.').to_ascii_lowercase();
    let kind = match q.query_type() {
        RecordType::TXT => "TXT",
        RecordType::A => "A",
        RecordType::AAAA => "AAAA",
        _ => "OTHER",
    };
    let mut resp = Message::new(req.metadata.id, MessageType::Response, req.metadata.op_code);
    resp.metadata.recursion_desired = req.metadata.recursion_desired;
    resp.metadata.recursion_available = true;
    resp.metadata.authoritative = true;
    resp.add_query(q.clone());
    let zone = zone.lock().expect("zone");
    let known = zone.keys().any(|(n, _)| *n == name);
    match zone.get(&(name.clone(), kind)) {
        Some(Answer::Silent) => return None,
        Some(Answer::ServFail) => resp.metadata.response_code = ResponseCode::ServFail,
        Some(Answer::Txt(records)) => {
            for r in records {
                resp.add_answer(Record::from_rdata(
                    q.name().clone(),
                    60,
                    RData::TXT(TXT::new(r.clone())),
                ));
            }
        }
        Some(Answer::A(ip)) => {
            resp.add_answer(Record::from_rdata(q.name().clone(), 60, RData::A(A(*ip))));
        }
        Some(Answer::Aaaa(ip)) => {
            resp.add_answer(Record::from_rdata(q.name().clone(), 60, RData::AAAA(AAAA(*ip))));
        }
        // A name with other records but none of this type: NOERROR, no answers (NODATA).
        None if known => {}
        // Asked to say so, or a name the zone does not have at all.
        Some(Answer::NxDomain) | None => resp.metadata.response_code = ResponseCode::NXDomain,
    }
    resp.to_vec().ok()
}

async fn serve_udp(sock: UdpSocket, zone: Zone) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            return;
        };
        if let Some(out) = respond(&zone, &buf[..n]) {
            let _ = sock.send_to(&out, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, zone: Zone) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let zone = zone.clone();
        tokio::spawn(async move {
            // RFC 1035 §4.2.2: each message is preceded by its two-byte length.
            loop {
                let mut len = [0u8; 2];
                if stream.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
                if stream.read_exact(&mut buf).await.is_err() {
                    return;
                }
                let Some(out) = respond(&zone, &buf) else { return };
                let mut framed = (out.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&out);
                if stream.write_all(&framed).await.is_err() {
                    return;
                }
            }
        });
    }
}
