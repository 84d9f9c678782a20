//! Plugins: checking and loading libraries (`elf`, `loader`), the set of
//! served versions (`registry`) and the directory watch that feeds it
//! (`watcher`).

pub mod elf;
pub mod loader;
pub mod registry;
pub mod watcher;

pub use registry::{Registry, Service, Snapshot};
pub use watcher::Watcher;
