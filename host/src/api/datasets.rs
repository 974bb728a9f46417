//! `/api/datasets/`: upload an export and see what the server read from
//! it before any chart is drawn, list and reopen your datasets, delete
//! one. Datasets are content-addressed: uploading bytes already stored
//! parses nothing again and only gives the caller access.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::job_create::{Upload, read_upload};
use super::jobs::page_window;
use super::links::RequestUrl;
use super::views::{DatasetSummary, ErrorBody, Page};
use super::{ApiError, ApiPath, ApiQuery, AppState, Auth, FieldErrors};
use crate::store::DatasetDeleted;
use crate::store::model::DatasetRow;

/// Entries shown per facet in a dataset's detail: enough to recognise
/// the export, few enough to read at a glance.
const TOP_ENTRIES: usize = 5;

#[derive(Debug, Serialize, ToSchema)]
pub struct TopEntry {
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetDetail {
    pub name: String,
    pub source_name: String,
    pub entries: usize,
    pub total: u64,
    /// The first entries, in source order (Espacenet sorts by count).
    pub top: Vec<TopEntry>,
}

/// A dataset with what it holds: its query, result count and every facet
/// with its size and top entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetDetail {
    #[schema(format = "uuid")]
    pub id: String,
    pub sha256: String,
    pub source_type: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub created_at: String,
    pub query: Option<String>,
    pub result_count: Option<u64>,
    pub facets: Vec<FacetDetail>,
}

