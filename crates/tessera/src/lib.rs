//! The composition of the `tessera` binary: which modules it runs, in the order
//! they are built (a module takes what earlier ones provide). Adding a module
//! is one line in [`Modules`] and its crate as a dependency.

pub use tessera_kernel::module::ModuleList;

/// Every module of the binary, in build order.
pub type Modules = (
    tessera_identity::IdentityModule,
    tessera_orgs::OrgsModule,
    tessera_access::AccessModule,
    tessera_events::EventsModule,
    tessera_webhooks::WebhooksModule,
    tessera_audit::AuditModule,
);

/// The binary's migrator: the kernel's migrations, then every module's.
pub type Migrator = tessera_kernel::module::Migrator<Modules>;
