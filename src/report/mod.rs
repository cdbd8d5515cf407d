//! Output: the terminal table, the JSON file, progress lines.

pub mod format;
pub mod json;
pub mod progress;
pub mod table;
