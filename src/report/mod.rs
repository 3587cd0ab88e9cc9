//! Turning case results into what people and CI read.

pub mod junit;
pub mod text;
