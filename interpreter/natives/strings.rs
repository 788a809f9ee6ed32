//! (being written)
pub const NATIVES: &[(&str, super::Builtin)] = &[];
