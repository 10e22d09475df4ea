//! tessera's shared kernel: the conventions every module follows (error envelope,
//! extractors, typed ids, actor, clock, configuration) and the shared services
//! (database, job queue, outbox, mail, rate limits and strikes — in memory or
//! shared through Redis —, keyring, the SSRF guard).

pub mod actor;
pub mod audit;
pub mod authz;
pub mod bus;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod event_types;
pub mod extract;
pub mod fields;
pub mod ids;
pub mod jobs;
pub mod keyring;
pub mod mail;
pub mod migration;
pub mod module;
pub mod outbox;
pub mod page;
pub mod permission;
pub mod personal;
pub mod ratelimit;
pub mod record;
pub mod redis;
pub mod request_id;
pub mod reseal;
pub mod response;
pub mod roles;
pub mod ssrf;
pub mod state;
pub mod strikes;
pub mod vacuum;

pub use actor::{Actor, ActorRef, ClientInfo, KeyActor, PlatformAdmin, PlatformRole};
pub use authz::OrgScope;
pub use clock::{Clock, Millis};
pub use error::{ApiError, ApiResult, FieldError, FieldErrors};
pub use extract::{Json, Path, Query};
pub use module::{Module, Routes, Running, Wiring};
pub use page::{PageQuery, PageReq};
pub use permission::Permission;
pub use record::{Change, ChangeCtx};
pub use response::{Accepted, Created, CursorPage, Data, Done, NoContent, Page, PageMeta};
pub use state::{AppParts, AppState, Core, CoreParts};
