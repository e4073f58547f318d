//! The per-service listeners (TCP services, gRPC services with their own
//! port) of this process: which are listening and which could not be bound
//! and why. A port that is taken at run time is not an apply-time error
//! (another process may hold it), so this is where an operator sees it.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Viewer;
use crate::runtime::ListenerInfo;
use crate::state::AdminState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ListenerList {
    /// False in a process that runs no data plane (`weir admin`): it has no
    /// listeners to report, which says nothing about the proxies.
    pub available: bool,
    /// By service name.
    pub listeners: Vec<ListenerInfo>,
}

/// Per-service listeners of this process and their state.
#[utoipa::path(get, path = "/api/v1/listeners", tag = "status",
    responses((status = 200, description = "Listeners", body = ListenerList)))]
pub async fn list(State(state): State<AdminState>, _: Viewer) -> Json<ListenerList> {
    let listeners = state.runtime().listeners().await;
    Json(ListenerList {
        available: listeners.is_some(),
        listeners: listeners.unwrap_or_default(),
    })
}
