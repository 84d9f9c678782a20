//! Plugins: which files are plugins (`dir`), checking and loading libraries
//! (`elf`, `loader`), and the set of served versions (`registry`).

pub mod dir;
pub mod elf;
pub mod loader;
pub mod registry;

pub use registry::{Registry, Service, Snapshot};
