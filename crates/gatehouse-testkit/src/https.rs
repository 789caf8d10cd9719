//! A real HTTPS server for tests, with a certificate from a test CA that the code under test is
//! told to trust. It serves the domain-verification file per host name, and can redirect.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// What a host serves at the verification path.
#[derive(Clone, Debug)]
pub enum FileAnswer {
    Body(String),
    Status(u16),
    RedirectTo(String),
}

type Files = Arc<Mutex<HashMap<String, FileAnswer>>>;

pub struct HttpsServer {
    pub addr: SocketAddr,
    /// The test CA's certificate (PEM), written to a file to pass as `extra_ca_file`.
    pub ca_file: PathBuf,
    files: Files,
    _dir: tempfile::TempDir,
}

impl HttpsServer {
    /// Starts on 127.0.0.1 with a certificate valid for `names` (wildcards allowed).
    pub async fn start(names: &[&str]) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Gatehouse Test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf_params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("leaf params");
        let leaf = leaf_params.signed_by(&leaf_key, &ca).expect("leaf");
        let dir = tempfile::tempdir().expect("dir");
        let ca_file = dir.path().join("test-ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("write ca");

        let certs = vec![leaf.der().clone()];
        let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("key der");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("tls config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let files: Files = Arc::default();
        let app = Router::new()
            .route(gatehouse_core::domain::HTTPS_PATH, get(serve_file))
            .with_state(files.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let svc = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(io, svc)
                        .await;
                });
            }
        });
        Self {
            addr,
            ca_file,
            files,
            _dir: dir,
        }
    }

    pub fn set(&self, host: &str, answer: FileAnswer) {
        self.files
            .lock()
            .expect("files")
            .insert(host.to_ascii_lowercase(), answer);
    }
}

async fn serve_file(State(files): State<Files>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
        .unwrap_or_default();
    let answer = files.lock().expect("files").get(&host).cloned();
    match answer {
        Some(FileAnswer::Body(b)) => b.into_response(),
        Some(FileAnswer::Status(s)) => StatusCode::from_u16(s).unwrap_or(StatusCode::NOT_FOUND).into_response(),
        Some(FileAnswer::RedirectTo(url)) => Redirect::temporary(&url).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
