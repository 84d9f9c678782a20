//! gRPC's own services, as clients expect of any server: health
//! (`grpc.health.v1.Health`: `Check`, `Watch`) and server reflection
//! (`grpc.reflection.v1` and `v1alpha`, what grpcurl and grpcio's
//! reflection client ask), from tonic-health and tonic-reflection, over
//! the descriptors loaded (rebuilt on each load).

use axum::{body::Body, response::Response};
use fake_servicer_grpc::Catalog;
use std::{convert::Infallible, future::Future, pin::Pin, sync::Arc};
use tower_service::Service;

/// Paths of the health service.
pub const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";
const REFLECTION_V1: &str = "/grpc.reflection.v1.ServerReflection/";
const REFLECTION_V1ALPHA: &str = "/grpc.reflection.v1alpha.ServerReflection/";

/// One of them, called with the request as it came (its body streams:
/// reflection is a conversation).
pub(crate) type Handler = Arc<
    dyn Fn(http::Request<Body>) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync,
>;

/// A tonic service as a [`Handler`].
fn handler<S>(service: S) -> Handler
where
    S: Service<
            http::Request<Body>,
            Response = http::Response<tonic::body::Body>,
            Error = Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    Arc::new(move |req| {
        let mut service = service.clone();
        Box::pin(async move {
            match service.call(req).await {
                Ok(response) => response.map(Body::new),
                Err(never) => match never {},
            }
        })
    })
}

/// The health service and what sets its statuses.
pub(crate) fn health() -> (tonic_health::server::HealthReporter, Handler) {
    let (reporter, service) = tonic_health::server::health_reporter();
    (reporter, handler(service))
}

/// Reflection over one load of the descriptors.
pub(crate) struct Builtins {
    v1: Option<Handler>,
    v1alpha: Option<Handler>,
}

impl Builtins {
    /// Reflection listing `catalog`'s services and the health service.
    pub fn of(catalog: &Catalog) -> Builtins {
        let set = catalog.file_descriptor_set();
        let build = || {
            tonic_reflection::server::Builder::configure()
                .register_file_descriptor_set(set.clone())
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let v1 = build()
            .build_v1()
            .map(handler)
            .map_err(|e| tracing::warn!("gRPC reflection (v1) not served: {e}"))
            .ok();
        let v1alpha = build()
            .build_v1alpha()
            .map(handler)
            .map_err(|e| tracing::warn!("gRPC reflection (v1alpha) not served: {e}"))
            .ok();
        Builtins { v1, v1alpha }
    }

    /// The reflection service `path` calls, if any.
    pub fn for_path(&self, path: &str) -> Option<Handler> {
        if path.starts_with(REFLECTION_V1) {
            self.v1.clone()
        } else if path.starts_with(REFLECTION_V1ALPHA) {
            self.v1alpha.clone()
        } else {
            None
        }
    }
}
