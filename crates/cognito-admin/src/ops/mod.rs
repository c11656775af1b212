//! The operations, one file per resource kind.

pub(crate) mod bulk;
pub(crate) mod cimd;
pub(crate) mod clients;
pub(crate) mod groups;
pub(crate) mod mfa;
pub(crate) mod pool;
pub(crate) mod users;
