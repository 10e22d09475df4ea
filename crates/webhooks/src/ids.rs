//! The webhooks module's ids.

tessera_kernel::typed_id!(
    /// A webhook endpoint.
    EndpointId
);
tessera_kernel::typed_id!(
    /// One event to one endpoint.
    DeliveryId
);
tessera_kernel::typed_id!(
    /// One request made for a delivery.
    AttemptId
);
