//! `GET /api/algorithms/`: what jobs can ask for.

use axum::Json;
use axum::extract::State;

use super::views::{AlgorithmVersion, AlgorithmView, ErrorBody};
use super::{ApiError, AppState, Auth};

/// The algorithms jobs can ask for, with their versions, params schema and
/// defaults.
#[utoipa::path(get, path = "/api/algorithms/", tag = "algorithms",
    responses((status = 200, body = Vec<AlgorithmView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_algorithms(
    State(state): State<AppState>,
    Auth(_user): Auth,
) -> Result<Json<Vec<AlgorithmView>>, ApiError> {
    let plugins = state.jobs.registry().list();
    let mut out: Vec<AlgorithmView> = Vec::new();
    for p in plugins {
        match out.last_mut() {
            Some(last) if last.key == p.info.key => {
                last.versions.push(AlgorithmVersion {
                    version: p.info.version.clone(),
                    sha256: p.sha256.clone(),
                });
                // The list is ordered by version: the last one is newest.
                last.latest_version = p.info.version.clone();
                last.name = p.info.name.clone();
                last.description = p.info.description.clone();
                last.params_schema = p.info.params_schema.clone();
                last.defaults = p.param_defaults();
                last.required_facets = p.info.required_facets.clone();
            }
            _ => out.push(AlgorithmView {
                key: p.info.key.clone(),
                name: p.info.name.clone(),
                description: p.info.description.clone(),
                latest_version: p.info.version.clone(),
                versions: vec![AlgorithmVersion {
                    version: p.info.version.clone(),
                    sha256: p.sha256.clone(),
                }],
                params_schema: p.info.params_schema.clone(),
                defaults: p.param_defaults(),
                required_facets: p.info.required_facets.clone(),
            }),
        }
    }
    Ok(Json(out))
}
