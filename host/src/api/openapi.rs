//! `/api/openapi.json`, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    ai, algorithms, datasets, deletion, description_tasks, downloads, image_tasks, job_create,
    jobs, nodes, plugins, session, styles, tokens, views, ws,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "patchart", description = "Patent-search exports to charts drawn by sandboxed WebAssembly plugins."),
    paths(
        job_create::create_job, jobs::list_jobs, jobs::get_job, jobs::cancel_job, jobs::list_job_events,
        downloads::download_job, downloads::download_zip,
        image_tasks::list_image_tasks, image_tasks::get_image_task, image_tasks::image_task_png,
        image_tasks::image_task_svg, image_tasks::cancel_image_task, image_tasks::retry_image_task,
        description_tasks::list_description_tasks, description_tasks::get_description_task,
        algorithms::list_algorithms, styles::list_styles,
        plugins::list_plugins, plugins::upload_plugin, plugins::get_plugin, plugins::patch_plugin,
        plugins::retire_plugin, nodes::list_nodes,
        tokens::list_tokens, tokens::create_token, tokens::revoke_token,
        deletion::delete_job,
        datasets::upload_dataset, datasets::list_datasets, datasets::get_dataset, datasets::delete_dataset,
        session::get_session, session::end_session,
        ai::describe, ai::models,
        ws::job_events, super::healthz, super::metrics,
    ),
    components(schemas(
        views::ErrorBody, views::ErrorDetail, views::JobCreated, views::JobDetail, views::JobSummary,
        views::ImageTaskView, views::DatasetSummary, views::FacetSummary, views::DescriptionTaskView,
        views::AlgorithmView, views::AlgorithmVersion, styles::StyleOptions, styles::PaletteView, styles::FontSizeName, views::JobCancelled, job_create::ImageRequest,
        job_create::JobFromDataset, crate::store::model::EventRow, views::EventView, views::EventPage,
        plugins::PluginList, plugins::PluginView, plugins::PluginUploaded, plugins::LimitsView,
        crate::catalog::PluginPatch, crate::catalog::LimitsPatch, crate::catalog::DirectoryError,
        crate::plugins::registry::PluginSource, crate::plugins::registry::PluginStatus,
        nodes::NodeList, nodes::NodeView, crate::store::LeasedTask,
        deletion::JobDeleted, datasets::DatasetDeletedView, datasets::DatasetDetail, datasets::FacetDetail, datasets::TopEntry,
        session::SessionView, crate::store::DatasetDeleted,
        tokens::TokenList, tokens::TokenView, tokens::TokenCreate, tokens::TokenCreated, crate::store::TokenRow,
        ai::DescribeRequest, ai::DescribeForm, ai::DescribeAccepted, crate::describe::Catalog, crate::describe::ProviderInfo,
        job_create::JobUpload, job_create::SourceType, datasets::DatasetUpload, plugins::PluginUpload,
        crate::store::model::JobStatus, crate::store::model::TaskStatus, crate::store::model::OutputFormat,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The console's cookie, set by `/login`; state-changing requests it
        // authorises must come from the same site.
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(super::SESSION_COOKIE),
            )),
        );
    }
}

/// The document served at `/api/openapi.json`: generated once, then
/// completed by [`super::contract`].
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        super::contract::complete(&mut doc);
        doc
    })
}

pub async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(document())
}