impl DatasetDetail {
    fn of(row: &DatasetRow) -> Self {
        let summary = DatasetSummary::from(row);
        // The canonical JSON has the entries; rows read for lists carry
        // only the summary, and then `top` stays empty.
        let canonical = serde_json::from_str::<crate::Dataset>(&row.canonical).ok();
        let facets = summary
            .facets
            .into_iter()
            .map(|f| {
                let top = canonical
                    .as_ref()
                    .and_then(|d| d.facet(&f.name))
                    .map(|facet| {
                        facet
                            .entries
                            .iter()
                            .take(TOP_ENTRIES)
                            .map(|e| TopEntry {
                                label: e.label.clone(),
                                count: e.count,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                FacetDetail {
                    name: f.name,
                    source_name: f.source_name,
                    entries: f.entries,
                    total: f.total,
                    top,
                }
            })
            .collect();
        DatasetDetail {
            id: summary.id,
            sha256: summary.sha256,
            source_type: summary.source_type,
            file_name: summary.file_name,
            size_bytes: summary.size_bytes,
            created_at: row.created_at.clone(),
            query: summary.query,
            result_count: summary.result_count,
            facets,
        }
    }
}

/// An export to upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DatasetUpload {
    /// Default espacenet_excel.
    #[schema(nullable = false)]
    source_type: Option<super::job_create::SourceType>,
    /// The export file.
    #[schema(value_type = String, format = Binary)]
    source_data: Vec<u8>,
}

/// Upload an export (multipart: `source_data` file, optional
/// `source_type`, default `espacenet_excel`) and get its dataset: 201 when
/// new, 200 when these bytes were already stored. A file that cannot be
/// read is a 422 whose code and message say why (e.g. `INGEST_NO_FACETS`).
#[utoipa::path(post, path = "/api/datasets/", tag = "datasets",
    request_body(content = DatasetUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = DatasetDetail, description = "Stored"),
        (status = 200, body = DatasetDetail, description = "Already stored; now also yours"),
        (status = 400, body = ErrorBody, description = "The body does not match this document: no `source_data`, an unknown field or source type"),
        (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "Not multipart/form-data"),
        (status = 422, body = ErrorBody, description = "The file is not a readable export; the code (`INGEST_*`) and message say why")),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload_dataset(
    State(state): State<AppState>,
    Auth(user): Auth,
    req: Request,
) -> Result<Response, ApiError> {
    let max = state.limits.max_upload_bytes;
    if super::declares_more_than(req.headers(), max + super::MULTIPART_SLACK) {
        return Err(super::job_create::too_large(max));
    }
    let mut mp = super::multipart(req, &state).await?;
    let mut source_type = None;
    let mut file = None;
    let mut fields = FieldErrors::default();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::multipart(&e, super::job_create::too_large(max)))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "source_data" => {
                let file_name = field.file_name().unwrap_or("upload.xlsx").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::multipart(&e, super::job_create::too_large(max)))?;
                if bytes.len() as u64 > max {
                    return Err(super::job_create::too_large(max));
                }
                file = Some((file_name, bytes.to_vec()));
            }
            "source_type" => {
                source_type = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| ApiError::multipart(&e, super::job_create::too_large(max)))?,
                );
            }
            other => fields.shape(other, "unknown field"),
        }
    }
    let source_type = source_type.unwrap_or_else(|| "espacenet_excel".to_string());
    super::job_create::check_source_type(&source_type, &mut fields);
    if file.is_none() {
        fields.shape("source_data", "required: the export file");
    }
    fields.check()?;
    let Some((file_name, bytes)) = file else {
        return Err(ApiError::bad_request(
            "VALIDATION_ERROR",
            "source_data: required: the export file",
        ));
    };
    let (id, status) = match read_upload(&state, source_type, file_name, bytes).await? {
        Upload::Known(row) => {
            state.store.grant_dataset(&user, &row.id).await?;
            (row.id, StatusCode::OK)
        }
        Upload::Parsed(dataset, bytes) => {
            let row = state.store.put_dataset(&user, &dataset, &bytes).await?;
            (row.id, StatusCode::CREATED)
        }
    };
    let row = state
        .store
        .dataset_for(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("the dataset was deleted meanwhile"))?;
    tracing::info!(dataset = %id, user = %user.name, "dataset uploaded");
    Ok((status, Json(DatasetDetail::of(&row))).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DatasetListQuery {
    /// 1-based page number.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Results per page (1..200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<i64>,
}

/// Your datasets, most recently uploaded first (admins too see only
/// their own here; any dataset by id). Facets without top entries.
#[utoipa::path(get, path = "/api/datasets/", tag = "datasets", params(DatasetListQuery),
    responses((status = 200, body = Page<DatasetDetail>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_datasets(
    State(state): State<AppState>,
    Auth(user): Auth,
    url: RequestUrl,
    ApiQuery(q): ApiQuery<DatasetListQuery>,
) -> Result<Json<Page<DatasetDetail>>, ApiError> {
    let (page, size, offset) = page_window(q.page, q.page_size)?;
    let (rows, count) = state.store.datasets_of(&user, size, offset).await?;
    let results = rows.iter().map(DatasetDetail::of).collect();
    Ok(Json(Page::new(results, count, (page, size), &url)))
}

/// One of your datasets (admins: any) with every facet's top entries.
#[utoipa::path(get, path = "/api/datasets/{id}/", tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, body = DatasetDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_dataset(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DatasetDetail>, ApiError> {
    let row = state
        .store
        .dataset_for(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such dataset (or not yours)"))?;
    Ok(Json(DatasetDetail::of(&row)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetDeletedView {
    #[schema(format = "uuid")]
    pub dataset_id: String,
    #[serde(flatten)]
    pub deleted: DatasetDeleted,
}

/// Delete a dataset: the caller no longer sees it (an admin: no one
/// does), and it is removed once no one has it. 409 `DATASET_IN_USE`
/// while the caller's jobs (an admin: any job) still use it.
#[utoipa::path(delete, path = "/api/datasets/{id}/", tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, body = DatasetDeletedView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_dataset(
    State(state): State<AppState>,
    Auth(user): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DatasetDeletedView>, ApiError> {
    let deleted = state
        .store
        .delete_dataset(&user, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such dataset"))?;
    tracing::info!(dataset = %id, user = %user.name, ?deleted, "dataset deleted");
    Ok(Json(DatasetDeletedView {
        dataset_id: id,
        deleted,
    }))
}
