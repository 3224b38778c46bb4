//! Rule packs: loading (built-in and user files), validation, compilation.
//!
//! `load` turns TOML text into [`spec`] values with source positions;
//! `compile` checks every rule and builds the matchers of the
//! [`Engine`](crate::Engine). Both collect every error before giving up, so
//! one run of `logscrub check` reports everything that is wrong.

pub mod compile;
mod error;
pub mod examples;
mod load;
pub mod spec;

pub use compile::{compile, Compiled};
pub use error::{RuleError, RuleErrors};
pub use load::{load, LoadedRule, BUILTIN_PACKS};
