//! The canonical dataset: what every source format is reduced to. Plugins
//! only ever see this (converted to the WIT `dataset` record), never a file.

use serde::{Deserialize, Serialize};

/// Canonical facet names, in the order the host presents them.
pub const CANONICAL_FACETS: &[&str] = &[
    "countries",
    "languages",
    "publication_years",
    "priority_years",
    "ipc_main_groups",
    "ipc_subgroups",
    "cpc_main_groups",
    "cpc_subgroups",
    "cpc_offices",
    "applicants",
    "inventors",
    "applicant_countries",
    "inventor_countries",
];

/// One row of a facet: a label and how many documents carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub label: String,
    pub count: u64,
}

/// A facet with its entries in source order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    /// Canonical name (see [`CANONICAL_FACETS`]) or a slug of an unknown
    /// sheet's name.
    pub name: String,
    /// The name the source used, e.g. the sheet name "Countries (family)".
    pub source_name: String,
    pub entries: Vec<Entry>,
}

impl Facet {
    pub fn total(&self) -> u64 {
        self.entries.iter().map(|e| e.count).sum()
    }
}

/// A canonical dataset with the provenance of its upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Source format, e.g. `espacenet_excel`.
    pub source_type: String,
    /// File name as uploaded.
    pub file_name: String,
    /// Lower-case hex sha256 of the uploaded bytes; datasets are
    /// content-addressed by it.
    pub sha256: String,
    /// The search text, when the source carried one.
    pub query: Option<String>,
    /// Number of results the source reported for the query, if it did.
    pub result_count: Option<u64>,
    pub facets: Vec<Facet>,
}

impl Dataset {
    pub fn facet(&self, name: &str) -> Option<&Facet> {
        self.facets.iter().find(|f| f.name == name)
    }

    /// The few figures job views show, without the entries.
    pub fn digest(&self) -> DatasetDigest {
        DatasetDigest {
            query: self.query.clone(),
            result_count: self.result_count,
            facets: self
                .facets
                .iter()
                .map(|f| FacetDigest {
                    name: f.name.clone(),
                    source_name: f.source_name.clone(),
                    entries: f.entries.len(),
                    total: f.total(),
                })
                .collect(),
        }
    }
}

/// A dataset's query, result count and facet sizes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetDigest {
    pub query: Option<String>,
    pub result_count: Option<u64>,
    pub facets: Vec<FacetDigest>,
}

/// A facet's name, number of entries and total count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetDigest {
    pub name: String,
    pub source_name: String,
    pub entries: usize,
    pub total: u64,
}
