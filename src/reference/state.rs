//! The in-memory store and its entities.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;

use super::ServerOptions;

/// Everything a router owns: options, the served schema documents and the store.
pub struct AppState {
    pub options: ServerOptions,
    pub image_schema: Value,
    pub store: Mutex<Store>,
    /// Metadata definitions (namespaces and what they hold, resource types).
    pub metadefs: Mutex<super::metadefs::Store>,
}

impl AppState {
    pub fn new(options: ServerOptions) -> Self {
        AppState {
            options,
            image_schema: super::schemas::image(),
            store: Mutex::new(Store::default()),
            metadefs: Mutex::new(super::metadefs::Store::default()),
        }
    }

    /// The store; a poisoned lock is still usable (no handler leaves it half-written).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The metadefs store (same locking rule as [`AppState::store`]).
    pub fn metadefs(&self) -> MutexGuard<'_, super::metadefs::Store> {
        self.metadefs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// All images ever created, deleted ones included (their ids are never reused, B044/B127).
#[derive(Debug, Default)]
pub struct Store {
    images: HashMap<String, Image>,
    next_seq: u64,
    /// Tasks in creation order (B271–B274); they outlive their images, as on Glance.
    pub tasks: Vec<super::tasks::Task>,
    /// The image cache (B278).
    pub cache: super::cache::Cache,
}

impl Store {
    /// Whether `id` was ever used, by a live or a deleted image.
    pub fn id_used(&self, id: &str) -> bool {
        self.images.contains_key(id)
    }

    /// A creation sequence number; strictly increasing, used to order images created within
    /// the same second.
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn insert(&mut self, image: Image) {
        self.images.insert(image.id.clone(), image);
    }

    /// Any image with this id, deleted or not.
    pub fn get_any(&self, id: &str) -> Option<&Image> {
        self.images.get(id)
    }

    /// A non-deleted image.
    pub fn get_live(&self, id: &str) -> Option<&Image> {
        self.images.get(id).filter(|i| !i.deleted)
    }

    pub fn get_live_mut(&mut self, id: &str) -> Option<&mut Image> {
        self.images.get_mut(id).filter(|i| !i.deleted)
    }

    /// All non-deleted images, in no particular order.
    pub fn live(&self) -> impl Iterator<Item = &Image> {
        self.images.values().filter(|i| !i.deleted)
    }
}

/// The current time at the precision the API shows (whole seconds, B042).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// ISO 8601 UTC, whole seconds: `YYYY-MM-DDThh:mm:ssZ`.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Saving,
    Active,
    Killed,
    Deleted,
    Uploading,
    Importing,
    PendingDelete,
    Deactivated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Saving => "saving",
            Status::Active => "active",
            Status::Killed => "killed",
            Status::Deleted => "deleted",
            Status::Uploading => "uploading",
            Status::Importing => "importing",
            Status::PendingDelete => "pending_delete",
            Status::Deactivated => "deactivated",
        }
    }

    pub const ALL: [Status; 9] = [
        Status::Queued,
        Status::Saving,
        Status::Active,
        Status::Killed,
        Status::Deleted,
        Status::Uploading,
        Status::Importing,
        Status::PendingDelete,
        Status::Deactivated,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Community,
    Public,
    Private,
    Shared,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Community,
        Visibility::Public,
        Visibility::Private,
        Visibility::Shared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Community => "community",
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Shared => "shared",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A project's answer to an image shared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Pending,
    Accepted,
    Rejected,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 3] = [
        MemberStatus::Pending,
        MemberStatus::Accepted,
        MemberStatus::Rejected,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Accepted => "accepted",
            MemberStatus::Rejected => "rejected",
        }
    }
}

/// One project an image is shared with: its answer and when the entry was made and changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub status: MemberStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Member {
    /// A new, pending membership.
    pub fn pending(at: DateTime<Utc>) -> Self {
        Member {
            status: MemberStatus::Pending,
            created_at: at,
            updated_at: at,
        }
    }
}

/// Attributes that come from image data (upload/import). All unset until data exists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageData {
    /// The image's bytes once uploaded or imported (B195, B267).
    pub content: Option<super::data::Blob>,
    /// Data staged for an interoperable import (`PUT …/stage`, B260), not downloadable.
    pub staged: Option<super::data::Blob>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    /// The stores holding the data, in the order it reached them; shown (comma-separated) only
    /// once data exists.
    pub stores: Vec<String>,
    /// The uploaded bytes (`PUT …/file`), if any.
    pub bytes: Option<bytes::Bytes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub id: String,
    /// Creation order (tie-break of `created_at`, which has whole-second precision).
    pub seq: u64,
    pub name: Option<String>,
    pub status: Status,
    pub visibility: Visibility,
    pub protected: bool,
    pub os_hidden: bool,
    pub owner: Option<String>,
    pub container_format: Option<String>,
    pub disk_format: Option<String>,
    pub min_ram: i64,
    pub min_disk: i64,
    /// Distinct tags in insertion order.
    pub tags: Vec<String>,
    /// Additional (custom) properties; values are always strings.
    pub extra: BTreeMap<String, String>,
    pub data: ImageData,
    /// Projects the image is shared with, by project id. The entries survive a change of
    /// visibility but only grant access while the image is `shared` (B254).
    pub members: BTreeMap<String, Member>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Image {
    /// A queued image with every attribute at its default.
    pub fn new(id: String, seq: u64, at: DateTime<Utc>) -> Self {
        Image {
            id,
            seq,
            name: None,
            status: Status::Queued,
            visibility: Visibility::Shared,
            protected: false,
            os_hidden: false,
            owner: None,
            container_format: None,
            disk_format: None,
            min_ram: 0,
            min_disk: 0,
            tags: Vec::new(),
            extra: BTreeMap::new(),
            data: ImageData::default(),
            members: BTreeMap::new(),
            created_at: at,
            updated_at: at,
            deleted: false,
            deleted_at: None,
        }
    }

    /// Adds a tag unless present; returns whether the set grew.
    pub fn add_tag(&mut self, tag: &str) -> bool {
        if self.tags.iter().any(|t| t == tag) {
            false
        } else {
            self.tags.push(tag.to_string());
            true
        }
    }

    /// Marks the image deleted; the record stays so that its id is never reused.
    pub fn mark_deleted(&mut self, at: DateTime<Utc>) {
        self.deleted = true;
        self.deleted_at = Some(at);
        self.data.content = None;
        self.data.staged = None;
        self.status = Status::Deleted;
        self.updated_at = at;
    }
}

/// Distinct values, first occurrence kept.
pub fn dedupe(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}
