//! Application state, built in one place and handed to every handler.

use crate::config::Config;
use gatehouse_core::ports::Clock;
use gatehouse_core::services::Services;
use gatehouse_store::SqlStore;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub services: Services<SqlStore>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
}

/// A Prometheus recorder owned by this app (not installed globally, so several apps can live
/// in one process, as they do in tests).
pub struct Metrics {
    pub recorder: PrometheusRecorder,
    pub handle: PrometheusHandle,
}

impl AppState {
    pub fn new(store: SqlStore, clock: Arc<dyn Clock>, config: Config) -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        Self {
            services: Services::new(store, clock),
            config: Arc::new(config),
            metrics: Arc::new(Metrics { recorder, handle }),
        }
    }
}
