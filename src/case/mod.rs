//! Case files: step templates expanded, the data model as written, where each field is, and
//! the checked plan.

pub mod expand;
pub mod load;
pub mod model;
pub mod plan;

pub use load::{load, LoadError};
pub use plan::{ApiVersion, Case, Step};
