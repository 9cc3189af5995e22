//! What an API key may do beyond reading: the names keys and routes share.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a key may do beyond reading. Routes ask for one with [`crate::auth::Authorized`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Submit transactions (`POST /v1/transactions`).
    #[serde(rename = "tx:write")]
    TxWrite,
    /// Start and read audits.
    #[serde(rename = "audit:admin")]
    AuditAdmin,
    /// Register and manage webhooks.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
}

impl Scope {
    /// Every scope, in the order they are listed.
    pub const ALL: [Scope; 3] = [Scope::TxWrite, Scope::AuditAdmin, Scope::WebhooksWrite];

    /// The scope's name, as given to `--scopes` and shown in the OpenAPI document.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TxWrite => "tx:write",
            Scope::AuditAdmin => "audit:admin",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
