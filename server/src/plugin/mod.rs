//! Plugins: which files are plugins (`dir`), checking and loading libraries
//! (`elf`, `loader`), the set of served versions (`registry`), and what
//! plugins keeping state per scope are told (`scoped`).

pub mod dir;
pub mod elf;
pub mod loader;
pub mod registry;
pub mod scoped;

pub use registry::{Registry, Service, Snapshot};
